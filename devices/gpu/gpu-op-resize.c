/* Resize and Upsample on the GPU: float32, rank 4, the outer two axes
 * unchanged, the last two resampled through the CPU kernel's own taps
 * (cpu-resize-taps.h). Other element types and ranks, outer axes that
 * resample, and tf_crop_and_resize's extrapolation run on the CPU. */
#include <string.h>

#include "cpu/cpu-resize-taps.h"
#include "gpu-exec.h"

static gboolean
build_resize (OviGpuBuild *b, const OviNode *n)
{
  OviGpuOpCtx c;
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
  /* Scales, sizes and roi must be known now. */
  if (!ovi_gpu_op_ctx (b, n, &c))
    return FALSE;
  /* The outer axes must copy their input: their taps say so. */
  for (int d = 0; d < 2 && ok; d++) {
    OviResizeTaps t;
    ok = ovi_resize_taps (&c.ctx, d, &t, NULL) && t.identity;
    ovi_resize_taps_clear (&t);
  }
  if (!ok || !ovi_resize_taps (&c.ctx, 2, &th, NULL))
    return FALSE;
  if (!ovi_resize_taps (&c.ctx, 3, &tw, NULL)) {
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
