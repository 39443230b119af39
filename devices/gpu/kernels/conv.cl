/* Depthwise convolution (groups == channels, one filter each): little
 * arithmetic per byte, so a direct kernel, one output per work item,
 * neighbouring items on neighbouring columns. Bias, residual and
 * activation as the CPU's fused Conv carries them. */
__kernel void
conv2d_depthwise (__global const float *X, int x_off,
    __global const float *Wt, int w_off, __global const float *bias,
    int bias_off, __global const float *R, int r_off, __global float *Y,
    int y_off, int C, int H, int W, int OH, int OW, int KH, int KW, int sh,
    int sw, int ph, int pw, int dh, int dw, int has_bias, int has_r,
    int act, float act_a, float act_b, int total)
{
  int i = get_global_id (0);
  int ow, oh, c, img;
  float acc;
  __global const float *x, *w;
  if (i >= total)
    return;
  ow = i % OW;
  oh = (i / OW) % OH;
  c = (i / (OW * OH)) % C;
  img = i / (OW * OH * C);
  x = X + x_off + (img * C + c) * H * W;
  w = Wt + w_off + c * KH * KW;
  acc = has_bias ? bias[bias_off + c] : 0.0f;
  for (int kh = 0; kh < KH; kh++) {
    int ih = oh * sh - ph + kh * dh;
    if (ih < 0 || ih >= H)
      continue;
    for (int kw = 0; kw < KW; kw++) {
      int iw = ow * sw - pw + kw * dw;
      if (iw >= 0 && iw < W)
        acc = mad (x[ih * W + iw], w[kh * KW + kw], acc);
    }
  }
  if (has_r)
    acc += R[r_off + i];
  Y[y_off + i] = ovi_activate (acc, act, act_a, act_b);
}

/* conv_transpose's and conv_nd's shared steps. geo holds per spatial
 * axis (nsp entries each) the input, output and kernel sizes, strides,
 * dilations and leading pads. */

/* Output element i of [N, M, out...]: its image, channel and position on
 * each axis. */
inline void
nd_output (int i, int M, int nsp, int out_size, __global const int *out,
    int *img, int *m, int *o)
{
  int rest = i % out_size;
  *m = (i / out_size) % M;
  *img = i / (out_size * M);
  for (int a = nsp - 1; a >= 0; a--) {
    o[a] = rest % out[a];
    rest /= out[a];
  }
}

/* The input position that kernel tap kp reads for output position o, -1
 * when it falls outside the input (or, transposed, between strides): a
 * convolution reads o * s - pb + kc * d, a transposed one the i with
 * i * s + kc * d - pb = o. */
inline int
nd_tap (int kp, int nsp, const int *o, __global const int *g, int transpose)
{
  __global const int *in = g, *k = g + 2 * nsp, *s = g + 3 * nsp;
  __global const int *d = g + 4 * nsp, *pb = g + 5 * nsp;
  int ip = 0;
  for (int a = nsp - 1, krest = kp, stride = 1; a >= 0; a--) {
    int kc = krest % k[a], ic;
    krest /= k[a];
    if (transpose) {
      int t = o[a] + pb[a] - kc * d[a];
      if (t < 0 || t % s[a] != 0)
        return -1;
      ic = t / s[a];
    } else {
      ic = o[a] * s[a] - pb[a] + kc * d[a];
      if (ic < 0)
        return -1;
    }
    if (ic >= in[a])
      return -1;
    ip += ic * stride;
    stride *= in[a];
  }
  return ip;
}

/* ConvTranspose over 1 to 3 spatial axes, one output per work item,
 * gathering its taps (nd_tap). Weights are [C, M / group, k...]. */
__kernel void
conv_transpose (__global const float *X, int x_off,
    __global const float *Wt, int w_off, __global const float *bias,
    int bias_off, __global float *Y, int y_off, int C, int M, int group,
    int nsp, __global const int *geo, int geo_off, int in_size,
    int out_size, int k_size, int has_bias, int total)
{
  int i = get_global_id (0);
  __global const int *g = geo + geo_off;
  int o[3], m, img, cg = C / group, mg = M / group, grp;
  float acc;
  if (i >= total)
    return;
  nd_output (i, M, nsp, out_size, g + nsp, &img, &m, o);
  grp = m / mg;
  acc = has_bias ? bias[bias_off + m] : 0.0f;
  for (int kp = 0; kp < k_size; kp++) {
    int ip = nd_tap (kp, nsp, o, g, 1);
    if (ip < 0)
      continue;
    for (int c = grp * cg; c < (grp + 1) * cg; c++)
      acc = mad (X[x_off + (img * C + c) * in_size + ip],
          Wt[w_off + (c * mg + m % mg) * k_size + kp], acc);
  }
  Y[y_off + i] = acc;
}

/* Conv over 1 to 3 spatial axes, direct, one output per work item: the
 * 3-D convolutions the tiled kernels above do not take. Weights are
 * [M, C / group, k...]; bias, residual and activation as the CPU's fused
 * Conv carries them. */
__kernel void
conv_nd (__global const float *X, int x_off, __global const float *Wt,
    int w_off, __global const float *bias, int bias_off,
    __global const float *R, int r_off, __global float *Y, int y_off, int C,
    int M, int group, int nsp, __global const int *geo, int geo_off,
    int in_size, int out_size, int k_size, int has_bias, int has_r, int act,
    float act_a, float act_b, int total)
{
  int i = get_global_id (0);
  __global const int *g = geo + geo_off;
  int o[3], m, img, cg = C / group, grp;
  float acc;
  if (i >= total)
    return;
  nd_output (i, M, nsp, out_size, g + nsp, &img, &m, o);
  grp = m / (M / group);
  acc = has_bias ? bias[bias_off + m] : 0.0f;
  for (int kp = 0; kp < k_size; kp++) {
    int ip = nd_tap (kp, nsp, o, g, 0);
    if (ip < 0)
      continue;
    for (int c = 0; c < cg; c++)
      acc = mad (X[x_off + (img * C + grp * cg + c) * in_size + ip],
          Wt[w_off + (m * cg + c) * k_size + kp], acc);
  }
  if (has_r)
    acc += R[r_off + i];
  Y[y_off + i] = ovi_activate (acc, act, act_a, act_b);
}
