#include "ovllm-config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

G_DEFINE_QUARK (ov-llm-config-error-quark, ov_llm_config_error)

void
ov_llm_config_init (OvLlmConfig *c)
{
  memset (c, 0, sizeof *c);
  c->stop_strings = g_ptr_array_new_with_free_func (g_free);
  c->stop_token_ids = g_array_new (FALSE, FALSE, sizeof (gint32));
}

void
ov_llm_config_clear (OvLlmConfig *c)
{
  g_clear_pointer (&c->stop_strings, g_ptr_array_unref);
  g_clear_pointer (&c->stop_token_ids, g_array_unref);
  c->set = 0;
}

static gboolean
fail (GError **error, const char *key, const char *value, const char *why)
{
  g_set_error (error, OV_LLM_CONFIG_ERROR, 0,
      "generation-config: %s=%s: %s", key, value, why);
  return FALSE;
}

static gboolean
parse_bool (const char *key, const char *v, gboolean *out, GError **error)
{
  if (!g_ascii_strcasecmp (v, "true") || !strcmp (v, "1")) {
    *out = TRUE;
    return TRUE;
  }
  if (!g_ascii_strcasecmp (v, "false") || !strcmp (v, "0")) {
    *out = FALSE;
    return TRUE;
  }
  return fail (error, key, v, "expected true or false");
}

static gboolean
parse_int (const char *key, const char *v, gint64 min, gint64 max,
    gint64 *out, GError **error)
{
  char *end;
  gint64 x;

  errno = 0;
  x = g_ascii_strtoll (v, &end, 10);
  if (*v == '\0' || *end != '\0' || errno != 0)
    return fail (error, key, v, "expected an integer");
  if (x < min || x > max) {
    char *why = g_strdup_printf ("out of range %" G_GINT64_FORMAT "..%"
        G_GINT64_FORMAT, min, max);
    fail (error, key, v, why);
    g_free (why);
    return FALSE;
  }
  *out = x;
  return TRUE;
}

static gboolean
parse_double (const char *key, const char *v, double *out, GError **error)
{
  char *end;
  double x;

  errno = 0;
  x = g_ascii_strtod (v, &end);
  if (*v == '\0' || *end != '\0' || errno != 0 || !isfinite (x))
    return fail (error, key, v, "expected a number");
  *out = x;
  return TRUE;
}

/* "1;2;3" */
static gboolean
parse_token_ids (const char *key, const char *v, GArray *ids, GError **error)
{
  gchar **items = g_strsplit (v, ";", -1);
  gboolean ok = TRUE;

  for (gchar **it = items; *it && ok; it++) {
    gint64 id;
    g_strstrip (*it);
    if (**it == '\0')
      continue;
    ok = parse_int (key, *it, 0, G_MAXINT32, &id, error);
    if (ok) {
      gint32 id32 = (gint32) id;
      g_array_append_val (ids, id32);
    }
  }
  g_strfreev (items);
  return ok;
}

/* A key the runtime cannot honour, accepted at the value meaning "off". */
static gboolean
only_off (const char *key, const char *v, double off, GError **error)
{
  double x;
  char *why;

  if (!parse_double (key, v, &x, error))
    return FALSE;
  if (x == off)
    return TRUE;
  why = g_strdup_printf ("not supported by ovllm (greedy or sampled "
      "decoding only); only %g is accepted", off);
  fail (error, key, v, why);
  g_free (why);
  return FALSE;
}

static gboolean
apply (OvLlmConfig *c, const char *k, const char *v, GError **error)
{
  gint64 i;
  double d;

  if (!strcmp (k, "max_new_tokens")) {
    if (!parse_int (k, v, 0, G_MAXUINT32, &i, error))
      return FALSE;
    c->max_new_tokens = (guint) i;
    c->set |= OV_LLM_SET_MAX_NEW_TOKENS;
  } else if (!strcmp (k, "ignore_eos")) {
    if (!parse_bool (k, v, &c->ignore_eos, error))
      return FALSE;
    c->set |= OV_LLM_SET_IGNORE_EOS;
  } else if (!strcmp (k, "eos_token_id") || !strcmp (k, "stop_token_ids")) {
    return parse_token_ids (k, v, c->stop_token_ids, error);
  } else if (!strcmp (k, "stop_strings")) {
    gchar **items = g_strsplit (v, ";", -1);
    for (gchar **it = items; *it; it++)
      if (**it)
        g_ptr_array_add (c->stop_strings, g_strdup (*it));
    g_strfreev (items);
  } else if (!strcmp (k, "repetition_penalty")) {
    if (!parse_double (k, v, &d, error))
      return FALSE;
    if (d <= 0)
      return fail (error, k, v, "must be greater than 0");
    c->repetition_penalty = d;
    c->set |= OV_LLM_SET_REPETITION_PENALTY;
  } else if (!strcmp (k, "do_sample")) {
    if (!parse_bool (k, v, &c->do_sample, error))
      return FALSE;
    c->set |= OV_LLM_SET_DO_SAMPLE;
  } else if (!strcmp (k, "temperature")) {
    if (!parse_double (k, v, &d, error))
      return FALSE;
    if (d < 0)
      return fail (error, k, v, "must not be negative");
    c->temperature = d;
    c->set |= OV_LLM_SET_TEMPERATURE;
  } else if (!strcmp (k, "top_p")) {
    if (!parse_double (k, v, &d, error))
      return FALSE;
    if (d <= 0 || d > 1)
      return fail (error, k, v, "must be in (0, 1]");
    c->top_p = d;
    c->set |= OV_LLM_SET_TOP_P;
  } else if (!strcmp (k, "min_p")) {
    if (!parse_double (k, v, &d, error))
      return FALSE;
    if (d < 0 || d > 1)
      return fail (error, k, v, "must be in [0, 1]");
    c->min_p = d;
    c->set |= OV_LLM_SET_MIN_P;
  } else if (!strcmp (k, "top_k")) {
    /* GenAI's "off" is the largest size_t: anything past int range is 0. */
    char *end;
    guint64 u;
    errno = 0;
    u = g_ascii_strtoull (v, &end, 10);
    if (*v == '\0' || *v == '-' || *end != '\0' || errno != 0)
      return fail (error, k, v, "expected a non-negative integer");
    c->top_k = u > G_MAXINT32 ? 0 : (gint) u;
    c->set |= OV_LLM_SET_TOP_K;
  } else if (!strcmp (k, "rng_seed")) {
    if (!parse_int (k, v, 0, G_MAXINT64, &i, error))
      return FALSE;
    c->seed = (guint64) i;
    c->set |= OV_LLM_SET_SEED;
  } else if (!strcmp (k, "apply_chat_template")) {
    if (!parse_bool (k, v, &c->apply_chat_template, error))
      return FALSE;
    c->set |= OV_LLM_SET_APPLY_CHAT_TEMPLATE;
  } else if (!strcmp (k, "include_stop_str_in_output")) {
    gboolean b;
    if (!parse_bool (k, v, &b, error))
      return FALSE;
    if (b)
      return fail (error, k, v, "not supported: stop strings are never "
          "part of the answer");
  } else if (!strcmp (k, "min_new_tokens") || !strcmp (k, "presence_penalty")
      || !strcmp (k, "frequency_penalty") || !strcmp (k, "diversity_penalty")
      || !strcmp (k, "no_repeat_ngram_size")
      || !strcmp (k, "assistant_confidence_threshold")
      || !strcmp (k, "num_assistant_tokens")
      || !strcmp (k, "max_ngram_size")) {
    return only_off (k, v, 0, error);
  } else if (!strcmp (k, "num_beams") || !strcmp (k, "num_beam_groups")
      || !strcmp (k, "num_return_sequences")) {
    return only_off (k, v, 1, error);
  } else if (!strcmp (k, "length_penalty")) {
    return parse_double (k, v, &d, error);
  } else if (!strcmp (k, "stop_criteria")) {
    if (strcmp (v, "EARLY") && strcmp (v, "HEURISTIC") && strcmp (v, "NEVER"))
      return fail (error, k, v, "expected EARLY, HEURISTIC or NEVER");
  } else if (!strcmp (k, "max_length")) {
    return fail (error, k, v, "not supported; use max_new_tokens");
  } else {
    g_set_error (error, OV_LLM_CONFIG_ERROR, 0,
        "generation-config: unknown key '%s'", k);
    return FALSE;
  }
  return TRUE;
}

gboolean
ov_llm_config_parse (const char *text, OvLlmConfig *c, GError **error)
{
  gchar **pairs;
  gboolean ok = TRUE;

  ov_llm_config_init (c);
  if (text == NULL)
    return TRUE;
  pairs = g_strsplit (text, ",", -1);
  for (gchar **p = pairs; *p && ok; p++) {
    gchar *eq, *key, *value;
    g_strstrip (*p);
    if (**p == '\0')
      continue;
    eq = strchr (*p, '=');
    if (eq == NULL) {
      g_set_error (error, OV_LLM_CONFIG_ERROR, 0,
          "generation-config: '%s' is not KEY=VALUE", *p);
      ok = FALSE;
      break;
    }
    *eq = '\0';
    key = g_strstrip (*p);
    value = g_strstrip (eq + 1);
    if (*key == '\0') {
      g_set_error (error, OV_LLM_CONFIG_ERROR, 0,
          "generation-config: empty key before '=%s'", value);
      ok = FALSE;
      break;
    }
    ok = apply (c, key, value, error);
  }
  g_strfreev (pairs);
  if (!ok)
    ov_llm_config_clear (c);
  return ok;
}
