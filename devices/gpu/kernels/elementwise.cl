/* Elementwise ops: unary (with the activations of common.cl and more) and
 * binary with numpy broadcasting. One work item per output element. */

#define U_ACT 0       /* ovi_activate with act code, alpha, beta */
#define U_EXP 100
#define U_LOG 101
#define U_SQRT 102
#define U_NEG 103
#define U_ABS 104
#define U_RECIPROCAL 105
#define U_FLOOR 106
#define U_CEIL 107
#define U_SOFTPLUS 108
#define U_SELU 109
#define U_ERF 110
#define U_SIN 111
#define U_COS 112
#define U_SOFTSIGN 113
#define U_ROUND 114
#define U_SIGN 115
#define U_THRESHOLDED_RELU 116
#define U_CELU 117
#define U_MISH 118
#define U_TAN 119
#define U_ASIN 120
#define U_ACOS 121
#define U_ATAN 122
#define U_SINH 123
#define U_COSH 124
#define U_ASINH 125
#define U_ACOSH 126
#define U_ATANH 127
#define U_SHRINK 128
#define U_DIV_BY 129  /* x / a: Mean's last step */

inline float
unary_op (float x, int op, int act, float a, float b)
{
  switch (op) {
    case U_ACT:
      return ovi_activate (x, act, a, b);
    case U_EXP:
      return exp (x);
    case U_LOG:
      return log (x);
    case U_SQRT:
      return sqrt (x);
    case U_NEG:
      return -x;
    case U_ABS:
      return fabs (x);
    case U_RECIPROCAL:
      return 1.0f / x;
    case U_FLOOR:
      return floor (x);
    case U_CEIL:
      return ceil (x);
    case U_SOFTPLUS:
      return x > 20.0f ? x : log1p (exp (x));
    case U_SELU:
      return x > 0.0f ? b * x : b * (a * exp (x) - a);
    case U_ERF:
      return erf (x);
    case U_SIN:
      return sin (x);
    case U_COS:
      return cos (x);
    case U_SOFTSIGN:
      return x / (1.0f + fabs (x));
    case U_ROUND:
      return rint (x);       /* half to even, as ONNX Round */
    case U_SIGN:
      return x > 0.0f ? 1.0f : x < 0.0f ? -1.0f : x;   /* 0, -0, NaN */
    case U_THRESHOLDED_RELU:
      return x > a ? x : 0.0f;
    case U_CELU:
      return fmax (0.0f, x) + fmin (0.0f, a * (exp (x / a) - 1.0f));
    case U_MISH:
      return x * tanh (x > 20.0f ? x : log1p (exp (x)));
    case U_TAN:
      return tan (x);
    case U_ASIN:
      return asin (x);
    case U_ACOS:
      return acos (x);
    case U_ATAN:
      return atan (x);
    case U_SINH:
      return sinh (x);
    case U_COSH:
      return cosh (x);
    case U_ASINH:
      return asinh (x);
    case U_ACOSH:
      return acosh (x);
    case U_ATANH:
      return atanh (x);
    case U_SHRINK:
      return x < -a ? x + b : x > a ? x - b : 0.0f;
    case U_DIV_BY:
      return x / a;
    default:
      return x;
  }
}

__kernel void
unary (__global const float *x, int x_off, __global float *y, int y_off,
    int n, int op, int act, float a, float b)
{
  int i = get_global_id (0);
  if (i >= n)
    return;
  y[y_off + i] = unary_op (x[x_off + i], op, act, a, b);
}

#define B_ADD 0
#define B_SUB 1
#define B_MUL 2
#define B_DIV 3
#define B_POW 4
#define B_MAX 5
#define B_MIN 6
#define B_PRELU 7
#define B_MOD 8        /* fmod = 1: C's fmod */
#define B_MOD_FLOOR 9  /* fmod = 0: the sign of the divisor, as Python */

inline float
binary_op (float a, float b, int op)
{
  switch (op) {
    case B_ADD:
      return a + b;
    case B_SUB:
      return a - b;
    case B_MUL:
      return a * b;
    case B_DIV:
      return a / b;
    case B_POW:
      return pow (a, b);
    case B_MAX:
      /* NaN propagates (numpy's maximum), unlike fmax. */
      return isnan (a) || isnan (b) ? a + b : fmax (a, b);
    case B_MIN:
      return isnan (a) || isnan (b) ? a + b : fmin (a, b);
    case B_PRELU:
      return a < 0.0f ? a * b : a;
    case B_MOD:
      return fmod (a, b);
    case B_MOD_FLOOR: {
      float r = fmod (a, b);
      return r != 0.0f && (r < 0.0f) != (b < 0.0f) ? r + b : r;
    }
    default:
      return a;
  }
}

/* Same shapes, or b a scalar (b_step 0): no index arithmetic. */
__kernel void
binary_flat (__global const float *a, int a_off, __global const float *b,
    int b_off, __global float *y, int y_off, int n, int a_step, int b_step,
    int op)
{
  int i = get_global_id (0);
  if (i >= n)
    return;
  y[y_off + i] = binary_op (a[a_off + i * a_step], b[b_off + i * b_step], op);
}

/* General broadcast: dims of the output, and per operand its strides
 * over the output's axes (0 where it is broadcast). */
__kernel void
binary_bcast (__global const float *a, int a_off, __global const float *b,
    int b_off, __global float *y, int y_off, int n, int rank,
    __global const int *dims, int dims_off, __global const int *as,
    int as_off, __global const int *bs, int bs_off, int op)
{
  int i = get_global_id (0);
  if (i >= n)
    return;
  y[y_off + i] = binary_op (
      a[a_off + ovi_strided_index (i, rank, dims + dims_off, as + as_off)],
      b[b_off + ovi_strided_index (i, rank, dims + dims_off, bs + bs_off)],
      op);
}

/* Clip whose bounds are graph inputs: read from device memory, each
 * optional (has_lo, has_hi); NaN passes through as on the CPU. */
__kernel void
clip_bounds_rt (__global const float *x, int x_off, __global float *y,
    int y_off, int n, __global const float *lo, int lo_off,
    __global const float *hi, int hi_off, int has_lo, int has_hi)
{
  int i = get_global_id (0);
  float v;
  if (i >= n)
    return;
  v = x[x_off + i];
  if (has_lo && v < lo[lo_off])
    v = lo[lo_off];
  if (has_hi && v > hi[hi_off])
    v = hi[hi_off];
  y[y_off + i] = v;
}
