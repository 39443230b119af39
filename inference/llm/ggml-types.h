/* The tensor element types of GGUF files, numbered as ggml numbers them
 * (ggml's docs/gguf.md, `ggml_type`), with their block geometry. Only the
 * types the LLM runtime computes with have a block layout here; the other
 * numbers are known so that a file using them gets a precise error. */
#ifndef OVI_GGML_TYPES_H
#define OVI_GGML_TYPES_H

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  OVI_GGML_TYPE_F32 = 0,
  OVI_GGML_TYPE_F16 = 1,
  OVI_GGML_TYPE_Q4_0 = 2,
  OVI_GGML_TYPE_Q4_1 = 3,
  OVI_GGML_TYPE_Q5_0 = 6,
  OVI_GGML_TYPE_Q5_1 = 7,
  OVI_GGML_TYPE_Q8_0 = 8,
  OVI_GGML_TYPE_Q8_1 = 9,
  OVI_GGML_TYPE_Q2_K = 10,
  OVI_GGML_TYPE_Q3_K = 11,
  OVI_GGML_TYPE_Q4_K = 12,
  OVI_GGML_TYPE_Q5_K = 13,
  OVI_GGML_TYPE_Q6_K = 14,
  OVI_GGML_TYPE_Q8_K = 15,
  OVI_GGML_TYPE_I8 = 24,
  OVI_GGML_TYPE_I16 = 25,
  OVI_GGML_TYPE_I32 = 26,
  OVI_GGML_TYPE_I64 = 27,
  OVI_GGML_TYPE_F64 = 28,
  OVI_GGML_TYPE_BF16 = 30,
  OVI_GGML_TYPE_COUNT = 40,   /* upper bound of the numbering, exclusive */
} OviGgmlType;

/* Elements per 256-element super-block of the k-quants. */
#define OVI_QK_K 256
/* Elements per block of Q4_0 / Q8_0. */
#define OVI_QK 32

/* The name ggml uses ("Q4_K"), or NULL for a number it does not define. */
const char *ovi_ggml_type_name (OviGgmlType type);

/* Elements per block (1 for plain types) and bytes per block; both 0 for a
 * type whose layout the runtime does not know (its tensors cannot be
 * loaded, only described). */
guint ovi_ggml_block_elements (OviGgmlType type);
guint ovi_ggml_block_bytes (OviGgmlType type);

/* Bytes of a row of n elements; FALSE when n is not a whole number of
 * blocks or the layout is unknown. */
gboolean ovi_ggml_row_bytes (OviGgmlType type, guint64 n, guint64 *bytes);

G_END_DECLS

#endif
