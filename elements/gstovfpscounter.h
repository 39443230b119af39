#ifndef GST_OV_FPS_COUNTER_H
#define GST_OV_FPS_COUNTER_H

#include <gst/base/gstbasetransform.h>

G_BEGIN_DECLS

#define GST_TYPE_OV_FPS_COUNTER (gst_ov_fps_counter_get_type ())
G_DECLARE_FINAL_TYPE (GstOvFpsCounter, gst_ov_fps_counter, GST,
    OV_FPS_COUNTER, GstBaseTransform)
GST_ELEMENT_REGISTER_DECLARE (ovfpscounter);

G_END_DECLS

#endif
