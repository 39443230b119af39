/* Depthwise float32 convolution (one input channel per output channel),
 * 1-D or 2-D (1-D runs as 2-D with one row), one channel plane per call
 * so that callers split channels between threads. Post-ops (residual sum,
 * activation) are applied to the plane while it is in cache. */
#ifndef OVI_CONV_DEPTHWISE_H
#define OVI_CONV_DEPTHWISE_H

#include "cpu-postops.h"
#include "cpu-v8.h"

G_BEGIN_DECLS

/* CALL (TAPS, ...): a kernel's loop with its tap count a constant for the
 * common 3x3 and 5x5 kernels, so that the tap loop unrolls. */
#define OVI_DW_TAPS_CASES(taps, CALL, ...) G_STMT_START {                    \
    if (OVI_SPECIALIZE ((taps) == 9))                                       \
      CALL (9, __VA_ARGS__);                                                \
    else if (OVI_SPECIALIZE ((taps) == 25))                                 \
      CALL (25, __VA_ARGS__);                                               \
    else                                                                    \
      CALL ((taps), __VA_ARGS__);                                           \
  } G_STMT_END

typedef struct {
  int64_t h, w, oh, ow;     /* input and output plane */
  int64_t kh, kw, sh, sw, dh, dw;
  int64_t ph, pw;           /* padding before the first row and column */
} OviDepthwise;

/* Floats of scratch one thread's calls need, and its set-up: calls with
 * the same shape write only what they change in it, so it is cleared once
 * before a thread's first channel (not per channel: clearing the padding
 * of every row of every plane cost as much as the convolution). */
int64_t ovi_depthwise_scratch_floats (const OviDepthwise *d);
void ovi_depthwise_clear_scratch (const OviDepthwise *d, float *scratch);

/* y = conv (x, w (kh x kw)) + bias, then ops (res: the residual plane, or
 * NULL when ops has no sum). */
void ovi_depthwise_channel (const OviDepthwise *d, const float *x,
    const float *w, float bias, const OviPostOps *ops, const float *res,
    float *y, float *scratch);

/* Eight consecutive channels at once, each in a vector lane
 * (conv-depthwise8.c): x, res and y are eight planes each, one after the
 * other; w the eight channels' kernels, one after the other; bias eight
 * floats or NULL. Its own scratch, cleared the same way. */
gboolean ovi_depthwise8_suits (const OviDepthwise *d);
int64_t ovi_depthwise8_scratch_floats (const OviDepthwise *d);
void ovi_depthwise8_clear_scratch (const OviDepthwise *d, float *scratch);
void ovi_depthwise8_channels (const OviDepthwise *d, const float *x,
    const float *w, const float *bias, const OviPostOps *ops,
    const float *res, float *y, float *scratch);

G_END_DECLS

#endif
