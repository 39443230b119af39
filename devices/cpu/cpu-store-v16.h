/* cpu-store-v8.h's post-ops on a sixteen-float register, for the AVX-512
 * variants of the blocked kernels: the sum and the activation run once
 * on the whole register, not once per eight-float half after splitting
 * it: half the instructions. (The selects stay vector-extension code, a
 * compare and a masked move each: max/min intrinsics would need these
 * helpers compiled for AVX-512, and clang refuses the 64-byte vectors
 * the kernels' other helpers pass across that boundary.) Stored whole
 * (two neighbouring pixels of a channel block) or as two halves (two
 * channel blocks: a block of pixels stores each block's run of pixels
 * in turn, which measured faster than both halves pixel by pixel). */
#ifndef OVI_CPU_STORE_V16_H
#define OVI_CPU_STORE_V16_H

#include "cpu-store-v8.h"
#include "cpu-v16.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"
/* st's bounds (Clip's, HardSwish's alpha and beta) in all sixteen lanes. */
#define OVI_V16_STORE_BOUNDS(st, a16, b16)                                  \
  V16f a16 = OVI_V16_TWICE ((st)->a), b16 = OVI_V16_TWICE ((st)->b)

/* mask ? a : b, lane-wise, for masks from comparisons. */
#define OVI_V16_SELECT(mask, a, b)                                          \
  ((V16f) (((mask) & (V16i) (a)) | (~(mask) & (V16i) (b))))

/* The activation of acc (already summed), act a constant where
 * instantiated. NaN fails the comparisons and stays NaN. */
static inline __attribute__((always_inline)) V16f
ovi_v16_activate (OviActivation act, V16f a, V16f b, V16f acc)
{
  if (act == OVI_ACT_CLIP) {
    acc = OVI_V16_SELECT (acc < a, a, acc);
    acc = OVI_V16_SELECT (acc > b, b, acc);
  } else if (act == OVI_ACT_HARDSWISH) {
    V16f t = acc * a + b, zero = { 0 }, one = zero + 1.0f;
    t = OVI_V16_SELECT (t < zero, zero, t);
    acc *= OVI_V16_SELECT (t > one, one, t);
  }
  return acc;
}

/* y[0..16) = post-ops (acc + res[0..16)), res read only when sum. */
static inline __attribute__((always_inline)) void
ovi_v16_store_as (OviActivation act, gboolean sum, V16f a, V16f b,
    V16f acc, const float *res, float *y)
{
  if (sum)
    acc += ovi_v16_load (res);
  acc = ovi_v16_activate (act, a, b, acc);
  memcpy (y, &acc, sizeof (acc));
}

/* post-ops (acc + res), the residual's lanes 0-7 at r0 and 8-15 at r1
 * (two channel blocks of one pixel), read only when sum. */
static inline __attribute__((always_inline)) V16f
ovi_v16_post_halves (OviActivation act, gboolean sum, V16f a, V16f b,
    V16f acc, const float *r0, const float *r1)
{
  if (sum) {
    V8f lo, hi;
    memcpy (&lo, r0, sizeof (lo));
    memcpy (&hi, r1, sizeof (hi));
    acc += __builtin_shufflevector (lo, hi, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
        10, 11, 12, 13, 14, 15);
  }
  return ovi_v16_activate (act, a, b, acc);
}

/* Half 0 (lanes 0-7) or 1 (8-15) of v to y. */
static inline __attribute__((always_inline)) void
ovi_v16_store_half (V16f v, int half, float *y)
{
  V8f h = OVI_V16_HALF (v, half);
  memcpy (y, &h, sizeof (h));
}
#pragma GCC diagnostic pop

#endif
