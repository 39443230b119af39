/* CPU kernel for Einsum.
 *
 * The equation is parsed once per plan (prepare) into loop axes with
 * per-operand strides. float32 products of two operands that amount to a
 * batched matrix product (no diagonal, no axis summed in one operand only)
 * gather the operands into [batch, m, k] and [batch, k, n], multiply on
 * the GEMM engine (cpu-sgemm.h) and scatter the result, all in the
 * kernel's scratch. Everything else walks every loop axis in double or
 * wrapping 64-bit integers, allocating its temporaries per call. */
#include <string.h>

#include "cpu-einsum-plan.h"
#include "cpu-ops.h"
#include "cpu-scratch.h"
#include "cpu-sgemm.h"
#include "cpu-widen.h"

/* ------------------------------------------------------------------ */
/* Einsum                                                               */
/* ------------------------------------------------------------------ */

static int
ein_letter (char c)
{
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  return -1;
}

gboolean
ovi_einsum_plan (OviOpCtx *ctx, EinPlan *p)
{
  const char *eq = ovi_node_attr_string (ctx->node, "equation", "");
  char *s = g_malloc (strlen (eq) + 1), *q = s, *arrow, *term;
  int n_ops = ctx->n_inputs;
  int *op_labels = g_new0 (int, n_ops * OVI_MAX_RANK);
  int64_t lsize[EIN_MAX_LABELS];
  int lcount[EIN_MAX_LABELS], pos_of[EIN_MAX_LABELS];
  int ell_rank = 0, t = 0;
  gboolean ok = TRUE;

  for (const char *c = eq; *c; c++)
    if (*c != ' ' && *c != '\t')
      *q++ = *c;
  *q = '\0';
  for (int i = 0; i < EIN_MAX_LABELS; i++) {
    lsize[i] = 1;
    lcount[i] = 0;
    pos_of[i] = -1;
  }
  arrow = strstr (s, "->");
  if (arrow)
    *arrow = '\0';

  /* The ellipsis rank is the largest any input gives it. */
  term = s;
  for (t = 0; t < n_ops; t++) {
    int n_letters = 0;
    for (char *c = term; *c && *c != ','; c++)
      n_letters += ein_letter (*c) >= 0;
    ell_rank = MAX (ell_rank, ctx->inputs[t]->rank - n_letters);
    term = strchr (term, ',');
    if (term == NULL)
      break;
    term++;
  }

  term = s;
  for (t = 0; t < n_ops && term; t++) {
    const OviTensor *x = ctx->inputs[t];
    int n_letters = 0, d = 0, ne;
    for (char *c = term; *c && *c != ','; c++)
      n_letters += ein_letter (*c) >= 0;
    ne = x->rank - n_letters;
    for (char *c = term; *c && *c != ',' && d < x->rank; c++) {
      int l = ein_letter (*c);
      if (l < 0) {
        for (int e = 0; e < ne; e++, d++) {
          int id = EIN_LETTERS + ell_rank - ne + e;
          op_labels[t * OVI_MAX_RANK + d] = id;
          if (x->dims[d] != 1)
            lsize[id] = x->dims[d];
          lcount[id]++;
        }
        c += 2;
        continue;
      }
      op_labels[t * OVI_MAX_RANK + d] = l;
      lsize[l] = x->dims[d];
      lcount[l]++;
      d++;
    }
    term = strchr (term, ',');
    if (term)
      term++;
  }

  /* Output axes. */
  p->n_ops = n_ops;
  p->n_labels = 0;
  if (arrow) {
    for (char *c = arrow + 2; *c; c++) {
      int l = ein_letter (*c);
      if (l < 0) {
        for (int e = 0; e < ell_rank; e++)
          p->label[p->n_labels++] = EIN_LETTERS + e;
        c += 2;
        continue;
      }
      p->label[p->n_labels++] = l;
    }
  } else {
    for (int e = 0; e < ell_rank; e++)
      p->label[p->n_labels++] = EIN_LETTERS + e;
    for (int l = 0; l < EIN_LETTERS; l++)
      if (lcount[l] == 1)
        p->label[p->n_labels++] = l;
  }
  p->n_out = p->n_labels;
  for (int i = 0; i < p->n_labels; i++)
    pos_of[p->label[i]] = i;
  /* Summed axes: every other label in use. */
  for (int l = 0; l < EIN_MAX_LABELS; l++) {
    if (lcount[l] > 0 && pos_of[l] < 0) {
      pos_of[l] = p->n_labels;
      p->label[p->n_labels++] = l;
    }
  }
  for (int i = 0; i < p->n_labels; i++)
    p->size[i] = lsize[p->label[i]];

  p->stride = g_new0 (int64_t, MAX (n_ops * p->n_labels, 1));
  p->count = g_new0 (guint8, MAX (n_ops * p->n_labels, 1));
  for (t = 0; t < n_ops; t++) {
    const OviTensor *x = ctx->inputs[t];
    int64_t st = 1;
    for (int d = x->rank - 1; d >= 0; d--) {
      int pos = pos_of[op_labels[t * OVI_MAX_RANK + d]];
      /* Broadcast axes of size 1 do not move; repeated labels add up
       * (diagonals). */
      if (pos >= 0 && !(x->dims[d] == 1 && p->size[pos] != 1))
        p->stride[t * p->n_labels + pos] += st;
      if (pos >= 0)
        p->count[t * p->n_labels + pos]++;
      st *= x->dims[d];
    }
  }
  g_free (op_labels);
  g_free (s);
  return ok;
}

/* Walks every loop axis with an odometer: outer over the output axes
 * (row-major, matching the output layout), inner over summed axes. */
#define EIN_LOOP(TYPE, ZERO, ONE, vals, out)                               \
  G_STMT_START {                                                            \
    int nl = p->n_labels, no = p->n_out, nop = p->n_ops;                    \
    int64_t n_out_el = 1, n_sum = 1;                                        \
    int64_t oidx[EIN_MAX_LABELS], off[64];                                  \
    for (int i = 0; i < no; i++)                                            \
      n_out_el *= p->size[i];                                               \
    for (int i = no; i < nl; i++)                                           \
      n_sum *= p->size[i];                                                  \
    memset (oidx, 0, sizeof (oidx));                                        \
    memset (off, 0, sizeof (off));                                          \
    for (int64_t e = 0; e < n_out_el; e++) {                                \
      TYPE acc = ZERO;                                                      \
      int64_t sidx[EIN_MAX_LABELS], soff[64];                               \
      memset (sidx, 0, sizeof (sidx));                                      \
      memcpy (soff, off, sizeof (int64_t) * nop);                           \
      for (int64_t r = 0; r < n_sum; r++) {                                 \
        TYPE prod = ONE;                                                    \
        for (int t = 0; t < nop; t++)                                       \
          prod *= vals[t][soff[t]];                                         \
        acc += prod;                                                        \
        for (int i = nl - 1; i >= no; i--) {                                \
          for (int t = 0; t < nop; t++)                                     \
            soff[t] += p->stride[t * nl + i];                               \
          if (++sidx[i] < p->size[i])                                       \
            break;                                                          \
          for (int t = 0; t < nop; t++)                                     \
            soff[t] -= p->stride[t * nl + i] * p->size[i];                  \
          sidx[i] = 0;                                                      \
        }                                                                   \
      }                                                                     \
      out[e] = acc;                                                         \
      for (int i = no - 1; i >= 0; i--) {                                   \
        for (int t = 0; t < nop; t++)                                       \
          off[t] += p->stride[t * nl + i];                                  \
        if (++oidx[i] < p->size[i])                                         \
          break;                                                            \
        for (int t = 0; t < nop; t++)                                       \
          off[t] -= p->stride[t * nl + i] * p->size[i];                     \
        oidx[i] = 0;                                                        \
      }                                                                     \
    }                                                                       \
  } G_STMT_END

static void
einsum_f64 (const EinPlan *p, double **vals, double *out)
{
  EIN_LOOP (double, 0.0, 1.0, vals, out);
}

static void
einsum_u64 (const EinPlan *p, guint64 **vals, guint64 *out)
{
  EIN_LOOP (guint64, 0, 1, vals, out);
}

/* Copies the strided view of src over loop axes axes[0..n) (row-major,
 * last fastest) into dense dst, or (scatter) dense src into the strided
 * view of dst. */
static void
ein_copy (const EinPlan *p, const int *axes, int n, const int64_t *stride,
    const float *src, float *dst, gboolean scatter)
{
  int64_t idx[EIN_MAX_LABELS], total = 1, off = 0;
  for (int i = 0; i < n; i++) {
    total *= p->size[axes[i]];
    idx[i] = 0;
  }
  for (int64_t e = 0; e < total; e++) {
    if (scatter)
      dst[off] = src[e];
    else
      dst[e] = src[off];
    for (int i = n - 1; i >= 0; i--) {
      off += stride[axes[i]];
      if (++idx[i] < p->size[axes[i]])
        break;
      off -= stride[axes[i]] * p->size[axes[i]];
      idx[i] = 0;
    }
  }
}

void
ovi_einsum_plan_clear (EinPlan *p)
{
  g_free (p->stride);
  g_free (p->count);
}

/* The batched GEMM a float32 two-operand Einsum amounts to: loop axes
 * split into batch (both inputs and the output), m (A and the output),
 * n (B and the output) and k (both inputs, summed). */
typedef struct {
  int bx[EIN_MAX_LABELS], mx[EIN_MAX_LABELS], nx[EIN_MAX_LABELS];
  int kx[EIN_MAX_LABELS];
  int nb, nm, nn, nk;
  int64_t bsz, msz, nsz, ksz;
  /* Buffers: A, B and Y gathered, and the GEMM's packing. */
  float *a, *b, *y;
  void *gemm;
} EinGemm;

/* FALSE when the equation is no batched GEMM; else its plan, taking its
 * buffers from s. */
static gboolean
ein_gemm_plan (OviOpCtx *ctx, const EinPlan *p, int threads, OviScratch *s,
    EinGemm *e)
{
  int nl = p->n_labels;

  memset (e, 0, sizeof (*e));
  if (p->n_ops != 2 || ctx->inputs[0]->dtype != OVI_DTYPE_FLOAT32)
    return FALSE;
  for (int i = 0; i < nl; i++) {
    int ca = p->count[i], cb = p->count[nl + i];
    gboolean out = i < p->n_out;
    if (ca > 1 || cb > 1)
      return FALSE;
    if (ca && cb && out)
      e->bx[e->nb++] = i;
    else if (ca && !cb && out)
      e->mx[e->nm++] = i;
    else if (!ca && cb && out)
      e->nx[e->nn++] = i;
    else if (ca && cb && !out)
      e->kx[e->nk++] = i;
    else
      return FALSE;
  }
  e->bsz = e->msz = e->nsz = e->ksz = 1;
  for (int i = 0; i < e->nb; i++)
    e->bsz *= p->size[e->bx[i]];
  for (int i = 0; i < e->nm; i++)
    e->msz *= p->size[e->mx[i]];
  for (int i = 0; i < e->nn; i++)
    e->nsz *= p->size[e->nx[i]];
  for (int i = 0; i < e->nk; i++)
    e->ksz *= p->size[e->kx[i]];
  e->a = ovi_scratch_take (s, e->bsz * e->msz * e->ksz, sizeof (float));
  e->b = ovi_scratch_take (s, e->bsz * e->ksz * e->nsz, sizeof (float));
  e->y = ovi_scratch_take (s, e->bsz * e->msz * e->nsz, sizeof (float));
  e->gemm = ovi_scratch_take (s, ovi_sgemm_scratch_size (e->msz, e->nsz,
          e->ksz, threads, 0), 1);
  return TRUE;
}

static void
einsum_f32_gemm (OviOpCtx *ctx, const EinPlan *p, const EinGemm *e,
    int threads)
{
  int nl = p->n_labels;
  int ax[EIN_MAX_LABELS], bxs[EIN_MAX_LABELS], yx[EIN_MAX_LABELS];
  int nb = e->nb, nm = e->nm, nn = e->nn, nk = e->nk;
  int64_t msz = e->msz, nsz = e->nsz, ksz = e->ksz;
  int64_t ostride[EIN_MAX_LABELS], st = 1;
  float *a = e->a, *b = e->b, *y = e->y;

  /* Output strides per loop axis, from the output's row-major layout. */
  for (int i = p->n_out - 1; i >= 0; i--) {
    ostride[i] = st;
    st *= p->size[i];
  }
  /* A as [batch, m, k], B as [batch, k, n], Y as [batch, m, n]. */
  memcpy (ax, e->bx, sizeof (int) * nb);
  memcpy (ax + nb, e->mx, sizeof (int) * nm);
  memcpy (ax + nb + nm, e->kx, sizeof (int) * nk);
  ein_copy (p, ax, nb + nm + nk, p->stride, ctx->inputs[0]->data, a, FALSE);
  memcpy (bxs, e->bx, sizeof (int) * nb);
  memcpy (bxs + nb, e->kx, sizeof (int) * nk);
  memcpy (bxs + nb + nk, e->nx, sizeof (int) * nn);
  ein_copy (p, bxs, nb + nk + nn, p->stride + nl, ctx->inputs[1]->data, b,
      FALSE);
  for (int64_t i = 0; i < e->bsz; i++)
    ovi_sgemm (FALSE, FALSE, msz, nsz, ksz, 1.0f, a + i * msz * ksz, ksz,
        b + i * ksz * nsz, nsz, 0.0f, y + i * msz * nsz, nsz, e->gemm,
        threads);
  memcpy (yx, e->bx, sizeof (int) * nb);
  memcpy (yx + nb, e->mx, sizeof (int) * nm);
  memcpy (yx + nb + nm, e->nx, sizeof (int) * nn);
  ein_copy (p, yx, nb + nm + nn, ostride, y, ctx->outputs[0]->data, TRUE);
}

static gboolean
einsum_prepare (OviOpCtx *ctx, GError **error)
{
  EinPlan *p;
  if (ctx->n_inputs > 64)
    return TRUE;
  p = g_new0 (EinPlan, 1);
  ovi_einsum_plan (ctx, p);
  ctx->state = p;
  return TRUE;
}

static void
einsum_release (gpointer state)
{
  EinPlan *p = state;
  if (p == NULL)
    return;
  ovi_einsum_plan_clear (p);
  g_free (p);
}

static gsize
einsum_scratch (OviOpCtx *ctx)
{
  EinPlan p;
  EinGemm e;
  OviScratch s;
  if (ctx->n_inputs != 2 || ctx->inputs[0]->dtype != OVI_DTYPE_FLOAT32)
    return 0;
  ovi_einsum_plan (ctx, &p);
  ovi_scratch_begin (&s, NULL);
  ein_gemm_plan (ctx, &p, MAX (ctx->max_threads, 1), &s, &e);
  ovi_einsum_plan_clear (&p);
  return s.used;
}

static gboolean
run_einsum (OviOpCtx *ctx, GError **error)
{
  OviTensor *y = ctx->outputs[0];
  gboolean is_int = !ovi_dtype_is_float (y->dtype);
  int n_ops = ctx->n_inputs;
  int64_t n_out = ovi_tensor_numel (y);
  int threads = MAX (ctx->max_threads, 1);
  gpointer *vals;
  gpointer out;
  gboolean ok = TRUE, failed = FALSE;
  EinPlan local, *p = ctx->state;
  EinGemm e;
  OviScratch s;

  if (n_ops > 64) {
    ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED, "more than 64 operands");
    return FALSE;
  }
  if (p == NULL) {
    ovi_einsum_plan (ctx, &local);
    p = &local;
  }
  ovi_scratch_begin (&s, ctx);
  if (ein_gemm_plan (ctx, p, threads, &s, &e)) {
    if (ovi_scratch_check (ctx, &s, error))
      einsum_f32_gemm (ctx, p, &e, threads);
    else
      failed = TRUE;
    goto out;
  }
  /* The generic path (any type, any equation): allocates. */
  vals = g_new0 (gpointer, n_ops);
  for (int t = 0; t < n_ops; t++) {
    vals[t] = is_int ? (gpointer) ovi_cpu_load_u64 (ctx->inputs[t])
        : (gpointer) ovi_cpu_load_f64 (ctx->inputs[t]);
    ok &= vals[t] != NULL;
  }
  out = is_int ? (gpointer) g_try_new (guint64, MAX (n_out, 1))
      : (gpointer) g_try_new (double, MAX (n_out, 1));
  ok &= out != NULL;
  if (ok) {
    if (is_int) {
      einsum_u64 (p, (guint64 **) vals, out);
      ovi_cpu_store_u64 (y, out);
    } else {
      einsum_f64 (p, (double **) vals, out);
      ovi_cpu_store_f64 (y, out);
    }
  }
  for (int t = 0; t < n_ops; t++)
    g_free (vals[t]);
  g_free (vals);
  g_free (out);
out:
  if (p == &local)
    ovi_einsum_plan_clear (&local);
  if (failed)
    return FALSE;
  return ok ? TRUE : ovi_cpu_out_of_memory (ctx, error);
}

const OviCpuKernel ovi_cpu_einsum[] = {
  { "Einsum", run_einsum, einsum_prepare, einsum_release, einsum_scratch },
  { NULL }
};
