/* Graph IR: construction, copy, topological order, attributes. */
#include "graph.h"

#include <string.h>

OviGraph *
ovi_graph_new (void)
{
  OviGraph *g = g_new0 (OviGraph, 1);
  g->values = g_ptr_array_new ();
  g->nodes = g_ptr_array_new ();
  g->inputs = g_array_new (FALSE, FALSE, sizeof (int));
  g->outputs = g_array_new (FALSE, FALSE, sizeof (int));
  return g;
}

static void
value_free (OviValue *v)
{
  g_free (v->name);
  ovi_tensor_free (v->constant);
  g_free (v);
}

void
ovi_attr_clear (OviAttr *a)
{
  g_free (a->name);
  g_free (a->s);
  ovi_tensor_free (a->t);
  g_free (a->floats);
  g_free (a->ints);
  if (a->strings) {
    for (int i = 0; i < a->n; i++)
      g_free (a->strings[i]);
    g_free (a->strings);
  }
  memset (a, 0, sizeof (*a));
}

void
ovi_node_free (OviNode *n)
{
  if (n == NULL)
    return;
  g_free (n->name);
  g_free (n->op_type);
  g_free (n->domain);
  g_free (n->inputs);
  g_free (n->outputs);
  for (int i = 0; i < n->n_attrs; i++)
    ovi_attr_clear (&n->attrs[i]);
  g_free (n->attrs);
  g_free (n);
}

void
ovi_graph_free (OviGraph *g)
{
  if (g == NULL)
    return;
  for (guint i = 0; i < g->values->len; i++)
    value_free (g_ptr_array_index (g->values, i));
  for (guint i = 0; i < g->nodes->len; i++)
    ovi_node_free (g_ptr_array_index (g->nodes, i));
  g_ptr_array_free (g->values, TRUE);
  g_ptr_array_free (g->nodes, TRUE);
  g_array_free (g->inputs, TRUE);
  g_array_free (g->outputs, TRUE);
  g_free (g->source);
  if (g->metadata)
    g_hash_table_unref (g->metadata);
  g_free (g);
}

void
ovi_graph_set_metadata (OviGraph *g, const char *key, const char *value)
{
  if (g->metadata == NULL)
    g->metadata = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
        g_free);
  g_hash_table_replace (g->metadata, g_strdup (key), g_strdup (value));
}

static void
attr_copy (OviAttr *dst, const OviAttr *src)
{
  *dst = *src;
  dst->name = g_strdup (src->name);
  dst->s = g_strdup (src->s);
  dst->t = src->t ? ovi_tensor_copy (src->t) : NULL;
  dst->floats = src->floats ? g_memdup2 (src->floats,
      sizeof (float) * src->n) : NULL;
  dst->ints = src->ints ? g_memdup2 (src->ints,
      sizeof (int64_t) * src->n) : NULL;
  if (src->strings) {
    dst->strings = g_new0 (char *, src->n + 1);
    for (int i = 0; i < src->n; i++)
      dst->strings[i] = g_strdup (src->strings[i]);
  }
}

static OviNode *
node_copy (const OviNode *n)
{
  OviNode *c = g_new0 (OviNode, 1);
  c->name = g_strdup (n->name);
  c->op_type = g_strdup (n->op_type);
  c->domain = g_strdup (n->domain);
  c->n_inputs = n->n_inputs;
  c->inputs = g_memdup2 (n->inputs, sizeof (int) * MAX (n->n_inputs, 1));
  c->n_outputs = n->n_outputs;
  c->outputs = g_memdup2 (n->outputs, sizeof (int) * MAX (n->n_outputs, 1));
  c->n_attrs = n->n_attrs;
  c->attrs = g_new0 (OviAttr, MAX (n->n_attrs, 1));
  for (int i = 0; i < n->n_attrs; i++)
    attr_copy (&c->attrs[i], &n->attrs[i]);
  return c;
}

OviGraph *
ovi_graph_copy (const OviGraph *g)
{
  OviGraph *c = ovi_graph_new ();
  for (guint i = 0; i < g->values->len; i++) {
    const OviValue *v = g_ptr_array_index (g->values, i);
    OviValue *cv = g_new0 (OviValue, 1);
    *cv = *v;
    cv->name = g_strdup (v->name);
    /* A model's weights are shared with its plans (model.c makes them
     * shareable); other constants are copied. */
    cv->constant = v->constant ? ovi_tensor_share (v->constant) : NULL;
    g_ptr_array_add (c->values, cv);
  }
  for (guint i = 0; i < g->nodes->len; i++)
    g_ptr_array_add (c->nodes, node_copy (g_ptr_array_index (g->nodes, i)));
  g_array_append_vals (c->inputs, g->inputs->data, g->inputs->len);
  g_array_append_vals (c->outputs, g->outputs->data, g->outputs->len);
  c->opset = g->opset;
  c->source = g_strdup (g->source);
  c->metadata = g->metadata ? g_hash_table_ref (g->metadata) : NULL;
  return c;
}

int
ovi_graph_add_value (OviGraph *g, const char *name, OviDType dtype)
{
  OviValue *v = g_new0 (OviValue, 1);
  v->name = g_strdup (name ? name : "");
  v->dtype = dtype;
  v->rank = -1;
  v->producer = -1;
  g_ptr_array_add (g->values, v);
  return g->values->len - 1;
}

int
ovi_graph_find_value (const OviGraph *g, const char *name)
{
  for (guint i = 0; i < g->values->len; i++) {
    const OviValue *v = g_ptr_array_index (g->values, i);
    if (strcmp (v->name, name) == 0)
      return i;
  }
  return -1;
}

OviNode *
ovi_graph_add_node (OviGraph *g, const char *op_type, const char *name,
    int n_inputs, const int *inputs, int n_outputs, const int *outputs)
{
  OviNode *n = g_new0 (OviNode, 1);
  n->op_type = g_strdup (op_type);
  n->name = g_strdup (name ? name : "");
  n->domain = g_strdup ("");
  n->n_inputs = n_inputs;
  n->inputs = g_new0 (int, MAX (n_inputs, 1));
  if (n_inputs)
    memcpy (n->inputs, inputs, sizeof (int) * n_inputs);
  n->n_outputs = n_outputs;
  n->outputs = g_new0 (int, MAX (n_outputs, 1));
  if (n_outputs)
    memcpy (n->outputs, outputs, sizeof (int) * n_outputs);
  n->attrs = g_new0 (OviAttr, 1);
  g_ptr_array_add (g->nodes, n);
  return n;
}

gboolean
ovi_graph_sort (OviGraph *g, GError **error)
{
  guint nv = g->values->len, nn = g->nodes->len;
  int *producer = g_new (int, nv);
  int *pending = g_new0 (int, nn);
  GPtrArray *sorted = g_ptr_array_sized_new (nn);
  GArray **consumers = g_new0 (GArray *, nv);
  int *queue = g_new (int, nn);
  int head = 0, tail = 0;
  gboolean ok = TRUE;

  for (guint i = 0; i < nv; i++)
    producer[i] = -1;
  for (guint i = 0; i < nn; i++) {
    OviNode *n = g_ptr_array_index (g->nodes, i);
    for (int o = 0; o < n->n_outputs; o++) {
      int v = n->outputs[o];
      if (v < 0)
        continue;
      if (producer[v] >= 0) {
        g_set_error (error, OVI_ERROR, OVI_ERROR_INVALID,
            "%s: value '%s' is produced by two nodes", g->source,
            ovi_graph_value (g, v)->name);
        ok = FALSE;
        goto out;
      }
      producer[v] = i;
    }
  }
  for (guint i = 0; i < nn; i++) {
    OviNode *n = g_ptr_array_index (g->nodes, i);
    for (int k = 0; k < n->n_inputs; k++) {
      int v = n->inputs[k];
      if (v < 0)
        continue;
      if (producer[v] < 0) {
        OviValue *val = ovi_graph_value (g, v);
        gboolean is_input = FALSE;
        for (guint j = 0; j < g->inputs->len; j++)
          is_input |= g_array_index (g->inputs, int, j) == v;
        if (!is_input && val->constant == NULL) {
          g_set_error (error, OVI_ERROR, OVI_ERROR_INVALID,
              "%s: node '%s' (%s) reads '%s', which nothing produces",
              g->source, n->name, n->op_type, val->name);
          ok = FALSE;
          goto out;
        }
        continue;
      }
      pending[i]++;
      if (consumers[v] == NULL)
        consumers[v] = g_array_new (FALSE, FALSE, sizeof (int));
      g_array_append_val (consumers[v], i);
    }
    if (pending[i] == 0)
      queue[tail++] = i;
  }
  while (head < tail) {
    int i = queue[head++];
    OviNode *n = g_ptr_array_index (g->nodes, i);
    g_ptr_array_add (sorted, n);
    for (int o = 0; o < n->n_outputs; o++) {
      int v = n->outputs[o];
      if (v < 0 || consumers[v] == NULL)
        continue;
      for (guint c = 0; c < consumers[v]->len; c++) {
        int ci = g_array_index (consumers[v], int, c);
        if (--pending[ci] == 0)
          queue[tail++] = ci;
      }
    }
  }
  if ((guint) tail != nn) {
    g_set_error (error, OVI_ERROR, OVI_ERROR_INVALID,
        "%s: the graph has a cycle", g->source);
    ok = FALSE;
    goto out;
  }
  for (guint i = 0; i < nn; i++)
    g_ptr_array_index (g->nodes, i) = g_ptr_array_index (sorted, i);
  for (guint i = 0; i < nv; i++)
    ovi_graph_value (g, i)->producer = -1;
  for (guint i = 0; i < nn; i++) {
    OviNode *n = g_ptr_array_index (g->nodes, i);
    for (int o = 0; o < n->n_outputs; o++)
      if (n->outputs[o] >= 0)
        ovi_graph_value (g, n->outputs[o])->producer = i;
  }

out:
  for (guint i = 0; i < nv; i++)
    if (consumers[i])
      g_array_free (consumers[i], TRUE);
  g_free (consumers);
  g_free (queue);
  g_ptr_array_free (sorted, TRUE);
  g_free (pending);
  g_free (producer);
  return ok;
}

const OviAttr *
ovi_node_attr (const OviNode *n, const char *name)
{
  for (int i = 0; i < n->n_attrs; i++)
    if (strcmp (n->attrs[i].name, name) == 0)
      return &n->attrs[i];
  return NULL;
}

int64_t
ovi_node_attr_int (const OviNode *n, const char *name, int64_t def)
{
  const OviAttr *a = ovi_node_attr (n, name);
  if (a == NULL)
    return def;
  if (a->type == OVI_ATTR_FLOAT)
    return (int64_t) a->f;
  return a->type == OVI_ATTR_INT ? a->i : def;
}

float
ovi_node_attr_float (const OviNode *n, const char *name, float def)
{
  const OviAttr *a = ovi_node_attr (n, name);
  if (a == NULL)
    return def;
  if (a->type == OVI_ATTR_INT)
    return (float) a->i;
  return a->type == OVI_ATTR_FLOAT ? a->f : def;
}

const char *
ovi_node_attr_string (const OviNode *n, const char *name, const char *def)
{
  const OviAttr *a = ovi_node_attr (n, name);
  return a && a->type == OVI_ATTR_STRING && a->s ? a->s : def;
}

int
ovi_node_attr_ints (const OviNode *n, const char *name,
    const int64_t **values)
{
  const OviAttr *a = ovi_node_attr (n, name);
  if (a == NULL || a->type != OVI_ATTR_INTS) {
    *values = NULL;
    return -1;
  }
  *values = a->ints;
  return a->n;
}

int
ovi_node_attr_floats (const OviNode *n, const char *name,
    const float **values)
{
  const OviAttr *a = ovi_node_attr (n, name);
  if (a == NULL || a->type != OVI_ATTR_FLOATS) {
    *values = NULL;
    return -1;
  }
  *values = a->floats;
  return a->n;
}

void
ovi_node_remove_attr (OviNode *n, const char *name)
{
  for (int i = 0; i < n->n_attrs; i++) {
    if (strcmp (n->attrs[i].name, name) == 0) {
      ovi_attr_clear (&n->attrs[i]);
      memmove (&n->attrs[i], &n->attrs[i + 1],
          sizeof (OviAttr) * (n->n_attrs - i - 1));
      n->n_attrs--;
      return;
    }
  }
}

OviAttr *
ovi_node_add_attr (OviNode *n, const char *name, OviAttrType type)
{
  OviAttr *a;
  ovi_node_remove_attr (n, name);
  n->attrs = g_renew (OviAttr, n->attrs, n->n_attrs + 1);
  a = &n->attrs[n->n_attrs++];
  memset (a, 0, sizeof (*a));
  a->name = g_strdup (name);
  a->type = type;
  return a;
}

void
ovi_node_set_attr_int (OviNode *n, const char *name, int64_t v)
{
  ovi_node_add_attr (n, name, OVI_ATTR_INT)->i = v;
}

void
ovi_node_set_attr_float (OviNode *n, const char *name, float v)
{
  ovi_node_add_attr (n, name, OVI_ATTR_FLOAT)->f = v;
}

void
ovi_node_set_attr_string (OviNode *n, const char *name, const char *v)
{
  ovi_node_add_attr (n, name, OVI_ATTR_STRING)->s = g_strdup (v);
}

void
ovi_node_set_attr_ints (OviNode *n, const char *name, int count,
    const int64_t *v)
{
  OviAttr *a = ovi_node_add_attr (n, name, OVI_ATTR_INTS);
  a->n = count;
  a->ints = g_new (int64_t, MAX (count, 1));
  if (count)
    memcpy (a->ints, v, sizeof (int64_t) * count);
}

void
ovi_node_set_attr_floats (OviNode *n, const char *name, int count,
    const float *v)
{
  OviAttr *a = ovi_node_add_attr (n, name, OVI_ATTR_FLOATS);
  a->n = count;
  a->floats = g_new (float, MAX (count, 1));
  if (count)
    memcpy (a->floats, v, sizeof (float) * count);
}

gboolean
ovi_graph_is_output (const OviGraph *g, int v)
{
  for (guint i = 0; i < g->outputs->len; i++)
    if (g_array_index (g->outputs, int, i) == v)
      return TRUE;
  return FALSE;
}

int
ovi_graph_count_uses (const OviGraph *g, int v)
{
  int uses = ovi_graph_is_output (g, v) ? 1 : 0;
  for (guint i = 0; i < g->nodes->len; i++) {
    const OviNode *n = g_ptr_array_index (g->nodes, i);
    for (int k = 0; k < n->n_inputs; k++)
      uses += n->inputs[k] == v;
  }
  return uses;
}

void
ovi_graph_replace_uses (OviGraph *g, int from, int to)
{
  for (guint i = 0; i < g->nodes->len; i++) {
    OviNode *n = g_ptr_array_index (g->nodes, i);
    for (int k = 0; k < n->n_inputs; k++)
      if (n->inputs[k] == from)
        n->inputs[k] = to;
  }
  for (guint i = 0; i < g->outputs->len; i++)
    if (g_array_index (g->outputs, int, i) == from)
      g_array_index (g->outputs, int, i) = to;
}

void
ovi_graph_remove_node (OviGraph *g, int i)
{
  ovi_node_free (g_ptr_array_index (g->nodes, i));
  g_ptr_array_remove_index (g->nodes, i);
}
