#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define HAVE_X86 1
#endif

#include "cpu-features.h"
#include "kv-cache.h"
#include "quants.h"

#define QK 32
#define Q8_BLOCK_BYTES (2 + QK)

G_DEFINE_QUARK (ovi-llm-kv-cache-error-quark, ovi_llm_kv_cache_error)

/* Rows are multiplied in blocks of BLOCK positions, decoded to floats
 * once per block for all the query heads that share them (grouped-query
 * attention) instead of once per head. */
#define BLOCK 8
#define MAX_HEAD_DIM 256

typedef void (*HalfFunc) (const float *x, guint n, guint16 *h);
typedef void (*DecodeFunc) (const guint8 *row, guint n, float *x);
typedef void (*ScoresFunc) (const float *kb, guint nb, guint hd,
    const float *q, guint n_q, float scale, float *scores, gsize stride);
typedef void (*SumFunc) (const float *vb, guint nb, guint hd,
    const float *p, gsize stride, guint n_q, float *out);

struct _OviLlmKvCache {
  OviLlmKvType type;
  guint n_layer, n_head_kv, head_dim, n_ctx;
  gsize row_bytes;      /* one position of one head */
  gsize head_bytes;     /* n_ctx rows */
  guint8 *k, *v;
  HalfFunc to_half;
  DecodeFunc decode;
  ScoresFunc scores;
  SumFunc sum;
};

/* ---- half precision, portable (quants.c's conversions) ------------- */

static void
to_half_generic (const float *x, guint n, guint16 *h)
{
  guint i;
  for (i = 0; i < n; i++)
    h[i] = ovi_llm_fp32_to_fp16 (x[i]);
}

/* ---- row encodings -------------------------------------------------- */

static void
encode_row (const OviLlmKvCache *kv, const float *x, guint n, guint8 *row)
{
  guint i, b;

  if (kv->type == OVI_LLM_KV_F16) {
    kv->to_half (x, n, (guint16 *) row);
    return;
  }
  for (b = 0; b < n / QK; b++) {
    const float *xb = x + b * QK;
    guint8 *blk = row + b * Q8_BLOCK_BYTES;
    gint8 *qs = (gint8 *) (blk + 2);
    float amax = 0.0f, d, id;
    guint16 dh;

    for (i = 0; i < QK; i++)
      amax = MAX (amax, fabsf (xb[i]));
    d = amax / 127.0f;
    dh = ovi_llm_fp32_to_fp16 (d);
    memcpy (blk, &dh, 2);
    /* Quantize against the scale as stored (rounded to f16), so that
     * decoding multiplies back by exactly the scale used here. */
    d = ovi_llm_fp16_to_fp32 (dh);
    id = d > 0.0f ? 1.0f / d : 0.0f;
    for (i = 0; i < QK; i++) {
      float r = roundf (xb[i] * id);
      qs[i] = (gint8) CLAMP (r, -127.0f, 127.0f);
    }
  }
}

/* ---- portable kernels ----------------------------------------------- */

static void
decode_f16_generic (const guint8 *row, guint n, float *x)
{
  const guint16 *h = (const guint16 *) row;
  guint i;
  for (i = 0; i < n; i++)
    x[i] = ovi_llm_fp16_to_fp32 (h[i]);
}

static void
decode_q8 (const guint8 *row, guint n, float *x)
{
  guint i, b;
  for (b = 0; b < n / QK; b++) {
    const guint8 *blk = row + b * Q8_BLOCK_BYTES;
    const gint8 *qs = (const gint8 *) (blk + 2);
    guint16 dh;
    float d;
    memcpy (&dh, blk, 2);
    d = ovi_llm_fp16_to_fp32 (dh);
    for (i = 0; i < QK; i++)
      x[b * QK + i] = d * qs[i];
  }
}

/* scores[i * stride + r] = scale * dot (q_i, row r) for r < nb. */
static void
scores_generic (const float *kb, guint nb, guint hd, const float *q,
    guint n_q, float scale, float *scores, gsize stride)
{
  guint i, r, j;
  for (i = 0; i < n_q; i++) {
    for (r = 0; r < nb; r++) {
      float sum = 0.0f;
      for (j = 0; j < hd; j++)
        sum += q[i * hd + j] * kb[r * hd + j];
      scores[i * stride + r] = sum * scale;
    }
  }
}

/* out_i += sum over r < nb of p[i * stride + r] * row r. */
static void
sum_generic (const float *vb, guint nb, guint hd, const float *p,
    gsize stride, guint n_q, float *out)
{
  guint i, r, j;
  for (i = 0; i < n_q; i++)
    for (r = 0; r < nb; r++)
      for (j = 0; j < hd; j++)
        out[i * hd + j] += p[i * stride + r] * vb[r * hd + j];
}

/* ---- AVX2 + F16C kernels -------------------------------------------- */

#ifdef HAVE_X86
#define TARGET __attribute__ ((target ("avx2,fma,f16c")))

TARGET static void
to_half_f16c (const float *x, guint n, guint16 *h)
{
  guint i;
  for (i = 0; i + 8 <= n; i += 8)
    _mm_storeu_si128 ((__m128i *) (h + i),
        _mm256_cvtps_ph (_mm256_loadu_ps (x + i), _MM_FROUND_TO_NEAREST_INT));
  for (; i < n; i++)
    h[i] = ovi_llm_fp32_to_fp16 (x[i]);
}

TARGET static void
decode_f16_f16c (const guint8 *row, guint n, float *x)
{
  const guint16 *h = (const guint16 *) row;
  guint i;
  for (i = 0; i + 8 <= n; i += 8)
    _mm256_storeu_ps (x + i,
        _mm256_cvtph_ps (_mm_loadu_si128 ((const __m128i *) (h + i))));
  for (; i < n; i++)
    x[i] = ovi_llm_fp16_to_fp32 (h[i]);
}

/* The 8 horizontal sums of a[0..7], as one vector. */
TARGET static inline __m256
hsum8x8 (const __m256 *a)
{
  __m256 t0 = _mm256_hadd_ps (a[0], a[1]);
  __m256 t1 = _mm256_hadd_ps (a[2], a[3]);
  __m256 t2 = _mm256_hadd_ps (a[4], a[5]);
  __m256 t3 = _mm256_hadd_ps (a[6], a[7]);
  __m256 u0 = _mm256_hadd_ps (t0, t1);
  __m256 u1 = _mm256_hadd_ps (t2, t3);
  return _mm256_add_ps (_mm256_permute2f128_ps (u0, u1, 0x20),
      _mm256_permute2f128_ps (u0, u1, 0x31));
}

/* hd is a multiple of 8 here (the caller falls back otherwise). The block
 * holds BLOCK rows; rows past nb are zeros, so their scores are computed
 * and dropped. */
TARGET static void
scores_avx2 (const float *kb, guint nb, guint hd, const float *q, guint n_q,
    float scale, float *scores, gsize stride)
{
  guint i, r, j;
  for (i = 0; i < n_q; i++) {
    __m256 acc[BLOCK], res;
    float tmp[BLOCK];
    for (r = 0; r < BLOCK; r++)
      acc[r] = _mm256_setzero_ps ();
    for (j = 0; j < hd; j += 8) {
      __m256 qv = _mm256_loadu_ps (q + i * hd + j);
      for (r = 0; r < BLOCK; r++)
        acc[r] = _mm256_fmadd_ps (qv, _mm256_loadu_ps (kb + r * hd + j),
            acc[r]);
    }
    res = _mm256_mul_ps (hsum8x8 (acc), _mm256_set1_ps (scale));
    if (nb == BLOCK) {
      _mm256_storeu_ps (scores + i * stride, res);
    } else {
      _mm256_storeu_ps (tmp, res);
      memcpy (scores + i * stride, tmp, nb * sizeof (float));
    }
  }
}

TARGET static void
sum_avx2 (const float *vb, guint nb, guint hd, const float *p, gsize stride,
    guint n_q, float *out)
{
  guint i, r, j;
  for (i = 0; i < n_q; i++) {
    const float *pi = p + i * stride;
    for (j = 0; j < hd; j += 8) {
      __m256 acc = _mm256_loadu_ps (out + i * hd + j);
      for (r = 0; r < nb; r++)
        acc = _mm256_fmadd_ps (_mm256_set1_ps (pi[r]),
            _mm256_loadu_ps (vb + r * hd + j), acc);
      _mm256_storeu_ps (out + i * hd + j, acc);
    }
  }
}

static gboolean
have_avx2 (void)
{
  return ovi_llm_cpu_has_avx2 ();
}
#endif

/* ---- the cache ------------------------------------------------------ */

OviLlmKvCache *
ovi_llm_kv_cache_new (OviLlmKvType type, guint n_layer, guint n_head_kv,
    guint head_dim, guint n_ctx, GError **error)
{
  OviLlmKvCache *kv;
  gsize row_bytes, rows, total;
  void *k = NULL, *v = NULL;

  if (n_layer == 0 || n_head_kv == 0 || head_dim == 0 || n_ctx == 0
      || (type != OVI_LLM_KV_F16 && type != OVI_LLM_KV_Q8_0)) {
    g_set_error (error, OVI_LLM_KV_CACHE_ERROR,
        OVI_LLM_KV_CACHE_ERROR_INVALID, "invalid KV cache geometry");
    return NULL;
  }
  if (head_dim > MAX_HEAD_DIM) {
    g_set_error (error, OVI_LLM_KV_CACHE_ERROR,
        OVI_LLM_KV_CACHE_ERROR_INVALID,
        "heads of %u elements are longer than the %d supported", head_dim,
        MAX_HEAD_DIM);
    return NULL;
  }
  if (type == OVI_LLM_KV_Q8_0 && head_dim % QK != 0) {
    g_set_error (error, OVI_LLM_KV_CACHE_ERROR,
        OVI_LLM_KV_CACHE_ERROR_INVALID,
        "an 8-bit KV cache needs a head size that is a multiple of %d, "
        "not %u", QK, head_dim);
    return NULL;
  }
  row_bytes = type == OVI_LLM_KV_F16 ? (gsize) head_dim * 2
      : (gsize) head_dim / QK * Q8_BLOCK_BYTES;
  /* All factors are below 2^32: check each product against overflow. */
  rows = (gsize) n_layer * n_head_kv;
  if (rows > G_MAXSIZE / n_ctx || rows * n_ctx > G_MAXSIZE / row_bytes) {
    g_set_error (error, OVI_LLM_KV_CACHE_ERROR,
        OVI_LLM_KV_CACHE_ERROR_NO_MEMORY, "KV cache size overflows");
    return NULL;
  }
  total = rows * n_ctx * row_bytes;
  if (posix_memalign (&k, 64, total) != 0
      || posix_memalign (&v, 64, total) != 0) {
    free (k);
    g_set_error (error, OVI_LLM_KV_CACHE_ERROR,
        OVI_LLM_KV_CACHE_ERROR_NO_MEMORY,
        "cannot allocate a KV cache of 2 x %" G_GSIZE_FORMAT " bytes", total);
    return NULL;
  }

  kv = g_new0 (OviLlmKvCache, 1);
  kv->type = type;
  kv->n_layer = n_layer;
  kv->n_head_kv = n_head_kv;
  kv->head_dim = head_dim;
  kv->n_ctx = n_ctx;
  kv->row_bytes = row_bytes;
  kv->head_bytes = row_bytes * n_ctx;
  kv->k = k;
  kv->v = v;
  kv->to_half = to_half_generic;
  kv->decode = type == OVI_LLM_KV_F16 ? decode_f16_generic : decode_q8;
  kv->scores = scores_generic;
  kv->sum = sum_generic;
#ifdef HAVE_X86
  if (have_avx2 ()) {
    kv->to_half = to_half_f16c;
    if (type == OVI_LLM_KV_F16)
      kv->decode = decode_f16_f16c;
    if (head_dim % 8 == 0) {
      kv->scores = scores_avx2;
      kv->sum = sum_avx2;
    }
  }
#endif
  return kv;
}

void
ovi_llm_kv_cache_free (OviLlmKvCache *kv)
{
  if (kv == NULL)
    return;
  free (kv->k);
  free (kv->v);
  g_free (kv);
}

OviLlmKvType
ovi_llm_kv_cache_type (const OviLlmKvCache *kv)
{
  return kv->type;
}

guint
ovi_llm_kv_cache_n_ctx (const OviLlmKvCache *kv)
{
  return kv->n_ctx;
}

gsize
ovi_llm_kv_cache_bytes (const OviLlmKvCache *kv)
{
  return 2 * kv->head_bytes * kv->n_layer * kv->n_head_kv;
}

static gsize
head_offset (const OviLlmKvCache *kv, guint layer, guint head)
{
  return ((gsize) layer * kv->n_head_kv + head) * kv->head_bytes;
}

void
ovi_llm_kv_cache_store (OviLlmKvCache *kv, guint layer, guint head,
    guint pos, const float *k, const float *v)
{
  gsize at = head_offset (kv, layer, head) + (gsize) pos * kv->row_bytes;

  encode_row (kv, k, kv->head_dim, kv->k + at);
  encode_row (kv, v, kv->head_dim, kv->v + at);
}

void
ovi_llm_kv_cache_scores (const OviLlmKvCache *kv, guint layer, guint head,
    const float *q, guint n_q, guint n_pos, float scale, float *scores,
    gsize stride)
{
  const guint8 *rows = kv->k + head_offset (kv, layer, head);
  float block[BLOCK * MAX_HEAD_DIM];
  guint hd = kv->head_dim, s0, r;

  for (s0 = 0; s0 < n_pos; s0 += BLOCK) {
    guint nb = MIN (BLOCK, n_pos - s0);
    for (r = 0; r < nb; r++)
      kv->decode (rows + (gsize) (s0 + r) * kv->row_bytes, hd, block + r * hd);
    if (nb < BLOCK)
      memset (block + nb * hd, 0, (BLOCK - nb) * hd * sizeof (float));
    kv->scores (block, nb, hd, q, n_q, scale, scores + s0, stride);
  }
}

void
ovi_llm_kv_cache_weighted_sum (const OviLlmKvCache *kv, guint layer,
    guint head, const float *p, gsize stride, guint n_q, guint n_pos,
    float *out)
{
  const guint8 *rows = kv->v + head_offset (kv, layer, head);
  float block[BLOCK * MAX_HEAD_DIM];
  guint hd = kv->head_dim, s0, r;

  memset (out, 0, (gsize) n_q * hd * sizeof (float));
  for (s0 = 0; s0 < n_pos; s0 += BLOCK) {
    guint nb = MIN (BLOCK, n_pos - s0);
    for (r = 0; r < nb; r++)
      kv->decode (rows + (gsize) (s0 + r) * kv->row_bytes, hd, block + r * hd);
    kv->sum (block, nb, hd, p + s0, stride, n_q, out);
  }
}

void
ovi_llm_kv_cache_discard (OviLlmKvCache *kv, guint n_used, guint n_keep,
    guint n_discard, OviLlmKvRotateFunc rotate, gpointer user_data)
{
  guint layer, head, s, n_move;
  float *buf;

  if (n_discard == 0 || n_keep >= n_used)
    return;
  n_discard = MIN (n_discard, n_used - n_keep);
  n_move = n_used - n_keep - n_discard;
  /* A rare operation (once per n_discard generated tokens): a temporary
   * row buffer is fine here. */
  buf = g_new (float, kv->head_dim);
  for (layer = 0; layer < kv->n_layer; layer++) {
    for (head = 0; head < kv->n_head_kv; head++) {
      gsize base = head_offset (kv, layer, head);
      guint8 *kd = kv->k + base + (gsize) n_keep * kv->row_bytes;
      guint8 *vd = kv->v + base + (gsize) n_keep * kv->row_bytes;
      gsize shift = (gsize) n_discard * kv->row_bytes;

      memmove (vd, vd + shift, (gsize) n_move * kv->row_bytes);
      for (s = 0; s < n_move; s++) {
        guint8 *row = kd + (gsize) s * kv->row_bytes;
        kv->decode (row + shift, kv->head_dim, buf);
        if (rotate != NULL)
          rotate (buf, -(int) n_discard, user_data);
        encode_row (kv, buf, kv->head_dim, row);
      }
    }
  }
  g_free (buf);
}
