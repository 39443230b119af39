/* The attention key/value cache of one generation state: for every layer
 * and key/value head, one row of head_dim keys and one of values per
 * position, preallocated for the whole context so that decoding allocates
 * nothing. Keys are stored after RoPE (as llama.cpp stores them), so a
 * position's key is computed once.
 *
 * Storage is F16 (the default) or 8-bit: Q8_0 blocks as ggml lays them
 * out (an f16 scale and 32 int8 per 32 values, so head_dim must be a
 * multiple of 32), which halves the cache at a small precision cost.
 * Heads of up to 256 elements.
 *
 * Rows are laid out [layer][kv head][position] so that the attention of
 * one head streams through contiguous memory. */
#ifndef OVI_LLM_KV_CACHE_H
#define OVI_LLM_KV_CACHE_H

#include <glib.h>

G_BEGIN_DECLS

#define OVI_LLM_KV_CACHE_ERROR (ovi_llm_kv_cache_error_quark ())
GQuark ovi_llm_kv_cache_error_quark (void);

typedef enum {
  OVI_LLM_KV_CACHE_ERROR_INVALID,   /* a geometry the storage cannot hold */
  OVI_LLM_KV_CACHE_ERROR_NO_MEMORY, /* the allocation failed */
} OviLlmKvCacheError;

typedef enum {
  OVI_LLM_KV_F16 = 0,
  OVI_LLM_KV_Q8_0 = 1,
} OviLlmKvType;

typedef struct _OviLlmKvCache OviLlmKvCache;

OviLlmKvCache *ovi_llm_kv_cache_new (OviLlmKvType type, guint n_layer,
    guint n_head_kv, guint head_dim, guint n_ctx, GError **error);
void ovi_llm_kv_cache_free (OviLlmKvCache *kv);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OviLlmKvCache, ovi_llm_kv_cache_free)

OviLlmKvType ovi_llm_kv_cache_type (const OviLlmKvCache *kv);
guint ovi_llm_kv_cache_n_ctx (const OviLlmKvCache *kv);
/* Bytes held for keys and values together. */
gsize ovi_llm_kv_cache_bytes (const OviLlmKvCache *kv);

/* Stores head_dim keys and values for (layer, head, pos). */
void ovi_llm_kv_cache_store (OviLlmKvCache *kv, guint layer, guint head,
    guint pos, const float *k, const float *v);

/* For the n_q query heads q[i * head_dim ...] that share key/value head
 * `head` (grouped-query attention): scores[i * stride + s] = scale *
 * dot (q_i, key s) for s < n_pos. Keys are decoded once for all n_q. */
void ovi_llm_kv_cache_scores (const OviLlmKvCache *kv, guint layer,
    guint head, const float *q, guint n_q, guint n_pos, float scale,
    float *scores, gsize stride);

/* out[i * head_dim ...] = sum over s < n_pos of p[i * stride + s] *
 * value s, for i < n_q. */
void ovi_llm_kv_cache_weighted_sum (const OviLlmKvCache *kv, guint layer,
    guint head, const float *p, gsize stride, guint n_q, guint n_pos,
    float *out);

/* Rotates one key row (head_dim floats) as if its position moved by
 * delta: RoPE is the model's business, the cache only moves rows. */
typedef void (*OviLlmKvRotateFunc) (float *k, int delta, gpointer user_data);

/* Context shift: of the first n_used positions, drops the n_discard that
 * follow the first n_keep and moves the rest down by n_discard, passing
 * each moved key through `rotate` with delta = -n_discard so that it
 * carries its new position (RoPE rotations compose: rotating a key
 * rotated for position p by -d gives the key for p - d). Keys are
 * re-rounded to the storage format on the way back. Values are moved
 * as they are. */
void ovi_llm_kv_cache_discard (OviLlmKvCache *kv, guint n_used, guint n_keep,
    guint n_discard, OviLlmKvRotateFunc rotate, gpointer user_data);

G_END_DECLS

#endif
