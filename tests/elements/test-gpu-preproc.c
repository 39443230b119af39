/* Pre-processing on the GPU device (ovi_request_set_input_image): the
 * same frames through ovinference on the identity model (its output is
 * the pre-processed tensor) with device=GPU.0 and device=CPU, every
 * pre-processing format, the whole frame and regions (roi-list), must
 * give the same tensors, up to float rounding. Skipped without an OpenCL
 * device (pocl serves here and in CI). */
#include "ovtest.h"

#include <math.h>
#include <string.h>

#include "gstovmeta.h"
#include "ovi.h"
#include "ov-test-gpu.h"

#define WIDTH 100
#define HEIGHT 60

static void
collect (const GstStructure *s, GPtrArray *out)
{
  gsize size = 0;
  gconstpointer data = gst_structure_has_field (s, "data")
      ? gst_ov_tensor_structure_get_data (s, &size) : NULL;
  if (data)
    g_ptr_array_add (out, g_bytes_new (data, size));
}

/* Every tensor's data in the buffer's metas, in meta order: the frame's
 * tensor, or each region's. */
static GPtrArray *
tensors_of (GstBuffer *buf)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (
      (GDestroyNotify) g_bytes_unref);
  gpointer state = NULL;
  GstMeta *m;
  while ((m = gst_buffer_iterate_meta (buf, &state))) {
    if (m->info->api == GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE) {
      GstVideoRegionOfInterestMeta *roi = (GstVideoRegionOfInterestMeta *) m;
      for (GList *l = roi->params; l; l = l->next)
        collect (l->data, out);
    } else if (m->info->api == GST_OV_TENSOR_META_API_TYPE) {
      collect (((GstOvTensorMeta *) m)->data, out);
    }
  }
  return out;
}

/* The tensors `element` on `device` makes of `frame`, and where its
 * "started" message says frames were pre-processed. */
static GPtrArray *
run (const char *element, const char *device, const GstVideoInfo *info,
    GstBuffer *frame, const char *expected_pre_process)
{
  char *launch = g_strdup_printf ("%s model=%s device=%s", element,
      ov_test_model ("identity.onnx"), device);
  GstHarness *h = gst_harness_new_parse (launch);
  GstBus *bus = gst_bus_new ();
  GstMessage *m;
  GstBuffer *out;
  GPtrArray *tensors;
  gboolean started = FALSE;

  gst_element_set_bus (h->element, bus);
  gst_harness_set_src_caps (h, gst_video_info_to_caps (info));
  out = gst_harness_push_and_pull (h, frame);
  g_assert_nonnull (out);
  tensors = tensors_of (out);
  gst_buffer_unref (out);
  while ((m = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT))) {
    const GstStructure *st = gst_message_get_structure (m);
    if (gst_structure_has_name (st, "ovi-device")) {
      g_assert_cmpstr (gst_structure_get_string (st, "pre-process"), ==,
          expected_pre_process);
      started = TRUE;
    }
    gst_message_unref (m);
  }
  g_assert_true (started);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
  g_free (launch);
  return tensors;
}

/* `element` on the GPU against the CPU, with frames pre-processed where
 * `gpu_pre_process` says ("device", or "cpu" for
 * pre-process-backend=opencv). */
static void
compare_with (const char *element, const GstVideoInfo *info,
    GstBuffer *frame, guint expected_tensors, const char *gpu_pre_process)
{
  GPtrArray *cpu = run (element, "CPU", info, gst_buffer_ref (frame), "cpu");
  GPtrArray *gpu = run (element, "GPU.0", info, frame, gpu_pre_process);
  double worst = 0;
  g_assert_cmpuint (cpu->len, ==, expected_tensors);
  g_assert_cmpuint (gpu->len, ==, cpu->len);
  for (guint t = 0; t < cpu->len; t++) {
    gsize nc, ng;
    const float *c = g_bytes_get_data (cpu->pdata[t], &nc);
    const float *g = g_bytes_get_data (gpu->pdata[t], &ng);
    g_assert_cmpuint (nc, ==, ng);
    g_assert_cmpuint (nc, >, 0);
    for (gsize i = 0; i < nc / sizeof (float); i++)
      worst = MAX (worst, fabs ((double) c[i] - g[i]));
  }
  g_test_message ("%-11s %-6s max difference %.3g", element,
      gst_video_format_to_string (GST_VIDEO_INFO_FORMAT (info)), worst);
  g_assert_cmpfloat (worst, <=, 1e-4);
  g_ptr_array_unref (cpu);
  g_ptr_array_unref (gpu);
}

static void
compare (const char *element, const GstVideoInfo *info, GstBuffer *frame,
    guint expected_tensors)
{
  compare_with (element, info, frame, expected_tensors, "device");
}

static void
test_formats (void)
{
  static const GstVideoFormat formats[] = { GST_VIDEO_FORMAT_NV12,
    GST_VIDEO_FORMAT_I420, GST_VIDEO_FORMAT_BGR, GST_VIDEO_FORMAT_RGB,
    GST_VIDEO_FORMAT_BGRx, GST_VIDEO_FORMAT_RGBA, GST_VIDEO_FORMAT_ARGB,
    GST_VIDEO_FORMAT_xBGR, GST_VIDEO_FORMAT_GRAY8 };
  if (!ov_test_have_gpu ()) {
    g_test_skip ("no OpenCL device");
    return;
  }
  for (gsize i = 0; i < G_N_ELEMENTS (formats); i++) {
    GstVideoInfo info;
    GstBuffer *frame;
    ov_test_video_info (&info, formats[i], WIDTH, HEIGHT);
    frame = ov_test_frame (&info, ov_test_gradient, NULL);
    compare ("ovinference", &info, frame, 1);
  }
}

/* Regions: each its own pre-processing into its own batch entry, one
 * partly outside the frame. */
static void
test_regions (void)
{
  static const GstVideoFormat formats[] = { GST_VIDEO_FORMAT_NV12,
    GST_VIDEO_FORMAT_BGRx };
  if (!ov_test_have_gpu ()) {
    g_test_skip ("no OpenCL device");
    return;
  }
  for (gsize i = 0; i < G_N_ELEMENTS (formats); i++) {
    GstVideoInfo info;
    GstBuffer *frame;
    ov_test_video_info (&info, formats[i], WIDTH, HEIGHT);
    frame = ov_test_frame (&info, ov_test_gradient, NULL);
    gst_buffer_add_video_region_of_interest_meta (frame, "car", 3, 2, 45, 51);
    gst_buffer_add_video_region_of_interest_meta (frame, "person", 53, 5,
        47, 48);
    gst_buffer_add_video_region_of_interest_meta (frame, "dog", 90, 50, 30,
        30);
    compare ("ovinference inference-region=roi-list", &info, frame, 3);
  }
}

/* pre-process-backend: "ie" keeps the device's pre-processing, "opencv"
 * moves it to the CPU on the same GPU-compiled model. */
static void
test_backends (void)
{
  GstVideoInfo info;
  GstBuffer *frame;
  if (!ov_test_have_gpu ()) {
    g_test_skip ("no OpenCL device");
    return;
  }
  ov_test_video_info (&info, GST_VIDEO_FORMAT_NV12, WIDTH, HEIGHT);
  frame = ov_test_frame (&info, ov_test_gradient, NULL);
  compare_with ("ovinference pre-process-backend=ie", &info,
      gst_buffer_ref (frame), 1, "device");
  compare_with ("ovinference pre-process-backend=opencv", &info, frame, 1,
      "cpu");
}

int
main (int argc, char **argv)
{
  ov_test_init (&argc, &argv);
  g_test_add_func ("/gpu-preproc/backends", test_backends);
  g_test_add_func ("/gpu-preproc/formats", test_formats);
  g_test_add_func ("/gpu-preproc/regions", test_regions);
  return ov_test_run ();
}
