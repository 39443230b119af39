#include <string.h>

#include "cpu-broadcast.h"
#include "cpu-parallel.h"

void
ovi_broadcast_run (const OviTensor *out, int n, const OviTensor *const *in,
    OviBroadcastRow row, gpointer user)
{
  int rank = out->rank;
  int64_t dims[OVI_MAX_RANK];
  int64_t strides[OVI_BROADCAST_MAX_INPUTS][OVI_MAX_RANK];
  int64_t rows;
  int r = 0;

  g_assert (n <= OVI_BROADCAST_MAX_INPUTS);
  if (ovi_tensor_numel (out) == 0)
    return;
  if (rank == 0) {
    int64_t off[OVI_BROADCAST_MAX_INPUTS] = { 0 }, step[OVI_BROADCAST_MAX_INPUTS] = { 0 };
    row (user, off, step, 0, 1);
    return;
  }
  /* Right-aligned strides, 0 where an input broadcasts. */
  for (int i = 0; i < n; i++) {
    int64_t s = 1;
    for (int d = rank - 1; d >= 0; d--) {
      int id = d - (rank - in[i]->rank);
      int64_t dim = id >= 0 ? in[i]->dims[id] : 1;
      strides[i][d] = dim == 1 ? 0 : s;
      s *= dim;
    }
  }
  /* Merge dimension d into d+1 when every input's stride allows it. */
  dims[0] = out->dims[0];
  for (int d = 1; d < rank; d++) {
    gboolean merge = TRUE;
    for (int i = 0; i < n; i++)
      merge &= strides[i][r] == strides[i][d] * out->dims[d];
    if (out->dims[d] == 1)
      continue;                 /* size-1 dims carry no information */
    if (dims[r] == 1) {
      dims[r] = out->dims[d];
      for (int i = 0; i < n; i++)
        strides[i][r] = strides[i][d];
      continue;
    }
    if (merge) {
      dims[r] *= out->dims[d];
      for (int i = 0; i < n; i++)
        strides[i][r] = strides[i][d];
    } else {
      r++;
      dims[r] = out->dims[d];
      for (int i = 0; i < n; i++)
        strides[i][r] = strides[i][d];
    }
  }
  rank = r + 1;
  rows = ovi_shape_numel (rank - 1, dims);
  {
    int64_t inner = dims[rank - 1];
    int64_t step[OVI_BROADCAST_MAX_INPUTS];
    /* Rows are what the threads share out; with fewer rows than about 8
     * per thread (a same-shape op is a single row), each row is cut into
     * pieces, else one thread did it all. Pieces are multiples of 16
     * elements, at least 4096. */
    int64_t piece = inner, pieces;
    int nth = ovi_parallel_threads (rows * inner);
    if (nth > 1 && rows < 8 * nth && inner > 8192) {
      piece = (inner + 8 * nth - 1) / (8 * nth);
      piece = MAX (4096, (piece + 15) / 16 * 16);
    }
    pieces = (inner + piece - 1) / piece;
    for (int i = 0; i < n; i++)
      step[i] = strides[i][rank - 1];
OVI_PARALLEL_FOR (rows * inner, for (int64_t k = 0; k < rows * pieces; k++), {
      int64_t off[OVI_BROADCAST_MAX_INPUTS] = { 0 };
      int64_t rix = k / pieces, start = k % pieces * piece;
      int64_t rem = rix;
      for (int d = rank - 2; d >= 0; d--) {
        int64_t idx = rem % dims[d];
        rem /= dims[d];
        for (int i = 0; i < n; i++)
          off[i] += idx * strides[i][d];
      }
      for (int i = 0; i < n; i++)
        off[i] += start * step[i];
      row (user, off, step, rix * inner + start, MIN (piece, inner - start));
    });
  }
}

typedef struct {
  const OviTensor *in;
  OviTensor *out;
  gsize esize;
} CopyJob;

static void
copy_row (gpointer user, const int64_t *off, const int64_t *step,
    int64_t out_off, int64_t count)
{
  CopyJob *j = user;
  const guint8 *src = (const guint8 *) j->in->data + off[0] * j->esize;
  guint8 *dst = (guint8 *) j->out->data + out_off * j->esize;
  if (step[0] == 1) {
    memcpy (dst, src, count * j->esize);
    return;
  }
  for (int64_t i = 0; i < count; i++)
    memcpy (dst + i * j->esize, src + i * step[0] * j->esize, j->esize);
}

void
ovi_broadcast_copy (const OviTensor *in, OviTensor *out)
{
  CopyJob j = { in, out, ovi_dtype_size (in->dtype) };
  ovi_broadcast_run (out, 1, &in, copy_row, &j);
}
