/* Tokenizers driven by GGUF metadata (the tokenizer.ggml.* keys of ggml's
 * docs/gguf.md):
 *
 * - tokenizer.ggml.model = "llama": SentencePiece-style BPE by scores. The
 *   text's spaces become U+2581 "▁" (and one is prefixed when
 *   add_space_prefix is set), the adjacent pair whose concatenation is the
 *   highest-scoring token is merged until none is left, and characters
 *   that are not tokens fall back to the <0xXX> byte tokens.
 * - tokenizer.ggml.model = "gpt2": byte-level BPE. The text is split into
 *   words by the pre-tokenizer named by tokenizer.ggml.pre ("gpt-2" or
 *   absent/"default", "llama-bpe" for Llama 3, "qwen2"), each word's bytes
 *   are mapped to GPT-2's printable characters and merged by the rank of
 *   tokenizer.ggml.merges. "llama-bpe" also takes a word that is a token
 *   as it is, before merging (Llama 3's ignore_merges).
 *
 * Special tokens: the texts of control (type 3) and unknown (2) tokens are
 * recognised in the input only when the caller asks (parse_special), those
 * of user-defined tokens (4) always, leftmost first and the longest at a
 * position. Without tokenizer.ggml.token_type every token is normal except
 * the bos/eos/eot/unknown/padding ids, which count as control.
 *
 * A tokenizer is immutable once loaded: encoding and decoding from several
 * threads at once is safe (each call allocates its own scratch). Metadata
 * that is missing, inconsistent or out of range gives a GError at load,
 * never a crash. */
#ifndef OVI_LLM_TOKENIZER_H
#define OVI_LLM_TOKENIZER_H

#include "gguf.h"

G_BEGIN_DECLS

#define OVI_LLM_TOKENIZER_ERROR (ovi_llm_tokenizer_error_quark ())
GQuark ovi_llm_tokenizer_error_quark (void);

typedef enum {
  OVI_LLM_TOKENIZER_ERROR_INVALID,      /* missing or inconsistent metadata */
  OVI_LLM_TOKENIZER_ERROR_UNSUPPORTED,  /* a model or pre-tokenizer we lack */
  OVI_LLM_TOKENIZER_ERROR_ENCODE,       /* input the vocabulary cannot encode */
} OviLlmTokenizerError;

/* tokenizer.ggml.token_type values. */
typedef enum {
  OVI_LLM_TOKEN_UNDEFINED = 0,
  OVI_LLM_TOKEN_NORMAL = 1,
  OVI_LLM_TOKEN_UNKNOWN = 2,
  OVI_LLM_TOKEN_CONTROL = 3,
  OVI_LLM_TOKEN_USER_DEFINED = 4,
  OVI_LLM_TOKEN_UNUSED = 5,
  OVI_LLM_TOKEN_BYTE = 6,
} OviLlmTokenType;

typedef enum {
  OVI_LLM_TOKENIZER_SPM,  /* "llama" */
  OVI_LLM_TOKENIZER_BPE,  /* "gpt2" */
} OviLlmTokenizerKind;

typedef struct _OviLlmTokenizer OviLlmTokenizer;

/* Reads the tokenizer.ggml.* keys; the tokenizer copies what it needs, so
 * the OviGguf may be freed afterwards. */
OviLlmTokenizer *ovi_llm_tokenizer_new_from_gguf (const OviGguf *gguf,
    GError **error);
void ovi_llm_tokenizer_free (OviLlmTokenizer *tok);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OviLlmTokenizer, ovi_llm_tokenizer_free)

/* Appends the ids (gint32) of text (len bytes, or NUL-terminated when len
 * is negative) to out_ids. add_special: BOS/EOS as tokenizer.ggml.add_bos_token
 * and add_eos_token say (defaults: BOS for "llama", none for "gpt2").
 * parse_special: control token texts such as <|eot_id|> in the text become
 * their ids instead of being tokenized as text.
 *
 * Text that is not valid UTF-8 is encoded losslessly: SentencePiece sends
 * the bytes to byte fallback, byte-level BPE makes each invalid byte a word
 * of its own. FALSE (out_ids unchanged) only when a byte has no token and
 * the vocabulary has no unknown token, or the text exceeds G_MAXINT bytes. */
gboolean ovi_llm_tokenizer_encode (const OviLlmTokenizer *tok,
    const char *text, gssize len, gboolean add_special,
    gboolean parse_special, GArray *out_ids, GError **error);

/* The bytes a token stands for (not NUL-terminated): "▁" becomes a space
 * and <0xXX> its byte for SentencePiece, GPT-2's characters their bytes for
 * byte-level BPE; control and user-defined tokens give their text. NULL
 * when id is out of range. A piece may be part of a UTF-8 sequence. */
const char *ovi_llm_tokenizer_token_piece (const OviLlmTokenizer *tok,
    gint32 id, gsize *len);
/* The token's text as the vocabulary stores it, NUL-terminated. */
const char *ovi_llm_tokenizer_token_text (const OviLlmTokenizer *tok,
    gint32 id);
/* The id of a token text, or -1. */
gint32 ovi_llm_tokenizer_find (const OviLlmTokenizer *tok, const char *text,
    gssize len);

OviLlmTokenizerKind ovi_llm_tokenizer_kind (const OviLlmTokenizer *tok);
gint32 ovi_llm_tokenizer_n_vocab (const OviLlmTokenizer *tok);
/* -1 when the vocabulary has none. eot: tokenizer.ggml.eot_token_id, else
 * the first control token of <|eot_id|>, <|im_end|>, <|end|>,
 * <end_of_turn>. */
gint32 ovi_llm_tokenizer_bos (const OviLlmTokenizer *tok);
gint32 ovi_llm_tokenizer_eos (const OviLlmTokenizer *tok);
gint32 ovi_llm_tokenizer_eot (const OviLlmTokenizer *tok);
gint32 ovi_llm_tokenizer_unk (const OviLlmTokenizer *tok);
gint32 ovi_llm_tokenizer_pad (const OviLlmTokenizer *tok);
gboolean ovi_llm_tokenizer_add_bos (const OviLlmTokenizer *tok);
gboolean ovi_llm_tokenizer_add_eos (const OviLlmTokenizer *tok);
/* OVI_LLM_TOKEN_UNDEFINED for an id out of range. */
OviLlmTokenType ovi_llm_tokenizer_token_type (const OviLlmTokenizer *tok,
    gint32 id);
gboolean ovi_llm_tokenizer_is_control (const OviLlmTokenizer *tok,
    gint32 id);
/* End of generation: eos, eot, and the control tokens <|eot_id|>,
 * <|eom_id|>, <|im_end|>, <|end|>, <|endoftext|>, <end_of_turn>, </s>
 * when the vocabulary has them. */
gboolean ovi_llm_tokenizer_is_eog (const OviLlmTokenizer *tok, gint32 id);

/* Whole-sequence decoding (an OviLlmDetokenizer run to the end): newly
 * allocated, NUL-terminated, *len (when not NULL) without the NUL. NULL
 * with an error for an id out of range. */
char *ovi_llm_tokenizer_decode (const OviLlmTokenizer *tok,
    const gint32 *ids, gsize n_ids, gboolean skip_special, gsize *len,
    GError **error);

/* Streaming detokenization: feed ids one by one, get back only complete,
 * valid UTF-8. Bytes of a multi-byte character split across tokens are
 * held until the character is complete; invalid sequences become U+FFFD
 * (one per maximal invalid subpart). With skip_special, control tokens
 * produce nothing. For SentencePiece vocabularies with add_space_prefix,
 * the leading space of the first text piece after a reset is dropped (the
 * encoder added it). The detokenizer keeps a pointer to the tokenizer,
 * which must outlive it. */
typedef struct _OviLlmDetokenizer OviLlmDetokenizer;

OviLlmDetokenizer *ovi_llm_detokenizer_new (const OviLlmTokenizer *tok,
    gboolean skip_special);
void ovi_llm_detokenizer_free (OviLlmDetokenizer *det);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OviLlmDetokenizer, ovi_llm_detokenizer_free)
/* Forgets held bytes and starts a new text (the space rule applies again). */
void ovi_llm_detokenizer_reset (OviLlmDetokenizer *det);
/* Appends to out the text completed by token id. FALSE, with nothing
 * appended, when id is out of range. */
gboolean ovi_llm_detokenizer_feed (OviLlmDetokenizer *det, gint32 id,
    GString *out);
/* End of the stream: held bytes of an incomplete character become one
 * U+FFFD. */
void ovi_llm_detokenizer_flush (OviLlmDetokenizer *det, GString *out);
/* Bytes held back waiting for the rest of a character (0 to 3). */
gsize ovi_llm_detokenizer_pending (const OviLlmDetokenizer *det);

G_END_DECLS

#endif
