#include "gstovmeta.h"

#include <string.h>

#include "gstovanalytics.h"

/* ---- GstOvTensorMeta ---------------------------------------------------- */

GType
gst_ov_tensor_meta_api_get_type (void)
{
  static GType type = 0;
  static const gchar *tags[] = { NULL };
  if (g_once_init_enter (&type)) {
    /* A second copy of this code (the plugin and a test program both
     * link it) finds the type the first registered. */
    GType t = g_type_from_name ("GstOvTensorMetaAPI");
    if (t == 0)
      t = gst_meta_api_type_register ("GstOvTensorMetaAPI", tags);
    g_once_init_leave (&type, t);
  }
  return type;
}

static gboolean
tensor_meta_init (GstMeta *meta, gpointer params, GstBuffer *buffer)
{
  ((GstOvTensorMeta *) meta)->data = NULL;
  return TRUE;
}

static void
tensor_meta_free (GstMeta *meta, GstBuffer *buffer)
{
  GstOvTensorMeta *m = (GstOvTensorMeta *) meta;
  if (m->data)
    gst_structure_free (m->data);
}

static gboolean
tensor_meta_transform (GstBuffer *dest, GstMeta *meta, GstBuffer *buffer,
    GQuark type, gpointer data)
{
  GstOvTensorMeta *m = (GstOvTensorMeta *) meta;
  /* Results describe the image: kept on copies, not across scaling. */
  if (!GST_META_TRANSFORM_IS_COPY (type))
    return FALSE;
  return gst_buffer_add_ov_tensor_meta (dest,
      gst_structure_copy (m->data)) != NULL;
}

const GstMetaInfo *
gst_ov_tensor_meta_get_info (void)
{
  static const GstMetaInfo *info = NULL;
  if (g_once_init_enter (&info)) {
    const GstMetaInfo *i = gst_meta_get_info ("GstOvTensorMeta");
    if (i == NULL)
      i = gst_meta_register (GST_OV_TENSOR_META_API_TYPE, "GstOvTensorMeta", sizeof (GstOvTensorMeta), tensor_meta_init, tensor_meta_free, tensor_meta_transform);
    g_once_init_leave (&info, i);
  }
  return info;
}

GstOvTensorMeta *
gst_buffer_add_ov_tensor_meta (GstBuffer *buffer, GstStructure *data)
{
  GstOvTensorMeta *m;
  g_return_val_if_fail (data != NULL, NULL);
  m = (GstOvTensorMeta *) gst_buffer_add_meta (buffer,
      gst_ov_tensor_meta_get_info (), NULL);
  if (m == NULL) {
    gst_structure_free (data);
    return NULL;
  }
  m->data = data;
  return m;
}

/* ---- GstOvJsonMeta ------------------------------------------------------ */

GType
gst_ov_json_meta_api_get_type (void)
{
  static GType type = 0;
  static const gchar *tags[] = { NULL };
  if (g_once_init_enter (&type)) {
    /* A second copy of this code (the plugin and a test program both
     * link it) finds the type the first registered. */
    GType t = g_type_from_name ("GstOvJsonMetaAPI");
    if (t == 0)
      t = gst_meta_api_type_register ("GstOvJsonMetaAPI", tags);
    g_once_init_leave (&type, t);
  }
  return type;
}

static gboolean
json_meta_init (GstMeta *meta, gpointer params, GstBuffer *buffer)
{
  ((GstOvJsonMeta *) meta)->message = NULL;
  return TRUE;
}

static void
json_meta_free (GstMeta *meta, GstBuffer *buffer)
{
  g_free (((GstOvJsonMeta *) meta)->message);
}

static gboolean
json_meta_transform (GstBuffer *dest, GstMeta *meta, GstBuffer *buffer,
    GQuark type, gpointer data)
{
  if (!GST_META_TRANSFORM_IS_COPY (type))
    return FALSE;
  return gst_buffer_add_ov_json_meta (dest,
      ((GstOvJsonMeta *) meta)->message) != NULL;
}

const GstMetaInfo *
gst_ov_json_meta_get_info (void)
{
  static const GstMetaInfo *info = NULL;
  if (g_once_init_enter (&info)) {
    const GstMetaInfo *i = gst_meta_get_info ("GstOvJsonMeta");
    if (i == NULL)
      i = gst_meta_register (GST_OV_JSON_META_API_TYPE, "GstOvJsonMeta", sizeof (GstOvJsonMeta), json_meta_init, json_meta_free, json_meta_transform);
    g_once_init_leave (&info, i);
  }
  return info;
}

GstOvJsonMeta *
gst_buffer_add_ov_json_meta (GstBuffer *buffer, const gchar *message)
{
  GstOvJsonMeta *m = (GstOvJsonMeta *) gst_buffer_add_meta (buffer,
      gst_ov_json_meta_get_info (), NULL);
  if (m)
    m->message = g_strdup (message);
  return m;
}

GstOvJsonMeta *
gst_buffer_get_ov_json_meta (GstBuffer *buffer)
{
  return (GstOvJsonMeta *) gst_buffer_get_meta (buffer,
      GST_OV_JSON_META_API_TYPE);
}

/* ---- regions of interest ------------------------------------------------ */

GstVideoRegionOfInterestMeta *
gst_ov_add_detection (GstBuffer *buffer, int fw, int fh, double x_min,
    double y_min, double x_max, double y_max, double confidence, int label_id,
    const gchar *label)
{
  GstVideoRegionOfInterestMeta *roi;
  GstStructure *s;
  double x0 = CLAMP (x_min, 0.0, (double) fw), y0 = CLAMP (y_min, 0.0, (double) fh);
  double x1 = CLAMP (x_max, 0.0, (double) fw), y1 = CLAMP (y_max, 0.0, (double) fh);
  guint px = (guint) (x0 + 0.5), py = (guint) (y0 + 0.5);
  guint pw = (guint) (x1 + 0.5) - px, ph = (guint) (y1 + 0.5) - py;

  gpointer state = NULL;
  GstMeta *m;
  gint next_id = 0;

  if (fw <= 0 || fh <= 0 || x1 < x0 || y1 < y0)
    return NULL;
  /* ids unique within the buffer, so gst_buffer_get_video_region_of_
   * interest_meta_id and parent_id links work (with analytics metadata,
   * the id of the ROI's detection mtd instead). */
  while ((m = gst_buffer_iterate_meta_filtered (buffer, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE)))
    next_id = MAX (next_id, ((GstVideoRegionOfInterestMeta *) m)->id + 1);
  roi = gst_buffer_add_video_region_of_interest_meta (buffer,
      label ? label : "", px, py, pw, ph);
  if (roi == NULL)
    return NULL;
  roi->id = next_id;
  roi->parent_id = -1;
  s = gst_structure_new ("detection",
      "x_min", G_TYPE_DOUBLE, x0 / fw, "y_min", G_TYPE_DOUBLE, y0 / fh,
      "x_max", G_TYPE_DOUBLE, x1 / fw, "y_max", G_TYPE_DOUBLE, y1 / fh,
      "confidence", G_TYPE_DOUBLE, confidence,
      "label_id", G_TYPE_INT, label_id, NULL);
  gst_video_region_of_interest_meta_add_param (roi, s);
  gst_ov_analytics_add_detection (buffer, roi, confidence);
  return roi;
}

gboolean
gst_ov_roi_get_detection (GstVideoRegionOfInterestMeta *roi,
    double *confidence, int *label_id, const gchar **label)
{
  GstStructure *s = gst_video_region_of_interest_meta_get_param (roi,
      "detection");
  if (s == NULL)
    return FALSE;
  if (confidence && !gst_structure_get_double (s, "confidence", confidence))
    *confidence = 0.0;
  if (label_id && !gst_structure_get_int (s, "label_id", label_id))
    *label_id = -1;
  if (label)
    *label = roi->roi_type ? g_quark_to_string (roi->roi_type) : NULL;
  return TRUE;
}

const gchar *
gst_ov_roi_get_label (GstVideoRegionOfInterestMeta *roi)
{
  return roi->roi_type ? g_quark_to_string (roi->roi_type) : "";
}

GstStructure *
gst_ov_attribute_new (const gchar *attribute, const gchar *label,
    int label_id, double confidence, const gchar *model_name,
    const gchar *layer_name)
{
  GstStructure *s = gst_structure_new (attribute,
      "label", G_TYPE_STRING, label ? label : "",
      "label_id", G_TYPE_INT, label_id,
      "confidence", G_TYPE_DOUBLE, confidence,
      "type", G_TYPE_STRING, "classification_result", NULL);
  if (model_name)
    gst_structure_set (s, "model_name", G_TYPE_STRING, model_name, NULL);
  if (layer_name)
    gst_structure_set (s, "layer_name", G_TYPE_STRING, layer_name, NULL);
  return s;
}

const gchar *
gst_ov_precision_name (int precision)
{
  switch (precision) {
    case GST_OV_PRECISION_FP32: return "FP32";
    case GST_OV_PRECISION_FP16: return "FP16";
    case GST_OV_PRECISION_U8: return "U8";
    case GST_OV_PRECISION_I8: return "I8";
    case GST_OV_PRECISION_I32: return "I32";
    case GST_OV_PRECISION_I64: return "I64";
    default: return "UNSPECIFIED";
  }
}

const gchar *
gst_ov_layout_name (int layout)
{
  switch (layout) {
    case GST_OV_LAYOUT_NCHW: return "NCHW";
    case GST_OV_LAYOUT_NHWC: return "NHWC";
    case GST_OV_LAYOUT_NC: return "NC";
    default: return "ANY";
  }
}

GstStructure *
gst_ov_tensor_structure_new (const gchar *name, const gchar *layer_name,
    const gchar *model_name, GstOvPrecision precision, GstOvLayout layout,
    const gint64 *dims, int rank, gconstpointer data, gsize size,
    const gchar *format)
{
  GstStructure *s = gst_structure_new_empty (name);
  GValue arr = G_VALUE_INIT, v = G_VALUE_INIT;
  GVariant *bytes = g_variant_ref_sink (g_variant_new_fixed_array (
          G_VARIANT_TYPE_BYTE, data, size, 1));

  gst_value_array_init (&arr, rank);
  g_value_init (&v, G_TYPE_UINT);
  for (int i = 0; i < rank; i++) {
    g_value_set_uint (&v, (guint) dims[i]);
    gst_value_array_append_value (&arr, &v);
  }
  g_value_unset (&v);
  /* `data` points into the variant, which the structure keeps alive and
   * never changes: what DL Streamer's tensor readers use. */
  gst_structure_set (s,
      "layer_name", G_TYPE_STRING, layer_name ? layer_name : name,
      "precision", G_TYPE_INT, (int) precision,
      "layout", G_TYPE_INT, (int) layout,
      "data_buffer", G_TYPE_VARIANT, bytes,
      "data", G_TYPE_POINTER, g_variant_get_data (bytes), NULL);
  gst_structure_take_value (s, "dims", &arr);
  if (model_name)
    gst_structure_set (s, "model_name", G_TYPE_STRING, model_name, NULL);
  if (format)
    gst_structure_set (s, "format", G_TYPE_STRING, format, NULL);
  g_variant_unref (bytes);
  return s;
}

gconstpointer
gst_ov_tensor_structure_get_data (const GstStructure *s, gsize *size)
{
  const GValue *v = gst_structure_get_value (s, "data_buffer");
  GVariant *var;
  gsize n;
  if (size == NULL)
    size = &n;
  if (v == NULL || !G_VALUE_HOLDS (v, G_TYPE_VARIANT))
    return NULL;
  var = g_value_get_variant (v);
  if (var == NULL || !g_variant_is_of_type (var, G_VARIANT_TYPE_BYTESTRING))
    return NULL;
  return g_variant_get_fixed_array (var, size, 1);
}

void
gst_ov_roi_set_object_id (GstVideoRegionOfInterestMeta *roi, gint id)
{
  GstStructure *s = gst_video_region_of_interest_meta_get_param (roi,
      "object_id");
  if (s)
    gst_structure_set (s, "id", G_TYPE_INT, id, NULL);
  else
    gst_video_region_of_interest_meta_add_param (roi,
        gst_structure_new ("object_id", "id", G_TYPE_INT, id, NULL));
}

void
gst_ov_roi_track (GstBuffer *buffer, GstVideoRegionOfInterestMeta *roi,
    gint id)
{
  gst_ov_roi_set_object_id (roi, id);
  gst_ov_analytics_set_tracking (buffer, roi, id);
}

void
gst_ov_add_result (GstBuffer *buffer, GstVideoRegionOfInterestMeta *roi,
    GstStructure *result)
{
  gst_ov_analytics_add_result (buffer, roi, result);
  if (roi == NULL)
    gst_buffer_add_ov_tensor_meta (buffer, result);
  else
    gst_video_region_of_interest_meta_add_param (roi, result);
}

gint
gst_ov_roi_get_object_id (GstVideoRegionOfInterestMeta *roi)
{
  GstStructure *s = gst_video_region_of_interest_meta_get_param (roi,
      "object_id");
  gint id;
  if (s && gst_structure_get_int (s, "id", &id))
    return id;
  return -1;
}

/* ---- detection-frame mark ------------------------------------------------ */

#define DETECTED_META_NAME "GstOvDetectedMeta"

static const GstMetaInfo *
detected_meta_info (void)
{
  static const GstMetaInfo *info = NULL;
  if (g_once_init_enter (&info)) {
    /* A custom meta (a named structure) is enough for a flag; it is copied
     * with the buffer and dropped by scaling, like the results. */
    static const gchar *tags[] = { NULL };
    const GstMetaInfo *i = gst_meta_get_info (DETECTED_META_NAME);
    if (i == NULL)
      i = gst_meta_register_custom (DETECTED_META_NAME, tags, NULL, NULL,
          NULL);
    g_once_init_leave (&info, i);
  }
  return info;
}

void
gst_ov_buffer_mark_detected (GstBuffer *buffer)
{
  detected_meta_info ();
  if (!gst_buffer_get_custom_meta (buffer, DETECTED_META_NAME))
    gst_buffer_add_custom_meta (buffer, DETECTED_META_NAME);
}

gboolean
gst_ov_buffer_is_detected (GstBuffer *buffer)
{
  detected_meta_info ();
  return gst_buffer_get_custom_meta (buffer, DETECTED_META_NAME) != NULL;
}

/* ---- events ---------------------------------------------------------- */

#define FRAME_EVENTS_NAME "ov-frame-events"
#define JSON_EVENT_NAME "ov-json"

gboolean
gst_ov_structure_is_event (const GstStructure *s)
{
  return g_str_has_suffix (gst_structure_get_name (s), "_event")
      && gst_structure_get_string (s, "event") != NULL;
}

GstEvent *
gst_ov_frame_events_event_new (GstStructure **events, guint n)
{
  GValue array = G_VALUE_INIT;
  GstStructure *s = gst_structure_new_empty (FRAME_EVENTS_NAME);

  gst_value_array_init (&array, n);
  for (guint i = 0; i < n; i++) {
    GValue v = G_VALUE_INIT;
    g_value_init (&v, GST_TYPE_STRUCTURE);
    gst_value_set_structure (&v, events[i]);
    gst_value_array_append_and_take_value (&array, &v);
  }
  gst_structure_take_value (s, "events", &array);
  return gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM, s);
}

const GValue *
gst_ov_frame_events_event_get_events (GstEvent *event)
{
  const GstStructure *s;
  const GValue *v;

  if (GST_EVENT_TYPE (event) != GST_EVENT_CUSTOM_DOWNSTREAM
      || !gst_event_has_name (event, FRAME_EVENTS_NAME))
    return NULL;
  s = gst_event_get_structure (event);
  v = gst_structure_get_value (s, "events");
  return v && GST_VALUE_HOLDS_ARRAY (v) ? v : NULL;
}

GstEvent *
gst_ov_json_event_new (const gchar *message)
{
  return gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM,
      gst_structure_new (JSON_EVENT_NAME, "message", G_TYPE_STRING, message,
          NULL));
}

const gchar *
gst_ov_json_event_get_message (GstEvent *event)
{
  if (GST_EVENT_TYPE (event) != GST_EVENT_CUSTOM_DOWNSTREAM
      || !gst_event_has_name (event, JSON_EVENT_NAME))
    return NULL;
  return gst_structure_get_string (gst_event_get_structure (event),
      "message");
}
