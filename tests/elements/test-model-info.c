/* Pre- and post-processing from an IR's model_info (as Ultralytics writes
 * it) without model-proc, pre-process-config on top of it or on its own,
 * scale-method, and their errors. The identity models output the
 * pre-processed tensor itself, so each test reads the values the
 * pre-processing wrote. */
#include "ovtest.h"

#include <math.h>
#include <string.h>

#include "gstovmeta.h"
#include "gstovmodelinfo.h"

#define W 6
#define H 4

/* Runs `launch` on one solid frame of width x height and copies the
 * frame's tensor (3 x H x W floats, channel-major) into `out`. */
static void
pixels_of (const char *launch, int width, int height, guint8 r, guint8 g,
    guint8 b, float out[3 * H * W])
{
  GstVideoInfo info;
  GstHarness *h;
  GstBuffer *buf;
  GstOvTensorMeta *tm;
  gsize size = 0;
  gconstpointer data;

  ov_test_video_info (&info, GST_VIDEO_FORMAT_RGB, width, height);
  h = ov_test_harness (launch, &info);
  buf = gst_harness_push_and_pull (h, ov_test_solid_frame (&info, r, g, b));
  g_assert_nonnull (buf);
  tm = (GstOvTensorMeta *) gst_buffer_get_meta (buf,
      GST_OV_TENSOR_META_API_TYPE);
  g_assert_nonnull (tm);
  data = gst_ov_tensor_structure_get_data (tm->data, &size);
  g_assert_cmpuint (size, ==, 3 * H * W * sizeof (float));
  memcpy (out, data, size);
  gst_buffer_unref (buf);
  gst_harness_teardown (h);
}

/* Row y of channel c holds `image` where the picture is, else `border`. */
static void
check_rows (const float *t, int c, int first_image_row, int image_rows,
    float image, float border)
{
  for (int y = 0; y < H; y++) {
    gboolean in = y >= first_image_row && y < first_image_row + image_rows;
    for (int x = 0; x < W; x++) {
      float v = t[(c * H + y) * W + x];
      if (fabsf (v - (in ? image : border)) > 1e-5f)
        g_error ("channel %d (%d, %d): %g, expected %g", c, x, y, v,
            in ? image : border);
    }
  }
}

/* The label ovclassify gives a solid frame of (r, g, b) with `model` and
 * the extra `props`, on the whole frame (owned by the caller). */
static gchar *
full_frame_label (const char *model, const char *props, guint8 r, guint8 g,
    guint8 b)
{
  char *launch = g_strdup_printf ("ovclassify model=%s "
      "inference-region=full-frame %s", ov_test_model (model), props);
  GstVideoInfo info;
  GstHarness *h;
  GstBuffer *out;
  GstOvTensorMeta *tm;
  gchar *label;

  ov_test_video_info (&info, GST_VIDEO_FORMAT_BGRx, 16, 16);
  h = ov_test_harness (launch, &info);
  out = gst_harness_push_and_pull (h, ov_test_solid_frame (&info, r, g, b));
  tm = (GstOvTensorMeta *) gst_buffer_get_meta (out,
      GST_OV_TENSOR_META_API_TYPE);
  g_assert_nonnull (tm);
  label = g_strdup (gst_structure_get_string (tm->data, "label"));
  gst_buffer_unref (out);
  gst_harness_teardown (h);
  g_free (launch);
  return label;
}

/* identity-model-info says: letterbox (centered) with border 114, RGB,
 * pixels / 255. A 12x4 frame fills 6x2 of the 6x4 tensor. */
static void
test_ultralytics_model_info (void)
{
  char *launch = g_strdup_printf ("ovinference model=%s",
      ov_test_model ("identity-model-info.xml"));
  float t[3 * H * W];

  pixels_of (launch, 12, 4, 200, 100, 50, t);
  check_rows (t, 0, 1, 2, 200 / 255.0f, 114 / 255.0f);
  check_rows (t, 1, 1, 2, 100 / 255.0f, 114 / 255.0f);
  check_rows (t, 2, 1, 2, 50 / 255.0f, 114 / 255.0f);
  g_free (launch);

  /* pre-process-config overrides model_info's keys. */
  launch = g_strdup_printf ("ovinference model=%s pre-process-config="
      "\"reverse_input_channels=no, resize_type=fit_to_window,"
      "VAAPI_FAST_SCALE_LOAD_FACTOR=1\" scale-method=fast",
      ov_test_model ("identity-model-info.xml"));
  pixels_of (launch, 12, 4, 200, 100, 50, t);
  check_rows (t, 0, 0, 2, 50 / 255.0f, 114 / 255.0f);
  check_rows (t, 2, 0, 2, 200 / 255.0f, 114 / 255.0f);
  g_free (launch);
}

/* An Ultralytics ONNX export: the same pre-processing from its metadata
 * (author, task), its names as labels. */
static void
test_ultralytics_onnx (void)
{
  char *launch = g_strdup_printf ("ovinference model=%s",
      ov_test_model ("identity-ultralytics.onnx"));
  float t[3 * H * W];
  gchar *label;

  pixels_of (launch, 12, 4, 200, 100, 50, t);
  check_rows (t, 0, 1, 2, 200 / 255.0f, 114 / 255.0f);
  check_rows (t, 2, 1, 2, 50 / 255.0f, 114 / 255.0f);
  g_free (launch);

  /* A classifier: no letterbox, RGB, labels from names. */
  label = full_frame_label ("classify-ultralytics.onnx", "", 240, 20, 10);
  g_assert_cmpstr (label, ==, "red");
  g_free (label);
}

/* pre-process-config alone, on a model with neither model-proc nor
 * model_info: mean and scale per channel, in pixel units. */
static void
test_pre_process_config (void)
{
  char *launch = g_strdup_printf ("ovinference model=%s pre-process-config="
      "\"color_space=RGB,mean_values=[10 20 30],scale_values=2 4 5,"
      "resize_type=fit_to_window_letterbox,pad_value=30\"",
      ov_test_model ("identity.onnx"));
  float t[3 * H * W];

  pixels_of (launch, 12, 4, 200, 100, 50, t);
  check_rows (t, 0, 1, 2, (200 - 10) / 2.0f, (30 - 10) / 2.0f);
  check_rows (t, 1, 1, 2, (100 - 20) / 4.0f, (30 - 20) / 4.0f);
  check_rows (t, 2, 1, 2, (50 - 30) / 5.0f, (30 - 30) / 5.0f);
  g_free (launch);

  /* It also overrides a model-proc file: classify.json says RGB, range
   * 0..1; this says BGR, and the range stays. */
  launch = g_strdup_printf ("ovinference model=%s model-proc=%s "
      "pre-process-config=reverse_input_channels=false",
      ov_test_model ("identity.onnx"), ov_test_model ("classify.json"));
  pixels_of (launch, W, H, 200, 100, 50, t);
  check_rows (t, 0, 0, H, 50 / 255.0f, 0);
  check_rows (t, 2, 0, H, 200 / 255.0f, 0);
  g_free (launch);
}

/* classify-model-info: labels and RGB order from model_info. */
static void
test_classify_labels (void)
{
  gchar *label = full_frame_label ("classify-model-info.xml", "", 240, 20,
      10);
  g_assert_cmpstr (label, ==, "red");
  g_free (label);
  /* The labels property still wins. */
  label = full_frame_label ("classify-model-info.xml", "labels=x,y,z", 10, 240,
      10);
  g_assert_cmpstr (label, ==, "y");
  g_free (label);
}

static void
expect_error (const char *model, const char *prop, const char *value,
    const char *needle)
{
  GstElement *e = gst_element_factory_make ("ovinference", NULL);
  char *msg;
  g_object_set (e, "model", ov_test_model (model), NULL);
  if (prop)
    g_object_set (e, prop, value, NULL);
  msg = ov_test_expect_start_error (e);
  g_assert_nonnull (msg);
  if (strstr (msg, needle) == NULL)
    g_error ("expected '%s' in: %s", needle, msg);
  g_free (msg);
  gst_object_unref (e);
}

static void
test_errors (void)
{
  expect_error ("identity-bad-model-info.xml", NULL, NULL,
      "model_info: resize_type=sideways: expected standard");
  expect_error ("identity.onnx", "pre-process-config", "scale_values=0",
      "pre-process-config: scale_values=0: expected numbers other than 0");
  expect_error ("identity.onnx", "pre-process-config", "mean_values=1 2",
      "expected one or three numbers");
  expect_error ("identity.onnx", "pre-process-config", "pad_value=300",
      "pad_value=300: expected a number from 0 to 255");
  expect_error ("identity.onnx", "pre-process-config", "color_space",
      "'color_space' is not KEY=VALUE");
  expect_error ("identity.onnx", "scale-method", "bicubic",
      "scale-method 'bicubic' is not supported");
}

/* Keys for nothing here: a warning naming them, and the stream runs. */
static void
test_unknown_keys (void)
{
  char *launch = g_strdup_printf ("ovinference model=%s pre-process-config="
      "\"labels=a,reverse_input_channels=yes\"",
      ov_test_model ("identity.onnx"));
  GstElement *e = gst_parse_launch (launch, NULL);
  GstBus *bus = gst_bus_new ();
  GstMessage *m;
  GstHarness *h;
  GstVideoInfo info;
  GstBuffer *out;
  gboolean warned = FALSE;

  gst_element_set_bus (e, bus);
  ov_test_video_info (&info, GST_VIDEO_FORMAT_RGB, W, H);
  h = gst_harness_new_with_element (e, "sink", "src");
  gst_harness_set_src_caps (h, gst_video_info_to_caps (&info));
  out = gst_harness_push_and_pull (h, ov_test_solid_frame (&info, 1, 2, 3));
  g_assert_nonnull (out);
  gst_buffer_unref (out);
  while ((m = gst_bus_pop (bus))) {
    g_assert_cmpint (GST_MESSAGE_TYPE (m), !=, GST_MESSAGE_ERROR);
    if (GST_MESSAGE_TYPE (m) == GST_MESSAGE_WARNING) {
      GError *err = NULL;
      gst_message_parse_warning (m, &err, NULL);
      g_assert_nonnull (strstr (err->message, "ignored: labels"));
      g_error_free (err);
      warned = TRUE;
    }
    gst_message_unref (m);
  }
  g_assert_true (warned);
  gst_element_set_bus (e, NULL);
  gst_object_unref (bus);
  gst_object_unref (e);
  gst_harness_teardown (h);
  g_free (launch);
}

static void
test_names (void)
{
  static const struct {
    const char *text;
    const char *joined;         /* "|"-joined, NULL: refused */
  } cases[] = {
    { "{0: 'person', 1: 'traffic light'}", "person|traffic light" },
    { " {0:\"kid's toy\",1:'a\\'b', 2: ''} ", "kid's toy|a'b|" },
    { "{0: 'x',}", "x" },
    { "{}", NULL },
    { "{1: 'a'}", NULL },
    { "{0: 'a', 2: 'b'}", NULL },
    { "{0: 'a'", NULL },
    { "{0: 'a}", NULL },
    { "[0, 1]", NULL },
    { "{0: a}", NULL },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    char **names = gst_ov_model_info_parse_names (cases[i].text);
    char *joined = names ? g_strjoinv ("|", names) : NULL;
    g_assert_cmpstr (joined, ==, cases[i].joined);
    g_free (joined);
    g_strfreev (names);
  }
}

int
main (int argc, char **argv)
{
  ov_test_init (&argc, &argv);
  g_test_add_func ("/model-info/ultralytics", test_ultralytics_model_info);
  g_test_add_func ("/model-info/ultralytics-onnx", test_ultralytics_onnx);
  g_test_add_func ("/model-info/pre-process-config",
      test_pre_process_config);
  g_test_add_func ("/model-info/classify-labels", test_classify_labels);
  g_test_add_func ("/model-info/errors", test_errors);
  g_test_add_func ("/model-info/names", test_names);
  g_test_add_func ("/model-info/unknown-keys", test_unknown_keys);
  return ov_test_run ();
}
