/* GGUF files (ggml's docs/gguf.md, versions 2 and 3): a header, typed
 * key/value metadata, tensor descriptions and aligned tensor data.
 *
 * The file is mapped, not read: tensor data and metadata arrays point into
 * the mapping, which lives as long as the OviGguf. Everything the file
 * claims (counts, lengths, offsets, dimensions) is checked against the
 * bytes actually present before it is used, so a truncated or hostile file
 * gives a GError, never a crash or an allocation larger than the file. */
#ifndef OVI_GGUF_H
#define OVI_GGUF_H

#include "ggml-types.h"

G_BEGIN_DECLS

#define OVI_GGUF_ERROR (ovi_gguf_error_quark ())
GQuark ovi_gguf_error_quark (void);

typedef enum {
  OVI_GGUF_ERROR_IO,           /* cannot open or map the file */
  OVI_GGUF_ERROR_FORMAT,       /* not GGUF, or malformed */
  OVI_GGUF_ERROR_UNSUPPORTED,  /* well-formed but a version we do not read */
} OviGgufError;

typedef enum {
  OVI_GGUF_UINT8 = 0,
  OVI_GGUF_INT8 = 1,
  OVI_GGUF_UINT16 = 2,
  OVI_GGUF_INT16 = 3,
  OVI_GGUF_UINT32 = 4,
  OVI_GGUF_INT32 = 5,
  OVI_GGUF_FLOAT32 = 6,
  OVI_GGUF_BOOL = 7,
  OVI_GGUF_STRING = 8,
  OVI_GGUF_ARRAY = 9,
  OVI_GGUF_UINT64 = 10,
  OVI_GGUF_INT64 = 11,
  OVI_GGUF_FLOAT64 = 12,
} OviGgufType;

#define OVI_GGUF_MAX_DIMS 4
#define OVI_GGUF_DEFAULT_ALIGNMENT 32

typedef struct {
  const char *name;          /* NUL-terminated, owned by the OviGguf */
  OviGgmlType type;
  guint n_dims;
  guint64 ne[OVI_GGUF_MAX_DIMS];  /* ne[0] innermost; unused dims are 1 */
  guint64 n_elements;
  guint64 n_bytes;
  const guint8 *data;        /* inside the mapping; aligned as the file says */
} OviGgufTensor;

/* A metadata array: elements of one type stored back to back in the file.
 * Numeric elements may be unaligned; read them through the accessors. */
typedef struct _OviGgufArray OviGgufArray;

typedef struct _OviGguf OviGguf;

OviGguf *ovi_gguf_open (const char *path, GError **error);
/* Parses bytes already in memory (kept alive by a reference). */
OviGguf *ovi_gguf_new_from_bytes (GBytes *bytes, GError **error);
void ovi_gguf_free (OviGguf *gguf);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OviGguf, ovi_gguf_free)

guint32 ovi_gguf_version (const OviGguf *gguf);
guint32 ovi_gguf_alignment (const OviGguf *gguf);
gsize ovi_gguf_file_size (const OviGguf *gguf);

/* Metadata, in file order. */
gsize ovi_gguf_n_keys (const OviGguf *gguf);
const char *ovi_gguf_key (const OviGguf *gguf, gsize index);
/* The type of a key's value, or -1 when the key is absent. */
int ovi_gguf_key_type (const OviGguf *gguf, const char *key);

/* Typed getters: FALSE when the key is absent or its value does not fit
 * the requested kind. Integer getters accept any integer type whose value
 * fits; float getters accept FLOAT32/FLOAT64 and integers. */
gboolean ovi_gguf_get_uint (const OviGguf *gguf, const char *key,
    guint64 *value);
gboolean ovi_gguf_get_int (const OviGguf *gguf, const char *key,
    gint64 *value);
gboolean ovi_gguf_get_float (const OviGguf *gguf, const char *key,
    double *value);
gboolean ovi_gguf_get_bool (const OviGguf *gguf, const char *key,
    gboolean *value);
/* A NUL-terminated copy owned by the OviGguf; NULL when absent or not a
 * string. The file may contain NUL bytes inside a string: `length`, when
 * not NULL, is the length in the file. */
const char *ovi_gguf_get_string (const OviGguf *gguf, const char *key,
    gsize *length);
/* NULL when absent or not an array. */
const OviGgufArray *ovi_gguf_get_array (const OviGguf *gguf,
    const char *key);

OviGgufType ovi_gguf_array_type (const OviGgufArray *array);
guint64 ovi_gguf_array_length (const OviGgufArray *array);
/* Element i as a string (not NUL-terminated: use length), or NULL when
 * the array does not hold strings. */
const char *ovi_gguf_array_string (const OviGgufArray *array, guint64 i,
    gsize *length);
/* Element i of a numeric or bool array, converted; FALSE for other types. */
gboolean ovi_gguf_array_get_int (const OviGgufArray *array, guint64 i,
    gint64 *value);
gboolean ovi_gguf_array_get_float (const OviGgufArray *array, guint64 i,
    double *value);

/* Tensors, in file order. */
gsize ovi_gguf_n_tensors (const OviGguf *gguf);
const OviGgufTensor *ovi_gguf_tensor (const OviGguf *gguf, gsize index);
const OviGgufTensor *ovi_gguf_find_tensor (const OviGguf *gguf,
    const char *name);

const char *ovi_gguf_type_name (OviGgufType type);

G_END_DECLS

#endif
