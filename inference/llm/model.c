/* The forward pass and the generation state.
 *
 * Threads: one OpenMP parallel region per chunk of tokens; inside it every
 * thread walks the layers together with the others, taking its share of
 * each step and meeting them at a barrier where the next step needs the
 * whole previous result. Matrix products split the weight rows between
 * threads, after the activations were converted once (by token ranges)
 * into the format the weight type multiplies with; products with the same
 * input (Q, K, V; gate, up) share that conversion and one barrier.
 * Attention splits (token, head) pairs; per-token steps split tokens. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef _OPENMP
#include <omp.h>
#endif
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define HAVE_X86 1
#endif

#include "cpu-features.h"
#include "model-private.h"

#define DEFAULT_BATCH 512
/* Row ranges handed to threads start at multiples of this, so that no
 * kernel tile straddles two threads. */
#define ROW_ALIGN 16

struct _OviLlmState {
  const OviLlmModel *model;
  OviLlmStateConfig cfg;
  guint n_ctx, n_batch;
  int n_threads;
  guint pos;
  guint n_shifts;
  OviLlmKvCache *kv;

  void *arena;
  float *x;        /* [n_batch][n_embd] the residual stream */
  float *xb;       /* [n_batch][n_embd] normalized input of a block */
  float *q;        /* [n_batch][n_head * head_dim] */
  float *k, *v;    /* [n_batch][n_head_kv * head_dim] */
  float *att;      /* [n_batch][n_head * head_dim] attention output */
  float *tmp;      /* [n_batch][n_embd] output of Wo / Wdown */
  float *hb, *hb2; /* [n_batch][n_ff] */
  float *rope_cos, *rope_sin;  /* [n_batch][n_rot / 2] */
  float *scores;   /* [n_threads][n_head / n_head_kv][n_ctx] */
  guint8 *qx[3];   /* converted activations, one per product sharing an
                    * input */
  /* The next row chunk of the products in progress (matmuls), which the
   * threads take chunks from: padded to be alone on its cache line. */
  guint8 pad0[64];
  gint next_chunk;
  guint8 pad1[64];

  guint64 t_matmul, t_total;
};

/* ---- vector helpers -------------------------------------------------- */

typedef float (*ExpSumFunc) (float *x, gsize n, float m);
typedef void (*SiluMulFunc) (float *a, const float *b, gsize n);

/* x[i] = exp (x[i] - m); returns the sum. */
static float
exp_sum_generic (float *x, gsize n, float m)
{
  float sum = 0.0f;
  gsize i;
  for (i = 0; i < n; i++) {
    x[i] = expf (x[i] - m);
    sum += x[i];
  }
  return sum;
}

/* a[i] = silu (a[i]) * b[i], silu (x) = x / (1 + exp (-x)). */
static void
silu_mul_generic (float *a, const float *b, gsize n)
{
  gsize i;
  for (i = 0; i < n; i++)
    a[i] = a[i] / (1.0f + expf (-a[i])) * b[i];
}

#ifdef HAVE_X86
#define TARGET __attribute__ ((target ("avx2,fma,f16c")))

/* exp on 8 floats: 2^n * e^r with n = round (x / ln 2) and |r| <= ln 2 / 2
 * (ln 2 split in two for an exact reduction), e^r by its Taylor series to
 * degree 7 (truncation below 1e-8 relative). Inputs are clamped to the
 * range whose result is a normal float. */
TARGET static inline __m256
exp8 (__m256 x)
{
  const __m256 ln2_hi = _mm256_set1_ps (0.693359375f);
  const __m256 ln2_lo = _mm256_set1_ps (-2.12194440e-4f);
  __m256 n, r, p;
  __m256i e;

  x = _mm256_max_ps (_mm256_min_ps (x, _mm256_set1_ps (88.3f)),
      _mm256_set1_ps (-87.3f));
  n = _mm256_round_ps (_mm256_mul_ps (x, _mm256_set1_ps (1.44269504f)),
      _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  r = _mm256_fnmadd_ps (n, ln2_hi, x);
  r = _mm256_fnmadd_ps (n, ln2_lo, r);
  p = _mm256_set1_ps (1.0f / 5040.0f);
  p = _mm256_fmadd_ps (p, r, _mm256_set1_ps (1.0f / 720.0f));
  p = _mm256_fmadd_ps (p, r, _mm256_set1_ps (1.0f / 120.0f));
  p = _mm256_fmadd_ps (p, r, _mm256_set1_ps (1.0f / 24.0f));
  p = _mm256_fmadd_ps (p, r, _mm256_set1_ps (1.0f / 6.0f));
  p = _mm256_fmadd_ps (p, r, _mm256_set1_ps (0.5f));
  p = _mm256_fmadd_ps (p, r, _mm256_set1_ps (1.0f));
  p = _mm256_fmadd_ps (p, r, _mm256_set1_ps (1.0f));
  e = _mm256_slli_epi32 (_mm256_add_epi32 (_mm256_cvtps_epi32 (n),
          _mm256_set1_epi32 (127)), 23);
  return _mm256_mul_ps (p, _mm256_castsi256_ps (e));
}

TARGET static float
exp_sum_avx2 (float *x, gsize n, float m)
{
  __m256 acc = _mm256_setzero_ps (), vm = _mm256_set1_ps (m);
  float out[8], sum;
  gsize i;

  for (i = 0; i + 8 <= n; i += 8) {
    __m256 e = exp8 (_mm256_sub_ps (_mm256_loadu_ps (x + i), vm));
    _mm256_storeu_ps (x + i, e);
    acc = _mm256_add_ps (acc, e);
  }
  _mm256_storeu_ps (out, acc);
  sum = out[0] + out[1] + out[2] + out[3] + out[4] + out[5] + out[6]
      + out[7];
  for (; i < n; i++) {
    x[i] = expf (x[i] - m);
    sum += x[i];
  }
  return sum;
}

TARGET static void
silu_mul_avx2 (float *a, const float *b, gsize n)
{
  const __m256 one = _mm256_set1_ps (1.0f);
  gsize i;

  for (i = 0; i + 8 <= n; i += 8) {
    __m256 x = _mm256_loadu_ps (a + i);
    __m256 e = exp8 (_mm256_sub_ps (_mm256_setzero_ps (), x));
    __m256 s = _mm256_div_ps (x, _mm256_add_ps (one, e));
    _mm256_storeu_ps (a + i, _mm256_mul_ps (s, _mm256_loadu_ps (b + i)));
  }
  for (; i < n; i++)
    a[i] = a[i] / (1.0f + expf (-a[i])) * b[i];
}
#endif

static ExpSumFunc exp_sum = exp_sum_generic;
static SiluMulFunc silu_mul = silu_mul_generic;

static void
pick_kernels (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
#ifdef HAVE_X86
    if (ovi_llm_cpu_has_avx2 ()) {
      exp_sum = exp_sum_avx2;
      silu_mul = silu_mul_avx2;
    }
#endif
    g_once_init_leave (&once, 1);
  }
}

static void
rmsnorm (const float *x, const float *w, guint n, float eps, float *y)
{
  float ss = 0.0f, scale;
  guint i;

#pragma omp simd reduction(+:ss)
  for (i = 0; i < n; i++)
    ss += x[i] * x[i];
  scale = 1.0f / sqrtf (ss / n + eps);
#pragma omp simd
  for (i = 0; i < n; i++)
    y[i] = x[i] * scale * w[i];
}

static void
add (float *x, const float *y, guint n)
{
  guint i;
#pragma omp simd
  for (i = 0; i < n; i++)
    x[i] += y[i];
}

/* Rotates the first n_rot elements of one head by the angles whose cosines
 * and sines are given, one per pair. */
static void
rope (float *v, const float *c, const float *s, guint n_rot,
    OviLlmRopeType type)
{
  guint i, half = n_rot / 2;

  if (type == OVI_LLM_ROPE_NORM) {
    for (i = 0; i < half; i++) {
      float a = v[2 * i], b = v[2 * i + 1];
      v[2 * i] = a * c[i] - b * s[i];
      v[2 * i + 1] = a * s[i] + b * c[i];
    }
  } else {
    for (i = 0; i < half; i++) {
      float a = v[i], b = v[i + half];
      v[i] = a * c[i] - b * s[i];
      v[i + half] = a * s[i] + b * c[i];
    }
  }
}

/* The context shift's key re-rotation (see kv-cache.h). */
static void
rotate_key (float *k, int delta, gpointer user_data)
{
  const OviLlmModel *m = user_data;
  float c[512], s[512];
  guint i, half = m->hp.n_rot / 2;

  /* n_rot <= head_dim, which the cache holds in one row; 1024 is far
   * above any real head size, but check rather than trust. */
  if (half > G_N_ELEMENTS (c))
    return;
  for (i = 0; i < half; i++) {
    double theta = delta * m->inv_freq[i];
    c[i] = (float) cos (theta);
    s[i] = (float) sin (theta);
  }
  rope (k, c, s, m->hp.n_rot, m->hp.rope_type);
}

static guint64
now_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (guint64) ts.tv_sec * G_GUINT64_CONSTANT (1000000000) + ts.tv_nsec;
}

/* ---- the state --------------------------------------------------------- */

void
ovi_llm_state_config_init (OviLlmStateConfig *config)
{
  memset (config, 0, sizeof *config);
  config->kv_type = OVI_LLM_KV_F16;
  config->context_full = OVI_LLM_CONTEXT_FULL_ERROR;
}

static gsize
max_activation_bytes (const OviLlmWeight *const *w, guint n, guint n_tokens)
{
  gsize best = 0;
  guint i;
  for (i = 0; i < n; i++)
    best = MAX (best, ovi_llm_activation_bytes (w[i]->type, w[i]->n_in,
            n_tokens));
  return best;
}

OviLlmState *
ovi_llm_state_new (const OviLlmModel *model, const OviLlmStateConfig *config,
    GError **error)
{
  const OviLlmHparams *hp = &model->hp;
  g_autoptr (OviLlmState) s = g_new0 (OviLlmState, 1);
  OviLlmStateConfig defaults;
  gsize nb, sizes[16], total = 0, qx0 = 0, qx12 = 0, off;
  float **bufs[13];
  guint i, l, nbufs;

  pick_kernels ();
  if (config == NULL) {
    ovi_llm_state_config_init (&defaults);
    config = &defaults;
  }
  s->model = model;
  s->cfg = *config;
  s->n_ctx = config->n_ctx ? config->n_ctx : hp->n_ctx_train;
  if (s->n_ctx > hp->n_ctx_train) {
    g_set_error (error, OVI_LLM_MODEL_ERROR, OVI_LLM_MODEL_ERROR_ARGUMENT,
        "context of %u tokens is longer than the model's %u", s->n_ctx,
        hp->n_ctx_train);
    return NULL;
  }
  if (config->context_full == OVI_LLM_CONTEXT_FULL_SLIDE
      && config->n_keep >= s->n_ctx) {
    g_set_error (error, OVI_LLM_MODEL_ERROR, OVI_LLM_MODEL_ERROR_ARGUMENT,
        "n_keep (%u) must be shorter than the context (%u)", config->n_keep,
        s->n_ctx);
    return NULL;
  }
  s->n_batch = MIN (config->n_batch ? config->n_batch : DEFAULT_BATCH,
      s->n_ctx);
  s->n_threads = config->n_threads > 0 ? config->n_threads
      : (int) g_get_num_processors ();

  s->kv = ovi_llm_kv_cache_new (config->kv_type, hp->n_layer, hp->n_head_kv,
      hp->head_dim, s->n_ctx, error);
  if (s->kv == NULL)
    return NULL;

  /* Every scratch buffer in one arena, each 64-byte aligned. All factors
   * are bounded at load (dimensions <= 2^20, context <= 2^24), so the
   * products below fit 64 bits. */
  nb = s->n_batch;
  bufs[0] = &s->x;        sizes[0] = nb * hp->n_embd;
  bufs[1] = &s->xb;       sizes[1] = nb * hp->n_embd;
  bufs[2] = &s->q;        sizes[2] = nb * hp->n_head * hp->head_dim;
  bufs[3] = &s->k;        sizes[3] = nb * hp->n_head_kv * hp->head_dim;
  bufs[4] = &s->v;        sizes[4] = nb * hp->n_head_kv * hp->head_dim;
  bufs[5] = &s->att;      sizes[5] = nb * hp->n_head * hp->head_dim;
  bufs[6] = &s->tmp;      sizes[6] = nb * hp->n_embd;
  bufs[7] = &s->hb;       sizes[7] = nb * hp->n_ff;
  bufs[8] = &s->hb2;      sizes[8] = nb * hp->n_ff;
  bufs[9] = &s->rope_cos; sizes[9] = nb * (hp->n_rot / 2 + 1);
  bufs[10] = &s->rope_sin; sizes[10] = nb * (hp->n_rot / 2 + 1);
  bufs[11] = &s->scores;  sizes[11] = (gsize) s->n_threads * s->n_ctx
      * (hp->n_head / hp->n_head_kv);
  nbufs = 12;
  for (i = 0; i < nbufs; i++)
    total += (sizes[i] * sizeof (float) + 63) & ~(gsize) 63;

  /* qx[0] serves every product, qx[1] and qx[2] only those that share
   * the block input (K, V, up) with qx[0]. */
  {
    const OviLlmWeight *out[] = { &model->output };
    qx0 = max_activation_bytes (out, 1, nb);
  }
  for (l = 0; l < hp->n_layer; l++) {
    const OviLlmLayer *y = &model->layers[l];
    const OviLlmWeight *all[] = { &y->wq, &y->wk, &y->wv, &y->wo,
        &y->w_gate, &y->w_up, &y->w_down };
    const OviLlmWeight *shared[] = { &y->wk, &y->wv, &y->w_up };
    qx0 = MAX (qx0, max_activation_bytes (all, G_N_ELEMENTS (all), nb));
    qx12 = MAX (qx12, max_activation_bytes (shared, 3, nb));
  }
  qx0 = (qx0 + 63) & ~(gsize) 63;
  qx12 = (qx12 + 63) & ~(gsize) 63;
  total += qx0 + 2 * qx12;

  if (posix_memalign (&s->arena, 64, total) != 0) {
    s->arena = NULL;
    g_set_error (error, OVI_LLM_MODEL_ERROR, OVI_LLM_MODEL_ERROR_NO_MEMORY,
        "cannot allocate %" G_GSIZE_FORMAT " bytes of scratch", total);
    return NULL;
  }
  off = 0;
  for (i = 0; i < nbufs; i++) {
    *bufs[i] = (float *) ((guint8 *) s->arena + off);
    off += (sizes[i] * sizeof (float) + 63) & ~(gsize) 63;
  }
  s->qx[0] = (guint8 *) s->arena + off;
  s->qx[1] = s->qx[0] + qx0;
  s->qx[2] = s->qx[1] + qx12;
  return g_steal_pointer (&s);
}

void
ovi_llm_state_free (OviLlmState *state)
{
  if (state == NULL)
    return;
  ovi_llm_kv_cache_free (state->kv);
  free (state->arena);
  g_free (state);
}

guint
ovi_llm_state_position (const OviLlmState *state)
{
  return state->pos;
}

guint
ovi_llm_state_n_ctx (const OviLlmState *state)
{
  return state->n_ctx;
}

void
ovi_llm_state_truncate (OviLlmState *state, guint n_pos)
{
  state->pos = MIN (state->pos, n_pos);
}

guint
ovi_llm_state_n_shifts (const OviLlmState *state)
{
  return state->n_shifts;
}

void
ovi_llm_state_timings (OviLlmState *state, guint64 *matmul_ns,
    guint64 *total_ns, gboolean reset)
{
  if (matmul_ns)
    *matmul_ns = state->t_matmul;
  if (total_ns)
    *total_ns = state->t_total;
  if (reset)
    state->t_matmul = state->t_total = 0;
}

/* ---- the forward pass ---------------------------------------------------- */

typedef struct {
  const OviLlmModel *m;
  OviLlmState *s;
  const gint32 *tokens;
  guint n;          /* tokens in this chunk */
  guint pos0;       /* position of the first */
  float *logits;    /* NULL: no output head */
  gboolean all;     /* logits for every token, else for the last */
} Pass;

static int
thread_id (void)
{
#ifdef _OPENMP
  return omp_get_thread_num ();
#else
  return 0;
#endif
}

static int
thread_count (void)
{
#ifdef _OPENMP
  return omp_get_num_threads ();
#else
  return 1;
#endif
}

/* Contiguous share [*b, *e) of n items for thread tid of nth. */
static void
split (gsize n, int tid, int nth, gsize *b, gsize *e)
{
  *b = n * tid / nth;
  *e = n * (tid + 1) / nth;
}

/* Converts n rows of x for weight w into qx, the threads sharing tokens
 * when the format has a fixed size per token (else one thread does it). */
static void
convert_input (const OviLlmWeight *w, const float *x, guint n, guint8 *qx,
    int tid, int nth)
{
  gsize one = ovi_llm_activation_bytes (w->type, w->n_in, 1);
  gsize b, e;

  if (n > 1 && ovi_llm_activation_bytes (w->type, w->n_in, n) == one * n) {
    split (n, tid, nth, &b, &e);
    if (e > b)
      ovi_llm_quantize_activations (w->type, x + b * w->n_in, w->n_in,
          e - b, qx + b * one);
  } else if (tid == 0) {
    ovi_llm_quantize_activations (w->type, x, w->n_in, n, qx);
  }
}

/* Chunk c of a guided schedule over total rows: each chunk takes 1 / (2
 * nth) of the rows left, a multiple of ROW_ALIGN and at least
 * MIN_CHUNK_ROWS. Big chunks first keep the shared counter quiet, small
 * ones last let the threads finish together. FALSE past the end. */
#define MIN_CHUNK_ROWS (2 * ROW_ALIGN)

static gboolean
guided_chunk (gsize c, gsize total, int nth, gsize *b, gsize *e)
{
  gsize start = 0, size = 0, i;

  for (i = 0; i <= c; i++) {
    start += size;
    if (start >= total)
      return FALSE;
    size = (total - start) / (2 * (gsize) nth) / ROW_ALIGN * ROW_ALIGN;
    size = MAX (size, MIN_CHUNK_ROWS);
  }
  *b = start;
  *e = MIN (total, start + size);
  return TRUE;
}

/* y[j] = x * w[j]^T for up to three weights of the same input x (n rows);
 * the input is converted once per distinct weight type. Called by every
 * thread of the region; returns after the products are complete.
 *
 * The weights' rows, each weight's padded to ROW_ALIGN, are taken in
 * chunks of a guided schedule from a shared counter rather than split in
 * fixed shares: decoding is bound by memory, and a thread whose stream
 * ran slower, or which lost its core for a while on a busy machine, left
 * the others spinning at the barrier (11 % of Q8_0 decode time with
 * fixed halves on 2 threads). */
static void
matmuls (Pass *p, int tid, int nth, const float *x, guint n,
    const OviLlmWeight *const *w, float *const *y, guint n_w)
{
  guint8 *qx[3];
  gsize off[4], cb, ce;
  guint64 t0 = tid == 0 ? now_ns () : 0;
  guint j, k;

  off[0] = 0;
  for (j = 0; j < n_w; j++) {
    qx[j] = NULL;
    for (k = 0; k < j; k++)
      if (w[k]->type == w[j]->type)
        qx[j] = qx[k];
    if (qx[j] == NULL) {
      qx[j] = p->s->qx[j];
      convert_input (w[j], x, n, qx[j], tid, nth);
    }
    off[j + 1] = off[j] + (w[j]->n_out + ROW_ALIGN - 1) / ROW_ALIGN
        * ROW_ALIGN;
  }
  /* Nobody takes a chunk before the barrier below, and the previous
   * products ended with a barrier: the counter is free to reset. */
  if (tid == 0)
    g_atomic_int_set (&p->s->next_chunk, 0);
#pragma omp barrier
  while (guided_chunk ((gsize) g_atomic_int_add (&p->s->next_chunk, 1),
          off[n_w], nth, &cb, &ce)) {
    for (j = 0; j < n_w; j++) {
      gsize b = MAX (cb, off[j]) - off[j];
      gsize e = MIN (ce - off[j], w[j]->n_out);
      if (ce > off[j] && e > b)
        ovi_llm_matmul_rows (w[j], qx[j], n, y[j], w[j]->n_out, b, e);
    }
  }
#pragma omp barrier
  if (tid == 0)
    p->s->t_matmul += now_ns () - t0;
}

/* Softmax attention of the n_q query heads from h0 of token t, which
 * share key/value head g, over positions [0, pos0 + t]; scores has a row
 * of n_ctx floats per head. */
static void
attend (Pass *p, guint layer, guint t, guint g, guint h0, guint n_q,
    float *scores)
{
  const OviLlmHparams *hp = &p->m->hp;
  OviLlmState *s = p->s;
  guint hd = hp->head_dim;
  guint n_pos = p->pos0 + t + 1;
  gsize stride = s->n_ctx;
  const float *q = s->q + ((gsize) t * hp->n_head + h0) * hd;
  float *out = s->att + ((gsize) t * hp->n_head + h0) * hd;
  guint i, j;

  ovi_llm_kv_cache_scores (s->kv, layer, g, q, n_q, n_pos, 1.0f / sqrtf (hd),
      scores, stride);
  for (i = 0; i < n_q; i++) {
    float *row = scores + i * stride;
    float mx = -INFINITY, inv;
    /* Subtracting the maximum keeps every exponent <= 0: no overflow, and
     * the largest term is exactly 1. */
    for (j = 0; j < n_pos; j++)
      mx = MAX (mx, row[j]);
    inv = 1.0f / exp_sum (row, n_pos, mx);
#pragma omp simd
    for (j = 0; j < n_pos; j++)
      row[j] *= inv;
  }
  ovi_llm_kv_cache_weighted_sum (s->kv, layer, g, scores, stride, n_q, n_pos,
      out);
}

/* Biases, RoPE and the KV store for key/value head g of token t and the
 * query heads that share it. */
static void
qkv_post (Pass *p, const OviLlmLayer *y, guint layer, guint t, guint g)
{
  const OviLlmHparams *hp = &p->m->hp;
  OviLlmState *s = p->s;
  guint hd = hp->head_dim, group = hp->n_head / hp->n_head_kv;
  guint half = hp->n_rot / 2, j, h;
  const float *c = s->rope_cos + (gsize) t * (half + 1);
  const float *sn = s->rope_sin + (gsize) t * (half + 1);
  float *k = s->k + ((gsize) t * hp->n_head_kv + g) * hd;
  float *v = s->v + ((gsize) t * hp->n_head_kv + g) * hd;

  if (y->bk != NULL)
    add (k, y->bk + (gsize) g * hd, hd);
  if (y->bv != NULL)
    add (v, y->bv + (gsize) g * hd, hd);
  rope (k, c, sn, hp->n_rot, hp->rope_type);
  ovi_llm_kv_cache_store (s->kv, layer, g, p->pos0 + t, k, v);
  for (j = 0; j < group; j++) {
    float *q;
    h = g * group + j;
    q = s->q + ((gsize) t * hp->n_head + h) * hd;
    if (y->bq != NULL)
      add (q, y->bq + (gsize) h * hd, hd);
    rope (q, c, sn, hp->n_rot, hp->rope_type);
  }
}

static void
forward_thread (Pass *p)
{
  const OviLlmModel *m = p->m;
  const OviLlmHparams *hp = &m->hp;
  OviLlmState *s = p->s;
  int tid = thread_id (), nth = thread_count ();
  guint n = p->n, E = hp->n_embd, half = hp->n_rot / 2;
  float *scores = s->scores + (gsize) tid * s->n_ctx
      * (hp->n_head / hp->n_head_kv);
  gsize b, e, i;
  guint l, t;

  /* Embedding rows and the RoPE angles of this chunk's positions. */
  split (n, tid, nth, &b, &e);
  for (i = b; i < e; i++) {
    const OviLlmWeight *emb = &m->tok_embd;
    guint j;
    ovi_llm_dequantize_row (emb->type, (const guint8 *) emb->data
        + (gsize) p->tokens[i] * emb->row_bytes, E, s->x + i * E);
    for (j = 0; j < half; j++) {
      double theta = (double) (p->pos0 + i) * m->inv_freq[j];
      s->rope_cos[i * (half + 1) + j] = (float) cos (theta);
      s->rope_sin[i * (half + 1) + j] = (float) sin (theta);
    }
  }

  for (l = 0; l < hp->n_layer; l++) {
    const OviLlmLayer *y = &m->layers[l];

    /* The previous block's output joins the residual stream. */
    split (n, tid, nth, &b, &e);
    for (i = b; i < e; i++) {
      if (l > 0)
        add (s->x + i * E, s->tmp + i * E, E);
      rmsnorm (s->x + i * E, y->attn_norm, E, hp->rms_eps, s->xb + i * E);
    }
#pragma omp barrier
    {
      const OviLlmWeight *w[] = { &y->wq, &y->wk, &y->wv };
      float *const out[] = { s->q, s->k, s->v };
      matmuls (p, tid, nth, s->xb, n, w, out, 3);
    }
    for (i = tid; i < (gsize) n * hp->n_head_kv; i += nth)
      qkv_post (p, y, l, i / hp->n_head_kv, i % hp->n_head_kv);
#pragma omp barrier
    /* Items are (token, key/value head, share of its query heads); the
     * heads of a group are split only when there are too few groups to
     * keep every thread busy (decoding with few KV heads). Interleaved:
     * with a causal mask, later tokens cost more. */
    {
      guint group = hp->n_head / hp->n_head_kv;
      gsize n_groups = (gsize) n * hp->n_head_kv;
      guint parts = (guint) CLAMP ((2 * (gsize) nth + n_groups - 1)
          / n_groups, 1, group);
      for (i = tid; i < n_groups * parts; i += nth) {
        gsize item = i / parts;
        guint part = i % parts;
        guint g = item % hp->n_head_kv;
        guint h0 = g * group + group * part / parts;
        guint h1 = g * group + group * (part + 1) / parts;
        attend (p, l, item / hp->n_head_kv, g, h0, h1 - h0, scores);
      }
    }
#pragma omp barrier
    {
      const OviLlmWeight *w[] = { &y->wo };
      float *const out[] = { s->tmp };
      matmuls (p, tid, nth, s->att, n, w, out, 1);
    }
    split (n, tid, nth, &b, &e);
    for (i = b; i < e; i++) {
      add (s->x + i * E, s->tmp + i * E, E);
      rmsnorm (s->x + i * E, y->ffn_norm, E, hp->rms_eps, s->xb + i * E);
    }
#pragma omp barrier
    {
      const OviLlmWeight *w[] = { &y->w_gate, &y->w_up };
      float *const out[] = { s->hb, s->hb2 };
      matmuls (p, tid, nth, s->xb, n, w, out, 2);
    }
    split ((gsize) n * hp->n_ff, tid, nth, &b, &e);
    if (e > b)
      silu_mul (s->hb + b, s->hb2 + b, e - b);
#pragma omp barrier
    {
      const OviLlmWeight *w[] = { &y->w_down };
      float *const out[] = { s->tmp };
      matmuls (p, tid, nth, s->hb, n, w, out, 1);
    }
  }

  /* The last block's output, the final norm and the output head, for the
   * tokens whose logits are wanted. */
  {
    guint first = p->all ? 0 : n - 1;
    guint n_out = n - first;

    split (n_out, tid, nth, &b, &e);
    for (i = b; i < e; i++) {
      t = first + i;
      add (s->x + (gsize) t * E, s->tmp + (gsize) t * E, E);
      rmsnorm (s->x + (gsize) t * E, m->output_norm, E, hp->rms_eps,
          s->xb + i * E);
    }
    if (p->logits != NULL) {
      const OviLlmWeight *w[] = { &m->output };
      float *const out[] = { p->logits };
#pragma omp barrier
      matmuls (p, tid, nth, s->xb, n_out, w, out, 1);
    }
  }
}

static gboolean
eval (const OviLlmModel *model, OviLlmState *s, const gint32 *tokens,
    gsize n_tokens, float *logits, gboolean all, GError **error)
{
  const OviLlmHparams *hp = &model->hp;
  guint64 t0 = now_ns ();
  gsize done = 0, i;

  if (s->model != model) {
    g_set_error (error, OVI_LLM_MODEL_ERROR, OVI_LLM_MODEL_ERROR_ARGUMENT,
        "the state belongs to another model");
    return FALSE;
  }
  if (n_tokens == 0 || tokens == NULL) {
    g_set_error (error, OVI_LLM_MODEL_ERROR, OVI_LLM_MODEL_ERROR_ARGUMENT,
        "no tokens to evaluate");
    return FALSE;
  }
  for (i = 0; i < n_tokens; i++) {
    if (tokens[i] < 0 || (guint) tokens[i] >= hp->n_vocab) {
      g_set_error (error, OVI_LLM_MODEL_ERROR, OVI_LLM_MODEL_ERROR_ARGUMENT,
          "token %d at %" G_GSIZE_FORMAT " is outside the vocabulary of %u",
          tokens[i], i, hp->n_vocab);
      return FALSE;
    }
  }
  if (s->cfg.context_full == OVI_LLM_CONTEXT_FULL_ERROR
      && n_tokens > s->n_ctx - s->pos) {
    g_set_error (error, OVI_LLM_MODEL_ERROR, OVI_LLM_MODEL_ERROR_CONTEXT_FULL,
        "%" G_GSIZE_FORMAT " tokens at position %u do not fit the context "
        "of %u", n_tokens, s->pos, s->n_ctx);
    return FALSE;
  }

  while (done < n_tokens) {
    Pass p;
    guint chunk;

    if (s->pos == s->n_ctx) {
      /* Only with the sliding policy: the other one failed above. */
      guint keep = s->cfg.n_keep;
      guint drop = s->cfg.n_discard ? s->cfg.n_discard
          : MAX (1, (s->pos - keep) / 2);
      drop = MIN (drop, s->pos - keep);
      ovi_llm_kv_cache_discard (s->kv, s->pos, keep, drop, rotate_key,
          (gpointer) model);
      s->pos -= drop;
      s->n_shifts++;
    }
    chunk = (guint) MIN (n_tokens - done, (gsize) s->n_batch);
    chunk = MIN (chunk, s->n_ctx - s->pos);

    p.m = model;
    p.s = s;
    p.tokens = tokens + done;
    p.n = chunk;
    p.pos0 = s->pos;
    p.all = all;
    p.logits = NULL;
    if (logits != NULL && all)
      p.logits = logits + done * hp->n_vocab;
    else if (logits != NULL && done + chunk == n_tokens)
      p.logits = logits;

#pragma omp parallel num_threads (s->n_threads)
    forward_thread (&p);

    s->pos += chunk;
    done += chunk;
  }
  s->t_total += now_ns () - t0;
  return TRUE;
}

gboolean
ovi_llm_model_eval (const OviLlmModel *model, OviLlmState *state,
    const gint32 *tokens, gsize n_tokens, float *logits, GError **error)
{
  return eval (model, state, tokens, n_tokens, logits, FALSE, error);
}

gboolean
ovi_llm_model_eval_all (const OviLlmModel *model, OviLlmState *state,
    const gint32 *tokens, gsize n_tokens, float *logits, GError **error)
{
  return eval (model, state, tokens, n_tokens, logits, TRUE, error);
}
