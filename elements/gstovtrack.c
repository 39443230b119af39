/**
 * SECTION:element-ovtrack
 * @title: ovtrack
 *
 * Gives the objects found by ovdetect stable ids across frames (DL
 * Streamer's gvatrack): each object's box follows a constant-velocity
 * Kalman filter, and the frame's detections are associated with the
 * predicted boxes by IoU (plus a color-histogram cue for `zero-term`) as a
 * minimum-cost assignment. The id is written as the ROI's `object_id`
 * structure (`id` in ovmetaconvert's JSON), which ovclassify's
 * `reclassify-interval` and ovoverlay use.
 *
 * `tracking-type`:
 * - `zero-term` (default): detection on every frame; ids by motion and
 *   appearance.
 * - `zero-term-imageless`: the same by motion only (any pixel format,
 *   never reads pixels).
 * - `short-term-imageless`: also carries objects through frames the
 *   detector skipped (ovdetect `inference-interval` > 1), adding their
 *   predicted boxes as ROIs so that every frame has its objects.
 * - `deep-sort`: Deep SORT, with the objects' appearance features from a
 *   re-identification model run on the ROIs before (ovinference
 *   inference-region=roi-list, as DL Streamer's gvainference with
 *   mars-small128): its float tensor on each ROI. Settings in
 *   `deepsort-trck-cfg`. An object gets its id once it was matched on
 *   n_init detection frames.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 filesrc location=in.mp4 ! decodebin ! videoconvert ! \
 *     ovdetect model=detector.onnx inference-interval=3 ! \
 *     ovtrack tracking-type=short-term-imageless ! \
 *     ovmetaconvert ! fakesink
 * ]|
 */
#include "gstovtrack.h"

#include <gst/video/video.h>
#include <math.h>
#include <string.h>

#include "gstovkeyvalues.h"
#include "gstovmeta.h"
#include "tracker/ovtracker.h"

GST_DEBUG_CATEGORY_STATIC (gst_ov_track_debug);
#define GST_CAT_DEFAULT gst_ov_track_debug

#define DEFAULT_TRACKING_TYPE GST_OV_TRACKING_ZERO_TERM
#define DEFAULT_DEVICE ""
#define DEFAULT_MAX_AGE 30
#define DEFAULT_IOU_THRESHOLD 0.3
#define DEFAULT_TRACKING_PER_CLASS TRUE
#define DEFAULT_MAX_NUM_OBJECTS 0
/* Share of appearance in the association cost of the zero-term tracker. */
#define APPEARANCE_WEIGHT 0.3
/* Sampling grid of the appearance histogram, per side of the box. */
#define HISTOGRAM_SAMPLES 16
/* Deep SORT's defaults (DL Streamer's deepsort-trck-cfg; its max_age is
 * the max-age property's default). */
#define DEEP_SORT_MAX_IOU_DISTANCE 0.7
#define DEEP_SORT_N_INIT 3
#define DEEP_SORT_MAX_COSINE_DISTANCE 0.2
#define DEEP_SORT_NN_BUDGET 100

enum {
  PROP_0,
  PROP_TRACKING_TYPE,
  PROP_DEVICE,
  PROP_CONFIG,
  PROP_MAX_AGE,
  PROP_IOU_THRESHOLD,
  PROP_TRACKING_PER_CLASS,
  PROP_MAX_NUM_OBJECTS,
  PROP_DEEPSORT_TRCK_CFG,
};

struct _GstOvTrack {
  GstBaseTransform parent;

  /* Properties (object lock). */
  GstOvTrackingType tracking_type;
  gchar *device;
  gchar *config;
  guint max_age;
  gdouble iou_threshold;
  gboolean tracking_per_class;
  guint max_num_objects;
  gchar *deepsort_cfg;

  /* Streaming. */
  GstVideoInfo info;
  OvTracker *tracker;
  GstOvTrackingType running_type;
  GArray *detections;           /* OvTrackerDetection */
  GPtrArray *rois;
  float *histograms;
  float *features;              /* deep-sort: one normalized vector per ROI */
  gsize features_size;          /* floats allocated */
  guint feature_len;            /* of the first vector seen */
  gboolean warned_features;
  guint8 *row;                  /* one unpacked row */
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (GST_VIDEO_FORMATS_ALL)));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (GST_VIDEO_FORMATS_ALL)));

G_DEFINE_TYPE (GstOvTrack, gst_ov_track, GST_TYPE_BASE_TRANSFORM);
GST_ELEMENT_REGISTER_DEFINE (ovtrack, "ovtrack", GST_RANK_NONE,
    GST_TYPE_OV_TRACK);

GType
gst_ov_tracking_type_get_type (void)
{
  static GType type = 0;
  /* DL Streamer's numbers and nicknames (since its 2022 releases). */
  static const GEnumValue values[] = {
    { GST_OV_TRACKING_ZERO_TERM,
        "Zero-term: detection on every frame, ids by motion and appearance",
        "zero-term" },
    { GST_OV_TRACKING_SHORT_TERM_IMAGELESS,
        "Short-term imageless: objects carried through frames without "
          "detection by their motion", "short-term-imageless" },
    { GST_OV_TRACKING_ZERO_TERM_IMAGELESS,
        "Zero-term imageless: detection on every frame, ids by motion",
        "zero-term-imageless" },
    { GST_OV_TRACKING_DEEP_SORT,
        "Deep SORT: ids by the ROIs' re-identification features (from "
          "ovinference inference-region=roi-list before) and motion",
        "deep-sort" },
    { 0, NULL, NULL },
  };
  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstOvTrackingType", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

/* ---- configuration -------------------------------------------------------- */

typedef struct {
  GstOvTrack *self;
  OvTrackerConfig *c;
} ConfigWalk;

static gboolean
bad_setting (GError **error, const gchar *what, const gchar *key,
    const gchar *value, const gchar *expected)
{
  g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
      "%s: %s=%s is not %s", what, key, value, expected);
  return FALSE;
}

/* DL Streamer's `config`. The keys it documents are applied; others (its
 * VAS tracker's internals) are reported and ignored so that ported
 * pipelines still run. */
static gboolean
config_pair (const gchar *key, const gchar *value, gpointer data,
    GError **error)
{
  ConfigWalk *w = data;

  if (!strcmp (key, "max_num_objects")) {
    gchar *end;
    gint64 v = g_ascii_strtoll (value, &end, 10);
    if (*value == '\0' || *end != '\0' || v < -1 || v > G_MAXINT)
      return bad_setting (error, "config", key, value,
          "a count (-1: unlimited)");
    w->c->max_objects = v < 0 ? 0 : (guint) v;
  } else if (!strcmp (key, "tracking_per_class")) {
    if (!gst_ov_key_value_bool (value, &w->c->per_class))
      return bad_setting (error, "config", key, value, "a boolean");
  } else {
    GST_ELEMENT_WARNING (w->self, RESOURCE, SETTINGS, (NULL),
        ("config: key \"%s\" is not used by this tracker "
            "(known: max_num_objects, tracking_per_class)", key));
  }
  return TRUE;
}

/* DL Streamer's `deepsort-trck-cfg`. */
static gboolean
deep_sort_pair (const gchar *key, const gchar *value, gpointer data,
    GError **error)
{
  ConfigWalk *w = data;
  OvTrackerConfig *c = w->c;
  gchar *end;
  gdouble v = g_ascii_strtod (value, &end);

  if (*value == '\0' || *end != '\0' || !isfinite (v) || v < 0)
    return bad_setting (error, "deepsort-trck-cfg", key, value,
        "a number >= 0");
  if (!strcmp (key, "max_iou_distance")) {
    if (v > 1.0)
      return bad_setting (error, "deepsort-trck-cfg", key, value,
          "in range (IoU distances are 0..1)");
    c->max_iou_distance = v;
  } else if (!strcmp (key, "max_cosine_distance")) {
    if (v > 2.0)
      return bad_setting (error, "deepsort-trck-cfg", key, value,
          "in range (cosine distances are 0..2)");
    c->max_cosine_distance = v;
  } else if (!strcmp (key, "max_age") || !strcmp (key, "n_init")
      || !strcmp (key, "nn_budget")) {
    gboolean is_max_age = !strcmp (key, "max_age");
    if (v != floor (v) || v > G_MAXINT || (!is_max_age && v < 1))
      return bad_setting (error, "deepsort-trck-cfg", key, value,
          is_max_age ? "a whole number" : "a whole number >= 1");
    if (is_max_age)
      c->max_age = (guint) v;
    else if (!strcmp (key, "n_init"))
      c->n_init = (guint) v;
    else if (v > 1000)
      /* Each object keeps nn_budget vectors: a bound on its memory. */
      return bad_setting (error, "deepsort-trck-cfg", key, value,
          "at most 1000");
    else
      c->nn_budget = (guint) v;
  } else {
    GST_ELEMENT_WARNING (w->self, RESOURCE, SETTINGS, (NULL),
        ("deepsort-trck-cfg: key \"%s\" is not known (known: "
            "max_iou_distance, max_age, n_init, max_cosine_distance, "
            "nn_budget)", key));
  }
  return TRUE;
}

/* Both settings strings; FALSE after posting the error. */
static gboolean
apply_settings (GstOvTrack *self, const gchar *config,
    const gchar *deep_config, OvTrackerConfig *c)
{
  ConfigWalk w = { self, c };
  GError *err = NULL;

  if (gst_ov_key_values_foreach (config, "config", config_pair, &w, &err)
      && gst_ov_key_values_foreach (deep_config, "deepsort-trck-cfg",
          deep_sort_pair, &w, &err))
    return TRUE;
  GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, (NULL), ("%s",
          err->message));
  g_error_free (err);
  return FALSE;
}

/* ---- appearance ----------------------------------------------------------- */

/* The ROI's re-identification feature, for deep-sort: a float tensor a
 * model run on the ROI attached (ovinference's inference_layer_name:...),
 * one whose layer is named like a feature output preferred. NULL when
 * there is none; *len its element count. */
static const float *
roi_feature (GstVideoRegionOfInterestMeta *roi, guint *len)
{
  const float *best = NULL;
  gboolean best_named = FALSE;

  for (GList *l = roi->params; l; l = l->next) {
    const GstStructure *s = l->data;
    const gchar *name = gst_structure_get_name (s);
    gint precision = 0;
    gsize size = 0;
    gconstpointer data;
    gboolean named;
    if (!gst_structure_has_field (s, "data")
        || !gst_structure_get_int (s, "precision", &precision)
        || precision != GST_OV_PRECISION_FP32)
      continue;
    data = gst_ov_tensor_structure_get_data (s, &size);
    if (data == NULL || size < 2 * sizeof (float))
      continue;
    named = strstr (name, "feature") != NULL || strstr (name, "output");
    if (best == NULL || (named && !best_named)) {
      best = data;
      best_named = named;
      *len = (guint) (size / sizeof (float));
    }
  }
  return best;
}

/* ---- appearance histogram ------------------------------------------------- */

/* A 4x4x4 histogram of the box's colors, sampled on a grid over its inner
 * part (the border is mostly background). Works on the unpacked 8-bit
 * AYUV or ARGB row, so any 8-bit format is handled the same way. Returns
 * FALSE when the format cannot be read or the box is empty. */
static gboolean
box_histogram (GstOvTrack *self, const GstVideoFrame *frame,
    const OvTrackerBox *box, float *hist)
{
  const GstVideoFormatInfo *finfo = frame->info.finfo;
  int fw = GST_VIDEO_FRAME_WIDTH (frame), fh = GST_VIDEO_FRAME_HEIGHT (frame);
  int x0 = (int) floor (box->x + box->w * 0.1);
  int x1 = (int) ceil (box->x + box->w * 0.9);
  int y0 = (int) floor (box->y + box->h * 0.1);
  int y1 = (int) ceil (box->y + box->h * 0.9);
  int count = 0;

  if (GST_VIDEO_FORMAT_INFO_DEPTH (finfo, 0) != 8 || !finfo->unpack_func)
    return FALSE;
  x0 = CLAMP (x0, 0, fw);
  x1 = CLAMP (x1, 0, fw);
  y0 = CLAMP (y0, 0, fh);
  y1 = CLAMP (y1, 0, fh);
  if (x1 <= x0 || y1 <= y0)
    return FALSE;
  memset (hist, 0, sizeof (float) * OV_TRACKER_HISTOGRAM_BINS);
  for (int sy = 0; sy < HISTOGRAM_SAMPLES; sy++) {
    int y = y0 + (int) (((gint64) (2 * sy + 1) * (y1 - y0))
        / (2 * HISTOGRAM_SAMPLES));
    const guint8 *row;
    /* Whole-row unpacking keeps subsampled chroma correct at any x. */
    finfo->unpack_func (finfo, GST_VIDEO_PACK_FLAG_NONE, self->row,
        frame->data, frame->info.stride, 0, y, fw);
    row = self->row;
    for (int sx = 0; sx < HISTOGRAM_SAMPLES; sx++) {
      int x = x0 + (int) (((gint64) (2 * sx + 1) * (x1 - x0))
          / (2 * HISTOGRAM_SAMPLES));
      const guint8 *px = row + 4 * x;
      hist[(px[1] >> 6) * 16 + (px[2] >> 6) * 4 + (px[3] >> 6)] += 1;
      count++;
    }
  }
  for (int i = 0; i < OV_TRACKER_HISTOGRAM_BINS; i++)
    hist[i] /= count;
  return TRUE;
}

/* ---- streaming ------------------------------------------------------------ */

static gboolean
gst_ov_track_start (GstBaseTransform *trans)
{
  GstOvTrack *self = GST_OV_TRACK (trans);
  OvTrackerConfig c = { 0 };
  gboolean ok;
  gchar *config, *deep_config;

  GST_OBJECT_LOCK (self);
  if (self->device && *self->device
      && g_ascii_strcasecmp (self->device, "CPU")) {
    gchar *device = g_strdup (self->device);
    GST_OBJECT_UNLOCK (self);
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, (NULL),
        ("device \"%s\": tracking runs on the CPU (device=CPU or unset)",
            device));
    g_free (device);
    return FALSE;
  }
  c.iou_threshold = self->iou_threshold;
  c.max_age = self->max_age;
  c.per_class = self->tracking_per_class;
  c.max_objects = self->max_num_objects;
  self->running_type = self->tracking_type;
  c.appearance_weight = self->running_type == GST_OV_TRACKING_ZERO_TERM
      ? APPEARANCE_WEIGHT : 0.0;
  if (self->running_type == GST_OV_TRACKING_DEEP_SORT) {
    c.deep_sort = TRUE;
    c.max_iou_distance = DEEP_SORT_MAX_IOU_DISTANCE;
    c.max_cosine_distance = DEEP_SORT_MAX_COSINE_DISTANCE;
    c.n_init = DEEP_SORT_N_INIT;
    c.nn_budget = DEEP_SORT_NN_BUDGET;
  }
  config = g_strdup (self->config);
  deep_config = c.deep_sort ? g_strdup (self->deepsort_cfg) : NULL;
  GST_OBJECT_UNLOCK (self);

  ok = apply_settings (self, config, deep_config, &c);
  g_free (config);
  g_free (deep_config);
  if (!ok)
    return FALSE;
  self->feature_len = 0;
  self->warned_features = FALSE;
  self->tracker = ov_tracker_new (&c);
  self->detections = g_array_new (FALSE, FALSE, sizeof (OvTrackerDetection));
  self->rois = g_ptr_array_new ();
  return TRUE;
}

static gboolean
gst_ov_track_stop (GstBaseTransform *trans)
{
  GstOvTrack *self = GST_OV_TRACK (trans);
  g_clear_pointer (&self->tracker, ov_tracker_free);
  g_clear_pointer (&self->detections, g_array_unref);
  g_clear_pointer (&self->rois, g_ptr_array_unref);
  g_clear_pointer (&self->histograms, g_free);
  g_clear_pointer (&self->features, g_free);
  self->features_size = 0;
  g_clear_pointer (&self->row, g_free);
  return TRUE;
}

static gboolean
gst_ov_track_set_caps (GstBaseTransform *trans, GstCaps *incaps,
    GstCaps *outcaps)
{
  GstOvTrack *self = GST_OV_TRACK (trans);
  if (!gst_video_info_from_caps (&self->info, incaps))
    return FALSE;
  g_free (self->row);
  self->row = g_malloc (4 * (gsize) GST_VIDEO_INFO_WIDTH (&self->info));
  return TRUE;
}

static gboolean
gst_ov_track_sink_event (GstBaseTransform *trans, GstEvent *event)
{
  GstOvTrack *self = GST_OV_TRACK (trans);
  /* After a seek the objects are elsewhere: start over. */
  if (GST_EVENT_TYPE (event) == GST_EVENT_FLUSH_STOP && self->tracker)
    ov_tracker_reset (self->tracker);
  return GST_BASE_TRANSFORM_CLASS (gst_ov_track_parent_class)->sink_event
      (trans, event);
}

/* deep-sort: the ROI's feature, L2-normalized, into the frame's buffer;
 * every vector must have the first one's length. */
static void
set_feature (GstOvTrack *self, GstVideoRegionOfInterestMeta *roi,
    OvTrackerDetection *d, guint i, guint n)
{
  guint len = 0;
  const float *f = roi_feature (roi, &len);
  float *out;
  double norm = 0;

  if (f && self->feature_len == 0)
    self->feature_len = len;
  if (f == NULL || len != self->feature_len) {
    if (!self->warned_features) {
      GST_ELEMENT_WARNING (self, STREAM, FORMAT,
          ("deep-sort: a detection has no re-identification feature%s",
              f ? " of the first one's length" : ""),
          ("run a re-identification model on the ROIs before ovtrack "
              "(ovinference inference-region=roi-list); such objects are "
              "matched by overlap only"));
      self->warned_features = TRUE;
    }
    return;
  }
  /* Sized for the whole frame at once: earlier vectors stay in place. */
  if (self->features_size < (gsize) n * len) {
    g_free (self->features);
    self->features_size = (gsize) n * len;
    self->features = g_new (float, self->features_size);
  }
  out = self->features + (gsize) i * len;
  for (guint k = 0; k < len; k++)
    norm += (double) f[k] * f[k];
  norm = norm > 0 ? 1.0 / sqrt (norm) : 0.0;
  for (guint k = 0; k < len; k++)
    out[k] = (float) (f[k] * norm);
  d->feature = out;
  d->feature_len = len;
}

static void
track_detections (GstOvTrack *self, GstBuffer *buf)
{
  GstVideoFrame frame;
  gboolean mapped = FALSE;
  guint n = self->rois->len;

  g_array_set_size (self->detections, n);
  if (self->running_type == GST_OV_TRACKING_ZERO_TERM && n > 0) {
    self->histograms = g_renew (float, self->histograms,
        (gsize) n * OV_TRACKER_HISTOGRAM_BINS);
    mapped = gst_video_frame_map (&frame, &self->info, buf, GST_MAP_READ);
  }
  for (guint i = 0; i < n; i++) {
    GstVideoRegionOfInterestMeta *roi = g_ptr_array_index (self->rois, i);
    OvTrackerDetection *d = &g_array_index (self->detections,
        OvTrackerDetection, i);
    double confidence = 1.0;
    int label_id = -1;
    gst_ov_roi_get_detection (roi, &confidence, &label_id, NULL);
    d->box.x = roi->x;
    d->box.y = roi->y;
    d->box.w = roi->w;
    d->box.h = roi->h;
    d->label_id = label_id;
    d->label = roi->roi_type;
    d->confidence = confidence;
    d->histogram = NULL;
    d->feature = NULL;
    d->feature_len = 0;
    if (self->running_type == GST_OV_TRACKING_DEEP_SORT)
      set_feature (self, roi, d, i, n);
    if (mapped) {
      float *h = self->histograms + (gsize) i * OV_TRACKER_HISTOGRAM_BINS;
      if (box_histogram (self, &frame, &d->box, h))
        d->histogram = h;
    }
  }
  if (mapped)
    gst_video_frame_unmap (&frame);

  ov_tracker_update (self->tracker, (OvTrackerDetection *) self->detections->data,
      n);
  for (guint i = 0; i < n; i++) {
    int id = g_array_index (self->detections, OvTrackerDetection, i).id;
    if (id > 0) {
      gst_ov_roi_track (buf, g_ptr_array_index (self->rois, i), id);
    }
  }
}

/* A frame the detector skipped: the objects where their motion puts them,
 * added as ROIs (short-term) or only advanced (zero-term). */
static void
carry_objects (GstOvTrack *self, GstBuffer *buf)
{
  guint live = ov_tracker_count (self->tracker);
  OvTrackerObject *objects = g_new (OvTrackerObject, MAX (live, 1));
  guint n = ov_tracker_predict (self->tracker, objects, live);
  int fw = GST_VIDEO_INFO_WIDTH (&self->info);
  int fh = GST_VIDEO_INFO_HEIGHT (&self->info);

  if (self->running_type == GST_OV_TRACKING_SHORT_TERM_IMAGELESS) {
    for (guint i = 0; i < n; i++) {
      const OvTrackerObject *o = &objects[i];
      double x0 = CLAMP (o->box.x, 0, fw), y0 = CLAMP (o->box.y, 0, fh);
      double x1 = CLAMP (o->box.x + o->box.w, 0, fw);
      double y1 = CLAMP (o->box.y + o->box.h, 0, fh);
      GstVideoRegionOfInterestMeta *roi;
      if (!(x1 - x0 >= 1 && y1 - y0 >= 1))
        continue;               /* left the frame */
      roi = gst_ov_add_detection (buf, fw, fh, x0, y0, x1, y1, o->confidence,
          o->label_id, o->label ? g_quark_to_string (o->label) : NULL);
      if (roi) {
        gst_ov_roi_track (buf, roi, o->id);
      }
    }
  }
  g_free (objects);
}

static GstFlowReturn
gst_ov_track_transform_ip (GstBaseTransform *trans, GstBuffer *buf)
{
  GstOvTrack *self = GST_OV_TRACK (trans);
  gpointer state = NULL;
  GstMeta *m;

  g_ptr_array_set_size (self->rois, 0);
  while ((m = gst_buffer_iterate_meta_filtered (buf, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE)))
    g_ptr_array_add (self->rois, m);

  if (self->rois->len > 0 || gst_ov_buffer_is_detected (buf))
    track_detections (self, buf);
  else
    carry_objects (self, buf);
  return GST_FLOW_OK;
}

/* ---- properties ----------------------------------------------------------- */

static void
gst_ov_track_set_property (GObject *object, guint prop_id,
    const GValue *value, GParamSpec *pspec)
{
  GstOvTrack *self = GST_OV_TRACK (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_TRACKING_TYPE:
      self->tracking_type = g_value_get_enum (value);
      break;
    case PROP_DEVICE:
      g_free (self->device);
      self->device = g_value_dup_string (value);
      break;
    case PROP_CONFIG:
      g_free (self->config);
      self->config = g_value_dup_string (value);
      break;
    case PROP_MAX_AGE:
      self->max_age = g_value_get_uint (value);
      break;
    case PROP_IOU_THRESHOLD:
      self->iou_threshold = g_value_get_double (value);
      break;
    case PROP_TRACKING_PER_CLASS:
      self->tracking_per_class = g_value_get_boolean (value);
      break;
    case PROP_MAX_NUM_OBJECTS:
      self->max_num_objects = g_value_get_uint (value);
      break;
    case PROP_DEEPSORT_TRCK_CFG:
      g_free (self->deepsort_cfg);
      self->deepsort_cfg = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_ov_track_get_property (GObject *object, guint prop_id, GValue *value,
    GParamSpec *pspec)
{
  GstOvTrack *self = GST_OV_TRACK (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_TRACKING_TYPE:
      g_value_set_enum (value, self->tracking_type);
      break;
    case PROP_DEVICE:
      g_value_set_string (value, self->device);
      break;
    case PROP_CONFIG:
      g_value_set_string (value, self->config);
      break;
    case PROP_MAX_AGE:
      g_value_set_uint (value, self->max_age);
      break;
    case PROP_IOU_THRESHOLD:
      g_value_set_double (value, self->iou_threshold);
      break;
    case PROP_TRACKING_PER_CLASS:
      g_value_set_boolean (value, self->tracking_per_class);
      break;
    case PROP_MAX_NUM_OBJECTS:
      g_value_set_uint (value, self->max_num_objects);
      break;
    case PROP_DEEPSORT_TRCK_CFG:
      g_value_set_string (value, self->deepsort_cfg);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_ov_track_finalize (GObject *object)
{
  GstOvTrack *self = GST_OV_TRACK (object);
  g_free (self->device);
  g_free (self->config);
  g_free (self->deepsort_cfg);
  G_OBJECT_CLASS (gst_ov_track_parent_class)->finalize (object);
}

static void
gst_ov_track_class_init (GstOvTrackClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
      | GST_PARAM_MUTABLE_READY;

  GST_DEBUG_CATEGORY_INIT (gst_ov_track_debug, "ovtrack", 0,
      "ov object tracking");

  gobject_class->set_property = gst_ov_track_set_property;
  gobject_class->get_property = gst_ov_track_get_property;
  gobject_class->finalize = gst_ov_track_finalize;

  g_object_class_install_property (gobject_class, PROP_TRACKING_TYPE,
      g_param_spec_enum ("tracking-type", "Tracking type",
          "How objects are followed between frames",
          GST_TYPE_OV_TRACKING_TYPE, DEFAULT_TRACKING_TYPE, flags));
  g_object_class_install_property (gobject_class, PROP_DEVICE,
      g_param_spec_string ("device", "Device",
          "Where tracking runs: CPU (the only one; unset means CPU)",
          DEFAULT_DEVICE, flags));
  g_object_class_install_property (gobject_class, PROP_CONFIG,
      g_param_spec_string ("config", "Config",
          "DL Streamer's comma-separated KEY=VALUE settings: "
          "max_num_objects (-1 unlimited), tracking_per_class (true/false); "
          "they override the typed properties", NULL, flags));
  g_object_class_install_property (gobject_class, PROP_MAX_AGE,
      g_param_spec_uint ("max-age", "Maximum age",
          "Detection frames an object may go undetected before its id is "
          "retired", 0, G_MAXINT, DEFAULT_MAX_AGE, flags));
  g_object_class_install_property (gobject_class, PROP_IOU_THRESHOLD,
      g_param_spec_double ("iou-threshold", "IoU threshold",
          "Minimum overlap between an object's predicted box and a detection "
          "to associate them", 0.0, 1.0, DEFAULT_IOU_THRESHOLD, flags));
  g_object_class_install_property (gobject_class, PROP_TRACKING_PER_CLASS,
      g_param_spec_boolean ("tracking-per-class", "Tracking per class",
          "Associate a detection only with objects of its label",
          DEFAULT_TRACKING_PER_CLASS, flags));
  g_object_class_install_property (gobject_class, PROP_MAX_NUM_OBJECTS,
      g_param_spec_uint ("max-num-objects", "Maximum number of objects",
          "Objects tracked at once (0: unlimited); further detections get "
          "no id", 0, G_MAXINT, DEFAULT_MAX_NUM_OBJECTS, flags));
  g_object_class_install_property (gobject_class, PROP_DEEPSORT_TRCK_CFG,
      g_param_spec_string ("deepsort-trck-cfg", "Deep SORT config",
          "tracking-type=deep-sort's comma-separated KEY=VALUE settings: "
          "max_iou_distance (0.7), max_age (30), n_init (3), "
          "max_cosine_distance (0.2), nn_budget (100)", NULL, flags));

  gst_element_class_set_static_metadata (element_class, "Object tracking",
      "Filter/Analyzer/Video",
      "Gives detected objects ids that stay the same across frames",
      "gst-ovi developers");
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);

  trans_class->start = GST_DEBUG_FUNCPTR (gst_ov_track_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_ov_track_stop);
  trans_class->set_caps = GST_DEBUG_FUNCPTR (gst_ov_track_set_caps);
  trans_class->sink_event = GST_DEBUG_FUNCPTR (gst_ov_track_sink_event);
  trans_class->transform_ip = GST_DEBUG_FUNCPTR (gst_ov_track_transform_ip);

  gst_type_mark_as_plugin_api (GST_TYPE_OV_TRACKING_TYPE, 0);
}

static void
gst_ov_track_init (GstOvTrack *self)
{
  self->tracking_type = DEFAULT_TRACKING_TYPE;
  self->device = g_strdup (DEFAULT_DEVICE);
  self->max_age = DEFAULT_MAX_AGE;
  self->iou_threshold = DEFAULT_IOU_THRESHOLD;
  self->tracking_per_class = DEFAULT_TRACKING_PER_CLASS;
  self->max_num_objects = DEFAULT_MAX_NUM_OBJECTS;
  gst_base_transform_set_in_place (GST_BASE_TRANSFORM (self), TRUE);
}
