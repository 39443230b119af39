/* The GPU device against the CPU device, op by op, in the spirit of
 * llama.cpp's test-backend-ops: one-node graphs over a grid of shapes and
 * attributes, the same random inputs on "CPU" and "GPU.0", outputs
 * compared by normalized mean squared error under a per-op bound. A node
 * our kernels do not cover runs on the CPU fallback inside the GPU device:
 * it is reported as such (and still compared), not failed; a case marked
 * as covered must really run on the GPU. Then whole generated CNNs, and
 * the on-disk program cache.
 *
 * Without an OpenCL device (no ICD, no pocl) every test is skipped. Here
 * and in CI the device is pocl's CPU device. */
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "gpu/gpu-exec.h"
#include "model.h"
#include "ovi.h"
#include "plan.h"
#include "ov-test-gpu.h"

#ifndef OVI_TEST_MODEL_DIR
#define OVI_TEST_MODEL_DIR "."
#endif

#define SKIP_WITHOUT_GPU() \
  if (!ov_test_have_gpu ()) { \
    g_test_skip ("no OpenCL device"); \
    return; \
  }

/* ---- one-node graphs ---- */

#define MAX_IN 6

typedef struct {
  OviGraph *g;
  int values[MAX_IN];
  OviNode *node;
} Graph;

static int
add_input (OviGraph *g, const char *name, int rank, const int64_t *dims)
{
  int v = ovi_graph_add_value (g, name, OVI_DTYPE_FLOAT32);
  OviValue *val = ovi_graph_value (g, v);
  val->rank = rank;
  if (rank > 0)
    memcpy (val->dims, dims, sizeof (int64_t) * rank);
  g_array_append_val (g->inputs, v);
  return v;
}

static int
add_const (OviGraph *g, const char *name, OviDType dtype, int rank,
    const int64_t *dims, const void *data)
{
  int v = ovi_graph_add_value (g, name, dtype);
  OviValue *val = ovi_graph_value (g, v);
  val->rank = rank;
  if (rank > 0)
    memcpy (val->dims, dims, sizeof (int64_t) * rank);
  val->constant = ovi_tensor_new (dtype, rank, dims);
  memcpy (val->constant->data, data, ovi_tensor_nbytes (val->constant));
  return v;
}

static float
frand (guint32 *s)
{
  *s = *s * 1664525u + 1013904223u;
  return (float) ((*s >> 8) & 0xffff) / 32768.0f - 1.0f;
}

static int
add_random_const (OviGraph *g, const char *name, int rank,
    const int64_t *dims, guint32 *seed)
{
  int64_t n = ovi_shape_numel (rank, dims);
  float *d = g_new (float, MAX (n, 1));
  int v;
  for (int64_t i = 0; i < n; i++)
    d[i] = frand (seed);
  v = add_const (g, name, OVI_DTYPE_FLOAT32, rank, dims, d);
  g_free (d);
  return v;
}

static OviNode *
add_node (OviGraph *g, const char *op, int n_in, const int *in, int *out)
{
  char *name = g_strdup_printf ("%s_%u", op, g->nodes->len);
  OviNode *n;
  *out = ovi_graph_add_value (g, name, OVI_DTYPE_UNDEFINED);
  n = ovi_graph_add_node (g, op, name, n_in, in, 1, out);
  g_free (name);
  return n;
}

static OviModel *
finish (OviGraph *g, int output, int opset)
{
  GError *error = NULL;
  g->opset = opset;
  g->source = g_strdup ("test-gpu-ops");
  g_array_append_val (g->outputs, output);
  g_assert_true (ovi_graph_sort (g, &error));
  g_assert_no_error (error);
  return ovi_model_new_from_graph (g);
}

/* Runs the model on a device with the given inputs; returns a copy of
 * output 0 and sets *on_gpu to the number of GPU steps (-1 on the CPU). */
static char *fallback_ops;   /* op types of the last GPU run's CPU steps */

static float *
run_on (OviModel *m, const char *device, int n_inputs, float **data,
    int64_t *n_out, int *gpu_steps, int *n_steps)
{
  GError *error = NULL;
  OviCompiledModel *cm = ovi_compile (m, device, NULL, &error);
  OviTensorView views[MAX_IN], out;
  OviRequest *r;
  float *copy;

  g_assert_no_error (error);
  r = ovi_request_new (cm, &error);
  for (int i = 0; i < n_inputs; i++) {
    ovi_model_get_input (m, i, NULL, &views[i]);
    views[i].data = data[i];
    g_assert_true (ovi_request_set_input_by_index (r, i, &views[i], &error));
  }
  g_assert_true (ovi_request_infer (r, &error));
  g_assert_no_error (error);
  g_assert_true (ovi_request_get_output (r, 0, NULL, &out));
  g_assert_cmpint (out.dtype, ==, OVI_DTYPE_FLOAT32);
  *n_out = ovi_shape_numel (out.rank, out.dims);
  copy = g_memdup2 (out.data, MAX (*n_out, 1) * sizeof (float));
  *gpu_steps = -1;
  {
    OviPlan *plan = ovi_compiled_model_get_plan (cm, views, &error);
    g_assert_no_error (error);
    *n_steps = plan->n_steps;
    if (plan->executable) {
      GString *ops = g_string_new (NULL);
      *gpu_steps = ovi_gpu_executable_n_gpu_steps (plan->executable);
      for (int s = 0; s < plan->n_steps; s++)
        if (!ovi_gpu_executable_step_on_gpu (plan->executable, s)
            && !strstr (ops->str, plan->steps[s].node->op_type))
          g_string_append_printf (ops, " %s", plan->steps[s].node->op_type);
      g_free (fallback_ops);
      fallback_ops = g_string_free (ops, FALSE);
    }
    ovi_plan_unref (plan);
  }
  ovi_request_free (r);
  ovi_compiled_model_unref (cm);
  return copy;
}

/* Normalized mean squared error of a against the reference b. */
static double
nmse (const float *a, const float *b, int64_t n)
{
  double err = 0, ref = 0;
  for (int64_t i = 0; i < n; i++) {
    double d = (double) a[i] - b[i];
    if (isnan (a[i]) && isnan (b[i]))
      continue;
    if (isnan (a[i]) != isnan (b[i]) || isinf (a[i]) != isinf (b[i]))
      return INFINITY;
    if (isinf (a[i]) && a[i] == b[i])
      continue;
    err += d * d;
    ref += (double) b[i] * b[i];
  }
  return ref > 0 ? err / ref : err;
}

typedef enum { EXPECT_GPU, EXPECT_FALLBACK } Expect;

static int n_cases, n_on_gpu, n_fallback;

/* Compares CPU and GPU.0 on the model's inputs filled with random data
 * (positive when `positive`, for Pow, Log, Sqrt). */
static void
check_model (const char *what, OviModel *m, double bound, Expect expect,
    gboolean positive)
{
  int n_in = ovi_model_get_n_inputs (m);
  float *data[MAX_IN];
  guint32 seed = 12345;
  int64_t n_cpu, n_gpu;
  int gpu_steps, cpu_steps, steps;
  float *cpu, *gpu;
  double e;

  for (int i = 0; i < n_in; i++) {
    OviTensorView info;
    int64_t n;
    ovi_model_get_input (m, i, NULL, &info);
    n = ovi_shape_numel (info.rank, info.dims);
    data[i] = g_new (float, MAX (n, 1));
    for (int64_t k = 0; k < n; k++) {
      float v = frand (&seed) * 3;
      data[i][k] = positive ? fabsf (v) + 0.1f : v;
    }
  }
  cpu = run_on (m, "CPU", n_in, data, &n_cpu, &cpu_steps, &steps);
  gpu = run_on (m, "GPU.0", n_in, data, &n_gpu, &gpu_steps, &steps);
  g_assert_cmpint (n_cpu, ==, n_gpu);
  e = nmse (gpu, cpu, n_cpu);
  n_cases++;
  if (gpu_steps == steps) {
    n_on_gpu++;
    g_test_message ("%-60s GPU      nmse %.2e (bound %.0e)", what, e, bound);
  } else {
    n_fallback++;
    g_test_message ("%-60s %d of %d steps on the CPU fallback (%s), "
        "nmse %.2e", what, steps - gpu_steps, steps, fallback_ops, e);
  }
  if (!(e <= bound))
    g_error ("%s: nmse %.3e exceeds %.0e", what, e, bound);
  if (expect == EXPECT_GPU && gpu_steps != steps)
    g_error ("%s: expected to run on the GPU, %d of %d steps did", what,
        gpu_steps, steps);
  /* A case kept for the fallback path must still take it. */
  if (expect == EXPECT_FALLBACK && gpu_steps == steps)
    g_error ("%s: expected a step on the CPU fallback, all ran on the GPU",
        what);
  for (int i = 0; i < n_in; i++)
    g_free (data[i]);
  g_free (cpu);
  g_free (gpu);
}

static char *
shape_str (int rank, const int64_t *d)
{
  return ovi_shape_to_string (rank, d);
}

/* ---- elementwise ---- */

static void
test_unary (void)
{
  static const struct {
    const char *op;
    const char *attr;
    float value;
    gboolean positive;
  } ops[] = {
    { "Relu" }, { "Sigmoid" }, { "Tanh" }, { "Exp" }, { "Neg" }, { "Abs" },
    { "Sqrt", .positive = TRUE }, { "Log", .positive = TRUE },
    { "Reciprocal", .positive = TRUE }, { "Floor" }, { "Ceil" },
    { "Softplus" }, { "Erf" }, { "Sin" }, { "Cos" }, { "Softsign" },
    { "Round" }, { "Sign" }, { "Selu" }, { "HardSwish" },
    { "LeakyRelu", "alpha", 0.1f }, { "Elu", "alpha", 0.7f },
    { "HardSigmoid", "alpha", 0.3f }, { "ThresholdedRelu", "alpha", 0.5f },
    { "Celu", "alpha", 1.5f }, { "Tan" }, { "Asin" }, { "Acos" },
    { "Atan" }, { "Sinh" }, { "Cosh" }, { "Asinh" }, { "Acosh" },
    { "Atanh" }, { "Gelu" }, { "Shrink", "lambd", 0.7f },
  };
  static const int64_t shapes[][4] = { { 2, 3, 5, 7 }, { 1, 1, 1, 1 },
    { 3, 1, 64, 65 } };
  SKIP_WITHOUT_GPU ();
  for (guint i = 0; i < G_N_ELEMENTS (ops); i++)
    for (guint s = 0; s < G_N_ELEMENTS (shapes); s++) {
      OviGraph *g = ovi_graph_new ();
      int x = add_input (g, "x", 4, shapes[s]), y;
      OviNode *n = add_node (g, ops[i].op, 1, &x, &y);
      OviModel *m;
      char *what, *sh = shape_str (4, shapes[s]);
      if (ops[i].attr)
        ovi_node_set_attr_float (n, ops[i].attr, ops[i].value);
      if (strcmp (ops[i].op, "Shrink") == 0)
        ovi_node_set_attr_float (n, "bias", 0.25f);
      m = finish (g, y, strcmp (ops[i].op, "Celu") == 0 ? 12
          : strcmp (ops[i].op, "Gelu") == 0 ? 20 : 14);
      what = g_strdup_printf ("%s %s", ops[i].op, sh);
      check_model (what, m, 1e-10, EXPECT_GPU, ops[i].positive);
      g_free (what);
      g_free (sh);
      ovi_model_unref (m);
    }
}

/* Clip with constant bounds (opset 13 inputs), and bounds missing. */
static void
test_clip (void)
{
  static const int64_t shape[] = { 2, 8, 9 };
  static const char *const names[] = { "Clip [-0.5, 1.25]", "Clip max only",
    "Clip min only", "Clip, bounds at run time", "Clip, max at run time",
    "Clip, min at run time" };
  SKIP_WITHOUT_GPU ();
  for (int variant = 0; variant < 6; variant++) {
    OviGraph *g = ovi_graph_new ();
    float lo = -0.5f, hi = 1.25f;
    int in[3] = { add_input (g, "x", 3, shape), -1, -1 }, y;
    gboolean run_time = variant >= 3;
    OviModel *m;
    if (variant % 3 != 1)
      in[1] = run_time ? add_input (g, "lo", 0, NULL)
          : add_const (g, "lo", OVI_DTYPE_FLOAT32, 0, NULL, &lo);
    if (variant % 3 != 2)
      in[2] = run_time ? add_input (g, "hi", 0, NULL)
          : add_const (g, "hi", OVI_DTYPE_FLOAT32, 0, NULL, &hi);
    add_node (g, "Clip", 3, in, &y);
    m = finish (g, y, 13);
    check_model (names[variant], m, 0, EXPECT_GPU, FALSE);
    ovi_model_unref (m);
  }
}

static void
test_binary (void)
{
  static const char *const ops[] = { "Add", "Sub", "Mul", "Div", "Pow",
    "Max", "Min", "PRelu" };
  static const struct {
    int ra, rb;
    int64_t a[4], b[4];
  } shapes[] = {
    { 4, 4, { 2, 3, 4, 5 }, { 2, 3, 4, 5 } },
    { 4, 3, { 2, 3, 4, 5 }, { 3, 1, 1 } },
    { 4, 1, { 2, 3, 4, 5 }, { 5 } },
    { 4, 0, { 2, 3, 4, 5 }, { 0 } },
    { 4, 4, { 1, 3, 1, 5 }, { 2, 1, 4, 1 } },
    { 2, 2, { 1, 7 }, { 6, 1 } },
    { 1, 3, { 9 }, { 2, 3, 9 } },
  };
  SKIP_WITHOUT_GPU ();
  for (guint i = 0; i < G_N_ELEMENTS (ops); i++)
    for (guint s = 0; s < G_N_ELEMENTS (shapes); s++) {
      OviGraph *g;
      int in[2], y;
      OviModel *m;
      char *what, *sa, *sb;
      /* PRelu's slope broadcasts to x only (unidirectionally). */
      if (strcmp (ops[i], "PRelu") == 0 && (s == 4 || s == 5 || s == 6))
        continue;
      g = ovi_graph_new ();
      in[0] = add_input (g, "a", shapes[s].ra, shapes[s].a);
      in[1] = add_input (g, "b", shapes[s].rb, shapes[s].b);
      add_node (g, ops[i], 2, in, &y);
      m = finish (g, y, 14);
      sa = shape_str (shapes[s].ra, shapes[s].a);
      sb = shape_str (shapes[s].rb, shapes[s].b);
      what = g_strdup_printf ("%s %s %s", ops[i], sa, sb);
      check_model (what, m, 1e-10, EXPECT_GPU, strcmp (ops[i], "Pow") == 0);
      g_free (what);
      g_free (sa);
      g_free (sb);
      ovi_model_unref (m);
    }
}

/* Sum, Mean, Max and Min of one to three broadcast inputs; Mod in both
 * sign conventions; Gelu's tanh form. */
static void
test_variadic_mod (void)
{
  static const char *const ops[] = { "Sum", "Mean", "Max", "Min" };
  static const int64_t dims[][3] = { { 2, 3, 4 }, { 3, 1 }, { 4 } };
  static const int ranks[] = { 3, 2, 1 };
  SKIP_WITHOUT_GPU ();
  for (guint i = 0; i < G_N_ELEMENTS (ops); i++)
    for (int n_in = 1; n_in <= 3; n_in++) {
      OviGraph *g = ovi_graph_new ();
      int in[3], y;
      OviModel *m;
      char *what;
      for (int k = 0; k < n_in; k++)
        in[k] = add_input (g, k == 0 ? "a" : k == 1 ? "b" : "c", ranks[k],
            dims[k]);
      add_node (g, ops[i], n_in, in, &y);
      m = finish (g, y, 13);
      what = g_strdup_printf ("%s of %d", ops[i], n_in);
      check_model (what, m, 1e-12, EXPECT_GPU, FALSE);
      g_free (what);
      ovi_model_unref (m);
    }
  for (int fmod = 0; fmod < 2; fmod++) {
    OviGraph *g = ovi_graph_new ();
    int in[2], y;
    OviModel *m;
    in[0] = add_input (g, "a", 3, dims[0]);
    in[1] = add_input (g, "b", 1, dims[2]);
    ovi_node_set_attr_int (add_node (g, "Mod", 2, in, &y), "fmod", fmod);
    m = finish (g, y, 13);
    check_model (fmod ? "Mod fmod=1" : "Mod fmod=0", m, 1e-12, EXPECT_GPU,
        FALSE);
    ovi_model_unref (m);
  }
  {
    OviGraph *g = ovi_graph_new ();
    int x = add_input (g, "x", 3, dims[0]), y;
    OviModel *m;
    ovi_node_set_attr_string (add_node (g, "Gelu", 1, &x, &y),
        "approximate", "tanh");
    m = finish (g, y, 20);
    check_model ("Gelu tanh", m, 1e-10, EXPECT_GPU, FALSE);
    ovi_model_unref (m);
  }
}

/* ---- data movement ---- */

static void
test_transpose (void)
{
  static const int64_t shape[] = { 2, 3, 4, 5 };
  static const int64_t perms[][4] = { { 0, 2, 3, 1 }, { 3, 2, 1, 0 },
    { 1, 0, 2, 3 }, { 0, 1, 2, 3 } };
  SKIP_WITHOUT_GPU ();
  for (guint p = 0; p < G_N_ELEMENTS (perms); p++) {
    OviGraph *g = ovi_graph_new ();
    int x = add_input (g, "x", 4, shape), y;
    OviNode *n = add_node (g, "Transpose", 1, &x, &y);
    OviModel *m;
    char *what = g_strdup_printf ("Transpose perm %d%d%d%d", (int) perms[p][0],
        (int) perms[p][1], (int) perms[p][2], (int) perms[p][3]);
    ovi_node_set_attr_ints (n, "perm", 4, perms[p]);
    m = finish (g, y, 13);
    check_model (what, m, 0, EXPECT_GPU, FALSE);
    g_free (what);
    ovi_model_unref (m);
  }
}

static void
test_slice (void)
{
  static const int64_t shape[] = { 4, 6, 10 };
  static const struct {
    int n;
    int64_t starts[3], ends[3], axes[3], steps[3];
  } cases[] = {
    { 1, { 1 }, { 3 }, { 0 }, { 1 } },
    { 2, { 0, 2 }, { 6, 9 }, { 1, 2 }, { 2, 3 } },
    { 1, { -1 }, { -100 }, { 2 }, { -1 } },
    { 3, { 3, 5, 8 }, { 0, 1, 1 }, { 0, 1, 2 }, { -2, -1, -3 } },
    { 1, { 2 }, { 1000 }, { -1 }, { 1 } },
  };
  SKIP_WITHOUT_GPU ();
  for (guint c = 0; c < G_N_ELEMENTS (cases); c++) {
    OviGraph *g = ovi_graph_new ();
    int64_t len = cases[c].n;
    int in[5], y;
    OviModel *m;
    char *what = g_strdup_printf ("Slice case %u", c);
    in[0] = add_input (g, "x", 3, shape);
    in[1] = add_const (g, "s", OVI_DTYPE_INT64, 1, &len, cases[c].starts);
    in[2] = add_const (g, "e", OVI_DTYPE_INT64, 1, &len, cases[c].ends);
    in[3] = add_const (g, "a", OVI_DTYPE_INT64, 1, &len, cases[c].axes);
    in[4] = add_const (g, "st", OVI_DTYPE_INT64, 1, &len, cases[c].steps);
    add_node (g, "Slice", 5, in, &y);
    m = finish (g, y, 13);
    check_model (what, m, 0, EXPECT_GPU, FALSE);
    g_free (what);
    ovi_model_unref (m);
  }
}

/* Split: its outputs concatenated again in reverse order (the check reads
 * one output, which so depends on every part); split sizes by input
 * (opset 13), attribute (opset 11) and num_outputs (opset 18, uneven). */
static void
test_split (void)
{
  static const struct {
    int opset, rank, axis, parts;
    int64_t x[3];
    int64_t split[3];      /* input or attribute; unused at opset 18 */
  } cases[] = {
    { 13, 3, 1, 2, { 2, 7, 3 }, { 2, 5 } },
    { 11, 2, -1, 3, { 3, 4 }, { 1, 1, 2 } },
    { 18, 2, 0, 3, { 7, 2 }, { 0 } },
  };
  SKIP_WITHOUT_GPU ();
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    OviGraph *g = ovi_graph_new ();
    int in[2], outs[3], rev[3], y, n_in = 1;
    OviNode *n;
    OviModel *m;
    char *sx = shape_str (cases[i].rank, cases[i].x), *what;
    in[0] = add_input (g, "x", cases[i].rank, cases[i].x);
    if (cases[i].opset == 13) {
      int64_t len = cases[i].parts;
      in[1] = add_const (g, "split", OVI_DTYPE_INT64, 1, &len,
          cases[i].split);
      n_in = 2;
    }
    for (int k = 0; k < cases[i].parts; k++) {
      char *name = g_strdup_printf ("part%d", k);
      outs[k] = ovi_graph_add_value (g, name, OVI_DTYPE_UNDEFINED);
      rev[cases[i].parts - 1 - k] = outs[k];
      g_free (name);
    }
    n = ovi_graph_add_node (g, "Split", "split", n_in, in, cases[i].parts,
        outs);
    ovi_node_set_attr_int (n, "axis", cases[i].axis);
    if (cases[i].opset == 11)
      ovi_node_set_attr_ints (n, "split", cases[i].parts, cases[i].split);
    if (cases[i].opset == 18)
      ovi_node_set_attr_int (n, "num_outputs", cases[i].parts);
    ovi_node_set_attr_int (add_node (g, "Concat", cases[i].parts, rev, &y),
        "axis", cases[i].axis);
    m = finish (g, y, cases[i].opset);
    what = g_strdup_printf ("Split opset %d %s axis %d into %d",
        cases[i].opset, sx, cases[i].axis, cases[i].parts);
    check_model (what, m, 0, EXPECT_GPU, FALSE);
    g_free (what);
    g_free (sx);
    ovi_model_unref (m);
  }
}

/* Expand, Tile, DepthToSpace (both modes) and SpaceToDepth: strided
 * copies, exact. */
static void
test_expand_tile_depth (void)
{
  SKIP_WITHOUT_GPU ();
  {
    static const struct {
      int rx, ry;
      int64_t x[3], y[3];
    } cases[] = {
      { 2, 3, { 3, 1 }, { 2, 3, 4 } },
      { 1, 2, { 4 }, { 3, 4 } },
      { 3, 3, { 2, 1, 5 }, { 2, 3, 5 } },
    };
    for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
      OviGraph *g = ovi_graph_new ();
      int64_t len = cases[i].ry;
      int in[2], y;
      OviModel *m;
      char *sx = shape_str (cases[i].rx, cases[i].x);
      char *sy = shape_str (cases[i].ry, cases[i].y);
      char *what = g_strdup_printf ("Expand %s to %s", sx, sy);
      in[0] = add_input (g, "x", cases[i].rx, cases[i].x);
      in[1] = add_const (g, "shape", OVI_DTYPE_INT64, 1, &len, cases[i].y);
      add_node (g, "Expand", 2, in, &y);
      m = finish (g, y, 13);
      check_model (what, m, 0, EXPECT_GPU, FALSE);
      g_free (what);
      g_free (sx);
      g_free (sy);
      ovi_model_unref (m);
    }
  }
  {
    static const struct {
      int rank;
      int64_t x[4], reps[4];
    } cases[] = {
      { 2, { 2, 3 }, { 2, 1 } },
      { 3, { 2, 1, 3 }, { 1, 3, 2 } },
      { 4, { 1, 2, 2, 3 }, { 2, 1, 2, 2 } },
    };
    for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
      OviGraph *g = ovi_graph_new ();
      int64_t len = cases[i].rank;
      int in[2], y;
      OviModel *m;
      char *sx = shape_str (cases[i].rank, cases[i].x);
      char *sr = shape_str (cases[i].rank, cases[i].reps);
      char *what = g_strdup_printf ("Tile %s by %s", sx, sr);
      in[0] = add_input (g, "x", cases[i].rank, cases[i].x);
      in[1] = add_const (g, "repeats", OVI_DTYPE_INT64, 1, &len,
          cases[i].reps);
      add_node (g, "Tile", 2, in, &y);
      m = finish (g, y, 13);
      check_model (what, m, 0, EXPECT_GPU, FALSE);
      g_free (what);
      g_free (sx);
      g_free (sr);
      ovi_model_unref (m);
    }
  }
  {
    static const struct {
      const char *op, *mode;
      int64_t x[4], bs;
    } cases[] = {
      { "DepthToSpace", "DCR", { 2, 8, 2, 3 }, 2 },
      { "DepthToSpace", "CRD", { 1, 18, 2, 2 }, 3 },
      { "SpaceToDepth", NULL, { 2, 3, 4, 6 }, 2 },
    };
    for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
      OviGraph *g = ovi_graph_new ();
      int x = add_input (g, "x", 4, cases[i].x), y;
      OviNode *n = add_node (g, cases[i].op, 1, &x, &y);
      OviModel *m;
      char *sx = shape_str (4, cases[i].x);
      char *what = g_strdup_printf ("%s %s %s blocksize %" G_GINT64_FORMAT,
          cases[i].op, cases[i].mode ? cases[i].mode : "", sx, cases[i].bs);
      ovi_node_set_attr_int (n, "blocksize", cases[i].bs);
      if (cases[i].mode)
        ovi_node_set_attr_string (n, "mode", cases[i].mode);
      m = finish (g, y, 13);
      check_model (what, m, 0, EXPECT_GPU, FALSE);
      g_free (what);
      g_free (sx);
      ovi_model_unref (m);
    }
  }
}

static void
test_concat_reshape (void)
{
  static const int64_t a[] = { 2, 3, 4 }, b[] = { 2, 5, 4 }, c[] = { 2, 1, 4 };
  SKIP_WITHOUT_GPU ();
  for (int axis = -2; axis <= 1; axis += 3) {
    OviGraph *g = ovi_graph_new ();
    int in[3], y;
    OviModel *m;
    in[0] = add_input (g, "a", 3, a);
    in[1] = add_input (g, "b", 3, b);
    in[2] = add_input (g, "c", 3, c);
    ovi_node_set_attr_int (add_node (g, "Concat", 3, in, &y), "axis", axis);
    m = finish (g, y, 13);
    check_model (axis == 1 ? "Concat axis 1" : "Concat axis -2", m, 0,
        EXPECT_GPU, FALSE);
    ovi_model_unref (m);
  }
  {
    /* Relu -> Reshape (an alias of the arena) -> Sigmoid, and Flatten of
     * a graph input (a copy). */
    OviGraph *g = ovi_graph_new ();
    int64_t shape[] = { 4, 6 }, to[] = { 3, 8 };
    int x = add_input (g, "x", 2, shape), r, in[2], s, t, f;
    OviModel *m;
    add_node (g, "Relu", 1, &x, &r);
    in[0] = r;
    in[1] = add_const (g, "shape", OVI_DTYPE_INT64, 1, (int64_t[]) { 2 }, to);
    add_node (g, "Reshape", 2, in, &s);
    add_node (g, "Sigmoid", 1, &s, &t);
    m = finish (g, t, 13);
    check_model ("Relu -> Reshape (alias) -> Sigmoid", m, 1e-10, EXPECT_GPU,
        FALSE);
    ovi_model_unref (m);
    g = ovi_graph_new ();
    x = add_input (g, "x", 2, shape);
    add_node (g, "Flatten", 1, &x, &f);
    m = finish (g, f, 13);
    check_model ("Flatten of an input (copy)", m, 0, EXPECT_GPU, FALSE);
    ovi_model_unref (m);
  }
}

/* ---- Conv ---- */

typedef struct {
  int64_t n, c, h, w, cout, kh, kw, sh, sw, pt, pl, pb, pr, dh, dw, group;
  gboolean bias;
} ConvCase;

static void
test_conv (void)
{
  static const ConvCase cases[] = {
    { 1, 3, 9, 9, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, TRUE },
    { 2, 4, 11, 7, 6, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, FALSE },
    { 1, 8, 10, 10, 16, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, TRUE },   /* 1x1 */
    { 2, 70, 5, 6, 66, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, TRUE },    /* 1x1 */
    { 1, 8, 9, 9, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 8, TRUE },      /* dw */
    { 2, 6, 12, 12, 6, 5, 5, 2, 2, 2, 2, 2, 2, 1, 1, 6, FALSE },   /* dw */
    { 1, 8, 9, 9, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 8, TRUE },     /* x2 */
    { 1, 8, 10, 10, 12, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 4, TRUE },   /* grp */
    { 1, 4, 13, 13, 5, 5, 5, 1, 1, 4, 4, 4, 4, 2, 2, 1, TRUE },    /* dil */
    { 1, 3, 8, 9, 4, 3, 2, 2, 1, 0, 1, 2, 0, 1, 1, 1, TRUE },      /* asym */
    { 1, 3, 32, 32, 70, 7, 7, 2, 2, 3, 3, 3, 3, 1, 1, 1, TRUE },   /* stem */
    { 1, 33, 7, 7, 65, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, TRUE },
    /* Deep K over few tiles: split K (two work groups per compute unit
     * wanted; pocl here has two), through the implicit GEMM, the 1x1
     * GEMM with groups, and a strided grouped implicit GEMM. */
    { 1, 64, 5, 5, 24, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, TRUE },
    { 1, 512, 3, 3, 16, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 2, TRUE },
    { 1, 128, 6, 6, 8, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 2, FALSE },
  };
  static const char *const acts[] = { NULL, "Relu", "Sigmoid", "Clip",
    "HardSwish", "LeakyRelu" };
  SKIP_WITHOUT_GPU ();
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    const ConvCase *c = &cases[i];
    for (int post = 0; post < 4; post++) {
      /* post 0: plain; 1: + activation; 2: + residual; 3: both. */
      const char *act = post & 1 ? acts[1 + i % (G_N_ELEMENTS (acts) - 1)]
          : NULL;
      OviGraph *g = ovi_graph_new ();
      guint32 seed = 99 + i;
      int64_t xd[] = { c->n, c->c, c->h, c->w };
      int64_t wd[] = { c->cout, c->c / c->group, c->kh, c->kw };
      int64_t oh = (c->h + c->pt + c->pb - ((c->kh - 1) * c->dh + 1)) / c->sh
          + 1;
      int64_t ow = (c->w + c->pl + c->pr - ((c->kw - 1) * c->dw + 1)) / c->sw
          + 1;
      int64_t yd[] = { c->n, c->cout, oh, ow };
      int64_t pads[] = { c->pt, c->pl, c->pb, c->pr };
      int64_t strides[] = { c->sh, c->sw }, dil[] = { c->dh, c->dw };
      int in[3], y, out;
      OviNode *n;
      OviModel *m;
      char *what;
      float lo = 0, hi = 0.5f;
      in[0] = add_input (g, "x", 4, xd);
      in[1] = add_random_const (g, "w", 4, wd, &seed);
      if (c->bias)
        in[2] = add_random_const (g, "b", 1, &c->cout, &seed);
      n = add_node (g, "Conv", c->bias ? 3 : 2, in, &y);
      ovi_node_set_attr_ints (n, "pads", 4, pads);
      ovi_node_set_attr_ints (n, "strides", 2, strides);
      ovi_node_set_attr_ints (n, "dilations", 2, dil);
      ovi_node_set_attr_int (n, "group", c->group);
      out = y;
      if (post & 2) {
        int r = add_input (g, "r", 4, yd), ain[2] = { out, r };
        add_node (g, "Add", 2, ain, &out);
      }
      if (act) {
        int ain[3] = { out, -1, -1 };
        int n_ain = 1;
        if (strcmp (act, "Clip") == 0) {
          ain[1] = add_const (g, "lo", OVI_DTYPE_FLOAT32, 0, NULL, &lo);
          ain[2] = add_const (g, "hi", OVI_DTYPE_FLOAT32, 0, NULL, &hi);
          n_ain = 3;
        }
        add_node (g, act, n_ain, ain, &out);
      }
      m = finish (g, out, 14);
      what = g_strdup_printf ("Conv x%" G_GINT64_FORMAT "x%" G_GINT64_FORMAT
          "x%" G_GINT64_FORMAT "x%" G_GINT64_FORMAT " k%" G_GINT64_FORMAT
          "x%" G_GINT64_FORMAT " s%" G_GINT64_FORMAT " g%" G_GINT64_FORMAT
          "%s%s%s", c->n, c->c, c->h, c->w, c->kh, c->kw, c->sh, c->group,
          post & 2 ? " +res" : "", act ? " +" : "", act ? act : "");
      check_model (what, m, 1e-9, EXPECT_GPU, FALSE);
      g_free (what);
      ovi_model_unref (m);
    }
  }
}

/* ---- Gemm, MatMul ---- */

static void
test_gemm (void)
{
  static const struct {
    int64_t m, k, n;
    gboolean ta, tb;
    int c_rank;
    int64_t c[2];
    float alpha, beta;
  } cases[] = {
    { 4, 5, 6, FALSE, FALSE, 0, { 0 }, 1, 1 },
    { 67, 129, 33, FALSE, TRUE, 1, { 33 }, 1, 1 },
    { 64, 64, 64, TRUE, FALSE, 2, { 64, 64 }, 0.5f, 2 },
    { 3, 200, 70, TRUE, TRUE, 2, { 3, 1 }, 1, -1 },
    { 1, 1000, 10, FALSE, TRUE, 2, { 1, 10 }, 1, 1 },
    { 2, 600, 5, TRUE, FALSE, 1, { 5 }, 0.5f, 2 },   /* split K */
  };
  SKIP_WITHOUT_GPU ();
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    OviGraph *g = ovi_graph_new ();
    guint32 seed = 7;
    int64_t ad[] = { cases[i].ta ? cases[i].k : cases[i].m,
      cases[i].ta ? cases[i].m : cases[i].k };
    int64_t bd[] = { cases[i].tb ? cases[i].n : cases[i].k,
      cases[i].tb ? cases[i].k : cases[i].n };
    int in[3], y, n_in = 2;
    OviNode *n;
    OviModel *m;
    char *what;
    in[0] = add_input (g, "a", 2, ad);
    in[1] = add_random_const (g, "b", 2, bd, &seed);
    if (cases[i].c_rank > 0) {
      in[2] = add_random_const (g, "c", cases[i].c_rank, cases[i].c, &seed);
      n_in = 3;
    }
    n = add_node (g, "Gemm", n_in, in, &y);
    ovi_node_set_attr_int (n, "transA", cases[i].ta);
    ovi_node_set_attr_int (n, "transB", cases[i].tb);
    ovi_node_set_attr_float (n, "alpha", cases[i].alpha);
    ovi_node_set_attr_float (n, "beta", cases[i].beta);
    m = finish (g, y, 13);
    what = g_strdup_printf ("Gemm %" G_GINT64_FORMAT "x%" G_GINT64_FORMAT
        "x%" G_GINT64_FORMAT " tA%d tB%d C rank %d", cases[i].m, cases[i].k,
        cases[i].n, cases[i].ta, cases[i].tb, cases[i].c_rank);
    check_model (what, m, 1e-9, EXPECT_GPU, FALSE);
    g_free (what);
    ovi_model_unref (m);
  }
}

static void
test_matmul (void)
{
  static const struct {
    int ra, rb;
    int64_t a[4], b[4];
    Expect expect;
  } cases[] = {
    { 2, 2, { 5, 7 }, { 7, 3 }, EXPECT_GPU },
    { 2, 2, { 65, 130 }, { 130, 67 }, EXPECT_GPU },
    { 4, 2, { 2, 3, 9, 17 }, { 17, 8 }, EXPECT_GPU },
    { 3, 3, { 4, 9, 17 }, { 4, 17, 8 }, EXPECT_GPU },
    { 3, 3, { 1, 9, 17 }, { 4, 17, 8 }, EXPECT_GPU },
    { 4, 4, { 2, 1, 5, 6 }, { 1, 3, 6, 4 }, EXPECT_FALLBACK },
    { 1, 2, { 7 }, { 7, 3 }, EXPECT_FALLBACK },
    { 3, 2, { 3, 4, 300 }, { 300, 5 }, EXPECT_GPU },   /* split K, batched */
    { 2, 2, { 2, 700 }, { 700, 3 }, EXPECT_GPU },
  };
  SKIP_WITHOUT_GPU ();
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    OviGraph *g = ovi_graph_new ();
    int in[2], y;
    OviModel *m;
    char *sa = shape_str (cases[i].ra, cases[i].a);
    char *sb = shape_str (cases[i].rb, cases[i].b);
    char *what = g_strdup_printf ("MatMul %s %s", sa, sb);
    in[0] = add_input (g, "a", cases[i].ra, cases[i].a);
    in[1] = add_input (g, "b", cases[i].rb, cases[i].b);
    add_node (g, "MatMul", 2, in, &y);
    m = finish (g, y, 13);
    check_model (what, m, 1e-9, cases[i].expect, FALSE);
    g_free (what);
    g_free (sa);
    g_free (sb);
    ovi_model_unref (m);
  }
}

/* ---- pooling, Softmax, BatchNormalization ---- */

/* Global pools: planes smaller than the kernel's work group, larger than
 * it by a share that is not a multiple of it, and of one pixel. */
static const int64_t global_shapes[][4] = {
  { 2, 3, 5, 7 }, { 1, 5, 37, 41 }, { 1, 70, 1, 1 },
};

static void
test_pool (void)
{
  static const struct {
    const char *op;
    int64_t k, s, p, ceil, include_pad;
  } cases[] = {
    { "MaxPool", 3, 2, 1, 0, 0 }, { "MaxPool", 2, 2, 0, 1, 0 },
    { "MaxPool", 3, 1, 1, 0, 0 }, { "AveragePool", 3, 2, 1, 0, 0 },
    { "AveragePool", 3, 2, 1, 0, 1 }, { "AveragePool", 2, 2, 0, 1, 0 },
    { "AveragePool", 3, 2, 1, 1, 1 },
    /* No pads attribute (p -1): a ceil_mode window past the end, counted
     * with count_include_pad, must still see end pads of 0. */
    { "AveragePool", 2, 2, -1, 1, 1 }, { "AveragePool", 3, 2, -1, 1, 1 },
  };
  static const int64_t shape[] = { 2, 3, 11, 10 };
  SKIP_WITHOUT_GPU ();
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    OviGraph *g = ovi_graph_new ();
    int x = add_input (g, "x", 4, shape), y;
    OviNode *n = add_node (g, cases[i].op, 1, &x, &y);
    int64_t k[] = { cases[i].k, cases[i].k }, s[] = { cases[i].s, cases[i].s };
    int64_t p[] = { cases[i].p, cases[i].p, cases[i].p, cases[i].p };
    OviModel *m;
    char *what = g_strdup_printf ("%s k%d s%d p%d ceil%d include_pad%d",
        cases[i].op, (int) cases[i].k, (int) cases[i].s, (int) cases[i].p,
        (int) cases[i].ceil, (int) cases[i].include_pad);
    ovi_node_set_attr_ints (n, "kernel_shape", 2, k);
    ovi_node_set_attr_ints (n, "strides", 2, s);
    if (cases[i].p >= 0)
      ovi_node_set_attr_ints (n, "pads", 4, p);
    ovi_node_set_attr_int (n, "ceil_mode", cases[i].ceil);
    if (strcmp (cases[i].op, "AveragePool") == 0)
      ovi_node_set_attr_int (n, "count_include_pad", cases[i].include_pad);
    m = finish (g, y, 13);
    check_model (what, m, 1e-10, EXPECT_GPU, FALSE);
    g_free (what);
    ovi_model_unref (m);
  }
  for (guint i = 0; i < G_N_ELEMENTS (global_shapes); i++) {
    for (int max = 0; max < 2; max++) {
      OviGraph *g = ovi_graph_new ();
      int x = add_input (g, "x", 4, global_shapes[i]), y;
      const int64_t *d = global_shapes[i];
      const char *op = max ? "GlobalMaxPool" : "GlobalAveragePool";
      char *what = g_strdup_printf ("%s [%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT
          ",%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT "]", op, d[0], d[1], d[2],
          d[3]);
      OviModel *m;
      add_node (g, op, 1, &x, &y);
      m = finish (g, y, 13);
      check_model (what, m, 1e-10, EXPECT_GPU, FALSE);
      g_free (what);
      ovi_model_unref (m);
    }
  }
}

static void
test_softmax (void)
{
  static const int64_t shape[] = { 3, 4, 5 };
  SKIP_WITHOUT_GPU ();
  for (int opset = 11; opset <= 13; opset += 2)
    for (int axis = -1; axis <= 2; axis++)
      for (int log = 0; log < 2; log++) {
        OviGraph *g = ovi_graph_new ();
        int x = add_input (g, "x", 3, shape), y;
        OviNode *n = add_node (g, log ? "LogSoftmax" : "Softmax", 1, &x, &y);
        OviModel *m;
        char *what = g_strdup_printf ("%s opset %d axis %d",
            log ? "LogSoftmax" : "Softmax", opset, axis);
        ovi_node_set_attr_int (n, "axis", axis);
        m = finish (g, y, opset);
        check_model (what, m, 1e-10, EXPECT_GPU, FALSE);
        g_free (what);
        ovi_model_unref (m);
      }
}

static void
test_batchnorm (void)
{
  static const int64_t shape[] = { 2, 5, 3, 4 }, c = 5;
  float var[5] = { 0.5f, 1, 2, 0.1f, 3 };
  SKIP_WITHOUT_GPU ();
  {
    OviGraph *g = ovi_graph_new ();
    guint32 seed = 3;
    int in[5], y;
    OviModel *m;
    in[0] = add_input (g, "x", 4, shape);
    in[1] = add_random_const (g, "scale", 1, &c, &seed);
    in[2] = add_random_const (g, "bias", 1, &c, &seed);
    in[3] = add_random_const (g, "mean", 1, &c, &seed);
    in[4] = add_const (g, "var", OVI_DTYPE_FLOAT32, 1, &c, var);
    add_node (g, "BatchNormalization", 5, in, &y);
    m = finish (g, y, 14);
    check_model ("BatchNormalization (not folded)", m, 1e-10, EXPECT_GPU,
        FALSE);
    ovi_model_unref (m);
  }
  {
    /* Statistics as graph inputs (positive, for the variance). */
    OviGraph *g = ovi_graph_new ();
    const char *const names[] = { "x", "scale", "bias", "mean", "var" };
    int in[5], y;
    OviModel *m;
    for (int k = 0; k < 5; k++)
      in[k] = add_input (g, names[k], k ? 1 : 4, k ? &c : shape);
    add_node (g, "BatchNormalization", 5, in, &y);
    m = finish (g, y, 14);
    check_model ("BatchNormalization, statistics at run time", m, 1e-10,
        EXPECT_GPU, TRUE);
    ovi_model_unref (m);
  }
}

/* An op without a GPU kernel runs on the CPU inside the GPU device, with
 * copies around it, between GPU steps. */
/* Resize and Upsample: the GPU samples through the CPU kernel's taps, so
 * the modes must agree; outer axes that resample and tf_crop_and_resize
 * outside the roi stay on the CPU. */
static void
test_resize (void)
{
  static const struct {
    const char *mode, *ctm, *nearest;
    int opset;
    int64_t x[4];
    double scales[4];      /* scales, or sizes when size[0] > 0 */
    int64_t size[4];
    int antialias;
    Expect expect;
  } cases[] = {
    { "nearest", "asymmetric", "floor", 13, { 1, 3, 5, 7 }, { 1, 1, 2, 2 }, { 0 }, 0, EXPECT_GPU },
    { "linear", "half_pixel", NULL, 13, { 2, 3, 5, 7 }, { 1, 1, 2.5, 1.5 }, { 0 }, 0, EXPECT_GPU },
    { "linear", "align_corners", NULL, 13, { 1, 3, 6, 8 }, { 0 }, { 1, 3, 9, 4 }, 0, EXPECT_GPU },
    { "linear", "pytorch_half_pixel", NULL, 13, { 1, 2, 4, 5 }, { 0 }, { 1, 2, 1, 20 }, 0, EXPECT_GPU },
    { "cubic", "half_pixel", NULL, 13, { 1, 2, 8, 10 }, { 1, 1, 0.5, 0.5 }, { 0 }, 0, EXPECT_GPU },
    { "nearest", "half_pixel", "round_prefer_ceil", 13, { 1, 3, 6, 5 }, { 0 }, { 1, 3, 11, 13 }, 0, EXPECT_GPU },
    { "linear", "half_pixel", NULL, 18, { 1, 2, 10, 9 }, { 1, 1, 0.4, 0.6 }, { 0 }, 1, EXPECT_GPU },
    { "nearest", NULL, NULL, 9, { 1, 2, 3, 4 }, { 1, 1, 2, 3 }, { 0 }, 0, EXPECT_GPU },
    { "linear", "half_pixel", NULL, 13, { 1, 2, 3, 4 }, { 1, 2, 1, 1 }, { 0 }, 0, EXPECT_FALLBACK },
    { "linear", "tf_crop_and_resize", NULL, 13, { 1, 2, 6, 6 }, { 0 }, { 1, 2, 5, 5 }, 0, EXPECT_FALLBACK },
  };
  SKIP_WITHOUT_GPU ();
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    OviGraph *g = ovi_graph_new ();
    const int64_t four = 4, eight = 8;
    int in[4] = { -1, -1, -1, -1 }, y, n_in;
    const char *op = cases[i].opset < 10 ? "Upsample" : "Resize";
    OviNode *n;
    OviModel *m;
    char *what;
    in[0] = add_input (g, "x", 4, cases[i].x);
    if (cases[i].opset < 10) {
      float sc[4];
      for (int d = 0; d < 4; d++)
        sc[d] = (float) cases[i].scales[d];
      in[1] = add_const (g, "scales", OVI_DTYPE_FLOAT32, 1, &four, sc);
      n_in = 2;
    } else {
      if (strcmp (cases[i].ctm, "tf_crop_and_resize") == 0) {
        /* Past the input on every side: extrapolation. */
        static const float roi[8] = { 0, 0, -0.2f, -0.2f, 1, 1, 1.2f, 1.2f };
        in[1] = add_const (g, "roi", OVI_DTYPE_FLOAT32, 1, &eight, roi);
      }
      if (cases[i].size[0] > 0) {
        in[3] = add_const (g, "sizes", OVI_DTYPE_INT64, 1, &four,
            cases[i].size);
        n_in = 4;
      } else {
        float sc[4];
        for (int d = 0; d < 4; d++)
          sc[d] = (float) cases[i].scales[d];
        in[2] = add_const (g, "scales", OVI_DTYPE_FLOAT32, 1, &four, sc);
        n_in = 3;
      }
    }
    n = add_node (g, op, n_in, in, &y);
    ovi_node_set_attr_string (n, "mode", cases[i].mode);
    if (cases[i].ctm)
      ovi_node_set_attr_string (n, "coordinate_transformation_mode",
          cases[i].ctm);
    if (cases[i].nearest)
      ovi_node_set_attr_string (n, "nearest_mode", cases[i].nearest);
    if (cases[i].antialias)
      ovi_node_set_attr_int (n, "antialias", 1);
    m = finish (g, y, cases[i].opset);
    what = g_strdup_printf ("%s %s %s opset %d [%" G_GINT64_FORMAT ",%"
        G_GINT64_FORMAT ",%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT "]%s", op,
        cases[i].mode, cases[i].ctm ? cases[i].ctm : "", cases[i].opset,
        cases[i].x[0], cases[i].x[1], cases[i].x[2], cases[i].x[3],
        cases[i].antialias ? " antialias" : "");
    check_model (what, m, 1e-10, cases[i].expect, FALSE);
    g_free (what);
    ovi_model_unref (m);
  }
}

/* Reductions: axes by attribute or constant input, adjacent and not,
 * short (one work item per output) and long (a work group per output). */
static void
test_reduce (void)
{
  static const struct {
    const char *op;
    int opset, rank;
    int64_t x[4];
    int n_axes;            /* -1: no axes (all) */
    int64_t axes[3];
    gboolean axes_input, keepdims, noop;
    Expect expect;
  } cases[] = {
    { "ReduceMean", 13, 4, { 2, 5, 9, 11 }, 2, { 2, 3 }, FALSE, TRUE, FALSE, EXPECT_GPU },
    { "ReduceSum", 13, 3, { 3, 4, 5 }, 1, { 1 }, FALSE, FALSE, FALSE, EXPECT_GPU },
    { "ReduceMax", 13, 2, { 3, 70 }, -1, { 0 }, FALSE, TRUE, FALSE, EXPECT_GPU },
    { "ReduceMin", 13, 3, { 4, 3, 5 }, 2, { 0, 2 }, FALSE, TRUE, FALSE, EXPECT_GPU },
    { "ReduceSumSquare", 13, 2, { 6, 130 }, 1, { -1 }, FALSE, FALSE, FALSE, EXPECT_GPU },
    { "ReduceL1", 13, 4, { 2, 3, 4, 5 }, 2, { 1, 2 }, FALSE, TRUE, FALSE, EXPECT_GPU },
    { "ReduceL2", 13, 2, { 200, 3 }, 1, { 0 }, FALSE, TRUE, FALSE, EXPECT_GPU },
    { "ReduceSum", 13, 3, { 2, 3, 80 }, 1, { -1 }, TRUE, TRUE, FALSE, EXPECT_GPU },
    { "ReduceMean", 18, 3, { 2, 90, 3 }, 1, { 1 }, TRUE, FALSE, FALSE, EXPECT_GPU },
    { "ReduceMean", 18, 2, { 3, 4 }, 0, { 0 }, TRUE, TRUE, TRUE, EXPECT_FALLBACK },
    { "ReduceProd", 13, 2, { 3, 4 }, 1, { 1 }, FALSE, TRUE, FALSE, EXPECT_GPU },
    { "ReduceProd", 13, 3, { 2, 90, 3 }, 1, { 1 }, FALSE, TRUE, FALSE, EXPECT_GPU },
    { "ReduceLogSum", 13, 3, { 4, 3, 5 }, 2, { 0, 2 }, FALSE, TRUE, FALSE, EXPECT_GPU },
    { "ReduceLogSum", 13, 2, { 3, 300 }, 1, { 1 }, FALSE, FALSE, FALSE, EXPECT_GPU },
    { "ReduceLogSumExp", 13, 3, { 4, 3, 5 }, 2, { 0, 2 }, FALSE, TRUE, FALSE, EXPECT_GPU },
    { "ReduceLogSumExp", 13, 2, { 3, 300 }, 1, { 1 }, FALSE, FALSE, FALSE, EXPECT_GPU },
  };
  SKIP_WITHOUT_GPU ();
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    OviGraph *g = ovi_graph_new ();
    int in[2], y, n_in = 1;
    OviNode *n;
    OviModel *m;
    char *sx = shape_str (cases[i].rank, cases[i].x), *what;
    in[0] = add_input (g, "x", cases[i].rank, cases[i].x);
    if (cases[i].axes_input) {
      int64_t len = cases[i].n_axes;
      in[1] = add_const (g, "axes", OVI_DTYPE_INT64, 1, &len, cases[i].axes);
      n_in = 2;
    }
    n = add_node (g, cases[i].op, n_in, in, &y);
    if (!cases[i].axes_input && cases[i].n_axes > 0)
      ovi_node_set_attr_ints (n, "axes", cases[i].n_axes, cases[i].axes);
    ovi_node_set_attr_int (n, "keepdims", cases[i].keepdims);
    if (cases[i].noop)
      ovi_node_set_attr_int (n, "noop_with_empty_axes", 1);
    m = finish (g, y, cases[i].opset);
    what = g_strdup_printf ("%s opset %d %s, %d axes%s", cases[i].op,
        cases[i].opset, sx, cases[i].n_axes,
        cases[i].axes_input ? " (input)" : "");
    check_model (what, m, 1e-10, cases[i].expect,
        strcmp (cases[i].op, "ReduceLogSum") == 0);
    g_free (what);
    g_free (sx);
    ovi_model_unref (m);
  }
}

/* LayerNormalization: rows of various lengths around the kernel's work
 * group, scale over the whole normalized shape, one bias for all, no
 * bias; with its Mean output wanted it stays on the CPU. */
static void
test_layernorm (void)
{
  static const struct {
    int rank, axis;
    int64_t x[3];
    int scale_rank;
    int64_t scale[2];
    int bias;              /* 0 none, 1 per column, 2 one value */
    int stats;             /* output checked: 0 Y, 1 Mean, 2 InvStdDev */
    gboolean run_time;     /* scale and bias as graph inputs */
  } cases[] = {
    { 3, -1, { 2, 3, 70 }, 1, { 70 }, 1, 0, FALSE },
    { 3, 1, { 4, 5, 6 }, 2, { 5, 6 }, 2, 0, FALSE },
    { 2, 1, { 3, 200 }, 1, { 200 }, 0, 0, FALSE },
    { 2, 1, { 6, 9 }, 1, { 9 }, 1, 1, FALSE },
    { 3, 1, { 2, 7, 9 }, 2, { 7, 9 }, 1, 2, FALSE },
    { 3, -1, { 2, 3, 70 }, 1, { 70 }, 1, 0, TRUE },
    { 3, 2, { 5, 4, 33 }, 1, { 33 }, 1, 2, TRUE },
  };
  SKIP_WITHOUT_GPU ();
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    OviGraph *g = ovi_graph_new ();
    guint32 seed = 41 + i;
    int in[3], outs[3], n_in = 2, n_out = 1;
    OviNode *n;
    OviModel *m;
    char *sx = shape_str (cases[i].rank, cases[i].x), *what;
    in[0] = add_input (g, "x", cases[i].rank, cases[i].x);
    if (cases[i].run_time)
      in[1] = add_input (g, "scale", cases[i].scale_rank, cases[i].scale);
    else
      in[1] = add_random_const (g, "scale", cases[i].scale_rank,
          cases[i].scale, &seed);
    if (cases[i].bias == 1) {
      if (cases[i].run_time)
        in[2] = add_input (g, "bias", cases[i].scale_rank, cases[i].scale);
      else
        in[2] = add_random_const (g, "bias", cases[i].scale_rank,
            cases[i].scale, &seed);
      n_in = 3;
    } else if (cases[i].bias == 2) {
      const int64_t one = 1;
      in[2] = add_random_const (g, "bias", 1, &one, &seed);
      n_in = 3;
    }
    outs[0] = ovi_graph_add_value (g, "y", OVI_DTYPE_UNDEFINED);
    if (cases[i].stats) {
      outs[1] = ovi_graph_add_value (g, "mean", OVI_DTYPE_UNDEFINED);
      outs[2] = ovi_graph_add_value (g, "inv", OVI_DTYPE_UNDEFINED);
      n_out = cases[i].stats + 1;
    }
    n = ovi_graph_add_node (g, "LayerNormalization", "ln", n_in, in, n_out,
        outs);
    ovi_node_set_attr_int (n, "axis", cases[i].axis);
    ovi_node_set_attr_float (n, "epsilon", 1e-3f);
    m = finish (g, outs[cases[i].stats], 17);
    what = g_strdup_printf ("LayerNormalization %s axis %d%s%s", sx,
        cases[i].axis, cases[i].stats == 1 ? ", its Mean"
        : cases[i].stats == 2 ? ", its InvStdDev" : "",
        cases[i].run_time ? ", scale at run time" : "");
    check_model (what, m, 1e-10, EXPECT_GPU, FALSE);
    g_free (what);
    g_free (sx);
    ovi_model_unref (m);
  }
}

static void
test_block_norm (void)
{
  static const struct {
    const char *op;
    int groups, params, opset;
    int64_t x[4];
  } cases[] = {
    { "InstanceNormalization", 0, 6, 6, { 2, 6, 5, 7 } },
    { "InstanceNormalization", 0, 3, 6, { 1, 3, 300, 1 } },
    { "GroupNormalization", 3, 3, 18, { 2, 6, 5, 7 } },
    { "GroupNormalization", 2, 6, 21, { 2, 6, 4, 9 } },
    { "GroupNormalization", 1, 4, 21, { 3, 4, 8, 8 } },
  };
  SKIP_WITHOUT_GPU ();
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    OviGraph *g = ovi_graph_new ();
    guint32 seed = 7 + i;
    int64_t p = cases[i].params;
    int in[3], y;
    OviNode *n;
    OviModel *m;
    char *sx = shape_str (4, cases[i].x), *what;
    in[0] = add_input (g, "x", 4, cases[i].x);
    in[1] = add_random_const (g, "scale", 1, &p, &seed);
    in[2] = add_random_const (g, "bias", 1, &p, &seed);
    n = add_node (g, cases[i].op, 3, in, &y);
    if (cases[i].groups)
      ovi_node_set_attr_int (n, "num_groups", cases[i].groups);
    ovi_node_set_attr_float (n, "epsilon", 1e-3f);
    m = finish (g, y, cases[i].opset);
    what = g_strdup_printf ("%s %s groups %d, %d scales", cases[i].op, sx,
        cases[i].groups, cases[i].params);
    check_model (what, m, 1e-10, EXPECT_GPU, FALSE);
    g_free (what);
    g_free (sx);
    ovi_model_unref (m);
  }
}

/* 1-D Conv, MaxPool and AveragePool, which run as 2-D ones of height 1. */
static void
test_1d (void)
{
  static const struct {
    int64_t c, l, cout, k, s, d, p0, p1, group;
  } convs[] = {
    { 3, 20, 8, 3, 1, 1, 1, 1, 1 },
    { 4, 33, 6, 5, 2, 1, 2, 1, 2 },
    { 6, 17, 6, 3, 1, 2, 2, 2, 6 },      /* depthwise, dilated */
    { 16, 9, 24, 1, 1, 1, 0, 0, 1 },     /* 1x1 */
  };
  SKIP_WITHOUT_GPU ();
  for (guint i = 0; i < G_N_ELEMENTS (convs); i++) {
    OviGraph *g = ovi_graph_new ();
    guint32 seed = 5 + i;
    int64_t xd[] = { 2, convs[i].c, convs[i].l };
    int64_t wd[] = { convs[i].cout, convs[i].c / convs[i].group, convs[i].k };
    int64_t pads[] = { convs[i].p0, convs[i].p1 };
    int in[3], y;
    OviNode *n;
    OviModel *m;
    char *what;
    in[0] = add_input (g, "x", 3, xd);
    in[1] = add_random_const (g, "w", 3, wd, &seed);
    in[2] = add_random_const (g, "b", 1, &convs[i].cout, &seed);
    n = add_node (g, "Conv", 3, in, &y);
    ovi_node_set_attr_ints (n, "pads", 2, pads);
    ovi_node_set_attr_ints (n, "strides", 1, &convs[i].s);
    ovi_node_set_attr_ints (n, "dilations", 1, &convs[i].d);
    ovi_node_set_attr_int (n, "group", convs[i].group);
    m = finish (g, y, 14);
    what = g_strdup_printf ("Conv1d c%" G_GINT64_FORMAT " l%" G_GINT64_FORMAT
        " k%" G_GINT64_FORMAT " s%" G_GINT64_FORMAT " g%" G_GINT64_FORMAT,
        convs[i].c, convs[i].l, convs[i].k, convs[i].s, convs[i].group);
    check_model (what, m, 1e-10, EXPECT_GPU, FALSE);
    g_free (what);
    ovi_model_unref (m);
  }
  for (int is_max = 0; is_max < 2; is_max++)
    for (int v = 0; v < 2; v++) {
      OviGraph *g = ovi_graph_new ();
      int64_t xd[] = { 2, 3, 19 }, k = 3 + v, s = 1 + v, pads[] = { 1, v };
      int x = add_input (g, "x", 3, xd), y;
      OviNode *n = add_node (g, is_max ? "MaxPool" : "AveragePool", 1, &x,
          &y);
      OviModel *m;
      char *what;
      ovi_node_set_attr_ints (n, "kernel_shape", 1, &k);
      ovi_node_set_attr_ints (n, "strides", 1, &s);
      ovi_node_set_attr_ints (n, "pads", 2, pads);
      if (v)
        ovi_node_set_attr_int (n, "ceil_mode", 1);
      m = finish (g, y, 12);
      what = g_strdup_printf ("%s1d k%" G_GINT64_FORMAT " s%" G_GINT64_FORMAT
          "%s", is_max ? "MaxPool" : "AveragePool", k, s,
          v ? " ceil" : "");
      check_model (what, m, 1e-12, EXPECT_GPU, FALSE);
      g_free (what);
      ovi_model_unref (m);
    }
}

/* CumSum in its four modes along each axis; Hardmax before and from
 * opset 13 (coerced to 2-D, one axis). */
static void
test_cumsum_hardmax (void)
{
  static const int64_t shape[] = { 3, 4, 5 };
  SKIP_WITHOUT_GPU ();
  for (int64_t axis = -1; axis < 3; axis++)
    for (int mode = 0; mode < 4; mode++) {
      OviGraph *g = ovi_graph_new ();
      int in[2], y;
      OviNode *n;
      OviModel *m;
      char *what;
      in[0] = add_input (g, "x", 3, shape);
      in[1] = add_const (g, "axis", OVI_DTYPE_INT64, 0, NULL, &axis);
      n = add_node (g, "CumSum", 2, in, &y);
      ovi_node_set_attr_int (n, "exclusive", mode & 1);
      ovi_node_set_attr_int (n, "reverse", mode >> 1);
      m = finish (g, y, 14);
      what = g_strdup_printf ("CumSum axis %" G_GINT64_FORMAT "%s%s", axis,
          mode & 1 ? " exclusive" : "", mode >> 1 ? " reverse" : "");
      check_model (what, m, 1e-12, EXPECT_GPU, FALSE);
      g_free (what);
      ovi_model_unref (m);
    }
  for (int opset = 11; opset <= 13; opset += 2)
    for (int axis = -1; axis < 3; axis++) {
      OviGraph *g = ovi_graph_new ();
      int x = add_input (g, "x", 3, shape), y;
      OviModel *m;
      char *what;
      ovi_node_set_attr_int (add_node (g, "Hardmax", 1, &x, &y), "axis",
          axis);
      m = finish (g, y, opset);
      what = g_strdup_printf ("Hardmax opset %d axis %d", opset, axis);
      check_model (what, m, 0, EXPECT_GPU, FALSE);
      g_free (what);
      ovi_model_unref (m);
    }
}

/* ConvTranspose: 1-D, 2-D and 3-D, strides, pads, output_padding,
 * dilations, groups, output_shape with SAME_LOWER, with and without
 * bias. */
static void
test_conv_transpose (void)
{
  static const struct {
    int nsp;
    int64_t c, m, group, in[3], k[3], s[3], d[3], pads[6], opad[3];
    gboolean bias, same, run_time;
  } cases[] = {
    { 2, 4, 6, 1, { 5, 6 }, { 3, 3 }, { 2, 2 }, { 1, 1 },
      { 1, 1, 1, 1 }, { 1, 1 }, TRUE },
    { 2, 6, 4, 2, { 4, 4 }, { 2, 2 }, { 2, 2 }, { 1, 1 },
      { 0, 0, 0, 0 }, { 0, 0 }, FALSE },
    { 2, 3, 5, 1, { 5, 4 }, { 3, 2 }, { 1, 2 }, { 2, 1 },
      { 2, 0, 1, 1 }, { 0, 1 }, TRUE },
    { 1, 5, 3, 1, { 11 }, { 4 }, { 3 }, { 1 }, { 1, 2 }, { 2 }, TRUE },
    { 3, 2, 3, 1, { 3, 4, 3 }, { 2, 3, 2 }, { 2, 1, 2 }, { 1, 1, 1 },
      { 0, 1, 0, 0, 1, 0 }, { 0, 0, 1 }, TRUE },
    { 2, 4, 4, 4, { 6, 6 }, { 3, 3 }, { 2, 2 }, { 1, 1 },
      { 0 }, { 0 }, TRUE, TRUE },
    { 2, 4, 6, 1, { 5, 6 }, { 3, 3 }, { 2, 2 }, { 1, 1 },
      { 1, 1, 1, 1 }, { 1, 1 }, TRUE, FALSE, TRUE },
  };
  SKIP_WITHOUT_GPU ();
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    OviGraph *g = ovi_graph_new ();
    guint32 seed = 77 + i;
    int nsp = cases[i].nsp, in[3], y;
    int64_t xd[5] = { 2, cases[i].c }, wd[5] = { cases[i].c,
      cases[i].m / cases[i].group };
    OviNode *n;
    OviModel *m;
    char *what;
    for (int a = 0; a < nsp; a++) {
      xd[a + 2] = cases[i].in[a];
      wd[a + 2] = cases[i].k[a];
    }
    in[0] = add_input (g, "x", nsp + 2, xd);
    if (cases[i].run_time)
      in[1] = add_input (g, "w", nsp + 2, wd);
    else
      in[1] = add_random_const (g, "w", nsp + 2, wd, &seed);
    if (cases[i].bias)
      in[2] = add_random_const (g, "b", 1, &cases[i].m, &seed);
    n = add_node (g, "ConvTranspose", cases[i].bias ? 3 : 2, in, &y);
    ovi_node_set_attr_ints (n, "strides", nsp, cases[i].s);
    ovi_node_set_attr_ints (n, "dilations", nsp, cases[i].d);
    ovi_node_set_attr_int (n, "group", cases[i].group);
    if (cases[i].same) {
      int64_t os[3];
      for (int a = 0; a < nsp; a++)
        os[a] = cases[i].in[a] * cases[i].s[a];
      ovi_node_set_attr_string (n, "auto_pad", "SAME_LOWER");
      ovi_node_set_attr_ints (n, "output_shape", nsp, os);
    } else {
      ovi_node_set_attr_ints (n, "pads", 2 * nsp, cases[i].pads);
      ovi_node_set_attr_ints (n, "output_padding", nsp, cases[i].opad);
    }
    m = finish (g, y, 14);
    what = g_strdup_printf ("ConvTranspose %dd c%" G_GINT64_FORMAT " m%"
        G_GINT64_FORMAT " g%" G_GINT64_FORMAT "%s%s", nsp, cases[i].c,
        cases[i].m, cases[i].group, cases[i].same ? " SAME_LOWER" : "",
        cases[i].run_time ? ", weights at run time" : "");
    check_model (what, m, 1e-10, EXPECT_GPU, FALSE);
    g_free (what);
    ovi_model_unref (m);
  }
}

/* LpPool (p 1, 2, 3; 1-D and 2-D), GlobalLpPool, LRN (odd and even
 * window sizes). */
static void
test_lp_lrn (void)
{
  static const int64_t shape[] = { 2, 5, 9, 8 }, shape1[] = { 2, 3, 19 };
  SKIP_WITHOUT_GPU ();
  for (int p = 1; p <= 3; p++)
    for (int rank = 3; rank <= 4; rank++) {
      OviGraph *g = ovi_graph_new ();
      int x = add_input (g, "x", rank, rank == 4 ? shape : shape1), y;
      int64_t k[] = { 3, 2 }, st[] = { 2, 1 }, pads[] = { 1, 0, 1, 1 };
      OviNode *n = add_node (g, "LpPool", 1, &x, &y);
      OviModel *m;
      char *what;
      ovi_node_set_attr_ints (n, "kernel_shape", rank - 2, k);
      ovi_node_set_attr_ints (n, "strides", rank - 2, st);
      ovi_node_set_attr_ints (n, "pads", 2 * (rank - 2), pads);
      ovi_node_set_attr_int (n, "p", p);
      m = finish (g, y, 18);
      what = g_strdup_printf ("LpPool %dd p %d", rank - 2, p);
      check_model (what, m, 1e-10, EXPECT_GPU, FALSE);
      g_free (what);
      ovi_model_unref (m);
    }
  for (int p = 1; p <= 3; p++) {
    OviGraph *g = ovi_graph_new ();
    int x = add_input (g, "x", 4, shape), y;
    OviModel *m;
    char *what = g_strdup_printf ("GlobalLpPool p %d", p);
    ovi_node_set_attr_int (add_node (g, "GlobalLpPool", 1, &x, &y), "p", p);
    m = finish (g, y, 18);
    check_model (what, m, 1e-10, EXPECT_GPU, FALSE);
    g_free (what);
    ovi_model_unref (m);
  }
  for (int size = 2; size <= 5; size += 3) {
    OviGraph *g = ovi_graph_new ();
    int x = add_input (g, "x", 4, shape), y;
    OviNode *n = add_node (g, "LRN", 1, &x, &y);
    OviModel *m;
    char *what = g_strdup_printf ("LRN size %d", size);
    ovi_node_set_attr_int (n, "size", size);
    ovi_node_set_attr_float (n, "alpha", 0.02f);
    ovi_node_set_attr_float (n, "bias", 2.0f);
    m = finish (g, y, 13);
    check_model (what, m, 1e-10, EXPECT_GPU, FALSE);
    g_free (what);
    ovi_model_unref (m);
  }
}

/* MeanVarianceNormalization over its default axes and others. */
static void
test_mvn (void)
{
  static const int64_t shape[] = { 2, 3, 5, 7 };
  static const struct {
    int n;
    int64_t axes[3];
  } cases[] = { { -1 }, { 1, { 1 } }, { 2, { 2, 3 } }, { 1, { -1 } },
    { 3, { 0, 1, 3 } } };
  SKIP_WITHOUT_GPU ();
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    OviGraph *g = ovi_graph_new ();
    int x = add_input (g, "x", 4, shape), y;
    OviNode *n = add_node (g, "MeanVarianceNormalization", 1, &x, &y);
    OviModel *m;
    char *what = g_strdup_printf ("MeanVarianceNormalization case %u", i);
    if (cases[i].n > 0)
      ovi_node_set_attr_ints (n, "axes", cases[i].n, cases[i].axes);
    m = finish (g, y, 13);
    check_model (what, m, 1e-10, EXPECT_GPU, FALSE);
    g_free (what);
    ovi_model_unref (m);
  }
}

/* 3-D Conv (the direct kernel): strides, dilations, groups, pads, bias,
 * and the fused residual and activation. */
static void
test_conv_3d (void)
{
  static const struct {
    int64_t c, m, group, in[3], k[3], s[3], d[3], pads[6];
    gboolean bias, post;
  } cases[] = {
    { 3, 4, 1, { 5, 6, 7 }, { 3, 3, 3 }, { 1, 1, 1 }, { 1, 1, 1 },
      { 1, 1, 1, 1, 1, 1 }, TRUE, FALSE },
    { 4, 6, 2, { 6, 5, 8 }, { 2, 3, 1 }, { 2, 1, 2 }, { 1, 2, 1 },
      { 0, 1, 0, 1, 2, 0 }, FALSE, FALSE },
    { 2, 3, 1, { 4, 4, 4 }, { 3, 1, 3 }, { 1, 1, 1 }, { 1, 1, 1 },
      { 1, 0, 1, 1, 0, 1 }, TRUE, TRUE },
  };
  SKIP_WITHOUT_GPU ();
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    OviGraph *g = ovi_graph_new ();
    guint32 seed = 31 + i;
    int64_t xd[5] = { 2, cases[i].c }, wd[5] = { cases[i].m,
      cases[i].c / cases[i].group };
    int in[3], y, out;
    OviNode *n;
    OviModel *m;
    char *what;
    for (int a = 0; a < 3; a++) {
      xd[a + 2] = cases[i].in[a];
      wd[a + 2] = cases[i].k[a];
    }
    in[0] = add_input (g, "x", 5, xd);
    in[1] = add_random_const (g, "w", 5, wd, &seed);
    if (cases[i].bias)
      in[2] = add_random_const (g, "b", 1, &cases[i].m, &seed);
    n = add_node (g, "Conv", cases[i].bias ? 3 : 2, in, &y);
    ovi_node_set_attr_ints (n, "strides", 3, cases[i].s);
    ovi_node_set_attr_ints (n, "dilations", 3, cases[i].d);
    ovi_node_set_attr_ints (n, "pads", 6, cases[i].pads);
    ovi_node_set_attr_int (n, "group", cases[i].group);
    out = y;
    if (cases[i].post) {
      /* A residual of the output's shape, then Relu: both fused. */
      int64_t yd[5] = { 2, cases[i].m, 4, 4, 4 };
      int r = add_input (g, "r", 5, yd), ain[2] = { out, r }, sum;
      add_node (g, "Add", 2, ain, &sum);
      add_node (g, "Relu", 1, &sum, &out);
    }
    m = finish (g, out, 14);
    what = g_strdup_printf ("Conv3d c%" G_GINT64_FORMAT " m%" G_GINT64_FORMAT
        " g%" G_GINT64_FORMAT "%s", cases[i].c, cases[i].m, cases[i].group,
        cases[i].post ? " + residual + Relu" : "");
    check_model (what, m, 1e-10, EXPECT_GPU, FALSE);
    g_free (what);
    ovi_model_unref (m);
  }
}

/* 3-D MaxPool, AveragePool (with and without counting pads, ceil_mode)
 * and LpPool. */
static void
test_pool_3d (void)
{
  static const struct {
    const char *op;
    int64_t k, s, p, ceil, include_pad;
  } cases[] = {
    { "MaxPool", 3, 2, 1, 0, 0 }, { "MaxPool", 2, 2, 0, 1, 0 },
    { "AveragePool", 3, 2, 1, 0, 0 }, { "AveragePool", 3, 2, 1, 1, 1 },
    { "AveragePool", 2, 2, -1, 1, 1 }, { "LpPool", 2, 1, 1, 0, 0 },
  };
  static const int64_t shape[] = { 2, 3, 7, 6, 5 };
  SKIP_WITHOUT_GPU ();
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    OviGraph *g = ovi_graph_new ();
    int x = add_input (g, "x", 5, shape), y;
    OviNode *n = add_node (g, cases[i].op, 1, &x, &y);
    int64_t k[3] = { cases[i].k, cases[i].k, cases[i].k - (i % 2) };
    int64_t st[3] = { cases[i].s, 1, cases[i].s };
    int64_t p[6];
    OviModel *m;
    char *what = g_strdup_printf ("%s 3d k%d s%d p%d ceil%d include_pad%d",
        cases[i].op, (int) cases[i].k, (int) cases[i].s, (int) cases[i].p,
        (int) cases[i].ceil, (int) cases[i].include_pad);
    for (int a = 0; a < 6; a++)
      p[a] = cases[i].p;
    ovi_node_set_attr_ints (n, "kernel_shape", 3, k);
    ovi_node_set_attr_ints (n, "strides", 3, st);
    if (cases[i].p >= 0)
      ovi_node_set_attr_ints (n, "pads", 6, p);
    if (strcmp (cases[i].op, "LpPool") != 0)
      ovi_node_set_attr_int (n, "ceil_mode", cases[i].ceil);
    if (strcmp (cases[i].op, "AveragePool") == 0)
      ovi_node_set_attr_int (n, "count_include_pad", cases[i].include_pad);
    m = finish (g, y, 18);
    check_model (what, m, 1e-10, EXPECT_GPU, FALSE);
    g_free (what);
    ovi_model_unref (m);
  }
}

/* Einsum: matrix and batched products, a transpose, a trace, a sum over
 * an axis, an outer product, a diagonal, three operands, and "...". */
static void
test_einsum (void)
{
  static const struct {
    const char *eq;
    int n;
    int ranks[3];
    int64_t dims[3][4];
  } cases[] = {
    { "ij,jk->ik", 2, { 2, 2 }, { { 5, 7 }, { 7, 3 } } },
    { "bhqd,bhkd->bhqk", 2, { 4, 4 }, { { 2, 3, 5, 8 }, { 2, 3, 6, 8 } } },
    { "abc->acb", 1, { 3 }, { { 2, 3, 4 } } },
    { "ii->", 1, { 2 }, { { 5, 5 } } },
    { "ij->j", 1, { 2 }, { { 6, 4 } } },
    { "i,j->ij", 2, { 1, 1 }, { { 5 }, { 3 } } },
    { "ii->i", 1, { 2 }, { { 4, 4 } } },
    { "ij,jk,kl->il", 3, { 2, 2, 2 }, { { 3, 4 }, { 4, 5 }, { 5, 2 } } },
    { "...ij,...jk->...ik", 2, { 3, 3 }, { { 2, 3, 4 }, { 2, 4, 5 } } },
  };
  SKIP_WITHOUT_GPU ();
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    OviGraph *g = ovi_graph_new ();
    int in[3], y;
    OviModel *m;
    char *what;
    for (int k = 0; k < cases[i].n; k++)
      in[k] = add_input (g, k == 0 ? "a" : k == 1 ? "b" : "c",
          cases[i].ranks[k], cases[i].dims[k]);
    ovi_node_set_attr_string (add_node (g, "Einsum", cases[i].n, in, &y),
        "equation", cases[i].eq);
    m = finish (g, y, 12);
    what = g_strdup_printf ("Einsum %s", cases[i].eq);
    check_model (what, m, 1e-10, EXPECT_GPU, FALSE);
    g_free (what);
    ovi_model_unref (m);
  }
}

/* GridSample: every mode, padding and align_corners, with grid points
 * from -3 to 3 (well outside the border), under both opsets' names. */
static void
test_grid_sample (void)
{
  static const int64_t xs[] = { 2, 3, 5, 6 }, gs[] = { 2, 4, 7, 2 };
  static const char *const modes16[] = { "bilinear", "nearest", "bicubic" };
  static const char *const modes20[] = { "linear", "nearest", "cubic" };
  static const char *const pads[] = { "zeros", "border", "reflection" };
  SKIP_WITHOUT_GPU ();
  for (int opset = 16; opset <= 20; opset += 4)
    for (int mo = 0; mo < 3; mo++)
      for (int pa = 0; pa < 3; pa++)
        for (int al = 0; al < 2; al++) {
          OviGraph *g = ovi_graph_new ();
          int in[2], y;
          OviNode *n;
          OviModel *m;
          const char *mode = opset == 16 ? modes16[mo] : modes20[mo];
          char *what = g_strdup_printf ("GridSample %s %s align %d opset %d",
              mode, pads[pa], al, opset);
          in[0] = add_input (g, "x", 4, xs);
          in[1] = add_input (g, "grid", 4, gs);
          n = add_node (g, "GridSample", 2, in, &y);
          ovi_node_set_attr_string (n, "mode", mode);
          ovi_node_set_attr_string (n, "padding_mode", pads[pa]);
          ovi_node_set_attr_int (n, "align_corners", al);
          m = finish (g, y, opset);
          check_model (what, m, 1e-10, EXPECT_GPU, FALSE);
          g_free (what);
          ovi_model_unref (m);
        }
}

/* RoiAlign: boxes inside, across and outside the picture, an empty one,
 * both modes, a fixed and an adaptive sampling ratio, both coordinate
 * modes (opset 16) and opset 10's. */
static void
test_roi_align (void)
{
  static const int64_t xs[] = { 2, 3, 10, 12 }, rs[] = { 5, 4 }, bs[] = { 5 };
  static const float rois[] = { 0, 0, 9, 9, 1.5f, 2.2f, 7.9f, 8.1f,
    -2, -1, 4, 3, 3, 3, 20, 14, 5, 5, 5, 5 };
  static const int64_t batch[] = { 0, 1, 1, 0, 1 };
  static const struct {
    const char *mode, *coords;
    int ratio, opset;
    float scale;
  } cases[] = {
    { "avg", "half_pixel", 0, 16, 1.0f },
    { "avg", "output_half_pixel", 2, 16, 1.0f },
    { "max", "half_pixel", 2, 16, 0.5f },
    { "max", "output_half_pixel", 0, 16, 1.0f },
    { "avg", NULL, 0, 10, 0.5f },
    { "max", NULL, 3, 10, 1.0f },
  };
  SKIP_WITHOUT_GPU ();
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    OviGraph *g = ovi_graph_new ();
    int in[3], y;
    OviNode *n;
    OviModel *m;
    char *what = g_strdup_printf ("RoiAlign %s %s ratio %d scale %g "
        "opset %d", cases[i].mode, cases[i].coords ? cases[i].coords : "-",
        cases[i].ratio, cases[i].scale, cases[i].opset);
    in[0] = add_input (g, "x", 4, xs);
    in[1] = add_const (g, "rois", OVI_DTYPE_FLOAT32, 2, rs, rois);
    in[2] = add_const (g, "batch", OVI_DTYPE_INT64, 1, bs, batch);
    n = add_node (g, "RoiAlign", 3, in, &y);
    ovi_node_set_attr_string (n, "mode", cases[i].mode);
    if (cases[i].coords)
      ovi_node_set_attr_string (n, "coordinate_transformation_mode",
          cases[i].coords);
    ovi_node_set_attr_int (n, "output_height", 3);
    ovi_node_set_attr_int (n, "output_width", 4);
    ovi_node_set_attr_int (n, "sampling_ratio", cases[i].ratio);
    ovi_node_set_attr_float (n, "spatial_scale", cases[i].scale);
    m = finish (g, y, cases[i].opset);
    check_model (what, m, 1e-10, EXPECT_GPU, FALSE);
    g_free (what);
    ovi_model_unref (m);
  }
}

/* An index read at run time out of range (`op`'s): the inference fails
 * on the CPU and on the GPU, naming the node, and the GPU ran the step
 * itself (its kernel reported it through the status word, whose message
 * says "out of range"; the CPU's own messages vary). */
static void
check_bad_index (OviModel *m, const char *op)
{
  const char *devices[] = { "CPU", "GPU.0" };
  OviTensorView v;
  float *x;
  ovi_model_get_input (m, 0, NULL, &v);
  x = g_new0 (float, ovi_shape_numel (v.rank, v.dims));
  v.data = x;
  for (int d = 0; d < 2; d++) {
    GError *error = NULL;
    OviCompiledModel *cm = ovi_compile (m, devices[d], NULL, &error);
    OviRequest *r;
    g_assert_no_error (error);
    r = ovi_request_new (cm, &error);
    g_assert_true (ovi_request_set_input_by_index (r, 0, &v, &error));
    g_assert_false (ovi_request_infer (r, &error));
    g_assert_error (error, OVI_ERROR, OVI_ERROR_INVALID);
    g_assert_nonnull (strstr (error->message, op));
    g_test_message ("%s: %s", devices[d], error->message);
    if (d == 1) {
      OviPlan *plan;
      g_assert_nonnull (strstr (error->message, "out of range"));
      g_clear_error (&error);
      plan = ovi_compiled_model_get_plan (cm, &v, &error);
      g_assert_no_error (error);
      g_assert_cmpint (ovi_gpu_executable_n_gpu_steps (plan->executable),
          ==, plan->n_steps);
      ovi_plan_unref (plan);
    }
    g_clear_error (&error);
    ovi_request_free (r);
    ovi_compiled_model_unref (cm);
  }
  g_free (x);
}

/* RoiAlign's batch index past the batch, NegativeLogLikelihoodLoss's
 * target past the classes, ReverseSequence's length past the steps. */
static void
test_bad_index (void)
{
  SKIP_WITHOUT_GPU ();
  {
    static const int64_t xs[] = { 2, 3, 10, 12 }, rs[] = { 2, 4 };
    static const int64_t bs[] = { 2 };
    static const float rois[] = { 0, 0, 9, 9, 1, 1, 5, 5 };
    static const int64_t batch[] = { 0, 2 };
    OviGraph *g = ovi_graph_new ();
    int in[3], y;
    OviModel *m;
    in[0] = add_input (g, "x", 4, xs);
    in[1] = add_const (g, "rois", OVI_DTYPE_FLOAT32, 2, rs, rois);
    in[2] = add_const (g, "batch", OVI_DTYPE_INT64, 1, bs, batch);
    add_node (g, "RoiAlign", 3, in, &y);
    m = finish (g, y, 16);
    check_bad_index (m, "RoiAlign");
    ovi_model_unref (m);
  }
  {
    static const int64_t xs[] = { 3, 5 }, ts[] = { 3 };
    static const int64_t targets[] = { 0, 7, 2 };
    OviGraph *g = ovi_graph_new ();
    int in[2], y;
    OviModel *m;
    in[0] = add_input (g, "x", 2, xs);
    in[1] = add_const (g, "t", OVI_DTYPE_INT64, 1, ts, targets);
    add_node (g, "NegativeLogLikelihoodLoss", 2, in, &y);
    m = finish (g, y, 13);
    check_bad_index (m, "NegativeLogLikelihoodLoss");
    ovi_model_unref (m);
  }
  {
    static const int64_t xs[] = { 5, 2, 3 }, ls[] = { 2 };
    static const int64_t lens[] = { 3, 6 };
    OviGraph *g = ovi_graph_new ();
    int in[2], y;
    OviModel *m;
    in[0] = add_input (g, "x", 3, xs);
    in[1] = add_const (g, "lens", OVI_DTYPE_INT64, 1, ls, lens);
    add_node (g, "ReverseSequence", 2, in, &y);
    m = finish (g, y, 10);
    check_bad_index (m, "ReverseSequence");
    ovi_model_unref (m);
  }
}

/* Det over batches of matrices from 1x1 to 17x17, and singular ones (a
 * column zeroed by a mask): the elimination's zero pivot. */
static void
test_det (void)
{
  static const int64_t shapes[][4] = { { 2, 3, 3 }, { 2, 4, 4 },
    { 2, 3, 5, 5 }, { 1, 1 }, { 3, 17, 17 }, { 4, 6, 6 } };
  static const int ranks[] = { 3, 3, 4, 2, 3, 3 };
  SKIP_WITHOUT_GPU ();
  for (guint i = 0; i < G_N_ELEMENTS (shapes); i++) {
    OviGraph *g = ovi_graph_new ();
    int r = ranks[i], x = add_input (g, "x", r, shapes[i]), in, y;
    gboolean singular = i == G_N_ELEMENTS (shapes) - 1;
    char *s = shape_str (r, shapes[i]);
    char *what = g_strdup_printf ("Det %s%s", s, singular ? " singular" : "");
    OviModel *m;
    in = x;
    if (singular) {
      int64_t md[2] = { shapes[i][r - 2], shapes[i][r - 1] };
      float *mask = g_new (float, md[0] * md[1]);
      int ops[2];
      for (int64_t k = 0; k < md[0] * md[1]; k++)
        mask[k] = k % md[1] == 2 ? 0.0f : 1.0f;
      ops[0] = x;
      ops[1] = add_const (g, "mask", OVI_DTYPE_FLOAT32, 2, md, mask);
      add_node (g, "Mul", 2, ops, &in);
      g_free (mask);
    }
    add_node (g, "Det", 1, &in, &y);
    m = finish (g, y, 13);
    check_model (what, m, 1e-9, EXPECT_GPU, FALSE);
    g_free (what);
    g_free (s);
    ovi_model_unref (m);
  }
}

/* RNN, GRU and LSTM: one case per row, each output of the node in turn
 * made the graph's output (Y, Y_h, Y_c), the others left as the node's
 * or absent. A bare case has no B, no initial states and Y alone. */
typedef struct {
  const char *op, *direction;
  int seq, batch, in, hidden, layout, lbr, input_forget, peep, lens;
  float clip;
  const char *acts[6];
  int n_acts, bare;
} RnnCase;

static void
rnn_case (const RnnCase *c, int which)
{
  gboolean lstm = strcmp (c->op, "LSTM") == 0;
  gboolean gru = strcmp (c->op, "GRU") == 0;
  int ng = lstm ? 4 : gru ? 3 : 1;
  int dirs = strcmp (c->direction, "bidirectional") == 0 ? 2 : 1;
  int64_t xd[3] = { c->layout ? c->batch : c->seq,
    c->layout ? c->seq : c->batch, c->in };
  int64_t wd[3] = { dirs, ng * c->hidden, c->in };
  int64_t rd[3] = { dirs, ng * c->hidden, c->hidden };
  int64_t bd[2] = { dirs, 2 * ng * c->hidden }, ld[1] = { c->batch };
  int64_t hd[3] = { c->layout ? c->batch : dirs, c->layout ? dirs : c->batch,
    c->hidden };
  int64_t pd[2] = { dirs, 3 * c->hidden };
  guint32 seed = 99;
  OviGraph *g = ovi_graph_new ();
  int in[8], outs[3], n_in = lstm ? 8 : 6;
  OviNode *n;
  OviModel *m;
  char *what;

  in[0] = add_input (g, "x", 3, xd);
  in[1] = add_random_const (g, "W", 3, wd, &seed);
  in[2] = add_random_const (g, "R", 3, rd, &seed);
  in[3] = c->bare ? -1 : add_random_const (g, "B", 2, bd, &seed);
  if (c->lens) {
    /* All the steps, none, all but one. */
    int32_t *lens = g_new (int32_t, c->batch);
    for (int b = 0; b < c->batch; b++)
      lens[b] = b % 3 == 0 ? c->seq : b % 3 == 1 ? 0 : c->seq - 1;
    in[4] = add_const (g, "lens", OVI_DTYPE_INT32, 1, ld, lens);
    g_free (lens);
  } else {
    in[4] = -1;
  }
  in[5] = c->bare ? -1 : add_input (g, "h0", 3, hd);
  in[6] = c->bare || !lstm ? -1 : add_input (g, "c0", 3, hd);
  in[7] = c->peep ? add_random_const (g, "P", 2, pd, &seed) : -1;
  for (int k = 0; k < 3; k++)
    outs[k] = (k < 2 || lstm)
        ? ovi_graph_add_value (g, k == 0 ? "Y" : k == 1 ? "Y_h" : "Y_c",
            OVI_DTYPE_UNDEFINED) : -1;
  /* With Y_h the graph's output, Y is absent; a bare case has Y alone. */
  if (which == 1)
    outs[0] = -1;
  if (c->bare)
    outs[1] = outs[2] = -1;
  n = ovi_graph_add_node (g, c->op, "rnn", n_in, in, lstm ? 3 : 2, outs);
  ovi_node_set_attr_int (n, "hidden_size", c->hidden);
  ovi_node_set_attr_string (n, "direction", c->direction);
  if (c->layout)
    ovi_node_set_attr_int (n, "layout", 1);
  if (c->lbr)
    ovi_node_set_attr_int (n, "linear_before_reset", 1);
  if (c->input_forget)
    ovi_node_set_attr_int (n, "input_forget", 1);
  if (c->clip > 0)
    ovi_node_set_attr_float (n, "clip", c->clip);
  if (c->n_acts) {
    static const float alphas[] = { 0.3f, 0.7f }, betas[] = { 0.4f };
    OviAttr *a = ovi_node_add_attr (n, "activations", OVI_ATTR_STRINGS);
    a->n = c->n_acts;
    a->strings = g_new0 (char *, c->n_acts + 1);
    for (int k = 0; k < c->n_acts; k++)
      a->strings[k] = g_strdup (c->acts[k]);
    ovi_node_set_attr_floats (n, "activation_alpha", 2, alphas);
    ovi_node_set_attr_floats (n, "activation_beta", 1, betas);
  }
  what = g_strdup_printf ("%s %s seq %d batch %d in %d hidden %d%s%s%s%s%s"
      "%s%s -> %s", c->op, c->direction, c->seq, c->batch, c->in, c->hidden,
      c->layout ? " layout 1" : "", c->lbr ? " linear_before_reset" : "",
      c->input_forget ? " input_forget" : "", c->peep ? " peepholes" : "",
      c->lens ? " lengths" : "", c->bare ? " bare" : "",
      c->clip > 0 ? " clip" : "",
      which == 0 ? "Y" : which == 1 ? "Y_h" : "Y_c");
  m = finish (g, outs[which], 14);
  check_model (what, m, 1e-9, EXPECT_GPU, FALSE);
  g_free (what);
  ovi_model_unref (m);
}

static void
test_rnn (void)
{
  static const RnnCase cases[] = {
    { "RNN", "forward", 4, 2, 3, 5 },
    { "RNN", "bidirectional", 3, 3, 4, 6, 0, 0, 0, 0, 1, 0,
      { "Relu", "LeakyRelu" }, 2 },
    { "GRU", "forward", 5, 2, 4, 7, 0, 0 },
    { "GRU", "reverse", 4, 3, 3, 6, 1, 1, 0, 0, 1, 2.5f },
    { "GRU", "bidirectional", 3, 2, 5, 300 },
    { "LSTM", "forward", 4, 2, 3, 5, 0, 0, 0, 1 },
    { "LSTM", "bidirectional", 5, 3, 4, 6, 1, 0, 1, 1, 1, 1.5f },
    { "LSTM", "reverse", 3, 2, 4, 8, 0, 0, 0, 0, 0, 0,
      { "HardSigmoid", "Tanh", "Softsign" }, 3 },
    { "RNN", "forward", 3, 2, 4, 5, .bare = 1 },
    { "GRU", "bidirectional", 4, 3, 3, 6, 0, 0, 0, 0, 1, .bare = 1 },
    { "LSTM", "bidirectional", 4, 3, 3, 6, 1, 0, 0, 1, 1, .bare = 1 },
  };
  SKIP_WITHOUT_GPU ();
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    for (int which = 0; which < (cases[i].bare ? 1
            : strcmp (cases[i].op, "LSTM") ? 2 : 3); which++)
      rnn_case (&cases[i], which);
}

/* NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss: 2-D and 4-D
 * scores, the three reductions, class weights, ignore_index (a target
 * equal to it), int32 and int64 targets, and SCE's log_prob output. */
static void
test_loss (void)
{
  static const int64_t x2[] = { 6, 5 }, x4[] = { 2, 5, 3, 4 };
  static const int64_t t2[] = { 6 }, t4[] = { 2, 3, 4 }, wd[] = { 5 };
  static const float weights[] = { 0.5f, 1.0f, 2.0f, 0.25f, 1.5f };
  static const char *const reds[] = { "none", "sum", "mean" };
  SKIP_WITHOUT_GPU ();
  for (int sce = 0; sce < 2; sce++)
    for (int rank4 = 0; rank4 < 2; rank4++)
      for (int r = 0; r < 3; r++)
        for (int variant = 0; variant < 3; variant++) {
          /* 0: plain, int64; 1: weights and ignore_index, int32;
           * 2 (SCE): the log_prob output, weights. */
          OviGraph *g = ovi_graph_new ();
          int64_t nt = rank4 ? 24 : 6;
          int in[3], outs[2], which = sce && variant == 2 ? 1 : 0;
          int64_t *t64 = g_new (int64_t, nt);
          int32_t *t32 = g_new (int32_t, nt);
          OviNode *node;
          OviModel *m;
          char *what;
          if (!sce && variant == 2) {
            g_free (t64);
            g_free (t32);
            ovi_graph_free (g);
            continue;
          }
          for (int64_t i = 0; i < nt; i++)
            t64[i] = t32[i] = (int32_t) ((i * 7 + 3) % 5);
          in[0] = add_input (g, "x", rank4 ? 4 : 2, rank4 ? x4 : x2);
          in[1] = variant == 1
              ? add_const (g, "t", OVI_DTYPE_INT32, rank4 ? 3 : 1,
                  rank4 ? t4 : t2, t32)
              : add_const (g, "t", OVI_DTYPE_INT64, rank4 ? 3 : 1,
                  rank4 ? t4 : t2, t64);
          in[2] = add_const (g, "w", OVI_DTYPE_FLOAT32, 1, wd, weights);
          outs[0] = ovi_graph_add_value (g, "loss", OVI_DTYPE_UNDEFINED);
          outs[1] = ovi_graph_add_value (g, "log_prob", OVI_DTYPE_UNDEFINED);
          node = ovi_graph_add_node (g, sce ? "SoftmaxCrossEntropyLoss"
              : "NegativeLogLikelihoodLoss", "loss", variant ? 3 : 2, in,
              sce ? 2 : 1, outs);
          ovi_node_set_attr_string (node, "reduction", reds[r]);
          if (variant == 1)
            ovi_node_set_attr_int (node, "ignore_index", 3);
          what = g_strdup_printf ("%s %s %s%s -> %s", sce
              ? "SoftmaxCrossEntropyLoss" : "NegativeLogLikelihoodLoss",
              rank4 ? "[2,5,3,4]" : "[6,5]", reds[r], variant == 1
              ? " weights ignore_index int32" : variant == 2 ? " weights" : "",
              which ? "log_prob" : "loss");
          m = finish (g, outs[which], 13);
          check_model (what, m, 1e-10, EXPECT_GPU, FALSE);
          g_free (what);
          g_free (t64);
          g_free (t32);
          ovi_model_unref (m);
        }
}

static void
test_fallback (void)
{
  static const int64_t shape[] = { 2, 3, 3 };
  SKIP_WITHOUT_GPU ();
  {
    /* float64 has no GPU kernels: the two Casts stay on the CPU. */
    OviGraph *g = ovi_graph_new ();
    int x = add_input (g, "x", 3, shape), a, d, f, s;
    OviModel *m;
    add_node (g, "Relu", 1, &x, &a);
    ovi_node_set_attr_int (add_node (g, "Cast", 1, &a, &d), "to",
        OVI_DTYPE_FLOAT64);
    ovi_node_set_attr_int (add_node (g, "Cast", 1, &d, &f), "to",
        OVI_DTYPE_FLOAT32);
    add_node (g, "Sigmoid", 1, &f, &s);
    m = finish (g, s, 13);
    check_model ("Relu -> Cast to float64 and back (CPU fallback) -> Sigmoid",
        m, 1e-10, EXPECT_FALLBACK, FALSE);
    ovi_model_unref (m);
  }
}

/* ---- whole models ---- */

static void
test_models (void)
{
  /* block.onnx holds the ops of a transformer block and of detection and
   * segmentation heads (Gather, TopK, LayerNormalization, MatMul,
   * Softmax, Erf, Resize, ...): all on the GPU now. */
  static const struct {
    const char *name;
    Expect expect;
  } models[] = { { "add-relu.onnx", EXPECT_GPU },
    { "block.onnx", EXPECT_GPU }, { "chain.onnx", EXPECT_GPU },
    { "resnet.onnx", EXPECT_GPU }, { "cnn.onnx", EXPECT_GPU } };
  const char *dir = g_getenv ("OVI_TEST_MODELS");
  SKIP_WITHOUT_GPU ();
  if (dir == NULL)
    dir = OVI_TEST_MODEL_DIR;
  for (guint i = 0; i < G_N_ELEMENTS (models); i++) {
    char *path = g_build_filename (dir, models[i].name, NULL);
    GError *error = NULL;
    OviModel *m = ovi_model_load (path, &error);
    g_assert_no_error (error);
    check_model (models[i].name, m, 1e-8, models[i].expect, FALSE);
    ovi_model_unref (m);
    g_free (path);
  }
  g_test_message ("%d cases: %d on the GPU, %d with CPU fallback steps",
      n_cases, n_on_gpu, n_fallback);
  g_clear_pointer (&fallback_ops, g_free);
}

/* ---- the on-disk program cache ---- */

static void
test_program_cache (void)
{
  char *dir, *old;
  OviGpuDevice *dev;
  GError *error = NULL;
  gboolean cached;
  cl_program p;
  char *path, *data;
  gsize len;

  SKIP_WITHOUT_GPU ();
  dir = g_dir_make_tmp ("ovi-opencl-XXXXXX", NULL);
  g_assert_nonnull (dir);
  old = g_strdup (g_getenv ("OVI_OPENCL_CACHE_DIR"));
  dev = ovi_gpu_device_get (0);
  g_setenv ("OVI_OPENCL_CACHE_DIR", dir, TRUE);
  path = ovi_gpu_program_cache_path (dev, "softmax", "-cl-std=CL1.2");
  g_assert_true (g_str_has_prefix (path, dir));

  p = ovi_gpu_program_build (dev, "softmax", "-cl-std=CL1.2", &cached,
      &error);
  g_assert_no_error (error);
  g_assert_false (cached);
  clReleaseProgram (p);
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));

  p = ovi_gpu_program_build (dev, "softmax", "-cl-std=CL1.2", &cached,
      &error);
  g_assert_no_error (error);
  g_assert_true (cached);
  clReleaseProgram (p);

  /* A flipped byte in the payload: the checksum refuses it, rebuilt. */
  g_assert_true (g_file_get_contents (path, &data, &len, NULL));
  data[len - 1] ^= 0x55;
  g_assert_true (g_file_set_contents (path, data, len, NULL));
  p = ovi_gpu_program_build (dev, "softmax", "-cl-std=CL1.2", &cached,
      &error);
  g_assert_no_error (error);
  g_assert_false (cached);
  clReleaseProgram (p);
  /* Truncated, then garbage: rebuilt each time, never an error. */
  g_assert_true (g_file_set_contents (path, data, 20, NULL));
  p = ovi_gpu_program_build (dev, "softmax", "-cl-std=CL1.2", &cached,
      &error);
  g_assert_no_error (error);
  g_assert_false (cached);
  clReleaseProgram (p);
  g_assert_true (g_file_set_contents (path, "garbage", 7, NULL));
  p = ovi_gpu_program_build (dev, "softmax", "-cl-std=CL1.2", &cached,
      &error);
  g_assert_no_error (error);
  g_assert_false (cached);
  clReleaseProgram (p);
  /* Rewritten good by the last build. */
  p = ovi_gpu_program_build (dev, "softmax", "-cl-std=CL1.2", &cached,
      &error);
  g_assert_true (cached);
  clReleaseProgram (p);
  /* A different build option is a different file. */
  {
    char *other = ovi_gpu_program_cache_path (dev, "softmax",
        "-cl-std=CL1.2 -DX");
    g_assert_cmpstr (other, !=, path);
    g_free (other);
  }

  g_unlink (path);
  g_rmdir (dir);
  if (old)
    g_setenv ("OVI_OPENCL_CACHE_DIR", old, TRUE);
  else
    g_unsetenv ("OVI_OPENCL_CACHE_DIR");
  g_free (old);
  g_free (data);
  g_free (path);
  g_free (dir);
}

/* Devices are listed, with what a GPU.0 must have. */
static void
test_listing (void)
{
  int n;
  const OviDeviceInfo *d = ovi_get_devices (&n);
  SKIP_WITHOUT_GPU ();
  for (int i = 0; i < n; i++) {
    if (d[i].type != OVI_DEVICE_TYPE_GPU)
      continue;
    g_assert_true (g_str_has_prefix (d[i].name, "GPU."));
    g_assert_nonnull (d[i].full_name);
    g_assert_true (strstr (d[i].driver, "OpenCL") != NULL);
    g_assert_cmpint (d[i].compute_units, >, 0);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/gpu/listing", test_listing);
  g_test_add_func ("/gpu/program-cache", test_program_cache);
  g_test_add_func ("/gpu/unary", test_unary);
  g_test_add_func ("/gpu/clip", test_clip);
  g_test_add_func ("/gpu/binary", test_binary);
  g_test_add_func ("/gpu/variadic-mod", test_variadic_mod);
  g_test_add_func ("/gpu/transpose", test_transpose);
  g_test_add_func ("/gpu/slice", test_slice);
  g_test_add_func ("/gpu/concat-reshape", test_concat_reshape);
  g_test_add_func ("/gpu/split", test_split);
  g_test_add_func ("/gpu/expand-tile-depth", test_expand_tile_depth);
  g_test_add_func ("/gpu/conv", test_conv);
  g_test_add_func ("/gpu/gemm", test_gemm);
  g_test_add_func ("/gpu/matmul", test_matmul);
  g_test_add_func ("/gpu/pool", test_pool);
  g_test_add_func ("/gpu/softmax", test_softmax);
  g_test_add_func ("/gpu/batchnorm", test_batchnorm);
  g_test_add_func ("/gpu/layernorm", test_layernorm);
  g_test_add_func ("/gpu/block-norm", test_block_norm);
  g_test_add_func ("/gpu/1d", test_1d);
  g_test_add_func ("/gpu/cumsum-hardmax", test_cumsum_hardmax);
  g_test_add_func ("/gpu/conv-transpose", test_conv_transpose);
  g_test_add_func ("/gpu/lp-lrn", test_lp_lrn);
  g_test_add_func ("/gpu/mvn", test_mvn);
  g_test_add_func ("/gpu/conv-3d", test_conv_3d);
  g_test_add_func ("/gpu/pool-3d", test_pool_3d);
  g_test_add_func ("/gpu/einsum", test_einsum);
  g_test_add_func ("/gpu/resize", test_resize);
  g_test_add_func ("/gpu/reduce", test_reduce);
  g_test_add_func ("/gpu/grid-sample", test_grid_sample);
  g_test_add_func ("/gpu/roi-align", test_roi_align);
  g_test_add_func ("/gpu/bad-index", test_bad_index);
  g_test_add_func ("/gpu/det", test_det);
  g_test_add_func ("/gpu/rnn", test_rnn);
  g_test_add_func ("/gpu/loss", test_loss);
  g_test_add_func ("/gpu/fallback", test_fallback);
  g_test_add_func ("/gpu/models", test_models);
  return g_test_run ();
}
