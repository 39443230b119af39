/* ovsegment: semantic masks (classes from the pixel colors, resized to the
 * frame or region with the letterbox undone), class-id outputs, per-class
 * probabilities, YOLOv8-seg instance masks (also through ovdetect), JSON,
 * ordering with requests in flight, error paths and state changes. */
#include "ovtest.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "gstovmeta.h"

/* Frames split in two colors, left/right at `split` or top/bottom. */
typedef struct {
  int split;
  gboolean vertical;            /* top/bottom */
  guint8 first[3], second[3];
} Split;

static void
split_color (int x, int y, guint8 rgb[3], gpointer data)
{
  const Split *s = data;
  memcpy (rgb, (s->vertical ? y : x) < s->split ? s->first : s->second, 3);
}

static GstBuffer *
red_green (const GstVideoInfo *info, int split, gboolean vertical)
{
  Split s = { split, vertical, { 255, 0, 0 }, { 0, 255, 0 } };
  return ov_test_frame (info, split_color, &s);
}

static char *
launch_of (const char *element, const char *model, const char *proc,
    const char *extra)
{
  char *proc_arg = proc ? g_strdup_printf ("model-proc=%s",
      ov_test_model (proc)) : g_strdup ("");
  char *l = g_strdup_printf ("%s model=%s %s %s", element,
      ov_test_model (model), proc_arg, extra ? extra : "");
  g_free (proc_arg);
  return l;
}

/* The frame's structure with this format, from its GstOvTensorMeta. */
static const GstStructure *
frame_result (GstBuffer *buf, const char *format)
{
  gpointer state = NULL;
  GstMeta *m;
  while ((m = gst_buffer_iterate_meta_filtered (buf, &state,
              GST_OV_TENSOR_META_API_TYPE))) {
    const GstStructure *s = ((GstOvTensorMeta *) m)->data;
    if (g_strcmp0 (gst_structure_get_string (s, "format"), format) == 0)
      return s;
  }
  return NULL;
}

static guint
count_frame_results (GstBuffer *buf)
{
  guint n = 0;
  gpointer state = NULL;
  while (gst_buffer_iterate_meta_filtered (buf, &state,
          GST_OV_TENSOR_META_API_TYPE))
    n++;
  return n;
}

static GstVideoRegionOfInterestMeta *
roi_labelled (GstBuffer *buf, const char *label)
{
  gpointer state = NULL;
  GstMeta *m;
  while ((m = gst_buffer_iterate_meta_filtered (buf, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE)))
    if (g_strcmp0 (gst_ov_roi_get_label ((GstVideoRegionOfInterestMeta *) m),
            label) == 0)
      return (GstVideoRegionOfInterestMeta *) m;
  return NULL;
}

static void
assert_dims (const GstStructure *s, int rank, const guint *want)
{
  const GValue *dims = gst_structure_get_value (s, "dims");
  g_assert_nonnull (dims);
  g_assert_cmpuint (gst_value_array_get_size (dims), ==, rank);
  for (int i = 0; i < rank; i++)
    g_assert_cmpuint (g_value_get_uint (gst_value_array_get_value (dims, i)),
        ==, want[i]);
}

static int
precision_of (const GstStructure *s)
{
  int p = -1;
  g_assert_true (gst_structure_get_int (s, "precision", &p));
  return p;
}

/* A U8 semantic mask of w x h: its bytes. */
static const guint8 *
byte_mask (const GstStructure *s, int w, int h)
{
  gsize size;
  const guint8 *data = gst_ov_tensor_structure_get_data (s, &size);
  g_assert_nonnull (s);
  g_assert_cmpstr (gst_structure_get_string (s, "format"), ==, "semantic_mask");
  g_assert_cmpint (precision_of (s), ==, GST_OV_PRECISION_U8);
  assert_dims (s, 3, (const guint[]) { 1, h, w });
  g_assert_cmpuint (size, ==, (gsize) w * h);
  return data;
}

/* Red left of x = 32, green right: class 1 then 2, every pixel (the test
 * model's resolution halving and the 2x / 1.5x scale land exactly). */
static void
test_semantic_full_frame (void)
{
  GstVideoInfo info;
  char *launch = launch_of ("ovsegment", "segment-semantic.onnx",
      "segment-semantic.json", NULL);
  GstHarness *h;
  GstBuffer *out;
  const GstStructure *s;
  const guint8 *mask;
  int id = -1;

  ov_test_video_info (&info, GST_VIDEO_FORMAT_RGB, 64, 48);
  h = ov_test_harness (launch, &info);
  out = gst_harness_push_and_pull (h, red_green (&info, 32, FALSE));
  g_assert_cmpuint (ov_test_count_rois (out), ==, 0);
  g_assert_cmpuint (count_frame_results (out), ==, 1);
  s = frame_result (out, "semantic_mask");
  mask = byte_mask (s, 64, 48);
  g_assert_true (gst_structure_has_name (s, "semantic_mask"));
  g_assert_cmpstr (gst_structure_get_string (s, "layer_name"), ==, "logits");
  g_assert_cmpstr (gst_structure_get_string (s, "model_name"), ==,
      "segment-semantic");
  g_assert_cmpstr (gst_structure_get_string (s, "converter"), ==,
      "semantic_mask");
  g_assert_true (gst_structure_get_int (s, "layout", &id));
  g_assert_cmpint (id, ==, GST_OV_LAYOUT_ANY);
  for (int y = 0; y < 48; y++)
    for (int x = 0; x < 64; x++)
      if (mask[y * 64 + x] != (x < 32 ? 1 : 2))
        g_error ("pixel (%d, %d) is class %d", x, y, mask[y * 64 + x]);
  gst_buffer_unref (out);
  /* White: background everywhere. */
  out = gst_harness_push_and_pull (h, ov_test_solid_frame (&info, 255, 255,
          255));
  mask = byte_mask (frame_result (out, "semantic_mask"), 64, 48);
  for (int i = 0; i < 64 * 48; i++)
    g_assert_cmpint (mask[i], ==, 0);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
  g_free (launch);
}

/* aspect-ratio: a 64x32 frame fills rows 8..23 of the 32x32 input, the
 * rest is black border (class 0). Mapped back, the top half is red, the
 * bottom green, and no border row leaks into the mask. */
static void
test_semantic_letterbox (void)
{
  GstVideoInfo info;
  char *launch = launch_of ("ovsegment", "segment-semantic.onnx",
      "segment-semantic-letterbox.json", NULL);
  GstHarness *h;
  GstBuffer *out;
  const guint8 *mask;

  ov_test_video_info (&info, GST_VIDEO_FORMAT_BGRx, 64, 32);
  h = ov_test_harness (launch, &info);
  out = gst_harness_push_and_pull (h, red_green (&info, 16, TRUE));
  mask = byte_mask (frame_result (out, "semantic_mask"), 64, 32);
  for (int y = 0; y < 32; y++)
    for (int x = 0; x < 64; x++)
      if (mask[y * 64 + x] != (y < 16 ? 1 : 2))
        g_error ("pixel (%d, %d) is class %d", x, y, mask[y * 64 + x]);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
  g_free (launch);
}

/* Every color format (gray has no red or green), odd sizes: the classes
 * away from the color edge. */
static void
test_semantic_formats (void)
{
  static const GstVideoFormat formats[] = {
    GST_VIDEO_FORMAT_RGB, GST_VIDEO_FORMAT_BGR, GST_VIDEO_FORMAT_RGBx,
    GST_VIDEO_FORMAT_BGRx, GST_VIDEO_FORMAT_xRGB, GST_VIDEO_FORMAT_xBGR,
    GST_VIDEO_FORMAT_RGBA, GST_VIDEO_FORMAT_BGRA, GST_VIDEO_FORMAT_ARGB,
    GST_VIDEO_FORMAT_ABGR, GST_VIDEO_FORMAT_NV12, GST_VIDEO_FORMAT_I420,
  };
  char *launch = launch_of ("ovsegment", "segment-semantic.onnx",
      "segment-semantic.json", NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (formats); i++) {
    GstVideoInfo info;
    GstHarness *h;
    GstBuffer *out;
    const guint8 *mask;
    ov_test_video_info (&info, formats[i], 67, 45);
    h = ov_test_harness (launch, &info);
    out = gst_harness_push_and_pull (h, red_green (&info, 34, FALSE));
    mask = byte_mask (frame_result (out, "semantic_mask"), 67, 45);
    for (int y = 0; y < 45; y++) {
      for (int x = 0; x < 67; x++) {
        if (x >= 30 && x < 38)
          continue;
        if (mask[y * 67 + x] != (x < 34 ? 1 : 2))
          g_error ("%s: pixel (%d, %d) is class %d",
              gst_video_format_to_string (formats[i]), x, y, mask[y * 67 + x]);
      }
    }
    gst_buffer_unref (out);
    gst_harness_teardown (h);
  }
  g_free (launch);
}

/* roi-list: the mask covers the region (16, 8) 32x24, which straddles the
 * color edge; a region of another class is left alone. */
static void
test_semantic_roi (void)
{
  GstVideoInfo info;
  char *launch = launch_of ("ovsegment", "segment-semantic.onnx",
      "segment-semantic.json", "inference-region=roi-list object-class=thing");
  GstHarness *h;
  GstBuffer *in, *out;
  GstVideoRegionOfInterestMeta *roi;
  const guint8 *mask;

  ov_test_video_info (&info, GST_VIDEO_FORMAT_RGB, 64, 48);
  h = ov_test_harness (launch, &info);
  in = red_green (&info, 32, FALSE);
  gst_buffer_add_video_region_of_interest_meta (in, "thing", 16, 8, 32, 24);
  gst_buffer_add_video_region_of_interest_meta (in, "other", 0, 0, 64, 48);
  out = gst_harness_push_and_pull (h, in);
  g_assert_cmpuint (count_frame_results (out), ==, 0);
  g_assert_null (gst_video_region_of_interest_meta_get_param (
          roi_labelled (out, "other"), "semantic_mask"));
  roi = roi_labelled (out, "thing");
  mask = byte_mask (gst_video_region_of_interest_meta_get_param (roi,
          "semantic_mask"), 32, 24);
  for (int y = 0; y < 24; y++)
    for (int x = 0; x < 32; x++)
      if (mask[y * 32 + x] != (x < 16 ? 1 : 2))
        g_error ("pixel (%d, %d) is class %d", x, y, mask[y * 32 + x]);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
  g_free (launch);
}

/* Class-id outputs (int64, recognized without a converter name): the same
 * classes; beyond 255 the mask takes 32-bit ids. */
static void
test_semantic_class_ids (void)
{
  GstVideoInfo info;
  char *launch = launch_of ("ovsegment", "segment-classes.onnx",
      "segment-classes.json", NULL);
  char *wide = launch_of ("ovsegment", "segment-classes-wide.onnx",
      "segment-classes.json", NULL);
  GstHarness *h;
  GstBuffer *out;
  const GstStructure *s;
  const guint8 *mask;
  const gint32 *ids;
  gsize size;

  ov_test_video_info (&info, GST_VIDEO_FORMAT_RGB, 64, 48);
  h = ov_test_harness (launch, &info);
  out = gst_harness_push_and_pull (h, red_green (&info, 32, FALSE));
  s = frame_result (out, "semantic_mask");
  mask = byte_mask (s, 64, 48);
  g_assert_cmpstr (gst_structure_get_string (s, "layer_name"), ==, "classes");
  for (int y = 0; y < 48; y++)
    for (int x = 0; x < 64; x++)
      g_assert_cmpint (mask[y * 64 + x], ==, x < 32 ? 1 : 2);
  gst_buffer_unref (out);
  gst_harness_teardown (h);

  h = ov_test_harness (wide, &info);
  out = gst_harness_push_and_pull (h, red_green (&info, 32, FALSE));
  s = frame_result (out, "semantic_mask");
  g_assert_cmpint (precision_of (s), ==, GST_OV_PRECISION_I32);
  assert_dims (s, 3, (const guint[]) { 1, 48, 64 });
  ids = gst_ov_tensor_structure_get_data (s, &size);
  g_assert_cmpuint (size, ==, 64 * 48 * 4);
  g_assert_cmpint (ids[0], ==, 150);
  g_assert_cmpint (ids[47 * 64 + 63], ==, 300);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
  g_free (launch);
  g_free (wide);
}

/* add-probabilities: softmax of the logits at the output's resolution
 * (16x16 here), covering the frame like the mask. */
static void
test_probabilities (void)
{
  GstVideoInfo info;
  char *launch = launch_of ("ovsegment", "segment-semantic.onnx",
      "segment-semantic.json", "add-probabilities=true");
  char *plain = launch_of ("ovsegment", "segment-semantic.onnx",
      "segment-semantic.json", NULL);
  GstHarness *h;
  GstBuffer *out;
  const GstStructure *s;
  const float *p;
  gsize size;
  /* A red pixel's logits: 0.5, 2, -1. */
  double sum = exp (0.5) + exp (2.0) + exp (-1.0);

  ov_test_video_info (&info, GST_VIDEO_FORMAT_RGB, 64, 48);
  h = ov_test_harness (launch, &info);
  out = gst_harness_push_and_pull (h, red_green (&info, 32, FALSE));
  g_assert_cmpuint (count_frame_results (out), ==, 2);
  g_assert_nonnull (frame_result (out, "semantic_mask"));
  s = frame_result (out, "semantic_probabilities");
  g_assert_nonnull (s);
  g_assert_cmpint (precision_of (s), ==, GST_OV_PRECISION_FP32);
  assert_dims (s, 3, (const guint[]) { 3, 16, 16 });
  p = gst_ov_tensor_structure_get_data (s, &size);
  g_assert_cmpuint (size, ==, 3 * 16 * 16 * sizeof (float));
  for (int y = 0; y < 16; y++) {
    /* Red at column 0: class 1; green at 15: class 2. */
    g_assert_cmpfloat_with_epsilon (p[256 + y * 16], exp (2.0) / sum, 1e-4);
    g_assert_cmpfloat_with_epsilon (p[512 + y * 16 + 15], exp (2.0) / sum,
        1e-4);
    g_assert_cmpfloat_with_epsilon (p[y * 16] + p[256 + y * 16]
        + p[512 + y * 16], 1.0, 1e-5);
  }
  gst_buffer_unref (out);
  gst_harness_teardown (h);

  h = ov_test_harness (plain, &info);
  out = gst_harness_push_and_pull (h, red_green (&info, 32, FALSE));
  g_assert_cmpuint (count_frame_results (out), ==, 1);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
  g_free (launch);
  g_free (plain);
}

/* A "mask_yolov8" structure: its probabilities, checking the layout. */
static const float *
instance_mask (GstVideoRegionOfInterestMeta *roi, guint w, guint h)
{
  GstStructure *s;
  gsize size;
  g_assert_nonnull (roi);
  s = gst_video_region_of_interest_meta_get_param (roi, "mask_yolov8");
  g_assert_nonnull (s);
  g_assert_cmpstr (gst_structure_get_string (s, "format"), ==,
      "segmentation_mask");
  g_assert_cmpint (precision_of (s), ==, GST_OV_PRECISION_FP32);
  assert_dims (s, 2, (const guint[]) { w, h });
  g_assert_cmpstr (gst_structure_get_string (s, "layer_name"), ==, "output1");
  g_assert_cmpstr (gst_structure_get_string (s, "model_name"), ==,
      "segment-yolov8");
  g_assert_nonnull (gst_structure_get_string (s, "converter"));
  g_assert_nonnull (gst_ov_tensor_structure_get_data (s, &size));
  g_assert_cmpuint (size, ==, (gsize) w * h * sizeof (float));
  return gst_ov_tensor_structure_get_data (s, NULL);
}

/* The instance model on a square 64x64 frame, red left, green right
 * (brightness 1/3: scores 0.3, 0.27, 0.28, 0.03): NMS leaves the whole-
 * frame "reddish" object, whose mask is the red half, and the "box"
 * (40, 8) 16x16, whose mask is on in its top half. */
static void
check_instances (const char *element)
{
  GstVideoInfo info;
  char *launch = launch_of (element, "segment-yolov8.onnx",
      "segment-yolov8.json", "threshold=0.2");
  GstHarness *h;
  GstBuffer *out;
  GstVideoRegionOfInterestMeta *roi;
  const float *m;
  double conf;

  ov_test_video_info (&info, GST_VIDEO_FORMAT_RGB, 64, 64);
  h = ov_test_harness (launch, &info);
  out = gst_harness_push_and_pull (h, red_green (&info, 32, FALSE));
  g_assert_cmpuint (ov_test_count_rois (out), ==, 2);
  g_assert_cmpuint (count_frame_results (out), ==, 0);
  roi = roi_labelled (out, "reddish");
  g_assert_nonnull (roi);
  g_assert_cmpuint (roi->x, ==, 0);
  g_assert_cmpuint (roi->w, ==, 64);
  g_assert_cmpuint (roi->h, ==, 64);
  g_assert_true (gst_ov_roi_get_detection (roi, &conf, NULL, NULL));
  g_assert_cmpfloat_with_epsilon (conf, 0.3, 1e-4);
  /* The prototypes' 16x16 pixels: columns 0..7 red. */
  m = instance_mask (roi, 16, 16);
  for (int y = 0; y < 16; y++)
    for (int x = 0; x < 16; x++)
      if (x < 8 ? m[y * 16 + x] < 0.99f : m[y * 16 + x] > 0.01f)
        g_error ("reddish mask (%d, %d) = %f", x, y, m[y * 16 + x]);
  roi = roi_labelled (out, "box");
  g_assert_nonnull (roi);
  g_assert_cmpuint (roi->x, ==, 40);
  g_assert_cmpuint (roi->y, ==, 8);
  g_assert_cmpuint (roi->w, ==, 16);
  g_assert_cmpuint (roi->h, ==, 16);
  m = instance_mask (roi, 4, 4);
  for (int y = 0; y < 4; y++)
    for (int x = 0; x < 4; x++)
      g_assert_cmpfloat_with_epsilon (m[y * 4 + x],
          1.0 / (1.0 + exp (y < 2 ? -6.0 : 6.0)), 1e-4);
  gst_buffer_unref (out);
  /* Black: no objects. */
  out = gst_harness_push_and_pull (h, ov_test_solid_frame (&info, 0, 0, 0));
  g_assert_cmpuint (ov_test_count_rois (out), ==, 0);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
  g_free (launch);
}

static void
test_instance (void)
{
  check_instances ("ovsegment");
}

/* ovdetect decodes yolo_v8_seg through the same path, and recognizes the
 * head without model-proc (its mask coefficients are not classes). */
static void
test_instance_ovdetect (void)
{
  GstVideoInfo info;
  char *launch = launch_of ("ovdetect", "segment-yolov8.onnx", NULL, NULL);
  GstHarness *h;
  GstBuffer *out;
  gpointer state = NULL;
  GstMeta *m;

  check_instances ("ovdetect");
  /* No model-proc: inputs 0..255, so a white frame's scores are 255
   * times larger; four candidates pass, NMS leaves three. */
  ov_test_video_info (&info, GST_VIDEO_FORMAT_RGB, 64, 64);
  h = ov_test_harness (launch, &info);
  out = gst_harness_push_and_pull (h, ov_test_solid_frame (&info, 255, 255,
          255));
  g_assert_cmpuint (ov_test_count_rois (out), ==, 3);
  while ((m = gst_buffer_iterate_meta_filtered (out, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    GstVideoRegionOfInterestMeta *roi = (GstVideoRegionOfInterestMeta *) m;
    int label_id;
    g_assert_true (gst_ov_roi_get_detection (roi, NULL, &label_id, NULL));
    g_assert_cmpint (label_id, <, 2);
    g_assert_nonnull (gst_video_region_of_interest_meta_get_param (roi,
            "mask_yolov8"));
  }
  gst_buffer_unref (out);
  gst_harness_teardown (h);
  g_free (launch);
}

/* aspect-ratio on a 128x64 frame: 16 border rows above and below the
 * content in the 64x64 input. The whole-input box is clipped to the frame
 * and its mask covers the frame only (16x8 prototype pixels, no border
 * row); the "box" (40, 8)-(56, 24) is half above the frame: its mask is
 * the lower half only, which is off. */
static void
test_instance_letterbox (void)
{
  GstVideoInfo info;
  char *launch = launch_of ("ovsegment", "segment-yolov8.onnx",
      "segment-yolov8.json", "threshold=0.1");
  GstHarness *h;
  GstBuffer *out;
  GstVideoRegionOfInterestMeta *roi;
  const float *m;

  ov_test_video_info (&info, GST_VIDEO_FORMAT_BGR, 128, 64);
  h = ov_test_harness (launch, &info);
  out = gst_harness_push_and_pull (h, red_green (&info, 64, FALSE));
  g_assert_cmpuint (ov_test_count_rois (out), ==, 2);
  roi = roi_labelled (out, "reddish");
  g_assert_cmpuint (roi->x, ==, 0);
  g_assert_cmpuint (roi->y, ==, 0);
  g_assert_cmpuint (roi->w, ==, 128);
  g_assert_cmpuint (roi->h, ==, 64);
  m = instance_mask (roi, 16, 8);
  for (int y = 0; y < 8; y++)
    for (int x = 0; x < 16; x++)
      if (x < 8 ? m[y * 16 + x] < 0.99f : m[y * 16 + x] > 0.01f)
        g_error ("reddish mask (%d, %d) = %f", x, y, m[y * 16 + x]);
  roi = roi_labelled (out, "box");
  g_assert_cmpuint (roi->x, ==, 80);
  g_assert_cmpuint (roi->y, ==, 0);
  g_assert_cmpuint (roi->w, ==, 32);
  g_assert_cmpuint (roi->h, ==, 16);
  m = instance_mask (roi, 4, 2);
  for (int i = 0; i < 8; i++)
    g_assert_cmpfloat (m[i], <, 0.01f);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
  g_free (launch);
}

/* Instance segmentation inside regions: objects are children of the
 * region they were found in. */
static void
test_instance_roi (void)
{
  GstVideoInfo info;
  char *launch = launch_of ("ovsegment", "segment-yolov8.onnx",
      "segment-yolov8.json", "threshold=0.2 inference-region=roi-list");
  GstHarness *h;
  GstBuffer *in, *out;
  GstVideoRegionOfInterestMeta *region, *roi;

  ov_test_video_info (&info, GST_VIDEO_FORMAT_RGB, 128, 128);
  h = ov_test_harness (launch, &info);
  in = red_green (&info, 64, FALSE);
  region = gst_buffer_add_video_region_of_interest_meta (in, "area", 32, 32,
      64, 64);
  region->id = 5;
  out = gst_harness_push_and_pull (h, in);
  /* With analytics metadata the region's id becomes its mtd's. */
  region = roi_labelled (out, "area");
  g_assert_nonnull (region);
  roi = roi_labelled (out, "reddish");
  g_assert_nonnull (roi);
  g_assert_cmpint (roi->parent_id, ==, region->id);
  g_assert_cmpuint (roi->x, ==, 32);
  g_assert_cmpuint (roi->w, ==, 64);
  instance_mask (roi, 16, 16);
  roi = roi_labelled (out, "box");
  g_assert_nonnull (roi);
  g_assert_cmpuint (roi->x, ==, 32 + 40);
  g_assert_cmpuint (roi->y, ==, 32 + 8);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
  g_free (launch);
}

static JsonObject *
json_of (GstBuffer *buf, JsonParser *parser)
{
  GstOvJsonMeta *m = gst_buffer_get_ov_json_meta (buf);
  g_assert_nonnull (m);
  g_assert_true (json_parser_load_from_data (parser, m->message, -1, NULL));
  return json_node_get_object (json_parser_get_root (parser));
}

/* ovmetaconvert: masks stay out of the JSON unless add-tensor-data; then
 * a semantic mask is its ids, an instance mask its probabilities. */
static void
test_json (void)
{
  GstVideoInfo info;
  char *seg = launch_of ("ovsegment", "segment-semantic.onnx",
      "segment-semantic.json", NULL);
  char *inst = launch_of ("ovsegment", "segment-yolov8.onnx",
      "segment-yolov8.json", "threshold=0.2");
  JsonParser *parser = json_parser_new ();
  for (int with_data = 0; with_data < 2; with_data++) {
    char *l1 = g_strdup_printf ("%s ! ovmetaconvert add-tensor-data=%s", seg,
        with_data ? "true" : "false");
    char *l2 = g_strdup_printf ("%s ! ovmetaconvert add-tensor-data=%s", inst,
        with_data ? "true" : "false");
    GstHarness *h;
    GstBuffer *out;
    JsonObject *root;

    ov_test_video_info (&info, GST_VIDEO_FORMAT_RGB, 64, 48);
    h = ov_test_harness (l1, &info);
    out = gst_harness_push_and_pull (h, red_green (&info, 32, FALSE));
    root = json_of (out, parser);
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (
                root, "objects")), ==, 0);
    if (!with_data) {
      g_assert_false (json_object_has_member (root, "tensors"));
    } else {
      JsonObject *t = json_array_get_object_element (
          json_object_get_array_member (root, "tensors"), 0);
      JsonArray *data = json_object_get_array_member (t, "data");
      JsonArray *dims = json_object_get_array_member (t, "dims");
      g_assert_cmpstr (json_object_get_string_member (t, "format"), ==,
          "semantic_mask");
      g_assert_cmpstr (json_object_get_string_member (t, "precision"), ==,
          "U8");
      g_assert_cmpint (json_array_get_int_element (dims, 1), ==, 48);
      g_assert_cmpint (json_array_get_int_element (dims, 2), ==, 64);
      g_assert_cmpuint (json_array_get_length (data), ==, 64 * 48);
      g_assert_cmpint (json_array_get_int_element (data, 0), ==, 1);
      g_assert_cmpint (json_array_get_int_element (data, 63), ==, 2);
    }
    gst_buffer_unref (out);
    gst_harness_teardown (h);

    ov_test_video_info (&info, GST_VIDEO_FORMAT_RGB, 64, 64);
    h = ov_test_harness (l2, &info);
    out = gst_harness_push_and_pull (h, red_green (&info, 32, FALSE));
    root = json_of (out, parser);
    {
      JsonArray *objects = json_object_get_array_member (root, "objects");
      JsonObject *o = json_array_get_object_element (objects, 0);
      g_assert_cmpuint (json_array_get_length (objects), ==, 2);
      g_assert_false (json_object_has_member (o, "mask_yolov8"));
      if (with_data) {
        JsonArray *tensors = json_object_get_array_member (o, "tensors");
        JsonObject *mask = NULL;
        for (guint i = 0; i < json_array_get_length (tensors); i++) {
          JsonObject *t = json_array_get_object_element (tensors, i);
          if (g_strcmp0 (json_object_get_string_member (t, "name"),
                  "mask_yolov8") == 0)
            mask = t;
        }
        g_assert_nonnull (mask);
        g_assert_cmpstr (json_object_get_string_member (mask, "format"), ==,
            "segmentation_mask");
        g_assert_cmpstr (json_object_get_string_member (mask, "precision"),
            ==, "FP32");
        g_assert_cmpuint (json_array_get_length (json_object_get_array_member (
                    mask, "data")), ==, 16 * 16);
        g_assert_cmpfloat (json_array_get_double_element (
                json_object_get_array_member (mask, "data"), 0), >, 0.99);
      } else {
        g_assert_false (json_object_has_member (o, "tensors"));
      }
    }
    gst_buffer_unref (out);
    gst_harness_teardown (h);
    g_free (l1);
    g_free (l2);
  }
  g_object_unref (parser);
  g_free (seg);
  g_free (inst);
}

/* With requests in flight, frames leave in order with their own masks,
 * all before EOS. */
static void
test_order_and_eos (void)
{
  GstVideoInfo info;
  char *launch = launch_of ("ovsegment", "segment-semantic.onnx",
      "segment-semantic.json", "nireq=3");
  GstHarness *h;
  GstEvent *ev;
  const int n = 9;
  gboolean eos = FALSE;

  ov_test_video_info (&info, GST_VIDEO_FORMAT_BGRx, 64, 48);
  h = ov_test_harness (launch, &info);
  for (int i = 0; i < n; i++) {
    GstBuffer *in = i % 3 == 0 ? ov_test_solid_frame (&info, 255, 255, 255)
        : red_green (&info, i % 3 == 1 ? 32 : 0, FALSE);
    GST_BUFFER_PTS (in) = i * GST_SECOND / 30;
    g_assert_cmpint (gst_harness_push (h, in), ==, GST_FLOW_OK);
  }
  g_assert_true (gst_harness_push_event (h, gst_event_new_eos ()));
  for (int i = 0; i < n; i++) {
    GstBuffer *out = gst_harness_pull (h);
    const guint8 *mask;
    g_assert_nonnull (out);
    g_assert_cmpuint (GST_BUFFER_PTS (out), ==, i * GST_SECOND / 30);
    mask = byte_mask (frame_result (out, "semantic_mask"), 64, 48);
    /* White: 0; split at 32: 1 on the left; split at 0: all green. */
    g_assert_cmpint (mask[0], ==, i % 3 == 0 ? 0 : i % 3 == 1 ? 1 : 2);
    g_assert_cmpint (mask[63], ==, i % 3 == 0 ? 0 : 2);
    gst_buffer_unref (out);
  }
  /* The source pad's task pushes EOS after the last frame, maybe after
   * that frame was pulled here: wait for it (the harness's pull times out
   * after 60 s, then eos stays FALSE). */
  while (!eos && (ev = gst_harness_pull_event (h))) {
    eos = GST_EVENT_TYPE (ev) == GST_EVENT_EOS;
    gst_event_unref (ev);
  }
  g_assert_true (eos);
  gst_harness_teardown (h);
  g_free (launch);
}

static void
test_state_cycling (void)
{
  const char *models[] = { "segment-semantic.onnx", "segment-yolov8.onnx" };
  for (gsize k = 0; k < G_N_ELEMENTS (models); k++) {
    GstElement *e = gst_element_factory_make ("ovsegment", NULL);
    g_object_set (e, "model", ov_test_model (models[k]), NULL);
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
}

/* A model-proc file with this output_postproc entry (JSON). */
static char *
write_proc (const char *postproc)
{
  GError *err = NULL;
  char *path = NULL;
  int fd = g_file_open_tmp ("ovsegment-XXXXXX.json", &path, &err);
  char *json = g_strdup_printf ("{\"json_schema_version\": \"2.2.0\", "
      "\"output_postproc\": [%s]}", postproc);
  g_assert_no_error (err);
  close (fd);
  g_assert_true (g_file_set_contents (path, json, -1, NULL));
  g_free (json);
  return path;
}

static void
expect_error (const char *model, const char *proc_entry, const char *needle)
{
  GstElement *e = gst_element_factory_make ("ovsegment", NULL);
  char *proc = proc_entry ? write_proc (proc_entry) : NULL;
  char *msg;
  if (model)
    g_object_set (e, "model", model, NULL);
  if (proc)
    g_object_set (e, "model-proc", proc, NULL);
  msg = ov_test_expect_start_error (e);
  g_assert_nonnull (msg);
  if (strstr (msg, needle) == NULL)
    g_error ("expected '%s' in the error, got: %s", needle, msg);
  g_free (msg);
  gst_object_unref (e);
  if (proc)
    g_unlink (proc);
  g_free (proc);
}

static void
test_errors (void)
{
  expect_error (NULL, NULL, "No model");
  expect_error ("/nonexistent/segmenter.onnx", NULL, "not found");
  expect_error (ov_test_model ("corrupt.onnx"), NULL, "Cannot load");
  /* A classifier's [1, 3] fits no segmentation converter. */
  expect_error (ov_test_model ("classify.onnx"), NULL,
      "no segmentation converter");
  /* A detection converter is not a segmentation one. */
  expect_error (ov_test_model ("segment-semantic.onnx"),
      "{\"converter\": \"yolo_v8\"}", "no segmentation converter");
  /* The converter named does not fit the outputs. */
  expect_error (ov_test_model ("segment-semantic.onnx"),
      "{\"converter\": \"yolo_v8_seg\"}", "yolo_v8_seg: expected boxes");
  expect_error (ov_test_model ("segment-classes.onnx"),
      "{\"converter\": \"semantic_mask\", \"layer_name\": \"nope\"}",
      "does not have");
  expect_error (ov_test_model ("segment-semantic.onnx"),
      "{\"converter\": \"mask_rcnn\"}", "not supported");
}

int
main (int argc, char **argv)
{
  ov_test_init (&argc, &argv);
  g_test_add_func ("/ovsegment/semantic-full-frame", test_semantic_full_frame);
  g_test_add_func ("/ovsegment/semantic-letterbox", test_semantic_letterbox);
  g_test_add_func ("/ovsegment/semantic-formats", test_semantic_formats);
  g_test_add_func ("/ovsegment/semantic-roi", test_semantic_roi);
  g_test_add_func ("/ovsegment/semantic-class-ids", test_semantic_class_ids);
  g_test_add_func ("/ovsegment/probabilities", test_probabilities);
  g_test_add_func ("/ovsegment/instance", test_instance);
  g_test_add_func ("/ovsegment/instance-ovdetect", test_instance_ovdetect);
  g_test_add_func ("/ovsegment/instance-letterbox", test_instance_letterbox);
  g_test_add_func ("/ovsegment/instance-roi", test_instance_roi);
  g_test_add_func ("/ovsegment/json", test_json);
  g_test_add_func ("/ovsegment/order-and-eos", test_order_and_eos);
  g_test_add_func ("/ovsegment/state-cycling", test_state_cycling);
  g_test_add_func ("/ovsegment/errors", test_errors);
  return ov_test_run ();
}
