#ifndef GST_OV_OVERLAY_H
#define GST_OV_OVERLAY_H

#include <gst/video/gstvideofilter.h>

G_BEGIN_DECLS

#define GST_TYPE_OV_OVERLAY (gst_ov_overlay_get_type ())
G_DECLARE_FINAL_TYPE (GstOvOverlay, gst_ov_overlay, GST, OV_OVERLAY,
    GstVideoFilter)
GST_ELEMENT_REGISTER_DECLARE (ovoverlay);

G_END_DECLS

#endif
