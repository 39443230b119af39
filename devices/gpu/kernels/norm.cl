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
