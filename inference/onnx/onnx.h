/* ONNX loader: ModelProto and TensorProto from the protobuf wire format
 * (our own reader, no libprotobuf) into the graph IR. */
#ifndef OVI_ONNX_H
#define OVI_ONNX_H

#include "graph.h"

G_BEGIN_DECLS

/* Parses a TensorProto. base_dir resolves external data (NULL forbids it).
 * *name receives the tensor's name when name is not NULL. */
OviTensor *ovi_onnx_parse_tensor (const guint8 *data, gsize size,
    const char *base_dir, char **name, GError **error);

/* Parses a ModelProto. source names the file in errors. */
OviGraph *ovi_onnx_parse_model (const guint8 *data, gsize size,
    const char *source, const char *base_dir, GError **error);

G_END_DECLS

#endif
