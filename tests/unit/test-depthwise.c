/* Depthwise convolution against a direct loop in double, over the shapes
 * that pick each path and its edges: stride 1 with planes narrower than a
 * vector, wider than four, padding of 0 to 2, 5x5 and dilated kernels;
 * strides 2 and 3 (phase-split copy); more taps than the vector paths
 * hold and stride 5 (scalar path); post-ops applied as the vectors are
 * stored (sum, ReLU, Clip, HardSwish, Sigmoid, Swish) or per plane
 * (HardSigmoid). Each shape
 * runs one plane at a time and eight channels at once. */
#include <math.h>

#include <glib.h>

#include "tensor.h"
#include "post-reference.h"
#include "cpu/conv-depthwise.h"

#define C 8       /* channels a check runs */

static int64_t
out_size (int64_t in, int64_t k, int64_t s, int64_t dil, int64_t pad)
{
  return (in + 2 * pad - (k - 1) * dil - 1) / s + 1;
}

/* The first output of y (C planes) that differs from the direct loop by
 * more than 1e-5, as a test failure. */
static gboolean
compare (const OviDepthwise *d, const char *path, const float *x,
    const float *wt, const float *bias, Post post, const float *res,
    const float *y)
{
  int64_t taps = d->kh * d->kw, n_out = d->oh * d->ow;
  for (int c = 0; c < C; c++)
    for (int64_t oy = 0; oy < d->oh; oy++)
      for (int64_t ox = 0; ox < d->ow; ox++) {
        const float *xc = x + c * d->h * d->w;
        double want = bias[c];
        float got = y[c * n_out + oy * d->ow + ox];
        for (int64_t ky = 0; ky < d->kh; ky++)
          for (int64_t kx = 0; kx < d->kw; kx++) {
            int64_t iy = oy * d->sh - d->ph + ky * d->dh;
            int64_t ix = ox * d->sw - d->pw + kx * d->dw;
            if (iy >= 0 && iy < d->h && ix >= 0 && ix < d->w)
              want += (double) xc[iy * d->w + ix]
                  * wt[c * taps + ky * d->kw + kx];
          }
        want = reference_post (post, want, res[c * n_out + oy * d->ow + ox]);
        if (fabs (got - want) > 1e-5) {
          g_test_message ("%s: %" G_GINT64_FORMAT "x%" G_GINT64_FORMAT
              " k %" G_GINT64_FORMAT "x%" G_GINT64_FORMAT " s %"
              G_GINT64_FORMAT " channel %d at (%" G_GINT64_FORMAT ", %"
              G_GINT64_FORMAT "): %g, want %g", path, d->h, d->w, d->kh,
              d->kw, d->sw, c, oy, ox, got, want);
          g_test_fail ();
          return FALSE;
        }
      }
  return TRUE;
}

/* C channels through both paths: one plane at a time, and eight at once
 * (where it suits the shape). */
static void
check (int64_t h, int64_t w, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
    int64_t dil, int64_t ph, int64_t pw, Post post)
{
  OviDepthwise d = { h, w, out_size (h, kh, sh, dil, ph),
    out_size (w, kw, sw, dil, pw), kh, kw, sh, sw, dil, dil, ph, pw };
  OviPostOps ops;
  int64_t n_out = d.oh * d.ow, taps = kh * kw, n_in = h * w;
  GRand *rand;
  float *x, *other, *wt, *res, *y, *scratch;
  float bias[C];

  if (d.oh <= 0 || d.ow <= 0)
    return;     /* the kernel does not fit */
  ops = post_ops (post);
  rand = g_rand_new_with_seed (3);
  x = g_new (float, C * n_in);
  other = g_new (float, C * n_in);
  wt = g_new (float, C * taps);
  res = g_new (float, C * n_out);
  y = g_new (float, C * n_out);
  scratch = g_new0 (float, MAX (ovi_depthwise_scratch_floats (&d),
          ovi_depthwise8_scratch_floats (&d)) + 1);

  for (int64_t i = 0; i < C * n_in; i++) {
    x[i] = g_rand_double_range (rand, -1, 1);
    other[i] = g_rand_double_range (rand, -5, 5);
  }
  for (int64_t i = 0; i < C * taps; i++)
    wt[i] = g_rand_double_range (rand, -1, 1);
  for (int c = 0; c < C; c++)
    bias[c] = g_rand_double_range (rand, -1, 1);
  for (int64_t i = 0; i < C * n_out; i++) {
    res[i] = g_rand_double_range (rand, -1, 1);
    y[i] = NAN;
  }
  /* scratch left dirty by other planes first: each call must rewrite all
   * it reads */
  ovi_depthwise_clear_scratch (&d, scratch);
  ovi_depthwise_channel (&d, other, wt, 0, NULL, NULL, y, scratch);
  for (int c = 0; c < C; c++)
    ovi_depthwise_channel (&d, x + c * n_in, wt + c * taps, bias[c],
        post ? &ops : NULL, ops.sum ? res + c * n_out : NULL, y + c * n_out,
        scratch);
  if (!compare (&d, "one plane", x, wt, bias, post, res, y)
      || !ovi_depthwise8_suits (&d))
    goto done;

  for (int64_t i = 0; i < C * n_out; i++)
    y[i] = NAN;
  ovi_depthwise8_clear_scratch (&d, scratch);
  ovi_depthwise8_channels (&d, other, wt, NULL, NULL, NULL, y, scratch);
  ovi_depthwise8_channels (&d, x, wt, bias, post ? &ops : NULL,
      ops.sum ? res : NULL, y, scratch);
  compare (&d, "eight channels", x, wt, bias, post, res, y);
done:
  g_free (x);
  g_free (other);
  g_free (wt);
  g_free (res);
  g_free (y);
  g_free (scratch);
  g_rand_free (rand);
}

static void
test_stride1 (void)
{
  for (int64_t w = 1; w <= 70; w += (w < 20 ? 1 : 7))
    for (int p = 0; p <= 2; p++) {
      check (5, w, 3, 3, 1, 1, 1, p, p, POST_NONE);
      check (6, w, 3, 3, 1, 1, 1, p, p, POST_SUM_RELU);
      check (7, w, 5, 5, 1, 1, 1, p, p, POST_SUM_HARDSWISH);
      check (4, w, 3, 3, 1, 1, 1, p, p, POST_CLIP);
      check (3, w, 3, 3, 1, 1, 1, p, p, POST_SUM_SIGMOID);
      check (4, w, 5, 5, 1, 1, 1, p, p, POST_SWISH);
      check (5, w, 3, 3, 1, 1, 1, p, p, POST_SUM_HARDSIGMOID);
    }
  check (9, 40, 3, 3, 1, 1, 2, 2, 2, POST_SUM_RELU);      /* dilated */
  check (1, 50, 1, 7, 1, 1, 1, 0, 3, POST_NONE);          /* 1-D */
  check (8, 33, 3, 3, 2, 1, 1, 1, 1, POST_SUM_RELU);  /* rows strided only */
  check (8, 33, 4, 4, 1, 1, 1, 1, 2, POST_CLIP);  /* 16 taps, uneven pads */
}

static void
test_strided (void)
{
  /* stride 2 with even and odd left padding: the input row is split
   * into the two column phases one way or the other */
  for (int64_t w = 2; w <= 60; w += (w < 20 ? 1 : 3)) {
    for (int p = 0; p <= 3; p++)
      check (9, w, 3, 3, 2, 2, 1, p, p, p & 1 ? POST_SUM_RELU : POST_CLIP);
    check (9, w, 5, 5, 2, 2, 1, 2, 2, POST_NONE);
    check (10, w, 3, 3, 3, 3, 1, 1, 1, POST_SUM_HARDSWISH);
  }
}

static void
test_scalar (void)
{
  check (20, 20, 9, 9, 1, 1, 1, 4, 4, POST_SUM_RELU);     /* 81 taps */
  check (20, 31, 3, 3, 5, 5, 1, 1, 1, POST_SUM_HARDSWISH);   /* stride 5 */
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/depthwise/stride1", test_stride1);
  g_test_add_func ("/depthwise/strided", test_strided);
  g_test_add_func ("/depthwise/scalar", test_scalar);
  return g_test_run ();
}
