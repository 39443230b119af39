/* Trees of same-shape Adds become one n-ary Sum, and the activation that
 * follows a Sum or an Add becomes its post-op. Dense blocks (face-api's
 * landmark and expression nets, DenseNets) end each layer with
 * relu (a + (b + (c + d))): three Adds and a Relu, each a pass over the
 * tensor, become one pass that reads the four inputs and writes once.
 * The Sum adds its inputs left to right, in the order of the tree's
 * leaves; its result differs from the tree's by float rounding only. */
#include <string.h>

#include "passes.h"

/* An Add or Sum of float inputs, all of its output's shape, without a
 * fused activation. */
static gboolean
summable (const OviGraph *g, const OviNode *n)
{
  const OviValue *y;
  if ((strcmp (n->op_type, "Add") != 0 && strcmp (n->op_type, "Sum") != 0)
      || n->domain[0] || n->n_outputs != 1 || n->outputs[0] < 0
      || n->n_inputs < 1 || ovi_node_attr (n, OVI_ATTR_ACTIVATION)
      || !ovi_graph_is_float_static (g, n->outputs[0]))
    return FALSE;
  y = ovi_graph_value (g, n->outputs[0]);
  for (int k = 0; k < n->n_inputs; k++) {
    const OviValue *x;
    if (n->inputs[k] < 0 || !ovi_graph_is_float_static (g, n->inputs[k]))
      return FALSE;
    x = ovi_graph_value (g, n->inputs[k]);
    if (!ovi_shape_equal (x->rank, x->dims, y->rank, y->dims))
      return FALSE;
  }
  return TRUE;
}

/* An Add renamed Sum, the n-ary form that more inputs or a post-op
 * make it. */
static void
make_sum (OviNode *n)
{
  if (strcmp (n->op_type, "Sum") != 0) {
    g_free (n->op_type);
    n->op_type = g_strdup ("Sum");
  }
}

/* Replaces input k of node i by the inputs of node p, which produces it
 * for node i alone; removes p. Returns i's new index. */
static int
absorb (OviGraph *g, int i, int k, int p)
{
  OviNode *n = ovi_graph_node (g, i);
  const OviNode *pn = ovi_graph_node (g, p);
  int m = n->n_inputs - 1 + pn->n_inputs, *in = g_new (int, m), j = 0;

  for (int a = 0; a < k; a++)
    in[j++] = n->inputs[a];
  for (int a = 0; a < pn->n_inputs; a++)
    in[j++] = pn->inputs[a];
  for (int a = k + 1; a < n->n_inputs; a++)
    in[j++] = n->inputs[a];
  g_free (n->inputs);
  n->inputs = in;
  n->n_inputs = m;
  make_sum (n);
  ovi_graph_remove_node (g, p);
  return p < i ? i - 1 : i;
}

int
ovi_pass_fuse_sums (OviGraph *g)
{
  int fused = 0;

  /* In order: a node's producers are merged already when its turn
   * comes, so each tree is gathered into its root. */
  for (int i = 0; i < (int) g->nodes->len; i++) {
    OviNode *n = ovi_graph_node (g, i);
    gboolean again = summable (g, n);
    int c;

    while (again) {
      again = FALSE;
      n = ovi_graph_node (g, i);
      for (int k = 0; k < n->n_inputs; k++) {
        int p = ovi_graph_producer (g, n->inputs[k]);
        if (p >= 0 && summable (g, ovi_graph_node (g, p))
            && ovi_graph_sole_consumer (g, n->inputs[k]) == i) {
          i = absorb (g, i, k, p);
          fused++;
          again = TRUE;
          break;
        }
      }
    }
    n = ovi_graph_node (g, i);
    if (!summable (g, n))
      continue;
    c = ovi_graph_sole_consumer (g, n->outputs[0]);
    if (c >= 0 && ovi_pass_fuse_activation (g, n, c)) {
      make_sum (n);
      fused++;
    }
  }
  return fused;
}
