/* Conv -> [Add residual] -> [activation] becomes one Conv with post-ops
 * (the activation may be a gate, x * Sigmoid (x) or x * HardSigmoid (x)),
 * the oneDNN way: the output tile is finished while still in cache instead
 * of being written, read back and written again by each following op. */
#include <math.h>
#include <string.h>

#include "passes.h"

static const char *const activations[] = {
  "Relu", "Clip", "Sigmoid", "HardSwish", "HardSigmoid", "LeakyRelu",
  "Tanh", "Elu", "Gelu", NULL
};

/* Clip's bounds must be constants (attributes before opset 11). */
static gboolean
clip_bounds (const OviGraph *g, const OviNode *clip, float *lo, float *hi)
{
  *lo = -INFINITY;
  *hi = INFINITY;
  if (g->opset < 11) {
    *lo = ovi_node_attr_float (clip, "min", -INFINITY);
    *hi = ovi_node_attr_float (clip, "max", INFINITY);
    return TRUE;
  }
  for (int k = 1; k < clip->n_inputs && k < 3; k++) {
    const OviValue *v;
    if (clip->inputs[k] < 0)
      continue;
    v = ovi_graph_value (g, clip->inputs[k]);
    if (v->constant == NULL || ovi_tensor_numel (v->constant) != 1)
      return FALSE;
    *(k == 1 ? lo : hi) = (float) ovi_tensor_get_f64 (v->constant, 0);
  }
  return TRUE;
}

gboolean
ovi_pass_fuse_activation (OviGraph *g, OviNode *node, int act_index)
{
  OviNode *act = ovi_graph_node (g, act_index);
  float alpha = 0, beta = 0;
  gboolean known = FALSE;

  for (int i = 0; activations[i]; i++)
    known |= strcmp (act->op_type, activations[i]) == 0;
  if (!known || act->domain[0] || act->n_outputs != 1 || act->outputs[0] < 0)
    return FALSE;
  if (strcmp (act->op_type, "Clip") == 0) {
    if (!clip_bounds (g, act, &alpha, &beta))
      return FALSE;
  } else if (strcmp (act->op_type, "LeakyRelu") == 0) {
    alpha = ovi_node_attr_float (act, "alpha", 0.01f);
  } else if (strcmp (act->op_type, "Elu") == 0) {
    alpha = ovi_node_attr_float (act, "alpha", 1.0f);
  } else if (strcmp (act->op_type, "HardSwish") == 0) {
    alpha = 1.0f / 6;
    beta = 0.5f;
  } else if (strcmp (act->op_type, "HardSigmoid") == 0) {
    alpha = ovi_node_attr_float (act, "alpha", 0.2f);
    beta = ovi_node_attr_float (act, "beta", 0.5f);
  } else if (strcmp (act->op_type, "Gelu") == 0) {
    /* 1: tanh approximation. */
    alpha = g_strcmp0 (ovi_node_attr_string (act, "approximate", "none"),
        "tanh") == 0;
  }
  ovi_node_set_attr_string (node, OVI_ATTR_ACTIVATION, act->op_type);
  ovi_node_set_attr_float (node, OVI_ATTR_ALPHA, alpha);
  ovi_node_set_attr_float (node, OVI_ATTR_BETA, beta);
  node->outputs[0] = act->outputs[0];
  ovi_graph_remove_node (g, act_index);
  return TRUE;
}

static gboolean
fuse_sum (OviGraph *g, int conv_index, int add_index)
{
  OviNode *conv = ovi_graph_node (g, conv_index);
  OviNode *add = ovi_graph_node (g, add_index);
  const OviValue *y = ovi_graph_value (g, conv->outputs[0]);
  const OviValue *r;
  int other, p;

  if (strcmp (add->op_type, "Add") != 0 || add->domain[0]
      || add->n_inputs != 2 || add->outputs[0] < 0)
    return FALSE;
  other = add->inputs[0] == conv->outputs[0] ? add->inputs[1] : add->inputs[0];
  if (other < 0 || other == conv->outputs[0] || !ovi_graph_is_float_static (g, other))
    return FALSE;
  r = ovi_graph_value (g, other);
  /* Same shape only: a broadcast Add is a bias, not a residual. */
  if (!ovi_shape_equal (r->rank, r->dims, y->rank, y->dims))
    return FALSE;
  /* The residual must exist when the Conv runs. */
  p = ovi_graph_producer (g, other);
  if (p > conv_index)
    return FALSE;
  if (conv->n_inputs < 4) {
    int old = conv->n_inputs;
    conv->inputs = g_renew (int, conv->inputs, 4);
    for (int k = old; k < 4; k++)
      conv->inputs[k] = -1;
    conv->n_inputs = 4;
  }
  conv->inputs[3] = other;
  ovi_node_set_attr_int (conv, OVI_ATTR_SUM, 1);
  conv->outputs[0] = add->outputs[0];
  ovi_graph_remove_node (g, add_index);
  return TRUE;
}

/* x * Sigmoid (x) and x * HardSigmoid (x), as SiLU and hard swish are
 * exported (HardSwish is opset 14): the Conv's output feeds exactly a
 * gate and a Mul of the two. Fused as Swish and HardSwish. */
static gboolean
fuse_gate (OviGraph *g, int conv_index)
{
  OviNode *conv = ovi_graph_node (g, conv_index);
  int y = conv->outputs[0], uses = 0, sig = -1, mul = -1;
  const OviNode *s, *m;
  gboolean hard;

  if (ovi_graph_is_output (g, y))
    return FALSE;
  for (guint i = 0; i < g->nodes->len; i++) {
    const OviNode *n = ovi_graph_node (g, i);
    for (int k = 0; k < n->n_inputs; k++) {
      if (n->inputs[k] != y)
        continue;
      uses++;
      if ((strcmp (n->op_type, "Sigmoid") == 0
              || strcmp (n->op_type, "HardSigmoid") == 0) && !n->domain[0])
        sig = i;
      else if (strcmp (n->op_type, "Mul") == 0 && !n->domain[0])
        mul = i;
    }
  }
  if (uses != 2 || sig < 0 || mul < 0)
    return FALSE;
  s = ovi_graph_node (g, sig);
  m = ovi_graph_node (g, mul);
  if (s->n_outputs != 1 || s->outputs[0] < 0 || m->n_inputs != 2
      || m->n_outputs != 1 || m->outputs[0] < 0
      || ovi_graph_sole_consumer (g, s->outputs[0]) != mul
      || !ovi_graph_is_float_static (g, m->outputs[0]))
    return FALSE;
  hard = strcmp (s->op_type, "HardSigmoid") == 0;
  ovi_node_set_attr_string (conv, OVI_ATTR_ACTIVATION,
      hard ? "HardSwish" : "Swish");
  ovi_node_set_attr_float (conv, OVI_ATTR_ALPHA,
      hard ? ovi_node_attr_float (s, "alpha", 0.2f) : 0);
  ovi_node_set_attr_float (conv, OVI_ATTR_BETA,
      hard ? ovi_node_attr_float (s, "beta", 0.5f) : 0);
  conv->outputs[0] = m->outputs[0];
  ovi_graph_remove_node (g, MAX (sig, mul));
  ovi_graph_remove_node (g, MIN (sig, mul));
  return TRUE;
}

int
ovi_pass_fuse_postops (OviGraph *g)
{
  int fused = 0;
  for (guint i = 0; i < g->nodes->len; i++) {
    OviNode *n = ovi_graph_node (g, i);
    int c;
    if (strcmp (n->op_type, "Conv") != 0 || n->domain[0] || n->n_outputs != 1
        || n->outputs[0] < 0 || n->n_inputs > 3
        || !ovi_graph_is_float_static (g, n->outputs[0])
        || ovi_node_attr (n, OVI_ATTR_ACTIVATION))
      continue;
    c = ovi_graph_sole_consumer (g, n->outputs[0]);
    if (c >= 0 && fuse_sum (g, i, c)) {
      fused++;
      c = ovi_graph_sole_consumer (g, n->outputs[0]);
    }
    if (c >= 0 ? ovi_pass_fuse_activation (g, n, c) : fuse_gate (g, i))
      fused++;
  }
  return fused;
}
