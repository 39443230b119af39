/* Gather, GatherElements, GatherND, ScatterND, ScatterElements,
 * MaxUnpool, ArgMax, ArgMin and TopK on the GPU (kernels/index.cl).
 *
 * Constant indices are checked and made non-negative at compile. Indices
 * computed at run time (token ids into an embedding, say) are checked by
 * the kernel, which reports one out of range through the request's status
 * word: the inference then fails naming the node, as on the CPU. */
#include <string.h>

#include "gpu-exec.h"
#include "ops/ops.h"

/* Index p of a constant index tensor made non-negative against a
 * dimension of n; FALSE when out of range. */
static gboolean
constant_index (const OviTensor *ind, int64_t p, int64_t n, int *out)
{
  int64_t v = ovi_tensor_get_i64 (ind, p);
  if (v < 0)
    v += n;
  if (v < 0 || v >= n)
    return FALSE;
  *out = (int) v;
  return TRUE;
}

/* The data, an int32 or int64 index tensor and the output, all static. */
static gboolean
gather_operands (const OviGpuBuild *b, const OviNode *n,
    const OviValue **x, const OviValue **ind, const OviValue **y, int *axis)
{
  if (n->n_inputs != 2 || n->n_outputs != 1 || n->inputs[1] < 0
      || !ovi_gpu_is_plain (b, n->inputs[0])
      || !ovi_gpu_is_plain (b, n->outputs[0]))
    return FALSE;
  *x = ovi_gpu_input (b, n, 0);
  *ind = ovi_gpu_input (b, n, 1);
  *y = ovi_gpu_output (b, n, 0);
  if ((*x)->rank < 1 || !ovi_gpu_is_plain (b, n->inputs[1])
      || ((*ind)->dtype != OVI_DTYPE_INT32 && (*ind)->dtype != OVI_DTYPE_INT64))
    return FALSE;
  return ovi_op_axis (ovi_node_attr_int (n, "axis", 0), (*x)->rank, axis);
}

static gboolean
build_gather (OviGpuBuild *b, const OviNode *n)
{
  static const char *const kernels[] = { "gather_1", "gather_2", "gather_4",
    "gather_8" };
  const OviValue *x, *ind, *y;
  int axis, *idx;
  int64_t ni, total;
  OviGpuLaunch *l;

  if (!gather_operands (b, n, &x, &ind, &y, &axis))
    return FALSE;
  ni = ovi_gpu_numel (ind);
  total = ovi_gpu_numel (y);
  if (total == 0)
    return TRUE;
  if (ind->constant == NULL) {
    static const char *const checked[] = { "gather_rt_1", "gather_rt_2",
      "gather_rt_4", "gather_rt_8" };
    l = ovi_gpu_launch (b, "index", ovi_gpu_by_size (y, checked));
    ovi_gpu_arg_value (l, n->inputs[0]);
    ovi_gpu_arg_value (l, n->outputs[0]);
    ovi_gpu_arg_int (l, total);
    ovi_gpu_arg_value (l, n->inputs[1]);
    ovi_gpu_arg_int (l, ind->dtype == OVI_DTYPE_INT64);
    ovi_gpu_arg_int (l, ni);
    ovi_gpu_arg_int (l, x->dims[axis]);
    ovi_gpu_arg_int (l, ovi_shape_numel (x->rank - axis - 1,
            x->dims + axis + 1));
    ovi_gpu_arg_status (l);
    ovi_gpu_range_1d (l, total);
    return TRUE;
  }
  idx = g_new (int, MAX (ni, 1));
  for (int64_t j = 0; j < ni; j++)
    if (!constant_index (ind->constant, j, x->dims[axis], &idx[j])) {
      g_free (idx);
      return FALSE;
    }
  l = ovi_gpu_launch (b, "index", ovi_gpu_by_size (y, kernels));
  ovi_gpu_arg_value (l, n->inputs[0]);
  ovi_gpu_arg_value (l, n->outputs[0]);
  ovi_gpu_arg_int (l, total);
  ovi_gpu_arg_ints (b, l, idx, (int) ni);
  ovi_gpu_arg_int (l, ni);
  ovi_gpu_arg_int (l, x->dims[axis]);
  ovi_gpu_arg_int (l, ovi_shape_numel (x->rank - axis - 1,
          x->dims + axis + 1));
  ovi_gpu_range_1d (l, total);
  g_free (idx);
  return TRUE;
}

/* The launch of a run-time-index GatherElements or ScatterElements
 * kernel: `src` read at or written to (per element of the indices, over
 * their shape) the data place whose axis coordinate is the index. */
static void
elements_launch (OviGpuBuild *b, const OviNode *n, const char *kernel,
    int src, const OviValue *x, const OviValue *ind, int axis,
    int64_t total)
{
  int xs[OVI_MAX_RANK], idims[OVI_MAX_RANK], geo[2 * OVI_MAX_RANK];
  OviGpuLaunch *l;
  ovi_gpu_row_major (x->rank, x->dims, xs);
  for (int d = 0; d < x->rank; d++) {
    idims[d] = (int) ind->dims[d];
    geo[d] = xs[d];
    geo[x->rank + d] = (int) x->dims[d];
  }
  l = ovi_gpu_launch (b, "index", kernel);
  ovi_gpu_arg_value (l, src);
  ovi_gpu_arg_value (l, n->outputs[0]);
  ovi_gpu_arg_int (l, total);
  ovi_gpu_arg_value (l, n->inputs[1]);
  ovi_gpu_arg_int (l, ind->dtype == OVI_DTYPE_INT64);
  ovi_gpu_arg_int (l, x->rank);
  ovi_gpu_arg_int (l, axis);
  ovi_gpu_arg_ints (b, l, idims, x->rank);
  ovi_gpu_arg_ints (b, l, geo, 2 * x->rank);
  ovi_gpu_arg_status (l);
  ovi_gpu_range_1d (l, total);
}

/* GatherElements: the source offset of every output element, computed
 * here from the constant indices (as many as the indices themselves). */
static gboolean
build_gather_elements (OviGpuBuild *b, const OviNode *n)
{
  static const char *const kernels[] = { "gather_at_1", "gather_at_2",
    "gather_at_4", "gather_at_8" };
  const OviValue *x, *ind, *y;
  int axis, *at, xs[OVI_MAX_RANK];
  int64_t total;
  OviGpuLaunch *l;

  if (!gather_operands (b, n, &x, &ind, &y, &axis) || ind->rank != x->rank)
    return FALSE;
  for (int d = 0; d < x->rank; d++)
    if (d != axis && ind->dims[d] > x->dims[d])
      return FALSE;
  total = ovi_gpu_numel (y);
  if (total == 0)
    return TRUE;
  ovi_gpu_row_major (x->rank, x->dims, xs);
  if (ind->constant == NULL) {
    static const char *const checked[] = { "gather_elements_rt_1",
      "gather_elements_rt_2", "gather_elements_rt_4",
      "gather_elements_rt_8" };
    elements_launch (b, n, ovi_gpu_by_size (y, checked), n->inputs[0], x, ind, axis,
        total);
    return TRUE;
  }
  at = g_new (int, total);
  for (int64_t p = 0; p < total; p++) {
    int64_t rest = p, off = 0;
    int v;
    if (!constant_index (ind->constant, p, x->dims[axis], &v)) {
      g_free (at);
      return FALSE;
    }
    for (int d = x->rank - 1; d >= 0; d--) {
      int64_t c = rest % ind->dims[d];
      rest /= ind->dims[d];
      off += (d == axis ? v : c) * xs[d];
    }
    at[p] = (int) off;
  }
  l = ovi_gpu_launch (b, "index", ovi_gpu_by_size (y, kernels));
  ovi_gpu_arg_value (l, n->inputs[0]);
  ovi_gpu_arg_value (l, n->outputs[0]);
  ovi_gpu_arg_int (l, total);
  ovi_gpu_arg_ints (b, l, at, (int) total);
  ovi_gpu_range_1d (l, total);
  g_free (at);
  return TRUE;
}

static gboolean
build_arg (OviGpuBuild *b, const OviNode *n)
{
  const OviValue *x;
  int axis;
  int64_t total, inner;
  OviGpuLaunch *l;

  if (n->n_inputs != 1 || n->n_outputs != 1
      || !ovi_gpu_is_f32 (b, n->inputs[0])
      || !ovi_gpu_is_plain (b, n->outputs[0]))
    return FALSE;
  x = ovi_gpu_input (b, n, 0);
  if (!ovi_op_axis (ovi_node_attr_int (n, "axis", 0), x->rank, &axis)
      || ovi_gpu_output (b, n, 0)->dtype != OVI_DTYPE_INT64)
    return FALSE;
  inner = ovi_shape_numel (x->rank - axis - 1, x->dims + axis + 1);
  total = ovi_gpu_numel (ovi_gpu_output (b, n, 0));
  if (total == 0)
    return TRUE;
  if (x->dims[axis] == 0)
    return FALSE;          /* the CPU reports the empty axis */
  l = ovi_gpu_launch (b, "index", "arg_extreme");
  ovi_gpu_arg_value (l, n->inputs[0]);
  ovi_gpu_arg_value (l, n->outputs[0]);
  ovi_gpu_arg_int (l, total);
  ovi_gpu_arg_int (l, x->dims[axis]);
  ovi_gpu_arg_int (l, inner);
  ovi_gpu_arg_int (l, strcmp (n->op_type, "ArgMax") == 0);
  ovi_gpu_arg_int (l, ovi_node_attr_int (n, "select_last_index", 0) != 0);
  ovi_gpu_range_1d (l, total);
  return TRUE;
}

/* TopK of float32 with K known at compile; k passes over each line, so
 * lines where that is more than 2^24 element visits stay on the CPU. */
static gboolean
build_topk (OviGpuBuild *b, const OviNode *n)
{
  const OviValue *x, *ref;
  int vals = n->n_outputs > 0 ? n->outputs[0] : -1;
  int idx = n->n_outputs > 1 ? n->outputs[1] : -1;
  int axis;
  int64_t outer, len, inner, k;
  OviGpuLaunch *l;

  if (n->n_inputs < 1 || n->n_outputs > 2 || (vals < 0 && idx < 0)
      || !ovi_gpu_is_f32 (b, n->inputs[0])
      || (vals >= 0 && !ovi_gpu_is_f32 (b, vals))
      || (idx >= 0 && (!ovi_gpu_is_plain (b, idx)
              || ovi_gpu_value (b, idx)->dtype != OVI_DTYPE_INT64)))
    return FALSE;
  x = ovi_gpu_input (b, n, 0);
  ref = ovi_gpu_value (b, vals >= 0 ? vals : idx);
  if (!ovi_op_axis (ovi_node_attr_int (n, "axis", -1), x->rank, &axis)
      || ref->rank != x->rank)
    return FALSE;
  outer = ovi_shape_numel (axis, x->dims);
  len = x->dims[axis];
  inner = ovi_shape_numel (x->rank - axis - 1, x->dims + axis + 1);
  k = ref->dims[axis];
  if (k > len || k * len > (1 << 24))
    return FALSE;
  if (outer * inner == 0 || k == 0)
    return TRUE;
  l = ovi_gpu_launch (b, "index", "topk");
  ovi_gpu_arg_value (l, n->inputs[0]);
  ovi_gpu_arg_value (l, vals >= 0 ? vals : idx);
  ovi_gpu_arg_value (l, idx >= 0 ? idx : vals);
  ovi_gpu_arg_int (l, outer);
  ovi_gpu_arg_int (l, len);
  ovi_gpu_arg_int (l, inner);
  ovi_gpu_arg_int (l, k);
  ovi_gpu_arg_int (l, ovi_node_attr_int (n, "largest", 1) != 0);
  ovi_gpu_arg_int (l, vals >= 0);
  ovi_gpu_arg_int (l, idx >= 0);
  ovi_gpu_range_1d (l, outer * inner);
  return TRUE;
}

/* The sizes and strides of the data axes an index tuple addresses (k
 * axes from `first`): geo[0..k) sizes, geo[k..2k) strides. */
static void
tuple_geometry (const OviValue *x, int first, int64_t k, int *geo)
{
  int xs[OVI_MAX_RANK];
  ovi_gpu_row_major (x->rank, x->dims, xs);
  for (int64_t j = 0; j < k; j++) {
    geo[j] = (int) x->dims[first + j];
    geo[k + j] = xs[first + j];
  }
}

/* GatherND with batch_dims, indices at run time (checked). */
static gboolean
build_gather_nd (OviGpuBuild *b, const OviNode *n)
{
  static const char *const kernels[] = { "gather_nd_1", "gather_nd_2",
    "gather_nd_4", "gather_nd_8" };
  const OviValue *x, *ind, *y;
  int axis, geo[2 * OVI_MAX_RANK];
  int64_t bd = ovi_node_attr_int (n, "batch_dims", 0), k, total;
  OviGpuLaunch *l;

  if (!gather_operands (b, n, &x, &ind, &y, &axis) || ind->rank < 1)
    return FALSE;
  k = ind->dims[ind->rank - 1];
  if (bd < 0 || bd >= ind->rank || k < 1 || bd + k > x->rank)
    return FALSE;
  total = ovi_gpu_numel (y);
  if (total == 0)
    return TRUE;
  tuple_geometry (x, (int) bd, k, geo);
  l = ovi_gpu_launch (b, "index", ovi_gpu_by_size (y, kernels));
  ovi_gpu_arg_value (l, n->inputs[0]);
  ovi_gpu_arg_value (l, n->outputs[0]);
  ovi_gpu_arg_int (l, total);
  ovi_gpu_arg_value (l, n->inputs[1]);
  ovi_gpu_arg_int (l, ind->dtype == OVI_DTYPE_INT64);
  ovi_gpu_arg_int (l, k);
  ovi_gpu_arg_int (l, ovi_shape_numel (x->rank - bd - k,
          x->dims + bd + k));
  ovi_gpu_arg_int (l, ovi_shape_numel (ind->rank - 1 - bd,
          ind->dims + bd));
  ovi_gpu_arg_int (l, ovi_shape_numel (x->rank - bd, x->dims + bd));
  ovi_gpu_arg_ints (b, l, geo, 2 * k);
  ovi_gpu_arg_status (l);
  ovi_gpu_range_1d (l, total);
  return TRUE;
}

/* A scatter's data, int32/int64 indices, updates of the data's type and
 * output, all static. Its kernel: `plain` (by element size) without
 * reduction; with one, index.cl's scatter_<op>_<reduction>_<type>, for
 * the types that have 32-bit atomics (float32, int32, uint32). */
static const char *
scatter_operands (const OviGpuBuild *b, const OviNode *n, const char *op,
    const char *const *plain, const OviValue **x, const OviValue **ind,
    const OviValue **u, const OviValue **y, char kernel[64])
{
  static const char *const reductions[] = { "add", "mul", "max", "min" };
  const char *red = ovi_node_attr_string (n, "reduction", "none");
  const char *type;

  if (n->n_inputs != 3 || n->n_outputs != 1 || n->inputs[1] < 0
      || n->inputs[2] < 0 || !ovi_gpu_is_plain (b, n->inputs[0])
      || !ovi_gpu_is_plain (b, n->inputs[1])
      || !ovi_gpu_is_plain (b, n->inputs[2])
      || !ovi_gpu_is_plain (b, n->outputs[0]))
    return NULL;
  *x = ovi_gpu_input (b, n, 0);
  *ind = ovi_gpu_input (b, n, 1);
  *u = ovi_gpu_input (b, n, 2);
  *y = ovi_gpu_output (b, n, 0);
  if (((*ind)->dtype != OVI_DTYPE_INT64 && (*ind)->dtype != OVI_DTYPE_INT32)
      || (*u)->dtype != (*x)->dtype)
    return NULL;
  if (strcmp (red, "none") == 0)
    return ovi_gpu_by_size (*y, plain);
  switch ((*y)->dtype) {
    case OVI_DTYPE_FLOAT32: type = "f32"; break;
    case OVI_DTYPE_INT32: type = "i32"; break;
    case OVI_DTYPE_UINT32: type = "u32"; break;
    default: return NULL;
  }
  for (guint i = 0; i < G_N_ELEMENTS (reductions); i++)
    if (strcmp (red, reductions[i]) == 0) {
      g_snprintf (kernel, 64, "scatter_%s_%s_%s", op, red, type);
      return kernel;
    }
  return NULL;
}

/* ScatterND: the data copied to the output, then the updates written
 * at (or reduced into) their checked tuples. */
static gboolean
build_scatter_nd (OviGpuBuild *b, const OviNode *n)
{
  static const char *const kernels[] = { "scatter_nd_1", "scatter_nd_2",
    "scatter_nd_4", "scatter_nd_8" };
  const OviValue *x, *ind, *u, *y;
  int geo[2 * OVI_MAX_RANK];
  int64_t k, total;
  OviGpuLaunch *l;
  char name[64];
  const char *kernel = scatter_operands (b, n, "nd", kernels, &x, &ind, &u,
      &y, name);

  if (kernel == NULL)
    return FALSE;
  if (ind->rank < 1)
    return FALSE;
  k = ind->dims[ind->rank - 1];
  if (k < 1 || k > x->rank)
    return FALSE;
  if (ovi_gpu_numel (y) == 0)
    return TRUE;
  ovi_gpu_copy (b, n->inputs[0], n->outputs[0],
      (gsize) ovi_gpu_numel (y) * ovi_dtype_size (y->dtype));
  total = ovi_gpu_numel (u);
  if (total == 0)
    return TRUE;
  tuple_geometry (x, 0, k, geo);
  l = ovi_gpu_launch (b, "index", g_intern_string (kernel));
  ovi_gpu_arg_value (l, n->inputs[2]);
  ovi_gpu_arg_value (l, n->outputs[0]);
  ovi_gpu_arg_int (l, total);
  ovi_gpu_arg_value (l, n->inputs[1]);
  ovi_gpu_arg_int (l, ind->dtype == OVI_DTYPE_INT64);
  ovi_gpu_arg_int (l, k);
  ovi_gpu_arg_int (l, ovi_shape_numel (x->rank - k, x->dims + k));
  ovi_gpu_arg_ints (b, l, geo, 2 * k);
  ovi_gpu_arg_status (l);
  ovi_gpu_range_1d (l, total);
  return TRUE;
}

/* ScatterElements (and opset 9's Scatter): the data copied to the
 * output, then each update written at (or reduced into) its checked
 * place. */
static gboolean
build_scatter_elements (OviGpuBuild *b, const OviNode *n)
{
  static const char *const kernels[] = { "scatter_elements_1",
    "scatter_elements_2", "scatter_elements_4", "scatter_elements_8" };
  const OviValue *x, *ind, *u, *y;
  int axis;
  int64_t total;
  char name[64];
  const char *kernel = scatter_operands (b, n, "elements", kernels, &x, &ind,
      &u, &y, name);

  if (kernel == NULL)
    return FALSE;
  if (ind->rank != x->rank
      || !ovi_shape_equal (ind->rank, ind->dims, u->rank, u->dims)
      || !ovi_op_axis (ovi_node_attr_int (n, "axis", 0), x->rank, &axis))
    return FALSE;
  for (int d = 0; d < x->rank; d++)
    if (d != axis && ind->dims[d] > x->dims[d])
      return FALSE;
  if (ovi_gpu_numel (y) == 0)
    return TRUE;
  ovi_gpu_copy (b, n->inputs[0], n->outputs[0],
      (gsize) ovi_gpu_numel (y) * ovi_dtype_size (y->dtype));
  total = ovi_gpu_numel (u);
  if (total == 0)
    return TRUE;
  elements_launch (b, n, g_intern_string (kernel), n->inputs[2], x, ind,
      axis, total);
  return TRUE;
}

/* ReverseSequence: every element from its checked source row. */
static gboolean
build_reverse_sequence (OviGpuBuild *b, const OviNode *n)
{
  static const char *const kernels[] = { "reverse_sequence_1",
    "reverse_sequence_2", "reverse_sequence_4", "reverse_sequence_8" };
  int64_t batch_axis = ovi_node_attr_int (n, "batch_axis", 1);
  int64_t time_axis = ovi_node_attr_int (n, "time_axis", 0);
  const OviValue *x, *lens, *y;
  OviGpuLaunch *l;

  if (n->n_inputs != 2 || n->n_outputs != 1 || n->inputs[1] < 0
      || !ovi_gpu_is_plain (b, n->inputs[0])
      || !ovi_gpu_is_plain (b, n->inputs[1])
      || !ovi_gpu_is_plain (b, n->outputs[0]))
    return FALSE;
  x = ovi_gpu_input (b, n, 0);
  lens = ovi_gpu_input (b, n, 1);
  y = ovi_gpu_output (b, n, 0);
  if (x->rank < 2 || batch_axis < 0 || batch_axis > 1 || time_axis < 0
      || time_axis > 1 || batch_axis == time_axis || y->dtype != x->dtype
      || (lens->dtype != OVI_DTYPE_INT64 && lens->dtype != OVI_DTYPE_INT32)
      || ovi_gpu_numel (lens) != x->dims[batch_axis])
    return FALSE;
  if (ovi_gpu_numel (y) == 0)
    return TRUE;
  l = ovi_gpu_launch (b, "index", ovi_gpu_by_size (y, kernels));
  ovi_gpu_arg_value (l, n->inputs[0]);
  ovi_gpu_arg_value (l, n->outputs[0]);
  ovi_gpu_arg_int (l, ovi_gpu_numel (y));
  ovi_gpu_arg_value (l, n->inputs[1]);
  ovi_gpu_arg_int (l, lens->dtype == OVI_DTYPE_INT64);
  ovi_gpu_arg_int (l, x->dims[batch_axis]);
  ovi_gpu_arg_int (l, x->dims[time_axis]);
  ovi_gpu_arg_int (l, ovi_shape_numel (x->rank - 2, x->dims + 2));
  ovi_gpu_arg_int (l, time_axis);
  ovi_gpu_arg_status (l);
  ovi_gpu_range_1d (l, ovi_gpu_numel (y));
  return TRUE;
}

/* MaxUnpool: the output zeroed (movement.cl's fill), then each input
 * element written at its (checked) index. Overlapping pools' repeated
 * indices keep one of their values, the CPU's the last. */
static gboolean
build_max_unpool (OviGpuBuild *b, const OviNode *n)
{
  static const char *const kernels[] = { "max_unpool_1", "max_unpool_2",
    "max_unpool_4", "max_unpool_8" };
  static const char *const fills[] = { "fill_1", "fill_2", "fill_4",
    "fill_8" };
  const OviValue *x, *ind, *y;
  int nsp, dims[2 * OVI_MAX_RANK], n_pads;
  int64_t k[OVI_MAX_RANK], s[OVI_MAX_RANK], inferred[OVI_MAX_RANK], total;
  const int64_t *pads, *kv, *sv;
  OviGpuLaunch *l;

  if (n->n_inputs < 2 || n->n_outputs != 1 || n->inputs[1] < 0
      || !ovi_gpu_is_plain (b, n->inputs[0])
      || !ovi_gpu_is_plain (b, n->inputs[1])
      || !ovi_gpu_is_plain (b, n->outputs[0]))
    return FALSE;
  x = ovi_gpu_input (b, n, 0);
  ind = ovi_gpu_input (b, n, 1);
  y = ovi_gpu_output (b, n, 0);
  nsp = x->rank - 2;
  if (nsp < 1 || y->rank != x->rank || ind->dtype != OVI_DTYPE_INT64
      || ovi_gpu_numel (ind) != ovi_gpu_numel (x)
      || ovi_node_attr_ints (n, "kernel_shape", &kv) != nsp)
    return FALSE;
  n_pads = ovi_node_attr_ints (n, "pads", &pads);
  if (ovi_node_attr_ints (n, "strides", &sv) != nsp)
    sv = NULL;
  /* The shape MaxPool read, as the CPU kernel infers it. */
  inferred[0] = x->dims[0];
  inferred[1] = x->dims[1];
  for (int i = 0; i < nsp; i++) {
    int64_t pb = n_pads == 2 * nsp ? pads[i] : 0;
    int64_t pe = n_pads == 2 * nsp ? pads[i + nsp] : 0;
    k[i] = kv[i];
    s[i] = sv ? sv[i] : 1;
    inferred[2 + i] = x->dims[2 + i] > 0
        ? (x->dims[2 + i] - 1) * s[i] + k[i] - pb - pe : 0;
  }
  total = ovi_shape_numel (x->rank, inferred);
  if (total > G_MAXINT32)
    return FALSE;
  for (int a = 0; a < x->rank; a++) {
    dims[a] = (int) inferred[a];
    dims[x->rank + a] = (int) y->dims[a];
  }
  if (ovi_gpu_numel (y) == 0)
    return TRUE;
  l = ovi_gpu_launch (b, "movement", ovi_gpu_by_size (y, fills));
  ovi_gpu_arg_value (l, n->outputs[0]);
  ovi_gpu_arg_int (l, ovi_gpu_numel (y));
  ovi_gpu_arg_long (l, 0);
  ovi_gpu_range_1d (l, ovi_gpu_numel (y));
  if (ovi_gpu_numel (x) == 0)
    return TRUE;
  l = ovi_gpu_launch (b, "index", ovi_gpu_by_size (y, kernels));
  ovi_gpu_arg_value (l, n->inputs[0]);
  ovi_gpu_arg_value (l, n->outputs[0]);
  ovi_gpu_arg_int (l, ovi_gpu_numel (x));
  ovi_gpu_arg_value (l, n->inputs[1]);
  ovi_gpu_arg_int (l, 1);
  ovi_gpu_arg_int (l, x->rank);
  ovi_gpu_arg_ints (b, l, dims, 2 * x->rank);
  ovi_gpu_arg_int (l, total);
  ovi_gpu_arg_int (l, ovi_shape_equal (x->rank, inferred, y->rank, y->dims));
  ovi_gpu_arg_status (l);
  ovi_gpu_range_1d (l, ovi_gpu_numel (x));
  return TRUE;
}

const OviGpuOp ovi_gpu_ops_index[] = {
  { "Gather", build_gather },
  { "GatherElements", build_gather_elements },
  { "ArgMax", build_arg }, { "ArgMin", build_arg },
  { "TopK", build_topk },
  { "GatherND", build_gather_nd },
  { "ScatterND", build_scatter_nd },
  { "ScatterElements", build_scatter_elements },
  { "Scatter", build_scatter_elements },
  { "MaxUnpool", build_max_unpool },
  { "ReverseSequence", build_reverse_sequence },
  { NULL, NULL },
};
