/* CPU kernels for string tensors: StringNormalizer, and the string and
 * sequence variants of Identity, Cast, CastLike and Constant. Outputs are
 * tensors that own their strings (ovi_tensor_ensure made them); every
 * string written is a new copy. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cpu-ops.h"

static gboolean run_error (OviOpCtx *ctx, GError **error,
    const char *format, ...) G_GNUC_PRINTF (3, 4);

static gboolean
run_error (OviOpCtx *ctx, GError **error, const char *format, ...)
{
  va_list args;
  char *msg;
  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);
  ovi_op_error (ctx, error, OVI_ERROR_INVALID, "%s", msg);
  g_free (msg);
  return FALSE;
}

static gboolean
check_output (OviOpCtx *ctx, const OviTensor *y, OviDType dtype, int rank,
    const int64_t *dims, GError **error)
{
  if (y == NULL || y->dtype != dtype
      || !ovi_shape_equal (y->rank, y->dims, rank, dims))
    return run_error (ctx, error, "output does not match the input");
  if (ovi_tensor_numel (y) > 0 && y->data == NULL)
    return run_error (ctx, error, "output has no memory");
  return TRUE;
}

/* Deep copy: strings duplicated, sequences element by element. */
static gboolean
run_identity (OviOpCtx *ctx, GError **error)
{
  OviTensor *x = ctx->inputs[0], *y = ovi_op_output (ctx, 0);
  if (y == NULL)
    return TRUE;
  if (!check_output (ctx, y, x->dtype, x->rank, x->dims, error))
    return FALSE;
  if (x->dtype == OVI_DTYPE_SEQUENCE) {
    OviSequence *src = ovi_tensor_sequence (x), *dst = ovi_tensor_sequence (y);
    if (src == NULL || dst == NULL || src == dst)
      return run_error (ctx, error, "sequence without data");
    for (guint i = 0; i < src->items->len; i++) {
      OviTensor *c = ovi_tensor_copy (g_ptr_array_index (src->items, i));
      if (c == NULL)
        return run_error (ctx, error, "cannot copy element %u", i);
      g_ptr_array_add (dst->items, c);
    }
    dst->elem_dtype = src->elem_dtype;
    return TRUE;
  }
  if (x->data == NULL || x->data == y->data)
    return TRUE;
  if (!ovi_tensor_copy_elements (y, 0, x, 0, ovi_tensor_numel (x)))
    return run_error (ctx, error, "cannot copy %s elements",
        ovi_dtype_name (x->dtype));
  return TRUE;
}

/* Numbers to text as numpy's str() writes them (what the ONNX reference
 * does): the shortest digits that read back as the same value of the
 * type, positional from 1e-4 to 1e16 with at least one decimal, else
 * scientific with a two-digit exponent; nan, inf, -inf. */
static gboolean
reads_back (double parsed, double v, OviDType dtype)
{
  switch (dtype) {
    case OVI_DTYPE_FLOAT32:
      return (float) parsed == (float) v;
    case OVI_DTYPE_FLOAT16:
      return ovi_f32_to_f16 ((float) parsed) == ovi_f32_to_f16 ((float) v);
    case OVI_DTYPE_BFLOAT16:
      return ovi_f32_to_bf16 ((float) parsed) == ovi_f32_to_bf16 ((float) v);
    default:
      return parsed == v;
  }
}

static char *
format_float (double v, OviDType dtype)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE], fmt[16], digits[32];
  const char *p;
  int exp, nd = 0;
  gboolean neg = signbit (v) != 0;
  GString *s;

  if (isnan (v))
    return g_strdup ("nan");
  if (isinf (v))
    return g_strdup (v < 0 ? "-inf" : "inf");
  if (v == 0)
    return g_strdup (neg ? "-0.0" : "0.0");
  for (int prec = 1; prec <= 17; prec++) {
    g_snprintf (fmt, sizeof (fmt), "%%.%de", prec - 1);
    g_ascii_formatd (buf, sizeof (buf), fmt, v);
    if (reads_back (g_ascii_strtod (buf, NULL), v, dtype))
      break;
  }
  /* buf is [-]d[.ddd]e(+|-)xx */
  for (p = buf; *p && *p != 'e'; p++)
    if (g_ascii_isdigit (*p) && nd < (int) sizeof (digits) - 1)
      digits[nd++] = *p;
  exp = *p == 'e' ? atoi (p + 1) : 0;
  while (nd > 1 && digits[nd - 1] == '0')
    nd--;
  digits[nd] = '\0';

  s = g_string_new (neg ? "-" : "");
  if (fabs (v) >= 1e-4 && fabs (v) < 1e16) {
    if (exp >= 0) {
      for (int i = 0; i <= exp; i++)
        g_string_append_c (s, i < nd ? digits[i] : '0');
      g_string_append_c (s, '.');
      if (nd > exp + 1)
        g_string_append (s, digits + exp + 1);
      else
        g_string_append_c (s, '0');
    } else {
      g_string_append (s, "0.");
      for (int i = 0; i < -exp - 1; i++)
        g_string_append_c (s, '0');
      g_string_append (s, digits);
    }
  } else {
    g_string_append_c (s, digits[0]);
    if (nd > 1) {
      g_string_append_c (s, '.');
      g_string_append (s, digits + 1);
    }
    g_string_append_printf (s, "e%c%02d", exp < 0 ? '-' : '+', ABS (exp));
  }
  return g_string_free (s, FALSE);
}

static char *
format_element (const OviTensor *x, int64_t i)
{
  if (ovi_dtype_is_float (x->dtype))
    return format_float (ovi_load_f64 (x->dtype, x->data, i), x->dtype);
  if (x->dtype == OVI_DTYPE_BOOL)
    return g_strdup (((const guint8 *) x->data)[i] ? "True" : "False");
  if (x->dtype == OVI_DTYPE_UINT64)
    return g_strdup_printf ("%" G_GUINT64_FORMAT,
        ((const guint64 *) x->data)[i]);
  return g_strdup_printf ("%" G_GINT64_FORMAT,
      ovi_load_i64 (x->dtype, x->data, i));
}

/* Text to numbers: decimal or scientific notation, surrounding blanks
 * allowed; "NaN", "INF", "+INF", "-INF" in any case. Integer targets take
 * integers exactly and truncate other numbers ("100.5" -> 100). */
static gboolean
all_blank (const char *p)
{
  while (g_ascii_isspace (*p))
    p++;
  return *p == '\0';
}

static gboolean
parse_element (const char *s, OviDType dtype, void *base, int64_t i)
{
  char *end;
  double d;

  while (g_ascii_isspace (*s))
    s++;
  if (*s == '\0')
    return FALSE;
  if (dtype == OVI_DTYPE_BOOL) {
    if (g_ascii_strncasecmp (s, "true", 4) == 0 && all_blank (s + 4)) {
      ovi_store_i64 (dtype, base, i, 1);
      return TRUE;
    }
    if (g_ascii_strncasecmp (s, "false", 5) == 0 && all_blank (s + 5)) {
      ovi_store_i64 (dtype, base, i, 0);
      return TRUE;
    }
  } else if (!ovi_dtype_is_float (dtype)) {
    errno = 0;
    if (dtype == OVI_DTYPE_UINT64 && *s != '-') {
      guint64 u = g_ascii_strtoull (s, &end, 10);
      if (end != s && errno == 0 && all_blank (end)) {
        ((guint64 *) base)[i] = u;
        return TRUE;
      }
    } else {
      gint64 v = g_ascii_strtoll (s, &end, 10);
      if (end != s && errno == 0 && all_blank (end)) {
        ovi_store_i64 (dtype, base, i, v);
        return TRUE;
      }
    }
  }
  d = g_ascii_strtod (s, &end);
  if (end == s || !all_blank (end))
    return FALSE;
  if (dtype == OVI_DTYPE_BOOL)
    ovi_store_i64 (dtype, base, i, d != 0);
  else
    ovi_store_f64 (dtype, base, i, d);
  return TRUE;
}

static gboolean
run_cast (OviOpCtx *ctx, GError **error)
{
  OviTensor *x = ctx->inputs[0], *y = ctx->outputs[0];
  int64_t n = ovi_tensor_numel (x);

  if (!check_output (ctx, y, y ? y->dtype : OVI_DTYPE_UNDEFINED, x->rank,
          x->dims, error))
    return FALSE;
  if (n > 0 && x->data == NULL)
    return run_error (ctx, error, "input has no data");
  if (x->dtype == OVI_DTYPE_STRING && y->dtype == OVI_DTYPE_STRING) {
    if (!ovi_tensor_copy_elements (y, 0, x, 0, n))
      return run_error (ctx, error, "cannot copy strings");
  } else if (y->dtype == OVI_DTYPE_STRING) {
    if (!ovi_dtype_is_known (x->dtype))
      return run_error (ctx, error, "cannot cast %s to string",
          ovi_dtype_name (x->dtype));
    for (int64_t i = 0; i < n; i++)
      ovi_tensor_take_string (y, i, format_element (x, i));
  } else if (x->dtype == OVI_DTYPE_STRING && ovi_dtype_is_known (y->dtype)) {
    for (int64_t i = 0; i < n; i++) {
      const char *s = ovi_tensor_string (x, i);
      if (!parse_element (s, y->dtype, y->data, i))
        return run_error (ctx, error, "element %" G_GINT64_FORMAT " ('%.40s') "
            "is not a number", i, s);
    }
  } else {
    return run_error (ctx, error, "cannot cast %s to %s",
        ovi_dtype_name (x->dtype), ovi_dtype_name (y->dtype));
  }
  return TRUE;
}

static gboolean
run_constant (OviOpCtx *ctx, GError **error)
{
  OviTensor *y = ctx->outputs[0];
  const OviAttr *a;
  if (y == NULL || y->dtype != OVI_DTYPE_STRING)
    return run_error (ctx, error, "output is not a string tensor");
  if ((a = ovi_node_attr (ctx->node, "value")) && a->type == OVI_ATTR_TENSOR
      && a->t && a->t->dtype == OVI_DTYPE_STRING) {
    if (!ovi_shape_equal (y->rank, y->dims, a->t->rank, a->t->dims)
        || !ovi_tensor_copy_elements (y, 0, a->t, 0, ovi_tensor_numel (y)))
      return run_error (ctx, error, "output does not match the value");
  } else if ((a = ovi_node_attr (ctx->node, "value_string"))
      && a->type == OVI_ATTR_STRING) {
    if (ovi_tensor_numel (y) != 1)
      return run_error (ctx, error, "output does not match the value");
    ovi_tensor_take_string (y, 0, g_strdup (a->s ? a->s : ""));
  } else if ((a = ovi_node_attr (ctx->node, "value_strings"))
      && a->type == OVI_ATTR_STRINGS) {
    if (ovi_tensor_numel (y) != a->n)
      return run_error (ctx, error, "output does not match the value");
    for (int i = 0; i < a->n; i++)
      ovi_tensor_take_string (y, i, g_strdup (a->strings[i]));
  } else {
    return run_error (ctx, error, "has no string value attribute");
  }
  return TRUE;
}

static char *
change_case (const char *s, int action)
{
  gboolean utf8 = g_utf8_validate (s, -1, NULL);
  if (action > 0)
    return utf8 ? g_utf8_strup (s, -1) : g_ascii_strup (s, -1);
  if (action < 0)
    return utf8 ? g_utf8_strdown (s, -1) : g_ascii_strdown (s, -1);
  return g_strdup (s);
}

static gboolean
run_string_normalizer (OviOpCtx *ctx, GError **error)
{
  OviTensor *x = ctx->inputs[0], *y = ctx->outputs[0];
  const char *action = ovi_node_attr_string (ctx->node,
      "case_change_action", "NONE");
  int dir = strcmp (action, "UPPER") == 0 ? 1
      : strcmp (action, "LOWER") == 0 ? -1 : 0;
  int64_t n = ovi_tensor_numel (x), kept, out = 0;
  gboolean *keep;

  if (x->dtype != OVI_DTYPE_STRING || y == NULL
      || y->dtype != OVI_DTYPE_STRING || (n > 0 && x->data == NULL))
    return run_error (ctx, error, "input and output must be strings");
  keep = g_new (gboolean, MAX (n, 1));
  kept = ovi_string_normalizer_keep (ctx->node, x, keep);
  if (ovi_tensor_numel (y) != MAX (kept, 1)) {
    g_free (keep);
    return run_error (ctx, error, "output does not match the input");
  }
  for (int64_t i = 0; i < n; i++)
    if (keep[i])
      ovi_tensor_take_string (y, out++, change_case (ovi_tensor_string (x, i),
              dir));
  if (kept == 0)
    ovi_tensor_take_string (y, 0, g_strdup (""));
  g_free (keep);
  return TRUE;
}

const OviCpuKernel ovi_cpu_string[] = {
  { "Identity", run_identity },
  { "Cast", run_cast },
  { "CastLike", run_cast },
  { "Constant", run_constant },
  { "StringNormalizer", run_string_normalizer },
  { NULL }
};
