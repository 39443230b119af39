/* devices/cpu/cpu-steal.h: every item taken exactly once, in the order
 * documented, and a slow thread's items finished by the others. */
#include <omp.h>

#include <glib.h>

#include "cpu/cpu-steal.h"

/* One thread: its own range ascending, then the others' from their ends,
 * the next part first. */
static void
test_order (void)
{
  OviSteal s;
  int64_t item = -1, expected[] = { 3, 4, 5, 8, 7, 6, 2, 1, 0 };
  gboolean own;

  /* 9 items in 3 parts: [0, 3) [3, 6) [6, 9) */
  ovi_steal_init (&s, 9, 3);
  for (guint k = 0; k < G_N_ELEMENTS (expected); k++) {
    g_assert_true (ovi_steal_next (&s, 1, &item, &own));
    g_assert_cmpint (item, ==, expected[k]);
    g_assert_cmpint (own, ==, k < 3);
    g_assert_cmpint (ovi_steal_has_more (&s, 1), ==, k < 2);
  }
  g_assert_false (ovi_steal_next (&s, 1, &item, &own));
  g_assert_false (ovi_steal_next (&s, 0, &item, &own));
}

/* Uneven and empty ranges: as ovi_parallel_slice splits. */
static void
test_split (void)
{
  OviSteal s;
  int64_t item = -1;
  gboolean own;

  ovi_steal_init (&s, 5, 3);   /* [0, 2) [2, 4) [4, 5) */
  g_assert_true (ovi_steal_own (&s, 2, &item));
  g_assert_cmpint (item, ==, 4);
  g_assert_false (ovi_steal_own (&s, 2, &item));
  g_assert_true (ovi_steal_last (&s, 0, &item));
  g_assert_cmpint (item, ==, 1);
  g_assert_true (ovi_steal_own (&s, 0, &item));
  g_assert_cmpint (item, ==, 0);
  g_assert_false (ovi_steal_last (&s, 0, &item));

  ovi_steal_init (&s, 2, 4);   /* [0, 1) [1, 2) [2, 2) [2, 2) */
  g_assert_false (ovi_steal_own (&s, 3, &item));
  g_assert_true (ovi_steal_next (&s, 3, &item, &own));
  g_assert_false (own);
  g_assert_cmpint (item, ==, 0);
  g_assert_true (ovi_steal_next (&s, 3, &item, &own));
  g_assert_cmpint (item, ==, 1);
  g_assert_false (ovi_steal_next (&s, 3, &item, &own));

  ovi_steal_init (&s, 0, 1);
  g_assert_false (ovi_steal_next (&s, 0, &item, &own));
}

/* A team of `team` threads takes n items shared for `threads`; thread 0
 * sleeps on each of its items when slow. Each item taken once, none by a
 * thread beyond `threads`; returns how many thread 0 took. */
static int team_size;

static int64_t
share (int64_t n, int team, int threads, gboolean slow)
{
  OviSteal s;
  gint *taken = g_new0 (gint, n);
  gint by_first = 0, by_extra = 0;

  ovi_steal_init (&s, n, threads);
#pragma omp parallel num_threads (team)
  {
    int tid = omp_get_thread_num ();
    int64_t item = -1;
    gboolean own;
    if (tid == 0)
      team_size = omp_get_num_threads ();
    while (ovi_steal_next (&s, tid, &item, &own)) {
      g_atomic_int_inc (&taken[item]);
      if (tid >= threads)
        g_atomic_int_inc (&by_extra);
      if (tid == 0) {
        by_first++;
        if (slow)
          g_usleep (2000);
      }
    }
  }
  for (int64_t i = 0; i < n; i++)
    g_assert_cmpint (taken[i], ==, 1);
  g_assert_cmpint (by_extra, ==, 0);
  g_free (taken);
  return by_first;
}

static void
test_threads (void)
{
  share (10000, 4, 4, FALSE);
  share (7, 4, 4, FALSE);
  share (1, 3, 3, FALSE);
  /* a team larger than asked for: the others take nothing */
  share (10000, 8, 3, FALSE);
  /* a smaller team: the parts nobody owns are taken from their ends */
  share (1000, 2, 4, FALSE);
  /* more threads than OVI_STEAL_MAX_PARTS: several owners of one range */
  share (5000, OVI_STEAL_MAX_PARTS + 8, OVI_STEAL_MAX_PARTS + 8, FALSE);
}

/* A slow thread's range is finished by the others: at 2 ms an item its
 * 100 would take 200 ms; the other threads are done in well under 1 ms,
 * then take the rest of its range from the end (only a machine that runs
 * none of them for 200 ms would fail this). */
static void
test_slow_thread (void)
{
  int64_t first = share (400, 4, 4, TRUE);
  if (team_size < 2) {
    g_test_skip ("OpenMP gave one thread");
    return;
  }
  g_assert_cmpint (first, <, 100);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/steal/order", test_order);
  g_test_add_func ("/steal/split", test_split);
  g_test_add_func ("/steal/threads", test_threads);
  g_test_add_func ("/steal/slow-thread", test_slow_thread);
  return g_test_run ();
}
