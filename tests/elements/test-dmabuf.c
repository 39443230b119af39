/* DMA-BUF input (memory:DMABuf): frames in memfd file descriptors wrapped
 * by GStreamer's GstDmaBufAllocator (which maps them with mmap, as it
 * maps a real DMA-BUF; its DMA_BUF_IOCTL_SYNC is refused on a memfd with
 * a warning and nothing else), with strides and plane offsets of their
 * own in a GstVideoMeta, one descriptor for the frame or one per plane.
 * Results equal those of the same frames in system memory. What a real
 * exporter (a decoder, a camera) adds is not tested: see
 * docs/devices.md. */
#include "ovtest.h"
#include "ovtest-results.h"

#include <gst/allocators/allocators.h>
#include <sys/mman.h>
#include <unistd.h>

#include "gstovmeta.h"

#define WIDTH 100
#define HEIGHT 60
/* Far from GStreamer's default 4-byte stride alignment. */
#define STRIDE_ALIGN 128

static GstAllocator *dmabuf_allocator;

static GstMemory *
memfd_memory (gsize size)
{
  int fd = memfd_create ("ovi-test-frame", MFD_CLOEXEC);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (ftruncate (fd, (off_t) size), ==, 0);
  /* The memory owns the descriptor from here. */
  return gst_dmabuf_allocator_alloc (dmabuf_allocator, fd, size);
}

/* A copy of `src` in memfd-backed DMA-BUF memory: one descriptor, or one
 * per plane (as decoders export multi-planar frames). */
static GstBuffer *
to_dmabuf (const GstVideoInfo *info, GstBuffer *src, gboolean fd_per_plane)
{
  GstVideoInfo layout = *info;
  GstBuffer *buf = gst_buffer_new ();
  GstVideoFrame in, out;
  gsize offset = 0;

  for (guint i = 0; i < GST_VIDEO_INFO_N_PLANES (info); i++) {
    gint comp[GST_VIDEO_MAX_COMPONENTS];
    gsize row, rows, size;
    gst_video_format_info_component (info->finfo, i, comp);
    row = (gsize) GST_VIDEO_INFO_COMP_WIDTH (info, comp[0])
        * GST_VIDEO_INFO_COMP_PSTRIDE (info, comp[0]);
    rows = GST_VIDEO_INFO_COMP_HEIGHT (info, comp[0]);
    GST_VIDEO_INFO_PLANE_STRIDE (&layout, i) =
        (gint) GST_ROUND_UP_N (row, STRIDE_ALIGN);
    GST_VIDEO_INFO_PLANE_OFFSET (&layout, i) = offset;
    /* A gap of a page between planes. */
    size = GST_VIDEO_INFO_PLANE_STRIDE (&layout, i) * rows + 4096;
    if (fd_per_plane)
      gst_buffer_append_memory (buf, memfd_memory (size));
    offset += size;
  }
  if (!fd_per_plane)
    gst_buffer_append_memory (buf, memfd_memory (offset));
  gst_buffer_add_video_meta_full (buf, GST_VIDEO_FRAME_FLAG_NONE,
      GST_VIDEO_INFO_FORMAT (info), GST_VIDEO_INFO_WIDTH (info),
      GST_VIDEO_INFO_HEIGHT (info), GST_VIDEO_INFO_N_PLANES (info),
      layout.offset, layout.stride);
  g_assert_true (gst_is_dmabuf_memory (gst_buffer_peek_memory (buf, 0)));

  g_assert_true (gst_video_frame_map (&in, info, src, GST_MAP_READ));
  g_assert_true (gst_video_frame_map (&out, info, buf, GST_MAP_WRITE));
  g_assert_true (gst_video_frame_copy (&out, &in));
  gst_video_frame_unmap (&out);
  gst_video_frame_unmap (&in);
  gst_buffer_copy_into (buf, src, GST_BUFFER_COPY_METADATA, 0, -1);
  return buf;
}

static GstBuffer *
run (const char *launch, const GstVideoInfo *info, gboolean dmabuf,
    GstBuffer *frame)
{
  GstHarness *h = gst_harness_new_parse (launch);
  GstCaps *caps = gst_video_info_to_caps (info);
  GstBuffer *out;
  if (dmabuf)
    gst_caps_set_features_simple (caps,
        gst_caps_features_new_single (GST_CAPS_FEATURE_MEMORY_DMABUF));
  gst_harness_set_src_caps (h, caps);
  out = gst_harness_push_and_pull (h, frame);
  g_assert_nonnull (out);
  gst_harness_teardown (h);
  return out;
}

static void
compare_with_system (const char *launch, const GstVideoInfo *info,
    GstBuffer *sys, gboolean fd_per_plane)
{
  GstBuffer *dma = to_dmabuf (info, sys, fd_per_plane);
  GstBuffer *sys_out = run (launch, info, FALSE, sys);
  GstBuffer *dma_out = run (launch, info, TRUE, dma);
  char *expected = ov_test_describe_results (sys_out);
  char *got = ov_test_describe_results (dma_out);
  g_assert_cmpstr (expected, !=, "");
  g_assert_cmpstr (got, ==, expected);
  g_free (expected);
  g_free (got);
  gst_buffer_unref (sys_out);
  gst_buffer_unref (dma_out);
}

static void
test_inference_formats (void)
{
  static const GstVideoFormat formats[] = { GST_VIDEO_FORMAT_NV12,
    GST_VIDEO_FORMAT_I420, GST_VIDEO_FORMAT_BGR, GST_VIDEO_FORMAT_RGB,
    GST_VIDEO_FORMAT_BGRx, GST_VIDEO_FORMAT_ARGB, GST_VIDEO_FORMAT_GRAY8 };
  char *launch = g_strdup_printf ("ovinference model=%s",
      ov_test_model ("identity.onnx"));
  for (gsize i = 0; i < G_N_ELEMENTS (formats); i++) {
    GstVideoInfo info;
    ov_test_video_info (&info, formats[i], WIDTH, HEIGHT);
    compare_with_system (launch, &info, ov_test_frame (&info, ov_test_gradient, NULL),
        FALSE);
    compare_with_system (launch, &info, ov_test_frame (&info, ov_test_gradient, NULL),
        TRUE);
  }
  g_free (launch);
}

static void
test_detect_and_classify (void)
{
  char *detect = g_strdup_printf ("ovdetect model=%s model-proc=%s",
      ov_test_model ("detect-ssd.onnx"), ov_test_model ("detect-ssd.json"));
  char *classify = g_strdup_printf ("ovclassify model=%s model-proc=%s",
      ov_test_model ("classify.onnx"), ov_test_model ("classify.json"));
  GstVideoInfo info;
  GstBuffer *frame;

  ov_test_video_info (&info, GST_VIDEO_FORMAT_NV12, WIDTH, HEIGHT);
  compare_with_system (detect, &info,
      ov_test_solid_frame (&info, 200, 180, 160), TRUE);
  frame = ov_test_frame (&info, ov_test_gradient, NULL);
  gst_ov_add_detection (frame, WIDTH, HEIGHT, 3, 2, 48, 58, 0.9, 0, "car");
  gst_ov_add_detection (frame, WIDTH, HEIGHT, 53, 5, 99, 53, 0.8, 1,
      "person");
  compare_with_system (classify, &info, frame, TRUE);
  g_free (detect);
  g_free (classify);
}

static void
test_caps (void)
{
  GstElement *e = gst_element_factory_make ("ovinference", NULL);
  GstPad *sink = gst_element_get_static_pad (e, "sink");
  GstVideoInfo info;
  GstCaps *caps;

  ov_test_video_info (&info, GST_VIDEO_FORMAT_BGR, WIDTH, HEIGHT);
  caps = gst_video_info_to_caps (&info);
  gst_caps_set_features_simple (caps,
      gst_caps_features_new_single (GST_CAPS_FEATURE_MEMORY_DMABUF));
  g_assert_true (gst_pad_query_accept_caps (sink, caps));
  gst_caps_unref (caps);
  /* Other memory stays refused. */
  caps = gst_video_info_to_caps (&info);
  gst_caps_set_features_simple (caps,
      gst_caps_features_new_single ("memory:GLMemory"));
  g_assert_false (gst_pad_query_accept_caps (sink, caps));
  gst_caps_unref (caps);
  gst_object_unref (sink);
  gst_object_unref (e);
}

static void
release_allocator (void)
{
  gst_clear_object (&dmabuf_allocator);
}

int
main (int argc, char **argv)
{
  ov_test_init (&argc, &argv);
  dmabuf_allocator = gst_dmabuf_allocator_new ();
  g_test_add_func ("/dmabuf/caps", test_caps);
  g_test_add_func ("/dmabuf/inference-formats", test_inference_formats);
  g_test_add_func ("/dmabuf/detect-and-classify", test_detect_and_classify);
  return ov_test_run_full (release_allocator);
}
