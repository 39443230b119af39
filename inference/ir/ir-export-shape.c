/* ONNX -> IR: ops that reshape, reorder, slice, pad, join or split
 * tensors, and Shape/Size. */
#include <string.h>

#include "ir-private.h"

static gboolean
export_reshape (OviIrWriter *w, const OviNode *n, GError **error)
{
  OviIrTap ab[2];
  OviIrTap out = ovi_ir_node_out_shape (w, n, 0);
  GString *d = ovi_ir_data_new ();
  ab[0] = ovi_ir_node_in (w, n, 0);
  if (out.rank >= 0) {
    ab[1] = ovi_ir_emit_i64s (w, out.rank, out.dims);
    ovi_ir_data_bool (d, "special_zero", FALSE);
  } else if (strcmp (n->op_type, "Reshape") == 0 && ovi_ir_node_has_in (n, 1)) {
    ab[1] = ovi_ir_node_in (w, n, 1);
    ovi_ir_data_bool (d, "special_zero",
        ovi_node_attr_int (n, "allowzero", 0) == 0);
  } else {
    g_string_free (d, TRUE);
    return ovi_ir_node_fail (w, n, error, OVI_ERROR_UNSUPPORTED,
        "output shape unknown at conversion time");
  }
  ovi_ir_emit_final (w, n, "Reshape", "opset1", d, 2, ab, 0, NULL);
  return TRUE;
}

static gboolean
export_transpose (OviIrWriter *w, const OviNode *n, GError **error)
{
  const int64_t *perm;
  int np = ovi_node_attr_ints (n, "perm", &perm);
  OviIrTap ab[2];
  ab[0] = ovi_ir_node_in (w, n, 0);
  if (np < 0) {
    int64_t rev[OVI_MAX_RANK];
    if (ab[0].rank < 0)
      return ovi_ir_node_fail (w, n, error, OVI_ERROR_UNSUPPORTED,
          "unknown rank");
    for (int i = 0; i < ab[0].rank; i++)
      rev[i] = ab[0].rank - 1 - i;
    ab[1] = ovi_ir_emit_i64s (w, ab[0].rank, rev);
  } else {
    ab[1] = ovi_ir_emit_i64s (w, np, perm);
  }
  ovi_ir_emit_final (w, n, "Transpose", "opset1", NULL, 2, ab, 0, NULL);
  return TRUE;
}

static gboolean
export_concat (OviIrWriter *w, const OviNode *n, GError **error)
{
  OviIrTap *ins = g_new (OviIrTap, MAX (n->n_inputs, 1));
  int k = 0;
  OviIrTap out = ovi_ir_node_out_shape (w, n, 0);
  GString *d = ovi_ir_data_new ();
  int64_t axis = ovi_node_attr_int (n, "axis", 0);
  for (int i = 0; i < n->n_inputs; i++)
    if (ovi_ir_node_has_in (n, i))
      ins[k++] = ovi_ir_node_in (w, n, i);
  if (out.rank > 0)
    axis = ovi_ir_norm_axis (axis, out.rank);
  ovi_ir_data_int (d, "axis", axis);
  ovi_ir_emit_final (w, n, "Concat", "opset1", d, k, ins, 0, NULL);
  g_free (ins);
  return TRUE;
}

static gboolean
export_split (OviIrWriter *w, const OviNode *n, GError **error)
{
  OviIrTap ins[3], outs[16];
  int64_t lengths[16];
  OviIrTap x = ovi_ir_node_in (w, n, 0);
  int axis;
  gboolean static_shapes = TRUE;
  if (n->n_outputs > 16 || x.rank < 0)
    return ovi_ir_node_unsupported (w, n, error, "this Split");
  axis = ovi_ir_norm_axis (ovi_node_attr_int (n, "axis", 0), x.rank);
  if (axis < 0 || axis >= x.rank)
    return ovi_ir_node_fail (w, n, error, OVI_ERROR_INVALID,
        "axis out of range");
  for (int k = 0; k < n->n_outputs; k++) {
    if (!ovi_ir_node_has_out (n, k))
      return ovi_ir_node_unsupported (w, n, error,
          "Split with an omitted output");
    outs[k] = ovi_ir_node_out_shape (w, n, k);
    if (outs[k].rank != x.rank)
      static_shapes = FALSE;
    else
      lengths[k] = outs[k].dims[axis];
  }
  ins[0] = x;
  ins[1] = ovi_ir_emit_i64 (w, axis);
  if (static_shapes) {
    ins[2] = ovi_ir_emit_i64s (w, n->n_outputs, lengths);
  } else if (w->opset >= 13 && ovi_ir_node_has_in (n, 1)) {
    ins[2] = ovi_ir_node_in (w, n, 1);
  } else if (w->opset < 13 && ovi_node_attr (n, "split")) {
    int cnt;
    if (!ovi_ir_node_ints (w, n, "split", 99, 16, &cnt, lengths, error))
      return FALSE;
    ins[2] = ovi_ir_emit_i64s (w, cnt, lengths);
  } else {
    GString *d = ovi_ir_data_new ();
    ovi_ir_data_int (d, "num_splits", n->n_outputs);
    ovi_ir_emit_final (w, n, "Split", "opset1", d, 2, ins, n->n_outputs, outs);
    return TRUE;
  }
  ovi_ir_emit_final (w, n, "VariadicSplit", "opset1", NULL, 3, ins,
      n->n_outputs, outs);
  return TRUE;
}

static gboolean
export_squeeze (OviIrWriter *w, const OviNode *n, GError **error)
{
  gboolean squeeze = strcmp (n->op_type, "Squeeze") == 0;
  int64_t axes[OVI_MAX_RANK];
  int na;
  OviIrTap ab[2];
  OviIrTap out = ovi_ir_node_out_shape (w, n, 0);
  if (out.rank >= 0)
    return export_reshape (w, n, error);
  ab[0] = ovi_ir_node_in (w, n, 0);
  if (ovi_ir_node_has_in (n, 1) && ovi_ir_node_in_const (w, n, 1) == NULL) {
    ab[1] = ovi_ir_node_in (w, n, 1);
    ovi_ir_emit_final (w, n, squeeze ? "Squeeze" : "Unsqueeze", "opset1", NULL,
        2, ab, 0, NULL);
    return TRUE;
  }
  if (!ovi_ir_node_ints (w, n, "axes", 1, OVI_MAX_RANK, &na, axes, error))
    return FALSE;
  if (na < 0) {
    if (!squeeze)
      return ovi_ir_node_fail (w, n, error, OVI_ERROR_INVALID, "has no axes");
    ovi_ir_emit_final (w, n, "Squeeze", "opset1", NULL, 1, ab, 0, NULL);
    return TRUE;
  }
  ab[1] = ovi_ir_emit_i64s (w, na, axes);
  ovi_ir_emit_final (w, n, squeeze ? "Squeeze" : "Unsqueeze", "opset1", NULL, 2,
      ab, 0, NULL);
  return TRUE;
}

static gboolean
export_expand (OviIrWriter *w, const OviNode *n, GError **error)
{
  OviIrTap ab[2];
  OviIrTap out = ovi_ir_node_out_shape (w, n, 0);
  GString *d = ovi_ir_data_new ();
  ab[0] = ovi_ir_node_in (w, n, 0);
  if (out.rank >= 0) {
    ab[1] = ovi_ir_emit_i64s (w, out.rank, out.dims);
    ovi_ir_data_str (d, "mode", "numpy");
  } else {
    ab[1] = ovi_ir_node_in (w, n, 1);
    ovi_ir_data_str (d, "mode", "bidirectional");
  }
  ovi_ir_emit_final (w, n, "Broadcast", "opset3", d, 2, ab, 0, NULL);
  return TRUE;
}

static gboolean
export_constant_of_shape (OviIrWriter *w, const OviNode *n, GError **error)
{
  OviIrTap ab[2];
  const OviAttr *a = ovi_node_attr (n, "value");
  OviDType t = ovi_graph_value (w->g, n->outputs[0])->dtype;
  GString *d = ovi_ir_data_new ();
  if (a && a->t && ovi_tensor_numel (a->t) == 1)
    ab[0] = ovi_ir_emit_const (w, a->t->dtype, 0, NULL, a->t->data, NULL);
  else
    ab[0] = ovi_ir_emit_scalar (w, t, 0, FALSE);
  ab[1] = ovi_ir_node_in (w, n, 0);
  ovi_ir_data_str (d, "mode", "numpy");
  ovi_ir_emit_final (w, n, "Broadcast", "opset3", d, 2, ab, 0, NULL);
  return TRUE;
}

static gboolean
export_tile (OviIrWriter *w, const OviNode *n, GError **error)
{
  OviIrTap ab[2] = { ovi_ir_node_in (w, n, 0), ovi_ir_node_in (w, n, 1) };
  ovi_ir_emit_final (w, n, "Tile", "opset1", NULL, 2, ab, 0, NULL);
  return TRUE;
}

static gboolean
export_shape (OviIrWriter *w, const OviNode *n, GError **error)
{
  OviIrTap x = ovi_ir_node_in (w, n, 0);
  GString *d = ovi_ir_data_new ();
  int64_t start = ovi_node_attr_int (n, "start", 0);
  const OviAttr *end = ovi_node_attr (n, "end");
  ovi_ir_data_str (d, "output_type", "i64");
  if (start == 0 && end == NULL) {
    ovi_ir_emit_final (w, n, "ShapeOf", "opset3", d, 1, &x, 0, NULL);
    return TRUE;
  }
  {
    OviIrTap s = ovi_ir_emit_op1 (w, "ShapeOf", "opset3", d, x,
        ovi_ir_shape_tap (OVI_DTYPE_INT64, 1, (int64_t[]) { x.rank }));
    int64_t e = end ? end->i : G_MAXINT64, one = 1;
    OviIrTap ins[4] = { s, ovi_ir_emit_i64s (w, 1, &start),
      ovi_ir_emit_i64s (w, 1, &e), ovi_ir_emit_i64s (w, 1, &one) };
    ovi_ir_emit_final (w, n, "Slice", "opset8", NULL, 4, ins, 0, NULL);
  }
  return TRUE;
}

static gboolean
export_size (OviIrWriter *w, const OviNode *n, GError **error)
{
  OviIrTap x = ovi_ir_node_in (w, n, 0), ab[2];
  GString *d = ovi_ir_data_new ();
  int64_t zero = 0;
  ovi_ir_data_str (d, "output_type", "i64");
  ab[0] = ovi_ir_emit_op1 (w, "ShapeOf", "opset3", d, x,
      ovi_ir_shape_tap (OVI_DTYPE_INT64, 1, (int64_t[]) { x.rank }));
  ab[1] = ovi_ir_emit_i64s (w, 1, &zero);
  d = ovi_ir_data_new ();
  ovi_ir_data_bool (d, "keep_dims", FALSE);
  ovi_ir_emit_final (w, n, "ReduceProd", "opset1", d, 2, ab, 0, NULL);
  return TRUE;
}

static gboolean
export_slice (OviIrWriter *w, const OviNode *n, GError **error)
{
  OviIrTap ins[5];
  int n_in = 4;
  ins[0] = ovi_ir_node_in (w, n, 0);
  if (w->opset < 10) {
    int64_t v[3][OVI_MAX_RANK];
    int cnt[3];
    static const char *const names[3] = { "starts", "ends", "axes" };
    for (int i = 0; i < 3; i++) {
      const int64_t *a;
      cnt[i] = ovi_node_attr_ints (n, names[i], &a);
      if (cnt[i] > OVI_MAX_RANK)
        return ovi_ir_node_fail (w, n, error, OVI_ERROR_INVALID, "too many %s",
            names[i]);
      if (cnt[i] > 0)
        memcpy (v[i], a, sizeof (int64_t) * cnt[i]);
    }
    if (cnt[0] < 0 || cnt[1] != cnt[0])
      return ovi_ir_node_fail (w, n, error, OVI_ERROR_INVALID,
          "bad starts/ends");
    ins[1] = ovi_ir_emit_i64s (w, cnt[0], v[0]);
    ins[2] = ovi_ir_emit_i64s (w, cnt[1], v[1]);
    {
      int64_t ones[OVI_MAX_RANK];
      for (int i = 0; i < cnt[0]; i++)
        ones[i] = 1;
      ins[3] = ovi_ir_emit_i64s (w, cnt[0], ones);
    }
    if (cnt[2] >= 0) {
      ins[4] = ovi_ir_emit_i64s (w, cnt[2], v[2]);
      n_in = 5;
    }
  } else {
    const OviValue *st = ovi_ir_node_in_value (w, n, 1);
    ins[1] = ovi_ir_node_in (w, n, 1);
    ins[2] = ovi_ir_node_in (w, n, 2);
    if (ovi_ir_node_has_in (n, 4)) {
      ins[3] = ovi_ir_node_in (w, n, 4);
    } else {
      /* Steps default to 1: same length as starts. */
      int64_t len = st->rank == 1 ? st->dims[0] : -1;
      if (len < 0 || len > OVI_MAX_RANK)
        return ovi_ir_node_fail (w, n, error, OVI_ERROR_UNSUPPORTED,
            "starts of unknown length");
      {
        guint8 ones[OVI_MAX_RANK * 8];
        for (int i = 0; i < len; i++)
          ovi_store_i64 (st->dtype, ones, i, 1);
        ins[3] = ovi_ir_emit_const (w, st->dtype, 1, &len, ones, NULL);
      }
    }
    if (ovi_ir_node_has_in (n, 3)) {
      ins[4] = ovi_ir_node_in (w, n, 3);
      n_in = 5;
    }
  }
  ovi_ir_emit_final (w, n, "Slice", "opset8", NULL, n_in, ins, 0, NULL);
  return TRUE;
}

static gboolean
export_pad (OviIrWriter *w, const OviNode *n, GError **error)
{
  const char *mode = ovi_node_attr_string (n, "mode", "constant");
  int64_t pads[2 * OVI_MAX_RANK], full[2 * OVI_MAX_RANK];
  int64_t axes[OVI_MAX_RANK];
  int np, na = -1, rank;
  OviIrTap ins[4];
  GString *d;
  ins[0] = ovi_ir_node_in (w, n, 0);
  rank = ins[0].rank;
  if (rank < 0)
    return ovi_ir_node_fail (w, n, error, OVI_ERROR_UNSUPPORTED,
        "unknown rank");
  if (strcmp (mode, "constant") != 0 && strcmp (mode, "edge") != 0
      && strcmp (mode, "reflect") != 0)
    return ovi_ir_node_unsupported (w, n, error, "this pad mode");
  if (w->opset >= 11 && ovi_ir_node_in_const (w, n, 1) == NULL
      && (!ovi_ir_node_has_in (n, 3)
          || ovi_ir_node_in_const (w, n, 3) == NULL)) {
    /* Computed pads (all axes): begin and end halves by slicing. */
    int64_t zero = 0, r = rank, r2 = 2 * rank, one = 1;
    OviIrTap p = ovi_ir_node_in (w, n, 1);
    OviIrTap half = ovi_ir_shape_tap (p.dtype, 1, &r);
    OviIrTap s1[4] = { p, ovi_ir_emit_i64s (w, 1, &zero),
      ovi_ir_emit_i64s (w, 1, &r), ovi_ir_emit_i64s (w, 1, &one) };
    OviIrTap s2[4] = { p, ovi_ir_emit_i64s (w, 1, &r),
      ovi_ir_emit_i64s (w, 1, &r2), ovi_ir_emit_i64s (w, 1, &one) };
    if (ovi_ir_node_has_in (n, 3))
      return ovi_ir_node_unsupported (w, n, error, "Pad with computed axes");
    ins[1] = ovi_ir_emit_op (w, "Slice", "opset8", NULL, 4, s1, half);
    ins[2] = ovi_ir_emit_op (w, "Slice", "opset8", NULL, 4, s2, half);
    d = ovi_ir_data_new ();
    ovi_ir_data_str (d, "pad_mode", mode);
    if (strcmp (mode, "constant") == 0) {
      if (ovi_ir_node_has_in (n, 2)) {
        GString *rd = ovi_ir_data_new ();
        ovi_ir_data_bool (rd, "special_zero", FALSE);
        ins[3] = ovi_ir_emit_op2 (w, "Reshape", "opset1", rd,
            ovi_ir_node_in (w, n, 2), ovi_ir_emit_i64s (w, 0, NULL),
            ovi_ir_shape_tap (ins[0].dtype, 0, NULL));
      } else {
        ins[3] = ovi_ir_emit_scalar (w, ins[0].dtype, 0, FALSE);
      }
      ovi_ir_emit_final (w, n, "Pad", "opset12", d, 4, ins, 0, NULL);
    } else {
      ovi_ir_emit_final (w, n, "Pad", "opset12", d, 3, ins, 0, NULL);
    }
    return TRUE;
  }
  if (!ovi_ir_node_ints (w, n, w->opset < 11 ? "paddings" : "pads", 1,
          2 * OVI_MAX_RANK, &np, pads, error))
    return FALSE;
  if (w->opset < 11 && np < 0
      && !ovi_ir_node_ints (w, n, "pads", 99, 2 * OVI_MAX_RANK, &np, pads,
          error))
    return FALSE;
  if (ovi_ir_node_has_in (n, 3)
      && !ovi_ir_node_ints (w, n, "axes", 3, OVI_MAX_RANK, &na, axes, error))
    return FALSE;
  if (na < 0) {
    na = rank;
    for (int i = 0; i < rank; i++)
      axes[i] = i;
  }
  if (np != 2 * na)
    return ovi_ir_node_fail (w, n, error, OVI_ERROR_INVALID,
        "pads has %d values", np);
  memset (full, 0, sizeof (full));
  for (int i = 0; i < na; i++) {
    int a = ovi_ir_norm_axis (axes[i], rank);
    if (a < 0 || a >= rank)
      return ovi_ir_node_fail (w, n, error, OVI_ERROR_INVALID,
          "axis out of range");
    full[a] = pads[i];
    full[rank + a] = pads[na + i];
  }
  ins[1] = ovi_ir_emit_i64s (w, rank, full);
  ins[2] = ovi_ir_emit_i64s (w, rank, full + rank);
  d = ovi_ir_data_new ();
  ovi_ir_data_str (d, "pad_mode", mode);
  if (strcmp (mode, "constant") == 0) {
    if (w->opset < 11)
      ins[3] = ovi_ir_emit_scalar (w, ins[0].dtype,
          ovi_node_attr_float (n, "value", 0), FALSE);
    else if (ovi_ir_node_has_in (n, 2)
        && ovi_ir_node_in_value (w, n, 2)->rank <= 0)
      ins[3] = ovi_ir_node_in (w, n, 2);
    else if (ovi_ir_node_has_in (n, 2) && ovi_ir_node_in_const (w, n, 2))
      ins[3] = ovi_ir_emit_const (w, ins[0].dtype, 0, NULL,
          ovi_ir_node_in_const (w, n, 2)->data, NULL);
    else if (ovi_ir_node_has_in (n, 2)) {
      GString *r = ovi_ir_data_new ();
      ovi_ir_data_bool (r, "special_zero", FALSE);
      ins[3] = ovi_ir_emit_op2 (w, "Reshape", "opset1", r,
          ovi_ir_node_in (w, n, 2), ovi_ir_emit_i64s (w, 0, NULL),
          ovi_ir_shape_tap (ins[0].dtype, 0, NULL));
    } else
      ins[3] = ovi_ir_emit_scalar (w, ins[0].dtype, 0, FALSE);
    ovi_ir_emit_final (w, n, "Pad", "opset12", d, 4, ins, 0, NULL);
  } else {
    ovi_ir_emit_final (w, n, "Pad", "opset12", d, 3, ins, 0, NULL);
  }
  return TRUE;
}

static gboolean
export_depth_to_space (OviIrWriter *w, const OviNode *n, GError **error)
{
  OviIrTap x = ovi_ir_node_in (w, n, 0);
  GString *d = ovi_ir_data_new ();
  gboolean d2s = strcmp (n->op_type, "DepthToSpace") == 0;
  const char *mode = ovi_node_attr_string (n, "mode", "DCR");
  ovi_ir_data_int (d, "block_size", ovi_node_attr_int (n, "blocksize", 1));
  ovi_ir_data_str (d, "mode", !d2s || strcmp (mode, "DCR") == 0 ? "blocks_first"
      : "depth_first");
  ovi_ir_emit_final (w, n, n->op_type, "opset1", d, 1, &x, 0, NULL);
  return TRUE;
}

static gboolean
export_reverse_sequence (OviIrWriter *w, const OviNode *n, GError **error)
{
  OviIrTap ab[2] = { ovi_ir_node_in (w, n, 0), ovi_ir_node_in (w, n, 1) };
  GString *d = ovi_ir_data_new ();
  ovi_ir_data_int (d, "batch_axis", ovi_node_attr_int (n, "batch_axis", 1));
  ovi_ir_data_int (d, "seq_axis", ovi_node_attr_int (n, "time_axis", 0));
  ovi_ir_emit_final (w, n, "ReverseSequence", "opset1", d, 2, ab, 0, NULL);
  return TRUE;
}

const OviIrExportOp ovi_ir_export_shape[] = {
  { "Reshape", export_reshape },
  { "Flatten", export_reshape },
  { "Squeeze", export_squeeze },
  { "Unsqueeze", export_squeeze },
  { "Transpose", export_transpose },
  { "Concat", export_concat },
  { "Split", export_split },
  { "Expand", export_expand },
  { "ConstantOfShape", export_constant_of_shape },
  { "Tile", export_tile },
  { "Shape", export_shape },
  { "Size", export_size },
  { "Slice", export_slice },
  { "Pad", export_pad },
  { "DepthToSpace", export_depth_to_space },
  { "SpaceToDepth", export_depth_to_space },
  { "ReverseSequence", export_reverse_sequence },
  { NULL },
};
