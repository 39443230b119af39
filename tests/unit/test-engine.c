/* Engine tests: loading, errors, planning, synchronous and asynchronous
 * inference on small generated models (tests/models/make-test-models.py). */
#include <math.h>
#include <string.h>

#include "model.h"
#include "ovi.h"
#include "plan.h"

static char *
model_path (const char *name)
{
  return g_build_filename (g_getenv ("OVI_TEST_MODELS"), name, NULL);
}

static OviModel *
load (const char *name)
{
  GError *error = NULL;
  char *path = model_path (name);
  OviModel *m = ovi_model_load (path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (m);
  g_free (path);
  return m;
}

static void
test_add_relu (void)
{
  OviModel *m = load ("add-relu.onnx");
  GError *error = NULL;
  OviCompiledModel *cm = ovi_compile (m, "CPU", NULL, &error);
  OviRequest *r;
  float x[48], *y;
  OviTensorView in = { OVI_DTYPE_FLOAT32, 4, { 1, 3, 4, 4 }, x }, out;
  const OviValue *b;

  g_assert_no_error (error);
  b = ovi_graph_value (m->graph, ovi_graph_find_value (m->graph, "b"));
  for (int i = 0; i < 48; i++)
    x[i] = (i % 7) - 3.0f;
  r = ovi_request_new (cm, &error);
  g_assert_true (ovi_request_set_input (r, "x", &in, &error));
  g_assert_true (ovi_request_infer (r, &error));
  g_assert_no_error (error);
  g_assert_true (ovi_request_get_output (r, 0, NULL, &out));
  g_assert_cmpint (out.rank, ==, 4);
  g_assert_cmpint (out.dims[1], ==, 3);
  y = out.data;
  for (int i = 0; i < 48; i++) {
    float bias = ((float *) b->constant->data)[i / 16];
    g_assert_cmpfloat_with_epsilon (y[i], fmaxf (0, x[i] + bias), 1e-6);
  }
  ovi_request_free (r);
  ovi_compiled_model_unref (cm);
  ovi_model_unref (m);
}

static void
test_missing_file (void)
{
  GError *error = NULL;
  OviModel *m = ovi_model_load ("/nonexistent/model.onnx", &error);
  g_assert_null (m);
  g_assert_error (error, OVI_ERROR, OVI_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "/nonexistent/model.onnx"));
  g_error_free (error);
}

static void
test_truncated (void)
{
  char *path = model_path ("add-relu.onnx");
  char *data;
  gsize len;
  g_assert_true (g_file_get_contents (path, &data, &len, NULL));
  /* Every prefix must fail cleanly (or parse, for prefixes that happen to
   * end on a field boundary), never crash. */
  for (gsize cut = 0; cut < len; cut++) {
    GError *error = NULL;
    OviModel *m = ovi_model_load_onnx_from_data ((guint8 *) data, cut, NULL,
        &error);
    if (m == NULL) {
      g_assert_nonnull (error);
      g_error_free (error);
    } else {
      ovi_model_unref (m);
    }
  }
  g_free (data);
  g_free (path);
}

static void
test_unsupported_op (void)
{
  OviModel *m = load ("unsupported.onnx");
  GError *error = NULL;
  OviCompiledModel *cm = ovi_compile (m, "CPU", NULL, &error);
  g_assert_null (cm);
  g_assert_error (error, OVI_ERROR, OVI_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "frob1"));
  g_assert_nonnull (strstr (error->message, "FrobnicateTensor"));
  g_assert_nonnull (strstr (error->message, "unsupported.onnx"));
  g_error_free (error);
  ovi_model_unref (m);
}

static void
test_unknown_device (void)
{
  OviModel *m = load ("add-relu.onnx");
  GError *error = NULL;
  g_assert_null (ovi_compile (m, "TPU", NULL, &error));
  g_assert_error (error, OVI_ERROR, OVI_ERROR_DEVICE);
  g_error_free (error);
  ovi_model_unref (m);
}

static void
test_external_data (void)
{
  OviModel *m = load ("external.onnx");
  GError *error = NULL;
  OviCompiledModel *cm = ovi_compile (m, "CPU", NULL, &error);
  OviRequest *r = ovi_request_new (cm, &error);
  float x[4] = { 1, 1, 2, 2 };
  OviTensorView in = { OVI_DTYPE_FLOAT32, 1, { 4 }, x }, out;
  g_assert_true (ovi_request_set_input_by_index (r, 0, &in, &error));
  g_assert_true (ovi_request_infer (r, &error));
  ovi_request_get_output (r, 0, NULL, &out);
  g_assert_cmpfloat (((float *) out.data)[3], ==, 8.0f);
  ovi_request_free (r);
  ovi_compiled_model_unref (cm);
  ovi_model_unref (m);
}

static void
run_dynamic (OviRequest *r, int batch)
{
  GError *error = NULL;
  float *x = g_new (float, batch * 8);
  OviTensorView in = { OVI_DTYPE_FLOAT32, 2, { batch, 8 }, x }, out;
  for (int i = 0; i < batch * 8; i++)
    x[i] = i * 0.01f;
  g_assert_true (ovi_request_set_input (r, "x", &in, &error));
  g_assert_true (ovi_request_infer (r, &error));
  g_assert_no_error (error);
  ovi_request_get_output (r, 0, NULL, &out);
  g_assert_cmpint (out.dims[0], ==, batch);
  g_assert_cmpint (out.dims[1], ==, 8);
  g_free (x);
}

static void
test_dynamic_replan (void)
{
  OviModel *m = load ("dynamic.onnx");
  GError *error = NULL;
  OviCompiledModel *cm = ovi_compile (m, "CPU", NULL, &error);
  OviRequest *r = ovi_request_new (cm, &error);
  OviTensorView info;
  float bad[8] = { 0 };
  OviTensorView wrong = { OVI_DTYPE_FLOAT32, 2, { 1, 7 }, bad };

  ovi_model_get_input (m, 0, NULL, &info);
  g_assert_cmpint (info.dims[0], ==, -1);
  run_dynamic (r, 1);
  run_dynamic (r, 5);
  run_dynamic (r, 2);
  run_dynamic (r, 5);
  g_assert_false (ovi_request_set_input (r, "x", &wrong, &error));
  g_assert_error (error, OVI_ERROR, OVI_ERROR_ARGUMENT);
  g_clear_error (&error);
  ovi_request_free (r);
  ovi_compiled_model_unref (cm);
  ovi_model_unref (m);
}

/* Liveness: twelve 64 KiB intermediates fit in far fewer buffers. */
static void
test_arena_reuse (void)
{
  OviModel *m = load ("chain.onnx");
  GError *error = NULL;
  OviTensorView in = { OVI_DTYPE_FLOAT32, 4, { 1, 16, 32, 32 }, NULL };
  OviPlan *plan = ovi_plan_new (m->graph, &in, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (plan->arena_size, <=, 3 * 16 * 32 * 32 * 4);
  ovi_plan_unref (plan);
  ovi_model_unref (m);
}

typedef struct {
  GMutex lock;
  int done;
} AsyncState;

static void
on_done (OviRequest *r, const GError *error, gpointer data)
{
  AsyncState *s = data;
  g_assert_no_error ((GError *) error);
  g_mutex_lock (&s->lock);
  s->done++;
  g_mutex_unlock (&s->lock);
}

static void
test_async (void)
{
  OviModel *m = load ("chain.onnx");
  GError *error = NULL;
  OviCompileConfig cfg = { .hint = OVI_HINT_THROUGHPUT };
  OviCompiledModel *cm = ovi_compile (m, "CPU", &cfg, &error);
  enum { N = 4 };
  OviRequest *r[N];
  float *x[N];
  AsyncState state = { 0 };
  OviRequest *ref = ovi_request_new (cm, &error);

  g_mutex_init (&state.lock);
  for (int i = 0; i < N; i++) {
    OviTensorView in = { OVI_DTYPE_FLOAT32, 4, { 1, 16, 32, 32 }, NULL };
    x[i] = g_new (float, 16 * 32 * 32);
    for (int k = 0; k < 16 * 32 * 32; k++)
      x[i][k] = sinf (k * 0.01f + i);
    in.data = x[i];
    r[i] = ovi_request_new (cm, &error);
    g_assert_true (ovi_request_set_input (r[i], "x", &in, &error));
  }
  for (int i = 0; i < N; i++)
    g_assert_true (ovi_request_infer_async (r[i], on_done, &state, &error));
  for (int i = 0; i < N; i++) {
    g_assert_true (ovi_request_wait (r[i], &error));
    g_assert_true (ovi_request_infer_async (r[i], on_done, &state, &error));
  }
  for (int i = 0; i < N; i++) {
    OviTensorView in = { OVI_DTYPE_FLOAT32, 4, { 1, 16, 32, 32 }, x[i] };
    OviTensorView a, b;
    g_assert_true (ovi_request_wait (r[i], &error));
    g_assert_true (ovi_request_set_input (ref, "x", &in, &error));
    g_assert_true (ovi_request_infer (ref, &error));
    ovi_request_get_output (r[i], 0, NULL, &a);
    ovi_request_get_output (ref, 0, NULL, &b);
    g_assert_cmpmem (a.data, 16 * 32 * 32 * 4, b.data, 16 * 32 * 32 * 4);
  }
  g_assert_cmpint (state.done, ==, 2 * N);
  for (int i = 0; i < N; i++) {
    ovi_request_free (r[i]);
    g_free (x[i]);
  }
  ovi_request_free (ref);
  g_mutex_clear (&state.lock);
  ovi_compiled_model_unref (cm);
  ovi_model_unref (m);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/add-relu", test_add_relu);
  g_test_add_func ("/engine/missing-file", test_missing_file);
  g_test_add_func ("/engine/truncated", test_truncated);
  g_test_add_func ("/engine/unsupported-op", test_unsupported_op);
  g_test_add_func ("/engine/unknown-device", test_unknown_device);
  g_test_add_func ("/engine/external-data", test_external_data);
  g_test_add_func ("/engine/dynamic-replan", test_dynamic_replan);
  g_test_add_func ("/engine/arena-reuse", test_arena_reuse);
  g_test_add_func ("/engine/async", test_async);
  return g_test_run ();
}
