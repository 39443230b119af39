/* Shape inference for the norm op group: BatchNormalization,
 * InstanceNormalization, LayerNormalization, GroupNormalization, LRN,
 * MeanVarianceNormalization, Softmax, LogSoftmax and Hardmax. */
#include <string.h>

#include "ops.h"

static gboolean
is_float_type (OviDType t)
{
  return t == OVI_DTYPE_FLOAT32 || t == OVI_DTYPE_FLOAT64
      || t == OVI_DTYPE_FLOAT16 || t == OVI_DTYPE_BFLOAT16;
}

static OviInferResult
check_float_input (OviOpCtx *ctx, int i, GError **error)
{
  OviTensor *t = ctx->inputs[i];
  if (!is_float_type (t->dtype))
    return ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
        "input %d has type %s, expected a floating-point type", i,
        ovi_dtype_name (t->dtype));
  return OVI_INFER_OK;
}

/* A per-channel parameter: float-typed with `count` elements. */
static OviInferResult
check_param (OviOpCtx *ctx, int i, const char *what, int64_t count,
    int64_t alt_count, GError **error)
{
  OviTensor *t = ctx->inputs[i];
  int64_t n = ovi_tensor_numel (t);
  if (!is_float_type (t->dtype))
    return ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
        "%s has type %s, expected a floating-point type", what,
        ovi_dtype_name (t->dtype));
  if (n != count && n != alt_count)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "%s has %" G_GINT64_FORMAT " elements, expected %" G_GINT64_FORMAT,
        what, n, count);
  return OVI_INFER_OK;
}

/* BatchNormalization: inference, and training statistics when asked
 * (training_mode from opset 14; extra outputs before). */
static OviInferResult
infer_batch_norm (OviOpCtx *ctx, GError **error)
{
  static const char *const names[] = { "scale", "B", "mean", "var" };
  OviTensor *x;
  int64_t c, per_sample, alt;
  gboolean spatial, training, any_stats = FALSE;

  if (!ovi_op_check_inputs (ctx, 5, 5, error))
    return OVI_INFER_ERROR;
  x = ctx->inputs[0];
  if (check_float_input (ctx, 0, error) != OVI_INFER_OK)
    return OVI_INFER_ERROR;
  if (x->rank < 2)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "input has rank %d, expected N x C x ... (rank 2 or more)", x->rank);
  c = x->dims[1];
  per_sample = x->dims[0] > 0 ? ovi_tensor_numel (x) / x->dims[0] : 0;
  /* Before opset 9, spatial = 0 gives one parameter per element of a
   * sample (C x D1 x ... x Dn). */
  spatial = ctx->opset >= 9
      || ovi_node_attr_int (ctx->node, "spatial", 1) != 0;
  alt = spatial ? c : per_sample;
  for (int i = 1; i < 5; i++)
    if (check_param (ctx, i, names[i - 1], c, alt, error) != OVI_INFER_OK)
      return OVI_INFER_ERROR;
  if (ctx->n_outputs > 5)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "has %d outputs, expected at most 5", ctx->n_outputs);
  if (ctx->opset >= 14) {
    int64_t mode = ovi_node_attr_int (ctx->node, "training_mode", 0);
    training = mode != 0;
  } else {
    training = ovi_node_attr_int (ctx->node, "is_test", 0) == 0;
    for (int i = 1; i < ctx->n_outputs; i++)
      any_stats |= ctx->outputs[i] != NULL;
    training &= any_stats;
  }
  if (training && !spatial)
    return ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
        "training statistics with spatial = 0 are not supported");
  ovi_op_set_output (ctx, 0, x->dtype, x->rank, x->dims);
  /* Running (or saved) mean and variance, shaped like the inputs. */
  for (int i = 1; i < ctx->n_outputs; i++) {
    OviTensor *src = ctx->inputs[i % 2 == 1 ? 3 : 4];
    ovi_op_set_output (ctx, i, src->dtype, src->rank, src->dims);
  }
  return OVI_INFER_OK;
}

static OviInferResult
infer_instance_norm (OviOpCtx *ctx, GError **error)
{
  OviTensor *x;
  if (!ovi_op_check_inputs (ctx, 3, 3, error))
    return OVI_INFER_ERROR;
  x = ctx->inputs[0];
  if (check_float_input (ctx, 0, error) != OVI_INFER_OK)
    return OVI_INFER_ERROR;
  if (x->rank < 3)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "input has rank %d, expected N x C x D1 ... (rank 3 or more)",
        x->rank);
  if (check_param (ctx, 1, "scale", x->dims[1], -1, error) != OVI_INFER_OK
      || check_param (ctx, 2, "B", x->dims[1], -1, error) != OVI_INFER_OK)
    return OVI_INFER_ERROR;
  ovi_op_set_output (ctx, 0, x->dtype, x->rank, x->dims);
  return OVI_INFER_OK;
}

/* GroupNormalization (opset 18): scale and bias per group; one per
 * channel (the later form) is accepted too. */
static OviInferResult
infer_group_norm (OviOpCtx *ctx, GError **error)
{
  OviTensor *x;
  int64_t groups;
  if (!ovi_op_check_inputs (ctx, 3, 3, error))
    return OVI_INFER_ERROR;
  x = ctx->inputs[0];
  if (check_float_input (ctx, 0, error) != OVI_INFER_OK)
    return OVI_INFER_ERROR;
  if (x->rank < 2)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "input has rank %d, expected N x C x ... (rank 2 or more)", x->rank);
  if (ovi_node_attr (ctx->node, "num_groups") == NULL)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "attribute num_groups is missing");
  groups = ovi_node_attr_int (ctx->node, "num_groups", 0);
  if (groups <= 0 || x->dims[1] % groups != 0)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "num_groups = %" G_GINT64_FORMAT " does not divide the %"
        G_GINT64_FORMAT " channels", groups, x->dims[1]);
  if (check_param (ctx, 1, "scale", groups, x->dims[1], error)
      != OVI_INFER_OK
      || check_param (ctx, 2, "bias", groups, x->dims[1], error)
      != OVI_INFER_OK)
    return OVI_INFER_ERROR;
  ovi_op_set_output (ctx, 0, x->dtype, x->rank, x->dims);
  return OVI_INFER_OK;
}

/* Whether `t` broadcasts (numpy rules, one direction) to dims. */
static gboolean
broadcasts_to (const OviTensor *t, int rank, const int64_t *dims)
{
  if (t->rank > rank)
    return FALSE;
  for (int i = 0; i < t->rank; i++) {
    int64_t a = t->dims[t->rank - 1 - i], b = dims[rank - 1 - i];
    if (a != b && a != 1)
      return FALSE;
  }
  return TRUE;
}

static OviInferResult
infer_layer_norm (OviOpCtx *ctx, GError **error)
{
  OviTensor *x;
  int axis;
  int64_t stash = ovi_node_attr_int (ctx->node, "stash_type", 1);
  int64_t dims[OVI_MAX_RANK];

  if (!ovi_op_check_inputs (ctx, 2, 3, error))
    return OVI_INFER_ERROR;
  x = ctx->inputs[0];
  if (check_float_input (ctx, 0, error) != OVI_INFER_OK)
    return OVI_INFER_ERROR;
  if (!ovi_op_axis (ovi_node_attr_int (ctx->node, "axis", -1), x->rank,
          &axis) || x->rank == 0)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "axis %" G_GINT64_FORMAT " is out of range for rank %d",
        ovi_node_attr_int (ctx->node, "axis", -1), x->rank);
  for (int i = 1; i < 3; i++) {
    OviTensor *t = ovi_op_input (ctx, i);
    if (t == NULL)
      continue;
    if (!is_float_type (t->dtype))
      return ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
          "input %d has type %s, expected a floating-point type", i,
          ovi_dtype_name (t->dtype));
    if (!broadcasts_to (t, x->rank - axis, x->dims + axis))
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "%s does not broadcast to the normalized dimensions",
          i == 1 ? "Scale" : "B");
  }
  if (!is_float_type ((OviDType) stash))
    return ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
        "stash_type %" G_GINT64_FORMAT " is not supported", stash);
  ovi_op_set_output (ctx, 0, x->dtype, x->rank, x->dims);
  for (int i = 0; i < x->rank; i++)
    dims[i] = i < axis ? x->dims[i] : 1;
  ovi_op_set_output (ctx, 1, (OviDType) stash, x->rank, dims);
  ovi_op_set_output (ctx, 2, (OviDType) stash, x->rank, dims);
  return OVI_INFER_OK;
}

static OviInferResult
infer_lrn (OviOpCtx *ctx, GError **error)
{
  OviTensor *x;
  int64_t size = ovi_node_attr_int (ctx->node, "size", 0);
  if (!ovi_op_check_inputs (ctx, 1, 1, error))
    return OVI_INFER_ERROR;
  x = ctx->inputs[0];
  if (check_float_input (ctx, 0, error) != OVI_INFER_OK)
    return OVI_INFER_ERROR;
  if (x->rank < 2)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "input has rank %d, expected N x C x ... (rank 2 or more)", x->rank);
  if (size <= 0 || size > G_MAXINT32)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "attribute size must be positive");
  ovi_op_set_output (ctx, 0, x->dtype, x->rank, x->dims);
  return OVI_INFER_OK;
}

static OviInferResult
infer_mvn (OviOpCtx *ctx, GError **error)
{
  OviTensor *x;
  const int64_t *axes;
  int n_axes;
  if (!ovi_op_check_inputs (ctx, 1, 1, error))
    return OVI_INFER_ERROR;
  x = ctx->inputs[0];
  if (check_float_input (ctx, 0, error) != OVI_INFER_OK)
    return OVI_INFER_ERROR;
  n_axes = ovi_node_attr_ints (ctx->node, "axes", &axes);
  if (n_axes < 0) {
    if (x->rank != 4)
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "default axes [0, 2, 3] need a rank-4 input, not rank %d",
          x->rank);
  } else {
    guint seen = 0;
    for (int i = 0; i < n_axes; i++) {
      int a;
      if (!ovi_op_axis (axes[i], x->rank, &a) || (seen & (1u << a)))
        return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
            "axes[%d] = %" G_GINT64_FORMAT " is out of range or repeated",
            i, axes[i]);
      seen |= 1u << a;
    }
  }
  ovi_op_set_output (ctx, 0, x->dtype, x->rank, x->dims);
  return OVI_INFER_OK;
}

/* Softmax, LogSoftmax, Hardmax: before opset 13 the input is seen as a
 * 2-D matrix split at `axis` (default 1); from 13 they work along `axis`
 * (default -1). */
static OviInferResult
infer_softmax (OviOpCtx *ctx, GError **error)
{
  OviTensor *x;
  int64_t axis;
  int a;
  if (!ovi_op_check_inputs (ctx, 1, 1, error))
    return OVI_INFER_ERROR;
  x = ctx->inputs[0];
  if (check_float_input (ctx, 0, error) != OVI_INFER_OK)
    return OVI_INFER_ERROR;
  axis = ovi_node_attr_int (ctx->node, "axis", ctx->opset >= 13 ? -1 : 1);
  if (!ovi_op_axis (axis, x->rank, &a))
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "axis %" G_GINT64_FORMAT " is out of range for rank %d", axis,
        x->rank);
  ovi_op_set_output (ctx, 0, x->dtype, x->rank, x->dims);
  return OVI_INFER_OK;
}

const OviOpDef ovi_ops_norm[] = {
  { "BatchNormalization", infer_batch_norm },
  { "InstanceNormalization", infer_instance_norm },
  { "LayerNormalization", infer_layer_norm },
  { "GroupNormalization", infer_group_norm },
  { "LRN", infer_lrn },
  { "MeanVarianceNormalization", infer_mvn },
  { "Softmax", infer_softmax },
  { "LogSoftmax", infer_softmax },
  { "Hardmax", infer_softmax },
  { NULL }
};
