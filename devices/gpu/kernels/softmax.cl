/* Softmax and LogSoftmax over one axis: the tensor as [outer, len,
 * inner], one work item per (outer, inner) line, max-subtracted. */
__kernel void
softmax (__global const float *X, int x_off, __global float *Y, int y_off,
    int outer, int len, int inner, int log_output)
{
  int i = get_global_id (0);
  int o, in;
  float m = -INFINITY, sum = 0.0f;
  __global const float *x;
  __global float *y;
  if (i >= outer * inner)
    return;
  o = i / inner;
  in = i % inner;
  x = X + x_off + o * len * inner + in;
  y = Y + y_off + o * len * inner + in;
  for (int k = 0; k < len; k++)
    m = fmax (m, x[k * inner]);
  for (int k = 0; k < len; k++)
    sum += exp (x[k * inner] - m);
  for (int k = 0; k < len; k++)
    y[k * inner] = log_output ? x[k * inner] - m - log (sum)
        : exp (x[k * inner] - m) / sum;
}

/* Hardmax: 1 at the line's first maximum, 0 elsewhere (a NaN is never
 * greater, so a line starting with NaN marks its first element, as on the
 * CPU). */
__kernel void
hardmax (__global const float *X, int x_off, __global float *Y, int y_off,
    int outer, int len, int inner, int unused)
{
  int i = get_global_id (0);
  int o, in, best = 0;
  float m;
  __global const float *x;
  __global float *y;
  if (i >= outer * inner)
    return;
  o = i / inner;
  in = i % inner;
  x = X + x_off + o * len * inner + in;
  y = Y + y_off + o * len * inner + in;
  m = x[0];
  for (int k = 1; k < len; k++)
    if (x[k * inner] > m) {
      m = x[k * inner];
      best = k;
    }
  for (int k = 0; k < len; k++)
    y[k * inner] = k == best ? 1.0f : 0.0f;
}
