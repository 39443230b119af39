#include "gstovdetections.h"

#include "gstovanalytics.h"

#include "gstovmeta.h"

/* Outputs a request has at most that the detection heads look at. */
#define MAX_OUTPUTS 8

float
gst_ov_detection_iou_threshold (const GstOvPostproc *pp, OvConverterKind kind,
    gboolean anchored)
{
  if (pp && pp->iou_threshold >= 0.0)
    return (float) pp->iou_threshold;
  switch (kind) {
    case OV_CONVERTER_YOLO_V5: return 0.5f;
    case OV_CONVERTER_YOLO_V8:
    case OV_CONVERTER_YOLO_V8_SEG: return 0.4f;
    /* DL Streamer's boxes_scores decodes no anchors and runs no NMS. */
    case OV_CONVERTER_BOXES_SCORES: return anchored ? 0.4f : 0.0f;
    default: return 0.0f;
  }
}

void
gst_ov_detect_params_init (GstOvBaseInference *base, OvDetectParams *params,
    float iou_threshold)
{
  const GstOvPreprocParams *pp = gst_ov_base_inference_get_preproc (base);
  *params = (OvDetectParams) { 0 };
  params->threshold =
      (float) gst_ov_base_inference_get_settings (base)->threshold;
  params->iou_threshold = iou_threshold;
  params->input_width = pp->width;
  params->input_height = pp->height;
}

/* The mask covers the ROI exactly as placed (rounded to pixels, clipped to
 * the frame): its box is mapped back to model-input pixels, so letterbox
 * borders and the part of the box outside the frame never enter it. Its
 * resolution is the prototypes' (a 4K box costs no more than a small one);
 * consumers scale it to the box, as DL Streamer's do. */
static void
add_mask (GstVideoRegionOfInterestMeta *roi, const GstOvJob *job,
    const OviTensorView *outs, const char *const *names,
    const OvYoloSegLayout *l, const OvDetection *d,
    const GstOvPreprocParams *pp, const char *model_name)
{
  const GstOvPreprocTransform *t = &job->transform;
  double x0 = (roi->x - t->x0) / t->sx, x1 = (roi->x + roi->w - t->x0) / t->sx;
  double y0 = (roi->y - t->y0) / t->sy, y1 = (roi->y + roi->h - t->y0) / t->sy;
  gint64 dims[2];
  int w, h;
  float *mask;
  GstStructure *s;

  ov_yolo_seg_mask_size (l, pp->width, pp->height, x0, y0, x1, y1, &w, &h);
  mask = g_new (float, (gsize) w * h);
  ov_yolo_seg_mask (outs, l, d->index, pp->width, pp->height, x0, y0, x1, y1,
      w, h, mask);
  /* DL Streamer's order: width first. */
  dims[0] = w;
  dims[1] = h;
  s = gst_ov_tensor_structure_new ("mask_yolov8", names[l->protos],
      model_name, GST_OV_PRECISION_FP32, GST_OV_LAYOUT_ANY, dims, 2, mask,
      (gsize) w * h * sizeof (float), "segmentation_mask");
  gst_structure_set (s, "converter", G_TYPE_STRING,
      ov_converter_name (OV_CONVERTER_YOLO_V8_SEG), NULL);
  gst_video_region_of_interest_meta_add_param (roi, s);
  g_free (mask);
}

gboolean
gst_ov_job_add_detections (GstOvBaseInference *base, const GstOvJob *job,
    GstBuffer *buffer, const GstVideoInfo *info, OvConverterKind kind,
    const OvDetectParams *params, GError **error)
{
  const GstOvPreprocParams *pp = gst_ov_base_inference_get_preproc (base);
  const GstOvPreprocTransform *t = &job->transform;
  OviTensorView outs[MAX_OUTPUTS];
  const char *names[MAX_OUTPUTS];
  OvYoloSegLayout seg;
  GArray *dets;
  int n;
  gboolean ok;

  OvDetectParams image_params = *params;

  if (!gst_ov_job_get_outputs (job, outs, names, MAX_OUTPUTS, &n, error))
    return FALSE;
  /* A batch's DetectionOutput may list every image's boxes. */
  image_params.by_image = !gst_ov_job_output_is_per_image (job, 0);
  image_params.image_id = job->batch_index;
  dets = g_array_new (FALSE, FALSE, sizeof (OvDetection));
  ok = ov_converter_detect (kind, outs, n, &image_params, dets, error);
  /* Checked by ov_converter_detect already. */
  if (ok && kind == OV_CONVERTER_YOLO_V8_SEG)
    ov_yolo_seg_layout (outs, n, &seg, NULL);
  for (guint i = 0; ok && i < dets->len; i++) {
    const OvDetection *d = &g_array_index (dets, OvDetection, i);
    const gchar *label = gst_ov_base_inference_get_label (base, NULL,
        d->label_id);
    gchar *fallback = label ? NULL : g_strdup_printf ("%d", d->label_id);
    GstVideoRegionOfInterestMeta *roi = gst_ov_add_detection (buffer,
        GST_VIDEO_INFO_WIDTH (info), GST_VIDEO_INFO_HEIGHT (info),
        t->x0 + d->x_min * t->sx, t->y0 + d->y_min * t->sy,
        t->x0 + d->x_max * t->sx, t->y0 + d->y_max * t->sy,
        d->confidence, d->label_id, label ? label : fallback);
    /* Objects found inside a region belong to it. */
    if (roi && job->roi) {
      roi->parent_id = job->roi->id;
      gst_ov_analytics_add_child (buffer, job->roi, roi);
    }
    if (roi && gst_ov_job_get_device (job))
      gst_structure_set (gst_video_region_of_interest_meta_get_param (roi,
              "detection"), "device", G_TYPE_STRING,
          gst_ov_job_get_device (job), NULL);
    if (roi && kind == OV_CONVERTER_YOLO_V8_SEG)
      add_mask (roi, job, outs, names, &seg, d, pp,
          gst_ov_base_inference_get_model_name (base));
    g_free (fallback);
  }
  g_array_unref (dets);
  return ok;
}
