/* A detection head's outputs as objects on the frame: shared by ovdetect
 * and ovsegment, whose instance segmentation (YOLOv8/v11-seg) is the same
 * detection plus a mask per object. */
#ifndef GST_OV_DETECTIONS_H
#define GST_OV_DETECTIONS_H

#include "gstovbaseinference.h"

G_BEGIN_DECLS

/* The NMS IoU threshold: model-proc's `iou_threshold`, else DL
 * Streamer's default for the head (0 for heads that need no NMS; boxes +
 * scores need it only when anchors are decoded). */
float gst_ov_detection_iou_threshold (const GstOvPostproc *pp,
    OvConverterKind kind, gboolean anchored);

/* Decodes the job's outputs with a detection converter and its `params`
 * and adds one ROI per object (frame pixels, the pre-processing undone;
 * children of the job's ROI), labelled from the element's labels.
 * YOLOv8-seg objects also get their "mask_yolov8" structure. FALSE with
 * error when the outputs do not fit the converter. */
gboolean gst_ov_job_add_detections (GstOvBaseInference *base,
    const GstOvJob *job, GstBuffer *buffer, const GstVideoInfo *info,
    OvConverterKind kind, const OvDetectParams *params, GError **error);

/* The parameters every head needs: threshold, NMS IoU, input size. */
void gst_ov_detect_params_init (GstOvBaseInference *base,
    OvDetectParams *params, float iou_threshold);

G_END_DECLS

#endif
