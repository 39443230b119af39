/* CPU kernels for the shape op group. Data movement is dtype-agnostic:
 * most ops are expressed as one strided copy (a geometry of dimensions
 * with source and destination strides), which merges dimensions, copies
 * contiguous runs with memcpy, tiles transposes and uses OpenMP on large
 * tensors. */
#include <math.h>
#include <string.h>

#include "cpu-ops.h"
#include "cpu-parallel.h"

#define MAX_DIMS (2 * OVI_MAX_RANK + 2)
#define MAX_VEC 64
/* Work estimate (for OVI_PARALLEL_*) of copying `bytes` with memcpy: a
 * word per step, so a copy goes parallel from 256 KiB. */
#define COPY_WORK(bytes) ((int64_t) (bytes) / 8)
/* Long contiguous runs are split into chunks of this size for threads. */
#define CHUNK_BYTES (64 * 1024)
#define TILE 32

typedef struct {
  int rank;
  int64_t dims[MAX_DIMS];
  int64_t ss[MAX_DIMS];         /* source strides in elements */
  int64_t ds[MAX_DIMS];         /* destination strides in elements */
} Geom;

static gboolean
run_error (OviOpCtx *ctx, GError **error, int code, const char *message)
{
  ovi_op_error (ctx, error, code, "%s", message);
  return FALSE;
}

/* Drops size-1 dimensions and merges neighbours that both sides walk
 * contiguously. FALSE when the geometry holds no element. */
static gboolean
geom_simplify (Geom *g)
{
  int r = 0;
  for (int d = 0; d < g->rank; d++) {
    if (g->dims[d] == 0)
      return FALSE;
    if (g->dims[d] == 1)
      continue;
    if (r > 0 && g->ss[r - 1] == g->ss[d] * g->dims[d]
        && g->ds[r - 1] == g->ds[d] * g->dims[d]) {
      g->dims[r - 1] *= g->dims[d];
      g->ss[r - 1] = g->ss[d];
      g->ds[r - 1] = g->ds[d];
      continue;
    }
    g->dims[r] = g->dims[d];
    g->ss[r] = g->ss[d];
    g->ds[r] = g->ds[d];
    r++;
  }
  g->rank = r;
  return TRUE;
}

/* Source and destination offsets of element `index` of the sub-space
 * spanned by dimensions axes[0..n) (the last varying fastest). */
static inline void
geom_offsets (const Geom *g, const int *axes, int n, int64_t index,
    int64_t *so, int64_t *dof)
{
  int64_t s = 0, d = 0;
  for (int k = n - 1; k >= 0; k--) {
    int a = axes[k];
    int64_t i = index % g->dims[a];
    index /= g->dims[a];
    s += i * g->ss[a];
    d += i * g->ds[a];
  }
  *so = s;
  *dof = d;
}

#define GATHER_LOOP(T) \
  G_STMT_START { \
    const T *s_ = (const T *) sp; \
    T *d_ = (T *) dp; \
    for (int64_t i = 0; i < n; i++) \
      d_[i * dstep] = s_[i * sstep]; \
  } G_STMT_END

/* n elements from sp (stride sstep) to dp (stride dstep). */
static void
gather_run (guint8 *dp, int64_t dstep, const guint8 *sp, int64_t sstep,
    int64_t n, gsize es)
{
  switch (es) {
    case 1: GATHER_LOOP (guint8); break;
    case 2: GATHER_LOOP (guint16); break;
    case 4: GATHER_LOOP (guint32); break;
    case 8: GATHER_LOOP (guint64); break;
    default:
      for (int64_t i = 0; i < n; i++)
        memcpy (dp + i * dstep * es, sp + i * sstep * es, es);
      break;
  }
}

#define TILE_LOOP(T) \
  G_STMT_START { \
    const T *s_ = (const T *) sp; \
    T *d_ = (T *) dp; \
    for (int64_t a = a0; a < a1; a++) \
      for (int64_t b = b0; b < b1; b++) \
        d_[a * dsa + b] = s_[a + b * ssb]; \
  } G_STMT_END

/* One tile of a transpose: source contiguous along a, destination along
 * b. */
static void
tile_run (guint8 *dp, int64_t dsa, const guint8 *sp, int64_t ssb,
    int64_t a0, int64_t a1, int64_t b0, int64_t b1, gsize es)
{
  switch (es) {
    case 1: TILE_LOOP (guint8); break;
    case 2: TILE_LOOP (guint16); break;
    case 4: TILE_LOOP (guint32); break;
    case 8: TILE_LOOP (guint64); break;
    default:
      for (int64_t a = a0; a < a1; a++)
        for (int64_t b = b0; b < b1; b++)
          memcpy (dp + (a * dsa + b) * es, sp + (a + b * ssb) * es, es);
      break;
  }
}

/* Copies the elements the geometry describes from src to dst. */
static void
geom_copy (Geom *g, const guint8 *src, guint8 *dst, gsize es)
{
  int axes[MAX_DIMS];
  int last, p = -1;
  int64_t total_bytes;

  if (!geom_simplify (g))
    return;
  if (g->rank == 0) {
    memcpy (dst, src, es);
    return;
  }
  last = g->rank - 1;
  total_bytes = ovi_shape_numel (g->rank, g->dims) * (int64_t) es;

  if (g->ss[last] == 1 && g->ds[last] == 1) {
    /* Contiguous runs: memcpy, long runs cut in chunks for threads. */
    int64_t rows = ovi_shape_numel (last, g->dims);
    int64_t row_bytes = g->dims[last] * (int64_t) es;
    int64_t n_chunks = (row_bytes + CHUNK_BYTES - 1) / CHUNK_BYTES;
    int64_t total = rows * n_chunks;
    for (int k = 0; k < last; k++)
      axes[k] = k;
    OVI_PARALLEL_FOR (COPY_WORK (total_bytes),
        for (int64_t it = 0; it < total; it++), {
      int64_t row = it / n_chunks, off = (it % n_chunks) * CHUNK_BYTES;
      int64_t so, dof;
      geom_offsets (g, axes, last, row, &so, &dof);
      memcpy (dst + dof * (int64_t) es + off, src + so * (int64_t) es + off,
          MIN (CHUNK_BYTES, row_bytes - off));
    });
    return;
  }

  if (g->ds[last] == 1 && g->dims[last] >= 8)
    for (int k = 0; k < last; k++)
      if (g->ss[k] == 1 && g->dims[k] >= 8)
        p = k;
  if (p >= 0) {
    /* Transpose: 2-D tiles over dimension p (contiguous in the source)
     * and the last (contiguous in the destination). */
    int n_outer = 0;
    int64_t outer, n_tiles, total;
    int64_t dsa = g->ds[p], ssb = g->ss[last], len_a = g->dims[p],
        len_b = g->dims[last];
    for (int k = 0; k < last; k++)
      if (k != p)
        axes[n_outer++] = k;
    outer = 1;
    for (int k = 0; k < n_outer; k++)
      outer *= g->dims[axes[k]];
    n_tiles = (len_a + TILE - 1) / TILE;
    total = outer * n_tiles;
    /* Element by element: one step per element. */
    OVI_PARALLEL_FOR (total_bytes / (int64_t) es,
        for (int64_t it = 0; it < total; it++), {
      int64_t so, dof, a0 = (it % n_tiles) * TILE;
      int64_t a1 = MIN (a0 + TILE, len_a);
      geom_offsets (g, axes, n_outer, it / n_tiles, &so, &dof);
      for (int64_t b0 = 0; b0 < len_b; b0 += TILE)
        tile_run (dst + dof * (int64_t) es, dsa, src + so * (int64_t) es,
            ssb, a0, a1, b0, MIN (b0 + TILE, len_b), es);
    });
    return;
  }

  {
    /* General: strided runs along the last dimension. */
    int64_t rows = ovi_shape_numel (last, g->dims);
    int64_t n = g->dims[last], sstep = g->ss[last], dstep = g->ds[last];
    for (int k = 0; k < last; k++)
      axes[k] = k;
    OVI_PARALLEL_FOR (total_bytes / (int64_t) es,
        for (int64_t row = 0; row < rows; row++), {
      int64_t so, dof;
      geom_offsets (g, axes, last, row, &so, &dof);
      gather_run (dst + dof * (int64_t) es, dstep, src + so * (int64_t) es,
          sstep, n, es);
    });
  }
}

static void
dense_strides (int rank, const int64_t *dims, int64_t *strides)
{
  ovi_shape_strides (rank, dims, strides);
}

static void
copy_bytes (void *dst, const void *src, gsize n)
{
  Geom g = { .rank = 1, .dims = { (int64_t) n }, .ss = { 1 }, .ds = { 1 } };
  if (n == 0 || dst == src)
    return;
  geom_copy (&g, src, dst, 1);
}

/* Fills n elements of es bytes with the pattern at value. */
static void
fill_elements (guint8 *dst, int64_t n, gsize es, const guint8 *value)
{
  gboolean zero = TRUE;
  for (gsize i = 0; i < es; i++)
    zero &= value[i] == 0;
  if (n <= 0)
    return;
  if (zero) {
    memset (dst, 0, n * es);
    return;
  }
  {
    Geom g = { .rank = 1, .dims = { n }, .ss = { 0 }, .ds = { 1 } };
    geom_copy (&g, value, dst, es);
  }
}

static gboolean
has_data (const OviTensor *t)
{
  return t->data != NULL && ovi_tensor_numel (t) > 0;
}

/* Reshape, Flatten, Squeeze, Unsqueeze, Identity: the bytes do not
 * change; nothing to do when the output is a view of the input. */
static gboolean
run_copy (OviOpCtx *ctx, GError **error)
{
  OviTensor *x = ctx->inputs[0], *y = ctx->outputs[0];
  if (y == NULL || !has_data (x) || y->data == x->data)
    return TRUE;
  if (ovi_tensor_nbytes (y) != ovi_tensor_nbytes (x))
    return run_error (ctx, error, OVI_ERROR_INVALID,
        "output size differs from the input's");
  copy_bytes (y->data, x->data, ovi_tensor_nbytes (x));
  return TRUE;
}

static gboolean
run_transpose (OviOpCtx *ctx, GError **error)
{
  OviTensor *x = ctx->inputs[0], *y = ctx->outputs[0];
  const int64_t *perm;
  int64_t in_strides[OVI_MAX_RANK];
  int n = ovi_node_attr_ints (ctx->node, "perm", &perm);
  Geom g = { .rank = x->rank };

  if (!has_data (x))
    return TRUE;
  if (n >= 0 && n != x->rank)
    return run_error (ctx, error, OVI_ERROR_INVALID, "bad perm");
  dense_strides (x->rank, x->dims, in_strides);
  dense_strides (y->rank, y->dims, g.ds);
  for (int i = 0; i < x->rank; i++) {
    int64_t a = n >= 0 ? perm[i] : x->rank - 1 - i;
    if (a < 0 || a >= x->rank)
      return run_error (ctx, error, OVI_ERROR_INVALID, "bad perm");
    g.dims[i] = x->dims[a];
    g.ss[i] = in_strides[a];
  }
  geom_copy (&g, x->data, y->data, ovi_dtype_size (x->dtype));
  return TRUE;
}

static gboolean
run_concat (OviOpCtx *ctx, GError **error)
{
  OviTensor *y = ctx->outputs[0];
  int rank = y->rank, axis;
  int64_t out_strides[OVI_MAX_RANK], offset = 0;
  gsize es = ovi_dtype_size (y->dtype);

  if (ovi_tensor_numel (y) == 0)
    return TRUE;
  if (!ovi_op_axis (ovi_node_attr_int (ctx->node, "axis", 1), rank, &axis)
      || rank == 0)
    return run_error (ctx, error, OVI_ERROR_INVALID, "bad axis");
  dense_strides (rank, y->dims, out_strides);
  for (int i = 0; i < ctx->n_inputs; i++) {
    OviTensor *x = ctx->inputs[i];
    Geom g = { .rank = rank };
    if (x == NULL || x->rank != rank
        || offset + x->dims[axis] > y->dims[axis])
      return run_error (ctx, error, OVI_ERROR_INVALID,
          "inputs do not match the output");
    if (has_data (x)) {
      memcpy (g.dims, x->dims, sizeof (int64_t) * rank);
      dense_strides (rank, x->dims, g.ss);
      memcpy (g.ds, out_strides, sizeof (int64_t) * rank);
      geom_copy (&g, x->data, (guint8 *) y->data
          + offset * out_strides[axis] * es, es);
    }
    offset += x->dims[axis];
  }
  return TRUE;
}

/* Split sizes, as infer derived them (outputs may be omitted). */
static gboolean
split_sizes (OviOpCtx *ctx, int64_t len, int64_t *split)
{
  int n_out = ctx->n_outputs, n = -1;
  if (n_out < 1 || n_out > MAX_VEC)
    return FALSE;
  if (ctx->opset < 13) {
    const int64_t *v;
    n = ovi_node_attr_ints (ctx->node, "split", &v);
    if (n >= 0 && n == n_out)
      memcpy (split, v, sizeof (int64_t) * n);
  } else if (ovi_op_input (ctx, 1) != NULL) {
    if (!ovi_op_read_ints (ctx->inputs[1], MAX_VEC, &n, split))
      return FALSE;
  }
  if (n >= 0)
    return n == n_out;
  if (ovi_node_attr (ctx->node, "num_outputs") != NULL) {
    int64_t chunk = (len + n_out - 1) / n_out, left = len;
    for (int i = 0; i < n_out; i++) {
      split[i] = MIN (chunk, left);
      left -= split[i];
    }
  } else {
    for (int i = 0; i < n_out; i++)
      split[i] = len / n_out;
  }
  return TRUE;
}

static gboolean
run_split (OviOpCtx *ctx, GError **error)
{
  OviTensor *x = ctx->inputs[0];
  int64_t in_strides[OVI_MAX_RANK], split[MAX_VEC], offset = 0;
  gsize es = ovi_dtype_size (x->dtype);
  int axis;

  if (!ovi_op_axis (ovi_node_attr_int (ctx->node, "axis", 0), x->rank, &axis)
      || x->rank == 0 || !split_sizes (ctx, x->dims[axis], split))
    return run_error (ctx, error, OVI_ERROR_INVALID, "bad split");
  dense_strides (x->rank, x->dims, in_strides);
  for (int i = 0; i < ctx->n_outputs; i++) {
    OviTensor *y = ctx->outputs[i];
    int64_t size = y ? y->dims[axis] : split[i];
    if (size < 0 || offset + size > x->dims[axis])
      return run_error (ctx, error, OVI_ERROR_INVALID,
          "split exceeds the input");
    if (y && x->data && ovi_tensor_numel (y) > 0) {
      Geom g = { .rank = x->rank };
      memcpy (g.dims, y->dims, sizeof (int64_t) * x->rank);
      memcpy (g.ss, in_strides, sizeof (int64_t) * x->rank);
      dense_strides (y->rank, y->dims, g.ds);
      geom_copy (&g, (const guint8 *) x->data
          + offset * in_strides[axis] * es, y->data, es);
    }
    offset += size;
  }
  return TRUE;
}

/* Reads an int vector from an attribute (before opset 10) or an input;
 * *n = -1 when absent. */
static gboolean
slice_vector (OviOpCtx *ctx, const char *attr, int input, int *n,
    int64_t *out)
{
  *n = -1;
  if (ctx->opset < 10) {
    const int64_t *v;
    *n = ovi_node_attr_ints (ctx->node, attr, &v);
    if (*n > MAX_VEC)
      return FALSE;
    if (*n > 0)
      memcpy (out, v, sizeof (int64_t) * *n);
    return TRUE;
  }
  if (ovi_op_input (ctx, input) == NULL)
    return TRUE;
  return ovi_op_read_ints (ctx->inputs[input], MAX_VEC, n, out);
}

static gboolean
run_slice (OviOpCtx *ctx, GError **error)
{
  OviTensor *x = ctx->inputs[0], *y = ctx->outputs[0];
  int64_t starts[MAX_VEC], ends[MAX_VEC], axes[MAX_VEC], steps[MAX_VEC];
  int64_t in_strides[OVI_MAX_RANK], offset = 0;
  int ns, ne, na, nst;
  Geom g = { .rank = x->rank };

  if (ovi_tensor_numel (y) == 0)
    return TRUE;
  if (!slice_vector (ctx, "starts", 1, &ns, starts)
      || !slice_vector (ctx, "ends", 2, &ne, ends)
      || !slice_vector (ctx, "axes", 3, &na, axes)
      || (ctx->opset >= 10 && !slice_vector (ctx, "steps", 4, &nst, steps))
      || ns < 0 || ns > x->rank)
    return run_error (ctx, error, OVI_ERROR_INVALID, "bad slice inputs");
  if (ctx->opset < 10)
    nst = -1;
  if (na < 0) {
    na = ns;
    for (int i = 0; i < na; i++)
      axes[i] = i;
  }
  if (nst < 0) {
    nst = ns;
    for (int i = 0; i < ns; i++)
      steps[i] = 1;
  }
  if (na != ns || nst != ns || y->rank != x->rank)
    return run_error (ctx, error, OVI_ERROR_INVALID, "bad slice inputs");
  dense_strides (x->rank, x->dims, in_strides);
  dense_strides (y->rank, y->dims, g.ds);
  memcpy (g.dims, y->dims, sizeof (int64_t) * y->rank);
  memcpy (g.ss, in_strides, sizeof (int64_t) * x->rank);
  for (int i = 0; i < ns; i++) {
    int d;
    int64_t dim, s = starts[i], st = steps[i];
    if (!ovi_op_axis (axes[i], x->rank, &d) || st == 0)
      return run_error (ctx, error, OVI_ERROR_INVALID, "bad slice inputs");
    dim = x->dims[d];
    if (s < 0)
      s += dim;
    s = st > 0 ? CLAMP (s, 0, dim) : CLAMP (s, 0, dim - 1);
    /* Infer checked the count; the last element must be in range. */
    if (y->dims[d] > 0 && (s < 0 || s >= dim
            || (st > 0 && (dim - 1 - s) / st < y->dims[d] - 1)
            || (st < 0 && (st == G_MININT64 ? y->dims[d] > 1
                    : s / -st < y->dims[d] - 1))))
      return run_error (ctx, error, OVI_ERROR_INVALID,
          "slice exceeds the input");
    offset += s * in_strides[d];
    g.ss[d] = y->dims[d] > 1 ? st * in_strides[d] : 0;
  }
  geom_copy (&g, (const guint8 *) x->data
      + offset * (int64_t) ovi_dtype_size (x->dtype), y->data,
      ovi_dtype_size (x->dtype));
  return TRUE;
}

static gboolean
run_expand (OviOpCtx *ctx, GError **error)
{
  OviTensor *x = ctx->inputs[0], *y = ctx->outputs[0];
  int64_t in_strides[OVI_MAX_RANK];
  int shift = y->rank - x->rank;
  Geom g = { .rank = y->rank };

  if (ovi_tensor_numel (y) == 0)
    return TRUE;
  if (shift < 0 || !has_data (x))
    return run_error (ctx, error, OVI_ERROR_INVALID,
        "input does not broadcast to the output");
  dense_strides (x->rank, x->dims, in_strides);
  dense_strides (y->rank, y->dims, g.ds);
  for (int d = 0; d < y->rank; d++) {
    int64_t in = d < shift ? 1 : x->dims[d - shift];
    if (in != 1 && in != y->dims[d])
      return run_error (ctx, error, OVI_ERROR_INVALID,
          "input does not broadcast to the output");
    g.dims[d] = y->dims[d];
    g.ss[d] = in == 1 ? 0 : in_strides[d - shift];
  }
  geom_copy (&g, x->data, y->data, ovi_dtype_size (x->dtype));
  return TRUE;
}

static gboolean
run_tile (OviOpCtx *ctx, GError **error)
{
  OviTensor *x = ctx->inputs[0], *y = ctx->outputs[0];
  int64_t in_strides[OVI_MAX_RANK], out_strides[OVI_MAX_RANK];
  Geom g = { .rank = 2 * x->rank };

  if (ovi_tensor_numel (y) == 0)
    return TRUE;
  if (!has_data (x) || y->rank != x->rank)
    return run_error (ctx, error, OVI_ERROR_INVALID,
        "output does not tile the input");
  dense_strides (x->rank, x->dims, in_strides);
  dense_strides (y->rank, y->dims, out_strides);
  /* Output axis d viewed as (repeat, input index). */
  for (int d = 0; d < x->rank; d++) {
    if (y->dims[d] % x->dims[d] != 0)
      return run_error (ctx, error, OVI_ERROR_INVALID,
          "output does not tile the input");
    g.dims[2 * d] = y->dims[d] / x->dims[d];
    g.ss[2 * d] = 0;
    g.ds[2 * d] = x->dims[d] * out_strides[d];
    g.dims[2 * d + 1] = x->dims[d];
    g.ss[2 * d + 1] = in_strides[d];
    g.ds[2 * d + 1] = out_strides[d];
  }
  geom_copy (&g, x->data, y->data, ovi_dtype_size (x->dtype));
  return TRUE;
}

/* Begin pads per input axis, from the attribute (before opset 11) or the
 * pads and axes inputs. */
gboolean
ovi_cpu_pad_begins (OviOpCtx *ctx, int rank, int64_t *begin)
{
  int64_t pads[MAX_VEC], axes[MAX_VEC];
  int np = -1, na = -1;
  if (ctx->opset < 11) {
    const int64_t *v;
    np = ovi_node_attr_ints (ctx->node, "pads", &v);
    if (np < 0 || np > MAX_VEC)
      return FALSE;
    memcpy (pads, v, sizeof (int64_t) * np);
  } else {
    if (!ovi_op_read_ints (ovi_op_input (ctx, 1), MAX_VEC, &np, pads))
      return FALSE;
    if (ovi_op_input (ctx, 3)
        && !ovi_op_read_ints (ctx->inputs[3], MAX_VEC, &na, axes))
      return FALSE;
  }
  if (na < 0) {
    na = rank;
    for (int i = 0; i < na; i++)
      axes[i] = i;
  }
  if (np != 2 * na)
    return FALSE;
  for (int d = 0; d < rank; d++)
    begin[d] = 0;
  for (int i = 0; i < na; i++) {
    int d;
    if (!ovi_op_axis (axes[i], rank, &d) || rank == 0)
      return FALSE;
    begin[d] = pads[i];
  }
  return TRUE;
}

typedef struct {
  int64_t begin, lo, hi;        /* kept input range [lo, hi) */
  gboolean reflect;
} PadAxis;

/* The input index an output index reads in edge or reflect mode. */
static inline int64_t
pad_source (const PadAxis *a, int64_t j)
{
  int64_t p = j - a->begin, m = a->hi - a->lo, period, q;
  if (p >= a->lo && p < a->hi)
    return p;
  if (!a->reflect || m == 1)
    return p < a->lo ? a->lo : a->hi - 1;
  period = 2 * (m - 1);
  q = (p - a->lo) % period;
  if (q < 0)
    q += period;
  if (q >= m)
    q = period - q;
  return a->lo + q;
}

static gboolean
run_pad (OviOpCtx *ctx, GError **error)
{
  OviTensor *x = ctx->inputs[0], *y = ctx->outputs[0];
  int rank = x->rank;
  int64_t begin[OVI_MAX_RANK], in_strides[OVI_MAX_RANK],
      out_strides[OVI_MAX_RANK];
  PadAxis ax[OVI_MAX_RANK];
  gsize es = ovi_dtype_size (x->dtype);
  const char *mode = ovi_node_attr_string (ctx->node, "mode", "constant");
  gboolean constant = strcmp (mode, "constant") == 0;
  gboolean empty_kept = FALSE;

  if (ovi_tensor_numel (y) == 0)
    return TRUE;
  if (y->rank != rank || !ovi_cpu_pad_begins (ctx, rank, begin))
    return run_error (ctx, error, OVI_ERROR_INVALID, "bad pads");
  for (int d = 0; d < rank; d++) {
    int64_t end = y->dims[d] - x->dims[d] - begin[d];
    ax[d].begin = begin[d];
    ax[d].lo = MAX (0, -begin[d]);
    ax[d].hi = x->dims[d] - MAX (0, -end);
    ax[d].reflect = strcmp (mode, "reflect") == 0;
    if (ax[d].hi <= ax[d].lo)
      empty_kept = TRUE;
  }
  dense_strides (rank, x->dims, in_strides);
  dense_strides (rank, y->dims, out_strides);

  if (constant) {
    guint8 value[8] = { 0 };
    OviTensor *v = ovi_op_input (ctx, 2);
    if (ctx->opset < 11) {
      ovi_store_f64 (x->dtype, value, 0,
          ovi_node_attr_float (ctx->node, "value", 0));
    } else if (v && has_data (v)) {
      if (v->dtype == x->dtype && es <= sizeof (value))
        memcpy (value, v->data, es);
      else
        ovi_store_f64 (x->dtype, value, 0, ovi_tensor_get_f64 (v, 0));
    }
    fill_elements (y->data, ovi_tensor_numel (y), es, value);
    if (!empty_kept && x->data) {
      Geom g = { .rank = rank };
      int64_t so = 0, dof = 0;
      for (int d = 0; d < rank; d++) {
        g.dims[d] = ax[d].hi - ax[d].lo;
        g.ss[d] = in_strides[d];
        g.ds[d] = out_strides[d];
        so += ax[d].lo * in_strides[d];
        dof += (ax[d].lo + ax[d].begin) * out_strides[d];
      }
      geom_copy (&g, (const guint8 *) x->data + so * (int64_t) es,
          (guint8 *) y->data + dof * (int64_t) es, es);
    }
    return TRUE;
  }

  if (empty_kept || x->data == NULL)
    return run_error (ctx, error, OVI_ERROR_INVALID,
        "cannot pad an empty axis in edge or reflect mode");
  if (rank == 0) {
    memcpy (y->data, x->data, es);
    return TRUE;
  }
  {
    const PadAxis *la = &ax[rank - 1];
    int64_t rows = ovi_shape_numel (rank - 1, y->dims);
    int64_t width = y->dims[rank - 1];
    /* Output columns that read the kept input range directly. */
    int64_t mid0 = CLAMP (la->lo + la->begin, 0, width);
    int64_t mid1 = CLAMP (la->hi + la->begin, mid0, width);
    const guint8 *src = x->data;
    guint8 *dst = y->data;
    /* Rows of memcpy, plus a step per padded element. */
    OVI_PARALLEL_FOR (COPY_WORK (ovi_tensor_nbytes (y))
        + rows * (width - (mid1 - mid0)),
        for (int64_t row = 0; row < rows; row++), {
      int64_t rem = row, so = 0;
      const guint8 *sp;
      guint8 *dp = dst + row * width * (int64_t) es;
      for (int d = rank - 2; d >= 0; d--) {
        int64_t j = rem % y->dims[d];
        rem /= y->dims[d];
        so += pad_source (&ax[d], j) * in_strides[d];
      }
      sp = src + so * (int64_t) es;
      for (int64_t j = 0; j < mid0; j++)
        memcpy (dp + j * es, sp + pad_source (la, j) * es, es);
      if (mid1 > mid0)
        memcpy (dp + mid0 * es, sp + (mid0 - la->begin) * es,
            (mid1 - mid0) * es);
      for (int64_t j = mid1; j < width; j++)
        memcpy (dp + j * es, sp + pad_source (la, j) * es, es);
    });
  }
  return TRUE;
}

static void
shape_range (OviOpCtx *ctx, int rank, int64_t *start, int64_t *end)
{
  int64_t s = 0, e = rank;
  if (ctx->opset >= 15) {
    s = ovi_node_attr_int (ctx->node, "start", 0);
    e = ovi_node_attr_int (ctx->node, "end", rank);
  }
  if (s < 0)
    s += rank;
  if (e < 0)
    e += rank;
  *start = CLAMP (s, 0, rank);
  *end = CLAMP (e, 0, rank);
}

static gboolean
run_shape (OviOpCtx *ctx, GError **error)
{
  OviTensor *x = ctx->inputs[0], *y = ctx->outputs[0];
  int64_t s, e;
  shape_range (ctx, x->rank, &s, &e);
  if (y->dtype != OVI_DTYPE_INT64 || ovi_tensor_numel (y) != MAX (0, e - s))
    return run_error (ctx, error, OVI_ERROR_INVALID, "bad output shape");
  for (int64_t i = s; i < e; i++)
    ((int64_t *) y->data)[i - s] = x->dims[i];
  return TRUE;
}

static gboolean
run_size (OviOpCtx *ctx, GError **error)
{
  OviTensor *y = ctx->outputs[0];
  if (y->dtype != OVI_DTYPE_INT64 || ovi_tensor_numel (y) != 1)
    return run_error (ctx, error, OVI_ERROR_INVALID, "bad output shape");
  *(int64_t *) y->data = ovi_tensor_numel (ctx->inputs[0]);
  return TRUE;
}

static gboolean
run_constant (OviOpCtx *ctx, GError **error)
{
  OviTensor *y = ctx->outputs[0];
  const OviAttr *a;
  int64_t n = ovi_tensor_numel (y);

  if ((a = ovi_node_attr (ctx->node, "value")) != NULL) {
    if (a->t == NULL || a->t->dtype != y->dtype
        || ovi_tensor_nbytes (a->t) != ovi_tensor_nbytes (y))
      return run_error (ctx, error, OVI_ERROR_INVALID, "bad value");
    if (n > 0 && a->t->data)
      memcpy (y->data, a->t->data, ovi_tensor_nbytes (y));
  } else if ((a = ovi_node_attr (ctx->node, "value_float")) != NULL
      && n == 1 && y->dtype == OVI_DTYPE_FLOAT32) {
    *(float *) y->data = a->f;
  } else if ((a = ovi_node_attr (ctx->node, "value_int")) != NULL
      && n == 1 && y->dtype == OVI_DTYPE_INT64) {
    *(int64_t *) y->data = a->i;
  } else if ((a = ovi_node_attr (ctx->node, "value_floats")) != NULL
      && n == a->n && y->dtype == OVI_DTYPE_FLOAT32) {
    if (n > 0)
      memcpy (y->data, a->floats, sizeof (float) * n);
  } else if ((a = ovi_node_attr (ctx->node, "value_ints")) != NULL
      && n == a->n && y->dtype == OVI_DTYPE_INT64) {
    if (n > 0)
      memcpy (y->data, a->ints, sizeof (int64_t) * n);
  } else {
    return run_error (ctx, error, OVI_ERROR_INVALID, "bad value");
  }
  return TRUE;
}

static gboolean
run_constant_of_shape (OviOpCtx *ctx, GError **error)
{
  OviTensor *y = ctx->outputs[0];
  const OviAttr *a = ovi_node_attr (ctx->node, "value");
  guint8 value[8] = { 0 };
  gsize es = ovi_dtype_size (y->dtype);
  if (a && a->t && a->t->data && ovi_tensor_numel (a->t) == 1
      && a->t->dtype == y->dtype && es <= sizeof (value))
    memcpy (value, a->t->data, es);
  else if (a || es > sizeof (value))
    return run_error (ctx, error, OVI_ERROR_INVALID, "bad value");
  fill_elements (y->data, ovi_tensor_numel (y), es, value);
  return TRUE;
}

static gboolean
run_range (OviOpCtx *ctx, GError **error)
{
  OviTensor *y = ctx->outputs[0];
  int64_t n = ovi_tensor_numel (y);
  for (int i = 0; i < 3; i++)
    if (ctx->inputs[i] == NULL || !has_data (ctx->inputs[i]))
      return run_error (ctx, error, OVI_ERROR_INVALID, "missing input");
  if (ovi_dtype_is_float (y->dtype)) {
    double start = ovi_tensor_get_f64 (ctx->inputs[0], 0);
    double delta = ovi_tensor_get_f64 (ctx->inputs[2], 0);
    for (int64_t i = 0; i < n; i++)
      ovi_store_f64 (y->dtype, y->data, i, start + (double) i * delta);
  } else {
    guint64 start = (guint64) ovi_tensor_get_i64 (ctx->inputs[0], 0);
    guint64 delta = (guint64) ovi_tensor_get_i64 (ctx->inputs[2], 0);
    for (int64_t i = 0; i < n; i++)
      ovi_store_i64 (y->dtype, y->data, i,
          (int64_t) (start + (guint64) i * delta));
  }
  return TRUE;
}

/* DepthToSpace and SpaceToDepth as a 6-D transpose. */
static gboolean
run_depth_space (OviOpCtx *ctx, gboolean to_space, GError **error)
{
  OviTensor *x = ctx->inputs[0], *y = ctx->outputs[0];
  int64_t b = ovi_node_attr_int (ctx->node, "blocksize", 0);
  int64_t view[6], strides[6];
  const int *perm;
  static const int dcr[6] = { 0, 3, 4, 1, 5, 2 };
  static const int crd[6] = { 0, 1, 4, 2, 5, 3 };
  static const int s2d[6] = { 0, 3, 5, 1, 2, 4 };
  Geom g = { .rank = 6 };
  int64_t n = x->dims[0], c = x->dims[1], h = x->dims[2], w = x->dims[3];

  if (!has_data (x))
    return TRUE;
  if (x->rank != 4 || b <= 0)
    return run_error (ctx, error, OVI_ERROR_INVALID, "bad blocksize");
  if (to_space) {
    gboolean is_crd = strcmp (ovi_node_attr_string (ctx->node, "mode",
            "DCR"), "CRD") == 0;
    if (is_crd) {
      int64_t v[6] = { n, c / (b * b), b, b, h, w };
      memcpy (view, v, sizeof (v));
      perm = crd;
    } else {
      int64_t v[6] = { n, b, b, c / (b * b), h, w };
      memcpy (view, v, sizeof (v));
      perm = dcr;
    }
  } else {
    int64_t v[6] = { n, c, h / b, b, w / b, b };
    memcpy (view, v, sizeof (v));
    perm = s2d;
  }
  if (ovi_shape_numel (6, view) != ovi_tensor_numel (x)
      || ovi_tensor_numel (y) != ovi_tensor_numel (x))
    return run_error (ctx, error, OVI_ERROR_INVALID, "bad blocksize");
  dense_strides (6, view, strides);
  for (int i = 0; i < 6; i++) {
    g.dims[i] = view[perm[i]];
    g.ss[i] = strides[perm[i]];
  }
  dense_strides (6, g.dims, g.ds);
  geom_copy (&g, x->data, y->data, ovi_dtype_size (x->dtype));
  return TRUE;
}

static gboolean
run_depth_to_space (OviOpCtx *ctx, GError **error)
{
  return run_depth_space (ctx, TRUE, error);
}

static gboolean
run_space_to_depth (OviOpCtx *ctx, GError **error)
{
  return run_depth_space (ctx, FALSE, error);
}

static gboolean
run_dropout (OviOpCtx *ctx, GError **error)
{
  OviTensor *x = ctx->inputs[0], *y = ovi_op_output (ctx, 0);
  OviTensor *mask = ovi_op_output (ctx, 1);
  OviTensor *training = ctx->opset >= 12 ? ovi_op_input (ctx, 2) : NULL;

  if (training && has_data (training)
      && ovi_tensor_get_f64 (training, 0) != 0) {
    OviTensor *r = ovi_op_input (ctx, 1);
    double ratio = r && has_data (r) ? ovi_tensor_get_f64 (r, 0) : 0.5;
    if (ratio != 0)
      return run_error (ctx, error, OVI_ERROR_UNSUPPORTED,
          "training mode with a non-zero ratio is not supported");
  }
  if (y && has_data (x) && y->data != x->data)
    copy_bytes (y->data, x->data, ovi_tensor_nbytes (x));
  if (mask && ovi_tensor_numel (mask) > 0) {
    guint8 one[8] = { 0 };
    gsize es = ovi_dtype_size (mask->dtype);
    if (es > sizeof (one))
      return run_error (ctx, error, OVI_ERROR_INVALID, "bad mask type");
    ovi_store_f64 (mask->dtype, one, 0, 1.0);
    fill_elements (mask->data, ovi_tensor_numel (mask), es, one);
  }
  return TRUE;
}

static gboolean
run_eye_like (OviOpCtx *ctx, GError **error)
{
  OviTensor *y = ctx->outputs[0];
  int64_t rows, cols, k = ovi_node_attr_int (ctx->node, "k", 0);
  if (ovi_tensor_numel (y) == 0)
    return TRUE;
  if (y->rank != 2)
    return run_error (ctx, error, OVI_ERROR_INVALID, "output is not 2-D");
  rows = y->dims[0];
  cols = y->dims[1];
  memset (y->data, 0, ovi_tensor_nbytes (y));
  if (k >= cols || k <= -rows)
    return TRUE;
  for (int64_t i = MAX (0, -k); i < rows && i + k < cols; i++)
    ovi_store_f64 (y->dtype, y->data, i * cols + i + k, 1.0);
  return TRUE;
}

static gboolean
run_trilu (OviOpCtx *ctx, GError **error)
{
  OviTensor *x = ctx->inputs[0], *y = ctx->outputs[0], *kt;
  gboolean upper = ovi_node_attr_int (ctx->node, "upper", 1) != 0;
  gsize es = ovi_dtype_size (x->dtype);
  int64_t k = 0, rows, cols, mats;
  const guint8 *src;
  guint8 *dst;

  if (!has_data (x))
    return TRUE;
  if (x->rank < 2)
    return run_error (ctx, error, OVI_ERROR_INVALID, "input is not 2-D");
  kt = ovi_op_input (ctx, 1);
  if (kt && has_data (kt))
    k = ovi_tensor_get_i64 (kt, 0);
  rows = x->dims[x->rank - 2];
  cols = x->dims[x->rank - 1];
  mats = ovi_shape_numel (x->rank - 2, x->dims);
  k = CLAMP (k, -rows - 1, cols + 1);
  src = x->data;
  dst = y->data;
  OVI_PARALLEL_FOR (COPY_WORK (ovi_tensor_nbytes (x)),
      for (int64_t r = 0; r < mats * rows; r++), {
    int64_t i = r % rows, lo, hi;
    const guint8 *sp = src + r * cols * (int64_t) es;
    guint8 *dp = dst + r * cols * (int64_t) es;
    if (upper) {
      lo = CLAMP (i + k, 0, cols);
      hi = cols;
    } else {
      lo = 0;
      hi = CLAMP (i + k + 1, 0, cols);
    }
    memset (dp, 0, lo * es);
    memcpy (dp + lo * es, sp + lo * es, (hi - lo) * es);
    memset (dp + hi * es, 0, (cols - hi) * es);
  });
  return TRUE;
}

static gboolean
run_reverse_sequence (OviOpCtx *ctx, GError **error)
{
  OviTensor *x = ctx->inputs[0], *y = ctx->outputs[0], *lens = ctx->inputs[1];
  int64_t batch_axis = ovi_node_attr_int (ctx->node, "batch_axis", 1);
  int64_t time_axis = ovi_node_attr_int (ctx->node, "time_axis", 0);
  int64_t batch, steps, inner;
  gsize es = ovi_dtype_size (x->dtype);

  if (!has_data (x))
    return TRUE;
  if (x->rank < 2 || batch_axis < 0 || batch_axis > 1 || time_axis < 0
      || time_axis > 1 || batch_axis == time_axis)
    return run_error (ctx, error, OVI_ERROR_INVALID, "bad axes");
  batch = x->dims[batch_axis];
  steps = x->dims[time_axis];
  inner = ovi_shape_numel (x->rank - 2, x->dims + 2) * (int64_t) es;
  if (ovi_tensor_numel (lens) != batch || lens->data == NULL)
    return run_error (ctx, error, OVI_ERROR_INVALID,
        "sequence_lens does not match the batch");
  for (int64_t b = 0; b < batch; b++) {
    int64_t len = ovi_tensor_get_i64 (lens, b);
    if (len < 0 || len > steps) {
      ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "sequence_lens[%" G_GINT64_FORMAT "] is %" G_GINT64_FORMAT
          ", outside [0, %" G_GINT64_FORMAT "]", b, len, steps);
      return FALSE;
    }
    for (int64_t t = 0; t < steps; t++) {
      int64_t from = t < len ? len - 1 - t : t;
      int64_t di = time_axis == 0 ? t * batch + b : b * steps + t;
      int64_t si = time_axis == 0 ? from * batch + b : b * steps + from;
      memcpy ((guint8 *) y->data + di * inner,
          (const guint8 *) x->data + si * inner, inner);
    }
  }
  return TRUE;
}

const OviCpuKernel ovi_cpu_shape[] = {
  { "Reshape", run_copy },
  { "Flatten", run_copy },
  { "Squeeze", run_copy },
  { "Unsqueeze", run_copy },
  { "Identity", run_copy },
  { "Transpose", run_transpose },
  { "Concat", run_concat },
  { "Split", run_split },
  { "Slice", run_slice },
  { "Expand", run_expand },
  { "Tile", run_tile },
  { "Pad", run_pad },
  { "Shape", run_shape },
  { "Size", run_size },
  { "Constant", run_constant },
  { "ConstantOfShape", run_constant_of_shape },
  { "Range", run_range },
  { "DepthToSpace", run_depth_to_space },
  { "SpaceToDepth", run_space_to_depth },
  { "Dropout", run_dropout },
  { "EyeLike", run_eye_like },
  { "Trilu", run_trilu },
  { "ReverseSequence", run_reverse_sequence },
  { NULL }
};
