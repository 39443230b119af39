/* model-proc keys of the anchor-based detection heads (boxes_scores with
 * SSD anchors, raw YOLO grids): read from one output_postproc entry. */
#ifndef GST_OV_MODEL_PROC_DETECT_H
#define GST_OV_MODEL_PROC_DETECT_H

#include <json-glib/json-glib.h>

#include "gstovmodelproc.h"

G_BEGIN_DECLS

/* The defaults: no anchors, box scales 10/5, no background class. */
void gst_ov_detect_postproc_init (GstOvDetectPostproc *d);
/* Sets the defaults, then reads the keys present. FALSE with an error
 * naming the file and key for a value of the wrong type or range. */
gboolean gst_ov_detect_postproc_parse (GstOvDetectPostproc *d,
    JsonObject *entry, const char *path, GError **error);
void gst_ov_detect_postproc_clear (GstOvDetectPostproc *d);

G_END_DECLS

#endif
