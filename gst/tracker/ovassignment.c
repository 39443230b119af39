/* The Hungarian method in its shortest-augmenting-path form: each row in
 * turn is added to the matching by Dijkstra over reduced costs (row and
 * column potentials u, v keep them non-negative), so n rows over m >= n
 * columns take O(n^2 m). More rows than columns are handled by solving
 * the transpose. Forbidden pairs cost a large constant: a row that ends up
 * on one is reported unmatched. */
#include "ovassignment.h"

#include <math.h>

/* rows <= cols; 1-based arrays as the algorithm is naturally written. */
static void
solve_wide (const double *cost, int rows, int cols, int *row_to_col)
{
  double *u = g_new0 (double, rows + 1);
  double *v = g_new0 (double, cols + 1);
  double *minv = g_new (double, cols + 1);
  int *match = g_new0 (int, cols + 1);  /* column -> row, 0 = free */
  int *way = g_new0 (int, cols + 1);
  gboolean *used = g_new (gboolean, cols + 1);

  for (int i = 1; i <= rows; i++) {
    int j0 = 0;
    match[0] = i;
    for (int j = 0; j <= cols; j++) {
      minv[j] = INFINITY;
      used[j] = FALSE;
    }
    do {
      int i0 = match[j0], j1 = 0;
      double delta = INFINITY;
      used[j0] = TRUE;
      for (int j = 1; j <= cols; j++) {
        double cur;
        if (used[j])
          continue;
        cur = cost[(gsize) (i0 - 1) * cols + (j - 1)] - u[i0] - v[j];
        if (cur < minv[j]) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          j1 = j;
        }
      }
      for (int j = 0; j <= cols; j++) {
        if (used[j]) {
          u[match[j]] += delta;
          v[j] -= delta;
        } else {
          minv[j] -= delta;
        }
      }
      j0 = j1;
    } while (match[j0] != 0);
    do {                        /* flip the augmenting path */
      int j1 = way[j0];
      match[j0] = match[j1];
      j0 = j1;
    } while (j0);
  }

  for (int i = 0; i < rows; i++)
    row_to_col[i] = -1;
  for (int j = 1; j <= cols; j++) {
    int i = match[j];
    if (i > 0 && cost[(gsize) (i - 1) * cols + (j - 1)]
        < OV_ASSIGNMENT_FORBIDDEN)
      row_to_col[i - 1] = j - 1;
  }
  g_free (u);
  g_free (v);
  g_free (minv);
  g_free (match);
  g_free (way);
  g_free (used);
}

void
ov_assignment_solve (const double *cost, int rows, int cols, int *row_to_col)
{
  double *t;
  int *col_to_row;

  if (rows <= 0)
    return;
  if (cols <= 0) {
    for (int i = 0; i < rows; i++)
      row_to_col[i] = -1;
    return;
  }
  if (rows <= cols) {
    solve_wide (cost, rows, cols, row_to_col);
    return;
  }
  t = g_new (double, (gsize) rows * cols);
  col_to_row = g_new (int, cols);
  for (int i = 0; i < rows; i++)
    for (int j = 0; j < cols; j++)
      t[(gsize) j * rows + i] = cost[(gsize) i * cols + j];
  solve_wide (t, cols, rows, col_to_row);
  for (int i = 0; i < rows; i++)
    row_to_col[i] = -1;
  for (int j = 0; j < cols; j++)
    if (col_to_row[j] >= 0)
      row_to_col[col_to_row[j]] = j;
  g_free (t);
  g_free (col_to_row);
}
