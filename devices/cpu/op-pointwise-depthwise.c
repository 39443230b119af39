/* A 1x1 convolution and the depthwise convolution reading its output, as
 * one node (passes/fuse-pointwise-depthwise.c), in nChw8c. The threads
 * share work slots (cpu-steal.h). A slot owns some panels of output
 * channels (the 1x1 kernel's sixteen) and a range of output rows, and
 * goes down its rows band by band: the 1x1 computes the rows of its
 * output the band's depthwise rows read into a window of the slot's
 * channels, then the depthwise reads them there, still in the core's
 * cache, and writes its output. Rows the next band reads again stay in
 * the window (a ring of rows) rather than being computed again; only
 * where two slots split the rows does a row get computed twice. */
#include <string.h>

#include "conv-blocked.h"
#include "cpu-ops.h"
#include "cpu-parallel.h"
#include "cpu-scratch.h"
#include "cpu-sgemm.h"
#include "cpu-steal.h"
#include "cpu-widen.h"
#include "passes/passes.h"

/* The 1x1 kernel's panel of output channels (conv-blocked-1x1.c). */
#define PWDW_PANEL_BLOCKS 2
/* A slot's window, at most about this many bytes, stays in its core's L2
 * from the 1x1 that writes it to the depthwise that reads it. */
#define PWDW_WINDOW_BYTES (512 * 1024)

typedef struct {
  int64_t n, c, m, h, w;    /* batch, channels in and of the pair, plane */
  OviDepthwise d;           /* the depthwise, on the 1x1's h x w output */
  OviPostOps pw_ops, dw_ops;
  float *pw_packed, *dw_packed;
} PwDw;

/* How `threads` threads share an image: slots of panel groups x row
 * groups, and the band each goes down by. */
typedef struct {
  int panel_groups, row_groups;
  int64_t band;             /* depthwise output rows per band */
  int64_t cap;              /* window rows: the most a band reads */
  int64_t window_floats;    /* a slot's window */
} PwDwSplit;

/* 1x1 output rows the depthwise's output rows [o0, o1) read, clipped to
 * the plane. */
static void
rows_read (const OviDepthwise *d, int64_t o0, int64_t o1, int64_t *r0,
    int64_t *r1)
{
  *r0 = CLAMP (o0 * d->sh - d->ph, 0, d->h);
  *r1 = CLAMP ((o1 - 1) * d->sh - d->ph + (d->kh - 1) * d->dh + 1, 0, d->h);
}

/* The split with the least 1x1 work in its busiest slot: panels split
 * unevenly cost a slot a panel's rows, rows split cost the rows each
 * boundary reads twice. */
static void
pwdw_split (const PwDw *p, int threads, PwDwSplit *s)
{
  const OviDepthwise *d = &p->d;
  int64_t panels = ovi_blocked_pointwise_panels (p->m), best = -1;
  int64_t span = (d->kh - 1) * d->dh + 1, blocks, row_floats, budget;

  for (int pg = 1; pg <= MIN (panels, threads); pg++) {
    int rg = (int) MIN (threads / pg, MAX (d->oh, 1));
    int64_t r0, r1, cost;
    rows_read (d, 0, (d->oh + rg - 1) / rg, &r0, &r1);
    cost = (panels + pg - 1) / pg * (r1 - r0);
    if (best < 0 || cost < best) {
      best = cost;
      s->panel_groups = pg;
      s->row_groups = rg;
    }
  }
  blocks = MIN (p->m / OVI_BLOCK, (panels + s->panel_groups - 1)
      / s->panel_groups * PWDW_PANEL_BLOCKS);
  row_floats = blocks * p->w * OVI_BLOCK;
  budget = PWDW_WINDOW_BYTES / (int64_t) sizeof (float)
      / MAX (row_floats, 1);
  /* a band of b rows reads (b - 1) x stride + span rows */
  s->band = budget > span ? (budget - span) / d->sh + 1 : 1;
  s->band = MAX (1, MIN (s->band, d->oh));
  s->cap = MAX (1, MIN (p->h, (s->band - 1) * d->sh + span));
  s->window_floats = row_floats * s->cap;
}

/* The 1x1 rows x panels all of a split's slots compute (rows read twice
 * at row-group boundaries counted twice). */
static int64_t
pwdw_total (const PwDw *p, const PwDwSplit *s)
{
  int64_t panels = ovi_blocked_pointwise_panels (p->m), total = 0;
  for (int rg = 0; rg < s->row_groups; rg++) {
    int64_t o0, o1, r0, r1;
    ovi_parallel_slice (p->d.oh, rg, s->row_groups, &o0, &o1);
    rows_read (&p->d, o0, o1, &r0, &r1);
    total += panels * (r1 - r0);
  }
  return total;
}

/* The split for `threads`: with several, into four times as many slots
 * when that adds at most 1/32 to the 1x1's work (panels to spare, or
 * rows split where the depthwise reads few twice), so that the threads
 * share the slots unevenly when their cores run unevenly (cpu-steal.h). */
static void
pwdw_plan (const PwDw *p, int threads, PwDwSplit *s)
{
  PwDwSplit fine;
  int64_t total;

  pwdw_split (p, threads, s);
  if (threads <= 1)
    return;
  pwdw_split (p, 4 * threads, &fine);
  total = pwdw_total (p, s);
  if (pwdw_total (p, &fine) <= total + total / 32)
    *s = fine;
}

static int64_t
pwdw_work (const PwDw *p)
{
  return OVI_SGEMM_WORK (p->n * p->m * (p->h * p->w * p->c
          + p->d.oh * p->d.ow * p->d.kh * p->d.kw));
}

/* A window for each of the threads (each slot's window is only in use
 * while its thread computes it). */
static void *
pwdw_scratch_layout (OviScratch *sc, const PwDwSplit *s, int threads,
    gsize *stride)
{
  return ovi_scratch_take_slots (sc, MIN (MAX (threads, 1),
          s->panel_groups * s->row_groups), s->window_floats,
      sizeof (float), stride);
}

/* Slot `slot` of one image: x its input, y its output, win its window,
 * a ring of s->cap rows of its channels of the 1x1's output (row r at
 * r % cap), so that rows the next band reads again stay where they are. */
static void
pwdw_slot (const PwDw *p, const PwDwSplit *s, int slot, const float *x,
    float *y, float *win)
{
  const OviDepthwise *d = &p->d;
  int64_t panels = ovi_blocked_pointwise_panels (p->m), q0, q1, o0, o1;
  int64_t ring = s->cap, plane = ring * p->w, taps = d->kh * d->kw;
  int64_t cb0, cb1, done = -1;  /* the rows below done are in the ring */
  const OviPostOps *pw_ops = ovi_postops_any (&p->pw_ops) ? &p->pw_ops
      : NULL;
  const OviPostOps *dw_ops = ovi_postops_any (&p->dw_ops) ? &p->dw_ops
      : NULL;

  ovi_parallel_slice (panels, slot % s->panel_groups, s->panel_groups, &q0,
      &q1);
  ovi_parallel_slice (d->oh, slot / s->panel_groups, s->row_groups, &o0,
      &o1);
  cb0 = q0 * PWDW_PANEL_BLOCKS;
  cb1 = MIN (p->m / OVI_BLOCK, q1 * PWDW_PANEL_BLOCKS);
  for (int64_t oa = o0; oa < o1; oa += s->band) {
    int64_t ob = MIN (o1, oa + s->band), need0, need1;
    OviDepthwise v = *d;

    rows_read (d, oa, ob, &need0, &need1);
    /* a band reads at most `ring` rows: the ones it computes overwrite
     * rows above need0 only */
    for (int64_t a = MAX (need0, done), b; a < need1; a = b) {
      int64_t at = a % ring;
      b = MIN (need1, a + ring - at);
      ovi_blocked_pointwise_window (p->c, p->m, p->h * p->w, x,
          p->pw_packed, pw_ops, win, plane, cb0, (a - at) * p->w, q0, q1,
          a * p->w, b * p->w);
    }
    done = MAX (done, need1);
    /* the depthwise over the window: its rows are the plane's from
     * need0, so the padding above grows by need0 */
    v.h = MAX (need1 - need0, 0);
    v.ph = d->ph + need0;
    for (int64_t b = 0; b < cb1 - cb0; b++)
      ovi_blocked_depthwise_window_rows (&v, win, plane, need0, ring,
          p->dw_packed + cb0 * (taps + 1) * OVI_BLOCK, dw_ops, NULL,
          y + cb0 * d->oh * d->ow * OVI_BLOCK, b, oa, ob);
  }
}

static gboolean
pwdw_run (OviOpCtx *ctx, GError **error)
{
  const PwDw *p = ctx->state;
  int threads = ovi_sgemm_threads (pwdw_work (p), ctx->max_threads);
  const float *x = ctx->inputs[0]->data;
  float *y = ctx->outputs[0]->data;
  PwDwSplit s;
  OviScratch sc;
  OviSteal steal;
  gsize stride;
  guint8 *wins;
  int slots, workers;

  if (ovi_tensor_numel (ctx->outputs[0]) == 0)
    return TRUE;
  pwdw_plan (p, threads, &s);
  slots = s.panel_groups * s.row_groups;
  workers = MIN (MAX (threads, 1), slots);
  ovi_scratch_begin (&sc, ctx);
  wins = pwdw_scratch_layout (&sc, &s, threads, &stride);
  if (!ovi_scratch_check (ctx, &sc, error))
    return FALSE;
  for (int64_t img = 0; img < p->n; img++) {
    const float *xi = x + img * p->c * p->h * p->w;
    float *yi = y + img * p->m * p->d.oh * p->d.ow;
    ovi_steal_init (&steal, slots, workers);
    OVI_PARALLEL_REGION (threads > 1 ? OVI_PARALLEL_MIN_WORK : 0, tid, nth,
        {
      int64_t t;
      gboolean own;
      /* in a team larger than the windows the others get no slots */
      while (ovi_steal_next (&steal, tid, &t, &own))
        pwdw_slot (p, &s, (int) t, xi, yi, (float *) (wins + stride * tid));
    });
  }
  return TRUE;
}

/* The pair's shapes, and the depthwise's geometry: its Conv on the
 * 1x1's output. */
static void
pwdw_shape (OviOpCtx *ctx, PwDw *p)
{
  const OviTensor *x = ctx->inputs[0];
  OviTensor mid, *inputs[3];
  OviOpCtx dw;

  p->n = x->dims[0];
  p->c = x->dims[1];
  p->m = ctx->inputs[1]->dims[0];
  p->h = x->dims[2];
  p->w = x->dims[3];
  ovi_op_pointwise_depthwise_half (ctx, &mid, inputs, &dw);
  ovi_cpu_conv_geometry (&dw, &p->d);
}

static void
pwdw_release (gpointer state)
{
  PwDw *p = state;
  if (p == NULL)
    return;
  ovi_aligned_free (p->pw_packed);
  ovi_aligned_free (p->dw_packed);
  g_free (p);
}

static gboolean
pwdw_prepare (OviOpCtx *ctx, GError **error)
{
  const OviTensor *x = ctx->inputs[0], *pw = ctx->inputs[1];
  const OviTensor *pb = ctx->inputs[2], *dw = ctx->inputs[3];
  const OviTensor *db = ovi_op_input (ctx, 4);
  PwDw *p;

  if (pw->data == NULL || dw->data == NULL || (pb && pb->data == NULL)
      || (db && db->data == NULL)) {
    ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
        "needs constant weights");
    return FALSE;
  }
  if (x->dims[1] % OVI_BLOCK != 0 || pw->dims[0] % OVI_BLOCK != 0
      || dw->rank != 4 || dw->dims[0] != pw->dims[0] || dw->dims[1] != 1
      || ovi_node_attr_int (ctx->node, "group", 1) != pw->dims[0]) {
    ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
        "runs channels in multiples of 8 and a depthwise convolution of "
        "one output channel per channel only");
    return FALSE;
  }
  p = g_new0 (PwDw, 1);
  pwdw_shape (ctx, p);
  ovi_postops_from_node (ctx->node, &p->dw_ops);
  ovi_postops_from_attrs (ctx->node, OVI_ATTR_PW_ACTIVATION,
      OVI_ATTR_PW_ALPHA, OVI_ATTR_PW_BETA, &p->pw_ops);
  p->pw_packed = ovi_aligned_alloc_streamed (sizeof (float)
      * ovi_blocked_pointwise_packed_floats (p->c, p->m));
  p->dw_packed = ovi_aligned_alloc_streamed (sizeof (float)
      * ovi_blocked_depthwise_packed_floats (&p->d, p->m));
  if (p->pw_packed == NULL || p->dw_packed == NULL) {
    pwdw_release (p);
    ovi_cpu_out_of_memory (ctx, error);
    return FALSE;
  }
  ovi_blocked_pointwise_pack (p->c, p->m, pw->data, pb ? pb->data : NULL,
      p->pw_packed);
  ovi_blocked_depthwise_pack (&p->d, p->m, dw->data, db ? db->data : NULL,
      p->dw_packed);
  ctx->packed_inputs |= 1u << 1 | 1u << 3 | (pb ? 1u << 2 : 0)
      | (db ? 1u << 4 : 0);
  ctx->state = p;
  return TRUE;
}

static gsize
pwdw_scratch (OviOpCtx *ctx)
{
  gsize most = 0;
  PwDw p = { 0 };

  pwdw_shape (ctx, &p);
  for (int t = 1; t <= MAX (ctx->max_threads, 1); t++) {
    PwDwSplit s;
    OviScratch sc;
    pwdw_plan (&p, t, &s);
    ovi_scratch_begin (&sc, NULL);
    pwdw_scratch_layout (&sc, &s, t, NULL);
    most = MAX (most, sc.used);
  }
  return most;
}

const OviCpuKernel ovi_cpu_pointwise_depthwise[] = {
  { OVI_OP_POINTWISE_DEPTHWISE, pwdw_run, pwdw_prepare, pwdw_release,
    pwdw_scratch },
  { NULL }
};
