/* CPU kernels for the reduce op group: the Reduce* family, ArgMax, ArgMin,
 * CumSum and TopK.
 *
 * Reductions first merge the input's dimensions into alternating kept and
 * reduced groups. float32 has dedicated loops for the two layouts real
 * networks use: reducing the innermost dimensions ([K, R], one contiguous
 * row per output) and reducing a middle dimension ([K1, R, K2], columns
 * accumulated a block at a time). Everything else goes through a strided
 * walk computing in double, or in int64 for integer sums, products and
 * extrema so that they stay exact. */
#include <math.h>
#include <string.h>

#include "cpu-ops.h"
#include "cpu-parallel.h"
#include "cpu-reduce-axes.h"
#include "cpu-scratch.h"
#include "cpu-vector.h"

#define MAX_AXES 64
/* Independent lanes of the float32 row reductions (the reordering a SIMD
 * reduction makes); gcc vectorizes them. */
#define LANES 8
/* Rough cost, in elementary steps, of an element loaded through
 * ovi_load_f64/ovi_load_i64 (a switch on the type) and of an exp. */
#define LOAD_COST 4
#define EXP_COST 10

/* Four floats, and the lane masks their comparisons give (GCC vector
 * extensions: SSE registers on x86-64). */
typedef enum {
  R_SUM, R_MEAN, R_MAX, R_MIN, R_PROD, R_L1, R_L2, R_LOGSUM, R_LOGSUMEXP,
  R_SUMSQ
} ReduceOp;

/* What one pass accumulates per element. */
typedef enum {
  A_SUM, A_ABS, A_SQ, A_PROD, A_MAX, A_MIN, A_EXP
} AccKind;

static const struct {
  const char *name;
  ReduceOp op;
} reduce_ops[] = {
  { "ReduceSum", R_SUM }, { "ReduceMean", R_MEAN }, { "ReduceMax", R_MAX },
  { "ReduceMin", R_MIN }, { "ReduceProd", R_PROD }, { "ReduceL1", R_L1 },
  { "ReduceL2", R_L2 }, { "ReduceLogSum", R_LOGSUM },
  { "ReduceLogSumExp", R_LOGSUMEXP }, { "ReduceSumSquare", R_SUMSQ },
};

typedef struct {
  ReduceOp op;
  OviDType dtype;
  const void *x;
  void *y;
  /* Kept and reduced dimension groups with their input strides. */
  int nk, nr;
  int64_t kdim[OVI_MAX_RANK], kstride[OVI_MAX_RANK];
  int64_t rdim[OVI_MAX_RANK], rstride[OVI_MAX_RANK];
  int64_t K, R;
} ReduceJob;

static AccKind
acc_kind (ReduceOp op)
{
  switch (op) {
    case R_L1: return A_ABS;
    case R_L2: case R_SUMSQ: return A_SQ;
    case R_PROD: return A_PROD;
    case R_MAX: return A_MAX;
    case R_MIN: return A_MIN;
    default: return A_SUM;
  }
}

static double
acc_init (AccKind k)
{
  switch (k) {
    case A_PROD: return 1;
    case A_MAX: return -INFINITY;
    case A_MIN: return INFINITY;
    default: return 0;
  }
}

/* Extrema propagate NaN, as numpy does. */
static inline double
acc_step (AccKind k, double acc, double x, double shift)
{
  switch (k) {
    case A_SUM: return acc + x;
    case A_ABS: return acc + fabs (x);
    case A_SQ: return acc + x * x;
    case A_PROD: return acc * x;
    case A_MAX: return x > acc || isnan (x) ? x : acc;
    case A_MIN: return x < acc || isnan (x) ? x : acc;
    case A_EXP: return acc + exp (x - shift);
  }
  return acc;
}

/* Merges two partial accumulations of the same kind. */
static double
acc_combine (AccKind k, double a, double b)
{
  switch (k) {
    case A_PROD: return a * b;
    case A_MAX: case A_MIN: return acc_step (k, a, b, 0);
    default: return a + b;
  }
}

/* The result from the accumulation of n elements; n == 0 gives the
 * empty-set values (0, 1, -inf, +inf, NaN for the mean). */
static double
finalize (ReduceOp op, double acc, double shift, int64_t n)
{
  switch (op) {
    case R_MEAN: return acc / (double) n;
    case R_L2: return sqrt (acc);
    case R_LOGSUM: return log (acc);
    case R_LOGSUMEXP: return shift + log (acc);
    default: return acc;
  }
}

static inline double
load_d (OviDType dt, const void *base, int64_t i)
{
  if (dt == OVI_DTYPE_FLOAT32)
    return ((const float *) base)[i];
  return ovi_load_f64 (dt, base, i);
}

/* Sums TERM (of the float v) over a row in LANES interleaved double
 * lanes. */
#define DEFINE_LANE_SUM(NAME, TERM) \
static double \
NAME (const float *x, int64_t n) \
{ \
  double lane[LANES] = { 0 }, s = 0; \
  int64_t i = 0; \
  for (; i + LANES <= n; i += LANES) \
    for (int l = 0; l < LANES; l++) { \
      float v = x[i + l]; \
      lane[l] += TERM; \
    } \
  for (; i < n; i++) { \
    float v = x[i]; \
    s += TERM; \
  } \
  for (int l = 0; l < LANES; l++) \
    s += lane[l]; \
  return s; \
}

DEFINE_LANE_SUM (lane_sum_f32, v)
DEFINE_LANE_SUM (lane_sum_abs_f32, fabsf (v))
DEFINE_LANE_SUM (lane_sum_sq_f32, (double) v * v)

/* The extremum of a row (BETTER: > or <) in four vectors of four lanes
 * (the reordering a SIMD reduction makes; plain lane arrays do not
 * vectorize with the NaN flags); NaN when the row holds one. */
#define DEFINE_LANE_EXTREMUM(NAME, INIT, BETTER) \
static double \
NAME (const float *x, int64_t n) \
{ \
  V4f acc[4]; \
  V4i nan_acc[4]; \
  float m = INIT; \
  int nan = 0; \
  int64_t i = 0; \
  for (int q = 0; q < 4; q++) \
    for (int l = 0; l < 4; l++) { \
      acc[q][l] = INIT; \
      nan_acc[q][l] = 0; \
    } \
  for (; i + 16 <= n; i += 16) \
    for (int q = 0; q < 4; q++) { \
      V4f v; \
      V4i take; \
      memcpy (&v, x + i + 4 * q, sizeof (v)); \
      take = v BETTER acc[q]; \
      acc[q] = (V4f) ((take & (V4i) v) | (~take & (V4i) acc[q])); \
      nan_acc[q] |= v != v; \
    } \
  for (; i < n; i++) { \
    m = x[i] BETTER m ? x[i] : m; \
    nan |= x[i] != x[i]; \
  } \
  for (int q = 0; q < 4; q++) \
    for (int l = 0; l < 4; l++) { \
      m = acc[q][l] BETTER m ? acc[q][l] : m; \
      nan |= nan_acc[q][l] != 0; \
    } \
  return nan ? NAN : m; \
}

DEFINE_LANE_EXTREMUM (lane_max_f32, -INFINITY, >)
DEFINE_LANE_EXTREMUM (lane_min_f32, INFINITY, <)

/* float32 loops over one contiguous row. */
static double
raw_f32 (AccKind k, const float *x, int64_t n, double shift)
{
  switch (k) {
    case A_SUM:
      return lane_sum_f32 (x, n);
    case A_ABS:
      return lane_sum_abs_f32 (x, n);
    case A_SQ:
      return lane_sum_sq_f32 (x, n);
    case A_PROD: {
      double p = 1;
      for (int64_t i = 0; i < n; i++)
        p *= x[i];
      return p;
    }
    case A_MAX:
      return lane_max_f32 (x, n);
    case A_MIN:
      return lane_min_f32 (x, n);
    case A_EXP: {
      double s = 0;
      float sh = (float) shift;
      for (int64_t i = 0; i < n; i++)
        s += expf (x[i] - sh);
      return s;
    }
  }
  return 0;
}

/* One long row split across the threads (at most 256), one chunk each. */
static double
raw_f32_parallel (AccKind k, const float *x, int64_t n, double shift)
{
  double part[256];
  int used = 1;
  double acc = acc_init (k);
  int64_t work = k == A_EXP ? n * EXP_COST : n;
  gboolean par = ovi_parallel_worth (work);

  OVI_PARALLEL_REGION (par ? work : 0, tid, nth, {
    int nt = MIN (nth, 256);
    int t = tid;
    int64_t chunk = (n + nt - 1) / nt;
    if (t == 0)
      used = nt;
    if (t < nt) {
      int64_t s = t * chunk, e = MIN (n, s + chunk);
      part[t] = s < e ? raw_f32 (k, x + s, e - s, shift) : acc_init (k);
    }
  });
  for (int t = 0; t < used; t++)
    acc = acc_combine (k, acc, part[t]);
  return acc;
}

static float
reduce_row_f32 (ReduceOp op, const float *x, int64_t n, gboolean par)
{
  double shift = 0, acc;
  if (op == R_LOGSUMEXP) {
    shift = par ? raw_f32_parallel (A_MAX, x, n, 0) : raw_f32 (A_MAX, x, n,
        0);
    if (!isfinite (shift))
      return (float) shift;
    acc = par ? raw_f32_parallel (A_EXP, x, n, shift) : raw_f32 (A_EXP, x, n,
        shift);
  } else {
    acc = par ? raw_f32_parallel (acc_kind (op), x, n, 0)
        : raw_f32 (acc_kind (op), x, n, 0);
  }
  return (float) finalize (op, acc, shift, n);
}

/* [K, R]: one contiguous row per output. */
static void
reduce_f32_rows (const ReduceJob *j)
{
  const float *x = j->x;
  float *y = j->y;
  int64_t K = j->K, R = j->R;
  /* Only long rows are worth splitting: only they pay to ask. */
  int nt = R >= 65536 ? ovi_parallel_threads (K * R) : 1;

  if (K < 2 * nt && R >= 65536 && nt > 1) {
    for (int64_t k = 0; k < K; k++)
      y[k] = reduce_row_f32 (j->op, x + k * R, R, TRUE);
    return;
  }
  OVI_PARALLEL_FOR (K > 1 ? K * R : 0, for (int64_t k = 0; k < K; k++), {
    y[k] = reduce_row_f32 (j->op, x + k * R, R, FALSE);
  });
}

#define COLS 256

#define COL_LOOP(stmt) \
  for (int64_t r = 0; r < R; r++) { \
    const float *row = base + r * K2; \
    for (int64_t c = 0; c < m; c++) { \
      stmt; \
    } \
  }

/* [K1, R, K2]: accumulates COLS columns at a time down the R rows. */
static void
reduce_f32_cols (const ReduceJob *j, int64_t K1, int64_t K2)
{
  const float *x = j->x;
  float *y = j->y;
  int64_t R = j->R;
  int64_t nblk = (K2 + COLS - 1) / COLS;
  AccKind kind = acc_kind (j->op);

  OVI_PARALLEL_FOR2 (K1 * R * K2, for (int64_t k1 = 0; k1 < K1; k1++),
      for (int64_t b = 0; b < nblk; b++), {
      double acc[COLS], sh[COLS];
      int64_t c0 = b * COLS;
      int64_t m = MIN (COLS, K2 - c0);
      const float *base = x + k1 * R * K2 + c0;

      if (j->op == R_LOGSUMEXP) {
        for (int64_t c = 0; c < m; c++)
          sh[c] = -INFINITY;
        COL_LOOP (sh[c] = acc_step (A_MAX, sh[c], row[c], 0));
        for (int64_t c = 0; c < m; c++)
          acc[c] = 0;
        COL_LOOP (if (isfinite (sh[c])) acc[c] += exp (row[c] - sh[c]));
        for (int64_t c = 0; c < m; c++)
          y[k1 * K2 + c0 + c] = isfinite (sh[c])
              ? (float) finalize (j->op, acc[c], sh[c], R) : (float) sh[c];
        continue;
      }
      for (int64_t c = 0; c < m; c++)
        acc[c] = acc_init (kind);
      switch (kind) {
        case A_SUM: COL_LOOP (acc[c] += row[c]); break;
        case A_ABS: COL_LOOP (acc[c] += fabsf (row[c])); break;
        case A_SQ: COL_LOOP (acc[c] += (double) row[c] * row[c]); break;
        case A_PROD: COL_LOOP (acc[c] *= row[c]); break;
        default: COL_LOOP (acc[c] = acc_step (kind, acc[c], row[c], 0)); break;
      }
      for (int64_t c = 0; c < m; c++)
        y[k1 * K2 + c0 + c] = (float) finalize (j->op, acc[c], 0, R);
  });
}

/* Input offset of output element o (kept groups, row-major). */
static int64_t
kept_offset (const ReduceJob *j, int64_t o)
{
  int64_t off = 0;
  for (int d = j->nk - 1; d >= 0; d--) {
    off += (o % j->kdim[d]) * j->kstride[d];
    o /= j->kdim[d];
  }
  return off;
}

/* Walks the reduced groups from base: the innermost group is a plain
 * strided loop, the outer ones an odometer. */
#define WALK_REDUCED(j, base, stmt) \
  do { \
    int64_t idx_[OVI_MAX_RANK] = { 0 }; \
    int64_t off_ = (base); \
    int last_ = (j)->nr - 1; \
    int64_t n_ = last_ >= 0 ? (j)->rdim[last_] : 1; \
    int64_t s_ = last_ >= 0 ? (j)->rstride[last_] : 0; \
    int64_t outer_ = (j)->R / MAX (n_, 1); \
    if ((j)->R == 0) \
      break; \
    for (int64_t o_ = 0; o_ < outer_; o_++) { \
      for (int64_t i_ = 0; i_ < n_; i_++) { \
        int64_t at = off_ + i_ * s_; \
        stmt; \
      } \
      for (int d_ = last_ - 1; d_ >= 0; d_--) { \
        off_ += (j)->rstride[d_]; \
        if (++idx_[d_] < (j)->rdim[d_]) \
          break; \
        off_ -= (j)->rstride[d_] * (j)->rdim[d_]; \
        idx_[d_] = 0; \
      } \
    } \
  } while (0)

/* Accumulates the reduced elements of one output: runs along the
 * innermost reduced group (contiguous float32 runs take the vector loops),
 * an odometer over the outer reduced groups. */
static double
walk_acc (const ReduceJob *j, int64_t base, AccKind kind, double shift)
{
  int last = j->nr - 1;
  int64_t n = last >= 0 ? j->rdim[last] : 1;
  int64_t s = last >= 0 ? j->rstride[last] : 0;
  int64_t runs = j->R / MAX (n, 1), off = base;
  int64_t idx[OVI_MAX_RANK] = { 0 };
  gboolean fast = j->dtype == OVI_DTYPE_FLOAT32 && (s == 1 || n == 1);
  double acc = acc_init (kind);

  if (j->R == 0)
    return acc;
  for (int64_t r = 0; r < runs; r++) {
    if (fast) {
      acc = acc_combine (kind, acc, raw_f32 (kind, (const float *) j->x + off,
              n, shift));
    } else {
      for (int64_t i = 0; i < n; i++)
        acc = acc_step (kind, acc, load_d (j->dtype, j->x, off + i * s),
            shift);
    }
    for (int d = last - 1; d >= 0; d--) {
      off += j->rstride[d];
      if (++idx[d] < j->rdim[d])
        break;
      off -= j->rstride[d] * j->rdim[d];
      idx[d] = 0;
    }
  }
  return acc;
}

static double
generic_one_f64 (const ReduceJob *j, int64_t base)
{
  double shift = 0;
  if (j->op == R_LOGSUMEXP) {
    shift = walk_acc (j, base, A_MAX, 0);
    if (!isfinite (shift))
      return shift;
    return finalize (j->op, walk_acc (j, base, A_EXP, shift), shift, j->R);
  }
  return finalize (j->op, walk_acc (j, base, acc_kind (j->op), 0), 0, j->R);
}

static void
int_range (OviDType dt, int64_t *lo, int64_t *hi)
{
  switch (dt) {
    case OVI_DTYPE_INT8: *lo = G_MININT8; *hi = G_MAXINT8; break;
    case OVI_DTYPE_INT16: *lo = G_MININT16; *hi = G_MAXINT16; break;
    case OVI_DTYPE_INT32: *lo = G_MININT32; *hi = G_MAXINT32; break;
    case OVI_DTYPE_UINT8: *lo = 0; *hi = G_MAXUINT8; break;
    case OVI_DTYPE_UINT16: *lo = 0; *hi = G_MAXUINT16; break;
    case OVI_DTYPE_UINT32: *lo = 0; *hi = G_MAXUINT32; break;
    case OVI_DTYPE_UINT64: *lo = 0; *hi = -1; break;     /* as uint64 */
    case OVI_DTYPE_BOOL: *lo = 0; *hi = 1; break;
    default: *lo = G_MININT64; *hi = G_MAXINT64; break;
  }
}

/* Integer sums, products and extrema, wrapping like the element type. */
static void
generic_one_i64 (const ReduceJob *j, int64_t base, int64_t o)
{
  OviDType dt = j->dtype;
  gboolean u = ovi_dtype_is_unsigned_int (dt);
  AccKind kind = acc_kind (j->op);
  int64_t lo, hi;
  guint64 acc;

  int_range (dt, &lo, &hi);
  switch (kind) {
    case A_PROD: acc = 1; break;
    case A_MAX: acc = (guint64) lo; break;
    case A_MIN: acc = (guint64) hi; break;
    default: acc = 0; break;
  }
  WALK_REDUCED (j, base, {
        int64_t v = ovi_load_i64 (dt, j->x, at);
        switch (kind) {
          case A_ABS: acc += v < 0 && !u ? 0 - (guint64) v : (guint64) v;
            break;
          case A_SQ: acc += (guint64) v * (guint64) v; break;
          case A_PROD: acc *= (guint64) v; break;
          case A_MAX:
            if (u ? (guint64) v > acc : v > (int64_t) acc)
              acc = (guint64) v;
            break;
          case A_MIN:
            if (u ? (guint64) v < acc : v < (int64_t) acc)
              acc = (guint64) v;
            break;
          default: acc += (guint64) v; break;
        }
      });
  if (j->op == R_MEAN) {
    double sum = u ? (double) acc : (double) (int64_t) acc;
    ovi_store_f64 (dt, j->y, o, j->R ? sum / (double) j->R : 0);
  } else {
    ovi_store_i64 (dt, j->y, o, (int64_t) acc);
  }
}

static void
reduce_generic (const ReduceJob *j)
{
  gboolean int_path = !ovi_dtype_is_float (j->dtype)
      && j->op != R_L2 && j->op != R_LOGSUM && j->op != R_LOGSUMEXP;

  OVI_PARALLEL_FOR (j->K > 1 ? j->K * j->R * LOAD_COST : 0,
      for (int64_t o = 0; o < j->K; o++), {
    int64_t base = kept_offset (j, o);
    if (int_path)
      generic_one_i64 (j, base, o);
    else if (j->dtype == OVI_DTYPE_FLOAT32)
      ((float *) j->y)[o] = (float) generic_one_f64 (j, base);
    else
      ovi_store_f64 (j->dtype, j->y, o, generic_one_f64 (j, base));
  });
}

/* Same parsing as the shape inference: the attribute, else input 1. */
gboolean
ovi_reduce_axes (OviOpCtx *ctx, int rank, gboolean *mask, gboolean *noop,
    GError **error)
{
  const int64_t *attr;
  int64_t axes[MAX_AXES];
  int n = ovi_node_attr_ints (ctx->node, "axes", &attr);
  OviTensor *a = ovi_op_input (ctx, 1);

  *noop = FALSE;
  if (n >= 0) {
    if (n > MAX_AXES)
      goto bad;
    if (n > 0)
      memcpy (axes, attr, sizeof (int64_t) * n);
  } else if (a != NULL) {
    if (!ovi_op_read_ints (a, MAX_AXES, &n, axes))
      goto bad;
  } else {
    n = 0;
  }
  for (int d = 0; d < rank; d++)
    mask[d] = n == 0;
  if (n == 0 && ovi_node_attr_int (ctx->node, "noop_with_empty_axes", 0)) {
    *noop = TRUE;
    return TRUE;
  }
  for (int i = 0; i < n; i++) {
    int ax;
    if (!ovi_op_axis (axes[i], rank, &ax))
      goto bad;
    if (rank > 0)
      mask[ax] = TRUE;
  }
  return TRUE;

bad:
  ovi_op_error (ctx, error, OVI_ERROR_INVALID, "invalid axes");
  return FALSE;
}

static gboolean
run_reduce (OviOpCtx *ctx, GError **error)
{
  OviTensor *x = ctx->inputs[0], *y = ctx->outputs[0];
  gboolean mask[OVI_MAX_RANK], noop;
  ReduceJob j = { 0 };
  int64_t gdim[OVI_MAX_RANK], gstride[OVI_MAX_RANK], s = 1;
  gboolean gred[OVI_MAX_RANK];
  int ng = 0;

  for (guint i = 0; i < G_N_ELEMENTS (reduce_ops); i++)
    if (strcmp (reduce_ops[i].name, ctx->node->op_type) == 0)
      j.op = reduce_ops[i].op;
  if (!ovi_reduce_axes (ctx, x->rank, mask, &noop, error))
    return FALSE;
  if (noop) {
    if (y->data != x->data)
      memcpy (y->data, x->data, ovi_tensor_nbytes (x));
    return TRUE;
  }
  j.dtype = x->dtype;
  j.x = x->data;
  j.y = y->data;
  j.K = ovi_tensor_numel (y);
  j.R = 1;
  for (int d = 0; d < x->rank; d++)
    if (mask[d])
      j.R *= x->dims[d];
  if (j.K == 0)
    return TRUE;

  /* Groups of adjacent dimensions that are all kept or all reduced;
   * size-1 dimensions change nothing in the layout. */
  for (int d = 0; d < x->rank; d++) {
    if (x->dims[d] == 1)
      continue;
    if (ng > 0 && gred[ng - 1] == mask[d]) {
      gdim[ng - 1] *= x->dims[d];
    } else {
      gdim[ng] = x->dims[d];
      gred[ng] = mask[d];
      ng++;
    }
  }
  for (int g = ng - 1; g >= 0; g--) {
    gstride[g] = s;
    s *= gdim[g];
  }
  for (int g = 0; g < ng; g++) {
    if (gred[g]) {
      j.rdim[j.nr] = gdim[g];
      j.rstride[j.nr++] = gstride[g];
    } else {
      j.kdim[j.nk] = gdim[g];
      j.kstride[j.nk++] = gstride[g];
    }
  }

  if (j.dtype == OVI_DTYPE_FLOAT32 && j.R > 0) {
    if (j.nk <= 1 && (j.nr == 0 || (j.nr == 1 && j.rstride[0] == 1))) {
      reduce_f32_rows (&j);
      return TRUE;
    }
    if (j.nr == 1 && j.nk >= 1 && j.nk <= 2 && j.kstride[j.nk - 1] == 1) {
      reduce_f32_cols (&j, j.nk == 2 ? j.kdim[0] : 1, j.kdim[j.nk - 1]);
      return TRUE;
    }
  }
  reduce_generic (&j);
  return TRUE;
}

/* Splits a shape around axis into [outer, n, inner]. */
static void
split_axis (const OviTensor *t, int axis, int64_t *outer, int64_t *n,
    int64_t *inner)
{
  *outer = ovi_shape_numel (axis, t->dims);
  *n = t->dims[axis];
  *inner = ovi_shape_numel (t->rank - axis - 1, t->dims + axis + 1);
}

/* ArgMax / ArgMin: NaN wins (the first one), as in numpy. */
static inline gboolean
arg_better_f (double v, double best, gboolean is_max, gboolean last)
{
  if (isnan (best))
    return FALSE;
  if (isnan (v))
    return TRUE;
  if (v == best)
    return last;
  return is_max ? v > best : v < best;
}

static inline gboolean
arg_better_i (int64_t v, int64_t best, gboolean u, gboolean is_max,
    gboolean last)
{
  if (v == best)
    return last;
  if (u)
    return is_max ? (guint64) v > (guint64) best : (guint64) v < (guint64) best;
  return is_max ? v > best : v < best;
}

/* float32 ArgMax/ArgMin of one contiguous row: the extreme value by the
 * vector loop, then its first (or last) position. */
static int64_t
arg_row_f32 (const float *p, int64_t n, gboolean is_max, gboolean last)
{
  double m = raw_f32 (is_max ? A_MAX : A_MIN, p, n, 0);
  float mf = (float) m;
  if (isnan (m)) {
    for (int64_t k = 0; k < n; k++)
      if (isnan (p[k]))
        return k;
  }
  if (last) {
    for (int64_t k = n - 1; k >= 0; k--)
      if (p[k] == mf)
        return k;
  } else {
    for (int64_t k = 0; k < n; k++)
      if (p[k] == mf)
        return k;
  }
  return 0;
}

/* float32 ArgMax/ArgMin down the columns of [outer, n, inner], COLS
 * columns at a time; a block holding NaN is redone element by element. */
static void
arg_cols_f32 (const float *x, int64_t *y, int64_t outer, int64_t n,
    int64_t inner, gboolean is_max, gboolean last)
{
  int64_t nblk = (inner + COLS - 1) / COLS;

  OVI_PARALLEL_FOR2 (outer * n * inner, for (int64_t o = 0; o < outer; o++),
      for (int64_t b = 0; b < nblk; b++), {
      float best[COLS];
      int64_t bi[COLS];
      int64_t c0 = b * COLS, m = MIN (COLS, inner - c0);
      const float *base = x + o * n * inner + c0;
      int nan = 0;

      for (int64_t c = 0; c < m; c++) {
        best[c] = base[c];
        bi[c] = 0;
        nan |= isnan (base[c]);
      }
      for (int64_t k = 1; k < n; k++) {
        const float *row = base + k * inner;
        for (int64_t c = 0; c < m; c++) {
          float v = row[c];
          gboolean take = is_max ? v > best[c] || (last && v == best[c])
              : v < best[c] || (last && v == best[c]);
          nan |= isnan (v);
          best[c] = take ? v : best[c];
          bi[c] = take ? k : bi[c];
        }
      }
      if (nan) {
        for (int64_t c = 0; c < m; c++) {
          float bv = base[c];
          bi[c] = 0;
          for (int64_t k = 1; k < n; k++) {
            if (arg_better_f (base[k * inner + c], bv, is_max, last)) {
              bv = base[k * inner + c];
              bi[c] = k;
            }
          }
        }
      }
      memcpy (y + o * inner + c0, bi, sizeof (int64_t) * m);
  });
}

static gboolean
run_arg (OviOpCtx *ctx, GError **error)
{
  OviTensor *x = ctx->inputs[0];
  int64_t *y = ctx->outputs[0]->data;
  gboolean is_max = strcmp (ctx->node->op_type, "ArgMax") == 0;
  gboolean last = ovi_node_attr_int (ctx->node, "select_last_index", 0) != 0;
  int64_t outer, n, inner, total;
  OviDType dt = x->dtype;
  gboolean is_float = ovi_dtype_is_float (dt);
  gboolean u = ovi_dtype_is_unsigned_int (dt);
  int axis;

  if (!ovi_op_axis (ovi_node_attr_int (ctx->node, "axis", 0), x->rank, &axis)) {
    ovi_op_error (ctx, error, OVI_ERROR_INVALID, "axis is out of range");
    return FALSE;
  }
  split_axis (x, axis, &outer, &n, &inner);
  total = outer * inner;
  if (total == 0)
    return TRUE;
  if (n == 0) {
    ovi_op_error (ctx, error, OVI_ERROR_INVALID, "the axis is empty");
    return FALSE;
  }

  if (dt == OVI_DTYPE_FLOAT32) {
    const float *xf = x->data;
    if (inner == 1) {
      OVI_PARALLEL_FOR (outer > 1 ? outer * n : 0,
          for (int64_t o = 0; o < outer; o++), {
        y[o] = arg_row_f32 (xf + o * n, n, is_max, last);
      });
    } else {
      arg_cols_f32 (xf, y, outer, n, inner, is_max, last);
    }
    return TRUE;
  }

  OVI_PARALLEL_FOR (total * n * LOAD_COST,
      for (int64_t t = 0; t < total; t++), {
    int64_t o = t / inner, i = t % inner;
    int64_t base = o * n * inner + i;
    int64_t best_k = 0;
    if (is_float) {
      double best = ovi_load_f64 (dt, x->data, base);
      for (int64_t k = 1; k < n; k++) {
        double v = ovi_load_f64 (dt, x->data, base + k * inner);
        if (arg_better_f (v, best, is_max, last)) {
          best = v;
          best_k = k;
        }
      }
    } else {
      int64_t best = ovi_load_i64 (dt, x->data, base);
      for (int64_t k = 1; k < n; k++) {
        int64_t v = ovi_load_i64 (dt, x->data, base + k * inner);
        if (arg_better_i (v, best, u, is_max, last)) {
          best = v;
          best_k = k;
        }
      }
    }
    y[t] = best_k;
  });
  return TRUE;
}

/* CumSum accumulates in the output itself, in the element type (as numpy
 * does). */
static gboolean
run_cumsum (OviOpCtx *ctx, GError **error)
{
  OviTensor *x = ctx->inputs[0], *y = ctx->outputs[0];
  gboolean exclusive = ovi_node_attr_int (ctx->node, "exclusive", 0) != 0;
  gboolean reverse = ovi_node_attr_int (ctx->node, "reverse", 0) != 0;
  OviDType dt = x->dtype;
  gboolean is_float = ovi_dtype_is_float (dt);
  int64_t outer, n, inner, a;
  int axis;

  if (ovi_tensor_numel (ctx->inputs[1]) != 1) {
    ovi_op_error (ctx, error, OVI_ERROR_INVALID, "axis must be one value");
    return FALSE;
  }
  a = ovi_tensor_get_i64 (ctx->inputs[1], 0);
  if (!ovi_op_axis (a, x->rank, &axis)) {
    ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "axis %" G_GINT64_FORMAT " is out of range for rank %d", a, x->rank);
    return FALSE;
  }
  split_axis (x, axis, &outer, &n, &inner);
  if (ovi_tensor_numel (x) == 0)
    return TRUE;

  /* A step per element for float32, loads and stores otherwise. */
  OVI_PARALLEL_FOR (outer > 1 ? outer * n * inner
      * (dt == OVI_DTYPE_FLOAT32 ? 1 : 2 * LOAD_COST) : 0,
      for (int64_t o = 0; o < outer; o++), {
    for (int64_t step = 0; step < n; step++) {
      /* k: the position written; src: the input added to the previous
       * output (none on the first step). */
      int64_t k = reverse ? n - 1 - step : step;
      int64_t prev = reverse ? k + 1 : k - 1;
      int64_t src = exclusive ? prev : k;
      int64_t yo = (o * n + k) * inner, po = (o * n + prev) * inner;
      int64_t xo = (o * n + src) * inner;
      gboolean first = step == 0;
      if (dt == OVI_DTYPE_FLOAT32) {
        float *yy = (float *) y->data;
        const float *xx = (const float *) x->data;
        for (int64_t i = 0; i < inner; i++)
          yy[yo + i] = first ? (exclusive ? 0 : xx[xo + i])
              : yy[po + i] + xx[xo + i];
      } else if (is_float) {
        for (int64_t i = 0; i < inner; i++)
          ovi_store_f64 (dt, y->data, yo + i, first
              ? (exclusive ? 0 : ovi_load_f64 (dt, x->data, xo + i))
              : ovi_load_f64 (dt, y->data, po + i)
              + ovi_load_f64 (dt, x->data, xo + i));
      } else {
        for (int64_t i = 0; i < inner; i++)
          ovi_store_i64 (dt, y->data, yo + i, first
              ? (exclusive ? 0 : ovi_load_i64 (dt, x->data, xo + i))
              : (int64_t) ((guint64) ovi_load_i64 (dt, y->data, po + i)
                  + (guint64) ovi_load_i64 (dt, x->data, xo + i)));
      }
    }
  });
  return TRUE;
}

/* TopK: keys of one slice, ordered "better first": larger (or smaller)
 * value, then lower index. NaN counts as the largest value. */
typedef struct {
  const double *fkey;
  const int64_t *ikey;
  gboolean largest, u;
} TopKCmp;

static inline int
topk_cmp (const TopKCmp *c, int64_t a, int64_t b)
{
  int r = 0;
  if (c->fkey) {
    double x = c->fkey[a], y = c->fkey[b];
    gboolean xn = isnan (x), yn = isnan (y);
    if (xn || yn)
      r = xn && yn ? 0 : xn ? 1 : -1;
    else
      r = x < y ? -1 : x > y ? 1 : 0;
  } else if (c->u) {
    guint64 x = c->ikey[a], y = c->ikey[b];
    r = x < y ? -1 : x > y ? 1 : 0;
  } else {
    int64_t x = c->ikey[a], y = c->ikey[b];
    r = x < y ? -1 : x > y ? 1 : 0;
  }
  if (c->largest)
    r = -r;
  if (r == 0)
    r = a < b ? -1 : a > b ? 1 : 0;
  return r;
}

/* Moves heap[pos] down to its place in heap[0..size), worse on top. */
static void
topk_sift_down (const TopKCmp *c, int64_t *heap, int64_t size, int64_t pos)
{
  int64_t v = heap[pos];
  for (;;) {
    int64_t l = 2 * pos + 1, r = l + 1, w = l;
    if (l >= size)
      break;
    if (r < size && topk_cmp (c, heap[r], heap[l]) > 0)
      w = r;
    if (topk_cmp (c, heap[w], v) <= 0)
      break;
    heap[pos] = heap[w];
    pos = w;
  }
  heap[pos] = v;
}

/* Keeps the k best of n in heap[] (the worst of them on top), then sorts
 * them best first in place (heapsort: the order is total, ties broken by
 * index, so any sort gives the same result). */
static void
topk_select (const TopKCmp *c, int64_t n, int64_t k, int64_t *heap)
{
  int64_t size = 0;
  if (k == 0)
    return;
  for (int64_t i = 0; i < n; i++) {
    int64_t pos;
    if (size < k) {
      /* Sift up: parents are worse than (compare greater than) children. */
      pos = size++;
      while (pos > 0) {
        int64_t parent = (pos - 1) / 2;
        if (topk_cmp (c, heap[parent], i) >= 0)
          break;
        heap[pos] = heap[parent];
        pos = parent;
      }
      heap[pos] = i;
      continue;
    }
    /* Quick reject: no better than the worst kept, and a later index. */
    if (c->fkey) {
      double v = c->fkey[i], w = c->fkey[heap[0]];
      if (c->largest ? v <= w : v >= w)
        continue;
    } else if (c->u) {
      guint64 v = c->ikey[i], w = c->ikey[heap[0]];
      if (c->largest ? v <= w : v >= w)
        continue;
    } else {
      int64_t v = c->ikey[i], w = c->ikey[heap[0]];
      if (c->largest ? v <= w : v >= w)
        continue;
    }
    if (topk_cmp (c, i, heap[0]) >= 0)
      continue;
    heap[0] = i;
    topk_sift_down (c, heap, size, 0);
  }
  for (int64_t end = size - 1; end > 0; end--) {
    int64_t worst = heap[0];
    heap[0] = heap[end];
    heap[end] = worst;
    topk_sift_down (c, heap, end, 0);
  }
}

/* TopK: per thread, the keys of one slice (double for float types,
 * int64 otherwise) and its heap of k indices. */
typedef struct {
  int axis, slots;
  int64_t outer, n, inner, k, work;
  guint8 *keys, *heaps;
  gsize key_stride, heap_stride;
} TopKLayout;

/* FALSE when there is nothing to compute (no output, or an empty one);
 * an axis out of range leaves it to run to report. */
static gboolean
topk_layout (OviOpCtx *ctx, OviScratch *sc, TopKLayout *l)
{
  OviTensor *x = ctx->inputs[0];
  OviTensor *vals = ovi_op_output (ctx, 0), *idx = ovi_op_output (ctx, 1);
  OviTensor *ref = vals ? vals : idx;

  if (ref == NULL || !ovi_op_axis (ovi_node_attr_int (ctx->node, "axis",
              -1), x->rank, &l->axis))
    return FALSE;
  split_axis (x, l->axis, &l->outer, &l->n, &l->inner);
  l->k = ref->dims[l->axis];
  if (l->k > l->n || l->outer * l->inner == 0 || l->k == 0)
    return FALSE;
  /* Per element: a load and a heap test. */
  l->work = l->outer * l->inner > 1 ? l->outer * l->inner * l->n * LOAD_COST
      : 0;
  l->slots = ovi_scratch_slots (ctx, l->work);
  l->keys = ovi_scratch_take_slots (sc, l->slots, l->n,
      ovi_dtype_is_float (x->dtype) ? sizeof (double) : sizeof (int64_t),
      &l->key_stride);
  l->heaps = ovi_scratch_take_slots (sc, l->slots, l->k, sizeof (int64_t),
      &l->heap_stride);
  return TRUE;
}

static gsize
scratch_topk (OviOpCtx *ctx)
{
  OviScratch sc;
  TopKLayout l;
  ovi_scratch_begin (&sc, NULL);
  return topk_layout (ctx, &sc, &l) ? sc.used : 0;
}

static gboolean
run_topk (OviOpCtx *ctx, GError **error)
{
  OviTensor *x = ctx->inputs[0];
  OviTensor *vals = ovi_op_output (ctx, 0), *idx = ovi_op_output (ctx, 1);
  OviTensor *ref = vals ? vals : idx;
  OviDType dt = x->dtype;
  gboolean is_float = ovi_dtype_is_float (dt);
  gboolean largest = ovi_node_attr_int (ctx->node, "largest", 1) != 0;
  gsize esize = ovi_dtype_size (dt);
  int64_t outer, n, inner, k, next = 0;
  int axis;
  OviScratch sc;
  TopKLayout l;

  if (ref == NULL)
    return TRUE;
  if (!ovi_op_axis (ovi_node_attr_int (ctx->node, "axis", -1), x->rank,
          &axis)) {
    ovi_op_error (ctx, error, OVI_ERROR_INVALID, "axis is out of range");
    return FALSE;
  }
  split_axis (x, axis, &outer, &n, &inner);
  k = ref->dims[axis];
  if (k > n) {
    ovi_op_error (ctx, error, OVI_ERROR_INVALID, "K is larger than the axis");
    return FALSE;
  }
  if (outer * inner == 0 || k == 0)
    return TRUE;
  ovi_scratch_begin (&sc, ctx);
  if (!topk_layout (ctx, &sc, &l))
    return TRUE;
  if (!ovi_scratch_check (ctx, &sc, error))
    return FALSE;

  /* Slices go to the threads one at a time, as they become free (as
   * schedule(dynamic, 1) does); a thread beyond the slots of scratch
   * memory takes none. */
  OVI_PARALLEL_REGION (l.work, tid, nth, {
    gboolean has_slot = tid < l.slots;
    guint8 *keys = has_slot ? l.keys + tid * l.key_stride : NULL;
    double *fkey = is_float ? (double *) keys : NULL;
    int64_t *ikey = is_float ? NULL : (int64_t *) keys;
    int64_t *heap = has_slot ? (int64_t *) (l.heaps + tid * l.heap_stride)
        : NULL;
    TopKCmp c = { fkey, ikey, largest, ovi_dtype_is_unsigned_int (dt) };

    while (has_slot) {
      int64_t t = __atomic_fetch_add (&next, 1, __ATOMIC_RELAXED);
      int64_t o = t / inner, i = t % inner;
      int64_t base = o * n * inner + i, obase = o * k * inner + i;
      if (t >= outer * inner)
        break;
      if (dt == OVI_DTYPE_FLOAT32) {
        const float *xf = (const float *) x->data + base;
        for (int64_t e = 0; e < n; e++)
          fkey[e] = xf[e * inner];
      } else {
        for (int64_t e = 0; e < n; e++) {
          if (is_float)
            fkey[e] = ovi_load_f64 (dt, x->data, base + e * inner);
          else
            ikey[e] = ovi_load_i64 (dt, x->data, base + e * inner);
        }
      }
      topk_select (&c, n, k, heap);
      for (int64_t e = 0; e < k; e++) {
        if (vals)
          memcpy ((guint8 *) vals->data + (obase + e * inner) * esize,
              (const guint8 *) x->data + (base + heap[e] * inner) * esize,
              esize);
        if (idx)
          ((int64_t *) idx->data)[obase + e * inner] = heap[e];
      }
    }
  });
  return TRUE;
}

const OviCpuKernel ovi_cpu_reduce[] = {
  { "ReduceSum", run_reduce }, { "ReduceMean", run_reduce },
  { "ReduceMax", run_reduce }, { "ReduceMin", run_reduce },
  { "ReduceProd", run_reduce }, { "ReduceL1", run_reduce },
  { "ReduceL2", run_reduce }, { "ReduceLogSum", run_reduce },
  { "ReduceLogSumExp", run_reduce }, { "ReduceSumSquare", run_reduce },
  { "ArgMax", run_arg }, { "ArgMin", run_arg },
  { "CumSum", run_cumsum },
  { "TopK", run_topk, .scratch = scratch_topk },
  { NULL }
};
