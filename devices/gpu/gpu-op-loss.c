/* NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss on the GPU:
 * float32 scores and weights, int32 or int64 targets, reductions none,
 * sum and mean, ignore_index, SoftmaxCrossEntropyLoss's log_prob output.
 * Launches: the log-softmax over the class axis (softmax.cl, into
 * log_prob or the scratch buffer), the terms, and their sum. */
#include <string.h>

#include "gpu-exec.h"

static gboolean
build_loss (OviGpuBuild *b, const OviNode *n)
{
  gboolean sce = strcmp (n->op_type, "SoftmaxCrossEntropyLoss") == 0;
  const char *reduction = ovi_node_attr_string (n, "reduction", "mean");
  gboolean none = strcmp (reduction, "none") == 0;
  int wt_v = n->n_inputs > 2 ? n->inputs[2] : -1;
  int lp_v = sce && n->n_outputs > 1 ? n->outputs[1] : -1;
  const OviValue *x, *t;
  int64_t c, inner = 1, total, lp_bytes = 0;
  OviGpuLaunch *l;

  if (n->n_inputs < 2 || n->n_outputs < 1 || n->outputs[0] < 0
      || !ovi_gpu_is_f32 (b, n->inputs[0]) || !ovi_gpu_is_f32 (b, n->outputs[0])
      || (wt_v >= 0 && !ovi_gpu_is_f32 (b, wt_v))
      || (lp_v >= 0 && !ovi_gpu_is_f32 (b, lp_v))
      || (!none && strcmp (reduction, "sum") != 0
          && strcmp (reduction, "mean") != 0))
    return FALSE;
  x = ovi_gpu_input (b, n, 0);
  t = ovi_gpu_input (b, n, 1);
  if (x->rank < 2 || t->dynamic || t->rank != x->rank - 1
      || (t->dtype != OVI_DTYPE_INT64 && t->dtype != OVI_DTYPE_INT32))
    return FALSE;
  c = x->dims[1];
  for (int d = 2; d < x->rank; d++)
    inner *= x->dims[d];
  total = x->dims[0] * inner;
  if (total == 0 || c == 0)
    return FALSE;

  if (sce) {
    l = ovi_gpu_launch (b, "softmax", "softmax");
    ovi_gpu_arg_value (l, n->inputs[0]);
    if (lp_v >= 0) {
      ovi_gpu_arg_value (l, lp_v);
    } else {
      lp_bytes = ovi_gpu_numel (x) * (int64_t) sizeof (float);
      ovi_gpu_arg_scratch (b, l, lp_bytes);
    }
    ovi_gpu_arg_int (l, x->dims[0]);
    ovi_gpu_arg_int (l, c);
    ovi_gpu_arg_int (l, inner);
    ovi_gpu_arg_int (l, 1);
    ovi_gpu_range_1d (l, total);
  }

  /* Scratch: [log-probabilities when not an output][(loss, weight)...] */
  l = ovi_gpu_launch (b, "loss", "loss_terms");
  if (!sce)
    ovi_gpu_arg_value (l, n->inputs[0]);
  else if (lp_v >= 0)
    ovi_gpu_arg_value (l, lp_v);
  else
    ovi_gpu_arg_scratch (b, l, lp_bytes);
  ovi_gpu_arg_value (l, n->inputs[1]);
  ovi_gpu_arg_int (l, t->dtype == OVI_DTYPE_INT64);
  ovi_gpu_arg_value (l, wt_v >= 0 ? wt_v : n->inputs[0]);
  ovi_gpu_arg_int (l, wt_v >= 0);
  ovi_gpu_arg_value (l, n->outputs[0]);
  ovi_gpu_arg_scratch (b, l, lp_bytes + (none ? 0 : 2 * total
          * (int64_t) sizeof (float)));
  ovi_gpu_arg_int (l, lp_bytes / (int64_t) sizeof (float));
  ovi_gpu_arg_int (l, !none);
  ovi_gpu_arg_int (l, c);
  ovi_gpu_arg_int (l, inner);
  ovi_gpu_arg_int (l, total);
  ovi_gpu_arg_int (l, ovi_node_attr (n, "ignore_index") != NULL);
  ovi_gpu_arg_long (l, ovi_node_attr_int (n, "ignore_index", 0));
  ovi_gpu_arg_status (l);
  ovi_gpu_range_1d (l, total);
  if (none)
    return TRUE;

  l = ovi_gpu_launch (b, "loss", "loss_sum");
  ovi_gpu_arg_scratch (b, l, 0);
  ovi_gpu_arg_int (l, lp_bytes / (int64_t) sizeof (float));
  ovi_gpu_arg_value (l, n->outputs[0]);
  ovi_gpu_arg_int (l, total);
  ovi_gpu_arg_int (l, strcmp (reduction, "mean") == 0);
  {
    size_t g = 256, lo = 256;
    ovi_gpu_range (l, 1, &g, &lo);
  }
  return TRUE;
}

const OviGpuOp ovi_gpu_ops_loss[] = {
  { "NegativeLogLikelihoodLoss", build_loss },
  { "SoftmaxCrossEntropyLoss", build_loss },
  { NULL, NULL },
};
