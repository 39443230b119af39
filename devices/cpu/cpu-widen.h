/* Whole-tensor conversions for the generic (non-float32) paths of the
 * conv, matmul and einsum kernels: every float type computes in double,
 * every integer type in wrapping 64-bit arithmetic. These paths allocate
 * their temporaries per call (the float32 paths use the kernels'
 * scratch). */
#ifndef OVI_CPU_WIDEN_H
#define OVI_CPU_WIDEN_H

#include <string.h>

#include "ops/ops.h"

G_BEGIN_DECLS

static inline gboolean
ovi_cpu_out_of_memory (OviOpCtx *ctx, GError **error)
{
  ovi_op_error (ctx, error, OVI_ERROR_INVALID, "out of memory");
  return FALSE;
}

/* Whole tensor as doubles; NULL when memory runs out. */
static inline double *
ovi_cpu_load_f64 (const OviTensor *t)
{
  int64_t n = ovi_tensor_numel (t);
  double *d = g_try_new (double, MAX (n, 1));
  if (d == NULL)
    return NULL;
  if (t->dtype == OVI_DTYPE_FLOAT64) {
    memcpy (d, t->data, sizeof (double) * n);
  } else if (t->dtype == OVI_DTYPE_FLOAT32) {
    const float *f = t->data;
    for (int64_t i = 0; i < n; i++)
      d[i] = f[i];
  } else {
    for (int64_t i = 0; i < n; i++)
      d[i] = ovi_load_f64 (t->dtype, t->data, i);
  }
  return d;
}

static inline void
ovi_cpu_store_f64 (OviTensor *t, const double *d)
{
  int64_t n = ovi_tensor_numel (t);
  if (t->dtype == OVI_DTYPE_FLOAT64) {
    memcpy (t->data, d, sizeof (double) * n);
  } else {
    for (int64_t i = 0; i < n; i++)
      ovi_store_f64 (t->dtype, t->data, i, d[i]);
  }
}

/* Whole integer tensor as wrapping 64-bit values. */
static inline guint64 *
ovi_cpu_load_u64 (const OviTensor *t)
{
  int64_t n = ovi_tensor_numel (t);
  guint64 *d = g_try_new (guint64, MAX (n, 1));
  if (d == NULL)
    return NULL;
  for (int64_t i = 0; i < n; i++)
    d[i] = (guint64) ovi_load_i64 (t->dtype, t->data, i);
  return d;
}

static inline void
ovi_cpu_store_u64 (OviTensor *t, const guint64 *d)
{
  int64_t n = ovi_tensor_numel (t);
  for (int64_t i = 0; i < n; i++)
    ovi_store_i64 (t->dtype, t->data, i, (int64_t) d[i]);
}

G_END_DECLS

#endif
