/* CPU kernels for Gemm and MatMul.
 *
 * float32 runs on the GEMM engine (cpu-sgemm.h) with its packing buffers
 * in the kernel's scratch; a constant right-hand operand (weights) is
 * packed once per plan (prepare). Other types transpose into plain layouts
 * and multiply in double or wrapping 64-bit integers with simple loops,
 * allocating their temporaries per call. */
#include <string.h>

#include "cpu-broadcast.h"
#include "cpu-ops.h"
#include "cpu-parallel.h"
#include "cpu-scratch.h"
#include "cpu-sgemm.h"
#include "cpu-widen.h"

#define PAR_WORK(macs) OVI_SGEMM_WORK (macs)

/* Plain row-major C = A B (no transposes) over M x K and K x N. */
static void
gemm_f64 (int64_t m, int64_t n, int64_t k, const double *a, const double *b,
    double *c)
{
  OVI_PARALLEL_FOR (PAR_WORK (m * n * k), for (int64_t i = 0; i < m; i++), {
    double *ci = c + i * n;
    for (int64_t j = 0; j < n; j++)
      ci[j] = 0.0;
    for (int64_t kk = 0; kk < k; kk++) {
      double av = a[i * k + kk];
      const double *bk = b + kk * n;
      for (int64_t j = 0; j < n; j++)
        ci[j] += av * bk[j];
    }
  });
}

static void
gemm_u64 (int64_t m, int64_t n, int64_t k, const guint64 *a,
    const guint64 *b, guint64 *c)
{
  OVI_PARALLEL_FOR (PAR_WORK (m * n * k), for (int64_t i = 0; i < m; i++), {
    guint64 *ci = c + i * n;
    for (int64_t j = 0; j < n; j++)
      ci[j] = 0;
    for (int64_t kk = 0; kk < k; kk++) {
      guint64 av = a[i * k + kk];
      const guint64 *bk = b + kk * n;
      for (int64_t j = 0; j < n; j++)
        ci[j] += av * bk[j];
    }
  });
}

/* ------------------------------------------------------------------ */
/* Gemm                                                                 */
/* ------------------------------------------------------------------ */

typedef struct {
  gboolean ta, tb;
  float alpha, beta;
  int64_t m, n, k;
} GemmShape;

static void
gemm_shape (OviOpCtx *ctx, GemmShape *s)
{
  const OviTensor *a = ctx->inputs[0], *y = ctx->outputs[0];
  s->ta = ovi_node_attr_int (ctx->node, "transA", 0) != 0;
  s->tb = ovi_node_attr_int (ctx->node, "transB", 0) != 0;
  s->alpha = ovi_node_attr_float (ctx->node, "alpha", 1.0f);
  s->beta = ovi_node_attr_float (ctx->node, "beta", 1.0f);
  s->m = y->dims[0];
  s->n = y->dims[1];
  s->k = s->ta ? a->dims[0] : a->dims[1];
}

/* Per-node state of Gemm and MatMul: the constant B packed, either in
 * the GEMM's panels or, for products of a single row, in row-vector
 * panels (the other NULL). */
typedef struct {
  float *packed_b;
  float *packed_b_rows;
} MatState;

/* Packing B once pays when B is constant and A is not (A's data present
 * means a single run: constant folding, a dynamic step): for products
 * that go through packed panels, and for a single row of A wide enough
 * for a row-vector panel. */
static gboolean
packs_b (OviOpCtx *ctx, int64_t m, int64_t n, int64_t k)
{
  return ctx->inputs[0]->dtype == OVI_DTYPE_FLOAT32
      && ctx->inputs[1]->data != NULL && ctx->inputs[0]->data == NULL
      && (ovi_sgemm_uses_panels (m, n, k) || (m == 1 && n >= 16 && k > 0));
}

static gboolean
prepare_packed_b (OviOpCtx *ctx, gboolean tb, int64_t m, int64_t k,
    int64_t n, int64_t ldb, GError **error)
{
  MatState *st = g_new0 (MatState, 1);
  gboolean rows = !ovi_sgemm_uses_panels (m, n, k);
  float *packed = ovi_aligned_alloc_streamed (rows
      ? ovi_sgemm_packed_b_rows_size (k, n) : ovi_sgemm_packed_b_size (k, n));
  if (packed == NULL) {
    g_free (st);
    return ovi_cpu_out_of_memory (ctx, error);
  }
  if (rows) {
    ovi_sgemm_pack_b_rows (tb, k, n, ctx->inputs[1]->data, ldb, packed);
    st->packed_b_rows = packed;
  } else {
    ovi_sgemm_pack_b (tb, k, n, ctx->inputs[1]->data, ldb, packed);
    st->packed_b = packed;
  }
  /* Either path reads only the packed B. */
  ctx->packed_inputs |= 1u << 1;
  ctx->state = st;
  return TRUE;
}

static void
mat_release (gpointer state)
{
  MatState *st = state;
  if (st == NULL)
    return;
  ovi_aligned_free (st->packed_b);
  ovi_aligned_free (st->packed_b_rows);
  g_free (st);
}

static gboolean
gemm_prepare (OviOpCtx *ctx, GError **error)
{
  GemmShape s;
  gemm_shape (ctx, &s);
  if (!packs_b (ctx, s.m, s.n, s.k))
    return TRUE;
  return prepare_packed_b (ctx, s.tb, s.m, s.k, s.n, ctx->inputs[1]->dims[1],
      error);
}

/* Gemm's one buffer: the GEMM's packing on up to max_threads threads. */
static void *
gemm_buffers (OviScratch *s, const GemmShape *sh, int threads, guint flags)
{
  return ovi_scratch_take (s, ovi_sgemm_scratch_size (sh->m, sh->n, sh->k,
          threads, flags), 1);
}

static gsize
gemm_scratch (OviOpCtx *ctx)
{
  GemmShape sh;
  OviScratch s;
  if (ctx->inputs[0]->dtype != OVI_DTYPE_FLOAT32)
    return 0;
  gemm_shape (ctx, &sh);
  ovi_scratch_begin (&s, NULL);
  gemm_buffers (&s, &sh, MAX (ctx->max_threads, 1),
      packs_b (ctx, sh.m, sh.n, sh.k) ? OVI_SGEMM_PACKED_B : 0);
  return s.used;
}

/* Other types: transpose into plain layouts, multiply, then combine
 * (allocates). */
static gboolean
gemm_generic (OviOpCtx *ctx, const GemmShape *s, GError **error)
{
  OviTensor *a = ctx->inputs[0], *b = ctx->inputs[1];
  OviTensor *c = ovi_op_input (ctx, 2), *y = ctx->outputs[0];
  gboolean ta = s->ta, tb = s->tb;
  float alpha = s->alpha, beta = s->beta;
  int64_t m = s->m, n = s->n, k = s->k, mn = m * n;
  gboolean use_c = c != NULL && beta != 0.0f;
  gboolean ok = TRUE;
  OviTensor *cb = NULL;
  gboolean is_int = !ovi_dtype_is_float (a->dtype);
  int64_t ka = a->dims[1], kb = b->dims[1];

  if (use_c) {
    cb = ovi_tensor_new (c->dtype, 2, y->dims);
    if (cb == NULL)
      return ovi_cpu_out_of_memory (ctx, error);
    ovi_broadcast_copy (c, cb);
  }
  if (!is_int) {
    double *av = ovi_cpu_load_f64 (a), *bv = ovi_cpu_load_f64 (b);
    double *at = g_try_new (double, MAX (m * k, 1));
    double *bt = g_try_new (double, MAX (k * n, 1));
    double *yv = g_try_new (double, MAX (mn, 1));
    double *cv = cb ? ovi_cpu_load_f64 (cb) : NULL;
    ok = av && bv && at && bt && yv && (cb == NULL || cv);
    if (ok) {
      for (int64_t i = 0; i < m; i++)
        for (int64_t kk = 0; kk < k; kk++)
          at[i * k + kk] = ta ? av[kk * ka + i] : av[i * ka + kk];
      for (int64_t kk = 0; kk < k; kk++)
        for (int64_t j = 0; j < n; j++)
          bt[kk * n + j] = tb ? bv[j * kb + kk] : bv[kk * kb + j];
      gemm_f64 (m, n, k, at, bt, yv);
      for (int64_t i = 0; i < mn; i++)
        yv[i] = alpha * yv[i] + (cv ? beta * cv[i] : 0.0);
      ovi_cpu_store_f64 (y, yv);
    }
    g_free (av);
    g_free (bv);
    g_free (at);
    g_free (bt);
    g_free (yv);
    g_free (cv);
  } else {
    guint64 *av = ovi_cpu_load_u64 (a), *bv = ovi_cpu_load_u64 (b);
    guint64 *at = g_try_new (guint64, MAX (m * k, 1));
    guint64 *bt = g_try_new (guint64, MAX (k * n, 1));
    guint64 *yv = g_try_new (guint64, MAX (mn, 1));
    guint64 *cv = cb ? ovi_cpu_load_u64 (cb) : NULL;
    ok = av && bv && at && bt && yv && (cb == NULL || cv);
    if (ok) {
      gboolean exact = alpha == 1.0f && (cv == NULL || beta == 1.0f);
      for (int64_t i = 0; i < m; i++)
        for (int64_t kk = 0; kk < k; kk++)
          at[i * k + kk] = ta ? av[kk * ka + i] : av[i * ka + kk];
      for (int64_t kk = 0; kk < k; kk++)
        for (int64_t j = 0; j < n; j++)
          bt[kk * n + j] = tb ? bv[j * kb + kk] : bv[kk * kb + j];
      gemm_u64 (m, n, k, at, bt, yv);
      for (int64_t i = 0; i < mn; i++) {
        if (exact)
          yv[i] += cv ? cv[i] : 0;
        else
          yv[i] = (guint64) (int64_t) (alpha * (double) (int64_t) yv[i]
              + (cv ? beta * (double) (int64_t) cv[i] : 0.0));
      }
      ovi_cpu_store_u64 (y, yv);
    }
    g_free (av);
    g_free (bv);
    g_free (at);
    g_free (bt);
    g_free (yv);
    g_free (cv);
  }
  ovi_tensor_free (cb);
  return ok ? TRUE : ovi_cpu_out_of_memory (ctx, error);
}

static gboolean
run_gemm (OviOpCtx *ctx, GError **error)
{
  OviTensor *a = ctx->inputs[0], *b = ctx->inputs[1];
  OviTensor *c = ovi_op_input (ctx, 2), *y = ctx->outputs[0];
  const MatState *st = ctx->state;
  GemmShape s;
  gboolean use_c;

  gemm_shape (ctx, &s);
  if (a->dtype != OVI_DTYPE_FLOAT32)
    return gemm_generic (ctx, &s, error);
  use_c = c != NULL && s.beta != 0.0f;
  {
    int threads = MAX (ctx->max_threads, 1);
    OviSgemm g = { .ta = s.ta, .tb = s.tb, .m = s.m, .n = s.n, .k = s.k,
      .alpha = s.alpha, .beta = use_c ? s.beta : 0.0f, .a = a->data,
      .lda = a->dims[1], .b = b->data, .ldb = b->dims[1],
      .packed_b = st ? st->packed_b : NULL,
      .packed_b_rows = st ? st->packed_b_rows : NULL, .c = y->data,
      .ldc = s.n };
    OviScratch sc;
    void *buf;
    ovi_scratch_begin (&sc, ctx);
    buf = gemm_buffers (&sc, &s, threads,
        g.packed_b ? OVI_SGEMM_PACKED_B : 0);
    if (!ovi_scratch_check (ctx, &sc, error))
      return FALSE;
    if (use_c)
      ovi_broadcast_copy (c, y);
    ovi_sgemm_run (&g, buf, threads);
    return TRUE;
  }
}

/* ------------------------------------------------------------------ */
/* MatMul                                                               */
/* ------------------------------------------------------------------ */

typedef struct {
  int64_t m, n, k;
  int64_t batch;                     /* output batch count */
  int batch_rank;
  int64_t bdims[OVI_MAX_RANK];
  int64_t a_bstride[OVI_MAX_RANK];   /* per output batch axis, 0 if bcast */
  int64_t b_bstride[OVI_MAX_RANK];
  gboolean b_shared;                 /* every batch uses the same B */
} MatMulGeom;

static void
matmul_geom (const OviTensor *a, const OviTensor *b, MatMulGeom *g)
{
  int ar = a->rank, br = b->rank;
  int a_batch = MAX (ar - 2, 0), b_batch = MAX (br - 2, 0);
  int64_t sa, sb;

  memset (g, 0, sizeof (*g));
  g->m = ar == 1 ? 1 : a->dims[ar - 2];
  g->k = a->dims[ar - 1];
  g->n = br == 1 ? 1 : b->dims[br - 1];
  g->batch_rank = MAX (a_batch, b_batch);
  g->batch = 1;
  sa = g->m * g->k;
  sb = g->k * g->n;
  g->b_shared = TRUE;
  for (int i = g->batch_rank - 1; i >= 0; i--) {
    int ia = i - (g->batch_rank - a_batch);
    int ib = i - (g->batch_rank - b_batch);
    int64_t da = ia >= 0 ? a->dims[ia] : 1;
    int64_t db = ib >= 0 ? b->dims[ib] : 1;
    g->bdims[i] = MAX (da, db);
    if (da == 0 || db == 0)
      g->bdims[i] = 0;
    g->a_bstride[i] = da == 1 ? 0 : sa;
    g->b_bstride[i] = db == 1 ? 0 : sb;
    if (db != 1)
      g->b_shared = FALSE;
    sa *= da;
    sb *= db;
    g->batch *= g->bdims[i];
  }
}

static void
matmul_offsets (const MatMulGeom *g, int64_t bi, int64_t *ao, int64_t *bo)
{
  int64_t oa = 0, ob = 0;
  for (int i = g->batch_rank - 1; i >= 0; i--) {
    int64_t c = bi % g->bdims[i];
    bi /= g->bdims[i];
    oa += c * g->a_bstride[i];
    ob += c * g->b_bstride[i];
  }
  *ao = oa;
  *bo = ob;
}

/* A shared B with full batches of A: one GEMM over A's stacked rows. */
static gboolean
matmul_stacks (const MatMulGeom *g)
{
  gboolean a_full = TRUE;
  for (int i = 0; i < g->batch_rank; i++)
    if (g->a_bstride[i] == 0 && g->bdims[i] != 1)
      a_full = FALSE;
  return g->b_shared && a_full;
}

typedef enum {
  MATMUL_STACKED,    /* one GEMM over every batch's rows */
  MATMUL_PER_THREAD, /* many small products, a thread's range each */
  MATMUL_SEQUENTIAL, /* product after product, each threaded */
} MatMulMode;

/* How a float32 MatMul runs on `threads` threads, and its buffers: run
 * and the scratch hook both decide by matmul_plan (the hook takes the
 * largest layout over every thread count a run may get). */
typedef struct {
  MatMulMode mode;
  int nt;                    /* threads; per thread: buffer sets */
  guint8 *gemm;              /* set i at gemm + i * stride */
  gsize stride;
} MatMulPlan;

static int64_t
matmul_work (const MatMulGeom *g)
{
  return PAR_WORK (g->batch * g->m * g->n * g->k);
}

static void
matmul_plan (const MatMulGeom *g, int threads, guint flags, OviScratch *s,
    MatMulPlan *p)
{
  memset (p, 0, sizeof (*p));
  p->nt = threads;
  if (matmul_stacks (g)) {
    p->mode = MATMUL_STACKED;
    p->gemm = ovi_scratch_take (s, ovi_sgemm_scratch_size (g->batch * g->m,
            g->n, g->k, threads, flags), 1);
  } else if (g->batch > 1 && threads > 1
      && PAR_WORK (g->m * g->n * g->k) < OVI_PARALLEL_MIN_WORK) {
    p->mode = MATMUL_PER_THREAD;
    p->gemm = ovi_scratch_take_slots (s, threads, ovi_sgemm_scratch_size
        (g->m, g->n, g->k, 1, 0), 1, &p->stride);
  } else {
    p->mode = MATMUL_SEQUENTIAL;
    p->gemm = ovi_scratch_take (s, ovi_sgemm_scratch_size (g->m, g->n, g->k,
            threads, 0), 1);
  }
}

static gboolean
matmul_prepare (OviOpCtx *ctx, GError **error)
{
  MatMulGeom g;
  matmul_geom (ctx->inputs[0], ctx->inputs[1], &g);
  if (g.batch == 0 || !matmul_stacks (&g)
      || !packs_b (ctx, g.batch * g.m, g.n, g.k))
    return TRUE;
  return prepare_packed_b (ctx, FALSE, g.batch * g.m, g.k, g.n, g.n, error);
}

static gsize
matmul_scratch (OviOpCtx *ctx)
{
  MatMulGeom g;
  MatMulPlan p;
  guint flags;
  gsize most = 0;
  int most_threads;

  if (ctx->inputs[0]->dtype != OVI_DTYPE_FLOAT32)
    return 0;
  matmul_geom (ctx->inputs[0], ctx->inputs[1], &g);
  if (g.batch == 0 || g.m * g.n == 0)
    return 0;
  flags = matmul_stacks (&g) && packs_b (ctx, g.batch * g.m, g.n, g.k)
      ? OVI_SGEMM_PACKED_B : 0;
  /* ovi_sgemm_threads gives a run 1 below the threshold, else up to
   * max_threads. */
  most_threads = matmul_work (&g) >= OVI_PARALLEL_MIN_WORK
      ? MAX (ctx->max_threads, 1) : 1;
  for (int t = 1; t <= most_threads; t++) {
    OviScratch s;
    ovi_scratch_begin (&s, NULL);
    matmul_plan (&g, t, flags, &s, &p);
    most = MAX (most, s.used);
  }
  return most;
}

static gboolean
matmul_f32 (OviOpCtx *ctx, const MatMulGeom *g, GError **error)
{
  const MatState *st = ctx->state;
  const float *av = ctx->inputs[0]->data, *bv = ctx->inputs[1]->data;
  float *yv = ctx->outputs[0]->data;
  int64_t mn = g->m * g->n;
  int threads = ovi_sgemm_threads (matmul_work (g), ctx->max_threads);
  const float *packed_b = st ? st->packed_b : NULL;
  const float *packed_b_rows = st ? st->packed_b_rows : NULL;
  MatMulPlan p;
  OviScratch s;

  ovi_scratch_begin (&s, ctx);
  matmul_plan (g, threads, packed_b ? OVI_SGEMM_PACKED_B : 0, &s, &p);
  if (!ovi_scratch_check (ctx, &s, error))
    return FALSE;
  if (p.mode == MATMUL_STACKED) {
    OviSgemm gm = { .m = g->batch * g->m, .n = g->n, .k = g->k,
      .alpha = 1.0f, .a = av, .lda = g->k, .b = bv, .ldb = g->n,
      .packed_b = packed_b, .packed_b_rows = packed_b_rows, .c = yv,
      .ldc = g->n };
    ovi_sgemm_run (&gm, p.gemm, threads);
  } else if (p.mode == MATMUL_PER_THREAD) {
    OVI_PARALLEL_REGION (matmul_work (g), tid, nth, {
      for (int set = tid; set < p.nt; set += nth) {
        int64_t b0, b1;
        ovi_parallel_slice (g->batch, set, p.nt, &b0, &b1);
        for (int64_t bi = b0; bi < b1; bi++) {
          int64_t ao, bo;
          matmul_offsets (g, bi, &ao, &bo);
          ovi_sgemm (FALSE, FALSE, g->m, g->n, g->k, 1.0f, av + ao, g->k,
              bv + bo, g->n, 0.0f, yv + bi * mn, g->n,
              p.gemm + p.stride * set, 1);
        }
      }
    });
  } else {
    for (int64_t bi = 0; bi < g->batch; bi++) {
      int64_t ao, bo;
      matmul_offsets (g, bi, &ao, &bo);
      ovi_sgemm (FALSE, FALSE, g->m, g->n, g->k, 1.0f, av + ao, g->k,
          bv + bo, g->n, 0.0f, yv + bi * mn, g->n, p.gemm, threads);
    }
  }
  return TRUE;
}

static gboolean
run_matmul (OviOpCtx *ctx, GError **error)
{
  OviTensor *a = ctx->inputs[0], *b = ctx->inputs[1], *y = ctx->outputs[0];
  MatMulGeom g;
  int64_t mn;
  gboolean ok = TRUE;

  matmul_geom (a, b, &g);
  mn = g.m * g.n;
  if (g.batch == 0 || mn == 0)
    return TRUE;
  if (a->dtype == OVI_DTYPE_FLOAT32)
    return matmul_f32 (ctx, &g, error);

  if (ovi_dtype_is_float (a->dtype)) {
    double *av = ovi_cpu_load_f64 (a), *bv = ovi_cpu_load_f64 (b);
    double *yv = g_try_new (double, MAX (g.batch * mn, 1));
    ok = av && bv && yv;
    for (int64_t bi = 0; ok && bi < g.batch; bi++) {
      int64_t ao, bo;
      matmul_offsets (&g, bi, &ao, &bo);
      gemm_f64 (g.m, g.n, g.k, av + ao, bv + bo, yv + bi * mn);
    }
    if (ok)
      ovi_cpu_store_f64 (y, yv);
    g_free (av);
    g_free (bv);
    g_free (yv);
  } else {
    guint64 *av = ovi_cpu_load_u64 (a), *bv = ovi_cpu_load_u64 (b);
    guint64 *yv = g_try_new (guint64, MAX (g.batch * mn, 1));
    ok = av && bv && yv;
    for (int64_t bi = 0; ok && bi < g.batch; bi++) {
      int64_t ao, bo;
      matmul_offsets (&g, bi, &ao, &bo);
      gemm_u64 (g.m, g.n, g.k, av + ao, bv + bo, yv + bi * mn);
    }
    if (ok)
      ovi_cpu_store_u64 (y, yv);
    g_free (av);
    g_free (bv);
    g_free (yv);
  }
  return ok ? TRUE : ovi_cpu_out_of_memory (ctx, error);
}

const OviCpuKernel ovi_cpu_matmul[] = {
  { "Gemm", run_gemm, gemm_prepare, mat_release, gemm_scratch },
  { "MatMul", run_matmul, matmul_prepare, mat_release, matmul_scratch },
  { NULL }
};
