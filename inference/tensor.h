/* Internal tensors: the public OviTensorView plus ownership, and the
 * element-type helpers every op needs. */
#ifndef OVI_TENSOR_H
#define OVI_TENSOR_H

#include "ovi.h"

G_BEGIN_DECLS

/* Sequence values (ONNX tensor sequences): a pseudo element type internal
 * to the engine, outside the public enum, never a graph input or output.
 * Its ovi_dtype_size is 0 so that nothing byte-copies it; its data is an
 * OviSequence. */
#define OVI_DTYPE_SEQUENCE ((OviDType) 1000)

/* String tensors (OVI_DTYPE_STRING) hold an array of `char *`, one
 * NUL-terminated UTF-8 string per element; a NULL element reads as "".
 * A tensor that owns string or sequence data owns what it points to:
 * clearing frees each string or element, copying copies them deeply. Such
 * values never live in the arena and are never aliased (plan.c). */
typedef struct {
  OviDType dtype;
  int rank;
  int64_t dims[OVI_MAX_RANK];
  void *data;
  /* The allocation behind data when the tensor owns it (constants,
   * dynamically shaped results), with its capacity in bytes. */
  void *owned;
  gsize capacity;
  /* What `owned` holds: OVI_DTYPE_STRING (a string array of capacity
   * bytes, every slot NULL or an owned string), OVI_DTYPE_SEQUENCE (an
   * OviSequence), anything else plain bytes. */
  OviDType owned_type;
} OviTensor;

/* owned_type of plain bytes several tensors share (a model's weights and
 * the plans made from it): `owned` is an OviSharedBytes, freed with the
 * last tensor holding it. Such data is read-only; ovi_tensor_ensure gives
 * a tensor its own buffer before anything is written. */
#define OVI_OWNED_SHARED ((OviDType) 1001)

typedef struct {
  gint ref_count;
  void *data;            /* ovi_aligned_alloc'd */
} OviSharedBytes;

typedef struct {
  OviDType elem_dtype;   /* OVI_DTYPE_UNDEFINED until known */
  GPtrArray *items;      /* OviTensor *, owned, freed with the sequence */
} OviSequence;

/* String or sequence: values the planner gives request-owned storage and
 * that only the ops listed in op-string.c / op-sequence.c may read. */
static inline gboolean
ovi_dtype_is_object (OviDType dtype)
{
  return dtype == OVI_DTYPE_STRING || dtype == OVI_DTYPE_SEQUENCE;
}

#define OVI_ALIGNMENT 64

int64_t ovi_shape_numel (int rank, const int64_t *dims);
static inline int64_t
ovi_tensor_numel (const OviTensor *t)
{
  return ovi_shape_numel (t->rank, t->dims);
}
gsize ovi_tensor_nbytes (const OviTensor *t);
gboolean ovi_shape_equal (int rank_a, const int64_t *a, int rank_b,
    const int64_t *b);
char *ovi_shape_to_string (int rank, const int64_t *dims);

gboolean ovi_dtype_is_float (OviDType dtype);
gboolean ovi_dtype_is_signed_int (OviDType dtype);
gboolean ovi_dtype_is_unsigned_int (OviDType dtype);
gboolean ovi_dtype_is_known (OviDType dtype);

void *ovi_aligned_alloc (gsize size);
/* The same for a buffer written whole once and then streamed through on
 * every inference (packed weights): of 2 MiB and more, it gets
 * transparent huge pages. Not for buffers that may be touched in part
 * (arenas): a huge page makes all of its 2 MiB resident. */
void *ovi_aligned_alloc_streamed (gsize size);
void ovi_aligned_free (void *p);

/* A new tensor owning zeroed memory for its shape; NULL when the size
 * overflows or exceeds the engine's limit. */
OviTensor *ovi_tensor_new (OviDType dtype, int rank, const int64_t *dims);
/* Reshapes and grows the owned buffer if needed (never shrinks). */
gboolean ovi_tensor_ensure (OviTensor *t, OviDType dtype, int rank,
    const int64_t *dims);
OviTensor *ovi_tensor_copy (const OviTensor *t);
/* Makes a tensor owning plain bytes share them (not thread-safe: for a
 * graph nobody else reads yet, such as a model being created). */
void ovi_tensor_make_shared (OviTensor *t);
/* A tensor sharing t's bytes when t is shared (one more reference,
 * thread-safe), else a copy. */
OviTensor *ovi_tensor_share (const OviTensor *t);
void ovi_tensor_free (OviTensor *t);
void ovi_tensor_clear (OviTensor *t);

/* Strings: element i of a string tensor ("" for NULL), and storing an
 * element of a tensor that owns its strings (takes `s`, frees the old). */
static inline const char *
ovi_tensor_string (const OviTensor *t, int64_t i)
{
  const char *s = ((char *const *) t->data)[i];
  return s ? s : "";
}
void ovi_tensor_take_string (OviTensor *t, int64_t i, char *s);
/* The sequence of a SEQUENCE tensor with data, else NULL. */
static inline OviSequence *
ovi_tensor_sequence (const OviTensor *t)
{
  return t && t->dtype == OVI_DTYPE_SEQUENCE ? (OviSequence *) t->data : NULL;
}
/* Copies n elements of src from si to dst from di, both of the same
 * element type: bytes for numeric types, new copies for strings (dst must
 * own its strings). FALSE for other types. */
gboolean ovi_tensor_copy_elements (OviTensor *dst, int64_t di,
    const OviTensor *src, int64_t si, int64_t n);

/* Element access through the widest type of the family: slow, meant for
 * reference kernels on rare types and for shape-carrying tensors. */
double ovi_tensor_get_f64 (const OviTensor *t, int64_t i);
int64_t ovi_tensor_get_i64 (const OviTensor *t, int64_t i);
void ovi_tensor_set_f64 (OviTensor *t, int64_t i, double v);
void ovi_tensor_set_i64 (OviTensor *t, int64_t i, int64_t v);
double ovi_load_f64 (OviDType dtype, const void *base, int64_t i);
void ovi_store_f64 (OviDType dtype, void *base, int64_t i, double v);
int64_t ovi_load_i64 (OviDType dtype, const void *base, int64_t i);
void ovi_store_i64 (OviDType dtype, void *base, int64_t i, int64_t v);

float ovi_f16_to_f32 (guint16 h);
guint16 ovi_f32_to_f16 (float f);
float ovi_bf16_to_f32 (guint16 h);
guint16 ovi_f32_to_bf16 (float f);

/* Row-major strides in elements. */
void ovi_shape_strides (int rank, const int64_t *dims, int64_t *strides);

/* Numpy-style broadcast of two shapes; FALSE when incompatible. */
gboolean ovi_broadcast_shapes (int rank_a, const int64_t *a, int rank_b,
    const int64_t *b, int *rank_out, int64_t *out);

G_END_DECLS

#endif
