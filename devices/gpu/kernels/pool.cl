/* 2-D pooling, one output per work item; kind 0 average, 1 max, 2 Lp
 * (sum of |x|^p, then its p-th root). Average divisors follow ONNX: taps
 * inside the input, or with count_include_pad the taps inside the padded
 * input (never the part of a ceil_mode window past the end padding). */
inline float
lp_term (float v, float p)
{
  return p == 2.0f ? v * v : p == 1.0f ? fabs (v) : pow (fabs (v), p);
}

inline float
lp_root (float sum, float p)
{
  return p == 2.0f ? sqrt (sum) : p == 1.0f ? sum : pow (sum, 1.0f / p);
}
/* Output i of a 2-D window op (OH x OW outputs per plane): its plane, and
 * in *h0, *w0 its window's first tap (may lie in the padding). */
inline int
window_2d (int i, int OH, int OW, int sh, int sw, int ph, int pw, int *h0,
    int *w0)
{
  *h0 = (i / OW) % OH * sh - ph;
  *w0 = i % OW * sw - pw;
  return i / (OW * OH);
}

__kernel void
pool2d (__global const float *X, int x_off, __global float *Y, int y_off,
    int H, int W, int OH, int OW, int KH, int KW, int sh, int sw, int ph,
    int pw, int dh, int dw, int peh, int pew, int kind, int include_pad,
    int total, float p)
{
  int i = get_global_id (0);
  int h0, w0, count = 0, hp = 0, wp = 0;
  float acc;
  __global const float *x;
  if (i >= total)
    return;
  x = X + x_off + window_2d (i, OH, OW, sh, sw, ph, pw, &h0, &w0) * H * W;
  acc = kind == 1 ? -INFINITY : 0.0f;
  for (int a = 0; a < KH; a++) {
    int ih = h0 + a * dh;
    if (ih < H + peh)
      hp = a + 1;
    if (ih < 0 || ih >= H)
      continue;
    for (int b = 0; b < KW; b++) {
      int iw = w0 + b * dw;
      float v;
      if (iw < 0 || iw >= W)
        continue;
      v = x[ih * W + iw];
      acc = kind == 1 ? (v > acc || isnan (v) ? v : acc)
          : acc + (kind == 2 ? lp_term (v, p) : v);
      count++;
    }
  }
  for (int b = 0; b < KW; b++)
    if (w0 + b * dw < W + pew)
      wp = b + 1;
  if (kind == 0)
    acc /= (float) (include_pad ? hp * wp : count);
  else if (kind == 2)
    acc = lp_root (acc, p);
  Y[y_off + i] = acc;
}

/* Global pools: one work group of POOL_WG items per plane, each item
 * reducing a strided share of the plane, then a tree in local memory. One
 * item per plane left a 7x7x1280 pool with 1280 items on a GPU that runs
 * hundreds of thousands, and a 112x112 plane to one item's loop. The
 * order of the sums is fixed, so results repeat exactly. */
#define POOL_WG 64

__kernel __attribute__ ((reqd_work_group_size (POOL_WG, 1, 1))) void
global_pool (__global const float *X, int x_off, __global float *Y,
    int y_off, int size, int is_max, int is_lp, float p)
{
  __local float part[POOL_WG];
  int plane = get_group_id (0), t = get_local_id (0);
  __global const float *x = X + x_off + (size_t) plane * size;
  float acc = is_max ? -INFINITY : 0.0f;
  for (int i = t; i < size; i += POOL_WG)
    acc = is_max ? fmax (acc, x[i]) : acc + (is_lp ? lp_term (x[i], p) : x[i]);
  part[t] = acc;
  barrier (CLK_LOCAL_MEM_FENCE);
  for (int s = POOL_WG / 2; s > 0; s >>= 1) {
    if (t < s)
      part[t] = is_max ? fmax (part[t], part[t + s]) : part[t] + part[t + s];
    barrier (CLK_LOCAL_MEM_FENCE);
  }
  if (t == 0)
    Y[y_off + plane] = is_max ? part[0] : is_lp ? lp_root (part[0], p)
        : part[0] / (float) size;
}

/* 3-D pooling, one output per work item, as pool2d over depth, height
 * and width: geo holds per axis (3 entries each) the input and output
 * sizes, kernel, stride, leading pad, dilation and end pad. */

/* Output i's plane, and its window's first tap on each axis. */
inline int
window_3d (int i, __global const int *g, int *start)
{
  __global const int *out = g + 3, *s = g + 9, *pb = g + 12;
  for (int a = 2; a >= 0; a--) {
    start[a] = (i % out[a]) * s[a] - pb[a];
    i /= out[a];
  }
  return i;
}

__kernel void
pool3d (__global const float *X, int x_off, __global float *Y, int y_off,
    __global const int *geo, int geo_off, int kind, int include_pad,
    int total, float p)
{
  int i = get_global_id (0);
  __global const int *g = geo + geo_off;
  __global const int *in = g, *k = g + 6, *d = g + 15, *pe = g + 18;
  int start[3], padded[3], count = 0, plane;
  float acc;
  __global const float *x;
  if (i >= total)
    return;
  plane = window_3d (i, g, start);
  x = X + x_off + plane * in[0] * in[1] * in[2];
  for (int a = 0; a < 3; a++) {
    /* Taps inside the padded input (not a ceil_mode window's overhang). */
    padded[a] = 0;
    for (int t = 0; t < k[a]; t++)
      if (start[a] + t * d[a] < in[a] + pe[a])
        padded[a] = t + 1;
  }
  acc = kind == 1 ? -INFINITY : 0.0f;
  for (int a0 = 0; a0 < k[0]; a0++) {
    int i0 = start[0] + a0 * d[0];
    if (i0 < 0 || i0 >= in[0])
      continue;
    for (int a1 = 0; a1 < k[1]; a1++) {
      int i1 = start[1] + a1 * d[1];
      if (i1 < 0 || i1 >= in[1])
        continue;
      for (int a2 = 0; a2 < k[2]; a2++) {
        int i2 = start[2] + a2 * d[2];
        float v;
        if (i2 < 0 || i2 >= in[2])
          continue;
        v = x[(i0 * in[1] + i1) * in[2] + i2];
        acc = kind == 1 ? (v > acc || isnan (v) ? v : acc)
            : acc + (kind == 2 ? lp_term (v, p) : v);
        count++;
      }
    }
  }
  if (kind == 0)
    acc /= (float) (include_pad ? padded[0] * padded[1] * padded[2] : count);
  else if (kind == 2)
    acc = lp_root (acc, p);
  Y[y_off + i] = acc;
}

/* 2-D MaxPool with its Indices output, as the CPU's: each window's first
 * tap, then any strictly greater one (so a NaN wins only as the first);
 * the index flattened over the whole input, row-major (storage_order 0)
 * or with the two spatial axes column-major (1); -1 for a window with
 * no tap inside the input. */
__kernel void
maxpool2d_indices (__global const float *X, int x_off, __global float *Y,
    int y_off, __global long *I, int i_off, int H, int W, int OH, int OW,
    int KH, int KW, int sh, int sw, int ph, int pw, int dh, int dw,
    int col_major, int total)
{
  int i = get_global_id (0);
  int plane, h0, w0, bh = -1, bw = 0;
  float m = -INFINITY;
  __global const float *x;
  if (i >= total)
    return;
  plane = window_2d (i, OH, OW, sh, sw, ph, pw, &h0, &w0);
  x = X + x_off + plane * H * W;
  for (int a = 0; a < KH; a++) {
    int ih = h0 + a * dh;
    if (ih < 0 || ih >= H)
      continue;
    for (int b = 0; b < KW; b++) {
      int iw = w0 + b * dw;
      if (iw < 0 || iw >= W)
        continue;
      if (x[ih * W + iw] > m || bh < 0) {
        m = x[ih * W + iw];
        bh = ih;
        bw = iw;
      }
    }
  }
  Y[y_off + i] = m;
  I[i_off + i] = bh < 0 ? -1 : (long) plane * H * W
      + (col_major ? bh + (long) H * bw : (long) bh * W + bw);
}

/* 3-D MaxPool with its Indices output, one output per work item, over
 * pool3d's geometry: the window's first maximum (the CPU's rule) and its
 * flat index in x, row-major (0) or with the three spatial axes
 * column-major (1); -1 for a window with no tap inside the input. */
__kernel void
maxpool3d_indices (__global const float *X, int x_off, __global float *Y,
    int y_off, __global long *I, int i_off, __global const int *geo,
    int geo_off, int col_major, int total)
{
  int i = get_global_id (0);
  __global const int *g = geo + geo_off;
  __global const int *in = g, *k = g + 6, *d = g + 15;
  int start[3], plane, h0 = -1, h1 = 0, h2 = 0;
  float m = -INFINITY;
  __global const float *x;
  if (i >= total)
    return;
  plane = window_3d (i, g, start);
  x = X + x_off + plane * in[0] * in[1] * in[2];
  for (int a0 = 0; a0 < k[0]; a0++) {
    int i0 = start[0] + a0 * d[0];
    if (i0 < 0 || i0 >= in[0])
      continue;
    for (int a1 = 0; a1 < k[1]; a1++) {
      int i1 = start[1] + a1 * d[1];
      if (i1 < 0 || i1 >= in[1])
        continue;
      for (int a2 = 0; a2 < k[2]; a2++) {
        int i2 = start[2] + a2 * d[2];
        float v;
        if (i2 < 0 || i2 >= in[2])
          continue;
        v = x[(i0 * in[1] + i1) * in[2] + i2];
        if (v > m || h0 < 0) {
          m = v;
          h0 = i0;
          h1 = i1;
          h2 = i2;
        }
      }
    }
  }
  Y[y_off + i] = m;
  I[i_off + i] = h0 < 0 ? -1 : (long) plane * in[0] * in[1] * in[2]
      + (col_major ? h0 + (long) in[0] * (h1 + (long) in[1] * h2)
      : ((long) h0 * in[1] + h1) * in[2] + h2);
}
