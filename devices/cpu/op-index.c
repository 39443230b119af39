/* CPU kernels for the index op group. Data movement is by element size,
 * so every type works; scatter reductions compute through double (float
 * types) or int64 (integer types, wrapping like the element type).
 *
 * Every index read from a tensor is checked against its dimension before
 * use: an index out of range fails the inference with an error naming the
 * node, never reads or writes out of bounds. */
#include <math.h>
#include <string.h>

#include "cpu-ops.h"
#include "ops/nms.h"
#include "ops/unique.h"
#include "cpu-parallel.h"

/* Copies one block of `size` bytes; the common element sizes compile to
 * single moves. */
static inline void
copy_block (guint8 *dst, const guint8 *src, gsize size)
{
  switch (size) {
    case 1: *dst = *src; break;
    case 2: memcpy (dst, src, 2); break;
    case 4: memcpy (dst, src, 4); break;
    case 8: memcpy (dst, src, 8); break;
    default: memcpy (dst, src, size); break;
  }
}

static gboolean
index_error (OviOpCtx *ctx, GError **error, int64_t v, int64_t dim)
{
  ovi_op_error (ctx, error, OVI_ERROR_INVALID, "index %" G_GINT64_FORMAT
      " is out of range for a dimension of %" G_GINT64_FORMAT, v, dim);
  return FALSE;
}

/* Reads index i of t, checks it against [-dim, dim) and makes it
 * non-negative. */
static inline gboolean
get_index (const OviTensor *t, int64_t i, int64_t dim, int64_t *out)
{
  int64_t v = t->dtype == OVI_DTYPE_INT64 ? ((const int64_t *) t->data)[i]
      : ovi_load_i64 (t->dtype, t->data, i);
  if (v < -dim || v >= dim) {
    *out = v;
    return FALSE;
  }
  *out = v < 0 ? v + dim : v;
  return TRUE;
}

/* All of t's indices, checked and normalized, into out; FALSE with an
 * error when one is out of range. */
static gboolean
read_indices (OviOpCtx *ctx, const OviTensor *t, int64_t dim, int64_t *out,
    GError **error)
{
  int64_t n = ovi_tensor_numel (t);
  for (int64_t i = 0; i < n; i++)
    if (!get_index (t, i, dim, &out[i]))
      return index_error (ctx, error, out[i], dim);
  return TRUE;
}

/* Gather's temporary memory (ctx->scratch): its normalized indices, an
 * int64 for each (OVI_ALIGNMENT-aligned, as every scratch block is). */
static gsize
scratch_gather (OviOpCtx *ctx)
{
  return (gsize) MAX (ovi_tensor_numel (ctx->inputs[1]), 1)
      * sizeof (int64_t);
}

static gboolean
read_axis (OviOpCtx *ctx, int rank, int64_t def, int *axis, GError **error)
{
  if (!ovi_op_axis (ovi_node_attr_int (ctx->node, "axis", def), rank, axis)) {
    ovi_op_error (ctx, error, OVI_ERROR_INVALID, "axis is out of range");
    return FALSE;
  }
  return TRUE;
}

#define GATHER_LOOP(size) \
  for (int64_t t = t0; t < t1; t++) { \
    memcpy (dst + t * (size), src + (o * n + idx[j]) * (size), (size)); \
    if (++j == ni) { \
      j = 0; \
      o++; \
    } \
  }

/* Output blocks t0..t1 of Gather, the block size a constant for the
 * common element sizes. */
static void
gather_range (guint8 *dst, const guint8 *src, const int64_t *idx, int64_t n,
    int64_t ni, int64_t block, int64_t t0, int64_t t1)
{
  int64_t o = t0 / ni, j = t0 % ni;
  switch (block) {
    case 1: GATHER_LOOP (1); break;
    case 2: GATHER_LOOP (2); break;
    case 4: GATHER_LOOP (4); break;
    case 8: GATHER_LOOP (8); break;
    default: GATHER_LOOP (block); break;
  }
}

/* Gather: [outer, n, inner] data, every (outer, index) pair copies one
 * inner block. */
static gboolean
run_gather (OviOpCtx *ctx, GError **error)
{
  OviTensor *data = ctx->inputs[0], *ind = ctx->inputs[1];
  OviTensor *y = ctx->outputs[0];
  gsize esize = ovi_dtype_size (data->dtype);
  int64_t outer, n, block, ni, total;
  int64_t *idx;
  int axis;

  if (!read_axis (ctx, data->rank, 0, &axis, error))
    return FALSE;
  outer = ovi_shape_numel (axis, data->dims);
  n = data->dims[axis];
  block = ovi_shape_numel (data->rank - axis - 1, data->dims + axis + 1)
      * esize;
  ni = ovi_tensor_numel (ind);
  total = outer * ni;
  idx = ctx->scratch;
  if (idx == NULL || ctx->scratch_size < scratch_gather (ctx)) {
    ovi_op_error (ctx, error, OVI_ERROR_INVALID, "needs %" G_GSIZE_FORMAT
        " bytes of scratch memory, has %" G_GSIZE_FORMAT,
        scratch_gather (ctx), ctx->scratch_size);
    return FALSE;
  }
  if (!read_indices (ctx, ind, n, idx, error))
    return FALSE;
  if (total > 0 && block > 0) {
    const guint8 *src = data->data;
    guint8 *dst = y->data;
    int64_t nchunks = total * block > 262144 ? MIN (total, 64) : 1;
    /* Block copies: a word moved per step. */
    OVI_PARALLEL_FOR (nchunks > 1 ? total * block / 8 : 0,
        for (int64_t c = 0; c < nchunks; c++), {
      gather_range (dst, src, idx, n, ni, block, total * c / nchunks,
          total * (c + 1) / nchunks);
    });
  }
  return TRUE;
}

/* GatherElements: odometer over the indices, the data offset tracked for
 * every dimension but the axis. */
static gboolean
run_gather_elements (OviOpCtx *ctx, GError **error)
{
  OviTensor *data = ctx->inputs[0], *ind = ctx->inputs[1];
  OviTensor *y = ctx->outputs[0];
  gsize esize = ovi_dtype_size (data->dtype);
  int64_t ds[OVI_MAX_RANK], coord[OVI_MAX_RANK] = { 0 };
  int64_t n = ovi_tensor_numel (ind), off = 0;
  int rank = data->rank, axis;
  const guint8 *src = data->data;
  guint8 *dst = y->data;

  if (!read_axis (ctx, rank, 0, &axis, error))
    return FALSE;
  for (int d = 0; d < rank; d++)
    if (d != axis && ind->dims[d] > data->dims[d]) {
      ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "indices are larger than the data");
      return FALSE;
    }
  ovi_shape_strides (rank, data->dims, ds);
  for (int64_t p = 0; p < n; p++) {
    int64_t v;
    if (!get_index (ind, p, data->dims[axis], &v))
      return index_error (ctx, error, v, data->dims[axis]);
    copy_block (dst + p * esize, src + (off + v * ds[axis]) * esize, esize);
    for (int d = rank - 1; d >= 0; d--) {
      if (d != axis)
        off += ds[d];
      if (++coord[d] < ind->dims[d])
        break;
      if (d != axis)
        off -= ds[d] * ind->dims[d];
      coord[d] = 0;
    }
  }
  return TRUE;
}

/* Offset of index tuple t (k values from dimension `first` of data),
 * checked; -1 with an error when out of range. */
static int64_t
tuple_offset (OviOpCtx *ctx, const OviTensor *data, const OviTensor *ind,
    int64_t t, int64_t k, int first, const int64_t *ds, GError **error)
{
  int64_t off = 0;
  for (int64_t i = 0; i < k; i++) {
    int64_t dim = data->dims[first + i], v;
    if (!get_index (ind, t * k + i, dim, &v)) {
      index_error (ctx, error, v, dim);
      return -1;
    }
    off += v * ds[first + i];
  }
  return off;
}

static gboolean
run_gather_nd (OviOpCtx *ctx, GError **error)
{
  OviTensor *data = ctx->inputs[0], *ind = ctx->inputs[1];
  OviTensor *y = ctx->outputs[0];
  gsize esize = ovi_dtype_size (data->dtype);
  int b = (int) ovi_node_attr_int (ctx->node, "batch_dims", 0);
  int64_t k = ind->dims[ind->rank - 1];
  int64_t ds[OVI_MAX_RANK];
  int64_t nb, nt, slice, batch;
  const guint8 *src = data->data;
  guint8 *dst = y->data;

  if (b < 0 || b + k > data->rank) {
    ovi_op_error (ctx, error, OVI_ERROR_INVALID, "bad batch_dims");
    return FALSE;
  }
  ovi_shape_strides (data->rank, data->dims, ds);
  nb = ovi_shape_numel (b, data->dims);
  nt = ovi_shape_numel (ind->rank - 1 - b, ind->dims + b);
  slice = ovi_shape_numel (data->rank - b - k, data->dims + b + k) * esize;
  batch = ovi_shape_numel (data->rank - b, data->dims + b);
  for (int64_t bb = 0; bb < nb; bb++) {
    for (int64_t t = 0; t < nt; t++) {
      int64_t off = tuple_offset (ctx, data, ind, bb * nt + t, k, b, ds,
          error);
      if (off < 0)
        return FALSE;
      copy_block (dst + (bb * nt + t) * slice,
          src + (bb * batch + off) * esize, slice);
    }
  }
  return TRUE;
}

typedef enum {
  RED_NONE, RED_ADD, RED_MUL, RED_MAX, RED_MIN
} Reduction;

static Reduction
reduction_of (const OviNode *node)
{
  const char *r = ovi_node_attr_string (node, "reduction", "none");
  if (strcmp (r, "add") == 0)
    return RED_ADD;
  if (strcmp (r, "mul") == 0)
    return RED_MUL;
  if (strcmp (r, "max") == 0)
    return RED_MAX;
  if (strcmp (r, "min") == 0)
    return RED_MIN;
  return RED_NONE;
}

/* y[yi] = y[yi] (op) u[ui], n consecutive elements. */
static void
scatter_apply (Reduction red, OviDType dt, void *y, int64_t yi,
    const void *u, int64_t ui, int64_t n)
{
  gsize esize = ovi_dtype_size (dt);
  if (red == RED_NONE) {
    memcpy ((guint8 *) y + yi * esize, (const guint8 *) u + ui * esize,
        n * esize);
    return;
  }
  if (ovi_dtype_is_float (dt)) {
    for (int64_t i = 0; i < n; i++) {
      double a = ovi_load_f64 (dt, y, yi + i), b = ovi_load_f64 (dt, u,
          ui + i);
      switch (red) {
        case RED_ADD: a += b; break;
        case RED_MUL: a *= b; break;
        case RED_MAX: a = b > a || isnan (b) ? b : a; break;
        case RED_MIN: a = b < a || isnan (b) ? b : a; break;
        default: break;
      }
      ovi_store_f64 (dt, y, yi + i, a);
    }
  } else {
    gboolean uns = ovi_dtype_is_unsigned_int (dt);
    for (int64_t i = 0; i < n; i++) {
      int64_t a = ovi_load_i64 (dt, y, yi + i), b = ovi_load_i64 (dt, u,
          ui + i);
      switch (red) {
        case RED_ADD: a = (int64_t) ((guint64) a + (guint64) b); break;
        case RED_MUL: a = (int64_t) ((guint64) a * (guint64) b); break;
        case RED_MAX:
          if (uns ? (guint64) b > (guint64) a : b > a)
            a = b;
          break;
        case RED_MIN:
          if (uns ? (guint64) b < (guint64) a : b < a)
            a = b;
          break;
        default: break;
      }
      ovi_store_i64 (dt, y, yi + i, a);
    }
  }
}

/* Scatter (opset 9-10) and ScatterElements. */
static gboolean
run_scatter_elements (OviOpCtx *ctx, GError **error)
{
  OviTensor *data = ctx->inputs[0], *ind = ctx->inputs[1];
  OviTensor *upd = ctx->inputs[2], *y = ctx->outputs[0];
  Reduction red = reduction_of (ctx->node);
  int64_t ds[OVI_MAX_RANK], coord[OVI_MAX_RANK] = { 0 };
  int64_t n = ovi_tensor_numel (ind), off = 0;
  int rank = data->rank, axis;

  if (!read_axis (ctx, rank, 0, &axis, error))
    return FALSE;
  for (int d = 0; d < rank; d++)
    if (d != axis && ind->dims[d] > data->dims[d]) {
      ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "indices are larger than the data");
      return FALSE;
    }
  if (y->data != data->data)
    memcpy (y->data, data->data, ovi_tensor_nbytes (data));
  ovi_shape_strides (rank, data->dims, ds);
  for (int64_t p = 0; p < n; p++) {
    int64_t v;
    if (!get_index (ind, p, data->dims[axis], &v))
      return index_error (ctx, error, v, data->dims[axis]);
    scatter_apply (red, data->dtype, y->data, off + v * ds[axis], upd->data,
        p, 1);
    for (int d = rank - 1; d >= 0; d--) {
      if (d != axis)
        off += ds[d];
      if (++coord[d] < ind->dims[d])
        break;
      if (d != axis)
        off -= ds[d] * ind->dims[d];
      coord[d] = 0;
    }
  }
  return TRUE;
}

static gboolean
run_scatter_nd (OviOpCtx *ctx, GError **error)
{
  OviTensor *data = ctx->inputs[0], *ind = ctx->inputs[1];
  OviTensor *upd = ctx->inputs[2], *y = ctx->outputs[0];
  Reduction red = reduction_of (ctx->node);
  int64_t k = ind->dims[ind->rank - 1];
  int64_t ds[OVI_MAX_RANK], nt, slice;

  if (k > data->rank) {
    ovi_op_error (ctx, error, OVI_ERROR_INVALID, "index tuples too long");
    return FALSE;
  }
  if (y->data != data->data)
    memcpy (y->data, data->data, ovi_tensor_nbytes (data));
  ovi_shape_strides (data->rank, data->dims, ds);
  nt = ovi_shape_numel (ind->rank - 1, ind->dims);
  slice = ovi_shape_numel (data->rank - k, data->dims + k);
  for (int64_t t = 0; t < nt; t++) {
    int64_t off = tuple_offset (ctx, data, ind, t, k, 0, ds, error);
    if (off < 0)
      return FALSE;
    scatter_apply (red, data->dtype, y->data, off, upd->data, t * slice,
        slice);
  }
  return TRUE;
}

static gboolean
run_onehot (OviOpCtx *ctx, GError **error)
{
  OviTensor *ind = ctx->inputs[0], *depth_t = ctx->inputs[1];
  OviTensor *values = ctx->inputs[2], *y = ctx->outputs[0];
  gsize esize = ovi_dtype_size (values->dtype);
  int64_t depth = ovi_tensor_get_i64 (depth_t, 0);
  int64_t n = ovi_tensor_numel (ind), total = ovi_tensor_numel (y);
  int64_t inner = 1;
  const guint8 *off_v = values->data, *on_v = off_v + esize;
  guint8 *dst = y->data;
  int axis;

  if (!read_axis (ctx, ind->rank + 1, -1, &axis, error))
    return FALSE;
  if (y->rank != ind->rank + 1 || y->dims[axis] != depth) {
    ovi_op_error (ctx, error, OVI_ERROR_INVALID, "depth changed");
    return FALSE;
  }
  inner = ovi_shape_numel (ind->rank - axis, ind->dims + axis);
  for (int64_t i = 0; i < total; i++)
    copy_block (dst + i * esize, off_v, esize);
  /* Indices outside [-depth, depth) leave an all-off vector (spec). */
  for (int64_t p = 0; p < n; p++) {
    int64_t v = ovi_load_i64 (ind->dtype, ind->data, p);
    int64_t o = p / inner, i = p % inner;
    if (v < 0)
      v += depth;
    if (v < 0 || v >= depth)
      continue;
    copy_block (dst + ((o * depth + v) * inner + i) * esize, on_v, esize);
  }
  return TRUE;
}

static gboolean
is_nonzero (OviDType dt, const void *base, int64_t i)
{
  switch (dt) {
    case OVI_DTYPE_FLOAT32: return ((const float *) base)[i] != 0;
    case OVI_DTYPE_FLOAT64: return ((const double *) base)[i] != 0;
    case OVI_DTYPE_FLOAT16: case OVI_DTYPE_BFLOAT16:
      return (((const guint16 *) base)[i] & 0x7fff) != 0;
    default: return ovi_load_i64 (dt, base, i) != 0;
  }
}

static gboolean
run_nonzero (OviOpCtx *ctx, GError **error)
{
  OviTensor *x = ctx->inputs[0], *y = ctx->outputs[0];
  int64_t n = ovi_tensor_numel (x), nnz = y->dims[1], c = 0;
  int64_t coord[OVI_MAX_RANK] = { 0 };
  int64_t *out = y->data;

  for (int64_t p = 0; p < n; p++) {
    if (is_nonzero (x->dtype, x->data, p)) {
      if (c >= nnz)
        break;
      for (int d = 0; d < x->rank; d++)
        out[d * nnz + c] = coord[d];
      c++;
    }
    for (int d = x->rank - 1; d >= 0; d--) {
      if (++coord[d] < x->dims[d])
        break;
      coord[d] = 0;
    }
  }
  if (c != nnz) {
    ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "input changed since its shape was computed");
    return FALSE;
  }
  return TRUE;
}

static gboolean
run_compress (OviOpCtx *ctx, GError **error)
{
  OviTensor *x = ctx->inputs[0], *cond = ctx->inputs[1];
  OviTensor *y = ctx->outputs[0];
  gsize esize = ovi_dtype_size (x->dtype);
  int64_t outer = 1, n, block = esize, len, count = 0, expect;
  int64_t *sel;
  const guint8 *src = x->data;
  guint8 *dst = y->data;
  int axis = -1;

  if (ovi_node_attr (ctx->node, "axis")
      && !read_axis (ctx, x->rank, 0, &axis, error))
    return FALSE;
  if (axis >= 0) {
    outer = ovi_shape_numel (axis, x->dims);
    n = x->dims[axis];
    block = ovi_shape_numel (x->rank - axis - 1, x->dims + axis + 1) * esize;
    expect = y->dims[axis];
  } else {
    n = ovi_tensor_numel (x);
    expect = y->dims[0];
  }
  len = ovi_tensor_numel (cond);
  sel = g_new (int64_t, MAX (MIN (len, n), 1));
  for (int64_t i = 0; i < len; i++) {
    if (!is_nonzero (cond->dtype, cond->data, i))
      continue;
    if (i >= n || count >= expect) {
      g_free (sel);
      if (i >= n)
        return index_error (ctx, error, i, n);
      ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "condition changed since the shape was computed");
      return FALSE;
    }
    sel[count++] = i;
  }
  if (count != expect) {
    g_free (sel);
    ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "condition changed since the shape was computed");
    return FALSE;
  }
  for (int64_t o = 0; o < outer; o++)
    for (int64_t j = 0; j < count; j++)
      copy_block (dst + (o * count + j) * block,
          src + (o * n + sel[j]) * block, block);
  g_free (sel);
  return TRUE;
}

/* Unique: sorted as the shape inference sorted (ops/unique.h). */
static gint
cmp_by_first (gconstpointer a, gconstpointer b, gpointer user)
{
  const int64_t *first = user;
  int64_t x = first[*(const int64_t *) a], y = first[*(const int64_t *) b];
  return x < y ? -1 : x > y ? 1 : 0;
}

static gboolean
run_unique (OviOpCtx *ctx, GError **error)
{
  OviTensor *x = ctx->inputs[0];
  OviTensor *ty = ovi_op_output (ctx, 0), *tfirst = ovi_op_output (ctx, 1);
  OviTensor *tinv = ovi_op_output (ctx, 2), *tcount = ovi_op_output (ctx, 3);
  gboolean sorted = ovi_node_attr_int (ctx->node, "sorted", 1) != 0;
  gsize esize = ovi_dtype_size (x->dtype);
  OviUniqueCmp c;
  int64_t items, *order, *first, *counts, *inv, *perm, *rank_of;
  int64_t nu = 0, block;
  int axis = -1;
  gboolean ok = TRUE;

  if (ovi_node_attr (ctx->node, "axis")
      && !read_axis (ctx, x->rank, 0, &axis, error))
    return FALSE;
  items = MAX (ovi_unique_items (x, axis), 1);
  order = g_new (int64_t, items);
  first = g_new (int64_t, items);
  counts = g_new (int64_t, items);
  inv = g_new (int64_t, items);
  perm = g_new (int64_t, items);
  rank_of = g_new (int64_t, items);
  ovi_unique_sort (x, axis, &c, order);
  block = c.inner * esize;
  for (int64_t i = 0; i < c.n; i++) {
    if (i == 0 || ovi_unique_cmp_items (&c, order[i - 1], order[i]) != 0) {
      first[nu] = order[i];
      counts[nu] = 0;
      nu++;
    }
    counts[nu - 1]++;
    inv[order[i]] = nu - 1;
  }

  /* Output order: sorted, or by first occurrence. */
  for (int64_t u = 0; u < nu; u++)
    perm[u] = u;
  if (!sorted)
    g_qsort_with_data (perm, nu, sizeof (int64_t), cmp_by_first, first);
  for (int64_t u = 0; u < nu; u++)
    rank_of[perm[u]] = u;

  if ((ty && (axis < 0 ? ty->dims[0] : ty->dims[axis]) != nu)
      || (tfirst && tfirst->dims[0] != nu)
      || (tcount && tcount->dims[0] != nu)) {
    ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "input changed since the shape was computed");
    ok = FALSE;
  } else {
    for (int64_t u = 0; u < nu; u++) {
      int64_t s = perm[u];
      if (tfirst)
        ((int64_t *) tfirst->data)[u] = first[s];
      if (tcount)
        ((int64_t *) tcount->data)[u] = counts[s];
      if (ty)
        for (int64_t o = 0; o < c.outer; o++)
          copy_block ((guint8 *) ty->data + (o * nu + u) * block,
              (const guint8 *) x->data + (o * c.n + first[s]) * block, block);
    }
    if (tinv)
      for (int64_t i = 0; i < c.n; i++)
        ((int64_t *) tinv->data)[i] = rank_of[inv[i]];
  }
  g_free (order);
  g_free (first);
  g_free (counts);
  g_free (inv);
  g_free (perm);
  g_free (rank_of);
  return ok;
}

/* NonMaxSuppression: the selection the shape inference counted
 * (ops/nms.h), written as (batch, class, box) triples. */
typedef struct {
  int64_t *out, count, cap;
} NmsOut;

static void
nms_emit (int64_t batch, int64_t class_index, int64_t box, gpointer data)
{
  NmsOut *o = data;
  if (o->count < o->cap) {
    o->out[o->count * 3] = batch;
    o->out[o->count * 3 + 1] = class_index;
    o->out[o->count * 3 + 2] = box;
  }
  o->count++;
}

static gboolean
run_nms (OviOpCtx *ctx, GError **error)
{
  OviTensor *y = ctx->outputs[0];
  NmsOut o = { y->data, 0, y->dims[0] };

  ovi_nms_select (ctx, nms_emit, &o);
  if (o.count != o.cap) {
    ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "inputs changed since the shape was computed");
    return FALSE;
  }
  return TRUE;
}

const OviCpuKernel ovi_cpu_index[] = {
  { "Gather", run_gather, .scratch = scratch_gather },
  { "GatherElements", run_gather_elements },
  { "GatherND", run_gather_nd },
  { "Scatter", run_scatter_elements },
  { "ScatterElements", run_scatter_elements },
  { "ScatterND", run_scatter_nd },
  { "OneHot", run_onehot },
  { "NonZero", run_nonzero },
  { "Compress", run_compress },
  { "Unique", run_unique },
  { "NonMaxSuppression", run_nms },
  { NULL }
};
