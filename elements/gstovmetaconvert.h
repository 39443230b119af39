#ifndef GST_OV_META_CONVERT_H
#define GST_OV_META_CONVERT_H

#include <gst/base/gstbasetransform.h>
#include <gst/video/video.h>

G_BEGIN_DECLS

#define GST_TYPE_OV_META_CONVERT (gst_ov_meta_convert_get_type ())
G_DECLARE_FINAL_TYPE (GstOvMetaConvert, gst_ov_meta_convert, GST,
    OV_META_CONVERT, GstBaseTransform)
GST_ELEMENT_REGISTER_DECLARE (ovmetaconvert);

/* The frame's results as gvametaconvert's JSON object (NULL when there is
 * nothing and empty results are not wanted). Exposed for tests and for
 * applications that want the JSON without the element. `system_timestamp`
 * (NULL: none) is written as is. */
gchar *gst_ov_meta_to_json (GstBuffer *buffer, const GstVideoInfo *info,
    GstClockTime timestamp, const gchar *system_timestamp,
    const gchar *source, const gchar *tags, gboolean add_tensor_data,
    gboolean add_empty_results, gint indent);
/* Only the frame's events (`events-only`), with resolution, timestamps,
 * source and tags; NULL when the frame has none. */
gchar *gst_ov_meta_events_to_json (GstBuffer *buffer, const GstVideoInfo *info,
    GstClockTime timestamp, const gchar *system_timestamp,
    const gchar *source, const gchar *tags, gint indent);
/* gvametaconvert's "system_timestamp": the wall-clock time of the frame's
 * dated time code (timecodestamper's), as 2026-11-24T10:20:30.123:+0100,
 * or in UTC as 2026-11-24T09:20:30.123Z, with milliseconds or
 * microseconds; NULL without such a time code. */
gchar *gst_ov_system_timestamp (GstBuffer *buffer, gboolean utc,
    gboolean microseconds);

G_END_DECLS

#endif
