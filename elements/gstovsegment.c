/**
 * SECTION:element-ovsegment
 * @title: ovsegment
 *
 * Segmentation, semantic or instance, on each frame (or each region of
 * interest with `inference-region=roi-list`). DL Streamer has no
 * segmentation element: it segments with gvaclassify and the
 * `semantic_mask` converter, or gvadetect and `yolo_v8_seg`; the metadata
 * here has the same names and formats, so its consumers read it:
 *
 * - semantic (`semantic_mask`): one structure with `format`
 *   "semantic_mask", a class id per pixel (U8, or I32 beyond 256 classes),
 *   dims [1, H, W] at the frame's (or region's) size, the model's output
 *   resized with the pre-processing undone; on the frame as a
 *   GstOvTensorMeta, or on the region. `add-probabilities` adds the
 *   per-class probabilities at the output's resolution.
 * - instance (`yolo_v8_seg`, `yolo_v11_seg`): one region of interest per
 *   object, as ovdetect gives, with a "mask_yolov8" structure (`format`
 *   "segmentation_mask", FP32 probabilities, dims [width, height]) covering
 *   exactly the object's box.
 *
 * The converter comes from model-proc's `converter`, or is recognized
 * from the output shapes.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 videotestsrc num-buffers=30 ! videoconvert ! \
 *     ovsegment model=segmenter.onnx model-proc=segmenter.json ! \
 *     ovmetaconvert add-tensor-data=true ! fakesink
 * ]|
 */
#include "gstovsegment.h"

#include <math.h>

#include "gstovdetections.h"
#include "gstovmeta.h"
#include "gstovresults.h"

GST_DEBUG_CATEGORY_STATIC (gst_ov_segment_debug);
#define GST_CAT_DEFAULT gst_ov_segment_debug

#define DEFAULT_ADD_PROBABILITIES FALSE
/* Outputs looked at, as ovdetect. */
#define MAX_OUTPUTS 8
/* Classes a byte holds; more take 32-bit ids. */
#define MAX_BYTE_CLASSES 256

enum {
  PROP_0,
  PROP_ADD_PROBABILITIES,
};

struct _GstOvSegment {
  GstOvBaseInference parent;
  gboolean add_probabilities;

  /* Set in model_ready (streaming stopped), read-only while streaming. */
  OvConverterKind converter;
  float iou_threshold;          /* instance */
  int output;                   /* semantic: the output decoded */
  OvLabelMethod method;         /* semantic: what the scores are */
  const gchar *attribute;       /* semantic: model-proc's attribute_name */
};

G_DEFINE_TYPE (GstOvSegment, gst_ov_segment, GST_TYPE_OV_BASE_INFERENCE);
GST_ELEMENT_REGISTER_DEFINE (ovsegment, "ovsegment", GST_RANK_NONE,
    GST_TYPE_OV_SEGMENT);

static gboolean
dims_known (const OviTensorView *t)
{
  for (int d = 0; d < t->rank; d++)
    if (t->dims[d] <= 0)
      return FALSE;
  return TRUE;
}

static gboolean
model_ready (GstOvBaseInference *base, GError **error)
{
  GstOvSegment *self = GST_OV_SEGMENT (base);
  const GstOvModelProc *mp = gst_ov_base_inference_get_model_proc (base);
  const GstOvPostproc *pp = mp && mp->postprocs->len > 0
      ? g_ptr_array_index (mp->postprocs, 0) : NULL;
  OviModel *model = gst_ov_base_inference_get_model (base);
  OviTensorView outs[MAX_OUTPUTS];
  const char *names[MAX_OUTPUTS];
  int n = MIN (ovi_model_get_n_outputs (model), MAX_OUTPUTS);
  OvSemanticShape shape;
  OvYoloSegLayout seg;

  for (int i = 0; i < n; i++)
    ovi_model_get_output (model, i, &names[i], &outs[i]);
  self->output = gst_ov_find_output (names, n, pp ? pp->layer_name : NULL, 0);
  if (self->output < 0) {
    g_set_error (error, GST_LIBRARY_ERROR, GST_LIBRARY_ERROR_SETTINGS,
        "model-proc names output '%s', which the model does not have",
        pp && pp->layer_name ? pp->layer_name : "(the first)");
    return FALSE;
  }
  self->converter = pp ? pp->converter : OV_CONVERTER_NONE;
  if (self->converter == OV_CONVERTER_NONE)
    self->converter = ov_converter_guess_segmentation (outs, n, self->output);
  self->method = pp ? pp->method : OV_LABEL_MAX;
  self->attribute = pp ? pp->attribute_name : NULL;
  switch (self->converter) {
    case OV_CONVERTER_SEMANTIC_MASK:
      /* Dynamic sizes are checked on each result instead. */
      if (dims_known (&outs[self->output])
          && !ov_semantic_shape (&outs[self->output], &shape, error))
        return FALSE;
      break;
    case OV_CONVERTER_YOLO_V8_SEG:
      if (!ov_yolo_seg_layout (outs, n, &seg, error))
        return FALSE;
      self->iou_threshold = gst_ov_detection_iou_threshold (pp,
          self->converter, FALSE);
      break;
    default:
      g_set_error (error, GST_LIBRARY_ERROR, GST_LIBRARY_ERROR_SETTINGS,
          "no segmentation converter for this model's outputs: name one in "
          "model-proc (semantic_mask, yolo_v8_seg, yolo_v11_seg)");
      return FALSE;
  }
  GST_INFO_OBJECT (self, "converter %s", ov_converter_name (self->converter));
  return TRUE;
}

/* Destination pixel i of n spanning frame pixels start .. start + length,
 * read from an output of out_size pixels along an axis where the model
 * input has in_size and frame = t0 + input * ts (the pre-processing's
 * transform, letterbox included). */
static OvAxisMap
axis_map (int start, int length, int n, double t0, double ts, int in_size,
    int out_size)
{
  double k = (double) out_size / in_size / ts;  /* output px per frame px */
  OvAxisMap m = { (start - t0) * k, (double) length / n * k };
  return m;
}

/* Probabilities are kept at the output's resolution: the region's extent
 * in output pixels, never more than the output or the region. */
static int
probability_size (int length, double ts, int in_size, int out_size)
{
  double v = ceil (length * ((double) out_size / in_size / ts) - 1e-6);
  return (int) CLAMP (v, 1.0, (double) MIN (out_size, length));
}

static void
add_probabilities (GstOvSegment *self, GstBuffer *buffer, const GstOvJob *job,
    const OviTensorView *t, const OvSemanticShape *shape, const char *layer,
    const char *model_name)
{
  const GstOvPreprocParams *pp = gst_ov_base_inference_get_preproc (
      GST_OV_BASE_INFERENCE (self));
  const GstOvPreprocTransform *tf = &job->transform;
  const GstVideoRectangle *r = &job->region;
  int w = probability_size (r->w, tf->sx, pp->width, shape->width);
  int h = probability_size (r->h, tf->sy, pp->height, shape->height);
  OvAxisMap mx = axis_map (r->x, r->w, w, tf->x0, tf->sx, pp->width,
      shape->width);
  OvAxisMap my = axis_map (r->y, r->h, h, tf->y0, tf->sy, pp->height,
      shape->height);
  gsize count = (gsize) shape->n_classes * w * h;
  float *probs = g_new (float, count);
  gint64 dims[3] = { shape->n_classes, h, w };
  GstStructure *s;

  ov_semantic_probabilities (t, shape, self->method, &mx, &my, w, h, probs);
  s = gst_ov_tensor_structure_new ("semantic_probabilities", layer,
      model_name, GST_OV_PRECISION_FP32, GST_OV_LAYOUT_ANY, dims, 3, probs,
      count * sizeof (float), "semantic_probabilities");
  gst_structure_set (s, "tensor_id", G_TYPE_INT, 0, "converter",
      G_TYPE_STRING, ov_converter_name (OV_CONVERTER_SEMANTIC_MASK), NULL);
  gst_ov_job_attach (job, buffer, s);
  g_free (probs);
}

static gboolean
decode_semantic (GstOvSegment *self, GstBuffer *buffer, const GstOvJob *job,
    GError **error)
{
  GstOvBaseInference *base = GST_OV_BASE_INFERENCE (self);
  const GstOvPreprocParams *pp = gst_ov_base_inference_get_preproc (base);
  const GstOvPreprocTransform *tf = &job->transform;
  const GstVideoRectangle *r = &job->region;
  const char *model_name = gst_ov_base_inference_get_model_name (base);
  OviTensorView outs[MAX_OUTPUTS];
  const char *names[MAX_OUTPUTS];
  OvSemanticShape shape;
  OvAxisMap mx, my;
  gint32 *ids, max_id;
  gboolean wide;
  gsize size;
  void *mask;
  gint64 dims[3];
  GstStructure *s;
  int n;

  if (!gst_ov_job_get_outputs (job, outs, names, MAX_OUTPUTS, &n, error))
    return FALSE;
  if (self->output >= n) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED,
        "the inference has no output %d", self->output);
    return FALSE;
  }
  if (!ov_semantic_shape (&outs[self->output], &shape, error))
    return FALSE;
  ids = ov_semantic_classes (&outs[self->output], &shape, self->method,
      (float) gst_ov_base_inference_get_settings (base)->threshold, &max_id);
  /* Scores fix the width by their class count, so every frame of a stream
   * has the same; class-id outputs can only say per frame. */
  wide = shape.n_classes > 0 ? shape.n_classes > MAX_BYTE_CLASSES
      : max_id >= MAX_BYTE_CLASSES;
  /* The mask covers the region pixel for pixel: each pixel takes the
   * class of the output pixel it falls in (nearest), so letterbox
   * borders, which no frame pixel maps to, never appear. */
  mx = axis_map (r->x, r->w, r->w, tf->x0, tf->sx, pp->width, shape.width);
  my = axis_map (r->y, r->h, r->h, tf->y0, tf->sy, pp->height, shape.height);
  size = (gsize) r->w * r->h * (wide ? sizeof (gint32) : 1);
  mask = g_malloc (size);
  ov_semantic_resample (ids, &shape, &mx, &my, r->w, r->h, wide, mask);
  g_free (ids);
  dims[0] = 1;
  dims[1] = r->h;
  dims[2] = r->w;
  s = gst_ov_tensor_structure_new (self->attribute ? self->attribute
      : "semantic_mask", names[self->output], model_name,
      wide ? GST_OV_PRECISION_I32 : GST_OV_PRECISION_U8, GST_OV_LAYOUT_ANY,
      dims, 3, mask, size, "semantic_mask");
  gst_structure_set (s, "tensor_id", G_TYPE_INT, 0, "converter",
      G_TYPE_STRING, ov_converter_name (OV_CONVERTER_SEMANTIC_MASK), NULL);
  g_free (mask);
  gst_ov_job_attach (job, buffer, s);
  if (self->add_probabilities && shape.n_classes > 0)
    add_probabilities (self, buffer, job, &outs[self->output], &shape,
        names[self->output], model_name);
  return TRUE;
}

static gboolean
decode (GstOvBaseInference *base, GstBuffer *buffer, const GstVideoInfo *info,
    const GstOvJob *job, GError **error)
{
  GstOvSegment *self = GST_OV_SEGMENT (base);

  if (self->converter == OV_CONVERTER_YOLO_V8_SEG) {
    OvDetectParams params;
    gst_ov_detect_params_init (base, &params, self->iou_threshold);
    return gst_ov_job_add_detections (base, job, buffer, info,
        self->converter, &params, error);
  }
  return decode_semantic (self, buffer, job, error);
}

static void
set_property (GObject *object, guint prop_id, const GValue *value,
    GParamSpec *pspec)
{
  GstOvSegment *self = GST_OV_SEGMENT (object);

  switch (prop_id) {
    case PROP_ADD_PROBABILITIES:
      GST_OBJECT_LOCK (self);
      self->add_probabilities = g_value_get_boolean (value);
      GST_OBJECT_UNLOCK (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
get_property (GObject *object, guint prop_id, GValue *value,
    GParamSpec *pspec)
{
  GstOvSegment *self = GST_OV_SEGMENT (object);

  switch (prop_id) {
    case PROP_ADD_PROBABILITIES:
      GST_OBJECT_LOCK (self);
      g_value_set_boolean (value, self->add_probabilities);
      GST_OBJECT_UNLOCK (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_ov_segment_class_init (GstOvSegmentClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstOvBaseInferenceClass *base_class = GST_OV_BASE_INFERENCE_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (gst_ov_segment_debug, "ovsegment", 0,
      "ov segmentation");

  gobject_class->set_property = set_property;
  gobject_class->get_property = get_property;
  g_object_class_install_property (gobject_class, PROP_ADD_PROBABILITIES,
      g_param_spec_boolean ("add-probabilities", "Add probabilities",
          "Semantic segmentation: also attach the per-class probabilities "
          "[C, H, W] (FP32, the output's resolution, covering the frame or "
          "region like the mask) as a \"semantic_probabilities\" structure",
          DEFAULT_ADD_PROBABILITIES, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
          | GST_PARAM_MUTABLE_READY));

  gst_element_class_set_static_metadata (element_class, "Segmentation",
      "Filter/Analyzer/Video",
      "Segments frames or regions with a neural network: a class per pixel "
      "(semantic) or objects with masks (instance)", "gst-ovi developers");
  base_class->model_ready = model_ready;
  base_class->decode = decode;
}

static void
gst_ov_segment_init (GstOvSegment *self)
{
  self->add_probabilities = DEFAULT_ADD_PROBABILITIES;
}
