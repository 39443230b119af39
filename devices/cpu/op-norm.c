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

/* Independent lanes of the reductions below (the reordering a SIMD
 * reduction makes); gcc vectorizes them. */
#define LANES 8
/* Rough cost, in elementary steps, of one exp or pow. */
#define EXP_COST 10
#define POW_COST 20

/* Four floats, and the lane masks their comparisons give (GCC vector
 * extensions: SSE registers on x86-64). */
typedef float V4f __attribute__((vector_size (16)));
typedef gint32 V4i __attribute__((vector_size (16)));

static double *
load_f64 (const OviTensor *t)
{
  int64_t n = ovi_tensor_numel (t);
  double *buf = g_new (double, MAX (n, 1));
  for (int64_t i = 0; i < n; i++)
    buf[i] = ovi_load_f64 (t->dtype, t->data, i);
  return buf;
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
  int64_t channels = c, inner = s;
  gboolean spatial = ctx->opset >= 9
      || ovi_node_attr_int (node, "spatial", 1) != 0;
  gboolean training;
  double *scale = load_f64 (ctx->inputs[1]), *bias = load_f64 (ctx->inputs[2]);
  double *mean = load_f64 (ctx->inputs[3]), *var = load_f64 (ctx->inputs[4]);
  double *a, *b;

  if (ctx->opset >= 14) {
    training = ovi_node_attr_int (node, "training_mode", 0) != 0;
  } else {
    gboolean any = FALSE;
    for (int i = 1; i < ctx->n_outputs; i++)
      any |= ctx->outputs[i] != NULL;
    training = any && ovi_node_attr_int (node, "is_test", 0) == 0;
  }
  /* Per-element parameters: each element of a sample is a channel. */
  if (!spatial && ovi_tensor_numel (ctx->inputs[1]) != c) {
    channels = c * s;
    inner = 1;
  }

  if (training) {
    double *bm = g_new0 (double, MAX (c, 1)), *bv = g_new0 (double, MAX (c, 1));
    double *rm = g_new (double, MAX (c, 1)), *rv = g_new (double, MAX (c, 1));
    double *buf = x->dtype == OVI_DTYPE_FLOAT32 ? NULL : load_f64 (x);
    int64_t count = n * s;
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
    g_free (bm);
    g_free (bv);
    g_free (rm);
    g_free (rv);
    g_free (buf);
  } else {
    copy_or_store (ovi_op_output (ctx, 1), mean);
    copy_or_store (ovi_op_output (ctx, 2), var);
    copy_or_store (ovi_op_output (ctx, 3), mean);
    copy_or_store (ovi_op_output (ctx, 4), var);
  }

  a = g_new (double, MAX (channels, 1));
  b = g_new (double, MAX (channels, 1));
  for (int64_t ch = 0; ch < channels; ch++) {
    a[ch] = scale[ch] / sqrt (var[ch] + eps);
    b[ch] = bias[ch] - mean[ch] * a[ch];
  }
  affine_planes (x, y, n * channels, channels, inner, a, b);
  g_free (a);
  g_free (b);
  g_free (scale);
  g_free (bias);
  g_free (mean);
  g_free (var);
  return TRUE;
}

/* Normalizes `groups` contiguous blocks of `size` elements; block g
 * covers `per` parameter slots starting at slot (g % param_groups) *
 * per, each slot `size / per` elements long. Instance norm is per = 1
 * with one group per (n, c) plane. */
static void
normalize_blocks (const OviTensor *x, OviTensor *y, int64_t groups,
    int64_t size, int64_t per, int64_t param_groups, const double *scale,
    const double *bias, double eps)
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
    double *buf = load_f64 (x);
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
    g_free (buf);
  }
}

static gboolean
run_instance_norm (OviOpCtx *ctx, GError **error)
{
  OviTensor *x = ctx->inputs[0], *y = ctx->outputs[0];
  int64_t planes = x->dims[0] * x->dims[1];
  int64_t size = planes > 0 ? ovi_tensor_numel (x) / planes : 0;
  double *scale = load_f64 (ctx->inputs[1]), *bias = load_f64 (ctx->inputs[2]);
  normalize_blocks (x, y, planes, size, 1, x->dims[1], scale, bias,
      ovi_node_attr_float (ctx->node, "epsilon", 1e-5f));
  g_free (scale);
  g_free (bias);
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
  double *scale = load_f64 (ctx->inputs[1]), *bias = load_f64 (ctx->inputs[2]);
  double eps = ovi_node_attr_float (ctx->node, "epsilon", 1e-5f);

  if (ovi_tensor_numel (ctx->inputs[1]) == c && groups != c) {
    /* One scale per channel: each group spans c / groups slots. */
    normalize_blocks (x, y, blocks, size, c / groups, groups, scale, bias,
        eps);
  } else {
    normalize_blocks (x, y, blocks, size, 1, groups, scale, bias, eps);
  }
  g_free (scale);
  g_free (bias);
  return TRUE;
}

/* Expands a tensor broadcast to the trailing `rank` dims into `count`
 * doubles (count = their product). NULL input gives `def`. */
static double *
expand_trailing (const OviTensor *t, int rank, const int64_t *dims,
    int64_t count, double def)
{
  double *out = g_new (double, MAX (count, 1));
  int64_t tstride[OVI_MAX_RANK];
  if (t == NULL) {
    for (int64_t i = 0; i < count; i++)
      out[i] = def;
    return out;
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
  return out;
}

static gboolean
run_layer_norm (OviOpCtx *ctx, GError **error)
{
  OviTensor *x = ctx->inputs[0], *y = ctx->outputs[0];
  OviTensor *mean_out = ovi_op_output (ctx, 1);
  OviTensor *inv_out = ovi_op_output (ctx, 2);
  double eps = ovi_node_attr_float (ctx->node, "epsilon", 1e-5f);
  int axis;
  int64_t rows = 1, cols = 1;
  double *scale, *bias, *means, *invs;

  ovi_op_axis (ovi_node_attr_int (ctx->node, "axis", -1), x->rank, &axis);
  for (int i = 0; i < x->rank; i++) {
    if (i < axis)
      rows *= x->dims[i];
    else
      cols *= x->dims[i];
  }
  /* Nothing to write; with cols = 0 the statistics still are. */
  if (rows == 0)
    return TRUE;
  scale = expand_trailing (ctx->inputs[1], x->rank - axis, x->dims + axis,
      cols, 1);
  bias = expand_trailing (ovi_op_input (ctx, 2), x->rank - axis,
      x->dims + axis, cols, 0);
  means = g_new (double, MAX (rows, 1));
  invs = g_new (double, MAX (rows, 1));

  if (x->dtype == OVI_DTYPE_FLOAT32) {
    const float *xd = x->data;
    float *yd = y->data;
    float *sf = g_new (float, MAX (cols, 1)), *bf = g_new (float, MAX (cols, 1));
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
    g_free (sf);
    g_free (bf);
  } else {
    double *buf = load_f64 (x);
    for (int64_t r = 0; r < rows; r++) {
      double *v = buf + r * cols, var;
      moments_f64 (v, cols, &means[r], &var);
      invs[r] = 1.0 / sqrt (var + eps);
      for (int64_t j = 0; j < cols; j++)
        v[j] = (v[j] - means[r]) * invs[r] * scale[j] + bias[j];
    }
    store_f64 (y, buf);
    g_free (buf);
  }
  copy_or_store (mean_out, means);
  copy_or_store (inv_out, invs);
  g_free (means);
  g_free (invs);
  g_free (scale);
  g_free (bias);
  return TRUE;
}

/* LRN across channels: y = x / (bias + alpha / size * sum x^2) ^ beta,
 * the sum over channels c - floor((size-1)/2) .. c + ceil((size-1)/2). */
#define LRN_BLOCK 256

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
  double *buf = x->dtype == OVI_DTYPE_FLOAT32 ? NULL : load_f64 (x);
  double *out = buf ? g_new (double, MAX (n * c * s, 1)) : NULL;
  const float *xf = x->data;
  float *yf = y->data;

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
  if (buf) {
    store_f64 (y, out);
    g_free (buf);
    g_free (out);
  }
  return TRUE;
}

/* MeanVarianceNormalization: (x - E[x]) / (sqrt (E[x^2] - E[x]^2) +
 * 1e-9) over `axes`. */
static gboolean
run_mvn (OviOpCtx *ctx, GError **error)
{
  OviTensor *x = ctx->inputs[0], *y = ctx->outputs[0];
  static const int64_t default_axes[] = { 0, 2, 3 };
  const int64_t *axes;
  int n_axes = ovi_node_attr_ints (ctx->node, "axes", &axes);
  int rank = x->rank;
  gboolean reduced[OVI_MAX_RANK] = { FALSE };
  int64_t kstride[OVI_MAX_RANK], kept = 1, per, total = ovi_tensor_numel (x);
  int64_t idx[OVI_MAX_RANK] = { 0 };
  double *buf, *sum, *sq;

  if (total == 0)
    return TRUE;
  buf = load_f64 (x);

  if (n_axes < 0) {
    axes = default_axes;
    n_axes = 3;
  }
  for (int i = 0; i < n_axes; i++) {
    int a;
    if (ovi_op_axis (axes[i], rank, &a))
      reduced[a] = TRUE;
  }
  for (int a = rank - 1; a >= 0; a--) {
    kstride[a] = reduced[a] ? 0 : kept;
    if (!reduced[a])
      kept *= x->dims[a];
  }
  per = kept > 0 ? total / kept : 0;
  sum = g_new0 (double, MAX (kept, 1));
  sq = g_new0 (double, MAX (kept, 1));

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
  g_free (buf);
  g_free (sum);
  g_free (sq);
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

/* Maximum of n floats (-inf for none; NaNs are skipped) in four vectors
 * of four lanes, the reordering a SIMD reduction makes. */
static float
max_f32 (const float *v, int64_t n)
{
  V4f acc[4];
  float m = -INFINITY;
  int64_t i = 0;
  for (int q = 0; q < 4; q++)
    for (int l = 0; l < 4; l++)
      acc[q][l] = -INFINITY;
  for (; i + 16 <= n; i += 16)
    for (int q = 0; q < 4; q++) {
      V4f x;
      V4i take;
      memcpy (&x, v + i + 4 * q, sizeof (x));
      take = x > acc[q];
      acc[q] = (V4f) ((take & (V4i) x) | (~take & (V4i) acc[q]));
    }
  for (; i < n; i++)
    m = v[i] > m ? v[i] : m;
  for (int q = 0; q < 4; q++)
    for (int l = 0; l < 4; l++)
      m = acc[q][l] > m ? acc[q][l] : m;
  return m;
}

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

DEFINE_SOFTMAX (float, softmax_f32, max_f32, expf, logf)
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
    double *buf = load_f64 (x);
    softmax_f64 (buf, buf, outer, n, inner, log_out);
    store_f64 (y, buf);
    g_free (buf);
  }
  return TRUE;
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
  { "BatchNormalization", run_batch_norm },
  { "InstanceNormalization", run_instance_norm },
  { "LayerNormalization", run_layer_norm },
  { "GroupNormalization", run_group_norm },
  { "LRN", run_lrn },
  { "MeanVarianceNormalization", run_mvn },
  { "Softmax", run_softmax },
  { "LogSoftmax", run_softmax },
  { "Hardmax", run_hardmax },
  { NULL }
};
