/* Einsum's loop plan, shared by the CPU kernel (op-einsum.c) and the GPU
 * device, which runs the same loops in a kernel: the equation parsed
 * against the inputs' shapes into loop axes (output axes first, then the
 * summed ones) with each operand's element stride along each. */
#ifndef OVI_CPU_EINSUM_PLAN_H
#define OVI_CPU_EINSUM_PLAN_H

#include "ops/ops.h"

G_BEGIN_DECLS

/* Labels: 0..51 for letters (upper case first, as ASCII sorts them),
 * 52.. for the broadcast axes "..." stands for. */
#define EIN_LETTERS 52
#define EIN_MAX_LABELS (EIN_LETTERS + OVI_MAX_RANK)

typedef struct {
  int n_ops;
  int n_labels;                      /* used labels, output ones first */
  int label[EIN_MAX_LABELS];         /* label id of each loop axis */
  int64_t size[EIN_MAX_LABELS];      /* per loop axis */
  int n_out;                         /* loop axes that are output axes */
  int64_t *stride;                   /* n_ops x n_labels, element strides */
  guint8 *count;                     /* n_ops x n_labels, occurrences */
} EinPlan;

/* Parses the equation (validated by infer) against the inputs' shapes
 * (their data is not read). FALSE when it does not parse. */
gboolean ovi_einsum_plan (OviOpCtx *ctx, EinPlan *p);
void ovi_einsum_plan_clear (EinPlan *p);

G_END_DECLS

#endif
