/* ovmetaconvert: the JSON layout gvametaconvert consumers read. */
#include "ovtest.h"

#include <gst/base/gstbasetransform.h>
#include <json-glib/json-glib.h>

#include "gstovmeta.h"

static JsonObject *
json_of (GstBuffer *buf, JsonParser *parser)
{
  GstOvJsonMeta *m = gst_buffer_get_ov_json_meta (buf);
  g_assert_nonnull (m);
  g_assert_true (json_parser_load_from_data (parser, m->message, -1, NULL));
  return json_node_get_object (json_parser_get_root (parser));
}

static void
test_layout (void)
{
  GstVideoInfo info;
  GstHarness *h = gst_harness_new_parse ("ovmetaconvert source=cam1 "
      "tags={\"site\":\"door\"} add-tensor-data=true");
  GstBuffer *in, *out;
  GstVideoRegionOfInterestMeta *roi;
  JsonParser *parser = json_parser_new ();
  JsonObject *root, *obj, *det, *bbox, *attr;
  JsonArray *objects;
  gint64 dims[2] = { 1, 2 };
  float data[2] = { 0.25f, 0.5f };

  ov_test_video_info (&info, GST_VIDEO_FORMAT_RGB, 200, 100);
  gst_harness_set_src_caps (h, gst_video_info_to_caps (&info));
  in = ov_test_solid_frame (&info, 0, 0, 0);
  GST_BUFFER_PTS (in) = 5 * GST_SECOND;
  roi = gst_ov_add_detection (in, 200, 100, 20, 10, 120, 60, 0.75, 3, "dog");
  gst_ov_roi_set_object_id (roi, 42);
  gst_video_region_of_interest_meta_add_param (roi,
      gst_ov_attribute_new ("breed", "beagle", 5, 0.5, "breeds", "prob"));
  gst_video_region_of_interest_meta_add_param (roi,
      gst_ov_tensor_structure_new ("embedding", "emb", "reid",
          GST_OV_PRECISION_FP32, GST_OV_LAYOUT_NC, dims, 2, data,
          sizeof data, "embedding"));
  out = gst_harness_push_and_pull (h, in);
  root = json_of (out, parser);

  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (
              root, "resolution"), "width"), ==, 200);
  g_assert_cmpstr (json_object_get_string_member (root, "source"), ==, "cam1");
  g_assert_cmpint (json_object_get_int_member (root, "timestamp"), ==,
      5 * GST_SECOND);
  g_assert_cmpstr (json_object_get_string_member (
          json_object_get_object_member (root, "tags"), "site"), ==, "door");
  objects = json_object_get_array_member (root, "objects");
  g_assert_cmpuint (json_array_get_length (objects), ==, 1);
  obj = json_array_get_object_element (objects, 0);
  g_assert_cmpint (json_object_get_int_member (obj, "x"), ==, 20);
  g_assert_cmpint (json_object_get_int_member (obj, "y"), ==, 10);
  g_assert_cmpint (json_object_get_int_member (obj, "w"), ==, 100);
  g_assert_cmpint (json_object_get_int_member (obj, "h"), ==, 50);
  g_assert_cmpint (json_object_get_int_member (obj, "id"), ==, 42);
  g_assert_true (json_object_has_member (obj, "region_id"));
  det = json_object_get_object_member (obj, "detection");
  g_assert_cmpstr (json_object_get_string_member (det, "label"), ==, "dog");
  g_assert_cmpint (json_object_get_int_member (det, "label_id"), ==, 3);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (det,
          "confidence"), 0.75, 1e-9);
  bbox = json_object_get_object_member (det, "bounding_box");
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (bbox,
          "x_min"), 0.1, 1e-9);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (bbox,
          "y_max"), 0.6, 1e-9);
  attr = json_object_get_object_member (obj, "breed");
  g_assert_cmpstr (json_object_get_string_member (attr, "label"), ==, "beagle");
  g_assert_cmpstr (json_object_get_string_member (
          json_object_get_object_member (attr, "model"), "name"), ==, "breeds");
  /* Tensors: detection, attribute and embedding, with data. */
  {
    JsonArray *t = json_object_get_array_member (obj, "tensors");
    JsonObject *emb = json_array_get_object_element (t, 2);
    g_assert_cmpuint (json_array_get_length (t), ==, 3);
    g_assert_cmpstr (json_object_get_string_member (emb, "name"), ==,
        "embedding");
    g_assert_cmpstr (json_object_get_string_member (emb, "precision"), ==,
        "FP32");
    g_assert_cmpstr (json_object_get_string_member (emb, "layout"), ==, "NC");
    g_assert_cmpfloat (json_array_get_double_element (
            json_object_get_array_member (emb, "data"), 1), ==, 0.5);
  }
  gst_buffer_unref (out);
  g_object_unref (parser);
  gst_harness_teardown (h);
}

static void
test_empty_results (void)
{
  GstVideoInfo info;
  GstHarness *h = gst_harness_new ("ovmetaconvert");
  GstBuffer *out;

  ov_test_video_info (&info, GST_VIDEO_FORMAT_RGB, 16, 16);
  gst_harness_set_src_caps (h, gst_video_info_to_caps (&info));
  out = gst_harness_push_and_pull (h, ov_test_solid_frame (&info, 0, 0, 0));
  g_assert_null (gst_buffer_get_ov_json_meta (out));
  gst_buffer_unref (out);
  g_object_set (h->element, "add-empty-results", TRUE, NULL);
  g_assert_true (GST_IS_BASE_TRANSFORM (h->element));
  out = gst_harness_push_and_pull (h, ov_test_solid_frame (&info, 0, 0, 0));
  g_assert_nonnull (gst_buffer_get_ov_json_meta (out));
  gst_buffer_unref (out);
  gst_harness_teardown (h);
}

/* Detector then converter, end to end. */
static void
test_after_detect (void)
{
  GstVideoInfo info;
  char *launch = g_strdup_printf ("ovdetect model=%s model-proc=%s ! "
      "ovmetaconvert", ov_test_model ("detect-ssd.onnx"),
      ov_test_model ("detect-ssd.json"));
  GstHarness *h;
  GstBuffer *out;
  JsonParser *parser = json_parser_new ();
  JsonArray *objects;

  ov_test_video_info (&info, GST_VIDEO_FORMAT_NV12, 320, 240);
  h = ov_test_harness (launch, &info);
  out = gst_harness_push_and_pull (h, ov_test_solid_frame (&info, 255, 255, 255));
  objects = json_object_get_array_member (json_of (out, parser), "objects");
  g_assert_cmpuint (json_array_get_length (objects), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (
              json_array_get_object_element (objects, 1), "detection"),
          "label"), ==, "car");
  gst_buffer_unref (out);
  g_object_unref (parser);
  gst_harness_teardown (h);
  g_free (launch);
}

int
main (int argc, char **argv)
{
  ov_test_init (&argc, &argv);
  g_test_add_func ("/ovmetaconvert/layout", test_layout);
  g_test_add_func ("/ovmetaconvert/empty-results", test_empty_results);
  g_test_add_func ("/ovmetaconvert/after-detect", test_after_detect);
  return ov_test_run ();
}
