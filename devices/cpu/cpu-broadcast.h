/* Walks an output tensor in rows while tracking the matching offsets of
 * broadcast inputs. Adjacent dimensions that every input traverses the
 * same way are merged first, so plain and bias-like cases get long rows. */
#ifndef OVI_CPU_BROADCAST_H
#define OVI_CPU_BROADCAST_H

#include "tensor.h"

G_BEGIN_DECLS

#define OVI_BROADCAST_MAX_INPUTS 4

/* One row: `count` output elements from out_offset; input i starts at
 * in_offset[i] and advances by in_step[i] (0 or 1, or more after
 * merging) per element. */
typedef void (*OviBroadcastRow) (gpointer user, const int64_t *in_offset,
    const int64_t *in_step, int64_t out_offset, int64_t count);

void ovi_broadcast_run (const OviTensor *out, int n_inputs,
    const OviTensor *const *inputs, OviBroadcastRow row, gpointer user);

/* Copies `in` into `out`, repeating it along broadcast dimensions (same
 * element type). */
void ovi_broadcast_copy (const OviTensor *in, OviTensor *out);

G_END_DECLS

#endif
