/* The float32 GEMM against a double reference: plain and transposed
 * operands, C stored transposed (tc), pre-packed operands (panels, and
 * the row-vector panels of single-row products), beta, an epilogue that
 * sees C's coordinates, one and two threads, sizes around the
 * micro-kernel's 6x16 tile and the row-vector panel's 32 columns. */
#include <math.h>
#include <string.h>

#include <glib.h>

#include "tensor.h"
#include "cpu/cpu-sgemm.h"

/* The stored matrix: m x n, or n x m when C is stored transposed. */
typedef struct {
  int64_t rows, cols;
  int calls;
  gboolean *seen;
} EpiCheck;

/* Marks each stored element once and adds 1 + its stored row, as a bias
 * would. */
static void
epilogue (gpointer data, float *c, int64_t ldc, int64_t i0, int64_t j0,
    int64_t rows, int64_t cols)
{
  EpiCheck *e = data;
  e->calls++;
  for (int64_t i = 0; i < rows; i++)
    for (int64_t j = 0; j < cols; j++) {
      g_assert_false (e->seen[(i0 + i) * e->cols + j0 + j]);
      e->seen[(i0 + i) * e->cols + j0 + j] = TRUE;
      c[i * ldc + j] += 1 + i0 + i;
    }
}

/* How check () passes B. */
enum { PLAIN, PANELS, ROWS };

static void
check (int64_t m, int64_t n, int64_t k, gboolean ta, gboolean tb,
    gboolean tc, int packed, float beta, int threads)
{
  GRand *rand = g_rand_new_with_seed (m * 1000 + n * 10 + k);
  float *a = g_new (float, m * k), *b = g_new (float, k * n);
  float *c = g_new (float, m * n), *c0 = g_new (float, m * n);
  float *pb = packed == PANELS
      ? ovi_aligned_alloc (ovi_sgemm_packed_b_size (k, n)) : packed == ROWS
      ? ovi_aligned_alloc (ovi_sgemm_packed_b_rows_size (k, n)) : NULL;
  void *scratch = ovi_aligned_alloc (ovi_sgemm_scratch_size (m, n, k,
          threads, packed ? OVI_SGEMM_PACKED_B : 0) + 64);
  EpiCheck e = { tc ? n : m, tc ? m : n, 0, g_new0 (gboolean, m * n) };
  /* C's storage: m x n row-major, or n x m when transposed */
  int64_t ldc = tc ? m : n;
  OviSgemm g = { .ta = ta, .tb = tb, .m = m, .n = n, .k = k, .alpha = 1.0f,
    .beta = beta, .a = a, .lda = ta ? m : k, .b = b, .ldb = tb ? k : n,
    .c = c, .ldc = ldc, .tc = tc, .epilogue = epilogue,
    .epilogue_data = &e };

  for (int64_t i = 0; i < m * k; i++)
    a[i] = g_rand_double_range (rand, -1, 1);
  for (int64_t i = 0; i < k * n; i++)
    b[i] = g_rand_double_range (rand, -1, 1);
  for (int64_t i = 0; i < m * n; i++)
    c[i] = c0[i] = g_rand_double_range (rand, -1, 1);
  if (packed == PANELS) {
    ovi_sgemm_pack_b (tb, k, n, b, g.ldb, pb);
    g.packed_b = pb;
  } else if (packed == ROWS) {
    ovi_sgemm_pack_b_rows (tb, k, n, b, g.ldb, pb);
    g.packed_b_rows = pb;
  }
  {
    /* A packed B must be all the run reads of B: the plain one is
     * NaN meanwhile. */
    float *b_kept = g_memdup2 (b, sizeof (float) * k * n);
    if (packed)
      for (int64_t i = 0; i < k * n; i++)
        b[i] = NAN;
    ovi_sgemm_run (&g, scratch, threads);
    memcpy (b, b_kept, sizeof (float) * k * n);
    g_free (b_kept);
  }
  for (int64_t i = 0; i < m; i++)
    for (int64_t j = 0; j < n; j++) {
      double want = 0;
      float got = tc ? c[j * ldc + i] : c[i * ldc + j];
      float old = tc ? c0[j * ldc + i] : c0[i * ldc + j];
      for (int64_t kk = 0; kk < k; kk++)
        want += (double) (ta ? a[kk * m + i] : a[i * k + kk])
            * (tb ? b[j * k + kk] : b[kk * n + j]);
      want += beta * old + 1 + (tc ? j : i);
      g_assert_cmpfloat (fabs (got - want), <, 1e-4 * sqrt ((double) k + 1));
      g_assert_true (e.seen[tc ? j * m + i : i * n + j]);
    }
  g_assert_cmpint (e.calls, >, 0);
  g_free (a);
  g_free (b);
  g_free (c);
  g_free (c0);
  g_free (e.seen);
  ovi_aligned_free (pb);
  ovi_aligned_free (scratch);
  g_rand_free (rand);
}

static void
test_plain (void)
{
  for (int threads = 1; threads <= 2; threads++) {
    check (7, 17, 5, FALSE, FALSE, FALSE, PLAIN, 0, threads);
    check (64, 49, 300, FALSE, FALSE, FALSE, PANELS, 0, threads);
    check (13, 35, 40, TRUE, TRUE, FALSE, PLAIN, 0.5f, threads);
    /* Rows split between threads, shallow and narrow: each thread's
     * packing buffers must still start on a 64-byte line. */
    check (3000, 33, 70, FALSE, FALSE, FALSE, PLAIN, 0, threads);
  }
  /* every width the AVX-512 kernel covers in one call (up to four
   * panels, the last partial), plain and transposed C; depth past a
   * block of 256 (later blocks add to C) and columns past an epilogue's
   * 256 */
  for (int64_t n = 1; n <= 70; n += 3) {
    check (13, n, 9, FALSE, FALSE, FALSE, PLAIN, n % 2 ? 0.5f : 0, 1);
    if (n > 1)   /* transposed C is for products of panels only */
      check (8, n, 5, TRUE, FALSE, TRUE, PLAIN, n % 2 ? 0 : 1.0f, 1);
  }
  check (20, 300, 300, FALSE, TRUE, FALSE, PANELS, 0.5f, 2);
  check (20, 300, 300, FALSE, TRUE, TRUE, PLAIN, 0, 2);
}

/* Single-row products against the row-vector panels: n around and past
 * a panel (a partial last one), k odd and even (the kernel takes rows in
 * pairs), B stored either way, A's row strided (transposed, lda m). */
static void
test_row_vector (void)
{
  for (int threads = 1; threads <= 2; threads++) {
    check (1, 16, 1, FALSE, FALSE, FALSE, ROWS, 0, threads);
    check (1, 33, 7, FALSE, TRUE, FALSE, ROWS, 0.5f, threads);
    check (1, 64, 40, TRUE, FALSE, FALSE, ROWS, 1.0f, threads);
    check (1, 1000, 1281, FALSE, TRUE, FALSE, ROWS, 0, threads);
    check (1, 1280, 960, FALSE, FALSE, FALSE, ROWS, 0.5f, threads);
  }
}

static void
test_transposed_c (void)
{
  for (int threads = 1; threads <= 2; threads++) {
    check (49, 160, 70, TRUE, TRUE, TRUE, PANELS, 0, threads);
    check (49, 1280, 320, TRUE, TRUE, TRUE, PANELS, 0, threads);
    check (7, 17, 5, FALSE, FALSE, TRUE, PLAIN, 0.5f, threads);
    check (300, 33, 270, FALSE, TRUE, TRUE, PLAIN, 1.0f, threads);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sgemm/plain", test_plain);
  g_test_add_func ("/sgemm/transposed-c", test_transposed_c);
  g_test_add_func ("/sgemm/row-vector", test_row_vector);
  return g_test_run ();
}
