/* What the OpenVINO IR reader and writer files share; ir.h is what the
 * rest of the engine sees.
 *
 * Reading: ir-xml.c parses the .xml into an OviIrModel (layers, ports,
 * edges, <data> attributes); ir-graph.c checks ids, ports, edges and
 * Const ranges and builds the graph, handing each layer to the mapping
 * that the ir-import-*.c tables name for its type (mappings build nodes
 * with the toolkit in ir-import.c); ir-fuse.c folds compressed weights
 * and biases back; ir-loader.c is the entry point.
 *
 * Writing: ir-writer.c plans the graph and walks it; each node goes to
 * the mapping that the ir-export-*.c tables name for its op type
 * (mappings read nodes with ir-export.c and write layers, ports and .bin
 * data with ir-emit.c).
 *
 * ir-format.c holds the spellings both directions share. */
#ifndef OVI_IR_PRIVATE_H
#define OVI_IR_PRIVATE_H

#include "ir.h"

G_BEGIN_DECLS

/* Ports per layer and direction a file may declare. */
#define OVI_IR_MAX_PORTS 1024

/* ------------------------------------------------------------------ */
/* Spellings (ir-format.c)                                             */

/* Either spelling (element_type "f32" or precision "FP32"). */
OviDType ovi_ir_parse_type (const char *s);
/* "f32"...; NULL for a type IR cannot hold. */
const char *ovi_ir_element_type (OviDType t);
/* "FP32"...; "UNSPECIFIED" for a type IR cannot hold. */
const char *ovi_ir_precision (OviDType t);

gboolean ovi_ir_parse_int (const char *s, int64_t *out);
gboolean ovi_ir_parse_double (const char *s, double *out);
gboolean ovi_ir_parse_dim (const char *s, int64_t *out);
gboolean ovi_ir_parse_shape (const char *s, int *rank, int64_t *dims);

/* Port tensor names: a comma separated list, "\," inside a name. */
char *ovi_ir_first_port_name (const char *names);
void ovi_ir_append_port_names (GString *s, const char *name);

/* The weights file beside path.xml: path.bin. */
char *ovi_ir_bin_path (const char *xml_path);

/* ------------------------------------------------------------------ */
/* The parsed .xml (ir-xml.c)                                          */

typedef struct {
  int id;
  OviDType dtype;
  int rank;                     /* number of <dim>, -1 when too many */
  int64_t dims[OVI_MAX_RANK];
  char *names;                  /* raw "names" attribute */
  int value;                    /* value index (inputs: the source's) */
  int uses;                     /* output ports: edges leaving it */
} OviIrPort;

typedef struct {
  int id;
  char *name;
  char *type;
  char *version;
  GPtrArray *keys;              /* <data> attribute names */
  GPtrArray *vals;              /* and their values */
  GArray *in;                   /* OviIrPort */
  GArray *out;                  /* OviIrPort */
} OviIrLayer;

typedef struct {
  int from_layer, from_port, to_layer, to_port;
} OviIrEdge;

typedef struct {
  GPtrArray *layers;            /* OviIrLayer*, in file order */
  GArray *edges;                /* OviIrEdge */
  GHashTable *rt_info;          /* the net's <rt_info>: path -> value */
} OviIrModel;

/* Checks the structure only (element nesting, ids, counts); what the
 * ids refer to is checked when the graph is built. */
OviIrModel *ovi_ir_model_parse (const char *xml, gsize xml_size,
    const char *source, GError **error);
void ovi_ir_model_free (OviIrModel *model);

/* A <data> attribute of the layer, NULL when absent. */
const char *ovi_ir_layer_attr (const OviIrLayer *layer, const char *key);

/* ------------------------------------------------------------------ */
/* Building the graph (ir-graph.c, ir-fuse.c)                          */

typedef struct {
  const char *source;
  OviGraph *graph;
  const guint8 *bin;
  gsize bin_size;
  gsize const_bytes;            /* copied out of the weights so far */
  GHashTable *names;            /* value names in use */
  int tmp_counter;
} OviIrBuilder;

OviGraph *ovi_ir_graph_build (const OviIrModel *model, const guint8 *bin,
    gsize bin_size, const char *source, GError **error);

/* How many more bytes constants may take. */
guint64 ovi_ir_const_budget (const OviIrBuilder *b);

void ovi_ir_fold_weight_casts (OviIrBuilder *b);
void ovi_ir_fuse_biases (OviIrBuilder *b);

/* ------------------------------------------------------------------ */
/* IR layer -> ONNX nodes (ir-import.c, ir-import-*.c)                 */

typedef struct OviIrImportOp OviIrImportOp;

/* What a mapping sees: one layer, its inputs and outputs as values. */
typedef struct {
  OviIrBuilder *b;
  OviIrLayer *layer;
  const OviIrImportOp *op;      /* the table entry that chose it */
  int version;                  /* N of "opsetN" */
  int n_in;
  int *in;                      /* value per input port, in order */
  int n_out;
  int *out;                     /* value per output port */
  int n_nodes;
} OviIrImport;

typedef gboolean (*OviIrImportFunc) (OviIrImport *c, GError **error);

struct OviIrImportOp {
  const char *type;             /* IR operation */
  OviIrImportFunc import;
  int min_version;              /* oldest opset version handled */
  /* For mappings shared by several types: */
  const char *onnx;             /* the ONNX op it becomes */
  int n_inputs;
  gboolean broadcast;           /* has auto_broadcast */
};

/* NULL-terminated tables, one per family. */
extern const OviIrImportOp ovi_ir_import_elementwise[];
extern const OviIrImportOp ovi_ir_import_shape[];
extern const OviIrImportOp ovi_ir_import_index[];
extern const OviIrImportOp ovi_ir_import_conv_pool[];
extern const OviIrImportOp ovi_ir_import_norm_reduce[];
extern const OviIrImportOp ovi_ir_import_misc[];

const OviIrImportOp *ovi_ir_import_find (const char *type);

/* Errors name the source, layer and type. */
gboolean ovi_ir_layer_error (const char *source, const OviIrLayer *layer,
    GError **error, int code, const char *format, ...) G_GNUC_PRINTF (5, 6);
gboolean ovi_ir_fail (OviIrImport *c, GError **error, int code,
    const char *format, ...) G_GNUC_PRINTF (4, 5);

/* <data> attributes. */
gboolean ovi_ir_attr_int (OviIrImport *c, const char *key, gboolean required,
    int64_t def, int64_t *out, GError **error);
gboolean ovi_ir_attr_float (OviIrImport *c, const char *key,
    gboolean required, double def, double *out, GError **error);
gboolean ovi_ir_attr_bool (OviIrImport *c, const char *key, gboolean def,
    gboolean *out, GError **error);
const char *ovi_ir_attr_str (OviIrImport *c, const char *key,
    const char *def);
gboolean ovi_ir_attr_ints (OviIrImport *c, const char *key, int *n,
    int64_t **out, GError **error);
gboolean ovi_ir_attr_ints_fixed (OviIrImport *c, const char *key,
    gboolean required, int max, int *n, int64_t *out, GError **error);

/* Inputs and outputs. */
OviIrPort *ovi_ir_out_port (OviIrImport *c, int k);
OviValue *ovi_ir_value (OviIrImport *c, int v);
OviDType ovi_ir_in_dtype (OviIrImport *c, int k);
int ovi_ir_in_rank (OviIrImport *c, int k);
const int64_t *ovi_ir_in_dims (OviIrImport *c, int k);
const OviTensor *ovi_ir_in_const (OviIrImport *c, int k);
OviDType ovi_ir_out_dtype (OviIrImport *c, int k);
gboolean ovi_ir_const_ints (OviIrImport *c, int k, const char *what,
    int max, int *n, int64_t *out, GError **error);
gboolean ovi_ir_const_scalar_int (OviIrImport *c, int k, const char *what,
    int64_t *out, GError **error);
gboolean ovi_ir_const_scalar_float (OviIrImport *c, int k,
    const char *what, double *out, GError **error);
gboolean ovi_ir_check_io (OviIrImport *c, int min_in, int max_in,
    int min_out, int max_out, GError **error);
gboolean ovi_ir_check_broadcast (OviIrImport *c, GError **error);

/* Values and nodes. */
int ovi_ir_new_value (OviIrImport *c, OviDType dtype);
int ovi_ir_new_const (OviIrImport *c, OviTensor *t);
int ovi_ir_const_i64 (OviIrImport *c, int n, const int64_t *v,
    gboolean scalar);
int ovi_ir_const_scalar (OviIrImport *c, OviDType dtype, double v,
    gboolean one_d);
void ovi_ir_store_saturated (OviTensor *t, int64_t i, double v);
OviNode *ovi_ir_add_node (OviIrImport *c, const char *op, int n_in,
    const int *ins, int n_out, const int *outs);
int ovi_ir_node1 (OviIrImport *c, const char *op, int out, OviDType dtype,
    int n_in, ...);
OviNode *ovi_ir_last_node (OviIrImport *c);
int ovi_ir_cast (OviIrImport *c, int v, OviDType to, int out);
int ovi_ir_to_i64 (OviIrImport *c, int v);
int ovi_ir_to_1d (OviIrImport *c, int v, int rank);
int ovi_ir_axes_input (OviIrImport *c, int k);

/* ------------------------------------------------------------------ */
/* ONNX node -> IR layers (ir-emit.c, ir-export.c, ir-export-*.c)      */

/* An IR output port and what flows out of it. */
typedef struct {
  int layer;                    /* -1: nothing yet */
  int port;
  OviDType dtype;
  int rank;                     /* -1: unknown */
  int64_t dims[OVI_MAX_RANK];
  const char *name;             /* tensor name on that port, if any */
} OviIrTap;

typedef struct OviIrExportOp OviIrExportOp;

typedef struct {
  const OviGraph *g;            /* the plan's graph */
  int opset;
  GString *layers;
  GString *edges;
  GByteArray *bin;
  int next_id;
  int n_renamed;
  OviIrTap *taps;               /* per value */
  GHashTable *layer_names;
  const OviNode *node;          /* being written */
  const OviIrExportOp *op;      /* its table entry */
  int n_sub;                    /* layers written for it so far */
  GError *err;                  /* first internal failure */
} OviIrWriter;

typedef gboolean (*OviIrExportFunc) (OviIrWriter *w, const OviNode *n,
    GError **error);

struct OviIrExportOp {
  const char *op_type;          /* ONNX operation */
  OviIrExportFunc export;
  /* For mappings shared by several ops: */
  const char *ir;               /* the IR layer type it becomes */
  const char *version;          /* and its opset */
};

/* NULL-terminated tables, one per family. */
extern const OviIrExportOp ovi_ir_export_elementwise[];
extern const OviIrExportOp ovi_ir_export_shape[];
extern const OviIrExportOp ovi_ir_export_index[];
extern const OviIrExportOp ovi_ir_export_conv_pool[];
extern const OviIrExportOp ovi_ir_export_norm_reduce[];
extern const OviIrExportOp ovi_ir_export_misc[];

/* Post-ops fused into a Conv (passes/fuse-postops.c): whether the node
 * has any, and the layers after its result y, the last one ending the
 * node (ir-export-postops.c). */
gboolean ovi_ir_node_has_postops (const OviNode *n);
gboolean ovi_ir_emit_postops (OviIrWriter *w, const OviNode *n, OviIrTap y,
    GError **error);

/* Writes the layers of one node. */
gboolean ovi_ir_export_node (OviIrWriter *w, const OviNode *n,
    GError **error);

/* Reading the node. */
gboolean ovi_ir_node_fail (OviIrWriter *w, const OviNode *n, GError **error,
    int code, const char *format, ...) G_GNUC_PRINTF (5, 6);
gboolean ovi_ir_node_unsupported (OviIrWriter *w, const OviNode *n,
    GError **error, const char *what);
gboolean ovi_ir_node_has_in (const OviNode *n, int k);
gboolean ovi_ir_node_has_out (const OviNode *n, int k);
OviIrTap ovi_ir_node_in (OviIrWriter *w, const OviNode *n, int k);
const OviTensor *ovi_ir_node_in_const (OviIrWriter *w, const OviNode *n,
    int k);
const OviValue *ovi_ir_node_in_value (OviIrWriter *w, const OviNode *n,
    int k);
OviIrTap ovi_ir_node_out_shape (OviIrWriter *w, const OviNode *n, int k);
gboolean ovi_ir_node_ints (OviIrWriter *w, const OviNode *n,
    const char *attr, int k, int max, int *count, int64_t *out,
    GError **error);
int ovi_ir_norm_axis (int64_t axis, int rank);

/* <data> attributes, appended to a string the layer then takes. */
GString *ovi_ir_data_new (void);
GString *ovi_ir_data_numpy (void);
void ovi_ir_data_str (GString *d, const char *key, const char *value);
void ovi_ir_data_int (GString *d, const char *key, int64_t v);
void ovi_ir_data_bool (GString *d, const char *key, gboolean v);
void ovi_ir_data_ints (GString *d, const char *key, int n,
    const int64_t *v);
void ovi_ir_data_float (GString *d, const char *key, double v);

/* Taps. */
OviIrTap ovi_ir_shape_tap (OviDType t, int rank, const int64_t *dims);
OviIrTap ovi_ir_value_shape (OviIrWriter *w, int v);
OviIrTap ovi_ir_value_tap (OviIrWriter *w, int v);
void ovi_ir_alias (OviIrWriter *w, const OviNode *n, int k, OviIrTap t);

/* Layers. */
void ovi_ir_emit_named (OviIrWriter *w, const char *type,
    const char *version, const char *name, GString *data, int n_in,
    const OviIrTap *ins, int n_out, OviIrTap *outs,
    const char *const *names);
void ovi_ir_emit (OviIrWriter *w, const char *type, const char *version,
    GString *data, int n_in, const OviIrTap *ins, int n_out,
    OviIrTap *outs, const char *const *names);
OviIrTap ovi_ir_emit_op (OviIrWriter *w, const char *type,
    const char *version, GString *data, int n_in, const OviIrTap *ins,
    OviIrTap out);
OviIrTap ovi_ir_emit_op1 (OviIrWriter *w, const char *type,
    const char *version, GString *data, OviIrTap a, OviIrTap out);
OviIrTap ovi_ir_emit_op2 (OviIrWriter *w, const char *type,
    const char *version, GString *data, OviIrTap a, OviIrTap b,
    OviIrTap out);
OviIrTap ovi_ir_emit_binary (OviIrWriter *w, const char *type, OviIrTap a,
    OviIrTap b, OviDType out_type);
OviIrTap ovi_ir_emit_convert (OviIrWriter *w, OviIrTap x, OviDType to);
void ovi_ir_emit_final (OviIrWriter *w, const OviNode *n, const char *type,
    const char *version, GString *data, int n_in, const OviIrTap *ins,
    int n_out, OviIrTap *outs);
void ovi_ir_emit_final_out (OviIrWriter *w, const OviNode *n, int k,
    const char *type, const char *version, GString *data, int n_in,
    const OviIrTap *ins);
OviIrTap ovi_ir_emit_reshaped (OviIrWriter *w, int v, int rank,
    const int64_t *dims);

/* Constants, packed into the .bin. */
OviIrTap ovi_ir_emit_const (OviIrWriter *w, OviDType t, int rank,
    const int64_t *dims, const void *data, const char *name);
OviIrTap ovi_ir_emit_i64s (OviIrWriter *w, int n, const int64_t *v);
OviIrTap ovi_ir_emit_i64 (OviIrWriter *w, int64_t v);
OviIrTap ovi_ir_emit_scalar (OviIrWriter *w, OviDType t, double v,
    gboolean one_d);

G_END_DECLS

#endif
