/* Chat template families; what each renders and why is in
 * chat-template.h. The strings written here are those of the reference
 * templates named there. */
#include "chat-template.h"

#include <string.h>

G_DEFINE_QUARK (ovi-llm-chat-error-quark, ovi_llm_chat_error)

typedef enum {
  VARIANT_PLAIN,
  VARIANT_CHATML,
  VARIANT_LLAMA2,
  VARIANT_LLAMA3,
  VARIANT_MISTRAL_LEGACY,
  VARIANT_MISTRAL_V1,
  VARIANT_MISTRAL_V3,
  VARIANT_ZEPHYR,
  VARIANT_PHI3,
  VARIANT_PHI3_NOSYS,
} Variant;

static const struct {
  const char *name;
  OviLlmChatFamily family;
} variants[] = {
  [VARIANT_PLAIN] = {"plain", OVI_LLM_CHAT_FAMILY_PLAIN},
  [VARIANT_CHATML] = {"chatml", OVI_LLM_CHAT_FAMILY_CHATML},
  [VARIANT_LLAMA2] = {"llama2", OVI_LLM_CHAT_FAMILY_LLAMA2},
  [VARIANT_LLAMA3] = {"llama3", OVI_LLM_CHAT_FAMILY_LLAMA3},
  [VARIANT_MISTRAL_LEGACY] = {"mistral-legacy", OVI_LLM_CHAT_FAMILY_MISTRAL},
  [VARIANT_MISTRAL_V1] = {"mistral-v1", OVI_LLM_CHAT_FAMILY_MISTRAL},
  [VARIANT_MISTRAL_V3] = {"mistral-v3", OVI_LLM_CHAT_FAMILY_MISTRAL},
  [VARIANT_ZEPHYR] = {"zephyr", OVI_LLM_CHAT_FAMILY_ZEPHYR},
  [VARIANT_PHI3] = {"phi3", OVI_LLM_CHAT_FAMILY_PHI3},
  [VARIANT_PHI3_NOSYS] = {"phi3-nosys", OVI_LLM_CHAT_FAMILY_PHI3},
};

static const char *const family_names[] = {
  [OVI_LLM_CHAT_FAMILY_PLAIN] = "plain",
  [OVI_LLM_CHAT_FAMILY_CHATML] = "chatml",
  [OVI_LLM_CHAT_FAMILY_LLAMA2] = "llama2",
  [OVI_LLM_CHAT_FAMILY_LLAMA3] = "llama3",
  [OVI_LLM_CHAT_FAMILY_MISTRAL] = "mistral",
  [OVI_LLM_CHAT_FAMILY_ZEPHYR] = "zephyr",
  [OVI_LLM_CHAT_FAMILY_PHI3] = "phi3",
};

#define PLAIN_SYSTEM "{content}\n\n"
#define PLAIN_USER "User: {content}\n"
#define PLAIN_ASSISTANT "Assistant: {content}\n"
#define PLAIN_GENERATION "Assistant:"

struct _OviLlmChatTemplate {
  Variant variant;
  char *bos;
  char *eos;
  char *default_system;         /* ChatML only */
  char *plain[4];               /* system, user, assistant, generation */
  char *end_of_turn[3];         /* NULL-terminated */
};

const char *
ovi_llm_chat_family_name (OviLlmChatFamily family)
{
  if ((guint) family >= G_N_ELEMENTS (family_names))
    return NULL;
  return family_names[family];
}

gboolean
ovi_llm_chat_family_from_name (const char *name, OviLlmChatFamily *family)
{
  for (guint i = 0; i < G_N_ELEMENTS (family_names); i++)
    if (g_strcmp0 (name, family_names[i]) == 0) {
      *family = i;
      return TRUE;
    }
  return FALSE;
}

static gboolean
has (const char *text, const char *marker)
{
  return strstr (text, marker) != NULL;
}

static Variant
detect_variant (const char *t)
{
  if (!t)
    return VARIANT_PLAIN;
  if (has (t, "<|im_start|>"))
    return VARIANT_CHATML;
  if (has (t, "<|start_header_id|>") && has (t, "<|end_header_id|>"))
    return VARIANT_LLAMA3;
  if (has (t, "[INST]")) {
    if (has (t, "<<SYS>>"))
      return VARIANT_LLAMA2;
    if (has (t, "' [INST] '"))
      return VARIANT_MISTRAL_V1;
    if (has (t, "[AVAILABLE_TOOLS]"))
      return VARIANT_MISTRAL_V3;
    return VARIANT_MISTRAL_LEGACY;
  }
  if (has (t, "<|assistant|>") && has (t, "<|end|>")) {
    /* Phi-3-mini's first template dropped system messages; later ones
     * write <|system|>, or any role as '<|' + role + '|>'. */
    if (has (t, "<|system|>") || has (t, "'<|' + message['role'] + '|>'"))
      return VARIANT_PHI3;
    return VARIANT_PHI3_NOSYS;
  }
  if (has (t, "<|user|>") && has (t, "<|assistant|>")
      && (has (t, "eos_token") || has (t, "</s>") || has (t, "<|endoftext|>")))
    return VARIANT_ZEPHYR;
  return VARIANT_PLAIN;
}

OviLlmChatFamily
ovi_llm_chat_detect (const char *jinja)
{
  return variants[detect_variant (jinja)].family;
}

/* The text a ChatML template writes as its default system turn: a string
 * literal '<|im_start|>system\n...<|im_end|>' with no quote or expression
 * inside ("\n" may be a real newline or Jinja's backslash escape). */
static char *
find_default_system (const char *t)
{
  static const char head[] = "<|im_start|>system";
  const char *p = t;
  while ((p = strstr (p, head))) {
    const char *q = p + strlen (head), *end;
    GString *s;
    gboolean clean = TRUE;
    p = q;
    if (*q == '\n')
      q++;
    else if (q[0] == '\\' && q[1] == 'n')
      q += 2;
    else
      continue;
    end = strstr (q, "<|im_end|>");
    if (!end || end == q)
      continue;
    for (const char *c = q; c < end; c++)
      if (*c == '\'' || *c == '"' || (*c == '{' && (c[1] == '{' || c[1] == '%'))) {
        clean = FALSE;
        break;
      }
    if (!clean)
      continue;
    s = g_string_sized_new (end - q);
    for (const char *c = q; c < end; c++) {
      if (*c == '\\' && c + 1 < end) {
        c++;
        g_string_append_c (s, *c == 'n' ? '\n' : *c == 't' ? '\t' : *c);
      } else {
        g_string_append_c (s, *c);
      }
    }
    return g_string_free (s, FALSE);
  }
  return NULL;
}

/* The text of a plain format around its {content}: before (unescaped) or
 * after. */
static char *
plain_part (const char *fmt, gboolean before)
{
  GString *s = g_string_new (NULL);
  gboolean seen = FALSE;
  for (const char *c = fmt; *c; c++) {
    if (c[0] == '{' && c[1] == '{') {
      if (seen != before)
        g_string_append_c (s, '{');
      c++;
    } else if (c[0] == '}' && c[1] == '}') {
      if (seen != before)
        g_string_append_c (s, '}');
      c++;
    } else if (g_str_has_prefix (c, "{content}")) {
      seen = TRUE;
      c += strlen ("{content}") - 1;
    } else if (seen != before) {
      g_string_append_c (s, *c);
    }
  }
  return g_string_free (s, FALSE);
}

static gboolean
has_placeholder (const char *fmt)
{
  for (const char *c = fmt; *c; c++) {
    if ((c[0] == '{' && c[1] == '{') || (c[0] == '}' && c[1] == '}'))
      c++;
    else if (g_str_has_prefix (c, "{content}"))
      return TRUE;
  }
  return FALSE;
}

static OviLlmChatTemplate *
template_new (Variant v, const char *jinja, const char *bos, const char *eos,
    const OviLlmChatPlainFormat *plain, GError **error)
{
  OviLlmChatTemplate *t;
  const char *eot;
  guint n_eot = 0;

  if (v == VARIANT_PLAIN && plain) {
    const char *fmts[3] = { plain->system, plain->user, plain->assistant };
    for (int i = 0; i < 3; i++)
      if (fmts[i] && !has_placeholder (fmts[i])) {
        g_set_error (error, OVI_LLM_CHAT_ERROR, OVI_LLM_CHAT_ERROR_FORMAT,
            "plain chat format \"%s\" has no {content}", fmts[i]);
        return NULL;
      }
  }

  t = g_new0 (OviLlmChatTemplate, 1);
  t->variant = v;
  t->bos = g_strdup (bos ? bos : "<s>");
  if (!eos) {
    switch (v) {
      case VARIANT_CHATML: eos = "<|im_end|>"; break;
      case VARIANT_LLAMA3: eos = "<|eot_id|>"; break;
      case VARIANT_PHI3:
      case VARIANT_PHI3_NOSYS: eos = "<|endoftext|>"; break;
      default: eos = "</s>"; break;
    }
  }
  t->eos = g_strdup (eos);
  if (v == VARIANT_CHATML && jinja)
    t->default_system = find_default_system (jinja);

  t->plain[0] = g_strdup (plain && plain->system ? plain->system : PLAIN_SYSTEM);
  t->plain[1] = g_strdup (plain && plain->user ? plain->user : PLAIN_USER);
  t->plain[2] = g_strdup (plain && plain->assistant ? plain->assistant
      : PLAIN_ASSISTANT);
  t->plain[3] = g_strdup (plain && plain->generation ? plain->generation
      : PLAIN_GENERATION);

  switch (v) {
    case VARIANT_CHATML: eot = "<|im_end|>"; break;
    case VARIANT_LLAMA3: eot = "<|eot_id|>"; break;
    case VARIANT_PHI3:
    case VARIANT_PHI3_NOSYS: eot = "<|end|>"; break;
    case VARIANT_PLAIN: eot = NULL; break;
    default: eot = t->eos; break;
  }
  if (v == VARIANT_PLAIN) {
    char *after = plain_part (t->plain[2], FALSE);
    char *before = plain_part (t->plain[1], TRUE);
    g_strchomp (before);
    if (after[0] || before[0])
      t->end_of_turn[n_eot++] = g_strconcat (after, before, NULL);
    g_free (after);
    g_free (before);
  } else {
    t->end_of_turn[n_eot++] = g_strdup (eot);
  }
  if (t->eos[0] && (n_eot == 0 || strcmp (t->end_of_turn[0], t->eos) != 0))
    t->end_of_turn[n_eot++] = g_strdup (t->eos);
  return t;
}

OviLlmChatTemplate *
ovi_llm_chat_template_new (const char *jinja, const char *bos_token,
    const char *eos_token, const OviLlmChatPlainFormat *plain, GError **error)
{
  return template_new (detect_variant (jinja), jinja, bos_token, eos_token,
      plain, error);
}

OviLlmChatTemplate *
ovi_llm_chat_template_new_for_family (OviLlmChatFamily family,
    const char *bos_token, const char *eos_token,
    const OviLlmChatPlainFormat *plain, GError **error)
{
  Variant v;
  switch (family) {
    case OVI_LLM_CHAT_FAMILY_CHATML: v = VARIANT_CHATML; break;
    case OVI_LLM_CHAT_FAMILY_LLAMA2: v = VARIANT_LLAMA2; break;
    case OVI_LLM_CHAT_FAMILY_LLAMA3: v = VARIANT_LLAMA3; break;
    case OVI_LLM_CHAT_FAMILY_MISTRAL: v = VARIANT_MISTRAL_V1; break;
    case OVI_LLM_CHAT_FAMILY_ZEPHYR: v = VARIANT_ZEPHYR; break;
    case OVI_LLM_CHAT_FAMILY_PHI3: v = VARIANT_PHI3; break;
    default: v = VARIANT_PLAIN; break;
  }
  return template_new (v, NULL, bos_token, eos_token, plain, error);
}

void
ovi_llm_chat_template_free (OviLlmChatTemplate *t)
{
  if (!t)
    return;
  g_free (t->bos);
  g_free (t->eos);
  g_free (t->default_system);
  for (int i = 0; i < 4; i++)
    g_free (t->plain[i]);
  for (int i = 0; t->end_of_turn[i]; i++)
    g_free (t->end_of_turn[i]);
  g_free (t);
}

OviLlmChatFamily
ovi_llm_chat_template_get_family (const OviLlmChatTemplate *t)
{
  return variants[t->variant].family;
}

const char *
ovi_llm_chat_template_get_variant (const OviLlmChatTemplate *t)
{
  return variants[t->variant].name;
}

const char *
ovi_llm_chat_template_get_default_system (const OviLlmChatTemplate *t)
{
  return t->default_system;
}

const char *const *
ovi_llm_chat_template_get_end_of_turn (const OviLlmChatTemplate *t)
{
  return (const char *const *) t->end_of_turn;
}

/* ---- rendering */

/* Python's str.isspace(), which Jinja's trim and str.strip() use:
 * Unicode white space plus the ASCII separators 0x1c-0x1f. */
static gboolean
py_isspace (gunichar c)
{
  return g_unichar_isspace (c) || (c >= 0x1c && c <= 0x1f) || c == 0x85;
}

/* Appends text with Python's strip() applied. */
static void
append_stripped (GString *out, const char *text)
{
  const char *start = text, *end = text + strlen (text);
  while (start < end && py_isspace (g_utf8_get_char (start)))
    start = g_utf8_next_char (start);
  while (end > start) {
    const char *prev = g_utf8_find_prev_char (start, end);
    if (!prev)
      prev = start;
    if (!py_isspace (g_utf8_get_char (prev)))
      break;
    end = prev;
  }
  g_string_append_len (out, start, end - start);
}

static const char *
role_name (OviLlmChatRole role)
{
  switch (role) {
    case OVI_LLM_CHAT_ROLE_SYSTEM: return "system";
    case OVI_LLM_CHAT_ROLE_USER: return "user";
    default: return "assistant";
  }
}

static void
append_plain (GString *out, const char *fmt, const char *content)
{
  for (const char *c = fmt; *c; c++) {
    if ((c[0] == '{' && c[1] == '{') || (c[0] == '}' && c[1] == '}')) {
      g_string_append_c (out, *c);
      c++;
    } else if (g_str_has_prefix (c, "{content}")) {
      g_string_append (out, content);
      c += strlen ("{content}") - 1;
    } else {
      g_string_append_c (out, *c);
    }
  }
}

/* The families whose template checks the roles: after an optional
 * leading system message, user and assistant alternate, starting with
 * the user. */
static gboolean
check_alternation (const OviLlmChatTemplate *t, const OviLlmChatMessage *m,
    gsize n, GError **error)
{
  gsize first = (n > 0 && m[0].role == OVI_LLM_CHAT_ROLE_SYSTEM) ? 1 : 0;
  for (gsize i = first; i < n; i++) {
    OviLlmChatRole want = ((i - first) % 2 == 0) ? OVI_LLM_CHAT_ROLE_USER
        : OVI_LLM_CHAT_ROLE_ASSISTANT;
    if (m[i].role != want) {
      g_set_error (error, OVI_LLM_CHAT_ERROR, OVI_LLM_CHAT_ERROR_ROLES,
          "the %s chat template needs user and assistant messages in turn "
          "after an optional first system message; message %" G_GSIZE_FORMAT
          " is a %s message", variants[t->variant].name, i,
          role_name (m[i].role));
      return FALSE;
    }
  }
  return TRUE;
}

static gboolean
check_system_first (const OviLlmChatTemplate *t, const OviLlmChatMessage *m,
    gsize n, GError **error)
{
  for (gsize i = 1; i < n; i++)
    if (m[i].role == OVI_LLM_CHAT_ROLE_SYSTEM) {
      g_set_error (error, OVI_LLM_CHAT_ERROR, OVI_LLM_CHAT_ERROR_ROLES,
          "the %s chat template takes a system message only as the first "
          "message; message %" G_GSIZE_FORMAT " is one",
          variants[t->variant].name, i);
      return FALSE;
    }
  return TRUE;
}

static void
render_chatml (const OviLlmChatTemplate *t, GString *out,
    const OviLlmChatMessage *m, gsize n, gboolean gen)
{
  if (n > 0 && m[0].role != OVI_LLM_CHAT_ROLE_SYSTEM && t->default_system)
    g_string_append_printf (out, "<|im_start|>system\n%s<|im_end|>\n",
        t->default_system);
  for (gsize i = 0; i < n; i++)
    g_string_append_printf (out, "<|im_start|>%s\n%s<|im_end|>\n",
        role_name (m[i].role), m[i].content);
  if (gen)
    g_string_append (out, "<|im_start|>assistant\n");
}

static void
render_llama3 (GString *out, const OviLlmChatMessage *m, gsize n,
    gboolean gen)
{
  for (gsize i = 0; i < n; i++) {
    g_string_append_printf (out, "<|start_header_id|>%s<|end_header_id|>\n\n",
        role_name (m[i].role));
    append_stripped (out, m[i].content);
    g_string_append (out, "<|eot_id|>");
  }
  if (gen)
    g_string_append (out, "<|start_header_id|>assistant<|end_header_id|>\n\n");
}

/* Meta's template: the system text goes inside the first [INST] between
 * <<SYS>> markers, and the whole first user turn is stripped. */
static void
render_llama2 (const OviLlmChatTemplate *t, GString *out,
    const OviLlmChatMessage *m, gsize n)
{
  gsize first = (n > 0 && m[0].role == OVI_LLM_CHAT_ROLE_SYSTEM) ? 1 : 0;
  for (gsize i = first; i < n; i++) {
    if (m[i].role == OVI_LLM_CHAT_ROLE_USER) {
      char *content = (i == first && first == 1)
          ? g_strconcat ("<<SYS>>\n", m[0].content, "\n<</SYS>>\n\n",
              m[i].content, NULL)
          : g_strdup (m[i].content);
      if (i > first)            /* the leading BOS is the tokenizer's */
        g_string_append (out, t->bos);
      g_string_append (out, "[INST] ");
      append_stripped (out, content);
      g_string_append (out, " [/INST]");
      g_free (content);
    } else {
      g_string_append_c (out, ' ');
      append_stripped (out, m[i].content);
      g_string_append_c (out, ' ');
      g_string_append (out, t->eos);
    }
  }
}

static void
render_mistral (const OviLlmChatTemplate *t, GString *out,
    const OviLlmChatMessage *m, gsize n)
{
  gsize first = (n > 0 && m[0].role == OVI_LLM_CHAT_ROLE_SYSTEM) ? 1 : 0;
  const char *system = first ? m[0].content : NULL;
  for (gsize i = first; i < n; i++) {
    if (m[i].role == OVI_LLM_CHAT_ROLE_USER) {
      /* v3 puts the system text before the last user message, the
       * others before the first */
      gboolean with_system = system && (t->variant == VARIANT_MISTRAL_V3
          ? i == n - 1 : i == first);
      switch (t->variant) {
        case VARIANT_MISTRAL_V1:
          g_string_append (out, " [INST] ");
          break;
        default:
          g_string_append (out, "[INST] ");
          break;
      }
      if (with_system)
        g_string_append_printf (out, "%s\n\n", system);
      g_string_append (out, m[i].content);
      g_string_append (out, t->variant == VARIANT_MISTRAL_V3 ? "[/INST]"
          : " [/INST]");
    } else {
      switch (t->variant) {
        case VARIANT_MISTRAL_V1:
          g_string_append_c (out, ' ');
          g_string_append (out, m[i].content);
          break;
        case VARIANT_MISTRAL_V3:
          g_string_append_c (out, ' ');
          append_stripped (out, m[i].content);
          break;
        default:
          g_string_append (out, m[i].content);
          break;
      }
      g_string_append (out, t->eos);
    }
  }
}

static void
render_zephyr (const OviLlmChatTemplate *t, GString *out,
    const OviLlmChatMessage *m, gsize n, gboolean gen)
{
  for (gsize i = 0; i < n; i++)
    g_string_append_printf (out, "<|%s|>\n%s%s\n", role_name (m[i].role),
        m[i].content, t->eos);
  /* the template writes it inside its loop, after the last message */
  if (gen && n > 0)
    g_string_append (out, "<|assistant|>\n");
}

static void
render_phi3 (const OviLlmChatTemplate *t, GString *out,
    const OviLlmChatMessage *m, gsize n, gboolean gen)
{
  if (t->variant == VARIANT_PHI3) {
    for (gsize i = 0; i < n; i++) {
      if (m[i].role == OVI_LLM_CHAT_ROLE_SYSTEM && !m[i].content[0])
        continue;
      g_string_append_printf (out, "<|%s|>\n%s<|end|>\n",
          role_name (m[i].role), m[i].content);
    }
    g_string_append (out, gen ? "<|assistant|>\n" : t->eos);
    return;
  }
  /* April 2024: the assistant's opening follows every user turn */
  for (gsize i = 0; i < n; i++) {
    if (m[i].role == OVI_LLM_CHAT_ROLE_USER)
      g_string_append_printf (out, "<|user|>\n%s<|end|>\n<|assistant|>\n",
          m[i].content);
    else if (m[i].role == OVI_LLM_CHAT_ROLE_ASSISTANT)
      g_string_append_printf (out, "%s<|end|>\n", m[i].content);
  }
}

static void
render_plain (const OviLlmChatTemplate *t, GString *out,
    const OviLlmChatMessage *m, gsize n, gboolean gen)
{
  for (gsize i = 0; i < n; i++)
    append_plain (out, t->plain[m[i].role == OVI_LLM_CHAT_ROLE_SYSTEM ? 0
            : m[i].role == OVI_LLM_CHAT_ROLE_USER ? 1 : 2], m[i].content);
  if (gen)
    append_plain (out, t->plain[3], "");
}

char *
ovi_llm_chat_template_render (const OviLlmChatTemplate *t,
    const OviLlmChatMessage *messages, gsize n_messages,
    gboolean add_generation_prompt, GError **error)
{
  const OviLlmChatMessage *m = messages;
  gsize n = n_messages;
  OviLlmChatMessage *merged = NULL;
  char *merged_text = NULL;
  GString *out;

  for (gsize i = 0; i < n; i++) {
    if ((guint) m[i].role > OVI_LLM_CHAT_ROLE_ASSISTANT) {
      g_set_error (error, OVI_LLM_CHAT_ERROR, OVI_LLM_CHAT_ERROR_ROLES,
          "message %" G_GSIZE_FORMAT " has no valid role", i);
      return NULL;
    }
    if (!m[i].content || !g_utf8_validate (m[i].content, -1, NULL)) {
      g_set_error (error, OVI_LLM_CHAT_ERROR, OVI_LLM_CHAT_ERROR_ENCODING,
          "message %" G_GSIZE_FORMAT " is not UTF-8 text", i);
      return NULL;
    }
  }

  switch (t->variant) {
    case VARIANT_LLAMA2:
    case VARIANT_MISTRAL_LEGACY:
    case VARIANT_MISTRAL_V1:
    case VARIANT_MISTRAL_V3:
    case VARIANT_PHI3_NOSYS:
      if (!check_system_first (t, m, n, error))
        return NULL;
      if (t->variant != VARIANT_PHI3_NOSYS && !check_alternation (t, m, n,
              error))
        return NULL;
      break;
    default:
      break;
  }

  /* Templates without a system role: the system text opens the first
   * user message. */
  if ((t->variant == VARIANT_MISTRAL_LEGACY
          || t->variant == VARIANT_PHI3_NOSYS)
      && n > 0 && m[0].role == OVI_LLM_CHAT_ROLE_SYSTEM) {
    gsize u = 1;
    while (u < n && m[u].role != OVI_LLM_CHAT_ROLE_USER)
      u++;
    merged = g_new (OviLlmChatMessage, n - 1);
    memcpy (merged, m + 1, (n - 1) * sizeof (OviLlmChatMessage));
    if (u < n) {
      merged_text = g_strconcat (m[0].content, "\n\n", m[u].content, NULL);
      merged[u - 1].content = merged_text;
    }
    m = merged;
    n--;
  }

  out = g_string_new (NULL);
  switch (t->variant) {
    case VARIANT_CHATML:
      render_chatml (t, out, m, n, add_generation_prompt);
      break;
    case VARIANT_LLAMA3:
      render_llama3 (out, m, n, add_generation_prompt);
      break;
    case VARIANT_LLAMA2:
      render_llama2 (t, out, m, n);
      break;
    case VARIANT_MISTRAL_LEGACY:
    case VARIANT_MISTRAL_V1:
    case VARIANT_MISTRAL_V3:
      render_mistral (t, out, m, n);
      break;
    case VARIANT_ZEPHYR:
      render_zephyr (t, out, m, n, add_generation_prompt);
      break;
    case VARIANT_PHI3:
    case VARIANT_PHI3_NOSYS:
      render_phi3 (t, out, m, n, add_generation_prompt);
      break;
    default:
      render_plain (t, out, m, n, add_generation_prompt);
      break;
  }
  g_free (merged);
  g_free (merged_text);
  return g_string_free (out, FALSE);
}
