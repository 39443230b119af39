/**
 * SECTION:element-ovdetect
 * @title: ovdetect
 *
 * Object detection: runs a detection model on each frame (or on each
 * region of interest with `inference-region=roi-list`) and attaches one
 * #GstVideoRegionOfInterestMeta per object, with a "detection" structure
 * in DL Streamer's layout. The output decoding (SSD DetectionOutput,
 * boxes + labels, YOLOv5/v7, YOLOv8/v11, YOLOv10) comes from model-proc's
 * `converter`, or is recognized from the output shapes. YOLOv8/v11-seg
 * models (`yolo_v8_seg`) also give each object its mask, as ovsegment
 * does.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 videotestsrc num-buffers=30 ! videoconvert ! \
 *     ovdetect model=detector.onnx model-proc=detector.json threshold=0.6 ! \
 *     ovmetaconvert ! ovmetapublish file-path=out.json ! fakesink
 * ]|
 */
#include "gstovdetect.h"

#include "gstovdetections.h"

GST_DEBUG_CATEGORY_STATIC (gst_ov_detect_debug);
#define GST_CAT_DEFAULT gst_ov_detect_debug

struct _GstOvDetect {
  GstOvBaseInference parent;
  OvConverterKind converter;
  float iou_threshold;
};

G_DEFINE_TYPE (GstOvDetect, gst_ov_detect, GST_TYPE_OV_BASE_INFERENCE);
GST_ELEMENT_REGISTER_DEFINE (ovdetect, "ovdetect", GST_RANK_NONE,
    GST_TYPE_OV_DETECT);

static gboolean
model_ready (GstOvBaseInference *base, GError **error)
{
  GstOvDetect *self = GST_OV_DETECT (base);
  const GstOvModelProc *mp = gst_ov_base_inference_get_model_proc (base);
  const GstOvPostproc *pp = mp && mp->postprocs->len > 0
      ? g_ptr_array_index (mp->postprocs, 0) : NULL;
  OviModel *model = gst_ov_base_inference_get_model (base);
  OviTensorView outs[8];
  int n = MIN (ovi_model_get_n_outputs (model), 8);

  for (int i = 0; i < n; i++)
    ovi_model_get_output (model, i, NULL, &outs[i]);
  self->converter = pp ? pp->converter : OV_CONVERTER_NONE;
  if (self->converter == OV_CONVERTER_NONE)
    self->converter = ov_converter_guess_detection (outs, n);
  switch (self->converter) {
    case OV_CONVERTER_DETECTION_OUTPUT:
    case OV_CONVERTER_BOXES_LABELS:
    case OV_CONVERTER_YOLO_V5:
    case OV_CONVERTER_YOLO_V8:
    case OV_CONVERTER_YOLO_V8_SEG:
    case OV_CONVERTER_YOLO_V10:
      break;
    default:
      g_set_error (error, GST_LIBRARY_ERROR, GST_LIBRARY_ERROR_SETTINGS,
          "no detection converter for this model's outputs: name one in "
          "model-proc (detection_output, boxes_labels, yolo_v5, yolo_v7, "
          "yolo_v8, yolo_v8_seg, yolo_v10, yolo_v11, yolo_v11_seg)");
      return FALSE;
  }
  /* Heads that emit raw candidates need NMS. */
  self->iou_threshold = gst_ov_detection_iou_threshold (pp, self->converter);
  GST_INFO_OBJECT (self, "converter %s, iou threshold %.2f",
      ov_converter_name (self->converter), self->iou_threshold);
  return TRUE;
}

static gboolean
decode (GstOvBaseInference *base, GstBuffer *buffer, const GstVideoInfo *info,
    const GstOvJob *job, GError **error)
{
  GstOvDetect *self = GST_OV_DETECT (base);
  return gst_ov_job_add_detections (base, job, buffer, info, self->converter,
      self->iou_threshold, error);
}

static void
gst_ov_detect_class_init (GstOvDetectClass *klass)
{
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstOvBaseInferenceClass *base_class = GST_OV_BASE_INFERENCE_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (gst_ov_detect_debug, "ovdetect", 0,
      "ov object detection");
  gst_element_class_set_static_metadata (element_class, "Object detection",
      "Filter/Analyzer/Video",
      "Detects objects with a neural network and attaches them as regions "
      "of interest", "gst-ovi developers");
  base_class->model_ready = model_ready;
  base_class->decode = decode;
  base_class->marks_detected_frames = TRUE;
}

static void
gst_ov_detect_init (GstOvDetect *self)
{
}
