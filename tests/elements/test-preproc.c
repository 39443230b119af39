/* Pre-processing against exact expectations: bilinear interpolation of a
 * linear ramp is exact, so resized ramps have known values; solid colors
 * survive every format's color conversion; letterbox borders, central
 * crops and regions land where the transform says. */
#include <gst/gst.h>
#include <gst/video/video.h>
#include <math.h>
#include <string.h>

#include "gstovpreproc.h"

static void
fill_ramp (GstVideoFrame *f, int w, int h)
{
  /* R = 2x + y, G = 100 + x, B = 50 + 3y in a packed RGB frame. */
  const GstVideoInfo *info = &f->info;
  for (int y = 0; y < h; y++) {
    guint8 *row = (guint8 *) GST_VIDEO_FRAME_PLANE_DATA (f, 0)
        + y * GST_VIDEO_FRAME_PLANE_STRIDE (f, 0);
    for (int x = 0; x < w; x++) {
      guint8 *p = row + x * GST_VIDEO_FRAME_COMP_PSTRIDE (f, 0);
      p[GST_VIDEO_INFO_COMP_OFFSET (info, GST_VIDEO_COMP_R)] = 2 * x + y;
      p[GST_VIDEO_INFO_COMP_OFFSET (info, GST_VIDEO_COMP_G)] = 100 + x;
      p[GST_VIDEO_INFO_COMP_OFFSET (info, GST_VIDEO_COMP_B)] = 50 + 3 * y;
    }
  }
}

static GstBuffer *
ramp_buffer (GstVideoInfo *info, GstVideoFormat fmt, int w, int h)
{
  GstBuffer *buf;
  GstVideoFrame f;
  gst_video_info_set_format (info, fmt, w, h);
  buf = gst_buffer_new_allocate (NULL, info->size, NULL);
  gst_video_frame_map (&f, info, buf, GST_MAP_WRITE);
  fill_ramp (&f, w, h);
  gst_video_frame_unmap (&f);
  return buf;
}

/* 24x16 -> 6x4 stretch: output (tx, ty) samples source (4 tx + 1.5,
 * 4 ty + 1.5), interior, so values are the ramp there. */
static void
test_stretch_ramp (void)
{
  static const GstVideoFormat fmts[] = { GST_VIDEO_FORMAT_RGB,
    GST_VIDEO_FORMAT_BGRx, GST_VIDEO_FORMAT_ARGB, GST_VIDEO_FORMAT_ABGR };
  for (gsize k = 0; k < G_N_ELEMENTS (fmts); k++) {
    GstVideoInfo info;
    GstBuffer *buf = ramp_buffer (&info, fmts[k], 24, 16);
    GstVideoFrame f;
    GstOvPreprocParams p;
    GstOvPreprocTransform t;
    float out[3 * 4 * 6];

    gst_ov_preproc_params_init (&p);
    p.width = 6;
    p.height = 4;
    p.color = GST_OV_COLOR_RGB;
    gst_video_frame_map (&f, &info, buf, GST_MAP_READ);
    g_assert_true (gst_ov_preproc_run (&p, &f, NULL, out, &t));
    gst_video_frame_unmap (&f);
    g_assert_cmpfloat (t.sx, ==, 4.0);
    for (int ty = 0; ty < 4; ty++) {
      for (int tx = 0; tx < 6; tx++) {
        double sx = 4 * tx + 1.5, sy = 4 * ty + 1.5;
        g_assert_cmpfloat_with_epsilon (out[0 * 24 + ty * 6 + tx], 2 * sx + sy, 1e-3);
        g_assert_cmpfloat_with_epsilon (out[1 * 24 + ty * 6 + tx], 100 + sx, 1e-3);
        g_assert_cmpfloat_with_epsilon (out[2 * 24 + ty * 6 + tx], 50 + 3 * sy, 1e-3);
      }
    }
    gst_buffer_unref (buf);
  }
}

/* NHWC, BGR order, uint8, normalization folded into scale and bias. */
static void
test_layouts_and_normalization (void)
{
  GstVideoInfo info;
  GstBuffer *buf = ramp_buffer (&info, GST_VIDEO_FORMAT_RGB, 8, 8);
  GstVideoFrame f;
  GstOvPreprocParams p;
  float out[8 * 8 * 3];
  guint8 out8[8 * 8 * 3];
  const double mean[3] = { 0.5, 0.5, 0.5 }, std[3] = { 0.25, 0.5, 1.0 };

  gst_video_frame_map (&f, &info, buf, GST_MAP_READ);
  gst_ov_preproc_params_init (&p);
  p.width = p.height = 8;
  p.nhwc = TRUE;
  gst_ov_preproc_params_set_normalization (&p, 0.0, 1.0, mean, std);
  g_assert_true (gst_ov_preproc_run (&p, &f, NULL, out, NULL));
  for (int y = 0; y < 8; y++) {
    for (int x = 0; x < 8; x++) {
      const float *px = &out[(y * 8 + x) * 3];
      /* Same size: exact pixels. BGR: channel 0 is blue. */
      g_assert_cmpfloat_with_epsilon (px[0], ((50 + 3 * y) / 255.0 - 0.5) / 0.25, 1e-5);
      g_assert_cmpfloat_with_epsilon (px[1], ((100 + x) / 255.0 - 0.5) / 0.5, 1e-5);
      g_assert_cmpfloat_with_epsilon (px[2], ((2 * x + y) / 255.0 - 0.5) / 1.0, 1e-5);
    }
  }
  gst_ov_preproc_params_init (&p);
  p.width = p.height = 8;
  p.nhwc = TRUE;
  p.dtype = OVI_DTYPE_UINT8;
  p.color = GST_OV_COLOR_RGB;
  g_assert_true (gst_ov_preproc_run (&p, &f, NULL, out8, NULL));
  g_assert_cmpuint (out8[(3 * 8 + 5) * 3 + 0], ==, 2 * 5 + 3);
  g_assert_cmpuint (out8[(3 * 8 + 5) * 3 + 2], ==, 50 + 9);
  gst_video_frame_unmap (&f);
  gst_buffer_unref (buf);
}

/* Letterbox: a 40x20 frame in a 10x10 tensor is 10x5 of image spanning
 * rows 2.5 to 7.5: rows 3-7 by their centers, 0-2 and 8-9 border. */
static void
test_aspect_ratio (void)
{
  GstVideoInfo info;
  GstBuffer *buf = ramp_buffer (&info, GST_VIDEO_FORMAT_RGB, 40, 20);
  GstVideoFrame f;
  GstOvPreprocParams p;
  GstOvPreprocTransform t;
  float out[3 * 10 * 10];

  gst_ov_preproc_params_init (&p);
  p.width = p.height = 10;
  p.resize = GST_OV_RESIZE_ASPECT_RATIO;
  p.pad_value = 7;
  gst_video_frame_map (&f, &info, buf, GST_MAP_READ);
  g_assert_true (gst_ov_preproc_run (&p, &f, NULL, out, &t));
  gst_video_frame_unmap (&f);
  g_assert_cmpfloat (t.sx, ==, 4.0);
  g_assert_cmpfloat (t.sy, ==, 4.0);
  g_assert_cmpfloat (t.y0, ==, -10.0);
  for (int x = 0; x < 10; x++) {
    g_assert_cmpfloat (out[0 * 10 + x], ==, 7.0f);
    g_assert_cmpfloat (out[1 * 10 + x], ==, 7.0f);
    g_assert_cmpfloat (out[2 * 10 + x], ==, 7.0f);
    g_assert_cmpfloat (out[8 * 10 + x], ==, 7.0f);
    g_assert_cmpfloat (out[9 * 10 + x], ==, 7.0f);
    /* Row 3 samples source y = -10 + 3.5 * 4 - 0.5 = 3.5: G = 100 + x. */
    g_assert_cmpfloat_with_epsilon (out[100 + 3 * 10 + x], 100 + 4 * x + 1.5, 1e-3);
  }
  gst_buffer_unref (buf);
}

/* TF-style pad-to-square: the image at the top left, the border below. */
static void
test_aspect_ratio_top_left (void)
{
  GstVideoInfo info;
  GstBuffer *buf = ramp_buffer (&info, GST_VIDEO_FORMAT_RGB, 40, 20);
  GstVideoFrame f;
  GstOvPreprocParams p;
  GstOvPreprocTransform t;
  float out[3 * 10 * 10];

  gst_ov_preproc_params_init (&p);
  p.width = p.height = 10;
  p.resize = GST_OV_RESIZE_ASPECT_RATIO;
  p.anchor = GST_OV_ANCHOR_TOP_LEFT;
  p.pad_value = 7;
  gst_video_frame_map (&f, &info, buf, GST_MAP_READ);
  g_assert_true (gst_ov_preproc_run (&p, &f, NULL, out, &t));
  gst_video_frame_unmap (&f);
  g_assert_cmpfloat (t.sx, ==, 4.0);
  g_assert_cmpfloat (t.x0, ==, 0.0);
  g_assert_cmpfloat (t.y0, ==, 0.0);
  for (int x = 0; x < 10; x++) {
    /* Rows 0..4 hold the image: row 1 samples y = 1.5 * 4 - 0.5 = 5.5,
     * B (channel 0 of BGR) = 50 + 3 * 5.5; rows 5..9 are border. */
    g_assert_cmpfloat_with_epsilon (out[0 * 100 + 1 * 10 + x], 66.5, 1e-3);
    g_assert_cmpfloat_with_epsilon (out[100 + 4 * 10 + x], 100 + 4 * x + 1.5, 1e-3);
    for (int y = 5; y < 10; y++)
      g_assert_cmpfloat (out[y * 10 + x], ==, 7.0f);
  }
  gst_buffer_unref (buf);
}

/* Central crop of a region: 20x10 region at (8, 4) -> 5x5 tensor. */
static void
test_crop_and_region (void)
{
  GstVideoInfo info;
  GstBuffer *buf = ramp_buffer (&info, GST_VIDEO_FORMAT_RGB, 40, 20);
  GstVideoFrame f;
  GstOvPreprocParams p;
  GstOvPreprocTransform t;
  GstVideoRectangle r = { 8, 4, 20, 10 };
  float out[3 * 5 * 5];

  gst_ov_preproc_params_init (&p);
  p.width = p.height = 5;
  p.resize = GST_OV_RESIZE_CROP_CENTRAL;
  p.color = GST_OV_COLOR_RGB;
  gst_video_frame_map (&f, &info, buf, GST_MAP_READ);
  g_assert_true (gst_ov_preproc_run (&p, &f, &r, out, &t));
  /* Scale 2 (the short side fits), 10x10 centered: x from 13. */
  g_assert_cmpfloat (t.sx, ==, 2.0);
  g_assert_cmpfloat (t.x0, ==, 13.0);
  g_assert_cmpfloat (t.y0, ==, 4.0);
  for (int ty = 0; ty < 5; ty++)
    for (int tx = 0; tx < 5; tx++)
      g_assert_cmpfloat_with_epsilon (out[25 + ty * 5 + tx],
          100 + 13 + 2 * tx + 0.5, 1e-3);
  /* Regions off the frame are clipped; empty ones refused. */
  r.x = 35;
  r.w = 100;
  g_assert_true (gst_ov_preproc_run (&p, &f, &r, out, &t));
  r.x = 50;
  g_assert_false (gst_ov_preproc_run (&p, &f, &r, out, &t));
  gst_video_frame_unmap (&f);
  gst_buffer_unref (buf);
}

/* YUV and gray: solid colors come back within rounding. */
static void
test_yuv_gray (void)
{
  static const GstVideoFormat fmts[] = { GST_VIDEO_FORMAT_NV12,
    GST_VIDEO_FORMAT_I420 };
  for (gsize k = 0; k < G_N_ELEMENTS (fmts); k++) {
    GstVideoInfo info;
    GstBuffer *buf;
    GstVideoFrame f;
    GstOvPreprocParams p;
    float out[3 * 4 * 4];
    /* BT.709 limited: R=200 G=100 B=50 is Y 120.7, U 97.2, V 175.4 */
    double kr = 0.2126, kb = 0.0722;
    double y = kr * 200 + (1 - kr - kb) * 100 + kb * 50;
    guint8 Y = (guint8) lround (16 + y * 219 / 255);
    guint8 U = (guint8) lround (128 + (50 - y) / (2 * (1 - kb)) * 224 / 255);
    guint8 V = (guint8) lround (128 + (200 - y) / (2 * (1 - kr)) * 224 / 255);

    gst_video_info_set_format (&info, fmts[k], 17, 11);
    info.colorimetry.matrix = GST_VIDEO_COLOR_MATRIX_BT709;
    info.colorimetry.range = GST_VIDEO_COLOR_RANGE_16_235;
    buf = gst_buffer_new_allocate (NULL, info.size, NULL);
    gst_video_frame_map (&f, &info, buf, GST_MAP_WRITE);
    for (int i = 0; i < 11; i++)
      memset ((guint8 *) GST_VIDEO_FRAME_COMP_DATA (&f, 0)
          + i * GST_VIDEO_FRAME_COMP_STRIDE (&f, 0), Y, 17);
    for (int i = 0; i < 6; i++) {
      for (int j = 0; j < 9; j++) {
        guint8 *u = (guint8 *) GST_VIDEO_FRAME_COMP_DATA (&f, 1)
            + i * GST_VIDEO_FRAME_COMP_STRIDE (&f, 1)
            + j * GST_VIDEO_FRAME_COMP_PSTRIDE (&f, 1);
        guint8 *v = (guint8 *) GST_VIDEO_FRAME_COMP_DATA (&f, 2)
            + i * GST_VIDEO_FRAME_COMP_STRIDE (&f, 2)
            + j * GST_VIDEO_FRAME_COMP_PSTRIDE (&f, 2);
        *u = U;
        *v = V;
      }
    }
    gst_video_frame_unmap (&f);
    gst_ov_preproc_params_init (&p);
    p.width = p.height = 4;
    p.color = GST_OV_COLOR_RGB;
    gst_video_frame_map (&f, &info, buf, GST_MAP_READ);
    g_assert_true (gst_ov_preproc_run (&p, &f, NULL, out, NULL));
    gst_video_frame_unmap (&f);
    for (int i = 0; i < 16; i++) {
      g_assert_cmpfloat_with_epsilon (out[i], 200.0, 2.5);
      g_assert_cmpfloat_with_epsilon (out[16 + i], 100.0, 2.5);
      g_assert_cmpfloat_with_epsilon (out[32 + i], 50.0, 2.5);
    }
    /* BGR with normalization, and NHWC (the interleaved path). */
    p.color = GST_OV_COLOR_BGR;
    gst_ov_preproc_params_set_normalization (&p, 0.0, 1.0, NULL, NULL);
    gst_video_frame_map (&f, &info, buf, GST_MAP_READ);
    g_assert_true (gst_ov_preproc_run (&p, &f, NULL, out, NULL));
    for (int i = 0; i < 16; i++) {
      g_assert_cmpfloat_with_epsilon (out[i], 50.0 / 255, 0.01);
      g_assert_cmpfloat_with_epsilon (out[32 + i], 200.0 / 255, 0.01);
    }
    p.nhwc = TRUE;
    g_assert_true (gst_ov_preproc_run (&p, &f, NULL, out, NULL));
    gst_video_frame_unmap (&f);
    for (int i = 0; i < 16; i++) {
      g_assert_cmpfloat_with_epsilon (out[3 * i], 50.0 / 255, 0.01);
      g_assert_cmpfloat_with_epsilon (out[3 * i + 1], 100.0 / 255, 0.01);
      g_assert_cmpfloat_with_epsilon (out[3 * i + 2], 200.0 / 255, 0.01);
    }
    gst_buffer_unref (buf);
  }
  {
    GstVideoInfo info;
    GstBuffer *buf;
    GstVideoFrame f;
    GstOvPreprocParams p;
    float out[3 * 4];
    gst_video_info_set_format (&info, GST_VIDEO_FORMAT_GRAY8, 4, 4);
    buf = gst_buffer_new_allocate (NULL, info.size, NULL);
    gst_buffer_memset (buf, 0, 77, info.size);
    gst_ov_preproc_params_init (&p);
    p.width = 2;
    p.height = 2;
    gst_video_frame_map (&f, &info, buf, GST_MAP_READ);
    g_assert_true (gst_ov_preproc_run (&p, &f, NULL, out, NULL));
    for (int i = 0; i < 12; i++)
      g_assert_cmpfloat_with_epsilon (out[i], 77.0, 1e-4);
    /* A one-channel model reads luma. */
    p.channels = 1;
    p.color = GST_OV_COLOR_GRAY;
    g_assert_true (gst_ov_preproc_run (&p, &f, NULL, out, NULL));
    g_assert_cmpfloat_with_epsilon (out[3], 77.0, 1e-3);
    gst_video_frame_unmap (&f);
    gst_buffer_unref (buf);
  }
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/preproc/stretch-ramp", test_stretch_ramp);
  g_test_add_func ("/preproc/layouts-normalization", test_layouts_and_normalization);
  g_test_add_func ("/preproc/aspect-ratio", test_aspect_ratio);
  g_test_add_func ("/preproc/aspect-ratio-top-left", test_aspect_ratio_top_left);
  g_test_add_func ("/preproc/crop-and-region", test_crop_and_region);
  g_test_add_func ("/preproc/yuv-gray", test_yuv_gray);
  return g_test_run ();
}
