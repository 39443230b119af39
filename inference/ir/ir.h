/* OpenVINO IR v11: reading (.xml through GMarkup, weights from .bin) into
 * the graph IR, and writing the graph IR back out as IR v11. */
#ifndef OVI_IR_H
#define OVI_IR_H

#include "graph.h"

G_BEGIN_DECLS

/* Parses IR v11 from memory. `bin` may be NULL when the model has no
 * Const data. source names the file in errors. */
OviGraph *ovi_ir_parse (const char *xml, gsize xml_size, const guint8 *bin,
    gsize bin_size, const char *source, GError **error);

/* Loads path.xml and the .bin beside it (same name, .bin extension). */
OviGraph *ovi_ir_load (const char *xml_path, GError **error);

/* Writes the graph as IR v11: xml_path and the .bin beside it. Fails with
 * OVI_ERROR_UNSUPPORTED naming the node for ops IR cannot express. */
gboolean ovi_ir_write (const OviGraph *graph, const char *xml_path,
    GError **error);

/* The same IR in memory: the .xml text and the .bin weights, for
 * consumers that take both as buffers (the NPU driver's graph extension).
 * Graphs already planned with fused post-ops (plan->graph) are written
 * back as the standard layers the post-ops stand for. */
gboolean ovi_ir_serialize (const OviGraph *graph, GString **xml,
    GByteArray **bin, GError **error);

G_END_DECLS

#endif
