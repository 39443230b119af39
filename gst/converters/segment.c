/* Segmentation heads: semantic masks (a class per output pixel, resampled
 * to the frame) and YOLOv8/v11-seg instance masks (prototypes weighted by
 * each detection's coefficients). Detection boxes of YOLOv8-seg come from
 * detect.c; this file only says where its tensors are and makes masks. */
#include "ovconverter.h"

#include <math.h>
#include <string.h>

static gboolean
fail (GError **error, const char *what)
{
  g_set_error (error, OVI_ERROR, OVI_ERROR_INVALID, "%s", what);
  return FALSE;
}

static gboolean
is_number (OviDType t)
{
  return t == OVI_DTYPE_FLOAT32 || t == OVI_DTYPE_INT32
      || t == OVI_DTYPE_INT64 || t == OVI_DTYPE_UINT8;
}

gboolean
ov_semantic_shape (const OviTensorView *t, OvSemanticShape *s,
    GError **error)
{
  const int64_t *d = t->dims;

  if (!is_number (t->dtype))
    return fail (error, "semantic_mask: expected float scores or integer "
        "class ids");
  for (int i = 0; i < t->rank; i++)
    if (d[i] <= 0 || d[i] > G_MAXINT)
      return fail (error, "semantic_mask: the output has an empty or "
          "unknown dimension");
  if (t->rank == 4 && d[0] == 1 && (t->dtype == OVI_DTYPE_FLOAT32
          || d[1] != 1)) {
    /* Scores; a single float channel is a foreground score. */
    if (t->dtype != OVI_DTYPE_FLOAT32)
      return fail (error, "semantic_mask: per-class scores [1, C, H, W] "
          "must be float");
    s->n_classes = (int) d[1];
    s->height = (int) d[2];
    s->width = (int) d[3];
    return TRUE;
  }
  if ((t->rank == 4 && d[0] == 1 && d[1] == 1) || (t->rank == 3 && d[0] == 1)) {
    s->n_classes = 0;
    s->height = (int) d[t->rank - 2];
    s->width = (int) d[t->rank - 1];
    return TRUE;
  }
  return fail (error, "semantic_mask: expected scores [1, C, H, W] or class "
      "ids [1, H, W]");
}

static double
sigmoid (double x)
{
  return 1.0 / (1.0 + exp (-x));
}

static gint32
class_id_at (const OviTensorView *t, gsize i)
{
  switch (t->dtype) {
    case OVI_DTYPE_FLOAT32: {
      float v = ((const float *) t->data)[i];
      /* NaN, negative (often "ignore") and absurd ids are background. */
      return v >= 0.0f && v < 2147483520.0f ? (gint32) lrintf (v) : 0;
    }
    case OVI_DTYPE_INT32: return MAX (((const gint32 *) t->data)[i], 0);
    case OVI_DTYPE_INT64: {
      gint64 v = ((const gint64 *) t->data)[i];
      return v >= 0 && v <= G_MAXINT32 ? (gint32) v : 0;
    }
    case OVI_DTYPE_UINT8: return ((const guint8 *) t->data)[i];
    default: return 0;
  }
}

gint32 *
ov_semantic_classes (const OviTensorView *t, const OvSemanticShape *s,
    OvLabelMethod method, float threshold, gint32 *max_id)
{
  gsize plane = (gsize) s->height * s->width;
  gint32 *ids = g_new (gint32, plane);
  const float *x = t->data;

  *max_id = 0;
  if (s->n_classes == 0) {
    for (gsize i = 0; i < plane; i++) {
      ids[i] = class_id_at (t, i);
      *max_id = MAX (*max_id, ids[i]);
    }
  } else if (s->n_classes == 1) {
    /* Compared as a logit when the scores are: the same decision without
     * an exp per pixel. */
    float cut = method == OV_LABEL_MAX ? threshold
        : (float) log (threshold / (1.0 - MIN (threshold, 0.999999)));
    for (gsize i = 0; i < plane; i++)
      ids[i] = x[i] >= cut;
    *max_id = 1;
  } else {
    /* Plane by plane: each score plane is read in order. */
    float *best = g_new (float, plane);
    memcpy (best, x, plane * sizeof (float));
    memset (ids, 0, plane * sizeof (gint32));
    for (int c = 1; c < s->n_classes; c++) {
      const float *p = x + (gsize) c * plane;
      for (gsize i = 0; i < plane; i++) {
        if (p[i] > best[i]) {
          best[i] = p[i];
          ids[i] = c;
        }
      }
    }
    g_free (best);
    *max_id = s->n_classes - 1;
  }
  return ids;
}

/* The source index of each destination pixel along one axis. */
static int *
axis_taps (const OvAxisMap *m, int n, int src_size)
{
  int *taps = g_new (int, MAX (n, 1));
  for (int i = 0; i < n; i++) {
    double v = floor (m->offset + (i + 0.5) * m->step);
    taps[i] = (int) CLAMP (v, 0.0, (double) (src_size - 1));
  }
  return taps;
}

void
ov_semantic_resample (const gint32 *ids, const OvSemanticShape *s,
    const OvAxisMap *mx, const OvAxisMap *my, int w, int h, gboolean wide,
    void *dst)
{
  int *xs = axis_taps (mx, w, s->width), *ys = axis_taps (my, h, s->height);
  for (int y = 0; y < h; y++) {
    const gint32 *row = ids + (gsize) ys[y] * s->width;
    if (wide) {
      gint32 *o = (gint32 *) dst + (gsize) y * w;
      for (int x = 0; x < w; x++)
        o[x] = row[xs[x]];
    } else {
      guint8 *o = (guint8 *) dst + (gsize) y * w;
      for (int x = 0; x < w; x++)
        o[x] = (guint8) row[xs[x]];
    }
  }
  g_free (xs);
  g_free (ys);
}

gboolean
ov_semantic_probabilities (const OviTensorView *t, const OvSemanticShape *s,
    OvLabelMethod method, const OvAxisMap *mx, const OvAxisMap *my, int w,
    int h, float *dst)
{
  int *xs, *ys;
  gsize plane = (gsize) s->height * s->width, out_plane = (gsize) w * h;
  const float *x = t->data;
  int c_n = s->n_classes;

  if (c_n == 0)
    return FALSE;
  xs = axis_taps (mx, w, s->width);
  ys = axis_taps (my, h, s->height);
  for (int y = 0; y < h; y++) {
    for (int xo = 0; xo < w; xo++) {
      gsize src = (gsize) ys[y] * s->width + xs[xo];
      gsize o = (gsize) y * w + xo;
      if (method == OV_LABEL_SOFTMAX && c_n > 1) {
        float top = x[src];
        double sum = 0.0;
        for (int c = 1; c < c_n; c++)
          top = MAX (top, x[c * plane + src]);
        for (int c = 0; c < c_n; c++)
          sum += exp ((double) x[c * plane + src] - top);
        for (int c = 0; c < c_n; c++)
          dst[c * out_plane + o] = (float)
              (exp ((double) x[c * plane + src] - top) / sum);
      } else {
        for (int c = 0; c < c_n; c++) {
          float v = x[c * plane + src];
          dst[c * out_plane + o] = method == OV_LABEL_MAX ? v
              : (float) sigmoid (v);
        }
      }
    }
  }
  g_free (xs);
  g_free (ys);
  return TRUE;
}

/* Rows and columns of a tensor with only leading ones before them. */
static gboolean
matrix (const OviTensorView *t, int64_t *rows, int64_t *cols)
{
  if (t->rank < 2)
    return FALSE;
  for (int d = 0; d < t->rank - 2; d++)
    if (t->dims[d] != 1)
      return FALSE;
  *rows = t->dims[t->rank - 2];
  *cols = t->dims[t->rank - 1];
  return TRUE;
}

gboolean
ov_yolo_seg_layout (const OviTensorView *outs, int n, OvYoloSegLayout *l,
    GError **error)
{
  int64_t rows = 0, cols = 0, fields;
  int m;

  l->protos = l->boxes = -1;
  for (int i = 0; i < n; i++) {
    if (l->protos < 0 && outs[i].rank == 4 && outs[i].dims[0] == 1)
      l->protos = i;
    /* Rank 3 exactly: SSD's [1, 1, N, 7] beside a [1, N] output must not
     * pass for prototypes and boxes. */
    else if (l->boxes < 0 && outs[i].rank == 3 && matrix (&outs[i], &rows,
            &cols))
      l->boxes = i;
  }
  if (l->protos < 0 || l->boxes < 0)
    return fail (error, "yolo_v8_seg: expected boxes [1, 4 + classes + "
        "masks, N] and prototypes [1, masks, H, W]");
  if (outs[l->protos].dtype != OVI_DTYPE_FLOAT32
      || outs[l->boxes].dtype != OVI_DTYPE_FLOAT32)
    return fail (error, "yolo_v8_seg: expected float outputs");
  for (int d = 1; d < 4; d++)
    if (outs[l->protos].dims[d] <= 0 || outs[l->protos].dims[d] > 65536)
      return fail (error, "yolo_v8_seg: the prototypes have an empty or "
          "unknown dimension");
  m = (int) outs[l->protos].dims[1];
  matrix (&outs[l->boxes], &rows, &cols);
  /* Channels first as exported (fewer fields than candidates); an
   * unknown candidate count (-1, dynamic) is the exported layout too. */
  if (rows > 4 + m && (cols < 0 || rows <= cols || cols <= 4 + m)) {
    l->channels_first = TRUE;
    fields = rows;
    l->n_candidates = cols > 0 ? (gsize) cols : 0;
  } else if (cols > 4 + m && rows >= 0) {
    l->channels_first = FALSE;
    fields = cols;
    l->n_candidates = (gsize) rows;
  } else {
    return fail (error, "yolo_v8_seg: the boxes output has no room for "
        "4 box values, a class and the mask coefficients");
  }
  if (fields > 65536)
    return fail (error, "yolo_v8_seg: implausibly many classes");
  l->n_coeffs = m;
  l->n_classes = (int) fields - 4 - m;
  l->proto_height = (int) outs[l->protos].dims[2];
  l->proto_width = (int) outs[l->protos].dims[3];
  return TRUE;
}

/* A span of input pixels in prototype pixels. */
static void
span (double a, double b, int input, int proto, double *p0, double *len)
{
  double k = (double) proto / MAX (input, 1);
  *p0 = a * k;
  *len = MAX (b - a, 0.0) * k;
}

void
ov_yolo_seg_mask_size (const OvYoloSegLayout *l, int iw, int ih, double x0,
    double y0, double x1, double y1, int *w, int *h)
{
  double p0, len;
  span (x0, x1, iw, l->proto_width, &p0, &len);
  *w = (int) CLAMP (ceil (len - 1e-6), 1.0, (double) l->proto_width);
  span (y0, y1, ih, l->proto_height, &p0, &len);
  *h = (int) CLAMP (ceil (len - 1e-6), 1.0, (double) l->proto_height);
}

/* Bilinear taps along one axis: destination i blends source lo[i] and
 * lo[i] + 1 (clamped) by frac[i]; pixel centers at .5 on both sides. */
static void
bilinear_taps (double p0, double len, int n, int size, int *lo, float *frac)
{
  for (int i = 0; i < n; i++) {
    double v = p0 + (i + 0.5) * len / n - 0.5;
    v = CLAMP (v, 0.0, (double) (size - 1));
    lo[i] = MIN ((int) v, size - 1);
    frac[i] = (float) (v - lo[i]);
  }
}

void
ov_yolo_seg_mask (const OviTensorView *outs, const OvYoloSegLayout *l,
    int index, int iw, int ih, double x0, double y0, double x1, double y1,
    int w, int h, float *mask)
{
  const float *boxes = outs[l->boxes].data;
  const float *protos = outs[l->protos].data;
  int mw = l->proto_width, mh = l->proto_height;
  gsize plane = (gsize) mw * mh;
  int *xl = g_new (int, w), *yl = g_new (int, h);
  float *xf = g_new (float, w), *yf = g_new (float, h);
  float *coeff = g_new (float, MAX (l->n_coeffs, 1));
  int cx0, cx1, cy0, cy1, ww;
  float *logits;
  double p0, len;

  for (int k = 0; k < l->n_coeffs; k++) {
    gsize field = 4 + (gsize) l->n_classes + k;
    coeff[k] = l->channels_first ? boxes[field * l->n_candidates + index]
        : boxes[(gsize) index * (4 + l->n_classes + l->n_coeffs) + field];
  }
  span (x0, x1, iw, mw, &p0, &len);
  bilinear_taps (p0, len, w, mw, xl, xf);
  span (y0, y1, ih, mh, &p0, &len);
  bilinear_taps (p0, len, h, mh, yl, yf);

  /* The weighted sum over the prototype window the taps touch only. */
  cx0 = xl[0];
  cx1 = MIN (xl[w - 1] + 1, mw - 1);
  cy0 = yl[0];
  cy1 = MIN (yl[h - 1] + 1, mh - 1);
  ww = cx1 - cx0 + 1;
  logits = g_new0 (float, (gsize) ww * (cy1 - cy0 + 1));
  for (int k = 0; k < l->n_coeffs; k++) {
    const float *p = protos + k * plane;
    for (int y = cy0; y <= cy1; y++) {
      float *o = logits + (gsize) (y - cy0) * ww;
      const float *r = p + (gsize) y * mw + cx0;
      for (int x = 0; x < ww; x++)
        o[x] += coeff[k] * r[x];
    }
  }
  for (int y = 0; y < h; y++) {
    const float *r0 = logits + (gsize) (yl[y] - cy0) * ww;
    const float *r1 = logits + (gsize) (MIN (yl[y] + 1, cy1) - cy0) * ww;
    for (int x = 0; x < w; x++) {
      int a = xl[x] - cx0, b = MIN (xl[x] + 1, cx1) - cx0;
      float top = r0[a] + (r0[b] - r0[a]) * xf[x];
      float bottom = r1[a] + (r1[b] - r1[a]) * xf[x];
      mask[(gsize) y * w + x] = (float) sigmoid (top + (bottom - top) * yf[y]);
    }
  }
  g_free (logits);
  g_free (coeff);
  g_free (xl);
  g_free (yl);
  g_free (xf);
  g_free (yf);
}
