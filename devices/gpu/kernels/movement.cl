/* Data movement: one strided copy serves Transpose (permuted source
 * strides), Slice (start offset, steps as strides, negative too) and
 * Concat (each input copied into its place of the output). Kernels per
 * element size, since only bytes move. */

#define DEFINE_STRIDED_COPY(T, NAME) \
__kernel void \
NAME (__global const T *x, int x_off, __global T *y, int y_off, int n, \
    int rank, __global const int *dims, int dims_off, \
    __global const int *xs, int xs_off, __global const int *ys, int ys_off, \
    int x_base, int y_base) \
{ \
  int i = get_global_id (0); \
  if (i >= n) \
    return; \
  y[y_off + y_base + ovi_strided_index (i, rank, dims + dims_off, \
          ys + ys_off)] = \
      x[x_off + x_base + ovi_strided_index (i, rank, dims + dims_off, \
              xs + xs_off)]; \
}

DEFINE_STRIDED_COPY (uchar, strided_copy_1)
DEFINE_STRIDED_COPY (ushort, strided_copy_2)
DEFINE_STRIDED_COPY (uint, strided_copy_4)
DEFINE_STRIDED_COPY (ulong, strided_copy_8)

/* Pad: per output axis d, the input index p = j - begin[d] is read when
 * in [lo[d], hi[d]) (the kept range; negative pads crop). Outside it,
 * mode 0 (constant) writes `value`, mode 1 (edge) clamps and mode 2
 * (reflect) mirrors about the range's ends. */
inline int
pad_source (int j, int begin, int lo, int hi, int mode)
{
  int p = j - begin, m = hi - lo, period, q;
  if (p >= lo && p < hi)
    return p;
  if (mode == 0)
    return -1;
  if (mode == 1 || m == 1)
    return p < lo ? lo : hi - 1;
  period = 2 * (m - 1);
  q = (p - lo) % period;
  if (q < 0)
    q += period;
  if (q >= m)
    q = period - q;
  return lo + q;
}

#define DEFINE_PAD(T, NAME) \
__kernel void \
NAME (__global const T *x, int x_off, __global T *y, int y_off, int n, \
    int rank, __global const int *geo, int geo_off, int mode, ulong bits) \
{ \
  int i = get_global_id (0), rest, src = 0; \
  __global const int *g = geo + geo_off; \
  if (i >= n) \
    return; \
  rest = i; \
  for (int d = rank - 1; d >= 0; d--) { \
    __global const int *a = g + 5 * d; /* ydim, xstride, begin, lo, hi */ \
    int p = pad_source (rest % a[0], a[2], a[3], a[4], mode); \
    rest /= a[0]; \
    if (p < 0) { \
      y[y_off + i] = (T) bits;  /* the value's bytes, little-endian */ \
      return; \
    } \
    src += p * a[1]; \
  } \
  y[y_off + i] = x[x_off + src]; \
}

DEFINE_PAD (uchar, pad_1)
DEFINE_PAD (ushort, pad_2)
DEFINE_PAD (uint, pad_4)
DEFINE_PAD (ulong, pad_8)

/* Every element the same value (its bytes, little-endian): Dropout's
 * mask. */
#define DEFINE_FILL(T, NAME) \
__kernel void \
NAME (__global T *y, int y_off, int n, ulong bits) \
{ \
  int i = get_global_id (0); \
  if (i < n) \
    y[y_off + i] = (T) bits; \
}

DEFINE_FILL (uchar, fill_1)
DEFINE_FILL (ushort, fill_2)
DEFINE_FILL (uint, fill_4)
DEFINE_FILL (ulong, fill_8)

/* Trilu over the last two axes [rows, cols]: element (i, j) kept when j -
 * i >= k (upper) or j - i <= k (lower), else zero bytes. k is known at
 * compile, or read from the int64 tensor kp at run time (rt) and clamped
 * as the CPU clamps it. */
#define DEFINE_TRILU(T, NAME) \
__kernel void \
NAME (__global const T *x, int x_off, __global T *y, int y_off, int n, \
    int rows, int cols, int k, int upper, __global const long *kp, \
    int kp_off, int rt) \
{ \
  int i = get_global_id (0), r, c; \
  if (i >= n) \
    return; \
  if (rt) \
    k = (int) clamp (kp[kp_off], (long) -rows - 1, (long) cols + 1); \
  c = i % cols; \
  r = (i / cols) % rows; \
  y[y_off + i] = (upper ? c - r >= k : c - r <= k) ? x[x_off + i] : (T) 0; \
}

DEFINE_TRILU (uchar, trilu_1)
DEFINE_TRILU (ushort, trilu_2)
DEFINE_TRILU (uint, trilu_4)
DEFINE_TRILU (ulong, trilu_8)
