/* The tracker core without GStreamer: assignment optimality, ids through
 * motion, misses and crossings, prediction, limits, hostile boxes. */
#include <glib.h>
#include <math.h>

#include "tracker/ovassignment.h"
#include "tracker/ovtracker.h"

#define F OV_ASSIGNMENT_FORBIDDEN

static double
total (const double *cost, int rows, int cols, const int *r2c)
{
  double sum = 0;
  for (int i = 0; i < rows; i++)
    if (r2c[i] >= 0)
      sum += cost[i * cols + r2c[i]];
  return sum;
}

/* Brute force over permutations of up to 4 columns. */
static double
best_square (const double *cost, int n)
{
  int perm[4] = { 0, 1, 2, 3 };
  double best = INFINITY;
  int c[4] = { 0 };
  double s = 0;
  for (int i = 0; i < n; i++)
    s += cost[i * n + perm[i]];
  best = s;
  /* Heap's algorithm. */
  for (int i = 1; i < n;) {
    if (c[i] < i) {
      int j = i % 2 ? c[i] : 0, t = perm[j];
      perm[j] = perm[i];
      perm[i] = t;
      s = 0;
      for (int k = 0; k < n; k++)
        s += cost[k * n + perm[k]];
      best = MIN (best, s);
      c[i]++;
      i = 1;
    } else {
      c[i++] = 0;
    }
  }
  return best;
}

static void
test_assignment (void)
{
  const double square[9] = { 4, 1, 3, 2, 0, 5, 3, 2, 2 };
  const double wide[6] = { 1, 9, 0.5, 9, 1, 9 };    /* 2 x 3 */
  const double tall[6] = { 1, 9, 0.5, 0.4, 9, 1 };  /* 3 x 2 */
  const double forbidden[4] = { F, 0.1, F, 0.2 };   /* both rows want col 1 */
  int r2c[4];
  GRand *rand = g_rand_new_with_seed (7);

  ov_assignment_solve (square, 3, 3, r2c);
  g_assert_cmpfloat (total (square, 3, 3, r2c), ==, 5);
  ov_assignment_solve (wide, 2, 3, r2c);
  g_assert_cmpint (r2c[0], ==, 2);
  g_assert_cmpint (r2c[1], ==, 1);
  ov_assignment_solve (tall, 3, 2, r2c);
  g_assert_cmpint (r2c[0], ==, 0);
  g_assert_cmpint (r2c[1], ==, 1);
  g_assert_cmpint (r2c[2], ==, -1);
  ov_assignment_solve (forbidden, 2, 2, r2c);
  g_assert_cmpint (r2c[0], ==, 1);
  g_assert_cmpint (r2c[1], ==, -1);
  ov_assignment_solve (square, 3, 0, r2c);
  g_assert_cmpint (r2c[0], ==, -1);

  /* Random 4x4 matrices: optimal, and a permutation. */
  for (int t = 0; t < 200; t++) {
    double cost[16];
    gboolean used[4] = { FALSE };
    for (int i = 0; i < 16; i++)
      cost[i] = g_rand_double (rand);
    ov_assignment_solve (cost, 4, 4, r2c);
    for (int i = 0; i < 4; i++) {
      g_assert_cmpint (r2c[i], >=, 0);
      g_assert_false (used[r2c[i]]);
      used[r2c[i]] = TRUE;
    }
    g_assert_cmpfloat (fabs (total (cost, 4, 4, r2c) - best_square (cost, 4)),
        <, 1e-9);
  }
  g_rand_free (rand);
}

static OvTrackerConfig
config (void)
{
  OvTrackerConfig c = { .iou_threshold = 0.3, .max_age = 3,
    .per_class = TRUE, .max_objects = 0, .appearance_weight = 0 };
  return c;
}

static OvTrackerDetection
det (double x, double y, double w, double h, int label_id)
{
  OvTrackerDetection d = { .box = { x, y, w, h }, .label_id = label_id,
    .confidence = 0.9, .id = -1 };
  return d;
}

static void
test_ids_follow_motion (void)
{
  OvTrackerConfig c = config ();
  OvTracker *t = ov_tracker_new (&c);
  int a = 0, b = 0;

  for (int f = 0; f < 30; f++) {
    /* Two objects moving 6 px/frame in opposite directions, in any order. */
    OvTrackerDetection d[2] = { det (10 + 6 * f, 50, 40, 40, 0),
      det (400 - 6 * f, 200, 40, 40, 0) };
    if (f % 2) {
      OvTrackerDetection tmp = d[0];
      d[0] = d[1];
      d[1] = tmp;
    }
    ov_tracker_update (t, d, 2);
    {
      int ida = f % 2 ? d[1].id : d[0].id, idb = f % 2 ? d[0].id : d[1].id;
      if (f == 0) {
        a = ida;
        b = idb;
        g_assert_cmpint (a, >=, 1);
        g_assert_cmpint (b, >=, 1);
        g_assert_cmpint (a, !=, b);
      }
      g_assert_cmpint (ida, ==, a);
      g_assert_cmpint (idb, ==, b);
    }
  }
  g_assert_cmpuint (ov_tracker_count (t), ==, 2);
  ov_tracker_free (t);
}

static void
test_misses_and_retirement (void)
{
  OvTrackerConfig c = config ();
  OvTracker *t = ov_tracker_new (&c);
  OvTrackerDetection d = det (100, 100, 50, 50, 1);
  int id;

  ov_tracker_update (t, &d, 1);
  id = d.id;
  /* Missed for max_age detection frames: still the same object. */
  for (guint i = 0; i < c.max_age; i++)
    ov_tracker_update (t, NULL, 0);
  d = det (100, 100, 50, 50, 1);
  ov_tracker_update (t, &d, 1);
  g_assert_cmpint (d.id, ==, id);
  /* Missed once more than that: a new object. */
  for (guint i = 0; i <= c.max_age; i++)
    ov_tracker_update (t, NULL, 0);
  g_assert_cmpuint (ov_tracker_count (t), ==, 0);
  d = det (100, 100, 50, 50, 1);
  ov_tracker_update (t, &d, 1);
  g_assert_cmpint (d.id, >, id);
  ov_tracker_free (t);
}

static void
test_per_class (void)
{
  OvTrackerConfig c = config ();
  OvTracker *t = ov_tracker_new (&c);
  OvTrackerDetection d = det (100, 100, 50, 50, 1);
  int id;

  ov_tracker_update (t, &d, 1);
  id = d.id;
  d = det (100, 100, 50, 50, 2);        /* same place, other class */
  ov_tracker_update (t, &d, 1);
  g_assert_cmpint (d.id, !=, id);
  ov_tracker_free (t);

  c.per_class = FALSE;
  t = ov_tracker_new (&c);
  d = det (100, 100, 50, 50, 1);
  ov_tracker_update (t, &d, 1);
  id = d.id;
  d = det (100, 100, 50, 50, 2);
  ov_tracker_update (t, &d, 1);
  g_assert_cmpint (d.id, ==, id);
  ov_tracker_free (t);
}

static void
test_prediction (void)
{
  OvTrackerConfig c = config ();
  OvTracker *t = ov_tracker_new (&c);
  OvTrackerObject o[4];
  OvTrackerDetection d;
  guint n;

  for (int f = 0; f < 15; f++) {
    d = det (20 + 5 * f, 30 + 2 * f, 60, 30, 3);
    d.label = g_quark_from_static_string ("car");
    ov_tracker_update (t, &d, 1);
  }
  /* Two frames without detection: the velocity carries it on. */
  ov_tracker_predict (t, o, 4);
  n = ov_tracker_predict (t, o, 4);
  g_assert_cmpuint (n, ==, 1);
  g_assert_cmpint (o[0].id, ==, d.id);
  g_assert_cmpint (o[0].label_id, ==, 3);
  g_assert_cmpstr (g_quark_to_string (o[0].label), ==, "car");
  g_assert_cmpfloat (fabs (o[0].box.x - (20 + 5 * 16)), <, 2.0);
  g_assert_cmpfloat (fabs (o[0].box.y - (30 + 2 * 16)), <, 2.0);
  g_assert_cmpfloat (fabs (o[0].box.w - 60), <, 1.0);
  /* The detector then sees it where predicted: still the same object. */
  d = det (20 + 5 * 17, 30 + 2 * 17, 60, 30, 3);
  ov_tracker_update (t, &d, 1);
  g_assert_cmpint (d.id, ==, o[0].id);
  /* Missed on a detection frame: no longer carried. */
  ov_tracker_update (t, NULL, 0);
  g_assert_cmpuint (ov_tracker_predict (t, o, 4), ==, 0);
  ov_tracker_free (t);
}

/* Faster than its own size between detections (a detector on every third
 * frame): no overlap, the second, motion stage keeps the id; a detection
 * much farther away, or of another size, is another object. */
static void
test_fast_motion (void)
{
  OvTrackerConfig c = config ();
  OvTracker *t = ov_tracker_new (&c);
  OvTrackerObject o[2];
  OvTrackerDetection d;
  int id = 0;

  for (int f = 0; f < 30; f++) {
    if (f % 3) {
      ov_tracker_predict (t, o, 2);
      continue;
    }
    d = det (10 + 12 * f, 100, 40, 40, 0);
    ov_tracker_update (t, &d, 1);
    if (f == 0)
      id = d.id;
    g_assert_cmpint (d.id, ==, id);
  }
  /* Three frames on, 200 px away: not it. */
  ov_tracker_predict (t, o, 2);
  ov_tracker_predict (t, o, 2);
  d = det (10 + 12 * 30 + 200, 300, 40, 40, 0);
  ov_tracker_update (t, &d, 1);
  g_assert_cmpint (d.id, !=, id);
  ov_tracker_free (t);

  t = ov_tracker_new (&c);
  d = det (100, 100, 40, 40, 0);
  ov_tracker_update (t, &d, 1);
  id = d.id;
  d = det (130, 100, 120, 120, 0);      /* near, but three times the size */
  ov_tracker_update (t, &d, 1);
  g_assert_cmpint (d.id, !=, id);
  ov_tracker_free (t);
}

static void
test_appearance (void)
{
  /* Two overlapping objects whose detections come back with their colors
   * swapped: by motion the ids stay with the places, with appearance they
   * follow the colors. */
  float red[OV_TRACKER_HISTOGRAM_BINS] = { 0 }, blue[OV_TRACKER_HISTOGRAM_BINS]
      = { 0 };
  red[48] = 1;
  blue[3] = 1;
  for (int weighted = 0; weighted < 2; weighted++) {
    OvTrackerConfig c = config ();
    OvTracker *t;
    OvTrackerDetection d[2] = { det (100, 100, 100, 100, 0),
      det (110, 100, 100, 100, 0) };
    int first, second;
    c.appearance_weight = weighted ? 0.3 : 0;
    t = ov_tracker_new (&c);
    d[0].histogram = red;
    d[1].histogram = blue;
    ov_tracker_update (t, d, 2);
    first = d[0].id;
    second = d[1].id;
    d[0] = det (100, 100, 100, 100, 0);
    d[1] = det (110, 100, 100, 100, 0);
    d[0].histogram = blue;
    d[1].histogram = red;
    ov_tracker_update (t, d, 2);
    if (weighted) {
      g_assert_cmpint (d[0].id, ==, second);
      g_assert_cmpint (d[1].id, ==, first);
    } else {
      g_assert_cmpint (d[0].id, ==, first);
      g_assert_cmpint (d[1].id, ==, second);
    }
    ov_tracker_free (t);
  }
  g_assert_cmpfloat (ov_tracker_histogram_distance (red, red), <, 1e-6);
  g_assert_cmpfloat (ov_tracker_histogram_distance (red, blue), ==, 1.0);
}

static void
test_limits_and_hostile_boxes (void)
{
  OvTrackerConfig c = config ();
  OvTracker *t;
  OvTrackerDetection d[4] = { det (0, 0, 10, 10, 0), det (100, 0, 10, 10, 0),
    det (NAN, 0, 10, 10, 0), det (200, 0, -5, 10, 0) };

  c.max_objects = 1;
  t = ov_tracker_new (&c);
  ov_tracker_update (t, d, 2);
  g_assert_cmpint (d[0].id, >=, 1);
  g_assert_cmpint (d[1].id, ==, 0);
  g_assert_cmpuint (ov_tracker_count (t), ==, 1);
  ov_tracker_free (t);

  c.max_objects = 0;
  t = ov_tracker_new (&c);
  ov_tracker_update (t, d, 4);
  g_assert_cmpint (d[2].id, ==, 0);     /* NaN */
  g_assert_cmpint (d[3].id, ==, 0);     /* negative width */
  ov_tracker_update (t, d, 4);          /* NaN against live objects */
  g_assert_cmpint (d[2].id, ==, 0);
  ov_tracker_reset (t);
  g_assert_cmpuint (ov_tracker_count (t), ==, 0);
  ov_tracker_free (t);
}

/* ---- Deep SORT ----------------------------------------------------------- */

static OvTrackerConfig
deep_config (void)
{
  OvTrackerConfig c = { .max_age = 30, .per_class = TRUE, .deep_sort = TRUE,
    .max_cosine_distance = 0.2, .max_iou_distance = 0.7, .n_init = 3,
    .nn_budget = 100 };
  return c;
}

static const float FEATURE_A[4] = { 1, 0, 0, 0 };
static const float FEATURE_B[4] = { 0, 1, 0, 0 };

static OvTrackerDetection
featured (double x, double y, const float *feature)
{
  OvTrackerDetection d = det (x, y, 20, 20, 0);
  d.feature = feature;
  d.feature_len = feature ? 4 : 0;
  return d;
}

/* An object has its id from its n_init-th detection frame on; a
 * tentative one that misses a frame is forgotten. */
static void
test_deep_sort_confirmation (void)
{
  OvTrackerConfig c = deep_config ();
  OvTracker *t = ov_tracker_new (&c);
  OvTrackerDetection d;
  int id;

  for (int f = 0; f < 2; f++) {
    d = featured (10 + f, 10, FEATURE_A);
    ov_tracker_update (t, &d, 1);
    g_assert_cmpint (d.id, ==, 0);
  }
  d = featured (12, 10, FEATURE_A);
  ov_tracker_update (t, &d, 1);
  g_assert_cmpint (d.id, >, 0);
  id = d.id;
  d = featured (13, 10, FEATURE_A);
  ov_tracker_update (t, &d, 1);
  g_assert_cmpint (d.id, ==, id);

  /* A second object seen twice, then missed once: gone. */
  d = featured (100, 100, FEATURE_B);
  ov_tracker_update (t, &d, 1);
  ov_tracker_update (t, &d, 1);
  g_assert_cmpuint (ov_tracker_count (t), ==, 2);
  ov_tracker_update (t, NULL, 0);
  /* The confirmed one stays through its miss; the tentative one went. */
  g_assert_cmpuint (ov_tracker_count (t), ==, 1);
  ov_tracker_free (t);
}

/* Two overlapping objects trade places between two frames: overlap and
 * motion alone would keep the ids with the places; the features keep each
 * with its object. Then one hides for six frames and comes back near
 * where it was: its id again (the cascade reaches objects missed that
 * long). */
static void
test_deep_sort_swap_and_occlusion (void)
{
  OvTrackerConfig c = deep_config ();
  OvTracker *t;
  OvTrackerDetection d[2];
  int id_a = 0, id_b = 0;

  c.n_init = 1;
  t = ov_tracker_new (&c);
  for (int f = 0; f < 6; f++) {
    d[0] = featured (20, 50, FEATURE_A);
    d[1] = featured (32, 50, FEATURE_B);
    ov_tracker_update (t, d, 2);
    if (f == 0) {
      id_a = d[0].id;
      id_b = d[1].id;
      g_assert_cmpint (id_a, !=, id_b);
    }
  }
  d[0] = featured (32, 50, FEATURE_A);
  d[1] = featured (20, 50, FEATURE_B);
  ov_tracker_update (t, d, 2);
  g_assert_cmpint (d[0].id, ==, id_a);
  g_assert_cmpint (d[1].id, ==, id_b);

  /* B hides; A stays. */
  for (int f = 0; f < 6; f++) {
    d[0] = featured (32, 50, FEATURE_A);
    ov_tracker_update (t, d, 1);
    g_assert_cmpint (d[0].id, ==, id_a);
  }
  d[0] = featured (32, 50, FEATURE_A);
  d[1] = featured (22, 50, FEATURE_B);
  ov_tracker_update (t, d, 2);
  g_assert_cmpint (d[0].id, ==, id_a);
  g_assert_cmpint (d[1].id, ==, id_b);
  g_assert_cmpfloat (ov_tracker_cosine_distance (FEATURE_A, FEATURE_B, 4),
      ==, 1.0);
  ov_tracker_free (t);
}

/* Without features, deep-sort pairs by overlap only: a steady object
 * keeps its id; one that jumps away gets a new one. */
static void
test_deep_sort_without_features (void)
{
  OvTrackerConfig c = deep_config ();
  OvTracker *t;
  OvTrackerDetection d;
  int id;

  c.n_init = 1;
  t = ov_tracker_new (&c);
  d = featured (10, 10, NULL);
  ov_tracker_update (t, &d, 1);
  id = d.id;
  d = featured (12, 10, NULL);
  ov_tracker_update (t, &d, 1);
  g_assert_cmpint (d.id, ==, id);
  d = featured (200, 10, NULL);
  ov_tracker_update (t, &d, 1);
  g_assert_cmpint (d.id, !=, id);
  ov_tracker_free (t);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/tracker/assignment", test_assignment);
  g_test_add_func ("/tracker/ids-follow-motion", test_ids_follow_motion);
  g_test_add_func ("/tracker/misses-and-retirement",
      test_misses_and_retirement);
  g_test_add_func ("/tracker/per-class", test_per_class);
  g_test_add_func ("/tracker/prediction", test_prediction);
  g_test_add_func ("/tracker/fast-motion", test_fast_motion);
  g_test_add_func ("/tracker/appearance", test_appearance);
  g_test_add_func ("/tracker/deep-sort-confirmation",
      test_deep_sort_confirmation);
  g_test_add_func ("/tracker/deep-sort-swap-and-occlusion",
      test_deep_sort_swap_and_occlusion);
  g_test_add_func ("/tracker/deep-sort-without-features",
      test_deep_sort_without_features);
  g_test_add_func ("/tracker/limits-and-hostile-boxes",
      test_limits_and_hostile_boxes);
  return g_test_run ();
}
