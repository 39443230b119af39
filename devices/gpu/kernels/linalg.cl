/* Det: one work item per matrix, Gaussian elimination with partial
 * pivoting (the CPU kernel's steps and pivot rule, in float where the CPU
 * computes in double), on a copy of the matrix in the request's scratch
 * buffer, so any size runs. */
__kernel void
det (__global const float *X, int x_off, __global float *Y, int y_off,
    __global float *S, int s_off, int m, int count)
{
  int b = get_global_id (0);
  __global float *a;
  __global const float *x;
  float det = 1.0f;
  if (b >= count)
    return;
  a = S + s_off + (size_t) b * m * m;
  x = X + x_off + (size_t) b * m * m;
  for (int i = 0; i < m * m; i++)
    a[i] = x[i];
  for (int col = 0; col < m; col++) {
    int piv = col;
    for (int r = col + 1; r < m; r++)
      if (fabs (a[r * m + col]) > fabs (a[piv * m + col]))
        piv = r;
    if (a[piv * m + col] == 0.0f) {
      det = 0.0f;
      break;
    }
    if (piv != col) {
      for (int k = 0; k < m; k++) {
        float t = a[col * m + k];
        a[col * m + k] = a[piv * m + k];
        a[piv * m + k] = t;
      }
      det = -det;
    }
    det *= a[col * m + col];
    for (int r = col + 1; r < m; r++) {
      float f = a[r * m + col] / a[col * m + col];
      for (int k = col; k < m; k++)
        a[r * m + k] -= f * a[col * m + k];
    }
  }
  Y[y_off + b] = det;
}
