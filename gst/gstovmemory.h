/* Which memory negotiated caps carry frames in: system memory, VA
 * surfaces (memory:VAMemory, read through gstovvasurface.h) or DMA-BUF
 * file descriptors (memory:DMABuf, mapped with mmap by GstFdMemory, then
 * read like system memory). */
#ifndef GST_OV_MEMORY_H
#define GST_OV_MEMORY_H

#include <gst/gst.h>

G_BEGIN_DECLS

/* GStreamer's feature names (gst/va/gstvadisplay.h and
 * gst/allocators/gstdmabuf.h), spelled here so that builds without the
 * VA library still know them. */
#define GST_OV_CAPS_FEATURE_MEMORY_VA "memory:VAMemory"
#define GST_OV_CAPS_FEATURE_MEMORY_DMABUF "memory:DMABuf"

typedef enum {
  GST_OV_MEMORY_SYSTEM,
  GST_OV_MEMORY_VA,
  GST_OV_MEMORY_DMABUF,
} GstOvMemoryKind;

/* The memory the caps' first structure names (fixed caps have one). */
GstOvMemoryKind gst_ov_caps_memory_kind (const GstCaps *caps);
/* The memory a caps structure's features name (NULL: system memory). */
GstOvMemoryKind gst_ov_features_memory_kind (const GstCapsFeatures *features);

G_END_DECLS

#endif
