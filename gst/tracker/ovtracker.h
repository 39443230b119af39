/* A multi-object tracker in the manner of SORT: a constant-velocity Kalman
 * filter per object, association of predicted boxes with the frame's
 * detections by IoU (optionally mixed with a color-histogram appearance
 * cue) solved as a minimum-cost assignment, then of what is left by the
 * distance between centers (objects faster than their size between
 * detections), ids that survive `max_age` missed detection frames. Plain C over GLib: ovtrack feeds it boxes and
 * writes the ids back as metadata.
 *
 * With `deep_sort` it associates as Deep SORT does (Wojke et al., 2017):
 * first by appearance, the cosine distance between a detection's feature
 * vector (a re-identification network's output) and the last `nn_budget`
 * features of each confirmed object, the objects seen most recently
 * first (the matching cascade), within a motion gate; then by overlap for
 * the objects just seen and the new ones. A new object gets its id once
 * matched on `n_init` detection frames in a row, and is dropped if it
 * misses one before that. */
#ifndef OV_TRACKER_H
#define OV_TRACKER_H

#include <glib.h>

G_BEGIN_DECLS

/* Bins of the appearance histogram: 4 levels per channel. */
#define OV_TRACKER_HISTOGRAM_BINS 64

typedef struct {
  double x, y, w, h;            /* pixels */
} OvTrackerBox;

typedef struct {
  /* Minimum IoU between a predicted box and a detection to associate. */
  double iou_threshold;
  /* Detection frames an unmatched object keeps its id. */
  guint max_age;
  /* Associate only detections of the object's label id. */
  gboolean per_class;
  /* At most this many live objects (0: unlimited); extra detections get
   * no id. */
  guint max_objects;
  /* 0..1: share of the appearance distance in the association cost (0 for
   * the imageless trackers). */
  double appearance_weight;
  /* Deep SORT (above); the fields below apply to it only. */
  gboolean deep_sort;
  double max_cosine_distance;   /* appearance pairs up to this distance */
  double max_iou_distance;      /* overlap pairs need IoU >= 1 - this */
  guint n_init;                 /* detection frames to confirm an object */
  guint nn_budget;              /* features kept per object */
} OvTrackerConfig;

typedef struct {
  OvTrackerBox box;
  int label_id;
  double confidence;
  GQuark label;                 /* kept for predicted objects */
  /* OV_TRACKER_HISTOGRAM_BINS normalized bins, or NULL. */
  const float *histogram;
  /* Deep SORT: an L2-normalized feature vector of feature_len, or NULL.
   * Every detection's must have the same length. */
  const float *feature;
  guint feature_len;
  /* Out: the object's id (>= 1), or 0 when it could not be tracked. */
  int id;
} OvTrackerDetection;

/* An object as the motion model predicts it on a frame without detection. */
typedef struct {
  int id;
  OvTrackerBox box;
  int label_id;
  GQuark label;
  double confidence;            /* of its last detection */
} OvTrackerObject;

typedef struct _OvTracker OvTracker;

OvTracker *ov_tracker_new (const OvTrackerConfig *config);
void ov_tracker_free (OvTracker *tracker);

/* A frame with detections (possibly none, when the detector ran and
 * found nothing): advances every object one frame, associates, updates,
 * starts new objects, retires the lost. Sets each detection's id. */
void ov_tracker_update (OvTracker *tracker, OvTrackerDetection *detections,
    guint n);

/* A frame without detection: advances every object one frame. Returns in
 * `out` (up to `max`) the objects whose last detection frame matched
 * them, at their predicted boxes; the count is the return value. */
guint ov_tracker_predict (OvTracker *tracker, OvTrackerObject *out, guint max);

/* Forgets every object (ids continue from where they were, so an id is
 * never given to two objects in one stream). */
void ov_tracker_reset (OvTracker *tracker);

/* Live objects, matched or not. */
guint ov_tracker_count (const OvTracker *tracker);

/* Deep SORT's cosine distance of two L2-normalized vectors: 1 - a.b. */
double ov_tracker_cosine_distance (const float *a, const float *b, guint len);
/* 1 - Bhattacharyya coefficient's square root (0 same, 1 disjoint). */
double ov_tracker_histogram_distance (const float *a, const float *b);
double ov_tracker_iou (const OvTrackerBox *a, const OvTrackerBox *b);

G_END_DECLS

#endif
