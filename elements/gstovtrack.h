#ifndef GST_OV_TRACK_H
#define GST_OV_TRACK_H

#include <gst/base/gstbasetransform.h>

G_BEGIN_DECLS

#define GST_TYPE_OV_TRACK (gst_ov_track_get_type ())
G_DECLARE_FINAL_TYPE (GstOvTrack, gst_ov_track, GST, OV_TRACK,
    GstBaseTransform)
GST_ELEMENT_REGISTER_DECLARE (ovtrack);

typedef enum {
  GST_OV_TRACKING_ZERO_TERM = 0,
  GST_OV_TRACKING_SHORT_TERM_IMAGELESS = 1,
  GST_OV_TRACKING_ZERO_TERM_IMAGELESS = 2,
  GST_OV_TRACKING_DEEP_SORT = 3,
} GstOvTrackingType;

#define GST_TYPE_OV_TRACKING_TYPE (gst_ov_tracking_type_get_type ())
GType gst_ov_tracking_type_get_type (void);

G_END_DECLS

#endif
