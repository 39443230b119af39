/* Writing IR layers: the XML of a layer with its <data> attributes and
 * ports (precision, dims, tensor names), the edges to its inputs, and
 * constants packed into the .bin. A tap is the output port a value
 * flows out of; the mappings (ir-export-*.c) connect layers by taps. */
#include <math.h>
#include <string.h>

#include "ir-private.h"

void
ovi_ir_data_str (GString *d, const char *key, const char *value)
{
  char *e = g_markup_escape_text (value, -1);
  g_string_append_printf (d, " %s=\"%s\"", key, e);
  g_free (e);
}

void
ovi_ir_data_int (GString *d, const char *key, int64_t v)
{
  g_string_append_printf (d, " %s=\"%" G_GINT64_FORMAT "\"", key, v);
}

void
ovi_ir_data_bool (GString *d, const char *key, gboolean v)
{
  g_string_append_printf (d, " %s=\"%s\"", key, v ? "true" : "false");
}

void
ovi_ir_data_ints (GString *d, const char *key, int n, const int64_t *v)
{
  g_string_append_printf (d, " %s=\"", key);
  for (int i = 0; i < n; i++)
    g_string_append_printf (d, "%s%" G_GINT64_FORMAT, i ? ", " : "", v[i]);
  g_string_append_c (d, '"');
}

/* Floats round-trip exactly: 17 significant digits, C locale. */
void
ovi_ir_data_float (GString *d, const char *key, double v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  if (isnan (v))
    g_strlcpy (buf, "nan", sizeof (buf));
  else if (isinf (v))
    g_strlcpy (buf, v > 0 ? "inf" : "-inf", sizeof (buf));
  else
    g_ascii_formatd (buf, sizeof (buf), "%.17g", v);
  g_string_append_printf (d, " %s=\"%s\"", key, buf);
}

GString *
ovi_ir_data_new (void)
{
  return g_string_new (NULL);
}

GString *
ovi_ir_data_numpy (void)
{
  GString *d = ovi_ir_data_new ();
  ovi_ir_data_str (d, "auto_broadcast", "numpy");
  return d;
}

OviIrTap
ovi_ir_shape_tap (OviDType t, int rank, const int64_t *dims)
{
  OviIrTap tap = { .layer = -1, .dtype = t, .rank = rank };
  if (rank > 0)
    memcpy (tap.dims, dims, sizeof (int64_t) * rank);
  return tap;
}

OviIrTap
ovi_ir_value_shape (OviIrWriter *w, int v)
{
  const OviValue *val = ovi_graph_value (w->g, v);
  return ovi_ir_shape_tap (val->dtype, val->rank, val->dims);
}

static char *
unique_layer_name (OviIrWriter *w, const char *base)
{
  char *name = g_strdup (base[0] ? base : "layer");
  while (g_hash_table_contains (w->layer_names, name)) {
    g_free (name);
    name = g_strdup_printf ("%s_%d", base, w->next_id + w->n_renamed++);
  }
  g_hash_table_add (w->layer_names, name);
  return name;
}

static void
append_port (GString *s, int id, const OviIrTap *t, const char *name)
{
  g_string_append_printf (s, "\t\t\t\t<port id=\"%d\" precision=\"%s\"", id,
      ovi_ir_precision (t->dtype));
  if (name)
    ovi_ir_append_port_names (s, name);
  if (t->rank <= 0) {
    g_string_append (s, " />\n");
    return;
  }
  g_string_append (s, ">\n");
  for (int i = 0; i < t->rank; i++)
    g_string_append_printf (s, "\t\t\t\t\t<dim>%" G_GINT64_FORMAT "</dim>\n",
        t->dims[i]);
  g_string_append (s, "\t\t\t\t</port>\n");
}

/* Writes a layer. ins must be produced taps; outs carry the output types
 * and shapes in and their layer/port out. names: per output tensor name
 * or NULL. Takes `data`. */
void
ovi_ir_emit_named (OviIrWriter *w, const char *type, const char *version,
    const char *name, GString *data, int n_in, const OviIrTap *ins, int n_out,
    OviIrTap *outs, const char *const *names)
{
  int id = w->next_id++;
  char *lname = unique_layer_name (w, name);
  char *ename = g_markup_escape_text (lname, -1);
  GString *s = w->layers;

  g_string_append_printf (s, "\t\t<layer id=\"%d\" name=\"%s\" type=\"%s\" "
      "version=\"%s\">\n", id, ename, type, version);
  g_free (ename);
  if (data && data->len)
    g_string_append_printf (s, "\t\t\t<data%s />\n", data->str);
  if (n_in) {
    g_string_append (s, "\t\t\t<input>\n");
    for (int i = 0; i < n_in; i++) {
      if (ins[i].layer < 0 && w->err == NULL)
        g_set_error (&w->err, OVI_ERROR, OVI_ERROR_INVALID,
            "layer '%s' reads a tensor nothing produces", lname);
      append_port (s, i, &ins[i], NULL);
      g_string_append_printf (w->edges, "\t\t<edge from-layer=\"%d\" "
          "from-port=\"%d\" to-layer=\"%d\" to-port=\"%d\" />\n",
          ins[i].layer, ins[i].port, id, i);
    }
    g_string_append (s, "\t\t\t</input>\n");
  }
  if (n_out) {
    g_string_append (s, "\t\t\t<output>\n");
    for (int i = 0; i < n_out; i++) {
      const char *pn = names ? names[i] : NULL;
      append_port (s, n_in + i, &outs[i], pn);
      outs[i].layer = id;
      outs[i].port = n_in + i;
      outs[i].name = pn;
    }
    g_string_append (s, "\t\t\t</output>\n");
  }
  g_string_append (s, "\t\t</layer>\n");
  if (data)
    g_string_free (data, TRUE);
}

void
ovi_ir_emit (OviIrWriter *w, const char *type, const char *version,
    GString *data, int n_in, const OviIrTap *ins, int n_out, OviIrTap *outs,
    const char *const *names)
{
  char *name;
  const char *base = w->node ? w->node->name : "";
  if (w->node && base[0] == '\0')
    base = w->node->op_type;
  if (w->n_sub == 0 && w->node)
    name = g_strdup (base);
  else if (w->node)
    name = g_strdup_printf ("%s/%s_%d", base, type, w->n_sub);
  else
    name = g_strdup (type);
  w->n_sub++;
  ovi_ir_emit_named (w, type, version, name, data, n_in, ins, n_out, outs,
      names);
  g_free (name);
}

/* One layer, one unnamed output of the given shape. */
OviIrTap
ovi_ir_emit_op (OviIrWriter *w, const char *type, const char *version,
    GString *data, int n_in, const OviIrTap *ins, OviIrTap out)
{
  ovi_ir_emit (w, type, version, data, n_in, ins, 1, &out, NULL);
  return out;
}

OviIrTap
ovi_ir_emit_op1 (OviIrWriter *w, const char *type, const char *version,
    GString *data, OviIrTap a, OviIrTap out)
{
  return ovi_ir_emit_op (w, type, version, data, 1, &a, out);
}

OviIrTap
ovi_ir_emit_op2 (OviIrWriter *w, const char *type, const char *version,
    GString *data, OviIrTap a, OviIrTap b, OviIrTap out)
{
  OviIrTap ins[2] = { a, b };
  return ovi_ir_emit_op (w, type, version, data, 2, ins, out);
}

/* A binary elementwise layer with numpy broadcasting. */
OviIrTap
ovi_ir_emit_binary (OviIrWriter *w, const char *type, OviIrTap a, OviIrTap b,
    OviDType out_type)
{
  OviIrTap out = ovi_ir_shape_tap (out_type, -1, NULL);
  if (a.rank >= 0 && b.rank >= 0
      && !ovi_broadcast_shapes (a.rank, a.dims, b.rank, b.dims, &out.rank,
          out.dims))
    out.rank = -1;
  return ovi_ir_emit_op2 (w, type, "opset1", ovi_ir_data_numpy (), a, b, out);
}

OviIrTap
ovi_ir_emit_convert (OviIrWriter *w, OviIrTap x, OviDType to)
{
  GString *d;
  if (x.dtype == to)
    return x;
  d = ovi_ir_data_new ();
  ovi_ir_data_str (d, "destination_type", ovi_ir_element_type (to));
  return ovi_ir_emit_op1 (w, "Convert", "opset1", d, x,
      ovi_ir_shape_tap (to, x.rank, x.dims));
}

/* Writes a constant. */
OviIrTap
ovi_ir_emit_const (OviIrWriter *w, OviDType t, int rank, const int64_t *dims,
    const void *data, const char *name)
{
  GString *d = ovi_ir_data_new ();
  OviIrTap out = ovi_ir_shape_tap (t, rank, dims);
  int64_t numel = ovi_shape_numel (rank, dims);
  gsize size = (gsize) MAX (numel, 0) * ovi_dtype_size (t);
  const char *names[1] = { name };
  char *lname;

  ovi_ir_data_str (d, "element_type", ovi_ir_element_type (t));
  g_string_append (d, " shape=\"");
  for (int i = 0; i < rank; i++)
    g_string_append_printf (d, "%s%" G_GINT64_FORMAT, i ? ", " : "", dims[i]);
  g_string_append_c (d, '"');
  ovi_ir_data_int (d, "offset", w->bin->len);
  ovi_ir_data_int (d, "size", size);
  if (size)
    g_byte_array_append (w->bin, data, size);
  if (name) {
    lname = g_strdup (name);
  } else {
    const char *base = w->node ? w->node->name : "";
    if (w->node && base[0] == '\0')
      base = w->node->op_type;
    lname = g_strdup_printf ("%s/Constant_%d", w->node ? base : "Constant",
        w->n_sub++);
  }
  ovi_ir_emit_named (w, "Const", "opset1", lname, d, 0, NULL, 1, &out, names);
  g_free (lname);
  return out;
}

OviIrTap
ovi_ir_emit_i64s (OviIrWriter *w, int n, const int64_t *v)
{
  int64_t dims[1] = { n };
  return ovi_ir_emit_const (w, OVI_DTYPE_INT64, 1, dims, v, NULL);
}

OviIrTap
ovi_ir_emit_i64 (OviIrWriter *w, int64_t v)
{
  return ovi_ir_emit_const (w, OVI_DTYPE_INT64, 0, NULL, &v, NULL);
}

/* A constant of type t holding v (rank 0, or [1] when one_d). */
OviIrTap
ovi_ir_emit_scalar (OviIrWriter *w, OviDType t, double v, gboolean one_d)
{
  int64_t dims[1] = { 1 };
  guint8 buf[16] = { 0 };
  if (!ovi_dtype_is_known (t)) {
    if (w->err == NULL)
      g_set_error (&w->err, OVI_ERROR, OVI_ERROR_UNSUPPORTED,
          "a tensor type is unknown at conversion time");
    t = OVI_DTYPE_FLOAT32;
  }
  if (ovi_dtype_is_float (t) || t == OVI_DTYPE_BOOL)
    ovi_store_f64 (t, buf, 0, t == OVI_DTYPE_BOOL ? (v != 0) : v);
  else
    ovi_store_i64 (t, buf, 0, (int64_t) v);
  return ovi_ir_emit_const (w, t, one_d ? 1 : 0, dims, buf, NULL);
}

/* The tap carrying value v: graph inputs and node results are already
 * written, constants are written on first use. */
OviIrTap
ovi_ir_value_tap (OviIrWriter *w, int v)
{
  const OviValue *val;
  if (w->taps[v].layer >= 0)
    return w->taps[v];
  val = ovi_graph_value (w->g, v);
  if (val->constant) {
    const OviTensor *t = val->constant;
    const char *name = val->name[0] ? val->name : NULL;
    /* A name already used by a layer is fine on a port. */
    w->taps[v] = ovi_ir_emit_const (w, t->dtype, t->rank, t->dims, t->data,
        name);
    return w->taps[v];
  }
  if (w->err == NULL)
    g_set_error (&w->err, OVI_ERROR, OVI_ERROR_INVALID,
        "%s: value '%s' is used before it is computed",
        w->g->source ? w->g->source : "model", val->name);
  return w->taps[v];
}

/* The layer producing the node's outputs, named after them. outs: the
 * shapes of all IR outputs (NULL: exactly the node's outputs). */
void
ovi_ir_emit_final (OviIrWriter *w, const OviNode *n, const char *type,
    const char *version, GString *data, int n_in, const OviIrTap *ins,
    int n_out, OviIrTap *outs)
{
  OviIrTap local[16];
  const char *names[16] = { NULL };
  if (outs == NULL) {
    n_out = MIN (n->n_outputs, 16);
    for (int k = 0; k < n_out; k++)
      local[k] = ovi_ir_node_has_out (n, k) ? ovi_ir_node_out_shape (w, n, k)
          : ovi_ir_shape_tap (OVI_DTYPE_FLOAT32, -1, NULL);
    outs = local;
  }
  for (int k = 0; k < n_out && k < 16; k++)
    names[k] = ovi_ir_node_has_out (n, k)
        ? ovi_graph_value (w->g, n->outputs[k])->name
        : NULL;
  ovi_ir_emit (w, type, version, data, n_in, ins, n_out, outs, names);
  for (int k = 0; k < n_out && k < n->n_outputs; k++)
    if (n->outputs[k] >= 0)
      w->taps[n->outputs[k]] = outs[k];
}

/* One output of the node (k) produced by a single-output layer. */
void
ovi_ir_emit_final_out (OviIrWriter *w, const OviNode *n, int k,
    const char *type, const char *version, GString *data, int n_in,
    const OviIrTap *ins)
{
  OviIrTap out = ovi_ir_node_out_shape (w, n, k);
  const char *names[1] = { ovi_graph_value (w->g, n->outputs[k])->name };
  ovi_ir_emit (w, type, version, data, n_in, ins, 1, &out, names);
  w->taps[n->outputs[k]] = out;
}

/* Output k of the node is the tap t, produced by an earlier layer (a
 * no-op such as Identity writes no layer). */
void
ovi_ir_alias (OviIrWriter *w, const OviNode *n, int k, OviIrTap t)
{
  if (ovi_ir_node_has_out (n, k))
    w->taps[n->outputs[k]] = t;
}

/* A constant of value v reshaped, or a Reshape layer when v is computed. */
OviIrTap
ovi_ir_emit_reshaped (OviIrWriter *w, int v, int rank, const int64_t *dims)
{
  const OviValue *val = ovi_graph_value (w->g, v);
  GString *d;
  if (val->constant)
    return ovi_ir_emit_const (w, val->dtype, rank, dims, val->constant->data,
        NULL);
  d = ovi_ir_data_new ();
  ovi_ir_data_bool (d, "special_zero", FALSE);
  return ovi_ir_emit_op2 (w, "Reshape", "opset1", d, ovi_ir_value_tap (w, v),
      ovi_ir_emit_i64s (w, rank, dims),
      ovi_ir_shape_tap (val->dtype, rank, dims));
}
