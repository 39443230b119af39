/* Shape inference for the conv op group: Conv, ConvTranspose, Gemm,
 * MatMul and Einsum. */
#include <string.h>

#include "ops.h"
#include "passes/passes.h"

/* Attribute values beyond this are rejected so that the geometry
 * arithmetic below cannot overflow. */
#define CONV_ATTR_LIMIT ((int64_t) 1 << 31)

static gboolean
conv_dtype_ok (OviDType dtype)
{
  return dtype == OVI_DTYPE_FLOAT32 || dtype == OVI_DTYPE_FLOAT64
      || dtype == OVI_DTYPE_FLOAT16 || dtype == OVI_DTYPE_BFLOAT16;
}

static gboolean
matmul_dtype_ok (OviDType dtype)
{
  return ovi_dtype_is_known (dtype) && dtype != OVI_DTYPE_STRING
      && dtype != OVI_DTYPE_BOOL;
}

/* Reads an ints attribute of exactly `n` values into out, or fills it
 * with `def` when absent. */
static gboolean
read_spatial_attr (OviOpCtx *ctx, const char *name, int n, int64_t def,
    int64_t lo, int64_t *out, GError **error)
{
  const int64_t *v;
  int count = ovi_node_attr_ints (ctx->node, name, &v);
  if (count < 0) {
    for (int i = 0; i < n; i++)
      out[i] = def;
    return TRUE;
  }
  if (count != n) {
    ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "attribute %s has %d values, expected %d", name, count, n);
    return FALSE;
  }
  for (int i = 0; i < n; i++) {
    if (v[i] < lo || v[i] > CONV_ATTR_LIMIT || v[i] < -CONV_ATTR_LIMIT) {
      ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "attribute %s has an invalid value %" G_GINT64_FORMAT, name, v[i]);
      return FALSE;
    }
    out[i] = v[i];
  }
  return TRUE;
}

typedef enum {
  PAD_NOTSET, PAD_SAME_UPPER, PAD_SAME_LOWER, PAD_VALID
} AutoPad;

static gboolean
read_auto_pad (OviOpCtx *ctx, AutoPad *out, GError **error)
{
  const char *s = ovi_node_attr_string (ctx->node, "auto_pad", "NOTSET");
  if (strcmp (s, "NOTSET") == 0 || s[0] == '\0')
    *out = PAD_NOTSET;
  else if (strcmp (s, "SAME_UPPER") == 0)
    *out = PAD_SAME_UPPER;
  else if (strcmp (s, "SAME_LOWER") == 0)
    *out = PAD_SAME_LOWER;
  else if (strcmp (s, "VALID") == 0)
    *out = PAD_VALID;
  else {
    ovi_op_error (ctx, error, OVI_ERROR_INVALID, "unknown auto_pad '%s'", s);
    return FALSE;
  }
  return TRUE;
}

/* Common checks of Conv and ConvTranspose: X, W and B shapes, kernel
 * shape, strides, dilations. Fills the kernel/stride/dilation arrays. */
static gboolean
conv_common (OviOpCtx *ctx, int max_inputs, int64_t *group, int64_t *kernel,
    int64_t *stride, int64_t *dil, GError **error)
{
  OviTensor *x, *w;
  int nsp;
  const int64_t *ks;
  int n_ks;

  if (!ovi_op_check_inputs (ctx, 2, max_inputs, error))
    return FALSE;
  x = ctx->inputs[0];
  w = ctx->inputs[1];
  if (!conv_dtype_ok (x->dtype)) {
    ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
        "input type %s is not supported", ovi_dtype_name (x->dtype));
    return FALSE;
  }
  if (w->dtype != x->dtype) {
    ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "W type %s differs from X type %s", ovi_dtype_name (w->dtype),
        ovi_dtype_name (x->dtype));
    return FALSE;
  }
  if (x->rank < 3) {
    ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "X has rank %d, expected at least 3 (N, C, spatial...)", x->rank);
    return FALSE;
  }
  if (w->rank != x->rank) {
    ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "W has rank %d, expected %d like X", w->rank, x->rank);
    return FALSE;
  }
  for (int i = 0; i < x->rank; i++) {
    if (x->dims[i] < 0 || w->dims[i] < 0) {
      ovi_op_error (ctx, error, OVI_ERROR_INVALID, "unknown dimensions");
      return FALSE;
    }
  }
  nsp = x->rank - 2;
  *group = ovi_node_attr_int (ctx->node, "group", 1);
  if (*group < 1 || *group > CONV_ATTR_LIMIT) {
    ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "invalid group %" G_GINT64_FORMAT, *group);
    return FALSE;
  }
  n_ks = ovi_node_attr_ints (ctx->node, "kernel_shape", &ks);
  if (n_ks >= 0) {
    if (n_ks != nsp) {
      ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "kernel_shape has %d values, expected %d", n_ks, nsp);
      return FALSE;
    }
    for (int i = 0; i < nsp; i++) {
      if (ks[i] != w->dims[i + 2]) {
        ovi_op_error (ctx, error, OVI_ERROR_INVALID,
            "kernel_shape[%d] = %" G_GINT64_FORMAT " does not match W's %"
            G_GINT64_FORMAT, i, ks[i], w->dims[i + 2]);
        return FALSE;
      }
    }
  }
  for (int i = 0; i < nsp; i++) {
    kernel[i] = w->dims[i + 2];
    if (kernel[i] < 1) {
      ovi_op_error (ctx, error, OVI_ERROR_INVALID, "W has an empty kernel");
      return FALSE;
    }
  }
  if (!read_spatial_attr (ctx, "strides", nsp, 1, 1, stride, error)
      || !read_spatial_attr (ctx, "dilations", nsp, 1, 1, dil, error))
    return FALSE;
  return TRUE;
}

static gboolean
check_bias (OviOpCtx *ctx, int64_t channels, GError **error)
{
  OviTensor *b = ovi_op_input (ctx, 2);
  if (b == NULL)
    return TRUE;
  if (b->dtype != ctx->inputs[0]->dtype || b->rank != 1
      || b->dims[0] != channels) {
    char *s = ovi_shape_to_string (b->rank, b->dims);
    ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "B has shape %s (%s), expected [%" G_GINT64_FORMAT "]", s,
        ovi_dtype_name (b->dtype), channels);
    g_free (s);
    return FALSE;
  }
  return TRUE;
}

static OviInferResult
infer_conv (OviOpCtx *ctx, GError **error)
{
  int64_t group, kernel[OVI_MAX_RANK], stride[OVI_MAX_RANK];
  int64_t dil[OVI_MAX_RANK], pads[2 * OVI_MAX_RANK], dims[OVI_MAX_RANK];
  OviTensor *x, *w;
  AutoPad ap;
  int nsp;
  gboolean sum;

  /* Fused post-ops (inference/passes/fuse-postops.c): with ovi.sum,
   * input 3 is a residual added to the output. */
  sum = ovi_node_attr_int (ctx->node, OVI_ATTR_SUM, 0) != 0;
  if (!conv_common (ctx, sum ? 4 : 3, &group, kernel, stride, dil, error))
    return OVI_INFER_ERROR;
  x = ctx->inputs[0];
  w = ctx->inputs[1];
  nsp = x->rank - 2;
  if ((sum || ovi_node_attr (ctx->node, OVI_ATTR_ACTIVATION))
      && x->dtype != OVI_DTYPE_FLOAT32)
    return ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
        "fused post-ops need float32, not %s", ovi_dtype_name (x->dtype));
  if (x->dims[1] != w->dims[1] * group)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "X has %" G_GINT64_FORMAT " channels, W expects %" G_GINT64_FORMAT
        " x group %" G_GINT64_FORMAT, x->dims[1], w->dims[1], group);
  if (w->dims[0] % group != 0)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "W has %" G_GINT64_FORMAT " output channels, not a multiple of "
        "group %" G_GINT64_FORMAT, w->dims[0], group);
  if (!check_bias (ctx, w->dims[0], error))
    return OVI_INFER_ERROR;
  if (!read_auto_pad (ctx, &ap, error)
      || !read_spatial_attr (ctx, "pads", 2 * nsp, 0, -CONV_ATTR_LIMIT,
          pads, error))
    return OVI_INFER_ERROR;

  dims[0] = x->dims[0];
  dims[1] = w->dims[0];
  for (int i = 0; i < nsp; i++) {
    int64_t in = x->dims[i + 2];
    int64_t ek = (kernel[i] - 1) * dil[i] + 1;
    int64_t out;
    switch (ap) {
      case PAD_SAME_UPPER:
      case PAD_SAME_LOWER:
        out = (in + stride[i] - 1) / stride[i];
        break;
      case PAD_VALID:
        out = in >= ek ? (in - ek) / stride[i] + 1 : 0;
        break;
      default: {
        int64_t padded = in + pads[i] + pads[i + nsp];
        out = padded >= ek ? (padded - ek) / stride[i] + 1 : 0;
        break;
      }
    }
    if (out < 1 && in > 0)
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "kernel extent %" G_GINT64_FORMAT " exceeds the padded input "
          "along spatial axis %d", ek, i);
    dims[i + 2] = MAX (out, 0);
  }
  if (sum) {
    OviTensor *r = ovi_op_input (ctx, 3);
    if (r == NULL || r->dtype != x->dtype
        || !ovi_shape_equal (r->rank, r->dims, x->rank, dims)) {
      char *got = r ? ovi_shape_to_string (r->rank, r->dims) : NULL;
      char *want = ovi_shape_to_string (x->rank, dims);
      ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "the residual (input 3) is %s, expected a %s tensor of the "
          "output's shape %s", got ? got : "missing",
          ovi_dtype_name (x->dtype), want);
      g_free (got);
      g_free (want);
      return OVI_INFER_ERROR;
    }
  }
  ovi_op_set_output (ctx, 0, x->dtype, x->rank, dims);
  return OVI_INFER_OK;
}

static OviInferResult
infer_conv_transpose (OviOpCtx *ctx, GError **error)
{
  int64_t group, kernel[OVI_MAX_RANK], stride[OVI_MAX_RANK];
  int64_t dil[OVI_MAX_RANK], pads[2 * OVI_MAX_RANK], opad[OVI_MAX_RANK];
  int64_t dims[OVI_MAX_RANK];
  const int64_t *os;
  int n_os;
  OviTensor *x, *w;
  AutoPad ap;
  int nsp;

  if (!conv_common (ctx, 3, &group, kernel, stride, dil, error))
    return OVI_INFER_ERROR;
  x = ctx->inputs[0];
  w = ctx->inputs[1];
  nsp = x->rank - 2;
  if (x->dims[1] != w->dims[0])
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "X has %" G_GINT64_FORMAT " channels, W has %" G_GINT64_FORMAT,
        x->dims[1], w->dims[0]);
  if (w->dims[0] % group != 0)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "W has %" G_GINT64_FORMAT " input channels, not a multiple of "
        "group %" G_GINT64_FORMAT, w->dims[0], group);
  if (!check_bias (ctx, w->dims[1] * group, error))
    return OVI_INFER_ERROR;
  if (!read_auto_pad (ctx, &ap, error)
      || !read_spatial_attr (ctx, "pads", 2 * nsp, 0, -CONV_ATTR_LIMIT,
          pads, error)
      || !read_spatial_attr (ctx, "output_padding", nsp, 0, 0, opad, error))
    return OVI_INFER_ERROR;

  n_os = ovi_node_attr_ints (ctx->node, "output_shape", &os);
  /* Some exporters give the full N, C, spatial... shape. */
  if (n_os == nsp + 2)
    os += 2;
  else if (n_os >= 0 && n_os != nsp)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "output_shape has %d values, expected %d", n_os, nsp);

  dims[0] = x->dims[0];
  dims[1] = w->dims[1] * group;
  for (int i = 0; i < nsp; i++) {
    int64_t in = x->dims[i + 2];
    int64_t ek = (kernel[i] - 1) * dil[i] + 1;
    int64_t out;
    if (n_os >= 0) {
      out = os[i];
      if (out < 0 || out > CONV_ATTR_LIMIT)
        return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
            "invalid output_shape value %" G_GINT64_FORMAT, out);
    } else if (ap == PAD_SAME_UPPER || ap == PAD_SAME_LOWER) {
      out = in * stride[i];
    } else if (ap == PAD_VALID) {
      out = stride[i] * (in - 1) + opad[i] + ek;
    } else {
      out = stride[i] * (in - 1) + opad[i] + ek - pads[i] - pads[i + nsp];
    }
    if (in == 0)
      out = 0;
    if (out < 0)
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "negative output size along spatial axis %d", i);
    dims[i + 2] = out;
  }
  ovi_op_set_output (ctx, 0, x->dtype, x->rank, dims);
  return OVI_INFER_OK;
}

static OviInferResult
infer_gemm (OviOpCtx *ctx, GError **error)
{
  OviTensor *a, *b, *c;
  int64_t m, k, kb, n, dims[2];
  gboolean ta, tb;

  if (!ovi_op_check_inputs (ctx, 2, 3, error))
    return OVI_INFER_ERROR;
  a = ctx->inputs[0];
  b = ctx->inputs[1];
  c = ovi_op_input (ctx, 2);
  if (!matmul_dtype_ok (a->dtype))
    return ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
        "input type %s is not supported", ovi_dtype_name (a->dtype));
  if (b->dtype != a->dtype || (c && c->dtype != a->dtype))
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "input types differ");
  if (a->rank != 2 || b->rank != 2)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "A and B must be 2-D (ranks %d and %d)", a->rank, b->rank);
  ta = ovi_node_attr_int (ctx->node, "transA", 0) != 0;
  tb = ovi_node_attr_int (ctx->node, "transB", 0) != 0;
  m = ta ? a->dims[1] : a->dims[0];
  k = ta ? a->dims[0] : a->dims[1];
  kb = tb ? b->dims[1] : b->dims[0];
  n = tb ? b->dims[0] : b->dims[1];
  if (k != kb)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "inner dimensions differ (%" G_GINT64_FORMAT " and %" G_GINT64_FORMAT
        ")", k, kb);
  dims[0] = m;
  dims[1] = n;
  if (c) {
    if (c->rank > 2
        || (c->rank == 2 && ((c->dims[0] != 1 && c->dims[0] != m)
                || (c->dims[1] != 1 && c->dims[1] != n)))
        || (c->rank == 1 && c->dims[0] != 1 && c->dims[0] != n)) {
      char *s = ovi_shape_to_string (c->rank, c->dims);
      ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "C of shape %s does not broadcast to [%" G_GINT64_FORMAT ",%"
          G_GINT64_FORMAT "]", s, m, n);
      g_free (s);
      return OVI_INFER_ERROR;
    }
  }
  ovi_op_set_output (ctx, 0, a->dtype, 2, dims);
  return OVI_INFER_OK;
}

static OviInferResult
infer_matmul (OviOpCtx *ctx, GError **error)
{
  OviTensor *a, *b;
  int64_t ad[OVI_MAX_RANK + 1], bd[OVI_MAX_RANK + 1], dims[OVI_MAX_RANK + 1];
  int ar, br, rank, batch_rank;

  if (!ovi_op_check_inputs (ctx, 2, 2, error))
    return OVI_INFER_ERROR;
  a = ctx->inputs[0];
  b = ctx->inputs[1];
  if (!matmul_dtype_ok (a->dtype))
    return ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
        "input type %s is not supported", ovi_dtype_name (a->dtype));
  if (b->dtype != a->dtype)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "input types differ (%s, %s)", ovi_dtype_name (a->dtype),
        ovi_dtype_name (b->dtype));
  if (a->rank < 1 || b->rank < 1)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "inputs must have rank 1 or more");
  /* Promote 1-D operands to matrices. */
  ar = a->rank;
  br = b->rank;
  if (ar == 1) {
    ad[0] = 1;
    ad[1] = a->dims[0];
    ar = 2;
  } else {
    memcpy (ad, a->dims, sizeof (int64_t) * ar);
  }
  if (br == 1) {
    bd[0] = b->dims[0];
    bd[1] = 1;
    br = 2;
  } else {
    memcpy (bd, b->dims, sizeof (int64_t) * br);
  }
  if (ad[ar - 1] != bd[br - 2])
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "inner dimensions differ (%" G_GINT64_FORMAT " and %" G_GINT64_FORMAT
        ")", ad[ar - 1], bd[br - 2]);
  if (!ovi_broadcast_shapes (ar - 2, ad, br - 2, bd, &batch_rank, dims)) {
    char *sa = ovi_shape_to_string (a->rank, a->dims);
    char *sb = ovi_shape_to_string (b->rank, b->dims);
    ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "batch dimensions of %s and %s do not broadcast", sa, sb);
    g_free (sa);
    g_free (sb);
    return OVI_INFER_ERROR;
  }
  rank = batch_rank;
  if (a->rank > 1)
    dims[rank++] = ad[ar - 2];
  if (b->rank > 1)
    dims[rank++] = bd[br - 1];
  if (rank > OVI_MAX_RANK)
    return ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
        "result rank %d is too large", rank);
  ovi_op_set_output (ctx, 0, a->dtype, rank, dims);
  return OVI_INFER_OK;
}

/* Einsum: parses the equation far enough to shape the output; the kernel
 * parses it again to compute. Labels are letters; "..." stands for the
 * broadcast dimensions not named. */
static int
einsum_label (char c)
{
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  return -1;
}

static OviInferResult
infer_einsum (OviOpCtx *ctx, GError **error)
{
  const char *eq = ovi_node_attr_string (ctx->node, "equation", NULL);
  char *s, *arrow, *p;
  int64_t label_size[52];
  int label_count[52];
  int64_t ell_dims[OVI_MAX_RANK], dims[OVI_MAX_RANK];
  int ell_rank = 0, rank = 0, term = 0;
  OviInferResult r = OVI_INFER_ERROR;

  if (!ovi_op_check_inputs (ctx, 1, -1, error))
    return OVI_INFER_ERROR;
  if (eq == NULL)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "missing equation attribute");
  for (int i = 0; i < ctx->n_inputs; i++) {
    if (ctx->inputs[i] == NULL)
      return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "input %d is missing", i);
    if (!matmul_dtype_ok (ctx->inputs[i]->dtype)
        || ctx->inputs[i]->dtype != ctx->inputs[0]->dtype)
      return ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
          "input type %s is not supported",
          ovi_dtype_name (ctx->inputs[i]->dtype));
  }
  /* Strip blanks. */
  s = g_malloc (strlen (eq) + 1);
  p = s;
  for (const char *q = eq; *q; q++)
    if (*q != ' ' && *q != '\t')
      *p++ = *q;
  *p = '\0';
  for (int i = 0; i < 52; i++) {
    label_size[i] = -1;
    label_count[i] = 0;
  }
  for (int i = 0; i < OVI_MAX_RANK; i++)
    ell_dims[i] = 1;

  arrow = strstr (s, "->");
  if (arrow)
    *arrow = '\0';
  p = s;
  for (;;) {
    char *end = strchr (p, ',');
    const OviTensor *t;
    int n_letters = 0, n_ell = 0, d = 0, ne;
    if (end)
      *end = '\0';
    if (term >= ctx->n_inputs) {
      ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "equation '%s' has more terms than the %d inputs", eq,
          ctx->n_inputs);
      goto out;
    }
    t = ctx->inputs[term];
    for (char *c = p; *c; c++) {
      if (einsum_label (*c) >= 0) {
        n_letters++;
      } else if (strncmp (c, "...", 3) == 0) {
        n_ell++;
        c += 2;
      } else {
        ovi_op_error (ctx, error, OVI_ERROR_INVALID,
            "bad character '%c' in equation '%s'", *c, eq);
        goto out;
      }
    }
    ne = t->rank - n_letters;
    if (n_ell > 1 || ne < 0 || (n_ell == 0 && ne != 0)) {
      ovi_op_error (ctx, error, OVI_ERROR_INVALID,
          "term '%s' does not match input %d of rank %d", p, term, t->rank);
      goto out;
    }
    for (char *c = p; *c; c++) {
      int l = einsum_label (*c);
      if (l < 0) {
        /* Ellipsis: right-aligned broadcast across terms. */
        ell_rank = MAX (ell_rank, ne);
        for (int e = 0; e < ne; e++) {
          int64_t sz = t->dims[d + e];
          int slot = OVI_MAX_RANK - ne + e;
          if (ell_dims[slot] == 1)
            ell_dims[slot] = sz;
          else if (sz != 1 && sz != ell_dims[slot]) {
            ovi_op_error (ctx, error, OVI_ERROR_INVALID,
                "ellipsis dimensions do not broadcast in '%s'", eq);
            goto out;
          }
        }
        d += ne;
        c += 2;
        continue;
      }
      if (label_size[l] >= 0 && label_size[l] != t->dims[d]) {
        ovi_op_error (ctx, error, OVI_ERROR_INVALID,
            "label '%c' has sizes %" G_GINT64_FORMAT " and %" G_GINT64_FORMAT,
            *c, label_size[l], t->dims[d]);
        goto out;
      }
      label_size[l] = t->dims[d];
      label_count[l]++;
      d++;
    }
    term++;
    if (!end)
      break;
    p = end + 1;
  }
  if (term != ctx->n_inputs) {
    ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "equation '%s' has %d terms for %d inputs", eq, term, ctx->n_inputs);
    goto out;
  }

  if (arrow) {
    gboolean seen[52] = { FALSE };
    gboolean had_ell = FALSE;
    for (char *c = arrow + 2; *c; c++) {
      int l = einsum_label (*c);
      if (l < 0 && strncmp (c, "...", 3) == 0 && !had_ell) {
        if (rank + ell_rank > OVI_MAX_RANK) {
          ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
              "output rank too large");
          goto out;
        }
        for (int e = 0; e < ell_rank; e++)
          dims[rank++] = ell_dims[OVI_MAX_RANK - ell_rank + e];
        had_ell = TRUE;
        c += 2;
        continue;
      }
      if (l < 0 || seen[l] || label_size[l] < 0 || rank >= OVI_MAX_RANK) {
        ovi_op_error (ctx, error, OVI_ERROR_INVALID,
            "bad output term in equation '%s'", eq);
        goto out;
      }
      seen[l] = TRUE;
      dims[rank++] = label_size[l];
    }
  } else {
    for (int e = 0; e < ell_rank; e++)
      dims[rank++] = ell_dims[OVI_MAX_RANK - ell_rank + e];
    for (int l = 0; l < 52; l++) {
      if (label_count[l] == 1) {
        if (rank >= OVI_MAX_RANK) {
          ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
              "output rank too large");
          goto out;
        }
        dims[rank++] = label_size[l];
      }
    }
  }
  ovi_op_set_output (ctx, 0, ctx->inputs[0]->dtype, rank, dims);
  r = OVI_INFER_OK;
out:
  g_free (s);
  return r;
}

/* The CPU's layout reorders (passes/block-layout.c), plain [N, C, H, W]
 * to channel-blocked and back: same type and shape, float32 with C a
 * multiple of 8. */
static OviInferResult
infer_layout_reorder (OviOpCtx *ctx, GError **error)
{
  OviTensor *x;
  if (!ovi_op_check_inputs (ctx, 1, 1, error))
    return OVI_INFER_ERROR;
  x = ctx->inputs[0];
  if (x->dtype != OVI_DTYPE_FLOAT32 || x->rank != 4 || x->dims[1] % 8 != 0)
    return ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
        "reorders float32 [N, C, H, W] with C a multiple of 8 only");
  ovi_op_set_output (ctx, 0, x->dtype, x->rank, x->dims);
  return OVI_INFER_OK;
}

/* The CPU's fused 1x1 and depthwise convolutions
 * (passes/fuse-pointwise-depthwise.c): X, the 1x1's W [M, C, 1, 1] and B
 * [M] (may be omitted), the depthwise's W and B; the node's attributes
 * are the depthwise's. Shaped as the depthwise Conv of the 1x1's
 * [N, M, H, W] output. */
void
ovi_op_pointwise_depthwise_half (OviOpCtx *ctx, OviTensor *mid,
    OviTensor **inputs, OviOpCtx *dw)
{
  const OviTensor *x = ctx->inputs[0];

  memset (mid, 0, sizeof (*mid));
  mid->dtype = OVI_DTYPE_FLOAT32;
  mid->rank = 4;
  mid->dims[0] = x->dims[0];
  mid->dims[1] = ctx->inputs[1]->dims[0];
  mid->dims[2] = x->dims[2];
  mid->dims[3] = x->dims[3];
  inputs[0] = mid;
  inputs[1] = ctx->inputs[3];
  inputs[2] = ovi_op_input (ctx, 4);
  *dw = *ctx;
  dw->inputs = inputs;
  dw->n_inputs = inputs[2] ? 3 : 2;
}

static OviInferResult
infer_pointwise_depthwise (OviOpCtx *ctx, GError **error)
{
  OviTensor *x, *pw, *pb, mid, *dw_inputs[3];
  OviOpCtx dw;

  if (ctx->n_inputs < 4 || ctx->n_inputs > 5 || ctx->inputs[0] == NULL
      || ctx->inputs[1] == NULL || ctx->inputs[3] == NULL)
    return ovi_op_error (ctx, error, OVI_ERROR_INVALID,
        "expects X, the 1x1's W and B, the depthwise's W and B");
  x = ctx->inputs[0];
  pw = ctx->inputs[1];
  pb = ctx->inputs[2];
  if (x->dtype != OVI_DTYPE_FLOAT32 || x->rank != 4 || x->dims[1] < 1
      || pw->dtype != OVI_DTYPE_FLOAT32 || pw->rank != 4
      || pw->dims[1] != x->dims[1] || pw->dims[2] != 1 || pw->dims[3] != 1
      || pw->dims[0] < 1 || (pb && (pb->dtype != OVI_DTYPE_FLOAT32
              || pb->rank != 1 || pb->dims[0] != pw->dims[0])))
    return ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
        "runs float32 X [N, C, H, W] through a 1x1 W [M, C, 1, 1] with B "
        "[M] only");
  if (ovi_node_attr_int (ctx->node, OVI_ATTR_SUM, 0) != 0)
    return ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED,
        "takes no residual");
  ovi_op_pointwise_depthwise_half (ctx, &mid, dw_inputs, &dw);
  return infer_conv (&dw, error);
}

const OviOpDef ovi_ops_conv[] = {
  { "Conv", infer_conv },
  { "ConvTranspose", infer_conv_transpose },
  { "Gemm", infer_gemm },
  { "MatMul", infer_matmul },
  { "Einsum", infer_einsum },
  { OVI_OP_TO_BLOCKED, infer_layout_reorder },
  { OVI_OP_TO_PLAIN, infer_layout_reorder },
  { OVI_OP_POINTWISE_DEPTHWISE, infer_pointwise_depthwise },
  { NULL }
};
