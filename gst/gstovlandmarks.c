#include "gstovlandmarks.h"

#include "gstovmeta.h"

#include <math.h>

GstStructure *
gst_ov_landmarks_result (const char *name, const char *layer,
    const char *model_name, const OviTensorView *t, int input_w, int input_h,
    const GstOvPreprocTransform *tf, const GstVideoRectangle *roi,
    GError **error)
{
  gsize count = 1;
  const float *in = t->data;
  float *pts;
  gint64 dims[2];
  char *own = name ? NULL : g_strdup_printf ("classification_layer_name:%s",
      layer);
  GstStructure *s;

  for (int d = 0; d < t->rank; d++)
    count *= (gsize) t->dims[d];
  if (t->dtype != OVI_DTYPE_FLOAT32 || in == NULL || count == 0
      || count % 2 != 0 || roi->w <= 0 || roi->h <= 0) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE,
        "output '%s': landmark_points needs an even number of floats", layer);
    g_free (own);
    return NULL;
  }
  pts = g_new (float, count);
  for (gsize i = 0; i < count; i += 2) {
    double fx = tf->x0 + in[i] * input_w * tf->sx;
    double fy = tf->y0 + in[i + 1] * input_h * tf->sy;
    pts[i] = (float) ((fx - roi->x) / roi->w);
    pts[i + 1] = (float) ((fy - roi->y) / roi->h);
  }
  dims[0] = 1;
  dims[1] = (gint64) count;
  s = gst_ov_tensor_structure_new (name ? name : own, layer, model_name,
      GST_OV_PRECISION_FP32, GST_OV_LAYOUT_NC, dims, 2, pts,
      count * sizeof (float), GST_OV_LANDMARKS_FORMAT);
  g_free (pts);
  g_free (own);
  return s;
}

float *
gst_ov_roi_get_landmarks (GstVideoRegionOfInterestMeta *roi, int *n_points)
{
  for (GList *l = roi->params; l; l = l->next) {
    const GstStructure *s = l->data;
    const char *format = gst_structure_get_string (s, "format");
    gsize size = 0;
    const float *data;
    float *pts;
    if (format == NULL || g_strcmp0 (format, GST_OV_LANDMARKS_FORMAT) != 0)
      continue;
    data = gst_ov_tensor_structure_get_data (s, &size);
    if (data == NULL || size < 2 * sizeof (float))
      continue;
    *n_points = (int) (size / (2 * sizeof (float)));
    pts = g_new (float, 2 * (gsize) *n_points);
    for (int i = 0; i < *n_points; i++) {
      pts[2 * i] = (float) (roi->x + data[2 * i] * (double) roi->w);
      pts[2 * i + 1] = (float) (roi->y + data[2 * i + 1] * (double) roi->h);
    }
    return pts;
  }
  *n_points = 0;
  return NULL;
}

gboolean
gst_ov_landmarks_box (const float *points, int n_points, double padding,
    int frame_w, int frame_h, GstVideoRectangle *box)
{
  double x0 = G_MAXDOUBLE, y0 = G_MAXDOUBLE, x1 = -G_MAXDOUBLE,
      y1 = -G_MAXDOUBLE, w, h, cx0, cy0, cx1, cy1;

  if (n_points <= 0)
    return FALSE;
  for (int i = 0; i < n_points; i++) {
    float x = points[2 * i], y = points[2 * i + 1];
    if (!isfinite (x) || !isfinite (y))
      return FALSE;
    x0 = MIN (x0, x);
    y0 = MIN (y0, y);
    x1 = MAX (x1, x);
    y1 = MAX (y1, y);
  }
  w = x1 - x0;
  h = y1 - y0;
  x0 -= w * padding / 2.0;
  x1 += w * padding / 2.0;
  y0 -= h * padding / 2.0;
  y1 += h * padding / 2.0;
  cx0 = MAX (x0, 0.0);
  cy0 = MAX (y0, 0.0);
  cx1 = MIN (x1, (double) frame_w);
  cy1 = MIN (y1, (double) frame_h);
  if (cx1 - cx0 < 1.0 || cy1 - cy0 < 1.0)
    return FALSE;
  /* Each of x, y, width and height floored, as face-api.js does. */
  box->x = (int) floor (cx0);
  box->y = (int) floor (cy0);
  box->w = (int) floor (cx1 - cx0);
  box->h = (int) floor (cy1 - cy0);
  return TRUE;
}

static void
centre (const float *points, int first, int n, double *x, double *y)
{
  double sx = 0.0, sy = 0.0;
  for (int i = first; i < first + n; i++) {
    sx += points[2 * i];
    sy += points[2 * i + 1];
  }
  *x = sx / n;
  *y = sy / n;
}

gboolean
gst_ov_landmarks_eyes_mouth_square (const float *points, int n_points,
    int frame_w, int frame_h, GstVideoRectangle *box)
{
  double lx, ly, rx, ry, mx, my, cx, cy, dist, size, x, y, w, h;

  if (n_points != 68)
    return FALSE;
  for (int i = 0; i < 2 * n_points; i++)
    if (!isfinite (points[i]))
      return FALSE;
  centre (points, 36, 6, &lx, &ly);
  centre (points, 42, 6, &rx, &ry);
  centre (points, 48, 20, &mx, &my);
  dist = (hypot (mx - lx, my - ly) + hypot (mx - rx, my - ry)) / 2.0;
  size = floor (dist / 0.45);
  cx = (lx + rx + mx) / 3.0;
  cy = (ly + ry + my) / 3.0;
  x = floor (MAX (0.0, cx - 0.5 * size));
  y = floor (MAX (0.0, cy - 0.43 * size));
  w = MIN (size, frame_w - x);
  h = MIN (size, frame_h - y);
  if (w < 1.0 || h < 1.0)
    return FALSE;
  box->x = (int) x;
  box->y = (int) y;
  box->w = (int) floor (w);
  box->h = (int) floor (h);
  return TRUE;
}
