#include "ovtest.h"

#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

static char *model_dir;
static GPtrArray *paths;
static char *registry;

void
ov_test_init (int *argc, char ***argv)
{
  char *base;
  /* Each test program has its own registry holding the plugin built
   * beside it, scanned in-process (no plugin scanner under sanitizers). */
  base = g_path_get_basename ((*argv)[0]);
  registry = g_strdup_printf ("%s/registry-%s-%d.bin", g_get_tmp_dir (),
      base, (int) getpid ());
  g_free (base);
  g_setenv ("GST_REGISTRY_1_0", registry, TRUE);
  g_setenv ("GST_PLUGIN_PATH_1_0", OV_TEST_PLUGIN_DIR, TRUE);
  /* Only our plugin: loading every installed one in-process would also
   * bring their own leaks into LeakSanitizer's report. */
  g_setenv ("GST_PLUGIN_SYSTEM_PATH_1_0", "", TRUE);
  g_setenv ("GST_REGISTRY_FORK", "no", TRUE);
  model_dir = g_strdup (g_getenv ("OVI_ELEMENT_MODELS") ?
      g_getenv ("OVI_ELEMENT_MODELS") : OV_TEST_MODEL_DIR);
  paths = g_ptr_array_new_with_free_func (g_free);
  gst_init (argc, argv);
  g_test_init (argc, argv, NULL);
}

int
ov_test_run (void)
{
  return ov_test_run_full (NULL);
}

int
ov_test_run_full (void (*before_deinit) (void))
{
  int ret = g_test_run ();
  if (before_deinit)
    before_deinit ();
  g_ptr_array_unref (paths);
  g_free (model_dir);
  g_unlink (registry);
  g_free (registry);
  gst_deinit ();
  return ret;
}

const char *
ov_test_model (const char *name)
{
  char *p = g_build_filename (model_dir, name, NULL);
  g_ptr_array_add (paths, p);
  return p;
}

void
ov_test_video_info (GstVideoInfo *info, GstVideoFormat format, int width,
    int height)
{
  gst_video_info_set_format (info, format, width, height);
  GST_VIDEO_INFO_FPS_N (info) = 30;
  GST_VIDEO_INFO_FPS_D (info) = 1;
}

static void
to_yuv (const GstVideoInfo *info, const guint8 rgb[3], guint8 yuv[3])
{
  gdouble kr, kb;
  gboolean full = info->colorimetry.range == GST_VIDEO_COLOR_RANGE_0_255;
  double y, u, v;
  if (!gst_video_color_matrix_get_Kr_Kb (info->colorimetry.matrix, &kr, &kb)) {
    kr = 0.2126;
    kb = 0.0722;
  }
  y = kr * rgb[0] + (1 - kr - kb) * rgb[1] + kb * rgb[2];
  u = (rgb[2] - y) / (2 * (1 - kb));
  v = (rgb[0] - y) / (2 * (1 - kr));
  if (!full) {
    y = 16 + y * 219.0 / 255.0;
    u *= 224.0 / 255.0;
    v *= 224.0 / 255.0;
  }
  yuv[0] = (guint8) CLAMP (y + 0.5, 0, 255);
  yuv[1] = (guint8) CLAMP (u + 128.5, 0, 255);
  yuv[2] = (guint8) CLAMP (v + 128.5, 0, 255);
}

void
ov_test_gradient (int x, int y, guint8 rgb[3], gpointer data)
{
  rgb[0] = (guint8) (x * 5 + y);
  rgb[1] = (guint8) (250 - 2 * x);
  rgb[2] = (guint8) (y * 4 + x / 3);
}

GstBuffer *
ov_test_frame (const GstVideoInfo *info, OvTestColorFunc func, gpointer data)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, info->size, NULL);
  GstVideoFrame f;
  GstVideoFormat fmt = GST_VIDEO_INFO_FORMAT (info);
  int w = GST_VIDEO_INFO_WIDTH (info), h = GST_VIDEO_INFO_HEIGHT (info);

  gst_buffer_memset (buf, 0, 0, info->size);
  g_assert_true (gst_video_frame_map (&f, info, buf, GST_MAP_WRITE));
  for (int y = 0; y < h; y++) {
    for (int x = 0; x < w; x++) {
      guint8 rgb[3], yuv[3];
      func (x, y, rgb, data);
      if (fmt == GST_VIDEO_FORMAT_NV12 || fmt == GST_VIDEO_FORMAT_I420
          || fmt == GST_VIDEO_FORMAT_NV21 || fmt == GST_VIDEO_FORMAT_YV12) {
        guint8 *yp = GST_VIDEO_FRAME_COMP_DATA (&f, 0);
        to_yuv (info, rgb, yuv);
        yp[y * GST_VIDEO_FRAME_COMP_STRIDE (&f, 0) + x] = yuv[0];
        if (x % 2 == 0 && y % 2 == 0) {
          guint8 *up = GST_VIDEO_FRAME_COMP_DATA (&f, 1);
          guint8 *vp = GST_VIDEO_FRAME_COMP_DATA (&f, 2);
          int ps = GST_VIDEO_FRAME_COMP_PSTRIDE (&f, 1);
          up[(y / 2) * GST_VIDEO_FRAME_COMP_STRIDE (&f, 1) + (x / 2) * ps] = yuv[1];
          vp[(y / 2) * GST_VIDEO_FRAME_COMP_STRIDE (&f, 2) + (x / 2) * ps] = yuv[2];
        }
      } else if (fmt == GST_VIDEO_FORMAT_GRAY8) {
        guint8 *p = GST_VIDEO_FRAME_COMP_DATA (&f, 0);
        p[y * GST_VIDEO_FRAME_COMP_STRIDE (&f, 0) + x] = (guint8)
            (0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2] + 0.5);
      } else {
        guint8 *row = (guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&f, 0)
            + y * GST_VIDEO_FRAME_PLANE_STRIDE (&f, 0)
            + x * GST_VIDEO_FRAME_COMP_PSTRIDE (&f, 0);
        row[GST_VIDEO_INFO_COMP_OFFSET (info, GST_VIDEO_COMP_R)] = rgb[0];
        row[GST_VIDEO_INFO_COMP_OFFSET (info, GST_VIDEO_COMP_G)] = rgb[1];
        row[GST_VIDEO_INFO_COMP_OFFSET (info, GST_VIDEO_COMP_B)] = rgb[2];
      }
    }
  }
  gst_video_frame_unmap (&f);
  return buf;
}

static void
solid (int x, int y, guint8 rgb[3], gpointer data)
{
  memcpy (rgb, data, 3);
}

GstBuffer *
ov_test_solid_frame (const GstVideoInfo *info, guint8 r, guint8 g, guint8 b)
{
  guint8 c[3] = { r, g, b };
  return ov_test_frame (info, solid, c);
}

GstHarness *
ov_test_harness (const char *launch, const GstVideoInfo *info)
{
  GstHarness *h = gst_harness_new_parse (launch);
  GstCaps *caps = gst_video_info_to_caps (info);
  gst_harness_set_src_caps (h, caps);
  return h;
}

char *
ov_test_expect_start_error (GstElement *element)
{
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;
  char *text = NULL;

  gst_element_set_bus (element, bus);
  g_assert_cmpint (gst_element_set_state (element, GST_STATE_PLAYING), ==,
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  if (msg) {
    GError *err = NULL;
    char *dbg = NULL;
    gst_message_parse_error (msg, &err, &dbg);
    text = g_strdup_printf ("%s | %s", err->message, dbg ? dbg : "");
    g_error_free (err);
    g_free (dbg);
    gst_message_unref (msg);
  }
  gst_element_set_state (element, GST_STATE_NULL);
  gst_element_set_bus (element, NULL);
  gst_object_unref (bus);
  return text;
}

GstVideoRegionOfInterestMeta *
ov_test_nth_roi (GstBuffer *buf, guint n)
{
  gpointer state = NULL;
  GstMeta *m;
  while ((m = gst_buffer_iterate_meta_filtered (buf, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE)))
    if (n-- == 0)
      return (GstVideoRegionOfInterestMeta *) m;
  return NULL;
}

guint
ov_test_count_rois (GstBuffer *buf)
{
  guint n = 0;
  gpointer state = NULL;
  while (gst_buffer_iterate_meta_filtered (buf, &state,
          GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))
    n++;
  return n;
}

void
ov_test_capture_stdout_begin (OvTestCapture *c)
{
  int fd = g_file_open_tmp ("ovtest-stdout-XXXXXX", &c->path, NULL);
  g_assert_cmpint (fd, >=, 0);
  fflush (stdout);
  c->saved_fd = dup (1);
  g_assert_cmpint (dup2 (fd, 1), ==, 1);
  close (fd);
}

char *
ov_test_capture_stdout_end (OvTestCapture *c)
{
  char *text = NULL;
  fflush (stdout);
  g_assert_cmpint (dup2 (c->saved_fd, 1), ==, 1);
  close (c->saved_fd);
  g_assert_true (g_file_get_contents (c->path, &text, NULL, NULL));
  g_unlink (c->path);
  g_free (c->path);
  return text;
}

gboolean
ov_test_load_system_plugin (const char *name)
{
  gchar *file = g_strdup_printf ("libgst%s.so", name);
  gchar *path = g_build_filename (OV_TEST_SYSTEM_PLUGIN_DIR, file, NULL);
  GstPlugin *plugin = gst_plugin_load_file (path, NULL);
  g_free (file);
  g_free (path);
  if (plugin == NULL)
    return FALSE;
  gst_object_unref (plugin);
  return TRUE;
}
