/* ovmetaconvert: the JSON layout gvametaconvert consumers read. */
#include "ovtest.h"

#include <gst/base/gstbasetransform.h>
#include <json-glib/json-glib.h>

#include "gstovmeta.h"
#include "ovi.h"

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
  /* Our addition: the device that ran the inference (default AUTO: the
   * CPU alone here, or the CPU while another device compiles). */
  {
    const gchar *device = json_object_get_string_member (
        json_object_get_object_member (json_array_get_object_element (
                objects, 1), "detection"), "device");
    int n;
    gboolean present = FALSE;
    const OviDeviceInfo *devices = ovi_get_devices (&n);
    for (int i = 0; i < n; i++)
      present |= g_strcmp0 (device, devices[i].name) == 0;
    if (!present)
      g_error ("detection device '%s' is not a device present", device);
  }
  gst_buffer_unref (out);
  g_object_unref (parser);
  gst_harness_teardown (h);
  g_free (launch);
}


/* An identity_event as ovidentify attaches it. */
static GstStructure *
identity_event (const char *event, const char *person, guint64 ts)
{
  GstStructure *s = gst_structure_new ("identity_event",
      "event", G_TYPE_STRING, event, "person", G_TYPE_STRING, person,
      "person_id", G_TYPE_INT64, (gint64) 7,
      "similarity", G_TYPE_DOUBLE, 0.75,
      "timestamp", G_TYPE_UINT64, ts, NULL);
  if (g_str_equal (event, "appeared")) {
    GstStructure *region = gst_structure_new ("region", "x", G_TYPE_INT, 20,
        "y", G_TYPE_INT, 10, "w", G_TYPE_INT, 100, "h", G_TYPE_INT, 50,
        "id", G_TYPE_INT, 42, NULL);
    gst_structure_set (s, "region", GST_TYPE_STRUCTURE, region, NULL);
    gst_structure_free (region);
  }
  return s;
}

/* Events beside the objects by default (and not among the tensors nor
 * read as whole-frame results); with events-only, only frames with events
 * and only the events; frameless events become a JSON event. */
static void
test_events (void)
{
  GstVideoInfo info;
  GstHarness *h = gst_harness_new ("ovmetaconvert");
  GstBuffer *in, *out;
  JsonParser *parser = json_parser_new ();
  JsonObject *root, *e, *region;
  JsonArray *events;
  GstStructure *eos_events[2];
  GstEvent *ev;
  gboolean got_json = FALSE;

  g_object_set (h->element, "source", "cam1", "add-tensor-data", TRUE, NULL);
  ov_test_video_info (&info, GST_VIDEO_FORMAT_RGB, 200, 100);
  gst_harness_set_src_caps (h, gst_video_info_to_caps (&info));

  /* Default: the objects and the events. */
  in = ov_test_solid_frame (&info, 0, 0, 0);
  GST_BUFFER_PTS (in) = GST_SECOND;
  gst_ov_add_detection (in, 200, 100, 20, 10, 120, 60, 0.9, 1, "face");
  gst_buffer_add_ov_tensor_meta (in, identity_event ("appeared", "Ann",
          GST_SECOND));
  out = gst_harness_push_and_pull (h, in);
  root = json_of (out, parser);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (root,
              "objects")), ==, 1);  /* the face; the event is no object */
  g_assert_false (json_object_has_member (root, "tensors"));
  events = json_object_get_array_member (root, "events");
  g_assert_cmpuint (json_array_get_length (events), ==, 1);
  e = json_array_get_object_element (events, 0);
  g_assert_cmpstr (json_object_get_string_member (e, "event"), ==, "appeared");
  g_assert_cmpstr (json_object_get_string_member (e, "person"), ==, "Ann");
  g_assert_cmpint (json_object_get_int_member (e, "person_id"), ==, 7);
  g_assert_cmpfloat (json_object_get_double_member (e, "similarity"), ==,
      0.75);
  g_assert_cmpint (json_object_get_int_member (e, "timestamp"), ==,
      GST_SECOND);
  region = json_object_get_object_member (e, "region");
  g_assert_cmpint (json_object_get_int_member (region, "x"), ==, 20);
  g_assert_cmpint (json_object_get_int_member (region, "h"), ==, 50);
  g_assert_cmpint (json_object_get_int_member (region, "id"), ==, 42);
  gst_buffer_unref (out);

  /* A frame with objects and no events has no "events" (unchanged). */
  in = ov_test_solid_frame (&info, 0, 0, 0);
  gst_ov_add_detection (in, 200, 100, 20, 10, 120, 60, 0.9, 1, "face");
  out = gst_harness_push_and_pull (h, in);
  g_assert_false (json_object_has_member (json_of (out, parser), "events"));
  gst_buffer_unref (out);

  /* A frame with only an event (someone left) still gets a message. */
  in = ov_test_solid_frame (&info, 0, 0, 0);
  gst_buffer_add_ov_tensor_meta (in, identity_event ("left", "Ann", 0));
  out = gst_harness_push_and_pull (h, in);
  root = json_of (out, parser);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (root,
              "objects")), ==, 0);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (root,
              "events")), ==, 1);
  gst_buffer_unref (out);

  /* events-only. */
  g_object_set (h->element, "events-only", TRUE, NULL);
  in = ov_test_solid_frame (&info, 0, 0, 0);
  gst_ov_add_detection (in, 200, 100, 20, 10, 120, 60, 0.9, 1, "face");
  out = gst_harness_push_and_pull (h, in);
  g_assert_null (gst_buffer_get_ov_json_meta (out));
  gst_buffer_unref (out);
  in = ov_test_solid_frame (&info, 0, 0, 0);
  GST_BUFFER_PTS (in) = 2 * GST_SECOND;
  gst_ov_add_detection (in, 200, 100, 20, 10, 120, 60, 0.9, 1, "face");
  gst_buffer_add_ov_tensor_meta (in, identity_event ("appeared", "Bob",
          2 * GST_SECOND));
  gst_buffer_add_ov_tensor_meta (in, identity_event ("left", "Ann",
          2 * GST_SECOND));
  out = gst_harness_push_and_pull (h, in);
  root = json_of (out, parser);
  g_assert_false (json_object_has_member (root, "objects"));
  g_assert_cmpstr (json_object_get_string_member (root, "source"), ==, "cam1");
  g_assert_cmpint (json_object_get_int_member (root, "timestamp"), ==,
      2 * GST_SECOND);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (
              root, "resolution"), "width"), ==, 200);
  events = json_object_get_array_member (root, "events");
  g_assert_cmpuint (json_array_get_length (events), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (
          json_array_get_object_element (events, 1), "person"), ==, "Ann");
  gst_buffer_unref (out);

  /* Frameless events: passed on, then a JSON event of the same form. */
  eos_events[0] = identity_event ("left", "Bob", 3 * GST_SECOND);
  eos_events[1] = identity_event ("left", "Cy", 3 * GST_SECOND);
  g_assert_true (gst_harness_push_event (h,
          gst_ov_frame_events_event_new (eos_events, 2)));
  gst_structure_free (eos_events[0]);
  gst_structure_free (eos_events[1]);
  while ((ev = gst_harness_try_pull_event (h))) {
    const char *message = gst_ov_json_event_get_message (ev);
    if (gst_ov_frame_events_event_get_events (ev))
      g_assert_false (got_json);        /* the original first */
    if (message) {
      g_assert_true (json_parser_load_from_data (parser, message, -1, NULL));
      root = json_node_get_object (json_parser_get_root (parser));
      g_assert_cmpint (json_object_get_int_member (root, "timestamp"), ==,
          3 * GST_SECOND);
      events = json_object_get_array_member (root, "events");
      g_assert_cmpuint (json_array_get_length (events), ==, 2);
      g_assert_cmpstr (json_object_get_string_member (
              json_array_get_object_element (events, 1), "person"), ==, "Cy");
      got_json = TRUE;
    }
    gst_event_unref (ev);
  }
  g_assert_true (got_json);
  g_object_unref (parser);
  gst_harness_teardown (h);
}

/* A language model's answer (ovllm's llm_result): gvagenai's "result" and
 * "metrics" at the top, every answer in "llm", never among the tensors
 * nor the objects; a frame with only an answer still gets a message. */
static void
test_llm_result (void)
{
  GstVideoInfo info;
  GstHarness *h = gst_harness_new ("ovmetaconvert");
  GstBuffer *in, *out;
  JsonParser *parser = json_parser_new ();
  JsonObject *root, *metrics, *llm;
  JsonArray *all;
  GstStructure *s, *m;

  g_object_set (h->element, "add-tensor-data", TRUE, NULL);
  ov_test_video_info (&info, GST_VIDEO_FORMAT_RGB, 200, 100);
  gst_harness_set_src_caps (h, gst_video_info_to_caps (&info));
  in = ov_test_solid_frame (&info, 0, 0, 0);
  GST_BUFFER_PTS (in) = 2 * GST_SECOND;
  m = gst_structure_new ("metrics", "num_generated_tokens", G_TYPE_UINT, 12,
      "ttft_mean", G_TYPE_DOUBLE, 41.5, NULL);
  s = gst_structure_new (GST_OV_LLM_RESULT, "result", G_TYPE_STRING,
      "A red car.", "prompt", G_TYPE_STRING, "Objects: car", "model_name",
      G_TYPE_STRING, "m.gguf", "stop_reason", G_TYPE_STRING, "eos",
      "timestamp", G_TYPE_UINT64, GST_SECOND, "metrics", GST_TYPE_STRUCTURE,
      m, NULL);
  gst_structure_free (m);
  gst_buffer_add_ov_tensor_meta (in, s);
  gst_buffer_add_ov_tensor_meta (in, gst_structure_new (GST_OV_LLM_RESULT,
          "result", G_TYPE_STRING, "Second.", NULL));
  out = gst_harness_push_and_pull (h, in);
  root = json_of (out, parser);
  g_assert_cmpstr (json_object_get_string_member (root, "result"), ==,
      "A red car.");
  metrics = json_object_get_object_member (root, "metrics");
  g_assert_cmpint (json_object_get_int_member (metrics,
          "num_generated_tokens"), ==, 12);
  g_assert_cmpfloat (json_object_get_double_member (metrics, "ttft_mean"),
      ==, 41.5);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (root,
              "objects")), ==, 0);
  g_assert_false (json_object_has_member (root, "tensors"));
  all = json_object_get_array_member (root, "llm");
  g_assert_cmpuint (json_array_get_length (all), ==, 2);
  llm = json_array_get_object_element (all, 0);
  g_assert_cmpstr (json_object_get_string_member (llm, "prompt"), ==,
      "Objects: car");
  g_assert_cmpstr (json_object_get_string_member (llm, "model"), ==,
      "m.gguf");
  g_assert_cmpstr (json_object_get_string_member (llm, "stop_reason"), ==,
      "eos");
  g_assert_cmpint (json_object_get_int_member (llm, "timestamp"), ==,
      GST_SECOND);
  g_assert_true (json_object_has_member (llm, "metrics"));
  llm = json_array_get_object_element (all, 1);
  g_assert_cmpstr (json_object_get_string_member (llm, "result"), ==,
      "Second.");
  g_assert_false (json_object_has_member (llm, "metrics"));
  gst_buffer_unref (out);
  g_object_unref (parser);
  gst_harness_teardown (h);
}

static void
count_handoff (GstElement *e, GstBuffer *buf, gpointer data)
{
  /* The JSON is on the frame already. */
  g_assert_nonnull (gst_buffer_get_ov_json_meta (buf));
  (*(int *) data)++;
}

/* "system_timestamp" from a dated time code (timecodestamper's), in the
 * zone of its date or in UTC, to the millisecond or microsecond; the
 * handoff signal. */
static void
test_system_timestamp (void)
{
  static const struct {
    const char *props;
    const char *expected;
  } cases[] = {
    { "", "2026-11-24T10:20:30.123:+0100" },
    { "timestamp-microseconds=true", "2026-11-24T10:20:30.123456:+0100" },
    { "timestamp-utc=true", "2026-11-24T09:20:30.123Z" },
    { "timestamp-utc=true timestamp-microseconds=true",
      "2026-11-24T09:20:30.123456Z" },
  };
  GTimeZone *tz = g_time_zone_new_offset (3600);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    char *launch = g_strdup_printf ("ovmetaconvert add-empty-results=true "
        "signal-handoffs=true %s", cases[i].props);
    GstElement *e = gst_parse_launch (launch, NULL);
    GstHarness *h = gst_harness_new_with_element (e, "sink", "src");
    JsonParser *parser = json_parser_new ();
    GDateTime *jam = g_date_time_new (tz, 2026, 11, 24, 10, 20, 30.123456);
    GstVideoInfo info;
    GstBuffer *in, *out;
    int handoffs = 0;

    g_signal_connect (e, "handoff", G_CALLBACK (count_handoff), &handoffs);
    gst_object_unref (e);
    ov_test_video_info (&info, GST_VIDEO_FORMAT_RGB, 20, 10);
    gst_harness_set_src_caps (h, gst_video_info_to_caps (&info));
    in = ov_test_solid_frame (&info, 0, 0, 0);
    gst_buffer_add_video_time_code_meta_full (in, 25, 1, jam,
        GST_VIDEO_TIME_CODE_FLAGS_NONE, 0, 0, 0, 0, 0);
    out = gst_harness_push_and_pull (h, in);
    g_assert_cmpstr (json_object_get_string_member (json_of (out, parser),
            "system_timestamp"), ==, cases[i].expected);
    g_assert_cmpint (handoffs, ==, 1);
    gst_buffer_unref (out);
    /* No time code: no key. */
    out = gst_harness_push_and_pull (h, ov_test_solid_frame (&info, 0, 0, 0));
    g_assert_false (json_object_has_member (json_of (out, parser),
            "system_timestamp"));
    g_assert_cmpint (handoffs, ==, 2);
    gst_buffer_unref (out);
    g_date_time_unref (jam);
    g_object_unref (parser);
    gst_harness_teardown (h);
    g_free (launch);
  }
  g_time_zone_unref (tz);
}

int
main (int argc, char **argv)
{
  ov_test_init (&argc, &argv);
  g_test_add_func ("/ovmetaconvert/layout", test_layout);
  g_test_add_func ("/ovmetaconvert/empty-results", test_empty_results);
  g_test_add_func ("/ovmetaconvert/after-detect", test_after_detect);
  g_test_add_func ("/ovmetaconvert/events", test_events);
  g_test_add_func ("/ovmetaconvert/llm-result", test_llm_result);
  g_test_add_func ("/ovmetaconvert/system-timestamp", test_system_timestamp);
  return ov_test_run ();
}
