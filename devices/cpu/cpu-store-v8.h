/* Post-ops applied to an eight-float vector of outputs as it is stored:
 * the common ones of CNNs (a residual sum, then ReLU, Clip or HardSwish).
 * Kernels that take them this way apply any other activation to their
 * output afterwards, through ovi_postops_apply. */
#ifndef OVI_CPU_STORE_V8_H
#define OVI_CPU_STORE_V8_H

#include <math.h>
#include <string.h>

#include "cpu-postops.h"
#include "cpu-v8.h"

typedef struct {
  OviActivation act;   /* OVI_ACT_NONE, OVI_ACT_CLIP or OVI_ACT_HARDSWISH */
  V8f a, b;            /* Clip's bounds (ReLU: 0, inf), HardSwish's alpha, beta */
  gboolean sum;        /* add the residual first */
} OviV8Store;

/* FALSE when ops has an activation the store does not apply (st then
 * applies nothing). ops may be NULL. */
static inline gboolean
ovi_v8_store_init (OviV8Store *st, const OviPostOps *ops)
{
  V8f zero = { 0 };
  float a = 0, b = 0;
  memset (st, 0, sizeof (*st));
  if (ops == NULL)
    return TRUE;
  switch (ops->activation) {
    case OVI_ACT_NONE:
      break;
    case OVI_ACT_CLIP:
    case OVI_ACT_HARDSWISH:
      st->act = ops->activation;
      a = ops->alpha;
      b = ops->beta;
      break;
    case OVI_ACT_RELU:
      st->act = OVI_ACT_CLIP;
      b = INFINITY;
      break;
    default:
      return FALSE;
  }
  st->a = zero + a;
  st->b = zero + b;
  st->sum = ops->sum;
  return TRUE;
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"
/* y[0..count) = post-ops (acc + res[0..count)); count 1 to 8, res read
 * only when sum. act and sum are constants where kernels instantiate
 * their loops per kind of post-ops (OVI_V8_STORE_CASES), and a and b
 * locals (registers, not reloaded after every store through y).
 * Partial vectors lane by lane: a variable-length memcpy is a byte loop
 * or a call. */
static inline __attribute__((always_inline)) void
ovi_v8_store_as (OviActivation act, gboolean sum, V8f a, V8f b, V8f acc,
    const float *res, float *y, int64_t count)
{
  if (sum) {
    if (count == 8) {
      V8f r;
      memcpy (&r, res, sizeof (r));
      acc += r;
    } else {
      for (int64_t i = 0; i < count; i++)
        acc[i] += res[i];
    }
  }
  if (act == OVI_ACT_CLIP) {
    acc = ovi_v8_select (acc < a, a, acc);
    acc = ovi_v8_select (acc > b, b, acc);
  } else if (act == OVI_ACT_HARDSWISH) {
    V8f t = acc * a + b, zero = { 0 }, one = zero + 1.0f;
    t = ovi_v8_select (t < 0.0f, zero, t);
    acc *= ovi_v8_select (t > 1.0f, one, t);
  }
  if (count == 8) {
    memcpy (y, &acc, sizeof (acc));
  } else {
    for (int64_t i = 0; i < count; i++)
      y[i] = acc[i];
  }
}
#pragma GCC diagnostic pop

/* RUN (ACT, SUM): a kernel's loop, called with st's activation and sum
 * as constants, so that it is compiled once per kind of post-ops and its
 * stores are straight-line code (once, with them as values, in the
 * builds of OVI_FEW_SPECIALIZATIONS: cpu-v8.h). */
#ifdef OVI_FEW_SPECIALIZATIONS
#define OVI_V8_STORE_CASES(st, RUN) RUN ((st)->act, (st)->sum)
#else
#define OVI_V8_STORE_CASES(st, RUN) G_STMT_START {                           \
    if ((st)->act == OVI_ACT_CLIP) {                                        \
      if ((st)->sum)                                                        \
        RUN (OVI_ACT_CLIP, TRUE);                                           \
      else                                                                  \
        RUN (OVI_ACT_CLIP, FALSE);                                          \
    } else if ((st)->act == OVI_ACT_HARDSWISH) {                            \
      if ((st)->sum)                                                        \
        RUN (OVI_ACT_HARDSWISH, TRUE);                                      \
      else                                                                  \
        RUN (OVI_ACT_HARDSWISH, FALSE);                                     \
    } else {                                                                \
      if ((st)->sum)                                                        \
        RUN (OVI_ACT_NONE, TRUE);                                           \
      else                                                                  \
        RUN (OVI_ACT_NONE, FALSE);                                          \
    }                                                                       \
  } G_STMT_END
#endif

#endif
