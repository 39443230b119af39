/* IR v11 writer. */
#include "ir.h"

gboolean
ovi_ir_write (const OviGraph *graph, const char *xml_path, GError **error)
{
  g_set_error (error, OVI_ERROR, OVI_ERROR_UNSUPPORTED,
      "%s: OpenVINO IR writing is not implemented yet", xml_path);
  return FALSE;
}
