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
