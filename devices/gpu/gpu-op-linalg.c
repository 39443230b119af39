/* Det on the GPU (kernels/linalg.cl), float32 matrices [..., M, M]. */
#include "gpu-exec.h"

/* One work item eliminates a whole matrix, O(M^3) in sequence: larger
 * ones run on the CPU rather than hold a GPU for seconds. */
#define DET_MAX_SIZE 64

static gboolean
build_det (OviGpuBuild *b, const OviNode *n)
{
  const OviValue *x, *y;
  int64_t m, count;
  OviGpuLaunch *l;

  if (n->n_inputs != 1 || n->n_outputs != 1 || n->outputs[0] < 0
      || !ovi_gpu_is_f32 (b, n->inputs[0]) || !ovi_gpu_is_f32 (b, n->outputs[0]))
    return FALSE;
  x = ovi_gpu_input (b, n, 0);
  y = ovi_gpu_output (b, n, 0);
  if (x->rank < 2 || x->dims[x->rank - 1] != x->dims[x->rank - 2]
      || x->dims[x->rank - 1] > DET_MAX_SIZE)
    return FALSE;
  m = x->dims[x->rank - 1];
  count = ovi_gpu_numel (y);
  if (count == 0)
    return TRUE;
  l = ovi_gpu_launch (b, "linalg", "det");
  ovi_gpu_arg_value (l, n->inputs[0]);
  ovi_gpu_arg_value (l, n->outputs[0]);
  ovi_gpu_arg_scratch (b, l, (gsize) ovi_gpu_numel (x) * sizeof (float));
  ovi_gpu_arg_int (l, m);
  ovi_gpu_arg_int (l, count);
  ovi_gpu_range_1d (l, count);
  return TRUE;
}

const OviGpuOp ovi_gpu_ops_linalg[] = {
  { "Det", build_det },
  { NULL, NULL },
};
