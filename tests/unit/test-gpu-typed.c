/* The GPU device's ops on integer and bool tensors, and those whose
 * results are exact (kernels/typed.cl: Cast, integer math, comparisons,
 * logic, bit operations, Where, IsNaN, IsInf; kernels/index.cl: Gather,
 * GatherElements, ArgMax, ArgMin; Pad) against the CPU device: one-node graphs over every element type the
 * kernels take, the same inputs on "CPU" and "GPU.0", outputs compared
 * bit for bit (both compute integers in 64 bits and wrap alike). Every
 * case must run wholly on the GPU. Skipped without an OpenCL device. */
#include <math.h>
#include <string.h>

#include "gpu/gpu-exec.h"
#include "model.h"
#include "ovi.h"
#include "plan.h"
#include "ov-test-gpu.h"

#define SKIP_WITHOUT_GPU() \
  if (!ov_test_have_gpu ()) { \
    g_test_skip ("no OpenCL device"); \
    return; \
  }

#define MAX_IN 6

static const OviDType all_types[] = {
  OVI_DTYPE_FLOAT32, OVI_DTYPE_BOOL, OVI_DTYPE_UINT8, OVI_DTYPE_INT8,
  OVI_DTYPE_UINT16, OVI_DTYPE_INT16, OVI_DTYPE_UINT32, OVI_DTYPE_INT32,
  OVI_DTYPE_UINT64, OVI_DTYPE_INT64,
};
static const OviDType int_types[] = {
  OVI_DTYPE_UINT8, OVI_DTYPE_INT8, OVI_DTYPE_UINT16, OVI_DTYPE_INT16,
  OVI_DTYPE_UINT32, OVI_DTYPE_INT32, OVI_DTYPE_UINT64, OVI_DTYPE_INT64,
};

typedef struct {
  OviGraph *g;
  int in[MAX_IN];
  int n_in;
} Graph;

static void
add_input (Graph *t, OviDType dtype, int rank, const int64_t *dims)
{
  char name[8];
  int v;
  OviValue *val;
  g_assert_cmpint (t->n_in, <, MAX_IN);
  g_snprintf (name, sizeof (name), "x%d", t->n_in);
  v = ovi_graph_add_value (t->g, name, dtype);
  val = ovi_graph_value (t->g, v);
  val->rank = rank;
  if (rank > 0)
    memcpy (val->dims, dims, sizeof (int64_t) * rank);
  g_array_append_val (t->g->inputs, v);
  t->in[t->n_in++] = v;
}

static OviNode *
add_node (Graph *t, const char *op, int *out)
{
  *out = ovi_graph_add_value (t->g, "y", OVI_DTYPE_UNDEFINED);
  return ovi_graph_add_node (t->g, op, "node", t->n_in, t->in, 1, out);
}

/* Values of each type that reach its edges: negative numbers for the
 * unsigned ones wrap, floats land on halves and integers (so Equal holds
 * somewhere and Cast rounds both ways), shifts stay below the width. */
static void
fill (OviDType dtype, void *data, int64_t n, guint32 *seed, int range)
{
  for (int64_t i = 0; i < n; i++) {
    int64_t r;
    *seed = *seed * 1664525u + 1013904223u;
    r = (int64_t) ((*seed >> 8) % (2 * range + 1)) - range;
    if (dtype == OVI_DTYPE_FLOAT32)
      ((float *) data)[i] = (float) r / 2;
    else
      ovi_store_i64 (dtype, data, i, r);
  }
}

/* Runs on a device; returns the output's bytes. */
static guint8 *
run_on (OviModel *m, const char *device, void **data, OviTensorView *out_info,
    gboolean *all_on_gpu)
{
  GError *error = NULL;
  OviCompiledModel *cm = ovi_compile (m, device, NULL, &error);
  OviTensorView views[MAX_IN], out;
  OviRequest *r;
  guint8 *copy;
  gsize bytes;

  g_assert_no_error (error);
  r = ovi_request_new (cm, &error);
  for (int i = 0; i < ovi_model_get_n_inputs (m); i++) {
    ovi_model_get_input (m, i, NULL, &views[i]);
    views[i].data = data[i];
    g_assert_true (ovi_request_set_input_by_index (r, i, &views[i], &error));
  }
  g_assert_true (ovi_request_infer (r, &error));
  g_assert_no_error (error);
  g_assert_true (ovi_request_get_output (r, 0, NULL, &out));
  *out_info = out;
  bytes = ovi_shape_numel (out.rank, out.dims) * ovi_dtype_size (out.dtype);
  copy = g_memdup2 (out.data, MAX (bytes, 1));
  if (all_on_gpu) {
    OviPlan *plan = ovi_compiled_model_get_plan (cm, views, &error);
    g_assert_no_error (error);
    *all_on_gpu = plan->executable
        && ovi_gpu_executable_n_gpu_steps (plan->executable) == plan->n_steps;
    ovi_plan_unref (plan);
  }
  ovi_request_free (r);
  ovi_compiled_model_unref (cm);
  return copy;
}

static int n_cases;
/* Relative difference allowed in float32 outputs: 0 but for Pow in
 * float, which the CPU computes in double and the GPU in float. */
static double float_tolerance;

/* Finishes the graph, runs it on both devices with inputs from fill()
 * (range per input) and compares the outputs bit for bit, NaNs alike. */
static void
check (Graph *t, int y, int opset, const int *ranges, const char *what)
{
  GError *error = NULL;
  OviModel *m;
  void *data[MAX_IN];
  guint32 seed = 777;
  OviTensorView cpu_info, gpu_info;
  guint8 *cpu, *gpu;
  gboolean on_gpu;
  int64_t n;

  t->g->opset = opset;
  t->g->source = g_strdup ("test-gpu-typed");
  g_array_append_val (t->g->outputs, y);
  g_assert_true (ovi_graph_sort (t->g, &error));
  g_assert_no_error (error);
  m = ovi_model_new_from_graph (t->g);
  for (int i = 0; i < ovi_model_get_n_inputs (m); i++) {
    OviTensorView info;
    int64_t k;
    ovi_model_get_input (m, i, NULL, &info);
    k = ovi_shape_numel (info.rank, info.dims);
    data[i] = g_malloc (MAX (k, 1) * ovi_dtype_size (info.dtype));
    fill (info.dtype, data[i], k, &seed, ranges ? ranges[i] : 600);
  }
  cpu = run_on (m, "CPU", data, &cpu_info, NULL);
  gpu = run_on (m, "GPU.0", data, &gpu_info, &on_gpu);
  g_assert_cmpint (cpu_info.dtype, ==, gpu_info.dtype);
  g_assert_true (ovi_shape_equal (cpu_info.rank, cpu_info.dims,
          gpu_info.rank, gpu_info.dims));
  n = ovi_shape_numel (cpu_info.rank, cpu_info.dims);
  for (int64_t i = 0; i < n; i++) {
    gsize es = ovi_dtype_size (cpu_info.dtype);
    const float *fc = (const float *) cpu, *fg = (const float *) gpu;
    if (memcmp (cpu + i * es, gpu + i * es, es) != 0
        && !(cpu_info.dtype == OVI_DTYPE_FLOAT32
            && ((isnan (fc[i]) && isnan (fg[i]))
                || fabs (fc[i] - fg[i]) <= float_tolerance * fabs (fc[i]))))
      g_error ("%s: element %" G_GINT64_FORMAT " differs: CPU %g, GPU %g",
          what, i, ovi_load_f64 (cpu_info.dtype, cpu, i),
          ovi_load_f64 (cpu_info.dtype, gpu, i));
  }
  if (!on_gpu)
    g_error ("%s: expected to run wholly on the GPU", what);
  g_test_message ("%-50s GPU, %" G_GINT64_FORMAT " elements equal", what, n);
  n_cases++;
  for (int i = 0; i < ovi_model_get_n_inputs (m); i++)
    g_free (data[i]);
  g_free (cpu);
  g_free (gpu);
  ovi_model_unref (m);
}

static const int64_t shape_a[] = { 2, 3, 17 };

static void
test_cast (void)
{
  SKIP_WITHOUT_GPU ();
  for (guint a = 0; a < G_N_ELEMENTS (all_types); a++)
    for (guint b = 0; b < G_N_ELEMENTS (all_types); b++) {
      Graph t = { ovi_graph_new () };
      int y;
      char *what = g_strdup_printf ("Cast %s -> %s",
          ovi_dtype_name (all_types[a]), ovi_dtype_name (all_types[b]));
      add_input (&t, all_types[a], 3, shape_a);
      ovi_node_set_attr_int (add_node (&t, "Cast", &y), "to", all_types[b]);
      check (&t, y, 13, NULL, what);
      g_free (what);
    }
}

static void
test_unary_int (void)
{
  static const char *const ops[] = { "Abs", "Neg", "Sign", "Relu",
    "BitwiseNot", "Floor", "Round" };
  SKIP_WITHOUT_GPU ();
  for (guint o = 0; o < G_N_ELEMENTS (ops); o++)
    for (guint k = 0; k < G_N_ELEMENTS (int_types); k++) {
      Graph t = { ovi_graph_new () };
      int y;
      char *what = g_strdup_printf ("%s %s", ops[o],
          ovi_dtype_name (int_types[k]));
      add_input (&t, int_types[k], 3, shape_a);
      add_node (&t, ops[o], &y);
      check (&t, y, 18, NULL, what);
      g_free (what);
    }
  {
    Graph t = { ovi_graph_new () };
    int y;
    add_input (&t, OVI_DTYPE_BOOL, 3, shape_a);
    add_node (&t, "Not", &y);
    check (&t, y, 13, NULL, "Not bool");
  }
  /* Clip with constant integer bounds, and with one of them (uint64
   * stays on the CPU, which compares unsigned). */
  for (int variant = 0; variant < 2; variant++)
    for (guint k = 0; k < G_N_ELEMENTS (int_types); k++) {
      Graph t;
      int y, lo, hi;
      int64_t b[2] = { 5, 90 };
      OviValue *v;
      char *what;
      if (int_types[k] == OVI_DTYPE_UINT64)
        continue;
      t = (Graph) { ovi_graph_new () };
      what = g_strdup_printf ("Clip %s %s",
          variant ? "[5, inf)" : "[5, 90]", ovi_dtype_name (int_types[k]));
      add_input (&t, int_types[k], 3, shape_a);
      lo = ovi_graph_add_value (t.g, "lo", int_types[k]);
      hi = ovi_graph_add_value (t.g, "hi", int_types[k]);
      for (int i = 0; i < 2; i++) {
        v = ovi_graph_value (t.g, i ? hi : lo);
        v->rank = 0;
        v->constant = ovi_tensor_new (int_types[k], 0, NULL);
        ovi_store_i64 (int_types[k], v->constant->data, 0, b[i]);
      }
      t.in[t.n_in++] = lo;
      t.in[t.n_in++] = variant ? -1 : hi;
      add_node (&t, "Clip", &y);
      check (&t, y, 13, NULL, what);
      g_free (what);
    }
}

static const struct {
  int ra, rb;
  int64_t a[3], b[3];
} bin_shapes[] = {
  { 3, 3, { 2, 3, 17 }, { 2, 3, 17 } },
  { 3, 1, { 2, 3, 17 }, { 17 } },
  { 2, 3, { 3, 1 }, { 2, 1, 5 } },
  { 3, 0, { 2, 3, 17 }, { 0 } },
};

static void
binary_case (const char *op, OviDType ta, OviDType tb, int s,
    const int *ranges, const char *attr, int64_t attr_value)
{
  Graph t = { ovi_graph_new () };
  int y;
  OviNode *n;
  char *what = g_strdup_printf ("%s%s%s %s %s shapes %d", op,
      attr ? " " : "", attr ? attr : "", ovi_dtype_name (ta),
      ovi_dtype_name (tb), s);
  add_input (&t, ta, bin_shapes[s].ra, bin_shapes[s].a);
  add_input (&t, tb, bin_shapes[s].rb, bin_shapes[s].b);
  n = add_node (&t, op, &y);
  if (attr && strcmp (attr, "direction") == 0)
    ovi_node_set_attr_string (n, attr, attr_value ? "LEFT" : "RIGHT");
  else if (attr)
    ovi_node_set_attr_int (n, attr, attr_value);
  float_tolerance = strcmp (op, "Pow") == 0 ? 1e-6 : 0;
  check (&t, y, 18, ranges, what);
  float_tolerance = 0;
  g_free (what);
}

static void
test_binary_int (void)
{
  static const char *const ops[] = { "Add", "Sub", "Mul", "Div", "Pow",
    "Min", "Max", "Sum", "BitwiseAnd", "BitwiseOr", "BitwiseXor" };
  static const int pow_ranges[] = { 9, 5 };
  SKIP_WITHOUT_GPU ();
  for (guint o = 0; o < G_N_ELEMENTS (ops); o++)
    for (guint k = 0; k < G_N_ELEMENTS (int_types); k++)
      for (guint s = 0; s < G_N_ELEMENTS (bin_shapes); s++)
        binary_case (ops[o], int_types[k], int_types[k], s,
            strcmp (ops[o], "Pow") == 0 ? pow_ranges : NULL, NULL, 0);
  for (guint k = 0; k < G_N_ELEMENTS (int_types); k++)
    for (int fmod = 0; fmod < 2; fmod++)
      binary_case ("Mod", int_types[k], int_types[k], fmod, NULL, "fmod",
          fmod);
  /* Shifts by 0 to 9 (past the width of uint8). */
  for (guint k = 0; k < G_N_ELEMENTS (int_types); k += 2)
    for (int left = 0; left < 2; left++) {
      static const int shift_ranges[] = { 600, 9 };
      binary_case ("BitShift", int_types[k], int_types[k], left,
          shift_ranges, "direction", left);
    }
  /* Pow of float32 by integer exponents (integers by float exponents
   * stay on the CPU). */
  binary_case ("Pow", OVI_DTYPE_FLOAT32, OVI_DTYPE_INT64, 2, pow_ranges,
      NULL, 0);
}

static void
test_compare_logic (void)
{
  static const char *const cmp[] = { "Equal", "Less", "Greater",
    "LessOrEqual", "GreaterOrEqual" };
  static const char *const logic[] = { "And", "Or", "Xor" };
  static const int near[] = { 3, 3 };
  SKIP_WITHOUT_GPU ();
  for (guint o = 0; o < G_N_ELEMENTS (cmp); o++)
    for (guint k = 0; k < G_N_ELEMENTS (all_types); k++)
      for (guint s = 0; s < G_N_ELEMENTS (bin_shapes); s++)
        binary_case (cmp[o], all_types[k], all_types[k], s, near, NULL, 0);
  for (guint o = 0; o < G_N_ELEMENTS (logic); o++)
    for (guint s = 0; s < G_N_ELEMENTS (bin_shapes); s++)
      binary_case (logic[o], OVI_DTYPE_BOOL, OVI_DTYPE_BOOL, s, NULL, NULL,
          0);
}

static void
test_where (void)
{
  static const OviDType types[] = { OVI_DTYPE_FLOAT32, OVI_DTYPE_INT64,
    OVI_DTYPE_UINT8, OVI_DTYPE_INT16 };
  static const int64_t c[] = { 2, 1, 17 }, x[] = { 3, 1 }, yv[] = { 17 };
  SKIP_WITHOUT_GPU ();
  for (guint k = 0; k < G_N_ELEMENTS (types); k++) {
    Graph t = { ovi_graph_new () };
    int y;
    char *what = g_strdup_printf ("Where %s", ovi_dtype_name (types[k]));
    add_input (&t, OVI_DTYPE_BOOL, 3, c);
    add_input (&t, types[k], 2, x);
    add_input (&t, types[k], 1, yv);
    add_node (&t, "Where", &y);
    check (&t, y, 16, NULL, what);
    g_free (what);
  }
}

/* IsNaN and IsInf over a tensor with both infinities and NaNs: inputs
 * as the quotient of two float inputs (0/0, +-1/0) computed on each
 * device by its own Div. */
static void
test_nan_inf (void)
{
  static const int ranges[] = { 2, 1 };
  SKIP_WITHOUT_GPU ();
  for (int variant = 0; variant < 4; variant++) {
    Graph t = { ovi_graph_new () };
    int q, y;
    OviNode *n;
    add_input (&t, OVI_DTYPE_FLOAT32, 3, shape_a);
    add_input (&t, OVI_DTYPE_FLOAT32, 3, shape_a);
    add_node (&t, "Div", &q);
    t.n_in = 1;
    t.in[0] = q;
    n = add_node (&t, variant == 0 ? "IsNaN" : "IsInf", &y);
    if (variant == 2)
      ovi_node_set_attr_int (n, "detect_negative", 0);
    if (variant == 3)
      ovi_node_set_attr_int (n, "detect_positive", 0);
    t.n_in = 2;
    t.in[0] = g_array_index (t.g->inputs, int, 0);
    t.in[1] = g_array_index (t.g->inputs, int, 1);
    check (&t, y, 20, ranges, variant == 0 ? "IsNaN" : variant == 1
        ? "IsInf" : variant == 2 ? "IsInf positive only"
        : "IsInf negative only");
  }
}

static void
add_const_indices (Graph *t, OviDType dtype, int rank, const int64_t *dims,
    const int64_t *values)
{
  char name[16];
  int v;
  OviValue *val;
  g_assert_cmpint (t->n_in, <, MAX_IN);
  g_snprintf (name, sizeof (name), "const%d", t->n_in);
  v = ovi_graph_add_value (t->g, name, dtype);
  val = ovi_graph_value (t->g, v);
  val->rank = rank;
  if (rank > 0)
    memcpy (val->dims, dims, sizeof (int64_t) * rank);
  val->constant = ovi_tensor_new (dtype, rank, dims);
  for (int64_t i = 0; i < ovi_tensor_numel (val->constant); i++)
    ovi_store_i64 (dtype, val->constant->data, i, values[i]);
  t->in[t->n_in++] = v;
}

/* Gather along each axis of [4, 5, 6] with negative indices, a scalar
 * index and a 2-D index tensor, for elements of 1, 2, 4 and 8 bytes. */
static void
test_gather (void)
{
  static const OviDType types[] = { OVI_DTYPE_UINT8, OVI_DTYPE_INT16,
    OVI_DTYPE_FLOAT32, OVI_DTYPE_INT64 };
  static const int64_t data[] = { 4, 5, 6 }, four[] = { 4 },
      two[] = { 2, 2 };
  static const int64_t values[] = { 3, -1, 0, 2 };
  SKIP_WITHOUT_GPU ();
  for (guint k = 0; k < G_N_ELEMENTS (types); k++)
    for (int axis = -1; axis < 3; axis++)
      for (int form = 0; form < 3; form++) {
        Graph t = { ovi_graph_new () };
        int y;
        char *what = g_strdup_printf ("Gather %s axis %d %s",
            ovi_dtype_name (types[k]), axis, form == 0 ? "[4]"
            : form == 1 ? "scalar" : "[2, 2]");
        add_input (&t, types[k], 3, data);
        add_const_indices (&t, k % 2 ? OVI_DTYPE_INT32 : OVI_DTYPE_INT64,
            form == 0 ? 1 : form == 1 ? 0 : 2, form == 0 ? four : two,
            values);
        ovi_node_set_attr_int (add_node (&t, "Gather", &y), "axis", axis);
        check (&t, y, 13, NULL, what);
        g_free (what);
      }
}

static void
test_gather_elements (void)
{
  static const int64_t data[] = { 3, 4, 5 };
  SKIP_WITHOUT_GPU ();
  for (int axis = 0; axis < 3; axis++) {
    Graph t = { ovi_graph_new () };
    int64_t idims[3] = { 3, 2, 4 };
    int y;
    char *what = g_strdup_printf ("GatherElements axis %d", axis);
    /* Indices all over the axis, every third one negative. */
    idims[axis] = 6;
    add_input (&t, OVI_DTYPE_FLOAT32, 3, data);
    {
      int64_t n = ovi_shape_numel (3, idims);
      int64_t *vals = g_new (int64_t, n);
      for (int64_t i = 0; i < n; i++)
        vals[i] = (i * 7) % data[axis] - (i % 3 == 0 ? data[axis] : 0);
      add_const_indices (&t, OVI_DTYPE_INT64, 3, idims, vals);
      g_free (vals);
    }
    ovi_node_set_attr_int (add_node (&t, "GatherElements", &y), "axis",
        axis);
    check (&t, y, 13, NULL, what);
    g_free (what);
  }
}

/* ArgMax and ArgMin along each axis, ties everywhere (inputs on a grid
 * of halves), first and last index, with and without the kept axis. */
static void
test_arg (void)
{
  static const int64_t data[] = { 3, 21, 16 };
  static const int near[] = { 3 };
  SKIP_WITHOUT_GPU ();
  for (int op = 0; op < 2; op++)
    for (int axis = -1; axis < 3; axis++)
      for (int last = 0; last < 2; last++)
        for (int keep = 0; keep < 2; keep++) {
          Graph t = { ovi_graph_new () };
          int y;
          OviNode *n;
          char *what = g_strdup_printf ("%s axis %d%s%s", op ? "ArgMin"
              : "ArgMax", axis, last ? " last" : "", keep ? " keepdims" : "");
          add_input (&t, OVI_DTYPE_FLOAT32, 3, data);
          n = add_node (&t, op ? "ArgMin" : "ArgMax", &y);
          ovi_node_set_attr_int (n, "axis", axis);
          ovi_node_set_attr_int (n, "select_last_index", last);
          ovi_node_set_attr_int (n, "keepdims", keep);
          check (&t, y, 13, near, what);
          g_free (what);
        }
}

/* Pad in each mode with growing and cropping pads, over all axes or
 * some (opset 18's axes input), and a constant value input. */
static void
test_pad (void)
{
  static const char *const modes[] = { "constant", "edge", "reflect" };
  static const OviDType types[] = { OVI_DTYPE_FLOAT32, OVI_DTYPE_UINT8,
    OVI_DTYPE_INT64, OVI_DTYPE_INT16 };
  static const int64_t data[] = { 2, 5, 6 };
  static const int64_t pads[][6] = {
    { 0, 2, 3, 1, 4, 2 },       /* grow on every axis */
    { 1, -1, 2, 0, -2, -3 },    /* crop some ends */
    { 0, 7, 0, 0, 5, 0 },       /* reflect past the axis' length */
    { 0, 0, -5, 0, 2, 3 },      /* one element kept on an axis */
  };
  SKIP_WITHOUT_GPU ();
  for (guint m = 0; m < G_N_ELEMENTS (modes); m++)
    for (guint k = 0; k < G_N_ELEMENTS (types); k++)
      for (guint p = 0; p < G_N_ELEMENTS (pads) + 1; p++) {
        Graph t = { ovi_graph_new () };
        int64_t two = 2, four = 4, six = 6, value = 42;
        static const int64_t axes[] = { -1, 1 }, axis_pads[] = { 3, 2, 1, 4 };
        int y;
        char *what = g_strdup_printf ("Pad %s %s pads %u", modes[m],
            ovi_dtype_name (types[k]), p);
        add_input (&t, types[k], 3, data);
        if (p < G_N_ELEMENTS (pads))
          add_const_indices (&t, OVI_DTYPE_INT64, 1, &six, pads[p]);
        else
          add_const_indices (&t, OVI_DTYPE_INT64, 1, &four, axis_pads);
        if (m == 0) {
          add_const_indices (&t, types[k], 0, NULL, &value);
        } else {
          t.in[t.n_in++] = -1;
        }
        if (p == G_N_ELEMENTS (pads))
          add_const_indices (&t, OVI_DTYPE_INT64, 1, &two, axes);
        else if (m != 0)
          t.n_in--;
        ovi_node_set_attr_string (add_node (&t, "Pad", &y), "mode",
            modes[m]);
        check (&t, y, 18, NULL, what);
        g_free (what);
      }
}

/* Dropout in inference: the output is the input, the mask all true;
 * checked through the mask (the model's output) and the data. */
static void
test_dropout (void)
{
  static const OviDType types[] = { OVI_DTYPE_FLOAT32, OVI_DTYPE_INT64 };
  SKIP_WITHOUT_GPU ();
  for (guint k = 0; k < G_N_ELEMENTS (types); k++)
    for (int which = 0; which < 2; which++) {
      Graph t = { ovi_graph_new () };
      int outs[2], y;
      char *what = g_strdup_printf ("Dropout %s %s",
          ovi_dtype_name (types[k]), which ? "mask" : "output");
      add_input (&t, types[k], 3, shape_a);
      outs[0] = ovi_graph_add_value (t.g, "y", OVI_DTYPE_UNDEFINED);
      outs[1] = ovi_graph_add_value (t.g, "mask", OVI_DTYPE_UNDEFINED);
      ovi_graph_add_node (t.g, "Dropout", "node", 1, t.in, 2, outs);
      /* The output through a Neg, so that it is not the input itself. */
      t.n_in = 1;
      t.in[0] = outs[0];
      if (which == 0)
        add_node (&t, "Neg", &y);
      check (&t, which ? outs[1] : y, 13, NULL, what);
      g_free (what);
    }
}

/* Gather and GatherElements with indices from the graph's inputs: every
 * index in range (negative too) on each axis, then an index out of range
 * fails the inference with an error naming the node, and the request
 * works again with good indices. */
static void
test_gather_runtime (void)
{
  static const int64_t data[] = { 4, 5, 6 }, idx[] = { 3, 2 };
  SKIP_WITHOUT_GPU ();
  for (int elements = 0; elements < 2; elements++)
    for (int axis = 0; axis < 3; axis++)
      for (int is64 = 0; is64 < 2; is64++) {
        Graph t = { ovi_graph_new () };
        int64_t ge_idx[3] = { 4, 5, 6 };
        int ranges[2] = { 600, (int) data[axis] - 1 }, y;
        char *what = g_strdup_printf ("%s axis %d, int%d indices at run "
            "time", elements ? "GatherElements" : "Gather", axis,
            is64 ? 64 : 32);
        ge_idx[axis] = 3;
        add_input (&t, OVI_DTYPE_FLOAT32, 3, data);
        add_input (&t, is64 ? OVI_DTYPE_INT64 : OVI_DTYPE_INT32,
            elements ? 3 : 2, elements ? ge_idx : idx);
        ovi_node_set_attr_int (add_node (&t, elements ? "GatherElements"
                : "Gather", &y), "axis", axis);
        check (&t, y, 13, ranges, what);
        g_free (what);
      }
  for (int elements = 0; elements < 2; elements++) {
    Graph t = { ovi_graph_new () };
    GError *error = NULL;
    OviModel *m;
    OviCompiledModel *cm;
    OviRequest *r;
    OviTensorView v[2];
    float x[120] = { 0 };
    int64_t ind[6] = { 0, 1, 2, 3, -4, 3 };
    int yv;
    add_input (&t, OVI_DTYPE_FLOAT32, 3, data);
    add_input (&t, OVI_DTYPE_INT64, elements ? 3 : 1, elements
        ? (int64_t[]) { 1, 1, 6 } : (int64_t[]) { 6 });
    ovi_node_set_attr_int (add_node (&t, elements ? "GatherElements"
            : "Gather", &yv), "axis", elements ? 2 : 0);
    g_array_append_val (t.g->outputs, yv);
    t.g->opset = 13;
    t.g->source = g_strdup ("test-gpu-typed");
    g_assert_true (ovi_graph_sort (t.g, &error));
    m = ovi_model_new_from_graph (t.g);
    cm = ovi_compile (m, "GPU.0", NULL, &error);
    g_assert_no_error (error);
    r = ovi_request_new (cm, &error);
    for (int k = 0; k < 2; k++) {
      ovi_model_get_input (m, k, NULL, &v[k]);
      v[k].data = k ? (gpointer) ind : (gpointer) x;
    }
    for (int round = 0; round < 3; round++) {
      /* Round 1 holds an index past the axis (4 for Gather's 4 rows, 6
       * for GatherElements' 6 columns). */
      ind[5] = round == 1 ? (elements ? 6 : 4) : 3;
      for (int k = 0; k < 2; k++)
        g_assert_true (ovi_request_set_input_by_index (r, k, &v[k], &error));
      if (round == 1) {
        g_assert_false (ovi_request_infer (r, &error));
        g_assert_error (error, OVI_ERROR, OVI_ERROR_INVALID);
        g_assert_nonnull (strstr (error->message, "out of range"));
        g_assert_nonnull (strstr (error->message, elements
                ? "GatherElements" : "Gather"));
        g_clear_error (&error);
      } else {
        g_assert_true (ovi_request_infer (r, &error));
        g_assert_no_error (error);
      }
    }
    ovi_request_free (r);
    ovi_compiled_model_unref (cm);
    ovi_model_unref (m);
  }
}

/* Trilu upper and lower with k from -4 to 6 (clamped past the matrix),
 * constant, absent or given at run time, over a batch of 3x5 matrices. */
static void
test_trilu (void)
{
  static const OviDType types[] = { OVI_DTYPE_FLOAT32, OVI_DTYPE_INT64,
    OVI_DTYPE_UINT8 };
  static const int64_t data[] = { 2, 3, 5 };
  SKIP_WITHOUT_GPU ();
  for (guint t_ = 0; t_ < G_N_ELEMENTS (types); t_++)
    for (int upper = 0; upper < 2; upper++)
      for (int64_t k = -5; k <= 7; k++) {
        Graph t = { ovi_graph_new () };
        int y;
        char *what = g_strdup_printf ("Trilu %s %s k %" G_GINT64_FORMAT,
            ovi_dtype_name (types[t_]), upper ? "upper" : "lower", k);
        add_input (&t, types[t_], 3, data);
        if (k != 7)       /* 7: no k input */
          add_const_indices (&t, OVI_DTYPE_INT64, 0, NULL, &k);
        ovi_node_set_attr_int (add_node (&t, "Trilu", &y), "upper", upper);
        check (&t, y, 14, NULL, what);
        g_free (what);
      }
  /* k given at run time: a scalar from [-r, r], r from 1 to 8, so that
   * some land past the matrix (clamped). */
  for (int upper = 0; upper < 2; upper++)
    for (int r = 1; r <= 8; r++) {
      Graph t = { ovi_graph_new () };
      int ranges[2] = { 600, r }, y;
      char *what = g_strdup_printf ("Trilu %s, k at run time from [-%d, %d]",
          upper ? "upper" : "lower", r, r);
      add_input (&t, OVI_DTYPE_FLOAT32, 3, data);
      add_input (&t, OVI_DTYPE_INT64, 0, NULL);
      ovi_node_set_attr_int (add_node (&t, "Trilu", &y), "upper", upper);
      check (&t, y, 14, ranges, what);
      g_free (what);
    }
}

/* CumSum along an axis given at run time: fill() draws axes 0, 2, -3
 * (shape 2x3x4) and -1, 1, -2 (2x3x5) from [-r, r]; int64 and int32 axes,
 * plain and exclusive-reverse. Then an axis out of range fails on both
 * devices, naming the node. */
static void
test_cumsum_axis (void)
{
  static const int64_t shapes[2][3] = { { 2, 3, 4 }, { 2, 3, 5 } };
  SKIP_WITHOUT_GPU ();
  for (int sh = 0; sh < 2; sh++)
    for (int r = 1; r <= 3; r++)
      for (int mode = 0; mode < 2; mode++) {
        Graph t = { ovi_graph_new () };
        int ranges[2] = { 600, r }, y;
        OviDType at = (r + mode) % 2 ? OVI_DTYPE_INT32 : OVI_DTYPE_INT64;
        OviNode *n;
        char *what = g_strdup_printf ("CumSum %s, %s axis at run time from "
            "[-%d, %d]", sh ? "2x3x5" : "2x3x4", ovi_dtype_name (at), r, r);
        add_input (&t, OVI_DTYPE_FLOAT32, 3, shapes[sh]);
        add_input (&t, at, 0, NULL);
        n = add_node (&t, "CumSum", &y);
        ovi_node_set_attr_int (n, "exclusive", mode);
        ovi_node_set_attr_int (n, "reverse", mode);
        check (&t, y, 14, ranges, what);
        g_free (what);
      }
  for (int d = 0; d < 2; d++) {
    GError *error = NULL;
    Graph t = { ovi_graph_new () };
    OviModel *m;
    OviCompiledModel *cm;
    OviRequest *r;
    OviTensorView v[2];
    float x[24] = { 0 };
    int64_t axis = 3;
    int y;
    add_input (&t, OVI_DTYPE_FLOAT32, 3, shapes[0]);
    add_input (&t, OVI_DTYPE_INT64, 0, NULL);
    add_node (&t, "CumSum", &y);
    g_array_append_val (t.g->outputs, y);
    t.g->opset = 14;
    t.g->source = g_strdup ("test-gpu-typed");
    g_assert_true (ovi_graph_sort (t.g, &error));
    m = ovi_model_new_from_graph (t.g);
    cm = ovi_compile (m, d ? "GPU.0" : "CPU", NULL, &error);
    g_assert_no_error (error);
    r = ovi_request_new (cm, &error);
    for (int k = 0; k < 2; k++) {
      ovi_model_get_input (m, k, NULL, &v[k]);
      v[k].data = k ? (gpointer) &axis : (gpointer) x;
      g_assert_true (ovi_request_set_input_by_index (r, k, &v[k], &error));
    }
    g_assert_false (ovi_request_infer (r, &error));
    g_assert_error (error, OVI_ERROR, OVI_ERROR_INVALID);
    g_assert_nonnull (strstr (error->message, "CumSum"));
    g_assert_nonnull (strstr (error->message, "out of range"));
    g_test_message ("%s: %s", d ? "GPU.0" : "CPU", error->message);
    g_clear_error (&error);
    ovi_request_free (r);
    ovi_compiled_model_unref (cm);
    ovi_model_unref (m);
  }
}

/* QuantizeLinear to 8 and 16-bit types and DequantizeLinear from them
 * (and int32), per tensor and per axis, with and without a zero point,
 * parameters constant or at run time (scales then may be 0 or negative:
 * infinite quotients saturate). */
static void
test_quant (void)
{
  static const OviDType types[] = { OVI_DTYPE_UINT8, OVI_DTYPE_INT8,
    OVI_DTYPE_UINT16, OVI_DTYPE_INT16, OVI_DTYPE_INT32 };
  static const int64_t data[] = { 2, 3, 17 }, three = 3;
  static const float scales[] = { 0.37f, 2.5f, 0.01f };
  static const int64_t zps[] = { 7, 0, -3 };
  SKIP_WITHOUT_GPU ();
  for (int quantize = 0; quantize < 2; quantize++)
    for (guint k = 0; k < G_N_ELEMENTS (types); k++)
      for (int form = 0; form < 4; form++) {
        /* form: 0 per tensor, 1 per axis, 2 per axis without zero point,
         * 3 parameters at run time. */
        Graph t;
        OviDType q = types[k];
        int64_t n_par = form == 0 ? 1 : 3;
        int y, ranges[3] = { 600, 4, 3 };
        char *what;
        if (quantize && q == OVI_DTYPE_INT32)
          continue;
        t = (Graph) { ovi_graph_new () };
        what = g_strdup_printf ("%s %s %s", quantize ? "QuantizeLinear"
            : "DequantizeLinear", ovi_dtype_name (q), form == 0
            ? "per tensor" : form == 1 ? "per axis" : form == 2
            ? "per axis, no zero point" : "run time");
        add_input (&t, quantize ? OVI_DTYPE_FLOAT32 : q, 3, data);
        if (form == 3) {
          add_input (&t, OVI_DTYPE_FLOAT32, 1, &three);
          add_input (&t, q, 1, &three);
        } else {
          int v = ovi_graph_add_value (t.g, "scale", OVI_DTYPE_FLOAT32);
          OviValue *val = ovi_graph_value (t.g, v);
          val->rank = form == 0 ? 0 : 1;
          val->dims[0] = n_par;
          val->constant = ovi_tensor_new (OVI_DTYPE_FLOAT32, val->rank,
              val->dims);
          memcpy (val->constant->data, scales, n_par * sizeof (float));
          t.in[t.n_in++] = v;
          if (form != 2) {
            int64_t z[3];
            for (int i = 0; i < 3; i++)
              z[i] = ovi_dtype_is_unsigned_int (q) ? zps[i] + 3 : zps[i];
            add_const_indices (&t, q, form == 0 ? 0 : 1, &n_par, z);
          }
        }
        ovi_node_set_attr_int (add_node (&t, quantize ? "QuantizeLinear"
                : "DequantizeLinear", &y), "axis", 1);
        check (&t, y, 13, ranges, what);
        g_free (what);
      }
}

/* TopK along each axis, largest and smallest, K from 1 to the axis'
 * length, inputs full of ties; its values and its indices checked. */
static void
test_topk (void)
{
  static const int64_t data[] = { 3, 7, 6 };
  static const int near[] = { 3 };
  SKIP_WITHOUT_GPU ();
  for (int axis = -1; axis < 3; axis++)
    for (int largest = 0; largest < 2; largest++)
      for (int which = 0; which < 2; which++) {
        int64_t len = data[axis < 0 ? 2 : axis];
        for (int64_t k = 1; k <= len; k += len - 1 > 2 ? 2 : 1) {
          Graph t = { ovi_graph_new () };
          int outs[2];
          OviNode *n;
          char *what = g_strdup_printf ("TopK axis %d %s k %" G_GINT64_FORMAT
              " %s", axis, largest ? "largest" : "smallest", k,
              which ? "indices" : "values");
          add_input (&t, OVI_DTYPE_FLOAT32, 3, data);
          add_const_indices (&t, OVI_DTYPE_INT64, 1, (int64_t[]) { 1 }, &k);
          outs[0] = ovi_graph_add_value (t.g, "values", OVI_DTYPE_UNDEFINED);
          outs[1] = ovi_graph_add_value (t.g, "indices",
              OVI_DTYPE_UNDEFINED);
          n = ovi_graph_add_node (t.g, "TopK", "node", 2, t.in, 2, outs);
          ovi_node_set_attr_int (n, "axis", axis);
          ovi_node_set_attr_int (n, "largest", largest);
          check (&t, outs[which], 11, near, what);
          g_free (what);
        }
      }
}

/* GatherND with index tuples of 1 to 3 values and batch_dims 0 and 1,
 * indices at run time (in range, negative too); ScatterND of slices and
 * of single elements at distinct constant tuples. */
static void
test_nd (void)
{
  static const int64_t data[] = { 2, 3, 4 };
  SKIP_WITHOUT_GPU ();
  for (int bd = 0; bd < 2; bd++)
    for (int64_t k = 1; k + bd <= 3; k++) {
      Graph t = { ovi_graph_new () };
      int64_t idims[3] = { 2, 5, k };
      int ranges[2] = { 600, 1 }, y;
      char *what = g_strdup_printf ("GatherND batch_dims %d, tuples of %"
          G_GINT64_FORMAT, bd, k);
      add_input (&t, OVI_DTYPE_FLOAT32, 3, data);
      /* Batch dims first (2, the data's first axis), then 5 tuples. */
      add_input (&t, OVI_DTYPE_INT64, 3, idims);
      ovi_node_set_attr_int (add_node (&t, "GatherND", &y), "batch_dims",
          bd);
      check (&t, y, 13, ranges, what);
      g_free (what);
    }
  for (int64_t k = 1; k <= 3; k++) {
    Graph t = { ovi_graph_new () };
    /* Distinct tuples: (1), (0), ... for k 1; pairs and triples. */
    static const int64_t tuples[3][6] = { { 1, -2 },
      { 0, 2, 1, -1 }, { 1, 2, 3, 0, 0, -4 } };
    int64_t idims[2] = { 2, k }, udims[3] = { 2 };
    int y;
    char *what = g_strdup_printf ("ScatterND, tuples of %" G_GINT64_FORMAT,
        k);
    for (int d = (int) k; d < 3; d++)
      udims[1 + d - k] = data[d];
    add_input (&t, OVI_DTYPE_INT32, 3, data);
    add_const_indices (&t, OVI_DTYPE_INT64, 2, idims, tuples[k - 1]);
    add_input (&t, OVI_DTYPE_INT32, 1 + 3 - (int) k, udims);
    add_node (&t, "ScatterND", &y);
    check (&t, y, 13, NULL, what);
    g_free (what);
  }
}

/* OneHot along each axis with int64, int32 and float32 indices (out of
 * range ones too) and float32 or int64 values given at run time; EyeLike
 * with diagonals in and past the matrix, in three output types. */
static void
test_onehot_eye (void)
{
  static const int64_t idx[] = { 3, 4 }, two = 2;
  static const OviDType ind_types[] = { OVI_DTYPE_INT64, OVI_DTYPE_INT32,
    OVI_DTYPE_FLOAT32 };
  SKIP_WITHOUT_GPU ();
  for (int axis = -1; axis <= 2; axis++)
    for (guint k = 0; k < G_N_ELEMENTS (ind_types); k++) {
      Graph t = { ovi_graph_new () };
      int64_t depth = 5;
      int ranges[2] = { 7, 600 }, y;
      char *what = g_strdup_printf ("OneHot axis %d, %s indices", axis,
          ovi_dtype_name (ind_types[k]));
      add_input (&t, ind_types[k], 2, idx);
      add_const_indices (&t, OVI_DTYPE_INT64, 0, NULL, &depth);
      add_input (&t, k == 1 ? OVI_DTYPE_INT64 : OVI_DTYPE_FLOAT32, 1, &two);
      ovi_node_set_attr_int (add_node (&t, "OneHot", &y), "axis", axis);
      check (&t, y, 11, ranges, what);
      g_free (what);
    }
  for (int64_t diag = -4; diag <= 6; diag += 2)
    for (int k = 0; k < 3; k++) {
      static const OviDType out[] = { OVI_DTYPE_FLOAT32, OVI_DTYPE_INT64,
        OVI_DTYPE_UINT8 };
      Graph t = { ovi_graph_new () };
      int y;
      OviNode *n;
      char *what = g_strdup_printf ("EyeLike k %" G_GINT64_FORMAT " %s",
          diag, ovi_dtype_name (out[k]));
      add_input (&t, OVI_DTYPE_INT32, 2, (int64_t[]) { 4, 5 });
      n = add_node (&t, "EyeLike", &y);
      ovi_node_set_attr_int (n, "k", diag);
      ovi_node_set_attr_int (n, "dtype", out[k]);
      check (&t, y, 9, NULL, what);
      g_free (what);
    }
}

/* ScatterElements along each axis, distinct places per line (negative
 * ones too), updates at run time; and Scatter, its opset 9 name. */
static void
test_scatter_elements (void)
{
  static const int64_t data[] = { 3, 4, 5 };
  SKIP_WITHOUT_GPU ();
  for (int axis = 0; axis < 3; axis++) {
    Graph t = { ovi_graph_new () };
    int64_t idims[3] = { 2, 3, 4 }, n, *vals;
    int y;
    char *what = g_strdup_printf ("%s axis %d", axis == 2 ? "Scatter"
        : "ScatterElements", axis);
    idims[axis] = data[axis] - 1;
    n = ovi_shape_numel (3, idims);
    vals = g_new (int64_t, n);
    for (int64_t p = 0; p < n; p++) {
      /* p's coordinate along the axis, and its line's number. */
      int64_t inner = ovi_shape_numel (2 - axis, idims + axis + 1);
      int64_t j = p / inner % idims[axis], line = p / (inner * idims[axis])
          + p % inner;
      vals[p] = (j + line) % data[axis] - (j % 2 ? data[axis] : 0);
    }
    add_input (&t, OVI_DTYPE_FLOAT32, 3, data);
    add_const_indices (&t, OVI_DTYPE_INT64, 3, idims, vals);
    add_input (&t, OVI_DTYPE_FLOAT32, 3, idims);
    ovi_node_set_attr_int (add_node (&t, axis == 2 ? "Scatter"
            : "ScatterElements", &y), "axis", axis);
    check (&t, y, axis == 2 ? 9 : 13, NULL, what);
    g_free (vals);
    g_free (what);
  }
}

/* Scatter reductions (opset 18) on float32, int32 and uint32, with
 * places repeated so that updates meet: ScatterElements along axis 1 and
 * ScatterND of single elements and of rows. Values from fill() keep
 * float Add and Mul exact, so any order of the updates gives the CPU's
 * bits; integer Add and Mul wrap. */
static void
test_scatter_reductions (void)
{
  static const OviDType types[] = { OVI_DTYPE_FLOAT32, OVI_DTYPE_INT32,
    OVI_DTYPE_UINT32 };
  static const char *const reds[] = { "add", "mul", "max", "min" };
  static const int64_t data[] = { 3, 4, 5 }, edims[] = { 3, 6, 5 };
  /* Along axis 1 (4 places), each line hits some place twice or more. */
  static const int64_t lines[6] = { 0, 2, -4, 3, 2, -2 };
  /* Rows (2-tuples) 0 and 3 meet, as do elements (3-tuples) 0 and 2. */
  static const int64_t tuples[2][9] = { { 1, 2, 2, 0, 0, -1, 1, 2 },
    { 2, 0, -1, 1, 3, 4, 2, 0, 4 } };
  SKIP_WITHOUT_GPU ();
  for (guint ty = 0; ty < G_N_ELEMENTS (types); ty++)
    for (guint r = 0; r < G_N_ELEMENTS (reds); r++)
      for (int op = 0; op < 3; op++) {
        Graph t = { ovi_graph_new () };
        /* Per model input (the indices are constants): data, updates. */
        int ranges[2] = { 6, 6 }, y;
        OviNode *n;
        char *what = g_strdup_printf ("%s reduction %s, %s",
            op == 0 ? "ScatterElements" : op == 1 ? "ScatterND elements"
            : "ScatterND rows", reds[r], ovi_dtype_name (types[ty]));
        add_input (&t, types[ty], 3, data);
        if (op == 0) {
          int64_t vals[3 * 6 * 5];
          for (int i = 0; i < 3 * 6 * 5; i++)
            vals[i] = lines[(i / 5) % 6] + (i % 5 == 4 && lines[(i / 5) % 6]
                < 3 ? 1 : 0);
          add_const_indices (&t, OVI_DTYPE_INT64, 3, edims, vals);
          add_input (&t, types[ty], 3, edims);
        } else {
          int k = op == 1 ? 3 : 2;
          int64_t idims[2] = { op == 1 ? 3 : 4, k }, udims[2] = { idims[0], 5 };
          add_const_indices (&t, OVI_DTYPE_INT64, 2, idims,
              tuples[op == 1 ? 1 : 0]);
          add_input (&t, types[ty], op == 1 ? 1 : 2, udims);
        }
        n = add_node (&t, op == 0 ? "ScatterElements" : "ScatterND", &y);
        ovi_node_set_attr_string (n, "reduction", reds[r]);
        if (op == 0)
          ovi_node_set_attr_int (n, "axis", 1);
        check (&t, y, 18, ranges, what);
        g_free (what);
      }
}

/* ReverseSequence along time axis 0 and 1, lengths from 0 to all the
 * steps (int64 and int32), on 1-, 4- and 8-byte elements. */
static void
test_reverse_sequence (void)
{
  static const OviDType types[] = { OVI_DTYPE_UINT8, OVI_DTYPE_FLOAT32,
    OVI_DTYPE_INT64 };
  static const int64_t lens[4] = { 5, 0, 3, 1 };
  SKIP_WITHOUT_GPU ();
  for (int time_axis = 0; time_axis < 2; time_axis++)
    for (guint ty = 0; ty < G_N_ELEMENTS (types); ty++) {
      Graph t = { ovi_graph_new () };
      int64_t shape[3] = { time_axis ? 4 : 5, time_axis ? 5 : 4, 3 };
      int64_t ld[1] = { 4 };
      int y;
      OviNode *n;
      char *what = g_strdup_printf ("ReverseSequence time_axis %d, %s, %s "
          "lengths", time_axis, ovi_dtype_name (types[ty]),
          ty == 1 ? "int32" : "int64");
      add_input (&t, types[ty], 3, shape);
      add_const_indices (&t, ty == 1 ? OVI_DTYPE_INT32 : OVI_DTYPE_INT64, 1,
          ld, lens);
      n = add_node (&t, "ReverseSequence", &y);
      ovi_node_set_attr_int (n, "time_axis", time_axis);
      ovi_node_set_attr_int (n, "batch_axis", 1 - time_axis);
      check (&t, y, 10, NULL, what);
      g_free (what);
    }
}

/* MaxPool's Indices (and its values alongside): 1-D to 3-D, row- and
 * column-major, pads, strides, dilations and ceil_mode, over inputs full
 * of ties. */
static void
test_maxpool_indices (void)
{
  static const int near[] = { 3 };
  SKIP_WITHOUT_GPU ();
  for (int rank = 3; rank <= 5; rank++)
    for (int order = 0; order < 2; order++)
      for (int which = 0; which < 2; which++)
        for (int v = 0; v < 2; v++) {
          Graph t = { ovi_graph_new () };
          int64_t shape[5] = { 2, 3, 7, 6, 5 };
          int64_t k[3] = { 3, 2, 2 }, st[3] = { 2, 1, 2 }, dl[3] = { 1, 2, 1 };
          int64_t pads[4] = { 1, 0, 1, 1 }, pads1[2] = { 1, 1 };
          int64_t pads3[6] = { 1, 0, 1, 0, 1, 1 };
          int outs[2];
          OviNode *n;
          char *what = g_strdup_printf ("MaxPool %dd %s, %s%s", rank - 2,
              order ? "column-major" : "row-major", which ? "indices"
              : "values", v ? ", dilated, ceil" : "");
          add_input (&t, OVI_DTYPE_FLOAT32, rank, shape);
          outs[0] = ovi_graph_add_value (t.g, "y", OVI_DTYPE_UNDEFINED);
          outs[1] = ovi_graph_add_value (t.g, "i", OVI_DTYPE_UNDEFINED);
          n = ovi_graph_add_node (t.g, "MaxPool", "node", 1, t.in, 2, outs);
          ovi_node_set_attr_ints (n, "kernel_shape", rank - 2, k);
          ovi_node_set_attr_ints (n, "strides", rank - 2, st);
          ovi_node_set_attr_ints (n, "pads", 2 * (rank - 2),
              rank == 5 ? pads3 : rank == 4 ? pads : pads1);
          ovi_node_set_attr_int (n, "storage_order", order);
          if (v) {
            ovi_node_set_attr_ints (n, "dilations", rank - 2, dl);
            ovi_node_set_attr_int (n, "ceil_mode", 1);
          }
          check (&t, outs[which], 12, near, what);
          g_free (what);
        }
}

/* MaxPool with Indices into MaxUnpool (SegNet's pair), the unpool's
 * shape inferred and given larger by output_shape. */
static void
test_max_unpool (void)
{
  static const int near[] = { 3 };
  SKIP_WITHOUT_GPU ();
  for (int given = 0; given < 2; given++) {
    Graph t = { ovi_graph_new () };
    int64_t shape[4] = { 2, 3, 6, 8 }, k[2] = { 2, 2 }, os[4] = { 2, 3, 7, 9 };
    int outs[2], y, os_v;
    OviNode *n;
    char *what = g_strdup_printf ("MaxPool -> MaxUnpool%s",
        given ? ", output_shape" : "");
    add_input (&t, OVI_DTYPE_FLOAT32, 4, shape);
    outs[0] = ovi_graph_add_value (t.g, "p", OVI_DTYPE_UNDEFINED);
    outs[1] = ovi_graph_add_value (t.g, "i", OVI_DTYPE_UNDEFINED);
    n = ovi_graph_add_node (t.g, "MaxPool", "pool", 1, t.in, 2, outs);
    ovi_node_set_attr_ints (n, "kernel_shape", 2, k);
    ovi_node_set_attr_ints (n, "strides", 2, k);
    t.n_in = 0;
    t.in[t.n_in++] = outs[0];
    t.in[t.n_in++] = outs[1];
    if (given) {
      os_v = ovi_graph_add_value (t.g, "os", OVI_DTYPE_INT64);
      ovi_graph_value (t.g, os_v)->rank = 1;
      ovi_graph_value (t.g, os_v)->dims[0] = 4;
      ovi_graph_value (t.g, os_v)->constant = ovi_tensor_new (OVI_DTYPE_INT64,
          1, (int64_t[]) { 4 });
      memcpy (ovi_graph_value (t.g, os_v)->constant->data, os, sizeof (os));
      t.in[t.n_in++] = os_v;
    }
    n = add_node (&t, "MaxUnpool", &y);
    ovi_node_set_attr_ints (n, "kernel_shape", 2, k);
    ovi_node_set_attr_ints (n, "strides", 2, k);
    t.n_in = 1;
    t.in[0] = g_array_index (t.g->inputs, int, 0);
    check (&t, y, 11, near, what);
    g_free (what);
  }
}

int
main (int argc, char **argv)
{
  int status;
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/gpu-typed/cast", test_cast);
  g_test_add_func ("/gpu-typed/unary-int", test_unary_int);
  g_test_add_func ("/gpu-typed/binary-int", test_binary_int);
  g_test_add_func ("/gpu-typed/compare-logic", test_compare_logic);
  g_test_add_func ("/gpu-typed/where", test_where);
  g_test_add_func ("/gpu-typed/nan-inf", test_nan_inf);
  g_test_add_func ("/gpu-typed/gather", test_gather);
  g_test_add_func ("/gpu-typed/gather-elements", test_gather_elements);
  g_test_add_func ("/gpu-typed/arg", test_arg);
  g_test_add_func ("/gpu-typed/pad", test_pad);
  g_test_add_func ("/gpu-typed/dropout", test_dropout);
  g_test_add_func ("/gpu-typed/gather-runtime", test_gather_runtime);
  g_test_add_func ("/gpu-typed/trilu", test_trilu);
  g_test_add_func ("/gpu-typed/quant", test_quant);
  g_test_add_func ("/gpu-typed/topk", test_topk);
  g_test_add_func ("/gpu-typed/nd", test_nd);
  g_test_add_func ("/gpu-typed/onehot-eye", test_onehot_eye);
  g_test_add_func ("/gpu-typed/scatter-elements", test_scatter_elements);
  g_test_add_func ("/gpu-typed/scatter-reductions", test_scatter_reductions);
  g_test_add_func ("/gpu-typed/reverse-sequence", test_reverse_sequence);
  g_test_add_func ("/gpu-typed/cumsum-axis", test_cumsum_axis);
  g_test_add_func ("/gpu-typed/maxpool-indices", test_maxpool_indices);
  g_test_add_func ("/gpu-typed/max-unpool", test_max_unpool);
  status = g_test_run ();
  g_test_message ("%d cases, each wholly on the GPU", n_cases);
  return status;
}
