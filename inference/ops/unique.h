/* Unique's ordering, shared by its shape inference (which counts the
 * distinct items to size the outputs) and the CPU kernel (which writes
 * them): items are the elements (no axis) or the slices along the axis,
 * compared lexicographically; NaN sorts last and equals NaN; ties keep
 * positions, so that each run of equal items starts at its first
 * occurrence. */
#ifndef OVI_OPS_UNIQUE_H
#define OVI_OPS_UNIQUE_H

#include "ops.h"

G_BEGIN_DECLS

typedef struct {
  OviDType dt;
  const void *data;
  int64_t outer, n, inner;    /* n items of outer x inner elements */
  gboolean is_float, u;
} OviUniqueCmp;

/* Sets c up for x along axis (-1: elements) and fills order (c->n
 * entries) with the item indices in sorted order. */
void ovi_unique_sort (const OviTensor *x, int axis, OviUniqueCmp *c,
    int64_t *order);

/* <0, 0, >0 as item a sorts before, with, or after item b. */
int ovi_unique_cmp_items (const OviUniqueCmp *c, int64_t a, int64_t b);

/* Items in x along axis: the n that ovi_unique_sort will set. */
int64_t ovi_unique_items (const OviTensor *x, int axis);

G_END_DECLS

#endif
