/* CPU kernels for the pool op group.
 *
 * Local pools run on a 3-D spatial view (1-D and 2-D inputs get leading
 * extents of 1). For each spatial axis a table gives, per output
 * position, the first input position its window covers and how many
 * kernel taps fall inside the input, so the inner loops never test for
 * padding. float32 runs natively; other types go through double. */
#include <math.h>
#include <string.h>

#include "conv-blocked.h"
#include "cpu-ops.h"
#include "cpu-parallel.h"
#include "cpu-scratch.h"
#include "cpu-sgemm.h"
#include "cpu-v8.h"
#include "cpu-vector.h"
#include "passes/passes.h"

/* The vector helpers pass 32-byte vectors by value, which gcc warns
 * changes the calling convention between AVX and non-AVX code; they are
 * all always_inline, so no such call is ever made. */
#pragma GCC diagnostic ignored "-Wpsabi"

#define NSP 3
/* Window tables up to this many entries live in the job (on the stack). */
#define POOL_LOCAL_TAB (3 * 1024)
/* Row accumulators up to this many elements live on the stack. */
#define POOL_STACK_ACC 1024
/* Independent lanes of the sums below; gcc vectorizes them. */
#define LANES 8

/* Four floats, and the lane masks their comparisons give (GCC vector
 * extensions: SSE registers on x86-64). */
typedef enum {
  POOL_MAX,
  POOL_AVG,
  POOL_LP,
} PoolKind;

typedef struct {
  PoolKind kind;
  int64_t planes;                   /* N * C */
  int64_t in[NSP], out[NSP], k[NSP], s[NSP], d[NSP], pb[NSP], pe[NSP];
  int64_t in_plane, out_plane;
  /* Per axis and output position: first input index of the window,
   * taps inside the input, taps inside input plus padding. */
  int64_t *first[NSP], *count[NSP], *padded[NSP];
  int64_t local_tab[POOL_LOCAL_TAB];
  gboolean include_pad;
  gboolean col_major;               /* MaxPool storage_order = 1 */
  double p;                         /* LpPool */
  /* Row accumulators of in[2] elements for long input rows: `slots` of
   * them, acc_stride bytes apart (NULL: on the stack). */
  guint8 *accs;
  gsize acc_stride;
  int slots;
  int64_t work;                     /* one step per kernel tap of each output */
} PoolJob;

/* ceil (a / b) for b > 0, any sign of a. */
static int64_t
div_ceil (int64_t a, int64_t b)
{
  return a >= 0 ? (a + b - 1) / b : -((-a) / b);
}

static void
read_axis_attr (const OviNode *node, const char *name, int nsp,
    int64_t *out)
{
  const int64_t *v;
  int n = ovi_node_attr_ints (node, name, &v);
  for (int i = 0; i < nsp; i++)
    out[i] = n == nsp ? v[i] : 1;
}

/* Fills the geometry from the node and the shapes infer has set (infer
 * validated the attributes), and carves what does not fit on the stack:
 * large window tables, long row accumulators, and for types other than
 * float32 and float64 the input and output in double. */
static void
pool_job_init (PoolJob *job, const OviOpCtx *ctx, const OviTensor *x,
    const OviTensor *y, gboolean with_indices, OviScratch *sc, double **xd,
    double **yd)
{
  const OviNode *node = ctx->node;
  const char *auto_pad = ovi_node_attr_string (node, "auto_pad", "NOTSET");
  int nsp = x->rank - 2, off = NSP - nsp;
  int64_t k[NSP], s[NSP], d[NSP];
  const int64_t *pads;
  int n_pads = ovi_node_attr_ints (node, "pads", &pads);
  int64_t total = 0;

  read_axis_attr (node, "kernel_shape", nsp, k);
  read_axis_attr (node, "strides", nsp, s);
  read_axis_attr (node, "dilations", nsp, d);
  job->planes = x->dims[0] * x->dims[1];
  for (int i = 0; i < NSP; i++) {
    int a = i - off;
    if (a < 0) {
      job->in[i] = job->out[i] = job->k[i] = job->s[i] = job->d[i] = 1;
      job->pb[i] = job->pe[i] = 0;
      continue;
    }
    job->in[i] = x->dims[2 + a];
    job->out[i] = y->dims[2 + a];
    job->k[i] = k[a];
    job->s[i] = s[a];
    job->d[i] = d[a];
    if (strcmp (auto_pad, "SAME_UPPER") == 0
        || strcmp (auto_pad, "SAME_LOWER") == 0) {
      int64_t ek = (k[a] - 1) * d[a] + 1;
      int64_t t = MAX ((job->out[i] - 1) * s[a] + ek - job->in[i], 0);
      job->pb[i] = auto_pad[5] == 'U' ? t / 2 : t - t / 2;
      job->pe[i] = t - job->pb[i];
    } else if (strcmp (auto_pad, "VALID") != 0 && n_pads == 2 * nsp) {
      job->pb[i] = pads[a];
      job->pe[i] = pads[a + nsp];
    } else {
      job->pb[i] = job->pe[i] = 0;
    }
  }
  job->in_plane = job->in[0] * job->in[1] * job->in[2];
  job->out_plane = job->out[0] * job->out[1] * job->out[2];

  for (int i = 0; i < NSP; i++)
    total += job->out[i];
  job->first[0] = 3 * total <= POOL_LOCAL_TAB ? job->local_tab
      : ovi_scratch_take (sc, 3 * total, sizeof (int64_t));
  job->work = (int64_t) MIN ((double) job->planes * job->out_plane
      * job->k[0] * job->k[1] * job->k[2], 1e18);
  job->slots = ovi_scratch_slots (ctx, job->work);
  job->accs = NULL;
  job->acc_stride = 0;
  if (!with_indices && job->in[2] > POOL_STACK_ACC)
    job->accs = ovi_scratch_take_slots (sc, job->slots, job->in[2],
        x->dtype == OVI_DTYPE_FLOAT32 ? sizeof (float) : sizeof (double),
        &job->acc_stride);
  *xd = *yd = NULL;
  if (x->dtype != OVI_DTYPE_FLOAT32 && x->dtype != OVI_DTYPE_FLOAT64) {
    *xd = ovi_scratch_take (sc, ovi_tensor_numel (x), sizeof (double));
    *yd = ovi_scratch_take (sc, ovi_tensor_numel (y), sizeof (double));
  }
}

/* The window tables of each axis (job->first[0] holds the memory). */
static void
pool_job_tables (PoolJob *job)
{
  int64_t total = 0;
  for (int i = 0; i < NSP; i++)
    total += job->out[i];
  for (int i = 0; i < NSP; i++) {
    if (i > 0)
      job->first[i] = job->first[i - 1] + job->out[i - 1];
    job->count[i] = job->first[i] + total;
    job->padded[i] = job->first[i] + 2 * total;
  }
  for (int i = 0; i < NSP; i++) {
    for (int64_t o = 0; o < job->out[i]; o++) {
      int64_t start = o * job->s[i] - job->pb[i];
      int64_t lo = start < 0 ? div_ceil (-start, job->d[i]) : 0;
      int64_t hi = MIN (job->k[i], div_ceil (job->in[i] - start, job->d[i]));
      int64_t hp = MIN (job->k[i], div_ceil (job->in[i] + job->pe[i] - start,
              job->d[i]));
      job->first[i][o] = start + lo * job->d[i];
      job->count[i][o] = MAX (hi - lo, 0);
      job->padded[i][o] = MAX (hp, 0);
    }
  }
}

/* One row of outputs (fixed plane, o0, o1) for element type T.
 *
 * Without indices the window is separable: the rows inside the (o0, o1)
 * window reduce into `acc` along the whole input row (contiguous,
 * vectorizable), then each output reduces its taps of `acc`. With
 * indices (MaxPool only) each window is scanned directly. */
#define DEFINE_POOL_ROW(T, NAME, ABS, POW, SQRT) \
static void \
NAME (const PoolJob *job, const T *xp, T *yp, int64_t *ip, int64_t base, \
    int64_t o0, int64_t o1, T *acc) \
{ \
  int64_t f0 = job->first[0][o0], c0 = job->count[0][o0]; \
  int64_t f1 = job->first[1][o1], c1 = job->count[1][o1]; \
  int64_t d0 = job->d[0], d1 = job->d[1], d2 = job->d[2]; \
  int64_t in1 = job->in[1], in2 = job->in[2]; \
  T p = (T) job->p; \
  if (ip != NULL) { \
    for (int64_t o2 = 0; o2 < job->out[2]; o2++) { \
      int64_t f2 = job->first[2][o2], c2 = job->count[2][o2]; \
      T m = -INFINITY; \
      int64_t h0 = -1, h1 = 0, h2 = 0; \
      for (int64_t a = 0; a < c0; a++) \
        for (int64_t b = 0; b < c1; b++) { \
          int64_t i0 = f0 + a * d0, i1 = f1 + b * d1; \
          const T *row = xp + (i0 * in1 + i1) * in2; \
          for (int64_t c = 0; c < c2; c++) { \
            int64_t i2 = f2 + c * d2; \
            if (row[i2] > m || h0 < 0) { \
              m = row[i2]; \
              h0 = i0; \
              h1 = i1; \
              h2 = i2; \
            } \
          } \
        } \
      yp[o2] = m; \
      if (h0 < 0) \
        ip[o2] = -1; \
      else if (job->col_major) \
        ip[o2] = base + h0 + job->in[0] * (h1 + in1 * h2); \
      else \
        ip[o2] = base + (h0 * in1 + h1) * in2 + h2; \
    } \
    return; \
  } \
  /* Rows of the window, reduced along the input row. */ \
  for (int64_t i = 0; i < in2; i++) \
    acc[i] = job->kind == POOL_MAX ? -INFINITY : 0; \
  for (int64_t a = 0; a < c0; a++) \
    for (int64_t b = 0; b < c1; b++) { \
      const T *row = xp + ((f0 + a * d0) * in1 + f1 + b * d1) * in2; \
      if (job->kind == POOL_MAX) { \
        for (int64_t i = 0; i < in2; i++) \
          acc[i] = row[i] > acc[i] ? row[i] : acc[i]; \
      } else if (job->kind == POOL_AVG || job->p == 1) { \
        if (job->kind == POOL_AVG) { \
          for (int64_t i = 0; i < in2; i++) \
            acc[i] += row[i]; \
        } else { \
          for (int64_t i = 0; i < in2; i++) \
            acc[i] += ABS (row[i]); \
        } \
      } else if (job->p == 2) { \
        for (int64_t i = 0; i < in2; i++) \
          acc[i] += row[i] * row[i]; \
      } else { \
        for (int64_t i = 0; i < in2; i++) \
          acc[i] += POW (ABS (row[i]), p); \
      } \
    } \
  /* Taps along the last axis. */ \
  for (int64_t o2 = 0; o2 < job->out[2]; o2++) { \
    int64_t f2 = job->first[2][o2], c2 = job->count[2][o2]; \
    const T *t = acc + f2; \
    if (job->kind == POOL_MAX) { \
      T m = -INFINITY; \
      for (int64_t c = 0; c < c2; c++) \
        m = t[c * d2] > m ? t[c * d2] : m; \
      yp[o2] = m; \
    } else { \
      T sum = 0; \
      for (int64_t c = 0; c < c2; c++) \
        sum += t[c * d2]; \
      if (job->kind == POOL_AVG) { \
        int64_t n = job->include_pad ? job->padded[0][o0] \
            * job->padded[1][o1] * job->padded[2][o2] : c0 * c1 * c2; \
        yp[o2] = n > 0 ? sum / (T) n : 0; \
      } else { \
        yp[o2] = job->p == 2 ? SQRT (sum) : job->p == 1 ? sum \
            : POW (sum, (T) (1.0 / job->p)); \
      } \
    } \
  } \
}

DEFINE_POOL_ROW (float, pool_row_f32, fabsf, powf, sqrtf)
DEFINE_POOL_ROW (double, pool_row_f64, fabs, pow, sqrt)

/* Rows [r0, r1) of the (plane, o0, o1) rows with a row accumulator of
 * its own (on the stack unless input rows are very long); then the runner:
 * each thread a contiguous range of rows, as schedule(static) splits
 * them. Work: one step per kernel tap of each output. */
#define DEFINE_POOL_RUN(T, NAME, ROW) \
static void \
NAME##_rows (const PoolJob *job, const T *x, T *y, int64_t *ind, \
    int64_t r0, int64_t r1, int slot) \
{ \
  T stack_acc[POOL_STACK_ACC]; \
  T *acc = ind ? NULL : job->in[2] <= POOL_STACK_ACC ? stack_acc \
      : (T *) (job->accs + slot * job->acc_stride); \
  for (int64_t r = r0; r < r1; r++) { \
    int64_t o1 = r % job->out[1]; \
    int64_t o0 = (r / job->out[1]) % job->out[0]; \
    int64_t plane = r / (job->out[1] * job->out[0]); \
    int64_t yoff = plane * job->out_plane + (o0 * job->out[1] + o1) \
        * job->out[2]; \
    ROW (job, x + plane * job->in_plane, y + yoff, \
        ind ? ind + yoff : NULL, plane * job->in_plane, o0, o1, acc); \
  } \
} \
\
/* A thread beyond the slots of scratch memory takes no rows. */ \
static void \
NAME (const PoolJob *job, const T *x, T *y, int64_t *ind) \
{ \
  int64_t rows = job->planes * job->out[0] * job->out[1]; \
  gboolean par = ovi_parallel_worth (job->work); \
  OVI_PARALLEL_REGION (par ? job->work : 0, tid, nth, { \
    int nt = MIN (nth, job->slots); \
    int64_t r0, r1; \
    if (tid < nt) { \
      ovi_parallel_slice (rows, tid, nt, &r0, &r1); \
      NAME##_rows (job, x, y, ind, r0, r1, tid); \
    } \
  }); \
}

DEFINE_POOL_RUN (float, pool_run_f32, pool_row_f32)
DEFINE_POOL_RUN (double, pool_run_f64, pool_row_f64)

static void
to_f64 (const OviTensor *t, double *buf)
{
  int64_t n = ovi_tensor_numel (t);
  for (int64_t i = 0; i < n; i++)
    buf[i] = ovi_load_f64 (t->dtype, t->data, i);
}

static void
from_f64 (OviTensor *t, const double *buf)
{
  int64_t n = ovi_tensor_numel (t);
  for (int64_t i = 0; i < n; i++)
    ovi_store_f64 (t->dtype, t->data, i, buf[i]);
}

/* MaxPool and AveragePool of a blocked input, marked OVI_ATTR_BLOCKED by
 * passes/block-layout.c (2-D, float32, no indices): the job's planes are
 * then (image, channel block) pairs of eight-channel vectors, and each
 * output is one vector reduced over its window's taps. Rows of outputs
 * are split between the threads. */
static inline __attribute__((always_inline)) void
pool_blocked_body (const PoolJob *job, const float *x, float *y, int64_t r0,
    int64_t r1)
{
  int64_t in1 = job->in[1], in2 = job->in[2], out1 = job->out[1];
  int64_t out2 = job->out[2], d1 = job->d[1], d2 = job->d[2];
  gboolean max = job->kind == POOL_MAX;
  for (int64_t r = r0; r < r1; r++) {
    int64_t plane = r / out1, o1 = r % out1;
    int64_t f1 = job->first[1][o1], c1 = job->count[1][o1];
    const float *xp = x + plane * in1 * in2 * OVI_BLOCK;
    float *yp = y + r * out2 * OVI_BLOCK;
    for (int64_t o2 = 0; o2 < out2; o2++) {
      int64_t f2 = job->first[2][o2], c2 = job->count[2][o2];
      V8f acc = { 0 };
      if (max)
        acc += -INFINITY;
      for (int64_t a = 0; a < c1; a++) {
        const float *row = xp + ((f1 + a * d1) * in2 + f2) * OVI_BLOCK;
        for (int64_t c = 0; c < c2; c++) {
          V8f v = ovi_v8_load (row + c * d2 * OVI_BLOCK);
          acc = max ? ovi_v8_select (v > acc, v, acc) : acc + v;
        }
      }
      if (!max) {
        int64_t n = job->include_pad ? job->padded[1][o1]
            * job->padded[2][o2] : c1 * c2;
        acc = n > 0 ? acc / (float) n : acc * 0.0f;
      }
      memcpy (yp + o2 * OVI_BLOCK, &acc, sizeof (acc));
    }
  }
}

static void
pool_blocked_generic (const PoolJob *job, const float *x, float *y,
    int64_t r0, int64_t r1)
{
  pool_blocked_body (job, x, y, r0, r1);
}

#if defined(__x86_64__) || defined(__i386__)
__attribute__((target ("avx2,fma")))
static void
pool_blocked_avx2 (const PoolJob *job, const float *x, float *y,
    int64_t r0, int64_t r1)
{
  pool_blocked_body (job, x, y, r0, r1);
}
#endif

static gboolean
pool_blocked_f32 (OviOpCtx *ctx, const PoolJob *job, const OviTensor *x,
    const OviTensor *ind, GError **error)
{
  int64_t rows;
  void (*run) (const PoolJob *, const float *, float *, int64_t, int64_t)
      = pool_blocked_generic;

  if (x->dtype != OVI_DTYPE_FLOAT32 || x->rank != 4
      || x->dims[1] % OVI_BLOCK != 0 || ind != NULL
      || job->kind == POOL_LP) {
    ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED, "%s is set on a pool "
        "the blocked layout does not run", OVI_ATTR_BLOCKED);
    return FALSE;
  }
#if defined(__x86_64__) || defined(__i386__)
  if (ovi_sgemm_have_avx2 ())
    run = pool_blocked_avx2;
#endif
  rows = job->planes / OVI_BLOCK * job->out[1];
  OVI_PARALLEL_REGION (job->work, tid, nth, {
    int64_t r0, r1;
    ovi_parallel_slice (rows, tid, nth, &r0, &r1);
    run (job, x->data, ctx->outputs[0]->data, r0, r1);
  });
  return TRUE;
}

/* The kind of pool, and its indices output (MaxPool only). */
static OviTensor *
pool_kind (OviOpCtx *ctx, PoolKind *kind)
{
  const char *op = ctx->node->op_type;
  *kind = strcmp (op, "MaxPool") == 0 ? POOL_MAX
      : strcmp (op, "AveragePool") == 0 ? POOL_AVG : POOL_LP;
  return *kind == POOL_MAX ? ovi_op_output (ctx, 1) : NULL;
}

static gsize
scratch_pool (OviOpCtx *ctx)
{
  OviTensor *x = ctx->inputs[0], *y = ctx->outputs[0];
  PoolKind kind;
  OviTensor *ind = pool_kind (ctx, &kind);
  PoolJob job = { 0 };
  double *xd, *yd;
  OviScratch sc;

  if (ovi_tensor_numel (y) == 0)
    return 0;
  ovi_scratch_begin (&sc, NULL);
  pool_job_init (&job, ctx, x, y, ind != NULL, &sc, &xd, &yd);
  return sc.used;
}

static gboolean
run_pool (OviOpCtx *ctx, GError **error)
{
  OviTensor *x = ctx->inputs[0], *y = ctx->outputs[0];
  PoolJob job = { 0 };
  OviTensor *ind = pool_kind (ctx, &job.kind);
  double *xd, *yd;
  OviScratch sc;

  job.include_pad = ovi_node_attr_int (ctx->node, "count_include_pad", 0)
      != 0;
  job.col_major = ovi_node_attr_int (ctx->node, "storage_order", 0) == 1;
  job.p = ovi_node_attr_float (ctx->node, "p", 2);
  if (ovi_tensor_numel (y) == 0)
    return TRUE;
  ovi_scratch_begin (&sc, ctx);
  pool_job_init (&job, ctx, x, y, ind != NULL, &sc, &xd, &yd);
  /* Nothing carved when everything fits on the stack. */
  if (sc.used > 0 && !ovi_scratch_check (ctx, &sc, error))
    return FALSE;
  pool_job_tables (&job);
  if (ovi_node_attr_int (ctx->node, OVI_ATTR_BLOCKED, 0))
    return pool_blocked_f32 (ctx, &job, x, ind, error);
  if (x->dtype == OVI_DTYPE_FLOAT32) {
    pool_run_f32 (&job, x->data, y->data, ind ? ind->data : NULL);
  } else if (x->dtype == OVI_DTYPE_FLOAT64) {
    pool_run_f64 (&job, x->data, y->data, ind ? ind->data : NULL);
  } else {
    to_f64 (x, xd);
    pool_run_f64 (&job, xd, yd, ind ? ind->data : NULL);
    from_f64 (y, yd);
  }
  return TRUE;
}

/* Global pools: one reduction per (n, c) plane. */
static gboolean
run_global_pool (OviOpCtx *ctx, GError **error)
{
  const char *op = ctx->node->op_type;
  OviTensor *x = ctx->inputs[0], *y = ctx->outputs[0];
  int64_t planes = x->dims[0] * x->dims[1];
  int64_t size = planes > 0 ? ovi_tensor_numel (x) / planes : 0;
  PoolKind kind = strcmp (op, "GlobalMaxPool") == 0 ? POOL_MAX
      : strcmp (op, "GlobalAveragePool") == 0 ? POOL_AVG : POOL_LP;
  double p = ovi_node_attr_float (ctx->node, "p", 2);

  if (kind == POOL_AVG && ovi_node_attr_int (ctx->node, OVI_ATTR_BLOCKED, 0))
    return ovi_blocked_global_average_run (ctx, error);
  if (x->dtype == OVI_DTYPE_FLOAT32) {
    const float *xd = x->data;
    float *yd = y->data;
    /* A step per element; pow costs about 20. */
    int64_t cost = kind == POOL_LP && p != 2 ? 20 : 1;
    OVI_PARALLEL_FOR (planes * size * cost,
        for (int64_t c = 0; c < planes; c++), {
      const float *v = xd + c * size;
      if (kind == POOL_MAX) {
        yd[c] = ovi_max_f32 (v, size);
      } else if (kind == POOL_AVG) {
        /* Blocks of float sums vectorize; the total is in double. */
        double total = 0;
        for (int64_t i0 = 0; i0 < size; i0 += 1024)
          total += ovi_sum_f32 (v + i0, MIN (size - i0, 1024));
        yd[c] = size > 0 ? (float) (total / size) : 0;
      } else {
        double total = 0;
        for (int64_t i = 0; i < size; i++)
          total += p == 2 ? (double) v[i] * v[i] : pow (fabs (v[i]), p);
        yd[c] = (float) (p == 2 ? sqrt (total) : pow (total, 1.0 / p));
      }
    });
  } else {
    for (int64_t c = 0; c < planes; c++) {
      double acc = kind == POOL_MAX ? -INFINITY : 0;
      for (int64_t i = 0; i < size; i++) {
        double v = ovi_load_f64 (x->dtype, x->data, c * size + i);
        if (kind == POOL_MAX)
          acc = v > acc ? v : acc;
        else if (kind == POOL_AVG)
          acc += v;
        else
          acc += pow (fabs (v), p);
      }
      if (kind == POOL_AVG)
        acc = size > 0 ? acc / size : 0;
      else if (kind == POOL_LP)
        acc = pow (acc, 1.0 / p);
      ovi_store_f64 (y->dtype, y->data, c, acc);
    }
  }
  return TRUE;
}

/* MaxUnpool: indices address the shape MaxPool would have taken the
 * input from; output_shape, when given, pads that shape at the end of
 * each axis. */
static gboolean
run_max_unpool (OviOpCtx *ctx, GError **error)
{
  OviTensor *x = ctx->inputs[0], *ind = ctx->inputs[1];
  OviTensor *y = ctx->outputs[0];
  int rank = x->rank, nsp = rank - 2;
  int64_t n = ovi_tensor_numel (x), total, inferred[OVI_MAX_RANK];
  int64_t k[NSP], s[NSP];
  const int64_t *pads;
  int n_pads = ovi_node_attr_ints (ctx->node, "pads", &pads);
  gsize esize = ovi_dtype_size (x->dtype);
  gboolean same;
  guint8 *out = y->data;
  const guint8 *in = x->data;

  read_axis_attr (ctx->node, "kernel_shape", nsp, k);
  read_axis_attr (ctx->node, "strides", nsp, s);
  inferred[0] = x->dims[0];
  inferred[1] = x->dims[1];
  for (int i = 0; i < nsp; i++) {
    int64_t pb = n_pads == 2 * nsp ? pads[i] : 0;
    int64_t pe = n_pads == 2 * nsp ? pads[i + nsp] : 0;
    inferred[2 + i] = x->dims[2 + i] > 0
        ? (x->dims[2 + i] - 1) * s[i] + k[i] - pb - pe : 0;
  }
  total = ovi_shape_numel (rank, inferred);
  same = ovi_shape_equal (rank, inferred, y->rank, y->dims);

  if (ovi_tensor_nbytes (y) > 0)
    memset (out, 0, ovi_tensor_nbytes (y));
  for (int64_t j = 0; j < n; j++) {
    int64_t idx = ovi_load_i64 (ind->dtype, ind->data, j), dst = idx;
    if (idx < 0 || idx >= total) {
      ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "index %" G_GINT64_FORMAT " is outside [0, %" G_GINT64_FORMAT ")",
          idx, total);
      return FALSE;
    }
    if (!same) {
      int64_t rest = idx, stride = 1;
      dst = 0;
      for (int a = rank - 1; a >= 0; a--) {
        int64_t coord = rest % inferred[a];
        if (coord >= y->dims[a]) {
          ovi_op_error (ctx, error, OVI_ERROR_INVALID,
              "index %" G_GINT64_FORMAT " falls outside output_shape", idx);
          return FALSE;
        }
        dst += coord * stride;
        rest /= inferred[a];
        stride *= y->dims[a];
      }
    }
    memcpy (out + dst * esize, in + j * esize, esize);
  }
  return TRUE;
}

const OviCpuKernel ovi_cpu_pool[] = {
  { "MaxPool", run_pool, .scratch = scratch_pool },
  { "AveragePool", run_pool, .scratch = scratch_pool },
  { "LpPool", run_pool, .scratch = scratch_pool },
  { "GlobalMaxPool", run_global_pool },
  { "GlobalAveragePool", run_global_pool },
  { "GlobalLpPool", run_global_pool },
  { "MaxUnpool", run_max_unpool },
  { NULL }
};
