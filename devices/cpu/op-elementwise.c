/* CPU kernels for elementwise ops. float32 has dedicated loops (the hot
 * path of real networks); other types compute through double or int64,
 * exact for every integer type up to int64. */
#include <math.h>
#include <string.h>

#include "conv-blocked.h"
#include "cpu-broadcast.h"
#include "cpu-math.h"
#include "cpu-parallel.h"
#include "cpu-ops.h"
#include "cpu-postops.h"
#include "passes/passes.h"

typedef enum {
  U_ABS, U_NEG, U_FLOOR, U_CEIL, U_ROUND, U_SQRT, U_EXP, U_LOG, U_RECIP,
  U_SIN, U_COS, U_TAN, U_ASIN, U_ACOS, U_ATAN, U_SINH, U_COSH, U_ASINH,
  U_ACOSH, U_ATANH, U_TANH, U_SIGMOID, U_RELU, U_ERF, U_SIGN, U_SOFTPLUS,
  U_SOFTSIGN, U_HARDSWISH, U_MISH, U_GELU, U_LEAKYRELU, U_ELU, U_SELU,
  U_HARDSIGMOID, U_THRESHOLDEDRELU, U_CELU, U_SHRINK, U_NOT, U_BITNOT,
  U_CLIP, U_COUNT
} UnaryOp;

static const char *const unary_names[U_COUNT] = {
  "Abs", "Neg", "Floor", "Ceil", "Round", "Sqrt", "Exp", "Log",
  "Reciprocal", "Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh",
  "Asinh", "Acosh", "Atanh", "Tanh", "Sigmoid", "Relu", "Erf", "Sign",
  "Softplus", "Softsign", "HardSwish", "Mish", "Gelu", "LeakyRelu", "Elu",
  "Selu", "HardSigmoid", "ThresholdedRelu", "Celu", "Shrink", "Not",
  "BitwiseNot", "Clip",
};

typedef struct {
  UnaryOp op;
  double alpha, beta, gamma;
  double lo, hi;               /* Clip bounds */
  int64_t ilo, ihi;            /* Clip bounds of an integer input */
  gboolean tanh_gelu;
} UnaryParams;

static UnaryOp
unary_op_of (const char *name)
{
  for (int i = 0; i < U_COUNT; i++)
    if (strcmp (unary_names[i], name) == 0)
      return i;
  return U_COUNT;
}

static double
sigmoid (double x)
{
  return x >= 0 ? 1.0 / (1.0 + exp (-x)) : exp (x) / (1.0 + exp (x));
}

/* Round half to even, as ONNX Round requires. */
static double
round_even (double x)
{
  return nearbyint (x);
}

static double
unary_f64 (const UnaryParams *p, double x)
{
  switch (p->op) {
    case U_ABS: return fabs (x);
    case U_NEG: return -x;
    case U_FLOOR: return floor (x);
    case U_CEIL: return ceil (x);
    case U_ROUND: return round_even (x);
    case U_SQRT: return sqrt (x);
    case U_EXP: return exp (x);
    case U_LOG: return log (x);
    case U_RECIP: return 1.0 / x;
    case U_SIN: return sin (x);
    case U_COS: return cos (x);
    case U_TAN: return tan (x);
    case U_ASIN: return asin (x);
    case U_ACOS: return acos (x);
    case U_ATAN: return atan (x);
    case U_SINH: return sinh (x);
    case U_COSH: return cosh (x);
    case U_ASINH: return asinh (x);
    case U_ACOSH: return acosh (x);
    case U_ATANH: return atanh (x);
    case U_TANH: return tanh (x);
    case U_SIGMOID: return sigmoid (x);
    case U_RELU: return x > 0 ? x : 0;
    case U_ERF: return erf (x);
    case U_SIGN: return x > 0 ? 1 : x < 0 ? -1 : x;
    case U_SOFTPLUS: return x > 30 ? x : log1p (exp (x));
    case U_SOFTSIGN: return x / (1 + fabs (x));
    case U_HARDSWISH: return x * fmax (0, fmin (1, x / 6 + 0.5));
    case U_MISH: return x * tanh (x > 30 ? x : log1p (exp (x)));
    case U_GELU:
      if (p->tanh_gelu)
        return 0.5 * x * (1 + tanh (sqrt (2 / G_PI) * (x + 0.044715 * x * x
                    * x)));
      return 0.5 * x * (1 + erf (x / G_SQRT2));
    case U_LEAKYRELU: return x >= 0 ? x : p->alpha * x;
    case U_ELU: return x >= 0 ? x : p->alpha * (exp (x) - 1);
    case U_SELU: return p->gamma * (x > 0 ? x : p->alpha * (exp (x) - 1));
    case U_HARDSIGMOID: return fmax (0, fmin (1, p->alpha * x + p->beta));
    case U_THRESHOLDEDRELU: return x > p->alpha ? x : 0;
    case U_CELU: return fmax (0, x) + fmin (0, p->alpha * (exp (x / p->alpha)
              - 1));
    case U_SHRINK: return x < -p->alpha ? x + p->beta : x > p->alpha
          ? x - p->beta : 0;
    case U_NOT: return x == 0;
    case U_CLIP: return x < p->lo ? p->lo : x > p->hi ? p->hi : x;
    default: return x;
  }
}

static int64_t
unary_i64 (const UnaryParams *p, int64_t x, gboolean is_unsigned)
{
  switch (p->op) {
    case U_ABS: return x < 0 && !is_unsigned ? -x : x;
    case U_NEG: return -x;
    case U_SIGN: return x > 0 ? 1 : x < 0 && !is_unsigned ? -1 : 0;
    case U_RELU: return x > 0 ? x : 0;
    case U_NOT: return x == 0;
    case U_BITNOT: return ~x;
    case U_CLIP:
      /* Compared as integers: through double, int64 values past 2^53
       * would compare rounded. */
      if (is_unsigned)
        return (guint64) x < (guint64) p->ilo ? p->ilo
            : (guint64) x > (guint64) p->ihi ? p->ihi : x;
      return x < p->ilo ? p->ilo : x > p->ihi ? p->ihi : x;
    case U_FLOOR: case U_CEIL: case U_ROUND:
      return x;
    default:
      return (int64_t) unary_f64 (p, (double) x);
  }
}

/* A vectorized array function over n floats, split between threads in
 * contiguous slices (an exp costs about 16 elementary operations). */
static void
parallel_array_fn (void (*fn) (const float *, float *, int64_t),
    const float *x, float *y, int64_t n)
{
  OVI_PARALLEL_REGION (n * 16, tid, nth, {
    int64_t begin, end;
    ovi_parallel_slice (n, tid, nth, &begin, &end);
    fn (x + begin, y + begin, end - begin);
  });
}

static void
parallel_array_fn2 (void (*fn) (const float *, float *, int64_t, float,
        float), const float *x, float *y, int64_t n, float a, float b)
{
  OVI_PARALLEL_REGION (n, tid, nth, {
    int64_t begin, end;
    ovi_parallel_slice (n, tid, nth, &begin, &end);
    fn (x + begin, y + begin, end - begin, a, b);
  });
}

/* float32 loops for the ops that dominate CNNs; the rest go through
 * double per element, which is exact enough for float32 results. */
static void
unary_f32 (const UnaryParams *p, const float *x, float *y, int64_t n)
{
  switch (p->op) {
    case U_RELU:
      parallel_array_fn2 (ovi_vclamp_f32, x, y, n, 0, INFINITY);
      break;
    case U_CLIP:
      parallel_array_fn2 (ovi_vclamp_f32, x, y, n, (float) p->lo,
          (float) p->hi);
      break;
    case U_NEG:
      OVI_PARALLEL_FOR (n, for (int64_t i = 0; i < n; i++),
          { y[i] = -x[i]; });
      break;
    case U_ABS:
      OVI_PARALLEL_FOR (n, for (int64_t i = 0; i < n; i++),
          { y[i] = fabsf (x[i]); });
      break;
    case U_SIGMOID:
      parallel_array_fn (ovi_vsigmoid_f32, x, y, n);
      break;
    case U_TANH:
      parallel_array_fn (ovi_vtanh_f32, x, y, n);
      break;
    case U_HARDSWISH:
      parallel_array_fn2 (ovi_vhardswish_f32, x, y, n, 1.0f / 6, 0.5f);
      break;
    case U_HARDSIGMOID:
      parallel_array_fn2 (ovi_vhardsigmoid_f32, x, y, n, (float) p->alpha,
          (float) p->beta);
      break;
    default:
      OVI_PARALLEL_FOR (n, for (int64_t i = 0; i < n; i++),
          { y[i] = (float) unary_f64 (p, x[i]); });
      break;
  }
}

static gboolean
read_clip_bound (OviOpCtx *ctx, int input, double *v)
{
  OviTensor *t = ovi_op_input (ctx, input);
  if (t == NULL || t->data == NULL || ovi_tensor_numel (t) < 1)
    return FALSE;
  *v = ovi_tensor_get_f64 (t, 0);
  return TRUE;
}

static gboolean
run_unary (OviOpCtx *ctx, GError **error)
{
  const OviNode *node = ctx->node;
  OviTensor *x = ctx->inputs[0], *y = ctx->outputs[0];
  int64_t n = ovi_tensor_numel (x);
  UnaryParams p = { .op = unary_op_of (node->op_type) };

  switch (p.op) {
    case U_LEAKYRELU: p.alpha = ovi_node_attr_float (node, "alpha", 0.01f); break;
    case U_ELU: case U_CELU: p.alpha = ovi_node_attr_float (node, "alpha", 1.0f); break;
    case U_THRESHOLDEDRELU: p.alpha = ovi_node_attr_float (node, "alpha", 1.0f); break;
    case U_SELU:
      p.alpha = ovi_node_attr_float (node, "alpha", 1.67326319217681884765625f);
      p.gamma = ovi_node_attr_float (node, "gamma", 1.05070102214813232421875f);
      break;
    case U_HARDSIGMOID:
      p.alpha = ovi_node_attr_float (node, "alpha", 0.2f);
      p.beta = ovi_node_attr_float (node, "beta", 0.5f);
      break;
    case U_SHRINK:
      p.alpha = ovi_node_attr_float (node, "lambd", 0.5f);
      p.beta = ovi_node_attr_float (node, "bias", 0.0f);
      break;
    case U_GELU:
      p.tanh_gelu = g_strcmp0 (ovi_node_attr_string (node, "approximate",
              "none"), "tanh") == 0;
      break;
    case U_CLIP: {
      gboolean u = ovi_dtype_is_unsigned_int (x->dtype);
      OviTensor *lo = ovi_op_input (ctx, 1), *hi = ovi_op_input (ctx, 2);
      p.lo = -INFINITY;
      p.hi = INFINITY;
      p.ilo = u ? 0 : G_MININT64;
      p.ihi = u ? (int64_t) G_MAXUINT64 : G_MAXINT64;
      if (ctx->opset < 11) {
        p.lo = ovi_node_attr_float (node, "min", -INFINITY);
        p.hi = ovi_node_attr_float (node, "max", INFINITY);
      } else {
        read_clip_bound (ctx, 1, &p.lo);
        read_clip_bound (ctx, 2, &p.hi);
        /* Integer bounds (Clip of integers exists from opset 12), as
         * integers. */
        if (lo && lo->data && ovi_tensor_numel (lo) > 0)
          p.ilo = ovi_tensor_get_i64 (lo, 0);
        if (hi && hi->data && ovi_tensor_numel (hi) > 0)
          p.ihi = ovi_tensor_get_i64 (hi, 0);
      }
      break;
    }
    default:
      break;
  }

  if (x->dtype == OVI_DTYPE_FLOAT32) {
    unary_f32 (&p, x->data, y->data, n);
  } else if (ovi_dtype_is_float (x->dtype)) {
    for (int64_t i = 0; i < n; i++)
      ovi_store_f64 (y->dtype, y->data, i,
          unary_f64 (&p, ovi_load_f64 (x->dtype, x->data, i)));
  } else {
    gboolean is_unsigned = ovi_dtype_is_unsigned_int (x->dtype);
    for (int64_t i = 0; i < n; i++)
      ovi_store_i64 (y->dtype, y->data, i,
          unary_i64 (&p, ovi_load_i64 (x->dtype, x->data, i), is_unsigned));
  }
  return TRUE;
}

static gboolean
run_is_nan_inf (OviOpCtx *ctx, GError **error)
{
  OviTensor *x = ctx->inputs[0], *y = ctx->outputs[0];
  int64_t n = ovi_tensor_numel (x);
  gboolean is_nan = strcmp (ctx->node->op_type, "IsNaN") == 0;
  gboolean neg = ovi_node_attr_int (ctx->node, "detect_negative", 1) != 0;
  gboolean pos = ovi_node_attr_int (ctx->node, "detect_positive", 1) != 0;
  guint8 *out = y->data;
  for (int64_t i = 0; i < n; i++) {
    double v = ovi_load_f64 (x->dtype, x->data, i);
    out[i] = is_nan ? isnan (v) != 0
        : isinf (v) && ((v > 0 && pos) || (v < 0 && neg));
  }
  return TRUE;
}

static gboolean
run_cast (OviOpCtx *ctx, GError **error)
{
  OviTensor *x = ctx->inputs[0], *y = ctx->outputs[0];
  int64_t n = ovi_tensor_numel (x);
  if (x->dtype == y->dtype) {
    if (y->data != x->data)
      memcpy (y->data, x->data, ovi_tensor_nbytes (x));
  } else if (ovi_dtype_is_float (x->dtype)) {
    for (int64_t i = 0; i < n; i++)
      ovi_store_f64 (y->dtype, y->data, i,
          ovi_load_f64 (x->dtype, x->data, i));
  } else {
    for (int64_t i = 0; i < n; i++)
      ovi_store_i64 (y->dtype, y->data, i,
          ovi_load_i64 (x->dtype, x->data, i));
  }
  return TRUE;
}

/* Binary and variadic ops. */
typedef enum {
  B_ADD, B_SUB, B_MUL, B_DIV, B_POW, B_MOD, B_FMOD, B_PRELU, B_SHL, B_SHR,
  B_BAND, B_BOR, B_BXOR, B_EQ, B_LT, B_GT, B_LE, B_GE, B_AND, B_OR, B_XOR,
  B_MIN, B_MAX
} BinaryOp;

typedef struct {
  BinaryOp op;
  const OviTensor *a, *b;
  OviTensor *out;
} BinaryJob;

static double
binary_f64 (BinaryOp op, double a, double b)
{
  switch (op) {
    case B_ADD: return a + b;
    case B_SUB: return a - b;
    case B_MUL: return a * b;
    case B_DIV: return a / b;
    case B_POW: return pow (a, b);
    case B_MOD: {
      double r = fmod (a, b);
      return r != 0 && ((r < 0) != (b < 0)) ? r + b : r;
    }
    case B_FMOD: return fmod (a, b);
    case B_PRELU: return a < 0 ? a * b : a;
    case B_EQ: return a == b;
    case B_LT: return a < b;
    case B_GT: return a > b;
    case B_LE: return a <= b;
    case B_GE: return a >= b;
    case B_AND: return a != 0 && b != 0;
    case B_OR: return a != 0 || b != 0;
    case B_XOR: return (a != 0) != (b != 0);
    case B_MIN: return isnan (a) || isnan (b) ? NAN : a < b ? a : b;
    case B_MAX: return isnan (a) || isnan (b) ? NAN : a > b ? a : b;
    default: return 0;
  }
}

static int64_t
binary_i64 (BinaryOp op, int64_t a, int64_t b, gboolean is_unsigned)
{
  switch (op) {
    case B_ADD: return (int64_t) ((guint64) a + (guint64) b);
    case B_SUB: return (int64_t) ((guint64) a - (guint64) b);
    case B_MUL: return (int64_t) ((guint64) a * (guint64) b);
    case B_DIV:
      if (b == 0)
        return 0;
      if (is_unsigned)
        return (int64_t) ((guint64) a / (guint64) b);
      if (a == G_MININT64 && b == -1)
        return a;
      return a / b;
    case B_POW: {
      /* Wrapping products (unsigned: signed overflow is undefined), as
       * an integer type's result wraps to its width anyway. */
      guint64 r = 1, m = (guint64) a;
      if (b < 0)
        return a == 1 ? 1 : a == -1 ? (b & 1 ? -1 : 1) : 0;
      while (b) {
        if (b & 1)
          r *= m;
        m *= m;
        b >>= 1;
      }
      return (int64_t) r;
    }
    case B_MOD: case B_FMOD: {
      int64_t r;
      if (b == 0)
        return 0;
      if (is_unsigned)
        return (int64_t) ((guint64) a % (guint64) b);
      if (b == -1)
        return 0;
      r = a % b;
      if (op == B_MOD && r != 0 && ((r < 0) != (b < 0)))
        r += b;
      return r;
    }
    case B_PRELU: return a < 0 ? (int64_t) ((guint64) a * (guint64) b) : a;
    /* BitShift's types are unsigned: a uint64 count past 2^63 is large,
     * not negative (a negative count would be undefined in C). */
    case B_SHL: return (guint64) b >= 64 ? 0 : (int64_t) ((guint64) a << b);
    case B_SHR: return (guint64) b >= 64 ? 0 : (int64_t) ((guint64) a >> b);
    case B_BAND: return a & b;
    case B_BOR: return a | b;
    case B_BXOR: return a ^ b;
    case B_EQ: return a == b;
    case B_LT: return is_unsigned ? (guint64) a < (guint64) b : a < b;
    case B_GT: return is_unsigned ? (guint64) a > (guint64) b : a > b;
    case B_LE: return is_unsigned ? (guint64) a <= (guint64) b : a <= b;
    case B_GE: return is_unsigned ? (guint64) a >= (guint64) b : a >= b;
    case B_AND: return a && b;
    case B_OR: return a || b;
    case B_XOR: return !a != !b;
    case B_MIN: return is_unsigned ? ((guint64) a < (guint64) b ? a : b)
          : a < b ? a : b;
    case B_MAX: return is_unsigned ? ((guint64) a > (guint64) b ? a : b)
          : a > b ? a : b;
    default: return 0;
  }
}

/* Contiguous operands, and a broadcast scalar on either side, get loops
 * of their own that gcc vectorizes; strided ones the general loop. */
#define F32_ROW(expr) \
  do { \
    if (sa == 1 && sb == 1) { \
      for (int64_t i = 0; i < count; i++) { \
        float x = a[i], y = b[i]; \
        o[i] = (expr); \
      } \
    } else if (sa == 1 && sb == 0) { \
      const float y = b[0]; \
      for (int64_t i = 0; i < count; i++) { \
        float x = a[i]; \
        o[i] = (expr); \
      } \
    } else if (sa == 0 && sb == 1) { \
      const float x = a[0]; \
      for (int64_t i = 0; i < count; i++) { \
        float y = b[i]; \
        o[i] = (expr); \
      } \
    } else { \
      for (int64_t i = 0; i < count; i++) { \
        float x = a[i * sa], y = b[i * sb]; \
        o[i] = (expr); \
      } \
    } \
  } while (0)

static void
binary_row (gpointer user, const int64_t *in_off, const int64_t *step,
    int64_t out_off, int64_t count)
{
  BinaryJob *j = user;
  OviDType dt = j->a->dtype;

  if (dt == OVI_DTYPE_FLOAT32 && j->out->dtype == OVI_DTYPE_FLOAT32
      && j->b->dtype == OVI_DTYPE_FLOAT32) {
    const float *a = (const float *) j->a->data + in_off[0];
    const float *b = (const float *) j->b->data + in_off[1];
    float *o = (float *) j->out->data + out_off;
    int64_t sa = step[0], sb = step[1];
    switch (j->op) {
      case B_ADD: F32_ROW (x + y); return;
      case B_SUB: F32_ROW (x - y); return;
      case B_MUL: F32_ROW (x * y); return;
      case B_DIV: F32_ROW (x / y); return;
      case B_PRELU: F32_ROW (x < 0 ? x * y : x); return;
      case B_MIN: F32_ROW (isnan (x) || isnan (y) ? NAN : x < y ? x : y); return;
      case B_MAX: F32_ROW (isnan (x) || isnan (y) ? NAN : x > y ? x : y); return;
      default: break;
    }
  }
  if (ovi_dtype_is_float (dt)) {
    for (int64_t i = 0; i < count; i++) {
      double r = binary_f64 (j->op,
          ovi_load_f64 (dt, j->a->data, in_off[0] + i * step[0]),
          ovi_load_f64 (j->b->dtype, j->b->data, in_off[1] + i * step[1]));
      ovi_store_f64 (j->out->dtype, j->out->data, out_off + i, r);
    }
  } else if (j->op == B_POW && ovi_dtype_is_float (j->b->dtype)) {
    for (int64_t i = 0; i < count; i++) {
      double r = pow (ovi_load_f64 (dt, j->a->data, in_off[0] + i * step[0]),
          ovi_load_f64 (j->b->dtype, j->b->data, in_off[1] + i * step[1]));
      ovi_store_f64 (j->out->dtype, j->out->data, out_off + i, r);
    }
  } else {
    gboolean u = ovi_dtype_is_unsigned_int (dt);
    for (int64_t i = 0; i < count; i++) {
      int64_t r = binary_i64 (j->op,
          ovi_load_i64 (dt, j->a->data, in_off[0] + i * step[0]),
          ovi_load_i64 (j->b->dtype, j->b->data, in_off[1] + i * step[1]), u);
      ovi_store_i64 (j->out->dtype, j->out->data, out_off + i, r);
    }
  }
}

static void
run_binary_op (BinaryOp op, const OviTensor *a, const OviTensor *b,
    OviTensor *out)
{
  BinaryJob j = { op, a, b, out };
  const OviTensor *ins[2] = { a, b };
  ovi_broadcast_run (out, 2, ins, binary_row, &j);
}

static const struct {
  const char *name;
  BinaryOp op;
} binary_ops[] = {
  { "Add", B_ADD }, { "Sub", B_SUB }, { "Mul", B_MUL }, { "Div", B_DIV },
  { "Pow", B_POW }, { "Mod", B_MOD }, { "PRelu", B_PRELU },
  { "BitwiseAnd", B_BAND }, { "BitwiseOr", B_BOR }, { "BitwiseXor", B_BXOR },
  { "Equal", B_EQ }, { "Less", B_LT }, { "Greater", B_GT },
  { "LessOrEqual", B_LE }, { "GreaterOrEqual", B_GE }, { "And", B_AND },
  { "Or", B_OR }, { "Xor", B_XOR }, { "Min", B_MIN }, { "Max", B_MAX },
  { "Sum", B_ADD }, { "Mean", B_ADD },
};

static BinaryOp
binary_op_of (const OviNode *node)
{
  if (strcmp (node->op_type, "Mod") == 0)
    return ovi_node_attr_int (node, "fmod", 0) ? B_FMOD : B_MOD;
  if (strcmp (node->op_type, "BitShift") == 0)
    return g_strcmp0 (ovi_node_attr_string (node, "direction", ""),
        "LEFT") == 0 ? B_SHL : B_SHR;
  for (guint i = 0; i < G_N_ELEMENTS (binary_ops); i++)
    if (strcmp (binary_ops[i].name, node->op_type) == 0)
      return binary_ops[i].op;
  g_assert_not_reached ();
  return B_ADD;
}

static gboolean
run_binary (OviOpCtx *ctx, GError **error)
{
  if (ovi_node_attr_int (ctx->node, OVI_ATTR_BLOCKED, 0)) {
    if (strcmp (ctx->node->op_type, "Mul") == 0)
      return ovi_blocked_scale_run (ctx, error);
    g_set_error (error, OVI_ERROR, OVI_ERROR_UNSUPPORTED,
        "%s: node '%s' (%s): no blocked layout for this op", ctx->source,
        ctx->node->name, ctx->node->op_type);
    return FALSE;
  }
  if (strcmp (ctx->node->op_type, "PRelu") == 0
      && ovi_prelu_legacy_slope (ctx)) {
    /* View the slope as [C, 1, ..., 1] against [N, C, ...]. */
    OviTensor slope = *ctx->inputs[1];
    slope.rank = ctx->inputs[0]->rank - 1;
    for (int d = 1; d < slope.rank; d++)
      slope.dims[d] = 1;
    run_binary_op (B_PRELU, ctx->inputs[0], &slope, ctx->outputs[0]);
    return TRUE;
  }
  run_binary_op (binary_op_of (ctx->node), ctx->inputs[0], ctx->inputs[1],
      ctx->outputs[0]);
  return TRUE;
}

/* Sum of float32 inputs all of the output's shape (ovi_pass_fuse_sums
 * makes them from trees of Adds), its fused activation included: piece
 * by piece, so that the output is written once and finished while in
 * cache. FALSE when the inputs are not such. */
#define SUM_PIECE 4096

static gboolean
sum_same_shape_f32 (OviOpCtx *ctx)
{
  OviTensor *out = ctx->outputs[0];
  int64_t total = ovi_tensor_numel (out), pieces;
  OviPostOps post;

  if (out->dtype != OVI_DTYPE_FLOAT32 || ctx->n_inputs < 2)
    return FALSE;
  for (int i = 0; i < ctx->n_inputs; i++) {
    const OviTensor *t = ctx->inputs[i];
    if (t == NULL || t->dtype != OVI_DTYPE_FLOAT32
        || !ovi_shape_equal (t->rank, t->dims, out->rank, out->dims))
      return FALSE;
  }
  ovi_postops_from_node (ctx->node, &post);
  pieces = (total + SUM_PIECE - 1) / SUM_PIECE;
  OVI_PARALLEL_FOR (total, for (int64_t p = 0; p < pieces; p++), {
        int64_t b = p * SUM_PIECE, len = MIN (SUM_PIECE, total - b);
        float *o = (float *) out->data + b;
        const float *x0 = (const float *) ctx->inputs[0]->data + b;
        const float *x1 = (const float *) ctx->inputs[1]->data + b;
        for (int64_t i = 0; i < len; i++)
          o[i] = x0[i] + x1[i];
        for (int k = 2; k < ctx->n_inputs; k++) {
          const float *xk = (const float *) ctx->inputs[k]->data + b;
          for (int64_t i = 0; i < len; i++)
            o[i] += xk[i];
        }
        ovi_postops_apply (&post, o, NULL, len);
      });
  return TRUE;
}

/* Sum, Min, Max, Mean: fold inputs pairwise into the output. */
static gboolean
run_variadic (OviOpCtx *ctx, GError **error)
{
  BinaryOp op = binary_op_of (ctx->node);
  OviTensor *out = ctx->outputs[0];
  int n = 0;

  if (strcmp (ctx->node->op_type, "Sum") == 0 && sum_same_shape_f32 (ctx))
    return TRUE;

  for (int i = 0; i < ctx->n_inputs; i++) {
    OviTensor *t = ctx->inputs[i];
    if (t == NULL)
      continue;
    if (n++ == 0) {
      ovi_broadcast_copy (t, out);
    } else {
      run_binary_op (op, out, t, out);
    }
  }
  if (strcmp (ctx->node->op_type, "Mean") == 0 && n > 1) {
    int64_t total = ovi_tensor_numel (out);
    for (int64_t i = 0; i < total; i++)
      ovi_tensor_set_f64 (out, i, ovi_tensor_get_f64 (out, i) / n);
  }
  return TRUE;
}

typedef struct {
  const OviTensor *c, *x, *y;
  OviTensor *out;
  gsize esize;
} WhereJob;

static void
where_row (gpointer user, const int64_t *off, const int64_t *step,
    int64_t out_off, int64_t count)
{
  WhereJob *j = user;
  const guint8 *c = j->c->data;
  const guint8 *x = j->x->data, *y = j->y->data;
  guint8 *o = j->out->data;
  for (int64_t i = 0; i < count; i++) {
    gboolean take_x = c[off[0] + i * step[0]] != 0;
    const guint8 *src = take_x ? x + (off[1] + i * step[1]) * j->esize
        : y + (off[2] + i * step[2]) * j->esize;
    memcpy (o + (out_off + i) * j->esize, src, j->esize);
  }
}

static gboolean
run_where (OviOpCtx *ctx, GError **error)
{
  WhereJob j = { ctx->inputs[0], ctx->inputs[1], ctx->inputs[2],
    ctx->outputs[0], ovi_dtype_size (ctx->inputs[1]->dtype) };
  const OviTensor *ins[3] = { j.c, j.x, j.y };
  ovi_broadcast_run (j.out, 3, ins, where_row, &j);
  return TRUE;
}

const OviCpuKernel ovi_cpu_elementwise[] = {
  { "Abs", run_unary }, { "Neg", run_unary }, { "Floor", run_unary },
  { "Ceil", run_unary }, { "Round", run_unary }, { "Sqrt", run_unary },
  { "Exp", run_unary }, { "Log", run_unary }, { "Reciprocal", run_unary },
  { "Sin", run_unary }, { "Cos", run_unary }, { "Tan", run_unary },
  { "Asin", run_unary }, { "Acos", run_unary }, { "Atan", run_unary },
  { "Sinh", run_unary }, { "Cosh", run_unary }, { "Asinh", run_unary },
  { "Acosh", run_unary }, { "Atanh", run_unary }, { "Tanh", run_unary },
  { "Sigmoid", run_unary }, { "Relu", run_unary }, { "Erf", run_unary },
  { "Sign", run_unary }, { "Softplus", run_unary },
  { "Softsign", run_unary }, { "HardSwish", run_unary },
  { "Mish", run_unary }, { "Gelu", run_unary }, { "LeakyRelu", run_unary },
  { "Elu", run_unary }, { "Selu", run_unary }, { "HardSigmoid", run_unary },
  { "ThresholdedRelu", run_unary }, { "Celu", run_unary },
  { "Shrink", run_unary }, { "Not", run_unary }, { "BitwiseNot", run_unary },
  { "Clip", run_unary },
  { "IsNaN", run_is_nan_inf }, { "IsInf", run_is_nan_inf },
  { "Cast", run_cast }, { "CastLike", run_cast },
  { "Add", run_binary }, { "Sub", run_binary }, { "Mul", run_binary },
  { "Div", run_binary }, { "Pow", run_binary }, { "Mod", run_binary },
  { "PRelu", run_binary }, { "BitShift", run_binary },
  { "BitwiseAnd", run_binary }, { "BitwiseOr", run_binary },
  { "BitwiseXor", run_binary },
  { "Equal", run_binary }, { "Less", run_binary }, { "Greater", run_binary },
  { "LessOrEqual", run_binary }, { "GreaterOrEqual", run_binary },
  { "And", run_binary }, { "Or", run_binary }, { "Xor", run_binary },
  { "Sum", run_variadic }, { "Min", run_variadic }, { "Max", run_variadic },
  { "Mean", run_variadic },
  { "Where", run_where },
  { NULL }
};
