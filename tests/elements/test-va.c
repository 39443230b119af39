/* VA-API input (memory:VAMemory) through the software VA driver of
 * tests/vadriver, loaded by libva from LIBVA_DRIVERS_PATH: frames are
 * uploaded into VA surfaces with GStreamer's own VA pool and allocator
 * (vaCreateImage + vaPutImage, no derived images), pushed into the
 * elements, and their results compared with the same frames in system
 * memory; both the elements' read paths (vaDeriveImage + map, and
 * vaCreateImage + vaGetImage when the driver cannot derive) run, which
 * the driver's counters confirm. No VA hardware is involved: what this
 * proves and what it cannot is in docs/devices.md. */
#include "ovtest.h"
#include "ovtest-results.h"

#include <gst/va/gstva.h>
#include <gst/va/gstvaallocator.h>
#include <gst/va/gstvadisplay_wrapped.h>
#include <gst/va/gstvapool.h>
#include <gst/va/gstvautils.h>
#include <string.h>

#include "gstovmeta.h"
#include "ovi-test-va-display.h"
#include "ovi-test-va-driver.h"

static VADisplay va_dpy;
static GstVaDisplay *display;
static OviTestVaGetCounts get_counts;
static OviTestVaSetDerive set_derive;

static const GstVideoFormat va_formats[] = {
  GST_VIDEO_FORMAT_NV12, GST_VIDEO_FORMAT_I420, GST_VIDEO_FORMAT_BGRx,
  GST_VIDEO_FORMAT_BGRA, GST_VIDEO_FORMAT_RGBx, GST_VIDEO_FORMAT_RGBA,
  GST_VIDEO_FORMAT_xRGB, GST_VIDEO_FORMAT_xBGR, GST_VIDEO_FORMAT_ARGB,
  GST_VIDEO_FORMAT_ABGR, GST_VIDEO_FORMAT_GRAY8,
};

/* Widths that are no multiple of the driver's 64-byte pitches: a reader
 * that takes GStreamer's default strides reads the wrong pixels. */
#define WIDTH 100
#define HEIGHT 60

static GstCaps *
caps_with_memory (const GstVideoInfo *info, const char *feature)
{
  GstCaps *caps = gst_video_info_to_caps (info);
  if (feature)
    gst_caps_set_features_simple (caps, gst_caps_features_new_single (feature));
  return caps;
}

/* VA surfaces for `info` from GStreamer's VA pool, filled through its
 * allocator without derived images. */
static GstBufferPool *
va_pool_new (const GstVideoInfo *info)
{
  GArray *formats = g_array_new (FALSE, FALSE, sizeof (GstVideoFormat));
  GstVideoFormat format = GST_VIDEO_INFO_FORMAT (info);
  GstAllocator *allocator;
  GstAllocationParams params;
  GstCaps *caps = caps_with_memory (info, GST_CAPS_FEATURE_MEMORY_VA);
  GstBufferPool *pool;

  g_array_append_val (formats, format);
  allocator = gst_va_allocator_new (display, formats);
  gst_allocation_params_init (&params);
  pool = gst_va_pool_new_with_config (caps, GST_VIDEO_INFO_SIZE (info), 0, 0,
      VA_SURFACE_ATTRIB_USAGE_HINT_GENERIC, GST_VA_FEATURE_DISABLED,
      allocator, &params);
  g_assert_nonnull (pool);
  g_assert_true (gst_buffer_pool_set_active (pool, TRUE));
  gst_caps_unref (caps);
  gst_object_unref (allocator);
  return pool;
}

static void
va_pool_free (GstBufferPool *pool)
{
  OviTestVaCounts c;
  g_assert_true (gst_buffer_pool_set_active (pool, FALSE));
  gst_object_unref (pool);
  /* Everything the elements and the pool made is gone from the driver. */
  get_counts (&c);
  g_assert_cmpint (c.live_surfaces, ==, 0);
  g_assert_cmpint (c.live_images, ==, 0);
  g_assert_cmpint (c.live_buffers, ==, 0);
}

static GstBuffer *
upload (GstBufferPool *pool, const GstVideoInfo *info, GstBuffer *src)
{
  GstBuffer *buf = NULL;
  GstVideoFrame in, out;

  g_assert_cmpint (gst_buffer_pool_acquire_buffer (pool, &buf, NULL), ==,
      GST_FLOW_OK);
  g_assert_cmpuint (gst_va_buffer_get_surface (buf), !=, VA_INVALID_ID);
  g_assert_true (gst_video_frame_map (&in, info, src, GST_MAP_READ));
  g_assert_true (gst_video_frame_map (&out, info, buf, GST_MAP_WRITE));
  g_assert_true (gst_video_frame_copy (&out, &in));
  gst_video_frame_unmap (&out);
  gst_video_frame_unmap (&in);
  /* The metadata the elements read (ROIs) travels with the frame. */
  gst_buffer_copy_into (buf, src, GST_BUFFER_COPY_METADATA, 0, -1);
  return buf;
}

/* Pushes `frame` (taken) with caps for `info` in `feature` memory and
 * returns the output frame. */
/* A harness around the element `launch` describes, with `model`. */
static GstHarness *
harness_with_model (const char *element, const char *model)
{
  char *launch = g_strdup_printf ("%s model=%s", element,
      ov_test_model (model));
  GstHarness *h = gst_harness_new_parse (launch);
  g_free (launch);
  return h;
}

static GstBuffer *
run (const char *launch, const GstVideoInfo *info, const char *feature,
    GstBuffer *frame)
{
  GstHarness *h = gst_harness_new_parse (launch);
  GstBuffer *out;
  gst_harness_set_src_caps (h, caps_with_memory (info, feature));
  out = gst_harness_push_and_pull (h, frame);
  g_assert_nonnull (out);
  gst_harness_teardown (h);
  return out;
}

/* The results for the frame in system memory and in a VA surface, read
 * by deriving (derive TRUE) or by copying out; the driver counts which
 * path ran. */
static void
compare_with_system (const char *launch, const GstVideoInfo *info,
    GstBuffer *(*make_frame) (const GstVideoInfo *info), gboolean derive)
{
  GstBufferPool *pool = va_pool_new (info);
  GstBuffer *sys = make_frame (info), *va = upload (pool, info, sys);
  GstBuffer *sys_out, *va_out;
  char *expected, *got;
  OviTestVaCounts before, after;

  sys_out = run (launch, info, NULL, sys);
  set_derive (derive);
  get_counts (&before);
  va_out = run (launch, info, GST_CAPS_FEATURE_MEMORY_VA, va);
  get_counts (&after);
  set_derive (TRUE);

  expected = ov_test_describe_results (sys_out);
  got = ov_test_describe_results (va_out);
  g_assert_cmpstr (expected, !=, "");
  g_assert_cmpstr (got, ==, expected);
  if (derive) {
    g_assert_cmpint (after.derives - before.derives, ==, 1);
    g_assert_cmpint (after.get_images, ==, before.get_images);
  } else {
    g_assert_cmpint (after.derives, ==, before.derives);
    g_assert_cmpint (after.get_images - before.get_images, ==, 1);
  }
  g_free (expected);
  g_free (got);
  gst_buffer_unref (sys_out);
  gst_buffer_unref (va_out);
  va_pool_free (pool);
}

static GstBuffer *
gradient_frame (const GstVideoInfo *info)
{
  return ov_test_frame (info, ov_test_gradient, NULL);
}

/* ovinference on the identity model: the pre-processed tensor itself. */
static void
test_inference_formats (void)
{
  char *launch = g_strdup_printf ("ovinference model=%s",
      ov_test_model ("identity.onnx"));
  for (gsize i = 0; i < G_N_ELEMENTS (va_formats); i++) {
    GstVideoInfo info;
    ov_test_video_info (&info, va_formats[i], WIDTH, HEIGHT);
    compare_with_system (launch, &info, gradient_frame, TRUE);
    compare_with_system (launch, &info, gradient_frame, FALSE);
  }
  g_free (launch);
}

static GstBuffer *
bright_frame (const GstVideoInfo *info)
{
  return ov_test_solid_frame (info, 200, 180, 160);
}

/* ovdetect: boxes and confidences (which follow the brightness). */
static void
test_detect (void)
{
  char *launch = g_strdup_printf ("ovdetect model=%s model-proc=%s",
      ov_test_model ("detect-ssd.onnx"), ov_test_model ("detect-ssd.json"));
  static const GstVideoFormat formats[] = { GST_VIDEO_FORMAT_NV12,
    GST_VIDEO_FORMAT_BGRx };
  for (gsize i = 0; i < G_N_ELEMENTS (formats); i++) {
    GstVideoInfo info;
    ov_test_video_info (&info, formats[i], WIDTH, HEIGHT);
    compare_with_system (launch, &info, bright_frame, TRUE);
    compare_with_system (launch, &info, bright_frame, FALSE);
  }
  g_free (launch);
}

static void
halves (int x, int y, guint8 rgb[3], gpointer data)
{
  rgb[0] = x < WIDTH / 2 ? 230 : 10;
  rgb[1] = (guint8) (20 + y);
  rgb[2] = x < WIDTH / 2 ? 10 : 240;
}

static GstBuffer *
frame_with_rois (const GstVideoInfo *info)
{
  GstBuffer *buf = ov_test_frame (info, halves, NULL);
  gst_ov_add_detection (buf, WIDTH, HEIGHT, 3, 2, WIDTH / 2 - 2, HEIGHT - 2,
      0.9, 0, "car");
  gst_ov_add_detection (buf, WIDTH, HEIGHT, WIDTH / 2 + 3, 5, WIDTH - 1,
      HEIGHT - 7, 0.8, 1, "person");
  return buf;
}

/* ovclassify: per-ROI crops of the surface. */
static void
test_classify_rois (void)
{
  char *launch = g_strdup_printf ("ovclassify model=%s model-proc=%s",
      ov_test_model ("classify.onnx"), ov_test_model ("classify.json"));
  static const GstVideoFormat formats[] = { GST_VIDEO_FORMAT_NV12,
    GST_VIDEO_FORMAT_I420, GST_VIDEO_FORMAT_RGBA };
  for (gsize i = 0; i < G_N_ELEMENTS (formats); i++) {
    GstVideoInfo info;
    ov_test_video_info (&info, formats[i], WIDTH, HEIGHT);
    compare_with_system (launch, &info, frame_with_rois, TRUE);
    compare_with_system (launch, &info, frame_with_rois, FALSE);
  }
  g_free (launch);
}

/* ---- ovoverlay ---------------------------------------------------------- */

/* The frame's pixels, plane by plane, row by row (padding excluded). */
static GBytes *
pixels (const GstVideoInfo *info, GstBuffer *buf)
{
  GByteArray *out = g_byte_array_new ();
  GstVideoFrame f;
  g_assert_true (gst_video_frame_map (&f, info, buf, GST_MAP_READ));
  for (guint c = 0; c < GST_VIDEO_FRAME_N_COMPONENTS (&f); c++) {
    int w = GST_VIDEO_FRAME_COMP_WIDTH (&f, c);
    int ps = GST_VIDEO_FRAME_COMP_PSTRIDE (&f, c);
    for (int y = 0; y < GST_VIDEO_FRAME_COMP_HEIGHT (&f, c); y++) {
      const guint8 *row = (const guint8 *) GST_VIDEO_FRAME_COMP_DATA (&f, c)
          + (gsize) y * GST_VIDEO_FRAME_COMP_STRIDE (&f, c);
      for (int x = 0; x < w; x++)
        g_byte_array_append (out, row + x * ps, 1);
    }
  }
  gst_video_frame_unmap (&f);
  return g_byte_array_free_to_bytes (out);
}

static void
check_overlay (GstVideoFormat format, gboolean derive)
{
  const char *launch = "ovoverlay";
  GstVideoInfo info;
  GstBufferPool *pool;
  GstBuffer *sys, *va, *sys_out, *va_out;
  GBytes *before, *expected, *got;
  OviTestVaCounts c0, c1;

  ov_test_video_info (&info, format, WIDTH, HEIGHT);
  pool = va_pool_new (&info);
  sys = frame_with_rois (&info);
  va = upload (pool, &info, sys);
  before = pixels (&info, sys);

  sys_out = run (launch, &info, NULL, sys);
  set_derive (derive);
  get_counts (&c0);
  va_out = run (launch, &info, GST_CAPS_FEATURE_MEMORY_VA, va);
  get_counts (&c1);
  set_derive (TRUE);
  if (derive) {
    g_assert_cmpint (c1.derives - c0.derives, ==, 1);
    g_assert_cmpint (c1.put_images, ==, c0.put_images);
  } else {
    /* Copied out, drawn, written back. */
    g_assert_cmpint (c1.get_images - c0.get_images, ==, 1);
    g_assert_cmpint (c1.put_images - c0.put_images, ==, 1);
  }

  expected = pixels (&info, sys_out);
  got = pixels (&info, va_out);
  /* Something was drawn, and the same on both. */
  g_assert_false (g_bytes_equal (expected, before));
  g_assert_true (g_bytes_equal (got, expected));
  g_bytes_unref (before);
  g_bytes_unref (expected);
  g_bytes_unref (got);
  gst_buffer_unref (sys_out);
  gst_buffer_unref (va_out);
  va_pool_free (pool);
}

static void
test_overlay (void)
{
  static const GstVideoFormat formats[] = { GST_VIDEO_FORMAT_NV12,
    GST_VIDEO_FORMAT_BGRx, GST_VIDEO_FORMAT_RGBA, GST_VIDEO_FORMAT_I420 };
  for (gsize i = 0; i < G_N_ELEMENTS (formats); i++) {
    check_overlay (formats[i], TRUE);
    check_overlay (formats[i], FALSE);
  }
}

/* A VA frame shared with another buffer (a tee's other branch) is not
 * drawn on in place: GStreamer's VA memory copies the surface (vaCopy)
 * and the drawing goes to the copy; the other branch keeps the clean
 * surface. */
static void
test_overlay_shared_surface (void)
{
  GstVideoInfo info;
  GstBufferPool *pool;
  GstBuffer *sys, *va, *other, *out, *sys_out;
  GBytes *clean, *after, *drawn, *expected;
  OviTestVaCounts c0, c1;

  ov_test_video_info (&info, GST_VIDEO_FORMAT_NV12, WIDTH, HEIGHT);
  pool = va_pool_new (&info);
  sys = frame_with_rois (&info);
  va = upload (pool, &info, sys);
  clean = pixels (&info, va);
  other = gst_buffer_copy (va);   /* shares the surface's memory */
  get_counts (&c0);
  out = run ("ovoverlay", &info, GST_CAPS_FEATURE_MEMORY_VA, va);
  get_counts (&c1);
  g_assert_cmpint (c1.copies - c0.copies, ==, 1);
  g_assert_cmpint (c1.derives, ==, c0.derives);
  sys_out = run ("ovoverlay", &info, NULL, sys);
  after = pixels (&info, other);
  drawn = pixels (&info, out);
  expected = pixels (&info, sys_out);
  g_assert_true (g_bytes_equal (after, clean));
  g_assert_true (g_bytes_equal (drawn, expected));
  g_assert_false (g_bytes_equal (drawn, clean));
  g_bytes_unref (clean);
  g_bytes_unref (after);
  g_bytes_unref (drawn);
  g_bytes_unref (expected);
  gst_buffer_unref (other);
  gst_buffer_unref (out);
  gst_buffer_unref (sys_out);
  va_pool_free (pool);
}

/* ---- the display context ------------------------------------------------ */

/* Asks `pad` for the VA display context; returns the display (ref) or
 * NULL when unanswered. */
static GstVaDisplay *
query_display (GstPad *pad)
{
  GstQuery *q = gst_query_new_context (GST_VA_DISPLAY_HANDLE_CONTEXT_TYPE_STR);
  GstVaDisplay *d = NULL;
  if (gst_pad_query (pad, q)) {
    GstContext *ctx;
    const GstStructure *s;
    gst_query_parse_context (q, &ctx);
    g_assert_nonnull (ctx);
    s = gst_context_get_structure (ctx);
    g_assert_true (gst_structure_get (s, "gst-display", GST_TYPE_OBJECT, &d,
            NULL));
  }
  gst_query_unref (q);
  return d;
}

/* The display of the frames, handed to neighbours that ask. */
static void
test_context_from_frames (void)
{
  GstVideoInfo info;
  GstBufferPool *pool;
  GstHarness *h;
  GstPad *sink;
  GstVaDisplay *d;

  ov_test_video_info (&info, GST_VIDEO_FORMAT_NV12, WIDTH, HEIGHT);
  pool = va_pool_new (&info);
  h = harness_with_model ("ovinference", "identity.onnx");
  sink = gst_element_get_static_pad (h->element, "sink");
  g_assert_null (query_display (sink));
  gst_harness_set_src_caps (h, caps_with_memory (&info,
          GST_CAPS_FEATURE_MEMORY_VA));
  {
    GstBuffer *sys = gradient_frame (&info);
    gst_buffer_unref (gst_harness_push_and_pull (h, upload (pool, &info, sys)));
    gst_buffer_unref (sys);
  }
  d = query_display (sink);
  g_assert_true (d == display);
  gst_object_unref (d);
  /* Both ways: a decoder upstream and a VA element downstream ask. */
  {
    GstPad *src = gst_element_get_static_pad (h->element, "src");
    d = query_display (src);
    g_assert_true (d == display);
    gst_object_unref (d);
    gst_object_unref (src);
  }
  gst_object_unref (sink);
  gst_harness_teardown (h);
  va_pool_free (pool);
}

static GstBusSyncReply
answer_need_context (GstBus *bus, GstMessage *msg, gpointer data)
{
  const gchar *type;
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_NEED_CONTEXT
      && gst_message_parse_context_type (msg, &type)
      && g_strcmp0 (type, GST_VA_DISPLAY_HANDLE_CONTEXT_TYPE_STR) == 0) {
    GstContext *ctx = gst_context_new (type, TRUE);
    gst_context_set_va_display (ctx, display);
    gst_element_set_context (GST_ELEMENT (GST_MESSAGE_SRC (msg)), ctx);
    gst_context_unref (ctx);
    (*(int *) data)++;
  }
  gst_message_unref (msg);
  return GST_BUS_DROP;
}

/* VA caps without a display: the element asks its neighbours, then the
 * application (need-context), before the first frame. */
static void
test_context_need_context (void)
{
  GstVideoInfo info;
  GstHarness *h;
  GstBus *bus = gst_bus_new ();
  GstPad *sink;
  GstVaDisplay *d;
  int asked = 0;

  ov_test_video_info (&info, GST_VIDEO_FORMAT_NV12, WIDTH, HEIGHT);
  gst_bus_set_sync_handler (bus, answer_need_context, &asked, NULL);
  h = harness_with_model ("ovdetect", "detect-ssd.onnx");
  gst_element_set_bus (h->element, bus);
  gst_harness_set_src_caps (h, caps_with_memory (&info,
          GST_CAPS_FEATURE_MEMORY_VA));
  g_assert_cmpint (asked, ==, 1);
  sink = gst_element_get_static_pad (h->element, "sink");
  d = query_display (sink);
  g_assert_true (d == display);
  gst_object_unref (d);
  gst_object_unref (sink);
  gst_element_set_bus (h->element, NULL);
  gst_harness_teardown (h);
  gst_object_unref (bus);
}

/* A display given as context (GstElement::set_context) is answered. */
static void
test_context_set (void)
{
  GstElement *e = gst_element_factory_make ("ovclassify", NULL);
  GstContext *ctx = gst_context_new (GST_VA_DISPLAY_HANDLE_CONTEXT_TYPE_STR,
      TRUE);
  GstPad *src = gst_element_get_static_pad (e, "src");
  GstVaDisplay *d;

  g_assert_null (query_display (src));
  gst_context_set_va_display (ctx, display);
  gst_element_set_context (e, ctx);
  d = query_display (src);
  g_assert_true (d == display);
  gst_object_unref (d);
  /* Other context types are not ours to answer. */
  {
    GstQuery *q = gst_query_new_context ("gst.gl.GLDisplay");
    g_assert_false (gst_pad_query (src, q));
    gst_query_unref (q);
  }
  gst_context_unref (ctx);
  gst_object_unref (src);
  gst_object_unref (e);
}

/* ---- errors and state --------------------------------------------------- */

/* VA caps on a buffer without a surface: an error, not a crash. */
static void
test_system_buffer_with_va_caps (void)
{
  GstVideoInfo info;
  GstHarness *h;

  ov_test_video_info (&info, GST_VIDEO_FORMAT_NV12, WIDTH, HEIGHT);
  h = harness_with_model ("ovinference", "identity.onnx");
  gst_harness_set_src_caps (h, caps_with_memory (&info,
          GST_CAPS_FEATURE_MEMORY_VA));
  g_assert_cmpint (gst_harness_push (h, gradient_frame (&info)), ==,
      GST_FLOW_ERROR);
  gst_harness_teardown (h);
}

/* Negotiation: VA caps are accepted in the formats read from surfaces,
 * not in 24-bit RGB (no VA fourcc). */
static void
test_caps (void)
{
  GstElement *e = gst_element_factory_make ("ovdetect", NULL);
  GstPad *sink = gst_element_get_static_pad (e, "sink");
  GstVideoInfo info;
  GstCaps *caps;

  ov_test_video_info (&info, GST_VIDEO_FORMAT_NV12, WIDTH, HEIGHT);
  caps = caps_with_memory (&info, GST_CAPS_FEATURE_MEMORY_VA);
  g_assert_true (gst_pad_query_accept_caps (sink, caps));
  gst_caps_unref (caps);
  ov_test_video_info (&info, GST_VIDEO_FORMAT_BGR, WIDTH, HEIGHT);
  caps = caps_with_memory (&info, GST_CAPS_FEATURE_MEMORY_VA);
  g_assert_false (gst_pad_query_accept_caps (sink, caps));
  gst_caps_unref (caps);
  caps = caps_with_memory (&info, NULL);
  g_assert_true (gst_pad_query_accept_caps (sink, caps));
  gst_caps_unref (caps);
  gst_object_unref (sink);
  gst_object_unref (e);
}

/* NULL -> PLAYING -> NULL with VA frames between. */
static void
test_state_cycles (void)
{
  GstVideoInfo info;
  GstBufferPool *pool;
  GstHarness *h;

  ov_test_video_info (&info, GST_VIDEO_FORMAT_NV12, WIDTH, HEIGHT);
  pool = va_pool_new (&info);
  {
    char *launch = g_strdup_printf ("ovdetect model=%s model-proc=%s",
        ov_test_model ("detect-ssd.onnx"), ov_test_model ("detect-ssd.json"));
    h = gst_harness_new_parse (launch);
    g_free (launch);
  }
  for (int i = 0; i < 3; i++) {
    GstBuffer *sys = bright_frame (&info), *out;
    gst_harness_set_src_caps (h, caps_with_memory (&info,
            GST_CAPS_FEATURE_MEMORY_VA));
    out = gst_harness_push_and_pull (h, upload (pool, &info, sys));
    g_assert_cmpuint (ov_test_count_rois (out), ==, 2);
    gst_buffer_unref (out);
    gst_buffer_unref (sys);
    g_assert_cmpint (gst_element_set_state (h->element, GST_STATE_NULL), ==,
        GST_STATE_CHANGE_SUCCESS);
    g_assert_cmpint (gst_element_set_state (h->element, GST_STATE_PLAYING),
        ==, GST_STATE_CHANGE_SUCCESS);
  }
  gst_harness_teardown (h);
  va_pool_free (pool);
}

/* The driver libva loaded is ours, through the device-less display. */
static void
test_driver (void)
{
  const char *vendor = vaQueryVendorString (va_dpy);
  g_assert_nonnull (vendor);
  g_assert_true (g_str_has_prefix (vendor, "gst-ovi test VA driver"));
  g_assert_cmpint (gst_va_display_get_implementation (display), ==,
      GST_VA_IMPLEMENTATION_OTHER);
}

/* The GstVaDisplay goes while GStreamer is initialized, the VADisplay
 * (and with it the driver) after it: then nothing may live in the
 * driver. */
static void
release_display (void)
{
  OviTestVaCounts c;
  gst_clear_object (&display);
  get_counts (&c);
  g_assert_cmpint (c.live_surfaces + c.live_images + c.live_buffers
      + c.live_configs + c.live_contexts, ==, 0);
  vaTerminate (va_dpy);
}

int
main (int argc, char **argv)
{
  int major = 0, minor = 0;

  /* Before anything touches libva: CI runs this binary directly. */
  g_setenv ("LIBVA_DRIVERS_PATH", OV_TEST_VA_DRIVER_DIR, TRUE);
  g_setenv ("LIBVA_DRIVER_NAME", "ovitest", TRUE);
  g_setenv ("LIBVA_MESSAGING_LEVEL", "1", TRUE);
  ov_test_init (&argc, &argv);

  va_dpy = ovi_test_va_display_new ();
  g_assert_nonnull (va_dpy);
  g_assert_cmpint (vaInitialize (va_dpy, &major, &minor), ==,
      VA_STATUS_SUCCESS);
  /* vaGetLibFunc returns every function as int (*) (void). */
  get_counts = (OviTestVaGetCounts) (void (*) (void)) vaGetLibFunc (va_dpy,
      OVI_TEST_VA_GET_COUNTS);
  set_derive = (OviTestVaSetDerive) (void (*) (void)) vaGetLibFunc (va_dpy,
      OVI_TEST_VA_SET_DERIVE);
  g_assert_nonnull (get_counts);
  g_assert_nonnull (set_derive);
  display = gst_va_display_wrapped_new (va_dpy);
  g_assert_nonnull (display);

  g_test_add_func ("/va/driver", test_driver);
  g_test_add_func ("/va/caps", test_caps);
  g_test_add_func ("/va/inference-formats", test_inference_formats);
  g_test_add_func ("/va/detect", test_detect);
  g_test_add_func ("/va/classify-rois", test_classify_rois);
  g_test_add_func ("/va/overlay", test_overlay);
  g_test_add_func ("/va/overlay-shared-surface", test_overlay_shared_surface);
  g_test_add_func ("/va/context-from-frames", test_context_from_frames);
  g_test_add_func ("/va/context-need-context", test_context_need_context);
  g_test_add_func ("/va/context-set", test_context_set);
  g_test_add_func ("/va/system-buffer-with-va-caps",
      test_system_buffer_with_va_caps);
  g_test_add_func ("/va/state-cycles", test_state_cycles);

  return ov_test_run_full (release_display);
}
