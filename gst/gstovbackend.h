/* DL Streamer's `pre-process-backend` property: which memory frames may
 * arrive in and where they are pre-processed.
 *
 *   ""                   every memory; the device pre-processes when it
 *                        can (a GPU), else the CPU
 *   ie                   system memory; as "" (the inference engine's
 *                        pre-processing, which is the device's on a GPU)
 *   opencv               system memory; always the CPU
 *   va, vaapi            VA surfaces and DMA-BUF; as ""
 *   va-surface-sharing,  VA surfaces and DMA-BUF, pre-processed on the
 *   vaapi-surface-sharing  device: needs a device that takes pictures (a
 *                        GPU), refused at start otherwise
 *
 * Here VA surfaces are read through the driver's mapping, also when
 * "shared": importing them into OpenCL without a copy needs an Intel GPU
 * (docs/devices.md). d3d11 (Windows) is refused. */
#ifndef GST_OV_BACKEND_H
#define GST_OV_BACKEND_H

#include <gst/gst.h>

#include "gstovmemory.h"

G_BEGIN_DECLS

typedef enum {
  GST_OV_BACKEND_AUTO,
  GST_OV_BACKEND_IE,
  GST_OV_BACKEND_OPENCV,
  GST_OV_BACKEND_VA,
  GST_OV_BACKEND_VA_SHARING,
} GstOvBackend;

/* NULL and "" are AUTO; names case-insensitive. FALSE with an error
 * listing the values for anything else. */
gboolean gst_ov_backend_parse (const gchar *text, GstOvBackend *backend,
    GError **error);

gboolean gst_ov_backend_allows_memory (GstOvBackend backend,
    GstOvMemoryKind memory);

/* `caps` (taken) without the structures in memory `backend` refuses. */
GstCaps *gst_ov_backend_filter_caps (GstOvBackend backend, GstCaps *caps);

/* TRUE when frames are pre-processed on the CPU even for a device that
 * takes pictures. */
gboolean gst_ov_backend_forces_cpu (GstOvBackend backend);

G_END_DECLS

#endif
