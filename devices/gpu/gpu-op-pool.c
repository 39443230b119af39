/* Pooling on the GPU (kernels/pool.cl): 2-D MaxPool without indices,
 * AveragePool, GlobalAveragePool and GlobalMaxPool, float32. */
#include <string.h>

#include "gpu-exec.h"

static gboolean
pair (const OviNode *n, const char *name, int64_t def, int64_t *v)
{
  const int64_t *a;
  int k = ovi_node_attr_ints (n, name, &a);
  v[0] = v[1] = def;
  if (k < 0)
    return TRUE;
  if (k != 2)
    return FALSE;
  v[0] = a[0];
  v[1] = a[1];
  return TRUE;
}

static gboolean
build_pool (OviGpuBuild *b, const OviNode *n)
{
  const OviValue *x, *y;
  gboolean is_max = strcmp (n->op_type, "MaxPool") == 0;
  const char *ap = ovi_node_attr_string (n, "auto_pad", "NOTSET");
  int64_t k[2], s[2], d[2], pb[2] = { 0, 0 }, pe[2] = { 0, 0 };
  const int64_t *pads;
  int np = ovi_node_attr_ints (n, "pads", &pads);
  OviGpuLaunch *l;
  int64_t total;

  if (n->n_inputs != 1 || n->n_outputs != 1 || n->outputs[0] < 0
      || !ovi_gpu_is_f32 (b, n->inputs[0]) || !ovi_gpu_is_f32 (b, n->outputs[0]))
    return FALSE;
  x = ovi_gpu_input (b, n, 0);
  y = ovi_gpu_output (b, n, 0);
  if (x->rank != 4 || !pair (n, "kernel_shape", 1, k) || !pair (n, "strides",
          1, s) || !pair (n, "dilations", 1, d)
      || ovi_node_attr_ints (n, "kernel_shape", &pads) != 2)
    return FALSE;
  np = ovi_node_attr_ints (n, "pads", &pads);
  for (int i = 0; i < 2; i++) {
    if (strcmp (ap, "SAME_UPPER") == 0 || strcmp (ap, "SAME_LOWER") == 0) {
      int64_t t = MAX ((y->dims[i + 2] - 1) * s[i] + (k[i] - 1) * d[i] + 1
          - x->dims[i + 2], 0);
      pb[i] = ap[5] == 'U' ? t / 2 : t - t / 2;
      pe[i] = t - pb[i];
    } else if (strcmp (ap, "VALID") == 0 || np < 0) {
      pb[i] = pe[i] = 0;
    } else if (np == 4 && strcmp (ap, "NOTSET") == 0) {
      pb[i] = pads[i];
      pe[i] = pads[i + 2];
    } else {
      return FALSE;
    }
    if (s[i] <= 0 || d[i] <= 0 || k[i] <= 0)
      return FALSE;
  }
  total = ovi_gpu_numel (y);
  if (total == 0)
    return TRUE;
  l = ovi_gpu_launch (b, "pool", "pool2d");
  ovi_gpu_arg_value (l, n->inputs[0]);
  ovi_gpu_arg_value (l, n->outputs[0]);
  ovi_gpu_arg_int (l, x->dims[2]);
  ovi_gpu_arg_int (l, x->dims[3]);
  ovi_gpu_arg_int (l, y->dims[2]);
  ovi_gpu_arg_int (l, y->dims[3]);
  ovi_gpu_arg_int (l, k[0]);
  ovi_gpu_arg_int (l, k[1]);
  ovi_gpu_arg_int (l, s[0]);
  ovi_gpu_arg_int (l, s[1]);
  ovi_gpu_arg_int (l, pb[0]);
  ovi_gpu_arg_int (l, pb[1]);
  ovi_gpu_arg_int (l, d[0]);
  ovi_gpu_arg_int (l, d[1]);
  ovi_gpu_arg_int (l, pe[0]);
  ovi_gpu_arg_int (l, pe[1]);
  ovi_gpu_arg_int (l, is_max);
  ovi_gpu_arg_int (l, ovi_node_attr_int (n, "count_include_pad", 0) != 0);
  ovi_gpu_arg_int (l, total);
  ovi_gpu_range_1d (l, total);
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
  { NULL, NULL },
};
