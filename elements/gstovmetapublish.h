#ifndef GST_OV_META_PUBLISH_H
#define GST_OV_META_PUBLISH_H

#include <gst/base/gstbasetransform.h>

G_BEGIN_DECLS

#define GST_TYPE_OV_META_PUBLISH (gst_ov_meta_publish_get_type ())
G_DECLARE_FINAL_TYPE (GstOvMetaPublish, gst_ov_meta_publish, GST,
    OV_META_PUBLISH, GstBaseTransform)
GST_ELEMENT_REGISTER_DECLARE (ovmetapublish);

G_END_DECLS

#endif
