/* Conv on the GPU, 2-D float32, with the post-ops of the CPU's fused Conv
 * (bias, residual sum, activation): 1x1 unit-stride unpadded convs as a
 * plain GEMM (weights [Cout, Cin] times the image [Cin, H*W]), depthwise
 * convs as a direct kernel, everything else as an implicit GEMM
 * (kernels/gemm.cl); 1-D convs as 2-D ones of height 1. 3-D convs and
 * other types run on the CPU. */
#include <string.h>

#include "cpu/cpu-ops.h"
#include "cpu/cpu-postops.h"
#include "gpu-exec.h"

typedef struct {
  int64_t group, kh, kw, sh, sw, dh, dw, ph, pw;
} ConvAttrs;

static gboolean
conv_attrs (const OviNode *n, int spatial, const OviValue *x,
    const OviValue *w, const OviValue *y, ConvAttrs *c)
{
  const char *ap = ovi_node_attr_string (n, "auto_pad", "NOTSET");
  int64_t s[2], d[2], p[4];
  c->group = ovi_node_attr_int (n, "group", 1);
  c->kh = w->dims[2];
  c->kw = w->dims[3];
  if (!ovi_gpu_spatial_ints (n, "strides", spatial, 1, s)
      || !ovi_gpu_spatial_ints (n, "dilations", spatial, 1, d)
      || !ovi_gpu_spatial_pads (n, spatial, p))
    return FALSE;
  c->sh = s[0];
  c->sw = s[1];
  c->dh = d[0];
  c->dw = d[1];
  if (strcmp (ap, "SAME_UPPER") == 0 || strcmp (ap, "SAME_LOWER") == 0) {
    int64_t th = MAX ((y->dims[2] - 1) * c->sh + (c->kh - 1) * c->dh + 1
        - x->dims[2], 0);
    int64_t tw = MAX ((y->dims[3] - 1) * c->sw + (c->kw - 1) * c->dw + 1
        - x->dims[3], 0);
    gboolean upper = ap[5] == 'U';
    c->ph = upper ? th / 2 : th - th / 2;
    c->pw = upper ? tw / 2 : tw - tw / 2;
  } else if (strcmp (ap, "VALID") == 0) {
    c->ph = c->pw = 0;
  } else if (strcmp (ap, "NOTSET") == 0) {
    /* The end pads only shape the output, already known. */
    c->ph = p[0];
    c->pw = p[1];
  } else {
    return FALSE;
  }
  return c->group > 0 && c->sh > 0 && c->sw > 0 && c->dh > 0 && c->dw > 0;
}

/* The implicit GEMM's row k of the patches is input channel ci, tap
 * (kh, kw): its offset from a window's origin, and the tap's place in
 * the window for the bounds test, as the kernel reads them (gemm.cl,
 * load_step), so that no division by the kernel's geometry is left in
 * its inner loop. */
static void
conv_k_table (OviGpuBuild *b, OviGpuLaunch *l, int64_t cg, int64_t H,
    int64_t W, const ConvAttrs *c)
{
  int64_t K = cg * c->kh * c->kw, k = 0;
  int *t = g_new (int, 2 * K);
  for (int64_t ci = 0; ci < cg; ci++)
    for (int64_t kh = 0; kh < c->kh; kh++)
      for (int64_t kw = 0; kw < c->kw; kw++, k++) {
        t[2 * k] = (int) (ci * H * W + kh * c->dh * W + kw * c->dw);
        t[2 * k + 1] = (int) ((kh * c->dh) << 16 | kw * c->dw);
      }
  ovi_gpu_arg_ints (b, l, t, 2 * K);
  g_free (t);
}

static gboolean
build_conv (OviGpuBuild *b, const OviNode *n)
{
  const OviValue *x, *w, *y;
  OviValue x2, w2, y2;
  ConvAttrs c;
  OviPostOps post;
  int bias_v, res_v, y_v = n->n_outputs == 1 ? n->outputs[0] : -1;
  int64_t M, K, N, cg, plane_in, plane_out;
  OviGpuLaunch *l;

  if (n->n_inputs < 2 || y_v < 0 || !ovi_gpu_is_f32 (b, n->inputs[0])
      || !ovi_gpu_is_f32 (b, n->inputs[1]) || !ovi_gpu_is_f32 (b, y_v))
    return FALSE;
  x = ovi_gpu_input (b, n, 0);
  w = ovi_gpu_input (b, n, 1);
  y = ovi_gpu_value (b, y_v);
  if (x->rank != w->rank || x->rank != y->rank
      || !ovi_gpu_as_2d (x, &x2) || !ovi_gpu_as_2d (w, &w2)
      || !ovi_gpu_as_2d (y, &y2) || !conv_attrs (n, x->rank - 2, &x2, &w2,
          &y2, &c))
    return FALSE;
  x = &x2;
  w = &w2;
  y = &y2;
  bias_v = n->n_inputs > 2 ? n->inputs[2] : -1;
  if (bias_v >= 0 && !ovi_gpu_is_f32 (b, bias_v))
    return FALSE;
  ovi_postops_from_node (n, &post);
  res_v = post.sum && n->n_inputs > 3 ? n->inputs[3] : -1;
  if (post.sum && (res_v < 0 || !ovi_gpu_is_f32 (b, res_v)))
    return FALSE;
  /* Unknown activation names stay NONE: refuse them rather than drop. */
  if (ovi_node_attr_string (n, "ovi.activation", NULL)
      && post.activation == OVI_ACT_NONE)
    return FALSE;

  if (x->dims[1] % c.group || y->dims[1] % c.group
      || w->dims[1] != x->dims[1] / c.group)
    return FALSE;
  cg = x->dims[1] / c.group;
  M = y->dims[1] / c.group;
  K = cg * c.kh * c.kw;
  N = y->dims[2] * y->dims[3];
  plane_in = x->dims[2] * x->dims[3];
  plane_out = N;
  if (ovi_gpu_numel (y) == 0)
    return TRUE;

  if (c.group == x->dims[1] && c.group == y->dims[1] && w->dims[1] == 1) {
    int64_t total = ovi_gpu_numel (y);
    l = ovi_gpu_launch (b, "conv", "conv2d_depthwise");
    ovi_gpu_arg_value (l, n->inputs[0]);
    ovi_gpu_arg_value (l, n->inputs[1]);
    ovi_gpu_arg_value (l, bias_v >= 0 ? bias_v : y_v);
    ovi_gpu_arg_value (l, res_v >= 0 ? res_v : y_v);
    ovi_gpu_arg_value (l, y_v);
    ovi_gpu_arg_int (l, x->dims[1]);
    ovi_gpu_arg_int (l, x->dims[2]);
    ovi_gpu_arg_int (l, x->dims[3]);
    ovi_gpu_arg_int (l, y->dims[2]);
    ovi_gpu_arg_int (l, y->dims[3]);
    ovi_gpu_arg_int (l, c.kh);
    ovi_gpu_arg_int (l, c.kw);
    ovi_gpu_arg_int (l, c.sh);
    ovi_gpu_arg_int (l, c.sw);
    ovi_gpu_arg_int (l, c.ph);
    ovi_gpu_arg_int (l, c.pw);
    ovi_gpu_arg_int (l, c.dh);
    ovi_gpu_arg_int (l, c.dw);
    ovi_gpu_arg_int (l, bias_v >= 0);
    ovi_gpu_arg_int (l, res_v >= 0);
    ovi_gpu_arg_int (l, post.activation);
    ovi_gpu_arg_float (l, post.alpha);
    ovi_gpu_arg_float (l, post.beta);
    ovi_gpu_arg_int (l, total);
    ovi_gpu_range_1d (l, total);
    return TRUE;
  }

  /* The implicit GEMM's tap table packs a tap's row and column reach in
   * 15 and 16 bits. */
  if ((c.kh - 1) * c.dh >= 32768 || (c.kw - 1) * c.dw >= 65536)
    return FALSE;
  {
    size_t global[3] = { 0, 0, (size_t) (x->dims[0] * c.group) };
    size_t local[3] = { 16, 16, 1 };
    /* 64x64 tiles of 16x16 items; the range counts items. */
    global[0] = ((size_t) N + 63) / 64 * 16;
    global[1] = ((size_t) M + 63) / 64 * 16;
    if (c.kh == 1 && c.kw == 1 && c.sh == 1 && c.sw == 1 && c.ph == 0
        && c.pw == 0 && y->dims[2] == x->dims[2] && y->dims[3] == x->dims[3]) {
      /* 1x1: W_g [M, cg] times x_g [cg, H*W]. */
      l = ovi_gpu_launch (b, "gemm", "gemm");
      ovi_gpu_arg_value (l, n->inputs[1]);
      ovi_gpu_arg_value (l, n->inputs[0]);
      ovi_gpu_arg_value (l, bias_v >= 0 ? bias_v : y_v);
      ovi_gpu_arg_value (l, res_v >= 0 ? res_v : y_v);
      ovi_gpu_arg_value (l, y_v);
      ovi_gpu_arg_int (l, M);
      ovi_gpu_arg_int (l, N);
      ovi_gpu_arg_int (l, K);
      ovi_gpu_arg_int (l, K);            /* sam */
      ovi_gpu_arg_int (l, 1);            /* sak */
      ovi_gpu_arg_int (l, plane_in);     /* sbk */
      ovi_gpu_arg_int (l, 1);            /* sbn */
      ovi_gpu_arg_int (l, 1);            /* scm: bias per row */
      ovi_gpu_arg_int (l, 0);            /* scn */
      ovi_gpu_arg_int (l, c.group);
      ovi_gpu_arg_int (l, 0);            /* a: weights, per group */
      ovi_gpu_arg_int (l, M * K);
      ovi_gpu_arg_int (l, x->dims[1] * plane_in);
      ovi_gpu_arg_int (l, cg * plane_in);
      ovi_gpu_arg_int (l, 0);            /* c: bias, per group */
      ovi_gpu_arg_int (l, M);
      ovi_gpu_arg_int (l, y->dims[1] * plane_out);
      ovi_gpu_arg_int (l, M * plane_out);
      ovi_gpu_arg_float (l, 1.0f);
      ovi_gpu_arg_float (l, 1.0f);
      ovi_gpu_arg_int (l, bias_v >= 0);
      ovi_gpu_arg_int (l, res_v >= 0);
    } else {
      l = ovi_gpu_launch (b, "gemm", "conv2d_igemm");
      ovi_gpu_arg_value (l, n->inputs[1]);
      ovi_gpu_arg_value (l, n->inputs[0]);
      ovi_gpu_arg_value (l, bias_v >= 0 ? bias_v : y_v);
      ovi_gpu_arg_value (l, res_v >= 0 ? res_v : y_v);
      ovi_gpu_arg_value (l, y_v);
      ovi_gpu_arg_int (l, M);
      ovi_gpu_arg_int (l, N);
      ovi_gpu_arg_int (l, K);
      ovi_gpu_arg_int (l, c.group);
      ovi_gpu_arg_int (l, x->dims[1] * plane_in);
      ovi_gpu_arg_int (l, cg * plane_in);
      ovi_gpu_arg_int (l, y->dims[1] * plane_out);
      ovi_gpu_arg_int (l, M * plane_out);
      ovi_gpu_arg_int (l, bias_v >= 0);
      ovi_gpu_arg_int (l, res_v >= 0);
    }
    ovi_gpu_arg_int (l, post.activation);
    ovi_gpu_arg_float (l, post.alpha);
    ovi_gpu_arg_float (l, post.beta);
    if (strcmp (l->kernel, "conv2d_igemm") == 0) {
      ovi_gpu_arg_int (l, x->dims[2]);
      ovi_gpu_arg_int (l, x->dims[3]);
      ovi_gpu_arg_int (l, c.kh);
      ovi_gpu_arg_int (l, c.kw);
      ovi_gpu_arg_int (l, y->dims[3]);
      ovi_gpu_arg_int (l, c.sh);
      ovi_gpu_arg_int (l, c.sw);
      ovi_gpu_arg_int (l, c.ph);
      ovi_gpu_arg_int (l, c.pw);
      ovi_gpu_arg_int (l, c.dh);
      ovi_gpu_arg_int (l, c.dw);
      conv_k_table (b, l, cg, x->dims[2], x->dims[3], &c);
    }
    ovi_gpu_range (l, 3, global, local);
    {
      OviGpuGemmOut out = { .c = bias_v, .r = res_v, .y = y_v, .M = M,
        .N = N, .batch = x->dims[0] * c.group, .groups = c.group,
        .c_inner = M, .scm = 1, .y_outer = y->dims[1] * plane_out,
        .y_inner = M * plane_out, .alpha = 1.0f, .beta = 1.0f,
        .act = post.activation, .act_a = post.alpha, .act_b = post.beta };
      ovi_gpu_gemm_split_k (b, b->launches->len - 1,
          ((M + 63) / 64) * ((N + 63) / 64), K, &out);
    }
  }
  return TRUE;
}

/* The geometry conv_nd and conv_transpose read: per spatial axis the
 * input, output and kernel sizes, strides, dilations and leading pads
 * (nsp entries each), and the products of the first three. */
typedef struct {
  int nsp, geo[18];
  int64_t in_size, out_size, k_size;
} NdGeometry;

/* FALSE for a stride or dilation below 1, or an attribute of the wrong
 * length. */
static gboolean
nd_geometry (const OviNode *n, const OviValue *x, const OviValue *w,
    const OviValue *y, const int64_t *pb, NdGeometry *g)
{
  int nsp = x->rank - 2;
  int64_t sv[3], dv[3];
  if (!ovi_gpu_attr_ints (n, "strides", nsp, 1, sv)
      || !ovi_gpu_attr_ints (n, "dilations", nsp, 1, dv))
    return FALSE;
  g->nsp = nsp;
  g->in_size = g->out_size = g->k_size = 1;
  for (int a = 0; a < nsp; a++) {
    g->geo[a] = (int) x->dims[a + 2];
    g->geo[nsp + a] = (int) y->dims[a + 2];
    g->geo[2 * nsp + a] = (int) w->dims[a + 2];
    g->geo[3 * nsp + a] = (int) sv[a];
    g->geo[4 * nsp + a] = (int) dv[a];
    g->geo[5 * nsp + a] = (int) pb[a];
    if (sv[a] <= 0 || dv[a] <= 0)
      return FALSE;
    g->in_size *= x->dims[a + 2];
    g->out_size *= y->dims[a + 2];
    g->k_size *= w->dims[a + 2];
  }
  return TRUE;
}

/* conv_nd's and conv_transpose's arguments after their tensors: C, M,
 * group, nsp, geo, in_size, out_size, k_size. */
static void
nd_args (OviGpuBuild *b, OviGpuLaunch *l, const OviValue *x,
    const OviValue *y, int64_t group, const NdGeometry *g)
{
  ovi_gpu_arg_int (l, x->dims[1]);
  ovi_gpu_arg_int (l, y->dims[1]);
  ovi_gpu_arg_int (l, group);
  ovi_gpu_arg_int (l, g->nsp);
  ovi_gpu_arg_ints (b, l, g->geo, 6 * g->nsp);
  ovi_gpu_arg_int (l, g->in_size);
  ovi_gpu_arg_int (l, g->out_size);
  ovi_gpu_arg_int (l, g->k_size);
}

/* 3-D Conv, direct (conv_nd), with the fused bias, residual and
 * activation. */
static gboolean
build_conv_3d (OviGpuBuild *b, const OviNode *n)
{
  const OviValue *x, *w, *y;
  int y_v = n->n_outputs == 1 ? n->outputs[0] : -1;
  int bias_v = n->n_inputs > 2 ? n->inputs[2] : -1, res_v;
  int64_t pb[OVI_MAX_RANK], group;
  NdGeometry g;
  OviPostOps post;
  OviGpuOpCtx c;
  OviGpuLaunch *l;

  if (n->n_inputs < 2 || y_v < 0 || !ovi_gpu_is_f32 (b, n->inputs[0])
      || !ovi_gpu_is_f32 (b, n->inputs[1]) || !ovi_gpu_is_f32 (b, y_v)
      || (bias_v >= 0 && !ovi_gpu_is_f32 (b, bias_v))
      || !ovi_gpu_op_ctx_shapes (b, n, &c))
    return FALSE;
  x = ovi_gpu_input (b, n, 0);
  w = ovi_gpu_input (b, n, 1);
  y = ovi_gpu_value (b, y_v);
  group = ovi_node_attr_int (n, "group", 1);
  if (x->rank != 5 || w->rank != 5 || y->rank != 5 || group <= 0
      || x->dims[1] % group || y->dims[1] % group
      || w->dims[0] != y->dims[1] || w->dims[1] != x->dims[1] / group)
    return FALSE;
  ovi_postops_from_node (n, &post);
  res_v = post.sum && n->n_inputs > 3 ? n->inputs[3] : -1;
  if ((post.sum && (res_v < 0 || !ovi_gpu_is_f32 (b, res_v)))
      || (ovi_node_attr_string (n, "ovi.activation", NULL)
          && post.activation == OVI_ACT_NONE))
    return FALSE;
  ovi_cpu_conv_pads (&c.ctx, FALSE, pb);
  if (!nd_geometry (n, x, w, y, pb, &g))
    return FALSE;
  if (ovi_gpu_numel (y) == 0)
    return TRUE;
  l = ovi_gpu_launch (b, "conv", "conv_nd");
  ovi_gpu_arg_value (l, n->inputs[0]);
  ovi_gpu_arg_value (l, n->inputs[1]);
  ovi_gpu_arg_value (l, bias_v >= 0 ? bias_v : y_v);
  ovi_gpu_arg_value (l, res_v >= 0 ? res_v : y_v);
  ovi_gpu_arg_value (l, y_v);
  nd_args (b, l, x, y, group, &g);
  ovi_gpu_arg_int (l, bias_v >= 0);
  ovi_gpu_arg_int (l, res_v >= 0);
  ovi_gpu_arg_int (l, post.activation);
  ovi_gpu_arg_float (l, post.alpha);
  ovi_gpu_arg_float (l, post.beta);
  ovi_gpu_arg_int (l, ovi_gpu_numel (y));
  ovi_gpu_range_1d (l, ovi_gpu_numel (y));
  return TRUE;
}

/* ConvTranspose, float32, 1 to 3 spatial axes (its pads as the CPU's
 * kernel places the output); fused post-ops stay on the CPU. */
static gboolean
build_conv_transpose (OviGpuBuild *b, const OviNode *n)
{
  const OviValue *x, *w, *y;
  int y_v = n->n_outputs == 1 ? n->outputs[0] : -1, nsp;
  int bias_v = n->n_inputs > 2 ? n->inputs[2] : -1;
  int64_t pb[OVI_MAX_RANK], group;
  NdGeometry g;
  OviPostOps post;
  OviGpuOpCtx c;
  OviGpuLaunch *l;

  if (n->n_inputs < 2 || n->n_inputs > 3 || y_v < 0
      || !ovi_gpu_is_f32 (b, n->inputs[0]) || !ovi_gpu_is_f32 (b, n->inputs[1])
      || !ovi_gpu_is_f32 (b, y_v) || (bias_v >= 0 && !ovi_gpu_is_f32 (b,
              bias_v))
      || !ovi_gpu_op_ctx_shapes (b, n, &c))
    return FALSE;
  ovi_postops_from_node (n, &post);
  if (post.sum || post.activation != OVI_ACT_NONE
      || ovi_node_attr_string (n, "ovi.activation", NULL))
    return FALSE;
  x = ovi_gpu_input (b, n, 0);
  w = ovi_gpu_input (b, n, 1);
  y = ovi_gpu_value (b, y_v);
  nsp = x->rank - 2;
  group = ovi_node_attr_int (n, "group", 1);
  if (nsp < 1 || nsp > 3 || w->rank != x->rank || y->rank != x->rank
      || group <= 0 || x->dims[1] % group || y->dims[1] % group
      || w->dims[0] != x->dims[1] || w->dims[1] != y->dims[1] / group)
    return FALSE;
  ovi_cpu_conv_pads (&c.ctx, TRUE, pb);
  if (!nd_geometry (n, x, w, y, pb, &g))
    return FALSE;
  if (ovi_gpu_numel (y) == 0)
    return TRUE;
  l = ovi_gpu_launch (b, "conv", "conv_transpose");
  ovi_gpu_arg_value (l, n->inputs[0]);
  ovi_gpu_arg_value (l, n->inputs[1]);
  ovi_gpu_arg_value (l, bias_v >= 0 ? bias_v : y_v);
  ovi_gpu_arg_value (l, y_v);
  nd_args (b, l, x, y, group, &g);
  ovi_gpu_arg_int (l, bias_v >= 0);
  ovi_gpu_arg_int (l, ovi_gpu_numel (y));
  ovi_gpu_range_1d (l, ovi_gpu_numel (y));
  return TRUE;
}

const OviGpuOp ovi_gpu_ops_conv[] = {
  { "ConvTranspose", build_conv_transpose },
  { "Conv", build_conv },
  { "Conv", build_conv_3d },
  { NULL, NULL },
};
