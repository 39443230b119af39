/* The post-ops the convolution kernel tests apply (test-depthwise.c,
 * test-blocked.c) and their reference in double: none, those the kernels
 * apply as they store (with or without a residual sum), and one they
 * apply to their output afterwards (HardSigmoid). */
#ifndef OVI_TEST_POST_REFERENCE_H
#define OVI_TEST_POST_REFERENCE_H

#include <math.h>

#include <glib.h>

#include "cpu/cpu-postops.h"

typedef enum {
  POST_NONE, POST_SUM_RELU, POST_CLIP, POST_SUM_HARDSWISH, POST_SUM_SIGMOID,
  POST_SWISH, POST_SUM_HARDSIGMOID, POST_COUNT,
} Post;

static inline double
reference_post (Post post, double v, double res)
{
  switch (post) {
    case POST_SUM_RELU:
      v += res;
      return v > 0 ? v : 0;
    case POST_CLIP:
      return v < 0 ? 0 : v > 6 ? 6 : v;
    case POST_SUM_HARDSWISH:
      v += res;
      return v * CLAMP (v / 6 + 0.5, 0, 1);
    case POST_SUM_SIGMOID:
      v += res;
      return 1 / (1 + exp (-v));
    case POST_SWISH:
      return v / (1 + exp (-v));
    case POST_SUM_HARDSIGMOID:
      v += res;
      return CLAMP (v / 6 + 0.5, 0, 1);
    default:
      return v;
  }
}

static inline OviPostOps
post_ops (Post post)
{
  static const OviPostOps table[] = {
    [POST_NONE] = { OVI_ACT_NONE, 0, 0, FALSE },
    [POST_SUM_RELU] = { OVI_ACT_RELU, 0, 0, TRUE },
    [POST_CLIP] = { OVI_ACT_CLIP, 0, 6, FALSE },
    [POST_SUM_HARDSWISH] = { OVI_ACT_HARDSWISH, 1 / 6.0f, 0.5f, TRUE },
    [POST_SUM_SIGMOID] = { OVI_ACT_SIGMOID, 0, 0, TRUE },
    [POST_SWISH] = { OVI_ACT_SWISH, 0, 0, FALSE },
    [POST_SUM_HARDSIGMOID] = { OVI_ACT_HARDSIGMOID, 1 / 6.0f, 0.5f, TRUE },
  };
  return table[post];
}

#endif
