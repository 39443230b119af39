/* RNN, GRU and LSTM on the GPU (kernels/rnn.cl): float32 data, weights,
 * biases, states and peepholes, int32 sequence lengths (checked by the
 * kernel at run time), every attribute the CPU kernel takes. One work
 * group per batch entry and direction. */
#include <string.h>

#include "cpu/cpu-rnn-acts.h"
#include "gpu-exec.h"

/* Hidden sizes whose state (h, c and a temporary) fits in 32 KiB of
 * local memory, OpenCL's least. */
#define RNN_MAX_HIDDEN 2048

/* Input k, or -1 when absent (optional inputs may be named ""). */
static int
optional_input (const OviNode *n, int k)
{
  return k < n->n_inputs ? n->inputs[k] : -1;
}

static int
optional_output (const OviNode *n, int k)
{
  return k < n->n_outputs ? n->outputs[k] : -1;
}

static gboolean
build_rnn (OviGpuBuild *b, const OviNode *n)
{
  gboolean lstm = strcmp (n->op_type, "LSTM") == 0;
  gboolean gru = strcmp (n->op_type, "GRU") == 0;
  int ng = lstm ? 4 : gru ? 3 : 1, per_dir = lstm ? 3 : gru ? 2 : 1;
  const char *direction = ovi_node_attr_string (n, "direction", "forward");
  int dirs = strcmp (direction, "bidirectional") == 0 ? 2 : 1;
  int64_t layout = b->plan->graph->opset >= 14
      ? ovi_node_attr_int (n, "layout", 0) : 0;
  int in_v[8], out_v[3], geo[24] = { 0 };
  float fl[13] = { 0 };
  OviRnnAct acts[6];
  OviErrorCode code;
  char *problem = NULL;
  const OviValue *x, *r, *lens;
  int64_t seq, batch, hs;
  OviGpuLaunch *l;
  size_t global[3], local[3];
  int any_out = -1;

  if (strcmp (direction, "forward") != 0 && strcmp (direction, "reverse") != 0
      && dirs != 2)
    return FALSE;
  if (!ovi_rnn_activations (n, per_dir, dirs, acts, &code, &problem)) {
    /* The CPU kernel reports it. */
    g_free (problem);
    return FALSE;
  }
  for (int k = 0; k < 8; k++)
    in_v[k] = optional_input (n, k);
  for (int k = 0; k < 3; k++) {
    out_v[k] = optional_output (n, k);
    if (out_v[k] >= 0 && (!ovi_gpu_is_f32 (b, out_v[k]) || (!lstm && k == 2)))
      return FALSE;
    if (out_v[k] >= 0 && any_out < 0)
      any_out = out_v[k];
  }
  if (n->n_inputs < 3 || any_out < 0 || in_v[1] < 0 || in_v[2] < 0
      || (!lstm && n->n_inputs > 6))
    return FALSE;
  for (int k = 0; k < 8; k++)
    if (in_v[k] >= 0 && k != 4 && !ovi_gpu_is_f32 (b, in_v[k]))
      return FALSE;
  lens = in_v[4] >= 0 ? ovi_gpu_value (b, in_v[4]) : NULL;
  if (lens && (lens->dtype != OVI_DTYPE_INT32 || lens->dynamic))
    return FALSE;
  x = ovi_gpu_value (b, in_v[0]);
  r = ovi_gpu_value (b, in_v[2]);
  if (x->rank != 3 || r->rank != 3)
    return FALSE;
  seq = layout ? x->dims[1] : x->dims[0];
  batch = layout ? x->dims[0] : x->dims[1];
  hs = r->dims[2];
  if (hs < 1 || hs > RNN_MAX_HIDDEN || r->dims[0] != dirs
      || r->dims[1] != ng * hs || ovi_gpu_value (b, in_v[1])->dims[1] != ng * hs
      || ovi_gpu_value (b, in_v[1])->dims[2] != x->dims[2])
    return FALSE;
  if (seq * batch == 0)
    return FALSE;

  geo[0] = (int) seq;
  geo[1] = (int) batch;
  geo[2] = (int) x->dims[2];
  geo[3] = (int) hs;
  geo[4] = dirs;
  geo[5] = strcmp (direction, "reverse") == 0;
  geo[6] = (int) layout;
  geo[7] = lstm ? 2 : gru ? 1 : 0;
  geo[8] = in_v[3] >= 0;
  geo[9] = in_v[4] >= 0;
  geo[10] = in_v[5] >= 0;
  geo[11] = lstm && in_v[6] >= 0;
  geo[12] = lstm && in_v[7] >= 0;
  geo[13] = out_v[0] >= 0;
  geo[14] = out_v[1] >= 0;
  geo[15] = out_v[2] >= 0;
  geo[16] = ovi_node_attr_int (n, "input_forget", 0) != 0;
  geo[17] = ovi_node_attr_int (n, "linear_before_reset", 0) != 0;
  fl[0] = ovi_node_attr (n, "clip") ? ovi_node_attr_float (n, "clip", 0) : 0;
  for (int i = 0; i < per_dir * dirs; i++) {
    geo[18 + i] = acts[i].kind;
    fl[1 + i] = acts[i].alpha;
    fl[7 + i] = acts[i].beta;
  }

  l = ovi_gpu_launch (b, "rnn", "rnn");
  for (int k = 0; k < 8; k++)
    ovi_gpu_arg_value (l, in_v[k] >= 0 && (lstm || k < 6) ? in_v[k]
        : in_v[0]);
  for (int k = 0; k < 3; k++)
    ovi_gpu_arg_value (l, out_v[k] >= 0 ? out_v[k] : any_out);
  ovi_gpu_arg_ints (b, l, geo, G_N_ELEMENTS (geo));
  ovi_gpu_arg_floats (b, l, fl, G_N_ELEMENTS (fl));
  ovi_gpu_arg_local (l, 3 * hs * sizeof (float));
  ovi_gpu_arg_status (l);
  local[0] = hs >= 256 ? 256 : (size_t) (hs + 31) / 32 * 32;
  local[1] = local[2] = 1;
  global[0] = local[0];
  global[1] = (size_t) batch;
  global[2] = (size_t) dirs;
  ovi_gpu_range (l, 3, global, local);
  return TRUE;
}

const OviGpuOp ovi_gpu_ops_rnn[] = {
  { "RNN", build_rnn },
  { "GRU", build_rnn },
  { "LSTM", build_rnn },
  { NULL, NULL },
};
