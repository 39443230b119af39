#include "gguf.h"

#include <string.h>

G_DEFINE_QUARK (ovi-gguf-error-quark, ovi_gguf_error)

#define GGUF_MAGIC "GGUF"
/* Nested arrays are legal but unused by any model key; the limit keeps a
 * hostile file from recursing deeply. */
#define MAX_ARRAY_NESTING 4

struct _OviGgufArray {
  OviGgufType type;
  guint64 length;
  const guint8 *data;       /* first element */
  const guint8 **strings;   /* STRING arrays: each element's length field */
};

typedef struct {
  char *key;
  OviGgufType type;
  const guint8 *value;      /* scalar value bytes in the file */
  char *string;             /* STRING: NUL-terminated copy */
  gsize string_length;
  OviGgufArray *array;      /* ARRAY */
} KeyValue;

struct _OviGguf {
  GBytes *bytes;
  GMappedFile *mapped;
  const guint8 *base;
  gsize size;
  guint32 version;
  guint32 alignment;
  KeyValue *kvs;
  gsize n_kvs;
  GHashTable *kv_index;     /* key -> KeyValue * */
  OviGgufTensor *tensors;
  gsize n_tensors;
  GHashTable *tensor_index; /* name -> OviGgufTensor * */
};

typedef struct {
  const guint8 *base;
  gsize size;
  gsize pos;
} Reader;

static gboolean
fail (GError **error, const char *what, gsize pos)
{
  g_set_error (error, OVI_GGUF_ERROR, OVI_GGUF_ERROR_FORMAT,
      "malformed GGUF: %s (at byte %" G_GSIZE_FORMAT ")", what, pos);
  return FALSE;
}

static gsize
remaining (const Reader *r)
{
  return r->size - r->pos;
}

static gboolean
take (Reader *r, guint64 n, const guint8 **out, const char *what,
    GError **error)
{
  if (n > remaining (r)) {
    g_set_error (error, OVI_GGUF_ERROR, OVI_GGUF_ERROR_FORMAT,
        "malformed GGUF: %s at byte %" G_GSIZE_FORMAT " extends past the "
        "end of the file (truncated?)", what, r->pos);
    return FALSE;
  }
  if (out)
    *out = r->base + r->pos;
  r->pos += n;
  return TRUE;
}

static guint32
load_u32 (const guint8 *p)
{
  guint32 v;
  memcpy (&v, p, 4);
  return GUINT32_FROM_LE (v);
}

static guint64
load_u64 (const guint8 *p)
{
  guint64 v;
  memcpy (&v, p, 8);
  return GUINT64_FROM_LE (v);
}

static gboolean
read_u32 (Reader *r, guint32 *v, const char *what, GError **error)
{
  const guint8 *p;
  if (!take (r, 4, &p, what, error))
    return FALSE;
  *v = load_u32 (p);
  return TRUE;
}

static gboolean
read_u64 (Reader *r, guint64 *v, const char *what, GError **error)
{
  const guint8 *p;
  if (!take (r, 8, &p, what, error))
    return FALSE;
  *v = load_u64 (p);
  return TRUE;
}

/* A string: u64 length then that many bytes (no terminator). */
static gboolean
read_string (Reader *r, const guint8 **s, guint64 *length, const char *what,
    GError **error)
{
  return read_u64 (r, length, what, error)
      && take (r, *length, s, what, error);
}

static gsize
scalar_size (OviGgufType type)
{
  switch (type) {
    case OVI_GGUF_UINT8:
    case OVI_GGUF_INT8:
    case OVI_GGUF_BOOL:
      return 1;
    case OVI_GGUF_UINT16:
    case OVI_GGUF_INT16:
      return 2;
    case OVI_GGUF_UINT32:
    case OVI_GGUF_INT32:
    case OVI_GGUF_FLOAT32:
      return 4;
    case OVI_GGUF_UINT64:
    case OVI_GGUF_INT64:
    case OVI_GGUF_FLOAT64:
      return 8;
    default:
      return 0;
  }
}

static gboolean
valid_value_type (guint32 type)
{
  return type <= OVI_GGUF_FLOAT64;
}

static gboolean skip_array (Reader *r, int depth, GError **error);

/* Reads an array's header and elements; `array` (when not NULL) is filled
 * for the top level, nested arrays are only walked over. */
static gboolean
read_array (Reader *r, OviGgufArray *array, int depth, GError **error)
{
  guint32 type;
  guint64 length, i;
  gsize start;

  if (depth > MAX_ARRAY_NESTING)
    return fail (error, "arrays nested too deeply", r->pos);
  if (!read_u32 (r, &type, "array element type", error)
      || !read_u64 (r, &length, "array length", error))
    return FALSE;
  if (!valid_value_type (type))
    return fail (error, "unknown array element type", r->pos - 12);
  start = r->pos;
  if (array) {
    array->type = type;
    array->length = length;
    array->data = r->base + start;
  }
  if (type == OVI_GGUF_STRING) {
    /* Every string takes at least its 8-byte length: bound the table by
     * the bytes left before allocating it. */
    if (length > remaining (r) / 8)
      return fail (error, "array longer than the file", start);
    if (array)
      array->strings = g_new (const guint8 *, length);
    for (i = 0; i < length; i++) {
      const guint8 *s;
      guint64 n;
      if (array)
        array->strings[i] = r->base + r->pos;
      if (!read_string (r, &s, &n, "array string", error))
        return FALSE;
    }
    return TRUE;
  }
  if (type == OVI_GGUF_ARRAY) {
    if (length > remaining (r) / 12)
      return fail (error, "array longer than the file", start);
    for (i = 0; i < length; i++)
      if (!skip_array (r, depth + 1, error))
        return FALSE;
    return TRUE;
  }
  if (length > remaining (r) / scalar_size (type))
    return fail (error, "array longer than the file", start);
  r->pos += length * scalar_size (type);
  return TRUE;
}

static gboolean
skip_array (Reader *r, int depth, GError **error)
{
  return read_array (r, NULL, depth, error);
}

static void
array_free (OviGgufArray *array)
{
  if (array) {
    g_free (array->strings);
    g_free (array);
  }
}

static gboolean
read_key_value (Reader *r, KeyValue *kv, GError **error)
{
  const guint8 *key, *value;
  guint64 key_length;
  guint32 type;
  gsize at = r->pos;

  if (!read_string (r, &key, &key_length, "metadata key", error))
    return FALSE;
  if (key_length == 0 || memchr (key, 0, key_length) != NULL)
    return fail (error, "empty metadata key or NUL inside a key", at);
  kv->key = g_strndup ((const char *) key, key_length);
  if (!read_u32 (r, &type, "metadata value type", error))
    return FALSE;
  if (!valid_value_type (type))
    return fail (error, "unknown metadata value type", r->pos - 4);
  kv->type = type;
  if (type == OVI_GGUF_STRING) {
    guint64 length;
    if (!read_string (r, &value, &length, "metadata string", error))
      return FALSE;
    kv->string = g_strndup ((const char *) value, length);
    kv->string_length = length;
    return TRUE;
  }
  if (type == OVI_GGUF_ARRAY) {
    kv->array = g_new0 (OviGgufArray, 1);
    return read_array (r, kv->array, 0, error);
  }
  if (!take (r, scalar_size (type), &value, "metadata value", error))
    return FALSE;
  if (type == OVI_GGUF_BOOL && value[0] > 1)
    return fail (error, "bool value neither 0 nor 1", r->pos - 1);
  kv->value = value;
  return TRUE;
}

static gboolean
read_tensor_info (Reader *r, OviGgufTensor *t, guint64 *offset,
    GError **error)
{
  const guint8 *name;
  guint64 name_length, row_bytes, rows = 1;
  guint32 n_dims, type;
  gsize at = r->pos;
  guint i;

  if (!read_string (r, &name, &name_length, "tensor name", error))
    return FALSE;
  if (name_length == 0 || memchr (name, 0, name_length) != NULL)
    return fail (error, "empty tensor name or NUL inside a name", at);
  t->name = g_strndup ((const char *) name, name_length);
  if (!read_u32 (r, &n_dims, "tensor rank", error))
    return FALSE;
  if (n_dims == 0 || n_dims > OVI_GGUF_MAX_DIMS)
    return fail (error, "tensor rank outside 1..4", r->pos - 4);
  t->n_dims = n_dims;
  t->n_elements = 1;
  for (i = 0; i < OVI_GGUF_MAX_DIMS; i++) {
    guint64 ne = 1;
    if (i < n_dims && !read_u64 (r, &ne, "tensor dimension", error))
      return FALSE;
    /* Bounded so that element counts and byte sizes never overflow. */
    if (ne == 0 || ne > G_MAXINT64 / t->n_elements)
      return fail (error, "tensor dimension zero or too large", r->pos - 8);
    t->ne[i] = ne;
    t->n_elements *= ne;
    if (i > 0)
      rows *= ne;
  }
  if (!read_u32 (r, &type, "tensor type", error))
    return FALSE;
  t->type = type;
  if (ovi_ggml_block_bytes (type) == 0) {
    g_set_error (error, OVI_GGUF_ERROR, OVI_GGUF_ERROR_FORMAT,
        "GGUF tensor '%s' has tensor type %u, which is unknown", t->name,
        type);
    return FALSE;
  }
  if (!ovi_ggml_row_bytes (type, t->ne[0], &row_bytes)) {
    g_set_error (error, OVI_GGUF_ERROR, OVI_GGUF_ERROR_FORMAT,
        "GGUF tensor '%s': a row of %" G_GUINT64_FORMAT " elements is not a "
        "whole number of %s blocks", t->name, t->ne[0],
        ovi_ggml_type_name (type));
    return FALSE;
  }
  if (row_bytes != 0 && rows > G_MAXINT64 / row_bytes)
    return fail (error, "tensor too large", at);
  t->n_bytes = row_bytes * rows;
  return read_u64 (r, offset, "tensor offset", error);
}

static gboolean
parse (OviGguf *g, GError **error)
{
  Reader r = { g->base, g->size, 0 };
  const guint8 *magic;
  guint64 n_tensors, n_kvs, *offsets = NULL, data_start;
  guint64 alignment = OVI_GGUF_DEFAULT_ALIGNMENT;
  gsize i;
  gboolean ok = FALSE;

  if (!take (&r, 4, &magic, "header", error))
    return FALSE;
  if (memcmp (magic, GGUF_MAGIC, 4) != 0) {
    g_set_error (error, OVI_GGUF_ERROR, OVI_GGUF_ERROR_FORMAT,
        "not a GGUF file (no GGUF magic)");
    return FALSE;
  }
  if (!read_u32 (&r, &g->version, "header", error))
    return FALSE;
  if (GUINT32_SWAP_LE_BE (g->version) == 2
      || GUINT32_SWAP_LE_BE (g->version) == 3) {
    g_set_error (error, OVI_GGUF_ERROR, OVI_GGUF_ERROR_UNSUPPORTED,
        "big-endian GGUF files are not supported");
    return FALSE;
  }
  if (g->version != 2 && g->version != 3) {
    g_set_error (error, OVI_GGUF_ERROR, OVI_GGUF_ERROR_UNSUPPORTED,
        "GGUF version %u is not supported (only 2 and 3)", g->version);
    return FALSE;
  }
  if (!read_u64 (&r, &n_tensors, "header", error)
      || !read_u64 (&r, &n_kvs, "header", error))
    return FALSE;
  /* A key/value takes at least 13 bytes and a tensor description 24:
   * counts beyond what the file can hold are lies, caught before any
   * allocation sized by them. */
  if (n_kvs > remaining (&r) / 13 || n_tensors > remaining (&r) / 24)
    return fail (error, "more keys or tensors than the file can hold", 8);

  g->kvs = g_new0 (KeyValue, n_kvs);
  g->n_kvs = n_kvs;
  for (i = 0; i < g->n_kvs; i++) {
    KeyValue *kv = &g->kvs[i];
    if (!read_key_value (&r, kv, error))
      return FALSE;
    if (g_hash_table_contains (g->kv_index, kv->key)) {
      g_set_error (error, OVI_GGUF_ERROR, OVI_GGUF_ERROR_FORMAT,
          "malformed GGUF: metadata key '%s' appears twice", kv->key);
      return FALSE;
    }
    g_hash_table_insert (g->kv_index, kv->key, kv);
  }

  if (ovi_gguf_key_type (g, "general.alignment") >= 0) {
    if (ovi_gguf_key_type (g, "general.alignment") != OVI_GGUF_UINT32
        || !ovi_gguf_get_uint (g, "general.alignment", &alignment)
        || alignment == 0 || (alignment & (alignment - 1)) != 0) {
      g_set_error (error, OVI_GGUF_ERROR, OVI_GGUF_ERROR_FORMAT,
          "malformed GGUF: general.alignment must be a uint32 power of two");
      return FALSE;
    }
  }
  g->alignment = alignment;

  g->tensors = g_new0 (OviGgufTensor, n_tensors);
  g->n_tensors = n_tensors;
  offsets = g_new (guint64, n_tensors);
  for (i = 0; i < g->n_tensors; i++) {
    OviGgufTensor *t = &g->tensors[i];
    if (!read_tensor_info (&r, t, &offsets[i], error))
      goto out;
    if (g_hash_table_contains (g->tensor_index, t->name)) {
      g_set_error (error, OVI_GGUF_ERROR, OVI_GGUF_ERROR_FORMAT,
          "malformed GGUF: tensor '%s' appears twice", t->name);
      goto out;
    }
    g_hash_table_insert (g->tensor_index, (char *) t->name, t);
  }

  data_start = (r.pos + alignment - 1) / alignment * alignment;
  for (i = 0; i < g->n_tensors; i++) {
    OviGgufTensor *t = &g->tensors[i];
    if (offsets[i] % alignment != 0) {
      g_set_error (error, OVI_GGUF_ERROR, OVI_GGUF_ERROR_FORMAT,
          "malformed GGUF: tensor '%s' data offset %" G_GUINT64_FORMAT
          " is not a multiple of the alignment %" G_GUINT64_FORMAT, t->name,
          offsets[i], alignment);
      goto out;
    }
    if (data_start > g->size || offsets[i] > g->size - data_start
        || t->n_bytes > g->size - data_start - offsets[i]) {
      g_set_error (error, OVI_GGUF_ERROR, OVI_GGUF_ERROR_FORMAT,
          "malformed GGUF: tensor '%s' (%" G_GUINT64_FORMAT " bytes at "
          "offset %" G_GUINT64_FORMAT ") extends past the end of the file "
          "(truncated?)", t->name, t->n_bytes, offsets[i]);
      goto out;
    }
    t->data = g->base + data_start + offsets[i];
  }
  ok = TRUE;
out:
  g_free (offsets);
  return ok;
}

static OviGguf *
gguf_new (GBytes *bytes, GMappedFile *mapped, GError **error)
{
  OviGguf *g = g_new0 (OviGguf, 1);

  g->bytes = bytes;
  g->mapped = mapped;
  g->base = g_bytes_get_data (bytes, &g->size);
  if (g->base == NULL)
    g->base = (const guint8 *) "";
  g->kv_index = g_hash_table_new (g_str_hash, g_str_equal);
  g->tensor_index = g_hash_table_new (g_str_hash, g_str_equal);
  if (!parse (g, error)) {
    ovi_gguf_free (g);
    return NULL;
  }
  return g;
}

OviGguf *
ovi_gguf_open (const char *path, GError **error)
{
  GError *local = NULL;
  GMappedFile *mapped = g_mapped_file_new (path, FALSE, &local);
  OviGguf *g;

  if (mapped == NULL) {
    g_set_error (error, OVI_GGUF_ERROR, OVI_GGUF_ERROR_IO,
        "cannot open GGUF file: %s", local->message);
    g_error_free (local);
    return NULL;
  }
  g = gguf_new (g_mapped_file_get_bytes (mapped), mapped, &local);
  if (g == NULL) {
    g_propagate_prefixed_error (error, local, "%s: ", path);
    return NULL;
  }
  return g;
}

OviGguf *
ovi_gguf_new_from_bytes (GBytes *bytes, GError **error)
{
  g_return_val_if_fail (bytes != NULL, NULL);
  return gguf_new (g_bytes_ref (bytes), NULL, error);
}

void
ovi_gguf_free (OviGguf *g)
{
  gsize i;

  if (g == NULL)
    return;
  for (i = 0; i < g->n_kvs; i++) {
    g_free (g->kvs[i].key);
    g_free (g->kvs[i].string);
    array_free (g->kvs[i].array);
  }
  g_free (g->kvs);
  for (i = 0; i < g->n_tensors; i++)
    g_free ((char *) g->tensors[i].name);
  g_free (g->tensors);
  g_hash_table_unref (g->kv_index);
  g_hash_table_unref (g->tensor_index);
  g_bytes_unref (g->bytes);
  if (g->mapped)
    g_mapped_file_unref (g->mapped);
  g_free (g);
}

guint32
ovi_gguf_version (const OviGguf *g)
{
  return g->version;
}

guint32
ovi_gguf_alignment (const OviGguf *g)
{
  return g->alignment;
}

gsize
ovi_gguf_file_size (const OviGguf *g)
{
  return g->size;
}

gsize
ovi_gguf_n_keys (const OviGguf *g)
{
  return g->n_kvs;
}

const char *
ovi_gguf_key (const OviGguf *g, gsize index)
{
  return index < g->n_kvs ? g->kvs[index].key : NULL;
}

static const KeyValue *
find_kv (const OviGguf *g, const char *key)
{
  return g_hash_table_lookup (g->kv_index, key);
}

int
ovi_gguf_key_type (const OviGguf *g, const char *key)
{
  const KeyValue *kv = find_kv (g, key);
  return kv ? (int) kv->type : -1;
}

/* Reads a scalar of any numeric type at p: signed integers into *i (kind
 * 0), unsigned ones and bools into *u (kind 1), floats into *f (kind 2). */
static gboolean
load_number (OviGgufType type, const guint8 *p, gint64 *i, guint64 *u,
    double *f, int *kind)
{
  switch (type) {
    case OVI_GGUF_UINT8:
    case OVI_GGUF_BOOL:
      *u = p[0];
      *kind = 1;
      return TRUE;
    case OVI_GGUF_INT8:
      *i = (gint8) p[0];
      *kind = 0;
      return TRUE;
    case OVI_GGUF_UINT16:{
      guint16 v;
      memcpy (&v, p, 2);
      *u = GUINT16_FROM_LE (v);
      *kind = 1;
      return TRUE;
    }
    case OVI_GGUF_INT16:{
      guint16 v;
      memcpy (&v, p, 2);
      *i = (gint16) GUINT16_FROM_LE (v);
      *kind = 0;
      return TRUE;
    }
    case OVI_GGUF_UINT32:
      *u = load_u32 (p);
      *kind = 1;
      return TRUE;
    case OVI_GGUF_INT32:
      *i = (gint32) load_u32 (p);
      *kind = 0;
      return TRUE;
    case OVI_GGUF_UINT64:
      *u = load_u64 (p);
      *kind = 1;
      return TRUE;
    case OVI_GGUF_INT64:
      *i = (gint64) load_u64 (p);
      *kind = 0;
      return TRUE;
    case OVI_GGUF_FLOAT32:{
      guint32 bits = load_u32 (p);
      float v;
      memcpy (&v, &bits, 4);
      *f = v;
      *kind = 2;
      return TRUE;
    }
    case OVI_GGUF_FLOAT64:{
      guint64 bits = load_u64 (p);
      double v;
      memcpy (&v, &bits, 8);
      *f = v;
      *kind = 2;
      return TRUE;
    }
    default:
      return FALSE;
  }
}

static gboolean
number_as_int (OviGgufType type, const guint8 *p, gint64 *value)
{
  gint64 i = 0;
  guint64 u = 0;
  double f = 0;
  int kind;

  if (type == OVI_GGUF_BOOL
      || !load_number (type, p, &i, &u, &f, &kind) || kind == 2)
    return FALSE;
  if (kind == 1) {
    if (u > G_MAXINT64)
      return FALSE;
    i = (gint64) u;
  }
  *value = i;
  return TRUE;
}

static gboolean
number_as_float (OviGgufType type, const guint8 *p, double *value)
{
  gint64 i = 0;
  guint64 u = 0;
  double f = 0;
  int kind;

  if (type == OVI_GGUF_BOOL || !load_number (type, p, &i, &u, &f, &kind))
    return FALSE;
  *value = kind == 2 ? f : kind == 1 ? (double) u : (double) i;
  return TRUE;
}

gboolean
ovi_gguf_get_uint (const OviGguf *g, const char *key, guint64 *value)
{
  const KeyValue *kv = find_kv (g, key);
  gint64 i = 0;
  guint64 u = 0;
  double f = 0;
  int kind;

  if (kv == NULL || kv->value == NULL || kv->type == OVI_GGUF_BOOL
      || !load_number (kv->type, kv->value, &i, &u, &f, &kind) || kind == 2)
    return FALSE;
  if (kind == 0) {
    if (i < 0)
      return FALSE;
    u = (guint64) i;
  }
  *value = u;
  return TRUE;
}

gboolean
ovi_gguf_get_int (const OviGguf *g, const char *key, gint64 *value)
{
  const KeyValue *kv = find_kv (g, key);
  return kv && kv->value && number_as_int (kv->type, kv->value, value);
}

gboolean
ovi_gguf_get_float (const OviGguf *g, const char *key, double *value)
{
  const KeyValue *kv = find_kv (g, key);
  return kv && kv->value && number_as_float (kv->type, kv->value, value);
}

gboolean
ovi_gguf_get_bool (const OviGguf *g, const char *key, gboolean *value)
{
  const KeyValue *kv = find_kv (g, key);
  if (kv == NULL || kv->type != OVI_GGUF_BOOL)
    return FALSE;
  *value = kv->value[0] != 0;
  return TRUE;
}

const char *
ovi_gguf_get_string (const OviGguf *g, const char *key, gsize *length)
{
  const KeyValue *kv = find_kv (g, key);
  if (kv == NULL || kv->type != OVI_GGUF_STRING)
    return NULL;
  if (length)
    *length = kv->string_length;
  return kv->string;
}

const OviGgufArray *
ovi_gguf_get_array (const OviGguf *g, const char *key)
{
  const KeyValue *kv = find_kv (g, key);
  return kv ? kv->array : NULL;
}

OviGgufType
ovi_gguf_array_type (const OviGgufArray *a)
{
  return a->type;
}

guint64
ovi_gguf_array_length (const OviGgufArray *a)
{
  return a->length;
}

const char *
ovi_gguf_array_string (const OviGgufArray *a, guint64 i, gsize *length)
{
  if (a->type != OVI_GGUF_STRING || i >= a->length)
    return NULL;
  if (length)
    *length = load_u64 (a->strings[i]);
  return (const char *) a->strings[i] + 8;
}

gboolean
ovi_gguf_array_get_int (const OviGgufArray *a, guint64 i, gint64 *value)
{
  gsize size = scalar_size (a->type);

  if (i >= a->length || size == 0)
    return FALSE;
  if (a->type == OVI_GGUF_BOOL) {
    *value = a->data[i] != 0;
    return TRUE;
  }
  return number_as_int (a->type, a->data + i * size, value);
}

gboolean
ovi_gguf_array_get_float (const OviGgufArray *a, guint64 i, double *value)
{
  gsize size = scalar_size (a->type);

  if (i >= a->length || size == 0)
    return FALSE;
  return number_as_float (a->type, a->data + i * size, value);
}

gsize
ovi_gguf_n_tensors (const OviGguf *g)
{
  return g->n_tensors;
}

const OviGgufTensor *
ovi_gguf_tensor (const OviGguf *g, gsize index)
{
  return index < g->n_tensors ? &g->tensors[index] : NULL;
}

const OviGgufTensor *
ovi_gguf_find_tensor (const OviGguf *g, const char *name)
{
  return g_hash_table_lookup (g->tensor_index, name);
}

const char *
ovi_gguf_type_name (OviGgufType type)
{
  static const char *const names[] = {
    "uint8", "int8", "uint16", "int16", "uint32", "int32", "float32",
    "bool", "string", "array", "uint64", "int64", "float64",
  };
  return (guint) type < G_N_ELEMENTS (names) ? names[type] : "unknown";
}
