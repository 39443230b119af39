/* TEMPORARY plain implementation of matmul.h for the float weight types
 * only (F32, F16, BF16), so that the model code builds and is tested
 * before the AVX2 quantized kernels land; deleted when they are merged.
 * Activations stay f32 (weights are widened to f32 for the products). */
#include <string.h>

#include "matmul.h"

static float
f16_to_f32 (guint16 h)
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
    /* Subnormal (or zero): value is man * 2^-24. */
    f = (float) man * (1.0f / 16777216.0f);
    memcpy (&bits, &f, 4);
    bits |= sign;
  }
  memcpy (&f, &bits, 4);
  return f;
}

static float
bf16_to_f32 (guint16 h)
{
  guint32 bits = (guint32) h << 16;
  float f;
  memcpy (&f, &bits, 4);
  return f;
}

gboolean
ovi_llm_weight_type_supported (OviGgmlType type, gsize n_in)
{
  (void) n_in;
  return type == OVI_GGML_TYPE_F32 || type == OVI_GGML_TYPE_F16
      || type == OVI_GGML_TYPE_BF16;
}

/* Activations stay f32 for every float weight type here (see the note at
 * the top). */
gsize
ovi_llm_activation_bytes (OviGgmlType type, gsize n_in, gsize n_tokens)
{
  (void) type;
  return n_in * n_tokens * 4;
}

void
ovi_llm_quantize_activations (OviGgmlType type, const float *x, gsize n_in,
    gsize n_tokens, void *qx)
{
  (void) type;
  memcpy (qx, x, n_in * n_tokens * sizeof (float));
}

void
ovi_llm_dequantize_row (OviGgmlType type, const void *row, gsize n_in,
    float *out)
{
  const guint16 *h = row;
  gsize i;

  if (type == OVI_GGML_TYPE_F32)
    memcpy (out, row, n_in * sizeof (float));
  else if (type == OVI_GGML_TYPE_F16)
    for (i = 0; i < n_in; i++)
      out[i] = f16_to_f32 (h[i]);
  else
    for (i = 0; i < n_in; i++)
      out[i] = bf16_to_f32 (h[i]);
}

/* Dot product of one weight row with one activation row, both in the
 * weight's format, converted in chunks so that the inner loop vectorizes. */
static float
row_dot (OviGgmlType type, const guint8 *wr, const guint8 *xr, gsize n)
{
  float wrow[1024];
  const float *x = (const float *) xr;
  gsize es = type == OVI_GGML_TYPE_F32 ? 4 : 2;
  float sum = 0.0f;
  gsize c, i;

  if (type == OVI_GGML_TYPE_F32) {
    const float *a = (const float *) wr, *b = (const float *) xr;
#pragma omp simd reduction(+:sum)
    for (i = 0; i < n; i++)
      sum += a[i] * b[i];
    return sum;
  }
  for (c = 0; c < n; c += 1024) {
    gsize m = MIN (1024, n - c);
    ovi_llm_dequantize_row (type, wr + c * es, m, wrow);
#pragma omp simd reduction(+:sum)
    for (i = 0; i < m; i++)
      sum += wrow[i] * x[c + i];
  }
  return sum;
}

void
ovi_llm_matmul_rows (const OviLlmWeight *w, const void *qx, gsize n_tokens,
    float *y, gsize y_stride, gsize row_begin, gsize row_end)
{
  gsize r, t;
  gsize x_row = ovi_llm_activation_bytes (w->type, w->n_in, 1);

  for (r = row_begin; r < row_end; r++) {
    const guint8 *wr = (const guint8 *) w->data + r * w->row_bytes;
    for (t = 0; t < n_tokens; t++)
      y[t * y_stride + r] = row_dot (w->type, wr,
          (const guint8 *) qx + t * x_row, w->n_in);
  }
}

void
ovi_llm_matmul (const OviLlmWeight *w, const float *x, gsize n_tokens,
    float *y, void *scratch, int n_threads)
{
  ovi_llm_quantize_activations (w->type, x, w->n_in, n_tokens, scratch);
#pragma omp parallel num_threads (n_threads)
  {
#pragma omp for schedule (static)
    for (gsize r = 0; r < w->n_out; r++)
      ovi_llm_matmul_rows (w, scratch, n_tokens, y, w->n_out, r, r + 1);
  }
}
