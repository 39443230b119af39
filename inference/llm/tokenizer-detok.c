/* Streaming detokenization: token pieces are bytes, and a character may be
 * split across tokens (byte-level BPE, SentencePiece byte fallback), so
 * the tail of an unfinished character is held until the next piece
 * completes it. Whatever cannot become a character becomes U+FFFD, one per
 * maximal invalid subpart (the Unicode standard's recommended practice),
 * so that the output is always valid UTF-8. */
#include <string.h>

#include "tokenizer-private.h"

#define REPLACEMENT "\xef\xbf\xbd"

struct _OviLlmDetokenizer {
  const OviLlmTokenizer *tok;
  gboolean skip_special;
  gboolean started;        /* a text piece was emitted since the reset */
  GString *scratch;
  guint8 pending[4];
  gsize n_pending;
};

OviLlmDetokenizer *
ovi_llm_detokenizer_new (const OviLlmTokenizer *tok, gboolean skip_special)
{
  OviLlmDetokenizer *det = g_new0 (OviLlmDetokenizer, 1);

  det->tok = tok;
  det->skip_special = skip_special;
  det->scratch = g_string_new (NULL);
  return det;
}

void
ovi_llm_detokenizer_free (OviLlmDetokenizer *det)
{
  if (det == NULL)
    return;
  g_string_free (det->scratch, TRUE);
  g_free (det);
}

void
ovi_llm_detokenizer_reset (OviLlmDetokenizer *det)
{
  det->started = FALSE;
  det->n_pending = 0;
}

gsize
ovi_llm_detokenizer_pending (const OviLlmDetokenizer *det)
{
  return det->n_pending;
}

/* How many bytes at s (n available) begin a well-formed character: the
 * lead and the continuation bytes that may follow it, and how many the
 * character needs in all. */
static gsize
valid_prefix (const guint8 *s, gsize n, gsize *need)
{
  guint8 c = s[0], lo = 0x80, hi = 0xbf;
  gsize k;

  if (c >= 0xc2 && c <= 0xdf)
    *need = 2;
  else if (c >= 0xe0 && c <= 0xef) {
    *need = 3;
    if (c == 0xe0)
      lo = 0xa0;
    else if (c == 0xed)
      hi = 0x9f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    *need = 4;
    if (c == 0xf0)
      lo = 0x90;
    else if (c == 0xf4)
      hi = 0x8f;
  } else {
    *need = 1;
    return 0;
  }
  if (n < 2 || s[1] < lo || s[1] > hi)
    return 1;
  for (k = 2; k < *need && k < n; k++)
    if ((s[k] & 0xc0) != 0x80)
      break;
  return k;
}

static void
emit (OviLlmDetokenizer *det, const guint8 *buf, gsize n, GString *out)
{
  gsize i = 0;

  while (i < n) {
    gsize run = i, l, k, need;

    while (run < n && buf[run] < 0x80)
      run++;
    if (run > i) {
      g_string_append_len (out, (const char *) buf + i, run - i);
      i = run;
      continue;
    }
    l = ovi_llm_utf8_char_len (buf + i, n - i);
    if (l > 0) {
      g_string_append_len (out, (const char *) buf + i, l);
      i += l;
      continue;
    }
    k = valid_prefix (buf + i, n - i, &need);
    if (k > 0 && i + k == n && k < need) {
      /* The start of a character whose end has not arrived yet. */
      memcpy (det->pending, buf + i, k);
      det->n_pending = k;
      return;
    }
    g_string_append (out, REPLACEMENT);
    i += MAX (k, 1);
  }
}

gboolean
ovi_llm_detokenizer_feed (OviLlmDetokenizer *det, gint32 id, GString *out)
{
  const OviLlmTokenizer *tok = det->tok;
  const char *piece;
  gsize len;

  if (id < 0 || id >= tok->n_vocab)
    return FALSE;
  piece = tok->pieces + tok->piece_off[id];
  len = tok->piece_len[id];
  if (tok->types[id] == OVI_LLM_TOKEN_CONTROL) {
    if (det->skip_special)
      return TRUE;
  } else if (!det->started) {
    det->started = TRUE;
    /* The encoder's dummy prefix. */
    if (tok->kind == OVI_LLM_TOKENIZER_SPM && tok->add_space_prefix
        && len > 0 && piece[0] == ' ') {
      piece++;
      len--;
    }
  }
  if (det->n_pending == 0) {
    emit (det, (const guint8 *) piece, len, out);
    return TRUE;
  }
  g_string_truncate (det->scratch, 0);
  g_string_append_len (det->scratch, (const char *) det->pending,
      det->n_pending);
  g_string_append_len (det->scratch, piece, len);
  det->n_pending = 0;
  emit (det, (const guint8 *) det->scratch->str, det->scratch->len, out);
  return TRUE;
}

void
ovi_llm_detokenizer_flush (OviLlmDetokenizer *det, GString *out)
{
  if (det->n_pending > 0)
    g_string_append (out, REPLACEMENT);
  det->n_pending = 0;
}

char *
ovi_llm_tokenizer_decode (const OviLlmTokenizer *tok, const gint32 *ids,
    gsize n_ids, gboolean skip_special, gsize *len, GError **error)
{
  OviLlmDetokenizer *det = ovi_llm_detokenizer_new (tok, skip_special);
  GString *out = g_string_new (NULL);
  gsize i;

  for (i = 0; i < n_ids; i++) {
    if (!ovi_llm_detokenizer_feed (det, ids[i], out)) {
      g_set_error (error, OVI_LLM_TOKENIZER_ERROR,
          OVI_LLM_TOKENIZER_ERROR_INVALID, "token id %d is not below %d",
          ids[i], tok->n_vocab);
      ovi_llm_detokenizer_free (det);
      g_string_free (out, TRUE);
      return NULL;
    }
  }
  ovi_llm_detokenizer_flush (det, out);
  ovi_llm_detokenizer_free (det);
  if (len)
    *len = out->len;
  return g_string_free (out, FALSE);
}
