/* libFuzzer harness for the OpenVINO IR reader (built by tests/fuzz/
 * meson.build with -Dfuzzing=true; scripts/run-tests.sh runs it).
 *
 * Input layout: a 4-byte little-endian length N, then N bytes of XML, then
 * the rest as the .bin weights. N larger than what follows takes all of
 * it as XML and leaves no weights. */
#include <stdint.h>
#include <string.h>

#include "ir/ir.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  guint32 n;
  gsize xml_size;
  char *xml;
  const guint8 *bin;
  gsize bin_size;
  OviGraph *g;
  GError *error = NULL;

  if (size < 4)
    return 0;
  n = (guint32) data[0] | (guint32) data[1] << 8 | (guint32) data[2] << 16
      | (guint32) data[3] << 24;
  xml_size = MIN ((gsize) n, size - 4);
  /* A separate allocation, so that ASan sees reads past the XML. */
  xml = g_malloc (MAX (xml_size, 1));
  memcpy (xml, data + 4, xml_size);
  bin = data + 4 + xml_size;
  bin_size = size - 4 - xml_size;

  g = ovi_ir_parse (xml, xml_size, bin_size ? bin : NULL, bin_size,
      "fuzz.xml", &error);
  if (g == NULL) {
    /* Every failure must say why. */
    if (error == NULL || error->domain != OVI_ERROR)
      __builtin_trap ();
    g_error_free (error);
  } else {
    if (error != NULL)
      __builtin_trap ();
    ovi_graph_free (g);
  }
  g_free (xml);
  return 0;
}
