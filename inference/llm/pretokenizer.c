/* Pre-tokenizers of byte-level BPE vocabularies: the regular expressions
 * that split text into words before merging, as the tokenizers define them
 * (Hugging Face tokenizer.json "Split" patterns, llama.cpp's llama-vocab).
 *
 * GRegex is PCRE2 in UTF-8 mode with Unicode properties, so \s, \p{L} and
 * \p{N} are the Unicode classes. Llama 3 and Qwen2 write the contractions
 * as (?i:'s|'t|...); they are spelled out with ASCII classes here because
 * a caseless match in Unicode mode would also take "ſ" (U+017F) for "s",
 * which the reference tokenizers do not. */
#include <string.h>

#include "tokenizer-private.h"

static const char gpt2_pattern[] =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+"
    "|\\s+(?!\\S)|\\s+";

#define CONTRACTIONS "'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD]"

/* Llama 3: numbers in groups of up to three digits. */
static const char llama3_pattern[] =
    CONTRACTIONS "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}"
    "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

/* Qwen2: the same with every digit a word of its own. */
static const char qwen2_pattern[] =
    CONTRACTIONS "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}"
    "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

GRegex *
ovi_llm_pretokenizer_regex (OviLlmPreTokenizer pre, GError **error)
{
  const char *pattern = pre == OVI_LLM_PRE_LLAMA3 ? llama3_pattern
      : pre == OVI_LLM_PRE_QWEN2 ? qwen2_pattern : gpt2_pattern;

  /* OPTIMIZE: PCRE2's JIT; the regex runs over every byte of the text. */
  return g_regex_new (pattern, G_REGEX_OPTIMIZE, 0, error);
}

static void
split_valid (GRegex *regex, const char *text, gsize len, OviLlmWordFunc fn,
    gpointer data)
{
  GMatchInfo *mi = NULL;
  gsize done = 0;

  /* Should PCRE2 give up (its match limit), the rest of the run is one
   * word: still lossless, only split less finely. The patterns are linear
   * on long runs of one class (the tests encode 1 MiB runs). */
  g_regex_match_full (regex, text, len, 0, 0, &mi, NULL);
  while (g_match_info_matches (mi)) {
    int start, end;

    g_match_info_fetch_pos (mi, 0, &start, &end);
    /* Text no alternative matches is a word too (none of the patterns
     * leaves a gap, but the words must cover the text whatever it is). */
    if ((gsize) start > done)
      fn (text + done, start - done, data);
    if (end > start)
      fn (text + start, end - start, data);
    done = end;
    g_match_info_next (mi, NULL);
  }
  g_match_info_free (mi);
  if (done < len)
    fn (text + done, len - done, data);
}

void
ovi_llm_pretokenize (GRegex *regex, const char *text, gsize len,
    OviLlmWordFunc fn, gpointer data)
{
  gsize i = 0, run = 0;

  /* PCRE2 is told the subject is valid UTF-8 (GLib skips its check), so
   * only valid runs reach it; invalid bytes are words alone, which byte-
   * level BPE encodes losslessly. */
  while (i < len) {
    gsize l = ovi_llm_utf8_char_len ((const guint8 *) text + i, len - i);

    if (l > 0) {
      i += l;
      continue;
    }
    if (i > run)
      split_valid (regex, text + run, i - run, fn, data);
    fn (text + i, 1, data);
    i++;
    run = i;
  }
  if (len > run)
    split_valid (regex, text + run, len - run, fn, data);
}

static void
collect (const char *word, gsize len, gpointer data)
{
  g_ptr_array_add (data, g_strndup (word, len));
}

char **
ovi_llm_pretokenize_split (OviLlmPreTokenizer pre, const char *text,
    gssize len, GError **error)
{
  GRegex *regex = ovi_llm_pretokenizer_regex (pre, error);
  GPtrArray *words;

  if (regex == NULL)
    return NULL;
  words = g_ptr_array_new ();
  ovi_llm_pretokenize (regex, text, len < 0 ? strlen (text) : (gsize) len,
      collect, words);
  g_ptr_array_add (words, NULL);
  g_regex_unref (regex);
  return (char **) g_ptr_array_free (words, FALSE);
}
