/* Elementwise ops on the GPU (kernels/elementwise.cl): float32 unary ops
 * and activations, and binary and variadic ops with numpy broadcasting.
 * Other element types are gpu-op-typed.c's. */
#include <math.h>
#include <string.h>

#include "cpu/cpu-postops.h"
#include "gpu-exec.h"

/* Codes of kernels/elementwise.cl. */
enum {
  U_ACT = 0, U_EXP = 100, U_LOG, U_SQRT, U_NEG, U_ABS, U_RECIPROCAL,
  U_FLOOR, U_CEIL, U_SOFTPLUS, U_SELU, U_ERF, U_SIN, U_COS, U_SOFTSIGN,
  U_ROUND, U_SIGN, U_THRESHOLDED_RELU, U_CELU, U_MISH, U_TAN, U_ASIN,
  U_ACOS, U_ATAN, U_SINH, U_COSH, U_ASINH, U_ACOSH, U_ATANH, U_SHRINK,
  U_DIV_BY,
};
enum {
  B_ADD, B_SUB, B_MUL, B_DIV, B_POW, B_MAX, B_MIN, B_PRELU, B_MOD,
  B_MOD_FLOOR,
};

static const struct {
  const char *name;
  int op;
  int act;
} unary_ops[] = {
  { "Relu", U_ACT, OVI_ACT_RELU }, { "Sigmoid", U_ACT, OVI_ACT_SIGMOID },
  { "Tanh", U_ACT, OVI_ACT_TANH }, { "Clip", U_ACT, OVI_ACT_CLIP },
  { "LeakyRelu", U_ACT, OVI_ACT_LEAKYRELU },
  { "HardSigmoid", U_ACT, OVI_ACT_HARDSIGMOID },
  { "HardSwish", U_ACT, OVI_ACT_HARDSWISH }, { "Elu", U_ACT, OVI_ACT_ELU },
  { "Exp", U_EXP, 0 }, { "Log", U_LOG, 0 }, { "Sqrt", U_SQRT, 0 },
  { "Neg", U_NEG, 0 }, { "Abs", U_ABS, 0 },
  { "Reciprocal", U_RECIPROCAL, 0 }, { "Floor", U_FLOOR, 0 },
  { "Ceil", U_CEIL, 0 }, { "Softplus", U_SOFTPLUS, 0 },
  { "Selu", U_SELU, 0 }, { "Erf", U_ERF, 0 }, { "Sin", U_SIN, 0 },
  { "Cos", U_COS, 0 }, { "Softsign", U_SOFTSIGN, 0 },
  { "Round", U_ROUND, 0 }, { "Sign", U_SIGN, 0 },
  { "ThresholdedRelu", U_THRESHOLDED_RELU, 0 }, { "Celu", U_CELU, 0 },
  { "Mish", U_MISH, 0 }, { "Gelu", U_ACT, OVI_ACT_GELU },
  { "Tan", U_TAN, 0 }, { "Asin", U_ASIN, 0 }, { "Acos", U_ACOS, 0 },
  { "Atan", U_ATAN, 0 }, { "Sinh", U_SINH, 0 }, { "Cosh", U_COSH, 0 },
  { "Asinh", U_ASINH, 0 }, { "Acosh", U_ACOSH, 0 }, { "Atanh", U_ATANH, 0 },
  { "Shrink", U_SHRINK, 0 },
};

/* Clip's bounds: attributes before opset 11, constant inputs after (a
 * bound computed at run time keeps Clip on the CPU). */
static gboolean
clip_bounds (const OviGpuBuild *b, const OviNode *n, float *lo, float *hi)
{
  *lo = -INFINITY;
  *hi = INFINITY;
  if (b->plan->graph->opset < 11) {
    *lo = ovi_node_attr_float (n, "min", -INFINITY);
    *hi = ovi_node_attr_float (n, "max", INFINITY);
    return TRUE;
  }
  for (int k = 1; k < n->n_inputs && k < 3; k++) {
    const OviValue *v = ovi_gpu_input (b, n, k);
    if (v == NULL)
      continue;
    if (v->constant == NULL || ovi_tensor_numel (v->constant) != 1
        || v->dtype != OVI_DTYPE_FLOAT32)
      return FALSE;
    *(k == 1 ? lo : hi) = ((const float *) v->constant->data)[0];
  }
  return TRUE;
}

/* Clip with a bound computed at run time (opset >= 11): the kernel reads
 * both bounds from device memory. */
static gboolean
build_clip_run_time (OviGpuBuild *b, const OviNode *n)
{
  int lo = n->n_inputs > 1 ? n->inputs[1] : -1;
  int hi = n->n_inputs > 2 ? n->inputs[2] : -1;
  int64_t total = ovi_gpu_numel (ovi_gpu_output (b, n, 0));
  OviGpuLaunch *l;
  if (b->plan->graph->opset < 11 || n->n_inputs > 3
      || (lo >= 0 && (!ovi_gpu_is_f32 (b, lo)
              || ovi_gpu_numel (ovi_gpu_value (b, lo)) != 1))
      || (hi >= 0 && (!ovi_gpu_is_f32 (b, hi)
              || ovi_gpu_numel (ovi_gpu_value (b, hi)) != 1)))
    return FALSE;
  if (total == 0)
    return TRUE;
  l = ovi_gpu_launch (b, "elementwise", "clip_bounds_rt");
  ovi_gpu_arg_value (l, n->inputs[0]);
  ovi_gpu_arg_value (l, n->outputs[0]);
  ovi_gpu_arg_int (l, total);
  /* An absent bound's slot names the input, never read. */
  ovi_gpu_arg_value (l, lo >= 0 ? lo : n->inputs[0]);
  ovi_gpu_arg_value (l, hi >= 0 ? hi : n->inputs[0]);
  ovi_gpu_arg_int (l, lo >= 0);
  ovi_gpu_arg_int (l, hi >= 0);
  ovi_gpu_range_1d (l, total);
  return TRUE;
}

static gboolean
build_unary (OviGpuBuild *b, const OviNode *n)
{
  const char *op = n->op_type;
  int code = -1, act = 0;
  float alpha = 0, beta = 0;
  OviGpuLaunch *l;

  if (n->n_outputs != 1 || n->outputs[0] < 0 || n->n_inputs < 1
      || !ovi_gpu_is_f32 (b, n->inputs[0]) || !ovi_gpu_is_f32 (b, n->outputs[0]))
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (unary_ops); i++)
    if (strcmp (unary_ops[i].name, op) == 0) {
      code = unary_ops[i].op;
      act = unary_ops[i].act;
    }
  if (code < 0)
    return FALSE;
  if (strcmp (op, "Clip") == 0) {
    if (!clip_bounds (b, n, &alpha, &beta))
      return build_clip_run_time (b, n);
  } else if (strcmp (op, "LeakyRelu") == 0) {
    alpha = ovi_node_attr_float (n, "alpha", 0.01f);
  } else if (strcmp (op, "HardSigmoid") == 0) {
    alpha = ovi_node_attr_float (n, "alpha", 0.2f);
    beta = ovi_node_attr_float (n, "beta", 0.5f);
  } else if (strcmp (op, "HardSwish") == 0) {
    alpha = 1.0f / 6;
    beta = 0.5f;
  } else if (strcmp (op, "Elu") == 0 || strcmp (op, "ThresholdedRelu") == 0
      || strcmp (op, "Celu") == 0) {
    alpha = ovi_node_attr_float (n, "alpha", 1.0f);
  } else if (strcmp (op, "Gelu") == 0) {
    /* common.cl's GELU: the tanh form when alpha is not 0. */
    alpha = g_strcmp0 (ovi_node_attr_string (n, "approximate", "none"),
        "tanh") == 0;
  } else if (strcmp (op, "Shrink") == 0) {
    alpha = ovi_node_attr_float (n, "lambd", 0.5f);
    beta = ovi_node_attr_float (n, "bias", 0.0f);
  } else if (strcmp (op, "Selu") == 0) {
    alpha = ovi_node_attr_float (n, "alpha", 1.67326319217681884765625f);
    beta = ovi_node_attr_float (n, "gamma", 1.05070102214813232421875f);
  } else if (n->n_inputs != 1) {
    return FALSE;
  }
  l = ovi_gpu_launch (b, "elementwise", "unary");
  ovi_gpu_arg_value (l, n->inputs[0]);
  ovi_gpu_arg_value (l, n->outputs[0]);
  ovi_gpu_arg_int (l, ovi_gpu_numel (ovi_gpu_output (b, n, 0)));
  ovi_gpu_arg_int (l, code);
  ovi_gpu_arg_int (l, act);
  ovi_gpu_arg_float (l, alpha);
  ovi_gpu_arg_float (l, beta);
  ovi_gpu_range_1d (l, ovi_gpu_numel (ovi_gpu_output (b, n, 0)));
  return TRUE;
}

/* y = a op c over y's shape, each operand broadcast to it. */
static void
binary_launch (OviGpuBuild *b, int a_v, int c_v, int y_v, int code)
{
  const OviValue *a = ovi_gpu_value (b, a_v), *c = ovi_gpu_value (b, c_v);
  const OviValue *y = ovi_gpu_value (b, y_v);
  int64_t total = ovi_gpu_numel (y);
  OviGpuLaunch *l;

  if (ovi_shape_equal (a->rank, a->dims, y->rank, y->dims)
      && (ovi_shape_equal (c->rank, c->dims, y->rank, y->dims)
          || ovi_gpu_numel (c) == 1)) {
    l = ovi_gpu_launch (b, "elementwise", "binary_flat");
    ovi_gpu_arg_value (l, a_v);
    ovi_gpu_arg_value (l, c_v);
    ovi_gpu_arg_value (l, y_v);
    ovi_gpu_arg_int (l, total);
    ovi_gpu_arg_int (l, 1);
    ovi_gpu_arg_int (l, ovi_gpu_numel (c) == total ? 1 : 0);
    ovi_gpu_arg_int (l, code);
  } else {
    int dims[OVI_MAX_RANK], as[OVI_MAX_RANK], bs[OVI_MAX_RANK];
    for (int d = 0; d < y->rank; d++)
      dims[d] = (int) y->dims[d];
    ovi_gpu_bcast_strides (a, y, as);
    ovi_gpu_bcast_strides (c, y, bs);
    l = ovi_gpu_launch (b, "elementwise", "binary_bcast");
    ovi_gpu_arg_value (l, a_v);
    ovi_gpu_arg_value (l, c_v);
    ovi_gpu_arg_value (l, y_v);
    ovi_gpu_arg_int (l, total);
    ovi_gpu_arg_int (l, y->rank);
    ovi_gpu_arg_ints (b, l, dims, y->rank);
    ovi_gpu_arg_ints (b, l, as, y->rank);
    ovi_gpu_arg_ints (b, l, bs, y->rank);
    ovi_gpu_arg_int (l, code);
  }
  ovi_gpu_range_1d (l, total);
}

/* float32 binary ops, and the variadic Sum, Max, Min and Mean folded
 * into the output an input at a time (the planner never gives an output
 * the memory of its step's inputs, so the output may be both operand and
 * result of the later launches). */
static gboolean
build_binary (OviGpuBuild *b, const OviNode *n)
{
  static const struct {
    const char *name;
    int op;
    gboolean variadic;
  } ops[] = {
    { "Add", B_ADD }, { "Sub", B_SUB }, { "Mul", B_MUL }, { "Div", B_DIV },
    { "Pow", B_POW }, { "PRelu", B_PRELU }, { "Mod", B_MOD },
    { "Max", B_MAX, TRUE }, { "Min", B_MIN, TRUE }, { "Sum", B_ADD, TRUE },
    { "Mean", B_ADD, TRUE },
  };
  const OviValue *y;
  int code = -1, y_v = n->outputs[0];
  gboolean variadic = FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (ops); i++)
    if (strcmp (ops[i].name, n->op_type) == 0) {
      code = ops[i].op;
      variadic = ops[i].variadic;
    }
  if (code < 0 || n->n_outputs != 1 || n->n_inputs < (variadic ? 1 : 2)
      || (!variadic && n->n_inputs != 2) || !ovi_gpu_is_f32 (b, y_v))
    return FALSE;
  for (int k = 0; k < n->n_inputs; k++)
    if (n->inputs[k] < 0 || !ovi_gpu_is_f32 (b, n->inputs[k]))
      return FALSE;
  if (code == B_MOD && ovi_node_attr_int (n, "fmod", 0) != 1)
    code = B_MOD_FLOOR;
  y = ovi_gpu_value (b, y_v);
  /* Legacy broadcast attributes (opset < 7) broadcast as numpy does once
   * shape inference has refused the other placements; PRelu's slope
   * before opset 7 is left to the CPU. */
  if (y->rank > 8)
    return FALSE;
  if (code == B_PRELU && b->plan->graph->opset < 7)
    return FALSE;
  if (ovi_gpu_numel (y) == 0)
    return TRUE;
  if (n->n_inputs == 1) {
    /* One operand: y is it, broadcast (Max of one input). */
    binary_launch (b, n->inputs[0], n->inputs[0], y_v, B_MAX);
  } else {
    binary_launch (b, n->inputs[0], n->inputs[1], y_v, code);
    for (int k = 2; k < n->n_inputs; k++)
      binary_launch (b, y_v, n->inputs[k], y_v, code);
  }
  if (strcmp (n->op_type, "Mean") == 0 && n->n_inputs > 1) {
    OviGpuLaunch *l = ovi_gpu_launch (b, "elementwise", "unary");
    ovi_gpu_arg_value (l, y_v);
    ovi_gpu_arg_value (l, y_v);
    ovi_gpu_arg_int (l, ovi_gpu_numel (y));
    ovi_gpu_arg_int (l, U_DIV_BY);
    ovi_gpu_arg_int (l, 0);
    ovi_gpu_arg_float (l, (float) n->n_inputs);
    ovi_gpu_arg_float (l, 0);
    ovi_gpu_range_1d (l, ovi_gpu_numel (y));
  }
  return TRUE;
}

const OviGpuOp ovi_gpu_ops_elementwise[] = {
  { "Relu", build_unary }, { "Sigmoid", build_unary },
  { "Tanh", build_unary }, { "Clip", build_unary },
  { "LeakyRelu", build_unary }, { "HardSigmoid", build_unary },
  { "HardSwish", build_unary }, { "Elu", build_unary },
  { "Exp", build_unary }, { "Log", build_unary }, { "Sqrt", build_unary },
  { "Neg", build_unary }, { "Abs", build_unary },
  { "Reciprocal", build_unary }, { "Floor", build_unary },
  { "Ceil", build_unary }, { "Softplus", build_unary },
  { "Selu", build_unary }, { "Erf", build_unary }, { "Sin", build_unary },
  { "Cos", build_unary }, { "Softsign", build_unary },
  { "Round", build_unary }, { "Sign", build_unary },
  { "ThresholdedRelu", build_unary }, { "Celu", build_unary },
  { "Mish", build_unary }, { "Gelu", build_unary }, { "Tan", build_unary },
  { "Asin", build_unary }, { "Acos", build_unary }, { "Atan", build_unary },
  { "Sinh", build_unary }, { "Cosh", build_unary }, { "Asinh", build_unary },
  { "Acosh", build_unary }, { "Atanh", build_unary },
  { "Shrink", build_unary },
  { "Add", build_binary }, { "Sub", build_binary }, { "Mul", build_binary },
  { "Div", build_binary }, { "Pow", build_binary }, { "Max", build_binary },
  { "Min", build_binary }, { "PRelu", build_binary },
  { "Mod", build_binary }, { "Sum", build_binary }, { "Mean", build_binary },
  { NULL, NULL },
};
