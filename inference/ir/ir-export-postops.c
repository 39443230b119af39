/* ONNX -> IR: the post-ops that passes/fuse-postops.c folds into a Conv
 * (residual Add, then an activation), written back as the standard layers
 * they stand for. A plan's graph carries them; exporting it (the NPU
 * device compiles plans) must not drop them. */
#include <math.h>
#include <string.h>

#include "ir-private.h"
#include "passes/passes.h"

gboolean
ovi_ir_node_has_postops (const OviNode *n)
{
  return ovi_node_attr_int (n, OVI_ATTR_SUM, 0) != 0
      || ovi_node_attr (n, OVI_ATTR_ACTIVATION) != NULL;
}

/* One layer ending the node (its output name) or an inner one. */
static OviIrTap
emit_step (OviIrWriter *w, const OviNode *n, gboolean last, const char *type,
    const char *version, GString *data, int n_in, const OviIrTap *ins)
{
  if (last) {
    ovi_ir_emit_final (w, n, type, version, data, n_in, ins, 0, NULL);
    return w->taps[n->outputs[0]];
  }
  return ovi_ir_emit_op (w, type, version, data, n_in, ins,
      ovi_ir_shape_tap (ins[0].dtype, ins[0].rank, ins[0].dims));
}

/* x * gate (x): the gates fuse-postops recognised (SiLU, hard swish with
 * HardSigmoid's own alpha and beta). */
static void
emit_gated (OviIrWriter *w, const OviNode *n, OviIrTap x, gboolean hard,
    double alpha, double beta)
{
  OviIrTap g, ab[3];
  ab[0] = x;
  if (hard) {
    ab[1] = ovi_ir_emit_scalar (w, x.dtype, alpha, FALSE);
    ab[2] = ovi_ir_emit_scalar (w, x.dtype, beta, FALSE);
    g = emit_step (w, n, FALSE, "HardSigmoid", "opset1", NULL, 3, ab);
  } else {
    g = emit_step (w, n, FALSE, "Sigmoid", "opset1", NULL, 1, ab);
  }
  ab[1] = g;
  emit_step (w, n, TRUE, "Multiply", "opset1", ovi_ir_data_numpy (), 2, ab);
}

/* Clip with fused bounds; an infinite bound is no bound at all (Clamp
 * needs finite ones to mean the same thing for infinite inputs). */
static void
emit_clip (OviIrWriter *w, const OviNode *n, OviIrTap x, double lo,
    double hi)
{
  OviIrTap ab[2] = { x };
  if (isfinite (lo) && isfinite (hi)) {
    GString *d = ovi_ir_data_new ();
    ovi_ir_data_float (d, "min", lo);
    ovi_ir_data_float (d, "max", hi);
    emit_step (w, n, TRUE, "Clamp", "opset1", d, 1, ab);
    return;
  }
  if (isfinite (lo)) {
    ab[1] = ovi_ir_emit_scalar (w, x.dtype, lo, FALSE);
    ab[0] = emit_step (w, n, !isfinite (hi), "Maximum", "opset1",
        ovi_ir_data_numpy (), 2, ab);
    if (!isfinite (hi))
      return;
  }
  if (isfinite (hi)) {
    ab[1] = ovi_ir_emit_scalar (w, x.dtype, hi, FALSE);
    emit_step (w, n, TRUE, "Minimum", "opset1", ovi_ir_data_numpy (), 2, ab);
    return;
  }
  /* Neither bound: an identity; still a layer so the output has a name. */
  ab[1] = ovi_ir_emit_scalar (w, x.dtype, 0, FALSE);
  emit_step (w, n, TRUE, "Add", "opset1", ovi_ir_data_numpy (), 2, ab);
}

gboolean
ovi_ir_emit_postops (OviIrWriter *w, const OviNode *n, OviIrTap y,
    GError **error)
{
  const char *act = ovi_node_attr_string (n, OVI_ATTR_ACTIVATION, NULL);
  double alpha = ovi_node_attr_float (n, OVI_ATTR_ALPHA, 0);
  double beta = ovi_node_attr_float (n, OVI_ATTR_BETA, 0);
  OviIrTap ab[3];

  if (ovi_node_attr_int (n, OVI_ATTR_SUM, 0)) {
    if (!ovi_ir_node_has_in (n, 3))
      return ovi_ir_node_fail (w, n, error, OVI_ERROR_INVALID,
          "fused sum without its residual input");
    ab[0] = y;
    ab[1] = ovi_ir_node_in (w, n, 3);
    y = emit_step (w, n, act == NULL, "Add", "opset1", ovi_ir_data_numpy (),
        2, ab);
  }
  if (act == NULL)
    return TRUE;
  ab[0] = y;
  if (strcmp (act, "Relu") == 0 || strcmp (act, "Sigmoid") == 0
      || strcmp (act, "Tanh") == 0) {
    emit_step (w, n, TRUE, act, "opset1", NULL, 1, ab);
  } else if (strcmp (act, "Clip") == 0) {
    emit_clip (w, n, y, alpha, beta);
  } else if (strcmp (act, "LeakyRelu") == 0) {
    ab[1] = ovi_ir_emit_scalar (w, y.dtype, alpha, TRUE);
    emit_step (w, n, TRUE, "PRelu", "opset1", NULL, 2, ab);
  } else if (strcmp (act, "Elu") == 0) {
    GString *d = ovi_ir_data_new ();
    ovi_ir_data_float (d, "alpha", alpha);
    emit_step (w, n, TRUE, "Elu", "opset1", d, 1, ab);
  } else if (strcmp (act, "HardSigmoid") == 0) {
    ab[1] = ovi_ir_emit_scalar (w, y.dtype, alpha, FALSE);
    ab[2] = ovi_ir_emit_scalar (w, y.dtype, beta, FALSE);
    emit_step (w, n, TRUE, "HardSigmoid", "opset1", NULL, 3, ab);
  } else if (strcmp (act, "Gelu") == 0) {
    GString *d = ovi_ir_data_new ();
    ovi_ir_data_str (d, "approximation_mode", alpha != 0 ? "TANH" : "ERF");
    emit_step (w, n, TRUE, "Gelu", "opset7", d, 1, ab);
  } else if (strcmp (act, "Swish") == 0) {
    emit_gated (w, n, y, FALSE, 0, 0);
  } else if (strcmp (act, "HardSwish") == 0) {
    /* HardSwish proper is x * HardSigmoid (x) with 1/6 and 1/2; the gate
     * form keeps whatever alpha and beta its HardSigmoid had. */
    if ((float) alpha == 1.0f / 6 && (float) beta == 0.5f)
      emit_step (w, n, TRUE, "HSwish", "opset4", NULL, 1, ab);
    else
      emit_gated (w, n, y, TRUE, alpha, beta);
  } else {
    return ovi_ir_node_fail (w, n, error, OVI_ERROR_UNSUPPORTED,
        "fused activation %s", act);
  }
  return TRUE;
}
