/* After import: what OpenVINO's conversion took apart (compressed
 * weights, biases as separate Add layers), put back together so that the
 * graph runs like the ONNX model it came from. */
#include <string.h>

#include "ir-private.h"

static gboolean
is_op (const OviNode *n, const char *op)
{
  return strcmp (n->op_type, op) == 0 && n->domain[0] == '\0';
}

/* A constant broadcast along one axis only: its length along that axis
 * (right-aligned to `rank` dimensions, axis `axis`), or -1. */
static int64_t
along_axis (const OviTensor *t, int rank, int axis)
{
  int64_t len = 1;
  if (t->rank > rank)
    return -1;
  for (int i = 0; i < t->rank; i++) {
    int at = i + rank - t->rank;
    if (at == axis)
      len = t->dims[i];
    else if (t->dims[i] != 1)
      return -1;
  }
  return len;
}

static int
bias_vector (OviIrBuilder *builder, const OviTensor *b, int64_t len)
{
  int64_t dims[1] = { len };
  OviTensor *t = ovi_tensor_new (b->dtype, 1, dims);
  int v;
  if (t == NULL)
    return -1;
  memcpy (t->data, b->data, ovi_tensor_nbytes (t));
  v = ovi_graph_add_value (builder->graph, "", b->dtype);
  ovi_graph_value (builder->graph, v)->constant = t;
  ovi_graph_value (builder->graph, v)->rank = 1;
  ovi_graph_value (builder->graph, v)->dims[0] = len;
  {
    char *name = g_strdup_printf ("ovi_bias_%d", v);
    g_free (ovi_graph_value (builder->graph, v)->name);
    ovi_graph_value (builder->graph, v)->name = name;
  }
  return v;
}

/* Weights stored compressed (Const f16 -> Convert f32, what OpenVINO
 * writes by default) become f32 constants here, so that the fusions below
 * see them. Only exact (widening) float conversions are folded. */
static gboolean
widening (OviDType from, OviDType to)
{
  return ((from == OVI_DTYPE_FLOAT16 || from == OVI_DTYPE_BFLOAT16)
      && (to == OVI_DTYPE_FLOAT32 || to == OVI_DTYPE_FLOAT64))
      || (from == OVI_DTYPE_FLOAT32 && to == OVI_DTYPE_FLOAT64);
}

void
ovi_ir_fold_weight_casts (OviIrBuilder *builder)
{
  OviGraph *g = builder->graph;
  guint k = 0;
  for (guint i = 0; i < g->nodes->len; i++) {
    OviNode *n = ovi_graph_node (g, i);
    const OviTensor *src = NULL;
    OviDType to = (OviDType) ovi_node_attr_int (n, "to", 0);
    if (is_op (n, "Cast") && n->n_inputs == 1 && n->n_outputs == 1
        && n->inputs[0] >= 0 && n->outputs[0] >= 0)
      src = ovi_graph_value (g, n->inputs[0])->constant;
    if (src && widening (src->dtype, to)
        && (guint64) ovi_tensor_numel (src) * ovi_dtype_size (to)
        <= ovi_ir_const_budget (builder)) {
      OviValue *v = ovi_graph_value (g, n->outputs[0]);
      OviTensor *t = ovi_tensor_new (to, src->rank, src->dims);
      if (t != NULL) {
        int64_t count = ovi_tensor_numel (src);
        for (int64_t e = 0; e < count; e++)
          ovi_store_f64 (to, t->data, e, ovi_load_f64 (src->dtype, src->data,
                  e));
        builder->const_bytes += ovi_tensor_nbytes (t);
        ovi_tensor_free (v->constant);
        v->constant = t;
        v->dtype = to;
        v->rank = t->rank;
        memcpy (v->dims, t->dims, sizeof (t->dims));
        ovi_node_free (n);
        continue;
      }
    }
    g_ptr_array_index (g->nodes, k++) = n;
  }
  g_ptr_array_set_size (g->nodes, k);
}

/* Fusion: IR keeps biases as separate Add layers; folding them back into
 * Conv/ConvTranspose (and MatMul into Gemm) lets the kernels add them
 * in their epilogue, which is faster and rounds exactly as the original
 * ONNX model did. */
void
ovi_ir_fuse_biases (OviIrBuilder *builder)
{
  OviGraph *g = builder->graph;
  guint nv = g->values->len, nn = g->nodes->len;
  int *uses = g_new0 (int, nv);
  int *prod = g_new (int, nv);
  gboolean *drop = g_new0 (gboolean, MAX (nn, 1));

  for (guint v = 0; v < nv; v++)
    prod[v] = -1;
  for (guint i = 0; i < nn; i++) {
    OviNode *n = ovi_graph_node (g, i);
    for (int k = 0; k < n->n_inputs; k++)
      if (n->inputs[k] >= 0)
        uses[n->inputs[k]]++;
    for (int k = 0; k < n->n_outputs; k++)
      if (n->outputs[k] >= 0)
        prod[n->outputs[k]] = i;
  }
  for (guint i = 0; i < g->outputs->len; i++)
    uses[g_array_index (g->outputs, int, i)] += 2;

  for (guint i = 0; i < nn; i++) {
    OviNode *add = ovi_graph_node (g, i);
    if (!is_op (add, "Add") || add->n_inputs != 2 || add->n_outputs != 1)
      continue;
    for (int side = 0; side < 2; side++) {
      int a = add->inputs[side], b = add->inputs[1 - side];
      const OviValue *av, *bv;
      OviNode *p;
      if (a < 0 || b < 0 || prod[a] < 0 || uses[a] != 1 || drop[prod[a]])
        continue;
      p = ovi_graph_node (g, prod[a]);
      av = ovi_graph_value (g, a);
      bv = ovi_graph_value (g, b);
      if (bv->constant == NULL || p->n_outputs != 1 || p->n_inputs != 2
          || (av->dtype != OVI_DTYPE_UNDEFINED
              && av->dtype != bv->constant->dtype))
        continue;
      if ((is_op (p, "Conv") || is_op (p, "ConvTranspose"))
          && av->rank >= 3 && av->dims[1] > 0) {
        int bias;
        if (along_axis (bv->constant, av->rank, 1) != av->dims[1])
          continue;
        bias = bias_vector (builder, bv->constant, av->dims[1]);
        if (bias < 0)
          continue;
        p->inputs = g_renew (int, p->inputs, 3);
        p->inputs[2] = bias;
        p->n_inputs = 3;
      } else if (is_op (p, "MatMul") && p->inputs[0] >= 0
          && p->inputs[1] >= 0
          && ovi_graph_value (g, p->inputs[0])->rank == 2) {
        /* B: a 2-D constant, or the Transpose of one (transpose_b). */
        int bw = p->inputs[1], trans = 0, bias;
        const OviTensor *wt = ovi_graph_value (g, bw)->constant;
        int64_t n_cols;
        if (wt == NULL && prod[bw] >= 0) {
          OviNode *t = ovi_graph_node (g, prod[bw]);
          const int64_t *perm;
          if (is_op (t, "Transpose") && t->n_inputs == 1
              && t->inputs[0] >= 0
              && ovi_node_attr_ints (t, "perm", &perm) == 2 && perm[0] == 1
              && perm[1] == 0) {
            bw = t->inputs[0];
            wt = ovi_graph_value (g, bw)->constant;
            trans = 1;
          }
        }
        if (wt == NULL || wt->rank != 2 || bv->constant->rank > 2)
          continue;
        n_cols = trans ? wt->dims[0] : wt->dims[1];
        if (along_axis (bv->constant, 2, 1) != n_cols)
          continue;
        bias = bias_vector (builder, bv->constant, n_cols);
        if (bias < 0)
          continue;
        g_free (p->op_type);
        p->op_type = g_strdup ("Gemm");
        p->inputs = g_renew (int, p->inputs, 3);
        p->inputs[1] = bw;
        p->inputs[2] = bias;
        p->n_inputs = 3;
        if (trans)
          ovi_node_set_attr_int (p, "transB", 1);
      } else {
        continue;
      }
      p->outputs[0] = add->outputs[0];
      drop[i] = TRUE;
      break;
    }
  }
  {
    guint k = 0;
    for (guint i = 0; i < nn; i++) {
      OviNode *n = ovi_graph_node (g, i);
      if (drop[i])
        ovi_node_free (n);
      else
        g_ptr_array_index (g->nodes, k++) = n;
    }
    g_ptr_array_set_size (g->nodes, k);
  }
  g_free (drop);
  g_free (prod);
  g_free (uses);
}
