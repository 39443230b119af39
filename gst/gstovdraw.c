#include "gstovdraw.h"

#include <math.h>
#include <string.h>

#include "gstovfont.h"

/* Where each color component of the frame lives. RGB formats and 4:2:0
 * YUV look the same from here: three 8-bit components, each with its own
 * pointer, strides and subsampling (none for RGB and luma, a factor of 2
 * each way for chroma), so one code path draws them all. (Mask blending
 * also relies on the supported formats' shape: without subsampling the
 * three components are packed with one pixel stride; with it, only the
 * first is at full resolution.) */
typedef struct {
  guint8 *data[3];
  gint stride[3];
  gint pstride[3];
  gint xsub[3], ysub[3];        /* log2 of the subsampling */
  gint cwidth[3], cheight[3];
  guint8 *alpha;                /* NULL without an alpha component */
  gint alpha_stride, alpha_pstride;
  gint width, height;
} Canvas;

/* A box of pixels, half-open: x0 <= x < x1, y0 <= y < y1. */
typedef struct {
  gint x0, y0, x1, y1;
} Box;

gboolean
gst_ov_draw_format_supported (GstVideoFormat format)
{
  switch (format) {
    case GST_VIDEO_FORMAT_RGB:
    case GST_VIDEO_FORMAT_BGR:
    case GST_VIDEO_FORMAT_RGBx:
    case GST_VIDEO_FORMAT_BGRx:
    case GST_VIDEO_FORMAT_xRGB:
    case GST_VIDEO_FORMAT_xBGR:
    case GST_VIDEO_FORMAT_RGBA:
    case GST_VIDEO_FORMAT_BGRA:
    case GST_VIDEO_FORMAT_ARGB:
    case GST_VIDEO_FORMAT_ABGR:
    case GST_VIDEO_FORMAT_NV12:
    case GST_VIDEO_FORMAT_NV21:
    case GST_VIDEO_FORMAT_I420:
    case GST_VIDEO_FORMAT_YV12:
      return TRUE;
    default:
      return FALSE;
  }
}

/* FALSE (and a critical warning: a caller's bug) for other formats. */
static gboolean
canvas_init (Canvas *cv, const GstVideoFrame *frame)
{
  const GstVideoFormatInfo *finfo = frame->info.finfo;

  g_return_val_if_fail (gst_ov_draw_format_supported (
          GST_VIDEO_FRAME_FORMAT (frame)), FALSE);
  for (int c = 0; c < 3; c++) {
    cv->data[c] = GST_VIDEO_FRAME_COMP_DATA (frame, c);
    cv->stride[c] = GST_VIDEO_FRAME_COMP_STRIDE (frame, c);
    cv->pstride[c] = GST_VIDEO_FRAME_COMP_PSTRIDE (frame, c);
    cv->xsub[c] = GST_VIDEO_FORMAT_INFO_W_SUB (finfo, c);
    cv->ysub[c] = GST_VIDEO_FORMAT_INFO_H_SUB (finfo, c);
    cv->cwidth[c] = GST_VIDEO_FRAME_COMP_WIDTH (frame, c);
    cv->cheight[c] = GST_VIDEO_FRAME_COMP_HEIGHT (frame, c);
  }
  cv->alpha = NULL;
  if (GST_VIDEO_FORMAT_INFO_HAS_ALPHA (finfo)) {
    cv->alpha = GST_VIDEO_FRAME_COMP_DATA (frame, GST_VIDEO_COMP_A);
    cv->alpha_stride = GST_VIDEO_FRAME_COMP_STRIDE (frame, GST_VIDEO_COMP_A);
    cv->alpha_pstride = GST_VIDEO_FRAME_COMP_PSTRIDE (frame,
        GST_VIDEO_COMP_A);
  }
  cv->width = GST_VIDEO_FRAME_WIDTH (frame);
  cv->height = GST_VIDEO_FRAME_HEIGHT (frame);
  return TRUE;
}

/* The part of (x, y, w, h) inside the frame; FALSE if none. In 64 bits:
 * boxes come from metadata and sums of int coordinates, which may reach
 * past G_MAXINT. */
static gboolean
clip_box (const Canvas *cv, gint64 x, gint64 y, gint64 w, gint64 h, Box *b)
{
  gint64 x1 = x + MAX (w, 0), y1 = y + MAX (h, 0);
  b->x0 = (gint) CLAMP (x, 0, cv->width);
  b->y0 = (gint) CLAMP (y, 0, cv->height);
  b->x1 = (gint) CLAMP (x1, 0, cv->width);
  b->y1 = (gint) CLAMP (y1, 0, cv->height);
  return b->x0 < b->x1 && b->y0 < b->y1;
}

static inline guint8 *
comp_pixel (const Canvas *cv, int c, gint cx, gint cy)
{
  return cv->data[c] + (gsize) cy * cv->stride[c] + (gsize) cx
      * cv->pstride[c];
}

static void
make_opaque (const Canvas *cv, const Box *b)
{
  if (cv->alpha == NULL)
    return;
  for (gint y = b->y0; y < b->y1; y++) {
    guint8 *p = cv->alpha + (gsize) y * cv->alpha_stride
        + (gsize) b->x0 * cv->alpha_pstride;
    for (gint x = b->x0; x < b->x1; x++, p += cv->alpha_pstride)
      *p = 255;
  }
}

/* Sets every sample of the (clipped) box; with `full_resolution_only`,
 * subsampled components (chroma) are left as they are. */
static void
fill_box (const Canvas *cv, const Box *b, const GstOvDrawColor *color,
    gboolean full_resolution_only)
{
  for (int c = 0; c < 3; c++) {
    gint xs = cv->xsub[c], ys = cv->ysub[c];
    /* Every sample whose block the box touches. */
    gint cx0 = b->x0 >> xs, cy0 = b->y0 >> ys;
    gint cx1 = MIN ((b->x1 + (1 << xs) - 1) >> xs, cv->cwidth[c]);
    gint cy1 = MIN ((b->y1 + (1 << ys) - 1) >> ys, cv->cheight[c]);

    if (full_resolution_only && (xs || ys))
      continue;
    for (gint cy = cy0; cy < cy1; cy++) {
      guint8 *p = comp_pixel (cv, c, cx0, cy);
      for (gint cx = cx0; cx < cx1; cx++, p += cv->pstride[c])
        *p = color->c[c];
    }
  }
  make_opaque (cv, b);
}

void
gst_ov_draw_color_from_rgb (const GstVideoInfo *info, guint8 r, guint8 g,
    guint8 b, GstOvDrawColor *color)
{
  gdouble kr, kb, y, u, v;
  gboolean full;

  if (!GST_VIDEO_INFO_IS_YUV (info)) {
    color->c[GST_VIDEO_COMP_R] = r;
    color->c[GST_VIDEO_COMP_G] = g;
    color->c[GST_VIDEO_COMP_B] = b;
    return;
  }
  /* The same conversion the frame's producer used: its caps' matrix
   * (BT.709 when unknown) and range. */
  if (!gst_video_color_matrix_get_Kr_Kb (info->colorimetry.matrix, &kr,
          &kb)) {
    kr = 0.2126;
    kb = 0.0722;
  }
  full = info->colorimetry.range == GST_VIDEO_COLOR_RANGE_0_255;
  y = kr * r + (1 - kr - kb) * g + kb * b;
  u = (b - y) / (2 * (1 - kb));
  v = (r - y) / (2 * (1 - kr));
  if (!full) {
    y = 16 + y * 219.0 / 255.0;
    u *= 224.0 / 255.0;
    v *= 224.0 / 255.0;
  }
  color->c[GST_VIDEO_COMP_Y] = (guint8) CLAMP (y + 0.5, 0, 255);
  color->c[GST_VIDEO_COMP_U] = (guint8) CLAMP (u + 128.5, 0, 255);
  color->c[GST_VIDEO_COMP_V] = (guint8) CLAMP (v + 128.5, 0, 255);
}

void
gst_ov_draw_index_rgb (guint index, guint8 rgb[3])
{
  /* Consecutive numbers land far apart on the hue circle, and the step
   * being irrational, hues do not come round again in a short cycle;
   * saturation and value alternate a little so that close hues differ in
   * brightness too. */
  gdouble hue = fmod (0.08 + index * 0.6180339887498949, 1.0) * 6.0;
  gdouble s = (index % 2) ? 0.75 : 0.95, v = (index % 3 == 1) ? 0.8 : 1.0;
  gint sector = (gint) hue;
  gdouble f = hue - sector;
  gdouble p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
  gdouble r, g, b;

  switch (sector) {
    case 0: r = v; g = t; b = p; break;
    case 1: r = q; g = v; b = p; break;
    case 2: r = p; g = v; b = t; break;
    case 3: r = p; g = q; b = v; break;
    case 4: r = t; g = p; b = v; break;
    default: r = v; g = p; b = q; break;
  }
  rgb[0] = (guint8) (r * 255 + 0.5);
  rgb[1] = (guint8) (g * 255 + 0.5);
  rgb[2] = (guint8) (b * 255 + 0.5);
}

void
gst_ov_draw_get_pixel (const GstVideoFrame *frame, gint x, gint y,
    GstOvDrawColor *color)
{
  Canvas cv;

  if (!canvas_init (&cv, frame))
    return;
  g_return_if_fail (x >= 0 && x < cv.width && y >= 0 && y < cv.height);
  for (int c = 0; c < 3; c++)
    color->c[c] = *comp_pixel (&cv, c, x >> cv.xsub[c], y >> cv.ysub[c]);
}

void
gst_ov_draw_fill_rect (GstVideoFrame *frame, gint x, gint y, gint w, gint h,
    const GstOvDrawColor *color)
{
  Canvas cv;
  Box b;

  if (canvas_init (&cv, frame) && clip_box (&cv, x, y, w, h, &b))
    fill_box (&cv, &b, color, FALSE);
}

static void
fill_rect64 (const Canvas *cv, gint64 x, gint64 y, gint64 w, gint64 h,
    const GstOvDrawColor *color)
{
  Box b;
  if (clip_box (cv, x, y, w, h, &b))
    fill_box (cv, &b, color, FALSE);
}

void
gst_ov_draw_rect (GstVideoFrame *frame, gint x, gint y, gint w, gint h,
    gint thickness, const GstOvDrawColor *color)
{
  Canvas cv;
  gint64 t = MAX (thickness, 1);

  if (w <= 0 || h <= 0 || !canvas_init (&cv, frame))
    return;
  /* Sides that would meet fill the box. */
  if (2 * t >= w || 2 * t >= h) {
    fill_rect64 (&cv, x, y, w, h, color);
    return;
  }
  fill_rect64 (&cv, x, y, w, t, color);
  fill_rect64 (&cv, x, (gint64) y + h - t, w, t, color);
  fill_rect64 (&cv, x, (gint64) y + t, t, h - 2 * t, color);
  fill_rect64 (&cv, (gint64) x + w - t, (gint64) y + t, t, h - 2 * t, color);
}

void
gst_ov_draw_text_size (const gchar *text, gint scale, gint *width,
    gint *height)
{
  gsize n = text ? strlen (text) : 0;
  gint s = MAX (scale, 1);

  *width = n ? (gint) (n * GST_OV_FONT_ADVANCE - (GST_OV_FONT_ADVANCE
          - GST_OV_FONT_GLYPH_WIDTH)) * s : 0;
  *height = n ? GST_OV_FONT_GLYPH_HEIGHT * s : 0;
}

void
gst_ov_draw_text (GstVideoFrame *frame, gint x, gint y, const gchar *text,
    gint scale, const GstOvDrawColor *color)
{
  Canvas cv;
  gint s = MAX (scale, 1);
  gint64 gx = x;

  if (text == NULL || !canvas_init (&cv, frame))
    return;
  for (const gchar *ch = text; *ch; ch++,
      gx += (gint64) GST_OV_FONT_ADVANCE * s) {
    const char *const *rows;
    if (gx >= cv.width)
      break;
    if (gx + (gint64) GST_OV_FONT_GLYPH_WIDTH * s <= 0)
      continue;
    rows = gst_ov_font_glyph (*ch);
    for (gint r = 0; r < GST_OV_FONT_GLYPH_HEIGHT; r++) {
      for (gint col = 0; col < GST_OV_FONT_GLYPH_WIDTH; col++) {
        Box b;
        if (rows[r][col] != '#')
          continue;
        if (clip_box (&cv, gx + (gint64) col * s, y + (gint64) r * s, s, s,
                &b))
          fill_box (&cv, &b, color, TRUE);
      }
    }
  }
}

static inline void
blend_sample (guint8 *p, guint8 value, guint alpha)
{
  *p = (guint8) ((*p * (255 - alpha) + value * alpha + 127) / 255);
}

void
gst_ov_draw_blend_mask (GstVideoFrame *frame, gint x, gint y, gint w, gint h,
    GstOvDrawMaskRowFunc func, gpointer user_data, guint8 alpha)
{
  Canvas cv;
  Box b;
  int sub = -1;
  gint xs = 0, ys = 0, n;
  const GstOvDrawColor **colors;

  if (!canvas_init (&cv, frame) || alpha == 0
      || !clip_box (&cv, x, y, w, h, &b))
    return;
  for (int c = 0; c < 3; c++)
    if (cv.xsub[c] || cv.ysub[c]) {
      sub = c;                  /* the first chroma component */
      xs = cv.xsub[c];
      ys = cv.ysub[c];
      break;
    }

  n = b.x1 - b.x0;
  colors = g_new (const GstOvDrawColor *, n);
  for (gint py = b.y0; py < b.y1; py++) {
    guint8 *row[3];

    func (b.x0, py, n, colors, user_data);
    /* Full-resolution components (RGB, luma): pixel by pixel, all
     * components of a pixel at once. */
    for (int c = 0; c < 3; c++)
      row[c] = comp_pixel (&cv, c, b.x0, py);
    if (sub < 0) {
      guint8 *a = cv.alpha ? cv.alpha + (gsize) py * cv.alpha_stride
          + (gsize) b.x0 * cv.alpha_pstride : NULL;
      gint ps = cv.pstride[0];  /* packed RGB: one pixel stride */
      for (gint i = 0; i < n; i++) {
        const GstOvDrawColor *color = colors[i];
        if (color == NULL)
          continue;
        blend_sample (row[0] + i * ps, color->c[0], alpha);
        blend_sample (row[1] + i * ps, color->c[1], alpha);
        blend_sample (row[2] + i * ps, color->c[2], alpha);
        if (a)
          a[i * cv.alpha_pstride] = 255;
      }
    } else {
      /* 4:2:0: luma is the only full-resolution component. */
      for (gint i = 0; i < n; i++)
        if (colors[i])
          blend_sample (row[0] + i * cv.pstride[0], colors[i]->c[0], alpha);
    }
    /* Subsampled components (chroma): a sample takes the color at the
     * first pixel of its block inside the box, so its row is the box's
     * first row or the block's first. */
    if (sub >= 0 && (py == b.y0 || (py & ((1 << ys) - 1)) == 0)) {
      gint cy = py >> ys;
      gint cx0 = b.x0 >> xs;
      gint cx1 = MIN ((b.x1 + (1 << xs) - 1) >> xs, cv.cwidth[sub]);
      if (cy >= cv.cheight[sub])
        continue;
      for (gint cx = cx0; cx < cx1; cx++) {
        const GstOvDrawColor *color = colors[MAX (cx << xs, b.x0) - b.x0];
        if (color == NULL)
          continue;
        for (int c = sub; c < 3; c++)
          if (cv.xsub[c] == xs && cv.ysub[c] == ys)
            blend_sample (comp_pixel (&cv, c, cx, cy), color->c[c], alpha);
      }
    }
  }
  g_free (colors);
}
