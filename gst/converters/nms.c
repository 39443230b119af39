#include "ovconverter.h"

float
ov_iou (const OvDetection *a, const OvDetection *b)
{
  float iw = MIN (a->x_max, b->x_max) - MAX (a->x_min, b->x_min);
  float ih = MIN (a->y_max, b->y_max) - MAX (a->y_min, b->y_min);
  float inter, uni;
  if (iw <= 0.0f || ih <= 0.0f)
    return 0.0f;
  inter = iw * ih;
  uni = (a->x_max - a->x_min) * (a->y_max - a->y_min)
      + (b->x_max - b->x_min) * (b->y_max - b->y_min) - inter;
  return uni > 0.0f ? inter / uni : 0.0f;
}

static gint
by_confidence (gconstpointer a, gconstpointer b)
{
  float ca = ((const OvDetection *) a)->confidence;
  float cb = ((const OvDetection *) b)->confidence;
  return (ca < cb) - (ca > cb);
}

void
ov_nms (GArray *dets, float iou_threshold, gboolean class_agnostic)
{
  guint kept = 0;
  g_array_sort (dets, by_confidence);
  for (guint i = 0; i < dets->len; i++) {
    const OvDetection *d = &g_array_index (dets, OvDetection, i);
    gboolean keep = TRUE;
    for (guint k = 0; k < kept && keep; k++) {
      const OvDetection *e = &g_array_index (dets, OvDetection, k);
      if ((class_agnostic || e->label_id == d->label_id)
          && ov_iou (e, d) > iou_threshold)
        keep = FALSE;
    }
    if (keep)
      g_array_index (dets, OvDetection, kept++) = *d;
  }
  g_array_set_size (dets, kept);
}
