/* ovi-convert: ONNX model -> OpenVINO IR v11 (.xml + .bin). */
#include <stdio.h>

#include "ir/ir.h"
#include "model.h"

int
main (int argc, char **argv)
{
  GError *error = NULL;
  OviModel *m;
  if (argc != 3) {
    fprintf (stderr, "usage: ovi-convert MODEL.onnx OUT.xml\n");
    return 2;
  }
  m = ovi_model_load (argv[1], &error);
  if (m == NULL || !ovi_ir_write (m->graph, argv[2], &error)) {
    fprintf (stderr, "ovi-convert: %s\n", error->message);
    g_error_free (error);
    return 1;
  }
  ovi_model_unref (m);
  return 0;
}
