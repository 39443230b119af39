/* Data movement: one strided copy serves Transpose (permuted source
 * strides), Slice (start offset, steps as strides, negative too) and
 * Concat (each input copied into its place of the output). Kernels per
 * element size, since only bytes move. */

#define DEFINE_STRIDED_COPY(T, NAME) \
__kernel void \
NAME (__global const T *x, int x_off, __global T *y, int y_off, int n, \
    int rank, __global const int *dims, int dims_off, \
    __global const int *xs, int xs_off, __global const int *ys, int ys_off, \
    int x_base, int y_base) \
{ \
  int i = get_global_id (0); \
  if (i >= n) \
    return; \
  y[y_off + y_base + ovi_strided_index (i, rank, dims + dims_off, \
          ys + ys_off)] = \
      x[x_off + x_base + ovi_strided_index (i, rank, dims + dims_off, \
              xs + xs_off)]; \
}

DEFINE_STRIDED_COPY (uchar, strided_copy_1)
DEFINE_STRIDED_COPY (ushort, strided_copy_2)
DEFINE_STRIDED_COPY (uint, strided_copy_4)
DEFINE_STRIDED_COPY (ulong, strided_copy_8)
