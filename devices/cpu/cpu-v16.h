/* Sixteen-float vectors for the AVX-512 variants of the blocked kernels:
 * a register holds a whole 16-channel weight panel (two channel blocks of
 * nChw8c) or two neighbouring pixels of one block, and its halves are
 * stored as eight-float vectors (cpu-store-v8.h).
 *
 * The other helpers are macros: a function taking a 64-byte vector by
 * value, called from a function compiled for AVX-512 or from one compiled
 * without it, changes the ABI between the two, which clang refuses. */
#ifndef OVI_CPU_V16_H
#define OVI_CPU_V16_H

#include <string.h>

#include "cpu-v8.h"

typedef float V16f __attribute__((vector_size (64)));
typedef gint32 V16i __attribute__((vector_size (64)));

/* It returns a 64-byte vector, which gcc warns changes the calling
 * convention without AVX-512; always inlined, it is never called. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"
/* Sixteen floats from p, any alignment. */
static inline __attribute__((always_inline)) V16f
ovi_v16_load (const float *p)
{
  V16f v;
  memcpy (&v, p, sizeof (v));
  return v;
}
#pragma GCC diagnostic pop

/* Half 0 (lanes 0-7) or 1 (lanes 8-15) of v, as a V8f. */
#define OVI_V16_HALF(v, half)                                               \
  ((half) ? __builtin_shufflevector ((v), (v), 8, 9, 10, 11, 12, 13, 14,    \
      15) : __builtin_shufflevector ((v), (v), 0, 1, 2, 3, 4, 5, 6, 7))

/* The V8f v in both halves. */
#define OVI_V16_TWICE(v)                                                    \
  __builtin_shufflevector ((v), (v), 0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, \
      5, 6, 7)

#endif
