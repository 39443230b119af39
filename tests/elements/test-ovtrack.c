/* ovtrack: ids on ROIs across frames, objects carried through frames the
 * detector skipped, the appearance path on every format, settings errors,
 * flushing, state cycling, and behind a real ovdetect. */
#include "ovtest.h"

#include <math.h>

#include "gstovmeta.h"

/* A detection frame: the detector's mark and the given boxes. */
static GstBuffer *
detected_frame (const GstVideoInfo *info, const double (*boxes)[4], int n,
    const char *label)
{
  GstBuffer *buf = ov_test_solid_frame (info, 40, 40, 40);
  int w = GST_VIDEO_INFO_WIDTH (info), h = GST_VIDEO_INFO_HEIGHT (info);
  gst_ov_buffer_mark_detected (buf);
  for (int i = 0; i < n; i++)
    g_assert_nonnull (gst_ov_add_detection (buf, w, h, boxes[i][0],
            boxes[i][1], boxes[i][0] + boxes[i][2], boxes[i][1] + boxes[i][3],
            0.8, 2, label));
  return buf;
}

static void
test_ids_across_frames (void)
{
  const char *types[] = { "zero-term-imageless", "zero-term",
    "short-term-imageless" };
  for (guint t = 0; t < G_N_ELEMENTS (types); t++) {
    GstVideoInfo info;
    char *launch = g_strdup_printf ("ovtrack tracking-type=%s", types[t]);
    GstHarness *h;
    gint first[2] = { 0, 0 };

    ov_test_video_info (&info, GST_VIDEO_FORMAT_BGRx, 320, 240);
    h = ov_test_harness (launch, &info);
    for (int f = 0; f < 12; f++) {
      /* Two cars driving towards each other, listed in alternating order. */
      double boxes[2][4] = { { 10 + 8 * f, 40, 50, 30 },
        { 250 - 8 * f, 150, 50, 30 } };
      int order = f % 2;
      double listed[2][4];
      GstBuffer *out;
      memcpy (listed[0], boxes[order], sizeof listed[0]);
      memcpy (listed[1], boxes[1 - order], sizeof listed[1]);
      out = gst_harness_push_and_pull (h, detected_frame (&info, listed, 2,
              "car"));
      g_assert_cmpuint (ov_test_count_rois (out), ==, 2);
      for (int i = 0; i < 2; i++) {
        int which = i == 0 ? order : 1 - order;
        gint id = gst_ov_roi_get_object_id (ov_test_nth_roi (out, i));
        g_assert_cmpint (id, >=, 1);
        if (f == 0)
          first[which] = id;
        g_assert_cmpint (id, ==, first[which]);
      }
      gst_buffer_unref (out);
    }
    g_assert_cmpint (first[0], !=, first[1]);
    gst_harness_teardown (h);
    g_free (launch);
  }
}

/* short-term-imageless fills frames the detector skipped with predicted
 * boxes; a detection frame that misses the object stops carrying it. The
 * zero-term trackers add nothing. */
static void
test_carry_between_detections (void)
{
  for (int short_term = 0; short_term < 2; short_term++) {
    GstVideoInfo info;
    GstHarness *h;
    GstBuffer *out;
    gint id = 0;

    ov_test_video_info (&info, GST_VIDEO_FORMAT_NV12, 320, 240);
    h = ov_test_harness (short_term ? "ovtrack tracking-type=short-term-imageless"
        : "ovtrack tracking-type=zero-term-imageless", &info);
    for (int f = 0; f < 6; f++) {
      double box[1][4] = { { 20 + 6 * f, 60, 40, 40 } };
      out = gst_harness_push_and_pull (h, detected_frame (&info, box, 1,
              "person"));
      id = gst_ov_roi_get_object_id (ov_test_nth_roi (out, 0));
      gst_buffer_unref (out);
    }
    /* Two skipped frames: the object keeps moving 6 px per frame. */
    for (int f = 6; f < 8; f++) {
      out = gst_harness_push_and_pull (h, ov_test_solid_frame (&info, 0, 0,
              0));
      if (short_term) {
        GstVideoRegionOfInterestMeta *roi = ov_test_nth_roi (out, 0);
        double confidence;
        int label_id;
        const char *label;
        g_assert_cmpuint (ov_test_count_rois (out), ==, 1);
        g_assert_cmpint (gst_ov_roi_get_object_id (roi), ==, id);
        g_assert_true (gst_ov_roi_get_detection (roi, &confidence, &label_id,
                &label));
        g_assert_cmpstr (label, ==, "person");
        g_assert_cmpint (label_id, ==, 2);
        g_assert_cmpfloat_with_epsilon (confidence, 0.8, 1e-9);
        g_assert_cmpint (abs ((int) roi->x - (20 + 6 * f)), <=, 3);
        g_assert_cmpint (abs ((int) roi->y - 60), <=, 2);
        g_assert_cmpint (abs ((int) roi->w - 40), <=, 2);
      } else {
        g_assert_cmpuint (ov_test_count_rois (out), ==, 0);
      }
      gst_buffer_unref (out);
    }
    /* The detector looked and found nothing: nothing is carried after. */
    out = gst_harness_push_and_pull (h, detected_frame (&info, NULL, 0, NULL));
    g_assert_cmpuint (ov_test_count_rois (out), ==, 0);
    gst_buffer_unref (out);
    out = gst_harness_push_and_pull (h, ov_test_solid_frame (&info, 0, 0, 0));
    g_assert_cmpuint (ov_test_count_rois (out), ==, 0);
    gst_buffer_unref (out);
    gst_harness_teardown (h);
  }
}

/* The objects' color histograms: two differently colored squares on a
 * gray frame, in every 8-bit layout family. */
static void
two_squares (int x, int y, guint8 rgb[3], gpointer data)
{
  const int *offset = data;
  rgb[0] = rgb[1] = rgb[2] = 90;
  if (y >= 40 && y < 100 && x >= 20 + *offset && x < 80 + *offset) {
    rgb[0] = 230;
    rgb[1] = 20;
    rgb[2] = 20;
  } else if (y >= 120 && y < 180 && x >= 200 - *offset && x < 260 - *offset) {
    rgb[0] = 20;
    rgb[1] = 20;
    rgb[2] = 230;
  }
}

static void
test_appearance_formats (void)
{
  const GstVideoFormat formats[] = { GST_VIDEO_FORMAT_RGB,
    GST_VIDEO_FORMAT_BGRx, GST_VIDEO_FORMAT_ARGB, GST_VIDEO_FORMAT_NV12,
    GST_VIDEO_FORMAT_I420, GST_VIDEO_FORMAT_GRAY8 };
  for (guint i = 0; i < G_N_ELEMENTS (formats); i++) {
    GstVideoInfo info;
    GstHarness *h;
    gint ids[2] = { 0, 0 };

    ov_test_video_info (&info, formats[i], 301, 211);     /* odd sizes */
    h = ov_test_harness ("ovtrack tracking-type=zero-term", &info);
    for (int f = 0; f < 5; f++) {
      int offset = 5 * f;
      GstBuffer *in = ov_test_frame (&info, two_squares, &offset), *out;
      gst_ov_buffer_mark_detected (in);
      gst_ov_add_detection (in, 301, 211, 20 + offset, 40, 80 + offset, 100,
          0.9, 0, "a");
      gst_ov_add_detection (in, 301, 211, 200 - offset, 120, 260 - offset,
          180, 0.9, 0, "a");
      /* And one hanging off the frame's corner. */
      gst_ov_add_detection (in, 301, 211, 290, 200, 400, 300, 0.9, 0, "a");
      out = gst_harness_push_and_pull (h, in);
      for (int k = 0; k < 2; k++) {
        gint id = gst_ov_roi_get_object_id (ov_test_nth_roi (out, k));
        if (f == 0)
          ids[k] = id;
        g_assert_cmpint (id, ==, ids[k]);
      }
      gst_buffer_unref (out);
    }
    g_assert_cmpint (ids[0], !=, ids[1]);
    gst_harness_teardown (h);
  }
}

static char *
start_error (const char *prop, const char *value)
{
  GstElement *e = gst_element_factory_make ("ovtrack", NULL);
  char *msg;
  gst_util_set_object_arg (G_OBJECT (e), prop, value);
  msg = ov_test_expect_start_error (e);
  gst_object_unref (e);
  return msg;
}

static void
test_settings (void)
{
  char *msg;
  GstElement *e;
  GstVideoInfo info;
  GstHarness *h;
  GstBuffer *out;
  double boxes[2][4] = { { 10, 10, 30, 30 }, { 100, 100, 30, 30 } };

  msg = start_error ("device", "GPU");
  g_assert_nonnull (msg);
  g_assert_nonnull (strstr (msg, "CPU"));
  g_free (msg);
  msg = start_error ("config", "max_num_objects=many");
  g_assert_nonnull (strstr (msg, "max_num_objects"));
  g_free (msg);
  msg = start_error ("config", "tracking_per_class");
  g_assert_nonnull (strstr (msg, "KEY=VALUE"));
  g_free (msg);

  /* DL Streamer's nicknames and numbers. */
  e = gst_element_factory_make ("ovtrack", NULL);
  gst_util_set_object_arg (G_OBJECT (e), "tracking-type", "1");
  {
    gint type;
    g_object_get (e, "tracking-type", &type, NULL);
    g_assert_cmpint (type, ==, 1);
  }
  gst_object_unref (e);

  /* config limits the objects; unknown keys only warn. */
  ov_test_video_info (&info, GST_VIDEO_FORMAT_RGB, 160, 160);
  h = ov_test_harness ("ovtrack device=cpu config=\"max_num_objects=1,"
      "tracking_per_class=false,vas_tuning=3\"", &info);
  out = gst_harness_push_and_pull (h, detected_frame (&info, boxes, 2, "x"));
  g_assert_cmpint (gst_ov_roi_get_object_id (ov_test_nth_roi (out, 0)), >=, 1);
  g_assert_cmpint (gst_ov_roi_get_object_id (ov_test_nth_roi (out, 1)), ==, -1);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
}

/* A flush forgets the objects; ids are not reused. */
static void
test_flush (void)
{
  GstVideoInfo info;
  GstHarness *h;
  GstBuffer *out;
  double box[1][4] = { { 10, 10, 30, 30 } };
  gint id;

  ov_test_video_info (&info, GST_VIDEO_FORMAT_RGB, 64, 64);
  h = ov_test_harness ("ovtrack", &info);
  out = gst_harness_push_and_pull (h, detected_frame (&info, box, 1, "x"));
  id = gst_ov_roi_get_object_id (ov_test_nth_roi (out, 0));
  gst_buffer_unref (out);
  g_assert_true (gst_harness_push_event (h, gst_event_new_flush_start ()));
  g_assert_true (gst_harness_push_event (h, gst_event_new_flush_stop (TRUE)));
  {
    GstSegment seg;
    gst_segment_init (&seg, GST_FORMAT_TIME);
    gst_harness_push_event (h, gst_event_new_segment (&seg));
  }
  out = gst_harness_push_and_pull (h, detected_frame (&info, box, 1, "x"));
  g_assert_cmpint (gst_ov_roi_get_object_id (ov_test_nth_roi (out, 0)), >, id);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
}

static void
test_state_cycling (void)
{
  GstVideoInfo info;
  GstHarness *h;
  double box[1][4] = { { 10, 10, 30, 30 } };

  ov_test_video_info (&info, GST_VIDEO_FORMAT_I420, 64, 64);
  h = ov_test_harness ("ovtrack", &info);
  for (int i = 0; i < 100; i++) {
    GstBuffer *out = gst_harness_push_and_pull (h, detected_frame (&info, box,
            1, "x"));
    g_assert_cmpint (gst_ov_roi_get_object_id (ov_test_nth_roi (out, 0)), >=, 1);
    gst_buffer_unref (out);
    g_assert_cmpint (gst_element_set_state (h->element, GST_STATE_NULL), ==,
        GST_STATE_CHANGE_SUCCESS);
    g_assert_cmpint (gst_element_set_state (h->element, GST_STATE_PLAYING), ==,
        GST_STATE_CHANGE_SUCCESS);
  }
  gst_harness_teardown (h);
}

/* Behind ovdetect with inference-interval: every frame has the objects,
 * with the same ids (the SSD test model finds two boxes on white). */
static void
test_behind_ovdetect (void)
{
  GstVideoInfo info;
  char *launch = g_strdup_printf ("ovdetect model=%s model-proc=%s "
      "inference-interval=3 ! ovtrack tracking-type=short-term-imageless",
      ov_test_model ("detect-ssd.onnx"), ov_test_model ("detect-ssd.json"));
  GstHarness *h;
  gint ids[2] = { 0, 0 };

  ov_test_video_info (&info, GST_VIDEO_FORMAT_BGRx, 64, 48);
  h = ov_test_harness (launch, &info);
  for (int i = 0; i < 7; i++) {
    GstBuffer *out = gst_harness_push_and_pull (h,
        ov_test_solid_frame (&info, 255, 255, 255));
    g_assert_cmpuint (ov_test_count_rois (out), ==, 2);
    for (int k = 0; k < 2; k++) {
      gint id = gst_ov_roi_get_object_id (ov_test_nth_roi (out, k));
      if (i == 0)
        ids[k] = id;
      g_assert_cmpint (id, >=, 1);
      g_assert_cmpint (id, ==, ids[k]);
    }
    gst_buffer_unref (out);
  }
  gst_harness_teardown (h);
  g_free (launch);
}

/* A detection frame whose ROIs carry re-identification features, as
 * ovinference inference-region=roi-list attaches them: ROI i at boxes[i]
 * with features[i] (8 floats, or none for NULL). */
static GstBuffer *
featured_frame (const GstVideoInfo *info, const double (*boxes)[4],
    const float (*features)[8], int n)
{
  GstBuffer *buf = detected_frame (info, boxes, n, "person");
  const gint64 dims[2] = { 1, 8 };
  for (int i = 0; i < n; i++)
    if (features[i][0] >= 0)
      gst_video_region_of_interest_meta_add_param (ov_test_nth_roi (buf, i),
          gst_ov_tensor_structure_new ("inference_layer_name:features",
              "features", "reid", GST_OV_PRECISION_FP32, GST_OV_LAYOUT_NC,
              dims, 2, features[i], sizeof features[i], NULL));
  return buf;
}

/* deep-sort: ids from the n_init-th frame; two people trading places keep
 * theirs by their features; deepsort-trck-cfg and its errors; ROIs
 * without features are a warning. */
static void
test_deep_sort (void)
{
  const float features[2][8] = { { 1, 2, 0, 0, 0, 0, 0, 0 },
    { 0, 0, 3, 1, 0, 0, 0, 0 } };
  const float none[2][8] = { { -1 }, { -1 } };
  double boxes[2][4] = { { 40, 40, 30, 60 }, { 55, 40, 30, 60 } };
  double swapped[2][4] = { { 55, 40, 30, 60 }, { 40, 40, 30, 60 } };
  GstVideoInfo info;
  GstHarness *h;
  GstBuffer *out;
  GstBus *bus;
  GstMessage *m;
  gint ids[2];
  char *msg;

  ov_test_video_info (&info, GST_VIDEO_FORMAT_RGB, 160, 160);
  h = ov_test_harness ("ovtrack tracking-type=deep-sort "
      "deepsort-trck-cfg=\"n_init=2,max_age=10,max_cosine_distance=0.3,"
      "nn_budget=5,max_iou_distance=0.8\"", &info);
  out = gst_harness_push_and_pull (h, featured_frame (&info, boxes, features,
          2));
  g_assert_cmpint (gst_ov_roi_get_object_id (ov_test_nth_roi (out, 0)), ==,
      -1);
  gst_buffer_unref (out);
  out = gst_harness_push_and_pull (h, featured_frame (&info, boxes, features,
          2));
  for (int i = 0; i < 2; i++) {
    ids[i] = gst_ov_roi_get_object_id (ov_test_nth_roi (out, i));
    g_assert_cmpint (ids[i], >=, 1);
  }
  g_assert_cmpint (ids[0], !=, ids[1]);
  gst_buffer_unref (out);
  out = gst_harness_push_and_pull (h, featured_frame (&info, swapped,
          features, 2));
  for (int i = 0; i < 2; i++)
    g_assert_cmpint (gst_ov_roi_get_object_id (ov_test_nth_roi (out, i)), ==,
        ids[i]);
  gst_buffer_unref (out);
  gst_harness_teardown (h);

  {
    GstElement *e = gst_element_factory_make ("ovtrack", NULL);
    gst_util_set_object_arg (G_OBJECT (e), "tracking-type", "deep-sort");
    g_object_set (e, "deepsort-trck-cfg", "n_init=0", NULL);
    msg = ov_test_expect_start_error (e);
    g_assert_nonnull (strstr (msg, "n_init=0 is not a whole number >= 1"));
    g_free (msg);
    g_object_set (e, "deepsort-trck-cfg", "max_cosine_distance=3", NULL);
    msg = ov_test_expect_start_error (e);
    g_assert_nonnull (strstr (msg, "is not in range"));
    g_free (msg);
    gst_util_set_object_arg (G_OBJECT (e), "deepsort-trck-cfg", "max_age");
    msg = ov_test_expect_start_error (e);
    g_assert_nonnull (strstr (msg, "KEY=VALUE"));
    g_free (msg);
    gst_object_unref (e);
  }

  /* No features: a warning, ids by overlap. */
  bus = gst_bus_new ();
  h = ov_test_harness ("ovtrack tracking-type=3", &info);
  gst_element_set_bus (h->element, bus);
  for (int f = 0; f < 4; f++) {
    out = gst_harness_push_and_pull (h, featured_frame (&info, boxes, none,
            2));
    if (f == 3)
      g_assert_cmpint (gst_ov_roi_get_object_id (ov_test_nth_roi (out, 0)),
          >=, 1);
    gst_buffer_unref (out);
  }
  m = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
  g_assert_nonnull (m);
  gst_message_unref (m);
  g_assert_null (gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING));
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

int
main (int argc, char **argv)
{
  ov_test_init (&argc, &argv);
  g_test_add_func ("/ovtrack/ids-across-frames", test_ids_across_frames);
  g_test_add_func ("/ovtrack/carry-between-detections",
      test_carry_between_detections);
  g_test_add_func ("/ovtrack/appearance-formats", test_appearance_formats);
  g_test_add_func ("/ovtrack/settings", test_settings);
  g_test_add_func ("/ovtrack/flush", test_flush);
  g_test_add_func ("/ovtrack/state-cycling", test_state_cycling);
  g_test_add_func ("/ovtrack/behind-ovdetect", test_behind_ovdetect);
  g_test_add_func ("/ovtrack/deep-sort", test_deep_sort);
  return ov_test_run ();
}
