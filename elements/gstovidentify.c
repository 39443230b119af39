/**
 * SECTION:element-ovidentify
 * @title: ovidentify
 *
 * Names faces: each region's face descriptor (the raw tensor a
 * recognition model attached through ovclassify, `face_descriptor` by
 * default) is matched against a gallery of known persons (an SQLite
 * database made with `ovi-gallery`, or a JSON gallery), and the region
 * gets an `identity` attribute: the person's name, or `unknown` when the
 * nearest gallery face is farther than `threshold`. With ovtrack upstream
 * a tracked face keeps its identity between recognitions, decided by a
 * majority over its last `vote-window` recognitions. Changes to the
 * gallery (another process enrolling, renaming, removing) are picked up
 * while playing.
 *
 * With `events` (the default) it also keeps the set of persons present in
 * the stream, for a camera: a person *appears* on the first frame they
 * are identified on and *leaves* once not identified for `leave-after` of
 * stream time (2 s by default: long enough that a missed detection, the
 * frames between inference-interval runs or a face turned away for a
 * moment do not make them leave and come back). Each change is an
 * `identity_event` structure in a #GstOvTensorMeta on that frame (which
 * ovmetaconvert writes to the JSON's `events`; `events-only=true` there
 * makes one message per change) and an `ovidentify-event` element message
 * on the bus with the same fields: `event` ("appeared" or "left"),
 * `person`, `person_id`, `similarity`, `timestamp` (stream time, ns); for
 * appeared the `region` (x, y, w, h in pixels, `id` when tracked), for
 * left the `reason` ("unseen", or "eos": everyone still present leaves at
 * the end of the stream, in a custom downstream event just before EOS
 * since no frame is left to carry it), `first_seen` and `last_seen`.
 * `unknown` faces are no person; with `unknown-events` they count as one
 * person "unknown" (person_id 0): "an unknown face appeared" when one
 * shows while none was there, "left" when none was seen for leave-after.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 filesrc location=people.mp4 ! decodebin ! videoconvert ! \
 *     ovdetect model=models/faceapi/ssd_mobilenetv1.onnx \
 *       model-proc=models/faceapi/ssd_mobilenetv1.json ! ovtrack ! \
 *     ovclassify model=models/faceapi/face_recognition.onnx \
 *       model-proc=models/faceapi/face_recognition.json ! \
 *     ovidentify gallery=faces.db ! ovmetaconvert ! fakesink
 * ]|
 * Arrivals and departures at a door camera, one MQTT message each:
 * |[
 * gst-launch-1.0 v4l2src ! videoconvert ! \
 *     ovdetect model=models/faceapi/ssd_mobilenetv1.onnx \
 *       model-proc=models/faceapi/ssd_mobilenetv1.json ! \
 *     ovtrack tracking-type=short-term-imageless ! \
 *     ovclassify model=models/faceapi/face_landmark_68.onnx \
 *       model-proc=models/faceapi/face_landmark_68.json ! \
 *     ovclassify model=models/faceapi/face_recognition.onnx \
 *       model-proc=models/faceapi/face_recognition.json ! \
 *     ovidentify gallery=faces.db leave-after=3000000000 ! \
 *     ovmetaconvert events-only=true source=door ! \
 *     ovmetapublish method=mqtt address=localhost:1883 topic=faces/events ! \
 *     fakesink
 * ]|
 */
#include "gstovidentify.h"

#include <gst/video/video.h>
#include <string.h>

#include "gstovmeta.h"
#include "ovgallery-matcher.h"
#include "ovidentify-presence.h"
#include "ovidentify-votes.h"

GST_DEBUG_CATEGORY_STATIC (gst_ov_identify_debug);
#define GST_CAT_DEFAULT gst_ov_identify_debug

#define DEFAULT_GALLERY NULL
#define DEFAULT_METRIC GST_OV_IDENTIFY_METRIC_EUCLIDEAN
#define DEFAULT_THRESHOLD -1.0
#define DEFAULT_TENSOR_NAME "face_descriptor"
#define DEFAULT_MODEL NULL
#define DEFAULT_OBJECT_CLASS NULL
#define DEFAULT_VOTE_WINDOW 5
#define DEFAULT_EVENTS TRUE
#define DEFAULT_LEAVE_AFTER (2 * GST_SECOND)
#define DEFAULT_UNKNOWN_EVENTS FALSE

/* threshold=-1: face-api's Euclidean distance 0.6; for cosine, 0.2 is
 * about the same boundary for unit-length descriptors (d^2 = 2 (1 - cos)
 * gives 1 - cos = 0.18 at d = 0.6). */
#define EUCLIDEAN_THRESHOLD 0.6
#define COSINE_THRESHOLD 0.2
/* A tracked object not seen for this many frames is forgotten (10 s at
 * 30 fps, longer than ovtrack keeps an undetected object by default). */
#define FORGET_AFTER_FRAMES 300
/* While playing, a reader waits this long for a lock before keeping the
 * gallery it has (a frame is not held up for a writer). */
#define STREAMING_BUSY_TIMEOUT_MS 50

#define UNKNOWN_LABEL "unknown"
#define EVENT_STRUCTURE "identity_event"
#define EVENT_MESSAGE "ovidentify-event"

enum {
  PROP_0,
  PROP_GALLERY,
  PROP_METRIC,
  PROP_THRESHOLD,
  PROP_TENSOR_NAME,
  PROP_MODEL,
  PROP_OBJECT_CLASS,
  PROP_VOTE_WINDOW,
  PROP_EVENTS,
  PROP_LEAVE_AFTER,
  PROP_UNKNOWN_EVENTS,
};

struct _GstOvIdentify {
  GstBaseTransform parent;

  /* Properties (object lock). */
  gchar *gallery_path;
  GstOvIdentifyMetric metric;
  gdouble threshold;
  gchar *tensor_name;
  gchar *model;
  gchar *object_class;
  guint vote_window;
  gboolean events;
  guint64 leave_after;
  gboolean unknown_events;

  /* Streaming: copies of the properties taken at start. */
  OvGallery *gallery;
  OvGalleryMatcher *matcher;
  OvIdentifyVotes *votes;
  OvGalleryMetric running_metric;
  double running_threshold;
  gchar *running_tensor;
  gchar *running_model;
  gchar **classes;
  gchar *model_name;            /* the gallery's file name, on attributes */
  GArray *descriptor;           /* float scratch */
  OvIdentifyPresence *presence; /* NULL without events */
  guint64 running_leave_after;
  gboolean running_unknown_events;
  GstClockTime last_stamp;      /* stream time of the last frame's end */
  gboolean warned_missing;
  gboolean warned_dim;
  gboolean warned_refresh;
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (GST_VIDEO_FORMATS_ALL)));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (GST_VIDEO_FORMATS_ALL)));

G_DEFINE_TYPE (GstOvIdentify, gst_ov_identify, GST_TYPE_BASE_TRANSFORM);
GST_ELEMENT_REGISTER_DEFINE (ovidentify, "ovidentify", GST_RANK_NONE,
    GST_TYPE_OV_IDENTIFY);

GType
gst_ov_identify_metric_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    { GST_OV_IDENTIFY_METRIC_EUCLIDEAN,
        "Euclidean distance (face-api.js's convention)", "euclidean" },
    { GST_OV_IDENTIFY_METRIC_COSINE,
        "Cosine distance, 1 - cosine similarity (gvaidentify's)", "cosine" },
    { 0, NULL, NULL },
  };
  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstOvIdentifyMetric", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

/* ---- start / stop --------------------------------------------------------- */

static gboolean
is_json_gallery (const gchar *path)
{
  return g_str_has_suffix (path, ".json") || g_str_has_suffix (path, ".JSON");
}

/* The gallery's connection and its matcher; a JSON gallery is imported
 * into a private in-memory database (read once, at start). */
static gboolean
open_gallery (GstOvIdentify *self, const gchar *path)
{
  GError *error = NULL;
  OvGallery *gallery;

  if (is_json_gallery (path)) {
    gallery = ov_gallery_open_memory (&error);
    if (gallery && !ov_gallery_import_file (gallery, path, NULL, &error))
      g_clear_pointer (&gallery, ov_gallery_close);
  } else {
    gallery = ov_gallery_open (path, OV_GALLERY_OPEN_DEFAULT, &error);
  }
  if (gallery)
    self->matcher = ov_gallery_matcher_new (gallery, &error);
  if (self->matcher == NULL) {
    if (g_error_matches (error, OV_GALLERY_ERROR, OV_GALLERY_ERROR_NOT_FOUND)
        || g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
      GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
          ("Gallery \"%s\" not found.", path), ("%s", error->message));
    else if (g_error_matches (error, OV_GALLERY_ERROR,
            OV_GALLERY_ERROR_INVALID))
      GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
          ("Gallery \"%s\" is not a valid gallery.", path), ("%s",
              error->message));
    else
      GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ,
          ("Could not read gallery \"%s\".", path), ("%s", error->message));
    g_error_free (error);
    ov_gallery_close (gallery);
    return FALSE;
  }
  ov_gallery_set_busy_timeout (gallery, STREAMING_BUSY_TIMEOUT_MS);
  self->gallery = gallery;
  GST_INFO_OBJECT (self, "gallery %s: %u faces", path,
      ov_gallery_matcher_get_n_faces (self->matcher));
  return TRUE;
}

static gboolean gst_ov_identify_stop (GstBaseTransform *trans);

static gboolean
gst_ov_identify_start (GstBaseTransform *trans)
{
  GstOvIdentify *self = GST_OV_IDENTIFY (trans);
  gchar *path;
  guint window;
  double threshold;
  gboolean ok, events;

  GST_OBJECT_LOCK (self);
  path = g_strdup (self->gallery_path);
  self->running_metric = self->metric == GST_OV_IDENTIFY_METRIC_COSINE
      ? OV_GALLERY_METRIC_COSINE : OV_GALLERY_METRIC_EUCLIDEAN;
  threshold = self->threshold;
  self->running_tensor = g_strdup (self->tensor_name);
  self->running_model = self->model && *self->model
      ? g_strdup (self->model) : NULL;
  self->classes = self->object_class && *self->object_class
      ? g_strsplit (self->object_class, ",", -1) : NULL;
  window = self->vote_window;
  events = self->events;
  self->running_leave_after = self->leave_after;
  self->running_unknown_events = self->unknown_events;
  GST_OBJECT_UNLOCK (self);

  for (gchar **c = self->classes; c && *c; c++)
    g_strstrip (*c);
  if (threshold < 0)
    threshold = self->running_metric == OV_GALLERY_METRIC_COSINE
        ? COSINE_THRESHOLD : EUCLIDEAN_THRESHOLD;
  self->running_threshold = threshold;
  self->warned_missing = self->warned_dim = self->warned_refresh = FALSE;

  if (path == NULL || *path == '\0') {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("No gallery given."),
        ("set gallery= to an ovi-gallery database or a JSON gallery"));
    ok = FALSE;
  } else {
    ok = open_gallery (self, path);
  }
  if (ok) {
    self->model_name = g_path_get_basename (path);
    self->votes = ov_identify_votes_new (window, FORGET_AFTER_FRAMES);
    self->descriptor = g_array_new (FALSE, FALSE, sizeof (float));
    self->presence = events ? ov_identify_presence_new () : NULL;
    self->last_stamp = GST_CLOCK_TIME_NONE;
  }
  g_free (path);
  /* A failed start is not followed by stop: release what it took. */
  if (!ok)
    gst_ov_identify_stop (trans);
  return ok;
}

static gboolean
gst_ov_identify_stop (GstBaseTransform *trans)
{
  GstOvIdentify *self = GST_OV_IDENTIFY (trans);
  g_clear_pointer (&self->matcher, ov_gallery_matcher_free);
  g_clear_pointer (&self->gallery, ov_gallery_close);
  g_clear_pointer (&self->votes, ov_identify_votes_free);
  g_clear_pointer (&self->running_tensor, g_free);
  g_clear_pointer (&self->running_model, g_free);
  g_clear_pointer (&self->classes, g_strfreev);
  g_clear_pointer (&self->model_name, g_free);
  g_clear_pointer (&self->descriptor, g_array_unref);
  g_clear_pointer (&self->presence, ov_identify_presence_free);
  return TRUE;
}

static void announce_end (GstOvIdentify *self);

static gboolean
gst_ov_identify_sink_event (GstBaseTransform *trans, GstEvent *event)
{
  GstOvIdentify *self = GST_OV_IDENTIFY (trans);
  /* After a seek ovtrack starts over with new ids: so do the votes. The
   * persons present stay, but the clock jumps: no absence is counted
   * across the seek. */
  if (GST_EVENT_TYPE (event) == GST_EVENT_FLUSH_STOP && self->votes) {
    ov_identify_votes_clear (self->votes);
    if (self->presence)
      ov_identify_presence_rebase (self->presence);
  }
  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS && self->presence)
    announce_end (self);
  return GST_BASE_TRANSFORM_CLASS (gst_ov_identify_parent_class)->sink_event
      (trans, event);
}

/* ---- streaming ------------------------------------------------------------ */

static gboolean
wanted_class (GstOvIdentify *self, GstVideoRegionOfInterestMeta *roi)
{
  const gchar *label = gst_ov_roi_get_label (roi);
  if (self->classes == NULL)
    return TRUE;
  for (gchar **c = self->classes; *c; c++)
    if (**c && g_strcmp0 (*c, label) == 0)
      return TRUE;
  return FALSE;
}

/* Copies an FP32 tensor's values into the scratch array; FALSE if the
 * structure is not one, or `model` excludes it. */
static gboolean
read_fp32_tensor (GstOvIdentify *self, const GstStructure *s)
{
  const gchar *model_name;
  gconstpointer data;
  gint precision;
  gsize size;

  if (!gst_structure_get_int (s, "precision", &precision)
      || precision != GST_OV_PRECISION_FP32)
    return FALSE;
  if (self->running_model) {
    model_name = gst_structure_get_string (s, "model_name");
    if (model_name == NULL || strstr (model_name, self->running_model) == NULL)
      return FALSE;
  }
  data = gst_ov_tensor_structure_get_data (s, &size);
  if (data == NULL || size == 0 || size % sizeof (float) != 0)
    return FALSE;
  /* A copy: the tensor's bytes need not be aligned for floats. */
  g_array_set_size (self->descriptor, size / sizeof (float));
  memcpy (self->descriptor->data, data, size);
  return TRUE;
}

/* The region's descriptor into the scratch array: the tensor named
 * `tensor-name`; failing that, the region's only FP32 tensor whose size
 * some gallery face has (ovclassify names raw outputs without
 * attribute_name "classification_layer_name:<output>"). */
static gboolean
find_descriptor (GstOvIdentify *self, GstVideoRegionOfInterestMeta *roi)
{
  const GstStructure *candidate = NULL;
  guint candidates = 0;

  for (GList *l = roi->params; l; l = l->next)
    if (gst_structure_has_name (l->data, self->running_tensor)
        && read_fp32_tensor (self, l->data))
      return TRUE;
  for (GList *l = roi->params; l; l = l->next) {
    if (read_fp32_tensor (self, l->data)
        && ov_gallery_matcher_has_dim (self->matcher, self->descriptor->len)) {
      candidate = l->data;
      candidates++;
    }
  }
  return candidates == 1 && read_fp32_tensor (self, candidate);
}

static void
remove_identity (GstVideoRegionOfInterestMeta *roi)
{
  GList *l = roi->params;
  while (l) {
    GList *next = l->next;
    if (gst_structure_has_name (l->data, "identity")) {
      gst_structure_free (l->data);
      roi->params = g_list_delete_link (roi->params, l);
    }
    l = next;
  }
}

static void
attach_identity (GstOvIdentify *self, GstBuffer *buffer,
    GstVideoRegionOfInterestMeta *roi, const OvIdentifyVerdict *v)
{
  const gchar *name = v->person_id > 0
      ? ov_gallery_matcher_get_name (self->matcher, v->person_id) : NULL;
  GstStructure *s;

  /* A person removed from the gallery since the vote is unknown now; a
   * renamed one shows the new name. */
  s = gst_ov_attribute_new ("identity", name ? name : UNKNOWN_LABEL,
      name ? (int) v->person_id : -1, v->similarity, self->model_name, NULL);
  gst_structure_set (s,
      "person_id", G_TYPE_INT64, name ? v->person_id : (gint64) 0,
      "distance", G_TYPE_DOUBLE, v->distance,
      "metric", G_TYPE_STRING, self->running_metric == OV_GALLERY_METRIC_COSINE
      ? "cosine" : "euclidean",
      "votes", G_TYPE_UINT, v->votes,
      "vote_window", G_TYPE_UINT, v->window, NULL);
  remove_identity (roi);
  gst_ov_add_result (buffer, roi, s);

  if (self->presence && (name || self->running_unknown_events)) {
    OvPresenceRegion region = { roi->x, roi->y, roi->w, roi->h,
      gst_ov_roi_get_object_id (roi) };
    ov_identify_presence_seen (self->presence, name ? v->person_id : 0,
        name ? name : UNKNOWN_LABEL, v->similarity, &region);
  }
}

/* One recognition: the nearest gallery face, unknown beyond threshold. */
static void
recognize (GstOvIdentify *self, GstVideoRegionOfInterestMeta *roi,
    OvIdentifyVote *vote)
{
  OvGalleryMatch match;
  const float *d = (const float *) self->descriptor->data;
  guint dim = self->descriptor->len;

  vote->person_id = 0;
  vote->similarity = 0.0;
  vote->distance = -1.0;        /* no gallery face to compare with */
  if (!ov_gallery_matcher_nearest (self->matcher, self->running_metric, d,
          dim, &match)) {
    if (ov_gallery_matcher_get_n_faces (self->matcher) > 0
        && !self->warned_dim) {
      self->warned_dim = TRUE;
      GST_ELEMENT_WARNING (self, STREAM, FORMAT,
          ("Face descriptors do not fit the gallery."),
          ("descriptors have %u values; no gallery face has that many "
              "(faces are reported unknown)", dim));
    }
    return;
  }
  /* The similarity is the nearest face's, known or not: "unknown, 0.3"
   * says how alike the closest person was. */
  vote->similarity = match.similarity;
  vote->distance = match.distance;
  if (match.distance <= self->running_threshold)
    vote->person_id = match.person_id;
}

static void
identify_roi (GstOvIdentify *self, GstBuffer *buffer,
    GstVideoRegionOfInterestMeta *roi)
{
  gint object_id = gst_ov_roi_get_object_id (roi);
  OvIdentifyVerdict verdict;

  if (find_descriptor (self, roi)) {
    OvIdentifyVote vote;
    recognize (self, roi, &vote);
    if (object_id < 0) {
      verdict.person_id = vote.person_id;
      verdict.similarity = vote.similarity;
      verdict.distance = vote.distance;
      verdict.votes = verdict.window = 1;
      attach_identity (self, buffer, roi, &verdict);
      return;
    }
    ov_identify_votes_add (self->votes, object_id, &vote);
  }
  /* A tracked face keeps its identity on frames without a descriptor. */
  if (object_id >= 0 && ov_identify_votes_verdict (self->votes, object_id,
          &verdict)) {
    attach_identity (self, buffer, roi, &verdict);
    return;
  }
  if (!self->warned_missing) {
    self->warned_missing = TRUE;
    GST_ELEMENT_WARNING (self, STREAM, FORMAT,
        ("A face has no descriptor."),
        ("region %d (%s) has no FP32 tensor named \"%s\"%s%s; is a "
            "recognition model upstream (ovclassify with model-proc "
            "\"attribute_name\": \"%s\")? Reported once.", roi->id,
            gst_ov_roi_get_label (roi), self->running_tensor,
            self->running_model ? " from model " : "",
            self->running_model ? self->running_model : "",
            self->running_tensor));
  }
  GST_LOG_OBJECT (self, "region %d has no descriptor", roi->id);
}

static void
refresh_gallery (GstOvIdentify *self)
{
  GError *error = NULL;
  gboolean reloaded;

  if (ov_gallery_matcher_refresh (self->matcher, &reloaded, &error)) {
    if (reloaded)
      GST_INFO_OBJECT (self, "gallery changed: %u faces now",
          ov_gallery_matcher_get_n_faces (self->matcher));
    self->warned_refresh = FALSE;
    return;
  }
  /* Keep identifying with what we have; say so once per failure spell. */
  if (!self->warned_refresh) {
    self->warned_refresh = TRUE;
    GST_ELEMENT_WARNING (self, RESOURCE, READ,
        ("Could not reload the gallery; using the faces loaded before."),
        ("%s", error->message));
  }
  g_error_free (error);
}

/* ---- presence events ------------------------------------------------------ */

static void
set_stamp (GstStructure *s, const gchar *field, guint64 stamp)
{
  if (GST_CLOCK_TIME_IS_VALID (stamp))
    gst_structure_set (s, field, G_TYPE_UINT64, stamp, NULL);
}

static GstStructure *
event_structure (const OvPresenceEvent *e, GstClockTime timestamp)
{
  gboolean appeared = e->change == OV_PRESENCE_APPEARED;
  GstStructure *s = gst_structure_new (EVENT_STRUCTURE,
      "event", G_TYPE_STRING, appeared ? "appeared" : "left",
      "person", G_TYPE_STRING, e->name,
      "person_id", G_TYPE_INT64, e->person_id,
      "similarity", G_TYPE_DOUBLE, e->similarity, NULL);

  set_stamp (s, "timestamp", timestamp);
  if (appeared) {
    GstStructure *region = gst_structure_new ("region",
        "x", G_TYPE_INT, e->region.x, "y", G_TYPE_INT, e->region.y,
        "w", G_TYPE_INT, e->region.w, "h", G_TYPE_INT, e->region.h, NULL);
    if (e->region.object_id >= 0)
      gst_structure_set (region, "id", G_TYPE_INT, e->region.object_id, NULL);
    gst_structure_set (s, "region", GST_TYPE_STRUCTURE, region, NULL);
    gst_structure_free (region);
  } else {
    gst_structure_set (s, "reason", G_TYPE_STRING,
        e->reason == OV_PRESENCE_LEFT_END ? "eos" : "unseen", NULL);
    set_stamp (s, "first_seen", e->first_seen);
    set_stamp (s, "last_seen", e->last_seen);
  }
  return s;
}

static void
post_event_message (GstOvIdentify *self, const GstStructure *s)
{
  GstStructure *copy = gst_structure_copy (s);
  gst_structure_set_name (copy, EVENT_MESSAGE);
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), copy));
}

static void
announce (GstOvIdentify *self, GstBuffer *buf, GArray *events,
    GstClockTime timestamp)
{
  for (guint i = 0; i < events->len; i++) {
    const OvPresenceEvent *e = &g_array_index (events, OvPresenceEvent, i);
    GstStructure *s = event_structure (e, timestamp);
    GST_INFO_OBJECT (self, "%s %s (%" G_GINT64_FORMAT ") at %"
        GST_TIME_FORMAT, gst_structure_get_string (s, "event"), e->name,
        e->person_id, GST_TIME_ARGS (timestamp));
    post_event_message (self, s);
    gst_buffer_add_ov_tensor_meta (buf, s);
  }
}

/* At EOS everyone still present leaves; no frame is left to carry the
 * events, so they go downstream in an event of their own. */
static void
announce_end (GstOvIdentify *self)
{
  GArray *events = ov_identify_presence_leave_all (self->presence);
  GstStructure **structures;

  if (events->len == 0) {
    g_array_unref (events);
    return;
  }
  structures = g_new (GstStructure *, events->len);
  for (guint i = 0; i < events->len; i++) {
    structures[i] = event_structure (&g_array_index (events,
            OvPresenceEvent, i), self->last_stamp);
    post_event_message (self, structures[i]);
  }
  gst_pad_push_event (GST_BASE_TRANSFORM_SRC_PAD (self),
      gst_ov_frame_events_event_new (structures, events->len));
  for (guint i = 0; i < events->len; i++)
    gst_structure_free (structures[i]);
  g_free (structures);
  g_array_unref (events);
}

/* The frame's time: running time for absences (monotonic across
 * segments; 0 without a timestamp, which does not move the clocks), and
 * stream time for what events report. */
static void
frame_times (GstOvIdentify *self, GstBuffer *buf, GstClockTime *running,
    GstClockTime *stamp)
{
  GstSegment *segment = &GST_BASE_TRANSFORM (self)->segment;
  GstClockTime pts = GST_BUFFER_PTS (buf);

  *running = 0;
  *stamp = GST_CLOCK_TIME_NONE;
  if (GST_CLOCK_TIME_IS_VALID (pts) && segment->format == GST_FORMAT_TIME) {
    *running = gst_segment_to_running_time (segment, GST_FORMAT_TIME, pts);
    *stamp = gst_segment_to_stream_time (segment, GST_FORMAT_TIME, pts);
    if (!GST_CLOCK_TIME_IS_VALID (*running))
      *running = 0;
  }
  self->last_stamp = *stamp;
  if (GST_CLOCK_TIME_IS_VALID (*stamp)
      && GST_CLOCK_TIME_IS_VALID (GST_BUFFER_DURATION (buf)))
    self->last_stamp += GST_BUFFER_DURATION (buf);
}

static GstFlowReturn
gst_ov_identify_transform_ip (GstBaseTransform *trans, GstBuffer *buf)
{
  GstOvIdentify *self = GST_OV_IDENTIFY (trans);
  gpointer state = NULL;
  GstClockTime running, stamp;
  GstMeta *m;

  refresh_gallery (self);
  frame_times (self, buf, &running, &stamp);
  ov_identify_votes_next_frame (self->votes, running);
  if (self->presence)
    ov_identify_presence_begin_frame (self->presence, running, stamp);
  while ((m = gst_buffer_iterate_meta_filtered (buf, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    GstVideoRegionOfInterestMeta *roi = (GstVideoRegionOfInterestMeta *) m;
    if (wanted_class (self, roi))
      identify_roi (self, buf, roi);
  }
  /* A tracked face gone as long as a person takes to leave starts over. */
  ov_identify_votes_forget_absent (self->votes, self->running_leave_after);
  if (self->presence) {
    GArray *events = ov_identify_presence_end_frame (self->presence,
        self->running_leave_after);
    announce (self, buf, events, stamp);
    g_array_unref (events);
  }
  return GST_FLOW_OK;
}

/* ---- properties ----------------------------------------------------------- */

static void
gst_ov_identify_set_property (GObject *object, guint prop_id,
    const GValue *value, GParamSpec *pspec)
{
  GstOvIdentify *self = GST_OV_IDENTIFY (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_GALLERY:
      g_free (self->gallery_path);
      self->gallery_path = g_value_dup_string (value);
      break;
    case PROP_METRIC:
      self->metric = g_value_get_enum (value);
      break;
    case PROP_THRESHOLD:
      self->threshold = g_value_get_double (value);
      break;
    case PROP_TENSOR_NAME:
      g_free (self->tensor_name);
      self->tensor_name = g_value_dup_string (value);
      if (self->tensor_name == NULL)
        self->tensor_name = g_strdup (DEFAULT_TENSOR_NAME);
      break;
    case PROP_MODEL:
      g_free (self->model);
      self->model = g_value_dup_string (value);
      break;
    case PROP_OBJECT_CLASS:
      g_free (self->object_class);
      self->object_class = g_value_dup_string (value);
      break;
    case PROP_VOTE_WINDOW:
      self->vote_window = g_value_get_uint (value);
      break;
    case PROP_EVENTS:
      self->events = g_value_get_boolean (value);
      break;
    case PROP_LEAVE_AFTER:
      self->leave_after = g_value_get_uint64 (value);
      break;
    case PROP_UNKNOWN_EVENTS:
      self->unknown_events = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_ov_identify_get_property (GObject *object, guint prop_id, GValue *value,
    GParamSpec *pspec)
{
  GstOvIdentify *self = GST_OV_IDENTIFY (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_GALLERY:
      g_value_set_string (value, self->gallery_path);
      break;
    case PROP_METRIC:
      g_value_set_enum (value, self->metric);
      break;
    case PROP_THRESHOLD:
      g_value_set_double (value, self->threshold);
      break;
    case PROP_TENSOR_NAME:
      g_value_set_string (value, self->tensor_name);
      break;
    case PROP_MODEL:
      g_value_set_string (value, self->model);
      break;
    case PROP_OBJECT_CLASS:
      g_value_set_string (value, self->object_class);
      break;
    case PROP_VOTE_WINDOW:
      g_value_set_uint (value, self->vote_window);
      break;
    case PROP_EVENTS:
      g_value_set_boolean (value, self->events);
      break;
    case PROP_LEAVE_AFTER:
      g_value_set_uint64 (value, self->leave_after);
      break;
    case PROP_UNKNOWN_EVENTS:
      g_value_set_boolean (value, self->unknown_events);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_ov_identify_finalize (GObject *object)
{
  GstOvIdentify *self = GST_OV_IDENTIFY (object);
  g_free (self->gallery_path);
  g_free (self->tensor_name);
  g_free (self->model);
  g_free (self->object_class);
  G_OBJECT_CLASS (gst_ov_identify_parent_class)->finalize (object);
}

static void
gst_ov_identify_class_init (GstOvIdentifyClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
      | GST_PARAM_MUTABLE_READY;

  GST_DEBUG_CATEGORY_INIT (gst_ov_identify_debug, "ovidentify", 0,
      "ov face identification against a gallery");

  gobject_class->set_property = gst_ov_identify_set_property;
  gobject_class->get_property = gst_ov_identify_get_property;
  gobject_class->finalize = gst_ov_identify_finalize;

  g_object_class_install_property (gobject_class, PROP_GALLERY,
      g_param_spec_string ("gallery", "Gallery",
          "The gallery: an ovi-gallery SQLite database, or a .json file "
          "(ovi-gallery export or gvaidentify's format, read at start)",
          DEFAULT_GALLERY, flags));
  g_object_class_install_property (gobject_class, PROP_METRIC,
      g_param_spec_enum ("metric", "Metric",
          "How descriptors are compared", GST_TYPE_OV_IDENTIFY_METRIC,
          DEFAULT_METRIC, flags));
  g_object_class_install_property (gobject_class, PROP_THRESHOLD,
      g_param_spec_double ("threshold", "Threshold",
          "Largest distance to the nearest gallery face that still names "
          "the person (Euclidean, or cosine distance 1 - cos); -1: 0.6 "
          "for euclidean, 0.2 for cosine", -1.0, G_MAXDOUBLE,
          DEFAULT_THRESHOLD, flags));
  g_object_class_install_property (gobject_class, PROP_TENSOR_NAME,
      g_param_spec_string ("tensor-name", "Tensor name",
          "The region's descriptor tensor (model-proc's attribute_name); "
          "without one, the region's only FP32 tensor of a gallery "
          "descriptor's size is used", DEFAULT_TENSOR_NAME, flags));
  g_object_class_install_property (gobject_class, PROP_MODEL,
      g_param_spec_string ("model", "Model",
          "Only descriptors whose model name contains this (gvaidentify's "
          "property); empty: any", DEFAULT_MODEL, flags));
  g_object_class_install_property (gobject_class, PROP_OBJECT_CLASS,
      g_param_spec_string ("object-class", "Object class",
          "Comma-separated region labels to identify; empty: all regions",
          DEFAULT_OBJECT_CLASS, flags));
  g_object_class_install_property (gobject_class, PROP_VOTE_WINDOW,
      g_param_spec_uint ("vote-window", "Vote window",
          "Recognitions of a tracked face whose majority names it "
          "(1: the latest alone)", 1, 1000, DEFAULT_VOTE_WINDOW, flags));
  g_object_class_install_property (gobject_class, PROP_EVENTS,
      g_param_spec_boolean ("events", "Events",
          "Keep the persons present and announce who appeared and who left "
          "(identity_event metadata and ovidentify-event bus messages)",
          DEFAULT_EVENTS, flags));
  g_object_class_install_property (gobject_class, PROP_LEAVE_AFTER,
      g_param_spec_uint64 ("leave-after", "Leave after",
          "Stream time (ns) a person must go unidentified to have left; "
          "a tracked face absent this long also loses its votes",
          0, G_MAXUINT64, DEFAULT_LEAVE_AFTER, flags));
  g_object_class_install_property (gobject_class, PROP_UNKNOWN_EVENTS,
      g_param_spec_boolean ("unknown-events", "Unknown events",
          "Also announce unknown faces, all as one person \"unknown\" "
          "(person_id 0)", DEFAULT_UNKNOWN_EVENTS, flags));

  gst_element_class_set_static_metadata (element_class,
      "Face identification", "Filter/Analyzer/Video",
      "Names faces by matching their descriptors against a gallery of "
      "known persons", "gst-ovi developers");
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);

  trans_class->start = GST_DEBUG_FUNCPTR (gst_ov_identify_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_ov_identify_stop);
  trans_class->sink_event = GST_DEBUG_FUNCPTR (gst_ov_identify_sink_event);
  trans_class->transform_ip = GST_DEBUG_FUNCPTR (gst_ov_identify_transform_ip);

  gst_type_mark_as_plugin_api (GST_TYPE_OV_IDENTIFY_METRIC, 0);
}

static void
gst_ov_identify_init (GstOvIdentify *self)
{
  self->gallery_path = g_strdup (DEFAULT_GALLERY);
  self->metric = DEFAULT_METRIC;
  self->threshold = DEFAULT_THRESHOLD;
  self->tensor_name = g_strdup (DEFAULT_TENSOR_NAME);
  self->model = g_strdup (DEFAULT_MODEL);
  self->object_class = g_strdup (DEFAULT_OBJECT_CLASS);
  self->vote_window = DEFAULT_VOTE_WINDOW;
  self->events = DEFAULT_EVENTS;
  self->leave_after = DEFAULT_LEAVE_AFTER;
  self->unknown_events = DEFAULT_UNKNOWN_EVENTS;
  gst_base_transform_set_in_place (GST_BASE_TRANSFORM (self), TRUE);
}
