/* Tokenizer loading from GGUF metadata, special-token recognition and the
 * encode entry point; the algorithms are in tokenizer-spm.c and
 * tokenizer-bpe.c, the streaming decoder in tokenizer-detok.c. */
#include <math.h>
#include <string.h>

#include "tokenizer-private.h"

G_DEFINE_QUARK (ovi-llm-tokenizer-error-quark, ovi_llm_tokenizer_error)

/* Larger than any real vocabulary (the biggest are ~256k); keeps every
 * count and offset well inside 32 bits. */
#define MAX_VOCAB (1 << 24)

#define KEY "tokenizer.ggml."

static void
set_invalid (GError **error, const char *format, ...) G_GNUC_PRINTF (2, 3);

static void
set_invalid (GError **error, const char *format, ...)
{
  va_list args;
  char *msg;

  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, OVI_LLM_TOKENIZER_ERROR,
      OVI_LLM_TOKENIZER_ERROR_INVALID, "tokenizer metadata: %s", msg);
  g_free (msg);
}

gsize
ovi_llm_utf8_char_len (const guint8 *s, gsize n)
{
  guint8 c = s[0];
  gsize len, i;
  guint8 lo = 0x80, hi = 0xbf;

  if (c < 0x80)
    return 1;
  if (c < 0xc2)
    return 0;
  if (c < 0xe0)
    len = 2;
  else if (c < 0xf0) {
    len = 3;
    /* Overlong forms and UTF-16 surrogates are not characters. */
    if (c == 0xe0)
      lo = 0xa0;
    else if (c == 0xed)
      hi = 0x9f;
  } else if (c < 0xf5) {
    len = 4;
    if (c == 0xf0)
      lo = 0x90;
    else if (c == 0xf4)
      hi = 0x8f;
  } else
    return 0;
  if (n < len)
    return 0;
  if (s[1] < lo || s[1] > hi)
    return 0;
  for (i = 2; i < len; i++)
    if ((s[i] & 0xc0) != 0x80)
      return 0;
  return len;
}

static gboolean
utf8_valid (const char *s, gsize n)
{
  gsize i = 0, l;

  while (i < n) {
    l = ovi_llm_utf8_char_len ((const guint8 *) s + i, n - i);
    if (l == 0)
      return FALSE;
    i += l;
  }
  return TRUE;
}

static guint32
hash_bytes (const char *s, gsize len)
{
  /* FNV-1a: token texts are short, and this is one multiply per byte. */
  guint32 h = 2166136261u;
  gsize i;

  for (i = 0; i < len; i++) {
    h ^= (guint8) s[i];
    h *= 16777619u;
  }
  return h;
}

static guint32
table_size (gsize n)
{
  guint32 size = 16;

  while (size < 2 * n)
    size <<= 1;
  return size;
}

gint32
ovi_llm_text_index_find (const OviLlmTokenizer *tok, const char *s, gsize len)
{
  guint32 h = hash_bytes (s, len);
  guint32 i = h & tok->index.mask;
  gint32 id;

  while ((id = tok->index.slots[i]) >= 0) {
    if (tok->index.hashes[i] == h && tok->text_len[id] == len
        && memcmp (tok->texts + tok->text_off[id], s, len) == 0)
      return id;
    i = (i + 1) & tok->index.mask;
  }
  return -1;
}

static void
text_index_build (OviLlmTokenizer *tok)
{
  guint32 size = table_size (tok->n_vocab);
  gint32 id;

  tok->index.mask = size - 1;
  tok->index.slots = g_new (gint32, size);
  tok->index.hashes = g_new0 (guint32, size);
  memset (tok->index.slots, 0xff, size * sizeof (gint32));
  for (id = 0; id < tok->n_vocab; id++) {
    const char *s = tok->texts + tok->text_off[id];
    guint32 h = hash_bytes (s, tok->text_len[id]);
    guint32 i = h & tok->index.mask;
    gint32 other;
    gboolean duplicate = FALSE;

    /* A text listed twice keeps its first id. */
    while ((other = tok->index.slots[i]) >= 0) {
      if (tok->index.hashes[i] == h
          && tok->text_len[other] == tok->text_len[id]
          && memcmp (tok->texts + tok->text_off[other], s,
              tok->text_len[id]) == 0) {
        duplicate = TRUE;
        break;
      }
      i = (i + 1) & tok->index.mask;
    }
    if (!duplicate) {
      tok->index.slots[i] = id;
      tok->index.hashes[i] = h;
    }
  }
}

static guint32
hash_pair (guint64 key)
{
  key *= G_GUINT64_CONSTANT (0x9e3779b97f4a7c15);
  return (guint32) (key >> 32);
}

gint32
ovi_llm_pair_index_find (const OviLlmTokenizer *tok, gint32 left,
    gint32 right, gint32 *result)
{
  guint64 key = (((guint64) (guint32) left << 32) | (guint32) right) + 1;
  guint32 i;

  if (tok->merges.keys == NULL)
    return -1;
  i = hash_pair (key) & tok->merges.mask;
  while (tok->merges.keys[i] != 0) {
    if (tok->merges.keys[i] == key) {
      *result = tok->merges.results[i];
      return tok->merges.ranks[i];
    }
    i = (i + 1) & tok->merges.mask;
  }
  return -1;
}

static guint64
char_pair_key (guint32 first, guint32 second)
{
  return ((guint64) first << 32 | second) + 1;
}

gboolean
ovi_llm_char_pair_known (const OviLlmTokenizer *tok, guint32 first,
    guint32 second)
{
  guint64 key = char_pair_key (first, second);
  guint32 i = hash_pair (key) & tok->char_pairs_mask;

  while (tok->char_pairs[i] != 0) {
    if (tok->char_pairs[i] == key)
      return TRUE;
    i = (i + 1) & tok->char_pairs_mask;
  }
  return FALSE;
}

static void
build_char_pairs (OviLlmTokenizer *tok, gsize total)
{
  /* Fewer pairs than bytes of text. */
  guint32 size = table_size (total);
  gint32 id;

  tok->char_pairs_mask = size - 1;
  tok->char_pairs = g_new0 (guint64, size);
  for (id = 0; id < tok->n_vocab; id++) {
    const char *s = tok->texts + tok->text_off[id];
    const char *end = s + tok->text_len[id];
    guint32 prev = G_MAXUINT32;

    while (s < end) {
      guint32 c = g_utf8_get_char (s);

      if (prev != G_MAXUINT32) {
        guint64 key = char_pair_key (prev, c);
        guint32 i = hash_pair (key) & tok->char_pairs_mask;

        while (tok->char_pairs[i] != 0 && tok->char_pairs[i] != key)
          i = (i + 1) & tok->char_pairs_mask;
        tok->char_pairs[i] = key;
      }
      prev = c;
      s = g_utf8_next_char (s);
    }
  }
}

static gboolean
load_merges (OviLlmTokenizer *tok, const OviGguf *gguf, GError **error)
{
  const OviGgufArray *a = ovi_gguf_get_array (gguf, KEY "merges");
  guint64 n, m;
  guint32 size;
  GString *joined;

  if (a == NULL || ovi_gguf_array_type (a) != OVI_GGUF_STRING) {
    set_invalid (error, "byte-level BPE needs " KEY "merges, an array of "
        "strings");
    return FALSE;
  }
  n = ovi_gguf_array_length (a);
  if (n > 4 * (guint64) MAX_VOCAB) {
    set_invalid (error, "%" G_GUINT64_FORMAT " merges", n);
    return FALSE;
  }
  size = table_size (n);
  tok->merges.mask = size - 1;
  tok->merges.keys = g_new0 (guint64, size);
  tok->merges.ranks = g_new (gint32, size);
  tok->merges.results = g_new (gint32, size);
  joined = g_string_new (NULL);
  for (m = 0; m < n; m++) {
    gsize len, cut;
    const char *s = ovi_gguf_array_string (a, m, &len);
    const char *space;
    gint32 left, right, result, dummy;
    guint64 key;
    guint32 i;

    /* "LEFT RIGHT": the first space after the first byte separates them,
     * so that a left part may itself be a space in a raw vocabulary. */
    space = len > 1 ? memchr (s + 1, ' ', len - 1) : NULL;
    if (space == NULL || space + 1 == s + len || !utf8_valid (s, len)) {
      set_invalid (error, "merge %" G_GUINT64_FORMAT " is not two "
          "UTF-8 token texts separated by a space", m);
      goto fail;
    }
    cut = space - s;
    left = ovi_llm_text_index_find (tok, s, cut);
    right = ovi_llm_text_index_find (tok, space + 1, len - cut - 1);
    g_string_truncate (joined, 0);
    g_string_append_len (joined, s, cut);
    g_string_append_len (joined, space + 1, len - cut - 1);
    result = ovi_llm_text_index_find (tok, joined->str, joined->len);
    if (left < 0 || right < 0 || result < 0) {
      set_invalid (error, "merge %" G_GUINT64_FORMAT " (%.*s) names a "
          "token that is not in the vocabulary", m, (int) MIN (len, 64), s);
      goto fail;
    }
    /* A pair listed twice keeps its first (best) rank. */
    if (ovi_llm_pair_index_find (tok, left, right, &dummy) >= 0)
      continue;
    key = (((guint64) (guint32) left << 32) | (guint32) right) + 1;
    i = hash_pair (key) & tok->merges.mask;
    while (tok->merges.keys[i] != 0)
      i = (i + 1) & tok->merges.mask;
    tok->merges.keys[i] = key;
    tok->merges.ranks[i] = (gint32) m;
    tok->merges.results[i] = result;
  }
  g_string_free (joined, TRUE);
  return TRUE;

fail:
  g_string_free (joined, TRUE);
  return FALSE;
}

/* A token id key: absent keeps *id, present must be a valid id. */
static gboolean
read_id (const OviGguf *gguf, const char *key, gint32 n_vocab, gint32 *id,
    GError **error)
{
  guint64 v;

  if (ovi_gguf_key_type (gguf, key) < 0)
    return TRUE;
  if (!ovi_gguf_get_uint (gguf, key, &v) || v >= (guint64) n_vocab) {
    set_invalid (error, "%s is not a token id below %d", key, n_vocab);
    return FALSE;
  }
  *id = (gint32) v;
  return TRUE;
}

static gboolean
read_flag (const OviGguf *gguf, const char *key, gboolean *flag,
    GError **error)
{
  if (ovi_gguf_key_type (gguf, key) < 0)
    return TRUE;
  if (!ovi_gguf_get_bool (gguf, key, flag)) {
    set_invalid (error, "%s is not a bool", key);
    return FALSE;
  }
  return TRUE;
}

static int
hex_digit (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

/* The decoded bytes of every token, computed once so that detokenizing is
 * a table lookup. */
static gboolean
build_pieces (OviLlmTokenizer *tok, gsize total, GError **error)
{
  gsize at = 0;
  gint32 id;

  /* No piece is longer than its text: "▁" (3 bytes) becomes 1, a GPT-2
   * character (1 or 2 bytes) 1, <0xXX> 1. */
  tok->pieces = g_malloc (total + 1);
  tok->piece_off = g_new (guint32, tok->n_vocab);
  tok->piece_len = g_new (guint32, tok->n_vocab);
  for (id = 0; id < tok->n_vocab; id++) {
    const char *s = tok->texts + tok->text_off[id];
    gsize len = tok->text_len[id], i = 0;
    guint8 type = tok->types[id];

    tok->piece_off[id] = at;
    if (type == OVI_LLM_TOKEN_CONTROL
        || (tok->kind == OVI_LLM_TOKENIZER_BPE
            && (type == OVI_LLM_TOKEN_USER_DEFINED
                || type == OVI_LLM_TOKEN_UNKNOWN))) {
      memcpy (tok->pieces + at, s, len);
      at += len;
    } else if (tok->kind == OVI_LLM_TOKENIZER_SPM
        && type == OVI_LLM_TOKEN_BYTE) {
      int hi = len == 6 ? hex_digit (s[3]) : -1;
      int lo = len == 6 ? hex_digit (s[4]) : -1;

      if (len != 6 || strncmp (s, "<0x", 3) != 0 || s[5] != '>' || hi < 0
          || lo < 0) {
        set_invalid (error, "byte token %d is not <0xXX>", id);
        return FALSE;
      }
      tok->pieces[at++] = (char) (hi * 16 + lo);
    } else if (tok->kind == OVI_LLM_TOKENIZER_SPM) {
      while (i < len) {
        if (i + 3 <= len && memcmp (s + i, "\xe2\x96\x81", 3) == 0) {
          tok->pieces[at++] = ' ';
          i += 3;
        } else
          tok->pieces[at++] = s[i++];
      }
    } else {
      while (i < len) {
        gsize l = ovi_llm_utf8_char_len ((const guint8 *) s + i, len - i);
        int b = ovi_llm_bpe_char_byte (g_utf8_get_char (s + i));

        /* Texts were validated, so l > 0. A character outside GPT-2's
         * table (an added token stored raw) stands for itself. */
        if (b >= 0)
          tok->pieces[at++] = (char) b;
        else {
          memcpy (tok->pieces + at, s + i, l);
          at += l;
        }
        i += l;
      }
    }
    tok->piece_len[id] = at - tok->piece_off[id];
  }
  tok->pieces[at] = '\0';
  return TRUE;
}

static int
compare_specials (gconstpointer a, gconstpointer b, gpointer data)
{
  const OviLlmTokenizer *tok = data;
  gint32 x = *(const gint32 *) a, y = *(const gint32 *) b;
  guint8 fx = tok->texts[tok->text_off[x]], fy = tok->texts[tok->text_off[y]];

  if (fx != fy)
    return fx < fy ? -1 : 1;
  if (tok->text_len[x] != tok->text_len[y])
    return tok->text_len[x] > tok->text_len[y] ? -1 : 1;
  return x < y ? -1 : x > y;
}

static gboolean
is_special_type (guint8 type)
{
  return type == OVI_LLM_TOKEN_CONTROL || type == OVI_LLM_TOKEN_UNKNOWN
      || type == OVI_LLM_TOKEN_USER_DEFINED;
}

static void
build_specials (OviLlmTokenizer *tok)
{
  gint32 id, n = 0;
  guint32 k, b;

  for (id = 0; id < tok->n_vocab; id++)
    if (is_special_type (tok->types[id]) && tok->text_len[id] > 0)
      n++;
  tok->specials = g_new (gint32, MAX (n, 1));
  n = 0;
  for (id = 0; id < tok->n_vocab; id++)
    if (is_special_type (tok->types[id]) && tok->text_len[id] > 0)
      tok->specials[n++] = id;
  g_qsort_with_data (tok->specials, n, sizeof (gint32), compare_specials,
      tok);
  k = 0;
  for (b = 0; b < 256; b++) {
    tok->special_start[b] = k;
    while (k < (guint32) n
        && (guint8) tok->texts[tok->text_off[tok->specials[k]]] == b)
      k++;
  }
  tok->special_start[256] = n;
}

/* eot/eom by text when the file does not name them, and the set of
 * end-of-generation tokens. */
static void
find_eog (OviLlmTokenizer *tok, gboolean have_types)
{
  static const char *const eot_texts[] = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>",
  };
  static const char *const eog_texts[] = {
    "<|eot_id|>", "<|eom_id|>", "<|im_end|>", "<|end|>", "<|endoftext|>",
    "<end_of_turn>", "</s>",
  };
  guint i;

  for (i = 0; tok->eot < 0 && i < G_N_ELEMENTS (eot_texts); i++) {
    gint32 id = ovi_llm_tokenizer_find (tok, eot_texts[i], -1);

    if (id >= 0 && (!have_types || is_special_type (tok->types[id])))
      tok->eot = id;
  }
  if (tok->eom < 0) {
    gint32 id = ovi_llm_tokenizer_find (tok, "<|eom_id|>", -1);

    if (id >= 0 && (!have_types || is_special_type (tok->types[id])))
      tok->eom = id;
  }
  for (i = 0; i < G_N_ELEMENTS (eog_texts); i++) {
    gint32 id = ovi_llm_tokenizer_find (tok, eog_texts[i], -1);

    if (id >= 0 && is_special_type (tok->types[id]))
      tok->eog[id] = 1;
  }
  if (tok->eos >= 0)
    tok->eog[tok->eos] = 1;
  if (tok->eot >= 0)
    tok->eog[tok->eot] = 1;
  if (tok->eom >= 0)
    tok->eog[tok->eom] = 1;
}

static gboolean
load_tokens (OviLlmTokenizer *tok, const OviGguf *gguf, gsize *total,
    GError **error)
{
  const OviGgufArray *a = ovi_gguf_get_array (gguf, KEY "tokens");
  guint64 n, i;
  gsize at = 0;

  if (a == NULL || ovi_gguf_array_type (a) != OVI_GGUF_STRING) {
    set_invalid (error, "no " KEY "tokens array of strings");
    return FALSE;
  }
  n = ovi_gguf_array_length (a);
  if (n == 0 || n > MAX_VOCAB) {
    set_invalid (error, "%" G_GUINT64_FORMAT " tokens", n);
    return FALSE;
  }
  tok->n_vocab = (gint32) n;
  for (i = 0; i < n; i++) {
    gsize len;
    const char *s = ovi_gguf_array_string (a, i, &len);

    if (!utf8_valid (s, len)) {
      set_invalid (error, "token %" G_GUINT64_FORMAT " is not valid UTF-8",
          i);
      return FALSE;
    }
    /* The strings are inside the mapped file, so this sum is bounded by
     * the file size; the check keeps 32-bit offsets honest. */
    at += len + 1;
    if (at > G_MAXUINT32) {
      set_invalid (error, "token texts larger than 4 GiB");
      return FALSE;
    }
  }
  tok->texts = g_malloc (at);
  tok->text_off = g_new (guint32, n);
  tok->text_len = g_new (guint32, n);
  at = 0;
  for (i = 0; i < n; i++) {
    gsize len;
    const char *s = ovi_gguf_array_string (a, i, &len);

    memcpy (tok->texts + at, s, len);
    tok->texts[at + len] = '\0';
    tok->text_off[i] = at;
    tok->text_len[i] = len;
    at += len + 1;
  }
  *total = at;
  return TRUE;
}

static gboolean
load_scores_and_types (OviLlmTokenizer *tok, const OviGguf *gguf,
    gboolean *have_types, GError **error)
{
  const OviGgufArray *a;
  gint32 i;

  tok->scores = g_new0 (float, tok->n_vocab);
  tok->types = g_new (guint8, tok->n_vocab);
  memset (tok->types, OVI_LLM_TOKEN_NORMAL, tok->n_vocab);
  if (ovi_gguf_key_type (gguf, KEY "scores") >= 0) {
    a = ovi_gguf_get_array (gguf, KEY "scores");
    if (a == NULL || ovi_gguf_array_length (a) != (guint64) tok->n_vocab) {
      set_invalid (error, KEY "scores is not an array of one score per "
          "token");
      return FALSE;
    }
    for (i = 0; i < tok->n_vocab; i++) {
      double v;

      if (!ovi_gguf_array_get_float (a, i, &v)) {
        set_invalid (error, KEY "scores holds non-numbers");
        return FALSE;
      }
      /* NaN would make the merge order depend on the heap's layout. */
      tok->scores[i] = isnan (v) ? -G_MAXFLOAT : (float) v;
    }
  }
  *have_types = ovi_gguf_key_type (gguf, KEY "token_type") >= 0;
  if (*have_types) {
    a = ovi_gguf_get_array (gguf, KEY "token_type");
    if (a == NULL || ovi_gguf_array_length (a) != (guint64) tok->n_vocab) {
      set_invalid (error, KEY "token_type is not an array of one type per "
          "token");
      return FALSE;
    }
    for (i = 0; i < tok->n_vocab; i++) {
      gint64 v;

      if (!ovi_gguf_array_get_int (a, i, &v) || v < 0
          || v > OVI_LLM_TOKEN_BYTE) {
        set_invalid (error, "token %d has type outside 0..6", i);
        return FALSE;
      }
      tok->types[i] = v == OVI_LLM_TOKEN_UNDEFINED ? OVI_LLM_TOKEN_NORMAL
          : (guint8) v;
    }
  }
  return TRUE;
}

OviLlmTokenizer *
ovi_llm_tokenizer_new_from_gguf (const OviGguf *gguf, GError **error)
{
  OviLlmTokenizer *tok = g_new0 (OviLlmTokenizer, 1);
  const char *model = ovi_gguf_get_string (gguf, KEY "model", NULL);
  const char *pre;
  gboolean have_types = FALSE;
  gsize total = 0;
  guint b;

  tok->bos = tok->eos = tok->eot = tok->eom = tok->unk = tok->pad = -1;
  if (model == NULL) {
    set_invalid (error, "no " KEY "model");
    goto fail;
  }
  if (strcmp (model, "llama") == 0)
    tok->kind = OVI_LLM_TOKENIZER_SPM;
  else if (strcmp (model, "gpt2") == 0)
    tok->kind = OVI_LLM_TOKENIZER_BPE;
  else {
    g_set_error (error, OVI_LLM_TOKENIZER_ERROR,
        OVI_LLM_TOKENIZER_ERROR_UNSUPPORTED,
        "tokenizer model '%.64s' is not supported (llama, gpt2)", model);
    goto fail;
  }
  if (!load_tokens (tok, gguf, &total, error)
      || !load_scores_and_types (tok, gguf, &have_types, error))
    goto fail;
  text_index_build (tok);

  if (!read_id (gguf, KEY "bos_token_id", tok->n_vocab, &tok->bos, error)
      || !read_id (gguf, KEY "eos_token_id", tok->n_vocab, &tok->eos, error)
      || !read_id (gguf, KEY "eot_token_id", tok->n_vocab, &tok->eot, error)
      || !read_id (gguf, KEY "eom_token_id", tok->n_vocab, &tok->eom, error)
      || !read_id (gguf, KEY "unknown_token_id", tok->n_vocab, &tok->unk,
          error)
      || !read_id (gguf, KEY "padding_token_id", tok->n_vocab, &tok->pad,
          error))
    goto fail;
  /* llama.cpp's defaults: SentencePiece models add BOS and the dummy
   * space prefix, byte-level ones neither. */
  tok->add_bos = tok->kind == OVI_LLM_TOKENIZER_SPM;
  tok->add_space_prefix = tok->kind == OVI_LLM_TOKENIZER_SPM;
  tok->add_eos = FALSE;
  if (!read_flag (gguf, KEY "add_bos_token", &tok->add_bos, error)
      || !read_flag (gguf, KEY "add_eos_token", &tok->add_eos, error)
      || !read_flag (gguf, KEY "add_space_prefix", &tok->add_space_prefix,
          error))
    goto fail;
  if (!have_types) {
    /* Without types the named special tokens are still not text. */
    gint32 named[] = { tok->bos, tok->eos, tok->eot, tok->eom, tok->pad };
    for (b = 0; b < G_N_ELEMENTS (named); b++)
      if (named[b] >= 0)
        tok->types[named[b]] = OVI_LLM_TOKEN_CONTROL;
    if (tok->unk >= 0)
      tok->types[tok->unk] = OVI_LLM_TOKEN_UNKNOWN;
  }

  if (tok->kind == OVI_LLM_TOKENIZER_BPE) {
    pre = ovi_gguf_get_string (gguf, KEY "pre", NULL);
    if (ovi_gguf_key_type (gguf, KEY "pre") >= 0 && pre == NULL) {
      set_invalid (error, KEY "pre is not a string");
      goto fail;
    }
    if (pre == NULL || strcmp (pre, "default") == 0
        || strcmp (pre, "gpt-2") == 0)
      tok->pre = OVI_LLM_PRE_GPT2;
    else if (strcmp (pre, "llama-bpe") == 0) {
      tok->pre = OVI_LLM_PRE_LLAMA3;
      tok->ignore_merges = TRUE;
    } else if (strcmp (pre, "qwen2") == 0)
      tok->pre = OVI_LLM_PRE_QWEN2;
    else {
      g_set_error (error, OVI_LLM_TOKENIZER_ERROR,
          OVI_LLM_TOKENIZER_ERROR_UNSUPPORTED, "pre-tokenizer '%.64s' is "
          "not supported (gpt-2, llama-bpe, qwen2)", pre);
      goto fail;
    }
    tok->split = ovi_llm_pretokenizer_regex (tok->pre, error);
    if (tok->split == NULL || !load_merges (tok, gguf, error))
      goto fail;
    for (b = 0; b < 256; b++) {
      tok->byte_token[b] = ovi_llm_tokenizer_find (tok,
          ovi_llm_bpe_byte_char (b), -1);
      if (tok->byte_token[b] < 0) {
        set_invalid (error, "no token for byte 0x%02X", b);
        goto fail;
      }
    }
  } else {
    build_char_pairs (tok, total);
    for (b = 0; b < 256; b++) {
      char name[8];

      g_snprintf (name, sizeof name, "<0x%02X>", b);
      tok->byte_token[b] = ovi_llm_text_index_find (tok, name, 6);
    }
  }
  if (!build_pieces (tok, total, error))
    goto fail;
  build_specials (tok);
  tok->eog = g_new0 (guint8, tok->n_vocab);
  find_eog (tok, have_types);
  return tok;

fail:
  ovi_llm_tokenizer_free (tok);
  return NULL;
}

void
ovi_llm_tokenizer_free (OviLlmTokenizer *tok)
{
  if (tok == NULL)
    return;
  g_free (tok->texts);
  g_free (tok->text_off);
  g_free (tok->text_len);
  g_free (tok->scores);
  g_free (tok->types);
  g_free (tok->eog);
  g_free (tok->pieces);
  g_free (tok->piece_off);
  g_free (tok->piece_len);
  g_free (tok->index.slots);
  g_free (tok->index.hashes);
  g_free (tok->merges.keys);
  g_free (tok->merges.ranks);
  g_free (tok->merges.results);
  g_free (tok->char_pairs);
  g_free (tok->specials);
  if (tok->split)
    g_regex_unref (tok->split);
  g_free (tok);
}

/* The special token whose text starts at text[pos], or -1. */
static gint32
match_special (const OviLlmTokenizer *tok, const char *text, gsize len,
    gsize pos, gboolean parse_special)
{
  guint8 first = text[pos];
  guint32 k;

  for (k = tok->special_start[first]; k < tok->special_start[first + 1];
      k++) {
    gint32 id = tok->specials[k];
    guint32 tl = tok->text_len[id];

    if (!parse_special && tok->types[id] != OVI_LLM_TOKEN_USER_DEFINED)
      continue;
    if (tl <= len - pos
        && memcmp (text + pos, tok->texts + tok->text_off[id], tl) == 0)
      return id;
  }
  return -1;
}

static gboolean
encode_fragment (const OviLlmTokenizer *tok, const char *text, gsize len,
    GArray *out, GError **error)
{
  if (len == 0)
    return TRUE;
  if (tok->kind == OVI_LLM_TOKENIZER_SPM)
    /* As llama.cpp: the dummy prefix starts the text and follows each
     * special token, that is, it starts every raw fragment. */
    return ovi_llm_spm_encode (tok, text, len, tok->add_space_prefix, out,
        error);
  return ovi_llm_bpe_encode (tok, text, len, out, error);
}

gboolean
ovi_llm_tokenizer_encode (const OviLlmTokenizer *tok, const char *text,
    gssize len, gboolean add_special, gboolean parse_special,
    GArray *out_ids, GError **error)
{
  guint start_len = out_ids->len;
  gsize n = len < 0 ? strlen (text) : (gsize) len;
  gsize pos = 0, frag = 0;

  g_return_val_if_fail (g_array_get_element_size (out_ids) == 4, FALSE);
  if (n > G_MAXINT) {
    g_set_error (error, OVI_LLM_TOKENIZER_ERROR,
        OVI_LLM_TOKENIZER_ERROR_ENCODE, "text of %" G_GSIZE_FORMAT
        " bytes is too long to encode at once", n);
    return FALSE;
  }
  if (add_special && tok->add_bos && tok->bos >= 0)
    g_array_append_val (out_ids, tok->bos);
  while (pos < n) {
    gint32 id = match_special (tok, text, n, pos, parse_special);

    if (id < 0) {
      pos++;
      continue;
    }
    if (!encode_fragment (tok, text + frag, pos - frag, out_ids, error))
      goto fail;
    g_array_append_val (out_ids, id);
    pos += tok->text_len[id];
    frag = pos;
  }
  if (!encode_fragment (tok, text + frag, n - frag, out_ids, error))
    goto fail;
  if (add_special && tok->add_eos && tok->eos >= 0)
    g_array_append_val (out_ids, tok->eos);
  return TRUE;

fail:
  g_array_set_size (out_ids, start_len);
  return FALSE;
}

const char *
ovi_llm_tokenizer_token_piece (const OviLlmTokenizer *tok, gint32 id,
    gsize *len)
{
  if (id < 0 || id >= tok->n_vocab) {
    if (len)
      *len = 0;
    return NULL;
  }
  if (len)
    *len = tok->piece_len[id];
  return tok->pieces + tok->piece_off[id];
}

const char *
ovi_llm_tokenizer_token_text (const OviLlmTokenizer *tok, gint32 id)
{
  if (id < 0 || id >= tok->n_vocab)
    return NULL;
  return tok->texts + tok->text_off[id];
}

gint32
ovi_llm_tokenizer_find (const OviLlmTokenizer *tok, const char *text,
    gssize len)
{
  return ovi_llm_text_index_find (tok, text,
      len < 0 ? strlen (text) : (gsize) len);
}

OviLlmTokenizerKind
ovi_llm_tokenizer_kind (const OviLlmTokenizer *tok)
{
  return tok->kind;
}

gint32
ovi_llm_tokenizer_n_vocab (const OviLlmTokenizer *tok)
{
  return tok->n_vocab;
}

gint32
ovi_llm_tokenizer_bos (const OviLlmTokenizer *tok)
{
  return tok->bos;
}

gint32
ovi_llm_tokenizer_eos (const OviLlmTokenizer *tok)
{
  return tok->eos;
}

gint32
ovi_llm_tokenizer_eot (const OviLlmTokenizer *tok)
{
  return tok->eot;
}

gint32
ovi_llm_tokenizer_unk (const OviLlmTokenizer *tok)
{
  return tok->unk;
}

gint32
ovi_llm_tokenizer_pad (const OviLlmTokenizer *tok)
{
  return tok->pad;
}

gboolean
ovi_llm_tokenizer_add_bos (const OviLlmTokenizer *tok)
{
  return tok->add_bos;
}

gboolean
ovi_llm_tokenizer_add_eos (const OviLlmTokenizer *tok)
{
  return tok->add_eos;
}

OviLlmTokenType
ovi_llm_tokenizer_token_type (const OviLlmTokenizer *tok, gint32 id)
{
  if (id < 0 || id >= tok->n_vocab)
    return OVI_LLM_TOKEN_UNDEFINED;
  return tok->types[id];
}

gboolean
ovi_llm_tokenizer_is_control (const OviLlmTokenizer *tok, gint32 id)
{
  return ovi_llm_tokenizer_token_type (tok, id) == OVI_LLM_TOKEN_CONTROL;
}

gboolean
ovi_llm_tokenizer_is_eog (const OviLlmTokenizer *tok, gint32 id)
{
  return id >= 0 && id < tok->n_vocab && tok->eog[id];
}
