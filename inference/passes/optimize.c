/* The pass pipeline and the graph queries passes share. */
#include "passes.h"

int
ovi_graph_producer (const OviGraph *g, int v)
{
  for (guint i = 0; i < g->nodes->len; i++) {
    const OviNode *n = g_ptr_array_index (g->nodes, i);
    for (int o = 0; o < n->n_outputs; o++)
      if (n->outputs[o] == v)
        return i;
  }
  return -1;
}

gboolean
ovi_graph_is_float_static (const OviGraph *g, int v)
{
  const OviValue *val = ovi_graph_value (g, v);
  return val->dtype == OVI_DTYPE_FLOAT32 && !val->dynamic && val->rank >= 0;
}

int
ovi_graph_sole_consumer (const OviGraph *g, int v)
{
  int found = -1;
  if (ovi_graph_is_output (g, v))
    return -1;
  for (guint i = 0; i < g->nodes->len; i++) {
    const OviNode *n = g_ptr_array_index (g->nodes, i);
    for (int k = 0; k < n->n_inputs; k++) {
      if (n->inputs[k] != v)
        continue;
      if (found >= 0)
        return -1;
      found = i;
    }
  }
  return found;
}

gboolean
ovi_optimize (OviGraph *g, gboolean fuse, gboolean blocked, GError **error)
{
  ovi_pass_fold_batchnorm (g);
  if (fuse)
    ovi_pass_fuse_postops (g);
  if (fuse && blocked)
    ovi_pass_fuse_sums (g);
  if (fuse && blocked && g_strcmp0 (g_getenv ("OVI_BLOCKED"), "0") != 0) {
    ovi_pass_block_layout (g);
    ovi_pass_fuse_pointwise_depthwise (g);
  }
  return TRUE;
}
