#include <string.h>

#include "npy.h"

static const struct {
  const char *descr;
  OviDType dtype;
} descrs[] = {
  { "<f4", OVI_DTYPE_FLOAT32 }, { "<f8", OVI_DTYPE_FLOAT64 },
  { "<f2", OVI_DTYPE_FLOAT16 }, { "|u1", OVI_DTYPE_UINT8 },
  { "|i1", OVI_DTYPE_INT8 }, { "<u2", OVI_DTYPE_UINT16 },
  { "<i2", OVI_DTYPE_INT16 }, { "<i4", OVI_DTYPE_INT32 },
  { "<u4", OVI_DTYPE_UINT32 }, { "<i8", OVI_DTYPE_INT64 },
  { "<u8", OVI_DTYPE_UINT64 }, { "|b1", OVI_DTYPE_BOOL },
};

static gboolean
fail (GError **error, const char *path, const char *what)
{
  g_set_error (error, OVI_ERROR, OVI_ERROR_PARSE, "%s: %s", path, what);
  return FALSE;
}

gboolean
ovi_npy_read (const char *path, OviTensorView *out, GError **error)
{
  char *contents = NULL;
  gsize len = 0, header_len, offset;
  const char *h, *p;
  char *header = NULL;
  gboolean ok = FALSE;
  guint8 major;

  memset (out, 0, sizeof (*out));
  if (!g_file_get_contents (path, &contents, &len, error))
    return FALSE;
  if (len < 10 || memcmp (contents, "\x93NUMPY", 6) != 0) {
    fail (error, path, "not a .npy file");
    goto out;
  }
  major = contents[6];
  if (major == 1) {
    header_len = (guint8) contents[8] | ((guint8) contents[9] << 8);
    offset = 10;
  } else {
    if (len < 12) {
      fail (error, path, "truncated header");
      goto out;
    }
    header_len = (guint8) contents[8] | ((guint8) contents[9] << 8)
        | ((gsize) (guint8) contents[10] << 16)
        | ((gsize) (guint8) contents[11] << 24);
    offset = 12;
  }
  if (header_len > len - offset) {
    fail (error, path, "truncated header");
    goto out;
  }
  header = g_strndup (contents + offset, header_len);
  offset += header_len;
  h = header;

  p = strstr (h, "'descr'");
  if (p == NULL || (p = strchr (p + 7, '\'')) == NULL) {
    fail (error, path, "no descr");
    goto out;
  }
  p++;
  for (guint i = 0; i < G_N_ELEMENTS (descrs); i++)
    if (strncmp (p, descrs[i].descr, 3) == 0 && p[3] == '\'')
      out->dtype = descrs[i].dtype;
  if (out->dtype == OVI_DTYPE_UNDEFINED) {
    fail (error, path, "unsupported element type");
    goto out;
  }
  p = strstr (h, "'fortran_order'");
  if (p && strstr (p, "True") && strstr (p, "True") < strchr (p, ',')) {
    fail (error, path, "Fortran order is not supported");
    goto out;
  }
  p = strstr (h, "'shape'");
  if (p == NULL || (p = strchr (p, '(')) == NULL) {
    fail (error, path, "no shape");
    goto out;
  }
  p++;
  while (*p && *p != ')') {
    char *end;
    gint64 d;
    while (*p == ' ' || *p == ',')
      p++;
    if (*p == ')')
      break;
    d = g_ascii_strtoll (p, &end, 10);
    if (end == p || d < 0 || out->rank >= OVI_MAX_RANK) {
      fail (error, path, "bad shape");
      goto out;
    }
    out->dims[out->rank++] = d;
    p = end;
  }
  {
    int64_t n = 1;
    for (int i = 0; i < out->rank; i++)
      n *= out->dims[i];
    if ((gsize) n * ovi_dtype_size (out->dtype) != len - offset) {
      fail (error, path, "data size does not match the shape");
      goto out;
    }
    out->data = g_memdup2 (contents + offset, MAX (len - offset, 1));
  }
  ok = TRUE;
out:
  g_free (header);
  g_free (contents);
  return ok;
}

gboolean
ovi_npy_write (const char *path, const OviTensorView *t, GError **error)
{
  const char *descr = NULL;
  GString *h = g_string_new (NULL);
  GString *file = g_string_new_len ("\x93NUMPY\x01\x00", 8);
  int64_t n = 1;
  gboolean ok;

  for (guint i = 0; i < G_N_ELEMENTS (descrs); i++)
    if (descrs[i].dtype == t->dtype)
      descr = descrs[i].descr;
  if (descr == NULL) {
    g_set_error (error, OVI_ERROR, OVI_ERROR_UNSUPPORTED,
        "%s: cannot store %s in .npy", path, ovi_dtype_name (t->dtype));
    g_string_free (h, TRUE);
    g_string_free (file, TRUE);
    return FALSE;
  }
  g_string_append_printf (h, "{'descr': '%s', 'fortran_order': False, "
      "'shape': (", descr);
  for (int i = 0; i < t->rank; i++) {
    g_string_append_printf (h, "%" G_GINT64_FORMAT "%s", t->dims[i],
        t->rank == 1 || i + 1 < t->rank ? ", " : "");
    n *= t->dims[i];
  }
  g_string_append (h, "), }");
  /* Pad so that data starts on a 64-byte boundary, ending in newline. */
  while ((10 + h->len + 1) % 64)
    g_string_append_c (h, ' ');
  g_string_append_c (h, '\n');
  g_string_append_c (file, h->len & 0xff);
  g_string_append_c (file, (h->len >> 8) & 0xff);
  g_string_append_len (file, h->str, h->len);
  g_string_append_len (file, t->data, n * ovi_dtype_size (t->dtype));
  ok = g_file_set_contents (path, file->str, file->len, error);
  g_string_free (h, TRUE);
  g_string_free (file, TRUE);
  return ok;
}
