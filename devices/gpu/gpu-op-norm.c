/* BatchNormalization on the GPU when it was not folded into a Conv: in
 * inference form a per-channel affine map, whose scale and shift are
 * computed here once from constant statistics, or per element from
 * statistics given at run time (kernels/norm.cl). LayerNormalization,
 * InstanceNormalization and GroupNormalization with constant scale and
 * bias. */
#include <math.h>

#include "gpu-exec.h"
#include "ops/ops.h"

static gboolean
build_batchnorm (OviGpuBuild *b, const OviNode *n)
{
  const OviValue *x, *p[4];
  float eps = ovi_node_attr_float (n, "epsilon", 1e-5f);
  float *scale, *shift;
  int64_t C, plane, total;
  gboolean all_constant = TRUE;
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
    if (p[k] == NULL || !ovi_gpu_is_f32 (b, n->inputs[k + 1])
        || ovi_gpu_numel (p[k]) != C)
      return FALSE;
    all_constant = all_constant && p[k]->constant != NULL;
  }
  total = ovi_gpu_numel (x);
  plane = C > 0 ? total / (x->dims[0] * C) : 0;
  if (total == 0)
    return TRUE;
  if (!all_constant) {
    l = ovi_gpu_launch (b, "norm", "batchnorm_runtime");
    ovi_gpu_arg_value (l, n->inputs[0]);
    ovi_gpu_arg_value (l, n->outputs[0]);
    for (int k = 1; k <= 4; k++)
      ovi_gpu_arg_value (l, n->inputs[k]);
    ovi_gpu_arg_int (l, C);
    ovi_gpu_arg_int (l, plane);
    ovi_gpu_arg_int (l, total);
    ovi_gpu_arg_float (l, eps);
    ovi_gpu_range_1d (l, total);
    return TRUE;
  }
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

/* A constant scale or bias of LayerNormalization as one float per
 * column: the normalized shape's size, or one value for all. FALSE for
 * other broadcasts, left to the CPU. */
static gboolean
per_column (const OviValue *v, int64_t cols, float def, float *out)
{
  int64_t n;
  if (v == NULL) {
    for (int64_t j = 0; j < cols; j++)
      out[j] = def;
    return TRUE;
  }
  n = ovi_gpu_numel (v);
  if (v->constant == NULL || v->dtype != OVI_DTYPE_FLOAT32
      || (n != cols && n != 1))
    return FALSE;
  for (int64_t j = 0; j < cols; j++)
    out[j] = ((const float *) v->constant->data)[n == 1 ? 0 : j];
  return TRUE;
}

static gboolean
build_layer_norm (OviGpuBuild *b, const OviNode *n)
{
  const OviValue *x;
  int axis;
  int64_t rows = 1, cols = 1;
  float *scale, *bias;
  gboolean ok;
  OviGpuLaunch *l;

  /* The optional Mean and InvStdDev outputs stay with the CPU kernel. */
  if (n->n_inputs < 2 || n->outputs[0] < 0
      || (n->n_outputs > 1 && n->outputs[1] >= 0)
      || (n->n_outputs > 2 && n->outputs[2] >= 0)
      || !ovi_gpu_is_f32 (b, n->inputs[0]) || !ovi_gpu_is_f32 (b, n->outputs[0]))
    return FALSE;
  x = ovi_gpu_input (b, n, 0);
  if (x->rank < 1
      || !ovi_op_axis (ovi_node_attr_int (n, "axis", -1), x->rank, &axis))
    return FALSE;
  for (int d = 0; d < x->rank; d++) {
    if (d < axis)
      rows *= x->dims[d];
    else
      cols *= x->dims[d];
  }
  if (cols == 0 || cols > G_MAXINT32 / 8)
    return FALSE;
  if (rows == 0)
    return TRUE;
  scale = g_new (float, (gsize) cols);
  bias = g_new (float, (gsize) cols);
  ok = per_column (ovi_gpu_input (b, n, 1), cols, 1.0f, scale)
      && per_column (ovi_gpu_input (b, n, 2), cols, 0.0f, bias);
  if (ok) {
    size_t global = (size_t) rows * 64, local = 64;  /* LN_WG per row */
    l = ovi_gpu_launch (b, "norm", "layer_norm");
    ovi_gpu_arg_value (l, n->inputs[0]);
    ovi_gpu_arg_value (l, n->outputs[0]);
    ovi_gpu_arg_floats (b, l, scale, (int) cols);
    ovi_gpu_arg_floats (b, l, bias, (int) cols);
    ovi_gpu_arg_int (l, cols);
    ovi_gpu_arg_float (l, ovi_node_attr_float (n, "epsilon", 1e-5f));
    ovi_gpu_arg_int (l, 0);
    ovi_gpu_arg_int (l, 1);
    ovi_gpu_range (l, 1, &global, &local);
  }
  g_free (scale);
  g_free (bias);
  return ok;
}

/* InstanceNormalization and GroupNormalization: layer_norm over each
 * (n, c) plane or (n, group) block, with constant scale and bias per
 * channel or per group. */
static gboolean
build_block_norm (OviGpuBuild *b, const OviNode *n)
{
  const OviValue *x, *scale, *bias;
  int64_t C, groups, cols, params, slot;
  size_t global, local = 64;
  OviGpuLaunch *l;

  if (n->n_inputs != 3 || n->n_outputs != 1 || n->inputs[1] < 0
      || n->inputs[2] < 0 || !ovi_gpu_is_f32 (b, n->inputs[0])
      || !ovi_gpu_is_f32 (b, n->outputs[0]))
    return FALSE;
  x = ovi_gpu_input (b, n, 0);
  scale = ovi_gpu_input (b, n, 1);
  bias = ovi_gpu_input (b, n, 2);
  if (x->rank < 3)
    return FALSE;
  C = x->dims[1];
  groups = strcmp (n->op_type, "GroupNormalization") == 0
      ? ovi_node_attr_int (n, "num_groups", 1) : C;
  if (groups <= 0 || C % groups != 0)
    return FALSE;
  params = ovi_gpu_numel (scale);
  cols = C / groups * ovi_shape_numel (x->rank - 2, x->dims + 2);
  /* One scale per group, or per channel (GroupNormalization opset 21). */
  if (params == groups)
    slot = cols;
  else if (params == C)
    slot = cols / (C / groups);
  else
    return FALSE;
  if (scale->constant == NULL || bias->constant == NULL
      || scale->dtype != OVI_DTYPE_FLOAT32 || bias->dtype != OVI_DTYPE_FLOAT32
      || ovi_gpu_numel (bias) != params || cols == 0
      || cols > G_MAXINT32 / 8)
    return FALSE;
  if (ovi_gpu_numel (x) == 0)
    return TRUE;
  global = (size_t) (x->dims[0] * groups) * local;
  l = ovi_gpu_launch (b, "norm", "layer_norm");
  ovi_gpu_arg_value (l, n->inputs[0]);
  ovi_gpu_arg_value (l, n->outputs[0]);
  ovi_gpu_arg_floats (b, l, scale->constant->data, (int) params);
  ovi_gpu_arg_floats (b, l, bias->constant->data, (int) params);
  ovi_gpu_arg_int (l, cols);
  ovi_gpu_arg_float (l, ovi_node_attr_float (n, "epsilon", 1e-5f));
  ovi_gpu_arg_int (l, groups);
  ovi_gpu_arg_int (l, slot);
  ovi_gpu_range (l, 1, &global, &local);
  return TRUE;
}

const OviGpuOp ovi_gpu_ops_norm[] = {
  { "BatchNormalization", build_batchnorm },
  { "LayerNormalization", build_layer_norm },
  { "InstanceNormalization", build_block_norm },
  { "GroupNormalization", build_block_norm },
  { NULL, NULL },
};
