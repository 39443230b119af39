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

static gboolean
build_reduce (OviGpuBuild *b, const OviNode *n)
{
  const OviValue *x;
  gboolean mask[OVI_MAX_RANK], gred[OVI_MAX_RANK], noop;
  OviGpuOpCtx c;
  int gdim[OVI_MAX_RANK], gstride[OVI_MAX_RANK];
  int kdim[OVI_MAX_RANK], kstride[OVI_MAX_RANK];
  int rdim[OVI_MAX_RANK], rstride[OVI_MAX_RANK];
  int ng = 0, nk = 0, nr = 0, op = -1;
  int64_t K = 1, R = 1, s = 1;
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
  /* Adjacent axes that are all kept or all reduced, as one; size-1 axes
   * change nothing in the layout. */
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
      rdim[nr] = gdim[g];
      rstride[nr++] = gstride[g];
    } else {
      kdim[nk] = gdim[g];
      kstride[nk++] = gstride[g];
    }
  }

  l = ovi_gpu_launch (b, "reduce",
      R < SHORT_REDUCTION ? "reduce_item" : "reduce_wg");
  ovi_gpu_arg_value (l, n->inputs[0]);
  ovi_gpu_arg_value (l, n->outputs[0]);
  ovi_gpu_arg_ints (b, l, kdim, nk);
  ovi_gpu_arg_ints (b, l, kstride, nk);
  ovi_gpu_arg_ints (b, l, rdim, nr);
  ovi_gpu_arg_ints (b, l, rstride, nr);
  ovi_gpu_arg_int (l, nk);
  ovi_gpu_arg_int (l, nr);
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

/* CumSum of float32 along a constant axis (kernels/reduce.cl's cumsum). */
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
  if (a->constant == NULL || ovi_tensor_numel (a->constant) != 1
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
  { NULL, NULL },
};
