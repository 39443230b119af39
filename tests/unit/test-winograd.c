/* Winograd F(2x2, 3x3) against a direct convolution in double: odd and
 * even sizes (partial tiles at the right and bottom edges), padding on
 * one or both sides, a bias, a fused residual sum and activation, and
 * blocks of several tile rows. */
#include <math.h>

#include <glib.h>

#include "tensor.h"
#include "cpu/conv-winograd.h"

static void
direct (const OviWinograd *wg, const float *x, const float *w,
    const float *bias, const float *res, float *y)
{
  for (int64_t m = 0; m < wg->m; m++)
    for (int64_t oy = 0; oy < wg->oh; oy++)
      for (int64_t ox = 0; ox < wg->ow; ox++) {
        double acc = bias[m];
        for (int64_t c = 0; c < wg->c; c++)
          for (int ky = 0; ky < 3; ky++)
            for (int kx = 0; kx < 3; kx++) {
              int64_t iy = oy + ky - wg->ph, ix = ox + kx - wg->pw;
              if (iy < 0 || iy >= wg->h || ix < 0 || ix >= wg->w)
                continue;
              acc += (double) x[(c * wg->h + iy) * wg->w + ix]
                  * w[((m * wg->c + c) * 3 + ky) * 3 + kx];
            }
        acc += res[(m * wg->oh + oy) * wg->ow + ox];
        y[(m * wg->oh + oy) * wg->ow + ox] = acc > 0 ? acc : 0;
      }
}

static void
check_shape (int64_t c, int64_t m, int64_t h, int64_t w, int64_t ph,
    int64_t pw, int64_t oh, int64_t ow)
{
  OviWinograd wg = { c, m, h, w, oh, ow, ph, pw };
  OviPostOps ops = { .activation = OVI_ACT_RELU, .sum = TRUE };
  GRand *rand = g_rand_new_with_seed (7);
  float *x = g_new (float, c * h * w), *wt = g_new (float, m * c * 9);
  float *bias = g_new (float, m), *res = g_new (float, m * oh * ow);
  float *want = g_new (float, m * oh * ow), *got = g_new (float, m * oh * ow);
  float *packed = ovi_aligned_alloc (ovi_winograd_weights_size (&wg));
  double worst = 0;

  for (int64_t i = 0; i < c * h * w; i++)
    x[i] = g_rand_double_range (rand, -1, 1);
  for (int64_t i = 0; i < m * c * 9; i++)
    wt[i] = g_rand_double_range (rand, -0.2, 0.2);
  for (int64_t i = 0; i < m; i++)
    bias[i] = g_rand_double_range (rand, -1, 1);
  for (int64_t i = 0; i < m * oh * ow; i++)
    res[i] = g_rand_double_range (rand, -1, 1);
  direct (&wg, x, wt, bias, res, want);
  ovi_winograd_pack_weights (&wg, wt, packed);
  for (int threads = 1; threads <= 2; threads++) {
    void *scratch = ovi_aligned_alloc (ovi_winograd_scratch_size (&wg,
            threads));
    for (int64_t i = 0; i < m * oh * ow; i++)
      got[i] = NAN;
    ovi_winograd_run (&wg, packed, x, bias, &ops, res, got, scratch,
        threads);
    for (int64_t i = 0; i < m * oh * ow; i++)
      worst = fmax (worst, fabs (got[i] - want[i]));
    /* float32 rounding of sums of 9c terms of about 0.1 */
    g_assert_cmpfloat (worst, <, 1e-6 * sqrt (9.0 * c));
    ovi_aligned_free (scratch);
  }
  ovi_aligned_free (packed);
  g_free (x);
  g_free (wt);
  g_free (bias);
  g_free (res);
  g_free (want);
  g_free (got);
  g_rand_free (rand);
}

static void
test_same_padding (void)
{
  check_shape (32, 40, 9, 13, 1, 1, 9, 13);     /* odd: partial tiles */
  check_shape (48, 32, 16, 16, 1, 1, 16, 16);
  check_shape (32, 33, 7, 7, 1, 1, 7, 7);
}

static void
test_other_padding (void)
{
  check_shape (35, 32, 7, 9, 0, 0, 5, 7);       /* valid */
  check_shape (32, 32, 8, 10, 0, 1, 6, 10);     /* rows unpadded */
  check_shape (32, 36, 6, 6, 2, 2, 8, 8);       /* wider than same */
}

static void
test_many_blocks (void)
{
  /* 1024 channels in all: blocks of one or two tile rows */
  check_shape (512, 512, 6, 40, 1, 1, 6, 40);
  check_shape (64, 64, 60, 58, 1, 1, 60, 58);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/winograd/same-padding", test_same_padding);
  g_test_add_func ("/winograd/other-padding", test_other_padding);
  g_test_add_func ("/winograd/many-blocks", test_many_blocks);
  return g_test_run ();
}
