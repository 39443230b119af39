/* GridSample and RoiAlign on the GPU (kernels/sample.cl), float32 with
 * the CPU kernels' semantics. GridSample: 4-D only (as on the CPU);
 * RoiAlign: int64 batch indices, checked by the kernel at run time. */
#include <string.h>

#include "gpu-exec.h"

static gboolean
build_grid_sample (OviGpuBuild *b, const OviNode *n)
{
  const OviValue *x, *g, *y;
  const char *mode_s = ovi_node_attr_string (n, "mode", "bilinear");
  const char *pad_s = ovi_node_attr_string (n, "padding_mode", "zeros");
  int mode, pad;
  OviGpuLaunch *l;

  if (n->n_inputs != 2 || n->n_outputs != 1 || n->outputs[0] < 0
      || !ovi_gpu_is_f32 (b, n->inputs[0]) || !ovi_gpu_is_f32 (b, n->inputs[1])
      || !ovi_gpu_is_f32 (b, n->outputs[0]))
    return FALSE;
  x = ovi_gpu_input (b, n, 0);
  g = ovi_gpu_input (b, n, 1);
  y = ovi_gpu_output (b, n, 0);
  /* An empty picture (H or W 0) has no border to clamp to: the CPU's. */
  if (x->rank != 4 || g->rank != 4 || y->rank != 4 || g->dims[3] != 2
      || x->dims[2] == 0 || x->dims[3] == 0
      || g->dims[0] != x->dims[0] || y->dims[0] != x->dims[0]
      || y->dims[1] != x->dims[1] || y->dims[2] != g->dims[1]
      || y->dims[3] != g->dims[2])
    return FALSE;
  mode = strcmp (mode_s, "nearest") == 0 ? 0
      : strcmp (mode_s, "bicubic") == 0 || strcmp (mode_s, "cubic") == 0
      ? 2 : 1;
  pad = strcmp (pad_s, "border") == 0 ? 1
      : strcmp (pad_s, "reflection") == 0 ? 2 : 0;
  if (ovi_gpu_numel (y) == 0)
    return TRUE;
  l = ovi_gpu_launch (b, "sample", "grid_sample");
  ovi_gpu_arg_value (l, n->inputs[0]);
  ovi_gpu_arg_value (l, n->inputs[1]);
  ovi_gpu_arg_value (l, n->outputs[0]);
  ovi_gpu_arg_int (l, x->dims[1]);
  ovi_gpu_arg_int (l, x->dims[2]);
  ovi_gpu_arg_int (l, x->dims[3]);
  ovi_gpu_arg_int (l, y->dims[2]);
  ovi_gpu_arg_int (l, y->dims[3]);
  ovi_gpu_arg_int (l, mode);
  ovi_gpu_arg_int (l, pad);
  ovi_gpu_arg_int (l, ovi_node_attr_int (n, "align_corners", 0) != 0);
  ovi_gpu_arg_int (l, ovi_gpu_numel (y));
  ovi_gpu_range_1d (l, ovi_gpu_numel (y));
  return TRUE;
}

static gboolean
build_roi_align (OviGpuBuild *b, const OviNode *n)
{
  const OviValue *x, *rois, *bi, *y;
  gboolean half_pixel = b->plan->graph->opset >= 16
      && strcmp (ovi_node_attr_string (n, "coordinate_transformation_mode",
              "half_pixel"), "half_pixel") == 0;
  int64_t ratio = ovi_node_attr_int (n, "sampling_ratio", 0);
  OviGpuLaunch *l;

  if (n->n_inputs != 3 || n->n_outputs != 1 || n->outputs[0] < 0
      || !ovi_gpu_is_f32 (b, n->inputs[0]) || !ovi_gpu_is_f32 (b, n->inputs[1])
      || !ovi_gpu_is_f32 (b, n->outputs[0]))
    return FALSE;
  x = ovi_gpu_input (b, n, 0);
  rois = ovi_gpu_input (b, n, 1);
  bi = ovi_gpu_input (b, n, 2);
  y = ovi_gpu_output (b, n, 0);
  /* The CPU refuses more than 2^16 samples per bin: so does the kernel. */
  if (bi == NULL || bi->dtype != OVI_DTYPE_INT64 || bi->dynamic
      || bi->rank != 1 || x->rank != 4 || rois->rank != 2
      || rois->dims[1] != 4 || bi->dims[0] != rois->dims[0] || y->rank != 4
      || y->dims[0] != rois->dims[0] || y->dims[1] != x->dims[1]
      || x->dims[2] == 0 || x->dims[3] == 0 || ratio > 1 << 16)
    return FALSE;
  if (ovi_gpu_numel (y) == 0)
    return TRUE;
  l = ovi_gpu_launch (b, "sample", "roi_align");
  ovi_gpu_arg_value (l, n->inputs[0]);
  ovi_gpu_arg_value (l, n->inputs[1]);
  ovi_gpu_arg_value (l, n->inputs[2]);
  ovi_gpu_arg_value (l, n->outputs[0]);
  ovi_gpu_arg_int (l, x->dims[0]);
  ovi_gpu_arg_int (l, x->dims[1]);
  ovi_gpu_arg_int (l, x->dims[2]);
  ovi_gpu_arg_int (l, x->dims[3]);
  ovi_gpu_arg_int (l, y->dims[2]);
  ovi_gpu_arg_int (l, y->dims[3]);
  ovi_gpu_arg_float (l, ovi_node_attr_float (n, "spatial_scale", 1.0f));
  ovi_gpu_arg_int (l, MAX (ratio, 0));
  ovi_gpu_arg_int (l, half_pixel);
  ovi_gpu_arg_int (l, strcmp (ovi_node_attr_string (n, "mode", "avg"),
          "max") == 0);
  ovi_gpu_arg_int (l, ovi_gpu_numel (y));
  ovi_gpu_arg_status (l);
  ovi_gpu_range_1d (l, ovi_gpu_numel (y));
  return TRUE;
}

const OviGpuOp ovi_gpu_ops_sample[] = {
  { "GridSample", build_grid_sample },
  { "RoiAlign", build_roi_align },
  { NULL, NULL },
};
