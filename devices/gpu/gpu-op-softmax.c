/* Softmax, LogSoftmax and Hardmax on the GPU (kernels/softmax.cl),
 * float32.
 * Before opset 13 the input is coerced to 2-D at `axis` (default 1);
 * from 13 the op runs along one axis (default -1). */
#include <string.h>

#include "gpu-exec.h"
#include "ops/ops.h"

static gboolean
build_softmax (OviGpuBuild *b, const OviNode *n)
{
  const OviValue *x;
  int opset = b->plan->graph->opset, axis;
  int64_t outer = 1, len = 1, inner = 1;
  OviGpuLaunch *l;
  if (n->n_inputs != 1 || n->n_outputs != 1 || n->outputs[0] < 0
      || !ovi_gpu_is_f32 (b, n->inputs[0]) || !ovi_gpu_is_f32 (b, n->outputs[0]))
    return FALSE;
  x = ovi_gpu_input (b, n, 0);
  if (!ovi_op_axis (ovi_node_attr_int (n, "axis", opset < 13 ? 1 : -1),
          MAX (x->rank, 1), &axis) || x->rank == 0)
    return FALSE;
  for (int d = 0; d < x->rank; d++) {
    if (d < axis)
      outer *= x->dims[d];
    else if (d == axis || opset < 13)
      len *= x->dims[d];
    else
      inner *= x->dims[d];
  }
  if (outer * inner == 0 || len == 0)
    return TRUE;
  l = ovi_gpu_launch (b, "softmax", strcmp (n->op_type, "Hardmax") == 0
      ? "hardmax" : "softmax");
  ovi_gpu_arg_value (l, n->inputs[0]);
  ovi_gpu_arg_value (l, n->outputs[0]);
  ovi_gpu_arg_int (l, outer);
  ovi_gpu_arg_int (l, len);
  ovi_gpu_arg_int (l, inner);
  ovi_gpu_arg_int (l, strcmp (n->op_type, "LogSoftmax") == 0);
  ovi_gpu_range_1d (l, outer * inner);
  return TRUE;
}

const OviGpuOp ovi_gpu_ops_softmax[] = {
  { "Softmax", build_softmax },
  { "LogSoftmax", build_softmax },
  { "Hardmax", build_softmax },
  { NULL, NULL },
};
