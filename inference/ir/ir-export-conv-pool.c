/* ONNX -> IR: convolutions (grouped, transposed) and pooling, with
 * auto_pad resolved from the planned shapes. */
#include <string.h>

#include "ir-private.h"

typedef struct {
  int n_sp;
  int64_t strides[OVI_MAX_RANK], dilations[OVI_MAX_RANK];
  int64_t kernel[OVI_MAX_RANK];
  int64_t pb[OVI_MAX_RANK], pe[OVI_MAX_RANK];
} Geom;

/* Strides, dilations, kernel and explicit pads (auto_pad resolved from
 * the static input shape). x: the input; kernel from weights or the
 * attribute. */
static gboolean
geometry (OviIrWriter *w, const OviNode *n, const OviIrTap *x,
    const int64_t *kernel, int n_sp, Geom *g, GError **error)
{
  const int64_t *a;
  int c;
  const char *auto_pad = ovi_node_attr_string (n, "auto_pad", "NOTSET");
  memset (g, 0, sizeof (*g));
  g->n_sp = n_sp;
  if (n_sp < 1 || n_sp > OVI_MAX_RANK - 2 || x->rank != n_sp + 2)
    return ovi_ir_node_fail (w, n, error, OVI_ERROR_UNSUPPORTED,
        "input rank unknown or unsupported");
  for (int i = 0; i < n_sp; i++) {
    g->strides[i] = 1;
    g->dilations[i] = 1;
    g->kernel[i] = kernel[i];
  }
  c = ovi_node_attr_ints (n, "strides", &a);
  if (c == n_sp)
    memcpy (g->strides, a, sizeof (int64_t) * n_sp);
  c = ovi_node_attr_ints (n, "dilations", &a);
  if (c == n_sp)
    memcpy (g->dilations, a, sizeof (int64_t) * n_sp);
  if (strcmp (auto_pad, "SAME_UPPER") == 0
      || strcmp (auto_pad, "SAME_LOWER") == 0) {
    for (int i = 0; i < n_sp; i++) {
      int64_t in = x->dims[2 + i], s = g->strides[i];
      int64_t out = s > 0 ? (in + s - 1) / s : in;
      int64_t ext = (g->kernel[i] - 1) * g->dilations[i] + 1;
      int64_t total = MAX ((out - 1) * s + ext - in, 0);
      int64_t small = total / 2;
      if (strcmp (auto_pad, "SAME_UPPER") == 0) {
        g->pb[i] = small;
        g->pe[i] = total - small;
      } else {
        g->pb[i] = total - small;
        g->pe[i] = small;
      }
    }
  } else if (strcmp (auto_pad, "VALID") != 0) {
    c = ovi_node_attr_ints (n, "pads", &a);
    if (c == 2 * n_sp) {
      memcpy (g->pb, a, sizeof (int64_t) * n_sp);
      memcpy (g->pe, a + n_sp, sizeof (int64_t) * n_sp);
    } else if (c >= 0) {
      return ovi_ir_node_fail (w, n, error, OVI_ERROR_INVALID,
          "pads has %d values", c);
    }
  }
  return TRUE;
}

static void
geom_attrs (GString *d, const Geom *g, gboolean dilations)
{
  ovi_ir_data_ints (d, "strides", g->n_sp, g->strides);
  if (dilations)
    ovi_ir_data_ints (d, "dilations", g->n_sp, g->dilations);
  ovi_ir_data_ints (d, "pads_begin", g->n_sp, g->pb);
  ovi_ir_data_ints (d, "pads_end", g->n_sp, g->pe);
  ovi_ir_data_str (d, "auto_pad", "explicit");
}

/* The per-channel bias of a [N, C, ...] result, as an Add. */
static OviIrTap
bias_add (OviIrWriter *w, const OviNode *n, OviIrTap y, int bias_value,
    gboolean last)
{
  const OviValue *b = ovi_graph_value (w->g, bias_value);
  int64_t dims[OVI_MAX_RANK];
  OviIrTap ab[2];
  for (int i = 0; i < y.rank; i++)
    dims[i] = i == 1 ? (b->rank == 1 ? b->dims[0] : y.dims[1]) : 1;
  ab[0] = y;
  ab[1] = ovi_ir_emit_reshaped (w, bias_value, y.rank, dims);
  if (!last)
    return ovi_ir_emit_op (w, "Add", "opset1", ovi_ir_data_numpy (), 2, ab,
        y);
  ovi_ir_emit_final (w, n, "Add", "opset1", ovi_ir_data_numpy (), 2, ab, 0,
      NULL);
  return w->taps[n->outputs[0]];
}

static void
add_bias (OviIrWriter *w, const OviNode *n, OviIrTap y, int bias_value)
{
  bias_add (w, n, y, bias_value, TRUE);
}

/* The weights, [G*A, B, k...] -> [G, A, B, k...] when grouped. */
static gboolean
group_weights (OviIrWriter *w, const OviNode *n, int64_t group,
    OviIrTap *wt, GError **error)
{
  const OviValue *wv = ovi_ir_node_in_value (w, n, 1);
  int64_t dims[OVI_MAX_RANK];
  if (group == 1) {
    *wt = ovi_ir_node_in (w, n, 1);
    return TRUE;
  }
  if (wv->rank + 1 > OVI_MAX_RANK)
    return ovi_ir_node_unsupported (w, n, error, "this group convolution");
  dims[0] = group;
  dims[1] = wv->dims[0] / group;
  for (int i = 1; i < wv->rank; i++)
    dims[i + 1] = wv->dims[i];
  *wt = ovi_ir_emit_reshaped (w, n->inputs[1], wv->rank + 1, dims);
  return TRUE;
}

static gboolean
export_conv (OviIrWriter *w, const OviNode *n, GError **error)
{
  OviIrTap x = ovi_ir_node_in (w, n, 0), wt;
  const OviValue *wv = ovi_ir_node_in_value (w, n, 1);
  int64_t group = ovi_node_attr_int (n, "group", 1);
  Geom g;
  GString *d;
  OviIrTap out = ovi_ir_node_out_shape (w, n, 0);
  if (wv->rank < 3 || out.rank != wv->rank)
    return ovi_ir_node_fail (w, n, error, OVI_ERROR_UNSUPPORTED,
        "weights or output of unknown shape");
  if (!geometry (w, n, &x, wv->dims + 2, wv->rank - 2, &g, error))
    return FALSE;
  if (group < 1 || wv->dims[0] % group)
    return ovi_ir_node_fail (w, n, error, OVI_ERROR_INVALID, "bad group");
  if (!group_weights (w, n, group, &wt, error))
    return FALSE;
  d = ovi_ir_data_new ();
  geom_attrs (d, &g, TRUE);
  {
    OviIrTap ab[2] = { x, wt };
    const char *type = group > 1 ? "GroupConvolution" : "Convolution";
    if (ovi_ir_node_has_postops (n)) {
      /* The output shape is the convolution's too: post-ops are
       * elementwise on it. */
      OviIrTap y = ovi_ir_emit_op (w, type, "opset1", d, 2, ab, out);
      if (ovi_ir_node_has_in (n, 2))
        y = bias_add (w, n, y, n->inputs[2], FALSE);
      return ovi_ir_emit_postops (w, n, y, error);
    } else if (ovi_ir_node_has_in (n, 2)) {
      OviIrTap y = ovi_ir_emit_op (w, type, "opset1", d, 2, ab, out);
      add_bias (w, n, y, n->inputs[2]);
    } else {
      ovi_ir_emit_final (w, n, type, "opset1", d, 2, ab, 0, NULL);
    }
  }
  return TRUE;
}

static gboolean
export_conv_transpose (OviIrWriter *w, const OviNode *n, GError **error)
{
  OviIrTap x = ovi_ir_node_in (w, n, 0), wt;
  const OviValue *wv = ovi_ir_node_in_value (w, n, 1);
  int64_t group = ovi_node_attr_int (n, "group", 1);
  int64_t op_pad[OVI_MAX_RANK] = { 0 };
  const int64_t *a;
  Geom g;
  GString *d;
  OviIrTap out = ovi_ir_node_out_shape (w, n, 0);
  const char *auto_pad = ovi_node_attr_string (n, "auto_pad", "NOTSET");
  int n_sp, c;

  if (wv->rank < 3 || out.rank != wv->rank || x.rank != wv->rank)
    return ovi_ir_node_fail (w, n, error, OVI_ERROR_UNSUPPORTED,
        "weights or output of unknown shape");
  n_sp = wv->rank - 2;
  memset (&g, 0, sizeof (g));
  g.n_sp = n_sp;
  for (int i = 0; i < n_sp; i++) {
    g.strides[i] = 1;
    g.dilations[i] = 1;
  }
  c = ovi_node_attr_ints (n, "strides", &a);
  if (c == n_sp)
    memcpy (g.strides, a, sizeof (int64_t) * n_sp);
  c = ovi_node_attr_ints (n, "dilations", &a);
  if (c == n_sp)
    memcpy (g.dilations, a, sizeof (int64_t) * n_sp);
  c = ovi_node_attr_ints (n, "output_padding", &a);
  if (c == n_sp)
    memcpy (op_pad, a, sizeof (int64_t) * n_sp);
  c = ovi_node_attr_ints (n, "pads", &a);
  if (c == 2 * n_sp && strcmp (auto_pad, "NOTSET") == 0
      && ovi_node_attr (n, "output_shape") == NULL) {
    memcpy (g.pb, a, sizeof (int64_t) * n_sp);
    memcpy (g.pe, a + n_sp, sizeof (int64_t) * n_sp);
  } else {
    /* Derive the padding from the (planned) output size. */
    for (int i = 0; i < n_sp; i++) {
      int64_t ext = (wv->dims[2 + i] - 1) * g.dilations[i] + 1;
      int64_t total = g.strides[i] * (x.dims[2 + i] - 1) + op_pad[i] + ext
          - out.dims[2 + i];
      if (total < 0) {
        op_pad[i] -= total;
        total = 0;
      }
      if (strcmp (auto_pad, "SAME_UPPER") == 0) {
        g.pb[i] = total / 2;
        g.pe[i] = total - total / 2;
      } else {
        g.pb[i] = total - total / 2;
        g.pe[i] = total / 2;
      }
    }
  }
  if (group < 1 || wv->dims[0] % group)
    return ovi_ir_node_fail (w, n, error, OVI_ERROR_INVALID, "bad group");
  if (!group_weights (w, n, group, &wt, error))
    return FALSE;
  d = ovi_ir_data_new ();
  geom_attrs (d, &g, TRUE);
  ovi_ir_data_ints (d, "output_padding", n_sp, op_pad);
  {
    OviIrTap ab[2] = { x, wt };
    const char *type = group > 1 ? "GroupConvolutionBackpropData"
        : "ConvolutionBackpropData";
    if (ovi_ir_node_has_in (n, 2)) {
      OviIrTap y = ovi_ir_emit_op (w, type, "opset1", d, 2, ab, out);
      add_bias (w, n, y, n->inputs[2]);
    } else {
      ovi_ir_emit_final (w, n, type, "opset1", d, 2, ab, 0, NULL);
    }
  }
  return TRUE;
}

static int64_t
pool_out (int64_t in, int64_t k, int64_t s, int64_t d, int64_t pb,
    int64_t pe, gboolean ceil_mode)
{
  int64_t ext = (k - 1) * d + 1, span = in + pb + pe - ext;
  if (span < 0 || s <= 0)
    return -1;
  return (ceil_mode ? (span + s - 1) / s : span / s) + 1;
}

static gboolean
export_pool (OviIrWriter *w, const OviNode *n, GError **error)
{
  gboolean max = strcmp (n->op_type, "MaxPool") == 0;
  OviIrTap x = ovi_ir_node_in (w, n, 0);
  OviIrTap out = ovi_ir_node_out_shape (w, n, 0);
  const int64_t *k;
  int nk = ovi_node_attr_ints (n, "kernel_shape", &k);
  gboolean ceil_mode = ovi_node_attr_int (n, "ceil_mode", 0) != 0;
  gboolean dilated = FALSE, torch = FALSE;
  Geom g;
  GString *d;

  if (nk < 1)
    return ovi_ir_node_fail (w, n, error, OVI_ERROR_INVALID, "no kernel_shape");
  if (!geometry (w, n, &x, k, nk, &g, error))
    return FALSE;
  if (out.rank != x.rank)
    return ovi_ir_node_fail (w, n, error, OVI_ERROR_UNSUPPORTED,
        "unknown shapes");
  if (ovi_node_attr_int (n, "storage_order", 0) != 0
      && ovi_ir_node_has_out (n, 1))
    return ovi_ir_node_unsupported (w, n, error, "column-major indices");
  for (int i = 0; i < nk; i++) {
    dilated |= g.dilations[i] != 1;
    /* IR's ceil may add a window that starts in the end padding where
     * ONNX's does not: then the planned size tells us. */
    if (ceil_mode && pool_out (x.dims[2 + i], g.kernel[i], g.strides[i],
            g.dilations[i], g.pb[i], g.pe[i], TRUE) != out.dims[2 + i])
      torch = TRUE;
  }
  if (!max && dilated)
    return ovi_ir_node_unsupported (w, n, error, "dilated AveragePool");
  d = ovi_ir_data_new ();
  geom_attrs (d, &g, max && (dilated || ovi_ir_node_has_out (n, 1) || torch));
  ovi_ir_data_ints (d, "kernel", nk, g.kernel);
  ovi_ir_data_str (d, "rounding_type", torch ? "ceil_torch" : ceil_mode ? "ceil"
      : "floor");
  if (max) {
    if (dilated || ovi_ir_node_has_out (n, 1) || torch) {
      OviIrTap outs[2];
      outs[0] = out;
      outs[1] = ovi_ir_node_has_out (n, 1) ? ovi_ir_node_out_shape (w, n, 1)
          : ovi_ir_shape_tap (OVI_DTYPE_INT64, out.rank, out.dims);
      ovi_ir_data_str (d, "index_element_type", "i64");
      ovi_ir_data_int (d, "axis", 0);
      ovi_ir_emit_final (w, n, "MaxPool", torch ? "opset14" : "opset8", d, 1,
          &x, 2, outs);
    } else {
      ovi_ir_emit_final (w, n, "MaxPool", "opset1", d, 1, &x, 0, NULL);
    }
  } else {
    ovi_ir_data_bool (d, "exclude-pad",
        ovi_node_attr_int (n, "count_include_pad", 0) == 0);
    ovi_ir_emit_final (w, n, "AvgPool", torch ? "opset14" : "opset1", d, 1, &x,
        0, NULL);
  }
  return TRUE;
}

static gboolean
export_global_pool (OviIrWriter *w, const OviNode *n, GError **error)
{
  OviIrTap x = ovi_ir_node_in (w, n, 0), ab[2];
  int64_t axes[OVI_MAX_RANK];
  GString *d = ovi_ir_data_new ();
  if (x.rank < 3) {
    g_string_free (d, TRUE);
    return ovi_ir_node_fail (w, n, error, OVI_ERROR_UNSUPPORTED, "input rank");
  }
  for (int i = 2; i < x.rank; i++)
    axes[i - 2] = i;
  ab[0] = x;
  ab[1] = ovi_ir_emit_i64s (w, x.rank - 2, axes);
  ovi_ir_data_bool (d, "keep_dims", TRUE);
  ovi_ir_emit_final (w, n,
      strcmp (n->op_type, "GlobalMaxPool") == 0 ? "ReduceMax" : "ReduceMean",
      "opset1", d, 2, ab, 0, NULL);
  return TRUE;
}

const OviIrExportOp ovi_ir_export_conv_pool[] = {
  { "Conv", export_conv },
  { "ConvTranspose", export_conv_transpose },
  { "MaxPool", export_pool },
  { "AveragePool", export_pool },
  { "GlobalAveragePool", export_global_pool },
  { "GlobalMaxPool", export_global_pool },
  { NULL },
};
