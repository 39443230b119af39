/**
 * SECTION:element-ovdetect
 * @title: ovdetect
 *
 * Object detection: runs a detection model on each frame (or on each
 * region of interest with `inference-region=roi-list`) and attaches one
 * #GstVideoRegionOfInterestMeta per object, with a "detection" structure
 * in DL Streamer's layout. The output decoding (SSD DetectionOutput,
 * boxes + labels, boxes + scores with SSD anchors, YOLOv5/v7 decoded or
 * raw grids, YOLOv8/v11, YOLOv10) comes from model-proc's `converter`,
 * or is recognized from the output shapes. YOLOv8/v11-seg models
 * (`yolo_v8_seg`) also give each object its mask, as ovsegment does.
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

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (gst_ov_detect_debug);
#define GST_CAT_DEFAULT gst_ov_detect_debug

struct _GstOvDetect {
  GstOvBaseInference parent;
  OvConverterKind converter;
  float iou_threshold;
  /* Anchor-based heads: parameters built from model-proc once the input
   * size is known; they point into the arrays below. */
  OvBoxesScoresParams boxes_scores;
  OvYoloGridParams yolo_grid;
  GArray *anchors;        /* floats */
  GArray *masks;          /* ints */
};

G_DEFINE_TYPE (GstOvDetect, gst_ov_detect, GST_TYPE_OV_BASE_INFERENCE);
GST_ELEMENT_REGISTER_DEFINE (ovdetect, "ovdetect", GST_RANK_NONE,
    GST_TYPE_OV_DETECT);

/* boxes_scores: explicit anchors, or generated for the model's input. */
static gboolean
setup_boxes_scores (GstOvDetect *self, const GstOvDetectPostproc *d,
    GError **error)
{
  const GstOvPreprocParams *pre =
      gst_ov_base_inference_get_preproc (GST_OV_BASE_INFERENCE (self));
  OvBoxesScoresParams *bp = &self->boxes_scores;

  ov_boxes_scores_params_init (bp);
  if (d == NULL)
    return TRUE;
  if (d->anchors) {
    if (d->anchors->len % 4 != 0) {
      g_set_error (error, GST_LIBRARY_ERROR, GST_LIBRARY_ERROR_SETTINGS,
          "boxes_scores: %u anchor values are not whole [cy, cx, h, w] "
          "boxes", d->anchors->len);
      return FALSE;
    }
    self->anchors = d->anchors ? g_array_copy (d->anchors) : NULL;
  } else if (d->has_generator) {
    self->anchors = g_array_new (FALSE, FALSE, sizeof (float));
    if (!ov_ssd_anchors_generate (&d->generator, pre->width, pre->height,
            self->anchors, error))
      return FALSE;
  }
  if (self->anchors) {
    bp->anchors = (const float *) self->anchors->data;
    bp->n_anchors = (int) (self->anchors->len / 4);
  }
  memcpy (bp->box_scale, d->box_scale, sizeof bp->box_scale);
  bp->box_xywh = d->box_xywh;
  if (d->has_activation)
    bp->activation = d->activation;
  bp->background_label_id = d->background_label_id;
  bp->classes = d->classes;
  return TRUE;
}

static gboolean
setup_yolo_grid (GstOvDetect *self, const GstOvDetectPostproc *d,
    GError **error)
{
  OvYoloGridParams *yp = &self->yolo_grid;

  *yp = (OvYoloGridParams) { 0 };
  if (d == NULL)
    return TRUE;
  if (d->anchors && d->anchors->len % 2 != 0) {
    g_set_error (error, GST_LIBRARY_ERROR, GST_LIBRARY_ERROR_SETTINGS,
        "yolo_v5: %u anchor values are not whole (width, height) pairs",
        d->anchors->len);
    return FALSE;
  }
  self->anchors = d->anchors ? g_array_copy (d->anchors) : NULL;
  self->masks = d->masks ? g_array_copy (d->masks) : NULL;
  if (self->anchors) {
    yp->anchors = (const float *) self->anchors->data;
    yp->n_anchors = (int) (self->anchors->len / 2);
  }
  if (self->masks) {
    yp->masks = (const int *) self->masks->data;
    yp->n_masks = (int) self->masks->len;
  }
  yp->classes = d->classes;
  yp->cells_x = d->cells_x;
  yp->cells_y = d->cells_y;
  yp->boxes_per_cell = d->bbox_number_on_cell;
  yp->sigmoid = d->output_sigmoid_activation;
  /* Class scores take the outputs' sigmoid unless told otherwise
   * (do_cls_softmax or score_activation). */
  yp->class_activation = d->has_activation ? d->activation
      : d->output_sigmoid_activation ? OV_SCORE_SIGMOID : OV_SCORE_NONE;
  return TRUE;
}

static void
clear_params (GstOvDetect *self)
{
  g_clear_pointer (&self->anchors, g_array_unref);
  g_clear_pointer (&self->masks, g_array_unref);
  ov_boxes_scores_params_init (&self->boxes_scores);
  self->yolo_grid = (OvYoloGridParams) { 0 };
}

static void
fill_params (GstOvDetect *self, OvDetectParams *params)
{
  gst_ov_detect_params_init (GST_OV_BASE_INFERENCE (self), params,
      self->iou_threshold);
  params->boxes_scores = &self->boxes_scores;
  params->yolo_grid = &self->yolo_grid;
}

static gboolean
model_ready (GstOvBaseInference *base, GError **error)
{
  GstOvDetect *self = GST_OV_DETECT (base);
  const GstOvModelProc *mp = gst_ov_base_inference_get_model_proc (base);
  const GstOvPostproc *pp = mp && mp->postprocs->len > 0
      ? g_ptr_array_index (mp->postprocs, 0) : NULL;
  OviModel *model = gst_ov_base_inference_get_model (base);
  const GstOvDetectPostproc *d = pp ? &pp->detect : NULL;
  OviTensorView outs[8];
  OvDetectParams params;
  int n = MIN (ovi_model_get_n_outputs (model), 8);

  for (int i = 0; i < n; i++)
    ovi_model_get_output (model, i, NULL, &outs[i]);
  clear_params (self);
  self->converter = pp ? pp->converter : OV_CONVERTER_NONE;
  /* SSD anchor parameters without a converter name: two outputs that are
   * not grids can only be boxes and scores. */
  if (self->converter == OV_CONVERTER_NONE && d
      && (d->has_generator || d->anchors) && n == 2
      && !ov_converter_is_yolo_grid (outs, n))
    self->converter = OV_CONVERTER_BOXES_SCORES;
  if (self->converter == OV_CONVERTER_NONE)
    self->converter = ov_converter_guess_detection (outs, n);
  switch (self->converter) {
    case OV_CONVERTER_DETECTION_OUTPUT:
    case OV_CONVERTER_BOXES_LABELS:
    case OV_CONVERTER_YOLO_V8:
    case OV_CONVERTER_YOLO_V8_SEG:
    case OV_CONVERTER_YOLO_V10:
      break;
    case OV_CONVERTER_BOXES_SCORES:
      if (!setup_boxes_scores (self, d, error))
        return FALSE;
      break;
    case OV_CONVERTER_YOLO_V5:
      if (!setup_yolo_grid (self, d, error))
        return FALSE;
      break;
    default:
      g_set_error (error, GST_LIBRARY_ERROR, GST_LIBRARY_ERROR_SETTINGS,
          "no detection converter for this model's outputs: name one in "
          "model-proc (detection_output, boxes_labels, boxes_scores, "
          "yolo_v5, yolo_v7, yolo_v8, yolo_v8_seg, yolo_v10, yolo_v11, "
          "yolo_v11_seg)");
      return FALSE;
  }
  /* Heads that emit raw candidates need NMS. */
  self->iou_threshold = gst_ov_detection_iou_threshold (pp, self->converter,
      self->anchors != NULL);
  /* Anchors that do not fit the outputs fail here, not on every frame. */
  fill_params (self, &params);
  if (!ov_converter_check_detect (self->converter, outs, n, &params, error))
    return FALSE;
  GST_INFO_OBJECT (self, "converter %s, iou threshold %.2f",
      ov_converter_name (self->converter), self->iou_threshold);
  return TRUE;
}

static gboolean
decode (GstOvBaseInference *base, GstBuffer *buffer, const GstVideoInfo *info,
    const GstOvJob *job, GError **error)
{
  GstOvDetect *self = GST_OV_DETECT (base);
  OvDetectParams params;

  fill_params (self, &params);
  return gst_ov_job_add_detections (base, job, buffer, info, self->converter,
      &params, error);
}

static void
gst_ov_detect_finalize (GObject *object)
{
  clear_params (GST_OV_DETECT (object));
  G_OBJECT_CLASS (gst_ov_detect_parent_class)->finalize (object);
}

static void
gst_ov_detect_class_init (GstOvDetectClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstOvBaseInferenceClass *base_class = GST_OV_BASE_INFERENCE_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (gst_ov_detect_debug, "ovdetect", 0,
      "ov object detection");
  gst_element_class_set_static_metadata (element_class, "Object detection",
      "Filter/Analyzer/Video",
      "Detects objects with a neural network and attaches them as regions "
      "of interest", "gst-ovi developers");
  gobject_class->finalize = gst_ov_detect_finalize;
  base_class->model_ready = model_ready;
  base_class->decode = decode;
  base_class->marks_detected_frames = TRUE;
}

static void
gst_ov_detect_init (GstOvDetect *self)
{
  clear_params (self);
}
