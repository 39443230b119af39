/* Pinning the engine's own threads to cores: each stream's worker and its
 * OpenMP team on a fixed, disjoint set of the CPUs the process may use, so
 * that streams do not migrate onto each other's cores and lose their
 * caches. Threads the application owns (the caller of a synchronous
 * inference) are never pinned. Linux only; elsewhere a no-op. */
#ifndef OVI_THREAD_AFFINITY_H
#define OVI_THREAD_AFFINITY_H

#include <glib.h>

G_BEGIN_DECLS

/* Number of CPUs this process may run on (at least 1). */
int ovi_affinity_cpu_count (void);

/* Pins the calling thread to the index-th allowed CPU (modulo their
 * count); FALSE when the system refuses. */
gboolean ovi_affinity_pin_current (int index);

/* Pins the calling thread to allowed CPU first, and the threads of its
 * OpenMP team of `threads` to the following ones. */
void ovi_affinity_pin_team (int first, int threads);

G_END_DECLS

#endif
