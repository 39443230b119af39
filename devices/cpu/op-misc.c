/* CPU kernels for the misc op group: Resize/Upsample, the loss ops, Det,
 * the window generators, GridSample, RoiAlign, RNN, GRU and LSTM. */
#include <math.h>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif
#include <string.h>

#include "cpu-ops.h"
#include "cpu-parallel.h"
#include "cpu-resize-taps.h"
#include "cpu-rnn-acts.h"
#include "cpu-scratch.h"
#include "cpu-sgemm.h"

/* Stores v into an element of any type: integers are rounded half to
 * even and saturated, as the ONNX references do for resampling ops. */
static void
store_saturated (OviDType dtype, void *base, int64_t i, double v)
{
  double lo, hi;
  if (ovi_dtype_is_float (dtype) || dtype == OVI_DTYPE_BOOL) {
    ovi_store_f64 (dtype, base, i, v);
    return;
  }
  switch (dtype) {
    case OVI_DTYPE_UINT8: lo = 0; hi = 255; break;
    case OVI_DTYPE_INT8: lo = -128; hi = 127; break;
    case OVI_DTYPE_UINT16: lo = 0; hi = 65535; break;
    case OVI_DTYPE_INT16: lo = -32768; hi = 32767; break;
    case OVI_DTYPE_UINT32: lo = 0; hi = 4294967295.0; break;
    case OVI_DTYPE_INT32: lo = -2147483648.0; hi = 2147483647.0; break;
    case OVI_DTYPE_UINT64: lo = 0; hi = 18446744073709549568.0; break;
    default: lo = -9223372036854775808.0; hi = 9223372036854774784.0; break;
  }
  v = isnan (v) ? 0 : nearbyint (v);
  v = v < lo ? lo : v > hi ? hi : v;
  if (dtype == OVI_DTYPE_UINT64)
    ((guint64 *) base)[i] = (guint64) v;
  else
    ovi_store_i64 (dtype, base, i, (int64_t) v);
}

/* ------------------------------------------------------------------ */
/* Resize / Upsample */

typedef enum { RM_NEAREST, RM_LINEAR, RM_CUBIC } ResizeMode;

typedef enum {
  CT_HALF_PIXEL, CT_HALF_PIXEL_SYMMETRIC, CT_PYTORCH_HALF_PIXEL,
  CT_ALIGN_CORNERS, CT_ASYMMETRIC, CT_TF_HALF_PIXEL_FOR_NN,
  CT_TF_CROP_AND_RESIZE
} CoordMode;

/* NM_LEGACY: Resize-10 and Upsample, floor when upsampling an axis and
 * ceil when downsampling it. */
typedef enum {
  NM_ROUND_PREFER_FLOOR, NM_ROUND_PREFER_CEIL, NM_FLOOR, NM_CEIL, NM_LEGACY
} NearestMode;

typedef struct {
  ResizeMode mode;
  CoordMode ctm;
  NearestMode nearest;
  double cubic_a;
  gboolean exclude_outside;
  gboolean antialias;
  double extrapolation;
  double scale[OVI_MAX_RANK];
  double length[OVI_MAX_RANK];   /* output length, maybe fractional */
  double roi_start[OVI_MAX_RANK];
  double roi_end[OVI_MAX_RANK];
} ResizeParams;

/* Source taps of one axis: for output coordinate o, taps
 * idx[o * stride + k], w[o * stride + k] for k < n (weight 0 pads);
 * outside[o] marks tf_crop_and_resize extrapolation. */
typedef struct {
  int n, stride;
  int64_t *idx;
  double *w;
  guint8 *outside;
  gboolean any_outside;   /* some outside[] set: those extrapolate */
  gboolean identity;
} AxisTaps;

/* The node's resampling parameters. With roi_unknown non-NULL (sizing
 * the scratch memory, when a non-constant roi has no data yet) a missing
 * roi leaves the defaults and sets *roi_unknown. */
static gboolean
resize_params (OviOpCtx *ctx, ResizeParams *p, gboolean *roi_unknown,
    GError **error)
{
  const OviNode *node = ctx->node;
  const OviTensor *x = ctx->inputs[0], *y = ctx->outputs[0];
  gboolean legacy = strcmp (node->op_type, "Upsample") == 0
      || ctx->opset < 11;
  const char *mode = ovi_node_attr_string (node, "mode", "nearest");
  int rank = x->rank, n_axes = rank, axes[OVI_MAX_RANK];
  const OviTensor *scales = NULL, *sizes = NULL, *roi = NULL;
  const char *policy = "stretch";

  memset (p, 0, sizeof (*p));
  p->mode = strcmp (mode, "nearest") == 0 ? RM_NEAREST
      : strcmp (mode, "cubic") == 0 ? RM_CUBIC : RM_LINEAR;
  p->cubic_a = ovi_node_attr_float (node, "cubic_coeff_a", -0.75f);
  p->exclude_outside = ovi_node_attr_int (node, "exclude_outside", 0) != 0;
  p->extrapolation = ovi_node_attr_float (node, "extrapolation_value", 0.0f);
  for (int d = 0; d < rank; d++) {
    axes[d] = d;
    p->roi_start[d] = 0;
    p->roi_end[d] = 1;
  }

  if (legacy) {
    p->ctm = CT_ASYMMETRIC;
    p->nearest = NM_LEGACY;
    if (strcmp (node->op_type, "Upsample") == 0 && ctx->opset < 9) {
      const float *f;
      if (ovi_node_attr_floats (node, "scales", &f) != rank) {
        ovi_op_error (ctx, error, OVI_ERROR_INVALID, "bad scales attribute");
        return FALSE;
      }
      for (int d = 0; d < rank; d++) {
        p->scale[d] = f[d];
        p->length[d] = f[d] * x->dims[d];
      }
      return TRUE;
    }
    scales = ovi_op_input (ctx, 1);
  } else {
    const char *ctm = ovi_node_attr_string (node,
        "coordinate_transformation_mode", "half_pixel");
    const char *nm = ovi_node_attr_string (node, "nearest_mode",
        "round_prefer_floor");
    p->ctm = strcmp (ctm, "half_pixel_symmetric") == 0
        ? CT_HALF_PIXEL_SYMMETRIC
        : strcmp (ctm, "pytorch_half_pixel") == 0 ? CT_PYTORCH_HALF_PIXEL
        : strcmp (ctm, "align_corners") == 0 ? CT_ALIGN_CORNERS
        : strcmp (ctm, "asymmetric") == 0 ? CT_ASYMMETRIC
        : strcmp (ctm, "tf_half_pixel_for_nn") == 0 ? CT_TF_HALF_PIXEL_FOR_NN
        : strcmp (ctm, "tf_crop_and_resize") == 0 ? CT_TF_CROP_AND_RESIZE
        : CT_HALF_PIXEL;
    p->nearest = strcmp (nm, "round_prefer_ceil") == 0 ? NM_ROUND_PREFER_CEIL
        : strcmp (nm, "floor") == 0 ? NM_FLOOR
        : strcmp (nm, "ceil") == 0 ? NM_CEIL : NM_ROUND_PREFER_FLOOR;
    if (ctx->opset >= 18) {
      const int64_t *a;
      int n = ovi_node_attr_ints (node, "axes", &a);
      p->antialias = ovi_node_attr_int (node, "antialias", 0) != 0;
      policy = ovi_node_attr_string (node, "keep_aspect_ratio_policy",
          "stretch");
      if (n >= 0) {
        n_axes = MIN (n, rank);
        for (int i = 0; i < n_axes; i++)
          ovi_op_axis (a[i], rank, &axes[i]);
      }
    }
    roi = ovi_op_input (ctx, 1);
    scales = ovi_op_input (ctx, 2);
    sizes = ovi_op_input (ctx, 3);
    if (scales && ovi_tensor_numel (scales) == 0)
      scales = NULL;
    if (sizes && ovi_tensor_numel (sizes) == 0)
      sizes = NULL;
    if (roi && ovi_tensor_numel (roi) == 0)
      roi = NULL;
  }

  if ((scales && scales->data == NULL) || (sizes && sizes->data == NULL)) {
    /* Not reached: infer needs their values to shape the output. */
    ovi_op_error (ctx, error, OVI_ERROR_INVALID, "scales or sizes unknown");
    return FALSE;
  }
  for (int d = 0; d < rank; d++) {
    p->scale[d] = 1.0;
    p->length[d] = (double) x->dims[d];
  }
  if (scales) {
    for (int i = 0; i < n_axes; i++) {
      int d = axes[i];
      p->scale[d] = ovi_tensor_get_f64 (scales, i);
      p->length[d] = p->scale[d] * x->dims[d];
    }
  } else if (sizes && strcmp (policy, "stretch") == 0) {
    for (int i = 0; i < n_axes; i++) {
      int d = axes[i];
      p->scale[d] = x->dims[d] > 0 ? (double) y->dims[d] / x->dims[d] : 1.0;
      p->length[d] = (double) y->dims[d];
    }
  } else if (sizes) {
    gboolean smaller = strcmp (policy, "not_larger") == 0;
    double keep = smaller ? INFINITY : -INFINITY;
    for (int i = 0; i < n_axes; i++) {
      int d = axes[i];
      double r = x->dims[d] > 0
          ? (double) ovi_tensor_get_i64 (sizes, i) / x->dims[d] : 0;
      keep = smaller ? MIN (keep, r) : MAX (keep, r);
    }
    for (int i = 0; i < n_axes; i++) {
      int d = axes[i];
      p->scale[d] = keep;
      p->length[d] = keep * x->dims[d];
    }
  }
  if (roi && roi->data == NULL && roi_unknown) {
    *roi_unknown = p->ctm == CT_TF_CROP_AND_RESIZE;
    roi = NULL;
  }
  if (roi && p->ctm == CT_TF_CROP_AND_RESIZE) {
    int64_t n = ovi_tensor_numel (roi);
    if (n != 2 * n_axes) {
      ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "roi has %" G_GINT64_FORMAT " values, expected %d", n, 2 * n_axes);
      return FALSE;
    }
    for (int i = 0; i < n_axes; i++) {
      p->roi_start[axes[i]] = ovi_tensor_get_f64 (roi, i);
      p->roi_end[axes[i]] = ovi_tensor_get_f64 (roi, n_axes + i);
    }
  }
  for (int d = 0; d < rank; d++) {
    if (!(p->scale[d] > 0) || !isfinite (p->scale[d])) {
      ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "scale %g of axis %d is not usable", p->scale[d], d);
      return FALSE;
    }
  }
  return TRUE;
}

/* Maps output coordinate o of axis d to the input coordinate. */
static double
resize_coord (const ResizeParams *p, int d, int64_t o, int64_t in,
    int64_t out)
{
  double scale = p->scale[d], len = p->length[d], x = (double) o;
  switch (p->ctm) {
    case CT_HALF_PIXEL_SYMMETRIC: {
      double adjustment = len > 0 ? (double) out / len : 1.0;
      double offset = in / 2.0 * (1 - adjustment);
      return offset + (x + 0.5) / scale - 0.5;
    }
    case CT_PYTORCH_HALF_PIXEL:
      return out > 1 ? (x + 0.5) / scale - 0.5 : 0.0;
    case CT_ALIGN_CORNERS:
      return len == 1 || out <= 1 ? 0.0 : x * (in - 1) / (len - 1);
    case CT_ASYMMETRIC:
      return x / scale;
    case CT_TF_HALF_PIXEL_FOR_NN:
      return (x + 0.5) / scale;
    case CT_TF_CROP_AND_RESIZE: {
      double s = p->roi_start[d], e = p->roi_end[d];
      if (len == 1 || out <= 1)
        return 0.5 * (s + e) * (in - 1);
      return s * (in - 1) + x * (e - s) * (in - 1) / (len - 1);
    }
    case CT_HALF_PIXEL:
    default:
      return (x + 0.5) / scale - 0.5;
  }
}

static double
cubic_kernel (double a, double x)
{
  x = fabs (x);
  if (x <= 1)
    return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2)
    return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
  return 0;
}

static int64_t
clamp_index (int64_t i, int64_t n)
{
  return i < 0 ? 0 : i >= n ? n - 1 : i;
}

/* The raw filter of an axis: n taps at floor (x) + start + k. */
typedef struct {
  int64_t n, start;
  gboolean aa;
  double s;
} TapFilter;

/* FALSE when the filter would be unreasonably large. */
static gboolean
tap_filter (const ResizeParams *p, int d, TapFilter *f)
{
  f->s = MIN (p->scale[d], 1.0);
  f->aa = p->antialias && p->mode != RM_NEAREST && p->scale[d] < 1.0;
  f->start = 0;
  if (p->mode == RM_NEAREST) {
    f->n = 1;
  } else if (!f->aa) {
    f->n = p->mode == RM_LINEAR ? 2 : 4;
    f->start = p->mode == RM_LINEAR ? 0 : -1;
  } else {
    double support = p->mode == RM_LINEAR ? 1.0 : 2.0;
    if (support / f->s > 1e6)
      return FALSE;
    f->start = (int64_t) floor (-support / f->s) + 1;
    f->n = 2 - 2 * f->start;
  }
  return TRUE;
}

/* Taps kept per output coordinate. */
static int
tap_stride (const TapFilter *f, int64_t in)
{
  return (int) MAX (1, MIN (f->n, in));
}

/* The weight of raw tap k for fractional position r, before any
 * normalization. */
static double
tap_weight (const ResizeParams *p, const TapFilter *f, int64_t k, double r)
{
  int64_t j = f->start + k;
  if (!f->aa)
    return p->mode == RM_LINEAR ? (k == 0 ? 1 - r : r)
        : cubic_kernel (p->cubic_a, j - r);
  if (p->mode == RM_LINEAR)
    return MAX (0.0, 1 - fabs ((j - r) * f->s));
  return cubic_kernel (p->cubic_a, (j - r) * f->s);
}

/* The taps of output coordinate o of axis d: at most cap (index, weight)
 * pairs in ti/tw, which the caller zeroed, clamped to the edge and merged
 * where they land on one index. Returns how many, or -1 when o lies
 * outside (tf_crop_and_resize extrapolation). Normalized weights are
 * computed again where needed rather than stored. */
static int
axis_taps_output (const ResizeParams *p, const TapFilter *f, int d,
    int64_t in, int64_t out, int64_t o, int cap, int64_t *ti, double *tw)
{
  double x = resize_coord (p, d, o, in, out);
  double fl, r, sum = 0, sum_in = 0;
  int count = 0;

  if (p->ctm == CT_TF_CROP_AND_RESIZE && !(x >= 0 && x <= in - 1))
    return -1;
  /* Keep the arithmetic on indices well defined for absurd inputs. */
  x = isnan (x) ? 0 : CLAMP (x, -1e12, 1e12);
  fl = floor (x);
  r = x - fl;
  if (p->mode == RM_NEAREST) {
    int64_t i = (int64_t) fl;
    if (r > 0) {
      switch (p->nearest) {
        case NM_ROUND_PREFER_FLOOR: i += r > 0.5; break;
        case NM_ROUND_PREFER_CEIL: i += r >= 0.5; break;
        case NM_FLOOR: break;
        case NM_CEIL: i += 1; break;
        case NM_LEGACY: i += p->scale[d] < 1.0; break;
      }
    }
    ti[0] = clamp_index (i, in);
    tw[0] = 1;
    return 0;
  }
  /* Antialiasing normalizes the weights to sum 1; exclude_outside then
   * zeroes the taps outside the input and normalizes again. */
  if (f->aa)
    for (int64_t k = 0; k < f->n; k++)
      sum += tap_weight (p, f, k, r);
  if (p->exclude_outside) {
    for (int64_t k = 0; k < f->n; k++) {
      int64_t i = (int64_t) fl + f->start + k;
      double w = tap_weight (p, f, k, r);
      if (f->aa && sum != 0)
        w /= sum;
      if (i < 0 || i >= in)
        w = 0;
      sum_in += w;
    }
  }
  for (int64_t k = 0; k < f->n; k++) {
    int64_t raw = (int64_t) fl + f->start + k, i;
    double w = tap_weight (p, f, k, r);
    if (f->aa && sum != 0)
      w /= sum;
    if (p->exclude_outside) {
      if (raw < 0 || raw >= in)
        w = 0;
      if (sum_in != 0)
        w /= sum_in;
    }
    if (w == 0)
      continue;
    i = clamp_index (raw, in);
    if (count > 0 && ti[count - 1] == i) {
      tw[count - 1] += w;
    } else if (count < cap) {
      ti[count] = i;
      tw[count] = w;
      count++;
    }
  }
  if (count == 0)
    ti[0] = clamp_index ((int64_t) fl, in);
  return count;
}

/* Builds the taps of axis d into t, whose idx, w and outside arrays
 * (out * stride, out * stride and out entries) the caller provides. */
static void
axis_taps_build (const ResizeParams *p, const TapFilter *f, int d,
    int64_t in, int64_t out, AxisTaps *t)
{
  memset (t->idx, 0, sizeof (int64_t) * MAX (out, 1) * t->stride);
  memset (t->w, 0, sizeof (double) * MAX (out, 1) * t->stride);
  memset (t->outside, 0, MAX (out, 1));
  t->any_outside = FALSE;
  t->n = 1;
  for (int64_t o = 0; o < out; o++) {
    int64_t *ti = t->idx + o * t->stride;
    double *tw = t->w + o * t->stride;
    int count = axis_taps_output (p, f, d, in, out, o, t->stride, ti, tw);
    if (count < 0) {
      t->outside[o] = 1;
      t->any_outside = TRUE;
      continue;
    }
    if (p->mode == RM_NEAREST)
      continue;
    for (int k = MAX (count, 1); k < t->stride; k++)
      ti[k] = ti[0];
    t->n = MAX (t->n, count);
  }
  t->identity = in == out && t->n == 1;
  for (int64_t o = 0; o < out && t->identity; o++)
    t->identity = !t->outside[o] && t->idx[o * t->stride] == o
        && t->w[o * t->stride] == 1.0;
}

gboolean
ovi_resize_taps (OviOpCtx *ctx, int axis, OviResizeTaps *taps,
    GError **error)
{
  const OviTensor *x = ctx->inputs[0], *y = ctx->outputs[0];
  ResizeParams p;
  TapFilter f;
  AxisTaps t = { 0 };
  int64_t in, out;

  memset (taps, 0, sizeof (*taps));
  if (!resize_params (ctx, &p, NULL, error))
    return FALSE;
  if (!tap_filter (&p, axis, &f)) {
    ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
        "the filter of axis %d is too large", axis);
    return FALSE;
  }
  in = x->dims[axis];
  out = y->dims[axis];
  t.stride = tap_stride (&f, in);
  t.idx = g_new (int64_t, MAX (out, 1) * t.stride);
  t.w = g_new (double, MAX (out, 1) * t.stride);
  t.outside = g_new (guint8, MAX (out, 1));
  axis_taps_build (&p, &f, axis, in, out, &t);
  if (!t.any_outside) {
    taps->stride = t.stride;
    taps->identity = t.identity;
    taps->idx = g_new (int, MAX (out, 1) * t.stride);
    taps->w = g_new (float, MAX (out, 1) * t.stride);
    for (int64_t i = 0; i < out * t.stride; i++) {
      taps->idx[i] = (int) t.idx[i];
      taps->w[i] = (float) t.w[i];   /* as resize_f32_2d rounds them */
    }
  } else {
    ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
        "axis %d extrapolates (tf_crop_and_resize outside the roi)", axis);
  }
  g_free (t.idx);
  g_free (t.w);
  g_free (t.outside);
  return !t.any_outside;
}

void
ovi_resize_taps_clear (OviResizeTaps *taps)
{
  g_clear_pointer (&taps->idx, g_free);
  g_clear_pointer (&taps->w, g_free);
}

/* Whether every output of axis d copies one input (one tap of weight 1,
 * or extrapolation), as its built taps would say; needs no memory. */
static gboolean
axis_is_copy (const ResizeParams *p, int d, int64_t in, int64_t out)
{
  TapFilter f;
  int cap;
  if (!tap_filter (p, d, &f))
    return FALSE;
  /* The first two taps are kept as the full build keeps them. */
  cap = MIN (2, tap_stride (&f, in));
  for (int64_t o = 0; o < out; o++) {
    int64_t ti[2] = { 0, 0 };
    double tw[2] = { 0, 0 };
    int count = axis_taps_output (p, &f, d, in, out, o, cap, ti, tw);
    if (count >= 0 && (count > 1 || tw[0] != 1.0))
      return FALSE;
  }
  return TRUE;
}

static void
copy_element (guint8 *dst, const guint8 *src, gsize es)
{
  switch (es) {
    case 1: *dst = *src; break;
    case 2: memcpy (dst, src, 2); break;
    case 4: memcpy (dst, src, 4); break;
    case 8: memcpy (dst, src, 8); break;
    default: memcpy (dst, src, es); break;
  }
}

/* Nearest: a gather that works on any element type. */
static void
resize_nearest (const OviTensor *x, OviTensor *y, const AxisTaps *taps,
    double extrapolation)
{
  int rank = x->rank;
  gsize es = ovi_dtype_size (x->dtype);
  int64_t in_strides[OVI_MAX_RANK];
  int64_t out_w = y->dims[rank - 1], rows;
  guint8 extra[16] = { 0 };
  const AxisTaps *tw = &taps[rank - 1];

  ovi_store_f64 (x->dtype, extra, 0, extrapolation);
  ovi_shape_strides (rank, x->dims, in_strides);
  rows = out_w > 0 ? ovi_tensor_numel (y) / out_w : 0;

  /* A copied element per step. */
  OVI_PARALLEL_FOR (rows * out_w, for (int64_t row = 0; row < rows; row++), {
    const guint8 *src = x->data;
    guint8 *dst = (guint8 *) y->data + row * out_w * es;
    int64_t rem = row, off = 0;
    gboolean outside = FALSE;
    for (int d = rank - 2; d >= 0; d--) {
      int64_t o = rem % y->dims[d];
      rem /= y->dims[d];
      outside |= taps[d].outside[o];
      off += taps[d].idx[o * taps[d].stride] * in_strides[d];
    }
    if (outside) {
      for (int64_t i = 0; i < out_w; i++)
        memcpy (dst + i * es, extra, es);
      continue;
    }
    src += off * es;
    if (es == 4) {
      const guint32 *s4 = (const guint32 *) src;
      guint32 *d4 = (guint32 *) dst;
      for (int64_t i = 0; i < out_w; i++)
        d4[i] = s4[tw->idx[i * tw->stride]];
    } else {
      for (int64_t i = 0; i < out_w; i++)
        copy_element (dst + i * es, src + tw->idx[i * tw->stride] * es, es);
    }
    for (int64_t i = 0; i < out_w; i++)
      if (tw->outside[i])
        memcpy (dst + i * es, extra, es);
  });
}

/* Horizontal pass of one source row: out[x] = sum_k w[x][k] src[idx[x][k]]. */
static void
resize_row_f32 (const float *src, float *dst, const AxisTaps *tw,
    const float *wwf, int64_t out_w)
{
  int st = tw->stride;
  if (tw->n == 1) {
    for (int64_t i = 0; i < out_w; i++)
      dst[i] = wwf[i * st] * src[tw->idx[i * st]];
  } else if (tw->n == 2) {
    for (int64_t i = 0; i < out_w; i++)
      dst[i] = wwf[i * st] * src[tw->idx[i * st]]
          + wwf[i * st + 1] * src[tw->idx[i * st + 1]];
  } else {
    for (int64_t i = 0; i < out_w; i++) {
      float acc = 0;
      for (int k = 0; k < tw->n; k++)
        acc += wwf[i * st + k] * src[tw->idx[i * st + k]];
      dst[i] = acc;
    }
  }
}

/* dst[i] = w0 r0[i] + w1 r1[i], or w0 r0[i] with r1 NULL: the vertical
 * pass of the fused path, which writes every output element (an
 * upsampled segmentation map is tens of megabytes); eight lanes on AVX2
 * machines. */
static inline __attribute__((always_inline)) void
blend_rows_body (const float *r0, float w0, const float *r1, float w1,
    float *dst, int64_t n)
{
  if (r1 == NULL)
    for (int64_t i = 0; i < n; i++)
      dst[i] = w0 * r0[i];
  else
    for (int64_t i = 0; i < n; i++)
      dst[i] = w0 * r0[i] + w1 * r1[i];
}

static void
blend_rows_generic (const float *r0, float w0, const float *r1, float w1,
    float *dst, int64_t n)
{
  blend_rows_body (r0, w0, r1, w1, dst, n);
}

#if defined(__x86_64__) || defined(__i386__)
__attribute__((target ("avx2,fma")))
static void
blend_rows_avx2 (const float *r0, float w0, const float *r1, float w1,
    float *dst, int64_t n)
{
  blend_rows_body (r0, w0, r1, w1, dst, n);
}

/* The same with non-temporal stores, for outputs far larger than the
 * caches: they skip reading each destination line before writing it and
 * leave the caches to the data that is read again. The caller fences. */
__attribute__((target ("avx2,fma")))
static void
blend_rows_stream_avx2 (const float *r0, float w0, const float *r1,
    float w1, float *dst, int64_t n)
{
  __m256 v0 = _mm256_set1_ps (w0), v1 = _mm256_set1_ps (w1);
  /* up to the first 32-byte boundary of dst, as the plain loop does */
  int64_t i = MIN (n, (int64_t) ((32 - ((guintptr) dst & 31)) & 31)
      / (int64_t) sizeof (float));
  blend_rows_body (r0, w0, r1, w1, dst, i);
  if (r1 == NULL)
    for (; i + 8 <= n; i += 8)
      _mm256_stream_ps (dst + i, _mm256_mul_ps (v0, _mm256_loadu_ps (r0 + i)));
  else
    for (; i + 8 <= n; i += 8)
      _mm256_stream_ps (dst + i, _mm256_fmadd_ps (v1, _mm256_loadu_ps (r1
                  + i), _mm256_mul_ps (v0, _mm256_loadu_ps (r0 + i))));
  blend_rows_body (r0 + i, w0, r1 ? r1 + i : NULL, w1, dst + i, n - i);
}
#endif

/* Outputs of more bytes than this are written around the caches. */
#define RESIZE_STREAM_BYTES ((int64_t) 8 << 20)

static void
blend_rows_f32 (const float *r0, float w0, const float *r1, float w1,
    float *dst, int64_t n, gboolean stream)
{
#if defined(__x86_64__) || defined(__i386__)
  if (ovi_sgemm_have_avx2 ()) {
    if (stream)
      blend_rows_stream_avx2 (r0, w0, r1, w1, dst, n);
    else
      blend_rows_avx2 (r0, w0, r1, w1, dst, n);
    return;
  }
#endif
  (void) stream;
  blend_rows_generic (r0, w0, r1, w1, dst, n);
}

#define RESIZE_ROW_SLOTS 4

/* Resize's temporary memory: the taps of every axis, then for the fused
 * float32 path the float weights of the last two axes and a row cache
 * per thread, or for the separable path two double buffers as large as
 * the largest intermediate result. */
typedef struct {
  AxisTaps taps[OVI_MAX_RANK];
  TapFilter filters[OVI_MAX_RANK];
  /* Fused path. */
  float *wwf, *whf;
  guint8 *rows;
  gsize row_stride;
  int slots;
  /* Separable path. */
  double *cur, *next;
} ResizeLayout;

/* The taps' memory, from the filters: FALSE when one is too large. */
static gboolean
resize_layout_taps (const ResizeParams *p, const OviTensor *x,
    const OviTensor *y, OviScratch *sc, ResizeLayout *l)
{
  for (int d = 0; d < x->rank; d++) {
    AxisTaps *t = &l->taps[d];
    int64_t out = y->dims[d];
    memset (t, 0, sizeof (*t));
    if (!tap_filter (p, d, &l->filters[d]))
      return FALSE;
    t->stride = tap_stride (&l->filters[d], x->dims[d]);
    t->idx = ovi_scratch_take (sc, out * t->stride, sizeof (int64_t));
    t->w = ovi_scratch_take (sc, out * t->stride, sizeof (double));
    t->outside = ovi_scratch_take (sc, out, 1);
  }
  return TRUE;
}

/* The fused path's buffers, from the strides of the taps (an upper bound
 * of the taps each output uses). */
static void
resize_layout_fused (OviOpCtx *ctx, OviScratch *sc, ResizeLayout *l)
{
  const OviTensor *x = ctx->inputs[0], *y = ctx->outputs[0];
  int rank = x->rank;
  int64_t in_w = x->dims[rank - 1], out_w = y->dims[rank - 1];
  int64_t out_h = rank >= 2 ? y->dims[rank - 2] : 1;
  int64_t planes = out_h * out_w > 0 ? ovi_tensor_numel (y) / (out_h * out_w)
      : 0;
  int sh = rank >= 2 ? l->taps[rank - 2].stride : 1;
  int sw = l->taps[rank - 1].stride;
  /* Up to RESIZE_ROW_SLOTS vertical taps the rows are cached, else one
   * blended source row. */
  int64_t row = sh <= RESIZE_ROW_SLOTS ? out_w * RESIZE_ROW_SLOTS
      : MAX (out_w * RESIZE_ROW_SLOTS, in_w);

  l->wwf = ovi_scratch_take (sc, out_w * sw, sizeof (float));
  l->whf = ovi_scratch_take (sc, out_h * sh, sizeof (float));
  l->slots = ovi_scratch_slots (ctx, planes * out_h * out_w * (sh + sw));
  l->rows = ovi_scratch_take_slots (sc, l->slots, row, sizeof (float),
      &l->row_stride);
}

/* The separable path's buffers: the input in double, then the result of
 * each axis in turn (an axis left as it is keeps its size). */
static void
resize_layout_separable (OviOpCtx *ctx, OviScratch *sc, ResizeLayout *l)
{
  const OviTensor *x = ctx->inputs[0], *y = ctx->outputs[0];
  int64_t largest = ovi_tensor_numel (x);
  for (int d = 0; d < x->rank; d++) {
    int64_t n = 1;
    for (int k = 0; k < x->rank; k++)
      n *= k <= d ? y->dims[k] : x->dims[k];
    largest = MAX (largest, n);
  }
  l->cur = ovi_scratch_take (sc, largest, sizeof (double));
  l->next = ovi_scratch_take (sc, largest, sizeof (double));
}

/* float32 with every axis but the last two untouched. Each source row is
 * interpolated horizontally once into a small per-thread cache; every
 * output row is then a contiguous blend of cached rows. */
static void
resize_f32_2d (const OviTensor *x, OviTensor *y, const ResizeLayout *l,
    float extrapolation)
{
  const AxisTaps *taps = l->taps;
  int rank = x->rank;
  int hd = rank - 2, wd = rank - 1;
  int64_t in_h = rank >= 2 ? x->dims[hd] : 1, in_w = x->dims[wd];
  int64_t out_h = rank >= 2 ? y->dims[hd] : 1, out_w = y->dims[wd];
  int64_t planes = out_h * out_w > 0 ? ovi_tensor_numel (y) / (out_h * out_w)
      : 0;
  int64_t in_strides[OVI_MAX_RANK];
  AxisTaps one = { 0 };
  int64_t zero_idx = 0;
  double one_w = 1.0;
  guint8 not_outside = 0;
  const AxisTaps *th = rank >= 2 ? &taps[hd] : &one;
  const AxisTaps *tw = &taps[wd];
  float *wwf = l->wwf;
  float *whf = l->whf;
  gboolean cached = th->n <= RESIZE_ROW_SLOTS;
  int64_t work = planes * out_h * out_w * (th->n + tw->n);
  gboolean par = ovi_parallel_worth (work);
  gboolean stream = ovi_tensor_numel (y) * (int64_t) sizeof (float)
      > RESIZE_STREAM_BYTES;

  one.n = one.stride = 1;
  one.idx = &zero_idx;
  one.w = &one_w;
  one.outside = &not_outside;
  ovi_shape_strides (rank, x->dims, in_strides);
  for (int64_t i = 0; i < out_w * tw->stride; i++)
    wwf[i] = (float) tw->w[i];
  for (int64_t i = 0; i < out_h * th->stride; i++)
    whf[i] = (float) th->w[i];

  /* Per output: its vertical and horizontal taps. Each thread takes a
   * contiguous range of rows (as schedule(static) splits them) and keeps
   * its own row cache; a thread beyond the slots of scratch memory takes
   * none. */
  OVI_PARALLEL_REGION (par ? work : 0, tid, nth, {
    int nt = MIN (nth, l->slots);
    float *tmp = tid < nt ? (float *) (l->rows + tid * l->row_stride) : NULL;
    int64_t keys[RESIZE_ROW_SLOTS] = { -1, -1, -1, -1 };
    int64_t j0 = 0, j1 = 0;
    if (tid < nt)
      ovi_parallel_slice (planes * out_h, tid, nt, &j0, &j1);
    for (int64_t job = j0; job < j1; job++) {
      int64_t plane = job / out_h, oy = job % out_h;
      float *dst = (float *) y->data + job * out_w;
      const float *src = x->data;
      const float *rows[RESIZE_ROW_SLOTS];
      int64_t rem = plane;
      gboolean outside = th->outside[oy] != 0;
      const int64_t *hi = th->idx + oy * th->stride;
      const float *hw = whf + oy * th->stride;

      for (int d = rank - 3; d >= 0; d--) {
        int64_t o = rem % y->dims[d];
        rem /= y->dims[d];
        outside |= taps[d].outside[o];
        src += taps[d].idx[o * taps[d].stride] * in_strides[d];
      }
      if (outside) {
        for (int64_t i = 0; i < out_w; i++)
          dst[i] = extrapolation;
        continue;
      }

      if (!cached) {
        /* Wide vertical filters: blend source rows, then go across. */
        const float *r0 = src + hi[0] * in_w;
        for (int64_t i = 0; i < in_w; i++)
          tmp[i] = hw[0] * r0[i];
        for (int k = 1; k < th->n; k++) {
          const float *rk = src + hi[k] * in_w;
          float wk = hw[k];
          for (int64_t i = 0; i < in_w; i++)
            tmp[i] += wk * rk[i];
        }
        resize_row_f32 (tmp, dst, tw, wwf, out_w);
      } else {
        /* Find or make the horizontally resized source rows. */
        for (int k = 0; k < th->n; k++) {
          int64_t key = plane * in_h + hi[k];
          int slot = -1;
          for (int j = 0; j < RESIZE_ROW_SLOTS; j++)
            if (keys[j] == key)
              slot = j;
          if (slot < 0) {
            /* Evict the oldest row that this output row does not use. */
            for (int j = 0; j < RESIZE_ROW_SLOTS; j++) {
              gboolean used = FALSE;
              for (int q = 0; q < th->n; q++)
                used |= keys[j] == plane * in_h + hi[q];
              if (!used && (slot < 0 || keys[j] < keys[slot]))
                slot = j;
            }
            resize_row_f32 (src + hi[k] * in_w, tmp + slot * out_w, tw, wwf,
                out_w);
            keys[slot] = key;
          }
          rows[k] = tmp + slot * out_w;
        }
        if (th->n <= 2) {
          blend_rows_f32 (rows[0], hw[0], th->n == 2 ? rows[1] : NULL,
              th->n == 2 ? hw[1] : 0.0f, dst, out_w, stream);
        } else {
          for (int64_t i = 0; i < out_w; i++) {
            float acc = 0;
            for (int k = 0; k < th->n; k++)
              acc += hw[k] * rows[k][i];
            dst[i] = acc;
          }
        }
      }
      if (tw->any_outside)
        for (int64_t i = 0; i < out_w; i++)
          if (tw->outside[i])
            dst[i] = extrapolation;
    }
#if defined(__x86_64__) || defined(__i386__)
    /* the non-temporal stores, visible before the region ends */
    if (stream)
      _mm_sfence ();
#endif
  });
}

/* Any type: one axis at a time through double buffers. */
static void
resize_separable (const OviTensor *x, OviTensor *y, const ResizeLayout *l,
    double extrapolation)
{
  const AxisTaps *taps = l->taps;
  int rank = x->rank;
  int64_t dims[OVI_MAX_RANK];
  int64_t n = ovi_tensor_numel (x);
  double *cur = l->cur, *spare = l->next;

  memcpy (dims, x->dims, sizeof (int64_t) * rank);
  for (int64_t i = 0; i < n; i++)
    cur[i] = ovi_load_f64 (x->dtype, x->data, i);
  for (int d = 0; d < rank; d++) {
    const AxisTaps *t = &taps[d];
    int64_t outer = 1, inner = 1, in_d = dims[d], out_d = y->dims[d];
    double *next;
    if (t->identity)
      continue;
    for (int k = 0; k < d; k++)
      outer *= dims[k];
    for (int k = d + 1; k < rank; k++)
      inner *= dims[k];
    next = spare;
    /* Per output: a multiply-add per tap. */
    OVI_PARALLEL_FOR (outer * out_d * inner * MAX (t->n, 1),
        for (int64_t job = 0; job < outer * out_d; job++), {
      int64_t oo = job / out_d, o = job % out_d;
      double *dst = next + job * inner;
      const double *src = cur + oo * in_d * inner;
      if (t->outside[o]) {
        for (int64_t i = 0; i < inner; i++)
          dst[i] = extrapolation;
        continue;
      }
      for (int64_t i = 0; i < inner; i++)
        dst[i] = 0;
      for (int k = 0; k < t->n; k++) {
        const double *s = src + t->idx[o * t->stride + k] * inner;
        double w = t->w[o * t->stride + k];
        if (w == 0)
          continue;
        for (int64_t i = 0; i < inner; i++)
          dst[i] += w * s[i];
      }
    });
    spare = cur;
    cur = next;
    dims[d] = out_d;
  }
  n = ovi_tensor_numel (y);
  if (y->dtype == OVI_DTYPE_FLOAT32) {
    float *o = y->data;
    for (int64_t i = 0; i < n; i++)
      o[i] = (float) cur[i];
  } else {
    for (int64_t i = 0; i < n; i++)
      store_saturated (y->dtype, y->data, i, cur[i]);
  }
}

/* Whether the float32 fused path applies: one tap of weight 1 (or
 * extrapolation) on every axis but the last two. */
static gboolean
resize_fused (const OviTensor *x, const OviTensor *y, const AxisTaps *taps)
{
  gboolean fused = x->dtype == OVI_DTYPE_FLOAT32;
  for (int d = 0; d < x->rank - 2 && fused; d++)
    fused = taps[d].n == 1;
  for (int d = 0; d < x->rank - 2 && fused; d++)
    for (int64_t o = 0; o < y->dims[d] && fused; o++)
      fused = taps[d].w[o * taps[d].stride] == 1.0 || taps[d].outside[o];
  return fused;
}

/* The taps, and the buffers of the path run takes: decided from the
 * filters alone (without building the taps), or the larger of the two
 * paths while a non-constant roi leaves it open. */
static gsize
scratch_resize (OviOpCtx *ctx)
{
  const OviTensor *x = ctx->inputs[0], *y = ctx->outputs[0];
  ResizeParams p;
  ResizeLayout l;
  OviScratch sc, fused, separable;
  gboolean roi_unknown = FALSE, is_fused;

  if (ovi_tensor_numel (y) == 0 || x->rank == 0
      || !resize_params (ctx, &p, &roi_unknown, NULL))
    return 0;
  ovi_scratch_begin (&sc, NULL);
  if (!resize_layout_taps (&p, x, y, &sc, &l))
    return 0;
  if (p.mode == RM_NEAREST)
    return sc.used;
  fused = separable = sc;
  resize_layout_fused (ctx, &fused, &l);
  resize_layout_separable (ctx, &separable, &l);
  if (roi_unknown)
    return MAX (fused.used, separable.used);
  is_fused = x->dtype == OVI_DTYPE_FLOAT32;
  for (int d = 0; d < x->rank - 2 && is_fused; d++)
    is_fused = axis_is_copy (&p, d, x->dims[d], y->dims[d]);
  return is_fused ? fused.used : separable.used;
}

static gboolean
run_resize (OviOpCtx *ctx, GError **error)
{
  const OviTensor *x = ctx->inputs[0];
  OviTensor *y = ctx->outputs[0];
  int rank = x->rank;
  ResizeParams p;
  ResizeLayout l;
  OviScratch sc;

  if (ovi_tensor_numel (y) == 0)
    return TRUE;
  if (rank == 0) {
    memcpy (y->data, x->data, ovi_dtype_size (x->dtype));
    return TRUE;
  }
  if (!resize_params (ctx, &p, NULL, error))
    return FALSE;
  ovi_scratch_begin (&sc, ctx);
  if (!resize_layout_taps (&p, x, y, &sc, &l)) {
    ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
        "the antialiasing filter is too large");
    return FALSE;
  }
  if (!ovi_scratch_check (ctx, &sc, error))
    return FALSE;
  for (int d = 0; d < rank; d++)
    axis_taps_build (&p, &l.filters[d], d, x->dims[d], y->dims[d],
        &l.taps[d]);

  if (p.mode == RM_NEAREST) {
    resize_nearest (x, y, l.taps, p.extrapolation);
  } else if (resize_fused (x, y, l.taps)) {
    resize_layout_fused (ctx, &sc, &l);
    if (!ovi_scratch_check (ctx, &sc, error))
      return FALSE;
    resize_f32_2d (x, y, &l, (float) p.extrapolation);
  } else {
    resize_layout_separable (ctx, &sc, &l);
    if (!ovi_scratch_check (ctx, &sc, error))
      return FALSE;
    resize_separable (x, y, &l, p.extrapolation);
  }
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* NegativeLogLikelihoodLoss, SoftmaxCrossEntropyLoss */

/* SoftmaxCrossEntropyLoss keeps the log-probabilities in double. */
static double *
loss_layout (OviOpCtx *ctx, OviScratch *sc)
{
  if (strcmp (ctx->node->op_type, "SoftmaxCrossEntropyLoss") != 0)
    return NULL;
  return ovi_scratch_take (sc, ovi_tensor_numel (ctx->inputs[0]),
      sizeof (double));
}

static gsize
scratch_loss (OviOpCtx *ctx)
{
  OviScratch sc;
  ovi_scratch_begin (&sc, NULL);
  loss_layout (ctx, &sc);
  return sc.used;
}

static gboolean
run_loss (OviOpCtx *ctx, GError **error)
{
  gboolean sce = strcmp (ctx->node->op_type, "SoftmaxCrossEntropyLoss") == 0;
  const OviTensor *x = ctx->inputs[0], *t = ctx->inputs[1];
  const OviTensor *wt = ovi_op_input (ctx, 2);
  OviTensor *y = ctx->outputs[0], *log_prob = ovi_op_output (ctx, 1);
  const char *reduction = ovi_node_attr_string (ctx->node, "reduction",
      "mean");
  gboolean has_ignore = ovi_node_attr (ctx->node, "ignore_index") != NULL;
  int64_t ignore = ovi_node_attr_int (ctx->node, "ignore_index", 0);
  int64_t n = x->dims[0], c = x->dims[1], inner = 1;
  const double *lp = NULL;
  double *logits = NULL, sum = 0, wsum = 0;
  gboolean none = strcmp (reduction, "none") == 0;

  for (int dd = 2; dd < x->rank; dd++)
    inner *= x->dims[dd];

  if (sce) {
    OviScratch sc;
    ovi_scratch_begin (&sc, ctx);
    logits = loss_layout (ctx, &sc);
    if (!ovi_scratch_check (ctx, &sc, error))
      return FALSE;
    /* log_softmax over the class axis. */
    for (int64_t b = 0; b < n; b++)
      for (int64_t i = 0; i < inner; i++) {
        double mx = -INFINITY, se = 0;
        int64_t base = b * c * inner + i;
        for (int64_t k = 0; k < c; k++)
          mx = MAX (mx, ovi_load_f64 (x->dtype, x->data, base + k * inner));
        for (int64_t k = 0; k < c; k++)
          se += exp (ovi_load_f64 (x->dtype, x->data, base + k * inner) - mx);
        for (int64_t k = 0; k < c; k++)
          logits[base + k * inner] = ovi_load_f64 (x->dtype, x->data,
              base + k * inner) - mx - log (se);
      }
    if (log_prob)
      for (int64_t i = 0; i < n * c * inner; i++)
        ovi_store_f64 (log_prob->dtype, log_prob->data, i, logits[i]);
    lp = logits;
  }

  for (int64_t b = 0; b < n; b++)
    for (int64_t i = 0; i < inner; i++) {
      int64_t k = ovi_load_i64 (t->dtype, t->data, b * inner + i);
      double w, v, loss = 0;
      if (has_ignore && k == ignore) {
        w = 0;
      } else {
        if (k < 0 || k >= c) {
          ovi_op_error (ctx, error, OVI_ERROR_INVALID,
              "target %" G_GINT64_FORMAT " is out of range [0, %"
              G_GINT64_FORMAT ")", k, c);
          return FALSE;
        }
        w = wt ? ovi_load_f64 (wt->dtype, wt->data, k) : 1.0;
        v = lp ? lp[(b * c + k) * inner + i]
            : ovi_load_f64 (x->dtype, x->data, (b * c + k) * inner + i);
        loss = -v * w;
      }
      if (none)
        ovi_store_f64 (y->dtype, y->data, b * inner + i, loss);
      sum += loss;
      wsum += w;
    }
  if (!none)
    ovi_store_f64 (y->dtype, y->data, 0,
        strcmp (reduction, "sum") == 0 ? sum : sum / wsum);
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Det: LU decomposition with partial pivoting, in double. */

/* One matrix at a time, in double. */
static double *
det_layout (OviOpCtx *ctx, OviScratch *sc)
{
  const OviTensor *x = ctx->inputs[0];
  int64_t m = x->dims[x->rank - 1];
  return ovi_scratch_take (sc, m * m, sizeof (double));
}

static gsize
scratch_det (OviOpCtx *ctx)
{
  OviScratch sc;
  ovi_scratch_begin (&sc, NULL);
  det_layout (ctx, &sc);
  return sc.used;
}

static gboolean
run_det (OviOpCtx *ctx, GError **error)
{
  const OviTensor *x = ctx->inputs[0];
  OviTensor *y = ctx->outputs[0];
  int64_t m = x->dims[x->rank - 1];
  int64_t count = ovi_tensor_numel (y);
  double *a;
  OviScratch sc;

  ovi_scratch_begin (&sc, ctx);
  a = det_layout (ctx, &sc);
  if (!ovi_scratch_check (ctx, &sc, error))
    return FALSE;

  for (int64_t b = 0; b < count; b++) {
    double det = 1;
    for (int64_t i = 0; i < m * m; i++)
      a[i] = ovi_load_f64 (x->dtype, x->data, b * m * m + i);
    for (int64_t col = 0; col < m; col++) {
      int64_t piv = col;
      for (int64_t r = col + 1; r < m; r++)
        if (fabs (a[r * m + col]) > fabs (a[piv * m + col]))
          piv = r;
      if (a[piv * m + col] == 0) {
        det = 0;
        break;
      }
      if (piv != col) {
        for (int64_t k = 0; k < m; k++) {
          double tmp = a[col * m + k];
          a[col * m + k] = a[piv * m + k];
          a[piv * m + k] = tmp;
        }
        det = -det;
      }
      det *= a[col * m + col];
      for (int64_t r = col + 1; r < m; r++) {
        double f = a[r * m + col] / a[col * m + col];
        for (int64_t k = col; k < m; k++)
          a[r * m + k] -= f * a[col * m + k];
      }
    }
    ovi_store_f64 (y->dtype, y->data, b, det);
  }
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* HannWindow, HammingWindow, BlackmanWindow */

static gboolean
run_window (OviOpCtx *ctx, GError **error)
{
  const char *op = ctx->node->op_type;
  OviTensor *y = ctx->outputs[0];
  int64_t size = y->dims[0];
  gboolean periodic = ovi_node_attr_int (ctx->node, "periodic", 1) != 0;
  double n = periodic ? (double) size : (double) (size - 1);
  double a0, a1, a2 = 0;

  if (strcmp (op, "HannWindow") == 0) {
    a0 = 0.5;
    a1 = 0.5;
  } else if (strcmp (op, "HammingWindow") == 0) {
    a0 = 25.0 / 46.0;
    a1 = 1 - a0;
  } else {
    a0 = 0.42;
    a1 = 0.5;
    a2 = 0.08;
  }
  for (int64_t i = 0; i < size; i++) {
    double v = n > 0 ? a0 - a1 * cos (2 * G_PI * i / n)
        + a2 * cos (4 * G_PI * i / n) : 1.0;
    ovi_store_f64 (y->dtype, y->data, i, v);
  }
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* GridSample (4-D), with the ONNX reference's semantics: the sampling
 * point is rounded (nearest), then brought inside the border (border,
 * reflection padding); each tap is then bounded by the padding mode. */

typedef enum { GS_ZEROS, GS_BORDER, GS_REFLECTION } GsPadding;

typedef struct {
  int64_t size;
  double lo, hi;       /* the border: [-0.5, size - 0.5] or [0, size - 1] */
  GsPadding pad;
} GsAxis;

static double
gs_unnormalize (double c, int64_t size, gboolean align)
{
  return align ? (c + 1) / 2 * (size - 1) : ((c + 1) * size - 1) / 2;
}

/* Reflects by the nearer border until inside [lo, hi]. */
static double
gs_reflect (double x, double lo, double hi)
{
  double range = hi - lo, d, n, r;
  if (!(range > 0))
    return lo;
  if (x < lo) {
    d = lo - x;
    n = floor (d / range);
    r = d - n * range;
    return fmod (n, 2) == 0 ? lo + r : hi - r;
  }
  if (x > hi) {
    d = x - hi;
    n = floor (d / range);
    r = d - n * range;
    return fmod (n, 2) == 0 ? hi - r : lo + r;
  }
  return x;
}

static double
gs_fix_coord (double v, const GsAxis *a)
{
  if (v < a->lo || v > a->hi) {
    if (a->pad == GS_BORDER)
      return v < 0 ? 0 : v > a->size - 1 ? (double) (a->size - 1) : v;
    if (a->pad == GS_REFLECTION)
      return gs_reflect (v, a->lo, a->hi);
  }
  return v;
}

/* The index of integral tap i, FALSE when it reads as zero. */
static gboolean
gs_tap (double i, const GsAxis *a, int64_t *out)
{
  if (isnan (i))
    return FALSE;
  switch (a->pad) {
    case GS_BORDER:
      i = i < 0 ? 0 : i > a->size - 1 ? (double) (a->size - 1) : i;
      break;
    case GS_REFLECTION:
      i = trunc (gs_reflect (i, a->lo, a->hi));
      i = i < 0 ? 0 : i > a->size - 1 ? (double) (a->size - 1) : i;
      break;
    case GS_ZEROS:
    default:
      if (!(i >= 0 && i < a->size))
        return FALSE;
      break;
  }
  *out = (int64_t) i;
  return TRUE;
}

static double
gs_pixel (const OviTensor *x, int64_t plane, const GsAxis *ay,
    const GsAxis *ax, double yi, double xi)
{
  int64_t iy, ix, off;
  if (!gs_tap (yi, ay, &iy) || !gs_tap (xi, ax, &ix))
    return 0;
  off = plane + iy * ax->size + ix;
  if (x->dtype == OVI_DTYPE_FLOAT32)
    return ((const float *) x->data)[off];
  return ovi_load_f64 (x->dtype, x->data, off);
}

static void
gs_cubic_coeffs (double t, double *c)
{
  const double a = -0.75;
  c[0] = cubic_kernel (a, t + 1);
  c[1] = cubic_kernel (a, t);
  c[2] = cubic_kernel (a, 1 - t);
  c[3] = cubic_kernel (a, 2 - t);
}

static gboolean
run_grid_sample (OviOpCtx *ctx, GError **error)
{
  const OviTensor *x = ctx->inputs[0], *g = ctx->inputs[1];
  OviTensor *y = ctx->outputs[0];
  const char *mode_s = ovi_node_attr_string (ctx->node, "mode", "bilinear");
  const char *pad_s = ovi_node_attr_string (ctx->node, "padding_mode",
      "zeros");
  gboolean align = ovi_node_attr_int (ctx->node, "align_corners", 0) != 0;
  int mode = strcmp (mode_s, "nearest") == 0 ? 0
      : strcmp (mode_s, "bicubic") == 0 || strcmp (mode_s, "cubic") == 0
      ? 2 : 1;
  GsPadding pad = strcmp (pad_s, "border") == 0 ? GS_BORDER
      : strcmp (pad_s, "reflection") == 0 ? GS_REFLECTION : GS_ZEROS;
  int64_t n = x->dims[0], c = x->dims[1], h = x->dims[2], w = x->dims[3];
  int64_t oh = y->dims[2], ow = y->dims[3];
  GsAxis ax = { w, align ? 0 : -0.5, align ? w - 1.0 : w - 0.5, pad };
  GsAxis ay = { h, align ? 0 : -0.5, align ? h - 1.0 : h - 0.5, pad };

  /* An empty picture has no pixel and no border to clamp to. */
  if (h == 0 || w == 0) {
    if (ovi_tensor_nbytes (y) > 0)
      memset (y->data, 0, ovi_tensor_nbytes (y));
    return TRUE;
  }

  /* Per output: its pixel reads (1, 4 or 16), a few steps each. */
  OVI_PARALLEL_FOR (n * oh * ow * c * (mode == 0 ? 2 : mode == 1 ? 8 : 32),
      for (int64_t job = 0; job < n * oh; job++), {
    int64_t b = job / oh, oy = job % oh;
    for (int64_t ox = 0; ox < ow; ox++) {
      int64_t gi = ((b * oh + oy) * ow + ox) * 2;
      double fx = gs_unnormalize (ovi_load_f64 (g->dtype, g->data, gi), w,
          align);
      double fy = gs_unnormalize (ovi_load_f64 (g->dtype, g->data, gi + 1),
          h, align);
      double x0, y0, cx[4], cy[4];
      if (mode == 0) {
        fx = nearbyint (fx);
        fy = nearbyint (fy);
      }
      fx = gs_fix_coord (fx, &ax);
      fy = gs_fix_coord (fy, &ay);
      x0 = floor (fx);
      y0 = floor (fy);
      if (mode == 2) {
        gs_cubic_coeffs (fx - x0, cx);
        gs_cubic_coeffs (fy - y0, cy);
      }
      for (int64_t ch = 0; ch < c; ch++) {
        int64_t plane = (b * c + ch) * h * w;
        int64_t oi = ((b * c + ch) * oh + oy) * ow + ox;
        double v = 0;
        if (mode == 0) {
          v = gs_pixel (x, plane, &ay, &ax, trunc (fy), trunc (fx));
        } else if (mode == 1) {
          double tx = fx - x0, ty = fy - y0;
          v = (1 - ty) * ((1 - tx) * gs_pixel (x, plane, &ay, &ax, y0, x0)
              + tx * gs_pixel (x, plane, &ay, &ax, y0, x0 + 1))
              + ty * ((1 - tx) * gs_pixel (x, plane, &ay, &ax, y0 + 1, x0)
              + tx * gs_pixel (x, plane, &ay, &ax, y0 + 1, x0 + 1));
        } else {
          for (int i = 0; i < 4; i++) {
            double row = 0;
            for (int j = 0; j < 4; j++)
              row += cx[j] * gs_pixel (x, plane, &ay, &ax, y0 - 1 + i,
                  x0 - 1 + j);
            v += cy[i] * row;
          }
        }
        if (y->dtype == OVI_DTYPE_FLOAT32)
          ((float *) y->data)[oi] = (float) v;
        else
          ovi_store_f64 (y->dtype, y->data, oi, v);
      }
    }
  });
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* RoiAlign */

typedef struct {
  int64_t pos[4];
  double w[4];
} RoiSample;

static void
roi_sample_at (double yy, double xx, int64_t h, int64_t w, RoiSample *s)
{
  int64_t y0, x0, y1, x1;
  double ly, lx;
  memset (s, 0, sizeof (*s));
  if (!(yy >= -1.0 && yy <= h && xx >= -1.0 && xx <= w))
    return;
  yy = MAX (yy, 0);
  xx = MAX (xx, 0);
  y0 = (int64_t) yy;
  x0 = (int64_t) xx;
  if (y0 >= h - 1) {
    y0 = y1 = h - 1;
    yy = (double) y0;
  } else {
    y1 = y0 + 1;
  }
  if (x0 >= w - 1) {
    x0 = x1 = w - 1;
    xx = (double) x0;
  } else {
    x1 = x0 + 1;
  }
  ly = yy - y0;
  lx = xx - x0;
  s->pos[0] = y0 * w + x0;
  s->pos[1] = y0 * w + x1;
  s->pos[2] = y1 * w + x0;
  s->pos[3] = y1 * w + x1;
  s->w[0] = (1 - ly) * (1 - lx);
  s->w[1] = (1 - ly) * lx;
  s->w[2] = ly * (1 - lx);
  s->w[3] = ly * lx;
}

/* Sample points of a bin handled at once: their number depends on the
 * boxes, so a bin's samples go in chunks of this many, each shared by
 * every channel (whose accumulators are the scratch memory). */
#define ROI_CHUNK 64

/* Per thread: one accumulator per channel. The sample count (and so
 * whether the region goes parallel) depends on the boxes: a slot for
 * every thread. */
static double *
roi_align_layout (OviOpCtx *ctx, OviScratch *sc, gsize *stride)
{
  return ovi_scratch_take_slots (sc, MAX (ctx->max_threads, 1),
      ctx->inputs[0]->dims[1], sizeof (double), stride);
}

static gsize
scratch_roi_align (OviOpCtx *ctx)
{
  OviScratch sc;
  gsize stride;
  ovi_scratch_begin (&sc, NULL);
  roi_align_layout (ctx, &sc, &stride);
  return sc.used;
}

static gboolean
run_roi_align (OviOpCtx *ctx, GError **error)
{
  const OviNode *node = ctx->node;
  const OviTensor *x = ctx->inputs[0], *rois = ctx->inputs[1];
  const OviTensor *bi = ctx->inputs[2];
  OviTensor *y = ctx->outputs[0];
  gboolean half_pixel = ctx->opset >= 16 && strcmp (ovi_node_attr_string (
          node, "coordinate_transformation_mode", "half_pixel"),
      "half_pixel") == 0;
  gboolean max_mode = strcmp (ovi_node_attr_string (node, "mode", "avg"),
      "max") == 0;
  double scale = ovi_node_attr_float (node, "spatial_scale", 1.0f);
  int64_t ratio = ovi_node_attr_int (node, "sampling_ratio", 0);
  int64_t n = x->dims[0], c = x->dims[1], h = x->dims[2], w = x->dims[3];
  int64_t r_count = rois->dims[0], ph = y->dims[2], pw = y->dims[3];
  double offset = half_pixel ? 0.5 : 0.0;
  gboolean par;
  guint8 *accs;
  gsize acc_stride;
  int slots = MAX (ctx->max_threads, 1);
  OviScratch sc;

  ovi_scratch_begin (&sc, ctx);
  accs = (guint8 *) roi_align_layout (ctx, &sc, &acc_stride);
  if (!ovi_scratch_check (ctx, &sc, error))
    return FALSE;
  /* An empty picture has no pixel to sample: every bin pools nothing. */
  if (h == 0 || w == 0) {
    if (ovi_tensor_nbytes (y) > 0)
      memset (y->data, 0, ovi_tensor_nbytes (y));
    return TRUE;
  }
  for (int64_t r = 0; r < r_count; r++) {
    int64_t b = ovi_load_i64 (bi->dtype, bi->data, r);
    double x1 = ovi_load_f64 (rois->dtype, rois->data, r * 4) * scale - offset;
    double y1 = ovi_load_f64 (rois->dtype, rois->data, r * 4 + 1) * scale
        - offset;
    double x2 = ovi_load_f64 (rois->dtype, rois->data, r * 4 + 2) * scale
        - offset;
    double y2 = ovi_load_f64 (rois->dtype, rois->data, r * 4 + 3) * scale
        - offset;
    double rw = x2 - x1, rh = y2 - y1, bw, bh;
    int64_t gh, gw, count;

    if (b < 0 || b >= n) {
      ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "batch index %" G_GINT64_FORMAT " is out of range", b);
      return FALSE;
    }
    if (!half_pixel) {
      rw = MAX (rw, 1.0);
      rh = MAX (rh, 1.0);
    }
    bh = rh / ph;
    bw = rw / pw;
    if (!isfinite (bh) || !isfinite (bw) || !isfinite (x1)
        || !isfinite (y1)) {
      /* A degenerate box (NaN, infinity) pools nothing. */
      for (int64_t i = 0; i < c * ph * pw; i++)
        ovi_store_f64 (y->dtype, y->data, r * c * ph * pw + i, 0);
      continue;
    }
    if (fabs (bh) > 1e7 || fabs (bw) > 1e7) {
      ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED, "roi %"
          G_GINT64_FORMAT " is too large", r);
      return FALSE;
    }
    gh = ratio > 0 ? ratio : (int64_t) ceil (rh / ph);
    gw = ratio > 0 ? ratio : (int64_t) ceil (rw / pw);
    gh = MAX (gh, 0);
    gw = MAX (gw, 0);
    if (gh * gw > 1 << 16) {
      ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
          "roi %" G_GINT64_FORMAT " needs too many samples per bin", r);
      return FALSE;
    }
    count = MAX (gh * gw, 1);
    /* Per sample and channel: four weighted loads. Each thread takes a
     * contiguous range of bins (as schedule(static) splits them); a
     * thread beyond the slots of scratch memory takes none. */
    par = ovi_parallel_worth (c * ph * pw * count * 4);
    OVI_PARALLEL_REGION (par ? c * ph * pw * count * 4 : 0, tid, nth, {
      RoiSample samples[ROI_CHUNK];
      int nt = MIN (nth, slots);
      double *acc = tid < nt ? (double *) (accs + tid * acc_stride) : NULL;
      int64_t p0 = 0, p1 = 0;
      if (tid < nt)
        ovi_parallel_slice (ph * pw, tid, nt, &p0, &p1);
      for (int64_t p = p0; p < p1; p++) {
        int64_t py = p / pw, px = p % pw;
        for (int64_t ch = 0; ch < c; ch++)
          acc[ch] = 0;
        for (int64_t k0 = 0; k0 < gh * gw; k0 += ROI_CHUNK) {
          int64_t kn = MIN (ROI_CHUNK, gh * gw - k0);
          for (int64_t k = 0; k < kn; k++) {
            int64_t iy = (k0 + k) / gw, ix = (k0 + k) % gw;
            double yy = y1 + py * bh + (iy + 0.5) * bh / gh;
            double xx = x1 + px * bw + (ix + 0.5) * bw / gw;
            roi_sample_at (yy, xx, h, w, &samples[k]);
          }
          for (int64_t ch = 0; ch < c; ch++) {
            int64_t plane = (b * c + ch) * h * w;
            double a = acc[ch];
            for (int64_t k = 0; k < kn; k++) {
              const RoiSample *sm = &samples[k];
              double v[4];
              for (int q = 0; q < 4; q++)
                v[q] = sm->w[q] * ovi_load_f64 (x->dtype, x->data,
                    plane + sm->pos[q]);
              if (max_mode) {
                double m = MAX (MAX (v[0], v[1]), MAX (v[2], v[3]));
                a = k0 + k == 0 ? m : MAX (a, m);
              } else {
                a += v[0] + v[1] + v[2] + v[3];
              }
            }
            acc[ch] = a;
          }
        }
        for (int64_t ch = 0; ch < c; ch++) {
          double a = acc[ch];
          if (!max_mode)
            a /= count;
          ovi_store_f64 (y->dtype, y->data, (r * c + ch) * ph * pw + p, a);
        }
      }
    });
  }
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* RNN, GRU, LSTM (computed in float32) */

/* t as float32: its own data when it is float32, else a buffer of the
 * layout (filled by fill_f32). */
static float *
take_f32 (OviScratch *sc, const OviTensor *t)
{
  if (t == NULL || t->dtype == OVI_DTYPE_FLOAT32)
    return NULL;
  return ovi_scratch_take (sc, ovi_tensor_numel (t), sizeof (float));
}

static const float *
fill_f32 (const OviTensor *t, float *buf)
{
  int64_t n;
  if (t == NULL)
    return NULL;
  if (t->dtype == OVI_DTYPE_FLOAT32)
    return t->data;
  n = ovi_tensor_numel (t);
  for (int64_t i = 0; i < n; i++)
    buf[i] = (float) ovi_load_f64 (t->dtype, t->data, i);
  return buf;
}

static void
from_f32 (OviTensor *t, const float *f)
{
  int64_t n = ovi_tensor_numel (t);
  if (t->dtype == OVI_DTYPE_FLOAT32)
    memcpy (t->data, f, n * sizeof (float));
  else
    for (int64_t i = 0; i < n; i++)
      ovi_store_f64 (t->dtype, t->data, i, f[i]);
}

static inline float
clipf (float v, float c)
{
  return c > 0 ? (v < -c ? -c : v > c ? c : v) : v;
}

/* RNN, GRU and LSTM: sequence lengths, X as [seq, batch, input] and the
 * weights in float32 (X, W, R, B and P are used in place when they
 * already are), the outputs, the input projections and the states. */
typedef struct {
  int64_t *lens;
  float *x, *w, *r, *bias, *peep;
  float *y, *yh, *yc, *xw, *hr, *h, *c, *hn, *cn;
} RnnLayout;

static void
rnn_layout (OviOpCtx *ctx, OviScratch *sc, RnnLayout *l)
{
  const OviNode *node = ctx->node;
  const char *op = node->op_type;
  gboolean lstm = strcmp (op, "LSTM") == 0, gru = strcmp (op, "GRU") == 0;
  int ng = lstm ? 4 : gru ? 3 : 1;
  const char *direction = ovi_node_attr_string (node, "direction", "forward");
  int dirs = strcmp (direction, "bidirectional") == 0 ? 2 : 1;
  int64_t layout = ctx->opset >= 14 ? ovi_node_attr_int (node, "layout", 0)
      : 0;
  const OviTensor *xt = ctx->inputs[0];
  int64_t seq = layout ? xt->dims[1] : xt->dims[0];
  int64_t batch = layout ? xt->dims[0] : xt->dims[1];
  int64_t in = xt->dims[2], hs = ctx->inputs[2]->dims[2], gh = ng * hs;

  l->lens = ovi_scratch_take (sc, batch, sizeof (int64_t));
  l->x = layout == 0 && xt->dtype == OVI_DTYPE_FLOAT32 ? NULL
      : ovi_scratch_take (sc, seq * batch * in, sizeof (float));
  l->w = take_f32 (sc, ctx->inputs[1]);
  l->r = take_f32 (sc, ctx->inputs[2]);
  l->bias = take_f32 (sc, ovi_op_input (ctx, 3));
  l->peep = lstm ? take_f32 (sc, ovi_op_input (ctx, 7)) : NULL;
  l->y = ovi_scratch_take (sc, seq * dirs * batch * hs, sizeof (float));
  l->yh = ovi_scratch_take (sc, dirs * batch * hs, sizeof (float));
  l->yc = ovi_scratch_take (sc, dirs * batch * hs, sizeof (float));
  l->xw = ovi_scratch_take (sc, seq * batch * gh, sizeof (float));
  l->hr = ovi_scratch_take (sc, batch * gh, sizeof (float));
  l->h = ovi_scratch_take (sc, batch * hs, sizeof (float));
  l->c = ovi_scratch_take (sc, batch * hs, sizeof (float));
  l->hn = ovi_scratch_take (sc, batch * hs, sizeof (float));
  l->cn = ovi_scratch_take (sc, batch * hs, sizeof (float));
}

static gsize
scratch_rnn (OviOpCtx *ctx)
{
  OviScratch sc;
  RnnLayout l;
  ovi_scratch_begin (&sc, NULL);
  rnn_layout (ctx, &sc, &l);
  return sc.used;
}

static gboolean
run_rnn (OviOpCtx *ctx, GError **error)
{
  const OviNode *node = ctx->node;
  const char *op = node->op_type;
  gboolean lstm = strcmp (op, "LSTM") == 0, gru = strcmp (op, "GRU") == 0;
  int ng = lstm ? 4 : gru ? 3 : 1, per_dir = lstm ? 3 : gru ? 2 : 1;
  const char *direction = ovi_node_attr_string (node, "direction", "forward");
  int dirs = strcmp (direction, "bidirectional") == 0 ? 2 : 1;
  gboolean reverse_only = strcmp (direction, "reverse") == 0;
  int64_t layout = ctx->opset >= 14 ? ovi_node_attr_int (node, "layout", 0)
      : 0;
  float clip = ovi_node_attr (node, "clip") ? ovi_node_attr_float (node,
      "clip", 0) : 0;
  gboolean input_forget = ovi_node_attr_int (node, "input_forget", 0) != 0;
  gboolean lbr = ovi_node_attr_int (node, "linear_before_reset", 0) != 0;
  const OviTensor *xt = ctx->inputs[0];
  const OviTensor *bt = ovi_op_input (ctx, 3), *lt = ovi_op_input (ctx, 4);
  const OviTensor *h0t = ovi_op_input (ctx, 5);
  const OviTensor *c0t = lstm ? ovi_op_input (ctx, 6) : NULL;
  const OviTensor *pt = lstm ? ovi_op_input (ctx, 7) : NULL;
  OviTensor *yt = ovi_op_output (ctx, 0), *yht = ovi_op_output (ctx, 1);
  OviTensor *yct = lstm ? ovi_op_output (ctx, 2) : NULL;
  int64_t seq = layout ? xt->dims[1] : xt->dims[0];
  int64_t batch = layout ? xt->dims[0] : xt->dims[1];
  int64_t in = xt->dims[2], hs = ctx->inputs[2]->dims[2], gh = ng * hs;
  OviRnnAct acts[6];
  OviErrorCode code = OVI_ERROR_INVALID;
  char *problem = NULL;
  const float *x, *w, *r, *bias, *peep;
  float *y, *yh, *yc, *xw, *hr, *h, *c, *hn, *cn;
  int64_t *lens;
  OviScratch sc;
  RnnLayout l;

  if (!ovi_rnn_activations (node, per_dir, dirs, acts, &code, &problem)) {
    ovi_op_error (ctx, error, code, "%s", problem);
    g_free (problem);
    return FALSE;
  }
  ovi_scratch_begin (&sc, ctx);
  rnn_layout (ctx, &sc, &l);
  if (!ovi_scratch_check (ctx, &sc, error))
    return FALSE;
  lens = l.lens;
  for (int64_t b = 0; b < batch; b++) {
    lens[b] = lt ? ovi_load_i64 (lt->dtype, lt->data, b) : seq;
    if (lens[b] < 0 || lens[b] > seq) {
      ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "sequence length %" G_GINT64_FORMAT " is out of range [0, %"
          G_GINT64_FORMAT "]", lens[b], seq);
      return FALSE;
    }
  }

  /* Inputs as float32, X as [seq, batch, input]. */
  if (l.x == NULL) {
    x = xt->data;
  } else {
    for (int64_t t = 0; t < seq; t++)
      for (int64_t b = 0; b < batch; b++)
        for (int64_t i = 0; i < in; i++) {
          int64_t src = layout ? (b * seq + t) * in + i
              : (t * batch + b) * in + i;
          l.x[(t * batch + b) * in + i] = (float) ovi_load_f64 (xt->dtype,
              xt->data, src);
        }
    x = l.x;
  }
  w = fill_f32 (ctx->inputs[1], l.w);
  r = fill_f32 (ctx->inputs[2], l.r);
  bias = fill_f32 (bt, l.bias);
  peep = fill_f32 (pt, l.peep);
  y = l.y;
  yh = l.yh;
  yc = l.yc;
  xw = l.xw;
  hr = l.hr;
  h = l.h;
  c = l.c;
  hn = l.hn;
  cn = l.cn;
  memset (y, 0, sizeof (float) * seq * dirs * batch * hs);
  memset (yh, 0, sizeof (float) * dirs * batch * hs);
  memset (yc, 0, sizeof (float) * dirs * batch * hs);

  for (int dir = 0; dir < dirs; dir++) {
    gboolean rev = reverse_only || dir == 1;
    const float *wd = w + dir * gh * in, *rd = r + dir * gh * hs;
    const float *wb = bias ? bias + dir * 2 * gh : NULL;
    const float *rb = bias ? wb + gh : NULL;
    const float *pd = peep ? peep + dir * 3 * hs : NULL;
    const OviRnnAct *fa = &acts[dir * per_dir];

    /* Input projections with both biases, except GRU's recurrent bias of
     * the hidden gate under linear_before_reset, applied inside r. */
    /* A multiply-add per step. */
    OVI_PARALLEL_FOR (seq * batch * gh * in,
        for (int64_t row = 0; row < seq * batch; row++), {
      const float *xr = x + row * in;
      float *o = xw + row * gh;
      for (int64_t j = 0; j < gh; j++) {
        const float *wr = wd + j * in;
        float acc = 0;
        for (int64_t i = 0; i < in; i++)
          acc += xr[i] * wr[i];
        if (wb)
          acc += wb[j] + (gru && lbr && j >= 2 * hs ? 0 : rb[j]);
        o[j] = acc;
      }
    });
    /* Initial states: [dirs, batch, hidden], or [batch, dirs, hidden]
     * with layout 1. */
    for (int64_t i = 0; i < batch * hs; i++) {
      int64_t b = i / hs, k = i % hs;
      int64_t src = layout ? (b * dirs + dir) * hs + k
          : (dir * batch + b) * hs + k;
      h[i] = h0t ? (float) ovi_load_f64 (h0t->dtype, h0t->data, src) : 0;
      c[i] = c0t ? (float) ovi_load_f64 (c0t->dtype, c0t->data, src) : 0;
    }

    for (int64_t step = 0; step < seq; step++) {
      int64_t t = rev ? seq - 1 - step : step;
      /* A multiply-add per step. */
      OVI_PARALLEL_FOR (batch * gh * hs,
          for (int64_t b = 0; b < batch; b++), {
        const float *g = xw + (t * batch + b) * gh;
        const float *hb = h + b * hs, *cb = c + b * hs;
        float *hrb = hr + b * gh, *hnb = hn + b * hs, *cnb = cn + b * hs;
        if (t >= lens[b])
          continue;
        /* h · R^T; for GRU without linear_before_reset the hidden gate's
         * part needs r first and is done below. */
        for (int64_t j = 0; j < gh; j++) {
          const float *rr = rd + j * hs;
          float acc = 0;
          if (gru && !lbr && j >= 2 * hs)
            break;
          for (int64_t k = 0; k < hs; k++)
            acc += hb[k] * rr[k];
          hrb[j] = acc;
        }
        if (lstm) {
          for (int64_t k = 0; k < hs; k++) {
            float gi = g[k] + hrb[k], go = g[hs + k] + hrb[hs + k];
            float gf = g[2 * hs + k] + hrb[2 * hs + k];
            float gc = g[3 * hs + k] + hrb[3 * hs + k];
            float it, ft, ct, ot;
            if (pd) {
              gi += pd[k] * cb[k];
              gf += pd[2 * hs + k] * cb[k];
            }
            it = ovi_rnn_act_apply (&fa[0], clipf (gi, clip));
            ft = input_forget ? 1 - it
                : ovi_rnn_act_apply (&fa[0], clipf (gf, clip));
            ct = ovi_rnn_act_apply (&fa[1], clipf (gc, clip));
            cnb[k] = ft * cb[k] + it * ct;
            if (pd)
              go += pd[hs + k] * cnb[k];
            ot = ovi_rnn_act_apply (&fa[0], clipf (go, clip));
            hnb[k] = ot * ovi_rnn_act_apply (&fa[2], cnb[k]);
          }
        } else if (gru) {
          float *zr = cnb;   /* scratch: z gate */
          for (int64_t k = 0; k < hs; k++)
            zr[k] = ovi_rnn_act_apply (&fa[0], clipf (g[k] + hrb[k],
                    clip));
          for (int64_t k = 0; k < hs; k++) {
            float rt = ovi_rnn_act_apply (&fa[0], clipf (g[hs + k]
                    + hrb[hs + k], clip));
            /* Keep r·h (or r) in hnb until the hidden gate is done. */
            hnb[k] = lbr ? rt : rt * hb[k];
          }
          for (int64_t k = 0; k < hs; k++) {
            float pre;
            if (lbr) {
              pre = g[2 * hs + k] + hnb[k] * (hrb[2 * hs + k]
                  + (rb ? rb[2 * hs + k] : 0));
            } else {
              const float *rr = rd + (2 * hs + k) * hs;
              float acc = 0;
              for (int64_t q = 0; q < hs; q++)
                acc += hnb[q] * rr[q];
              pre = g[2 * hs + k] + acc;
            }
            hrb[k] = ovi_rnn_act_apply (&fa[1], clipf (pre, clip));
          }
          for (int64_t k = 0; k < hs; k++)
            hnb[k] = (1 - zr[k]) * hrb[k] + zr[k] * hb[k];
        } else {
          for (int64_t k = 0; k < hs; k++)
            hnb[k] = ovi_rnn_act_apply (&fa[0], clipf (g[k] + hrb[k], clip));
        }
      });
      for (int64_t b = 0; b < batch; b++) {
        if (t >= lens[b])
          continue;
        memcpy (h + b * hs, hn + b * hs, hs * sizeof (float));
        if (lstm)
          memcpy (c + b * hs, cn + b * hs, hs * sizeof (float));
        memcpy (y + ((t * dirs + dir) * batch + b) * hs, h + b * hs,
            hs * sizeof (float));
      }
    }
    memcpy (yh + dir * batch * hs, h, batch * hs * sizeof (float));
    memcpy (yc + dir * batch * hs, c, batch * hs * sizeof (float));
  }

  if (yt) {
    if (layout == 0) {
      from_f32 (yt, y);
    } else {
      for (int64_t t = 0; t < seq; t++)
        for (int dir = 0; dir < dirs; dir++)
          for (int64_t b = 0; b < batch; b++)
            for (int64_t k = 0; k < hs; k++)
              ovi_store_f64 (yt->dtype, yt->data,
                  ((b * seq + t) * dirs + dir) * hs + k,
                  y[((t * dirs + dir) * batch + b) * hs + k]);
    }
  }
  for (int o = 1; o <= (lstm ? 2 : 1); o++) {
    OviTensor *ot = o == 1 ? yht : yct;
    const float *src = o == 1 ? yh : yc;
    if (ot == NULL)
      continue;
    if (layout == 0) {
      from_f32 (ot, src);
    } else {
      for (int dir = 0; dir < dirs; dir++)
        for (int64_t b = 0; b < batch; b++)
          for (int64_t k = 0; k < hs; k++)
            ovi_store_f64 (ot->dtype, ot->data, (b * dirs + dir) * hs + k,
                src[(dir * batch + b) * hs + k]);
    }
  }

  return TRUE;
}

const OviCpuKernel ovi_cpu_misc[] = {
  { "Resize", run_resize, .scratch = scratch_resize },
  { "Upsample", run_resize, .scratch = scratch_resize },
  { "NegativeLogLikelihoodLoss", run_loss, .scratch = scratch_loss },
  { "SoftmaxCrossEntropyLoss", run_loss, .scratch = scratch_loss },
  { "Det", run_det, .scratch = scratch_det },
  { "HannWindow", run_window }, { "HammingWindow", run_window },
  { "BlackmanWindow", run_window },
  { "GridSample", run_grid_sample },
  { "RoiAlign", run_roi_align, .scratch = scratch_roi_align },
  { "RNN", run_rnn, .scratch = scratch_rnn },
  { "GRU", run_rnn, .scratch = scratch_rnn },
  { "LSTM", run_rnn, .scratch = scratch_rnn },
  { NULL }
};
