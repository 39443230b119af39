#ifndef GST_OV_SEGMENT_H
#define GST_OV_SEGMENT_H

#include "gstovbaseinference.h"

G_BEGIN_DECLS

#define GST_TYPE_OV_SEGMENT (gst_ov_segment_get_type ())
G_DECLARE_FINAL_TYPE (GstOvSegment, gst_ov_segment, GST, OV_SEGMENT,
    GstOvBaseInference)
GST_ELEMENT_REGISTER_DECLARE (ovsegment);

G_END_DECLS

#endif
