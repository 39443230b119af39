/* TensorProto -> OviTensor: dims, element type, and data from raw_data,
 * the typed repeated fields (packed or not), or external data. */
#include <stdio.h>
#include <string.h>

#include <glib/gstdio.h>

#include "onnx.h"
#include "protobuf.h"

enum {
  TENSOR_DIMS = 1,
  TENSOR_DATA_TYPE = 2,
  TENSOR_SEGMENT = 3,
  TENSOR_FLOAT_DATA = 4,
  TENSOR_INT32_DATA = 5,
  TENSOR_STRING_DATA = 6,
  TENSOR_INT64_DATA = 7,
  TENSOR_NAME = 8,
  TENSOR_RAW_DATA = 9,
  TENSOR_DOUBLE_DATA = 10,
  TENSOR_UINT64_DATA = 11,
  TENSOR_EXTERNAL_DATA = 13,
  TENSOR_DATA_LOCATION = 14,
};

typedef enum { ELEM_VARINT, ELEM_FIXED32, ELEM_FIXED64 } ElemKind;

/* Decodes every element of repeated field `number` (packed chunks and
 * unpacked entries alike). With out == NULL, only counts. */
static gboolean
decode_repeated (const guint8 *data, gsize size, guint32 number,
    ElemKind kind, guint64 *out, gsize *count)
{
  OviPbReader r;
  OviPbField f;
  gsize n = 0;

  ovi_pb_reader_init (&r, data, size);
  while (!ovi_pb_at_end (&r)) {
    if (!ovi_pb_next (&r, &f))
      return FALSE;
    if (f.number != number)
      continue;
    if (f.type == OVI_PB_BYTES) {
      OviPbReader pr;
      ovi_pb_reader_init (&pr, f.bytes, f.size);
      if (kind == ELEM_VARINT) {
        while (!ovi_pb_at_end (&pr)) {
          guint64 v;
          if (!ovi_pb_read_varint (&pr, &v))
            return FALSE;
          if (out)
            out[n] = v;
          n++;
        }
      } else {
        gsize w = kind == ELEM_FIXED32 ? 4 : 8;
        if (f.size % w)
          return FALSE;
        for (gsize i = 0; i < f.size / w; i++) {
          if (out) {
            guint32 v32;
            guint64 v64;
            if (w == 4) {
              memcpy (&v32, f.bytes + i * 4, 4);
              out[n] = v32;
            } else {
              memcpy (&v64, f.bytes + i * 8, 8);
              out[n] = v64;
            }
          }
          n++;
        }
      }
    } else {
      OviPbWireType want = kind == ELEM_VARINT ? OVI_PB_VARINT
          : kind == ELEM_FIXED32 ? OVI_PB_FIXED32 : OVI_PB_FIXED64;
      if (f.type != want)
        return FALSE;
      if (out)
        out[n] = f.varint;
      n++;
    }
  }
  *count = n;
  return TRUE;
}

/* Before allocating for external data: the location must stay inside
 * the model's folder and the file must hold offset + nbytes bytes, so that
 * a small hostile model cannot make us allocate for data that is not
 * there. */
static gboolean
check_external (const char *base_dir, const char *location, guint64 offset,
    gsize nbytes, GError **error)
{
  char *path;
  GStatBuf st;
  gboolean ok;

  if (base_dir == NULL || location == NULL || g_path_is_absolute (location)
      || strstr (location, "..") != NULL) {
    g_set_error (error, OVI_ERROR, OVI_ERROR_PARSE,
        "external data location '%s' is not a relative path inside the "
        "model's folder", location ? location : "(none)");
    return FALSE;
  }
  path = g_build_filename (base_dir, location, NULL);
  ok = g_stat (path, &st) == 0;
  if (!ok)
    g_set_error (error, OVI_ERROR, OVI_ERROR_IO,
        "cannot open external data '%s'", path);
  else if ((guint64) st.st_size < offset
      || (guint64) st.st_size - offset < nbytes) {
    g_set_error (error, OVI_ERROR, OVI_ERROR_PARSE,
        "external data '%s' is shorter than offset %" G_GUINT64_FORMAT
        " + %" G_GSIZE_FORMAT " bytes", path, offset, nbytes);
    ok = FALSE;
  }
  g_free (path);
  return ok;
}

/* External data must stay inside the model's folder. */
static gboolean
read_external (const char *base_dir, const char *location, guint64 offset,
    gint64 length, void *dst, gsize nbytes, GError **error)
{
  char *path;
  FILE *f;
  gboolean ok = FALSE;

  if (base_dir == NULL || location == NULL || g_path_is_absolute (location)
      || strstr (location, "..") != NULL) {
    g_set_error (error, OVI_ERROR, OVI_ERROR_PARSE,
        "external data location '%s' is not a relative path inside the "
        "model's folder", location ? location : "(none)");
    return FALSE;
  }
  if (length >= 0 && (guint64) length != nbytes) {
    g_set_error (error, OVI_ERROR, OVI_ERROR_PARSE,
        "external data '%s' has length %" G_GINT64_FORMAT ", expected %"
        G_GSIZE_FORMAT, location, length, nbytes);
    return FALSE;
  }
  path = g_build_filename (base_dir, location, NULL);
  f = fopen (path, "rb");
  if (f == NULL) {
    g_set_error (error, OVI_ERROR, OVI_ERROR_IO,
        "cannot open external data '%s'", path);
  } else if (fseeko (f, (off_t) offset, SEEK_SET) != 0
      || fread (dst, 1, nbytes, f) != nbytes) {
    g_set_error (error, OVI_ERROR, OVI_ERROR_PARSE,
        "external data '%s' is shorter than offset %" G_GUINT64_FORMAT
        " + %" G_GSIZE_FORMAT " bytes", path, offset, nbytes);
  } else {
    ok = TRUE;
  }
  if (f)
    fclose (f);
  g_free (path);
  return ok;
}

static void
store_typed (OviTensor *t, const guint64 *v, gsize n, guint32 field)
{
  for (gsize i = 0; i < n; i++) {
    guint64 x = v[i];
    switch (t->dtype) {
      case OVI_DTYPE_FLOAT32: {
        guint32 b = (guint32) x;
        memcpy ((float *) t->data + i, &b, 4);
        break;
      }
      case OVI_DTYPE_FLOAT64:
        memcpy ((double *) t->data + i, &x, 8);
        break;
      case OVI_DTYPE_FLOAT16: case OVI_DTYPE_BFLOAT16:
        /* Half types travel as their bit patterns in int32_data. */
        ((guint16 *) t->data)[i] = (guint16) x;
        break;
      case OVI_DTYPE_UINT64: case OVI_DTYPE_UINT32:
        ovi_store_i64 (t->dtype, t->data, i, (int64_t) x);
        break;
      default:
        /* int32_data holds sign-extended 64-bit varints. */
        ovi_store_i64 (t->dtype, t->data, i,
            field == TENSOR_INT32_DATA ? (int64_t) (gint32) x : (int64_t) x);
        break;
    }
  }
}

static guint32
typed_field_for (OviDType dtype, ElemKind *kind)
{
  switch (dtype) {
    case OVI_DTYPE_FLOAT32:
      *kind = ELEM_FIXED32;
      return TENSOR_FLOAT_DATA;
    case OVI_DTYPE_FLOAT64:
      *kind = ELEM_FIXED64;
      return TENSOR_DOUBLE_DATA;
    case OVI_DTYPE_INT64:
      *kind = ELEM_VARINT;
      return TENSOR_INT64_DATA;
    case OVI_DTYPE_UINT32: case OVI_DTYPE_UINT64:
      *kind = ELEM_VARINT;
      return TENSOR_UINT64_DATA;
    default:
      *kind = ELEM_VARINT;
      return TENSOR_INT32_DATA;
  }
}

/* string_data: one length-delimited entry per element, counted before
 * anything is allocated (each costs at least two bytes of the file). A
 * string holding a NUL byte is cut there. */
static OviTensor *
parse_strings (const guint8 *data, gsize size, int rank,
    const int64_t *dims, const char *name, GError **error)
{
  OviPbReader r;
  OviPbField f;
  gsize count = 0;
  int64_t i = 0;
  OviTensor *t;

  ovi_pb_reader_init (&r, data, size);
  while (!ovi_pb_at_end (&r)) {
    if (!ovi_pb_next (&r, &f))
      goto malformed;
    if (f.number != TENSOR_STRING_DATA)
      continue;
    if (f.type != OVI_PB_BYTES)
      goto malformed;
    count++;
  }
  if ((int64_t) count != ovi_shape_numel (rank, dims)) {
    g_set_error (error, OVI_ERROR, OVI_ERROR_PARSE,
        "tensor '%s' holds %" G_GSIZE_FORMAT " strings, its shape needs %"
        G_GINT64_FORMAT, name ? name : "", count,
        ovi_shape_numel (rank, dims));
    return NULL;
  }
  t = ovi_tensor_new (OVI_DTYPE_STRING, rank, dims);
  if (t == NULL) {
    g_set_error (error, OVI_ERROR, OVI_ERROR_PARSE,
        "tensor '%s' is too large", name ? name : "");
    return NULL;
  }
  ovi_pb_reader_init (&r, data, size);
  while (!ovi_pb_at_end (&r)) {
    ovi_pb_next (&r, &f);       /* validated above */
    if (f.number == TENSOR_STRING_DATA)
      ovi_tensor_take_string (t, i++, g_strndup ((const char *) f.bytes,
              f.size));
  }
  return t;

malformed:
  g_set_error (error, OVI_ERROR, OVI_ERROR_PARSE,
      "malformed TensorProto%s%s", name ? " " : "", name ? name : "");
  return NULL;
}

OviTensor *
ovi_onnx_parse_tensor (const guint8 *data, gsize size, const char *base_dir,
    char **name_out, GError **error)
{
  OviPbReader r;
  OviPbField f;
  int64_t dims[OVI_MAX_RANK];
  int rank = 0;
  guint64 dtype = 0;
  const guint8 *raw = NULL;
  gsize raw_size = 0;
  gboolean has_raw = FALSE, external = FALSE;
  char *name = NULL, *location = NULL;
  guint64 ext_offset = 0;
  gint64 ext_length = -1;
  OviTensor *t = NULL;
  gsize n_dims = 0;
  guint64 *tmp = NULL;

  /* dims may be packed: decode them with the generic helper. */
  if (!decode_repeated (data, size, TENSOR_DIMS, ELEM_VARINT, NULL, &n_dims))
    goto malformed;
  if (n_dims > OVI_MAX_RANK) {
    g_set_error (error, OVI_ERROR, OVI_ERROR_UNSUPPORTED,
        "tensor has rank %" G_GSIZE_FORMAT ", more than %d", n_dims,
        OVI_MAX_RANK);
    return NULL;
  }
  {
    guint64 d[OVI_MAX_RANK];
    decode_repeated (data, size, TENSOR_DIMS, ELEM_VARINT, d, &n_dims);
    for (gsize i = 0; i < n_dims; i++) {
      if ((gint64) d[i] < 0) {
        g_set_error (error, OVI_ERROR, OVI_ERROR_PARSE,
            "tensor has a negative dimension");
        return NULL;
      }
      dims[i] = (gint64) d[i];
    }
    rank = n_dims;
  }

  ovi_pb_reader_init (&r, data, size);
  while (!ovi_pb_at_end (&r)) {
    if (!ovi_pb_next (&r, &f))
      goto malformed;
    switch (f.number) {
      case TENSOR_DATA_TYPE:
        dtype = f.varint;
        break;
      case TENSOR_NAME:
        if (f.type != OVI_PB_BYTES)
          goto malformed;
        g_free (name);
        name = g_strndup ((const char *) f.bytes, f.size);
        break;
      case TENSOR_RAW_DATA:
        if (f.type != OVI_PB_BYTES)
          goto malformed;
        raw = f.bytes;
        raw_size = f.size;
        has_raw = TRUE;
        break;
      case TENSOR_SEGMENT:
        g_set_error (error, OVI_ERROR, OVI_ERROR_UNSUPPORTED,
            "segmented tensors are not supported");
        goto fail;
      case TENSOR_DATA_LOCATION:
        external = f.varint == 1;
        break;
      case TENSOR_EXTERNAL_DATA: {
        OviPbReader er;
        OviPbField ef;
        char *key = NULL, *value = NULL;
        if (f.type != OVI_PB_BYTES)
          goto malformed;
        ovi_pb_reader_init (&er, f.bytes, f.size);
        while (!ovi_pb_at_end (&er)) {
          if (!ovi_pb_next (&er, &ef) || ef.type != OVI_PB_BYTES) {
            g_free (key);
            g_free (value);
            goto malformed;
          }
          if (ef.number == 1) {
            g_free (key);
            key = g_strndup ((const char *) ef.bytes, ef.size);
          } else if (ef.number == 2) {
            g_free (value);
            value = g_strndup ((const char *) ef.bytes, ef.size);
          }
        }
        if (key && value) {
          if (strcmp (key, "location") == 0) {
            g_free (location);
            location = g_strdup (value);
          } else if (strcmp (key, "offset") == 0) {
            ext_offset = g_ascii_strtoull (value, NULL, 10);
          } else if (strcmp (key, "length") == 0) {
            ext_length = g_ascii_strtoll (value, NULL, 10);
          }
        }
        g_free (key);
        g_free (value);
        break;
      }
      default:
        break;
    }
  }

  if (dtype == OVI_DTYPE_STRING) {
    if (ovi_shape_numel (rank, dims) < 0) {
      g_set_error (error, OVI_ERROR, OVI_ERROR_PARSE,
          "tensor '%s' has an impossible size", name ? name : "");
      goto fail;
    }
    if (external || has_raw) {
      g_set_error (error, OVI_ERROR, OVI_ERROR_PARSE, "string tensor '%s' "
          "must hold its data in string_data", name ? name : "");
      goto fail;
    }
    t = parse_strings (data, size, rank, dims, name, error);
    if (t == NULL)
      goto fail;
    g_free (location);
    if (name_out)
      *name_out = name;
    else
      g_free (name);
    return t;
  }
  if (!ovi_dtype_is_known ((OviDType) dtype)) {
    g_set_error (error, OVI_ERROR, OVI_ERROR_UNSUPPORTED,
        "tensor '%s' has element type %s (%d), which is not supported",
        name ? name : "", ovi_dtype_name ((OviDType) dtype), (int) dtype);
    goto fail;
  }
  if (ovi_shape_numel (rank, dims) < 0) {
    g_set_error (error, OVI_ERROR, OVI_ERROR_PARSE,
        "tensor '%s' has an impossible size", name ? name : "");
    goto fail;
  }

  {
    OviTensor probe = { .dtype = dtype, .rank = rank };
    gsize nbytes;
    gsize count = 0;
    ElemKind kind;
    guint32 field = typed_field_for (dtype, &kind);

    memcpy (probe.dims, dims, sizeof (dims));
    nbytes = ovi_tensor_nbytes (&probe);
    /* Check the data's size before allocating, so that a small hostile
     * file cannot make us allocate a huge tensor. */
    if (external) {
      if (!check_external (base_dir, location, ext_offset, nbytes, error))
        goto fail;
      if (ext_length >= 0 && (guint64) ext_length != nbytes) {
        g_set_error (error, OVI_ERROR, OVI_ERROR_PARSE,
            "tensor '%s': external data length %" G_GINT64_FORMAT
            " does not match its shape (%" G_GSIZE_FORMAT " bytes)",
            name ? name : "", ext_length, nbytes);
        goto fail;
      }
    } else if (has_raw) {
      if (raw_size != nbytes) {
        g_set_error (error, OVI_ERROR, OVI_ERROR_PARSE,
            "tensor '%s': raw_data has %" G_GSIZE_FORMAT " bytes, its shape "
            "needs %" G_GSIZE_FORMAT, name ? name : "", raw_size, nbytes);
        goto fail;
      }
    } else {
      if (!decode_repeated (data, size, field, kind, NULL, &count))
        goto malformed;
      if ((int64_t) count != ovi_tensor_numel (&probe)) {
        g_set_error (error, OVI_ERROR, OVI_ERROR_PARSE,
            "tensor '%s' holds %" G_GSIZE_FORMAT " values, its shape needs %"
            G_GINT64_FORMAT, name ? name : "", count,
            ovi_tensor_numel (&probe));
        goto fail;
      }
    }

    t = ovi_tensor_new (dtype, rank, dims);
    if (t == NULL) {
      g_set_error (error, OVI_ERROR, OVI_ERROR_PARSE,
          "tensor '%s' is too large", name ? name : "");
      goto fail;
    }
    if (external) {
      if (!read_external (base_dir, location, ext_offset, ext_length,
              t->data, nbytes, error))
        goto fail;
    } else if (has_raw) {
      if (nbytes)
        memcpy (t->data, raw, nbytes);
    } else if (count > 0) {
      tmp = g_try_new (guint64, count);
      if (tmp == NULL) {
        g_set_error (error, OVI_ERROR, OVI_ERROR_PARSE,
            "tensor '%s' is too large", name ? name : "");
        goto fail;
      }
      decode_repeated (data, size, field, kind, tmp, &count);
      store_typed (t, tmp, count, field);
    }
  }

  g_free (tmp);
  g_free (location);
  if (name_out)
    *name_out = name;
  else
    g_free (name);
  return t;

malformed:
  g_set_error (error, OVI_ERROR, OVI_ERROR_PARSE,
      "malformed TensorProto%s%s", name ? " " : "", name ? name : "");
fail:
  g_free (tmp);
  ovi_tensor_free (t);
  g_free (location);
  g_free (name);
  return NULL;
}
