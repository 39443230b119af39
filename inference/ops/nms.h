/* NonMaxSuppression's selection, shared by its shape inference (which
 * only counts, to size the output) and the CPU kernel (which writes the
 * selected indices): one algorithm, so that both always agree. */
#ifndef OVI_OPS_NMS_H
#define OVI_OPS_NMS_H

#include "ops.h"

G_BEGIN_DECLS

/* Called for each selected box, in output order. */
typedef void (*OviNmsEmit) (int64_t batch, int64_t class_index,
    int64_t box, gpointer data);

/* Per batch and class, candidates above the score threshold by decreasing
 * score (lower box index first on ties), each kept unless its IoU with an
 * already kept box exceeds the IoU threshold, at most
 * max_output_boxes_per_class. Reads ctx's inputs (checked by the shape
 * inference); emit may be NULL. Returns the number selected. */
int64_t ovi_nms_select (OviOpCtx *ctx, OviNmsEmit emit, gpointer data);

G_END_DECLS

#endif
