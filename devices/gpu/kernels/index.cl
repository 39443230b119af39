/* Gather and GatherElements with indices known at compile (checked and
 * made non-negative then, so a kernel never reads out of bounds), and
 * ArgMax / ArgMin. Gathers move bytes: kernels per element size. */

/* Gather: y[o, j, k] = x[o, idx[j], k] over [outer, ni, inner]. */
#define DEFINE_GATHER(T, NAME) \
__kernel void \
NAME (__global const T *x, int x_off, __global T *y, int y_off, int total, \
    __global const int *idx, int idx_off, int ni, int n, int inner) \
{ \
  int i = get_global_id (0); \
  int k, j, o; \
  if (i >= total) \
    return; \
  k = i % inner; \
  j = (i / inner) % ni; \
  o = i / (inner * ni); \
  y[y_off + i] = x[x_off + (o * n + idx[idx_off + j]) * inner + k]; \
}

DEFINE_GATHER (uchar, gather_1)
DEFINE_GATHER (ushort, gather_2)
DEFINE_GATHER (uint, gather_4)
DEFINE_GATHER (ulong, gather_8)

/* Each output element from a source element offset computed at compile
 * (GatherElements: as many offsets as indices). */
#define DEFINE_GATHER_AT(T, NAME) \
__kernel void \
NAME (__global const T *x, int x_off, __global T *y, int y_off, int total, \
    __global const int *at, int at_off) \
{ \
  int i = get_global_id (0); \
  if (i >= total) \
    return; \
  y[y_off + i] = x[x_off + at[at_off + i]]; \
}

DEFINE_GATHER_AT (uchar, gather_at_1)
DEFINE_GATHER_AT (ushort, gather_at_2)
DEFINE_GATHER_AT (uint, gather_at_4)
DEFINE_GATHER_AT (ulong, gather_at_8)

/* ArgMax (is_max 1) and ArgMin of float32 over the axis of [outer, n,
 * inner], one work item per output: the first extreme, or the last with
 * select_last_index; a NaN wins at its first place, as on the CPU. */
__kernel void
arg_extreme (__global const float *x, int x_off, __global long *y, int y_off,
    int total, int n, int inner, int is_max, int last)
{
  int i = get_global_id (0);
  __global const float *p;
  float best;
  int best_k = 0;
  if (i >= total)
    return;
  p = x + x_off + (i / inner) * n * inner + i % inner;
  best = p[0];
  for (int k = 1; k < n && !isnan (best); k++) {
    float v = p[k * inner];
    if (isnan (v) || (v == best ? last : is_max ? v > best : v < best)) {
      best = v;
      best_k = k;
    }
  }
  y[y_off + i] = best_k;
}
