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

/* A region whose body splits work by ovi_thread_id()/ovi_thread_count():
 * OVI_PARALLEL_REGION (work, { body }). Inline, both are 0 and 1. */
#define OVI_PARALLEL_REGION(work, ...) \
  do { \
    if (ovi_parallel_worth (work)) { \
      _Pragma ("omp parallel") \
      __VA_ARGS__ \
    } else { \
      __VA_ARGS__ \
    } \
  } while (0)

static inline int
ovi_thread_id (void)
{
  return omp_in_parallel () ? omp_get_thread_num () : 0;
}

static inline int
ovi_thread_count (void)
{
  return omp_in_parallel () ? omp_get_num_threads () : 1;
}

#endif
