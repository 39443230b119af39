#include "gstovmemory.h"

GstOvMemoryKind
gst_ov_features_memory_kind (const GstCapsFeatures *features)
{
  if (features == NULL)
    return GST_OV_MEMORY_SYSTEM;
  if (gst_caps_features_contains (features, GST_OV_CAPS_FEATURE_MEMORY_VA))
    return GST_OV_MEMORY_VA;
  if (gst_caps_features_contains (features,
          GST_OV_CAPS_FEATURE_MEMORY_DMABUF))
    return GST_OV_MEMORY_DMABUF;
  return GST_OV_MEMORY_SYSTEM;
}

GstOvMemoryKind
gst_ov_caps_memory_kind (const GstCaps *caps)
{
  if (caps == NULL || gst_caps_is_empty (caps) || gst_caps_is_any (caps))
    return GST_OV_MEMORY_SYSTEM;
  return gst_ov_features_memory_kind (gst_caps_get_features (caps, 0));
}
