/* Op definitions: the device-neutral half of every op.
 *
 * An op's infer function reads the node's attributes and its inputs'
 * types and shapes, checks them, and sets each output's dtype and shape.
 * An input's data is present when it is constant (initializer, folded) or
 * at run time; an op whose output shape depends on data it has not got
 * returns OVI_INFER_NEED_DATA and is then shaped at run time instead.
 *
 * Devices implement the compute half (devices/cpu/op-*.c) against the
 * same OviOpCtx. */
#ifndef OVI_OPS_H
#define OVI_OPS_H

#include "graph.h"

G_BEGIN_DECLS

typedef struct {
  const OviNode *node;
  int opset;
  int n_inputs;
  OviTensor **inputs;    /* NULL entry: omitted optional input */
  int n_outputs;
  OviTensor **outputs;   /* NULL entry: unused optional output */
  const char *source;    /* file name, for error messages */
  gpointer state;        /* a device kernel's prepared state, if any */
  /* Temporary memory for the kernel while it runs (its scratch size);
   * part of the request's arena, so inferences allocate nothing. */
  void *scratch;
  gsize scratch_size;
  int max_threads;       /* the most threads the kernel may run on */
  /* Set by a kernel's prepare: the constant inputs (bit k: input k) it
   * keeps in its own form and whose data its run never reads, so a plan
   * may free them (OVI_PLAN_RELEASE_PACKED). */
  guint32 packed_inputs;
} OviOpCtx;

typedef enum {
  OVI_INFER_OK,
  OVI_INFER_NEED_DATA,
  OVI_INFER_ERROR,
} OviInferResult;

typedef OviInferResult (*OviInferFunc) (OviOpCtx *ctx, GError **error);

typedef struct {
  const char *name;
  OviInferFunc infer;
  /* Non-deterministic ops (random) must not be constant-folded. */
  gboolean no_fold;
} OviOpDef;

/* NULL when the op is unknown. */
const OviOpDef *ovi_op_find (const char *domain, const char *op_type);

/* String tensors and sequences: only the ops of the object tables
 * (op-string.c, op-sequence.c) may read them, which keeps byte-copying
 * kernels away from pointer arrays. ovi_op_object_type says whether a node
 * handles such values (an input of those types, a cast to string, a string
 * Constant): OVI_DTYPE_STRING or OVI_DTYPE_SEQUENCE, else UNDEFINED.
 * ovi_op_find_for picks the definition for the node accordingly: the
 * object table's when it does (NULL when that op has no variant there),
 * else ovi_op_find's. ovi_op_find also finds the ops defined only in the
 * object tables (SequenceAt, StringNormalizer, ...). */
OviDType ovi_op_object_type (const OviNode *node, OviTensor *const *inputs,
    int n_inputs);
const OviOpDef *ovi_op_find_object (const char *domain, const char *op_type);
const OviOpDef *ovi_op_find_for (const OviNode *node,
    OviTensor *const *inputs, int n_inputs);
/* StringNormalizer's stop-word filter, shared by its shape inference and
 * its kernel: marks the elements of x kept (keep may be NULL) and returns
 * how many. */
int64_t ovi_string_normalizer_keep (const OviNode *node, const OviTensor *x,
    gboolean *keep);

/* The depthwise half of an OviPointwiseDepthwise node (passes.h) as a
 * Conv's context: ctx with inputs { the 1x1's output [N, M, H, W] (mid,
 * float32, shape only), the depthwise's W and B }, in the caller's mid,
 * inputs[3] and dw. Reads inputs 0, 1, 3 and 4 of ctx. */
void ovi_op_pointwise_depthwise_half (OviOpCtx *ctx, OviTensor *mid,
    OviTensor **inputs, OviOpCtx *dw);

/* Helpers for infer functions. */
static inline OviTensor *
ovi_op_input (OviOpCtx *ctx, int i)
{
  return i < ctx->n_inputs ? ctx->inputs[i] : NULL;
}
static inline OviTensor *
ovi_op_output (OviOpCtx *ctx, int i)
{
  return i < ctx->n_outputs ? ctx->outputs[i] : NULL;
}
/* Sets an output's type and shape; a NULL (unused) output is skipped. */
void ovi_op_set_output (OviOpCtx *ctx, int i, OviDType dtype, int rank,
    const int64_t *dims);
/* Sets an error naming the file, the node and its op. Returns
 * OVI_INFER_ERROR so callers can `return ovi_op_error (...)`. */
OviInferResult ovi_op_error (OviOpCtx *ctx, GError **error, int code,
    const char *format, ...) G_GNUC_PRINTF (4, 5);
/* Checks input count bounds; sets an error otherwise. */
gboolean ovi_op_check_inputs (OviOpCtx *ctx, int min, int max,
    GError **error);
/* Normalizes a possibly negative axis; FALSE when out of range. */
gboolean ovi_op_axis (int64_t axis, int rank, int *out);
/* Reads an integer vector input (int32/int64) whose data is known. */
gboolean ovi_op_read_ints (const OviTensor *t, int max, int *n,
    int64_t *out);

/* Broadcasts all inputs; the output takes input 0's type. */
OviInferResult ovi_infer_broadcast_checked (OviOpCtx *ctx, GError **error);

gboolean ovi_prelu_legacy_slope (const OviOpCtx *ctx);

/* Slice's first index, step and element count per input axis, from its
 * attributes (opset < 10) or constant inputs; shared by the shape
 * inference and device kernels. */
OviInferResult ovi_slice_params (OviOpCtx *ctx, int64_t *start,
    int64_t *step, int64_t *count, GError **error);

/* Op groups: each file in inference/ops/ defines one table ending with
 * a {NULL} entry, listed in op-registry.c. */
extern const OviOpDef ovi_ops_elementwise[];
extern const OviOpDef ovi_ops_shape[];
extern const OviOpDef ovi_ops_conv[];
extern const OviOpDef ovi_ops_pool[];
extern const OviOpDef ovi_ops_norm[];
extern const OviOpDef ovi_ops_reduce[];
extern const OviOpDef ovi_ops_index[];
extern const OviOpDef ovi_ops_misc[];
extern const OviOpDef ovi_ops_quant[];
/* Object tables (see ovi_op_find_for). */
extern const OviOpDef ovi_ops_sequence[];
extern const OviOpDef ovi_ops_string[];

G_END_DECLS

#endif
