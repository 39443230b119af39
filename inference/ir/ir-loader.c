/* OpenVINO IR v10/v11 reader: the .xml through GMarkup (ir-xml.c), Const
 * data from the .bin, every layer mapped onto one or more nodes with ONNX
 * semantics (default-domain opset 18), so that the engine's ONNX kernels
 * run it (ir-graph.c, ir-import-*.c).
 *
 * The files are untrusted: every id, port, edge, shape and Const range is
 * checked, counts are capped, and the only allocations that grow with the
 * model are bounded by the size of the input. */
#include "ir-private.h"

OviGraph *
ovi_ir_parse (const char *xml, gsize xml_size, const guint8 *bin,
    gsize bin_size, const char *source, GError **error)
{
  OviIrModel *model;
  OviGraph *g;

  if (source == NULL)
    source = "model.xml";
  model = ovi_ir_model_parse (xml, xml_size, source, error);
  if (model == NULL)
    return NULL;
  g = ovi_ir_graph_build (model, bin, bin_size, source, error);
  ovi_ir_model_free (model);
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
  bin_path = ovi_ir_bin_path (xml_path);
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
