/* Anchor-based detection heads on hand-made tensors: SSD anchor
 * generation against an independent numpy reference
 * (tests/models/make-ssd-anchors.py), boxes_scores decoding and raw
 * YOLOv5 grids, their model-proc keys, and bad parameters. */
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "gstovmodelproc.h"

static OviTensorView
view (float *data, int rank, const int64_t *dims)
{
  OviTensorView t = { OVI_DTYPE_FLOAT32, rank, { 0 }, data };
  for (int i = 0; i < rank; i++)
    t.dims[i] = dims[i];
  return t;
}

static const OvDetection *
nth (GArray *d, guint i)
{
  g_assert_cmpuint (i, <, d->len);
  return &g_array_index (d, OvDetection, i);
}

static void
assert_box (const OvDetection *d, float x0, float y0, float x1, float y1)
{
  g_assert_cmpfloat_with_epsilon (d->x_min, x0, 1e-3);
  g_assert_cmpfloat_with_epsilon (d->y_min, y0, 1e-3);
  g_assert_cmpfloat_with_epsilon (d->x_max, x1, 1e-3);
  g_assert_cmpfloat_with_epsilon (d->y_max, y1, 1e-3);
}

/* ---------------------------------------------------------------- SSD anchors */

static void
compare_with_reference (const OvSsdAnchorSpec *spec, int w, int h,
    const char *file, guint expected)
{
  char *path = g_build_filename (OV_TEST_MODEL_DIR, file, NULL);
  char *text = NULL;
  char **lines;
  GArray *a = g_array_new (FALSE, FALSE, sizeof (float));
  GError *err = NULL;
  guint n = 0;
  double worst = 0.0;

  g_assert_true (g_file_get_contents (path, &text, NULL, &err));
  g_assert_true (ov_ssd_anchors_generate (spec, w, h, a, &err));
  g_assert_no_error (err);
  g_assert_cmpuint (a->len, ==, 4 * expected);
  lines = g_strsplit (text, "\n", -1);
  for (int i = 0; lines[i]; i++) {
    double v[4];
    if (*lines[i] == '\0')
      continue;
    g_assert_cmpint (sscanf (lines[i], "%lf %lf %lf %lf", &v[0], &v[1], &v[2],
            &v[3]), ==, 4);
    g_assert_cmpuint (n, <, expected);
    for (int k = 0; k < 4; k++)
      worst = MAX (worst, fabs (v[k] - g_array_index (a, float, 4 * n + k)));
    n++;
  }
  g_assert_cmpuint (n, ==, expected);
  g_assert_cmpfloat (worst, <, 1e-6);
  g_strfreev (lines);
  g_free (text);
  g_free (path);
  g_array_unref (a);
}

static void
test_ssd_anchors (void)
{
  OvSsdAnchorSpec s;
  static const int fm300[] = { 19, 10, 5, 3, 2, 1 }, fm512[] = { 32, 16, 8,
    4, 2, 1 };

  /* ssd_mobilenet_v1 300x300: TF's defaults, 1917 anchors. */
  ov_ssd_anchor_spec_init (&s);
  s.n_feature_maps = 6;
  for (int i = 0; i < 6; i++)
    s.feature_map_h[i] = s.feature_map_w[i] = fm300[i];
  compare_with_reference (&s, 300, 300, "ssd-anchors-300.txt", 1917);

  /* face-api.js ssd_mobilenetv1: 512 input, interpolated box second. */
  for (int i = 0; i < 6; i++)
    s.feature_map_h[i] = s.feature_map_w[i] = fm512[i];
  s.interpolated_after_unit_ratio = TRUE;
  compare_with_reference (&s, 512, 512, "ssd-anchors-512-faceapi.txt", 5118);

  /* Strides on a non-square input, full lowest layer. */
  ov_ssd_anchor_spec_init (&s);
  s.num_layers = 3;
  s.n_strides = 3;
  s.strides[0] = 16;
  s.strides[1] = 32;
  s.strides[2] = 64;
  s.min_scale = 0.1;
  s.max_scale = 0.8;
  s.n_aspect_ratios = 3;
  s.aspect_ratios[0] = 1.0;
  s.aspect_ratios[1] = 2.0;
  s.aspect_ratios[2] = 0.5;
  s.reduce_boxes_in_lowest_layer = FALSE;
  /* 120x200: 8x13, 4x7, 2x4 cells, 4 boxes each. */
  compare_with_reference (&s, 200, 120, "ssd-anchors-strides.txt",
      (8 * 13 + 4 * 7 + 2 * 4) * 4);
}

static void
test_ssd_anchor_errors (void)
{
  OvSsdAnchorSpec s;
  GArray *a = g_array_new (FALSE, FALSE, sizeof (float));
  GError *err = NULL;

  /* No feature maps or strides. */
  ov_ssd_anchor_spec_init (&s);
  g_assert_false (ov_ssd_anchors_generate (&s, 300, 300, a, &err));
  g_assert_nonnull (err);
  g_clear_error (&err);
  /* Fewer feature maps than layers. */
  s.n_feature_maps = 3;
  s.feature_map_h[0] = s.feature_map_w[0] = 4;
  g_assert_false (ov_ssd_anchors_generate (&s, 300, 300, a, &err));
  g_assert_nonnull (err);
  g_clear_error (&err);
  /* Both feature maps and strides. */
  s.num_layers = 3;
  for (int i = 0; i < 3; i++) {
    s.feature_map_h[i] = s.feature_map_w[i] = 4;
    s.strides[i] = 8;
  }
  s.n_strides = 3;
  g_assert_false (ov_ssd_anchors_generate (&s, 300, 300, a, &err));
  g_clear_error (&err);
  s.n_strides = 0;
  /* Bad scales, ratios, sizes. */
  s.min_scale = 0.9;
  s.max_scale = 0.2;
  g_assert_false (ov_ssd_anchors_generate (&s, 300, 300, a, &err));
  g_clear_error (&err);
  s.min_scale = 0.2;
  s.aspect_ratios[1] = -2.0;
  g_assert_false (ov_ssd_anchors_generate (&s, 300, 300, a, &err));
  g_clear_error (&err);
  s.aspect_ratios[1] = 2.0;
  s.feature_map_h[2] = 0;
  g_assert_false (ov_ssd_anchors_generate (&s, 300, 300, a, &err));
  g_clear_error (&err);
  s.feature_map_h[2] = 4;
  g_assert_false (ov_ssd_anchors_generate (&s, 0, 300, a, &err));
  g_clear_error (&err);
  /* And the fixed spec works: 3 layers of 4x4 cells. */
  g_assert_true (ov_ssd_anchors_generate (&s, 300, 300, a, &err));
  g_assert_cmpuint (a->len, ==, 4 * (16 * 3 + 16 * 6 * 2));
  g_array_unref (a);
}

/* ------------------------------------------------------------- boxes_scores */

/* Three anchors: a0 and a2 overlap, a1 elsewhere. */
static float anchors3[3 * 4] = {
  0.50f, 0.50f, 0.20f, 0.40f,
  0.25f, 0.25f, 0.10f, 0.10f,
  0.52f, 0.50f, 0.20f, 0.40f,
};

typedef struct {
  float boxes[3 * 4];
  float scores[3 * 3];
  OviTensorView outs[2];
  OvBoxesScoresParams bp;
  OvDetectParams p;
} SsdCase;

static void
ssd_case_init (SsdCase *c)
{
  static const int64_t bdims[3] = { 1, 3, 4 }, sdims[3] = { 1, 3, 3 };
  /* a0: ty = 1, th = 5 ln 2: center y 0.5 + 0.1 * 0.2, height 0.4. */
  float boxes[12] = { 1.0f, 0.0f, 5.0f * logf (2.0f), 0.0f,
    0, 0, 0, 0, 0, 0, 0, 0 };
  /* Columns: background, face, other (logits). */
  float scores[9] = { 5.0f, 2.0f, -1.0f, 0.0f, -3.0f, 0.5f, 0.0f, 1.5f, 0.0f };
  memcpy (c->boxes, boxes, sizeof boxes);
  memcpy (c->scores, scores, sizeof scores);
  c->outs[0] = view (c->boxes, 3, bdims);
  c->outs[1] = view (c->scores, 3, sdims);
  ov_boxes_scores_params_init (&c->bp);
  c->bp.anchors = anchors3;
  c->bp.n_anchors = 3;
  c->bp.activation = OV_SCORE_SIGMOID;
  c->bp.background_label_id = 0;
  c->p = (OvDetectParams) { 0.5f, 0.4f, 100, 50, &c->bp, NULL };
}

static float
sigmoid (float x)
{
  return 1.0f / (1.0f + expf (-x));
}

static void
test_boxes_scores (void)
{
  SsdCase c;
  GArray *d = g_array_new (FALSE, FALSE, sizeof (OvDetection));
  GError *err = NULL;

  /* Sigmoid: a0 face (0.88), a2 face (0.82) suppressed by a0 (IoU 0.5),
   * a1 other (0.62); the background column never wins. */
  ssd_case_init (&c);
  g_assert_true (ov_converter_check_detect (OV_CONVERTER_BOXES_SCORES,
          c.outs, 2, &c.p, &err));
  g_assert_true (ov_converter_detect (OV_CONVERTER_BOXES_SCORES, c.outs, 2,
          &c.p, d, &err));
  g_assert_no_error (err);
  g_assert_cmpuint (d->len, ==, 2);
  g_assert_cmpint (nth (d, 0)->label_id, ==, 1);
  g_assert_cmpfloat_with_epsilon (nth (d, 0)->confidence, sigmoid (2.0f), 1e-5);
  /* cx 0.5 w 0.4, cy 0.52 h 0.4 on a 100x50 input. */
  assert_box (nth (d, 0), 30.0f, 16.0f, 70.0f, 36.0f);
  g_assert_cmpint (nth (d, 1)->label_id, ==, 2);
  g_assert_cmpfloat_with_epsilon (nth (d, 1)->confidence, sigmoid (0.5f), 1e-5);
  assert_box (nth (d, 1), 20.0f, 10.0f, 30.0f, 15.0f);
  g_array_set_size (d, 0);

  /* Without NMS the overlapping a2 stays. */
  c.p.iou_threshold = 0.0f;
  g_assert_true (ov_converter_detect (OV_CONVERTER_BOXES_SCORES, c.outs, 2,
          &c.p, d, &err));
  g_assert_cmpuint (d->len, ==, 3);
  g_array_set_size (d, 0);
  c.p.iou_threshold = 0.4f;

  /* The threshold applies after the activation. */
  c.p.threshold = 0.85f;
  g_assert_true (ov_converter_detect (OV_CONVERTER_BOXES_SCORES, c.outs, 2,
          &c.p, d, &err));
  g_assert_cmpuint (d->len, ==, 1);
  g_array_set_size (d, 0);
  c.p.threshold = 0.5f;

  /* Softmax over all columns: a0's background takes most of it (face
   * 0.047), a2's face 0.63 now survives, a1's other 0.61. */
  c.bp.activation = OV_SCORE_SOFTMAX;
  g_assert_true (ov_converter_detect (OV_CONVERTER_BOXES_SCORES, c.outs, 2,
          &c.p, d, &err));
  g_assert_cmpuint (d->len, ==, 2);
  g_assert_cmpint (nth (d, 0)->label_id, ==, 1);
  g_assert_cmpfloat_with_epsilon (nth (d, 0)->confidence,
      expf (1.5f) / (2.0f + expf (1.5f)), 1e-5);
  assert_box (nth (d, 0), 30.0f, 21.0f, 70.0f, 31.0f);
  g_assert_cmpint (nth (d, 1)->label_id, ==, 2);
  g_array_set_size (d, 0);

  /* Raw scores (none) compare with the threshold as they are. */
  c.bp.activation = OV_SCORE_NONE;
  g_assert_true (ov_converter_detect (OV_CONVERTER_BOXES_SCORES, c.outs, 2,
          &c.p, d, &err));
  g_assert_cmpuint (d->len, ==, 2);   /* a0 face 2.0 (a2 1.5 suppressed), a1 0.5 */
  g_array_set_size (d, 0);

  /* classes = 2: the third column is ignored, a1 (face -3) drops out. */
  c.bp.activation = OV_SCORE_SIGMOID;
  c.bp.classes = 2;
  g_assert_true (ov_converter_detect (OV_CONVERTER_BOXES_SCORES, c.outs, 2,
          &c.p, d, &err));
  g_assert_cmpuint (d->len, ==, 1);
  g_assert_cmpint (nth (d, 0)->label_id, ==, 1);
  g_array_set_size (d, 0);
  c.bp.classes = 0;

  /* No background column: a0's column 0 (sigmoid 5) wins. */
  c.bp.background_label_id = -1;
  g_assert_true (ov_converter_detect (OV_CONVERTER_BOXES_SCORES, c.outs, 2,
          &c.p, d, &err));
  g_assert_cmpint (nth (d, 0)->label_id, ==, 0);
  g_assert_cmpfloat_with_epsilon (nth (d, 0)->confidence, sigmoid (5.0f), 1e-5);
  g_array_set_size (d, 0);
  c.bp.background_label_id = 0;

  /* Outputs in the other order, and encodings ordered x, y, w, h. */
  {
    OviTensorView swapped[2] = { c.outs[1], c.outs[0] };
    c.bp.box_xywh = TRUE;
    g_assert_true (ov_converter_detect (OV_CONVERTER_BOXES_SCORES, swapped, 2,
            &c.p, d, &err));
    /* tx = 1, tw = 5 ln 2: cx 0.5 + 0.1 * 0.4, w 0.8; h 0.2. */
    assert_box (nth (d, 0), 14.0f, 20.0f, 94.0f, 30.0f);
    g_array_set_size (d, 0);
    c.bp.box_xywh = FALSE;
  }

  /* Other box coder scales: ty 1 / 5 * 0.2 = +0.04. */
  c.bp.box_scale[0] = 5.0f;
  g_assert_true (ov_converter_detect (OV_CONVERTER_BOXES_SCORES, c.outs, 2,
          &c.p, d, &err));
  assert_box (nth (d, 0), 30.0f, 17.0f, 70.0f, 37.0f);
  g_array_set_size (d, 0);
  g_array_unref (d);
}

/* Without anchors: DL Streamer's reading, normalized x, y, w, h and a
 * confidence that multiplies the best class score; no NMS by default. */
static void
test_boxes_scores_decoded (void)
{
  float boxes[2 * 5] = { 0.1f, 0.2f, 0.3f, 0.4f, 0.9f,
    0.5f, 0.5f, 0.2f, 0.2f, 0.4f };
  float scores[2 * 2] = { 0.2f, 0.8f, 0.9f, 0.1f };
  int64_t bdims[2] = { 2, 5 }, sdims[2] = { 2, 2 };
  OviTensorView outs[2] = { view (boxes, 2, bdims), view (scores, 2, sdims) };
  OvDetectParams p = { 0.3f, 0.0f, 200, 100, NULL, NULL };
  GArray *d = g_array_new (FALSE, FALSE, sizeof (OvDetection));
  GError *err = NULL;

  g_assert_cmpint (ov_converter_guess_detection (outs, 2), ==,
      OV_CONVERTER_BOXES_SCORES);
  g_assert_true (ov_converter_detect (OV_CONVERTER_BOXES_SCORES, outs, 2, &p,
          d, &err));
  g_assert_no_error (err);
  g_assert_cmpuint (d->len, ==, 2);
  g_assert_cmpint (nth (d, 0)->label_id, ==, 1);
  g_assert_cmpfloat_with_epsilon (nth (d, 0)->confidence, 0.72, 1e-5);
  assert_box (nth (d, 0), 20.0f, 20.0f, 80.0f, 60.0f);
  g_assert_cmpfloat_with_epsilon (nth (d, 1)->confidence, 0.36, 1e-5);
  g_array_unref (d);
}

static void
expect_ssd_error (SsdCase *c, int n_outs)
{
  GArray *d = g_array_new (FALSE, FALSE, sizeof (OvDetection));
  GError *err = NULL;
  g_assert_false (ov_converter_check_detect (OV_CONVERTER_BOXES_SCORES,
          c->outs, n_outs, &c->p, &err));
  g_assert_error (err, OVI_ERROR, OVI_ERROR_INVALID);
  g_test_message ("expected: %s", err->message);
  g_clear_error (&err);
  g_assert_false (ov_converter_detect (OV_CONVERTER_BOXES_SCORES, c->outs,
          n_outs, &c->p, d, &err));
  g_assert_nonnull (err);
  g_clear_error (&err);
  g_assert_cmpuint (d->len, ==, 0);
  g_array_unref (d);
}

static void
test_boxes_scores_errors (void)
{
  SsdCase c;

  ssd_case_init (&c);
  c.bp.n_anchors = 2;                 /* 3 encodings, 2 anchors */
  expect_ssd_error (&c, 2);
  ssd_case_init (&c);
  expect_ssd_error (&c, 1);           /* scores missing */
  ssd_case_init (&c);
  c.outs[1].dims[1] = 4;              /* 4 score rows for 3 boxes */
  c.outs[1].dims[2] = 2;
  expect_ssd_error (&c, 2);
  ssd_case_init (&c);
  c.outs[0].dims[2] = 5;              /* 5-wide boxes are not encodings */
  c.outs[0].dims[1] = 2;
  expect_ssd_error (&c, 2);
  ssd_case_init (&c);
  c.outs[1].dtype = OVI_DTYPE_INT32;
  expect_ssd_error (&c, 2);
  ssd_case_init (&c);
  c.bp.background_label_id = 3;
  expect_ssd_error (&c, 2);
  ssd_case_init (&c);
  c.bp.classes = 4;
  expect_ssd_error (&c, 2);
  ssd_case_init (&c);
  c.bp.classes = 1;                   /* only the background left */
  expect_ssd_error (&c, 2);
  ssd_case_init (&c);
  c.bp.box_scale[2] = 0.0f;
  expect_ssd_error (&c, 2);
}

/* --------------------------------------------------------- YOLOv5 grids */

/* Two grids on a 64x64 input: 4x4 (stride 16) and 2x2 (stride 32); two
 * anchors per cell, two classes: 7 fields per candidate. */
#define A 2
#define K 7
static float yolo_anchors[4 * 2] = { 10, 14, 20, 24, 30, 34, 40, 44 };

typedef struct {
  float big[A * K * 4 * 4];     /* 4x4 grid */
  float small[A * K * 2 * 2];   /* 2x2 grid */
  OviTensorView outs[2];
  OvYoloGridParams yp;
  OvDetectParams p;
  gboolean channels_last;
} YoloCase;

/* Field f of anchor b at (row, col) of a grid of side `side`. */
static float *
field (YoloCase *c, float *grid, int side, int b, int row, int col, int f)
{
  if (c->channels_last)
    return &grid[((b * side + row) * side + col) * K + f];
  return &grid[((b * K + f) * side + row) * side + col];
}

static float
logit (float p)
{
  return logf (p / (1.0f - p));
}

static void
yolo_case_init (YoloCase *c, gboolean channels_last, gboolean logits)
{
  static const int64_t big4[4] = { 1, A * K, 4, 4 }, small4[4] = { 1, A * K,
    2, 2 };
  static const int64_t big5[5] = { 1, A, 4, 4, K }, small5[5] = { 1, A, 2, 2,
    K };
  float v[K];
  float zero = logits ? -20.0f : 0.0f;

  memset (c, 0, sizeof *c);
  c->channels_last = channels_last;
  for (gsize i = 0; i < G_N_ELEMENTS (c->big); i++)
    c->big[i] = zero;
  for (gsize i = 0; i < G_N_ELEMENTS (c->small); i++)
    c->small[i] = zero;
  /* 4x4 grid, anchor 1 (20x24 by default masks), row 2, column 1:
   * sx 0.5, sy 0.75, sw 0.5, sh 0.5, objectness 0.9, classes 0.2, 0.8. */
  {
    float s[K] = { 0.5f, 0.75f, 0.5f, 0.5f, 0.9f, 0.2f, 0.8f };
    for (int f = 0; f < K; f++)
      v[f] = logits ? logit (s[f]) : s[f];
    for (int f = 0; f < K; f++)
      *field (c, c->big, 4, 1, 2, 1, f) = v[f];
    /* The same object from anchor 0 (10x14), a little less sure: NMS. */
    for (int f = 0; f < K; f++)
      *field (c, c->big, 4, 0, 2, 1, f) = v[f];
    *field (c, c->big, 4, 0, 2, 1, 4) = logits ? logit (0.8f) : 0.8f;
    *field (c, c->big, 4, 0, 2, 1, 2) = logits ? logit (0.7f) : 0.7f;
    *field (c, c->big, 4, 0, 2, 1, 3) = logits ? logit (0.65f) : 0.65f;
  }
  /* 2x2 grid, anchor 0 (30x34), row 0, column 1: centered (48, 16),
   * class 0. */
  {
    float s[K] = { 0.5f, 0.5f, 0.5f, 0.5f, 0.95f, 0.9f, 0.05f };
    for (int f = 0; f < K; f++)
      *field (c, c->small, 2, 0, 0, 1, f) = logits ? logit (s[f]) : s[f];
  }
  /* Small grid first: the order of the outputs does not matter. */
  c->outs[0] = view (c->small, channels_last ? 5 : 4,
      channels_last ? small5 : small4);
  c->outs[1] = view (c->big, channels_last ? 5 : 4, channels_last ? big5 : big4);
  c->yp.anchors = yolo_anchors;
  c->yp.n_anchors = 4;
  c->yp.sigmoid = logits;
  c->yp.class_activation = logits ? OV_SCORE_SIGMOID : OV_SCORE_NONE;
  c->p = (OvDetectParams) { 0.5f, 0.5f, 64, 64, NULL, &c->yp };
}

static void
check_yolo (YoloCase *c)
{
  GArray *d = g_array_new (FALSE, FALSE, sizeof (OvDetection));
  GError *err = NULL;

  g_assert_true (ov_converter_check_detect (OV_CONVERTER_YOLO_V5, c->outs, 2,
          &c->p, &err));
  g_assert_true (ov_converter_detect (OV_CONVERTER_YOLO_V5, c->outs, 2, &c->p,
          d, &err));
  g_assert_no_error (err);
  g_assert_cmpuint (d->len, ==, 2);
  /* 2x2 cell (0, 1): center ((0.5 + 1) * 32, 0.5 * 32), 30x34. */
  g_assert_cmpint (nth (d, 0)->label_id, ==, 0);
  g_assert_cmpfloat_with_epsilon (nth (d, 0)->confidence, 0.95 * 0.9, 1e-4);
  assert_box (nth (d, 0), 48 - 15, 16 - 17, 48 + 15, 16 + 17);
  /* 4x4 cell (2, 1): x (1 - 0.5 + 1) * 16 = 24, y (1.5 - 0.5 + 2) * 16
   * = 48, w (2 * 0.5)^2 * 20, h (2 * 0.5)^2 * 24; its anchor-0 twin
   * (IoU 0.97) is suppressed. */
  g_assert_cmpint (nth (d, 1)->label_id, ==, 1);
  g_assert_cmpfloat_with_epsilon (nth (d, 1)->confidence, 0.72, 1e-4);
  assert_box (nth (d, 1), 24 - 10, 48 - 12, 24 + 10, 48 + 12);
  g_array_unref (d);
}

static void
test_yolo_grid (void)
{
  YoloCase c;
  GArray *d = g_array_new (FALSE, FALSE, sizeof (OvDetection));
  GError *err = NULL;

  /* Probabilities already, [1, A*(5+C), H, W]. */
  yolo_case_init (&c, FALSE, FALSE);
  g_assert_cmpint (ov_converter_guess_detection (c.outs, 2), ==,
      OV_CONVERTER_YOLO_V5);
  check_yolo (&c);
  /* Logits, [1, A, H, W, 5+C]. */
  yolo_case_init (&c, TRUE, TRUE);
  g_assert_cmpint (ov_converter_guess_detection (c.outs, 2), ==,
      OV_CONVERTER_YOLO_V5);
  check_yolo (&c);
  /* DL Streamer's masks (smallest grid first) give the same anchors. */
  {
    static int masks[4] = { 2, 3, 0, 1 };
    c.yp.masks = masks;
    c.yp.n_masks = 4;
    c.yp.cells_x = c.yp.cells_y = 2;
    c.yp.classes = 2;
    c.yp.boxes_per_cell = 2;
    check_yolo (&c);
  }
  /* Other masks: the 4x4 grid's anchor 1 is now 40x44. */
  {
    static int masks[4] = { 2, 3, 1, 3 };
    c.yp.masks = masks;
    g_assert_true (ov_converter_detect (OV_CONVERTER_YOLO_V5, c.outs, 2, &c.p,
            d, &err));
    g_assert_cmpuint (d->len, ==, 2);
    g_assert_cmpfloat_with_epsilon (nth (d, 1)->x_max - nth (d, 1)->x_min,
        40.0, 1e-3);
    g_array_set_size (d, 0);
    c.yp.masks = NULL;
    c.yp.n_masks = 0;
  }
  /* No NMS: the anchor-0 duplicate (0.8 * 0.8) appears too. */
  c.p.iou_threshold = 0.0f;
  g_assert_true (ov_converter_detect (OV_CONVERTER_YOLO_V5, c.outs, 2, &c.p,
          d, &err));
  g_assert_cmpuint (d->len, ==, 3);
  g_array_set_size (d, 0);
  c.p.iou_threshold = 0.5f;
  /* Softmax over the class logits: 0.8 vs 0.2 as logits ln 4 - ln 0.25. */
  c.yp.class_activation = OV_SCORE_SOFTMAX;
  g_assert_true (ov_converter_detect (OV_CONVERTER_YOLO_V5, c.outs, 2, &c.p,
          d, &err));
  g_assert_cmpuint (d->len, ==, 2);
  g_assert_cmpfloat_with_epsilon (nth (d, 1)->confidence,
      0.9 * 16.0 / 17.0, 1e-4);
  g_array_set_size (d, 0);
  /* Threshold on objectness x class. */
  c.yp.class_activation = OV_SCORE_SIGMOID;
  c.p.threshold = 0.8f;
  g_assert_true (ov_converter_detect (OV_CONVERTER_YOLO_V5, c.outs, 2, &c.p,
          d, &err));
  g_assert_cmpuint (d->len, ==, 1);
  g_assert_cmpint (nth (d, 0)->label_id, ==, 0);
  g_array_unref (d);
}

static void
expect_yolo_error (YoloCase *c, int n_outs)
{
  GArray *d = g_array_new (FALSE, FALSE, sizeof (OvDetection));
  GError *err = NULL;
  g_assert_false (ov_converter_check_detect (OV_CONVERTER_YOLO_V5, c->outs,
          n_outs, &c->p, &err));
  g_assert_error (err, OVI_ERROR, OVI_ERROR_INVALID);
  g_test_message ("expected: %s", err->message);
  g_clear_error (&err);
  g_assert_false (ov_converter_detect (OV_CONVERTER_YOLO_V5, c->outs, n_outs,
          &c->p, d, &err));
  g_assert_nonnull (err);
  g_clear_error (&err);
  g_array_unref (d);
}

static void
test_yolo_grid_errors (void)
{
  YoloCase c;
  static int masks_short[3] = { 0, 1, 2 }, masks_bad[4] = { 0, 1, 2, 4 };

  yolo_case_init (&c, FALSE, TRUE);
  c.p.yolo_grid = NULL;               /* no anchors at all */
  expect_yolo_error (&c, 2);
  yolo_case_init (&c, FALSE, TRUE);
  c.yp.n_anchors = 3;                 /* 3 anchors for 2 outputs */
  expect_yolo_error (&c, 2);
  yolo_case_init (&c, FALSE, TRUE);
  c.yp.boxes_per_cell = 3;            /* 4 anchors are not 3 per output */
  expect_yolo_error (&c, 2);
  yolo_case_init (&c, FALSE, TRUE);
  c.yp.masks = masks_short;
  c.yp.n_masks = 3;
  expect_yolo_error (&c, 2);
  yolo_case_init (&c, FALSE, TRUE);
  c.yp.masks = masks_bad;
  c.yp.n_masks = 4;
  expect_yolo_error (&c, 2);
  yolo_case_init (&c, FALSE, TRUE);
  c.yp.cells_x = c.yp.cells_y = 4;    /* the smallest grid is 2x2 */
  expect_yolo_error (&c, 2);
  yolo_case_init (&c, FALSE, TRUE);
  c.yp.classes = 80;
  expect_yolo_error (&c, 2);
  yolo_case_init (&c, FALSE, TRUE);
  c.outs[0].dims[2] = c.outs[0].dims[3] = 4;   /* two 4x4 grids */
  expect_yolo_error (&c, 2);
  yolo_case_init (&c, FALSE, TRUE);
  c.outs[0].dims[0] = 2;              /* batch 2 */
  expect_yolo_error (&c, 2);
  yolo_case_init (&c, TRUE, TRUE);
  c.outs[1].dims[4] = 8;              /* classes differ between outputs */
  expect_yolo_error (&c, 2);
}

/* ------------------------------------------------------------- model-proc */

static void
test_model_proc_keys (void)
{
  GError *err = NULL;
  const char *ssd = "{\"json_schema_version\": \"2.2.0\", \"input_preproc\": "
      "[], \"output_postproc\": [{\"converter\": \"boxes_scores\", "
      "\"feature_map_shapes\": [32, [16, 16], 8, 4, 2, 1], "
      "\"interpolated_scale_position\": \"after_aspect_ratio_1\", "
      "\"score_activation\": \"sigmoid\", \"background_label_id\": 0, "
      "\"classes\": 2, \"box_scale\": [10, 10, 5, 5], \"x_scale\": 8, "
      "\"iou_threshold\": 0.5}]}";
  const char *yolo = "{\"output_postproc\": [{\"converter\": \"yolo_v5\", "
      "\"anchors\": [10, 13, 16, 30, 33, 23, 30, 61, 62, 45, 59, 119, 116, 90, "
      "156, 198, 373, 326], \"masks\": [6, 7, 8, 3, 4, 5, 0, 1, 2], "
      "\"cells_number\": 20, \"bbox_number_on_cell\": 3, \"classes\": 80, "
      "\"output_sigmoid_activation\": true, \"do_cls_softmax\": true}]}";
  GstOvModelProc *mp = gst_ov_model_proc_parse (ssd, -1, "ssd.json", &err);
  const GstOvDetectPostproc *d;
  GArray *a = g_array_new (FALSE, FALSE, sizeof (float));
  char *dir, *file, *json;

  g_assert_no_error (err);
  d = &((GstOvPostproc *) g_ptr_array_index (mp->postprocs, 0))->detect;
  g_assert_cmpint (((GstOvPostproc *) g_ptr_array_index (mp->postprocs, 0))
      ->converter, ==, OV_CONVERTER_BOXES_SCORES);
  g_assert_true (d->has_generator);
  g_assert_cmpint (d->generator.num_layers, ==, 6);
  g_assert_cmpint (d->generator.feature_map_w[1], ==, 16);
  g_assert_true (d->generator.interpolated_after_unit_ratio);
  g_assert_true (d->has_activation && d->activation == OV_SCORE_SIGMOID);
  g_assert_cmpint (d->background_label_id, ==, 0);
  g_assert_cmpint (d->classes, ==, 2);
  g_assert_cmpfloat (d->box_scale[1], ==, 8.0f);
  g_assert_cmpfloat (d->box_scale[2], ==, 5.0f);
  /* The face-api.js layout: 5118 anchors for a 512x512 input. */
  g_assert_true (ov_ssd_anchors_generate (&d->generator, 512, 512, a, &err));
  g_assert_cmpuint (a->len / 4, ==, 5118);
  gst_ov_model_proc_free (mp);

  mp = gst_ov_model_proc_parse (yolo, -1, "yolo.json", &err);
  g_assert_no_error (err);
  d = &((GstOvPostproc *) g_ptr_array_index (mp->postprocs, 0))->detect;
  g_assert_cmpuint (d->anchors->len, ==, 18);
  g_assert_cmpfloat (g_array_index (d->anchors, float, 17), ==, 326.0f);
  g_assert_cmpint (g_array_index (d->masks, int, 0), ==, 6);
  g_assert_cmpint (d->cells_x, ==, 20);
  g_assert_cmpint (d->cells_y, ==, 20);
  g_assert_cmpint (d->bbox_number_on_cell, ==, 3);
  g_assert_true (d->output_sigmoid_activation);
  g_assert_true (d->activation == OV_SCORE_SOFTMAX);
  g_assert_false (d->has_generator);
  gst_ov_model_proc_free (mp);

  /* Anchors from a file next to the model-proc, nested JSON or plain. */
  dir = g_dir_make_tmp ("ovi-anchors-XXXXXX", &err);
  g_assert_no_error (err);
  file = g_build_filename (dir, "anchors.json", NULL);
  g_assert_true (g_file_set_contents (file,
          "[[0.5, 0.5, 0.2, 0.2],\n [0.25, 0.75, 0.1, 0.3]]\n", -1, NULL));
  g_free (file);
  file = g_build_filename (dir, "model-proc.json", NULL);
  json = g_strdup ("{\"output_postproc\": [{\"converter\": \"boxes_scores\", "
      "\"anchors\": \"anchors.json\"}]}");
  g_assert_true (g_file_set_contents (file, json, -1, NULL));
  mp = gst_ov_model_proc_load (file, &err);
  g_assert_no_error (err);
  d = &((GstOvPostproc *) g_ptr_array_index (mp->postprocs, 0))->detect;
  g_assert_cmpuint (d->anchors->len, ==, 8);
  g_assert_cmpfloat (g_array_index (d->anchors, float, 5), ==, 0.75f);
  gst_ov_model_proc_free (mp);
  g_remove (file);
  g_free (file);
  file = g_build_filename (dir, "anchors.json", NULL);
  g_remove (file);
  g_free (file);
  g_rmdir (dir);
  g_free (dir);
  g_free (json);
  g_array_unref (a);

  /* Each wrong key is an error naming the file. */
  for (const char *const *bad = (const char *const[]) {
          "{\"output_postproc\": [{\"anchors\": [\"a\"]}]}",
          "{\"output_postproc\": [{\"anchors\": []}]}",
          "{\"output_postproc\": [{\"anchors\": \"/nonexistent/anchors\"}]}",
          "{\"output_postproc\": [{\"anchors\": [1, 2], \"num_layers\": 2}]}",
          "{\"output_postproc\": [{\"masks\": [0, 1.5]}]}",
          "{\"output_postproc\": [{\"masks\": [-1]}]}",
          "{\"output_postproc\": [{\"cells_number\": 13, \"cells_number_x\": 13}]}",
          "{\"output_postproc\": [{\"cells_number_x\": 13}]}",
          "{\"output_postproc\": [{\"classes\": \"80\"}]}",
          "{\"output_postproc\": [{\"classes\": 0}]}",
          "{\"output_postproc\": [{\"do_cls_softmax\": 1}]}",
          "{\"output_postproc\": [{\"score_activation\": \"relu\"}]}",
          "{\"output_postproc\": [{\"do_cls_softmax\": true, "
              "\"score_activation\": \"sigmoid\"}]}",
          "{\"output_postproc\": [{\"box_scale\": [10, 10, 5]}]}",
          "{\"output_postproc\": [{\"h_scale\": 0}]}",
          "{\"output_postproc\": [{\"box_encoding\": \"whyx\"}]}",
          "{\"output_postproc\": [{\"feature_map_shapes\": [[1, 2, 3]]}]}",
          "{\"output_postproc\": [{\"feature_map_shapes\": 19}]}",
          "{\"output_postproc\": [{\"num_layers\": 99}]}",
          "{\"output_postproc\": [{\"min_scale\": \"small\"}]}",
          "{\"output_postproc\": [{\"interpolated_scale_position\": \"first\"}]}",
          "{\"output_postproc\": [{\"background_label_id\": -2}]}",
          NULL }; *bad; bad++) {
    mp = gst_ov_model_proc_parse (*bad, -1, "bad.json", &err);
    if (mp != NULL)
      g_error ("accepted: %s", *bad);
    g_assert_nonnull (err);
    g_assert_nonnull (strstr (err->message, "bad.json")
        ? err->message : strstr (err->message, "anchors"));
    g_clear_error (&err);
  }
}

/* The sample in docs/ parses and lays out face-api.js's 5118 anchors. */
static void
test_docs_sample (void)
{
  char *path = g_build_filename (OV_DOCS_DIR, "model-proc",
      "face-api-ssd-mobilenetv1.json", NULL);
  GError *err = NULL;
  GstOvModelProc *mp = gst_ov_model_proc_load (path, &err);
  const GstOvPostproc *pp;
  GArray *a = g_array_new (FALSE, FALSE, sizeof (float));
  OvSsdAnchorSpec s;

  g_assert_no_error (err);
  pp = g_ptr_array_index (mp->postprocs, 0);
  g_assert_cmpint (pp->converter, ==, OV_CONVERTER_BOXES_SCORES);
  g_assert_true (ov_ssd_anchors_generate (&pp->detect.generator, 512, 512, a,
          &err));
  g_assert_cmpuint (a->len, ==, 4 * 5118);
  g_assert_cmpint (pp->detect.classes, ==, 2);
  g_assert_cmpint (pp->detect.background_label_id, ==, 0);
  g_assert_cmpfloat (pp->iou_threshold, ==, 0.5);
  g_assert_cmpfloat (mp->range[0], ==, -1.0);
  /* The same spec as the reference test's face-api layout. */
  ov_ssd_anchor_spec_init (&s);
  g_assert_cmpfloat (pp->detect.generator.min_scale, ==, s.min_scale);
  g_assert_cmpfloat (pp->detect.generator.aspect_ratios[4], ==,
      s.aspect_ratios[4]);
  g_assert_true (pp->detect.generator.interpolated_after_unit_ratio);
  gst_ov_model_proc_free (mp);
  g_array_unref (a);
  g_free (path);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/anchors/ssd-reference", test_ssd_anchors);
  g_test_add_func ("/anchors/ssd-errors", test_ssd_anchor_errors);
  g_test_add_func ("/anchors/boxes-scores", test_boxes_scores);
  g_test_add_func ("/anchors/boxes-scores-decoded", test_boxes_scores_decoded);
  g_test_add_func ("/anchors/boxes-scores-errors", test_boxes_scores_errors);
  g_test_add_func ("/anchors/yolo-grid", test_yolo_grid);
  g_test_add_func ("/anchors/yolo-grid-errors", test_yolo_grid_errors);
  g_test_add_func ("/anchors/model-proc", test_model_proc_keys);
  g_test_add_func ("/anchors/docs-sample", test_docs_sample);
  return g_test_run ();
}
