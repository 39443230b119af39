/* A 1x1 convolution and the depthwise convolution after it, both in the
 * CPU's blocked layout, become one node (OVI_OP_POINTWISE_DEPTHWISE) that
 * computes a band of the 1x1's output rows and the depthwise output rows
 * that band makes, band after band (devices/cpu/op-pointwise-depthwise.c).
 * The 1x1's output is the largest tensor of a MobileNet block (expanded
 * channels, before the stride): it is then never stored whole, nor read
 * back from memory. ssd_mobilenetv1's 32 -> 64 channels at 256x256 is
 * 16 MiB of the request's arena. OVI_POINTWISE_DEPTHWISE=0 in the
 * environment leaves the pairs apart, to compare. */
#include <string.h>

#include "passes.h"

static gboolean
blocked_conv_of_kind (const OviGraph *g, const OviNode *n,
    OviBlockedConv kind)
{
  if (strcmp (n->op_type, "Conv") != 0 || n->domain[0]
      || n->n_inputs < 2 || n->n_inputs > 3 || n->n_outputs != 1
      || n->inputs[0] < 0 || n->inputs[1] < 0 || n->outputs[0] < 0
      || (n->n_inputs == 3 && n->inputs[2] >= 0
          && ovi_graph_value (g, n->inputs[2])->constant == NULL)
      || ovi_node_attr_int (n, OVI_ATTR_BLOCKED, 0) == 0
      || ovi_node_attr_int (n, OVI_ATTR_SUM, 0) != 0
      || ovi_graph_value (g, n->inputs[1])->constant == NULL)
    return FALSE;
  return ovi_blocked_conv_shape (n, ovi_graph_value (g, n->inputs[0]),
      ovi_graph_value (g, n->inputs[1]),
      ovi_graph_value (g, n->outputs[0])) == kind;
}

static int
bias_of (const OviNode *n)
{
  return n->n_inputs == 3 ? n->inputs[2] : -1;
}

/* The depthwise node dw takes over the 1x1 pw: its inputs and post-ops. */
static void
merge (OviNode *dw, const OviNode *pw)
{
  int *in = g_new (int, 5);
  const OviAttr *a;

  in[0] = pw->inputs[0];
  in[1] = pw->inputs[1];
  in[2] = bias_of (pw);
  in[3] = dw->inputs[1];
  in[4] = bias_of (dw);
  g_free (dw->inputs);
  dw->inputs = in;
  dw->n_inputs = 5;
  g_free (dw->op_type);
  dw->op_type = g_strdup (OVI_OP_POINTWISE_DEPTHWISE);
  if ((a = ovi_node_attr (pw, OVI_ATTR_ACTIVATION)) != NULL)
    ovi_node_set_attr_string (dw, OVI_ATTR_PW_ACTIVATION, a->s);
  if ((a = ovi_node_attr (pw, OVI_ATTR_ALPHA)) != NULL)
    ovi_node_set_attr_float (dw, OVI_ATTR_PW_ALPHA, a->f);
  if ((a = ovi_node_attr (pw, OVI_ATTR_BETA)) != NULL)
    ovi_node_set_attr_float (dw, OVI_ATTR_PW_BETA, a->f);
}

int
ovi_pass_fuse_pointwise_depthwise (OviGraph *g)
{
  int fused = 0;

  if (g_strcmp0 (g_getenv ("OVI_POINTWISE_DEPTHWISE"), "0") == 0)
    return 0;
  for (int i = 0; i < (int) g->nodes->len; i++) {
    OviNode *pw = ovi_graph_node (g, i), *dw;
    int j;

    if (!blocked_conv_of_kind (g, pw, OVI_BLOCKED_CONV_POINTWISE))
      continue;
    j = ovi_graph_sole_consumer (g, pw->outputs[0]);
    if (j < 0)
      continue;
    dw = ovi_graph_node (g, j);
    if (dw->inputs[0] != pw->outputs[0]
        || !blocked_conv_of_kind (g, dw, OVI_BLOCKED_CONV_DEPTHWISE))
      continue;
    merge (dw, pw);
    ovi_graph_remove_node (g, i);
    i--;
    fused++;
  }
  return fused;
}
