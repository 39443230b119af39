/* Work split between a parallel region's threads that adapts to their
 * speed.
 *
 * A static split (ovi_parallel_slice) gives each thread the same share,
 * and the region lasts as long as its slowest thread. On a shared machine
 * the cores are not equally fast: on the 2-vCPU VM of docs/performance.md
 * one ResNet-50 run had one thread do its half of the 1x1 convolutions in
 * 1.01 s and the other in 1.50 s, the first then waiting a third of the
 * time. Here items start split as ovi_parallel_slice splits them, one
 * contiguous range per part, and each thread takes its own range's items
 * in order (locality, and the kernels' prefetch of the next item stays
 * right); a thread done with its range takes the last item of another
 * part's, so the fast thread finishes the slow one's work.
 *
 * Each part's range is one 64-bit word, first item in the low half and end
 * in the high half, changed by compare-and-swap: the owner moves the first
 * up, a thief moves the end down, and neither can take an item the other
 * took. Nothing is allocated; the state lives on the caller's stack. */
#ifndef OVI_CPU_STEAL_H
#define OVI_CPU_STEAL_H

#include <glib.h>

/* Threads beyond it share parts (every change is a compare-and-swap). */
#define OVI_STEAL_MAX_PARTS 32

/* A cache line each, and the first not shared with the caller's other
 * locals: the owners' updates do not contend with anything the threads
 * read. */
typedef struct {
  struct {
    guint64 range;
    guint8 pad[56];
  } part[OVI_STEAL_MAX_PARTS];
  int parts, threads;
} __attribute__((aligned (64))) OviSteal;

/* Before the parallel region: n items (fewer than 2^32: they count
 * blocks of a tensor's elements) for `threads` threads, a part each (up
 * to OVI_STEAL_MAX_PARTS; thread t then owns part t % parts), part p
 * owning what ovi_parallel_slice (n, p, parts) would give it. */
static inline void
ovi_steal_init (OviSteal *s, int64_t n, int threads)
{
  int parts = MIN (MAX (threads, 1), OVI_STEAL_MAX_PARTS);
  s->parts = parts;
  s->threads = MAX (threads, 1);
  for (int p = 0; p < parts; p++) {
    guint64 lo = (guint64) (n / parts * p + MIN (p, n % parts));
    guint64 hi = lo + (guint64) (n / parts + (p < n % parts));
    s->part[p].range = lo | hi << 32;
  }
}

/* Part p's first item (its owner's next) or, with `last`, its last one
 * (for another thread); FALSE when its range is empty. */
static inline gboolean
ovi_steal_take (OviSteal *s, int p, gboolean last, int64_t *item)
{
  guint64 r = __atomic_load_n (&s->part[p].range, __ATOMIC_ACQUIRE);
  for (;;) {
    guint64 lo = r & G_MAXUINT32, hi = r >> 32;
    guint64 rest = last ? lo | (hi - 1) << 32 : (lo + 1) | hi << 32;
    if (lo >= hi)
      return FALSE;
    if (__atomic_compare_exchange_n (&s->part[p].range, &r, rest, FALSE,
            __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
      *item = (int64_t) (last ? hi - 1 : lo);
      return TRUE;
    }
  }
}

static inline gboolean
ovi_steal_own (OviSteal *s, int p, int64_t *item)
{
  return ovi_steal_take (s, p, FALSE, item);
}

static inline gboolean
ovi_steal_last (OviSteal *s, int p, int64_t *item)
{
  return ovi_steal_take (s, p, TRUE, item);
}

/* The next item for thread tid: its part's next, else one taken from the
 * other parts, the next part first. *own says which (an owner's next
 * item follows this one: what to prefetch). FALSE when every range is
 * empty, and always for a thread of a team larger than `threads`. */
static inline gboolean
ovi_steal_next (OviSteal *s, int tid, int64_t *item, gboolean *own)
{
  int self = tid % s->parts;
  *own = FALSE;
  if (tid >= s->threads)
    return FALSE;
  *own = ovi_steal_own (s, self, item);
  if (*own)
    return TRUE;
  for (int i = 1; i < s->parts; i++)
    if (ovi_steal_last (s, (self + i) % s->parts, item))
      return TRUE;
  return FALSE;
}

/* Whether thread tid's part has items left after the one just taken. */
static inline gboolean
ovi_steal_has_more (OviSteal *s, int tid)
{
  guint64 r = __atomic_load_n (&s->part[tid % s->parts].range,
      __ATOMIC_RELAXED);
  return (r & G_MAXUINT32) < (r >> 32);
}

#endif
