/* libFuzzer harness for the GGUF reader: any byte string must either load
 * or fail with an error; whatever loads is walked completely (every key,
 * array element and tensor byte) so that ASan sees any out-of-bounds
 * pointer the reader handed out. */
#include "gguf.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

/* Where the walk's reads go, so that the compiler keeps them. */
static volatile guint64 sum;

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  GError *error = NULL;
  GBytes *bytes = g_bytes_new (data, size);
  OviGguf *g = ovi_gguf_new_from_bytes (bytes, &error);

  g_bytes_unref (bytes);
  if (g == NULL) {
    g_clear_error (&error);
    return 0;
  }
  for (gsize k = 0; k < ovi_gguf_n_keys (g); k++) {
    const char *key = ovi_gguf_key (g, k);
    const OviGgufArray *a = ovi_gguf_get_array (g, key);
    gsize len = 0;
    const char *s = ovi_gguf_get_string (g, key, &len);
    double f;
    if (s && len)
      sum += (guint8) s[len - 1];
    if (ovi_gguf_get_float (g, key, &f))
      sum += (guint64) (f != 0);
    for (guint64 e = 0; a && e < ovi_gguf_array_length (a); e++) {
      gint64 v;
      s = ovi_gguf_array_string (a, e, &len);
      if (s && len)
        sum += (guint8) s[0] + (guint8) s[len - 1];
      else if (ovi_gguf_array_get_int (a, e, &v))
        sum += (guint64) v;
    }
  }
  for (gsize k = 0; k < ovi_gguf_n_tensors (g); k++) {
    const OviGgufTensor *t = ovi_gguf_tensor (g, k);
    if (t->n_bytes)
      sum += t->data[0] + t->data[t->n_bytes - 1];
  }
  ovi_gguf_free (g);
  return 0;
}
