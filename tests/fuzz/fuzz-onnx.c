/* libFuzzer harness for the ONNX loader: any byte string must either load
 * or fail with an error, without crashing, leaking or over-reading. */
#include "onnx/onnx.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  GError *error = NULL;
  OviGraph *g = ovi_onnx_parse_model (data, size, "fuzz.onnx", NULL, &error);
  OviTensor *t;
  if (g)
    ovi_graph_free (g);
  g_clear_error (&error);
  /* The same bytes as a lone TensorProto (test data files, attributes). */
  t = ovi_onnx_parse_tensor (data, size, NULL, NULL, &error);
  ovi_tensor_free (t);
  g_clear_error (&error);
  return 0;
}
