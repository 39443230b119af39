/* Decoder-only transformers from GGUF files: architectures `llama` (Llama
 * 2/3, Mistral, TinyLlama layouts) and `qwen2` (biases on q/k/v, NEOX
 * RoPE). The model borrows its weights from the mapped file; an
 * OviLlmState holds what one generation owns: the position, the KV cache
 * and every scratch buffer, allocated once, so that evaluating tokens
 * allocates nothing.
 *
 * One forward pass, per layer: x += Wo * attention (RoPE (Wq * rmsnorm
 * (x)), RoPE (Wk * ...), Wv * ...), then x += Wdown * (silu (Wgate * h) *
 * (Wup * h)) with h = rmsnorm (x); logits = Wout * rmsnorm (x). */
#ifndef OVI_LLM_MODEL_H
#define OVI_LLM_MODEL_H

#include "gguf.h"
#include "kv-cache.h"

G_BEGIN_DECLS

#define OVI_LLM_MODEL_ERROR (ovi_llm_model_error_quark ())
GQuark ovi_llm_model_error_quark (void);

typedef enum {
  /* Well-formed, but an architecture, weight type or option we do not
   * run. */
  OVI_LLM_MODEL_ERROR_UNSUPPORTED,
  /* A hyper-parameter or tensor missing, or inconsistent with the
   * others. */
  OVI_LLM_MODEL_ERROR_INVALID,
  /* Evaluating past the context with the `error` context policy. */
  OVI_LLM_MODEL_ERROR_CONTEXT_FULL,
  /* A bad argument: token id out of the vocabulary, bad state config. */
  OVI_LLM_MODEL_ERROR_ARGUMENT,
  /* A state's buffers could not be allocated. */
  OVI_LLM_MODEL_ERROR_NO_MEMORY,
} OviLlmModelError;

typedef enum {
  OVI_LLM_ARCH_LLAMA,
  OVI_LLM_ARCH_QWEN2,
} OviLlmArch;

/* Which elements of a head RoPE rotates together: NORM pairs adjacent
 * elements (2i, 2i+1), as llama.cpp's converter leaves `llama` files
 * after permuting the Q/K rows; NEOX pairs element i with i + n_rot/2. */
typedef enum {
  OVI_LLM_ROPE_NORM,
  OVI_LLM_ROPE_NEOX,
} OviLlmRopeType;

typedef struct {
  OviLlmArch arch;
  guint n_vocab;        /* rows of token_embd */
  guint n_ctx_train;    /* {arch}.context_length */
  guint n_embd;
  guint n_layer;
  guint n_ff;
  guint n_head;
  guint n_head_kv;      /* < n_head with grouped-query attention */
  guint head_dim;       /* n_embd / n_head */
  guint n_rot;          /* rotated elements per head (rope.dimension_count) */
  float rms_eps;
  float rope_freq_base;
  float rope_freq_scale; /* 1 / rope.scaling.factor (linear scaling) */
  OviLlmRopeType rope_type;
  gboolean has_rope_freqs;  /* rope_freqs.weight: per-pair frequency
                             * divisors (Llama 3.1-style scaling) */
  gboolean tied_output;     /* no output.weight: logits use token_embd */
} OviLlmHparams;

typedef struct _OviLlmModel OviLlmModel;
typedef struct _OviLlmState OviLlmState;

OviLlmModel *ovi_llm_model_load (const char *path, GError **error);
/* Takes the reference to gguf on success and on failure. */
OviLlmModel *ovi_llm_model_new (OviGguf *gguf, GError **error);
void ovi_llm_model_free (OviLlmModel *model);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OviLlmModel, ovi_llm_model_free)

const OviLlmHparams *ovi_llm_model_hparams (const OviLlmModel *model);
/* The file, for the tokenizer and chat template metadata. */
const OviGguf *ovi_llm_model_gguf (const OviLlmModel *model);
/* Bytes of weights one decoded token reads (every matrix once, the
 * embedding row aside): the numerator of a memory-bandwidth figure. */
guint64 ovi_llm_model_weight_bytes (const OviLlmModel *model);

typedef enum {
  OVI_LLM_CONTEXT_FULL_ERROR,  /* eval past the context fails */
  OVI_LLM_CONTEXT_FULL_SLIDE,  /* drop old tokens after a kept prefix */
} OviLlmContextFull;

typedef struct {
  guint n_ctx;        /* positions of the KV cache; 0: the model's */
  guint n_batch;      /* tokens per forward chunk (sizes the scratch);
                       * 0: 512 */
  int n_threads;      /* <= 0: the number of processors */
  OviLlmKvType kv_type;
  OviLlmContextFull context_full;
  /* With OVI_LLM_CONTEXT_FULL_SLIDE: the first n_keep positions (a system
   * prompt, BOS) are never dropped; each shift drops n_discard positions
   * after them (0: half of those after n_keep, as llama.cpp's context
   * shift does). The kept keys are re-rotated to their new positions in
   * place (see kv-cache.h), not recomputed: the cache then holds what a
   * model that had seen the dropped tokens computed, as llama.cpp's
   * context shift does. */
  guint n_keep;
  guint n_discard;
} OviLlmStateConfig;

/* Defaults: model's context, F16 cache, context-full is an error. */
void ovi_llm_state_config_init (OviLlmStateConfig *config);

OviLlmState *ovi_llm_state_new (const OviLlmModel *model,
    const OviLlmStateConfig *config, GError **error);
void ovi_llm_state_free (OviLlmState *state);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OviLlmState, ovi_llm_state_free)

/* Positions held in the KV cache: where the next token goes. */
guint ovi_llm_state_position (const OviLlmState *state);
guint ovi_llm_state_n_ctx (const OviLlmState *state);
/* Forgets positions >= n_pos (n_pos <= position), e.g. to reuse a shared
 * prompt prefix; 0 starts over. */
void ovi_llm_state_truncate (OviLlmState *state, guint n_pos);
/* Context shifts done so far (sliding window). */
guint ovi_llm_state_n_shifts (const OviLlmState *state);
/* Time spent (nanoseconds, summed over evals) in matrix products
 * (activation quantization included, as seen by the first thread) and in
 * eval altogether; both reset by passing reset. */
void ovi_llm_state_timings (OviLlmState *state, guint64 *matmul_ns,
    guint64 *total_ns, gboolean reset);

/* Appends tokens at the state's position and runs them through the
 * model, all n_tokens through each matrix product at once (in chunks of
 * n_batch). logits (may be NULL) receives n_vocab floats for the last
 * token. Nothing is changed when FALSE is returned. */
gboolean ovi_llm_model_eval (const OviLlmModel *model, OviLlmState *state,
    const gint32 *tokens, gsize n_tokens, float *logits, GError **error);
/* Same, with logits for every token: n_tokens * n_vocab floats. */
gboolean ovi_llm_model_eval_all (const OviLlmModel *model,
    OviLlmState *state, const gint32 *tokens, gsize n_tokens, float *logits,
    GError **error);

G_END_DECLS

#endif
