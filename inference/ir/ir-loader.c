/* IR v11 reader. */
#include "ir.h"

OviGraph *
ovi_ir_parse (const char *xml, gsize xml_size, const guint8 *bin,
    gsize bin_size, const char *source, GError **error)
{
  g_set_error (error, OVI_ERROR, OVI_ERROR_UNSUPPORTED,
      "%s: OpenVINO IR reading is not implemented yet", source);
  return NULL;
}

OviGraph *
ovi_ir_load (const char *xml_path, GError **error)
{
  return ovi_ir_parse (NULL, 0, NULL, 0, xml_path, error);
}
