/* Index arithmetic the convolution kernels share. */
#ifndef OVI_CONV_RANGE_H
#define OVI_CONV_RANGE_H

#include <glib.h>
#include <stdint.h>

/* First and one-past-last output positions o in [0, n_out) whose input
 * o * s + off lies in [0, n_in). */
static inline void
ovi_conv_valid_range (int64_t n_out, int64_t n_in, int64_t s, int64_t off,
    int64_t *lo, int64_t *hi)
{
  int64_t a = off >= 0 ? 0 : (-off + s - 1) / s;
  int64_t b = n_in - 1 - off >= 0 ? (n_in - 1 - off) / s + 1 : 0;
  a = MIN (a, n_out);
  b = MIN (b, n_out);
  *lo = a;
  *hi = MAX (a, b);
}

#endif
