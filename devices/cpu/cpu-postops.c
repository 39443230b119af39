#include <math.h>
#include <string.h>

#include "cpu-math.h"
#include "cpu-postops.h"
#include "passes/passes.h"

void
ovi_postops_from_node (const OviNode *node, OviPostOps *ops)
{
  ovi_postops_from_attrs (node, OVI_ATTR_ACTIVATION, OVI_ATTR_ALPHA,
      OVI_ATTR_BETA, ops);
  ops->sum = ovi_node_attr_int (node, OVI_ATTR_SUM, 0) != 0;
}

void
ovi_postops_from_attrs (const OviNode *node, const char *activation,
    const char *alpha, const char *beta, OviPostOps *ops)
{
  static const struct {
    const char *name;
    OviActivation act;
  } names[] = {
    { "Relu", OVI_ACT_RELU }, { "Clip", OVI_ACT_CLIP },
    { "Sigmoid", OVI_ACT_SIGMOID }, { "HardSwish", OVI_ACT_HARDSWISH },
    { "HardSigmoid", OVI_ACT_HARDSIGMOID },
    { "LeakyRelu", OVI_ACT_LEAKYRELU }, { "Tanh", OVI_ACT_TANH },
    { "Elu", OVI_ACT_ELU }, { "Gelu", OVI_ACT_GELU },
    { "Swish", OVI_ACT_SWISH },
  };
  const char *act = ovi_node_attr_string (node, activation, NULL);
  memset (ops, 0, sizeof (*ops));
  ops->alpha = ovi_node_attr_float (node, alpha, 0);
  ops->beta = ovi_node_attr_float (node, beta, 0);
  for (guint i = 0; act && i < G_N_ELEMENTS (names); i++)
    if (strcmp (names[i].name, act) == 0)
      ops->activation = names[i].act;
}

gboolean
ovi_postops_any (const OviPostOps *ops)
{
  return ops->sum || ops->activation != OVI_ACT_NONE;
}

void
ovi_postops_apply (const OviPostOps *ops, float *y, const float *r,
    int64_t n)
{
  float a = ops->alpha, b = ops->beta;
  if (ops->sum && r)
    for (int64_t i = 0; i < n; i++)
      y[i] += r[i];
  switch (ops->activation) {
    case OVI_ACT_NONE:
      break;
    case OVI_ACT_RELU:
      ovi_vclamp_f32 (y, y, n, 0, INFINITY);
      break;
    case OVI_ACT_CLIP:
      ovi_vclamp_f32 (y, y, n, a, b);
      break;
    case OVI_ACT_SIGMOID:
      ovi_vsigmoid_f32 (y, y, n);
      break;
    case OVI_ACT_SWISH:
      ovi_vswish_f32 (y, y, n);
      break;
    case OVI_ACT_HARDSWISH:
      ovi_vhardswish_f32 (y, y, n, a, b);
      break;
    case OVI_ACT_HARDSIGMOID:
      ovi_vhardsigmoid_f32 (y, y, n, a, b);
      break;
    case OVI_ACT_LEAKYRELU:
      ovi_vleakyrelu_f32 (y, y, n, a);
      break;
    case OVI_ACT_TANH:
      ovi_vtanh_f32 (y, y, n);
      break;
    case OVI_ACT_ELU:
      for (int64_t i = 0; i < n; i++)
        y[i] = y[i] >= 0 ? y[i] : a * (expf (y[i]) - 1);
      break;
    case OVI_ACT_GELU:
      for (int64_t i = 0; i < n; i++) {
        float x = y[i];
        y[i] = a != 0 ? 0.5f * x * (1 + tanhf (0.7978845608f * (x + 0.044715f
                    * x * x * x))) : 0.5f * x * (1 + erff (x * 0.70710678f));
      }
      break;
  }
}
