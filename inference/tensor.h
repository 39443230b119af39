/* Internal tensors: the public OviTensorView plus ownership, and the
 * element-type helpers every op needs. */
#ifndef OVI_TENSOR_H
#define OVI_TENSOR_H

#include "ovi.h"

G_BEGIN_DECLS

typedef struct {
  OviDType dtype;
  int rank;
  int64_t dims[OVI_MAX_RANK];
  void *data;
  /* The allocation behind data when the tensor owns it (constants,
   * dynamically shaped results), with its capacity in bytes. */
  void *owned;
  gsize capacity;
} OviTensor;

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
void ovi_aligned_free (void *p);

/* A new tensor owning zeroed memory for its shape; NULL when the size
 * overflows or exceeds the engine's limit. */
OviTensor *ovi_tensor_new (OviDType dtype, int rank, const int64_t *dims);
/* Reshapes and grows the owned buffer if needed (never shrinks). */
gboolean ovi_tensor_ensure (OviTensor *t, OviDType dtype, int rank,
    const int64_t *dims);
OviTensor *ovi_tensor_copy (const OviTensor *t);
void ovi_tensor_free (OviTensor *t);
void ovi_tensor_clear (OviTensor *t);

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
