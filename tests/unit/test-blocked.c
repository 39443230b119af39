/* The channel-blocked layout (devices/cpu/conv-blocked.h and
 * passes/block-layout.c): the reorders both ways; the depthwise, 1x1,
 * stem (direct), dense and Winograd kernels against direct loops in
 * double, over the shapes that pick their interior and edge paths, with
 * the post-ops applied at the store (sum, ReLU, Clip, HardSwish) or
 * afterwards (Sigmoid, Swish, HardSigmoid), their work split in two
 * ranges as threads split it; and a small MobileNet-like graph and a
 * small ResNet-like one (with pools) planned with and without the
 * layout, checked for where the pass put reorders and for equal
 * outputs; and a DenseNet-like block, whose trees of Adds and their
 * Relus become Sums with a post-op (passes/fuse-sum.c) that run in the
 * layout, against the same block with every intermediate a graph output
 * (so that nothing fuses). */
#include <math.h>
#include <string.h>

#include <glib.h>

#include "model.h"
#include "ovi.h"
#include "plan.h"
#include "tensor.h"
#include "post-reference.h"
#include "cpu/conv-blocked.h"
#include "passes/passes.h"

static float *
random_floats (GRand *rand, int64_t n, double range)
{
  float *v = g_new (float, MAX (n, 1));
  for (int64_t i = 0; i < n; i++)
    v[i] = g_rand_double_range (rand, -range, range);
  return v;
}

/* index of (channel c, position p) in a blocked image of hw positions */
static int64_t
blocked_at (int64_t c, int64_t p, int64_t hw)
{
  return (c / OVI_BLOCK * hw + p) * OVI_BLOCK + c % OVI_BLOCK;
}

static void
test_reorder (void)
{
  GRand *rand = g_rand_new_with_seed (1);
  for (int64_t hw = 1; hw <= 70; hw += 3)
    for (int64_t c = 8; c <= 24; c += 8) {
      float *x = random_floats (rand, c * hw, 1);
      float *b = g_new (float, c * hw), *back = g_new (float, c * hw);
      /* in two ranges of channel blocks, as threads split it */
      ovi_blocked_from_plain (x, hw, 0, 1, b);
      ovi_blocked_from_plain (x, hw, 1, c / OVI_BLOCK, b);
      for (int64_t ch = 0; ch < c; ch++)
        for (int64_t p = 0; p < hw; p++)
          g_assert_cmpfloat (b[blocked_at (ch, p, hw)], ==, x[ch * hw + p]);
      ovi_blocked_to_plain (b, hw, 0, c / OVI_BLOCK, back);
      g_assert_cmpmem (back, sizeof (float) * c * hw, x,
          sizeof (float) * c * hw);
      g_free (x);
      g_free (b);
      g_free (back);
    }
  g_rand_free (rand);
}

static int64_t
out_size (int64_t in, int64_t k, int64_t s, int64_t dil, int64_t pad)
{
  return (in + 2 * pad - (k - 1) * dil - 1) / s + 1;
}

/* 16 channels (two blocks) of a depthwise convolution, computed in two
 * ranges of rows per block, against the direct loop. */
static void
check_depthwise (int64_t h, int64_t w, int64_t k, int64_t s, int64_t dil,
    int64_t pad, Post post)
{
  const int64_t c = 16;
  OviDepthwise d = { h, w, out_size (h, k, s, dil, pad),
    out_size (w, k, s, dil, pad), k, k, s, s, dil, dil, pad, pad };
  OviPostOps ops = post_ops (post);
  GRand *rand = g_rand_new_with_seed (2);
  int64_t hw = h * w, ohw = d.oh * d.ow, taps = k * k;
  float *x, *xb, *wt, *bias, *res, *resb, *y, *packed;

  if (d.oh <= 0 || d.ow <= 0) {
    g_rand_free (rand);
    return;
  }
  x = random_floats (rand, c * hw, 1);
  wt = random_floats (rand, c * taps, 1);
  bias = random_floats (rand, c, 1);
  res = random_floats (rand, c * ohw, 1);
  xb = g_new (float, c * hw);
  resb = g_new (float, c * ohw);
  y = g_new (float, c * ohw);
  packed = g_new (float, ovi_blocked_depthwise_packed_floats (&d, c));
  ovi_blocked_from_plain (x, hw, 0, c / OVI_BLOCK, xb);
  ovi_blocked_from_plain (res, ohw, 0, c / OVI_BLOCK, resb);
  ovi_blocked_depthwise_pack (&d, c, wt, bias, packed);
  for (int64_t i = 0; i < c * ohw; i++)
    y[i] = NAN;
  for (int64_t cb = 0; cb < c / OVI_BLOCK; cb++) {
    int64_t mid = d.oh / 2;
    ovi_blocked_depthwise_rows (&d, xb, packed, post ? &ops : NULL,
        ops.sum ? resb : NULL, y, cb, 0, mid);
    ovi_blocked_depthwise_rows (&d, xb, packed, post ? &ops : NULL,
        ops.sum ? resb : NULL, y, cb, mid, d.oh);
  }
  for (int64_t ch = 0; ch < c; ch++)
    for (int64_t oy = 0; oy < d.oh; oy++)
      for (int64_t ox = 0; ox < d.ow; ox++) {
        double want = bias[ch];
        int64_t p = oy * d.ow + ox;
        float got = y[blocked_at (ch, p, ohw)];
        for (int64_t ky = 0; ky < k; ky++)
          for (int64_t kx = 0; kx < k; kx++) {
            int64_t iy = oy * s - pad + ky * dil, ix = ox * s - pad + kx * dil;
            if (iy >= 0 && iy < h && ix >= 0 && ix < w)
              want += (double) x[ch * hw + iy * w + ix]
                  * wt[ch * taps + ky * k + kx];
          }
        want = reference_post (post, want, res[ch * ohw + p]);
        if (!(fabs (got - want) <= 1e-5)) {
          g_test_message ("depthwise %" G_GINT64_FORMAT "x%" G_GINT64_FORMAT
              " k %" G_GINT64_FORMAT " s %" G_GINT64_FORMAT " pad %"
              G_GINT64_FORMAT " post %d: channel %" G_GINT64_FORMAT " at (%"
              G_GINT64_FORMAT ", %" G_GINT64_FORMAT "): %g, want %g", h, w,
              k, s, pad, post, ch, oy, ox, got, want);
          g_test_fail ();
          goto done;
        }
      }
done:
  g_free (x);
  g_free (xb);
  g_free (wt);
  g_free (bias);
  g_free (res);
  g_free (resb);
  g_free (y);
  g_free (packed);
  g_rand_free (rand);
}

static void
test_depthwise (void)
{
  /* 3x3 and 5x5 at strides 1 and 2 and dilated by 2 at stride 1 (the
   * unrolled interiors), 4x4 (the same loops with the shape as values)
   * and 7x7 (the edge loop only), other dilations; planes narrower than
   * the kernel, and wider than the interior's blocks of pixels (the
   * padding rows read as zeros) */
  for (int64_t w = 1; w <= 19; w++)
    for (Post post = 0; post < POST_COUNT; post++) {
      check_depthwise (w, w, 3, 1, 1, 1, post);
      check_depthwise (w + 1, w, 3, 2, 1, 1, post);
      check_depthwise (w, w + 2, 5, 1, 1, 2, post);
      check_depthwise (w + 3, w, 5, 2, 1, 2, post);
      check_depthwise (w, w, 3, 1, 1, 0, post);
      check_depthwise (w + 4, w + 4, 5, 1, 2, 4, post);
      check_depthwise (w + 2, w + 2, 3, 1, 2, 2, post);
    }
  check_depthwise (12, 13, 4, 1, 1, 1, POST_SUM_RELU);
  check_depthwise (15, 15, 7, 2, 1, 3, POST_CLIP);
  check_depthwise (14, 17, 3, 1, 2, 2, POST_SUM_HARDSWISH);
  check_depthwise (9, 9, 3, 3, 1, 1, POST_NONE);
  /* rows wider than the zero row that stands for the padding rows, and
   * padding wider than its margin: their first and last rows take the
   * edge loop */
  check_depthwise (3, 300, 3, 1, 1, 1, POST_CLIP);
  check_depthwise (5, 258, 5, 2, 1, 2, POST_SUM_RELU);
  check_depthwise (12, 12, 3, 1, 5, 9, POST_CLIP);
  /* 5x5 rows with no padding (no left edge); padding wider than the zero
   * row's margin, the edges still masked (the dilated one with no
   * interior); and edges longer than the masked segments' tables, on
   * both sides or on the right only (edges pixel by pixel) */
  for (int64_t w = 5; w <= 21; w += 4)
    check_depthwise (w, w, 5, 1, 1, 0, POST_SUM_HARDSWISH);
  check_depthwise (9, 30, 5, 1, 1, 14, POST_CLIP);
  check_depthwise (9, 6, 5, 1, 2, 12, POST_SUM_RELU);
  check_depthwise (9, 40, 5, 1, 1, 17, POST_CLIP);
  check_depthwise (9, 31, 5, 1, 1, 16, POST_SUM_RELU);
  /* 3x3 on rows wider than the interior's blocks, with and without
   * padding, dilated; and stride 2 (with AVX-512, pixel pairs put
   * together from two halves) on wide rows of both parities */
  for (Post post = 0; post < POST_COUNT; post++) {
    check_depthwise (5, 28, 3, 1, 1, 1, post);
    check_depthwise (4, 57, 3, 1, 1, 0, post);
    check_depthwise (6, 33, 3, 1, 2, 2, post);
    check_depthwise (6, 56, 3, 2, 1, 1, post);
    check_depthwise (7, 57, 5, 2, 1, 2, post);
  }
}

/* ic -> oc over hw positions, in two ranges of positions and, with
 * split_panels, two of panels (where there are two), against the direct
 * loop. */
static void
check_pointwise_ranges (int64_t ic, int64_t oc, int64_t hw, Post post,
    gboolean split_panels)
{
  OviPostOps ops = post_ops (post);
  GRand *rand = g_rand_new_with_seed (3);
  float *x = random_floats (rand, ic * hw, 1);
  float *wt = random_floats (rand, ic * oc, 1.0 / sqrt (ic));
  float *bias = random_floats (rand, oc, 1);
  float *res = random_floats (rand, oc * hw, 1);
  float *xb = g_new (float, ic * hw), *resb = g_new (float, oc * hw);
  float *y = g_new (float, oc * hw);
  float *packed = g_new (float, ovi_blocked_pointwise_packed_floats (ic, oc));
  int64_t panels = ovi_blocked_pointwise_panels (oc);
  int64_t pmid = split_panels ? panels / 2 : panels;
  int64_t mid = hw / 3;

  ovi_blocked_from_plain (x, hw, 0, ic / OVI_BLOCK, xb);
  ovi_blocked_from_plain (res, hw, 0, oc / OVI_BLOCK, resb);
  ovi_blocked_pointwise_pack (ic, oc, wt, bias, packed);
  for (int64_t i = 0; i < oc * hw; i++)
    y[i] = NAN;
  for (int part = 0; part < 2; part++) {
    int64_t q0 = part ? pmid : 0, q1 = part ? panels : pmid;
    if (q0 == q1)
      continue;
    ovi_blocked_pointwise_range (ic, oc, hw, xb, packed, post ? &ops : NULL,
        ops.sum ? resb : NULL, y, q0, q1, 0, mid);
    ovi_blocked_pointwise_range (ic, oc, hw, xb, packed, post ? &ops : NULL,
        ops.sum ? resb : NULL, y, q0, q1, mid, hw);
  }
  for (int64_t o = 0; o < oc; o++)
    for (int64_t p = 0; p < hw; p++) {
      double want = bias[o];
      float got = y[blocked_at (o, p, hw)];
      for (int64_t i = 0; i < ic; i++)
        want += (double) wt[o * ic + i] * x[i * hw + p];
      want = reference_post (post, want, res[o * hw + p]);
      if (!(fabs (got - want) <= 1e-4)) {
        g_test_message ("1x1 %" G_GINT64_FORMAT " -> %" G_GINT64_FORMAT
            " at %" G_GINT64_FORMAT " post %d: channel %" G_GINT64_FORMAT
            " position %" G_GINT64_FORMAT ": %g, want %g", ic, oc, hw, post,
            o, p, got, want);
        g_test_fail ();
        goto done;
      }
    }
done:
  g_free (x);
  g_free (wt);
  g_free (bias);
  g_free (res);
  g_free (xb);
  g_free (resb);
  g_free (y);
  g_free (packed);
  g_rand_free (rand);
}

static void
check_pointwise (int64_t ic, int64_t oc, int64_t hw, Post post)
{
  check_pointwise_ranges (ic, oc, hw, post, TRUE);
}

static void
test_pointwise (void)
{
  /* positions around the micro-kernel's six; output channels a multiple
   * of 16 and not (a last panel of 8) */
  for (int64_t hw = 1; hw <= 26; hw++)
    check_pointwise (16, 24, hw, hw % POST_COUNT);
  /* the AVX-512 block's twelve positions and two panels (48: a pair and
   * a single whole panel) */
  for (int64_t hw = 1; hw <= 26; hw++)
    check_pointwise (24, 48, hw, (hw + 3) % POST_COUNT);
  for (Post post = 0; post < POST_COUNT; post++) {
    check_pointwise (8, 8, 49, post);
    check_pointwise (40, 32, 37, post);
    check_pointwise (96, 56, 100, post);
  }
  /* more input channels than a chunk of positions holds in L2 */
  check_pointwise (1024, 16, 70, POST_SUM_RELU);
  /* ranges of several chunks (the budget is a quarter of L2, at least
   * 256 KiB: 32 to 256 positions of 2048 channels for L2s of 1 to 8
   * MiB), uneven, with a tail panel riding along */
  check_pointwise_ranges (2048, 24, 401, POST_SUM_RELU, FALSE);
  /* a last panel of 8 in the same range as the whole panels: with
   * AVX-512 it rides with the whole panel before it, which comes after
   * nothing, a single, a pair, or a pair and a single (24, 40, 56, 72
   * output channels) */
  for (int64_t hw = 1; hw <= 26; hw += 5)
    for (int64_t oc = 24; oc <= 72; oc += 16)
      for (Post post = 0; post < POST_COUNT; post++)
        check_pointwise_ranges (24 + 8 * (hw % 3), oc, hw, post, FALSE);
}

/* A direct convolution of c plain channels into m blocked ones, in two
 * ranges of rows, against the direct loop. */
static void
check_direct (int64_t c, int64_t m, int64_t h, int64_t w, int64_t k,
    int64_t s, int64_t pad, Post post)
{
  OviDepthwise d = { h, w, out_size (h, k, s, 1, pad), out_size (w, k, s, 1,
        pad), k, k, s, s, 1, 1, pad, pad };
  OviPostOps ops = post_ops (post);
  GRand *rand = g_rand_new_with_seed (6);
  int64_t ohw = d.oh * d.ow, taps = c * k * k;
  float *x, *wt, *bias, *res, *resb, *y, *packed;

  if (d.oh <= 0 || d.ow <= 0) {
    g_rand_free (rand);
    return;
  }
  x = random_floats (rand, c * h * w, 1);
  wt = random_floats (rand, m * taps, 1);
  bias = random_floats (rand, m, 1);
  res = random_floats (rand, m * ohw, 1);
  resb = g_new (float, m * ohw);
  y = g_new (float, m * ohw);
  packed = g_new (float, ovi_blocked_pointwise_packed_floats (taps, m));
  ovi_blocked_from_plain (res, ohw, 0, m / OVI_BLOCK, resb);
  ovi_blocked_pointwise_pack (taps, m, wt, bias, packed);
  /* on x itself, then (when it pads) on its padded copy, as the CPU
   * device runs it */
  for (int padded = 0; padded < 2; padded++) {
    OviDepthwise pd = d;
    float *xp = x;
    if (padded) {
      if (!ovi_blocked_dense_needs_padding (&d))
        break;
      ovi_blocked_direct_padded (&d, &pd);
      xp = g_new (float, c * pd.h * pd.w);
      ovi_blocked_direct_pad (&d, x, xp, 0, c / 2);
      ovi_blocked_direct_pad (&d, x, xp, c / 2, c);
    }
    for (int64_t i = 0; i < m * ohw; i++)
      y[i] = NAN;
    ovi_blocked_direct_rows (&pd, c, m, xp, packed, post ? &ops : NULL,
        ops.sum ? resb : NULL, y, 0, d.oh / 2);
    ovi_blocked_direct_rows (&pd, c, m, xp, packed, post ? &ops : NULL,
        ops.sum ? resb : NULL, y, d.oh / 2, d.oh);
    if (padded)
      g_free (xp);
    for (int64_t o = 0; o < m; o++)
      for (int64_t oy = 0; oy < d.oh; oy++)
        for (int64_t ox = 0; ox < d.ow; ox++) {
          int64_t p = oy * d.ow + ox;
          double want = bias[o];
          float got = y[blocked_at (o, p, ohw)];
          for (int64_t ci = 0; ci < c; ci++)
            for (int64_t ky = 0; ky < k; ky++)
              for (int64_t kx = 0; kx < k; kx++) {
                int64_t iy = oy * s - pad + ky, ix = ox * s - pad + kx;
                if (iy >= 0 && iy < h && ix >= 0 && ix < w)
                  want += (double) x[(ci * h + iy) * w + ix]
                      * wt[((o * c + ci) * k + ky) * k + kx];
              }
          want = reference_post (post, want, res[o * ohw + p]);
          if (!(fabs (got - want) <= 1e-4)) {
            g_test_message ("direct %" G_GINT64_FORMAT " -> %"
                G_GINT64_FORMAT " %" G_GINT64_FORMAT "x%" G_GINT64_FORMAT
                " k %" G_GINT64_FORMAT " s %" G_GINT64_FORMAT " post %d"
                " padded %d: channel %" G_GINT64_FORMAT " at (%"
                G_GINT64_FORMAT ", %" G_GINT64_FORMAT "): %g, want %g", c, m,
                h, w, k, s, post, padded, o, oy, ox, got, want);
            g_test_fail ();
            goto done;
          }
        }
  }
done:
  g_free (x);
  g_free (wt);
  g_free (bias);
  g_free (res);
  g_free (resb);
  g_free (y);
  g_free (packed);
  g_rand_free (rand);
}

static void
test_direct (void)
{
  /* the stems (3x3 stride 2 and 1, unrolled, panels of 16 and a last one
   * of 8), other kernels through the general loop, plain inputs of 1 x 1 */
  for (int64_t w = 1; w <= 20; w++)
    for (Post post = 0; post < POST_COUNT; post++) {
      check_direct (3, 32, w + 2, w, 3, 2, 1, post);
      check_direct (3, 24, w, w + 1, 3, 1, 1, post);
    }
  /* ResNet's stem (7x7 stride 2, unrolled), two pairs of panels with
   * AVX-512, rows wider than its block of twelve pixels */
  for (int64_t w = 8; w <= 40; w += 11)
    for (Post post = 0; post < POST_COUNT; post++)
      check_direct (3, 64, w + 1, w, 7, 2, 3, post);
  check_direct (3, 16, 17, 17, 3, 2, 0, POST_SUM_HARDSWISH);
  check_direct (1, 8, 12, 11, 5, 2, 2, POST_CLIP);
  check_direct (2, 16, 9, 9, 4, 1, 1, POST_SUM_SIGMOID);
  check_direct (3, 40, 7, 9, 1, 1, 0, POST_SUM_RELU);
}

typedef enum {
  DENSE_KERNEL,      /* the dense kernel */
  DENSE_SUBSAMPLE,   /* a strided 1x1: the 1x1 kernel on gathered pixels */
  DENSE_WINOGRAD,             /* F(2x2, 3x3) */
  DENSE_WINOGRAD4,            /* F(4x4, 3x3) */
} DensePath;

/* A dense convolution (one group) of c blocked channels into m, k x k,
 * against the direct loop: through the dense kernel (the padded copy
 * made in two ranges of channel blocks, the items in two ranges), the
 * subsampled pixels and the 1x1 kernel (two ranges of positions), or
 * Winograd F(2x2, 3x3) on `threads` threads. */
static void
check_dense_path (int64_t c, int64_t m, int64_t h, int64_t w, int64_t k,
    int64_t s, int64_t pad, int64_t pad_end, int64_t dil, Post post,
    DensePath path, int threads)
{
  gboolean winograd = path == DENSE_WINOGRAD || path == DENSE_WINOGRAD4;
  /* pad_end more at the end of each axis (auto_pad SAME's odd case) */
  OviDepthwise d = { h, w, out_size (h + pad_end, k, s, dil, pad),
    out_size (w + pad_end, k, s, dil, pad), k, k, s, s, dil, dil, pad,
    pad };
  OviPostOps ops = post_ops (post);
  GRand *rand = g_rand_new_with_seed (7);
  int64_t ohw = d.oh * d.ow, taps = c * k * k;
  float *x, *xb, *wt, *bias, *res, *resb, *y, *packed, *scratch = NULL;
  const float *src;
  OviWinograd wg;

  if (d.oh <= 0 || d.ow <= 0) {
    g_rand_free (rand);
    return;
  }
  x = random_floats (rand, c * h * w, 1);
  xb = g_new (float, c * h * w);
  wt = random_floats (rand, m * taps, 1.0 / sqrt (taps));
  bias = random_floats (rand, m, 1);
  res = random_floats (rand, m * ohw, 1);
  resb = g_new (float, m * ohw);
  y = g_new (float, m * ohw);
  ovi_blocked_from_plain (x, h * w, 0, c / OVI_BLOCK, xb);
  ovi_blocked_from_plain (res, ohw, 0, m / OVI_BLOCK, resb);
  for (int64_t i = 0; i < m * ohw; i++)
    y[i] = NAN;
  src = xb;
  if (winograd) {
    g_assert_true (ovi_blocked_winograd_fits (&d, c, m, &wg));
    if (path == DENSE_WINOGRAD4)
      wg.tile = 4;
    packed = g_new (float, ovi_blocked_winograd_packed_floats (&wg));
    ovi_blocked_winograd_pack (&wg, wt, bias, packed);
    scratch = g_malloc (ovi_blocked_winograd_scratch_size (&wg));
    ovi_blocked_winograd_run (&wg, packed, post ? &ops : NULL, xb,
        ops.sum ? resb : NULL, y, scratch, threads);
  } else if (path == DENSE_SUBSAMPLE) {
    int64_t panels = ovi_blocked_pointwise_panels (m);
    g_assert_true (ovi_blocked_dense_subsamples (&d));
    packed = g_new (float, ovi_blocked_dense_packed_floats (&d, c, m));
    ovi_blocked_dense_pack (&d, c, m, wt, bias, packed);
    scratch = g_new (float, c * ohw);
    ovi_blocked_dense_subsample (&d, xb, scratch, 0, 1);
    ovi_blocked_dense_subsample (&d, xb, scratch, 1, c / OVI_BLOCK);
    ovi_blocked_pointwise_range (c, m, ohw, scratch, packed,
        post ? &ops : NULL, ops.sum ? resb : NULL, y, 0, panels, 0, ohw / 2);
    ovi_blocked_pointwise_range (c, m, ohw, scratch, packed,
        post ? &ops : NULL, ops.sum ? resb : NULL, y, 0, panels, ohw / 2,
        ohw);
  } else {
    int64_t items = ovi_blocked_dense_items (&d, m);
    packed = g_new (float, ovi_blocked_dense_packed_floats (&d, c, m));
    ovi_blocked_dense_pack (&d, c, m, wt, bias, packed);
    if (ovi_blocked_dense_needs_padding (&d)) {
      scratch = g_new (float, ovi_blocked_dense_padded_floats (&d, c));
      ovi_blocked_dense_pad (&d, xb, scratch, 0, 1);
      ovi_blocked_dense_pad (&d, xb, scratch, 1, c / OVI_BLOCK);
      src = scratch;
    } else {
      g_assert_cmpint (pad, ==, 0);
    }
    ovi_blocked_dense_range (&d, c, m, src, packed, post ? &ops : NULL,
        ops.sum ? resb : NULL, y, 0, items / 3);
    ovi_blocked_dense_range (&d, c, m, src, packed, post ? &ops : NULL,
        ops.sum ? resb : NULL, y, items / 3, items);
  }
  for (int64_t o = 0; o < m; o++)
    for (int64_t oy = 0; oy < d.oh; oy++)
      for (int64_t ox = 0; ox < d.ow; ox++) {
        int64_t p = oy * d.ow + ox;
        double want = bias[o];
        float got = y[blocked_at (o, p, ohw)];
        for (int64_t ci = 0; ci < c; ci++)
          for (int64_t ky = 0; ky < k; ky++)
            for (int64_t kx = 0; kx < k; kx++) {
              int64_t iy = oy * s - pad + ky * dil, ix = ox * s - pad
                  + kx * dil;
              if (iy >= 0 && iy < h && ix >= 0 && ix < w)
                want += (double) x[(ci * h + iy) * w + ix]
                    * wt[((o * c + ci) * k + ky) * k + kx];
            }
        want = reference_post (post, want, res[o * ohw + p]);
        if (!(fabs (got - want) <= 1e-4)) {
          g_test_message ("%s %" G_GINT64_FORMAT " -> %" G_GINT64_FORMAT
              " %" G_GINT64_FORMAT "x%" G_GINT64_FORMAT " k %" G_GINT64_FORMAT
              " s %" G_GINT64_FORMAT " pad %" G_GINT64_FORMAT " dil %"
              G_GINT64_FORMAT " post %d: channel %" G_GINT64_FORMAT
              " at (%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT "): %g, want %g",
              path == DENSE_WINOGRAD ? "winograd" : winograd
              ? "winograd 4x4" : path == DENSE_SUBSAMPLE
              ? "subsampled 1x1" : "dense", c, m, h, w, k, s, pad, dil,
              post, o, oy, ox, got, want);
          g_test_fail ();
          goto done;
        }
      }
done:
  g_free (x);
  g_free (xb);
  g_free (wt);
  g_free (bias);
  g_free (res);
  g_free (resb);
  g_free (y);
  g_free (packed);
  g_free (scratch);
  g_rand_free (rand);
}

/* winograd: 0 for the dense kernel, else Winograd's output tile (2 or 4) */
static void
check_dense (int64_t c, int64_t m, int64_t h, int64_t w, int64_t k,
    int64_t s, int64_t pad, int64_t dil, Post post, int winograd,
    int threads)
{
  OviDepthwise d = { h, w, out_size (h, k, s, dil, pad), out_size (w, k, s,
        dil, pad), k, k, s, s, dil, dil, pad, pad };
  check_dense_path (c, m, h, w, k, s, pad, 0, dil, post, winograd == 4
      ? DENSE_WINOGRAD4 : winograd ? DENSE_WINOGRAD : DENSE_KERNEL, threads);
  /* a strided 1x1 through both of its paths */
  if (!winograd && d.oh > 0 && d.ow > 0 && ovi_blocked_dense_subsamples (&d))
    check_dense_path (c, m, h, w, k, s, pad, 0, dil, post, DENSE_SUBSAMPLE,
        threads);
}

static void
test_dense (void)
{
  /* planes narrower and wider than the six pixels a block takes (blocks
   * wrapping across rows), with and without padding; 3x3 stride 1 and 2
   * and 1x1 stride 2 (unrolled), other kernels and dilations through the
   * general loop; output panels of 16 and a last one of 8 */
  for (int64_t w = 1; w <= 15; w++)
    for (Post post = 0; post < POST_COUNT; post++) {
      check_dense (16, 32, w + 1, w, 3, 1, 1, 1, post, FALSE, 1);
      check_dense (8, 24, w + 2, w, 3, 2, 1, 1, post, FALSE, 1);
      check_dense (24, 16, w, w + 3, 1, 2, 0, 1, post, FALSE, 1);
      /* a pair of panels and a single one (AVX-512) */
      check_dense (8, 48, w + 2, w, 3, 2, 1, 1, post, FALSE, 1);
    }
  check_dense (16, 8, 9, 10, 3, 1, 0, 1, POST_SUM_RELU, FALSE, 1);
  check_dense (8, 40, 12, 11, 5, 2, 2, 1, POST_CLIP, FALSE, 1);
  check_dense (16, 16, 13, 9, 3, 1, 2, 2, POST_SUM_SIGMOID, FALSE, 1);
  check_dense (8, 16, 9, 9, 4, 1, 1, 1, POST_SUM_HARDSWISH, FALSE, 1);
  check_dense (32, 32, 7, 7, 7, 2, 3, 1, POST_SWISH, FALSE, 1);
  /* padding only at the end (SAME at stride 2 on an even size), and one
   * more row and column than the symmetric padding, for both kernels */
  check_dense_path (16, 16, 8, 10, 3, 2, 0, 1, 1, POST_SUM_RELU,
      DENSE_KERNEL, 1);
  check_dense_path (8, 24, 9, 7, 1, 1, 0, 1, 1, POST_NONE, DENSE_KERNEL, 1);
  check_dense_path (32, 32, 8, 9, 3, 1, 1, 1, 1, POST_CLIP, DENSE_WINOGRAD,
      2);
}

static void
test_winograd (void)
{
  /* F(2x2, 3x3) and F(4x4, 3x3): outputs of every size modulo the tile
   * (tiles clipped at the edges), padded or not, blocks of several tile
   * rows, output panels of 16 and a last one of 8, post-ops at the store
   * and after; one thread and two */
  for (int tile = 2; tile <= 4; tile += 2) {
    for (int64_t w = 4; w <= 13; w++)
      for (Post post = 0; post < POST_COUNT; post++)
        check_dense (32, 40, w + 1, w, 3, 1, 1, 1, post, tile, 1 + w % 2);
    check_dense (32, 32, 9, 8, 3, 1, 0, 1, POST_SUM_RELU, tile, 2);
    check_dense (64, 32, 30, 29, 3, 1, 1, 1, POST_SUM_HARDSIGMOID, tile, 2);
    check_dense (256, 256, 4, 4, 3, 1, 1, 1, POST_NONE, tile, 2);
    /* ResNet-50's layer1 shape, many tile rows and blocks */
    check_dense (64, 64, 56, 56, 3, 1, 1, 1, POST_SUM_RELU, tile, 2);
  }
}

/* The tile a convolution gets: F(4x4) from 7x7 tiles of its output up
 * (ResNet-50's 56x56 and 28x28 3x3s), F(2x2) below (its 14x14s). */
static void
test_winograd_tile (void)
{
  OviDepthwise d = { 56, 56, 56, 56, 3, 3, 1, 1, 1, 1, 1, 1 };
  OviWinograd wg;
  if (g_getenv ("OVI_WINOGRAD_TILE") || g_getenv ("OVI_CONV_WINOGRAD")) {
    g_test_skip ("the tile or Winograd is forced from the environment");
    return;
  }
  g_assert_true (ovi_blocked_winograd_shape (&d, 64, 64, &wg));
  g_assert_cmpint (wg.tile, ==, 4);
  d.h = d.w = d.oh = d.ow = 28;
  g_assert_true (ovi_blocked_winograd_shape (&d, 128, 128, &wg));
  g_assert_cmpint (wg.tile, ==, 4);
  d.h = d.w = d.oh = d.ow = 25;   /* 7x7 tiles, the last ones clipped */
  g_assert_true (ovi_blocked_winograd_shape (&d, 128, 128, &wg));
  g_assert_cmpint (wg.tile, ==, 4);
  d.h = d.w = d.oh = d.ow = 24;   /* 6x6 tiles */
  g_assert_true (ovi_blocked_winograd_shape (&d, 128, 128, &wg));
  g_assert_cmpint (wg.tile, ==, 2);
  d.h = d.w = d.oh = d.ow = 14;
  g_assert_true (ovi_blocked_winograd_shape (&d, 256, 256, &wg));
  g_assert_cmpint (wg.tile, ==, 2);
}

/* A small graph: the plan's graph with the layout, and the outputs of
 * both plans. */
static int
add_const (OviGraph *g, const char *name, GRand *rand, int rank,
    const int64_t *dims, double range)
{
  int v = ovi_graph_add_value (g, name, OVI_DTYPE_FLOAT32);
  OviValue *val = ovi_graph_value (g, v);
  OviTensor *t = ovi_tensor_new (OVI_DTYPE_FLOAT32, rank, dims);
  float *data = t->data;
  for (int64_t i = 0; i < ovi_tensor_numel (t); i++)
    data[i] = g_rand_double_range (rand, -range, range);
  val->rank = rank;
  memcpy (val->dims, dims, sizeof (int64_t) * rank);
  val->constant = t;
  return v;
}

static OviNode *
add_conv (OviGraph *g, GRand *rand, const char *name, int x, int64_t c,
    int64_t m, int64_t k, int64_t stride, int *y)
{
  int64_t group = k > 1 ? c : 1;
  int64_t wdims[4] = { m, c / group, k, k }, bdims[1] = { m };
  char *wn = g_strconcat (name, ".w", NULL), *bn = g_strconcat (name, ".b",
      NULL);
  int in[3] = { x, add_const (g, wn, rand, 4, wdims, 1.0 / sqrt (c / group
          * k * k)), add_const (g, bn, rand, 1, bdims, 0.5) };
  OviNode *n;
  int64_t pads[4] = { k / 2, k / 2, k / 2, k / 2 }, strides[2] = { stride,
    stride };

  *y = ovi_graph_add_value (g, name, OVI_DTYPE_UNDEFINED);
  n = ovi_graph_add_node (g, "Conv", name, 3, in, 1, y);
  ovi_node_set_attr_int (n, "group", group);
  ovi_node_set_attr_ints (n, "pads", 4, pads);
  ovi_node_set_attr_ints (n, "strides", 2, strides);
  g_free (wn);
  g_free (bn);
  return n;
}

static int
add_op (OviGraph *g, const char *op, int n_in, const int *in,
    const char *name)
{
  int y = ovi_graph_add_value (g, name, OVI_DTYPE_UNDEFINED);
  ovi_graph_add_node (g, op, name, n_in, in, 1, &y);
  return y;
}

/* The graph's input "x", float [dims]. */
static int
add_input (OviGraph *g, const int64_t *dims)
{
  int x = ovi_graph_add_value (g, "x", OVI_DTYPE_FLOAT32);
  ovi_graph_value (g, x)->rank = 4;
  memcpy (ovi_graph_value (g, x)->dims, dims, 4 * sizeof (int64_t));
  g_array_append_val (g->inputs, x);
  return x;
}

/* Sorts the graph and makes it a model; frees rand. */
static OviModel *
finish_model (OviGraph *g, GRand *rand, const char *source)
{
  GError *error = NULL;
  g->opset = 13;
  g->source = g_strdup (source);
  g_assert_true (ovi_graph_sort (g, &error));
  g_assert_no_error (error);
  g_rand_free (rand);
  return ovi_model_new_from_graph (g);
}

/* The batch of chain_model's input. */
static int64_t chain_batch = 2;

/* x [chain_batch, 16, 9, 11] -> 1x1 (32) -> Relu -> depthwise 3x3 -> scaled by
 * squeeze-and-excitation (GlobalAveragePool, 1x1 to 8, Relu, 1x1 to 32,
 * Sigmoid, Mul) -> 1x1 (32) + the Relu's output -> doubled by an Add,
 * Relu -> depthwise 5x5 stride 2 -> output y1; and GlobalAveragePool
 * (the sum) -> output y2. */
static OviModel *
chain_model (void)
{
  OviGraph *g = ovi_graph_new ();
  GRand *rand = g_rand_new_with_seed (4);
  int64_t xdims[4] = { chain_batch, 16, 9, 11 };
  int x = add_input (g, xdims), a, r, b, c, s;
  int y1, y2, in[2], squeeze, fc1, fc1r, fc2, gate, scaled, twice, relu2;

  add_conv (g, rand, "expand", x, 16, 32, 1, 1, &a);
  r = add_op (g, "Relu", 1, &a, "relu");
  add_conv (g, rand, "dw", r, 32, 32, 3, 1, &b);
  squeeze = add_op (g, "GlobalAveragePool", 1, &b, "squeeze");
  add_conv (g, rand, "fc1", squeeze, 32, 8, 1, 1, &fc1);
  fc1r = add_op (g, "Relu", 1, &fc1, "fc1r");
  add_conv (g, rand, "fc2", fc1r, 8, 32, 1, 1, &fc2);
  gate = add_op (g, "Sigmoid", 1, &fc2, "gate");
  in[0] = gate;
  in[1] = b;
  scaled = add_op (g, "Mul", 2, in, "scaled");
  add_conv (g, rand, "project", scaled, 32, 32, 1, 1, &c);
  in[0] = c;
  in[1] = r;
  s = add_op (g, "Add", 2, in, "sum");
  /* unfused elementwise ops between the convolutions (the sum has other
   * readers, so no Conv takes the Add) */
  in[0] = in[1] = s;
  twice = add_op (g, "Add", 2, in, "twice");
  relu2 = add_op (g, "Relu", 1, &twice, "relu2");
  add_conv (g, rand, "dw2", relu2, 32, 32, 5, 2, &y1);
  y2 = add_op (g, "GlobalAveragePool", 1, &s, "pool");
  g_array_append_val (g->outputs, y1);
  g_array_append_val (g->outputs, y2);
  return finish_model (g, rand, "chain");
}

/* m's plan for the CPU (the layout included) for input x of dims. */
static OviPlan *
cpu_plan (OviModel *m, const int64_t *dims)
{
  OviTensorView in = { OVI_DTYPE_FLOAT32, 4, { dims[0], dims[1], dims[2],
      dims[3] }, NULL };
  GError *error = NULL;
  OviPlan *plan = ovi_plan_new_with_flags (m->graph, &in, 1,
      OVI_PLAN_BLOCKED_LAYOUT, &error);
  g_assert_no_error (error);
  return plan;
}

/* Plans m for input x of dims blocked, counting the steps marked blocked
 * and the reorders each way. */
static void
count_layout_steps (OviModel *m, const int64_t *dims, int *blocked,
    int *to_blocked, int *to_plain)
{
  OviPlan *plan = cpu_plan (m, dims);

  *blocked = *to_blocked = *to_plain = 0;
  for (int s = 0; s < plan->n_steps; s++) {
    const OviNode *n = plan->steps[s].node;
    *to_blocked += strcmp (n->op_type, OVI_OP_TO_BLOCKED) == 0;
    *to_plain += strcmp (n->op_type, OVI_OP_TO_PLAIN) == 0;
    *blocked += ovi_node_attr_int (n, OVI_ATTR_BLOCKED, 0) != 0;
  }
  ovi_plan_unref (plan);
  ovi_model_unref (m);
}

/* Runs m (then unrefs it) on x of dims, with the layout or without:
 * copies of its first n outputs, of numels[i] floats each. */
static void
run_model (OviModel *m, gboolean blocked, const float *x,
    const int64_t *dims, int n, const int64_t *numels, float **outs)
{
  OviCompiledModel *cm;
  OviRequest *r;
  GError *error = NULL;
  OviTensorView in = { OVI_DTYPE_FLOAT32, 4, { dims[0], dims[1], dims[2],
      dims[3] }, (void *) x };
  OviTensorView out;

  if (blocked)
    g_unsetenv ("OVI_BLOCKED");
  else
    g_setenv ("OVI_BLOCKED", "0", TRUE);
  cm = ovi_compile (m, "CPU", NULL, &error);
  g_assert_no_error (error);
  r = ovi_request_new (cm, &error);
  g_assert_no_error (error);
  g_assert_true (ovi_request_set_input (r, "x", &in, &error));
  g_assert_true (ovi_request_infer (r, &error));
  g_assert_no_error (error);
  for (int i = 0; i < n; i++) {
    g_assert_true (ovi_request_get_output (r, i, NULL, &out));
    g_assert_cmpint (ovi_shape_numel (out.rank, out.dims), ==, numels[i]);
    outs[i] = g_memdup2 (out.data, sizeof (float) * numels[i]);
  }
  ovi_request_free (r);
  ovi_compiled_model_unref (cm);
  ovi_model_unref (m);
  g_unsetenv ("OVI_BLOCKED");
}

/* The first n outputs of the model make () builds (numels[i] floats each)
 * with the layout and without, on the same random input of dims: equal
 * within 1e-4. */
static void
check_layout_outputs (OviModel *(*make) (void), const int64_t *dims, int n,
    const int64_t *numels, guint32 seed)
{
  GRand *rand = g_rand_new_with_seed (seed);
  float *x = random_floats (rand, dims[0] * dims[1] * dims[2] * dims[3], 1);
  float *plain[2], *blocked[2];

  g_assert_cmpint (n, <=, 2);
  run_model (make (), FALSE, x, dims, n, numels, plain);
  run_model (make (), TRUE, x, dims, n, numels, blocked);
  for (int k = 0; k < n; k++) {
    for (int64_t i = 0; i < numels[k]; i++)
      g_assert_cmpfloat_with_epsilon (blocked[k][i], plain[k][i], 1e-4);
    g_free (plain[k]);
    g_free (blocked[k]);
  }
  g_free (x);
  g_rand_free (rand);
}

/* A convolution of one group, k x k, padded to keep the size at stride 1. */
static int
add_dense (OviGraph *g, GRand *rand, const char *name, int x, int64_t c,
    int64_t m, int64_t k, int64_t stride)
{
  int64_t wdims[4] = { m, c, k, k }, bdims[1] = { m };
  char *wn = g_strconcat (name, ".w", NULL), *bn = g_strconcat (name, ".b",
      NULL);
  int in[3] = { x, add_const (g, wn, rand, 4, wdims, 1.0 / sqrt (c * k * k)),
    add_const (g, bn, rand, 1, bdims, 0.5) };
  int64_t pads[4] = { k / 2, k / 2, k / 2, k / 2 }, strides[2] = { stride,
    stride };
  int y = ovi_graph_add_value (g, name, OVI_DTYPE_UNDEFINED);
  OviNode *n = ovi_graph_add_node (g, "Conv", name, 3, in, 1, &y);
  ovi_node_set_attr_ints (n, "pads", 4, pads);
  ovi_node_set_attr_ints (n, "strides", 2, strides);
  g_free (wn);
  g_free (bn);
  return y;
}

static int
add_pool (OviGraph *g, const char *op, int x, int64_t k, int64_t stride,
    int64_t pad, gboolean include_pad, const char *name)
{
  int y = add_op (g, op, 1, &x, name);
  OviNode *n = ovi_graph_node (g, g->nodes->len - 1);
  int64_t kernel[2] = { k, k }, strides[2] = { stride, stride };
  int64_t pads[4] = { pad, pad, pad, pad };
  ovi_node_set_attr_ints (n, "kernel_shape", 2, kernel);
  ovi_node_set_attr_ints (n, "strides", 2, strides);
  ovi_node_set_attr_ints (n, "pads", 4, pads);
  if (include_pad)
    ovi_node_set_attr_int (n, "count_include_pad", 1);
  return y;
}

/* A ResNet in small: x [2, 16, 13, 11] -> 3x3 (32), Relu -> MaxPool 3x3
 * stride 2 -> 3x3 (32, Winograd) + the pool's output, Relu ->
 * AveragePool 3x3 (padded, not counting the padding) -> the same
 * counting the padding -> 1x1 stride 2
 * (16) -> 3x3 (16) -> 1x1 (16) -> y. (Five convolutions: the pass
 * blocks a chain worth its two reorders.) */
static OviModel *
resnet_model (void)
{
  OviGraph *g = ovi_graph_new ();
  GRand *rand = g_rand_new_with_seed (8);
  int64_t xdims[4] = { 2, 16, 13, 11 };
  int x = add_input (g, xdims);
  int a, r, pool, b, in[2], sum, r2, avg, y;

  a = add_dense (g, rand, "stem", x, 16, 32, 3, 1);
  r = add_op (g, "Relu", 1, &a, "relu");
  pool = add_pool (g, "MaxPool", r, 3, 2, 1, FALSE, "maxpool");
  b = add_dense (g, rand, "conv", pool, 32, 32, 3, 1);
  in[0] = b;
  in[1] = pool;
  sum = add_op (g, "Add", 2, in, "sum");
  r2 = add_op (g, "Relu", 1, &sum, "relu2");
  avg = add_pool (g, "AveragePool", r2, 3, 1, 1, FALSE, "avgpool");
  avg = add_pool (g, "AveragePool", avg, 3, 1, 1, TRUE, "avgpool2");
  b = add_dense (g, rand, "down", avg, 32, 16, 1, 2);
  b = add_dense (g, rand, "conv2", b, 16, 16, 3, 1);
  y = add_dense (g, rand, "conv3", b, 16, 16, 1, 1);
  g_array_append_val (g->outputs, y);
  return finish_model (g, rand, "resnet");
}

static const int64_t resnet_dims[4] = { 2, 16, 13, 11 };

static void
test_resnet_pass (void)
{
  int blocked, to_blocked, to_plain;

  count_layout_steps (resnet_model (), resnet_dims, &blocked, &to_blocked,
      &to_plain);
  /* five convolutions (the Relus and the residual fused into them) and
   * three pools; x in, y out */
  g_assert_cmpint (blocked, ==, 8);
  g_assert_cmpint (to_blocked, ==, 1);
  g_assert_cmpint (to_plain, ==, 1);
}

static void
test_resnet_outputs (void)
{
  const int64_t numel = 2 * 16 * 4 * 3;
  check_layout_outputs (resnet_model, resnet_dims, 1, &numel, 9);
}

static const int64_t chain_dims[4] = { 2, 16, 9, 11 };

static void
test_pass (void)
{
  int blocked, to_blocked, to_plain;

  count_layout_steps (chain_model (), chain_dims, &blocked, &to_blocked,
      &to_plain);
  /* the six convolutions (the squeeze's two from and to [N, C, 1, 1],
   * the same in both layouts, without reorders), the two pools and the
   * Mul; the Add and Relu between the convolutions run blocked unmarked;
   * x in, y1 out */
  g_assert_cmpint (blocked, ==, 9);
  g_assert_cmpint (to_blocked, ==, 1);
  g_assert_cmpint (to_plain, ==, 1);
}

static void
test_chain_outputs (void)
{
  const int64_t numels[2] = { 2 * 32 * 5 * 6, 2 * 32 };
  const int64_t one[4] = { 1, 16, 9, 11 }, one_numels[2] = { 32 * 5 * 6,
    32 };
  check_layout_outputs (chain_model, chain_dims, 2, numels, 5);
  /* one image: the squeeze's 1x1s as row-vector products of one row */
  chain_batch = 1;
  check_layout_outputs (chain_model, one, 2, one_numels, 5);
  chain_batch = 2;
}

/* A dense block as face-api's landmark and expression nets have them:
 * x [2, 16, 9, 11] -> 1x1 (16), Relu = o1; each next layer o_k is a
 * depthwise 3x3 and a 1x1 of relu (o1 + (o2 + (... + o_{k-1}))), and the
 * block's output y = relu (o1 + (o2 + (o3 + o4))). With expose, every
 * Add's output is also a graph output, which keeps the Adds and Relus
 * apart. */
static const int64_t dense_dims[4] = { 2, 16, 9, 11 };
/* more than one piece of the Sum kernel, the last one short */
static const int64_t dense_big_dims[4] = { 1, 16, 40, 40 };

static OviModel *
dense_block_build (gboolean expose, const int64_t *xdims)
{
  OviGraph *g = ovi_graph_new ();
  GRand *rand = g_rand_new_with_seed (12);
  int x = add_input (g, xdims), o[4], y = -1;

  add_conv (g, rand, "c1", x, 16, 16, 1, 1, &o[0]);
  o[0] = add_op (g, "Relu", 1, &o[0], "o1");
  for (int k = 1; k <= 4; k++) {
    /* acc = o[k-1] + ... nested to the right, then + o[0] */
    int acc = o[k - 1], in[2];
    char name[32];
    for (int j = k - 2; j >= 0; j--) {
      in[0] = o[j];
      in[1] = acc;
      g_snprintf (name, sizeof (name), "add%d_%d", k, j);
      acc = add_op (g, "Add", 2, in, name);
      if (expose)
        g_array_append_val (g->outputs, acc);
    }
    g_snprintf (name, sizeof (name), "relu%d", k);
    acc = k > 1 ? add_op (g, "Relu", 1, &acc, name) : acc;
    if (k == 4) {
      y = acc;
      break;
    }
    g_snprintf (name, sizeof (name), "dw%d", k);
    add_conv (g, rand, name, acc, 16, 16, 3, 1, &o[k]);
    g_snprintf (name, sizeof (name), "pw%d", k);
    add_conv (g, rand, name, o[k], 16, 16, 1, 1, &o[k]);
  }
  g_array_prepend_val (g->outputs, y);
  return finish_model (g, rand, "dense-block");
}


/* The CPU plan's op types, counted. */
static void
count_ops (OviModel *m, const int64_t *dims, int *sums, int *adds,
    int *relus, int *blocked_sums)
{
  OviPlan *plan = cpu_plan (m, dims);

  *sums = *adds = *relus = *blocked_sums = 0;
  for (int s = 0; s < plan->n_steps; s++) {
    const OviNode *n = plan->steps[s].node;
    gboolean sum = strcmp (n->op_type, "Sum") == 0;
    *sums += sum;
    *adds += strcmp (n->op_type, "Add") == 0;
    *relus += strcmp (n->op_type, "Relu") == 0;
    if (sum && g_strcmp0 (ovi_node_attr_string (n, OVI_ATTR_ACTIVATION,
                NULL), "Relu") == 0) {
      const OviValue *v = ovi_graph_value (plan->graph, n->outputs[0]);
      /* Between blocked convolutions, the Sum reads and writes blocked
       * values: no reorder next to it. */
      int p = ovi_graph_producer (plan->graph, n->inputs[0]);
      *blocked_sums += v->rank == 4 && p >= 0 && strcmp (ovi_graph_node
          (plan->graph, p)->op_type, OVI_OP_TO_BLOCKED) != 0;
    }
  }
  ovi_plan_unref (plan);
  ovi_model_unref (m);
}

static void
test_dense_block_pass (void)
{
  int sums, adds, relus, blocked_sums;

  /* Layer 2's o1 + o2 is a Sum of two with the Relu, layer 3's and the
   * output's trees Sums of three (o4 + o3 is the last 1x1's residual);
   * no Add or Relu is left. */
  count_ops (dense_block_build (FALSE, dense_dims), dense_dims, &sums, &adds, &relus,
      &blocked_sums);
  g_assert_cmpint (sums, ==, 3);
  g_assert_cmpint (adds, ==, 0);
  g_assert_cmpint (relus, ==, 0);
  g_assert_cmpint (blocked_sums, ==, 3);
  /* Exposed intermediates stay: 1 + 2 + 3 Adds but the one the last 1x1
   * takes as its residual, and 3 Relus. */
  count_ops (dense_block_build (TRUE, dense_dims), dense_dims, &sums, &adds, &relus,
      &blocked_sums);
  g_assert_cmpint (sums, ==, 0);
  g_assert_cmpint (adds, ==, 5);
  g_assert_cmpint (relus, ==, 3);
}

/* a and b (n floats each) equal within 1e-5; frees both. */
static void
assert_close_and_free (float *a, float *b, int64_t n)
{
  for (int64_t i = 0; i < n; i++)
    g_assert_cmpfloat_with_epsilon (a[i], b[i], 1e-5);
  g_free (a);
  g_free (b);
}

static void
check_dense_block_outputs (const int64_t *dims)
{
  GRand *rand = g_rand_new_with_seed (13);
  const int64_t numel = dims[0] * dims[1] * dims[2] * dims[3];
  float *x = random_floats (rand, numel, 1), *fused, *apart;

  run_model (dense_block_build (FALSE, dims), TRUE, x, dims, 1, &numel,
      &fused);
  run_model (dense_block_build (TRUE, dims), TRUE, x, dims, 1, &numel,
      &apart);
  assert_close_and_free (fused, apart, numel);
  g_free (x);
  g_rand_free (rand);
}

static void
test_dense_block_outputs (void)
{
  check_dense_block_outputs (dense_dims);
  check_dense_block_outputs (dense_big_dims);
}

/* A 1x1 convolution and a depthwise one after it, fused: x [dims] -> 1x1
 * (pd.m channels) -> pd.pw_act -> depthwise pd.k x pd.k, stride pd.s,
 * padded by pd.pad, dilated by pd.dil (0: not) -> pd.dw_act -> 1x1 (16
 * channels) -> 1x1 (16: a chain long enough for the layout) -> y. */
static struct {
  int64_t dims[4], m, k, s, pad, dil;
  const char *pw_act, *dw_act;
} pd;

static OviModel *
pointwise_depthwise_model (void)
{
  OviGraph *g = ovi_graph_new ();
  GRand *rand = g_rand_new_with_seed (21);
  int x = add_input (g, pd.dims), a, b;
  int64_t pads[4] = { pd.pad, pd.pad, pd.pad, pd.pad };
  OviNode *dw;

  add_conv (g, rand, "expand", x, pd.dims[1], pd.m, 1, 1, &a);
  if (pd.pw_act)
    a = add_op (g, pd.pw_act, 1, &a, "pw_act");
  dw = add_conv (g, rand, "dw", a, pd.m, pd.m, pd.k, pd.s, &b);
  ovi_node_set_attr_ints (dw, "pads", 4, pads);
  if (pd.dil > 1) {
    int64_t dilations[2] = { pd.dil, pd.dil };
    ovi_node_set_attr_ints (dw, "dilations", 2, dilations);
  }
  if (pd.dw_act)
    b = add_op (g, pd.dw_act, 1, &b, "dw_act");
  add_conv (g, rand, "project", b, pd.m, 16, 1, 1, &b);
  add_conv (g, rand, "head", b, 16, 16, 1, 1, &b);
  g_array_append_val (g->outputs, b);
  return finish_model (g, rand, "pointwise-depthwise");
}

static int
count_op (OviModel *m, const int64_t *dims, const char *op)
{
  OviPlan *plan = cpu_plan (m, dims);
  int n = 0;

  for (int s = 0; s < plan->n_steps; s++)
    n += strcmp (plan->steps[s].node->op_type, op) == 0;
  ovi_plan_unref (plan);
  ovi_model_unref (m);
  return n;
}

static void
test_pointwise_depthwise_pass (void)
{
  const int64_t dims[4] = { 1, 16, 12, 10 };

  memcpy (pd.dims, dims, sizeof (dims));
  pd.m = 32;
  pd.k = 3;
  pd.s = 2;
  pd.pad = 1;
  pd.pw_act = "Relu";
  pd.dw_act = "Relu";
  /* one node, both activations its post-ops; the last 1x1s apart */
  g_assert_cmpint (count_op (pointwise_depthwise_model (), dims,
          OVI_OP_POINTWISE_DEPTHWISE), ==, 1);
  g_assert_cmpint (count_op (pointwise_depthwise_model (), dims, "Conv"),
      ==, 2);
  g_assert_cmpint (count_op (pointwise_depthwise_model (), dims, "Relu"),
      ==, 0);
  /* the switch to compare leaves them apart */
  g_setenv ("OVI_POINTWISE_DEPTHWISE", "0", TRUE);
  g_assert_cmpint (count_op (pointwise_depthwise_model (), dims,
          OVI_OP_POINTWISE_DEPTHWISE), ==, 0);
  g_unsetenv ("OVI_POINTWISE_DEPTHWISE");
}

/* The fused node's output against the two convolutions' apart. */
static void
check_pointwise_depthwise (int64_t n, int64_t c, int64_t h, int64_t w,
    int64_t m, int64_t k, int64_t s, int64_t pad, const char *pw_act,
    const char *dw_act)
{
  GRand *rand = g_rand_new_with_seed (22);
  const int64_t dims[4] = { n, c, h, w };
  int64_t reach = (k - 1) * MAX (pd.dil, 1) + 1;
  int64_t oh = (h + 2 * pad - reach) / s + 1;
  int64_t ow = (w + 2 * pad - reach) / s + 1;
  int64_t numel = n * 16 * oh * ow;
  float *x = random_floats (rand, n * c * h * w, 1), *fused, *apart;

  memcpy (pd.dims, dims, sizeof (dims));
  pd.m = m;
  pd.k = k;
  pd.s = s;
  pd.pad = pad;
  pd.pw_act = pw_act;
  pd.dw_act = dw_act;
  g_assert_cmpint (count_op (pointwise_depthwise_model (), dims,
          OVI_OP_POINTWISE_DEPTHWISE), ==, 1);
  run_model (pointwise_depthwise_model (), TRUE, x, dims, 1, &numel,
      &fused);
  g_setenv ("OVI_POINTWISE_DEPTHWISE", "0", TRUE);
  run_model (pointwise_depthwise_model (), TRUE, x, dims, 1, &numel,
      &apart);
  g_unsetenv ("OVI_POINTWISE_DEPTHWISE");
  assert_close_and_free (fused, apart, numel);
  g_free (x);
  g_rand_free (rand);
}

static void
test_pointwise_depthwise_outputs (void)
{
  /* one band: the whole plane in the window */
  check_pointwise_depthwise (2, 16, 9, 11, 32, 3, 1, 1, "Relu", NULL);
  check_pointwise_depthwise (1, 8, 14, 14, 48, 5, 2, 2, NULL, "Relu");
  /* activations the stores do not apply, after the 1x1 and after the
   * depthwise */
  check_pointwise_depthwise (1, 16, 20, 17, 24, 3, 2, 1, "Sigmoid",
      "Tanh");
  /* rows wider than the window: bands of a few rows, the ring of rows
   * wrapping, at both strides, padded or not */
  check_pointwise_depthwise (1, 16, 37, 300, 64, 3, 1, 1, "Relu", "Relu");
  check_pointwise_depthwise (1, 16, 41, 301, 64, 3, 2, 1, "HardSwish",
      NULL);
  check_pointwise_depthwise (1, 8, 23, 290, 64, 5, 1, 0, NULL, NULL);
  check_pointwise_depthwise (1, 8, 30, 260, 64, 5, 2, 2, "Relu", NULL);
  /* narrow 5x5 rows (with AVX-512 whole in masked blocks) from a ring
   * that wraps: 1024 channels leave the window 18 rows of 14 pixels */
  check_pointwise_depthwise (1, 16, 40, 14, 1024, 5, 1, 2, "Relu", NULL);
  /* one panel of channels: the threads split the rows */
  check_pointwise_depthwise (2, 16, 33, 40, 16, 3, 1, 1, "Relu", NULL);
  check_pointwise_depthwise (1, 16, 64, 500, 8, 3, 2, 1, NULL, "Relu");
  /* dilated by 2, as LR-ASPP's last blocks (5x5 at 32x32, padding 4):
   * the ring holds rows further apart, and the depthwise takes its
   * dilated instances */
  pd.dil = 2;
  check_pointwise_depthwise (1, 16, 32, 32, 48, 5, 1, 4, "HardSwish",
      "Relu");
  check_pointwise_depthwise (1, 8, 19, 23, 32, 3, 1, 2, NULL, "Sigmoid");
  check_pointwise_depthwise (1, 16, 40, 300, 64, 5, 1, 4, "Relu", NULL);
  pd.dil = 0;
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/blocked/reorder", test_reorder);
  g_test_add_func ("/blocked/depthwise", test_depthwise);
  g_test_add_func ("/blocked/pointwise", test_pointwise);
  g_test_add_func ("/blocked/direct", test_direct);
  g_test_add_func ("/blocked/dense", test_dense);
  g_test_add_func ("/blocked/winograd", test_winograd);
  g_test_add_func ("/blocked/winograd-tile", test_winograd_tile);
  g_test_add_func ("/blocked/pass", test_pass);
  g_test_add_func ("/blocked/chain-outputs", test_chain_outputs);
  g_test_add_func ("/blocked/resnet-pass", test_resnet_pass);
  g_test_add_func ("/blocked/resnet-outputs", test_resnet_outputs);
  g_test_add_func ("/blocked/dense-block-pass", test_dense_block_pass);
  g_test_add_func ("/blocked/dense-block-outputs", test_dense_block_outputs);
  g_test_add_func ("/blocked/pointwise-depthwise-pass",
      test_pointwise_depthwise_pass);
  g_test_add_func ("/blocked/pointwise-depthwise-outputs",
      test_pointwise_depthwise_outputs);
  return g_test_run ();
}
