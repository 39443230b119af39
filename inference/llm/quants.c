#include "quants.h"

#include "../half-float.h"

#include <math.h>
#include <string.h>

/* One implementation with the graph engine's tensors: half-float.h. */
float
ovi_llm_fp16_to_fp32 (OviFp16 h)
{
  return ovi_half_to_float (h);
}

OviFp16
ovi_llm_fp32_to_fp16 (float f)
{
  return ovi_float_to_half (f);
}

float
ovi_llm_bf16_to_fp32 (OviBf16 h)
{
  return ovi_bfloat_to_float (h);
}

OviBf16
ovi_llm_fp32_to_bf16 (float f)
{
  return ovi_float_to_bfloat (f);
}

void
ovi_llm_q4k_scale_min (const uint8_t scales[12], int j, uint8_t *sc,
    uint8_t *m)
{
  if (j < 4) {
    *sc = scales[j] & 63;
    *m = scales[j + 4] & 63;
  } else {
    *sc = (scales[j + 4] & 15) | ((scales[j - 4] >> 6) << 4);
    *m = (scales[j + 4] >> 4) | ((scales[j] >> 6) << 4);
  }
}

static void
dequant_q8_0 (const OviBlockQ8_0 *b, gsize nb, float *y)
{
  for (gsize i = 0; i < nb; i++) {
    float d = ovi_llm_fp16_to_fp32 (b[i].d);
    for (int j = 0; j < OVI_QK; j++)
      y[i * OVI_QK + j] = d * b[i].qs[j];
  }
}

static void
dequant_q4_0 (const OviBlockQ4_0 *b, gsize nb, float *y)
{
  for (gsize i = 0; i < nb; i++) {
    float d = ovi_llm_fp16_to_fp32 (b[i].d);
    for (int j = 0; j < OVI_QK / 2; j++) {
      y[i * OVI_QK + j] = d * ((b[i].qs[j] & 15) - 8);
      y[i * OVI_QK + j + 16] = d * ((b[i].qs[j] >> 4) - 8);
    }
  }
}

static void
dequant_q4_k (const OviBlockQ4_K *b, gsize nb, float *y)
{
  for (gsize i = 0; i < nb; i++) {
    float d = ovi_llm_fp16_to_fp32 (b[i].d);
    float dmin = ovi_llm_fp16_to_fp32 (b[i].dmin);
    for (int j = 0; j < 8; j++) {
      uint8_t sc, m;
      const uint8_t *q = b[i].qs + 32 * (j / 2);
      int shift = (j & 1) * 4;
      float scale, min;
      ovi_llm_q4k_scale_min (b[i].scales, j, &sc, &m);
      scale = d * sc;
      min = dmin * m;
      for (int l = 0; l < 32; l++)
        *y++ = scale * ((q[l] >> shift) & 15) - min;
    }
  }
}

static void
dequant_q6_k (const OviBlockQ6_K *b, gsize nb, float *y)
{
  for (gsize i = 0; i < nb; i++) {
    float d = ovi_llm_fp16_to_fp32 (b[i].d);
    for (int e = 0; e < OVI_QK_K; e++) {
      int h = e / 128, r = e % 128, l = r % 32, quarter = r / 32;
      uint8_t lo = b[i].ql[64 * h + l + 32 * (quarter & 1)];
      int q = ((quarter < 2 ? lo : lo >> 4) & 15)
          | (((b[i].qh[32 * h + l] >> (2 * quarter)) & 3) << 4);
      y[e] = d * b[i].scales[e / 16] * (q - 32);
    }
    y += OVI_QK_K;
  }
}

gboolean
ovi_llm_dequantize (OviGgmlType type, const void *row, gsize n, float *out)
{
  guint be = ovi_ggml_block_elements (type);

  if (be == 0 || n % be != 0)
    return FALSE;
  switch (type) {
    case OVI_GGML_TYPE_F32:
      memcpy (out, row, n * sizeof (float));
      return TRUE;
    case OVI_GGML_TYPE_F16: {
      const guint8 *p = row;
      for (gsize i = 0; i < n; i++) {
        OviFp16 h;
        memcpy (&h, p + 2 * i, 2);
        out[i] = ovi_llm_fp16_to_fp32 (h);
      }
      return TRUE;
    }
    case OVI_GGML_TYPE_BF16: {
      const guint8 *p = row;
      for (gsize i = 0; i < n; i++) {
        OviBf16 h;
        memcpy (&h, p + 2 * i, 2);
        out[i] = ovi_llm_bf16_to_fp32 (h);
      }
      return TRUE;
    }
    case OVI_GGML_TYPE_Q8_0:
      dequant_q8_0 (row, n / be, out);
      return TRUE;
    case OVI_GGML_TYPE_Q4_0:
      dequant_q4_0 (row, n / be, out);
      return TRUE;
    case OVI_GGML_TYPE_Q4_K:
      dequant_q4_k (row, n / be, out);
      return TRUE;
    case OVI_GGML_TYPE_Q6_K:
      dequant_q6_k (row, n / be, out);
      return TRUE;
    default:
      return FALSE;
  }
}

void
ovi_llm_quantize_q8_0 (const float *x, gsize n, OviBlockQ8_0 *out)
{
  for (gsize i = 0; i < n / OVI_QK; i++) {
    float amax = 0, d, id;
    for (int j = 0; j < OVI_QK; j++)
      amax = MAX (amax, fabsf (x[i * OVI_QK + j]));
    d = amax / 127;
    id = d != 0 ? 1.0f / d : 0.0f;
    out[i].d = ovi_llm_fp32_to_fp16 (d);
    for (int j = 0; j < OVI_QK; j++)
      out[i].qs[j] = (int8_t) roundf (x[i * OVI_QK + j] * id);
  }
}
