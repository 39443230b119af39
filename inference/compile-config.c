/* OviCompileConfig from OpenVINO's property names and values (ovi.h), so
 * that DL Streamer's `ie-config` strings and OpenVINO applications'
 * settings port unchanged. */
#include <stdlib.h>
#include <string.h>

#include "ovi.h"

static gboolean
parse_count (const char *key, const char *value, int *out, GError **error)
{
  char *end;
  gint64 n = g_ascii_strtoll (value, &end, 10);
  if (*value == '\0' || *end != '\0' || n < 0 || n > 4096) {
    g_set_error (error, OVI_ERROR, OVI_ERROR_ARGUMENT,
        "%s=%s: expected a number from 0 to 4096", key, value);
    return FALSE;
  }
  *out = (int) n;
  return TRUE;
}

/* A number of streams, or OpenVINO's symbolic values: AUTO (and the
 * legacy <TYPE>_THROUGHPUT_AUTO) leave the count to the hint. NUMA, one
 * stream per NUMA node, is taken as AUTO: the engine does not model NUMA
 * nodes, and the hint's one stream per core already keeps each stream on
 * its own cores. */
static gboolean
parse_streams (const char *key, const char *value, const char *legacy_prefix,
    int *out, GError **error)
{
  if (g_ascii_strcasecmp (value, "AUTO") == 0
      || g_ascii_strcasecmp (value, "NUMA") == 0) {
    *out = 0;
    return TRUE;
  }
  if (legacy_prefix && g_ascii_strncasecmp (value, legacy_prefix,
          strlen (legacy_prefix)) == 0) {
    const char *rest = value + strlen (legacy_prefix);
    if (g_ascii_strcasecmp (rest, "AUTO") == 0
        || g_ascii_strcasecmp (rest, "NUMA") == 0) {
      *out = 0;
      return TRUE;
    }
  }
  if (!g_ascii_isdigit (*value)) {
    g_set_error (error, OVI_ERROR, OVI_ERROR_ARGUMENT,
        "%s=%s: expected a number of streams, AUTO or NUMA", key, value);
    return FALSE;
  }
  return parse_count (key, value, out, error);
}

static gboolean
parse_bool (const char *key, const char *value, gboolean *out,
    GError **error)
{
  static const char *yes[] = { "YES", "TRUE", "1", NULL };
  static const char *no[] = { "NO", "FALSE", "0", NULL };
  for (int i = 0; yes[i]; i++) {
    if (g_ascii_strcasecmp (value, yes[i]) == 0) {
      *out = TRUE;
      return TRUE;
    }
    if (g_ascii_strcasecmp (value, no[i]) == 0) {
      *out = FALSE;
      return TRUE;
    }
  }
  g_set_error (error, OVI_ERROR, OVI_ERROR_ARGUMENT,
      "%s=%s: expected YES or NO", key, value);
  return FALSE;
}

static gboolean
parse_hint (const char *key, const char *value, OviPerformanceHint *out,
    GError **error)
{
  if (g_ascii_strcasecmp (value, "LATENCY") == 0) {
    *out = OVI_HINT_LATENCY;
    return TRUE;
  }
  /* CUMULATIVE_THROUGHPUT spreads requests over AUTO's devices, which
   * AUTO here does under either hint; per device it is THROUGHPUT. */
  if (g_ascii_strcasecmp (value, "THROUGHPUT") == 0
      || g_ascii_strcasecmp (value, "CUMULATIVE_THROUGHPUT") == 0) {
    *out = OVI_HINT_THROUGHPUT;
    return TRUE;
  }
  g_set_error (error, OVI_ERROR, OVI_ERROR_ARGUMENT,
      "%s=%s: expected LATENCY, THROUGHPUT or CUMULATIVE_THROUGHPUT", key,
      value);
  return FALSE;
}

static gboolean
parse_precision (const char *key, const char *value, OviPrecision *out,
    GError **error)
{
  /* OpenVINO's element type names, and the FP32-style names of its
   * older API and of IR files. */
  static const struct { const char *name; OviPrecision p; } names[] = {
    { "f32", OVI_PRECISION_F32 }, { "fp32", OVI_PRECISION_F32 },
    { "f16", OVI_PRECISION_F16 }, { "fp16", OVI_PRECISION_F16 },
    { "bf16", OVI_PRECISION_BF16 },
  };
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (g_ascii_strcasecmp (value, names[i].name) == 0) {
      *out = names[i].p;
      return TRUE;
    }
  g_set_error (error, OVI_ERROR, OVI_ERROR_ARGUMENT,
      "%s=%s: expected f32, f16 or bf16", key, value);
  return FALSE;
}

gboolean
ovi_compile_config_set (OviCompileConfig *config, const char *key,
    const char *value, GError **error)
{
  OviCompileConfig c = *config;
  gboolean ok;

  g_return_val_if_fail (config != NULL && key != NULL && value != NULL,
      FALSE);
  if (g_ascii_strcasecmp (key, "PERFORMANCE_HINT") == 0)
    ok = parse_hint (key, value, &c.hint, error);
  else if (g_ascii_strcasecmp (key, "NUM_STREAMS") == 0)
    ok = parse_streams (key, value, NULL, &c.n_streams, error);
  else if (g_ascii_strcasecmp (key, "CPU_THROUGHPUT_STREAMS") == 0)
    ok = parse_streams (key, value, "CPU_THROUGHPUT_",
        &c.type_streams[OVI_DEVICE_TYPE_CPU], error);
  else if (g_ascii_strcasecmp (key, "GPU_THROUGHPUT_STREAMS") == 0)
    ok = parse_streams (key, value, "GPU_THROUGHPUT_",
        &c.type_streams[OVI_DEVICE_TYPE_GPU], error);
  else if (g_ascii_strcasecmp (key, "INFERENCE_NUM_THREADS") == 0
      || g_ascii_strcasecmp (key, "CPU_THREADS_NUM") == 0)
    ok = parse_count (key, value, &c.n_threads, error);
  else if (g_ascii_strcasecmp (key, "PERFORMANCE_HINT_NUM_REQUESTS") == 0)
    ok = parse_count (key, value, &c.hint_num_requests, error);
  else if (g_ascii_strcasecmp (key, "INFERENCE_PRECISION_HINT") == 0)
    ok = parse_precision (key, value, &c.precision, error);
  else if (g_ascii_strcasecmp (key, "ENABLE_CPU_PINNING") == 0) {
    gboolean pin = TRUE;
    ok = parse_bool (key, value, &pin, error);
    c.disable_pinning = !pin;
  } else if (g_ascii_strcasecmp (key, "CPU_BIND_THREAD") == 0) {
    /* NUMA and HYBRID_AWARE bind too; the engine's binding keeps each
     * stream on cores of its own either way. */
    gboolean pin = TRUE;
    ok = g_ascii_strcasecmp (value, "NUMA") == 0
        || g_ascii_strcasecmp (value, "HYBRID_AWARE") == 0
        || parse_bool (key, value, &pin, error);
    c.disable_pinning = !pin;
  } else {
    g_set_error (error, OVI_ERROR, OVI_ERROR_UNSUPPORTED,
        "unknown configuration key '%s'", key);
    return FALSE;
  }
  if (ok)
    *config = c;
  return ok;
}

gboolean
ovi_compile_config_parse (OviCompileConfig *config, const char *text,
    char ***ignored, GError **error)
{
  OviCompileConfig c = *config;
  GPtrArray *unknown = g_ptr_array_new_with_free_func (g_free);
  char **entries;
  gboolean ok = TRUE;

  if (ignored)
    *ignored = NULL;
  if (text == NULL || *text == '\0') {
    g_ptr_array_unref (unknown);
    return TRUE;
  }
  entries = g_strsplit (text, ",", -1);
  for (int i = 0; ok && entries[i]; i++) {
    char *entry = g_strstrip (entries[i]);
    char *eq = strchr (entry, '=');
    GError *err = NULL;
    if (*entry == '\0')
      continue;                 /* "", a doubled or trailing comma */
    if (eq == NULL || eq == entry) {
      g_set_error (error, OVI_ERROR, OVI_ERROR_ARGUMENT,
          "'%s' in '%s': expected KEY=VALUE", entry, text);
      ok = FALSE;
      break;
    }
    *eq = '\0';
    g_strstrip (entry);
    if (!ovi_compile_config_set (&c, entry, g_strstrip (eq + 1), &err)) {
      if (g_error_matches (err, OVI_ERROR, OVI_ERROR_UNSUPPORTED)) {
        g_ptr_array_add (unknown, g_strdup (entry));
        g_error_free (err);
      } else {
        g_propagate_error (error, err);
        ok = FALSE;
      }
    }
  }
  g_strfreev (entries);
  if (ok) {
    *config = c;
    if (ignored && unknown->len > 0) {
      g_ptr_array_add (unknown, NULL);
      *ignored = (char **) g_ptr_array_free (unknown, FALSE);
      unknown = NULL;
    }
  }
  if (unknown)
    g_ptr_array_unref (unknown);
  return ok;
}
