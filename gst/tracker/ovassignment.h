/* Minimum-cost assignment (the Hungarian method, shortest augmenting
 * paths with potentials, O(n^2 m)): the association step of the tracker.
 * Plain C, no GStreamer. */
#ifndef OV_ASSIGNMENT_H
#define OV_ASSIGNMENT_H

#include <glib.h>

/* Cost of a pair that must never be matched. */
#define OV_ASSIGNMENT_FORBIDDEN 1e9

/* `cost` is rows x cols, row major. Fills `row_to_col` (rows entries) with
 * the column assigned to each row, or -1 when the row is unmatched or only
 * a forbidden pair was left for it. Minimizes the total cost of the
 * allowed pairs among maximum matchings. */
void ov_assignment_solve (const double *cost, int rows, int cols,
    int *row_to_col);

#endif
