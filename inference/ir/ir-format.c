/* How OpenVINO IR spells things, for the reader and the writer alike:
 * element types, numbers, dimensions and shapes in attribute text, the
 * tensor name lists on ports, and where the weights file lies. */
#include <errno.h>
#include <string.h>

#include "ir-private.h"

static const struct {
  const char *element_type;
  const char *precision;
  OviDType dtype;
} type_names[] = {
  { "f32", "FP32", OVI_DTYPE_FLOAT32 },
  { "f16", "FP16", OVI_DTYPE_FLOAT16 },
  { "bf16", "BF16", OVI_DTYPE_BFLOAT16 },
  { "f64", "FP64", OVI_DTYPE_FLOAT64 },
  { "i8", "I8", OVI_DTYPE_INT8 },
  { "i16", "I16", OVI_DTYPE_INT16 },
  { "i32", "I32", OVI_DTYPE_INT32 },
  { "i64", "I64", OVI_DTYPE_INT64 },
  { "u8", "U8", OVI_DTYPE_UINT8 },
  { "u16", "U16", OVI_DTYPE_UINT16 },
  { "u32", "U32", OVI_DTYPE_UINT32 },
  { "u64", "U64", OVI_DTYPE_UINT64 },
  { "boolean", "BOOL", OVI_DTYPE_BOOL },
};

/* Accepts either spelling (element_type "f32" or precision "FP32"). */
OviDType
ovi_ir_parse_type (const char *s)
{
  if (s == NULL)
    return OVI_DTYPE_UNDEFINED;
  for (guint i = 0; i < G_N_ELEMENTS (type_names); i++)
    if (g_ascii_strcasecmp (s, type_names[i].element_type) == 0
        || g_ascii_strcasecmp (s, type_names[i].precision) == 0)
      return type_names[i].dtype;
  if (g_ascii_strcasecmp (s, "bool") == 0)
    return OVI_DTYPE_BOOL;
  return OVI_DTYPE_UNDEFINED;
}

const char *
ovi_ir_element_type (OviDType t)
{
  for (guint i = 0; i < G_N_ELEMENTS (type_names); i++)
    if (type_names[i].dtype == t)
      return type_names[i].element_type;
  return NULL;
}

const char *
ovi_ir_precision (OviDType t)
{
  for (guint i = 0; i < G_N_ELEMENTS (type_names); i++)
    if (type_names[i].dtype == t)
      return type_names[i].precision;
  return "UNSPECIFIED";
}

/* A strict decimal integer, optional sign, surrounding blanks allowed. */
gboolean
ovi_ir_parse_int (const char *s, int64_t *out)
{
  char *end;
  gint64 v;
  if (s == NULL)
    return FALSE;
  while (g_ascii_isspace (*s))
    s++;
  if (*s == '\0')
    return FALSE;
  errno = 0;
  v = g_ascii_strtoll (s, &end, 10);
  if (errno != 0 || end == s)
    return FALSE;
  while (g_ascii_isspace (*end))
    end++;
  if (*end != '\0')
    return FALSE;
  *out = v;
  return TRUE;
}

gboolean
ovi_ir_parse_double (const char *s, double *out)
{
  char *end;
  while (g_ascii_isspace (*s))
    s++;
  if (*s == '\0')
    return FALSE;
  *out = g_ascii_strtod (s, &end);
  if (end == s)
    return FALSE;
  while (g_ascii_isspace (*end))
    end++;
  return *end == '\0';
}

/* One dimension: a size, or -1, "?" or a range for a dynamic one. */
gboolean
ovi_ir_parse_dim (const char *s, int64_t *out)
{
  while (g_ascii_isspace (*s))
    s++;
  if (strcmp (s, "?") == 0 || strstr (s, "..") != NULL) {
    *out = -1;
    return TRUE;
  }
  if (!ovi_ir_parse_int (s, out) || *out < -1)
    return FALSE;
  return TRUE;
}

/* A shape attribute: "1,3,224,224", "" for a scalar, "?"/-1/ranges for
 * dynamic dimensions. */
gboolean
ovi_ir_parse_shape (const char *s, int *rank, int64_t *dims)
{
  char **parts;
  gboolean ok = TRUE;
  *rank = 0;
  while (g_ascii_isspace (*s))
    s++;
  if (*s == '[')
    s++;
  parts = g_strsplit (s, ",", OVI_MAX_RANK + 2);
  for (int i = 0; parts[i]; i++) {
    char *t = g_strstrip (parts[i]);
    size_t len = strlen (t);
    if (len && t[len - 1] == ']')
      t[--len] = '\0';
    if (len == 0 && parts[1] == NULL)
      break;
    if (*rank >= OVI_MAX_RANK || !ovi_ir_parse_dim (t, &dims[*rank])) {
      ok = FALSE;
      break;
    }
    (*rank)++;
  }
  g_strfreev (parts);
  return ok;
}

/* The first name in a port's comma separated list ("\," escapes). */
char *
ovi_ir_first_port_name (const char *names)
{
  GString *s;
  if (names == NULL)
    return NULL;
  s = g_string_new (NULL);
  for (const char *p = names; *p; p++) {
    if (*p == '\\' && p[1] == ',') {
      g_string_append_c (s, ',');
      p++;
      continue;
    }
    if (*p == ',')
      break;
    g_string_append_c (s, *p);
  }
  g_strstrip (s->str);
  s->len = strlen (s->str);
  if (s->len == 0) {
    g_string_free (s, TRUE);
    return NULL;
  }
  return g_string_free (s, FALSE);
}

/* Port names are a comma separated list: commas inside escaped. */
void
ovi_ir_append_port_names (GString *s, const char *name)
{
  GString *t = g_string_new (NULL);
  char *e;
  for (const char *p = name; *p; p++) {
    if (*p == ',')
      g_string_append_c (t, '\\');
    g_string_append_c (t, *p);
  }
  e = g_markup_escape_text (t->str, -1);
  g_string_append_printf (s, " names=\"%s\"", e);
  g_free (e);
  g_string_free (t, TRUE);
}

char *
ovi_ir_bin_path (const char *xml_path)
{
  if (g_str_has_suffix (xml_path, ".xml"))
    return g_strdup_printf ("%.*s.bin", (int) strlen (xml_path) - 4,
        xml_path);
  return g_strconcat (xml_path, ".bin", NULL);
}
