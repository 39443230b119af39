/* Detection heads. Each decoder appends candidates above the threshold in
 * model-input pixels; NMS runs afterwards for heads that need it. */
#include "ovconverter.h"

#include <math.h>

static gsize
n_elements (const OviTensorView *t)
{
  gsize n = 1;
  for (int d = 0; d < t->rank; d++)
    n *= (gsize) t->dims[d];
  return n;
}

static double
read_num (const OviTensorView *t, gsize i)
{
  switch (t->dtype) {
    case OVI_DTYPE_FLOAT32: return ((const float *) t->data)[i];
    case OVI_DTYPE_INT32: return ((const gint32 *) t->data)[i];
    case OVI_DTYPE_INT64: return (double) ((const gint64 *) t->data)[i];
    default: return 0.0;
  }
}

static gboolean
need (gboolean ok, const char *what, GError **error)
{
  if (!ok)
    g_set_error (error, OVI_ERROR, OVI_ERROR_INVALID,
        "%s", what);
  return ok;
}

void
ov_detection_append (GArray *out, float x0, float y0, float x1, float y1,
    float conf, int id, gsize index)
{
  OvDetection d = { x0, y0, x1, y1, conf, id, (int) index };
  /* Finite, non-empty boxes only (also rejects NaN coordinates). */
  if (x1 > x0 && y1 > y0 && isfinite (x0) && isfinite (y0) && isfinite (x1)
      && isfinite (y1) && conf <= 1e30f)
    g_array_append_val (out, d);
}

/* [1, 1, N, 7]: image_id, label, confidence, box normalized to the input;
 * an image_id below 0 ends the list. A batch lists all its images' rows
 * there; without one, every row is the single image's. */
static gboolean
detection_output (const OviTensorView *t, const OvDetectParams *p,
    GArray *out, GError **error)
{
  gsize n;
  const float *x = t->data;
  if (!need (t->rank >= 2 && t->dims[t->rank - 1] == 7
          && t->dtype == OVI_DTYPE_FLOAT32,
          "detection_output: expected a float [1, 1, N, 7] output", error))
    return FALSE;
  n = n_elements (t) / 7;
  for (gsize i = 0; i < n; i++, x += 7) {
    if (x[0] < 0.0f)
      break;
    if (p->by_image && x[0] != (float) p->image_id)
      continue;
    if (!(x[2] >= p->threshold))    /* NaN fails too */
      continue;
    ov_detection_append (out, x[3] * p->input_width, x[4] * p->input_height,
        x[5] * p->input_width, x[6] * p->input_height, x[2], (int) x[1], i);
  }
  return TRUE;
}

/* boxes [N, 5] (x_min, y_min, x_max, y_max, confidence) in input pixels,
 * or normalized when no coordinate exceeds 1; labels [N]. */
static gboolean
boxes_labels (const OviTensorView *outs, int n_outs, const OvDetectParams *p,
    GArray *out, GError **error)
{
  const OviTensorView *b = &outs[0], *l;
  gsize n;
  gboolean normalized = TRUE;
  const float *x;

  if (!need (n_outs >= 2 && b->dtype == OVI_DTYPE_FLOAT32
          && b->rank >= 2 && b->dims[b->rank - 1] == 5,
          "boxes_labels: expected float boxes [N, 5] and labels [N]", error))
    return FALSE;
  l = &outs[1];
  n = n_elements (b) / 5;
  if (!need (n_elements (l) == n, "boxes_labels: boxes and labels differ in "
          "count", error))
    return FALSE;
  x = b->data;
  for (gsize i = 0; i < n * 5; i++)
    if ((i % 5) != 4 && x[i] > 1.0f)
      normalized = FALSE;
  for (gsize i = 0; i < n; i++, x += 5) {
    float sx = normalized ? p->input_width : 1.0f;
    float sy = normalized ? p->input_height : 1.0f;
    if (!(x[4] >= p->threshold))
      continue;
    ov_detection_append (out, x[0] * sx, x[1] * sy, x[2] * sx, x[3] * sy, x[4],
        (int) read_num (l, i), i);
  }
  return TRUE;
}

/* Candidates with a center-size box and class scores, read through
 * strides so one loop serves [N, K] and [K, N] layouts. */
static void
center_boxes (const float *x, gsize n, gsize s_item, gsize s_field,
    int n_classes, int first_class, int objectness, float threshold,
    GArray *out)
{
  for (gsize i = 0; i < n; i++) {
    const float *c = x + i * s_item;
    float obj = objectness >= 0 ? c[objectness * s_field] : 1.0f;
    float best = -1.0f;
    int id = 0;
    if (!(obj >= threshold))
      continue;
    for (int k = 0; k < n_classes; k++) {
      float s = c[(first_class + k) * s_field];
      if (s > best) {
        best = s;
        id = k;
      }
    }
    best *= obj;
    if (!(best >= threshold))
      continue;
    {
      float cx = c[0], cy = c[s_field], w = c[2 * s_field], h = c[3 * s_field];
      ov_detection_append (out, cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2, best, id, i);
    }
  }
}

static gboolean
rank2 (const OviTensorView *t, int64_t *rows, int64_t *cols)
{
  for (int d = 0; d < t->rank - 2; d++)
    if (t->dims[d] != 1)
      return FALSE;
  if (t->rank < 2)
    return FALSE;
  *rows = t->dims[t->rank - 2];
  *cols = t->dims[t->rank - 1];
  return TRUE;
}

gboolean
ov_converter_detect (OvConverterKind kind, const OviTensorView *outs,
    int n_outs, const OvDetectParams *p, GArray *out, GError **error)
{
  int64_t rows, cols;
  guint first = out->len;

  if (n_outs < 1)
    return need (FALSE, "the model has no output", error);
  switch (kind) {
    case OV_CONVERTER_DETECTION_OUTPUT:
      return detection_output (&outs[0], p, out, error);
    case OV_CONVERTER_BOXES_LABELS:
      return boxes_labels (outs, n_outs, p, out, error);
    case OV_CONVERTER_BOXES_SCORES:
      if (!ov_converter_boxes_scores (outs, n_outs, p, FALSE, out, error))
        return FALSE;
      break;
    case OV_CONVERTER_YOLO_V5:
      if (ov_converter_is_yolo_grid (outs, n_outs)) {
        if (!ov_converter_yolo_grid (outs, n_outs, p, FALSE, out, error))
          return FALSE;
        break;
      }
      if (!need (outs[0].dtype == OVI_DTYPE_FLOAT32
              && rank2 (&outs[0], &rows, &cols) && cols > 5,
              "yolo_v5: expected a float [1, N, 5 + classes] output", error))
        return FALSE;
      center_boxes (outs[0].data, rows, cols, 1, cols - 5, 5, 4,
          p->threshold, out);
      break;
    case OV_CONVERTER_YOLO_V8:
      if (!need (outs[0].dtype == OVI_DTYPE_FLOAT32
              && rank2 (&outs[0], &rows, &cols) && MIN (rows, cols) > 4,
              "yolo_v8: expected a float [1, 4 + classes, N] output", error))
        return FALSE;
      /* Channels first as exported; transposed exports accepted too. */
      if (rows < cols)
        center_boxes (outs[0].data, cols, 1, cols, rows - 4, 4, -1,
            p->threshold, out);
      else
        center_boxes (outs[0].data, rows, cols, 1, cols - 4, 4, -1,
            p->threshold, out);
      break;
    case OV_CONVERTER_YOLO_V8_SEG: {
      /* The boxes of YOLOv8 with M mask coefficients after the classes
       * (ov_yolo_seg_mask reads them by the detection's index). */
      OvYoloSegLayout l;
      const OviTensorView *b;
      if (!ov_yolo_seg_layout (outs, n_outs, &l, error))
        return FALSE;
      b = &outs[l.boxes];
      if (l.channels_first)
        center_boxes (b->data, l.n_candidates, 1, l.n_candidates,
            l.n_classes, 4, -1, p->threshold, out);
      else
        center_boxes (b->data, l.n_candidates, 4 + l.n_classes + l.n_coeffs,
            1, l.n_classes, 4, -1, p->threshold, out);
      break;
    }
    case OV_CONVERTER_YOLO_V10: {
      const float *x = outs[0].data;
      if (!need (outs[0].dtype == OVI_DTYPE_FLOAT32
              && rank2 (&outs[0], &rows, &cols) && cols == 6,
              "yolo_v10: expected a float [1, N, 6] output", error))
        return FALSE;
      for (int64_t i = 0; i < rows; i++, x += 6)
        if (x[4] >= p->threshold)   /* NaN fails */
          ov_detection_append (out, x[0], x[1], x[2], x[3], x[4], (int) x[5], (gsize) i);
      return TRUE;
    }
    default:
      return need (FALSE, "not a detection converter", error);
  }
  /* YOLO and anchor heads emit overlapping candidates; NMS over the new
   * ones. */
  if (p->iou_threshold > 0.0f && out->len > first) {
    GArray *fresh = g_array_sized_new (FALSE, FALSE, sizeof (OvDetection),
        out->len - first);
    g_array_append_vals (fresh, &g_array_index (out, OvDetection, first),
        out->len - first);
    ov_nms (fresh, p->iou_threshold, FALSE);
    g_array_set_size (out, first);
    g_array_append_vals (out, fresh->data, fresh->len);
    g_array_unref (fresh);
  }
  return TRUE;
}

gboolean
ov_converter_check_detect (OvConverterKind kind, const OviTensorView *outs,
    int n_outs, const OvDetectParams *p, GError **error)
{
  switch (kind) {
    case OV_CONVERTER_BOXES_SCORES:
      return ov_converter_boxes_scores (outs, n_outs, p, TRUE, NULL, error);
    case OV_CONVERTER_YOLO_V5:
      if (ov_converter_is_yolo_grid (outs, n_outs))
        return ov_converter_yolo_grid (outs, n_outs, p, TRUE, NULL, error);
      return TRUE;
    default:
      /* The other heads have no parameters to match; their shapes are
       * checked on each result. */
      return TRUE;
  }
}
