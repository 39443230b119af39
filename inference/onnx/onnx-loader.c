/* ModelProto -> OviGraph. Fields we do not use are skipped; anything we
 * cannot represent (non-tensor types, subgraphs we cannot run) becomes an
 * UNSUPPORTED error naming the node and op, at load or at compile. */
#include <string.h>

#include "onnx.h"
#include "protobuf.h"

enum { MODEL_IR_VERSION = 1, MODEL_GRAPH = 7, MODEL_OPSET_IMPORT = 8,
  MODEL_METADATA_PROPS = 14, MODEL_FUNCTIONS = 25 };
enum { ENTRY_KEY = 1, ENTRY_VALUE = 2 };
/* metadata_props kept at most; each costs bytes of the file anyway. */
#define MAX_METADATA 4096
enum { OPSET_DOMAIN = 1, OPSET_VERSION = 2 };
enum { GRAPH_NODE = 1, GRAPH_INITIALIZER = 5, GRAPH_INPUT = 11,
  GRAPH_OUTPUT = 12, GRAPH_SPARSE_INITIALIZER = 15 };
enum { NODE_INPUT = 1, NODE_OUTPUT = 2, NODE_NAME = 3, NODE_OP_TYPE = 4,
  NODE_ATTRIBUTE = 5, NODE_DOMAIN = 7 };
enum { ATTR_NAME = 1, ATTR_F = 2, ATTR_I = 3, ATTR_S = 4, ATTR_T = 5,
  ATTR_G = 6, ATTR_FLOATS = 7, ATTR_INTS = 8, ATTR_STRINGS = 9,
  ATTR_TENSORS = 10, ATTR_GRAPHS = 11, ATTR_TYPE = 20,
  ATTR_REF_ATTR_NAME = 21 };
enum { VI_NAME = 1, VI_TYPE = 2 };
enum { TYPE_TENSOR = 1, TYPE_SEQUENCE = 4, TYPE_MAP = 5,
  TYPE_SPARSE_TENSOR = 8, TYPE_OPTIONAL = 9 };
enum { TT_ELEM_TYPE = 1, TT_SHAPE = 2 };
enum { SHAPE_DIM = 1 };
enum { DIM_VALUE = 1, DIM_PARAM = 2 };
/* AttributeProto.AttributeType */
enum { AT_FLOAT = 1, AT_INT = 2, AT_STRING = 3, AT_TENSOR = 4, AT_GRAPH = 5,
  AT_FLOATS = 6, AT_INTS = 7, AT_STRINGS = 8, AT_TENSORS = 9,
  AT_GRAPHS = 10 };

/* The most nodes, values and attributes one model may have: a bound on
 * what a hostile file can make us allocate (each costs a few bytes of
 * file, so this is far above any real network). */
#define MAX_NODES (1 << 22)

typedef struct {
  OviGraph *graph;
  GHashTable *by_name;       /* name -> index + 1 */
  const char *source;
  const char *base_dir;
} Loader;

static gboolean
malformed (Loader *l, GError **error, const char *what)
{
  g_set_error (error, OVI_ERROR, OVI_ERROR_PARSE, "%s: malformed %s",
      l->source, what);
  return FALSE;
}

static int
value_for (Loader *l, const guint8 *name, gsize len)
{
  char *key = g_strndup ((const char *) name, len);
  gpointer idx = g_hash_table_lookup (l->by_name, key);
  int i;
  if (idx) {
    g_free (key);
    return GPOINTER_TO_INT (idx) - 1;
  }
  i = ovi_graph_add_value (l->graph, key, OVI_DTYPE_UNDEFINED);
  g_hash_table_insert (l->by_name, key, GINT_TO_POINTER (i + 1));
  return i;
}

static gboolean
parse_attribute (Loader *l, OviNode *node, const guint8 *data, gsize size,
    GError **error)
{
  OviPbReader r;
  OviPbField f;
  OviAttr a = { 0 };
  guint64 type = 0;
  GArray *floats = NULL, *ints = NULL;
  GPtrArray *strings = NULL;
  gboolean has_f = FALSE, has_i = FALSE, has_s = FALSE, has_g = FALSE;
  gboolean ok = FALSE;

  ovi_pb_reader_init (&r, data, size);
  while (!ovi_pb_at_end (&r)) {
    if (!ovi_pb_next (&r, &f))
      goto bad;
    switch (f.number) {
      case ATTR_NAME:
        if (f.type != OVI_PB_BYTES)
          goto bad;
        g_free (a.name);
        a.name = g_strndup ((const char *) f.bytes, f.size);
        break;
      case ATTR_TYPE:
        type = f.varint;
        break;
      case ATTR_F:
        if (f.type != OVI_PB_FIXED32)
          goto bad;
        a.f = ovi_pb_field_float (&f);
        has_f = TRUE;
        break;
      case ATTR_I:
        if (f.type != OVI_PB_VARINT)
          goto bad;
        a.i = (gint64) f.varint;
        has_i = TRUE;
        break;
      case ATTR_S:
        if (f.type != OVI_PB_BYTES)
          goto bad;
        g_free (a.s);
        a.s = g_strndup ((const char *) f.bytes, f.size);
        has_s = TRUE;
        break;
      case ATTR_T:
        if (f.type != OVI_PB_BYTES)
          goto bad;
        ovi_tensor_free (a.t);
        a.t = ovi_onnx_parse_tensor (f.bytes, f.size, l->base_dir, NULL,
            error);
        if (a.t == NULL) {
          g_prefix_error (error, "%s: node '%s' (%s): ", l->source,
              node->name, node->op_type);
          goto out;
        }
        break;
      case ATTR_G: case ATTR_GRAPHS:
        has_g = TRUE;
        break;
      case ATTR_FLOATS:
        if (floats == NULL)
          floats = g_array_new (FALSE, FALSE, sizeof (float));
        if (f.type == OVI_PB_BYTES) {
          if (f.size % 4)
            goto bad;
          g_array_append_vals (floats, f.bytes, f.size / 4);
        } else if (f.type == OVI_PB_FIXED32) {
          float v = ovi_pb_field_float (&f);
          g_array_append_val (floats, v);
        } else {
          goto bad;
        }
        break;
      case ATTR_INTS:
        if (ints == NULL)
          ints = g_array_new (FALSE, FALSE, sizeof (int64_t));
        if (f.type == OVI_PB_BYTES) {
          OviPbReader pr;
          ovi_pb_reader_init (&pr, f.bytes, f.size);
          while (!ovi_pb_at_end (&pr)) {
            guint64 v;
            if (!ovi_pb_read_varint (&pr, &v))
              goto bad;
            g_array_append_val (ints, v);
          }
        } else if (f.type == OVI_PB_VARINT) {
          g_array_append_val (ints, f.varint);
        } else {
          goto bad;
        }
        break;
      case ATTR_STRINGS:
        if (f.type != OVI_PB_BYTES)
          goto bad;
        if (strings == NULL)
          strings = g_ptr_array_new ();
        g_ptr_array_add (strings, g_strndup ((const char *) f.bytes, f.size));
        break;
      case ATTR_REF_ATTR_NAME:
        g_set_error (error, OVI_ERROR, OVI_ERROR_UNSUPPORTED,
            "%s: node '%s' (%s): attribute references are only valid in "
            "functions", l->source, node->name, node->op_type);
        goto out;
      default:
        break;
    }
  }
  if (a.name == NULL)
    goto bad;

  /* Old exporters leave `type` unset: infer it from what is present. */
  if (type == 0) {
    type = a.t ? AT_TENSOR : has_g ? AT_GRAPH : floats ? AT_FLOATS
        : ints ? AT_INTS : strings ? AT_STRINGS : has_s ? AT_STRING
        : has_f ? AT_FLOAT : has_i ? AT_INT : 0;
  }
  switch (type) {
    case AT_FLOAT: a.type = OVI_ATTR_FLOAT; break;
    case AT_INT: a.type = OVI_ATTR_INT; break;
    case AT_STRING: a.type = OVI_ATTR_STRING; break;
    case AT_TENSOR:
      if (a.t == NULL)
        goto bad;
      a.type = OVI_ATTR_TENSOR;
      break;
    case AT_GRAPH: case AT_GRAPHS:
      /* Subgraphs (If, Loop, Scan) are recorded so the op reports itself
       * unsupported by name at compile time. */
      a.type = OVI_ATTR_GRAPH;
      break;
    case AT_FLOATS:
      a.type = OVI_ATTR_FLOATS;
      a.n = floats ? floats->len : 0;
      a.floats = floats ? (float *) g_array_free (floats, FALSE)
          : g_new0 (float, 1);
      floats = NULL;
      break;
    case AT_INTS:
      a.type = OVI_ATTR_INTS;
      a.n = ints ? ints->len : 0;
      a.ints = ints ? (int64_t *) g_array_free (ints, FALSE)
          : g_new0 (int64_t, 1);
      ints = NULL;
      break;
    case AT_STRINGS:
      a.type = OVI_ATTR_STRINGS;
      a.n = strings ? strings->len : 0;
      if (strings)
        g_ptr_array_add (strings, NULL);
      a.strings = strings ? (char **) g_ptr_array_free (strings, FALSE)
          : g_new0 (char *, 1);
      strings = NULL;
      break;
    default:
      g_set_error (error, OVI_ERROR, OVI_ERROR_UNSUPPORTED,
          "%s: node '%s' (%s): attribute '%s' has unsupported type %d",
          l->source, node->name, node->op_type, a.name, (int) type);
      goto out;
  }
  {
    OviAttr *dst = ovi_node_add_attr (node, a.name, a.type);
    g_free (dst->name);
    *dst = a;
    memset (&a, 0, sizeof (a));
  }
  ok = TRUE;
  goto out;

bad:
  malformed (l, error, "AttributeProto");
out:
  ovi_attr_clear (&a);
  if (floats)
    g_array_free (floats, TRUE);
  if (ints)
    g_array_free (ints, TRUE);
  if (strings) {
    g_ptr_array_set_free_func (strings, g_free);
    g_ptr_array_free (strings, TRUE);
  }
  return ok;
}

static gboolean
parse_node (Loader *l, const guint8 *data, gsize size, GError **error)
{
  OviPbReader r;
  OviPbField f;
  GArray *inputs = g_array_new (FALSE, FALSE, sizeof (int));
  GArray *outputs = g_array_new (FALSE, FALSE, sizeof (int));
  char *name = NULL, *op_type = NULL, *domain = NULL;
  OviNode *node;
  gboolean ok = FALSE;

  /* First the identity and wiring, then the attributes (which need the
   * node's name for their errors). */
  ovi_pb_reader_init (&r, data, size);
  while (!ovi_pb_at_end (&r)) {
    if (!ovi_pb_next (&r, &f))
      goto bad;
    if (f.number == NODE_INPUT || f.number == NODE_OUTPUT) {
      int v;
      if (f.type != OVI_PB_BYTES)
        goto bad;
      v = f.size == 0 ? -1 : value_for (l, f.bytes, f.size);
      g_array_append_val (f.number == NODE_INPUT ? inputs : outputs, v);
    } else if (f.number == NODE_NAME || f.number == NODE_OP_TYPE
        || f.number == NODE_DOMAIN) {
      char **dst = f.number == NODE_NAME ? &name
          : f.number == NODE_OP_TYPE ? &op_type : &domain;
      if (f.type != OVI_PB_BYTES)
        goto bad;
      g_free (*dst);
      *dst = g_strndup ((const char *) f.bytes, f.size);
    }
  }
  if (op_type == NULL)
    goto bad;
  if (l->graph->nodes->len >= MAX_NODES) {
    g_set_error (error, OVI_ERROR, OVI_ERROR_PARSE,
        "%s: more than %d nodes", l->source, MAX_NODES);
    goto out;
  }
  node = ovi_graph_add_node (l->graph, op_type, name, inputs->len,
      (int *) inputs->data, outputs->len, (int *) outputs->data);
  if (domain && strcmp (domain, "ai.onnx") != 0) {
    g_free (node->domain);
    node->domain = g_strdup (domain);
  }
  ovi_pb_reader_init (&r, data, size);
  while (!ovi_pb_at_end (&r)) {
    ovi_pb_next (&r, &f);       /* already validated above */
    if (f.number == NODE_ATTRIBUTE) {
      if (f.type != OVI_PB_BYTES)
        goto bad;
      if (!parse_attribute (l, node, f.bytes, f.size, error))
        goto out;
    }
  }
  ok = TRUE;
  goto out;

bad:
  malformed (l, error, "NodeProto");
out:
  g_free (name);
  g_free (op_type);
  g_free (domain);
  g_array_free (inputs, TRUE);
  g_array_free (outputs, TRUE);
  return ok;
}

/* ValueInfoProto: name and tensor type; other types are unsupported. */
static gboolean
parse_value_info (Loader *l, const guint8 *data, gsize size, int *index,
    gboolean skip_if_known, GError **error)
{
  OviPbReader r, tr, ttr, sr, dr;
  OviPbField f, tf, ttf, sf, df;
  const guint8 *name = NULL, *type = NULL;
  gsize name_len = 0, type_size = 0;
  OviValue *v;
  int i;

  ovi_pb_reader_init (&r, data, size);
  while (!ovi_pb_at_end (&r)) {
    if (!ovi_pb_next (&r, &f))
      return malformed (l, error, "ValueInfoProto");
    if (f.number == VI_NAME && f.type == OVI_PB_BYTES) {
      name = f.bytes;
      name_len = f.size;
    } else if (f.number == VI_TYPE && f.type == OVI_PB_BYTES) {
      type = f.bytes;
      type_size = f.size;
    }
  }
  if (name == NULL || name_len == 0)
    return malformed (l, error, "ValueInfoProto (no name)");
  {
    char *key = g_strndup ((const char *) name, name_len);
    gboolean known = g_hash_table_contains (l->by_name, key);
    g_free (key);
    i = value_for (l, name, name_len);
    *index = i;
    if (known && skip_if_known)
      return TRUE;
  }
  v = ovi_graph_value (l->graph, i);
  if (type == NULL)
    return TRUE;

  ovi_pb_reader_init (&tr, type, type_size);
  while (!ovi_pb_at_end (&tr)) {
    if (!ovi_pb_next (&tr, &tf))
      return malformed (l, error, "TypeProto");
    if (tf.number == TYPE_SEQUENCE || tf.number == TYPE_MAP
        || tf.number == TYPE_OPTIONAL || tf.number == TYPE_SPARSE_TENSOR) {
      g_set_error (error, OVI_ERROR, OVI_ERROR_UNSUPPORTED,
          "%s: '%s' has a %s type, which is not supported", l->source,
          v->name, tf.number == TYPE_SEQUENCE ? "sequence"
          : tf.number == TYPE_MAP ? "map" : tf.number == TYPE_OPTIONAL
          ? "optional" : "sparse tensor");
      return FALSE;
    }
    if (tf.number != TYPE_TENSOR || tf.type != OVI_PB_BYTES)
      continue;
    ovi_pb_reader_init (&ttr, tf.bytes, tf.size);
    while (!ovi_pb_at_end (&ttr)) {
      if (!ovi_pb_next (&ttr, &ttf))
        return malformed (l, error, "TypeProto.Tensor");
      if (ttf.number == TT_ELEM_TYPE) {
        v->dtype = (OviDType) ttf.varint;
        if (v->dtype != OVI_DTYPE_STRING && !ovi_dtype_is_known (v->dtype)) {
          g_set_error (error, OVI_ERROR, OVI_ERROR_UNSUPPORTED,
              "%s: '%s' has element type %s (%d), which is not supported",
              l->source, v->name, ovi_dtype_name (v->dtype),
              (int) ttf.varint);
          return FALSE;
        }
      } else if (ttf.number == TT_SHAPE && ttf.type == OVI_PB_BYTES) {
        v->rank = 0;
        ovi_pb_reader_init (&sr, ttf.bytes, ttf.size);
        while (!ovi_pb_at_end (&sr)) {
          int64_t dim = -1;
          if (!ovi_pb_next (&sr, &sf))
            return malformed (l, error, "TensorShapeProto");
          if (sf.number != SHAPE_DIM || sf.type != OVI_PB_BYTES)
            continue;
          ovi_pb_reader_init (&dr, sf.bytes, sf.size);
          while (!ovi_pb_at_end (&dr)) {
            if (!ovi_pb_next (&dr, &df))
              return malformed (l, error, "TensorShapeProto.Dimension");
            if (df.number == DIM_VALUE && df.type == OVI_PB_VARINT)
              dim = (gint64) df.varint >= 0 ? (gint64) df.varint : -1;
          }
          if (v->rank >= OVI_MAX_RANK) {
            g_set_error (error, OVI_ERROR, OVI_ERROR_UNSUPPORTED,
                "%s: '%s' has more than %d dimensions", l->source, v->name,
                OVI_MAX_RANK);
            return FALSE;
          }
          v->dims[v->rank++] = dim;
        }
      }
    }
  }
  return TRUE;
}

static gboolean
parse_graph (Loader *l, const guint8 *data, gsize size, GError **error)
{
  OviPbReader r;
  OviPbField f;

  /* Initializers first, so that inputs which repeat them (IR < 4) are
   * recognized as constants. */
  ovi_pb_reader_init (&r, data, size);
  while (!ovi_pb_at_end (&r)) {
    if (!ovi_pb_next (&r, &f))
      return malformed (l, error, "GraphProto");
    if (f.number == GRAPH_INITIALIZER) {
      char *name = NULL;
      OviTensor *t;
      int i;
      if (f.type != OVI_PB_BYTES)
        return malformed (l, error, "GraphProto");
      t = ovi_onnx_parse_tensor (f.bytes, f.size, l->base_dir, &name, error);
      if (t == NULL) {
        g_prefix_error (error, "%s: initializer: ", l->source);
        return FALSE;
      }
      i = value_for (l, (const guint8 *) (name ? name : ""),
          name ? strlen (name) : 0);
      g_free (name);
      {
        OviValue *v = ovi_graph_value (l->graph, i);
        ovi_tensor_free (v->constant);
        v->constant = t;
        v->dtype = t->dtype;
        v->rank = t->rank;
        memcpy (v->dims, t->dims, sizeof (t->dims));
      }
    } else if (f.number == GRAPH_SPARSE_INITIALIZER) {
      g_set_error (error, OVI_ERROR, OVI_ERROR_UNSUPPORTED,
          "%s: sparse initializers are not supported", l->source);
      return FALSE;
    }
  }

  ovi_pb_reader_init (&r, data, size);
  while (!ovi_pb_at_end (&r)) {
    int idx;
    ovi_pb_next (&r, &f);
    if (f.type != OVI_PB_BYTES)
      continue;
    if (f.number == GRAPH_INPUT) {
      if (!parse_value_info (l, f.bytes, f.size, &idx, FALSE, error))
        return FALSE;
      if (ovi_graph_value (l->graph, idx)->constant == NULL)
        g_array_append_val (l->graph->inputs, idx);
    } else if (f.number == GRAPH_NODE) {
      if (!parse_node (l, f.bytes, f.size, error))
        return FALSE;
    }
  }
  /* Outputs last: their declared types are only a hint for values the
   * nodes produce. */
  ovi_pb_reader_init (&r, data, size);
  while (!ovi_pb_at_end (&r)) {
    int idx;
    ovi_pb_next (&r, &f);
    if (f.number == GRAPH_OUTPUT && f.type == OVI_PB_BYTES) {
      if (!parse_value_info (l, f.bytes, f.size, &idx, FALSE, error))
        return FALSE;
      g_array_append_val (l->graph->outputs, idx);
    }
  }
  return TRUE;
}

/* One StringStringEntryProto of metadata_props. Strings that are not
 * UTF-8 are stored with the bad bytes replaced; an entry without a key is
 * skipped. */
static gboolean
parse_metadata_entry (Loader *l, const guint8 *data, gsize size,
    GError **error)
{
  OviPbReader r;
  OviPbField f;
  char *key = NULL, *value = NULL;

  ovi_pb_reader_init (&r, data, size);
  while (!ovi_pb_at_end (&r)) {
    if (!ovi_pb_next (&r, &f)) {
      g_free (key);
      g_free (value);
      return malformed (l, error, "StringStringEntryProto");
    }
    if (f.type != OVI_PB_BYTES)
      continue;
    if (f.number == ENTRY_KEY) {
      g_free (key);
      key = g_utf8_make_valid ((const char *) f.bytes, (gssize) f.size);
    } else if (f.number == ENTRY_VALUE) {
      g_free (value);
      value = g_utf8_make_valid ((const char *) f.bytes, (gssize) f.size);
    }
  }
  if (key && *key && (l->graph->metadata == NULL
          || g_hash_table_size (l->graph->metadata) < MAX_METADATA))
    ovi_graph_set_metadata (l->graph, key, value ? value : "");
  g_free (key);
  g_free (value);
  return TRUE;
}

OviGraph *
ovi_onnx_parse_model (const guint8 *data, gsize size, const char *source,
    const char *base_dir, GError **error)
{
  Loader l = { 0 };
  OviPbReader r;
  OviPbField f;
  const guint8 *graph_data = NULL;
  gsize graph_size = 0;
  int opset = -1;
  gboolean has_functions = FALSE;

  l.graph = ovi_graph_new ();
  l.graph->source = g_strdup (source);
  l.source = l.graph->source;
  l.base_dir = base_dir;
  l.by_name = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  ovi_pb_reader_init (&r, data, size);
  while (!ovi_pb_at_end (&r)) {
    if (!ovi_pb_next (&r, &f)) {
      malformed (&l, error, "ModelProto");
      goto fail;
    }
    if (f.number == MODEL_GRAPH && f.type == OVI_PB_BYTES) {
      graph_data = f.bytes;
      graph_size = f.size;
    } else if (f.number == MODEL_FUNCTIONS) {
      has_functions = TRUE;
    } else if (f.number == MODEL_METADATA_PROPS && f.type == OVI_PB_BYTES) {
      if (!parse_metadata_entry (&l, f.bytes, f.size, error))
        goto fail;
    } else if (f.number == MODEL_OPSET_IMPORT && f.type == OVI_PB_BYTES) {
      OviPbReader or;
      OviPbField of;
      gboolean default_domain = TRUE;
      guint64 version = 0;
      ovi_pb_reader_init (&or, f.bytes, f.size);
      while (!ovi_pb_at_end (&or)) {
        if (!ovi_pb_next (&or, &of)) {
          malformed (&l, error, "OperatorSetIdProto");
          goto fail;
        }
        if (of.number == OPSET_DOMAIN && of.type == OVI_PB_BYTES)
          default_domain = of.size == 0 || (of.size == 7
              && memcmp (of.bytes, "ai.onnx", 7) == 0);
        else if (of.number == OPSET_VERSION)
          version = of.varint;
      }
      if (default_domain)
        opset = (int) MIN (version, 1000);
    }
  }
  if (graph_data == NULL) {
    g_set_error (error, OVI_ERROR, OVI_ERROR_PARSE,
        "%s: not an ONNX model (no graph)", source);
    goto fail;
  }
  /* Without an opset import, ONNX means opset 1. */
  l.graph->opset = opset < 0 ? 1 : opset;
  if (!parse_graph (&l, graph_data, graph_size, error))
    goto fail;
  (void) has_functions;
  if (l.graph->outputs->len == 0) {
    g_set_error (error, OVI_ERROR, OVI_ERROR_INVALID,
        "%s: the graph has no outputs", source);
    goto fail;
  }
  if (!ovi_graph_sort (l.graph, error))
    goto fail;
  g_hash_table_destroy (l.by_name);
  return l.graph;

fail:
  g_hash_table_destroy (l.by_name);
  ovi_graph_free (l.graph);
  return NULL;
}
