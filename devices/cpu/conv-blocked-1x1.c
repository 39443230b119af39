/* See conv-blocked.h: 1x1 convolution in nChw8c, a GEMM whose operands
 * already lie as its micro-kernel reads them. For a block of up to six
 * positions and a panel of sixteen output channels (two channel blocks),
 * twelve accumulators; each input channel k adds its sixteen packed
 * weights times each position's value of k, broadcast from the input
 * block, where the six positions' eight channels are 48 consecutive
 * floats: no packing of the input, and the outputs stored as two
 * vectors per position, straight into the output's blocks. Compiled for
 * the baseline target and for AVX2+FMA, chosen at run time. */
#include <string.h>
#include <unistd.h>

#include "conv-blocked.h"
#include "cpu-sgemm.h"
#include "cpu-store-v16.h"
#include "cpu-store-v8.h"
#include "cpu-v16.h"

/* The vector helpers pass 32-byte vectors by value, which gcc warns
 * changes the calling convention between AVX and non-AVX code; they are
 * all always_inline, so no such call is ever made. */
#pragma GCC diagnostic ignored "-Wpsabi"

#define PWB_PANEL 16
#define PWB_ROWS 6
/* Positions per pass over the panels: their input, at most a quarter of
 * the core's L2 and at least 256 KiB (measured on Zen 3's 512 KiB),
 * stays in L2 while every panel reads it, and the weights stream from
 * memory once per pass. With 2 MiB of L2, a quarter holds ResNet-50's
 * 7x7 inputs whole: 2048 -> 512 at 7x7 88 -> 124 GFLOPS on one core
 * (ovi-blocked-kernels-bench resnet). */
static int64_t
pwb_chunk_bytes (void)
{
  static gsize bytes = 0;
  if (g_once_init_enter (&bytes)) {
    long l2 = sysconf (_SC_LEVEL2_CACHE_SIZE);
    g_once_init_leave (&bytes, MAX (256 * 1024, l2 > 0 ? l2 / 4 : 0));
  }
  return (int64_t) bytes;
}

int64_t
ovi_blocked_pointwise_panels (int64_t oc)
{
  return (oc + PWB_PANEL - 1) / PWB_PANEL;
}

int64_t
ovi_blocked_pointwise_rows (void)
{
#if defined(__x86_64__) || defined(__i386__)
  if (ovi_cpu_have_avx512 ())
    return 12;   /* PWZ_ROWS */
#endif
  return PWB_ROWS;
}

int64_t
ovi_blocked_pointwise_group (void)
{
#if defined(__x86_64__) || defined(__i386__)
  if (ovi_cpu_have_avx512 ())
    return 2;
#endif
  return 1;
}

static int64_t
pwb_panel_width (int64_t oc, int64_t q)
{
  return MIN (PWB_PANEL, oc - q * PWB_PANEL);
}

static int64_t
pwb_panel_offset (int64_t ic, int64_t q)
{
  return q * (ic + 1) * PWB_PANEL;
}

int64_t
ovi_blocked_pointwise_packed_floats (int64_t ic, int64_t oc)
{
  int64_t q = ovi_blocked_pointwise_panels (oc) - 1;
  return pwb_panel_offset (ic, q) + (ic + 1) * pwb_panel_width (oc, q);
}

void
ovi_blocked_pointwise_pack (int64_t ic, int64_t oc, const float *w,
    const float *bias, float *packed)
{
  for (int64_t q = 0; q < ovi_blocked_pointwise_panels (oc); q++) {
    int64_t nw = pwb_panel_width (oc, q);
    float *p = packed + pwb_panel_offset (ic, q);
    for (int64_t k = 0; k < ic; k++)
      for (int64_t j = 0; j < nw; j++)
        p[k * nw + j] = w[(q * PWB_PANEL + j) * ic + k];
    for (int64_t j = 0; j < nw; j++)
      p[ic * nw + j] = bias ? bias[q * PWB_PANEL + j] : 0.0f;
  }
}

/* NP positions from p, NB channel blocks (1 or 2) of panel wp: constants
 * where instantiated. */
#define PWB_BLOCK(NP, NB) G_STMT_START {                                    \
    V8f acc[NP][2];                                                         \
    const float *bias = wp + ic * (NB) * OVI_BLOCK;                         \
    for (int r = 0; r < (NP); r++)                                          \
      for (int h = 0; h < (NB); h++)                                        \
        acc[r][h] = ovi_v8_load (bias + h * OVI_BLOCK);                     \
    for (int64_t kb = 0; kb < ic / OVI_BLOCK; kb++) {                       \
      const float *xb = x + (kb * hw + p) * OVI_BLOCK;                      \
      const float *wk = wp + kb * OVI_BLOCK * (NB) * OVI_BLOCK;             \
      for (int j = 0; j < OVI_BLOCK; j++) {                                 \
        V8f wv[2];                                                          \
        for (int h = 0; h < (NB); h++)                                      \
          wv[h] = ovi_v8_load (wk + (j * (NB) + h) * OVI_BLOCK);            \
        for (int r = 0; r < (NP); r++) {                                    \
          float xs = xb[r * OVI_BLOCK + j];                                 \
          for (int h = 0; h < (NB); h++)                                    \
            acc[r][h] += xs * wv[h];   /* xs broadcast, not added to 0 */   \
        }                                                                   \
      }                                                                     \
    }                                                                       \
    for (int h = 0; h < (NB); h++)                                          \
      for (int r = 0; r < (NP); r++) {                                      \
        int64_t o = ((cb0 + h - ycb0) * yplane + p + r - yp0) * OVI_BLOCK;  \
        ovi_v8_store_as (act, sum, a, b, acc[r][h], sum ? res + o : NULL,   \
            y + o, OVI_BLOCK);                                              \
      }                                                                     \
  } G_STMT_END

/* Tile t of tiles asks for its share of the next panel's weights, lines
 * of 64 bytes from next (NULL: none), into L2. A panel's weights are
 * read from memory by its first tile, a cache line per k step: more
 * than one core's bandwidth, and not ahead of the hardware prefetchers
 * across pages. Spread over the tiles, they arrive while the panel
 * before computes. */
static inline __attribute__((always_inline)) void
pwb_prefetch_share (const char *next, int64_t lines, int64_t t,
    int64_t tiles)
{
  if (next == NULL)
    return;
  for (int64_t l = t * lines / tiles; l < (t + 1) * lines / tiles; l++)
    __builtin_prefetch (next + l * 64, 0, 2);
}

static inline __attribute__((always_inline)) void
pwb_panel (int64_t ic, int64_t hw, const float *x, const float *wp,
    int64_t cb0, int NB, OviActivation act, gboolean sum,
    const OviV8Store *st, const float *res, float *y, int64_t yplane,
    int64_t ycb0, int64_t yp0, int64_t p0, int64_t p1, const char *next,
    int64_t next_lines)
{
  /* the bounds as locals, held in registers through the loops */
  V8f a = st->a, b = st->b;
  int64_t p = p0, t = 0;
  int64_t tiles = (p1 - p0 + PWB_ROWS - 1) / PWB_ROWS;
  for (; p + PWB_ROWS <= p1; p += PWB_ROWS, t++) {
    pwb_prefetch_share (next, next_lines, t, tiles);
    PWB_BLOCK (PWB_ROWS, NB);
  }
  if (p < p1)
    pwb_prefetch_share (next, next_lines, t, tiles);
  switch (p1 - p) {
    case 5: PWB_BLOCK (5, NB); break;
    case 4: PWB_BLOCK (4, NB); break;
    case 3: PWB_BLOCK (3, NB); break;
    case 2: PWB_BLOCK (2, NB); break;
    case 1: PWB_BLOCK (1, NB); break;
    default: break;
  }
}

static inline __attribute__((always_inline)) void
pwb_body (int64_t ic, int64_t oc, int64_t hw, const float *x,
    const float *packed, const OviV8Store *st, const float *res, float *y,
    int64_t yplane, int64_t ycb0, int64_t yp0, int64_t q0, int64_t q1,
    int64_t ahead, int64_t p0, int64_t p1)
{
  for (int64_t q = q0; q < q1; q++) {
    const float *wp = packed + pwb_panel_offset (ic, q);
    const char *next = NULL;
    int64_t cb0 = q * PWB_PANEL / OVI_BLOCK, next_lines = 0;
    if (q + 1 < ahead) {
      next = (const char *) (packed + pwb_panel_offset (ic, q + 1));
      next_lines = (ic + 1) * pwb_panel_width (oc, q + 1)
          * (int64_t) sizeof (float) / 64;
    }
#define PWB_RUN(ACT, SUM) G_STMT_START {                                    \
      if (pwb_panel_width (oc, q) == PWB_PANEL)                             \
        pwb_panel (ic, hw, x, wp, cb0, 2, ACT, SUM, st, res, y, yplane,     \
            ycb0, yp0, p0, p1, next, next_lines);                           \
      else                                                                  \
        pwb_panel (ic, hw, x, wp, cb0, 1, ACT, SUM, st, res, y, yplane,     \
            ycb0, yp0, p0, p1, next, next_lines);                           \
    } G_STMT_END
    OVI_V8_STORE_CASES (st, PWB_RUN);
#undef PWB_RUN
  }
}

static void
pwb_generic (int64_t ic, int64_t oc, int64_t hw, const float *x,
    const float *packed, const OviV8Store *st, const float *res, float *y,
    int64_t yplane, int64_t ycb0, int64_t yp0, int64_t q0, int64_t q1,
    int64_t ahead, int64_t p0, int64_t p1)
{
  pwb_body (ic, oc, hw, x, packed, st, res, y, yplane, ycb0, yp0, q0, q1,
      ahead, p0, p1);
}

#if defined(__x86_64__) || defined(__i386__)
__attribute__((target ("avx2,fma")))
static void
pwb_avx2 (int64_t ic, int64_t oc, int64_t hw, const float *x,
    const float *packed, const OviV8Store *st, const float *res, float *y,
    int64_t yplane, int64_t ycb0, int64_t yp0, int64_t q0, int64_t q1,
    int64_t ahead, int64_t p0, int64_t p1)
{
  pwb_body (ic, oc, hw, x, packed, st, res, y, yplane, ycb0, yp0, q0, q1,
      ahead, p0, p1);
}
#endif

#if defined(__x86_64__) || defined(__i386__)
/* AVX-512: one register holds a whole panel (16 output channels, the
 * same packed weights), so a block covers two panels by PWZ_ROWS
 * positions: 24 accumulators of the 32 registers, and per input channel
 * two weight loads and twelve broadcasts for 24 FMAs (the AVX2 block:
 * two loads and six broadcasts for 12). A register's two halves go to
 * two consecutive channel blocks of the output. */
#define PWZ_ROWS 12

/* The block's input lines, PWZ_X_AHEAD channel blocks ahead, are asked
 * into L1: each channel block's lines lie a plane (hw positions) apart,
 * a stride the hardware prefetchers do not follow, and in a model the
 * input arrives from memory or, written by the other core, from its
 * cache: every first pass over it waited on each line. ResNet-50 (two
 * threads, inferences alternated in one process): median 5-7 % faster,
 * MobileNetV2 4 %; in a chain of layer3's 1x1s, 1024 -> 256 nodes 0.65-0.81
 * -> 0.47-0.61 ms.
 * Four blocks (about 400 cycles of FMAs) ahead; eight measured the same. */
#define PWZ_X_AHEAD 4

typedef double V8d __attribute__((vector_size (64)));

/* The block's share of the next panels' weights (into L2) and its input
 * PWZ_X_AHEAD channel blocks ahead (into L1), at channel block kb. */
#define PWZ_PREFETCH(NP) G_STMT_START {                                     \
    for (int64_t l = kb * pf_step; l < MIN (pf_lines, (kb + 1) * pf_step);  \
        l++)                                                                \
      __builtin_prefetch (pf + l * 64, 0, 2);                               \
    if (kb + PWZ_X_AHEAD < ic / OVI_BLOCK) {                                \
      /* a line every 16 floats, and the last float's: a block may          \
       * start half way into a line (odd planes) */                         \
      const float *xa = xb + PWZ_X_AHEAD * hw * OVI_BLOCK;                  \
      for (int l = 0; l < (NP) * OVI_BLOCK; l += 16)                        \
        __builtin_prefetch (xa + l, 0, 3);                                  \
      __builtin_prefetch (xa + (NP) * OVI_BLOCK - 1, 0, 3);                 \
    }                                                                       \
  } G_STMT_END

/* NP positions from p, the two whole panels wq[0] and wq[1]. */
#define PWZ_BLOCK(NP) G_STMT_START {                                        \
    V16f acc[NP][2];                                                        \
    /* the outputs from one offset, the channel blocks a plane (ps)     */  \
    /* apart: from the indices at every store, gcc spilled them around  */  \
    /* the stores */                                                        \
    int64_t o0 = ((cb0 - ycb0) * yplane + p - yp0) * OVI_BLOCK;             \
    int64_t ps = yplane * OVI_BLOCK;                                        \
    for (int h = 0; h < 2; h++) {                                           \
      V16f bv = ovi_v16_load (wq[h] + ic * PWB_PANEL);                      \
      for (int r = 0; r < (NP); r++)                                        \
        acc[r][h] = bv;                                                     \
    }                                                                       \
    for (int64_t kb = 0; kb < ic / OVI_BLOCK; kb++) {                       \
      const float *xb = x + (kb * hw + p) * OVI_BLOCK;                      \
      PWZ_PREFETCH (NP);                                                    \
      for (int j = 0; j < OVI_BLOCK; j++) {                                 \
        V16f wv[2];                                                         \
        for (int h = 0; h < 2; h++)                                         \
          wv[h] = ovi_v16_load (wq[h] + (kb * OVI_BLOCK + j) * PWB_PANEL);  \
        for (int r = 0; r < (NP); r++) {                                    \
          float xs = xb[r * OVI_BLOCK + j];                                 \
          for (int h = 0; h < 2; h++)                                       \
            acc[r][h] += xs * wv[h];                                        \
        }                                                                   \
      }                                                                     \
    }                                                                       \
    for (int h = 0; h < 2; h++)                                             \
      for (int r = 0; r < (NP); r++) {                                      \
        const float *rb = sum ? res + o0 + 2 * h * ps + r * OVI_BLOCK       \
            : NULL;                                                         \
        acc[r][h] = ovi_v16_post_halves (act, sum, a16, b16, acc[r][h],     \
            rb, sum ? rb + ps : NULL);                                      \
      }                                                                     \
    for (int h = 0; h < 2; h++)                                             \
      for (int half = 0; half < 2; half++) {                                \
        float *yb = y + o0 + (2 * h + half) * ps;                           \
        for (int r = 0; r < (NP); r++)                                      \
          ovi_v16_store_half (acc[r][h], half, yb + r * OVI_BLOCK);         \
      }                                                                     \
  } G_STMT_END

/* NP positions from p, in NG groups of eight output channels: the whole
 * panel wq[0] (two groups), and with NG 3 the last panel, of eight
 * channels, wq[1]. A group's register holds a position's eight channels
 * twice: lane 2c sums channel c's products over even input channels,
 * lane 2c + 1 over odd ones, so that one FMA takes two input channels.
 * Their values lie side by side in the input block and broadcast as one
 * 64-bit pair, which serves the NG groups' FMAs; each group's weight
 * register interleaves the two inputs' eight weights. At the end, each
 * two positions' registers of a group fold (two permutes and an add)
 * into their sixteen outputs, consecutive in the group's channel block.
 * A broadcast per FMA (a panel alone, or the 8-channel panel in half
 * registers beside it) ran at about 220 GFLOPS in L1 on Zen 5, a
 * broadcast per two (pairs of panels) at 270; here, per two or three. */
#define PWZ_EVEN_ODD 0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15
#define PWZ_LOW_PAIRS 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23
#define PWZ_HIGH_PAIRS 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, \
    15, 31
#define PWZ_PAIRED_BLOCK(NP, NG) G_STMT_START {                             \
    V16f acc[NP][3], wg[3];                                                 \
    int64_t o0 = ((cb0 - ycb0) * yplane + p - yp0) * OVI_BLOCK;             \
    int64_t ps = yplane * OVI_BLOCK;                                        \
    {                                                                       \
      V16f bv = ovi_v16_load (wq[0] + ic * PWB_PANEL), z = { 0 };           \
      wg[0] = __builtin_shufflevector (bv, z, PWZ_LOW_PAIRS);               \
      wg[1] = __builtin_shufflevector (bv, z, PWZ_HIGH_PAIRS);              \
      if ((NG) == 3) {                                                      \
        V8f b8 = ovi_v8_load (wq[1] + ic * OVI_BLOCK), z8 = { 0 };          \
        wg[2] = __builtin_shufflevector (b8, z8, PWZ_EVEN_ODD);             \
      }                                                                     \
      for (int r = 0; r < (NP); r++)                                        \
        for (int g = 0; g < (NG); g++)                                      \
          acc[r][g] = wg[g];                                                \
    }                                                                       \
    for (int64_t kb = 0; kb < ic / OVI_BLOCK; kb++) {                       \
      const float *xb = x + (kb * hw + p) * OVI_BLOCK;                      \
      PWZ_PREFETCH (NP);                                                    \
      for (int j = 0; j < OVI_BLOCK; j += 2) {                              \
        const float *wk = wq[0] + (kb * OVI_BLOCK + j) * PWB_PANEL;         \
        V16f w0 = ovi_v16_load (wk), w1 = ovi_v16_load (wk + PWB_PANEL);    \
        wg[0] = __builtin_shufflevector (w0, w1, PWZ_LOW_PAIRS);            \
        wg[1] = __builtin_shufflevector (w0, w1, PWZ_HIGH_PAIRS);           \
        if ((NG) == 3) {                                                    \
          V16f w8 = ovi_v16_load (wq[1] + (kb * OVI_BLOCK + j)              \
              * OVI_BLOCK);                                                 \
          wg[2] = __builtin_shufflevector (w8, w8, PWZ_EVEN_ODD);           \
        }                                                                   \
        for (int r = 0; r < (NP); r++) {                                    \
          double pair;                                                      \
          V8d pairs;                                                        \
          memcpy (&pair, xb + r * OVI_BLOCK + j, sizeof (pair));            \
          pairs = (V8d) { pair, pair, pair, pair, pair, pair, pair, pair }; \
          for (int g = 0; g < (NG); g++)                                    \
            acc[r][g] += (V16f) pairs * wg[g];                              \
        }                                                                   \
      }                                                                     \
    }                                                                       \
    for (int g = 0; g < (NG); g++)                                          \
      for (int r = 0; r < (NP); r += 2) {                                   \
        V16f e = acc[r][g], f = r + 1 < (NP) ? acc[r + 1][g] : acc[r][g];   \
        int64_t o = o0 + g * ps + r * OVI_BLOCK;                            \
        V16f s = __builtin_shufflevector (e, f, 0, 2, 4, 6, 8, 10, 12, 14,  \
            16, 18, 20, 22, 24, 26, 28, 30)                                 \
            + __builtin_shufflevector (e, f, 1, 3, 5, 7, 9, 11, 13, 15, 17, \
            19, 21, 23, 25, 27, 29, 31);                                    \
        if (r + 1 < (NP))                                                   \
          ovi_v16_store_as (act, sum, a16, b16, s, sum ? res + o : NULL,    \
              y + o);                                                       \
        else                                                                \
          ovi_v8_store_as (act, sum, st->a, st->b, OVI_V16_HALF (s, 0),     \
              sum ? res + o : NULL, y + o, OVI_BLOCK);                      \
      }                                                                     \
  } G_STMT_END

/* positions per block: 24 accumulators for three groups of eight
 * channels (a panel and the tail) by eight positions, else by twelve */
#define PWZ_BLOCK_ROWS(TAIL) ((TAIL) ? 8 : PWZ_ROWS)

static inline __attribute__((always_inline)) void
pwz_panels (int64_t ic, int64_t hw, const float *x, const float *wq[2],
    int64_t cb0, int NQ, gboolean TAIL, OviActivation act, gboolean sum,
    const OviV8Store *st, const float *res, float *y, int64_t yplane,
    int64_t ycb0, int64_t yp0, int64_t p0, int64_t p1, const char *next,
    int64_t next_lines)
{
  OVI_V16_STORE_BOUNDS (st, a16, b16);
  int64_t p = p0, t = 0, kbs = MAX (1, ic / OVI_BLOCK);
  int64_t rows = PWZ_BLOCK_ROWS (TAIL);
  int64_t tiles = (p1 - p0 + rows - 1) / rows;
  /* the tile's share of the next panels' lines, issued a few per input
   * channel block as it computes rather than all at its start */
  const char *pf = next;
  int64_t pf_lines = 0, pf_step = 0;
#define PWZ_SHARE() G_STMT_START {                                          \
    if (next != NULL) {                                                     \
      pf = next + t * next_lines / tiles * 64;                              \
      pf_lines = (t + 1) * next_lines / tiles - t * next_lines / tiles;     \
      pf_step = (pf_lines + kbs - 1) / kbs;                                 \
    }                                                                       \
  } G_STMT_END
  /* blocks as even as the range allows: 49 positions (ResNet-50's 7x7)
   * run as 10 + 10 + 10 + 10 + 9, not four blocks of 12 and one of a
   * single position, whose two accumulators wait on the FMA latency */
  for (; p < p1; t++) {
    int64_t np = (p1 - p + tiles - t - 1) / (tiles - t);
    PWZ_SHARE ();
#define PWZ_CASE(NP) G_STMT_START {                                         \
      if (TAIL) {                                                           \
        if ((NP) <= PWZ_BLOCK_ROWS (TRUE))                                  \
          PWZ_PAIRED_BLOCK (NP, 3);                                         \
      } else if (NQ == 1)                                                   \
        PWZ_PAIRED_BLOCK (NP, 2);                                           \
      else                                                                  \
        PWZ_BLOCK (NP);                                                     \
    } G_STMT_END
    switch (np) {
      case 12: PWZ_CASE (12); break;
      case 11: PWZ_CASE (11); break;
      case 10: PWZ_CASE (10); break;
      case 9: PWZ_CASE (9); break;
      case 8: PWZ_CASE (8); break;
      case 7: PWZ_CASE (7); break;
      case 6: PWZ_CASE (6); break;
      case 5: PWZ_CASE (5); break;
      case 4: PWZ_CASE (4); break;
      case 3: PWZ_CASE (3); break;
      case 2: PWZ_CASE (2); break;
      default: PWZ_CASE (1); break;
    }
#undef PWZ_CASE
    p += np;
  }
#undef PWZ_SHARE
}

/* A group of panels from wq[0], NQ whole ones and with TAIL the panel of
 * eight after them, each kind its own function: inlined into one, the
 * kinds' loops shared its code's layout, and adding the TAIL kind made
 * the pairs' loop 5 % slower on 24 -> 144 at 56x56, which never takes it.
 * Pairs run PWZ_BLOCK, a single panel and a panel with the tail
 * PWZ_PAIRED_BLOCK. */
#define PWZ_GROUP_FN(name)                                                  \
  __attribute__((target ("avx512f,avx512vl,avx512dq,avx512bw,avx2,fma"),    \
      noinline))                                                            \
  static void                                                               \
  name (int64_t ic, int64_t hw, const float *x, const float *wq[2],         \
      int64_t cb0, const OviV8Store *st, const float *res, float *y,        \
      int64_t yplane, int64_t ycb0, int64_t yp0, int64_t p0, int64_t p1,    \
      const char *next, int64_t next_lines)                                 \
  {                                                                         \
    OVI_V8_STORE_CASES (st, PWZ_GROUP_RUN_##name);                          \
  }
#define PWZ_GROUP_RUN(NQ, TAIL, ACT, SUM)                                   \
    pwz_panels (ic, hw, x, wq, cb0, NQ, TAIL, ACT, SUM, st, res, y, yplane, \
        ycb0, yp0, p0, p1, next, next_lines)
#define PWZ_GROUP_RUN_pwz_pairs(ACT, SUM) PWZ_GROUP_RUN (2, FALSE, ACT, SUM)
#define PWZ_GROUP_RUN_pwz_single(ACT, SUM) PWZ_GROUP_RUN (1, FALSE, ACT, SUM)
#define PWZ_GROUP_RUN_pwz_tailed(ACT, SUM) PWZ_GROUP_RUN (1, TRUE, ACT, SUM)
PWZ_GROUP_FN (pwz_pairs)
PWZ_GROUP_FN (pwz_single)
PWZ_GROUP_FN (pwz_tailed)

/* As pwb_body, two whole panels at a time; a last panel of eight
 * channels rides with the whole panel before it (PWZ_PAIRED_BLOCK), or
 * alone takes the AVX2 block. */
__attribute__((target ("avx512f,avx512vl,avx512dq,avx512bw,avx2,fma")))
static void
pwb_avx512 (int64_t ic, int64_t oc, int64_t hw, const float *x,
    const float *packed, const OviV8Store *st, const float *res, float *y,
    int64_t yplane, int64_t ycb0, int64_t yp0, int64_t q0, int64_t q1,
    int64_t ahead, int64_t p0, int64_t p1)
{
  /* the panel of eight channels, if the range has one (only ever last) */
  int64_t tail_q = q1 > q0 && pwb_panel_width (oc, q1 - 1) < PWB_PANEL
      ? q1 - 1 : -1;

  for (int64_t q = q0; q < q1;) {
    const float *wq[2] = { packed + pwb_panel_offset (ic, q), NULL };
    int nq = 1, whole = pwb_panel_width (oc, q) == PWB_PANEL, span;
    gboolean tail = whole && tail_q == q + 1;
    const char *next = NULL;
    int64_t cb0 = q * PWB_PANEL / OVI_BLOCK, next_lines = 0;
    /* pairs, but for the whole panel the tail rides with */
    if (whole && !tail && q + 1 < q1
        && pwb_panel_width (oc, q + 1) == PWB_PANEL && tail_q != q + 2)
      nq = 2;
    /* the second panel of a pair, or the tail */
    span = nq + (tail ? 1 : 0);
    if (span == 2)
      wq[1] = packed + pwb_panel_offset (ic, q + 1);
    if (q + span < ahead) {
      int64_t nn = MIN (2, ahead - q - span);
      next = (const char *) (packed + pwb_panel_offset (ic, q + span));
      for (int64_t i = 0; i < nn; i++)
        next_lines += (ic + 1) * pwb_panel_width (oc, q + span + i)
            * (int64_t) sizeof (float) / 64;
    }
    if (nq == 2)
      pwz_pairs (ic, hw, x, wq, cb0, st, res, y, yplane, ycb0, yp0, p0, p1,
          next, next_lines);
    else if (tail)
      pwz_tailed (ic, hw, x, wq, cb0, st, res, y, yplane, ycb0, yp0, p0, p1,
          next, next_lines);
    else if (whole)
      pwz_single (ic, hw, x, wq, cb0, st, res, y, yplane, ycb0, yp0, p0, p1,
          next, next_lines);
    else {
#define PWZ_EIGHT(ACT, SUM)                                                 \
      pwb_panel (ic, hw, x, wq[0], cb0, 1, ACT, SUM, st, res, y, yplane,    \
          ycb0, yp0, p0, p1, next, next_lines)
      OVI_V8_STORE_CASES (st, PWZ_EIGHT);
#undef PWZ_EIGHT
    }
    q += span;
  }
}
#endif

/* The range, its outputs stored into y as planes of yplane positions
 * holding channel blocks from ycb0 and positions from yp0 (the whole
 * output: hw, 0, 0). */
static void
pointwise_range (int64_t ic, int64_t oc, int64_t hw, const float *x,
    const float *packed, const OviPostOps *ops, const float *res, float *y,
    int64_t yplane, int64_t ycb0, int64_t yp0, int64_t panel0,
    int64_t panel1, int64_t ahead, int64_t p0, int64_t p1)
{
  OviV8Store st;
  gboolean at_store = ovi_v8_store_init (&st, ops);
  int64_t rows = ovi_blocked_pointwise_rows ();
  /* as few chunks as the budget allows, their positions as even as it
   * allows: each chunk streams all the weights, so 130 positions under a
   * budget of 120 run as 65 + 65, not 120 + 10 (a last chunk streaming
   * them all for 10 positions). Counted in positions, not whole blocks
   * (the kernel evens out a chunk's blocks itself):
   * ResNet-50's 2048 -> 512 at 7x7 under a budget of 32 positions ran
   * as 24 + 24 + 1, the last a block of one position whose two
   * accumulators wait on the FMA latency through all 2048 inputs. */
  int64_t n = p1 - p0;
  int64_t most = MAX (rows, pwb_chunk_bytes () / (int64_t) sizeof (float)
      / MAX (ic, 1));
  int64_t chunks = (n + most - 1) / most;

  for (int64_t i = 0; i < chunks; i++) {
    int64_t c0 = p0 + i * n / chunks, c1 = p0 + (i + 1) * n / chunks;
    /* after the last chunk the caller goes on to the panels ahead; after
     * the others, back to panel0 */
    int64_t pf_end = c1 == p1 ? MAX (ahead, panel1) : panel1;
#if defined(__x86_64__) || defined(__i386__)
    if (ovi_cpu_have_avx512 ())
      pwb_avx512 (ic, oc, hw, x, packed, &st, res, y, yplane, ycb0, yp0,
          panel0, panel1, pf_end, c0, c1);
    else if (ovi_sgemm_have_avx2 ())
      pwb_avx2 (ic, oc, hw, x, packed, &st, res, y, yplane, ycb0, yp0,
          panel0, panel1, pf_end, c0, c1);
    else
#endif
      pwb_generic (ic, oc, hw, x, packed, &st, res, y, yplane, ycb0, yp0,
          panel0, panel1, pf_end, c0, c1);
    if (!at_store && ops && ovi_postops_any (ops))
      ovi_blocked_postops_apply (ops, y, res, yplane, panel0 * PWB_PANEL
          / OVI_BLOCK - ycb0, MIN (oc, panel1 * PWB_PANEL) / OVI_BLOCK
          - ycb0, c0 - yp0, c1 - yp0);
  }
}

void
ovi_blocked_pointwise_range (int64_t ic, int64_t oc, int64_t hw,
    const float *x, const float *packed, const OviPostOps *ops,
    const float *res, float *y, int64_t panel0, int64_t panel1, int64_t p0,
    int64_t p1)
{
  pointwise_range (ic, oc, hw, x, packed, ops, res, y, hw, 0, 0, panel0,
      panel1, panel1, p0, p1);
}

void
ovi_blocked_pointwise_range_ahead (int64_t ic, int64_t oc, int64_t hw,
    const float *x, const float *packed, const OviPostOps *ops,
    const float *res, float *y, int64_t panel0, int64_t panel1,
    int64_t ahead, int64_t p0, int64_t p1)
{
  pointwise_range (ic, oc, hw, x, packed, ops, res, y, hw, 0, 0, panel0,
      panel1, ahead, p0, p1);
}

void
ovi_blocked_pointwise_window (int64_t ic, int64_t oc, int64_t hw,
    const float *x, const float *packed, const OviPostOps *ops, float *y,
    int64_t yplane, int64_t ycb0, int64_t yp0, int64_t panel0,
    int64_t panel1, int64_t p0, int64_t p1)
{
  pointwise_range (ic, oc, hw, x, packed, ops, NULL, y, yplane, ycb0, yp0,
      panel0, panel1, panel1, p0, p1);
}
