/* Output converters and model-proc parsing, on hand-made tensors. */
#include <glib.h>
#include <math.h>

#include "gstovmodelproc.h"

static OviTensorView
view (float *data, int rank, const int64_t *dims)
{
  OviTensorView t = { OVI_DTYPE_FLOAT32, rank, { 0 }, data };
  for (int i = 0; i < rank; i++)
    t.dims[i] = dims[i];
  return t;
}

static void
test_nms (void)
{
  GArray *d = g_array_new (FALSE, FALSE, sizeof (OvDetection));
  OvDetection a = { 0, 0, 10, 10, 0.5f, 0 }, b = { 1, 1, 11, 11, 0.9f, 0 };
  OvDetection c = { 1, 1, 11, 11, 0.7f, 1 }, e = { 20, 20, 30, 30, 0.6f, 0 };
  g_array_append_val (d, a);
  g_array_append_val (d, b);
  g_array_append_val (d, c);
  g_array_append_val (d, e);
  g_assert_cmpfloat_with_epsilon (ov_iou (&a, &b), 81.0 / 119.0, 1e-6);
  ov_nms (d, 0.5f, FALSE);
  g_assert_cmpuint (d->len, ==, 3);
  g_assert_cmpfloat (g_array_index (d, OvDetection, 0).confidence, ==, 0.9f);
  g_assert_cmpint (g_array_index (d, OvDetection, 1).label_id, ==, 1);
  ov_nms (d, 0.5f, TRUE);
  g_assert_cmpuint (d->len, ==, 2);
  g_array_unref (d);
}

static void
test_detection_heads (void)
{
  OvDetectParams p = { 0.5f, 0.5f, 100, 50 };
  GArray *d = g_array_new (FALSE, FALSE, sizeof (OvDetection));
  GError *err = NULL;
  /* SSD: normalized, ends at image_id -1. */
  float ssd[3 * 7] = { 0, 3, 0.8f, 0.1f, 0.2f, 0.3f, 0.4f,
    -1, 0, 0, 0, 0, 0, 0, 0, 5, 0.99f, 0, 0, 1, 1 };
  int64_t ssd_dims[4] = { 1, 1, 3, 7 };
  /* YOLOv5: cx cy w h obj c0 c1; obj * class. */
  float v5[2 * 7] = { 50, 25, 20, 10, 0.9f, 0.2f, 0.8f,
    10, 10, 4, 4, 0.4f, 1.0f, 0.0f };
  int64_t v5_dims[3] = { 1, 2, 7 };
  /* YOLOv10: x0 y0 x1 y1 score class. */
  float v10[2 * 6] = { 1, 2, 3, 4, 0.7f, 2, 5, 5, 9, 9, 0.1f, 0 };
  int64_t v10_dims[3] = { 1, 2, 6 };
  /* boxes + labels, normalized boxes detected. */
  float boxes[2 * 5] = { 0.1f, 0.1f, 0.5f, 0.5f, 0.9f, 0.2f, 0.2f, 0.4f, 0.4f, 0.3f };
  int64_t labels[2] = { 4, 6 };
  int64_t bdims[2] = { 2, 5 }, ldims[1] = { 2 };
  OviTensorView bl[2] = { view (boxes, 2, bdims),
    { OVI_DTYPE_INT64, 1, { 2 }, labels } };
  OviTensorView t;

  t = view (ssd, 4, ssd_dims);
  g_assert_true (ov_converter_detect (OV_CONVERTER_DETECTION_OUTPUT, &t, 1, &p, d, &err));
  g_assert_cmpuint (d->len, ==, 1);
  g_assert_cmpfloat_with_epsilon (g_array_index (d, OvDetection, 0).x_min, 10.0, 1e-4);
  g_assert_cmpfloat_with_epsilon (g_array_index (d, OvDetection, 0).y_max, 20.0, 1e-4);
  g_assert_cmpint (ov_converter_guess_detection (&t, 1), ==, OV_CONVERTER_DETECTION_OUTPUT);
  g_array_set_size (d, 0);

  t = view (v5, 3, v5_dims);
  g_assert_true (ov_converter_detect (OV_CONVERTER_YOLO_V5, &t, 1, &p, d, &err));
  g_assert_cmpuint (d->len, ==, 1);
  g_assert_cmpint (g_array_index (d, OvDetection, 0).label_id, ==, 1);
  g_assert_cmpfloat_with_epsilon (g_array_index (d, OvDetection, 0).confidence, 0.72, 1e-5);
  g_assert_cmpfloat_with_epsilon (g_array_index (d, OvDetection, 0).x_min, 40.0, 1e-4);
  g_array_set_size (d, 0);

  t = view (v10, 3, v10_dims);
  g_assert_true (ov_converter_detect (OV_CONVERTER_YOLO_V10, &t, 1, &p, d, &err));
  g_assert_cmpuint (d->len, ==, 1);
  g_assert_cmpint (g_array_index (d, OvDetection, 0).label_id, ==, 2);
  g_assert_cmpint (ov_converter_guess_detection (&t, 1), ==, OV_CONVERTER_YOLO_V10);
  g_array_set_size (d, 0);

  (void) ldims;
  g_assert_true (ov_converter_detect (OV_CONVERTER_BOXES_LABELS, bl, 2, &p, d, &err));
  g_assert_cmpuint (d->len, ==, 1);
  g_assert_cmpint (g_array_index (d, OvDetection, 0).label_id, ==, 4);
  g_assert_cmpfloat_with_epsilon (g_array_index (d, OvDetection, 0).x_max, 50.0, 1e-4);
  g_assert_cmpint (ov_converter_guess_detection (bl, 2), ==, OV_CONVERTER_BOXES_LABELS);
  g_array_set_size (d, 0);

  /* Wrong shapes: an error, never a crash. */
  t = view (v10, 3, v10_dims);
  g_assert_false (ov_converter_detect (OV_CONVERTER_DETECTION_OUTPUT, &t, 1, &p, d, &err));
  g_assert_nonnull (err);
  g_clear_error (&err);
  g_assert_false (ov_converter_detect (OV_CONVERTER_BOXES_LABELS, &t, 1, &p, d, &err));
  g_clear_error (&err);
  g_array_unref (d);
}

static void
test_label (void)
{
  float logits[3] = { 1.0f, 3.0f, 2.0f };
  int64_t dims[2] = { 1, 3 };
  OviTensorView t = view (logits, 2, dims);
  int id;
  float conf;
  g_assert_true (ov_converter_label (&t, OV_LABEL_SOFTMAX, &id, &conf, NULL));
  g_assert_cmpint (id, ==, 1);
  g_assert_cmpfloat_with_epsilon (conf, 1.0 / (exp (-2) + 1 + exp (-1)), 1e-6);
  g_assert_true (ov_converter_label (&t, OV_LABEL_MAX, &id, &conf, NULL));
  g_assert_cmpfloat (conf, ==, 3.0f);
}

static void
test_model_proc (void)
{
  GError *err = NULL;
  const char *good = "{\"json_schema_version\": \"2.2.0\", \"input_preproc\": ["
      "{\"format\": \"image\", \"params\": {\"resize\": \"aspect-ratio\", "
      "\"color_space\": \"RGB\", \"range\": [0, 1], \"mean\": [0.5], "
      "\"std\": [0.25, 0.5, 1]}}], \"output_postproc\": [{\"layer_name\": "
      "\"prob\", \"attribute_name\": \"gender\", \"converter\": \"label\", "
      "\"method\": \"softmax\", \"labels\": [\"Female\", \"Male\"]}, "
      "{\"converter\": \"text\", \"text_scale\": 100, \"layer_name\": \"age\"}]}";
  GstOvModelProc *mp = gst_ov_model_proc_parse (good, -1, "x.json", &err);
  GstOvPostproc *pp;
  GstOvPreprocParams p;

  g_assert_no_error (err);
  g_assert_true (mp->has_resize && mp->resize == GST_OV_RESIZE_ASPECT_RATIO);
  g_assert_cmpfloat (mp->mean[2], ==, 0.5);
  pp = g_ptr_array_index (mp->postprocs, 0);
  g_assert_cmpstr (pp->attribute_name, ==, "gender");
  g_assert_cmpint (pp->method, ==, OV_LABEL_SOFTMAX);
  g_assert_cmpstr (pp->labels[1], ==, "Male");
  g_assert_null (pp->labels[2]);
  pp = g_ptr_array_index (mp->postprocs, 1);
  g_assert_cmpint (pp->converter, ==, OV_CONVERTER_TEXT);
  g_assert_cmpfloat (pp->text_scale, ==, 100.0);
  gst_ov_preproc_params_init (&p);
  gst_ov_model_proc_apply (mp, &p);
  /* pixel 255 -> (1 - 0.5) / 0.25 = 2 on channel 0. */
  g_assert_cmpfloat_with_epsilon (255 * p.scale[0] + p.bias[0], 2.0, 1e-5);
  g_assert_cmpint (p.color, ==, GST_OV_COLOR_RGB);
  gst_ov_model_proc_free (mp);

  /* Each malformed file is an error naming the file. */
  for (const char *const *bad = (const char *const[]) { "{", "[]",
          "{\"input_preproc\": {}}", "{\"output_postproc\": [1]}",
          "{\"output_postproc\": [{\"converter\": \"nope\"}]}",
          "{\"input_preproc\": [{\"params\": {\"resize\": \"sideways\"}}]}",
          "{\"input_preproc\": [{\"params\": {\"mean\": [1, 2, 3, 4]}}]}",
          "{\"input_preproc\": [{\"params\": {\"mean\": [\"a\"]}}]}",
          "{\"output_postproc\": [{\"labels\": [1, 2]}]}",
          "{\"output_postproc\": [{\"labels\": \"/nonexistent/labels.txt\"}]}",
          NULL }; *bad; bad++) {
    mp = gst_ov_model_proc_parse (*bad, -1, "bad.json", &err);
    g_assert_null (mp);
    g_assert_nonnull (err);
    g_clear_error (&err);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/converters/nms", test_nms);
  g_test_add_func ("/converters/detection-heads", test_detection_heads);
  g_test_add_func ("/converters/label", test_label);
  g_test_add_func ("/converters/model-proc", test_model_proc);
  return g_test_run ();
}
