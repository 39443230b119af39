#include "ovconverter.h"

#include <math.h>
#include <string.h>

OvLabelMethod
ov_label_method_from_name (const char *name)
{
  if (name && strcmp (name, "softmax") == 0)
    return OV_LABEL_SOFTMAX;
  if (name && (strcmp (name, "sigmoid") == 0 || strcmp (name, "multi") == 0))
    return OV_LABEL_SIGMOID;
  return OV_LABEL_MAX;
}

gboolean
ov_converter_label (const OviTensorView *t, OvLabelMethod method,
    int *label_id, float *confidence, GError **error)
{
  gsize n = 1;
  const float *x = t->data;
  int best = 0;
  int classes_dim = -1;

  for (int d = 0; d < t->rank; d++) {
    n *= (gsize) t->dims[d];
    if (t->dims[d] != 1) {
      if (classes_dim >= 0) {
        g_set_error (error, OVI_ERROR, OVI_ERROR_INVALID,
            "label converter: expected one class axis, got more");
        return FALSE;
      }
      classes_dim = d;
    }
  }
  if (t->dtype != OVI_DTYPE_FLOAT32 || n == 0) {
    g_set_error (error, OVI_ERROR, OVI_ERROR_INVALID,
        "label converter: expected float32 scores, got %s",
        ovi_dtype_name (t->dtype));
    return FALSE;
  }
  for (gsize i = 1; i < n; i++)
    if (x[i] > x[best])
      best = (int) i;
  *label_id = best;
  if (method == OV_LABEL_SOFTMAX) {
    double sum = 0.0;
    for (gsize i = 0; i < n; i++)
      sum += exp ((double) x[i] - x[best]);
    *confidence = (float) (1.0 / sum);
  } else if (method == OV_LABEL_SIGMOID) {
    *confidence = (float) (1.0 / (1.0 + exp (-(double) x[best])));
  } else {
    *confidence = x[best];
  }
  return TRUE;
}
