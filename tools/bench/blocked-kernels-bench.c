/* The channel-blocked convolution kernels alone (devices/cpu/conv-blocked.h)
 * on MobileNetV2's shapes (with `resnet`, ResNet-50's 1x1s and dense 3x3s; with
 * `mobile`, MobileNetV2's other 1x1s), in cache where they fit (with
 * `cold`, after a sweep that evicts them): best of 300 runs, split
 * between the OpenMP threads as the CPU device splits them (rows for
 * depthwise and the stem, panels or positions for 1x1), with ReLU6 as
 * the post-op. For the per-node comparison with ONNX Runtime's profile
 * in docs/performance.md.
 *
 *   OMP_NUM_THREADS=2 build/tools/ovi-blocked-kernels-bench [resnet|mobile] [cold] */
#include <omp.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "cpu/conv-blocked.h"

#define RUNS 300

static const OviPostOps relu6 = { OVI_ACT_CLIP, 0, 6, FALSE };

static float *
filled (int64_t n)
{
  float *v = g_new (float, MAX (n, 1));
  for (int64_t i = 0; i < n; i++)
    v[i] = (i % 7) * 0.1f - 0.3f;
  return v;
}

/* With `cold` on the command line, each run starts with the caches
 * holding a sweep over 8 MiB rather than the kernel's operands, as in a
 * model where the other layers ran in between: the weights come from
 * L3 or memory. */
static float *sweep;
static int64_t sweep_floats;

static void
evict (void)
{
  if (sweep == NULL)
    return;
  for (int64_t i = 0; i < sweep_floats; i += 16)
    sweep[i] += 1.0f;
}

static void
report (const char *what, double best, double flop)
{
  printf ("%-34s %7.3f ms %6.1f GFLOPS\n", what, best * 1e3,
      flop / best / 1e9);
}

static OviDepthwise
geometry (int64_t h, int64_t k, int64_t s)
{
  OviDepthwise d = { .h = h, .w = h, .kh = k, .kw = k, .sh = s, .sw = s,
    .dh = 1, .dw = 1, .ph = k / 2, .pw = k / 2 };
  d.oh = (h + 2 * d.ph - k) / s + 1;
  d.ow = d.oh;
  return d;
}

static void
depthwise (int64_t c, int64_t h, int64_t k, int64_t s)
{
  OviDepthwise d = geometry (h, k, s);
  int64_t rows = c / OVI_BLOCK * d.oh;
  float *x = filled (c * h * h), *y = g_new (float, c * d.oh * d.ow);
  float *w = filled (c * k * k), *packed;
  double best = G_MAXDOUBLE;
  char what[64];

  packed = g_new (float, ovi_blocked_depthwise_packed_floats (&d, c));
  ovi_blocked_depthwise_pack (&d, c, w, NULL, packed);
  for (int run = 0; run < RUNS; run++) {
    gint64 t0;
    evict ();
    t0 = g_get_monotonic_time ();
#pragma omp parallel
    {
      int nt = omp_get_num_threads (), id = omp_get_thread_num ();
      int64_t r = rows * id / nt, r1 = rows * (id + 1) / nt;
      while (r < r1) {
        int64_t oh = r % d.oh, end = MIN (d.oh, oh + (r1 - r));
        ovi_blocked_depthwise_rows (&d, x, packed, &relu6, NULL, y,
            r / d.oh, oh, end);
        r += end - oh;
      }
    }
    best = MIN (best, (g_get_monotonic_time () - t0) / 1e6);
  }
  g_snprintf (what, sizeof (what), "depthwise %" G_GINT64_FORMAT "x%"
      G_GINT64_FORMAT " s%" G_GINT64_FORMAT " %" G_GINT64_FORMAT "x%"
      G_GINT64_FORMAT "x%" G_GINT64_FORMAT, k, k, s, c, h, h);
  report (what, best, 2.0 * k * k * c * d.oh * d.ow);
  g_free (x);
  g_free (y);
  g_free (w);
  g_free (packed);
}

static void
pointwise (int64_t ic, int64_t oc, int64_t h)
{
  int64_t hw = h * h, panels = ovi_blocked_pointwise_panels (oc);
  float *x = filled (ic * hw), *y = g_new (float, oc * hw);
  float *w = filled (ic * oc), *packed;
  double best = G_MAXDOUBLE;
  char what[64];

  packed = g_new (float, ovi_blocked_pointwise_packed_floats (ic, oc));
  ovi_blocked_pointwise_pack (ic, oc, w, NULL, packed);
  for (int run = 0; run < RUNS; run++) {
    gint64 t0;
    evict ();
    t0 = g_get_monotonic_time ();
#pragma omp parallel
    {
      int nt = omp_get_num_threads (), id = omp_get_thread_num ();
      int64_t rows = ovi_blocked_pointwise_rows ();
      int64_t group = ovi_blocked_pointwise_group ();
      int64_t blocks = (hw + rows - 1) / rows;
      int64_t groups = (panels + group - 1) / group;
      /* as op-conv-blocked.c: panels (in the kernel's groups) when each
       * thread gets two, else positions in the kernel's blocks */
      if (panels >= 2 * nt)
        ovi_blocked_pointwise_range (ic, oc, hw, x, packed, &relu6, NULL, y,
            groups * id / nt * group,
            MIN (panels, groups * (id + 1) / nt * group), 0, hw);
      else
        ovi_blocked_pointwise_range (ic, oc, hw, x, packed, &relu6, NULL, y,
            0, panels, blocks * id / nt * rows,
            MIN (hw, blocks * (id + 1) / nt * rows));
    }
    best = MIN (best, (g_get_monotonic_time () - t0) / 1e6);
  }
  g_snprintf (what, sizeof (what), "1x1 %" G_GINT64_FORMAT " -> %"
      G_GINT64_FORMAT " at %" G_GINT64_FORMAT "x%" G_GINT64_FORMAT, ic, oc,
      h, h);
  report (what, best, 2.0 * ic * oc * hw);
  g_free (x);
  g_free (y);
  g_free (w);
  g_free (packed);
}

/* A dense k x k convolution, stride s, c -> m channels, on a padded
 * copy of the input (made once, outside the timing, as the CPU device
 * makes it once per image); threads split its work items. */
static void
dense (int64_t c, int64_t m, int64_t h, int64_t k, int64_t s)
{
  OviDepthwise d = geometry (h, k, s);
  int64_t items = ovi_blocked_dense_items (&d, m);
  float *x = filled (c * h * h), *y = g_new (float, m * d.oh * d.ow);
  float *w = filled (m * c * k * k), *xp, *packed;
  double best = G_MAXDOUBLE;
  char what[64];

  xp = g_new (float, ovi_blocked_dense_padded_floats (&d, c));
  ovi_blocked_dense_pad (&d, x, xp, 0, c / OVI_BLOCK);
  packed = g_new (float, ovi_blocked_dense_packed_floats (&d, c, m));
  ovi_blocked_dense_pack (&d, c, m, w, NULL, packed);
  for (int run = 0; run < RUNS; run++) {
    gint64 t0;
    evict ();
    t0 = g_get_monotonic_time ();
#pragma omp parallel
    {
      int nt = omp_get_num_threads (), id = omp_get_thread_num ();
      ovi_blocked_dense_range (&d, c, m, xp, packed, &relu6, NULL, y,
          items * id / nt, items * (id + 1) / nt);
    }
    best = MIN (best, (g_get_monotonic_time () - t0) / 1e6);
  }
  g_snprintf (what, sizeof (what), "%" G_GINT64_FORMAT "x%" G_GINT64_FORMAT
      " s%" G_GINT64_FORMAT " %" G_GINT64_FORMAT " -> %" G_GINT64_FORMAT
      " at %" G_GINT64_FORMAT "x%" G_GINT64_FORMAT, k, k, s, c, m, d.oh,
      d.ow);
  report (what, best, 2.0 * c * k * k * m * d.oh * d.ow);
  g_free (x);
  g_free (xp);
  g_free (y);
  g_free (w);
  g_free (packed);
}

static void
stem (int64_t c, int64_t m, int64_t h)
{
  OviDepthwise d = geometry (h, 3, 2);
  int64_t k = c * 9;
  float *x = filled (c * h * h), *y = g_new (float, m * d.oh * d.ow);
  float *w = filled (m * k), *packed;
  double best = G_MAXDOUBLE;
  char what[64];

  packed = g_new (float, ovi_blocked_pointwise_packed_floats (k, m));
  ovi_blocked_pointwise_pack (k, m, w, NULL, packed);
  for (int run = 0; run < RUNS; run++) {
    gint64 t0;
    evict ();
    t0 = g_get_monotonic_time ();
#pragma omp parallel
    {
      int nt = omp_get_num_threads (), id = omp_get_thread_num ();
      ovi_blocked_direct_rows (&d, c, m, x, packed, &relu6, NULL, y,
          d.oh * id / nt, d.oh * (id + 1) / nt);
    }
    best = MIN (best, (g_get_monotonic_time () - t0) / 1e6);
  }
  g_snprintf (what, sizeof (what), "stem %" G_GINT64_FORMAT " -> %"
      G_GINT64_FORMAT ", 3x3 s2, %" G_GINT64_FORMAT, c, m, h);
  report (what, best, 2.0 * k * m * d.oh * d.ow);
  g_free (x);
  g_free (y);
  g_free (w);
  g_free (packed);
}

int
main (int argc, char **argv)
{
  gboolean resnet = FALSE, mobile = FALSE;
  for (int i = 1; i < argc; i++) {
    if (strcmp (argv[i], "resnet") == 0)
      resnet = TRUE;
    else if (strcmp (argv[i], "mobile") == 0)
      mobile = TRUE;
    else if (strcmp (argv[i], "cold") == 0) {
      sweep_floats = 8 << 20 >> 2;
      sweep = g_new0 (float, sweep_floats);
    }
  }
  printf ("%d threads%s\n", omp_get_max_threads (), sweep ? ", cold" : "");
  if (mobile) {
    /* MobileNetV2's other 1x1s: expansions and projections */
    static const int64_t shapes[][3] = { { 24, 144, 56 }, { 144, 24, 56 },
      { 32, 192, 28 }, { 192, 32, 28 }, { 64, 384, 14 }, { 384, 64, 14 },
      { 576, 96, 14 }, { 160, 960, 7 }, { 960, 160, 7 }, { 320, 1280, 7 } };
    for (guint i = 0; i < G_N_ELEMENTS (shapes); i++)
      pointwise (shapes[i][0], shapes[i][1], shapes[i][2]);
    g_free (sweep);
    return 0;
  }
  if (resnet) {
    for (int64_t c = 64, h = 56; c <= 512; c *= 2, h /= 2) {
      pointwise (4 * c, c, h);
      pointwise (c, 4 * c, h);
    }
    /* the 3x3s that do not take Winograd: the strided ones, and with
     * AVX-512 those at 7x7 */
    dense (128, 128, 56, 3, 2);
    dense (256, 256, 28, 3, 2);
    dense (512, 512, 14, 3, 2);
    dense (512, 512, 7, 3, 1);
    return 0;
  }
  depthwise (32, 112, 3, 1);
  depthwise (96, 112, 3, 2);
  depthwise (144, 56, 3, 1);
  depthwise (576, 14, 3, 1);
  depthwise (960, 7, 3, 1);
  depthwise (672, 14, 5, 1);
  pointwise (16, 96, 112);
  pointwise (96, 576, 14);
  pointwise (960, 320, 7);
  stem (3, 32, 224);
  g_free (sweep);
  return 0;
}
