/* Shape inference for the ops that handle string tensors and sequences
 * besides the sequence ops: StringNormalizer, and the string and sequence
 * variants of Identity, Cast, CastLike and Constant.
 *
 * This table and op-sequence.c's are the only ones the planner consults
 * for a node that reads a string or sequence value (ovi_op_find_for): any
 * other op given one is reported unsupported, so that no byte-copying
 * kernel ever sees an array of pointers. */
#include <string.h>

#include "ops.h"

static OviInferResult
infer_identity (OviOpCtx *ctx, GError **error)
{
  OviTensor *x;
  if (!ovi_op_check_inputs (ctx, 1, 1, error))
    return OVI_INFER_ERROR;
  x = ctx->inputs[0];
  ovi_op_set_output (ctx, 0, x->dtype, x->rank, x->dims);
  return OVI_INFER_OK;
}

static gboolean
is_cast_type (OviDType dtype)
{
  return dtype == OVI_DTYPE_STRING || ovi_dtype_is_known (dtype);
}

static OviInferResult
infer_cast (OviOpCtx *ctx, GError **error)
{
  OviTensor *x;
  int64_t to;
  if (!ovi_op_check_inputs (ctx, 1, 2, error))
    return OVI_INFER_ERROR;
  x = ctx->inputs[0];
  if (strcmp (ctx->node->op_type, "CastLike") == 0) {
    if (ctx->n_inputs != 2 || ctx->inputs[1] == NULL)
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID, "needs 2 inputs");
    to = ctx->inputs[1]->dtype;
  } else {
    to = ovi_node_attr_int (ctx->node, "to", 0);
  }
  if (!is_cast_type (x->dtype))
    return ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
        "cast from %s is not supported", ovi_dtype_name (x->dtype));
  if (to < 0 || to > G_MAXINT || !is_cast_type ((OviDType) to))
    return ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
        "cast to %s (%" G_GINT64_FORMAT ") is not supported",
        ovi_dtype_name ((OviDType) to), to);
  ovi_op_set_output (ctx, 0, (OviDType) to, x->rank, x->dims);
  return OVI_INFER_OK;
}

/* Constant with a string value (value, value_string or value_strings). */
static OviInferResult
infer_constant (OviOpCtx *ctx, GError **error)
{
  const OviAttr *a;
  int64_t n;
  if (!ovi_op_check_inputs (ctx, 0, 0, error))
    return OVI_INFER_ERROR;
  if ((a = ovi_node_attr (ctx->node, "value")) && a->type == OVI_ATTR_TENSOR
      && a->t && a->t->dtype == OVI_DTYPE_STRING) {
    ovi_op_set_output (ctx, 0, OVI_DTYPE_STRING, a->t->rank, a->t->dims);
  } else if ((a = ovi_node_attr (ctx->node, "value_string"))
      && a->type == OVI_ATTR_STRING) {
    ovi_op_set_output (ctx, 0, OVI_DTYPE_STRING, 0, NULL);
  } else if ((a = ovi_node_attr (ctx->node, "value_strings"))
      && a->type == OVI_ATTR_STRINGS) {
    n = a->n;
    ovi_op_set_output (ctx, 0, OVI_DTYPE_STRING, 1, &n);
  } else {
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "has no string value attribute");
  }
  if (ctx->node->n_attrs != 1)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "needs exactly one value attribute");
  return OVI_INFER_OK;
}

/* Case-insensitive matching compares Unicode case folds; strings that are
 * not valid UTF-8 fold by ASCII rules only. */
static char *
fold_case (const char *s)
{
  if (g_utf8_validate (s, -1, NULL))
    return g_utf8_casefold (s, -1);
  return g_ascii_strdown (s, -1);
}

int64_t
ovi_string_normalizer_keep (const OviNode *node, const OviTensor *x,
    gboolean *keep)
{
  const OviAttr *stop = ovi_node_attr (node, "stopwords");
  gboolean sensitive = ovi_node_attr_int (node, "is_case_sensitive", 0) != 0;
  int64_t n = ovi_tensor_numel (x), kept = 0;
  GHashTable *words;

  if (stop == NULL || stop->type != OVI_ATTR_STRINGS || stop->n == 0) {
    for (int64_t i = 0; keep && i < n; i++)
      keep[i] = TRUE;
    return n;
  }
  words = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (int i = 0; i < stop->n; i++)
    g_hash_table_add (words, sensitive ? g_strdup (stop->strings[i])
        : fold_case (stop->strings[i]));
  for (int64_t i = 0; i < n; i++) {
    const char *s = ovi_tensor_string (x, i);
    gboolean k;
    if (sensitive) {
      k = !g_hash_table_contains (words, s);
    } else {
      char *f = fold_case (s);
      k = !g_hash_table_contains (words, f);
      g_free (f);
    }
    if (keep)
      keep[i] = k;
    kept += k;
  }
  g_hash_table_destroy (words);
  return kept;
}

static OviInferResult
infer_string_normalizer (OviOpCtx *ctx, GError **error)
{
  OviTensor *x;
  const char *action;
  int64_t kept, dims[2];
  if (!ovi_op_check_inputs (ctx, 1, 1, error))
    return OVI_INFER_ERROR;
  x = ctx->inputs[0];
  if (x->dtype != OVI_DTYPE_STRING)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "input is %s, not string", ovi_dtype_name (x->dtype));
  if (!(x->rank == 1 || (x->rank == 2 && x->dims[0] == 1)))
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "input must have shape [C] or [1, C]");
  action = ovi_node_attr_string (ctx->node, "case_change_action", "NONE");
  if (strcmp (action, "NONE") != 0 && strcmp (action, "LOWER") != 0
      && strcmp (action, "UPPER") != 0)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "case_change_action '%s' is not NONE, LOWER or UPPER", action);
  ovi_op_set_output (ctx, 0, OVI_DTYPE_STRING, x->rank, x->dims);
  if (x->data) {
    kept = ovi_string_normalizer_keep (ctx->node, x, NULL);
  } else {
    const OviAttr *stop = ovi_node_attr (ctx->node, "stopwords");
    if (stop && stop->type == OVI_ATTR_STRINGS && stop->n > 0)
      return OVI_INFER_NEED_DATA;
    kept = ovi_tensor_numel (x);
  }
  /* Everything dropped: one empty string, shape [1] or [1, 1]. */
  dims[0] = 1;
  dims[x->rank - 1] = MAX (kept, 1);
  ovi_op_set_output (ctx, 0, OVI_DTYPE_STRING, x->rank, dims);
  return OVI_INFER_OK;
}

const OviOpDef ovi_ops_string[] = {
  { "Identity", infer_identity },
  { "Cast", infer_cast },
  { "CastLike", infer_cast },
  { "Constant", infer_constant },
  { "StringNormalizer", infer_string_normalizer },
  { NULL }
};
