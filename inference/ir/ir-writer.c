/* OpenVINO IR v11 writer: a graph with ONNX semantics -> .xml + .bin.
 *
 * IR ports carry a precision and dimensions, so the graph is first planned
 * for its declared (static) input shapes: that gives every value its type
 * and shape and folds the constant parts. Each remaining node becomes one
 * or more IR layers of opsets 1..15 (ir-export-*.c); nodes IR cannot
 * express fail with OVI_ERROR_UNSUPPORTED naming the node. */
#include <string.h>

#include "ir-private.h"
#include "plan.h"

/* The .xml around the layers and edges the mappings wrote. */
static GString *
xml_text (const char *name, const OviIrWriter *w)
{
  GString *x = g_string_new ("<?xml version=\"1.0\"?>\n");
  char *ename = g_markup_escape_text (name, -1);

  g_string_append_printf (x, "<net name=\"%s\" version=\"11\">\n", ename);
  g_free (ename);
  g_string_append (x, "\t<layers>\n");
  g_string_append_len (x, w->layers->str, w->layers->len);
  g_string_append (x, "\t</layers>\n\t<edges>\n");
  g_string_append_len (x, w->edges->str, w->edges->len);
  g_string_append (x, "\t</edges>\n\t<rt_info />\n</net>\n");
  return x;
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

/* The declared input shapes; IR ports carry dimensions, so they must be
 * static. */
static OviTensorView *
static_input_views (const OviGraph *graph, GError **error)
{
  OviTensorView *views = g_new0 (OviTensorView,
      MAX (graph->inputs->len, 1));
  for (guint i = 0; i < graph->inputs->len; i++) {
    const OviValue *v = ovi_graph_value (graph,
        g_array_index (graph->inputs, int, i));
    if (v->rank < 0 || ovi_ir_element_type (v->dtype) == NULL) {
      g_set_error (error, OVI_ERROR, OVI_ERROR_UNSUPPORTED,
          "%s: input '%s' has an unknown rank or type; IR writing needs "
          "static input shapes", graph->source, v->name);
      g_free (views);
      return NULL;
    }
    for (int d = 0; d < v->rank; d++)
      if (v->dims[d] < 0) {
        g_set_error (error, OVI_ERROR, OVI_ERROR_UNSUPPORTED,
            "%s: input '%s' has a dynamic dimension; IR writing needs "
            "static input shapes", graph->source, v->name);
        g_free (views);
        return NULL;
      }
    views[i].dtype = v->dtype;
    views[i].rank = v->rank;
    memcpy (views[i].dims, v->dims, sizeof (v->dims));
  }
  return views;
}

/* Plans `work`, folds the shapes that turned out static, plans again. */
static OviPlan *
plan_static (OviGraph *work, const OviTensorView *views, GError **error)
{
  for (int iter = 0; iter < 64; iter++) {
    OviPlan *plan = ovi_plan_new_with_flags (work, views, 0,
        OVI_PLAN_STANDARD_OPS, error);
    if (plan == NULL)
      return NULL;
    if (fold_static_shapes (work, plan) == 0)
      return plan;
    ovi_plan_unref (plan);
    if (!ovi_graph_sort (work, error))
      return NULL;
  }
  return ovi_plan_new_with_flags (work, views, 0, OVI_PLAN_STANDARD_OPS,
      error);
}

/* Parameters, in input order. */
static void
write_parameters (OviIrWriter *w)
{
  for (guint i = 0; i < w->g->inputs->len; i++) {
    int v = g_array_index (w->g->inputs, int, i);
    const OviValue *val = ovi_graph_value (w->g, v);
    GString *d = ovi_ir_data_new ();
    OviIrTap t = ovi_ir_value_shape (w, v);
    const char *names[1] = { val->name };
    ovi_ir_data_str (d, "element_type", ovi_ir_element_type (val->dtype));
    g_string_append (d, " shape=\"");
    for (int k = 0; k < val->rank; k++)
      g_string_append_printf (d, "%s%" G_GINT64_FORMAT, k ? "," : "",
          val->dims[k]);
    g_string_append_c (d, '"');
    ovi_ir_emit_named (w, "Parameter", "opset1", val->name, d, 0, NULL, 1, &t,
        names);
    w->taps[v] = t;
  }
}

/* Results, in output order; a tensor reaching an output under another
 * name (through Identity) gets its own port so the name survives. */
static gboolean
write_results (OviIrWriter *w, GError **error)
{
  for (guint i = 0; i < w->g->outputs->len; i++) {
    int v = g_array_index (w->g->outputs, int, i);
    const OviValue *val = ovi_graph_value (w->g, v);
    OviIrTap t = ovi_ir_value_tap (w, v);
    char *rname;
    if (w->err) {
      g_propagate_error (error, w->err);
      w->err = NULL;
      return FALSE;
    }
    if (t.name == NULL || strcmp (t.name, val->name) != 0) {
      GString *d = ovi_ir_data_new ();
      OviIrTap o = t;
      const char *names[1] = { val->name };
      char *cname = g_strdup_printf ("%s/copy", val->name);
      ovi_ir_data_str (d, "destination_type", ovi_ir_element_type (t.dtype));
      ovi_ir_emit_named (w, "Convert", "opset1", cname, d, 1, &t, 1, &o,
          names);
      g_free (cname);
      t = o;
      w->taps[v] = t;
    }
    rname = g_strdup_printf ("%s/sink_port_0", val->name);
    ovi_ir_emit_named (w, "Result", "opset1", rname, NULL, 1, &t, 0, NULL,
        NULL);
    g_free (rname);
  }
  if (w->err) {
    g_propagate_error (error, w->err);
    w->err = NULL;
    return FALSE;
  }
  return TRUE;
}

static void
writer_init (OviIrWriter *w, const OviPlan *plan)
{
  w->g = plan->graph;
  w->opset = plan->graph->opset;
  w->layers = g_string_new (NULL);
  w->edges = g_string_new (NULL);
  w->bin = g_byte_array_new ();
  w->taps = g_new (OviIrTap, MAX (w->g->values->len, 1));
  for (guint v = 0; v < w->g->values->len; v++)
    w->taps[v].layer = -1;
  w->layer_names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      NULL);
}

static void
writer_clear (OviIrWriter *w)
{
  if (w->layers) {
    g_string_free (w->layers, TRUE);
    g_string_free (w->edges, TRUE);
    g_byte_array_free (w->bin, TRUE);
    g_free (w->taps);
    g_hash_table_destroy (w->layer_names);
  }
  g_clear_error (&w->err);
}

gboolean
ovi_ir_serialize (const OviGraph *graph, GString **xml, GByteArray **bin,
    GError **error)
{
  OviTensorView *views;
  OviPlan *plan = NULL;
  OviGraph *work = NULL;
  OviIrWriter w = { 0 };
  gboolean ok = FALSE;
  char *base = NULL;

  g_return_val_if_fail (graph != NULL && xml != NULL && bin != NULL, FALSE);
  views = static_input_views (graph, error);
  if (views == NULL)
    return FALSE;
  work = ovi_graph_copy (graph);
  plan = plan_static (work, views, error);
  if (plan == NULL)
    goto out;

  writer_init (&w, plan);
  write_parameters (&w);
  for (int s = 0; s < plan->n_steps; s++)
    if (!ovi_ir_export_node (&w, plan->steps[s].node, error))
      goto out;
  if (!write_results (&w, error))
    goto out;
  base = g_path_get_basename (graph->source ? graph->source : "model");
  if (strrchr (base, '.'))
    *strrchr (base, '.') = '\0';
  *xml = xml_text (base, &w);
  *bin = w.bin;
  w.bin = g_byte_array_new ();
  ok = TRUE;

out:
  g_free (base);
  writer_clear (&w);
  ovi_plan_unref (plan);
  ovi_graph_free (work);
  g_free (views);
  return ok;
}

gboolean
ovi_ir_write (const OviGraph *graph, const char *xml_path, GError **error)
{
  GString *xml = NULL;
  GByteArray *bin = NULL;
  GError *err = NULL;
  char *bin_path;
  gboolean ok;

  g_return_val_if_fail (graph != NULL && xml_path != NULL, FALSE);
  if (!ovi_ir_serialize (graph, &xml, &bin, error))
    return FALSE;
  bin_path = ovi_ir_bin_path (xml_path);
  ok = g_file_set_contents (bin_path, (const char *) bin->data, bin->len,
      &err)
      && g_file_set_contents (xml_path, xml->str, xml->len, &err);
  if (!ok) {
    g_set_error (error, OVI_ERROR, OVI_ERROR_IO, "cannot write %s: %s",
        xml_path, err->message);
    g_error_free (err);
  }
  g_free (bin_path);
  g_string_free (xml, TRUE);
  g_byte_array_free (bin, TRUE);
  return ok;
}
