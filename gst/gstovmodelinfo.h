/* Pre- and post-processing a model carries itself: OpenVINO Model API's
 * `model_info` section (an IR's <rt_info><model_info>, as Ultralytics'
 * and Intel Geti's exporters write it), which DL Streamer reads for a
 * model without model-proc; and DL Streamer's `pre-process-config`
 * property, which overrides its pre-processing keys.
 *
 * Keys (model_info's names; values case-insensitive):
 *   resize_type             standard (stretch), fit_to_window (aspect
 *                           ratio, image at the top left),
 *                           fit_to_window_letterbox (aspect ratio,
 *                           centered), crop (central crop)
 *   reverse_input_channels  True: the model takes RGB (else BGR)
 *   color_space             RGB, BGR, GRAY/GRAYSCALE
 *   mean_values             one or three numbers, in pixel units
 *   scale_values            one or three numbers: (pixel - mean) / scale
 *   pad_value               the letterbox border, 0..255
 * model_info only:
 *   model_type              the converter (DL Streamer's names, and Geti's
 *                           ssd and Classification); names no converter
 *                           here knows (Ultralytics' YOLO) leave it to the
 *                           output shapes
 *   labels                  separated by spaces, commas or semicolons
 *   iou_threshold           NMS overlap
 *   multilabel, output_raw_scores   classification scores are independent
 *                           sigmoids / logits (softmax)
 *   confidence_threshold    kept as the entry's threshold; the elements'
 *                           `threshold` property decides what is dropped
 * Other model_info keys are skipped.
 *
 * An ONNX file exported by Ultralytics (metadata author "Ultralytics",
 * with `task` and `names`) is read as the model_info its IR export
 * writes: RGB, pixels / 255, a centered letterbox bordered with 114 for
 * all but classifiers, and its class names (spaces kept) as labels. */
#ifndef GST_OV_MODEL_INFO_H
#define GST_OV_MODEL_INFO_H

#include "gstovmodelproc.h"

G_BEGIN_DECLS

/* A model-proc from the model's model_info, in *out; *out NULL when the
 * model has none. FALSE with an error naming the key for a value that
 * cannot be used. */
gboolean gst_ov_model_info_read (const OviModel *model, GstOvModelProc **out,
    GError **error);

/* Applies "KEY=VALUE,..." (the pre-processing keys above) to `mp`.
 * VAAPI_FAST_SCALE_LOAD_FACTOR and VAAPI_THREAD_POOL_SIZE tune DL
 * Streamer's VA scaling, which is not used here: accepted and skipped.
 * Other keys are returned in *ignored (NULL-terminated, or NULL). */
gboolean gst_ov_pre_process_config_apply (GstOvModelProc *mp,
    const char *text, char ***ignored, GError **error);

/* Ultralytics' `names` metadata, a Python dict literal:
 * {0: 'person', 1: 'traffic light', 2: "kid's toy"}, as a
 * NULL-terminated array; NULL unless it is one with keys 0..n-1. */
char **gst_ov_model_info_parse_names (const char *text);

G_END_DECLS

#endif
