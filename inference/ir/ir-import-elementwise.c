/* IR -> ONNX: elementwise layers (math, activations, comparisons,
 * logic, bitwise ops, Convert). */
#include <math.h>
#include <string.h>

#include "ir-private.h"

/* One ONNX node of the same semantics: the table entry names it. */
static gboolean
import_one_to_one (OviIrImport *c, GError **error)
{
  const OviIrImportOp *op = c->op;
  if (!ovi_ir_check_io (c, op->n_inputs, op->n_inputs, 1, 1, error))
    return FALSE;
  if (op->broadcast && !ovi_ir_check_broadcast (c, error))
    return FALSE;
  ovi_ir_add_node (c, op->onnx, c->n_in, c->in, 1, c->out);
  return TRUE;
}

static gboolean
import_not_equal (OviIrImport *c, GError **error)
{
  int eq;
  if (!ovi_ir_check_io (c, 2, 2, 1, 1, error)
      || !ovi_ir_check_broadcast (c, error))
    return FALSE;
  eq = ovi_ir_node1 (c, "Equal", -1, OVI_DTYPE_BOOL, 2, c->in[0], c->in[1]);
  ovi_ir_node1 (c, "Not", c->out[0], OVI_DTYPE_BOOL, 1, eq);
  return TRUE;
}

static gboolean
import_squared_difference (OviIrImport *c, GError **error)
{
  int d;
  if (!ovi_ir_check_io (c, 2, 2, 1, 1, error)
      || !ovi_ir_check_broadcast (c, error))
    return FALSE;
  d = ovi_ir_node1 (c, "Sub", -1, ovi_ir_out_dtype (c, 0), 2, c->in[0],
      c->in[1]);
  ovi_ir_node1 (c, "Mul", c->out[0], ovi_ir_out_dtype (c, 0), 2, d, d);
  return TRUE;
}

static gboolean
import_divide (OviIrImport *c, GError **error)
{
  gboolean python;
  OviDType t;
  int q, r, zero, one, nz, neg_r, neg_b, sign_differs, adjust, qm1;
  if (!ovi_ir_check_io (c, 2, 2, 1, 1, error)
      || !ovi_ir_check_broadcast (c, error)
      || !ovi_ir_attr_bool (c, "m_pythondiv", TRUE, &python, error))
    return FALSE;
  t = ovi_ir_out_dtype (c, 0);
  if (!python || !ovi_dtype_is_signed_int (t)) {
    ovi_ir_add_node (c, "Div", 2, c->in, 1, c->out);
    return TRUE;
  }
  /* Floor division on signed integers: truncate, then step down where
   * the remainder is non-zero and its sign differs from the divisor's. */
  q = ovi_ir_node1 (c, "Div", -1, t, 2, c->in[0], c->in[1]);
  r = ovi_ir_node1 (c, "Sub", -1, t, 2, c->in[0],
      ovi_ir_node1 (c, "Mul", -1, t, 2, q, c->in[1]));
  zero = ovi_ir_const_scalar (c, t, 0, FALSE);
  one = ovi_ir_const_scalar (c, t, 1, FALSE);
  nz = ovi_ir_node1 (c, "Not", -1, OVI_DTYPE_BOOL, 1,
      ovi_ir_node1 (c, "Equal", -1, OVI_DTYPE_BOOL, 2, r, zero));
  neg_r = ovi_ir_node1 (c, "Less", -1, OVI_DTYPE_BOOL, 2, r, zero);
  neg_b = ovi_ir_node1 (c, "Less", -1, OVI_DTYPE_BOOL, 2, c->in[1], zero);
  sign_differs = ovi_ir_node1 (c, "Xor", -1, OVI_DTYPE_BOOL, 2, neg_r, neg_b);
  adjust = ovi_ir_node1 (c, "And", -1, OVI_DTYPE_BOOL, 2, nz, sign_differs);
  qm1 = ovi_ir_node1 (c, "Sub", -1, t, 2, q, one);
  ovi_ir_node1 (c, "Where", c->out[0], t, 3, adjust, qm1, q);
  return TRUE;
}

static gboolean
import_mod (OviIrImport *c, GError **error)
{
  gboolean floor_mod = strcmp (c->layer->type, "FloorMod") == 0;
  OviDType t;
  if (!ovi_ir_check_io (c, 2, 2, 1, 1, error)
      || !ovi_ir_check_broadcast (c, error))
    return FALSE;
  t = ovi_ir_out_dtype (c, 0);
  if (floor_mod && ovi_dtype_is_float (t)) {
    /* a - floor(a / b) * b */
    int q = ovi_ir_node1 (c, "Floor", -1, t, 1,
        ovi_ir_node1 (c, "Div", -1, t, 2, c->in[0], c->in[1]));
    ovi_ir_node1 (c, "Sub", c->out[0], t, 2, c->in[0],
        ovi_ir_node1 (c, "Mul", -1, t, 2, q, c->in[1]));
    return TRUE;
  }
  ovi_ir_add_node (c, "Mod", 2, c->in, 1, c->out);
  ovi_node_set_attr_int (ovi_ir_last_node (c), "fmod", floor_mod ? 0 : 1);
  return TRUE;
}

static gboolean
import_elu (OviIrImport *c, GError **error)
{
  double alpha;
  if (!ovi_ir_check_io (c, 1, 1, 1, 1, error)
      || !ovi_ir_attr_float (c, "alpha", TRUE, 1.0, &alpha, error))
    return FALSE;
  ovi_ir_add_node (c, "Elu", 1, c->in, 1, c->out);
  ovi_node_set_attr_float (ovi_ir_last_node (c), "alpha", (float) alpha);
  return TRUE;
}

static gboolean
import_clamp (OviIrImport *c, GError **error)
{
  double lo, hi;
  OviDType t;
  if (!ovi_ir_check_io (c, 1, 1, 1, 1, error)
      || !ovi_ir_attr_float (c, "min", TRUE, 0, &lo, error)
      || !ovi_ir_attr_float (c, "max", TRUE, 0, &hi, error))
    return FALSE;
  t = ovi_ir_out_dtype (c, 0);
  if (!ovi_dtype_is_known (t))
    return ovi_ir_fail (c, error, OVI_ERROR_INVALID, "has no element type");
  if (!ovi_dtype_is_float (t)) {
    lo = ceil (lo);
    hi = floor (hi);
  }
  ovi_ir_node1 (c, "Clip", c->out[0], t, 3, c->in[0],
      ovi_ir_const_scalar (c, t, lo, FALSE),
      ovi_ir_const_scalar (c, t, hi, FALSE));
  return TRUE;
}

static gboolean
import_hsigmoid (OviIrImport *c, GError **error)
{
  if (!ovi_ir_check_io (c, 1, 1, 1, 1, error))
    return FALSE;
  ovi_ir_add_node (c, "HardSigmoid", 1, c->in, 1, c->out);
  ovi_node_set_attr_float (ovi_ir_last_node (c), "alpha", 1.0f / 6.0f);
  ovi_node_set_attr_float (ovi_ir_last_node (c), "beta", 0.5f);
  return TRUE;
}

static gboolean
import_hard_sigmoid (OviIrImport *c, GError **error)
{
  double alpha, beta;
  if (!ovi_ir_check_io (c, 3, 3, 1, 1, error)
      || !ovi_ir_const_scalar_float (c, 1, "alpha", &alpha, error)
      || !ovi_ir_const_scalar_float (c, 2, "beta", &beta, error))
    return FALSE;
  ovi_ir_add_node (c, "HardSigmoid", 1, c->in, 1, c->out);
  ovi_node_set_attr_float (ovi_ir_last_node (c), "alpha", (float) alpha);
  ovi_node_set_attr_float (ovi_ir_last_node (c), "beta", (float) beta);
  return TRUE;
}

static gboolean
import_selu (OviIrImport *c, GError **error)
{
  double alpha, lambda;
  if (!ovi_ir_check_io (c, 3, 3, 1, 1, error)
      || !ovi_ir_const_scalar_float (c, 1, "alpha", &alpha, error)
      || !ovi_ir_const_scalar_float (c, 2, "lambda", &lambda, error))
    return FALSE;
  ovi_ir_add_node (c, "Selu", 1, c->in, 1, c->out);
  ovi_node_set_attr_float (ovi_ir_last_node (c), "alpha", (float) alpha);
  ovi_node_set_attr_float (ovi_ir_last_node (c), "gamma", (float) lambda);
  return TRUE;
}

static gboolean
import_swish (OviIrImport *c, GError **error)
{
  OviDType t;
  int x;
  if (!ovi_ir_check_io (c, 1, 2, 1, 1, error))
    return FALSE;
  t = ovi_ir_out_dtype (c, 0);
  x = c->in[0];
  if (c->n_in == 2)
    x = ovi_ir_node1 (c, "Mul", -1, t, 2, c->in[0], c->in[1]);
  ovi_ir_node1 (c, "Mul", c->out[0], t, 2, c->in[0],
      ovi_ir_node1 (c, "Sigmoid", -1, t, 1, x));
  return TRUE;
}

static gboolean
import_gelu (OviIrImport *c, GError **error)
{
  const char *mode = ovi_ir_attr_str (c, "approximation_mode", "erf");
  if (!ovi_ir_check_io (c, 1, 1, 1, 1, error))
    return FALSE;
  if (g_ascii_strcasecmp (mode, "erf") != 0
      && g_ascii_strcasecmp (mode, "tanh") != 0)
    return ovi_ir_fail (c, error, OVI_ERROR_UNSUPPORTED,
        "approximation_mode '%s' is not supported", mode);
  ovi_ir_add_node (c, "Gelu", 1, c->in, 1, c->out);
  ovi_node_set_attr_string (ovi_ir_last_node (c), "approximate",
      g_ascii_strcasecmp (mode, "tanh") == 0 ? "tanh" : "none");
  return TRUE;
}

static gboolean
import_round (OviIrImport *c, GError **error)
{
  const char *mode = ovi_ir_attr_str (c, "mode", "half_to_even");
  OviDType t;
  if (!ovi_ir_check_io (c, 1, 1, 1, 1, error))
    return FALSE;
  t = ovi_ir_out_dtype (c, 0);
  if (!ovi_dtype_is_float (t)) {
    ovi_ir_add_node (c, "Identity", 1, c->in, 1, c->out);
    return TRUE;
  }
  if (strcmp (mode, "half_to_even") == 0) {
    ovi_ir_add_node (c, "Round", 1, c->in, 1, c->out);
  } else if (strcmp (mode, "half_away_from_zero") == 0) {
    int a = ovi_ir_node1 (c, "Floor", -1, t, 1,
        ovi_ir_node1 (c, "Add", -1, t, 2,
            ovi_ir_node1 (c, "Abs", -1, t, 1, c->in[0]),
            ovi_ir_const_scalar (c, t, 0.5, FALSE)));
    ovi_ir_node1 (c, "Mul", c->out[0], t, 2,
        ovi_ir_node1 (c, "Sign", -1, t, 1, c->in[0]), a);
  } else {
    return ovi_ir_fail (c, error, OVI_ERROR_UNSUPPORTED, "mode '%s' is not "
        "supported", mode);
  }
  return TRUE;
}

static gboolean
import_is_inf (OviIrImport *c, GError **error)
{
  gboolean neg, pos;
  if (!ovi_ir_check_io (c, 1, 1, 1, 1, error)
      || !ovi_ir_attr_bool (c, "detect_negative", TRUE, &neg, error)
      || !ovi_ir_attr_bool (c, "detect_positive", TRUE, &pos, error))
    return FALSE;
  ovi_ir_add_node (c, "IsInf", 1, c->in, 1, c->out);
  ovi_node_set_attr_int (ovi_ir_last_node (c), "detect_negative", neg);
  ovi_node_set_attr_int (ovi_ir_last_node (c), "detect_positive", pos);
  return TRUE;
}

static gboolean
import_is_finite (OviIrImport *c, GError **error)
{
  int a, b;
  if (!ovi_ir_check_io (c, 1, 1, 1, 1, error))
    return FALSE;
  a = ovi_ir_node1 (c, "IsNaN", -1, OVI_DTYPE_BOOL, 1, c->in[0]);
  b = ovi_ir_node1 (c, "IsInf", -1, OVI_DTYPE_BOOL, 1, c->in[0]);
  ovi_ir_node1 (c, "Not", c->out[0], OVI_DTYPE_BOOL, 1,
      ovi_ir_node1 (c, "Or", -1, OVI_DTYPE_BOOL, 2, a, b));
  return TRUE;
}

static gboolean
import_prelu (OviIrImport *c, GError **error)
{
  int slope, r_x, r_s;
  if (!ovi_ir_check_io (c, 2, 2, 1, 1, error))
    return FALSE;
  slope = c->in[1];
  r_x = ovi_ir_in_rank (c, 0);
  r_s = ovi_ir_in_rank (c, 1);
  /* A 1-D slope as long as the channel dimension applies per channel. */
  if (r_s == 1 && r_x >= 3 && ovi_ir_in_dims (c, 1)[0] != 1
      && (ovi_ir_in_dims (c, 0)[1] == ovi_ir_in_dims (c, 1)[0]
          || ovi_ir_in_dims (c, 0)[1] < 0)) {
    int64_t shape[OVI_MAX_RANK];
    shape[0] = -1;
    for (int i = 1; i < r_x - 1; i++)
      shape[i] = 1;
    slope = ovi_ir_node1 (c, "Reshape", -1, ovi_ir_in_dtype (c, 1), 2, slope,
        ovi_ir_const_i64 (c, r_x - 1, shape, FALSE));
  }
  ovi_ir_node1 (c, "PRelu", c->out[0], ovi_ir_out_dtype (c, 0), 2, c->in[0],
      slope);
  return TRUE;
}

static gboolean
import_convert (OviIrImport *c, GError **error)
{
  const char *to = ovi_ir_attr_str (c, "destination_type", NULL);
  OviDType t;
  if (!ovi_ir_check_io (c, 1, 1, 1, 1, error))
    return FALSE;
  if (to == NULL)
    return ovi_ir_fail (c, error, OVI_ERROR_INVALID, "has no destination_type");
  t = ovi_ir_parse_type (to);
  if (t == OVI_DTYPE_UNDEFINED)
    return ovi_ir_fail (c, error, OVI_ERROR_UNSUPPORTED,
        "destination_type '%s' is not supported", to);
  ovi_ir_cast (c, c->in[0], t, c->out[0]);
  return TRUE;
}

static gboolean
import_bitshift (OviIrImport *c, GError **error)
{
  if (!ovi_ir_check_io (c, 2, 2, 1, 1, error)
      || !ovi_ir_check_broadcast (c, error))
    return FALSE;
  ovi_ir_add_node (c, "BitShift", 2, c->in, 1, c->out);
  ovi_node_set_attr_string (ovi_ir_last_node (c), "direction",
      strcmp (c->layer->type, "BitwiseLeftShift") == 0 ? "LEFT" : "RIGHT");
  return TRUE;
}

const OviIrImportOp ovi_ir_import_elementwise[] = {
  { "Abs", import_one_to_one, 1, "Abs", 1, FALSE },
  { "Acos", import_one_to_one, 1, "Acos", 1, FALSE },
  { "Acosh", import_one_to_one, 1, "Acosh", 1, FALSE },
  { "Asin", import_one_to_one, 1, "Asin", 1, FALSE },
  { "Asinh", import_one_to_one, 1, "Asinh", 1, FALSE },
  { "Atan", import_one_to_one, 1, "Atan", 1, FALSE },
  { "Atanh", import_one_to_one, 1, "Atanh", 1, FALSE },
  { "Ceiling", import_one_to_one, 1, "Ceil", 1, FALSE },
  { "Cos", import_one_to_one, 1, "Cos", 1, FALSE },
  { "Cosh", import_one_to_one, 1, "Cosh", 1, FALSE },
  { "Erf", import_one_to_one, 1, "Erf", 1, FALSE },
  { "Exp", import_one_to_one, 1, "Exp", 1, FALSE },
  { "Floor", import_one_to_one, 1, "Floor", 1, FALSE },
  { "Log", import_one_to_one, 1, "Log", 1, FALSE },
  { "Negative", import_one_to_one, 1, "Neg", 1, FALSE },
  { "Relu", import_one_to_one, 1, "Relu", 1, FALSE },
  { "Sigmoid", import_one_to_one, 1, "Sigmoid", 1, FALSE },
  { "Sign", import_one_to_one, 1, "Sign", 1, FALSE },
  { "Sin", import_one_to_one, 1, "Sin", 1, FALSE },
  { "Sinh", import_one_to_one, 1, "Sinh", 1, FALSE },
  { "Sqrt", import_one_to_one, 1, "Sqrt", 1, FALSE },
  { "Tan", import_one_to_one, 1, "Tan", 1, FALSE },
  { "Tanh", import_one_to_one, 1, "Tanh", 1, FALSE },
  { "SoftPlus", import_one_to_one, 1, "Softplus", 1, FALSE },
  { "SoftSign", import_one_to_one, 1, "Softsign", 1, FALSE },
  { "Mish", import_one_to_one, 1, "Mish", 1, FALSE },
  { "HSwish", import_one_to_one, 1, "HardSwish", 1, FALSE },
  { "LogicalNot", import_one_to_one, 1, "Not", 1, FALSE },
  { "BitwiseNot", import_one_to_one, 1, "BitwiseNot", 1, FALSE },
  { "IsNaN", import_one_to_one, 1, "IsNaN", 1, FALSE },
  { "Identity", import_one_to_one, 1, "Identity", 1, FALSE },
  { "ConvertLike", import_one_to_one, 1, "CastLike", 2, FALSE },
  { "Add", import_one_to_one, 1, "Add", 2, TRUE },
  { "Subtract", import_one_to_one, 1, "Sub", 2, TRUE },
  { "Multiply", import_one_to_one, 1, "Mul", 2, TRUE },
  { "Power", import_one_to_one, 1, "Pow", 2, TRUE },
  { "Maximum", import_one_to_one, 1, "Max", 2, TRUE },
  { "Minimum", import_one_to_one, 1, "Min", 2, TRUE },
  { "Equal", import_one_to_one, 1, "Equal", 2, TRUE },
  { "Less", import_one_to_one, 1, "Less", 2, TRUE },
  { "Greater", import_one_to_one, 1, "Greater", 2, TRUE },
  { "LessEqual", import_one_to_one, 1, "LessOrEqual", 2, TRUE },
  { "GreaterEqual", import_one_to_one, 1, "GreaterOrEqual", 2, TRUE },
  { "LogicalAnd", import_one_to_one, 1, "And", 2, TRUE },
  { "LogicalOr", import_one_to_one, 1, "Or", 2, TRUE },
  { "LogicalXor", import_one_to_one, 1, "Xor", 2, TRUE },
  { "BitwiseAnd", import_one_to_one, 1, "BitwiseAnd", 2, TRUE },
  { "BitwiseOr", import_one_to_one, 1, "BitwiseOr", 2, TRUE },
  { "BitwiseXor", import_one_to_one, 1, "BitwiseXor", 2, TRUE },
  { "Select", import_one_to_one, 1, "Where", 3, TRUE },
  { "NotEqual", import_not_equal, 1 },
  { "SquaredDifference", import_squared_difference, 1 },
  { "Divide", import_divide, 1 },
  { "Mod", import_mod, 1 },
  { "FloorMod", import_mod, 1 },
  { "Elu", import_elu, 1 },
  { "Clamp", import_clamp, 1 },
  { "HSigmoid", import_hsigmoid, 1 },
  { "HardSigmoid", import_hard_sigmoid, 1 },
  { "Selu", import_selu, 1 },
  { "Swish", import_swish, 1 },
  { "Gelu", import_gelu, 1 },
  { "Round", import_round, 1 },
  { "IsInf", import_is_inf, 1 },
  { "IsFinite", import_is_finite, 1 },
  { "PRelu", import_prelu, 1 },
  { "Convert", import_convert, 1 },
  { "BitwiseLeftShift", import_bitshift, 15 },
  { "BitwiseRightShift", import_bitshift, 15 },
  { NULL },
};
