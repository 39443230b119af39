/* The `device` property's strings and the "ovi-device" bus message.
 *
 * `device` is a string, as in DL Streamer: "CPU", "GPU", "GPU.0", "NPU",
 * "AUTO", "AUTO:GPU,CPU", "MULTI:GPU,CPU" (taken as AUTO), and our short
 * lists "gpu,cpu". The engine resolves it (ovi_compile) and its error
 * names the problem; "HETERO:..." is refused there too. */
#ifndef GST_OV_DEVICE_H
#define GST_OV_DEVICE_H

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_OV_DEFAULT_DEVICE "AUTO"

/* Reasons of the "ovi-device" element message. */
#define GST_OV_DEVICE_STARTED "started"    /* the first inference ran */
#define GST_OV_DEVICE_MIGRATED "migrated"  /* a better device took over */
#define GST_OV_DEVICE_FAILED "failed"      /* a device was dropped */

/* Where frames are pre-processed, the "started" message's `pre-process`
 * field. */
#define GST_OV_PRE_PROCESS_CPU "cpu"
#define GST_OV_PRE_PROCESS_DEVICE "device"

/* Posts an element message "ovi-device" with fields `element` (the
 * element's name), `device`, `reason` and, when given, `previous` (the
 * device preferred before a migration), `message` (why a device failed)
 * and `pre-process` (started: GST_OV_PRE_PROCESS_*). */
void gst_ov_device_post (GstElement *element, const gchar *reason,
    const gchar *device, const gchar *previous, const gchar *message,
    const gchar *pre_process);

/* TRUE when `device` lets a CPU-only runtime (ovllm's) run: "CPU",
 * "AUTO", or a list (AUTO:, MULTI: or commas) that names the CPU. */
gboolean gst_ov_device_allows_cpu (const gchar *device);

G_END_DECLS

#endif
