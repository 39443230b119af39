/* ONNX -> IR: MatMul, Gemm, Einsum, CumSum, Range, NonMaxSuppression,
 * Resize, QuantizeLinear/DequantizeLinear, RoiAlign, GridSample,
 * EyeLike. */
#include <string.h>

#include "ir-private.h"

static gboolean
export_matmul (OviIrWriter *w, const OviNode *n, GError **error)
{
  OviIrTap ab[2] = { ovi_ir_node_in (w, n, 0), ovi_ir_node_in (w, n, 1) };
  GString *d = ovi_ir_data_new ();
  ovi_ir_data_bool (d, "transpose_a", FALSE);
  ovi_ir_data_bool (d, "transpose_b", FALSE);
  ovi_ir_emit_final (w, n, "MatMul", "opset1", d, 2, ab, 0, NULL);
  return TRUE;
}

static gboolean
export_gemm (OviIrWriter *w, const OviNode *n, GError **error)
{
  OviIrTap ab[2] = { ovi_ir_node_in (w, n, 0), ovi_ir_node_in (w, n, 1) };
  float alpha = ovi_node_attr_float (n, "alpha", 1.0f);
  float beta = ovi_node_attr_float (n, "beta", 1.0f);
  gboolean has_c = ovi_ir_node_has_in (n, 2) && beta != 0;
  OviIrTap out = ovi_ir_node_out_shape (w, n, 0);
  OviDType t = out.dtype;
  GString *d = ovi_ir_data_new ();
  OviIrTap y, c;
  ovi_ir_data_bool (d, "transpose_a", ovi_node_attr_int (n, "transA", 0) != 0);
  ovi_ir_data_bool (d, "transpose_b", ovi_node_attr_int (n, "transB", 0) != 0);
  if (alpha == 1.0f && !has_c) {
    ovi_ir_emit_final (w, n, "MatMul", "opset1", d, 2, ab, 0, NULL);
    return TRUE;
  }
  y = ovi_ir_emit_op (w, "MatMul", "opset1", d, 2, ab, out);
  if (alpha != 1.0f) {
    if (!has_c) {
      OviIrTap m[2] = { y, ovi_ir_emit_scalar (w, t, alpha, FALSE) };
      ovi_ir_emit_final (w, n, "Multiply", "opset1", ovi_ir_data_numpy (), 2, m,
          0, NULL);
      return TRUE;
    }
    y = ovi_ir_emit_binary (w, "Multiply", y,
        ovi_ir_emit_scalar (w, t, alpha, FALSE), t);
  }
  c = ovi_ir_node_in (w, n, 2);
  if (beta != 1.0f)
    c = ovi_ir_emit_binary (w, "Multiply", c,
        ovi_ir_emit_scalar (w, t, beta, FALSE), t);
  {
    OviIrTap s[2] = { y, c };
    ovi_ir_emit_final (w, n, "Add", "opset1", ovi_ir_data_numpy (), 2, s, 0,
        NULL);
  }
  return TRUE;
}

static gboolean
export_einsum (OviIrWriter *w, const OviNode *n, GError **error)
{
  OviIrTap *ins = g_new (OviIrTap, MAX (n->n_inputs, 1));
  GString *d = ovi_ir_data_new ();
  for (int i = 0; i < n->n_inputs; i++)
    ins[i] = ovi_ir_node_in (w, n, i);
  ovi_ir_data_str (d, "equation", ovi_node_attr_string (n, "equation", ""));
  ovi_ir_emit_final (w, n, "Einsum", "opset7", d, n->n_inputs, ins, 0, NULL);
  g_free (ins);
  return TRUE;
}

static gboolean
export_cumsum (OviIrWriter *w, const OviNode *n, GError **error)
{
  OviIrTap ab[2];
  GString *d = ovi_ir_data_new ();
  const OviTensor *axis = ovi_ir_node_in_const (w, n, 1);
  ab[0] = ovi_ir_node_in (w, n, 0);
  if (axis && ovi_tensor_numel (axis) == 1)
    ab[1] = ovi_ir_emit_i64 (w, ovi_tensor_get_i64 (axis, 0));
  else
    ab[1] = ovi_ir_node_in (w, n, 1);
  ovi_ir_data_bool (d, "exclusive", ovi_node_attr_int (n, "exclusive", 0));
  ovi_ir_data_bool (d, "reverse", ovi_node_attr_int (n, "reverse", 0));
  ovi_ir_emit_final (w, n, "CumSum", "opset3", d, 2, ab, 0, NULL);
  return TRUE;
}

static gboolean
export_range (OviIrWriter *w, const OviNode *n, GError **error)
{
  OviIrTap ins[3] = { ovi_ir_node_in (w, n, 0), ovi_ir_node_in (w, n, 1),
    ovi_ir_node_in (w, n, 2) };
  GString *d = ovi_ir_data_new ();
  ovi_ir_data_str (d, "output_type", ovi_ir_element_type (ins[0].dtype));
  ovi_ir_emit_final (w, n, "Range", "opset4", d, 3, ins, 0, NULL);
  return TRUE;
}

static gboolean
export_nms (OviIrWriter *w, const OviNode *n, GError **error)
{
  OviIrTap ins[5], outs[3];
  GString *d = ovi_ir_data_new ();
  int n_in = 2;
  int64_t one = 1;
  int64_t dims_sel[2] = { -1, 3 };
  ins[0] = ovi_ir_node_in (w, n, 0);
  ins[1] = ovi_ir_node_in (w, n, 1);
  for (int k = 2; k < 5 && ovi_ir_node_has_in (n, k); k++) {
    const OviTensor *t = ovi_ir_node_in_const (w, n, k);
    OviDType want = k == 2 ? OVI_DTYPE_INT64 : OVI_DTYPE_FLOAT32;
    if (t == NULL || ovi_tensor_numel (t) != 1)
      ins[k] = ovi_ir_node_in (w, n,
          k); /* a 1-element tensor computed at run time */
    else if (want == OVI_DTYPE_INT64)
      ins[k] = ovi_ir_emit_i64 (w, ovi_tensor_get_i64 (t, 0));
    else
      ins[k] = ovi_ir_emit_scalar (w, OVI_DTYPE_FLOAT32,
          ovi_tensor_get_f64 (t, 0), FALSE);
    n_in = k + 1;
  }
  ovi_ir_data_str (d, "box_encoding",
      ovi_node_attr_int (n, "center_point_box", 0) ? "center" : "corner");
  ovi_ir_data_bool (d, "sort_result_descending", FALSE);
  ovi_ir_data_str (d, "output_type", "i64");
  outs[0] = ovi_ir_shape_tap (OVI_DTYPE_INT64, 2, dims_sel);
  outs[1] = ovi_ir_shape_tap (ins[1].dtype, 2, dims_sel);
  outs[2] = ovi_ir_shape_tap (OVI_DTYPE_INT64, 1, &one);
  ovi_ir_emit_final (w, n, "NonMaxSuppression", "opset9", d, n_in, ins, 3,
      outs);
  return TRUE;
}

static gboolean
export_resize (OviIrWriter *w, const OviNode *n, GError **error)
{
  gboolean upsample = strcmp (n->op_type, "Upsample") == 0;
  const char *mode = ovi_node_attr_string (n, "mode", "nearest");
  const char *ctm = ovi_node_attr_string (n,
      "coordinate_transformation_mode", "half_pixel");
  const char *nm = ovi_node_attr_string (n, "nearest_mode",
      "round_prefer_floor");
  const char *policy = ovi_node_attr_string (n, "keep_aspect_ratio_policy",
      "stretch");
  OviIrTap x = ovi_ir_node_in (w, n, 0), ins[3];
  const int64_t *axes_attr;
  int n_axes_attr = ovi_node_attr_ints (n, "axes", &axes_attr);
  int64_t axes[OVI_MAX_RANK];
  int na, scales_k = -1, sizes_k = -1;
  gboolean use_sizes;
  GString *d;

  if (x.rank < 1)
    return ovi_ir_node_fail (w, n, error, OVI_ERROR_UNSUPPORTED,
        "unknown input rank");
  if (upsample || w->opset < 11) {
    /* Upsample and Resize-10: asymmetric coordinates, floor for nearest. */
    ctm = "asymmetric";
    nm = "floor";
    scales_k = 1;
  } else {
    scales_k = 2;
    sizes_k = 3;
  }
  if (strcmp (ctm, "tf_crop_and_resize") == 0)
    return ovi_ir_node_unsupported (w, n, error, "tf_crop_and_resize");
  if (ovi_node_attr_int (n, "exclude_outside", 0))
    return ovi_ir_node_unsupported (w, n, error, "exclude_outside");
  if (strcmp (policy, "stretch") != 0)
    return ovi_ir_node_unsupported (w, n, error, "keep_aspect_ratio_policy");
  if (upsample && w->opset < 9) {
    const float *f;
    int nf = ovi_node_attr_floats (n, "scales", &f);
    int64_t dims[1];
    if (nf != x.rank)
      return ovi_ir_node_fail (w, n, error, OVI_ERROR_INVALID, "bad scales");
    dims[0] = nf;
    ins[1] = ovi_ir_emit_const (w, OVI_DTYPE_FLOAT32, 1, dims, f, NULL);
    use_sizes = FALSE;
  } else {
    const OviTensor *sc = ovi_ir_node_in_const (w, n, scales_k);
    gboolean has_scales = ovi_ir_node_has_in (n, scales_k)
        && !(sc && ovi_tensor_numel (sc) == 0);
    use_sizes = sizes_k >= 0 && ovi_ir_node_has_in (n, sizes_k);
    if (!use_sizes && !has_scales)
      return ovi_ir_node_fail (w, n, error, OVI_ERROR_INVALID,
          "needs scales or sizes");
    ins[1] = ovi_ir_node_in (w, n, use_sizes ? sizes_k : scales_k);
  }
  if (n_axes_attr >= 0) {
    if (n_axes_attr > OVI_MAX_RANK)
      return ovi_ir_node_fail (w, n, error, OVI_ERROR_INVALID, "too many axes");
    na = n_axes_attr;
    for (int i = 0; i < na; i++)
      axes[i] = ovi_ir_norm_axis (axes_attr[i], x.rank);
  } else {
    na = x.rank;
    for (int i = 0; i < na; i++)
      axes[i] = i;
  }
  ins[0] = x;
  ins[2] = ovi_ir_emit_i64s (w, na, axes);
  d = ovi_ir_data_new ();
  if (strcmp (mode, "nearest") == 0)
    ovi_ir_data_str (d, "mode", "nearest");
  else if (strcmp (mode, "linear") == 0 || strcmp (mode, "bilinear") == 0)
    ovi_ir_data_str (d, "mode", ovi_node_attr_int (n, "antialias", 0) ? "linear"
        : "linear_onnx");
  else if (strcmp (mode, "cubic") == 0)
    ovi_ir_data_str (d, "mode", "cubic");
  else {
    g_string_free (d, TRUE);
    return ovi_ir_node_unsupported (w, n, error, "this resize mode");
  }
  ovi_ir_data_str (d, "shape_calculation_mode", use_sizes ? "sizes" : "scales");
  ovi_ir_data_str (d, "coordinate_transformation_mode", ctm);
  ovi_ir_data_str (d, "nearest_mode", nm);
  ovi_ir_data_bool (d, "antialias", ovi_node_attr_int (n, "antialias", 0) != 0);
  ovi_ir_data_float (d, "cube_coeff",
      ovi_node_attr_float (n, "cubic_coeff_a", -0.75f));
  ovi_ir_data_ints (d, "pads_begin", 1, (int64_t[]) { 0 });
  ovi_ir_data_ints (d, "pads_end", 1, (int64_t[]) { 0 });
  ovi_ir_emit_final (w, n, "Interpolate", "opset11", d, 3, ins, 0, NULL);
  return TRUE;
}

/* Scale/zero point per tensor or along `axis`: shaped to broadcast. */
static OviIrTap
per_axis (OviIrWriter *w, const OviNode *n, int k, int rank, int axis)
{
  const OviValue *v = ovi_ir_node_in_value (w, n, k);
  int64_t dims[OVI_MAX_RANK];
  if (v->rank != 1 || rank < 2)
    return ovi_ir_node_in (w, n, k);
  for (int i = 0; i < rank; i++)
    dims[i] = i == axis ? v->dims[0] : 1;
  return ovi_ir_emit_reshaped (w, n->inputs[k], rank, dims);
}

static gboolean
int_range (OviDType t, double *lo, double *hi)
{
  switch (t) {
    case OVI_DTYPE_UINT8: *lo = 0; *hi = 255; return TRUE;
    case OVI_DTYPE_INT8: *lo = -128; *hi = 127; return TRUE;
    case OVI_DTYPE_UINT16: *lo = 0; *hi = 65535; return TRUE;
    case OVI_DTYPE_INT16: *lo = -32768; *hi = 32767; return TRUE;
    case OVI_DTYPE_INT32: *lo = -2147483648.0; *hi = 2147483647.0;
      return TRUE;
    case OVI_DTYPE_UINT32: *lo = 0; *hi = 4294967295.0; return TRUE;
    default: return FALSE;
  }
}

static gboolean
export_quantize (OviIrWriter *w, const OviNode *n, GError **error)
{
  OviIrTap x = ovi_ir_node_in (w, n, 0), q, ab[2];
  OviDType to = ovi_graph_value (w->g, n->outputs[0])->dtype;
  int axis;
  double lo, hi;
  GString *d;
  if (!ovi_dtype_is_float (x.dtype) || x.rank < 0 || !int_range (to, &lo, &hi))
    return ovi_ir_node_unsupported (w, n, error, "this QuantizeLinear");
  axis = x.rank ? ovi_ir_norm_axis (ovi_node_attr_int (n, "axis", 1), x.rank)
                : 0;
  d = ovi_ir_data_numpy ();
  ovi_ir_data_bool (d, "m_pythondiv", FALSE);
  ab[0] = x;
  ab[1] = ovi_ir_emit_convert (w, per_axis (w, n, 1, x.rank, axis), x.dtype);
  q = ovi_ir_emit_op (w, "Divide", "opset1", d, 2, ab, x);
  d = ovi_ir_data_new ();
  ovi_ir_data_str (d, "mode", "half_to_even");
  q = ovi_ir_emit_op1 (w, "Round", "opset5", d, q, x);
  if (ovi_ir_node_has_in (n, 2))
    q = ovi_ir_emit_binary (w, "Add", q,
        ovi_ir_emit_convert (w, per_axis (w, n, 2, x.rank, axis), x.dtype),
        x.dtype);
  d = ovi_ir_data_new ();
  ovi_ir_data_float (d, "min", lo);
  ovi_ir_data_float (d, "max", hi);
  q = ovi_ir_emit_op1 (w, "Clamp", "opset1", d, q, q);
  d = ovi_ir_data_new ();
  ovi_ir_data_str (d, "destination_type", ovi_ir_element_type (to));
  ovi_ir_emit_final (w, n, "Convert", "opset1", d, 1, &q, 0, NULL);
  return TRUE;
}

static gboolean
export_dequantize (OviIrWriter *w, const OviNode *n, GError **error)
{
  OviIrTap x = ovi_ir_node_in (w, n, 0), y, ab[2];
  OviDType to = ovi_graph_value (w->g, n->outputs[0])->dtype;
  int axis;
  if (!ovi_dtype_is_float (to) || x.rank < 0)
    return ovi_ir_node_unsupported (w, n, error, "this DequantizeLinear");
  axis = x.rank ? ovi_ir_norm_axis (ovi_node_attr_int (n, "axis", 1), x.rank)
                : 0;
  y = ovi_ir_emit_convert (w, x, to);
  if (ovi_ir_node_has_in (n, 2))
    y = ovi_ir_emit_binary (w, "Subtract", y,
        ovi_ir_emit_convert (w, per_axis (w, n, 2, x.rank, axis), to), to);
  ab[0] = y;
  ab[1] = per_axis (w, n, 1, x.rank, axis);
  ovi_ir_emit_final (w, n, "Multiply", "opset1", ovi_ir_data_numpy (), 2, ab, 0,
      NULL);
  return TRUE;
}

static gboolean
export_roi_align (OviIrWriter *w, const OviNode *n, GError **error)
{
  OviIrTap ins[3] = { ovi_ir_node_in (w, n, 0), ovi_ir_node_in (w, n, 1),
    ovi_ir_node_in (w, n, 2) };
  const char *ctm = ovi_node_attr_string (n, "coordinate_transformation_mode",
      w->opset < 16 ? "output_half_pixel" : "half_pixel");
  GString *d = ovi_ir_data_new ();
  ovi_ir_data_int (d, "pooled_h", ovi_node_attr_int (n, "output_height", 1));
  ovi_ir_data_int (d, "pooled_w", ovi_node_attr_int (n, "output_width", 1));
  ovi_ir_data_int (d, "sampling_ratio",
      ovi_node_attr_int (n, "sampling_ratio", 0));
  ovi_ir_data_float (d, "spatial_scale",
      ovi_node_attr_float (n, "spatial_scale", 1.0f));
  ovi_ir_data_str (d, "mode", ovi_node_attr_string (n, "mode", "avg"));
  ovi_ir_data_str (d, "aligned_mode",
      strcmp (ctm, "half_pixel") == 0 ? "half_pixel" : "asymmetric");
  ovi_ir_emit_final (w, n, "ROIAlign", "opset9", d, 3, ins, 0, NULL);
  return TRUE;
}

static gboolean
export_grid_sample (OviIrWriter *w, const OviNode *n, GError **error)
{
  OviIrTap ab[2] = { ovi_ir_node_in (w, n, 0), ovi_ir_node_in (w, n, 1) };
  GString *d = ovi_ir_data_new ();
  const char *mode = ovi_node_attr_string (n, "mode", "bilinear");
  if (strcmp (mode, "linear") == 0)
    mode = "bilinear";
  else if (strcmp (mode, "cubic") == 0)
    mode = "bicubic";
  ovi_ir_data_bool (d, "align_corners",
      ovi_node_attr_int (n, "align_corners", 0));
  ovi_ir_data_str (d, "mode", mode);
  ovi_ir_data_str (d, "padding_mode", ovi_node_attr_string (n, "padding_mode",
          "zeros"));
  ovi_ir_emit_final (w, n, "GridSample", "opset9", d, 2, ab, 0, NULL);
  return TRUE;
}

static gboolean
export_eye_like (OviIrWriter *w, const OviNode *n, GError **error)
{
  OviIrTap x = ovi_ir_node_in (w, n, 0), ins[3];
  OviDType t = ovi_graph_value (w->g, n->outputs[0])->dtype;
  GString *d;
  if (x.rank != 2 || ovi_ir_element_type (t) == NULL)
    return ovi_ir_node_unsupported (w, n, error, "this EyeLike");
  ins[0] = ovi_ir_emit_i64 (w, x.dims[0]);
  ins[1] = ovi_ir_emit_i64 (w, x.dims[1]);
  ins[2] = ovi_ir_emit_i64 (w, ovi_node_attr_int (n, "k", 0));
  d = ovi_ir_data_new ();
  ovi_ir_data_str (d, "output_type", ovi_ir_element_type (t));
  ovi_ir_emit_final (w, n, "Eye", "opset9", d, 3, ins, 0, NULL);
  return TRUE;
}

const OviIrExportOp ovi_ir_export_misc[] = {
  { "Range", export_range },
  { "Einsum", export_einsum },
  { "CumSum", export_cumsum },
  { "MatMul", export_matmul },
  { "Gemm", export_gemm },
  { "NonMaxSuppression", export_nms },
  { "Resize", export_resize },
  { "Upsample", export_resize },
  { "QuantizeLinear", export_quantize },
  { "DequantizeLinear", export_dequantize },
  { "RoiAlign", export_roi_align },
  { "GridSample", export_grid_sample },
  { "EyeLike", export_eye_like },
  { NULL },
};
