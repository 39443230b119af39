/* The API of matmul.h: activation layout and quantization, the dispatch
 * between the AVX2 kernels (matmul-avx2.c) and the portable scalar ones
 * here, and the OpenMP split over rows. The scalar kernels compute the
 * same integer block dots as the AVX2 ones (same activation quants), so
 * both paths agree up to the order of float additions. */
#include "matmul-impl.h"

#include "cpu-features.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>

/* Rows per tile of the AVX2 kernels: thread chunks start at multiples of
 * it so that no tile straddles two threads. */
#define TILE_ROWS 8

static gboolean
is_quantized (OviGgmlType type)
{
  return type == OVI_GGML_TYPE_Q8_0 || type == OVI_GGML_TYPE_Q4_0
      || type == OVI_GGML_TYPE_Q4_K || type == OVI_GGML_TYPE_Q6_K;
}

gboolean
ovi_llm_weight_type_supported (OviGgmlType type, gsize n_in)
{
  guint be;
  if (!(is_quantized (type) || type == OVI_GGML_TYPE_F32
          || type == OVI_GGML_TYPE_F16 || type == OVI_GGML_TYPE_BF16))
    return FALSE;
  be = ovi_ggml_block_elements (type);
  return n_in > 0 && n_in % be == 0;
}

static gsize
round32 (gsize n)
{
  return (n + 31) & ~(gsize) 31;
}

void
ovi_llm_act_layout (OviGgmlType type, gsize n_in, gsize n_tokens,
    OviLlmActLayout *l)
{
  memset (l, 0, sizeof (*l));
  l->n_in = n_in;
  l->nb = n_in / OVI_QK;
  l->quantized = is_quantized (type);
  if (!l->quantized) {
    l->stride = n_in * sizeof (float);
    return;
  }
  l->has16 = n_tokens >= OVI_LLM_PANEL_MIN_TOKENS
      && (type == OVI_GGML_TYPE_Q8_0 || type == OVI_GGML_TYPE_Q6_K);
  l->off_ds = l->nb * sizeof (float);
  l->off_q = round32 (2 * l->nb * sizeof (float));
  l->off_q16 = round32 (l->off_q + n_in);
  l->stride = l->has16 ? round32 (l->off_q16 + 2 * n_in) : l->off_q16;
}

gsize
ovi_llm_activation_bytes (OviGgmlType type, gsize n_in, gsize n_tokens)
{
  OviLlmActLayout l;
  ovi_llm_act_layout (type, n_in, n_tokens, &l);
  return l.stride * n_tokens;
}

/* The scalar twin of the AVX2 quantizer: same scale, same rounding (ties
 * to even, as cvtps2dq in the default rounding mode). */
static void
quantize_row_scalar (const float *x, const OviLlmActLayout *l, void *rec)
{
  float *d = rec;
  float *ds = (float *) ((guint8 *) rec + l->off_ds);
  int8_t *q = (int8_t *) ((guint8 *) rec + l->off_q);
  int16_t *q16 = (int16_t *) ((guint8 *) rec + l->off_q16);

  for (gsize b = 0; b < l->nb; b++) {
    float amax = 0, id;
    int s = 0;
    for (int j = 0; j < OVI_QK; j++)
      amax = MAX (amax, fabsf (x[b * OVI_QK + j]));
    d[b] = amax / 127;
    id = d[b] != 0 ? 1.0f / d[b] : 0.0f;
    for (int j = 0; j < OVI_QK; j++) {
      float v = x[b * OVI_QK + j] * id;
      /* in range for finite inputs; the tests keep NaN out of (int) */
      int qi = v >= 127.f ? 127 : v <= -127.f ? -127
          : v == v ? (int) nearbyintf (v) : 0;
      q[b * OVI_QK + j] = (int8_t) qi;
      if (l->has16)
        q16[b * OVI_QK + j] = (int16_t) qi;
      s += qi;
    }
    ds[b] = d[b] * (float) s;
  }
}

/* ---- scalar dot products of one weight row with one token ---- */

static float
dot_f32 (const float *w, const float *x, gsize n)
{
  float acc = 0;
  for (gsize i = 0; i < n; i++)
    acc += w[i] * x[i];
  return acc;
}

static float
dot_f16 (const guint8 *w, const float *x, gsize n)
{
  float acc = 0;
  for (gsize i = 0; i < n; i++) {
    OviFp16 h;
    memcpy (&h, w + 2 * i, 2);
    acc += ovi_llm_fp16_to_fp32 (h) * x[i];
  }
  return acc;
}

static float
dot_bf16 (const guint8 *w, const float *x, gsize n)
{
  float acc = 0;
  for (gsize i = 0; i < n; i++) {
    OviBf16 h;
    memcpy (&h, w + 2 * i, 2);
    acc += ovi_llm_bf16_to_fp32 (h) * x[i];
  }
  return acc;
}

static float
dot_q8_0 (const OviBlockQ8_0 *w, const void *qx, const OviLlmActLayout *l,
    gsize t)
{
  const float *d = ovi_llm_act_d (qx, l, t);
  const int8_t *q = ovi_llm_act_q (qx, l, t);
  float acc = 0;
  for (gsize b = 0; b < l->nb; b++) {
    int s = 0;
    for (int j = 0; j < OVI_QK; j++)
      s += w[b].qs[j] * q[b * OVI_QK + j];
    acc += ovi_llm_fp16_to_fp32 (w[b].d) * d[b] * (float) s;
  }
  return acc;
}

/* Q4_0 as the tiled kernel sees it: unsigned nibbles times the scale, plus
 * the offset -8 * d times the block's activation sum. */
static float
dot_q4_0 (const OviBlockQ4_0 *w, const void *qx, const OviLlmActLayout *l,
    gsize t)
{
  const float *d = ovi_llm_act_d (qx, l, t);
  const float *ds = ovi_llm_act_ds (qx, l, t);
  const int8_t *q = ovi_llm_act_q (qx, l, t);
  float acc = 0;
  for (gsize b = 0; b < l->nb; b++) {
    const int8_t *xq = q + b * OVI_QK;
    float dw = ovi_llm_fp16_to_fp32 (w[b].d);
    int s = 0;
    for (int j = 0; j < OVI_QK / 2; j++)
      s += (w[b].qs[j] & 15) * xq[j] + (w[b].qs[j] >> 4) * xq[j + 16];
    acc += dw * d[b] * (float) s - 8 * dw * ds[b];
  }
  return acc;
}

static float
dot_q4_k (const OviBlockQ4_K *w, const void *qx, const OviLlmActLayout *l,
    gsize t)
{
  const float *d = ovi_llm_act_d (qx, l, t);
  const float *ds = ovi_llm_act_ds (qx, l, t);
  const int8_t *q = ovi_llm_act_q (qx, l, t);
  float acc = 0;
  for (gsize i = 0; i < l->nb / 8; i++) {
    float dd = ovi_llm_fp16_to_fp32 (w[i].d);
    float dmin = ovi_llm_fp16_to_fp32 (w[i].dmin);
    for (int j = 0; j < 8; j++) {
      gsize b = 8 * i + j;
      const uint8_t *wq = w[i].qs + 32 * (j / 2);
      int shift = 4 * (j & 1), s = 0;
      uint8_t sc, m;
      ovi_llm_q4k_scale_min (w[i].scales, j, &sc, &m);
      for (int e = 0; e < 32; e++)
        s += ((wq[e] >> shift) & 15) * q[b * OVI_QK + e];
      acc += dd * sc * d[b] * (float) s - dmin * m * ds[b];
    }
  }
  return acc;
}

static int
q6_value (const OviBlockQ6_K *b, int e)
{
  int h = e / 128, r = e % 128, l = r % 32, quarter = r / 32;
  uint8_t lo = b->ql[64 * h + l + 32 * (quarter & 1)];
  return (((quarter < 2 ? lo : lo >> 4) & 15)
      | (((b->qh[32 * h + l] >> (2 * quarter)) & 3) << 4)) - 32;
}

static float
dot_q6_k (const OviBlockQ6_K *w, const void *qx, const OviLlmActLayout *l,
    gsize t)
{
  const float *d = ovi_llm_act_d (qx, l, t);
  const int8_t *q = ovi_llm_act_q (qx, l, t);
  float acc = 0;
  for (gsize i = 0; i < l->nb / 8; i++) {
    float dd = ovi_llm_fp16_to_fp32 (w[i].d);
    for (int c = 0; c < 8; c++) {
      gsize b = 8 * i + c;
      int s = 0;
      for (int e = 0; e < 32; e++)
        s += w[i].scales[(32 * c + e) / 16] * q6_value (&w[i], 32 * c + e)
            * q[b * OVI_QK + e];
      acc += dd * d[b] * (float) s;
    }
  }
  return acc;
}

/* Row i (0..7) of a repacked Q4_0 group (layout in matmul-impl.h). */
static float
dot_q4x8 (const guint8 *grp, int i, const void *qx, const OviLlmActLayout *l,
    gsize t)
{
  const float *d = ovi_llm_act_d (qx, l, t);
  const float *ds = ovi_llm_act_ds (qx, l, t);
  const int8_t *q = ovi_llm_act_q (qx, l, t);
  float acc = 0;
  for (gsize b = 0; b < l->nb; b++) {
    const int8_t *xq = q + b * OVI_QK;
    OviFp16 h;
    float dw;
    int s = 0;
    memcpy (&h, ovi_llm_q4x8_d (grp, b) + 2 * i, 2);
    dw = ovi_llm_fp16_to_fp32 (h);
    for (int k = 0; k < 4; k++)
      for (int j = 0; j < 4; j++) {
        guint8 v = ovi_llm_q4x8_qs (grp, b)[32 * k + 4 * i + j];
        s += (v & 15) * xq[4 * k + j] + (v >> 4) * xq[16 + 4 * k + j];
      }
    acc += dw * d[b] * (float) s - 8 * dw * ds[b];
  }
  return acc;
}

/* Row i (0..7) of a repacked Q4_K group. */
static float
dot_q4kx8 (const guint8 *grp, int i, const void *qx, const OviLlmActLayout *l,
    gsize t)
{
  const float *d = ovi_llm_act_d (qx, l, t);
  const float *ds = ovi_llm_act_ds (qx, l, t);
  const int8_t *q = ovi_llm_act_q (qx, l, t);
  float acc = 0;
  for (gsize s = 0; s < l->nb / 8; s++) {
    const guint8 *sb = grp + s * OVI_LLM_Q4KX8_BYTES;
    uint8_t scales[12];
    OviFp16 h;
    float dd, dmin;
    memcpy (&h, sb + 2 * i, 2);
    dd = ovi_llm_fp16_to_fp32 (h);
    memcpy (&h, sb + 16 + 2 * i, 2);
    dmin = ovi_llm_fp16_to_fp32 (h);
    for (int k = 0; k < 3; k++)
      memcpy (scales + 4 * k, sb + 32 + 32 * k + 4 * i, 4);
    for (int j = 0; j < 8; j++) {
      gsize b = 8 * s + j;
      int p = j / 2, shift = 4 * (j & 1), sum = 0;
      uint8_t sc, m;
      ovi_llm_q4k_scale_min (scales, j, &sc, &m);
      for (int c = 0; c < 32; c++)
        sum += ((sb[128 + 256 * p + 32 * (c / 4) + 4 * i + c % 4] >> shift)
            & 15) * q[b * OVI_QK + c];
      acc += dd * sc * d[b] * (float) sum - dmin * m * ds[b];
    }
  }
  return acc;
}

static void
rows_scalar_packed (const OviLlmWeight *w, const void *qx,
    const OviLlmActLayout *l, gsize n_tokens, float *y, gsize y_stride,
    gsize row_begin, gsize row_end)
{
  gsize gb = ovi_llm_packed_group_bytes (w->type, l->nb);
  for (gsize r = row_begin; r < row_end; r++) {
    const guint8 *grp = (const guint8 *) w->packed
        + r / OVI_LLM_PACK_ROWS * gb;
    int i = (int) (r % OVI_LLM_PACK_ROWS);
    for (gsize t = 0; t < n_tokens; t++)
      y[t * y_stride + r] = w->type == OVI_GGML_TYPE_Q4_0
          ? dot_q4x8 (grp, i, qx, l, t) : dot_q4kx8 (grp, i, qx, l, t);
  }
}

static void
rows_scalar (const OviLlmWeight *w, const void *qx, const OviLlmActLayout *l,
    gsize n_tokens, float *y, gsize y_stride, gsize row_begin, gsize row_end)
{
  if (w->packed) {
    rows_scalar_packed (w, qx, l, n_tokens, y, y_stride, row_begin, row_end);
    return;
  }
  for (gsize r = row_begin; r < row_end; r++) {
    const guint8 *row = (const guint8 *) w->data + r * w->row_bytes;
    for (gsize t = 0; t < n_tokens; t++) {
      const float *x = (const float *) ((const guint8 *) qx + t * l->stride);
      float v = 0;
      switch (w->type) {
        case OVI_GGML_TYPE_F32:
          v = dot_f32 ((const float *) row, x, w->n_in);
          break;
        case OVI_GGML_TYPE_F16:
          v = dot_f16 (row, x, w->n_in);
          break;
        case OVI_GGML_TYPE_BF16:
          v = dot_bf16 (row, x, w->n_in);
          break;
        case OVI_GGML_TYPE_Q8_0:
          v = dot_q8_0 ((const OviBlockQ8_0 *) row, qx, l, t);
          break;
        case OVI_GGML_TYPE_Q4_0:
          v = dot_q4_0 ((const OviBlockQ4_0 *) row, qx, l, t);
          break;
        case OVI_GGML_TYPE_Q4_K:
          v = dot_q4_k ((const OviBlockQ4_K *) row, qx, l, t);
          break;
        case OVI_GGML_TYPE_Q6_K:
          v = dot_q6_k ((const OviBlockQ6_K *) row, qx, l, t);
          break;
        default:
          break;
      }
      y[t * y_stride + r] = v;
    }
  }
}

/* ---- dispatch ---- */

static int simd_mode = -1;   /* -1: not probed; 0: scalar; 1: AVX2 */

static gboolean
cpu_has_avx2 (void)
{
#if OVI_LLM_HAVE_X86
  return ovi_llm_cpu_has_avx2 ();
#else
  return FALSE;
#endif
}

static gboolean
use_avx2 (void)
{
  int m = g_atomic_int_get (&simd_mode);
  if (m < 0) {
    m = cpu_has_avx2 () ? 1 : 0;
    g_atomic_int_set (&simd_mode, m);
  }
  return m == 1;
}

gboolean
ovi_llm_matmul_set_simd (gboolean enable)
{
  gboolean have = cpu_has_avx2 ();
  g_atomic_int_set (&simd_mode, enable && have ? 1 : 0);
  return have || !enable;
}

static void
quantize_token (OviGgmlType type, const float *x, const OviLlmActLayout *l,
    void *rec)
{
  if (!l->quantized) {
    memcpy (rec, x, l->n_in * sizeof (float));
    return;
  }
#if OVI_LLM_HAVE_X86
  if (use_avx2 ()) {
    ovi_llm_avx2_quantize_row (x, l, rec);
    return;
  }
#endif
  quantize_row_scalar (x, l, rec);
}

void
ovi_llm_quantize_activations (OviGgmlType type, const float *x, gsize n_in,
    gsize n_tokens, void *qx)
{
  OviLlmActLayout l;
  ovi_llm_act_layout (type, n_in, n_tokens, &l);
  for (gsize t = 0; t < n_tokens; t++)
    quantize_token (type, x + t * n_in, &l, (guint8 *) qx + t * l.stride);
}

void
ovi_llm_matmul_rows (const OviLlmWeight *w, const void *qx, gsize n_tokens,
    float *y, gsize y_stride, gsize row_begin, gsize row_end)
{
  OviLlmActLayout l;

  if (row_end > w->n_out)
    row_end = w->n_out;
  if (row_begin >= row_end || n_tokens == 0)
    return;
  ovi_llm_act_layout (w->type, w->n_in, n_tokens, &l);
#if OVI_LLM_HAVE_X86
  if (use_avx2 ()) {
    ovi_llm_avx2_rows (w, qx, &l, n_tokens, y, y_stride, row_begin,
        row_end);
    return;
  }
#endif
  rows_scalar (w, qx, &l, n_tokens, y, y_stride, row_begin, row_end);
}

void
ovi_llm_matmul (const OviLlmWeight *w, const float *x, gsize n_tokens,
    float *y, void *scratch, int n_threads)
{
  OviLlmActLayout l;
  gsize units = (w->n_out + TILE_ROWS - 1) / TILE_ROWS;

  ovi_llm_act_layout (w->type, w->n_in, n_tokens, &l);
  if (n_threads <= 1 || units <= 1) {
    ovi_llm_quantize_activations (w->type, x, w->n_in, n_tokens, scratch);
    ovi_llm_matmul_rows (w, scratch, n_tokens, y, w->n_out, 0, w->n_out);
    return;
  }
#pragma omp parallel num_threads (n_threads)
  {
    int nth = omp_get_num_threads (), ith = omp_get_thread_num ();
    gsize per = (units + nth - 1) / nth;
    gsize r0 = MIN (units, per * ith) * TILE_ROWS;
    gsize r1 = MIN (units, per * (ith + 1)) * TILE_ROWS;

#pragma omp for schedule (static)
    for (gsize t = 0; t < n_tokens; t++)
      quantize_token (w->type, x + t * w->n_in, &l,
          (guint8 *) scratch + t * l.stride);
    /* the loop's implicit barrier: every token is quantized */
    ovi_llm_matmul_rows (w, scratch, n_tokens, y, w->n_out, r0,
        MIN (r1, w->n_out));
  }
}

/* ---- load-time repacking ---- */

gsize
ovi_llm_weight_repack_bytes (OviGgmlType type, gsize n_in, gsize n_out)
{
  gsize groups = (n_out + OVI_LLM_PACK_ROWS - 1) / OVI_LLM_PACK_ROWS;
  gsize gb;
  if (!ovi_llm_weight_type_supported (type, n_in) || n_out == 0)
    return 0;
  gb = ovi_llm_packed_group_bytes (type, n_in / OVI_QK);
  if (gb == 0)
    return 0;
  /* a size_t overflow would mean a weight no file can hold */
  if (groups > G_MAXSIZE / gb)
    return 0;
  return groups * gb;
}

static void
repack_q4_0_row (const OviBlockQ4_0 *row, gsize nb, guint8 *grp, int i)
{
  for (gsize b = 0; b < nb; b++) {
    /* the layout functions give const pointers into the group */
    gsize d_off = (gsize) (ovi_llm_q4x8_d (grp, b) - grp);
    gsize q_off = (gsize) (ovi_llm_q4x8_qs (grp, b) - grp);
    memcpy (grp + d_off + 2 * i, &row[b].d, 2);
    for (int k = 0; k < 4; k++)
      memcpy (grp + q_off + 32 * k + 4 * i, row[b].qs + 4 * k, 4);
  }
}

static void
repack_q4_k_row (const OviBlockQ4_K *row, gsize n_super, guint8 *grp, int i)
{
  for (gsize s = 0; s < n_super; s++) {
    guint8 *sb = grp + s * OVI_LLM_Q4KX8_BYTES;
    memcpy (sb + 2 * i, &row[s].d, 2);
    memcpy (sb + 16 + 2 * i, &row[s].dmin, 2);
    for (int k = 0; k < 3; k++)
      memcpy (sb + 32 + 32 * k + 4 * i, row[s].scales + 4 * k, 4);
    for (int p = 0; p < 4; p++)
      for (int k = 0; k < 8; k++)
        memcpy (sb + 128 + 256 * p + 32 * k + 4 * i, row[s].qs + 32 * p
            + 4 * k, 4);
  }
}

gboolean
ovi_llm_weight_repack (OviLlmWeight *w)
{
  gsize bytes = ovi_llm_weight_repack_bytes (w->type, w->n_in, w->n_out);
  gsize nb = w->n_in / OVI_QK, gb;
  guint8 *p;

  if (bytes == 0 || w->packed != NULL || w->data == NULL)
    return FALSE;
  /* C11 aligned_alloc: the size is a multiple of 64 (the layout's); NULL
   * instead of an abort when the memory is not there. Zeros: the padding
   * rows and the unused scales of a last partial chunk. */
  p = aligned_alloc (64, bytes);
  if (p == NULL)
    return FALSE;
  memset (p, 0, bytes);
  gb = ovi_llm_packed_group_bytes (w->type, nb);
  /* a TinyLlama takes about a second on one thread: load time */
#pragma omp parallel for schedule (static) if (bytes >= (1 << 20))
  for (gsize r = 0; r < w->n_out; r++) {
    guint8 *grp = p + r / OVI_LLM_PACK_ROWS * gb;
    int i = (int) (r % OVI_LLM_PACK_ROWS);
    const guint8 *row = (const guint8 *) w->data + r * w->row_bytes;
    if (w->type == OVI_GGML_TYPE_Q4_0)
      repack_q4_0_row ((const OviBlockQ4_0 *) row, nb, grp, i);
    else
      repack_q4_k_row ((const OviBlockQ4_K *) row, nb / 8, grp, i);
  }
  w->packed = p;
  return TRUE;
}

void
ovi_llm_weight_clear_packed (OviLlmWeight *w)
{
  free (w->packed);
  w->packed = NULL;
}

void
ovi_llm_dequantize_row (OviGgmlType type, const void *row, gsize n_in,
    float *out)
{
  if (!ovi_llm_dequantize (type, row, n_in, out))
    memset (out, 0, n_in * sizeof (float));
}
