/* libFuzzer harness for the tokenizers: the input is a 2-byte little-endian
 * length N, N bytes of text, then a GGUF file. Whatever metadata the file
 * holds must give a tokenizer or an error; a tokenizer must encode the
 * text (with and without special-token parsing), decode the ids, and
 * stream them through the detokenizer into valid UTF-8. */
#include "tokenizer-private.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

/* Valid UTF-8, NUL characters included (g_utf8_validate stops at them). */
static gboolean
valid_utf8 (const char *s, gsize len)
{
  gsize i = 0, l;

  while (i < len) {
    l = ovi_llm_utf8_char_len ((const guint8 *) s + i, len - i);
    if (l == 0)
      return FALSE;
    i += l;
  }
  return TRUE;
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  GError *error = NULL;
  GBytes *bytes;
  OviGguf *g;
  OviLlmTokenizer *tok;
  size_t text_len;
  const char *text;

  if (size < 2)
    return 0;
  text_len = data[0] | (size_t) data[1] << 8;
  if (text_len > size - 2)
    return 0;
  text = (const char *) data + 2;
  bytes = g_bytes_new (data + 2 + text_len, size - 2 - text_len);
  g = ovi_gguf_new_from_bytes (bytes, &error);
  g_bytes_unref (bytes);
  if (g == NULL) {
    g_clear_error (&error);
    return 0;
  }
  tok = ovi_llm_tokenizer_new_from_gguf (g, &error);
  ovi_gguf_free (g);
  if (tok == NULL) {
    g_clear_error (&error);
    return 0;
  }
  for (int parse = 0; parse < 2; parse++) {
    GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint32));

    if (ovi_llm_tokenizer_encode (tok, text, text_len, TRUE, parse, ids,
            &error)) {
      gsize len;
      char *s = ovi_llm_tokenizer_decode (tok, (const gint32 *) ids->data,
          ids->len, parse, &len, &error);
      OviLlmDetokenizer *det = ovi_llm_detokenizer_new (tok, !parse);
      GString *out = g_string_new (NULL);

      if (s == NULL || !valid_utf8 (s, len))
        __builtin_trap ();
      g_free (s);
      for (guint i = 0; i < ids->len; i++)
        if (!ovi_llm_detokenizer_feed (det, g_array_index (ids, gint32, i),
                out))
          __builtin_trap ();
      ovi_llm_detokenizer_flush (det, out);
      if (!valid_utf8 (out->str, out->len))
        __builtin_trap ();
      g_string_free (out, TRUE);
      ovi_llm_detokenizer_free (det);
    } else {
      g_clear_error (&error);
    }
    g_array_unref (ids);
  }
  ovi_llm_tokenizer_free (tok);
  return 0;
}
