/* Fused pre-processing: the geometry (region, fit, letterbox, sampling
 * convention: OpenCV's half-pixel by default, so results match models
 * trained on cv2.resize) becomes an engine image input, tabulated once per
 * call, whose bilinear sampling, color conversion and normalization the
 * engine runs (ovi_image_preprocess on the CPU, a kernel on the GPU). */
#include "gstovpreproc.h"

#include <math.h>
#include <string.h>

typedef OviImageTap Tap;

void
gst_ov_preproc_params_init (GstOvPreprocParams *params)
{
  memset (params, 0, sizeof *params);
  params->channels = 3;
  params->dtype = OVI_DTYPE_FLOAT32;
  params->color = GST_OV_COLOR_BGR;
  params->resize = GST_OV_RESIZE_STRETCH;
  for (int c = 0; c < 3; c++)
    params->scale[c] = 1.0f;
}

void
gst_ov_preproc_params_set_normalization (GstOvPreprocParams *params,
    double range_lo, double range_hi, const double mean[3],
    const double std[3])
{
  for (int c = 0; c < 3; c++) {
    double s = (range_hi - range_lo) / 255.0;
    double m = mean ? mean[c] : 0.0;
    double d = std && std[c] != 0.0 ? std[c] : 1.0;
    params->scale[c] = (float) (s / d);
    params->bias[c] = (float) ((range_lo - m) / d);
  }
}

gboolean
gst_ov_preproc_input_layout (const OviTensorView *in, gboolean *nhwc)
{
  if (in->rank != 4)
    return FALSE;
  *nhwc = !(in->dims[1] == 1 || in->dims[1] == 3);
  return !*nhwc || in->dims[3] == 1 || in->dims[3] == 3;
}

gboolean
gst_ov_preproc_format_supported (GstVideoFormat format)
{
  switch (format) {
    case GST_VIDEO_FORMAT_RGB: case GST_VIDEO_FORMAT_BGR:
    case GST_VIDEO_FORMAT_RGBx: case GST_VIDEO_FORMAT_BGRx:
    case GST_VIDEO_FORMAT_xRGB: case GST_VIDEO_FORMAT_xBGR:
    case GST_VIDEO_FORMAT_RGBA: case GST_VIDEO_FORMAT_BGRA:
    case GST_VIDEO_FORMAT_ARGB: case GST_VIDEO_FORMAT_ABGR:
    case GST_VIDEO_FORMAT_NV12: case GST_VIDEO_FORMAT_I420:
    case GST_VIDEO_FORMAT_GRAY8:
      return TRUE;
    default:
      return FALSE;
  }
}

/* Output index t (0..n) of a tensor axis maps to source coordinate
 * origin + (t + 0.5) * step - 0.5 (half-pixel) or origin + t * step
 * (asymmetric) within [lo, lo + len); positions before `first` or from
 * `first + count` on are letterbox border. */
static void
make_taps (Tap *taps, int n, double origin, double step, int lo, int len,
    int first, int count, GstOvSampling sampling)
{
  double shift = sampling == GST_OV_SAMPLING_HALF_PIXEL ? 0.5 * step - 0.5 : 0.0;
  for (int t = 0; t < n; t++) {
    double s = origin + t * step + shift;
    double f = floor (s);
    int i0 = (int) f;
    Tap *tap = &taps[t];
    tap->pad = t < first || t >= first + count;
    tap->w1 = (float) (s - f);
    tap->i0 = CLAMP (i0, lo, lo + len - 1);
    tap->i1 = CLAMP (i0 + 1, lo, lo + len - 1);
  }
}

static void
yuv_matrix (const GstVideoInfo *info, OviImage *m)
{
  gdouble kr = 0.2126, kb = 0.0722;   /* BT.709 when unspecified */
  if (!gst_video_color_matrix_get_Kr_Kb (info->colorimetry.matrix, &kr, &kb)) {
    kr = 0.2126;
    kb = 0.0722;
  }
  ovi_image_set_yuv_matrix (m, kr, kb,
      info->colorimetry.range == GST_VIDEO_COLOR_RANGE_0_255);
}

/* Fits the region to the tensor: the affine map from tensor to frame
 * coordinates and the span of tensor pixels the image covers. */
static void
fit_region (const GstOvPreprocParams *p, const GstVideoRectangle *r,
    GstOvPreprocTransform *tf, int *x_first, int *x_count, int *y_first,
    int *y_count)
{
  double sx = (double) r->w / p->width, sy = (double) r->h / p->height;

  *x_first = *y_first = 0;
  *x_count = p->width;
  *y_count = p->height;
  switch (p->resize) {
    case GST_OV_RESIZE_STRETCH:
      tf->sx = sx;
      tf->sy = sy;
      tf->x0 = r->x;
      tf->y0 = r->y;
      break;
    case GST_OV_RESIZE_ASPECT_RATIO: {
      double s = MAX (sx, sy);
      double cw = r->w / s, chh = r->h / s;
      gboolean centered = p->anchor == GST_OV_ANCHOR_CENTER;
      /* The border before the image, in source pixels. */
      double bx = centered ? (p->width * s - r->w) / 2.0 : 0.0;
      double by = centered ? (p->height * s - r->h) / 2.0 : 0.0;
      double px, py;
      if (p->sampling == GST_OV_SAMPLING_ASYMMETRIC) {
        bx = floor (bx + 1e-9);
        by = floor (by + 1e-9);
      }
      px = bx / s;
      py = by / s;
      tf->sx = tf->sy = s;
      tf->x0 = r->x - px * s;
      tf->y0 = r->y - py * s;
      *x_first = (int) floor (px + 0.5);
      *y_first = (int) floor (py + 0.5);
      *x_count = MIN ((int) floor (cw + 0.5), p->width - *x_first);
      *y_count = MIN ((int) floor (chh + 0.5), p->height - *y_first);
      break;
    }
    case GST_OV_RESIZE_CROP_CENTRAL: {
      double s = MIN (sx, sy);
      tf->sx = tf->sy = s;
      tf->x0 = r->x + (r->w - p->width * s) / 2.0;
      tf->y0 = r->y + (r->h - p->height * s) / 2.0;
      break;
    }
  }
}

void
gst_ov_preproc_planes_from_frame (GstOvPreprocPlanes *planes,
    const GstVideoFrame *frame)
{
  memset (planes, 0, sizeof *planes);
  planes->info = &frame->info;
  for (guint i = 0; i < GST_VIDEO_FRAME_N_PLANES (frame); i++) {
    planes->data[i] = GST_VIDEO_FRAME_PLANE_DATA (frame, i);
    planes->stride[i] = GST_VIDEO_FRAME_PLANE_STRIDE (frame, i);
  }
}

gboolean
gst_ov_preproc_run (const GstOvPreprocParams *p, const GstVideoFrame *frame,
    const GstVideoRectangle *region, void *dst,
    GstOvPreprocTransform *transform)
{
  GstOvPreprocPlanes planes;
  gst_ov_preproc_planes_from_frame (&planes, frame);
  return gst_ov_preproc_run_planes (p, &planes, region, dst, transform);
}

gboolean
gst_ov_preproc_image (const GstOvPreprocParams *p,
    const GstOvPreprocPlanes *src, const GstVideoRectangle *region,
    GstOvPreprocImage *out, GstOvPreprocTransform *transform)
{
  const GstVideoInfo *info = src->info;
  GstVideoFormat fmt = GST_VIDEO_INFO_FORMAT (info);
  GstVideoRectangle r = { 0, 0, GST_VIDEO_INFO_WIDTH (info),
    GST_VIDEO_INFO_HEIGHT (info) };
  GstOvPreprocTransform tf;
  OviImage *im = &out->image;
  int xf, xn, yf, yn, w = p->width, h = p->height;
  Tap *xt, *yt, *cxt, *cyt;
  gboolean yuv = fmt == GST_VIDEO_FORMAT_NV12 || fmt == GST_VIDEO_FORMAT_I420;

  memset (out, 0, sizeof (*out));
  if (!gst_ov_preproc_format_supported (fmt) || w <= 0 || h <= 0
      || (p->channels != 1 && p->channels != 3))
    return FALSE;
  if (region) {
    /* Clipped to the frame: detections may reach past its border. */
    int x1 = MIN (region->x + region->w, r.w), y1 = MIN (region->y + region->h, r.h);
    int x0 = MAX (region->x, 0), y0 = MAX (region->y, 0);
    r.x = x0;
    r.y = y0;
    r.w = x1 - x0;
    r.h = y1 - y0;
  }
  if (r.w <= 0 || r.h <= 0)
    return FALSE;
  fit_region (p, &r, &tf, &xf, &xn, &yf, &yn);
  if (transform)
    *transform = tf;

  out->taps = g_new (Tap, 2 * (gsize) w + 2 * (gsize) h);
  xt = out->taps;
  yt = xt + w;
  cxt = yt + h;
  cyt = cxt + w;
  im->width = GST_VIDEO_INFO_WIDTH (info);
  im->height = GST_VIDEO_INFO_HEIGHT (info);
  for (int i = 0; i < GST_VIDEO_MAX_PLANES && i < 3; i++) {
    im->data[i] = src->data[i];
    im->stride[i] = src->stride[i];
  }
  im->x0 = r.x;
  im->x_span = r.w;
  /* Columns relative to the region (the blended rows start there), rows
   * absolute. */
  make_taps (xt, w, tf.x0 - r.x, tf.sx, 0, r.w, xf, xn, p->sampling);
  make_taps (yt, h, tf.y0, tf.sy, r.y, r.h, yf, yn, p->sampling);
  im->x = xt;
  im->y = yt;
  if (yuv) {
    /* Chroma samples sit between luma pairs: luma position y is chroma
     * position y / 2 - 0.25 (the half-pixel taps include that already). */
    double chroma_shift = p->sampling == GST_OV_SAMPLING_ASYMMETRIC ? -0.25 : 0.0;
    /* Chroma of odd-sized 4:2:0 regions covers their last luma column. */
    int cx = r.x / 2, cy = r.y / 2;
    int cw = (r.x + r.w + 1) / 2 - cx, chh = (r.y + r.h + 1) / 2 - cy;
    make_taps (cxt, w, tf.x0 / 2.0 - cx + chroma_shift, tf.sx / 2.0, 0, cw,
        xf, xn, p->sampling);
    make_taps (cyt, h, tf.y0 / 2.0 + chroma_shift, tf.sy / 2.0, cy, chh, yf,
        yn, p->sampling);
    im->layout = fmt == GST_VIDEO_FORMAT_NV12 ? OVI_IMAGE_NV12
        : OVI_IMAGE_I420;
    im->cx0 = cx;
    im->cx_span = cw;
    im->cx = cxt;
    im->cy = cyt;
    yuv_matrix (info, im);
  } else if (fmt == GST_VIDEO_FORMAT_GRAY8) {
    im->layout = OVI_IMAGE_GRAY;
  } else {
    im->layout = OVI_IMAGE_PACKED;
    im->pixel_stride = GST_VIDEO_INFO_COMP_PSTRIDE (info, 0);
    /* Offsets within the pixel: the plane's own offset is already in
     * the frame's plane pointer. */
    im->offset[0] = GST_VIDEO_FORMAT_INFO_POFFSET (info->finfo, GST_VIDEO_COMP_R);
    im->offset[1] = GST_VIDEO_FORMAT_INFO_POFFSET (info->finfo, GST_VIDEO_COMP_G);
    im->offset[2] = GST_VIDEO_FORMAT_INFO_POFFSET (info->finfo, GST_VIDEO_COMP_B);
  }
  im->out_width = w;
  im->out_height = h;
  im->channels = p->channels;
  im->nhwc = p->nhwc;
  im->dtype = p->dtype;
  im->gray = p->color == GST_OV_COLOR_GRAY;
  /* BGR, OpenVINO's order, unless RGB. */
  for (int c = 0; c < 3; c++) {
    im->source[c] = p->color == GST_OV_COLOR_RGB ? c : 2 - c;
    im->scale[c] = p->scale[c];
    im->bias[c] = p->bias[c];
  }
  im->pad_value = p->pad_value;
  return TRUE;
}

void
gst_ov_preproc_image_clear (GstOvPreprocImage *im)
{
  g_clear_pointer (&im->taps, g_free);
}

gboolean
gst_ov_preproc_run_planes (const GstOvPreprocParams *p,
    const GstOvPreprocPlanes *src, const GstVideoRectangle *region,
    void *dst, GstOvPreprocTransform *transform)
{
  GstOvPreprocImage im;
  if (!gst_ov_preproc_image (p, src, region, &im, transform))
    return FALSE;
  ovi_image_preprocess (&im.image, dst);
  gst_ov_preproc_image_clear (&im);
  return TRUE;
}
