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

/* One kernel's operands, and the slice of its work thread id of nt runs. */
typedef struct {
  OviDepthwise d;
  int64_t c, m, hw;
  float *x, *y, *w, *packed;
} Case;

typedef void (*RunSlice) (const Case *k, int id, int nt);

static Case
case_new (OviDepthwise d, int64_t c, int64_t m, int64_t in, int64_t weights,
    int64_t packed_floats)
{
  Case k = { .d = d, .c = c, .m = m, .hw = d.oh * d.ow };
  k.x = filled (in);
  k.y = g_new (float, MAX (m * d.oh * d.ow, 1));
  k.w = filled (weights);
  k.packed = g_new (float, MAX (packed_floats, 1));
  return k;
}

/* The best time of RUNS, each after the eviction sweep when `cold`;
 * reported as what with flop operations; k's memory freed. */
static void
time_case (Case *k, RunSlice run, const char *what, double flop)
{
  double best = G_MAXDOUBLE;
  for (int r = 0; r < RUNS; r++) {
    gint64 t0;
    evict ();
    t0 = g_get_monotonic_time ();
#pragma omp parallel
    run (k, omp_get_thread_num (), omp_get_num_threads ());
    best = MIN (best, (g_get_monotonic_time () - t0) / 1e6);
  }
  report (what, best, flop);
  g_free (k->x);
  g_free (k->y);
  g_free (k->w);
  g_free (k->packed);
}

/* rows of channel blocks split between the threads */
static void
depthwise_slice (const Case *k, int id, int nt)
{
  int64_t rows = k->c / OVI_BLOCK * k->d.oh;
  int64_t r = rows * id / nt, r1 = rows * (id + 1) / nt;
  while (r < r1) {
    int64_t oh = r % k->d.oh, end = MIN (k->d.oh, oh + (r1 - r));
    ovi_blocked_depthwise_rows (&k->d, k->x, k->packed, &relu6, NULL, k->y,
        r / k->d.oh, oh, end);
    r += end - oh;
  }
}

static void
depthwise (int64_t c, int64_t h, int64_t kk, int64_t s)
{
  OviDepthwise d = geometry (h, kk, s);
  Case k = case_new (d, c, c, c * h * h, c * kk * kk,
      ovi_blocked_depthwise_packed_floats (&d, c));
  char what[64];

  ovi_blocked_depthwise_pack (&d, c, k.w, NULL, k.packed);
  g_snprintf (what, sizeof (what), "depthwise %" G_GINT64_FORMAT "x%"
      G_GINT64_FORMAT " s%" G_GINT64_FORMAT " %" G_GINT64_FORMAT "x%"
      G_GINT64_FORMAT "x%" G_GINT64_FORMAT, kk, kk, s, c, h, h);
  time_case (&k, depthwise_slice, what, 2.0 * kk * kk * c * d.oh * d.ow);
}

/* as op-conv-blocked.c: panels (in the kernel's groups) when each
 * thread gets two, else positions in the kernel's blocks */
static void
pointwise_slice (const Case *k, int id, int nt)
{
  int64_t panels = ovi_blocked_pointwise_panels (k->m);
  int64_t rows = ovi_blocked_pointwise_rows ();
  int64_t group = ovi_blocked_pointwise_group ();
  int64_t blocks = (k->hw + rows - 1) / rows;
  int64_t groups = (panels + group - 1) / group;
  if (panels >= 2 * nt)
    ovi_blocked_pointwise_range (k->c, k->m, k->hw, k->x, k->packed, &relu6,
        NULL, k->y, groups * id / nt * group,
        MIN (panels, groups * (id + 1) / nt * group), 0, k->hw);
  else
    ovi_blocked_pointwise_range (k->c, k->m, k->hw, k->x, k->packed, &relu6,
        NULL, k->y, 0, panels, blocks * id / nt * rows,
        MIN (k->hw, blocks * (id + 1) / nt * rows));
}

static void
pointwise (int64_t ic, int64_t oc, int64_t h)
{
  OviDepthwise d = geometry (h, 1, 1);
  Case k = case_new (d, ic, oc, ic * h * h, ic * oc,
      ovi_blocked_pointwise_packed_floats (ic, oc));
  char what[64];

  ovi_blocked_pointwise_pack (ic, oc, k.w, NULL, k.packed);
  g_snprintf (what, sizeof (what), "1x1 %" G_GINT64_FORMAT " -> %"
      G_GINT64_FORMAT " at %" G_GINT64_FORMAT "x%" G_GINT64_FORMAT, ic, oc,
      h, h);
  time_case (&k, pointwise_slice, what, 2.0 * ic * oc * h * h);
}

/* the dense kernel's work items split between the threads, x the padded
 * copy */
static void
dense_slice (const Case *k, int id, int nt)
{
  int64_t items = ovi_blocked_dense_items (&k->d, k->m);
  ovi_blocked_dense_range (&k->d, k->c, k->m, k->x, k->packed, &relu6, NULL,
      k->y, items * id / nt, items * (id + 1) / nt);
}

/* A dense kk x kk convolution, stride s, c -> m channels, on a padded
 * copy of the input (made once, outside the timing, as the CPU device
 * makes it once per image). */
static void
dense (int64_t c, int64_t m, int64_t h, int64_t kk, int64_t s)
{
  OviDepthwise d = geometry (h, kk, s);
  Case k = case_new (d, c, m, ovi_blocked_dense_padded_floats (&d, c),
      m * c * kk * kk, ovi_blocked_dense_packed_floats (&d, c, m));
  float *x = filled (c * h * h);
  char what[64];

  ovi_blocked_dense_pad (&d, x, k.x, 0, c / OVI_BLOCK);
  g_free (x);
  ovi_blocked_dense_pack (&d, c, m, k.w, NULL, k.packed);
  g_snprintf (what, sizeof (what), "%" G_GINT64_FORMAT "x%" G_GINT64_FORMAT
      " s%" G_GINT64_FORMAT " %" G_GINT64_FORMAT " -> %" G_GINT64_FORMAT
      " at %" G_GINT64_FORMAT "x%" G_GINT64_FORMAT, kk, kk, s, c, m, d.oh,
      d.ow);
  time_case (&k, dense_slice, what, 2.0 * c * kk * kk * m * d.oh * d.ow);
}

/* output rows split between the threads */
static void
stem_slice (const Case *k, int id, int nt)
{
  ovi_blocked_direct_rows (&k->d, k->c, k->m, k->x, k->packed, &relu6, NULL,
      k->y, k->d.oh * id / nt, k->d.oh * (id + 1) / nt);
}

static void
stem (int64_t c, int64_t m, int64_t h)
{
  OviDepthwise d = geometry (h, 3, 2);
  int64_t kk = c * 9;
  Case k = case_new (d, c, m, c * h * h, m * kk,
      ovi_blocked_pointwise_packed_floats (kk, m));
  char what[64];

  ovi_blocked_pointwise_pack (kk, m, k.w, NULL, k.packed);
  g_snprintf (what, sizeof (what), "stem %" G_GINT64_FORMAT " -> %"
      G_GINT64_FORMAT ", 3x3 s2, %" G_GINT64_FORMAT, c, m, h);
  time_case (&k, stem_slice, what, 2.0 * kk * m * d.oh * d.ow);
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
    g_free (sweep);
    return 0;
  }
  depthwise (32, 112, 3, 1);
  depthwise (96, 112, 3, 2);
  depthwise (144, 56, 3, 1);
  depthwise (576, 14, 3, 1);
  depthwise (960, 7, 3, 1);
  depthwise (672, 14, 5, 1);
  depthwise (1152, 7, 5, 1);
  pointwise (16, 96, 112);
  pointwise (96, 576, 14);
  pointwise (960, 320, 7);
  stem (3, 32, 224);
  g_free (sweep);
  return 0;
}
