/**
 * SECTION:element-ovmetaconvert
 * @title: ovmetaconvert
 *
 * Converts each frame's inference results to JSON in the layout of DL
 * Streamer's gvametaconvert (`objects[]` with `x y w h`, `region_id`,
 * `id`, `detection`, one key per attribute, optional `tensors`;
 * `resolution`, `timestamp`, `source`, `tags`) and attaches it to the
 * buffer as a GstOvJsonMeta, for ovmetapublish or the application.
 *
 * Events on a frame (ovidentify's `identity_event`: a person appeared or
 * left) are written to an `events` array beside `objects`. With
 * `events-only` only frames with events get a message, holding the events
 * with `resolution`, `timestamp`, `source` and `tags` but no objects: one
 * message per change for ovmetapublish instead of one per frame. Events
 * that come without a frame (persons still present at the end of the
 * stream) become a message of the same form carried downstream in a
 * custom event, which ovmetapublish publishes too.
 *
 * A language model's answer (ovllm's `llm_result`) is written as DL
 * Streamer gvagenai writes its answers: `result` (the text) and, when
 * ovllm has `metrics=true`, `metrics` at the top of the message, and in
 * full in an `llm` array (`result`, `prompt`, `model`, `stop_reason`,
 * `timestamp` of the frame the prompt was rendered at, `metrics`), one
 * entry per ovllm element.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 videotestsrc num-buffers=30 ! videoconvert ! \
 *     ovdetect model=detector.onnx ! ovmetaconvert add-empty-results=true ! \
 *     ovmetapublish file-format=json-lines ! fakesink
 * ]|
 * Who came and went, one line each (see ovidentify):
 * |[
 * gst-launch-1.0 filesrc location=door.mp4 ! decodebin ! videoconvert ! \
 *     ovdetect model=models/faceapi/ssd_mobilenetv1.onnx \
 *       model-proc=models/faceapi/ssd_mobilenetv1.json ! ovtrack ! \
 *     ovclassify model=models/faceapi/face_landmark_68.onnx \
 *       model-proc=models/faceapi/face_landmark_68.json ! \
 *     ovclassify model=models/faceapi/face_recognition.onnx \
 *       model-proc=models/faceapi/face_recognition.json ! \
 *     ovidentify gallery=faces.db ! ovmetaconvert events-only=true ! \
 *     ovmetapublish file-format=json-lines file-path=events.jsonl ! fakesink
 * ]|
 */
#include "gstovmetaconvert.h"

#include <gst/video/video.h>
#include <json-glib/json-glib.h>

#include "gstovmeta.h"

GST_DEBUG_CATEGORY_STATIC (gst_ov_meta_convert_debug);
#define GST_CAT_DEFAULT gst_ov_meta_convert_debug

typedef enum {
  FORMAT_JSON,
  FORMAT_DUMP_DETECTION,
} Format;

enum {
  PROP_0,
  PROP_FORMAT,
  PROP_ADD_TENSOR_DATA,
  PROP_ADD_EMPTY_RESULTS,
  PROP_JSON_INDENT,
  PROP_SOURCE,
  PROP_TAGS,
  PROP_EVENTS_ONLY,
  PROP_SIGNAL_HANDOFFS,
  PROP_TIMESTAMP_UTC,
  PROP_TIMESTAMP_MICROSECONDS,
};

enum {
  SIGNAL_HANDOFF,
  N_SIGNALS,
};

static guint signals[N_SIGNALS];

struct _GstOvMetaConvert {
  GstBaseTransform parent;
  Format format;
  gboolean add_tensor_data;
  gboolean add_empty_results;
  gint json_indent;
  gchar *source;
  gchar *tags;
  gboolean events_only;
  gboolean signal_handoffs;
  gboolean timestamp_utc, timestamp_microseconds;
  GstVideoInfo info;
  GstClockTime last_ts;         /* the last frame's, for frameless events */
};

#define VIDEO_CAPS GST_VIDEO_CAPS_MAKE (GST_VIDEO_FORMATS_ALL)

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS (VIDEO_CAPS));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS (VIDEO_CAPS));

G_DEFINE_TYPE (GstOvMetaConvert, gst_ov_meta_convert, GST_TYPE_BASE_TRANSFORM);
GST_ELEMENT_REGISTER_DEFINE (ovmetaconvert, "ovmetaconvert", GST_RANK_NONE,
    GST_TYPE_OV_META_CONVERT);

static GType
format_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    { FORMAT_JSON, "Conversion to GstOvJsonMeta", "json" },
    { FORMAT_DUMP_DETECTION, "Dump detection to GST debug log",
        "dump-detection" },
    { 0, NULL, NULL },
  };
  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstOvMetaConvertFormat", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

/* ---- JSON -------------------------------------------------------------- */

static gboolean
is_internal (const GstStructure *s)
{
  return gst_structure_has_name (s, "detection")
      || gst_structure_has_name (s, "object_id");
}

static void
add_data_array (JsonBuilder *b, const GstStructure *s)
{
  gsize size;
  gconstpointer data = gst_ov_tensor_structure_get_data (s, &size);
  int precision = GST_OV_PRECISION_UNSPECIFIED;

  if (data == NULL)
    return;
  gst_structure_get_int (s, "precision", &precision);
  json_builder_set_member_name (b, "data");
  json_builder_begin_array (b);
  switch (precision) {
    case GST_OV_PRECISION_U8:
      for (gsize i = 0; i < size; i++)
        json_builder_add_int_value (b, ((const guint8 *) data)[i]);
      break;
    case GST_OV_PRECISION_I32:
      for (gsize i = 0; i < size / 4; i++)
        json_builder_add_int_value (b, ((const gint32 *) data)[i]);
      break;
    case GST_OV_PRECISION_I64:
      for (gsize i = 0; i < size / 8; i++)
        json_builder_add_int_value (b, ((const gint64 *) data)[i]);
      break;
    case GST_OV_PRECISION_FP32:
      for (gsize i = 0; i < size / 4; i++)
        json_builder_add_double_value (b, ((const float *) data)[i]);
      break;
    default:
      break;
  }
  json_builder_end_array (b);
}

static void
add_tensor (JsonBuilder *b, const GstStructure *s)
{
  const GValue *dims = gst_structure_get_value (s, "dims");
  const gchar *str;
  gdouble conf;
  gint i;

  json_builder_begin_object (b);
  if (gst_structure_get_int (s, "precision", &i)) {
    json_builder_set_member_name (b, "precision");
    json_builder_add_string_value (b, gst_ov_precision_name (i));
  }
  if (gst_structure_get_int (s, "layout", &i)) {
    json_builder_set_member_name (b, "layout");
    json_builder_add_string_value (b, gst_ov_layout_name (i));
  }
  if (dims && GST_VALUE_HOLDS_ARRAY (dims)) {
    json_builder_set_member_name (b, "dims");
    json_builder_begin_array (b);
    for (guint k = 0; k < gst_value_array_get_size (dims); k++)
      json_builder_add_int_value (b,
          g_value_get_uint (gst_value_array_get_value (dims, k)));
    json_builder_end_array (b);
  }
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, gst_structure_get_name (s));
  for (const char *const *k = (const char *const[]) { "model_name",
          "layer_name", "format", "device", NULL }; *k; k++) {
    if ((str = gst_structure_get_string (s, *k))) {
      json_builder_set_member_name (b, *k);
      json_builder_add_string_value (b, str);
    }
  }
  if (!gst_structure_has_name (s, "detection")
      && (str = gst_structure_get_string (s, "label"))) {
    json_builder_set_member_name (b, "label");
    json_builder_add_string_value (b, str);
  }
  if (gst_structure_get_double (s, "confidence", &conf)) {
    json_builder_set_member_name (b, "confidence");
    json_builder_add_double_value (b, conf);
  }
  if (gst_structure_get_int (s, "label_id", &i)) {
    json_builder_set_member_name (b, "label_id");
    json_builder_add_int_value (b, i);
  }
  add_data_array (b, s);
  json_builder_end_object (b);
}

/* The device that ran the inference (our addition to gvametaconvert's
 * layout: one more key, which its readers skip). */
static void
add_device (JsonBuilder *b, const GstStructure *s)
{
  const gchar *device = gst_structure_get_string (s, "device");
  if (device) {
    json_builder_set_member_name (b, "device");
    json_builder_add_string_value (b, device);
  }
}

/* An attribute as gvametaconvert writes it: only structures with both a
 * label and a model name. */
static void
add_attribute (JsonBuilder *b, const GstStructure *s)
{
  const gchar *label = gst_structure_get_string (s, "label");
  const gchar *model = gst_structure_get_string (s, "model_name");
  const gchar *key = gst_structure_get_string (s, "attribute_name");
  gdouble conf;
  gint id;

  if (label == NULL || model == NULL)
    return;
  json_builder_set_member_name (b, key ? key : gst_structure_get_name (s));
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "label");
  json_builder_add_string_value (b, label);
  json_builder_set_member_name (b, "model");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, model);
  add_device (b, s);
  json_builder_end_object (b);
  if (gst_structure_get_double (s, "confidence", &conf)) {
    json_builder_set_member_name (b, "confidence");
    json_builder_add_double_value (b, conf);
  }
  if (gst_structure_get_int (s, "label_id", &id) && id >= 0) {
    json_builder_set_member_name (b, "label_id");
    json_builder_add_int_value (b, id);
  }
  json_builder_end_object (b);
}

static void
add_int (JsonBuilder *b, const char *name, gint64 v)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, v);
}

static void
add_object (JsonBuilder *b, GstVideoRegionOfInterestMeta *roi,
    gboolean add_tensor_data)
{
  GstStructure *det = gst_video_region_of_interest_meta_get_param (roi,
      "detection");
  gint id = gst_ov_roi_get_object_id (roi);
  const gchar *label = roi->roi_type ? g_quark_to_string (roi->roi_type) : "";

  json_builder_begin_object (b);
  add_int (b, "x", roi->x);
  add_int (b, "y", roi->y);
  add_int (b, "w", roi->w);
  add_int (b, "h", roi->h);
  add_int (b, "region_id", roi->id);
  if (roi->parent_id >= 0)
    add_int (b, "parent_id", roi->parent_id);
  if (id >= 0)
    add_int (b, "id", id);
  if (*label) {
    json_builder_set_member_name (b, "roi_type");
    json_builder_add_string_value (b, label);
  }
  if (det) {
    gdouble v;
    gint label_id;
    json_builder_set_member_name (b, "detection");
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "bounding_box");
    json_builder_begin_object (b);
    for (const char *const *k = (const char *const[]) { "x_min", "y_min",
            "x_max", "y_max", NULL }; *k; k++) {
      if (gst_structure_get_double (det, *k, &v)) {
        json_builder_set_member_name (b, *k);
        json_builder_add_double_value (b, v);
      }
    }
    json_builder_end_object (b);
    if (gst_structure_get_double (det, "confidence", &v)) {
      json_builder_set_member_name (b, "confidence");
      json_builder_add_double_value (b, v);
    }
    if (gst_structure_get_int (det, "label_id", &label_id))
      add_int (b, "label_id", label_id);
    if (*label) {
      json_builder_set_member_name (b, "label");
      json_builder_add_string_value (b, label);
    }
    add_device (b, det);
    json_builder_end_object (b);
  }
  for (GList *l = roi->params; l; l = l->next)
    if (!is_internal (l->data))
      add_attribute (b, l->data);
  if (add_tensor_data) {
    json_builder_set_member_name (b, "tensors");
    json_builder_begin_array (b);
    for (GList *l = roi->params; l; l = l->next)
      if (!gst_structure_has_name (l->data, "object_id"))
        add_tensor (b, l->data);
    json_builder_end_array (b);
  }
  json_builder_end_object (b);
}

/* ---- events: any structure, field by field ------------------------------ */

static void add_structure (JsonBuilder *b, const GstStructure *s);

static void
add_value (JsonBuilder *b, const GValue *v)
{
  GType t = G_VALUE_TYPE (v);

  if (t == G_TYPE_STRING)
    json_builder_add_string_value (b, g_value_get_string (v));
  else if (t == G_TYPE_INT)
    json_builder_add_int_value (b, g_value_get_int (v));
  else if (t == G_TYPE_UINT)
    json_builder_add_int_value (b, g_value_get_uint (v));
  else if (t == G_TYPE_INT64)
    json_builder_add_int_value (b, g_value_get_int64 (v));
  else if (t == G_TYPE_UINT64)
    json_builder_add_int_value (b, (gint64) g_value_get_uint64 (v));
  else if (t == G_TYPE_DOUBLE)
    json_builder_add_double_value (b, g_value_get_double (v));
  else if (t == G_TYPE_BOOLEAN)
    json_builder_add_boolean_value (b, g_value_get_boolean (v));
  else if (t == GST_TYPE_STRUCTURE)
    add_structure (b, gst_value_get_structure (v));
  else
    json_builder_add_null_value (b);
}

static gboolean
add_field (GQuark field, const GValue *value, gpointer b)
{
  json_builder_set_member_name (b, g_quark_to_string (field));
  add_value (b, value);
  return TRUE;
}

static void
add_structure (JsonBuilder *b, const GstStructure *s)
{
  json_builder_begin_object (b);
  gst_structure_foreach (s, add_field, b);
  json_builder_end_object (b);
}

static gboolean
is_event_meta (GstMeta *m)
{
  return m->info->api == GST_OV_TENSOR_META_API_TYPE
      && gst_ov_structure_is_event (((GstOvTensorMeta *) m)->data);
}

static gboolean
is_llm_meta (GstMeta *m)
{
  return m->info->api == GST_OV_TENSOR_META_API_TYPE
      && gst_structure_has_name (((GstOvTensorMeta *) m)->data,
      GST_OV_LLM_RESULT);
}

/* The language model's answers: gvagenai's "result" and "metrics" for the
 * first, every one in "llm". */
static void
add_llm_results (JsonBuilder *b, GstBuffer *buffer)
{
  gpointer state = NULL;
  GstMeta *m;
  gboolean first = TRUE;

  while ((m = gst_buffer_iterate_meta_filtered (buffer, &state,
              GST_OV_TENSOR_META_API_TYPE))) {
    const GstStructure *s = ((GstOvTensorMeta *) m)->data;
    const GValue *metrics = gst_structure_get_value (s, "metrics");
    if (!is_llm_meta (m) || !first)
      continue;
    json_builder_set_member_name (b, "result");
    json_builder_add_string_value (b, gst_structure_get_string (s, "result"));
    if (metrics) {
      json_builder_set_member_name (b, "metrics");
      add_value (b, metrics);
    }
    first = FALSE;
  }
  json_builder_set_member_name (b, "llm");
  json_builder_begin_array (b);
  state = NULL;
  while ((m = gst_buffer_iterate_meta_filtered (buffer, &state,
              GST_OV_TENSOR_META_API_TYPE))) {
    const GstStructure *s = ((GstOvTensorMeta *) m)->data;
    static const char *const keys[][2] = {
      { "result", "result" }, { "prompt", "prompt" },
      { "model_name", "model" }, { "stop_reason", "stop_reason" },
      { "timestamp", "timestamp" }, { "metrics", "metrics" },
    };
    if (!is_llm_meta (m))
      continue;
    json_builder_begin_object (b);
    for (gsize k = 0; k < G_N_ELEMENTS (keys); k++) {
      const GValue *v = gst_structure_get_value (s, keys[k][0]);
      if (v) {
        json_builder_set_member_name (b, keys[k][1]);
        add_value (b, v);
      }
    }
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
}

static void
add_frame_events (JsonBuilder *b, GstBuffer *buffer)
{
  gpointer state = NULL;
  GstMeta *m;

  json_builder_set_member_name (b, "events");
  json_builder_begin_array (b);
  while ((m = gst_buffer_iterate_meta_filtered (buffer, &state,
              GST_OV_TENSOR_META_API_TYPE)))
    if (is_event_meta (m))
      add_structure (b, ((GstOvTensorMeta *) m)->data);
  json_builder_end_array (b);
}

/* ---- messages ------------------------------------------------------------ */

/* Opens the message object with what every message has. */
static JsonBuilder *
begin_message (const GstVideoInfo *info, GstClockTime timestamp,
    const gchar *system_timestamp, const gchar *source, const gchar *tags)
{
  JsonBuilder *b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "resolution");
  json_builder_begin_object (b);
  add_int (b, "width", GST_VIDEO_INFO_WIDTH (info));
  add_int (b, "height", GST_VIDEO_INFO_HEIGHT (info));
  json_builder_end_object (b);
  if (source) {
    json_builder_set_member_name (b, "source");
    json_builder_add_string_value (b, source);
  }
  if (GST_CLOCK_TIME_IS_VALID (timestamp))
    add_int (b, "timestamp", (gint64) timestamp);
  if (system_timestamp) {
    json_builder_set_member_name (b, "system_timestamp");
    json_builder_add_string_value (b, system_timestamp);
  }
  if (tags) {
    JsonNode *t = json_from_string (tags, NULL);
    if (t && JSON_NODE_HOLDS_OBJECT (t)) {
      json_builder_set_member_name (b, "tags");
      json_builder_add_value (b, t);
    } else if (t) {
      json_node_unref (t);
    }
  }
  return b;
}

/* Closes the message object and writes it out. */
static gchar *
end_message (JsonBuilder *b, gint indent)
{
  JsonGenerator *gen;
  JsonNode *root;
  gchar *out;

  json_builder_end_object (b);
  root = json_builder_get_root (b);
  gen = json_generator_new ();
  json_generator_set_root (gen, root);
  if (indent >= 0) {
    json_generator_set_pretty (gen, TRUE);
    json_generator_set_indent (gen, (guint) indent);
  }
  out = json_generator_to_data (gen, NULL);
  json_node_unref (root);
  g_object_unref (gen);
  g_object_unref (b);
  return out;
}

gchar *
gst_ov_system_timestamp (GstBuffer *buffer, gboolean utc,
    gboolean microseconds)
{
  GstVideoTimeCodeMeta *tc = gst_buffer_get_video_time_code_meta (buffer);
  GDateTime *t, *u;
  gchar *base, *zone, *out;
  gint us;

  if (tc == NULL || tc->tc.config.latest_daily_jam == NULL
      || (t = gst_video_time_code_to_date_time (&tc->tc)) == NULL)
    return NULL;
  if (utc && (u = g_date_time_to_utc (t))) {
    g_date_time_unref (t);
    t = u;
  }
  base = g_date_time_format (t, "%Y-%m-%dT%H:%M:%S");
  zone = utc ? g_strdup ("Z") : g_date_time_format (t, ":%z");
  us = g_date_time_get_microsecond (t);
  out = microseconds ? g_strdup_printf ("%s.%06d%s", base, us, zone)
      : g_strdup_printf ("%s.%03d%s", base, us / 1000, zone);
  g_free (base);
  g_free (zone);
  g_date_time_unref (t);
  return out;
}

gchar *
gst_ov_meta_to_json (GstBuffer *buffer, const GstVideoInfo *info,
    GstClockTime timestamp, const gchar *system_timestamp,
    const gchar *source, const gchar *tags, gboolean add_tensor_data,
    gboolean add_empty_results, gint indent)
{
  JsonBuilder *b;
  gpointer state = NULL;
  GstMeta *m;
  guint n_objects = 0, n_tensors = 0, n_events = 0, n_llm = 0;

  /* Results first, to know whether there is anything to say. */
  while ((m = gst_buffer_iterate_meta (buffer, &state))) {
    if (m->info->api == GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE)
      n_objects++;
    else if (is_event_meta (m))
      n_events++;
    else if (is_llm_meta (m))
      n_llm++;
    else if (m->info->api == GST_OV_TENSOR_META_API_TYPE)
      n_tensors++;
  }
  if (n_objects == 0 && n_tensors == 0 && n_events == 0 && n_llm == 0
      && !add_empty_results)
    return NULL;

  b = begin_message (info, timestamp, system_timestamp, source, tags);
  state = NULL;
  json_builder_set_member_name (b, "objects");
  json_builder_begin_array (b);
  while ((m = gst_buffer_iterate_meta_filtered (buffer, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE)))
    add_object (b, (GstVideoRegionOfInterestMeta *) m, add_tensor_data);
  /* Whole-frame classification reads as an object covering the frame. */
  state = NULL;
  while ((m = gst_buffer_iterate_meta_filtered (buffer, &state,
              GST_OV_TENSOR_META_API_TYPE))) {
    const GstStructure *s = ((GstOvTensorMeta *) m)->data;
    if (!gst_structure_has_field (s, "label") || is_event_meta (m))
      continue;
    json_builder_begin_object (b);
    add_int (b, "x", 0);
    add_int (b, "y", 0);
    add_int (b, "w", GST_VIDEO_INFO_WIDTH (info));
    add_int (b, "h", GST_VIDEO_INFO_HEIGHT (info));
    add_attribute (b, s);
    json_builder_end_object (b);
  }
  json_builder_end_array (b);

  if (add_tensor_data && n_tensors > 0) {
    state = NULL;
    json_builder_set_member_name (b, "tensors");
    json_builder_begin_array (b);
    while ((m = gst_buffer_iterate_meta_filtered (buffer, &state,
                GST_OV_TENSOR_META_API_TYPE)))
      if (!is_event_meta (m) && !is_llm_meta (m))
        add_tensor (b, ((GstOvTensorMeta *) m)->data);
    json_builder_end_array (b);
  }
  if (n_events > 0)
    add_frame_events (b, buffer);
  if (n_llm > 0)
    add_llm_results (b, buffer);
  return end_message (b, indent);
}

gchar *
gst_ov_meta_events_to_json (GstBuffer *buffer, const GstVideoInfo *info,
    GstClockTime timestamp, const gchar *system_timestamp,
    const gchar *source, const gchar *tags, gint indent)
{
  gpointer state = NULL;
  GstMeta *m;
  JsonBuilder *b;

  while ((m = gst_buffer_iterate_meta_filtered (buffer, &state,
              GST_OV_TENSOR_META_API_TYPE)))
    if (is_event_meta (m))
      break;
  if (m == NULL)
    return NULL;
  b = begin_message (info, timestamp, system_timestamp, source, tags);
  add_frame_events (b, buffer);
  return end_message (b, indent);
}

/* Events without a frame (a GST_TYPE_ARRAY of event structures). */
static gchar *
frameless_events_to_json (const GValue *events, const GstVideoInfo *info,
    GstClockTime timestamp, const gchar *source, const gchar *tags,
    gint indent)
{
  JsonBuilder *b = begin_message (info, timestamp, NULL, source, tags);

  json_builder_set_member_name (b, "events");
  json_builder_begin_array (b);
  for (guint i = 0; i < gst_value_array_get_size (events); i++) {
    const GValue *v = gst_value_array_get_value (events, i);
    if (GST_VALUE_HOLDS_STRUCTURE (v))
      add_structure (b, gst_value_get_structure (v));
  }
  json_builder_end_array (b);
  return end_message (b, indent);
}

/* ---- element ------------------------------------------------------------ */

static gboolean
set_caps (GstBaseTransform *trans, GstCaps *incaps, GstCaps *outcaps)
{
  GstOvMetaConvert *self = GST_OV_META_CONVERT (trans);
  return gst_video_info_from_caps (&self->info, incaps);
}

static gboolean
start (GstBaseTransform *trans)
{
  GST_OV_META_CONVERT (trans)->last_ts = GST_CLOCK_TIME_NONE;
  return TRUE;
}

/* Events that came without a frame go on as a JSON message of their own,
 * after the event that brought them (which passes on too). */
static gboolean
sink_event (GstBaseTransform *trans, GstEvent *event)
{
  GstOvMetaConvert *self = GST_OV_META_CONVERT (trans);
  const GValue *events = gst_ov_frame_events_event_get_events (event);
  gchar *json = NULL;
  GstClockTime ts;
  gboolean ok;

  if (events && self->format == FORMAT_JSON
      && gst_value_array_get_size (events) > 0) {
    const GstStructure *first = gst_value_get_structure (
        gst_value_array_get_value (events, 0));
    guint64 t;
    /* The events' own time; else the last frame's. */
    ts = first && gst_structure_get_uint64 (first, "timestamp", &t)
        ? t : self->last_ts;
    GST_OBJECT_LOCK (self);
    json = frameless_events_to_json (events, &self->info, ts, self->source,
        self->tags, self->json_indent);
    GST_OBJECT_UNLOCK (self);
  }
  ok = GST_BASE_TRANSFORM_CLASS (gst_ov_meta_convert_parent_class)->sink_event
      (trans, event);
  if (json) {
    GST_LOG_OBJECT (self, "%s", json);
    gst_pad_push_event (GST_BASE_TRANSFORM_SRC_PAD (trans),
        gst_ov_json_event_new (json));
    g_free (json);
  }
  return ok;
}

static void
dump_detections (GstOvMetaConvert *self, GstBuffer *buf)
{
  gpointer state = NULL;
  GstMeta *m;
  while ((m = gst_buffer_iterate_meta_filtered (buf, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    GstVideoRegionOfInterestMeta *roi = (GstVideoRegionOfInterestMeta *) m;
    double conf = 0.0;
    gst_ov_roi_get_detection (roi, &conf, NULL, NULL);
    GST_INFO_OBJECT (self, "detection: %s %.3f at %u,%u %ux%u",
        gst_ov_roi_get_label (roi), conf, roi->x, roi->y, roi->w, roi->h);
  }
}

static GstFlowReturn
transform_ip (GstBaseTransform *trans, GstBuffer *buf)
{
  GstOvMetaConvert *self = GST_OV_META_CONVERT (trans);
  GstClockTime ts;
  gchar *json, *system_ts;
  gboolean handoffs;

  if (self->format == FORMAT_DUMP_DETECTION) {
    dump_detections (self, buf);
    return GST_FLOW_OK;
  }
  ts = gst_segment_to_stream_time (&trans->segment, GST_FORMAT_TIME,
      GST_BUFFER_PTS (buf));
  self->last_ts = ts;
  GST_OBJECT_LOCK (self);
  system_ts = gst_ov_system_timestamp (buf, self->timestamp_utc,
      self->timestamp_microseconds);
  if (self->events_only)
    json = gst_ov_meta_events_to_json (buf, &self->info, ts, system_ts,
        self->source, self->tags, self->json_indent);
  else
    json = gst_ov_meta_to_json (buf, &self->info, ts, system_ts,
        self->source, self->tags, self->add_tensor_data,
        self->add_empty_results, self->json_indent);
  handoffs = self->signal_handoffs;
  GST_OBJECT_UNLOCK (self);
  g_free (system_ts);
  if (json) {
    gst_buffer_add_ov_json_meta (buf, json);
    GST_LOG_OBJECT (self, "%s", json);
    g_free (json);
  }
  /* The application sees the frame with its JSON before it goes on. */
  if (handoffs)
    g_signal_emit (self, signals[SIGNAL_HANDOFF], 0, buf);
  return GST_FLOW_OK;
}

static void
set_property (GObject *object, guint prop_id, const GValue *value,
    GParamSpec *pspec)
{
  GstOvMetaConvert *self = GST_OV_META_CONVERT (object);
  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_FORMAT: self->format = g_value_get_enum (value); break;
    case PROP_ADD_TENSOR_DATA:
      self->add_tensor_data = g_value_get_boolean (value);
      break;
    case PROP_ADD_EMPTY_RESULTS:
      self->add_empty_results = g_value_get_boolean (value);
      break;
    case PROP_JSON_INDENT: self->json_indent = g_value_get_int (value); break;
    case PROP_SOURCE:
      g_free (self->source);
      self->source = g_value_dup_string (value);
      break;
    case PROP_TAGS:
      g_free (self->tags);
      self->tags = g_value_dup_string (value);
      break;
    case PROP_EVENTS_ONLY:
      self->events_only = g_value_get_boolean (value);
      break;
    case PROP_SIGNAL_HANDOFFS:
      self->signal_handoffs = g_value_get_boolean (value);
      break;
    case PROP_TIMESTAMP_UTC:
      self->timestamp_utc = g_value_get_boolean (value);
      break;
    case PROP_TIMESTAMP_MICROSECONDS:
      self->timestamp_microseconds = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
get_property (GObject *object, guint prop_id, GValue *value,
    GParamSpec *pspec)
{
  GstOvMetaConvert *self = GST_OV_META_CONVERT (object);
  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_FORMAT: g_value_set_enum (value, self->format); break;
    case PROP_ADD_TENSOR_DATA:
      g_value_set_boolean (value, self->add_tensor_data);
      break;
    case PROP_ADD_EMPTY_RESULTS:
      g_value_set_boolean (value, self->add_empty_results);
      break;
    case PROP_JSON_INDENT: g_value_set_int (value, self->json_indent); break;
    case PROP_SOURCE: g_value_set_string (value, self->source); break;
    case PROP_TAGS: g_value_set_string (value, self->tags); break;
    case PROP_EVENTS_ONLY:
      g_value_set_boolean (value, self->events_only);
      break;
    case PROP_SIGNAL_HANDOFFS:
      g_value_set_boolean (value, self->signal_handoffs);
      break;
    case PROP_TIMESTAMP_UTC:
      g_value_set_boolean (value, self->timestamp_utc);
      break;
    case PROP_TIMESTAMP_MICROSECONDS:
      g_value_set_boolean (value, self->timestamp_microseconds);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
finalize (GObject *object)
{
  GstOvMetaConvert *self = GST_OV_META_CONVERT (object);
  g_free (self->source);
  g_free (self->tags);
  G_OBJECT_CLASS (gst_ov_meta_convert_parent_class)->finalize (object);
}

static void
gst_ov_meta_convert_class_init (GstOvMetaConvertClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *bt_class = GST_BASE_TRANSFORM_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
      | GST_PARAM_MUTABLE_PLAYING;

  GST_DEBUG_CATEGORY_INIT (gst_ov_meta_convert_debug, "ovmetaconvert", 0,
      "ov metadata to JSON");
  gobject_class->set_property = set_property;
  gobject_class->get_property = get_property;
  gobject_class->finalize = finalize;

  g_object_class_install_property (gobject_class, PROP_FORMAT,
      g_param_spec_enum ("format", "Format", "What to convert the results to",
          format_get_type (), FORMAT_JSON, rw));
  g_object_class_install_property (gobject_class, PROP_ADD_TENSOR_DATA,
      g_param_spec_boolean ("add-tensor-data", "Add tensor data",
          "Include every result's tensor data in the JSON", FALSE, rw));
  g_object_class_install_property (gobject_class, PROP_ADD_EMPTY_RESULTS,
      g_param_spec_boolean ("add-empty-results", "Add empty results",
          "Also write JSON for frames without results", FALSE, rw));
  g_object_class_install_property (gobject_class, PROP_JSON_INDENT,
      g_param_spec_int ("json-indent", "JSON indent",
          "Spaces of indentation (-1: compact, one line)", -1, 10, -1, rw));
  g_object_class_install_property (gobject_class, PROP_SOURCE,
      g_param_spec_string ("source", "Source",
          "The stream's URI, written as \"source\"", NULL, rw));
  g_object_class_install_property (gobject_class, PROP_TAGS,
      g_param_spec_string ("tags", "Tags",
          "A JSON object written as \"tags\"", NULL, rw));
  g_object_class_install_property (gobject_class, PROP_EVENTS_ONLY,
      g_param_spec_boolean ("events-only", "Events only",
          "JSON only for frames with events (e.g. ovidentify's appeared / "
          "left), holding just the events: one message per change",
          FALSE, rw));
  g_object_class_install_property (gobject_class, PROP_SIGNAL_HANDOFFS,
      g_param_spec_boolean ("signal-handoffs", "Signal handoffs",
          "Emit \"handoff\" with each frame, its JSON attached, before "
          "pushing it", FALSE, rw));
  g_object_class_install_property (gobject_class, PROP_TIMESTAMP_UTC,
      g_param_spec_boolean ("timestamp-utc", "UTC timestamps",
          "Write \"system_timestamp\" (from a frame's dated time code, "
          "timecodestamper's) in UTC, ending in Z, rather than local time "
          "with its offset", FALSE, rw));
  g_object_class_install_property (gobject_class,
      PROP_TIMESTAMP_MICROSECONDS,
      g_param_spec_boolean ("timestamp-microseconds", "Microsecond timestamps",
          "Write \"system_timestamp\" with microseconds rather than "
          "milliseconds", FALSE, rw));

  /**
   * GstOvMetaConvert::handoff:
   * @element: the element
   * @buffer: the frame, with its GstOvJsonMeta when it has a message
   *
   * With signal-handoffs, emitted on the streaming thread for each frame
   * before it is pushed (gvametaconvert's signal).
   */
  signals[SIGNAL_HANDOFF] = g_signal_new ("handoff",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 1, GST_TYPE_BUFFER | G_SIGNAL_TYPE_STATIC_SCOPE);

  gst_element_class_set_static_metadata (element_class,
      "Metadata to JSON", "Filter/Metadata",
      "Converts inference results to DL Streamer-compatible JSON",
      "gst-ovi developers");
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  bt_class->set_caps = set_caps;
  bt_class->start = start;
  bt_class->sink_event = sink_event;
  bt_class->transform_ip = transform_ip;
  gst_type_mark_as_plugin_api (format_get_type (), 0);
}

static void
gst_ov_meta_convert_init (GstOvMetaConvert *self)
{
  self->json_indent = -1;
  /* In place, not passthrough: the buffer must be writable for the meta. */
  gst_base_transform_set_in_place (GST_BASE_TRANSFORM (self), TRUE);
}
