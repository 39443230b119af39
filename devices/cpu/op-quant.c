/* CPU kernels for the quant op group. Integer products accumulate in
 * int32 (wrapping, as the spec allows); requantization multiplies the
 * accumulator by the float32 scale ratio and rounds half to even. */
#include <math.h>
#include <string.h>

#include "cpu-ops.h"
#include "cpu-parallel.h"
#include "cpu-scratch.h"

/* Rough cost, in elementary steps, of quantizing one element (a parameter
 * lookup, a division, rounding, clamping) and of dequantizing one. */
#define QUANT_COST 8
#define DEQUANT_COST 4

static void
quant_range (OviDType t, int64_t *lo, int64_t *hi)
{
  switch (t) {
    case OVI_DTYPE_INT8: *lo = -128; *hi = 127; break;
    case OVI_DTYPE_UINT16: *lo = 0; *hi = 65535; break;
    case OVI_DTYPE_INT16: *lo = -32768; *hi = 32767; break;
    case OVI_DTYPE_INT32: *lo = G_MININT32; *hi = G_MAXINT32; break;
    case OVI_DTYPE_UINT8:
    default: *lo = 0; *hi = 255; break;
  }
}

/* round_half_even (v) + zp, saturated to [lo, hi]. */
static inline int64_t
requantize (double v, int64_t zp, int64_t lo, int64_t hi)
{
  double r;
  if (isnan (v))
    v = 0;
  r = nearbyint (v) + (double) zp;
  return r < lo ? lo : r > hi ? hi : (int64_t) r;
}

/* Per-tensor or per-axis parameter index of element i. */
static inline int64_t
param_index (int64_t i, int64_t n_params, int64_t inner, int64_t dim)
{
  return n_params == 1 ? 0 : (i / inner) % dim;
}

static int
quant_axis (OviOpCtx *ctx, const OviTensor *x, const OviTensor *scale)
{
  int axis = -1;
  if (ovi_tensor_numel (scale) <= 1)
    return -1;
  if (ctx->opset >= 13)
    ovi_op_axis (ovi_node_attr_int (ctx->node, "axis", 1), x->rank, &axis);
  else
    axis = 1;
  return axis;
}

/* QuantizeLinear and DequantizeLinear: the scales as float32 and the
 * zero points as int64, one per parameter. */
static void
quant_layout (OviOpCtx *ctx, OviScratch *s, float **sc, int64_t **zps)
{
  int64_t np = ovi_tensor_numel (ctx->inputs[1]);
  *sc = ovi_scratch_take (s, np, sizeof (float));
  *zps = ovi_scratch_take (s, np, sizeof (int64_t));
}

static gsize
scratch_quant (OviOpCtx *ctx)
{
  OviScratch s;
  float *sc;
  int64_t *zps;
  ovi_scratch_begin (&s, NULL);
  quant_layout (ctx, &s, &sc, &zps);
  return s.used;
}

/* Carves and fills the parameters. */
static gboolean
quant_params (OviOpCtx *ctx, float **sc, int64_t **zps, GError **error)
{
  const OviTensor *scale = ctx->inputs[1], *zp = ovi_op_input (ctx, 2);
  int64_t np = ovi_tensor_numel (scale);
  OviScratch s;

  ovi_scratch_begin (&s, ctx);
  quant_layout (ctx, &s, sc, zps);
  if (!ovi_scratch_check (ctx, &s, error))
    return FALSE;
  for (int64_t i = 0; i < np; i++) {
    (*sc)[i] = (float) ovi_load_f64 (scale->dtype, scale->data, i);
    (*zps)[i] = zp ? ovi_load_i64 (zp->dtype, zp->data, i) : 0;
  }
  return TRUE;
}

static gboolean
run_quantize (OviOpCtx *ctx, GError **error)
{
  const OviTensor *x = ctx->inputs[0], *scale = ctx->inputs[1];
  OviTensor *y = ctx->outputs[0];
  int64_t n = ovi_tensor_numel (x), np = ovi_tensor_numel (scale);
  int axis = quant_axis (ctx, x, scale);
  int64_t inner = 1, dim = 1, lo, hi;
  float *sc;
  int64_t *zps;

  if (!quant_params (ctx, &sc, &zps, error))
    return FALSE;
  quant_range (y->dtype, &lo, &hi);
  if (axis >= 0) {
    dim = x->dims[axis];
    for (int d = axis + 1; d < x->rank; d++)
      inner *= x->dims[d];
  }
  if (x->dtype == OVI_DTYPE_FLOAT32 && y->dtype == OVI_DTYPE_UINT8) {
    const float *xf = x->data;
    guint8 *yo = y->data;
    OVI_PARALLEL_FOR (n * QUANT_COST, for (int64_t i = 0; i < n; i++), {
      int64_t p = param_index (i, np, inner, dim);
      yo[i] = (guint8) requantize (xf[i] / sc[p], zps[p], lo, hi);
    });
  } else if (x->dtype == OVI_DTYPE_FLOAT64) {
    for (int64_t i = 0; i < n; i++) {
      int64_t p = param_index (i, np, inner, dim);
      double v = ovi_load_f64 (x->dtype, x->data, i) / (double) sc[p];
      ovi_store_i64 (y->dtype, y->data, i, requantize (v, zps[p], lo, hi));
    }
  } else {
    OVI_PARALLEL_FOR (n * QUANT_COST * 2, for (int64_t i = 0; i < n; i++), {
      int64_t p = param_index (i, np, inner, dim);
      float v = (float) ovi_load_f64 (x->dtype, x->data, i) / sc[p];
      ovi_store_i64 (y->dtype, y->data, i, requantize (v, zps[p], lo, hi));
    });
  }
  return TRUE;
}

static gboolean
run_dequantize (OviOpCtx *ctx, GError **error)
{
  const OviTensor *x = ctx->inputs[0], *scale = ctx->inputs[1];
  OviTensor *y = ctx->outputs[0];
  int64_t n = ovi_tensor_numel (x), np = ovi_tensor_numel (scale);
  int axis = quant_axis (ctx, x, scale);
  int64_t inner = 1, dim = 1;
  float *sc;
  int64_t *zps;

  if (!quant_params (ctx, &sc, &zps, error))
    return FALSE;
  if (axis >= 0) {
    dim = x->dims[axis];
    for (int d = axis + 1; d < x->rank; d++)
      inner *= x->dims[d];
  }
  if (y->dtype == OVI_DTYPE_FLOAT32) {
    float *yo = y->data;
    OVI_PARALLEL_FOR (n * DEQUANT_COST, for (int64_t i = 0; i < n; i++), {
      int64_t p = param_index (i, np, inner, dim);
      yo[i] = (float) (ovi_load_i64 (x->dtype, x->data, i) - zps[p]) * sc[p];
    });
  } else {
    for (int64_t i = 0; i < n; i++) {
      int64_t p = param_index (i, np, inner, dim);
      float v = (float) (ovi_load_i64 (x->dtype, x->data, i) - zps[p]) * sc[p];
      ovi_store_f64 (y->dtype, y->data, i, v);
    }
  }
  return TRUE;
}

static gboolean
run_dynamic_quantize (OviOpCtx *ctx, GError **error)
{
  const OviTensor *x = ctx->inputs[0];
  OviTensor *y = ctx->outputs[0];
  OviTensor *ys = ovi_op_output (ctx, 1), *yzp = ovi_op_output (ctx, 2);
  const float *xf = x->data;
  int64_t n = ovi_tensor_numel (x);
  float mn = 0, mx = 0, scale;
  int64_t zp = 0;
  guint8 *yo = y->data;

  for (int64_t i = 0; i < n; i++) {
    if (xf[i] < mn)
      mn = xf[i];
    if (xf[i] > mx)
      mx = xf[i];
  }
  scale = (mx - mn) / 255.0f;
  if (scale != 0 && isfinite (scale))
    zp = requantize ((0 - mn) / scale, 0, 0, 255);
  for (int64_t i = 0; i < n; i++)
    yo[i] = scale != 0 && isfinite (scale)
        ? (guint8) requantize (xf[i] / scale, zp, 0, 255) : (guint8) zp;
  if (ys)
    ((float *) ys->data)[0] = scale;
  if (yzp)
    ((guint8 *) yzp->data)[0] = (guint8) zp;
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* MatMulInteger, QLinearMatMul */

typedef struct {
  int64_t m, k, n;
  int64_t batch;                    /* output batch count */
  int64_t *a_batch, *b_batch;       /* per output batch: input batch index */
  /* Operand dims (vectors made matrices) and batch dims. */
  int64_t da[OVI_MAX_RANK + 1], db[OVI_MAX_RANK + 1];
  int nb_a, nb_b, nb;
  int64_t out_dims[OVI_MAX_RANK];
} MatmulShape;

/* The product's geometry; a_batch and b_batch are left to
 * matmul_batches. */
static void
matmul_shape (const OviTensor *a, const OviTensor *b, MatmulShape *s)
{
  int ra = MAX (a->rank, 2), rb = MAX (b->rank, 2);
  int64_t *da = s->da, *db = s->db, *out_dims = s->out_dims;
  int nb_a = ra - 2, nb_b = rb - 2, nb;

  if (a->rank == 1) {
    da[0] = 1;
    da[1] = a->dims[0];
  } else {
    memcpy (da, a->dims, sizeof (int64_t) * a->rank);
  }
  if (b->rank == 1) {
    db[0] = b->dims[0];
    db[1] = 1;
  } else {
    memcpy (db, b->dims, sizeof (int64_t) * b->rank);
  }
  s->m = da[ra - 2];
  s->k = da[ra - 1];
  s->n = db[rb - 1];
  nb = MAX (nb_a, nb_b);
  s->batch = 1;
  for (int i = 0; i < nb; i++) {
    int ia = i - (nb - nb_a), ib = i - (nb - nb_b);
    int64_t ea = ia >= 0 ? da[ia] : 1, eb = ib >= 0 ? db[ib] : 1;
    out_dims[i] = MAX (ea, eb);
    if (ea == 0 || eb == 0)
      out_dims[i] = 0;
    s->batch *= out_dims[i];
  }
  s->nb_a = nb_a;
  s->nb_b = nb_b;
  s->nb = nb;
  s->a_batch = s->b_batch = NULL;
}

/* Fills a_batch and b_batch (batch entries each). */
static void
matmul_batches (MatmulShape *s)
{
  const int64_t *da = s->da, *db = s->db, *out_dims = s->out_dims;
  int nb_a = s->nb_a, nb_b = s->nb_b, nb = s->nb;
  for (int64_t o = 0; o < s->batch; o++) {
    int64_t rem = o, ia_lin = 0, ib_lin = 0, sa = 1, sb = 1;
    for (int i = nb - 1; i >= 0; i--) {
      int64_t idx = rem % out_dims[i];
      int ia = i - (nb - nb_a), ib = i - (nb - nb_b);
      rem /= out_dims[i];
      if (ia >= 0) {
        ia_lin += (da[ia] == 1 ? 0 : idx) * sa;
        sa *= da[ia];
      }
      if (ib >= 0) {
        ib_lin += (db[ib] == 1 ? 0 : idx) * sb;
        sb *= db[ib];
      }
    }
    s->a_batch[o] = ia_lin;
    s->b_batch[o] = ib_lin;
  }
}

/* Index of a per-tensor / per-row (a side) or per-column (b side)
 * parameter; `batch` is the operand's batch index and `i` the row or
 * column. */
static inline int64_t
mm_param (int64_t count, int64_t per, int64_t batch, int64_t i)
{
  if (count == 1)
    return 0;
  if (count == per)
    return i;
  return batch * per + i;
}

static gboolean
check_mm_param (OviOpCtx *ctx, const OviTensor *t, int64_t per,
    int64_t batches, const char *what, GError **error)
{
  int64_t c;
  if (t == NULL)
    return TRUE;
  c = ovi_tensor_numel (t);
  if (c == 1 || c == per || c == per * batches)
    return TRUE;
  ovi_op_error (ctx, error, OVI_ERROR_INVALID,
      "%s has %" G_GINT64_FORMAT " values, expected 1 or %" G_GINT64_FORMAT,
      what, c, per);
  return FALSE;
}

static int64_t
batch_count (const OviTensor *t)
{
  int64_t n = 1;
  for (int d = 0; d < t->rank - 2; d++)
    n *= t->dims[d];
  return n;
}

/* MatMulInteger and QLinearMatMul: the batch index tables, and per
 * thread B without its zero points and a row of accumulators. */
typedef struct {
  MatmulShape s;
  int64_t work;
  int slots;
  guint8 *brows, *accs;
  gsize brow_stride, acc_stride;
} MatmulLayout;

static void
matmul_layout (OviOpCtx *ctx, gboolean qlinear, OviScratch *sc,
    MatmulLayout *l)
{
  MatmulShape *s = &l->s;
  matmul_shape (ctx->inputs[0], ctx->inputs[qlinear ? 3 : 1], s);
  s->a_batch = ovi_scratch_take (sc, s->batch, sizeof (int64_t));
  s->b_batch = ovi_scratch_take (sc, s->batch, sizeof (int64_t));
  /* A multiply-add per step. */
  l->work = s->batch * s->m * s->n * s->k;
  l->slots = ovi_scratch_slots (ctx, l->work);
  l->brows = ovi_scratch_take_slots (sc, l->slots, s->k * s->n, sizeof (gint32),
      &l->brow_stride);
  l->accs = ovi_scratch_take_slots (sc, l->slots, s->n, sizeof (gint32),
      &l->acc_stride);
}

static gsize
scratch_matmul_integer (OviOpCtx *ctx)
{
  OviScratch sc;
  MatmulLayout l;
  ovi_scratch_begin (&sc, NULL);
  matmul_layout (ctx, FALSE, &sc, &l);
  return sc.used;
}

static gsize
scratch_qlinear_matmul (OviOpCtx *ctx)
{
  OviScratch sc;
  MatmulLayout l;
  ovi_scratch_begin (&sc, NULL);
  matmul_layout (ctx, TRUE, &sc, &l);
  return sc.used;
}

/* acc[m][n] = sum_k (a - azp[m]) * (b - bzp[n]), int32 wrapping. */
static gboolean
run_matmul_common (OviOpCtx *ctx, gboolean qlinear, GError **error)
{
  const OviTensor *a = ctx->inputs[0];
  const OviTensor *b = ctx->inputs[qlinear ? 3 : 1];
  const OviTensor *azp = ovi_op_input (ctx, qlinear ? 2 : 2);
  const OviTensor *bzp = ovi_op_input (ctx, qlinear ? 5 : 3);
  const OviTensor *as = qlinear ? ctx->inputs[1] : NULL;
  const OviTensor *bs = qlinear ? ctx->inputs[4] : NULL;
  OviTensor *y = ctx->outputs[0];
  MatmulShape s;
  int64_t a_batches = batch_count (a), b_batches = batch_count (b);
  int64_t lo = 0, hi = 0, yzp = 0;
  float ys = 1;
  gboolean par;
  OviScratch sc;
  MatmulLayout l;

  ovi_scratch_begin (&sc, ctx);
  matmul_layout (ctx, qlinear, &sc, &l);
  if (!ovi_scratch_check (ctx, &sc, error))
    return FALSE;
  matmul_batches (&l.s);
  s = l.s;
  if (!check_mm_param (ctx, azp, s.m, a_batches, "a_zero_point", error)
      || !check_mm_param (ctx, bzp, s.n, b_batches, "b_zero_point", error)
      || !check_mm_param (ctx, as, s.m, a_batches, "a_scale", error)
      || !check_mm_param (ctx, bs, s.n, b_batches, "b_scale", error))
    return FALSE;
  if (qlinear) {
    quant_range (y->dtype, &lo, &hi);
    ys = (float) ovi_load_f64 (ctx->inputs[6]->dtype, ctx->inputs[6]->data, 0);
    yzp = ovi_load_i64 (ctx->inputs[7]->dtype, ctx->inputs[7]->data, 0);
  }

  /* A multiply-add per step; each thread takes a contiguous range of rows
   * (as schedule(static) splits them); a thread beyond the slots of
   * scratch memory takes none. */
  par = ovi_parallel_worth (l.work);
  OVI_PARALLEL_REGION (par ? l.work : 0, tid, nth, {
    int nt = MIN (nth, l.slots);
    gint32 *brow = tid < nt ? (gint32 *) (l.brows + tid * l.brow_stride)
        : NULL;
    gint32 *acc = tid < nt ? (gint32 *) (l.accs + tid * l.acc_stride) : NULL;
    int64_t cached = -1, j0 = 0, j1 = 0;
    if (tid < nt)
      ovi_parallel_slice (s.batch * s.m, tid, nt, &j0, &j1);
    for (int64_t job = j0; job < j1; job++) {
      int64_t ob = job / s.m, m = job % s.m;
      int64_t ba = s.a_batch[ob], bb = s.b_batch[ob];
      int64_t a_off = (ba * s.m + m) * s.k;
      gint32 za = azp ? (gint32) ovi_load_i64 (azp->dtype, azp->data,
          mm_param (ovi_tensor_numel (azp), s.m, ba, m)) : 0;
      if (cached != bb) {
        /* B of this batch with its zero points removed, [k][n]. */
        for (int64_t kk = 0; kk < s.k; kk++)
          for (int64_t nn = 0; nn < s.n; nn++) {
            gint32 zb = bzp ? (gint32) ovi_load_i64 (bzp->dtype, bzp->data,
                mm_param (ovi_tensor_numel (bzp), s.n, bb, nn)) : 0;
            brow[kk * s.n + nn] = (gint32) ovi_load_i64 (b->dtype, b->data,
                (bb * s.k + kk) * s.n + nn) - zb;
          }
        cached = bb;
      }
      for (int64_t nn = 0; nn < s.n; nn++)
        acc[nn] = 0;
      for (int64_t kk = 0; kk < s.k; kk++) {
        guint32 av = (guint32) ((gint32) ovi_load_i64 (a->dtype, a->data,
                a_off + kk) - za);
        const gint32 *br = brow + kk * s.n;
        for (int64_t nn = 0; nn < s.n; nn++)
          acc[nn] = (gint32) ((guint32) acc[nn] + av * (guint32) br[nn]);
      }
      for (int64_t nn = 0; nn < s.n; nn++) {
        int64_t oi = (ob * s.m + m) * s.n + nn;
        if (!qlinear) {
          ((gint32 *) y->data)[oi] = acc[nn];
        } else {
          float sa = (float) ovi_load_f64 (as->dtype, as->data,
              mm_param (ovi_tensor_numel (as), s.m, ba, m));
          float sb = (float) ovi_load_f64 (bs->dtype, bs->data,
              mm_param (ovi_tensor_numel (bs), s.n, bb, nn));
          float mult = sa * sb / ys;
          ovi_store_i64 (y->dtype, y->data, oi,
              requantize ((float) acc[nn] * mult, yzp, lo, hi));
        }
      }
    }
  });
  return TRUE;
}

static gboolean
run_matmul_integer (OviOpCtx *ctx, GError **error)
{
  return run_matmul_common (ctx, FALSE, error);
}

static gboolean
run_qlinear_matmul (OviOpCtx *ctx, GError **error)
{
  return run_matmul_common (ctx, TRUE, error);
}

/* ------------------------------------------------------------------ */
/* ConvInteger, QLinearConv: im2col over blocks of output positions and
 * an int32 GEMM per group. */

typedef struct {
  int sp;
  int64_t group;
  int64_t pads[OVI_MAX_RANK];       /* begin pads */
  int64_t strides[OVI_MAX_RANK];
  int64_t dil[OVI_MAX_RANK];
} ConvGeom;

static void
conv_geom (OviOpCtx *ctx, const OviTensor *x, const OviTensor *w,
    const OviTensor *y, ConvGeom *g)
{
  const OviNode *node = ctx->node;
  const char *auto_pad = ovi_node_attr_string (node, "auto_pad", "NOTSET");
  const int64_t *pads = NULL, *strides = NULL, *dil = NULL;
  int n_pads = ovi_node_attr_ints (node, "pads", &pads);
  int n_strides = ovi_node_attr_ints (node, "strides", &strides);
  int n_dil = ovi_node_attr_ints (node, "dilations", &dil);

  g->sp = x->rank - 2;
  g->group = ovi_node_attr_int (node, "group", 1);
  for (int i = 0; i < g->sp; i++) {
    int64_t in = x->dims[2 + i], out = y->dims[2 + i];
    int64_t ek;
    g->strides[i] = n_strides >= 0 ? strides[i] : 1;
    g->dil[i] = n_dil >= 0 ? dil[i] : 1;
    ek = (w->dims[2 + i] - 1) * g->dil[i] + 1;
    if (strcmp (auto_pad, "SAME_UPPER") == 0
        || strcmp (auto_pad, "SAME_LOWER") == 0) {
      int64_t total = MAX (0, (out - 1) * g->strides[i] + ek - in);
      g->pads[i] = strcmp (auto_pad, "SAME_UPPER") == 0 ? total / 2
          : total - total / 2;
    } else if (strcmp (auto_pad, "NOTSET") == 0 && n_pads >= 0) {
      g->pads[i] = pads[i];
    } else {
      g->pads[i] = 0;
    }
  }
}

#define CONV_BLOCK 1024

/* ConvInteger and QLinearConv: the weights without their zero points,
 * the requantization factors, and per thread an im2col block and its
 * accumulators. */
typedef struct {
  int64_t ck, work;
  int slots;
  gint32 *wq;
  float *mult;
  guint8 *cols, *accs;
  gsize col_stride, acc_stride;
} ConvLayout;

static void
conv_layout (OviOpCtx *ctx, gboolean qlinear, OviScratch *sc, ConvLayout *l)
{
  const OviTensor *x = ctx->inputs[0];
  const OviTensor *w = ctx->inputs[qlinear ? 3 : 1];
  const OviTensor *y = ctx->outputs[0];
  int64_t group = ovi_node_attr_int (ctx->node, "group", 1);
  int64_t m = w->dims[0], ksize = 1, out_sp = 1;

  for (int i = 0; i < x->rank - 2; i++) {
    ksize *= w->dims[2 + i];
    out_sp *= y->dims[2 + i];
  }
  l->ck = x->dims[1] / group * ksize;
  l->wq = ovi_scratch_take (sc, m * l->ck, sizeof (gint32));
  l->mult = qlinear ? ovi_scratch_take (sc, m, sizeof (float)) : NULL;
  /* A multiply-add per step. */
  l->work = x->dims[0] * m * out_sp * l->ck;
  l->slots = ovi_scratch_slots (ctx, l->work);
  l->cols = ovi_scratch_take_slots (sc, l->slots, l->ck * CONV_BLOCK,
      sizeof (gint32), &l->col_stride);
  l->accs = ovi_scratch_take_slots (sc, l->slots, CONV_BLOCK, sizeof (gint32),
      &l->acc_stride);
}

static gsize
scratch_conv_integer (OviOpCtx *ctx)
{
  OviScratch sc;
  ConvLayout l;
  ovi_scratch_begin (&sc, NULL);
  conv_layout (ctx, FALSE, &sc, &l);
  return sc.used;
}

static gsize
scratch_qlinear_conv (OviOpCtx *ctx)
{
  OviScratch sc;
  ConvLayout l;
  ovi_scratch_begin (&sc, NULL);
  conv_layout (ctx, TRUE, &sc, &l);
  return sc.used;
}

static gboolean
run_conv_common (OviOpCtx *ctx, gboolean qlinear, GError **error)
{
  const OviTensor *x = ctx->inputs[0];
  const OviTensor *w = ctx->inputs[qlinear ? 3 : 1];
  const OviTensor *xzp_t = ovi_op_input (ctx, qlinear ? 2 : 2);
  const OviTensor *wzp_t = ovi_op_input (ctx, qlinear ? 5 : 3);
  const OviTensor *bias = qlinear ? ovi_op_input (ctx, 8) : NULL;
  OviTensor *y = ctx->outputs[0];
  ConvGeom g;
  int64_t n = x->dims[0], c = x->dims[1], m = w->dims[0];
  int64_t cg, mg, ksize = 1, in_sp = 1, out_sp = 1, ck;
  int64_t lo = 0, hi = 0, yzp = 0, n_wzp, n_ws = 1;
  gint32 xzp;
  gint32 *wq;
  float *mult;
  const int64_t block = CONV_BLOCK;
  int64_t njobs, next = 0;
  OviScratch sc;
  ConvLayout l;

  ovi_scratch_begin (&sc, ctx);
  conv_layout (ctx, qlinear, &sc, &l);
  if (!ovi_scratch_check (ctx, &sc, error))
    return FALSE;
  wq = l.wq;
  mult = l.mult;
  conv_geom (ctx, x, w, y, &g);
  cg = c / g.group;
  mg = m / g.group;
  for (int i = 0; i < g.sp; i++) {
    ksize *= w->dims[2 + i];
    in_sp *= x->dims[2 + i];
    out_sp *= y->dims[2 + i];
  }
  ck = cg * ksize;
  xzp = xzp_t ? (gint32) ovi_load_i64 (xzp_t->dtype, xzp_t->data, 0) : 0;
  n_wzp = wzp_t ? ovi_tensor_numel (wzp_t) : 0;

  /* Weights with their zero points removed, [M][C/group * K]. */
  for (int64_t oc = 0; oc < m; oc++) {
    gint32 z = n_wzp ? (gint32) ovi_load_i64 (wzp_t->dtype, wzp_t->data,
        n_wzp == 1 ? 0 : oc) : 0;
    for (int64_t q = 0; q < ck; q++)
      wq[oc * ck + q] = (gint32) ovi_load_i64 (w->dtype, w->data,
          oc * ck + q) - z;
  }
  if (qlinear) {
    const OviTensor *ws = ctx->inputs[4];
    float xs = (float) ovi_load_f64 (ctx->inputs[1]->dtype,
        ctx->inputs[1]->data, 0);
    float ys = (float) ovi_load_f64 (ctx->inputs[6]->dtype,
        ctx->inputs[6]->data, 0);
    n_ws = ovi_tensor_numel (ws);
    for (int64_t oc = 0; oc < m; oc++)
      mult[oc] = xs * (float) ovi_load_f64 (ws->dtype, ws->data,
          n_ws == 1 ? 0 : oc) / ys;
    quant_range (y->dtype, &lo, &hi);
    yzp = ovi_load_i64 (ctx->inputs[7]->dtype, ctx->inputs[7]->data, 0);
  }

  /* A multiply-add per step. The (image, job) pairs go to the threads one
   * at a time, as they become free (as schedule(dynamic) does); a thread
   * beyond the slots of scratch memory takes none. */
  njobs = g.group * ((out_sp + block - 1) / block);
  OVI_PARALLEL_REGION (l.work, tid, nth, {
    gboolean has_slot = tid < l.slots;
    gint32 *col = has_slot ? (gint32 *) (l.cols + tid * l.col_stride) : NULL;
    gint32 *acc = has_slot ? (gint32 *) (l.accs + tid * l.acc_stride) : NULL;
    while (has_slot) {
      int64_t it = __atomic_fetch_add (&next, 1, __ATOMIC_RELAXED);
      int64_t b = it / MAX (njobs, 1), job = it % MAX (njobs, 1);
      int64_t gi = job % g.group, p0 = job / g.group * block;
      int64_t np = MIN (block, out_sp - p0);
      if (it >= n * njobs)
        break;
      /* im2col: col[ci * K + k][p] = x - xzp, 0 in the padding. */
      for (int64_t ci = 0; ci < cg; ci++) {
        int64_t plane = (b * c + gi * cg + ci) * in_sp;
        for (int64_t k = 0; k < ksize; k++) {
          gint32 *dst = col + (ci * ksize + k) * block;
          for (int64_t p = 0; p < np; p++) {
            int64_t rem_p = p0 + p, rem_k = k, off = 0;
            gboolean inside = TRUE;
            for (int i = g.sp - 1; i >= 0; i--) {
              int64_t od = y->dims[2 + i], kd = w->dims[2 + i];
              int64_t o = rem_p % od, kk = rem_k % kd;
              int64_t pos = o * g.strides[i] - g.pads[i] + kk * g.dil[i];
              int64_t stride = 1;
              rem_p /= od;
              rem_k /= kd;
              if (pos < 0 || pos >= x->dims[2 + i]) {
                inside = FALSE;
                break;
              }
              for (int j = i + 1; j < g.sp; j++)
                stride *= x->dims[2 + j];
              off += pos * stride;
            }
            dst[p] = inside ? (gint32) ovi_load_i64 (x->dtype, x->data,
                plane + off) - xzp : 0;
          }
        }
      }
      for (int64_t mo = 0; mo < mg; mo++) {
        int64_t oc = gi * mg + mo;
        const gint32 *wr = wq + oc * ck;
        for (int64_t p = 0; p < np; p++)
          acc[p] = 0;
        for (int64_t q = 0; q < ck; q++) {
          guint32 wv = (guint32) wr[q];
          const gint32 *cr = col + q * block;
          if (wv == 0)
            continue;
          for (int64_t p = 0; p < np; p++)
            acc[p] = (gint32) ((guint32) acc[p] + wv * (guint32) cr[p]);
        }
        for (int64_t p = 0; p < np; p++) {
          int64_t oi = (b * m + oc) * out_sp + p0 + p;
          if (!qlinear) {
            ((gint32 *) y->data)[oi] = acc[p];
          } else {
            gint32 v = acc[p];
            if (bias)
              v = (gint32) ((guint32) v + (guint32) ((const gint32 *)
                      bias->data)[oc]);
            ovi_store_i64 (y->dtype, y->data, oi,
                requantize ((float) v * mult[oc], yzp, lo, hi));
          }
        }
      }
    }
  });
  return TRUE;
}

static gboolean
run_conv_integer (OviOpCtx *ctx, GError **error)
{
  return run_conv_common (ctx, FALSE, error);
}

static gboolean
run_qlinear_conv (OviOpCtx *ctx, GError **error)
{
  return run_conv_common (ctx, TRUE, error);
}

const OviCpuKernel ovi_cpu_quant[] = {
  { "QuantizeLinear", run_quantize, .scratch = scratch_quant },
  { "DequantizeLinear", run_dequantize, .scratch = scratch_quant },
  { "DynamicQuantizeLinear", run_dynamic_quantize },
  { "MatMulInteger", run_matmul_integer,
    .scratch = scratch_matmul_integer },
  { "QLinearMatMul", run_qlinear_matmul,
    .scratch = scratch_qlinear_matmul },
  { "ConvInteger", run_conv_integer, .scratch = scratch_conv_integer },
  { "QLinearConv", run_qlinear_conv, .scratch = scratch_qlinear_conv },
  { NULL }
};
