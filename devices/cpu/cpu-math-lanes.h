/* The lane-wise bodies of cpu-math.c, written once for any vector width:
 * cpu-math.c includes this file once per width, with
 *   VF, VI      the float and int32 vector types (GCC vector extensions),
 *   VL          their lane count,
 *   V_(n)       the name of function n at that width (n##_8, n##_16),
 *   LANES_ATTR  attributes of every function here (the target whose
 *               intrinsics LANES_RCP uses), may be empty,
 *   LANES_RCP   optional: LANES_RCP (d) estimates 1 / d to 14 bits,
 *   LANES_MAX, LANES_MIN  optional: LANES_MAX (a, x) is a > x ? a : x and
 *               LANES_MIN (a, x) a < x ? a : x, x where either is NaN.
 * No include guard: it is meant to be included more than once. */

/* A float vector with every lane v. */
#undef SPLAT
#define SPLAT(v) ((VF) {} + (v))

/* Lane-wise mask ? a : b, for masks from comparisons (all ones or zero). */
static inline __attribute__((always_inline)) LANES_ATTR VF
V_ (v_select) (VI mask, VF a, VF b)
{
  return (VF) ((mask & (VI) a) | (~mask & (VI) b));
}

/* x < lo ? lo : x and x > hi ? hi : x; NaN stays NaN. One max or min
 * where LANES_MAX / LANES_MIN exist: gcc makes each select a compare and
 * a masked move. */
static inline __attribute__((always_inline)) LANES_ATTR VF
V_ (v_at_least) (VF x, VF lo)
{
#ifdef LANES_MAX
  return LANES_MAX (lo, x);
#else
  return V_ (v_select) (x < lo, lo, x);
#endif
}

static inline __attribute__((always_inline)) LANES_ATTR VF
V_ (v_at_most) (VF x, VF hi)
{
#ifdef LANES_MIN
  return LANES_MIN (hi, x);
#else
  return V_ (v_select) (x > hi, hi, x);
#endif
}

/* exp (x) for x <= 88 (larger x saturate at exp (88)): x = n ln2 + r
 * with n = round (x / ln2) and |r| <= ln2 / 2, exp (r) by a degree-6
 * minimax polynomial (Cephes' expf coefficients), 2^n built in the
 * exponent bits. Inputs below -87.33 give 0 rather than denormals, which
 * are slow and meaningless for activations. */
static inline __attribute__((always_inline)) LANES_ATTR VF
V_ (v_exp) (VF x)
{
  const VF hi = SPLAT (88.0f), lo = SPLAT (-87.3365447504f);
  const VF log2e = SPLAT (1.44269504088896341f);
  const VF ln2_hi = SPLAT (0.693359375f), ln2_lo = SPLAT (-2.12194440e-4f);
  const VF shifter = SPLAT (12582912.0f);   /* 1.5 * 2^23: rounds */
  VF t, n, r, r2, p;
  VI k, underflow = x < lo;

  /* NaN fails both comparisons and stays NaN */
  x = V_ (v_at_most) (x, hi);
  x = V_ (v_select) (underflow, lo, x);
  t = x * log2e + shifter;
  n = t - shifter;
  k = (VI) t - (VI) shifter;
  r = x - n * ln2_hi;
  r = r - n * ln2_lo;
  r2 = r * r;
  p = (VF) SPLAT (1.9875691500e-4f);
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r2 + r + 1.0f;
  /* -126 <= n <= 127: a normal power of two */
  return (VF) (~underflow & (VI) (p * (VF) ((k + 127) << 23)));
}

/* exp (-|x|), in (0, 1]. */
static inline __attribute__((always_inline)) LANES_ATTR VF
V_ (v_exp_neg_abs) (VF x)
{
  const VI sign = (VI) {} + (gint32) 0x80000000u;
  return V_ (v_exp) ((VF) ((VI) x | sign));
}

static inline __attribute__((always_inline)) LANES_ATTR VF
V_ (v_sigmoid) (VF x)
{
  VF e = V_ (v_exp_neg_abs) (x);
  VF inv = 1.0f / (1.0f + e);
  /* x >= 0: 1 / (1 + e); x < 0: e / (1 + e), no cancellation either way */
  return V_ (v_select) (x < 0, e * inv, inv);
}

/* tanh |x| = (1 - e) / (1 + e) with e = exp (-2|x|), which cancels for
 * small |x|: below 1/4 its Taylor series to x^11 is used instead (the
 * next term is under 1e-9 relative there). */
static inline __attribute__((always_inline)) LANES_ATTR VF
V_ (v_tanh) (VF x)
{
  const VI sign = (VI) {} + (gint32) 0x80000000u;
  VF ax = (VF) ((VI) x & ~sign);
  VF e = V_ (v_exp_neg_abs) (x + x);
  VF t = (1.0f - e) / (1.0f + e);
  VF x2 = ax * ax;
  VF series = (VF) SPLAT (-1382.0f / 155925);
  series = series * x2 + 62.0f / 2835;
  series = series * x2 - 17.0f / 315;
  series = series * x2 + 2.0f / 15;
  series = series * x2 - 1.0f / 3;
  series = ax + ax * x2 * series;
  t = V_ (v_select) (ax < 0.25f, series, t);
  return (VF) ((VI) t | ((VI) x & sign));
}

/* n / d for d >= 1. Division is slow on some CPUs (a 16-lane vdivps
 * issues once every 8 to 10 cycles on Intel's server cores, and was most
 * of swish's time there): where LANES_RCP exists, its estimate refined by
 * one Newton step, r (2 - d r), to about 2^-28 relative. */
static inline __attribute__((always_inline)) LANES_ATTR VF
V_ (v_div) (VF n, VF d)
{
#ifdef LANES_RCP
  VF r = LANES_RCP (d);
  r = r + r * (1.0f - d * r);
  return n * r;
#else
  return n / d;
#endif
}

/* swish (x) = x sigmoid (x), the sigmoid as 1/2 + x P(x^2) / Q(x^2) on
 * x clamped to [-16, 16] (tools/math/fit-sigmoid.py fitted P and Q to
 * 6.5e-8; with float rounding and the clamp the sigmoid's absolute error
 * is under 3e-7). No exp, and a dependency chain half as long as
 * v_sigmoid's: 2.5 times as fast, and EfficientNet spent a quarter of its
 * time in swish through exp. Below -16 the result is x * 0 (the true one
 * is under 1.8e-6 in size), so a huge negative x does not come out as x
 * times the sigmoid's error, and -inf gives NaN like x * 0. Applied as a
 * pass over the output, not in the convolution kernels' stores: there it
 * made EfficientNet slower (17.0 against 15.8 ms on one thread). */
static inline __attribute__((always_inline)) LANES_ATTR VF
V_ (v_swish) (VF x)
{
  const VF lo = SPLAT (-16.0f);
  VF xc = V_ (v_at_most) (V_ (v_at_least) (x, lo), -lo);
  VF t, p, q, s;
  t = xc * xc;
  p = t * 4.418422709e-08f + 4.592075010e-05f;
  p = p * t + 8.071088133e-03f;
  p = p * t + 2.499998412e-01f;
  q = t * 9.469194370e-10f + 3.703777827e-06f;
  q = q * t + 1.485265964e-03f;
  q = q * t + 1.156171015e-01f;
  q = q * t + 1.0f;
  /* the sigmoid zeroed below -16 before the product, not the product
   * replaced by x * 0 after it: the same result, and with AVX-512 the
   * zeroing is the last FMA's mask */
  s = (VF) (~(x < lo) & (VI) (V_ (v_div) (xc * p, q) + 0.5f));
  return x * s;
}

/* hardsigmoid (x) = clamp (alpha x + beta, 0, 1); hardswish is x times
 * that (ONNX's HardSwish has alpha 1/6, beta 1/2). The NaN-propagating
 * selects keep ONNX's semantics where fminf / fmaxf would not vectorize. */
static inline __attribute__((always_inline)) LANES_ATTR VF
V_ (v_hardsigmoid) (VF x, float alpha, float beta)
{
  VF t = x * alpha + beta;
  t = V_ (v_at_least) (t, (VF) SPLAT (0.0f));
  return V_ (v_at_most) (t, (VF) SPLAT (1.0f));
}

static inline __attribute__((always_inline)) LANES_ATTR VF
V_ (v_hardswish) (VF x, float alpha, float beta)
{
  return x * V_ (v_hardsigmoid) (x, alpha, beta);
}

/* clamp (x, lo, hi); relu is clamp (x, 0, inf). */
static inline __attribute__((always_inline)) LANES_ATTR VF
V_ (v_clamp) (VF x, float lo, float hi)
{
  x = V_ (v_at_least) (x, lo + (VF) SPLAT (0.0f));
  return V_ (v_at_most) (x, hi + (VF) SPLAT (0.0f));
}

/* leaky relu (x) = x < 0 ? alpha x : x; NaN stays NaN */
static inline __attribute__((always_inline)) LANES_ATTR VF
V_ (v_leakyrelu) (VF x, float alpha)
{
  return V_ (v_select) (x < 0.0f, x * alpha, x);
}

/* name body (x, y, n, a, b): y = EXPR over n floats, EXPR a function of
 * the vector v and the parameters a and b; whole vectors first, then a
 * zero-padded copy of the tail. */
#define DEFINE_LANES_ARRAY_FN(name, EXPR)                                   \
  static inline __attribute__((always_inline)) LANES_ATTR void              \
  V_ (name##_body) (const float *x, float *y, int64_t n, float a, float b)  \
  {                                                                         \
    int64_t i = 0;                                                          \
    for (; i + VL <= n; i += VL) {                                          \
      VF v;                                                                 \
      memcpy (&v, x + i, sizeof (v));                                       \
      v = EXPR;                                                             \
      memcpy (y + i, &v, sizeof (v));                                       \
    }                                                                       \
    if (i < n) {                                                            \
      VF v = SPLAT (0.0f);                                                  \
      memcpy (&v, x + i, (n - i) * sizeof (float));                         \
      v = EXPR;                                                             \
      memcpy (y + i, &v, (n - i) * sizeof (float));                         \
    }                                                                       \
  }

DEFINE_LANES_ARRAY_FN (exp, V_ (v_exp) (v))
DEFINE_LANES_ARRAY_FN (sigmoid, V_ (v_sigmoid) (v))
DEFINE_LANES_ARRAY_FN (swish, V_ (v_swish) (v))
DEFINE_LANES_ARRAY_FN (tanh, V_ (v_tanh) (v))
DEFINE_LANES_ARRAY_FN (hardsigmoid, V_ (v_hardsigmoid) (v, a, b))
DEFINE_LANES_ARRAY_FN (hardswish, V_ (v_hardswish) (v, a, b))
DEFINE_LANES_ARRAY_FN (clamp, V_ (v_clamp) (v, a, b))
DEFINE_LANES_ARRAY_FN (leakyrelu, V_ (v_leakyrelu) (v, a))

#undef DEFINE_LANES_ARRAY_FN
