/* See conv-depthwise.h. Two paths, by shape:
 * - strides 1 to 4 along the width with up to DW_MAX_TAPS taps (every
 *   depthwise convolution of the common CNNs): a zero-padded copy of the
 *   plane, split by column phase for strides above 1, so that each tap
 *   reads consecutive floats for consecutive outputs: 8 outputs a vector,
 *   up to eight vectors at once, every tap's weight in a register, the
 *   common post-ops applied as the vectors are stored;
 * - anything else: a scalar loop over taps.
 * (Reading stride-1 rows in place, with padded copies of the edge windows
 * only, measured 2x slower: its edge and odd vectors are single
 * dependent FMA chains.)
 * Each body is compiled for the baseline target and for AVX2+FMA, chosen
 * at run time. */
#include <string.h>

#include "conv-depthwise.h"
#include "conv-range.h"
#include "cpu-sgemm.h"
#include "cpu-store-v8.h"
#include "cpu-v8.h"

/* The vector helpers of cpu-v8.h pass 32-byte vectors by value, which gcc
 * warns changes the calling convention between AVX and non-AVX code; they
 * are all always_inline, so no such call is ever made. */
#pragma GCC diagnostic ignored "-Wpsabi"

#define DW_MAX_KW 16
#define DW_MAX_TAPS 64

/* Any stride: accumulates one kernel tap at a time over output rows. */
static inline __attribute__((always_inline)) void
dw_rows_body (const OviDepthwise *d, const float *xc, const float *wm, float bias,
    float *ym)
{
  int64_t lo_kw[DW_MAX_KW], hi_kw[DW_MAX_KW];
  gboolean pre = d->kw <= DW_MAX_KW;
  if (pre)
    for (int64_t kw = 0; kw < d->kw; kw++)
      ovi_conv_valid_range (d->ow, d->w, d->sw, kw * d->dw - d->pw, &lo_kw[kw],
          &hi_kw[kw]);
  for (int64_t oh = 0; oh < d->oh; oh++) {
    float *yrow = ym + oh * d->ow;
    for (int64_t ow = 0; ow < d->ow; ow++)
      yrow[ow] = bias;
    for (int64_t kh = 0; kh < d->kh; kh++) {
      int64_t ih = oh * d->sh - d->ph + kh * d->dh;
      const float *xrow;
      if (ih < 0 || ih >= d->h)
        continue;
      xrow = xc + ih * d->w;
      for (int64_t kw = 0; kw < d->kw; kw++) {
        float wv = wm[kh * d->kw + kw];
        int64_t off = kw * d->dw - d->pw, lo, hi;
        if (pre) {
          lo = lo_kw[kw];
          hi = hi_kw[kw];
        } else {
          ovi_conv_valid_range (d->ow, d->w, d->sw, off, &lo, &hi);
        }
        if (d->sw == 1) {
          for (int64_t ow = lo; ow < hi; ow++)
            yrow[ow] += wv * xrow[ow + off];
        } else {
          for (int64_t ow = lo; ow < hi; ow++)
            yrow[ow] += wv * xrow[ow * d->sw + off];
        }
      }
    }
  }
}

/* Each input channel is copied into a zero-padded buffer
 * split by column phase: padded row r (input row r - ph) is stored as sw
 * rows of wq floats, phase q holding padded columns q, q + sw, q + 2 sw...
 * A tap at padded column ow * sw + kw * dw then reads, for consecutive
 * outputs ow, consecutive floats of phase (kw * dw) % sw from index
 * ow + (kw * dw) / sw: every stride vectorizes like stride 1. The width
 * covers whole vectors of 8 outputs, the last one included. */
static int64_t
dw_phase_width (const OviDepthwise *d)
{
  return (d->ow + 7) / 8 * 8 + (d->kw - 1) * d->dw / d->sw;
}

static int64_t
dw_padded_height (const OviDepthwise *d)
{
  return (d->oh - 1) * d->sh + (d->kh - 1) * d->dh + 1;
}

/* The phase rows, and one full padded row to split them from. */
static int64_t
dw_padded_floats (const OviDepthwise *d)
{
  return (dw_padded_height (d) + 1) * d->sw * dw_phase_width (d);
}

static inline __attribute__((always_inline)) void
dw_fill_padded (const OviDepthwise *d, const float *xc, float *xp)
{
  int64_t wq = dw_phase_width (d), hp = dw_padded_height (d);
  int64_t wfull = wq * d->sw, lo, hi;
  float *full = xp + hp * wfull;

  /* Padded column c holds input column c - pw. Only the input's columns
   * of the input's rows are written: the zeros around them were written
   * once, by ovi_depthwise_clear_scratch. */
  ovi_conv_valid_range (wfull, d->w, 1, -d->pw, &lo, &hi);
  for (int64_t r = 0; r < hp; r++) {
    int64_t ih = r - d->ph, n = hi - lo;
    const float *src = xc + ih * d->w + lo - d->pw;
    float *dst = xp + r * wfull;
    if (ih < 0 || ih >= d->h)
      continue;
    if (d->sw == 1) {
      memcpy (dst + lo, src, sizeof (float) * n);
    } else if (d->sw == 2) {
      /* Straight from the input row: padded columns lo + 2 j go to one
       * phase, lo + 2 j + 1 to the other (which is which depends on the
       * parity of lo). */
      float *a = dst + (lo & 1) * wq + (lo >> 1);
      float *b = dst + ((lo + 1) & 1) * wq + ((lo + 1) >> 1);
      ovi_v8_split_pairs (src, a, b, n / 2);
      if (n & 1)
        a[n / 2] = src[n - 1];
    } else {
      memcpy (full + lo, src, sizeof (float) * n);
      for (int64_t q = 0; q < d->sw; q++)
        for (int64_t j = 0; j < wq; j++)
          dst[q * wq + j] = full[j * d->sw + q];
    }
  }
}

/* The output as a sequence of vectors of 8 outputs, row after row (the
 * last of a row partial when ow is not a multiple of 8): NV of them at
 * once, whatever rows they fall in, so that every block has NV
 * independent accumulator chains to hide the FMA latency (small planes
 * have one vector a row). The cursor (oh, vi) walks the vectors without a
 * division. Vector vi of row oh reads the padded buffer from
 * oh * rstride + 8 vi, at tap_off[t] for tap t. TAPS, ACT and SUM are
 * constants (see dw_phase_body), so that the tap loop unrolls and the
 * stores are straight-line code. */
#define DW_BLOCK(NV, TAPS) G_STMT_START {                                    \
    const float *base[NV];                                                  \
    int64_t o[NV], count[NV];                                               \
    V8f acc[NV];                                                            \
    for (int k = 0; k < NV; k++) {                                          \
      base[k] = xp + oh * rstride + vi * 8;                                 \
      o[k] = oh * d->ow + vi * 8;                                           \
      count[k] = o[k] + 8 <= whole_end ? 8 : MIN (8, d->ow - vi * 8);      \
      acc[k] = bias8;                                                       \
      if (++vi == nvec) {                                                   \
        vi = 0;                                                             \
        oh++;                                                               \
      }                                                                     \
    }                                                                       \
    _Pragma ("GCC unroll 25")                                               \
    for (int64_t t = 0; t < (TAPS); t++) {                                  \
      V8f w = wv[t];                                                        \
      for (int k = 0; k < NV; k++) {                                        \
        V8f xv;                                                             \
        memcpy (&xv, base[k] + tap_off[t], sizeof (xv));                    \
        acc[k] += w * xv;                                                   \
      }                                                                     \
    }                                                                       \
    for (int k = 0; k < NV; k++)                                            \
      ovi_v8_store_as (act, sum, a, b, acc[k], sum ? res + o[k] : NULL,     \
          ym + o[k], count[k]);                                             \
  } G_STMT_END

static inline __attribute__((always_inline)) void
dw_phase_vectors (const OviDepthwise *d, const float *xp, const V8f *wv,
    const int64_t *tap_off, int64_t taps, float bias, OviActivation act,
    gboolean sum, V8f a, V8f b, const float *res, float *ym)
{
  V8f bias8 = { 0 };
  int64_t nvec = (d->ow + 7) / 8, total = d->oh * nvec, v = 0;
  int64_t rstride = d->sh * d->sw * dw_phase_width (d), oh = 0, vi = 0;
  /* A row's last vector may be stored whole, its extra lanes landing on
   * the next rows' first outputs, which are stored after it; not past the
   * plane's end. (The residual is never the output buffer: a step's
   * inputs and outputs have distinct blocks in the plan.) */
  int64_t whole_end = d->oh * d->ow;

  bias8 += bias;

  for (; v + 8 <= total; v += 8)
    DW_BLOCK (8, taps);
  for (; v + 4 <= total; v += 4)
    DW_BLOCK (4, taps);
  for (; v < total; v++)
    DW_BLOCK (1, taps);
}

static inline __attribute__((always_inline)) void
dw_phase_body (const OviDepthwise *d, const float *xc, float *xp,
    const float *wm, float bias, const OviV8Store *st, const float *res,
    float *ym)
{
  int64_t wq = dw_phase_width (d);
  int64_t taps = d->kh * d->kw;
  int64_t tap_off[DW_MAX_TAPS];
  V8f wv[DW_MAX_TAPS], a = st->a, b = st->b;

  dw_fill_padded (d, xc, xp);
  /* tap (kh, kw): its phase row and index, from an output row's start */
  for (int64_t kh = 0; kh < d->kh; kh++)
    for (int64_t kw = 0; kw < d->kw; kw++) {
      int64_t t = kw * d->dw;
      V8f zero = { 0 };
      tap_off[kh * d->kw + kw] = (kh * d->dh * d->sw + t % d->sw) * wq
          + t / d->sw;
      wv[kh * d->kw + kw] = zero + wm[kh * d->kw + kw];
    }
#define DW_VECTORS(TAPS, ACT, SUM) \
  dw_phase_vectors (d, xp, wv, tap_off, TAPS, bias, ACT, SUM, a, b, res, ym)
#define DW_RUN(ACT, SUM) OVI_DW_TAPS_CASES (taps, DW_VECTORS, ACT, SUM)
  OVI_V8_STORE_CASES (st, DW_RUN);
#undef DW_RUN
#undef DW_VECTORS
}

static gboolean
dw_vector_taps (const OviDepthwise *d)
{
  return d->kh * d->kw <= DW_MAX_TAPS;
}

void
ovi_depthwise_clear_scratch (const OviDepthwise *d, float *scratch)
{
  memset (scratch, 0, sizeof (float) * ovi_depthwise_scratch_floats (d));
}

int64_t
ovi_depthwise_scratch_floats (const OviDepthwise *d)
{
  if (!dw_vector_taps (d))
    return 0;
  if (d->sw <= 4)
    return dw_padded_floats (d);
  return 0;
}

static inline __attribute__((always_inline)) void
dw_channel_body (const OviDepthwise *d, const float *x, const float *w,
    float bias, const OviV8Store *st, const float *res, float *y,
    float *scratch)
{
  if (dw_vector_taps (d) && d->sw <= 4)
    dw_phase_body (d, x, scratch, w, bias, st, res, y);
  else
    dw_rows_body (d, x, w, bias, y);
}

static void
dw_channel_generic (const OviDepthwise *d, const float *x, const float *w,
    float bias, const OviV8Store *st, const float *res, float *y,
    float *scratch)
{
  dw_channel_body (d, x, w, bias, st, res, y, scratch);
}

#if defined(__x86_64__) || defined(__i386__)
__attribute__((target ("avx2,fma")))
static void
dw_channel_avx2 (const OviDepthwise *d, const float *x, const float *w,
    float bias, const OviV8Store *st, const float *res, float *y,
    float *scratch)
{
  dw_channel_body (d, x, w, bias, st, res, y, scratch);
}
#endif

void
ovi_depthwise_channel (const OviDepthwise *d, const float *x, const float *w,
    float bias, const OviPostOps *ops, const float *res, float *y,
    float *scratch)
{
  OviV8Store st;
  /* The vector path applies the common post-ops as it stores; the scalar
   * path and the other activations take them per plane, while it is
   * still in cache (not per row: small planes' rows would pay a call and
   * a vector tail each). */
  gboolean vector = dw_vector_taps (d) && d->sw <= 4;
  gboolean at_store = ovi_v8_store_init (&st, vector ? ops : NULL) && vector;

#if defined(__x86_64__) || defined(__i386__)
  if (ovi_sgemm_have_avx2 ())
    dw_channel_avx2 (d, x, w, bias, &st, res, y, scratch);
  else
#endif
    dw_channel_generic (d, x, w, bias, &st, res, y, scratch);
  if (!at_store && ops && ovi_postops_any (ops))
    ovi_postops_apply (ops, y, res, d->oh * d->ow);
}
