/* Internals shared by tokenizer.c (loading, special tokens, dispatch),
 * tokenizer-spm.c, tokenizer-bpe.c, pretokenizer.c and
 * tokenizer-detok.c. Not installed. */
#ifndef OVI_LLM_TOKENIZER_PRIVATE_H
#define OVI_LLM_TOKENIZER_PRIVATE_H

#include "tokenizer.h"

G_BEGIN_DECLS

typedef enum {
  OVI_LLM_PRE_GPT2,    /* "gpt-2", "default" or absent */
  OVI_LLM_PRE_LLAMA3,  /* "llama-bpe" */
  OVI_LLM_PRE_QWEN2,   /* "qwen2" */
} OviLlmPreTokenizer;

/* Open addressing from a byte string to an id: the table holds ids (or -1)
 * and the strings are the tokenizer's token texts. */
typedef struct {
  gint32 *slots;
  guint32 *hashes;    /* each slot's full hash: most misses skip memcmp */
  guint32 mask;
} TextIndex;

/* Open addressing from a pair of ids to the merge's rank and result. */
typedef struct {
  guint64 *keys;      /* (left << 32 | right) + 1; 0 marks an empty slot */
  gint32 *ranks;
  gint32 *results;
  guint32 mask;
} PairIndex;

struct _OviLlmTokenizer {
  OviLlmTokenizerKind kind;
  OviLlmPreTokenizer pre;
  gint32 n_vocab;

  char *texts;              /* every token text, each NUL-terminated */
  guint32 *text_off;
  guint32 *text_len;
  float *scores;            /* SentencePiece merge priority */
  guint8 *types;            /* OviLlmTokenType */
  guint8 *eog;              /* 1 for end-of-generation tokens */
  char *pieces;             /* decoded bytes of every token */
  guint32 *piece_off;
  guint32 *piece_len;

  TextIndex index;
  PairIndex merges;
  /* SentencePiece: every pair of adjacent characters inside some token
   * text, (first << 32 | second) + 1. Where two neighbouring characters of
   * the input are not such a pair no merge can ever join them, so the text
   * is merged in independent segments (small heaps instead of one the size
   * of the text). */
  guint64 *char_pairs;
  guint32 char_pairs_mask;
  /* SentencePiece: the <0xXX> tokens; byte-level BPE: the token of each
   * byte's GPT-2 character. -1 where the vocabulary lacks one. */
  gint32 byte_token[256];

  gint32 bos, eos, eot, eom, unk, pad;
  gboolean add_bos, add_eos, add_space_prefix, ignore_merges;

  /* Tokens recognised in the text: by first byte, longest first. */
  gint32 *specials;
  guint32 special_start[257];

  GRegex *split;            /* the pre-tokenizer's regex (BPE only) */
};

/* Length of the valid UTF-8 character at s (n bytes available), 0 when the
 * bytes there are not one (invalid, overlong, surrogate, truncated). */
gsize ovi_llm_utf8_char_len (const guint8 *s, gsize n);

gint32 ovi_llm_text_index_find (const OviLlmTokenizer *tok, const char *s,
    gsize len);
/* Rank of merging left with right (-1 when no merge), and its result. */
gint32 ovi_llm_pair_index_find (const OviLlmTokenizer *tok, gint32 left,
    gint32 right, gint32 *result);

gboolean ovi_llm_char_pair_known (const OviLlmTokenizer *tok, guint32 first,
    guint32 second);

/* SentencePiece: appends the ids of one raw text fragment. */
gboolean ovi_llm_spm_encode (const OviLlmTokenizer *tok, const char *text,
    gsize len, gboolean space_prefix, GArray *out, GError **error);

/* Byte-level BPE: appends the ids of one raw text fragment (pre-tokenized
 * here). */
gboolean ovi_llm_bpe_encode (const OviLlmTokenizer *tok, const char *text,
    gsize len, GArray *out, GError **error);
/* GPT-2's byte -> character table as UTF-8 (at most 2 bytes + NUL), and
 * the inverse (-1 for characters outside it). */
const char *ovi_llm_bpe_byte_char (guint8 byte);
int ovi_llm_bpe_char_byte (gunichar c);

/* Pre-tokenizers: the regex of each, compiled once per tokenizer. */
GRegex *ovi_llm_pretokenizer_regex (OviLlmPreTokenizer pre, GError **error);
typedef void (*OviLlmWordFunc) (const char *word, gsize len,
    gpointer user_data);
/* Calls fn for each word of text in order; the words cover the text
 * exactly. Valid UTF-8 runs are split by the regex; each byte of an
 * invalid sequence is a word of its own. */
void ovi_llm_pretokenize (GRegex *regex, const char *text, gsize len,
    OviLlmWordFunc fn, gpointer user_data);
/* For tests: the words as a NULL-terminated string vector. */
char **ovi_llm_pretokenize_split (OviLlmPreTokenizer pre, const char *text,
    gssize len, GError **error);

G_END_DECLS

#endif
