/* CPU kernels for the norm op group.
 *
 * Statistics (means, variances, softmax sums) accumulate in double;
 * float32 tensors are read and written natively with contiguous inner
 * loops, parallel over planes, rows or row blocks. Other float types go
 * through double. */
#include <math.h>
#include <string.h>

#include "cpu-ops.h"
#include "cpu-parallel.h"
#include "cpu-scratch.h"
#include "cpu-vector.h"

/* Independent lanes of the reductions below (the reordering a SIMD
 * reduction makes); gcc vectorizes them. */
#define LANES 8
/* Rough cost, in elementary steps, of one exp or pow. */
#define EXP_COST 10
#define POW_COST 20

/* Four floats, and the lane masks their comparisons give (GCC vector
 * extensions: SSE registers on x86-64). */
static void
load_f64 (const OviTensor *t, double *buf)
{
  int64_t n = ovi_tensor_numel (t);
  for (int64_t i = 0; i < n; i++)
    buf[i] = ovi_load_f64 (t->dtype, t->data, i);
}

/* A double buffer for every element of t. */
static double *
take_f64 (OviScratch *s, const OviTensor *t)
{
  return ovi_scratch_take (s, ovi_tensor_numel (t), sizeof (double));
}

static void
store_f64 (OviTensor *t, const double *buf)
{
  int64_t n = ovi_tensor_numel (t);
  for (int64_t i = 0; i < n; i++)
    ovi_store_f64 (t->dtype, t->data, i, buf[i]);
}

/* Mean and population variance of n contiguous values, two passes. */
static void
moments_f32 (const float *v, int64_t n, double *mean, double *var)
{
  double ls[LANES] = { 0 }, lq[LANES] = { 0 }, s = 0, q = 0, m;
  int64_t i;
  for (i = 0; i + LANES <= n; i += LANES)
    for (int l = 0; l < LANES; l++)
      ls[l] += v[i + l];
  for (; i < n; i++)
    s += v[i];
  for (int l = 0; l < LANES; l++)
    s += ls[l];
  m = n > 0 ? s / n : 0;
  for (i = 0; i + LANES <= n; i += LANES)
    for (int l = 0; l < LANES; l++) {
      double d = v[i + l] - m;
      lq[l] += d * d;
    }
  for (; i < n; i++) {
    double d = v[i] - m;
    q += d * d;
  }
  for (int l = 0; l < LANES; l++)
    q += lq[l];
  *mean = m;
  *var = n > 0 ? q / n : 0;
}

static void
moments_f64 (const double *v, int64_t n, double *mean, double *var)
{
  double s = 0, q = 0, m;
  for (int64_t i = 0; i < n; i++)
    s += v[i];
  m = n > 0 ? s / n : 0;
  for (int64_t i = 0; i < n; i++) {
    double d = v[i] - m;
    q += d * d;
  }
  *mean = m;
  *var = n > 0 ? q / n : 0;
}

/* y[plane][i] = x[plane][i] * a[plane % channels] + b[...]: the affine
 * step shared by the per-channel normalizations. */
static void
affine_planes (const OviTensor *x, OviTensor *y, int64_t planes,
    int64_t channels, int64_t inner, const double *a, const double *b)
{
  if (x->dtype == OVI_DTYPE_FLOAT32) {
    const float *xd = x->data;
    float *yd = y->data;
    OVI_PARALLEL_FOR (planes * inner, for (int64_t p = 0; p < planes; p++), {
      const float *xs = xd + p * inner;
      float *ys = yd + p * inner;
      float av = (float) a[p % channels], bv = (float) b[p % channels];
      for (int64_t i = 0; i < inner; i++)
        ys[i] = xs[i] * av + bv;
    });
  } else {
    for (int64_t p = 0; p < planes; p++)
      for (int64_t i = 0; i < inner; i++) {
        int64_t k = p * inner + i;
        ovi_store_f64 (y->dtype, y->data, k,
            ovi_load_f64 (x->dtype, x->data, k) * a[p % channels]
            + b[p % channels]);
      }
  }
}

static void
copy_or_store (OviTensor *t, const double *v)
{
  if (t != NULL)
    store_f64 (t, v);
}

/* BatchNormalization's buffers: its parameters in double, the batch
 * statistics when training, and the per-channel affine factors. */
typedef struct {
  gboolean training;
  int64_t channels, inner;
  double *scale, *bias, *mean, *var;
  double *bm, *bv, *rm, *rv, *buf;
  double *a, *b;
} BatchNormLayout;

static void
batch_norm_layout (OviOpCtx *ctx, OviScratch *sc, BatchNormLayout *l)
{
  const OviNode *node = ctx->node;
  OviTensor *x = ctx->inputs[0];
  int64_t n = x->dims[0], c = x->dims[1];
  int64_t s = n * c > 0 ? ovi_tensor_numel (x) / (n * c) : 0;
  gboolean spatial = ctx->opset >= 9
      || ovi_node_attr_int (node, "spatial", 1) != 0;

  if (ctx->opset >= 14) {
    l->training = ovi_node_attr_int (node, "training_mode", 0) != 0;
  } else {
    gboolean any = FALSE;
    for (int i = 1; i < ctx->n_outputs; i++)
      any |= ctx->outputs[i] != NULL;
    l->training = any && ovi_node_attr_int (node, "is_test", 0) == 0;
  }
  /* Per-element parameters: each element of a sample is a channel. */
  l->channels = c;
  l->inner = s;
  if (!spatial && ovi_tensor_numel (ctx->inputs[1]) != c) {
    l->channels = c * s;
    l->inner = 1;
  }
  l->scale = take_f64 (sc, ctx->inputs[1]);
  l->bias = take_f64 (sc, ctx->inputs[2]);
  /* Training copies c batch statistics over mean and var. */
  l->mean = ovi_scratch_take (sc, MAX (ovi_tensor_numel (ctx->inputs[3]),
          l->training ? c : 0), sizeof (double));
  l->var = ovi_scratch_take (sc, MAX (ovi_tensor_numel (ctx->inputs[4]),
          l->training ? c : 0), sizeof (double));
  l->bm = l->bv = l->rm = l->rv = l->buf = NULL;
  if (l->training) {
    l->bm = ovi_scratch_take (sc, c, sizeof (double));
    l->bv = ovi_scratch_take (sc, c, sizeof (double));
    l->rm = ovi_scratch_take (sc, c, sizeof (double));
    l->rv = ovi_scratch_take (sc, c, sizeof (double));
    if (x->dtype != OVI_DTYPE_FLOAT32)
      l->buf = take_f64 (sc, x);
  }
  l->a = ovi_scratch_take (sc, l->channels, sizeof (double));
  l->b = ovi_scratch_take (sc, l->channels, sizeof (double));
}

static gsize
scratch_batch_norm (OviOpCtx *ctx)
{
  OviScratch sc;
  BatchNormLayout l;
  ovi_scratch_begin (&sc, NULL);
  batch_norm_layout (ctx, &sc, &l);
  return sc.used;
}

static gboolean
run_batch_norm (OviOpCtx *ctx, GError **error)
{
  const OviNode *node = ctx->node;
  OviTensor *x = ctx->inputs[0], *y = ctx->outputs[0];
  double eps = ovi_node_attr_float (node, "epsilon", 1e-5f);
  double momentum = ovi_node_attr_float (node, "momentum", 0.9f);
  int64_t n = x->dims[0], c = x->dims[1];
  int64_t total = ovi_tensor_numel (x);
  int64_t s = n * c > 0 ? total / (n * c) : 0;
  int64_t channels, inner;
  gboolean training;
  double *scale, *bias, *mean, *var, *a, *b;
  OviScratch sc;
  BatchNormLayout l;

  ovi_scratch_begin (&sc, ctx);
  batch_norm_layout (ctx, &sc, &l);
  if (!ovi_scratch_check (ctx, &sc, error))
    return FALSE;
  training = l.training;
  channels = l.channels;
  inner = l.inner;
  scale = l.scale;
  bias = l.bias;
  mean = l.mean;
  var = l.var;
  a = l.a;
  b = l.b;
  load_f64 (ctx->inputs[1], scale);
  load_f64 (ctx->inputs[2], bias);
  load_f64 (ctx->inputs[3], mean);
  load_f64 (ctx->inputs[4], var);

  if (training) {
    double *bm = l.bm, *bv = l.bv, *rm = l.rm, *rv = l.rv, *buf = l.buf;
    int64_t count = n * s;
    if (buf)
      load_f64 (x, buf);
    for (int64_t ch = 0; ch < c; ch++) {
      double sum = 0, sq = 0;
      for (int64_t i = 0; i < n; i++) {
        int64_t off = (i * c + ch) * s;
        for (int64_t k = 0; k < s; k++)
          sum += buf ? buf[off + k] : ((const float *) x->data)[off + k];
      }
      bm[ch] = count > 0 ? sum / count : 0;
      for (int64_t i = 0; i < n; i++) {
        int64_t off = (i * c + ch) * s;
        for (int64_t k = 0; k < s; k++) {
          double d = (buf ? buf[off + k] : ((const float *) x->data)[off + k])
              - bm[ch];
          sq += d * d;
        }
      }
      bv[ch] = count > 0 ? sq / count : 0;
      rm[ch] = mean[ch] * momentum + bm[ch] * (1 - momentum);
      rv[ch] = var[ch] * momentum + bv[ch] * (1 - momentum);
    }
    copy_or_store (ovi_op_output (ctx, 1), rm);
    copy_or_store (ovi_op_output (ctx, 2), rv);
    copy_or_store (ovi_op_output (ctx, 3), bm);
    copy_or_store (ovi_op_output (ctx, 4), bv);
    memcpy (mean, bm, sizeof (double) * c);
    memcpy (var, bv, sizeof (double) * c);
  } else {
    copy_or_store (ovi_op_output (ctx, 1), mean);
    copy_or_store (ovi_op_output (ctx, 2), var);
    copy_or_store (ovi_op_output (ctx, 3), mean);
    copy_or_store (ovi_op_output (ctx, 4), var);
  }

  for (int64_t ch = 0; ch < channels; ch++) {
    a[ch] = scale[ch] / sqrt (var[ch] + eps);
    b[ch] = bias[ch] - mean[ch] * a[ch];
  }
  affine_planes (x, y, n * channels, channels, inner, a, b);
  return TRUE;
}

/* Normalizes `groups` contiguous blocks of `size` elements; block g
 * covers `per` parameter slots starting at slot (g % param_groups) *
 * per, each slot `size / per` elements long. Instance norm is per = 1
 * with one group per (n, c) plane. */
static void
normalize_blocks (const OviTensor *x, OviTensor *y, int64_t groups,
    int64_t size, int64_t per, int64_t param_groups, const double *scale,
    const double *bias, double eps, double *buf)
{
  int64_t slot = per > 0 ? size / per : 0;
  if (x->dtype == OVI_DTYPE_FLOAT32) {
    const float *xd = x->data;
    float *yd = y->data;
    /* Two passes of statistics and one of output per element. */
    OVI_PARALLEL_FOR (groups * size * 3,
        for (int64_t g = 0; g < groups; g++), {
      const float *xs = xd + g * size;
      float *ys = yd + g * size;
      double mean, var, inv;
      moments_f32 (xs, size, &mean, &var);
      inv = 1.0 / sqrt (var + eps);
      for (int64_t p = 0; p < per; p++) {
        int64_t k = (g % param_groups) * per + p;
        float a = (float) (scale[k] * inv);
        float b = (float) (bias[k] - mean * scale[k] * inv);
        const float *xp = xs + p * slot;
        float *yp = ys + p * slot;
        for (int64_t i = 0; i < slot; i++)
          yp[i] = xp[i] * a + b;
      }
    });
  } else {
    load_f64 (x, buf);
    for (int64_t g = 0; g < groups; g++) {
      double *v = buf + g * size, mean, var, inv;
      moments_f64 (v, size, &mean, &var);
      inv = 1.0 / sqrt (var + eps);
      for (int64_t p = 0; p < per; p++) {
        int64_t k = (g % param_groups) * per + p;
        for (int64_t i = 0; i < slot; i++)
          v[p * slot + i] = (v[p * slot + i] - mean) * inv * scale[k]
              + bias[k];
      }
    }
    store_f64 (y, buf);
  }
}

/* InstanceNormalization and GroupNormalization: scale and bias in
 * double, and the input in double unless it is float32. */
typedef struct {
  double *scale, *bias, *buf;
} BlockNormLayout;

static void
block_norm_layout (OviOpCtx *ctx, OviScratch *sc, BlockNormLayout *l)
{
  const OviTensor *x = ctx->inputs[0];
  l->scale = take_f64 (sc, ctx->inputs[1]);
  l->bias = take_f64 (sc, ctx->inputs[2]);
  l->buf = x->dtype == OVI_DTYPE_FLOAT32 ? NULL : take_f64 (sc, x);
}

static gsize
scratch_block_norm (OviOpCtx *ctx)
{
  OviScratch sc;
  BlockNormLayout l;
  ovi_scratch_begin (&sc, NULL);
  block_norm_layout (ctx, &sc, &l);
  return sc.used;
}

static gboolean
block_norm_begin (OviOpCtx *ctx, BlockNormLayout *l, GError **error)
{
  OviScratch sc;
  ovi_scratch_begin (&sc, ctx);
  block_norm_layout (ctx, &sc, l);
  if (!ovi_scratch_check (ctx, &sc, error))
    return FALSE;
  load_f64 (ctx->inputs[1], l->scale);
  load_f64 (ctx->inputs[2], l->bias);
  return TRUE;
}

static gboolean
run_instance_norm (OviOpCtx *ctx, GError **error)
{
  OviTensor *x = ctx->inputs[0], *y = ctx->outputs[0];
  int64_t planes = x->dims[0] * x->dims[1];
  int64_t size = planes > 0 ? ovi_tensor_numel (x) / planes : 0;
  BlockNormLayout l;

  if (!block_norm_begin (ctx, &l, error))
    return FALSE;
  normalize_blocks (x, y, planes, size, 1, x->dims[1], l.scale, l.bias,
      ovi_node_attr_float (ctx->node, "epsilon", 1e-5f), l.buf);
  return TRUE;
}

static gboolean
run_group_norm (OviOpCtx *ctx, GError **error)
{
  OviTensor *x = ctx->inputs[0], *y = ctx->outputs[0];
  int64_t c = x->dims[1];
  int64_t groups = ovi_node_attr_int (ctx->node, "num_groups", 1);
  int64_t blocks = x->dims[0] * groups;
  int64_t size = blocks > 0 ? ovi_tensor_numel (x) / blocks : 0;
  double eps = ovi_node_attr_float (ctx->node, "epsilon", 1e-5f);
  BlockNormLayout l;

  if (!block_norm_begin (ctx, &l, error))
    return FALSE;
  if (ovi_tensor_numel (ctx->inputs[1]) == c && groups != c) {
    /* One scale per channel: each group spans c / groups slots. */
    normalize_blocks (x, y, blocks, size, c / groups, groups, l.scale,
        l.bias, eps, l.buf);
  } else {
    normalize_blocks (x, y, blocks, size, 1, groups, l.scale, l.bias, eps,
        l.buf);
  }
  return TRUE;
}

/* Expands a tensor broadcast to the trailing `rank` dims into `count`
 * doubles (count = their product). NULL input gives `def`. */
static void
expand_trailing (const OviTensor *t, int rank, const int64_t *dims,
    int64_t count, double def, double *out)
{
  int64_t tstride[OVI_MAX_RANK];
  if (t == NULL) {
    for (int64_t i = 0; i < count; i++)
      out[i] = def;
    return;
  }
  /* Stride of t along each of the trailing dims, 0 where broadcast. */
  {
    int64_t st = 1;
    for (int i = rank - 1; i >= 0; i--) {
      int ti = t->rank - (rank - i);
      if (ti >= 0 && t->dims[ti] != 1) {
        tstride[i] = st;
        st *= t->dims[ti];
      } else {
        tstride[i] = 0;
      }
    }
  }
  for (int64_t i = 0; i < count; i++) {
    int64_t rest = i, src = 0;
    for (int a = rank - 1; a >= 0; a--) {
      src += (rest % dims[a]) * tstride[a];
      rest /= dims[a];
    }
    out[i] = ovi_load_f64 (t->dtype, t->data, src);
  }
}

/* LayerNormalization over rows x cols: scale and bias expanded to cols
 * doubles, each row's mean and inverse deviation, float32 copies of
 * scale and bias or the input in double. */
typedef struct {
  int axis;
  int64_t rows, cols;
  double *scale, *bias, *means, *invs, *buf;
  float *sf, *bf;
} LayerNormLayout;

static void
layer_norm_layout (OviOpCtx *ctx, OviScratch *sc, LayerNormLayout *l)
{
  const OviTensor *x = ctx->inputs[0];
  int axis = 0;

  ovi_op_axis (ovi_node_attr_int (ctx->node, "axis", -1), x->rank, &axis);
  l->axis = axis;
  l->rows = l->cols = 1;
  for (int i = 0; i < x->rank; i++) {
    if (i < axis)
      l->rows *= x->dims[i];
    else
      l->cols *= x->dims[i];
  }
  l->scale = l->bias = l->means = l->invs = l->buf = NULL;
  l->sf = l->bf = NULL;
  /* Nothing to write; with cols = 0 the statistics still are. */
  if (l->rows == 0)
    return;
  l->scale = ovi_scratch_take (sc, l->cols, sizeof (double));
  l->bias = ovi_scratch_take (sc, l->cols, sizeof (double));
  l->means = ovi_scratch_take (sc, l->rows, sizeof (double));
  l->invs = ovi_scratch_take (sc, l->rows, sizeof (double));
  if (x->dtype == OVI_DTYPE_FLOAT32) {
    l->sf = ovi_scratch_take (sc, l->cols, sizeof (float));
    l->bf = ovi_scratch_take (sc, l->cols, sizeof (float));
  } else {
    l->buf = take_f64 (sc, x);
  }
}

static gsize
scratch_layer_norm (OviOpCtx *ctx)
{
  OviScratch sc;
  LayerNormLayout l;
  ovi_scratch_begin (&sc, NULL);
  layer_norm_layout (ctx, &sc, &l);
  return sc.used;
}

static gboolean
run_layer_norm (OviOpCtx *ctx, GError **error)
{
  OviTensor *x = ctx->inputs[0], *y = ctx->outputs[0];
  OviTensor *mean_out = ovi_op_output (ctx, 1);
  OviTensor *inv_out = ovi_op_output (ctx, 2);
  double eps = ovi_node_attr_float (ctx->node, "epsilon", 1e-5f);
  int axis;
  int64_t rows, cols;
  double *scale, *bias, *means, *invs;
  OviScratch sc;
  LayerNormLayout l;

  ovi_scratch_begin (&sc, ctx);
  layer_norm_layout (ctx, &sc, &l);
  axis = l.axis;
  rows = l.rows;
  cols = l.cols;
  /* Nothing to write; with cols = 0 the statistics still are. */
  if (rows == 0)
    return TRUE;
  if (!ovi_scratch_check (ctx, &sc, error))
    return FALSE;
  scale = l.scale;
  bias = l.bias;
  means = l.means;
  invs = l.invs;
  expand_trailing (ctx->inputs[1], x->rank - axis, x->dims + axis, cols, 1,
      scale);
  expand_trailing (ovi_op_input (ctx, 2), x->rank - axis, x->dims + axis,
      cols, 0, bias);

  if (x->dtype == OVI_DTYPE_FLOAT32) {
    const float *xd = x->data;
    float *yd = y->data;
    float *sf = l.sf, *bf = l.bf;
    for (int64_t j = 0; j < cols; j++) {
      sf[j] = (float) scale[j];
      bf[j] = (float) bias[j];
    }
    /* Two passes of statistics and one of output per element. */
    OVI_PARALLEL_FOR (rows * cols * 3, for (int64_t r = 0; r < rows; r++), {
      const float *xs = xd + r * cols;
      float *ys = yd + r * cols;
      double mean, var;
      float m, inv;
      moments_f32 (xs, cols, &mean, &var);
      means[r] = mean;
      invs[r] = 1.0 / sqrt (var + eps);
      m = (float) mean;
      inv = (float) invs[r];
      for (int64_t j = 0; j < cols; j++)
        ys[j] = (xs[j] - m) * inv * sf[j] + bf[j];
    });
  } else {
    double *buf = l.buf;
    load_f64 (x, buf);
    for (int64_t r = 0; r < rows; r++) {
      double *v = buf + r * cols, var;
      moments_f64 (v, cols, &means[r], &var);
      invs[r] = 1.0 / sqrt (var + eps);
      for (int64_t j = 0; j < cols; j++)
        v[j] = (v[j] - means[r]) * invs[r] * scale[j] + bias[j];
    }
    store_f64 (y, buf);
  }
  copy_or_store (mean_out, means);
  copy_or_store (inv_out, invs);
  return TRUE;
}

/* LRN across channels: y = x / (bias + alpha / size * sum x^2) ^ beta,
 * the sum over channels c - floor((size-1)/2) .. c + ceil((size-1)/2). */
#define LRN_BLOCK 256

/* Other types than float32 go through double: input and output. */
static void
lrn_layout (OviOpCtx *ctx, OviScratch *sc, double **buf, double **out)
{
  const OviTensor *x = ctx->inputs[0];
  *buf = *out = NULL;
  if (x->dtype == OVI_DTYPE_FLOAT32)
    return;
  *buf = take_f64 (sc, x);
  *out = take_f64 (sc, x);
}

static gsize
scratch_lrn (OviOpCtx *ctx)
{
  OviScratch sc;
  double *buf, *out;
  ovi_scratch_begin (&sc, NULL);
  lrn_layout (ctx, &sc, &buf, &out);
  return sc.used;
}

static gboolean
run_lrn (OviOpCtx *ctx, GError **error)
{
  const OviNode *node = ctx->node;
  OviTensor *x = ctx->inputs[0], *y = ctx->outputs[0];
  int64_t size = ovi_node_attr_int (node, "size", 1);
  double alpha = ovi_node_attr_float (node, "alpha", 1e-4f);
  double beta = ovi_node_attr_float (node, "beta", 0.75f);
  double bias = ovi_node_attr_float (node, "bias", 1.0f);
  int64_t n = x->dims[0], c = x->dims[1];
  int64_t s = n * c > 0 ? ovi_tensor_numel (x) / (n * c) : 0;
  int64_t before = (size - 1) / 2, after = size / 2;
  int64_t blocks = (s + LRN_BLOCK - 1) / LRN_BLOCK;
  int64_t items = n * c * blocks;
  double *buf = NULL, *out = NULL;
  const float *xf = x->data;
  float *yf = y->data;

  if (x->dtype != OVI_DTYPE_FLOAT32) {
    OviScratch sc;
    ovi_scratch_begin (&sc, ctx);
    lrn_layout (ctx, &sc, &buf, &out);
    if (!ovi_scratch_check (ctx, &sc, error))
      return FALSE;
    load_f64 (x, buf);
  }

  /* Per element: a square per channel of the window, and a pow. */
  OVI_PARALLEL_FOR (n * c * s * (CLAMP (size, 1, 64) + POW_COST),
      for (int64_t it = 0; it < items; it++), {
    int64_t blk = it % blocks, ch = (it / blocks) % c, b = it / (blocks * c);
    int64_t i0 = blk * LRN_BLOCK, w = MIN (LRN_BLOCK, s - i0);
    int64_t lo = MAX (ch - before, 0), hi = MIN (ch + after, c - 1);
    int64_t off = (b * c + ch) * s + i0;
    double acc[LRN_BLOCK];
    for (int64_t i = 0; i < w; i++)
      acc[i] = 0;
    for (int64_t k = lo; k <= hi; k++) {
      int64_t ko = (b * c + k) * s + i0;
      if (buf) {
        for (int64_t i = 0; i < w; i++)
          acc[i] += buf[ko + i] * buf[ko + i];
      } else {
        for (int64_t i = 0; i < w; i++)
          acc[i] += (double) xf[ko + i] * xf[ko + i];
      }
    }
    if (buf) {
      for (int64_t i = 0; i < w; i++)
        out[off + i] = buf[off + i] / pow (bias + alpha / size * acc[i],
            beta);
    } else {
      for (int64_t i = 0; i < w; i++)
        yf[off + i] = xf[off + i] / powf ((float) (bias + alpha / size
                * acc[i]), (float) beta);
    }
  });
  if (buf)
    store_f64 (y, out);
  return TRUE;
}

/* MeanVarianceNormalization: the input in double, and the sums of each
 * kept position (kstride: its stride along each axis, 0 if reduced). */
typedef struct {
  int64_t kstride[OVI_MAX_RANK], kept;
  double *buf, *sum, *sq;
} MvnLayout;

static void
mvn_layout (OviOpCtx *ctx, OviScratch *sc, MvnLayout *l)
{
  const OviTensor *x = ctx->inputs[0];
  static const int64_t default_axes[] = { 0, 2, 3 };
  const int64_t *axes;
  int n_axes = ovi_node_attr_ints (ctx->node, "axes", &axes);
  int rank = x->rank;
  gboolean reduced[OVI_MAX_RANK] = { FALSE };

  if (n_axes < 0) {
    axes = default_axes;
    n_axes = 3;
  }
  for (int i = 0; i < n_axes; i++) {
    int a;
    if (ovi_op_axis (axes[i], rank, &a))
      reduced[a] = TRUE;
  }
  l->kept = 1;
  for (int a = rank - 1; a >= 0; a--) {
    l->kstride[a] = reduced[a] ? 0 : l->kept;
    if (!reduced[a])
      l->kept *= x->dims[a];
  }
  l->buf = take_f64 (sc, x);
  l->sum = ovi_scratch_take (sc, l->kept, sizeof (double));
  l->sq = ovi_scratch_take (sc, l->kept, sizeof (double));
}

static gsize
scratch_mvn (OviOpCtx *ctx)
{
  OviScratch sc;
  MvnLayout l;
  if (ovi_tensor_numel (ctx->inputs[0]) == 0)
    return 0;
  ovi_scratch_begin (&sc, NULL);
  mvn_layout (ctx, &sc, &l);
  return sc.used;
}

/* (x - E[x]) / (sqrt (E[x^2] - E[x]^2) + 1e-9) over `axes`. */
static gboolean
run_mvn (OviOpCtx *ctx, GError **error)
{
  OviTensor *x = ctx->inputs[0], *y = ctx->outputs[0];
  int rank = x->rank;
  int64_t *kstride, kept, per, total = ovi_tensor_numel (x);
  int64_t idx[OVI_MAX_RANK] = { 0 };
  double *buf, *sum, *sq;
  OviScratch sc;
  MvnLayout l;

  if (total == 0)
    return TRUE;
  ovi_scratch_begin (&sc, ctx);
  mvn_layout (ctx, &sc, &l);
  if (!ovi_scratch_check (ctx, &sc, error))
    return FALSE;
  buf = l.buf;
  sum = l.sum;
  sq = l.sq;
  kstride = l.kstride;
  kept = l.kept;
  load_f64 (x, buf);
  per = kept > 0 ? total / kept : 0;
  memset (sum, 0, sizeof (double) * kept);
  memset (sq, 0, sizeof (double) * kept);

  /* Two walks in row-major order, tracking the kept-space offset. */
  for (int pass = 0; pass < 2; pass++) {
    int64_t k = 0;
    memset (idx, 0, sizeof (idx));
    for (int64_t i = 0; i < total; i++) {
      if (pass == 0) {
        sum[k] += buf[i];
        sq[k] += buf[i] * buf[i];
      } else {
        double m = sum[k], v = sq[k] - m * m;
        buf[i] = (buf[i] - m) / (sqrt (v > 0 ? v : 0) + 1e-9);
      }
      for (int a = rank - 1; a >= 0; a--) {
        k += kstride[a];
        if (++idx[a] < x->dims[a])
          break;
        k -= kstride[a] * x->dims[a];
        idx[a] = 0;
      }
    }
    if (pass == 0)
      for (int64_t j = 0; j < kept; j++) {
        sum[j] = per > 0 ? sum[j] / per : 0;
        sq[j] = per > 0 ? sq[j] / per : 0;
      }
  }
  store_f64 (y, buf);
  return TRUE;
}

/* Softmax family geometry: outer x n x inner, normalized along n. */
static void
softmax_geometry (const OviOpCtx *ctx, const OviTensor *x, int64_t *outer,
    int64_t *n, int64_t *inner)
{
  int64_t axis = ovi_node_attr_int (ctx->node, "axis",
      ctx->opset >= 13 ? -1 : 1);
  int a = 0;
  ovi_op_axis (axis, x->rank, &a);
  *outer = *n = *inner = 1;
  for (int i = 0; i < x->rank; i++) {
    if (i < a)
      *outer *= x->dims[i];
    else if (i == a || ctx->opset < 13)
      *n *= x->dims[i];
    else
      *inner *= x->dims[i];
  }
}

#define SOFTMAX_BLOCK 256

/* Maximum of n values (-inf for none; NaNs are skipped) in LANES
 * interleaved lanes (for double; float32 below, in vectors). */
#define DEFINE_MAX(T, NAME) \
static T \
NAME (const T *v, int64_t n) \
{ \
  T lane[LANES], m = -INFINITY; \
  int64_t i = 0; \
  for (int l = 0; l < LANES; l++) \
    lane[l] = -INFINITY; \
  for (; i + LANES <= n; i += LANES) \
    for (int l = 0; l < LANES; l++) \
      lane[l] = v[i + l] > lane[l] ? v[i + l] : lane[l]; \
  for (; i < n; i++) \
    m = v[i] > m ? v[i] : m; \
  for (int l = 0; l < LANES; l++) \
    m = lane[l] > m ? lane[l] : m; \
  return m; \
}

DEFINE_MAX (double, max_f64)

/* Softmax over rows of n contiguous values (inner = 1) and over columns
 * (inner > 1, processed in blocks of SOFTMAX_BLOCK columns), for one
 * element type. */
#define DEFINE_SOFTMAX(T, NAME, MAX, EXP, LOG) \
static void \
NAME (const T *x, T *y, int64_t outer, int64_t n, int64_t inner, \
    gboolean log_out) \
{ \
  /* Per element: a max, an exp, a sum and a scale. */ \
  if (inner == 1) { \
    OVI_PARALLEL_FOR (outer * n * (EXP_COST + 3), \
        for (int64_t r = 0; r < outer; r++), { \
      const T *xs = x + r * n; \
      T *ys = y + r * n; \
      T mx = MAX (xs, n); \
      double sum = 0; \
      if (log_out) { \
        T lse; \
        for (int64_t j = 0; j < n; j++) \
          sum += EXP (xs[j] - mx); \
        lse = mx + (T) log (sum); \
        for (int64_t j = 0; j < n; j++) \
          ys[j] = xs[j] - lse; \
      } else { \
        T scale; \
        for (int64_t j = 0; j < n; j++) { \
          ys[j] = EXP (xs[j] - mx); \
          sum += ys[j]; \
        } \
        scale = (T) (1.0 / sum); \
        for (int64_t j = 0; j < n; j++) \
          ys[j] *= scale; \
      } \
    }); \
  } else { \
    int64_t blocks = (inner + SOFTMAX_BLOCK - 1) / SOFTMAX_BLOCK; \
    OVI_PARALLEL_FOR (outer * n * inner * (EXP_COST + 3), \
        for (int64_t it = 0; it < outer * blocks; it++), { \
      int64_t r = it / blocks, c0 = (it % blocks) * SOFTMAX_BLOCK; \
      int64_t w = MIN (SOFTMAX_BLOCK, inner - c0); \
      const T *xs = x + r * n * inner + c0; \
      T *ys = y + r * n * inner + c0; \
      T mx[SOFTMAX_BLOCK], sm[SOFTMAX_BLOCK]; \
      for (int64_t t = 0; t < w; t++) { \
        mx[t] = -INFINITY; \
        sm[t] = 0; \
      } \
      for (int64_t j = 0; j < n; j++) \
        for (int64_t t = 0; t < w; t++) \
          mx[t] = xs[j * inner + t] > mx[t] ? xs[j * inner + t] : mx[t]; \
      for (int64_t j = 0; j < n; j++) \
        for (int64_t t = 0; t < w; t++) { \
          T e = EXP (xs[j * inner + t] - mx[t]); \
          if (!log_out) \
            ys[j * inner + t] = e; \
          sm[t] += e; \
        } \
      if (log_out) { \
        for (int64_t t = 0; t < w; t++) \
          sm[t] = mx[t] + LOG (sm[t]); \
        for (int64_t j = 0; j < n; j++) \
          for (int64_t t = 0; t < w; t++) \
            ys[j * inner + t] = xs[j * inner + t] - sm[t]; \
      } else { \
        for (int64_t t = 0; t < w; t++) \
          sm[t] = 1 / sm[t]; \
        for (int64_t j = 0; j < n; j++) \
          for (int64_t t = 0; t < w; t++) \
            ys[j * inner + t] *= sm[t]; \
      } \
    }); \
  } \
}

DEFINE_SOFTMAX (float, softmax_f32, ovi_max_f32, expf, logf)
DEFINE_SOFTMAX (double, softmax_f64, max_f64, exp, log)

static gboolean
run_softmax (OviOpCtx *ctx, GError **error)
{
  OviTensor *x = ctx->inputs[0], *y = ctx->outputs[0];
  gboolean log_out = strcmp (ctx->node->op_type, "LogSoftmax") == 0;
  int64_t outer, n, inner;

  softmax_geometry (ctx, x, &outer, &n, &inner);
  if (ovi_tensor_numel (x) == 0)
    return TRUE;
  if (x->dtype == OVI_DTYPE_FLOAT32) {
    softmax_f32 (x->data, y->data, outer, n, inner, log_out);
  } else if (x->dtype == OVI_DTYPE_FLOAT64) {
    softmax_f64 (x->data, y->data, outer, n, inner, log_out);
  } else {
    double *buf;
    OviScratch sc;
    ovi_scratch_begin (&sc, ctx);
    buf = take_f64 (&sc, x);
    if (!ovi_scratch_check (ctx, &sc, error))
      return FALSE;
    load_f64 (x, buf);
    softmax_f64 (buf, buf, outer, n, inner, log_out);
    store_f64 (y, buf);
  }
  return TRUE;
}

/* Types other than float32 and float64 go through double. */
static gsize
scratch_softmax (OviOpCtx *ctx)
{
  const OviTensor *x = ctx->inputs[0];
  OviScratch sc;
  if (ovi_tensor_numel (x) == 0 || x->dtype == OVI_DTYPE_FLOAT32
      || x->dtype == OVI_DTYPE_FLOAT64)
    return 0;
  ovi_scratch_begin (&sc, NULL);
  take_f64 (&sc, x);
  return sc.used;
}

/* Hardmax: 1 at the first maximum along the axis, 0 elsewhere. */
static gboolean
run_hardmax (OviOpCtx *ctx, GError **error)
{
  OviTensor *x = ctx->inputs[0], *y = ctx->outputs[0];
  int64_t outer, n, inner;

  if (ovi_tensor_numel (x) == 0)
    return TRUE;

  softmax_geometry (ctx, x, &outer, &n, &inner);
  for (int64_t r = 0; r < outer; r++)
    for (int64_t t = 0; t < inner; t++) {
      int64_t base = r * n * inner + t, best = 0;
      double mx = -INFINITY;
      for (int64_t j = 0; j < n; j++) {
        double v = ovi_load_f64 (x->dtype, x->data, base + j * inner);
        if (v > mx || j == 0) {
          mx = v;
          best = j;
        }
      }
      for (int64_t j = 0; j < n; j++)
        ovi_store_f64 (y->dtype, y->data, base + j * inner, j == best);
    }
  return TRUE;
}

const OviCpuKernel ovi_cpu_norm[] = {
  { "BatchNormalization", run_batch_norm, .scratch = scratch_batch_norm },
  { "InstanceNormalization", run_instance_norm,
    .scratch = scratch_block_norm },
  { "LayerNormalization", run_layer_norm, .scratch = scratch_layer_norm },
  { "GroupNormalization", run_group_norm, .scratch = scratch_block_norm },
  { "LRN", run_lrn, .scratch = scratch_lrn },
  { "MeanVarianceNormalization", run_mvn, .scratch = scratch_mvn },
  { "Softmax", run_softmax, .scratch = scratch_softmax },
  { "LogSoftmax", run_softmax, .scratch = scratch_softmax },
  { "Hardmax", run_hardmax },
  { NULL }
};
