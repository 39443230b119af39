/* OpenVINO property strings (DL Streamer's ie-config) into
 * OviCompileConfig, and what the fields do to a compiled model's streams. */
#include <string.h>

#include "ovi.h"
#include "thread-affinity.h"

static void
test_keys (void)
{
  OviCompileConfig c = { 0 };
  char **ignored = NULL;
  GError *err = NULL;

  g_assert_true (ovi_compile_config_parse (&c,
          " PERFORMANCE_HINT = THROUGHPUT , NUM_STREAMS=3,"
          "inference_num_threads=2,INFERENCE_PRECISION_HINT=f16,"
          "ENABLE_CPU_PINNING=NO,PERFORMANCE_HINT_NUM_REQUESTS=4,",
          &ignored, &err));
  g_assert_no_error (err);
  g_assert_null (ignored);
  g_assert_cmpint (c.hint, ==, OVI_HINT_THROUGHPUT);
  g_assert_cmpint (c.n_streams, ==, 3);
  g_assert_cmpint (c.n_threads, ==, 2);
  g_assert_cmpint (c.precision, ==, OVI_PRECISION_F16);
  g_assert_true (c.disable_pinning);
  g_assert_cmpint (c.hint_num_requests, ==, 4);

  /* Legacy names and symbolic values. */
  g_assert_true (ovi_compile_config_parse (&c,
          "CPU_THROUGHPUT_STREAMS=CPU_THROUGHPUT_AUTO,"
          "GPU_THROUGHPUT_STREAMS=5,CPU_THREADS_NUM=1,CPU_BIND_THREAD=NUMA,"
          "PERFORMANCE_HINT=CUMULATIVE_THROUGHPUT,NUM_STREAMS=AUTO,"
          "INFERENCE_PRECISION_HINT=FP32", NULL, &err));
  g_assert_no_error (err);
  g_assert_cmpint (c.type_streams[OVI_DEVICE_TYPE_CPU], ==, 0);
  g_assert_cmpint (c.type_streams[OVI_DEVICE_TYPE_GPU], ==, 5);
  g_assert_cmpint (c.n_threads, ==, 1);
  g_assert_false (c.disable_pinning);
  g_assert_cmpint (c.hint, ==, OVI_HINT_THROUGHPUT);
  g_assert_cmpint (c.n_streams, ==, 0);
  g_assert_cmpint (c.precision, ==, OVI_PRECISION_F32);
  g_assert_true (ovi_compile_config_set (&c, "PERFORMANCE_HINT", "latency",
          &err));
  g_assert_cmpint (c.hint, ==, OVI_HINT_LATENCY);
  g_assert_true (ovi_compile_config_set (&c, "CPU_THROUGHPUT_STREAMS",
          "CPU_THROUGHPUT_NUMA", &err));
  g_assert_true (ovi_compile_config_set (&c, "INFERENCE_PRECISION_HINT",
          "bf16", &err));
  g_assert_cmpint (c.precision, ==, OVI_PRECISION_BF16);

  /* Nothing to set; empty entries skipped. */
  g_assert_true (ovi_compile_config_parse (&c, NULL, &ignored, &err));
  g_assert_true (ovi_compile_config_parse (&c, "", &ignored, &err));
  g_assert_true (ovi_compile_config_parse (&c, " , ", &ignored, &err));
  g_assert_null (ignored);
  g_assert_true (ovi_compile_config_parse (&c, "NUM_STREAMS=2,,NUM_STREAMS=3",
          NULL, &err));
  g_assert_cmpint (c.n_streams, ==, 3);
}

static void
test_unknown_keys (void)
{
  OviCompileConfig c = { 0 };
  char **ignored = NULL;
  GError *err = NULL;

  g_assert_true (ovi_compile_config_parse (&c,
          "GPU_QUEUE_THROTTLE=1,NUM_STREAMS=2,CACHE_DIR=/tmp/x", &ignored,
          &err));
  g_assert_no_error (err);
  g_assert_nonnull (ignored);
  g_assert_cmpuint (g_strv_length (ignored), ==, 2);
  g_assert_cmpstr (ignored[0], ==, "GPU_QUEUE_THROTTLE");
  g_assert_cmpstr (ignored[1], ==, "CACHE_DIR");
  g_assert_cmpint (c.n_streams, ==, 2);
  g_strfreev (ignored);

  g_assert_false (ovi_compile_config_set (&c, "MODEL_PRIORITY", "HIGH",
          &err));
  g_assert_error (err, OVI_ERROR, OVI_ERROR_UNSUPPORTED);
  g_clear_error (&err);
}

static void
expect_bad (const char *text, const char *needle)
{
  OviCompileConfig c = { 0 };
  char **ignored = NULL;
  GError *err = NULL;

  c.n_streams = 7;
  g_assert_false (ovi_compile_config_parse (&c, text, &ignored, &err));
  g_assert_error (err, OVI_ERROR, OVI_ERROR_ARGUMENT);
  if (strstr (err->message, needle) == NULL)
    g_error ("'%s': expected '%s' in: %s", text, needle, err->message);
  g_assert_null (ignored);
  /* Nothing was set, not even the entries before the bad one. */
  g_assert_cmpint (c.n_streams, ==, 7);
  g_assert_cmpint (c.hint, ==, OVI_HINT_LATENCY);
  g_error_free (err);
}

static void
test_bad_values (void)
{
  expect_bad ("NUM_STREAMS=1,PERFORMANCE_HINT=FAST", "expected LATENCY");
  expect_bad ("NUM_STREAMS=-1", "expected a number of streams");
  expect_bad ("NUM_STREAMS=2x", "expected a number from 0");
  expect_bad ("NUM_STREAMS=99999", "expected a number from 0");
  expect_bad ("INFERENCE_NUM_THREADS=", "expected a number from 0");
  expect_bad ("INFERENCE_PRECISION_HINT=i8", "expected f32, f16 or bf16");
  expect_bad ("ENABLE_CPU_PINNING=maybe", "expected YES or NO");
  expect_bad ("CPU_BIND_THREAD=SOMETIMES", "expected YES or NO");
  expect_bad ("GPU_THROUGHPUT_STREAMS=CPU_THROUGHPUT_AUTO",
      "expected a number of streams");
  expect_bad ("NUM_STREAMS", "expected KEY=VALUE");
  expect_bad ("=3", "expected KEY=VALUE");
}

static int
streams_of (const char *text)
{
  char *path = g_build_filename (OVI_TEST_MODEL_DIR, "add-relu.onnx", NULL);
  OviCompileConfig c = { 0 };
  GError *err = NULL;
  OviModel *m = ovi_model_load (path, &err);
  OviCompiledModel *cm;
  int n;

  g_assert_no_error (err);
  g_assert_true (ovi_compile_config_parse (&c, text, NULL, &err));
  cm = ovi_compile (m, "CPU", &c, &err);
  g_assert_no_error (err);
  n = ovi_compiled_model_get_optimal_requests (cm);
  ovi_compiled_model_unref (cm);
  ovi_model_unref (m);
  g_free (path);
  return n;
}

static void
test_streams (void)
{
  int cores = ovi_affinity_cpu_count ();

  g_assert_cmpint (streams_of (""), ==, 1);
  g_assert_cmpint (streams_of ("PERFORMANCE_HINT=THROUGHPUT"), ==, cores);
  g_assert_cmpint (streams_of ("PERFORMANCE_HINT=THROUGHPUT,"
          "PERFORMANCE_HINT_NUM_REQUESTS=1"), ==, 1);
  g_assert_cmpint (streams_of ("NUM_STREAMS=3"), ==, 3);
  g_assert_cmpint (streams_of ("PERFORMANCE_HINT=LATENCY,NUM_STREAMS=3"), ==,
      3);
  /* The per-type count wins on its type only. */
  g_assert_cmpint (streams_of ("NUM_STREAMS=3,CPU_THROUGHPUT_STREAMS=2"), ==,
      2);
  g_assert_cmpint (streams_of ("NUM_STREAMS=3,GPU_THROUGHPUT_STREAMS=5"), ==,
      3);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/compile-config/keys", test_keys);
  g_test_add_func ("/compile-config/unknown-keys", test_unknown_keys);
  g_test_add_func ("/compile-config/bad-values", test_bad_values);
  g_test_add_func ("/compile-config/streams", test_streams);
  return g_test_run ();
}
