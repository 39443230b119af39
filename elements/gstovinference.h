#ifndef GST_OV_INFERENCE_H
#define GST_OV_INFERENCE_H

#include "gstovbaseinference.h"

G_BEGIN_DECLS

#define GST_TYPE_OV_INFERENCE (gst_ov_inference_get_type ())
G_DECLARE_FINAL_TYPE (GstOvInference, gst_ov_inference, GST, OV_INFERENCE,
    GstOvBaseInference)
GST_ELEMENT_REGISTER_DECLARE (ovinference);

G_END_DECLS

#endif
