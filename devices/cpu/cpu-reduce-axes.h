/* The axes a Reduce* node reduces, read exactly as the CPU kernel reads
 * them (devices/cpu/op-reduce.c), for the GPU device's builder. */
#ifndef OVI_CPU_REDUCE_AXES_H
#define OVI_CPU_REDUCE_AXES_H

#include "ops/ops.h"

G_BEGIN_DECLS

/* mask[d] for each of the input's `rank` axes: reduced or not. From the
 * `axes` attribute, else input 1 (its data), else all axes; *noop when
 * the axes are empty and noop_with_empty_axes is set (mask then unused).
 * FALSE with an error for axes out of range. */
gboolean ovi_reduce_axes (OviOpCtx *ctx, int rank, gboolean *mask,
    gboolean *noop, GError **error);

G_END_DECLS

#endif
