/* Elementwise ops on every integer type, bool and float32: Cast,
 * comparisons, logic, bitwise and integer arithmetic, Where, IsNaN and
 * IsInf. The graphs' shape and mask arithmetic, not their hot path: one
 * kernel per op family reads and writes each operand through its type
 * code (a uniform switch, so no divergence), and integers compute in 64
 * bits exactly as the CPU's binary_i64 and unary_i64 do, then wrap to the
 * output's width. float16 and float64 stay on the CPU (no cl_khr_fp16 or
 * cl_khr_fp64 is assumed). */

/* Type codes: gpu-op-typed.c's TypeCode. */
#define T_F32 0
#define T_BOOL 1
#define T_U8 2
#define T_I8 3
#define T_U16 4
#define T_I16 5
#define T_U32 6
#define T_I32 7
#define T_U64 8
#define T_I64 9

inline long
load_i (__global const uchar *p, int t, int i)
{
  switch (t) {
    case T_BOOL:
      return p[i] != 0;   /* any non-zero byte is true, as on the CPU */
    case T_U8:
      return p[i];
    case T_I8:
      return ((__global const char *) p)[i];
    case T_U16:
      return ((__global const ushort *) p)[i];
    case T_I16:
      return ((__global const short *) p)[i];
    case T_U32:
      return ((__global const uint *) p)[i];
    case T_I32:
      return ((__global const int *) p)[i];
    case T_F32:
      return convert_long_sat (((__global const float *) p)[i]);
    default:
      return ((__global const long *) p)[i];
  }
}

inline float
load_f (__global const uchar *p, int t, int i)
{
  if (t == T_F32)
    return ((__global const float *) p)[i];
  return (float) load_i (p, t, i);
}

inline void
store_i (__global uchar *p, int t, int i, long v)
{
  switch (t) {
    case T_BOOL:
      p[i] = v != 0;
      break;
    case T_U8:
    case T_I8:
      p[i] = (uchar) v;
      break;
    case T_U16:
    case T_I16:
      ((__global ushort *) p)[i] = (ushort) v;
      break;
    case T_U32:
    case T_I32:
      ((__global uint *) p)[i] = (uint) v;
      break;
    case T_F32:
      ((__global float *) p)[i] = (float) v;
      break;
    default:
      ((__global long *) p)[i] = v;
      break;
  }
}

/* Float to integer as ovi_store_f64: NaN gives 0, out of range saturates
 * to int64 (OpenCL's _sat conversion), then wraps to the width. */
inline void
store_f (__global uchar *p, int t, int i, float v)
{
  if (t == T_F32)
    ((__global float *) p)[i] = v;
  else if (t == T_BOOL)
    p[i] = v != 0.0f;
  else
    store_i (p, t, i, convert_long_sat (v));
}

__kernel void
cast (__global const uchar *x, int x_off, int tx, __global uchar *y,
    int y_off, int ty, int n)
{
  int i = get_global_id (0);
  if (i >= n)
    return;
  if (tx == T_F32)
    store_f (y, ty, y_off + i, load_f (x, tx, x_off + i));
  else
    store_i (y, ty, y_off + i, load_i (x, tx, x_off + i));
}

/* Unary ops on integers and bool (codes of gpu-op-typed.c). */
#define IU_ABS 0
#define IU_NEG 1
#define IU_SIGN 2
#define IU_RELU 3
#define IU_NOT 4
#define IU_BITNOT 5
#define IU_CLIP 6
#define IU_IDENTITY 7

__kernel void
unary_int (__global const uchar *x, int x_off, __global uchar *y, int y_off,
    int t, int n, int op, long lo, long hi, int is_unsigned)
{
  int i = get_global_id (0);
  long v, r;
  if (i >= n)
    return;
  v = load_i (x, t, x_off + i);
  switch (op) {
    case IU_ABS:
      r = v < 0 && !is_unsigned ? -v : v;
      break;
    case IU_NEG:
      r = -v;
      break;
    case IU_SIGN:
      r = v > 0 ? 1 : v < 0 && !is_unsigned ? -1 : 0;
      break;
    case IU_RELU:
      r = v > 0 ? v : 0;
      break;
    case IU_NOT:
      r = v == 0;
      break;
    case IU_BITNOT:
      r = ~v;
      break;
    case IU_CLIP:
      r = v < lo ? lo : v > hi ? hi : v;
      break;
    default:
      r = v;
      break;
  }
  store_i (y, t, y_off + i, r);
}

/* IsNaN (mode 0) and IsInf (mode 1, with which signs count). */
__kernel void
is_nan_inf (__global const float *x, int x_off, __global uchar *y, int y_off,
    int n, int mode, int pos, int neg)
{
  int i = get_global_id (0);
  float v;
  if (i >= n)
    return;
  v = x[x_off + i];
  y[y_off + i] = mode == 0 ? isnan (v) != 0
      : isinf (v) && ((v > 0.0f && pos) || (v < 0.0f && neg));
}

/* Binary ops (codes of gpu-op-typed.c). */
#define TB_ADD 0
#define TB_SUB 1
#define TB_MUL 2
#define TB_DIV 3
#define TB_POW 4
#define TB_MOD 5
#define TB_FMOD 6
#define TB_PRELU 7
#define TB_SHL 8
#define TB_SHR 9
#define TB_BAND 10
#define TB_BOR 11
#define TB_BXOR 12
#define TB_EQ 13
#define TB_LT 14
#define TB_GT 15
#define TB_LE 16
#define TB_GE 17
#define TB_AND 18
#define TB_OR 19
#define TB_XOR 20
#define TB_MIN 21
#define TB_MAX 22

inline long
binary_int (int op, long a, long b, int u)
{
  ulong ua = (ulong) a, ub = (ulong) b;
  switch (op) {
    case TB_ADD:
      return (long) (ua + ub);
    case TB_SUB:
      return (long) (ua - ub);
    case TB_MUL:
      return (long) (ua * ub);
    case TB_DIV:
      if (b == 0)
        return 0;
      if (u)
        return (long) (ua / ub);
      if (a == LONG_MIN && b == -1)
        return a;
      return a / b;
    case TB_POW: {
      long r = 1;
      if (b < 0)
        return a == 1 ? 1 : a == -1 ? ((b & 1) ? -1 : 1) : 0;
      while (b) {
        if (b & 1)
          r = (long) ((ulong) r * (ulong) a);
        a = (long) ((ulong) a * (ulong) a);
        b >>= 1;
      }
      return r;
    }
    case TB_MOD:
    case TB_FMOD: {
      long r;
      if (b == 0)
        return 0;
      if (u)
        return (long) (ua % ub);
      if (b == -1)
        return 0;
      r = a % b;
      if (op == TB_MOD && r != 0 && ((r < 0) != (b < 0)))
        r += b;
      return r;
    }
    case TB_PRELU:
      return a < 0 ? (long) (ua * ub) : a;
    case TB_SHL:
      return ub >= 64 ? 0 : (long) (ua << ub);
    case TB_SHR:
      return ub >= 64 ? 0 : (long) (ua >> ub);
    case TB_BAND:
      return a & b;
    case TB_BOR:
      return a | b;
    case TB_BXOR:
      return a ^ b;
    case TB_EQ:
      return a == b;
    case TB_LT:
      return u ? ua < ub : a < b;
    case TB_GT:
      return u ? ua > ub : a > b;
    case TB_LE:
      return u ? ua <= ub : a <= b;
    case TB_GE:
      return u ? ua >= ub : a >= b;
    case TB_AND:
      return a && b;
    case TB_OR:
      return a || b;
    case TB_XOR:
      return !a != !b;
    case TB_MIN:
      return (u ? ua < ub : a < b) ? a : b;
    case TB_MAX:
      return (u ? ua > ub : a > b) ? a : b;
    default:
      return 0;
  }
}

/* float32 operands: what elementwise.cl's float kernels do not cover
 * (comparisons, and Pow of a float32 base by an integer exponent). */
inline float
binary_float (int op, float a, float b)
{
  switch (op) {
    case TB_EQ:
      return a == b;
    case TB_LT:
      return a < b;
    case TB_GT:
      return a > b;
    case TB_LE:
      return a <= b;
    case TB_GE:
      return a >= b;
    case TB_POW:
      return pow (a, b);
    default:
      return 0.0f;
  }
}

/* Operands a (type ta) and b (tb) with their strides over the output's
 * axes (0 where broadcast), output y of type ty. A float32 first operand
 * computes in float; the rest in 64-bit integers. */
__kernel void
binary_typed (__global const uchar *a, int a_off, __global const uchar *b,
    int b_off, __global uchar *y, int y_off, int ta, int tb, int ty, int n,
    int rank, __global const int *dims, int dims_off,
    __global const int *as, int as_off, __global const int *bs, int bs_off,
    int op, int is_unsigned)
{
  int i = get_global_id (0);
  int ia, ib;
  if (i >= n)
    return;
  ia = a_off + ovi_strided_index (i, rank, dims + dims_off, as + as_off);
  ib = b_off + ovi_strided_index (i, rank, dims + dims_off, bs + bs_off);
  if (ta == T_F32)
    store_f (y, ty, y_off + i, binary_float (op, load_f (a, ta, ia),
            load_f (b, tb, ib)));
  else
    store_i (y, ty, y_off + i, binary_int (op, load_i (a, ta, ia),
            load_i (b, tb, ib), is_unsigned));
}

/* Where: elements of x or y by a bool condition, all three broadcast to
 * the output; elements move as bytes of their size. */
#define DEFINE_WHERE(T, NAME) \
__kernel void \
NAME (__global const uchar *c, int c_off, __global const T *x, int x_off, \
    __global const T *yv, int yv_off, __global T *out, int out_off, int n, \
    int rank, __global const int *dims, int dims_off, \
    __global const int *cs, int cs_off, __global const int *xs, int xs_off, \
    __global const int *ys, int ys_off) \
{ \
  int i = get_global_id (0); \
  __global const int *d = dims + dims_off; \
  if (i >= n) \
    return; \
  out[out_off + i] = c[c_off + ovi_strided_index (i, rank, d, cs + cs_off)] \
      ? x[x_off + ovi_strided_index (i, rank, d, xs + xs_off)] \
      : yv[yv_off + ovi_strided_index (i, rank, d, ys + ys_off)]; \
}

DEFINE_WHERE (uchar, where_1)
DEFINE_WHERE (ushort, where_2)
DEFINE_WHERE (uint, where_4)
DEFINE_WHERE (ulong, where_8)

/* QuantizeLinear and DequantizeLinear with per-tensor (n_params 1) or
 * per-axis parameters (element i uses (i / inner) % dim); the zero point,
 * of type tz, is optional. Quantizing rounds half to even and saturates to
 * [lo, hi]; NaN quantizes as 0, as on the CPU. */
inline int
quant_param (int i, int n_params, int inner, int dim)
{
  return n_params == 1 ? 0 : (i / inner) % dim;
}

__kernel void
quantize (__global const float *x, int x_off, __global uchar *y, int y_off,
    int ty, int n, __global const float *scale, int scale_off,
    __global const uchar *zp, int zp_off, int tz, int has_zp, int n_params,
    int inner, int dim, long lo, long hi)
{
  int i = get_global_id (0), p;
  long q;
  if (i >= n)
    return;
  p = quant_param (i, n_params, inner, dim);
  /* Bounded before the zero point is added, so that an infinite
   * quotient (a zero scale) cannot wrap. */
  q = clamp (convert_long_sat (rint (x[x_off + i] / scale[scale_off + p])),
      -(1L << 40), 1L << 40) + (has_zp ? load_i (zp, tz, zp_off + p) : 0);
  store_i (y, ty, y_off + i, q < lo ? lo : q > hi ? hi : q);
}

__kernel void
dequantize (__global const uchar *x, int x_off, int tx, __global float *y,
    int y_off, int n, __global const float *scale, int scale_off,
    __global const uchar *zp, int zp_off, int tz, int has_zp, int n_params,
    int inner, int dim)
{
  int i = get_global_id (0), p;
  if (i >= n)
    return;
  p = quant_param (i, n_params, inner, dim);
  y[y_off + i] = (float) (load_i (x, tx, x_off + i)
      - (has_zp ? load_i (zp, tz, zp_off + p) : 0)) * scale[scale_off + p];
}

/* OneHot: output [outer, depth, inner] of `values` (off, on); element
 * (o, j, i) is on when index (o, i), negative ones counted from depth, is
 * j. Indices outside [-depth, depth) leave all off, as on the CPU. */
#define DEFINE_ONEHOT(T, NAME) \
__kernel void \
NAME (__global const uchar *ind, int ind_off, int ti, \
    __global const T *values, int values_off, __global T *y, int y_off, \
    int depth, int inner, int total) \
{ \
  int i = get_global_id (0), j, o, in; \
  long v; \
  if (i >= total) \
    return; \
  in = i % inner; \
  j = (i / inner) % depth; \
  o = i / (inner * depth); \
  v = load_i (ind, ti, ind_off + o * inner + in); \
  if (v < 0) \
    v += depth; \
  y[y_off + i] = values[values_off + (v == j)]; \
}

DEFINE_ONEHOT (uchar, onehot_1)
DEFINE_ONEHOT (ushort, onehot_2)
DEFINE_ONEHOT (uint, onehot_4)
DEFINE_ONEHOT (ulong, onehot_8)

/* EyeLike: ones on the k-th diagonal of [rows, cols], zeros elsewhere,
 * in the output's type. */
__kernel void
eye_like (__global uchar *y, int y_off, int ty, int cols, int k, int total)
{
  int i = get_global_id (0);
  if (i < total)
    store_i (y, ty, y_off + i, i % cols - i / cols == k);
}
