/* See conv-depthwise.h. Eight channels at once, each in a vector lane: the
 * eight input planes are transposed into a zero-padded buffer of pixels
 * (eight floats each, one per channel), every output pixel of the eight
 * channels is one vector of FMAs with the taps' weights as vectors, and
 * eight output pixels at a time are transposed back into the planes as
 * they are stored. Any stride or dilation reads whole pixels, so nothing
 * is split by phase; and nothing is paid per plane, which is what the
 * one-plane-at-a-time path spends most of its time on for small planes
 * (7x7 to 28x28). Compiled for the baseline target and for AVX2+FMA,
 * chosen at run time. */
#include <string.h>

#include "conv-depthwise.h"
#include "cpu-sgemm.h"
#include "cpu-store-v8.h"
#include "cpu-v8.h"

/* The vector helpers pass 32-byte vectors by value, which gcc warns
 * changes the calling convention between AVX and non-AVX code; they are
 * all always_inline, so no such call is ever made. */
#pragma GCC diagnostic ignored "-Wpsabi"

#define DW8_MAX_TAPS 64

/* The padded buffer: hp rows of wp pixels. Its width also covers the
 * last block of eight output pixels whole (those past the row's end are
 * computed and dropped), so that every block reads eight pixels. */
static int64_t
dw8_padded_width (const OviDepthwise *d)
{
  int64_t need = ((d->ow + 7) / 8 * 8 - 1) * d->sw + (d->kw - 1) * d->dw + 1;
  return MAX (need, d->w + d->pw);
}

static int64_t
dw8_padded_height (const OviDepthwise *d)
{
  int64_t need = (d->oh - 1) * d->sh + (d->kh - 1) * d->dh + 1;
  return MAX (need, d->h + d->ph);
}

gboolean
ovi_depthwise8_suits (const OviDepthwise *d)
{
  return d->kh * d->kw <= DW8_MAX_TAPS;
}

int64_t
ovi_depthwise8_scratch_floats (const OviDepthwise *d)
{
  return dw8_padded_height (d) * dw8_padded_width (d) * 8;
}

void
ovi_depthwise8_clear_scratch (const OviDepthwise *d, float *scratch)
{
  memset (scratch, 0, sizeof (float) * ovi_depthwise8_scratch_floats (d));
}

/* Input rows of the eight planes (plane stride h * w) into padded pixels:
 * input (ih, iw) at padded (ih + ph, iw + pw), eight columns at a time
 * through a transpose. A row's last group reads whole vectors past the
 * row's end (the next row's start, still inside the eight planes) and
 * stores only its own pixels: the zeros around them, written once by
 * ovi_depthwise8_clear_scratch, stay. Only the last row of the last
 * plane is read float by float. */
static inline __attribute__((always_inline)) void
dw8_fill (const OviDepthwise *d, const float *x, float *xp)
{
  int64_t wp = dw8_padded_width (d), plane = d->h * d->w;
  for (int64_t ih = 0; ih < d->h; ih++) {
    float *dst = xp + ((ih + d->ph) * wp + d->pw) * 8;
    const float *src = x + ih * d->w;
    for (int64_t iw = 0; iw < d->w; iw += 8) {
      int64_t n = MIN (8, d->w - iw);
      V8f r[8];
      if (7 * plane + ih * d->w + iw + 8 <= 8 * plane) {
        for (int c = 0; c < 8; c++)
          memcpy (&r[c], src + c * plane + iw, sizeof (V8f));
      } else {
        for (int c = 0; c < 8; c++)
          for (int p = 0; p < 8; p++)
            r[c][p] = p < n ? src[c * plane + iw + p] : 0.0f;
      }
      ovi_v8_transpose8 (r);
      for (int p = 0; p < n; p++)
        memcpy (dst + (iw + p) * 8, &r[p], sizeof (V8f));
    }
  }
}

/* The output rows: blocks of eight pixels, each pixel a vector of the
 * eight channels, TAPS FMAs a pixel with the weights in registers; then
 * the block is transposed into eight runs of one channel's outputs and
 * stored with the post-ops. TAPS, ACT and SUM are constants (see
 * dw8_body), so that the tap loop unrolls and the stores are
 * straight-line code. A run at a row's end is stored whole, its extra
 * lanes landing on the channel's next rows, which are stored after it
 * (rows go in order), except past the end of the plane. */
static inline __attribute__((always_inline)) void
dw8_rows (const OviDepthwise *d, const float *xp, const V8f *wv,
    const int64_t *tap_off, int64_t taps, V8f bias8, OviActivation act,
    gboolean sum, V8f a, V8f b, const float *res, float *y)
{
  int64_t wp = dw8_padded_width (d), plane = d->oh * d->ow;
  int64_t pixel_step = d->sw * 8;
  for (int64_t oh = 0; oh < d->oh; oh++) {
    const float *row = xp + oh * d->sh * wp * 8;
    for (int64_t ow = 0; ow < d->ow; ow += 8) {
      int64_t o = oh * d->ow + ow;
      int64_t count = o + 8 <= plane ? 8 : d->ow - ow;
      const float *px = row + ow * pixel_step;
      V8f acc[8];
      for (int p = 0; p < 8; p++)
        acc[p] = bias8;
#pragma GCC unroll 25
      for (int64_t t = 0; t < taps; t++) {
        V8f w = wv[t];
        const float *q = px + tap_off[t];
        for (int p = 0; p < 8; p++, q += pixel_step) {
          V8f xv;
          memcpy (&xv, q, sizeof (xv));
          acc[p] += w * xv;
        }
      }
      ovi_v8_transpose8 (acc);
      for (int c = 0; c < 8; c++)
        ovi_v8_store_as (act, sum, a, b, acc[c],
            sum ? res + c * plane + o : NULL, y + c * plane + o, count);
    }
  }
}

static inline __attribute__((always_inline)) void
dw8_body (const OviDepthwise *d, const float *x, const float *w,
    const float *bias, const OviV8Store *st, const float *res, float *y,
    float *xp)
{
  int64_t taps = d->kh * d->kw, wp = dw8_padded_width (d);
  int64_t tap_off[DW8_MAX_TAPS];
  V8f wv[DW8_MAX_TAPS], bias8, a = st->a, b = st->b;

  dw8_fill (d, x, xp);
  for (int c = 0; c < 8; c++)
    bias8[c] = bias ? bias[c] : 0.0f;
  for (int64_t kh = 0; kh < d->kh; kh++)
    for (int64_t kw = 0; kw < d->kw; kw++) {
      int64_t t = kh * d->kw + kw;
      tap_off[t] = (kh * d->dh * wp + kw * d->dw) * 8;
      for (int c = 0; c < 8; c++)
        wv[t][c] = w[c * taps + t];
    }
#define DW8_ROWS(TAPS, ACT, SUM) \
  dw8_rows (d, xp, wv, tap_off, TAPS, bias8, ACT, SUM, a, b, res, y)
#define DW8_RUN(ACT, SUM) OVI_DW_TAPS_CASES (taps, DW8_ROWS, ACT, SUM)
  OVI_V8_STORE_CASES (st, DW8_RUN);
#undef DW8_RUN
#undef DW8_ROWS
}

static void
dw8_generic (const OviDepthwise *d, const float *x, const float *w,
    const float *bias, const OviV8Store *st, const float *res, float *y,
    float *xp)
{
  dw8_body (d, x, w, bias, st, res, y, xp);
}

#if defined(__x86_64__) || defined(__i386__)
__attribute__((target ("avx2,fma")))
static void
dw8_avx2 (const OviDepthwise *d, const float *x, const float *w,
    const float *bias, const OviV8Store *st, const float *res, float *y,
    float *xp)
{
  dw8_body (d, x, w, bias, st, res, y, xp);
}
#endif

void
ovi_depthwise8_channels (const OviDepthwise *d, const float *x,
    const float *w, const float *bias, const OviPostOps *ops,
    const float *res, float *y, float *scratch)
{
  OviV8Store st;
  gboolean at_store = ovi_v8_store_init (&st, ops);

#if defined(__x86_64__) || defined(__i386__)
  if (ovi_sgemm_have_avx2 ())
    dw8_avx2 (d, x, w, bias, &st, res, y, scratch);
  else
#endif
    dw8_generic (d, x, w, bias, &st, res, y, scratch);
  if (!at_store && ops && ovi_postops_any (ops)) {
    int64_t plane = d->oh * d->ow;
    for (int c = 0; c < 8; c++)
      ovi_postops_apply (ops, y + c * plane, res ? res + c * plane : NULL,
          plane);
  }
}
