/* See conv-blocked.h: the reorders between the plain layout and nChw8c,
 * eight positions of a channel block at a time through an 8x8 transpose
 * in registers (the last hw % 8 positions float by float), compiled for
 * the baseline target and for AVX2, chosen at run time; and the post-ops
 * over ranges of a blocked image that the kernels share. */
#include "conv-blocked.h"
#include "cpu-sgemm.h"
#include "cpu-v8.h"

/* The vector helpers pass 32-byte vectors by value, which gcc warns
 * changes the calling convention between AVX and non-AVX code; they are
 * all always_inline, so no such call is ever made. */
#pragma GCC diagnostic ignored "-Wpsabi"

/* Eight vectors of src (stride src_stride floats) transposed into eight
 * of dst (stride dst_stride). */
static inline __attribute__((always_inline)) void
transpose_block (const float *src, int64_t src_stride, float *dst,
    int64_t dst_stride)
{
  V8f r[8];
  for (int i = 0; i < 8; i++)
    memcpy (&r[i], src + i * src_stride, sizeof (V8f));
  ovi_v8_transpose8 (r);
  for (int i = 0; i < 8; i++)
    memcpy (dst + i * dst_stride, &r[i], sizeof (V8f));
}

static inline __attribute__((always_inline)) void
reorder_body (const float *x, int64_t hw, int64_t cb0, int64_t cb1,
    float *y, gboolean to_blocked)
{
  for (int64_t cb = cb0; cb < cb1; cb++) {
    const float *xc = x + cb * OVI_BLOCK * hw;
    float *yc = y + cb * OVI_BLOCK * hw;
    int64_t p = 0;
    if (to_blocked) {
      /* eight channel rows from p -> eight pixels from p */
      for (; p + OVI_BLOCK <= hw; p += OVI_BLOCK)
        transpose_block (xc + p, hw, yc + p * OVI_BLOCK, OVI_BLOCK);
      for (; p < hw; p++)
        for (int j = 0; j < OVI_BLOCK; j++)
          yc[p * OVI_BLOCK + j] = xc[j * hw + p];
    } else {
      for (; p + OVI_BLOCK <= hw; p += OVI_BLOCK)
        transpose_block (xc + p * OVI_BLOCK, OVI_BLOCK, yc + p, hw);
      for (; p < hw; p++)
        for (int j = 0; j < OVI_BLOCK; j++)
          yc[j * hw + p] = xc[p * OVI_BLOCK + j];
    }
  }
}

static void
reorder_generic (const float *x, int64_t hw, int64_t cb0, int64_t cb1,
    float *y, gboolean to_blocked)
{
  reorder_body (x, hw, cb0, cb1, y, to_blocked);
}

#if defined(__x86_64__) || defined(__i386__)
__attribute__((target ("avx2")))
static void
reorder_avx2 (const float *x, int64_t hw, int64_t cb0, int64_t cb1,
    float *y, gboolean to_blocked)
{
  reorder_body (x, hw, cb0, cb1, y, to_blocked);
}
#endif

static void
reorder (const float *x, int64_t hw, int64_t cb0, int64_t cb1, float *y,
    gboolean to_blocked)
{
#if defined(__x86_64__) || defined(__i386__)
  if (ovi_sgemm_have_avx2 ())
    reorder_avx2 (x, hw, cb0, cb1, y, to_blocked);
  else
#endif
    reorder_generic (x, hw, cb0, cb1, y, to_blocked);
}

void
ovi_blocked_from_plain (const float *x, int64_t hw, int64_t cb0, int64_t cb1,
    float *y)
{
  reorder (x, hw, cb0, cb1, y, TRUE);
}

void
ovi_blocked_to_plain (const float *x, int64_t hw, int64_t cb0, int64_t cb1,
    float *y)
{
  reorder (x, hw, cb0, cb1, y, FALSE);
}

void
ovi_blocked_postops_apply (const OviPostOps *ops, float *y,
    const float *res, int64_t plane, int64_t cb0, int64_t cb1, int64_t p0,
    int64_t p1)
{
  for (int64_t cb = cb0; cb < cb1; cb++) {
    int64_t o = (cb * plane + p0) * OVI_BLOCK;
    ovi_postops_apply (ops, y + o, res ? res + o : NULL,
        (p1 - p0) * OVI_BLOCK);
  }
}
