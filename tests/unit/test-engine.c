/* Engine tests: loading, errors, planning, synchronous and asynchronous
 * inference on small generated models (tests/models/make-test-models.py). */
#include <math.h>
#include <string.h>

#include "ir/ir.h"
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

/* ONNX metadata_props and an IR's <rt_info>, by key and path. */
static void
test_metadata (void)
{
  static const char xml[] =
      "<?xml version=\"1.0\"?>\n<net name=\"m\" version=\"11\">"
      "<layers>"
      "<layer id=\"0\" name=\"x\" type=\"Parameter\" version=\"opset1\">"
      "<data shape=\"1,3\" element_type=\"f32\"/>"
      "<output><port id=\"0\" precision=\"FP32\"><dim>1</dim><dim>3</dim>"
      "</port></output></layer>"
      "<layer id=\"1\" name=\"y\" type=\"Result\" version=\"opset1\">"
      "<input><port id=\"0\"><dim>1</dim><dim>3</dim></port></input>"
      "<rt_info><attribute name=\"fused_names\" value=\"layer-level\"/>"
      "</rt_info></layer></layers>"
      "<edges><edge from-layer=\"0\" from-port=\"0\" to-layer=\"1\" "
      "to-port=\"0\"/></edges>"
      "<rt_info><Runtime_version value=\"2024.4\"/>"
      "<model_info><labels value=\"person bicycle\"/>"
      "<resize_type value=\"fit_to_window_letterbox\"/>"
      "<nested><deeper value=\"3\"/></nested></model_info>"
      "<empty/></rt_info></net>";
  OviModel *m = load ("add-relu.onnx");
  GError *error = NULL;
  OviGraph *g;
  OviCompiledModel *cm;

  g_assert_cmpstr (ovi_model_get_metadata (m, "author"), ==, "ovi tests");
  g_assert_cmpstr (ovi_model_get_metadata (m, "names"), ==,
      "{0: 'a', 1: 'b c'}");
  g_assert_null (ovi_model_get_metadata (m, "model_info/labels"));
  /* The compiled model's copy of the model keeps it. */
  cm = ovi_compile (m, "CPU", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ovi_model_get_metadata (ovi_compiled_model_get_model (cm),
          "author"), ==, "ovi tests");
  ovi_compiled_model_unref (cm);
  ovi_model_unref (m);

  g = ovi_ir_parse (xml, sizeof xml - 1, NULL, 0, "meta.xml", &error);
  g_assert_no_error (error);
  m = ovi_model_new_from_graph (g);
  g_assert_cmpstr (ovi_model_get_metadata (m, "Runtime_version"), ==,
      "2024.4");
  g_assert_cmpstr (ovi_model_get_metadata (m, "model_info/labels"), ==,
      "person bicycle");
  g_assert_cmpstr (ovi_model_get_metadata (m, "model_info/resize_type"), ==,
      "fit_to_window_letterbox");
  g_assert_cmpstr (ovi_model_get_metadata (m, "model_info/nested/deeper"), ==,
      "3");
  g_assert_null (ovi_model_get_metadata (m, "empty"));
  g_assert_null (ovi_model_get_metadata (m, "model_info"));
  /* A layer's own rt_info is not the model's. */
  g_assert_null (ovi_model_get_metadata (m, "attribute"));
  ovi_model_unref (m);

  /* Paths longer than 1 KiB are skipped, the rest of the file kept. */
  {
    char *name = g_strnfill (1100, 'n');
    const char *tail = strstr (xml, "<rt_info><Runtime_version");
    char *big = g_strdup_printf ("%.*s<rt_info><%s value=\"x\"/>"
        "<short value=\"y\"/></rt_info></net>", (int) (tail - xml), xml,
        name);
    g = ovi_ir_parse (big, strlen (big), NULL, 0, "long.xml", &error);
    g_assert_no_error (error);
    m = ovi_model_new_from_graph (g);
    g_assert_null (ovi_model_get_metadata (m, name));
    g_assert_cmpstr (ovi_model_get_metadata (m, "short"), ==, "y");
    ovi_model_unref (m);
    g_free (big);
    g_free (name);
  }
}

/* Reshaping an input: outputs follow once compiled; bad shapes are
 * refused; a network that cannot follow fails to compile. */
static void
test_reshape_input (void)
{
  OviModel *m = load ("add-relu.onnx");
  GError *error = NULL;
  OviCompiledModel *cm;
  OviRequest *r;
  OviTensorView info, out;
  const int64_t wide[4] = { 1, 3, 8, 6 }, bad[4] = { 1, 3, 0, 6 };
  float x[1 * 3 * 8 * 6];

  g_assert_false (ovi_model_reshape_input (m, 1, 4, wide, &error));
  g_assert_error (error, OVI_ERROR, OVI_ERROR_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (ovi_model_reshape_input (m, 0, 3, wide, &error));
  g_assert_nonnull (strstr (error->message, "has rank 4, not 3"));
  g_clear_error (&error);
  g_assert_false (ovi_model_reshape_input (m, 0, 4, bad, &error));
  g_assert_nonnull (strstr (error->message, "must be positive"));
  g_clear_error (&error);

  g_assert_true (ovi_model_reshape_input (m, 0, 4, wide, &error));
  g_assert_true (ovi_model_get_output (m, 0, NULL, &info));
  g_assert_cmpint (info.dims[2], ==, -1);
  cm = ovi_compile (m, "CPU", NULL, &error);
  g_assert_no_error (error);
  g_assert_true (ovi_model_get_input (ovi_compiled_model_get_model (cm), 0,
          NULL, &info));
  g_assert_cmpint (info.dims[2], ==, 8);
  g_assert_cmpint (info.dims[3], ==, 6);
  g_assert_true (ovi_model_get_output (ovi_compiled_model_get_model (cm), 0,
          NULL, &info));
  g_assert_cmpint (info.rank, ==, 4);
  g_assert_cmpint (info.dims[2], ==, 8);
  g_assert_cmpint (info.dims[3], ==, 6);
  for (guint i = 0; i < G_N_ELEMENTS (x); i++)
    x[i] = 1.0f;
  r = ovi_request_new (cm, &error);
  info = (OviTensorView) { OVI_DTYPE_FLOAT32, 4, { 1, 3, 8, 6 }, x };
  g_assert_true (ovi_request_set_input (r, "x", &info, &error));
  g_assert_true (ovi_request_infer (r, &error));
  g_assert_true (ovi_request_get_output (r, 0, NULL, &out));
  g_assert_cmpint (out.dims[3], ==, 6);
  ovi_request_free (r);
  /* The compiled model's copy cannot be reshaped. */
  g_assert_false (ovi_model_reshape_input (ovi_compiled_model_get_model (cm),
          0, 4, wide, &error));
  g_assert_nonnull (strstr (error->message, "cannot be reshaped"));
  g_clear_error (&error);
  ovi_compiled_model_unref (cm);
  ovi_model_unref (m);

  /* A transformer block's MatMul weights fix its last axis. */
  m = load ("block.onnx");
  g_assert_true (ovi_model_get_input (m, 0, NULL, &info));
  for (int d = 0; d < info.rank; d++)
    if (info.dims[d] < 0)
      info.dims[d] = 2;
  info.dims[info.rank - 1] += 1;
  g_assert_true (ovi_model_reshape_input (m, 0, info.rank, info.dims,
          &error));
  g_assert_null (ovi_compile (m, "CPU", NULL, &error));
  g_assert_nonnull (error);
  g_test_message ("block.onnx reshaped: %s", error->message);
  g_clear_error (&error);
  ovi_model_unref (m);
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

/* The arena's placement: no two blocks alive at once overlap, and a
 * chain like ssd_mobilenetv1's first layers (8, 8, 4 then 8 MiB, each
 * alive for two steps) takes 16 units, the most alive at once, not the
 * 20 that placing by size alone gives. */
static void
test_arena_place (void)
{
  OviArenaBlock chain[4] = {
    { .size = 8, .start = 0, .end = 1 }, { .size = 8, .start = 1, .end = 2 },
    { .size = 4, .start = 2, .end = 3 }, { .size = 8, .start = 3, .end = 4 },
  };
  OviArenaBlock many[40];
  GRand *rand = g_rand_new_with_seed (3);
  gsize total, most = 0;

  g_assert_cmpuint (ovi_arena_place (chain, 4), ==, 16);
  for (int i = 0; i < 40; i++) {
    many[i].size = g_rand_int_range (rand, 1, 100);
    many[i].start = g_rand_int_range (rand, 0, 30);
    many[i].end = many[i].start + g_rand_int_range (rand, 0, 6);
  }
  total = ovi_arena_place (many, 40);
  for (int s = 0; s < 36; s++) {
    gsize alive = 0;
    for (int i = 0; i < 40; i++)
      alive += many[i].start <= s && s <= many[i].end ? many[i].size : 0;
    most = MAX (most, alive);
  }
  g_assert_cmpuint (total, >=, most);
  for (int i = 0; i < 40; i++) {
    g_assert_cmpuint (many[i].offset + many[i].size, <=, total);
    for (int j = 0; j < i; j++) {
      gboolean together = many[i].start <= many[j].end
          && many[j].start <= many[i].end;
      gboolean apart = many[i].offset + many[i].size <= many[j].offset
          || many[j].offset + many[j].size <= many[i].offset;
      g_assert_true (!together || apart);
    }
  }
  g_rand_free (rand);
}

/* Liveness: twelve 64 KiB intermediates fit in far fewer buffers. */
static void
test_arena_reuse (void)
{
  OviModel *m = load ("chain.onnx");
  GError *error = NULL;
  OviTensorView in = { OVI_DTYPE_FLOAT32, 4, { 1, 16, 32, 32 }, NULL };
  OviPlan *plan = ovi_plan_new (m->graph, &in, 0, &error);
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

/* Strings and sequences own what they hold: copies are deep, re-shaping
 * and clearing free the old strings or elements (LeakSanitizer checks). */
static void
test_string_ownership (void)
{
  int64_t three = 3, two = 2, four = 4;
  OviTensor *t = ovi_tensor_new (OVI_DTYPE_STRING, 1, &three), *c, *s, *sc;
  OviSequence *seq, *seq_copy;
  const OviTensor *item;

  g_assert_nonnull (t);
  g_assert_cmpuint (ovi_dtype_size (OVI_DTYPE_STRING), ==, 0);
  g_assert_cmpuint (ovi_dtype_size (OVI_DTYPE_SEQUENCE), ==, 0);
  ovi_tensor_take_string (t, 0, g_strdup ("alpha"));
  ovi_tensor_take_string (t, 1, g_strdup ("beta"));
  g_assert_cmpstr (ovi_tensor_string (t, 2), ==, "");
  c = ovi_tensor_copy (t);
  g_assert_true (c->data != t->data);
  g_assert_true (((char **) c->data)[0] != ((char **) t->data)[0]);
  g_assert_cmpstr (ovi_tensor_string (c, 1), ==, "beta");
  /* Re-shaping frees the old strings and leaves empty slots. */
  g_assert_true (ovi_tensor_ensure (t, OVI_DTYPE_STRING, 1, &two));
  g_assert_cmpstr (ovi_tensor_string (t, 0), ==, "");
  ovi_tensor_take_string (t, 1, g_strdup ("gamma"));
  g_assert_true (ovi_tensor_ensure (t, OVI_DTYPE_FLOAT32, 1, &four));
  g_assert_cmpfloat (((float *) t->data)[3], ==, 0.0f);
  g_assert_true (ovi_tensor_ensure (t, OVI_DTYPE_STRING, 1, &four));
  g_assert_cmpstr (ovi_tensor_string (t, 3), ==, "");
  ovi_tensor_take_string (t, 3, g_strdup ("delta"));

  s = ovi_tensor_new (OVI_DTYPE_SEQUENCE, 0, NULL);
  seq = ovi_tensor_sequence (s);
  g_assert_nonnull (seq);
  seq->elem_dtype = OVI_DTYPE_STRING;
  g_ptr_array_add (seq->items, ovi_tensor_copy (c));
  g_ptr_array_add (seq->items, ovi_tensor_copy (t));
  sc = ovi_tensor_copy (s);
  seq_copy = ovi_tensor_sequence (sc);
  g_assert_true (seq_copy != seq);
  g_assert_cmpuint (seq_copy->items->len, ==, 2);
  g_assert_cmpint (seq_copy->elem_dtype, ==, OVI_DTYPE_STRING);
  item = g_ptr_array_index (seq_copy->items, 0);
  g_assert_true (item != g_ptr_array_index (seq->items, 0));
  g_assert_cmpstr (ovi_tensor_string (item, 0), ==, "alpha");
  g_assert_true (((char **) item->data)[0]
      != ((char **) ((OviTensor *) g_ptr_array_index (seq->items, 0))->data)[0]);
  /* Ensuring a sequence empties it. */
  g_assert_true (ovi_tensor_ensure (s, OVI_DTYPE_SEQUENCE, 0, NULL));
  g_assert_cmpuint (ovi_tensor_sequence (s)->items->len, ==, 0);
  g_assert_true (ovi_tensor_ensure (s, OVI_DTYPE_INT8, 1, &two));
  ovi_tensor_free (s);
  ovi_tensor_free (sc);
  ovi_tensor_free (c);
  ovi_tensor_free (t);
}

/* A small graph built in place: inputs, then nodes, then outputs. */
static int
add_input (OviGraph *g, const char *name, OviDType dtype, int rank,
    const int64_t *dims)
{
  int v = ovi_graph_add_value (g, name, dtype);
  OviValue *val = ovi_graph_value (g, v);
  val->rank = rank;
  if (rank > 0)
    memcpy (val->dims, dims, sizeof (int64_t) * rank);
  g_array_append_val (g->inputs, v);
  return v;
}

static OviNode *
add_node (OviGraph *g, const char *op, int n_in, const int *in,
    const char *out_name, int *out)
{
  *out = ovi_graph_add_value (g, out_name, OVI_DTYPE_UNDEFINED);
  return ovi_graph_add_node (g, op, out_name, n_in, in, 1, out);
}

static OviModel *
finish (OviGraph *g, int output)
{
  GError *error = NULL;
  g->opset = 13;
  g->source = g_strdup ("test-graph");
  g_array_append_val (g->outputs, output);
  g_assert_true (ovi_graph_sort (g, &error));
  g_assert_no_error (error);
  return ovi_model_new_from_graph (g);
}

static void
set_strings_attr (OviNode *n, const char *name, const char *const *v)
{
  OviAttr *a = ovi_node_add_attr (n, name, OVI_ATTR_STRINGS);
  a->n = g_strv_length ((char **) v);
  a->strings = g_strdupv ((char **) v);
}

static void
check_strings (OviRequest *r, int rank, const int64_t *dims,
    const char *const *want, const char *const *input)
{
  OviTensorView out;
  int64_t n = ovi_shape_numel (rank, dims);
  g_assert_true (ovi_request_get_output (r, 0, NULL, &out));
  g_assert_cmpint (out.dtype, ==, OVI_DTYPE_STRING);
  g_assert_true (ovi_shape_equal (out.rank, out.dims, rank, dims));
  for (int64_t i = 0; i < n; i++) {
    const char *got = ((char **) out.data)[i];
    g_assert_cmpstr (got ? got : "", ==, want[i]);
    /* Never the caller's strings: outputs own copies. */
    for (int k = 0; input && input[k]; k++)
      g_assert_true (got != input[k]);
  }
}

/* String graph input and output through StringNormalizer and Identity,
 * several inferences with different shapes on one request. */
static void
test_string_model (void)
{
  OviGraph *g = ovi_graph_new ();
  int64_t four = 4;
  int x = add_input (g, "x", OVI_DTYPE_STRING, 1, (int64_t[]) { -1 });
  int n, y;
  OviNode *node = add_node (g, "StringNormalizer", 1, &x, "n", &n);
  const char *const stop[] = { "b", NULL };
  const char *in1[] = { "a", "B", "c\xc3\xa9", "d", NULL };
  const char *in2[] = { "b", "b", NULL };
  const char *const want1[] = { "A", "C\xc3\x89", "D" };
  const char *const want2[] = { "" };
  OviModel *m;
  OviCompiledModel *cm;
  OviRequest *r;
  GError *error = NULL;
  OviTensorView v = { OVI_DTYPE_STRING, 1, { 4 }, in1 };

  ovi_node_set_attr_string (node, "case_change_action", "UPPER");
  set_strings_attr (node, "stopwords", stop);
  add_node (g, "Identity", 1, &n, "y", &y);
  m = finish (g, y);
  cm = ovi_compile (m, "CPU", NULL, &error);
  g_assert_no_error (error);
  r = ovi_request_new (cm, &error);
  for (int round = 0; round < 3; round++) {
    v.dims[0] = four;
    v.data = in1;
    g_assert_true (ovi_request_set_input (r, "x", &v, &error));
    g_assert_true (ovi_request_infer (r, &error));
    g_assert_no_error (error);
    check_strings (r, 1, (int64_t[]) { 3 }, want1, in1);
    v.dims[0] = 2;
    v.data = in2;
    g_assert_true (ovi_request_set_input (r, "x", &v, &error));
    g_assert_true (ovi_request_infer (r, &error));
    check_strings (r, 1, (int64_t[]) { 1 }, want2, in2);
  }
  ovi_request_free (r);
  ovi_compiled_model_unref (cm);
  ovi_model_unref (m);
}

/* Bilinear Resize (half_pixel) of x [1, c, h, w] to [1, c, oh, ow]
 * against the formula in double: taps clamped at the borders. */
static void
check_resize_linear (int64_t c, int64_t h, int64_t w, int64_t oh,
    int64_t ow)
{
  OviGraph *g = ovi_graph_new ();
  int64_t xdims[4] = { 1, c, h, w }, four = 4;
  int x = add_input (g, "x", OVI_DTYPE_FLOAT32, 4, xdims);
  int sizes = ovi_graph_add_value (g, "sizes", OVI_DTYPE_INT64);
  OviTensor *st = ovi_tensor_new (OVI_DTYPE_INT64, 1, &four);
  int64_t *sv = st->data;
  int in[4], y;
  OviNode *n;
  OviModel *m;
  OviCompiledModel *cm;
  OviRequest *r;
  GError *error = NULL;
  GRand *rand = g_rand_new_with_seed (oh * 31 + ow);
  float *xv = g_new (float, c * h * w);
  OviTensorView v = { OVI_DTYPE_FLOAT32, 4, { 1, c, h, w }, xv }, out;

  sv[0] = 1;
  sv[1] = c;
  sv[2] = oh;
  sv[3] = ow;
  ovi_graph_value (g, sizes)->rank = 1;
  ovi_graph_value (g, sizes)->dims[0] = 4;
  ovi_graph_value (g, sizes)->constant = st;
  in[0] = x;
  in[1] = in[2] = -1;
  in[3] = sizes;
  n = add_node (g, "Resize", 4, in, "y", &y);
  ovi_node_set_attr_string (n, "mode", "linear");
  ovi_node_set_attr_string (n, "coordinate_transformation_mode",
      "half_pixel");
  m = finish (g, y);
  for (int64_t i = 0; i < c * h * w; i++)
    xv[i] = g_rand_double_range (rand, -1, 1);
  cm = ovi_compile (m, "CPU", NULL, &error);
  g_assert_no_error (error);
  r = ovi_request_new (cm, &error);
  g_assert_no_error (error);
  g_assert_true (ovi_request_set_input (r, "x", &v, &error));
  g_assert_true (ovi_request_infer (r, &error));
  g_assert_no_error (error);
  g_assert_true (ovi_request_get_output (r, 0, NULL, &out));
  g_assert_true (ovi_shape_equal (out.rank, out.dims, 4,
          (int64_t[]) { 1, c, oh, ow }));
  for (int64_t p = 0; p < c; p++)
    for (int64_t i = 0; i < oh; i++) {
      double fy = MAX ((i + 0.5) * h / oh - 0.5, 0.0);
      int64_t y0 = MIN ((int64_t) fy, h - 1), y1 = MIN (y0 + 1, h - 1);
      double ty = fy - y0;
      for (int64_t j = 0; j < ow; j++) {
        double fx = MAX ((j + 0.5) * w / ow - 0.5, 0.0);
        int64_t x0 = MIN ((int64_t) fx, w - 1), x1 = MIN (x0 + 1, w - 1);
        double tx = fx - x0;
        const float *pl = xv + p * h * w;
        double want = (1 - ty) * ((1 - tx) * pl[y0 * w + x0]
            + tx * pl[y0 * w + x1]) + ty * ((1 - tx) * pl[y1 * w + x0]
            + tx * pl[y1 * w + x1]);
        float got = ((const float *) out.data)[(p * oh + i) * ow + j];
        if (!(fabs (got - want) <= 1e-5)) {
          g_test_message ("%" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %"
              G_GINT64_FORMAT ": %g, want %g", p, i, j, got, want);
          g_test_fail ();
          goto done;
        }
      }
    }
done:
  ovi_request_free (r);
  ovi_compiled_model_unref (cm);
  ovi_model_unref (m);
  g_free (xv);
  g_rand_free (rand);
}

static void
test_resize_linear (void)
{
  check_resize_linear (2, 5, 7, 13, 30);
  check_resize_linear (3, 9, 4, 4, 9);
  /* over 8 MB out: written with non-temporal stores, rows of 700 floats
   * starting off the 32-byte alignment every other row */
  check_resize_linear (3, 40, 24, 1100, 700);
}

/* Numbers to strings as the ONNX reference (numpy) writes them, and
 * strings back to numbers; text that is no number is an error. */
static void
test_string_cast (void)
{
  OviGraph *g = ovi_graph_new ();
  int x = add_input (g, "x", OVI_DTYPE_FLOAT32, 1, (int64_t[]) { 9 });
  int s, y;
  OviModel *m;
  OviCompiledModel *cm;
  OviRequest *r;
  GError *error = NULL;
  float xs[9] = { 1.0f, 100.0f, 1e-5f, 0.1f, -0.0f, 1e16f, 3.14159274f,
    NAN, -INFINITY };
  const char *const want[] = { "1.0", "100.0", "1e-05", "0.1", "-0.0",
    "1e+16", "3.1415927", "nan", "-inf" };
  OviTensorView v = { OVI_DTYPE_FLOAT32, 1, { 9 }, xs };

  ovi_node_set_attr_int (add_node (g, "Cast", 1, &x, "s", &s), "to",
      OVI_DTYPE_STRING);
  m = finish (g, s);
  cm = ovi_compile (m, "CPU", NULL, &error);
  g_assert_no_error (error);
  r = ovi_request_new (cm, &error);
  g_assert_true (ovi_request_set_input (r, "x", &v, &error));
  g_assert_true (ovi_request_infer (r, &error));
  g_assert_no_error (error);
  check_strings (r, 1, v.dims, want, NULL);
  ovi_request_free (r);
  ovi_compiled_model_unref (cm);
  ovi_model_unref (m);

  g = ovi_graph_new ();
  x = add_input (g, "x", OVI_DTYPE_STRING, 1, (int64_t[]) { 5 });
  ovi_node_set_attr_int (add_node (g, "Cast", 1, &x, "y", &y), "to",
      OVI_DTYPE_INT64);
  m = finish (g, y);
  cm = ovi_compile (m, "CPU", NULL, &error);
  g_assert_no_error (error);
  r = ovi_request_new (cm, &error);
  {
    const char *good[] = { "42", " -7 ", "100.5", "1e3", "+5" };
    const char *bad[] = { "1", "2", "3", "abc", NULL };
    OviTensorView sv = { OVI_DTYPE_STRING, 1, { 5 }, good };
    OviTensorView out;
    g_assert_true (ovi_request_set_input (r, "x", &sv, &error));
    g_assert_true (ovi_request_infer (r, &error));
    g_assert_no_error (error);
    ovi_request_get_output (r, 0, NULL, &out);
    g_assert_cmpint (((int64_t *) out.data)[0], ==, 42);
    g_assert_cmpint (((int64_t *) out.data)[1], ==, -7);
    g_assert_cmpint (((int64_t *) out.data)[2], ==, 100);
    g_assert_cmpint (((int64_t *) out.data)[3], ==, 1000);
    g_assert_cmpint (((int64_t *) out.data)[4], ==, 5);
    sv.data = bad;
    g_assert_true (ovi_request_set_input (r, "x", &sv, &error));
    g_assert_false (ovi_request_infer (r, &error));
    g_assert_error (error, OVI_ERROR, OVI_ERROR_INVALID);
    g_clear_error (&error);
  }
  ovi_request_free (r);
  ovi_compiled_model_unref (cm);
  ovi_model_unref (m);
}

/* Opset 6's broadcast=1 with an axis other than the trailing ones would
 * be computed as numpy broadcasts (a wrong answer when the shapes allow
 * it): it is refused, the trailing placement accepted. */
static void
test_legacy_broadcast (void)
{
  for (int axis = 1; axis <= 3; axis++) {
    OviGraph *g = ovi_graph_new ();
    int in[2], y;
    OviModel *m;
    OviCompiledModel *cm;
    GError *error = NULL;
    OviNode *n;
    in[0] = add_input (g, "a", OVI_DTYPE_FLOAT32, 4,
        (int64_t[]) { 2, 3, 3, 3 });
    in[1] = add_input (g, "b", OVI_DTYPE_FLOAT32, 1, (int64_t[]) { 3 });
    n = add_node (g, "Add", 2, in, "y", &y);
    ovi_node_set_attr_int (n, "broadcast", 1);
    ovi_node_set_attr_int (n, "axis", axis);
    m = finish (g, y);
    m->graph->opset = 6;
    cm = ovi_compile (m, "CPU", NULL, &error);
    if (axis == 3) {
      g_assert_no_error (error);
      g_assert_nonnull (cm);
      ovi_compiled_model_unref (cm);
    } else {
      g_assert_null (cm);
      g_assert_error (error, OVI_ERROR, OVI_ERROR_UNSUPPORTED);
      g_assert_nonnull (strstr (error->message, "legacy broadcast"));
      g_clear_error (&error);
    }
    ovi_model_unref (m);
  }
}

/* One node on the CPU over one int64 input of n values, the output's
 * bytes copied out. */
static void
run_int64_node (const char *op, const int64_t *x, int n, int clip_max,
    int64_t max, OviDType to, void *out, gsize out_bytes)
{
  OviGraph *g = ovi_graph_new ();
  int in[3], y;
  int64_t dims[1] = { n };
  OviNode *node;
  OviModel *m;
  OviCompiledModel *cm;
  OviRequest *r;
  OviTensorView v, o;
  GError *error = NULL;
  in[0] = add_input (g, "x", OVI_DTYPE_INT64, 1, dims);
  if (clip_max) {
    int hv = ovi_graph_add_value (g, "max", OVI_DTYPE_INT64);
    OviValue *val = ovi_graph_value (g, hv);
    val->rank = 0;
    val->constant = ovi_tensor_new (OVI_DTYPE_INT64, 0, NULL);
    *(int64_t *) val->constant->data = max;
    in[1] = -1;
    in[2] = hv;
  }
  node = add_node (g, op, clip_max ? 3 : 1, in, "y", &y);
  if (!clip_max)
    ovi_node_set_attr_int (node, "to", to);
  m = finish (g, y);
  cm = ovi_compile (m, "CPU", NULL, &error);
  g_assert_no_error (error);
  r = ovi_request_new (cm, &error);
  ovi_model_get_input (m, 0, NULL, &v);
  v.data = (gpointer) x;
  g_assert_true (ovi_request_set_input_by_index (r, 0, &v, &error));
  g_assert_true (ovi_request_infer (r, &error));
  g_assert_true (ovi_request_get_output (r, 0, NULL, &o));
  memcpy (out, o.data, out_bytes);
  ovi_request_free (r);
  ovi_compiled_model_unref (cm);
  ovi_model_unref (m);
}

/* RNN's activations are checked when the model compiles: an unknown
 * function and a list of the wrong length each fail with the node named. */
static void
test_rnn_activations (void)
{
  static const char *const unknown[] = { "Frob", NULL };
  static const char *const two[] = { "Tanh", "Relu", NULL };
  for (int k = 0; k < 2; k++) {
    static const int64_t xd[] = { 2, 1, 3 }, wd[] = { 1, 4, 3 };
    static const int64_t rd[] = { 1, 4, 4 };
    OviGraph *g = ovi_graph_new ();
    GError *error = NULL;
    int in[3], y;
    OviModel *m;
    OviNode *n;
    in[0] = add_input (g, "x", OVI_DTYPE_FLOAT32, 3, xd);
    in[1] = add_input (g, "w", OVI_DTYPE_FLOAT32, 3, wd);
    in[2] = add_input (g, "r", OVI_DTYPE_FLOAT32, 3, rd);
    n = add_node (g, "RNN", 3, in, "y", &y);
    ovi_node_set_attr_int (n, "hidden_size", 4);
    set_strings_attr (n, "activations", k ? two : unknown);
    m = finish (g, y);
    g_assert_null (ovi_compile (m, "CPU", NULL, &error));
    if (k)
      g_assert_error (error, OVI_ERROR, OVI_ERROR_INVALID);
    else
      g_assert_error (error, OVI_ERROR, OVI_ERROR_UNSUPPORTED);
    g_assert_nonnull (strstr (error->message, k ? "needs 1 activations"
            : "activation 'Frob' is not supported"));
    g_assert_nonnull (strstr (error->message, "RNN"));
    g_error_free (error);
    ovi_model_unref (m);
  }
}

/* Large int64 values: Cast to float32 rounds once (through double,
 * 2^60 + 2^36 + 1 rounded twice, to 2^60), and Clip compares them as
 * integers (through double, 2^53 + 1 compared equal to a bound of 2^53). */
static void
test_int64_precision (void)
{
  const int64_t x[2] = { (G_GINT64_CONSTANT (1) << 60)
      + (G_GINT64_CONSTANT (1) << 36) + 1, (G_GINT64_CONSTANT (1) << 53)
      + 1 };
  float f[2];
  int64_t c[2];
  run_int64_node ("Cast", x, 2, FALSE, 0, OVI_DTYPE_FLOAT32, f, sizeof (f));
  g_assert_cmpfloat (f[0], ==, 0x1p60f + 0x1p37f);
  run_int64_node ("Clip", x, 2, TRUE, G_GINT64_CONSTANT (1) << 53, 0, c,
      sizeof (c));
  g_assert_cmpint (c[0], ==, G_GINT64_CONSTANT (1) << 53);
  g_assert_cmpint (c[1], ==, G_GINT64_CONSTANT (1) << 53);
}

/* Ops not made for strings or sequences refuse them at plan time. */
static void
test_object_guard (void)
{
  const char *const ops[] = { "Relu", "Transpose", "Reshape", "Concat",
    NULL };
  for (int i = 0; ops[i]; i++) {
    OviGraph *g = ovi_graph_new ();
    int in[2], y;
    OviModel *m;
    GError *error = NULL;
    in[0] = add_input (g, "x", OVI_DTYPE_STRING, 1, (int64_t[]) { 2 });
    in[1] = add_input (g, "shape", OVI_DTYPE_INT64, 1, (int64_t[]) { 1 });
    ovi_node_set_attr_int (add_node (g, ops[i], 2, in, "y", &y), "axis", 0);
    m = finish (g, y);
    g_assert_null (ovi_compile (m, "CPU", NULL, &error));
    g_assert_error (error, OVI_ERROR, OVI_ERROR_UNSUPPORTED);
    g_assert_nonnull (strstr (error->message,
            "does not support string tensors"));
    g_clear_error (&error);
    ovi_model_unref (m);
  }
  {
    /* A sequence may not leave the graph. */
    OviGraph *g = ovi_graph_new ();
    int x = add_input (g, "x", OVI_DTYPE_FLOAT32, 1, (int64_t[]) { 2 });
    int y;
    OviModel *m;
    GError *error = NULL;
    add_node (g, "SequenceConstruct", 1, &x, "y", &y);
    m = finish (g, y);
    g_assert_null (ovi_compile (m, "CPU", NULL, &error));
    g_assert_error (error, OVI_ERROR, OVI_ERROR_UNSUPPORTED);
    g_clear_error (&error);
    ovi_model_unref (m);
  }
}

/* A sequence inside the graph; positions out of range are errors, and the
 * request keeps working after one. */
static void
test_sequence_model (void)
{
  OviGraph *g = ovi_graph_new ();
  int in[2], s, t, y;
  OviNode *node;
  OviModel *m;
  OviCompiledModel *cm;
  OviRequest *r;
  GError *error = NULL;
  float xs[8] = { 0, 1, 2, 3, 4, 5, 6, 7 };
  int64_t pos;
  OviTensorView xv = { OVI_DTYPE_FLOAT32, 2, { 4, 2 }, xs };
  OviTensorView pv = { OVI_DTYPE_INT64, 0, { 0 }, &pos }, out;

  in[0] = add_input (g, "x", OVI_DTYPE_FLOAT32, 2, (int64_t[]) { 4, 2 });
  in[1] = add_input (g, "pos", OVI_DTYPE_INT64, 0, NULL);
  node = add_node (g, "SplitToSequence", 1, in, "s", &s);
  ovi_node_set_attr_int (node, "keepdims", 0);
  /* s with x inserted again at `pos`, then element `pos` read back. */
  {
    int ins[3] = { s, in[0], in[1] };
    int at[2];
    add_node (g, "SequenceInsert", 2, ins, "t", &t);
    at[0] = t;
    at[1] = in[1];
    add_node (g, "SequenceAt", 2, at, "y", &y);
  }
  m = finish (g, y);
  cm = ovi_compile (m, "CPU", NULL, &error);
  g_assert_no_error (error);
  r = ovi_request_new (cm, &error);
  g_assert_true (ovi_request_set_input (r, "x", &xv, &error));
  for (int round = 0; round < 2; round++) {
    pos = -2;
    g_assert_true (ovi_request_set_input (r, "pos", &pv, &error));
    g_assert_true (ovi_request_infer (r, &error));
    g_assert_no_error (error);
    ovi_request_get_output (r, 0, NULL, &out);
    g_assert_cmpint (out.rank, ==, 1);
    g_assert_cmpint (out.dims[0], ==, 2);
    g_assert_cmpfloat (((float *) out.data)[0], ==, 6.0f);
    pos = 4;                    /* the appended [4, 2] tensor */
    g_assert_true (ovi_request_infer (r, &error));
    ovi_request_get_output (r, 0, NULL, &out);
    g_assert_cmpint (out.rank, ==, 2);
    g_assert_cmpfloat (((float *) out.data)[7], ==, 7.0f);
    for (int k = 0; k < 4; k++) {
      const int64_t bad[] = { 5, -6, G_MAXINT64, G_MININT64 };
      pos = bad[k];
      g_assert_false (ovi_request_infer (r, &error));
      g_assert_error (error, OVI_ERROR, OVI_ERROR_INVALID);
      g_clear_error (&error);
    }
  }
  ovi_request_free (r);
  ovi_compiled_model_unref (cm);
  ovi_model_unref (m);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/add-relu", test_add_relu);
  g_test_add_func ("/engine/metadata", test_metadata);
  g_test_add_func ("/engine/reshape-input", test_reshape_input);
  g_test_add_func ("/engine/missing-file", test_missing_file);
  g_test_add_func ("/engine/truncated", test_truncated);
  g_test_add_func ("/engine/unsupported-op", test_unsupported_op);
  g_test_add_func ("/engine/unknown-device", test_unknown_device);
  g_test_add_func ("/engine/external-data", test_external_data);
  g_test_add_func ("/engine/dynamic-replan", test_dynamic_replan);
  g_test_add_func ("/engine/arena-reuse", test_arena_reuse);
  g_test_add_func ("/engine/arena-place", test_arena_place);
  g_test_add_func ("/engine/async", test_async);
  g_test_add_func ("/engine/string-ownership", test_string_ownership);
  g_test_add_func ("/engine/rnn-activations", test_rnn_activations);
  g_test_add_func ("/engine/string-model", test_string_model);
  g_test_add_func ("/engine/string-cast", test_string_cast);
  g_test_add_func ("/engine/object-guard", test_object_guard);
  g_test_add_func ("/engine/legacy-broadcast", test_legacy_broadcast);
  g_test_add_func ("/engine/int64-precision", test_int64_precision);
  g_test_add_func ("/engine/sequence-model", test_sequence_model);
  g_test_add_func ("/engine/resize-linear", test_resize_linear);
  return g_test_run ();
}
