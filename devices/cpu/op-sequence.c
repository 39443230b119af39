/* CPU kernels for the tensor-sequence ops. Sequences own their elements:
 * every op that builds one copies the tensors it puts in (deeply for
 * strings), so no two values ever share memory. Positions and shapes are
 * checked again here: shape inference ran on the same data, but a kernel
 * must never index out of bounds whatever it is given. */
#include <string.h>

#include "cpu-ops.h"

static gboolean run_error (OviOpCtx *ctx, GError **error,
    const char *format, ...) G_GNUC_PRINTF (3, 4);

static gboolean
run_error (OviOpCtx *ctx, GError **error, const char *format, ...)
{
  va_list args;
  char *msg;
  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);
  ovi_op_error (ctx, error, OVI_ERROR_INVALID, "%s", msg);
  g_free (msg);
  return FALSE;
}

/* The sequence of input i, or NULL with an error. */
static OviSequence *
get_sequence (OviOpCtx *ctx, int i, GError **error)
{
  OviSequence *seq = ovi_tensor_sequence (ovi_op_input (ctx, i));
  if (seq == NULL)
    run_error (ctx, error, "input %d is not a sequence", i);
  return seq;
}

static OviSequence *
out_sequence (OviOpCtx *ctx, GError **error)
{
  OviSequence *seq = ovi_tensor_sequence (ovi_op_output (ctx, 0));
  if (seq == NULL)
    run_error (ctx, error, "output 0 is not a sequence");
  return seq;
}

/* Reads optional position input i normalized into [0, n - 1 + extra];
 * `fallback` when absent. */
static gboolean
get_position (OviOpCtx *ctx, int i, int64_t n, int64_t extra,
    int64_t fallback, int64_t *pos, GError **error)
{
  OviTensor *t = ovi_op_input (ctx, i);
  int64_t p;
  if (t == NULL) {
    *pos = fallback;
    return TRUE;
  }
  if ((t->dtype != OVI_DTYPE_INT64 && t->dtype != OVI_DTYPE_INT32)
      || ovi_tensor_numel (t) != 1 || t->data == NULL)
    return run_error (ctx, error, "position must be an integer scalar");
  p = ovi_tensor_get_i64 (t, 0);
  if (p < -n || p > n - 1 + extra)
    return run_error (ctx, error, "position %" G_GINT64_FORMAT " is out of "
        "range for a sequence of %" G_GINT64_FORMAT, p, n);
  *pos = p < 0 ? p + n : p;
  return TRUE;
}

static gboolean
append_copy (OviOpCtx *ctx, OviSequence *dst, const OviTensor *t,
    GError **error)
{
  OviTensor *c = ovi_tensor_copy (t);
  if (c == NULL)
    return run_error (ctx, error, "cannot copy a %s tensor into the "
        "sequence", ovi_dtype_name (t->dtype));
  g_ptr_array_add (dst->items, c);
  return TRUE;
}

static gboolean
run_sequence_empty (OviOpCtx *ctx, GError **error)
{
  OviSequence *out = out_sequence (ctx, error);
  if (out == NULL)
    return FALSE;
  out->elem_dtype = (OviDType) ovi_node_attr_int (ctx->node, "dtype",
      OVI_DTYPE_FLOAT32);
  return TRUE;
}

static gboolean
run_sequence_construct (OviOpCtx *ctx, GError **error)
{
  OviSequence *out = out_sequence (ctx, error);
  if (out == NULL)
    return FALSE;
  for (int i = 0; i < ctx->n_inputs; i++)
    if (ctx->inputs[i] == NULL || !append_copy (ctx, out, ctx->inputs[i],
            error))
      return FALSE;
  out->elem_dtype = ctx->inputs[0]->dtype;
  return TRUE;
}

static gboolean
run_sequence_insert (OviOpCtx *ctx, GError **error)
{
  OviSequence *seq = get_sequence (ctx, 0, error), *out;
  OviTensor *x = ovi_op_input (ctx, 1);
  int64_t n, pos;
  if (seq == NULL || (out = out_sequence (ctx, error)) == NULL)
    return FALSE;
  if (x == NULL || (seq->elem_dtype != OVI_DTYPE_UNDEFINED
          && seq->elem_dtype != x->dtype))
    return run_error (ctx, error, "the tensor's type %s differs from the "
        "sequence's", x ? ovi_dtype_name (x->dtype) : "(none)");
  n = seq->items->len;
  if (!get_position (ctx, 2, n, 1, n, &pos, error))
    return FALSE;
  for (int64_t i = 0; i <= n; i++) {
    const OviTensor *t = i == pos ? x
        : g_ptr_array_index (seq->items, i < pos ? i : i - 1);
    if (!append_copy (ctx, out, t, error))
      return FALSE;
  }
  out->elem_dtype = x->dtype;
  return TRUE;
}

static gboolean
run_sequence_at (OviOpCtx *ctx, GError **error)
{
  OviSequence *seq = get_sequence (ctx, 0, error);
  OviTensor *y = ctx->outputs[0];
  const OviTensor *item;
  int64_t pos;
  if (ovi_op_input (ctx, 1) == NULL)
    return run_error (ctx, error, "position is missing");
  if (seq == NULL
      || !get_position (ctx, 1, seq->items->len, 0, 0, &pos, error))
    return FALSE;
  item = g_ptr_array_index (seq->items, pos);
  if (y->dtype != item->dtype
      || !ovi_shape_equal (y->rank, y->dims, item->rank, item->dims))
    return run_error (ctx, error, "output does not match the element");
  if (item->data && !ovi_tensor_copy_elements (y, 0, item, 0,
          ovi_tensor_numel (item)))
    return run_error (ctx, error, "cannot copy a %s element",
        ovi_dtype_name (item->dtype));
  return TRUE;
}

static gboolean
run_sequence_erase (OviOpCtx *ctx, GError **error)
{
  OviSequence *seq = get_sequence (ctx, 0, error), *out;
  int64_t n, pos;
  if (seq == NULL || (out = out_sequence (ctx, error)) == NULL)
    return FALSE;
  n = seq->items->len;
  if (n == 0)
    return run_error (ctx, error, "cannot erase from an empty sequence");
  if (!get_position (ctx, 1, n, 0, n - 1, &pos, error))
    return FALSE;
  for (int64_t i = 0; i < n; i++)
    if (i != pos && !append_copy (ctx, out,
            g_ptr_array_index (seq->items, i), error))
      return FALSE;
  out->elem_dtype = seq->elem_dtype;
  return TRUE;
}

static gboolean
run_sequence_length (OviOpCtx *ctx, GError **error)
{
  OviSequence *seq = get_sequence (ctx, 0, error);
  OviTensor *y = ctx->outputs[0];
  if (seq == NULL)
    return FALSE;
  if (y->dtype != OVI_DTYPE_INT64 || ovi_tensor_numel (y) != 1)
    return run_error (ctx, error, "output must be an int64 scalar");
  ((int64_t *) y->data)[0] = seq->items->len;
  return TRUE;
}

/* Elements before `axis` (outer) and from it on (block) of a shape. */
static void
split_at (const int64_t *dims, int rank, int axis, int64_t *outer,
    int64_t *block)
{
  *outer = 1;
  *block = 1;
  for (int d = 0; d < rank; d++) {
    if (d < axis)
      *outer *= dims[d];
    else
      *block *= dims[d];
  }
}

static gboolean
run_concat_from_sequence (OviOpCtx *ctx, GError **error)
{
  OviSequence *seq = get_sequence (ctx, 0, error);
  OviTensor *y = ctx->outputs[0];
  int64_t new_axis = ovi_node_attr_int (ctx->node, "new_axis", 0) != 0;
  int64_t axis = ovi_node_attr_int (ctx->node, "axis", 0);
  int64_t outer = 0, total = 0, offset = 0;
  const OviTensor *first;

  if (seq == NULL)
    return FALSE;
  if (seq->items->len == 0)
    return run_error (ctx, error, "cannot concatenate an empty sequence");
  first = g_ptr_array_index (seq->items, 0);
  if (y->rank != first->rank + new_axis || axis < -y->rank
      || axis >= y->rank)
    return run_error (ctx, error, "output does not match the elements");
  if (axis < 0)
    axis += y->rank;
  /* Every element must agree with the output outside the axis, and the
   * blocks must fill the output exactly. */
  for (guint i = 0; i < seq->items->len; i++) {
    const OviTensor *t = g_ptr_array_index (seq->items, i);
    int64_t o, b;
    if (t->dtype != y->dtype || t->rank != first->rank
        || (ovi_tensor_numel (t) > 0 && t->data == NULL))
      return run_error (ctx, error, "element %u does not match the output's "
          "type", i);
    for (int d = 0, s = 0; d < y->rank; d++) {
      if (new_axis && d == axis)
        continue;
      if ((d != axis || new_axis) && t->dims[s] != y->dims[d])
        return run_error (ctx, error, "element %u does not match the "
            "output's shape", i);
      s++;
    }
    split_at (t->dims, t->rank, (int) axis, &o, &b);
    if (i == 0)
      outer = o;
    total += b;
  }
  if (outer * total != ovi_tensor_numel (y))
    return run_error (ctx, error, "output size does not match the "
        "elements'");
  for (int64_t o = 0; o < outer; o++) {
    for (guint i = 0; i < seq->items->len; i++) {
      const OviTensor *t = g_ptr_array_index (seq->items, i);
      int64_t ob, b;
      split_at (t->dims, t->rank, (int) axis, &ob, &b);
      if (!ovi_tensor_copy_elements (y, offset, t, o * b, b))
        return run_error (ctx, error, "cannot copy %s elements",
            ovi_dtype_name (t->dtype));
      offset += b;
    }
  }
  return TRUE;
}

static gboolean
run_split_to_sequence (OviOpCtx *ctx, GError **error)
{
  OviTensor *x = ctx->inputs[0], *split = ovi_op_input (ctx, 1);
  OviSequence *out = out_sequence (ctx, error);
  gboolean keepdims = ovi_node_attr_int (ctx->node, "keepdims", 1) != 0;
  int64_t outer = 1, inner = 1, len, n_chunks, chunk = 1, start = 0;
  int axis;

  if (out == NULL)
    return FALSE;
  if (x->rank < 1 || !ovi_op_axis (ovi_node_attr_int (ctx->node, "axis", 0),
          x->rank, &axis))
    return run_error (ctx, error, "axis is out of range");
  if (ovi_tensor_numel (x) > 0 && x->data == NULL)
    return run_error (ctx, error, "input 0 has no data");
  for (int d = 0; d < x->rank; d++) {
    if (d < axis)
      outer *= x->dims[d];
    else if (d > axis)
      inner *= x->dims[d];
  }
  len = x->dims[axis];
  if (split) {
    keepdims = TRUE;
    if ((split->dtype != OVI_DTYPE_INT64 && split->dtype != OVI_DTYPE_INT32)
        || split->rank > 1 || split->data == NULL)
      return run_error (ctx, error, "split must be an integer scalar or "
          "vector");
  }
  if (split && split->rank == 1) {
    int64_t sum = 0;
    n_chunks = ovi_tensor_numel (split);
    for (int64_t i = 0; i < n_chunks; i++) {
      int64_t v = ovi_tensor_get_i64 (split, i);
      if (v < 0 || v > len - sum)
        return run_error (ctx, error, "split values must be non-negative "
            "and sum to the axis' length");
      sum += v;
    }
    if (sum != len)
      return run_error (ctx, error, "split values must sum to the axis' "
          "length");
  } else {
    if (split) {
      chunk = ovi_tensor_get_i64 (split, 0);
      if (chunk <= 0)
        return run_error (ctx, error, "split must be positive");
    }
    n_chunks = len / chunk + (len % chunk != 0);
  }
  out->elem_dtype = x->dtype;
  for (int64_t i = 0; i < n_chunks; i++) {
    int64_t l = split && split->rank == 1 ? ovi_tensor_get_i64 (split, i)
        : MIN (chunk, len - start);
    int64_t dims[OVI_MAX_RANK];
    int rank = 0;
    OviTensor *t;
    for (int d = 0; d < x->rank; d++) {
      if (d != axis)
        dims[rank++] = x->dims[d];
      else if (keepdims)
        dims[rank++] = l;
    }
    t = ovi_tensor_new (x->dtype, rank, dims);
    if (t == NULL)
      return run_error (ctx, error, "cannot allocate a %s chunk",
          ovi_dtype_name (x->dtype));
    g_ptr_array_add (out->items, t);
    for (int64_t o = 0; o < outer; o++)
      if (!ovi_tensor_copy_elements (t, o * l * inner, x,
              (o * len + start) * inner, l * inner))
        return run_error (ctx, error, "cannot copy %s elements",
            ovi_dtype_name (x->dtype));
    start += l;
  }
  return TRUE;
}

const OviCpuKernel ovi_cpu_sequence[] = {
  { "SequenceEmpty", run_sequence_empty },
  { "SequenceConstruct", run_sequence_construct },
  { "SequenceInsert", run_sequence_insert },
  { "SequenceAt", run_sequence_at },
  { "SequenceErase", run_sequence_erase },
  { "SequenceLength", run_sequence_length },
  { "ConcatFromSequence", run_concat_from_sequence },
  { "SplitToSequence", run_split_to_sequence },
  { NULL }
};
