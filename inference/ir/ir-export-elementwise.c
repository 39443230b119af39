/* ONNX -> IR: elementwise ops (math, activations, comparisons, logic,
 * bitwise ops, Cast, Clip). */
#include <string.h>

#include "ir-private.h"

/* One layer of the same semantics: the table entry names it. */
static gboolean
export_one_to_one (OviIrWriter *w, const OviNode *n, GError **error)
{
  OviIrTap x = ovi_ir_node_in (w, n, 0);
  ovi_ir_emit_final (w, n, w->op->ir, w->op->version, NULL, 1, &x, 0, NULL);
  return TRUE;
}

/* The same for binary ops, with numpy broadcasting. */
static gboolean
export_one_to_one_numpy (OviIrWriter *w, const OviNode *n, GError **error)
{
  OviIrTap ab[2] = { ovi_ir_node_in (w, n, 0), ovi_ir_node_in (w, n, 1) };
  ovi_ir_emit_final (w, n, w->op->ir, w->op->version, ovi_ir_data_numpy (), 2,
      ab, 0, NULL);
  return TRUE;
}

static gboolean
export_div (OviIrWriter *w, const OviNode *n, GError **error)
{
  OviIrTap ab[2] = { ovi_ir_node_in (w, n, 0), ovi_ir_node_in (w, n, 1) };
  GString *d = ovi_ir_data_numpy ();
  ovi_ir_data_bool (d, "m_pythondiv", FALSE);
  ovi_ir_emit_final (w, n, "Divide", "opset1", d, 2, ab, 0, NULL);
  return TRUE;
}

static gboolean
export_pow (OviIrWriter *w, const OviNode *n, GError **error)
{
  OviIrTap ab[2] = { ovi_ir_node_in (w, n, 0), ovi_ir_node_in (w, n, 1) };
  if (ab[1].dtype != ab[0].dtype) {
    GString *d = ovi_ir_data_new ();
    ovi_ir_data_str (d, "destination_type", ovi_ir_element_type (ab[0].dtype));
    ab[1] = ovi_ir_emit_op1 (w, "Convert", "opset1", d, ab[1],
        ovi_ir_shape_tap (ab[0].dtype, ab[1].rank, ab[1].dims));
  }
  ovi_ir_emit_final (w, n, "Power", "opset1", ovi_ir_data_numpy (), 2, ab, 0,
      NULL);
  return TRUE;
}

static gboolean
export_mod (OviIrWriter *w, const OviNode *n, GError **error)
{
  OviIrTap ab[2] = { ovi_ir_node_in (w, n, 0), ovi_ir_node_in (w, n, 1) };
  gboolean fmod = ovi_node_attr_int (n, "fmod", 0) != 0;
  ovi_ir_emit_final (w, n, fmod ? "Mod" : "FloorMod", "opset1",
      ovi_ir_data_numpy (), 2, ab, 0, NULL);
  return TRUE;
}

/* Max, Min, Sum, Mean: a chain of binary layers. */
static gboolean
export_variadic (OviIrWriter *w, const OviNode *n, GError **error)
{
  const char *type = strcmp (n->op_type, "Max") == 0 ? "Maximum"
      : strcmp (n->op_type, "Min") == 0 ? "Minimum" : "Add";
  gboolean mean = strcmp (n->op_type, "Mean") == 0;
  OviIrTap acc;
  int count = 0;
  for (int k = 0; k < n->n_inputs; k++)
    if (ovi_ir_node_has_in (n, k))
      count++;
  if (count == 0)
    return ovi_ir_node_fail (w, n, error, OVI_ERROR_INVALID, "has no inputs");
  acc = ovi_ir_node_in (w, n, 0);
  if (count == 1 && !mean) {
    ovi_ir_alias (w, n, 0, acc);
    return TRUE;
  }
  for (int k = 1; k < n->n_inputs; k++) {
    OviIrTap ab[2];
    gboolean last = k == n->n_inputs - 1 && !mean;
    if (!ovi_ir_node_has_in (n, k))
      continue;
    ab[0] = acc;
    ab[1] = ovi_ir_node_in (w, n, k);
    if (last) {
      ovi_ir_emit_final (w, n, type, "opset1", ovi_ir_data_numpy (), 2, ab, 0,
          NULL);
      return TRUE;
    }
    acc = ovi_ir_emit_binary (w, type, ab[0], ab[1], acc.dtype);
  }
  {
    OviIrTap ab[2] = { acc, ovi_ir_emit_scalar (w, acc.dtype, count, FALSE) };
    GString *d = ovi_ir_data_numpy ();
    ovi_ir_data_bool (d, "m_pythondiv", FALSE);
    ovi_ir_emit_final (w, n, "Divide", "opset1", d, 2, ab, 0, NULL);
  }
  return TRUE;
}

static gboolean
export_where (OviIrWriter *w, const OviNode *n, GError **error)
{
  OviIrTap ins[3] = { ovi_ir_node_in (w, n, 0), ovi_ir_node_in (w, n, 1),
    ovi_ir_node_in (w, n, 2) };
  ovi_ir_emit_final (w, n, "Select", "opset1", ovi_ir_data_numpy (), 3, ins, 0,
      NULL);
  return TRUE;
}

static gboolean
export_prelu (OviIrWriter *w, const OviNode *n, GError **error)
{
  OviIrTap ins[2];
  const OviValue *x = ovi_ir_node_in_value (w, n, 0);
  const OviValue *s = ovi_ir_node_in_value (w, n, 1);
  int64_t dims[OVI_MAX_RANK];
  int rank;
  ins[0] = ovi_ir_node_in (w, n, 0);
  if (x->rank < 0 || s->rank < 0 || s->rank > x->rank)
    return ovi_ir_node_fail (w, n, error, OVI_ERROR_UNSUPPORTED,
        "unknown ranks");
  rank = x->rank;
  if (w->opset < 7 && s->rank == 1 && x->rank >= 2
      && s->dims[0] == x->dims[1] && s->dims[0] != x->dims[x->rank - 1]) {
    /* Legacy per-channel slope. */
    for (int i = 0; i < rank; i++)
      dims[i] = i == 1 ? s->dims[0] : 1;
  } else {
    /* Numpy: left-pad to the data's rank so that IR's channel rule for
     * 1-D slopes never applies. */
    for (int i = 0; i < rank; i++)
      dims[i] = i < rank - s->rank ? 1 : s->dims[i - (rank - s->rank)];
  }
  ins[1] = (rank == s->rank)
      ? ovi_ir_node_in (w, n, 1)
      : ovi_ir_emit_reshaped (w, n->inputs[1], rank, dims);
  ovi_ir_emit_final (w, n, "PRelu", "opset1", NULL, 2, ins, 0, NULL);
  return TRUE;
}

static gboolean
export_leaky_relu (OviIrWriter *w, const OviNode *n, GError **error)
{
  OviIrTap ins[2];
  ins[0] = ovi_ir_node_in (w, n, 0);
  ins[1] = ovi_ir_emit_scalar (w, ins[0].dtype,
      ovi_node_attr_float (n, "alpha", 0.01f), TRUE);
  ovi_ir_emit_final (w, n, "PRelu", "opset1", NULL, 2, ins, 0, NULL);
  return TRUE;
}

static gboolean
export_elu (OviIrWriter *w, const OviNode *n, GError **error)
{
  OviIrTap x = ovi_ir_node_in (w, n, 0);
  GString *d = ovi_ir_data_new ();
  ovi_ir_data_float (d, "alpha", ovi_node_attr_float (n, "alpha", 1.0f));
  ovi_ir_emit_final (w, n, "Elu", "opset1", d, 1, &x, 0, NULL);
  return TRUE;
}

static gboolean
export_selu (OviIrWriter *w, const OviNode *n, GError **error)
{
  OviIrTap ins[3];
  ins[0] = ovi_ir_node_in (w, n, 0);
  ins[1] = ovi_ir_emit_scalar (w, ins[0].dtype,
      ovi_node_attr_float (n, "alpha", 1.67326319217681884765625f), TRUE);
  ins[2] = ovi_ir_emit_scalar (w, ins[0].dtype,
      ovi_node_attr_float (n, "gamma", 1.05070102214813232421875f), TRUE);
  ovi_ir_emit_final (w, n, "Selu", "opset1", NULL, 3, ins, 0, NULL);
  return TRUE;
}

static gboolean
export_hard_sigmoid (OviIrWriter *w, const OviNode *n, GError **error)
{
  OviIrTap ins[3];
  ins[0] = ovi_ir_node_in (w, n, 0);
  ins[1] = ovi_ir_emit_scalar (w, ins[0].dtype,
      ovi_node_attr_float (n, "alpha", 0.2f), FALSE);
  ins[2] = ovi_ir_emit_scalar (w, ins[0].dtype,
      ovi_node_attr_float (n, "beta", 0.5f), FALSE);
  ovi_ir_emit_final (w, n, "HardSigmoid", "opset1", NULL, 3, ins, 0, NULL);
  return TRUE;
}

static gboolean
export_thresholded_relu (OviIrWriter *w, const OviNode *n, GError **error)
{
  OviIrTap x = ovi_ir_node_in (w, n, 0), ins[3];
  ins[0] = ovi_ir_emit_binary (w, "Greater", x, ovi_ir_emit_scalar (w, x.dtype,
          ovi_node_attr_float (n, "alpha", 1.0f), FALSE), OVI_DTYPE_BOOL);
  ins[1] = x;
  ins[2] = ovi_ir_emit_scalar (w, x.dtype, 0, FALSE);
  ovi_ir_emit_final (w, n, "Select", "opset1", ovi_ir_data_numpy (), 3, ins, 0,
      NULL);
  return TRUE;
}

static gboolean
export_gelu (OviIrWriter *w, const OviNode *n, GError **error)
{
  OviIrTap x = ovi_ir_node_in (w, n, 0);
  const char *approx = ovi_node_attr_string (n, "approximate", "none");
  GString *d = ovi_ir_data_new ();
  ovi_ir_data_str (d, "approximation_mode",
      strcmp (approx, "tanh") == 0 ? "TANH" : "ERF");
  ovi_ir_emit_final (w, n, "Gelu", "opset7", d, 1, &x, 0, NULL);
  return TRUE;
}

static gboolean
export_round (OviIrWriter *w, const OviNode *n, GError **error)
{
  OviIrTap x = ovi_ir_node_in (w, n, 0);
  GString *d = ovi_ir_data_new ();
  ovi_ir_data_str (d, "mode", "half_to_even");
  ovi_ir_emit_final (w, n, "Round", "opset5", d, 1, &x, 0, NULL);
  return TRUE;
}

static gboolean
export_reciprocal (OviIrWriter *w, const OviNode *n, GError **error)
{
  OviIrTap ab[2];
  GString *d = ovi_ir_data_numpy ();
  ab[1] = ovi_ir_node_in (w, n, 0);
  ab[0] = ovi_ir_emit_scalar (w, ab[1].dtype, 1, FALSE);
  ovi_ir_data_bool (d, "m_pythondiv", FALSE);
  ovi_ir_emit_final (w, n, "Divide", "opset1", d, 2, ab, 0, NULL);
  return TRUE;
}

static gboolean
export_is_inf (OviIrWriter *w, const OviNode *n, GError **error)
{
  OviIrTap x = ovi_ir_node_in (w, n, 0);
  GString *d = ovi_ir_data_new ();
  ovi_ir_data_bool (d, "detect_negative",
      ovi_node_attr_int (n, "detect_negative", 1));
  ovi_ir_data_bool (d, "detect_positive",
      ovi_node_attr_int (n, "detect_positive", 1));
  ovi_ir_emit_final (w, n, "IsInf", "opset10", d, 1, &x, 0, NULL);
  return TRUE;
}

static gboolean
export_clip (OviIrWriter *w, const OviNode *n, GError **error)
{
  OviIrTap x = ovi_ir_node_in (w, n, 0);
  OviDType t = x.dtype;
  gboolean has_lo, has_hi;
  double lo = 0, hi = 0;
  const OviTensor *tlo = NULL, *thi = NULL;

  if (w->opset < 11) {
    has_lo = ovi_node_attr (n, "min") != NULL;
    has_hi = ovi_node_attr (n, "max") != NULL;
    lo = ovi_node_attr_float (n, "min", 0);
    hi = ovi_node_attr_float (n, "max", 0);
    if (!has_lo)
      lo = -G_MAXFLOAT;
    if (!has_hi)
      hi = G_MAXFLOAT;
    has_lo = has_hi = TRUE;
  } else {
    has_lo = ovi_ir_node_has_in (n, 1);
    has_hi = ovi_ir_node_has_in (n, 2);
    tlo = ovi_ir_node_in_const (w, n, 1);
    thi = ovi_ir_node_in_const (w, n, 2);
  }
  /* Both bounds known floats: one Clamp. */
  if (ovi_dtype_is_float (t) && (w->opset < 11
          || (tlo && thi && ovi_tensor_numel (tlo) == 1
              && ovi_tensor_numel (thi) == 1))) {
    if (w->opset >= 11) {
      lo = ovi_tensor_get_f64 (tlo, 0);
      hi = ovi_tensor_get_f64 (thi, 0);
    }
    if (lo <= hi) {
      GString *d = ovi_ir_data_new ();
      ovi_ir_data_float (d, "min", lo);
      ovi_ir_data_float (d, "max", hi);
      ovi_ir_emit_final (w, n, "Clamp", "opset1", d, 1, &x, 0, NULL);
      return TRUE;
    }
  }
  /* Otherwise max then min, each bound as a tensor. */
  {
    OviIrTap lo_t, hi_t, ab[2];
    if (w->opset < 11) {
      lo_t = ovi_ir_emit_scalar (w, t, lo, FALSE);
      hi_t = ovi_ir_emit_scalar (w, t, hi, FALSE);
    } else {
      lo_t = has_lo ? ovi_ir_node_in (w, n, 1) : x;
      hi_t = has_hi ? ovi_ir_node_in (w, n, 2) : x;
    }
    if (!has_lo && !has_hi) {
      ovi_ir_alias (w, n, 0, x);
      return TRUE;
    }
    if (has_lo && has_hi)
      x = ovi_ir_emit_binary (w, "Maximum", x, lo_t, t);
    ab[0] = x;
    ab[1] = has_hi ? hi_t : lo_t;
    ovi_ir_emit_final (w, n, has_hi ? "Minimum" : "Maximum", "opset1",
        ovi_ir_data_numpy (), 2, ab, 0, NULL);
  }
  return TRUE;
}

static gboolean
export_cast (OviIrWriter *w, const OviNode *n, GError **error)
{
  OviIrTap x = ovi_ir_node_in (w, n, 0);
  OviDType to = ovi_graph_value (w->g, n->outputs[0])->dtype;
  GString *d;
  if (to == OVI_DTYPE_UNDEFINED)
    to = strcmp (n->op_type, "Cast") == 0
        ? (OviDType) ovi_node_attr_int (n, "to", 0)
        : ovi_ir_node_in_value (w, n, 1)->dtype;
  if (ovi_ir_element_type (to) == NULL)
    return ovi_ir_node_fail (w, n, error, OVI_ERROR_UNSUPPORTED,
        "cast to %s is not supported", ovi_dtype_name (to));
  d = ovi_ir_data_new ();
  ovi_ir_data_str (d, "destination_type", ovi_ir_element_type (to));
  ovi_ir_emit_final (w, n, "Convert", "opset1", d, 1, &x, 0, NULL);
  return TRUE;
}

static gboolean
export_identity (OviIrWriter *w, const OviNode *n, GError **error)
{
  if (strcmp (n->op_type, "Dropout") == 0 && ovi_ir_node_has_out (n, 1))
    return ovi_ir_node_unsupported (w, n, error, "Dropout's mask output");
  ovi_ir_alias (w, n, 0, ovi_ir_node_in (w, n, 0));
  return TRUE;
}

static gboolean
export_shrink (OviIrWriter *w, const OviNode *n, GError **error)
{
  OviIrTap x = ovi_ir_node_in (w, n, 0), ins[3], inner;
  double lambd = ovi_node_attr_float (n, "lambd", 0.5f);
  double bias = ovi_node_attr_float (n, "bias", 0.0f);
  OviIrTap zero = ovi_ir_emit_scalar (w, x.dtype, 0, FALSE);
  OviIrTap b = ovi_ir_emit_scalar (w, x.dtype, bias, FALSE);
  ins[0] = ovi_ir_emit_binary (w, "Greater", x,
      ovi_ir_emit_scalar (w, x.dtype, lambd, FALSE), OVI_DTYPE_BOOL);
  ins[1] = ovi_ir_emit_binary (w, "Subtract", x, b, x.dtype);
  ins[2] = zero;
  inner = ovi_ir_emit_op (w, "Select", "opset1", ovi_ir_data_numpy (), 3, ins,
      x);
  ins[0] = ovi_ir_emit_binary (w, "Less", x,
      ovi_ir_emit_scalar (w, x.dtype, -lambd, FALSE), OVI_DTYPE_BOOL);
  ins[1] = ovi_ir_emit_binary (w, "Add", x, b, x.dtype);
  ins[2] = inner;
  ovi_ir_emit_final (w, n, "Select", "opset1", ovi_ir_data_numpy (), 3, ins, 0,
      NULL);
  return TRUE;
}

static gboolean
export_celu (OviIrWriter *w, const OviNode *n, GError **error)
{
  OviIrTap x = ovi_ir_node_in (w, n, 0), e, ab[2];
  double alpha = ovi_node_attr_float (n, "alpha", 1.0f);
  GString *d = ovi_ir_data_numpy ();
  OviIrTap a = ovi_ir_emit_scalar (w, x.dtype, alpha, FALSE);
  OviIrTap zero = ovi_ir_emit_scalar (w, x.dtype, 0, FALSE);
  ovi_ir_data_bool (d, "m_pythondiv", FALSE);
  e = ovi_ir_emit_op2 (w, "Divide", "opset1", d, x, a, x);
  e = ovi_ir_emit_op1 (w, "Exp", "opset1", NULL, e, x);
  e = ovi_ir_emit_binary (w, "Multiply",
      ovi_ir_emit_binary (w, "Subtract", e,
          ovi_ir_emit_scalar (w, x.dtype, 1, FALSE), x.dtype),
      a, x.dtype);
  ab[0] = ovi_ir_emit_binary (w, "Maximum", x, zero, x.dtype);
  ab[1] = ovi_ir_emit_binary (w, "Minimum", e, zero, x.dtype);
  ovi_ir_emit_final (w, n, "Add", "opset1", ovi_ir_data_numpy (), 2, ab, 0,
      NULL);
  return TRUE;
}

static gboolean
export_bitshift (OviIrWriter *w, const OviNode *n, GError **error)
{
  OviIrTap ab[2] = { ovi_ir_node_in (w, n, 0), ovi_ir_node_in (w, n, 1) };
  gboolean left = strcmp (ovi_node_attr_string (n, "direction", ""),
      "LEFT") == 0;
  ovi_ir_emit_final (w, n, left ? "BitwiseLeftShift" : "BitwiseRightShift",
      "opset15", ovi_ir_data_numpy (), 2, ab, 0, NULL);
  return TRUE;
}

const OviIrExportOp ovi_ir_export_elementwise[] = {
  { "Abs", export_one_to_one, "Abs", "opset1" },
  { "Acos", export_one_to_one, "Acos", "opset1" },
  { "Acosh", export_one_to_one, "Acosh", "opset4" },
  { "Asin", export_one_to_one, "Asin", "opset1" },
  { "Asinh", export_one_to_one, "Asinh", "opset4" },
  { "Atan", export_one_to_one, "Atan", "opset1" },
  { "Atanh", export_one_to_one, "Atanh", "opset4" },
  { "Ceil", export_one_to_one, "Ceiling", "opset1" },
  { "Cos", export_one_to_one, "Cos", "opset1" },
  { "Cosh", export_one_to_one, "Cosh", "opset1" },
  { "Erf", export_one_to_one, "Erf", "opset1" },
  { "Exp", export_one_to_one, "Exp", "opset1" },
  { "Floor", export_one_to_one, "Floor", "opset1" },
  { "Log", export_one_to_one, "Log", "opset1" },
  { "Neg", export_one_to_one, "Negative", "opset1" },
  { "Relu", export_one_to_one, "Relu", "opset1" },
  { "Sigmoid", export_one_to_one, "Sigmoid", "opset1" },
  { "Sign", export_one_to_one, "Sign", "opset1" },
  { "Sin", export_one_to_one, "Sin", "opset1" },
  { "Sinh", export_one_to_one, "Sinh", "opset1" },
  { "Sqrt", export_one_to_one, "Sqrt", "opset1" },
  { "Tan", export_one_to_one, "Tan", "opset1" },
  { "Tanh", export_one_to_one, "Tanh", "opset1" },
  { "Softplus", export_one_to_one, "SoftPlus", "opset4" },
  { "Softsign", export_one_to_one, "SoftSign", "opset9" },
  { "Mish", export_one_to_one, "Mish", "opset4" },
  { "HardSwish", export_one_to_one, "HSwish", "opset4" },
  { "Not", export_one_to_one, "LogicalNot", "opset1" },
  { "BitwiseNot", export_one_to_one, "BitwiseNot", "opset13" },
  { "IsNaN", export_one_to_one, "IsNaN", "opset10" },
  { "Add", export_one_to_one_numpy, "Add", "opset1" },
  { "Sub", export_one_to_one_numpy, "Subtract", "opset1" },
  { "Mul", export_one_to_one_numpy, "Multiply", "opset1" },
  { "Equal", export_one_to_one_numpy, "Equal", "opset1" },
  { "Less", export_one_to_one_numpy, "Less", "opset1" },
  { "Greater", export_one_to_one_numpy, "Greater", "opset1" },
  { "LessOrEqual", export_one_to_one_numpy, "LessEqual", "opset1" },
  { "GreaterOrEqual", export_one_to_one_numpy, "GreaterEqual", "opset1" },
  { "And", export_one_to_one_numpy, "LogicalAnd", "opset1" },
  { "Or", export_one_to_one_numpy, "LogicalOr", "opset1" },
  { "Xor", export_one_to_one_numpy, "LogicalXor", "opset1" },
  { "BitwiseAnd", export_one_to_one_numpy, "BitwiseAnd", "opset13" },
  { "BitwiseOr", export_one_to_one_numpy, "BitwiseOr", "opset13" },
  { "BitwiseXor", export_one_to_one_numpy, "BitwiseXor", "opset13" },
  { "Div", export_div },
  { "Pow", export_pow },
  { "Mod", export_mod },
  { "Max", export_variadic },
  { "Min", export_variadic },
  { "Sum", export_variadic },
  { "Mean", export_variadic },
  { "Where", export_where },
  { "PRelu", export_prelu },
  { "LeakyRelu", export_leaky_relu },
  { "Elu", export_elu },
  { "Selu", export_selu },
  { "HardSigmoid", export_hard_sigmoid },
  { "ThresholdedRelu", export_thresholded_relu },
  { "Gelu", export_gelu },
  { "Round", export_round },
  { "Reciprocal", export_reciprocal },
  { "IsInf", export_is_inf },
  { "Clip", export_clip },
  { "Cast", export_cast },
  { "CastLike", export_cast },
  { "Identity", export_identity },
  { "Dropout", export_identity },
  { "Shrink", export_shrink },
  { "Celu", export_celu },
  { "BitShift", export_bitshift },
  { NULL },
};
