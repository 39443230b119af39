/* Pooling on the GPU (kernels/pool.cl): 1-D, 2-D and 3-D MaxPool
 * without indices, AveragePool and LpPool (1-D as 2-D of height 1),
 * GlobalAveragePool, GlobalMaxPool and GlobalLpPool, float32. */
#include <string.h>

#include "gpu-exec.h"

/* The window geometry pool2d and maxpool2d_indices take, in this order:
 * H, W, OH, OW, KH, KW, sh, sw, ph, pw, dh, dw. */
static void
window_args (OviGpuLaunch *l, const OviValue *x, const OviValue *y,
    const int64_t *k, const int64_t *s, const int64_t *pb, const int64_t *d)
{
  ovi_gpu_arg_int (l, x->dims[2]);
  ovi_gpu_arg_int (l, x->dims[3]);
  ovi_gpu_arg_int (l, y->dims[2]);
  ovi_gpu_arg_int (l, y->dims[3]);
  for (int i = 0; i < 2; i++)
    ovi_gpu_arg_int (l, k[i]);
  for (int i = 0; i < 2; i++)
    ovi_gpu_arg_int (l, s[i]);
  for (int i = 0; i < 2; i++)
    ovi_gpu_arg_int (l, pb[i]);
  for (int i = 0; i < 2; i++)
    ovi_gpu_arg_int (l, d[i]);
}

/* The leading and trailing pads (pb, pe) of `axes` spatial axes from
 * auto_pad, or from p (begins then ends) when NOTSET; FALSE for another
 * auto_pad or a kernel size, stride or dilation below 1. */
static gboolean
window_pads (const OviNode *n, const OviValue *x, const OviValue *y,
    int axes, const int64_t *k, const int64_t *s, const int64_t *d,
    const int64_t *p, int64_t *pb, int64_t *pe)
{
  const char *ap = ovi_node_attr_string (n, "auto_pad", "NOTSET");
  for (int i = 0; i < axes; i++) {
    if (strcmp (ap, "SAME_UPPER") == 0 || strcmp (ap, "SAME_LOWER") == 0) {
      int64_t t = MAX ((y->dims[i + 2] - 1) * s[i] + (k[i] - 1) * d[i] + 1
          - x->dims[i + 2], 0);
      pb[i] = ap[5] == 'U' ? t / 2 : t - t / 2;
      pe[i] = t - pb[i];
    } else if (strcmp (ap, "VALID") == 0) {
      pb[i] = pe[i] = 0;
    } else if (strcmp (ap, "NOTSET") == 0) {
      pb[i] = p[i];
      pe[i] = p[i + axes];
    } else {
      return FALSE;
    }
    if (s[i] <= 0 || d[i] <= 0 || k[i] <= 0)
      return FALSE;
  }
  return TRUE;
}

static gboolean
build_pool (OviGpuBuild *b, const OviNode *n)
{
  const OviValue *x, *y;
  OviValue x2, y2;
  /* pool.cl's kinds: 0 average, 1 max, 2 Lp. */
  int kind = strcmp (n->op_type, "MaxPool") == 0 ? 1
      : strcmp (n->op_type, "LpPool") == 0 ? 2 : 0;
  int64_t k[2], s[2], d[2], p[4], pb[2], pe[2];
  const int64_t *ks;
  int spatial, ind;
  OviGpuLaunch *l;
  int64_t total;

  if (n->n_inputs != 1 || n->n_outputs < 1 || n->outputs[0] < 0
      || !ovi_gpu_is_f32 (b, n->inputs[0])
      || !ovi_gpu_is_f32 (b, n->outputs[0]))
    return FALSE;
  /* MaxPool's Indices output, when asked for. */
  ind = n->n_outputs > 1 ? n->outputs[1] : -1;
  if (n->n_outputs > 2 || (ind >= 0 && (kind != 1
              || !ovi_gpu_is_plain (b, ind)
              || ovi_gpu_value (b, ind)->dtype != OVI_DTYPE_INT64)))
    return FALSE;
  x = ovi_gpu_input (b, n, 0);
  y = ovi_gpu_output (b, n, 0);
  spatial = x->rank - 2;
  if (!ovi_gpu_as_2d (x, &x2) || !ovi_gpu_as_2d (y, &y2)
      || ovi_node_attr_ints (n, "kernel_shape", &ks) != spatial
      || !ovi_gpu_spatial_ints (n, "kernel_shape", spatial, 1, k)
      || !ovi_gpu_spatial_ints (n, "strides", spatial, 1, s)
      || !ovi_gpu_spatial_ints (n, "dilations", spatial, 1, d)
      || !ovi_gpu_spatial_pads (n, spatial, p))
    return FALSE;
  x = &x2;
  y = &y2;
  if (!window_pads (n, x, y, 2, k, s, d, p, pb, pe))
    return FALSE;
  total = ovi_gpu_numel (y);
  if (total == 0)
    return TRUE;
  if (ind >= 0) {
    l = ovi_gpu_launch (b, "pool", "maxpool2d_indices");
    ovi_gpu_arg_value (l, n->inputs[0]);
    ovi_gpu_arg_value (l, n->outputs[0]);
    ovi_gpu_arg_value (l, ind);
    window_args (l, x, y, k, s, pb, d);
    ovi_gpu_arg_int (l, ovi_node_attr_int (n, "storage_order", 0) != 0);
    ovi_gpu_arg_int (l, total);
    ovi_gpu_range_1d (l, total);
    return TRUE;
  }
  l = ovi_gpu_launch (b, "pool", "pool2d");
  ovi_gpu_arg_value (l, n->inputs[0]);
  ovi_gpu_arg_value (l, n->outputs[0]);
  window_args (l, x, y, k, s, pb, d);
  ovi_gpu_arg_int (l, pe[0]);
  ovi_gpu_arg_int (l, pe[1]);
  ovi_gpu_arg_int (l, kind);
  ovi_gpu_arg_int (l, ovi_node_attr_int (n, "count_include_pad", 0) != 0);
  ovi_gpu_arg_int (l, total);
  ovi_gpu_arg_float (l, ovi_node_attr_float (n, "p", 2));
  ovi_gpu_range_1d (l, total);
  return TRUE;
}

/* 3-D MaxPool (with its Indices output: maxpool3d_indices), AveragePool
 * and LpPool (pool3d). */
static gboolean
build_pool_3d (OviGpuBuild *b, const OviNode *n)
{
  int kind = strcmp (n->op_type, "MaxPool") == 0 ? 1
      : strcmp (n->op_type, "LpPool") == 0 ? 2 : 0;
  const OviValue *x, *y;
  int64_t k[3], s[3], d[3], p[6], pb[3], pe[3];
  int geo[21], ind = n->n_outputs > 1 ? n->outputs[1] : -1;
  const int64_t *ks;
  OviGpuLaunch *l;

  if (n->n_inputs != 1 || n->n_outputs < 1 || n->n_outputs > 2
      || n->outputs[0] < 0 || !ovi_gpu_is_f32 (b, n->inputs[0])
      || !ovi_gpu_is_f32 (b, n->outputs[0])
      || (ind >= 0 && (kind != 1 || !ovi_gpu_is_plain (b, ind)
              || ovi_gpu_value (b, ind)->dtype != OVI_DTYPE_INT64)))
    return FALSE;
  x = ovi_gpu_input (b, n, 0);
  y = ovi_gpu_output (b, n, 0);
  if (x->rank != 5 || y->rank != 5
      || ovi_node_attr_ints (n, "kernel_shape", &ks) != 3
      || !ovi_gpu_attr_ints (n, "kernel_shape", 3, 1, k)
      || !ovi_gpu_attr_ints (n, "strides", 3, 1, s)
      || !ovi_gpu_attr_ints (n, "dilations", 3, 1, d)
      || !ovi_gpu_attr_ints (n, "pads", 6, 0, p))
    return FALSE;
  if (!window_pads (n, x, y, 3, k, s, d, p, pb, pe))
    return FALSE;
  for (int a = 0; a < 3; a++) {
    geo[a] = (int) x->dims[a + 2];
    geo[3 + a] = (int) y->dims[a + 2];
    geo[6 + a] = (int) k[a];
    geo[9 + a] = (int) s[a];
    geo[12 + a] = (int) pb[a];
    geo[15 + a] = (int) d[a];
    geo[18 + a] = (int) pe[a];
  }
  if (ovi_gpu_numel (y) == 0)
    return TRUE;
  if (ind >= 0) {
    l = ovi_gpu_launch (b, "pool", "maxpool3d_indices");
    ovi_gpu_arg_value (l, n->inputs[0]);
    ovi_gpu_arg_value (l, n->outputs[0]);
    ovi_gpu_arg_value (l, ind);
    ovi_gpu_arg_ints (b, l, geo, 21);
    ovi_gpu_arg_int (l, ovi_node_attr_int (n, "storage_order", 0) != 0);
    ovi_gpu_arg_int (l, ovi_gpu_numel (y));
    ovi_gpu_range_1d (l, ovi_gpu_numel (y));
    return TRUE;
  }
  l = ovi_gpu_launch (b, "pool", "pool3d");
  ovi_gpu_arg_value (l, n->inputs[0]);
  ovi_gpu_arg_value (l, n->outputs[0]);
  ovi_gpu_arg_ints (b, l, geo, 21);
  ovi_gpu_arg_int (l, kind);
  ovi_gpu_arg_int (l, ovi_node_attr_int (n, "count_include_pad", 0) != 0);
  ovi_gpu_arg_int (l, ovi_gpu_numel (y));
  ovi_gpu_arg_float (l, ovi_node_attr_float (n, "p", 2));
  ovi_gpu_range_1d (l, ovi_gpu_numel (y));
  return TRUE;
}

static gboolean
build_global_pool (OviGpuBuild *b, const OviNode *n)
{
  const OviValue *x;
  int64_t planes, size;
  OviGpuLaunch *l;
  if (n->n_inputs != 1 || n->n_outputs != 1 || n->outputs[0] < 0
      || !ovi_gpu_is_f32 (b, n->inputs[0]) || !ovi_gpu_is_f32 (b, n->outputs[0]))
    return FALSE;
  x = ovi_gpu_input (b, n, 0);
  if (x->rank < 3)
    return FALSE;
  planes = x->dims[0] * x->dims[1];
  size = planes > 0 ? ovi_gpu_numel (x) / planes : 0;
  if (planes == 0 || size == 0)
    return FALSE;
  l = ovi_gpu_launch (b, "pool", "global_pool");
  ovi_gpu_arg_value (l, n->inputs[0]);
  ovi_gpu_arg_value (l, n->outputs[0]);
  ovi_gpu_arg_int (l, size);
  ovi_gpu_arg_int (l, strcmp (n->op_type, "GlobalMaxPool") == 0);
  ovi_gpu_arg_int (l, strcmp (n->op_type, "GlobalLpPool") == 0);
  ovi_gpu_arg_float (l, ovi_node_attr_float (n, "p", 2));
  {
    /* One work group of 64 (the kernel's POOL_WG) per plane. */
    size_t global = (size_t) planes * 64, local = 64;
    ovi_gpu_range (l, 1, &global, &local);
  }
  return TRUE;
}

const OviGpuOp ovi_gpu_ops_pool[] = {
  { "MaxPool", build_pool },
  { "AveragePool", build_pool },
  { "GlobalAveragePool", build_global_pool },
  { "GlobalMaxPool", build_global_pool },
  { "LpPool", build_pool },
  { "MaxPool", build_pool_3d },
  { "AveragePool", build_pool_3d },
  { "LpPool", build_pool_3d },
  { "GlobalLpPool", build_global_pool },
  { NULL, NULL },
};
