#include "gstovresults.h"

#include "gstovmeta.h"

#include <string.h>

int
gst_ov_find_output (const char *const *names, int n, const char *layer,
    int fallback)
{
  if (layer == NULL || strcmp (layer, "ANY") == 0)
    return fallback < n ? fallback : -1;
  for (int i = 0; i < n; i++)
    if (names[i] && strcmp (names[i], layer) == 0)
      return i;
  return -1;
}

static GstOvPrecision
precision_of (OviDType t)
{
  switch (t) {
    case OVI_DTYPE_FLOAT32: return GST_OV_PRECISION_FP32;
    case OVI_DTYPE_FLOAT16: return GST_OV_PRECISION_FP16;
    case OVI_DTYPE_UINT8: return GST_OV_PRECISION_U8;
    case OVI_DTYPE_INT8: return GST_OV_PRECISION_I8;
    case OVI_DTYPE_INT32: return GST_OV_PRECISION_I32;
    case OVI_DTYPE_INT64: return GST_OV_PRECISION_I64;
    default: return GST_OV_PRECISION_UNSPECIFIED;
  }
}

GstStructure *
gst_ov_tensor_result (const char *name, const char *prefix, const char *layer,
    const char *model_name, const OviTensorView *t, const char *format)
{
  gsize count = 1;
  GstOvLayout layout = GST_OV_LAYOUT_ANY;
  char *own = name ? NULL : g_strdup_printf ("%s:%s", prefix, layer);
  GstStructure *s;

  for (int d = 0; d < t->rank; d++)
    count *= (gsize) t->dims[d];
  if (t->rank == 2)
    layout = GST_OV_LAYOUT_NC;
  else if (t->rank == 4)
    layout = GST_OV_LAYOUT_NCHW;
  s = gst_ov_tensor_structure_new (name ? name : own, layer, model_name,
      precision_of (t->dtype), layout, t->dims, t->rank, t->data,
      count * ovi_dtype_size (t->dtype), format);
  g_free (own);
  return s;
}

GstStructure *
gst_ov_classification_result (const GstOvPostproc *pp,
    const char *const *labels, const char *layer, const char *model_name,
    const OviTensorView *t, GError **error)
{
  OvConverterKind kind = pp ? pp->converter : OV_CONVERTER_LABEL;
  const char *attr = pp && pp->attribute_name ? pp->attribute_name : NULL;
  char *own = attr ? NULL : g_strdup_printf ("classification_layer_name:%s",
      layer);
  GstStructure *s = NULL;

  if (pp && pp->labels)
    labels = (const char *const *) pp->labels;
  if (kind == OV_CONVERTER_LABEL) {
    int id;
    float conf;
    const char *label = NULL;
    if (ov_converter_label (t, pp ? pp->method : OV_LABEL_MAX, &id, &conf,
            error)) {
      for (int i = 0; labels && labels[i]; i++)
        if (i == id)
          label = labels[i];
      if (label == NULL && labels) {
        g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE,
            "output '%s': class %d has no label", layer, id);
      } else {
        char *fallback = g_strdup_printf ("%d", id);
        s = gst_ov_attribute_new (attr ? attr : own, label ? label : fallback,
            id, conf, model_name, layer);
        g_free (fallback);
      }
    }
  } else if (kind == OV_CONVERTER_TEXT) {
    if (t->dtype != OVI_DTYPE_FLOAT32 || t->data == NULL) {
      g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE,
          "output '%s': the text converter needs a float value", layer);
    } else {
      double v = ((const float *) t->data)[0] * (pp ? pp->text_scale : 1.0);
      char *text = g_strdup_printf ("%.*f", pp ? pp->text_precision : 0, v);
      s = gst_ov_attribute_new (attr ? attr : own, text, -1, 1.0, model_name,
          layer);
      g_free (text);
    }
  } else {
    s = gst_ov_tensor_result (attr, "classification_layer_name", layer,
        model_name, t, "raw");
  }
  g_free (own);
  return s;
}
