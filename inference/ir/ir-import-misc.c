/* IR -> ONNX: MatMul, Einsum, CumSum, Range, Eye, Interpolate,
 * NonMaxSuppression, FakeQuantize, ROIAlign, GridSample. */
#include <string.h>

#include "ir-private.h"

static gboolean
import_matmul (OviIrImport *c, GError **error)
{
  gboolean ta, tb;
  int ab[2];
  if (!ovi_ir_check_io (c, 2, 2, 1, 1, error)
      || !ovi_ir_attr_bool (c, "transpose_a", FALSE, &ta, error)
      || !ovi_ir_attr_bool (c, "transpose_b", FALSE, &tb, error))
    return FALSE;
  for (int k = 0; k < 2; k++) {
    int r = ovi_ir_in_rank (c, k);
    ab[k] = c->in[k];
    if (!(k ? tb : ta) || r == 1 || r == 0)
      continue;
    if (r < 0)
      return ovi_ir_fail (c, error, OVI_ERROR_UNSUPPORTED,
          "transposing an input of unknown rank");
    {
      int64_t perm[OVI_MAX_RANK];
      for (int i = 0; i < r; i++)
        perm[i] = i;
      perm[r - 2] = r - 1;
      perm[r - 1] = r - 2;
      ab[k] = ovi_ir_node1 (c, "Transpose", -1, ovi_ir_in_dtype (c, k), 1,
          c->in[k]);
      ovi_node_set_attr_ints (ovi_ir_last_node (c), "perm", r, perm);
    }
  }
  ovi_ir_node1 (c, "MatMul", c->out[0], ovi_ir_out_dtype (c, 0), 2, ab[0],
      ab[1]);
  return TRUE;
}

static gboolean
import_einsum (OviIrImport *c, GError **error)
{
  const char *eq = ovi_ir_attr_str (c, "equation", NULL);
  if (!ovi_ir_check_io (c, 1, OVI_IR_MAX_PORTS, 1, 1, error))
    return FALSE;
  if (eq == NULL)
    return ovi_ir_fail (c, error, OVI_ERROR_INVALID, "has no equation");
  ovi_ir_add_node (c, "Einsum", c->n_in, c->in, 1, c->out);
  ovi_node_set_attr_string (ovi_ir_last_node (c), "equation", eq);
  return TRUE;
}

static gboolean
import_cumsum (OviIrImport *c, GError **error)
{
  gboolean exclusive, reverse;
  int64_t zero = 0;
  int axis;
  if (!ovi_ir_check_io (c, 1, 2, 1, 1, error)
      || !ovi_ir_attr_bool (c, "exclusive", FALSE, &exclusive, error)
      || !ovi_ir_attr_bool (c, "reverse", FALSE, &reverse, error))
    return FALSE;
  axis = c->n_in == 2 ? ovi_ir_to_i64 (c, c->in[1])
      : ovi_ir_const_i64 (c, 1, &zero, TRUE);
  ovi_ir_node1 (c, "CumSum", c->out[0], ovi_ir_out_dtype (c, 0), 2, c->in[0],
      axis);
  ovi_node_set_attr_int (ovi_ir_last_node (c), "exclusive", exclusive);
  ovi_node_set_attr_int (ovi_ir_last_node (c), "reverse", reverse);
  return TRUE;
}

static gboolean
import_range (OviIrImport *c, GError **error)
{
  OviDType t;
  int ins[3];
  if (!ovi_ir_check_io (c, 3, 3, 1, 1, error))
    return FALSE;
  t = c->version >= 4
      ? ovi_ir_parse_type (ovi_ir_attr_str (c, "output_type", ""))
      : ovi_ir_out_dtype (c, 0);
  if (t == OVI_DTYPE_UNDEFINED)
    t = ovi_ir_out_dtype (c, 0);
  if (!ovi_dtype_is_known (t))
    return ovi_ir_fail (c, error, OVI_ERROR_INVALID, "has no output type");
  for (int i = 0; i < 3; i++)
    ins[i] = ovi_ir_cast (c, c->in[i], t, -1);
  ovi_ir_add_node (c, "Range", 3, ins, 1, c->out);
  return TRUE;
}

/* Eye with constant sizes: computed here, a constant of the model. */
static gboolean
import_eye (OviIrImport *c, GError **error)
{
  int64_t rows, cols, diag, dims[2];
  OviDType t = ovi_ir_parse_type (ovi_ir_attr_str (c, "output_type", "f32"));
  OviTensor *e;
  if (!ovi_ir_check_io (c, 2, 3, 1, 1, error)
      || !ovi_ir_const_scalar_int (c, 0, "num_rows", &rows, error)
      || !ovi_ir_const_scalar_int (c, 1, "num_columns", &cols, error))
    return FALSE;
  diag = 0;
  if (c->n_in == 3 && !ovi_ir_const_scalar_int (c, 2, "diagonal_index", &diag,
          error))
    return FALSE;
  if (!ovi_dtype_is_known (t))
    return ovi_ir_fail (c, error, OVI_ERROR_UNSUPPORTED,
        "output_type unsupported");
  if (rows < 0 || cols < 0 || rows > (1 << 24) || cols > (1 << 24)
      || (rows && cols > (1 << 24) / rows))
    return ovi_ir_fail (c, error, OVI_ERROR_UNSUPPORTED, "eye too large");
  dims[0] = rows;
  dims[1] = cols;
  e = ovi_tensor_new (t, 2, dims);
  if (e == NULL)
    return ovi_ir_fail (c, error, OVI_ERROR_INVALID, "eye too large");
  diag = CLAMP (diag, -rows, cols);
  for (int64_t i = MAX (0, -diag); i < rows && i + diag < cols; i++)
    ovi_ir_store_saturated (e, i * cols + i + diag, 1);
  {
    int v = ovi_ir_new_const (c, e);
    ovi_ir_node1 (c, "Identity", c->out[0], t, 1, v);
  }
  return TRUE;
}

static gboolean
import_interpolate (OviIrImport *c, GError **error)
{
  const char *mode = ovi_ir_attr_str (c, "mode", "nearest");
  const char *calc = ovi_ir_attr_str (c, "shape_calculation_mode", "sizes");
  const char *ctm = ovi_ir_attr_str (c, "coordinate_transformation_mode",
      "half_pixel");
  const char *nm = ovi_ir_attr_str (c, "nearest_mode", "round_prefer_floor");
  gboolean antialias, sizes_mode;
  double cube;
  int64_t pads[OVI_MAX_RANK], axes[OVI_MAX_RANK];
  int n_pads, n_axes = -1, axes_input_k, src;
  int ins[4];
  const char *onnx_mode;

  if (c->version < 4)
    return ovi_ir_fail (c, error, OVI_ERROR_UNSUPPORTED,
        "Interpolate-1 is not supported");
  if (!ovi_ir_check_io (c, c->version >= 11 ? 2 : 3, c->version >= 11 ? 3 : 4,
          1, 1, error)
      || !ovi_ir_attr_bool (c, "antialias", FALSE, &antialias, error)
      || !ovi_ir_attr_float (c, "cube_coeff", FALSE, -0.75, &cube, error))
    return FALSE;
  for (int d = 0; d < 2; d++) {
    if (!ovi_ir_attr_ints_fixed (c, d ? "pads_end" : "pads_begin", FALSE,
            OVI_MAX_RANK, &n_pads, pads, error))
      return FALSE;
    for (int i = 0; i < n_pads; i++)
      if (pads[i] != 0)
        return ovi_ir_fail (c, error, OVI_ERROR_UNSUPPORTED,
            "padding is not supported");
  }
  if (strcmp (mode, "nearest") == 0)
    onnx_mode = "nearest";
  else if (strcmp (mode, "linear") == 0 || strcmp (mode, "linear_onnx") == 0)
    onnx_mode = "linear";
  else if (strcmp (mode, "cubic") == 0)
    onnx_mode = "cubic";
  else
    return ovi_ir_fail (c, error, OVI_ERROR_UNSUPPORTED, "mode '%s' is not "
        "supported", mode);
  if (strcmp (ctm, "half_pixel") != 0 && strcmp (ctm, "pytorch_half_pixel")
      != 0 && strcmp (ctm, "asymmetric") != 0
      && strcmp (ctm, "tf_half_pixel_for_nn") != 0
      && strcmp (ctm, "align_corners") != 0)
    return ovi_ir_fail (c, error, OVI_ERROR_UNSUPPORTED,
        "coordinate_transformation_mode '%s' is not supported", ctm);
  if (strcmp (nm, "round_prefer_floor") != 0
      && strcmp (nm, "round_prefer_ceil") != 0 && strcmp (nm, "floor") != 0
      && strcmp (nm, "ceil") != 0)
    return ovi_ir_fail (c, error, OVI_ERROR_UNSUPPORTED,
        "nearest_mode '%s' is not supported", nm);
  if (strcmp (calc, "sizes") == 0)
    sizes_mode = TRUE;
  else if (strcmp (calc, "scales") == 0)
    sizes_mode = FALSE;
  else
    return ovi_ir_fail (c, error, OVI_ERROR_UNSUPPORTED,
        "shape_calculation_mode '%s' is not supported", calc);
  axes_input_k = c->version >= 11 ? 2 : 3;
  if (c->n_in > axes_input_k
      && !ovi_ir_const_ints (c, axes_input_k, "axes", OVI_MAX_RANK, &n_axes,
          axes, error))
    return FALSE;
  src = c->version >= 11 ? c->in[1] : sizes_mode ? c->in[1] : c->in[2];
  ins[0] = c->in[0];
  ins[1] = -1;
  if (sizes_mode) {
    ins[2] = -1;
    ins[3] = ovi_ir_to_1d (c, ovi_ir_to_i64 (c, src), -1);
  } else {
    ins[2] = ovi_ir_to_1d (c, ovi_ir_cast (c, src, OVI_DTYPE_FLOAT32, -1), -1);
  }
  ovi_ir_add_node (c, "Resize", sizes_mode ? 4 : 3, ins, 1, c->out);
  ovi_node_set_attr_string (ovi_ir_last_node (c), "mode", onnx_mode);
  ovi_node_set_attr_string (ovi_ir_last_node (c),
      "coordinate_transformation_mode", ctm);
  ovi_node_set_attr_string (ovi_ir_last_node (c), "nearest_mode", nm);
  ovi_node_set_attr_float (ovi_ir_last_node (c), "cubic_coeff_a", (float) cube);
  if (antialias && strcmp (onnx_mode, "nearest") != 0)
    ovi_node_set_attr_int (ovi_ir_last_node (c), "antialias", 1);
  if (n_axes >= 0)
    ovi_node_set_attr_ints (ovi_ir_last_node (c), "axes", n_axes, axes);
  return TRUE;
}

static gboolean
import_nms (OviIrImport *c, GError **error)
{
  const char *enc = ovi_ir_attr_str (c, "box_encoding", "corner");
  gboolean sort_desc;
  OviDType it = ovi_ir_parse_type (ovi_ir_attr_str (c, "output_type", "i64"));
  int ins[5], sel, n_ins = 2;
  int64_t minus1 = -1;
  if (!ovi_ir_check_io (c, 2, 6, 1, 3, error)
      || !ovi_ir_attr_bool (c, "sort_result_descending", TRUE, &sort_desc,
          error))
    return FALSE;
  if (strcmp (enc, "corner") != 0 && strcmp (enc, "center") != 0)
    return ovi_ir_fail (c, error, OVI_ERROR_UNSUPPORTED,
        "box_encoding '%s' is not supported", enc);
  if (it != OVI_DTYPE_INT32 && it != OVI_DTYPE_INT64)
    return ovi_ir_fail (c, error, OVI_ERROR_UNSUPPORTED,
        "output_type must be i32 or i64");
  if (c->n_in >= 6) {
    const OviTensor *sigma = ovi_ir_in_const (c, 5);
    if (sigma == NULL || ovi_tensor_numel (sigma) != 1
        || ovi_tensor_get_f64 (sigma, 0) != 0)
      return ovi_ir_fail (c, error, OVI_ERROR_UNSUPPORTED,
          "Soft-NMS (soft_nms_sigma) is not supported");
  }
  ins[0] = c->in[0];
  ins[1] = c->in[1];
  for (int k = 2; k < MIN (c->n_in, 5); k++) {
    OviDType t = k == 2 ? OVI_DTYPE_INT64 : OVI_DTYPE_FLOAT32;
    ins[k] = ovi_ir_node1 (c, "Reshape", -1, t, 2,
        ovi_ir_cast (c, c->in[k], t, -1),
        ovi_ir_const_i64 (c, 1, &minus1, FALSE));
    n_ins = k + 1;
  }
  sel = ovi_ir_new_value (c, OVI_DTYPE_INT64);
  ovi_ir_add_node (c, "NonMaxSuppression", n_ins, ins, 1, &sel);
  ovi_node_set_attr_int (ovi_ir_last_node (c), "center_point_box",
      strcmp (enc, "center") == 0);
  /* selected_scores: [batch, class, score] per selected box. */
  {
    OviDType st = c->n_out >= 2 ? ovi_ir_out_dtype (c, 1) : OVI_DTYPE_FLOAT32;
    int64_t zero = 0, two = 2, one = 1;
    int score, bc, parts[2], scores_v;
    if (st == OVI_DTYPE_UNDEFINED)
      st = ovi_ir_in_dtype (c, 1);
    score = ovi_ir_node1 (c, "GatherND", -1, st, 2, c->in[1], sel);
    if (sort_desc) {
      /* Sort the selection by score, stably, across batches and classes. */
      int n = ovi_ir_node1 (c, "Shape", -1, OVI_DTYPE_INT64, 1, score);
      int order = ovi_ir_new_value (c, OVI_DTYPE_INT64);
      int sorted = ovi_ir_new_value (c, st);
      int topk_out[2] = { sorted, order };
      int topk_in[2] = { score, n };
      ovi_ir_add_node (c, "TopK", 2, topk_in, 2, topk_out);
      ovi_node_set_attr_int (ovi_ir_last_node (c), "axis", 0);
      sel = ovi_ir_node1 (c, "Gather", -1, OVI_DTYPE_INT64, 2, sel, order);
      ovi_node_set_attr_int (ovi_ir_last_node (c), "axis", 0);
      score = sorted;
    }
    ovi_ir_cast (c, sel, it, c->out[0]);
    if (c->n_out >= 2) {
      bc = ovi_ir_node1 (c, "Slice", -1, OVI_DTYPE_INT64, 4, sel,
          ovi_ir_const_i64 (c, 1, &zero, FALSE),
          ovi_ir_const_i64 (c, 1, &two, FALSE),
          ovi_ir_const_i64 (c, 1, &one, FALSE));
      parts[0] = ovi_ir_cast (c, bc, st, -1);
      parts[1] = ovi_ir_node1 (c, "Unsqueeze", -1, st, 2, score,
          ovi_ir_const_i64 (c, 1, &one, FALSE));
      scores_v = c->out[1];
      ovi_ir_add_node (c, "Concat", 2, parts, 1, &scores_v);
      ovi_node_set_attr_int (ovi_ir_last_node (c), "axis", 1);
    }
    if (c->n_out >= 3) {
      int shape = ovi_ir_node1 (c, "Shape", -1, OVI_DTYPE_INT64, 1, sel);
      int first = ovi_ir_node1 (c, "Slice", -1, OVI_DTYPE_INT64, 3, shape,
          ovi_ir_const_i64 (c, 1, &zero, FALSE),
          ovi_ir_const_i64 (c, 1, &one, FALSE));
      OviDType vt = ovi_ir_value (c, c->out[2])->dtype;
      ovi_ir_cast (c, first, vt == OVI_DTYPE_UNDEFINED ? it : vt, c->out[2]);
    }
  }
  return TRUE;
}

static gboolean
import_fake_quantize (OviIrImport *c, GError **error)
{
  int64_t levels;
  OviDType t;
  int x, il, ih, ol, oh, lo, hi, q, r, res;
  if (!ovi_ir_check_io (c, 5, 5, 1, 1, error)
      || !ovi_ir_check_broadcast (c, error)
      || !ovi_ir_attr_int (c, "levels", TRUE, 256, &levels, error))
    return FALSE;
  if (levels < 2)
    return ovi_ir_fail (c, error, OVI_ERROR_INVALID,
        "levels must be at least 2");
  t = ovi_ir_out_dtype (c, 0);
  x = c->in[0];
  il = c->in[1];
  ih = c->in[2];
  ol = c->in[3];
  oh = c->in[4];
  lo = ovi_ir_node1 (c, "Min", -1, t, 2, il, ih);
  hi = ovi_ir_node1 (c, "Max", -1, t, 2, il, ih);
  q = ovi_ir_node1 (c, "Div", -1, t, 2,
      ovi_ir_node1 (c, "Sub", -1, t, 2, x, il),
      ovi_ir_node1 (c, "Sub", -1, t, 2, ih, il));
  q = ovi_ir_node1 (c, "Round", -1, t, 1, ovi_ir_node1 (c, "Mul", -1, t, 2, q,
          ovi_ir_const_scalar (c, t, (double) (levels - 1), FALSE)));
  r = ovi_ir_node1 (c, "Add", -1, t, 2, ovi_ir_node1 (c, "Mul", -1, t, 2,
          ovi_ir_node1 (c, "Div", -1, t, 2, q,
              ovi_ir_const_scalar (c, t, (double) (levels - 1), FALSE)),
          ovi_ir_node1 (c, "Sub", -1, t, 2, oh, ol)), ol);
  res = ovi_ir_node1 (c, "Where", -1, t, 3,
      ovi_ir_node1 (c, "Greater", -1, OVI_DTYPE_BOOL, 2, x, hi), oh, r);
  ovi_ir_node1 (c, "Where", c->out[0], t, 3,
      ovi_ir_node1 (c, "LessOrEqual", -1, OVI_DTYPE_BOOL, 2, x, lo), ol, res);
  return TRUE;
}

static gboolean
import_roi_align (OviIrImport *c, GError **error)
{
  int64_t ph, pw, sr;
  double scale;
  const char *mode = ovi_ir_attr_str (c, "mode", "avg");
  const char *aligned = ovi_ir_attr_str (c, "aligned_mode", "asymmetric");
  if (!ovi_ir_check_io (c, 3, 3, 1, 1, error)
      || !ovi_ir_attr_int (c, "pooled_h", TRUE, 1, &ph, error)
      || !ovi_ir_attr_int (c, "pooled_w", TRUE, 1, &pw, error)
      || !ovi_ir_attr_int (c, "sampling_ratio", TRUE, 0, &sr, error)
      || !ovi_ir_attr_float (c, "spatial_scale", TRUE, 1, &scale, error))
    return FALSE;
  if (strcmp (aligned, "asymmetric") != 0
      && strcmp (aligned, "half_pixel") != 0)
    return ovi_ir_fail (c, error, OVI_ERROR_UNSUPPORTED,
        "aligned_mode '%s' is not supported", aligned);
  if (strcmp (mode, "avg") != 0 && strcmp (mode, "max") != 0)
    return ovi_ir_fail (c, error, OVI_ERROR_UNSUPPORTED, "mode '%s' is not "
        "supported", mode);
  ovi_ir_node1 (c, "RoiAlign", c->out[0], ovi_ir_out_dtype (c, 0), 3, c->in[0],
      c->in[1], ovi_ir_to_i64 (c, c->in[2]));
  ovi_node_set_attr_int (ovi_ir_last_node (c), "output_height", ph);
  ovi_node_set_attr_int (ovi_ir_last_node (c), "output_width", pw);
  ovi_node_set_attr_int (ovi_ir_last_node (c), "sampling_ratio", sr);
  ovi_node_set_attr_float (ovi_ir_last_node (c), "spatial_scale",
      (float) scale);
  ovi_node_set_attr_string (ovi_ir_last_node (c), "mode", mode);
  ovi_node_set_attr_string (ovi_ir_last_node (c),
      "coordinate_transformation_mode",
      strcmp (aligned, "half_pixel") == 0 ? "half_pixel" : "output_half_pixel");
  return TRUE;
}

static gboolean
import_grid_sample (OviIrImport *c, GError **error)
{
  gboolean align;
  const char *mode = ovi_ir_attr_str (c, "mode", "bilinear");
  const char *pad = ovi_ir_attr_str (c, "padding_mode", "zeros");
  if (!ovi_ir_check_io (c, 2, 2, 1, 1, error)
      || !ovi_ir_attr_bool (c, "align_corners", FALSE, &align, error))
    return FALSE;
  if (strcmp (mode, "bilinear") != 0 && strcmp (mode, "bicubic") != 0
      && strcmp (mode, "nearest") != 0)
    return ovi_ir_fail (c, error, OVI_ERROR_UNSUPPORTED, "mode '%s' is not "
        "supported", mode);
  if (strcmp (pad, "zeros") != 0 && strcmp (pad, "border") != 0
      && strcmp (pad, "reflection") != 0)
    return ovi_ir_fail (c, error, OVI_ERROR_UNSUPPORTED,
        "padding_mode '%s' is not supported", pad);
  ovi_ir_add_node (c, "GridSample", 2, c->in, 1, c->out);
  ovi_node_set_attr_int (ovi_ir_last_node (c), "align_corners", align);
  ovi_node_set_attr_string (ovi_ir_last_node (c), "mode", mode);
  ovi_node_set_attr_string (ovi_ir_last_node (c), "padding_mode", pad);
  return TRUE;
}

const OviIrImportOp ovi_ir_import_misc[] = {
  { "Range", import_range, 1 },
  { "CumSum", import_cumsum, 1 },
  { "Einsum", import_einsum, 1 },
  { "MatMul", import_matmul, 1 },
  { "NonMaxSuppression", import_nms, 3 },
  { "Interpolate", import_interpolate, 1 },
  { "FakeQuantize", import_fake_quantize, 1 },
  { "ROIAlign", import_roi_align, 3 },
  { "GridSample", import_grid_sample, 9 },
  { "Eye", import_eye, 9 },
  { NULL },
};
