/**
 * SECTION:element-ovdetect
 * @title: ovdetect
 *
 * Object detection: runs a detection model on each frame (or on each
 * region of interest with `inference-region=roi-list`) and attaches one
 * #GstVideoRegionOfInterestMeta per object, with a "detection" structure
 * in DL Streamer's layout. The output decoding (SSD DetectionOutput,
 * boxes + labels, YOLOv5/v7, YOLOv8/v11, YOLOv10) comes from model-proc's
 * `converter`, or is recognized from the output shapes.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 videotestsrc num-buffers=30 ! videoconvert ! \
 *     ovdetect model=detector.onnx model-proc=detector.json threshold=0.6 ! \
 *     ovmetaconvert ! ovmetapublish file-path=out.json ! fakesink
 * ]|
 */
#include "gstovdetect.h"

#include "gstovmeta.h"

GST_DEBUG_CATEGORY_STATIC (gst_ov_detect_debug);
#define GST_CAT_DEFAULT gst_ov_detect_debug

struct _GstOvDetect {
  GstOvBaseInference parent;
  OvConverterKind converter;
  float iou_threshold;
  const gchar *const *labels;
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
    case OV_CONVERTER_YOLO_V10:
      break;
    default:
      g_set_error (error, GST_LIBRARY_ERROR, GST_LIBRARY_ERROR_SETTINGS,
          "no detection converter for this model's outputs: name one in "
          "model-proc (detection_output, boxes_labels, yolo_v5, yolo_v7, "
          "yolo_v8, yolo_v10, yolo_v11)");
      return FALSE;
  }
  /* Heads that emit raw candidates need NMS; DL Streamer's defaults. */
  if (pp && pp->iou_threshold >= 0.0)
    self->iou_threshold = (float) pp->iou_threshold;
  else if (self->converter == OV_CONVERTER_YOLO_V5)
    self->iou_threshold = 0.5f;
  else if (self->converter == OV_CONVERTER_YOLO_V8)
    self->iou_threshold = 0.4f;
  else
    self->iou_threshold = 0.0f;
  self->labels = gst_ov_base_inference_get_labels (base);
  GST_INFO_OBJECT (self, "converter %s, iou threshold %.2f",
      ov_converter_name (self->converter), self->iou_threshold);
  return TRUE;
}

static gboolean
decode (GstOvBaseInference *base, GstBuffer *buffer, const GstVideoInfo *info,
    const GstOvJob *job, GError **error)
{
  GstOvDetect *self = GST_OV_DETECT (base);
  const GstOvPreprocParams *pp = gst_ov_base_inference_get_preproc (base);
  OviTensorView outs[8];
  OvDetectParams params;
  GArray *dets;
  int n;
  gboolean ok;

  if (!gst_ov_job_get_outputs (job, outs, NULL, 8, &n)) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED,
        "the inference has no outputs");
    return FALSE;
  }
  params.threshold = (float) gst_ov_base_inference_get_settings (base)->threshold;
  params.iou_threshold = self->iou_threshold;
  params.input_width = pp->width;
  params.input_height = pp->height;
  dets = g_array_new (FALSE, FALSE, sizeof (OvDetection));
  ok = ov_converter_detect (self->converter, outs, n, &params, dets, error);
  for (guint i = 0; ok && i < dets->len; i++) {
    const OvDetection *d = &g_array_index (dets, OvDetection, i);
    const GstOvPreprocTransform *t = &job->transform;
    const gchar *label = gst_ov_base_inference_get_label (base, self->labels,
        d->label_id);
    gchar *fallback = label ? NULL : g_strdup_printf ("%d", d->label_id);
    GstVideoRegionOfInterestMeta *roi = gst_ov_add_detection (buffer,
        GST_VIDEO_INFO_WIDTH (info), GST_VIDEO_INFO_HEIGHT (info),
        t->x0 + d->x_min * t->sx, t->y0 + d->y_min * t->sy,
        t->x0 + d->x_max * t->sx, t->y0 + d->y_max * t->sy,
        d->confidence, d->label_id, label ? label : fallback);
    /* Objects found inside a region belong to it. */
    if (roi && job->roi)
      roi->parent_id = job->roi->id;
    g_free (fallback);
  }
  g_array_unref (dets);
  return ok;
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
