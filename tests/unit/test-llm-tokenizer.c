/* Tokenizers driven by GGUF metadata.
 *
 * Always run: small generated vocabularies (tests/models/
 * make-tokenizer-tests.py) whose expected ids are worked out by hand in the
 * comments below: SentencePiece merge order by score and byte fallback,
 * byte-level BPE merge order by rank, the three pre-tokenizers, special
 * tokens, the streaming detokenizer's UTF-8 handling and hostile metadata.
 *
 * With real vocabularies: tools/llm/fetch-tokenizer-vocabs.sh packs
 * llama-tokenizer-js (LLaMA SentencePiece), llama3-tokenizer-js (Llama 3
 * BPE) and gpt-tokenizer (GPT-2 r50k) into GGUFs with those packages' own
 * ids for every case of tests/data/llm/tokenizer-corpus.txt; the ids here
 * must be identical and decoding must give the text back. The directory is
 * $OVI_LLM_VOCAB_DIR, else models/llm/vocab in the source tree; without
 * the files these tests are skipped. */
#include <string.h>

#include <glib.h>

#include "tokenizer-private.h"

static OviLlmTokenizer *
load (const char *name)
{
  g_autofree char *file = g_strdup_printf ("tok-%s.gguf", name);
  g_autofree char *path = g_build_filename (g_getenv ("OVI_TEST_MODELS"),
      file, NULL);
  GError *error = NULL;
  g_autoptr (OviGguf) g = ovi_gguf_open (path, &error);
  OviLlmTokenizer *tok;

  g_assert_no_error (error);
  tok = ovi_llm_tokenizer_new_from_gguf (g, &error);
  g_assert_no_error (error);
  g_assert_nonnull (tok);
  return tok;
}

static GArray *
encode (const OviLlmTokenizer *tok, const char *text, gssize len,
    gboolean add_special, gboolean parse_special)
{
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  GError *error = NULL;

  g_assert_true (ovi_llm_tokenizer_encode (tok, text, len, add_special,
          parse_special, ids, &error));
  g_assert_no_error (error);
  return ids;
}

static void
assert_ids (GArray *got, const gint32 *want, gsize n)
{
  gsize i;

  if (got->len != n) {
    GString *s = g_string_new (NULL);

    for (i = 0; i < got->len; i++)
      g_string_append_printf (s, " %d", g_array_index (got, gint32, i));
    g_test_message ("got%s", s->str);
    g_string_free (s, TRUE);
  }
  g_assert_cmpuint (got->len, ==, n);
  for (i = 0; i < n; i++)
    g_assert_cmpint (g_array_index (got, gint32, i), ==, want[i]);
}

#define ASSERT_IDS(got, ...) G_STMT_START { \
    const gint32 want_[] = { __VA_ARGS__ }; \
    assert_ids (got, want_, G_N_ELEMENTS (want_)); \
    g_array_unref (got); \
  } G_STMT_END

static gint32
id_of (const OviLlmTokenizer *tok, const char *text)
{
  gint32 id = ovi_llm_tokenizer_find (tok, text, -1);

  g_assert_cmpint (id, >=, 0);
  return id;
}

static char *
decode (const OviLlmTokenizer *tok, GArray *ids, gboolean skip_special)
{
  GError *error = NULL;
  char *s = ovi_llm_tokenizer_decode (tok, (const gint32 *) ids->data,
      ids->len, skip_special, NULL, &error);

  g_assert_no_error (error);
  return s;
}

/* Encoding then decoding gives the text back. */
static void
assert_round_trip (const OviLlmTokenizer *tok, const char *text,
    gboolean parse_special)
{
  GArray *ids = encode (tok, text, -1, FALSE, parse_special);
  g_autofree char *back = decode (tok, ids, FALSE);

  g_assert_cmpstr (back, ==, text);
  g_array_unref (ids);
}

/* ---- SentencePiece. Vocabulary (make-tokenizer-tests.py): <unk> <s> </s>,
 * <0x00>..<0xFF>, then ▁ a b c é (score -10), ab -3, bc -1, abc -5,
 * ▁a -2, aa -4, ▁▁ -6, <|user|> (user-defined), <|ctl|> (control). */

static void
test_spm_merges (void)
{
  g_autoptr (OviLlmTokenizer) tok = load ("spm");
  g_autoptr (OviLlmTokenizer) np = load ("spm-no-prefix");
  gint32 sp = id_of (tok, "\xe2\x96\x81"), a = id_of (tok, "a");
  gint32 b = id_of (tok, "b"), e = id_of (tok, "é");
  gint32 bc = id_of (tok, "bc"), spa = id_of (tok, "\xe2\x96\x81" "a");
  gint32 aa = id_of (tok, "aa"), spsp = id_of (tok, "\xe2\x96\x81\xe2\x96\x81");

  g_assert_cmpint (ovi_llm_tokenizer_kind (tok), ==, OVI_LLM_TOKENIZER_SPM);
  g_assert_cmpint (ovi_llm_tokenizer_n_vocab (tok), ==, 3 + 256 + 13);
  /* ▁ a b c: bc (-1) first, then ▁a (-2); abc (-5) is stale by then. */
  ASSERT_IDS (encode (tok, "abc", -1, FALSE, FALSE), spa, bc);
  /* ▁ a a a: ▁a first takes the first a; the second aa is still valid. */
  ASSERT_IDS (encode (tok, "aaa", -1, FALSE, FALSE), spa, aa);
  /* Equal scores: the leftmost pair first (a a a -> aa a, not a aa). */
  ASSERT_IDS (encode (np, "aaa", -1, FALSE, FALSE), aa, a);
  ASSERT_IDS (encode (np, "aaaa", -1, FALSE, FALSE), aa, aa);
  /* ▁ ▁ ▁ a: ▁a (-2) before ▁▁ (-6). */
  ASSERT_IDS (encode (tok, "  a", -1, FALSE, FALSE), spsp, spa);
  ASSERT_IDS (encode (tok, "é b", -1, FALSE, FALSE), sp, e, sp, b);
  /* BOS by add_bos_token (default for "llama"), EOS when asked. */
  ASSERT_IDS (encode (tok, "a", -1, TRUE, FALSE), 1, spa);
  ASSERT_IDS (encode (np, "a", -1, TRUE, FALSE), 1, a, 2);
  ASSERT_IDS (encode (tok, "", -1, TRUE, FALSE), 1);
  ASSERT_IDS (encode (tok, "", -1, FALSE, FALSE));
  g_assert_true (ovi_llm_tokenizer_add_bos (tok));
  g_assert_false (ovi_llm_tokenizer_add_eos (tok));
  g_assert_true (ovi_llm_tokenizer_add_eos (np));
  assert_round_trip (tok, "abc aaa  a é", FALSE);
  assert_round_trip (np, "abc aaa  a é", FALSE);
  assert_round_trip (tok, " leading", FALSE);
}

static void
test_spm_byte_fallback (void)
{
  g_autoptr (OviLlmTokenizer) tok = load ("spm");
  g_autoptr (OviLlmTokenizer) unk = load ("spm-unk-only");
  g_autoptr (OviLlmTokenizer) none = load ("spm-no-fallback");
  gint32 sp = id_of (tok, "\xe2\x96\x81"), spa = id_of (tok, "\xe2\x96\x81" "a");
  GArray *ids;
  GError *error = NULL;
  g_autofree char *text = NULL;

  /* x and € are not tokens: their UTF-8 bytes. */
  ASSERT_IDS (encode (tok, "x€", -1, FALSE, FALSE), sp, id_of (tok, "<0x78>"),
      id_of (tok, "<0xE2>"), id_of (tok, "<0x82>"), id_of (tok, "<0xAC>"));
  /* Invalid UTF-8 goes to the byte tokens too, losslessly. */
  ids = encode (tok, "a\xff", -1, FALSE, FALSE);
  g_assert_cmpint (g_array_index (ids, gint32, 0), ==, spa);
  g_assert_cmpint (g_array_index (ids, gint32, 1), ==, id_of (tok, "<0xFF>"));
  text = decode (tok, ids, TRUE);
  g_assert_cmpstr (text, ==, "a\xef\xbf\xbd");
  g_array_unref (ids);
  assert_round_trip (tok, "x€ 😀\ttab\nnewline", FALSE);

  /* Without byte tokens: one unknown token per unknown character. */
  ASSERT_IDS (encode (unk, "x€a", -1, FALSE, FALSE),
      id_of (unk, "\xe2\x96\x81"), 0, 0, id_of (unk, "a"));
  /* Without either: an error, and out_ids untouched. */
  ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_array_append_val (ids, sp);
  g_assert_false (ovi_llm_tokenizer_encode (none, "ax", -1, TRUE, FALSE, ids,
          &error));
  g_assert_error (error, OVI_LLM_TOKENIZER_ERROR,
      OVI_LLM_TOKENIZER_ERROR_ENCODE);
  g_clear_error (&error);
  g_assert_cmpuint (ids->len, ==, 1);
  g_array_unref (ids);
  g_assert_cmpint (ovi_llm_tokenizer_unk (none), ==, -1);
}

static void
test_spm_special (void)
{
  g_autoptr (OviLlmTokenizer) tok = load ("spm");
  gint32 sp = id_of (tok, "\xe2\x96\x81"), spa = id_of (tok, "\xe2\x96\x81" "a");
  gint32 user = id_of (tok, "<|user|>"), ctl = id_of (tok, "<|ctl|>");
  GArray *ids;
  guint i;

  /* Each text fragment after a special token starts with the dummy
   * prefix again (as llama.cpp does). */
  ASSERT_IDS (encode (tok, "a<|user|>b<|ctl|>c", -1, FALSE, TRUE), spa,
      user, sp, id_of (tok, "b"), ctl, sp, id_of (tok, "c"));
  /* User-defined tokens are recognised without parse_special, control
   * tokens only with it. */
  ids = encode (tok, "a<|user|>b<|ctl|>c", -1, FALSE, FALSE);
  g_assert_cmpint (g_array_index (ids, gint32, 1), ==, user);
  for (i = 0; i < ids->len; i++)
    g_assert_cmpint (g_array_index (ids, gint32, i), !=, ctl);
  g_array_unref (ids);
  ASSERT_IDS (encode (tok, "<s>", -1, FALSE, TRUE), 1);
  assert_round_trip (tok, "<s> and <|ctl|> as text", FALSE);

  g_assert_cmpint (ovi_llm_tokenizer_bos (tok), ==, 1);
  g_assert_cmpint (ovi_llm_tokenizer_eos (tok), ==, 2);
  g_assert_cmpint (ovi_llm_tokenizer_unk (tok), ==, 0);
  g_assert_true (ovi_llm_tokenizer_is_control (tok, 1));
  g_assert_true (ovi_llm_tokenizer_is_control (tok, ctl));
  g_assert_false (ovi_llm_tokenizer_is_control (tok, user));
  g_assert_false (ovi_llm_tokenizer_is_control (tok, -1));
  g_assert_true (ovi_llm_tokenizer_is_eog (tok, 2));
  g_assert_false (ovi_llm_tokenizer_is_eog (tok, 1));
  g_assert_false (ovi_llm_tokenizer_is_eog (tok, 1 << 20));
  g_assert_cmpint (ovi_llm_tokenizer_token_type (tok, 3), ==,
      OVI_LLM_TOKEN_BYTE);
  g_assert_cmpint (ovi_llm_tokenizer_token_type (tok, 99999), ==,
      OVI_LLM_TOKEN_UNDEFINED);
  g_assert_cmpstr (ovi_llm_tokenizer_token_text (tok, spa), ==,
      "\xe2\x96\x81" "a");
  g_assert_null (ovi_llm_tokenizer_token_text (tok, -5));
}

static void
test_spm_pieces (void)
{
  g_autoptr (OviLlmTokenizer) tok = load ("spm");
  gsize len;
  const char *p;
  GArray *ids;
  char *s;

  p = ovi_llm_tokenizer_token_piece (tok, id_of (tok, "\xe2\x96\x81" "a"),
      &len);
  g_assert_cmpmem (p, len, " a", 2);
  p = ovi_llm_tokenizer_token_piece (tok, id_of (tok, "<0x0A>"), &len);
  g_assert_cmpmem (p, len, "\n", 1);
  p = ovi_llm_tokenizer_token_piece (tok, id_of (tok, "<0x00>"), &len);
  g_assert_cmpmem (p, len, "\0", 1);
  p = ovi_llm_tokenizer_token_piece (tok, 1, &len);
  g_assert_cmpmem (p, len, "<s>", 3);
  g_assert_null (ovi_llm_tokenizer_token_piece (tok, 100000, &len));
  g_assert_cmpuint (len, ==, 0);

  /* The dummy prefix is dropped from the first text piece only; control
   * tokens are skipped or kept. */
  ids = encode (tok, "abc  a", -1, TRUE, FALSE);
  s = decode (tok, ids, TRUE);
  g_assert_cmpstr (s, ==, "abc  a");
  g_free (s);
  s = decode (tok, ids, FALSE);
  g_assert_cmpstr (s, ==, "<s>abc  a");
  g_free (s);
  g_array_unref (ids);
}

/* ---- Byte-level BPE. Vocabulary: ids 0..255 are the bytes' GPT-2
 * characters (id = byte value), then merge results in rank order: he ll
 * hell hello Ġw or Ġwor bc ab aa 12 123 45 12345 ĠĠ (ids 256..270), abcd
 * (271, made by no merge), <|endoftext|> <|im_end|> (control, 272 273),
 * <|user|> (user-defined, 274). */

static void
test_bpe_merges (void)
{
  g_autoptr (OviLlmTokenizer) tok = load ("bpe-gpt2");
  GArray *ids;
  g_autofree char *s = NULL;

  g_assert_cmpint (ovi_llm_tokenizer_kind (tok), ==, OVI_LLM_TOKENIZER_BPE);
  g_assert_cmpint (ovi_llm_tokenizer_n_vocab (tok), ==, 275);
  g_assert_false (ovi_llm_tokenizer_add_bos (tok));
  /* hello: he, ll, he+ll, hell+o. " world": Ġw, or, Ġw+or, then l d. */
  ASSERT_IDS (encode (tok, "hello world", -1, TRUE, FALSE), 259, 262, 'l',
      'd');
  /* b c (rank 7) before a b (rank 8), wherever they are. */
  ASSERT_IDS (encode (tok, "abc", -1, FALSE, FALSE), 'a', 263);
  /* Equal ranks: leftmost first. */
  ASSERT_IDS (encode (tok, "aaa", -1, FALSE, FALSE), 265, 'a');
  /* abcd is a token but no merge makes it. */
  ASSERT_IDS (encode (tok, "abcd", -1, FALSE, FALSE), 'a', 263, 'd');
  /* GPT-2 keeps digits together: 12, 12+3, 45, 123+45. */
  ASSERT_IDS (encode (tok, "12345", -1, FALSE, FALSE), 269);
  /* "   x": "  " (whitespace not followed by non-space), then " x". */
  ASSERT_IDS (encode (tok, "   x", -1, FALSE, FALSE), 270, ' ', 'x');
  /* Invalid UTF-8: each bad byte a word of its own, kept. */
  ids = encode (tok, "a\xff" "b", -1, FALSE, FALSE);
  assert_ids (ids, (const gint32[]) { 'a', 0xff, 'b' }, 3);
  s = decode (tok, ids, FALSE);
  g_assert_cmpstr (s, ==, "a\xef\xbf\xbd" "b");
  g_array_unref (ids);
  assert_round_trip (tok, "hello world, 12345 abcd!\n\n\t x €😀", FALSE);
}

static void
test_bpe_pretokenizers (void)
{
  g_autoptr (OviLlmTokenizer) llama3 = load ("bpe-llama3");
  g_autoptr (OviLlmTokenizer) qwen2 = load ("bpe-qwen2");

  /* Llama 3: digits in threes; a word that is a token is taken whole. */
  ASSERT_IDS (encode (llama3, "12345", -1, FALSE, FALSE), 267, 268);
  ASSERT_IDS (encode (llama3, "abcd", -1, FALSE, FALSE), 271);
  /* Qwen2: each digit alone; merges as usual. */
  ASSERT_IDS (encode (qwen2, "12345", -1, FALSE, FALSE), '1', '2', '3', '4',
      '5');
  ASSERT_IDS (encode (qwen2, "abcd", -1, FALSE, FALSE), 'a', 263, 'd');
  assert_round_trip (llama3, "hello world, 12345 abcd!\n\n\t x €😀", FALSE);
  assert_round_trip (qwen2, "hello world, 12345 abcd!\n\n\t x €😀", FALSE);
}

static void
assert_split (OviLlmPreTokenizer pre, const char *text, ...)
{
  GError *error = NULL;
  g_auto (GStrv) words = ovi_llm_pretokenize_split (pre, text, -1, &error);
  va_list args;
  const char *want;
  guint i = 0;

  g_assert_no_error (error);
  va_start (args, text);
  while ((want = va_arg (args, const char *)) != NULL) {
    g_assert_nonnull (words[i]);
    g_assert_cmpstr (words[i], ==, want);
    i++;
  }
  va_end (args);
  if (words[i] != NULL)
    g_test_message ("extra word '%s'", words[i]);
  g_assert_null (words[i]);
}

static void
test_pretokenizer_split (void)
{
  const char *text = "Hello world 12345 don't\n\n  x";

  /* Worked out from each pattern's alternatives, in order. */
  assert_split (OVI_LLM_PRE_QWEN2, text, "Hello", " world", " ", "1", "2",
      "3", "4", "5", " don", "'t", "\n\n", " ", " x", NULL);
  assert_split (OVI_LLM_PRE_LLAMA3, text, "Hello", " world", " ", "123",
      "45", " don", "'t", "\n\n", " ", " x", NULL);
  assert_split (OVI_LLM_PRE_GPT2, text, "Hello", " world", " 12345", " don",
      "'t", "\n\n ", " x", NULL);
  /* Contractions: case-insensitive for Llama 3 and Qwen2, not for GPT-2. */
  assert_split (OVI_LLM_PRE_QWEN2, "WE'LL it'S", "WE", "'LL", " it", "'S",
      NULL);
  assert_split (OVI_LLM_PRE_GPT2, "WE'LL it's", "WE", "'", "LL", " it", "'s",
      NULL);
  /* Unicode classes: letters of any script, other numbers, wide spaces. */
  assert_split (OVI_LLM_PRE_QWEN2, "héllo\xe3\x80\x80世界 ١٢", "héllo",
      "\xe3\x80\x80世界", " ", "١", "٢", NULL);
  /* Punctuation takes the newlines after it (Llama 3, Qwen2). */
  assert_split (OVI_LLM_PRE_LLAMA3, "x...\n\ny", "x", "...\n\n", "y", NULL);
  /* Invalid bytes are words alone. */
  assert_split (OVI_LLM_PRE_LLAMA3, "ab\xff\xfe" "cd", "ab", "\xff", "\xfe",
      "cd", NULL);
}

static void
test_bpe_special (void)
{
  g_autoptr (OviLlmTokenizer) tok = load ("bpe-gpt2");
  g_autoptr (OviLlmTokenizer) untyped = load ("bpe-untyped");
  GArray *ids;
  guint i;

  ASSERT_IDS (encode (tok, "x<|endoftext|>y", -1, FALSE, TRUE), 'x', 272,
      'y');
  ids = encode (tok, "x<|endoftext|>y", -1, FALSE, FALSE);
  for (i = 0; i < ids->len; i++)
    g_assert_cmpint (g_array_index (ids, gint32, i), <, 256);
  g_array_unref (ids);
  ASSERT_IDS (encode (tok, "a<|user|>b", -1, FALSE, FALSE), 'a', 274, 'b');
  /* Longest text first at a position; an unfinished one is text. */
  ASSERT_IDS (encode (tok, "<|im_end|><|im_end", -1, FALSE, TRUE), 273, '<',
      '|', 'i', 'm', '_', 'e', 'n', 'd');
  assert_round_trip (tok, "x<|endoftext|>y<|user|>", TRUE);

  g_assert_cmpint (ovi_llm_tokenizer_eos (tok), ==, 272);
  g_assert_cmpint (ovi_llm_tokenizer_eot (tok), ==, 273);
  g_assert_cmpint (ovi_llm_tokenizer_bos (tok), ==, -1);
  g_assert_cmpint (ovi_llm_tokenizer_pad (tok), ==, -1);
  g_assert_true (ovi_llm_tokenizer_is_eog (tok, 272));
  g_assert_true (ovi_llm_tokenizer_is_eog (tok, 273));
  g_assert_false (ovi_llm_tokenizer_is_eog (tok, 274));
  g_assert_false (ovi_llm_tokenizer_is_eog (tok, 'a'));

  /* No token_type: the eos id is control, the rest plain text. */
  g_assert_true (ovi_llm_tokenizer_is_control (untyped, 272));
  g_assert_cmpint (ovi_llm_tokenizer_token_type (untyped, 273), ==,
      OVI_LLM_TOKEN_NORMAL);
  ASSERT_IDS (encode (untyped, "<|endoftext|>", -1, FALSE, TRUE), 272);
  ids = encode (untyped, "<|im_end|>", -1, FALSE, TRUE);
  g_assert_cmpuint (ids->len, >, 1);
  g_array_unref (ids);
}

/* Runs of one character as long as a big prompt: one word (a single
 * regex match, a single merge heap), paired off from the left. */
static void
test_long_runs (void)
{
  g_autoptr (OviLlmTokenizer) bpe = load ("bpe-llama3");
  g_autoptr (OviLlmTokenizer) spm = load ("spm-no-prefix");
  gsize n = 1 << 20, i;
  char *text = g_malloc (n + 1);
  const char fill[] = { 'a', ' ' };
  const gint32 pair_bpe[] = { 265, 270 };
  guint k;

  for (k = 0; k < 2; k++) {
    GArray *ids;
    char *back;

    memset (text, fill[k], n);
    text[n] = '\0';
    ids = encode (bpe, text, n, FALSE, FALSE);
    g_assert_cmpuint (ids->len, ==, n / 2);
    for (i = 0; i < ids->len; i++)
      g_assert_cmpint (g_array_index (ids, gint32, i), ==, pair_bpe[k]);
    back = decode (bpe, ids, FALSE);
    g_assert_true (strcmp (back, text) == 0);
    g_free (back);
    g_array_unref (ids);
  }
  memset (text, 'a', n);
  {
    GArray *ids = encode (spm, text, n, FALSE, FALSE);
    gint32 aa = id_of (spm, "aa");

    g_assert_cmpuint (ids->len, ==, n / 2);
    for (i = 0; i < ids->len; i++)
      g_assert_cmpint (g_array_index (ids, gint32, i), ==, aa);
    g_array_unref (ids);
  }
  g_free (text);
}

/* ---- Streaming detokenizer (on the BPE vocabulary, where id = byte). */

static void
feed (OviLlmDetokenizer *det, GString *out, gint32 id, const char *want,
    gsize pending)
{
  g_string_truncate (out, 0);
  g_assert_true (ovi_llm_detokenizer_feed (det, id, out));
  g_assert_cmpstr (out->str, ==, want);
  g_assert_true (g_utf8_validate (out->str, out->len, NULL));
  g_assert_cmpuint (ovi_llm_detokenizer_pending (det), ==, pending);
}

static void
test_detokenizer_utf8 (void)
{
  g_autoptr (OviLlmTokenizer) tok = load ("bpe-gpt2");
  g_autoptr (OviLlmDetokenizer) det = ovi_llm_detokenizer_new (tok, TRUE);
  g_autoptr (GString) out = g_string_new (NULL);

  /* € = E2 82 AC: held until complete. */
  feed (det, out, 0xe2, "", 1);
  feed (det, out, 0x82, "", 2);
  feed (det, out, 0xac, "€", 0);
  /* 😀 = F0 9F 98 80 after ASCII. */
  feed (det, out, 'a', "a", 0);
  feed (det, out, 0xf0, "", 1);
  feed (det, out, 0x9f, "", 2);
  feed (det, out, 0x98, "", 3);
  feed (det, out, 0x80, "😀", 0);
  /* A lone continuation byte and an impossible byte. */
  feed (det, out, 0x80, "\xef\xbf\xbd", 0);
  feed (det, out, 0xff, "\xef\xbf\xbd", 0);
  /* A sequence cut short by ASCII: one U+FFFD for the maximal subpart. */
  feed (det, out, 0xe2, "", 1);
  feed (det, out, 0x82, "", 2);
  feed (det, out, 'b', "\xef\xbf\xbd" "b", 0);
  /* A surrogate (ED A0 80) is three invalid subparts. */
  feed (det, out, 0xed, "", 1);
  feed (det, out, 0xa0, "\xef\xbf\xbd\xef\xbf\xbd", 0);
  feed (det, out, 0x80, "\xef\xbf\xbd", 0);
  /* Overlong E0 80: E0 may not be followed by 80. */
  feed (det, out, 0xe0, "", 1);
  feed (det, out, 0x80, "\xef\xbf\xbd\xef\xbf\xbd", 0);
  /* Control tokens are skipped; the pending bytes wait through them. */
  feed (det, out, 0xc3, "", 1);
  feed (det, out, 272, "", 1);
  feed (det, out, 0xa9, "é", 0);
  /* The end of the stream with a character unfinished: one U+FFFD. */
  feed (det, out, 0xf0, "", 1);
  feed (det, out, 0x9f, "", 2);
  g_string_truncate (out, 0);
  ovi_llm_detokenizer_flush (det, out);
  g_assert_cmpstr (out->str, ==, "\xef\xbf\xbd");
  g_assert_cmpuint (ovi_llm_detokenizer_pending (det), ==, 0);
  /* Out of range: refused, nothing written. */
  g_string_truncate (out, 0);
  g_assert_false (ovi_llm_detokenizer_feed (det, 275, out));
  g_assert_false (ovi_llm_detokenizer_feed (det, -1, out));
  g_assert_cmpuint (out->len, ==, 0);
  /* A merged token holding a whole character after a partial one. */
  feed (det, out, 0xe2, "", 1);
  ovi_llm_detokenizer_reset (det);
  g_assert_cmpuint (ovi_llm_detokenizer_pending (det), ==, 0);
  feed (det, out, 259, "hello", 0);
}

static void
test_detokenizer_special (void)
{
  g_autoptr (OviLlmTokenizer) tok = load ("bpe-gpt2");
  g_autoptr (OviLlmTokenizer) spm = load ("spm");
  g_autoptr (OviLlmDetokenizer) keep = ovi_llm_detokenizer_new (tok, FALSE);
  g_autoptr (OviLlmDetokenizer) sdet = ovi_llm_detokenizer_new (spm, TRUE);
  g_autoptr (GString) out = g_string_new (NULL);
  gint32 spa = id_of (spm, "\xe2\x96\x81" "a");
  GError *error = NULL;
  const gint32 bad[] = { 'a', 9999 };
  char *s;

  feed (keep, out, 272, "<|endoftext|>", 0);
  feed (keep, out, 274, "<|user|>", 0);
  /* SentencePiece: the first text piece loses the dummy prefix, later
   * ones keep their spaces, and again after a reset. */
  feed (sdet, out, 1, "", 0);
  feed (sdet, out, spa, "a", 0);
  feed (sdet, out, spa, " a", 0);
  ovi_llm_detokenizer_reset (sdet);
  feed (sdet, out, spa, "a", 0);

  s = ovi_llm_tokenizer_decode (tok, bad, 2, TRUE, NULL, &error);
  g_assert_null (s);
  g_assert_error (error, OVI_LLM_TOKENIZER_ERROR,
      OVI_LLM_TOKENIZER_ERROR_INVALID);
  g_clear_error (&error);
}

/* ---- Hostile metadata: each file breaks one rule. */

static void
test_hostile (gconstpointer data)
{
  const char *name = data;
  g_autofree char *file = g_strdup_printf ("tok-hostile-%s.gguf", name);
  g_autofree char *path = g_build_filename (g_getenv ("OVI_TEST_MODELS"),
      file, NULL);
  GError *error = NULL;
  g_autoptr (OviGguf) g = ovi_gguf_open (path, &error);
  OviLlmTokenizer *tok;

  g_assert_no_error (error);
  tok = ovi_llm_tokenizer_new_from_gguf (g, &error);
  g_assert_null (tok);
  g_assert_nonnull (error);
  g_assert_true (error->domain == OVI_LLM_TOKENIZER_ERROR);
  g_test_message ("%s: %s", name, error->message);
  g_error_free (error);
}

static const char *const hostile[] = {
  "no-model", "model-bert", "no-tokens", "tokens-not-strings",
  "empty-tokens", "scores-short", "scores-strings", "types-long", "type-9",
  "type-negative", "bos-out-of-range", "eos-huge", "unk-negative",
  "eos-string", "add-bos-string", "token-invalid-utf8",
  "token-overlong-utf8", "byte-token-malformed", "bpe-no-merges",
  "bpe-merges-not-strings", "bpe-merge-no-space", "bpe-merge-empty-right",
  "bpe-merge-unknown-part", "bpe-merge-unknown-result",
  "bpe-merge-invalid-utf8", "bpe-missing-byte", "bpe-pre-unknown",
  "bpe-pre-int",
};

/* ---- Real vocabularies against the npm packages' own ids. */

typedef struct {
  const char *name;
  const char *description;
} RealVocab;

static const RealVocab real_vocabs[] = {
  { "llama-spm", "LLaMA SentencePiece, llama-tokenizer-js" },
  { "llama3-bpe", "Llama 3 BPE, llama3-tokenizer-js" },
  { "gpt2", "GPT-2 r50k_base, gpt-tokenizer" },
};

static char *
vocab_path (const char *file)
{
  const char *dir = g_getenv ("OVI_LLM_VOCAB_DIR");

  return g_build_filename (dir ? dir : OVI_DEFAULT_VOCAB_DIR, file, NULL);
}

/* The corpus cases, split as export-vocab.js splits them. */
static GPtrArray *
corpus_cases (char **whole)
{
  GError *error = NULL;
  char *text = NULL;
  gsize len;
  GPtrArray *cases = g_ptr_array_new_with_free_func (g_free);
  char *body, *p, *sep;

  g_assert_true (g_file_get_contents (OVI_TOKENIZER_CORPUS, &text, &len,
          &error));
  g_assert_no_error (error);
  body = g_strndup (text, len > 0 && text[len - 1] == '\n' ? len - 1 : len);
  for (p = body; (sep = strstr (p, "\n%%\n")) != NULL; p = sep + 4)
    g_ptr_array_add (cases, g_strndup (p, sep - p));
  g_ptr_array_add (cases, g_strdup (p));
  g_free (body);
  *whole = text;
  return cases;
}

static GArray *
parse_ids (const char *line)
{
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_auto (GStrv) parts = g_strsplit (line, " ", -1);
  guint i;

  for (i = 0; parts[i]; i++) {
    gint32 v;

    if (parts[i][0] == '\0')
      continue;
    v = (gint32) g_ascii_strtoll (parts[i], NULL, 10);
    g_array_append_val (ids, v);
  }
  return ids;
}

static gboolean
same_ids (GArray *a, GArray *b)
{
  return a->len == b->len && memcmp (a->data, b->data, 4 * a->len) == 0;
}

static char *
ids_string (GArray *ids)
{
  GString *s = g_string_new (NULL);
  guint i;

  for (i = 0; i < ids->len && i < 64; i++)
    g_string_append_printf (s, "%s%d", i ? " " : "", g_array_index (ids,
            gint32, i));
  if (ids->len > 64)
    g_string_append (s, " ...");
  return g_string_free (s, FALSE);
}

static void
test_real (gconstpointer data)
{
  const RealVocab *rv = data;
  g_autofree char *gguf_name = g_strconcat (rv->name, ".gguf", NULL);
  g_autofree char *ids_name = g_strconcat (rv->name, ".ids", NULL);
  g_autofree char *gguf_path = vocab_path (gguf_name);
  g_autofree char *ids_path = vocab_path (ids_name);
  g_autofree char *ids_text = NULL;
  g_autofree char *whole = NULL;
  g_autoptr (GPtrArray) cases = NULL;
  g_auto (GStrv) lines = NULL;
  g_autoptr (OviGguf) g = NULL;
  g_autoptr (OviLlmTokenizer) tok = NULL;
  GError *error = NULL;
  gboolean parse_special;
  guint i, n_lines, mismatches = 0, round_trip_failures = 0;
  gint64 t0;

  if (!g_file_test (gguf_path, G_FILE_TEST_EXISTS)
      || !g_file_test (ids_path, G_FILE_TEST_EXISTS)) {
    g_autofree char *msg = g_strdup_printf ("%s (%s) not found: run "
        "tools/llm/fetch-tokenizer-vocabs.sh (npm) or set OVI_LLM_VOCAB_DIR",
        gguf_path, rv->description);
    g_test_skip (msg);
    return;
  }
  t0 = g_get_monotonic_time ();
  g = ovi_gguf_open (gguf_path, &error);
  g_assert_no_error (error);
  tok = ovi_llm_tokenizer_new_from_gguf (g, &error);
  g_assert_no_error (error);
  g_test_message ("%s: %d tokens, opened and loaded in %.1f ms", rv->name,
      ovi_llm_tokenizer_n_vocab (tok),
      (g_get_monotonic_time () - t0) / 1000.0);

  g_assert_true (g_file_get_contents (ids_path, &ids_text, NULL, &error));
  g_assert_no_error (error);
  lines = g_strsplit (ids_text, "\n", -1);
  g_assert_true (g_str_has_prefix (lines[0], "# "));
  parse_special = strstr (lines[0], "parse_special=1") != NULL;
  cases = corpus_cases (&whole);
  n_lines = g_strv_length (lines);
  /* Header, one line per case, the whole corpus, the final newline. */
  g_assert_cmpuint (n_lines, ==, cases->len + 3);

  for (i = 0; i <= cases->len; i++) {
    const char *text = i < cases->len ? g_ptr_array_index (cases, i) : whole;
    g_autoptr (GArray) want = parse_ids (lines[i + 1]);
    g_autoptr (GArray) got = encode (tok, text, -1, TRUE, parse_special);
    g_autoptr (GArray) plain = encode (tok, text, -1, FALSE, parse_special);
    g_autofree char *back = decode (tok, plain, FALSE);

    if (!same_ids (want, got)) {
      g_autofree char *w = ids_string (want);
      g_autofree char *o = ids_string (got);
      g_autofree char *esc = g_strescape (text, NULL);

      g_test_message ("case %u \"%.200s\":\n  package %s\n  ours    %s", i,
          esc, w, o);
      mismatches++;
    }
    if (strcmp (back, text) != 0) {
      g_autofree char *esc = g_strescape (text, NULL);
      g_autofree char *besc = g_strescape (back, NULL);

      g_test_message ("case %u round trip \"%.200s\" -> \"%.200s\"", i, esc,
          besc);
      round_trip_failures++;
    }
  }
  g_test_message ("%s: %u cases + the whole corpus, %u id mismatches, %u "
      "round-trip failures", rv->name, cases->len, mismatches,
      round_trip_failures);
  g_assert_cmpuint (mismatches, ==, 0);
  g_assert_cmpuint (round_trip_failures, ==, 0);
}

/* Speed on about 1 MB of the corpus repeated: reported, not asserted (the
 * sanitizer builds are several times slower). */
static void
test_real_speed (gconstpointer data)
{
  const RealVocab *rv = data;
  g_autofree char *gguf_name = g_strconcat (rv->name, ".gguf", NULL);
  g_autofree char *gguf_path = vocab_path (gguf_name);
  g_autoptr (GPtrArray) cases = NULL;
  g_autofree char *whole = NULL;
  g_autoptr (GString) text = g_string_new (NULL);
  g_autoptr (OviGguf) g = NULL;
  g_autoptr (OviLlmTokenizer) tok = NULL;
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_autofree char *back = NULL;
  GError *error = NULL;
  gint64 t0, t1, t2;

  if (!g_file_test (gguf_path, G_FILE_TEST_EXISTS)) {
    g_test_skip ("real vocabulary not found (tools/llm/"
        "fetch-tokenizer-vocabs.sh)");
    return;
  }
  cases = corpus_cases (&whole);
  while (text->len < (1 << 20))
    g_string_append (text, whole);
  t0 = g_get_monotonic_time ();
  g = ovi_gguf_open (gguf_path, &error);
  g_assert_no_error (error);
  tok = ovi_llm_tokenizer_new_from_gguf (g, &error);
  g_assert_no_error (error);
  t1 = g_get_monotonic_time ();
  g_assert_true (ovi_llm_tokenizer_encode (tok, text->str, text->len, FALSE,
          FALSE, ids, &error));
  t2 = g_get_monotonic_time ();
  back = ovi_llm_tokenizer_decode (tok, (const gint32 *) ids->data, ids->len,
      FALSE, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (back, ==, text->str);
  g_test_message ("%s: load %.1f ms; encode %" G_GSIZE_FORMAT " bytes -> %u "
      "tokens in %.1f ms (%.1f MB/s); decode %.1f ms", rv->name,
      (t1 - t0) / 1000.0, text->len, ids->len, (t2 - t1) / 1000.0,
      text->len / (double) (t2 - t1), (g_get_monotonic_time () - t2) / 1000.0);
}

int
main (int argc, char **argv)
{
  guint i;

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/llm/tokenizer/spm/merges", test_spm_merges);
  g_test_add_func ("/llm/tokenizer/spm/byte-fallback", test_spm_byte_fallback);
  g_test_add_func ("/llm/tokenizer/spm/special", test_spm_special);
  g_test_add_func ("/llm/tokenizer/spm/pieces", test_spm_pieces);
  g_test_add_func ("/llm/tokenizer/bpe/merges", test_bpe_merges);
  g_test_add_func ("/llm/tokenizer/bpe/pretokenizers",
      test_bpe_pretokenizers);
  g_test_add_func ("/llm/tokenizer/bpe/split", test_pretokenizer_split);
  g_test_add_func ("/llm/tokenizer/bpe/special", test_bpe_special);
  g_test_add_func ("/llm/tokenizer/long-runs", test_long_runs);
  g_test_add_func ("/llm/tokenizer/detokenizer/utf8", test_detokenizer_utf8);
  g_test_add_func ("/llm/tokenizer/detokenizer/special",
      test_detokenizer_special);
  for (i = 0; i < G_N_ELEMENTS (hostile); i++) {
    g_autofree char *name = g_strdup_printf ("/llm/tokenizer/hostile/%s",
        hostile[i]);
    g_test_add_data_func (name, hostile[i], test_hostile);
  }
  for (i = 0; i < G_N_ELEMENTS (real_vocabs); i++) {
    g_autofree char *name = g_strdup_printf ("/llm/tokenizer/real/%s",
        real_vocabs[i].name);
    g_autofree char *speed = g_strdup_printf ("/llm/tokenizer/real/%s/speed",
        real_vocabs[i].name);
    g_test_add_data_func (name, &real_vocabs[i], test_real);
    g_test_add_data_func (speed, &real_vocabs[i], test_real_speed);
  }
  return g_test_run ();
}
