/* Shape inference for the tensor-sequence ops: SequenceEmpty,
 * SequenceConstruct, SequenceInsert, SequenceAt, SequenceErase,
 * SequenceLength, ConcatFromSequence, SplitToSequence.
 *
 * A sequence value is a rank-0 OVI_DTYPE_SEQUENCE tensor whose data (an
 * OviSequence) exists only at run time unless it is constant, so that
 * whatever depends on its contents (SequenceAt's shape, positions' range)
 * is checked when the data is there; kernels check again. */
#include <string.h>

#include "ops.h"

static gboolean
is_int_scalar (const OviTensor *t)
{
  return (t->dtype == OVI_DTYPE_INT64 || t->dtype == OVI_DTYPE_INT32)
      && ovi_tensor_numel (t) == 1 && t->rank <= 1;
}

/* Checks that input i is a sequence; returns its data (NULL when not
 * known yet) through *seq. */
static gboolean
sequence_input (OviOpCtx *ctx, int i, OviSequence **seq, GError **error)
{
  OviTensor *t = ovi_op_input (ctx, i);
  if (t == NULL || t->dtype != OVI_DTYPE_SEQUENCE) {
    ovi_op_error (ctx, error, OVI_ERROR_INVALID, "input %d is %s, not a "
        "sequence", i, t ? ovi_dtype_name (t->dtype) : "missing");
    return FALSE;
  }
  *seq = ovi_tensor_sequence (t);
  return TRUE;
}

/* A tensor input that may go into a sequence: any tensor type. */
static gboolean
element_input (OviOpCtx *ctx, int i, GError **error)
{
  OviTensor *t = ovi_op_input (ctx, i);
  if (t == NULL) {
    ovi_op_error (ctx, error, OVI_ERROR_INVALID, "input %d is missing", i);
    return FALSE;
  }
  if (t->dtype != OVI_DTYPE_STRING && !ovi_dtype_is_known (t->dtype)) {
    ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED, "input %d of type %s "
        "cannot go into a sequence", i, ovi_dtype_name (t->dtype));
    return FALSE;
  }
  return TRUE;
}

/* Optional position input i: an integer scalar. *known tells whether its
 * value is available (then in *pos). */
static gboolean
position_input (OviOpCtx *ctx, int i, gboolean *present, gboolean *known,
    int64_t *pos, GError **error)
{
  OviTensor *t = ovi_op_input (ctx, i);
  *present = t != NULL;
  *known = FALSE;
  if (t == NULL)
    return TRUE;
  if (!is_int_scalar (t)) {
    ovi_op_error (ctx, error, OVI_ERROR_INVALID, "position must be an "
        "int32 or int64 scalar, got %s of %" G_GINT64_FORMAT " elements",
        ovi_dtype_name (t->dtype), ovi_tensor_numel (t));
    return FALSE;
  }
  if (t->data) {
    *known = TRUE;
    *pos = ovi_tensor_get_i64 (t, 0);
  }
  return TRUE;
}

static gboolean
check_position (OviOpCtx *ctx, int64_t pos, int64_t lo, int64_t hi,
    GError **error)
{
  if (pos < lo || pos > hi) {
    ovi_op_error (ctx, error, OVI_ERROR_INVALID, "position %" G_GINT64_FORMAT
        " is out of range [%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT "]", pos,
        lo, hi);
    return FALSE;
  }
  return TRUE;
}

static void
set_sequence_output (OviOpCtx *ctx)
{
  ovi_op_set_output (ctx, 0, OVI_DTYPE_SEQUENCE, 0, NULL);
}

static OviInferResult
infer_sequence_empty (OviOpCtx *ctx, GError **error)
{
  int64_t dtype = ovi_node_attr_int (ctx->node, "dtype", OVI_DTYPE_FLOAT32);
  if (!ovi_op_check_inputs (ctx, 0, 0, error))
    return OVI_INFER_ERROR;
  if (dtype != OVI_DTYPE_STRING && (dtype < 0 || dtype > G_MAXINT
          || !ovi_dtype_is_known ((OviDType) dtype)))
    return ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
        "element type %" G_GINT64_FORMAT " is not supported", dtype);
  set_sequence_output (ctx);
  return OVI_INFER_OK;
}

static OviInferResult
infer_sequence_construct (OviOpCtx *ctx, GError **error)
{
  if (!ovi_op_check_inputs (ctx, 1, -1, error))
    return OVI_INFER_ERROR;
  for (int i = 0; i < ctx->n_inputs; i++) {
    if (!element_input (ctx, i, error))
      return OVI_INFER_ERROR;
    if (ctx->inputs[i]->dtype != ctx->inputs[0]->dtype)
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID, "input %d is %s, "
          "input 0 is %s", i, ovi_dtype_name (ctx->inputs[i]->dtype),
          ovi_dtype_name (ctx->inputs[0]->dtype));
  }
  set_sequence_output (ctx);
  return OVI_INFER_OK;
}

static OviInferResult
infer_sequence_insert (OviOpCtx *ctx, GError **error)
{
  OviSequence *seq;
  gboolean present, known;
  int64_t pos = 0;
  if (!ovi_op_check_inputs (ctx, 2, 3, error)
      || !sequence_input (ctx, 0, &seq, error)
      || !element_input (ctx, 1, error)
      || !position_input (ctx, 2, &present, &known, &pos, error))
    return OVI_INFER_ERROR;
  if (seq) {
    int64_t n = seq->items->len;
    if (seq->elem_dtype != OVI_DTYPE_UNDEFINED
        && seq->elem_dtype != ctx->inputs[1]->dtype)
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID, "cannot insert a "
          "%s tensor into a sequence of %s", ovi_dtype_name
          (ctx->inputs[1]->dtype), ovi_dtype_name (seq->elem_dtype));
    if (known && !check_position (ctx, pos, -n, n, error))
      return OVI_INFER_ERROR;
  }
  set_sequence_output (ctx);
  return OVI_INFER_OK;
}

static OviInferResult
infer_sequence_at (OviOpCtx *ctx, GError **error)
{
  OviSequence *seq;
  gboolean present, known;
  int64_t pos = 0, n;
  const OviTensor *item;
  if (!ovi_op_check_inputs (ctx, 2, 2, error)
      || !sequence_input (ctx, 0, &seq, error)
      || !position_input (ctx, 1, &present, &known, &pos, error))
    return OVI_INFER_ERROR;
  if (seq == NULL || !known)
    return OVI_INFER_NEED_DATA;
  n = seq->items->len;
  if (!check_position (ctx, pos, -n, n - 1, error))
    return OVI_INFER_ERROR;
  item = g_ptr_array_index (seq->items, pos < 0 ? pos + n : pos);
  ovi_op_set_output (ctx, 0, item->dtype, item->rank, item->dims);
  return OVI_INFER_OK;
}

static OviInferResult
infer_sequence_erase (OviOpCtx *ctx, GError **error)
{
  OviSequence *seq;
  gboolean present, known;
  int64_t pos = 0;
  if (!ovi_op_check_inputs (ctx, 1, 2, error)
      || !sequence_input (ctx, 0, &seq, error)
      || !position_input (ctx, 1, &present, &known, &pos, error))
    return OVI_INFER_ERROR;
  if (seq) {
    int64_t n = seq->items->len;
    if (n == 0)
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "cannot erase from an empty sequence");
    if (known && !check_position (ctx, pos, -n, n - 1, error))
      return OVI_INFER_ERROR;
  }
  set_sequence_output (ctx);
  return OVI_INFER_OK;
}

static OviInferResult
infer_sequence_length (OviOpCtx *ctx, GError **error)
{
  OviSequence *seq;
  if (!ovi_op_check_inputs (ctx, 1, 1, error)
      || !sequence_input (ctx, 0, &seq, error))
    return OVI_INFER_ERROR;
  ovi_op_set_output (ctx, 0, OVI_DTYPE_INT64, 0, NULL);
  return OVI_INFER_OK;
}

static OviInferResult
infer_concat_from_sequence (OviOpCtx *ctx, GError **error)
{
  OviSequence *seq;
  const OviAttr *axis_attr = ovi_node_attr (ctx->node, "axis");
  int64_t new_axis = ovi_node_attr_int (ctx->node, "new_axis", 0);
  int64_t axis, dims[OVI_MAX_RANK];
  const OviTensor *first;
  int rank, out_rank;

  if (!ovi_op_check_inputs (ctx, 1, 1, error)
      || !sequence_input (ctx, 0, &seq, error))
    return OVI_INFER_ERROR;
  if (axis_attr == NULL || axis_attr->type != OVI_ATTR_INT)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "attribute 'axis' is required");
  if (new_axis != 0 && new_axis != 1)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "new_axis must be 0 or 1, got %" G_GINT64_FORMAT, new_axis);
  if (seq == NULL)
    return OVI_INFER_NEED_DATA;
  if (seq->items->len == 0)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "cannot concatenate an empty sequence");
  first = g_ptr_array_index (seq->items, 0);
  rank = first->rank;
  out_rank = rank + (int) new_axis;
  axis = axis_attr->i;
  if (out_rank > OVI_MAX_RANK)
    return ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
        "output rank %d is more than %d", out_rank, OVI_MAX_RANK);
  if (rank + new_axis == 0 || axis < -out_rank || axis >= out_rank)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID, "axis %"
        G_GINT64_FORMAT " is out of range for elements of rank %d", axis,
        rank);
  if (axis < 0)
    axis += out_rank;
  for (int d = 0, s = 0; d < out_rank; d++) {
    if (new_axis && d == axis)
      dims[d] = seq->items->len;
    else
      dims[d] = first->dims[s++];
  }
  for (guint i = 1; i < seq->items->len; i++) {
    const OviTensor *t = g_ptr_array_index (seq->items, i);
    if (t->dtype != first->dtype || t->rank != rank)
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID, "element %u is %s "
          "of rank %d, element 0 is %s of rank %d", i,
          ovi_dtype_name (t->dtype), t->rank, ovi_dtype_name (first->dtype),
          rank);
    for (int d = 0; d < rank; d++) {
      if (!new_axis && d == axis)
        continue;
      if (t->dims[d] != first->dims[d])
        return ovi_op_error (ctx, error, OVI_ERROR_INVALID, "element %u "
            "differs from element 0 in dimension %d", i, d);
    }
    if (!new_axis) {
      if (dims[axis] > G_MAXINT64 - t->dims[axis])
        return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
            "output is too large");
      dims[axis] += t->dims[axis];
    }
  }
  ovi_op_set_output (ctx, 0, first->dtype, out_rank, dims);
  return OVI_INFER_OK;
}

static OviInferResult
infer_split_to_sequence (OviOpCtx *ctx, GError **error)
{
  OviTensor *x, *split;
  int axis;
  if (!ovi_op_check_inputs (ctx, 1, 2, error)
      || !element_input (ctx, 0, error))
    return OVI_INFER_ERROR;
  x = ctx->inputs[0];
  if (x->rank < 1
      || !ovi_op_axis (ovi_node_attr_int (ctx->node, "axis", 0), x->rank,
          &axis))
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID, "axis %"
        G_GINT64_FORMAT " is out of range for rank %d",
        ovi_node_attr_int (ctx->node, "axis", 0), x->rank);
  split = ovi_op_input (ctx, 1);
  if (split) {
    if ((split->dtype != OVI_DTYPE_INT64 && split->dtype != OVI_DTYPE_INT32)
        || split->rank > 1)
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID, "split must be an "
          "int32 or int64 scalar or vector");
    if (split->data) {
      int64_t n = ovi_tensor_numel (split), sum = 0;
      if (split->rank == 0 && ovi_tensor_get_i64 (split, 0) <= 0)
        return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
            "a scalar split must be positive");
      if (split->rank == 1) {
        for (int64_t i = 0; i < n; i++) {
          int64_t v = ovi_tensor_get_i64 (split, i);
          if (v < 0 || v > x->dims[axis] - sum)
            return ovi_op_error (ctx, error, OVI_ERROR_INVALID, "split "
                "values must be non-negative and sum to %" G_GINT64_FORMAT,
                x->dims[axis]);
          sum += v;
        }
        if (sum != x->dims[axis])
          return ovi_op_error (ctx, error, OVI_ERROR_INVALID, "split values "
              "sum to %" G_GINT64_FORMAT ", dimension %d is %"
              G_GINT64_FORMAT, sum, axis, x->dims[axis]);
      }
    }
  }
  set_sequence_output (ctx);
  return OVI_INFER_OK;
}

const OviOpDef ovi_ops_sequence[] = {
  { "SequenceEmpty", infer_sequence_empty },
  { "SequenceConstruct", infer_sequence_construct },
  { "SequenceInsert", infer_sequence_insert },
  { "SequenceAt", infer_sequence_at },
  { "SequenceErase", infer_sequence_erase },
  { "SequenceLength", infer_sequence_length },
  { "ConcatFromSequence", infer_concat_from_sequence },
  { "SplitToSequence", infer_split_to_sequence },
  { NULL }
};
