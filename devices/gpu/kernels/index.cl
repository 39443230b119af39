/* Gather and GatherElements, and ArgMax / ArgMin. Indices known at
 * compile were checked and made non-negative then; indices computed at
 * run time are checked here: one out of range reports the step through
 * the status word (gpu-exec.h's OVI_GPU_ARG_STATUS) and its element is
 * not written, so no kernel reads outside its data. Gathers move bytes:
 * kernels per element size. */

/* Index j of an int32 or int64 index tensor, made non-negative against a
 * dimension of n; -1 when out of range. */
inline long
checked_index (__global const uchar *ind, int j, int is64, long n)
{
  long v = is64 ? ((__global const long *) ind)[j]
      : ((__global const int *) ind)[j];
  if (v < 0)
    v += n;
  return v >= 0 && v < n ? v : -1;
}

/* Gather: y[o, j, k] = x[o, idx[j], k] over [outer, ni, inner]. */
#define DEFINE_GATHER(T, NAME) \
__kernel void \
NAME (__global const T *x, int x_off, __global T *y, int y_off, int total, \
    __global const int *idx, int idx_off, int ni, int n, int inner) \
{ \
  int i = get_global_id (0); \
  int k, j, o; \
  if (i >= total) \
    return; \
  k = i % inner; \
  j = (i / inner) % ni; \
  o = i / (inner * ni); \
  y[y_off + i] = x[x_off + (o * n + idx[idx_off + j]) * inner + k]; \
}

DEFINE_GATHER (uchar, gather_1)
DEFINE_GATHER (ushort, gather_2)
DEFINE_GATHER (uint, gather_4)
DEFINE_GATHER (ulong, gather_8)

/* Gather with indices from the graph at run time. */
#define DEFINE_GATHER_RT(T, NAME) \
__kernel void \
NAME (__global const T *x, int x_off, __global T *y, int y_off, int total, \
    __global const uchar *ind, int ind_off, int is64, int ni, int n, \
    int inner, __global int *status, int code) \
{ \
  int i = get_global_id (0); \
  int k, j, o; \
  long v; \
  if (i >= total) \
    return; \
  k = i % inner; \
  j = (i / inner) % ni; \
  o = i / (inner * ni); \
  v = checked_index (ind + (is64 ? 8 : 4) * ind_off, j, is64, n); \
  if (v < 0) { \
    atomic_cmpxchg (status, 0, code); \
    return; \
  } \
  y[y_off + i] = x[x_off + (o * n + (int) v) * inner + k]; \
}

DEFINE_GATHER_RT (uchar, gather_rt_1)
DEFINE_GATHER_RT (ushort, gather_rt_2)
DEFINE_GATHER_RT (uint, gather_rt_4)
DEFINE_GATHER_RT (ulong, gather_rt_8)

/* The data offset of element i of an index tensor of shape idims (rank
 * axes) whose axis coordinate is replaced by the element's index, checked
 * against the axis' length (xs[rank + axis]; xs[0..rank) are the data's
 * strides); -1 when out of range. GatherElements and ScatterElements. */
inline int
element_offset (__global const uchar *ind, int is64, int i, int rank,
    int axis, __global const int *idims, __global const int *xs)
{
  int rest = i, off = 0;
  long v = checked_index (ind, i, is64, xs[rank + axis]);
  if (v < 0)
    return -1;
  for (int d = rank - 1; d >= 0; d--) {
    int c = rest % idims[d];
    rest /= idims[d];
    off += (d == axis ? (int) v : c) * xs[d];
  }
  return off;
}

/* GatherElements with indices at run time (src the data, dst the
 * output: element i reads src at element_offset) and ScatterElements
 * without reduction (src the updates, dst the output already holding the
 * data: update i lands at element_offset). */
#define DEFINE_ELEMENTS(T, NAME, ASSIGN) \
__kernel void \
NAME (__global const T *src, int src_off, __global T *dst, int dst_off, \
    int total, __global const uchar *ind, int ind_off, int is64, int rank, \
    int axis, __global const int *idims, int idims_off, \
    __global const int *xs, int xs_off, __global int *status, int code) \
{ \
  int i = get_global_id (0), off; \
  if (i >= total) \
    return; \
  off = element_offset (ind + (is64 ? 8 : 4) * ind_off, is64, i, rank, \
      axis, idims + idims_off, xs + xs_off); \
  if (off < 0) { \
    atomic_cmpxchg (status, 0, code); \
    return; \
  } \
  ASSIGN; \
}

#define GATHER_ASSIGN dst[dst_off + i] = src[src_off + off]
#define SCATTER_ASSIGN dst[dst_off + off] = src[src_off + i]
DEFINE_ELEMENTS (uchar, gather_elements_rt_1, GATHER_ASSIGN)
DEFINE_ELEMENTS (ushort, gather_elements_rt_2, GATHER_ASSIGN)
DEFINE_ELEMENTS (uint, gather_elements_rt_4, GATHER_ASSIGN)
DEFINE_ELEMENTS (ulong, gather_elements_rt_8, GATHER_ASSIGN)
DEFINE_ELEMENTS (uchar, scatter_elements_1, SCATTER_ASSIGN)
DEFINE_ELEMENTS (ushort, scatter_elements_2, SCATTER_ASSIGN)
DEFINE_ELEMENTS (uint, scatter_elements_4, SCATTER_ASSIGN)
DEFINE_ELEMENTS (ulong, scatter_elements_8, SCATTER_ASSIGN)

/* Each output element from a source element offset computed at compile
 * (GatherElements: as many offsets as indices). */
#define DEFINE_GATHER_AT(T, NAME) \
__kernel void \
NAME (__global const T *x, int x_off, __global T *y, int y_off, int total, \
    __global const int *at, int at_off) \
{ \
  int i = get_global_id (0); \
  if (i >= total) \
    return; \
  y[y_off + i] = x[x_off + at[at_off + i]]; \
}

DEFINE_GATHER_AT (uchar, gather_at_1)
DEFINE_GATHER_AT (ushort, gather_at_2)
DEFINE_GATHER_AT (uint, gather_at_4)
DEFINE_GATHER_AT (ulong, gather_at_8)

/* ArgMax (is_max 1) and ArgMin of float32 over the axis of [outer, n,
 * inner], one work item per output: the first extreme, or the last with
 * select_last_index; a NaN wins at its first place, as on the CPU. */
__kernel void
arg_extreme (__global const float *x, int x_off, __global long *y, int y_off,
    int total, int n, int inner, int is_max, int last)
{
  int i = get_global_id (0);
  __global const float *p;
  float best;
  int best_k = 0;
  if (i >= total)
    return;
  p = x + x_off + (i / inner) * n * inner + i % inner;
  best = p[0];
  for (int k = 1; k < n && !isnan (best); k++) {
    float v = p[k * inner];
    if (isnan (v) || (v == best ? last : is_max ? v > best : v < best)) {
      best = v;
      best_k = k;
    }
  }
  y[y_off + i] = best_k;
}

/* TopK of float32 along the axis of [outer, n, inner], one work item per
 * line: pass j selects the element that comes next in the output order
 * after pass j - 1's (k passes over the line). The order is the CPU's
 * topk_cmp: by value (NaN greatest), descending when largest, ties by the
 * lower index. */
inline int
topk_before (float a, int ia, float b, int ib, int largest)
{
  int an = isnan (a), bn = isnan (b), r;
  if (an || bn)
    r = an && bn ? 0 : an ? 1 : -1;
  else
    r = a < b ? -1 : a > b ? 1 : 0;
  if (largest)
    r = -r;
  return r != 0 ? r < 0 : ia < ib;
}

__kernel void
topk (__global const float *X, int x_off, __global float *V, int v_off,
    __global long *I, int i_off, int outer, int n, int inner, int k,
    int largest, int has_values, int has_indices)
{
  int t = get_global_id (0);
  __global const float *x;
  int o, in, prev = -1;
  float pv = 0.0f;
  if (t >= outer * inner)
    return;
  o = t / inner;
  in = t % inner;
  x = X + x_off + o * n * inner + in;
  for (int j = 0; j < k; j++) {
    int best = -1;
    float bv = 0.0f;
    for (int e = 0; e < n; e++) {
      float v = x[e * inner];
      if (prev >= 0 && !topk_before (pv, prev, v, e, largest))
        continue;
      if (best < 0 || topk_before (v, e, bv, best, largest)) {
        best = e;
        bv = v;
      }
    }
    if (has_values)
      V[v_off + (o * k + j) * inner + in] = bv;
    if (has_indices)
      I[i_off + (o * k + j) * inner + in] = best;
    prev = best;
    pv = bv;
  }
}

/* The element offset of index tuple t (k int32/int64 values) into data
 * axes of sizes dims[] and strides ds[]; -1 when one is out of range. */
inline int
tuple_offset (__global const uchar *ind, int is64, int t, int k,
    __global const int *dims, __global const int *ds)
{
  int off = 0;
  for (int j = 0; j < k; j++) {
    long v = checked_index (ind, t * k + j, is64, dims[j]);
    if (v < 0)
      return -1;
    off += (int) v * ds[j];
  }
  return off;
}

/* GatherND: output element i is element e of slice tt (= batch bb * nt +
 * tuple), read at the tuple's offset within batch bb. */
#define DEFINE_GATHER_ND(T, NAME) \
__kernel void \
NAME (__global const T *x, int x_off, __global T *y, int y_off, int total, \
    __global const uchar *ind, int ind_off, int is64, int k, int slice, \
    int nt, int batch, __global const int *geo, int geo_off, \
    __global int *status, int code) \
{ \
  int i = get_global_id (0), tt, off; \
  if (i >= total) \
    return; \
  tt = i / slice; \
  off = tuple_offset (ind + (is64 ? 8 : 4) * ind_off, is64, tt, k, \
      geo + geo_off, geo + geo_off + k); \
  if (off < 0) { \
    atomic_cmpxchg (status, 0, code); \
    return; \
  } \
  y[y_off + i] = x[x_off + (tt / nt) * batch + off + i % slice]; \
}

DEFINE_GATHER_ND (uchar, gather_nd_1)
DEFINE_GATHER_ND (ushort, gather_nd_2)
DEFINE_GATHER_ND (uint, gather_nd_4)
DEFINE_GATHER_ND (ulong, gather_nd_8)

/* ScatterND without reduction, after the data was copied to the output:
 * update element i (slice t, element e) lands at tuple t's offset + e.
 * Duplicate tuples leave one of their updates (ONNX leaves the order
 * undefined). */
#define DEFINE_SCATTER_ND(T, NAME, ASSIGN) \
__kernel void \
NAME (__global const T *u, int u_off, __global T *y, int y_off, int total, \
    __global const uchar *ind, int ind_off, int is64, int k, int slice, \
    __global const int *geo, int geo_off, __global int *status, int code) \
{ \
  int i = get_global_id (0), off; \
  if (i >= total) \
    return; \
  off = tuple_offset (ind + (is64 ? 8 : 4) * ind_off, is64, i / slice, k, \
      geo + geo_off, geo + geo_off + k); \
  if (off < 0) { \
    atomic_cmpxchg (status, 0, code); \
    return; \
  } \
  ASSIGN; \
}

#define SCATTER_ND_ASSIGN y[y_off + off + i % slice] = u[u_off + i]
DEFINE_SCATTER_ND (uchar, scatter_nd_1, SCATTER_ND_ASSIGN)
DEFINE_SCATTER_ND (ushort, scatter_nd_2, SCATTER_ND_ASSIGN)
DEFINE_SCATTER_ND (uint, scatter_nd_4, SCATTER_ND_ASSIGN)
DEFINE_SCATTER_ND (ulong, scatter_nd_8, SCATTER_ND_ASSIGN)

/* Scatter reductions (float32, int32, uint32: the types with 32-bit
 * atomics): each update combines with its element by the integer atomics
 * or, for float and integer Mul, by compare-and-swap, so that every
 * update to a repeated place counts. Their order is undefined, which
 * changes only the rounding of float Add and Mul (the CPU applies them
 * in order, through double). Max and Min take NaN as the CPU does: a NaN
 * update wins, and a NaN already there stays. */
#define RED_ADD 1
#define RED_MUL 2
#define RED_MAX 3
#define RED_MIN 4

inline float
red_f32 (float a, float b, int red)
{
  switch (red) {
    case RED_ADD: return a + b;
    case RED_MUL: return a * b;
    case RED_MAX: return b > a || isnan (b) ? b : a;
    default: return b < a || isnan (b) ? b : a;
  }
}

/* Compare-and-swap loops that start from a guess of 0 rather than a
 * plain load: every access to the place is then atomic (a plain read
 * beside another item's exchange is a data race, which oclgrind
 * reports), and a wrong guess costs one exchange, which returns the
 * value to try next. A right guess is a right reduction: red (0, b). */
inline void
reduce_f32 (__global float *p, float b, int red)
{
  volatile __global uint *q = (volatile __global uint *) p;
  uint seen = 0, old;
  while ((old = atomic_cmpxchg (q, seen, as_uint (red_f32 (as_float (seen),
                  b, red)))) != seen)
    seen = old;
}

/* Integer Add and Mul wrap, Max and Min compare as T. */
#define DEFINE_REDUCE_INT(T, NAME) \
inline void \
NAME (__global T *p, T b, int red) \
{ \
  T old, seen; \
  switch (red) { \
    case RED_ADD: atomic_add (p, b); return; \
    case RED_MAX: atomic_max (p, b); return; \
    case RED_MIN: atomic_min (p, b); return; \
    default: \
      seen = 0; \
      while ((old = atomic_cmpxchg (p, seen, (T) ((uint) seen * (uint) b))) \
          != seen) \
        seen = old; \
  } \
}

DEFINE_REDUCE_INT (int, reduce_i32)
DEFINE_REDUCE_INT (uint, reduce_u32)

#define ND_REDUCE(F, RED) F (y + y_off + off + i % slice, u[u_off + i], RED)
#define ELEMENTS_REDUCE(F, RED) F (dst + dst_off + off, src[src_off + i], RED)
#define DEFINE_SCATTER_REDUCTIONS(T, F, SUFFIX) \
  DEFINE_SCATTER_ND (T, scatter_nd_add_##SUFFIX, ND_REDUCE (F, RED_ADD)) \
  DEFINE_SCATTER_ND (T, scatter_nd_mul_##SUFFIX, ND_REDUCE (F, RED_MUL)) \
  DEFINE_SCATTER_ND (T, scatter_nd_max_##SUFFIX, ND_REDUCE (F, RED_MAX)) \
  DEFINE_SCATTER_ND (T, scatter_nd_min_##SUFFIX, ND_REDUCE (F, RED_MIN)) \
  DEFINE_ELEMENTS (T, scatter_elements_add_##SUFFIX, \
      ELEMENTS_REDUCE (F, RED_ADD)) \
  DEFINE_ELEMENTS (T, scatter_elements_mul_##SUFFIX, \
      ELEMENTS_REDUCE (F, RED_MUL)) \
  DEFINE_ELEMENTS (T, scatter_elements_max_##SUFFIX, \
      ELEMENTS_REDUCE (F, RED_MAX)) \
  DEFINE_ELEMENTS (T, scatter_elements_min_##SUFFIX, \
      ELEMENTS_REDUCE (F, RED_MIN))

DEFINE_SCATTER_REDUCTIONS (float, reduce_f32, f32)
DEFINE_SCATTER_REDUCTIONS (int, reduce_i32, i32)
DEFINE_SCATTER_REDUCTIONS (uint, reduce_u32, u32)


/* MaxUnpool, after the output was zeroed: element j of x lands at its
 * index, an offset into the `inferred` shape (what MaxPool read); when
 * output_shape differs (same 0), the index's coordinates are placed in
 * the output's shape. An index outside either reports the step. */
#define DEFINE_MAX_UNPOOL(T, NAME) \
__kernel void \
NAME (__global const T *x, int x_off, __global T *y, int y_off, int n, \
    __global const uchar *ind, int ind_off, int is64, int rank, \
    __global const int *dims, int dims_off, int total, int same, \
    __global int *status, int code) \
{ \
  int j = get_global_id (0); \
  __global const int *inferred = dims + dims_off, *out = inferred + rank; \
  long idx, rest, dst = 0, stride = 1; \
  if (j >= n) \
    return; \
  idx = is64 ? ((__global const long *) ind)[ind_off + j] \
      : ((__global const int *) ind)[ind_off + j]; \
  if (idx < 0 || idx >= total) { \
    atomic_cmpxchg (status, 0, code); \
    return; \
  } \
  if (same) { \
    y[y_off + idx] = x[x_off + j]; \
    return; \
  } \
  rest = idx; \
  for (int a = rank - 1; a >= 0; a--) { \
    long coord = rest % inferred[a]; \
    rest /= inferred[a]; \
    if (coord >= out[a]) { \
      atomic_cmpxchg (status, 0, code); \
      return; \
    } \
    dst += coord * stride; \
    stride *= out[a]; \
  } \
  y[y_off + dst] = x[x_off + j]; \
}

DEFINE_MAX_UNPOOL (uchar, max_unpool_1)
DEFINE_MAX_UNPOOL (ushort, max_unpool_2)
DEFINE_MAX_UNPOOL (uint, max_unpool_4)
DEFINE_MAX_UNPOOL (ulong, max_unpool_8)

/* ReverseSequence: output row (t, b) of [steps, batch] (time_axis 0) or
 * [batch, steps] reads input row (len - 1 - t, b) when t < len, where
 * len is b's sequence length (checked: past the steps fails the
 * inference), else its own; rows of `inner` elements. */
#define DEFINE_REVERSE_SEQUENCE(T, NAME) \
__kernel void \
NAME (__global const T *x, int x_off, __global T *y, int y_off, int total, \
    __global const uchar *lens, int lens_off, int is64, int batch, \
    int steps, int inner, int time_axis, __global int *status, int code) \
{ \
  int i = get_global_id (0), row, t, b, from; \
  long len; \
  if (i >= total) \
    return; \
  row = i / inner; \
  t = time_axis == 0 ? row / batch : row % steps; \
  b = time_axis == 0 ? row % batch : row / steps; \
  len = is64 ? ((__global const long *) (lens + 8 * lens_off))[b] \
      : ((__global const int *) (lens + 4 * lens_off))[b]; \
  if (len < 0 || len > steps) { \
    atomic_cmpxchg (status, 0, code); \
    return; \
  } \
  from = t < len ? (int) len - 1 - t : t; \
  y[y_off + i] = x[x_off + (time_axis == 0 ? from * batch + b \
        : b * steps + from) * inner + i % inner]; \
}

DEFINE_REVERSE_SEQUENCE (uchar, reverse_sequence_1)
DEFINE_REVERSE_SEQUENCE (ushort, reverse_sequence_2)
DEFINE_REVERSE_SEQUENCE (uint, reverse_sequence_4)
DEFINE_REVERSE_SEQUENCE (ulong, reverse_sequence_8)
