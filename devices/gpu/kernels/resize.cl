/* Resize over the last two axes of a float32 tensor, one output per work
 * item: the taps (input index and weight, `sh` per output row and `sw` per
 * output column) are the CPU kernel's, built at compile and stored with
 * the constants, so nearest, linear and cubic and every coordinate mode
 * read the same here. Each source row is resampled across first, then the
 * rows blended, as the CPU does. */
__kernel void
resize2d (__global const float *X, int x_off, __global float *Y, int y_off,
    __global const int *hidx, int hidx_off, __global const float *hw,
    int hw_off, __global const int *widx, int widx_off,
    __global const float *ww, int ww_off, int H, int W, int OH, int OW,
    int sh, int sw, int total)
{
  int i = get_global_id (0);
  int ow, oh, plane;
  __global const float *x;
  __global const int *hi, *wi;
  __global const float *hv, *wv;
  float acc = 0.0f;
  if (i >= total)
    return;
  ow = i % OW;
  oh = (i / OW) % OH;
  plane = i / (OW * OH);
  x = X + x_off + (size_t) plane * H * W;
  hi = hidx + hidx_off + oh * sh;
  hv = hw + hw_off + oh * sh;
  wi = widx + widx_off + ow * sw;
  wv = ww + ww_off + ow * sw;
  for (int a = 0; a < sh; a++) {
    __global const float *row = x + hi[a] * W;
    float across = 0.0f;
    for (int b = 0; b < sw; b++)
      across = mad (wv[b], row[wi[b]], across);
    acc = mad (hv[a], across, acc);
  }
  Y[y_off + i] = acc;
}
