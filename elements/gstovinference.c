/**
 * SECTION:element-ovinference
 * @title: ovinference
 *
 * Generic inference: attaches every output tensor of the model, unchanged,
 * for the application's own post-processing: per region of interest as a
 * region parameter (`inference-region=roi-list`), or per frame as a
 * GstOvTensorMeta. Each result is a structure named
 * `inference_layer_name:<output>` with `dims`, `precision`, `layout`,
 * `data_buffer` and `data`, as DL Streamer's gvainference writes them.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 videotestsrc num-buffers=30 ! videoconvert ! \
 *     ovinference model=model.onnx ! fakesink
 * ]|
 */
#include "gstovinference.h"

#include "gstovmeta.h"
#include "gstovresults.h"

struct _GstOvInference {
  GstOvBaseInference parent;
};

G_DEFINE_TYPE (GstOvInference, gst_ov_inference, GST_TYPE_OV_BASE_INFERENCE);
GST_ELEMENT_REGISTER_DEFINE (ovinference, "ovinference", GST_RANK_NONE,
    GST_TYPE_OV_INFERENCE);

static gboolean
decode (GstOvBaseInference *base, GstBuffer *buffer, const GstVideoInfo *info,
    const GstOvJob *job, GError **error)
{
  const char *model_name = gst_ov_base_inference_get_model_name (base);
  const char *id = gst_ov_base_inference_get_settings (base)->model_instance_id;
  int n = gst_ov_job_get_n_outputs (job);

  for (int i = 0; i < n; i++) {
    OviTensorView t;
    const char *name;
    GstStructure *s;
    if (!gst_ov_job_get_output (job, i, &name, &t, error))
      return FALSE;
    s = gst_ov_tensor_result (NULL, "inference_layer_name", name, model_name,
        &t, NULL);
    if (id)
      gst_structure_set (s, "element_id", G_TYPE_STRING, id, NULL);
    gst_ov_job_attach (job, buffer, s);
  }
  return TRUE;
}

static void
gst_ov_inference_class_init (GstOvInferenceClass *klass)
{
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstOvBaseInferenceClass *base_class = GST_OV_BASE_INFERENCE_CLASS (klass);

  gst_element_class_set_static_metadata (element_class, "Generic inference",
      "Filter/Analyzer/Video",
      "Runs a neural network and attaches its raw output tensors",
      "gst-ovi developers");
  base_class->decode = decode;
}

static void
gst_ov_inference_init (GstOvInference *self)
{
}
