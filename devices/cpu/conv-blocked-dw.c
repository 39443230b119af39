/* See conv-blocked.h: depthwise convolution in nChw8c. Every output pixel
 * of a channel block is one vector, the sum over taps of the tap's eight
 * weights times the input pixel's eight channels. Rows whose taps all lie
 * inside the input, and within them the columns whose taps do, run
 * several pixels at once with the tap loop unrolled for the common kernel
 * shapes (3x3 and 5x5, strides 1 and 2, and dilated by 2 at stride 1 as
 * in the segmentation backbones; others up to 5x5 run the same loop with
 * them as values, several times slower); the edges take a loop that skips
 * the taps outside. Nothing is copied or padded. Compiled here for the
 * baseline target and for AVX2+FMA, and in conv-blocked-dw-avx512.c for
 * AVX-512 (3x3 and 5x5 in pairs of pixels), chosen at run time. */
#include <string.h>

#include "conv-blocked-dw-rows.h"
#include "cpu-sgemm.h"

const float ovi_blocked_dw_zero_row[(DWB_ZERO_MARGIN + DWB_ZERO_PIXELS)
    * OVI_BLOCK];

int64_t
ovi_blocked_depthwise_packed_floats (const OviDepthwise *d, int64_t c)
{
  return c / OVI_BLOCK * (d->kh * d->kw + 1) * OVI_BLOCK;
}

void
ovi_blocked_depthwise_pack (const OviDepthwise *d, int64_t c, const float *w,
    const float *bias, float *packed)
{
  int64_t taps = d->kh * d->kw;
  for (int64_t cb = 0; cb < c / OVI_BLOCK; cb++) {
    float *p = packed + cb * (taps + 1) * OVI_BLOCK;
    for (int64_t t = 0; t < taps; t++)
      for (int j = 0; j < OVI_BLOCK; j++)
        p[t * OVI_BLOCK + j] = w[(cb * OVI_BLOCK + j) * taps + t];
    for (int j = 0; j < OVI_BLOCK; j++)
      p[taps * OVI_BLOCK + j] = bias ? bias[cb * OVI_BLOCK + j] : 0.0f;
  }
}

static void
dwb_generic (const OviDepthwise *d, const float *xc, int64_t row0,
    int64_t ring, const float *wb, const OviV8Store *st, const float *resc,
    float *yc, int64_t oh0, int64_t oh1)
{
  dwb_body (d, xc, row0, ring, wb, st, resc, yc, oh0, oh1);
}

#if defined(__x86_64__) || defined(__i386__)
__attribute__((target ("avx2,fma")))
static void
dwb_avx2 (const OviDepthwise *d, const float *xc, int64_t row0,
    int64_t ring, const float *wb, const OviV8Store *st, const float *resc,
    float *yc, int64_t oh0, int64_t oh1)
{
  dwb_body (d, xc, row0, ring, wb, st, resc, yc, oh0, oh1);
}
#endif

void
ovi_blocked_depthwise_rows (const OviDepthwise *d, const float *x,
    const float *packed, const OviPostOps *ops, const float *res, float *y,
    int64_t cb, int64_t oh0, int64_t oh1)
{
  ovi_blocked_depthwise_window_rows (d, x, d->h * d->w, 0, G_MAXINT64,
      packed, ops, res, y, cb, oh0, oh1);
}

void
ovi_blocked_depthwise_window_rows (const OviDepthwise *d, const float *x,
    int64_t xplane, int64_t row0, int64_t ring, const float *packed,
    const OviPostOps *ops, const float *res, float *y, int64_t cb,
    int64_t oh0, int64_t oh1)
{
  const float *xc = x + cb * xplane * OVI_BLOCK;
  const float *wb = packed + cb * (d->kh * d->kw + 1) * OVI_BLOCK;
  int64_t plane = d->oh * d->ow * OVI_BLOCK;
  const float *resc = res ? res + cb * plane : NULL;
  float *yc = y + cb * plane;
  OviV8Store st;
  /* The store applies the common post-ops; any other activation goes over
   * the rows just written, still in cache. */
  gboolean at_store = ovi_v8_store_init (&st, ops);

  if (oh0 >= oh1)
    return;
  g_assert (d->h <= ring);
  row0 %= ring;
#if defined(__x86_64__) || defined(__i386__)
  if (ovi_cpu_have_avx512 ())
    ovi_blocked_depthwise_avx512_rows (d, xc, row0, ring, wb, &st, resc, yc,
        oh0, oh1);
  else if (ovi_sgemm_have_avx2 ())
    dwb_avx2 (d, xc, row0, ring, wb, &st, resc, yc, oh0, oh1);
  else
#endif
    dwb_generic (d, xc, row0, ring, wb, &st, resc, yc, oh0, oh1);
  if (!at_store && ops && ovi_postops_any (ops))
    ovi_blocked_postops_apply (ops, yc, resc, d->oh * d->ow, 0, 1,
        oh0 * d->ow, oh1 * d->ow);
}
