/* IEEE half and bfloat16 <-> float, header-only so that the graph engine
 * (tensor.c) and the LLM runtime (llm/quants.c), which builds on its own,
 * share one implementation. float -> half and float -> bfloat16 round to
 * nearest even, overflow to infinity, and keep a NaN a quiet NaN (its top
 * payload bits kept). */
#ifndef OVI_HALF_FLOAT_H
#define OVI_HALF_FLOAT_H

#include <math.h>
#include <string.h>

#include <glib.h>

static inline float
ovi_half_to_float (guint16 h)
{
  guint32 sign = (guint32) (h & 0x8000) << 16;
  guint32 exp = (h >> 10) & 0x1f;
  guint32 man = h & 0x3ff;
  guint32 bits;
  float f;

  if (exp == 0x1f) {
    bits = sign | 0x7f800000 | (man << 13);
  } else if (exp != 0) {
    bits = sign | ((exp + 112) << 23) | (man << 13);
  } else if (man == 0) {
    bits = sign;
  } else {
    /* subnormal half: man * 2^-24 is exact in float */
    f = (float) man * 0x1p-24f;
    return sign ? -f : f;
  }
  memcpy (&f, &bits, sizeof (f));
  return f;
}

static inline guint16
ovi_float_to_half (float f)
{
  guint32 bits, sign, absb;
  memcpy (&bits, &f, sizeof (bits));
  sign = (bits >> 16) & 0x8000;
  absb = bits & 0x7fffffff;

  if (absb > 0x7f800000)          /* NaN: keep it quiet and a NaN */
    return (guint16) (sign | 0x7e00 | ((absb >> 13) & 0x3ff));
  if (absb >= 0x477ff000)         /* rounds to >= 65520: infinity */
    return (guint16) (sign | 0x7c00);
  if (absb < 0x38800000) {        /* below the smallest normal half */
    /* Scaling by 2^24 makes the subnormal's integer mantissa; nearbyint
     * rounds to nearest even in the default rounding mode. */
    float a;
    memcpy (&a, &absb, sizeof (a));
    return (guint16) (sign | (guint32) nearbyintf (a * 0x1p24f));
  } else {
    /* Round the 13 dropped bits to nearest even; a carry into the
     * exponent is the right result (up to infinity, excluded above). */
    guint32 r = absb - 0x38000000;          /* rebias 127 -> 15 */
    r += 0xfff + ((r >> 13) & 1);
    return (guint16) (sign | (r >> 13));
  }
}

/* bfloat16 is the upper half of a float. */
static inline float
ovi_bfloat_to_float (guint16 h)
{
  guint32 bits = (guint32) h << 16;
  float f;
  memcpy (&f, &bits, sizeof (f));
  return f;
}

static inline guint16
ovi_float_to_bfloat (float f)
{
  guint32 bits;
  memcpy (&bits, &f, sizeof (bits));
  if ((bits & 0x7fffffff) > 0x7f800000)
    return (guint16) ((bits >> 16) | 0x40);
  bits += 0x7fff + ((bits >> 16) & 1);
  return (guint16) (bits >> 16);
}

#endif
