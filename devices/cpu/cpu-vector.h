/* Short-vector helpers for kernels: GCC vector types (SSE registers on
 * x86-64, whatever the target has elsewhere) and the float reductions
 * several kernels share. */
#ifndef OVI_CPU_VECTOR_H
#define OVI_CPU_VECTOR_H

#include <math.h>
#include <string.h>

#include <glib.h>

/* Four floats, and the lane masks their comparisons give. */
typedef float V4f __attribute__((vector_size (16)));
typedef gint32 V4i __attribute__((vector_size (16)));

/* Maximum of n floats (-inf for none; NaNs are skipped) in four vectors
 * of four lanes, the reordering a SIMD reduction makes. */
static inline float
ovi_max_f32 (const float *v, int64_t n)
{
#define OVI_NINF4 { -INFINITY, -INFINITY, -INFINITY, -INFINITY }
  V4f acc[4] = { OVI_NINF4, OVI_NINF4, OVI_NINF4, OVI_NINF4 };
#undef OVI_NINF4
  float m = -INFINITY;
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (int q = 0; q < 4; q++) {
      V4f x;
      V4i take;
      memcpy (&x, v + i + 4 * q, sizeof (x));
      take = x > acc[q];
      acc[q] = (V4f) ((take & (V4i) x) | (~take & (V4i) acc[q]));
    }
  for (; i < n; i++)
    m = v[i] > m ? v[i] : m;
  for (int q = 0; q < 4; q++)
    for (int l = 0; l < 4; l++)
      m = acc[q][l] > m ? acc[q][l] : m;
  return m;
}

/* Sum of n floats in eight independent lanes, which gcc vectorizes. */
static inline float
ovi_sum_f32 (const float *v, int64_t n)
{
  float lane[8] = { 0 }, s = 0;
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int l = 0; l < 8; l++)
      lane[l] += v[i + l];
  for (; i < n; i++)
    s += v[i];
  for (int l = 0; l < 8; l++)
    s += lane[l];
  return s;
}

#endif
