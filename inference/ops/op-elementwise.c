/* Shape inference for elementwise ops: unary, broadcasting binary and
 * variadic ops, comparisons, Where, Clip, Cast. */
#include <string.h>

#include "ops.h"

static OviInferResult
infer_unary (OviOpCtx *ctx, GError **error)
{
  OviTensor *x;
  if (!ovi_op_check_inputs (ctx, 1, 3, error))
    return OVI_INFER_ERROR;
  x = ctx->inputs[0];
  ovi_op_set_output (ctx, 0, x->dtype, x->rank, x->dims);
  return OVI_INFER_OK;
}

static OviInferResult
infer_to_bool (OviOpCtx *ctx, GError **error)
{
  OviTensor *x;
  if (!ovi_op_check_inputs (ctx, 1, 1, error))
    return OVI_INFER_ERROR;
  x = ctx->inputs[0];
  ovi_op_set_output (ctx, 0, OVI_DTYPE_BOOL, x->rank, x->dims);
  return OVI_INFER_OK;
}

/* Broadcasts every present input; output type from input `type_from`, or
 * bool when type_from < 0. */
static OviInferResult
infer_broadcast (OviOpCtx *ctx, int min_inputs, int type_from,
    GError **error)
{
  int rank = 0;
  int64_t dims[OVI_MAX_RANK];
  if (!ovi_op_check_inputs (ctx, min_inputs, -1, error))
    return OVI_INFER_ERROR;
  for (int i = 0; i < ctx->n_inputs; i++) {
    OviTensor *t = ctx->inputs[i];
    if (t == NULL)
      continue;
    if (i == 0) {
      rank = t->rank;
      memcpy (dims, t->dims, sizeof (int64_t) * rank);
    } else if (!ovi_broadcast_shapes (rank, dims, t->rank, t->dims, &rank,
            dims)) {
      char *a = ovi_shape_to_string (rank, dims);
      char *b = ovi_shape_to_string (t->rank, t->dims);
      ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "shapes %s and %s do not broadcast", a, b);
      g_free (a);
      g_free (b);
      return OVI_INFER_ERROR;
    }
  }
  ovi_op_set_output (ctx, 0, type_from < 0 ? OVI_DTYPE_BOOL
      : ctx->inputs[type_from]->dtype, rank, dims);
  return OVI_INFER_OK;
}

/* Before opset 7, broadcast=1 with an axis places B's dimensions from
 * that axis of A; numpy's rule, which the kernels follow, from the end.
 * They agree only when the axis is rank(A) - rank(B): FALSE with an
 * error for the others. */
static gboolean
legacy_broadcast_supported (OviOpCtx *ctx, GError **error)
{
  int64_t axis;
  if (ctx->opset >= 7 || !ovi_node_attr_int (ctx->node, "broadcast", 0)
      || !ovi_node_attr (ctx->node, "axis") || !ctx->inputs[0]
      || !ctx->inputs[1])
    return TRUE;
  axis = ovi_node_attr_int (ctx->node, "axis", 0);
  if (axis < 0)
    axis += ctx->inputs[0]->rank;
  if (axis == ctx->inputs[0]->rank - ctx->inputs[1]->rank)
    return TRUE;
  ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED, "legacy broadcast from "
      "axis %" G_GINT64_FORMAT " (not the trailing axes) is not supported",
      axis);
  return FALSE;
}

static OviInferResult
infer_binary (OviOpCtx *ctx, GError **error)
{
  if (ctx->n_inputs != 2)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID, "needs 2 inputs");
  /* Pow and BitShift aside, both sides must have one type. */
  if (strcmp (ctx->node->op_type, "Pow") != 0
      && ctx->inputs[0] && ctx->inputs[1]
      && ctx->inputs[0]->dtype != ctx->inputs[1]->dtype)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "input types differ (%s, %s)", ovi_dtype_name (ctx->inputs[0]->dtype),
        ovi_dtype_name (ctx->inputs[1]->dtype));
  if (!legacy_broadcast_supported (ctx, error))
    return OVI_INFER_ERROR;
  return infer_broadcast (ctx, 2, 0, error);
}

/* PRelu before opset 7 applies a 1-D slope along the channel axis. */
gboolean
ovi_prelu_legacy_slope (const OviOpCtx *ctx)
{
  const OviTensor *x = ctx->inputs[0], *s = ctx->inputs[1];
  return ctx->opset < 7 && s->rank == 1 && x->rank >= 2
      && s->dims[0] == x->dims[1] && s->dims[0] != x->dims[x->rank - 1];
}

static OviInferResult
infer_prelu (OviOpCtx *ctx, GError **error)
{
  if (!ovi_op_check_inputs (ctx, 2, 2, error))
    return OVI_INFER_ERROR;
  if (ovi_prelu_legacy_slope (ctx)) {
    ovi_op_set_output (ctx, 0, ctx->inputs[0]->dtype, ctx->inputs[0]->rank,
        ctx->inputs[0]->dims);
    return OVI_INFER_OK;
  }
  return infer_binary (ctx, error);
}

static OviInferResult
infer_compare (OviOpCtx *ctx, GError **error)
{
  if (ctx->n_inputs != 2)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID, "needs 2 inputs");
  if (!legacy_broadcast_supported (ctx, error))
    return OVI_INFER_ERROR;
  return infer_broadcast (ctx, 2, -1, error);
}

static OviInferResult
infer_variadic (OviOpCtx *ctx, GError **error)
{
  return infer_broadcast (ctx, 1, 0, error);
}

static OviInferResult
infer_where (OviOpCtx *ctx, GError **error)
{
  if (ctx->n_inputs != 3)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID, "needs 3 inputs");
  if (ovi_infer_broadcast_checked (ctx, error) != OVI_INFER_OK)
    return OVI_INFER_ERROR;
  ctx->outputs[0]->dtype = ctx->inputs[1]->dtype;
  return OVI_INFER_OK;
}

OviInferResult
ovi_infer_broadcast_checked (OviOpCtx *ctx, GError **error)
{
  return infer_broadcast (ctx, ctx->n_inputs, 0, error);
}

static OviInferResult
infer_clip (OviOpCtx *ctx, GError **error)
{
  return infer_unary (ctx, error);
}

static OviInferResult
infer_cast (OviOpCtx *ctx, GError **error)
{
  OviTensor *x;
  int64_t to;
  if (!ovi_op_check_inputs (ctx, 1, 2, error))
    return OVI_INFER_ERROR;
  x = ctx->inputs[0];
  if (strcmp (ctx->node->op_type, "CastLike") == 0) {
    if (ctx->n_inputs != 2 || ctx->inputs[1] == NULL)
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID, "needs 2 inputs");
    to = ctx->inputs[1]->dtype;
  } else {
    to = ovi_node_attr_int (ctx->node, "to", 0);
  }
  if (to == OVI_DTYPE_STRING || !ovi_dtype_is_known ((OviDType) to))
    return ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
        "cast to %s (%d) is not supported", ovi_dtype_name ((OviDType) to),
        (int) to);
  ovi_op_set_output (ctx, 0, (OviDType) to, x->rank, x->dims);
  return OVI_INFER_OK;
}

const OviOpDef ovi_ops_elementwise[] = {
  { "Abs", infer_unary }, { "Neg", infer_unary }, { "Floor", infer_unary },
  { "Ceil", infer_unary }, { "Round", infer_unary }, { "Sqrt", infer_unary },
  { "Exp", infer_unary }, { "Log", infer_unary },
  { "Reciprocal", infer_unary }, { "Sin", infer_unary },
  { "Cos", infer_unary }, { "Tan", infer_unary }, { "Asin", infer_unary },
  { "Acos", infer_unary }, { "Atan", infer_unary }, { "Sinh", infer_unary },
  { "Cosh", infer_unary }, { "Asinh", infer_unary },
  { "Acosh", infer_unary }, { "Atanh", infer_unary },
  { "Tanh", infer_unary }, { "Sigmoid", infer_unary },
  { "Relu", infer_unary }, { "Erf", infer_unary }, { "Sign", infer_unary },
  { "Softplus", infer_unary }, { "Softsign", infer_unary },
  { "HardSwish", infer_unary }, { "Mish", infer_unary },
  { "Gelu", infer_unary }, { "LeakyRelu", infer_unary },
  { "Elu", infer_unary }, { "Selu", infer_unary },
  { "HardSigmoid", infer_unary }, { "ThresholdedRelu", infer_unary },
  { "Celu", infer_unary }, { "Shrink", infer_unary }, { "Not", infer_unary },
  { "BitwiseNot", infer_unary }, { "Clip", infer_clip },
  { "IsNaN", infer_to_bool }, { "IsInf", infer_to_bool },
  { "Cast", infer_cast }, { "CastLike", infer_cast },
  { "Add", infer_binary }, { "Sub", infer_binary }, { "Mul", infer_binary },
  { "Div", infer_binary }, { "Pow", infer_binary }, { "Mod", infer_binary },
  { "PRelu", infer_prelu }, { "BitShift", infer_binary },
  { "BitwiseAnd", infer_binary }, { "BitwiseOr", infer_binary },
  { "BitwiseXor", infer_binary },
  { "Equal", infer_compare }, { "Less", infer_compare },
  { "Greater", infer_compare }, { "LessOrEqual", infer_compare },
  { "GreaterOrEqual", infer_compare }, { "And", infer_compare },
  { "Or", infer_compare }, { "Xor", infer_compare },
  { "Sum", infer_variadic }, { "Min", infer_variadic },
  { "Max", infer_variadic }, { "Mean", infer_variadic },
  { "Where", infer_where },
  { NULL }
};
