/* Inference results on buffers, in the layout DL Streamer consumers read:
 * one GstVideoRegionOfInterestMeta per object carrying a "detection"
 * GstStructure (normalized box, confidence, label) and one structure per
 * classification attribute or raw tensor; whole-frame results (full-frame
 * classification, ovinference) in GstOvTensorMeta, one structure each.
 *
 * Structure fields (what `gst_ov_*` writes and ovmetaconvert reads), as
 * DL Streamer writes them:
 *   detection:   x_min y_min x_max y_max (double, 0..1 of the frame),
 *                confidence (double), label_id (int); the label is the
 *                ROI's roi_type
 *   attribute:   name = attribute, label (string), label_id (int),
 *                confidence (double), model_name, layer_name (string),
 *                type "classification_result"
 *   tensor:      name = output or attribute, layer_name, model_name,
 *                precision (int, GstOvPrecision), layout (int,
 *                GstOvLayout), dims (GstValueArray of uint), data_buffer
 *                (GVariant "ay"), data (pointer into data_buffer),
 *                format (e.g. "embedding")
 *   object_id:   id (int), set by ovtrack
 *
 * Events (something that happened on the frame, not a result on it): a
 * structure named "*_event" with a string field "event", in a
 * GstOvTensorMeta; ovmetaconvert writes them to "events" with all their
 * fields. ovidentify's:
 *   identity_event: event "appeared" | "left", person (string),
 *                person_id (int64, 0: the unknown faces), similarity
 *                (double), timestamp (uint64, stream time ns), for
 *                appeared: region (structure x y w h int, pixels, and id
 *                int when tracked); for left: reason "unseen" | "eos",
 *                first_seen, last_seen (uint64, stream time ns)
 *
 * A language model's answer about the recent frames (ovllm), in a
 * GstOvTensorMeta; ovmetaconvert writes it as DL Streamer gvagenai's
 * "result" and "metrics":
 *   llm_result:  result (string, the answer), prompt (string, as
 *                rendered), model_name (string), stop_reason (string),
 *                timestamp (uint64, stream time ns of the frame the prompt
 *                was rendered at), metrics (structure, optional:
 *                load_time, ttft_mean, tpot_mean, generate_duration_mean
 *                in ms, throughput_mean in tokens/s, num_input_tokens,
 *                num_reused_tokens, num_generated_tokens) */
#ifndef GST_OV_META_H
#define GST_OV_META_H

#include <gst/gst.h>
#include <gst/video/video.h>

G_BEGIN_DECLS

#define GST_OV_LLM_RESULT "llm_result"

/* Whole-frame results: a structure in the layout above. */
typedef struct {
  GstMeta meta;
  GstStructure *data;
} GstOvTensorMeta;

GType gst_ov_tensor_meta_api_get_type (void);
#define GST_OV_TENSOR_META_API_TYPE (gst_ov_tensor_meta_api_get_type ())
const GstMetaInfo *gst_ov_tensor_meta_get_info (void);

/* Takes ownership of `data`. */
GstOvTensorMeta *gst_buffer_add_ov_tensor_meta (GstBuffer *buffer,
    GstStructure *data);

/* A JSON message for the frame (ovmetaconvert), read by ovmetapublish. */
typedef struct {
  GstMeta meta;
  gchar *message;
} GstOvJsonMeta;

GType gst_ov_json_meta_api_get_type (void);
#define GST_OV_JSON_META_API_TYPE (gst_ov_json_meta_api_get_type ())
const GstMetaInfo *gst_ov_json_meta_get_info (void);
GstOvJsonMeta *gst_buffer_add_ov_json_meta (GstBuffer *buffer,
    const gchar *message);
GstOvJsonMeta *gst_buffer_get_ov_json_meta (GstBuffer *buffer);

/* Adds an object: the box in frame pixels (clipped to the frame) and its
 * "detection" structure with the box normalized to the frame size. */
GstVideoRegionOfInterestMeta *gst_ov_add_detection (GstBuffer *buffer,
    int frame_width, int frame_height, double x_min, double y_min,
    double x_max, double y_max, double confidence, int label_id,
    const gchar *label);

/* Reads an object's "detection" structure; FALSE if it has none. Any
 * output may be NULL. */
gboolean gst_ov_roi_get_detection (GstVideoRegionOfInterestMeta *roi,
    double *confidence, int *label_id, const gchar **label);

/* The object's label (its roi_type), which `object-class` filters on. */
const gchar *gst_ov_roi_get_label (GstVideoRegionOfInterestMeta *roi);

/* A classification attribute structure; add it with
 * gst_video_region_of_interest_meta_add_param or a GstOvTensorMeta. */
GstStructure *gst_ov_attribute_new (const gchar *attribute,
    const gchar *label, int label_id, double confidence,
    const gchar *model_name, const gchar *layer_name);

/* DL Streamer's numeric precision and layout codes. */
typedef enum {
  GST_OV_PRECISION_FP32 = 10,
  GST_OV_PRECISION_FP16 = 11,
  GST_OV_PRECISION_U8 = 40,
  GST_OV_PRECISION_I8 = 50,
  GST_OV_PRECISION_I32 = 70,
  GST_OV_PRECISION_I64 = 72,
  GST_OV_PRECISION_UNSPECIFIED = 255,
} GstOvPrecision;

typedef enum {
  GST_OV_LAYOUT_ANY = 0,
  GST_OV_LAYOUT_NCHW = 1,
  GST_OV_LAYOUT_NHWC = 2,
  GST_OV_LAYOUT_NC = 193,
} GstOvLayout;

const gchar *gst_ov_precision_name (int precision);
const gchar *gst_ov_layout_name (int layout);

/* A tensor structure holding a copy of `size` bytes of `data`. */
GstStructure *gst_ov_tensor_structure_new (const gchar *name,
    const gchar *layer_name, const gchar *model_name, GstOvPrecision precision,
    GstOvLayout layout, const gint64 *dims, int rank, gconstpointer data,
    gsize size, const gchar *format);
/* The tensor's bytes (NULL if none) and their count. */
gconstpointer gst_ov_tensor_structure_get_data (const GstStructure *s,
    gsize *size);

/* Tracking: the object id, or -1. */
void gst_ov_roi_set_object_id (GstVideoRegionOfInterestMeta *roi, gint id);
gint gst_ov_roi_get_object_id (GstVideoRegionOfInterestMeta *roi);
/* The object id set on a region of buffer, and mirrored in GStreamer's
 * analytics metadata where that is built (gstovanalytics.h). */
void gst_ov_roi_track (GstBuffer *buffer, GstVideoRegionOfInterestMeta *roi,
    gint id);

/* A result (classification, tensor, identity) added to region roi of
 * buffer as a param, or with roi NULL to the frame as a tensor meta, and
 * mirrored in the analytics metadata; takes result. */
void gst_ov_add_result (GstBuffer *buffer, GstVideoRegionOfInterestMeta *roi,
    GstStructure *result);

/* Marks a frame a detector looked at (ovdetect adds it on every frame it
 * infers on, found objects or not; frames skipped by inference-interval
 * have none), so that ovtrack tells "nothing there" from "not looked". */
void gst_ov_buffer_mark_detected (GstBuffer *buffer);
gboolean gst_ov_buffer_is_detected (GstBuffer *buffer);

/* An event structure (see above)? */
gboolean gst_ov_structure_is_event (const GstStructure *s);

/* Events with no frame to carry them (e.g. persons leaving at the end of
 * the stream) travel in a serialized custom downstream event holding
 * copies of their structures; ovmetaconvert turns it into a JSON event
 * (below). get_events returns the GST_TYPE_ARRAY of structures, or NULL
 * if `event` is not one. */
GstEvent *gst_ov_frame_events_event_new (GstStructure **events, guint n);
const GValue *gst_ov_frame_events_event_get_events (GstEvent *event);

/* A JSON message outside any frame, as a serialized custom downstream
 * event: ovmetapublish publishes it like a frame's GstOvJsonMeta.
 * get_message returns NULL if `event` is not one. */
GstEvent *gst_ov_json_event_new (const gchar *message);
const gchar *gst_ov_json_event_get_message (GstEvent *event);

G_END_DECLS

#endif
