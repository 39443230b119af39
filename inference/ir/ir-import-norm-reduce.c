/* IR -> ONNX: normalizations, softmax and reductions. */
#include <string.h>

#include "ir-private.h"

static gboolean
import_batch_norm (OviIrImport *c, GError **error)
{
  double eps;
  int ins[5];
  if (!ovi_ir_check_io (c, 5, 5, 1, 1, error)
      || !ovi_ir_attr_float (c, "epsilon", TRUE, 1e-5, &eps, error))
    return FALSE;
  if (c->version >= 5) {
    memcpy (ins, c->in, sizeof (ins));
  } else {
    /* BatchNormInference-1: gamma, beta, data, mean, variance. */
    ins[0] = c->in[2];
    ins[1] = c->in[0];
    ins[2] = c->in[1];
    ins[3] = c->in[3];
    ins[4] = c->in[4];
  }
  ovi_ir_add_node (c, "BatchNormalization", 5, ins, 1, c->out);
  ovi_node_set_attr_float (ovi_ir_last_node (c), "epsilon", (float) eps);
  return TRUE;
}

/* Mean-variance normalization over `axes` (a value). */
static void
emit_mvn (OviIrImport *c, int x, int axes, gboolean variance, double eps,
    gboolean inside, int out)
{
  OviDType t = ovi_ir_out_dtype (c, 0);
  int mean, d, var, den;
  mean = ovi_ir_node1 (c, "ReduceMean", -1, t, 2, x, axes);
  ovi_node_set_attr_int (ovi_ir_last_node (c), "keepdims", 1);
  if (!variance) {
    ovi_ir_node1 (c, "Sub", out, t, 2, x, mean);
    return;
  }
  d = ovi_ir_node1 (c, "Sub", -1, t, 2, x, mean);
  var = ovi_ir_node1 (c, "ReduceMean", -1, t, 2,
      ovi_ir_node1 (c, "Mul", -1, t, 2, d, d), axes);
  ovi_node_set_attr_int (ovi_ir_last_node (c), "keepdims", 1);
  if (inside)
    den = ovi_ir_node1 (c, "Sqrt", -1, t, 1,
        ovi_ir_node1 (c, "Add", -1, t, 2, var,
            ovi_ir_const_scalar (c, t, eps, FALSE)));
  else
    den = ovi_ir_node1 (c, "Add", -1, t, 2,
        ovi_ir_node1 (c, "Sqrt", -1, t, 1, var),
        ovi_ir_const_scalar (c, t, eps, FALSE));
  ovi_ir_node1 (c, "Div", out, t, 2, d, den);
}

static gboolean
import_mvn (OviIrImport *c, GError **error)
{
  gboolean variance;
  double eps;
  gboolean inside = TRUE;
  int axes;
  if (!ovi_ir_attr_bool (c, "normalize_variance", TRUE, &variance, error)
      || !ovi_ir_attr_float (c, "eps", TRUE, 1e-9, &eps, error))
    return FALSE;
  if (c->version >= 6) {
    const char *mode = ovi_ir_attr_str (c, "eps_mode", "inside_sqrt");
    if (!ovi_ir_check_io (c, 2, 2, 1, 1, error))
      return FALSE;
    if (g_ascii_strcasecmp (mode, "outside_sqrt") == 0)
      inside = FALSE;
    else if (g_ascii_strcasecmp (mode, "inside_sqrt") != 0)
      return ovi_ir_fail (c, error, OVI_ERROR_UNSUPPORTED,
          "eps_mode '%s' is not supported", mode);
    axes = ovi_ir_axes_input (c, 1);
  } else {
    int64_t v[OVI_MAX_RANK];
    int n;
    if (!ovi_ir_check_io (c, 1, 1, 1, 1, error)
        || !ovi_ir_attr_ints_fixed (c, "reduction_axes", FALSE, OVI_MAX_RANK,
            &n, v, error))
      return FALSE;
    if (n < 0) {
      gboolean across;
      int r = ovi_ir_in_rank (c, 0);
      if (!ovi_ir_attr_bool (c, "across_channels", FALSE, &across, error))
        return FALSE;
      if (r < 2)
        return ovi_ir_fail (c, error, OVI_ERROR_UNSUPPORTED,
            "needs an input of known rank");
      n = 0;
      for (int i = across ? 1 : 2; i < r; i++)
        v[n++] = i;
    }
    axes = ovi_ir_const_i64 (c, n, v, FALSE);
  }
  emit_mvn (c, c->in[0], axes, variance, eps, inside, c->out[0]);
  return TRUE;
}

static gboolean
import_normalize_l2 (OviIrImport *c, GError **error)
{
  double eps;
  const char *mode = ovi_ir_attr_str (c, "eps_mode", "add");
  OviDType t;
  int sum, e;
  if (!ovi_ir_check_io (c, 2, 2, 1, 1, error)
      || !ovi_ir_attr_float (c, "eps", TRUE, 0, &eps, error))
    return FALSE;
  if (strcmp (mode, "add") != 0 && strcmp (mode, "max") != 0)
    return ovi_ir_fail (c, error, OVI_ERROR_UNSUPPORTED,
        "eps_mode '%s' is not supported", mode);
  t = ovi_ir_out_dtype (c, 0);
  sum = ovi_ir_node1 (c, "ReduceSum", -1, t, 2,
      ovi_ir_node1 (c, "Mul", -1, t, 2, c->in[0], c->in[0]),
      ovi_ir_axes_input (c, 1));
  ovi_node_set_attr_int (ovi_ir_last_node (c), "keepdims", 1);
  ovi_node_set_attr_int (ovi_ir_last_node (c), "noop_with_empty_axes", 1);
  e = ovi_ir_const_scalar (c, t, eps, FALSE);
  sum = ovi_ir_node1 (c, strcmp (mode, "add") == 0 ? "Add" : "Max", -1, t, 2,
      sum, e);
  ovi_ir_node1 (c, "Div", c->out[0], t, 2, c->in[0],
      ovi_ir_node1 (c, "Sqrt", -1, t, 1, sum));
  return TRUE;
}

static gboolean
import_lrn (OviIrImport *c, GError **error)
{
  double alpha, beta, bias;
  int64_t size, axes[OVI_MAX_RANK];
  int n;
  if (!ovi_ir_check_io (c, 2, 2, 1, 1, error)
      || !ovi_ir_attr_float (c, "alpha", TRUE, 0, &alpha, error)
      || !ovi_ir_attr_float (c, "beta", TRUE, 0, &beta, error)
      || !ovi_ir_attr_float (c, "bias", TRUE, 1, &bias, error)
      || !ovi_ir_attr_int (c, "size", TRUE, 1, &size, error)
      || !ovi_ir_const_ints (c, 1, "axes", OVI_MAX_RANK, &n, axes, error))
    return FALSE;
  if (n != 1 || axes[0] != 1)
    return ovi_ir_fail (c, error, OVI_ERROR_UNSUPPORTED,
        "only normalization across channels (axes [1]) is supported");
  ovi_ir_add_node (c, "LRN", 1, c->in, 1, c->out);
  ovi_node_set_attr_float (ovi_ir_last_node (c), "alpha", (float) alpha);
  ovi_node_set_attr_float (ovi_ir_last_node (c), "beta", (float) beta);
  ovi_node_set_attr_float (ovi_ir_last_node (c), "bias", (float) bias);
  ovi_node_set_attr_int (ovi_ir_last_node (c), "size", size);
  return TRUE;
}

static gboolean
import_softmax (OviIrImport *c, GError **error)
{
  int64_t axis;
  const char *op = strcmp (c->layer->type, "LogSoftmax") == 0
      ? "LogSoftmax" : "Softmax";
  if (!ovi_ir_check_io (c, 1, 1, 1, 1, error)
      || !ovi_ir_attr_int (c, "axis", FALSE, 1, &axis, error))
    return FALSE;
  ovi_ir_add_node (c, op, 1, c->in, 1, c->out);
  ovi_node_set_attr_int (ovi_ir_last_node (c), "axis", axis);
  return TRUE;
}

static gboolean
import_reduce (OviIrImport *c, GError **error)
{
  const char *op = c->op->onnx;
  gboolean keep;
  gboolean logical;
  int x, out;
  if (!ovi_ir_check_io (c, 2, 2, 1, 1, error)
      || !ovi_ir_attr_bool (c, "keep_dims", FALSE, &keep, error))
    return FALSE;
  /* Mean/max over all spatial axes, kept: the global pools. */
  if (keep && (strcmp (op, "ReduceMean") == 0 || strcmp (op, "ReduceMax") == 0)
      && ovi_ir_in_rank (c, 0) >= 3 && ovi_ir_in_const (c, 1)) {
    int64_t axes[OVI_MAX_RANK];
    int n, r = ovi_ir_in_rank (c, 0), seen = 0;
    GError *ignored = NULL;
    if (ovi_ir_const_ints (c, 1, "axes", OVI_MAX_RANK, &n, axes, &ignored)
        && n == r - 2) {
      for (int i = 0; i < n; i++) {
        int64_t a = axes[i] < 0 ? axes[i] + r : axes[i];
        if (a >= 2 && a < r)
          seen |= 1 << a;
      }
      if (seen == ((1 << r) - 1) - 3) {
        ovi_ir_add_node (c, strcmp (op, "ReduceMean") == 0 ? "GlobalAveragePool"
            : "GlobalMaxPool", 1, c->in, 1, c->out);
        return TRUE;
      }
    }
    g_clear_error (&ignored);
  }
  logical = g_str_has_prefix (c->layer->type, "ReduceLogical");
  x = logical ? ovi_ir_cast (c, c->in[0], OVI_DTYPE_UINT8, -1) : c->in[0];
  out = logical ? ovi_ir_new_value (c, OVI_DTYPE_UINT8) : c->out[0];
  ovi_ir_node1 (c, op, out, ovi_ir_out_dtype (c, 0), 2, x,
      ovi_ir_axes_input (c, 1));
  ovi_node_set_attr_int (ovi_ir_last_node (c), "keepdims", keep);
  ovi_node_set_attr_int (ovi_ir_last_node (c), "noop_with_empty_axes", 1);
  if (logical)
    ovi_ir_cast (c, out, OVI_DTYPE_BOOL, c->out[0]);
  return TRUE;
}

const OviIrImportOp ovi_ir_import_norm_reduce[] = {
  { "Softmax", import_softmax, 1 },
  { "LogSoftmax", import_softmax, 1 },
  { "BatchNormInference", import_batch_norm, 1 },
  { "MVN", import_mvn, 1 },
  { "NormalizeL2", import_normalize_l2, 1 },
  { "LRN", import_lrn, 1 },
  { "ReduceMean", import_reduce, 1, "ReduceMean" },
  { "ReduceSum", import_reduce, 1, "ReduceSum" },
  { "ReduceMax", import_reduce, 1, "ReduceMax" },
  { "ReduceMin", import_reduce, 1, "ReduceMin" },
  { "ReduceProd", import_reduce, 1, "ReduceProd" },
  { "ReduceL1", import_reduce, 1, "ReduceL1" },
  { "ReduceL2", import_reduce, 1, "ReduceL2" },
  { "ReduceLogicalAnd", import_reduce, 1, "ReduceMin" },
  { "ReduceLogicalOr", import_reduce, 1, "ReduceMax" },
  { NULL },
};
