/* BatchNormalization on the GPU when it was not folded into a Conv: in
 * inference form a per-channel affine map, whose scale and shift are
 * computed here once from constant statistics, or per element from
 * statistics given at run time (kernels/norm.cl). LayerNormalization,
 * InstanceNormalization and GroupNormalization with constant scale and
 * bias; LRN. */
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

/* layer_norm's last arguments when it writes no statistics. */
static void
no_stats (OviGpuLaunch *l, int y)
{
  ovi_gpu_arg_value (l, y);
  ovi_gpu_arg_value (l, y);
  ovi_gpu_arg_int (l, 0);
}

/* A scale or bias of LayerNormalization as one float per column: a
 * constant of the normalized shape's size or one value (expanded here), a
 * run-time value of the normalized shape's size (read in place), or
 * absent (`def`). FALSE for other broadcasts, left to the CPU. */
static gboolean
per_column_arg (OviGpuBuild *b, OviGpuLaunch *l, const OviNode *n, int k,
    int64_t cols, float def)
{
  const OviValue *v = ovi_gpu_input (b, n, k);
  float *out;
  int64_t count;
  if (v != NULL && v->constant == NULL) {
    if (!ovi_gpu_is_f32 (b, n->inputs[k]) || ovi_gpu_numel (v) != cols)
      return FALSE;
    ovi_gpu_arg_value (l, n->inputs[k]);
    return TRUE;
  }
  count = v ? ovi_gpu_numel (v) : 1;
  if (v != NULL && (v->dtype != OVI_DTYPE_FLOAT32
          || (count != cols && count != 1)))
    return FALSE;
  out = g_new (float, (gsize) cols);
  for (int64_t j = 0; j < cols; j++)
    out[j] = v ? ((const float *) v->constant->data)[count == 1 ? 0 : j]
        : def;
  ovi_gpu_arg_floats (b, l, out, (int) cols);
  g_free (out);
  return TRUE;
}

static gboolean
build_layer_norm (OviGpuBuild *b, const OviNode *n)
{
  const OviValue *x;
  int axis, mean_v, inv_v;
  int64_t rows = 1, cols = 1;
  size_t global, local = 64;   /* LN_WG per row */
  OviGpuLaunch *l;

  if (n->n_inputs < 2 || n->n_outputs > 3 || n->outputs[0] < 0
      || !ovi_gpu_is_f32 (b, n->inputs[0])
      || !ovi_gpu_is_f32 (b, n->outputs[0]))
    return FALSE;
  mean_v = n->n_outputs > 1 ? n->outputs[1] : -1;
  inv_v = n->n_outputs > 2 ? n->outputs[2] : -1;
  if ((mean_v >= 0 && !ovi_gpu_is_f32 (b, mean_v))
      || (inv_v >= 0 && !ovi_gpu_is_f32 (b, inv_v)))
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
  global = (size_t) rows * local;
  l = ovi_gpu_launch (b, "norm", "layer_norm");
  ovi_gpu_arg_value (l, n->inputs[0]);
  ovi_gpu_arg_value (l, n->outputs[0]);
  if (!per_column_arg (b, l, n, 1, cols, 1.0f)
      || !per_column_arg (b, l, n, 2, cols, 0.0f))
    return FALSE;
  ovi_gpu_arg_int (l, cols);
  ovi_gpu_arg_float (l, ovi_node_attr_float (n, "epsilon", 1e-5f));
  ovi_gpu_arg_int (l, 0);
  ovi_gpu_arg_int (l, 1);
  /* Mean and InvStdDev, one per row, each when asked for. */
  ovi_gpu_arg_value (l, mean_v >= 0 ? mean_v : n->outputs[0]);
  ovi_gpu_arg_value (l, inv_v >= 0 ? inv_v : n->outputs[0]);
  ovi_gpu_arg_int (l, (mean_v >= 0) | (inv_v >= 0) << 1);
  ovi_gpu_range (l, 1, &global, &local);
  return TRUE;
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
  no_stats (l, n->outputs[0]);
  ovi_gpu_range (l, 1, &global, &local);
  return TRUE;
}

static gboolean
build_lrn (OviGpuBuild *b, const OviNode *n)
{
  const OviValue *x;
  int64_t size = ovi_node_attr_int (n, "size", 1), total, plane;
  OviGpuLaunch *l;

  if (n->n_inputs != 1 || n->n_outputs != 1
      || !ovi_gpu_is_f32 (b, n->inputs[0])
      || !ovi_gpu_is_f32 (b, n->outputs[0]) || size < 1)
    return FALSE;
  x = ovi_gpu_input (b, n, 0);
  if (x->rank < 2)
    return FALSE;
  total = ovi_gpu_numel (x);
  if (total == 0)
    return TRUE;
  plane = total / (x->dims[0] * x->dims[1]);
  l = ovi_gpu_launch (b, "norm", "lrn");
  ovi_gpu_arg_value (l, n->inputs[0]);
  ovi_gpu_arg_value (l, n->outputs[0]);
  ovi_gpu_arg_int (l, x->dims[1]);
  ovi_gpu_arg_int (l, plane);
  ovi_gpu_arg_int (l, size);
  ovi_gpu_arg_float (l, ovi_node_attr_float (n, "alpha", 1e-4f));
  ovi_gpu_arg_float (l, ovi_node_attr_float (n, "beta", 0.75f));
  ovi_gpu_arg_float (l, ovi_node_attr_float (n, "bias", 1.0f));
  ovi_gpu_arg_int (l, total);
  ovi_gpu_range_1d (l, total);
  return TRUE;
}

const OviGpuOp ovi_gpu_ops_norm[] = {
  { "BatchNormalization", build_batchnorm },
  { "LayerNormalization", build_layer_norm },
  { "InstanceNormalization", build_block_norm },
  { "GroupNormalization", build_block_norm },
  { "LRN", build_lrn },
  { NULL, NULL },
};
