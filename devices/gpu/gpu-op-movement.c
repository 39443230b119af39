/* Data movement on the GPU: shape-only ops as aliases (the planner gave
 * the output its input's memory) or buffer copies, and Transpose, Slice,
 * Concat, Split, Expand, Tile, DepthToSpace and SpaceToDepth through one
 * strided-copy kernel (kernels/movement.cl). Any
 * fixed-size element type: only bytes move. */
#include <string.h>

#include "cpu/cpu-ops.h"
#include "gpu-exec.h"
#include "ops/ops.h"

static const char *
copy_kernel (const OviValue *v)
{
  switch (ovi_dtype_size (v->dtype)) {
    case 1: return "strided_copy_1";
    case 2: return "strided_copy_2";
    case 4: return "strided_copy_4";
    default: return "strided_copy_8";
  }
}

static gsize
nbytes (const OviValue *v)
{
  return (gsize) ovi_gpu_numel (v) * ovi_dtype_size (v->dtype);
}

/* y as a view of x: no work when the planner gave them the same memory,
 * else one buffer copy. */
static gboolean
build_view_of (OviGpuBuild *b, int x, int y)
{
  const OviPlan *plan = b->plan;
  if (x < 0 || y < 0 || !ovi_gpu_is_plain (b, x) || !ovi_gpu_is_plain (b, y))
    return FALSE;
  if (plan->storage[x] == OVI_STORAGE_ARENA
      && plan->storage[y] == OVI_STORAGE_ARENA
      && plan->offset[x] == plan->offset[y]) {
    b->alias = TRUE;
    return TRUE;
  }
  ovi_gpu_copy (b, x, y, nbytes (ovi_gpu_value (b, y)));
  return TRUE;
}

/* Reshape, Flatten, Squeeze, Unsqueeze, Identity. */
static gboolean
build_view (OviGpuBuild *b, const OviNode *n)
{
  return n->n_outputs == 1 && n->n_inputs > 0
      && build_view_of (b, n->inputs[0], n->outputs[0]);
}

static void
strided_copy (OviGpuBuild *b, int x, int y, int rank, const int64_t *dims,
    const int *xs, const int *ys, int x_base, int y_base)
{
  int d32[OVI_MAX_RANK];
  int64_t n = ovi_shape_numel (rank, dims);
  OviGpuLaunch *l;
  if (n == 0)
    return;
  for (int d = 0; d < rank; d++)
    d32[d] = (int) dims[d];
  l = ovi_gpu_launch (b, "movement", copy_kernel (ovi_gpu_value (b, y)));
  ovi_gpu_arg_value (l, x);
  ovi_gpu_arg_value (l, y);
  ovi_gpu_arg_int (l, n);
  ovi_gpu_arg_int (l, rank);
  ovi_gpu_arg_ints (b, l, d32, rank);
  ovi_gpu_arg_ints (b, l, xs, rank);
  ovi_gpu_arg_ints (b, l, ys, rank);
  ovi_gpu_arg_int (l, x_base);
  ovi_gpu_arg_int (l, y_base);
  ovi_gpu_range_1d (l, n);
}

static gboolean
build_transpose (OviGpuBuild *b, const OviNode *n)
{
  const OviValue *x, *y;
  const int64_t *perm;
  int np, xs_full[OVI_MAX_RANK], xs[OVI_MAX_RANK], ys[OVI_MAX_RANK];
  if (n->n_inputs != 1 || n->outputs[0] < 0
      || !ovi_gpu_is_plain (b, n->inputs[0])
      || !ovi_gpu_is_plain (b, n->outputs[0]))
    return FALSE;
  x = ovi_gpu_input (b, n, 0);
  y = ovi_gpu_output (b, n, 0);
  np = ovi_node_attr_ints (n, "perm", &perm);
  if (np >= 0 && np != x->rank)
    return FALSE;
  ovi_gpu_row_major (x->rank, x->dims, xs_full);
  for (int d = 0; d < x->rank; d++) {
    int p = np >= 0 ? (int) perm[d] : x->rank - 1 - d;
    if (p < 0 || p >= x->rank)
      return FALSE;
    xs[d] = xs_full[p];
  }
  ovi_gpu_row_major (y->rank, y->dims, ys);
  strided_copy (b, n->inputs[0], n->outputs[0], y->rank, y->dims, xs, ys, 0,
      0);
  return TRUE;
}

static gboolean
build_slice (OviGpuBuild *b, const OviNode *n)
{
  const OviValue *x, *y;
  int64_t start[OVI_MAX_RANK], step[OVI_MAX_RANK], count[OVI_MAX_RANK];
  int xs_full[OVI_MAX_RANK], xs[OVI_MAX_RANK], ys[OVI_MAX_RANK];
  int64_t base = 0;
  OviGpuOpCtx c;

  /* Starts, ends, axes and steps must be constants (they are whenever
   * the output shape is static, bar an input that only looks dynamic). */
  if (n->n_inputs > 5 || n->outputs[0] < 0
      || !ovi_gpu_is_plain (b, n->inputs[0])
      || !ovi_gpu_is_plain (b, n->outputs[0]) || !ovi_gpu_op_ctx (b, n, &c)
      || ovi_slice_params (&c.ctx, start, step, count, NULL) != OVI_INFER_OK)
    return FALSE;
  x = ovi_gpu_input (b, n, 0);
  y = ovi_gpu_output (b, n, 0);
  ovi_gpu_row_major (x->rank, x->dims, xs_full);
  for (int d = 0; d < x->rank; d++) {
    if (count[d] != y->dims[d] || step[d] > G_MAXINT32 / 2
        || step[d] < -G_MAXINT32 / 2)
      return FALSE;
    xs[d] = (int) (xs_full[d] * step[d]);
    base += start[d] * xs_full[d];
  }
  ovi_gpu_row_major (y->rank, y->dims, ys);
  strided_copy (b, n->inputs[0], n->outputs[0], y->rank, y->dims, xs, ys,
      (int) base, 0);
  return TRUE;
}

static gboolean
build_concat (OviGpuBuild *b, const OviNode *n)
{
  const OviValue *y = ovi_gpu_output (b, n, 0);
  int axis, ys[OVI_MAX_RANK];
  int64_t at = 0;
  if (y == NULL || !ovi_gpu_is_plain (b, n->outputs[0])
      || !ovi_op_axis (ovi_node_attr_int (n, "axis", 0), y->rank, &axis))
    return FALSE;
  for (int k = 0; k < n->n_inputs; k++)
    if (n->inputs[k] < 0 || !ovi_gpu_is_plain (b, n->inputs[k])
        || ovi_gpu_input (b, n, k)->dtype != y->dtype)
      return FALSE;
  ovi_gpu_row_major (y->rank, y->dims, ys);
  for (int k = 0; k < n->n_inputs; k++) {
    const OviValue *x = ovi_gpu_input (b, n, k);
    int xs[OVI_MAX_RANK];
    if (x->rank != y->rank)
      return FALSE;
    ovi_gpu_row_major (x->rank, x->dims, xs);
    strided_copy (b, n->inputs[k], n->outputs[0], x->rank, x->dims, xs, ys,
        0, (int) (at * ys[axis]));
    at += x->dims[axis];
  }
  return TRUE;
}

/* Split, Concat's mirror: each output's part of the input along the
 * axis, its length the output's own (the plan knows every output's
 * shape, so the split sizes need not be read again). */
static gboolean
build_split (OviGpuBuild *b, const OviNode *n)
{
  const OviValue *x = n->n_inputs > 0 ? ovi_gpu_input (b, n, 0) : NULL;
  int axis, xs[OVI_MAX_RANK];
  int64_t at = 0;
  if (x == NULL || !ovi_gpu_is_plain (b, n->inputs[0])
      || !ovi_op_axis (ovi_node_attr_int (n, "axis", 0), MAX (x->rank, 1),
          &axis) || x->rank == 0)
    return FALSE;
  for (int k = 0; k < n->n_outputs; k++) {
    const OviValue *y = n->outputs[k] >= 0 ? ovi_gpu_output (b, n, k) : NULL;
    if (y == NULL || !ovi_gpu_is_plain (b, n->outputs[k])
        || y->dtype != x->dtype
        || y->rank != x->rank)
      return FALSE;
    at += y->dims[axis];
  }
  if (at != x->dims[axis])
    return FALSE;
  ovi_gpu_row_major (x->rank, x->dims, xs);
  at = 0;
  for (int k = 0; k < n->n_outputs; k++) {
    const OviValue *y = ovi_gpu_output (b, n, k);
    int ys[OVI_MAX_RANK];
    ovi_gpu_row_major (y->rank, y->dims, ys);
    strided_copy (b, n->inputs[0], n->outputs[k], y->rank, y->dims, xs, ys,
        (int) (at * xs[axis]), 0);
    at += y->dims[axis];
  }
  return TRUE;
}

/* Expand: numpy broadcasting as source strides of 0. */
static gboolean
build_expand (OviGpuBuild *b, const OviNode *n)
{
  const OviValue *x, *y;
  int xs_full[OVI_MAX_RANK], xs[OVI_MAX_RANK], ys[OVI_MAX_RANK], shift;
  if (n->n_inputs < 1 || n->outputs[0] < 0
      || !ovi_gpu_is_plain (b, n->inputs[0])
      || !ovi_gpu_is_plain (b, n->outputs[0]))
    return FALSE;
  x = ovi_gpu_input (b, n, 0);
  y = ovi_gpu_output (b, n, 0);
  shift = y->rank - x->rank;
  if (shift < 0)
    return FALSE;
  ovi_gpu_row_major (x->rank, x->dims, xs_full);
  for (int d = 0; d < y->rank; d++) {
    int k = d - shift;
    if (k < 0) {
      xs[d] = 0;
    } else if (x->dims[k] == y->dims[d]) {
      xs[d] = xs_full[k];
    } else if (x->dims[k] == 1) {
      xs[d] = 0;
    } else {
      return FALSE;
    }
  }
  ovi_gpu_row_major (y->rank, y->dims, ys);
  strided_copy (b, n->inputs[0], n->outputs[0], y->rank, y->dims, xs, ys, 0,
      0);
  return TRUE;
}

/* Tile: axis d of the output, of length reps x len, read as [reps, len]
 * (repetition outer), so the copy runs over twice the rank with source
 * strides 0 on the repetitions. Up to rank 4 (the kernel's 8 axes). */
static gboolean
build_tile (OviGpuBuild *b, const OviNode *n)
{
  const OviValue *x, *y;
  int64_t dims[OVI_MAX_RANK];
  int xs_full[OVI_MAX_RANK], xs[OVI_MAX_RANK], ys[OVI_MAX_RANK];
  if (n->n_inputs < 1 || n->outputs[0] < 0
      || !ovi_gpu_is_plain (b, n->inputs[0])
      || !ovi_gpu_is_plain (b, n->outputs[0]))
    return FALSE;
  x = ovi_gpu_input (b, n, 0);
  y = ovi_gpu_output (b, n, 0);
  if (x->rank != y->rank || x->rank < 1 || 2 * x->rank > 8)
    return FALSE;
  ovi_gpu_row_major (x->rank, x->dims, xs_full);
  for (int d = 0; d < x->rank; d++) {
    if (x->dims[d] == 0 || y->dims[d] % x->dims[d])
      return FALSE;
    dims[2 * d] = y->dims[d] / x->dims[d];
    dims[2 * d + 1] = x->dims[d];
    xs[2 * d] = 0;
    xs[2 * d + 1] = xs_full[d];
  }
  ovi_gpu_row_major (2 * x->rank, dims, ys);
  strided_copy (b, n->inputs[0], n->outputs[0], 2 * x->rank, dims, xs, ys, 0,
      0);
  return TRUE;
}

/* DepthToSpace and SpaceToDepth on [N, C, H, W]: ONNX defines both as a
 * reshape, a transpose and a reshape, which is one strided copy over the
 * six axes of the transposed view (output order, so the output is
 * written in its own layout). */
static gboolean
build_depth_space (OviGpuBuild *b, const OviNode *n)
{
  const OviValue *x, *y;
  int64_t bs = ovi_node_attr_int (n, "blocksize", 0), dims[6];
  int xs[6], ys[6];
  int64_t N, C, H, W;
  if (n->n_inputs != 1 || n->outputs[0] < 0
      || !ovi_gpu_is_plain (b, n->inputs[0])
      || !ovi_gpu_is_plain (b, n->outputs[0]) || bs <= 0)
    return FALSE;
  x = ovi_gpu_input (b, n, 0);
  y = ovi_gpu_output (b, n, 0);
  if (x->rank != 4 || y->rank != 4)
    return FALSE;
  N = x->dims[0];
  C = x->dims[1];
  H = x->dims[2];
  W = x->dims[3];
  if (strcmp (n->op_type, "DepthToSpace") == 0) {
    /* y[n, c, h * bs + i, w * bs + j] over [N, C', H, bs, W, bs]. */
    int64_t cp = C / (bs * bs);
    gboolean crd = strcmp (ovi_node_attr_string (n, "mode", "DCR"),
        "CRD") == 0;
    if (C % (bs * bs) || y->dims[1] != cp || y->dims[2] != H * bs
        || y->dims[3] != W * bs)
      return FALSE;
    dims[0] = N; dims[1] = cp; dims[2] = H; dims[3] = bs; dims[4] = W;
    dims[5] = bs;
    xs[0] = (int) (C * H * W);
    xs[2] = (int) W;
    xs[4] = 1;
    if (crd) {        /* channel c * bs * bs + i * bs + j */
      xs[1] = (int) (bs * bs * H * W);
      xs[3] = (int) (bs * H * W);
      xs[5] = (int) (H * W);
    } else {          /* DCR: channel (i * bs + j) * C' + c */
      xs[1] = (int) (H * W);
      xs[3] = (int) (bs * cp * H * W);
      xs[5] = (int) (cp * H * W);
    }
  } else {
    /* y[n, (i * bs + j) * C + c, h, w] = x[n, c, h * bs + i, w * bs + j]
     * over [N, bs, bs, C, H', W']. */
    if (H % bs || W % bs || y->dims[1] != C * bs * bs
        || y->dims[2] != H / bs || y->dims[3] != W / bs)
      return FALSE;
    dims[0] = N; dims[1] = bs; dims[2] = bs; dims[3] = C; dims[4] = H / bs;
    dims[5] = W / bs;
    xs[0] = (int) (C * H * W);
    xs[1] = (int) W;
    xs[2] = 1;
    xs[3] = (int) (H * W);
    xs[4] = (int) (bs * W);
    xs[5] = (int) bs;
  }
  ovi_gpu_row_major (6, dims, ys);
  strided_copy (b, n->inputs[0], n->outputs[0], 6, dims, xs, ys, 0, 0);
  return TRUE;
}

/* Pad in constant, edge and reflect mode, its pads (and axes, value)
 * constants; read by the CPU's own ovi_cpu_pad_begins. */
static gboolean
build_pad (OviGpuBuild *b, const OviNode *n)
{
  static const char *const kernels[] = { "pad_1", "pad_2", "pad_4",
    "pad_8" };
  const char *mode = ovi_node_attr_string (n, "mode", "constant");
  int mode_code = strcmp (mode, "constant") == 0 ? 0
      : strcmp (mode, "edge") == 0 ? 1 : strcmp (mode, "reflect") == 0 ? 2
      : -1;
  const OviValue *x, *y;
  int64_t begin[OVI_MAX_RANK], total;
  int geo[5 * OVI_MAX_RANK], xs[OVI_MAX_RANK];
  guint64 bits = 0;
  gsize es;
  OviGpuOpCtx c;
  OviGpuLaunch *l;

  if (mode_code < 0 || n->n_outputs != 1 || n->inputs[0] < 0
      || !ovi_gpu_is_plain (b, n->inputs[0])
      || !ovi_gpu_is_plain (b, n->outputs[0]) || !ovi_gpu_op_ctx (b, n, &c))
    return FALSE;
  x = ovi_gpu_input (b, n, 0);
  y = ovi_gpu_output (b, n, 0);
  es = ovi_dtype_size (x->dtype);
  if (y->rank != x->rank || x->rank == 0
      || !ovi_cpu_pad_begins (&c.ctx, x->rank, begin))
    return FALSE;
  total = ovi_gpu_numel (y);
  if (total == 0)
    return TRUE;
  ovi_gpu_row_major (x->rank, x->dims, xs);
  for (int d = 0; d < x->rank; d++) {
    int64_t end = y->dims[d] - x->dims[d] - begin[d];
    int64_t lo = MAX (0, -begin[d]), hi = x->dims[d] - MAX (0, -end);
    /* Edge and reflect need something kept to read (the CPU reports
     * the error). */
    if (hi <= lo && mode_code != 0)
      return FALSE;
    if (begin[d] > G_MAXINT32 / 2 || begin[d] < -G_MAXINT32 / 2)
      return FALSE;
    geo[5 * d] = (int) y->dims[d];
    geo[5 * d + 1] = xs[d];
    geo[5 * d + 2] = (int) begin[d];
    geo[5 * d + 3] = (int) lo;
    geo[5 * d + 4] = (int) MAX (hi, lo);
  }
  if (mode_code == 0) {
    const OviTensor *v = c.ctx.n_inputs > 2 ? c.ins[2] : NULL;
    guint8 value[8] = { 0 };
    if (b->plan->graph->opset < 11)
      ovi_store_f64 (x->dtype, value, 0,
          ovi_node_attr_float (n, "value", 0));
    else if (v && v->data && ovi_tensor_numel (v) > 0)
      ovi_store_f64 (x->dtype, value, 0, ovi_tensor_get_f64 (v, 0));
    if (v && v->data && v->dtype == x->dtype && ovi_tensor_numel (v) > 0)
      memcpy (value, v->data, es);
    memcpy (&bits, value, sizeof (bits));
    bits = GUINT64_FROM_LE (bits);
  }
  l = ovi_gpu_launch (b, "movement", ovi_gpu_by_size_of (es, kernels));
  ovi_gpu_arg_value (l, n->inputs[0]);
  ovi_gpu_arg_value (l, n->outputs[0]);
  ovi_gpu_arg_int (l, total);
  ovi_gpu_arg_int (l, x->rank);
  ovi_gpu_arg_ints (b, l, geo, 5 * x->rank);
  ovi_gpu_arg_int (l, mode_code);
  ovi_gpu_arg_long (l, (int64_t) bits);
  ovi_gpu_range_1d (l, total);
  return TRUE;
}

/* Dropout in inference: its output is its input (a view), its optional
 * mask all ones. Training mode runs on the CPU (which refuses a non-zero
 * ratio). */
static gboolean
build_dropout (OviGpuBuild *b, const OviNode *n)
{
  static const char *const fills[] = { "fill_1", "fill_2", "fill_4",
    "fill_8" };
  const OviValue *training = ovi_gpu_input (b, n, 2), *mask;
  int mask_v = n->n_outputs > 1 ? n->outputs[1] : -1;
  guint8 one[8] = { 0 };
  guint64 bits;
  gsize es;
  OviGpuLaunch *l;

  if (b->plan->graph->opset >= 12 && training
      && (training->constant == NULL
          || ovi_tensor_get_f64 (training->constant, 0) != 0))
    return FALSE;
  if (n->n_outputs > 2 || !build_view_of (b, n->inputs[0], n->outputs[0]))
    return FALSE;
  if (mask_v < 0)
    return TRUE;
  mask = ovi_gpu_value (b, mask_v);
  if (!ovi_gpu_is_plain (b, mask_v))
    return FALSE;
  if (ovi_gpu_numel (mask) == 0)
    return TRUE;
  es = ovi_dtype_size (mask->dtype);
  ovi_store_f64 (mask->dtype, one, 0, 1.0);
  memcpy (&bits, one, sizeof (bits));
  l = ovi_gpu_launch (b, "movement", ovi_gpu_by_size_of (es, fills));
  ovi_gpu_arg_value (l, mask_v);
  ovi_gpu_arg_int (l, ovi_gpu_numel (mask));
  ovi_gpu_arg_long (l, (int64_t) GUINT64_FROM_LE (bits));
  ovi_gpu_range_1d (l, ovi_gpu_numel (mask));
  return TRUE;
}

/* Trilu with k absent, a constant, or an int64 computed at run time. */
static gboolean
build_trilu (OviGpuBuild *b, const OviNode *n)
{
  static const char *const kernels[] = { "trilu_1", "trilu_2", "trilu_4",
    "trilu_8" };
  const OviValue *x, *kv = ovi_gpu_input (b, n, 1);
  int64_t k = 0, rows, cols, total;
  gsize es;
  OviGpuLaunch *l;

  if (n->n_inputs < 1 || n->n_outputs != 1 || n->inputs[0] < 0
      || !ovi_gpu_is_plain (b, n->inputs[0])
      || !ovi_gpu_is_plain (b, n->outputs[0]))
    return FALSE;
  x = ovi_gpu_input (b, n, 0);
  if (x->rank < 2)
    return FALSE;
  if (kv != NULL && kv->constant == NULL
      && (kv->dtype != OVI_DTYPE_INT64 || !ovi_gpu_is_plain (b, n->inputs[1])
          || ovi_gpu_numel (kv) != 1))
    return FALSE;
  if (kv != NULL && kv->constant != NULL) {
    if (ovi_tensor_numel (kv->constant) < 1)
      return FALSE;
    k = ovi_tensor_get_i64 (kv->constant, 0);
  }
  rows = x->dims[x->rank - 2];
  cols = x->dims[x->rank - 1];
  k = CLAMP (k, -rows - 1, cols + 1);
  total = ovi_gpu_numel (x);
  if (total == 0)
    return TRUE;
  es = ovi_dtype_size (x->dtype);
  l = ovi_gpu_launch (b, "movement", ovi_gpu_by_size_of (es, kernels));
  ovi_gpu_arg_value (l, n->inputs[0]);
  ovi_gpu_arg_value (l, n->outputs[0]);
  ovi_gpu_arg_int (l, total);
  ovi_gpu_arg_int (l, rows);
  ovi_gpu_arg_int (l, cols);
  ovi_gpu_arg_int (l, k);
  ovi_gpu_arg_int (l, ovi_node_attr_int (n, "upper", 1) != 0);
  ovi_gpu_arg_value (l, kv != NULL && kv->constant == NULL ? n->inputs[1]
      : n->inputs[0]);
  ovi_gpu_arg_int (l, kv != NULL && kv->constant == NULL);
  ovi_gpu_range_1d (l, total);
  return TRUE;
}

const OviGpuOp ovi_gpu_ops_movement[] = {
  { "Reshape", build_view },
  { "Flatten", build_view },
  { "Squeeze", build_view },
  { "Unsqueeze", build_view },
  { "Identity", build_view },
  { "Transpose", build_transpose },
  { "Slice", build_slice },
  { "Concat", build_concat },
  { "Split", build_split },
  { "Expand", build_expand },
  { "Tile", build_tile },
  { "DepthToSpace", build_depth_space },
  { "SpaceToDepth", build_depth_space },
  { "Pad", build_pad },
  { "Dropout", build_dropout },
  { "Trilu", build_trilu },
  { NULL, NULL },
};
