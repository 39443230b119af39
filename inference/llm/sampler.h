/* Token sampling from a row of logits: greedy, repetition penalty, top-k,
 * top-p, min-p, temperature and a seeded draw.
 *
 * The chain runs in llama.cpp's default order:
 *
 *   penalties -> top-k -> top-p -> min-p -> temperature -> draw
 *
 * - repetition penalty: each distinct token among the last
 *   `repeat_last_n` accepted tokens has its logit divided by the penalty
 *   when positive and multiplied by it when negative (llama.cpp's
 *   semantics: with penalty > 1 the token always becomes less likely),
 *   once however often it occurs in the window;
 * - top-k keeps the k largest logits (ties broken towards the lower id);
 * - top-p keeps the shortest prefix of the candidates, sorted by
 *   decreasing logit, whose softmax probabilities (at temperature 1, over
 *   the candidates still kept) add up to at least top_p; the token that
 *   crosses top_p is kept;
 * - min-p keeps the candidates whose probability is at least min_p times
 *   the largest one, i.e. logit >= max_logit + ln (min_p) (again at
 *   temperature 1, as filtering happens before the temperature);
 * - temperature divides the remaining logits; the draw picks one in
 *   proportion to softmax of the result.
 *
 * temperature <= 0 (or top_k == 1) is greedy: the token with the largest
 * penalized logit, the lowest id among equals, and the random state is
 * not consumed.
 *
 * Non-finite logits: NaN and -inf are never chosen. When some logits are
 * +inf, only those are candidates and are equally likely (the limit of
 * softmax). A row without any candidate (all NaN / -inf, or n_vocab 0)
 * gives OVI_LLM_SAMPLER_NO_TOKEN.
 *
 * Reproducibility: the random numbers come from our own xoshiro256**
 * generator seeded through splitmix64, so the same seed, parameters,
 * history and logits give the same tokens on every machine (the
 * probabilities use expf from libm; an implementation differing in the
 * last bit could, in a vanishingly rare case of a draw landing exactly on
 * a boundary, pick the neighbour).
 *
 * The caller's logits are never written. When a penalty applies (or the
 * row holds +inf) the sampler works on a private copy it owns; it also
 * keeps a candidate array; both grow to the largest n_vocab seen and live
 * until the sampler is freed. A sampler is not thread-safe: one per
 * generation stream. */
#ifndef OVI_LLM_SAMPLER_H
#define OVI_LLM_SAMPLER_H

#include <glib.h>

G_BEGIN_DECLS

#define OVI_LLM_SAMPLER_NO_TOKEN (-1)

#define OVI_LLM_SAMPLER_ERROR (ovi_llm_sampler_error_quark ())
GQuark ovi_llm_sampler_error_quark (void);

typedef enum {
  OVI_LLM_SAMPLER_ERROR_INVALID,   /* a parameter out of its range */
} OviLlmSamplerError;

typedef struct {
  float temperature;          /* <= 0: greedy */
  gint32 top_k;               /* <= 0: off */
  float top_p;                /* >= 1: off; must be > 0 */
  float min_p;                /* <= 0: off; must be <= 1 */
  float repetition_penalty;   /* 1: off; must be > 0 */
  guint32 repeat_last_n;      /* window of accepted tokens; 0: off */
  guint64 seed;
} OviLlmSamplerParams;

/* A candidate after the chain: `p` is its final probability (after the
 * temperature, normalized over the kept candidates; 1 for greedy). */
typedef struct {
  gint32 id;
  float logit;                /* penalized, before the temperature */
  float p;
} OviLlmCandidate;

typedef struct _OviLlmSampler OviLlmSampler;

/* llama.cpp's defaults: temperature 0.8, top_k 40, top_p 0.95,
 * min_p 0.05, no repetition penalty (1.0) with a window of 64, seed 0. */
void ovi_llm_sampler_params_init (OviLlmSamplerParams *params);

/* NULL and an error when a parameter is NaN or out of range. */
OviLlmSampler *ovi_llm_sampler_new (const OviLlmSamplerParams *params,
    GError **error);
void ovi_llm_sampler_free (OviLlmSampler *sampler);

const OviLlmSamplerParams *ovi_llm_sampler_get_params (
    const OviLlmSampler *sampler);

/* Records a token of the sequence (prompt tokens too, when the penalty
 * should see them) in the repetition window. */
void ovi_llm_sampler_accept (OviLlmSampler *sampler, gint32 token);

/* Forgets the history and restarts the random sequence from the seed. */
void ovi_llm_sampler_reset (OviLlmSampler *sampler);

/* Picks a token from logits[n_vocab]; OVI_LLM_SAMPLER_NO_TOKEN when no
 * logit is a candidate. Does not record the token: call accept. */
gint32 ovi_llm_sampler_sample (OviLlmSampler *sampler, const float *logits,
    gsize n_vocab);

/* Runs the chain without drawing: returns the kept candidates (sorted by
 * decreasing logit, then increasing id, except when no filter is active,
 * where they come in id order) in storage owned by the sampler, valid
 * until its next call; *n_out = 0 when there is none. */
const OviLlmCandidate *ovi_llm_sampler_candidates (OviLlmSampler *sampler,
    const float *logits, gsize n_vocab, gsize *n_out);

G_END_DECLS

#endif
