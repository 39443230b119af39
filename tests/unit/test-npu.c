/* The NPU device without NPU hardware (docs/devices.md says what this
 * leaves untested):
 *  - no Level Zero driver: nothing listed, compiling on "NPU" fails with
 *    OVI_ERROR_DEVICE naming what is there, the CPU keeps working;
 *  - the NPU's IR serializer: each planned (fused) graph written as IR
 *    v11, read back with our IR loader, gives the CPU the same outputs;
 *  - the NGRAPH_LITE blob, read back field by field by a reader here;
 *  - the build flags string.
 * Models: OVI_TEST_MODEL_DIR (compiled in), ONNX conformance graphs from
 * OVI_TEST_CONFORMANCE_DIR when installed. */
#include <math.h>
#include <string.h>

#include <ze_api.h>

#include "ir/ir.h"
#include "model.h"
#include "npu/npu-private.h"

/* ------------------------------------------------------------------ */
/* Absent driver                                                       */

static GPtrArray *log_messages;

static void
collect_log (OviLogLevel level, const char *message, gpointer user_data)
{
  g_ptr_array_add (log_messages, g_strdup (message));
}

static char *
model_path (const char *name)
{
  return g_build_filename (OVI_TEST_MODEL_DIR, name, NULL);
}

static OviModel *
load (const char *path)
{
  GError *error = NULL;
  OviModel *m = ovi_model_load (path, &error);
  g_assert_no_error (error);
  return m;
}

static void
test_absent_driver (void)
{
  int n = 0;
  const OviDeviceInfo *devs;
  GError *error = NULL;
  char *path = model_path ("add-relu.onnx");
  OviModel *m = load (path);
  OviCompiledModel *cm;
  gboolean logged = FALSE;
  const char *names[] = { "NPU", "npu", "NPU.0", "NPU.1" };

  /* A machine with a Level Zero driver is not what this test is about. */
  if (zeInit (0) == ZE_RESULT_SUCCESS) {
    g_test_skip ("a Level Zero driver is installed here");
    g_free (path);
    ovi_model_unref (m);
    return;
  }
  devs = ovi_get_devices (&n);
  g_assert_cmpint (n, >=, 1);
  g_assert_cmpstr (devs[0].name, ==, "CPU");
  for (int i = 0; i < n; i++)
    g_assert_cmpint (devs[i].type, !=, OVI_DEVICE_TYPE_NPU);
  /* The probe said why, once, as information (not a warning). */
  for (guint i = 0; i < log_messages->len; i++) {
    const char *msg = g_ptr_array_index (log_messages, i);
    if (strstr (msg, "NPU") && strstr (msg, "zeInit"))
      logged = TRUE;
  }
  g_assert_true (logged);

  for (guint i = 0; i < G_N_ELEMENTS (names); i++) {
    cm = ovi_compile (m, names[i], NULL, &error);
    g_assert_null (cm);
    g_assert_error (error, OVI_ERROR, OVI_ERROR_DEVICE);
    g_assert_nonnull (strstr (error->message, names[i]));
    g_assert_nonnull (strstr (error->message, "available: CPU"));
    g_clear_error (&error);
  }

  /* Everything else keeps working. */
  cm = ovi_compile (m, "CPU", NULL, &error);
  g_assert_no_error (error);
  {
    float x[48];
    OviTensorView in = { OVI_DTYPE_FLOAT32, 4, { 1, 3, 4, 4 }, x }, out;
    OviRequest *r = ovi_request_new (cm, &error);
    for (int i = 0; i < 48; i++)
      x[i] = i - 24.0f;
    g_assert_true (ovi_request_set_input (r, "x", &in, &error));
    g_assert_true (ovi_request_infer (r, &error));
    g_assert_no_error (error);
    g_assert_true (ovi_request_get_output (r, 0, NULL, &out));
    for (int i = 0; i < 48; i++)
      g_assert_cmpfloat (((float *) out.data)[i], >=, 0);
    ovi_request_free (r);
  }
  ovi_compiled_model_unref (cm);
  ovi_model_unref (m);
  g_free (path);
}

/* ------------------------------------------------------------------ */
/* Serializer round trip                                               */

static OviTensorView *
input_views (const OviModel *m)
{
  int n = ovi_model_get_n_inputs (m);
  OviTensorView *v = g_new0 (OviTensorView, MAX (n, 1));
  guint32 seed = 12345;
  for (int i = 0; i < n; i++) {
    int64_t numel;
    g_assert_true (ovi_model_get_input (m, i, NULL, &v[i]));
    numel = ovi_shape_numel (v[i].rank, v[i].dims);
    g_assert_cmpint (numel, >=, 0);
    v[i].data = g_malloc0 (MAX (numel, 1) * ovi_dtype_size (v[i].dtype));
    for (int64_t k = 0; k < numel; k++) {
      seed = seed * 1664525u + 1013904223u;
      if (v[i].dtype == OVI_DTYPE_FLOAT32)
        ((float *) v[i].data)[k] = (seed >> 8) / 16777216.0f * 4 - 2;
      else if (v[i].dtype == OVI_DTYPE_INT64)
        ((int64_t *) v[i].data)[k] = (seed >> 8) % 3;
      else if (v[i].dtype == OVI_DTYPE_INT32)
        ((int32_t *) v[i].data)[k] = (seed >> 8) % 3;
    }
  }
  return v;
}

static void
free_views (OviTensorView *v, int n)
{
  for (int i = 0; i < n; i++)
    g_free (v[i].data);
  g_free (v);
}

/* Runs m on the CPU; returns its request (outputs live there). */
static OviRequest *
run_cpu (OviModel *m, OviCompiledModel **cm, const OviTensorView *in)
{
  GError *error = NULL;
  OviRequest *r;
  *cm = ovi_compile (m, "CPU", NULL, &error);
  g_assert_no_error (error);
  r = ovi_request_new (*cm, &error);
  g_assert_no_error (error);
  for (int i = 0; i < ovi_model_get_n_inputs (m); i++)
    g_assert_true (ovi_request_set_input_by_index (r, i, &in[i], &error));
  g_assert_true (ovi_request_infer (r, &error));
  g_assert_no_error (error);
  return r;
}

static int
count_fused (const OviGraph *g)
{
  int fused = 0;
  for (guint i = 0; i < g->nodes->len; i++) {
    const OviNode *n = ovi_graph_node (g, i);
    fused += ovi_node_attr (n, "ovi.activation") != NULL
        || ovi_node_attr_int (n, "ovi.sum", 0) != 0;
  }
  return fused;
}

/* Serializes the plan of `path` the NPU's way, loads the IR back, runs
 * both on the CPU and compares every output. Returns the number of fused
 * Conv nodes the plan had. */
static int
round_trip (const char *path)
{
  GError *error = NULL;
  OviModel *m = load (path), *m2;
  OviTensorView *in = input_views (m);
  OviPlan *plan;
  GString *xml = NULL;
  GByteArray *bin = NULL;
  OviGraph *g2;
  OviCompiledModel *cm1, *cm2;
  OviRequest *r1, *r2;
  int fused;

  plan = ovi_plan_new (m->graph, in, 0, &error);
  g_assert_no_error (error);
  fused = count_fused (plan->graph);
  ovi_npu_serialize_plan (plan, &xml, &bin, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (xml->str, "version=\"11\""));
  /* No engine-private attribute may reach the IR. */
  g_assert_null (strstr (xml->str, "ovi."));
  g2 = ovi_ir_parse (xml->str, xml->len, bin->data, bin->len, "npu.xml",
      &error);
  g_assert_no_error (error);
  m2 = ovi_model_new_from_graph (g2);
  g_assert_cmpint (ovi_model_get_n_inputs (m2), ==,
      ovi_model_get_n_inputs (m));
  g_assert_cmpint (ovi_model_get_n_outputs (m2), ==,
      ovi_model_get_n_outputs (m));

  r1 = run_cpu (m, &cm1, in);
  r2 = run_cpu (m2, &cm2, in);
  g_assert_cmpint (ovi_request_get_n_outputs (r1), ==,
      ovi_request_get_n_outputs (r2));
  for (int o = 0; o < ovi_request_get_n_outputs (r1); o++) {
    OviTensorView a, b;
    const char *na, *nb;
    int64_t numel;
    g_assert_true (ovi_request_get_output (r1, o, &na, &a));
    g_assert_true (ovi_request_get_output (r2, o, &nb, &b));
    g_assert_cmpstr (na, ==, nb);
    g_assert_cmpint (a.dtype, ==, b.dtype);
    g_assert_cmpint (a.rank, ==, b.rank);
    for (int d = 0; d < a.rank; d++)
      g_assert_cmpint (a.dims[d], ==, b.dims[d]);
    numel = ovi_shape_numel (a.rank, a.dims);
    if (a.dtype == OVI_DTYPE_FLOAT32) {
      /* Fused and separate layers may round differently, nothing more. */
      for (int64_t k = 0; k < numel; k++) {
        float x = ((float *) a.data)[k], y = ((float *) b.data)[k];
        if (isnan (x) || isnan (y))
          g_assert_cmpint (isnan (x), ==, isnan (y));
        else if (fabsf (x - y) > 1e-5f * (1 + fabsf (x)))
          g_error ("%s: output %s[%" G_GINT64_FORMAT "]: fused plan %.9g, "
              "IR %.9g", path, na, k, x, y);
      }
    } else {
      g_assert_cmpmem (a.data, numel * ovi_dtype_size (a.dtype), b.data,
          numel * ovi_dtype_size (b.dtype));
    }
  }
  ovi_request_free (r1);
  ovi_request_free (r2);
  ovi_compiled_model_unref (cm1);
  ovi_compiled_model_unref (cm2);
  ovi_model_unref (m2);
  g_string_free (xml, TRUE);
  g_byte_array_free (bin, TRUE);
  ovi_plan_unref (plan);
  free_views (in, ovi_model_get_n_inputs (m));
  ovi_model_unref (m);
  return fused;
}

static void
test_round_trip_model (gconstpointer data)
{
  char *path = model_path (data);
  int fused = round_trip (path);
  /* The post-op models exist to exercise the fused Conv's export. */
  if (g_str_has_prefix (data, "postop-"))
    g_assert_cmpint (fused, ==, 1);
  g_free (path);
}

static void
test_round_trip_conformance (gconstpointer data)
{
  char *path = g_build_filename (OVI_TEST_CONFORMANCE_DIR, "node", data,
      "model.onnx", NULL);
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    g_test_skip ("ONNX conformance data not installed");
  else
    round_trip (path);
  g_free (path);
}

/* A shape computed from an input: the NPU compiles static graphs only
 * and must say so, not fail obscurely. */
static void
test_dynamic_refused (void)
{
  char *path = g_build_filename (OVI_TEST_CONFORMANCE_DIR, "node",
      "test_reshape_reordered_all_dims", "model.onnx", NULL);
  GError *error = NULL;
  OviModel *m;
  OviTensorView *in;
  OviPlan *plan;
  GString *xml = NULL;
  GByteArray *bin = NULL;

  if (!g_file_test (path, G_FILE_TEST_EXISTS)) {
    g_test_skip ("ONNX conformance data not installed");
    g_free (path);
    return;
  }
  m = load (path);
  in = input_views (m);
  /* Its shape input holds zeros here; any static values do. */
  ((int64_t *) in[1].data)[0] = 4;
  ((int64_t *) in[1].data)[1] = 2;
  ((int64_t *) in[1].data)[2] = 3;
  plan = ovi_plan_new (m->graph, in, 0, &error);
  g_assert_no_error (error);
  g_assert_false (ovi_npu_serialize_plan (plan, &xml, &bin, &error));
  g_assert_error (error, OVI_ERROR, OVI_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "static"));
  g_assert_null (xml);
  g_clear_error (&error);
  ovi_plan_unref (plan);
  free_views (in, ovi_model_get_n_inputs (m));
  ovi_model_unref (m);
  g_free (path);
}

/* ------------------------------------------------------------------ */
/* NGRAPH_LITE blob                                                    */

/* The reader the driver's side would be: offsets and widths spelled out
 * independently of npu-blob.c. */
static guint64
get_le (const guint8 *p, int bytes)
{
  guint64 v = 0;
  for (int i = bytes - 1; i >= 0; i--)
    v = (v << 8) | p[i];
  return v;
}

static void
check_blob (guint16 major, guint16 minor, const GString *xml,
    const GByteArray *bin)
{
  GBytes *blob = ovi_npu_blob_pack (major, minor, xml->str, xml->len,
      bin->data, bin->len);
  gsize size;
  const guint8 *p = g_bytes_get_data (blob, &size);
  guint64 xml_size, bin_size;

  g_assert_cmpuint (size, ==, 2 + 2 + 4 + 8 + xml->len + 8 + bin->len);
  g_assert_cmpuint (get_le (p + 0, 2), ==, major);
  g_assert_cmpuint (get_le (p + 2, 2), ==, minor);
  g_assert_cmpuint (get_le (p + 4, 4), ==, 2);
  xml_size = get_le (p + 8, 8);
  g_assert_cmpuint (xml_size, ==, xml->len);
  g_assert_cmpmem (p + 16, xml_size, xml->str, xml->len);
  bin_size = get_le (p + 16 + xml_size, 8);
  g_assert_cmpuint (bin_size, ==, bin->len);
  g_assert_cmpmem (p + 24 + xml_size, bin_size, bin->data, bin->len);
  g_bytes_unref (blob);
}

static void
test_blob_layout (void)
{
  GError *error = NULL;
  char *path = model_path ("resnet.onnx");
  OviModel *m = load (path);
  OviTensorView *in = input_views (m);
  OviPlan *plan = ovi_plan_new (m->graph, in, 0, &error);
  GString *xml = NULL, *empty_xml = g_string_new ("<net/>");
  GByteArray *bin = NULL, *no_bin = g_byte_array_new ();

  g_assert_no_error (error);
  g_assert_true (ovi_npu_serialize_plan (plan, &xml, &bin, &error));
  g_assert_cmpuint (bin->len, >, 0);
  /* Versions in both bytes of each field, to catch a swapped order. */
  check_blob (0x0105, 0x0209, xml, bin);
  check_blob (5, 9, xml, bin);
  check_blob (0, 0, empty_xml, no_bin);
  g_string_free (xml, TRUE);
  g_string_free (empty_xml, TRUE);
  g_byte_array_free (bin, TRUE);
  g_byte_array_free (no_bin, TRUE);
  ovi_plan_unref (plan);
  free_views (in, 1);
  ovi_model_unref (m);
  g_free (path);
}

static void
test_build_flags (void)
{
  char *path = model_path ("block.onnx");
  OviModel *m = load (path);
  char *flags = ovi_npu_build_flags (m->graph, TRUE, "LATENCY");
  g_assert_cmpstr (flags, ==, "--inputs_precisions=\"0:FP32\" "
      "--inputs_layouts=\"0:CHW\" "
      "--outputs_precisions=\"0:FP32 1:I64 2:FP32\" "
      "--outputs_layouts=\"0:NC 1:NC 2:NCHW\" "
      "--config PERFORMANCE_HINT=\"LATENCY\"");
  g_free (flags);
  flags = ovi_npu_build_flags (m->graph, FALSE, NULL);
  g_assert_cmpstr (flags, ==, "--inputs_precisions=\"x:FP32\" "
      "--inputs_layouts=\"x:CHW\" "
      "--outputs_precisions=\"topv:FP32 topi:I64 up:FP32\" "
      "--outputs_layouts=\"topv:NC topi:NC up:NCHW\"");
  g_free (flags);
  ovi_model_unref (m);
  g_free (path);
}

int
main (int argc, char **argv)
{
  static const char *const models[] = {
    "add-relu.onnx", "chain.onnx", "resnet.onnx", "cnn.onnx",
  };
  static const char *const activations[] = {
    "relu", "clip", "clip-max", "leakyrelu", "elu", "hardsigmoid",
    "hardswish", "sigmoid", "tanh", "gelu", "gelu-tanh", "silu", "hardgate",
  };
  static const char *const conformance[] = {
    "test_conv_with_strides_padding", "test_maxpool_2d_pads",
    "test_averagepool_2d_pads", "test_gemm_default_matrix_bias",
    "test_softmax_axis_1", "test_concat_2d_axis_0", "test_add_bcast",
    "test_transpose_all_permutations_0", "test_flatten_axis1",
    "test_matmul_3d", "test_reduce_mean_keepdims_example",
    "test_globalaveragepool", "test_batchnorm_example",
  };

  log_messages = g_ptr_array_new_with_free_func (g_free);
  ovi_set_log_callback (collect_log, NULL);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/npu/absent-driver", test_absent_driver);
  for (guint i = 0; i < G_N_ELEMENTS (models); i++) {
    char *name = g_strdup_printf ("/npu/ir-round-trip/%s", models[i]);
    g_test_add_data_func (name, models[i], test_round_trip_model);
    g_free (name);
  }
  for (int sum = 0; sum < 2; sum++)
    for (guint i = 0; i < G_N_ELEMENTS (activations); i++) {
      char *file = g_strdup_printf ("postop-%s%s.onnx", sum ? "sum-" : "",
          activations[i]);
      char *name = g_strdup_printf ("/npu/ir-round-trip/%s", file);
      /* Kept for the process: the test data outlives main's loop. */
      g_test_add_data_func_full (name, file, test_round_trip_model, g_free);
      g_free (name);
    }
  for (guint i = 0; i < G_N_ELEMENTS (conformance); i++) {
    char *name = g_strdup_printf ("/npu/ir-round-trip/conformance/%s",
        conformance[i]);
    g_test_add_data_func (name, conformance[i], test_round_trip_conformance);
    g_free (name);
  }
  g_test_add_func ("/npu/dynamic-refused", test_dynamic_refused);
  g_test_add_func ("/npu/blob-layout", test_blob_layout);
  g_test_add_func ("/npu/build-flags", test_build_flags);
  {
    int rc = g_test_run ();
    g_ptr_array_free (log_messages, TRUE);
    return rc;
  }
}
