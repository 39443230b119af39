/* ovi-convert: ONNX model -> OpenVINO IR v11 (.xml + .bin beside it).
 *   ovi-convert [--shape NAME=D0,D1,...]... MODEL.onnx OUT.xml
 * The model is planned for its input shapes, which must be static: the
 * declared ones, or those given with --shape for inputs with dynamic
 * dimensions. Ops IR cannot express are reported by node name. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir/ir.h"
#include "model.h"

static char **shapes;

static GOptionEntry entries[] = {
  { "shape", 's', 0, G_OPTION_ARG_STRING_ARRAY, &shapes,
    "Static shape for an input", "NAME=D0,D1,..." },
  { NULL }
};

static gboolean
set_shape (OviGraph *g, const char *spec, GError **error)
{
  const char *eq = strchr (spec, '=');
  char *name, **dims;
  int v = -1, rank = 0;
  gboolean ok = TRUE;

  if (eq == NULL) {
    g_set_error (error, OVI_ERROR, OVI_ERROR_ARGUMENT,
        "--shape expects NAME=D0,D1,..., got '%s'", spec);
    return FALSE;
  }
  name = g_strndup (spec, eq - spec);
  for (guint i = 0; i < g->inputs->len; i++)
    if (strcmp (ovi_graph_value (g, g_array_index (g->inputs, int, i))->name,
            name) == 0)
      v = g_array_index (g->inputs, int, i);
  if (v < 0) {
    g_set_error (error, OVI_ERROR, OVI_ERROR_ARGUMENT,
        "the model has no input '%s'", name);
    g_free (name);
    return FALSE;
  }
  dims = g_strsplit (eq + 1, ",", -1);
  for (int i = 0; dims[i] && ok; i++) {
    char *end;
    gint64 d = g_ascii_strtoll (dims[i], &end, 10);
    if (dims[i][0] == '\0' && dims[1] == NULL)
      break;
    if (*end != '\0' || end == dims[i] || d < 0 || rank >= OVI_MAX_RANK) {
      g_set_error (error, OVI_ERROR, OVI_ERROR_ARGUMENT,
          "bad shape '%s' for input '%s'", eq + 1, name);
      ok = FALSE;
      break;
    }
    ovi_graph_value (g, v)->dims[rank++] = d;
  }
  if (ok)
    ovi_graph_value (g, v)->rank = rank;
  g_strfreev (dims);
  g_free (name);
  return ok;
}

int
main (int argc, char **argv)
{
  GOptionContext *ctx = g_option_context_new ("MODEL.onnx OUT.xml");
  GError *error = NULL;
  OviModel *m = NULL;
  int rc = 0;

  g_option_context_set_summary (ctx, "Converts an ONNX model to OpenVINO "
      "IR v11.");
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    fprintf (stderr, "ovi-convert: %s\n", error->message);
    g_error_free (error);
    g_option_context_free (ctx);
    return 2;
  }
  g_option_context_free (ctx);
  if (argc != 3) {
    fprintf (stderr, "usage: ovi-convert [--shape NAME=D0,D1,...]... "
        "MODEL.onnx OUT.xml\n");
    g_strfreev (shapes);
    return 2;
  }
  m = ovi_model_load (argv[1], &error);
  for (int i = 0; m && shapes && shapes[i] && rc == 0; i++)
    if (!set_shape (m->graph, shapes[i], &error))
      rc = 1;
  if (m == NULL || rc != 0 || !ovi_ir_write (m->graph, argv[2], &error)) {
    fprintf (stderr, "ovi-convert: %s\n", error->message);
    g_error_free (error);
    rc = 1;
  }
  if (m)
    ovi_model_unref (m);
  g_strfreev (shapes);
  return rc;
}
