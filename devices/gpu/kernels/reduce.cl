/* Reductions over any set of axes, float32. The shape comes grouped as
 * the CPU kernel groups it: runs of adjacent axes that are all kept or
 * all reduced, each with its input stride (`kdim`/`kstride` for kept
 * groups, `rdim`/`rstride` for reduced ones, outermost first). Output o
 * starts at the offset of its kept indices; reduced element r adds the
 * offset of its reduced indices.
 *
 * op: 0 sum, 1 mean, 2 max, 3 min, 4 sum of squares, 5 L1, 6 L2, 7
 * product, 8 log of the sum, 9 log of the sum of exps (after a first pass
 * for the maximum, which it subtracts, as the CPU does). Max and min
 * propagate NaN, as the CPU (and numpy) do. */
#define RED_WG 64

inline int
group_offset (int i, __global const int *dim, __global const int *stride,
    int n)
{
  int off = 0;
  for (int g = n - 1; g >= 0; g--) {
    off += (i % dim[g]) * stride[g];
    i /= dim[g];
  }
  return off;
}

inline float
red_step (int op, float acc, float x)
{
  switch (op) {
    case 2: return x > acc || isnan (x) ? x : acc;
    case 3: return x < acc || isnan (x) ? x : acc;
    case 4: case 6: return acc + x * x;
    case 5: return acc + fabs (x);
    case 7: return acc * x;
    default: return acc + x;
  }
}

inline float
red_combine (int op, float a, float b)
{
  return op == 2 || op == 3 ? red_step (op, a, b) : op == 7 ? a * b : a + b;
}

inline float
red_init (int op)
{
  return op == 2 ? -INFINITY : op == 3 ? INFINITY : op == 7 ? 1.0f : 0.0f;
}

inline float
red_finish (int op, float acc, int R, float shift)
{
  switch (op) {
    case 1: return acc / (float) R;
    case 6: return sqrt (acc);
    case 8: return log (acc);
    /* An infinite or NaN maximum is the answer, as on the CPU. */
    case 9: return isfinite (shift) ? shift + log (acc) : shift;
    default: return acc;
  }
}


/* One work group per output: long reductions. */
__kernel __attribute__ ((reqd_work_group_size (RED_WG, 1, 1))) void
reduce_wg (__global const float *X, int x_off, __global float *Y, int y_off,
    __global const int *kdim, int kdim_off, __global const int *kstride,
    int kstride_off, __global const int *rdim, int rdim_off,
    __global const int *rstride, int rstride_off, int nk, int nr, int R,
    int op)
{
  __local float part[RED_WG];
  int o = get_group_id (0), t = get_local_id (0);
  __global const float *x = X + x_off
      + group_offset (o, kdim + kdim_off, kstride + kstride_off, nk);
  float acc, shift = 0.0f;
  if (op == 9) {
    /* The maximum first, through the same tree. */
    acc = -INFINITY;
    for (int r = t; r < R; r += RED_WG)
      acc = red_step (2, acc, x[group_offset (r, rdim + rdim_off,
                  rstride + rstride_off, nr)]);
    part[t] = acc;
    barrier (CLK_LOCAL_MEM_FENCE);
    for (int s = RED_WG / 2; s > 0; s >>= 1) {
      if (t < s)
        part[t] = red_combine (2, part[t], part[t + s]);
      barrier (CLK_LOCAL_MEM_FENCE);
    }
    shift = part[0];
    barrier (CLK_LOCAL_MEM_FENCE);
  }
  acc = red_init (op);
  for (int r = t; r < R; r += RED_WG) {
    float v = x[group_offset (r, rdim + rdim_off, rstride + rstride_off,
            nr)];
    acc = red_step (op, acc, op == 9 ? exp (v - shift) : v);
  }
  part[t] = acc;
  barrier (CLK_LOCAL_MEM_FENCE);
  for (int s = RED_WG / 2; s > 0; s >>= 1) {
    if (t < s)
      part[t] = red_combine (op, part[t], part[t + s]);
    barrier (CLK_LOCAL_MEM_FENCE);
  }
  if (t == 0)
    Y[y_off + o] = red_finish (op, part[0], R, shift);
}

/* One work item per output: short reductions over many outputs. */
__kernel void
reduce_item (__global const float *X, int x_off, __global float *Y,
    int y_off, __global const int *kdim, int kdim_off,
    __global const int *kstride, int kstride_off, __global const int *rdim,
    int rdim_off, __global const int *rstride, int rstride_off, int nk,
    int nr, int R, int op, int K)
{
  int o = get_global_id (0);
  __global const float *x;
  float acc, shift = 0.0f;
  if (o >= K)
    return;
  x = X + x_off + group_offset (o, kdim + kdim_off, kstride + kstride_off,
      nk);
  if (op == 9) {
    acc = -INFINITY;
    for (int r = 0; r < R; r++)
      acc = red_step (2, acc, x[group_offset (r, rdim + rdim_off,
                  rstride + rstride_off, nr)]);
    shift = acc;
  }
  acc = red_init (op);
  for (int r = 0; r < R; r++) {
    float v = x[group_offset (r, rdim + rdim_off, rstride + rstride_off,
            nr)];
    acc = red_step (op, acc, op == 9 ? exp (v - shift) : v);
  }
  Y[y_off + o] = red_finish (op, acc, R, shift);
}

/* One line of a CumSum: line i of [outer, n, inner]. */
inline void
cumsum_line (__global const float *X, __global float *Y, int i, int n,
    int inner, int exclusive, int reverse)
{
  __global const float *x = X + (i / inner) * n * inner + i % inner;
  __global float *y = Y + (i / inner) * n * inner + i % inner;
  float acc = 0.0f;
  for (int step = 0; step < n; step++) {
    int k = reverse ? n - 1 - step : step;
    float v = x[k * inner];
    if (exclusive) {
      y[k * inner] = acc;
      acc += v;
    } else {
      acc += v;
      y[k * inner] = acc;
    }
  }
}

/* CumSum along the axis of [outer, n, inner], one work item per line:
 * exclusive leaves the element itself out, reverse runs from the end. */
__kernel void
cumsum (__global const float *X, int x_off, __global float *Y, int y_off,
    int outer, int n, int inner, int exclusive, int reverse)
{
  int i = get_global_id (0);
  if (i < outer * inner)
    cumsum_line (X + x_off, Y + y_off, i, n, inner, exclusive, reverse);
}

/* CumSum along an axis given at run time (int32 or int64, negative
 * from the end; one out of range fails the inference): the line
 * geometry from the shape `dims`, over a range of one item per element
 * (at least the lines there are). */
__kernel void
cumsum_rt (__global const float *X, int x_off, __global float *Y, int y_off,
    __global const int *dims, int dims_off, int rank, int total,
    __global const uchar *ax, int ax_off, int ax64, int exclusive,
    int reverse, __global int *status, int code)
{
  int i = get_global_id (0), n, inner = 1;
  long axis = ax64 ? ((__global const long *) (ax + 8 * ax_off))[0]
      : ((__global const int *) (ax + 4 * ax_off))[0];
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis >= rank) {
    if (i == 0)
      atomic_cmpxchg (status, 0, code);
    return;
  }
  dims += dims_off;
  n = dims[axis];
  for (int d = (int) axis + 1; d < rank; d++)
    inner *= dims[d];
  if (i < total / n)
    cumsum_line (X + x_off, Y + y_off, i, n, inner, exclusive, reverse);
}

/* MeanVarianceNormalization: per kept index, over the reduced groups,
 * (x - mean) / (sqrt (variance) + 1e-9), the variance around the mean
 * (a second pass), one work item per kept index. */
__kernel void
mvn (__global const float *X, int x_off, __global float *Y, int y_off,
    __global const int *kdim, int kdim_off, __global const int *kstride,
    int kstride_off, __global const int *rdim, int rdim_off,
    __global const int *rstride, int rstride_off, int nk, int nr, int R,
    int K)
{
  int o = get_global_id (0), base;
  float mean = 0.0f, var = 0.0f, inv;
  if (o >= K)
    return;
  base = group_offset (o, kdim + kdim_off, kstride + kstride_off, nk);
  for (int r = 0; r < R; r++)
    mean += X[x_off + base + group_offset (r, rdim + rdim_off,
            rstride + rstride_off, nr)];
  mean /= (float) R;
  for (int r = 0; r < R; r++) {
    float d = X[x_off + base + group_offset (r, rdim + rdim_off,
            rstride + rstride_off, nr)] - mean;
    var = mad (d, d, var);
  }
  inv = 1.0f / (sqrt (var / (float) R) + 1e-9f);
  for (int r = 0; r < R; r++) {
    int at = base + group_offset (r, rdim + rdim_off, rstride + rstride_off,
        nr);
    Y[y_off + at] = (X[x_off + at] - mean) * inv;
  }
}
