/* Internal to matmul.c and matmul-avx2.c: the activation layout and the
 * entry points of the AVX2 kernels.
 *
 * Activations for quantized weights: every token row is quantized per 32
 * elements to int8 with a float scale, d = max|x| / 127, q = round (x / d)
 * (ties to even). The scale stays a float (ggml rounds it to fp16) since
 * nothing reads these blocks but our kernels, and the block is 32 wide
 * for the k-quants too (ggml pairs them with one scale per 256): a finer
 * scale is more exact and lets every weight type share one activation
 * format and one set of tiled kernels. Each token's record holds, as
 * separate arrays so that kernels load 8 scales at once:
 *   float d[nb]; float ds[nb] (d * sum of the block's quants, for the
 *   offsets of Q4_0's -8 and Q4_K's mins); int8 q[n_in]; and, only where
 *   the 16-bit tiled kernels run (Q8_0 and Q6_K weights, several tokens),
 *   int16 q16[n_in].
 * Records are 32-byte aligned relative to the buffer's start.
 *
 * Activations for float weights are the float rows themselves. */
#ifndef OVI_LLM_MATMUL_IMPL_H
#define OVI_LLM_MATMUL_IMPL_H

#include <stdint.h>

#include "matmul.h"
#include "quants.h"

G_BEGIN_DECLS

/* From this many tokens on, the multiplication runs on tiles of packed
 * weight panels (several tokens share each loaded weight vector); below,
 * it is one dot product per row and token (the row stays in L1 for the
 * next token). Packing panels for 2 or 3 tokens cost more than it saved:
 * 2 tokens took 1.6-2x the time of two one-token passes, 3 about 1.1x,
 * 4 broke even (all types, 2048 x 2048, weights in cache). */
#define OVI_LLM_PANEL_MIN_TOKENS 4

typedef struct {
  gsize n_in, nb;
  gboolean quantized;
  gboolean has16;        /* the int16 copy of q exists */
  gsize off_ds, off_q, off_q16;
  gsize stride;          /* bytes from one token's record to the next */
} OviLlmActLayout;

void ovi_llm_act_layout (OviGgmlType type, gsize n_in, gsize n_tokens,
    OviLlmActLayout *l);

static inline const float *
ovi_llm_act_d (const void *qx, const OviLlmActLayout *l, gsize t)
{
  return (const float *) ((const guint8 *) qx + t * l->stride);
}

static inline const float *
ovi_llm_act_ds (const void *qx, const OviLlmActLayout *l, gsize t)
{
  return (const float *) ((const guint8 *) qx + t * l->stride + l->off_ds);
}

static inline const int8_t *
ovi_llm_act_q (const void *qx, const OviLlmActLayout *l, gsize t)
{
  return (const int8_t *) ((const guint8 *) qx + t * l->stride + l->off_q);
}

static inline const int16_t *
ovi_llm_act_q16 (const void *qx, const OviLlmActLayout *l, gsize t)
{
  return (const int16_t *) ((const guint8 *) qx + t * l->stride
      + l->off_q16);
}

/* The repacked Q4_0 layout ("Q4_0x8", ovi_llm_weight_repack): rows in
 * groups of 8 (the last group padded with zero rows), group g at
 * packed + g * ovi_llm_q4x8_group_bytes (nb). A group is a sequence of
 * chunks of 4 blocks (the last one may have fewer), each
 *   OviFp16 d[4][8]        the 8 rows' scales of each block (64 bytes,
 *                          unused ones zero), then
 *   uint8 qs[4][4][8][4]   per block, 4 vectors of 32 bytes: vector k
 *                          holds bytes 4k..4k+3 of each row's qs (row i
 *                          at bytes 4i..4i+3), i.e. in its low nibbles
 *                          columns 4k..4k+3 of the 8 rows and in its high
 *                          nibbles columns 16+4k..16+4k+3.
 * Every part is 64-byte aligned (the buffer is), so vector loads are
 * aligned, and one token reads the memory as a single forward stream:
 * scales kept in a separate array per group made a second stream that
 * halved the speed from memory. */
#define OVI_LLM_PACK_ROWS 8

static inline gsize
ovi_llm_q4x8_group_bytes (gsize nb)
{
  return (nb + 3) / 4 * 64 + 128 * nb;
}

/* The 8 scales of block b of a group. */
static inline const guint8 *
ovi_llm_q4x8_d (const guint8 *grp, gsize b)
{
  return grp + b / 4 * 576 + 16 * (b % 4);
}

/* The 128 quant bytes of block b of a group. */
static inline const guint8 *
ovi_llm_q4x8_qs (const guint8 *grp, gsize b)
{
  return grp + b / 4 * 576 + 64 + 128 * (b % 4);
}

/* The repacked Q4_K layout ("Q4_Kx8"): groups of 8 rows as for Q4_0, a
 * group a sequence of 1152-byte super-blocks (8 rows x 144 bytes), each
 *   OviFp16 d[8], dmin[8]  the 8 rows' super-scales (32 bytes);
 *   uint32 sw[3][8]        word w of each row's 12 packed scale bytes
 *                          (96 bytes), so that one vector operation
 *                          decodes a sub-block's scales or mins for 8 rows;
 *   uint8 qs[4][8][8][4]   per sub-block pair p, 8 vectors of 32 bytes:
 *                          vector k holds bytes 32p + 4k .. 32p + 4k + 3
 *                          of each row's qs (row i at bytes 4i..4i+3),
 *                          i.e. columns 4k..4k+3 of sub-block 2p in the
 *                          low nibbles and of sub-block 2p + 1 in the high
 *                          ones.
 * 64-byte aligned parts again; the same bytes as the rows. */
#define OVI_LLM_Q4KX8_BYTES 1152

static inline gsize
ovi_llm_q4kx8_group_bytes (gsize n_super)
{
  return OVI_LLM_Q4KX8_BYTES * n_super;
}

/* Bytes of one group of 8 repacked rows of `type` with nb blocks of 32
 * per row; 0 when the type has no packed layout. */
static inline gsize
ovi_llm_packed_group_bytes (OviGgmlType type, gsize nb)
{
  if (type == OVI_GGML_TYPE_Q4_0)
    return ovi_llm_q4x8_group_bytes (nb);
  if (type == OVI_GGML_TYPE_Q4_K)
    return ovi_llm_q4kx8_group_bytes (nb / 8);
  return 0;
}

#if defined(__x86_64__) || defined(__i386__)
#define OVI_LLM_HAVE_X86 1
/* AVX2 + FMA + F16C bodies (matmul-avx2.c); call only when the CPU has
 * them. */
void ovi_llm_avx2_quantize_row (const float *x, const OviLlmActLayout *l,
    void *rec);
void ovi_llm_avx2_rows (const OviLlmWeight *w, const void *qx,
    const OviLlmActLayout *l, gsize n_tokens, float *y, gsize y_stride,
    gsize row_begin, gsize row_end);
#else
#define OVI_LLM_HAVE_X86 0
#endif

G_END_DECLS

#endif
