/* Shape inference for the misc op group: Resize and Upsample, the loss
 * ops, Det, the window generators, GridSample, RoiAlign and the
 * recurrent ops (RNN, GRU, LSTM). */
#include <math.h>
#include <string.h>

#include "cpu/cpu-rnn-acts.h"
#include "ops.h"

static gboolean
is_float_type (OviDType t)
{
  return ovi_dtype_is_float (t);
}

static gboolean
is_index_type (OviDType t)
{
  return t == OVI_DTYPE_INT32 || t == OVI_DTYPE_INT64;
}

/* Resize and Upsample. */

static gboolean
resize_mode_ok (const char *mode)
{
  return strcmp (mode, "nearest") == 0 || strcmp (mode, "linear") == 0
      || strcmp (mode, "cubic") == 0 || strcmp (mode, "bilinear") == 0;
}

static OviInferResult
infer_resize (OviOpCtx *ctx, GError **error)
{
  const OviNode *node = ctx->node;
  gboolean upsample = strcmp (node->op_type, "Upsample") == 0;
  OviTensor *x, *scales = NULL, *sizes = NULL;
  int rank, n_axes, axes[OVI_MAX_RANK];
  int64_t dims[OVI_MAX_RANK];
  double sc[OVI_MAX_RANK];
  const char *mode = ovi_node_attr_string (node, "mode", "nearest");
  const char *policy = "stretch";

  if (!ovi_op_check_inputs (ctx, 1, upsample ? 2 : 4, error))
    return OVI_INFER_ERROR;
  x = ctx->inputs[0];
  rank = x->rank;
  if (!resize_mode_ok (mode)
      || (strcmp (mode, "cubic") == 0 && (upsample || ctx->opset < 11)))
    return ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
        "mode '%s' is not supported", mode);
  if (!upsample && ctx->opset >= 11) {
    const char *ctm = ovi_node_attr_string (node,
        "coordinate_transformation_mode", "half_pixel");
    const char *nm = ovi_node_attr_string (node, "nearest_mode",
        "round_prefer_floor");
    static const char *const ctms[] = { "half_pixel", "half_pixel_symmetric",
      "pytorch_half_pixel", "align_corners", "asymmetric",
      "tf_half_pixel_for_nn", "tf_crop_and_resize" };
    static const char *const nms[] = { "round_prefer_floor",
      "round_prefer_ceil", "floor", "ceil" };
    gboolean ok = FALSE;
    for (guint i = 0; i < G_N_ELEMENTS (ctms); i++)
      ok |= strcmp (ctm, ctms[i]) == 0;
    if (!ok)
      return ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
          "coordinate_transformation_mode '%s' is not supported", ctm);
    ok = FALSE;
    for (guint i = 0; i < G_N_ELEMENTS (nms); i++)
      ok |= strcmp (nm, nms[i]) == 0;
    if (!ok)
      return ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
          "nearest_mode '%s' is not supported", nm);
    if (ctx->opset >= 18)
      policy = ovi_node_attr_string (node, "keep_aspect_ratio_policy",
          "stretch");
    if (strcmp (policy, "stretch") != 0 && strcmp (policy, "not_larger") != 0
        && strcmp (policy, "not_smaller") != 0)
      return ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
          "keep_aspect_ratio_policy '%s' is not supported", policy);
  }

  /* Which axes the scales/sizes refer to. */
  n_axes = rank;
  for (int d = 0; d < rank; d++)
    axes[d] = d;
  if (!upsample && ctx->opset >= 18) {
    const int64_t *a;
    int n = ovi_node_attr_ints (node, "axes", &a);
    if (n >= 0) {
      if (n > rank)
        return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
            "has %d axes for rank %d", n, rank);
      for (int i = 0; i < n; i++) {
        if (!ovi_op_axis (a[i], rank, &axes[i]))
          return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
              "axis %" G_GINT64_FORMAT " is out of range", a[i]);
        for (int j = 0; j < i; j++)
          if (axes[j] == axes[i])
            return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
                "axis %d is repeated", axes[i]);
      }
      n_axes = n;
    }
  }

  if (upsample && ctx->opset < 9) {
    const float *f;
    int n = ovi_node_attr_floats (node, "scales", &f);
    if (n != rank)
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "needs a 'scales' attribute of %d values", rank);
    for (int d = 0; d < rank; d++)
      sc[d] = f[d];
  } else {
    if (upsample || ctx->opset < 11) {
      scales = ovi_op_input (ctx, 1);
      if (scales == NULL)
        return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
            "the scales input is missing");
    } else {
      scales = ovi_op_input (ctx, 2);
      sizes = ovi_op_input (ctx, 3);
      if (scales && ovi_tensor_numel (scales) == 0)
        scales = NULL;
      if (sizes && ovi_tensor_numel (sizes) == 0)
        sizes = NULL;
      if ((scales == NULL) == (sizes == NULL))
        return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
            "needs exactly one of the scales and sizes inputs");
    }
    if (scales) {
      if (!is_float_type (scales->dtype))
        return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
            "scales must be float, not %s", ovi_dtype_name (scales->dtype));
      if (ovi_tensor_numel (scales) != n_axes)
        return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
            "scales has %" G_GINT64_FORMAT " values for %d axes",
            ovi_tensor_numel (scales), n_axes);
      if (scales->data == NULL)
        return OVI_INFER_NEED_DATA;
      for (int d = 0; d < rank; d++)
        sc[d] = 1.0;
      for (int i = 0; i < n_axes; i++)
        sc[axes[i]] = ovi_tensor_get_f64 (scales, i);
    } else {
      if (!is_index_type (sizes->dtype))
        return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
            "sizes must be int64, not %s", ovi_dtype_name (sizes->dtype));
      if (ovi_tensor_numel (sizes) != n_axes)
        return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
            "sizes has %" G_GINT64_FORMAT " values for %d axes",
            ovi_tensor_numel (sizes), n_axes);
      if (sizes->data == NULL)
        return OVI_INFER_NEED_DATA;
    }
  }

  memcpy (dims, x->dims, sizeof (int64_t) * rank);
  if (sizes) {
    double keep = strcmp (policy, "not_larger") == 0 ? INFINITY : -INFINITY;
    for (int i = 0; i < n_axes; i++) {
      int64_t s = ovi_tensor_get_i64 (sizes, i);
      if (s < 0)
        return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
            "size %" G_GINT64_FORMAT " is negative", s);
      dims[axes[i]] = s;
      if (strcmp (policy, "stretch") != 0) {
        double r = x->dims[axes[i]] > 0 ? (double) s / x->dims[axes[i]] : 0;
        keep = strcmp (policy, "not_larger") == 0 ? MIN (keep, r)
            : MAX (keep, r);
      }
    }
    if (strcmp (policy, "stretch") != 0 && n_axes > 0)
      for (int i = 0; i < n_axes; i++)
        dims[axes[i]] = (int64_t) floor (keep * x->dims[axes[i]] + 0.5);
  } else {
    for (int d = 0; d < rank; d++) {
      double v = sc[d] * (double) x->dims[d];
      if (!(sc[d] > 0) || !(v < 1e15))
        return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
            "scale %g is not usable", sc[d]);
      dims[d] = (int64_t) floor (v);
    }
  }
  for (int d = 0; d < rank; d++)
    if (x->dims[d] == 0 && dims[d] > 0)
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "cannot resize the empty axis %d", d);
  ovi_op_set_output (ctx, 0, x->dtype, rank, dims);
  return OVI_INFER_OK;
}

/* NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss. */

static OviInferResult
infer_loss (OviOpCtx *ctx, GError **error)
{
  gboolean sce = strcmp (ctx->node->op_type, "SoftmaxCrossEntropyLoss") == 0;
  const char *reduction = ovi_node_attr_string (ctx->node, "reduction",
      "mean");
  OviTensor *x, *t, *w;

  if (!ovi_op_check_inputs (ctx, 2, 3, error))
    return OVI_INFER_ERROR;
  x = ctx->inputs[0];
  t = ctx->inputs[1];
  w = ovi_op_input (ctx, 2);
  if (!is_float_type (x->dtype))
    return ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
        "input type %s is not supported", ovi_dtype_name (x->dtype));
  if (!is_index_type (t->dtype))
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "target must be int32 or int64, not %s", ovi_dtype_name (t->dtype));
  if (x->rank < 2 || t->rank != x->rank - 1 || t->dims[0] != x->dims[0])
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "input of rank %d (at least 2, [N, C, ...]) does not match target "
        "of rank %d ([N, ...])", x->rank, t->rank);
  for (int d = 1; d < t->rank; d++)
    if (t->dims[d] != x->dims[d + 1])
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "target dimension %d is %" G_GINT64_FORMAT ", input has %"
          G_GINT64_FORMAT, d, t->dims[d], x->dims[d + 1]);
  if (w && (w->rank != 1 || w->dims[0] != x->dims[1] || w->dtype != x->dtype))
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "weight must be a [C] tensor of the input's type");
  if (strcmp (reduction, "none") == 0)
    ovi_op_set_output (ctx, 0, x->dtype, t->rank, t->dims);
  else if (strcmp (reduction, "sum") == 0 || strcmp (reduction, "mean") == 0)
    ovi_op_set_output (ctx, 0, x->dtype, 0, NULL);
  else
    return ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
        "reduction '%s' is not supported", reduction);
  if (sce)
    ovi_op_set_output (ctx, 1, x->dtype, x->rank, x->dims);
  return OVI_INFER_OK;
}

static OviInferResult
infer_det (OviOpCtx *ctx, GError **error)
{
  OviTensor *x;
  if (!ovi_op_check_inputs (ctx, 1, 1, error))
    return OVI_INFER_ERROR;
  x = ctx->inputs[0];
  if (!is_float_type (x->dtype))
    return ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
        "input type %s is not supported", ovi_dtype_name (x->dtype));
  if (x->rank < 2 || x->dims[x->rank - 1] != x->dims[x->rank - 2])
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "input must be [*, M, M]");
  ovi_op_set_output (ctx, 0, x->dtype, x->rank - 2, x->dims);
  return OVI_INFER_OK;
}

static OviInferResult
infer_window (OviOpCtx *ctx, GError **error)
{
  OviTensor *n;
  int64_t size, to;
  if (!ovi_op_check_inputs (ctx, 1, 1, error))
    return OVI_INFER_ERROR;
  n = ctx->inputs[0];
  if (!is_index_type (n->dtype) || ovi_tensor_numel (n) != 1)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "size must be an int32 or int64 scalar");
  to = ovi_node_attr_int (ctx->node, "output_datatype", OVI_DTYPE_FLOAT32);
  if (to == OVI_DTYPE_STRING || to == OVI_DTYPE_BOOL
      || !ovi_dtype_is_known ((OviDType) to))
    return ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
        "output_datatype %d is not supported", (int) to);
  if (n->data == NULL)
    return OVI_INFER_NEED_DATA;
  size = ovi_tensor_get_i64 (n, 0);
  if (size < 0)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "size %" G_GINT64_FORMAT " is negative", size);
  ovi_op_set_output (ctx, 0, (OviDType) to, 1, &size);
  return OVI_INFER_OK;
}

static OviInferResult
infer_grid_sample (OviOpCtx *ctx, GError **error)
{
  OviTensor *x, *g;
  const char *mode = ovi_node_attr_string (ctx->node, "mode", "bilinear");
  const char *pad = ovi_node_attr_string (ctx->node, "padding_mode", "zeros");
  int64_t dims[4];

  if (!ovi_op_check_inputs (ctx, 2, 2, error))
    return OVI_INFER_ERROR;
  x = ctx->inputs[0];
  g = ctx->inputs[1];
  if (strcmp (mode, "bilinear") != 0 && strcmp (mode, "linear") != 0
      && strcmp (mode, "nearest") != 0 && strcmp (mode, "bicubic") != 0
      && strcmp (mode, "cubic") != 0)
    return ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
        "mode '%s' is not supported", mode);
  if (strcmp (pad, "zeros") != 0 && strcmp (pad, "border") != 0
      && strcmp (pad, "reflection") != 0)
    return ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
        "padding_mode '%s' is not supported", pad);
  if (x->rank != 4)
    return ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
        "only 4-D inputs are supported, got rank %d", x->rank);
  if (!is_float_type (x->dtype) || !is_float_type (g->dtype))
    return ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
        "types %s and %s are not supported", ovi_dtype_name (x->dtype),
        ovi_dtype_name (g->dtype));
  if (g->rank != 4 || g->dims[0] != x->dims[0] || g->dims[3] != 2)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "grid must be [N, H_out, W_out, 2]");
  dims[0] = x->dims[0];
  dims[1] = x->dims[1];
  dims[2] = g->dims[1];
  dims[3] = g->dims[2];
  ovi_op_set_output (ctx, 0, x->dtype, 4, dims);
  return OVI_INFER_OK;
}

static OviInferResult
infer_roi_align (OviOpCtx *ctx, GError **error)
{
  OviTensor *x, *rois, *bi;
  int64_t dims[4];
  const char *mode = ovi_node_attr_string (ctx->node, "mode", "avg");
  const char *ctm = ovi_node_attr_string (ctx->node,
      "coordinate_transformation_mode", "half_pixel");

  if (!ovi_op_check_inputs (ctx, 3, 3, error))
    return OVI_INFER_ERROR;
  x = ctx->inputs[0];
  rois = ctx->inputs[1];
  bi = ctx->inputs[2];
  if (strcmp (mode, "avg") != 0 && strcmp (mode, "max") != 0)
    return ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
        "mode '%s' is not supported", mode);
  if (ctx->opset >= 16 && strcmp (ctm, "half_pixel") != 0
      && strcmp (ctm, "output_half_pixel") != 0)
    return ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
        "coordinate_transformation_mode '%s' is not supported", ctm);
  if (!is_float_type (x->dtype) || !is_float_type (rois->dtype))
    return ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
        "types %s and %s are not supported", ovi_dtype_name (x->dtype),
        ovi_dtype_name (rois->dtype));
  if (x->rank != 4 || rois->rank != 2 || rois->dims[1] != 4 || bi->rank != 1
      || bi->dims[0] != rois->dims[0] || !is_index_type (bi->dtype))
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "needs X [N, C, H, W], rois [R, 4] and batch_indices [R]");
  dims[0] = rois->dims[0];
  dims[1] = x->dims[1];
  dims[2] = ovi_node_attr_int (ctx->node, "output_height", 1);
  dims[3] = ovi_node_attr_int (ctx->node, "output_width", 1);
  if (dims[2] < 1 || dims[3] < 1)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "output size must be positive");
  ovi_op_set_output (ctx, 0, x->dtype, 4, dims);
  return OVI_INFER_OK;
}

/* RNN, GRU, LSTM. */

static OviInferResult
infer_rnn (OviOpCtx *ctx, GError **error)
{
  const OviNode *node = ctx->node;
  const char *op = node->op_type;
  int gates = strcmp (op, "LSTM") == 0 ? 4 : strcmp (op, "GRU") == 0 ? 3 : 1;
  const char *direction = ovi_node_attr_string (node, "direction", "forward");
  int64_t hidden = ovi_node_attr_int (node, "hidden_size", -1);
  int64_t layout = ctx->opset >= 14 ? ovi_node_attr_int (node, "layout", 0)
      : 0;
  int dirs;
  OviTensor *x, *w, *r, *t;
  int64_t seq, batch, input, dims[4];

  if (!ovi_op_check_inputs (ctx, 3, gates == 4 ? 8 : 6, error))
    return OVI_INFER_ERROR;
  x = ctx->inputs[0];
  w = ctx->inputs[1];
  r = ctx->inputs[2];
  if (strcmp (direction, "forward") == 0 || strcmp (direction, "reverse") == 0)
    dirs = 1;
  else if (strcmp (direction, "bidirectional") == 0)
    dirs = 2;
  else
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "direction '%s' is not valid", direction);
  if (!is_float_type (x->dtype) || w->dtype != x->dtype || r->dtype != x->dtype)
    return ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
        "types %s/%s/%s are not supported", ovi_dtype_name (x->dtype),
        ovi_dtype_name (w->dtype), ovi_dtype_name (r->dtype));
  if (x->rank != 3 || w->rank != 3 || r->rank != 3)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "X, W and R must be 3-D");
  if (layout != 0 && layout != 1)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "layout %" G_GINT64_FORMAT " is not valid", layout);
  if (hidden <= 0)
    hidden = r->dims[2];
  seq = layout ? x->dims[1] : x->dims[0];
  batch = layout ? x->dims[0] : x->dims[1];
  input = x->dims[2];
  if (w->dims[0] != dirs || w->dims[1] != gates * hidden
      || w->dims[2] != input || r->dims[0] != dirs
      || r->dims[1] != gates * hidden || r->dims[2] != hidden)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "W or R does not match %d direction(s), hidden size %"
        G_GINT64_FORMAT " and input size %" G_GINT64_FORMAT, dirs, hidden,
        input);
  if ((t = ovi_op_input (ctx, 3))
      && (t->dtype != x->dtype || ovi_tensor_numel (t) != dirs * 2 * gates
          * hidden))
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID, "B has a bad shape");
  if ((t = ovi_op_input (ctx, 4))
      && (!is_index_type (t->dtype) || ovi_tensor_numel (t) != batch))
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "sequence_lens must be [batch] integers");
  for (int i = 5; i < (gates == 4 ? 7 : 6); i++)
    if ((t = ovi_op_input (ctx, i))
        && (t->dtype != x->dtype || ovi_tensor_numel (t) != dirs * batch
            * hidden))
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "initial state %d has a bad shape", i);
  if (gates == 4 && (t = ovi_op_input (ctx, 7))
      && (t->dtype != x->dtype || ovi_tensor_numel (t) != dirs * 3 * hidden))
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID, "P has a bad shape");

  {
    /* The kernels read the activations with the same parser. */
    OviRnnAct parsed[6];
    OviErrorCode code = OVI_ERROR_INVALID;
    char *problem = NULL;
    int per_dir = gates == 4 ? 3 : gates == 3 ? 2 : 1;
    if (!ovi_rnn_activations (node, per_dir, dirs, parsed, &code, &problem)) {
      OviInferResult res = ovi_op_error (ctx, error, code, "%s", problem);
      g_free (problem);
      return res;
    }
  }

  if (layout == 0) {
    dims[0] = seq; dims[1] = dirs; dims[2] = batch; dims[3] = hidden;
  } else {
    dims[0] = batch; dims[1] = seq; dims[2] = dirs; dims[3] = hidden;
  }
  ovi_op_set_output (ctx, 0, x->dtype, 4, dims);
  if (layout == 0) {
    dims[0] = dirs; dims[1] = batch; dims[2] = hidden;
  } else {
    dims[0] = batch; dims[1] = dirs; dims[2] = hidden;
  }
  ovi_op_set_output (ctx, 1, x->dtype, 3, dims);
  if (gates == 4)
    ovi_op_set_output (ctx, 2, x->dtype, 3, dims);
  return OVI_INFER_OK;
}

const OviOpDef ovi_ops_misc[] = {
  { "Resize", infer_resize }, { "Upsample", infer_resize },
  { "NegativeLogLikelihoodLoss", infer_loss },
  { "SoftmaxCrossEntropyLoss", infer_loss },
  { "Det", infer_det },
  { "HannWindow", infer_window }, { "HammingWindow", infer_window },
  { "BlackmanWindow", infer_window },
  { "GridSample", infer_grid_sample },
  { "RoiAlign", infer_roi_align },
  { "RNN", infer_rnn }, { "GRU", infer_rnn }, { "LSTM", infer_rnn },
  { NULL }
};
