/* Carving a kernel's scratch block (ctx->scratch) into buffers.
 *
 * A kernel writes one layout function that takes its buffers in order
 * from an OviScratch. Its `scratch` hook runs that layout with no memory
 * (ovi_scratch_begin (s, NULL)) and returns s.used; its run function runs
 * it on ctx's block and calls ovi_scratch_check. The size declared and the
 * memory used therefore always agree. */
#ifndef OVI_CPU_SCRATCH_H
#define OVI_CPU_SCRATCH_H

#include "cpu-parallel.h"
#include "ops/ops.h"

typedef struct {
  guint8 *base;
  gsize size, used;
} OviScratch;

/* ctx NULL: measure only. */
static inline void
ovi_scratch_begin (OviScratch *s, const OviOpCtx *ctx)
{
  s->base = ctx ? ctx->scratch : NULL;
  s->size = ctx ? ctx->scratch_size : 0;
  s->used = 0;
}

/* `slots` pieces (say one per thread) of count (at least one) elements of
 * elem bytes, each OVI_ALIGNMENT-aligned, *stride bytes apart (stride may
 * be NULL); NULL when measuring or when the block is too small
 * (ovi_scratch_check then fails). */
static inline void *
ovi_scratch_take_slots (OviScratch *s, int slots, int64_t count, gsize elem,
    gsize *stride)
{
  gsize bytes = (gsize) MAX (count, 1) * elem, at = s->used;
  gsize row = (bytes + OVI_ALIGNMENT - 1) & ~(gsize) (OVI_ALIGNMENT - 1);
  if (stride)
    *stride = row;
  s->used += row * MAX (slots, 1);
  return s->base != NULL && s->used <= s->size ? s->base + at : NULL;
}

static inline void *
ovi_scratch_take (OviScratch *s, int64_t count, gsize elem)
{
  return ovi_scratch_take_slots (s, 1, count, elem, NULL);
}

/* After a layout: FALSE with an error when the block was too small (a
 * scratch hook that disagrees with its kernel). */
static inline gboolean
ovi_scratch_check (OviOpCtx *ctx, const OviScratch *s, GError **error)
{
  if (s->base != NULL && s->used <= s->size)
    return TRUE;
  ovi_op_error (ctx, error, OVI_ERROR_INVALID, "needs %" G_GSIZE_FORMAT
      " bytes of scratch memory, has %" G_GSIZE_FORMAT, s->used, s->size);
  return FALSE;
}

/* Per-thread buffers for a region of this much work: one for every thread
 * the kernel may use when the region can go parallel, else one. */
static inline int
ovi_scratch_slots (const OviOpCtx *ctx, int64_t work)
{
  return work >= OVI_PARALLEL_MIN_WORK ? MAX (ctx->max_threads, 1) : 1;
}

#endif
