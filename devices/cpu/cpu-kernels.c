/* The CPU kernel table: every group, looked up by op name. */
#include <omp.h>
#include <string.h>

#include "cpu-ops.h"

static const OviCpuKernel *const groups[] = {
  ovi_cpu_elementwise,
  ovi_cpu_shape,
  ovi_cpu_conv,
  ovi_cpu_matmul,
  ovi_cpu_einsum,
  ovi_cpu_pool,
  ovi_cpu_norm,
  ovi_cpu_reduce,
  ovi_cpu_index,
  ovi_cpu_misc,
  ovi_cpu_quant,
  ovi_cpu_layout,
  ovi_cpu_pointwise_depthwise,
};

static const OviCpuKernel *find_object_kernel (const char *op_type);

static GHashTable *
build_table (void)
{
  GHashTable *table = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint g = 0; g < G_N_ELEMENTS (groups); g++)
    for (const OviCpuKernel *k = groups[g]; k->name; k++)
      g_hash_table_insert (table, (gpointer) k->name, (gpointer) k);
  return table;
}

const OviCpuKernel *
ovi_cpu_kernel_find (const char *domain, const char *op_type)
{
  static gsize init = 0;
  static GHashTable *table;
  if (g_once_init_enter (&init)) {
    table = build_table ();
    g_once_init_leave (&init, 1);
  }
  if (domain && domain[0] && strcmp (domain, "ai.onnx") != 0)
    return NULL;
  if (!g_hash_table_contains (table, op_type))
    return find_object_kernel (op_type);
  return g_hash_table_lookup (table, op_type);
}

static const OviCpuKernel *const object_groups[] = {
  ovi_cpu_sequence,
  ovi_cpu_string,
};

static const OviCpuKernel *
find_object_kernel (const char *op_type)
{
  static gsize init = 0;
  static GHashTable *table;
  if (g_once_init_enter (&init)) {
    table = g_hash_table_new (g_str_hash, g_str_equal);
    for (guint g = 0; g < G_N_ELEMENTS (object_groups); g++)
      for (const OviCpuKernel *k = object_groups[g]; k->name; k++)
        g_hash_table_insert (table, (gpointer) k->name, (gpointer) k);
    g_once_init_leave (&init, 1);
  }
  return g_hash_table_lookup (table, op_type);
}

const OviCpuKernel *
ovi_cpu_kernel_find_for (const OviNode *node, OviTensor *const *inputs,
    int n_inputs)
{
  if (node->domain && node->domain[0]
      && strcmp (node->domain, "ai.onnx") != 0)
    return NULL;
  if (ovi_op_object_type (node, inputs, n_inputs) != OVI_DTYPE_UNDEFINED)
    return find_object_kernel (node->op_type);
  return ovi_cpu_kernel_find (node->domain, node->op_type);
}

gboolean
ovi_cpu_kernel_run_once (const OviCpuKernel *k, OviOpCtx *ctx,
    OviTensor *buffer, GError **error)
{
  OviTensor temporary = { 0 };
  gboolean ok = FALSE;

  if (ctx->max_threads <= 0)
    ctx->max_threads = omp_get_max_threads ();
  ctx->state = NULL;
  ctx->scratch = NULL;
  ctx->scratch_size = 0;
  if (k->prepare && !k->prepare (ctx, error))
    return FALSE;
  if (k->scratch) {
    int64_t size = (int64_t) k->scratch (ctx);
    OviTensor *t = buffer ? buffer : &temporary;
    if (size > 0 && !ovi_tensor_ensure (t, OVI_DTYPE_UINT8, 1, &size)) {
      g_set_error (error, OVI_ERROR, OVI_ERROR_INVALID,
          "%s: node '%s' (%s): cannot allocate %" G_GINT64_FORMAT
          " bytes of scratch memory", ctx->source, ctx->node->name,
          ctx->node->op_type, size);
      goto out;
    }
    ctx->scratch = size > 0 ? t->data : NULL;
    ctx->scratch_size = size;
  }
  ok = k->run (ctx, error);
out:
  if (k->release)
    k->release (ctx->state);
  ctx->state = NULL;
  ovi_tensor_clear (&temporary);
  return ok;
}
