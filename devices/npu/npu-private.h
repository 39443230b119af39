/* What the NPU device's files share, and what its tests reach. */
#ifndef OVI_NPU_PRIVATE_H
#define OVI_NPU_PRIVATE_H

#include "plan.h"

G_BEGIN_DECLS

/* The NGRAPH_LITE input of the graph extension (npu-blob.c): the IR
 * xml and weights behind a small header. Fields in order, little-endian,
 * no padding:
 *   u16 compiler major, u16 compiler minor  (the driver's compiler)
 *   u32 number of parts (2)
 *   u64 xml size,     the xml bytes
 *   u64 weights size, the weights bytes */
#define OVI_NPU_BLOB_HEADER_SIZE (2 + 2 + 4)
#define OVI_NPU_BLOB_PARTS 2

GBytes *ovi_npu_blob_pack (guint16 compiler_major, guint16 compiler_minor,
    const void *xml, gsize xml_size, const void *bin, gsize bin_size);

/* The plan's graph as OpenVINO IR v11 in memory (npu-ir.c): static
 * shapes, fused post-ops written back as layers. */
gboolean ovi_npu_serialize_plan (const OviPlan *plan, GString **xml,
    GByteArray **bin, GError **error);

/* The build flags string of the graph descriptor: each input's and
 * output's precision and layout, by index (compilers from 5.9) or by
 * name, then the compile options. */
char *ovi_npu_build_flags (const OviGraph *graph, gboolean use_indices,
    const char *performance_hint);

/* The extension's name for a precision ("FP32"), NULL when it has none. */
const char *ovi_npu_precision_name (OviDType dtype);

G_END_DECLS

#endif
