/* NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss (whose
 * log-probabilities softmax.cl computes first), float32 with int32 or
 * int64 targets: the CPU kernel's terms, summed in float where the CPU
 * sums in double. */

/* One term per (batch entry, position): -w x[b, target, i], weighted by
 * the class's weight; an ignored target weighs 0 and a target out of
 * range fails the inference through the status word. Written to Y
 * (reduction none) or as (loss, weight) pairs to T for loss_sum. */
__kernel void
loss_terms (__global const float *V, int v_off, __global const uchar *tg,
    int tg_off, int is64, __global const float *Wt, int wt_off,
    int has_weight, __global float *Y, int y_off, __global float *T,
    int t_off, int terms_at, int reduce, int c, int inner, int total,
    int has_ignore, long ignore, __global int *status, int code)
{
  int j = get_global_id (0);
  int b, i;
  long k;
  float w = 0.0f, loss = 0.0f;
  if (j >= total)
    return;
  b = j / inner;
  i = j % inner;
  k = is64 ? ((__global const long *) (tg + 8 * tg_off))[j]
      : ((__global const int *) (tg + 4 * tg_off))[j];
  if (!(has_ignore && k == ignore)) {
    if (k < 0 || k >= c) {
      atomic_cmpxchg (status, 0, code);
      return;
    }
    w = has_weight ? Wt[wt_off + k] : 1.0f;
    loss = -V[v_off + (b * c + (int) k) * inner + i] * w;
  }
  if (reduce) {
    T[t_off + terms_at + 2 * j] = loss;
    T[t_off + terms_at + 2 * j + 1] = w;
  } else {
    Y[y_off + j] = loss;
  }
}

/* The sum of the terms by one work group of 256, in a fixed order (each
 * item's stride, then a tree), so results repeat: Y = sum, or sum over
 * the weights' sum for the mean. */
__kernel __attribute__ ((reqd_work_group_size (256, 1, 1))) void
loss_sum (__global const float *T, int t_off, int terms_at,
    __global float *Y, int y_off, int total, int mean)
{
  __local float ls[256], lw[256];
  int lid = get_local_id (0);
  float s = 0.0f, w = 0.0f;
  T += t_off + terms_at;
  for (int j = lid; j < total; j += 256) {
    s += T[2 * j];
    w += T[2 * j + 1];
  }
  ls[lid] = s;
  lw[lid] = w;
  barrier (CLK_LOCAL_MEM_FENCE);
  for (int width = 128; width > 0; width /= 2) {
    if (lid < width) {
      ls[lid] += ls[lid + width];
      lw[lid] += lw[lid + width];
    }
    barrier (CLK_LOCAL_MEM_FENCE);
  }
  if (lid == 0)
    Y[y_off] = mean ? ls[0] / lw[0] : ls[0];
}
