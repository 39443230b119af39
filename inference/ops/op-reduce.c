/* Shape inference for the reduce op group: the Reduce* family, ArgMax,
 * ArgMin, CumSum and TopK. */
#include <string.h>

#include "ops.h"

#define MAX_AXES 64

/* Reads the reduced axes into mask[]: from the "axes" attribute (every
 * Reduce op before opset 18, ReduceSum before 13) or else from input 1.
 * Empty axes reduce everything, unless noop_with_empty_axes is set: then
 * *noop is set and nothing is reduced. */
static OviInferResult
reduce_axes (OviOpCtx *ctx, int rank, gboolean *mask, gboolean *noop,
    GError **error)
{
  const int64_t *attr;
  int64_t axes[MAX_AXES];
  int n = ovi_node_attr_ints (ctx->node, "axes", &attr);
  OviTensor *a = ovi_op_input (ctx, 1);

  *noop = FALSE;
  if (n >= 0) {
    if (n > MAX_AXES)
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "has %d axes, more than the input's rank %d", n, rank);
    if (n > 0)
      memcpy (axes, attr, sizeof (int64_t) * n);
  } else if (a != NULL) {
    if (a->data == NULL)
      return OVI_INFER_NEED_DATA;
    if (!ovi_op_read_ints (a, MAX_AXES, &n, axes))
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "axes input must be an int64 vector of at most %d values (got %s)",
          MAX_AXES, ovi_dtype_name (a->dtype));
  } else {
    n = 0;
  }

  for (int d = 0; d < rank; d++)
    mask[d] = n == 0;
  if (n == 0 && ovi_node_attr_int (ctx->node, "noop_with_empty_axes", 0)) {
    *noop = TRUE;
    return OVI_INFER_OK;
  }
  for (int i = 0; i < n; i++) {
    int ax;
    if (!ovi_op_axis (axes[i], rank, &ax))
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "axis %" G_GINT64_FORMAT " is out of range for rank %d", axes[i],
          rank);
    if (rank == 0)
      continue;
    if (mask[ax])
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "axis %" G_GINT64_FORMAT " is repeated", axes[i]);
    mask[ax] = TRUE;
  }
  return OVI_INFER_OK;
}

static OviInferResult
infer_reduce (OviOpCtx *ctx, GError **error)
{
  OviTensor *x;
  gboolean mask[OVI_MAX_RANK], noop;
  gboolean keepdims;
  int64_t dims[OVI_MAX_RANK];
  int rank = 0;
  OviInferResult r;

  if (!ovi_op_check_inputs (ctx, 1, 2, error))
    return OVI_INFER_ERROR;
  x = ctx->inputs[0];
  if (!ovi_dtype_is_known (x->dtype) || x->dtype == OVI_DTYPE_STRING)
    return ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
        "type %s is not supported", ovi_dtype_name (x->dtype));
  r = reduce_axes (ctx, x->rank, mask, &noop, error);
  if (r != OVI_INFER_OK)
    return r;
  if (noop) {
    ovi_op_set_output (ctx, 0, x->dtype, x->rank, x->dims);
    return OVI_INFER_OK;
  }
  keepdims = ovi_node_attr_int (ctx->node, "keepdims", 1) != 0;
  for (int d = 0; d < x->rank; d++) {
    if (!mask[d])
      dims[rank++] = x->dims[d];
    else if (keepdims)
      dims[rank++] = 1;
  }
  ovi_op_set_output (ctx, 0, x->dtype, rank, dims);
  return OVI_INFER_OK;
}

static OviInferResult
infer_arg (OviOpCtx *ctx, GError **error)
{
  OviTensor *x;
  int axis;
  int64_t dims[OVI_MAX_RANK];
  int rank = 0;
  gboolean keepdims;
  int64_t a;

  if (!ovi_op_check_inputs (ctx, 1, 1, error))
    return OVI_INFER_ERROR;
  x = ctx->inputs[0];
  if (!ovi_dtype_is_known (x->dtype) || x->dtype == OVI_DTYPE_STRING)
    return ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
        "type %s is not supported", ovi_dtype_name (x->dtype));
  if (x->rank < 1)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "input must have rank 1 or more");
  a = ovi_node_attr_int (ctx->node, "axis", 0);
  if (!ovi_op_axis (a, x->rank, &axis))
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "axis %" G_GINT64_FORMAT " is out of range for rank %d", a, x->rank);
  keepdims = ovi_node_attr_int (ctx->node, "keepdims", 1) != 0;
  for (int d = 0; d < x->rank; d++) {
    if (d != axis)
      dims[rank++] = x->dims[d];
    else if (keepdims)
      dims[rank++] = 1;
  }
  if (x->dims[axis] == 0 && ovi_shape_numel (rank, dims) > 0)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "cannot take %s over the empty axis %d", ctx->node->op_type, axis);
  ovi_op_set_output (ctx, 0, OVI_DTYPE_INT64, rank, dims);
  return OVI_INFER_OK;
}

static OviInferResult
infer_cumsum (OviOpCtx *ctx, GError **error)
{
  OviTensor *x, *a;
  if (!ovi_op_check_inputs (ctx, 2, 2, error))
    return OVI_INFER_ERROR;
  x = ctx->inputs[0];
  a = ctx->inputs[1];
  if (!ovi_dtype_is_known (x->dtype) || x->dtype == OVI_DTYPE_STRING
      || x->dtype == OVI_DTYPE_BOOL)
    return ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
        "type %s is not supported", ovi_dtype_name (x->dtype));
  if ((a->dtype != OVI_DTYPE_INT32 && a->dtype != OVI_DTYPE_INT64)
      || ovi_tensor_numel (a) != 1)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "axis input must be one int32 or int64 value");
  if (x->rank < 1)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "input must have rank 1 or more");
  if (a->data) {
    int axis;
    int64_t v = ovi_tensor_get_i64 (a, 0);
    if (!ovi_op_axis (v, x->rank, &axis))
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "axis %" G_GINT64_FORMAT " is out of range for rank %d", v,
          x->rank);
  }
  ovi_op_set_output (ctx, 0, x->dtype, x->rank, x->dims);
  return OVI_INFER_OK;
}

static OviInferResult
infer_topk (OviOpCtx *ctx, GError **error)
{
  OviTensor *x;
  int axis;
  int64_t k, a;
  int64_t dims[OVI_MAX_RANK];

  if (!ovi_op_check_inputs (ctx, 1, 2, error))
    return OVI_INFER_ERROR;
  x = ctx->inputs[0];
  if (!ovi_dtype_is_known (x->dtype) || x->dtype == OVI_DTYPE_STRING
      || x->dtype == OVI_DTYPE_BOOL)
    return ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
        "type %s is not supported", ovi_dtype_name (x->dtype));
  if (x->rank < 1)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "input must have rank 1 or more");
  a = ovi_node_attr_int (ctx->node, "axis", -1);
  if (!ovi_op_axis (a, x->rank, &axis))
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "axis %" G_GINT64_FORMAT " is out of range for rank %d", a, x->rank);
  if (ctx->opset < 10 && ovi_op_input (ctx, 1) == NULL) {
    if (ovi_node_attr (ctx->node, "k") == NULL)
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "attribute k is missing");
    k = ovi_node_attr_int (ctx->node, "k", 0);
  } else {
    OviTensor *kt = ovi_op_input (ctx, 1);
    if (kt == NULL)
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "input K is missing");
    if ((kt->dtype != OVI_DTYPE_INT64 && kt->dtype != OVI_DTYPE_INT32)
        || ovi_tensor_numel (kt) != 1)
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "K must be one int64 value");
    if (kt->data == NULL)
      return OVI_INFER_NEED_DATA;
    k = ovi_tensor_get_i64 (kt, 0);
  }
  if (k < 0 || k > x->dims[axis])
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "K = %" G_GINT64_FORMAT " is out of range for an axis of %"
        G_GINT64_FORMAT " elements", k, x->dims[axis]);
  memcpy (dims, x->dims, sizeof (int64_t) * x->rank);
  dims[axis] = k;
  ovi_op_set_output (ctx, 0, x->dtype, x->rank, dims);
  ovi_op_set_output (ctx, 1, OVI_DTYPE_INT64, x->rank, dims);
  return OVI_INFER_OK;
}

const OviOpDef ovi_ops_reduce[] = {
  { "ReduceSum", infer_reduce }, { "ReduceMean", infer_reduce },
  { "ReduceMax", infer_reduce }, { "ReduceMin", infer_reduce },
  { "ReduceProd", infer_reduce }, { "ReduceL1", infer_reduce },
  { "ReduceL2", infer_reduce }, { "ReduceLogSum", infer_reduce },
  { "ReduceLogSumExp", infer_reduce }, { "ReduceSumSquare", infer_reduce },
  { "ArgMax", infer_arg }, { "ArgMin", infer_arg },
  { "CumSum", infer_cumsum }, { "TopK", infer_topk },
  { NULL }
};
