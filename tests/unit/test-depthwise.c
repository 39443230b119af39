/* Depthwise convolution against a direct loop in double, over the shapes
 * that pick each path and its edges: stride 1 with planes narrower than a
 * vector, wider than four, padding of 0 to 2, 5x5 and dilated kernels;
 * strides 2 and 3 (phase-split copy); more taps than the vector paths
 * hold and stride 5 (scalar path); a fused residual sum and ReLU. */
#include <math.h>

#include <glib.h>

#include "tensor.h"
#include "cpu/conv-depthwise.h"

static int64_t
out_size (int64_t in, int64_t k, int64_t s, int64_t dil, int64_t pad)
{
  return (in + 2 * pad - (k - 1) * dil - 1) / s + 1;
}

static void
check (int64_t h, int64_t w, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
    int64_t dil, int64_t ph, int64_t pw, gboolean post)
{
  OviDepthwise d = { h, w, out_size (h, kh, sh, dil, ph),
    out_size (w, kw, sw, dil, pw), kh, kw, sh, sw, dil, dil, ph, pw };
  OviPostOps ops = { .activation = OVI_ACT_RELU, .sum = TRUE };
  int64_t n_out = d.oh * d.ow;
  GRand *rand;
  float *x, *other, *wt, *res, *y, *scratch;
  float bias = 0.25f;

  if (d.oh <= 0 || d.ow <= 0)
    return;     /* the kernel does not fit */
  rand = g_rand_new_with_seed (3);
  x = g_new (float, h * w);
  other = g_new (float, h * w);
  wt = g_new (float, kh * kw);
  res = g_new (float, n_out);
  y = g_new (float, n_out);
  scratch = g_new0 (float, ovi_depthwise_scratch_floats (&d) + 1);

  for (int64_t i = 0; i < h * w; i++) {
    x[i] = g_rand_double_range (rand, -1, 1);
    other[i] = g_rand_double_range (rand, -5, 5);
  }
  for (int64_t i = 0; i < kh * kw; i++)
    wt[i] = g_rand_double_range (rand, -1, 1);
  for (int64_t i = 0; i < n_out; i++) {
    res[i] = g_rand_double_range (rand, -1, 1);
    y[i] = NAN;
  }
  /* scratch left dirty by another plane first: the call must rewrite
   * all it reads */
  ovi_depthwise_clear_scratch (&d, scratch);
  ovi_depthwise_channel (&d, other, wt, 0, NULL, NULL, y, scratch);
  ovi_depthwise_channel (&d, x, wt, bias, post ? &ops : NULL,
      post ? res : NULL, y, scratch);
  for (int64_t oy = 0; oy < d.oh; oy++)
    for (int64_t ox = 0; ox < d.ow; ox++) {
      double want = bias;
      for (int64_t ky = 0; ky < kh; ky++)
        for (int64_t kx = 0; kx < kw; kx++) {
          int64_t iy = oy * sh - ph + ky * dil, ix = ox * sw - pw + kx * dil;
          if (iy >= 0 && iy < h && ix >= 0 && ix < w)
            want += (double) x[iy * w + ix] * wt[ky * kw + kx];
        }
      if (post) {
        want += res[oy * d.ow + ox];
        want = want > 0 ? want : 0;
      }
      if (fabs (y[oy * d.ow + ox] - want) > 1e-5) {
        g_test_message ("%" G_GINT64_FORMAT "x%" G_GINT64_FORMAT " k %"
            G_GINT64_FORMAT "x%" G_GINT64_FORMAT " s %" G_GINT64_FORMAT
            " at (%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT "): %g, want %g",
            h, w, kh, kw, sw, oy, ox, y[oy * d.ow + ox], want);
        g_test_fail ();
        goto done;
      }
    }
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
      check (5, w, 3, 3, 1, 1, 1, p, p, FALSE);
      check (6, w, 3, 3, 1, 1, 1, p, p, TRUE);
      check (7, w, 5, 5, 1, 1, 1, p, p, TRUE);
    }
  check (9, 40, 3, 3, 1, 1, 2, 2, 2, TRUE);      /* dilated */
  check (1, 50, 1, 7, 1, 1, 1, 0, 3, FALSE);     /* 1-D */
  check (8, 33, 3, 3, 2, 1, 1, 1, 1, TRUE);      /* rows strided only */
}

static void
test_strided (void)
{
  for (int64_t w = 2; w <= 60; w += 3) {
    check (9, w, 3, 3, 2, 2, 1, 1, 1, TRUE);
    check (9, w, 5, 5, 2, 2, 1, 2, 2, FALSE);
    check (10, w, 3, 3, 3, 3, 1, 1, 1, TRUE);
  }
}

static void
test_scalar (void)
{
  check (20, 20, 9, 9, 1, 1, 1, 4, 4, TRUE);     /* 81 taps */
  check (20, 31, 3, 3, 5, 5, 1, 1, 1, TRUE);     /* stride 5 */
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
