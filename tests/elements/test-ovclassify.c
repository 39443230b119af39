/* ovclassify: per-ROI crops (a frame red on the left, blue on the right),
 * object-class filtering, full-frame results, labels sources,
 * reclassification of tracked objects, errors. */
#include "ovtest.h"

#include "gstovlandmarks.h"
#include "gstovmeta.h"

#include <glib/gstdio.h>
#include <string.h>

static void
halves (int x, int y, guint8 rgb[3], gpointer data)
{
  int w = GPOINTER_TO_INT (data);
  rgb[0] = x < w / 2 ? 230 : 10;
  rgb[1] = 20;
  rgb[2] = x < w / 2 ? 10 : 240;
}

static GstBuffer *
frame_with_rois (const GstVideoInfo *info)
{
  GstBuffer *buf = ov_test_frame (info, halves,
      GINT_TO_POINTER (GST_VIDEO_INFO_WIDTH (info)));
  int w = GST_VIDEO_INFO_WIDTH (info), h = GST_VIDEO_INFO_HEIGHT (info);
  gst_ov_add_detection (buf, w, h, 2, 2, w / 2 - 2, h - 2, 0.9, 0, "car");
  gst_ov_add_detection (buf, w, h, w / 2 + 2, 2, w - 2, h - 2, 0.8, 1, "person");
  return buf;
}

static const char *
color_of (GstBuffer *buf, guint n)
{
  GstVideoRegionOfInterestMeta *roi = ov_test_nth_roi (buf, n);
  GstStructure *s = roi
      ? gst_video_region_of_interest_meta_get_param (roi, "color") : NULL;
  return s ? gst_structure_get_string (s, "label") : NULL;
}

static char *
launch_with (const char *extra)
{
  return g_strdup_printf ("ovclassify model=%s model-proc=%s %s",
      ov_test_model ("classify.onnx"), ov_test_model ("classify.json"),
      extra ? extra : "");
}

static void
test_rois (void)
{
  static const GstVideoFormat formats[] = { GST_VIDEO_FORMAT_BGRx,
    GST_VIDEO_FORMAT_NV12, GST_VIDEO_FORMAT_I420, GST_VIDEO_FORMAT_RGB };
  char *launch = launch_with (NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (formats); i++) {
    GstVideoInfo info;
    GstHarness *h;
    GstBuffer *out;
    GstStructure *s;
    gpointer state = NULL;
    ov_test_video_info (&info, formats[i], 96, 40);
    h = ov_test_harness (launch, &info);
    out = gst_harness_push_and_pull (h, frame_with_rois (&info));
    g_assert_cmpstr (color_of (out, 0), ==, "red");
    g_assert_cmpstr (color_of (out, 1), ==, "blue");
    s = gst_video_region_of_interest_meta_get_param (
        (GstVideoRegionOfInterestMeta *) gst_buffer_iterate_meta_filtered (out,
            &state, GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE), "color");
    g_assert_cmpstr (gst_structure_get_string (s, "model_name"), ==, "classify");
    g_assert_cmpstr (gst_structure_get_string (s, "layer_name"), ==, "prob");
    gst_buffer_unref (out);
    gst_harness_teardown (h);
  }
  g_free (launch);
}

static void
test_object_class (void)
{
  GstVideoInfo info;
  char *launch = launch_with ("object-class=person");
  GstHarness *h;
  GstBuffer *out;

  ov_test_video_info (&info, GST_VIDEO_FORMAT_BGRx, 96, 40);
  h = ov_test_harness (launch, &info);
  out = gst_harness_push_and_pull (h, frame_with_rois (&info));
  g_assert_null (color_of (out, 0));
  g_assert_cmpstr (color_of (out, 1), ==, "blue");
  gst_buffer_unref (out);
  gst_harness_teardown (h);
  g_free (launch);
}

/* Full frame: the result is a GstOvTensorMeta. The model's color order
 * without model-proc is BGR, so a red frame's top class is index 2. */
static void
test_full_frame_labels (void)
{
  GstVideoInfo info;
  char *launch = g_strdup_printf ("ovclassify model=%s inference-region="
      "full-frame labels-file=%s", ov_test_model ("classify.onnx"),
      ov_test_model ("colors.txt"));
  GstHarness *h;
  GstBuffer *out;
  GstOvTensorMeta *tm;
  gint id;

  ov_test_video_info (&info, GST_VIDEO_FORMAT_RGBA, 32, 32);
  h = ov_test_harness (launch, &info);
  out = gst_harness_push_and_pull (h, ov_test_solid_frame (&info, 250, 5, 5));
  tm = (GstOvTensorMeta *) gst_buffer_get_meta (out,
      GST_OV_TENSOR_META_API_TYPE);
  g_assert_nonnull (tm);
  g_assert_true (gst_structure_get_int (tm->data, "label_id", &id));
  g_assert_cmpint (id, ==, 2);
  g_assert_cmpstr (gst_structure_get_string (tm->data, "label"), ==, "blue");
  g_assert_true (gst_structure_has_name (tm->data,
          "classification_layer_name:prob"));
  gst_buffer_unref (out);
  gst_harness_teardown (h);
  g_free (launch);

  /* The labels property, and no labels at all: a raw tensor. */
  launch = g_strdup_printf ("ovclassify model=%s inference-region=full-frame "
      "labels=b,g,r", ov_test_model ("classify.onnx"));
  h = ov_test_harness (launch, &info);
  out = gst_harness_push_and_pull (h, ov_test_solid_frame (&info, 250, 5, 5));
  tm = (GstOvTensorMeta *) gst_buffer_get_meta (out, GST_OV_TENSOR_META_API_TYPE);
  g_assert_cmpstr (gst_structure_get_string (tm->data, "label"), ==, "r");
  gst_buffer_unref (out);
  gst_harness_teardown (h);
  g_free (launch);

  launch = g_strdup_printf ("ovclassify model=%s inference-region=full-frame",
      ov_test_model ("classify.onnx"));
  h = ov_test_harness (launch, &info);
  out = gst_harness_push_and_pull (h, ov_test_solid_frame (&info, 250, 5, 5));
  tm = (GstOvTensorMeta *) gst_buffer_get_meta (out, GST_OV_TENSOR_META_API_TYPE);
  {
    gsize size;
    const float *v = gst_ov_tensor_structure_get_data (tm->data, &size);
    g_assert_cmpuint (size, ==, 3 * sizeof (float));
    /* BGR channel means of the raw pixels. */
    g_assert_cmpfloat_with_epsilon (v[0], 5.0, 1e-3);
    g_assert_cmpfloat_with_epsilon (v[2], 250.0, 1e-3);
  }
  gst_buffer_unref (out);
  gst_harness_teardown (h);
  g_free (launch);
}

/* halves, mirrored: blue on the left, red on the right. */
static void
swapped_halves (int x, int y, guint8 rgb[3], gpointer data)
{
  halves (GST_VIDEO_INFO_WIDTH ((GstVideoInfo *) data) - 1 - x, y, rgb,
      GINT_TO_POINTER (GST_VIDEO_INFO_WIDTH ((GstVideoInfo *) data)));
}

/* Regions batched across frames (three per inference, two per frame)
 * with a single request: a frame's later regions need the request its
 * earlier ones still hold, so that one is finished first. Odd frames swap
 * the colors: results must land on their own regions. */
static void
test_batch_rois (void)
{
  GstVideoInfo info;
  char *launch = g_strdup_printf ("ovclassify model=%s model-proc=%s "
      "batch-size=3 nireq=1", ov_test_model ("classify-batch.onnx"),
      ov_test_model ("classify.json"));
  GstHarness *h;
  const int n = 5;

  ov_test_video_info (&info, GST_VIDEO_FORMAT_BGRx, 96, 40);
  h = ov_test_harness (launch, &info);
  for (int i = 0; i < n; i++) {
    GstBuffer *in = frame_with_rois (&info);
    if (i % 2) {
      GstBuffer *swapped = ov_test_frame (&info, swapped_halves, &info);
      /* Same regions, mirrored pixels. */
      gst_buffer_copy_into (swapped, in, GST_BUFFER_COPY_META, 0, -1);
      gst_buffer_unref (in);
      in = swapped;
    }
    g_assert_cmpint (gst_harness_push (h, in), ==, GST_FLOW_OK);
  }
  g_assert_true (gst_harness_push_event (h, gst_event_new_eos ()));
  for (int i = 0; i < n; i++) {
    GstBuffer *out = gst_harness_pull (h);
    g_assert_cmpstr (color_of (out, 0), ==, i % 2 ? "blue" : "red");
    g_assert_cmpstr (color_of (out, 1), ==, i % 2 ? "red" : "blue");
    gst_buffer_unref (out);
  }
  gst_harness_teardown (h);
  g_free (launch);
}

/* Tracked objects: with reclassify-interval=3 the second and third
 * sightings reuse the first result even when the pixels change. */
static void
test_reclassify (void)
{
  GstVideoInfo info;
  char *launch = launch_with ("reclassify-interval=3");
  GstHarness *h;

  ov_test_video_info (&info, GST_VIDEO_FORMAT_BGRx, 32, 32);
  h = ov_test_harness (launch, &info);
  for (int i = 0; i < 4; i++) {
    GstBuffer *in = i == 0 || i == 3 ? ov_test_solid_frame (&info, 250, 5, 5)
        : ov_test_solid_frame (&info, 5, 5, 250);
    GstVideoRegionOfInterestMeta *roi = gst_ov_add_detection (in, 32, 32, 0, 0,
        32, 32, 0.9, 0, "car");
    GstBuffer *out;
    gst_ov_roi_set_object_id (roi, 7);
    out = gst_harness_push_and_pull (h, in);
    /* Frames 1 and 2 are blue but reuse "red"; frame 3 is inferred. */
    g_assert_cmpstr (color_of (out, 0), ==, "red");
    gst_buffer_unref (out);
  }
  gst_harness_teardown (h);
  g_free (launch);
}

/* landmark_points: the model's points (in its letterboxed input) come out
 * normalized to the ROI. The 40x20 ROI fills the 16x16 input's rows
 * 4..12, so input (0.25, 0.25) is ROI (0.25, 0) and (0.75, 0.5) is
 * ROI (0.75, 0.5). */
static void
test_landmark_points (void)
{
  GstVideoInfo info;
  char *launch = g_strdup_printf ("ovclassify model=%s model-proc=%s",
      ov_test_model ("landmarks.onnx"), ov_test_model ("landmarks.json"));
  GstHarness *h;
  GstBuffer *in, *out;
  GstVideoRegionOfInterestMeta *roi;
  float *pts;
  int n = 0;

  ov_test_video_info (&info, GST_VIDEO_FORMAT_RGB, 96, 40);
  h = ov_test_harness (launch, &info);
  in = ov_test_frame (&info, halves, GINT_TO_POINTER (96));
  gst_ov_add_detection (in, 96, 40, 10, 10, 50, 30, 0.9, 1, "face");
  out = gst_harness_push_and_pull (h, in);
  roi = ov_test_nth_roi (out, 0);
  pts = gst_ov_roi_get_landmarks (roi, &n);
  g_assert_cmpint (n, ==, 2);
  g_assert_cmpfloat_with_epsilon (pts[0], 10 + 0.25 * 40, 1e-3);
  g_assert_cmpfloat_with_epsilon (pts[1], 10.0, 1e-3);
  g_assert_cmpfloat_with_epsilon (pts[2], 10 + 0.75 * 40, 1e-3);
  g_assert_cmpfloat_with_epsilon (pts[3], 20.0, 1e-3);
  g_assert_nonnull (gst_video_region_of_interest_meta_get_param (roi,
          "landmarks"));
  g_free (pts);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
  g_free (launch);
}

/* alignment=landmarks-box crops around the ROI's landmarks: a ROI mostly
 * on the red half with its landmarks on the blue part is classified blue;
 * without landmarks the ROI itself is cropped (red). */
static void
test_alignment (void)
{
  GstVideoInfo info;
  char *launch = g_strdup_printf ("ovclassify model=%s model-proc=%s",
      ov_test_model ("classify.onnx"), ov_test_model ("classify-aligned.json"));
  GstHarness *h;
  GstBuffer *in, *out;
  GstVideoRegionOfInterestMeta *roi;
  float rel[4] = { 0.9f, 0.1f, 1.0f, 0.9f };
  gint64 dims[2] = { 1, 4 };

  ov_test_video_info (&info, GST_VIDEO_FORMAT_RGB, 96, 40);
  h = ov_test_harness (launch, &info);
  in = ov_test_frame (&info, halves, GINT_TO_POINTER (96));
  gst_ov_add_detection (in, 96, 40, 2, 2, 62, 38, 0.9, 1, "face");
  gst_ov_add_detection (in, 96, 40, 2, 2, 62, 38, 0.9, 1, "face");
  roi = ov_test_nth_roi (in, 0);
  gst_video_region_of_interest_meta_add_param (roi,
      gst_ov_tensor_structure_new ("landmarks", "points", "landmarks",
          GST_OV_PRECISION_FP32, GST_OV_LAYOUT_NC, dims, 2, rel, sizeof rel,
          GST_OV_LANDMARKS_FORMAT));
  out = gst_harness_push_and_pull (h, in);
  g_assert_cmpstr (color_of (out, 0), ==, "blue");
  g_assert_cmpstr (color_of (out, 1), ==, "red");
  gst_buffer_unref (out);
  gst_harness_teardown (h);
  g_free (launch);
}

static void
test_bad_model_proc (void)
{
  GstElement *e = gst_element_factory_make ("ovclassify", NULL);
  char *path = g_build_filename (g_get_tmp_dir (), "bad-model-proc.json", NULL);
  char *msg;
  g_assert_true (g_file_set_contents (path, "{\"output_postproc\": [{"
          "\"converter\": \"no_such_converter\"}]}", -1, NULL));
  g_object_set (e, "model", ov_test_model ("classify.onnx"), "model-proc", path,
      NULL);
  msg = ov_test_expect_start_error (e);
  g_assert_nonnull (strstr (msg, "no_such_converter"));
  g_free (msg);
  g_assert_true (g_file_set_contents (path, "{ not json", -1, NULL));
  msg = ov_test_expect_start_error (e);
  g_assert_nonnull (strstr (msg, "model-proc"));
  g_free (msg);
  g_assert_true (g_file_set_contents (path, "{\"output_postproc\": [{"
          "\"layer_name\": \"missing\", \"converter\": \"label\"}]}", -1, NULL));
  msg = ov_test_expect_start_error (e);
  g_assert_nonnull (strstr (msg, "missing"));
  g_free (msg);
  g_unlink (path);
  g_free (path);
  gst_object_unref (e);
}

int
main (int argc, char **argv)
{
  ov_test_init (&argc, &argv);
  g_test_add_func ("/ovclassify/rois", test_rois);
  g_test_add_func ("/ovclassify/object-class", test_object_class);
  g_test_add_func ("/ovclassify/full-frame-labels", test_full_frame_labels);
  g_test_add_func ("/ovclassify/reclassify", test_reclassify);
  g_test_add_func ("/ovclassify/batch-rois", test_batch_rois);
  g_test_add_func ("/ovclassify/bad-model-proc", test_bad_model_proc);
  g_test_add_func ("/ovclassify/landmark-points", test_landmark_points);
  g_test_add_func ("/ovclassify/alignment", test_alignment);
  return ov_test_run ();
}
