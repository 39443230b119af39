/* Shared by every program (gpu-program.c builds common.cl first).
 *
 * Tensor arguments arrive as a buffer and an element offset (values live
 * at offsets in one arena buffer): kernels start with `x += x_off`. */

/* Fused activations, numbered as OviActivation (devices/cpu/cpu-postops.h)
 * so that a Conv or Gemm carries the same post-ops as on the CPU. */
#define ACT_NONE 0
#define ACT_RELU 1
#define ACT_CLIP 2
#define ACT_SIGMOID 3
#define ACT_HARDSWISH 4
#define ACT_HARDSIGMOID 5
#define ACT_LEAKYRELU 6
#define ACT_TANH 7
#define ACT_ELU 8
#define ACT_GELU 9
#define ACT_SWISH 10

inline float
ovi_sigmoid (float x)
{
  return 1.0f / (1.0f + exp (-x));
}

inline float
ovi_activate (float x, int act, float a, float b)
{
  switch (act) {
    /* Selects, not fmax / fmin, so that NaN passes as on the CPU. */
    case ACT_RELU:
      return x < 0.0f ? 0.0f : x;
    case ACT_CLIP:
      x = x < a ? a : x;
      return x > b ? b : x;
    case ACT_SIGMOID:
      return ovi_sigmoid (x);
    case ACT_HARDSWISH:
      return x * fmin (fmax (a * x + b, 0.0f), 1.0f);
    case ACT_HARDSIGMOID:
      return fmin (fmax (a * x + b, 0.0f), 1.0f);
    case ACT_LEAKYRELU:
      return x >= 0.0f ? x : a * x;
    case ACT_TANH:
      return tanh (x);
    case ACT_ELU:
      return x >= 0.0f ? x : a * (exp (x) - 1.0f);
    case ACT_GELU:
      return a != 0.0f
          ? 0.5f * x * (1.0f + tanh (0.7978845608f * (x + 0.044715f * x * x
                      * x)))
          : 0.5f * x * (1.0f + erf (x * 0.70710678f));
    case ACT_SWISH:
      return x * ovi_sigmoid (x);
    default:
      return x;
  }
}

/* Row-major index of coordinate `i` of a shape `dims` (rank <= 8) mapped
 * through `strides`: the element offset of a broadcast or permuted
 * operand. */
inline int
ovi_strided_index (int i, int rank, __global const int *dims,
    __global const int *strides)
{
  int off = 0;
  for (int d = rank - 1; d >= 0; d--) {
    int c = i % dims[d];
    i /= dims[d];
    off += c * strides[d];
  }
  return off;
}
