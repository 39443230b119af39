/* See conv-blocked.h: a direct convolution from a plain input of few
 * channels into a blocked output, the stem of the MobileNet family (RGB
 * in, 16 or 32 channels out, 3x3 stride 2). Five output pixels of a row
 * by a panel of sixteen output channels make ten accumulators (six made
 * gcc spill one into a store-forwarding chain: the stem 3 -> 32 at 224
 * ran at 55.6 GFLOPS, at 63.4 with five); each
 * (channel, tap) adds its sixteen weights times each pixel's input value,
 * broadcast. The weights are packed as a 1x1 convolution's of C x KH x KW
 * input channels. Pixels whose taps are not all inside take a loop that
 * skips the outside ones. Compiled for the baseline target and for
 * AVX2+FMA, chosen at run time. */
#include <string.h>

#include "conv-blocked.h"
#include "conv-range.h"
#include "cpu-sgemm.h"
#include "cpu-store-v16.h"
#include "cpu-store-v8.h"
#include "cpu-v16.h"

/* The vector helpers pass 32-byte vectors by value, which gcc warns
 * changes the calling convention between AVX and non-AVX code; they are
 * all always_inline, so no such call is ever made. */
#pragma GCC diagnostic ignored "-Wpsabi"

#define DIR_PANEL 16
#define DIR_PIXELS 5

/* One pixel at an edge, NB channel blocks of the panel. */
static inline __attribute__((always_inline)) void
dir_edge_pixel (const OviDepthwise *d, int64_t c, const float *x,
    const float *wp, int NB, int64_t cb0, int64_t oh, int64_t ow,
    OviActivation act, gboolean sum, const OviV8Store *st, const float *res,
    float *y)
{
  int64_t taps = d->kh * d->kw, plane = d->oh * d->ow;
  V8f acc[2];
  for (int h = 0; h < NB; h++)
    acc[h] = ovi_v8_load (wp + c * taps * NB * OVI_BLOCK + h * OVI_BLOCK);
  for (int64_t ci = 0; ci < c; ci++)
    for (int64_t kh = 0; kh < d->kh; kh++) {
      int64_t ih = oh * d->sh - d->ph + kh * d->dh;
      if (ih < 0 || ih >= d->h)
        continue;
      for (int64_t kw = 0; kw < d->kw; kw++) {
        int64_t iw = ow * d->sw - d->pw + kw * d->dw;
        const float *wt = wp + ((ci * d->kh + kh) * d->kw + kw) * NB
            * OVI_BLOCK;
        float xs;
        if (iw < 0 || iw >= d->w)
          continue;
        xs = x[(ci * d->h + ih) * d->w + iw];
        for (int h = 0; h < NB; h++)
          acc[h] += xs * ovi_v8_load (wt + h * OVI_BLOCK);
      }
    }
  for (int h = 0; h < NB; h++) {
    int64_t o = ((cb0 + h) * plane + oh * d->ow + ow) * OVI_BLOCK;
    ovi_v8_store_as (act, sum, st->a, st->b, acc[h], sum ? res + o : NULL,
        y + o, OVI_BLOCK);
  }
}

/* NP pixels from ow of a row whose taps are all inside; KH, KW and SW
 * constants where instantiated. */
#define DIR_BLOCK(NP) G_STMT_START {                                        \
    V8f acc[NP][2];                                                         \
    for (int p = 0; p < (NP); p++)                                          \
      for (int h = 0; h < NB; h++)                                          \
        acc[p][h] = ovi_v8_load (wp + c * taps * NB * OVI_BLOCK             \
            + h * OVI_BLOCK);                                               \
    for (int64_t ci = 0; ci < c; ci++)                                      \
      for (int64_t kh = 0; kh < (KH); kh++) {                               \
        const float *row = x + (ci * d->h + ih0 + kh * d->dh) * d->w        \
            + ow * (SW) - d->pw;                                            \
        for (int64_t kw = 0; kw < (KW); kw++) {                             \
          const float *wt = wp + ((ci * (KH) + kh) * (KW) + kw) * NB        \
              * OVI_BLOCK;                                                  \
          V8f w0 = ovi_v8_load (wt);                                        \
          V8f w1 = NB > 1 ? ovi_v8_load (wt + OVI_BLOCK) : w0;              \
          for (int p = 0; p < (NP); p++) {                                  \
            float xs = row[p * (SW) + kw * d->dw];                          \
            acc[p][0] += xs * w0;                                           \
            if (NB > 1)                                                     \
              acc[p][1] += xs * w1;                                         \
          }                                                                 \
        }                                                                   \
      }                                                                     \
    for (int h = 0; h < NB; h++)                                            \
      for (int p = 0; p < (NP); p++) {                                      \
        int64_t o = ((cb0 + h) * plane + oh * d->ow + ow + p) * OVI_BLOCK;  \
        ovi_v8_store_as (act, sum, st->a, st->b, acc[p][h],                 \
            sum ? res + o : NULL, y + o, OVI_BLOCK);                        \
      }                                                                     \
  } G_STMT_END

/* The store's bounds are read from st at each store, not held in
 * registers through the loops: with the accumulators and two
 * weight vectors they made gcc spill an accumulator (a store-forwarding
 * chain through memory in the innermost loop, measured: ResNet-50's 7x7
 * stem 3.1 -> 1.6 ms). */
static inline __attribute__((always_inline)) void
dir_rows (const OviDepthwise *d, int64_t c, const float *x, const float *wp,
    int NB, int64_t cb0, int64_t oh0, int64_t oh1, int64_t KH, int64_t KW,
    int64_t SW, OviActivation act, gboolean sum, const OviV8Store *st,
    const float *res, float *y)
{
  int64_t taps = KH * KW, plane = d->oh * d->ow, lo, hi;

  ovi_conv_interior_range (d->ow, d->w, SW, -d->pw, (KW - 1) * d->dw, &lo,
      &hi);
  for (int64_t oh = oh0; oh < oh1; oh++) {
    int64_t ih0 = oh * d->sh - d->ph, ow = 0;
    gboolean inside = ih0 >= 0 && ih0 + (KH - 1) * d->dh < d->h;
    if (inside) {
      for (; ow < lo; ow++)
        dir_edge_pixel (d, c, x, wp, NB, cb0, oh, ow, act, sum, st, res,
            y);
      for (; ow + DIR_PIXELS <= hi; ow += DIR_PIXELS)
        DIR_BLOCK (DIR_PIXELS);
      for (; ow < hi; ow++)
        DIR_BLOCK (1);
    }
    for (; ow < d->ow; ow++)
      dir_edge_pixel (d, c, x, wp, NB, cb0, oh, ow, act, sum, st, res, y);
  }
}

static inline __attribute__((always_inline)) void
dir_body (const OviDepthwise *d, int64_t c, int64_t m, const float *x,
    const float *packed, const OviV8Store *st, const float *res, float *y,
    int64_t q0, int64_t q1, int64_t oh0, int64_t oh1)
{
  int64_t k = c * d->kh * d->kw;
  for (int64_t q = q0; q < q1; q++) {
    /* panel q as ovi_blocked_pointwise_pack lays it out for k inputs */
    const float *wp = packed + q * (k + 1) * DIR_PANEL;
    int64_t cb0 = q * DIR_PANEL / OVI_BLOCK;
    int NB = m - q * DIR_PANEL >= DIR_PANEL ? 2 : 1;
#define DIR_RUN(ACT, SUM) G_STMT_START {                                    \
      if (OVI_SPECIALIZE (d->kh == 3 && d->kw == 3 && d->sw == 2 && NB == 2))\
        dir_rows (d, c, x, wp, 2, cb0, oh0, oh1, 3, 3, 2, ACT, SUM, st,     \
            res, y);                                                        \
      else if (OVI_SPECIALIZE (d->kh == 3 && d->kw == 3 && d->sw == 1       \
              && NB == 2))                                                  \
        dir_rows (d, c, x, wp, 2, cb0, oh0, oh1, 3, 3, 1, ACT, SUM, st,     \
            res, y);                                                        \
      else if (OVI_SPECIALIZE (d->kh == 7 && d->kw == 7 && d->sw == 2       \
              && NB == 2))                                                  \
        dir_rows (d, c, x, wp, 2, cb0, oh0, oh1, 7, 7, 2, ACT, SUM, st,     \
            res, y);                                                        \
      else                                                                  \
        dir_rows (d, c, x, wp, NB, cb0, oh0, oh1, d->kh, d->kw, d->sw, ACT, \
            SUM, st, res, y);                                               \
    } G_STMT_END
    OVI_V8_STORE_CASES (st, DIR_RUN);
#undef DIR_RUN
  }
}

static void
dir_generic (const OviDepthwise *d, int64_t c, int64_t m, const float *x,
    const float *packed, const OviV8Store *st, const float *res, float *y,
    int64_t q0, int64_t q1, int64_t oh0, int64_t oh1)
{
  dir_body (d, c, m, x, packed, st, res, y, q0, q1, oh0, oh1);
}

#if defined(__x86_64__) || defined(__i386__)
__attribute__((target ("avx2,fma")))
static void
dir_avx2 (const OviDepthwise *d, int64_t c, int64_t m, const float *x,
    const float *packed, const OviV8Store *st, const float *res, float *y,
    int64_t q0, int64_t q1, int64_t oh0, int64_t oh1)
{
  dir_body (d, c, m, x, packed, st, res, y, q0, q1, oh0, oh1);
}
#endif

#if defined(__x86_64__) || defined(__i386__)
/* AVX-512: a register holds a whole panel; a block covers two panels by
 * DIZ_PIXELS pixels (24 accumulators of 32 registers), a register's
 * halves stored into two output channel blocks. */
#define DIZ_PIXELS 12

/* NP pixels from ow of a row whose taps are all inside, NQ (1 or 2)
 * whole panels from wq[]; KH, KW and SW constants where instantiated. */
#define DIZ_BLOCK(NP) G_STMT_START {                                        \
    V16f acc[NP][2];                                                        \
    /* the outputs from one offset (as the 1x1's block) */                  \
    int64_t o0 = (cb0 * plane + oh * d->ow + ow) * OVI_BLOCK;               \
    float *yrow = y + o0;                                                   \
    for (int h = 0; h < NQ; h++) {                                          \
      V16f bv = ovi_v16_load (wq[h] + c * taps * DIR_PANEL);                \
      for (int p = 0; p < (NP); p++)                                        \
        acc[p][h] = bv;                                                     \
    }                                                                       \
    for (int64_t ci = 0; ci < c; ci++)                                      \
      for (int64_t kh = 0; kh < (KH); kh++) {                               \
        const float *row = x + (ci * d->h + ih0 + kh * d->dh) * d->w        \
            + ow * (SW) - d->pw;                                            \
        for (int64_t kw = 0; kw < (KW); kw++) {                             \
          int64_t wt = ((ci * (KH) + kh) * (KW) + kw) * DIR_PANEL;          \
          V16f wv[2];                                                       \
          for (int h = 0; h < NQ; h++)                                      \
            wv[h] = ovi_v16_load (wq[h] + wt);                              \
          for (int p = 0; p < (NP); p++) {                                  \
            float xs = row[p * (SW) + kw * d->dw];                          \
            for (int h = 0; h < NQ; h++)                                    \
              acc[p][h] += xs * wv[h];                                      \
          }                                                                 \
        }                                                                   \
      }                                                                     \
    for (int h = 0; h < NQ; h++)                                            \
      for (int p = 0; p < (NP); p++) {                                      \
        int64_t o = o0 + (2 * h * plane + p) * OVI_BLOCK;                   \
        acc[p][h] = ovi_v16_post_halves (act, sum, a16, b16, acc[p][h],     \
            sum ? res + o : NULL, sum ? res + o + plane * OVI_BLOCK : NULL); \
      }                                                                     \
    for (int h = 0; h < NQ; h++)                                            \
      for (int half = 0; half < 2; half++) {                                \
        float *yb = yrow + (2 * h + half) * plane * OVI_BLOCK;              \
        for (int p = 0; p < (NP); p++)                                      \
          ovi_v16_store_half (acc[p][h], half, yb + p * OVI_BLOCK);         \
      }                                                                     \
  } G_STMT_END

/* As dir_rows, for NQ whole panels from wq[]; the edges pixel by pixel
 * and panel by panel. */
static inline __attribute__((always_inline)) void
diz_rows (const OviDepthwise *d, int64_t c, const float *x,
    const float *wq[2], int NQ, int64_t cb0, int64_t oh0, int64_t oh1,
    int64_t KH, int64_t KW, int64_t SW, OviActivation act, gboolean sum,
    const OviV8Store *st, const float *res, float *y)
{
  OVI_V16_STORE_BOUNDS (st, a16, b16);
  int64_t taps = KH * KW, plane = d->oh * d->ow, lo, hi;

  ovi_conv_interior_range (d->ow, d->w, SW, -d->pw, (KW - 1) * d->dw, &lo,
      &hi);
  for (int64_t oh = oh0; oh < oh1; oh++) {
    int64_t ih0 = oh * d->sh - d->ph, ow = 0;
    gboolean inside = ih0 >= 0 && ih0 + (KH - 1) * d->dh < d->h;
    if (inside) {
      for (; ow < lo; ow++)
        for (int h = 0; h < NQ; h++)
          dir_edge_pixel (d, c, x, wq[h], 2, cb0 + 2 * h, oh, ow, act, sum,
              st, res, y);
      for (; ow + DIZ_PIXELS <= hi; ow += DIZ_PIXELS)
        DIZ_BLOCK (DIZ_PIXELS);
      switch (hi - ow) {
        case 11: DIZ_BLOCK (11); break;
        case 10: DIZ_BLOCK (10); break;
        case 9: DIZ_BLOCK (9); break;
        case 8: DIZ_BLOCK (8); break;
        case 7: DIZ_BLOCK (7); break;
        case 6: DIZ_BLOCK (6); break;
        case 5: DIZ_BLOCK (5); break;
        case 4: DIZ_BLOCK (4); break;
        case 3: DIZ_BLOCK (3); break;
        case 2: DIZ_BLOCK (2); break;
        case 1: DIZ_BLOCK (1); break;
        default: break;
      }
      ow = MAX (ow, hi);
    }
    for (; ow < d->ow; ow++)
      for (int h = 0; h < NQ; h++)
        dir_edge_pixel (d, c, x, wq[h], 2, cb0 + 2 * h, oh, ow, act, sum,
            st, res, y);
  }
}

/* As dir_body, two whole panels at a time; a last panel of eight
 * channels takes the AVX2 block. */
__attribute__((target ("avx512f,avx512vl,avx512dq,avx512bw,avx2,fma")))
static void
dir_avx512 (const OviDepthwise *d, int64_t c, int64_t m, const float *x,
    const float *packed, const OviV8Store *st, const float *res, float *y,
    int64_t q0, int64_t q1, int64_t oh0, int64_t oh1)
{
  int64_t k = c * d->kh * d->kw;
  for (int64_t q = q0; q < q1;) {
    const float *wq[2] = { packed + q * (k + 1) * DIR_PANEL,
      packed + (q + 1) * (k + 1) * DIR_PANEL };
    int64_t cb0 = q * DIR_PANEL / OVI_BLOCK;
    int nq = q + 1 < q1 && m - q * DIR_PANEL >= 2 * DIR_PANEL ? 2 : 1;
    if (m - q * DIR_PANEL < DIR_PANEL) {
      dir_body (d, c, m, x, packed, st, res, y, q, q + 1, oh0, oh1);
      q++;
      continue;
    }
#define DIZ_RUN(ACT, SUM) G_STMT_START {                                    \
      if (OVI_SPECIALIZE (d->kh == 3 && d->kw == 3 && d->sw == 2            \
              && nq == 2))                                                  \
        diz_rows (d, c, x, wq, 2, cb0, oh0, oh1, 3, 3, 2, ACT, SUM, st,     \
            res, y);                                                        \
      else if (OVI_SPECIALIZE (d->kh == 7 && d->kw == 7 && d->sw == 2       \
              && nq == 2))                                                  \
        diz_rows (d, c, x, wq, 2, cb0, oh0, oh1, 7, 7, 2, ACT, SUM, st,     \
            res, y);                                                        \
      else if (nq == 2)                                                     \
        diz_rows (d, c, x, wq, 2, cb0, oh0, oh1, d->kh, d->kw, d->sw, ACT,  \
            SUM, st, res, y);                                               \
      else                                                                  \
        diz_rows (d, c, x, wq, 1, cb0, oh0, oh1, d->kh, d->kw, d->sw, ACT,  \
            SUM, st, res, y);                                               \
    } G_STMT_END
    OVI_V8_STORE_CASES (st, DIZ_RUN);
#undef DIZ_RUN
    q += nq;
  }
}
#endif

void
ovi_blocked_direct_padded (const OviDepthwise *d, OviDepthwise *pad)
{
  *pad = *d;
  pad->h = d->oh > 0 ? (d->oh - 1) * d->sh + (d->kh - 1) * d->dh + 1 : 0;
  pad->w = d->ow > 0 ? (d->ow - 1) * d->sw + (d->kw - 1) * d->dw + 1 : 0;
  pad->ph = 0;
  pad->pw = 0;
}

void
ovi_blocked_direct_pad (const OviDepthwise *d, const float *x, float *xp,
    int64_t c0, int64_t c1)
{
  OviDepthwise p;
  /* columns [lo, hi) of a padded row come from the image */
  int64_t lo, hi;
  ovi_blocked_direct_padded (d, &p);
  lo = MIN (d->pw, p.w);
  hi = MAX (lo, MIN (p.w, d->pw + d->w));
  for (int64_t ci = c0; ci < c1; ci++)
    for (int64_t iy = 0; iy < p.h; iy++) {
      float *row = xp + (ci * p.h + iy) * p.w;
      int64_t sy = iy - d->ph;
      if (sy < 0 || sy >= d->h || hi == lo) {
        memset (row, 0, sizeof (float) * p.w);
        continue;
      }
      memset (row, 0, sizeof (float) * lo);
      memcpy (row + lo, x + (ci * d->h + sy) * d->w + lo - d->pw,
          sizeof (float) * (hi - lo));
      memset (row + hi, 0, sizeof (float) * (p.w - hi));
    }
}

void
ovi_blocked_direct_rows (const OviDepthwise *d, int64_t c, int64_t m,
    const float *x, const float *packed, const OviPostOps *ops,
    const float *res, float *y, int64_t oh0, int64_t oh1)
{
  OviV8Store st;
  gboolean at_store = ovi_v8_store_init (&st, ops);
  int64_t panels = ovi_blocked_pointwise_panels (m);

  if (oh0 >= oh1)
    return;
#if defined(__x86_64__) || defined(__i386__)
  if (ovi_cpu_have_avx512 ())
    dir_avx512 (d, c, m, x, packed, &st, res, y, 0, panels, oh0, oh1);
  else if (ovi_sgemm_have_avx2 ())
    dir_avx2 (d, c, m, x, packed, &st, res, y, 0, panels, oh0, oh1);
  else
#endif
    dir_generic (d, c, m, x, packed, &st, res, y, 0, panels, oh0, oh1);
  if (!at_store && ops && ovi_postops_any (ops))
    ovi_blocked_postops_apply (ops, y, res, d->oh * d->ow, 0, m / OVI_BLOCK,
        oh0 * d->ow, oh1 * d->ow);
}
