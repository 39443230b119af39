/* The graph IR every loader builds and every pass rewrites.
 *
 * Values are tensors (graph inputs, initializers, node results) addressed
 * by index; nodes reference them by index, -1 for an omitted optional
 * input. Dimensions unknown until inference are -1; shapes are made
 * concrete per input shape when the model is planned. */
#ifndef OVI_GRAPH_H
#define OVI_GRAPH_H

#include "tensor.h"

G_BEGIN_DECLS

typedef enum {
  OVI_ATTR_FLOAT,
  OVI_ATTR_INT,
  OVI_ATTR_STRING,
  OVI_ATTR_TENSOR,
  OVI_ATTR_FLOATS,
  OVI_ATTR_INTS,
  OVI_ATTR_STRINGS,
  OVI_ATTR_GRAPH,
} OviAttrType;

typedef struct {
  char *name;
  OviAttrType type;
  float f;
  int64_t i;
  char *s;
  OviTensor *t;
  int n;           /* element count of floats / ints / strings */
  float *floats;
  int64_t *ints;
  char **strings;
} OviAttr;

typedef struct {
  char *name;
  OviDType dtype;
  int rank;                     /* -1: rank unknown */
  int64_t dims[OVI_MAX_RANK];   /* -1: dimension unknown */
  OviTensor *constant;          /* initializer or folded result, owned */
  int producer;                 /* node index, -1 for inputs/constants */
  gboolean dynamic;             /* planned: shape known only at run time */
} OviValue;

typedef struct {
  char *name;
  char *op_type;
  char *domain;
  int n_inputs;
  int *inputs;
  int n_outputs;
  int *outputs;
  int n_attrs;
  OviAttr *attrs;
} OviNode;

typedef struct {
  GPtrArray *values;   /* OviValue* */
  GPtrArray *nodes;    /* OviNode* */
  GArray *inputs;      /* int value index, initializers excluded */
  GArray *outputs;     /* int value index */
  int opset;           /* default-domain opset */
  char *source;        /* file name, for error messages */
  /* The file's key/value metadata, NULL when none: an IR's <rt_info>
   * entries by path ("model_info/labels"), ONNX metadata_props. Filled by
   * the loaders, then shared read-only by copies. */
  GHashTable *metadata;
} OviGraph;

OviGraph *ovi_graph_new (void);
void ovi_graph_free (OviGraph *graph);
OviGraph *ovi_graph_copy (const OviGraph *graph);
/* For the loaders: adds or replaces one metadata entry (copied). */
void ovi_graph_set_metadata (OviGraph *graph, const char *key,
    const char *value);

/* Adds a value; its name is copied. Returns its index. */
int ovi_graph_add_value (OviGraph *graph, const char *name, OviDType dtype);
int ovi_graph_find_value (const OviGraph *graph, const char *name);
static inline OviValue *
ovi_graph_value (const OviGraph *graph, int index)
{
  return g_ptr_array_index (graph->values, index);
}
static inline OviNode *
ovi_graph_node (const OviGraph *graph, int index)
{
  return g_ptr_array_index (graph->nodes, index);
}
OviNode *ovi_graph_add_node (OviGraph *graph, const char *op_type,
    const char *name, int n_inputs, const int *inputs, int n_outputs,
    const int *outputs);
void ovi_node_free (OviNode *node);

/* Orders nodes so that producers precede consumers; FALSE on a cycle or a
 * value consumed but never produced. Also fills OviValue.producer. */
gboolean ovi_graph_sort (OviGraph *graph, GError **error);

/* Number of nodes reading value v, plus one if it is a graph output. */
int ovi_graph_count_uses (const OviGraph *graph, int v);
gboolean ovi_graph_is_output (const OviGraph *graph, int v);
/* Replaces every read of value `from` by value `to` (outputs too). */
void ovi_graph_replace_uses (OviGraph *graph, int from, int to);
/* Removes node at index i (freeing it). */
void ovi_graph_remove_node (OviGraph *graph, int i);

/* Attributes. The node owns them; add_* copy their arguments. */
const OviAttr *ovi_node_attr (const OviNode *node, const char *name);
int64_t ovi_node_attr_int (const OviNode *node, const char *name,
    int64_t default_value);
float ovi_node_attr_float (const OviNode *node, const char *name,
    float default_value);
const char *ovi_node_attr_string (const OviNode *node, const char *name,
    const char *default_value);
/* Returns the count, -1 when absent; *values points into the node. */
int ovi_node_attr_ints (const OviNode *node, const char *name,
    const int64_t **values);
int ovi_node_attr_floats (const OviNode *node, const char *name,
    const float **values);
OviAttr *ovi_node_add_attr (OviNode *node, const char *name,
    OviAttrType type);
void ovi_node_set_attr_int (OviNode *node, const char *name, int64_t v);
void ovi_node_set_attr_float (OviNode *node, const char *name, float v);
void ovi_node_set_attr_string (OviNode *node, const char *name,
    const char *v);
void ovi_node_set_attr_ints (OviNode *node, const char *name, int n,
    const int64_t *v);
void ovi_node_set_attr_floats (OviNode *node, const char *name, int n,
    const float *v);
void ovi_node_remove_attr (OviNode *node, const char *name);
void ovi_attr_clear (OviAttr *attr);

G_END_DECLS

#endif
