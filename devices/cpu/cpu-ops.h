/* CPU kernels: the compute half of each op, one group per file
 * (op-*.c), each file exporting a table ending with {NULL}.
 *
 * A kernel runs with every input's data present and every output already
 * shaped and backed by memory (the planner's arena or a dynamic buffer).
 * It returns FALSE with an error only for conditions the shape inference
 * could not see (data-dependent failures, e.g. an index out of range). */
#ifndef OVI_CPU_OPS_H
#define OVI_CPU_OPS_H

#include "ops/ops.h"

G_BEGIN_DECLS

typedef gboolean (*OviCpuRunFunc) (OviOpCtx *ctx, GError **error);

typedef struct {
  const char *name;
  OviCpuRunFunc run;
  /* Optional: builds per-node state once shapes are known (weights
   * reordered, primitives created); stored in ctx->state. */
  gboolean (*prepare) (OviOpCtx *ctx, GError **error);
  void (*release) (gpointer state);
  /* Optional: bytes of temporary memory run needs for these shapes with
   * up to ctx->max_threads threads (packing buffers, per-thread rows).
   * The planner places it in the arena; run finds it in ctx->scratch,
   * OVI_ALIGNMENT-aligned. Called once shapes are known. */
  gsize (*scratch) (OviOpCtx *ctx);
} OviCpuKernel;

const OviCpuKernel *ovi_cpu_kernel_find (const char *domain,
    const char *op_type);

/* Runs a kernel outside a plan (constant folding, dynamic steps): prepare,
 * scratch, run, release. Scratch memory comes from `buffer`, grown as
 * needed and kept for the next call, or when NULL is allocated for this
 * call only. ctx->max_threads 0 means every thread OpenMP would use. */
gboolean ovi_cpu_kernel_run_once (const OviCpuKernel *kernel, OviOpCtx *ctx,
    OviTensor *buffer, GError **error);
/* The kernel for a node given its inputs' types, by the rule of
 * ovi_op_find_for: string and sequence values only reach the kernels of
 * the object tables (ovi_cpu_sequence, ovi_cpu_string). */
const OviCpuKernel *ovi_cpu_kernel_find_for (const OviNode *node,
    OviTensor *const *inputs, int n_inputs);

/* Pad's leading pad per axis from its attribute (opset < 11) or its pads
 * and axes inputs, whose data must be present; FALSE when malformed. The
 * GPU device builds its Pad with it. */
gboolean ovi_cpu_pad_begins (OviOpCtx *ctx, int rank, int64_t *begin);

/* Conv's (transpose FALSE) or ConvTranspose's leading pad per spatial
 * axis, as the CPU kernels place the output (from pads, or auto_pad and
 * output_shape with the shapes): the GPU device builds with it. */
void ovi_cpu_conv_pads (OviOpCtx *ctx, gboolean transpose,
    int64_t *begin);

extern const OviCpuKernel ovi_cpu_elementwise[];
extern const OviCpuKernel ovi_cpu_shape[];
extern const OviCpuKernel ovi_cpu_conv[];
extern const OviCpuKernel ovi_cpu_matmul[];
extern const OviCpuKernel ovi_cpu_einsum[];
extern const OviCpuKernel ovi_cpu_pool[];
extern const OviCpuKernel ovi_cpu_norm[];
extern const OviCpuKernel ovi_cpu_reduce[];
extern const OviCpuKernel ovi_cpu_index[];
extern const OviCpuKernel ovi_cpu_misc[];
extern const OviCpuKernel ovi_cpu_quant[];
extern const OviCpuKernel ovi_cpu_layout[];
extern const OviCpuKernel ovi_cpu_pointwise_depthwise[];
/* Object tables. */
extern const OviCpuKernel ovi_cpu_sequence[];
extern const OviCpuKernel ovi_cpu_string[];

G_END_DECLS

#endif
