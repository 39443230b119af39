/* Resize and Upsample on the GPU: float32, rank 4, the outer two axes
 * unchanged, the last two resampled through the CPU kernel's own taps
 * (cpu-resize-taps.h). Other element types and ranks, outer axes that
 * resample, and tf_crop_and_resize's extrapolation run on the CPU. */
#include <string.h>

#include "cpu/cpu-resize-taps.h"
#include "gpu-exec.h"

/* The node's inputs as the CPU kernel sees them at run time: shapes from
 * the plan, and the data of the constant ones (scales, sizes, roi). */
static void
tensor_of (OviTensor *t, const OviValue *v)
{
  memset (t, 0, sizeof (*t));
  if (v->constant) {
    *t = *v->constant;
    return;
  }
  t->dtype = v->dtype;
  t->rank = v->rank;
  memcpy (t->dims, v->dims, sizeof (t->dims));
}

static gboolean
build_resize (OviGpuBuild *b, const OviNode *n)
{
  OviTensor in[4], out;
  OviTensor *ins[4] = { NULL, NULL, NULL, NULL }, *outs[1] = { &out };
  OviOpCtx ctx = { .node = n, .opset = b->plan->graph->opset,
    .n_inputs = MIN (n->n_inputs, 4), .inputs = ins, .n_outputs = 1,
    .outputs = outs, .source = b->plan->graph->source };
  const OviValue *x, *y;
  OviResizeTaps th, tw;
  gboolean ok = TRUE;
  OviGpuLaunch *l;

  if (n->n_inputs < 1 || n->n_outputs != 1 || n->outputs[0] < 0
      || !ovi_gpu_is_f32 (b, n->inputs[0]) || !ovi_gpu_is_f32 (b, n->outputs[0]))
    return FALSE;
  x = ovi_gpu_input (b, n, 0);
  y = ovi_gpu_output (b, n, 0);
  if (x->rank != 4 || y->rank != 4 || x->dims[0] != y->dims[0]
      || x->dims[1] != y->dims[1])
    return FALSE;
  for (int i = 0; i < ctx.n_inputs; i++) {
    const OviValue *v = ovi_gpu_input (b, n, i);
    if (v == NULL)
      continue;
    /* Scales, sizes and roi must be known now. */
    if (i > 0 && v->constant == NULL)
      return FALSE;
    tensor_of (&in[i], v);
    ins[i] = &in[i];
  }
  tensor_of (&out, y);
  /* The outer axes must copy their input: their taps say so. */
  for (int d = 0; d < 2 && ok; d++) {
    OviResizeTaps t;
    ok = ovi_resize_taps (&ctx, d, &t, NULL) && t.identity;
    ovi_resize_taps_clear (&t);
  }
  if (!ok || !ovi_resize_taps (&ctx, 2, &th, NULL))
    return FALSE;
  if (!ovi_resize_taps (&ctx, 3, &tw, NULL)) {
    ovi_resize_taps_clear (&th);
    return FALSE;
  }
  if (ovi_gpu_numel (y) > 0) {
    l = ovi_gpu_launch (b, "resize", "resize2d");
    ovi_gpu_arg_value (l, n->inputs[0]);
    ovi_gpu_arg_value (l, n->outputs[0]);
    ovi_gpu_arg_ints (b, l, th.idx, (int) (y->dims[2] * th.stride));
    ovi_gpu_arg_floats (b, l, th.w, (int) (y->dims[2] * th.stride));
    ovi_gpu_arg_ints (b, l, tw.idx, (int) (y->dims[3] * tw.stride));
    ovi_gpu_arg_floats (b, l, tw.w, (int) (y->dims[3] * tw.stride));
    ovi_gpu_arg_int (l, x->dims[2]);
    ovi_gpu_arg_int (l, x->dims[3]);
    ovi_gpu_arg_int (l, y->dims[2]);
    ovi_gpu_arg_int (l, y->dims[3]);
    ovi_gpu_arg_int (l, th.stride);
    ovi_gpu_arg_int (l, tw.stride);
    ovi_gpu_arg_int (l, ovi_gpu_numel (y));
    ovi_gpu_range_1d (l, ovi_gpu_numel (y));
  }
  ovi_resize_taps_clear (&th);
  ovi_resize_taps_clear (&tw);
  return TRUE;
}

const OviGpuOp ovi_gpu_ops_resize[] = {
  { "Resize", build_resize },
  { "Upsample", build_resize },
  { NULL, NULL },
};
