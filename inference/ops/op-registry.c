/* The op table: every op group, looked up by domain and name. */
#include <string.h>

#include "ops.h"

static const OviOpDef *const groups[] = {
  ovi_ops_elementwise,
  ovi_ops_shape,
  ovi_ops_conv,
  ovi_ops_pool,
  ovi_ops_norm,
  ovi_ops_reduce,
  ovi_ops_index,
  ovi_ops_misc,
  ovi_ops_quant,
};

static GHashTable *
build_table (void)
{
  GHashTable *table = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint g = 0; g < G_N_ELEMENTS (groups); g++)
    for (const OviOpDef *d = groups[g]; d->name; d++)
      g_hash_table_insert (table, (gpointer) d->name, (gpointer) d);
  return table;
}

const OviOpDef *
ovi_op_find (const char *domain, const char *op_type)
{
  static gsize init = 0;
  static GHashTable *table;
  if (g_once_init_enter (&init)) {
    table = build_table ();
    g_once_init_leave (&init, 1);
  }
  /* Only the default ONNX domain for now; ai.onnx.ml and vendor domains
   * are reported as unsupported. */
  if (domain && domain[0] && strcmp (domain, "ai.onnx") != 0)
    return NULL;
  if (!g_hash_table_contains (table, op_type))
    return ovi_op_find_object (domain, op_type);
  return g_hash_table_lookup (table, op_type);
}

static const OviOpDef *const object_groups[] = {
  ovi_ops_sequence,
  ovi_ops_string,
};

static GHashTable *
build_object_table (void)
{
  GHashTable *table = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint g = 0; g < G_N_ELEMENTS (object_groups); g++)
    for (const OviOpDef *d = object_groups[g]; d->name; d++)
      g_hash_table_insert (table, (gpointer) d->name, (gpointer) d);
  return table;
}

const OviOpDef *
ovi_op_find_object (const char *domain, const char *op_type)
{
  static gsize init = 0;
  static GHashTable *table;
  if (g_once_init_enter (&init)) {
    table = build_object_table ();
    g_once_init_leave (&init, 1);
  }
  if (domain && domain[0] && strcmp (domain, "ai.onnx") != 0)
    return NULL;
  return g_hash_table_lookup (table, op_type);
}

OviDType
ovi_op_object_type (const OviNode *node, OviTensor *const *inputs,
    int n_inputs)
{
  const OviAttr *a;
  for (int i = 0; i < n_inputs; i++)
    if (inputs[i] && ovi_dtype_is_object (inputs[i]->dtype))
      return inputs[i]->dtype;
  if (node->domain && node->domain[0]
      && strcmp (node->domain, "ai.onnx") != 0)
    return OVI_DTYPE_UNDEFINED;
  if (strcmp (node->op_type, "Cast") == 0
      && ovi_node_attr_int (node, "to", 0) == OVI_DTYPE_STRING)
    return OVI_DTYPE_STRING;
  if (strcmp (node->op_type, "Constant") == 0
      && (ovi_node_attr (node, "value_string")
          || ovi_node_attr (node, "value_strings")
          || ((a = ovi_node_attr (node, "value")) && a->type == OVI_ATTR_TENSOR
              && a->t && a->t->dtype == OVI_DTYPE_STRING)))
    return OVI_DTYPE_STRING;
  return OVI_DTYPE_UNDEFINED;
}

const OviOpDef *
ovi_op_find_for (const OviNode *node, OviTensor *const *inputs,
    int n_inputs)
{
  if (ovi_op_object_type (node, inputs, n_inputs) != OVI_DTYPE_UNDEFINED)
    return ovi_op_find_object (node->domain, node->op_type);
  return ovi_op_find (node->domain, node->op_type);
}

void
ovi_op_set_output (OviOpCtx *ctx, int i, OviDType dtype, int rank,
    const int64_t *dims)
{
  OviTensor *t = ovi_op_output (ctx, i);
  if (t == NULL)
    return;
  t->dtype = dtype;
  t->rank = rank;
  if (rank > 0)
    memmove (t->dims, dims, sizeof (int64_t) * rank);
}

OviInferResult
ovi_op_error (OviOpCtx *ctx, GError **error, int code, const char *format,
    ...)
{
  va_list args;
  char *msg;
  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, OVI_ERROR, code, "%s: node '%s' (%s): %s",
      ctx->source ? ctx->source : "model", ctx->node->name,
      ctx->node->op_type, msg);
  g_free (msg);
  return OVI_INFER_ERROR;
}

gboolean
ovi_op_check_inputs (OviOpCtx *ctx, int min, int max, GError **error)
{
  if (ctx->n_inputs < min || (max >= 0 && ctx->n_inputs > max)) {
    ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "has %d inputs, expected %d to %d", ctx->n_inputs, min, max);
    return FALSE;
  }
  for (int i = 0; i < min; i++) {
    if (ctx->inputs[i] == NULL) {
      ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "required input %d is missing", i);
      return FALSE;
    }
  }
  return TRUE;
}

gboolean
ovi_op_axis (int64_t axis, int rank, int *out)
{
  if (axis < -rank || axis >= MAX (rank, 1))
    return FALSE;
  *out = (int) (axis < 0 ? axis + rank : axis);
  return TRUE;
}

gboolean
ovi_op_read_ints (const OviTensor *t, int max, int *n, int64_t *out)
{
  int64_t count;
  if (t == NULL || t->data == NULL)
    return FALSE;
  if (t->dtype != OVI_DTYPE_INT64 && t->dtype != OVI_DTYPE_INT32)
    return FALSE;
  count = ovi_tensor_numel (t);
  if (count < 0 || count > max)
    return FALSE;
  for (int64_t i = 0; i < count; i++)
    out[i] = ovi_tensor_get_i64 (t, i);
  *n = (int) count;
  return TRUE;
}
