/* ONNX -> IR: normalizations, softmax and reductions. */
#include <string.h>

#include "ir-private.h"

static gboolean
export_batch_norm (OviIrWriter *w, const OviNode *n, GError **error)
{
  OviIrTap ins[5];
  GString *d;
  for (int k = 1; k < n->n_outputs; k++)
    if (ovi_ir_node_has_out (n, k))
      return ovi_ir_node_unsupported (w, n, error,
          "training-mode BatchNormalization");
  if (ovi_node_attr_int (n, "training_mode", 0))
    return ovi_ir_node_unsupported (w, n, error,
        "training-mode BatchNormalization");
  for (int k = 0; k < 5; k++)
    ins[k] = ovi_ir_node_in (w, n, k);
  d = ovi_ir_data_new ();
  ovi_ir_data_float (d, "epsilon", ovi_node_attr_float (n, "epsilon", 1e-5f));
  ovi_ir_emit_final (w, n, "BatchNormInference", "opset5", d, 5, ins, 0, NULL);
  return TRUE;
}

/* MVN-6 over axes; the result unnamed. */
static OviIrTap
mvn (OviIrWriter *w, OviIrTap x, int n_axes, const int64_t *axes, double eps,
    gboolean inside)
{
  GString *d = ovi_ir_data_new ();
  ovi_ir_data_bool (d, "normalize_variance", TRUE);
  ovi_ir_data_float (d, "eps", eps);
  ovi_ir_data_str (d, "eps_mode", inside ? "inside_sqrt" : "outside_sqrt");
  return ovi_ir_emit_op2 (w, "MVN", "opset6", d, x,
      ovi_ir_emit_i64s (w, n_axes, axes), x);
}

static gboolean
export_instance_norm (OviIrWriter *w, const OviNode *n, GError **error)
{
  OviIrTap x = ovi_ir_node_in (w, n, 0), y, ab[2];
  int64_t axes[OVI_MAX_RANK], dims[OVI_MAX_RANK];
  if (x.rank < 3)
    return ovi_ir_node_fail (w, n, error, OVI_ERROR_UNSUPPORTED, "input rank");
  for (int i = 2; i < x.rank; i++)
    axes[i - 2] = i;
  y = mvn (w, x, x.rank - 2, axes, ovi_node_attr_float (n, "epsilon", 1e-5f),
      TRUE);
  for (int i = 0; i < x.rank; i++)
    dims[i] = i == 1 ? x.dims[1] : 1;
  y = ovi_ir_emit_binary (w, "Multiply", y,
      ovi_ir_emit_reshaped (w, n->inputs[1], x.rank, dims), x.dtype);
  ab[0] = y;
  ab[1] = ovi_ir_emit_reshaped (w, n->inputs[2], x.rank, dims);
  ovi_ir_emit_final (w, n, "Add", "opset1", ovi_ir_data_numpy (), 2, ab, 0,
      NULL);
  return TRUE;
}

static gboolean
export_layer_norm_full (OviIrWriter *w, const OviNode *n, GError **error)
{
  OviIrTap x = ovi_ir_node_in (w, n, 0), mean, dif, var, inv, y, ab[2];
  int64_t axes[OVI_MAX_RANK];
  int axis;
  GString *d;
  double eps = ovi_node_attr_float (n, "epsilon", 1e-5f);
  OviIrTap red;
  if (x.rank < 1 || !ovi_dtype_is_float (x.dtype))
    return ovi_ir_node_fail (w, n, error, OVI_ERROR_UNSUPPORTED,
        "input rank or type");
  axis = ovi_ir_norm_axis (ovi_node_attr_int (n, "axis", -1), x.rank);
  if (axis < 0 || axis >= x.rank)
    return ovi_ir_node_fail (w, n, error, OVI_ERROR_INVALID,
        "axis out of range");
  for (int i = axis; i < x.rank; i++)
    axes[i - axis] = i;
  red = x;
  for (int i = axis; i < x.rank; i++)
    red.dims[i] = 1;
  d = ovi_ir_data_new ();
  ovi_ir_data_bool (d, "keep_dims", TRUE);
  ab[0] = x;
  ab[1] = ovi_ir_emit_i64s (w, x.rank - axis, axes);
  if (ovi_ir_node_has_out (n, 1)) {
    ovi_ir_emit_final_out (w, n, 1, "ReduceMean", "opset1", d, 2, ab);
    mean = w->taps[n->outputs[1]];
  } else {
    mean = ovi_ir_emit_op (w, "ReduceMean", "opset1", d, 2, ab, red);
  }
  dif = ovi_ir_emit_binary (w, "Subtract", x, mean, x.dtype);
  d = ovi_ir_data_new ();
  ovi_ir_data_bool (d, "keep_dims", TRUE);
  var = ovi_ir_emit_op2 (w, "ReduceMean", "opset1", d,
      ovi_ir_emit_binary (w, "Multiply", dif, dif, x.dtype),
      ovi_ir_emit_i64s (w, x.rank - axis, axes), red);
  var = ovi_ir_emit_op1 (w, "Sqrt", "opset1", NULL,
      ovi_ir_emit_binary (w, "Add", var,
          ovi_ir_emit_scalar (w, x.dtype, eps, FALSE), x.dtype),
      red);
  ab[0] = ovi_ir_emit_scalar (w, x.dtype, 1, FALSE);
  ab[1] = var;
  d = ovi_ir_data_numpy ();
  ovi_ir_data_bool (d, "m_pythondiv", FALSE);
  if (ovi_ir_node_has_out (n, 2)) {
    ovi_ir_emit_final_out (w, n, 2, "Divide", "opset1", d, 2, ab);
    inv = w->taps[n->outputs[2]];
  } else {
    inv = ovi_ir_emit_op (w, "Divide", "opset1", d, 2, ab, red);
  }
  y = ovi_ir_emit_binary (w, "Multiply",
      ovi_ir_emit_binary (w, "Multiply", dif, inv, x.dtype),
      ovi_ir_node_in (w, n, 1), x.dtype);
  if (ovi_ir_node_has_in (n, 2)) {
    ab[0] = y;
    ab[1] = ovi_ir_node_in (w, n, 2);
    ovi_ir_emit_final_out (w, n, 0, "Add", "opset1", ovi_ir_data_numpy (), 2,
        ab);
  } else {
    w->taps[n->outputs[0]] = y;
    /* Named through the Result's copy when it is a graph output. */
  }
  return TRUE;
}

static gboolean
export_layer_norm (OviIrWriter *w, const OviNode *n, GError **error)
{
  OviIrTap x = ovi_ir_node_in (w, n, 0), y;
  int64_t axes[OVI_MAX_RANK];
  int axis;
  if (ovi_ir_node_has_out (n, 1) || ovi_ir_node_has_out (n, 2))
    return export_layer_norm_full (w, n, error);
  if (x.rank < 1)
    return ovi_ir_node_fail (w, n, error, OVI_ERROR_UNSUPPORTED, "input rank");
  axis = ovi_ir_norm_axis (ovi_node_attr_int (n, "axis", -1), x.rank);
  if (axis < 0 || axis >= x.rank)
    return ovi_ir_node_fail (w, n, error, OVI_ERROR_INVALID,
        "axis out of range");
  for (int i = axis; i < x.rank; i++)
    axes[i - axis] = i;
  y = mvn (w, x, x.rank - axis, axes, ovi_node_attr_float (n, "epsilon",
          1e-5f), TRUE);
  if (ovi_ir_node_has_in (n, 2)) {
    OviIrTap ab[2];
    y = ovi_ir_emit_binary (w, "Multiply", y, ovi_ir_node_in (w, n, 1),
        x.dtype);
    ab[0] = y;
    ab[1] = ovi_ir_node_in (w, n, 2);
    ovi_ir_emit_final (w, n, "Add", "opset1", ovi_ir_data_numpy (), 2, ab, 0,
        NULL);
  } else {
    OviIrTap ab[2] = { y, ovi_ir_node_in (w, n, 1) };
    ovi_ir_emit_final (w, n, "Multiply", "opset1", ovi_ir_data_numpy (), 2, ab,
        0, NULL);
  }
  return TRUE;
}

static gboolean
export_mvn (OviIrWriter *w, const OviNode *n, GError **error)
{
  OviIrTap x = ovi_ir_node_in (w, n, 0), ab[2];
  int64_t def[3] = { 0, 2, 3 }, axes[OVI_MAX_RANK];
  const int64_t *a;
  int na = ovi_node_attr_ints (n, "axes", &a);
  GString *d = ovi_ir_data_new ();
  if (na < 0) {
    a = def;
    na = 3;
  }
  if (na > OVI_MAX_RANK) {
    g_string_free (d, TRUE);
    return ovi_ir_node_fail (w, n, error, OVI_ERROR_INVALID, "too many axes");
  }
  memcpy (axes, a, sizeof (int64_t) * na);
  ab[0] = x;
  ab[1] = ovi_ir_emit_i64s (w, na, axes);
  ovi_ir_data_bool (d, "normalize_variance", TRUE);
  ovi_ir_data_float (d, "eps", 1e-9);
  ovi_ir_data_str (d, "eps_mode", "outside_sqrt");
  ovi_ir_emit_final (w, n, "MVN", "opset6", d, 2, ab, 0, NULL);
  return TRUE;
}

static gboolean
export_lrn (OviIrWriter *w, const OviNode *n, GError **error)
{
  OviIrTap ab[2];
  int64_t one = 1;
  GString *d = ovi_ir_data_new ();
  ab[0] = ovi_ir_node_in (w, n, 0);
  ab[1] = ovi_ir_emit_i64s (w, 1, &one);
  ovi_ir_data_float (d, "alpha", ovi_node_attr_float (n, "alpha", 1e-4f));
  ovi_ir_data_float (d, "beta", ovi_node_attr_float (n, "beta", 0.75f));
  ovi_ir_data_float (d, "bias", ovi_node_attr_float (n, "bias", 1.0f));
  ovi_ir_data_int (d, "size", ovi_node_attr_int (n, "size", 1));
  ovi_ir_emit_final (w, n, "LRN", "opset1", d, 2, ab, 0, NULL);
  return TRUE;
}

static gboolean
export_lp_norm (OviIrWriter *w, const OviNode *n, GError **error)
{
  OviIrTap x = ovi_ir_node_in (w, n, 0), ab[2], norm;
  int64_t p = ovi_node_attr_int (n, "p", 2);
  int64_t axis;
  GString *d;
  OviIrTap out;
  if ((p != 1 && p != 2) || x.rank < 1)
    return ovi_ir_node_unsupported (w, n, error, "this LpNormalization");
  axis = ovi_ir_norm_axis (ovi_node_attr_int (n, "axis", -1), x.rank);
  if (axis < 0 || axis >= x.rank)
    return ovi_ir_node_fail (w, n, error, OVI_ERROR_INVALID,
        "axis out of range");
  out = x;
  out.dims[axis] = 1;
  d = ovi_ir_data_new ();
  ovi_ir_data_bool (d, "keep_dims", TRUE);
  norm = ovi_ir_emit_op2 (w, p == 1 ? "ReduceL1" : "ReduceL2", "opset4", d, x,
      ovi_ir_emit_i64s (w, 1, &axis), out);
  ab[0] = x;
  ab[1] = norm;
  d = ovi_ir_data_numpy ();
  ovi_ir_data_bool (d, "m_pythondiv", FALSE);
  ovi_ir_emit_final (w, n, "Divide", "opset1", d, 2, ab, 0, NULL);
  return TRUE;
}

static gboolean
export_softmax (OviIrWriter *w, const OviNode *n, GError **error)
{
  gboolean log = strcmp (n->op_type, "LogSoftmax") == 0;
  OviIrTap x = ovi_ir_node_in (w, n, 0);
  int64_t axis = ovi_node_attr_int (n, "axis", w->opset < 13 ? 1 : -1);
  GString *d = ovi_ir_data_new ();
  if (x.rank < 0) {
    g_string_free (d, TRUE);
    return ovi_ir_node_fail (w, n, error, OVI_ERROR_UNSUPPORTED,
        "unknown rank");
  }
  axis = x.rank ? ovi_ir_norm_axis (axis, x.rank) : 0;
  if (w->opset < 13 && x.rank > 0 && axis != x.rank - 1) {
    /* Opset < 13: softmax over the flattened dimensions from axis on. */
    int64_t two[2] = { 1, 1 };
    OviIrTap flat, y, ab[2];
    for (int i = 0; i < x.rank; i++)
      two[i < axis ? 0 : 1] *= x.dims[i];
    flat = ovi_ir_emit_reshaped (w, n->inputs[0], 2, two);
    ovi_ir_data_int (d, "axis", 1);
    y = ovi_ir_emit_op1 (w, log ? "LogSoftmax" : "Softmax",
        log ? "opset5" : "opset8", d, flat, flat);
    d = ovi_ir_data_new ();
    ovi_ir_data_bool (d, "special_zero", FALSE);
    ab[0] = y;
    ab[1] = ovi_ir_emit_i64s (w, x.rank, x.dims);
    ovi_ir_emit_final (w, n, "Reshape", "opset1", d, 2, ab, 0, NULL);
    return TRUE;
  }
  ovi_ir_data_int (d, "axis", axis);
  ovi_ir_emit_final (w, n, log ? "LogSoftmax" : "Softmax",
      log ? "opset5" : "opset8", d, 1, &x, 0, NULL);
  return TRUE;
}

static gboolean
export_reduce (OviIrWriter *w, const OviNode *n, GError **error)
{
  static const struct {
    const char *onnx, *ir, *version, *pre, *post;
  } ops[] = {
    { "ReduceMean", "ReduceMean", "opset1", NULL, NULL },
    { "ReduceSum", "ReduceSum", "opset1", NULL, NULL },
    { "ReduceMax", "ReduceMax", "opset1", NULL, NULL },
    { "ReduceMin", "ReduceMin", "opset1", NULL, NULL },
    { "ReduceProd", "ReduceProd", "opset1", NULL, NULL },
    { "ReduceL1", "ReduceL1", "opset4", NULL, NULL },
    { "ReduceL2", "ReduceL2", "opset4", NULL, NULL },
    { "ReduceSumSquare", "ReduceSum", "opset1", "Square", NULL },
    { "ReduceLogSum", "ReduceSum", "opset1", NULL, "Log" },
    { "ReduceLogSumExp", "ReduceSum", "opset1", "Exp", "Log" },
  };
  int64_t axes[OVI_MAX_RANK];
  int na, idx = -1;
  OviIrTap x = ovi_ir_node_in (w, n, 0), ab[2];
  gboolean keep = ovi_node_attr_int (n, "keepdims", 1) != 0;
  gboolean axes_input;
  GString *d;
  for (guint i = 0; i < G_N_ELEMENTS (ops); i++)
    if (strcmp (ops[i].onnx, n->op_type) == 0)
      idx = i;
  if (idx < 0 || x.rank < 0)
    return ovi_ir_node_unsupported (w, n, error, n->op_type);
  axes_input = w->opset >= 18 || (w->opset >= 13
      && strcmp (n->op_type, "ReduceSum") == 0);
  if (axes_input && ovi_ir_node_has_in (n, 1)
      && ovi_ir_node_in_const (w, n, 1) == NULL
      && !(ovi_ir_node_in_value (w, n, 1)->rank == 1
          && ovi_ir_node_in_value (w, n, 1)->dims[0] == 0)) {
    OviIrTap y;
    if (ops[idx].pre) {
      if (strcmp (ops[idx].pre, "Square") == 0)
        x = ovi_ir_emit_binary (w, "Multiply", x, x, x.dtype);
      else
        x = ovi_ir_emit_op1 (w, "Exp", "opset1", NULL, x, x);
    }
    ab[0] = x;
    ab[1] = ovi_ir_node_in (w, n, 1);
    d = ovi_ir_data_new ();
    ovi_ir_data_bool (d, "keep_dims", keep);
    if (ops[idx].post == NULL) {
      ovi_ir_emit_final (w, n, ops[idx].ir, ops[idx].version, d, 2, ab, 0,
          NULL);
      return TRUE;
    }
    y = ovi_ir_emit_op (w, ops[idx].ir, ops[idx].version, d, 2, ab,
        ovi_ir_node_out_shape (w, n, 0));
    ovi_ir_emit_final (w, n, ops[idx].post, "opset1", NULL, 1, &y, 0, NULL);
    return TRUE;
  }
  if (axes_input && ovi_ir_node_has_in (n, 1)
      && ovi_ir_node_in_const (w, n, 1) == NULL)
    na = 0;                     /* an empty runtime list */
  else if (!ovi_ir_node_ints (w, n, "axes", axes_input ? 1 : 99, OVI_MAX_RANK,
               &na, axes, error))
    return FALSE;
  if (na <= 0) {
    if (ovi_node_attr_int (n, "noop_with_empty_axes", 0) && na == 0
        && ops[idx].pre == NULL && ops[idx].post == NULL) {
      ovi_ir_alias (w, n, 0, x);
      return TRUE;
    }
    if (!(ovi_node_attr_int (n, "noop_with_empty_axes", 0))) {
      na = x.rank;
      for (int i = 0; i < x.rank; i++)
        axes[i] = i;
    } else {
      na = 0;
    }
  }
  for (int i = 0; i < na; i++)
    axes[i] = ovi_ir_norm_axis (axes[i], x.rank);
  if (ops[idx].pre) {
    if (strcmp (ops[idx].pre, "Square") == 0)
      x = ovi_ir_emit_binary (w, "Multiply", x, x, x.dtype);
    else
      x = ovi_ir_emit_op1 (w, "Exp", "opset1", NULL, x, x);
  }
  ab[0] = x;
  ab[1] = ovi_ir_emit_i64s (w, na, axes);
  d = ovi_ir_data_new ();
  ovi_ir_data_bool (d, "keep_dims", keep);
  if (ops[idx].post) {
    OviIrTap y = ovi_ir_emit_op (w, ops[idx].ir, ops[idx].version, d, 2, ab,
        ovi_ir_node_out_shape (w, n, 0));
    ovi_ir_emit_final (w, n, ops[idx].post, "opset1", NULL, 1, &y, 0, NULL);
  } else {
    ovi_ir_emit_final (w, n, ops[idx].ir, ops[idx].version, d, 2, ab, 0, NULL);
  }
  return TRUE;
}

const OviIrExportOp ovi_ir_export_norm_reduce[] = {
  { "BatchNormalization", export_batch_norm },
  { "InstanceNormalization", export_instance_norm },
  { "LayerNormalization", export_layer_norm },
  { "MeanVarianceNormalization", export_mvn },
  { "LRN", export_lrn },
  { "LpNormalization", export_lp_norm },
  { "Softmax", export_softmax },
  { "LogSoftmax", export_softmax },
  { "ReduceMean", export_reduce },
  { "ReduceSum", export_reduce },
  { "ReduceMax", export_reduce },
  { "ReduceMin", export_reduce },
  { "ReduceProd", export_reduce },
  { "ReduceL1", export_reduce },
  { "ReduceL2", export_reduce },
  { "ReduceSumSquare", export_reduce },
  { "ReduceLogSum", export_reduce },
  { "ReduceLogSumExp", export_reduce },
  { NULL },
};
