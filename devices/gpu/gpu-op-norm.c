/* BatchNormalization on the GPU when it was not folded into a Conv: in
 * inference form with constant statistics it is a per-channel affine map,
 * whose scale and shift are computed here once (kernels/norm.cl). */
#include <math.h>

#include "gpu-exec.h"

static gboolean
build_batchnorm (OviGpuBuild *b, const OviNode *n)
{
  const OviValue *x, *p[4];
  float eps = ovi_node_attr_float (n, "epsilon", 1e-5f);
  float *scale, *shift;
  int64_t C, plane, total;
  OviGpuLaunch *l;

  if (n->n_inputs != 5 || n->n_outputs != 1 || n->outputs[0] < 0
      || !ovi_gpu_is_f32 (b, n->inputs[0]) || !ovi_gpu_is_f32 (b, n->outputs[0])
      || ovi_node_attr_int (n, "training_mode", 0) != 0
      || ovi_node_attr_int (n, "spatial", 1) != 1)
    return FALSE;
  x = ovi_gpu_input (b, n, 0);
  if (x->rank < 2 || x->dims[1] <= 0 || x->dims[1] > G_MAXINT32 / 8)
    return FALSE;
  C = x->dims[1];
  for (int k = 0; k < 4; k++) {
    p[k] = ovi_gpu_input (b, n, k + 1);
    if (p[k] == NULL || p[k]->constant == NULL
        || p[k]->dtype != OVI_DTYPE_FLOAT32 || ovi_gpu_numel (p[k]) != C)
      return FALSE;
  }
  total = ovi_gpu_numel (x);
  plane = C > 0 ? total / (x->dims[0] * C) : 0;
  if (total == 0)
    return TRUE;
  scale = g_new (float, (gsize) C);
  shift = g_new (float, (gsize) C);
  for (int64_t c = 0; c < C; c++) {
    const float *s = p[0]->constant->data, *bias = p[1]->constant->data;
    const float *mean = p[2]->constant->data, *var = p[3]->constant->data;
    scale[c] = s[c] / sqrtf (var[c] + eps);
    shift[c] = bias[c] - mean[c] * scale[c];
  }
  l = ovi_gpu_launch (b, "norm", "channel_affine");
  ovi_gpu_arg_value (l, n->inputs[0]);
  ovi_gpu_arg_value (l, n->outputs[0]);
  ovi_gpu_arg_floats (b, l, scale, C);
  ovi_gpu_arg_floats (b, l, shift, C);
  ovi_gpu_arg_int (l, C);
  ovi_gpu_arg_int (l, plane);
  ovi_gpu_arg_int (l, total);
  ovi_gpu_range_1d (l, total);
  g_free (scale);
  g_free (shift);
  return TRUE;
}

const OviGpuOp ovi_gpu_ops_norm[] = {
  { "BatchNormalization", build_batchnorm },
  { NULL, NULL },
};
