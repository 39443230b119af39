/* boxes_scores: one box and one row of class scores per candidate.
 *
 * With anchors (TF object detection API SSD heads, face-api.js), the
 * boxes are encodings relative to their anchor, decoded by TF's
 * faster-rcnn box coder: cy = ty / sy * ha + cya, cx = tx / sx * wa + cxa,
 * h = exp (th / sh) * ha, w = exp (tw / sw) * wa. Without anchors they
 * are read as DL Streamer's boxes_scores reads them: normalized x, y,
 * width, height and an optional fifth value that multiplies the score. */
#include "ovconverter.h"

#include <math.h>

void
ov_boxes_scores_params_init (OvBoxesScoresParams *p)
{
  *p = (OvBoxesScoresParams) { 0 };
  p->box_scale[0] = p->box_scale[1] = 10.0f;
  p->box_scale[2] = p->box_scale[3] = 5.0f;
  p->background_label_id = -1;
}

static gsize
n_elements (const OviTensorView *t)
{
  gsize n = 1;
  for (int d = 0; d < t->rank; d++)
    n *= t->dims[d] < 0 ? 0 : (gsize) t->dims[d];
  return n;
}

static gboolean
known (const OviTensorView *t)
{
  for (int d = 0; d < t->rank; d++)
    if (t->dims[d] < 0)
      return FALSE;
  return t->rank >= 1;
}

static gboolean
fail (GError **error, const char *format, ...) G_GNUC_PRINTF (2, 3);

static gboolean
fail (GError **error, const char *format, ...)
{
  va_list args;
  char *what;
  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, OVI_ERROR, OVI_ERROR_INVALID, "boxes_scores: %s", what);
  g_free (what);
  return FALSE;
}

/* The best reportable class of one score row and its confidence after
 * the activation. Softmax normalizes over every column, background
 * included, since that is the distribution the model was trained on. */
static int
best_class (const float *s, int n_columns, const OvBoxesScoresParams *bp,
    int n_classes, float *confidence)
{
  int best = -1;
  for (int k = 0; k < n_classes; k++)
    if (k != bp->background_label_id && (best < 0 || s[k] > s[best]))
      best = k;
  if (best < 0)
    return -1;
  switch (bp->activation) {
    case OV_SCORE_SIGMOID:
      *confidence = 1.0f / (1.0f + expf (-s[best]));
      break;
    case OV_SCORE_SOFTMAX: {
      float top = s[0];
      double sum = 0.0;
      for (int k = 1; k < n_columns; k++)
        top = MAX (top, s[k]);
      for (int k = 0; k < n_columns; k++)
        sum += exp ((double) s[k] - top);
      *confidence = (float) (exp ((double) s[best] - top) / sum);
      break;
    }
    default:
      *confidence = s[best];
  }
  return best;
}

gboolean
ov_converter_boxes_scores (const OviTensorView *outs, int n_outs,
    const OvDetectParams *p, gboolean check_only, GArray *out, GError **error)
{
  OvBoxesScoresParams defaults;
  const OvBoxesScoresParams *bp = p->boxes_scores;
  const OviTensorView *boxes, *scores;
  gboolean anchored;
  int box_len, n_classes;
  gsize n, n_columns;

  if (bp == NULL) {
    ov_boxes_scores_params_init (&defaults);
    bp = &defaults;
  }
  anchored = bp->anchors != NULL;
  if (n_outs < 2)
    return fail (error, "expected two outputs, boxes [N, 4] and scores "
        "[N, classes]");
  /* The boxes are the output whose last dimension is 4 (or 5 without
   * anchors); the first of the two when both fit. */
  boxes = &outs[0];
  scores = &outs[1];
  if (!(boxes->rank >= 1 && (boxes->dims[boxes->rank - 1] == 4
              || (!anchored && boxes->dims[boxes->rank - 1] == 5)))) {
    boxes = &outs[1];
    scores = &outs[0];
  }
  if (!(boxes->rank >= 1 && (boxes->dims[boxes->rank - 1] == 4
              || (!anchored && boxes->dims[boxes->rank - 1] == 5))))
    return fail (error, anchored ? "no output has box encodings [.., N, 4]"
        : "no output has boxes [.., N, 4] or [.., N, 5]");
  if (boxes->dtype != OVI_DTYPE_FLOAT32 || scores->dtype != OVI_DTYPE_FLOAT32)
    return fail (error, "boxes and scores must be float32");
  if (!known (boxes) || !known (scores))
    return TRUE;                /* checked again on the first result */
  box_len = (int) boxes->dims[boxes->rank - 1];
  n = n_elements (boxes) / box_len;
  if (n == 0 || n_elements (scores) % n != 0 || scores->rank < 1)
    return fail (error, "%" G_GSIZE_FORMAT " boxes but %" G_GSIZE_FORMAT
        " scores: not a whole number of scores per box", n,
        n_elements (scores));
  n_columns = n_elements (scores) / n;
  /* Scores [.., N, C], or [.., N] for one class. */
  if (scores->dims[scores->rank - 1] != (int64_t) n_columns
      && !(n_columns == 1 && scores->dims[scores->rank - 1] == (int64_t) n))
    return fail (error, "scores must be [.., %" G_GSIZE_FORMAT ", classes]",
        n);
  if (anchored && (gsize) bp->n_anchors != n)
    return fail (error, "%" G_GSIZE_FORMAT " box encodings but %d anchors",
        n, bp->n_anchors);
  if (bp->classes < 0 || (gsize) bp->classes > n_columns)
    return fail (error, "classes %d, but the scores have %" G_GSIZE_FORMAT
        " columns", bp->classes, n_columns);
  n_classes = bp->classes > 0 ? bp->classes : (int) n_columns;
  if (bp->background_label_id >= n_classes)
    return fail (error, "background_label_id %d is not one of the %d "
        "classes", bp->background_label_id, n_classes);
  if (n_classes == 1 && bp->background_label_id == 0)
    return fail (error, "the only class is the background");
  for (int i = 0; anchored && i < 4; i++)
    if (!(bp->box_scale[i] > 0.0f))
      return fail (error, "box scales must be positive");
  if (check_only)
    return TRUE;

  for (gsize i = 0; i < n; i++) {
    const float *s = (const float *) scores->data + i * n_columns;
    const float *b = (const float *) boxes->data + i * box_len;
    float conf = 0.0f;
    int id = best_class (s, (int) n_columns, bp, n_classes, &conf);
    if (id < 0)
      continue;
    if (box_len == 5)
      conf *= b[4];
    if (!(conf >= p->threshold))    /* NaN fails too */
      continue;
    if (anchored) {
      const float *a = bp->anchors + 4 * i;
      float ty = bp->box_xywh ? b[1] : b[0], tx = bp->box_xywh ? b[0] : b[1];
      float th = bp->box_xywh ? b[3] : b[2], tw = bp->box_xywh ? b[2] : b[3];
      float cy = ty / bp->box_scale[0] * a[2] + a[0];
      float cx = tx / bp->box_scale[1] * a[3] + a[1];
      float h = expf (th / bp->box_scale[2]) * a[2];
      float w = expf (tw / bp->box_scale[3]) * a[3];
      ov_detection_append (out, (cx - w / 2) * p->input_width,
          (cy - h / 2) * p->input_height, (cx + w / 2) * p->input_width,
          (cy + h / 2) * p->input_height, conf, id, i);
    } else {
      ov_detection_append (out, b[0] * p->input_width,
          b[1] * p->input_height, (b[0] + b[2]) * p->input_width,
          (b[1] + b[3]) * p->input_height, conf, id, i);
    }
  }
  return TRUE;
}
