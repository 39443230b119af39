/* SORT-style tracking. Each object's box is four independent
 * constant-velocity Kalman filters (center x, center y, width, height;
 * state = value and velocity per frame), with noise proportional to the
 * box's size as in DeepSORT, so one set of constants suits small and large
 * objects. Association minimizes (1 - IoU), mixed with the color-histogram
 * distance when an appearance weight is set, over pairs whose IoU reaches
 * the threshold (and whose labels agree, per class). */
#include "ovtracker.h"

#include <math.h>
#include <string.h>

#include "ovassignment.h"

/* Noise as fractions of the box size (DeepSORT's weights). */
#define POSITION_NOISE (1.0 / 20.0)
#define VELOCITY_NOISE (1.0 / 160.0)
/* How much a new histogram moves an object's appearance. */
#define HISTOGRAM_RATE 0.2f
/* Second-stage association: how far (in box diagonals per frame since the
 * object was last seen) a detection may be from the predicted center. */
#define MOTION_GATE 0.5

typedef struct {
  double value, velocity;
  double p00, p01, p11;         /* covariance */
} Axis;

enum { CX, CY, W, H, N_AXES };

typedef struct {
  int id;
  Axis axis[N_AXES];
  int label_id;
  GQuark label;
  double confidence;
  float histogram[OV_TRACKER_HISTOGRAM_BINS];
  gboolean have_histogram;
  guint misses;                 /* consecutive unmatched detection frames */
  guint steps;                  /* frames predicted since the last match */
  gboolean matched_last;        /* matched on the last detection frame */
  /* Deep SORT: matched detection frames in a row while tentative, and its
   * last features (a ring of up to nn_budget vectors of feature_len). */
  guint hits;
  gboolean confirmed;
  float *features;
  guint feature_len, n_features, next_feature;
} Track;

struct _OvTracker {
  OvTrackerConfig config;
  GArray *tracks;               /* Track */
  int next_id;
};

static void
axis_init (Axis *a, double value, double scale)
{
  double sp = 2 * POSITION_NOISE * scale, sv = 10 * VELOCITY_NOISE * scale;
  a->value = value;
  a->velocity = 0;
  a->p00 = sp * sp;
  a->p01 = 0;
  a->p11 = sv * sv;
}

static void
axis_predict (Axis *a, double scale)
{
  double qp = POSITION_NOISE * scale, qv = VELOCITY_NOISE * scale;
  a->value += a->velocity;
  /* P = F P F^T + Q with F = [1 1; 0 1] */
  a->p00 += 2 * a->p01 + a->p11 + qp * qp;
  a->p01 += a->p11;
  a->p11 += qv * qv;
}

static void
axis_correct (Axis *a, double measured, double scale)
{
  double r = POSITION_NOISE * scale;
  double s = a->p00 + r * r;
  double k0 = a->p00 / s, k1 = a->p01 / s;
  double innovation = measured - a->value;
  a->value += k0 * innovation;
  a->velocity += k1 * innovation;
  a->p11 -= k1 * a->p01;
  a->p01 *= 1 - k0;
  a->p00 *= 1 - k0;
}

static OvTrackerBox
track_box (const Track *t)
{
  double w = MAX (t->axis[W].value, 1.0), h = MAX (t->axis[H].value, 1.0);
  OvTrackerBox b = { t->axis[CX].value - w / 2, t->axis[CY].value - h / 2,
    w, h };
  return b;
}

/* The scale of an axis' noise: the box's size along it. */
static double
axis_scale (const Track *t, int axis)
{
  double w = MAX (t->axis[W].value, 1.0), h = MAX (t->axis[H].value, 1.0);
  return (axis == CX || axis == W) ? w : h;
}

static void
track_predict (Track *t)
{
  double scale[N_AXES];
  for (int i = 0; i < N_AXES; i++)
    scale[i] = axis_scale (t, i);
  for (int i = 0; i < N_AXES; i++)
    axis_predict (&t->axis[i], scale[i]);
  t->steps++;
}

static void
track_correct (Track *t, const OvTrackerDetection *d)
{
  double z[N_AXES] = { d->box.x + d->box.w / 2, d->box.y + d->box.h / 2,
    d->box.w, d->box.h };
  double scale[N_AXES];
  for (int i = 0; i < N_AXES; i++)
    scale[i] = axis_scale (t, i);
  for (int i = 0; i < N_AXES; i++)
    axis_correct (&t->axis[i], z[i], scale[i]);
  t->label_id = d->label_id;
  t->label = d->label;
  t->confidence = d->confidence;
  t->steps = 0;
  if (d->histogram) {
    if (!t->have_histogram) {
      memcpy (t->histogram, d->histogram, sizeof (t->histogram));
      t->have_histogram = TRUE;
    } else {
      for (int i = 0; i < OV_TRACKER_HISTOGRAM_BINS; i++)
        t->histogram[i] += HISTOGRAM_RATE * (d->histogram[i] - t->histogram[i]);
    }
  }
}

/* Keeps the detection's feature among the track's last nn_budget. */
static void
track_add_feature (Track *t, const OvTrackerDetection *d, guint budget)
{
  if (d->feature == NULL || d->feature_len == 0 || budget == 0)
    return;
  if (t->features == NULL || t->feature_len != d->feature_len) {
    g_free (t->features);
    t->features = g_new (float, (gsize) budget * d->feature_len);
    t->feature_len = d->feature_len;
    t->n_features = t->next_feature = 0;
  }
  memcpy (t->features + (gsize) t->next_feature * t->feature_len, d->feature,
      sizeof (float) * t->feature_len);
  t->next_feature = (t->next_feature + 1) % budget;
  t->n_features = MIN (t->n_features + 1, budget);
}

static void
track_clear (gpointer data)
{
  Track *t = data;
  g_clear_pointer (&t->features, g_free);
}

static void
track_start (Track *t, int id, const OvTrackerDetection *d)
{
  memset (t, 0, sizeof (*t));
  t->id = id;
  axis_init (&t->axis[CX], d->box.x + d->box.w / 2, MAX (d->box.w, 1.0));
  axis_init (&t->axis[CY], d->box.y + d->box.h / 2, MAX (d->box.h, 1.0));
  axis_init (&t->axis[W], d->box.w, MAX (d->box.w, 1.0));
  axis_init (&t->axis[H], d->box.h, MAX (d->box.h, 1.0));
  t->label_id = d->label_id;
  t->label = d->label;
  t->confidence = d->confidence;
  t->matched_last = TRUE;
  if (d->histogram) {
    memcpy (t->histogram, d->histogram, sizeof (t->histogram));
    t->have_histogram = TRUE;
  }
}

double
ov_tracker_iou (const OvTrackerBox *a, const OvTrackerBox *b)
{
  double x0 = MAX (a->x, b->x), y0 = MAX (a->y, b->y);
  double x1 = MIN (a->x + a->w, b->x + b->w);
  double y1 = MIN (a->y + a->h, b->y + b->h);
  double inter = MAX (x1 - x0, 0.0) * MAX (y1 - y0, 0.0);
  double uni = a->w * a->h + b->w * b->h - inter;
  return uni > 0 ? inter / uni : 0.0;
}

double
ov_tracker_cosine_distance (const float *a, const float *b, guint len)
{
  double dot = 0;
  for (guint i = 0; i < len; i++)
    dot += (double) a[i] * b[i];
  return 1.0 - dot;
}

double
ov_tracker_histogram_distance (const float *a, const float *b)
{
  double bc = 0;
  for (int i = 0; i < OV_TRACKER_HISTOGRAM_BINS; i++)
    bc += sqrt ((double) MAX (a[i], 0.0f) * MAX (b[i], 0.0f));
  return sqrt (MAX (1.0 - bc, 0.0));
}

OvTracker *
ov_tracker_new (const OvTrackerConfig *config)
{
  OvTracker *tracker = g_new0 (OvTracker, 1);
  tracker->config = *config;
  tracker->config.appearance_weight =
      CLAMP (config->appearance_weight, 0.0, 1.0);
  tracker->tracks = g_array_new (FALSE, FALSE, sizeof (Track));
  g_array_set_clear_func (tracker->tracks, track_clear);
  tracker->next_id = 1;
  return tracker;
}

void
ov_tracker_free (OvTracker *tracker)
{
  if (!tracker)
    return;
  g_array_unref (tracker->tracks);
  g_free (tracker);
}

void
ov_tracker_reset (OvTracker *tracker)
{
  g_array_set_size (tracker->tracks, 0);
}

guint
ov_tracker_count (const OvTracker *tracker)
{
  return tracker->tracks->len;
}

static double
pair_cost (const OvTracker *tracker, const Track *t,
    const OvTrackerBox *predicted, const OvTrackerDetection *d)
{
  const OvTrackerConfig *c = &tracker->config;
  double iou;
  /* NaN or inverted boxes never match (the comparison below is false). */
  if (c->per_class && t->label_id != d->label_id)
    return OV_ASSIGNMENT_FORBIDDEN;
  iou = ov_tracker_iou (predicted, &d->box);
  if (!(iou >= c->iou_threshold) || iou <= 0)
    return OV_ASSIGNMENT_FORBIDDEN;
  if (c->appearance_weight > 0 && t->have_histogram && d->histogram)
    return (1 - c->appearance_weight) * (1 - iou) + c->appearance_weight
        * ov_tracker_histogram_distance (t->histogram, d->histogram);
  return 1 - iou;
}

/* Second stage, for what overlap could not pair: objects that moved more
 * than their size since they were last seen (fast motion, a detector
 * running every Nth frame, a new object whose velocity is not known yet).
 * The cost is the distance between centers in box diagonals, allowed up
 * to MOTION_GATE per frame since the object was last matched. */
static double
motion_cost (const OvTracker *tracker, const Track *t,
    const OvTrackerBox *predicted, const OvTrackerDetection *d)
{
  double dx, dy, diagonal, distance;
  if (tracker->config.per_class && t->label_id != d->label_id)
    return OV_ASSIGNMENT_FORBIDDEN;
  dx = (predicted->x + predicted->w / 2) - (d->box.x + d->box.w / 2);
  dy = (predicted->y + predicted->h / 2) - (d->box.y + d->box.h / 2);
  diagonal = sqrt (predicted->w * predicted->w + predicted->h * predicted->h);
  distance = sqrt (dx * dx + dy * dy) / diagonal;
  if (!(distance <= MOTION_GATE * MAX (t->steps, 1u)))
    return OV_ASSIGNMENT_FORBIDDEN;
  /* Similar sizes only: a car passing a pedestrian is not them. */
  if (d->box.w > 2 * predicted->w || predicted->w > 2 * d->box.w
      || d->box.h > 2 * predicted->h || predicted->h > 2 * d->box.h)
    return OV_ASSIGNMENT_FORBIDDEN;
  return distance;
}

/* Deep SORT's appearance stage: the smallest cosine distance between the
 * detection's feature and the object's kept ones, for detections the
 * motion gate lets through. */
static double
feature_cost (const OvTracker *tracker, const Track *t,
    const OvTrackerBox *predicted, const OvTrackerDetection *d)
{
  double best = G_MAXDOUBLE;
  if (d->feature == NULL || t->n_features == 0
      || t->feature_len != d->feature_len
      || motion_cost (tracker, t, predicted, d) == OV_ASSIGNMENT_FORBIDDEN)
    return OV_ASSIGNMENT_FORBIDDEN;
  for (guint k = 0; k < t->n_features; k++)
    best = MIN (best, ov_tracker_cosine_distance (t->features
            + (gsize) k * t->feature_len, d->feature, d->feature_len));
  if (!(best <= tracker->config.max_cosine_distance))
    return OV_ASSIGNMENT_FORBIDDEN;
  return best;
}

/* Deep SORT's overlap stage: 1 - IoU, up to max_iou_distance. */
static double
overlap_cost (const OvTracker *tracker, const Track *t,
    const OvTrackerBox *predicted, const OvTrackerDetection *d)
{
  double iou;
  if (tracker->config.per_class && t->label_id != d->label_id)
    return OV_ASSIGNMENT_FORBIDDEN;
  iou = ov_tracker_iou (predicted, &d->box);
  if (!(1 - iou <= tracker->config.max_iou_distance) || iou <= 0)
    return OV_ASSIGNMENT_FORBIDDEN;
  return 1 - iou;
}

typedef double (*CostFunc) (const OvTracker *tracker, const Track *t,
    const OvTrackerBox *predicted, const OvTrackerDetection *d);

/* Which unpaired tracks a stage considers. */
typedef enum {
  ROWS_ALL,
  ROWS_CONFIRMED_AT_LEVEL,      /* confirmed, missed exactly `level` times */
  ROWS_TENTATIVE_OR_JUST_SEEN,  /* Deep SORT's overlap stage */
} Rows;

static gboolean
row_wanted (const Track *t, Rows rows, guint level)
{
  switch (rows) {
    case ROWS_CONFIRMED_AT_LEVEL:
      return t->confirmed && t->misses == level;
    case ROWS_TENTATIVE_OR_JUST_SEEN:
      return !t->confirmed || t->misses == 0;
    default:
      return TRUE;
  }
}

/* Solves one association stage over the unpaired tracks (those `rows`
 * selects) and detections; fills track_to_det and det_taken for the pairs
 * it makes. */
static void
associate (OvTracker *tracker, OvTrackerDetection *detections, guint n,
    int *track_to_det, gboolean *det_taken, CostFunc cost_of,
    Rows which, guint level)
{
  GArray *tracks = tracker->tracks;
  guint *rows = g_new (guint, MAX (tracks->len, 1));
  guint *cols = g_new (guint, MAX (n, 1));
  guint nr = 0, nc = 0;
  double *cost;
  int *r2c;

  for (guint i = 0; i < tracks->len; i++)
    if (track_to_det[i] < 0
        && row_wanted (&g_array_index (tracks, Track, i), which, level))
      rows[nr++] = i;
  for (guint j = 0; j < n; j++)
    if (!det_taken[j])
      cols[nc++] = j;
  if (nr > 0 && nc > 0) {
    cost = g_new (double, (gsize) nr * nc);
    r2c = g_new (int, nr);
    for (guint a = 0; a < nr; a++) {
      const Track *t = &g_array_index (tracks, Track, rows[a]);
      OvTrackerBox predicted = track_box (t);
      for (guint b = 0; b < nc; b++) {
        const OvTrackerDetection *d = &detections[cols[b]];
        cost[(gsize) a * nc + b] = cost_of (tracker, t, &predicted, d);
      }
    }
    ov_assignment_solve (cost, nr, nc, r2c);
    for (guint a = 0; a < nr; a++)
      if (r2c[a] >= 0) {
        track_to_det[rows[a]] = cols[r2c[a]];
        det_taken[cols[r2c[a]]] = TRUE;
      }
    g_free (cost);
    g_free (r2c);
  }
  g_free (rows);
  g_free (cols);
}

static int
take_id (OvTracker *tracker)
{
  int id = tracker->next_id;
  tracker->next_id = id == G_MAXINT ? 1 : id + 1;
  return id;
}

void
ov_tracker_update (OvTracker *tracker, OvTrackerDetection *detections,
    guint n)
{
  GArray *tracks = tracker->tracks;
  gboolean deep = tracker->config.deep_sort;
  guint nt = tracks->len;
  int *track_to_det = NULL;
  gboolean *taken = g_new0 (gboolean, MAX (n, 1));

  for (guint i = 0; i < n; i++)
    detections[i].id = 0;
  for (guint i = 0; i < nt; i++)
    track_predict (&g_array_index (tracks, Track, i));

  track_to_det = g_new (int, MAX (nt, 1));
  for (guint i = 0; i < nt; i++)
    track_to_det[i] = -1;
  if (deep) {
    /* The matching cascade: appearance, the objects seen most recently
     * first; then overlap for the new ones and those just seen. */
    guint deepest = 0;
    for (guint i = 0; i < nt; i++)
      deepest = MAX (deepest, g_array_index (tracks, Track, i).misses);
    /* Levels no object is at would pair nothing. */
    for (guint level = 0; level <= MIN (deepest, tracker->config.max_age);
        level++)
      associate (tracker, detections, n, track_to_det, taken, feature_cost,
          ROWS_CONFIRMED_AT_LEVEL, level);
    associate (tracker, detections, n, track_to_det, taken, overlap_cost,
        ROWS_TENTATIVE_OR_JUST_SEEN, 0);
  } else {
    /* Overlap first (SORT), then motion for the leftovers. */
    associate (tracker, detections, n, track_to_det, taken, pair_cost,
        ROWS_ALL, 0);
    associate (tracker, detections, n, track_to_det, taken, motion_cost,
        ROWS_ALL, 0);
  }

  for (guint i = 0; i < nt; i++) {
    Track *t = &g_array_index (tracks, Track, i);
    int j = track_to_det[i];
    if (j >= 0) {
      track_correct (t, &detections[j]);
      t->misses = 0;
      t->matched_last = TRUE;
      if (deep) {
        track_add_feature (t, &detections[j], tracker->config.nn_budget);
        t->hits++;
        t->confirmed |= t->hits >= tracker->config.n_init;
      }
      /* A tentative object has no id yet. */
      detections[j].id = !deep || t->confirmed ? t->id : 0;
    } else {
      t->misses++;
      t->matched_last = FALSE;
    }
  }
  g_free (track_to_det);

  /* Retire the lost, keeping the order (ids stay in creation order); a
   * tentative object goes at its first miss. */
  for (guint i = tracks->len; i-- > 0;) {
    const Track *t = &g_array_index (tracks, Track, i);
    if (t->misses > tracker->config.max_age
        || (deep && !t->confirmed && t->misses > 0))
      g_array_remove_index (tracks, i);
  }

  for (guint j = 0; j < n; j++) {
    const OvTrackerBox *b = &detections[j].box;
    Track t;
    if (taken[j])
      continue;
    if (tracker->config.max_objects > 0
        && tracks->len >= tracker->config.max_objects)
      break;
    if (!(b->w > 0 && b->h > 0 && isfinite (b->x) && isfinite (b->y)))
      continue;
    track_start (&t, take_id (tracker), &detections[j]);
    if (deep) {
      track_add_feature (&t, &detections[j], tracker->config.nn_budget);
      t.hits = 1;
      t.confirmed = tracker->config.n_init <= 1;
    } else {
      t.confirmed = TRUE;
    }
    g_array_append_val (tracks, t);
    detections[j].id = t.confirmed ? t.id : 0;
  }
  g_free (taken);
}

guint
ov_tracker_predict (OvTracker *tracker, OvTrackerObject *out, guint max)
{
  guint count = 0;
  for (guint i = 0; i < tracker->tracks->len; i++) {
    Track *t = &g_array_index (tracker->tracks, Track, i);
    track_predict (t);
    if (t->matched_last && t->confirmed && count < max) {
      OvTrackerObject *o = &out[count++];
      o->id = t->id;
      o->box = track_box (t);
      o->label_id = t->label_id;
      o->label = t->label;
      o->confidence = t->confidence;
    }
  }
  return count;
}
