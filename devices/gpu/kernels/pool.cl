/* 2-D pooling, one output per work item; global pools, one plane per
 * work item. Average divisors follow ONNX: taps inside the input, or with
 * count_include_pad the taps inside the padded input (never the part of
 * a ceil_mode window past the end padding). */
__kernel void
pool2d (__global const float *X, int x_off, __global float *Y, int y_off,
    int H, int W, int OH, int OW, int KH, int KW, int sh, int sw, int ph,
    int pw, int dh, int dw, int peh, int pew, int is_max, int include_pad,
    int total)
{
  int i = get_global_id (0);
  int ow, oh, plane, h0, w0, count = 0, hp = 0, wp = 0;
  float acc;
  __global const float *x;
  if (i >= total)
    return;
  ow = i % OW;
  oh = (i / OW) % OH;
  plane = i / (OW * OH);
  x = X + x_off + plane * H * W;
  h0 = oh * sh - ph;
  w0 = ow * sw - pw;
  acc = is_max ? -INFINITY : 0.0f;
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
      acc = is_max ? (v > acc || isnan (v) ? v : acc) : acc + v;
      count++;
    }
  }
  for (int b = 0; b < KW; b++)
    if (w0 + b * dw < W + pew)
      wp = b + 1;
  if (!is_max)
    acc /= (float) (include_pad ? hp * wp : count);
  Y[y_off + i] = acc;
}

__kernel void
global_pool (__global const float *X, int x_off, __global float *Y,
    int y_off, int size, int is_max, int planes)
{
  int p = get_global_id (0);
  __global const float *x;
  float acc;
  if (p >= planes)
    return;
  x = X + x_off + p * size;
  acc = is_max ? -INFINITY : 0.0f;
  for (int i = 0; i < size; i++)
    acc = is_max ? fmax (acc, x[i]) : acc + x[i];
  Y[y_off + p] = is_max ? acc : acc / (float) size;
}
