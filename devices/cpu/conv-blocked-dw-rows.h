/* The blocked depthwise kernels' row helpers (conv-blocked.h), shared by
 * conv-blocked-dw.c (the baseline and AVX2+FMA builds, chosen by target
 * attributes) and conv-blocked-dw-avx512.c (compiled for AVX-512 as a
 * whole file: its masked loads and these vector helpers then share one
 * target, which clang requires of every call that passes vectors). */
#ifndef OVI_CONV_BLOCKED_DW_ROWS_H
#define OVI_CONV_BLOCKED_DW_ROWS_H

#include "conv-blocked.h"
#include "conv-range.h"
#include "cpu-store-v8.h"

/* The vector helpers pass 32-byte vectors by value, which gcc warns
 * changes the calling convention between AVX and non-AVX code; they are
 * all always_inline, so no such call is ever made. */
#pragma GCC diagnostic ignored "-Wpsabi"

/* Pixels computed at once in the interior: independent FMA chains to
 * cover the FMA latency, and input pixels loaded once for several taps;
 * with a tap row's weights (five at most) they fill the registers. */
#define DWB_PIXELS 4

/* The largest shape with an unrolled interior (5x5). */
#define DWB_MAX_KH 5
#define DWB_MAX_KW 5
#define DWB_MAX_TAPS 25

/* Where input row ih (0 <= ih < d->h <= ring) lies: row (row0 + ih) %
 * ring of a ring of rows (the fused 1x1 and depthwise's window), row0 <
 * ring; a plain input is a ring that never wraps (row0 0, ring
 * G_MAXINT64). */
static inline int64_t
dwb_row (int64_t ih, int64_t row0, int64_t ring)
{
  int64_t r = ih + row0;
  return r >= ring ? r - ring : r;
}

/* Pixels [ow0, ow1) of output row oh, any of them at an edge: each tap
 * checked. */
static inline __attribute__((always_inline)) void
dwb_edge_pixels (const OviDepthwise *d, const float *xc, int64_t row0,
    int64_t ring, const float *wb, int64_t oh, int64_t ow0, int64_t ow1,
    OviActivation act, gboolean sum, V8f a, V8f b, const float *resc,
    float *yc)
{
  int64_t taps = d->kh * d->kw;
  V8f bias = ovi_v8_load (wb + taps * OVI_BLOCK);
  for (int64_t ow = ow0; ow < ow1; ow++) {
    V8f acc = bias;
    int64_t o = (oh * d->ow + ow) * OVI_BLOCK;
    for (int64_t kh = 0; kh < d->kh; kh++) {
      int64_t ih = oh * d->sh - d->ph + kh * d->dh;
      if (ih < 0 || ih >= d->h)
        continue;
      for (int64_t kw = 0; kw < d->kw; kw++) {
        int64_t iw = ow * d->sw - d->pw + kw * d->dw;
        if (iw < 0 || iw >= d->w)
          continue;
        acc += ovi_v8_load (wb + (kh * d->kw + kw) * OVI_BLOCK)
            * ovi_v8_load (xc + (dwb_row (ih, row0, ring) * d->w + iw)
                * OVI_BLOCK);
      }
    }
    ovi_v8_store_as (act, sum, a, b, acc, sum ? resc + o : NULL, yc + o,
        OVI_BLOCK);
  }
}

/* NP pixels from ow of a row whose taps all lie inside: KH, KW and SW
 * constants where the caller instantiates them, rows[kh] the input row
 * of tap row kh. Per tap row, each input pixel the block reads is loaded
 * once and used by every (pixel, tap) pair it serves: 8 pixels of a 3x3
 * stride-1 row load 10 vectors for 24 FMAs, not 24. */
#define DWB_PIXEL_BLOCK(NP) G_STMT_START {                                  \
    V8f acc[NP];                                                            \
    int64_t o = (oh * d->ow + ow) * OVI_BLOCK;                              \
    for (int k = 0; k < (NP); k++)                                          \
      acc[k] = bias;                                                        \
    for (int64_t kh = 0; kh < (KH); kh++) {                                 \
      V8f wt[DWB_MAX_KW];                                                   \
      const float *src = rows[kh] + ow * (SW) * OVI_BLOCK;                  \
      for (int64_t kw = 0; kw < (KW); kw++)                                 \
        wt[kw] = w[kh * (KW) + kw];                                         \
      for (int64_t j = 0; j < ((NP) - 1) * (SW) + ((KW) - 1) * DIL + 1;     \
          j++) {                                                            \
        V8f xv = ovi_v8_load (src + j * OVI_BLOCK);                         \
        for (int64_t kw = 0; kw < (KW); kw++) {                             \
          int64_t q = j - kw * DIL;                                         \
          if (q >= 0 && q % (SW) == 0 && q / (SW) < (NP))                   \
            acc[q / (SW)] += wt[kw] * xv;                                   \
        }                                                                   \
      }                                                                     \
    }                                                                       \
    for (int k = 0; k < (NP); k++)                                          \
      ovi_v8_store_as (act, sum, a, b, acc[k],                              \
          sum ? resc + o + k * OVI_BLOCK : NULL, yc + o + k * OVI_BLOCK,    \
          OVI_BLOCK);                                                       \
  } G_STMT_END

/* One pixel ow at a left or right edge of a row: KH, KW, SW and DIL
 * constants, the weights in w, rows[kh] as for DWB_PIXEL_BLOCK (a zero
 * row where the tap row lies in the padding); only the columns checked. */
#define DWB_EDGE_PIXEL(ow) G_STMT_START {                                   \
    V8f acc = bias;                                                         \
    int64_t o = (oh * d->ow + (ow)) * OVI_BLOCK;                            \
    for (int64_t kh = 0; kh < (KH); kh++)                                   \
      for (int64_t kw = 0; kw < (KW); kw++) {                               \
        int64_t iw = (ow) * (SW) - d->pw + kw * DIL;                        \
        if (iw >= 0 && iw < d->w)                                           \
          acc += w[kh * (KW) + kw]                                          \
              * ovi_v8_load (rows[kh] + (iw + d->pw) * OVI_BLOCK);          \
      }                                                                     \
    ovi_v8_store_as (act, sum, a, b, acc, sum ? resc + o : NULL, yc + o,    \
        OVI_BLOCK);                                                         \
  } G_STMT_END

/* Input rows above and below the image (the padding) read as this row
 * of zeros, so that the first and last output rows run the unrolled
 * kernel like the others: on 7x7 and 14x14 planes the edges took the
 * per-tap loop for half or a quarter of the pixels, and it is several
 * times slower. DWB_ZERO_MARGIN pixels before the row cover the left
 * padding the row pointers step back over. */
#define DWB_ZERO_PIXELS 256
#define DWB_ZERO_MARGIN 8
extern const float ovi_blocked_dw_zero_row[(DWB_ZERO_MARGIN
    + DWB_ZERO_PIXELS) * OVI_BLOCK];

/* rows[kh], the input row of tap row kh for the output row whose first
 * tap row is ih0, stepped back over the left padding: a row of the ring,
 * or the zero row where it lies in the padding. */
static inline __attribute__((always_inline)) void
dwb_tap_rows (const OviDepthwise *d, const float *xc, int64_t row0,
    int64_t ring, int64_t ih0, int64_t KH, const float **rows)
{
  for (int64_t kh = 0; kh < KH; kh++) {
    int64_t ih = ih0 + kh * d->dh;
    rows[kh] = ih >= 0 && ih < d->h
        ? xc + (dwb_row (ih, row0, ring) * d->w - d->pw) * OVI_BLOCK
        : ovi_blocked_dw_zero_row + (DWB_ZERO_MARGIN - d->pw) * OVI_BLOCK;
  }
}

static inline __attribute__((always_inline)) void
dwb_rows (const OviDepthwise *d, const float *xc, int64_t row0,
    int64_t ring, const float *wb, int64_t oh0, int64_t oh1, int64_t KH,
    int64_t KW, int64_t SW, int64_t DIL, OviActivation act, gboolean sum,
    V8f a, V8f b, const float *resc, float *yc)
{
  int64_t taps = KH * KW, lo, hi;
  V8f w[DWB_MAX_TAPS], bias = ovi_v8_load (wb + taps * OVI_BLOCK);
  gboolean zero_rows = d->w <= DWB_ZERO_PIXELS && d->pw <= DWB_ZERO_MARGIN;

  ovi_conv_interior_range (d->ow, d->w, SW, -d->pw, (KW - 1) * DIL, &lo,
      &hi);
  for (int64_t t = 0; t < taps; t++)
    w[t] = ovi_v8_load (wb + t * OVI_BLOCK);

  for (int64_t oh = oh0; oh < oh1; oh++) {
    int64_t ih0 = oh * d->sh - d->ph, ow;
    const float *rows[DWB_MAX_KH];
    if (!zero_rows && (ih0 < 0 || ih0 + (KH - 1) * d->dh >= d->h)) {
      dwb_edge_pixels (d, xc, row0, ring, wb, oh, 0, d->ow, act, sum, a, b,
          resc, yc);
      continue;
    }
    dwb_tap_rows (d, xc, row0, ring, ih0, KH, rows);
    for (ow = 0; ow < lo; ow++)
      DWB_EDGE_PIXEL (ow);
    for (ow = lo; ow + DWB_PIXELS <= hi; ow += DWB_PIXELS)
      DWB_PIXEL_BLOCK (DWB_PIXELS);
    for (; ow < hi; ow++)
      DWB_PIXEL_BLOCK (1);
    for (ow = hi; ow < d->ow; ow++)
      DWB_EDGE_PIXEL (ow);
  }
}

static inline __attribute__((always_inline)) void
dwb_body (const OviDepthwise *d, const float *xc, int64_t row0,
    int64_t ring, const float *wb, const OviV8Store *st, const float *resc,
    float *yc, int64_t oh0, int64_t oh1)
{
  V8f a = st->a, b = st->b;
#define DWB_SHAPES(ACT, SUM) G_STMT_START {                                 \
    gboolean k3 = d->kh == 3 && d->kw == 3 && d->dw == 1;                   \
    gboolean k5 = d->kh == 5 && d->kw == 5 && d->dw == 1;                   \
    if (OVI_SPECIALIZE (k3 && d->sw == 1))                                  \
      dwb_rows (d, xc, row0, ring, wb, oh0, oh1, 3, 3, 1, 1,                \
          ACT, SUM, a, b, resc, yc);                                        \
    else if (OVI_SPECIALIZE (k3 && d->sw == 2))                             \
      dwb_rows (d, xc, row0, ring, wb, oh0, oh1, 3, 3, 2, 1,                \
          ACT, SUM, a, b, resc, yc);                                        \
    else if (OVI_SPECIALIZE (k5 && d->sw == 1))                             \
      dwb_rows (d, xc, row0, ring, wb, oh0, oh1, 5, 5, 1, 1,                \
          ACT, SUM, a, b, resc, yc);                                        \
    else if (OVI_SPECIALIZE (k5 && d->sw == 2))                             \
      dwb_rows (d, xc, row0, ring, wb, oh0, oh1, 5, 5, 2, 1,                \
          ACT, SUM, a, b, resc, yc);                                        \
    else if (OVI_SPECIALIZE (d->kh == 5 && d->kw == 5 && d->dw == 2         \
            && d->sw == 1))                                                 \
      dwb_rows (d, xc, row0, ring, wb, oh0, oh1, 5, 5, 1, 2,                \
          ACT, SUM, a, b, resc, yc);                                        \
    else if (OVI_SPECIALIZE (d->kh == 3 && d->kw == 3 && d->dw == 2         \
            && d->sw == 1))                                                 \
      dwb_rows (d, xc, row0, ring, wb, oh0, oh1, 3, 3, 1, 2,                \
          ACT, SUM, a, b, resc, yc);                                        \
    else if (d->kh <= DWB_MAX_KH && d->kw <= DWB_MAX_KW)                    \
      dwb_rows (d, xc, row0, ring, wb, oh0, oh1, d->kh, d->kw, d->sw,       \
          d->dw, ACT, SUM, a, b, resc, yc);                                 \
    else                                                                    \
      for (int64_t oh = oh0; oh < oh1; oh++)                                \
        dwb_edge_pixels (d, xc, row0, ring, wb, oh, 0, d->ow, ACT, SUM, a,  \
            b, resc, yc);                                                   \
  } G_STMT_END
  OVI_V8_STORE_CASES (st, DWB_SHAPES);
#undef DWB_SHAPES
}

/* dwb_body compiled for AVX-512, the 3x3 and 5x5 shapes (stride 1
 * dilated by 1 or 2, and stride 2) in pairs of pixels. Call only where
 * the CPU has AVX-512. */
void ovi_blocked_depthwise_avx512_rows (const OviDepthwise *d,
    const float *xc, int64_t row0, int64_t ring, const float *wb,
    const OviV8Store *st, const float *resc, float *yc, int64_t oh0,
    int64_t oh1);

#endif
