/* The CPU's channel-blocked convolutions as kernels (conv-blocked.h):
 * the state and run of a Conv marked OVI_ATTR_BLOCKED, which op-conv.c
 * hands here, and the reorder ops passes/block-layout.c inserts. Work is
 * split between threads as contiguous ranges: output rows of channel
 * blocks for depthwise, panels of output channels (or positions, when
 * there are too few panels) for 1x1, runs of six output pixels of each
 * panel for dense (Winograd splits its own phases). */
#include <math.h>
#include <string.h>

#include "conv-blocked.h"
#include "cpu-ops.h"
#include "cpu-parallel.h"
#include "cpu-scratch.h"
#include "cpu-sgemm.h"
#include "cpu-steal.h"
#include "cpu-widen.h"
#include "passes/passes.h"

struct _OviConvBlocked {
  OviBlockedConv kind;
  OviDepthwise d;           /* geometry, for depthwise, direct and dense */
  int64_t n, c, m, hw;      /* batch, channels in and out, input positions */
  int64_t k;                /* inputs per output of the packed GEMM panels */
  OviPostOps ops;
  gboolean winograd;        /* a dense 3x3 convolution run as Winograd */
  OviWinograd wg;
  /* A 1x1 over a single position (squeeze-and-excitation's layers): a
   * row-vector product, its weights in ovi_sgemm_pack_b_rows' panels,
   * then the bias. One position's blocked channels are its plain ones. */
  gboolean vector;
  float *packed;
};

/* Where a vector convolution's bias follows its packed weights, in
 * floats. */
static int64_t
vector_bias_offset (const OviConvBlocked *cb)
{
  return (int64_t) (ovi_sgemm_packed_b_rows_size (cb->c, cb->m)
      / sizeof (float));
}

OviConvBlocked *
ovi_conv_blocked_new (OviOpCtx *ctx, int kind, const OviDepthwise *d,
    GError **error)
{
  const OviTensor *x = ctx->inputs[0], *w = ctx->inputs[1];
  const OviTensor *b = ovi_op_input (ctx, 2);
  OviConvBlocked *cb;
  int64_t floats;

  if (w->data == NULL || (b && b->data == NULL)) {
    g_set_error (error, OVI_ERROR, OVI_ERROR_UNSUPPORTED,
        "%s: node '%s' (Conv): the blocked layout needs constant weights",
        ctx->source, ctx->node->name);
    return NULL;
  }
  cb = g_new0 (OviConvBlocked, 1);
  cb->kind = kind;
  cb->d = *d;
  cb->n = x->dims[0];
  cb->c = x->dims[1];
  cb->m = w->dims[0];
  cb->hw = x->dims[2] * x->dims[3];
  ovi_postops_from_node (ctx->node, &cb->ops);
  /* a direct or dense convolution's weights as a 1x1's of c x kh x kw
   * inputs */
  cb->k = kind == OVI_BLOCKED_CONV_DIRECT || kind == OVI_BLOCKED_CONV_DENSE
      ? cb->c * d->kh * d->kw : cb->c;
  cb->winograd = kind == OVI_BLOCKED_CONV_DENSE
      && ovi_blocked_winograd_shape (d, cb->c, cb->m, &cb->wg);
  cb->vector = kind == OVI_BLOCKED_CONV_POINTWISE && cb->hw == 1;
  floats = cb->vector ? vector_bias_offset (cb) + cb->m
      : kind == OVI_BLOCKED_CONV_DEPTHWISE
      ? ovi_blocked_depthwise_packed_floats (d, cb->c) : cb->winograd
      ? ovi_blocked_winograd_packed_floats (&cb->wg)
      : ovi_blocked_pointwise_packed_floats (cb->k, cb->m);
  cb->packed = ovi_aligned_alloc_streamed (sizeof (float) * floats);
  if (cb->packed == NULL) {
    g_free (cb);
    ovi_cpu_out_of_memory (ctx, error);
    return NULL;
  }
  if (cb->vector) {
    float *bias = cb->packed + vector_bias_offset (cb);
    ovi_sgemm_pack_b_rows (TRUE, cb->c, cb->m, w->data, cb->c, cb->packed);
    for (int64_t o = 0; o < cb->m; o++)
      bias[o] = b ? ((const float *) b->data)[o] : 0.0f;
  } else if (kind == OVI_BLOCKED_CONV_DEPTHWISE)
    ovi_blocked_depthwise_pack (d, cb->c, w->data, b ? b->data : NULL,
        cb->packed);
  else if (cb->winograd)
    ovi_blocked_winograd_pack (&cb->wg, w->data, b ? b->data : NULL,
        cb->packed);
  else if (kind == OVI_BLOCKED_CONV_DENSE)
    ovi_blocked_dense_pack (d, cb->c, cb->m, w->data, b ? b->data : NULL,
        cb->packed);
  else
    ovi_blocked_pointwise_pack (cb->k, cb->m, w->data, b ? b->data : NULL,
        cb->packed);
  ctx->packed_inputs |= 1u << 1 | (b ? 1u << 2 : 0);
  return cb;
}

void
ovi_conv_blocked_free (OviConvBlocked *cb)
{
  if (cb == NULL)
    return;
  ovi_aligned_free (cb->packed);
  g_free (cb);
}

/* Depthwise and direct: output rows shared by the threads, row r of
 * image r / (planes x oh), then of channel block (depthwise; a direct
 * convolution's row covers every block) and row within it. A direct
 * convolution that pads reads a padded copy of each image in xp, made
 * first by channels. */
static void
run_rows (const OviConvBlocked *cb, const float *x, const float *res,
    float *y, float *xp, int threads)
{
  const OviDepthwise *d = &cb->d;
  gboolean depthwise = cb->kind == OVI_BLOCKED_CONV_DEPTHWISE;
  int64_t per_image = (depthwise ? cb->m / OVI_BLOCK : 1) * d->oh;
  int64_t in_image = cb->c * cb->hw, out_image = cb->m * d->oh * d->ow;
  const OviPostOps *ops = ovi_postops_any (&cb->ops) ? &cb->ops : NULL;
  OviDepthwise pd;
  /* with a padded copy, one image at a time */
  int64_t images = xp ? 1 : cb->n, rows = images * per_image;
  /* runs of rows the threads share (cpu-steal.h), about eight each */
  int64_t grain = MAX (1, rows / (8 * (int64_t) MAX (threads, 1)));
  int64_t items = (rows + grain - 1) / grain;
  OviSteal steal;

  if (xp)
    ovi_blocked_direct_padded (d, &pd);
  for (int64_t i0 = 0; i0 < cb->n; i0 += images) {
    if (xp) {
      OVI_PARALLEL_REGION (threads > 1 ? OVI_PARALLEL_MIN_WORK : 0, tid,
          nth, {
        int64_t c0, c1;
        ovi_parallel_slice (cb->c, tid, nth, &c0, &c1);
        ovi_blocked_direct_pad (d, x + i0 * in_image, xp, c0, c1);
      });
    }
    ovi_steal_init (&steal, items, threads);
    OVI_PARALLEL_REGION (threads > 1 ? OVI_PARALLEL_MIN_WORK : 0, tid, nth, {
      int64_t item;
      gboolean own;
      while (ovi_steal_next (&steal, tid, &item, &own)) {
        int64_t r0 = item * grain, r1 = MIN (rows, r0 + grain);
        while (r0 < r1) {
          int64_t img = i0 + r0 / per_image, rem = r0 % per_image;
          int64_t blk = rem / d->oh, oh = rem % d->oh;
          int64_t end = MIN (d->oh, oh + (r1 - r0));
          const float *xi = x + img * in_image;
          const float *ri = res ? res + img * out_image : NULL;
          float *yi = y + img * out_image;
          if (depthwise)
            ovi_blocked_depthwise_rows (d, xi, cb->packed, ops, ri, yi, blk,
                oh, end);
          else if (xp)
            ovi_blocked_direct_rows (&pd, cb->c, cb->m, xp, cb->packed, ops,
                ri, yi, oh, end);
          else
            ovi_blocked_direct_rows (d, cb->c, cb->m, xi, cb->packed, ops,
                ri, yi, oh, end);
          r0 += end - oh;
        }
      }
    });
  }
}

/* A 1x1 convolution's work as items the threads share (cpu-steal.h), per
 * image. Groups of panels (the kernel's) when there are at least two per
 * thread and at least as many output channels as positions (the weights
 * at least the input); otherwise about eight runs of positions per
 * thread, each of about `grain` positions. A thread reads the whole of the
 * operand its items do not split: split by panels, ResNet-50's 256 -> 64
 * at 56x56 had each core read all 3.2 MB of input for 64 KiB of weights. */
typedef struct {
  gboolean panels;
  int64_t per_image, grain;
} PointwiseItems;

static PointwiseItems
pointwise_items (const OviConvBlocked *cb, int64_t hw, int threads)
{
  PointwiseItems it;
  int64_t panels = ovi_blocked_pointwise_panels (cb->m);
  int64_t rows = ovi_blocked_pointwise_rows ();
  int64_t group = ovi_blocked_pointwise_group ();
  int64_t blocks = (hw + rows - 1) / rows;

  it.panels = panels >= 2 * threads && cb->m >= hw;
  if (it.panels) {
    it.grain = group;
    it.per_image = (panels + group - 1) / group;
  } else {
    it.grain = MAX (1, blocks / (8 * (int64_t) threads)) * rows;
    it.per_image = (hw + it.grain - 1) / it.grain;
  }
  return it;
}

/* Item i of a 1x1 of hw positions per image; `ahead`: whether the
 * thread's next item is the next one (the kernel then prefetches the
 * weights of its panels). */
static void
pointwise_item (const OviConvBlocked *cb, const PointwiseItems *it,
    int64_t hw, const float *x, const float *res, float *y, int64_t i,
    gboolean ahead)
{
  int64_t img = i / it->per_image, k = i % it->per_image;
  int64_t panels = ovi_blocked_pointwise_panels (cb->m);
  const OviPostOps *ops = ovi_postops_any (&cb->ops) ? &cb->ops : NULL;
  const float *xi = x + img * cb->c * hw;
  const float *ri = res ? res + img * cb->m * hw : NULL;
  float *yi = y + img * cb->m * hw;

  if (it->panels) {
    int64_t q0 = k * it->grain, q1 = MIN (panels, q0 + it->grain);
    int64_t q2 = ahead && k + 1 < it->per_image ? MIN (panels,
        q1 + it->grain) : q1;
    ovi_blocked_pointwise_range_ahead (cb->c, cb->m, hw, xi, cb->packed, ops,
        ri, yi, q0, q1, q2, 0, hw);
  } else {
    /* runs as even as the blocks (the kernel evens out its blocks within
     * a run): no run keeps a short remainder of positions */
    ovi_blocked_pointwise_range (cb->c, cb->m, hw, xi, cb->packed, ops, ri,
        yi, 0, panels, k * hw / it->per_image, (k + 1) * hw / it->per_image);
  }
}

/* n images of hw positions (the subsampled plane for a strided 1x1). */
static void
run_pointwise (const OviConvBlocked *cb, int64_t n, int64_t hw,
    const float *x, const float *res, float *y, int threads)
{
  PointwiseItems it = pointwise_items (cb, hw, threads);
  OviSteal steal;

  ovi_steal_init (&steal, n * it.per_image, threads);
  OVI_PARALLEL_REGION (threads > 1 ? OVI_PARALLEL_MIN_WORK : 0, tid, nth, {
    int64_t i;
    gboolean own;
    while (ovi_steal_next (&steal, tid, &i, &own))
      pointwise_item (cb, &it, hw, x, res, y, i,
          own && ovi_steal_has_more (&steal, tid));
  });
}

/* What a row-vector product's epilogue finishes: bias, then post-ops. */
typedef struct {
  const float *bias;
  const OviPostOps *ops;
  const float *res;
} VectorEpilogue;

static void
vector_epilogue (gpointer data, float *c, int64_t ldc, int64_t i0,
    int64_t j0, int64_t rows, int64_t cols)
{
  const VectorEpilogue *e = data;
  (void) ldc;
  (void) i0;
  (void) rows;
  for (int64_t j = 0; j < cols; j++)
    c[j] += e->bias[j0 + j];
  if (e->ops)
    ovi_postops_apply (e->ops, c, e->res ? e->res + j0 : NULL, cols);
}

static void
run_vector (const OviConvBlocked *cb, const float *x, const float *res,
    float *y, int threads)
{
  VectorEpilogue e = { cb->packed + vector_bias_offset (cb),
    ovi_postops_any (&cb->ops) ? &cb->ops : NULL, NULL };
  for (int64_t img = 0; img < cb->n; img++) {
    OviSgemm g = { .m = 1, .n = cb->m, .k = cb->c, .alpha = 1.0f,
      .a = x + img * cb->c, .lda = cb->c, .packed_b_rows = cb->packed,
      .c = y + img * cb->m, .ldc = cb->m, .epilogue = vector_epilogue,
      .epilogue_data = &e };
    e.res = res ? res + img * cb->m : NULL;
    ovi_sgemm_run (&g, NULL, threads);
  }
}

/* The scratch of a dense convolution: Winograd's transformed tiles, the
 * subsampled image of a strided 1x1, or the padded image when it pads; of
 * a direct one, the padded image when it pads; NULL when it needs none. */
static void *
blocked_scratch_layout (OviScratch *s, int kind, const OviDepthwise *d,
    int64_t c, int64_t m)
{
  OviWinograd wg;
  if (kind == OVI_BLOCKED_CONV_DIRECT && ovi_blocked_dense_needs_padding (d)) {
    OviDepthwise pd;
    ovi_blocked_direct_padded (d, &pd);
    return ovi_scratch_take (s, c * pd.h * pd.w, sizeof (float));
  }
  if (kind != OVI_BLOCKED_CONV_DENSE)
    return NULL;
  if (ovi_blocked_winograd_shape (d, c, m, &wg))
    return ovi_scratch_take (s, ovi_blocked_winograd_scratch_size (&wg), 1);
  if (ovi_blocked_dense_subsamples (d))
    return ovi_scratch_take (s, c * d->oh * d->ow, sizeof (float));
  if (!ovi_blocked_dense_needs_padding (d))
    return NULL;
  return ovi_scratch_take (s, ovi_blocked_dense_padded_floats (d, c),
      sizeof (float));
}

gsize
ovi_conv_blocked_scratch_size (int kind, const OviDepthwise *d, int64_t c,
    int64_t m)
{
  OviScratch s;
  ovi_scratch_begin (&s, NULL);
  blocked_scratch_layout (&s, kind, d, c, m);
  return s.used;
}

/* One image of a dense convolution (x the padded copy where it pads) as
 * items the threads share (cpu-steal.h). The kernel's own items are
 * (group of panels, block of pixels), group-major: a thread's run of them
 * keeps its panels' weights in cache. By pixels (the input larger than
 * the weights), an item is a run of pixel blocks of one group, run-major,
 * so that a thread's items cover its own pixels with every group. About
 * sixteen items per thread. */
static void
run_dense_items (const OviConvBlocked *cb, const float *x, const float *res,
    float *y, const OviPostOps *ops, gboolean by_pixels, int threads)
{
  const OviDepthwise *d = &cb->d;
  int64_t kitems = ovi_blocked_dense_items (d, cb->m);
  int64_t blocks = ovi_blocked_dense_blocks (d, cb->m);
  int64_t groups = kitems / blocks;
  int64_t grain = MAX (1, (by_pixels ? blocks : kitems)
      / (16 * (int64_t) threads));
  int64_t runs = (blocks + grain - 1) / grain;
  int64_t items = by_pixels ? runs * groups : (kitems + grain - 1) / grain;
  OviSteal steal;

  ovi_steal_init (&steal, items, threads);
  OVI_PARALLEL_REGION (threads > 1 ? OVI_PARALLEL_MIN_WORK : 0, tid, nth, {
    int64_t i, i0, i1;
    gboolean own;
    while (ovi_steal_next (&steal, tid, &i, &own)) {
      if (by_pixels) {
        int64_t g = i % groups, r = i / groups;
        i0 = g * blocks + r * grain;
        i1 = g * blocks + MIN (blocks, (r + 1) * grain);
      } else {
        i0 = i * grain;
        i1 = MIN (kitems, i0 + grain);
      }
      ovi_blocked_dense_range (d, cb->c, cb->m, x, cb->packed, ops, res, y,
          i0, i1);
    }
  });
}

/* Dense: per image, Winograd; or the subsampled image of a strided 1x1
 * and the 1x1 kernel over it; or the padded copy (when the geometry
 * pads) made by channel blocks, then the kernel's items. */
static gboolean
run_dense (const OviConvBlocked *cb, OviOpCtx *ctx, const float *x,
    const float *res, float *y, int threads, GError **error)
{
  const OviDepthwise *d = &cb->d;
  int64_t in_image = cb->c * cb->hw, out_image = cb->m * d->oh * d->ow;
  /* As for 1x1s (pointwise_items): split the pixels when the input is
   * larger than the weights, which every thread then reads whole; else
   * the groups of panels, and each thread reads the whole input. */
  gboolean by_pixels = cb->c * cb->hw > cb->k * cb->m;
  const OviPostOps *ops = ovi_postops_any (&cb->ops) ? &cb->ops : NULL;
  gboolean pad = !cb->winograd && ovi_blocked_dense_needs_padding (d);
  gboolean subsample = ovi_blocked_dense_subsamples (d);
  OviScratch s;
  float *xp;

  ovi_scratch_begin (&s, ctx);
  xp = blocked_scratch_layout (&s, cb->kind, d, cb->c, cb->m);
  if ((pad || subsample || cb->winograd)
      && !ovi_scratch_check (ctx, &s, error))
    return FALSE;
  for (int64_t img = 0; img < cb->n; img++) {
    const float *xi = x + img * in_image;
    const float *ri = res ? res + img * out_image : NULL;
    float *yi = y + img * out_image;
    if (cb->winograd) {
      ovi_blocked_winograd_run (&cb->wg, cb->packed, ops, xi, ri, yi, xp,
          threads);
      continue;
    }
    /* the subsampled or padded image, made by channel blocks */
    if (subsample || pad) {
      int64_t blocks = cb->c / OVI_BLOCK;
      OVI_PARALLEL_REGION (threads > 1 ? OVI_PARALLEL_MIN_WORK : 0, tid,
          nth, {
        int64_t b0, b1;
        ovi_parallel_slice (blocks, tid, nth, &b0, &b1);
        if (subsample)
          ovi_blocked_dense_subsample (d, xi, xp, b0, b1);
        else
          ovi_blocked_dense_pad (d, xi, xp, b0, b1);
      });
      xi = xp;
    }
    if (subsample)
      run_pointwise (cb, 1, d->oh * d->ow, xi, ri, yi, threads);
    else
      run_dense_items (cb, xi, ri, yi, ops, by_pixels, threads);
  }
  return TRUE;
}

gboolean
ovi_conv_blocked_run (const OviConvBlocked *cb, OviOpCtx *ctx,
    GError **error)
{
  const OviTensor *rt = ovi_op_input (ctx, 3);
  const float *res = cb->ops.sum && rt ? rt->data : NULL;
  int64_t macs = ovi_tensor_numel (ctx->outputs[0])
      * (cb->kind == OVI_BLOCKED_CONV_DEPTHWISE ? cb->d.kh * cb->d.kw : cb->k);
  int threads = ovi_sgemm_threads (OVI_SGEMM_WORK (macs), ctx->max_threads);

  if (ovi_tensor_numel (ctx->outputs[0]) == 0)
    return TRUE;
  if (cb->kind == OVI_BLOCKED_CONV_DENSE)
    return run_dense (cb, ctx, ctx->inputs[0]->data, res,
        ctx->outputs[0]->data, threads, error);
  if (cb->vector)
    run_vector (cb, ctx->inputs[0]->data, res, ctx->outputs[0]->data,
        threads);
  else if (cb->kind != OVI_BLOCKED_CONV_POINTWISE) {
    float *xp = NULL;
    if (cb->kind == OVI_BLOCKED_CONV_DIRECT) {
      OviScratch s;
      ovi_scratch_begin (&s, ctx);
      xp = blocked_scratch_layout (&s, cb->kind, &cb->d, cb->c, cb->m);
      if (xp && !ovi_scratch_check (ctx, &s, error))
        return FALSE;
    }
    run_rows (cb, ctx->inputs[0]->data, res, ctx->outputs[0]->data, xp,
        threads);
  } else
    run_pointwise (cb, cb->n, cb->hw, ctx->inputs[0]->data, res,
        ctx->outputs[0]->data, threads);
  return TRUE;
}

/* A node marked blocked whose shapes the kernel does not take: only a
 * model file setting the attribute itself gets here. */
static gboolean
blocked_shape_error (OviOpCtx *ctx, GError **error)
{
  g_set_error (error, OVI_ERROR, OVI_ERROR_UNSUPPORTED,
      "%s: node '%s' (%s): %s is set on shapes the blocked layout does not "
      "run", ctx->source, ctx->node->name, ctx->node->op_type,
      OVI_ATTR_BLOCKED);
  return FALSE;
}

static gboolean
blocked_tensor (const OviTensor *t)
{
  return t && t->dtype == OVI_DTYPE_FLOAT32 && t->rank == 4
      && t->dims[1] % OVI_BLOCK == 0;
}

/* One channel block of hw positions times its eight scales, and the
 * block's mean over its positions: plain loops gcc vectorizes, compiled
 * for the baseline, AVX2 and AVX-512 (pairs of positions per register),
 * the widest the CPU has chosen at run time. */
static inline __attribute__((always_inline)) void
scale_block_body (const float *x, const float *sc, int64_t hw, float *y)
{
  for (int64_t p = 0; p < hw; p++)
    for (int j = 0; j < OVI_BLOCK; j++)
      y[p * OVI_BLOCK + j] = x[p * OVI_BLOCK + j] * sc[j];
}

static inline __attribute__((always_inline)) void
average_block_body (const float *x, int64_t hw, float *y)
{
  /* two partial sums: pairs of positions fill a 16-float register */
  float sum[2 * OVI_BLOCK] = { 0 };
  int64_t p = 0;
  for (; p + 2 <= hw; p += 2)
    for (int j = 0; j < 2 * OVI_BLOCK; j++)
      sum[j] += x[p * OVI_BLOCK + j];
  for (; p < hw; p++)
    for (int j = 0; j < OVI_BLOCK; j++)
      sum[j] += x[p * OVI_BLOCK + j];
  for (int j = 0; j < OVI_BLOCK; j++)
    y[j] = hw > 0 ? (sum[j] + sum[OVI_BLOCK + j]) / hw : NAN;
}

#if defined(__x86_64__) || defined(__i386__)
__attribute__((target ("avx512f,avx512vl,avx512dq,avx512bw,avx2,fma")))
static void
scale_block_avx512 (const float *x, const float *sc, int64_t hw, float *y)
{
  scale_block_body (x, sc, hw, y);
}

__attribute__((target ("avx2,fma")))
static void
scale_block_avx2 (const float *x, const float *sc, int64_t hw, float *y)
{
  scale_block_body (x, sc, hw, y);
}

__attribute__((target ("avx512f,avx512vl,avx512dq,avx512bw,avx2,fma")))
static void
average_block_avx512 (const float *x, int64_t hw, float *y)
{
  average_block_body (x, hw, y);
}

__attribute__((target ("avx2,fma")))
static void
average_block_avx2 (const float *x, int64_t hw, float *y)
{
  average_block_body (x, hw, y);
}
#endif

static void
scale_block (const float *x, const float *sc, int64_t hw, float *y)
{
#if defined(__x86_64__) || defined(__i386__)
  if (ovi_cpu_have_avx512 ())
    scale_block_avx512 (x, sc, hw, y);
  else if (ovi_sgemm_have_avx2 ())
    scale_block_avx2 (x, sc, hw, y);
  else
#endif
    scale_block_body (x, sc, hw, y);
}

static void
average_block (const float *x, int64_t hw, float *y)
{
#if defined(__x86_64__) || defined(__i386__)
  if (ovi_cpu_have_avx512 ())
    average_block_avx512 (x, hw, y);
  else if (ovi_sgemm_have_avx2 ())
    average_block_avx2 (x, hw, y);
  else
#endif
    average_block_body (x, hw, y);
}

gboolean
ovi_blocked_scale_run (OviOpCtx *ctx, GError **error)
{
  const OviTensor *y = ctx->outputs[0], *x = NULL, *s = NULL;
  int64_t n, blocks, hw;

  for (int k = 0; k < 2 && ctx->n_inputs == 2; k++) {
    const OviTensor *a = ctx->inputs[k], *b = ctx->inputs[1 - k];
    if (blocked_tensor (a) && blocked_tensor (b) && blocked_tensor (y)
        && ovi_shape_equal (a->rank, a->dims, y->rank, y->dims)
        && b->dims[1] == y->dims[1] && b->dims[2] == 1 && b->dims[3] == 1
        && (b->dims[0] == 1 || b->dims[0] == y->dims[0])) {
      x = a;
      s = b;
      break;
    }
  }
  if (x == NULL)
    return blocked_shape_error (ctx, error);
  n = y->dims[0];
  blocks = y->dims[1] / OVI_BLOCK;
  hw = y->dims[2] * y->dims[3];
  OVI_PARALLEL_FOR (n * blocks * hw * OVI_BLOCK / 4,
      for (int64_t i = 0; i < n * blocks; i++), {
    const float *sc = (const float *) s->data
        + (s->dims[0] == 1 ? 0 : i / blocks * y->dims[1])
        + i % blocks * OVI_BLOCK;
    scale_block ((const float *) x->data + i * hw * OVI_BLOCK, sc, hw,
        (float *) y->data + i * hw * OVI_BLOCK);
  });
  return TRUE;
}

gboolean
ovi_blocked_global_average_run (OviOpCtx *ctx, GError **error)
{
  const OviTensor *x = ctx->inputs[0];
  int64_t n, blocks, hw;
  float *y = ctx->outputs[0]->data;

  if (!blocked_tensor (x))
    return blocked_shape_error (ctx, error);
  n = x->dims[0];
  blocks = x->dims[1] / OVI_BLOCK;
  hw = x->dims[2] * x->dims[3];
  /* y [N, C, 1, 1]: the same in both layouts */
  OVI_PARALLEL_FOR (n * blocks * hw * OVI_BLOCK / 4,
      for (int64_t i = 0; i < n * blocks; i++),
    average_block ((const float *) x->data + i * hw * OVI_BLOCK, hw,
        y + i * OVI_BLOCK););
  return TRUE;
}

/* The reorders: infer (inference/ops) has checked float32 [N, C, H, W]
 * with C a multiple of 8. */
static gboolean
run_reorder (OviOpCtx *ctx, gboolean to_blocked)
{
  const OviTensor *x = ctx->inputs[0];
  int64_t blocks = x->dims[1] / OVI_BLOCK, hw = x->dims[2] * x->dims[3];
  int64_t total = x->dims[0] * blocks, image = x->dims[1] * hw;
  const float *src = x->data;
  float *dst = ctx->outputs[0]->data;

  OVI_PARALLEL_FOR (total * hw * OVI_BLOCK / 4,
      for (int64_t i = 0; i < total; i++), {
    int64_t img = i / blocks, blk = i % blocks;
    if (to_blocked)
      ovi_blocked_from_plain (src + img * image, hw, blk, blk + 1,
          dst + img * image);
    else
      ovi_blocked_to_plain (src + img * image, hw, blk, blk + 1,
          dst + img * image);
  });
  return TRUE;
}

static gboolean
run_to_blocked (OviOpCtx *ctx, GError **error)
{
  return run_reorder (ctx, TRUE);
}

static gboolean
run_to_plain (OviOpCtx *ctx, GError **error)
{
  return run_reorder (ctx, FALSE);
}

const OviCpuKernel ovi_cpu_layout[] = {
  { OVI_OP_TO_BLOCKED, run_to_blocked },
  { OVI_OP_TO_PLAIN, run_to_plain },
  { NULL }
};
