/* Eight-float vectors for kernels compiled twice (baseline and AVX2+FMA,
 * chosen at run time): GCC vector types, SSE pairs in the baseline build,
 * one AVX register in the other. Helpers are always inlined into the
 * caller's target. */
#ifndef OVI_CPU_V8_H
#define OVI_CPU_V8_H

#include <string.h>

#include <glib.h>

typedef float V8f __attribute__((vector_size (32)));

/* Kernels compile copies of their loops with shapes and post-ops as
 * constants, picked at run time: `if (OVI_SPECIALIZE (kh == 3)) loop (3)
 * else loop (kh)`. Sanitizer and fuzzing builds (OVI_FEW_SPECIALIZATIONS,
 * meson.build) keep only the general copy: the same source, taking them
 * as run-time values. */
#ifdef OVI_FEW_SPECIALIZATIONS
#define OVI_SPECIALIZE(cond) (0 && (cond))
#else
#define OVI_SPECIALIZE(cond) (cond)
#endif

typedef gint32 V8i __attribute__((vector_size (32)));

/* These take and return 32-byte vectors by value, which gcc warns changes
 * the calling convention between AVX and non-AVX code; they are always
 * inlined, so no such call is ever made. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"

/* Eight floats from p, any alignment. */
static inline __attribute__((always_inline)) V8f
ovi_v8_load (const float *p)
{
  V8f v;
  memcpy (&v, p, sizeof (v));
  return v;
}

/* Lane-wise mask ? a : b, for masks from comparisons (all ones or zero). */
static inline __attribute__((always_inline)) V8f
ovi_v8_select (V8i mask, V8f a, V8f b)
{
  return (V8f) ((mask & (V8i) a) | (~mask & (V8i) b));
}

/* r[i][j] -> r[j][i] for an 8x8 block of floats. */
static inline __attribute__((always_inline)) void
ovi_v8_transpose8 (V8f r[8])
{
  V8f t[8], u[8];
  for (int i = 0; i < 8; i += 2) {
    t[i] = __builtin_shufflevector (r[i], r[i + 1], 0, 8, 1, 9, 4, 12, 5, 13);
    t[i + 1] = __builtin_shufflevector (r[i], r[i + 1], 2, 10, 3, 11, 6, 14,
        7, 15);
  }
  for (int i = 0; i < 8; i += 4)
    for (int j = 0; j < 2; j++) {
      u[i + 2 * j] = __builtin_shufflevector (t[i + j], t[i + j + 2], 0, 1, 8,
          9, 4, 5, 12, 13);
      u[i + 2 * j + 1] = __builtin_shufflevector (t[i + j], t[i + j + 2], 2,
          3, 10, 11, 6, 7, 14, 15);
    }
  for (int i = 0; i < 4; i++) {
    r[i] = __builtin_shufflevector (u[i], u[i + 4], 0, 1, 2, 3, 8, 9, 10, 11);
    r[i + 4] = __builtin_shufflevector (u[i], u[i + 4], 4, 5, 6, 7, 12, 13,
        14, 15);
  }
}

#pragma GCC diagnostic pop

/* even[j] = src[2 j], odd[j] = src[2 j + 1] for j < n: a row split into
 * its even and odd columns (stride-2 access made contiguous). */
static inline __attribute__((always_inline)) void
ovi_v8_split_pairs (const float *src, float *even, float *odd, int64_t n)
{
  int64_t j = 0;
  for (; j + 8 <= n; j += 8) {
    V8f a, b, e, o;
    memcpy (&a, src + 2 * j, sizeof (a));
    memcpy (&b, src + 2 * j + 8, sizeof (b));
    e = __builtin_shufflevector (a, b, 0, 2, 4, 6, 8, 10, 12, 14);
    o = __builtin_shufflevector (a, b, 1, 3, 5, 7, 9, 11, 13, 15);
    memcpy (even + j, &e, sizeof (e));
    memcpy (odd + j, &o, sizeof (o));
  }
  for (; j < n; j++) {
    even[j] = src[2 * j];
    odd[j] = src[2 * j + 1];
  }
}

#endif
