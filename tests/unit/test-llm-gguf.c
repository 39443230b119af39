/* The GGUF reader: every value type of a valid file read back, and each
 * rule a hostile file can break (counts, lengths, offsets, dimensions,
 * types) answered with a GError. Prefix truncations and deterministic byte
 * mutations of the valid file must never crash (run under ASan in CI). */
#include <string.h>

#include <glib.h>

#include "gguf.h"

static char *
data_path (const char *name)
{
  return g_build_filename (g_getenv ("OVI_TEST_MODELS"), name, NULL);
}

static void
test_valid (void)
{
  g_autofree char *path = data_path ("valid.gguf");
  GError *error = NULL;
  g_autoptr (OviGguf) g = ovi_gguf_open (path, &error);
  const OviGgufArray *a;
  const OviGgufTensor *t;
  guint64 u;
  gint64 i;
  double f;
  gboolean b;
  gsize len;
  const char *s;
  float values[6];

  g_assert_no_error (error);
  g_assert_nonnull (g);
  g_assert_cmpuint (ovi_gguf_version (g), ==, 3);
  g_assert_cmpuint (ovi_gguf_alignment (g), ==, 32);
  g_assert_cmpuint (ovi_gguf_n_keys (g), ==, 17);
  g_assert_cmpstr (ovi_gguf_key (g, 0), ==, "general.architecture");
  g_assert_cmpstr (ovi_gguf_get_string (g, "general.architecture", NULL),
      ==, "llama");
  s = ovi_gguf_get_string (g, "general.name", &len);
  g_assert_cmpstr (s, ==, "tiny «test» 模型");
  g_assert_cmpuint (len, ==, strlen (s));

  g_assert_true (ovi_gguf_get_uint (g, "test.u8", &u));
  g_assert_cmpuint (u, ==, 200);
  g_assert_true (ovi_gguf_get_int (g, "test.i8", &i));
  g_assert_cmpint (i, ==, -100);
  g_assert_false (ovi_gguf_get_uint (g, "test.i8", &u));
  g_assert_true (ovi_gguf_get_uint (g, "test.u16", &u));
  g_assert_cmpuint (u, ==, 60000);
  g_assert_true (ovi_gguf_get_int (g, "test.i16", &i));
  g_assert_cmpint (i, ==, -30000);
  g_assert_true (ovi_gguf_get_uint (g, "test.u32", &u));
  g_assert_cmpuint (u, ==, 4000000000u);
  g_assert_true (ovi_gguf_get_int (g, "test.i32", &i));
  g_assert_cmpint (i, ==, -2000000000);
  g_assert_true (ovi_gguf_get_uint (g, "test.u64", &u));
  g_assert_cmpuint (u, ==, G_GUINT64_CONSTANT (9223372036854775813));
  /* Does not fit a signed 64-bit integer. */
  g_assert_false (ovi_gguf_get_int (g, "test.u64", &i));
  g_assert_true (ovi_gguf_get_int (g, "test.i64", &i));
  g_assert_cmpint (i, ==, -(G_GINT64_CONSTANT (1) << 40));
  g_assert_true (ovi_gguf_get_float (g, "test.f32", &f));
  g_assert_cmpfloat (f, ==, 0.5);
  g_assert_true (ovi_gguf_get_float (g, "test.f64", &f));
  g_assert_cmpfloat (f, ==, 1e300);
  g_assert_true (ovi_gguf_get_float (g, "test.u8", &f));
  g_assert_cmpfloat (f, ==, 200);
  g_assert_false (ovi_gguf_get_uint (g, "test.f32", &u));
  g_assert_true (ovi_gguf_get_bool (g, "test.bool", &b));
  g_assert_true (b);
  g_assert_false (ovi_gguf_get_bool (g, "test.u8", &b));
  g_assert_false (ovi_gguf_get_uint (g, "test.bool", &u));
  g_assert_false (ovi_gguf_get_uint (g, "missing", &u));
  g_assert_null (ovi_gguf_get_string (g, "test.u8", NULL));
  g_assert_cmpint (ovi_gguf_key_type (g, "test.strings"), ==, OVI_GGUF_ARRAY);
  g_assert_cmpint (ovi_gguf_key_type (g, "missing"), ==, -1);

  a = ovi_gguf_get_array (g, "test.strings");
  g_assert_nonnull (a);
  g_assert_cmpint (ovi_gguf_array_type (a), ==, OVI_GGUF_STRING);
  g_assert_cmpuint (ovi_gguf_array_length (a), ==, 4);
  s = ovi_gguf_array_string (a, 0, &len);
  g_assert_cmpmem (s, len, "a", 1);
  s = ovi_gguf_array_string (a, 1, &len);
  g_assert_cmpuint (len, ==, 0);
  s = ovi_gguf_array_string (a, 2, &len);
  g_assert_cmpmem (s, len, "ü€😀", strlen ("ü€😀"));
  s = ovi_gguf_array_string (a, 3, &len);
  g_assert_cmpuint (len, ==, 300);
  g_assert_null (ovi_gguf_array_string (a, 4, &len));
  g_assert_false (ovi_gguf_array_get_int (a, 0, &i));

  a = ovi_gguf_get_array (g, "test.floats");
  g_assert_true (ovi_gguf_array_get_float (a, 1, &f));
  g_assert_cmpfloat (f, ==, -2.25);
  g_assert_false (ovi_gguf_array_get_float (a, 3, &f));
  g_assert_null (ovi_gguf_array_string (a, 0, &len));
  a = ovi_gguf_get_array (g, "test.ints");
  g_assert_true (ovi_gguf_array_get_int (a, 0, &i));
  g_assert_cmpint (i, ==, -1);
  g_assert_true (ovi_gguf_array_get_int (a, 2, &i));
  g_assert_cmpint (i, ==, 7);
  /* Nested arrays are walked over and described, not read. */
  a = ovi_gguf_get_array (g, "test.nested");
  g_assert_cmpint (ovi_gguf_array_type (a), ==, OVI_GGUF_ARRAY);
  g_assert_cmpuint (ovi_gguf_array_length (a), ==, 2);
  g_assert_false (ovi_gguf_array_get_int (a, 0, &i));

  g_assert_cmpuint (ovi_gguf_n_tensors (g), ==, 2);
  t = ovi_gguf_find_tensor (g, "weight");
  g_assert_true (t == ovi_gguf_tensor (g, 0));
  g_assert_cmpint (t->type, ==, OVI_GGML_TYPE_F32);
  g_assert_cmpuint (t->n_dims, ==, 2);
  g_assert_cmpuint (t->ne[0], ==, 3);
  g_assert_cmpuint (t->ne[1], ==, 2);
  g_assert_cmpuint (t->ne[2], ==, 1);
  g_assert_cmpuint (t->n_elements, ==, 6);
  g_assert_cmpuint (t->n_bytes, ==, 24);
  g_assert_cmpuint ((guintptr) t->data % 32, ==, 0);
  memcpy (values, t->data, sizeof values);
  for (int k = 0; k < 6; k++)
    g_assert_cmpfloat (values[k], ==, k);
  t = ovi_gguf_find_tensor (g, "blk.0.q");
  g_assert_cmpint (t->type, ==, OVI_GGML_TYPE_Q8_0);
  g_assert_cmpuint (t->n_bytes, ==, 2 * 34);
  g_assert_cmpint (((const gint8 *) t->data)[2], ==, -16);
  g_assert_cmpint (((const gint8 *) t->data)[34 + 2 + 31], ==, 15);
  g_assert_null (ovi_gguf_find_tensor (g, "missing"));
  g_assert_null (ovi_gguf_tensor (g, 2));
}

static void
test_missing_file (void)
{
  GError *error = NULL;
  OviGguf *g = ovi_gguf_open ("/nonexistent/model.gguf", &error);
  g_assert_null (g);
  g_assert_error (error, OVI_GGUF_ERROR, OVI_GGUF_ERROR_IO);
  g_error_free (error);
}

static void
test_hostile (gconstpointer data)
{
  const char *name = data;
  g_autofree char *file = g_strdup_printf ("hostile-%s.gguf", name);
  g_autofree char *path = data_path (file);
  GError *error = NULL;
  OviGguf *g = ovi_gguf_open (path, &error);
  int code = strcmp (name, "version-1") == 0
      || strcmp (name, "big-endian") == 0
      ? OVI_GGUF_ERROR_UNSUPPORTED : OVI_GGUF_ERROR_FORMAT;

  g_assert_null (g);
  g_assert_error (error, OVI_GGUF_ERROR, code);
  g_test_message ("%s: %s", name, error->message);
  g_error_free (error);
}

static GBytes *
read_valid (void)
{
  g_autofree char *path = data_path ("valid.gguf");
  char *contents;
  gsize length;
  g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
  return g_bytes_new_take (contents, length);
}

/* Every prefix that cuts into the tensor data (or before it) fails; the
 * padding after the last tensor is not needed. */
static void
test_truncation (void)
{
  g_autoptr (GBytes) whole = read_valid ();
  gsize size, data_end;
  const guint8 *bytes = g_bytes_get_data (whole, &size);
  GError *error = NULL;
  OviGguf *g = ovi_gguf_new_from_bytes (whole, &error);
  const OviGgufTensor *last;

  g_assert_no_error (error);
  last = ovi_gguf_tensor (g, ovi_gguf_n_tensors (g) - 1);
  data_end = last->data + last->n_bytes - bytes;
  ovi_gguf_free (g);
  for (gsize n = 0; n < size; n++) {
    /* A copy of exactly n bytes, so ASan sees any read past it. */
    GBytes *prefix = g_bytes_new (bytes, n);
    g = ovi_gguf_new_from_bytes (prefix, &error);
    if (n < data_end) {
      g_assert_null (g);
      g_assert_error (error, OVI_GGUF_ERROR, OVI_GGUF_ERROR_FORMAT);
      g_clear_error (&error);
    } else {
      g_assert_no_error (error);
      ovi_gguf_free (g);
    }
    g_bytes_unref (prefix);
  }
}

/* Single and burst byte changes at every position: success or a GError,
 * and whatever loads can be fully walked. */
static void
test_mutations (void)
{
  g_autoptr (GBytes) whole = read_valid ();
  gsize size;
  const guint8 *bytes = g_bytes_get_data (whole, &size);
  GRand *rand = g_rand_new_with_seed (7);
  static const guint8 specials[] = { 0x00, 0xff, 0x7f, 0x80, 0x01, 0x20 };
  int loaded = 0, rejected = 0;

  for (int round = 0; round < 4000; round++) {
    guint8 *copy = g_memdup2 (bytes, size);
    GBytes *mutated;
    GError *error = NULL;
    OviGguf *g;
    int changes = 1 + g_rand_int_range (rand, 0, 4);

    for (int c = 0; c < changes; c++)
      copy[g_rand_int_range (rand, 0, size)] = g_rand_boolean (rand)
          ? specials[g_rand_int_range (rand, 0, G_N_ELEMENTS (specials))]
          : (guint8) g_rand_int_range (rand, 0, 256);
    mutated = g_bytes_new_take (copy, size);
    g = ovi_gguf_new_from_bytes (mutated, &error);
    if (g) {
      guint64 sum = 0;
      for (gsize k = 0; k < ovi_gguf_n_keys (g); k++) {
        const char *key = ovi_gguf_key (g, k);
        const OviGgufArray *a = ovi_gguf_get_array (g, key);
        for (guint64 e = 0; a && e < ovi_gguf_array_length (a); e++) {
          gsize len;
          const char *s = ovi_gguf_array_string (a, e, &len);
          gint64 v;
          if (s)
            sum += len ? (guint8) s[len - 1] : 0;
          else if (ovi_gguf_array_get_int (a, e, &v))
            sum += v;
        }
      }
      for (gsize k = 0; k < ovi_gguf_n_tensors (g); k++) {
        const OviGgufTensor *t = ovi_gguf_tensor (g, k);
        for (guint64 byte = 0; byte < t->n_bytes; byte++)
          sum += t->data[byte];
      }
      (void) sum;
      loaded++;
      ovi_gguf_free (g);
    } else {
      g_assert_nonnull (error);
      g_clear_error (&error);
      rejected++;
    }
    g_bytes_unref (mutated);
  }
  g_test_message ("mutations: %d loaded, %d rejected", loaded, rejected);
  g_assert_cmpint (rejected, >, 0);
  g_rand_free (rand);
}

int
main (int argc, char **argv)
{
  static const char *const hostile[] = {
    "bad-magic", "version-1", "big-endian", "huge-kv-count",
    "huge-tensor-count", "huge-string", "huge-array", "huge-string-array",
    "bad-value-type", "bad-array-type", "duplicate-key", "empty-key",
    "bool-2", "deep-nesting", "bad-alignment", "alignment-type", "rank-5",
    "zero-dim", "overflow-dims", "unknown-tensor-type", "partial-block",
    "misaligned-offset", "offset-past-end", "truncated-data",
    "duplicate-tensor", "empty-file", "header-only-magic",
  };

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/llm/gguf/valid", test_valid);
  g_test_add_func ("/llm/gguf/missing-file", test_missing_file);
  for (gsize k = 0; k < G_N_ELEMENTS (hostile); k++) {
    g_autofree char *name = g_strdup_printf ("/llm/gguf/hostile/%s",
        hostile[k]);
    g_test_add_data_func (name, hostile[k], test_hostile);
  }
  g_test_add_func ("/llm/gguf/truncation", test_truncation);
  g_test_add_func ("/llm/gguf/mutations", test_mutations);
  return g_test_run ();
}
