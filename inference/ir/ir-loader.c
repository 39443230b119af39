/* OpenVINO IR v10/v11 reader: the .xml through GMarkup, Const data from the
 * .bin, every layer mapped onto one or more nodes with ONNX semantics
 * (default-domain opset 18), so that the engine's ONNX kernels run it.
 *
 * The files are untrusted: every id, port, edge, shape and Const range is
 * checked, counts are capped, and the only allocations that grow with the
 * model are bounded by the size of the input. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ir.h"

/* The ONNX opset whose semantics the produced nodes follow. */
#define IR_ONNX_OPSET 18

/* Caps on what one file may declare; each item costs several bytes of
 * XML, so these sit far above any real network. */
#define MAX_LAYERS (1 << 20)
#define MAX_PORTS 1024          /* per layer and direction */
#define MAX_EDGES (1 << 22)
#define MAX_DATA_ATTRS 256
#define MAX_LIST 4096           /* elements of an int/float list attribute */
#define MAX_DIM_TEXT 64
#define STACK_DEPTH 16

typedef enum {
  K_NONE,
  K_NET,
  K_LAYERS,
  K_LAYER,
  K_DATA,
  K_INPUT,
  K_OUTPUT,
  K_PORT,
  K_DIM,
  K_EDGES,
  K_EDGE,
  K_OTHER,
} Kind;

typedef struct {
  int id;
  OviDType dtype;
  int rank;                     /* number of <dim>, -1 when too many */
  int64_t dims[OVI_MAX_RANK];
  char *names;                  /* raw "names" attribute */
  int value;                    /* value index (inputs: the source's) */
  int uses;                     /* output ports: edges leaving it */
} Port;

typedef struct {
  int id;
  char *name;
  char *type;
  char *version;
  GPtrArray *keys;              /* <data> attribute names */
  GPtrArray *vals;              /* and their values */
  GArray *in;                   /* Port */
  GArray *out;                  /* Port */
} Layer;

typedef struct {
  int from_layer, from_port, to_layer, to_port;
} Edge;

typedef struct {
  const char *source;
  GPtrArray *layers;            /* Layer* */
  GArray *edges;                /* Edge */
  Kind stack[STACK_DEPTH];
  int depth;
  gboolean seen_net;
  Layer *layer;                 /* the open <layer> */
  GArray *ports;                /* the open <input>/<output> list */
  int port;                     /* the open <port> index, -1 none */
  GString *text;                /* <dim> text */
  int net_version;
} Parser;

typedef struct {
  const char *source;
  OviGraph *graph;
  GPtrArray *layers;
  const guint8 *bin;
  gsize bin_size;
  gsize const_bytes;
  GHashTable *names;            /* value names in use */
  int tmp_counter;
} Loader;

/* What a layer handler sees. */
typedef struct {
  Loader *l;
  Layer *layer;
  int version;                  /* N of "opsetN" */
  int n_in;
  int *in;                      /* value per input port, in order */
  int n_out;
  int *out;                     /* value per output port */
  int n_nodes;
} Ctx;

typedef gboolean (*Handler) (Ctx *c, GError **error);

/* ------------------------------------------------------------------ */
/* Element types                                                       */

static const struct {
  const char *element_type;
  const char *precision;
  OviDType dtype;
} type_names[] = {
  { "f32", "FP32", OVI_DTYPE_FLOAT32 },
  { "f16", "FP16", OVI_DTYPE_FLOAT16 },
  { "bf16", "BF16", OVI_DTYPE_BFLOAT16 },
  { "f64", "FP64", OVI_DTYPE_FLOAT64 },
  { "i8", "I8", OVI_DTYPE_INT8 },
  { "i16", "I16", OVI_DTYPE_INT16 },
  { "i32", "I32", OVI_DTYPE_INT32 },
  { "i64", "I64", OVI_DTYPE_INT64 },
  { "u8", "U8", OVI_DTYPE_UINT8 },
  { "u16", "U16", OVI_DTYPE_UINT16 },
  { "u32", "U32", OVI_DTYPE_UINT32 },
  { "u64", "U64", OVI_DTYPE_UINT64 },
  { "boolean", "BOOL", OVI_DTYPE_BOOL },
};

/* Accepts either spelling (element_type "f32" or precision "FP32"). */
static OviDType
parse_type (const char *s)
{
  if (s == NULL)
    return OVI_DTYPE_UNDEFINED;
  for (guint i = 0; i < G_N_ELEMENTS (type_names); i++)
    if (g_ascii_strcasecmp (s, type_names[i].element_type) == 0
        || g_ascii_strcasecmp (s, type_names[i].precision) == 0)
      return type_names[i].dtype;
  if (g_ascii_strcasecmp (s, "bool") == 0)
    return OVI_DTYPE_BOOL;
  return OVI_DTYPE_UNDEFINED;
}

/* ------------------------------------------------------------------ */
/* XML                                                                 */

static void
layer_free (Layer *l)
{
  if (l == NULL)
    return;
  g_free (l->name);
  g_free (l->type);
  g_free (l->version);
  g_ptr_array_free (l->keys, TRUE);
  g_ptr_array_free (l->vals, TRUE);
  for (guint d = 0; d < 2; d++) {
    GArray *a = d ? l->out : l->in;
    for (guint i = 0; i < a->len; i++)
      g_free (g_array_index (a, Port, i).names);
    g_array_free (a, TRUE);
  }
  g_free (l);
}

static gboolean
parse_error (Parser *p, GError **error, const char *format, ...)
  G_GNUC_PRINTF (3, 4);

static gboolean
parse_error (Parser *p, GError **error, const char *format, ...)
{
  va_list args;
  char *msg;
  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, OVI_ERROR, OVI_ERROR_PARSE, "%s: %s", p->source, msg);
  g_free (msg);
  return FALSE;
}

/* A strict decimal integer, optional sign, surrounding blanks allowed. */
static gboolean
parse_int (const char *s, int64_t *out)
{
  char *end;
  gint64 v;
  if (s == NULL)
    return FALSE;
  while (g_ascii_isspace (*s))
    s++;
  if (*s == '\0')
    return FALSE;
  errno = 0;
  v = g_ascii_strtoll (s, &end, 10);
  if (errno != 0 || end == s)
    return FALSE;
  while (g_ascii_isspace (*end))
    end++;
  if (*end != '\0')
    return FALSE;
  *out = v;
  return TRUE;
}

static gboolean
parse_id (const char *s, int *out)
{
  int64_t v;
  if (!parse_int (s, &v) || v < 0 || v > G_MAXINT)
    return FALSE;
  *out = (int) v;
  return TRUE;
}

/* One dimension: a size, or -1, "?" or a range for a dynamic one. */
static gboolean
parse_dim (const char *s, int64_t *out)
{
  while (g_ascii_isspace (*s))
    s++;
  if (strcmp (s, "?") == 0 || strstr (s, "..") != NULL) {
    *out = -1;
    return TRUE;
  }
  if (!parse_int (s, out) || *out < -1)
    return FALSE;
  return TRUE;
}

static const char *
find_attr (const char **names, const char **values, const char *key)
{
  for (int i = 0; names[i]; i++)
    if (strcmp (names[i], key) == 0)
      return values[i];
  return NULL;
}

static void
on_start (GMarkupParseContext *context, const char *element,
    const char **names, const char **values, gpointer user_data,
    GError **error)
{
  Parser *p = user_data;
  Kind parent = p->depth == 0 ? K_NONE
      : p->depth <= STACK_DEPTH ? p->stack[p->depth - 1] : K_OTHER;
  Kind kind = K_OTHER;

  switch (parent) {
    case K_NONE:
      if (strcmp (element, "net") != 0 || p->seen_net) {
        parse_error (p, error, "not an OpenVINO IR (root element <%s>)",
            element);
        return;
      }
      kind = K_NET;
      break;
    case K_NET:
      if (strcmp (element, "layers") == 0)
        kind = K_LAYERS;
      else if (strcmp (element, "edges") == 0)
        kind = K_EDGES;
      break;
    case K_LAYERS:
      if (strcmp (element, "layer") == 0)
        kind = K_LAYER;
      break;
    case K_LAYER:
      if (strcmp (element, "data") == 0)
        kind = K_DATA;
      else if (strcmp (element, "input") == 0)
        kind = K_INPUT;
      else if (strcmp (element, "output") == 0)
        kind = K_OUTPUT;
      break;
    case K_INPUT: case K_OUTPUT:
      if (strcmp (element, "port") == 0)
        kind = K_PORT;
      break;
    case K_PORT:
      if (strcmp (element, "dim") == 0)
        kind = K_DIM;
      break;
    case K_EDGES:
      if (strcmp (element, "edge") == 0)
        kind = K_EDGE;
      break;
    default:
      break;
  }

  switch (kind) {
    case K_NET: {
      const char *v = find_attr (names, values, "version");
      int64_t version;
      p->seen_net = TRUE;
      if (v == NULL || !parse_int (v, &version)) {
        parse_error (p, error, "<net> has no valid version");
        return;
      }
      if (version != 10 && version != 11) {
        g_set_error (error, OVI_ERROR, OVI_ERROR_UNSUPPORTED,
            "%s: IR version %" G_GINT64_FORMAT " is not supported (only 10 "
            "and 11)", p->source, version);
        return;
      }
      p->net_version = (int) version;
      break;
    }
    case K_LAYER: {
      Layer *l;
      const char *id = find_attr (names, values, "id");
      const char *type = find_attr (names, values, "type");
      const char *name = find_attr (names, values, "name");
      const char *version = find_attr (names, values, "version");
      if (p->layers->len >= MAX_LAYERS) {
        parse_error (p, error, "more than %d layers", MAX_LAYERS);
        return;
      }
      l = g_new0 (Layer, 1);
      l->keys = g_ptr_array_new_with_free_func (g_free);
      l->vals = g_ptr_array_new_with_free_func (g_free);
      l->in = g_array_new (FALSE, TRUE, sizeof (Port));
      l->out = g_array_new (FALSE, TRUE, sizeof (Port));
      g_ptr_array_add (p->layers, l);
      p->layer = l;
      if (!parse_id (id, &l->id) || type == NULL || type[0] == '\0') {
        parse_error (p, error, "a <layer> has no valid id or type");
        return;
      }
      l->type = g_strdup (type);
      l->name = g_strdup (name ? name : id);
      l->version = g_strdup (version ? version : "opset1");
      break;
    }
    case K_DATA:
      for (int i = 0; names[i]; i++) {
        if (p->layer->keys->len >= MAX_DATA_ATTRS) {
          parse_error (p, error, "layer '%s': too many attributes",
              p->layer->name);
          return;
        }
        g_ptr_array_add (p->layer->keys, g_strdup (names[i]));
        g_ptr_array_add (p->layer->vals, g_strdup (values[i]));
      }
      break;
    case K_INPUT:
      p->ports = p->layer->in;
      break;
    case K_OUTPUT:
      p->ports = p->layer->out;
      break;
    case K_PORT: {
      Port port = { 0 };
      const char *precision = find_attr (names, values, "precision");
      const char *pnames = find_attr (names, values, "names");
      if (p->ports->len >= MAX_PORTS) {
        parse_error (p, error, "layer '%s': more than %d ports",
            p->layer->name, MAX_PORTS);
        return;
      }
      if (!parse_id (find_attr (names, values, "id"), &port.id)) {
        parse_error (p, error, "layer '%s': a <port> has no valid id",
            p->layer->name);
        return;
      }
      for (int d = 0; d < 2; d++) {
        GArray *a = d ? p->layer->out : p->layer->in;
        for (guint i = 0; i < a->len; i++)
          if (g_array_index (a, Port, i).id == port.id) {
            parse_error (p, error, "layer '%s': port %d declared twice",
                p->layer->name, port.id);
            return;
          }
      }
      port.dtype = parse_type (precision);
      port.names = pnames ? g_strdup (pnames) : NULL;
      port.value = -1;
      g_array_append_val (p->ports, port);
      p->port = p->ports->len - 1;
      break;
    }
    case K_DIM:
      g_string_truncate (p->text, 0);
      break;
    case K_EDGE: {
      Edge e;
      if (p->edges->len >= MAX_EDGES) {
        parse_error (p, error, "more than %d edges", MAX_EDGES);
        return;
      }
      if (!parse_id (find_attr (names, values, "from-layer"), &e.from_layer)
          || !parse_id (find_attr (names, values, "from-port"), &e.from_port)
          || !parse_id (find_attr (names, values, "to-layer"), &e.to_layer)
          || !parse_id (find_attr (names, values, "to-port"), &e.to_port)) {
        parse_error (p, error, "an <edge> has invalid attributes");
        return;
      }
      g_array_append_val (p->edges, e);
      break;
    }
    default:
      break;
  }
  if (p->depth < STACK_DEPTH)
    p->stack[p->depth] = kind;
  else if (kind != K_OTHER) {
    parse_error (p, error, "elements nested too deeply");
    return;
  }
  p->depth++;
}

static void
on_end (GMarkupParseContext *context, const char *element,
    gpointer user_data, GError **error)
{
  Parser *p = user_data;
  Kind kind;
  p->depth--;
  kind = p->depth < STACK_DEPTH ? p->stack[p->depth] : K_OTHER;
  switch (kind) {
    case K_DIM: {
      Port *port = &g_array_index (p->ports, Port, p->port);
      int64_t d;
      if (!parse_dim (p->text->str, &d)) {
        parse_error (p, error, "layer '%s': invalid <dim> '%s'",
            p->layer->name, p->text->str);
        return;
      }
      if (port->rank < 0)
        break;
      if (port->rank >= OVI_MAX_RANK) {
        port->rank = -1;        /* reported when the port is used */
        break;
      }
      port->dims[port->rank++] = d;
      break;
    }
    case K_PORT:
      p->port = -1;
      break;
    case K_INPUT: case K_OUTPUT:
      p->ports = NULL;
      break;
    case K_LAYER:
      p->layer = NULL;
      break;
    default:
      break;
  }
}

static void
on_text (GMarkupParseContext *context, const char *text, gsize len,
    gpointer user_data, GError **error)
{
  Parser *p = user_data;
  if (p->depth == 0 || p->depth > STACK_DEPTH
      || p->stack[p->depth - 1] != K_DIM)
    return;
  if (p->text->len + len > MAX_DIM_TEXT) {
    parse_error (p, error, "a <dim> is too long");
    return;
  }
  g_string_append_len (p->text, text, len);
}

/* ------------------------------------------------------------------ */
/* Attributes                                                          */

static gboolean
fail (Ctx *c, GError **error, int code, const char *format, ...)
  G_GNUC_PRINTF (4, 5);

static gboolean
fail (Ctx *c, GError **error, int code, const char *format, ...)
{
  va_list args;
  char *msg;
  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, OVI_ERROR, code, "%s: layer '%s' (%s): %s",
      c->l->source, c->layer->name, c->layer->type, msg);
  g_free (msg);
  return FALSE;
}

static const char *
attr (const Layer *l, const char *key)
{
  for (guint i = 0; i < l->keys->len; i++)
    if (strcmp (g_ptr_array_index (l->keys, i), key) == 0)
      return g_ptr_array_index (l->vals, i);
  return NULL;
}

static gboolean
attr_int (Ctx *c, const char *key, gboolean required, int64_t def,
    int64_t *out, GError **error)
{
  const char *s = attr (c->layer, key);
  *out = def;
  if (s == NULL) {
    if (required)
      return fail (c, error, OVI_ERROR_INVALID, "attribute '%s' is missing",
          key);
    return TRUE;
  }
  if (!parse_int (s, out))
    return fail (c, error, OVI_ERROR_INVALID,
        "attribute '%s' is not an integer: '%s'", key, s);
  return TRUE;
}

static gboolean
parse_double (const char *s, double *out)
{
  char *end;
  while (g_ascii_isspace (*s))
    s++;
  if (*s == '\0')
    return FALSE;
  *out = g_ascii_strtod (s, &end);
  if (end == s)
    return FALSE;
  while (g_ascii_isspace (*end))
    end++;
  return *end == '\0';
}

static gboolean
attr_float (Ctx *c, const char *key, gboolean required, double def,
    double *out, GError **error)
{
  const char *s = attr (c->layer, key);
  *out = def;
  if (s == NULL) {
    if (required)
      return fail (c, error, OVI_ERROR_INVALID, "attribute '%s' is missing",
          key);
    return TRUE;
  }
  if (!parse_double (s, out))
    return fail (c, error, OVI_ERROR_INVALID,
        "attribute '%s' is not a number: '%s'", key, s);
  return TRUE;
}

static gboolean
attr_bool (Ctx *c, const char *key, gboolean def, gboolean *out,
    GError **error)
{
  const char *s = attr (c->layer, key);
  *out = def;
  if (s == NULL)
    return TRUE;
  if (g_ascii_strcasecmp (s, "true") == 0 || strcmp (s, "1") == 0)
    *out = TRUE;
  else if (g_ascii_strcasecmp (s, "false") == 0 || strcmp (s, "0") == 0)
    *out = FALSE;
  else
    return fail (c, error, OVI_ERROR_INVALID,
        "attribute '%s' is not a boolean: '%s'", key, s);
  return TRUE;
}

static const char *
attr_str (Ctx *c, const char *key, const char *def)
{
  const char *s = attr (c->layer, key);
  return s ? s : def;
}

/* A comma separated integer list; *n = -1 and *out = NULL when absent.
 * The caller frees *out. */
static gboolean
attr_ints (Ctx *c, const char *key, int *n, int64_t **out, GError **error)
{
  const char *s = attr (c->layer, key);
  char **parts;
  int count = 0;
  *n = -1;
  *out = NULL;
  if (s == NULL)
    return TRUE;
  parts = g_strsplit (s, ",", MAX_LIST + 1);
  if (g_strv_length (parts) > MAX_LIST) {
    g_strfreev (parts);
    return fail (c, error, OVI_ERROR_INVALID, "attribute '%s' is too long",
        key);
  }
  *out = g_new (int64_t, g_strv_length (parts) + 1);
  for (int i = 0; parts[i]; i++) {
    const char *t = parts[i];
    while (g_ascii_isspace (*t))
      t++;
    if (*t == '\0' && parts[1] == NULL)
      break;                    /* "" is the empty list */
    if (!parse_int (t, &(*out)[count])) {
      fail (c, error, OVI_ERROR_INVALID,
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
static gboolean
attr_ints_fixed (Ctx *c, const char *key, gboolean required, int max,
    int *n, int64_t *out, GError **error)
{
  int64_t *v;
  int count;
  *n = -1;
  if (!attr_ints (c, key, &count, &v, error))
    return FALSE;
  if (count < 0) {
    *n = -1;
    if (required)
      return fail (c, error, OVI_ERROR_INVALID, "attribute '%s' is missing",
          key);
    return TRUE;
  }
  if (count > max) {
    g_free (v);
    return fail (c, error, OVI_ERROR_INVALID,
        "attribute '%s' has %d values, at most %d expected", key, count, max);
  }
  if (count)
    memcpy (out, v, sizeof (int64_t) * count);
  g_free (v);
  *n = count;
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Building nodes                                                      */

static Port *
in_port (Ctx *c, int k)
{
  return &g_array_index (c->layer->in, Port, k);
}

static Port *
out_port (Ctx *c, int k)
{
  return &g_array_index (c->layer->out, Port, k);
}

static OviValue *
value (Ctx *c, int v)
{
  return ovi_graph_value (c->l->graph, v);
}

static OviDType
in_dtype (Ctx *c, int k)
{
  return value (c, c->in[k])->dtype;
}

/* Rank of an input from its port, -1 when unknown. */
static int
in_rank (Ctx *c, int k)
{
  const OviValue *v = value (c, c->in[k]);
  if (v->constant)
    return v->constant->rank;
  return in_port (c, k)->rank;
}

static const int64_t *
in_dims (Ctx *c, int k)
{
  const OviValue *v = value (c, c->in[k]);
  if (v->constant)
    return v->constant->dims;
  return in_port (c, k)->dims;
}

static const OviTensor *
in_const (Ctx *c, int k)
{
  if (k >= c->n_in)
    return NULL;
  return value (c, c->in[k])->constant;
}

/* Reads a constant integer input into `out` (at most max values). */
static gboolean
const_ints (Ctx *c, int k, const char *what, int max, int *n, int64_t *out,
    GError **error)
{
  const OviTensor *t = in_const (c, k);
  int64_t count;
  *n = 0;
  if (t == NULL)
    return fail (c, error, OVI_ERROR_UNSUPPORTED,
        "%s (input %d) must be a constant", what, k);
  if (!ovi_dtype_is_signed_int (t->dtype)
      && !ovi_dtype_is_unsigned_int (t->dtype))
    return fail (c, error, OVI_ERROR_INVALID, "%s must be integers", what);
  count = ovi_tensor_numel (t);
  if (t->rank > 1 || count > max)
    return fail (c, error, OVI_ERROR_INVALID,
        "%s must be a scalar or a list of at most %d values", what, max);
  for (int64_t i = 0; i < count; i++)
    out[i] = ovi_tensor_get_i64 (t, i);
  *n = (int) count;
  return TRUE;
}

static gboolean
const_scalar_int (Ctx *c, int k, const char *what, int64_t *out,
    GError **error)
{
  int n = 0;
  int64_t v[1] = { 0 };
  *out = 0;
  if (!const_ints (c, k, what, 1, &n, v, error))
    return FALSE;
  if (n != 1)
    return fail (c, error, OVI_ERROR_INVALID, "%s must hold one value", what);
  *out = v[0];
  return TRUE;
}

static gboolean
const_scalar_float (Ctx *c, int k, const char *what, double *out,
    GError **error)
{
  const OviTensor *t = in_const (c, k);
  *out = 0;
  if (t == NULL)
    return fail (c, error, OVI_ERROR_UNSUPPORTED,
        "%s (input %d) must be a constant", what, k);
  if (ovi_tensor_numel (t) != 1)
    return fail (c, error, OVI_ERROR_INVALID, "%s must hold one value", what);
  *out = ovi_tensor_get_f64 (t, 0);
  return TRUE;
}

static int
new_value (Ctx *c, OviDType dtype)
{
  char *name = g_strdup_printf ("%s/ovi_%d", c->layer->name,
      c->l->tmp_counter++);
  int v = ovi_graph_add_value (c->l->graph, name, dtype);
  g_free (name);
  return v;
}

static int
new_const (Ctx *c, OviTensor *t)
{
  int v = new_value (c, t->dtype);
  OviValue *val = value (c, v);
  val->constant = t;
  val->rank = t->rank;
  memcpy (val->dims, t->dims, sizeof (t->dims));
  return v;
}

/* A rank-1 int64 constant (rank 0 when scalar). */
static int
const_i64 (Ctx *c, int n, const int64_t *v, gboolean scalar)
{
  int64_t dims[1] = { n };
  OviTensor *t = ovi_tensor_new (OVI_DTYPE_INT64, scalar ? 0 : 1, dims);
  if (n)
    memcpy (t->data, v, sizeof (int64_t) * n);
  return new_const (c, t);
}

/* Stores v into element i of a numeric tensor, saturating integers. */
static void
store_saturated (OviTensor *t, int64_t i, double v)
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
      ovi_tensor_set_i64 (t, i, -1);      /* all bits set */
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
static int
const_scalar (Ctx *c, OviDType dtype, double v, gboolean one_d)
{
  int64_t dims[1] = { 1 };
  OviTensor *t;
  /* An unknown element type (a port without precision) cannot be
   * matched here: float32 then, and planning reports any mismatch. */
  if (!ovi_dtype_is_known (dtype))
    dtype = OVI_DTYPE_FLOAT32;
  t = ovi_tensor_new (dtype, one_d ? 1 : 0, dims);
  store_saturated (t, 0, v);
  return new_const (c, t);
}

static OviNode *
add_node (Ctx *c, const char *op, int n_in, const int *ins, int n_out,
    const int *outs)
{
  OviNode *n;
  char *name = c->n_nodes == 0 ? g_strdup (c->layer->name)
      : g_strdup_printf ("%s/%s_%d", c->layer->name, op, c->n_nodes);
  n = ovi_graph_add_node (c->l->graph, op, name, n_in, ins, n_out, outs);
  g_free (name);
  c->n_nodes++;
  return n;
}

/* A node with one output: returns the output value (a new one when
 * out < 0). */
static int
node1 (Ctx *c, const char *op, int out, OviDType dtype, int n_in, ...)
{
  int ins[8];
  va_list args;
  g_assert (n_in <= 8);
  va_start (args, n_in);
  for (int i = 0; i < n_in; i++)
    ins[i] = va_arg (args, int);
  va_end (args);
  if (out < 0)
    out = new_value (c, dtype);
  add_node (c, op, n_in, ins, 1, &out);
  return out;
}

/* The last node added (to set attributes on). */
static OviNode *
last_node (Ctx *c)
{
  GPtrArray *nodes = c->l->graph->nodes;
  return g_ptr_array_index (nodes, nodes->len - 1);
}

static int
cast (Ctx *c, int v, OviDType to, int out)
{
  if (out < 0 && value (c, v)->dtype == to)
    return v;
  out = node1 (c, "Cast", out, to, 1, v);
  ovi_node_set_attr_int (last_node (c), "to", to);
  return out;
}

/* ONNX wants int64 for shapes, axes, pads, repeats... */
static int
to_i64 (Ctx *c, int v)
{
  return cast (c, v, OVI_DTYPE_INT64, -1);
}

/* Reshapes to rank 1 (IR often allows scalars where ONNX wants 1-D). */
static int
to_1d (Ctx *c, int v, int rank)
{
  int64_t minus1 = -1;
  if (rank == 1)
    return v;
  return node1 (c, "Reshape", -1, value (c, v)->dtype, 2, v,
      const_i64 (c, 1, &minus1, FALSE));
}

static int
axes_input (Ctx *c, int k)
{
  return to_1d (c, to_i64 (c, c->in[k]), in_rank (c, k));
}

static gboolean
check_io (Ctx *c, int min_in, int max_in, int min_out, int max_out,
    GError **error)
{
  if (c->n_in < min_in || c->n_in > max_in)
    return fail (c, error, OVI_ERROR_INVALID,
        "has %d inputs, expected %d to %d", c->n_in, min_in, max_in);
  if (c->n_out < min_out || c->n_out > max_out)
    return fail (c, error, OVI_ERROR_INVALID,
        "has %d outputs, expected %d to %d", c->n_out, min_out, max_out);
  return TRUE;
}

static gboolean
check_broadcast (Ctx *c, GError **error)
{
  const char *b = attr_str (c, "auto_broadcast", "numpy");
  if (g_ascii_strcasecmp (b, "numpy") != 0
      && g_ascii_strcasecmp (b, "none") != 0)
    return fail (c, error, OVI_ERROR_UNSUPPORTED,
        "auto_broadcast '%s' is not supported", b);
  return TRUE;
}

/* The element type of output k: its port's, else input 0's. */
static OviDType
out_dtype (Ctx *c, int k)
{
  OviDType t = value (c, c->out[k])->dtype;
  if (t == OVI_DTYPE_UNDEFINED && c->n_in > 0)
    t = in_dtype (c, 0);
  return t;
}

/* ------------------------------------------------------------------ */
/* Handlers                                                            */

static const struct {
  const char *ir;
  const char *onnx;
  int n_in;
  gboolean broadcast;
} simple_ops[] = {
  { "Abs", "Abs", 1, FALSE },
  { "Acos", "Acos", 1, FALSE },
  { "Acosh", "Acosh", 1, FALSE },
  { "Asin", "Asin", 1, FALSE },
  { "Asinh", "Asinh", 1, FALSE },
  { "Atan", "Atan", 1, FALSE },
  { "Atanh", "Atanh", 1, FALSE },
  { "Ceiling", "Ceil", 1, FALSE },
  { "Cos", "Cos", 1, FALSE },
  { "Cosh", "Cosh", 1, FALSE },
  { "Erf", "Erf", 1, FALSE },
  { "Exp", "Exp", 1, FALSE },
  { "Floor", "Floor", 1, FALSE },
  { "Log", "Log", 1, FALSE },
  { "Negative", "Neg", 1, FALSE },
  { "Relu", "Relu", 1, FALSE },
  { "Sigmoid", "Sigmoid", 1, FALSE },
  { "Sign", "Sign", 1, FALSE },
  { "Sin", "Sin", 1, FALSE },
  { "Sinh", "Sinh", 1, FALSE },
  { "Sqrt", "Sqrt", 1, FALSE },
  { "Tan", "Tan", 1, FALSE },
  { "Tanh", "Tanh", 1, FALSE },
  { "SoftPlus", "Softplus", 1, FALSE },
  { "SoftSign", "Softsign", 1, FALSE },
  { "Mish", "Mish", 1, FALSE },
  { "HSwish", "HardSwish", 1, FALSE },
  { "LogicalNot", "Not", 1, FALSE },
  { "BitwiseNot", "BitwiseNot", 1, FALSE },
  { "IsNaN", "IsNaN", 1, FALSE },
  { "Identity", "Identity", 1, FALSE },
  { "ConvertLike", "CastLike", 2, FALSE },
  { "Add", "Add", 2, TRUE },
  { "Subtract", "Sub", 2, TRUE },
  { "Multiply", "Mul", 2, TRUE },
  { "Power", "Pow", 2, TRUE },
  { "Maximum", "Max", 2, TRUE },
  { "Minimum", "Min", 2, TRUE },
  { "Equal", "Equal", 2, TRUE },
  { "Less", "Less", 2, TRUE },
  { "Greater", "Greater", 2, TRUE },
  { "LessEqual", "LessOrEqual", 2, TRUE },
  { "GreaterEqual", "GreaterOrEqual", 2, TRUE },
  { "LogicalAnd", "And", 2, TRUE },
  { "LogicalOr", "Or", 2, TRUE },
  { "LogicalXor", "Xor", 2, TRUE },
  { "BitwiseAnd", "BitwiseAnd", 2, TRUE },
  { "BitwiseOr", "BitwiseOr", 2, TRUE },
  { "BitwiseXor", "BitwiseXor", 2, TRUE },
  { "Select", "Where", 3, TRUE },
};

static gboolean
h_simple (Ctx *c, GError **error)
{
  for (guint i = 0; i < G_N_ELEMENTS (simple_ops); i++) {
    if (strcmp (simple_ops[i].ir, c->layer->type) != 0)
      continue;
    if (!check_io (c, simple_ops[i].n_in, simple_ops[i].n_in, 1, 1, error))
      return FALSE;
    if (simple_ops[i].broadcast && !check_broadcast (c, error))
      return FALSE;
    add_node (c, simple_ops[i].onnx, c->n_in, c->in, 1, c->out);
    return TRUE;
  }
  g_assert_not_reached ();
  return FALSE;
}

static gboolean
h_not_equal (Ctx *c, GError **error)
{
  int eq;
  if (!check_io (c, 2, 2, 1, 1, error) || !check_broadcast (c, error))
    return FALSE;
  eq = node1 (c, "Equal", -1, OVI_DTYPE_BOOL, 2, c->in[0], c->in[1]);
  node1 (c, "Not", c->out[0], OVI_DTYPE_BOOL, 1, eq);
  return TRUE;
}

static gboolean
h_squared_difference (Ctx *c, GError **error)
{
  int d;
  if (!check_io (c, 2, 2, 1, 1, error) || !check_broadcast (c, error))
    return FALSE;
  d = node1 (c, "Sub", -1, out_dtype (c, 0), 2, c->in[0], c->in[1]);
  node1 (c, "Mul", c->out[0], out_dtype (c, 0), 2, d, d);
  return TRUE;
}

static gboolean
h_divide (Ctx *c, GError **error)
{
  gboolean python;
  OviDType t;
  int q, r, zero, one, nz, neg_r, neg_b, sign_differs, adjust, qm1;
  if (!check_io (c, 2, 2, 1, 1, error) || !check_broadcast (c, error)
      || !attr_bool (c, "m_pythondiv", TRUE, &python, error))
    return FALSE;
  t = out_dtype (c, 0);
  if (!python || !ovi_dtype_is_signed_int (t)) {
    add_node (c, "Div", 2, c->in, 1, c->out);
    return TRUE;
  }
  /* Floor division on signed integers: truncate, then step down where
   * the remainder is non-zero and its sign differs from the divisor's. */
  q = node1 (c, "Div", -1, t, 2, c->in[0], c->in[1]);
  r = node1 (c, "Sub", -1, t, 2, c->in[0],
      node1 (c, "Mul", -1, t, 2, q, c->in[1]));
  zero = const_scalar (c, t, 0, FALSE);
  one = const_scalar (c, t, 1, FALSE);
  nz = node1 (c, "Not", -1, OVI_DTYPE_BOOL, 1,
      node1 (c, "Equal", -1, OVI_DTYPE_BOOL, 2, r, zero));
  neg_r = node1 (c, "Less", -1, OVI_DTYPE_BOOL, 2, r, zero);
  neg_b = node1 (c, "Less", -1, OVI_DTYPE_BOOL, 2, c->in[1], zero);
  sign_differs = node1 (c, "Xor", -1, OVI_DTYPE_BOOL, 2, neg_r, neg_b);
  adjust = node1 (c, "And", -1, OVI_DTYPE_BOOL, 2, nz, sign_differs);
  qm1 = node1 (c, "Sub", -1, t, 2, q, one);
  node1 (c, "Where", c->out[0], t, 3, adjust, qm1, q);
  return TRUE;
}

static gboolean
h_mod (Ctx *c, GError **error)
{
  gboolean floor_mod = strcmp (c->layer->type, "FloorMod") == 0;
  OviDType t;
  if (!check_io (c, 2, 2, 1, 1, error) || !check_broadcast (c, error))
    return FALSE;
  t = out_dtype (c, 0);
  if (floor_mod && ovi_dtype_is_float (t)) {
    /* a - floor(a / b) * b */
    int q = node1 (c, "Floor", -1, t, 1,
        node1 (c, "Div", -1, t, 2, c->in[0], c->in[1]));
    node1 (c, "Sub", c->out[0], t, 2, c->in[0],
        node1 (c, "Mul", -1, t, 2, q, c->in[1]));
    return TRUE;
  }
  add_node (c, "Mod", 2, c->in, 1, c->out);
  ovi_node_set_attr_int (last_node (c), "fmod", floor_mod ? 0 : 1);
  return TRUE;
}

static gboolean
h_elu (Ctx *c, GError **error)
{
  double alpha;
  if (!check_io (c, 1, 1, 1, 1, error)
      || !attr_float (c, "alpha", TRUE, 1.0, &alpha, error))
    return FALSE;
  add_node (c, "Elu", 1, c->in, 1, c->out);
  ovi_node_set_attr_float (last_node (c), "alpha", (float) alpha);
  return TRUE;
}

static gboolean
h_clamp (Ctx *c, GError **error)
{
  double lo, hi;
  OviDType t;
  if (!check_io (c, 1, 1, 1, 1, error)
      || !attr_float (c, "min", TRUE, 0, &lo, error)
      || !attr_float (c, "max", TRUE, 0, &hi, error))
    return FALSE;
  t = out_dtype (c, 0);
  if (!ovi_dtype_is_known (t))
    return fail (c, error, OVI_ERROR_INVALID, "has no element type");
  if (!ovi_dtype_is_float (t)) {
    lo = ceil (lo);
    hi = floor (hi);
  }
  node1 (c, "Clip", c->out[0], t, 3, c->in[0], const_scalar (c, t, lo, FALSE),
      const_scalar (c, t, hi, FALSE));
  return TRUE;
}

static gboolean
h_hsigmoid (Ctx *c, GError **error)
{
  if (!check_io (c, 1, 1, 1, 1, error))
    return FALSE;
  add_node (c, "HardSigmoid", 1, c->in, 1, c->out);
  ovi_node_set_attr_float (last_node (c), "alpha", 1.0f / 6.0f);
  ovi_node_set_attr_float (last_node (c), "beta", 0.5f);
  return TRUE;
}

static gboolean
h_hard_sigmoid (Ctx *c, GError **error)
{
  double alpha, beta;
  if (!check_io (c, 3, 3, 1, 1, error)
      || !const_scalar_float (c, 1, "alpha", &alpha, error)
      || !const_scalar_float (c, 2, "beta", &beta, error))
    return FALSE;
  add_node (c, "HardSigmoid", 1, c->in, 1, c->out);
  ovi_node_set_attr_float (last_node (c), "alpha", (float) alpha);
  ovi_node_set_attr_float (last_node (c), "beta", (float) beta);
  return TRUE;
}

static gboolean
h_selu (Ctx *c, GError **error)
{
  double alpha, lambda;
  if (!check_io (c, 3, 3, 1, 1, error)
      || !const_scalar_float (c, 1, "alpha", &alpha, error)
      || !const_scalar_float (c, 2, "lambda", &lambda, error))
    return FALSE;
  add_node (c, "Selu", 1, c->in, 1, c->out);
  ovi_node_set_attr_float (last_node (c), "alpha", (float) alpha);
  ovi_node_set_attr_float (last_node (c), "gamma", (float) lambda);
  return TRUE;
}

static gboolean
h_swish (Ctx *c, GError **error)
{
  OviDType t;
  int x;
  if (!check_io (c, 1, 2, 1, 1, error))
    return FALSE;
  t = out_dtype (c, 0);
  x = c->in[0];
  if (c->n_in == 2)
    x = node1 (c, "Mul", -1, t, 2, c->in[0], c->in[1]);
  node1 (c, "Mul", c->out[0], t, 2, c->in[0],
      node1 (c, "Sigmoid", -1, t, 1, x));
  return TRUE;
}

static gboolean
h_gelu (Ctx *c, GError **error)
{
  const char *mode = attr_str (c, "approximation_mode", "erf");
  if (!check_io (c, 1, 1, 1, 1, error))
    return FALSE;
  if (g_ascii_strcasecmp (mode, "erf") != 0
      && g_ascii_strcasecmp (mode, "tanh") != 0)
    return fail (c, error, OVI_ERROR_UNSUPPORTED,
        "approximation_mode '%s' is not supported", mode);
  add_node (c, "Gelu", 1, c->in, 1, c->out);
  ovi_node_set_attr_string (last_node (c), "approximate",
      g_ascii_strcasecmp (mode, "tanh") == 0 ? "tanh" : "none");
  return TRUE;
}

static gboolean
h_round (Ctx *c, GError **error)
{
  const char *mode = attr_str (c, "mode", "half_to_even");
  OviDType t;
  if (!check_io (c, 1, 1, 1, 1, error))
    return FALSE;
  t = out_dtype (c, 0);
  if (!ovi_dtype_is_float (t)) {
    add_node (c, "Identity", 1, c->in, 1, c->out);
    return TRUE;
  }
  if (strcmp (mode, "half_to_even") == 0) {
    add_node (c, "Round", 1, c->in, 1, c->out);
  } else if (strcmp (mode, "half_away_from_zero") == 0) {
    int a = node1 (c, "Floor", -1, t, 1,
        node1 (c, "Add", -1, t, 2, node1 (c, "Abs", -1, t, 1, c->in[0]),
            const_scalar (c, t, 0.5, FALSE)));
    node1 (c, "Mul", c->out[0], t, 2, node1 (c, "Sign", -1, t, 1, c->in[0]),
        a);
  } else {
    return fail (c, error, OVI_ERROR_UNSUPPORTED, "mode '%s' is not "
        "supported", mode);
  }
  return TRUE;
}

static gboolean
h_is_inf (Ctx *c, GError **error)
{
  gboolean neg, pos;
  if (!check_io (c, 1, 1, 1, 1, error)
      || !attr_bool (c, "detect_negative", TRUE, &neg, error)
      || !attr_bool (c, "detect_positive", TRUE, &pos, error))
    return FALSE;
  add_node (c, "IsInf", 1, c->in, 1, c->out);
  ovi_node_set_attr_int (last_node (c), "detect_negative", neg);
  ovi_node_set_attr_int (last_node (c), "detect_positive", pos);
  return TRUE;
}

static gboolean
h_is_finite (Ctx *c, GError **error)
{
  int a, b;
  if (!check_io (c, 1, 1, 1, 1, error))
    return FALSE;
  a = node1 (c, "IsNaN", -1, OVI_DTYPE_BOOL, 1, c->in[0]);
  b = node1 (c, "IsInf", -1, OVI_DTYPE_BOOL, 1, c->in[0]);
  node1 (c, "Not", c->out[0], OVI_DTYPE_BOOL, 1,
      node1 (c, "Or", -1, OVI_DTYPE_BOOL, 2, a, b));
  return TRUE;
}

static gboolean
h_prelu (Ctx *c, GError **error)
{
  int slope, r_x, r_s;
  if (!check_io (c, 2, 2, 1, 1, error))
    return FALSE;
  slope = c->in[1];
  r_x = in_rank (c, 0);
  r_s = in_rank (c, 1);
  /* A 1-D slope as long as the channel dimension applies per channel. */
  if (r_s == 1 && r_x >= 3 && in_dims (c, 1)[0] != 1
      && (in_dims (c, 0)[1] == in_dims (c, 1)[0] || in_dims (c, 0)[1] < 0)) {
    int64_t shape[OVI_MAX_RANK];
    shape[0] = -1;
    for (int i = 1; i < r_x - 1; i++)
      shape[i] = 1;
    slope = node1 (c, "Reshape", -1, in_dtype (c, 1), 2, slope,
        const_i64 (c, r_x - 1, shape, FALSE));
  }
  node1 (c, "PRelu", c->out[0], out_dtype (c, 0), 2, c->in[0], slope);
  return TRUE;
}

static gboolean
h_softmax (Ctx *c, GError **error)
{
  int64_t axis;
  const char *op = strcmp (c->layer->type, "LogSoftmax") == 0
      ? "LogSoftmax" : "Softmax";
  if (!check_io (c, 1, 1, 1, 1, error)
      || !attr_int (c, "axis", FALSE, 1, &axis, error))
    return FALSE;
  add_node (c, op, 1, c->in, 1, c->out);
  ovi_node_set_attr_int (last_node (c), "axis", axis);
  return TRUE;
}

static gboolean
h_convert (Ctx *c, GError **error)
{
  const char *to = attr_str (c, "destination_type", NULL);
  OviDType t;
  if (!check_io (c, 1, 1, 1, 1, error))
    return FALSE;
  if (to == NULL)
    return fail (c, error, OVI_ERROR_INVALID, "has no destination_type");
  t = parse_type (to);
  if (t == OVI_DTYPE_UNDEFINED)
    return fail (c, error, OVI_ERROR_UNSUPPORTED,
        "destination_type '%s' is not supported", to);
  cast (c, c->in[0], t, c->out[0]);
  return TRUE;
}

static gboolean
h_shape_of (Ctx *c, GError **error)
{
  OviDType t = parse_type (attr_str (c, "output_type", "i64"));
  if (!check_io (c, 1, 1, 1, 1, error))
    return FALSE;
  if (t != OVI_DTYPE_INT32 && t != OVI_DTYPE_INT64)
    return fail (c, error, OVI_ERROR_UNSUPPORTED,
        "output_type must be i32 or i64");
  if (t == OVI_DTYPE_INT64) {
    add_node (c, "Shape", 1, c->in, 1, c->out);
  } else {
    int s = node1 (c, "Shape", -1, OVI_DTYPE_INT64, 1, c->in[0]);
    cast (c, s, t, c->out[0]);
  }
  return TRUE;
}

static gboolean
h_concat (Ctx *c, GError **error)
{
  int64_t axis;
  if (!check_io (c, 1, MAX_PORTS, 1, 1, error)
      || !attr_int (c, "axis", TRUE, 0, &axis, error))
    return FALSE;
  add_node (c, "Concat", c->n_in, c->in, 1, c->out);
  ovi_node_set_attr_int (last_node (c), "axis", axis);
  return TRUE;
}

static gboolean
h_reshape (Ctx *c, GError **error)
{
  gboolean special_zero;
  if (!check_io (c, 2, 2, 1, 1, error)
      || !attr_bool (c, "special_zero", FALSE, &special_zero, error))
    return FALSE;
  node1 (c, "Reshape", c->out[0], out_dtype (c, 0), 2, c->in[0],
      to_1d (c, to_i64 (c, c->in[1]), in_rank (c, 1)));
  ovi_node_set_attr_int (last_node (c), "allowzero", special_zero ? 0 : 1);
  return TRUE;
}

static gboolean
h_squeeze (Ctx *c, GError **error)
{
  gboolean squeeze = strcmp (c->layer->type, "Squeeze") == 0;
  if (!check_io (c, squeeze ? 1 : 2, 2, 1, 1, error))
    return FALSE;
  if (c->n_in == 1)
    add_node (c, "Squeeze", 1, c->in, 1, c->out);
  else
    node1 (c, squeeze ? "Squeeze" : "Unsqueeze", c->out[0], out_dtype (c, 0),
        2, c->in[0], axes_input (c, 1));
  return TRUE;
}

static gboolean
h_transpose (Ctx *c, GError **error)
{
  int64_t perm[OVI_MAX_RANK];
  int n;
  if (!check_io (c, 2, 2, 1, 1, error)
      || !const_ints (c, 1, "input_order", OVI_MAX_RANK, &n, perm, error))
    return FALSE;
  add_node (c, "Transpose", 1, c->in, 1, c->out);
  if (n > 0)
    ovi_node_set_attr_ints (last_node (c), "perm", n, perm);
  return TRUE;
}

static gboolean
h_split (Ctx *c, GError **error)
{
  int64_t axis, n;
  if (!check_io (c, 2, 2, 1, MAX_PORTS, error)
      || !const_scalar_int (c, 1, "axis", &axis, error)
      || !attr_int (c, "num_splits", TRUE, 1, &n, error))
    return FALSE;
  if (n != c->n_out)
    return fail (c, error, OVI_ERROR_INVALID,
        "num_splits is %" G_GINT64_FORMAT " but it has %d outputs", n,
        c->n_out);
  add_node (c, "Split", 1, c->in, c->n_out, c->out);
  ovi_node_set_attr_int (last_node (c), "axis", axis);
  ovi_node_set_attr_int (last_node (c), "num_outputs", n);
  return TRUE;
}

static gboolean
h_variadic_split (Ctx *c, GError **error)
{
  int64_t axis;
  int split, ins[2];
  const OviTensor *lengths;
  if (!check_io (c, 3, 3, 1, MAX_PORTS, error)
      || !const_scalar_int (c, 1, "axis", &axis, error))
    return FALSE;
  lengths = in_const (c, 2);
  split = -1;
  if (lengths) {
    int64_t *v;
    int64_t n = ovi_tensor_numel (lengths), known = 0;
    int unknown = -1, r = in_rank (c, 0);
    if (n != c->n_out || lengths->rank > 1)
      return fail (c, error, OVI_ERROR_INVALID,
          "split_lengths has %" G_GINT64_FORMAT " values for %d outputs", n,
          c->n_out);
    v = g_new (int64_t, n + 1);
    for (int64_t i = 0; i < n; i++) {
      v[i] = ovi_tensor_get_i64 (lengths, i);
      if (v[i] == -1 && unknown < 0)
        unknown = (int) i;
      else if (v[i] >= 0 && known <= G_MAXINT64 - v[i])
        known += v[i];
    }
    if (unknown >= 0) {
      /* -1 takes what is left of the axis: needs the input's shape. */
      int64_t a = axis < 0 ? axis + r : axis;
      if (r < 0 || a < 0 || a >= r || in_dims (c, 0)[a] < 0) {
        g_free (v);
        return fail (c, error, OVI_ERROR_UNSUPPORTED,
            "split_lengths has -1 and the split dimension is unknown");
      }
      v[unknown] = in_dims (c, 0)[a] - known;
    }
    split = const_i64 (c, (int) n, v, FALSE);
    g_free (v);
  } else {
    split = to_i64 (c, c->in[2]);
  }
  ins[0] = c->in[0];
  ins[1] = split;
  add_node (c, "Split", 2, ins, c->n_out, c->out);
  ovi_node_set_attr_int (last_node (c), "axis", axis);
  return TRUE;
}

static gboolean
h_gather (Ctx *c, GError **error)
{
  int64_t axis, batch_dims = 0;
  if (!check_io (c, 3, 3, 1, 1, error)
      || !const_scalar_int (c, 2, "axis", &axis, error)
      || !attr_int (c, "batch_dims", FALSE, 0, &batch_dims, error))
    return FALSE;
  if (batch_dims != 0)
    return fail (c, error, OVI_ERROR_UNSUPPORTED,
        "batch_dims %" G_GINT64_FORMAT " is not supported", batch_dims);
  add_node (c, "Gather", 2, c->in, 1, c->out);
  ovi_node_set_attr_int (last_node (c), "axis", axis);
  return TRUE;
}

static gboolean
h_gather_elements (Ctx *c, GError **error)
{
  int64_t axis;
  if (!check_io (c, 2, 2, 1, 1, error)
      || !attr_int (c, "axis", TRUE, 0, &axis, error))
    return FALSE;
  add_node (c, "GatherElements", 2, c->in, 1, c->out);
  ovi_node_set_attr_int (last_node (c), "axis", axis);
  return TRUE;
}

static gboolean
h_gather_nd (Ctx *c, GError **error)
{
  int64_t batch_dims;
  if (!check_io (c, 2, 2, 1, 1, error)
      || !attr_int (c, "batch_dims", FALSE, 0, &batch_dims, error))
    return FALSE;
  if (batch_dims != 0 && c->version < 8)
    return fail (c, error, OVI_ERROR_UNSUPPORTED,
        "GatherND-5 with batch_dims is not supported");
  node1 (c, "GatherND", c->out[0], out_dtype (c, 0), 2, c->in[0],
      to_i64 (c, c->in[1]));
  ovi_node_set_attr_int (last_node (c), "batch_dims", batch_dims);
  return TRUE;
}

static gboolean
h_scatter_elements (Ctx *c, GError **error)
{
  int64_t axis;
  const char *reduction = attr_str (c, "reduction", "none");
  const char *onnx;
  gboolean use_init;
  if (!check_io (c, 4, 4, 1, 1, error)
      || !const_scalar_int (c, 3, "axis", &axis, error)
      || !attr_bool (c, "use_init_val", TRUE, &use_init, error))
    return FALSE;
  onnx = strcmp (reduction, "none") == 0 ? "none"
      : strcmp (reduction, "sum") == 0 ? "add"
      : strcmp (reduction, "prod") == 0 ? "mul"
      : strcmp (reduction, "min") == 0 ? "min"
      : strcmp (reduction, "max") == 0 ? "max" : NULL;
  if (onnx == NULL || (!use_init && strcmp (onnx, "none") != 0))
    return fail (c, error, OVI_ERROR_UNSUPPORTED,
        "reduction '%s'%s is not supported", reduction,
        use_init ? "" : " without use_init_val");
  node1 (c, "ScatterElements", c->out[0], out_dtype (c, 0), 3, c->in[0],
      to_i64 (c, c->in[1]), c->in[2]);
  ovi_node_set_attr_int (last_node (c), "axis", axis);
  if (strcmp (onnx, "none") != 0)
    ovi_node_set_attr_string (last_node (c), "reduction", onnx);
  return TRUE;
}

static gboolean
h_scatter_nd (Ctx *c, GError **error)
{
  const char *reduction = attr_str (c, "reduction", "none");
  const char *onnx;
  if (!check_io (c, 3, 3, 1, 1, error))
    return FALSE;
  onnx = strcmp (reduction, "none") == 0 ? "none"
      : strcmp (reduction, "sum") == 0 ? "add"
      : strcmp (reduction, "prod") == 0 ? "mul"
      : strcmp (reduction, "min") == 0 ? "min"
      : strcmp (reduction, "max") == 0 ? "max" : NULL;
  if (onnx == NULL)
    return fail (c, error, OVI_ERROR_UNSUPPORTED,
        "reduction '%s' is not supported", reduction);
  node1 (c, "ScatterND", c->out[0], out_dtype (c, 0), 3, c->in[0],
      to_i64 (c, c->in[1]), c->in[2]);
  if (strcmp (onnx, "none") != 0)
    ovi_node_set_attr_string (last_node (c), "reduction", onnx);
  return TRUE;
}

/* ScatterUpdate along axis 0 is ScatterND with one index per update row. */
static gboolean
h_scatter_update (Ctx *c, GError **error)
{
  int64_t axis, minus1 = -1;
  int idx;
  if (!check_io (c, 4, 4, 1, 1, error)
      || !const_scalar_int (c, 3, "axis", &axis, error))
    return FALSE;
  if (axis != 0 && !(in_rank (c, 0) > 0 && axis == -in_rank (c, 0)))
    return fail (c, error, OVI_ERROR_UNSUPPORTED,
        "only axis 0 is supported");
  idx = node1 (c, "Unsqueeze", -1, OVI_DTYPE_INT64, 2, to_i64 (c, c->in[1]),
      const_i64 (c, 1, &minus1, FALSE));
  node1 (c, "ScatterND", c->out[0], out_dtype (c, 0), 3, c->in[0], idx,
      c->in[2]);
  return TRUE;
}

static gboolean
h_pad (Ctx *c, GError **error)
{
  const char *mode = attr_str (c, "pad_mode", "constant");
  int ins[3], n = 2;
  if (!check_io (c, 3, 4, 1, 1, error))
    return FALSE;
  if (strcmp (mode, "constant") != 0 && strcmp (mode, "edge") != 0
      && strcmp (mode, "reflect") != 0)
    return fail (c, error, OVI_ERROR_UNSUPPORTED,
        "pad_mode '%s' is not supported", mode);
  ins[0] = c->in[0];
  {
    int both[2];
    OviNode *cat;
    both[0] = axes_input (c, 1);
    both[1] = axes_input (c, 2);
    ins[1] = new_value (c, OVI_DTYPE_INT64);
    cat = add_node (c, "Concat", 2, both, 1, &ins[1]);
    ovi_node_set_attr_int (cat, "axis", 0);
  }
  if (c->n_in == 4 && strcmp (mode, "constant") == 0)
    ins[n++] = c->in[3];
  add_node (c, "Pad", n, ins, 1, c->out);
  ovi_node_set_attr_string (last_node (c), "mode", mode);
  return TRUE;
}

static gboolean
h_broadcast (Ctx *c, GError **error)
{
  const char *mode = attr_str (c, "mode", "numpy");
  int x = c->in[0];
  if (!check_io (c, 2, 3, 1, 1, error))
    return FALSE;
  if (strcmp (mode, "explicit") == 0) {
    int64_t map[OVI_MAX_RANK], axes[OVI_MAX_RANK];
    int n_map, n_axes = 0, r, k = 0;
    if (c->n_in != 3)
      return fail (c, error, OVI_ERROR_INVALID,
          "explicit mode needs axes_mapping");
    if (!const_ints (c, 2, "axes_mapping", OVI_MAX_RANK, &n_map, map, error))
      return FALSE;
    r = in_rank (c, 1) == 1 && in_dims (c, 1)[0] >= 0
        && in_dims (c, 1)[0] <= OVI_MAX_RANK ? (int) in_dims (c, 1)[0] : -1;
    if (r < 0 || n_map > r)
      return fail (c, error, OVI_ERROR_UNSUPPORTED,
          "explicit mode needs a target shape of known length");
    for (int i = 0; i < r; i++) {
      if (k < n_map && map[k] == i) {
        k++;
        continue;
      }
      axes[n_axes++] = i;
    }
    if (k != n_map)
      return fail (c, error, OVI_ERROR_INVALID,
          "axes_mapping must be increasing and within the target rank");
    if (n_axes)
      x = node1 (c, "Unsqueeze", -1, in_dtype (c, 0), 2, x,
          const_i64 (c, n_axes, axes, FALSE));
  } else if (strcmp (mode, "numpy") != 0
      && strcmp (mode, "bidirectional") != 0) {
    return fail (c, error, OVI_ERROR_UNSUPPORTED,
        "mode '%s' is not supported", mode);
  }
  node1 (c, "Expand", c->out[0], out_dtype (c, 0), 2, x,
      to_1d (c, to_i64 (c, c->in[1]), in_rank (c, 1)));
  return TRUE;
}

static gboolean
h_tile (Ctx *c, GError **error)
{
  const OviTensor *rep;
  int x = c->in[0], reps, r;
  if (!check_io (c, 2, 2, 1, 1, error))
    return FALSE;
  rep = in_const (c, 1);
  r = in_rank (c, 0);
  if (rep && rep->rank <= 1 && r >= 0) {
    int64_t n = ovi_tensor_numel (rep), v[OVI_MAX_RANK];
    int64_t axes[OVI_MAX_RANK];
    if (n > OVI_MAX_RANK)
      return fail (c, error, OVI_ERROR_INVALID, "too many repeats");
    if (n < r) {
      /* Missing leading repeats are 1. */
      for (int i = 0; i < r; i++)
        v[i] = i < r - n ? 1 : ovi_tensor_get_i64 (rep, i - (r - n));
      reps = const_i64 (c, r, v, FALSE);
    } else {
      for (int i = 0; i < n; i++)
        v[i] = ovi_tensor_get_i64 (rep, i);
      if (n > r) {
        /* More repeats than dimensions: the input gains leading 1s. */
        for (int i = 0; i < n - r; i++)
          axes[i] = i;
        x = node1 (c, "Unsqueeze", -1, in_dtype (c, 0), 2, x,
            const_i64 (c, (int) (n - r), axes, FALSE));
      }
      reps = const_i64 (c, (int) n, v, FALSE);
    }
  } else {
    reps = to_1d (c, to_i64 (c, c->in[1]), in_rank (c, 1));
  }
  node1 (c, "Tile", c->out[0], out_dtype (c, 0), 2, x, reps);
  return TRUE;
}

static gboolean
h_range (Ctx *c, GError **error)
{
  OviDType t;
  int ins[3];
  if (!check_io (c, 3, 3, 1, 1, error))
    return FALSE;
  t = c->version >= 4 ? parse_type (attr_str (c, "output_type", ""))
      : out_dtype (c, 0);
  if (t == OVI_DTYPE_UNDEFINED)
    t = out_dtype (c, 0);
  if (!ovi_dtype_is_known (t))
    return fail (c, error, OVI_ERROR_INVALID, "has no output type");
  for (int i = 0; i < 3; i++)
    ins[i] = cast (c, c->in[i], t, -1);
  add_node (c, "Range", 3, ins, 1, c->out);
  return TRUE;
}

static gboolean
h_cumsum (Ctx *c, GError **error)
{
  gboolean exclusive, reverse;
  int64_t zero = 0;
  int axis;
  if (!check_io (c, 1, 2, 1, 1, error)
      || !attr_bool (c, "exclusive", FALSE, &exclusive, error)
      || !attr_bool (c, "reverse", FALSE, &reverse, error))
    return FALSE;
  axis = c->n_in == 2 ? to_i64 (c, c->in[1]) : const_i64 (c, 1, &zero, TRUE);
  node1 (c, "CumSum", c->out[0], out_dtype (c, 0), 2, c->in[0], axis);
  ovi_node_set_attr_int (last_node (c), "exclusive", exclusive);
  ovi_node_set_attr_int (last_node (c), "reverse", reverse);
  return TRUE;
}

static gboolean
h_einsum (Ctx *c, GError **error)
{
  const char *eq = attr_str (c, "equation", NULL);
  if (!check_io (c, 1, MAX_PORTS, 1, 1, error))
    return FALSE;
  if (eq == NULL)
    return fail (c, error, OVI_ERROR_INVALID, "has no equation");
  add_node (c, "Einsum", c->n_in, c->in, 1, c->out);
  ovi_node_set_attr_string (last_node (c), "equation", eq);
  return TRUE;
}

static gboolean
h_one_hot (Ctx *c, GError **error)
{
  int64_t axis, minus1 = -1;
  int both[2], values_v;
  OviNode *cat;
  OviDType t;
  if (!check_io (c, 4, 4, 1, 1, error)
      || !attr_int (c, "axis", TRUE, -1, &axis, error))
    return FALSE;
  t = out_dtype (c, 0);
  both[0] = node1 (c, "Reshape", -1, t, 2, c->in[3],
      const_i64 (c, 1, &minus1, FALSE));
  both[1] = node1 (c, "Reshape", -1, t, 2, c->in[2],
      const_i64 (c, 1, &minus1, FALSE));
  values_v = new_value (c, t);
  cat = add_node (c, "Concat", 2, both, 1, &values_v);
  ovi_node_set_attr_int (cat, "axis", 0);
  node1 (c, "OneHot", c->out[0], t, 3, c->in[0], c->in[1], values_v);
  ovi_node_set_attr_int (last_node (c), "axis", axis);
  return TRUE;
}

static gboolean
h_depth_to_space (Ctx *c, GError **error)
{
  gboolean d2s = strcmp (c->layer->type, "DepthToSpace") == 0;
  const char *mode = attr_str (c, "mode", "blocks_first");
  int64_t bs;
  if (!check_io (c, 1, 1, 1, 1, error)
      || !attr_int (c, "block_size", FALSE, 1, &bs, error))
    return FALSE;
  if (strcmp (mode, "blocks_first") != 0
      && (strcmp (mode, "depth_first") != 0 || !d2s))
    return fail (c, error, OVI_ERROR_UNSUPPORTED,
        "mode '%s' is not supported", mode);
  add_node (c, d2s ? "DepthToSpace" : "SpaceToDepth", 1, c->in, 1, c->out);
  ovi_node_set_attr_int (last_node (c), "blocksize", bs);
  if (d2s)
    ovi_node_set_attr_string (last_node (c), "mode",
        strcmp (mode, "blocks_first") == 0 ? "DCR" : "CRD");
  return TRUE;
}

/* Spatial attributes shared by convolutions and pools. */
typedef struct {
  int n_sp;
  int64_t strides[OVI_MAX_RANK], dilations[OVI_MAX_RANK];
  int64_t pads[2 * OVI_MAX_RANK];
  int64_t kernel[OVI_MAX_RANK];
  int64_t out_pad[OVI_MAX_RANK];
  const char *auto_pad;         /* ONNX spelling */
  gboolean has_dilations, has_out_pad;
} Spatial;

static gboolean
spatial_attrs (Ctx *c, Spatial *s, gboolean pool, GError **error)
{
  int64_t pb[OVI_MAX_RANK], pe[OVI_MAX_RANK];
  int n_s, n_pb, n_pe, n_d = -1, n_k = -1, n_op = -1;
  const char *ap = attr_str (c, "auto_pad", "explicit");

  memset (s, 0, sizeof (*s));
  if (!attr_ints_fixed (c, "strides", TRUE, OVI_MAX_RANK, &n_s, s->strides,
          error)
      || !attr_ints_fixed (c, "pads_begin", TRUE, OVI_MAX_RANK, &n_pb, pb,
          error)
      || !attr_ints_fixed (c, "pads_end", TRUE, OVI_MAX_RANK, &n_pe, pe,
          error)
      || !attr_ints_fixed (c, "dilations", !pool, OVI_MAX_RANK, &n_d,
          s->dilations, error)
      || (pool && !attr_ints_fixed (c, "kernel", TRUE, OVI_MAX_RANK, &n_k,
              s->kernel, error))
      || (!pool && !attr_ints_fixed (c, "output_padding", FALSE,
              OVI_MAX_RANK, &n_op, s->out_pad, error)))
    return FALSE;
  s->n_sp = n_s;
  if (n_pb != n_s || n_pe != n_s || (n_d >= 0 && n_d != n_s)
      || (pool && n_k != n_s) || (n_op >= 0 && n_op != n_s) || n_s < 1)
    return fail (c, error, OVI_ERROR_INVALID,
        "strides, pads, dilations and kernel lengths differ");
  for (int i = 0; i < n_s; i++) {
    s->pads[i] = pb[i];
    s->pads[n_s + i] = pe[i];
  }
  s->has_dilations = n_d >= 0;
  s->has_out_pad = n_op >= 0;
  if (g_ascii_strcasecmp (ap, "explicit") == 0
      || g_ascii_strcasecmp (ap, "notset") == 0 || ap[0] == '\0')
    s->auto_pad = "NOTSET";
  else if (g_ascii_strcasecmp (ap, "valid") == 0)
    s->auto_pad = "VALID";
  else if (g_ascii_strcasecmp (ap, "same_upper") == 0)
    s->auto_pad = "SAME_UPPER";
  else if (g_ascii_strcasecmp (ap, "same_lower") == 0)
    s->auto_pad = "SAME_LOWER";
  else
    return fail (c, error, OVI_ERROR_UNSUPPORTED,
        "auto_pad '%s' is not supported", ap);
  return TRUE;
}

static void
set_spatial (OviNode *n, const Spatial *s, gboolean dilations)
{
  ovi_node_set_attr_ints (n, "strides", s->n_sp, s->strides);
  if (dilations && s->has_dilations)
    ovi_node_set_attr_ints (n, "dilations", s->n_sp, s->dilations);
  if (strcmp (s->auto_pad, "NOTSET") == 0)
    ovi_node_set_attr_ints (n, "pads", 2 * s->n_sp, s->pads);
  else
    ovi_node_set_attr_string (n, "auto_pad", s->auto_pad);
}

/* Group weights [G, A, B, k...] -> [G*A, B, k...]. */
static gboolean
group_weights (Ctx *c, int *w, int64_t *groups, GError **error)
{
  int r = in_rank (c, 1);
  const int64_t *d = in_dims (c, 1);
  int64_t shape[OVI_MAX_RANK];
  if (r < 3)
    return fail (c, error, OVI_ERROR_INVALID,
        "group weights need at least 3 dimensions");
  for (int i = 0; i < r; i++)
    if (d[i] < 0)
      return fail (c, error, OVI_ERROR_UNSUPPORTED,
          "group weights must have a static shape");
  *groups = d[0];
  if (d[0] < 1)
    return fail (c, error, OVI_ERROR_INVALID, "0 groups");
  shape[0] = -1;
  for (int i = 2; i < r; i++)
    shape[i - 1] = d[i];
  *w = node1 (c, "Reshape", -1, in_dtype (c, 1), 2, c->in[1],
      const_i64 (c, r - 1, shape, FALSE));
  return TRUE;
}

static gboolean
h_conv (Ctx *c, GError **error)
{
  gboolean group = strcmp (c->layer->type, "GroupConvolution") == 0;
  Spatial s;
  int64_t groups = 1;
  int w = c->in[1];
  if (!check_io (c, 2, 2, 1, 1, error) || !spatial_attrs (c, &s, FALSE, error))
    return FALSE;
  if (group && !group_weights (c, &w, &groups, error))
    return FALSE;
  node1 (c, "Conv", c->out[0], out_dtype (c, 0), 2, c->in[0], w);
  set_spatial (last_node (c), &s, TRUE);
  if (group)
    ovi_node_set_attr_int (last_node (c), "group", groups);
  return TRUE;
}

static gboolean
h_conv_transpose (Ctx *c, GError **error)
{
  gboolean group = strcmp (c->layer->type,
      "GroupConvolutionBackpropData") == 0;
  Spatial s;
  int64_t groups = 1;
  int w = c->in[1];
  if (!check_io (c, 2, 3, 1, 1, error) || !spatial_attrs (c, &s, FALSE, error))
    return FALSE;
  if (c->n_in == 3)
    return fail (c, error, OVI_ERROR_UNSUPPORTED,
        "an output_shape input is not supported");
  if (strcmp (s.auto_pad, "VALID") == 0) {
    for (int i = 0; i < 2 * s.n_sp; i++)
      s.pads[i] = 0;
    s.auto_pad = "NOTSET";
  } else if (strcmp (s.auto_pad, "NOTSET") != 0) {
    return fail (c, error, OVI_ERROR_UNSUPPORTED,
        "auto_pad same_upper/same_lower is not supported");
  }
  if (group && !group_weights (c, &w, &groups, error))
    return FALSE;
  node1 (c, "ConvTranspose", c->out[0], out_dtype (c, 0), 2, c->in[0], w);
  set_spatial (last_node (c), &s, TRUE);
  if (s.has_out_pad)
    ovi_node_set_attr_ints (last_node (c), "output_padding", s.n_sp,
        s.out_pad);
  if (group)
    ovi_node_set_attr_int (last_node (c), "group", groups);
  return TRUE;
}

static gboolean
rounding (Ctx *c, int64_t *ceil_mode, GError **error)
{
  const char *r = attr_str (c, "rounding_type", "floor");
  *ceil_mode = 0;
  if (g_ascii_strcasecmp (r, "floor") == 0)
    *ceil_mode = 0;
  else if (g_ascii_strcasecmp (r, "ceil") == 0
      || g_ascii_strcasecmp (r, "ceil_torch") == 0)
    *ceil_mode = 1;
  else
    return fail (c, error, OVI_ERROR_UNSUPPORTED,
        "rounding_type '%s' is not supported", r);
  return TRUE;
}

static gboolean
h_max_pool (Ctx *c, GError **error)
{
  Spatial s;
  int64_t ceil_mode, axis;
  int outs[2];
  int n_out = 1;
  if (!check_io (c, 1, 1, 1, 2, error) || !spatial_attrs (c, &s, TRUE, error)
      || !rounding (c, &ceil_mode, error)
      || !attr_int (c, "axis", FALSE, 0, &axis, error))
    return FALSE;
  outs[0] = c->out[0];
  if (c->n_out == 2 && out_port (c, 1)->uses > 0) {
    OviDType it = value (c, c->out[1])->dtype;
    if (axis != 0 && axis != -in_rank (c, 0))
      return fail (c, error, OVI_ERROR_UNSUPPORTED,
          "indices with axis %" G_GINT64_FORMAT " are not supported", axis);
    outs[1] = it == OVI_DTYPE_INT64 || it == OVI_DTYPE_UNDEFINED ? c->out[1]
        : new_value (c, OVI_DTYPE_INT64);
    n_out = 2;
  }
  add_node (c, "MaxPool", 1, c->in, n_out, outs);
  set_spatial (last_node (c), &s, TRUE);
  ovi_node_set_attr_ints (last_node (c), "kernel_shape", s.n_sp, s.kernel);
  if (ceil_mode)
    ovi_node_set_attr_int (last_node (c), "ceil_mode", 1);
  if (n_out == 2 && outs[1] != c->out[1])
    cast (c, outs[1], value (c, c->out[1])->dtype, c->out[1]);
  return TRUE;
}

static gboolean
h_avg_pool (Ctx *c, GError **error)
{
  Spatial s;
  int64_t ceil_mode;
  gboolean exclude;
  if (!check_io (c, 1, 1, 1, 1, error) || !spatial_attrs (c, &s, TRUE, error)
      || !rounding (c, &ceil_mode, error)
      || !attr_bool (c, "exclude-pad", FALSE, &exclude, error))
    return FALSE;
  add_node (c, "AveragePool", 1, c->in, 1, c->out);
  set_spatial (last_node (c), &s, FALSE);
  ovi_node_set_attr_ints (last_node (c), "kernel_shape", s.n_sp, s.kernel);
  if (s.has_dilations)
    ovi_node_set_attr_ints (last_node (c), "dilations", s.n_sp, s.dilations);
  if (ceil_mode)
    ovi_node_set_attr_int (last_node (c), "ceil_mode", 1);
  ovi_node_set_attr_int (last_node (c), "count_include_pad", !exclude);
  return TRUE;
}

static gboolean
h_matmul (Ctx *c, GError **error)
{
  gboolean ta, tb;
  int ab[2];
  if (!check_io (c, 2, 2, 1, 1, error)
      || !attr_bool (c, "transpose_a", FALSE, &ta, error)
      || !attr_bool (c, "transpose_b", FALSE, &tb, error))
    return FALSE;
  for (int k = 0; k < 2; k++) {
    int r = in_rank (c, k);
    ab[k] = c->in[k];
    if (!(k ? tb : ta) || r == 1 || r == 0)
      continue;
    if (r < 0)
      return fail (c, error, OVI_ERROR_UNSUPPORTED,
          "transposing an input of unknown rank");
    {
      int64_t perm[OVI_MAX_RANK];
      for (int i = 0; i < r; i++)
        perm[i] = i;
      perm[r - 2] = r - 1;
      perm[r - 1] = r - 2;
      ab[k] = node1 (c, "Transpose", -1, in_dtype (c, k), 1, c->in[k]);
      ovi_node_set_attr_ints (last_node (c), "perm", r, perm);
    }
  }
  node1 (c, "MatMul", c->out[0], out_dtype (c, 0), 2, ab[0], ab[1]);
  return TRUE;
}

static gboolean
h_batch_norm (Ctx *c, GError **error)
{
  double eps;
  int ins[5];
  if (!check_io (c, 5, 5, 1, 1, error)
      || !attr_float (c, "epsilon", TRUE, 1e-5, &eps, error))
    return FALSE;
  if (c->version >= 5) {
    memcpy (ins, c->in, sizeof (ins));
  } else {
    /* BatchNormInference-1: gamma, beta, data, mean, variance. */
    ins[0] = c->in[2];
    ins[1] = c->in[0];
    ins[2] = c->in[1];
    ins[3] = c->in[3];
    ins[4] = c->in[4];
  }
  add_node (c, "BatchNormalization", 5, ins, 1, c->out);
  ovi_node_set_attr_float (last_node (c), "epsilon", (float) eps);
  return TRUE;
}

/* Mean-variance normalization over `axes` (a value). */
static void
emit_mvn (Ctx *c, int x, int axes, gboolean variance, double eps,
    gboolean inside, int out)
{
  OviDType t = out_dtype (c, 0);
  int mean, d, var, den;
  mean = node1 (c, "ReduceMean", -1, t, 2, x, axes);
  ovi_node_set_attr_int (last_node (c), "keepdims", 1);
  if (!variance) {
    node1 (c, "Sub", out, t, 2, x, mean);
    return;
  }
  d = node1 (c, "Sub", -1, t, 2, x, mean);
  var = node1 (c, "ReduceMean", -1, t, 2, node1 (c, "Mul", -1, t, 2, d, d),
      axes);
  ovi_node_set_attr_int (last_node (c), "keepdims", 1);
  if (inside)
    den = node1 (c, "Sqrt", -1, t, 1, node1 (c, "Add", -1, t, 2, var,
            const_scalar (c, t, eps, FALSE)));
  else
    den = node1 (c, "Add", -1, t, 2, node1 (c, "Sqrt", -1, t, 1, var),
        const_scalar (c, t, eps, FALSE));
  node1 (c, "Div", out, t, 2, d, den);
}

static gboolean
h_mvn (Ctx *c, GError **error)
{
  gboolean variance;
  double eps;
  gboolean inside = TRUE;
  int axes;
  if (!attr_bool (c, "normalize_variance", TRUE, &variance, error)
      || !attr_float (c, "eps", TRUE, 1e-9, &eps, error))
    return FALSE;
  if (c->version >= 6) {
    const char *mode = attr_str (c, "eps_mode", "inside_sqrt");
    if (!check_io (c, 2, 2, 1, 1, error))
      return FALSE;
    if (g_ascii_strcasecmp (mode, "outside_sqrt") == 0)
      inside = FALSE;
    else if (g_ascii_strcasecmp (mode, "inside_sqrt") != 0)
      return fail (c, error, OVI_ERROR_UNSUPPORTED,
          "eps_mode '%s' is not supported", mode);
    axes = axes_input (c, 1);
  } else {
    int64_t v[OVI_MAX_RANK];
    int n;
    if (!check_io (c, 1, 1, 1, 1, error)
        || !attr_ints_fixed (c, "reduction_axes", FALSE, OVI_MAX_RANK, &n, v,
            error))
      return FALSE;
    if (n < 0) {
      gboolean across;
      int r = in_rank (c, 0);
      if (!attr_bool (c, "across_channels", FALSE, &across, error))
        return FALSE;
      if (r < 2)
        return fail (c, error, OVI_ERROR_UNSUPPORTED,
            "needs an input of known rank");
      n = 0;
      for (int i = across ? 1 : 2; i < r; i++)
        v[n++] = i;
    }
    axes = const_i64 (c, n, v, FALSE);
  }
  emit_mvn (c, c->in[0], axes, variance, eps, inside, c->out[0]);
  return TRUE;
}

static gboolean
h_normalize_l2 (Ctx *c, GError **error)
{
  double eps;
  const char *mode = attr_str (c, "eps_mode", "add");
  OviDType t;
  int sum, e;
  if (!check_io (c, 2, 2, 1, 1, error)
      || !attr_float (c, "eps", TRUE, 0, &eps, error))
    return FALSE;
  if (strcmp (mode, "add") != 0 && strcmp (mode, "max") != 0)
    return fail (c, error, OVI_ERROR_UNSUPPORTED,
        "eps_mode '%s' is not supported", mode);
  t = out_dtype (c, 0);
  sum = node1 (c, "ReduceSum", -1, t, 2,
      node1 (c, "Mul", -1, t, 2, c->in[0], c->in[0]), axes_input (c, 1));
  ovi_node_set_attr_int (last_node (c), "keepdims", 1);
  ovi_node_set_attr_int (last_node (c), "noop_with_empty_axes", 1);
  e = const_scalar (c, t, eps, FALSE);
  sum = node1 (c, strcmp (mode, "add") == 0 ? "Add" : "Max", -1, t, 2, sum, e);
  node1 (c, "Div", c->out[0], t, 2, c->in[0],
      node1 (c, "Sqrt", -1, t, 1, sum));
  return TRUE;
}

static gboolean
h_lrn (Ctx *c, GError **error)
{
  double alpha, beta, bias;
  int64_t size, axes[OVI_MAX_RANK];
  int n;
  if (!check_io (c, 2, 2, 1, 1, error)
      || !attr_float (c, "alpha", TRUE, 0, &alpha, error)
      || !attr_float (c, "beta", TRUE, 0, &beta, error)
      || !attr_float (c, "bias", TRUE, 1, &bias, error)
      || !attr_int (c, "size", TRUE, 1, &size, error)
      || !const_ints (c, 1, "axes", OVI_MAX_RANK, &n, axes, error))
    return FALSE;
  if (n != 1 || axes[0] != 1)
    return fail (c, error, OVI_ERROR_UNSUPPORTED,
        "only normalization across channels (axes [1]) is supported");
  add_node (c, "LRN", 1, c->in, 1, c->out);
  ovi_node_set_attr_float (last_node (c), "alpha", (float) alpha);
  ovi_node_set_attr_float (last_node (c), "beta", (float) beta);
  ovi_node_set_attr_float (last_node (c), "bias", (float) bias);
  ovi_node_set_attr_int (last_node (c), "size", size);
  return TRUE;
}

static gboolean
h_reduce (Ctx *c, GError **error)
{
  static const struct {
    const char *ir, *onnx;
  } ops[] = {
    { "ReduceMean", "ReduceMean" }, { "ReduceSum", "ReduceSum" },
    { "ReduceMax", "ReduceMax" }, { "ReduceMin", "ReduceMin" },
    { "ReduceProd", "ReduceProd" }, { "ReduceL1", "ReduceL1" },
    { "ReduceL2", "ReduceL2" }, { "ReduceLogicalAnd", "ReduceMin" },
    { "ReduceLogicalOr", "ReduceMax" },
  };
  gboolean keep;
  const char *op = NULL;
  gboolean logical;
  int x, out;
  if (!check_io (c, 2, 2, 1, 1, error)
      || !attr_bool (c, "keep_dims", FALSE, &keep, error))
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (ops); i++)
    if (strcmp (ops[i].ir, c->layer->type) == 0)
      op = ops[i].onnx;
  g_assert (op != NULL);
  /* Mean/max over all spatial axes, kept: the global pools. */
  if (keep && (strcmp (op, "ReduceMean") == 0 || strcmp (op, "ReduceMax") == 0)
      && in_rank (c, 0) >= 3 && in_const (c, 1)) {
    int64_t axes[OVI_MAX_RANK];
    int n, r = in_rank (c, 0), seen = 0;
    GError *ignored = NULL;
    if (const_ints (c, 1, "axes", OVI_MAX_RANK, &n, axes, &ignored)
        && n == r - 2) {
      for (int i = 0; i < n; i++) {
        int64_t a = axes[i] < 0 ? axes[i] + r : axes[i];
        if (a >= 2 && a < r)
          seen |= 1 << a;
      }
      if (seen == ((1 << r) - 1) - 3) {
        add_node (c, strcmp (op, "ReduceMean") == 0 ? "GlobalAveragePool"
            : "GlobalMaxPool", 1, c->in, 1, c->out);
        return TRUE;
      }
    }
    g_clear_error (&ignored);
  }
  logical = g_str_has_prefix (c->layer->type, "ReduceLogical");
  x = logical ? cast (c, c->in[0], OVI_DTYPE_UINT8, -1) : c->in[0];
  out = logical ? new_value (c, OVI_DTYPE_UINT8) : c->out[0];
  node1 (c, op, out, out_dtype (c, 0), 2, x, axes_input (c, 1));
  ovi_node_set_attr_int (last_node (c), "keepdims", keep);
  ovi_node_set_attr_int (last_node (c), "noop_with_empty_axes", 1);
  if (logical)
    cast (c, out, OVI_DTYPE_BOOL, c->out[0]);
  return TRUE;
}

static gboolean
h_topk (Ctx *c, GError **error)
{
  int64_t axis, minus1 = -1;
  const char *mode = attr_str (c, "mode", "max");
  const char *sort = attr_str (c, "sort", "none");
  OviDType it;
  int outs[2], k;
  if (!check_io (c, 2, 2, 2, 2, error)
      || !attr_int (c, "axis", TRUE, -1, &axis, error))
    return FALSE;
  if (strcmp (mode, "max") != 0 && strcmp (mode, "min") != 0)
    return fail (c, error, OVI_ERROR_INVALID, "mode '%s' is unknown", mode);
  if (strcmp (sort, "index") == 0)
    return fail (c, error, OVI_ERROR_UNSUPPORTED,
        "sort by index is not supported");
  if (strcmp (sort, "value") != 0 && strcmp (sort, "none") != 0)
    return fail (c, error, OVI_ERROR_INVALID, "sort '%s' is unknown", sort);
  it = value (c, c->out[1])->dtype;
  if (it == OVI_DTYPE_UNDEFINED)
    it = parse_type (attr_str (c, "index_element_type", "i32"));
  if (it != OVI_DTYPE_INT32 && it != OVI_DTYPE_INT64)
    return fail (c, error, OVI_ERROR_UNSUPPORTED,
        "index_element_type must be i32 or i64");
  outs[0] = c->out[0];
  outs[1] = it == OVI_DTYPE_INT64 ? c->out[1]
      : new_value (c, OVI_DTYPE_INT64);
  k = node1 (c, "Reshape", -1, OVI_DTYPE_INT64, 2, to_i64 (c, c->in[1]),
      const_i64 (c, 1, &minus1, FALSE));
  {
    int ins[2] = { c->in[0], k };
    add_node (c, "TopK", 2, ins, 2, outs);
  }
  ovi_node_set_attr_int (last_node (c), "axis", axis);
  ovi_node_set_attr_int (last_node (c), "largest", strcmp (mode, "max") == 0);
  ovi_node_set_attr_int (last_node (c), "sorted", 1);
  if (outs[1] != c->out[1])
    cast (c, outs[1], it, c->out[1]);
  return TRUE;
}

static gboolean
h_nms (Ctx *c, GError **error)
{
  const char *enc = attr_str (c, "box_encoding", "corner");
  gboolean sort_desc;
  OviDType it = parse_type (attr_str (c, "output_type", "i64"));
  int ins[5], sel, n_ins = 2;
  int64_t minus1 = -1;
  if (!check_io (c, 2, 6, 1, 3, error)
      || !attr_bool (c, "sort_result_descending", TRUE, &sort_desc, error))
    return FALSE;
  if (strcmp (enc, "corner") != 0 && strcmp (enc, "center") != 0)
    return fail (c, error, OVI_ERROR_UNSUPPORTED,
        "box_encoding '%s' is not supported", enc);
  if (it != OVI_DTYPE_INT32 && it != OVI_DTYPE_INT64)
    return fail (c, error, OVI_ERROR_UNSUPPORTED,
        "output_type must be i32 or i64");
  if (c->n_in >= 6) {
    const OviTensor *sigma = in_const (c, 5);
    if (sigma == NULL || ovi_tensor_numel (sigma) != 1
        || ovi_tensor_get_f64 (sigma, 0) != 0)
      return fail (c, error, OVI_ERROR_UNSUPPORTED,
          "Soft-NMS (soft_nms_sigma) is not supported");
  }
  ins[0] = c->in[0];
  ins[1] = c->in[1];
  for (int k = 2; k < MIN (c->n_in, 5); k++) {
    OviDType t = k == 2 ? OVI_DTYPE_INT64 : OVI_DTYPE_FLOAT32;
    ins[k] = node1 (c, "Reshape", -1, t, 2, cast (c, c->in[k], t, -1),
        const_i64 (c, 1, &minus1, FALSE));
    n_ins = k + 1;
  }
  sel = new_value (c, OVI_DTYPE_INT64);
  add_node (c, "NonMaxSuppression", n_ins, ins, 1, &sel);
  ovi_node_set_attr_int (last_node (c), "center_point_box",
      strcmp (enc, "center") == 0);
  /* selected_scores: [batch, class, score] per selected box. */
  {
    OviDType st = c->n_out >= 2 ? out_dtype (c, 1) : OVI_DTYPE_FLOAT32;
    int64_t zero = 0, two = 2, one = 1;
    int score, bc, parts[2], scores_v;
    if (st == OVI_DTYPE_UNDEFINED)
      st = in_dtype (c, 1);
    score = node1 (c, "GatherND", -1, st, 2, c->in[1], sel);
    if (sort_desc) {
      /* Sort the selection by score, stably, across batches and classes. */
      int n = node1 (c, "Shape", -1, OVI_DTYPE_INT64, 1, score);
      int order = new_value (c, OVI_DTYPE_INT64);
      int sorted = new_value (c, st);
      int topk_out[2] = { sorted, order };
      int topk_in[2] = { score, n };
      add_node (c, "TopK", 2, topk_in, 2, topk_out);
      ovi_node_set_attr_int (last_node (c), "axis", 0);
      sel = node1 (c, "Gather", -1, OVI_DTYPE_INT64, 2, sel, order);
      ovi_node_set_attr_int (last_node (c), "axis", 0);
      score = sorted;
    }
    cast (c, sel, it, c->out[0]);
    if (c->n_out >= 2) {
      bc = node1 (c, "Slice", -1, OVI_DTYPE_INT64, 4, sel,
          const_i64 (c, 1, &zero, FALSE), const_i64 (c, 1, &two, FALSE),
          const_i64 (c, 1, &one, FALSE));
      parts[0] = cast (c, bc, st, -1);
      parts[1] = node1 (c, "Unsqueeze", -1, st, 2, score,
          const_i64 (c, 1, &one, FALSE));
      scores_v = c->out[1];
      add_node (c, "Concat", 2, parts, 1, &scores_v);
      ovi_node_set_attr_int (last_node (c), "axis", 1);
    }
    if (c->n_out >= 3) {
      int shape = node1 (c, "Shape", -1, OVI_DTYPE_INT64, 1, sel);
      int first = node1 (c, "Slice", -1, OVI_DTYPE_INT64, 3, shape,
          const_i64 (c, 1, &zero, FALSE), const_i64 (c, 1, &one, FALSE));
      OviDType vt = value (c, c->out[2])->dtype;
      cast (c, first, vt == OVI_DTYPE_UNDEFINED ? it : vt, c->out[2]);
    }
  }
  return TRUE;
}

static gboolean
h_nonzero (Ctx *c, GError **error)
{
  OviDType it = parse_type (attr_str (c, "output_type", "i64"));
  int nz;
  if (!check_io (c, 1, 1, 1, 1, error))
    return FALSE;
  if (it != OVI_DTYPE_INT32 && it != OVI_DTYPE_INT64)
    return fail (c, error, OVI_ERROR_UNSUPPORTED,
        "output_type must be i32 or i64");
  nz = it == OVI_DTYPE_INT64 ? c->out[0] : new_value (c, OVI_DTYPE_INT64);
  add_node (c, "NonZero", 1, c->in, 1, &nz);
  if (nz != c->out[0])
    cast (c, nz, it, c->out[0]);
  return TRUE;
}

static gboolean
h_interpolate (Ctx *c, GError **error)
{
  const char *mode = attr_str (c, "mode", "nearest");
  const char *calc = attr_str (c, "shape_calculation_mode", "sizes");
  const char *ctm = attr_str (c, "coordinate_transformation_mode",
      "half_pixel");
  const char *nm = attr_str (c, "nearest_mode", "round_prefer_floor");
  gboolean antialias, sizes_mode;
  double cube;
  int64_t pads[OVI_MAX_RANK], axes[OVI_MAX_RANK];
  int n_pads, n_axes = -1, axes_input_k, src;
  int ins[4];
  const char *onnx_mode;

  if (c->version < 4)
    return fail (c, error, OVI_ERROR_UNSUPPORTED,
        "Interpolate-1 is not supported");
  if (!check_io (c, c->version >= 11 ? 2 : 3, c->version >= 11 ? 3 : 4, 1, 1,
          error)
      || !attr_bool (c, "antialias", FALSE, &antialias, error)
      || !attr_float (c, "cube_coeff", FALSE, -0.75, &cube, error))
    return FALSE;
  for (int d = 0; d < 2; d++) {
    if (!attr_ints_fixed (c, d ? "pads_end" : "pads_begin", FALSE,
            OVI_MAX_RANK, &n_pads, pads, error))
      return FALSE;
    for (int i = 0; i < n_pads; i++)
      if (pads[i] != 0)
        return fail (c, error, OVI_ERROR_UNSUPPORTED,
            "padding is not supported");
  }
  if (strcmp (mode, "nearest") == 0)
    onnx_mode = "nearest";
  else if (strcmp (mode, "linear") == 0 || strcmp (mode, "linear_onnx") == 0)
    onnx_mode = "linear";
  else if (strcmp (mode, "cubic") == 0)
    onnx_mode = "cubic";
  else
    return fail (c, error, OVI_ERROR_UNSUPPORTED, "mode '%s' is not "
        "supported", mode);
  if (strcmp (ctm, "half_pixel") != 0 && strcmp (ctm, "pytorch_half_pixel")
      != 0 && strcmp (ctm, "asymmetric") != 0
      && strcmp (ctm, "tf_half_pixel_for_nn") != 0
      && strcmp (ctm, "align_corners") != 0)
    return fail (c, error, OVI_ERROR_UNSUPPORTED,
        "coordinate_transformation_mode '%s' is not supported", ctm);
  if (strcmp (nm, "round_prefer_floor") != 0
      && strcmp (nm, "round_prefer_ceil") != 0 && strcmp (nm, "floor") != 0
      && strcmp (nm, "ceil") != 0)
    return fail (c, error, OVI_ERROR_UNSUPPORTED,
        "nearest_mode '%s' is not supported", nm);
  if (strcmp (calc, "sizes") == 0)
    sizes_mode = TRUE;
  else if (strcmp (calc, "scales") == 0)
    sizes_mode = FALSE;
  else
    return fail (c, error, OVI_ERROR_UNSUPPORTED,
        "shape_calculation_mode '%s' is not supported", calc);
  axes_input_k = c->version >= 11 ? 2 : 3;
  if (c->n_in > axes_input_k
      && !const_ints (c, axes_input_k, "axes", OVI_MAX_RANK, &n_axes, axes,
          error))
    return FALSE;
  src = c->version >= 11 ? c->in[1] : sizes_mode ? c->in[1] : c->in[2];
  ins[0] = c->in[0];
  ins[1] = -1;
  if (sizes_mode) {
    ins[2] = -1;
    ins[3] = to_1d (c, to_i64 (c, src), -1);
  } else {
    ins[2] = to_1d (c, cast (c, src, OVI_DTYPE_FLOAT32, -1), -1);
  }
  add_node (c, "Resize", sizes_mode ? 4 : 3, ins, 1, c->out);
  ovi_node_set_attr_string (last_node (c), "mode", onnx_mode);
  ovi_node_set_attr_string (last_node (c), "coordinate_transformation_mode",
      ctm);
  ovi_node_set_attr_string (last_node (c), "nearest_mode", nm);
  ovi_node_set_attr_float (last_node (c), "cubic_coeff_a", (float) cube);
  if (antialias && strcmp (onnx_mode, "nearest") != 0)
    ovi_node_set_attr_int (last_node (c), "antialias", 1);
  if (n_axes >= 0)
    ovi_node_set_attr_ints (last_node (c), "axes", n_axes, axes);
  return TRUE;
}

static gboolean
h_slice (Ctx *c, GError **error)
{
  int ins[5];
  if (!check_io (c, 4, 5, 1, 1, error))
    return FALSE;
  /* IR: data, start, stop, step[, axes]; ONNX: data, starts, ends[, axes
   * [, steps]]. */
  ins[0] = c->in[0];
  ins[1] = axes_input (c, 1);
  ins[2] = axes_input (c, 2);
  ins[3] = c->n_in == 5 ? axes_input (c, 4) : -1;
  ins[4] = axes_input (c, 3);
  add_node (c, "Slice", 5, ins, 1, c->out);
  return TRUE;
}

static void
mask_get (const int64_t *m, int n, int i, gboolean *out)
{
  *out = i < n && m[i] != 0;
}

static gboolean
h_strided_slice (Ctx *c, GError **error)
{
  int64_t *masks[5] = { NULL };
  int n_masks[5];
  static const char *const mask_names[5] = { "begin_mask", "end_mask",
    "new_axis_mask", "shrink_axis_mask", "ellipsis_mask" };
  int64_t begin[OVI_MAX_RANK * 2], end[OVI_MAX_RANK * 2],
      stride[OVI_MAX_RANK * 2];
  int64_t starts[OVI_MAX_RANK], ends[OVI_MAX_RANK], axes[OVI_MAX_RANK],
      steps[OVI_MAX_RANK];
  int64_t shrink[OVI_MAX_RANK], newax[OVI_MAX_RANK * 2];
  int n_b, n_e, n_s, n_sl = 0, n_shrink = 0, n_new = 0;
  int r, axis, out_axis, x;
  gboolean ok = FALSE, any_mask = FALSE;

  if (!check_io (c, 3, 4, 1, 1, error))
    return FALSE;
  for (int i = 0; i < 5; i++) {
    if (!attr_ints (c, mask_names[i], &n_masks[i], &masks[i], error))
      goto out;
    for (int j = 0; j < n_masks[i]; j++)
      any_mask |= masks[i][j] != 0;
  }
  r = in_rank (c, 0);
  if (in_const (c, 1) == NULL || in_const (c, 2) == NULL
      || (c->n_in == 4 && in_const (c, 3) == NULL)) {
    /* Dynamic bounds: only the plain form maps onto Slice. */
    int ins[5];
    int64_t n;
    if (any_mask || in_rank (c, 1) != 1 || in_dims (c, 1)[0] < 0) {
      fail (c, error, OVI_ERROR_UNSUPPORTED,
          "non-constant begin/end with masks are not supported");
      goto out;
    }
    n = in_dims (c, 1)[0];
    if (n > OVI_MAX_RANK) {
      fail (c, error, OVI_ERROR_INVALID, "begin is too long");
      goto out;
    }
    for (int i = 0; i < n; i++)
      axes[i] = i;
    ins[0] = c->in[0];
    ins[1] = to_i64 (c, c->in[1]);
    ins[2] = to_i64 (c, c->in[2]);
    ins[3] = const_i64 (c, (int) n, axes, FALSE);
    ins[4] = c->n_in == 4 ? to_i64 (c, c->in[3]) : -1;
    add_node (c, "Slice", c->n_in == 4 ? 5 : 4, ins, 1, c->out);
    ok = TRUE;
    goto out;
  }
  if (!const_ints (c, 1, "begin", OVI_MAX_RANK * 2, &n_b, begin, error)
      || !const_ints (c, 2, "end", OVI_MAX_RANK * 2, &n_e, end, error))
    goto out;
  if (c->n_in == 4) {
    if (!const_ints (c, 3, "stride", OVI_MAX_RANK * 2, &n_s, stride, error))
      goto out;
  } else {
    n_s = n_b;
    for (int i = 0; i < n_s; i++)
      stride[i] = 1;
  }
  if (n_b != n_e || n_b != n_s) {
    fail (c, error, OVI_ERROR_INVALID,
        "begin, end and stride lengths differ");
    goto out;
  }
  if (r < 0) {
    fail (c, error, OVI_ERROR_UNSUPPORTED, "needs an input of known rank");
    goto out;
  }
  {
    int consumed = 0, n_ellipsis = 0;
    for (int i = 0; i < n_b; i++) {
      gboolean na, el;
      mask_get (masks[2], n_masks[2], i, &na);
      mask_get (masks[4], n_masks[4], i, &el);
      if (el)
        n_ellipsis++;
      else if (!na)
        consumed++;
    }
    if (n_ellipsis > 1 || consumed > r) {
      fail (c, error, OVI_ERROR_INVALID,
          "slices more dimensions than the input has");
      goto out;
    }
  }
  axis = 0;
  out_axis = 0;
  for (int i = 0; i < n_b; i++) {
    gboolean bm, em, na, sh, el;
    mask_get (masks[0], n_masks[0], i, &bm);
    mask_get (masks[1], n_masks[1], i, &em);
    mask_get (masks[2], n_masks[2], i, &na);
    mask_get (masks[3], n_masks[3], i, &sh);
    mask_get (masks[4], n_masks[4], i, &el);
    if (el) {
      /* Skip the dimensions the entries after this one do not name. */
      int later = 0;
      for (int j = i + 1; j < n_b; j++) {
        gboolean na2, el2;
        mask_get (masks[2], n_masks[2], j, &na2);
        mask_get (masks[4], n_masks[4], j, &el2);
        if (!na2 && !el2)
          later++;
      }
      out_axis += r - axis - later;
      axis = r - later;
      continue;
    }
    if (na) {
      newax[n_new++] = out_axis++;
      continue;
    }
    if (axis >= r)
      break;
    if (sh) {
      int64_t b = begin[i];
      starts[n_sl] = b;
      ends[n_sl] = b == -1 || b == G_MAXINT64 ? G_MAXINT64 : b + 1;
      steps[n_sl] = 1;
      axes[n_sl++] = axis;
      shrink[n_shrink++] = axis;
      axis++;
      continue;
    }
    if (stride[i] == 0) {
      fail (c, error, OVI_ERROR_INVALID, "stride is 0");
      goto out;
    }
    if (!bm || !em || stride[i] != 1) {
      starts[n_sl] = bm ? (stride[i] > 0 ? 0 : G_MAXINT64) : begin[i];
      ends[n_sl] = em ? (stride[i] > 0 ? G_MAXINT64 : -G_MAXINT64) : end[i];
      steps[n_sl] = stride[i];
      axes[n_sl++] = axis;
    }
    axis++;
    out_axis++;
  }
  x = c->in[0];
  if (n_sl) {
    OviDType t = in_dtype (c, 0);
    int out = (n_shrink || n_new) ? new_value (c, t) : c->out[0];
    node1 (c, "Slice", out, t, 5, x, const_i64 (c, n_sl, starts, FALSE),
        const_i64 (c, n_sl, ends, FALSE), const_i64 (c, n_sl, axes, FALSE),
        const_i64 (c, n_sl, steps, FALSE));
    x = out;
  }
  if (n_shrink) {
    OviDType t = in_dtype (c, 0);
    int out = n_new ? new_value (c, t) : c->out[0];
    node1 (c, "Squeeze", out, t, 2, x, const_i64 (c, n_shrink, shrink,
            FALSE));
    x = out;
  }
  if (n_new)
    node1 (c, "Unsqueeze", c->out[0], in_dtype (c, 0), 2, x,
        const_i64 (c, n_new, newax, FALSE));
  if (!n_sl && !n_shrink && !n_new)
    node1 (c, "Identity", c->out[0], in_dtype (c, 0), 1, x);
  ok = TRUE;

out:
  for (int i = 0; i < 5; i++)
    g_free (masks[i]);
  return ok;
}

static gboolean
h_fake_quantize (Ctx *c, GError **error)
{
  int64_t levels;
  OviDType t;
  int x, il, ih, ol, oh, lo, hi, q, r, res;
  if (!check_io (c, 5, 5, 1, 1, error) || !check_broadcast (c, error)
      || !attr_int (c, "levels", TRUE, 256, &levels, error))
    return FALSE;
  if (levels < 2)
    return fail (c, error, OVI_ERROR_INVALID, "levels must be at least 2");
  t = out_dtype (c, 0);
  x = c->in[0];
  il = c->in[1];
  ih = c->in[2];
  ol = c->in[3];
  oh = c->in[4];
  lo = node1 (c, "Min", -1, t, 2, il, ih);
  hi = node1 (c, "Max", -1, t, 2, il, ih);
  q = node1 (c, "Div", -1, t, 2, node1 (c, "Sub", -1, t, 2, x, il),
      node1 (c, "Sub", -1, t, 2, ih, il));
  q = node1 (c, "Round", -1, t, 1, node1 (c, "Mul", -1, t, 2, q,
          const_scalar (c, t, (double) (levels - 1), FALSE)));
  r = node1 (c, "Add", -1, t, 2, node1 (c, "Mul", -1, t, 2,
          node1 (c, "Div", -1, t, 2, q,
              const_scalar (c, t, (double) (levels - 1), FALSE)),
          node1 (c, "Sub", -1, t, 2, oh, ol)), ol);
  res = node1 (c, "Where", -1, t, 3,
      node1 (c, "Greater", -1, OVI_DTYPE_BOOL, 2, x, hi), oh, r);
  node1 (c, "Where", c->out[0], t, 3,
      node1 (c, "LessOrEqual", -1, OVI_DTYPE_BOOL, 2, x, lo), ol, res);
  return TRUE;
}

static gboolean
h_roi_align (Ctx *c, GError **error)
{
  int64_t ph, pw, sr;
  double scale;
  const char *mode = attr_str (c, "mode", "avg");
  const char *aligned = attr_str (c, "aligned_mode", "asymmetric");
  if (!check_io (c, 3, 3, 1, 1, error)
      || !attr_int (c, "pooled_h", TRUE, 1, &ph, error)
      || !attr_int (c, "pooled_w", TRUE, 1, &pw, error)
      || !attr_int (c, "sampling_ratio", TRUE, 0, &sr, error)
      || !attr_float (c, "spatial_scale", TRUE, 1, &scale, error))
    return FALSE;
  if (strcmp (aligned, "asymmetric") != 0
      && strcmp (aligned, "half_pixel") != 0)
    return fail (c, error, OVI_ERROR_UNSUPPORTED,
        "aligned_mode '%s' is not supported", aligned);
  if (strcmp (mode, "avg") != 0 && strcmp (mode, "max") != 0)
    return fail (c, error, OVI_ERROR_UNSUPPORTED, "mode '%s' is not "
        "supported", mode);
  node1 (c, "RoiAlign", c->out[0], out_dtype (c, 0), 3, c->in[0], c->in[1],
      to_i64 (c, c->in[2]));
  ovi_node_set_attr_int (last_node (c), "output_height", ph);
  ovi_node_set_attr_int (last_node (c), "output_width", pw);
  ovi_node_set_attr_int (last_node (c), "sampling_ratio", sr);
  ovi_node_set_attr_float (last_node (c), "spatial_scale", (float) scale);
  ovi_node_set_attr_string (last_node (c), "mode", mode);
  ovi_node_set_attr_string (last_node (c), "coordinate_transformation_mode",
      strcmp (aligned, "half_pixel") == 0 ? "half_pixel"
      : "output_half_pixel");
  return TRUE;
}

static gboolean
h_bitshift (Ctx *c, GError **error)
{
  if (!check_io (c, 2, 2, 1, 1, error) || !check_broadcast (c, error))
    return FALSE;
  add_node (c, "BitShift", 2, c->in, 1, c->out);
  ovi_node_set_attr_string (last_node (c), "direction",
      strcmp (c->layer->type, "BitwiseLeftShift") == 0 ? "LEFT" : "RIGHT");
  return TRUE;
}

static gboolean
h_reverse_sequence (Ctx *c, GError **error)
{
  int64_t batch, seq;
  if (!check_io (c, 2, 2, 1, 1, error)
      || !attr_int (c, "batch_axis", FALSE, 0, &batch, error)
      || !attr_int (c, "seq_axis", FALSE, 1, &seq, error))
    return FALSE;
  node1 (c, "ReverseSequence", c->out[0], out_dtype (c, 0), 2, c->in[0],
      to_i64 (c, c->in[1]));
  ovi_node_set_attr_int (last_node (c), "batch_axis", batch);
  ovi_node_set_attr_int (last_node (c), "time_axis", seq);
  return TRUE;
}

static gboolean
h_grid_sample (Ctx *c, GError **error)
{
  gboolean align;
  const char *mode = attr_str (c, "mode", "bilinear");
  const char *pad = attr_str (c, "padding_mode", "zeros");
  if (!check_io (c, 2, 2, 1, 1, error)
      || !attr_bool (c, "align_corners", FALSE, &align, error))
    return FALSE;
  if (strcmp (mode, "bilinear") != 0 && strcmp (mode, "bicubic") != 0
      && strcmp (mode, "nearest") != 0)
    return fail (c, error, OVI_ERROR_UNSUPPORTED, "mode '%s' is not "
        "supported", mode);
  if (strcmp (pad, "zeros") != 0 && strcmp (pad, "border") != 0
      && strcmp (pad, "reflection") != 0)
    return fail (c, error, OVI_ERROR_UNSUPPORTED,
        "padding_mode '%s' is not supported", pad);
  add_node (c, "GridSample", 2, c->in, 1, c->out);
  ovi_node_set_attr_int (last_node (c), "align_corners", align);
  ovi_node_set_attr_string (last_node (c), "mode", mode);
  ovi_node_set_attr_string (last_node (c), "padding_mode", pad);
  return TRUE;
}

static gboolean
h_unique (Ctx *c, GError **error)
{
  gboolean sorted;
  int64_t axis = 0;
  int outs[4];
  OviDType types[4];
  if (!check_io (c, 1, 2, 1, 4, error)
      || !attr_bool (c, "sorted", TRUE, &sorted, error))
    return FALSE;
  if (c->n_in == 2 && !const_scalar_int (c, 1, "axis", &axis, error))
    return FALSE;
  for (int k = 0; k < 4; k++) {
    OviDType t = k < c->n_out ? value (c, c->out[k])->dtype
        : OVI_DTYPE_UNDEFINED;
    if (k > 0 && t == OVI_DTYPE_UNDEFINED)
      t = parse_type (attr_str (c, k == 3 ? "count_element_type"
              : "index_element_type", "i64"));
    types[k] = t;
    if (k >= c->n_out)
      outs[k] = -1;
    else if (k == 0 || t == OVI_DTYPE_INT64)
      outs[k] = c->out[k];
    else
      outs[k] = new_value (c, OVI_DTYPE_INT64);
  }
  add_node (c, "Unique", 1, c->in, c->n_out, outs);
  if (c->n_in == 2)
    ovi_node_set_attr_int (last_node (c), "axis", axis);
  ovi_node_set_attr_int (last_node (c), "sorted", sorted);
  for (int k = 1; k < c->n_out; k++)
    if (outs[k] != c->out[k])
      cast (c, outs[k], types[k], c->out[k]);
  return TRUE;
}

/* Eye with constant sizes: computed here, a constant of the model. */
static gboolean
h_eye (Ctx *c, GError **error)
{
  int64_t rows, cols, diag, dims[2];
  OviDType t = parse_type (attr_str (c, "output_type", "f32"));
  OviTensor *e;
  if (!check_io (c, 2, 3, 1, 1, error)
      || !const_scalar_int (c, 0, "num_rows", &rows, error)
      || !const_scalar_int (c, 1, "num_columns", &cols, error))
    return FALSE;
  diag = 0;
  if (c->n_in == 3 && !const_scalar_int (c, 2, "diagonal_index", &diag,
          error))
    return FALSE;
  if (!ovi_dtype_is_known (t))
    return fail (c, error, OVI_ERROR_UNSUPPORTED, "output_type unsupported");
  if (rows < 0 || cols < 0 || rows > (1 << 24) || cols > (1 << 24)
      || (rows && cols > (1 << 24) / rows))
    return fail (c, error, OVI_ERROR_UNSUPPORTED, "eye too large");
  dims[0] = rows;
  dims[1] = cols;
  e = ovi_tensor_new (t, 2, dims);
  if (e == NULL)
    return fail (c, error, OVI_ERROR_INVALID, "eye too large");
  diag = CLAMP (diag, -rows, cols);
  for (int64_t i = MAX (0, -diag); i < rows && i + diag < cols; i++)
    store_saturated (e, i * cols + i + diag, 1);
  {
    int v = new_const (c, e);
    node1 (c, "Identity", c->out[0], t, 1, v);
  }
  return TRUE;
}

static const struct {
  const char *type;
  Handler handler;
  int min_version;              /* oldest opset version handled */
} handlers[] = {
  { "Abs", h_simple, 1 }, { "Acos", h_simple, 1 }, { "Acosh", h_simple, 1 },
  { "Asin", h_simple, 1 }, { "Asinh", h_simple, 1 }, { "Atan", h_simple, 1 },
  { "Atanh", h_simple, 1 }, { "Ceiling", h_simple, 1 },
  { "Cos", h_simple, 1 }, { "Cosh", h_simple, 1 }, { "Erf", h_simple, 1 },
  { "Exp", h_simple, 1 }, { "Floor", h_simple, 1 }, { "Log", h_simple, 1 },
  { "Negative", h_simple, 1 }, { "Relu", h_simple, 1 },
  { "Sigmoid", h_simple, 1 }, { "Sign", h_simple, 1 },
  { "Sin", h_simple, 1 }, { "Sinh", h_simple, 1 }, { "Sqrt", h_simple, 1 },
  { "Tan", h_simple, 1 }, { "Tanh", h_simple, 1 },
  { "SoftPlus", h_simple, 1 }, { "SoftSign", h_simple, 1 },
  { "Mish", h_simple, 1 }, { "HSwish", h_simple, 1 },
  { "LogicalNot", h_simple, 1 }, { "BitwiseNot", h_simple, 1 },
  { "IsNaN", h_simple, 1 }, { "Identity", h_simple, 1 },
  { "ConvertLike", h_simple, 1 },
  { "Add", h_simple, 1 }, { "Subtract", h_simple, 1 },
  { "Multiply", h_simple, 1 }, { "Power", h_simple, 1 },
  { "Maximum", h_simple, 1 }, { "Minimum", h_simple, 1 },
  { "Equal", h_simple, 1 }, { "Less", h_simple, 1 },
  { "Greater", h_simple, 1 }, { "LessEqual", h_simple, 1 },
  { "GreaterEqual", h_simple, 1 }, { "LogicalAnd", h_simple, 1 },
  { "LogicalOr", h_simple, 1 }, { "LogicalXor", h_simple, 1 },
  { "BitwiseAnd", h_simple, 1 }, { "BitwiseOr", h_simple, 1 },
  { "BitwiseXor", h_simple, 1 }, { "Select", h_simple, 1 },
  { "NotEqual", h_not_equal, 1 },
  { "SquaredDifference", h_squared_difference, 1 },
  { "Divide", h_divide, 1 },
  { "Mod", h_mod, 1 }, { "FloorMod", h_mod, 1 },
  { "Elu", h_elu, 1 }, { "Clamp", h_clamp, 1 },
  { "HSigmoid", h_hsigmoid, 1 }, { "HardSigmoid", h_hard_sigmoid, 1 },
  { "Selu", h_selu, 1 }, { "Swish", h_swish, 1 }, { "Gelu", h_gelu, 1 },
  { "Round", h_round, 1 }, { "IsInf", h_is_inf, 1 },
  { "IsFinite", h_is_finite, 1 }, { "PRelu", h_prelu, 1 },
  { "Softmax", h_softmax, 1 }, { "LogSoftmax", h_softmax, 1 },
  { "Convert", h_convert, 1 }, { "ShapeOf", h_shape_of, 1 },
  { "Concat", h_concat, 1 }, { "Reshape", h_reshape, 1 },
  { "Squeeze", h_squeeze, 1 }, { "Unsqueeze", h_squeeze, 1 },
  { "Transpose", h_transpose, 1 }, { "Split", h_split, 1 },
  { "VariadicSplit", h_variadic_split, 1 }, { "Gather", h_gather, 1 },
  { "GatherElements", h_gather_elements, 1 },
  { "GatherND", h_gather_nd, 5 },
  { "ScatterElementsUpdate", h_scatter_elements, 3 },
  { "ScatterNDUpdate", h_scatter_nd, 3 },
  { "ScatterUpdate", h_scatter_update, 3 },
  { "Pad", h_pad, 1 }, { "Broadcast", h_broadcast, 1 },
  { "Tile", h_tile, 1 }, { "Range", h_range, 1 },
  { "CumSum", h_cumsum, 1 }, { "Einsum", h_einsum, 1 },
  { "OneHot", h_one_hot, 1 },
  { "DepthToSpace", h_depth_to_space, 1 },
  { "SpaceToDepth", h_depth_to_space, 1 },
  { "Convolution", h_conv, 1 }, { "GroupConvolution", h_conv, 1 },
  { "ConvolutionBackpropData", h_conv_transpose, 1 },
  { "GroupConvolutionBackpropData", h_conv_transpose, 1 },
  { "MaxPool", h_max_pool, 1 }, { "AvgPool", h_avg_pool, 1 },
  { "MatMul", h_matmul, 1 }, { "BatchNormInference", h_batch_norm, 1 },
  { "MVN", h_mvn, 1 }, { "NormalizeL2", h_normalize_l2, 1 },
  { "LRN", h_lrn, 1 },
  { "ReduceMean", h_reduce, 1 }, { "ReduceSum", h_reduce, 1 },
  { "ReduceMax", h_reduce, 1 }, { "ReduceMin", h_reduce, 1 },
  { "ReduceProd", h_reduce, 1 }, { "ReduceL1", h_reduce, 1 },
  { "ReduceL2", h_reduce, 1 }, { "ReduceLogicalAnd", h_reduce, 1 },
  { "ReduceLogicalOr", h_reduce, 1 },
  { "TopK", h_topk, 1 }, { "NonMaxSuppression", h_nms, 3 },
  { "NonZero", h_nonzero, 1 }, { "Interpolate", h_interpolate, 1 },
  { "Slice", h_slice, 8 }, { "StridedSlice", h_strided_slice, 1 },
  { "FakeQuantize", h_fake_quantize, 1 }, { "ROIAlign", h_roi_align, 3 },
  { "BitwiseLeftShift", h_bitshift, 15 },
  { "BitwiseRightShift", h_bitshift, 15 },
  { "ReverseSequence", h_reverse_sequence, 1 },
  { "GridSample", h_grid_sample, 9 }, { "Unique", h_unique, 10 },
  { "Eye", h_eye, 9 },
};

/* ------------------------------------------------------------------ */
/* Graph assembly                                                      */

/* The first name in a port's comma separated list ("\," escapes). */
static char *
first_name (const char *names)
{
  GString *s;
  if (names == NULL)
    return NULL;
  s = g_string_new (NULL);
  for (const char *p = names; *p; p++) {
    if (*p == '\\' && p[1] == ',') {
      g_string_append_c (s, ',');
      p++;
      continue;
    }
    if (*p == ',')
      break;
    g_string_append_c (s, *p);
  }
  g_strstrip (s->str);
  s->len = strlen (s->str);
  if (s->len == 0) {
    g_string_free (s, TRUE);
    return NULL;
  }
  return g_string_free (s, FALSE);
}

static int
add_named_value (Loader *l, const char *base, OviDType dtype)
{
  char *name = g_strdup (base);
  int v;
  /* Duplicates get the value index (and a counter, should that be taken
   * too), so that renaming stays linear in the number of names. */
  while (g_hash_table_contains (l->names, name)) {
    g_free (name);
    name = g_strdup_printf ("%s_%u_%d", base, l->graph->values->len,
        l->tmp_counter++);
  }
  v = ovi_graph_add_value (l->graph, name, dtype);
  g_hash_table_add (l->names, name);
  return v;
}

static gboolean
layer_error (Loader *l, const Layer *layer, GError **error, int code,
    const char *format, ...) G_GNUC_PRINTF (5, 6);

static gboolean
layer_error (Loader *l, const Layer *layer, GError **error, int code,
    const char *format, ...)
{
  va_list args;
  char *msg;
  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, OVI_ERROR, code, "%s: layer '%s' (%s): %s", l->source,
      layer->name, layer->type, msg);
  g_free (msg);
  return FALSE;
}

/* A shape attribute: "1,3,224,224", "" for a scalar, "?"/-1/ranges for
 * dynamic dimensions. */
static gboolean
parse_shape (const char *s, int *rank, int64_t *dims)
{
  char **parts;
  gboolean ok = TRUE;
  *rank = 0;
  while (g_ascii_isspace (*s))
    s++;
  if (*s == '[')
    s++;
  parts = g_strsplit (s, ",", OVI_MAX_RANK + 2);
  for (int i = 0; parts[i]; i++) {
    char *t = g_strstrip (parts[i]);
    size_t len = strlen (t);
    if (len && t[len - 1] == ']')
      t[--len] = '\0';
    if (len == 0 && parts[1] == NULL)
      break;
    if (*rank >= OVI_MAX_RANK || !parse_dim (t, &dims[*rank])) {
      ok = FALSE;
      break;
    }
    (*rank)++;
  }
  g_strfreev (parts);
  return ok;
}

static gboolean
make_const (Loader *l, Layer *layer, OviValue *v, GError **error)
{
  Ctx c = { .l = l, .layer = layer };
  const char *et = attr (layer, "element_type");
  const char *shape = attr (layer, "shape");
  int64_t offset, size, numel = 1;
  int rank;
  int64_t dims[OVI_MAX_RANK];
  OviDType t;
  OviTensor *tensor;
  Port *p;

  if (layer->out->len != 1 || layer->in->len != 0)
    return layer_error (l, layer, error, OVI_ERROR_INVALID,
        "a Const needs one output and no input");
  p = &g_array_index (layer->out, Port, 0);
  t = parse_type (et);
  if (!ovi_dtype_is_known (t))
    return layer_error (l, layer, error, OVI_ERROR_UNSUPPORTED,
        "element_type '%s' is not supported", et ? et : "(none)");
  if (shape == NULL) {
    if (p->rank < 0)
      return layer_error (l, layer, error, OVI_ERROR_INVALID,
          "has no shape");
    rank = p->rank;
    memcpy (dims, p->dims, sizeof (dims));
  } else if (!parse_shape (shape, &rank, dims)) {
    return layer_error (l, layer, error, OVI_ERROR_INVALID,
        "invalid shape '%s'", shape);
  }
  for (int i = 0; i < rank; i++) {
    if (dims[i] < 0)
      return layer_error (l, layer, error, OVI_ERROR_INVALID,
          "a constant with a dynamic dimension");
    if (dims[i] > 0 && numel > (int64_t) (G_MAXINT64 / 16) / dims[i])
      return layer_error (l, layer, error, OVI_ERROR_INVALID,
          "constant too large");
    numel *= dims[i];
  }
  if (p->rank >= 0 && !ovi_shape_equal (rank, dims, p->rank, p->dims))
    return layer_error (l, layer, error, OVI_ERROR_INVALID,
        "shape attribute and output port disagree");
  if (!attr_int (&c, "offset", TRUE, 0, &offset, error)
      || !attr_int (&c, "size", TRUE, 0, &size, error))
    return FALSE;
  if (size != numel * (int64_t) ovi_dtype_size (t))
    return layer_error (l, layer, error, OVI_ERROR_INVALID,
        "size %" G_GINT64_FORMAT " does not match %" G_GINT64_FORMAT
        " elements of %s", size, numel, ovi_dtype_name (t));
  if (offset < 0 || (guint64) offset > l->bin_size
      || (guint64) size > l->bin_size - (guint64) offset)
    return layer_error (l, layer, error, OVI_ERROR_INVALID,
        "data [%" G_GINT64_FORMAT ", +%" G_GINT64_FORMAT ") lies outside the "
        "%" G_GSIZE_FORMAT "-byte weights file", offset, size, l->bin_size);
  /* Const layers may share weights; still bound what we copy out. */
  if ((guint64) size > (guint64) l->bin_size * 4 + ((guint64) 64 << 20)
      - l->const_bytes)
    return layer_error (l, layer, error, OVI_ERROR_INVALID,
        "constants overlap too much in the weights file");
  l->const_bytes += size;
  tensor = ovi_tensor_new (t, rank, dims);
  if (tensor == NULL)
    return layer_error (l, layer, error, OVI_ERROR_INVALID,
        "constant too large");
  if (size)
    memcpy (tensor->data, l->bin + offset, size);
  v->constant = tensor;
  v->dtype = t;
  v->rank = rank;
  memcpy (v->dims, dims, sizeof (dims));
  return TRUE;
}

static gboolean
make_parameter (Loader *l, Layer *layer, int index, GError **error)
{
  OviValue *v = ovi_graph_value (l->graph, index);
  const char *et = attr (layer, "element_type");
  const char *shape = attr (layer, "shape");
  Port *p;
  if (layer->out->len != 1 || layer->in->len != 0)
    return layer_error (l, layer, error, OVI_ERROR_INVALID,
        "a Parameter needs one output and no input");
  p = &g_array_index (layer->out, Port, 0);
  if (et && parse_type (et) != OVI_DTYPE_UNDEFINED)
    v->dtype = parse_type (et);
  if (shape && strstr (shape, "...") != NULL) {
    v->rank = -1;
  } else if (shape) {
    int rank;
    int64_t dims[OVI_MAX_RANK];
    if (!parse_shape (shape, &rank, dims))
      return layer_error (l, layer, error, OVI_ERROR_UNSUPPORTED,
          "shape '%s' is invalid or has more than %d dimensions", shape,
          OVI_MAX_RANK);
    v->rank = rank;
    memcpy (v->dims, dims, sizeof (dims));
  } else if (p->rank < 0) {
    return layer_error (l, layer, error, OVI_ERROR_UNSUPPORTED,
        "more than %d dimensions", OVI_MAX_RANK);
  }
  g_array_append_val (l->graph->inputs, index);
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Fusion: IR keeps biases as separate Add layers; folding them back into
 * Conv/ConvTranspose (and MatMul into Gemm) lets the kernels add them
 * in their epilogue, which is faster and rounds exactly as the original
 * ONNX model did. */

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
bias_vector (Loader *l, const OviTensor *b, int64_t len)
{
  int64_t dims[1] = { len };
  OviTensor *t = ovi_tensor_new (b->dtype, 1, dims);
  int v;
  if (t == NULL)
    return -1;
  memcpy (t->data, b->data, ovi_tensor_nbytes (t));
  v = ovi_graph_add_value (l->graph, "", b->dtype);
  ovi_graph_value (l->graph, v)->constant = t;
  ovi_graph_value (l->graph, v)->rank = 1;
  ovi_graph_value (l->graph, v)->dims[0] = len;
  {
    char *name = g_strdup_printf ("ovi_bias_%d", v);
    g_free (ovi_graph_value (l->graph, v)->name);
    ovi_graph_value (l->graph, v)->name = name;
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

static void
fold_casts (Loader *l)
{
  OviGraph *g = l->graph;
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
        <= (guint64) l->bin_size * 4 + ((guint64) 64 << 20) - l->const_bytes) {
      OviValue *v = ovi_graph_value (g, n->outputs[0]);
      OviTensor *t = ovi_tensor_new (to, src->rank, src->dims);
      if (t != NULL) {
        int64_t count = ovi_tensor_numel (src);
        for (int64_t e = 0; e < count; e++)
          ovi_store_f64 (to, t->data, e, ovi_load_f64 (src->dtype, src->data,
                  e));
        l->const_bytes += ovi_tensor_nbytes (t);
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

static void
fuse (Loader *l)
{
  OviGraph *g = l->graph;
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
        bias = bias_vector (l, bv->constant, av->dims[1]);
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
        bias = bias_vector (l, bv->constant, n_cols);
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

static int
find_port (GArray *ports, int id)
{
  for (guint i = 0; i < ports->len; i++)
    if (g_array_index (ports, Port, i).id == id)
      return i;
  return -1;
}

static int
version_of (const char *version)
{
  int64_t v;
  if (!g_str_has_prefix (version, "opset") || !parse_int (version + 5, &v)
      || v < 1 || v > 1000)
    return -1;
  return (int) v;
}

static gboolean
build (Loader *l, GArray *edges, GError **error)
{
  GPtrArray *layers = l->layers;
  GHashTable *by_id = g_hash_table_new (g_direct_hash, g_direct_equal);
  gboolean ok = FALSE;

  for (guint i = 0; i < layers->len; i++) {
    Layer *layer = g_ptr_array_index (layers, i);
    if (g_hash_table_contains (by_id, GINT_TO_POINTER (layer->id))) {
      layer_error (l, layer, error, OVI_ERROR_INVALID,
          "layer id %d is used twice", layer->id);
      goto out;
    }
    g_hash_table_insert (by_id, GINT_TO_POINTER (layer->id),
        GINT_TO_POINTER (i + 1));
  }

  /* Values: one per output port; Const and Parameter fill theirs. */
  for (guint i = 0; i < layers->len; i++) {
    Layer *layer = g_ptr_array_index (layers, i);
    gboolean is_const = strcmp (layer->type, "Const") == 0;
    gboolean is_param = strcmp (layer->type, "Parameter") == 0;
    for (guint o = 0; o < layer->out->len; o++) {
      Port *p = &g_array_index (layer->out, Port, o);
      char *name = first_name (p->names);
      OviValue *v;
      if (name == NULL)
        name = layer->out->len == 1 ? g_strdup (layer->name)
            : g_strdup_printf ("%s:%d", layer->name, p->id);
      p->value = add_named_value (l, name, p->dtype);
      g_free (name);
      v = ovi_graph_value (l->graph, p->value);
      if (p->rank >= 0) {
        v->rank = p->rank;
        memcpy (v->dims, p->dims, sizeof (p->dims));
      }
      if (is_const && !make_const (l, layer, v, error))
        goto out;
      if (is_param && !make_parameter (l, layer, p->value, error))
        goto out;
    }
    if ((is_const || is_param) && layer->out->len != 1) {
      layer_error (l, layer, error, OVI_ERROR_INVALID,
          "needs exactly one output port");
      goto out;
    }
  }

  /* Edges. */
  for (guint e = 0; e < edges->len; e++) {
    Edge *edge = &g_array_index (edges, Edge, e);
    int fi = GPOINTER_TO_INT (g_hash_table_lookup (by_id,
            GINT_TO_POINTER (edge->from_layer))) - 1;
    int ti = GPOINTER_TO_INT (g_hash_table_lookup (by_id,
            GINT_TO_POINTER (edge->to_layer))) - 1;
    Layer *from, *to;
    int fp, tp;
    Port *src, *dst;
    if (fi < 0 || ti < 0) {
      g_set_error (error, OVI_ERROR, OVI_ERROR_INVALID,
          "%s: an edge refers to missing layer %d", l->source,
          fi < 0 ? edge->from_layer : edge->to_layer);
      goto out;
    }
    from = g_ptr_array_index (layers, fi);
    to = g_ptr_array_index (layers, ti);
    fp = find_port (from->out, edge->from_port);
    tp = find_port (to->in, edge->to_port);
    if (fp < 0 || tp < 0) {
      g_set_error (error, OVI_ERROR, OVI_ERROR_INVALID,
          "%s: an edge from layer '%s' port %d to layer '%s' port %d names "
          "a missing port", l->source, from->name, edge->from_port,
          to->name, edge->to_port);
      goto out;
    }
    src = &g_array_index (from->out, Port, fp);
    dst = &g_array_index (to->in, Port, tp);
    if (dst->value >= 0) {
      layer_error (l, to, error, OVI_ERROR_INVALID,
          "input port %d has two edges", dst->id);
      goto out;
    }
    dst->value = src->value;
    src->uses++;
  }

  /* Layers -> nodes. */
  for (guint i = 0; i < layers->len; i++) {
    Layer *layer = g_ptr_array_index (layers, i);
    Ctx c = { .l = l, .layer = layer };
    Handler h = NULL;
    int min_version = 1;
    gboolean done;

    for (guint k = 0; k < layer->in->len; k++) {
      Port *p = &g_array_index (layer->in, Port, k);
      if (p->value < 0) {
        layer_error (l, layer, error, OVI_ERROR_INVALID,
            "input port %d is not connected", p->id);
        goto out;
      }
    }
    if (strcmp (layer->type, "Parameter") == 0
        || strcmp (layer->type, "Const") == 0)
      continue;
    if (strcmp (layer->type, "Result") == 0) {
      int v;
      if (layer->in->len != 1) {
        layer_error (l, layer, error, OVI_ERROR_INVALID,
            "a Result needs exactly one input");
        goto out;
      }
      v = g_array_index (layer->in, Port, 0).value;
      g_array_append_val (l->graph->outputs, v);
      continue;
    }
    for (guint k = 0; k < G_N_ELEMENTS (handlers); k++)
      if (strcmp (handlers[k].type, layer->type) == 0) {
        h = handlers[k].handler;
        min_version = handlers[k].min_version;
      }
    c.version = version_of (layer->version);
    if (h == NULL || c.version < 0) {
      layer_error (l, layer, error, OVI_ERROR_UNSUPPORTED,
          "operation %s (%s) is not supported", layer->type, layer->version);
      goto out;
    }
    if (c.version < min_version) {
      layer_error (l, layer, error, OVI_ERROR_UNSUPPORTED,
          "operation %s from %s is not supported", layer->type,
          layer->version);
      goto out;
    }
    for (guint k = 0; k < layer->out->len; k++)
      if (g_array_index (layer->out, Port, k).rank < 0) {
        layer_error (l, layer, error, OVI_ERROR_UNSUPPORTED,
            "output with more than %d dimensions", OVI_MAX_RANK);
        goto out;
      }
    c.n_in = layer->in->len;
    c.n_out = layer->out->len;
    c.in = g_new (int, c.n_in + 1);
    c.out = g_new (int, c.n_out + 1);
    for (int k = 0; k < c.n_in; k++)
      c.in[k] = g_array_index (layer->in, Port, k).value;
    for (int k = 0; k < c.n_out; k++)
      c.out[k] = g_array_index (layer->out, Port, k).value;
    done = h (&c, error);
    g_free (c.in);
    g_free (c.out);
    if (!done)
      goto out;
  }

  if (l->graph->outputs->len == 0) {
    g_set_error (error, OVI_ERROR, OVI_ERROR_INVALID,
        "%s: the model has no Result", l->source);
    goto out;
  }
  fold_casts (l);
  fuse (l);
  ok = ovi_graph_sort (l->graph, error);

out:
  g_hash_table_destroy (by_id);
  return ok;
}

OviGraph *
ovi_ir_parse (const char *xml, gsize xml_size, const guint8 *bin,
    gsize bin_size, const char *source, GError **error)
{
  GMarkupParser callbacks = { on_start, on_end, on_text, NULL, NULL };
  Parser p = { 0 };
  Loader l = { 0 };
  GMarkupParseContext *ctx;
  GError *err = NULL;
  OviGraph *g = NULL;
  gboolean parsed;

  if (source == NULL)
    source = "model.xml";
  p.source = source;
  p.layers = g_ptr_array_new_with_free_func ((GDestroyNotify) layer_free);
  p.edges = g_array_new (FALSE, FALSE, sizeof (Edge));
  p.text = g_string_new (NULL);
  p.port = -1;

  if (xml == NULL) {
    g_set_error (error, OVI_ERROR, OVI_ERROR_PARSE, "%s: no XML", source);
    goto out;
  }
  ctx = g_markup_parse_context_new (&callbacks, 0, &p, NULL);
  parsed = g_markup_parse_context_parse (ctx, xml, xml_size, &err)
      && g_markup_parse_context_end_parse (ctx, &err);
  g_markup_parse_context_free (ctx);
  if (!parsed) {
    if (err->domain == OVI_ERROR)
      g_propagate_error (error, err);
    else {
      g_set_error (error, OVI_ERROR, OVI_ERROR_PARSE, "%s: malformed XML: %s",
          source, err->message);
      g_error_free (err);
    }
    goto out;
  }
  if (!p.seen_net) {
    g_set_error (error, OVI_ERROR, OVI_ERROR_PARSE,
        "%s: not an OpenVINO IR (no <net>)", source);
    goto out;
  }

  l.source = source;
  l.graph = ovi_graph_new ();
  l.graph->source = g_strdup (source);
  l.graph->opset = IR_ONNX_OPSET;
  l.layers = p.layers;
  l.bin = bin;
  l.bin_size = bin ? bin_size : 0;
  l.names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  if (build (&l, p.edges, error)) {
    g = l.graph;
    l.graph = NULL;
  }
  ovi_graph_free (l.graph);
  g_hash_table_destroy (l.names);

out:
  g_ptr_array_free (p.layers, TRUE);
  g_array_free (p.edges, TRUE);
  g_string_free (p.text, TRUE);
  return g;
}

OviGraph *
ovi_ir_load (const char *xml_path, GError **error)
{
  GMappedFile *xml, *bin = NULL;
  GError *err = NULL;
  OviGraph *g;
  char *bin_path;

  g_return_val_if_fail (xml_path != NULL, NULL);
  xml = g_mapped_file_new (xml_path, FALSE, &err);
  if (xml == NULL) {
    g_set_error (error, OVI_ERROR, OVI_ERROR_IO, "cannot read model %s: %s",
        xml_path, err->message);
    g_error_free (err);
    return NULL;
  }
  if (g_str_has_suffix (xml_path, ".xml"))
    bin_path = g_strdup_printf ("%.*s.bin", (int) strlen (xml_path) - 4,
        xml_path);
  else
    bin_path = g_strconcat (xml_path, ".bin", NULL);
  if (g_file_test (bin_path, G_FILE_TEST_EXISTS)) {
    bin = g_mapped_file_new (bin_path, FALSE, &err);
    if (bin == NULL) {
      g_set_error (error, OVI_ERROR, OVI_ERROR_IO,
          "cannot read weights %s: %s", bin_path, err->message);
      g_error_free (err);
      g_free (bin_path);
      g_mapped_file_unref (xml);
      return NULL;
    }
  }
  g = ovi_ir_parse (g_mapped_file_get_contents (xml),
      g_mapped_file_get_length (xml),
      bin ? (const guint8 *) g_mapped_file_get_contents (bin) : NULL,
      bin ? g_mapped_file_get_length (bin) : 0, xml_path, error);
  if (bin)
    g_mapped_file_unref (bin);
  g_mapped_file_unref (xml);
  g_free (bin_path);
  return g;
}
