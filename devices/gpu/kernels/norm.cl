/* Inference BatchNormalization not folded into a Conv: per channel
 * y = x * scale + shift, scale and shift computed once at compile time. */
__kernel void
channel_affine (__global const float *X, int x_off, __global float *Y,
    int y_off, __global const float *scale, int scale_off,
    __global const float *shift, int shift_off, int C, int plane, int total)
{
  int i = get_global_id (0);
  int c;
  if (i >= total)
    return;
  c = (i / plane) % C;
  Y[y_off + i] = mad (X[x_off + i], scale[scale_off + c],
      shift[shift_off + c]);
}

/* LayerNormalization, one work group of LN_WG items per row of `cols`:
 * the mean, then the variance around it (two passes, as the CPU's
 * moments), each a strided share per item and a tree in local memory;
 * then y = (x - mean) / sqrt (var + eps) * scale + bias, scale and bias
 * expanded to one value per column at compile time, or with row_channels
 * one per slot of a row (below). */
#define LN_WG 64

inline float
ln_tree (__local float *part, int t)
{
  barrier (CLK_LOCAL_MEM_FENCE);
  for (int s = LN_WG / 2; s > 0; s >>= 1) {
    if (t < s)
      part[t] += part[t + s];
    barrier (CLK_LOCAL_MEM_FENCE);
  }
  return part[0];
}

__kernel __attribute__ ((reqd_work_group_size (LN_WG, 1, 1))) void
layer_norm (__global const float *X, int x_off, __global float *Y,
    int y_off, __global const float *scale, int scale_off,
    __global const float *bias, int bias_off, int cols, float eps,
    int row_channels, int slot, __global float *mean_out, int mean_off,
    __global float *inv_out, int inv_off, int stats)
{
  __local float part[LN_WG];
  int row = get_group_id (0), t = get_local_id (0);
  __global const float *x = X + x_off + (size_t) row * cols;
  __global float *y = Y + y_off + (size_t) row * cols;
  float acc = 0.0f, mean, inv;
  for (int j = t; j < cols; j += LN_WG)
    acc += x[j];
  part[t] = acc;
  mean = ln_tree (part, t) / (float) cols;
  barrier (CLK_LOCAL_MEM_FENCE);
  acc = 0.0f;
  for (int j = t; j < cols; j += LN_WG) {
    float d = x[j] - mean;
    acc = mad (d, d, acc);
  }
  part[t] = acc;
  inv = 1.0f / sqrt (ln_tree (part, t) / (float) cols + eps);
  /* LayerNormalization's optional Mean (stats bit 0) and InvStdDev (bit
   * 1) outputs. */
  if ((stats & 1) && t == 0)
    mean_out[mean_off + row] = mean;
  if ((stats & 2) && t == 0)
    inv_out[inv_off + row] = inv;
  if (row_channels > 0) {
    /* Rows are (n, group) blocks of `cols / slot` slots, a scale each:
     * InstanceNormalization's planes (one slot), GroupNormalization's
     * groups (one slot, or a channel's plane per slot). */
    __global const float *sc = scale + scale_off
        + (row % row_channels) * (cols / slot);
    __global const float *bi = bias + bias_off
        + (row % row_channels) * (cols / slot);
    for (int j = t; j < cols; j += LN_WG)
      y[j] = (x[j] - mean) * inv * sc[j / slot] + bi[j / slot];
  } else {
    for (int j = t; j < cols; j += LN_WG)
      y[j] = (x[j] - mean) * inv * scale[scale_off + j] + bias[bias_off + j];
  }}

/* BatchNormalization whose statistics arrive at run time (graph inputs):
 * the same map, its scale and shift computed per element. */
__kernel void
batchnorm_runtime (__global const float *X, int x_off, __global float *Y,
    int y_off, __global const float *s, int s_off, __global const float *b,
    int b_off, __global const float *mean, int mean_off,
    __global const float *var, int var_off, int C, int plane, int total,
    float eps)
{
  int i = get_global_id (0);
  int c;
  float scale;
  if (i >= total)
    return;
  c = (i / plane) % C;
  scale = s[s_off + c] / sqrt (var[var_off + c] + eps);
  Y[y_off + i] = (X[x_off + i] - mean[mean_off + c]) * scale + b[b_off + c];
}

/* LRN across channels of [N, C, plane]: x / (bias + alpha / size * sum of
 * squares over channels c - (size - 1) / 2 .. c + size / 2) ^ beta. */
__kernel void
lrn (__global const float *X, int x_off, __global float *Y, int y_off,
    int C, int plane, int size, float alpha, float beta, float bias,
    int total)
{
  int i = get_global_id (0);
  int c, lo, hi;
  __global const float *x;
  float acc = 0.0f;
  if (i >= total)
    return;
  c = (i / plane) % C;
  lo = max (c - (size - 1) / 2, 0);
  hi = min (c + size / 2, C - 1);
  x = X + x_off + i - c * plane;
  for (int k = lo; k <= hi; k++) {
    float v = x[k * plane];
    acc = mad (v, v, acc);
  }
  Y[y_off + i] = X[x_off + i] / pow (bias + alpha / (float) size * acc, beta);
}
