/* The block layouts of the GGUF weight types the LLM runtime computes with,
 * byte for byte as ggml stores them (ggml's ggml-common.h), the half and
 * bfloat16 conversions, and the reference dequantization of a row.
 *
 * Element values, as ggml defines them (d, dmin: fp16 super-scales):
 *   Q8_0: x[j] = d * qs[j]                                  (32 per block)
 *   Q4_0: x[j] = d * ((qs[j] & 15) - 8), x[j + 16] = d * ((qs[j] >> 4) - 8)
 *   Q4_K: 8 sub-blocks of 32 with 6-bit scale sc and min m
 *         (ovi_llm_q4k_scale_min); sub-block pair p (elements 64p..64p+63)
 *         takes its low nibbles from qs[32p + l] for element 64p + l and
 *         its high nibbles for element 64p + 32 + l;
 *         x = (d * sc) * q - (dmin * m)
 *   Q6_K: 16 sub-blocks of 16 with int8 scales; in each half h of 128
 *         elements, for l < 32, the 6-bit values of elements l, l+32, l+64,
 *         l+96 are the low / low / high / high nibbles of ql[64h + l],
 *         ql[64h + 32 + l], ql[64h + l], ql[64h + 32 + l] with bit pairs 0,
 *         2, 4, 6 of qh[32h + l] above them; x = d * scales[e / 16] * (q - 32)
 */
#ifndef OVI_LLM_QUANTS_H
#define OVI_LLM_QUANTS_H

#include <stdint.h>

#include "ggml-types.h"

G_BEGIN_DECLS

typedef uint16_t OviFp16;
typedef uint16_t OviBf16;

typedef struct {
  OviFp16 d;
  uint8_t qs[OVI_QK / 2];
} OviBlockQ4_0;

typedef struct {
  OviFp16 d;
  int8_t qs[OVI_QK];
} OviBlockQ8_0;

typedef struct {
  OviFp16 d;
  OviFp16 dmin;
  uint8_t scales[12];
  uint8_t qs[OVI_QK_K / 2];
} OviBlockQ4_K;

typedef struct {
  uint8_t ql[OVI_QK_K / 2];
  uint8_t qh[OVI_QK_K / 4];
  int8_t scales[OVI_QK_K / 16];
  OviFp16 d;
} OviBlockQ6_K;

typedef struct {
  float d;
  int8_t qs[OVI_QK_K];
  int16_t bsums[OVI_QK_K / 16];
} OviBlockQ8_K;

G_STATIC_ASSERT (sizeof (OviBlockQ4_0) == 18);
G_STATIC_ASSERT (sizeof (OviBlockQ8_0) == 34);
G_STATIC_ASSERT (sizeof (OviBlockQ4_K) == 144);
G_STATIC_ASSERT (sizeof (OviBlockQ6_K) == 210);
G_STATIC_ASSERT (sizeof (OviBlockQ8_K) == 292);

/* IEEE half <-> float; float -> half rounds to nearest even, overflows to
 * infinity, keeps NaN a NaN. */
float ovi_llm_fp16_to_fp32 (OviFp16 h);
OviFp16 ovi_llm_fp32_to_fp16 (float f);

/* bfloat16 is the upper half of a float; float -> bf16 rounds to nearest
 * even and keeps NaN a (quiet) NaN. */
float ovi_llm_bf16_to_fp32 (OviBf16 h);
OviBf16 ovi_llm_fp32_to_bf16 (float f);

/* The 6-bit scale and min of sub-block j (0..7) from Q4_K's 12 packed
 * bytes: j < 4 in the low 6 bits of bytes j and j + 4; j >= 4 in the
 * nibbles of byte j + 4 with the top two bits borrowed from bytes j - 4
 * and j. */
void ovi_llm_q4k_scale_min (const uint8_t scales[12], int j, uint8_t *sc,
    uint8_t *m);

/* n elements (a whole number of blocks of `type`) of a row as floats.
 * Types: F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K; FALSE for others. */
gboolean ovi_llm_dequantize (OviGgmlType type, const void *row, gsize n,
    float *out);

/* ggml's Q8_0 quantizer: d = max|x| / 127 rounded to fp16, q = round (x /
 * d). For 8-bit stores (a Q8_0 KV cache) and tests; the matmul's own
 * activation blocks keep a float scale (matmul.c). */
void ovi_llm_quantize_q8_0 (const float *x, gsize n, OviBlockQ8_0 *out);

G_END_DECLS

#endif
