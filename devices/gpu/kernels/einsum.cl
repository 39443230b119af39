/* Einsum, float32, up to three operands: the CPU kernel's loops (its
 * plan: loop axes, output ones first, and each operand's stride along
 * each), one output element per work item summing over the other axes.
 * For coverage: no tiling, so a large contraction is slow. */
#define EIN_MAX 12

__kernel void
einsum (__global const float *A, int a_off, __global const float *B,
    int b_off, __global const float *C, int c_off, __global float *Y,
    int y_off, int n_ops, int nl, int no, __global const int *size,
    int size_off, __global const int *stride, int stride_off, int total,
    int n_sum)
{
  int e = get_global_id (0), rest;
  int idx[EIN_MAX], off[3] = { 0, 0, 0 };
  __global const int *sz = size + size_off, *st = stride + stride_off;
  float acc = 0.0f;
  if (e >= total)
    return;
  rest = e;
  for (int i = no - 1; i >= 0; i--) {
    int c = rest % sz[i];
    rest /= sz[i];
    for (int t = 0; t < n_ops; t++)
      off[t] += c * st[t * nl + i];
  }
  for (int i = no; i < nl; i++)
    idx[i] = 0;
  for (int r = 0; r < n_sum; r++) {
    float prod = A[a_off + off[0]];
    if (n_ops > 1)
      prod *= B[b_off + off[1]];
    if (n_ops > 2)
      prod *= C[c_off + off[2]];
    acc += prod;
    /* Odometer over the summed axes. */
    for (int i = nl - 1; i >= no; i--) {
      for (int t = 0; t < n_ops; t++)
        off[t] += st[t * nl + i];
      if (++idx[i] < sz[i])
        break;
      for (int t = 0; t < n_ops; t++)
        off[t] -= st[t * nl + i] * sz[i];
      idx[i] = 0;
    }
  }
  Y[y_off + e] = acc;
}
