/* The sampling chain; the order and the semantics of each step are in
 * sampler.h. */
#include "sampler.h"

#include "cpu-features.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define HAVE_X86 1
#endif

G_DEFINE_QUARK (ovi-llm-sampler-error-quark, ovi_llm_sampler_error)

/* Top-p and min-p without top-k keep a prefix of the logits sorted in
 * decreasing order, but sorting a 128k vocabulary for it would cost
 * milliseconds. Instead the logits are binned by distance below the max
 * (N_BINS bins over BIN_RANGE, one more bin for everything further down,
 * whose tokens have less than e^-32 of the max's probability): the mass
 * per bin tells which bin the top-p cut falls in, and only the tokens
 * down to that bin are collected, ordered bin by bin (a bucket sort; the
 * bins are small) with a sort inside each bin. */
#define N_BINS 1024
#define BIN_RANGE 32.0f

struct _OviLlmSampler {
  OviLlmSamplerParams params;
  guint64 rng[4];
  /* ring of the last repeat_last_n accepted tokens */
  gint32 *history;
  guint32 history_len;
  guint32 history_pos;
  gint32 *window;               /* sorted copy of the ring, for dedup */
  float *scratch;               /* penalized copy of the logits */
  gsize scratch_size;
  OviLlmCandidate *cand;
  gsize cand_size;
  /* probability mass and token count per logit bin below the max */
  double bin_mass[N_BINS + 1];
  guint32 bin_count[N_BINS + 1];
  guint32 bin_pos[N_BINS + 2];
};

/* ---- random numbers: splitmix64 seeds xoshiro256** (both public-domain
 * algorithms by Vigna; the state never becomes all-zero because splitmix64
 * is a bijection of a counter). */

static guint64
splitmix64 (guint64 *x)
{
  guint64 z = (*x += G_GUINT64_CONSTANT (0x9e3779b97f4a7c15));
  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94d049bb133111eb);
  return z ^ (z >> 31);
}

static inline guint64
rotl64 (guint64 x, int k)
{
  return (x << k) | (x >> (64 - k));
}

static guint64
xoshiro_next (guint64 s[4])
{
  guint64 result = rotl64 (s[1] * 5, 7) * 9;
  guint64 t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl64 (s[3], 45);
  return result;
}

/* Uniform in [0, 1) with 53 random bits. */
static double
uniform01 (guint64 s[4])
{
  return (double) (xoshiro_next (s) >> 11) * (1.0 / 9007199254740992.0);
}

static void
seed_rng (OviLlmSampler *s)
{
  guint64 x = s->params.seed;
  for (int i = 0; i < 4; i++)
    s->rng[i] = splitmix64 (&x);
}

/* ---- life cycle */

void
ovi_llm_sampler_params_init (OviLlmSamplerParams *params)
{
  params->temperature = 0.8f;
  params->top_k = 40;
  params->top_p = 0.95f;
  params->min_p = 0.05f;
  params->repetition_penalty = 1.0f;
  params->repeat_last_n = 64;
  params->seed = 0;
}

/* 2^20 tokens of history is far beyond any context length in use and
 * keeps a hostile value from becoming a huge allocation. */
#define MAX_REPEAT_LAST_N (1u << 20)

OviLlmSampler *
ovi_llm_sampler_new (const OviLlmSamplerParams *params, GError **error)
{
  OviLlmSampler *s;
  const OviLlmSamplerParams *p = params;

  if (isnan (p->temperature) || isinf (p->temperature)) {
    g_set_error (error, OVI_LLM_SAMPLER_ERROR, OVI_LLM_SAMPLER_ERROR_INVALID,
        "temperature must be a finite number, got %g", p->temperature);
    return NULL;
  }
  if (isnan (p->top_p) || p->top_p < 0) {
    g_set_error (error, OVI_LLM_SAMPLER_ERROR, OVI_LLM_SAMPLER_ERROR_INVALID,
        "top-p must be >= 0 (1 or more turns it off), got %g", p->top_p);
    return NULL;
  }
  if (isnan (p->min_p) || p->min_p > 1) {
    g_set_error (error, OVI_LLM_SAMPLER_ERROR, OVI_LLM_SAMPLER_ERROR_INVALID,
        "min-p must be <= 1 (0 or less turns it off), got %g", p->min_p);
    return NULL;
  }
  if (!(p->repetition_penalty > 0) || isinf (p->repetition_penalty)) {
    g_set_error (error, OVI_LLM_SAMPLER_ERROR, OVI_LLM_SAMPLER_ERROR_INVALID,
        "repetition penalty must be a finite number > 0 (1 turns it off), "
        "got %g", p->repetition_penalty);
    return NULL;
  }
  if (p->repeat_last_n > MAX_REPEAT_LAST_N) {
    g_set_error (error, OVI_LLM_SAMPLER_ERROR, OVI_LLM_SAMPLER_ERROR_INVALID,
        "repetition window of %u tokens is larger than %u", p->repeat_last_n,
        MAX_REPEAT_LAST_N);
    return NULL;
  }

  s = g_new0 (OviLlmSampler, 1);
  s->params = *p;
  if (p->repeat_last_n > 0) {
    s->history = g_new (gint32, p->repeat_last_n);
    s->window = g_new (gint32, p->repeat_last_n);
  }
  seed_rng (s);
  return s;
}

void
ovi_llm_sampler_free (OviLlmSampler *sampler)
{
  if (!sampler)
    return;
  g_free (sampler->history);
  g_free (sampler->window);
  g_free (sampler->scratch);
  g_free (sampler->cand);
  g_free (sampler);
}

const OviLlmSamplerParams *
ovi_llm_sampler_get_params (const OviLlmSampler *sampler)
{
  return &sampler->params;
}

void
ovi_llm_sampler_accept (OviLlmSampler *s, gint32 token)
{
  guint32 n = s->params.repeat_last_n;
  if (n == 0)
    return;
  s->history[s->history_pos] = token;
  s->history_pos = (s->history_pos + 1) % n;
  if (s->history_len < n)
    s->history_len++;
}

void
ovi_llm_sampler_reset (OviLlmSampler *s)
{
  s->history_len = 0;
  s->history_pos = 0;
  seed_rng (s);
}

/* ---- the chain */

static int
cmp_gint32 (const void *a, const void *b)
{
  gint32 x = *(const gint32 *) a, y = *(const gint32 *) b;
  return (x > y) - (x < y);
}

/* The order of the kept candidates: larger logit first, lower id first
 * among equals (which makes every selection deterministic). */
static inline gboolean
better (const OviLlmCandidate *a, const OviLlmCandidate *b)
{
  return a->logit > b->logit || (a->logit == b->logit && a->id < b->id);
}

static int
cmp_candidates (const void *a, const void *b)
{
  const OviLlmCandidate *x = a, *y = b;
  if (better (x, y))
    return -1;
  if (better (y, x))
    return 1;
  return 0;
}

static float *
get_scratch (OviLlmSampler *s, gsize n)
{
  if (s->scratch_size < n) {
    g_free (s->scratch);
    s->scratch = g_new (float, n);
    s->scratch_size = n;
  }
  return s->scratch;
}

static OviLlmCandidate *
get_cand (OviLlmSampler *s, gsize n)
{
  if (s->cand_size < n) {
    g_free (s->cand);
    s->cand = g_new (OviLlmCandidate, n);
    s->cand_size = n;
  }
  return s->cand;
}

/* Copies the logits and applies the repetition penalty once per distinct
 * token of the window; returns the row to sample from (the caller's when
 * no penalty applies). */
static const float *
apply_penalty (OviLlmSampler *s, const float *logits, gsize n)
{
  float pen = s->params.repetition_penalty;
  guint32 m = s->history_len;
  float *x;

  if (pen == 1.0f || m == 0)
    return logits;
  x = get_scratch (s, n);
  memcpy (x, logits, n * sizeof (float));
  memcpy (s->window, s->history, m * sizeof (gint32));
  qsort (s->window, m, sizeof (gint32), cmp_gint32);
  for (guint32 i = 0; i < m; i++) {
    gint32 t = s->window[i];
    if (i > 0 && t == s->window[i - 1])
      continue;
    if (t < 0 || (guint64) t >= n)
      continue;
    x[t] = x[t] > 0 ? x[t] / pen : x[t] * pen;
  }
  return x;
}

/* ---- the scans over the whole vocabulary, with AVX2 bodies chosen at
 * run time. Both paths give identical results: max is exact in any order
 * and NaN is skipped by both (vmaxps returns its second operand, the
 * running max, when the logit is NaN). */

typedef struct {
  float max;
  gsize n_finite;               /* > -inf: finite or +inf */
  gsize n_posinf;
} Scan;

static void
scan_scalar (const float *x, gsize from, gsize n, Scan *r)
{
  for (gsize i = from; i < n; i++) {
    float v = x[i];
    r->max = v > r->max ? v : r->max;
    r->n_finite += v > -INFINITY;
    r->n_posinf += v == INFINITY;
  }
}

/* The first id holding `max`, or n. */
static gsize
find_scalar (const float *x, gsize from, gsize n, float max)
{
  for (gsize i = from; i < n; i++)
    if (x[i] == max)
      return i;
  return n;
}

#ifdef HAVE_X86
__attribute__ ((target ("avx2")))
static void
scan_avx2 (const float *x, gsize n, Scan *r)
{
  const __m256 ninf = _mm256_set1_ps (-INFINITY);
  const __m256 pinf = _mm256_set1_ps (INFINITY);
  __m256 vmax = ninf;
  gsize i = 0;
  float lanes[8];

  while (i + 8 <= n) {
    /* 32-bit counters: blocks of at most 2^30 logits */
    gsize end = MIN (n - (n - i) % 8, i + ((gsize) 1 << 30));
    __m256i cf = _mm256_setzero_si256 (), ci = _mm256_setzero_si256 ();
    guint32 a[8], b[8];
    for (; i < end; i += 8) {
      __m256 v = _mm256_loadu_ps (x + i);
      vmax = _mm256_max_ps (v, vmax);
      cf = _mm256_sub_epi32 (cf, _mm256_castps_si256 (_mm256_cmp_ps (v, ninf,
                  _CMP_GT_OQ)));
      ci = _mm256_sub_epi32 (ci, _mm256_castps_si256 (_mm256_cmp_ps (v, pinf,
                  _CMP_EQ_OQ)));
    }
    _mm256_storeu_si256 ((__m256i *) a, cf);
    _mm256_storeu_si256 ((__m256i *) b, ci);
    for (int k = 0; k < 8; k++) {
      r->n_finite += a[k];
      r->n_posinf += b[k];
    }
  }
  _mm256_storeu_ps (lanes, vmax);
  for (int k = 0; k < 8; k++)
    r->max = lanes[k] > r->max ? lanes[k] : r->max;
  scan_scalar (x, i, n, r);
}

__attribute__ ((target ("avx2")))
static gsize
find_avx2 (const float *x, gsize n, float max)
{
  const __m256 vm = _mm256_set1_ps (max);
  gsize i = 0;
  for (; i + 8 <= n; i += 8) {
    int mask = _mm256_movemask_ps (_mm256_cmp_ps (_mm256_loadu_ps (x + i), vm,
            _CMP_EQ_OQ));
    if (mask)
      return i + __builtin_ctz (mask);
  }
  return find_scalar (x, i, n, max);
}

/* The first id from `from` whose logit is > bound (NaN never), or n. */
__attribute__ ((target ("avx2")))
static gsize
next_above_avx2 (const float *x, gsize from, gsize n, float bound)
{
  const __m256 vb = _mm256_set1_ps (bound);
  gsize i = from;
  for (; i + 8 <= n; i += 8) {
    int mask = _mm256_movemask_ps (_mm256_cmp_ps (_mm256_loadu_ps (x + i), vb,
            _CMP_GT_OQ));
    if (mask)
      return i + __builtin_ctz (mask);
  }
  for (; i < n; i++)
    if (x[i] > bound)
      return i;
  return n;
}

/* OVI_LLM_NO_SIMD=1 forces the portable path, so that the tests cover it
 * on an AVX2 machine too. */
static gboolean
have_avx2 (void)
{
  static gsize cached = 0;
  if (g_once_init_enter (&cached)) {
    gboolean on = ovi_llm_cpu_has_avx2 ()
        && g_strcmp0 (g_getenv ("OVI_LLM_NO_SIMD"), "1") != 0;
    g_once_init_leave (&cached, on ? 2 : 1);
  }
  return cached == 2;
}
#endif

static void
scan (const float *x, gsize n, Scan *r)
{
  r->max = -INFINITY;
  r->n_finite = r->n_posinf = 0;
#ifdef HAVE_X86
  if (have_avx2 ()) {
    scan_avx2 (x, n, r);
    return;
  }
#endif
  scan_scalar (x, 0, n, r);
}

static gsize
find_first (const float *x, gsize n, float max)
{
#ifdef HAVE_X86
  if (have_avx2 ())
    return find_avx2 (x, n, max);
#endif
  return find_scalar (x, 0, n, max);
}

static gsize
next_above (const float *x, gsize from, gsize n, float bound)
{
#ifdef HAVE_X86
  if (have_avx2 ())
    return next_above_avx2 (x, from, n, bound);
#endif
  for (gsize i = from; i < n; i++)
    if (x[i] > bound)
      return i;
  return n;
}

/* Min-heap on `better`: the root is the worst kept candidate. */
static void
sift_down (OviLlmCandidate *h, gsize n, gsize i)
{
  for (;;) {
    gsize l = 2 * i + 1, r = l + 1, w = i;
    OviLlmCandidate t;
    if (l < n && better (&h[w], &h[l]))
      w = l;
    if (r < n && better (&h[w], &h[r]))
      w = r;
    if (w == i)
      return;
    t = h[i];
    h[i] = h[w];
    h[w] = t;
    i = w;
  }
}

static void
sift_up (OviLlmCandidate *h, gsize i)
{
  while (i > 0) {
    gsize p = (i - 1) / 2;
    OviLlmCandidate t;
    if (!better (&h[p], &h[i]))
      return;
    t = h[i];
    h[i] = h[p];
    h[p] = t;
    i = p;
  }
}

/* The k best candidates, in one pass with a heap of k: a logit that does
 * not beat the current k-th is rejected with one comparison, which is
 * almost every logit of a large vocabulary. Since ids arrive in
 * increasing order, an equal logit never beats the heap's (lower-id)
 * root. */
static gsize
select_top_k (const float *x, gsize n, gsize k, OviLlmCandidate *h)
{
  gsize m = 0, i = 0;
  for (; i < n && m < k; i++) {
    float v = x[i];
    if (!(v > -INFINITY))
      continue;
    h[m].id = (gint32) i;
    h[m].logit = v;
    sift_up (h, m);
    m++;
  }
  /* full: only a logit above the root matters; skip to the next one */
  while ((i = next_above (x, i, n, h[0].logit)) < n) {
    h[0].id = (gint32) i;
    h[0].logit = x[i];
    sift_down (h, m, 0);
    i++;
  }
  qsort (h, m, sizeof (OviLlmCandidate), cmp_candidates);
  return m;
}

/* Every candidate (finite or +inf logit), in id order. */
static gsize
collect_all (const float *x, gsize n, OviLlmCandidate *c)
{
  gsize m = 0;
  for (gsize i = 0; i < n; i++)
    if (x[i] > -INFINITY) {
      c[m].id = (gint32) i;
      c[m].logit = x[i];
      m++;
    }
  return m;
}

/* The bin of a candidate's logit; monotonic: a larger logit never falls
 * in a later bin. */
static inline guint
bin_of (float v, float max)
{
  float d = (max - v) * (N_BINS / BIN_RANGE);
  return d < N_BINS ? (guint) d : N_BINS;
}

/* The weight of a logit relative to the max, the same everywhere. */
static inline double
weight (float v, float max)
{
  return expf (v - max);
}

/* The candidates of bins 0..last (their counts in s->bin_count), sorted
 * by `better`. */
static gsize
collect_bins (OviLlmSampler *s, const float *x, gsize n, float max,
    guint last, OviLlmCandidate *c)
{
  guint32 *pos = s->bin_pos;
  pos[0] = 0;
  for (guint b = 0; b <= last; b++)
    pos[b + 1] = pos[b] + s->bin_count[b];
  for (gsize i = 0; i < n; i++) {
    float v = x[i];
    guint b;
    if (!(v > -INFINITY))
      continue;
    b = bin_of (v, max);
    if (b > last)
      continue;
    c[pos[b]].id = (gint32) i;
    c[pos[b]].logit = v;
    pos[b]++;
  }
  /* pos[b] now ends bin b, which starts where bin b - 1 ended */
  for (guint b = 0; b <= last; b++) {
    guint32 from = b ? pos[b - 1] : 0;
    if (pos[b] - from > 1)
      qsort (c + from, pos[b] - from, sizeof (OviLlmCandidate),
          cmp_candidates);
  }
  return pos[last];
}

/* Top-p on sorted candidates whose softmax denominator (relative to the
 * max's weight) is z: the shortest prefix reaching top_p, at least one. */
static gsize
cut_top_p (const OviLlmCandidate *c, gsize m, float max, double z,
    float top_p, gboolean *reached)
{
  double cum = 0, target = (double) top_p * z;
  for (gsize i = 0; i < m; i++) {
    cum += weight (c[i].logit, max);
    if (cum >= target) {
      *reached = TRUE;
      return i + 1;
    }
  }
  *reached = FALSE;
  return m;
}

static gsize
cut_min_p (const OviLlmCandidate *c, gsize m, float max, float min_p)
{
  float threshold = max + logf (min_p);
  gsize i = 1;
  while (i < m && c[i].logit >= threshold)
    i++;
  return m ? i : 0;
}

/* Runs the chain up to (not including) the temperature; fills s->cand
 * and returns the number of candidates, *max_out the largest logit. */
static gsize
run_chain (OviLlmSampler *s, const float *logits, gsize n, float *max_out)
{
  const OviLlmSamplerParams *p = &s->params;
  const float *x = apply_penalty (s, logits, n);
  float max;
  gsize n_finite, n_posinf, m;
  gboolean use_top_p = p->top_p < 1.0f, use_min_p = p->min_p > 0.0f;
  OviLlmCandidate *c;
  Scan sc;

  /* ids are gint32: no GGUF vocabulary comes near this */
  if (n > (gsize) G_MAXINT32)
    return 0;
  scan (x, n, &sc);
  max = sc.max;
  n_finite = sc.n_finite;
  n_posinf = sc.n_posinf;
  if (n_finite == 0)
    return 0;
  if (n_posinf > 0) {
    /* softmax's limit: the +inf tokens share the mass equally */
    float *y = get_scratch (s, n);
    for (gsize i = 0; i < n; i++)
      y[i] = x[i] == INFINITY ? 0.0f : -INFINITY;
    x = y;
    max = 0.0f;
    n_finite = n_posinf;
  }
  *max_out = max;

  if (p->temperature <= 0.0f || p->top_k == 1) {
    c = get_cand (s, 1);
    c[0].id = (gint32) find_first (x, n, max);  /* the lowest id */
    c[0].logit = max;
    return 1;
  }

  if (p->top_k > 0 && (gsize) p->top_k < n_finite) {
    c = get_cand (s, p->top_k);
    m = select_top_k (x, n, p->top_k, c);
    if (use_top_p) {
      double z = 0;
      gboolean reached;
      for (gsize i = 0; i < m; i++)
        z += weight (c[i].logit, max);
      m = cut_top_p (c, m, max, z, p->top_p, &reached);
    }
  } else if (use_top_p || use_min_p) {
    guint last = N_BINS, min_p_bin = N_BINS;
    double z = 0;
    c = get_cand (s, n_finite);
    memset (s->bin_count, 0, sizeof s->bin_count);
    if (use_min_p)
      min_p_bin = bin_of (max + logf (p->min_p), max);
    if (use_top_p) {
      double cum = 0, target;
      memset (s->bin_mass, 0, sizeof s->bin_mass);
      for (gsize i = 0; i < n; i++) {
        float v = x[i];
        guint b;
        double w;
        if (!(v > -INFINITY))
          continue;
        b = bin_of (v, max);
        w = weight (v, max);
        s->bin_mass[b] += w;
        s->bin_count[b]++;
        z += w;
      }
      target = (double) p->top_p * z;
      for (last = 0; last < N_BINS; last++) {
        cum += s->bin_mass[last];
        if (cum >= target)
          break;
      }
      /* one bin more: the exact walk below sums in another order */
      last = MIN (last + 1, N_BINS);
    } else {
      for (gsize i = 0; i < n; i++)
        if (x[i] > -INFINITY)
          s->bin_count[bin_of (x[i], max)]++;
    }
    last = MIN (last, min_p_bin);
    m = collect_bins (s, x, n, max, last, c);
    if (use_top_p) {
      gboolean reached;
      gsize cut = cut_top_p (c, m, max, z, p->top_p, &reached);
      if (!reached && last < min_p_bin) {
        /* rounding left the sum short: take every bin */
        m = collect_bins (s, x, n, max, min_p_bin, c);
        cut = cut_top_p (c, m, max, z, p->top_p, &reached);
      }
      m = cut;
    }
  } else {
    /* no filter: every candidate, in id order, nothing to sort */
    c = get_cand (s, n_finite);
    m = collect_all (x, n, c);
  }
  if (use_min_p)
    m = cut_min_p (c, m, max, p->min_p);
  return m;
}

/* Final probabilities after the temperature, normalized. */
static void
finish (OviLlmSampler *s, gsize m, float max)
{
  OviLlmCandidate *c = s->cand;
  float t = s->params.temperature;
  double sum = 0;

  if (t <= 0.0f || s->params.top_k == 1) {
    c[0].p = 1.0f;
    return;
  }
  for (gsize i = 0; i < m; i++) {
    c[i].p = expf ((c[i].logit - max) / t);
    sum += c[i].p;
  }
  /* sum >= 1: the max itself contributes exp (0) */
  for (gsize i = 0; i < m; i++)
    c[i].p = (float) (c[i].p / sum);
}

const OviLlmCandidate *
ovi_llm_sampler_candidates (OviLlmSampler *s, const float *logits,
    gsize n_vocab, gsize *n_out)
{
  float max = 0;
  gsize m = run_chain (s, logits, n_vocab, &max);
  *n_out = m;
  if (m == 0)
    return NULL;
  finish (s, m, max);
  return s->cand;
}

gint32
ovi_llm_sampler_sample (OviLlmSampler *s, const float *logits, gsize n_vocab)
{
  float max = 0, t = s->params.temperature;
  gsize m = run_chain (s, logits, n_vocab, &max);
  OviLlmCandidate *c = s->cand;
  double sum = 0, u, cum = 0;

  if (m == 0)
    return OVI_LLM_SAMPLER_NO_TOKEN;
  if (m == 1 || t <= 0.0f || s->params.top_k == 1)
    return c[0].id;
  /* unnormalized weights; the draw scales the uniform number instead */
  for (gsize i = 0; i < m; i++) {
    c[i].p = expf ((c[i].logit - max) / t);
    sum += c[i].p;
  }
  u = uniform01 (s->rng) * sum;
  for (gsize i = 0; i < m; i++) {
    cum += c[i].p;
    if (u < cum)
      return c[i].id;
  }
  /* rounding left u at the very top: the last candidate with weight */
  for (gsize i = m; i-- > 0;)
    if (c[i].p > 0)
      return c[i].id;
  return c[0].id;
}
