/* See cpu-math.h. One body per function, written with GCC vector types
 * in cpu-math-lanes.h for any width, compiled three times: for AVX-512
 * (sixteen lanes), for AVX2+FMA (eight) and for the baseline target (SSE
 * pairs); the widest the CPU has is chosen at run time. */
#include <math.h>
#include <string.h>

#include "cpu-math.h"
#include "cpu-sgemm.h"

#if defined(__x86_64__) || defined(__i386__)
#define OVI_MATH_X86 1
#else
#define OVI_MATH_X86 0
#endif

/* The vector helpers below take and return 32-byte vectors by value, which
 * gcc warns changes the calling convention between AVX and non-AVX code;
 * they are all always_inline, so no such call is ever made. */
#pragma GCC diagnostic ignored "-Wpsabi"

#if OVI_MATH_X86
#include <immintrin.h>
#endif

/* The bodies at eight lanes (SSE pairs in the baseline build, one AVX
 * register in the AVX2 one) and at sixteen (one AVX-512 register). */
typedef float VF8 __attribute__((vector_size (32)));
typedef gint32 VI8 __attribute__((vector_size (32)));
#define VF VF8
#define VI VI8
#define VL 8
#define V_(name) name##_8
#define LANES_ATTR
#include "cpu-math-lanes.h"
#undef VF
#undef VI
#undef VL
#undef V_
#undef LANES_ATTR

#if OVI_MATH_X86
typedef float VF16 __attribute__((vector_size (64)));
typedef gint32 VI16 __attribute__((vector_size (64)));
#define VF VF16
#define VI VI16
#define VL 16
#define V_(name) name##_16
#define LANES_ATTR \
  __attribute__((target ("avx512f,avx512vl,avx512dq,avx512bw,avx2,fma")))
#define LANES_RCP(d) \
  ((VF16) _mm512_maskz_rcp14_ps ((__mmask16) 0xffff, (__m512) (d)))
/* vmaxps / vminps return their second operand, x, where either is NaN
 * (the masked forms: gcc 12 warns of the unmasked ones' undefined
 * pass-through) */
#define LANES_MAX(a, x) ((VF16) _mm512_mask_max_ps ((__m512) (x), \
      (__mmask16) 0xffff, (__m512) (a), (__m512) (x)))
#define LANES_MIN(a, x) ((VF16) _mm512_mask_min_ps ((__m512) (x), \
      (__mmask16) 0xffff, (__m512) (a), (__m512) (x)))
#include "cpu-math-lanes.h"
#undef VF
#undef VI
#undef VL
#undef V_
#undef LANES_ATTR
#undef LANES_RCP
#undef LANES_MAX
#undef LANES_MIN
#endif

/* name_run (x, y, n, a, b): the body for the widest vectors this CPU
 * has, chosen at run time. */
#if OVI_MATH_X86
#define DEFINE_ARRAY_FN(name)                                               \
  static void name##_generic (const float *x, float *y, int64_t n,          \
      float a, float b)                                                     \
  {                                                                         \
    name##_body_8 (x, y, n, a, b);                                          \
  }                                                                         \
  __attribute__((target ("avx2,fma")))                                      \
  static void name##_avx2 (const float *x, float *y, int64_t n, float a,    \
      float b)                                                              \
  {                                                                         \
    name##_body_8 (x, y, n, a, b);                                          \
  }                                                                         \
  __attribute__((target ("avx512f,avx512vl,avx512dq,avx512bw,avx2,fma")))   \
  static void name##_avx512 (const float *x, float *y, int64_t n, float a,  \
      float b)                                                              \
  {                                                                         \
    name##_body_16 (x, y, n, a, b);                                         \
  }                                                                         \
  static void name##_run (const float *x, float *y, int64_t n, float a,     \
      float b)                                                              \
  {                                                                         \
    if (ovi_cpu_have_avx512 ())                                             \
      name##_avx512 (x, y, n, a, b);                                        \
    else if (ovi_sgemm_have_avx2 ())                                        \
      name##_avx2 (x, y, n, a, b);                                          \
    else                                                                    \
      name##_generic (x, y, n, a, b);                                       \
  }
#else
#define DEFINE_ARRAY_FN(name)                                               \
  static void name##_run (const float *x, float *y, int64_t n, float a,     \
      float b)                                                              \
  {                                                                         \
    name##_body_8 (x, y, n, a, b);                                          \
  }
#endif

DEFINE_ARRAY_FN (exp)
DEFINE_ARRAY_FN (sigmoid)
DEFINE_ARRAY_FN (swish)
DEFINE_ARRAY_FN (tanh)
DEFINE_ARRAY_FN (hardsigmoid)
DEFINE_ARRAY_FN (hardswish)
DEFINE_ARRAY_FN (clamp)
DEFINE_ARRAY_FN (leakyrelu)

void
ovi_vexp_f32 (const float *x, float *y, int64_t n)
{
  exp_run (x, y, n, 0, 0);
}

void
ovi_vsigmoid_f32 (const float *x, float *y, int64_t n)
{
  sigmoid_run (x, y, n, 0, 0);
}

void
ovi_vswish_f32 (const float *x, float *y, int64_t n)
{
  swish_run (x, y, n, 0, 0);
}

void
ovi_vtanh_f32 (const float *x, float *y, int64_t n)
{
  tanh_run (x, y, n, 0, 0);
}

void
ovi_vhardsigmoid_f32 (const float *x, float *y, int64_t n, float alpha,
    float beta)
{
  hardsigmoid_run (x, y, n, alpha, beta);
}

void
ovi_vhardswish_f32 (const float *x, float *y, int64_t n, float alpha,
    float beta)
{
  hardswish_run (x, y, n, alpha, beta);
}

void
ovi_vclamp_f32 (const float *x, float *y, int64_t n, float lo, float hi)
{
  clamp_run (x, y, n, lo, hi);
}

void
ovi_vleakyrelu_f32 (const float *x, float *y, int64_t n, float alpha)
{
  leakyrelu_run (x, y, n, alpha, 0);
}
