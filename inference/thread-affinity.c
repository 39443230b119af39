/* See thread-affinity.h. */
#include <omp.h>

#ifdef __linux__
#include <pthread.h>
#include <unistd.h>
#include <sched.h>
#endif

#include "thread-affinity.h"

#ifdef __linux__
/* The process's CPUs, read once from the main thread's mask: a thread
 * already pinned would see only its own CPU. */
static const cpu_set_t *
process_cpus (void)
{
  static gsize once = 0;
  static cpu_set_t allowed;
  if (g_once_init_enter (&once)) {
    if (sched_getaffinity (getpid (), sizeof (allowed), &allowed) != 0)
      CPU_ZERO (&allowed);
    g_once_init_leave (&once, 1);
  }
  return &allowed;
}
#endif

int
ovi_affinity_cpu_count (void)
{
#ifdef __linux__
  if (CPU_COUNT (process_cpus ()) > 0)
    return CPU_COUNT (process_cpus ());
#endif
  return MAX (omp_get_num_procs (), 1);
}

gboolean
ovi_affinity_pin_current (int index)
{
#ifdef __linux__
  const cpu_set_t *allowed = process_cpus ();
  cpu_set_t one;
  int count = 0, n, cpu = -1;

  if (CPU_COUNT (allowed) == 0)
    return FALSE;
  n = index % CPU_COUNT (allowed);
  for (int c = 0; c < CPU_SETSIZE && cpu < 0; c++)
    if (CPU_ISSET (c, allowed) && count++ == n)
      cpu = c;
  CPU_ZERO (&one);
  CPU_SET (cpu, &one);
  return pthread_setaffinity_np (pthread_self (), sizeof (one), &one) == 0;
#else
  (void) index;
  return FALSE;
#endif
}

void
ovi_affinity_pin_team (int first, int threads)
{
  ovi_affinity_pin_current (first);
  if (threads <= 1)
    return;
  /* Once per worker thread, at its start: libgomp keeps this team's
   * threads for the worker's later regions, pinned. */
#pragma omp parallel num_threads (threads)
  {
    if (omp_get_thread_num () > 0)
      ovi_affinity_pin_current (first + omp_get_thread_num ());
  }
}
