/* ovoverlay and its drawing primitives: boxes, labels, instance and
 * semantic masks in every supported format (pixels read back and
 * converted to RGB here, independently of the element), clipping of boxes
 * outside the frame, the font, negotiation, shared buffers, properties
 * and state changes. */
#include "ovtest.h"

#include <math.h>
#include <string.h>

#include "gstovdraw.h"
#include "gstovfont.h"
#include "gstovmeta.h"

#define GRAY 100
/* Round trips through 8-bit YUV lose a few levels. */
#define YUV_TOLERANCE 8

static const GstVideoFormat formats[] = {
  GST_VIDEO_FORMAT_BGRx, GST_VIDEO_FORMAT_BGRA, GST_VIDEO_FORMAT_RGBx,
  GST_VIDEO_FORMAT_RGBA, GST_VIDEO_FORMAT_xRGB, GST_VIDEO_FORMAT_ARGB,
  GST_VIDEO_FORMAT_xBGR, GST_VIDEO_FORMAT_ABGR, GST_VIDEO_FORMAT_BGR,
  GST_VIDEO_FORMAT_RGB, GST_VIDEO_FORMAT_NV12, GST_VIDEO_FORMAT_NV21,
  GST_VIDEO_FORMAT_I420, GST_VIDEO_FORMAT_YV12,
};

/* ---- reading frames back ------------------------------------------------ */

typedef struct {
  GstVideoFrame frame;
  gboolean yuv;
} Readback;

static void
readback_map (Readback *rb, const GstVideoInfo *info, GstBuffer *buf)
{
  g_assert_true (gst_video_frame_map (&rb->frame, info, buf, GST_MAP_READ));
  rb->yuv = GST_VIDEO_INFO_IS_YUV (info);
}

static void
readback_unmap (Readback *rb)
{
  gst_video_frame_unmap (&rb->frame);
}

static guint8
comp_at (const GstVideoFrame *f, int c, int x, int y)
{
  const GstVideoFormatInfo *fi = f->info.finfo;
  int cx = x >> GST_VIDEO_FORMAT_INFO_W_SUB (fi, c);
  int cy = y >> GST_VIDEO_FORMAT_INFO_H_SUB (fi, c);
  const guint8 *p = GST_VIDEO_FRAME_COMP_DATA (f, c);
  return p[cy * GST_VIDEO_FRAME_COMP_STRIDE (f, c)
      + cx * GST_VIDEO_FRAME_COMP_PSTRIDE (f, c)];
}

static void
color_matrix (const GstVideoInfo *info, double *kr, double *kb,
    gboolean *full)
{
  if (!gst_video_color_matrix_get_Kr_Kb (info->colorimetry.matrix, kr, kb)) {
    *kr = 0.2126;
    *kb = 0.0722;
  }
  *full = info->colorimetry.range == GST_VIDEO_COLOR_RANGE_0_255;
}

/* Pixel (x, y) as RGB, converted back from YUV when the frame is YUV. */
static void
read_rgb (const Readback *rb, int x, int y, int rgb[3])
{
  const GstVideoFrame *f = &rb->frame;
  if (!rb->yuv) {
    rgb[0] = comp_at (f, GST_VIDEO_COMP_R, x, y);
    rgb[1] = comp_at (f, GST_VIDEO_COMP_G, x, y);
    rgb[2] = comp_at (f, GST_VIDEO_COMP_B, x, y);
  } else {
    double kr, kb, yy, u, v, r, g, b;
    gboolean full;
    color_matrix (&f->info, &kr, &kb, &full);
    yy = comp_at (f, 0, x, y);
    u = comp_at (f, 1, x, y) - 128.0;
    v = comp_at (f, 2, x, y) - 128.0;
    if (!full) {
      yy = (yy - 16) * 255.0 / 219.0;
      u *= 255.0 / 224.0;
      v *= 255.0 / 224.0;
    }
    r = yy + 2 * (1 - kr) * v;
    b = yy + 2 * (1 - kb) * u;
    g = (yy - kr * r - kb * b) / (1 - kr - kb);
    rgb[0] = (int) CLAMP (r + 0.5, 0, 255);
    rgb[1] = (int) CLAMP (g + 0.5, 0, 255);
    rgb[2] = (int) CLAMP (b + 0.5, 0, 255);
  }
}

static gboolean
rgb_near (const int a[3], int r, int g, int b, int tolerance)
{
  return ABS (a[0] - r) <= tolerance && ABS (a[1] - g) <= tolerance
      && ABS (a[2] - b) <= tolerance;
}

static int
tolerance_for (const Readback *rb)
{
  return rb->yuv ? YUV_TOLERANCE : 0;
}

static void
assert_pixel (const Readback *rb, int x, int y, int r, int g, int b)
{
  int rgb[3];
  read_rgb (rb, x, y, rgb);
  if (!rgb_near (rgb, r, g, b, tolerance_for (rb)))
    g_error ("%s: pixel (%d, %d) is (%d, %d, %d), expected (%d, %d, %d)",
        GST_VIDEO_FORMAT_INFO_NAME (rb->frame.info.finfo), x, y, rgb[0],
        rgb[1], rgb[2], r, g, b);
}

static void
assert_gray (const Readback *rb, int x, int y)
{
  assert_pixel (rb, x, y, GRAY, GRAY, GRAY);
}

static void
assert_palette (const Readback *rb, int x, int y, guint index)
{
  guint8 c[3];
  gst_ov_draw_index_rgb (index, c);
  assert_pixel (rb, x, y, c[0], c[1], c[2]);
}

/* Half the palette color over gray, as a 50% mask leaves it. */
static void
assert_blended (const Readback *rb, int x, int y, guint index)
{
  guint8 c[3];
  int rgb[3], tol = tolerance_for (rb) + 2;

  gst_ov_draw_index_rgb (index, c);
  read_rgb (rb, x, y, rgb);
  /* Blending 8-bit values and the YUV round trip each lose a little. */
  if (!rgb_near (rgb, (GRAY + c[0]) / 2, (GRAY + c[1]) / 2,
          (GRAY + c[2]) / 2, tol))
    g_error ("%s: pixel (%d, %d) is (%d, %d, %d), expected about "
        "(%d, %d, %d)", GST_VIDEO_FORMAT_INFO_NAME (rb->frame.info.finfo),
        x, y, rgb[0], rgb[1], rgb[2], (GRAY + c[0]) / 2, (GRAY + c[1]) / 2,
        (GRAY + c[2]) / 2);
}

/* ---- running the element ------------------------------------------------ */

static GstBuffer *
gray_frame (const GstVideoInfo *info)
{
  return ov_test_solid_frame (info, GRAY, GRAY, GRAY);
}

/* Pushes `in` through `launch` and returns what comes out. */
static GstBuffer *
run_overlay (const char *launch, const GstVideoInfo *info, GstBuffer *in)
{
  GstHarness *h = ov_test_harness (launch, info);
  GstBuffer *out = gst_harness_push_and_pull (h, in);
  g_assert_nonnull (out);
  gst_harness_teardown (h);
  return out;
}

static GstStructure *
instance_mask (int mw, int mh, const float *probs)
{
  gint64 dims[2] = { mw, mh };
  return gst_ov_tensor_structure_new ("mask", "masks", "segmenter",
      GST_OV_PRECISION_FP32, GST_OV_LAYOUT_ANY, dims, 2, probs,
      (gsize) mw * mh * sizeof (float), "segmentation_mask");
}

static GstStructure *
semantic_mask (GstOvPrecision precision, int mh, int mw, const guint8 *ids)
{
  gint64 dims[3] = { 1, mh, mw };
  gsize n = (gsize) mw * mh, elem = precision == GST_OV_PRECISION_U8 ? 1
      : precision == GST_OV_PRECISION_I32 ? 4 : 8;
  guint8 *data = g_malloc (n * elem);
  GstStructure *s;

  for (gsize i = 0; i < n; i++) {
    if (precision == GST_OV_PRECISION_U8)
      data[i] = ids[i];
    else if (precision == GST_OV_PRECISION_I32) {
      gint32 v = ids[i];
      memcpy (data + i * 4, &v, 4);
    } else {
      gint64 v = ids[i];
      memcpy (data + i * 8, &v, 8);
    }
  }
  s = gst_ov_tensor_structure_new ("semantic", "logits", "segmenter",
      precision, GST_OV_LAYOUT_ANY, dims, 3, data, n * elem,
      "semantic_mask");
  g_free (data);
  return s;
}

/* ---- boxes -------------------------------------------------------------- */

/* A box of known color: its edges take it, its inside and the rest of
 * the frame keep theirs. */
static void
test_box (gconstpointer data)
{
  GstVideoFormat format = GPOINTER_TO_INT (data);
  GstVideoInfo info;
  GstBuffer *in, *out;
  Readback rb;

  ov_test_video_info (&info, format, 160, 120);
  in = gray_frame (&info);
  gst_ov_add_detection (in, 160, 120, 40, 30, 120, 90, 0.8, 2, "car");
  out = run_overlay ("ovoverlay thickness=2 draw-labels=false", &info, in);
  readback_map (&rb, &info, out);
  /* The four sides, two pixels wide on the inside of the box. */
  for (int y = 30; y < 90; y += 6) {
    assert_palette (&rb, 40, y, 2);
    assert_palette (&rb, 41, y, 2);
    assert_palette (&rb, 118, y, 2);
    assert_palette (&rb, 119, y, 2);
  }
  for (int x = 40; x < 120; x += 8) {
    assert_palette (&rb, x, 30, 2);
    assert_palette (&rb, x, 31, 2);
    assert_palette (&rb, x, 88, 2);
    assert_palette (&rb, x, 89, 2);
  }
  /* Inside and just outside. */
  assert_gray (&rb, 44, 34);
  assert_gray (&rb, 80, 60);
  assert_gray (&rb, 114, 84);
  assert_gray (&rb, 38, 60);
  assert_gray (&rb, 122, 60);
  assert_gray (&rb, 80, 28);
  assert_gray (&rb, 80, 92);
  /* Far away. */
  assert_gray (&rb, 0, 0);
  assert_gray (&rb, 159, 119);
  assert_gray (&rb, 10, 100);
  /* Drawn pixels are opaque; the test frame's alpha is 0 elsewhere. */
  if (GST_VIDEO_INFO_HAS_ALPHA (&info)) {
    g_assert_cmpuint (comp_at (&rb.frame, GST_VIDEO_COMP_A, 40, 60), ==, 255);
    g_assert_cmpuint (comp_at (&rb.frame, GST_VIDEO_COMP_A, 80, 60), ==, 0);
  }
  readback_unmap (&rb);
  gst_buffer_unref (out);
}

/* Tracked objects take their track's color, not their class's. */
static void
test_tracked_color (void)
{
  GstVideoInfo info;
  GstBuffer *in, *out;
  Readback rb;

  ov_test_video_info (&info, GST_VIDEO_FORMAT_BGR, 160, 120);
  in = gray_frame (&info);
  gst_ov_roi_set_object_id (gst_ov_add_detection (in, 160, 120, 10, 10, 50,
          50, 0.9, 1, "person"), 7);
  gst_ov_add_detection (in, 160, 120, 80, 10, 120, 50, 0.9, 1, "person");
  out = run_overlay ("ovoverlay draw-labels=false", &info, in);
  readback_map (&rb, &info, out);
  assert_palette (&rb, 10, 30, 7);
  assert_palette (&rb, 80, 30, 1);
  readback_unmap (&rb);
  gst_buffer_unref (out);
}

/* Auto thickness: max (2, H / 360), so 3 at 1080 lines. */
static void
test_auto_thickness (void)
{
  GstVideoInfo info;
  GstBuffer *in, *out;
  Readback rb;

  ov_test_video_info (&info, GST_VIDEO_FORMAT_I420, 640, 1080);
  in = gray_frame (&info);
  gst_ov_add_detection (in, 640, 1080, 100, 500, 300, 800, 0.9, 4, "dog");
  out = run_overlay ("ovoverlay draw-labels=false", &info, in);
  readback_map (&rb, &info, out);
  assert_palette (&rb, 100, 600, 4);
  assert_palette (&rb, 102, 600, 4);
  assert_gray (&rb, 104, 600);
  readback_unmap (&rb);
  gst_buffer_unref (out);
}

/* ---- labels ------------------------------------------------------------- */

/* The label box's color in `rb`'s terms: RGB, or luma for YUV (text ink
 * there sets luma only). */
typedef struct {
  int bg[3];
  int fg_luma;
  int bg_luma;
} LabelColors;

static void
label_colors (const GstVideoInfo *info, guint index, LabelColors *lc)
{
  guint8 c[3];
  gboolean light;

  gst_ov_draw_index_rgb (index, c);
  for (int i = 0; i < 3; i++)
    lc->bg[i] = c[i];
  light = 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2] >= 140;
  if (GST_VIDEO_INFO_IS_YUV (info)) {
    double kr, kb;
    gboolean full;
    color_matrix (info, &kr, &kb, &full);
    lc->bg_luma = (int) (kr * c[0] + (1 - kr - kb) * c[1] + kb * c[2] + 0.5);
    lc->fg_luma = light ? 0 : 255;
    if (!full) {
      lc->bg_luma = 16 + lc->bg_luma * 219 / 255;
      lc->fg_luma = 16 + lc->fg_luma * 219 / 255;
    }
  } else {
    lc->fg_luma = light ? 0 : 255;
    lc->bg_luma = -1;
  }
}

static gboolean
is_label_bg (const Readback *rb, const LabelColors *lc, int x, int y)
{
  int rgb[3];
  if (rb->yuv)
    return ABS (comp_at (&rb->frame, 0, x, y) - lc->bg_luma) <= 2;
  read_rgb (rb, x, y, rgb);
  return rgb_near (rgb, lc->bg[0], lc->bg[1], lc->bg[2], 0);
}

static gboolean
is_label_ink (const Readback *rb, const LabelColors *lc, int x, int y)
{
  int rgb[3];
  if (rb->yuv)
    return ABS (comp_at (&rb->frame, 0, x, y) - lc->fg_luma) <= 2;
  read_rgb (rb, x, y, rgb);
  return rgb_near (rgb, lc->fg_luma, lc->fg_luma, lc->fg_luma, 0);
}

/* The label box (x0, y0, w, h): its border rows and columns are
 * background, inside it there is ink and background and nothing else,
 * and the pixels around it are gray. */
static void
assert_label_box (const Readback *rb, const LabelColors *lc, int x0, int y0,
    int w, int h)
{
  int ink = 0, bg = 0;
  for (int x = x0; x < x0 + w; x++) {
    g_assert_true (is_label_bg (rb, lc, x, y0));
    g_assert_true (is_label_bg (rb, lc, x, y0 + h - 1));
  }
  for (int y = y0; y < y0 + h; y++) {
    g_assert_true (is_label_bg (rb, lc, x0, y));
    g_assert_true (is_label_bg (rb, lc, x0 + w - 1, y));
    for (int x = x0; x < x0 + w; x++) {
      gboolean is_ink = is_label_ink (rb, lc, x, y);
      gboolean is_bg = is_label_bg (rb, lc, x, y);
      g_assert_true (is_ink || is_bg);
      ink += is_ink;
      bg += is_bg;
    }
  }
  g_assert_cmpint (ink, >, 20);
  g_assert_cmpint (bg, >, ink);
  if (!rb->yuv) {
    if (x0 + w < GST_VIDEO_FRAME_WIDTH (&rb->frame))
      assert_gray (rb, x0 + w, y0 + h / 2);
    if (y0 > 0)
      assert_gray (rb, x0 + w / 2, y0 - 1);
  }
}

/* "car 80%": a one-line label of 7 characters above the box, at text
 * scale 1: (7 * 6 - 1) + 2 wide, 8 + 2 high. */
static void
test_label (gconstpointer data)
{
  GstVideoFormat format = GPOINTER_TO_INT (data);
  GstVideoInfo info;
  GstBuffer *in, *out;
  Readback rb;
  LabelColors lc;

  ov_test_video_info (&info, format, 320, 240);
  in = gray_frame (&info);
  gst_ov_add_detection (in, 320, 240, 100, 100, 200, 180, 0.8, 2, "car");
  out = run_overlay ("ovoverlay text-scale=1", &info, in);
  readback_map (&rb, &info, out);
  label_colors (&info, 2, &lc);
  assert_label_box (&rb, &lc, 100, 90, 43, 10);
  /* The first glyph is our 'c': row 2 is ".###.", row 1 blank. */
  g_assert_true (is_label_ink (&rb, &lc, 102, 93));
  g_assert_true (is_label_ink (&rb, &lc, 104, 93));
  g_assert_false (is_label_ink (&rb, &lc, 101, 93));
  g_assert_false (is_label_ink (&rb, &lc, 102, 92));
  /* The box is still drawn under it. */
  assert_palette (&rb, 100, 140, 2);
  readback_unmap (&rb);
  gst_buffer_unref (out);
}

/* Track id and attributes: "car 80% #7" (10 characters) and one line
 * per classification result. */
static void
test_label_lines (void)
{
  GstVideoInfo info;
  GstBuffer *in, *out;
  GstVideoRegionOfInterestMeta *roi;
  Readback rb;
  LabelColors lc;

  ov_test_video_info (&info, GST_VIDEO_FORMAT_RGBA, 320, 240);
  in = gray_frame (&info);
  roi = gst_ov_add_detection (in, 320, 240, 100, 100, 200, 180, 0.8, 2,
      "car");
  gst_ov_roi_set_object_id (roi, 7);
  gst_video_region_of_interest_meta_add_param (roi,
      gst_ov_attribute_new ("color", "red", 3, 0.9, "colors", "prob"));
  gst_video_region_of_interest_meta_add_param (roi,
      gst_ov_attribute_new ("type", "sedan", 1, 0.7, "types", "prob"));
  out = run_overlay ("ovoverlay text-scale=1", &info, in);
  readback_map (&rb, &info, out);
  label_colors (&info, 7, &lc);
  /* Three lines: 3 * 9 - 1 + 2 high. */
  assert_label_box (&rb, &lc, 100, 100 - 28, 10 * 6 - 1 + 2, 28);
  readback_unmap (&rb);
  gst_buffer_unref (out);
}

/* A NaN confidence reads as 0%: "car 0%", 6 characters. */
static void
test_label_nan (void)
{
  GstVideoInfo info;
  GstBuffer *in, *out;
  Readback rb;
  LabelColors lc;

  ov_test_video_info (&info, GST_VIDEO_FORMAT_BGRx, 320, 240);
  in = gray_frame (&info);
  gst_ov_add_detection (in, 320, 240, 100, 100, 200, 180, NAN, 2, "car");
  out = run_overlay ("ovoverlay text-scale=1", &info, in);
  readback_map (&rb, &info, out);
  label_colors (&info, 2, &lc);
  assert_label_box (&rb, &lc, 100, 90, 6 * 6 - 1 + 2, 10);
  readback_unmap (&rb);
  gst_buffer_unref (out);
}

/* draw-labels=false draws the box only. */
static void
test_no_labels (void)
{
  GstVideoInfo info;
  GstBuffer *in, *out;
  Readback rb;

  ov_test_video_info (&info, GST_VIDEO_FORMAT_BGRx, 320, 240);
  in = gray_frame (&info);
  gst_ov_add_detection (in, 320, 240, 100, 100, 200, 180, 0.8, 2, "car");
  out = run_overlay ("ovoverlay draw-labels=false", &info, in);
  readback_map (&rb, &info, out);
  for (int y = 88; y < 100; y++)
    for (int x = 100; x < 150; x++)
      assert_gray (&rb, x, y);
  readback_unmap (&rb);
  gst_buffer_unref (out);
}

/* No room above the box: the label goes inside it, at its top. Too
 * close to the right edge: it moves left to fit. */
static void
test_label_at_edges (void)
{
  GstVideoInfo info;
  GstBuffer *in, *out;
  Readback rb;
  LabelColors lc;

  ov_test_video_info (&info, GST_VIDEO_FORMAT_BGRx, 320, 240);
  in = gray_frame (&info);
  gst_ov_add_detection (in, 320, 240, 300, 0, 320, 60, 0.8, 2, "car");
  out = run_overlay ("ovoverlay text-scale=1 thickness=2", &info, in);
  readback_map (&rb, &info, out);
  label_colors (&info, 2, &lc);
  for (int y = 0; y < 10; y++) {
    g_assert_true (is_label_bg (&rb, &lc, 320 - 43, y));
    g_assert_true (is_label_bg (&rb, &lc, 319, y));
  }
  assert_gray (&rb, 320 - 44, 5);
  readback_unmap (&rb);
  gst_buffer_unref (out);
}

/* Auto text scale: 2 at 1080 lines (a 16-pixel glyph in a 20-pixel
 * box). */
static void
test_auto_text_scale (void)
{
  GstVideoInfo info;
  GstBuffer *in, *out;
  Readback rb;
  LabelColors lc;

  ov_test_video_info (&info, GST_VIDEO_FORMAT_RGB, 400, 1080);
  in = gray_frame (&info);
  gst_ov_add_detection (in, 400, 1080, 100, 500, 300, 800, 0.8, 2, "car");
  out = run_overlay ("ovoverlay", &info, in);
  readback_map (&rb, &info, out);
  label_colors (&info, 2, &lc);
  assert_label_box (&rb, &lc, 100, 480, (7 * 6 - 1) * 2 + 4, 20);
  readback_unmap (&rb);
  gst_buffer_unref (out);
}

/* Whole-frame classification: "indoor 90%" top left, white on black. */
static void
test_frame_label (void)
{
  GstVideoInfo info;
  GstBuffer *in, *out;
  Readback rb;
  int rgb[3], white = 0;

  ov_test_video_info (&info, GST_VIDEO_FORMAT_BGRA, 320, 240);
  in = gray_frame (&info);
  gst_buffer_add_ov_tensor_meta (in, gst_ov_attribute_new ("scene",
          "indoor", 1, 0.9, "scenes", "prob"));
  out = run_overlay ("ovoverlay text-scale=1", &info, in);
  readback_map (&rb, &info, out);
  assert_pixel (&rb, 0, 0, 0, 0, 0);
  assert_pixel (&rb, 10 * 6 - 1 + 1, 9, 0, 0, 0);
  assert_gray (&rb, 10 * 6 - 1 + 2, 5);
  for (int y = 0; y < 10; y++)
    for (int x = 0; x < 61; x++) {
      read_rgb (&rb, x, y, rgb);
      white += rgb_near (rgb, 255, 255, 255, 0);
    }
  g_assert_cmpint (white, >, 20);
  readback_unmap (&rb);
  gst_buffer_unref (out);
}

/* ---- masks -------------------------------------------------------------- */

/* An 8x6 instance mask over an 80x60 box: its left half in, its right
 * half out. */
static void
test_instance_mask (gconstpointer data)
{
  GstVideoFormat format = GPOINTER_TO_INT (data);
  GstVideoInfo info;
  GstBuffer *in, *out;
  GstVideoRegionOfInterestMeta *roi;
  Readback rb;
  float probs[6 * 8];

  for (int i = 0; i < 6 * 8; i++)
    probs[i] = (i % 8) < 4 ? 0.9f : 0.1f;
  ov_test_video_info (&info, format, 160, 120);
  in = gray_frame (&info);
  roi = gst_ov_add_detection (in, 160, 120, 40, 40, 120, 100, 0.8, 3, "cat");
  gst_video_region_of_interest_meta_add_param (roi, instance_mask (8, 6,
          probs));
  out = run_overlay ("ovoverlay draw-labels=false thickness=2", &info, in);
  readback_map (&rb, &info, out);
  for (int y = 44; y < 96; y += 6) {
    assert_blended (&rb, 44, y, 3);
    assert_blended (&rb, 78, y, 3);
    assert_gray (&rb, 82, y);
    assert_gray (&rb, 114, y);
  }
  assert_gray (&rb, 20, 70);
  assert_gray (&rb, 140, 70);
  readback_unmap (&rb);
  gst_buffer_unref (out);
}

/* draw-masks=false leaves the mask out. */
static void
test_no_masks (void)
{
  GstVideoInfo info;
  GstBuffer *in, *out;
  GstVideoRegionOfInterestMeta *roi;
  Readback rb;
  float probs[4] = { 1, 1, 1, 1 };

  ov_test_video_info (&info, GST_VIDEO_FORMAT_NV12, 160, 120);
  in = gray_frame (&info);
  roi = gst_ov_add_detection (in, 160, 120, 40, 40, 120, 100, 0.8, 3, "cat");
  gst_video_region_of_interest_meta_add_param (roi, instance_mask (2, 2,
          probs));
  gst_buffer_add_ov_tensor_meta (in, semantic_mask (GST_OV_PRECISION_U8, 1,
          1, (const guint8[]) { 4 }));
  out = run_overlay ("ovoverlay draw-labels=false draw-masks=false", &info,
      in);
  readback_map (&rb, &info, out);
  assert_gray (&rb, 60, 70);
  assert_gray (&rb, 10, 10);
  readback_unmap (&rb);
  gst_buffer_unref (out);
}

/* A whole-frame 12x16 class map over 160x120 (10x10 pixels a cell):
 * top half class 0 (background, not drawn), bottom left class 3, bottom
 * right class 5. */
static void
run_semantic (GstVideoFormat format, GstOvPrecision precision)
{
  GstVideoInfo info;
  GstBuffer *in, *out;
  Readback rb;
  guint8 ids[12 * 16];

  for (int r = 0; r < 12; r++)
    for (int c = 0; c < 16; c++)
      ids[r * 16 + c] = r < 6 ? 0 : c < 8 ? 3 : 5;
  ov_test_video_info (&info, format, 160, 120);
  in = gray_frame (&info);
  gst_buffer_add_ov_tensor_meta (in, semantic_mask (precision, 12, 16, ids));
  out = run_overlay ("ovoverlay", &info, in);
  readback_map (&rb, &info, out);
  for (int x = 0; x < 160; x += 14) {
    assert_gray (&rb, x, 10);
    assert_gray (&rb, x, 58);
  }
  for (int y = 60; y < 120; y += 10) {
    assert_blended (&rb, 0, y, 3);
    assert_blended (&rb, 78, y, 3);
    assert_blended (&rb, 80, y, 5);
    assert_blended (&rb, 158, y, 5);
  }
  readback_unmap (&rb);
  gst_buffer_unref (out);
}

static void
test_semantic_mask (gconstpointer data)
{
  run_semantic (GPOINTER_TO_INT (data), GST_OV_PRECISION_U8);
}

static void
test_semantic_mask_precisions (void)
{
  run_semantic (GST_VIDEO_FORMAT_BGRx, GST_OV_PRECISION_I32);
  run_semantic (GST_VIDEO_FORMAT_NV12, GST_OV_PRECISION_I64);
}

/* A semantic mask on an object covers the object's box only. */
static void
test_semantic_mask_on_object (void)
{
  GstVideoInfo info;
  GstBuffer *in, *out;
  GstVideoRegionOfInterestMeta *roi;
  Readback rb;
  guint8 ids[2] = { 0, 6 };

  ov_test_video_info (&info, GST_VIDEO_FORMAT_RGBx, 160, 120);
  in = gray_frame (&info);
  roi = gst_ov_add_detection (in, 160, 120, 40, 40, 120, 100, 0.8, 3, "cat");
  gst_video_region_of_interest_meta_add_param (roi,
      semantic_mask (GST_OV_PRECISION_U8, 1, 2, ids));
  out = run_overlay ("ovoverlay draw-labels=false", &info, in);
  readback_map (&rb, &info, out);
  assert_gray (&rb, 60, 70);
  assert_blended (&rb, 100, 70, 6);
  assert_gray (&rb, 130, 70);
  readback_unmap (&rb);
  gst_buffer_unref (out);
}

/* Masks whose data does not match their dims, or of another precision,
 * are skipped, not read past their end. */
static void
test_malformed_masks (void)
{
  GstVideoInfo info;
  GstBuffer *in, *out;
  GstVideoRegionOfInterestMeta *roi;
  Readback rb;
  float probs[4] = { 1, 1, 1, 1 };
  gint64 too_big[2] = { 100, 100 }, rank4[4] = { 2, 1, 2, 2 };
  guint8 ids[8] = { 1, 1, 1, 1, 1, 1, 1, 1 };

  ov_test_video_info (&info, GST_VIDEO_FORMAT_I420, 160, 120);
  in = gray_frame (&info);
  roi = gst_ov_add_detection (in, 160, 120, 40, 40, 120, 100, 0.8, 3, "cat");
  gst_video_region_of_interest_meta_add_param (roi,
      gst_ov_tensor_structure_new ("m1", NULL, NULL, GST_OV_PRECISION_FP32,
          GST_OV_LAYOUT_ANY, too_big, 2, probs, sizeof probs,
          "segmentation_mask"));
  gst_video_region_of_interest_meta_add_param (roi,
      gst_ov_tensor_structure_new ("m2", NULL, NULL, GST_OV_PRECISION_U8,
          GST_OV_LAYOUT_ANY, too_big, 2, ids, sizeof ids,
          "segmentation_mask"));
  gst_buffer_add_ov_tensor_meta (in, gst_ov_tensor_structure_new ("m3", NULL,
          NULL, GST_OV_PRECISION_U8, GST_OV_LAYOUT_ANY, too_big, 2, ids,
          sizeof ids, "semantic_mask"));
  gst_buffer_add_ov_tensor_meta (in, gst_ov_tensor_structure_new ("m4", NULL,
          NULL, GST_OV_PRECISION_U8, GST_OV_LAYOUT_ANY, rank4, 4, ids,
          sizeof ids, "semantic_mask"));
  gst_buffer_add_ov_tensor_meta (in, gst_ov_tensor_structure_new ("m5", NULL,
          NULL, GST_OV_PRECISION_FP32, GST_OV_LAYOUT_ANY, too_big, 2, probs,
          sizeof probs, "semantic_mask"));
  out = run_overlay ("ovoverlay draw-labels=false", &info, in);
  readback_map (&rb, &info, out);
  assert_gray (&rb, 60, 70);
  assert_gray (&rb, 10, 10);
  readback_unmap (&rb);
  gst_buffer_unref (out);
}

/* ---- clipping ----------------------------------------------------------- */

static GstVideoRegionOfInterestMeta *
add_raw_roi (GstBuffer *buf, guint x, guint y, guint w, guint h,
    int label_id)
{
  GstVideoRegionOfInterestMeta *roi =
      gst_buffer_add_video_region_of_interest_meta (buf, "far", x, y, w, h);
  gst_video_region_of_interest_meta_add_param (roi,
      gst_structure_new ("detection", "confidence", G_TYPE_DOUBLE, 0.5,
          "label_id", G_TYPE_INT, label_id, NULL));
  return roi;
}

/* Boxes past the frame's edges (even near G_MAXUINT), with masks and
 * labels: what is in the frame is drawn, nothing else is touched (ASan
 * watches the rest). */
static void
test_clipping (gconstpointer data)
{
  GstVideoFormat format = GPOINTER_TO_INT (data);
  GstVideoInfo info;
  GstBuffer *in, *out;
  GstVideoRegionOfInterestMeta *roi;
  Readback rb;
  float probs[4] = { 1, 1, 1, 1 };
  guint8 ids[4] = { 1, 2, 3, 4 };
  gchar *long_label = g_strnfill (300, 'W');

  ov_test_video_info (&info, format, 160, 120);
  in = gray_frame (&info);
  /* From (0, 0) past the far ends (drawn first, under the next one). */
  add_raw_roi (in, 0, 0, G_MAXUINT, G_MAXUINT, 7);
  /* Partly outside to the right and bottom. */
  roi = add_raw_roi (in, 120, 80, 100, 100, 5);
  gst_video_region_of_interest_meta_add_param (roi, instance_mask (2, 2,
          probs));
  gst_video_region_of_interest_meta_add_param (roi,
      semantic_mask (GST_OV_PRECISION_U8, 2, 2, ids));
  gst_video_region_of_interest_meta_add_param (roi,
      gst_ov_attribute_new ("name", long_label, 0, 1.0, "m", "l"));
  /* Wholly outside, and at the ends of the coordinate range. */
  add_raw_roi (in, 1000, 10, 50, 50, 6);
  add_raw_roi (in, 10, 1000, 50, 50, 6);
  roi = add_raw_roi (in, G_MAXUINT - 10, G_MAXUINT - 10, G_MAXUINT, 100, 6);
  gst_video_region_of_interest_meta_add_param (roi, instance_mask (2, 2,
          probs));
  add_raw_roi (in, 159, 60, 1, 1, 8);
  out = run_overlay ("ovoverlay thickness=2", &info, in);
  readback_map (&rb, &info, out);
  /* The partly visible box: its top and left sides up to the frame's
   * edge, and its sides clipped at the edge. */
  assert_palette (&rb, 120, 100, 5);
  assert_palette (&rb, 150, 80, 5);
  assert_palette (&rb, 159, 100, 5);
  assert_palette (&rb, 140, 119, 5);
  /* The frame-sized box from (0, 0) (the first object's label covers
   * rows 61-79). */
  assert_palette (&rb, 0, 50, 7);
  assert_palette (&rb, 159, 40, 7);
  readback_unmap (&rb);
  gst_buffer_unref (out);
  g_free (long_label);
}

/* An object of no size is not drawn at all. */
static void
test_zero_size_box (void)
{
  GstVideoInfo info;
  GstBuffer *in, *ref, *out;
  GstMapInfo a, b;

  ov_test_video_info (&info, GST_VIDEO_FORMAT_NV12, 160, 120);
  in = gray_frame (&info);
  ref = gray_frame (&info);
  g_assert_nonnull (gst_ov_add_detection (in, 160, 120, 50, 50, 50, 50, 0.9,
          1, "dot"));
  add_raw_roi (in, 80, 80, 0, 10, 1);
  out = run_overlay ("ovoverlay", &info, in);
  g_assert_cmpuint (ov_test_count_rois (out), ==, 2);
  gst_buffer_map (out, &a, GST_MAP_READ);
  gst_buffer_map (ref, &b, GST_MAP_READ);
  g_assert_cmpmem (a.data, a.size, b.data, b.size);
  gst_buffer_unmap (out, &a);
  gst_buffer_unmap (ref, &b);
  gst_buffer_unref (out);
  gst_buffer_unref (ref);
}

/* A box along the frame's edges keeps all four sides. */
static void
test_frame_edge (gconstpointer data)
{
  GstVideoFormat format = GPOINTER_TO_INT (data);
  GstVideoInfo info;
  GstBuffer *in, *out;
  Readback rb;

  ov_test_video_info (&info, format, 160, 120);
  in = gray_frame (&info);
  gst_ov_add_detection (in, 160, 120, 0, 0, 160, 120, 0.9, 9, "all");
  out = run_overlay ("ovoverlay thickness=2", &info, in);
  readback_map (&rb, &info, out);
  assert_palette (&rb, 0, 60, 9);
  assert_palette (&rb, 1, 60, 9);
  assert_palette (&rb, 159, 60, 9);
  assert_palette (&rb, 80, 119, 9);
  assert_gray (&rb, 80, 60);
  readback_unmap (&rb);
  gst_buffer_unref (out);
}

/* An odd-sized 4:2:0 frame (chroma rounds up) with a box on its last
 * pixel row and column. */
static void
test_odd_size (gconstpointer data)
{
  GstVideoFormat format = GPOINTER_TO_INT (data);
  GstVideoInfo info;
  GstBuffer *in, *out;
  Readback rb;

  ov_test_video_info (&info, format, 37, 21);
  in = gray_frame (&info);
  gst_ov_add_detection (in, 37, 21, 5, 5, 37, 21, 0.9, 2, "odd");
  out = run_overlay ("ovoverlay thickness=1 draw-labels=false", &info, in);
  readback_map (&rb, &info, out);
  assert_palette (&rb, 36, 12, 2);
  assert_palette (&rb, 20, 20, 2);
  readback_unmap (&rb);
  gst_buffer_unref (out);
}

/* ---- the element -------------------------------------------------------- */

/* Every format negotiates unchanged caps (in place, no conversion). */
static void
test_negotiation (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (formats); i++) {
    GstVideoInfo info;
    GstHarness *h;
    GstBuffer *out;
    GstCaps *in_caps, *out_caps;

    ov_test_video_info (&info, formats[i], 64, 48);
    in_caps = gst_video_info_to_caps (&info);
    h = ov_test_harness ("ovoverlay", &info);
    out = gst_harness_push_and_pull (h, gray_frame (&info));
    g_assert_nonnull (out);
    out_caps = gst_pad_get_current_caps (h->sinkpad);
    g_assert_true (gst_caps_is_equal (in_caps, out_caps));
    gst_caps_unref (in_caps);
    gst_caps_unref (out_caps);
    gst_buffer_unref (out);
    gst_harness_teardown (h);
  }
}

static void
test_wrong_caps (void)
{
  GstHarness *h = gst_harness_new ("ovoverlay");
  gst_harness_set_src_caps_str (h, "video/x-raw,format=UYVY,width=64,"
      "height=48,framerate=30/1");
  g_assert_cmpint (gst_harness_push (h, gst_buffer_new_allocate (NULL,
              64 * 48 * 2, NULL)), ==, GST_FLOW_NOT_NEGOTIATED);
  gst_harness_teardown (h);
}

/* A frame someone else also holds is copied before drawing, never drawn
 * on; a frame without results passes as it is. */
static void
test_shared_buffers (void)
{
  GstVideoInfo info;
  GstHarness *h;
  GstBuffer *in, *out;
  Readback rb;

  ov_test_video_info (&info, GST_VIDEO_FORMAT_BGRx, 64, 48);
  h = ov_test_harness ("ovoverlay", &info);

  in = gray_frame (&info);
  gst_buffer_ref (in);
  out = gst_harness_push_and_pull (h, in);
  g_assert_true (out == in);
  gst_buffer_unref (out);
  gst_buffer_unref (in);

  in = gray_frame (&info);
  gst_ov_add_detection (in, 64, 48, 8, 8, 40, 40, 0.9, 1, "x");
  gst_buffer_ref (in);
  out = gst_harness_push_and_pull (h, in);
  g_assert_true (out != in);
  readback_map (&rb, &info, in);
  assert_gray (&rb, 8, 20);
  readback_unmap (&rb);
  readback_map (&rb, &info, out);
  assert_palette (&rb, 8, 20, 1);
  readback_unmap (&rb);
  gst_buffer_unref (out);
  gst_buffer_unref (in);
  gst_harness_teardown (h);
}

static void
test_state_cycling (void)
{
  GstElement *e = gst_element_factory_make ("ovoverlay", NULL);
  for (int i = 0; i < OV_TEST_STATE_CYCLES; i++) {
    g_assert_cmpint (gst_element_set_state (e, GST_STATE_PLAYING), !=,
        GST_STATE_CHANGE_FAILURE);
    g_assert_cmpint (gst_element_set_state (e, GST_STATE_READY), ==,
        GST_STATE_CHANGE_SUCCESS);
    g_assert_cmpint (gst_element_set_state (e, GST_STATE_NULL), ==,
        GST_STATE_CHANGE_SUCCESS);
  }
  gst_object_unref (e);
}

/* Frames and events after EOS, and a second stream after a flush. */
static void
test_eos (void)
{
  GstVideoInfo info;
  GstHarness *h;
  GstBuffer *in;
  GstEvent *ev;
  gboolean seen_eos = FALSE;

  ov_test_video_info (&info, GST_VIDEO_FORMAT_NV12, 64, 48);
  h = ov_test_harness ("ovoverlay", &info);
  for (int i = 0; i < 3; i++) {
    in = gray_frame (&info);
    gst_ov_add_detection (in, 64, 48, 8, 8, 40, 40, 0.9, i, "x");
    g_assert_cmpint (gst_harness_push (h, in), ==, GST_FLOW_OK);
  }
  g_assert_true (gst_harness_push_event (h, gst_event_new_eos ()));
  g_assert_cmpuint (gst_harness_buffers_received (h), ==, 3);
  while ((ev = gst_harness_try_pull_event (h))) {
    seen_eos |= GST_EVENT_TYPE (ev) == GST_EVENT_EOS;
    gst_event_unref (ev);
  }
  g_assert_true (seen_eos);
  gst_harness_teardown (h);
}

static void
expect_start (const char *prop, const char *value, const char *needle)
{
  GstElement *e = gst_element_factory_make ("ovoverlay", NULL);
  gst_util_set_object_arg (G_OBJECT (e), prop, value);
  if (needle == NULL) {
    g_assert_cmpint (gst_element_set_state (e, GST_STATE_PLAYING), !=,
        GST_STATE_CHANGE_FAILURE);
    gst_element_set_state (e, GST_STATE_NULL);
  } else {
    char *msg = ov_test_expect_start_error (e);
    g_assert_nonnull (msg);
    if (strstr (msg, needle) == NULL)
      g_error ("expected '%s' in the error, got: %s", needle, msg);
    g_free (msg);
  }
  gst_object_unref (e);
}

static void
test_properties (void)
{
  GstElement *e = gst_element_factory_make ("ovoverlay", NULL);
  gchar *device;
  gboolean obb, labels, masks;
  guint thickness, scale;

  g_object_get (e, "device", &device, "obb", &obb, "draw-labels", &labels,
      "draw-masks", &masks, "thickness", &thickness, "text-scale", &scale,
      NULL);
  g_assert_cmpstr (device, ==, "CPU");
  g_assert_false (obb);
  g_assert_true (labels);
  g_assert_true (masks);
  g_assert_cmpuint (thickness, ==, 0);
  g_assert_cmpuint (scale, ==, 0);
  g_free (device);
  gst_object_unref (e);

  expect_start ("device", "cpu", NULL);
  expect_start ("device", "", NULL);
  expect_start ("device", "AUTO", NULL);
  expect_start ("obb", "false", NULL);
  expect_start ("device", "GPU", "Device GPU is not available");
  expect_start ("device", "GPU.1", "not available");
  expect_start ("device", "toaster", "Unknown device");
  expect_start ("obb", "true", "Oriented boxes");
}

/* Detector then overlay: the detector's boxes are drawn. */
static void
test_after_detect (void)
{
  GstVideoInfo info;
  char *launch = g_strdup_printf ("ovdetect model=%s model-proc=%s ! "
      "ovoverlay thickness=2", ov_test_model ("detect-ssd.onnx"),
      ov_test_model ("detect-ssd.json"));
  GstHarness *h;
  GstBuffer *out;
  Readback rb;
  int rgb[3];
  guint8 c[3];

  ov_test_video_info (&info, GST_VIDEO_FORMAT_BGRx, 320, 240);
  h = ov_test_harness (launch, &info);
  out = gst_harness_push_and_pull (h, ov_test_solid_frame (&info, 255, 255,
          255));
  g_assert_cmpuint (ov_test_count_rois (out), ==, 2);
  readback_map (&rb, &info, out);
  /* The first object: "person" (label id 1) at (32, 48) 128x96. */
  gst_ov_draw_index_rgb (1, c);
  read_rgb (&rb, 32, 100, rgb);
  g_assert_true (rgb_near (rgb, c[0], c[1], c[2], 0));
  read_rgb (&rb, 36, 100, rgb);
  g_assert_true (rgb_near (rgb, 255, 255, 255, 0));
  readback_unmap (&rb);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
  g_free (launch);
}

/* ---- font and primitives ------------------------------------------------ */

static void
test_font (void)
{
  for (int c = 0x20; c <= 0x7e; c++) {
    const char *const *rows;
    int ink = 0;
    g_assert_true (gst_ov_font_has_glyph ((gchar) c));
    rows = gst_ov_font_glyph ((gchar) c);
    for (int r = 0; r < GST_OV_FONT_GLYPH_HEIGHT; r++) {
      g_assert_cmpuint (strlen (rows[r]), ==, GST_OV_FONT_GLYPH_WIDTH);
      g_assert_cmpuint (strspn (rows[r], "#."), ==, GST_OV_FONT_GLYPH_WIDTH);
      for (int x = 0; x < GST_OV_FONT_GLYPH_WIDTH; x++) {
        ink += rows[r][x] == '#';
        g_assert_cmpint (gst_ov_font_ink ((gchar) c, x, r), ==,
            rows[r][x] == '#');
      }
    }
    /* Every character but the space is visible, and no two look alike. */
    if (c == ' ')
      g_assert_cmpint (ink, ==, 0);
    else
      g_assert_cmpint (ink, >, 0);
    for (int d = 0x20; d < c; d++) {
      const char *const *other = gst_ov_font_glyph ((gchar) d);
      gboolean same = TRUE;
      for (int r = 0; r < GST_OV_FONT_GLYPH_HEIGHT; r++)
        same &= strcmp (rows[r], other[r]) == 0;
      if (same)
        g_error ("'%c' and '%c' have the same glyph", c, d);
    }
  }
  /* No glyph: drawn as '?'. */
  g_assert_false (gst_ov_font_has_glyph ('\n'));
  g_assert_false (gst_ov_font_has_glyph ((gchar) 0xc3));
  g_assert_true (gst_ov_font_glyph ('\t') == gst_ov_font_glyph ('?'));
  g_assert_true (gst_ov_font_glyph ((gchar) 0xff) == gst_ov_font_glyph ('?'));
  g_assert_false (gst_ov_font_ink ('A', -1, 0));
  g_assert_false (gst_ov_font_ink ('A', 0, GST_OV_FONT_GLYPH_HEIGHT));
}

static void
test_palette (void)
{
  for (guint i = 0; i < 16; i++)
    for (guint j = 0; j < i; j++) {
      guint8 a[3], b[3];
      gst_ov_draw_index_rgb (i, a);
      gst_ov_draw_index_rgb (j, b);
      g_assert_cmpint (ABS (a[0] - b[0]) + ABS (a[1] - b[1])
          + ABS (a[2] - b[2]), >=, 48);
    }
}

static void
test_text_size (void)
{
  gint w, h;
  gst_ov_draw_text_size ("", 3, &w, &h);
  g_assert_cmpint (w, ==, 0);
  g_assert_cmpint (h, ==, 0);
  gst_ov_draw_text_size ("A", 1, &w, &h);
  g_assert_cmpint (w, ==, 5);
  g_assert_cmpint (h, ==, 8);
  gst_ov_draw_text_size ("abc", 2, &w, &h);
  g_assert_cmpint (w, ==, (3 * 6 - 1) * 2);
  g_assert_cmpint (h, ==, 16);
}

/* Red left of x = 17, nothing right of it. */
static void
left_red_row (gint x, gint y, gint n, const GstOvDrawColor **colors,
    gpointer user_data)
{
  for (gint i = 0; i < n; i++)
    colors[i] = x + i < 17 ? user_data : NULL;
}

/* The primitives straight on a frame: text glyph blocks at scale 3,
 * fills and outlines at extreme coordinates (clipped, no writes outside:
 * the frame's buffer is exactly its size under ASan). */
static void
test_primitives (gconstpointer data)
{
  GstVideoFormat format = GPOINTER_TO_INT (data);
  GstVideoInfo info;
  GstBuffer *buf;
  GstVideoFrame frame;
  GstOvDrawColor white, red, got;
  Readback rb;

  ov_test_video_info (&info, format, 50, 30);
  buf = gray_frame (&info);
  gst_ov_draw_color_from_rgb (&info, 255, 255, 255, &white);
  gst_ov_draw_color_from_rgb (&info, 255, 0, 0, &red);
  g_assert_true (gst_video_frame_map (&frame, &info, buf, GST_MAP_WRITE));
  gst_ov_draw_fill_rect (&frame, G_MININT, G_MININT, G_MAXINT, G_MAXINT,
      &red);
  gst_ov_draw_fill_rect (&frame, G_MAXINT, G_MAXINT, G_MAXINT, G_MAXINT,
      &red);
  gst_ov_draw_fill_rect (&frame, 48, 28, G_MAXINT, G_MAXINT, &red);
  gst_ov_draw_fill_rect (&frame, 10, 10, -5, 4, &red);
  gst_ov_draw_rect (&frame, -10, -10, 20, 20, 100, &red);
  gst_ov_draw_rect (&frame, G_MAXINT - 5, 0, G_MAXINT, 30, 2, &red);
  gst_ov_draw_text (&frame, G_MAXINT - 10, 0, "overflow", 3, &white);
  gst_ov_draw_text (&frame, -1000, G_MININT / 2, "off", 3, &white);
  /* "|" at (30, 0), scale 3: its column 2 is ink, rows 0-6. */
  gst_ov_draw_text (&frame, 30, 0, "|", 3, &white);
  gst_ov_draw_get_pixel (&frame, 36, 3, &got);
  g_assert_cmpint (got.c[0], ==, white.c[0]);
  /* An opaque blend over (10, 22) 14x6, red on its left part; alpha 0
   * and boxes off the frame draw nothing. */
  gst_ov_draw_blend_mask (&frame, 10, 22, 14, 6, left_red_row, &red, 255);
  gst_ov_draw_blend_mask (&frame, 0, 0, 50, 30, left_red_row, &white, 0);
  gst_ov_draw_blend_mask (&frame, G_MAXINT - 1, 0, G_MAXINT, 30,
      left_red_row, &white, 255);
  gst_video_frame_unmap (&frame);

  readback_map (&rb, &info, buf);
  assert_pixel (&rb, 0, 0, 255, 0, 0);
  assert_pixel (&rb, 9, 9, 255, 0, 0);
  assert_pixel (&rb, 49, 29, 255, 0, 0);
  assert_gray (&rb, 12, 20);
  assert_gray (&rb, 20, 12);
  assert_pixel (&rb, 10, 22, 255, 0, 0);
  assert_pixel (&rb, 16, 27, 255, 0, 0);
  assert_gray (&rb, 18, 24);
  assert_gray (&rb, 23, 27);
  assert_gray (&rb, 9, 24);
  assert_gray (&rb, 12, 28);
  if (!rb.yuv) {
    for (int y = 0; y < 21; y++)
      for (int x = 36; x < 39; x++)
        assert_pixel (&rb, x, y, 255, 255, 255);
    assert_gray (&rb, 35, 10);
    assert_gray (&rb, 39, 10);
    assert_gray (&rb, 37, 22);
  }
  readback_unmap (&rb);
  gst_buffer_unref (buf);
}

static void
add_format_tests (const char *name, GTestDataFunc func)
{
  for (guint i = 0; i < G_N_ELEMENTS (formats); i++) {
    char *path = g_strdup_printf ("/ovoverlay/%s/%s", name,
        gst_video_format_to_string (formats[i]));
    g_test_add_data_func (path, GINT_TO_POINTER (formats[i]), func);
    g_free (path);
  }
}

int
main (int argc, char **argv)
{
  ov_test_init (&argc, &argv);
  g_test_add_func ("/ovoverlay/font", test_font);
  g_test_add_func ("/ovoverlay/palette", test_palette);
  g_test_add_func ("/ovoverlay/text-size", test_text_size);
  add_format_tests ("primitives", test_primitives);
  add_format_tests ("box", test_box);
  add_format_tests ("label", test_label);
  add_format_tests ("instance-mask", test_instance_mask);
  add_format_tests ("semantic-mask", test_semantic_mask);
  add_format_tests ("clipping", test_clipping);
  add_format_tests ("frame-edge", test_frame_edge);
  add_format_tests ("odd-size", test_odd_size);
  g_test_add_func ("/ovoverlay/tracked-color", test_tracked_color);
  g_test_add_func ("/ovoverlay/auto-thickness", test_auto_thickness);
  g_test_add_func ("/ovoverlay/label-lines", test_label_lines);
  g_test_add_func ("/ovoverlay/label-nan", test_label_nan);
  g_test_add_func ("/ovoverlay/no-labels", test_no_labels);
  g_test_add_func ("/ovoverlay/label-at-edges", test_label_at_edges);
  g_test_add_func ("/ovoverlay/auto-text-scale", test_auto_text_scale);
  g_test_add_func ("/ovoverlay/frame-label", test_frame_label);
  g_test_add_func ("/ovoverlay/no-masks", test_no_masks);
  g_test_add_func ("/ovoverlay/semantic-mask-precisions",
      test_semantic_mask_precisions);
  g_test_add_func ("/ovoverlay/semantic-mask-on-object",
      test_semantic_mask_on_object);
  g_test_add_func ("/ovoverlay/malformed-masks", test_malformed_masks);
  g_test_add_func ("/ovoverlay/zero-size-box", test_zero_size_box);
  g_test_add_func ("/ovoverlay/negotiation", test_negotiation);
  g_test_add_func ("/ovoverlay/wrong-caps", test_wrong_caps);
  g_test_add_func ("/ovoverlay/shared-buffers", test_shared_buffers);
  g_test_add_func ("/ovoverlay/state-cycling", test_state_cycling);
  g_test_add_func ("/ovoverlay/eos", test_eos);
  g_test_add_func ("/ovoverlay/properties", test_properties);
  g_test_add_func ("/ovoverlay/after-detect", test_after_detect);
  return ov_test_run ();
}
