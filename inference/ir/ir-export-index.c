/* ONNX -> IR: ops that gather, scatter or select by index (and produce
 * indices: TopK, ArgMax/ArgMin, Hardmax, NonZero, Unique, OneHot). */
#include <string.h>

#include "ir-private.h"

static gboolean
export_gather (OviIrWriter *w, const OviNode *n, GError **error)
{
  OviIrTap ins[3];
  GString *d = ovi_ir_data_new ();
  ins[0] = ovi_ir_node_in (w, n, 0);
  ins[1] = ovi_ir_node_in (w, n, 1);
  ins[2] = ovi_ir_emit_i64 (w, ovi_node_attr_int (n, "axis", 0));
  ovi_ir_data_int (d, "batch_dims", 0);
  ovi_ir_emit_final (w, n, "Gather", "opset8", d, 3, ins, 0, NULL);
  return TRUE;
}

static gboolean
export_gather_elements (OviIrWriter *w, const OviNode *n, GError **error)
{
  OviIrTap ab[2] = { ovi_ir_node_in (w, n, 0), ovi_ir_node_in (w, n, 1) };
  GString *d = ovi_ir_data_new ();
  int64_t axis = ovi_node_attr_int (n, "axis", 0);
  if (ab[0].rank > 0)
    axis = ovi_ir_norm_axis (axis, ab[0].rank);
  ovi_ir_data_int (d, "axis", axis);
  ovi_ir_emit_final (w, n, "GatherElements", "opset6", d, 2, ab, 0, NULL);
  return TRUE;
}

static gboolean
export_gather_nd (OviIrWriter *w, const OviNode *n, GError **error)
{
  OviIrTap ab[2] = { ovi_ir_node_in (w, n, 0), ovi_ir_node_in (w, n, 1) };
  GString *d = ovi_ir_data_new ();
  ovi_ir_data_int (d, "batch_dims", ovi_node_attr_int (n, "batch_dims", 0));
  ovi_ir_emit_final (w, n, "GatherND", "opset8", d, 2, ab, 0, NULL);
  return TRUE;
}

static const char *
ir_reduction (const char *onnx)
{
  if (strcmp (onnx, "none") == 0)
    return "none";
  if (strcmp (onnx, "add") == 0)
    return "sum";
  if (strcmp (onnx, "mul") == 0)
    return "prod";
  if (strcmp (onnx, "min") == 0)
    return "min";
  if (strcmp (onnx, "max") == 0)
    return "max";
  return NULL;
}

static gboolean
export_scatter_elements (OviIrWriter *w, const OviNode *n, GError **error)
{
  OviIrTap ins[4] = { ovi_ir_node_in (w, n, 0), ovi_ir_node_in (w, n, 1),
    ovi_ir_node_in (w, n, 2) };
  const char *red = ir_reduction (ovi_node_attr_string (n, "reduction",
          "none"));
  if (red == NULL)
    return ovi_ir_node_unsupported (w, n, error, "this reduction");
  ins[3] = ovi_ir_emit_i64 (w, ovi_node_attr_int (n, "axis", 0));
  if (strcmp (red, "none") == 0) {
    ovi_ir_emit_final (w, n, "ScatterElementsUpdate", "opset3", NULL, 4, ins, 0,
        NULL);
  } else {
    GString *d = ovi_ir_data_new ();
    ovi_ir_data_str (d, "reduction", red);
    ovi_ir_data_bool (d, "use_init_val", TRUE);
    ovi_ir_emit_final (w, n, "ScatterElementsUpdate", "opset12", d, 4, ins, 0,
        NULL);
  }
  return TRUE;
}

static gboolean
export_scatter_nd (OviIrWriter *w, const OviNode *n, GError **error)
{
  OviIrTap ins[3] = { ovi_ir_node_in (w, n, 0), ovi_ir_node_in (w, n, 1),
    ovi_ir_node_in (w, n, 2) };
  const char *red = ir_reduction (ovi_node_attr_string (n, "reduction",
          "none"));
  if (red == NULL)
    return ovi_ir_node_unsupported (w, n, error, "this reduction");
  if (strcmp (red, "none") == 0) {
    ovi_ir_emit_final (w, n, "ScatterNDUpdate", "opset3", NULL, 3, ins, 0,
        NULL);
  } else {
    GString *d = ovi_ir_data_new ();
    ovi_ir_data_str (d, "reduction", red);
    ovi_ir_emit_final (w, n, "ScatterNDUpdate", "opset15", d, 3, ins, 0, NULL);
  }
  return TRUE;
}

static gboolean
export_nonzero (OviIrWriter *w, const OviNode *n, GError **error)
{
  OviIrTap x = ovi_ir_node_in (w, n, 0);
  GString *d = ovi_ir_data_new ();
  ovi_ir_data_str (d, "output_type", "i64");
  ovi_ir_emit_final (w, n, "NonZero", "opset3", d, 1, &x, 0, NULL);
  return TRUE;
}

/* OneHot whose depth or values are computed: depth converted to an i64
 * scalar, on/off gathered from values. */
static gboolean
export_one_hot_computed (OviIrWriter *w, const OviNode *n, GError **error)
{
  OviIrTap idx = ovi_ir_node_in (w, n, 0), depth = ovi_ir_node_in (w, n, 1);
  OviIrTap values = ovi_ir_node_in (w, n, 2);
  OviIrTap ins[4], neg, fixed;
  GString *d;
  if (!ovi_dtype_is_signed_int (idx.dtype))
    idx = ovi_ir_emit_convert (w, idx, OVI_DTYPE_INT64);
  {
    GString *r = ovi_ir_data_new ();
    ovi_ir_data_bool (r, "special_zero", FALSE);
    depth = ovi_ir_emit_op2 (w, "Reshape", "opset1", r,
        ovi_ir_emit_convert (w, depth, OVI_DTYPE_INT64),
        ovi_ir_emit_i64s (w, 0, NULL),
        ovi_ir_shape_tap (OVI_DTYPE_INT64, 0, NULL));
  }
  neg = ovi_ir_emit_binary (w, "Less", idx,
      ovi_ir_emit_scalar (w, idx.dtype, 0, FALSE), OVI_DTYPE_BOOL);
  fixed = ovi_ir_emit_binary (w, "Add", idx,
      ovi_ir_emit_convert (w, depth, idx.dtype), idx.dtype);
  {
    OviIrTap sel[3] = { neg, fixed, idx };
    idx = ovi_ir_emit_op (w, "Select", "opset1", ovi_ir_data_numpy (), 3, sel,
        idx);
  }
  ins[0] = idx;
  ins[1] = depth;
  for (int k = 0; k < 2; k++) {
    GString *g = ovi_ir_data_new ();
    OviIrTap gi[3] = { values, ovi_ir_emit_i64 (w, 1 - k),
      ovi_ir_emit_i64 (w, 0) };
    ovi_ir_data_int (g, "batch_dims", 0);
    ins[2 + k] = ovi_ir_emit_op (w, "Gather", "opset8", g, 3, gi,
        ovi_ir_shape_tap (values.dtype, 0, NULL));
  }
  d = ovi_ir_data_new ();
  ovi_ir_data_int (d, "axis", ovi_node_attr_int (n, "axis", -1));
  ovi_ir_emit_final (w, n, "OneHot", "opset1", d, 4, ins, 0, NULL);
  return TRUE;
}

static gboolean
export_one_hot (OviIrWriter *w, const OviNode *n, GError **error)
{
  OviIrTap idx = ovi_ir_node_in (w, n, 0), ins[4];
  const OviTensor *depth = ovi_ir_node_in_const (w, n, 1);
  const OviTensor *values = ovi_ir_node_in_const (w, n, 2);
  GString *d;
  int64_t dv;
  OviIrTap neg, fixed;
  if ((depth && ovi_tensor_numel (depth) != 1)
      || (values && ovi_tensor_numel (values) != 2))
    return ovi_ir_node_fail (w, n, error, OVI_ERROR_INVALID,
        "bad depth or values");
  if (depth == NULL || values == NULL)
    return export_one_hot_computed (w, n, error);
  dv = (int64_t) ovi_tensor_get_f64 (depth, 0);
  if (!ovi_dtype_is_signed_int (idx.dtype)) {
    GString *c = ovi_ir_data_new ();
    ovi_ir_data_str (c, "destination_type", "i64");
    idx = ovi_ir_emit_op1 (w, "Convert", "opset1", c, idx,
        ovi_ir_shape_tap (OVI_DTYPE_INT64, idx.rank, idx.dims));
  }
  /* Negative indices count from the end in ONNX. */
  neg = ovi_ir_emit_binary (w, "Less", idx,
      ovi_ir_emit_scalar (w, idx.dtype, 0, FALSE), OVI_DTYPE_BOOL);
  fixed = ovi_ir_emit_binary (w, "Add", idx,
      ovi_ir_emit_scalar (w, idx.dtype, (double) dv, FALSE), idx.dtype);
  {
    OviIrTap sel[3] = { neg, fixed, idx };
    idx = ovi_ir_emit_op (w, "Select", "opset1", ovi_ir_data_numpy (), 3, sel,
        idx);
  }
  ins[0] = idx;
  ins[1] = ovi_ir_emit_i64 (w, dv);
  ins[2] = ovi_ir_emit_const (w, values->dtype, 0, NULL,
      (const guint8 *) values->data + ovi_dtype_size (values->dtype), NULL);
  ins[3] = ovi_ir_emit_const (w, values->dtype, 0, NULL, values->data, NULL);
  d = ovi_ir_data_new ();
  ovi_ir_data_int (d, "axis", ovi_node_attr_int (n, "axis", -1));
  ovi_ir_emit_final (w, n, "OneHot", "opset1", d, 4, ins, 0, NULL);
  return TRUE;
}

static gboolean
export_topk (OviIrWriter *w, const OviNode *n, GError **error)
{
  OviIrTap ab[2], outs[2];
  GString *d = ovi_ir_data_new ();
  int64_t axis = ovi_node_attr_int (n, "axis", -1);
  ab[0] = ovi_ir_node_in (w, n, 0);
  if (w->opset < 10) {
    ab[1] = ovi_ir_emit_i64 (w, ovi_node_attr_int (n, "k", 1));
  } else if (ovi_ir_node_in_const (w, n, 1)
      && ovi_tensor_numel (ovi_ir_node_in_const (w, n, 1)) == 1) {
    ab[1] = ovi_ir_emit_i64 (w,
        ovi_tensor_get_i64 (ovi_ir_node_in_const (w, n, 1), 0));
  } else {
    GString *r = ovi_ir_data_new ();
    OviIrTap k = ovi_ir_node_in (w, n, 1);
    ovi_ir_data_bool (r, "special_zero", FALSE);
    ab[1] = ovi_ir_emit_op2 (w, "Reshape", "opset1", r, k,
        ovi_ir_emit_i64s (w, 0, NULL), ovi_ir_shape_tap (k.dtype, 0, NULL));
  }
  if (ab[0].rank > 0)
    axis = ovi_ir_norm_axis (axis, ab[0].rank);
  ovi_ir_data_int (d, "axis", axis);
  ovi_ir_data_str (d, "mode",
      ovi_node_attr_int (n, "largest", 1) ? "max" : "min");
  ovi_ir_data_str (d, "sort", "value");
  ovi_ir_data_str (d, "index_element_type", "i64");
  ovi_ir_data_bool (d, "stable", TRUE);
  for (int k = 0; k < 2; k++)
    outs[k] = ovi_ir_node_has_out (n, k) ? ovi_ir_node_out_shape (w, n, k)
        : ovi_ir_shape_tap (k ? OVI_DTYPE_INT64 : ab[0].dtype, -1, NULL);
  ovi_ir_emit_final (w, n, "TopK", "opset11", d, 2, ab, 2, outs);
  return TRUE;
}

static gboolean
export_arg (OviIrWriter *w, const OviNode *n, GError **error)
{
  OviIrTap ab[2], outs[2], x = ovi_ir_node_in (w, n, 0);
  GString *d = ovi_ir_data_new ();
  int64_t axis;
  gboolean keep = ovi_node_attr_int (n, "keepdims", 1) != 0;
  if (ovi_node_attr_int (n, "select_last_index", 0)) {
    g_string_free (d, TRUE);
    return ovi_ir_node_unsupported (w, n, error, "select_last_index");
  }
  if (x.rank < 1) {
    g_string_free (d, TRUE);
    return ovi_ir_node_fail (w, n, error, OVI_ERROR_UNSUPPORTED, "input rank");
  }
  axis = ovi_ir_norm_axis (ovi_node_attr_int (n, "axis", 0), x.rank);
  ab[0] = x;
  ab[1] = ovi_ir_emit_i64 (w, 1);
  ovi_ir_data_int (d, "axis", axis);
  ovi_ir_data_str (d, "mode",
      strcmp (n->op_type, "ArgMax") == 0 ? "max" : "min");
  ovi_ir_data_str (d, "sort", "none");
  ovi_ir_data_str (d, "index_element_type", "i64");
  ovi_ir_data_bool (d, "stable", TRUE);
  outs[0] = x;
  outs[0].dims[axis] = 1;
  outs[1] = outs[0];
  outs[1].dtype = OVI_DTYPE_INT64;
  ovi_ir_emit (w, "TopK", "opset11", d, 2, ab, 2, outs, NULL);
  if (keep) {
    OviIrTap r[2] = { outs[1], ovi_ir_emit_i64s (w, x.rank, outs[1].dims) };
    GString *rd = ovi_ir_data_new ();
    ovi_ir_data_bool (rd, "special_zero", FALSE);
    ovi_ir_emit_final (w, n, "Reshape", "opset1", rd, 2, r, 0, NULL);
  } else {
    OviIrTap s[2] = { outs[1], ovi_ir_emit_i64s (w, 1, &axis) };
    ovi_ir_emit_final (w, n, "Squeeze", "opset1", NULL, 2, s, 0, NULL);
  }
  return TRUE;
}

static gboolean
export_hardmax (OviIrWriter *w, const OviNode *n, GError **error)
{
  OviIrTap x = ovi_ir_node_in (w, n, 0), src, idx, outs[2], ins[4], y;
  int64_t axis, two[2] = { 1, 1 };
  GString *d;
  gboolean flat;
  if (x.rank < 1)
    return ovi_ir_node_fail (w, n, error, OVI_ERROR_UNSUPPORTED, "input rank");
  axis = ovi_node_attr_int (n, "axis", w->opset < 13 ? 1 : -1);
  axis = ovi_ir_norm_axis (axis, x.rank);
  if (axis < 0 || axis >= x.rank)
    return ovi_ir_node_fail (w, n, error, OVI_ERROR_INVALID,
        "axis out of range");
  flat = w->opset < 13 && axis != x.rank - 1;
  src = x;
  if (flat) {
    for (int i = 0; i < x.rank; i++)
      two[i < axis ? 0 : 1] *= x.dims[i];
    src = ovi_ir_emit_reshaped (w, n->inputs[0], 2, two);
    axis = 1;
  }
  d = ovi_ir_data_new ();
  ovi_ir_data_int (d, "axis", axis);
  ovi_ir_data_str (d, "mode", "max");
  ovi_ir_data_str (d, "sort", "none");
  ovi_ir_data_str (d, "index_element_type", "i64");
  ovi_ir_data_bool (d, "stable", TRUE);
  ins[0] = src;
  ins[1] = ovi_ir_emit_i64 (w, 1);
  outs[0] = src;
  outs[0].dims[axis] = 1;
  outs[1] = outs[0];
  outs[1].dtype = OVI_DTYPE_INT64;
  ovi_ir_emit (w, "TopK", "opset11", d, 2, ins, 2, outs, NULL);
  idx = outs[1];
  {
    OviIrTap sq[2] = { idx, ovi_ir_emit_i64s (w, 1, &axis) };
    OviIrTap shape = idx;
    shape.rank--;
    for (int i = axis; i < shape.rank; i++)
      shape.dims[i] = shape.dims[i + 1];
    idx = ovi_ir_emit_op (w, "Squeeze", "opset1", NULL, 2, sq, shape);
  }
  ins[0] = idx;
  ins[1] = ovi_ir_emit_i64 (w, src.dims[axis]);
  ins[2] = ovi_ir_emit_scalar (w, x.dtype, 1, FALSE);
  ins[3] = ovi_ir_emit_scalar (w, x.dtype, 0, FALSE);
  d = ovi_ir_data_new ();
  ovi_ir_data_int (d, "axis", axis);
  if (!flat) {
    ovi_ir_emit_final (w, n, "OneHot", "opset1", d, 4, ins, 0, NULL);
    return TRUE;
  }
  y = ovi_ir_emit_op (w, "OneHot", "opset1", d, 4, ins, src);
  {
    GString *r = ovi_ir_data_new ();
    OviIrTap ab[2] = { y, ovi_ir_emit_i64s (w, x.rank, x.dims) };
    ovi_ir_data_bool (r, "special_zero", FALSE);
    ovi_ir_emit_final (w, n, "Reshape", "opset1", r, 2, ab, 0, NULL);
  }
  return TRUE;
}

static gboolean
export_unique (OviIrWriter *w, const OviNode *n, GError **error)
{
  OviIrTap ins[2], outs[4];
  int n_in = 1;
  GString *d = ovi_ir_data_new ();
  const OviAttr *axis = ovi_node_attr (n, "axis");
  ins[0] = ovi_ir_node_in (w, n, 0);
  if (axis) {
    ins[1] = ovi_ir_emit_i64 (w, axis->i);
    n_in = 2;
  }
  ovi_ir_data_bool (d, "sorted", ovi_node_attr_int (n, "sorted", 1) != 0);
  ovi_ir_data_str (d, "index_element_type", "i64");
  ovi_ir_data_str (d, "count_element_type", "i64");
  for (int k = 0; k < 4; k++)
    outs[k] = ovi_ir_node_has_out (n, k) ? ovi_ir_node_out_shape (w, n, k)
        : ovi_ir_shape_tap (k ? OVI_DTYPE_INT64 : ins[0].dtype, -1, NULL);
  ovi_ir_emit_final (w, n, "Unique", "opset10", d, n_in, ins, 4, outs);
  return TRUE;
}

const OviIrExportOp ovi_ir_export_index[] = {
  { "Gather", export_gather },
  { "GatherElements", export_gather_elements },
  { "GatherND", export_gather_nd },
  { "ScatterElements", export_scatter_elements },
  { "Scatter", export_scatter_elements },
  { "ScatterND", export_scatter_nd },
  { "NonZero", export_nonzero },
  { "OneHot", export_one_hot },
  { "TopK", export_topk },
  { "ArgMax", export_arg },
  { "ArgMin", export_arg },
  { "Hardmax", export_hardmax },
  { "Unique", export_unique },
  { NULL },
};
