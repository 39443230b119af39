/* Post-ops of fused nodes (see inference/passes/fuse-postops.c): a residual
 * sum, then an activation, applied to an output tile while it is in cache. */
#ifndef OVI_CPU_POSTOPS_H
#define OVI_CPU_POSTOPS_H

#include "graph.h"

G_BEGIN_DECLS

typedef enum {
  OVI_ACT_NONE, OVI_ACT_RELU, OVI_ACT_CLIP, OVI_ACT_SIGMOID,
  OVI_ACT_HARDSWISH, OVI_ACT_HARDSIGMOID, OVI_ACT_LEAKYRELU, OVI_ACT_TANH,
  OVI_ACT_ELU, OVI_ACT_GELU, OVI_ACT_SWISH,
} OviActivation;

typedef struct {
  OviActivation activation;
  float alpha, beta;
  gboolean sum;       /* add the node's input 3 first */
} OviPostOps;

void ovi_postops_from_node (const OviNode *node, OviPostOps *ops);
/* An activation under other attribute names (a fused node's second
 * set), without a residual. */
void ovi_postops_from_attrs (const OviNode *node, const char *activation,
    const char *alpha, const char *beta, OviPostOps *ops);
gboolean ovi_postops_any (const OviPostOps *ops);
/* y[i] = act(y[i] + residual[i]) over n floats; residual NULL when !sum. */
void ovi_postops_apply (const OviPostOps *ops, float *y,
    const float *residual, int64_t n);

G_END_DECLS

#endif
