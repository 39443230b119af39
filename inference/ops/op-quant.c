/* Shape inference for the quant op group: QuantizeLinear,
 * DequantizeLinear, DynamicQuantizeLinear, QLinearConv, QLinearMatMul,
 * ConvInteger and MatMulInteger. */
#include <string.h>

#include "ops.h"

static gboolean
is_quant_type (OviDType t)
{
  return t == OVI_DTYPE_UINT8 || t == OVI_DTYPE_INT8
      || t == OVI_DTYPE_UINT16 || t == OVI_DTYPE_INT16;
}

static gboolean
is_8bit (OviDType t)
{
  return t == OVI_DTYPE_UINT8 || t == OVI_DTYPE_INT8;
}

/* A scale or zero point must be a scalar or, with `axis_len` >= 0, a 1-D
 * tensor of that many values. */
static gboolean
check_param (OviOpCtx *ctx, const OviTensor *t, const char *what,
    int64_t axis_len, GError **error)
{
  int64_t n = ovi_tensor_numel (t);
  if (n == 1 && t->rank <= 1)
    return TRUE;
  if (axis_len >= 0 && t->rank == 1 && n == axis_len)
    return TRUE;
  ovi_op_error (ctx, error, OVI_ERROR_INVALID,
      "%s has %" G_GINT64_FORMAT " values, expected 1%s", what, n,
      axis_len >= 0 ? " or one per channel" : "");
  return FALSE;
}

static OviInferResult
infer_quantize (OviOpCtx *ctx, GError **error)
{
  gboolean quantize = strcmp (ctx->node->op_type, "QuantizeLinear") == 0;
  OviTensor *x, *scale, *zp;
  int64_t axis_attr = ctx->opset >= 13
      ? ovi_node_attr_int (ctx->node, "axis", 1) : 1;
  int axis = -1;
  OviDType out;

  if (!ovi_op_check_inputs (ctx, 2, 3, error))
    return OVI_INFER_ERROR;
  x = ctx->inputs[0];
  scale = ctx->inputs[1];
  zp = ovi_op_input (ctx, 2);
  if (ovi_node_attr_int (ctx->node, "block_size", 0) != 0)
    return ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
        "blocked quantization is not supported");
  if (!ovi_dtype_is_float (scale->dtype))
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "scale must be float, not %s", ovi_dtype_name (scale->dtype));
  if (ctx->opset >= 13 && x->rank > 0)
    ovi_op_axis (axis_attr, x->rank, &axis);
  else if (x->rank > 1)
    axis = 1;
  if (scale->rank == 1 && ovi_tensor_numel (scale) > 1 && axis < 0)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "axis %" G_GINT64_FORMAT " is out of range", axis_attr);
  if (!check_param (ctx, scale, "scale", axis >= 0 ? x->dims[axis] : -1,
          error))
    return OVI_INFER_ERROR;
  if (zp && !check_param (ctx, zp, "zero point",
          axis >= 0 ? x->dims[axis] : -1, error))
    return OVI_INFER_ERROR;
  if (zp && ovi_tensor_numel (zp) != ovi_tensor_numel (scale))
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "scale and zero point differ in shape");

  if (quantize) {
    int64_t to = ovi_node_attr_int (ctx->node, "output_dtype", 0);
    if (x->dtype != OVI_DTYPE_INT32 && !ovi_dtype_is_float (x->dtype))
      return ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
          "input type %s is not supported", ovi_dtype_name (x->dtype));
    out = zp ? zp->dtype : to ? (OviDType) to : OVI_DTYPE_UINT8;
    if (zp && to && to != zp->dtype)
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "output_dtype differs from the zero point's type");
    if (!is_quant_type (out))
      return ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
          "quantizing to %s is not supported", ovi_dtype_name (out));
  } else {
    if (!is_quant_type (x->dtype) && x->dtype != OVI_DTYPE_INT32)
      return ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
          "dequantizing %s is not supported", ovi_dtype_name (x->dtype));
    if (zp && zp->dtype != x->dtype)
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "zero point type %s differs from the input's %s",
          ovi_dtype_name (zp->dtype), ovi_dtype_name (x->dtype));
    out = scale->dtype;
  }
  ovi_op_set_output (ctx, 0, out, x->rank, x->dims);
  return OVI_INFER_OK;
}

static OviInferResult
infer_dynamic_quantize (OviOpCtx *ctx, GError **error)
{
  OviTensor *x;
  if (!ovi_op_check_inputs (ctx, 1, 1, error))
    return OVI_INFER_ERROR;
  x = ctx->inputs[0];
  if (x->dtype != OVI_DTYPE_FLOAT32)
    return ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
        "input type %s is not supported", ovi_dtype_name (x->dtype));
  ovi_op_set_output (ctx, 0, OVI_DTYPE_UINT8, x->rank, x->dims);
  ovi_op_set_output (ctx, 1, OVI_DTYPE_FLOAT32, 0, NULL);
  ovi_op_set_output (ctx, 2, OVI_DTYPE_UINT8, 0, NULL);
  return OVI_INFER_OK;
}

/* numpy.matmul shapes. */
static OviInferResult
infer_matmul_shape (OviOpCtx *ctx, const OviTensor *a, const OviTensor *b,
    OviDType out, GError **error)
{
  int ra = a->rank, rb = b->rank, rank;
  int64_t da[OVI_MAX_RANK], db[OVI_MAX_RANK], dims[OVI_MAX_RANK];
  int rank_out;

  if (ra < 1 || rb < 1)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "inputs must have rank 1 or more");
  memcpy (da, a->dims, sizeof (int64_t) * ra);
  memcpy (db, b->dims, sizeof (int64_t) * rb);
  if (ra == 1) {
    da[1] = da[0];
    da[0] = 1;
    ra = 2;
  }
  if (rb == 1) {
    db[1] = 1;
    rb = 2;
  }
  if (da[ra - 1] != db[rb - 2])
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "inner dimensions %" G_GINT64_FORMAT " and %" G_GINT64_FORMAT
        " differ", da[ra - 1], db[rb - 2]);
  if (!ovi_broadcast_shapes (ra - 2, da, rb - 2, db, &rank, dims))
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "batch dimensions do not broadcast");
  rank_out = rank;
  if (a->rank > 1)
    dims[rank_out++] = da[ra - 2];
  if (b->rank > 1)
    dims[rank_out++] = db[rb - 1];
  if (rank_out > OVI_MAX_RANK)
    return ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED, "rank too large");
  ovi_op_set_output (ctx, 0, out, rank_out, dims);
  return OVI_INFER_OK;
}

static OviInferResult
infer_matmul_integer (OviOpCtx *ctx, GError **error)
{
  OviTensor *a, *b, *azp, *bzp;
  if (!ovi_op_check_inputs (ctx, 2, 4, error))
    return OVI_INFER_ERROR;
  a = ctx->inputs[0];
  b = ctx->inputs[1];
  azp = ovi_op_input (ctx, 2);
  bzp = ovi_op_input (ctx, 3);
  if (!is_8bit (a->dtype) || !is_8bit (b->dtype))
    return ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
        "types %s and %s are not supported", ovi_dtype_name (a->dtype),
        ovi_dtype_name (b->dtype));
  if ((azp && azp->dtype != a->dtype) || (bzp && bzp->dtype != b->dtype))
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "zero points must have their input's type");
  return infer_matmul_shape (ctx, a, b, OVI_DTYPE_INT32, error);
}

static OviInferResult
infer_qlinear_matmul (OviOpCtx *ctx, GError **error)
{
  OviTensor *a, *b, *yzp;
  if (!ovi_op_check_inputs (ctx, 8, 8, error))
    return OVI_INFER_ERROR;
  a = ctx->inputs[0];
  b = ctx->inputs[3];
  yzp = ctx->inputs[7];
  if (!is_8bit (a->dtype) || !is_8bit (b->dtype) || !is_8bit (yzp->dtype))
    return ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
        "types %s, %s and %s are not supported", ovi_dtype_name (a->dtype),
        ovi_dtype_name (b->dtype), ovi_dtype_name (yzp->dtype));
  if (ctx->inputs[2]->dtype != a->dtype || ctx->inputs[5]->dtype != b->dtype)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "zero points must have their input's type");
  for (int i = 1; i < 8; i += i == 4 ? 2 : 3)
    if (!ovi_dtype_is_float (ctx->inputs[i]->dtype))
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "scales must be float");
  if (ovi_tensor_numel (ctx->inputs[6]) != 1
      || ovi_tensor_numel (ctx->inputs[7]) != 1)
    return ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
        "only a per-tensor output scale and zero point are supported");
  return infer_matmul_shape (ctx, a, b, yzp->dtype, error);
}

/* Conv output shape from x [N, C, spatial...] and w [M, C/group, k...]. */
static OviInferResult
infer_conv_shape (OviOpCtx *ctx, const OviTensor *x, const OviTensor *w,
    OviDType out, GError **error)
{
  const OviNode *node = ctx->node;
  int sp = x->rank - 2;
  int64_t group = ovi_node_attr_int (node, "group", 1);
  const char *auto_pad = ovi_node_attr_string (node, "auto_pad", "NOTSET");
  const int64_t *pads = NULL, *strides = NULL, *dil = NULL, *ks = NULL;
  int n_pads = ovi_node_attr_ints (node, "pads", &pads);
  int n_strides = ovi_node_attr_ints (node, "strides", &strides);
  int n_dil = ovi_node_attr_ints (node, "dilations", &dil);
  int n_ks = ovi_node_attr_ints (node, "kernel_shape", &ks);
  int64_t dims[OVI_MAX_RANK];

  if (x->rank < 3 || w->rank != x->rank)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "x must be [N, C, ...] and w [M, C/group, ...] of the same rank");
  if (group < 1 || x->dims[1] != w->dims[1] * group || w->dims[0] % group)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "channels %" G_GINT64_FORMAT " and %" G_GINT64_FORMAT
        " do not match group %" G_GINT64_FORMAT, x->dims[1], w->dims[1],
        group);
  if ((n_pads >= 0 && n_pads != 2 * sp) || (n_strides >= 0 && n_strides != sp)
      || (n_dil >= 0 && n_dil != sp) || (n_ks >= 0 && n_ks != sp))
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "pads, strides, dilations or kernel_shape have the wrong length");
  if (strcmp (auto_pad, "NOTSET") != 0 && strcmp (auto_pad, "VALID") != 0
      && strcmp (auto_pad, "SAME_UPPER") != 0
      && strcmp (auto_pad, "SAME_LOWER") != 0)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "auto_pad '%s' is not valid", auto_pad);
  dims[0] = x->dims[0];
  dims[1] = w->dims[0];
  for (int i = 0; i < sp; i++) {
    int64_t k = w->dims[2 + i], in = x->dims[2 + i];
    int64_t s = n_strides >= 0 ? strides[i] : 1;
    int64_t d = n_dil >= 0 ? dil[i] : 1;
    int64_t ek, o;
    if (n_ks >= 0 && ks[i] != k)
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "kernel_shape differs from the weights");
    if (s < 1 || d < 1)
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "strides and dilations must be positive");
    ek = (k - 1) * d + 1;
    if (strcmp (auto_pad, "SAME_UPPER") == 0
        || strcmp (auto_pad, "SAME_LOWER") == 0) {
      o = (in + s - 1) / s;
    } else {
      int64_t pb = 0, pe = 0;
      if (strcmp (auto_pad, "NOTSET") == 0 && n_pads >= 0) {
        pb = pads[i];
        pe = pads[sp + i];
      }
      if (pb < 0 || pe < 0)
        return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
            "pads must not be negative");
      if (in + pb + pe < ek)
        return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
            "the kernel is larger than the padded input");
      o = (in + pb + pe - ek) / s + 1;
    }
    dims[2 + i] = o;
  }
  ovi_op_set_output (ctx, 0, out, x->rank, dims);
  return OVI_INFER_OK;
}

static OviInferResult
infer_conv_integer (OviOpCtx *ctx, GError **error)
{
  OviTensor *x, *w, *xzp, *wzp;
  if (!ovi_op_check_inputs (ctx, 2, 4, error))
    return OVI_INFER_ERROR;
  x = ctx->inputs[0];
  w = ctx->inputs[1];
  xzp = ovi_op_input (ctx, 2);
  wzp = ovi_op_input (ctx, 3);
  if (!is_8bit (x->dtype) || !is_8bit (w->dtype))
    return ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
        "types %s and %s are not supported", ovi_dtype_name (x->dtype),
        ovi_dtype_name (w->dtype));
  if ((xzp && (xzp->dtype != x->dtype || ovi_tensor_numel (xzp) != 1))
      || (wzp && wzp->dtype != w->dtype))
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "bad zero point");
  if (wzp && !check_param (ctx, wzp, "w_zero_point", w->dims[0], error))
    return OVI_INFER_ERROR;
  return infer_conv_shape (ctx, x, w, OVI_DTYPE_INT32, error);
}

static OviInferResult
infer_qlinear_conv (OviOpCtx *ctx, GError **error)
{
  OviTensor *x, *w, *yzp, *bias;
  if (!ovi_op_check_inputs (ctx, 8, 9, error))
    return OVI_INFER_ERROR;
  x = ctx->inputs[0];
  w = ctx->inputs[3];
  yzp = ctx->inputs[7];
  bias = ovi_op_input (ctx, 8);
  if (!is_8bit (x->dtype) || !is_8bit (w->dtype) || !is_8bit (yzp->dtype))
    return ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
        "types %s, %s and %s are not supported", ovi_dtype_name (x->dtype),
        ovi_dtype_name (w->dtype), ovi_dtype_name (yzp->dtype));
  if (ctx->inputs[2]->dtype != x->dtype || ctx->inputs[5]->dtype != w->dtype)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "zero points must have their input's type");
  for (int i = 1; i < 8; i += i == 4 ? 2 : 3)
    if (!ovi_dtype_is_float (ctx->inputs[i]->dtype))
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "scales must be float");
  if (!check_param (ctx, ctx->inputs[1], "x_scale", -1, error)
      || !check_param (ctx, ctx->inputs[2], "x_zero_point", -1, error)
      || !check_param (ctx, ctx->inputs[6], "y_scale", -1, error)
      || !check_param (ctx, ctx->inputs[7], "y_zero_point", -1, error)
      || (w->rank > 0
          && (!check_param (ctx, ctx->inputs[4], "w_scale", w->dims[0], error)
              || !check_param (ctx, ctx->inputs[5], "w_zero_point",
                  w->dims[0], error))))
    return OVI_INFER_ERROR;
  if (bias && (bias->dtype != OVI_DTYPE_INT32 || bias->rank != 1
          || w->rank < 1 || bias->dims[0] != w->dims[0]))
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "bias must be int32 [M]");
  return infer_conv_shape (ctx, x, w, yzp->dtype, error);
}

const OviOpDef ovi_ops_quant[] = {
  { "QuantizeLinear", infer_quantize },
  { "DequantizeLinear", infer_quantize },
  { "DynamicQuantizeLinear", infer_dynamic_quantize },
  { "MatMulInteger", infer_matmul_integer },
  { "QLinearMatMul", infer_qlinear_matmul },
  { "ConvInteger", infer_conv_integer },
  { "QLinearConv", infer_qlinear_conv },
  { NULL }
};
