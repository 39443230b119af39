/* Shape inference for the shape op group: ops that move, reshape, slice,
 * pad or generate data without arithmetic on it (Reshape, Transpose,
 * Concat, Split, Slice, Pad, Tile, Expand, Shape, Constant, Range, ...). */
#include <math.h>
#include <string.h>

#include "ops.h"

/* Room for shape vectors read from inputs: more than any rank we take. */
#define MAX_VEC 64

static OviInferResult
check_rank (OviOpCtx *ctx, int rank, GError **error)
{
  if (rank < 0 || rank > OVI_MAX_RANK)
    return ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
        "output rank %d exceeds the maximum of %d", rank, OVI_MAX_RANK);
  return OVI_INFER_OK;
}

/* Reads an int vector input. FALSE with an error when the input is not
 * an integer vector; *known FALSE when its data is not known yet. */
static gboolean
read_int_input (OviOpCtx *ctx, int index, const char *what, int *n,
    int64_t *out, gboolean *known, GError **error)
{
  OviTensor *t = ovi_op_input (ctx, index);
  *known = FALSE;
  if (t == NULL) {
    ovi_op_error (ctx, error, OVI_ERROR_INVALID, "input '%s' is missing",
        what);
    return FALSE;
  }
  if (t->dtype != OVI_DTYPE_INT64 && t->dtype != OVI_DTYPE_INT32) {
    ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "input '%s' must be int32 or int64, not %s", what,
        ovi_dtype_name (t->dtype));
    return FALSE;
  }
  if (t->rank > 1) {
    ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "input '%s' must be a 1-D tensor, has rank %d", what, t->rank);
    return FALSE;
  }
  if (t->data == NULL)
    return TRUE;
  if (!ovi_op_read_ints (t, MAX_VEC, n, out)) {
    ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
        "input '%s' has more than %d values", what, MAX_VEC);
    return FALSE;
  }
  *known = TRUE;
  return TRUE;
}

/* Reads an ints attribute into out; *n = -1 when absent. */
static gboolean
read_int_attr (OviOpCtx *ctx, const char *name, int *n, int64_t *out,
    GError **error)
{
  const int64_t *v;
  int count = ovi_node_attr_ints (ctx->node, name, &v);
  *n = count;
  if (count < 0)
    return TRUE;
  if (count > MAX_VEC) {
    ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
        "attribute '%s' has more than %d values", name, MAX_VEC);
    return FALSE;
  }
  if (count > 0)
    memcpy (out, v, sizeof (int64_t) * count);
  return TRUE;
}

/* Normalizes a list of axes against rank; rejects repeats. */
static gboolean
normalize_axes (OviOpCtx *ctx, int n, const int64_t *axes, int rank,
    int *out, GError **error)
{
  gboolean seen[MAX_VEC] = { FALSE };
  for (int i = 0; i < n; i++) {
    int a;
    if (rank <= 0 || axes[i] < -rank || axes[i] >= rank) {
      ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "axis %" G_GINT64_FORMAT " is out of range for rank %d", axes[i],
          rank);
      return FALSE;
    }
    a = (int) (axes[i] < 0 ? axes[i] + rank : axes[i]);
    if (seen[a]) {
      ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "axis %" G_GINT64_FORMAT " is repeated", axes[i]);
      return FALSE;
    }
    seen[a] = TRUE;
    out[i] = a;
  }
  return TRUE;
}

static OviInferResult
infer_same (OviOpCtx *ctx, GError **error)
{
  OviTensor *x;
  if (!ovi_op_check_inputs (ctx, 1, 1, error))
    return OVI_INFER_ERROR;
  x = ctx->inputs[0];
  ovi_op_set_output (ctx, 0, x->dtype, x->rank, x->dims);
  return OVI_INFER_OK;
}

static OviInferResult
infer_reshape (OviOpCtx *ctx, GError **error)
{
  OviTensor *x;
  int64_t shape[MAX_VEC], dims[OVI_MAX_RANK];
  int n = 0, unknown = -1;
  int64_t known_prod = 1, numel;
  gboolean allowzero, known;

  if (!ovi_op_check_inputs (ctx, ctx->opset < 5 ? 1 : 2, 2, error))
    return OVI_INFER_ERROR;
  x = ctx->inputs[0];
  if (ctx->opset < 5) {
    if (!read_int_attr (ctx, "shape", &n, shape, error))
      return OVI_INFER_ERROR;
    if (n < 0)
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "attribute 'shape' is missing");
  } else {
    if (!read_int_input (ctx, 1, "shape", &n, shape, &known, error))
      return OVI_INFER_ERROR;
    if (!known)
      return OVI_INFER_NEED_DATA;
  }
  if (check_rank (ctx, n, error) != OVI_INFER_OK)
    return OVI_INFER_ERROR;
  allowzero = ovi_node_attr_int (ctx->node, "allowzero", 0) != 0;
  numel = ovi_tensor_numel (x);
  for (int i = 0; i < n; i++) {
    int64_t d = shape[i];
    if (d == -1) {
      if (unknown >= 0)
        return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
            "shape has more than one -1");
      unknown = i;
      continue;
    }
    if (d == 0 && !allowzero) {
      if (i >= x->rank)
        return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
            "shape[%d] is 0 but the input has rank %d", i, x->rank);
      d = x->dims[i];
    } else if (d < 0) {
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "shape[%d] is %" G_GINT64_FORMAT, i, d);
    }
    dims[i] = d;
    if (d != 0 && known_prod > G_MAXINT64 / d)
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "shape is too large");
    known_prod *= d;
  }
  if (unknown >= 0) {
    if (known_prod == 0 || numel % known_prod != 0) {
      char *s = ovi_shape_to_string (x->rank, x->dims);
      ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "cannot infer the -1 dimension reshaping %s", s);
      g_free (s);
      return OVI_INFER_ERROR;
    }
    dims[unknown] = numel / known_prod;
  } else if (known_prod != numel) {
    char *a = ovi_shape_to_string (x->rank, x->dims);
    char *b = ovi_shape_to_string (n, dims);
    ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "cannot reshape %s to %s", a, b);
    g_free (a);
    g_free (b);
    return OVI_INFER_ERROR;
  }
  ovi_op_set_output (ctx, 0, x->dtype, n, dims);
  return OVI_INFER_OK;
}

static OviInferResult
infer_flatten (OviOpCtx *ctx, GError **error)
{
  OviTensor *x;
  int64_t axis, dims[2] = { 1, 1 };
  if (!ovi_op_check_inputs (ctx, 1, 1, error))
    return OVI_INFER_ERROR;
  x = ctx->inputs[0];
  axis = ovi_node_attr_int (ctx->node, "axis", 1);
  if (axis < -x->rank || axis > x->rank)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "axis %" G_GINT64_FORMAT " is out of range for rank %d", axis,
        x->rank);
  if (axis < 0)
    axis += x->rank;
  for (int i = 0; i < x->rank; i++)
    dims[i < axis ? 0 : 1] *= x->dims[i];
  ovi_op_set_output (ctx, 0, x->dtype, 2, dims);
  return OVI_INFER_OK;
}

/* Squeeze/Unsqueeze axes: attribute before opset 13, input after.
 * *n = -1 when none are given. */
static OviInferResult
read_axes (OviOpCtx *ctx, gboolean input_required, int *n, int64_t *axes,
    GError **error)
{
  *n = -1;
  if (ctx->opset < 13) {
    if (!read_int_attr (ctx, "axes", n, axes, error))
      return OVI_INFER_ERROR;
  } else if (ovi_op_input (ctx, 1) != NULL) {
    gboolean known;
    if (!read_int_input (ctx, 1, "axes", n, axes, &known, error))
      return OVI_INFER_ERROR;
    if (!known)
      return OVI_INFER_NEED_DATA;
  }
  if (*n < 0 && input_required)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID, "axes are missing");
  return OVI_INFER_OK;
}

static OviInferResult
infer_squeeze (OviOpCtx *ctx, GError **error)
{
  OviTensor *x;
  int64_t axes[MAX_VEC], dims[OVI_MAX_RANK];
  int norm[MAX_VEC];
  gboolean drop[OVI_MAX_RANK] = { FALSE };
  int n, rank = 0;
  OviInferResult r;

  if (!ovi_op_check_inputs (ctx, 1, 2, error))
    return OVI_INFER_ERROR;
  x = ctx->inputs[0];
  r = read_axes (ctx, FALSE, &n, axes, error);
  if (r != OVI_INFER_OK)
    return r;
  if (n < 0) {
    for (int i = 0; i < x->rank; i++)
      drop[i] = x->dims[i] == 1;
  } else {
    if (!normalize_axes (ctx, n, axes, x->rank, norm, error))
      return OVI_INFER_ERROR;
    for (int i = 0; i < n; i++) {
      if (x->dims[norm[i]] != 1)
        return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
            "cannot squeeze axis %d of size %" G_GINT64_FORMAT, norm[i],
            x->dims[norm[i]]);
      drop[norm[i]] = TRUE;
    }
  }
  for (int i = 0; i < x->rank; i++)
    if (!drop[i])
      dims[rank++] = x->dims[i];
  ovi_op_set_output (ctx, 0, x->dtype, rank, dims);
  return OVI_INFER_OK;
}

static OviInferResult
infer_unsqueeze (OviOpCtx *ctx, GError **error)
{
  OviTensor *x;
  int64_t axes[MAX_VEC], dims[OVI_MAX_RANK];
  int norm[MAX_VEC];
  gboolean inserted[MAX_VEC] = { FALSE };
  int n, rank, k = 0;
  OviInferResult r;

  if (!ovi_op_check_inputs (ctx, ctx->opset < 13 ? 1 : 2, 2, error))
    return OVI_INFER_ERROR;
  x = ctx->inputs[0];
  r = read_axes (ctx, TRUE, &n, axes, error);
  if (r != OVI_INFER_OK)
    return r;
  rank = x->rank + n;
  if (check_rank (ctx, rank, error) != OVI_INFER_OK)
    return OVI_INFER_ERROR;
  if (!normalize_axes (ctx, n, axes, rank, norm, error))
    return OVI_INFER_ERROR;
  for (int i = 0; i < n; i++)
    inserted[norm[i]] = TRUE;
  for (int i = 0; i < rank; i++)
    dims[i] = inserted[i] ? 1 : x->dims[k++];
  ovi_op_set_output (ctx, 0, x->dtype, rank, dims);
  return OVI_INFER_OK;
}

static OviInferResult
infer_transpose (OviOpCtx *ctx, GError **error)
{
  OviTensor *x;
  const int64_t *perm;
  int64_t dims[OVI_MAX_RANK];
  gboolean seen[OVI_MAX_RANK] = { FALSE };
  int n;

  if (!ovi_op_check_inputs (ctx, 1, 1, error))
    return OVI_INFER_ERROR;
  x = ctx->inputs[0];
  n = ovi_node_attr_ints (ctx->node, "perm", &perm);
  if (n < 0) {
    for (int i = 0; i < x->rank; i++)
      dims[i] = x->dims[x->rank - 1 - i];
  } else {
    if (n != x->rank)
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "perm has %d entries for an input of rank %d", n, x->rank);
    for (int i = 0; i < n; i++) {
      if (perm[i] < 0 || perm[i] >= n || seen[perm[i]])
        return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
            "perm is not a permutation of 0..%d", n - 1);
      seen[perm[i]] = TRUE;
      dims[i] = x->dims[perm[i]];
    }
  }
  ovi_op_set_output (ctx, 0, x->dtype, x->rank, dims);
  return OVI_INFER_OK;
}

static OviInferResult
infer_concat (OviOpCtx *ctx, GError **error)
{
  OviTensor *x;
  int64_t dims[OVI_MAX_RANK];
  int axis;

  if (!ovi_op_check_inputs (ctx, 1, -1, error))
    return OVI_INFER_ERROR;
  x = ctx->inputs[0];
  if (ovi_node_attr (ctx->node, "axis") == NULL && ctx->opset >= 4)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "attribute 'axis' is missing");
  if (x->rank == 0 || !ovi_op_axis (ovi_node_attr_int (ctx->node, "axis", 1),
          x->rank, &axis))
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "axis %" G_GINT64_FORMAT " is out of range for rank %d",
        ovi_node_attr_int (ctx->node, "axis", 1), x->rank);
  memcpy (dims, x->dims, sizeof (int64_t) * x->rank);
  for (int i = 1; i < ctx->n_inputs; i++) {
    OviTensor *t = ctx->inputs[i];
    if (t == NULL)
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "input %d is missing", i);
    if (t->dtype != x->dtype)
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "input %d is %s, input 0 is %s", i, ovi_dtype_name (t->dtype),
          ovi_dtype_name (x->dtype));
    if (t->rank != x->rank)
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "input %d has rank %d, input 0 has rank %d", i, t->rank, x->rank);
    for (int d = 0; d < x->rank; d++) {
      if (d == axis)
        continue;
      if (t->dims[d] != x->dims[d]) {
        char *a = ovi_shape_to_string (x->rank, x->dims);
        char *b = ovi_shape_to_string (t->rank, t->dims);
        ovi_op_error (ctx, error, OVI_ERROR_INVALID,
            "input %d has shape %s, incompatible with %s on axis %d", i, b,
            a, axis);
        g_free (a);
        g_free (b);
        return OVI_INFER_ERROR;
      }
    }
    if (dims[axis] > G_MAXINT64 - t->dims[axis])
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "output is too large");
    dims[axis] += t->dims[axis];
  }
  ovi_op_set_output (ctx, 0, x->dtype, x->rank, dims);
  return OVI_INFER_OK;
}

static OviInferResult
infer_split (OviOpCtx *ctx, GError **error)
{
  OviTensor *x;
  int64_t split[MAX_VEC], dims[OVI_MAX_RANK], total = 0, len;
  int n = -1, axis;
  int n_out = ctx->n_outputs;

  if (!ovi_op_check_inputs (ctx, 1, 2, error))
    return OVI_INFER_ERROR;
  x = ctx->inputs[0];
  if (n_out < 1)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID, "has no outputs");
  if (n_out > MAX_VEC)
    return ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
        "has more than %d outputs", MAX_VEC);
  if (!ovi_op_axis (ovi_node_attr_int (ctx->node, "axis", 0), x->rank, &axis)
      || x->rank == 0)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "axis %" G_GINT64_FORMAT " is out of range for rank %d",
        ovi_node_attr_int (ctx->node, "axis", 0), x->rank);
  len = x->dims[axis];

  if (ctx->opset < 13) {
    if (!read_int_attr (ctx, "split", &n, split, error))
      return OVI_INFER_ERROR;
  } else if (ovi_op_input (ctx, 1) != NULL) {
    gboolean known;
    if (!read_int_input (ctx, 1, "split", &n, split, &known, error))
      return OVI_INFER_ERROR;
    if (!known)
      return OVI_INFER_NEED_DATA;
  }

  if (n >= 0) {
    if (ovi_node_attr (ctx->node, "num_outputs") != NULL)
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "has both 'split' and 'num_outputs'");
    if (n != n_out)
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "'split' has %d values for %d outputs", n, n_out);
    for (int i = 0; i < n; i++) {
      if (split[i] < 0 || split[i] > len)
        return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
            "split[%d] is %" G_GINT64_FORMAT, i, split[i]);
      total += split[i];
    }
    if (total != len)
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "'split' sums to %" G_GINT64_FORMAT ", the axis has %"
          G_GINT64_FORMAT, total, len);
  } else if (ovi_node_attr (ctx->node, "num_outputs") != NULL) {
    int64_t parts = ovi_node_attr_int (ctx->node, "num_outputs", 0);
    int64_t chunk, left = len;
    if (parts != n_out)
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "num_outputs is %" G_GINT64_FORMAT " but the node has %d outputs",
          parts, n_out);
    /* Chunks of ceil(len / parts); the last may be smaller. */
    chunk = (len + parts - 1) / parts;
    for (int i = 0; i < n_out; i++) {
      split[i] = MIN (chunk, left);
      left -= split[i];
    }
  } else {
    if (len % n_out != 0)
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "axis of size %" G_GINT64_FORMAT " does not split evenly into %d "
          "outputs", len, n_out);
    for (int i = 0; i < n_out; i++)
      split[i] = len / n_out;
  }
  memcpy (dims, x->dims, sizeof (int64_t) * x->rank);
  for (int i = 0; i < n_out; i++) {
    dims[axis] = split[i];
    ovi_op_set_output (ctx, i, x->dtype, x->rank, dims);
  }
  return OVI_INFER_OK;
}

/* Slice parameters per input axis: first index, step and count. Reads
 * attributes before opset 10, inputs after. */
OviInferResult
ovi_slice_params (OviOpCtx *ctx, int64_t *start, int64_t *step, int64_t *count,
    GError **error)
{
  OviTensor *x = ctx->inputs[0];
  int64_t starts[MAX_VEC], ends[MAX_VEC], axes_v[MAX_VEC], steps[MAX_VEC];
  int ns, ne, na = -1, nst = -1;
  int axes[MAX_VEC];

  if (ctx->opset < 10) {
    if (!read_int_attr (ctx, "starts", &ns, starts, error)
        || !read_int_attr (ctx, "ends", &ne, ends, error)
        || !read_int_attr (ctx, "axes", &na, axes_v, error))
      return OVI_INFER_ERROR;
    if (ns < 0 || ne < 0)
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "attributes 'starts' and 'ends' are required");
  } else {
    gboolean k1, k2, k3 = TRUE, k4 = TRUE;
    if (!read_int_input (ctx, 1, "starts", &ns, starts, &k1, error)
        || !read_int_input (ctx, 2, "ends", &ne, ends, &k2, error))
      return OVI_INFER_ERROR;
    if (ovi_op_input (ctx, 3)
        && !read_int_input (ctx, 3, "axes", &na, axes_v, &k3, error))
      return OVI_INFER_ERROR;
    if (ovi_op_input (ctx, 4)
        && !read_int_input (ctx, 4, "steps", &nst, steps, &k4, error))
      return OVI_INFER_ERROR;
    if (!k1 || !k2 || !k3 || !k4)
      return OVI_INFER_NEED_DATA;
  }
  if (ns != ne)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "'starts' has %d values, 'ends' %d", ns, ne);
  if (na < 0) {
    if (ns > x->rank)
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "'starts' has %d values for rank %d", ns, x->rank);
    na = ns;
    for (int i = 0; i < na; i++)
      axes_v[i] = i;
  }
  if (na != ns || (nst >= 0 && nst != ns))
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "'starts', 'ends', 'axes' and 'steps' differ in length");
  if (nst < 0)
    for (int i = 0; i < ns; i++)
      steps[i] = 1;
  if (!normalize_axes (ctx, na, axes_v, x->rank, axes, error))
    return OVI_INFER_ERROR;

  for (int d = 0; d < x->rank; d++) {
    start[d] = 0;
    step[d] = 1;
    count[d] = x->dims[d];
  }
  for (int i = 0; i < ns; i++) {
    int d = axes[i];
    int64_t dim = x->dims[d], s = starts[i], e = ends[i], st = steps[i];
    if (st == 0)
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "steps[%d] is 0", i);
    if (s < 0)
      s += dim;
    if (e < 0)
      e += dim;
    if (st > 0) {
      s = CLAMP (s, 0, dim);
      e = CLAMP (e, 0, dim);
      count[d] = e > s ? (e - s - 1) / st + 1 : 0;
    } else {
      s = CLAMP (s, 0, dim - 1);
      e = CLAMP (e, -1, dim - 1);
      if (s <= e)
        count[d] = 0;
      else if (st == G_MININT64)
        count[d] = 1;
      else
        count[d] = (s - e - 1) / -st + 1;
    }
    start[d] = count[d] > 0 ? s : 0;
    step[d] = st;
  }
  return OVI_INFER_OK;
}

static OviInferResult
infer_slice (OviOpCtx *ctx, GError **error)
{
  int64_t start[OVI_MAX_RANK], step[OVI_MAX_RANK], count[OVI_MAX_RANK];
  OviInferResult r;
  if (!ovi_op_check_inputs (ctx, ctx->opset < 10 ? 1 : 3,
          ctx->opset < 10 ? 1 : 5, error))
    return OVI_INFER_ERROR;
  r = ovi_slice_params (ctx, start, step, count, error);
  if (r != OVI_INFER_OK)
    return r;
  ovi_op_set_output (ctx, 0, ctx->inputs[0]->dtype, ctx->inputs[0]->rank,
      count);
  return OVI_INFER_OK;
}

static OviInferResult
infer_expand (OviOpCtx *ctx, GError **error)
{
  OviTensor *x;
  int64_t shape[MAX_VEC], dims[OVI_MAX_RANK];
  int n, rank;
  gboolean known;

  if (!ovi_op_check_inputs (ctx, 2, 2, error))
    return OVI_INFER_ERROR;
  x = ctx->inputs[0];
  if (!read_int_input (ctx, 1, "shape", &n, shape, &known, error))
    return OVI_INFER_ERROR;
  if (!known)
    return OVI_INFER_NEED_DATA;
  if (check_rank (ctx, n, error) != OVI_INFER_OK)
    return OVI_INFER_ERROR;
  for (int i = 0; i < n; i++)
    if (shape[i] < 0)
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "shape[%d] is %" G_GINT64_FORMAT, i, shape[i]);
  if (!ovi_broadcast_shapes (x->rank, x->dims, n, shape, &rank, dims)) {
    char *a = ovi_shape_to_string (x->rank, x->dims);
    char *b = ovi_shape_to_string (n, shape);
    ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "cannot expand %s to %s", a, b);
    g_free (a);
    g_free (b);
    return OVI_INFER_ERROR;
  }
  ovi_op_set_output (ctx, 0, x->dtype, rank, dims);
  return OVI_INFER_OK;
}

static OviInferResult
infer_tile (OviOpCtx *ctx, GError **error)
{
  OviTensor *x;
  int64_t reps[MAX_VEC], dims[OVI_MAX_RANK];
  int n;
  gboolean known;

  if (!ovi_op_check_inputs (ctx, 2, 2, error))
    return OVI_INFER_ERROR;
  x = ctx->inputs[0];
  if (!read_int_input (ctx, 1, "repeats", &n, reps, &known, error))
    return OVI_INFER_ERROR;
  if (!known)
    return OVI_INFER_NEED_DATA;
  if (n != x->rank)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "'repeats' has %d values for rank %d", n, x->rank);
  for (int i = 0; i < n; i++) {
    if (reps[i] < 0)
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "repeats[%d] is %" G_GINT64_FORMAT, i, reps[i]);
    if (reps[i] != 0 && x->dims[i] > G_MAXINT64 / reps[i])
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "output is too large");
    dims[i] = x->dims[i] * reps[i];
  }
  ovi_op_set_output (ctx, 0, x->dtype, x->rank, dims);
  return OVI_INFER_OK;
}

/* Pad: per-axis begin/end pads for every input axis. */
static OviInferResult
pad_params (OviOpCtx *ctx, int64_t *begin, int64_t *end, GError **error)
{
  OviTensor *x = ctx->inputs[0];
  int64_t pads[MAX_VEC], axes_v[MAX_VEC];
  int axes[MAX_VEC];
  int np, na;
  const char *mode = ovi_node_attr_string (ctx->node, "mode", "constant");

  if (strcmp (mode, "constant") != 0 && strcmp (mode, "reflect") != 0
      && strcmp (mode, "edge") != 0)
    return ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
        "mode '%s' is not supported", mode);
  if (ctx->opset < 11) {
    if (!read_int_attr (ctx, "pads", &np, pads, error))
      return OVI_INFER_ERROR;
    if (np < 0)
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "attribute 'pads' is missing");
    na = -1;
  } else {
    gboolean known, known_axes = TRUE;
    na = -1;
    if (!read_int_input (ctx, 1, "pads", &np, pads, &known, error))
      return OVI_INFER_ERROR;
    if (ovi_op_input (ctx, 3) && !read_int_input (ctx, 3, "axes", &na,
            axes_v, &known_axes, error))
      return OVI_INFER_ERROR;
    if (!known || !known_axes)
      return OVI_INFER_NEED_DATA;
  }
  if (na < 0) {
    na = x->rank;
    for (int i = 0; i < na; i++)
      axes_v[i] = i;
  }
  if (np != 2 * na)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "'pads' has %d values for %d axes", np, na);
  if (!normalize_axes (ctx, na, axes_v, x->rank, axes, error))
    return OVI_INFER_ERROR;
  for (int d = 0; d < x->rank; d++)
    begin[d] = end[d] = 0;
  for (int i = 0; i < na; i++) {
    int d = axes[i];
    int64_t lim = G_MAXINT32;
    if (pads[i] > lim || pads[i] < -lim || pads[i + na] > lim
        || pads[i + na] < -lim)
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "pads on axis %d are too large", d);
    begin[d] = pads[i];
    end[d] = pads[i + na];
  }
  return OVI_INFER_OK;
}

static OviInferResult
infer_pad (OviOpCtx *ctx, GError **error)
{
  OviTensor *x;
  int64_t begin[OVI_MAX_RANK], end[OVI_MAX_RANK], dims[OVI_MAX_RANK];
  OviInferResult r;
  gboolean constant;

  if (!ovi_op_check_inputs (ctx, ctx->opset < 11 ? 1 : 2,
          ctx->opset < 11 ? 1 : 4, error))
    return OVI_INFER_ERROR;
  x = ctx->inputs[0];
  r = pad_params (ctx, begin, end, error);
  if (r != OVI_INFER_OK)
    return r;
  constant = strcmp (ovi_node_attr_string (ctx->node, "mode", "constant"),
      "constant") == 0;
  if (ctx->opset >= 11 && ovi_op_input (ctx, 2)
      && ovi_op_input (ctx, 2)->dtype != x->dtype)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "constant_value is %s, the input %s",
        ovi_dtype_name (ovi_op_input (ctx, 2)->dtype),
        ovi_dtype_name (x->dtype));
  for (int d = 0; d < x->rank; d++) {
    int64_t kept = x->dims[d] - MAX (0, -begin[d]) - MAX (0, -end[d]);
    dims[d] = x->dims[d] + begin[d] + end[d];
    if (dims[d] < 0)
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "negative pads remove more than axis %d holds", d);
    if (!constant && kept <= 0 && dims[d] > 0)
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "cannot pad empty axis %d in mode '%s'", d,
          ovi_node_attr_string (ctx->node, "mode", "constant"));
  }
  ovi_op_set_output (ctx, 0, x->dtype, x->rank, dims);
  return OVI_INFER_OK;
}

static void
shape_range (OviOpCtx *ctx, int rank, int64_t *start, int64_t *end)
{
  int64_t s = ovi_node_attr_int (ctx->node, "start", 0);
  int64_t e = ovi_node_attr_int (ctx->node, "end", rank);
  if (ctx->opset < 15) {
    s = 0;
    e = rank;
  }
  if (s < 0)
    s += rank;
  if (e < 0)
    e += rank;
  *start = CLAMP (s, 0, rank);
  *end = CLAMP (e, 0, rank);
}

static OviInferResult
infer_shape (OviOpCtx *ctx, GError **error)
{
  int64_t s, e, n;
  if (!ovi_op_check_inputs (ctx, 1, 1, error))
    return OVI_INFER_ERROR;
  shape_range (ctx, ctx->inputs[0]->rank, &s, &e);
  n = MAX (0, e - s);
  ovi_op_set_output (ctx, 0, OVI_DTYPE_INT64, 1, &n);
  return OVI_INFER_OK;
}

static OviInferResult
infer_size (OviOpCtx *ctx, GError **error)
{
  if (!ovi_op_check_inputs (ctx, 1, 1, error))
    return OVI_INFER_ERROR;
  ovi_op_set_output (ctx, 0, OVI_DTYPE_INT64, 0, NULL);
  return OVI_INFER_OK;
}

static OviInferResult
infer_constant (OviOpCtx *ctx, GError **error)
{
  const OviAttr *a = NULL;
  int64_t n;
  static const char *const names[] = { "value", "value_float",
    "value_floats", "value_int", "value_ints", "value_string",
    "value_strings", "sparse_value" };

  if (!ovi_op_check_inputs (ctx, 0, 0, error))
    return OVI_INFER_ERROR;
  for (guint i = 0; i < G_N_ELEMENTS (names); i++) {
    const OviAttr *b = ovi_node_attr (ctx->node, names[i]);
    if (b == NULL)
      continue;
    if (a != NULL)
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "has more than one value attribute");
    a = b;
  }
  if (a == NULL)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "has no value attribute");
  if (strcmp (a->name, "value") == 0) {
    if (a->type != OVI_ATTR_TENSOR || a->t == NULL)
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "attribute 'value' is not a tensor");
    if (a->t->dtype == OVI_DTYPE_STRING || !ovi_dtype_is_known (a->t->dtype))
      return ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
          "value of type %s is not supported", ovi_dtype_name (a->t->dtype));
    ovi_op_set_output (ctx, 0, a->t->dtype, a->t->rank, a->t->dims);
  } else if (strcmp (a->name, "value_float") == 0 && a->type == OVI_ATTR_FLOAT) {
    ovi_op_set_output (ctx, 0, OVI_DTYPE_FLOAT32, 0, NULL);
  } else if (strcmp (a->name, "value_int") == 0 && a->type == OVI_ATTR_INT) {
    ovi_op_set_output (ctx, 0, OVI_DTYPE_INT64, 0, NULL);
  } else if (strcmp (a->name, "value_floats") == 0
      && a->type == OVI_ATTR_FLOATS) {
    n = a->n;
    ovi_op_set_output (ctx, 0, OVI_DTYPE_FLOAT32, 1, &n);
  } else if (strcmp (a->name, "value_ints") == 0 && a->type == OVI_ATTR_INTS) {
    n = a->n;
    ovi_op_set_output (ctx, 0, OVI_DTYPE_INT64, 1, &n);
  } else if (g_str_has_prefix (a->name, "value_string")
      || strcmp (a->name, "sparse_value") == 0) {
    return ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
        "attribute '%s' is not supported", a->name);
  } else {
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "attribute '%s' has the wrong type", a->name);
  }
  return OVI_INFER_OK;
}

static OviInferResult
infer_constant_of_shape (OviOpCtx *ctx, GError **error)
{
  int64_t shape[MAX_VEC];
  const OviAttr *value;
  OviDType dtype = OVI_DTYPE_FLOAT32;
  int n;
  gboolean known;

  if (!ovi_op_check_inputs (ctx, 1, 1, error))
    return OVI_INFER_ERROR;
  value = ovi_node_attr (ctx->node, "value");
  if (value) {
    if (value->type != OVI_ATTR_TENSOR || value->t == NULL
        || ovi_tensor_numel (value->t) != 1)
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "attribute 'value' must be a one-element tensor");
    dtype = value->t->dtype;
    if (dtype == OVI_DTYPE_STRING || !ovi_dtype_is_known (dtype))
      return ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
          "value of type %s is not supported", ovi_dtype_name (dtype));
  }
  if (ctx->inputs[0]->dtype != OVI_DTYPE_INT64)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "input must be int64, not %s",
        ovi_dtype_name (ctx->inputs[0]->dtype));
  if (!read_int_input (ctx, 0, "input", &n, shape, &known, error))
    return OVI_INFER_ERROR;
  if (!known)
    return OVI_INFER_NEED_DATA;
  if (check_rank (ctx, n, error) != OVI_INFER_OK)
    return OVI_INFER_ERROR;
  for (int i = 0; i < n; i++)
    if (shape[i] < 0)
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "shape[%d] is %" G_GINT64_FORMAT, i, shape[i]);
  ovi_op_set_output (ctx, 0, dtype, n, shape);
  return OVI_INFER_OK;
}

static OviInferResult
infer_range (OviOpCtx *ctx, GError **error)
{
  OviTensor *t[3];
  OviDType dtype;
  int64_t count;

  if (!ovi_op_check_inputs (ctx, 3, 3, error))
    return OVI_INFER_ERROR;
  dtype = ctx->inputs[0]->dtype;
  for (int i = 0; i < 3; i++) {
    t[i] = ctx->inputs[i];
    if (t[i]->dtype != dtype)
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "inputs have different types");
    if (ovi_tensor_numel (t[i]) != 1)
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "input %d is not a scalar", i);
  }
  if (dtype == OVI_DTYPE_BOOL)
    return ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
        "type bool is not supported");
  for (int i = 0; i < 3; i++)
    if (t[i]->data == NULL)
      return OVI_INFER_NEED_DATA;
  if (ovi_dtype_is_float (dtype)) {
    double start = ovi_tensor_get_f64 (t[0], 0);
    double limit = ovi_tensor_get_f64 (t[1], 0);
    double delta = ovi_tensor_get_f64 (t[2], 0);
    double c = ceil ((limit - start) / delta);
    if (delta == 0 || isnan (c))
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "delta is 0 or the inputs are not finite");
    if (c > (double) G_MAXINT32 * 64)
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "the range is too long");
    count = c > 0 ? (int64_t) c : 0;
  } else {
    int64_t start = ovi_tensor_get_i64 (t[0], 0);
    int64_t limit = ovi_tensor_get_i64 (t[1], 0);
    int64_t delta = ovi_tensor_get_i64 (t[2], 0);
    int64_t diff;
    if (delta == 0)
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID, "delta is 0");
    if (__builtin_sub_overflow (limit, start, &diff))
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "the range is too long");
    if ((diff > 0) != (delta > 0) || diff == 0)
      count = 0;
    else
      count = diff / delta + (diff % delta != 0);
  }
  ovi_op_set_output (ctx, 0, dtype, 1, &count);
  return OVI_INFER_OK;
}

static OviInferResult
infer_depth_space (OviOpCtx *ctx, gboolean to_space, GError **error)
{
  OviTensor *x;
  int64_t b, dims[4];
  const char *mode;

  if (!ovi_op_check_inputs (ctx, 1, 1, error))
    return OVI_INFER_ERROR;
  x = ctx->inputs[0];
  if (x->rank != 4)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "input must have rank 4, has %d", x->rank);
  if (ovi_node_attr (ctx->node, "blocksize") == NULL)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "attribute 'blocksize' is missing");
  b = ovi_node_attr_int (ctx->node, "blocksize", 0);
  if (b <= 0 || b > G_MAXINT32)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "blocksize %" G_GINT64_FORMAT " is invalid", b);
  mode = ovi_node_attr_string (ctx->node, "mode", "DCR");
  if (to_space && strcmp (mode, "DCR") != 0 && strcmp (mode, "CRD") != 0)
    return ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
        "mode '%s' is not supported", mode);
  dims[0] = x->dims[0];
  if (to_space) {
    if (x->dims[1] % (b * b) != 0)
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "channels %" G_GINT64_FORMAT " are not a multiple of blocksize^2",
          x->dims[1]);
    if (x->dims[2] > G_MAXINT64 / b || x->dims[3] > G_MAXINT64 / b)
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "output is too large");
    dims[1] = x->dims[1] / (b * b);
    dims[2] = x->dims[2] * b;
    dims[3] = x->dims[3] * b;
  } else {
    if (x->dims[2] % b != 0 || x->dims[3] % b != 0)
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "spatial dimensions are not multiples of the blocksize");
    if (x->dims[1] > G_MAXINT64 / (b * b))
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "output is too large");
    dims[1] = x->dims[1] * b * b;
    dims[2] = x->dims[2] / b;
    dims[3] = x->dims[3] / b;
  }
  ovi_op_set_output (ctx, 0, x->dtype, 4, dims);
  return OVI_INFER_OK;
}

static OviInferResult
infer_depth_to_space (OviOpCtx *ctx, GError **error)
{
  return infer_depth_space (ctx, TRUE, error);
}

static OviInferResult
infer_space_to_depth (OviOpCtx *ctx, GError **error)
{
  return infer_depth_space (ctx, FALSE, error);
}

/* TRUE when a scalar input is known, with its value. */
static gboolean
scalar_value (OviOpCtx *ctx, int index, double *v)
{
  OviTensor *t = ovi_op_input (ctx, index);
  if (t == NULL || t->data == NULL || ovi_tensor_numel (t) < 1)
    return FALSE;
  *v = ovi_tensor_get_f64 (t, 0);
  return TRUE;
}

static OviInferResult
infer_dropout (OviOpCtx *ctx, GError **error)
{
  OviTensor *x;
  double training = 0, ratio = 0.5;
  if (!ovi_op_check_inputs (ctx, 1, ctx->opset < 12 ? 1 : 3, error))
    return OVI_INFER_ERROR;
  x = ctx->inputs[0];
  if (ctx->opset >= 12 && ovi_op_input (ctx, 2)
      && scalar_value (ctx, 2, &training) && training != 0
      && (ovi_op_input (ctx, 1) == NULL || scalar_value (ctx, 1, &ratio))
      && ratio != 0)
    return ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
        "training mode with a non-zero ratio is not supported");
  ovi_op_set_output (ctx, 0, x->dtype, x->rank, x->dims);
  ovi_op_set_output (ctx, 1, ctx->opset < 10 ? x->dtype : OVI_DTYPE_BOOL,
      x->rank, x->dims);
  return OVI_INFER_OK;
}

static OviInferResult
infer_eye_like (OviOpCtx *ctx, GError **error)
{
  OviTensor *x;
  OviDType dtype;
  if (!ovi_op_check_inputs (ctx, 1, 1, error))
    return OVI_INFER_ERROR;
  x = ctx->inputs[0];
  if (x->rank != 2)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "input must have rank 2, has %d", x->rank);
  dtype = (OviDType) ovi_node_attr_int (ctx->node, "dtype", x->dtype);
  if (dtype == OVI_DTYPE_STRING || !ovi_dtype_is_known (dtype))
    return ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
        "dtype %s (%d) is not supported", ovi_dtype_name (dtype), (int) dtype);
  ovi_op_set_output (ctx, 0, dtype, 2, x->dims);
  return OVI_INFER_OK;
}

static OviInferResult
infer_trilu (OviOpCtx *ctx, GError **error)
{
  OviTensor *x, *k;
  if (!ovi_op_check_inputs (ctx, 1, 2, error))
    return OVI_INFER_ERROR;
  x = ctx->inputs[0];
  k = ovi_op_input (ctx, 1);
  if (x->rank < 2)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "input must have rank 2 or more, has %d", x->rank);
  if (k && (k->dtype != OVI_DTYPE_INT64 || ovi_tensor_numel (k) != 1))
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "k must be an int64 scalar");
  ovi_op_set_output (ctx, 0, x->dtype, x->rank, x->dims);
  return OVI_INFER_OK;
}

static OviInferResult
infer_reverse_sequence (OviOpCtx *ctx, GError **error)
{
  OviTensor *x, *lens;
  int64_t batch_axis, time_axis;
  if (!ovi_op_check_inputs (ctx, 2, 2, error))
    return OVI_INFER_ERROR;
  x = ctx->inputs[0];
  lens = ctx->inputs[1];
  batch_axis = ovi_node_attr_int (ctx->node, "batch_axis", 1);
  time_axis = ovi_node_attr_int (ctx->node, "time_axis", 0);
  if (x->rank < 2)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "input must have rank 2 or more, has %d", x->rank);
  if (batch_axis < 0 || batch_axis > 1 || time_axis < 0 || time_axis > 1
      || batch_axis == time_axis)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "batch_axis and time_axis must be 0 and 1 in some order");
  if ((lens->dtype != OVI_DTYPE_INT64 && lens->dtype != OVI_DTYPE_INT32)
      || lens->rank != 1 || lens->dims[0] != x->dims[batch_axis])
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "sequence_lens must be an integer vector of the batch size");
  ovi_op_set_output (ctx, 0, x->dtype, x->rank, x->dims);
  return OVI_INFER_OK;
}

const OviOpDef ovi_ops_shape[] = {
  { "Reshape", infer_reshape },
  { "Flatten", infer_flatten },
  { "Squeeze", infer_squeeze },
  { "Unsqueeze", infer_unsqueeze },
  { "Identity", infer_same },
  { "Transpose", infer_transpose },
  { "Concat", infer_concat },
  { "Split", infer_split },
  { "Slice", infer_slice },
  { "Expand", infer_expand },
  { "Tile", infer_tile },
  { "Pad", infer_pad },
  { "Shape", infer_shape },
  { "Size", infer_size },
  { "Constant", infer_constant },
  { "ConstantOfShape", infer_constant_of_shape },
  { "Range", infer_range },
  { "DepthToSpace", infer_depth_to_space },
  { "SpaceToDepth", infer_space_to_depth },
  { "Dropout", infer_dropout },
  { "EyeLike", infer_eye_like },
  { "Trilu", infer_trilu },
  { "ReverseSequence", infer_reverse_sequence },
  { NULL }
};
