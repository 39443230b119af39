/* Shape inference for the index op group: Gather*, Scatter*, OneHot, and
 * the data-dependent NonZero, Compress, Unique and NonMaxSuppression,
 * whose output shapes are computed from their inputs' values at run
 * time. */
#include <math.h>
#include <string.h>

#include "nms.h"
#include "ops.h"
#include "unique.h"

static gboolean
is_index_type (OviDType dt)
{
  return dt == OVI_DTYPE_INT32 || dt == OVI_DTYPE_INT64;
}

static gboolean
is_data_type (OviDType dt)
{
  return ovi_dtype_is_known (dt) && dt != OVI_DTYPE_STRING;
}

/* When the indices are constant, checks them now so that a bad model
 * fails when it is compiled rather than when it runs. */
static gboolean
check_index_values (OviOpCtx *ctx, const OviTensor *t, int64_t dim,
    GError **error)
{
  int64_t n;
  if (t->data == NULL)
    return TRUE;
  n = ovi_tensor_numel (t);
  for (int64_t i = 0; i < n; i++) {
    int64_t v = ovi_tensor_get_i64 (t, i);
    if (v < -dim || v >= dim) {
      ovi_op_error (ctx, error, OVI_ERROR_INVALID, "index %" G_GINT64_FORMAT
          " is out of range for a dimension of %" G_GINT64_FORMAT, v, dim);
      return FALSE;
    }
  }
  return TRUE;
}

static gboolean
check_types (OviOpCtx *ctx, const OviTensor *data, const OviTensor *indices,
    GError **error)
{
  if (!is_data_type (data->dtype)) {
    ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
        "type %s is not supported", ovi_dtype_name (data->dtype));
    return FALSE;
  }
  if (!is_index_type (indices->dtype)) {
    ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "indices must be int32 or int64, not %s",
        ovi_dtype_name (indices->dtype));
    return FALSE;
  }
  return TRUE;
}

static OviInferResult
infer_gather (OviOpCtx *ctx, GError **error)
{
  OviTensor *data, *idx;
  int64_t dims[OVI_MAX_RANK], a;
  int axis, rank = 0;

  if (!ovi_op_check_inputs (ctx, 2, 2, error))
    return OVI_INFER_ERROR;
  data = ctx->inputs[0];
  idx = ctx->inputs[1];
  if (!check_types (ctx, data, idx, error))
    return OVI_INFER_ERROR;
  if (data->rank < 1)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "data must have rank 1 or more");
  a = ovi_node_attr_int (ctx->node, "axis", 0);
  if (!ovi_op_axis (a, data->rank, &axis))
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "axis %" G_GINT64_FORMAT " is out of range for rank %d", a,
        data->rank);
  if (data->rank - 1 + idx->rank > OVI_MAX_RANK)
    return ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
        "output rank %d exceeds %d", data->rank - 1 + idx->rank,
        OVI_MAX_RANK);
  for (int d = 0; d < axis; d++)
    dims[rank++] = data->dims[d];
  for (int d = 0; d < idx->rank; d++)
    dims[rank++] = idx->dims[d];
  for (int d = axis + 1; d < data->rank; d++)
    dims[rank++] = data->dims[d];
  if (!check_index_values (ctx, idx, data->dims[axis], error))
    return OVI_INFER_ERROR;
  ovi_op_set_output (ctx, 0, data->dtype, rank, dims);
  return OVI_INFER_OK;
}

static OviInferResult
infer_gather_elements (OviOpCtx *ctx, GError **error)
{
  OviTensor *data, *idx;
  int64_t a;
  int axis;

  if (!ovi_op_check_inputs (ctx, 2, 2, error))
    return OVI_INFER_ERROR;
  data = ctx->inputs[0];
  idx = ctx->inputs[1];
  if (!check_types (ctx, data, idx, error))
    return OVI_INFER_ERROR;
  if (data->rank < 1 || idx->rank != data->rank)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "data (rank %d) and indices (rank %d) must have one rank >= 1",
        data->rank, idx->rank);
  a = ovi_node_attr_int (ctx->node, "axis", 0);
  if (!ovi_op_axis (a, data->rank, &axis))
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "axis %" G_GINT64_FORMAT " is out of range for rank %d", a,
        data->rank);
  for (int d = 0; d < data->rank; d++)
    if (d != axis && idx->dims[d] > data->dims[d])
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "indices dimension %d (%" G_GINT64_FORMAT ") exceeds the data's (%"
          G_GINT64_FORMAT ")", d, idx->dims[d], data->dims[d]);
  if (!check_index_values (ctx, idx, data->dims[axis], error))
    return OVI_INFER_ERROR;
  ovi_op_set_output (ctx, 0, data->dtype, idx->rank, idx->dims);
  return OVI_INFER_OK;
}

static OviInferResult
infer_gather_nd (OviOpCtx *ctx, GError **error)
{
  OviTensor *data, *idx;
  int64_t b, k, dims[OVI_MAX_RANK];
  int rank = 0;

  if (!ovi_op_check_inputs (ctx, 2, 2, error))
    return OVI_INFER_ERROR;
  data = ctx->inputs[0];
  idx = ctx->inputs[1];
  if (!is_data_type (data->dtype))
    return ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
        "type %s is not supported", ovi_dtype_name (data->dtype));
  if (!is_index_type (idx->dtype))
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "indices must be int64, not %s", ovi_dtype_name (idx->dtype));
  if (data->rank < 1 || idx->rank < 1)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "data and indices must have rank 1 or more");
  b = ovi_node_attr_int (ctx->node, "batch_dims", 0);
  k = idx->dims[idx->rank - 1];
  if (b < 0 || b >= MIN (data->rank, idx->rank))
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "batch_dims %" G_GINT64_FORMAT " is out of range", b);
  if (k < 0 || b + k > data->rank)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "index tuples of %" G_GINT64_FORMAT " values do not fit data of "
        "rank %d after %" G_GINT64_FORMAT " batch dimensions", k, data->rank,
        b);
  for (int d = 0; d < b; d++)
    if (data->dims[d] != idx->dims[d])
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "batch dimension %d differs between data and indices", d);
  if ((idx->rank - 1) + (data->rank - b - k) > OVI_MAX_RANK)
    return ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
        "output rank exceeds %d", OVI_MAX_RANK);
  for (int d = 0; d < idx->rank - 1; d++)
    dims[rank++] = idx->dims[d];
  for (int d = (int) (b + k); d < data->rank; d++)
    dims[rank++] = data->dims[d];
  ovi_op_set_output (ctx, 0, data->dtype, rank, dims);
  return OVI_INFER_OK;
}

static gboolean
check_reduction (OviOpCtx *ctx, GError **error)
{
  const char *r = ovi_node_attr_string (ctx->node, "reduction", "none");
  if (strcmp (r, "none") != 0 && strcmp (r, "add") != 0
      && strcmp (r, "mul") != 0 && strcmp (r, "max") != 0
      && strcmp (r, "min") != 0) {
    ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
        "reduction '%s' is not supported", r);
    return FALSE;
  }
  return TRUE;
}

static OviInferResult
infer_scatter_elements (OviOpCtx *ctx, GError **error)
{
  OviTensor *data, *idx, *upd;
  int64_t a;
  int axis;

  if (!ovi_op_check_inputs (ctx, 3, 3, error))
    return OVI_INFER_ERROR;
  data = ctx->inputs[0];
  idx = ctx->inputs[1];
  upd = ctx->inputs[2];
  if (!check_types (ctx, data, idx, error) || !check_reduction (ctx, error))
    return OVI_INFER_ERROR;
  if (upd->dtype != data->dtype)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "updates type %s differs from data type %s",
        ovi_dtype_name (upd->dtype), ovi_dtype_name (data->dtype));
  if (data->rank < 1 || idx->rank != data->rank
      || !ovi_shape_equal (idx->rank, idx->dims, upd->rank, upd->dims))
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "indices and updates must have one shape, of the data's rank");
  a = ovi_node_attr_int (ctx->node, "axis", 0);
  if (!ovi_op_axis (a, data->rank, &axis))
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "axis %" G_GINT64_FORMAT " is out of range for rank %d", a,
        data->rank);
  for (int d = 0; d < data->rank; d++)
    if (d != axis && idx->dims[d] > data->dims[d])
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "indices dimension %d (%" G_GINT64_FORMAT ") exceeds the data's (%"
          G_GINT64_FORMAT ")", d, idx->dims[d], data->dims[d]);
  if (!check_index_values (ctx, idx, data->dims[axis], error))
    return OVI_INFER_ERROR;
  ovi_op_set_output (ctx, 0, data->dtype, data->rank, data->dims);
  return OVI_INFER_OK;
}

static OviInferResult
infer_scatter_nd (OviOpCtx *ctx, GError **error)
{
  OviTensor *data, *idx, *upd;
  int64_t k, dims[OVI_MAX_RANK * 2];
  int rank = 0;

  if (!ovi_op_check_inputs (ctx, 3, 3, error))
    return OVI_INFER_ERROR;
  data = ctx->inputs[0];
  idx = ctx->inputs[1];
  upd = ctx->inputs[2];
  if (!is_data_type (data->dtype))
    return ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
        "type %s is not supported", ovi_dtype_name (data->dtype));
  if (!is_index_type (idx->dtype))
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "indices must be int64, not %s", ovi_dtype_name (idx->dtype));
  if (!check_reduction (ctx, error))
    return OVI_INFER_ERROR;
  if (upd->dtype != data->dtype)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "updates type %s differs from data type %s",
        ovi_dtype_name (upd->dtype), ovi_dtype_name (data->dtype));
  if (data->rank < 1 || idx->rank < 1)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "data and indices must have rank 1 or more");
  k = idx->dims[idx->rank - 1];
  if (k < 0 || k > data->rank)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "index tuples of %" G_GINT64_FORMAT " values do not fit data of "
        "rank %d", k, data->rank);
  for (int d = 0; d < idx->rank - 1; d++)
    dims[rank++] = idx->dims[d];
  for (int d = (int) k; d < data->rank; d++)
    dims[rank++] = data->dims[d];
  if (!ovi_shape_equal (rank, dims, upd->rank, upd->dims)) {
    char *want = ovi_shape_to_string (rank, dims);
    char *got = ovi_shape_to_string (upd->rank, upd->dims);
    ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "updates have shape %s, expected %s", got, want);
    g_free (want);
    g_free (got);
    return OVI_INFER_ERROR;
  }
  ovi_op_set_output (ctx, 0, data->dtype, data->rank, data->dims);
  return OVI_INFER_OK;
}

static OviInferResult
infer_onehot (OviOpCtx *ctx, GError **error)
{
  OviTensor *idx, *depth, *values;
  int64_t a, d, dims[OVI_MAX_RANK];
  int axis, rank = 0;

  if (!ovi_op_check_inputs (ctx, 3, 3, error))
    return OVI_INFER_ERROR;
  idx = ctx->inputs[0];
  depth = ctx->inputs[1];
  values = ctx->inputs[2];
  if (!is_data_type (idx->dtype) || !is_data_type (depth->dtype)
      || !is_data_type (values->dtype))
    return ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
        "input types are not supported");
  if (ovi_tensor_numel (values) != 2)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "values must hold 2 elements (off, on)");
  if (ovi_tensor_numel (depth) != 1)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "depth must hold 1 element");
  if (idx->rank + 1 > OVI_MAX_RANK)
    return ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
        "output rank exceeds %d", OVI_MAX_RANK);
  a = ovi_node_attr_int (ctx->node, "axis", -1);
  if (!ovi_op_axis (a, idx->rank + 1, &axis))
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "axis %" G_GINT64_FORMAT " is out of range for rank %d", a,
        idx->rank + 1);
  if (depth->data == NULL)
    return OVI_INFER_NEED_DATA;
  if (ovi_dtype_is_float (depth->dtype)) {
    double v = ovi_tensor_get_f64 (depth, 0);
    if (!(v >= 1 && v < 9e18))
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "depth %g must be 1 or more", v);
  }
  d = ovi_tensor_get_i64 (depth, 0);
  if (d < 1)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "depth %" G_GINT64_FORMAT " must be 1 or more", d);
  for (int i = 0; i < idx->rank + 1; i++) {
    if (i == axis)
      dims[rank++] = d;
    if (i < idx->rank)
      dims[rank++] = idx->dims[i];
  }
  ovi_op_set_output (ctx, 0, values->dtype, rank, dims);
  return OVI_INFER_OK;
}

static gboolean
is_nonzero (OviDType dt, const void *base, int64_t i)
{
  switch (dt) {
    case OVI_DTYPE_FLOAT32: return ((const float *) base)[i] != 0;
    case OVI_DTYPE_FLOAT64: return ((const double *) base)[i] != 0;
    case OVI_DTYPE_FLOAT16: case OVI_DTYPE_BFLOAT16:
      return (((const guint16 *) base)[i] & 0x7fff) != 0;
    default: return ovi_load_i64 (dt, base, i) != 0;
  }
}

static OviInferResult
infer_nonzero (OviOpCtx *ctx, GError **error)
{
  OviTensor *x;
  int64_t n, count = 0, dims[2];

  if (!ovi_op_check_inputs (ctx, 1, 1, error))
    return OVI_INFER_ERROR;
  x = ctx->inputs[0];
  if (!is_data_type (x->dtype))
    return ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
        "type %s is not supported", ovi_dtype_name (x->dtype));
  if (x->data == NULL)
    return OVI_INFER_NEED_DATA;
  n = ovi_tensor_numel (x);
  for (int64_t i = 0; i < n; i++)
    count += is_nonzero (x->dtype, x->data, i);
  dims[0] = x->rank;
  dims[1] = count;
  ovi_op_set_output (ctx, 0, OVI_DTYPE_INT64, 2, dims);
  return OVI_INFER_OK;
}

static OviInferResult
infer_compress (OviOpCtx *ctx, GError **error)
{
  OviTensor *x, *cond;
  int64_t n, len, count = 0, dims[OVI_MAX_RANK];
  int axis = -1;

  if (!ovi_op_check_inputs (ctx, 2, 2, error))
    return OVI_INFER_ERROR;
  x = ctx->inputs[0];
  cond = ctx->inputs[1];
  if (!is_data_type (x->dtype) || !is_data_type (cond->dtype))
    return ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
        "input types are not supported");
  if (cond->rank != 1)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "condition must have rank 1, not %d", cond->rank);
  if (x->rank < 1)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "input must have rank 1 or more");
  if (ovi_node_attr (ctx->node, "axis")) {
    int64_t a = ovi_node_attr_int (ctx->node, "axis", 0);
    if (!ovi_op_axis (a, x->rank, &axis))
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "axis %" G_GINT64_FORMAT " is out of range for rank %d", a,
          x->rank);
  }
  if (cond->data == NULL)
    return OVI_INFER_NEED_DATA;
  n = axis >= 0 ? x->dims[axis] : ovi_tensor_numel (x);
  len = cond->dims[0];
  for (int64_t i = 0; i < len; i++) {
    if (!is_nonzero (cond->dtype, cond->data, i))
      continue;
    if (i >= n)
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "condition selects index %" G_GINT64_FORMAT " of an axis of %"
          G_GINT64_FORMAT, i, n);
    count++;
  }
  if (axis < 0) {
    ovi_op_set_output (ctx, 0, x->dtype, 1, &count);
  } else {
    memcpy (dims, x->dims, sizeof (int64_t) * x->rank);
    dims[axis] = count;
    ovi_op_set_output (ctx, 0, x->dtype, x->rank, dims);
  }
  return OVI_INFER_OK;
}

static OviInferResult
infer_unique (OviOpCtx *ctx, GError **error)
{
  OviTensor *x;
  OviUniqueCmp c;
  int64_t *order, count = 0, dims[OVI_MAX_RANK];
  int axis = -1;

  if (!ovi_op_check_inputs (ctx, 1, 1, error))
    return OVI_INFER_ERROR;
  x = ctx->inputs[0];
  if (!is_data_type (x->dtype))
    return ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
        "type %s is not supported", ovi_dtype_name (x->dtype));
  if (ovi_node_attr (ctx->node, "axis")) {
    int64_t a = ovi_node_attr_int (ctx->node, "axis", 0);
    if (!ovi_op_axis (a, x->rank, &axis) || x->rank < 1)
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "axis %" G_GINT64_FORMAT " is out of range for rank %d", a,
          x->rank);
  }
  if (x->data == NULL)
    return OVI_INFER_NEED_DATA;

  order = g_new (int64_t, MAX (ovi_unique_items (x, axis), 1));
  ovi_unique_sort (x, axis, &c, order);
  for (int64_t i = 0; i < c.n; i++)
    if (i == 0 || ovi_unique_cmp_items (&c, order[i - 1], order[i]) != 0)
      count++;
  g_free (order);

  if (axis < 0) {
    ovi_op_set_output (ctx, 0, x->dtype, 1, &count);
  } else {
    memcpy (dims, x->dims, sizeof (int64_t) * x->rank);
    dims[axis] = count;
    ovi_op_set_output (ctx, 0, x->dtype, x->rank, dims);
  }
  ovi_op_set_output (ctx, 1, OVI_DTYPE_INT64, 1, &count);
  ovi_op_set_output (ctx, 2, OVI_DTYPE_INT64, 1, &c.n);
  ovi_op_set_output (ctx, 3, OVI_DTYPE_INT64, 1, &count);
  return OVI_INFER_OK;
}

static OviInferResult
infer_nms (OviOpCtx *ctx, GError **error)
{
  OviTensor *boxes, *scores;
  int64_t dims[2];
  int64_t center;

  if (!ovi_op_check_inputs (ctx, 2, 5, error))
    return OVI_INFER_ERROR;
  boxes = ctx->inputs[0];
  scores = ctx->inputs[1];
  if (!ovi_dtype_is_float (boxes->dtype)
      || !ovi_dtype_is_float (scores->dtype))
    return ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
        "boxes and scores must be float tensors");
  if (boxes->rank != 3 || boxes->dims[2] != 4)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "boxes must have shape [batches, boxes, 4]");
  if (scores->rank != 3 || scores->dims[0] != boxes->dims[0]
      || scores->dims[2] != boxes->dims[1])
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "scores must have shape [batches, classes, boxes] matching boxes");
  center = ovi_node_attr_int (ctx->node, "center_point_box", 0);
  if (center != 0 && center != 1)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "center_point_box must be 0 or 1, not %" G_GINT64_FORMAT, center);
  for (int i = 2; i < 5; i++) {
    OviTensor *t = ovi_op_input (ctx, i);
    if (t && ovi_tensor_numel (t) > 1)
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "input %d must be a scalar", i);
    if (t && i == 2 && !is_index_type (t->dtype))
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "max_output_boxes_per_class must be int64");
    if (t && i > 2 && !ovi_dtype_is_float (t->dtype))
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "input %d must be a float scalar", i);
  }
  for (int i = 0; i < 5; i++) {
    OviTensor *t = ovi_op_input (ctx, i);
    if (t && t->data == NULL)
      return OVI_INFER_NEED_DATA;
  }
  dims[0] = ovi_nms_select (ctx, NULL, NULL);
  dims[1] = 3;
  ovi_op_set_output (ctx, 0, OVI_DTYPE_INT64, 2, dims);
  return OVI_INFER_OK;
}

const OviOpDef ovi_ops_index[] = {
  { "Gather", infer_gather },
  { "GatherElements", infer_gather_elements },
  { "GatherND", infer_gather_nd },
  { "Scatter", infer_scatter_elements },
  { "ScatterElements", infer_scatter_elements },
  { "ScatterND", infer_scatter_nd },
  { "OneHot", infer_onehot },
  { "NonZero", infer_nonzero },
  { "Compress", infer_compress },
  { "Unique", infer_unique },
  { "NonMaxSuppression", infer_nms },
  { NULL }
};
