/* The toolkit of the IR -> ONNX mappings: reading a layer's attributes
 * and inputs, adding values, constants and nodes with ONNX semantics
 * (opset 18), and finding the mapping of a layer type in the family
 * tables. */
#include <math.h>
#include <string.h>

#include "ir-private.h"

#define MAX_LIST 4096           /* elements of an int/float list attribute */

static const OviIrImportOp *const families[] = {
  ovi_ir_import_elementwise,
  ovi_ir_import_shape,
  ovi_ir_import_index,
  ovi_ir_import_conv_pool,
  ovi_ir_import_norm_reduce,
  ovi_ir_import_misc,
};

const OviIrImportOp *
ovi_ir_import_find (const char *type)
{
  for (guint f = 0; f < G_N_ELEMENTS (families); f++)
    for (const OviIrImportOp *op = families[f]; op->type; op++)
      if (strcmp (op->type, type) == 0)
        return op;
  return NULL;
}

static void
set_layer_error (const char *source, const OviIrLayer *layer,
    GError **error, int code, const char *format, va_list args)
  G_GNUC_PRINTF (5, 0);

static void
set_layer_error (const char *source, const OviIrLayer *layer,
    GError **error, int code, const char *format, va_list args)
{
  char *msg = g_strdup_vprintf (format, args);
  g_set_error (error, OVI_ERROR, code, "%s: layer '%s' (%s): %s", source,
      layer->name, layer->type, msg);
  g_free (msg);
}

gboolean
ovi_ir_layer_error (const char *source, const OviIrLayer *layer,
    GError **error, int code, const char *format, ...)
{
  va_list args;
  va_start (args, format);
  set_layer_error (source, layer, error, code, format, args);
  va_end (args);
  return FALSE;
}

gboolean
ovi_ir_fail (OviIrImport *c, GError **error, int code, const char *format,
    ...)
{
  va_list args;
  va_start (args, format);
  set_layer_error (c->b->source, c->layer, error, code, format, args);
  va_end (args);
  return FALSE;
}

gboolean
ovi_ir_attr_int (OviIrImport *c, const char *key, gboolean required,
    int64_t def, int64_t *out, GError **error)
{
  const char *s = ovi_ir_layer_attr (c->layer, key);
  *out = def;
  if (s == NULL) {
    if (required)
      return ovi_ir_fail (c, error, OVI_ERROR_INVALID,
          "attribute '%s' is missing", key);
    return TRUE;
  }
  if (!ovi_ir_parse_int (s, out))
    return ovi_ir_fail (c, error, OVI_ERROR_INVALID,
        "attribute '%s' is not an integer: '%s'", key, s);
  return TRUE;
}

gboolean
ovi_ir_attr_float (OviIrImport *c, const char *key, gboolean required,
    double def, double *out, GError **error)
{
  const char *s = ovi_ir_layer_attr (c->layer, key);
  *out = def;
  if (s == NULL) {
    if (required)
      return ovi_ir_fail (c, error, OVI_ERROR_INVALID,
          "attribute '%s' is missing", key);
    return TRUE;
  }
  if (!ovi_ir_parse_double (s, out))
    return ovi_ir_fail (c, error, OVI_ERROR_INVALID,
        "attribute '%s' is not a number: '%s'", key, s);
  return TRUE;
}

gboolean
ovi_ir_attr_bool (OviIrImport *c, const char *key, gboolean def, gboolean *out,
    GError **error)
{
  const char *s = ovi_ir_layer_attr (c->layer, key);
  *out = def;
  if (s == NULL)
    return TRUE;
  if (g_ascii_strcasecmp (s, "true") == 0 || strcmp (s, "1") == 0)
    *out = TRUE;
  else if (g_ascii_strcasecmp (s, "false") == 0 || strcmp (s, "0") == 0)
    *out = FALSE;
  else
    return ovi_ir_fail (c, error, OVI_ERROR_INVALID,
        "attribute '%s' is not a boolean: '%s'", key, s);
  return TRUE;
}

const char *
ovi_ir_attr_str (OviIrImport *c, const char *key, const char *def)
{
  const char *s = ovi_ir_layer_attr (c->layer, key);
  return s ? s : def;
}

/* A comma separated integer list; *n = -1 and *out = NULL when absent.
 * The caller frees *out. */
gboolean
ovi_ir_attr_ints (OviIrImport *c, const char *key, int *n, int64_t **out,
    GError **error)
{
  const char *s = ovi_ir_layer_attr (c->layer, key);
  char **parts;
  int count = 0;
  *n = -1;
  *out = NULL;
  if (s == NULL)
    return TRUE;
  parts = g_strsplit (s, ",", MAX_LIST + 1);
  if (g_strv_length (parts) > MAX_LIST) {
    g_strfreev (parts);
    return ovi_ir_fail (c, error, OVI_ERROR_INVALID,
        "attribute '%s' is too long", key);
  }
  *out = g_new (int64_t, g_strv_length (parts) + 1);
  for (int i = 0; parts[i]; i++) {
    const char *t = parts[i];
    while (g_ascii_isspace (*t))
      t++;
    if (*t == '\0' && parts[1] == NULL)
      break;                    /* "" is the empty list */
    if (!ovi_ir_parse_int (t, &(*out)[count])) {
      ovi_ir_fail (c, error, OVI_ERROR_INVALID,
          "attribute '%s' is not an integer list: '%s'", key, s);
      g_strfreev (parts);
      g_free (*out);
      *out = NULL;
      return FALSE;
    }
    count++;
  }
  g_strfreev (parts);
  *n = count;
  return TRUE;
}

/* An integer list attribute that must hold exactly `rank` values (when
 * rank >= 0) and is written into a fixed array. */
gboolean
ovi_ir_attr_ints_fixed (OviIrImport *c, const char *key, gboolean required,
    int max, int *n, int64_t *out, GError **error)
{
  int64_t *v;
  int count;
  *n = -1;
  if (!ovi_ir_attr_ints (c, key, &count, &v, error))
    return FALSE;
  if (count < 0) {
    *n = -1;
    if (required)
      return ovi_ir_fail (c, error, OVI_ERROR_INVALID,
          "attribute '%s' is missing", key);
    return TRUE;
  }
  if (count > max) {
    g_free (v);
    return ovi_ir_fail (c, error, OVI_ERROR_INVALID,
        "attribute '%s' has %d values, at most %d expected", key, count, max);
  }
  if (count)
    memcpy (out, v, sizeof (int64_t) * count);
  g_free (v);
  *n = count;
  return TRUE;
}

static OviIrPort *
in_port (OviIrImport *c, int k)
{
  return &g_array_index (c->layer->in, OviIrPort, k);
}

OviIrPort *
ovi_ir_out_port (OviIrImport *c, int k)
{
  return &g_array_index (c->layer->out, OviIrPort, k);
}

OviValue *
ovi_ir_value (OviIrImport *c, int v)
{
  return ovi_graph_value (c->b->graph, v);
}

OviDType
ovi_ir_in_dtype (OviIrImport *c, int k)
{
  return ovi_ir_value (c, c->in[k])->dtype;
}

/* Rank of an input from its port, -1 when unknown. */
int
ovi_ir_in_rank (OviIrImport *c, int k)
{
  const OviValue *v = ovi_ir_value (c, c->in[k]);
  if (v->constant)
    return v->constant->rank;
  return in_port (c, k)->rank;
}

const int64_t *
ovi_ir_in_dims (OviIrImport *c, int k)
{
  const OviValue *v = ovi_ir_value (c, c->in[k]);
  if (v->constant)
    return v->constant->dims;
  return in_port (c, k)->dims;
}

const OviTensor *
ovi_ir_in_const (OviIrImport *c, int k)
{
  if (k >= c->n_in)
    return NULL;
  return ovi_ir_value (c, c->in[k])->constant;
}

/* Reads a constant integer input into `out` (at most max values). */
gboolean
ovi_ir_const_ints (OviIrImport *c, int k, const char *what, int max, int *n,
    int64_t *out, GError **error)
{
  const OviTensor *t = ovi_ir_in_const (c, k);
  int64_t count;
  *n = 0;
  if (t == NULL)
    return ovi_ir_fail (c, error, OVI_ERROR_UNSUPPORTED,
        "%s (input %d) must be a constant", what, k);
  if (!ovi_dtype_is_signed_int (t->dtype)
      && !ovi_dtype_is_unsigned_int (t->dtype))
    return ovi_ir_fail (c, error, OVI_ERROR_INVALID, "%s must be integers",
        what);
  count = ovi_tensor_numel (t);
  if (t->rank > 1 || count > max)
    return ovi_ir_fail (c, error, OVI_ERROR_INVALID,
        "%s must be a scalar or a list of at most %d values", what, max);
  for (int64_t i = 0; i < count; i++)
    out[i] = ovi_tensor_get_i64 (t, i);
  *n = (int) count;
  return TRUE;
}

gboolean
ovi_ir_const_scalar_int (OviIrImport *c, int k, const char *what, int64_t *out,
    GError **error)
{
  int n = 0;
  int64_t v[1] = { 0 };
  *out = 0;
  if (!ovi_ir_const_ints (c, k, what, 1, &n, v, error))
    return FALSE;
  if (n != 1)
    return ovi_ir_fail (c, error, OVI_ERROR_INVALID, "%s must hold one value",
        what);
  *out = v[0];
  return TRUE;
}

gboolean
ovi_ir_const_scalar_float (OviIrImport *c, int k, const char *what, double *out,
    GError **error)
{
  const OviTensor *t = ovi_ir_in_const (c, k);
  *out = 0;
  if (t == NULL)
    return ovi_ir_fail (c, error, OVI_ERROR_UNSUPPORTED,
        "%s (input %d) must be a constant", what, k);
  if (ovi_tensor_numel (t) != 1)
    return ovi_ir_fail (c, error, OVI_ERROR_INVALID, "%s must hold one value",
        what);
  *out = ovi_tensor_get_f64 (t, 0);
  return TRUE;
}

int
ovi_ir_new_value (OviIrImport *c, OviDType dtype)
{
  char *name = g_strdup_printf ("%s/ovi_%d", c->layer->name,
      c->b->tmp_counter++);
  int v = ovi_graph_add_value (c->b->graph, name, dtype);
  g_free (name);
  return v;
}

int
ovi_ir_new_const (OviIrImport *c, OviTensor *t)
{
  int v = ovi_ir_new_value (c, t->dtype);
  OviValue *val = ovi_ir_value (c, v);
  val->constant = t;
  val->rank = t->rank;
  memcpy (val->dims, t->dims, sizeof (t->dims));
  return v;
}

/* A rank-1 int64 constant (rank 0 when scalar). */
int
ovi_ir_const_i64 (OviIrImport *c, int n, const int64_t *v, gboolean scalar)
{
  int64_t dims[1] = { n };
  OviTensor *t = ovi_tensor_new (OVI_DTYPE_INT64, scalar ? 0 : 1, dims);
  if (n)
    memcpy (t->data, v, sizeof (int64_t) * n);
  return ovi_ir_new_const (c, t);
}

/* Stores v into element i of a numeric tensor, saturating integers. */
void
ovi_ir_store_saturated (OviTensor *t, int64_t i, double v)
{
  if (ovi_dtype_is_float (t->dtype)) {
    ovi_tensor_set_f64 (t, i, v);
    return;
  }
  if (t->dtype == OVI_DTYPE_BOOL) {
    ovi_tensor_set_i64 (t, i, v != 0);
    return;
  }
  if (isnan (v))
    v = 0;
  if (t->dtype == OVI_DTYPE_UINT64) {
    if (v <= 0)
      ovi_tensor_set_i64 (t, i, 0);
    else if (v >= 18446744073709551615.0)
      ovi_tensor_set_i64 (t, i, -1); /* all bits set */
    else
      ovi_tensor_set_i64 (t, i, (int64_t) (guint64) v);
    return;
  }
  {
    double lo, hi;
    switch (t->dtype) {
      case OVI_DTYPE_INT8: lo = G_MININT8; hi = G_MAXINT8; break;
      case OVI_DTYPE_UINT8: lo = 0; hi = G_MAXUINT8; break;
      case OVI_DTYPE_INT16: lo = G_MININT16; hi = G_MAXINT16; break;
      case OVI_DTYPE_UINT16: lo = 0; hi = G_MAXUINT16; break;
      case OVI_DTYPE_INT32: lo = G_MININT32; hi = G_MAXINT32; break;
      case OVI_DTYPE_UINT32: lo = 0; hi = G_MAXUINT32; break;
      default: lo = -9223372036854775808.0; hi = 9223372036854775807.0;
        break;
    }
    if (v <= lo)
      ovi_tensor_set_i64 (t, i, t->dtype == OVI_DTYPE_INT64 ? G_MININT64
          : (int64_t) lo);
    else if (v >= hi)
      ovi_tensor_set_i64 (t, i, t->dtype == OVI_DTYPE_INT64 ? G_MAXINT64
          : (int64_t) hi);
    else
      ovi_tensor_set_i64 (t, i, (int64_t) v);
  }
}

/* A scalar constant of the given type (rank 0, or [1] when one_d). */
int
ovi_ir_const_scalar (OviIrImport *c, OviDType dtype, double v, gboolean one_d)
{
  int64_t dims[1] = { 1 };
  OviTensor *t;
  /* An unknown element type (a port without precision) cannot be
   * matched here: float32 then, and planning reports any mismatch. */
  if (!ovi_dtype_is_known (dtype))
    dtype = OVI_DTYPE_FLOAT32;
  t = ovi_tensor_new (dtype, one_d ? 1 : 0, dims);
  ovi_ir_store_saturated (t, 0, v);
  return ovi_ir_new_const (c, t);
}

OviNode *
ovi_ir_add_node (OviIrImport *c, const char *op, int n_in, const int *ins,
    int n_out, const int *outs)
{
  OviNode *n;
  char *name = c->n_nodes == 0 ? g_strdup (c->layer->name)
      : g_strdup_printf ("%s/%s_%d", c->layer->name, op, c->n_nodes);
  n = ovi_graph_add_node (c->b->graph, op, name, n_in, ins, n_out, outs);
  g_free (name);
  c->n_nodes++;
  return n;
}

/* A node with one output: returns the output value (a new one when
 * out < 0). */
int
ovi_ir_node1 (OviIrImport *c, const char *op, int out, OviDType dtype, int n_in,
    ...)
{
  int ins[8];
  va_list args;
  g_assert (n_in <= 8);
  va_start (args, n_in);
  for (int i = 0; i < n_in; i++)
    ins[i] = va_arg (args, int);
  va_end (args);
  if (out < 0)
    out = ovi_ir_new_value (c, dtype);
  ovi_ir_add_node (c, op, n_in, ins, 1, &out);
  return out;
}

/* The last node added (to set attributes on). */
OviNode *
ovi_ir_last_node (OviIrImport *c)
{
  GPtrArray *nodes = c->b->graph->nodes;
  return g_ptr_array_index (nodes, nodes->len - 1);
}

int
ovi_ir_cast (OviIrImport *c, int v, OviDType to, int out)
{
  if (out < 0 && ovi_ir_value (c, v)->dtype == to)
    return v;
  out = ovi_ir_node1 (c, "Cast", out, to, 1, v);
  ovi_node_set_attr_int (ovi_ir_last_node (c), "to", to);
  return out;
}

/* ONNX wants int64 for shapes, axes, pads, repeats... */
int
ovi_ir_to_i64 (OviIrImport *c, int v)
{
  return ovi_ir_cast (c, v, OVI_DTYPE_INT64, -1);
}

/* Reshapes to rank 1 (IR often allows scalars where ONNX wants 1-D). */
int
ovi_ir_to_1d (OviIrImport *c, int v, int rank)
{
  int64_t minus1 = -1;
  if (rank == 1)
    return v;
  return ovi_ir_node1 (c, "Reshape", -1, ovi_ir_value (c, v)->dtype, 2, v,
      ovi_ir_const_i64 (c, 1, &minus1, FALSE));
}

int
ovi_ir_axes_input (OviIrImport *c, int k)
{
  return ovi_ir_to_1d (c, ovi_ir_to_i64 (c, c->in[k]), ovi_ir_in_rank (c, k));
}

gboolean
ovi_ir_check_io (OviIrImport *c, int min_in, int max_in, int min_out,
    int max_out, GError **error)
{
  if (c->n_in < min_in || c->n_in > max_in)
    return ovi_ir_fail (c, error, OVI_ERROR_INVALID,
        "has %d inputs, expected %d to %d", c->n_in, min_in, max_in);
  if (c->n_out < min_out || c->n_out > max_out)
    return ovi_ir_fail (c, error, OVI_ERROR_INVALID,
        "has %d outputs, expected %d to %d", c->n_out, min_out, max_out);
  return TRUE;
}

gboolean
ovi_ir_check_broadcast (OviIrImport *c, GError **error)
{
  const char *b = ovi_ir_attr_str (c, "auto_broadcast", "numpy");
  if (g_ascii_strcasecmp (b, "numpy") != 0
      && g_ascii_strcasecmp (b, "none") != 0)
    return ovi_ir_fail (c, error, OVI_ERROR_UNSUPPORTED,
        "auto_broadcast '%s' is not supported", b);
  return TRUE;
}

/* The element type of output k: its port's, else input 0's. */
OviDType
ovi_ir_out_dtype (OviIrImport *c, int k)
{
  OviDType t = ovi_ir_value (c, c->out[k])->dtype;
  if (t == OVI_DTYPE_UNDEFINED && c->n_in > 0)
    t = ovi_ir_in_dtype (c, 0);
  return t;
}
