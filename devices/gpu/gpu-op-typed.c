/* Elementwise ops on integers, bool and float32 beyond the float
 * arithmetic of gpu-op-elementwise.c (kernels/typed.cl): Cast and
 * CastLike, integer unary and binary math, comparisons, logic, bit
 * operations, Where, IsNaN and IsInf, QuantizeLinear and
 * DequantizeLinear, OneHot and EyeLike. They carry the shape and mask
 * arithmetic of detection heads and transformers; on the GPU they spare
 * those graphs the copies of a CPU step between GPU steps. */
#include <string.h>

#include "gpu-exec.h"
#include "ops/ops.h"

/* kernels/typed.cl's type codes; -1 for the types it does not take. */
static int
type_code (OviDType t)
{
  switch (t) {
    case OVI_DTYPE_FLOAT32: return 0;
    case OVI_DTYPE_BOOL: return 1;
    case OVI_DTYPE_UINT8: return 2;
    case OVI_DTYPE_INT8: return 3;
    case OVI_DTYPE_UINT16: return 4;
    case OVI_DTYPE_INT16: return 5;
    case OVI_DTYPE_UINT32: return 6;
    case OVI_DTYPE_INT32: return 7;
    case OVI_DTYPE_UINT64: return 8;
    case OVI_DTYPE_INT64: return 9;
    default: return -1;
  }
}

#define T_F32 0
#define T_U64 8

/* The value's type code when a typed kernel can address it, else -1. */
static int
typed_value (const OviGpuBuild *b, int v)
{
  if (v < 0 || !ovi_gpu_is_plain (b, v))
    return -1;
  return type_code (ovi_gpu_value (b, v)->dtype);
}

static gboolean
build_cast (OviGpuBuild *b, const OviNode *n)
{
  int x = n->n_inputs > 0 ? n->inputs[0] : -1, y = n->outputs[0];
  int tx = typed_value (b, x), ty = typed_value (b, y);
  int64_t total;
  OviGpuLaunch *l;
  if (tx < 0 || ty < 0 || n->n_outputs != 1)
    return FALSE;
  total = ovi_gpu_numel (ovi_gpu_value (b, y));
  if (total == 0)
    return TRUE;
  l = ovi_gpu_launch (b, "typed", "cast");
  ovi_gpu_arg_value (l, x);
  ovi_gpu_arg_int (l, tx);
  ovi_gpu_arg_value (l, y);
  ovi_gpu_arg_int (l, ty);
  ovi_gpu_arg_int (l, total);
  ovi_gpu_range_1d (l, total);
  return TRUE;
}

/* Integer and bool unary ops, codes of typed.cl's unary_int. */
static const struct {
  const char *name;
  int op;
} int_unary_ops[] = {
  { "Abs", 0 }, { "Neg", 1 }, { "Sign", 2 }, { "Relu", 3 }, { "Not", 4 },
  { "BitwiseNot", 5 }, { "Clip", 6 }, { "Floor", 7 }, { "Ceil", 7 },
  { "Round", 7 },
};

/* Clip's bounds for an integer input: constant inputs (integer Clip
 * exists from opset 12, where the bounds are inputs). */
static gboolean
int_clip_bounds (const OviGpuBuild *b, const OviNode *n, int64_t *lo,
    int64_t *hi)
{
  *lo = G_MININT64;
  *hi = G_MAXINT64;
  for (int k = 1; k < n->n_inputs && k < 3; k++) {
    const OviValue *v = ovi_gpu_input (b, n, k);
    if (v == NULL)
      continue;
    if (v->constant == NULL || ovi_tensor_numel (v->constant) < 1)
      return FALSE;
    *(k == 1 ? lo : hi) = ovi_tensor_get_i64 (v->constant, 0);
  }
  return TRUE;
}

static gboolean
build_unary_int (OviGpuBuild *b, const OviNode *n)
{
  int x = n->n_inputs > 0 ? n->inputs[0] : -1, y = n->outputs[0];
  int t = typed_value (b, x), op = -1;
  int64_t lo = 0, hi = 0, total;
  OviGpuLaunch *l;

  if (t <= T_F32 || typed_value (b, y) != t || n->n_outputs != 1)
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (int_unary_ops); i++)
    if (strcmp (int_unary_ops[i].name, n->op_type) == 0)
      op = int_unary_ops[i].op;
  if (op < 0)
    return FALSE;
  if (strcmp (n->op_type, "Clip") == 0) {
    /* uint64 values past 2^63 would compare as negative in the kernel's
     * signed 64 bits: the CPU compares them unsigned. */
    if (b->plan->graph->opset < 11 || t == T_U64
        || !int_clip_bounds (b, n, &lo, &hi))
      return FALSE;
  } else if (n->n_inputs != 1) {
    return FALSE;
  }
  total = ovi_gpu_numel (ovi_gpu_value (b, y));
  if (total == 0)
    return TRUE;
  l = ovi_gpu_launch (b, "typed", "unary_int");
  ovi_gpu_arg_value (l, x);
  ovi_gpu_arg_value (l, y);
  ovi_gpu_arg_int (l, t);
  ovi_gpu_arg_int (l, total);
  ovi_gpu_arg_int (l, op);
  ovi_gpu_arg_long (l, lo);
  ovi_gpu_arg_long (l, hi);
  ovi_gpu_arg_int (l, ovi_dtype_is_unsigned_int (ovi_gpu_value (b, x)->dtype));
  ovi_gpu_range_1d (l, total);
  return TRUE;
}

static gboolean
build_is_nan_inf (OviGpuBuild *b, const OviNode *n)
{
  int x = n->n_inputs > 0 ? n->inputs[0] : -1, y = n->outputs[0];
  gboolean is_inf = strcmp (n->op_type, "IsInf") == 0;
  int64_t total;
  OviGpuLaunch *l;
  if (n->n_inputs != 1 || typed_value (b, x) != T_F32
      || typed_value (b, y) < 0
      || ovi_gpu_value (b, y)->dtype != OVI_DTYPE_BOOL)
    return FALSE;
  total = ovi_gpu_numel (ovi_gpu_value (b, y));
  if (total == 0)
    return TRUE;
  l = ovi_gpu_launch (b, "typed", "is_nan_inf");
  ovi_gpu_arg_value (l, x);
  ovi_gpu_arg_value (l, y);
  ovi_gpu_arg_int (l, total);
  ovi_gpu_arg_int (l, is_inf);
  ovi_gpu_arg_int (l, ovi_node_attr_int (n, "detect_positive", 1) != 0);
  ovi_gpu_arg_int (l, ovi_node_attr_int (n, "detect_negative", 1) != 0);
  ovi_gpu_range_1d (l, total);
  return TRUE;
}

/* Binary op codes of typed.cl. */
enum {
  TB_ADD, TB_SUB, TB_MUL, TB_DIV, TB_POW, TB_MOD, TB_FMOD, TB_PRELU,
  TB_SHL, TB_SHR, TB_BAND, TB_BOR, TB_BXOR, TB_EQ, TB_LT, TB_GT, TB_LE,
  TB_GE, TB_AND, TB_OR, TB_XOR, TB_MIN, TB_MAX,
};

static const struct {
  const char *name;
  int op;
  gboolean compares;   /* bool output, any input type */
} binary_ops[] = {
  { "Add", TB_ADD }, { "Sub", TB_SUB }, { "Mul", TB_MUL },
  { "Div", TB_DIV }, { "Pow", TB_POW }, { "Mod", TB_MOD },
  { "PRelu", TB_PRELU }, { "BitShift", TB_SHL },
  { "BitwiseAnd", TB_BAND }, { "BitwiseOr", TB_BOR },
  { "BitwiseXor", TB_BXOR }, { "Min", TB_MIN }, { "Max", TB_MAX },
  { "Sum", TB_ADD },
  { "Equal", TB_EQ, TRUE }, { "Less", TB_LT, TRUE },
  { "Greater", TB_GT, TRUE }, { "LessOrEqual", TB_LE, TRUE },
  { "GreaterOrEqual", TB_GE, TRUE }, { "And", TB_AND, TRUE },
  { "Or", TB_OR, TRUE }, { "Xor", TB_XOR, TRUE },
};

/* Integer arithmetic and every comparison; float32 arithmetic is
 * gpu-op-elementwise.c's (its builder comes first and takes it). */
static gboolean
build_binary_typed (OviGpuBuild *b, const OviNode *n)
{
  int op = -1, ta, tb, ty;
  gboolean compares = FALSE;
  const OviValue *a, *c, *y;
  int dims[OVI_MAX_RANK], as[OVI_MAX_RANK], bs[OVI_MAX_RANK];
  int64_t total;
  OviGpuLaunch *l;

  for (guint i = 0; i < G_N_ELEMENTS (binary_ops); i++)
    if (strcmp (binary_ops[i].name, n->op_type) == 0) {
      op = binary_ops[i].op;
      compares = binary_ops[i].compares;
    }
  if (op < 0 || n->n_inputs != 2 || n->n_outputs != 1)
    return FALSE;
  ta = typed_value (b, n->inputs[0]);
  tb = typed_value (b, n->inputs[1]);
  ty = typed_value (b, n->outputs[0]);
  if (ta < 0 || tb < 0 || ty < 0)
    return FALSE;
  /* A float32 first operand computes in float: comparisons, and Pow by
   * an integer exponent. Pow of an integer by a float exponent stays on
   * the CPU, which computes it in double and truncates: OpenCL's pow may
   * be 16 ulp off, and 5^3 could truncate to 124. Other mixes are not
   * ONNX. */
  if (ta == T_F32 && !compares && op != TB_POW)
    return FALSE;
  if (op == TB_POW && tb == T_F32)
    return FALSE;
  if (op == TB_POW && b->plan->graph->opset < 7)
    return FALSE;
  if (op == TB_PRELU && b->plan->graph->opset < 7)
    return FALSE;
  if (compares != (ovi_gpu_value (b, n->outputs[0])->dtype == OVI_DTYPE_BOOL))
    return FALSE;
  if (op == TB_MOD && ovi_node_attr_int (n, "fmod", 0))
    op = TB_FMOD;
  if (op == TB_SHL && g_strcmp0 (ovi_node_attr_string (n, "direction", ""),
          "LEFT") != 0)
    op = TB_SHR;
  a = ovi_gpu_input (b, n, 0);
  c = ovi_gpu_input (b, n, 1);
  y = ovi_gpu_output (b, n, 0);
  total = ovi_gpu_numel (y);
  if (total == 0)
    return TRUE;
  for (int d = 0; d < y->rank; d++)
    dims[d] = (int) y->dims[d];
  ovi_gpu_bcast_strides (a, y, as);
  ovi_gpu_bcast_strides (c, y, bs);
  l = ovi_gpu_launch (b, "typed", "binary_typed");
  ovi_gpu_arg_value (l, n->inputs[0]);
  ovi_gpu_arg_value (l, n->inputs[1]);
  ovi_gpu_arg_value (l, n->outputs[0]);
  ovi_gpu_arg_int (l, ta);
  ovi_gpu_arg_int (l, tb);
  ovi_gpu_arg_int (l, ty);
  ovi_gpu_arg_int (l, total);
  ovi_gpu_arg_int (l, y->rank);
  ovi_gpu_arg_ints (b, l, dims, y->rank);
  ovi_gpu_arg_ints (b, l, as, y->rank);
  ovi_gpu_arg_ints (b, l, bs, y->rank);
  ovi_gpu_arg_int (l, op);
  ovi_gpu_arg_int (l, ovi_dtype_is_unsigned_int (a->dtype));
  ovi_gpu_range_1d (l, total);
  return TRUE;
}

static gboolean
build_where (OviGpuBuild *b, const OviNode *n)
{
  static const char *const kernels[] = { NULL, "where_1", "where_2", NULL,
    "where_4", NULL, NULL, NULL, "where_8" };
  const OviValue *y;
  int dims[OVI_MAX_RANK], strides[3][OVI_MAX_RANK];
  int64_t total;
  OviGpuLaunch *l;

  if (n->n_inputs != 3 || n->n_outputs != 1)
    return FALSE;
  for (int k = 0; k < 3; k++)
    if (n->inputs[k] < 0 || !ovi_gpu_is_plain (b, n->inputs[k]))
      return FALSE;
  if (!ovi_gpu_is_plain (b, n->outputs[0])
      || ovi_gpu_input (b, n, 0)->dtype != OVI_DTYPE_BOOL)
    return FALSE;
  y = ovi_gpu_output (b, n, 0);
  total = ovi_gpu_numel (y);
  if (total == 0)
    return TRUE;
  for (int d = 0; d < y->rank; d++)
    dims[d] = (int) y->dims[d];
  for (int k = 0; k < 3; k++)
    ovi_gpu_bcast_strides (ovi_gpu_input (b, n, k), y, strides[k]);
  l = ovi_gpu_launch (b, "typed", kernels[ovi_dtype_size (y->dtype)]);
  for (int k = 0; k < 3; k++)
    ovi_gpu_arg_value (l, n->inputs[k]);
  ovi_gpu_arg_value (l, n->outputs[0]);
  ovi_gpu_arg_int (l, total);
  ovi_gpu_arg_int (l, y->rank);
  ovi_gpu_arg_ints (b, l, dims, y->rank);
  for (int k = 0; k < 3; k++)
    ovi_gpu_arg_ints (b, l, strides[k], y->rank);
  ovi_gpu_range_1d (l, total);
  return TRUE;
}

/* QuantizeLinear (float32 to 8 or 16-bit integers) and DequantizeLinear
 * (integers to float32), scale float32 and zero point of the quantized
 * type, per tensor or per axis, constants or computed at run time. */
static gboolean
build_quant (OviGpuBuild *b, const OviNode *n)
{
  gboolean quantize = strcmp (n->op_type, "QuantizeLinear") == 0;
  int x = n->n_inputs > 0 ? n->inputs[0] : -1, y = n->outputs[0];
  int sc = n->n_inputs > 1 ? n->inputs[1] : -1;
  int zp = n->n_inputs > 2 ? n->inputs[2] : -1;
  int tq = typed_value (b, quantize ? y : x), tz = -1, axis = -1;
  const OviValue *xv, *q;
  int64_t np, inner = 1, dim = 1, lo = 0, hi = 0, total;
  OviGpuLaunch *l;

  if (n->n_outputs != 1 || n->n_inputs > 3 || tq <= T_F32 || sc < 0
      || typed_value (b, quantize ? x : y) != T_F32
      || typed_value (b, sc) != T_F32)
    return FALSE;
  if (zp >= 0 && (tz = typed_value (b, zp)) != tq)
    return FALSE;
  xv = ovi_gpu_value (b, x);
  q = ovi_gpu_value (b, quantize ? y : x);
  switch (q->dtype) {
    case OVI_DTYPE_UINT8: lo = 0; hi = 255; break;
    case OVI_DTYPE_INT8: lo = -128; hi = 127; break;
    case OVI_DTYPE_UINT16: lo = 0; hi = 65535; break;
    case OVI_DTYPE_INT16: lo = -32768; hi = 32767; break;
    case OVI_DTYPE_INT32:
      if (quantize)
        return FALSE;
      break;
    default:
      return FALSE;
  }
  /* The parameters' axis as the CPU reads it (quant_axis). */
  np = ovi_gpu_numel (ovi_gpu_value (b, sc));
  if (np > 1) {
    if (b->plan->graph->opset < 13)
      axis = 1;
    else if (!ovi_op_axis (ovi_node_attr_int (n, "axis", 1), xv->rank,
            &axis))
      return FALSE;
    if (axis >= xv->rank || xv->dims[axis] != np)
      return FALSE;
    dim = xv->dims[axis];
    inner = ovi_shape_numel (xv->rank - axis - 1, xv->dims + axis + 1);
  }
  if (np < 1 || (zp >= 0 && ovi_gpu_numel (ovi_gpu_value (b, zp)) != np)
      || ovi_node_attr (n, "block_size"))
    return FALSE;
  total = ovi_gpu_numel (xv);
  if (total == 0)
    return TRUE;
  l = ovi_gpu_launch (b, "typed", quantize ? "quantize" : "dequantize");
  ovi_gpu_arg_value (l, x);
  if (!quantize)
    ovi_gpu_arg_int (l, tq);
  ovi_gpu_arg_value (l, y);
  if (quantize)
    ovi_gpu_arg_int (l, tq);
  ovi_gpu_arg_int (l, total);
  ovi_gpu_arg_value (l, sc);
  ovi_gpu_arg_value (l, zp >= 0 ? zp : sc);
  ovi_gpu_arg_int (l, MAX (tz, 0));
  ovi_gpu_arg_int (l, zp >= 0);
  ovi_gpu_arg_int (l, np);
  ovi_gpu_arg_int (l, inner);
  ovi_gpu_arg_int (l, dim);
  if (quantize) {
    ovi_gpu_arg_long (l, lo);
    ovi_gpu_arg_long (l, hi);
  }
  ovi_gpu_range_1d (l, total);
  return TRUE;
}

/* OneHot with a constant depth; indices of any type the kernels read,
 * values (off, on) of any element size, constant or at run time. */
static gboolean
build_onehot (OviGpuBuild *b, const OviNode *n)
{
  static const char *const kernels[] = { "onehot_1", "onehot_2",
    "onehot_4", "onehot_8" };
  int ti, axis;
  const OviValue *ind, *depth_v, *values, *y;
  int64_t depth, inner, total;
  gsize es;
  OviGpuLaunch *l;

  if (n->n_inputs != 3 || n->n_outputs != 1 || n->inputs[1] < 0
      || n->inputs[2] < 0 || (ti = typed_value (b, n->inputs[0])) < 0
      || !ovi_gpu_is_plain (b, n->inputs[2])
      || !ovi_gpu_is_plain (b, n->outputs[0]))
    return FALSE;
  ind = ovi_gpu_input (b, n, 0);
  depth_v = ovi_gpu_input (b, n, 1);
  values = ovi_gpu_input (b, n, 2);
  y = ovi_gpu_output (b, n, 0);
  if (depth_v->constant == NULL || ovi_tensor_numel (depth_v->constant) != 1
      || ovi_gpu_numel (values) != 2 || values->dtype != y->dtype
      || y->rank != ind->rank + 1
      || !ovi_op_axis (ovi_node_attr_int (n, "axis", -1), y->rank, &axis))
    return FALSE;
  depth = ovi_tensor_get_i64 (depth_v->constant, 0);
  if (depth != y->dims[axis])
    return FALSE;
  inner = ovi_shape_numel (y->rank - axis - 1, y->dims + axis + 1);
  total = ovi_gpu_numel (y);
  if (total == 0)
    return TRUE;
  es = ovi_dtype_size (y->dtype);
  l = ovi_gpu_launch (b, "typed", ovi_gpu_by_size_of (es, kernels));
  ovi_gpu_arg_value (l, n->inputs[0]);
  ovi_gpu_arg_int (l, ti);
  ovi_gpu_arg_value (l, n->inputs[2]);
  ovi_gpu_arg_value (l, n->outputs[0]);
  ovi_gpu_arg_int (l, depth);
  ovi_gpu_arg_int (l, inner);
  ovi_gpu_arg_int (l, total);
  ovi_gpu_range_1d (l, total);
  return TRUE;
}

static gboolean
build_eye_like (OviGpuBuild *b, const OviNode *n)
{
  const OviValue *y = ovi_gpu_output (b, n, 0);
  int ty = n->n_outputs == 1 ? typed_value (b, n->outputs[0]) : -1;
  int64_t k = ovi_node_attr_int (n, "k", 0);
  OviGpuLaunch *l;
  if (ty < 0 || y->rank != 2 || k > G_MAXINT32 || k < -G_MAXINT32)
    return FALSE;
  if (ovi_gpu_numel (y) == 0)
    return TRUE;
  l = ovi_gpu_launch (b, "typed", "eye_like");
  ovi_gpu_arg_value (l, n->outputs[0]);
  ovi_gpu_arg_int (l, ty);
  ovi_gpu_arg_int (l, y->dims[1]);
  ovi_gpu_arg_int (l, k);
  ovi_gpu_arg_int (l, ovi_gpu_numel (y));
  ovi_gpu_range_1d (l, ovi_gpu_numel (y));
  return TRUE;
}

const OviGpuOp ovi_gpu_ops_typed[] = {
  { "Cast", build_cast }, { "CastLike", build_cast },
  { "IsNaN", build_is_nan_inf }, { "IsInf", build_is_nan_inf },
  { "Where", build_where },
  { "Abs", build_unary_int }, { "Neg", build_unary_int },
  { "Sign", build_unary_int }, { "Relu", build_unary_int },
  { "Not", build_unary_int }, { "BitwiseNot", build_unary_int },
  { "Clip", build_unary_int }, { "Floor", build_unary_int },
  { "Ceil", build_unary_int }, { "Round", build_unary_int },
  { "Add", build_binary_typed }, { "Sub", build_binary_typed },
  { "Mul", build_binary_typed }, { "Div", build_binary_typed },
  { "Pow", build_binary_typed }, { "Mod", build_binary_typed },
  { "PRelu", build_binary_typed }, { "BitShift", build_binary_typed },
  { "BitwiseAnd", build_binary_typed }, { "BitwiseOr", build_binary_typed },
  { "BitwiseXor", build_binary_typed }, { "Min", build_binary_typed },
  { "Max", build_binary_typed }, { "Sum", build_binary_typed },
  { "Equal", build_binary_typed }, { "Less", build_binary_typed },
  { "Greater", build_binary_typed }, { "LessOrEqual", build_binary_typed },
  { "GreaterOrEqual", build_binary_typed }, { "And", build_binary_typed },
  { "Or", build_binary_typed }, { "Xor", build_binary_typed },
  { "QuantizeLinear", build_quant }, { "DequantizeLinear", build_quant },
  { "OneHot", build_onehot }, { "EyeLike", build_eye_like },
  { NULL, NULL },
};
