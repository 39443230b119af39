/* What the ONNX -> IR mappings share besides writing layers: reading the
 * node (inputs, constant inputs, int lists), errors naming it, and the
 * dispatch of a node to its mapping through the family tables. */
#include <string.h>

#include "ir-private.h"

static const OviIrExportOp *const families[] = {
  ovi_ir_export_elementwise,
  ovi_ir_export_shape,
  ovi_ir_export_index,
  ovi_ir_export_conv_pool,
  ovi_ir_export_norm_reduce,
  ovi_ir_export_misc,
};

static const OviIrExportOp *
find_op (const char *op_type)
{
  for (guint f = 0; f < G_N_ELEMENTS (families); f++)
    for (const OviIrExportOp *op = families[f]; op->op_type; op++)
      if (strcmp (op->op_type, op_type) == 0)
        return op;
  return NULL;
}

gboolean
ovi_ir_node_fail (OviIrWriter *w, const OviNode *n, GError **error, int code,
    const char *format, ...)
{
  va_list args;
  char *msg;
  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, OVI_ERROR, code, "%s: node '%s' (%s): %s",
      w->g->source ? w->g->source : "model", n->name, n->op_type, msg);
  g_free (msg);
  return FALSE;
}

gboolean
ovi_ir_node_unsupported (OviIrWriter *w, const OviNode *n, GError **error,
    const char *what)
{
  return ovi_ir_node_fail (w, n, error, OVI_ERROR_UNSUPPORTED,
      "%s has no OpenVINO IR equivalent here", what);
}

gboolean
ovi_ir_node_has_in (const OviNode *n, int k)
{
  return k < n->n_inputs && n->inputs[k] >= 0;
}

gboolean
ovi_ir_node_has_out (const OviNode *n, int k)
{
  return k < n->n_outputs && n->outputs[k] >= 0;
}

OviIrTap
ovi_ir_node_in (OviIrWriter *w, const OviNode *n, int k)
{
  return ovi_ir_value_tap (w, n->inputs[k]);
}

const OviTensor *
ovi_ir_node_in_const (OviIrWriter *w, const OviNode *n, int k)
{
  if (!ovi_ir_node_has_in (n, k))
    return NULL;
  return ovi_graph_value (w->g, n->inputs[k])->constant;
}

const OviValue *
ovi_ir_node_in_value (OviIrWriter *w, const OviNode *n, int k)
{
  return ovi_graph_value (w->g, n->inputs[k]);
}

OviIrTap
ovi_ir_node_out_shape (OviIrWriter *w, const OviNode *n, int k)
{
  return ovi_ir_value_shape (w, n->outputs[k]);
}

/* An int list from an attribute or (later opsets) a constant input. */
gboolean
ovi_ir_node_ints (OviIrWriter *w, const OviNode *n, const char *attr, int k,
    int max, int *count, int64_t *out, GError **error)
{
  const int64_t *a;
  int na = ovi_node_attr_ints (n, attr, &a);
  *count = -1;
  if (na >= 0) {
    if (na > max)
      return ovi_ir_node_fail (w, n, error, OVI_ERROR_INVALID, "too many %s",
          attr);
    memcpy (out, a, sizeof (int64_t) * na);
    *count = na;
    return TRUE;
  }
  if (ovi_ir_node_has_in (n, k)) {
    const OviTensor *t = ovi_ir_node_in_const (w, n, k);
    int64_t numel;
    if (t == NULL)
      return ovi_ir_node_fail (w, n, error, OVI_ERROR_UNSUPPORTED,
          "input %d (%s) must be constant", k, attr);
    numel = ovi_tensor_numel (t);
    if (numel > max)
      return ovi_ir_node_fail (w, n, error, OVI_ERROR_INVALID, "too many %s",
          attr);
    for (int64_t i = 0; i < numel; i++)
      out[i] = ovi_tensor_get_i64 (t, i);
    *count = (int) numel;
  }
  return TRUE;
}

int
ovi_ir_norm_axis (int64_t axis, int rank)
{
  return (int) (axis < 0 ? axis + rank : axis);
}

gboolean
ovi_ir_export_node (OviIrWriter *w, const OviNode *n, GError **error)
{
  const OviIrExportOp *op;
  if (n->domain[0] && strcmp (n->domain, "ai.onnx") != 0)
    return ovi_ir_node_unsupported (w, n, error, "a custom-domain op");
  op = find_op (n->op_type);
  if (op == NULL)
    return ovi_ir_node_unsupported (w, n, error, n->op_type);
  for (int k = 0; k < n->n_inputs; k++)
    if (n->inputs[k] >= 0) {
      const OviValue *v = ovi_graph_value (w->g, n->inputs[k]);
      if (ovi_ir_element_type (v->dtype) == NULL
          && v->dtype != OVI_DTYPE_UNDEFINED)
        return ovi_ir_node_fail (w, n, error, OVI_ERROR_UNSUPPORTED,
            "input %d has type %s", k, ovi_dtype_name (v->dtype));
    }
  w->node = n;
  w->op = op;
  w->n_sub = 0;
  if (!op->export (w, n, error))
    return FALSE;
  if (w->err) {
    g_propagate_prefixed_error (error, w->err, "node '%s' (%s): ", n->name,
        n->op_type);
    w->err = NULL;
    return FALSE;
  }
  w->node = NULL;
  w->op = NULL;
  return TRUE;
}
