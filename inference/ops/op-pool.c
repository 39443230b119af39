/* Shape inference for the pool op group: MaxPool, AveragePool, LpPool,
 * their global forms, and MaxUnpool.
 *
 * Local pools take N x C x D1 x ... x Dn inputs with up to 3 spatial
 * dimensions; the kernels work on a 3-D spatial view, so 1-D and 2-D
 * pools are 3-D pools with leading extents of 1. */
#include <string.h>

#include "ops.h"

#define POOL_MAX_SPATIAL 3

typedef struct {
  int nsp;
  int64_t k[POOL_MAX_SPATIAL], s[POOL_MAX_SPATIAL], d[POOL_MAX_SPATIAL];
  int64_t pb[POOL_MAX_SPATIAL], pe[POOL_MAX_SPATIAL];
  int64_t out[POOL_MAX_SPATIAL];
} PoolGeom;

static gboolean
is_float_type (OviDType t)
{
  return t == OVI_DTYPE_FLOAT32 || t == OVI_DTYPE_FLOAT64
      || t == OVI_DTYPE_FLOAT16 || t == OVI_DTYPE_BFLOAT16;
}

/* Types whose every value a double holds exactly: the kernels compute
 * everything but float32 through double. */
static gboolean
is_small_int_type (OviDType t)
{
  return t == OVI_DTYPE_INT8 || t == OVI_DTYPE_UINT8
      || t == OVI_DTYPE_INT16 || t == OVI_DTYPE_UINT16
      || t == OVI_DTYPE_INT32 || t == OVI_DTYPE_UINT32;
}

/* Reads an optional per-spatial-axis attribute; `def` when absent. */
static gboolean
read_axis_attr (OviOpCtx *ctx, const char *name, int nsp, int64_t def,
    int64_t min, int64_t *out, GError **error)
{
  const int64_t *v;
  int n = ovi_node_attr_ints (ctx->node, name, &v);
  for (int i = 0; i < nsp; i++)
    out[i] = def;
  if (n < 0)
    return TRUE;
  if (n != nsp) {
    ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "attribute %s has %d values, expected %d (one per spatial axis)",
        name, n, nsp);
    return FALSE;
  }
  for (int i = 0; i < nsp; i++) {
    if (v[i] < min || v[i] > G_MAXINT32) {
      ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "attribute %s[%d] = %" G_GINT64_FORMAT " is out of range", name,
          i, v[i]);
      return FALSE;
    }
    out[i] = v[i];
  }
  return TRUE;
}

static OviInferResult
pool_geometry (OviOpCtx *ctx, const OviTensor *x, PoolGeom *g,
    GError **error)
{
  const OviNode *node = ctx->node;
  const char *auto_pad = ovi_node_attr_string (node, "auto_pad", "NOTSET");
  gboolean ceil_mode = ovi_node_attr_int (node, "ceil_mode", 0) != 0;
  const int64_t *pads;
  int n_pads;

  if (x->rank < 3)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "input has rank %d, expected N x C x D1 ... (rank 3 or more)",
        x->rank);
  g->nsp = x->rank - 2;
  if (g->nsp > POOL_MAX_SPATIAL)
    return ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
        "%d spatial dimensions (at most %d supported)", g->nsp,
        POOL_MAX_SPATIAL);
  if (ovi_node_attr (node, "kernel_shape") == NULL)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "attribute kernel_shape is missing");
  if (!read_axis_attr (ctx, "kernel_shape", g->nsp, 1, 1, g->k, error)
      || !read_axis_attr (ctx, "strides", g->nsp, 1, 1, g->s, error)
      || !read_axis_attr (ctx, "dilations", g->nsp, 1, 1, g->d, error))
    return OVI_INFER_ERROR;

  n_pads = ovi_node_attr_ints (node, "pads", &pads);
  for (int i = 0; i < g->nsp; i++)
    g->pb[i] = g->pe[i] = 0;
  if (n_pads >= 0) {
    if (n_pads != 2 * g->nsp)
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "attribute pads has %d values, expected %d", n_pads, 2 * g->nsp);
    for (int i = 0; i < g->nsp; i++) {
      g->pb[i] = pads[i];
      g->pe[i] = pads[i + g->nsp];
      if (g->pb[i] < 0 || g->pe[i] < 0 || g->pb[i] > G_MAXINT32
          || g->pe[i] > G_MAXINT32)
        return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
            "attribute pads has a negative or huge value");
    }
  }

  for (int i = 0; i < g->nsp; i++) {
    int64_t in = x->dims[2 + i];
    int64_t ek = (g->k[i] - 1) * g->d[i] + 1;
    int64_t out;
    if (strcmp (auto_pad, "NOTSET") == 0 || auto_pad[0] == '\0') {
      int64_t span = in + g->pb[i] + g->pe[i] - ek;
      if (span < 0)
        return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
            "kernel extent %" G_GINT64_FORMAT " exceeds padded input size %"
            G_GINT64_FORMAT " on spatial axis %d", ek,
            in + g->pb[i] + g->pe[i], i);
      out = (ceil_mode ? (span + g->s[i] - 1) / g->s[i] : span / g->s[i]) + 1;
      /* A last window that starts past the input and its begin padding
       * covers nothing; ceil mode drops it. */
      if (ceil_mode && out > 1 && (out - 1) * g->s[i] >= in + g->pb[i])
        out--;
    } else if (strcmp (auto_pad, "VALID") == 0) {
      g->pb[i] = g->pe[i] = 0;
      if (in < ek)
        return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
            "kernel extent %" G_GINT64_FORMAT " exceeds input size %"
            G_GINT64_FORMAT " on spatial axis %d", ek, in, i);
      out = (in - ek) / g->s[i] + 1;
    } else if (strcmp (auto_pad, "SAME_UPPER") == 0
        || strcmp (auto_pad, "SAME_LOWER") == 0) {
      int64_t total;
      out = (in + g->s[i] - 1) / g->s[i];
      total = MAX ((out - 1) * g->s[i] + ek - in, 0);
      g->pb[i] = auto_pad[5] == 'U' ? total / 2 : total - total / 2;
      g->pe[i] = total - g->pb[i];
    } else {
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "unknown auto_pad '%s'", auto_pad);
    }
    g->out[i] = out;
  }
  return OVI_INFER_OK;
}

static OviInferResult
infer_pool (OviOpCtx *ctx, GError **error)
{
  const char *op = ctx->node->op_type;
  gboolean is_max = strcmp (op, "MaxPool") == 0;
  OviTensor *x;
  PoolGeom g;
  int64_t dims[OVI_MAX_RANK];

  if (!ovi_op_check_inputs (ctx, 1, 1, error))
    return OVI_INFER_ERROR;
  x = ctx->inputs[0];
  if (!is_float_type (x->dtype) && !(is_max && is_small_int_type (x->dtype)))
    return ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
        "input type %s is not supported", ovi_dtype_name (x->dtype));
  if (pool_geometry (ctx, x, &g, error) != OVI_INFER_OK)
    return OVI_INFER_ERROR;
  if (is_max) {
    int64_t order = ovi_node_attr_int (ctx->node, "storage_order", 0);
    if (order != 0 && order != 1)
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "storage_order must be 0 or 1, not %" G_GINT64_FORMAT, order);
  } else if (ovi_op_output (ctx, 1) != NULL) {
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "has more than one output");
  }
  if (strcmp (op, "LpPool") == 0
      && !(ovi_node_attr_float (ctx->node, "p", 2) > 0))
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "attribute p must be positive");
  dims[0] = x->dims[0];
  dims[1] = x->dims[1];
  for (int i = 0; i < g.nsp; i++)
    dims[2 + i] = g.out[i];
  ovi_op_set_output (ctx, 0, x->dtype, x->rank, dims);
  ovi_op_set_output (ctx, 1, OVI_DTYPE_INT64, x->rank, dims);
  return OVI_INFER_OK;
}

static OviInferResult
infer_global_pool (OviOpCtx *ctx, GError **error)
{
  OviTensor *x;
  int64_t dims[OVI_MAX_RANK];

  if (!ovi_op_check_inputs (ctx, 1, 1, error))
    return OVI_INFER_ERROR;
  x = ctx->inputs[0];
  if (!is_float_type (x->dtype))
    return ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
        "input type %s is not supported", ovi_dtype_name (x->dtype));
  if (x->rank < 2)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "input has rank %d, expected N x C x ... (rank 2 or more)", x->rank);
  if (strcmp (ctx->node->op_type, "GlobalLpPool") == 0
      && !(ovi_node_attr_float (ctx->node, "p", 2) > 0))
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "attribute p must be positive");
  for (int i = 0; i < x->rank; i++)
    dims[i] = i < 2 ? x->dims[i] : 1;
  ovi_op_set_output (ctx, 0, x->dtype, x->rank, dims);
  return OVI_INFER_OK;
}

static OviInferResult
infer_max_unpool (OviOpCtx *ctx, GError **error)
{
  OviTensor *x, *ind, *shape;
  int nsp;
  int64_t k[POOL_MAX_SPATIAL], s[POOL_MAX_SPATIAL];
  int64_t dims[OVI_MAX_RANK];
  const int64_t *pads;
  int n_pads;

  if (!ovi_op_check_inputs (ctx, 2, 3, error))
    return OVI_INFER_ERROR;
  x = ctx->inputs[0];
  ind = ctx->inputs[1];
  shape = ovi_op_input (ctx, 2);
  if (x->rank < 3)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "input has rank %d, expected N x C x D1 ... (rank 3 or more)",
        x->rank);
  nsp = x->rank - 2;
  if (nsp > POOL_MAX_SPATIAL)
    return ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
        "%d spatial dimensions (at most %d supported)", nsp,
        POOL_MAX_SPATIAL);
  if (ind->dtype != OVI_DTYPE_INT64 && ind->dtype != OVI_DTYPE_INT32)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "indices have type %s, expected int64", ovi_dtype_name (ind->dtype));
  if (!ovi_shape_equal (x->rank, x->dims, ind->rank, ind->dims))
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "indices shape differs from the input's");
  if (ovi_node_attr (ctx->node, "kernel_shape") == NULL)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "attribute kernel_shape is missing");
  if (!read_axis_attr (ctx, "kernel_shape", nsp, 1, 1, k, error)
      || !read_axis_attr (ctx, "strides", nsp, 1, 1, s, error))
    return OVI_INFER_ERROR;
  n_pads = ovi_node_attr_ints (ctx->node, "pads", &pads);
  if (n_pads >= 0 && n_pads != 2 * nsp)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "attribute pads has %d values, expected %d", n_pads, 2 * nsp);

  /* The shape MaxPool would have taken this input from. */
  dims[0] = x->dims[0];
  dims[1] = x->dims[1];
  for (int i = 0; i < nsp; i++) {
    int64_t pb = n_pads > 0 ? pads[i] : 0, pe = n_pads > 0 ? pads[i + nsp] : 0;
    if (pb < 0 || pe < 0 || pb > G_MAXINT32 || pe > G_MAXINT32)
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "attribute pads has a negative or huge value");
    if ((double) x->dims[2 + i] * s[i] + k[i] > 1e15)
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "unpooled size overflows on spatial axis %d", i);
    dims[2 + i] = (x->dims[2 + i] - 1) * s[i] + k[i] - pb - pe;
    if (x->dims[2 + i] > 0 && dims[2 + i] <= 0)
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "pads leave no output on spatial axis %d", i);
    if (x->dims[2 + i] == 0)
      dims[2 + i] = 0;
  }

  if (shape != NULL) {
    int64_t given[OVI_MAX_RANK];
    int n;
    if (shape->data == NULL)
      return OVI_INFER_NEED_DATA;
    if (!ovi_op_read_ints (shape, OVI_MAX_RANK, &n, given) || n != x->rank)
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "output_shape must be an integer vector of %d values", x->rank);
    /* Indices address the shape above; output_shape may only pad it at
     * the end of each axis. */
    for (int i = 0; i < n; i++)
      if (given[i] < dims[i])
        return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
            "output_shape[%d] = %" G_GINT64_FORMAT " is smaller than the "
            "unpooled size %" G_GINT64_FORMAT, i, given[i], dims[i]);
    memcpy (dims, given, sizeof (int64_t) * n);
  }
  ovi_op_set_output (ctx, 0, x->dtype, x->rank, dims);
  return OVI_INFER_OK;
}

const OviOpDef ovi_ops_pool[] = {
  { "MaxPool", infer_pool },
  { "AveragePool", infer_pool },
  { "LpPool", infer_pool },
  { "GlobalMaxPool", infer_global_pool },
  { "GlobalAveragePool", infer_global_pool },
  { "GlobalLpPool", infer_global_pool },
  { "MaxUnpool", infer_max_unpool },
  { NULL }
};
