/* ovinference: raw output tensors in DL Streamer's layout; the identity
 * model returns the pre-processed input, which checks resize, color order
 * and layout end to end; shared model instances. */
#include "ovtest.h"

#include "gstovmeta.h"

#include <string.h>

static const GstStructure *
first_tensor (GstBuffer *buf)
{
  GstOvTensorMeta *tm = (GstOvTensorMeta *) gst_buffer_get_meta (buf,
      GST_OV_TENSOR_META_API_TYPE);
  g_assert_nonnull (tm);
  return tm->data;
}

static void
test_identity (void)
{
  GstVideoInfo info;
  char *launch = g_strdup_printf ("ovinference model=%s",
      ov_test_model ("identity.onnx"));
  GstHarness *h;
  GstBuffer *out;
  const GstStructure *s;
  const float *v;
  gsize size;
  int precision, layout;
  const GValue *dims;

  ov_test_video_info (&info, GST_VIDEO_FORMAT_RGB, 60, 40);
  h = ov_test_harness (launch, &info);
  out = gst_harness_push_and_pull (h, ov_test_solid_frame (&info, 10, 20, 30));
  s = first_tensor (out);
  g_assert_true (gst_structure_has_name (s, "inference_layer_name:pixels"));
  g_assert_true (gst_structure_get_int (s, "precision", &precision));
  g_assert_cmpint (precision, ==, GST_OV_PRECISION_FP32);
  g_assert_true (gst_structure_get_int (s, "layout", &layout));
  g_assert_cmpint (layout, ==, GST_OV_LAYOUT_NCHW);
  dims = gst_structure_get_value (s, "dims");
  g_assert_cmpuint (gst_value_array_get_size (dims), ==, 4);
  g_assert_cmpuint (g_value_get_uint (gst_value_array_get_value (dims, 3)), ==, 6);
  v = gst_ov_tensor_structure_get_data (s, &size);
  g_assert_cmpuint (size, ==, 3 * 4 * 6 * sizeof (float));
  /* Default order BGR, planar. */
  for (int i = 0; i < 24; i++) {
    g_assert_cmpfloat_with_epsilon (v[i], 30.0, 1e-4);
    g_assert_cmpfloat_with_epsilon (v[24 + i], 20.0, 1e-4);
    g_assert_cmpfloat_with_epsilon (v[48 + i], 10.0, 1e-4);
  }
  g_assert_true (gst_structure_get_value (s, "data") != NULL);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
  g_free (launch);
}

/* NHWC uint8 input: channel means plus a constant, per ROI. */
static void
test_nhwc_u8_rois (void)
{
  GstVideoInfo info;
  char *launch = g_strdup_printf ("ovinference model=%s "
      "inference-region=roi-list", ov_test_model ("embed-nhwc-u8.onnx"));
  GstHarness *h;
  GstBuffer *in, *out;
  GstVideoRegionOfInterestMeta *roi;
  GstStructure *s;
  const float *v;
  gsize size;

  ov_test_video_info (&info, GST_VIDEO_FORMAT_BGRx, 40, 30);
  h = ov_test_harness (launch, &info);
  in = ov_test_solid_frame (&info, 100, 150, 200);
  roi = gst_ov_add_detection (in, 40, 30, 5, 5, 25, 25, 0.9, 0, "face");
  out = gst_harness_push_and_pull (h, in);
  roi = (GstVideoRegionOfInterestMeta *) gst_buffer_get_meta (out,
      GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE);
  s = gst_video_region_of_interest_meta_get_param (roi,
      "inference_layer_name:embedding");
  g_assert_nonnull (s);
  v = gst_ov_tensor_structure_get_data (s, &size);
  g_assert_cmpuint (size, ==, 4 * sizeof (float));
  g_assert_cmpfloat_with_epsilon (v[0], 200.0, 1e-3);
  g_assert_cmpfloat_with_epsilon (v[1], 150.0, 1e-3);
  g_assert_cmpfloat_with_epsilon (v[2], 100.0, 1e-3);
  g_assert_cmpfloat_with_epsilon (v[3], 1.0, 1e-6);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
  g_free (launch);
}

/* Two elements with one model-instance-id share the model; another model
 * under the same id is refused. */
static void
test_shared_instance (void)
{
  GstVideoInfo info;
  char *l1 = g_strdup_printf ("ovinference model=%s model-instance-id=shared "
      "nireq=2", ov_test_model ("identity.onnx"));
  GstHarness *h1, *h2;
  GstElement *e;
  char *msg;

  ov_test_video_info (&info, GST_VIDEO_FORMAT_RGB, 12, 8);
  h1 = ov_test_harness (l1, &info);
  h2 = ov_test_harness (l1, &info);
  for (int i = 0; i < 6; i++) {
    GstBuffer *o1, *o2;
    gst_harness_push (h1, ov_test_solid_frame (&info, 1, 2, 3));
    gst_harness_push (h2, ov_test_solid_frame (&info, 7, 8, 9));
    o1 = gst_harness_pull (h1);
    o2 = gst_harness_pull (h2);
    g_assert_cmpfloat (((const float *) gst_ov_tensor_structure_get_data (
                first_tensor (o1), NULL))[0], ==, 3.0f);
    g_assert_cmpfloat (((const float *) gst_ov_tensor_structure_get_data (
                first_tensor (o2), NULL))[0], ==, 9.0f);
    gst_buffer_unref (o1);
    gst_buffer_unref (o2);
  }
  e = gst_element_factory_make ("ovinference", NULL);
  g_object_set (e, "model", ov_test_model ("classify.onnx"),
      "model-instance-id", "shared", NULL);
  msg = ov_test_expect_start_error (e);
  g_assert_nonnull (strstr (msg, "already holds"));
  g_free (msg);
  gst_object_unref (e);
  gst_harness_teardown (h1);
  gst_harness_teardown (h2);
  g_free (l1);
}

/* Batches: each frame gets its own image's slice of the outputs; a model
 * whose output merges the batch is an error on the bus, not a wrong
 * answer; a shared instance keeps one batch size. */
static void
test_batch (void)
{
  GstVideoInfo info;
  char *launch = g_strdup_printf ("ovinference model=%s batch-size=3 "
      "model-instance-id=batch3", ov_test_model ("classify-batch.onnx"));
  GstHarness *h;
  GstElement *e;
  GstBus *bus;
  GstMessage *msg;
  GError *err = NULL;
  char *msg_text;

  ov_test_video_info (&info, GST_VIDEO_FORMAT_RGB, 16, 16);
  h = ov_test_harness (launch, &info);
  for (int i = 0; i < 4; i++)
    gst_harness_push (h, ov_test_solid_frame (&info, 0, 0, 10 * i));
  gst_harness_push_event (h, gst_event_new_eos ());
  for (int i = 0; i < 4; i++) {
    GstBuffer *out = gst_harness_pull (h);
    gsize size;
    const float *prob = gst_ov_tensor_structure_get_data (first_tensor (out),
        &size);
    g_assert_cmpuint (size, ==, 3 * sizeof (float));
    g_assert_cmpfloat_with_epsilon (prob[0], 10 * i, 1e-4);
    gst_buffer_unref (out);
  }

  e = gst_element_factory_make ("ovinference", NULL);
  g_object_set (e, "model", ov_test_model ("classify-batch.onnx"),
      "model-instance-id", "batch3", "batch-size", 2, NULL);
  msg_text = ov_test_expect_start_error (e);
  g_assert_nonnull (strstr (msg_text, "runs batches of 3, not 2"));
  g_free (msg_text);
  gst_object_unref (e);
  gst_harness_teardown (h);
  g_free (launch);

  launch = g_strdup_printf ("ovinference model=%s batch-size=2",
      ov_test_model ("batch-merged.onnx"));
  h = ov_test_harness (launch, &info);
  bus = gst_bus_new ();
  gst_element_set_bus (h->element, bus);
  gst_harness_push (h, ov_test_solid_frame (&info, 1, 2, 3));
  gst_harness_push (h, ov_test_solid_frame (&info, 1, 2, 3));
  msg = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND, GST_MESSAGE_ERROR);
  g_assert_nonnull (msg);
  gst_message_parse_error (msg, &err, &msg_text);
  g_assert_nonnull (strstr (msg_text, "'merged' does not have the batch (2)"));
  g_error_free (err);
  g_free (msg_text);
  gst_message_unref (msg);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
  g_free (launch);
}

/* The frame tensor's height and width, checking that a gradient frame
 * came through unresized: element (x, y) of channel 2 (R in the default
 * BGR order) is the frame's red at (x, y). */
static void
tensor_size (GstBuffer *buf, guint *h, guint *w, gboolean exact)
{
  const GstStructure *s = first_tensor (buf);
  const GValue *dims = gst_structure_get_value (s, "dims");
  const float *v;
  gsize size;

  *h = g_value_get_uint (gst_value_array_get_value (dims, 2));
  *w = g_value_get_uint (gst_value_array_get_value (dims, 3));
  v = gst_ov_tensor_structure_get_data (s, &size);
  g_assert_cmpuint (size, ==, 3 * *h * *w * sizeof (float));
  for (guint y = 0; exact && y < *h; y++)
    for (guint x = 0; x < *w; x++) {
      guint8 rgb[3];
      ov_test_gradient ((int) x, (int) y, rgb, NULL);
      g_assert_cmpfloat_with_epsilon (v[(2 * *h + y) * *w + x], rgb[0],
          1e-4);
    }
}

/* reshape: the input takes the frames' size (and again when the caps
 * change it); reshape-width/height: a given size, frames resized to it. */
static void
test_reshape (void)
{
  char *launch = g_strdup_printf ("ovinference model=%s reshape=true",
      ov_test_model ("identity.onnx"));
  GstVideoInfo info;
  GstHarness *h;
  GstBuffer *out;
  guint th, tw;

  ov_test_video_info (&info, GST_VIDEO_FORMAT_RGB, 10, 6);
  h = ov_test_harness (launch, &info);
  out = gst_harness_push_and_pull (h, ov_test_frame (&info, ov_test_gradient,
          NULL));
  tensor_size (out, &th, &tw, TRUE);
  g_assert_cmpuint (th, ==, 6);
  g_assert_cmpuint (tw, ==, 10);
  gst_buffer_unref (out);
  ov_test_video_info (&info, GST_VIDEO_FORMAT_RGB, 12, 4);
  gst_harness_set_src_caps (h, gst_video_info_to_caps (&info));
  out = gst_harness_push_and_pull (h, ov_test_frame (&info, ov_test_gradient,
          NULL));
  tensor_size (out, &th, &tw, TRUE);
  g_assert_cmpuint (th, ==, 4);
  g_assert_cmpuint (tw, ==, 12);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
  g_free (launch);

  /* A model of dynamic size runs at the frames' size; without reshape it
   * is refused at start. */
  launch = g_strdup_printf ("ovinference model=%s reshape=true",
      ov_test_model ("identity-dynamic.onnx"));
  ov_test_video_info (&info, GST_VIDEO_FORMAT_RGB, 14, 6);
  h = ov_test_harness (launch, &info);
  out = gst_harness_push_and_pull (h, ov_test_frame (&info, ov_test_gradient,
          NULL));
  tensor_size (out, &th, &tw, TRUE);
  g_assert_cmpuint (th, ==, 6);
  g_assert_cmpuint (tw, ==, 14);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
  g_free (launch);
  {
    GstElement *e = gst_element_factory_make ("ovinference", NULL);
    char *msg;
    g_object_set (e, "model", ov_test_model ("identity-dynamic.onnx"), NULL);
    msg = ov_test_expect_start_error (e);
    g_assert_nonnull (strstr (msg, "dynamic dimension"));
    g_free (msg);
    gst_object_unref (e);
  }

  launch = g_strdup_printf ("ovinference model=%s reshape-width=8 "
      "reshape-height=2", ov_test_model ("identity.onnx"));
  ov_test_video_info (&info, GST_VIDEO_FORMAT_RGB, 16, 4);
  h = ov_test_harness (launch, &info);
  out = gst_harness_push_and_pull (h, ov_test_solid_frame (&info, 1, 2, 3));
  tensor_size (out, &th, &tw, FALSE);
  g_assert_cmpuint (th, ==, 2);
  g_assert_cmpuint (tw, ==, 8);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
  g_free (launch);
}

/* qos: after downstream reports frames up to 6 s late, the frame at 2 s
 * is dropped with a QoS message, the one at 7 s inferred; without qos
 * nothing is dropped. */
static void
test_qos (void)
{
  for (int qos = 0; qos < 2; qos++) {
    char *launch = g_strdup_printf ("ovinference model=%s qos=%s",
        ov_test_model ("identity.onnx"), qos ? "true" : "false");
    GstVideoInfo info;
    GstHarness *h;
    GstBus *bus = gst_bus_new ();
    GstBuffer *in, *out;
    GstMessage *m;
    guint64 processed = 0, dropped = 0;
    GstFormat format;

    ov_test_video_info (&info, GST_VIDEO_FORMAT_RGB, 12, 8);
    h = ov_test_harness (launch, &info);
    gst_element_set_bus (h->element, bus);
    out = gst_harness_push_and_pull (h, ov_test_solid_frame (&info, 1, 2, 3));
    gst_buffer_unref (out);
    g_assert_true (gst_harness_push_upstream_event (h,
            gst_event_new_qos (GST_QOS_TYPE_UNDERFLOW, 0.8, 5 * GST_SECOND,
                GST_SECOND)));
    in = ov_test_solid_frame (&info, 1, 2, 3);
    GST_BUFFER_PTS (in) = 2 * GST_SECOND;
    g_assert_cmpint (gst_harness_push (h, in), ==, GST_FLOW_OK);
    in = ov_test_solid_frame (&info, 1, 2, 3);
    GST_BUFFER_PTS (in) = 7 * GST_SECOND;
    out = gst_harness_push_and_pull (h, in);
    if (qos) {
      /* The late frame never came out. */
      g_assert_cmpuint (GST_BUFFER_PTS (out), ==, 7 * GST_SECOND);
      g_assert_cmpuint (gst_harness_buffers_in_queue (h), ==, 0);
      m = gst_bus_pop_filtered (bus, GST_MESSAGE_QOS);
      g_assert_nonnull (m);
      gst_message_parse_qos_stats (m, &format, &processed, &dropped);
      g_assert_cmpint (format, ==, GST_FORMAT_BUFFERS);
      g_assert_cmpuint (dropped, ==, 1);
      g_assert_cmpuint (processed, ==, 1);
      gst_message_unref (m);
    } else {
      g_assert_cmpuint (GST_BUFFER_PTS (out), ==, 2 * GST_SECOND);
      gst_buffer_unref (out);
      out = gst_harness_pull (h);
      g_assert_cmpuint (GST_BUFFER_PTS (out), ==, 7 * GST_SECOND);
      g_assert_null (gst_bus_pop_filtered (bus, GST_MESSAGE_QOS));
    }
    g_assert_nonnull (first_tensor (out));
    gst_buffer_unref (out);
    gst_element_set_bus (h->element, NULL);
    gst_object_unref (bus);
    gst_harness_teardown (h);
    g_free (launch);
  }
}

int
main (int argc, char **argv)
{
  ov_test_init (&argc, &argv);
  g_test_add_func ("/ovinference/identity", test_identity);
  g_test_add_func ("/ovinference/nhwc-u8-rois", test_nhwc_u8_rois);
  g_test_add_func ("/ovinference/shared-instance", test_shared_instance);
  g_test_add_func ("/ovinference/batch", test_batch);
  g_test_add_func ("/ovinference/qos", test_qos);
  g_test_add_func ("/ovinference/reshape", test_reshape);
  return ov_test_run ();
}
