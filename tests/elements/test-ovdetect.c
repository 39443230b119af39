/* ovdetect: decoding (SSD, YOLOv8 with NMS and letterbox), properties,
 * every input format, ordering with requests in flight, error paths and
 * state changes. The test models' confidences depend on the frame's
 * brightness, so results show the frame was really pre-processed. */
#include "ovtest.h"

#include "gstovmeta.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

static char *
ssd_launch (const char *extra)
{
  return g_strdup_printf ("ovdetect model=%s model-proc=%s %s",
      ov_test_model ("detect-ssd.onnx"), ov_test_model ("detect-ssd.json"),
      extra ? extra : "");
}

static void
test_ssd_boxes (void)
{
  GstVideoInfo info;
  char *launch = ssd_launch (NULL);
  GstHarness *h;
  GstBuffer *out;
  GstVideoRegionOfInterestMeta *roi;
  double conf, xmin;
  int label_id;
  const char *label;

  ov_test_video_info (&info, GST_VIDEO_FORMAT_BGRx, 320, 240);
  h = ov_test_harness (launch, &info);
  /* White: brightness 1, the second box reaches 0.8. */
  out = gst_harness_push_and_pull (h, ov_test_solid_frame (&info, 255, 255, 255));
  g_assert_cmpuint (ov_test_count_rois (out), ==, 2);
  roi = ov_test_nth_roi (out, 0);
  g_assert_cmpuint (roi->x, ==, 32);
  g_assert_cmpuint (roi->y, ==, 48);
  g_assert_cmpuint (roi->w, ==, 128);
  g_assert_cmpuint (roi->h, ==, 96);
  g_assert_true (gst_ov_roi_get_detection (roi, &conf, &label_id, &label));
  g_assert_cmpfloat_with_epsilon (conf, 0.9, 1e-5);
  g_assert_cmpint (label_id, ==, 1);
  g_assert_cmpstr (label, ==, "person");
  g_assert_true (gst_structure_get_double (
          gst_video_region_of_interest_meta_get_param (roi, "detection"),
          "x_min", &xmin));
  g_assert_cmpfloat_with_epsilon (xmin, 0.1, 1e-5);
  roi = ov_test_nth_roi (out, 1);
  g_assert_true (gst_ov_roi_get_detection (roi, &conf, &label_id, &label));
  g_assert_cmpfloat_with_epsilon (conf, 0.8, 1e-4);
  g_assert_cmpstr (label, ==, "car");
  g_assert_cmpint (roi->id, !=, ov_test_nth_roi (out, 0)->id);
  gst_buffer_unref (out);
  /* Black: only the first. */
  out = gst_harness_push_and_pull (h, ov_test_solid_frame (&info, 0, 0, 0));
  g_assert_cmpuint (ov_test_count_rois (out), ==, 1);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
  g_free (launch);
}

static void
test_threshold (void)
{
  GstVideoInfo info;
  char *launch = ssd_launch ("threshold=0.85");
  GstHarness *h;
  GstBuffer *out;

  ov_test_video_info (&info, GST_VIDEO_FORMAT_BGR, 64, 48);
  h = ov_test_harness (launch, &info);
  out = gst_harness_push_and_pull (h, ov_test_solid_frame (&info, 255, 255, 255));
  g_assert_cmpuint (ov_test_count_rois (out), ==, 1);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
  g_free (launch);
}

/* Every supported format: brightness survives color conversion. */
static void
test_formats (void)
{
  static const GstVideoFormat formats[] = {
    GST_VIDEO_FORMAT_RGB, GST_VIDEO_FORMAT_BGR, GST_VIDEO_FORMAT_RGBx,
    GST_VIDEO_FORMAT_BGRx, GST_VIDEO_FORMAT_xRGB, GST_VIDEO_FORMAT_xBGR,
    GST_VIDEO_FORMAT_RGBA, GST_VIDEO_FORMAT_BGRA, GST_VIDEO_FORMAT_ARGB,
    GST_VIDEO_FORMAT_ABGR, GST_VIDEO_FORMAT_NV12, GST_VIDEO_FORMAT_I420,
    GST_VIDEO_FORMAT_GRAY8,
  };
  char *launch = ssd_launch ("threshold=0.75");
  for (gsize i = 0; i < G_N_ELEMENTS (formats); i++) {
    GstVideoInfo info;
    GstHarness *h;
    GstBuffer *out;
    /* Odd sizes: strides padded, chroma rounded up. */
    ov_test_video_info (&info, formats[i], 67, 45);
    h = ov_test_harness (launch, &info);
    out = gst_harness_push_and_pull (h, ov_test_solid_frame (&info, 255, 255, 255));
    g_assert_cmpuint (ov_test_count_rois (out), ==, 2);
    gst_buffer_unref (out);
    /* Mid gray (0.5): the second box at 0.55 < 0.75. */
    out = gst_harness_push_and_pull (h, ov_test_solid_frame (&info, 128, 128, 128));
    g_assert_cmpuint (ov_test_count_rois (out), ==, 1);
    gst_buffer_unref (out);
    gst_harness_teardown (h);
  }
  g_free (launch);
}

/* YOLOv8: NMS keeps one of the overlapping class-0 boxes, the class-1
 * box on top of it, and the two far ones; the letterbox maps the 64x64
 * input back onto a 128x64 frame (scale 2, 16 px border above). */
static void
test_yolov8 (void)
{
  GstVideoInfo info;
  char *launch = g_strdup_printf ("ovdetect model=%s model-proc=%s "
      "threshold=0.2", ov_test_model ("detect-yolov8.onnx"),
      ov_test_model ("detect-yolov8.json"));
  GstHarness *h;
  GstBuffer *out;
  GstVideoRegionOfInterestMeta *roi;
  guint n;

  ov_test_video_info (&info, GST_VIDEO_FORMAT_RGB, 128, 64);
  h = ov_test_harness (launch, &info);
  out = gst_harness_push_and_pull (h, ov_test_solid_frame (&info, 255, 255, 255));
  /* White frame, but the letterbox border is black: brightness 0.5, so
   * scores halve: hand 0.475, face 0.45 (its neighbour at 0.4 suppressed),
   * hand 0.35 (other class), face 0.3; 0.1 is below the threshold. */
  n = ov_test_count_rois (out);
  g_assert_cmpuint (n, ==, 4);
  roi = ov_test_nth_roi (out, 0);
  g_assert_cmpstr (gst_ov_roi_get_label (roi), ==, "hand");
  /* (12 - 5, 50 - 3) .. (17, 53) in the input -> x * 2, (y - 16) * 2 */
  g_assert_cmpuint (roi->x, ==, 14);
  g_assert_cmpuint (roi->y, ==, 62);
  roi = ov_test_nth_roi (out, 1);
  g_assert_cmpstr (gst_ov_roi_get_label (roi), ==, "face");
  g_assert_cmpuint (roi->x, ==, 16);
  g_assert_cmpuint (roi->y, ==, 0);
  g_assert_cmpuint (roi->w, ==, 32);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
  g_free (launch);
}

/* SSD head before decoding (box encodings + class logits): ovdetect
 * generates the anchors from model-proc for the 32x32 input, decodes the
 * face whose place and score follow the frame's brightness. */
static void
test_ssd_anchors (void)
{
  GstVideoInfo info;
  char *launch = g_strdup_printf ("ovdetect model=%s model-proc=%s",
      ov_test_model ("detect-ssd-anchors.onnx"),
      ov_test_model ("detect-ssd-anchors.json"));
  GstHarness *h;
  GstBuffer *out;
  GstVideoRegionOfInterestMeta *roi;
  double conf;
  int label_id;
  const char *label;

  ov_test_video_info (&info, GST_VIDEO_FORMAT_BGRx, 320, 240);
  h = ov_test_harness (launch, &info);
  /* White: x 0.625..0.825, y 0.175..0.575, sigmoid (4). */
  out = gst_harness_push_and_pull (h, ov_test_solid_frame (&info, 255, 255, 255));
  g_assert_cmpuint (ov_test_count_rois (out), ==, 1);
  roi = ov_test_nth_roi (out, 0);
  g_assert_cmpuint (roi->x, ==, 200);
  g_assert_cmpuint (roi->y, ==, 42);
  g_assert_cmpuint (roi->w, ==, 64);
  g_assert_cmpuint (roi->h, ==, 96);
  g_assert_true (gst_ov_roi_get_detection (roi, &conf, &label_id, &label));
  g_assert_cmpfloat_with_epsilon (conf, 1.0 / (1.0 + exp (-4.0)), 1e-4);
  g_assert_cmpint (label_id, ==, 1);
  g_assert_cmpstr (label, ==, "face");
  gst_buffer_unref (out);
  /* Black: the face logit is -4. */
  out = gst_harness_push_and_pull (h, ov_test_solid_frame (&info, 0, 0, 0));
  g_assert_cmpuint (ov_test_count_rois (out), ==, 0);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
  g_free (launch);
}

/* Raw YOLOv5 grids: anchors and masks from model-proc; the dog's y
 * follows the brightness, its less sure twin is suppressed, and the cat
 * reaches past the frame's edge. Input 64x64 on a 128x128 frame. */
static void
test_yolov5_grid (void)
{
  GstVideoInfo info;
  char *launch = g_strdup_printf ("ovdetect model=%s model-proc=%s",
      ov_test_model ("detect-yolov5-grid.onnx"),
      ov_test_model ("detect-yolov5-grid.json"));
  GstHarness *h;
  GstBuffer *out;
  GstVideoRegionOfInterestMeta *roi;
  double conf;
  int label_id;
  const char *label;

  ov_test_video_info (&info, GST_VIDEO_FORMAT_RGB, 128, 128);
  h = ov_test_harness (launch, &info);
  for (int white = 1; white >= 0; white--) {
    out = gst_harness_push_and_pull (h, white
        ? ov_test_solid_frame (&info, 255, 255, 255)
        : ov_test_solid_frame (&info, 0, 0, 0));
    g_assert_cmpuint (ov_test_count_rois (out), ==, 2);
    /* Cat: 28..68 in the input, 56..136 on the frame, clipped. */
    roi = ov_test_nth_roi (out, 0);
    g_assert_true (gst_ov_roi_get_detection (roi, &conf, &label_id, &label));
    g_assert_cmpstr (label, ==, "cat");
    g_assert_cmpfloat_with_epsilon (conf, 1.0 / (1.0 + exp (-4.0))
        / (1.0 + exp (-3.0)), 1e-4);
    g_assert_cmpuint (roi->x, ==, 56);
    g_assert_cmpuint (roi->w, ==, 72);
    /* Dog: x 40, y 32 (white) or 24 (black), 16x16, doubled. */
    roi = ov_test_nth_roi (out, 1);
    g_assert_true (gst_ov_roi_get_detection (roi, &conf, &label_id, &label));
    g_assert_cmpstr (label, ==, "dog");
    g_assert_cmpint (label_id, ==, 1);
    g_assert_cmpfloat_with_epsilon (conf, 1.0 / (1.0 + exp (-4.0))
        / (1.0 + exp (-2.0)), 1e-4);
    g_assert_cmpuint (roi->x, ==, 64);
    g_assert_cmpuint (roi->y, ==, white ? 48 : 32);
    g_assert_cmpuint (roi->w, ==, 32);
    g_assert_cmpuint (roi->h, ==, 32);
    gst_buffer_unref (out);
  }
  gst_harness_teardown (h);
  g_free (launch);
}

/* A model-proc that does not fit the outputs fails at start. */
static void
expect_model_proc_error (const char *model, const char *json,
    const char *needle)
{
  char *dir = g_dir_make_tmp ("ovdetect-XXXXXX", NULL);
  char *file = g_build_filename (dir, "model-proc.json", NULL);
  GstElement *e = gst_element_factory_make ("ovdetect", NULL);
  char *msg;

  g_assert_true (g_file_set_contents (file, json, -1, NULL));
  g_object_set (e, "model", ov_test_model (model), "model-proc", file, NULL);
  msg = ov_test_expect_start_error (e);
  g_assert_nonnull (msg);
  if (strstr (msg, needle) == NULL)
    g_error ("expected '%s' in the error, got: %s", needle, msg);
  g_free (msg);
  gst_object_unref (e);
  g_remove (file);
  g_rmdir (dir);
  g_free (file);
  g_free (dir);
}

static void
test_anchor_errors (void)
{
  /* 2x2 maps make 3 * 4 + 2 * 4 anchors for the model's 40 encodings. */
  expect_model_proc_error ("detect-ssd-anchors.onnx",
      "{\"output_postproc\": [{\"converter\": \"boxes_scores\", "
      "\"feature_map_shapes\": [2, 2], \"aspect_ratios\": [1.0]}]}",
      "40 box encodings but 20 anchors");
  /* Anchors that are not whole boxes. */
  expect_model_proc_error ("detect-ssd-anchors.onnx",
      "{\"output_postproc\": [{\"converter\": \"boxes_scores\", "
      "\"anchors\": [0.5, 0.5, 0.1]}]}", "not whole");
  /* Raw grids without anchors; 3 per cell for 14 channels. */
  expect_model_proc_error ("detect-yolov5-grid.onnx",
      "{\"output_postproc\": [{\"converter\": \"yolo_v5\"}]}",
      "need `anchors`");
  expect_model_proc_error ("detect-yolov5-grid.onnx",
      "{\"output_postproc\": [{\"converter\": \"yolo_v5\", "
      "\"anchors\": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]}]}",
      "neither [1, 3*(5+C), H, W]");
}

/* With several requests in flight, frames leave in order with their
 * timestamps, and each has its own results. */
static void
test_order (void)
{
  const guint nireq[] = { 1, 3 };
  for (gsize k = 0; k < G_N_ELEMENTS (nireq); k++) {
    GstVideoInfo info;
    char *extra = g_strdup_printf ("nireq=%u", nireq[k]);
    char *launch = ssd_launch (extra);
    GstHarness *h;
    const int n = 24;

    ov_test_video_info (&info, GST_VIDEO_FORMAT_BGRx, 64, 48);
    h = ov_test_harness (launch, &info);
    for (int i = 0; i < n; i++) {
      GstBuffer *in = i % 2 ? ov_test_solid_frame (&info, 0, 0, 0)
          : ov_test_solid_frame (&info, 255, 255, 255);
      GST_BUFFER_PTS (in) = i * GST_SECOND / 30;
      g_assert_cmpint (gst_harness_push (h, in), ==, GST_FLOW_OK);
    }
    for (int i = 0; i < n; i++) {
      GstBuffer *out = gst_harness_pull (h);
      g_assert_nonnull (out);
      g_assert_cmpuint (GST_BUFFER_PTS (out), ==, i * GST_SECOND / 30);
      g_assert_cmpuint (ov_test_count_rois (out), ==, i % 2 ? 1 : 2);
      gst_buffer_unref (out);
    }
    gst_harness_teardown (h);
    g_free (launch);
    g_free (extra);
  }
}

/* batch-size: frames wait until their batch is full (or an event comes),
 * and each gets its own image's results. Frames cycle white, light gray
 * and black: 4, 3 and 0 boxes above 0.5 on detect-yolov8-batch. */
static void
test_batch (void)
{
  static const guint8 levels[] = { 255, 191, 0 };
  static const guint expected[] = { 4, 3, 0 };
  GstVideoInfo info;
  char *launch = g_strdup_printf ("ovdetect model=%s model-proc=%s "
      "threshold=0.5 batch-size=4 nireq=2",
      ov_test_model ("detect-yolov8-batch.onnx"),
      ov_test_model ("detect-yolov8.json"));
  GstHarness *h;
  const int n = 10;

  ov_test_video_info (&info, GST_VIDEO_FORMAT_RGB, 64, 64);
  h = ov_test_harness (launch, &info);
  for (int i = 0; i < n; i++) {
    guint8 v = levels[i % 3];
    GstBuffer *in = ov_test_solid_frame (&info, v, v, v);
    GST_BUFFER_PTS (in) = i * GST_SECOND / 30;
    g_assert_cmpint (gst_harness_push (h, in), ==, GST_FLOW_OK);
  }
  for (int i = 0; i < n; i++) {
    GstBuffer *out;
    if (i == 8) {
      /* Two full batches left; the last two frames wait for more. */
      g_usleep (100 * 1000);
      g_assert_null (gst_harness_try_pull (h));
      g_assert_true (gst_harness_push_event (h, gst_event_new_eos ()));
    }
    out = gst_harness_pull (h);
    g_assert_nonnull (out);
    g_assert_cmpuint (GST_BUFFER_PTS (out), ==, i * GST_SECOND / 30);
    g_assert_cmpuint (ov_test_count_rois (out), ==, expected[i % 3]);
    gst_buffer_unref (out);
  }
  gst_harness_teardown (h);
  g_free (launch);
}

/* DetectionOutput of a batch lists every image's boxes under its image
 * id: each frame gets only its own (white 2 boxes, black 1). */
static void
test_batch_detection_output (void)
{
  static const guint8 levels[] = { 255, 0, 0, 255, 255 };
  GstVideoInfo info;
  char *launch = g_strdup_printf ("ovdetect model=%s model-proc=%s "
      "batch-size=2", ov_test_model ("detect-ssd-batch2.onnx"),
      ov_test_model ("detect-ssd.json"));
  GstHarness *h;

  ov_test_video_info (&info, GST_VIDEO_FORMAT_BGRx, 64, 48);
  h = ov_test_harness (launch, &info);
  for (gsize i = 0; i < G_N_ELEMENTS (levels); i++)
    g_assert_cmpint (gst_harness_push (h, ov_test_solid_frame (&info,
                levels[i], levels[i], levels[i])), ==, GST_FLOW_OK);
  g_assert_true (gst_harness_push_event (h, gst_event_new_eos ()));
  for (gsize i = 0; i < G_N_ELEMENTS (levels); i++) {
    GstBuffer *out = gst_harness_pull (h);
    g_assert_cmpuint (ov_test_count_rois (out), ==, levels[i] ? 2 : 1);
    gst_buffer_unref (out);
  }
  gst_harness_teardown (h);
  g_free (launch);
}

/* More regions than requests: the first regions' objects are decoded
 * while the frame is still being read for the next ones (the buffer must
 * stay writable then). */
static void
test_rois_one_request (void)
{
  GstVideoInfo info;
  char *launch = ssd_launch ("inference-region=roi-list nireq=1");
  GstHarness *h;
  GstBuffer *in, *out;

  ov_test_video_info (&info, GST_VIDEO_FORMAT_BGRx, 96, 64);
  h = ov_test_harness (launch, &info);
  in = ov_test_solid_frame (&info, 255, 255, 255);
  for (int i = 0; i < 3; i++)
    gst_ov_add_detection (in, 96, 64, i * 32, 0, i * 32 + 32, 64, 0.9, 0,
        "area");
  out = gst_harness_push_and_pull (h, in);
  /* Two objects in each of the three regions. */
  g_assert_cmpuint (ov_test_count_rois (out), ==, 3 + 3 * 2);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
  g_free (launch);
}

static void
test_inference_interval (void)
{
  GstVideoInfo info;
  char *launch = ssd_launch ("inference-interval=3");
  GstHarness *h;

  ov_test_video_info (&info, GST_VIDEO_FORMAT_BGRx, 64, 48);
  h = ov_test_harness (launch, &info);
  for (int i = 0; i < 7; i++) {
    GstBuffer *out = gst_harness_push_and_pull (h,
        ov_test_solid_frame (&info, 255, 255, 255));
    g_assert_cmpuint (ov_test_count_rois (out), ==, i % 3 == 0 ? 2 : 0);
    gst_buffer_unref (out);
  }
  gst_harness_teardown (h);
  g_free (launch);
}

/* EOS leaves after every frame before it; flushing drops what is queued
 * and the element works again afterwards. */
static void
test_eos_and_flush (void)
{
  GstVideoInfo info;
  char *launch = ssd_launch ("nireq=2");
  GstHarness *h;
  GstEvent *ev;

  ov_test_video_info (&info, GST_VIDEO_FORMAT_BGRx, 64, 48);
  h = ov_test_harness (launch, &info);
  for (int i = 0; i < 5; i++)
    gst_harness_push (h, ov_test_solid_frame (&info, 255, 255, 255));
  g_assert_true (gst_harness_push_event (h, gst_event_new_flush_start ()));
  g_assert_true (gst_harness_push_event (h, gst_event_new_flush_stop (TRUE)));
  /* Whatever left before the flush, the element runs afterwards. */
  while (gst_harness_try_pull (h))
    ;
  {
    GstSegment seg;
    gst_segment_init (&seg, GST_FORMAT_TIME);
    gst_harness_push_event (h, gst_event_new_segment (&seg));
  }
  for (int i = 0; i < 3; i++)
    g_assert_cmpint (gst_harness_push (h,
            ov_test_solid_frame (&info, 255, 255, 255)), ==, GST_FLOW_OK);
  g_assert_true (gst_harness_push_event (h, gst_event_new_eos ()));
  for (int i = 0; i < 3; i++) {
    GstBuffer *out = gst_harness_pull (h);
    g_assert_cmpuint (ov_test_count_rois (out), ==, 2);
    gst_buffer_unref (out);
  }
  /* EOS after the frames. */
  while ((ev = gst_harness_pull_event (h))) {
    gboolean eos = GST_EVENT_TYPE (ev) == GST_EVENT_EOS;
    gst_event_unref (ev);
    if (eos)
      break;
  }
  gst_harness_teardown (h);
  g_free (launch);
}

static void
test_state_cycling (void)
{
  GstElement *e = gst_element_factory_make ("ovdetect", NULL);
  g_object_set (e, "model", ov_test_model ("detect-ssd.onnx"), NULL);
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

/* Stopping with requests running and a batch half filled, again and
 * again: nothing hangs, nothing leaks, and it infers after each start. */
static void
test_state_cycling_in_flight (void)
{
  GstVideoInfo info;
  char *launch = g_strdup_printf ("ovdetect model=%s model-proc=%s "
      "threshold=0.5 batch-size=2 nireq=2",
      ov_test_model ("detect-yolov8-batch.onnx"),
      ov_test_model ("detect-yolov8.json"));
  GstHarness *h;

  ov_test_video_info (&info, GST_VIDEO_FORMAT_RGB, 64, 64);
  h = ov_test_harness (launch, &info);
  for (int i = 0; i < OV_TEST_STATE_CYCLES; i++) {
    GstBuffer *out;
    for (int k = 0; k < 3; k++)
      g_assert_cmpint (gst_harness_push (h, ov_test_solid_frame (&info, 255,
                  255, 255)), ==, GST_FLOW_OK);
    out = gst_harness_pull (h);
    g_assert_cmpuint (ov_test_count_rois (out), ==, 4);
    gst_buffer_unref (out);
    g_assert_cmpint (gst_element_set_state (h->element, GST_STATE_NULL), ==,
        GST_STATE_CHANGE_SUCCESS);
    g_assert_cmpint (gst_element_set_state (h->element, GST_STATE_PLAYING),
        ==, GST_STATE_CHANGE_SUCCESS);
    /* A new stream: its caps again. */
    gst_harness_set_src_caps (h, gst_video_info_to_caps (&info));
    while ((out = gst_harness_try_pull (h)))
      gst_buffer_unref (out);
  }
  gst_harness_teardown (h);
  g_free (launch);
}

static void
expect_error (const char *model, const char *prop, const char *value,
    const char *needle)
{
  GstElement *e = gst_element_factory_make ("ovdetect", NULL);
  char *msg;
  if (model)
    g_object_set (e, "model", model, NULL);
  if (prop)
    gst_util_set_object_arg (G_OBJECT (e), prop, value);
  msg = ov_test_expect_start_error (e);
  g_assert_nonnull (msg);
  if (strstr (msg, needle) == NULL)
    g_error ("expected '%s' in the error, got: %s", needle, msg);
  g_free (msg);
  gst_object_unref (e);
}

static void
test_errors (void)
{
  expect_error (NULL, NULL, NULL, "No model");
  expect_error ("/nonexistent/model.onnx", NULL, NULL, "not found");
  expect_error (ov_test_model ("corrupt.onnx"), NULL, NULL, "Cannot load");
  expect_error (ov_test_model ("detect-ssd.onnx"), "device", "GPU.9",
      "not available");
  expect_error (ov_test_model ("detect-ssd.onnx"), "model-proc",
      "/nonexistent.json", "not found");
  /* A classifier's outputs fit no detection converter. */
  expect_error (ov_test_model ("classify.onnx"), NULL, NULL,
      "no detection converter");
  /* Fixed batches must match batch-size. */
  expect_error (ov_test_model ("detect-ssd.onnx"), "batch-size", "4",
      "fixed batch of 1, not batch-size 4");
  expect_error (ov_test_model ("detect-ssd-batch2.onnx"), NULL, NULL,
      "fixed batch of 2, not batch-size 1");
  /* Recognized as raw YOLO grids without model-proc, but no anchors. */
  expect_error (ov_test_model ("detect-yolov5-grid.onnx"), NULL, NULL,
      "need `anchors`");
}

static void
test_wrong_caps (void)
{
  char *launch = ssd_launch (NULL);
  GstHarness *h = gst_harness_new_parse (launch);
  /* Not a format the element accepts. */
  gst_harness_set_src_caps_str (h, "video/x-raw,format=UYVY,width=64,"
      "height=48,framerate=30/1");
  g_assert_cmpint (gst_harness_push (h, gst_buffer_new_allocate (NULL,
              64 * 48 * 2, NULL)), ==, GST_FLOW_NOT_NEGOTIATED);
  gst_harness_teardown (h);
  g_free (launch);
}

/* Elements sharing one request pool must not starve each other: while a
 * sink prerolls, its branch cannot push, and its queued frames used to keep
 * every request, so the other branches never prerolled (a deadlock). */
static void
test_shared_pool_preroll (void)
{
  GString *launch = g_string_new (NULL);
  GstElement *pipeline;
  GstBus *bus;
  GstMessage *msg;

  if (!ov_test_load_system_plugin ("coreelements")
      || !ov_test_load_system_plugin ("videotestsrc")) {
    g_test_skip ("needs GStreamer's coreelements and videotestsrc");
    g_string_free (launch, TRUE);
    return;
  }
  for (int i = 0; i < 3; i++)
    g_string_append_printf (launch, "videotestsrc num-buffers=20 pattern=white "
        "! video/x-raw,format=BGRx,width=64,height=48 ! ovdetect model=%s "
        "model-proc=%s model-instance-id=preroll-test nireq=1 ! fakesink ",
        ov_test_model ("detect-ssd.onnx"), ov_test_model ("detect-ssd.json"));
  pipeline = gst_parse_launch (launch->str, NULL);
  g_assert_nonnull (pipeline);
  bus = gst_element_get_bus (pipeline);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  g_assert_nonnull (msg);
  g_assert_cmpint (GST_MESSAGE_TYPE (msg), ==, GST_MESSAGE_EOS);
  gst_message_unref (msg);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
  g_string_free (launch, TRUE);
}

int
main (int argc, char **argv)
{
  ov_test_init (&argc, &argv);
  g_test_add_func ("/ovdetect/ssd-boxes", test_ssd_boxes);
  g_test_add_func ("/ovdetect/threshold", test_threshold);
  g_test_add_func ("/ovdetect/formats", test_formats);
  g_test_add_func ("/ovdetect/yolov8", test_yolov8);
  g_test_add_func ("/ovdetect/ssd-anchors", test_ssd_anchors);
  g_test_add_func ("/ovdetect/yolov5-grid", test_yolov5_grid);
  g_test_add_func ("/ovdetect/anchor-errors", test_anchor_errors);
  g_test_add_func ("/ovdetect/order", test_order);
  g_test_add_func ("/ovdetect/rois-one-request", test_rois_one_request);
  g_test_add_func ("/ovdetect/batch", test_batch);
  g_test_add_func ("/ovdetect/batch-detection-output",
      test_batch_detection_output);
  g_test_add_func ("/ovdetect/inference-interval", test_inference_interval);
  g_test_add_func ("/ovdetect/eos-and-flush", test_eos_and_flush);
  g_test_add_func ("/ovdetect/shared-pool-preroll", test_shared_pool_preroll);
  g_test_add_func ("/ovdetect/state-cycling", test_state_cycling);
  g_test_add_func ("/ovdetect/state-cycling-in-flight",
      test_state_cycling_in_flight);
  g_test_add_func ("/ovdetect/errors", test_errors);
  g_test_add_func ("/ovdetect/wrong-caps", test_wrong_caps);
  return ov_test_run ();
}
