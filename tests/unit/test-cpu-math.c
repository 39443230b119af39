/* The vectorized exp / sigmoid / swish / tanh against libm in double, over
 * a dense sweep and the edge values (zeros, tiny, huge, infinities, NaN),
 * at lengths that exercise the vector body and every tail length. */
#include <math.h>
#include <string.h>

#include <glib.h>

#include "cpu/cpu-math.h"

typedef void (*ArrayFn) (const float *x, float *y, int64_t n);

static double
ref_sigmoid (double x)
{
  return 1 / (1 + exp (-x));
}

static double
ref_swish (double x)
{
  return x / (1 + exp (-x));
}

/* Max error relative to max(|ref|, floor): relative for normal values,
 * absolute near zero, where float32 results carry no more. */
static double
max_error (ArrayFn fn, double (*ref) (double), const float *x, int64_t n,
    double floor)
{
  float *y = g_new (float, n);
  double worst = 0;
  fn (x, y, n);
  for (int64_t i = 0; i < n; i++) {
    double want = ref (x[i]);
    double err;
    if (isnan (want)) {
      g_assert_true (isnan (y[i]));
      continue;
    }
    if (isinf (want)) {
      g_assert_cmpfloat (y[i], ==, want);
      continue;
    }
    err = fabs (y[i] - want) / fmax (fabs (want), floor);
    worst = fmax (worst, err);
  }
  g_free (y);
  return worst;
}

/* Swish's bound (cpu-math.c, v_swish): its sigmoid factor's absolute
 * error under 3e-7, so |y - swish (x)| <= 3e-7 |x|, and the rounding of the
 * product (5e-7 relative); infinities and NaN as for max_error. */
static void
assert_swish_close (const float *x, int64_t n)
{
  float *y = g_new (float, n);
  ovi_vswish_f32 (x, y, n);
  for (int64_t i = 0; i < n; i++) {
    double want = ref_swish (x[i]);
    if (isnan (want)) {
      g_assert_true (isnan (y[i]));
    } else if (isinf (want)) {
      g_assert_cmpfloat (y[i], ==, want);
    } else {
      double bound = 3e-7 * fabs (x[i]) + 5e-7 * fabs (want) + 1e-37;
      if (!(fabs (y[i] - want) <= bound))
        g_error ("swish (%.9g) = %.9g, want %.9g", x[i], y[i], want);
    }
  }
  g_free (y);
}

static float *
sweep (double lo, double hi, int64_t n)
{
  float *x = g_new (float, n);
  for (int64_t i = 0; i < n; i++)
    x[i] = (float) (lo + (hi - lo) * i / (n - 1));
  return x;
}

static void
test_exp (void)
{
  float *x = sweep (-87, 88, 200001);
  g_assert_cmpfloat (max_error (ovi_vexp_f32, exp, x, 200001, 1e-37), <,
      3e-7);
  g_free (x);
}

static void
test_sigmoid_swish_tanh (void)
{
  float *x = sweep (-40, 40, 100003);
  g_assert_cmpfloat (max_error (ovi_vsigmoid_f32, ref_sigmoid, x, 100003,
          1e-30), <, 5e-7);
  assert_swish_close (x, 100003);
  /* relative near zero and above -1, where swish's values are not small */
  g_assert_cmpfloat (max_error (ovi_vswish_f32, ref_swish, x + 48751,
          100003 - 48751, 1e-30), <, 5e-7);
  g_assert_cmpfloat (max_error (ovi_vtanh_f32, tanh, x, 100003, 1e-30), <,
      1e-6);
  g_free (x);
}

static void
test_edges (void)
{
  const float x[] = { 0.0f, -0.0f, 1e-30f, -1e-30f, 1e-3f, -1e-3f, 0.2499f,
    0.2501f, -100.0f, 100.0f, -1000.0f, 1000.0f, INFINITY, -INFINITY, NAN,
    3.4e38f, -3.4e38f };
  const int n = G_N_ELEMENTS (x);
  /* every length from 1, so the tail path sees each count */
  for (int len = 1; len <= n; len++) {
    g_assert_cmpfloat (max_error (ovi_vsigmoid_f32, ref_sigmoid, x, len,
            1e-30), <, 5e-7);
    assert_swish_close (x, len);
    g_assert_cmpfloat (max_error (ovi_vtanh_f32, tanh, x, len, 1e-30), <,
        1e-6);
  }
}

static void
test_in_place (void)
{
  float x[13];
  for (int i = 0; i < 13; i++)
    x[i] = i - 6.0f;
  ovi_vsigmoid_f32 (x, x, 13);
  for (int i = 0; i < 13; i++)
    g_assert_cmpfloat (fabs (x[i] - ref_sigmoid (i - 6.0)), <, 1e-7);
}

/* Leaky ReLU over every tail length, in place, with the edge values:
 * negative ones scaled, -0 and NaN kept. */
static void
test_leakyrelu (void)
{
  const float x[] = { 0.0f, -0.0f, 1e-30f, -1e-30f, 2.5f, -2.5f, -100.0f,
    INFINITY, -INFINITY, NAN, 3.4e38f, -3.4e38f, 7.0f };
  const int n = G_N_ELEMENTS (x);
  for (int len = 1; len <= n; len++) {
    float y[G_N_ELEMENTS (x)];
    memcpy (y, x, sizeof (x));
    ovi_vleakyrelu_f32 (y, y, len, 0.1f);
    for (int i = 0; i < n; i++) {
      float want = i >= len ? x[i] : x[i] < 0 ? 0.1f * x[i] : x[i];
      if (isnan (want))
        g_assert_true (isnan (y[i]));
      else
        g_assert_cmpfloat (y[i], ==, want);
    }
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cpu-math/leakyrelu", test_leakyrelu);
  g_test_add_func ("/cpu-math/exp", test_exp);
  g_test_add_func ("/cpu-math/sigmoid-swish-tanh", test_sigmoid_swish_tanh);
  g_test_add_func ("/cpu-math/edges", test_edges);
  g_test_add_func ("/cpu-math/in-place", test_in_place);
  return g_test_run ();
}
