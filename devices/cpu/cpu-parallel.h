/* Parallel loops that allocate nothing.
 *
 * libgomp allocates a team for every *serialized* parallel region: one
 * whose `if` clause is false, one with a single thread (every stream under
 * the THROUGHPUT hint), or one nested in another. Real multi-thread regions
 * reuse a pooled team. So kernels never write `#pragma omp parallel` with
 * an `if`: they use these macros, which enter OpenMP only when it will run
 * on more than one thread and the work is large enough to pay for it, and
 * run the same loop inline otherwise (tests/unit/test-alloc.c checks). */
#ifndef OVI_CPU_PARALLEL_H
#define OVI_CPU_PARALLEL_H

#include <omp.h>

#include <glib.h>

/* Below this many elementary operations a loop runs on one thread. */
#define OVI_PARALLEL_MIN_WORK 32768

static inline gboolean
ovi_parallel_worth (int64_t work)
{
  return work >= OVI_PARALLEL_MIN_WORK && !omp_in_parallel ()
      && omp_get_max_threads () > 1;
}

/* OVI_PARALLEL_FOR (work, for (int64_t i = 0; i < n; i++), { body }) */
#define OVI_PARALLEL_FOR(work, loop, ...) \
  do { \
    if (ovi_parallel_worth (work)) { \
      _Pragma ("omp parallel for schedule(static)") \
      loop __VA_ARGS__ \
    } else { \
      loop __VA_ARGS__ \
    } \
  } while (0)

/* The same with collapse(2) for two perfectly nested loops. */
#define OVI_PARALLEL_FOR2(work, loop1, loop2, ...) \
  do { \
    if (ovi_parallel_worth (work)) { \
      _Pragma ("omp parallel for collapse(2) schedule(static)") \
      loop1 loop2 __VA_ARGS__ \
    } else { \
      loop1 loop2 __VA_ARGS__ \
    } \
  } while (0)

/* A region whose body splits work by thread:
 *   OVI_PARALLEL_REGION (work, tid, nth, { body })
 * declares `tid` and `nth` for the body: this thread's number and the
 * team's size, 0 and 1 when the region runs inline (also when nested in
 * another region, where omp_get_thread_num () would name the outer
 * team's thread). */
#define OVI_PARALLEL_REGION(work, tid, nth, ...) \
  do { \
    if (ovi_parallel_worth (work)) { \
      _Pragma ("omp parallel") \
      { \
        G_GNUC_UNUSED const int tid = omp_get_thread_num (); \
        G_GNUC_UNUSED const int nth = omp_get_num_threads (); \
        __VA_ARGS__ \
      } \
    } else { \
      G_GNUC_UNUSED const int tid = 0; \
      G_GNUC_UNUSED const int nth = 1; \
      __VA_ARGS__ \
    } \
  } while (0)

/* A barrier of an OVI_PARALLEL_REGION's team, only in a real team: an
 * orphaned barrier in a region that runs inline (nested in some caller's
 * parallel region) would bind to that caller's team. */
static inline void
ovi_parallel_barrier (int nth)
{
  if (nth > 1) {
    _Pragma ("omp barrier")
  }
}

/* How many threads a region of this much work would run on. */
static inline int
ovi_parallel_threads (int64_t work)
{
  return ovi_parallel_worth (work) ? omp_get_max_threads () : 1;
}

/* Thread tid's share [*begin, *end) of n items, contiguous, as
 * schedule(static) would split them. */
static inline void
ovi_parallel_slice (int64_t n, int tid, int nth, int64_t *begin,
    int64_t *end)
{
  *begin = n / nth * tid + MIN (tid, n % nth);
  *end = *begin + n / nth + (tid < n % nth);
}

#endif
