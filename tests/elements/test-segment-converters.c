/* Segmentation converters on hand-made tensors: semantic shapes, classes,
 * resampling and probabilities; YOLOv8-seg layout, boxes and masks. */
#include <glib.h>
#include <math.h>
#include <string.h>

#include "gstovmodelproc.h"

static OviTensorView
view (OviDType dtype, void *data, int rank, const int64_t *dims)
{
  OviTensorView t = { dtype, rank, { 0 }, data };
  for (int i = 0; i < rank; i++)
    t.dims[i] = dims[i];
  return t;
}

static double
sigmoid (double x)
{
  return 1.0 / (1.0 + exp (-x));
}

static void
test_names (void)
{
  g_assert_cmpint (ov_converter_from_name ("semantic_mask"), ==,
      OV_CONVERTER_SEMANTIC_MASK);
  g_assert_cmpint (ov_converter_from_name ("yolo_v8_seg"), ==,
      OV_CONVERTER_YOLO_V8_SEG);
  g_assert_cmpint (ov_converter_from_name ("yolo_v11_seg"), ==,
      OV_CONVERTER_YOLO_V8_SEG);
  g_assert_cmpint (ov_converter_from_name ("YOLOv8-SEG"), ==,
      OV_CONVERTER_YOLO_V8_SEG);
  g_assert_cmpstr (ov_converter_name (OV_CONVERTER_YOLO_V8_SEG), ==,
      "yolo_v8_seg");
  g_assert_cmpstr (ov_converter_name (OV_CONVERTER_SEMANTIC_MASK), ==,
      "semantic_mask");
  /* The others are unchanged. */
  g_assert_cmpint (ov_converter_from_name ("yolo_v8"), ==,
      OV_CONVERTER_YOLO_V8);
  g_assert_cmpint (ov_converter_from_name ("YOLOv8"), ==,
      OV_CONVERTER_YOLO_V8);
}

static void
test_semantic_shape (void)
{
  static float f[1];
  OvSemanticShape s;
  GError *err = NULL;
  OviTensorView t;
  int64_t scores[4] = { 1, 3, 5, 7 }, one[4] = { 1, 1, 5, 7 };
  int64_t ids[3] = { 1, 5, 7 }, bad[2] = { 3, 4 }, empty[4] = { 1, 3, 0, 7 };
  int64_t dynamic[4] = { 1, 3, -1, -1 };

  t = view (OVI_DTYPE_FLOAT32, f, 4, scores);
  g_assert_true (ov_semantic_shape (&t, &s, NULL));
  g_assert_cmpint (s.n_classes, ==, 3);
  g_assert_cmpint (s.height, ==, 5);
  g_assert_cmpint (s.width, ==, 7);
  /* One float channel: a foreground score. */
  t = view (OVI_DTYPE_FLOAT32, f, 4, one);
  g_assert_true (ov_semantic_shape (&t, &s, NULL));
  g_assert_cmpint (s.n_classes, ==, 1);
  /* One integer channel: class ids. */
  t = view (OVI_DTYPE_INT32, f, 4, one);
  g_assert_true (ov_semantic_shape (&t, &s, NULL));
  g_assert_cmpint (s.n_classes, ==, 0);
  g_assert_cmpint (s.height, ==, 5);
  for (OviDType d = OVI_DTYPE_FLOAT32; d <= OVI_DTYPE_INT64; d++) {
    if (d != OVI_DTYPE_FLOAT32 && d != OVI_DTYPE_INT32 && d != OVI_DTYPE_INT64
        && d != OVI_DTYPE_UINT8)
      continue;
    t = view (d, f, 3, ids);
    g_assert_true (ov_semantic_shape (&t, &s, NULL));
    g_assert_cmpint (s.n_classes, ==, 0);
    g_assert_cmpint (s.width, ==, 7);
  }
  /* Refused, with a reason. */
  t = view (OVI_DTYPE_INT64, f, 4, scores);
  g_assert_false (ov_semantic_shape (&t, &s, &err));
  g_assert_nonnull (strstr (err->message, "must be float"));
  g_clear_error (&err);
  t = view (OVI_DTYPE_FLOAT32, f, 2, bad);
  g_assert_false (ov_semantic_shape (&t, &s, &err));
  g_assert_nonnull (strstr (err->message, "semantic_mask"));
  g_clear_error (&err);
  t = view (OVI_DTYPE_FLOAT32, f, 4, empty);
  g_assert_false (ov_semantic_shape (&t, &s, &err));
  g_clear_error (&err);
  t = view (OVI_DTYPE_FLOAT32, f, 4, dynamic);
  g_assert_false (ov_semantic_shape (&t, &s, &err));
  g_clear_error (&err);
  t = view (OVI_DTYPE_STRING, f, 3, ids);
  g_assert_false (ov_semantic_shape (&t, &s, &err));
  g_clear_error (&err);
}

static void
test_semantic_classes (void)
{
  /* 3 classes on 2x2: pixel i's winner is { 2, 0, 1, 1 }. */
  float scores[3 * 4] = { 0.1f, 0.9f, 0.2f, 0.0f,
    0.3f, 0.05f, 0.7f, 0.5f,
    0.6f, 0.05f, 0.1f, 0.4f };
  float binary[4] = { 0.2f, 0.7f, -1.0f, 3.0f };
  gint64 ids64[4] = { 3, -1, 300, 7 };
  float idsf[4] = { 1.0f, 2.2f, NAN, -4.0f };
  int64_t sdims[4] = { 1, 3, 2, 2 }, bdims[4] = { 1, 1, 2, 2 };
  int64_t idims[3] = { 1, 2, 2 };
  OviTensorView t;
  OvSemanticShape s;
  gint32 *ids, max;

  t = view (OVI_DTYPE_FLOAT32, scores, 4, sdims);
  g_assert_true (ov_semantic_shape (&t, &s, NULL));
  ids = ov_semantic_classes (&t, &s, OV_LABEL_MAX, 0.5f, &max);
  g_assert_cmpint (ids[0], ==, 2);
  g_assert_cmpint (ids[1], ==, 0);
  g_assert_cmpint (ids[2], ==, 1);
  g_assert_cmpint (ids[3], ==, 1);
  g_assert_cmpint (max, ==, 2);
  g_free (ids);

  /* One channel: probabilities against the threshold ... */
  t = view (OVI_DTYPE_FLOAT32, binary, 4, bdims);
  g_assert_true (ov_semantic_shape (&t, &s, NULL));
  ids = ov_semantic_classes (&t, &s, OV_LABEL_MAX, 0.5f, &max);
  g_assert_cmpint (ids[0], ==, 0);
  g_assert_cmpint (ids[1], ==, 1);
  g_assert_cmpint (ids[2], ==, 0);
  g_assert_cmpint (ids[3], ==, 1);
  g_assert_cmpint (max, ==, 1);
  g_free (ids);
  /* ... or logits through a sigmoid: 0.2 and 0.7 are above 0.5 then,
   * and only 3.0 reaches 0.9. */
  ids = ov_semantic_classes (&t, &s, OV_LABEL_SIGMOID, 0.5f, &max);
  g_assert_cmpint (ids[0], ==, 1);
  g_assert_cmpint (ids[1], ==, 1);
  g_assert_cmpint (ids[2], ==, 0);
  g_free (ids);
  ids = ov_semantic_classes (&t, &s, OV_LABEL_SIGMOID, 0.9f, &max);
  g_assert_cmpint (ids[0] + ids[1] + ids[2], ==, 0);
  g_assert_cmpint (ids[3], ==, 1);
  g_free (ids);

  /* Class ids as given; negative and NaN ids are background. */
  t = view (OVI_DTYPE_INT64, ids64, 3, idims);
  g_assert_true (ov_semantic_shape (&t, &s, NULL));
  ids = ov_semantic_classes (&t, &s, OV_LABEL_MAX, 0.5f, &max);
  g_assert_cmpint (ids[0], ==, 3);
  g_assert_cmpint (ids[1], ==, 0);
  g_assert_cmpint (ids[2], ==, 300);
  g_assert_cmpint (max, ==, 300);
  g_free (ids);
  t = view (OVI_DTYPE_FLOAT32, idsf, 3, idims);
  g_assert_true (ov_semantic_shape (&t, &s, NULL));
  ids = ov_semantic_classes (&t, &s, OV_LABEL_MAX, 0.5f, &max);
  g_assert_cmpint (ids[0], ==, 1);
  g_assert_cmpint (ids[1], ==, 2);
  g_assert_cmpint (ids[2], ==, 0);
  g_assert_cmpint (ids[3], ==, 0);
  g_assert_cmpint (max, ==, 2);
  g_free (ids);
}

static void
test_semantic_resample (void)
{
  gint32 ids[4] = { 0, 1, 2, 300 };
  OvSemanticShape s = { 0, 2, 2 };
  /* 4x4 from 2x2: each source pixel becomes a 2x2 block. */
  OvAxisMap m = { 0.0, 0.5 };
  /* Shifted a whole source pixel left and up: clamped to the edge. */
  OvAxisMap shifted = { -1.0, 0.5 };
  guint8 out[16];
  gint32 wide[16];

  ov_semantic_resample (ids, &s, &m, &m, 4, 4, FALSE, out);
  for (int y = 0; y < 4; y++)
    for (int x = 0; x < 4; x++)
      g_assert_cmpint (out[y * 4 + x], ==, (guint8) ids[(y / 2) * 2 + x / 2]);
  ov_semantic_resample (ids, &s, &m, &m, 4, 4, TRUE, wide);
  g_assert_cmpint (wide[15], ==, 300);
  g_assert_cmpint (wide[0], ==, 0);
  /* Pixel (3, 3) reads -1 + 3.5 * 0.5 = 0.75, source (0, 0); pixel 0
   * reads -0.75, clamped to 0: everything is source (0, 0). */
  ov_semantic_resample (ids, &s, &shifted, &shifted, 4, 4, TRUE, wide);
  for (int i = 0; i < 16; i++)
    g_assert_cmpint (wide[i], ==, 0);
}

static void
test_semantic_probabilities (void)
{
  /* 2 classes, 1x2 pixels: logits (0, ln 3) and (ln 3, 0). */
  float x[4] = { 0.0f, logf (3.0f), logf (3.0f), 0.0f };
  float ids[2] = { 1, 0 };
  int64_t dims[4] = { 1, 2, 1, 2 }, idims[3] = { 1, 1, 2 };
  OviTensorView t = view (OVI_DTYPE_FLOAT32, x, 4, dims);
  OvSemanticShape s;
  OvAxisMap mx = { 0.0, 1.0 }, my = { 0.0, 1.0 };
  float p[4];

  g_assert_true (ov_semantic_shape (&t, &s, NULL));
  g_assert_true (ov_semantic_probabilities (&t, &s, OV_LABEL_SOFTMAX, &mx,
          &my, 2, 1, p));
  /* [C, h, w]: class 0 at both pixels, then class 1. */
  g_assert_cmpfloat_with_epsilon (p[0], 0.25, 1e-6);
  g_assert_cmpfloat_with_epsilon (p[1], 0.75, 1e-6);
  g_assert_cmpfloat_with_epsilon (p[2], 0.75, 1e-6);
  g_assert_cmpfloat_with_epsilon (p[3], 0.25, 1e-6);
  g_assert_true (ov_semantic_probabilities (&t, &s, OV_LABEL_SIGMOID, &mx,
          &my, 2, 1, p));
  g_assert_cmpfloat_with_epsilon (p[0], 0.5, 1e-6);
  g_assert_cmpfloat_with_epsilon (p[2], 0.75, 1e-6);
  g_assert_true (ov_semantic_probabilities (&t, &s, OV_LABEL_MAX, &mx,
          &my, 2, 1, p));
  g_assert_cmpfloat_with_epsilon (p[1], logf (3.0f), 1e-6);
  /* Class ids have no probabilities. */
  t = view (OVI_DTYPE_FLOAT32, ids, 3, idims);
  g_assert_true (ov_semantic_shape (&t, &s, NULL));
  g_assert_false (ov_semantic_probabilities (&t, &s, OV_LABEL_MAX, &mx,
          &my, 2, 1, p));
}

static void
test_yolo_seg_layout (void)
{
  static float f[1];
  int64_t boxes[3] = { 1, 10, 16 }, transposed[3] = { 1, 16, 10 };
  int64_t protos[4] = { 1, 4, 8, 8 }, small[3] = { 1, 8, 6 };
  int64_t scores[4] = { 1, 3, 16, 16 };
  OviTensorView o[2];
  OvYoloSegLayout l;
  GError *err = NULL;

  o[0] = view (OVI_DTYPE_FLOAT32, f, 3, boxes);
  o[1] = view (OVI_DTYPE_FLOAT32, f, 4, protos);
  g_assert_true (ov_yolo_seg_layout (o, 2, &l, NULL));
  g_assert_cmpint (l.boxes, ==, 0);
  g_assert_cmpint (l.protos, ==, 1);
  g_assert_cmpint (l.n_classes, ==, 2);
  g_assert_cmpint (l.n_coeffs, ==, 4);
  g_assert_cmpuint (l.n_candidates, ==, 16);
  g_assert_true (l.channels_first);
  g_assert_cmpint (l.proto_height, ==, 8);
  g_assert_cmpint (ov_converter_guess_detection (o, 2), ==,
      OV_CONVERTER_YOLO_V8_SEG);
  g_assert_cmpint (ov_converter_guess_segmentation (o, 2, 0), ==,
      OV_CONVERTER_YOLO_V8_SEG);
  /* Prototypes first, boxes transposed. */
  o[0] = view (OVI_DTYPE_FLOAT32, f, 4, protos);
  o[1] = view (OVI_DTYPE_FLOAT32, f, 3, transposed);
  g_assert_true (ov_yolo_seg_layout (o, 2, &l, NULL));
  g_assert_cmpint (l.boxes, ==, 1);
  g_assert_cmpint (l.protos, ==, 0);
  g_assert_false (l.channels_first);
  g_assert_cmpuint (l.n_candidates, ==, 16);
  g_assert_cmpint (l.n_classes, ==, 2);
  /* Neither 8 nor 6 fields hold 4 coefficients, a box and a class. */
  o[0] = view (OVI_DTYPE_FLOAT32, f, 3, small);
  o[1] = view (OVI_DTYPE_FLOAT32, f, 4, protos);
  g_assert_false (ov_yolo_seg_layout (o, 2, &l, &err));
  g_assert_nonnull (strstr (err->message, "yolo_v8_seg"));
  g_clear_error (&err);
  /* Only boxes: no prototypes. */
  o[0] = view (OVI_DTYPE_FLOAT32, f, 3, boxes);
  g_assert_false (ov_yolo_seg_layout (o, 1, &l, &err));
  g_clear_error (&err);
  g_assert_cmpint (ov_converter_guess_detection (o, 1), ==,
      OV_CONVERTER_YOLO_V8);
  /* Integer outputs. */
  o[0] = view (OVI_DTYPE_INT32, f, 3, boxes);
  o[1] = view (OVI_DTYPE_FLOAT32, f, 4, protos);
  g_assert_false (ov_yolo_seg_layout (o, 2, &l, &err));
  g_clear_error (&err);
  /* A semantic output. */
  o[0] = view (OVI_DTYPE_FLOAT32, f, 4, scores);
  g_assert_cmpint (ov_converter_guess_segmentation (o, 1, 0), ==,
      OV_CONVERTER_SEMANTIC_MASK);
  o[0] = view (OVI_DTYPE_FLOAT32, f, 2, (int64_t[]) { 1, 3 });
  g_assert_cmpint (ov_converter_guess_segmentation (o, 1, 0), ==,
      OV_CONVERTER_NONE);
}

/* M = 2 prototypes of 4x4 for a 16x16 input (stride 4): prototype 0 is
 * 2 * (x - 1.5), prototype 1 is 2 * (y - 1.5). Three candidates, two
 * classes: 0 and 1 overlap with class 0 (NMS keeps 0), 2 is class 1. */
typedef struct {
  float boxes[(4 + 2 + 2) * 3];
  float protos[2 * 16];
  OviTensorView outs[2];
} SegFixture;

static void
seg_fixture (SegFixture *f, gboolean transposed)
{
  static const float cand[3][8] = {
    /* cx  cy  w   h   s0    s1    m0  m1 */
    { 8, 8, 16, 16, 0.9f, 0.1f, 1, 0 },
    { 8, 8, 14, 16, 0.8f, 0.0f, 0, 1 },
    { 12, 4, 8, 8, 0.0f, 0.7f, 0, -1 },
  };
  static const int64_t bdims[3] = { 1, 8, 3 }, tdims[3] = { 1, 3, 8 };
  static const int64_t pdims[4] = { 1, 2, 4, 4 };
  for (int i = 0; i < 3; i++)
    for (int k = 0; k < 8; k++) {
      if (transposed)
        f->boxes[i * 8 + k] = cand[i][k];
      else
        f->boxes[k * 3 + i] = cand[i][k];
    }
  for (int y = 0; y < 4; y++)
    for (int x = 0; x < 4; x++) {
      f->protos[y * 4 + x] = 2.0f * (x - 1.5f);
      f->protos[16 + y * 4 + x] = 2.0f * (y - 1.5f);
    }
  f->outs[0] = view (OVI_DTYPE_FLOAT32, f->boxes, 3,
      transposed ? tdims : bdims);
  f->outs[1] = view (OVI_DTYPE_FLOAT32, f->protos, 4, pdims);
}

static void
test_yolo_seg_boxes (void)
{
  for (int transposed = 0; transposed < 2; transposed++) {
    SegFixture f;
    OvDetectParams p = { 0.5f, 0.4f, 16, 16 };
    GArray *d = g_array_new (FALSE, FALSE, sizeof (OvDetection));
    const OvDetection *a, *b;
    seg_fixture (&f, transposed);
    g_assert_true (ov_converter_detect (OV_CONVERTER_YOLO_V8_SEG, f.outs, 2,
            &p, d, NULL));
    g_assert_cmpuint (d->len, ==, 2);
    a = &g_array_index (d, OvDetection, 0);
    b = &g_array_index (d, OvDetection, 1);
    g_assert_cmpint (a->index, ==, 0);
    g_assert_cmpint (a->label_id, ==, 0);
    g_assert_cmpfloat_with_epsilon (a->confidence, 0.9, 1e-6);
    g_assert_cmpfloat_with_epsilon (a->x_max, 16.0, 1e-6);
    /* The coefficients are not classes: candidate 2's best is class 1
     * at 0.7, not its coefficient. */
    g_assert_cmpint (b->index, ==, 2);
    g_assert_cmpint (b->label_id, ==, 1);
    g_assert_cmpfloat_with_epsilon (b->x_min, 8.0, 1e-6);
    g_array_unref (d);
  }
}

static void
test_yolo_seg_masks (void)
{
  for (int transposed = 0; transposed < 2; transposed++) {
    SegFixture f;
    OvYoloSegLayout l;
    float mask[16];
    int w, h;

    seg_fixture (&f, transposed);
    g_assert_true (ov_yolo_seg_layout (f.outs, 2, &l, NULL));
    /* The whole input: the prototype's 4x4 pixels, candidate 0 takes
     * prototype 0. */
    ov_yolo_seg_mask_size (&l, 16, 16, 0, 0, 16, 16, &w, &h);
    g_assert_cmpint (w, ==, 4);
    g_assert_cmpint (h, ==, 4);
    ov_yolo_seg_mask (f.outs, &l, 0, 16, 16, 0, 0, 16, 16, w, h, mask);
    for (int y = 0; y < 4; y++)
      for (int x = 0; x < 4; x++)
        g_assert_cmpfloat_with_epsilon (mask[y * 4 + x],
            sigmoid (2.0 * (x - 1.5)), 1e-5);
    /* Candidate 1 takes prototype 1 (rows), inside (4, 4)-(12, 12):
     * prototype pixels 1 and 2. */
    ov_yolo_seg_mask_size (&l, 16, 16, 4, 4, 12, 12, &w, &h);
    g_assert_cmpint (w, ==, 2);
    g_assert_cmpint (h, ==, 2);
    ov_yolo_seg_mask (f.outs, &l, 1, 16, 16, 4, 4, 12, 12, w, h, mask);
    g_assert_cmpfloat_with_epsilon (mask[0], sigmoid (-1.0), 1e-5);
    g_assert_cmpfloat_with_epsilon (mask[1], sigmoid (-1.0), 1e-5);
    g_assert_cmpfloat_with_epsilon (mask[2], sigmoid (1.0), 1e-5);
    /* Candidate 2 takes minus prototype 1. A box between prototype
     * pixels: (2, 6)-(6, 10) is x 0.5..1.5, y 1.5..2.5 there, one pixel
     * whose center (1, 2) is (0.5, 1.5) in pixel-center coordinates: it
     * blends rows 1 (logit 1) and 2 (logit -1) half and half. */
    ov_yolo_seg_mask_size (&l, 16, 16, 2, 6, 6, 10, &w, &h);
    g_assert_cmpint (w, ==, 1);
    g_assert_cmpint (h, ==, 1);
    ov_yolo_seg_mask (f.outs, &l, 2, 16, 16, 2, 6, 6, 10, w, h, mask);
    g_assert_cmpfloat_with_epsilon (mask[0], sigmoid (0.0), 1e-5);
    /* Boxes beyond the input are capped to the prototype's size. */
    ov_yolo_seg_mask_size (&l, 16, 16, -100, -50, 400, 300, &w, &h);
    g_assert_cmpint (w, ==, 4);
    g_assert_cmpint (h, ==, 4);
    ov_yolo_seg_mask (f.outs, &l, 0, 16, 16, -100, -50, 400, 300, w, h, mask);
    g_assert_cmpfloat_with_epsilon (mask[0], sigmoid (-3.0), 1e-5);
    /* An empty box still gets one pixel. */
    ov_yolo_seg_mask_size (&l, 16, 16, 5, 5, 5, 5, &w, &h);
    g_assert_cmpint (w * h, ==, 1);
  }
}

static void
test_model_proc (void)
{
  const char *json = "{\"output_postproc\": [{\"converter\": \"yolo_v11_seg\","
      " \"iou_threshold\": 0.6}, {\"converter\": \"semantic_mask\","
      " \"method\": \"softmax\"}]}";
  GError *err = NULL;
  GstOvModelProc *mp = gst_ov_model_proc_parse (json, -1, "test", &err);
  GstOvPostproc *p;
  g_assert_no_error (err);
  p = g_ptr_array_index (mp->postprocs, 0);
  g_assert_cmpint (p->converter, ==, OV_CONVERTER_YOLO_V8_SEG);
  g_assert_cmpfloat_with_epsilon (p->iou_threshold, 0.6, 1e-9);
  p = g_ptr_array_index (mp->postprocs, 1);
  g_assert_cmpint (p->converter, ==, OV_CONVERTER_SEMANTIC_MASK);
  g_assert_cmpint (p->method, ==, OV_LABEL_SOFTMAX);
  gst_ov_model_proc_free (mp);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/segment-converters/names", test_names);
  g_test_add_func ("/segment-converters/semantic-shape", test_semantic_shape);
  g_test_add_func ("/segment-converters/semantic-classes",
      test_semantic_classes);
  g_test_add_func ("/segment-converters/semantic-resample",
      test_semantic_resample);
  g_test_add_func ("/segment-converters/semantic-probabilities",
      test_semantic_probabilities);
  g_test_add_func ("/segment-converters/yolo-seg-layout", test_yolo_seg_layout);
  g_test_add_func ("/segment-converters/yolo-seg-boxes", test_yolo_seg_boxes);
  g_test_add_func ("/segment-converters/yolo-seg-masks", test_yolo_seg_masks);
  g_test_add_func ("/segment-converters/model-proc", test_model_proc);
  return g_test_run ();
}
