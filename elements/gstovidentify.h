#ifndef GST_OV_IDENTIFY_H
#define GST_OV_IDENTIFY_H

#include <gst/base/gstbasetransform.h>

G_BEGIN_DECLS

#define GST_TYPE_OV_IDENTIFY (gst_ov_identify_get_type ())
G_DECLARE_FINAL_TYPE (GstOvIdentify, gst_ov_identify, GST, OV_IDENTIFY,
    GstBaseTransform)
GST_ELEMENT_REGISTER_DECLARE (ovidentify);

typedef enum {
  GST_OV_IDENTIFY_METRIC_EUCLIDEAN = 0,
  GST_OV_IDENTIFY_METRIC_COSINE = 1,
} GstOvIdentifyMetric;

#define GST_TYPE_OV_IDENTIFY_METRIC (gst_ov_identify_metric_get_type ())
GType gst_ov_identify_metric_get_type (void);

G_END_DECLS

#endif
