/* The ONNX reductions on the GPU (kernels/reduce.cl), float32, over any
 * axes given by the attribute or a constant input. Empty reductions and
 * noop_with_empty_axes run on the CPU. */
#include <string.h>

#include "cpu/cpu-reduce-axes.h"
#include "gpu-exec.h"
#include "ops/ops.h"

static const struct {
  const char *name;
  int op;                 /* reduce.cl's numbering */
} ops[] = {
  { "ReduceSum", 0 }, { "ReduceMean", 1 }, { "ReduceMax", 2 },
  { "ReduceMin", 3 }, { "ReduceSumSquare", 4 }, { "ReduceL1", 5 },
  { "ReduceL2", 6 }, { "ReduceProd", 7 }, { "ReduceLogSum", 8 },
  { "ReduceLogSumExp", 9 },
};

/* Below this many elements per output, one work item per output beats a
 * work group's tree. */
#define SHORT_REDUCTION 64

/* The reduce kernels' view of x: runs of adjacent axes that are all
 * kept or all reduced, as one (size-1 axes change nothing in the layout),
 * kept groups and reduced groups apart with their input strides. */
typedef struct {
  int kdim[OVI_MAX_RANK], kstride[OVI_MAX_RANK], nk;
  int rdim[OVI_MAX_RANK], rstride[OVI_MAX_RANK], nr;
} Groups;

static void
groups_of (const OviValue *x, const gboolean *mask, Groups *out)
{
  int gdim[OVI_MAX_RANK], gstride[OVI_MAX_RANK], ng = 0;
  gboolean gred[OVI_MAX_RANK];
  int64_t s = 1;
  out->nk = out->nr = 0;
  for (int d = 0; d < x->rank; d++) {
    if (x->dims[d] == 1)
      continue;
    if (ng > 0 && gred[ng - 1] == mask[d]) {
      gdim[ng - 1] *= (int) x->dims[d];
    } else {
      gdim[ng] = (int) x->dims[d];
      gred[ng] = mask[d];
      ng++;
    }
  }
  for (int g = ng - 1; g >= 0; g--) {
    gstride[g] = (int) s;
    s *= gdim[g];
  }
  for (int g = 0; g < ng; g++) {
    if (gred[g]) {
      out->rdim[out->nr] = gdim[g];
      out->rstride[out->nr++] = gstride[g];
    } else {
      out->kdim[out->nk] = gdim[g];
      out->kstride[out->nk++] = gstride[g];
    }
  }
}

/* The groups as the kernels take them: kdim, kstride, rdim, rstride,
 * nk, nr. */
static void
groups_args (OviGpuBuild *b, OviGpuLaunch *l, const Groups *g)
{
  ovi_gpu_arg_ints (b, l, g->kdim, g->nk);
  ovi_gpu_arg_ints (b, l, g->kstride, g->nk);
  ovi_gpu_arg_ints (b, l, g->rdim, g->nr);
  ovi_gpu_arg_ints (b, l, g->rstride, g->nr);
  ovi_gpu_arg_int (l, g->nk);
  ovi_gpu_arg_int (l, g->nr);
}

static gboolean
build_reduce (OviGpuBuild *b, const OviNode *n)
{
  const OviValue *x;
  gboolean mask[OVI_MAX_RANK], noop;
  OviGpuOpCtx c;
  Groups g;
  int op = -1;
  int64_t K = 1, R = 1;
  OviGpuLaunch *l;

  for (guint i = 0; i < G_N_ELEMENTS (ops); i++)
    if (strcmp (ops[i].name, n->op_type) == 0)
      op = ops[i].op;
  if (op < 0 || n->n_inputs < 1 || n->n_outputs != 1 || n->outputs[0] < 0
      || !ovi_gpu_is_f32 (b, n->inputs[0]) || !ovi_gpu_is_f32 (b, n->outputs[0]))
    return FALSE;
  x = ovi_gpu_input (b, n, 0);
  /* The axes as the CPU kernel reads them; given by an input, it must be
   * a constant. noop_with_empty_axes is left to the CPU. */
  if (x->rank < 1 || !ovi_gpu_op_ctx (b, n, &c)
      || !ovi_reduce_axes (&c.ctx, x->rank, mask, &noop, NULL) || noop)
    return FALSE;
  for (int d = 0; d < x->rank; d++) {
    if (mask[d])
      R *= x->dims[d];
    else
      K *= x->dims[d];
  }
  if (R == 0 || R > G_MAXINT || K > G_MAXINT)
    return FALSE;
  if (K == 0)
    return TRUE;
  groups_of (x, mask, &g);

  l = ovi_gpu_launch (b, "reduce",
      R < SHORT_REDUCTION ? "reduce_item" : "reduce_wg");
  ovi_gpu_arg_value (l, n->inputs[0]);
  ovi_gpu_arg_value (l, n->outputs[0]);
  groups_args (b, l, &g);
  ovi_gpu_arg_int (l, R);
  ovi_gpu_arg_int (l, op);
  if (R < SHORT_REDUCTION) {
    ovi_gpu_arg_int (l, K);
    ovi_gpu_range_1d (l, K);
  } else {
    /* One work group of 64 (the kernel's RED_WG) per output. */
    size_t global = (size_t) K * 64, local = 64;
    ovi_gpu_range (l, 1, &global, &local);
  }
  return TRUE;
}

/* CumSum of float32 along a constant axis (kernels/reduce.cl's cumsum)
 * or one given at run time, int32 or int64 (cumsum_rt). */
static gboolean
build_cumsum (OviGpuBuild *b, const OviNode *n)
{
  const OviValue *x, *a;
  int axis;
  int64_t outer, len, inner;
  OviGpuLaunch *l;

  if (n->n_inputs != 2 || n->n_outputs != 1 || n->inputs[1] < 0
      || !ovi_gpu_is_f32 (b, n->inputs[0])
      || !ovi_gpu_is_f32 (b, n->outputs[0]))
    return FALSE;
  x = ovi_gpu_input (b, n, 0);
  a = ovi_gpu_input (b, n, 1);
  if (a->constant == NULL) {
    int dims[OVI_MAX_RANK];
    if ((a->dtype != OVI_DTYPE_INT64 && a->dtype != OVI_DTYPE_INT32)
        || !ovi_gpu_is_plain (b, n->inputs[1]) || ovi_gpu_numel (a) != 1
        || x->rank < 1)
      return FALSE;
    if (ovi_gpu_numel (x) == 0)
      return TRUE;
    for (int d = 0; d < x->rank; d++)
      dims[d] = (int) x->dims[d];
    l = ovi_gpu_launch (b, "reduce", "cumsum_rt");
    ovi_gpu_arg_value (l, n->inputs[0]);
    ovi_gpu_arg_value (l, n->outputs[0]);
    ovi_gpu_arg_ints (b, l, dims, x->rank);
    ovi_gpu_arg_int (l, x->rank);
    ovi_gpu_arg_int (l, ovi_gpu_numel (x));
    ovi_gpu_arg_value (l, n->inputs[1]);
    ovi_gpu_arg_int (l, a->dtype == OVI_DTYPE_INT64);
    ovi_gpu_arg_int (l, ovi_node_attr_int (n, "exclusive", 0) != 0);
    ovi_gpu_arg_int (l, ovi_node_attr_int (n, "reverse", 0) != 0);
    ovi_gpu_arg_status (l);
    ovi_gpu_range_1d (l, ovi_gpu_numel (x));
    return TRUE;
  }
  if (ovi_tensor_numel (a->constant) != 1
      || !ovi_op_axis (ovi_tensor_get_i64 (a->constant, 0), x->rank, &axis))
    return FALSE;
  outer = ovi_shape_numel (axis, x->dims);
  len = x->dims[axis];
  inner = ovi_shape_numel (x->rank - axis - 1, x->dims + axis + 1);
  if (outer * len * inner == 0)
    return TRUE;
  l = ovi_gpu_launch (b, "reduce", "cumsum");
  ovi_gpu_arg_value (l, n->inputs[0]);
  ovi_gpu_arg_value (l, n->outputs[0]);
  ovi_gpu_arg_int (l, outer);
  ovi_gpu_arg_int (l, len);
  ovi_gpu_arg_int (l, inner);
  ovi_gpu_arg_int (l, ovi_node_attr_int (n, "exclusive", 0) != 0);
  ovi_gpu_arg_int (l, ovi_node_attr_int (n, "reverse", 0) != 0);
  ovi_gpu_range_1d (l, outer * inner);
  return TRUE;
}

/* MeanVarianceNormalization of float32 over its axes (default 0, 2, 3),
 * one work item per kept index (kernels/reduce.cl's mvn; untuned). */
static gboolean
build_mvn (OviGpuBuild *b, const OviNode *n)
{
  static const int64_t default_axes[] = { 0, 2, 3 };
  const OviValue *x;
  const int64_t *axes;
  int n_axes = ovi_node_attr_ints (n, "axes", &axes);
  gboolean mask[OVI_MAX_RANK] = { FALSE };
  int64_t K = 1, R = 1;
  Groups g;
  OviGpuLaunch *l;

  if (n->n_inputs != 1 || n->n_outputs != 1
      || !ovi_gpu_is_f32 (b, n->inputs[0])
      || !ovi_gpu_is_f32 (b, n->outputs[0]))
    return FALSE;
  x = ovi_gpu_input (b, n, 0);
  if (n_axes < 0) {
    axes = default_axes;
    n_axes = 3;
  }
  /* Axes out of range are ignored, as the CPU kernel does. */
  for (int i = 0; i < n_axes; i++) {
    int a;
    if (ovi_op_axis (axes[i], x->rank, &a))
      mask[a] = TRUE;
  }
  for (int d = 0; d < x->rank; d++) {
    if (mask[d])
      R *= x->dims[d];
    else
      K *= x->dims[d];
  }
  if (K * R == 0)
    return TRUE;
  groups_of (x, mask, &g);
  l = ovi_gpu_launch (b, "reduce", "mvn");
  ovi_gpu_arg_value (l, n->inputs[0]);
  ovi_gpu_arg_value (l, n->outputs[0]);
  groups_args (b, l, &g);
  ovi_gpu_arg_int (l, R);
  ovi_gpu_arg_int (l, K);
  ovi_gpu_range_1d (l, K);
  return TRUE;
}

const OviGpuOp ovi_gpu_ops_reduce[] = {
  { "ReduceSum", build_reduce },
  { "ReduceMean", build_reduce },
  { "ReduceMax", build_reduce },
  { "ReduceMin", build_reduce },
  { "ReduceSumSquare", build_reduce },
  { "ReduceL1", build_reduce },
  { "ReduceL2", build_reduce },
  { "ReduceProd", build_reduce },
  { "ReduceLogSum", build_reduce },
  { "ReduceLogSumExp", build_reduce },
  { "CumSum", build_cumsum },
  { "MeanVarianceNormalization", build_mvn },
  { NULL, NULL },
};
