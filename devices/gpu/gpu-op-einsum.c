/* Einsum on the GPU (kernels/einsum.cl): float32, one to three operands,
 * with the CPU kernel's own plan of the equation (cpu-einsum-plan.h). */
#include <string.h>

#include "cpu/cpu-einsum-plan.h"
#include "gpu-exec.h"

#define EIN_MAX 12    /* kernels/einsum.cl's loop axes */

static gboolean
build_einsum (OviGpuBuild *b, const OviNode *n)
{
  int y = n->n_outputs == 1 ? n->outputs[0] : -1;
  int sizes[EIN_MAX], strides[3 * EIN_MAX];
  int64_t total = 1, n_sum = 1;
  gboolean ok;
  EinPlan p;
  OviGpuOpCtx c;
  OviGpuLaunch *l;

  if (y < 0 || n->n_inputs < 1 || n->n_inputs > 3 || !ovi_gpu_is_f32 (b, y)
      || !ovi_gpu_op_ctx_shapes (b, n, &c))
    return FALSE;
  for (int k = 0; k < n->n_inputs; k++)
    if (n->inputs[k] < 0 || !ovi_gpu_is_f32 (b, n->inputs[k]))
      return FALSE;
  memset (&p, 0, sizeof (p));
  if (!ovi_einsum_plan (&c.ctx, &p)) {
    ovi_einsum_plan_clear (&p);
    return FALSE;
  }
  ok = p.n_labels <= EIN_MAX;
  for (int i = 0; ok && i < p.n_labels; i++) {
    sizes[i] = (int) p.size[i];
    if (i < p.n_out)
      total *= p.size[i];
    else
      n_sum *= p.size[i];
    for (int t = 0; t < p.n_ops; t++)
      strides[t * p.n_labels + i] = (int) p.stride[t * p.n_labels + i];
  }
  ok = ok && total == ovi_gpu_numel (ovi_gpu_value (b, y))
      && n_sum <= G_MAXINT32;
  if (ok && total > 0) {
    l = ovi_gpu_launch (b, "einsum", "einsum");
    for (int t = 0; t < 3; t++)
      ovi_gpu_arg_value (l, n->inputs[MIN (t, n->n_inputs - 1)]);
    ovi_gpu_arg_value (l, y);
    ovi_gpu_arg_int (l, p.n_ops);
    ovi_gpu_arg_int (l, p.n_labels);
    ovi_gpu_arg_int (l, p.n_out);
    ovi_gpu_arg_ints (b, l, sizes, p.n_labels);
    ovi_gpu_arg_ints (b, l, strides, p.n_ops * p.n_labels);
    ovi_gpu_arg_int (l, total);
    ovi_gpu_arg_int (l, n_sum);
    ovi_gpu_range_1d (l, total);
  }
  ovi_einsum_plan_clear (&p);
  return ok;
}

const OviGpuOp ovi_gpu_ops_einsum[] = {
  { "Einsum", build_einsum },
  { NULL, NULL },
};
