/* Conv -> BatchNormalization (inference) folds into the Conv:
 *   s = scale / sqrt(var + eps)
 *   W'[o] = W[o] * s[o],  B'[o] = (B[o] - mean[o]) * s[o] + bias[o]
 * New constants are made, so weights shared with other nodes stay intact. */
#include <math.h>
#include <string.h>

#include "passes.h"

static const float *
const_f32 (const OviGraph *g, int v, int64_t n)
{
  const OviValue *val;
  if (v < 0)
    return NULL;
  val = ovi_graph_value (g, v);
  if (val->constant == NULL || val->constant->dtype != OVI_DTYPE_FLOAT32
      || ovi_tensor_numel (val->constant) != n)
    return NULL;
  return val->constant->data;
}

static gboolean
fold_one (OviGraph *g, int conv_index, int bn_index)
{
  OviNode *conv = ovi_graph_node (g, conv_index);
  OviNode *bn = ovi_graph_node (g, bn_index);
  const OviValue *wv;
  const float *w, *b, *scale, *shift, *mean, *var;
  int64_t out_ch, per_ch;
  float eps = ovi_node_attr_float (bn, "epsilon", 1e-5f);
  OviTensor *nw, *nb;
  int wi, bi;

  if (conv->n_inputs < 2 || bn->n_inputs != 5 || conv->inputs[1] < 0)
    return FALSE;
  for (int o = 1; o < bn->n_outputs; o++)
    if (bn->outputs[o] >= 0)
      return FALSE;             /* training outputs are used */
  if (ovi_node_attr_int (bn, "training_mode", 0) != 0
      || ovi_node_attr_int (bn, "spatial", 1) != 1)
    return FALSE;
  wv = ovi_graph_value (g, conv->inputs[1]);
  if (wv->constant == NULL || wv->constant->dtype != OVI_DTYPE_FLOAT32
      || wv->constant->rank < 3)
    return FALSE;
  out_ch = wv->constant->dims[0];
  per_ch = ovi_tensor_numel (wv->constant) / MAX (out_ch, 1);
  w = wv->constant->data;
  b = conv->n_inputs > 2 ? const_f32 (g, conv->inputs[2], out_ch) : NULL;
  if (conv->n_inputs > 2 && conv->inputs[2] >= 0 && b == NULL)
    return FALSE;
  scale = const_f32 (g, bn->inputs[1], out_ch);
  shift = const_f32 (g, bn->inputs[2], out_ch);
  mean = const_f32 (g, bn->inputs[3], out_ch);
  var = const_f32 (g, bn->inputs[4], out_ch);
  if (!scale || !shift || !mean || !var)
    return FALSE;

  nw = ovi_tensor_new (OVI_DTYPE_FLOAT32, wv->constant->rank,
      wv->constant->dims);
  nb = ovi_tensor_new (OVI_DTYPE_FLOAT32, 1, &out_ch);
  if (nw == NULL || nb == NULL) {
    ovi_tensor_free (nw);
    ovi_tensor_free (nb);
    return FALSE;
  }
  for (int64_t o = 0; o < out_ch; o++) {
    double s = scale[o] / sqrt ((double) var[o] + eps);
    float *dst = (float *) nw->data + o * per_ch;
    for (int64_t k = 0; k < per_ch; k++)
      dst[k] = (float) (w[o * per_ch + k] * s);
    ((float *) nb->data)[o] = (float) (((b ? b[o] : 0.0) - mean[o]) * s
        + shift[o]);
  }
  wi = ovi_graph_add_value (g, "", OVI_DTYPE_FLOAT32);
  bi = ovi_graph_add_value (g, "", OVI_DTYPE_FLOAT32);
  {
    OviValue *v = ovi_graph_value (g, wi);
    char *name = g_strdup_printf ("%s.folded_weight", conv->name);
    g_free (v->name);
    v->name = name;
    v->constant = nw;
    v->rank = nw->rank;
    memcpy (v->dims, nw->dims, sizeof (v->dims));
  }
  {
    OviValue *v = ovi_graph_value (g, bi);
    char *name = g_strdup_printf ("%s.folded_bias", conv->name);
    g_free (v->name);
    v->name = name;
    v->constant = nb;
    v->rank = 1;
    v->dims[0] = out_ch;
  }
  if (conv->n_inputs < 3) {
    conv->inputs = g_renew (int, conv->inputs, 3);
    conv->n_inputs = 3;
  }
  conv->inputs[1] = wi;
  conv->inputs[2] = bi;
  conv->outputs[0] = bn->outputs[0];
  ovi_graph_remove_node (g, bn_index);
  return TRUE;
}

int
ovi_pass_fold_batchnorm (OviGraph *g)
{
  int folded = 0;
  for (guint i = 0; i < g->nodes->len; i++) {
    OviNode *n = ovi_graph_node (g, i);
    int c;
    if (strcmp (n->op_type, "Conv") != 0 || n->domain[0] || n->n_outputs != 1
        || n->outputs[0] < 0)
      continue;
    c = ovi_graph_sole_consumer (g, n->outputs[0]);
    if (c < 0 || strcmp (ovi_graph_node (g, c)->op_type,
            "BatchNormalization") != 0
        || ovi_graph_node (g, c)->inputs[0] != n->outputs[0])
      continue;
    if (fold_one (g, i, c))
      folded++;
  }
  return folded;
}
