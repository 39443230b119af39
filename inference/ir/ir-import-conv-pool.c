/* IR -> ONNX: convolutions (grouped, transposed) and pooling. */
#include <string.h>

#include "ir-private.h"

/* Spatial attributes shared by convolutions and pools. */
typedef struct {
  int n_sp;
  int64_t strides[OVI_MAX_RANK], dilations[OVI_MAX_RANK];
  int64_t pads[2 * OVI_MAX_RANK];
  int64_t kernel[OVI_MAX_RANK];
  int64_t out_pad[OVI_MAX_RANK];
  const char *auto_pad;         /* ONNX spelling */
  gboolean has_dilations, has_out_pad;
} Spatial;

static gboolean
spatial_attrs (OviIrImport *c, Spatial *s, gboolean pool, GError **error)
{
  int64_t pb[OVI_MAX_RANK], pe[OVI_MAX_RANK];
  int n_s, n_pb, n_pe, n_d = -1, n_k = -1, n_op = -1;
  const char *ap = ovi_ir_attr_str (c, "auto_pad", "explicit");

  memset (s, 0, sizeof (*s));
  if (!ovi_ir_attr_ints_fixed (c, "strides", TRUE, OVI_MAX_RANK, &n_s,
          s->strides, error)
      || !ovi_ir_attr_ints_fixed (c, "pads_begin", TRUE, OVI_MAX_RANK, &n_pb,
          pb, error)
      || !ovi_ir_attr_ints_fixed (c, "pads_end", TRUE, OVI_MAX_RANK, &n_pe, pe,
          error)
      || !ovi_ir_attr_ints_fixed (c, "dilations", !pool, OVI_MAX_RANK, &n_d,
          s->dilations, error)
      || (pool
          && !ovi_ir_attr_ints_fixed (c, "kernel", TRUE, OVI_MAX_RANK, &n_k,
              s->kernel, error))
      || (!pool
          && !ovi_ir_attr_ints_fixed (c, "output_padding", FALSE, OVI_MAX_RANK,
              &n_op, s->out_pad, error)))
    return FALSE;
  s->n_sp = n_s;
  if (n_pb != n_s || n_pe != n_s || (n_d >= 0 && n_d != n_s)
      || (pool && n_k != n_s) || (n_op >= 0 && n_op != n_s) || n_s < 1)
    return ovi_ir_fail (c, error, OVI_ERROR_INVALID,
        "strides, pads, dilations and kernel lengths differ");
  for (int i = 0; i < n_s; i++) {
    s->pads[i] = pb[i];
    s->pads[n_s + i] = pe[i];
  }
  s->has_dilations = n_d >= 0;
  s->has_out_pad = n_op >= 0;
  if (g_ascii_strcasecmp (ap, "explicit") == 0
      || g_ascii_strcasecmp (ap, "notset") == 0 || ap[0] == '\0')
    s->auto_pad = "NOTSET";
  else if (g_ascii_strcasecmp (ap, "valid") == 0)
    s->auto_pad = "VALID";
  else if (g_ascii_strcasecmp (ap, "same_upper") == 0)
    s->auto_pad = "SAME_UPPER";
  else if (g_ascii_strcasecmp (ap, "same_lower") == 0)
    s->auto_pad = "SAME_LOWER";
  else
    return ovi_ir_fail (c, error, OVI_ERROR_UNSUPPORTED,
        "auto_pad '%s' is not supported", ap);
  return TRUE;
}

static void
set_spatial (OviNode *n, const Spatial *s, gboolean dilations)
{
  ovi_node_set_attr_ints (n, "strides", s->n_sp, s->strides);
  if (dilations && s->has_dilations)
    ovi_node_set_attr_ints (n, "dilations", s->n_sp, s->dilations);
  if (strcmp (s->auto_pad, "NOTSET") == 0)
    ovi_node_set_attr_ints (n, "pads", 2 * s->n_sp, s->pads);
  else
    ovi_node_set_attr_string (n, "auto_pad", s->auto_pad);
}

/* Group weights [G, A, B, k...] -> [G*A, B, k...]. */
static gboolean
group_weights (OviIrImport *c, int *w, int64_t *groups, GError **error)
{
  int r = ovi_ir_in_rank (c, 1);
  const int64_t *d = ovi_ir_in_dims (c, 1);
  int64_t shape[OVI_MAX_RANK];
  if (r < 3)
    return ovi_ir_fail (c, error, OVI_ERROR_INVALID,
        "group weights need at least 3 dimensions");
  for (int i = 0; i < r; i++)
    if (d[i] < 0)
      return ovi_ir_fail (c, error, OVI_ERROR_UNSUPPORTED,
          "group weights must have a static shape");
  *groups = d[0];
  if (d[0] < 1)
    return ovi_ir_fail (c, error, OVI_ERROR_INVALID, "0 groups");
  shape[0] = -1;
  for (int i = 2; i < r; i++)
    shape[i - 1] = d[i];
  *w = ovi_ir_node1 (c, "Reshape", -1, ovi_ir_in_dtype (c, 1), 2, c->in[1],
      ovi_ir_const_i64 (c, r - 1, shape, FALSE));
  return TRUE;
}

static gboolean
import_conv (OviIrImport *c, GError **error)
{
  gboolean group = strcmp (c->layer->type, "GroupConvolution") == 0;
  Spatial s;
  int64_t groups = 1;
  int w = c->in[1];
  if (!ovi_ir_check_io (c, 2, 2, 1, 1, error)
      || !spatial_attrs (c, &s, FALSE, error))
    return FALSE;
  if (group && !group_weights (c, &w, &groups, error))
    return FALSE;
  ovi_ir_node1 (c, "Conv", c->out[0], ovi_ir_out_dtype (c, 0), 2, c->in[0], w);
  set_spatial (ovi_ir_last_node (c), &s, TRUE);
  if (group)
    ovi_node_set_attr_int (ovi_ir_last_node (c), "group", groups);
  return TRUE;
}

static gboolean
import_conv_transpose (OviIrImport *c, GError **error)
{
  gboolean group = strcmp (c->layer->type,
      "GroupConvolutionBackpropData") == 0;
  Spatial s;
  int64_t groups = 1;
  int w = c->in[1];
  if (!ovi_ir_check_io (c, 2, 3, 1, 1, error)
      || !spatial_attrs (c, &s, FALSE, error))
    return FALSE;
  if (c->n_in == 3)
    return ovi_ir_fail (c, error, OVI_ERROR_UNSUPPORTED,
        "an output_shape input is not supported");
  if (strcmp (s.auto_pad, "VALID") == 0) {
    for (int i = 0; i < 2 * s.n_sp; i++)
      s.pads[i] = 0;
    s.auto_pad = "NOTSET";
  } else if (strcmp (s.auto_pad, "NOTSET") != 0) {
    return ovi_ir_fail (c, error, OVI_ERROR_UNSUPPORTED,
        "auto_pad same_upper/same_lower is not supported");
  }
  if (group && !group_weights (c, &w, &groups, error))
    return FALSE;
  ovi_ir_node1 (c, "ConvTranspose", c->out[0], ovi_ir_out_dtype (c, 0), 2,
      c->in[0], w);
  set_spatial (ovi_ir_last_node (c), &s, TRUE);
  if (s.has_out_pad)
    ovi_node_set_attr_ints (ovi_ir_last_node (c), "output_padding", s.n_sp,
        s.out_pad);
  if (group)
    ovi_node_set_attr_int (ovi_ir_last_node (c), "group", groups);
  return TRUE;
}

static gboolean
rounding (OviIrImport *c, int64_t *ceil_mode, GError **error)
{
  const char *r = ovi_ir_attr_str (c, "rounding_type", "floor");
  *ceil_mode = 0;
  if (g_ascii_strcasecmp (r, "floor") == 0)
    *ceil_mode = 0;
  else if (g_ascii_strcasecmp (r, "ceil") == 0
      || g_ascii_strcasecmp (r, "ceil_torch") == 0)
    *ceil_mode = 1;
  else
    return ovi_ir_fail (c, error, OVI_ERROR_UNSUPPORTED,
        "rounding_type '%s' is not supported", r);
  return TRUE;
}

static gboolean
import_max_pool (OviIrImport *c, GError **error)
{
  Spatial s;
  int64_t ceil_mode, axis;
  int outs[2];
  int n_out = 1;
  if (!ovi_ir_check_io (c, 1, 1, 1, 2, error)
      || !spatial_attrs (c, &s, TRUE, error) || !rounding (c, &ceil_mode, error)
      || !ovi_ir_attr_int (c, "axis", FALSE, 0, &axis, error))
    return FALSE;
  outs[0] = c->out[0];
  if (c->n_out == 2 && ovi_ir_out_port (c, 1)->uses > 0) {
    OviDType it = ovi_ir_value (c, c->out[1])->dtype;
    if (axis != 0 && axis != -ovi_ir_in_rank (c, 0))
      return ovi_ir_fail (c, error, OVI_ERROR_UNSUPPORTED,
          "indices with axis %" G_GINT64_FORMAT " are not supported", axis);
    outs[1] = it == OVI_DTYPE_INT64 || it == OVI_DTYPE_UNDEFINED ? c->out[1]
        : ovi_ir_new_value (c, OVI_DTYPE_INT64);
    n_out = 2;
  }
  ovi_ir_add_node (c, "MaxPool", 1, c->in, n_out, outs);
  set_spatial (ovi_ir_last_node (c), &s, TRUE);
  ovi_node_set_attr_ints (ovi_ir_last_node (c), "kernel_shape", s.n_sp,
      s.kernel);
  if (ceil_mode)
    ovi_node_set_attr_int (ovi_ir_last_node (c), "ceil_mode", 1);
  if (n_out == 2 && outs[1] != c->out[1])
    ovi_ir_cast (c, outs[1], ovi_ir_value (c, c->out[1])->dtype, c->out[1]);
  return TRUE;
}

static gboolean
import_avg_pool (OviIrImport *c, GError **error)
{
  Spatial s;
  int64_t ceil_mode;
  gboolean exclude;
  if (!ovi_ir_check_io (c, 1, 1, 1, 1, error)
      || !spatial_attrs (c, &s, TRUE, error) || !rounding (c, &ceil_mode, error)
      || !ovi_ir_attr_bool (c, "exclude-pad", FALSE, &exclude, error))
    return FALSE;
  ovi_ir_add_node (c, "AveragePool", 1, c->in, 1, c->out);
  set_spatial (ovi_ir_last_node (c), &s, FALSE);
  ovi_node_set_attr_ints (ovi_ir_last_node (c), "kernel_shape", s.n_sp,
      s.kernel);
  if (s.has_dilations)
    ovi_node_set_attr_ints (ovi_ir_last_node (c), "dilations", s.n_sp,
        s.dilations);
  if (ceil_mode)
    ovi_node_set_attr_int (ovi_ir_last_node (c), "ceil_mode", 1);
  ovi_node_set_attr_int (ovi_ir_last_node (c), "count_include_pad", !exclude);
  return TRUE;
}

const OviIrImportOp ovi_ir_import_conv_pool[] = {
  { "Convolution", import_conv, 1 },
  { "GroupConvolution", import_conv, 1 },
  { "ConvolutionBackpropData", import_conv_transpose, 1 },
  { "GroupConvolutionBackpropData", import_conv_transpose, 1 },
  { "MaxPool", import_max_pool, 1 },
  { "AvgPool", import_avg_pool, 1 },
  { NULL },
};
