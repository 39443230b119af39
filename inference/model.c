/* OviModel: a loaded graph, format chosen by file extension. */
#include <string.h>

#include "model.h"
#include "ir/ir.h"
#include "onnx/onnx.h"

static OviLogFunc log_func;
static gpointer log_data;

void
ovi_set_log_callback (OviLogFunc func, gpointer user_data)
{
  log_func = func;
  log_data = user_data;
}

void
ovi_log (OviLogLevel level, const char *format, ...)
{
  va_list args;
  char *msg;
  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);
  if (log_func)
    log_func (level, msg, log_data);
  else if (level <= OVI_LOG_WARNING)
    g_log (G_LOG_DOMAIN, level == OVI_LOG_ERROR ? G_LOG_LEVEL_CRITICAL
        : G_LOG_LEVEL_WARNING, "%s", msg);
  g_free (msg);
}

OviModel *
ovi_model_new_from_graph (OviGraph *graph)
{
  OviModel *m = g_new0 (OviModel, 1);
  m->ref_count = 1;
  m->graph = graph;
  /* Plans copy the graph; its weights they share rather than copy. */
  for (guint i = 0; i < graph->values->len; i++) {
    OviValue *v = ovi_graph_value (graph, i);
    if (v->constant)
      ovi_tensor_make_shared (v->constant);
  }
  return m;
}

OviModel *
ovi_model_load_onnx_from_data (const guint8 *data, gsize size,
    const char *base_dir, GError **error)
{
  OviGraph *g = ovi_onnx_parse_model (data, size, "model", base_dir, error);
  return g ? ovi_model_new_from_graph (g) : NULL;
}

OviModel *
ovi_model_load (const char *path, GError **error)
{
  GMappedFile *file;
  GError *err = NULL;
  OviGraph *g = NULL;
  char *dir;

  g_return_val_if_fail (path != NULL, NULL);
  if (g_str_has_suffix (path, ".xml")) {
    g = ovi_ir_load (path, error);
    return g ? ovi_model_new_from_graph (g) : NULL;
  }
  file = g_mapped_file_new (path, FALSE, &err);
  if (file == NULL) {
    g_set_error (error, OVI_ERROR, OVI_ERROR_IO, "cannot read model %s: %s",
        path, err->message);
    g_error_free (err);
    return NULL;
  }
  dir = g_path_get_dirname (path);
  g = ovi_onnx_parse_model ((const guint8 *) g_mapped_file_get_contents (file),
      g_mapped_file_get_length (file), path, dir, error);
  g_free (dir);
  g_mapped_file_unref (file);
  return g ? ovi_model_new_from_graph (g) : NULL;
}

OviModel *
ovi_model_ref (OviModel *m)
{
  g_atomic_int_inc (&m->ref_count);
  return m;
}

void
ovi_model_unref (OviModel *m)
{
  if (m == NULL || !g_atomic_int_dec_and_test (&m->ref_count))
    return;
  ovi_graph_free (m->graph);
  g_free (m);
}

const char *
ovi_model_get_metadata (const OviModel *m, const char *key)
{
  g_return_val_if_fail (m != NULL && key != NULL, NULL);
  return m->graph->metadata ? g_hash_table_lookup (m->graph->metadata, key)
      : NULL;
}

gboolean
ovi_model_reshape_input (OviModel *m, int index, int rank,
    const int64_t *dims, GError **error)
{
  OviGraph *g = m->graph;
  OviValue *v;

  if (index < 0 || (guint) index >= g->inputs->len) {
    g_set_error (error, OVI_ERROR, OVI_ERROR_ARGUMENT,
        "%s: the model has no input %d", g->source, index);
    return FALSE;
  }
  v = ovi_graph_value (g, g_array_index (g->inputs, int, index));
  if (m->weights_dropped) {
    g_set_error (error, OVI_ERROR, OVI_ERROR_ARGUMENT,
        "%s: a compiled model's copy cannot be reshaped", g->source);
    return FALSE;
  }
  if ((v->rank >= 0 && v->rank != rank) || rank < 0 || rank > OVI_MAX_RANK) {
    g_set_error (error, OVI_ERROR, OVI_ERROR_ARGUMENT,
        "%s: input '%s' has rank %d, not %d", g->source, v->name, v->rank,
        rank);
    return FALSE;
  }
  for (int d = 0; d < rank; d++) {
    if (dims[d] <= 0) {
      g_set_error (error, OVI_ERROR, OVI_ERROR_ARGUMENT,
          "%s: input '%s': dimension %d must be positive, not %"
          G_GINT64_FORMAT, g->source, v->name, d, (gint64) dims[d]);
      return FALSE;
    }
  }
  v->rank = rank;
  memcpy (v->dims, dims, sizeof (int64_t) * rank);
  /* The file's output shapes no longer hold; planning infers them. */
  for (guint i = 0; i < g->outputs->len; i++) {
    OviValue *o = ovi_graph_value (g, g_array_index (g->outputs, int, i));
    if (o->constant == NULL && o->producer >= 0)
      for (int d = 0; d < o->rank; d++)
        o->dims[d] = -1;
  }
  return TRUE;
}

int
ovi_model_get_n_inputs (const OviModel *m)
{
  return m->graph->inputs->len;
}

int
ovi_model_get_n_outputs (const OviModel *m)
{
  return m->graph->outputs->len;
}

int
ovi_model_get_n_nodes (const OviModel *m)
{
  return m->graph->nodes->len;
}

static gboolean
describe (const OviGraph *g, GArray *list, int index, const char **name,
    OviTensorView *info)
{
  const OviValue *v;
  if (index < 0 || (guint) index >= list->len)
    return FALSE;
  v = ovi_graph_value (g, g_array_index (list, int, index));
  if (name)
    *name = v->name;
  if (info) {
    memset (info, 0, sizeof (*info));
    info->dtype = v->dtype;
    info->rank = v->rank;
    if (v->rank > 0)
      memcpy (info->dims, v->dims, sizeof (int64_t) * v->rank);
  }
  return TRUE;
}

gboolean
ovi_model_get_input (const OviModel *m, int index, const char **name,
    OviTensorView *info)
{
  return describe (m->graph, m->graph->inputs, index, name, info);
}

gboolean
ovi_model_get_output (const OviModel *m, int index, const char **name,
    OviTensorView *info)
{
  return describe (m->graph, m->graph->outputs, index, name, info);
}
