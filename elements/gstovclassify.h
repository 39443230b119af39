#ifndef GST_OV_CLASSIFY_H
#define GST_OV_CLASSIFY_H

#include "gstovbaseinference.h"

G_BEGIN_DECLS

#define GST_TYPE_OV_CLASSIFY (gst_ov_classify_get_type ())
G_DECLARE_FINAL_TYPE (GstOvClassify, gst_ov_classify, GST, OV_CLASSIFY,
    GstOvBaseInference)
GST_ELEMENT_REGISTER_DECLARE (ovclassify);

G_END_DECLS

#endif
