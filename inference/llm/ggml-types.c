#include "ggml-types.h"

typedef struct {
  const char *name;
  guint block_elements;
  guint block_bytes;
} TypeInfo;

/* Block sizes are ggml's on-disk layouts (ggml/src/ggml-common.h in
 * ggml's terms): Q4_0 = f16 scale + 16 bytes of nibbles; Q8_0 = f16 scale
 * + 32 int8; Q4_K = f16 d, f16 dmin, 12 bytes of packed 6-bit scales and
 * mins, 128 bytes of nibbles; Q6_K = 128 bytes low nibbles, 64 bytes high
 * bits, 16 int8 scales, f16 d; Q8_K = f32 d, 256 int8, 16 int16 sums. */
static const TypeInfo type_info[OVI_GGML_TYPE_COUNT] = {
  [OVI_GGML_TYPE_F32] = {"F32", 1, 4},
  [OVI_GGML_TYPE_F16] = {"F16", 1, 2},
  [OVI_GGML_TYPE_Q4_0] = {"Q4_0", OVI_QK, 2 + OVI_QK / 2},
  [OVI_GGML_TYPE_Q4_1] = {"Q4_1", OVI_QK, 4 + OVI_QK / 2},
  [OVI_GGML_TYPE_Q5_0] = {"Q5_0", OVI_QK, 2 + 4 + OVI_QK / 2},
  [OVI_GGML_TYPE_Q5_1] = {"Q5_1", OVI_QK, 4 + 4 + OVI_QK / 2},
  [OVI_GGML_TYPE_Q8_0] = {"Q8_0", OVI_QK, 2 + OVI_QK},
  [OVI_GGML_TYPE_Q8_1] = {"Q8_1", OVI_QK, 4 + OVI_QK},
  [OVI_GGML_TYPE_Q2_K] = {"Q2_K", OVI_QK_K, 2 + 2 + OVI_QK_K / 16 + OVI_QK_K / 4},
  [OVI_GGML_TYPE_Q3_K] = {"Q3_K", OVI_QK_K, 2 + OVI_QK_K / 4 + OVI_QK_K / 8 + 12},
  [OVI_GGML_TYPE_Q4_K] = {"Q4_K", OVI_QK_K, 2 + 2 + 12 + OVI_QK_K / 2},
  [OVI_GGML_TYPE_Q5_K] = {"Q5_K", OVI_QK_K, 2 + 2 + 12 + OVI_QK_K / 8 + OVI_QK_K / 2},
  [OVI_GGML_TYPE_Q6_K] = {"Q6_K", OVI_QK_K, OVI_QK_K / 2 + OVI_QK_K / 4 + OVI_QK_K / 16 + 2},
  [OVI_GGML_TYPE_Q8_K] = {"Q8_K", OVI_QK_K, 4 + OVI_QK_K + OVI_QK_K / 16 * 2},
  [OVI_GGML_TYPE_I8] = {"I8", 1, 1},
  [OVI_GGML_TYPE_I16] = {"I16", 1, 2},
  [OVI_GGML_TYPE_I32] = {"I32", 1, 4},
  [OVI_GGML_TYPE_I64] = {"I64", 1, 8},
  [OVI_GGML_TYPE_F64] = {"F64", 1, 8},
  [OVI_GGML_TYPE_BF16] = {"BF16", 1, 2},
};

static const TypeInfo *
lookup (OviGgmlType type)
{
  if ((guint) type >= OVI_GGML_TYPE_COUNT || type_info[type].name == NULL)
    return NULL;
  return &type_info[type];
}

const char *
ovi_ggml_type_name (OviGgmlType type)
{
  const TypeInfo *info = lookup (type);
  return info ? info->name : NULL;
}

guint
ovi_ggml_block_elements (OviGgmlType type)
{
  const TypeInfo *info = lookup (type);
  return info ? info->block_elements : 0;
}

guint
ovi_ggml_block_bytes (OviGgmlType type)
{
  const TypeInfo *info = lookup (type);
  return info ? info->block_bytes : 0;
}

gboolean
ovi_ggml_row_bytes (OviGgmlType type, guint64 n, guint64 *bytes)
{
  const TypeInfo *info = lookup (type);
  guint64 blocks;

  if (info == NULL || n % info->block_elements != 0)
    return FALSE;
  blocks = n / info->block_elements;
  if (blocks > G_MAXUINT64 / info->block_bytes)
    return FALSE;
  *bytes = blocks * info->block_bytes;
  return TRUE;
}
