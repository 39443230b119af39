/* Channel-blocked layout (nChw8c, devices/cpu/conv-blocked.h) for chains
 * of convolutions the CPU runs faster in it: 1x1 and depthwise ones, the
 * body of the MobileNet family, with their squeeze-and-excitation blocks
 * (GlobalAveragePool, and the Mul of the tensor by per-channel scales);
 * dense ones (3x3, strided), the body of ResNets, with their stems and
 * pools (MaxPool, AveragePool); and the same-shape elementwise ops
 * between them (unmarked: their kernels work on any layout both sides
 * share).
 * Such a node is marked OVI_ATTR_BLOCKED and reads (and, but for
 * GlobalAveragePool, writes) blocked tensors; a value crossing between it
 * and anything else goes through a reorder node, inserted once per value:
 * OVI_OP_TO_BLOCKED before the first blocked reader of a plain value,
 * OVI_OP_TO_PLAIN right after the producer of a blocked one that others
 * (or the graph's outputs) read. The original value stays the plain one;
 * the blocked twin is a new value of the same shape. ([N, C, 1, 1]
 * tensors are the same in both layouts: the pool's result and the scales
 * stay plain.)
 *
 * A reorder costs a pass over the tensor, so only chains of at least
 * BLOCK_MIN_CHAIN such convolutions, connected through the values they
 * pass blocked, and needing few reorders for their size, are blocked;
 * a lone one keeps the plain layout. */
#include <string.h>

#include "passes.h"

#define BLOCK_MIN_CHAIN 3
/* ... and with at most one reorder per this many convolutions (a chain
 * broken by ops that run plain pays two reorders per break). */
#define BLOCK_CONVS_PER_REORDER 2

OviBlockedConv
ovi_blocked_conv_shape (const OviNode *n, const OviValue *x,
    const OviValue *w, const OviValue *y)
{
  const int64_t *k = NULL, *s = NULL;
  int nk, ns;
  int64_t group;

  if (strcmp (n->op_type, "Conv") != 0 || n->domain[0] || n->n_inputs < 2
      || x->dtype != OVI_DTYPE_FLOAT32 || x->rank != 4 || w->rank != 4
      || y->rank != 4 || x->dynamic || y->dynamic || y->dims[1] % 8 != 0
      || x->dims[1] <= 0 || y->dims[1] <= 0)
    return OVI_BLOCKED_CONV_NONE;
  group = ovi_node_attr_int (n, "group", 1);
  if (group == 1) {
    /* 1x1, stride 1, no padding: the output is the input's size */
    nk = ovi_node_attr_ints (n, "kernel_shape", &k);
    ns = ovi_node_attr_ints (n, "strides", &s);
    if (x->dims[1] % 8 == 0 && w->dims[2] == 1 && w->dims[3] == 1
        && (nk < 0 || (nk == 2 && k[0] == 1 && k[1] == 1))
        && (ns < 0 || (ns == 2 && s[0] == 1 && s[1] == 1))
        && y->dims[2] == x->dims[2] && y->dims[3] == x->dims[3])
      return OVI_BLOCKED_CONV_POINTWISE;
    /* any other kernel, stride or padding; OVI_BLOCKED_DENSE=0 in the
     * environment leaves these plain, to compare */
    if (x->dims[1] % 8 == 0)
      return g_strcmp0 (g_getenv ("OVI_BLOCKED_DENSE"), "0") != 0
          ? OVI_BLOCKED_CONV_DENSE : OVI_BLOCKED_CONV_NONE;
    /* a stem: few input channels, read plain */
    if (x->dims[1] * w->dims[2] * w->dims[3] <= OVI_BLOCKED_DIRECT_MAX_INPUTS)
      return OVI_BLOCKED_CONV_DIRECT;
    return OVI_BLOCKED_CONV_NONE;
  }
  /* depthwise, one output channel per input channel */
  if (x->dims[1] % 8 == 0 && group == x->dims[1] && y->dims[1] == x->dims[1]
      && w->dims[0] == x->dims[1] && w->dims[1] == 1)
    return OVI_BLOCKED_CONV_DEPTHWISE;
  return OVI_BLOCKED_CONV_NONE;
}

typedef enum {
  KIND_NONE,
  KIND_CONV,      /* X and residual blocked, output blocked */
  KIND_DIRECT,    /* X plain, residual and output blocked */
  KIND_SCALE,     /* Mul of [N, C, H, W] by [N or 1, C, 1, 1]: blocked out */
  KIND_POOL,      /* GlobalAveragePool: X blocked, [N, C, 1, 1] out */
  KIND_WINDOW,    /* MaxPool, AveragePool: X blocked, output blocked */
  KIND_ELEMENTWISE, /* same-shape elementwise: whatever layout all share */
} Kind;

/* Elementwise ops whose kernels, given inputs of the output's exact
 * shape, compute position by position over flat buffers: they run
 * unchanged on blocked tensors (and are not marked). */
static const char *const elementwise_ops[] = {
  "Add", "Sub", "Mul", "Sum", "Relu", "Sigmoid", "HardSwish", "Tanh", NULL
};

static gboolean
blockable (const OviValue *v)
{
  return v->dtype == OVI_DTYPE_FLOAT32 && v->rank == 4 && !v->dynamic
      && v->dims[1] > 0 && v->dims[1] % 8 == 0;
}

/* [N, C, 1, 1]: the same bytes in both layouts, so it never needs a
 * reorder, and a 1x1 convolution from and to such values (the squeeze
 * and excitation's) runs blocked on its own. */
static gboolean
layout_free (const OviValue *v)
{
  return blockable (v) && v->dims[2] == 1 && v->dims[3] == 1;
}

/* The operand of a per-channel Mul that is the whole tensor (0 or 1),
 * -1 when the node is no such Mul. */
static int
scale_tensor_input (const OviGraph *g, const OviNode *n)
{
  const OviValue *y, *a, *b;
  if (strcmp (n->op_type, "Mul") != 0 || n->domain[0] || n->n_inputs != 2
      || n->n_outputs != 1 || n->inputs[0] < 0 || n->inputs[1] < 0
      || n->outputs[0] < 0)
    return -1;
  y = ovi_graph_value (g, n->outputs[0]);
  for (int k = 0; k < 2; k++) {
    a = ovi_graph_value (g, n->inputs[k]);
    b = ovi_graph_value (g, n->inputs[1 - k]);
    if (blockable (a) && blockable (y) && blockable (b)
        && ovi_shape_equal (a->rank, a->dims, y->rank, y->dims)
        && y->dims[2] * y->dims[3] > 1 && b->dims[1] == y->dims[1]
        && (b->dims[0] == 1 || b->dims[0] == y->dims[0])
        && b->dims[2] == 1 && b->dims[3] == 1)
      return k;
  }
  return -1;
}

static gboolean
same_shape_elementwise (const OviGraph *g, const OviNode *n)
{
  const OviValue *y;
  gboolean known = FALSE;
  for (int i = 0; elementwise_ops[i]; i++)
    known |= strcmp (n->op_type, elementwise_ops[i]) == 0;
  if (!known || n->domain[0] || n->n_outputs != 1 || n->outputs[0] < 0
      || n->n_inputs < 1)
    return FALSE;
  y = ovi_graph_value (g, n->outputs[0]);
  if (!blockable (y) || layout_free (y))
    return FALSE;
  for (int k = 0; k < n->n_inputs; k++) {
    const OviValue *x;
    if (n->inputs[k] < 0)
      return FALSE;
    x = ovi_graph_value (g, n->inputs[k]);
    if (x->dtype != y->dtype || !ovi_shape_equal (x->rank, x->dims, y->rank,
            y->dims))
      return FALSE;
  }
  return TRUE;
}

/* A 2-D MaxPool (without indices) or AveragePool between blockable
 * values. */
static gboolean
window_pool (const OviGraph *g, const OviNode *n)
{
  if ((strcmp (n->op_type, "MaxPool") != 0
          && strcmp (n->op_type, "AveragePool") != 0) || n->domain[0]
      || n->n_inputs != 1 || n->inputs[0] < 0 || n->n_outputs < 1
      || n->outputs[0] < 0 || (n->n_outputs > 1 && n->outputs[1] >= 0))
    return FALSE;
  return blockable (ovi_graph_value (g, n->inputs[0]))
      && blockable (ovi_graph_value (g, n->outputs[0]))
      && !layout_free (ovi_graph_value (g, n->outputs[0]));
}

static Kind
node_kind (const OviGraph *g, const OviNode *n)
{
  const OviValue *w;
  if (window_pool (g, n))
    return KIND_WINDOW;
  if (strcmp (n->op_type, "GlobalAveragePool") == 0 && !n->domain[0]
      && n->n_inputs == 1 && n->n_outputs == 1 && n->inputs[0] >= 0
      && n->outputs[0] >= 0 && blockable (ovi_graph_value (g, n->inputs[0])))
    return KIND_POOL;
  if (scale_tensor_input (g, n) >= 0)
    return KIND_SCALE;
  if (same_shape_elementwise (g, n))
    return KIND_ELEMENTWISE;
  if (strcmp (n->op_type, "Conv") != 0 || n->domain[0] || n->n_inputs < 2
      || n->n_outputs != 1 || n->inputs[0] < 0 || n->inputs[1] < 0
      || n->outputs[0] < 0)
    return KIND_NONE;
  w = ovi_graph_value (g, n->inputs[1]);
  if (w->constant == NULL
      || (n->n_inputs > 2 && n->inputs[2] >= 0
          && ovi_graph_value (g, n->inputs[2])->constant == NULL))
    return KIND_NONE;
  switch (ovi_blocked_conv_shape (n, ovi_graph_value (g, n->inputs[0]), w,
          ovi_graph_value (g, n->outputs[0]))) {
    case OVI_BLOCKED_CONV_POINTWISE:
    case OVI_BLOCKED_CONV_DEPTHWISE:
    case OVI_BLOCKED_CONV_DENSE:
      return KIND_CONV;
    case OVI_BLOCKED_CONV_DIRECT:
      return KIND_DIRECT;
    default:
      return KIND_NONE;
  }
}

/* Whether a node of this kind reads its input k blocked. */
static gboolean
reads_blocked (const OviGraph *g, const OviNode *n, Kind kind, int k)
{
  switch (kind) {
    case KIND_CONV:
      return k == 0 || (k == 3 && ovi_node_attr_int (n, OVI_ATTR_SUM, 0));
    case KIND_DIRECT:
      return k == 3 && ovi_node_attr_int (n, OVI_ATTR_SUM, 0);
    case KIND_SCALE:
      return k == scale_tensor_input (g, n);
    case KIND_POOL:
    case KIND_WINDOW:
      return k == 0;
    case KIND_ELEMENTWISE:
      return TRUE;
    default:
      return FALSE;
  }
}

static int
find_root (int *parent, int i)
{
  while (parent[i] != i)
    i = parent[i] = parent[parent[i]];
  return i;
}

static int
add_twin (OviGraph *g, int v, const char *suffix)
{
  const OviValue *src = ovi_graph_value (g, v);
  char *name = g_strconcat (src->name, suffix, NULL);
  int t = ovi_graph_add_value (g, name, src->dtype);
  OviValue *tv = ovi_graph_value (g, t);
  src = ovi_graph_value (g, v);   /* the array may have moved */
  tv->rank = src->rank;
  memcpy (tv->dims, src->dims, sizeof (tv->dims));
  g_free (name);
  return t;
}

/* A reorder node from value `from` to value `to`, inserted at index at,
 * named after the plain one of the two. */
static void
insert_reorder (OviGraph *g, const char *op, int from, int to, guint at)
{
  gboolean to_blocked = strcmp (op, OVI_OP_TO_BLOCKED) == 0;
  const OviValue *plain = ovi_graph_value (g, to_blocked ? from : to);
  char *name = g_strconcat (plain->name, to_blocked ? "/to_blocked"
      : "/to_plain", NULL);
  OviNode *n = ovi_graph_add_node (g, op, name, 1, &from, 1, &to);
  g_ptr_array_remove_index (g->nodes, g->nodes->len - 1);
  g_ptr_array_insert (g->nodes, at, n);
  g_free (name);
}

/* The kinds that write blocked values, joined into chains by them. */
static gboolean
in_chain (Kind kind)
{
  return kind == KIND_CONV || kind == KIND_DIRECT || kind == KIND_SCALE
      || kind == KIND_WINDOW || kind == KIND_ELEMENTWISE;
}

/* The reorders each chain (root r of parent) would need, in reorders[r]:
 * one per value it writes that something else reads plain (or the graph
 * outputs), one per value from outside it that it reads blocked. */
static void
count_reorders (const OviGraph *g, const Kind *kind, int *parent,
    const int *producer, int *reorders)
{
  int nn = g->nodes->len, nv = g->values->len;
  gboolean *read_plain = g_new0 (gboolean, MAX (nv, 1));
  /* (value, chain) pairs already counted, as v * nn + chain */
  GHashTable *brought = g_hash_table_new_full (g_int64_hash, g_int64_equal,
      g_free, NULL);

  for (int j = 0; j < nn; j++) {
    const OviNode *n = ovi_graph_node (g, j);
    for (int k = 0; k < n->n_inputs; k++) {
      int v = n->inputs[k], p;
      gboolean blocked_read;
      if (v < 0 || layout_free (ovi_graph_value (g, v)))
        continue;
      p = producer[v];
      blocked_read = (in_chain (kind[j]) || kind[j] == KIND_POOL)
          && reads_blocked (g, n, kind[j], k);
      if (p >= 0 && in_chain (kind[p])) {
        if (!blocked_read)
          read_plain[v] = TRUE;
      } else if (blocked_read && kind[j] != KIND_POOL) {
        int r = find_root (parent, j);
        gint64 key = (gint64) v * nn + r;
        if (!g_hash_table_contains (brought, &key)) {
          g_hash_table_add (brought, g_memdup2 (&key, sizeof (key)));
          reorders[r]++;
        }
      }
    }
  }
  for (int v = 0; v < nv; v++) {
    int p = producer[v];
    if (p >= 0 && in_chain (kind[p]) && !layout_free (ovi_graph_value (g, v))
        && (read_plain[v] || ovi_graph_is_output (g, v)))
      reorders[find_root (parent, p)]++;
  }
  g_hash_table_destroy (brought);
  g_free (read_plain);
}

int
ovi_pass_block_layout (OviGraph *g)
{
  int nn = g->nodes->len, nv = g->values->len, changed = 0;
  Kind *kind = g_new0 (Kind, MAX (nn, 1));
  int *parent = g_new (int, MAX (nn, 1)), *convs = g_new0 (int, MAX (nn, 1));
  int *reorders = g_new0 (int, MAX (nn, 1));
  int *producer = g_new (int, MAX (nv, 1));
  int *twin = g_new (int, MAX (nv, 1));
  gboolean *accepted = g_new0 (gboolean, MAX (nn, 1));
  GPtrArray *order = g_ptr_array_new ();

  for (int v = 0; v < nv; v++) {
    producer[v] = -1;
    twin[v] = -1;
  }
  for (int i = 0; i < nn; i++) {
    const OviNode *n = ovi_graph_node (g, i);
    g_ptr_array_add (order, (gpointer) n);
    parent[i] = i;
    kind[i] = node_kind (g, n);
    for (int o = 0; o < n->n_outputs; o++)
      if (n->outputs[o] >= 0)
        producer[n->outputs[o]] = i;
  }
  /* chains: convolutions, scales, window pools and elementwise ops
   * joined through the values they pass blocked, accepted by their number
   * of convolutions; a global pool when what it reads is blocked anyway */
  for (int i = 0; i < nn; i++) {
    const OviNode *n = ovi_graph_node (g, i);
    if (!in_chain (kind[i]))
      continue;
    for (int k = 0; k < n->n_inputs; k++) {
      int v = n->inputs[k], p;
      if (v < 0 || !reads_blocked (g, n, kind[i], k) || (p = producer[v]) < 0
          || !in_chain (kind[p]))
        continue;
      parent[find_root (parent, p)] = find_root (parent, i);
    }
  }
  for (int i = 0; i < nn; i++)
    if (kind[i] == KIND_CONV || kind[i] == KIND_DIRECT)
      convs[find_root (parent, i)]++;
  count_reorders (g, kind, parent, producer, reorders);
  for (int i = 0; i < nn; i++) {
    const OviNode *n = ovi_graph_node (g, i);
    int r = find_root (parent, i);
    accepted[i] = in_chain (kind[i]) && convs[r] >= BLOCK_MIN_CHAIN
        && reorders[r] * BLOCK_CONVS_PER_REORDER <= convs[r];
    if (kind[i] == KIND_CONV
        && layout_free (ovi_graph_value (g, n->inputs[0]))
        && layout_free (ovi_graph_value (g, n->outputs[0])))
      accepted[i] = TRUE;
  }
  for (int i = 0; i < nn; i++) {
    const OviNode *n = ovi_graph_node (g, i);
    int p = kind[i] == KIND_POOL ? producer[n->inputs[0]] : -1;
    if (p >= 0 && accepted[p])
      accepted[i] = TRUE;
  }

  /* Rewire, walking the original nodes in order. */
  for (int i = 0; i < nn; i++) {
    OviNode *n = g_ptr_array_index (order, i);
    gboolean plain_readers;
    guint at;
    int v;
    if (!accepted[i])
      continue;
    for (at = 0; g_ptr_array_index (g->nodes, at) != n; at++)
      ;
    /* inputs: the blocked twin, made here when the producer is plain */
    for (int k = 0; k < n->n_inputs; k++) {
      v = n->inputs[k];
      if (v < 0 || !reads_blocked (g, n, kind[i], k)
          || layout_free (ovi_graph_value (g, v)))
        continue;
      if (twin[v] < 0) {
        twin[v] = add_twin (g, v, "/blocked");
        insert_reorder (g, OVI_OP_TO_BLOCKED, v, twin[v], at++);
        changed++;
      }
      n->inputs[k] = twin[v];
    }
    if (kind[i] != KIND_ELEMENTWISE)
      ovi_node_set_attr_int (n, OVI_ATTR_BLOCKED, 1);
    changed++;
    if (kind[i] == KIND_POOL || layout_free (ovi_graph_value (g,
                n->outputs[0])))
      continue;
    /* output: computed into its twin; a reorder back to the original
     * value when anything else reads it (the reorders inserted so far
     * read other values): an original node not accepted, or not reading
     * it blocked */
    v = n->outputs[0];
    plain_readers = ovi_graph_is_output (g, v);
    for (int j = 0; j < nn && !plain_readers; j++) {
      const OviNode *c = g_ptr_array_index (order, j);
      for (int k = 0; k < c->n_inputs; k++)
        if (c != n && c->inputs[k] == v
            && (!accepted[j] || !reads_blocked (g, c, kind[j], k)))
          plain_readers = TRUE;
    }
    twin[v] = add_twin (g, v, "/blocked");
    n->outputs[0] = twin[v];
    if (plain_readers)
      insert_reorder (g, OVI_OP_TO_PLAIN, twin[v], v, at + 1);
  }
  g_ptr_array_free (order, TRUE);
  g_free (kind);
  g_free (parent);
  g_free (convs);
  g_free (reorders);
  g_free (producer);
  g_free (twin);
  g_free (accepted);
  return changed;
}
