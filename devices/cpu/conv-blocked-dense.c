/* See conv-blocked.h: a dense (one group) convolution of any kernel
 * size, stride and dilation from a blocked input into a blocked output,
 * ResNet's 3x3 and strided 1x1 convolutions. The micro-kernel is the
 * 1x1's: six output pixels by a panel of sixteen output channels make
 * twelve accumulators, and each input (channel block, tap, channel of
 * the block) adds the panel's sixteen weights times each pixel's input
 * value, broadcast. The six pixels are consecutive in the output plane,
 * wrapping from one row to the next, each with its own input offset, so
 * that narrow planes (ResNet's 7x7, the face models' 4x4) keep the kernel
 * full. Padding is a zero border around a copy of the input, made once
 * per image, so that no tap is ever checked. Compiled for the baseline
 * target and for AVX2+FMA, chosen at run time. */
#include <string.h>

#include "conv-blocked.h"
#include "cpu-sgemm.h"
#include "cpu-store-v16.h"
#include "cpu-store-v8.h"
#include "cpu-v16.h"

/* The vector helpers pass 32-byte vectors by value, which gcc warns
 * changes the calling convention between AVX and non-AVX code; they are
 * all always_inline, so no such call is ever made. */
#pragma GCC diagnostic ignored "-Wpsabi"

#define DNS_PANEL 16
#define DNS_PIXELS 6

/* Rows (or columns) of input the outputs read. */
static int64_t
dns_extent (int64_t out, int64_t s, int64_t k, int64_t dil)
{
  return out > 0 ? (out - 1) * s + (k - 1) * dil + 1 : 0;
}

gboolean
ovi_blocked_dense_needs_padding (const OviDepthwise *d)
{
  return d->ph > 0 || d->pw > 0
      || dns_extent (d->oh, d->sh, d->kh, d->dh) > d->h
      || dns_extent (d->ow, d->sw, d->kw, d->dw) > d->w;
}

/* The plane the kernel reads: the input's own when read in place (its
 * stride), else the padded copy's. */
static void
dns_padded_plane (const OviDepthwise *d, int64_t *hx, int64_t *wx)
{
  if (!ovi_blocked_dense_needs_padding (d)) {
    *hx = d->h;
    *wx = d->w;
    return;
  }
  *hx = dns_extent (d->oh, d->sh, d->kh, d->dh);
  *wx = dns_extent (d->ow, d->sw, d->kw, d->dw);
}

int64_t
ovi_blocked_dense_padded_floats (const OviDepthwise *d, int64_t c)
{
  int64_t hx, wx;
  if (!ovi_blocked_dense_needs_padding (d))
    return 0;
  dns_padded_plane (d, &hx, &wx);
  return c * hx * wx;
}

void
ovi_blocked_dense_pad (const OviDepthwise *d, const float *x, float *xp,
    int64_t cb0, int64_t cb1)
{
  int64_t hx, wx;
  /* input columns [lo, hi) of the padded row come from the image */
  int64_t lo, hi;
  dns_padded_plane (d, &hx, &wx);
  lo = MIN (d->pw, wx);
  hi = MIN (wx, d->pw + d->w);
  for (int64_t cb = cb0; cb < cb1; cb++)
    for (int64_t iy = 0; iy < hx; iy++) {
      float *row = xp + (cb * hx + iy) * wx * OVI_BLOCK;
      int64_t sy = iy - d->ph;
      if (sy < 0 || sy >= d->h || hi <= lo) {
        memset (row, 0, sizeof (float) * wx * OVI_BLOCK);
        continue;
      }
      memset (row, 0, sizeof (float) * lo * OVI_BLOCK);
      memcpy (row + lo * OVI_BLOCK,
          x + ((cb * d->h + sy) * d->w + lo - d->pw) * OVI_BLOCK,
          sizeof (float) * (hi - lo) * OVI_BLOCK);
      memset (row + hi * OVI_BLOCK, 0, sizeof (float) * (wx - hi)
          * OVI_BLOCK);
    }
}

gboolean
ovi_blocked_dense_subsamples (const OviDepthwise *d)
{
  return d->kh == 1 && d->kw == 1 && (d->sh > 1 || d->sw > 1)
      && !ovi_blocked_dense_needs_padding (d);
}

void
ovi_blocked_dense_subsample (const OviDepthwise *d, const float *x,
    float *xs, int64_t cb0, int64_t cb1)
{
  for (int64_t cb = cb0; cb < cb1; cb++)
    for (int64_t oy = 0; oy < d->oh; oy++) {
      const float *src = x + (cb * d->h + oy * d->sh) * d->w * OVI_BLOCK;
      float *dst = xs + (cb * d->oh + oy) * d->ow * OVI_BLOCK;
      for (int64_t ox = 0; ox < d->ow; ox++)
        memcpy (dst + ox * OVI_BLOCK, src + ox * d->sw * OVI_BLOCK,
            sizeof (float) * OVI_BLOCK);
    }
}

int64_t
ovi_blocked_dense_packed_floats (const OviDepthwise *d, int64_t c,
    int64_t m)
{
  return ovi_blocked_pointwise_packed_floats (c * d->kh * d->kw, m);
}

void
ovi_blocked_dense_pack (const OviDepthwise *d, int64_t c, int64_t m,
    const float *w, const float *bias, float *packed)
{
  /* w [m][c][kh][kw] as a 1x1's weights over inputs ordered (channel
   * block, tap, channel of the block), the order the kernel reads */
  int64_t taps = d->kh * d->kw, k = c * taps;
  float *t = g_new (float, MAX (m * k, 1));
  for (int64_t o = 0; o < m; o++)
    for (int64_t ci = 0; ci < c; ci++)
      for (int64_t tap = 0; tap < taps; tap++)
        t[o * k + ((ci / OVI_BLOCK) * taps + tap) * OVI_BLOCK
            + ci % OVI_BLOCK] = w[(o * c + ci) * taps + tap];
  ovi_blocked_pointwise_pack (k, m, t, bias, packed);
  g_free (t);
}

/* NP pixels from p: their input offsets in off[], NB channel blocks of
 * the panel wp; KH, KW, DW constants where instantiated. */
#define DNS_BLOCK(NP) G_STMT_START {                                        \
    V8f acc[NP][2];                                                         \
    const float *bias = wp + k * NB * OVI_BLOCK;                            \
    for (int r = 0; r < (NP); r++)                                          \
      for (int h = 0; h < NB; h++)                                          \
        acc[r][h] = ovi_v8_load (bias + h * OVI_BLOCK);                     \
    for (int64_t ib = 0; ib < cblocks; ib++) {                              \
      const float *xb = x + ib * in_plane;                                  \
      const float *wb = wp + ib * (KH) * (KW) * OVI_BLOCK * NB * OVI_BLOCK; \
      for (int64_t kh = 0; kh < (KH); kh++)                                 \
        for (int64_t kw = 0; kw < (KW); kw++) {                             \
          const float *xt = xb + (kh * row_step + kw * (DW)) * OVI_BLOCK;   \
          const float *wt = wb + (kh * (KW) + kw) * OVI_BLOCK * NB          \
              * OVI_BLOCK;                                                  \
          for (int j = 0; j < OVI_BLOCK; j++) {                             \
            V8f w0 = ovi_v8_load (wt + j * NB * OVI_BLOCK);                 \
            V8f w1 = NB > 1 ? ovi_v8_load (wt + (j * NB + 1) * OVI_BLOCK)   \
                : w0;                                                       \
            for (int r = 0; r < (NP); r++) {                                \
              float xs = xt[off[r] + j];                                    \
              acc[r][0] += xs * w0;                                         \
              if (NB > 1)                                                   \
                acc[r][1] += xs * w1;                                       \
            }                                                               \
          }                                                                 \
        }                                                                   \
    }                                                                       \
    for (int h = 0; h < NB; h++)                                            \
      for (int r = 0; r < (NP); r++) {                                      \
        int64_t o = ((cb0 + h) * plane + p + r) * OVI_BLOCK;                \
        ovi_v8_store_as (act, sum, a, b, acc[r][h], sum ? res + o : NULL,   \
            y + o, OVI_BLOCK);                                              \
      }                                                                     \
  } G_STMT_END

/* Output pixels [p0, p1) of one panel. */
static inline __attribute__((always_inline)) void
dns_panel (const OviDepthwise *d, int64_t c, int64_t hx, int64_t wx,
    const float *x, const float *wp, int NB, int64_t cb0, int64_t KH,
    int64_t KW, int64_t DW, OviActivation act, gboolean sum, V8f a, V8f b,
    const float *res, float *y, int64_t p0, int64_t p1)
{
  int64_t plane = d->oh * d->ow, in_plane = hx * wx * OVI_BLOCK;
  int64_t cblocks = c / OVI_BLOCK, k = c * KH * KW;
  int64_t row_step = d->dh * wx;
  int64_t oh = p0 / d->ow, ow = p0 % d->ow;

  for (int64_t p = p0; p < p1; p += DNS_PIXELS) {
    int64_t off[DNS_PIXELS];
    int np = (int) MIN (DNS_PIXELS, p1 - p);
    for (int r = 0; r < np; r++) {
      off[r] = (oh * d->sh * wx + ow * d->sw) * OVI_BLOCK;
      if (++ow == d->ow) {
        ow = 0;
        oh++;
      }
    }
    switch (np) {
      case 6: DNS_BLOCK (6); break;
      case 5: DNS_BLOCK (5); break;
      case 4: DNS_BLOCK (4); break;
      case 3: DNS_BLOCK (3); break;
      case 2: DNS_BLOCK (2); break;
      default: DNS_BLOCK (1); break;
    }
  }
}

static inline __attribute__((always_inline)) void
dns_body (const OviDepthwise *d, int64_t c, int64_t m, int64_t hx,
    int64_t wx, const float *x, const float *packed, const OviV8Store *st,
    const float *res, float *y, int64_t q, int64_t p0, int64_t p1)
{
  V8f a = st->a, b = st->b;
  int64_t k = c * d->kh * d->kw;
  /* panel q as ovi_blocked_pointwise_pack lays it out for k inputs */
  const float *wp = packed + q * (k + 1) * DNS_PANEL;
  int64_t cb0 = q * DNS_PANEL / OVI_BLOCK;
  int NB = m - q * DNS_PANEL >= DNS_PANEL ? 2 : 1;
  gboolean undilated = d->dh == 1 && d->dw == 1;
#define DNS_RUN(ACT, SUM) G_STMT_START {                                    \
    if (OVI_SPECIALIZE (d->kh == 3 && d->kw == 3 && undilated && NB == 2))  \
      dns_panel (d, c, hx, wx, x, wp, 2, cb0, 3, 3, 1, ACT, SUM, a, b, res, \
          y, p0, p1);                                                       \
    else if (OVI_SPECIALIZE (d->kh == 1 && d->kw == 1 && NB == 2))          \
      dns_panel (d, c, hx, wx, x, wp, 2, cb0, 1, 1, 1, ACT, SUM, a, b, res, \
          y, p0, p1);                                                       \
    else                                                                    \
      dns_panel (d, c, hx, wx, x, wp, NB, cb0, d->kh, d->kw, d->dw, ACT,    \
          SUM, a, b, res, y, p0, p1);                                       \
  } G_STMT_END
  OVI_V8_STORE_CASES (st, DNS_RUN);
#undef DNS_RUN
}

static void
dns_generic (const OviDepthwise *d, int64_t c, int64_t m, int64_t hx,
    int64_t wx, const float *x, const float *packed, const OviV8Store *st,
    const float *res, float *y, int64_t q, int64_t p0, int64_t p1)
{
  dns_body (d, c, m, hx, wx, x, packed, st, res, y, q, p0, p1);
}

#if defined(__x86_64__) || defined(__i386__)
__attribute__((target ("avx2,fma")))
static void
dns_avx2 (const OviDepthwise *d, int64_t c, int64_t m, int64_t hx,
    int64_t wx, const float *x, const float *packed, const OviV8Store *st,
    const float *res, float *y, int64_t q, int64_t p0, int64_t p1)
{
  dns_body (d, c, m, hx, wx, x, packed, st, res, y, q, p0, p1);
}
#endif

#if defined(__x86_64__) || defined(__i386__)
/* AVX-512: as the 1x1's (conv-blocked-1x1.c), a register holds a whole
 * panel and a block covers two panels by DNZ_PIXELS pixels, 24
 * accumulators; a register's halves go to two output channel blocks. */
#define DNZ_PIXELS 12

/* NP pixels from p, their input offsets in off[], NQ (1 or 2) whole
 * panels from wq[]; KH, KW, DW constants where instantiated. */
#define DNZ_BLOCK(NP, NQ) G_STMT_START {                                    \
    V16f acc[NP][2];                                                        \
    /* the outputs from one offset, the channel blocks a plane (ps)     */  \
    /* apart (as the 1x1's block) */                                        \
    int64_t o0 = (cb0 * plane + p) * OVI_BLOCK, ps = plane * OVI_BLOCK;     \
    for (int h = 0; h < (NQ); h++) {                                        \
      V16f bv = ovi_v16_load (wq[h] + k * DNS_PANEL);                       \
      for (int r = 0; r < (NP); r++)                                        \
        acc[r][h] = bv;                                                     \
    }                                                                       \
    for (int64_t ib = 0; ib < cblocks; ib++) {                              \
      const float *xb = x + ib * in_plane;                                  \
      int64_t wb = ib * (KH) * (KW) * OVI_BLOCK * DNS_PANEL;                \
      for (int64_t kh = 0; kh < (KH); kh++)                                 \
        for (int64_t kw = 0; kw < (KW); kw++) {                             \
          const float *xt = xb + (kh * row_step + kw * (DW)) * OVI_BLOCK;   \
          int64_t wt = wb + (kh * (KW) + kw) * OVI_BLOCK * DNS_PANEL;       \
          for (int j = 0; j < OVI_BLOCK; j++) {                             \
            V16f wv[2];                                                     \
            for (int h = 0; h < (NQ); h++)                                  \
              wv[h] = ovi_v16_load (wq[h] + wt + j * DNS_PANEL);            \
            for (int r = 0; r < (NP); r++) {                                \
              float xs = xt[off[r] + j];                                    \
              for (int h = 0; h < (NQ); h++)                                \
                acc[r][h] += xs * wv[h];                                    \
            }                                                               \
          }                                                                 \
        }                                                                   \
    }                                                                       \
    for (int h = 0; h < (NQ); h++)                                          \
      for (int r = 0; r < (NP); r++) {                                      \
        const float *rb = sum ? res + o0 + 2 * h * ps + r * OVI_BLOCK       \
            : NULL;                                                         \
        acc[r][h] = ovi_v16_post_halves (act, sum, a16, b16, acc[r][h],     \
            rb, sum ? rb + ps : NULL);                                      \
      }                                                                     \
    for (int h = 0; h < (NQ); h++)                                          \
      for (int half = 0; half < 2; half++) {                                \
        float *yb = y + o0 + (2 * h + half) * ps;                           \
        for (int r = 0; r < (NP); r++)                                      \
          ovi_v16_store_half (acc[r][h], half, yb + r * OVI_BLOCK);         \
      }                                                                     \
  } G_STMT_END

/* Output pixels [p0, p1) of NQ whole panels from wq[0]. */
static inline __attribute__((always_inline)) void
dnz_panels (const OviDepthwise *d, int64_t c, int64_t hx, int64_t wx,
    const float *x, const float *wq[2], int NQ, int64_t cb0, int64_t KH,
    int64_t KW, int64_t DW, OviActivation act, gboolean sum,
    const OviV8Store *st, const float *res, float *y, int64_t p0, int64_t p1)
{
  OVI_V16_STORE_BOUNDS (st, a16, b16);
  int64_t plane = d->oh * d->ow, in_plane = hx * wx * OVI_BLOCK;
  int64_t cblocks = c / OVI_BLOCK, k = c * KH * KW;
  int64_t row_step = d->dh * wx;
  int64_t oh = p0 / d->ow, ow = p0 % d->ow;

  int64_t tiles = (p1 - p0 + DNZ_PIXELS - 1) / DNZ_PIXELS, t = 0;

  /* blocks as even as the range allows (as the 1x1's) */
  for (int64_t p = p0, np; p < p1; p += np, t++) {
    int64_t off[DNZ_PIXELS];
    np = (p1 - p + tiles - t - 1) / (tiles - t);
    for (int r = 0; r < np; r++) {
      off[r] = (oh * d->sh * wx + ow * d->sw) * OVI_BLOCK;
      if (++ow == d->ow) {
        ow = 0;
        oh++;
      }
    }
    switch (np) {
      case 12: DNZ_BLOCK (12, NQ); break;
      case 11: DNZ_BLOCK (11, NQ); break;
      case 10: DNZ_BLOCK (10, NQ); break;
      case 9: DNZ_BLOCK (9, NQ); break;
      case 8: DNZ_BLOCK (8, NQ); break;
      case 7: DNZ_BLOCK (7, NQ); break;
      case 6: DNZ_BLOCK (6, NQ); break;
      case 5: DNZ_BLOCK (5, NQ); break;
      case 4: DNZ_BLOCK (4, NQ); break;
      case 3: DNZ_BLOCK (3, NQ); break;
      case 2: DNZ_BLOCK (2, NQ); break;
      default: DNZ_BLOCK (1, NQ); break;
    }
  }
}

/* Pixels [p0, p1) of the panels from q: two when both are whole, else
 * one (a last panel of eight channels takes the AVX2 block). Returns the
 * panels done. */
__attribute__((target ("avx512f,avx512vl,avx512dq,avx512bw,avx2,fma")))
static int
dns_avx512 (const OviDepthwise *d, int64_t c, int64_t m, int64_t hx,
    int64_t wx, const float *x, const float *packed, const OviV8Store *st,
    const float *res, float *y, int64_t q, int64_t p0, int64_t p1)
{
  int64_t k = c * d->kh * d->kw, cb0 = q * DNS_PANEL / OVI_BLOCK;
  const float *wq[2] = { packed + q * (k + 1) * DNS_PANEL,
    packed + (q + 1) * (k + 1) * DNS_PANEL };
  gboolean undilated = d->dh == 1 && d->dw == 1;
  int nq = m - q * DNS_PANEL >= 2 * DNS_PANEL ? 2 : 1;

  if (m - q * DNS_PANEL < DNS_PANEL) {
    dns_body (d, c, m, hx, wx, x, packed, st, res, y, q, p0, p1);
    return 1;
  }
#define DNZ_RUN(ACT, SUM) G_STMT_START {                                    \
    if (OVI_SPECIALIZE (d->kh == 3 && d->kw == 3 && undilated && nq == 2))  \
      dnz_panels (d, c, hx, wx, x, wq, 2, cb0, 3, 3, 1, ACT, SUM, st, res,  \
          y, p0, p1);                                                       \
    else if (OVI_SPECIALIZE (d->kh == 1 && d->kw == 1 && nq == 2))          \
      dnz_panels (d, c, hx, wx, x, wq, 2, cb0, 1, 1, 1, ACT, SUM, st, res,  \
          y, p0, p1);                                                       \
    else if (nq == 2)                                                       \
      dnz_panels (d, c, hx, wx, x, wq, 2, cb0, d->kh, d->kw, d->dw, ACT,    \
          SUM, st, res, y, p0, p1);                                         \
    else                                                                    \
      dnz_panels (d, c, hx, wx, x, wq, 1, cb0, d->kh, d->kw, d->dw, ACT,    \
          SUM, st, res, y, p0, p1);                                         \
  } G_STMT_END
  OVI_V8_STORE_CASES (st, DNZ_RUN);
#undef DNZ_RUN
  return nq;
}
#define DNS_AVX512 1
#else
#define DNS_AVX512 0
#endif

/* Work items: (group of panels, block of pixels), groups of one panel
 * by DNS_PIXELS, or of two by DNZ_PIXELS with AVX-512. */
static void
dns_items_shape (int *group, int64_t *pixels)
{
  *group = 1;
  *pixels = DNS_PIXELS;
#if DNS_AVX512
  if (ovi_cpu_have_avx512 ()) {
    *group = 2;
    *pixels = DNZ_PIXELS;
  }
#endif
}

int64_t
ovi_blocked_dense_blocks (const OviDepthwise *d, int64_t m)
{
  int group;
  int64_t pixels;
  dns_items_shape (&group, &pixels);
  return (d->oh * d->ow + pixels - 1) / pixels;
}

int64_t
ovi_blocked_dense_items (const OviDepthwise *d, int64_t m)
{
  int group;
  int64_t pixels;
  dns_items_shape (&group, &pixels);
  return (ovi_blocked_pointwise_panels (m) + group - 1) / group
      * ovi_blocked_dense_blocks (d, m);
}

void
ovi_blocked_dense_range (const OviDepthwise *d, int64_t c, int64_t m,
    const float *x, const float *packed, const OviPostOps *ops,
    const float *res, float *y, int64_t item0, int64_t item1)
{
  OviV8Store st;
  gboolean at_store = ovi_v8_store_init (&st, ops);
  int64_t plane = d->oh * d->ow, panels = ovi_blocked_pointwise_panels (m);
  int64_t blocks, pixels, hx, wx;
  int group;

  dns_items_shape (&group, &pixels);
  blocks = ovi_blocked_dense_blocks (d, m);
  dns_padded_plane (d, &hx, &wx);
  while (item0 < item1) {
    int64_t q = item0 / blocks * group, b0 = item0 % blocks;
    int64_t b1 = MIN (blocks, b0 + (item1 - item0));
    /* block b starts at pixel b x plane / blocks: blocks as even as
     * they can be, each at most `pixels` */
    int64_t p0 = b0 * plane / blocks, p1 = b1 * plane / blocks;
    int64_t q1 = MIN (panels, q + group);
    for (int64_t qq = q; qq < q1;) {
#if DNS_AVX512
      if (group == 2) {
        qq += dns_avx512 (d, c, m, hx, wx, x, packed, &st, res, y, qq, p0,
            p1);
        continue;
      }
#endif
#if defined(__x86_64__) || defined(__i386__)
      if (ovi_sgemm_have_avx2 ())
        dns_avx2 (d, c, m, hx, wx, x, packed, &st, res, y, qq, p0, p1);
      else
#endif
        dns_generic (d, c, m, hx, wx, x, packed, &st, res, y, qq, p0, p1);
      qq++;
    }
    if (!at_store && ops && ovi_postops_any (ops))
      ovi_blocked_postops_apply (ops, y, res, plane, q * DNS_PANEL
          / OVI_BLOCK, MIN (m, q1 * DNS_PANEL) / OVI_BLOCK, p0, p1);
    item0 += b1 - b0;
  }
}
