/* Turning output tensors into result structures: shared by ovclassify and
 * ovinference. */
#ifndef GST_OV_RESULTS_H
#define GST_OV_RESULTS_H

#include <gst/gst.h>
#include <ovi.h>

#include "gstovmodelproc.h"

G_BEGIN_DECLS

/* The output named `layer` (NULL: the one at `fallback`), or -1. */
int gst_ov_find_output (const char *const *names, int n, const char *layer,
    int fallback);

/* A tensor structure with a copy of the output's data; `name` NULL gives
 * DL Streamer's "<prefix>:<layer>" naming. */
GstStructure *gst_ov_tensor_result (const char *name, const char *prefix,
    const char *layer, const char *model_name, const OviTensorView *t,
    const char *format);

/* A classification attribute from one output per a model-proc entry
 * (label, text, raw_data_copy), or NULL with error. */
GstStructure *gst_ov_classification_result (const GstOvPostproc *pp,
    const char *const *labels, const char *layer, const char *model_name,
    const OviTensorView *t, GError **error);

G_END_DECLS

#endif
