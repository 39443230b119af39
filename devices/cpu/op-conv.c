/* CPU kernels for Conv and ConvTranspose.
 *
 * float32 Conv is im2col + GEMM (cpu-sgemm.h): a plain GEMM for 1x1
 * stride-1 convolutions, a direct loop for depthwise ones. Constant
 * weights are packed once per plan (prepare); the bias and the fused
 * post-ops (residual sum, activation: cpu-postops.h) finish each output
 * tile right after its GEMM, while it is in cache. Every buffer comes from
 * the kernel's scratch. Other types compute in double with direct loops,
 * allocating their temporaries per call. */
#include <string.h>
#include <math.h>

#if defined(__x86_64__) || defined(__i386__)
#define OVI_CONV_X86 1
#else
#define OVI_CONV_X86 0
#endif

#include "conv-blocked.h"
#include "conv-depthwise.h"
#include "conv-range.h"
#include "conv-winograd.h"
#include "cpu-ops.h"
#include "cpu-parallel.h"
#include "cpu-postops.h"
#include "cpu-scratch.h"
#include "cpu-sgemm.h"
#include "cpu-store-v8.h"
#include "cpu-widen.h"
#include "passes/passes.h"

/* The vector helpers of cpu-v8.h pass 32-byte vectors by value, which gcc
 * warns changes the calling convention between AVX and non-AVX code; they
 * are all always_inline, so no such call is ever made. */
#pragma GCC diagnostic ignored "-Wpsabi"

#define PAR_WORK(macs) OVI_SGEMM_WORK (macs)


typedef struct {
  int nsp;
  int64_t n, c, m;              /* batch, input and output channels */
  int64_t group, cg, mg;        /* per-group channels */
  int64_t in[OVI_MAX_RANK], out[OVI_MAX_RANK], k[OVI_MAX_RANK];
  int64_t s[OVI_MAX_RANK], d[OVI_MAX_RANK], pb[OVI_MAX_RANK];
  int64_t in_size, out_size, k_size;
  int64_t in_stride[OVI_MAX_RANK], out_stride[OVI_MAX_RANK];
} ConvGeom;

/* Reads an ints attribute of n values; the default when absent (infer
 * has already checked the count). */
static void
get_ints (const OviNode *node, const char *name, int n, int64_t def,
    int64_t *out)
{
  const int64_t *v;
  int count = ovi_node_attr_ints (node, name, &v);
  for (int i = 0; i < n; i++)
    out[i] = count == n ? v[i] : def;
}

/* Geometry from the attributes and the shapes infer has set; pads at the
 * start of each axis follow from auto_pad and the shapes. */
static void
conv_geom (OviOpCtx *ctx, gboolean transpose, ConvGeom *g)
{
  const OviTensor *x = ctx->inputs[0], *w = ctx->inputs[1];
  const OviTensor *y = ctx->outputs[0];
  const char *ap = ovi_node_attr_string (ctx->node, "auto_pad", "NOTSET");
  gboolean upper = strcmp (ap, "SAME_UPPER") == 0;
  gboolean same = upper || strcmp (ap, "SAME_LOWER") == 0;
  gboolean valid = strcmp (ap, "VALID") == 0;
  const int64_t *os;
  gboolean has_os = ovi_node_attr_ints (ctx->node, "output_shape", &os) >= 0;
  int64_t pads[2 * OVI_MAX_RANK], opad[OVI_MAX_RANK];
  int nsp = x->rank - 2;

  memset (g, 0, sizeof (*g));
  g->nsp = nsp;
  g->n = x->dims[0];
  g->c = x->dims[1];
  g->m = y->dims[1];
  g->group = ovi_node_attr_int (ctx->node, "group", 1);
  g->cg = g->c / g->group;
  g->mg = g->m / g->group;
  get_ints (ctx->node, "strides", nsp, 1, g->s);
  get_ints (ctx->node, "dilations", nsp, 1, g->d);
  get_ints (ctx->node, "pads", 2 * nsp, 0, pads);
  get_ints (ctx->node, "output_padding", nsp, 0, opad);
  g->in_size = g->out_size = g->k_size = 1;
  for (int i = nsp - 1; i >= 0; i--) {
    int64_t ek;
    g->in[i] = x->dims[i + 2];
    g->out[i] = y->dims[i + 2];
    g->k[i] = w->dims[i + 2];
    g->in_stride[i] = g->in_size;
    g->out_stride[i] = g->out_size;
    g->in_size *= g->in[i];
    g->out_size *= g->out[i];
    g->k_size *= g->k[i];
    ek = (g->k[i] - 1) * g->d[i] + 1;
    if (!transpose) {
      if (same) {
        int64_t total = MAX (0, (g->out[i] - 1) * g->s[i] + ek - g->in[i]);
        g->pb[i] = upper ? total / 2 : total - total / 2;
      } else {
        g->pb[i] = valid ? 0 : pads[i];
      }
    } else {
      if (has_os || same) {
        int64_t total = g->s[i] * (g->in[i] - 1) + opad[i] + ek - g->out[i];
        g->pb[i] = total <= 0 ? 0 : upper ? total / 2 : total - total / 2;
      } else {
        g->pb[i] = valid ? 0 : pads[i];
      }
    }
  }
}

void
ovi_cpu_conv_pads (OviOpCtx *ctx, gboolean transpose, int64_t *begin)
{
  ConvGeom g;
  conv_geom (ctx, transpose, &g);
  memcpy (begin, g.pb, sizeof (int64_t) * g.nsp);
}

/* im2col of one group's Cg channels for output lines [l0, l1): row
 * (c, kernel position), column (line - l0) * OW + ow. A line is a run of
 * the last output axis. */
static void
im2col_f32 (const ConvGeom *g, const float *xg, int64_t l0, int64_t l1,
    float *col)
{
  int nsp = g->nsp;
  int64_t ow_n = g->out[nsp - 1], w_n = g->in[nsp - 1];
  int64_t sw = g->s[nsp - 1];
  int64_t ncols = (l1 - l0) * ow_n;
  int64_t rows = g->cg * g->k_size;

  /* A copied element per step. */
  OVI_PARALLEL_FOR (rows * ncols, for (int64_t r = 0; r < rows; r++), {
    int64_t c = r / g->k_size, kp = r % g->k_size;
    int64_t kc[OVI_MAX_RANK], oc[OVI_MAX_RANK];
    const float *xc = xg + c * g->in_size;
    float *dst = col + r * ncols;
    int64_t off_w, lo, hi, rem;

    for (int i = nsp - 1; i >= 0; i--) {
      kc[i] = kp % g->k[i];
      kp /= g->k[i];
    }
    off_w = kc[nsp - 1] * g->d[nsp - 1] - g->pb[nsp - 1];
    ovi_conv_valid_range (ow_n, w_n, sw, off_w, &lo, &hi);
    /* Output coordinates of line l0 on the outer axes, then stepped. */
    rem = l0;
    for (int i = nsp - 2; i >= 0; i--) {
      oc[i] = rem % g->out[i];
      rem /= g->out[i];
    }
    for (int64_t l = l0; l < l1; l++, dst += ow_n) {
      int64_t base = 0;
      gboolean inside = lo < hi;
      for (int i = 0; i < nsp - 1 && inside; i++) {
        int64_t pos = oc[i] * g->s[i] + kc[i] * g->d[i] - g->pb[i];
        inside = pos >= 0 && pos < g->in[i];
        base += pos * g->in_stride[i];
      }
      for (int i = nsp - 2; i >= 0; i--) {
        if (++oc[i] < g->out[i])
          break;
        oc[i] = 0;
      }
      if (!inside) {
        memset (dst, 0, sizeof (float) * ow_n);
        continue;
      }
      if (lo > 0)
        memset (dst, 0, sizeof (float) * lo);
      if (sw == 1) {
        memcpy (dst + lo, xc + base + lo + off_w, sizeof (float) * (hi - lo));
      } else {
        const float *src = xc + base + lo * sw + off_w;
        for (int64_t o = lo; o < hi; o++, src += sw)
          dst[o] = *src;
      }
      if (hi < ow_n)
        memset (dst + hi, 0, sizeof (float) * (ow_n - hi));
    }
  });
}

static void
dw_shape (const ConvGeom *g, OviDepthwise *d)
{
  gboolean two = g->nsp == 2;
  int last = g->nsp - 1;
  d->h = two ? g->in[0] : 1;
  d->w = g->in[last];
  d->oh = two ? g->out[0] : 1;
  d->ow = g->out[last];
  d->kh = two ? g->k[0] : 1;
  d->kw = g->k[last];
  d->sh = two ? g->s[0] : 1;
  d->sw = g->s[last];
  d->dh = two ? g->d[0] : 1;
  d->dw = g->d[last];
  d->ph = two ? g->pb[0] : 0;
  d->pw = g->pb[last];
}

void
ovi_cpu_conv_geometry (OviOpCtx *ctx, OviDepthwise *d)
{
  ConvGeom g;
  conv_geom (ctx, FALSE, &g);
  dw_shape (&g, d);
}

static gboolean
is_depthwise (const ConvGeom *g)
{
  return g->cg == 1 && g->group > 1 && g->nsp <= 2;
}

/* Whether a depthwise convolution runs eight channels at once: one output
 * channel per input channel (no multiplier), and output rows narrower
 * than a vector, where one plane at a time leaves lanes idle and pays
 * its per-plane set-up on few outputs. Measured on MobileNetV2 (ovi-bench
 * --pc, docs/performance.md): 7x7 outputs 25-30 % faster this way, 14x14
 * and wider slower (the transposes cost more than they save). */
static gboolean
dw8_blocks (const ConvGeom *g, const OviDepthwise *d)
{
  return g->mg == 1 && g->m >= 8 && ovi_depthwise8_suits (d) && d->ow < 8;
}

static gboolean
conv_is_empty (const ConvGeom *g)
{
  return g->out_size == 0 || g->n == 0 || g->m == 0;
}

/* Work estimate of a float32 convolution, for its thread count. */
static int64_t
conv_work (const ConvGeom *g)
{
  return PAR_WORK (g->n * g->m * g->out_size * g->cg * g->k_size);
}

/* The node's post-ops, whole and as its activation alone (the GEMM
 * epilogue adds the residual itself, with the bias). */
typedef struct {
  OviPostOps ops, act;
} ConvPostOps;

static void
conv_postops (const OviNode *node, ConvPostOps *po)
{
  ovi_postops_from_node (node, &po->ops);
  po->act = po->ops;
  po->act.sum = FALSE;
}

/* Per-node state (prepare): the post-ops, and the weights packed for the
 * GEMM when they are constant. */
typedef struct {
  ConvPostOps post;
  float *packed;             /* group g's at packed + g * group_floats */
  int64_t group_floats;
  guint flags;               /* how packed is laid out: conv_plan_flags */
  OviConvBlocked *blocked;   /* a node marked OVI_ATTR_BLOCKED: all it needs */
} ConvState;

static gboolean
conv_is_blocked (const OviOpCtx *ctx)
{
  return ovi_node_attr_int (ctx->node, OVI_ATTR_BLOCKED, 0) != 0;
}

/* A node passes/block-layout.c marked: one of the shapes the blocked
 * kernels run (the pass chose it by the same rule; a model file setting
 * the attribute itself on any other Conv gets an error). */
static OviConvBlocked *
conv_blocked_new (OviOpCtx *ctx, const ConvGeom *g, GError **error)
{
  OviDepthwise d;
  gboolean two = g->nsp == 2;
  gboolean pointwise = two && g->group == 1 && g->c % 8 == 0
      && g->k[0] == 1 && g->k[1] == 1 && g->s[0] == 1 && g->s[1] == 1
      && g->pb[0] == 0 && g->pb[1] == 0 && g->out[0] == g->in[0]
      && g->out[1] == g->in[1];
  gboolean depthwise = two && is_depthwise (g) && g->mg == 1
      && g->c % 8 == 0;
  gboolean dense = two && g->group == 1 && !pointwise && g->c % 8 == 0;
  gboolean direct = two && g->group == 1 && g->c % 8 != 0
      && g->c * g->k_size <= OVI_BLOCKED_DIRECT_MAX_INPUTS;

  if (ctx->inputs[0]->dtype != OVI_DTYPE_FLOAT32 || g->m % 8 != 0
      || g->c == 0 || !(pointwise || depthwise || dense || direct)) {
    g_set_error (error, OVI_ERROR, OVI_ERROR_UNSUPPORTED,
        "%s: node '%s' (Conv): %s is set on a convolution the blocked "
        "layout does not run", ctx->source, ctx->node->name,
        OVI_ATTR_BLOCKED);
    return NULL;
  }
  dw_shape (g, &d);
  return ovi_conv_blocked_new (ctx, pointwise ? OVI_BLOCKED_CONV_POINTWISE
      : depthwise ? OVI_BLOCKED_CONV_DEPTHWISE : dense
      ? OVI_BLOCKED_CONV_DENSE : OVI_BLOCKED_CONV_DIRECT, &d, error);
}

/* A 3x3, stride-1, undilated, single-group 2-D convolution Winograd
 * serves better than im2col (conv-winograd.h); OVI_CONV_WINOGRAD=0 in the
 * environment turns it off, to compare. */
static gboolean
conv_winograd_shape (const ConvGeom *g, OviWinograd *wg)
{
  if (!ovi_winograd_enabled () || g->nsp != 2 || g->group != 1)
    return FALSE;
  for (int i = 0; i < 2; i++)
    if (g->k[i] != 3 || g->s[i] != 1 || g->d[i] != 1)
      return FALSE;
  *wg = (OviWinograd) { .c = g->c, .m = g->m, .h = g->in[0], .w = g->in[1],
    .oh = g->out[0], .ow = g->out[1], .ph = g->pb[0], .pw = g->pb[1] };
  return ovi_winograd_worth (wg);
}

/* Packing once pays when W is constant and X is not: X's data present
 * means a single run (constant folding, a dynamic step). */
static gboolean
conv_packs_weights (OviOpCtx *ctx, const ConvGeom *g)
{
  return ctx->inputs[0]->dtype == OVI_DTYPE_FLOAT32
      && ctx->inputs[1]->data != NULL && ctx->inputs[0]->data == NULL
      && !is_depthwise (g) && !conv_is_empty (g) && g->cg * g->k_size > 0;
}

/* im2col scratch per task, in floats: small enough to stay in a core's
 * cache between im2col and the GEMM that reads it. */
#define CONV_COL_TARGET ((int64_t) 128 * 1024)
/* ... but with at least this many output columns per GEMM. */
#define CONV_COL_MIN_COLS 128
/* Single-task (whole output) im2col limit before chunking. */
#define CONV_COL_MAX ((int64_t) 1 << 22)

typedef enum {
  CONV_DEPTHWISE,    /* threads take ranges of channels */
  CONV_WINOGRAD,     /* 3x3 stride 1: conv-winograd.h, per image */
  CONV_TASKS,        /* threads take tasks (lines of a batch and group) */
  CONV_WIDE,         /* few tasks: threads inside im2col and the GEMM */
} ConvMode;

/* How a float32 Conv runs on `threads` threads. run and the scratch hook
 * both derive it from conv_plan and lay out its buffers with
 * conv_buffers; the scratch hook takes the largest layout over every
 * thread count a run may get. */
typedef struct {
  ConvMode mode;
  gboolean pointwise;        /* 1x1, stride 1, no padding: no im2col */
  int nt;                    /* threads (wide: the GEMMs') */
  int slots;                 /* buffer sets: one per thread, wide one */
  int64_t lines, chunk, n_chunks, n_tasks;
  int64_t pad_floats;        /* depthwise: a padded input channel */
  gboolean dw8;              /* depthwise: eight channels at once */
  int64_t col_floats;        /* im2col columns of a task */
  gsize gemm_bytes;          /* the GEMM's packing buffers */
  gboolean tc;               /* transposed GEMMs (pointwise only) */
  OviWinograd wg;            /* Winograd: the shape */
  gsize wg_bytes;            /* Winograd: its scratch */
} ConvPlan;

/* GEMM scratch of one chunk (the full ones or the last). */
static gsize
conv_gemm_bytes (const ConvGeom *g, const ConvPlan *p, int threads,
    guint flags)
{
  int64_t ow_n = g->out[g->nsp - 1], kdim = g->cg * g->k_size;
  int64_t last = p->lines - (p->n_chunks - 1) * p->chunk;
  if (p->tc)
    return MAX (ovi_sgemm_scratch_size (p->chunk * ow_n, g->mg, kdim,
            threads, OVI_SGEMM_PACKED_B), ovi_sgemm_scratch_size (last * ow_n,
            g->mg, kdim, threads, OVI_SGEMM_PACKED_B));
  return MAX (ovi_sgemm_scratch_size (g->mg, p->chunk * ow_n, kdim, threads,
          flags), ovi_sgemm_scratch_size (g->mg, last * ow_n, kdim, threads,
          flags));
}

/* With the OVI_SGEMM_PACKED_* flags of conv_plan: the weights were
 * transformed for Winograd in prepare. */
#define CONV_WINOGRAD_PACKED (1u << 8)

/* ... the weights were packed as W^T, the B operand of transposed GEMMs. */
#define CONV_TC_PACKED (1u << 9)

static gboolean
conv_pointwise (const ConvGeom *g)
{
  for (int i = 0; i < g->nsp; i++)
    if (g->k[i] != 1 || g->s[i] != 1 || g->pb[i] != 0 || g->in[i] != g->out[i])
      return FALSE;
  return TRUE;
}

/* A 1x1 convolution's GEMM (channels x positions) runs the 6x16 micro-
 * kernel's 16 columns over the positions, which small planes pad
 * heavily (7x7: 49 in 64). Transposed, the 6 rows go over the positions
 * (49 in 54) and the 16 columns over the channels. Worth it when that
 * wastes 10 % less and the depth hides the transposed stores. */
static gboolean
conv_transposed_better (const ConvGeom *g)
{
  int64_t n = g->out_size, m = g->mg, kdim = g->cg * g->k_size;
  int64_t plain = (n + 15) / 16 * 16 * ((m + 5) / 6 * 6);
  int64_t trans = (n + 5) / 6 * 6 * ((m + 15) / 16 * 16);
  return conv_pointwise (g) && kdim >= 64 && n >= 2 && m >= 2
      && trans * 10 < plain * 9;
}

/* The flags of conv_plan for a node whose weights prepare packs (or not). */
static guint
conv_plan_flags (const ConvGeom *g, gboolean packed)
{
  OviWinograd wg;
  if (!packed)
    return 0;
  if (conv_winograd_shape (g, &wg))
    return CONV_WINOGRAD_PACKED;
  return conv_transposed_better (g) ? CONV_TC_PACKED : OVI_SGEMM_PACKED_A;
}

static void
conv_plan (const ConvGeom *g, int threads, guint flags, ConvPlan *p)
{
  int64_t kdim = g->cg * g->k_size, ow_n = g->out[g->nsp - 1];
  int64_t n_pairs = g->n * g->group;

  memset (p, 0, sizeof (*p));
  p->nt = p->slots = threads;
  if ((flags & CONV_WINOGRAD_PACKED) && conv_winograd_shape (g, &p->wg)) {
    p->mode = CONV_WINOGRAD;
    p->slots = 1;
    p->wg_bytes = ovi_winograd_scratch_size (&p->wg, threads);
    return;
  }
  if (is_depthwise (g)) {
    OviDepthwise d;
    dw_shape (g, &d);
    p->mode = CONV_DEPTHWISE;
    p->dw8 = dw8_blocks (g, &d);
    p->pad_floats = ovi_depthwise_scratch_floats (&d);
    if (p->dw8)
      p->pad_floats = MAX (p->pad_floats, ovi_depthwise8_scratch_floats (&d));
    return;
  }
  p->pointwise = conv_pointwise (g);
  p->tc = (flags & CONV_TC_PACKED) != 0;
  p->lines = g->out_size / ow_n;
  /* Tasks of whole output lines, each sized so that its im2col stays in
   * cache; a task's GEMM then runs on one thread. 1x1 convolutions have
   * no im2col and prefer one GEMM per (batch, group) pair. */
  if (p->pointwise) {
    p->chunk = p->lines;
  } else {
    p->chunk = MAX (1, CONV_COL_TARGET / MAX (kdim * ow_n, 1));
    p->chunk = MAX (p->chunk, (CONV_COL_MIN_COLS + ow_n - 1) / ow_n);
    p->chunk = MIN (p->chunk, p->lines);
    /* Balance: a multiple of the thread count when there are few. */
    if (n_pairs < threads && threads > 1) {
      int64_t n_chunks = (p->lines + p->chunk - 1) / p->chunk;
      n_chunks = (n_chunks + threads - 1) / threads * threads;
      p->chunk = (p->lines + n_chunks - 1) / n_chunks;
    }
  }
  p->n_chunks = (p->lines + p->chunk - 1) / p->chunk;
  p->n_tasks = n_pairs * p->n_chunks;
  if (threads == 1 || p->n_tasks >= 2 * threads) {
    /* Per thread: its im2col columns and its GEMM's packing. */
    p->mode = CONV_TASKS;
    p->col_floats = p->pointwise ? 0 : kdim * p->chunk * ow_n;
    p->gemm_bytes = conv_gemm_bytes (g, p, 1, flags);
  } else {
    /* Few tasks: big chunks, threads inside im2col and the GEMM. */
    p->mode = CONV_WIDE;
    p->chunk = MAX (1, CONV_COL_MAX / MAX (kdim * ow_n, 1));
    p->chunk = MIN (p->chunk, p->lines);
    p->n_chunks = (p->lines + p->chunk - 1) / p->chunk;
    p->slots = 1;
    p->col_floats = p->pointwise ? 0 : kdim * p->chunk * ow_n;
    p->gemm_bytes = conv_gemm_bytes (g, p, threads, flags);
  }
}

/* A plan's buffers, one set per slot: slot i's at base + i * stride. */
typedef struct {
  guint8 *pad, *col, *gemm;
  gsize pad_stride, col_stride, gemm_stride;
} ConvBuffers;

static void
conv_buffers (OviScratch *s, const ConvPlan *p, ConvBuffers *b)
{
  memset (b, 0, sizeof (*b));
  if (p->mode == CONV_WINOGRAD) {
    b->gemm = ovi_scratch_take (s, p->wg_bytes, 1);
    return;
  }
  if (p->mode == CONV_DEPTHWISE) {
    b->pad = ovi_scratch_take_slots (s, p->slots, p->pad_floats,
        sizeof (float), &b->pad_stride);
    return;
  }
  if (!p->pointwise)
    b->col = ovi_scratch_take_slots (s, p->slots, p->col_floats,
        sizeof (float), &b->col_stride);
  b->gemm = ovi_scratch_take_slots (s, p->slots, p->gemm_bytes, 1,
      &b->gemm_stride);
}

/* What every task of one Conv shares. */
typedef struct {
  const ConvGeom *g;
  const float *x, *w, *b;
  const float *res;          /* residual (post-op sum), or NULL */
  float *y;
  const float *packed;       /* packed weights, or NULL */
  int64_t group_floats;
  const OviPostOps *ops;     /* all post-ops, NULL when there are none */
  const OviPostOps *act;     /* the activation alone, NULL when none */
  gboolean tc;               /* packed holds W^T: GEMMs computed as C^T */
} ConvRun;

/* A GEMM block's epilogue: (acc + bias) + residual, as the unfused ops
 * round it, then the activation. ReLU, Clip and HardSwish go with the
 * sum in one pass of vectors (at_store); other activations take a
 * second pass per row. */
typedef struct {
  const float *bias;         /* per row of C, or NULL */
  const float *res;          /* residual at C's origin (same strides) */
  const OviPostOps *act;
  gboolean at_store;         /* the activation is st's */
  OviV8Store st;
} ConvEpilogue;

static void
conv_epilogue_init (ConvEpilogue *e, const float *bias, const float *res,
    const OviPostOps *act)
{
  e->bias = bias;
  e->res = res;
  e->act = act;
  e->at_store = ovi_v8_store_init (&e->st, act);
}

/* One pass of vectors; ACT and SUM constants (OVI_V8_STORE_CASES). */
static inline __attribute__((always_inline)) void
conv_epilogue_vectors (const ConvEpilogue *e, float *c, int64_t ldc,
    int64_t i0, int64_t j0, int64_t rows, int64_t cols, OviActivation act,
    gboolean sum)
{
  V8f a = e->st.a, b = e->st.b;
  for (int64_t r = 0; r < rows; r++) {
    float *row = c + r * ldc;
    const float *res = sum ? e->res + (i0 + r) * ldc + j0 : NULL;
    V8f zero = { 0 }, bv = zero + (e->bias ? e->bias[i0 + r] : 0.0f);
    for (int64_t j = 0; j < cols; j += 8) {
      int64_t count = MIN (8, cols - j);
      V8f v = { 0 };
      if (count == 8) {
        memcpy (&v, row + j, sizeof (v));
      } else {
        for (int64_t l = 0; l < count; l++)
          v[l] = row[j + l];
      }
      ovi_v8_store_as (act, sum, a, b, v + bv, sum ? res + j : NULL,
          row + j, count);
    }
  }
}

static inline __attribute__((always_inline)) void
conv_epilogue_body (const ConvEpilogue *e, float *c, int64_t ldc, int64_t i0,
    int64_t j0, int64_t rows, int64_t cols)
{
  if (e->at_store) {
    OviV8Store st = e->st;
    st.sum = e->res != NULL;
#define EPI_RUN(ACT, SUM) \
    conv_epilogue_vectors (e, c, ldc, i0, j0, rows, cols, ACT, SUM)
    OVI_V8_STORE_CASES (&st, EPI_RUN);
#undef EPI_RUN
    return;
  }
  for (int64_t r = 0; r < rows; r++) {
    float *restrict row = c + r * ldc;
    float bv = e->bias ? e->bias[i0 + r] : 0.0f;
    if (e->res) {
      const float *restrict res = e->res + (i0 + r) * ldc + j0;
      for (int64_t j = 0; j < cols; j++)
        row[j] = (row[j] + bv) + res[j];
    } else if (e->bias) {
      for (int64_t j = 0; j < cols; j++)
        row[j] += bv;
    }
    ovi_postops_apply (e->act, row, NULL, cols);
  }
}

static void
conv_epilogue_generic (gpointer data, float *c, int64_t ldc, int64_t i0,
    int64_t j0, int64_t rows, int64_t cols)
{
  conv_epilogue_body (data, c, ldc, i0, j0, rows, cols);
}

#if OVI_CONV_X86
__attribute__((target ("avx2,fma")))
static void
conv_epilogue_avx2 (gpointer data, float *c, int64_t ldc, int64_t i0,
    int64_t j0, int64_t rows, int64_t cols)
{
  conv_epilogue_body (data, c, ldc, i0, j0, rows, cols);
}
#endif

/* One task: output lines [l0, l1) of (batch, group) pair p: im2col into
 * col (none for 1x1 stride-1 convolutions, col NULL: the GEMM reads the
 * input) and the group's GEMM, finished by the epilogue. */
static void
conv_task_f32 (const ConvRun *r, int64_t p, int64_t l0, int64_t l1,
    float *col, void *gemm_scratch, int threads)
{
  const ConvGeom *g = r->g;
  int64_t n = p / g->group, grp = p % g->group;
  int64_t kdim = g->cg * g->k_size, ow_n = g->out[g->nsp - 1];
  int64_t ncols = (l1 - l0) * ow_n;
  const float *xg = r->x + (n * g->c + grp * g->cg) * g->in_size;
  int64_t yoff = (n * g->m + grp * g->mg) * g->out_size + l0 * ow_n;
  ConvEpilogue ep;
  OviSgemm gm = { .m = g->mg, .n = ncols, .k = kdim, .alpha = 1.0f,
    .a = r->w + grp * g->mg * kdim, .lda = kdim,
    .packed_a = r->packed ? r->packed + grp * r->group_floats : NULL,
    .c = r->y + yoff, .ldc = g->out_size, .epilogue_data = &ep };

  conv_epilogue_init (&ep, r->b ? r->b + grp * g->mg : NULL,
      r->res ? r->res + yoff : NULL, r->act);
  if (ep.bias || ep.res || ep.act) {
    gm.epilogue = conv_epilogue_generic;
#if OVI_CONV_X86
    if (ovi_sgemm_have_avx2 ())
      gm.epilogue = conv_epilogue_avx2;
#endif
  }

  if (r->tc) {
    /* C^T (positions x channels) = X^T W^T, stored transposed into y */
    gm.ta = gm.tb = gm.tc = TRUE;
    gm.m = ncols;
    gm.n = g->mg;
    gm.a = xg + l0 * ow_n;
    gm.lda = g->in_size;
    gm.b = r->w + grp * g->mg * kdim;
    gm.ldb = kdim;
    gm.packed_a = NULL;
    gm.packed_b = r->packed + grp * r->group_floats;
  } else if (col == NULL) {
    gm.b = xg + l0 * ow_n;
    gm.ldb = g->in_size;
  } else {
    im2col_f32 (g, xg, l0, l1, col);
    gm.b = col;
    gm.ldb = ncols;
  }
  ovi_sgemm_run (&gm, gemm_scratch, threads);
}

/* Depthwise: eight channels at once in blocks (where dw8_blocks says),
 * then the other channels one plane at a time; each thread's slice a
 * contiguous range of blocks and of single channels, with its own
 * scratch. */
static void
conv_depthwise_f32 (const ConvRun *r, const ConvPlan *p,
    const ConvBuffers *bufs)
{
  const ConvGeom *g = r->g;
  OviDepthwise d;
  int64_t blocks = p->dw8 ? g->m / 8 : 0, singles = g->m - 8 * blocks;

  dw_shape (g, &d);
  OVI_PARALLEL_REGION (p->nt > 1 ? conv_work (g) : 0, tid, nth, {
    for (int s = tid; s < p->nt; s += nth) {
      float *scratch = (float *) (bufs->pad + bufs->pad_stride * s);
      int64_t b0, b1, nm0, nm1;
      ovi_parallel_slice (g->n * blocks, s, p->nt, &b0, &b1);
      if (b0 < b1)
        ovi_depthwise8_clear_scratch (&d, scratch);
      for (int64_t nb = b0; nb < b1; nb++) {
        int64_t n = nb / blocks, m = nb % blocks * 8;
        int64_t nm = n * g->m + m;
        ovi_depthwise8_channels (&d, r->x + (n * g->c + m) * g->in_size,
            r->w + m * g->k_size, r->b ? r->b + m : NULL, r->ops,
            r->res ? r->res + nm * g->out_size : NULL,
            r->y + nm * g->out_size, scratch);
      }
      ovi_parallel_slice (g->n * singles, s, p->nt, &nm0, &nm1);
      if (nm0 < nm1)
        ovi_depthwise_clear_scratch (&d, scratch);
      for (int64_t i = nm0; i < nm1; i++) {
        int64_t n = i / singles, m = 8 * blocks + i % singles;
        int64_t nm = n * g->m + m, c = m / g->mg;
        ovi_depthwise_channel (&d, r->x + (n * g->c + c) * g->in_size,
            r->w + m * g->k_size, r->b ? r->b[m] : 0.0f, r->ops,
            r->res ? r->res + nm * g->out_size : NULL,
            r->y + nm * g->out_size, scratch);
      }
    }
  });
}

static gboolean
conv_f32 (OviOpCtx *ctx, const ConvGeom *g, GError **error)
{
  ConvState *st = ctx->state;
  const OviTensor *bt = ovi_op_input (ctx, 2), *rt = ovi_op_input (ctx, 3);
  ConvPostOps local;
  const ConvPostOps *post;
  ConvRun r = { g, ctx->inputs[0]->data, ctx->inputs[1]->data,
    bt ? bt->data : NULL, NULL, ctx->outputs[0]->data, NULL, 0, NULL,
    NULL };
  ConvPlan p;
  ConvBuffers b;
  OviScratch s;
  int threads = ovi_sgemm_threads (conv_work (g), ctx->max_threads);

  if (conv_is_empty (g))
    return TRUE;
  if (st == NULL) {
    conv_postops (ctx->node, &local);
    post = &local;
  } else {
    post = &st->post;
    r.packed = st->packed;
    r.group_floats = st->group_floats;
  }
  if (ovi_postops_any (&post->ops)) {
    r.ops = &post->ops;
    r.res = post->ops.sum && rt ? rt->data : NULL;
  }
  if (ovi_postops_any (&post->act))
    r.act = &post->act;
  conv_plan (g, threads, st ? st->flags : 0, &p);
  r.tc = p.tc;
  ovi_scratch_begin (&s, ctx);
  conv_buffers (&s, &p, &b);
  if (!ovi_scratch_check (ctx, &s, error))
    return FALSE;

  if (p.mode == CONV_WINOGRAD) {
    for (int64_t n = 0; n < g->n; n++)
      ovi_winograd_run (&p.wg, r.packed, r.x + n * g->c * g->in_size, r.b,
          r.ops, r.res ? r.res + n * g->m * g->out_size : NULL,
          r.y + n * g->m * g->out_size, b.gemm, p.nt);
  } else if (p.mode == CONV_DEPTHWISE) {
    conv_depthwise_f32 (&r, &p, &b);
  } else if (p.mode == CONV_TASKS) {
    int64_t next = 0;
    /* Tasks go to the threads one at a time, as they become free (as
     * schedule(dynamic) does); thread t uses buffer set t. */
    OVI_PARALLEL_REGION (p.nt > 1 ? conv_work (g) : 0, tid, nth, {
      while (tid < p.nt) {
        int64_t t = __atomic_fetch_add (&next, 1, __ATOMIC_RELAXED);
        int64_t l0 = t % p.n_chunks * p.chunk;
        if (t >= p.n_tasks)
          break;
        conv_task_f32 (&r, t / p.n_chunks, l0, MIN (p.lines, l0 + p.chunk),
            b.col ? (float *) (b.col + b.col_stride * tid) : NULL,
            b.gemm + b.gemm_stride * tid, 1);
      }
    });
  } else {
    int64_t n_pairs = g->n * g->group;
    for (int64_t pair = 0; pair < n_pairs; pair++)
      for (int64_t l0 = 0; l0 < p.lines; l0 += p.chunk)
        conv_task_f32 (&r, pair, l0, MIN (p.lines, l0 + p.chunk),
            (float *) b.col, b.gemm, p.nt);
  }
  return TRUE;
}

static gsize
conv_scratch (OviOpCtx *ctx)
{
  ConvGeom g;
  ConvPlan p;
  gsize most = 0;
  guint flags;
  int most_threads;

  if (ctx->inputs[0]->dtype != OVI_DTYPE_FLOAT32)
    return 0;
  conv_geom (ctx, FALSE, &g);
  if (conv_is_blocked (ctx)) {
    OviDepthwise d;
    if (g.nsp != 2 || g.group != 1)
      return 0;
    dw_shape (&g, &d);
    return ovi_conv_blocked_scratch_size (g.c % 8 == 0
        ? OVI_BLOCKED_CONV_DENSE : OVI_BLOCKED_CONV_DIRECT, &d, g.c, g.m);
  }
  if (conv_is_empty (&g))
    return 0;
  flags = conv_plan_flags (&g, conv_packs_weights (ctx, &g));
  /* ovi_sgemm_threads gives a run 1 below the threshold, else up to
   * max_threads. */
  most_threads = conv_work (&g) >= OVI_PARALLEL_MIN_WORK
      ? MAX (ctx->max_threads, 1) : 1;
  for (int t = 1; t <= most_threads; t++) {
    ConvBuffers b;
    OviScratch s;
    conv_plan (&g, t, flags, &p);
    ovi_scratch_begin (&s, NULL);
    conv_buffers (&s, &p, &b);
    most = MAX (most, s.used);
  }
  return most;
}

static gboolean
conv_prepare (OviOpCtx *ctx, GError **error)
{
  ConvState *st = g_new0 (ConvState, 1);
  const float *w = ctx->inputs[1]->data;
  ConvGeom g;
  OviWinograd wg;
  int64_t kdim;
  gsize group_bytes = 0;

  conv_postops (ctx->node, &st->post);
  conv_geom (ctx, FALSE, &g);
  if (conv_is_blocked (ctx)) {
    st->blocked = conv_blocked_new (ctx, &g, error);
    if (st->blocked == NULL) {
      g_free (st);
      return FALSE;
    }
    ctx->state = st;
    return TRUE;
  }
  kdim = g.cg * g.k_size;
  st->flags = conv_plan_flags (&g, conv_packs_weights (ctx, &g));
  /* Winograd's transformed weights are one block (one group) */
  if (st->flags == CONV_WINOGRAD_PACKED && conv_winograd_shape (&g, &wg))
    group_bytes = ovi_winograd_weights_size (&wg);
  else if (st->flags == CONV_TC_PACKED)
    group_bytes = ovi_sgemm_packed_b_size (kdim, g.mg);
  else if (st->flags == OVI_SGEMM_PACKED_A)
    group_bytes = ovi_sgemm_packed_a_size (g.mg, kdim);
  if (group_bytes > 0) {
    st->group_floats = group_bytes / sizeof (float);
    st->packed = ovi_aligned_alloc_streamed (group_bytes * g.group);
    if (st->packed == NULL) {
      g_free (st);
      return ovi_cpu_out_of_memory (ctx, error);
    }
  }
  if (st->flags == CONV_WINOGRAD_PACKED) {
    ovi_winograd_pack_weights (&wg, w, st->packed);
  } else if (st->flags != 0) {
    for (int64_t grp = 0; grp < g.group; grp++) {
      const float *wgrp = w + grp * g.mg * kdim;
      float *dst = st->packed + grp * st->group_floats;
      if (st->flags == CONV_TC_PACKED)
        ovi_sgemm_pack_b (TRUE, kdim, g.mg, wgrp, kdim, dst);
      else
        ovi_sgemm_pack_a (FALSE, g.mg, kdim, wgrp, kdim, dst);
    }
  }
  /* Winograd reads only its transformed weights. The GEMMs read the
   * packed ones except on their vector paths (one row or one column),
   * which no chunk takes with several output channels per group and
   * output rows wider than one. */
  if (st->flags == CONV_WINOGRAD_PACKED
      || (st->flags != 0 && g.mg > 1 && g.out[g.nsp - 1] > 1))
    ctx->packed_inputs |= 1u << 1;
  ctx->state = st;
  return TRUE;
}

static void
conv_release (gpointer state)
{
  ConvState *st = state;
  if (st == NULL)
    return;
  ovi_conv_blocked_free (st->blocked);
  ovi_aligned_free (st->packed);
  g_free (st);
}

/* Direct convolution in double for the other float types. */
static void
conv_generic (const ConvGeom *g, const double *x, const double *w,
    const double *b, double *y)
{
  int nsp = g->nsp;
  int64_t total = g->n * g->m;

  OVI_PARALLEL_FOR (PAR_WORK (total * g->out_size * g->cg * g->k_size),
      for (int64_t nm = 0; nm < total; nm++), {
    int64_t n = nm / g->m, m = nm % g->m, grp = m / g->mg;
    const double *wm = w + m * g->cg * g->k_size;
    double *ym = y + nm * g->out_size;
    for (int64_t op = 0; op < g->out_size; op++) {
      int64_t oc[OVI_MAX_RANK], rem = op;
      double acc = b ? b[m] : 0.0;
      for (int i = nsp - 1; i >= 0; i--) {
        oc[i] = rem % g->out[i];
        rem /= g->out[i];
      }
      for (int64_t kp = 0; kp < g->k_size; kp++) {
        int64_t krem = kp, off = 0;
        gboolean inside = TRUE;
        for (int i = nsp - 1; i >= 0; i--) {
          int64_t kc = krem % g->k[i];
          int64_t pos = oc[i] * g->s[i] + kc * g->d[i] - g->pb[i];
          krem /= g->k[i];
          if (pos < 0 || pos >= g->in[i]) {
            inside = FALSE;
            break;
          }
          off += pos * g->in_stride[i];
        }
        if (!inside)
          continue;
        for (int64_t cg = 0; cg < g->cg; cg++) {
          const double *xc = x + (n * g->c + grp * g->cg + cg) * g->in_size;
          acc += xc[off] * wm[cg * g->k_size + kp];
        }
      }
      ym[op] = acc;
    }
  });
}

typedef void (*ConvF64Func) (const ConvGeom *g, const double *x,
    const double *w, const double *b, double *y);

/* Other float types (infer refuses post-ops on them) through double:
 * allocates, unlike the float32 path. */
static gboolean
run_conv_f64 (OviOpCtx *ctx, const ConvGeom *g, ConvF64Func compute,
    GError **error)
{
  OviTensor *bt = ovi_op_input (ctx, 2);
  double *x, *w, *b = NULL, *y;
  gboolean ok;

  x = ovi_cpu_load_f64 (ctx->inputs[0]);
  w = ovi_cpu_load_f64 (ctx->inputs[1]);
  if (bt)
    b = ovi_cpu_load_f64 (bt);
  y = g_try_new (double, MAX (ovi_tensor_numel (ctx->outputs[0]), 1));
  ok = x && w && y && (bt == NULL || b);
  if (ok) {
    compute (g, x, w, b, y);
    ovi_cpu_store_f64 (ctx->outputs[0], y);
  }
  g_free (x);
  g_free (w);
  g_free (b);
  g_free (y);
  return ok ? TRUE : ovi_cpu_out_of_memory (ctx, error);
}

static gboolean
run_conv (OviOpCtx *ctx, GError **error)
{
  ConvGeom g;
  const ConvState *st = ctx->state;
  if (conv_is_blocked (ctx)) {
    if (st == NULL || st->blocked == NULL) {
      g_set_error (error, OVI_ERROR, OVI_ERROR_UNSUPPORTED,
          "%s: node '%s' (Conv): blocked layout without its prepared state",
          ctx->source, ctx->node->name);
      return FALSE;
    }
    return ovi_conv_blocked_run (st->blocked, ctx, error);
  }
  conv_geom (ctx, FALSE, &g);
  if (ctx->inputs[0]->dtype == OVI_DTYPE_FLOAT32)
    return conv_f32 (ctx, &g, error);
  return run_conv_f64 (ctx, &g, conv_generic, error);
}

/* ConvTranspose: col (Mg * K x input positions) = Wg^T Xg, then col2im
 * scatter-adds into the output (already holding the bias). Done in
 * chunks of input lines [l0, l1) to bound the scratch. */
static void
col2im_f32 (const ConvGeom *g, const float *col, int64_t l0, int64_t l1,
    float *yg)
{
  int nsp = g->nsp;
  int64_t iw_n = g->in[nsp - 1], ow_n = g->out[nsp - 1];
  int64_t sw = g->s[nsp - 1];
  int64_t ncols = (l1 - l0) * iw_n;

  /* An added element per step. */
  OVI_PARALLEL_FOR (g->mg * g->k_size * ncols,
      for (int64_t mg = 0; mg < g->mg; mg++), {
    float *ym = yg + mg * g->out_size;
    for (int64_t kp = 0; kp < g->k_size; kp++) {
      const float *src = col + (mg * g->k_size + kp) * ncols;
      int64_t kc[OVI_MAX_RANK], ic[OVI_MAX_RANK], rem = kp, off_w, lo, hi;
      for (int i = nsp - 1; i >= 0; i--) {
        kc[i] = rem % g->k[i];
        rem /= g->k[i];
      }
      off_w = kc[nsp - 1] * g->d[nsp - 1] - g->pb[nsp - 1];
      /* Input positions iw whose output iw * s + off_w is inside. */
      ovi_conv_valid_range (iw_n, ow_n, sw, off_w, &lo, &hi);
      rem = l0;
      for (int i = nsp - 2; i >= 0; i--) {
        ic[i] = rem % g->in[i];
        rem /= g->in[i];
      }
      for (int64_t l = l0; l < l1; l++, src += iw_n) {
        int64_t base = 0;
        gboolean inside = lo < hi;
        for (int i = 0; i < nsp - 1 && inside; i++) {
          int64_t pos = ic[i] * g->s[i] + kc[i] * g->d[i] - g->pb[i];
          inside = pos >= 0 && pos < g->out[i];
          base += pos * g->out_stride[i];
        }
        for (int i = nsp - 2; i >= 0; i--) {
          if (++ic[i] < g->in[i])
            break;
          ic[i] = 0;
        }
        if (!inside)
          continue;
        for (int64_t iw = lo; iw < hi; iw++)
          ym[base + iw * sw + off_w] += src[iw];
      }
    }
  });
}

/* The float32 ConvTranspose's chunks of input lines and its buffers: the
 * columns, and the GEMM's packing for up to `threads` threads. */
typedef struct {
  int64_t rows, lines, chunk;
  float *col;
  void *gemm;
} ConvTPlan;

static void
conv_transpose_plan (const ConvGeom *g, int threads, OviScratch *s,
    ConvTPlan *p)
{
  int64_t iw_n = g->in[g->nsp - 1], last, n_chunks;

  p->rows = g->mg * g->k_size;
  p->lines = g->in_size / iw_n;
  p->chunk = MAX (1, CONV_COL_MAX / MAX (p->rows * iw_n, 1));
  p->chunk = MIN (p->chunk, p->lines);
  n_chunks = (p->lines + p->chunk - 1) / p->chunk;
  last = p->lines - (n_chunks - 1) * p->chunk;
  p->col = ovi_scratch_take (s, p->rows * p->chunk * iw_n, sizeof (float));
  p->gemm = ovi_scratch_take (s, MAX (ovi_sgemm_scratch_size (p->rows,
              p->chunk * iw_n, g->cg, threads, 0),
          ovi_sgemm_scratch_size (p->rows, last * iw_n, g->cg, threads, 0)),
      1);
}

static gboolean
conv_transpose_is_empty (const ConvGeom *g)
{
  return g->in_size == 0 || g->mg * g->k_size == 0 || g->out_size == 0;
}

static gsize
conv_transpose_scratch (OviOpCtx *ctx)
{
  ConvGeom g;
  ConvTPlan p;
  OviScratch s;
  if (ctx->inputs[0]->dtype != OVI_DTYPE_FLOAT32)
    return 0;
  conv_geom (ctx, TRUE, &g);
  if (conv_transpose_is_empty (&g))
    return 0;
  ovi_scratch_begin (&s, NULL);
  conv_transpose_plan (&g, MAX (ctx->max_threads, 1), &s, &p);
  return s.used;
}

static gboolean
conv_transpose_f32 (OviOpCtx *ctx, const ConvGeom *g, GError **error)
{
  const float *x = ctx->inputs[0]->data, *w = ctx->inputs[1]->data;
  const OviTensor *bt = ovi_op_input (ctx, 2);
  const float *b = bt ? bt->data : NULL;
  float *y = ctx->outputs[0]->data;
  int threads = MAX (ctx->max_threads, 1);
  int64_t iw_n = g->in[g->nsp - 1];
  ConvTPlan p;
  OviScratch s;

  OVI_PARALLEL_FOR (PAR_WORK (g->n * g->m * g->out_size),
      for (int64_t nm = 0; nm < g->n * g->m; nm++), {
    float *ym = y + nm * g->out_size;
    float bv = b ? b[nm % g->m] : 0.0f;
    for (int64_t i = 0; i < g->out_size; i++)
      ym[i] = bv;
  });
  if (conv_transpose_is_empty (g))
    return TRUE;
  ovi_scratch_begin (&s, ctx);
  conv_transpose_plan (g, threads, &s, &p);
  if (!ovi_scratch_check (ctx, &s, error))
    return FALSE;
  for (int64_t n = 0; n < g->n; n++) {
    for (int64_t grp = 0; grp < g->group; grp++) {
      const float *xg = x + (n * g->c + grp * g->cg) * g->in_size;
      const float *wg = w + grp * g->cg * p.rows;
      float *yg = y + (n * g->m + grp * g->mg) * g->out_size;
      for (int64_t l0 = 0; l0 < p.lines; l0 += p.chunk) {
        int64_t l1 = MIN (p.lines, l0 + p.chunk), ncols = (l1 - l0) * iw_n;
        ovi_sgemm (TRUE, FALSE, p.rows, ncols, g->cg, 1.0f, wg, p.rows,
            xg + l0 * iw_n, g->in_size, 0.0f, p.col, ncols, p.gemm,
            threads);
        col2im_f32 (g, p.col, l0, l1, yg);
      }
    }
  }
  return TRUE;
}

static void
conv_transpose_generic (const ConvGeom *g, const double *x, const double *w,
    const double *b, double *y)
{
  int nsp = g->nsp;
  int64_t total = g->n * g->m;

  /* Parallel over output channels: each writes only its own plane. */
  OVI_PARALLEL_FOR (PAR_WORK (total * g->in_size * g->cg * g->k_size),
      for (int64_t nm = 0; nm < total; nm++), {
    int64_t n = nm / g->m, m = nm % g->m, grp = m / g->mg, mg = m % g->mg;
    double *ym = y + nm * g->out_size;
    for (int64_t i = 0; i < g->out_size; i++)
      ym[i] = b ? b[m] : 0.0;
    for (int64_t ip = 0; ip < g->in_size; ip++) {
      int64_t ic[OVI_MAX_RANK], rem = ip;
      for (int i = nsp - 1; i >= 0; i--) {
        ic[i] = rem % g->in[i];
        rem /= g->in[i];
      }
      for (int64_t kp = 0; kp < g->k_size; kp++) {
        int64_t krem = kp, off = 0;
        gboolean inside = TRUE;
        for (int i = nsp - 1; i >= 0; i--) {
          int64_t kc = krem % g->k[i];
          int64_t pos = ic[i] * g->s[i] + kc * g->d[i] - g->pb[i];
          krem /= g->k[i];
          if (pos < 0 || pos >= g->out[i]) {
            inside = FALSE;
            break;
          }
          off += pos * g->out_stride[i];
        }
        if (!inside)
          continue;
        for (int64_t cg = 0; cg < g->cg; cg++) {
          int64_t c = grp * g->cg + cg;
          ym[off] += x[(n * g->c + c) * g->in_size + ip]
              * w[(c * g->mg + mg) * g->k_size + kp];
        }
      }
    }
  });
}

static gboolean
run_conv_transpose (OviOpCtx *ctx, GError **error)
{
  ConvGeom g;
  conv_geom (ctx, TRUE, &g);
  if (ctx->inputs[0]->dtype == OVI_DTYPE_FLOAT32)
    return conv_transpose_f32 (ctx, &g, error);
  return run_conv_f64 (ctx, &g, conv_transpose_generic, error);
}

const OviCpuKernel ovi_cpu_conv[] = {
  { "Conv", run_conv, conv_prepare, conv_release, conv_scratch },
  { "ConvTranspose", run_conv_transpose, NULL, NULL,
    conv_transpose_scratch },
  { NULL }
};
