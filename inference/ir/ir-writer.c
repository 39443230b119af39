/* OpenVINO IR v11 writer: a graph with ONNX semantics -> .xml + .bin.
 *
 * IR ports carry a precision and dimensions, so the graph is first planned
 * for its declared (static) input shapes: that gives every value its type
 * and shape and folds the constant parts. Each remaining node becomes one
 * or more IR layers of opsets 1..13; nodes IR cannot express fail with
 * OVI_ERROR_UNSUPPORTED naming the node. */
#include <math.h>
#include <string.h>

#include "ir.h"
#include "plan.h"

/* An IR output port and what flows out of it. */
typedef struct {
  int layer;                    /* -1: nothing yet */
  int port;
  OviDType dtype;
  int rank;                     /* -1: unknown */
  int64_t dims[OVI_MAX_RANK];
  const char *name;             /* tensor name on that port, if any */
} Tap;

typedef struct {
  const OviGraph *g;            /* the plan's graph */
  int opset;
  GString *layers;
  GString *edges;
  GByteArray *bin;
  int next_id;
  int n_renamed;
  Tap *taps;                    /* per value */
  GHashTable *layer_names;
  const OviNode *node;          /* being written */
  int n_sub;                    /* layers written for it so far */
  GError *err;                  /* first internal failure */
} W;

typedef gboolean (*Writer) (W *w, const OviNode *n, GError **error);

static gboolean wr_layer_norm_full (W *w, const OviNode *n, GError **error);

/* ------------------------------------------------------------------ */
/* Types and attributes                                                */

static const char *
element_type (OviDType t)
{
  switch (t) {
    case OVI_DTYPE_FLOAT32: return "f32";
    case OVI_DTYPE_FLOAT16: return "f16";
    case OVI_DTYPE_BFLOAT16: return "bf16";
    case OVI_DTYPE_FLOAT64: return "f64";
    case OVI_DTYPE_INT8: return "i8";
    case OVI_DTYPE_INT16: return "i16";
    case OVI_DTYPE_INT32: return "i32";
    case OVI_DTYPE_INT64: return "i64";
    case OVI_DTYPE_UINT8: return "u8";
    case OVI_DTYPE_UINT16: return "u16";
    case OVI_DTYPE_UINT32: return "u32";
    case OVI_DTYPE_UINT64: return "u64";
    case OVI_DTYPE_BOOL: return "boolean";
    default: return NULL;
  }
}

static const char *
precision (OviDType t)
{
  switch (t) {
    case OVI_DTYPE_FLOAT32: return "FP32";
    case OVI_DTYPE_FLOAT16: return "FP16";
    case OVI_DTYPE_BFLOAT16: return "BF16";
    case OVI_DTYPE_FLOAT64: return "FP64";
    case OVI_DTYPE_INT8: return "I8";
    case OVI_DTYPE_INT16: return "I16";
    case OVI_DTYPE_INT32: return "I32";
    case OVI_DTYPE_INT64: return "I64";
    case OVI_DTYPE_UINT8: return "U8";
    case OVI_DTYPE_UINT16: return "U16";
    case OVI_DTYPE_UINT32: return "U32";
    case OVI_DTYPE_UINT64: return "U64";
    case OVI_DTYPE_BOOL: return "BOOL";
    default: return "UNSPECIFIED";
  }
}

static void
a_str (GString *d, const char *key, const char *value)
{
  char *e = g_markup_escape_text (value, -1);
  g_string_append_printf (d, " %s=\"%s\"", key, e);
  g_free (e);
}

static void
a_int (GString *d, const char *key, int64_t v)
{
  g_string_append_printf (d, " %s=\"%" G_GINT64_FORMAT "\"", key, v);
}

static void
a_bool (GString *d, const char *key, gboolean v)
{
  g_string_append_printf (d, " %s=\"%s\"", key, v ? "true" : "false");
}

static void
a_ints (GString *d, const char *key, int n, const int64_t *v)
{
  g_string_append_printf (d, " %s=\"", key);
  for (int i = 0; i < n; i++)
    g_string_append_printf (d, "%s%" G_GINT64_FORMAT, i ? ", " : "", v[i]);
  g_string_append_c (d, '"');
}

/* Floats round-trip exactly: 17 significant digits, C locale. */
static void
a_float (GString *d, const char *key, double v)
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

static GString *
attrs (void)
{
  return g_string_new (NULL);
}

static gboolean
wfail (W *w, const OviNode *n, GError **error, int code, const char *format,
    ...) G_GNUC_PRINTF (5, 6);

static gboolean
wfail (W *w, const OviNode *n, GError **error, int code, const char *format,
    ...)
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

static gboolean
unsupported (W *w, const OviNode *n, GError **error, const char *what)
{
  return wfail (w, n, error, OVI_ERROR_UNSUPPORTED, "%s has no OpenVINO IR "
      "equivalent here", what);
}

/* ------------------------------------------------------------------ */
/* Layers                                                              */

static Tap
shape_tap (OviDType t, int rank, const int64_t *dims)
{
  Tap tap = { .layer = -1, .dtype = t, .rank = rank };
  if (rank > 0)
    memcpy (tap.dims, dims, sizeof (int64_t) * rank);
  return tap;
}

static Tap
value_shape (W *w, int v)
{
  const OviValue *val = ovi_graph_value (w->g, v);
  return shape_tap (val->dtype, val->rank, val->dims);
}

static char *
unique_layer_name (W *w, const char *base)
{
  char *name = g_strdup (base[0] ? base : "layer");
  while (g_hash_table_contains (w->layer_names, name)) {
    g_free (name);
    name = g_strdup_printf ("%s_%d", base, w->next_id + w->n_renamed++);
  }
  g_hash_table_add (w->layer_names, name);
  return name;
}

/* Port names are a comma separated list: commas inside escaped. */
static void
append_port_names (GString *s, const char *name)
{
  GString *t = g_string_new (NULL);
  char *e;
  for (const char *p = name; *p; p++) {
    if (*p == ',')
      g_string_append_c (t, '\\');
    g_string_append_c (t, *p);
  }
  e = g_markup_escape_text (t->str, -1);
  g_string_append_printf (s, " names=\"%s\"", e);
  g_free (e);
  g_string_free (t, TRUE);
}

static void
append_port (GString *s, int id, const Tap *t, const char *name)
{
  g_string_append_printf (s, "\t\t\t\t<port id=\"%d\" precision=\"%s\"", id,
      precision (t->dtype));
  if (name)
    append_port_names (s, name);
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
static void
emit_named (W *w, const char *type, const char *version, const char *name,
    GString *data, int n_in, const Tap *ins, int n_out, Tap *outs,
    const char *const *names)
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

static void
emit (W *w, const char *type, const char *version, GString *data, int n_in,
    const Tap *ins, int n_out, Tap *outs, const char *const *names)
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
  emit_named (w, type, version, name, data, n_in, ins, n_out, outs, names);
  g_free (name);
}

/* One layer, one unnamed output of the given shape. */
static Tap
op (W *w, const char *type, const char *version, GString *data, int n_in,
    const Tap *ins, Tap out)
{
  emit (w, type, version, data, n_in, ins, 1, &out, NULL);
  return out;
}

static Tap
op1 (W *w, const char *type, const char *version, GString *data, Tap a,
    Tap out)
{
  return op (w, type, version, data, 1, &a, out);
}

static Tap
op2 (W *w, const char *type, const char *version, GString *data, Tap a,
    Tap b, Tap out)
{
  Tap ins[2] = { a, b };
  return op (w, type, version, data, 2, ins, out);
}

static GString *
numpy (void)
{
  GString *d = attrs ();
  a_str (d, "auto_broadcast", "numpy");
  return d;
}

/* A binary elementwise layer with numpy broadcasting. */
static Tap
bin (W *w, const char *type, Tap a, Tap b, OviDType out_type)
{
  Tap out = shape_tap (out_type, -1, NULL);
  if (a.rank >= 0 && b.rank >= 0
      && !ovi_broadcast_shapes (a.rank, a.dims, b.rank, b.dims, &out.rank,
          out.dims))
    out.rank = -1;
  return op2 (w, type, "opset1", numpy (), a, b, out);
}

static Tap
convert (W *w, Tap x, OviDType to)
{
  GString *d;
  if (x.dtype == to)
    return x;
  d = attrs ();
  a_str (d, "destination_type", element_type (to));
  return op1 (w, "Convert", "opset1", d, x, shape_tap (to, x.rank, x.dims));
}

/* Writes a constant. */
static Tap
const_tensor (W *w, OviDType t, int rank, const int64_t *dims,
    const void *data, const char *name)
{
  GString *d = attrs ();
  Tap out = shape_tap (t, rank, dims);
  int64_t numel = ovi_shape_numel (rank, dims);
  gsize size = (gsize) MAX (numel, 0) * ovi_dtype_size (t);
  const char *names[1] = { name };
  char *lname;

  a_str (d, "element_type", element_type (t));
  g_string_append (d, " shape=\"");
  for (int i = 0; i < rank; i++)
    g_string_append_printf (d, "%s%" G_GINT64_FORMAT, i ? ", " : "", dims[i]);
  g_string_append_c (d, '"');
  a_int (d, "offset", w->bin->len);
  a_int (d, "size", size);
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
  emit_named (w, "Const", "opset1", lname, d, 0, NULL, 1, &out, names);
  g_free (lname);
  return out;
}

static Tap
c_i64 (W *w, int n, const int64_t *v)
{
  int64_t dims[1] = { n };
  return const_tensor (w, OVI_DTYPE_INT64, 1, dims, v, NULL);
}

static Tap
c_i64_scalar (W *w, int64_t v)
{
  return const_tensor (w, OVI_DTYPE_INT64, 0, NULL, &v, NULL);
}

/* A constant of type t holding v (rank 0, or [1] when one_d). */
static Tap
c_scalar (W *w, OviDType t, double v, gboolean one_d)
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
  return const_tensor (w, t, one_d ? 1 : 0, dims, buf, NULL);
}

/* The tap carrying value v: graph inputs and node results are already
 * written, constants are written on first use. */
static Tap
value_tap (W *w, int v)
{
  const OviValue *val;
  if (w->taps[v].layer >= 0)
    return w->taps[v];
  val = ovi_graph_value (w->g, v);
  if (val->constant) {
    const OviTensor *t = val->constant;
    const char *name = val->name[0] ? val->name : NULL;
    /* A name already used by a layer is fine on a port. */
    w->taps[v] = const_tensor (w, t->dtype, t->rank, t->dims, t->data, name);
    return w->taps[v];
  }
  if (w->err == NULL)
    g_set_error (&w->err, OVI_ERROR, OVI_ERROR_INVALID,
        "%s: value '%s' is used before it is computed",
        w->g->source ? w->g->source : "model", val->name);
  return w->taps[v];
}

static gboolean
has_in (const OviNode *n, int k)
{
  return k < n->n_inputs && n->inputs[k] >= 0;
}

static Tap
in (W *w, const OviNode *n, int k)
{
  return value_tap (w, n->inputs[k]);
}

static const OviTensor *
in_const (W *w, const OviNode *n, int k)
{
  if (!has_in (n, k))
    return NULL;
  return ovi_graph_value (w->g, n->inputs[k])->constant;
}

static const OviValue *
in_value (W *w, const OviNode *n, int k)
{
  return ovi_graph_value (w->g, n->inputs[k]);
}

static Tap
out_shape (W *w, const OviNode *n, int k)
{
  return value_shape (w, n->outputs[k]);
}

static gboolean
has_out (const OviNode *n, int k)
{
  return k < n->n_outputs && n->outputs[k] >= 0;
}

/* The layer producing the node's outputs, named after them. outs: the
 * shapes of all IR outputs (NULL: exactly the node's outputs). */
static void
final (W *w, const OviNode *n, const char *type, const char *version,
    GString *data, int n_in, const Tap *ins, int n_out, Tap *outs)
{
  Tap local[16];
  const char *names[16] = { NULL };
  if (outs == NULL) {
    n_out = MIN (n->n_outputs, 16);
    for (int k = 0; k < n_out; k++)
      local[k] = has_out (n, k) ? out_shape (w, n, k)
          : shape_tap (OVI_DTYPE_FLOAT32, -1, NULL);
    outs = local;
  }
  for (int k = 0; k < n_out && k < 16; k++)
    names[k] = has_out (n, k) ? ovi_graph_value (w->g, n->outputs[k])->name
        : NULL;
  emit (w, type, version, data, n_in, ins, n_out, outs, names);
  for (int k = 0; k < n_out && k < n->n_outputs; k++)
    if (n->outputs[k] >= 0)
      w->taps[n->outputs[k]] = outs[k];
}

/* Output k of the node is the tap t, produced by an earlier layer (a
 * no-op such as Identity writes no layer). */
static void
alias (W *w, const OviNode *n, int k, Tap t)
{
  if (has_out (n, k))
    w->taps[n->outputs[k]] = t;
}

/* A constant of value v reshaped, or a Reshape layer when v is computed. */
static Tap
reshaped (W *w, int v, int rank, const int64_t *dims)
{
  const OviValue *val = ovi_graph_value (w->g, v);
  GString *d;
  if (val->constant)
    return const_tensor (w, val->dtype, rank, dims, val->constant->data,
        NULL);
  d = attrs ();
  a_bool (d, "special_zero", FALSE);
  return op2 (w, "Reshape", "opset1", d, value_tap (w, v),
      c_i64 (w, rank, dims),
      shape_tap (val->dtype, rank, dims));
}

/* An int list from an attribute or (later opsets) a constant input. */
static gboolean
ints_from (W *w, const OviNode *n, const char *attr, int k, int max,
    int *count, int64_t *out, GError **error)
{
  const int64_t *a;
  int na = ovi_node_attr_ints (n, attr, &a);
  *count = -1;
  if (na >= 0) {
    if (na > max)
      return wfail (w, n, error, OVI_ERROR_INVALID, "too many %s", attr);
    memcpy (out, a, sizeof (int64_t) * na);
    *count = na;
    return TRUE;
  }
  if (has_in (n, k)) {
    const OviTensor *t = in_const (w, n, k);
    int64_t numel;
    if (t == NULL)
      return wfail (w, n, error, OVI_ERROR_UNSUPPORTED,
          "input %d (%s) must be constant", k, attr);
    numel = ovi_tensor_numel (t);
    if (numel > max)
      return wfail (w, n, error, OVI_ERROR_INVALID, "too many %s", attr);
    for (int64_t i = 0; i < numel; i++)
      out[i] = ovi_tensor_get_i64 (t, i);
    *count = (int) numel;
  }
  return TRUE;
}

static int
norm_axis (int64_t axis, int rank)
{
  return (int) (axis < 0 ? axis + rank : axis);
}

/* ------------------------------------------------------------------ */
/* Elementwise                                                         */

static const struct {
  const char *onnx, *ir, *version;
} unary_ops[] = {
  { "Abs", "Abs", "opset1" }, { "Acos", "Acos", "opset1" },
  { "Acosh", "Acosh", "opset4" }, { "Asin", "Asin", "opset1" },
  { "Asinh", "Asinh", "opset4" }, { "Atan", "Atan", "opset1" },
  { "Atanh", "Atanh", "opset4" }, { "Ceil", "Ceiling", "opset1" },
  { "Cos", "Cos", "opset1" }, { "Cosh", "Cosh", "opset1" },
  { "Erf", "Erf", "opset1" }, { "Exp", "Exp", "opset1" },
  { "Floor", "Floor", "opset1" }, { "Log", "Log", "opset1" },
  { "Neg", "Negative", "opset1" }, { "Relu", "Relu", "opset1" },
  { "Sigmoid", "Sigmoid", "opset1" }, { "Sign", "Sign", "opset1" },
  { "Sin", "Sin", "opset1" }, { "Sinh", "Sinh", "opset1" },
  { "Sqrt", "Sqrt", "opset1" }, { "Tan", "Tan", "opset1" },
  { "Tanh", "Tanh", "opset1" }, { "Softplus", "SoftPlus", "opset4" },
  { "Softsign", "SoftSign", "opset9" }, { "Mish", "Mish", "opset4" },
  { "HardSwish", "HSwish", "opset4" }, { "Not", "LogicalNot", "opset1" },
  { "BitwiseNot", "BitwiseNot", "opset13" }, { "IsNaN", "IsNaN", "opset10" },
};

static gboolean
wr_unary (W *w, const OviNode *n, GError **error)
{
  for (guint i = 0; i < G_N_ELEMENTS (unary_ops); i++) {
    if (strcmp (unary_ops[i].onnx, n->op_type) == 0) {
      Tap x = in (w, n, 0);
      final (w, n, unary_ops[i].ir, unary_ops[i].version, NULL, 1, &x, 0,
          NULL);
      return TRUE;
    }
  }
  return unsupported (w, n, error, n->op_type);
}

static const struct {
  const char *onnx, *ir, *version;
} binary_ops[] = {
  { "Add", "Add", "opset1" }, { "Sub", "Subtract", "opset1" },
  { "Mul", "Multiply", "opset1" }, { "Equal", "Equal", "opset1" },
  { "Less", "Less", "opset1" }, { "Greater", "Greater", "opset1" },
  { "LessOrEqual", "LessEqual", "opset1" },
  { "GreaterOrEqual", "GreaterEqual", "opset1" },
  { "And", "LogicalAnd", "opset1" }, { "Or", "LogicalOr", "opset1" },
  { "Xor", "LogicalXor", "opset1" },
  { "BitwiseAnd", "BitwiseAnd", "opset13" },
  { "BitwiseOr", "BitwiseOr", "opset13" },
  { "BitwiseXor", "BitwiseXor", "opset13" },
};

static gboolean
wr_binary (W *w, const OviNode *n, GError **error)
{
  for (guint i = 0; i < G_N_ELEMENTS (binary_ops); i++) {
    if (strcmp (binary_ops[i].onnx, n->op_type) == 0) {
      Tap ab[2] = { in (w, n, 0), in (w, n, 1) };
      final (w, n, binary_ops[i].ir, binary_ops[i].version, numpy (), 2, ab,
          0, NULL);
      return TRUE;
    }
  }
  return unsupported (w, n, error, n->op_type);
}

static gboolean
wr_div (W *w, const OviNode *n, GError **error)
{
  Tap ab[2] = { in (w, n, 0), in (w, n, 1) };
  GString *d = numpy ();
  a_bool (d, "m_pythondiv", FALSE);
  final (w, n, "Divide", "opset1", d, 2, ab, 0, NULL);
  return TRUE;
}

static gboolean
wr_pow (W *w, const OviNode *n, GError **error)
{
  Tap ab[2] = { in (w, n, 0), in (w, n, 1) };
  if (ab[1].dtype != ab[0].dtype) {
    GString *d = attrs ();
    a_str (d, "destination_type", element_type (ab[0].dtype));
    ab[1] = op1 (w, "Convert", "opset1", d, ab[1],
        shape_tap (ab[0].dtype, ab[1].rank, ab[1].dims));
  }
  final (w, n, "Power", "opset1", numpy (), 2, ab, 0, NULL);
  return TRUE;
}

static gboolean
wr_mod (W *w, const OviNode *n, GError **error)
{
  Tap ab[2] = { in (w, n, 0), in (w, n, 1) };
  gboolean fmod = ovi_node_attr_int (n, "fmod", 0) != 0;
  final (w, n, fmod ? "Mod" : "FloorMod", "opset1", numpy (), 2, ab, 0, NULL);
  return TRUE;
}

/* Max, Min, Sum, Mean: a chain of binary layers. */
static gboolean
wr_variadic (W *w, const OviNode *n, GError **error)
{
  const char *type = strcmp (n->op_type, "Max") == 0 ? "Maximum"
      : strcmp (n->op_type, "Min") == 0 ? "Minimum" : "Add";
  gboolean mean = strcmp (n->op_type, "Mean") == 0;
  Tap acc;
  int count = 0;
  for (int k = 0; k < n->n_inputs; k++)
    if (has_in (n, k))
      count++;
  if (count == 0)
    return wfail (w, n, error, OVI_ERROR_INVALID, "has no inputs");
  acc = in (w, n, 0);
  if (count == 1 && !mean) {
    alias (w, n, 0, acc);
    return TRUE;
  }
  for (int k = 1; k < n->n_inputs; k++) {
    Tap ab[2];
    gboolean last = k == n->n_inputs - 1 && !mean;
    if (!has_in (n, k))
      continue;
    ab[0] = acc;
    ab[1] = in (w, n, k);
    if (last) {
      final (w, n, type, "opset1", numpy (), 2, ab, 0, NULL);
      return TRUE;
    }
    acc = bin (w, type, ab[0], ab[1], acc.dtype);
  }
  {
    Tap ab[2] = { acc, c_scalar (w, acc.dtype, count, FALSE) };
    GString *d = numpy ();
    a_bool (d, "m_pythondiv", FALSE);
    final (w, n, "Divide", "opset1", d, 2, ab, 0, NULL);
  }
  return TRUE;
}

static gboolean
wr_where (W *w, const OviNode *n, GError **error)
{
  Tap ins[3] = { in (w, n, 0), in (w, n, 1), in (w, n, 2) };
  final (w, n, "Select", "opset1", numpy (), 3, ins, 0, NULL);
  return TRUE;
}

static gboolean
wr_prelu (W *w, const OviNode *n, GError **error)
{
  Tap ins[2];
  const OviValue *x = in_value (w, n, 0), *s = in_value (w, n, 1);
  int64_t dims[OVI_MAX_RANK];
  int rank;
  ins[0] = in (w, n, 0);
  if (x->rank < 0 || s->rank < 0 || s->rank > x->rank)
    return wfail (w, n, error, OVI_ERROR_UNSUPPORTED, "unknown ranks");
  rank = x->rank;
  if (w->opset < 7 && s->rank == 1 && x->rank >= 2
      && s->dims[0] == x->dims[1] && s->dims[0] != x->dims[x->rank - 1]) {
    /* Legacy per-channel slope. */
    for (int i = 0; i < rank; i++)
      dims[i] = i == 1 ? s->dims[0] : 1;
  } else {
    /* Numpy: left-pad to the data's rank so that IR's channel rule for
     * 1-D slopes never applies. */
    for (int i = 0; i < rank; i++)
      dims[i] = i < rank - s->rank ? 1 : s->dims[i - (rank - s->rank)];
  }
  ins[1] = (rank == s->rank) ? in (w, n, 1) : reshaped (w, n->inputs[1],
      rank, dims);
  final (w, n, "PRelu", "opset1", NULL, 2, ins, 0, NULL);
  return TRUE;
}

static gboolean
wr_leaky_relu (W *w, const OviNode *n, GError **error)
{
  Tap ins[2];
  ins[0] = in (w, n, 0);
  ins[1] = c_scalar (w, ins[0].dtype, ovi_node_attr_float (n, "alpha", 0.01f),
      TRUE);
  final (w, n, "PRelu", "opset1", NULL, 2, ins, 0, NULL);
  return TRUE;
}

static gboolean
wr_elu (W *w, const OviNode *n, GError **error)
{
  Tap x = in (w, n, 0);
  GString *d = attrs ();
  a_float (d, "alpha", ovi_node_attr_float (n, "alpha", 1.0f));
  final (w, n, "Elu", "opset1", d, 1, &x, 0, NULL);
  return TRUE;
}

static gboolean
wr_selu (W *w, const OviNode *n, GError **error)
{
  Tap ins[3];
  ins[0] = in (w, n, 0);
  ins[1] = c_scalar (w, ins[0].dtype,
      ovi_node_attr_float (n, "alpha", 1.67326319217681884765625f), TRUE);
  ins[2] = c_scalar (w, ins[0].dtype,
      ovi_node_attr_float (n, "gamma", 1.05070102214813232421875f), TRUE);
  final (w, n, "Selu", "opset1", NULL, 3, ins, 0, NULL);
  return TRUE;
}

static gboolean
wr_hard_sigmoid (W *w, const OviNode *n, GError **error)
{
  Tap ins[3];
  ins[0] = in (w, n, 0);
  ins[1] = c_scalar (w, ins[0].dtype, ovi_node_attr_float (n, "alpha", 0.2f),
      FALSE);
  ins[2] = c_scalar (w, ins[0].dtype, ovi_node_attr_float (n, "beta", 0.5f),
      FALSE);
  final (w, n, "HardSigmoid", "opset1", NULL, 3, ins, 0, NULL);
  return TRUE;
}

static gboolean
wr_thresholded_relu (W *w, const OviNode *n, GError **error)
{
  Tap x = in (w, n, 0), ins[3];
  ins[0] = bin (w, "Greater", x, c_scalar (w, x.dtype,
          ovi_node_attr_float (n, "alpha", 1.0f), FALSE), OVI_DTYPE_BOOL);
  ins[1] = x;
  ins[2] = c_scalar (w, x.dtype, 0, FALSE);
  final (w, n, "Select", "opset1", numpy (), 3, ins, 0, NULL);
  return TRUE;
}

static gboolean
wr_gelu (W *w, const OviNode *n, GError **error)
{
  Tap x = in (w, n, 0);
  const char *approx = ovi_node_attr_string (n, "approximate", "none");
  GString *d = attrs ();
  a_str (d, "approximation_mode", strcmp (approx, "tanh") == 0 ? "TANH"
      : "ERF");
  final (w, n, "Gelu", "opset7", d, 1, &x, 0, NULL);
  return TRUE;
}

static gboolean
wr_round (W *w, const OviNode *n, GError **error)
{
  Tap x = in (w, n, 0);
  GString *d = attrs ();
  a_str (d, "mode", "half_to_even");
  final (w, n, "Round", "opset5", d, 1, &x, 0, NULL);
  return TRUE;
}

static gboolean
wr_reciprocal (W *w, const OviNode *n, GError **error)
{
  Tap ab[2];
  GString *d = numpy ();
  ab[1] = in (w, n, 0);
  ab[0] = c_scalar (w, ab[1].dtype, 1, FALSE);
  a_bool (d, "m_pythondiv", FALSE);
  final (w, n, "Divide", "opset1", d, 2, ab, 0, NULL);
  return TRUE;
}

static gboolean
wr_is_inf (W *w, const OviNode *n, GError **error)
{
  Tap x = in (w, n, 0);
  GString *d = attrs ();
  a_bool (d, "detect_negative", ovi_node_attr_int (n, "detect_negative", 1));
  a_bool (d, "detect_positive", ovi_node_attr_int (n, "detect_positive", 1));
  final (w, n, "IsInf", "opset10", d, 1, &x, 0, NULL);
  return TRUE;
}

static gboolean
wr_clip (W *w, const OviNode *n, GError **error)
{
  Tap x = in (w, n, 0);
  OviDType t = x.dtype;
  gboolean has_lo, has_hi;
  double lo = 0, hi = 0;
  const OviTensor *tlo = NULL, *thi = NULL;

  if (w->opset < 11) {
    has_lo = ovi_node_attr (n, "min") != NULL;
    has_hi = ovi_node_attr (n, "max") != NULL;
    lo = ovi_node_attr_float (n, "min", 0);
    hi = ovi_node_attr_float (n, "max", 0);
    if (!has_lo)
      lo = -G_MAXFLOAT;
    if (!has_hi)
      hi = G_MAXFLOAT;
    has_lo = has_hi = TRUE;
  } else {
    has_lo = has_in (n, 1);
    has_hi = has_in (n, 2);
    tlo = in_const (w, n, 1);
    thi = in_const (w, n, 2);
  }
  /* Both bounds known floats: one Clamp. */
  if (ovi_dtype_is_float (t) && (w->opset < 11
          || (tlo && thi && ovi_tensor_numel (tlo) == 1
              && ovi_tensor_numel (thi) == 1))) {
    if (w->opset >= 11) {
      lo = ovi_tensor_get_f64 (tlo, 0);
      hi = ovi_tensor_get_f64 (thi, 0);
    }
    if (lo <= hi) {
      GString *d = attrs ();
      a_float (d, "min", lo);
      a_float (d, "max", hi);
      final (w, n, "Clamp", "opset1", d, 1, &x, 0, NULL);
      return TRUE;
    }
  }
  /* Otherwise max then min, each bound as a tensor. */
  {
    Tap lo_t, hi_t, ab[2];
    if (w->opset < 11) {
      lo_t = c_scalar (w, t, lo, FALSE);
      hi_t = c_scalar (w, t, hi, FALSE);
    } else {
      lo_t = has_lo ? in (w, n, 1) : x;
      hi_t = has_hi ? in (w, n, 2) : x;
    }
    if (!has_lo && !has_hi) {
      alias (w, n, 0, x);
      return TRUE;
    }
    if (has_lo && has_hi)
      x = bin (w, "Maximum", x, lo_t, t);
    ab[0] = x;
    ab[1] = has_hi ? hi_t : lo_t;
    final (w, n, has_hi ? "Minimum" : "Maximum", "opset1", numpy (), 2, ab, 0,
        NULL);
  }
  return TRUE;
}

static gboolean
wr_cast (W *w, const OviNode *n, GError **error)
{
  Tap x = in (w, n, 0);
  OviDType to = ovi_graph_value (w->g, n->outputs[0])->dtype;
  GString *d;
  if (to == OVI_DTYPE_UNDEFINED)
    to = strcmp (n->op_type, "Cast") == 0
        ? (OviDType) ovi_node_attr_int (n, "to", 0)
        : in_value (w, n, 1)->dtype;
  if (element_type (to) == NULL)
    return wfail (w, n, error, OVI_ERROR_UNSUPPORTED,
        "cast to %s is not supported", ovi_dtype_name (to));
  d = attrs ();
  a_str (d, "destination_type", element_type (to));
  final (w, n, "Convert", "opset1", d, 1, &x, 0, NULL);
  return TRUE;
}

static gboolean
wr_identity (W *w, const OviNode *n, GError **error)
{
  if (strcmp (n->op_type, "Dropout") == 0 && has_out (n, 1))
    return unsupported (w, n, error, "Dropout's mask output");
  alias (w, n, 0, in (w, n, 0));
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Shapes                                                              */

static gboolean
wr_reshape (W *w, const OviNode *n, GError **error)
{
  Tap ab[2];
  Tap out = out_shape (w, n, 0);
  GString *d = attrs ();
  ab[0] = in (w, n, 0);
  if (out.rank >= 0) {
    ab[1] = c_i64 (w, out.rank, out.dims);
    a_bool (d, "special_zero", FALSE);
  } else if (strcmp (n->op_type, "Reshape") == 0 && has_in (n, 1)) {
    ab[1] = in (w, n, 1);
    a_bool (d, "special_zero", ovi_node_attr_int (n, "allowzero", 0) == 0);
  } else {
    g_string_free (d, TRUE);
    return wfail (w, n, error, OVI_ERROR_UNSUPPORTED,
        "output shape unknown at conversion time");
  }
  final (w, n, "Reshape", "opset1", d, 2, ab, 0, NULL);
  return TRUE;
}

static gboolean
wr_transpose (W *w, const OviNode *n, GError **error)
{
  const int64_t *perm;
  int np = ovi_node_attr_ints (n, "perm", &perm);
  Tap ab[2];
  ab[0] = in (w, n, 0);
  if (np < 0) {
    int64_t rev[OVI_MAX_RANK];
    if (ab[0].rank < 0)
      return wfail (w, n, error, OVI_ERROR_UNSUPPORTED, "unknown rank");
    for (int i = 0; i < ab[0].rank; i++)
      rev[i] = ab[0].rank - 1 - i;
    ab[1] = c_i64 (w, ab[0].rank, rev);
  } else {
    ab[1] = c_i64 (w, np, perm);
  }
  final (w, n, "Transpose", "opset1", NULL, 2, ab, 0, NULL);
  return TRUE;
}

static gboolean
wr_concat (W *w, const OviNode *n, GError **error)
{
  Tap *ins = g_new (Tap, MAX (n->n_inputs, 1));
  int k = 0;
  Tap out = out_shape (w, n, 0);
  GString *d = attrs ();
  int64_t axis = ovi_node_attr_int (n, "axis", 0);
  for (int i = 0; i < n->n_inputs; i++)
    if (has_in (n, i))
      ins[k++] = in (w, n, i);
  if (out.rank > 0)
    axis = norm_axis (axis, out.rank);
  a_int (d, "axis", axis);
  final (w, n, "Concat", "opset1", d, k, ins, 0, NULL);
  g_free (ins);
  return TRUE;
}

static gboolean
wr_split (W *w, const OviNode *n, GError **error)
{
  Tap ins[3], outs[16];
  int64_t lengths[16];
  Tap x = in (w, n, 0);
  int axis;
  gboolean static_shapes = TRUE;
  if (n->n_outputs > 16 || x.rank < 0)
    return unsupported (w, n, error, "this Split");
  axis = norm_axis (ovi_node_attr_int (n, "axis", 0), x.rank);
  if (axis < 0 || axis >= x.rank)
    return wfail (w, n, error, OVI_ERROR_INVALID, "axis out of range");
  for (int k = 0; k < n->n_outputs; k++) {
    if (!has_out (n, k))
      return unsupported (w, n, error, "Split with an omitted output");
    outs[k] = out_shape (w, n, k);
    if (outs[k].rank != x.rank)
      static_shapes = FALSE;
    else
      lengths[k] = outs[k].dims[axis];
  }
  ins[0] = x;
  ins[1] = c_i64_scalar (w, axis);
  if (static_shapes) {
    ins[2] = c_i64 (w, n->n_outputs, lengths);
  } else if (w->opset >= 13 && has_in (n, 1)) {
    ins[2] = in (w, n, 1);
  } else if (w->opset < 13 && ovi_node_attr (n, "split")) {
    int cnt;
    if (!ints_from (w, n, "split", 99, 16, &cnt, lengths, error))
      return FALSE;
    ins[2] = c_i64 (w, cnt, lengths);
  } else {
    GString *d = attrs ();
    a_int (d, "num_splits", n->n_outputs);
    final (w, n, "Split", "opset1", d, 2, ins, n->n_outputs, outs);
    return TRUE;
  }
  final (w, n, "VariadicSplit", "opset1", NULL, 3, ins, n->n_outputs, outs);
  return TRUE;
}

static gboolean
wr_squeeze (W *w, const OviNode *n, GError **error)
{
  gboolean squeeze = strcmp (n->op_type, "Squeeze") == 0;
  int64_t axes[OVI_MAX_RANK];
  int na;
  Tap ab[2];
  Tap out = out_shape (w, n, 0);
  if (out.rank >= 0)
    return wr_reshape (w, n, error);
  ab[0] = in (w, n, 0);
  if (has_in (n, 1) && in_const (w, n, 1) == NULL) {
    ab[1] = in (w, n, 1);
    final (w, n, squeeze ? "Squeeze" : "Unsqueeze", "opset1", NULL, 2, ab, 0,
        NULL);
    return TRUE;
  }
  if (!ints_from (w, n, "axes", 1, OVI_MAX_RANK, &na, axes, error))
    return FALSE;
  if (na < 0) {
    if (!squeeze)
      return wfail (w, n, error, OVI_ERROR_INVALID, "has no axes");
    final (w, n, "Squeeze", "opset1", NULL, 1, ab, 0, NULL);
    return TRUE;
  }
  ab[1] = c_i64 (w, na, axes);
  final (w, n, squeeze ? "Squeeze" : "Unsqueeze", "opset1", NULL, 2, ab, 0,
      NULL);
  return TRUE;
}

static gboolean
wr_expand (W *w, const OviNode *n, GError **error)
{
  Tap ab[2];
  Tap out = out_shape (w, n, 0);
  GString *d = attrs ();
  ab[0] = in (w, n, 0);
  if (out.rank >= 0) {
    ab[1] = c_i64 (w, out.rank, out.dims);
    a_str (d, "mode", "numpy");
  } else {
    ab[1] = in (w, n, 1);
    a_str (d, "mode", "bidirectional");
  }
  final (w, n, "Broadcast", "opset3", d, 2, ab, 0, NULL);
  return TRUE;
}

static gboolean
wr_constant_of_shape (W *w, const OviNode *n, GError **error)
{
  Tap ab[2];
  const OviAttr *a = ovi_node_attr (n, "value");
  OviDType t = ovi_graph_value (w->g, n->outputs[0])->dtype;
  GString *d = attrs ();
  if (a && a->t && ovi_tensor_numel (a->t) == 1)
    ab[0] = const_tensor (w, a->t->dtype, 0, NULL, a->t->data, NULL);
  else
    ab[0] = c_scalar (w, t, 0, FALSE);
  ab[1] = in (w, n, 0);
  a_str (d, "mode", "numpy");
  final (w, n, "Broadcast", "opset3", d, 2, ab, 0, NULL);
  return TRUE;
}

static gboolean
wr_tile (W *w, const OviNode *n, GError **error)
{
  Tap ab[2] = { in (w, n, 0), in (w, n, 1) };
  final (w, n, "Tile", "opset1", NULL, 2, ab, 0, NULL);
  return TRUE;
}

static gboolean
wr_shape (W *w, const OviNode *n, GError **error)
{
  Tap x = in (w, n, 0);
  GString *d = attrs ();
  int64_t start = ovi_node_attr_int (n, "start", 0);
  const OviAttr *end = ovi_node_attr (n, "end");
  a_str (d, "output_type", "i64");
  if (start == 0 && end == NULL) {
    final (w, n, "ShapeOf", "opset3", d, 1, &x, 0, NULL);
    return TRUE;
  }
  {
    Tap s = op1 (w, "ShapeOf", "opset3", d, x,
        shape_tap (OVI_DTYPE_INT64, 1, (int64_t[]) { x.rank }));
    int64_t e = end ? end->i : G_MAXINT64, one = 1;
    Tap ins[4] = { s, c_i64 (w, 1, &start), c_i64 (w, 1, &e),
      c_i64 (w, 1, &one) };
    final (w, n, "Slice", "opset8", NULL, 4, ins, 0, NULL);
  }
  return TRUE;
}

static gboolean
wr_size (W *w, const OviNode *n, GError **error)
{
  Tap x = in (w, n, 0), ab[2];
  GString *d = attrs ();
  int64_t zero = 0;
  a_str (d, "output_type", "i64");
  ab[0] = op1 (w, "ShapeOf", "opset3", d, x,
      shape_tap (OVI_DTYPE_INT64, 1, (int64_t[]) { x.rank }));
  ab[1] = c_i64 (w, 1, &zero);
  d = attrs ();
  a_bool (d, "keep_dims", FALSE);
  final (w, n, "ReduceProd", "opset1", d, 2, ab, 0, NULL);
  return TRUE;
}

static gboolean
wr_slice (W *w, const OviNode *n, GError **error)
{
  Tap ins[5];
  int n_in = 4;
  ins[0] = in (w, n, 0);
  if (w->opset < 10) {
    int64_t v[3][OVI_MAX_RANK];
    int cnt[3];
    static const char *const names[3] = { "starts", "ends", "axes" };
    for (int i = 0; i < 3; i++) {
      const int64_t *a;
      cnt[i] = ovi_node_attr_ints (n, names[i], &a);
      if (cnt[i] > OVI_MAX_RANK)
        return wfail (w, n, error, OVI_ERROR_INVALID, "too many %s",
            names[i]);
      if (cnt[i] > 0)
        memcpy (v[i], a, sizeof (int64_t) * cnt[i]);
    }
    if (cnt[0] < 0 || cnt[1] != cnt[0])
      return wfail (w, n, error, OVI_ERROR_INVALID, "bad starts/ends");
    ins[1] = c_i64 (w, cnt[0], v[0]);
    ins[2] = c_i64 (w, cnt[1], v[1]);
    {
      int64_t ones[OVI_MAX_RANK];
      for (int i = 0; i < cnt[0]; i++)
        ones[i] = 1;
      ins[3] = c_i64 (w, cnt[0], ones);
    }
    if (cnt[2] >= 0) {
      ins[4] = c_i64 (w, cnt[2], v[2]);
      n_in = 5;
    }
  } else {
    const OviValue *st = in_value (w, n, 1);
    ins[1] = in (w, n, 1);
    ins[2] = in (w, n, 2);
    if (has_in (n, 4)) {
      ins[3] = in (w, n, 4);
    } else {
      /* Steps default to 1: same length as starts. */
      int64_t len = st->rank == 1 ? st->dims[0] : -1;
      if (len < 0 || len > OVI_MAX_RANK)
        return wfail (w, n, error, OVI_ERROR_UNSUPPORTED,
            "starts of unknown length");
      {
        guint8 ones[OVI_MAX_RANK * 8];
        for (int i = 0; i < len; i++)
          ovi_store_i64 (st->dtype, ones, i, 1);
        ins[3] = const_tensor (w, st->dtype, 1, &len, ones, NULL);
      }
    }
    if (has_in (n, 3)) {
      ins[4] = in (w, n, 3);
      n_in = 5;
    }
  }
  final (w, n, "Slice", "opset8", NULL, n_in, ins, 0, NULL);
  return TRUE;
}

static gboolean
wr_gather (W *w, const OviNode *n, GError **error)
{
  Tap ins[3];
  GString *d = attrs ();
  ins[0] = in (w, n, 0);
  ins[1] = in (w, n, 1);
  ins[2] = c_i64_scalar (w, ovi_node_attr_int (n, "axis", 0));
  a_int (d, "batch_dims", 0);
  final (w, n, "Gather", "opset8", d, 3, ins, 0, NULL);
  return TRUE;
}

static gboolean
wr_gather_elements (W *w, const OviNode *n, GError **error)
{
  Tap ab[2] = { in (w, n, 0), in (w, n, 1) };
  GString *d = attrs ();
  int64_t axis = ovi_node_attr_int (n, "axis", 0);
  if (ab[0].rank > 0)
    axis = norm_axis (axis, ab[0].rank);
  a_int (d, "axis", axis);
  final (w, n, "GatherElements", "opset6", d, 2, ab, 0, NULL);
  return TRUE;
}

static gboolean
wr_gather_nd (W *w, const OviNode *n, GError **error)
{
  Tap ab[2] = { in (w, n, 0), in (w, n, 1) };
  GString *d = attrs ();
  a_int (d, "batch_dims", ovi_node_attr_int (n, "batch_dims", 0));
  final (w, n, "GatherND", "opset8", d, 2, ab, 0, NULL);
  return TRUE;
}

static const char *
ir_reduction (const char *onnx)
{
  if (strcmp (onnx, "none") == 0)
    return "none";
  if (strcmp (onnx, "add") == 0)
    return "sum";
  if (strcmp (onnx, "mul") == 0)
    return "prod";
  if (strcmp (onnx, "min") == 0)
    return "min";
  if (strcmp (onnx, "max") == 0)
    return "max";
  return NULL;
}

static gboolean
wr_scatter_elements (W *w, const OviNode *n, GError **error)
{
  Tap ins[4] = { in (w, n, 0), in (w, n, 1), in (w, n, 2) };
  const char *red = ir_reduction (ovi_node_attr_string (n, "reduction",
          "none"));
  if (red == NULL)
    return unsupported (w, n, error, "this reduction");
  ins[3] = c_i64_scalar (w, ovi_node_attr_int (n, "axis", 0));
  if (strcmp (red, "none") == 0) {
    final (w, n, "ScatterElementsUpdate", "opset3", NULL, 4, ins, 0, NULL);
  } else {
    GString *d = attrs ();
    a_str (d, "reduction", red);
    a_bool (d, "use_init_val", TRUE);
    final (w, n, "ScatterElementsUpdate", "opset12", d, 4, ins, 0, NULL);
  }
  return TRUE;
}

static gboolean
wr_scatter_nd (W *w, const OviNode *n, GError **error)
{
  Tap ins[3] = { in (w, n, 0), in (w, n, 1), in (w, n, 2) };
  const char *red = ir_reduction (ovi_node_attr_string (n, "reduction",
          "none"));
  if (red == NULL)
    return unsupported (w, n, error, "this reduction");
  if (strcmp (red, "none") == 0) {
    final (w, n, "ScatterNDUpdate", "opset3", NULL, 3, ins, 0, NULL);
  } else {
    GString *d = attrs ();
    a_str (d, "reduction", red);
    final (w, n, "ScatterNDUpdate", "opset15", d, 3, ins, 0, NULL);
  }
  return TRUE;
}

static gboolean
wr_pad (W *w, const OviNode *n, GError **error)
{
  const char *mode = ovi_node_attr_string (n, "mode", "constant");
  int64_t pads[2 * OVI_MAX_RANK], full[2 * OVI_MAX_RANK];
  int64_t axes[OVI_MAX_RANK];
  int np, na = -1, rank;
  Tap ins[4];
  GString *d;
  ins[0] = in (w, n, 0);
  rank = ins[0].rank;
  if (rank < 0)
    return wfail (w, n, error, OVI_ERROR_UNSUPPORTED, "unknown rank");
  if (strcmp (mode, "constant") != 0 && strcmp (mode, "edge") != 0
      && strcmp (mode, "reflect") != 0)
    return unsupported (w, n, error, "this pad mode");
  if (w->opset >= 11 && in_const (w, n, 1) == NULL
      && (!has_in (n, 3) || in_const (w, n, 3) == NULL)) {
    /* Computed pads (all axes): begin and end halves by slicing. */
    int64_t zero = 0, r = rank, r2 = 2 * rank, one = 1;
    Tap p = in (w, n, 1), half = shape_tap (p.dtype, 1, &r);
    Tap s1[4] = { p, c_i64 (w, 1, &zero), c_i64 (w, 1, &r),
      c_i64 (w, 1, &one) };
    Tap s2[4] = { p, c_i64 (w, 1, &r), c_i64 (w, 1, &r2),
      c_i64 (w, 1, &one) };
    if (has_in (n, 3))
      return unsupported (w, n, error, "Pad with computed axes");
    ins[1] = op (w, "Slice", "opset8", NULL, 4, s1, half);
    ins[2] = op (w, "Slice", "opset8", NULL, 4, s2, half);
    d = attrs ();
    a_str (d, "pad_mode", mode);
    if (strcmp (mode, "constant") == 0) {
      if (has_in (n, 2)) {
        GString *rd = attrs ();
        a_bool (rd, "special_zero", FALSE);
        ins[3] = op2 (w, "Reshape", "opset1", rd, in (w, n, 2),
            c_i64 (w, 0, NULL), shape_tap (ins[0].dtype, 0, NULL));
      } else {
        ins[3] = c_scalar (w, ins[0].dtype, 0, FALSE);
      }
      final (w, n, "Pad", "opset12", d, 4, ins, 0, NULL);
    } else {
      final (w, n, "Pad", "opset12", d, 3, ins, 0, NULL);
    }
    return TRUE;
  }
  if (!ints_from (w, n, w->opset < 11 ? "paddings" : "pads", 1,
          2 * OVI_MAX_RANK, &np, pads, error))
    return FALSE;
  if (w->opset < 11 && np < 0
      && !ints_from (w, n, "pads", 99, 2 * OVI_MAX_RANK, &np, pads, error))
    return FALSE;
  if (has_in (n, 3) && !ints_from (w, n, "axes", 3, OVI_MAX_RANK, &na, axes,
          error))
    return FALSE;
  if (na < 0) {
    na = rank;
    for (int i = 0; i < rank; i++)
      axes[i] = i;
  }
  if (np != 2 * na)
    return wfail (w, n, error, OVI_ERROR_INVALID, "pads has %d values", np);
  memset (full, 0, sizeof (full));
  for (int i = 0; i < na; i++) {
    int a = norm_axis (axes[i], rank);
    if (a < 0 || a >= rank)
      return wfail (w, n, error, OVI_ERROR_INVALID, "axis out of range");
    full[a] = pads[i];
    full[rank + a] = pads[na + i];
  }
  ins[1] = c_i64 (w, rank, full);
  ins[2] = c_i64 (w, rank, full + rank);
  d = attrs ();
  a_str (d, "pad_mode", mode);
  if (strcmp (mode, "constant") == 0) {
    if (w->opset < 11)
      ins[3] = c_scalar (w, ins[0].dtype, ovi_node_attr_float (n, "value", 0),
          FALSE);
    else if (has_in (n, 2) && in_value (w, n, 2)->rank <= 0)
      ins[3] = in (w, n, 2);
    else if (has_in (n, 2) && in_const (w, n, 2))
      ins[3] = const_tensor (w, ins[0].dtype, 0, NULL,
          in_const (w, n, 2)->data, NULL);
    else if (has_in (n, 2)) {
      GString *r = attrs ();
      a_bool (r, "special_zero", FALSE);
      ins[3] = op2 (w, "Reshape", "opset1", r, in (w, n, 2),
          c_i64 (w, 0, NULL), shape_tap (ins[0].dtype, 0, NULL));
    } else
      ins[3] = c_scalar (w, ins[0].dtype, 0, FALSE);
    final (w, n, "Pad", "opset12", d, 4, ins, 0, NULL);
  } else {
    final (w, n, "Pad", "opset12", d, 3, ins, 0, NULL);
  }
  return TRUE;
}

static gboolean
wr_range (W *w, const OviNode *n, GError **error)
{
  Tap ins[3] = { in (w, n, 0), in (w, n, 1), in (w, n, 2) };
  GString *d = attrs ();
  a_str (d, "output_type", element_type (ins[0].dtype));
  final (w, n, "Range", "opset4", d, 3, ins, 0, NULL);
  return TRUE;
}

static gboolean
wr_depth_to_space (W *w, const OviNode *n, GError **error)
{
  Tap x = in (w, n, 0);
  GString *d = attrs ();
  gboolean d2s = strcmp (n->op_type, "DepthToSpace") == 0;
  const char *mode = ovi_node_attr_string (n, "mode", "DCR");
  a_int (d, "block_size", ovi_node_attr_int (n, "blocksize", 1));
  a_str (d, "mode", !d2s || strcmp (mode, "DCR") == 0 ? "blocks_first"
      : "depth_first");
  final (w, n, n->op_type, "opset1", d, 1, &x, 0, NULL);
  return TRUE;
}

static gboolean
wr_einsum (W *w, const OviNode *n, GError **error)
{
  Tap *ins = g_new (Tap, MAX (n->n_inputs, 1));
  GString *d = attrs ();
  for (int i = 0; i < n->n_inputs; i++)
    ins[i] = in (w, n, i);
  a_str (d, "equation", ovi_node_attr_string (n, "equation", ""));
  final (w, n, "Einsum", "opset7", d, n->n_inputs, ins, 0, NULL);
  g_free (ins);
  return TRUE;
}

static gboolean
wr_cumsum (W *w, const OviNode *n, GError **error)
{
  Tap ab[2];
  GString *d = attrs ();
  const OviTensor *axis = in_const (w, n, 1);
  ab[0] = in (w, n, 0);
  if (axis && ovi_tensor_numel (axis) == 1)
    ab[1] = c_i64_scalar (w, ovi_tensor_get_i64 (axis, 0));
  else
    ab[1] = in (w, n, 1);
  a_bool (d, "exclusive", ovi_node_attr_int (n, "exclusive", 0));
  a_bool (d, "reverse", ovi_node_attr_int (n, "reverse", 0));
  final (w, n, "CumSum", "opset3", d, 2, ab, 0, NULL);
  return TRUE;
}

static gboolean
wr_nonzero (W *w, const OviNode *n, GError **error)
{
  Tap x = in (w, n, 0);
  GString *d = attrs ();
  a_str (d, "output_type", "i64");
  final (w, n, "NonZero", "opset3", d, 1, &x, 0, NULL);
  return TRUE;
}

/* OneHot whose depth or values are computed: depth converted to an i64
 * scalar, on/off gathered from values. */
static gboolean
wr_one_hot_computed (W *w, const OviNode *n, GError **error)
{
  Tap idx = in (w, n, 0), depth = in (w, n, 1), values = in (w, n, 2);
  Tap ins[4], neg, fixed;
  GString *d;
  if (!ovi_dtype_is_signed_int (idx.dtype))
    idx = convert (w, idx, OVI_DTYPE_INT64);
  {
    GString *r = attrs ();
    a_bool (r, "special_zero", FALSE);
    depth = op2 (w, "Reshape", "opset1", r, convert (w, depth,
            OVI_DTYPE_INT64), c_i64 (w, 0, NULL),
        shape_tap (OVI_DTYPE_INT64, 0, NULL));
  }
  neg = bin (w, "Less", idx, c_scalar (w, idx.dtype, 0, FALSE),
      OVI_DTYPE_BOOL);
  fixed = bin (w, "Add", idx, convert (w, depth, idx.dtype), idx.dtype);
  {
    Tap sel[3] = { neg, fixed, idx };
    idx = op (w, "Select", "opset1", numpy (), 3, sel, idx);
  }
  ins[0] = idx;
  ins[1] = depth;
  for (int k = 0; k < 2; k++) {
    GString *g = attrs ();
    Tap gi[3] = { values, c_i64_scalar (w, 1 - k), c_i64_scalar (w, 0) };
    a_int (g, "batch_dims", 0);
    ins[2 + k] = op (w, "Gather", "opset8", g, 3, gi,
        shape_tap (values.dtype, 0, NULL));
  }
  d = attrs ();
  a_int (d, "axis", ovi_node_attr_int (n, "axis", -1));
  final (w, n, "OneHot", "opset1", d, 4, ins, 0, NULL);
  return TRUE;
}

static gboolean
wr_one_hot (W *w, const OviNode *n, GError **error)
{
  Tap idx = in (w, n, 0), ins[4];
  const OviTensor *depth = in_const (w, n, 1), *values = in_const (w, n, 2);
  GString *d;
  int64_t dv;
  Tap neg, fixed;
  if ((depth && ovi_tensor_numel (depth) != 1)
      || (values && ovi_tensor_numel (values) != 2))
    return wfail (w, n, error, OVI_ERROR_INVALID, "bad depth or values");
  if (depth == NULL || values == NULL)
    return wr_one_hot_computed (w, n, error);
  dv = (int64_t) ovi_tensor_get_f64 (depth, 0);
  if (!ovi_dtype_is_signed_int (idx.dtype)) {
    GString *c = attrs ();
    a_str (c, "destination_type", "i64");
    idx = op1 (w, "Convert", "opset1", c, idx,
        shape_tap (OVI_DTYPE_INT64, idx.rank, idx.dims));
  }
  /* Negative indices count from the end in ONNX. */
  neg = bin (w, "Less", idx, c_scalar (w, idx.dtype, 0, FALSE),
      OVI_DTYPE_BOOL);
  fixed = bin (w, "Add", idx, c_scalar (w, idx.dtype, (double) dv, FALSE),
      idx.dtype);
  {
    Tap sel[3] = { neg, fixed, idx };
    idx = op (w, "Select", "opset1", numpy (), 3, sel, idx);
  }
  ins[0] = idx;
  ins[1] = c_i64_scalar (w, dv);
  ins[2] = const_tensor (w, values->dtype, 0, NULL,
      (const guint8 *) values->data + ovi_dtype_size (values->dtype), NULL);
  ins[3] = const_tensor (w, values->dtype, 0, NULL, values->data, NULL);
  d = attrs ();
  a_int (d, "axis", ovi_node_attr_int (n, "axis", -1));
  final (w, n, "OneHot", "opset1", d, 4, ins, 0, NULL);
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Convolution, pooling, normalization                                 */

typedef struct {
  int n_sp;
  int64_t strides[OVI_MAX_RANK], dilations[OVI_MAX_RANK];
  int64_t kernel[OVI_MAX_RANK];
  int64_t pb[OVI_MAX_RANK], pe[OVI_MAX_RANK];
} Geom;

/* Strides, dilations, kernel and explicit pads (auto_pad resolved from
 * the static input shape). x: the input; kernel from weights or the
 * attribute. */
static gboolean
geometry (W *w, const OviNode *n, const Tap *x, const int64_t *kernel,
    int n_sp, Geom *g, GError **error)
{
  const int64_t *a;
  int c;
  const char *auto_pad = ovi_node_attr_string (n, "auto_pad", "NOTSET");
  memset (g, 0, sizeof (*g));
  g->n_sp = n_sp;
  if (n_sp < 1 || n_sp > OVI_MAX_RANK - 2 || x->rank != n_sp + 2)
    return wfail (w, n, error, OVI_ERROR_UNSUPPORTED,
        "input rank unknown or unsupported");
  for (int i = 0; i < n_sp; i++) {
    g->strides[i] = 1;
    g->dilations[i] = 1;
    g->kernel[i] = kernel[i];
  }
  c = ovi_node_attr_ints (n, "strides", &a);
  if (c == n_sp)
    memcpy (g->strides, a, sizeof (int64_t) * n_sp);
  c = ovi_node_attr_ints (n, "dilations", &a);
  if (c == n_sp)
    memcpy (g->dilations, a, sizeof (int64_t) * n_sp);
  if (strcmp (auto_pad, "SAME_UPPER") == 0
      || strcmp (auto_pad, "SAME_LOWER") == 0) {
    for (int i = 0; i < n_sp; i++) {
      int64_t in = x->dims[2 + i], s = g->strides[i];
      int64_t out = s > 0 ? (in + s - 1) / s : in;
      int64_t ext = (g->kernel[i] - 1) * g->dilations[i] + 1;
      int64_t total = MAX ((out - 1) * s + ext - in, 0);
      int64_t small = total / 2;
      if (strcmp (auto_pad, "SAME_UPPER") == 0) {
        g->pb[i] = small;
        g->pe[i] = total - small;
      } else {
        g->pb[i] = total - small;
        g->pe[i] = small;
      }
    }
  } else if (strcmp (auto_pad, "VALID") != 0) {
    c = ovi_node_attr_ints (n, "pads", &a);
    if (c == 2 * n_sp) {
      memcpy (g->pb, a, sizeof (int64_t) * n_sp);
      memcpy (g->pe, a + n_sp, sizeof (int64_t) * n_sp);
    } else if (c >= 0) {
      return wfail (w, n, error, OVI_ERROR_INVALID, "pads has %d values", c);
    }
  }
  return TRUE;
}

static void
geom_attrs (GString *d, const Geom *g, gboolean dilations)
{
  a_ints (d, "strides", g->n_sp, g->strides);
  if (dilations)
    a_ints (d, "dilations", g->n_sp, g->dilations);
  a_ints (d, "pads_begin", g->n_sp, g->pb);
  a_ints (d, "pads_end", g->n_sp, g->pe);
  a_str (d, "auto_pad", "explicit");
}

/* Adds a per-channel bias to a [N, C, ...] result. */
static void
add_bias (W *w, const OviNode *n, Tap y, int bias_value)
{
  const OviValue *b = ovi_graph_value (w->g, bias_value);
  int64_t dims[OVI_MAX_RANK];
  Tap ab[2];
  for (int i = 0; i < y.rank; i++)
    dims[i] = i == 1 ? (b->rank == 1 ? b->dims[0] : y.dims[1]) : 1;
  ab[0] = y;
  ab[1] = reshaped (w, bias_value, y.rank, dims);
  final (w, n, "Add", "opset1", numpy (), 2, ab, 0, NULL);
}

static gboolean
wr_conv (W *w, const OviNode *n, GError **error)
{
  Tap x = in (w, n, 0), wt;
  const OviValue *wv = in_value (w, n, 1);
  int64_t group = ovi_node_attr_int (n, "group", 1);
  Geom g;
  GString *d;
  Tap out = out_shape (w, n, 0);
  if (wv->rank < 3 || out.rank != wv->rank)
    return wfail (w, n, error, OVI_ERROR_UNSUPPORTED,
        "weights or output of unknown shape");
  if (!geometry (w, n, &x, wv->dims + 2, wv->rank - 2, &g, error))
    return FALSE;
  if (group < 1 || wv->dims[0] % group)
    return wfail (w, n, error, OVI_ERROR_INVALID, "bad group");
  if (group > 1) {
    int64_t dims[OVI_MAX_RANK];
    dims[0] = group;
    dims[1] = wv->dims[0] / group;
    for (int i = 1; i < wv->rank; i++)
      dims[i + 1] = wv->dims[i];
    if (wv->rank + 1 > OVI_MAX_RANK)
      return unsupported (w, n, error, "this group convolution");
    wt = reshaped (w, n->inputs[1], wv->rank + 1, dims);
  } else {
    wt = in (w, n, 1);
  }
  d = attrs ();
  geom_attrs (d, &g, TRUE);
  {
    Tap ab[2] = { x, wt };
    const char *type = group > 1 ? "GroupConvolution" : "Convolution";
    if (has_in (n, 2)) {
      Tap y = op (w, type, "opset1", d, 2, ab, out);
      add_bias (w, n, y, n->inputs[2]);
    } else {
      final (w, n, type, "opset1", d, 2, ab, 0, NULL);
    }
  }
  return TRUE;
}

static gboolean
wr_conv_transpose (W *w, const OviNode *n, GError **error)
{
  Tap x = in (w, n, 0), wt;
  const OviValue *wv = in_value (w, n, 1);
  int64_t group = ovi_node_attr_int (n, "group", 1);
  int64_t op_pad[OVI_MAX_RANK] = { 0 };
  const int64_t *a;
  Geom g;
  GString *d;
  Tap out = out_shape (w, n, 0);
  const char *auto_pad = ovi_node_attr_string (n, "auto_pad", "NOTSET");
  int n_sp, c;

  if (wv->rank < 3 || out.rank != wv->rank || x.rank != wv->rank)
    return wfail (w, n, error, OVI_ERROR_UNSUPPORTED,
        "weights or output of unknown shape");
  n_sp = wv->rank - 2;
  memset (&g, 0, sizeof (g));
  g.n_sp = n_sp;
  for (int i = 0; i < n_sp; i++) {
    g.strides[i] = 1;
    g.dilations[i] = 1;
  }
  c = ovi_node_attr_ints (n, "strides", &a);
  if (c == n_sp)
    memcpy (g.strides, a, sizeof (int64_t) * n_sp);
  c = ovi_node_attr_ints (n, "dilations", &a);
  if (c == n_sp)
    memcpy (g.dilations, a, sizeof (int64_t) * n_sp);
  c = ovi_node_attr_ints (n, "output_padding", &a);
  if (c == n_sp)
    memcpy (op_pad, a, sizeof (int64_t) * n_sp);
  c = ovi_node_attr_ints (n, "pads", &a);
  if (c == 2 * n_sp && strcmp (auto_pad, "NOTSET") == 0
      && ovi_node_attr (n, "output_shape") == NULL) {
    memcpy (g.pb, a, sizeof (int64_t) * n_sp);
    memcpy (g.pe, a + n_sp, sizeof (int64_t) * n_sp);
  } else {
    /* Derive the padding from the (planned) output size. */
    for (int i = 0; i < n_sp; i++) {
      int64_t ext = (wv->dims[2 + i] - 1) * g.dilations[i] + 1;
      int64_t total = g.strides[i] * (x.dims[2 + i] - 1) + op_pad[i] + ext
          - out.dims[2 + i];
      if (total < 0) {
        op_pad[i] -= total;
        total = 0;
      }
      if (strcmp (auto_pad, "SAME_UPPER") == 0) {
        g.pb[i] = total / 2;
        g.pe[i] = total - total / 2;
      } else {
        g.pb[i] = total - total / 2;
        g.pe[i] = total / 2;
      }
    }
  }
  if (group < 1 || wv->dims[0] % group)
    return wfail (w, n, error, OVI_ERROR_INVALID, "bad group");
  if (group > 1) {
    int64_t dims[OVI_MAX_RANK];
    if (wv->rank + 1 > OVI_MAX_RANK)
      return unsupported (w, n, error, "this group convolution");
    dims[0] = group;
    dims[1] = wv->dims[0] / group;
    for (int i = 1; i < wv->rank; i++)
      dims[i + 1] = wv->dims[i];
    wt = reshaped (w, n->inputs[1], wv->rank + 1, dims);
  } else {
    wt = in (w, n, 1);
  }
  d = attrs ();
  geom_attrs (d, &g, TRUE);
  a_ints (d, "output_padding", n_sp, op_pad);
  {
    Tap ab[2] = { x, wt };
    const char *type = group > 1 ? "GroupConvolutionBackpropData"
        : "ConvolutionBackpropData";
    if (has_in (n, 2)) {
      Tap y = op (w, type, "opset1", d, 2, ab, out);
      add_bias (w, n, y, n->inputs[2]);
    } else {
      final (w, n, type, "opset1", d, 2, ab, 0, NULL);
    }
  }
  return TRUE;
}

static int64_t
pool_out (int64_t in, int64_t k, int64_t s, int64_t d, int64_t pb,
    int64_t pe, gboolean ceil_mode)
{
  int64_t ext = (k - 1) * d + 1, span = in + pb + pe - ext;
  if (span < 0 || s <= 0)
    return -1;
  return (ceil_mode ? (span + s - 1) / s : span / s) + 1;
}

static gboolean
wr_pool (W *w, const OviNode *n, GError **error)
{
  gboolean max = strcmp (n->op_type, "MaxPool") == 0;
  Tap x = in (w, n, 0);
  Tap out = out_shape (w, n, 0);
  const int64_t *k;
  int nk = ovi_node_attr_ints (n, "kernel_shape", &k);
  gboolean ceil_mode = ovi_node_attr_int (n, "ceil_mode", 0) != 0;
  gboolean dilated = FALSE, torch = FALSE;
  Geom g;
  GString *d;

  if (nk < 1)
    return wfail (w, n, error, OVI_ERROR_INVALID, "no kernel_shape");
  if (!geometry (w, n, &x, k, nk, &g, error))
    return FALSE;
  if (out.rank != x.rank)
    return wfail (w, n, error, OVI_ERROR_UNSUPPORTED, "unknown shapes");
  if (ovi_node_attr_int (n, "storage_order", 0) != 0 && has_out (n, 1))
    return unsupported (w, n, error, "column-major indices");
  for (int i = 0; i < nk; i++) {
    dilated |= g.dilations[i] != 1;
    /* IR's ceil may add a window that starts in the end padding where
     * ONNX's does not: then the planned size tells us. */
    if (ceil_mode && pool_out (x.dims[2 + i], g.kernel[i], g.strides[i],
            g.dilations[i], g.pb[i], g.pe[i], TRUE) != out.dims[2 + i])
      torch = TRUE;
  }
  if (!max && dilated)
    return unsupported (w, n, error, "dilated AveragePool");
  d = attrs ();
  geom_attrs (d, &g, max && (dilated || has_out (n, 1) || torch));
  a_ints (d, "kernel", nk, g.kernel);
  a_str (d, "rounding_type", torch ? "ceil_torch" : ceil_mode ? "ceil"
      : "floor");
  if (max) {
    if (dilated || has_out (n, 1) || torch) {
      Tap outs[2];
      outs[0] = out;
      outs[1] = has_out (n, 1) ? out_shape (w, n, 1)
          : shape_tap (OVI_DTYPE_INT64, out.rank, out.dims);
      a_str (d, "index_element_type", "i64");
      a_int (d, "axis", 0);
      final (w, n, "MaxPool", torch ? "opset14" : "opset8", d, 1, &x, 2,
          outs);
    } else {
      final (w, n, "MaxPool", "opset1", d, 1, &x, 0, NULL);
    }
  } else {
    a_bool (d, "exclude-pad",
        ovi_node_attr_int (n, "count_include_pad", 0) == 0);
    final (w, n, "AvgPool", torch ? "opset14" : "opset1", d, 1, &x, 0, NULL);
  }
  return TRUE;
}

static gboolean
wr_global_pool (W *w, const OviNode *n, GError **error)
{
  Tap x = in (w, n, 0), ab[2];
  int64_t axes[OVI_MAX_RANK];
  GString *d = attrs ();
  if (x.rank < 3) {
    g_string_free (d, TRUE);
    return wfail (w, n, error, OVI_ERROR_UNSUPPORTED, "input rank");
  }
  for (int i = 2; i < x.rank; i++)
    axes[i - 2] = i;
  ab[0] = x;
  ab[1] = c_i64 (w, x.rank - 2, axes);
  a_bool (d, "keep_dims", TRUE);
  final (w, n, strcmp (n->op_type, "GlobalMaxPool") == 0 ? "ReduceMax"
      : "ReduceMean", "opset1", d, 2, ab, 0, NULL);
  return TRUE;
}

static gboolean
wr_batch_norm (W *w, const OviNode *n, GError **error)
{
  Tap ins[5];
  GString *d;
  for (int k = 1; k < n->n_outputs; k++)
    if (has_out (n, k))
      return unsupported (w, n, error, "training-mode BatchNormalization");
  if (ovi_node_attr_int (n, "training_mode", 0))
    return unsupported (w, n, error, "training-mode BatchNormalization");
  for (int k = 0; k < 5; k++)
    ins[k] = in (w, n, k);
  d = attrs ();
  a_float (d, "epsilon", ovi_node_attr_float (n, "epsilon", 1e-5f));
  final (w, n, "BatchNormInference", "opset5", d, 5, ins, 0, NULL);
  return TRUE;
}

/* MVN-6 over axes; the result unnamed. */
static Tap
mvn (W *w, Tap x, int n_axes, const int64_t *axes, double eps,
    gboolean inside)
{
  GString *d = attrs ();
  a_bool (d, "normalize_variance", TRUE);
  a_float (d, "eps", eps);
  a_str (d, "eps_mode", inside ? "inside_sqrt" : "outside_sqrt");
  return op2 (w, "MVN", "opset6", d, x, c_i64 (w, n_axes, axes), x);
}

static gboolean
wr_instance_norm (W *w, const OviNode *n, GError **error)
{
  Tap x = in (w, n, 0), y, ab[2];
  int64_t axes[OVI_MAX_RANK], dims[OVI_MAX_RANK];
  if (x.rank < 3)
    return wfail (w, n, error, OVI_ERROR_UNSUPPORTED, "input rank");
  for (int i = 2; i < x.rank; i++)
    axes[i - 2] = i;
  y = mvn (w, x, x.rank - 2, axes, ovi_node_attr_float (n, "epsilon", 1e-5f),
      TRUE);
  for (int i = 0; i < x.rank; i++)
    dims[i] = i == 1 ? x.dims[1] : 1;
  y = bin (w, "Multiply", y, reshaped (w, n->inputs[1], x.rank, dims),
      x.dtype);
  ab[0] = y;
  ab[1] = reshaped (w, n->inputs[2], x.rank, dims);
  final (w, n, "Add", "opset1", numpy (), 2, ab, 0, NULL);
  return TRUE;
}

static gboolean
wr_layer_norm (W *w, const OviNode *n, GError **error)
{
  Tap x = in (w, n, 0), y;
  int64_t axes[OVI_MAX_RANK];
  int axis;
  if (has_out (n, 1) || has_out (n, 2))
    return wr_layer_norm_full (w, n, error);
  if (x.rank < 1)
    return wfail (w, n, error, OVI_ERROR_UNSUPPORTED, "input rank");
  axis = norm_axis (ovi_node_attr_int (n, "axis", -1), x.rank);
  if (axis < 0 || axis >= x.rank)
    return wfail (w, n, error, OVI_ERROR_INVALID, "axis out of range");
  for (int i = axis; i < x.rank; i++)
    axes[i - axis] = i;
  y = mvn (w, x, x.rank - axis, axes, ovi_node_attr_float (n, "epsilon",
          1e-5f), TRUE);
  if (has_in (n, 2)) {
    Tap ab[2];
    y = bin (w, "Multiply", y, in (w, n, 1), x.dtype);
    ab[0] = y;
    ab[1] = in (w, n, 2);
    final (w, n, "Add", "opset1", numpy (), 2, ab, 0, NULL);
  } else {
    Tap ab[2] = { y, in (w, n, 1) };
    final (w, n, "Multiply", "opset1", numpy (), 2, ab, 0, NULL);
  }
  return TRUE;
}

static gboolean
wr_mvn (W *w, const OviNode *n, GError **error)
{
  Tap x = in (w, n, 0), ab[2];
  int64_t def[3] = { 0, 2, 3 }, axes[OVI_MAX_RANK];
  const int64_t *a;
  int na = ovi_node_attr_ints (n, "axes", &a);
  GString *d = attrs ();
  if (na < 0) {
    a = def;
    na = 3;
  }
  if (na > OVI_MAX_RANK) {
    g_string_free (d, TRUE);
    return wfail (w, n, error, OVI_ERROR_INVALID, "too many axes");
  }
  memcpy (axes, a, sizeof (int64_t) * na);
  ab[0] = x;
  ab[1] = c_i64 (w, na, axes);
  a_bool (d, "normalize_variance", TRUE);
  a_float (d, "eps", 1e-9);
  a_str (d, "eps_mode", "outside_sqrt");
  final (w, n, "MVN", "opset6", d, 2, ab, 0, NULL);
  return TRUE;
}

static gboolean
wr_lrn (W *w, const OviNode *n, GError **error)
{
  Tap ab[2];
  int64_t one = 1;
  GString *d = attrs ();
  ab[0] = in (w, n, 0);
  ab[1] = c_i64 (w, 1, &one);
  a_float (d, "alpha", ovi_node_attr_float (n, "alpha", 1e-4f));
  a_float (d, "beta", ovi_node_attr_float (n, "beta", 0.75f));
  a_float (d, "bias", ovi_node_attr_float (n, "bias", 1.0f));
  a_int (d, "size", ovi_node_attr_int (n, "size", 1));
  final (w, n, "LRN", "opset1", d, 2, ab, 0, NULL);
  return TRUE;
}

static gboolean
wr_lp_norm (W *w, const OviNode *n, GError **error)
{
  Tap x = in (w, n, 0), ab[2], norm;
  int64_t p = ovi_node_attr_int (n, "p", 2);
  int64_t axis;
  GString *d;
  Tap out;
  if ((p != 1 && p != 2) || x.rank < 1)
    return unsupported (w, n, error, "this LpNormalization");
  axis = norm_axis (ovi_node_attr_int (n, "axis", -1), x.rank);
  if (axis < 0 || axis >= x.rank)
    return wfail (w, n, error, OVI_ERROR_INVALID, "axis out of range");
  out = x;
  out.dims[axis] = 1;
  d = attrs ();
  a_bool (d, "keep_dims", TRUE);
  norm = op2 (w, p == 1 ? "ReduceL1" : "ReduceL2", "opset4", d, x,
      c_i64 (w, 1, &axis), out);
  ab[0] = x;
  ab[1] = norm;
  d = numpy ();
  a_bool (d, "m_pythondiv", FALSE);
  final (w, n, "Divide", "opset1", d, 2, ab, 0, NULL);
  return TRUE;
}

static gboolean
wr_softmax (W *w, const OviNode *n, GError **error)
{
  gboolean log = strcmp (n->op_type, "LogSoftmax") == 0;
  Tap x = in (w, n, 0);
  int64_t axis = ovi_node_attr_int (n, "axis", w->opset < 13 ? 1 : -1);
  GString *d = attrs ();
  if (x.rank < 0) {
    g_string_free (d, TRUE);
    return wfail (w, n, error, OVI_ERROR_UNSUPPORTED, "unknown rank");
  }
  axis = x.rank ? norm_axis (axis, x.rank) : 0;
  if (w->opset < 13 && x.rank > 0 && axis != x.rank - 1) {
    /* Opset < 13: softmax over the flattened dimensions from axis on. */
    int64_t two[2] = { 1, 1 };
    Tap flat, y, ab[2];
    for (int i = 0; i < x.rank; i++)
      two[i < axis ? 0 : 1] *= x.dims[i];
    flat = reshaped (w, n->inputs[0], 2, two);
    a_int (d, "axis", 1);
    y = op1 (w, log ? "LogSoftmax" : "Softmax", log ? "opset5" : "opset8", d,
        flat, flat);
    d = attrs ();
    a_bool (d, "special_zero", FALSE);
    ab[0] = y;
    ab[1] = c_i64 (w, x.rank, x.dims);
    final (w, n, "Reshape", "opset1", d, 2, ab, 0, NULL);
    return TRUE;
  }
  a_int (d, "axis", axis);
  final (w, n, log ? "LogSoftmax" : "Softmax", log ? "opset5" : "opset8", d,
      1, &x, 0, NULL);
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* MatMul, reductions, TopK                                            */

static gboolean
wr_matmul (W *w, const OviNode *n, GError **error)
{
  Tap ab[2] = { in (w, n, 0), in (w, n, 1) };
  GString *d = attrs ();
  a_bool (d, "transpose_a", FALSE);
  a_bool (d, "transpose_b", FALSE);
  final (w, n, "MatMul", "opset1", d, 2, ab, 0, NULL);
  return TRUE;
}

static gboolean
wr_gemm (W *w, const OviNode *n, GError **error)
{
  Tap ab[2] = { in (w, n, 0), in (w, n, 1) };
  float alpha = ovi_node_attr_float (n, "alpha", 1.0f);
  float beta = ovi_node_attr_float (n, "beta", 1.0f);
  gboolean has_c = has_in (n, 2) && beta != 0;
  Tap out = out_shape (w, n, 0);
  OviDType t = out.dtype;
  GString *d = attrs ();
  Tap y, c;
  a_bool (d, "transpose_a", ovi_node_attr_int (n, "transA", 0) != 0);
  a_bool (d, "transpose_b", ovi_node_attr_int (n, "transB", 0) != 0);
  if (alpha == 1.0f && !has_c) {
    final (w, n, "MatMul", "opset1", d, 2, ab, 0, NULL);
    return TRUE;
  }
  y = op (w, "MatMul", "opset1", d, 2, ab, out);
  if (alpha != 1.0f) {
    if (!has_c) {
      Tap m[2] = { y, c_scalar (w, t, alpha, FALSE) };
      final (w, n, "Multiply", "opset1", numpy (), 2, m, 0, NULL);
      return TRUE;
    }
    y = bin (w, "Multiply", y, c_scalar (w, t, alpha, FALSE), t);
  }
  c = in (w, n, 2);
  if (beta != 1.0f)
    c = bin (w, "Multiply", c, c_scalar (w, t, beta, FALSE), t);
  {
    Tap s[2] = { y, c };
    final (w, n, "Add", "opset1", numpy (), 2, s, 0, NULL);
  }
  return TRUE;
}

static gboolean
wr_reduce (W *w, const OviNode *n, GError **error)
{
  static const struct {
    const char *onnx, *ir, *version, *pre, *post;
  } ops[] = {
    { "ReduceMean", "ReduceMean", "opset1", NULL, NULL },
    { "ReduceSum", "ReduceSum", "opset1", NULL, NULL },
    { "ReduceMax", "ReduceMax", "opset1", NULL, NULL },
    { "ReduceMin", "ReduceMin", "opset1", NULL, NULL },
    { "ReduceProd", "ReduceProd", "opset1", NULL, NULL },
    { "ReduceL1", "ReduceL1", "opset4", NULL, NULL },
    { "ReduceL2", "ReduceL2", "opset4", NULL, NULL },
    { "ReduceSumSquare", "ReduceSum", "opset1", "Square", NULL },
    { "ReduceLogSum", "ReduceSum", "opset1", NULL, "Log" },
    { "ReduceLogSumExp", "ReduceSum", "opset1", "Exp", "Log" },
  };
  int64_t axes[OVI_MAX_RANK];
  int na, idx = -1;
  Tap x = in (w, n, 0), ab[2];
  gboolean keep = ovi_node_attr_int (n, "keepdims", 1) != 0;
  gboolean axes_input;
  GString *d;
  for (guint i = 0; i < G_N_ELEMENTS (ops); i++)
    if (strcmp (ops[i].onnx, n->op_type) == 0)
      idx = i;
  if (idx < 0 || x.rank < 0)
    return unsupported (w, n, error, n->op_type);
  axes_input = w->opset >= 18 || (w->opset >= 13
      && strcmp (n->op_type, "ReduceSum") == 0);
  if (axes_input && has_in (n, 1) && in_const (w, n, 1) == NULL
      && !(in_value (w, n, 1)->rank == 1 && in_value (w, n, 1)->dims[0] == 0)) {
    Tap y;
    if (ops[idx].pre) {
      if (strcmp (ops[idx].pre, "Square") == 0)
        x = bin (w, "Multiply", x, x, x.dtype);
      else
        x = op1 (w, "Exp", "opset1", NULL, x, x);
    }
    ab[0] = x;
    ab[1] = in (w, n, 1);
    d = attrs ();
    a_bool (d, "keep_dims", keep);
    if (ops[idx].post == NULL) {
      final (w, n, ops[idx].ir, ops[idx].version, d, 2, ab, 0, NULL);
      return TRUE;
    }
    y = op (w, ops[idx].ir, ops[idx].version, d, 2, ab, out_shape (w, n, 0));
    final (w, n, ops[idx].post, "opset1", NULL, 1, &y, 0, NULL);
    return TRUE;
  }
  if (axes_input && has_in (n, 1) && in_const (w, n, 1) == NULL)
    na = 0;                     /* an empty runtime list */
  else if (!ints_from (w, n, "axes", axes_input ? 1 : 99, OVI_MAX_RANK, &na,
          axes, error))
    return FALSE;
  if (na <= 0) {
    if (ovi_node_attr_int (n, "noop_with_empty_axes", 0) && na == 0
        && ops[idx].pre == NULL && ops[idx].post == NULL) {
      alias (w, n, 0, x);
      return TRUE;
    }
    if (!(ovi_node_attr_int (n, "noop_with_empty_axes", 0))) {
      na = x.rank;
      for (int i = 0; i < x.rank; i++)
        axes[i] = i;
    } else {
      na = 0;
    }
  }
  for (int i = 0; i < na; i++)
    axes[i] = norm_axis (axes[i], x.rank);
  if (ops[idx].pre) {
    if (strcmp (ops[idx].pre, "Square") == 0)
      x = bin (w, "Multiply", x, x, x.dtype);
    else
      x = op1 (w, "Exp", "opset1", NULL, x, x);
  }
  ab[0] = x;
  ab[1] = c_i64 (w, na, axes);
  d = attrs ();
  a_bool (d, "keep_dims", keep);
  if (ops[idx].post) {
    Tap y = op (w, ops[idx].ir, ops[idx].version, d, 2, ab,
        out_shape (w, n, 0));
    final (w, n, ops[idx].post, "opset1", NULL, 1, &y, 0, NULL);
  } else {
    final (w, n, ops[idx].ir, ops[idx].version, d, 2, ab, 0, NULL);
  }
  return TRUE;
}

static gboolean
wr_topk (W *w, const OviNode *n, GError **error)
{
  Tap ab[2], outs[2];
  GString *d = attrs ();
  int64_t axis = ovi_node_attr_int (n, "axis", -1);
  ab[0] = in (w, n, 0);
  if (w->opset < 10) {
    ab[1] = c_i64_scalar (w, ovi_node_attr_int (n, "k", 1));
  } else if (in_const (w, n, 1) && ovi_tensor_numel (in_const (w, n, 1))
      == 1) {
    ab[1] = c_i64_scalar (w, ovi_tensor_get_i64 (in_const (w, n, 1), 0));
  } else {
    GString *r = attrs ();
    Tap k = in (w, n, 1);
    a_bool (r, "special_zero", FALSE);
    ab[1] = op2 (w, "Reshape", "opset1", r, k, c_i64 (w, 0, NULL),
        shape_tap (k.dtype, 0, NULL));
  }
  if (ab[0].rank > 0)
    axis = norm_axis (axis, ab[0].rank);
  a_int (d, "axis", axis);
  a_str (d, "mode", ovi_node_attr_int (n, "largest", 1) ? "max" : "min");
  a_str (d, "sort", "value");
  a_str (d, "index_element_type", "i64");
  a_bool (d, "stable", TRUE);
  for (int k = 0; k < 2; k++)
    outs[k] = has_out (n, k) ? out_shape (w, n, k)
        : shape_tap (k ? OVI_DTYPE_INT64 : ab[0].dtype, -1, NULL);
  final (w, n, "TopK", "opset11", d, 2, ab, 2, outs);
  return TRUE;
}

static gboolean
wr_arg (W *w, const OviNode *n, GError **error)
{
  Tap ab[2], outs[2], x = in (w, n, 0);
  GString *d = attrs ();
  int64_t axis;
  gboolean keep = ovi_node_attr_int (n, "keepdims", 1) != 0;
  if (ovi_node_attr_int (n, "select_last_index", 0)) {
    g_string_free (d, TRUE);
    return unsupported (w, n, error, "select_last_index");
  }
  if (x.rank < 1) {
    g_string_free (d, TRUE);
    return wfail (w, n, error, OVI_ERROR_UNSUPPORTED, "input rank");
  }
  axis = norm_axis (ovi_node_attr_int (n, "axis", 0), x.rank);
  ab[0] = x;
  ab[1] = c_i64_scalar (w, 1);
  a_int (d, "axis", axis);
  a_str (d, "mode", strcmp (n->op_type, "ArgMax") == 0 ? "max" : "min");
  a_str (d, "sort", "none");
  a_str (d, "index_element_type", "i64");
  a_bool (d, "stable", TRUE);
  outs[0] = x;
  outs[0].dims[axis] = 1;
  outs[1] = outs[0];
  outs[1].dtype = OVI_DTYPE_INT64;
  emit (w, "TopK", "opset11", d, 2, ab, 2, outs, NULL);
  if (keep) {
    Tap r[2] = { outs[1], c_i64 (w, x.rank, outs[1].dims) };
    GString *rd = attrs ();
    a_bool (rd, "special_zero", FALSE);
    final (w, n, "Reshape", "opset1", rd, 2, r, 0, NULL);
  } else {
    Tap s[2] = { outs[1], c_i64 (w, 1, &axis) };
    final (w, n, "Squeeze", "opset1", NULL, 2, s, 0, NULL);
  }
  return TRUE;
}

static gboolean
wr_nms (W *w, const OviNode *n, GError **error)
{
  Tap ins[5], outs[3];
  GString *d = attrs ();
  int n_in = 2;
  int64_t one = 1;
  int64_t dims_sel[2] = { -1, 3 };
  ins[0] = in (w, n, 0);
  ins[1] = in (w, n, 1);
  for (int k = 2; k < 5 && has_in (n, k); k++) {
    const OviTensor *t = in_const (w, n, k);
    OviDType want = k == 2 ? OVI_DTYPE_INT64 : OVI_DTYPE_FLOAT32;
    if (t == NULL || ovi_tensor_numel (t) != 1)
      ins[k] = in (w, n, k);      /* a 1-element tensor computed at run time */
    else if (want == OVI_DTYPE_INT64)
      ins[k] = c_i64_scalar (w, ovi_tensor_get_i64 (t, 0));
    else
      ins[k] = c_scalar (w, OVI_DTYPE_FLOAT32, ovi_tensor_get_f64 (t, 0),
          FALSE);
    n_in = k + 1;
  }
  a_str (d, "box_encoding", ovi_node_attr_int (n, "center_point_box", 0)
      ? "center" : "corner");
  a_bool (d, "sort_result_descending", FALSE);
  a_str (d, "output_type", "i64");
  outs[0] = shape_tap (OVI_DTYPE_INT64, 2, dims_sel);
  outs[1] = shape_tap (ins[1].dtype, 2, dims_sel);
  outs[2] = shape_tap (OVI_DTYPE_INT64, 1, &one);
  final (w, n, "NonMaxSuppression", "opset9", d, n_in, ins, 3, outs);
  return TRUE;
}

/* One output of the node (k) produced by a single-output layer. */
static void
final_out (W *w, const OviNode *n, int k, const char *type,
    const char *version, GString *data, int n_in, const Tap *ins)
{
  Tap out = out_shape (w, n, k);
  const char *names[1] = { ovi_graph_value (w->g, n->outputs[k])->name };
  emit (w, type, version, data, n_in, ins, 1, &out, names);
  w->taps[n->outputs[k]] = out;
}

static gboolean
wr_layer_norm_full (W *w, const OviNode *n, GError **error)
{
  Tap x = in (w, n, 0), mean, dif, var, inv, y, ab[2];
  int64_t axes[OVI_MAX_RANK];
  int axis;
  GString *d;
  double eps = ovi_node_attr_float (n, "epsilon", 1e-5f);
  Tap red;
  if (x.rank < 1 || !ovi_dtype_is_float (x.dtype))
    return wfail (w, n, error, OVI_ERROR_UNSUPPORTED, "input rank or type");
  axis = norm_axis (ovi_node_attr_int (n, "axis", -1), x.rank);
  if (axis < 0 || axis >= x.rank)
    return wfail (w, n, error, OVI_ERROR_INVALID, "axis out of range");
  for (int i = axis; i < x.rank; i++)
    axes[i - axis] = i;
  red = x;
  for (int i = axis; i < x.rank; i++)
    red.dims[i] = 1;
  d = attrs ();
  a_bool (d, "keep_dims", TRUE);
  ab[0] = x;
  ab[1] = c_i64 (w, x.rank - axis, axes);
  if (has_out (n, 1)) {
    final_out (w, n, 1, "ReduceMean", "opset1", d, 2, ab);
    mean = w->taps[n->outputs[1]];
  } else {
    mean = op (w, "ReduceMean", "opset1", d, 2, ab, red);
  }
  dif = bin (w, "Subtract", x, mean, x.dtype);
  d = attrs ();
  a_bool (d, "keep_dims", TRUE);
  var = op2 (w, "ReduceMean", "opset1", d, bin (w, "Multiply", dif, dif,
          x.dtype), c_i64 (w, x.rank - axis, axes), red);
  var = op1 (w, "Sqrt", "opset1", NULL, bin (w, "Add", var,
          c_scalar (w, x.dtype, eps, FALSE), x.dtype), red);
  ab[0] = c_scalar (w, x.dtype, 1, FALSE);
  ab[1] = var;
  d = numpy ();
  a_bool (d, "m_pythondiv", FALSE);
  if (has_out (n, 2)) {
    final_out (w, n, 2, "Divide", "opset1", d, 2, ab);
    inv = w->taps[n->outputs[2]];
  } else {
    inv = op (w, "Divide", "opset1", d, 2, ab, red);
  }
  y = bin (w, "Multiply", bin (w, "Multiply", dif, inv, x.dtype), in (w, n, 1),
      x.dtype);
  if (has_in (n, 2)) {
    ab[0] = y;
    ab[1] = in (w, n, 2);
    final_out (w, n, 0, "Add", "opset1", numpy (), 2, ab);
  } else {
    w->taps[n->outputs[0]] = y;
    /* Named through the Result's copy when it is a graph output. */
  }
  return TRUE;
}

/* Scale/zero point per tensor or along `axis`: shaped to broadcast. */
static Tap
per_axis (W *w, const OviNode *n, int k, int rank, int axis)
{
  const OviValue *v = in_value (w, n, k);
  int64_t dims[OVI_MAX_RANK];
  if (v->rank != 1 || rank < 2)
    return in (w, n, k);
  for (int i = 0; i < rank; i++)
    dims[i] = i == axis ? v->dims[0] : 1;
  return reshaped (w, n->inputs[k], rank, dims);
}

static gboolean
int_range (OviDType t, double *lo, double *hi)
{
  switch (t) {
    case OVI_DTYPE_UINT8: *lo = 0; *hi = 255; return TRUE;
    case OVI_DTYPE_INT8: *lo = -128; *hi = 127; return TRUE;
    case OVI_DTYPE_UINT16: *lo = 0; *hi = 65535; return TRUE;
    case OVI_DTYPE_INT16: *lo = -32768; *hi = 32767; return TRUE;
    case OVI_DTYPE_INT32: *lo = -2147483648.0; *hi = 2147483647.0;
      return TRUE;
    case OVI_DTYPE_UINT32: *lo = 0; *hi = 4294967295.0; return TRUE;
    default: return FALSE;
  }
}

static gboolean
wr_quantize (W *w, const OviNode *n, GError **error)
{
  Tap x = in (w, n, 0), q, ab[2];
  OviDType to = ovi_graph_value (w->g, n->outputs[0])->dtype;
  int axis;
  double lo, hi;
  GString *d;
  if (!ovi_dtype_is_float (x.dtype) || x.rank < 0 || !int_range (to, &lo, &hi))
    return unsupported (w, n, error, "this QuantizeLinear");
  axis = x.rank ? norm_axis (ovi_node_attr_int (n, "axis", 1), x.rank) : 0;
  d = numpy ();
  a_bool (d, "m_pythondiv", FALSE);
  ab[0] = x;
  ab[1] = convert (w, per_axis (w, n, 1, x.rank, axis), x.dtype);
  q = op (w, "Divide", "opset1", d, 2, ab, x);
  d = attrs ();
  a_str (d, "mode", "half_to_even");
  q = op1 (w, "Round", "opset5", d, q, x);
  if (has_in (n, 2))
    q = bin (w, "Add", q, convert (w, per_axis (w, n, 2, x.rank, axis),
            x.dtype), x.dtype);
  d = attrs ();
  a_float (d, "min", lo);
  a_float (d, "max", hi);
  q = op1 (w, "Clamp", "opset1", d, q, q);
  d = attrs ();
  a_str (d, "destination_type", element_type (to));
  final (w, n, "Convert", "opset1", d, 1, &q, 0, NULL);
  return TRUE;
}

static gboolean
wr_dequantize (W *w, const OviNode *n, GError **error)
{
  Tap x = in (w, n, 0), y, ab[2];
  OviDType to = ovi_graph_value (w->g, n->outputs[0])->dtype;
  int axis;
  if (!ovi_dtype_is_float (to) || x.rank < 0)
    return unsupported (w, n, error, "this DequantizeLinear");
  axis = x.rank ? norm_axis (ovi_node_attr_int (n, "axis", 1), x.rank) : 0;
  y = convert (w, x, to);
  if (has_in (n, 2))
    y = bin (w, "Subtract", y, convert (w, per_axis (w, n, 2, x.rank, axis),
            to), to);
  ab[0] = y;
  ab[1] = per_axis (w, n, 1, x.rank, axis);
  final (w, n, "Multiply", "opset1", numpy (), 2, ab, 0, NULL);
  return TRUE;
}

static gboolean
wr_hardmax (W *w, const OviNode *n, GError **error)
{
  Tap x = in (w, n, 0), src, idx, outs[2], ins[4], y;
  int64_t axis, two[2] = { 1, 1 };
  GString *d;
  gboolean flat;
  if (x.rank < 1)
    return wfail (w, n, error, OVI_ERROR_UNSUPPORTED, "input rank");
  axis = norm_axis (ovi_node_attr_int (n, "axis", w->opset < 13 ? 1 : -1),
      x.rank);
  if (axis < 0 || axis >= x.rank)
    return wfail (w, n, error, OVI_ERROR_INVALID, "axis out of range");
  flat = w->opset < 13 && axis != x.rank - 1;
  src = x;
  if (flat) {
    for (int i = 0; i < x.rank; i++)
      two[i < axis ? 0 : 1] *= x.dims[i];
    src = reshaped (w, n->inputs[0], 2, two);
    axis = 1;
  }
  d = attrs ();
  a_int (d, "axis", axis);
  a_str (d, "mode", "max");
  a_str (d, "sort", "none");
  a_str (d, "index_element_type", "i64");
  a_bool (d, "stable", TRUE);
  ins[0] = src;
  ins[1] = c_i64_scalar (w, 1);
  outs[0] = src;
  outs[0].dims[axis] = 1;
  outs[1] = outs[0];
  outs[1].dtype = OVI_DTYPE_INT64;
  emit (w, "TopK", "opset11", d, 2, ins, 2, outs, NULL);
  idx = outs[1];
  {
    Tap sq[2] = { idx, c_i64 (w, 1, &axis) };
    Tap shape = idx;
    shape.rank--;
    for (int i = axis; i < shape.rank; i++)
      shape.dims[i] = shape.dims[i + 1];
    idx = op (w, "Squeeze", "opset1", NULL, 2, sq, shape);
  }
  ins[0] = idx;
  ins[1] = c_i64_scalar (w, src.dims[axis]);
  ins[2] = c_scalar (w, x.dtype, 1, FALSE);
  ins[3] = c_scalar (w, x.dtype, 0, FALSE);
  d = attrs ();
  a_int (d, "axis", axis);
  if (!flat) {
    final (w, n, "OneHot", "opset1", d, 4, ins, 0, NULL);
    return TRUE;
  }
  y = op (w, "OneHot", "opset1", d, 4, ins, src);
  {
    GString *r = attrs ();
    Tap ab[2] = { y, c_i64 (w, x.rank, x.dims) };
    a_bool (r, "special_zero", FALSE);
    final (w, n, "Reshape", "opset1", r, 2, ab, 0, NULL);
  }
  return TRUE;
}

static gboolean
wr_shrink (W *w, const OviNode *n, GError **error)
{
  Tap x = in (w, n, 0), ins[3], inner;
  double lambd = ovi_node_attr_float (n, "lambd", 0.5f);
  double bias = ovi_node_attr_float (n, "bias", 0.0f);
  Tap zero = c_scalar (w, x.dtype, 0, FALSE);
  Tap b = c_scalar (w, x.dtype, bias, FALSE);
  ins[0] = bin (w, "Greater", x, c_scalar (w, x.dtype, lambd, FALSE),
      OVI_DTYPE_BOOL);
  ins[1] = bin (w, "Subtract", x, b, x.dtype);
  ins[2] = zero;
  inner = op (w, "Select", "opset1", numpy (), 3, ins, x);
  ins[0] = bin (w, "Less", x, c_scalar (w, x.dtype, -lambd, FALSE),
      OVI_DTYPE_BOOL);
  ins[1] = bin (w, "Add", x, b, x.dtype);
  ins[2] = inner;
  final (w, n, "Select", "opset1", numpy (), 3, ins, 0, NULL);
  return TRUE;
}

static gboolean
wr_celu (W *w, const OviNode *n, GError **error)
{
  Tap x = in (w, n, 0), e, ab[2];
  double alpha = ovi_node_attr_float (n, "alpha", 1.0f);
  GString *d = numpy ();
  Tap a = c_scalar (w, x.dtype, alpha, FALSE);
  Tap zero = c_scalar (w, x.dtype, 0, FALSE);
  a_bool (d, "m_pythondiv", FALSE);
  e = op2 (w, "Divide", "opset1", d, x, a, x);
  e = op1 (w, "Exp", "opset1", NULL, e, x);
  e = bin (w, "Multiply", bin (w, "Subtract", e, c_scalar (w, x.dtype, 1,
              FALSE), x.dtype), a, x.dtype);
  ab[0] = bin (w, "Maximum", x, zero, x.dtype);
  ab[1] = bin (w, "Minimum", e, zero, x.dtype);
  final (w, n, "Add", "opset1", numpy (), 2, ab, 0, NULL);
  return TRUE;
}

static gboolean
wr_roi_align (W *w, const OviNode *n, GError **error)
{
  Tap ins[3] = { in (w, n, 0), in (w, n, 1), in (w, n, 2) };
  const char *ctm = ovi_node_attr_string (n, "coordinate_transformation_mode",
      w->opset < 16 ? "output_half_pixel" : "half_pixel");
  GString *d = attrs ();
  a_int (d, "pooled_h", ovi_node_attr_int (n, "output_height", 1));
  a_int (d, "pooled_w", ovi_node_attr_int (n, "output_width", 1));
  a_int (d, "sampling_ratio", ovi_node_attr_int (n, "sampling_ratio", 0));
  a_float (d, "spatial_scale", ovi_node_attr_float (n, "spatial_scale", 1.0f));
  a_str (d, "mode", ovi_node_attr_string (n, "mode", "avg"));
  a_str (d, "aligned_mode", strcmp (ctm, "half_pixel") == 0 ? "half_pixel"
      : "asymmetric");
  final (w, n, "ROIAlign", "opset9", d, 3, ins, 0, NULL);
  return TRUE;
}

static gboolean
wr_reverse_sequence (W *w, const OviNode *n, GError **error)
{
  Tap ab[2] = { in (w, n, 0), in (w, n, 1) };
  GString *d = attrs ();
  a_int (d, "batch_axis", ovi_node_attr_int (n, "batch_axis", 1));
  a_int (d, "seq_axis", ovi_node_attr_int (n, "time_axis", 0));
  final (w, n, "ReverseSequence", "opset1", d, 2, ab, 0, NULL);
  return TRUE;
}

static gboolean
wr_grid_sample (W *w, const OviNode *n, GError **error)
{
  Tap ab[2] = { in (w, n, 0), in (w, n, 1) };
  GString *d = attrs ();
  const char *mode = ovi_node_attr_string (n, "mode", "bilinear");
  if (strcmp (mode, "linear") == 0)
    mode = "bilinear";
  else if (strcmp (mode, "cubic") == 0)
    mode = "bicubic";
  a_bool (d, "align_corners", ovi_node_attr_int (n, "align_corners", 0));
  a_str (d, "mode", mode);
  a_str (d, "padding_mode", ovi_node_attr_string (n, "padding_mode",
          "zeros"));
  final (w, n, "GridSample", "opset9", d, 2, ab, 0, NULL);
  return TRUE;
}

static gboolean
wr_unique (W *w, const OviNode *n, GError **error)
{
  Tap ins[2], outs[4];
  int n_in = 1;
  GString *d = attrs ();
  const OviAttr *axis = ovi_node_attr (n, "axis");
  ins[0] = in (w, n, 0);
  if (axis) {
    ins[1] = c_i64_scalar (w, axis->i);
    n_in = 2;
  }
  a_bool (d, "sorted", ovi_node_attr_int (n, "sorted", 1) != 0);
  a_str (d, "index_element_type", "i64");
  a_str (d, "count_element_type", "i64");
  for (int k = 0; k < 4; k++)
    outs[k] = has_out (n, k) ? out_shape (w, n, k)
        : shape_tap (k ? OVI_DTYPE_INT64 : ins[0].dtype, -1, NULL);
  final (w, n, "Unique", "opset10", d, n_in, ins, 4, outs);
  return TRUE;
}

static gboolean
wr_eye_like (W *w, const OviNode *n, GError **error)
{
  Tap x = in (w, n, 0), ins[3];
  OviDType t = ovi_graph_value (w->g, n->outputs[0])->dtype;
  GString *d;
  if (x.rank != 2 || element_type (t) == NULL)
    return unsupported (w, n, error, "this EyeLike");
  ins[0] = c_i64_scalar (w, x.dims[0]);
  ins[1] = c_i64_scalar (w, x.dims[1]);
  ins[2] = c_i64_scalar (w, ovi_node_attr_int (n, "k", 0));
  d = attrs ();
  a_str (d, "output_type", element_type (t));
  final (w, n, "Eye", "opset9", d, 3, ins, 0, NULL);
  return TRUE;
}

static gboolean
wr_bitshift (W *w, const OviNode *n, GError **error)
{
  Tap ab[2] = { in (w, n, 0), in (w, n, 1) };
  gboolean left = strcmp (ovi_node_attr_string (n, "direction", ""),
      "LEFT") == 0;
  final (w, n, left ? "BitwiseLeftShift" : "BitwiseRightShift", "opset15",
      numpy (), 2, ab, 0, NULL);
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Resize                                                              */

static gboolean
wr_resize (W *w, const OviNode *n, GError **error)
{
  gboolean upsample = strcmp (n->op_type, "Upsample") == 0;
  const char *mode = ovi_node_attr_string (n, "mode", "nearest");
  const char *ctm = ovi_node_attr_string (n,
      "coordinate_transformation_mode", "half_pixel");
  const char *nm = ovi_node_attr_string (n, "nearest_mode",
      "round_prefer_floor");
  const char *policy = ovi_node_attr_string (n, "keep_aspect_ratio_policy",
      "stretch");
  Tap x = in (w, n, 0), ins[3];
  const int64_t *axes_attr;
  int n_axes_attr = ovi_node_attr_ints (n, "axes", &axes_attr);
  int64_t axes[OVI_MAX_RANK];
  int na, scales_k = -1, sizes_k = -1;
  gboolean use_sizes;
  GString *d;

  if (x.rank < 1)
    return wfail (w, n, error, OVI_ERROR_UNSUPPORTED, "unknown input rank");
  if (upsample || w->opset < 11) {
    /* Upsample and Resize-10: asymmetric coordinates, floor for nearest. */
    ctm = "asymmetric";
    nm = "floor";
    scales_k = 1;
  } else {
    scales_k = 2;
    sizes_k = 3;
  }
  if (strcmp (ctm, "tf_crop_and_resize") == 0)
    return unsupported (w, n, error, "tf_crop_and_resize");
  if (ovi_node_attr_int (n, "exclude_outside", 0))
    return unsupported (w, n, error, "exclude_outside");
  if (strcmp (policy, "stretch") != 0)
    return unsupported (w, n, error, "keep_aspect_ratio_policy");
  if (upsample && w->opset < 9) {
    const float *f;
    int nf = ovi_node_attr_floats (n, "scales", &f);
    int64_t dims[1];
    if (nf != x.rank)
      return wfail (w, n, error, OVI_ERROR_INVALID, "bad scales");
    dims[0] = nf;
    ins[1] = const_tensor (w, OVI_DTYPE_FLOAT32, 1, dims, f, NULL);
    use_sizes = FALSE;
  } else {
    const OviTensor *sc = in_const (w, n, scales_k);
    gboolean has_scales = has_in (n, scales_k)
        && !(sc && ovi_tensor_numel (sc) == 0);
    use_sizes = sizes_k >= 0 && has_in (n, sizes_k);
    if (!use_sizes && !has_scales)
      return wfail (w, n, error, OVI_ERROR_INVALID, "needs scales or sizes");
    ins[1] = in (w, n, use_sizes ? sizes_k : scales_k);
  }
  if (n_axes_attr >= 0) {
    if (n_axes_attr > OVI_MAX_RANK)
      return wfail (w, n, error, OVI_ERROR_INVALID, "too many axes");
    na = n_axes_attr;
    for (int i = 0; i < na; i++)
      axes[i] = norm_axis (axes_attr[i], x.rank);
  } else {
    na = x.rank;
    for (int i = 0; i < na; i++)
      axes[i] = i;
  }
  ins[0] = x;
  ins[2] = c_i64 (w, na, axes);
  d = attrs ();
  if (strcmp (mode, "nearest") == 0)
    a_str (d, "mode", "nearest");
  else if (strcmp (mode, "linear") == 0 || strcmp (mode, "bilinear") == 0)
    a_str (d, "mode", ovi_node_attr_int (n, "antialias", 0) ? "linear"
        : "linear_onnx");
  else if (strcmp (mode, "cubic") == 0)
    a_str (d, "mode", "cubic");
  else {
    g_string_free (d, TRUE);
    return unsupported (w, n, error, "this resize mode");
  }
  a_str (d, "shape_calculation_mode", use_sizes ? "sizes" : "scales");
  a_str (d, "coordinate_transformation_mode", ctm);
  a_str (d, "nearest_mode", nm);
  a_bool (d, "antialias", ovi_node_attr_int (n, "antialias", 0) != 0);
  a_float (d, "cube_coeff", ovi_node_attr_float (n, "cubic_coeff_a", -0.75f));
  a_ints (d, "pads_begin", 1, (int64_t[]) { 0 });
  a_ints (d, "pads_end", 1, (int64_t[]) { 0 });
  final (w, n, "Interpolate", "opset11", d, 3, ins, 0, NULL);
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Driver                                                              */

static const struct {
  const char *op;
  Writer fn;
} writers[] = {
  { "Abs", wr_unary }, { "Acos", wr_unary }, { "Acosh", wr_unary },
  { "Asin", wr_unary }, { "Asinh", wr_unary }, { "Atan", wr_unary },
  { "Atanh", wr_unary }, { "Ceil", wr_unary }, { "Cos", wr_unary },
  { "Cosh", wr_unary }, { "Erf", wr_unary }, { "Exp", wr_unary },
  { "Floor", wr_unary }, { "Log", wr_unary }, { "Neg", wr_unary },
  { "Relu", wr_unary }, { "Sigmoid", wr_unary }, { "Sign", wr_unary },
  { "Sin", wr_unary }, { "Sinh", wr_unary }, { "Sqrt", wr_unary },
  { "Tan", wr_unary }, { "Tanh", wr_unary }, { "Softplus", wr_unary },
  { "Softsign", wr_unary }, { "Mish", wr_unary }, { "HardSwish", wr_unary },
  { "Not", wr_unary }, { "BitwiseNot", wr_unary }, { "IsNaN", wr_unary },
  { "Add", wr_binary }, { "Sub", wr_binary }, { "Mul", wr_binary },
  { "Equal", wr_binary }, { "Less", wr_binary }, { "Greater", wr_binary },
  { "LessOrEqual", wr_binary }, { "GreaterOrEqual", wr_binary },
  { "And", wr_binary }, { "Or", wr_binary }, { "Xor", wr_binary },
  { "BitwiseAnd", wr_binary }, { "BitwiseOr", wr_binary },
  { "BitwiseXor", wr_binary },
  { "Div", wr_div }, { "Pow", wr_pow }, { "Mod", wr_mod },
  { "Max", wr_variadic }, { "Min", wr_variadic }, { "Sum", wr_variadic },
  { "Mean", wr_variadic }, { "Where", wr_where },
  { "PRelu", wr_prelu }, { "LeakyRelu", wr_leaky_relu }, { "Elu", wr_elu },
  { "Selu", wr_selu }, { "HardSigmoid", wr_hard_sigmoid },
  { "ThresholdedRelu", wr_thresholded_relu }, { "Gelu", wr_gelu },
  { "Round", wr_round }, { "Reciprocal", wr_reciprocal },
  { "IsInf", wr_is_inf }, { "Clip", wr_clip },
  { "Cast", wr_cast }, { "CastLike", wr_cast },
  { "Identity", wr_identity }, { "Dropout", wr_identity },
  { "Reshape", wr_reshape }, { "Flatten", wr_reshape },
  { "Squeeze", wr_squeeze }, { "Unsqueeze", wr_squeeze },
  { "Transpose", wr_transpose }, { "Concat", wr_concat },
  { "Split", wr_split }, { "Expand", wr_expand },
  { "ConstantOfShape", wr_constant_of_shape }, { "Tile", wr_tile },
  { "Shape", wr_shape }, { "Size", wr_size }, { "Slice", wr_slice },
  { "Gather", wr_gather }, { "GatherElements", wr_gather_elements },
  { "GatherND", wr_gather_nd }, { "ScatterElements", wr_scatter_elements },
  { "Scatter", wr_scatter_elements }, { "ScatterND", wr_scatter_nd },
  { "Pad", wr_pad }, { "Range", wr_range },
  { "DepthToSpace", wr_depth_to_space }, { "SpaceToDepth", wr_depth_to_space },
  { "Einsum", wr_einsum }, { "CumSum", wr_cumsum },
  { "NonZero", wr_nonzero }, { "OneHot", wr_one_hot },
  { "Conv", wr_conv }, { "ConvTranspose", wr_conv_transpose },
  { "MaxPool", wr_pool }, { "AveragePool", wr_pool },
  { "GlobalAveragePool", wr_global_pool }, { "GlobalMaxPool", wr_global_pool },
  { "BatchNormalization", wr_batch_norm },
  { "InstanceNormalization", wr_instance_norm },
  { "LayerNormalization", wr_layer_norm },
  { "MeanVarianceNormalization", wr_mvn }, { "LRN", wr_lrn },
  { "LpNormalization", wr_lp_norm },
  { "Softmax", wr_softmax }, { "LogSoftmax", wr_softmax },
  { "MatMul", wr_matmul }, { "Gemm", wr_gemm },
  { "ReduceMean", wr_reduce }, { "ReduceSum", wr_reduce },
  { "ReduceMax", wr_reduce }, { "ReduceMin", wr_reduce },
  { "ReduceProd", wr_reduce }, { "ReduceL1", wr_reduce },
  { "ReduceL2", wr_reduce }, { "ReduceSumSquare", wr_reduce },
  { "ReduceLogSum", wr_reduce }, { "ReduceLogSumExp", wr_reduce },
  { "TopK", wr_topk }, { "ArgMax", wr_arg }, { "ArgMin", wr_arg },
  { "NonMaxSuppression", wr_nms },
  { "Resize", wr_resize }, { "Upsample", wr_resize },
  { "QuantizeLinear", wr_quantize }, { "DequantizeLinear", wr_dequantize },
  { "Hardmax", wr_hardmax }, { "Shrink", wr_shrink }, { "Celu", wr_celu },
  { "RoiAlign", wr_roi_align }, { "ReverseSequence", wr_reverse_sequence },
  { "GridSample", wr_grid_sample }, { "Unique", wr_unique },
  { "EyeLike", wr_eye_like }, { "BitShift", wr_bitshift },
};

static gboolean
write_node (W *w, const OviNode *n, GError **error)
{
  Writer fn = NULL;
  if (n->domain[0] && strcmp (n->domain, "ai.onnx") != 0)
    return unsupported (w, n, error, "a custom-domain op");
  for (guint i = 0; i < G_N_ELEMENTS (writers); i++)
    if (strcmp (writers[i].op, n->op_type) == 0)
      fn = writers[i].fn;
  if (fn == NULL)
    return unsupported (w, n, error, n->op_type);
  for (int k = 0; k < n->n_inputs; k++)
    if (n->inputs[k] >= 0) {
      const OviValue *v = ovi_graph_value (w->g, n->inputs[k]);
      if (element_type (v->dtype) == NULL && v->dtype != OVI_DTYPE_UNDEFINED)
        return wfail (w, n, error, OVI_ERROR_UNSUPPORTED,
            "input %d has type %s", k, ovi_dtype_name (v->dtype));
    }
  w->node = n;
  w->n_sub = 0;
  if (!fn (w, n, error))
    return FALSE;
  if (w->err) {
    g_propagate_prefixed_error (error, w->err, "node '%s' (%s): ", n->name,
        n->op_type);
    w->err = NULL;
    return FALSE;
  }
  w->node = NULL;
  return TRUE;
}

static gboolean
write_files (const char *xml_path, const char *name, W *w, GError **error)
{
  GString *x = g_string_new ("<?xml version=\"1.0\"?>\n");
  char *bin_path, *ename = g_markup_escape_text (name, -1);
  GError *err = NULL;
  gboolean ok;

  g_string_append_printf (x, "<net name=\"%s\" version=\"11\">\n", ename);
  g_free (ename);
  g_string_append (x, "\t<layers>\n");
  g_string_append_len (x, w->layers->str, w->layers->len);
  g_string_append (x, "\t</layers>\n\t<edges>\n");
  g_string_append_len (x, w->edges->str, w->edges->len);
  g_string_append (x, "\t</edges>\n\t<rt_info />\n</net>\n");

  if (g_str_has_suffix (xml_path, ".xml"))
    bin_path = g_strdup_printf ("%.*s.bin", (int) strlen (xml_path) - 4,
        xml_path);
  else
    bin_path = g_strconcat (xml_path, ".bin", NULL);
  ok = g_file_set_contents (bin_path, (const char *) w->bin->data,
      w->bin->len, &err)
      && g_file_set_contents (xml_path, x->str, x->len, &err);
  if (!ok) {
    g_set_error (error, OVI_ERROR, OVI_ERROR_IO, "cannot write %s: %s",
        xml_path, err->message);
    g_error_free (err);
  }
  g_free (bin_path);
  g_string_free (x, TRUE);
  return ok;
}

/* The planner folds only nodes whose inputs are all constant; Shape and
 * Size of a tensor whose shape is static are constant too. Turns those
 * nodes of `work` into constants; returns how many. */
static int
fold_static_shapes (OviGraph *work, const OviPlan *plan)
{
  const OviGraph *g = plan->graph;
  int folded = 0;
  for (int s = 0; s < plan->n_steps; s++) {
    const OviNode *n = plan->steps[s].node;
    gboolean is_shape = strcmp (n->op_type, "Shape") == 0;
    const OviValue *x;
    OviTensor *t;
    int v;
    if ((!is_shape && strcmp (n->op_type, "Size") != 0) || n->n_inputs != 1
        || n->n_outputs != 1 || n->inputs[0] < 0 || n->outputs[0] < 0
        || n->domain[0])
      continue;
    x = ovi_graph_value (g, n->inputs[0]);
    if (x->rank < 0 || plan->storage[n->inputs[0]] == OVI_STORAGE_DYNAMIC
        || ovi_shape_numel (x->rank, x->dims) < 0)
      continue;
    if (is_shape) {
      int64_t start = ovi_node_attr_int (n, "start", 0);
      int64_t end = ovi_node_attr_int (n, "end", x->rank);
      int64_t len;
      if (start < 0)
        start += x->rank;
      if (end < 0)
        end += x->rank;
      start = CLAMP (start, 0, x->rank);
      end = CLAMP (end, 0, x->rank);
      len = MAX (end - start, 0);
      t = ovi_tensor_new (OVI_DTYPE_INT64, 1, &len);
      for (int64_t i = 0; i < len; i++)
        ((int64_t *) t->data)[i] = x->dims[start + i];
    } else {
      t = ovi_tensor_new (OVI_DTYPE_INT64, 0, NULL);
      ((int64_t *) t->data)[0] = ovi_shape_numel (x->rank, x->dims);
    }
    v = n->outputs[0];
    for (guint i = 0; i < work->nodes->len; i++) {
      OviNode *wn = ovi_graph_node (work, i);
      if (wn->n_outputs == 1 && wn->outputs[0] == v) {
        OviValue *val = ovi_graph_value (work, v);
        ovi_tensor_free (val->constant);
        val->constant = t;
        val->dtype = OVI_DTYPE_INT64;
        val->rank = t->rank;
        memcpy (val->dims, t->dims, sizeof (t->dims));
        g_ptr_array_remove_index (work->nodes, i);
        ovi_node_free (wn);
        t = NULL;
        folded++;
        break;
      }
    }
    ovi_tensor_free (t);
  }
  return folded;
}

gboolean
ovi_ir_write (const OviGraph *graph, const char *xml_path, GError **error)
{
  OviTensorView *views;
  OviPlan *plan = NULL;
  OviGraph *work = NULL;
  W w = { 0 };
  gboolean ok = FALSE;
  char *base = NULL;

  g_return_val_if_fail (graph != NULL && xml_path != NULL, FALSE);
  views = g_new0 (OviTensorView, MAX (graph->inputs->len, 1));
  for (guint i = 0; i < graph->inputs->len; i++) {
    const OviValue *v = ovi_graph_value (graph,
        g_array_index (graph->inputs, int, i));
    if (v->rank < 0 || element_type (v->dtype) == NULL) {
      g_set_error (error, OVI_ERROR, OVI_ERROR_UNSUPPORTED,
          "%s: input '%s' has an unknown rank or type; IR writing needs "
          "static input shapes", graph->source, v->name);
      goto out;
    }
    for (int d = 0; d < v->rank; d++)
      if (v->dims[d] < 0) {
        g_set_error (error, OVI_ERROR, OVI_ERROR_UNSUPPORTED,
            "%s: input '%s' has a dynamic dimension; IR writing needs "
            "static input shapes", graph->source, v->name);
        goto out;
      }
    views[i].dtype = v->dtype;
    views[i].rank = v->rank;
    memcpy (views[i].dims, v->dims, sizeof (v->dims));
  }
  /* Plan, fold the shapes that turned out static, plan again. */
  work = ovi_graph_copy (graph);
  for (int iter = 0; iter < 64; iter++) {
    plan = ovi_plan_new (work, views, error);
    if (plan == NULL)
      goto out;
    if (fold_static_shapes (work, plan) == 0)
      break;
    ovi_plan_unref (plan);
    plan = NULL;
    if (!ovi_graph_sort (work, error))
      goto out;
  }
  if (plan == NULL) {
    plan = ovi_plan_new (work, views, error);
    if (plan == NULL)
      goto out;
  }

  w.g = plan->graph;
  w.opset = plan->graph->opset;
  w.layers = g_string_new (NULL);
  w.edges = g_string_new (NULL);
  w.bin = g_byte_array_new ();
  w.taps = g_new (Tap, MAX (w.g->values->len, 1));
  for (guint v = 0; v < w.g->values->len; v++)
    w.taps[v].layer = -1;
  w.layer_names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      NULL);

  /* Parameters, in input order. */
  for (guint i = 0; i < w.g->inputs->len; i++) {
    int v = g_array_index (w.g->inputs, int, i);
    const OviValue *val = ovi_graph_value (w.g, v);
    GString *d = attrs ();
    Tap t = value_shape (&w, v);
    const char *names[1] = { val->name };
    a_str (d, "element_type", element_type (val->dtype));
    g_string_append (d, " shape=\"");
    for (int k = 0; k < val->rank; k++)
      g_string_append_printf (d, "%s%" G_GINT64_FORMAT, k ? "," : "",
          val->dims[k]);
    g_string_append_c (d, '"');
    emit_named (&w, "Parameter", "opset1", val->name, d, 0, NULL, 1, &t,
        names);
    w.taps[v] = t;
  }
  for (int s = 0; s < plan->n_steps; s++)
    if (!write_node (&w, plan->steps[s].node, error))
      goto out;
  /* Results, in output order; a tensor reaching an output under another
   * name (through Identity) gets its own port so the name survives. */
  for (guint i = 0; i < w.g->outputs->len; i++) {
    int v = g_array_index (w.g->outputs, int, i);
    const OviValue *val = ovi_graph_value (w.g, v);
    Tap t = value_tap (&w, v);
    char *rname;
    if (w.err) {
      g_propagate_error (error, w.err);
      w.err = NULL;
      goto out;
    }
    if (t.name == NULL || strcmp (t.name, val->name) != 0) {
      GString *d = attrs ();
      Tap o = t;
      const char *names[1] = { val->name };
      char *cname = g_strdup_printf ("%s/copy", val->name);
      a_str (d, "destination_type", element_type (t.dtype));
      emit_named (&w, "Convert", "opset1", cname, d, 1, &t, 1, &o, names);
      g_free (cname);
      t = o;
      w.taps[v] = t;
    }
    rname = g_strdup_printf ("%s/sink_port_0", val->name);
    emit_named (&w, "Result", "opset1", rname, NULL, 1, &t, 0, NULL, NULL);
    g_free (rname);
  }
  if (w.err) {
    g_propagate_error (error, w.err);
    w.err = NULL;
    goto out;
  }
  base = g_path_get_basename (graph->source ? graph->source : "model");
  if (strrchr (base, '.'))
    *strrchr (base, '.') = '\0';
  ok = write_files (xml_path, base, &w, error);

out:
  g_free (base);
  if (w.layers) {
    g_string_free (w.layers, TRUE);
    g_string_free (w.edges, TRUE);
    g_byte_array_free (w.bin, TRUE);
    g_free (w.taps);
    g_hash_table_destroy (w.layer_names);
  }
  g_clear_error (&w.err);
  ovi_plan_unref (plan);
  ovi_graph_free (work);
  g_free (views);
  return ok;
}
