/* YOLOv5 / YOLOv7 raw grid outputs, one per stride, before the Detect
 * layer's decoding: [1, A*(5+C), H, W] (channels first, as exported
 * without the decoding) or [1, A, H, W, 5+C]. Each cell and anchor holds
 * x, y, w, h, objectness and C class scores; with s the (sigmoid of the)
 * values, YOLOv5 decodes x = (2 sx - 0.5 + column) * stride,
 * w = (2 sw)^2 * anchor_w, confidence = objectness * best class. */
#include "ovconverter.h"

#include <math.h>
#include <stdlib.h>

#define MAX_GRIDS 16

typedef struct {
  const OviTensorView *t;
  gboolean channels_last;   /* [1, A, H, W, K] */
  int h, w;
} Grid;

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
  g_set_error (error, OVI_ERROR, OVI_ERROR_INVALID, "yolo_v5 grids: %s", what);
  g_free (what);
  return FALSE;
}

gboolean
ov_converter_is_yolo_grid (const OviTensorView *outs, int n_outs)
{
  return n_outs >= 1 && outs[0].rank >= 4;
}

static float
activate (float x, gboolean sigmoid)
{
  return sigmoid ? 1.0f / (1.0f + expf (-x)) : x;
}

/* The best class of one candidate and its score, read with stride `step`
 * between classes. */
static int
best_class (const float *c, gsize step, int n_classes,
    const OvYoloGridParams *yp, float *score)
{
  int best = 0;
  for (int k = 1; k < n_classes; k++)
    if (c[k * step] > c[best * step])
      best = k;
  switch (yp->class_activation) {
    case OV_SCORE_SOFTMAX: {
      double sum = 0.0;
      for (int k = 0; k < n_classes; k++)
        sum += exp ((double) c[k * step] - c[best * step]);
      *score = (float) (1.0 / sum);
      break;
    }
    case OV_SCORE_SIGMOID:
      *score = activate (c[best * step], TRUE);
      break;
    default:
      *score = c[best * step];
  }
  return best;
}

static void
decode_grid (const Grid *g, int n_boxes, int n_fields, const int *anchor_ids,
    const OvYoloGridParams *yp, const OvDetectParams *p, GArray *out)
{
  const float *x = g->t->data;
  gsize cells = (gsize) g->h * g->w;
  /* Distance between two fields of one candidate, and the start of the
   * candidate (box b, cell i). */
  gsize step = g->channels_last ? 1 : cells;
  float stride_x = (float) p->input_width / g->w;
  float stride_y = (float) p->input_height / g->h;

  for (int b = 0; b < n_boxes; b++) {
    const float *anchor = yp->anchors + 2 * anchor_ids[b];
    for (gsize i = 0; i < cells; i++) {
      const float *c = g->channels_last ? x + (b * cells + i) * n_fields
          : x + b * n_fields * cells + i;
      float obj = activate (c[4 * step], yp->sigmoid);
      float cls, conf, cx, cy, w, h;
      int id;
      if (!(obj >= p->threshold))   /* NaN fails too */
        continue;
      id = best_class (c + 5 * step, step, n_fields - 5, yp, &cls);
      conf = obj * cls;
      if (!(conf >= p->threshold))
        continue;
      cx = (2.0f * activate (c[0], yp->sigmoid) - 0.5f + (float) (i % g->w))
          * stride_x;
      cy = (2.0f * activate (c[step], yp->sigmoid) - 0.5f + (float) (i / g->w))
          * stride_y;
      w = 2.0f * activate (c[2 * step], yp->sigmoid);
      h = 2.0f * activate (c[3 * step], yp->sigmoid);
      w = w * w * anchor[0];
      h = h * h * anchor[1];
      ov_detection_append (out, cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2,
          conf, id, (gsize) b * cells + i);
    }
  }
}

static int
by_cells (const void *a, const void *b)
{
  const Grid *ga = a, *gb = b;
  gint64 ca = (gint64) ga->h * ga->w, cb = (gint64) gb->h * gb->w;
  return (ca > cb) - (ca < cb);
}

gboolean
ov_converter_yolo_grid (const OviTensorView *outs, int n_outs,
    const OvDetectParams *p, gboolean check_only, GArray *out, GError **error)
{
  const OvYoloGridParams *yp = p->yolo_grid;
  Grid grids[MAX_GRIDS];
  int anchor_ids[MAX_GRIDS][64];
  int n_grids = 0, n_boxes, n_fields = 0;

  if (yp == NULL || yp->anchors == NULL || yp->n_anchors <= 0)
    return fail (error, "raw grid outputs need `anchors` (pairs of width, "
        "height in input pixels) in model-proc; or use a decoded "
        "[1, N, 5 + classes] export");
  for (int i = 0; i < n_outs; i++) {
    if (outs[i].rank < 4)
      continue;
    if (n_grids == MAX_GRIDS)
      return fail (error, "more than %d grid outputs", MAX_GRIDS);
    grids[n_grids++].t = &outs[i];
  }
  if (n_grids == 0)
    return fail (error, "expected outputs [1, A*(5+C), H, W] or "
        "[1, A, H, W, 5+C]");
  n_boxes = yp->boxes_per_cell > 0 ? yp->boxes_per_cell
      : yp->n_anchors / n_grids;
  if (n_boxes < 1 || n_boxes > 64 || yp->n_anchors != n_boxes * n_grids)
    return fail (error, "%d anchors for %d outputs: expected "
        "bbox_number_on_cell x outputs = %d", yp->n_anchors, n_grids,
        MAX (n_boxes, 1) * n_grids);

  for (int g = 0; g < n_grids; g++) {
    const OviTensorView *t = grids[g].t;
    int fields;
    for (int d = 0; d < t->rank; d++)
      if (t->dims[d] < 0)
        return TRUE;            /* checked again on the first result */
    if (t->dtype != OVI_DTYPE_FLOAT32)
      return fail (error, "outputs must be float32");
    if (t->rank == 5 && t->dims[0] == 1 && t->dims[1] == n_boxes) {
      grids[g].channels_last = TRUE;
      grids[g].h = (int) t->dims[2];
      grids[g].w = (int) t->dims[3];
      fields = (int) t->dims[4];
    } else if (t->rank == 4 && t->dims[0] == 1
        && t->dims[1] % n_boxes == 0) {
      grids[g].channels_last = FALSE;
      grids[g].h = (int) t->dims[2];
      grids[g].w = (int) t->dims[3];
      fields = (int) (t->dims[1] / n_boxes);
    } else {
      return fail (error, "output %d is neither [1, %d*(5+C), H, W] nor "
          "[1, %d, H, W, 5+C]", g, n_boxes, n_boxes);
    }
    if (fields <= 5 || grids[g].h <= 0 || grids[g].w <= 0
        || (n_fields && fields != n_fields))
      return fail (error, "outputs differ in classes or have none");
    n_fields = fields;
  }
  if (yp->classes > 0 && yp->classes != n_fields - 5)
    return fail (error, "classes is %d but the outputs have %d",
        yp->classes, n_fields - 5);

  /* Masks name the anchors of each output, smallest grid (largest
   * stride) first, as in DL Streamer's model-proc files. */
  qsort (grids, n_grids, sizeof (Grid), by_cells);
  for (int g = 1; g < n_grids; g++)
    if (by_cells (&grids[g - 1], &grids[g]) == 0)
      return fail (error, "two outputs have the same grid size");
  if (yp->masks && yp->n_masks != n_boxes * n_grids)
    return fail (error, "%d masks: expected bbox_number_on_cell x outputs "
        "= %d", yp->n_masks, n_boxes * n_grids);
  for (int g = 0; g < n_grids; g++) {
    for (int b = 0; b < n_boxes; b++) {
      int id = yp->masks ? yp->masks[g * n_boxes + b]
          : (n_grids - 1 - g) * n_boxes + b;
      if (id < 0 || id >= yp->n_anchors)
        return fail (error, "mask %d names no anchor (%d anchors)", id,
            yp->n_anchors);
      anchor_ids[g][b] = id;
    }
  }
  if ((yp->cells_x > 0 && yp->cells_x != grids[0].w)
      || (yp->cells_y > 0 && yp->cells_y != grids[0].h))
    return fail (error, "cells_number %dx%d but the smallest output is "
        "%dx%d", yp->cells_x, yp->cells_y, grids[0].w, grids[0].h);
  if (check_only)
    return TRUE;

  for (int g = 0; g < n_grids; g++)
    decode_grid (&grids[g], n_boxes, n_fields, anchor_ids[g], yp, p, out);
  return TRUE;
}
