/* The .xml of an OpenVINO IR through GMarkup, into an OviIrModel: the
 * layers with their <data> attributes and ports, the edges, and the
 * net's <rt_info> entries (keyed by their element path). Only the
 * structure is checked here (nesting, ids, counts); ir-graph.c checks
 * what the ids refer to.
 *
 * The files are untrusted: counts are capped, and the only allocations
 * that grow with the model are bounded by the size of the input. */
#include <string.h>

#include "ir-private.h"

/* Caps on what one file may declare; each item costs several bytes of
 * XML, so these sit far above any real network. */
#define MAX_LAYERS (1 << 20)
#define MAX_EDGES (1 << 22)
#define MAX_DATA_ATTRS 256
#define MAX_DIM_TEXT 64
#define STACK_DEPTH 16
#define MAX_RT_INFO 4096
/* Longest <rt_info> path kept: deeper or longer names are skipped, so a
 * file cannot make the keys cost more than entries x this. */
#define MAX_RT_PATH 1024

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
  K_RT_INFO,
  K_RT_ENTRY,
  K_OTHER,
} Kind;

typedef struct {
  const char *source;
  GPtrArray *layers;            /* OviIrLayer* */
  GArray *edges;                /* OviIrEdge */
  Kind stack[STACK_DEPTH];
  int depth;
  gboolean seen_net;
  OviIrLayer *layer;            /* the open <layer> */
  GArray *ports;                /* the open <input>/<output> list */
  int port;                     /* the open <port> index, -1 none */
  GString *text;                /* <dim> text */
  int net_version;
  GPtrArray *rt_path;           /* element names below <rt_info> */
  gsize rt_path_len;            /* their lengths plus separators */
  GHashTable *rt_info;          /* "model_info/labels" -> value */
} Parser;

static void
layer_free (OviIrLayer *l)
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
      g_free (g_array_index (a, OviIrPort, i).names);
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

static gboolean
parse_id (const char *s, int *out)
{
  int64_t v;
  if (!ovi_ir_parse_int (s, &v) || v < 0 || v > G_MAXINT)
    return FALSE;
  *out = (int) v;
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
      else if (strcmp (element, "rt_info") == 0)
        kind = K_RT_INFO;
      break;
    case K_RT_INFO: case K_RT_ENTRY:
      /* Deeper entries than the stack keeps are skipped, not refused:
       * metadata never decides whether a model loads. */
      if (p->depth < STACK_DEPTH - 1)
        kind = K_RT_ENTRY;
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
      if (v == NULL || !ovi_ir_parse_int (v, &version)) {
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
      OviIrLayer *l;
      const char *id = find_attr (names, values, "id");
      const char *type = find_attr (names, values, "type");
      const char *name = find_attr (names, values, "name");
      const char *version = find_attr (names, values, "version");
      if (p->layers->len >= MAX_LAYERS) {
        parse_error (p, error, "more than %d layers", MAX_LAYERS);
        return;
      }
      l = g_new0 (OviIrLayer, 1);
      l->keys = g_ptr_array_new_with_free_func (g_free);
      l->vals = g_ptr_array_new_with_free_func (g_free);
      l->in = g_array_new (FALSE, TRUE, sizeof (OviIrPort));
      l->out = g_array_new (FALSE, TRUE, sizeof (OviIrPort));
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
      OviIrPort port = { 0 };
      const char *precision = find_attr (names, values, "precision");
      const char *pnames = find_attr (names, values, "names");
      if (p->ports->len >= OVI_IR_MAX_PORTS) {
        parse_error (p, error, "layer '%s': more than %d ports",
            p->layer->name, OVI_IR_MAX_PORTS);
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
          if (g_array_index (a, OviIrPort, i).id == port.id) {
            parse_error (p, error, "layer '%s': port %d declared twice",
                p->layer->name, port.id);
            return;
          }
      }
      port.dtype = ovi_ir_parse_type (precision);
      port.names = pnames ? g_strdup (pnames) : NULL;
      port.value = -1;
      g_array_append_val (p->ports, port);
      p->port = p->ports->len - 1;
      break;
    }
    case K_DIM:
      g_string_truncate (p->text, 0);
      break;
    case K_RT_ENTRY: {
      const char *value = find_attr (names, values, "value");
      g_ptr_array_add (p->rt_path, g_strdup (element));
      p->rt_path_len += strlen (element) + 1;
      if (value && p->rt_path_len <= MAX_RT_PATH
          && g_hash_table_size (p->rt_info) < MAX_RT_INFO) {
        char *key;
        g_ptr_array_add (p->rt_path, NULL);
        key = g_strjoinv ("/", (char **) p->rt_path->pdata);
        g_ptr_array_remove_index (p->rt_path, p->rt_path->len - 1);
        g_hash_table_replace (p->rt_info, key, g_strdup (value));
      }
      break;
    }
    case K_EDGE: {
      OviIrEdge e;
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
      OviIrPort *port = &g_array_index (p->ports, OviIrPort, p->port);
      int64_t d;
      if (!ovi_ir_parse_dim (p->text->str, &d)) {
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
    case K_RT_ENTRY:
      p->rt_path_len -= strlen (g_ptr_array_index (p->rt_path,
              p->rt_path->len - 1)) + 1;
      g_ptr_array_remove_index (p->rt_path, p->rt_path->len - 1);
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

const char *
ovi_ir_layer_attr (const OviIrLayer *l, const char *key)
{
  for (guint i = 0; i < l->keys->len; i++)
    if (strcmp (g_ptr_array_index (l->keys, i), key) == 0)
      return g_ptr_array_index (l->vals, i);
  return NULL;
}

OviIrModel *
ovi_ir_model_parse (const char *xml, gsize xml_size, const char *source,
    GError **error)
{
  GMarkupParser callbacks = { on_start, on_end, on_text, NULL, NULL };
  Parser p = { 0 };
  GMarkupParseContext *ctx;
  GError *err = NULL;
  gboolean parsed;

  p.source = source;
  p.layers = g_ptr_array_new_with_free_func ((GDestroyNotify) layer_free);
  p.edges = g_array_new (FALSE, FALSE, sizeof (OviIrEdge));
  p.text = g_string_new (NULL);
  p.port = -1;
  p.rt_path = g_ptr_array_new_with_free_func (g_free);
  p.rt_info = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      g_free);

  if (xml == NULL) {
    g_set_error (error, OVI_ERROR, OVI_ERROR_PARSE, "%s: no XML", source);
    goto fail;
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
    goto fail;
  }
  if (!p.seen_net) {
    g_set_error (error, OVI_ERROR, OVI_ERROR_PARSE,
        "%s: not an OpenVINO IR (no <net>)", source);
    goto fail;
  }
  g_string_free (p.text, TRUE);
  g_ptr_array_free (p.rt_path, TRUE);
  {
    OviIrModel *model = g_new (OviIrModel, 1);
    model->layers = p.layers;
    model->edges = p.edges;
    model->rt_info = p.rt_info;
    return model;
  }

fail:
  g_ptr_array_free (p.layers, TRUE);
  g_array_free (p.edges, TRUE);
  g_string_free (p.text, TRUE);
  g_ptr_array_free (p.rt_path, TRUE);
  g_hash_table_unref (p.rt_info);
  return NULL;
}

void
ovi_ir_model_free (OviIrModel *model)
{
  if (model == NULL)
    return;
  g_ptr_array_free (model->layers, TRUE);
  g_array_free (model->edges, TRUE);
  g_hash_table_unref (model->rt_info);
  g_free (model);
}
