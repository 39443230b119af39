/* An OviIrModel -> the graph: one value per output port, Const data
 * copied out of the weights (bounds checked), Parameters and Results as
 * the graph's inputs and outputs, edges checked against ids and ports,
 * and every other layer handed to its mapping (ir-import-*.c). */
#include <string.h>

#include "ir-private.h"

/* The ONNX opset whose semantics the produced nodes follow. */
#define IR_ONNX_OPSET 18

/* Const layers may share weights; still bound what we copy out. */
guint64
ovi_ir_const_budget (const OviIrBuilder *b)
{
  return (guint64) b->bin_size * 4 + ((guint64) 64 << 20) - b->const_bytes;
}

static int
add_named_value (OviIrBuilder *b, const char *base, OviDType dtype)
{
  char *name = g_strdup (base);
  int v;
  /* Duplicates get the value index (and a counter, should that be taken
   * too), so that renaming stays linear in the number of names. */
  while (g_hash_table_contains (b->names, name)) {
    g_free (name);
    name = g_strdup_printf ("%s_%u_%d", base, b->graph->values->len,
        b->tmp_counter++);
  }
  v = ovi_graph_add_value (b->graph, name, dtype);
  g_hash_table_add (b->names, name);
  return v;
}

static gboolean
make_const (OviIrBuilder *b, OviIrLayer *layer, OviValue *v, GError **error)
{
  OviIrImport c = { .b = b, .layer = layer };
  const char *et = ovi_ir_layer_attr (layer, "element_type");
  const char *shape = ovi_ir_layer_attr (layer, "shape");
  int64_t offset, size, numel = 1;
  int rank;
  int64_t dims[OVI_MAX_RANK];
  OviDType t;
  OviTensor *tensor;
  OviIrPort *p;

  if (layer->out->len != 1 || layer->in->len != 0)
    return ovi_ir_layer_error (b->source, layer, error, OVI_ERROR_INVALID,
        "a Const needs one output and no input");
  p = &g_array_index (layer->out, OviIrPort, 0);
  t = ovi_ir_parse_type (et);
  if (!ovi_dtype_is_known (t))
    return ovi_ir_layer_error (b->source, layer, error, OVI_ERROR_UNSUPPORTED,
        "element_type '%s' is not supported", et ? et : "(none)");
  if (shape == NULL) {
    if (p->rank < 0)
      return ovi_ir_layer_error (b->source, layer, error, OVI_ERROR_INVALID,
          "has no shape");
    rank = p->rank;
    memcpy (dims, p->dims, sizeof (dims));
  } else if (!ovi_ir_parse_shape (shape, &rank, dims)) {
    return ovi_ir_layer_error (b->source, layer, error, OVI_ERROR_INVALID,
        "invalid shape '%s'", shape);
  }
  for (int i = 0; i < rank; i++) {
    if (dims[i] < 0)
      return ovi_ir_layer_error (b->source, layer, error, OVI_ERROR_INVALID,
          "a constant with a dynamic dimension");
    if (dims[i] > 0 && numel > (int64_t) (G_MAXINT64 / 16) / dims[i])
      return ovi_ir_layer_error (b->source, layer, error, OVI_ERROR_INVALID,
          "constant too large");
    numel *= dims[i];
  }
  if (p->rank >= 0 && !ovi_shape_equal (rank, dims, p->rank, p->dims))
    return ovi_ir_layer_error (b->source, layer, error, OVI_ERROR_INVALID,
        "shape attribute and output port disagree");
  if (!ovi_ir_attr_int (&c, "offset", TRUE, 0, &offset, error)
      || !ovi_ir_attr_int (&c, "size", TRUE, 0, &size, error))
    return FALSE;
  if (size != numel * (int64_t) ovi_dtype_size (t))
    return ovi_ir_layer_error (b->source, layer, error, OVI_ERROR_INVALID,
        "size %" G_GINT64_FORMAT " does not match %" G_GINT64_FORMAT
        " elements of %s", size, numel, ovi_dtype_name (t));
  if (offset < 0 || (guint64) offset > b->bin_size
      || (guint64) size > b->bin_size - (guint64) offset)
    return ovi_ir_layer_error (b->source, layer, error, OVI_ERROR_INVALID,
        "data [%" G_GINT64_FORMAT ", +%" G_GINT64_FORMAT ") lies outside the "
        "%" G_GSIZE_FORMAT "-byte weights file", offset, size, b->bin_size);
  if ((guint64) size > ovi_ir_const_budget (b))
    return ovi_ir_layer_error (b->source, layer, error, OVI_ERROR_INVALID,
        "constants overlap too much in the weights file");
  b->const_bytes += size;
  tensor = ovi_tensor_new (t, rank, dims);
  if (tensor == NULL)
    return ovi_ir_layer_error (b->source, layer, error, OVI_ERROR_INVALID,
        "constant too large");
  if (size)
    memcpy (tensor->data, b->bin + offset, size);
  v->constant = tensor;
  v->dtype = t;
  v->rank = rank;
  memcpy (v->dims, dims, sizeof (dims));
  return TRUE;
}

static gboolean
make_parameter (OviIrBuilder *b, OviIrLayer *layer, int index, GError **error)
{
  OviValue *v = ovi_graph_value (b->graph, index);
  const char *et = ovi_ir_layer_attr (layer, "element_type");
  const char *shape = ovi_ir_layer_attr (layer, "shape");
  OviIrPort *p;
  if (layer->out->len != 1 || layer->in->len != 0)
    return ovi_ir_layer_error (b->source, layer, error, OVI_ERROR_INVALID,
        "a Parameter needs one output and no input");
  p = &g_array_index (layer->out, OviIrPort, 0);
  if (et && ovi_ir_parse_type (et) != OVI_DTYPE_UNDEFINED)
    v->dtype = ovi_ir_parse_type (et);
  if (shape && strstr (shape, "...") != NULL) {
    v->rank = -1;
  } else if (shape) {
    int rank;
    int64_t dims[OVI_MAX_RANK];
    if (!ovi_ir_parse_shape (shape, &rank, dims))
      return ovi_ir_layer_error (b->source, layer, error, OVI_ERROR_UNSUPPORTED,
          "shape '%s' is invalid or has more than %d dimensions", shape,
          OVI_MAX_RANK);
    v->rank = rank;
    memcpy (v->dims, dims, sizeof (dims));
  } else if (p->rank < 0) {
    return ovi_ir_layer_error (b->source, layer, error, OVI_ERROR_UNSUPPORTED,
        "more than %d dimensions", OVI_MAX_RANK);
  }
  g_array_append_val (b->graph->inputs, index);
  return TRUE;
}

static int
find_port (GArray *ports, int id)
{
  for (guint i = 0; i < ports->len; i++)
    if (g_array_index (ports, OviIrPort, i).id == id)
      return i;
  return -1;
}

static int
version_of (const char *version)
{
  int64_t v;
  if (!g_str_has_prefix (version, "opset")
      || !ovi_ir_parse_int (version + 5, &v) || v < 1 || v > 1000)
    return -1;
  return (int) v;
}

/* Layer id -> index + 1 in the model, refusing duplicates. */
static gboolean
index_layers (OviIrBuilder *b, const OviIrModel *model, GHashTable *by_id,
    GError **error)
{
  for (guint i = 0; i < model->layers->len; i++) {
    OviIrLayer *layer = g_ptr_array_index (model->layers, i);
    if (g_hash_table_contains (by_id, GINT_TO_POINTER (layer->id)))
      return ovi_ir_layer_error (b->source, layer, error, OVI_ERROR_INVALID,
          "layer id %d is used twice", layer->id);
    g_hash_table_insert (by_id, GINT_TO_POINTER (layer->id),
        GINT_TO_POINTER (i + 1));
  }
  return TRUE;
}

/* Values: one per output port; Const and Parameter fill theirs. */
static gboolean
add_port_values (OviIrBuilder *b, const OviIrModel *model, GError **error)
{
  for (guint i = 0; i < model->layers->len; i++) {
    OviIrLayer *layer = g_ptr_array_index (model->layers, i);
    gboolean is_const = strcmp (layer->type, "Const") == 0;
    gboolean is_param = strcmp (layer->type, "Parameter") == 0;
    for (guint o = 0; o < layer->out->len; o++) {
      OviIrPort *p = &g_array_index (layer->out, OviIrPort, o);
      char *name = ovi_ir_first_port_name (p->names);
      OviValue *v;
      if (name == NULL)
        name = layer->out->len == 1 ? g_strdup (layer->name)
            : g_strdup_printf ("%s:%d", layer->name, p->id);
      p->value = add_named_value (b, name, p->dtype);
      g_free (name);
      v = ovi_graph_value (b->graph, p->value);
      if (p->rank >= 0) {
        v->rank = p->rank;
        memcpy (v->dims, p->dims, sizeof (p->dims));
      }
      if (is_const && !make_const (b, layer, v, error))
        return FALSE;
      if (is_param && !make_parameter (b, layer, p->value, error))
        return FALSE;
    }
    if ((is_const || is_param) && layer->out->len != 1)
      return ovi_ir_layer_error (b->source, layer, error, OVI_ERROR_INVALID,
          "needs exactly one output port");
  }
  return TRUE;
}

/* Each edge gives an input port the value of an output port. */
static gboolean
connect_edges (OviIrBuilder *b, const OviIrModel *model, GHashTable *by_id,
    GError **error)
{
  for (guint e = 0; e < model->edges->len; e++) {
    OviIrEdge *edge = &g_array_index (model->edges, OviIrEdge, e);
    int fi = GPOINTER_TO_INT (g_hash_table_lookup (by_id,
            GINT_TO_POINTER (edge->from_layer))) - 1;
    int ti = GPOINTER_TO_INT (g_hash_table_lookup (by_id,
            GINT_TO_POINTER (edge->to_layer))) - 1;
    OviIrLayer *from, *to;
    int fp, tp;
    OviIrPort *src, *dst;
    if (fi < 0 || ti < 0) {
      g_set_error (error, OVI_ERROR, OVI_ERROR_INVALID,
          "%s: an edge refers to missing layer %d", b->source,
          fi < 0 ? edge->from_layer : edge->to_layer);
      return FALSE;
    }
    from = g_ptr_array_index (model->layers, fi);
    to = g_ptr_array_index (model->layers, ti);
    fp = find_port (from->out, edge->from_port);
    tp = find_port (to->in, edge->to_port);
    if (fp < 0 || tp < 0) {
      g_set_error (error, OVI_ERROR, OVI_ERROR_INVALID,
          "%s: an edge from layer '%s' port %d to layer '%s' port %d names "
          "a missing port", b->source, from->name, edge->from_port,
          to->name, edge->to_port);
      return FALSE;
    }
    src = &g_array_index (from->out, OviIrPort, fp);
    dst = &g_array_index (to->in, OviIrPort, tp);
    if (dst->value >= 0)
      return ovi_ir_layer_error (b->source, to, error, OVI_ERROR_INVALID,
          "input port %d has two edges", dst->id);
    dst->value = src->value;
    src->uses++;
  }
  return TRUE;
}

/* One layer other than Parameter, Const and Result: to its mapping. */
static gboolean
import_layer (OviIrBuilder *b, OviIrLayer *layer, GError **error)
{
  OviIrImport c = { .b = b, .layer = layer };
  gboolean done;

  c.op = ovi_ir_import_find (layer->type);
  c.version = version_of (layer->version);
  if (c.op == NULL || c.version < 0)
    return ovi_ir_layer_error (b->source, layer, error,
        OVI_ERROR_UNSUPPORTED, "operation %s (%s) is not supported",
        layer->type, layer->version);
  if (c.version < c.op->min_version)
    return ovi_ir_layer_error (b->source, layer, error,
        OVI_ERROR_UNSUPPORTED, "operation %s from %s is not supported",
        layer->type, layer->version);
  for (guint k = 0; k < layer->out->len; k++)
    if (g_array_index (layer->out, OviIrPort, k).rank < 0)
      return ovi_ir_layer_error (b->source, layer, error,
          OVI_ERROR_UNSUPPORTED, "output with more than %d dimensions",
          OVI_MAX_RANK);
  c.n_in = layer->in->len;
  c.n_out = layer->out->len;
  c.in = g_new (int, c.n_in + 1);
  c.out = g_new (int, c.n_out + 1);
  for (int k = 0; k < c.n_in; k++)
    c.in[k] = g_array_index (layer->in, OviIrPort, k).value;
  for (int k = 0; k < c.n_out; k++)
    c.out[k] = g_array_index (layer->out, OviIrPort, k).value;
  done = c.op->import (&c, error);
  g_free (c.in);
  g_free (c.out);
  return done;
}

/* Layers -> nodes, in file order; Results become the graph's outputs. */
static gboolean
import_layers (OviIrBuilder *b, const OviIrModel *model, GError **error)
{
  for (guint i = 0; i < model->layers->len; i++) {
    OviIrLayer *layer = g_ptr_array_index (model->layers, i);

    for (guint k = 0; k < layer->in->len; k++) {
      OviIrPort *p = &g_array_index (layer->in, OviIrPort, k);
      if (p->value < 0)
        return ovi_ir_layer_error (b->source, layer, error,
            OVI_ERROR_INVALID, "input port %d is not connected", p->id);
    }
    if (strcmp (layer->type, "Parameter") == 0
        || strcmp (layer->type, "Const") == 0)
      continue;
    if (strcmp (layer->type, "Result") == 0) {
      int v;
      if (layer->in->len != 1)
        return ovi_ir_layer_error (b->source, layer, error,
            OVI_ERROR_INVALID, "a Result needs exactly one input");
      v = g_array_index (layer->in, OviIrPort, 0).value;
      g_array_append_val (b->graph->outputs, v);
      continue;
    }
    if (!import_layer (b, layer, error))
      return FALSE;
  }
  if (b->graph->outputs->len == 0) {
    g_set_error (error, OVI_ERROR, OVI_ERROR_INVALID,
        "%s: the model has no Result", b->source);
    return FALSE;
  }
  return TRUE;
}

static gboolean
build (OviIrBuilder *b, const OviIrModel *model, GError **error)
{
  GHashTable *by_id = g_hash_table_new (g_direct_hash, g_direct_equal);
  gboolean ok = index_layers (b, model, by_id, error)
      && add_port_values (b, model, error)
      && connect_edges (b, model, by_id, error)
      && import_layers (b, model, error);

  g_hash_table_destroy (by_id);
  if (!ok)
    return FALSE;
  ovi_ir_fold_weight_casts (b);
  ovi_ir_fuse_biases (b);
  return ovi_graph_sort (b->graph, error);
}

OviGraph *
ovi_ir_graph_build (const OviIrModel *model, const guint8 *bin,
    gsize bin_size, const char *source, GError **error)
{
  OviIrBuilder b = { 0 };
  OviGraph *g = NULL;

  b.source = source;
  b.graph = ovi_graph_new ();
  b.graph->source = g_strdup (source);
  b.graph->opset = IR_ONNX_OPSET;
  b.bin = bin;
  b.bin_size = bin ? bin_size : 0;
  b.names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  if (model->rt_info && g_hash_table_size (model->rt_info) > 0)
    b.graph->metadata = g_hash_table_ref (model->rt_info);
  if (build (&b, model, error)) {
    g = b.graph;
    b.graph = NULL;
  }
  ovi_graph_free (b.graph);
  g_hash_table_destroy (b.names);
  return g;
}
