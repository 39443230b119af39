#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define HAVE_X86 1
#endif

#include "kv-cache.h"

#define QK 32
#define Q8_BLOCK_BYTES (2 + QK)

G_DEFINE_QUARK (ovi-llm-kv-cache-error-quark, ovi_llm_kv_cache_error)

typedef void (*ScoresFunc) (const guint8 *rows, gsize row_bytes,
    guint head_dim, const float *q, guint n_pos, float scale, float *scores);
typedef void (*SumFunc) (const guint8 *rows, gsize row_bytes, guint head_dim,
    const float *p, guint n_pos, float *out);

struct _OviLlmKvCache {
  OviLlmKvType type;
  guint n_layer, n_head_kv, head_dim, n_ctx;
  gsize row_bytes;      /* one position of one head */
  gsize head_bytes;     /* n_ctx rows */
  guint8 *k, *v;
  ScoresFunc scores;
  SumFunc sum;
};

/* ---- half precision, portable ------------------------------------- */

static float
half_to_float (guint16 h)
{
  guint32 sign = (guint32) (h & 0x8000) << 16;
  guint32 exp = (h >> 10) & 0x1f;
  guint32 man = h & 0x3ff;
  guint32 bits;
  float f;

  if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (man << 13);
  } else if (exp != 0) {
    bits = sign | ((exp + 112) << 23) | (man << 13);
  } else {
    f = (float) man * (1.0f / 16777216.0f);
    memcpy (&bits, &f, 4);
    bits |= sign;
  }
  memcpy (&f, &bits, 4);
  return f;
}

static guint16
float_to_half (float f)
{
  guint32 x, sign, abs;

  memcpy (&x, &f, 4);
  sign = (x >> 16) & 0x8000;
  abs = x & 0x7fffffffu;
  if (abs >= 0x7f800000u)
    return (guint16) (sign | 0x7c00 | (abs > 0x7f800000u ? 0x200 : 0));
  if (abs >= 0x477ff000u)
    return (guint16) (sign | 0x7c00);
  if (abs < 0x38800000u) {
    float a;
    memcpy (&a, &abs, 4);
    a += 0.5f;   /* the FPU rounds onto the subnormal grid */
    memcpy (&abs, &a, 4);
    return (guint16) (sign | (abs - 0x3f000000u));
  }
  abs += ((abs >> 13) & 1) + 0xfffu - (112u << 23);
  return (guint16) (sign | (abs >> 13));
}

/* ---- row encodings -------------------------------------------------- */

static void
encode_row (OviLlmKvType type, const float *x, guint n, guint8 *row)
{
  guint i, b;

  if (type == OVI_LLM_KV_F16) {
    guint16 *h = (guint16 *) row;
    for (i = 0; i < n; i++)
      h[i] = float_to_half (x[i]);
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
    dh = float_to_half (d);
    memcpy (blk, &dh, 2);
    /* Quantize against the scale as stored (rounded to f16), so that
     * decoding multiplies back by exactly the scale used here. */
    d = half_to_float (dh);
    id = d > 0.0f ? 1.0f / d : 0.0f;
    for (i = 0; i < QK; i++) {
      float r = roundf (xb[i] * id);
      qs[i] = (gint8) CLAMP (r, -127.0f, 127.0f);
    }
  }
}

static void
decode_row (OviLlmKvType type, const guint8 *row, guint n, float *x)
{
  guint i, b;

  if (type == OVI_LLM_KV_F16) {
    const guint16 *h = (const guint16 *) row;
    for (i = 0; i < n; i++)
      x[i] = half_to_float (h[i]);
    return;
  }
  for (b = 0; b < n / QK; b++) {
    const guint8 *blk = row + b * Q8_BLOCK_BYTES;
    const gint8 *qs = (const gint8 *) (blk + 2);
    guint16 dh;
    float d;

    memcpy (&dh, blk, 2);
    d = half_to_float (dh);
    for (i = 0; i < QK; i++)
      x[b * QK + i] = d * qs[i];
  }
}

/* ---- portable kernels ----------------------------------------------- */

static void
scores_f16_generic (const guint8 *rows, gsize row_bytes, guint head_dim,
    const float *q, guint n_pos, float scale, float *scores)
{
  guint s, i;
  for (s = 0; s < n_pos; s++) {
    const guint16 *k = (const guint16 *) (rows + s * row_bytes);
    float sum = 0.0f;
    for (i = 0; i < head_dim; i++)
      sum += q[i] * half_to_float (k[i]);
    scores[s] = sum * scale;
  }
}

static void
sum_f16_generic (const guint8 *rows, gsize row_bytes, guint head_dim,
    const float *p, guint n_pos, float *out)
{
  guint s, i;
  memset (out, 0, head_dim * sizeof (float));
  for (s = 0; s < n_pos; s++) {
    const guint16 *v = (const guint16 *) (rows + s * row_bytes);
    for (i = 0; i < head_dim; i++)
      out[i] += p[s] * half_to_float (v[i]);
  }
}

static void
scores_q8_generic (const guint8 *rows, gsize row_bytes, guint head_dim,
    const float *q, guint n_pos, float scale, float *scores)
{
  guint s, b, i;
  for (s = 0; s < n_pos; s++) {
    const guint8 *row = rows + s * row_bytes;
    float sum = 0.0f;
    for (b = 0; b < head_dim / QK; b++) {
      const guint8 *blk = row + b * Q8_BLOCK_BYTES;
      const gint8 *qs = (const gint8 *) (blk + 2);
      guint16 dh;
      float part = 0.0f;
      memcpy (&dh, blk, 2);
      for (i = 0; i < QK; i++)
        part += q[b * QK + i] * qs[i];
      sum += part * half_to_float (dh);
    }
    scores[s] = sum * scale;
  }
}

static void
sum_q8_generic (const guint8 *rows, gsize row_bytes, guint head_dim,
    const float *p, guint n_pos, float *out)
{
  guint s, b, i;
  memset (out, 0, head_dim * sizeof (float));
  for (s = 0; s < n_pos; s++) {
    const guint8 *row = rows + s * row_bytes;
    for (b = 0; b < head_dim / QK; b++) {
      const guint8 *blk = row + b * Q8_BLOCK_BYTES;
      const gint8 *qs = (const gint8 *) (blk + 2);
      guint16 dh;
      float w;
      memcpy (&dh, blk, 2);
      w = p[s] * half_to_float (dh);
      for (i = 0; i < QK; i++)
        out[b * QK + i] += w * qs[i];
    }
  }
}

/* ---- AVX2 + F16C kernels -------------------------------------------- */

#ifdef HAVE_X86
#define TARGET __attribute__ ((target ("avx2,fma,f16c")))

TARGET static inline float
hsum8 (__m256 v)
{
  __m128 s = _mm_add_ps (_mm256_castps256_ps128 (v),
      _mm256_extractf128_ps (v, 1));
  s = _mm_add_ps (s, _mm_movehl_ps (s, s));
  s = _mm_add_ss (s, _mm_movehdup_ps (s));
  return _mm_cvtss_f32 (s);
}

TARGET static void
scores_f16_avx2 (const guint8 *rows, gsize row_bytes, guint head_dim,
    const float *q, guint n_pos, float scale, float *scores)
{
  guint s, i, n8 = head_dim & ~7u;
  for (s = 0; s < n_pos; s++) {
    const guint16 *k = (const guint16 *) (rows + s * row_bytes);
    __m256 acc = _mm256_setzero_ps ();
    float sum;
    for (i = 0; i < n8; i += 8) {
      __m256 kv = _mm256_cvtph_ps (_mm_loadu_si128 ((const __m128i *) (k + i)));
      acc = _mm256_fmadd_ps (_mm256_loadu_ps (q + i), kv, acc);
    }
    sum = hsum8 (acc);
    for (; i < head_dim; i++)
      sum += q[i] * half_to_float (k[i]);
    scores[s] = sum * scale;
  }
}

TARGET static void
sum_f16_avx2 (const guint8 *rows, gsize row_bytes, guint head_dim,
    const float *p, guint n_pos, float *out)
{
  guint s, i, n8 = head_dim & ~7u;
  memset (out, 0, head_dim * sizeof (float));
  for (s = 0; s < n_pos; s++) {
    const guint16 *v = (const guint16 *) (rows + s * row_bytes);
    __m256 w = _mm256_set1_ps (p[s]);
    for (i = 0; i < n8; i += 8) {
      __m256 vv = _mm256_cvtph_ps (_mm_loadu_si128 ((const __m128i *) (v + i)));
      _mm256_storeu_ps (out + i,
          _mm256_fmadd_ps (w, vv, _mm256_loadu_ps (out + i)));
    }
    for (; i < head_dim; i++)
      out[i] += p[s] * half_to_float (v[i]);
  }
}

TARGET static inline __m256
load_q8x8 (const gint8 *qs)
{
  __m128i b = _mm_loadl_epi64 ((const __m128i *) qs);
  return _mm256_cvtepi32_ps (_mm256_cvtepi8_epi32 (b));
}

TARGET static void
scores_q8_avx2 (const guint8 *rows, gsize row_bytes, guint head_dim,
    const float *q, guint n_pos, float scale, float *scores)
{
  guint s, b, j;
  for (s = 0; s < n_pos; s++) {
    const guint8 *row = rows + s * row_bytes;
    __m256 acc = _mm256_setzero_ps ();
    for (b = 0; b < head_dim / QK; b++) {
      const guint8 *blk = row + b * Q8_BLOCK_BYTES;
      const gint8 *qs = (const gint8 *) (blk + 2);
      __m256 part = _mm256_setzero_ps ();
      guint16 dh;
      memcpy (&dh, blk, 2);
      for (j = 0; j < QK; j += 8)
        part = _mm256_fmadd_ps (_mm256_loadu_ps (q + b * QK + j),
            load_q8x8 (qs + j), part);
      acc = _mm256_fmadd_ps (_mm256_set1_ps (half_to_float (dh)), part, acc);
    }
    scores[s] = hsum8 (acc) * scale;
  }
}

TARGET static void
sum_q8_avx2 (const guint8 *rows, gsize row_bytes, guint head_dim,
    const float *p, guint n_pos, float *out)
{
  guint s, b, j;
  memset (out, 0, head_dim * sizeof (float));
  for (s = 0; s < n_pos; s++) {
    const guint8 *row = rows + s * row_bytes;
    for (b = 0; b < head_dim / QK; b++) {
      const guint8 *blk = row + b * Q8_BLOCK_BYTES;
      const gint8 *qs = (const gint8 *) (blk + 2);
      guint16 dh;
      __m256 w;
      memcpy (&dh, blk, 2);
      w = _mm256_set1_ps (p[s] * half_to_float (dh));
      for (j = 0; j < QK; j += 8) {
        float *o = out + b * QK + j;
        _mm256_storeu_ps (o,
            _mm256_fmadd_ps (w, load_q8x8 (qs + j), _mm256_loadu_ps (o)));
      }
    }
  }
}

static gboolean
have_avx2 (void)
{
  __builtin_cpu_init ();
  return __builtin_cpu_supports ("avx2") && __builtin_cpu_supports ("fma")
      && __builtin_cpu_supports ("f16c");
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
  kv->scores = type == OVI_LLM_KV_F16 ? scores_f16_generic : scores_q8_generic;
  kv->sum = type == OVI_LLM_KV_F16 ? sum_f16_generic : sum_q8_generic;
#ifdef HAVE_X86
  if (have_avx2 ()) {
    kv->scores = type == OVI_LLM_KV_F16 ? scores_f16_avx2 : scores_q8_avx2;
    kv->sum = type == OVI_LLM_KV_F16 ? sum_f16_avx2 : sum_q8_avx2;
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

  encode_row (kv->type, k, kv->head_dim, kv->k + at);
  encode_row (kv->type, v, kv->head_dim, kv->v + at);
}

void
ovi_llm_kv_cache_scores (const OviLlmKvCache *kv, guint layer, guint head,
    const float *q, guint n_pos, float scale, float *scores)
{
  kv->scores (kv->k + head_offset (kv, layer, head), kv->row_bytes,
      kv->head_dim, q, n_pos, scale, scores);
}

void
ovi_llm_kv_cache_weighted_sum (const OviLlmKvCache *kv, guint layer,
    guint head, const float *p, guint n_pos, float *out)
{
  kv->sum (kv->v + head_offset (kv, layer, head), kv->row_bytes,
      kv->head_dim, p, n_pos, out);
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
        decode_row (kv->type, row + shift, kv->head_dim, buf);
        if (rotate != NULL)
          rotate (buf, -(int) n_discard, user_data);
        encode_row (kv->type, buf, kv->head_dim, row);
      }
    }
  }
  g_free (buf);
}
