/* The sampling chain: greedy and its ties, top-k/top-p/min-p sets checked
 * against hand-computed ones and against a brute-force reference on a
 * large vocabulary, frequencies of 20000 draws against the softmax,
 * repetition penalty, seeds, non-finite logits. */
#include <math.h>
#include <string.h>

#include <glib.h>

#include "sampler.h"

static OviLlmSampler *
make (float temperature, gint32 top_k, float top_p, float min_p,
    float penalty, guint32 last_n, guint64 seed)
{
  OviLlmSamplerParams p = { .temperature = temperature, .top_k = top_k,
    .top_p = top_p, .min_p = min_p, .repetition_penalty = penalty,
    .repeat_last_n = last_n, .seed = seed };
  GError *error = NULL;
  OviLlmSampler *s = ovi_llm_sampler_new (&p, &error);
  g_assert_no_error (error);
  return s;
}

static void
random_logits (GRand *r, float *x, gsize n, double scale)
{
  for (gsize i = 0; i < n; i++)
    x[i] = g_rand_double_range (r, -scale, scale);
}

static gint32
argmax (const float *x, gsize n)
{
  gint32 best = 0;
  for (gsize i = 1; i < n; i++)
    if (x[i] > x[best])
      best = i;
  return best;
}

static void
test_greedy (void)
{
  GRand *r = g_rand_new_with_seed (1);
  float x[1000];
  OviLlmSampler *s = make (0.0f, 40, 0.9f, 0.05f, 1.0f, 64, 7);
  /* ties: ids 7 and 3 share the maximum, the lower id wins */
  float tie[10] = { 0, 1, 2, 5, 4, 1, 0, 5, 5, -1 };

  for (int round = 0; round < 50; round++) {
    random_logits (r, x, G_N_ELEMENTS (x), 10);
    g_assert_cmpint (ovi_llm_sampler_sample (s, x, G_N_ELEMENTS (x)), ==,
        argmax (x, G_N_ELEMENTS (x)));
  }
  g_assert_cmpint (ovi_llm_sampler_sample (s, tie, 10), ==, 3);
  /* integers-as-floats everywhere: the first of many equal values */
  for (int i = 0; i < 10; i++)
    tie[i] = 2.0f;
  g_assert_cmpint (ovi_llm_sampler_sample (s, tie, 10), ==, 0);
  ovi_llm_sampler_free (s);
  g_rand_free (r);
}

static void
test_top_k_1_is_greedy (void)
{
  GRand *r = g_rand_new_with_seed (2);
  float x[5000];
  float temps[] = { 0.1f, 0.7f, 1.0f, 3.0f, 100.0f };

  for (guint t = 0; t < G_N_ELEMENTS (temps); t++) {
    OviLlmSampler *s = make (temps[t], 1, 1.0f, 0.0f, 1.0f, 64, t);
    for (int round = 0; round < 20; round++) {
      random_logits (r, x, G_N_ELEMENTS (x), 3);
      if (round % 5 == 0)       /* a tie for the maximum, lower id wins */
        x[4000] = x[17] = 10.0f;
      g_assert_cmpint (ovi_llm_sampler_sample (s, x, G_N_ELEMENTS (x)), ==,
          round % 5 == 0 ? 17 : argmax (x, G_N_ELEMENTS (x)));
    }
    ovi_llm_sampler_free (s);
  }
  g_rand_free (r);
}

/* Draws n times and checks every frequency against `want` within 5
 * standard deviations of the binomial; tokens with want 0 never come. */
static void
check_frequencies (OviLlmSampler *s, const float *logits, gsize n_vocab,
    const double *want, int draws)
{
  int *count = g_new0 (int, n_vocab);
  for (int i = 0; i < draws; i++) {
    gint32 t = ovi_llm_sampler_sample (s, logits, n_vocab);
    g_assert_cmpint (t, >=, 0);
    g_assert_cmpint (t, <, n_vocab);
    count[t]++;
  }
  for (gsize i = 0; i < n_vocab; i++) {
    double mean = draws * want[i];
    double sd = sqrt (draws * want[i] * (1 - want[i]));
    if (want[i] == 0)
      g_assert_cmpint (count[i], ==, 0);
    else if (fabs (count[i] - mean) > 5 * sd) {
      g_test_message ("token %" G_GSIZE_FORMAT ": %d draws, expected %.1f "
          "+- %.1f", i, count[i], mean, sd);
      g_assert_not_reached ();
    }
  }
  g_free (count);
}

static void
test_distribution (void)
{
  double p[4] = { 0.1, 0.2, 0.3, 0.4 }, want[4];
  float x[4];
  OviLlmSampler *s;

  /* an offset must not matter: softmax is shift-invariant */
  for (int i = 0; i < 4; i++)
    x[i] = (float) log (p[i]) + 3.0f;

  /* temperature 1, no filter */
  s = make (1.0f, 0, 1.0f, 0.0f, 1.0f, 64, 1234);
  check_frequencies (s, x, 4, p, 20000);
  ovi_llm_sampler_free (s);

  /* temperature 2: p^(1/2), normalized */
  {
    double z = 0;
    for (int i = 0; i < 4; i++)
      z += sqrt (p[i]);
    for (int i = 0; i < 4; i++)
      want[i] = sqrt (p[i]) / z;
  }
  s = make (2.0f, 0, 1.0f, 0.0f, 1.0f, 64, 99);
  check_frequencies (s, x, 4, want, 20000);
  ovi_llm_sampler_free (s);

  /* top-k 2 at temperature 0.5: only 0.3 and 0.4, as 0.3^2 : 0.4^2 */
  want[0] = want[1] = 0;
  want[2] = 0.09 / 0.25;
  want[3] = 0.16 / 0.25;
  s = make (0.5f, 2, 1.0f, 0.0f, 1.0f, 64, 5);
  check_frequencies (s, x, 4, want, 20000);
  ovi_llm_sampler_free (s);

  /* top-p 0.65 keeps 0.4 + 0.3 (0.7 >= 0.65), renormalized */
  want[2] = 0.3 / 0.7;
  want[3] = 0.4 / 0.7;
  s = make (1.0f, 0, 0.65f, 0.0f, 1.0f, 64, 6);
  check_frequencies (s, x, 4, want, 20000);
  ovi_llm_sampler_free (s);
}

/* The kept ids, as a sorted-by-chain list compared to `want` (-1 ends). */
static void
check_set (OviLlmSampler *s, const float *x, gsize n, const gint32 *want,
    const double *want_p)
{
  gsize m;
  const OviLlmCandidate *c = ovi_llm_sampler_candidates (s, x, n, &m);
  gsize k = 0;
  while (want[k] >= 0)
    k++;
  g_assert_cmpuint (m, ==, k);
  for (gsize i = 0; i < m; i++) {
    g_assert_cmpint (c[i].id, ==, want[i]);
    if (want_p)
      g_assert_cmpfloat_with_epsilon (c[i].p, want_p[i], 1e-6);
  }
}

static void
test_filters_exact (void)
{
  /* probabilities 0.5 (id 3), 0.25 (id 0), 0.15 (id 2), 0.1 (id 1) */
  float x[4] = { logf (0.25f), logf (0.1f), logf (0.15f), logf (0.5f) };
  OviLlmSampler *s;

  /* top-p: the token that crosses the threshold is kept */
  s = make (1.0f, 0, 0.3f, 0.0f, 1.0f, 64, 0);
  check_set (s, x, 4, (gint32[]) {3, -1}, (double[]) {1.0});
  ovi_llm_sampler_free (s);
  s = make (1.0f, 0, 0.74f, 0.0f, 1.0f, 64, 0);
  check_set (s, x, 4, (gint32[]) {3, 0, -1},
      (double[]) {0.5 / 0.75, 0.25 / 0.75});
  ovi_llm_sampler_free (s);
  s = make (1.0f, 0, 0.76f, 0.0f, 1.0f, 64, 0);
  check_set (s, x, 4, (gint32[]) {3, 0, 2, -1},
      (double[]) {0.5 / 0.9, 0.25 / 0.9, 0.15 / 0.9});
  ovi_llm_sampler_free (s);

  /* min-p: p >= min_p * 0.5 */
  s = make (1.0f, 0, 1.0f, 0.25f, 1.0f, 64, 0);   /* >= 0.125 */
  check_set (s, x, 4, (gint32[]) {3, 0, 2, -1}, NULL);
  ovi_llm_sampler_free (s);
  s = make (1.0f, 0, 1.0f, 0.31f, 1.0f, 64, 0);   /* >= 0.155 */
  check_set (s, x, 4, (gint32[]) {3, 0, -1}, NULL);
  ovi_llm_sampler_free (s);
  /* both: the shorter prefix */
  s = make (1.0f, 0, 0.85f, 0.31f, 1.0f, 64, 0);
  check_set (s, x, 4, (gint32[]) {3, 0, -1}, NULL);
  ovi_llm_sampler_free (s);
  s = make (1.0f, 0, 0.6f, 0.1f, 1.0f, 64, 0);
  check_set (s, x, 4, (gint32[]) {3, 0, -1}, NULL);
  ovi_llm_sampler_free (s);

  /* top-p after top-k renormalizes over the k kept: with k = 2,
   * 0.5/0.75 = 0.667 >= 0.6 keeps one token; without top-k it takes
   * two (0.5 < 0.6) */
  s = make (1.0f, 2, 0.6f, 0.0f, 1.0f, 64, 0);
  check_set (s, x, 4, (gint32[]) {3, -1}, NULL);
  ovi_llm_sampler_free (s);
  s = make (1.0f, 0, 0.6f, 0.0f, 1.0f, 64, 0);
  check_set (s, x, 4, (gint32[]) {3, 0, -1}, NULL);
  ovi_llm_sampler_free (s);

  /* temperature after the filters: the set does not change with it, the
   * probabilities do (0.5^2 : 0.25^2) */
  s = make (0.5f, 0, 0.74f, 0.0f, 1.0f, 64, 0);
  check_set (s, x, 4, (gint32[]) {3, 0, -1},
      (double[]) {0.25 / 0.3125, 0.0625 / 0.3125});
  ovi_llm_sampler_free (s);

  /* top-k ties at the boundary: the lower ids */
  {
    float y[6] = { 1, 3, 2, 2, 0, 2 };
    s = make (1.0f, 3, 1.0f, 0.0f, 1.0f, 64, 0);
    check_set (s, y, 6, (gint32[]) {1, 2, 3, -1}, NULL);
    ovi_llm_sampler_free (s);
  }
}

static int
cmp_desc (const void *a, const void *b)
{
  const float *x = *(float *const *) a, *y = *(float *const *) b;
  if (*x != *y)
    return *x > *y ? -1 : 1;
  return x < y ? -1 : 1;        /* lower id (address) first */
}

/* A large vocabulary against a brute force: sort everything, accumulate
 * in double. Exercises the selection heap and the widening window. */
static void
test_filters_large (void)
{
  const gsize n = 32000;
  GRand *r = g_rand_new_with_seed (3);
  float *x = g_new (float, n);
  float **order = g_new (float *, n);
  struct { gint32 k; float p, min_p; double scale; } cases[] = {
    {40, 1.0f, 0.0f, 5}, {40, 0.95f, 0.05f, 5}, {0, 0.9f, 0.0f, 3},
    {0, 0.99f, 0.0f, 1}, {0, 0.5f, 0.0f, 20}, {1000, 0.9f, 0.0f, 2},
    {0, 1.0f, 0.01f, 4}, {0, 0.999f, 0.001f, 0.5},
  };

  for (guint c = 0; c < G_N_ELEMENTS (cases); c++) {
    OviLlmSampler *s = make (1.0f, cases[c].k, cases[c].p, cases[c].min_p,
        1.0f, 64, 0);
    gsize m, k, keep;
    const OviLlmCandidate *got;
    double z = 0, cum = 0, max;

    random_logits (r, x, n, cases[c].scale);
    for (gsize i = 0; i < n; i++)
      order[i] = &x[i];
    qsort (order, n, sizeof (float *), cmp_desc);
    k = cases[c].k > 0 ? (gsize) cases[c].k : n;
    max = *order[0];
    for (gsize i = 0; i < k; i++)
      z += exp (*order[i] - max);
    keep = k;
    if (cases[c].p < 1)
      for (gsize i = 0; i < k; i++) {
        cum += exp (*order[i] - max) / z;
        if (cum >= cases[c].p) {
          keep = i + 1;
          break;
        }
      }
    if (cases[c].min_p > 0)
      for (gsize i = 1; i < keep; i++)
        if (*order[i] < max + log (cases[c].min_p)) {
          keep = i;
          break;
        }

    got = ovi_llm_sampler_candidates (s, x, n, &m);
    g_test_message ("case %u: %" G_GSIZE_FORMAT " kept", c, keep);
    g_assert_cmpuint (m, ==, keep);
    if (cases[c].k > 0 || cases[c].p < 1 || cases[c].min_p > 0)
      for (gsize i = 0; i < m; i++)
        g_assert_cmpint (got[i].id, ==, order[i] - x);
    ovi_llm_sampler_free (s);
  }
  g_free (order);
  g_free (x);
  g_rand_free (r);
}

static void
test_repetition_penalty (void)
{
  float x[4] = { 2.0f, 1.0f, -1.0f, 0.5f }, copy[4];
  OviLlmSampler *s = make (0.0f, 0, 1.0f, 0.0f, 2.5f, 3, 0);
  const OviLlmCandidate *c;
  gsize m;

  memcpy (copy, x, sizeof x);
  g_assert_cmpint (ovi_llm_sampler_sample (s, x, 4), ==, 0);
  /* 0 twice (penalized once), 2 once: 2.0 / 2.5 = 0.8 < 1.0 */
  ovi_llm_sampler_accept (s, 0);
  ovi_llm_sampler_accept (s, 2);
  ovi_llm_sampler_accept (s, 0);
  ovi_llm_sampler_accept (s, 99);       /* out of the vocabulary: ignored */
  g_assert_cmpint (ovi_llm_sampler_sample (s, x, 4), ==, 1);
  g_assert_cmpmem (x, sizeof x, copy, sizeof copy);

  /* the window is 3: {2, 0, 99} now; after two more, 0 has left it */
  ovi_llm_sampler_accept (s, 3);
  ovi_llm_sampler_accept (s, 3);        /* window {99, 3, 3} */
  g_assert_cmpint (ovi_llm_sampler_sample (s, x, 4), ==, 0);
  ovi_llm_sampler_free (s);

  /* exact penalized logits, seen through a sampling chain */
  s = make (1.0f, 0, 1.0f, 0.0f, 2.5f, 64, 0);
  ovi_llm_sampler_accept (s, 0);
  ovi_llm_sampler_accept (s, 2);
  ovi_llm_sampler_accept (s, 0);
  c = ovi_llm_sampler_candidates (s, x, 4, &m);
  g_assert_cmpuint (m, ==, 4);          /* no filter: id order */
  g_assert_cmpfloat (c[0].logit, ==, 2.0f / 2.5f);
  g_assert_cmpfloat (c[1].logit, ==, 1.0f);
  g_assert_cmpfloat (c[2].logit, ==, -1.0f * 2.5f);
  g_assert_cmpfloat (c[3].logit, ==, 0.5f);
  g_assert_cmpmem (x, sizeof x, copy, sizeof copy);
  /* reset forgets the history */
  ovi_llm_sampler_reset (s);
  c = ovi_llm_sampler_candidates (s, x, 4, &m);
  g_assert_cmpfloat (c[0].logit, ==, 2.0f);
  ovi_llm_sampler_free (s);

  /* a penalty below 1 favours repeats */
  s = make (0.0f, 0, 1.0f, 0.0f, 0.25f, 64, 0);
  ovi_llm_sampler_accept (s, 3);        /* 0.5 / 0.25 = 2.0 ties id 0 */
  ovi_llm_sampler_accept (s, 1);        /* 1.0 / 0.25 = 4.0 */
  g_assert_cmpint (ovi_llm_sampler_sample (s, x, 4), ==, 1);
  ovi_llm_sampler_free (s);
}

static void
test_seed (void)
{
  GRand *r = g_rand_new_with_seed (4);
  float x[300];
  gint32 a[500], b[500];
  OviLlmSampler *s1 = make (1.0f, 50, 0.95f, 0.0f, 1.1f, 16, 777);
  OviLlmSampler *s2 = make (1.0f, 50, 0.95f, 0.0f, 1.1f, 16, 777);
  OviLlmSampler *s3 = make (1.0f, 50, 0.95f, 0.0f, 1.1f, 16, 778);
  int same3 = 0;

  random_logits (r, x, G_N_ELEMENTS (x), 2);
  for (int i = 0; i < 500; i++) {
    gint32 t3;
    a[i] = ovi_llm_sampler_sample (s1, x, G_N_ELEMENTS (x));
    b[i] = ovi_llm_sampler_sample (s2, x, G_N_ELEMENTS (x));
    t3 = ovi_llm_sampler_sample (s3, x, G_N_ELEMENTS (x));
    ovi_llm_sampler_accept (s1, a[i]);
    ovi_llm_sampler_accept (s2, b[i]);
    ovi_llm_sampler_accept (s3, t3);
    same3 += t3 == a[i];
  }
  g_assert_cmpmem (a, sizeof a, b, sizeof b);
  g_assert_cmpint (same3, <, 100);      /* another seed, another sequence */
  /* reset restarts the same sequence */
  ovi_llm_sampler_reset (s1);
  for (int i = 0; i < 500; i++) {
    b[i] = ovi_llm_sampler_sample (s1, x, G_N_ELEMENTS (x));
    ovi_llm_sampler_accept (s1, b[i]);
  }
  g_assert_cmpmem (a, sizeof a, b, sizeof b);
  ovi_llm_sampler_free (s1);
  ovi_llm_sampler_free (s2);
  ovi_llm_sampler_free (s3);
  g_rand_free (r);
}

/* The same machine-independent sequence as an independent Python model
 * of splitmix64 -> xoshiro256** -> u * sum of expf((x - max) / T) walked
 * in id order (seed 42, T = 0.7; the closest draw lies 0.004 from a
 * boundary, far above any rounding difference). */
static void
test_seed_golden (void)
{
  float x[8] = { 0.5f, -1.0f, 2.0f, 1.5f, 0.0f, -0.5f, 1.0f, 0.25f };
  gint32 want[24] = { 2, 2, 3, 6, 7, 3, 3, 6, 3, 3, 3, 2, 4, 2, 3, 6, 3, 6,
    3, 3, 2, 2, 2, 3 };
  OviLlmSampler *s = make (0.7f, 0, 1.0f, 0.0f, 1.0f, 64, 42);
  for (int i = 0; i < 24; i++)
    g_assert_cmpint (ovi_llm_sampler_sample (s, x, 8), ==, want[i]);
  ovi_llm_sampler_free (s);
}

static void
test_non_finite (void)
{
  float nan_row[4] = { NAN, 1.0f, NAN, 0.5f };
  float dead[3] = { -INFINITY, NAN, -INFINITY };
  float inf_row[5] = { 1.0f, INFINITY, 3.0f, INFINITY, NAN };
  double want_nan[4], want_inf[5] = { 0, 0.5, 0, 0.5, 0 };
  OviLlmSampler *g = make (0.0f, 0, 1.0f, 0.0f, 1.0f, 64, 0);
  OviLlmSampler *s = make (1.0f, 0, 1.0f, 0.0f, 1.0f, 64, 11);
  OviLlmSampler *f = make (1.0f, 40, 0.9f, 0.05f, 1.3f, 64, 12);
  gsize m;

  g_assert_cmpint (ovi_llm_sampler_sample (g, nan_row, 4), ==, 1);
  want_nan[0] = want_nan[2] = 0;
  want_nan[1] = 1 / (1 + exp (-0.5));
  want_nan[3] = 1 - want_nan[1];
  check_frequencies (s, nan_row, 4, want_nan, 20000);

  g_assert_cmpint (ovi_llm_sampler_sample (g, dead, 3), ==,
      OVI_LLM_SAMPLER_NO_TOKEN);
  g_assert_cmpint (ovi_llm_sampler_sample (s, dead, 3), ==,
      OVI_LLM_SAMPLER_NO_TOKEN);
  g_assert_cmpint (ovi_llm_sampler_sample (f, dead, 3), ==,
      OVI_LLM_SAMPLER_NO_TOKEN);
  g_assert_null (ovi_llm_sampler_candidates (f, dead, 3, &m));
  g_assert_cmpuint (m, ==, 0);
  g_assert_cmpint (ovi_llm_sampler_sample (s, dead, 0), ==,
      OVI_LLM_SAMPLER_NO_TOKEN);

  /* +inf: only those, equally likely */
  g_assert_cmpint (ovi_llm_sampler_sample (g, inf_row, 5), ==, 1);
  check_frequencies (s, inf_row, 5, want_inf, 20000);
  check_frequencies (f, inf_row, 5, want_inf, 20000);
  ovi_llm_sampler_free (g);
  ovi_llm_sampler_free (s);
  ovi_llm_sampler_free (f);
}

static void
test_params (void)
{
  OviLlmSamplerParams p;
  GError *error = NULL;
  float bad_temp[] = { NAN, INFINITY };

  ovi_llm_sampler_params_init (&p);
  g_assert_cmpfloat (p.temperature, ==, 0.8f);
  g_assert_cmpint (p.top_k, ==, 40);
  g_assert_cmpuint (p.repeat_last_n, ==, 64);
  for (guint i = 0; i < G_N_ELEMENTS (bad_temp); i++) {
    OviLlmSamplerParams q = p;
    q.temperature = bad_temp[i];
    g_assert_null (ovi_llm_sampler_new (&q, &error));
    g_assert_error (error, OVI_LLM_SAMPLER_ERROR,
        OVI_LLM_SAMPLER_ERROR_INVALID);
    g_clear_error (&error);
  }
  {
    OviLlmSamplerParams q = p;
    q.min_p = 1.5f;
    g_assert_null (ovi_llm_sampler_new (&q, &error));
    g_clear_error (&error);
    q = p;
    q.top_p = NAN;
    g_assert_null (ovi_llm_sampler_new (&q, &error));
    g_clear_error (&error);
    q = p;
    q.repetition_penalty = 0;
    g_assert_null (ovi_llm_sampler_new (&q, &error));
    g_clear_error (&error);
    q = p;
    q.repeat_last_n = G_MAXUINT32;
    g_assert_null (ovi_llm_sampler_new (&q, &error));
    g_clear_error (&error);
  }
}

/* Not a pass/fail check: the cost per token on a Llama 3-sized
 * vocabulary, reported in the TAP output. */
static void
test_timing (void)
{
  const gsize n = 128256;
  GRand *r = g_rand_new_with_seed (5);
  float *x = g_new (float, n);
  struct { const char *name; gint32 k; float p, min_p, pen; } cases[] = {
    {"greedy", 0, 1, 0, 1}, {"defaults (k40 p0.95 min-p0.05)", 40, 0.95f,
      0.05f, 1}, {"k40 + penalty 1.1", 40, 0.95f, 0.05f, 1.1f},
    {"top-p 0.9 only", 0, 0.9f, 0, 1}, {"no filter", 0, 1, 0, 1},
    {"top-p 0.9 only, peaked row", 0, 0.9f, 0, 1},
  };
  random_logits (r, x, n, 8);
  for (guint c = 0; c < G_N_ELEMENTS (cases); c++) {
    /* the last case: a few tokens well above a flat tail, as a trained
     * model's logits usually are (the flat row is the worst case) */
    OviLlmSampler *s;
    gint64 t0;
    int reps = 50;
    if (c == G_N_ELEMENTS (cases) - 1)
      for (int i = 0; i < 8; i++)
        x[i * 9973] = 14.0f + i;
    s = make (c == 0 ? 0.0f : 0.8f, cases[c].k, cases[c].p, cases[c].min_p,
        cases[c].pen, 64, c);
    for (int i = 0; i < 64; i++)
      ovi_llm_sampler_accept (s, i * 1000);
    t0 = g_get_monotonic_time ();
    for (int i = 0; i < reps; i++)
      g_assert_cmpint (ovi_llm_sampler_sample (s, x, n), >=, 0);
    g_test_message ("vocab %" G_GSIZE_FORMAT ", %s: %.1f us per token", n,
        cases[c].name, (double) (g_get_monotonic_time () - t0) / reps);
    ovi_llm_sampler_free (s);
  }
  g_free (x);
  g_rand_free (r);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/llm-sampler/greedy", test_greedy);
  g_test_add_func ("/llm-sampler/top-k-1-is-greedy", test_top_k_1_is_greedy);
  g_test_add_func ("/llm-sampler/distribution", test_distribution);
  g_test_add_func ("/llm-sampler/filters-exact", test_filters_exact);
  g_test_add_func ("/llm-sampler/filters-large", test_filters_large);
  g_test_add_func ("/llm-sampler/repetition-penalty",
      test_repetition_penalty);
  g_test_add_func ("/llm-sampler/seed", test_seed);
  g_test_add_func ("/llm-sampler/seed-golden", test_seed_golden);
  g_test_add_func ("/llm-sampler/non-finite", test_non_finite);
  g_test_add_func ("/llm-sampler/params", test_params);
  g_test_add_func ("/llm-sampler/timing", test_timing);
  return g_test_run ();
}
