#ifndef GST_OV_DETECT_H
#define GST_OV_DETECT_H

#include "gstovbaseinference.h"

G_BEGIN_DECLS

#define GST_TYPE_OV_DETECT (gst_ov_detect_get_type ())
G_DECLARE_FINAL_TYPE (GstOvDetect, gst_ov_detect, GST, OV_DETECT,
    GstOvBaseInference)
GST_ELEMENT_REGISTER_DECLARE (ovdetect);

G_END_DECLS

#endif
