/* See conv-blocked-dw-rows.h: the blocked depthwise convolution's
 * 3x3 and 5x5 rows (stride 1, dilated by 1 or 2, and stride 2) with
 * AVX-512, this whole file compiled for it (meson
 * gives it -mavx512f and the rest, on x86 only) and reached only where
 * the CPU has it. The guard keeps the file empty should another build
 * compile it. */
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

#include "conv-blocked-dw-rows.h"
#include "cpu-store-v16.h"
#include "cpu-v16.h"

/* AVX-512: a register holds two neighbouring output pixels of the
 * channel block (16 consecutive floats of the output), the tap's weights
 * repeated in both halves. At stride 1 the input pixels (j, j + 1) a tap
 * reads for them are one load; at stride 2 they are (j, j + 2), two
 * halves put together (a load and an insert). DWZ_PIXELS pixels make
 * eight independent accumulators, enough to cover the FMA latency. */
#define DWZ_PIXELS 16

/* The input pixels (j, j + SW) from src as one register. */
#define DWZ_INPUT_PAIR(src, j) ((SW) == 1                                   \
    ? ovi_v16_load ((src) + (j) * OVI_BLOCK)                                \
    : (V16f) _mm512_insertf32x8 (_mm512_castps256_ps512 (                  \
            _mm256_loadu_ps ((src) + (j) * OVI_BLOCK)),                     \
        _mm256_loadu_ps ((src) + ((j) + (SW)) * OVI_BLOCK), 1))

/* Tap row kh's FMAs of input pair j (xv) in DWZ_PIXEL_BLOCK: into
 * output pair k at tap kw where j = 2 SW k + kw DIL. */
#define DWZ_SERVES(NP, q) ((q) >= 0 && (q) % (2 * (SW)) == 0                \
    && (q) / (2 * (SW)) < (NP) / 2)
#define DWZ_TAP_FMAS(NP, j, xv) G_STMT_START {                              \
    _Pragma ("GCC unroll 8")                                                \
    for (int64_t kw = 0; kw < (KW); kw++) {                                 \
      int64_t q = (j) - kw * DIL;                                           \
      if (DWZ_SERVES (NP, q))                                               \
        acc[q / (2 * (SW))] += w2[kh * (KW) + kw] * (xv);                   \
    }                                                                       \
  } G_STMT_END

/* Stride 1, one tap row of DWZ_PIXEL_BLOCK: the input pairs that start
 * on a 64-byte line (even j when PH is 0, odd when 1) loaded, each pair
 * between two of them put together from their halves. Loaded as they
 * come, two of a 3x3 row's three taps read pairs across two lines (the
 * padding puts the first tap a pixel before its outputs): 16 channels
 * at 112x112 in L1, 95 -> 111 GFLOPS. */
#define DWZ_ALIGNED_ROW(NP, PH) G_STMT_START {                              \
    V16f prev = { 0 }, next = { 0 };                                        \
    _Pragma ("GCC unroll 40")                                               \
    for (int64_t j = 0; j < (NP) - 2 + (KW); j++) {                         \
      V16f xv;                                                              \
      if ((j + (PH)) % 2 == 0)                                              \
        xv = j > 0 ? next : ovi_v16_load (src + j * OVI_BLOCK);             \
      else if (j > 0 && j + 1 < (NP) - 2 + (KW)) {                          \
        next = ovi_v16_load (src + (j + 1) * OVI_BLOCK);                    \
        xv = __builtin_shufflevector (prev, next, 8, 9, 10, 11, 12, 13, 14, \
            15, 16, 17, 18, 19, 20, 21, 22, 23);                            \
      } else {                                                              \
        xv = ovi_v16_load (src + j * OVI_BLOCK);                            \
        if (j + 1 < (NP) - 2 + (KW))                                        \
          next = ovi_v16_load (src + (j + 1) * OVI_BLOCK);                  \
      }                                                                     \
      DWZ_TAP_FMAS (NP, j, xv);                                             \
      prev = xv;                                                            \
    }                                                                       \
  } G_STMT_END

/* NP (even) pixels from ow of a row whose taps all lie inside, as
 * DWB_PIXEL_BLOCK (SW 1 or 2), w2 the weights twice over. Output pair k
 * (pixels 2k and 2k + 1 of the block) takes tap kw's weights times input
 * pair j = 2 SW k + kw DIL; each input pair is put together once for
 * every tap it serves. */
#define DWZ_PIXEL_BLOCK(NP) G_STMT_START {                                  \
    V16f acc[(NP) / 2];                                                     \
    int64_t o = (oh * d->ow + ow) * OVI_BLOCK;                              \
    _Pragma ("GCC unroll 16")                                               \
    for (int k = 0; k < (NP) / 2; k++)                                      \
      acc[k] = bias2;                                                       \
    /* unrolled: as a loop, every tap row reloaded its weights and    */  \
    /* row; 3x3 interior rows of 512 pixels 115 -> 158 GFLOPS in L1   */  \
    _Pragma ("GCC unroll 8")                                                \
    for (int64_t kh = 0; kh < (KH); kh++) {                                 \
      const float *src = rows[kh] + ow * (SW) * OVI_BLOCK;                  \
      if ((SW) == 1 && DIL == 1) {                                          \
        if (((guintptr) src & 32) == 0)                                     \
          DWZ_ALIGNED_ROW (NP, 0);                                          \
        else                                                                \
          DWZ_ALIGNED_ROW (NP, 1);                                          \
        continue;                                                           \
      }                                                                     \
      _Pragma ("GCC unroll 40")                                             \
      for (int64_t j = 0; j < (SW) * ((NP) - 2) + 1 + ((KW) - 1) * DIL;     \
          j++) {                                                            \
        V16f xv;                                                            \
        gboolean used = FALSE;                                              \
        _Pragma ("GCC unroll 8")                                            \
        for (int64_t kw = 0; kw < (KW); kw++)                               \
          used = used || DWZ_SERVES (NP, j - kw * DIL);                     \
        if (!used)                                                          \
          continue;                                                         \
        xv = DWZ_INPUT_PAIR (src, j);                                       \
        DWZ_TAP_FMAS (NP, j, xv);                                           \
      }                                                                     \
    }                                                                       \
    _Pragma ("GCC unroll 16")                                               \
    for (int k = 0; k < (NP) / 2; k++)                                      \
      ovi_v16_store_as (act, sum, a16, b16, acc[k],                         \
          sum ? resc + o + 2 * k * OVI_BLOCK : NULL,                        \
          yc + o + 2 * k * OVI_BLOCK);                                      \
  } G_STMT_END

/* NPP pairs of pixels from ow where some taps lie outside the row (the
 * edges, and whole rows of narrow planes), as DWZ_PIXEL_BLOCK at stride
 * 1 (only stride 1 takes it: dwz_rows' `masked`), each load masked to
 * the input pixels inside the row: zeros outside, and memory there never
 * touched. A pair from the last column is one pixel,
 * stored as a half. Pixel by pixel with each tap checked, the edges of
 * 14x14 and 7x7 planes (a sixth to a half of their pixels) took most of
 * the time. Column by column, every tap row's load of a column under
 * that column's mask: tap row by tap row, the masks of a row's columns
 * did not fit the mask registers and each load reloaded its own, and
 * 5x5 at 7x7 and 14x14 ran 25-30 % slower. */
#define DWZ_MASKED_PAIRS 4
/* 5x5 rows of at most this many pixels run whole in masked blocks; a
 * masked segment of a row (an edge, or such a row) is at most this long. */
#define DWZ_MASKED_PIXELS 16
/* Mask table entries per segment: its pixels, one past an odd last one,
 * and the reach of a 5-tap row dilated by 2 (one more than the loads
 * read). */
#define DWZ_MASK_COLUMNS (DWZ_MASKED_PIXELS + 1 + (DWB_MAX_KW - 1) * 2)
#define DWZ_MASKED_BLOCK(NPP) G_STMT_START {                                \
    V16f acc[NPP];                                                          \
    _Pragma ("GCC unroll 16")                                               \
    for (int k = 0; k < (NPP); k++)                                         \
      acc[k] = bias2;                                                       \
    _Pragma ("GCC unroll 32")                                               \
    for (int64_t j = 0; j < 2 * ((NPP) - 1) + ((KW) - 1) * DIL + 1; j++) {  \
      __mmask16 m = mseg[ow - seg0 + j];                                    \
      _Pragma ("GCC unroll 8")                                              \
      for (int64_t kh = 0; kh < (KH); kh++) {                               \
        V16f xv = (V16f) _mm512_maskz_loadu_ps (m,                          \
            rows[kh] + (ow + j) * OVI_BLOCK);                               \
        _Pragma ("GCC unroll 8")                                            \
        for (int64_t kw = 0; kw < (KW); kw++) {                             \
          int64_t q = j - kw * DIL;                                         \
          if (q >= 0 && q % 2 == 0 && q / 2 < (NPP))                        \
            acc[q / 2] += w2[kh * (KW) + kw] * xv;                          \
        }                                                                   \
      }                                                                     \
    }                                                                       \
    _Pragma ("GCC unroll 16")                                               \
    for (int k = 0; k < (NPP); k++) {                                       \
      int64_t o = (oh * d->ow + ow + 2 * k) * OVI_BLOCK;                    \
      if (ow + 2 * k + 1 < d->ow)                                           \
        ovi_v16_store_as (act, sum, a16, b16, acc[k],                       \
            sum ? resc + o : NULL, yc + o);                                 \
      else                                                                  \
        ovi_v8_store_as (act, sum, a, b, OVI_V16_HALF (acc[k], 0),          \
            sum ? resc + o : NULL, yc + o, OVI_BLOCK);                      \
    }                                                                       \
  } G_STMT_END

/* The lanes of input pixels iw and iw + 1 that lie in a row of w. */
static inline __attribute__((always_inline)) __mmask16
dwz_inside (int64_t iw, int64_t w)
{
  return (__mmask16) (((guint64) iw < (guint64) w ? 0xff : 0)
      | ((guint64) (iw + 1) < (guint64) w ? 0xff00 : 0));
}

/* Columns [ow, end) of output row oh in masked blocks of up to
 * DWZ_MASKED_PAIRS pairs, as even as they allow. */
#define DWZ_MASKED_RUN(end) G_STMT_START {                                  \
    int64_t pairs_ = ((end) - ow + 1) / 2;                                  \
    while (pairs_ > 0) {                                                    \
      int64_t blocks_ = (pairs_ + DWZ_MASKED_PAIRS - 1) / DWZ_MASKED_PAIRS; \
      int64_t np_ = (pairs_ + blocks_ - 1) / blocks_;                       \
      switch (np_) {                                                        \
        case 1: DWZ_MASKED_BLOCK (1); break;                                \
        case 2: DWZ_MASKED_BLOCK (2); break;                                \
        case 3: DWZ_MASKED_BLOCK (3); break;                                \
        default: DWZ_MASKED_BLOCK (4); break;                               \
      }                                                                     \
      ow += 2 * np_;                                                        \
      pairs_ -= np_;                                                        \
    }                                                                       \
  } G_STMT_END

/* As dwb_rows at stride SW (1 or 2), in pairs of pixels; at stride 1
 * the edges' loads masked. */
static inline __attribute__((always_inline)) void
dwz_rows (const OviDepthwise *d, const float *xc, int64_t row0,
    int64_t ring, const float *wb, int64_t oh0, int64_t oh1, int64_t KH,
    int64_t KW, int64_t SW, int64_t DIL, OviActivation act, gboolean sum,
    const OviV8Store *st, const float *resc, float *yc)
{
  V8f a = st->a, b = st->b;
  OVI_V16_STORE_BOUNDS (st, a16, b16);
  int64_t taps = KH * KW, lo, hi;
  V8f w[DWB_MAX_TAPS], bias = ovi_v8_load (wb + taps * OVI_BLOCK);
  V16f w2[DWB_MAX_TAPS], bias2 = OVI_V16_TWICE (bias);
  gboolean zero_rows = d->w <= DWB_ZERO_PIXELS && d->pw <= DWB_ZERO_MARGIN;
  /* 3x3 rows keep the edges pixel by pixel: their masked pairs measured
   * slower on 7x7 and 14x14 planes, where 5x5's were 1.5 to 2 times as
   * fast; on wider rows 10-15 % faster alone, but EfficientNet-B0's 3x3
   * nodes at 56x56 and 112x112 were 3 % slower in the model (stride 2
   * has no masked edges: its pairs are put together, not loaded) */
  gboolean masked = SW == 1 && KW > 3;
  int64_t edges[2][2] = { { 0, 0 }, { 0, d->ow } };
  __mmask16 masks[2][DWZ_MASK_COLUMNS];

  ovi_conv_interior_range (d->ow, d->w, SW, -d->pw, (KW - 1) * DIL, &lo,
      &hi);
  for (int64_t t = 0; t < taps; t++) {
    w[t] = ovi_v8_load (wb + t * OVI_BLOCK);
    w2[t] = OVI_V16_TWICE (w[t]);
  }
  /* Every row splits the same way: narrow rows whole into masked blocks;
   * wide ones into a masked left edge up to the first pair clear of it,
   * the interior's pairs unmasked, and the rest masked. Each masked
   * segment's loads read their masks from a table of the segment's
   * columns, made here once rather than at each load. */
  edges[0][1] = d->ow <= DWZ_MASKED_PIXELS ? d->ow
      : MIN (d->ow, lo + lo % 2);
  edges[1][0] = edges[0][1] + MAX (0, hi - edges[0][1]) / 2 * 2;
  /* padding wider than the tables (never in a real network), or a
   * reach past them, keeps the edges pixel by pixel */
  masked = masked && (KW - 1) * DIL <= (DWB_MAX_KW - 1) * 2;
  for (int e = 0; e < 2; e++)
    masked = masked && edges[e][1] - edges[e][0] <= DWZ_MASKED_PIXELS;
  for (int e = 0; masked && e < 2; e++) {
    int64_t n = edges[e][1] - edges[e][0];
    for (int64_t j = 0; n > 0 && j < n + 1 + (KW - 1) * DIL; j++)
      masks[e][j] = dwz_inside (edges[e][0] - d->pw + j, d->w);
  }

  for (int64_t oh = oh0; oh < oh1; oh++) {
    int64_t ih0 = oh * d->sh - d->ph, ow;
    const float *rows[DWB_MAX_KH];
    if (!zero_rows && (ih0 < 0 || ih0 + (KH - 1) * d->dh >= d->h)) {
      dwb_edge_pixels (d, xc, row0, ring, wb, oh, 0, d->ow, act, sum, a, b,
          resc, yc);
      continue;
    }
    dwb_tap_rows (d, xc, row0, ring, ih0, KH, rows);
    if (!masked)
      for (ow = 0; ow < lo; ow++)
        DWB_EDGE_PIXEL (ow);
    ow = masked ? edges[0][1] : lo;
    /* the interior's pairs in blocks as even as they allow: 27 pairs
     * (56 pixels' interior) as 7 + 7 + 7 + 6, not 8 + 8 + 8 + 2 + 1,
     * whose small blocks' one or two accumulators wait on the FMA
     * latency through all the taps */
    for (int64_t left = (hi - ow) / 2; left > 0;) {
      int64_t blocks = (left + DWZ_PIXELS / 2 - 1) / (DWZ_PIXELS / 2);
      int64_t np = 2 * ((left + blocks - 1) / blocks);
      switch (np) {
        case 16: DWZ_PIXEL_BLOCK (16); break;
        case 14: DWZ_PIXEL_BLOCK (14); break;
        case 12: DWZ_PIXEL_BLOCK (12); break;
        case 10: DWZ_PIXEL_BLOCK (10); break;
        case 8: DWZ_PIXEL_BLOCK (8); break;
        case 6: DWZ_PIXEL_BLOCK (6); break;
        case 4: DWZ_PIXEL_BLOCK (4); break;
        default: DWZ_PIXEL_BLOCK (2); break;
      }
      ow += np;
      left -= np / 2;
    }
    if (!masked) {
      for (; ow < hi; ow++)
        DWB_PIXEL_BLOCK (1);
      for (ow = hi; ow < d->ow; ow++)
        DWB_EDGE_PIXEL (ow);
    }
    for (int e = 0; masked && e < 2; e++) {
      const __mmask16 *mseg = masks[e];
      int64_t seg0 = edges[e][0];
      ow = seg0;
      DWZ_MASKED_RUN (edges[e][1]);
    }
  }
}

void
ovi_blocked_depthwise_avx512_rows (const OviDepthwise *d, const float *xc,
    int64_t row0, int64_t ring, const float *wb, const OviV8Store *st,
    const float *resc, float *yc, int64_t oh0, int64_t oh1)
{
  gboolean k3 = d->kh == 3 && d->kw == 3, k5 = d->kh == 5 && d->kw == 5;

  if ((!k3 && !k5) || (d->sw == 1 && d->dw != 1 && d->dw != 2)
      || (d->sw == 2 && d->dw != 1) || d->sw > 2) {
    dwb_body (d, xc, row0, ring, wb, st, resc, yc, oh0, oh1);
    return;
  }
#define DWZ_SHAPES(ACT, SUM) G_STMT_START {                                 \
    if (OVI_SPECIALIZE (k3 && d->sw == 1 && d->dw == 1))                    \
      dwz_rows (d, xc, row0, ring, wb, oh0, oh1, 3, 3, 1, 1, ACT, SUM, st,  \
          resc, yc);                                                        \
    else if (OVI_SPECIALIZE (k5 && d->sw == 1 && d->dw == 1))               \
      dwz_rows (d, xc, row0, ring, wb, oh0, oh1, 5, 5, 1, 1, ACT, SUM, st,  \
          resc, yc);                                                        \
    else if (OVI_SPECIALIZE (k3 && d->sw == 2))                             \
      dwz_rows (d, xc, row0, ring, wb, oh0, oh1, 3, 3, 2, 1, ACT, SUM, st,  \
          resc, yc);                                                        \
    else if (OVI_SPECIALIZE (k5 && d->sw == 2))                             \
      dwz_rows (d, xc, row0, ring, wb, oh0, oh1, 5, 5, 2, 1, ACT, SUM, st,  \
          resc, yc);                                                        \
    else if (OVI_SPECIALIZE (k3))  /* 3x3 dilated by 2 */                   \
      dwz_rows (d, xc, row0, ring, wb, oh0, oh1, 3, 3, 1, 2, ACT, SUM, st,  \
          resc, yc);                                                        \
    else if (OVI_SPECIALIZE (TRUE))  /* 5x5 dilated by 2 */                 \
      dwz_rows (d, xc, row0, ring, wb, oh0, oh1, 5, 5, 1, 2, ACT, SUM, st,  \
          resc, yc);                                                        \
    else  /* the shape as values (OVI_FEW_SPECIALIZATIONS: every shape) */  \
      dwz_rows (d, xc, row0, ring, wb, oh0, oh1, d->kh, d->kw, d->sw,       \
          d->dw, ACT, SUM, st, resc, yc);                                   \
  } G_STMT_END
  OVI_V8_STORE_CASES (st, DWZ_SHAPES);
#undef DWZ_SHAPES
}
#endif
