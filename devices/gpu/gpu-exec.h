/* The GPU device's executable: a plan's steps, each either launches of
 * our kernels or the CPU kernel with the copies it needs, and what the op
 * groups (gpu-op-*.c) use to describe their launches. */
#ifndef OVI_GPU_EXEC_H
#define OVI_GPU_EXEC_H

#include "gpu-context.h"
#include "plan.h"

G_BEGIN_DECLS

/* One compiled model on one device (device.h's `open`). */
typedef struct {
  OviGpuDevice *dev;
  OviCompileConfig config;
} OviGpuSession;

gpointer ovi_gpu_session_new (OviGpuDevice *dev,
    const OviCompileConfig *config);
void ovi_gpu_session_free (gpointer session);
gpointer ovi_gpu_compile (gpointer session, OviPlan *plan, GError **error);
void ovi_gpu_executable_free (gpointer executable);
gpointer ovi_gpu_request_new (gpointer executable, GError **error);
void ovi_gpu_request_free (gpointer request);
gboolean ovi_gpu_infer (gpointer request, const OviTensorView *inputs,
    OviTensorView *outputs, OviProfileEntry *profile, GError **error);
gboolean ovi_gpu_set_input_image (gpointer request, int input, int batch,
    const OviImage *image, GError **error);

/* For tests and tools: how many of the executable's steps run our
 * kernels (the others run on the CPU), and whether step i does. */
int ovi_gpu_executable_n_gpu_steps (gconstpointer executable);
gboolean ovi_gpu_executable_step_on_gpu (gconstpointer executable, int i);

/* Kernel arguments. A tensor argument becomes two kernel parameters, a
 * buffer and an element offset into it (`__global T *base, int off`):
 * values live in one arena buffer per request and constants in one buffer
 * per executable, so their places are offsets. Aux arrays (shapes,
 * strides) are stored in the constants' buffer. */
typedef enum {
  OVI_GPU_ARG_VALUE,
  OVI_GPU_ARG_AUX,
  OVI_GPU_ARG_INT,
  OVI_GPU_ARG_FLOAT,
  OVI_GPU_ARG_LONG,
  OVI_GPU_ARG_LOCAL,
  OVI_GPU_ARG_SCRATCH,  /* the request's scratch buffer, from its start */
  /* The request's status word and this step's code (`__global int
   * *status, int code`): a kernel that finds bad data (an index out of
   * range) does atomic_cmpxchg (status, 0, code), and the inference
   * fails with an error naming the node. */
  OVI_GPU_ARG_STATUS,
} OviGpuArgKind;

typedef struct {
  OviGpuArgKind kind;
  int value;            /* VALUE: the plan's value index */
  gsize aux;            /* AUX: byte offset in the constants' buffer */
  cl_int i;
  cl_float f;
  cl_long l;
  gsize local_bytes;    /* LOCAL */
} OviGpuArg;

#define OVI_GPU_MAX_ARGS 40

typedef enum {
  OVI_GPU_LAUNCH_KERNEL,
  OVI_GPU_LAUNCH_COPY,   /* clEnqueueCopyBuffer between two values */
} OviGpuLaunchKind;

typedef struct {
  OviGpuLaunchKind kind;
  const char *program;  /* kernels/NAME.cl */
  const char *kernel;
  OviGpuArg args[OVI_GPU_MAX_ARGS];
  int n_args;
  cl_uint work_dim;
  size_t global[3];
  size_t local[3];
  gboolean has_local;
  /* COPY */
  int src, dst;
  gsize bytes;
} OviGpuLaunch;

/* What an op group's builder gets for one step. */
typedef struct {
  const OviGpuSession *session;
  const OviPlan *plan;
  GArray *launches;        /* OviGpuLaunch, this step's */
  GByteArray *aux;         /* the constants' buffer contents */
  gboolean alias;          /* output 0 is input 0's memory (no copy) */
  gsize scratch_bytes;     /* the most any step's launches use */
} OviGpuBuild;

/* A builder adds the step's launches and returns TRUE, or returns FALSE
 * (adding nothing that matters) when it does not support this node's
 * types, shapes or attributes: the CPU then runs it. */
typedef gboolean (*OviGpuBuildFunc) (OviGpuBuild *b, const OviNode *node);

typedef struct {
  const char *op_type;
  OviGpuBuildFunc build;
} OviGpuOp;

extern const OviGpuOp ovi_gpu_ops_elementwise[];
extern const OviGpuOp ovi_gpu_ops_typed[];
extern const OviGpuOp ovi_gpu_ops_movement[];
extern const OviGpuOp ovi_gpu_ops_gemm[];
extern const OviGpuOp ovi_gpu_ops_conv[];
extern const OviGpuOp ovi_gpu_ops_pool[];
extern const OviGpuOp ovi_gpu_ops_softmax[];
extern const OviGpuOp ovi_gpu_ops_norm[];
extern const OviGpuOp ovi_gpu_ops_resize[];
extern const OviGpuOp ovi_gpu_ops_reduce[];
extern const OviGpuOp ovi_gpu_ops_index[];
extern const OviGpuOp ovi_gpu_ops_einsum[];
extern const OviGpuOp ovi_gpu_ops_sample[];
extern const OviGpuOp ovi_gpu_ops_linalg[];
extern const OviGpuOp ovi_gpu_ops_rnn[];
extern const OviGpuOp ovi_gpu_ops_loss[];

/* Builder helpers (gpu-build.c). */
const OviValue *ovi_gpu_value (const OviGpuBuild *b, int v);
/* Input k / output k of the node, NULL when absent. */
const OviValue *ovi_gpu_input (const OviGpuBuild *b, const OviNode *n, int k);
const OviValue *ovi_gpu_output (const OviGpuBuild *b, const OviNode *n,
    int k);
/* TRUE when the value is a float32 tensor a kernel can address. */
gboolean ovi_gpu_is_f32 (const OviGpuBuild *b, int v);
int64_t ovi_gpu_numel (const OviValue *v);
/* TRUE when the value is a static tensor of 1, 2, 4 or 8-byte elements
 * (any type but strings and sequences) that int offsets address. */
gboolean ovi_gpu_is_plain (const OviGpuBuild *b, int v);
void ovi_gpu_row_major (int rank, const int64_t *dims, int *strides);
/* The kernel of `names` (four: for 1, 2, 4 and 8-byte elements) for the
 * value's element size, or for `element_size`: kernels that only move
 * bytes come in those four. */
const char *ovi_gpu_by_size (const OviValue *v, const char *const *names);
const char *ovi_gpu_by_size_of (gsize element_size,
    const char *const *names);
/* Strides of operand x over the axes of the broadcast result y (numpy's
 * rule), 0 where x is broadcast. */
void ovi_gpu_bcast_strides (const OviValue *x, const OviValue *y,
    int *strides);

OviGpuLaunch *ovi_gpu_launch (OviGpuBuild *b, const char *program,
    const char *kernel);
void ovi_gpu_arg_value (OviGpuLaunch *l, int v);
void ovi_gpu_arg_int (OviGpuLaunch *l, int64_t i);
void ovi_gpu_arg_float (OviGpuLaunch *l, float f);
void ovi_gpu_arg_long (OviGpuLaunch *l, int64_t v);
void ovi_gpu_arg_status (OviGpuLaunch *l);
void ovi_gpu_arg_local (OviGpuLaunch *l, gsize bytes);
/* The request's scratch buffer, of at least `bytes` (shared by every
 * step: a step's launches may use it only between their own start and
 * end). */
void ovi_gpu_arg_scratch (OviGpuBuild *b, OviGpuLaunch *l, gsize bytes);
void ovi_gpu_arg_ints (OviGpuBuild *b, OviGpuLaunch *l, const int *v, int n);
void ovi_gpu_arg_floats (OviGpuBuild *b, OviGpuLaunch *l, const float *v,
    int n);
/* One work item per element of a 1-3 dimensional range; with a local
 * size the global size is rounded up to it (kernels check bounds). */
void ovi_gpu_range (OviGpuLaunch *l, cl_uint dim, const size_t *global,
    const size_t *local);
void ovi_gpu_range_1d (OviGpuLaunch *l, int64_t n);
void ovi_gpu_copy (OviGpuBuild *b, int src, int dst, gsize bytes);

/* An ints attribute of exactly `count` values into out, or `def` for
 * each when absent; FALSE when it has another length. */
gboolean ovi_gpu_attr_ints (const OviNode *n, const char *name, int count,
    int64_t def, int64_t *out);

/* Convolution and pooling geometry: 1-D ops run as 2-D ones of height
 * 1. ovi_gpu_as_2d copies a rank-4 value, or a rank-3 one [N, C, L] as
 * [N, C, 1, L]; FALSE for other ranks. ovi_gpu_spatial_ints reads an
 * attribute of `spatial` (1 or 2) values into out[0..1] (height, width;
 * `def` where absent or for a 1-D op's height); ovi_gpu_spatial_pads
 * reads "pads" into out[0..3] (begins then ends, 0 where absent). FALSE
 * when the attribute has the wrong length. */
gboolean ovi_gpu_as_2d (const OviValue *v, OviValue *out);
gboolean ovi_gpu_spatial_ints (const OviNode *n, const char *name,
    int spatial, int64_t def, int64_t *out);
gboolean ovi_gpu_spatial_pads (const OviNode *n, int spatial, int64_t *out);

/* A node as a CPU kernel sees it, for builders that read its parameters
 * through the CPU's own functions (Slice's bounds, Resize's taps, the
 * reduced axes): inputs and outputs with the plan's shapes, and the data
 * of inputs that are constants. */
#define OVI_GPU_CTX_MAX 8
typedef struct {
  OviTensor in[OVI_GPU_CTX_MAX], out[OVI_GPU_CTX_MAX];
  OviTensor *ins[OVI_GPU_CTX_MAX], *outs[OVI_GPU_CTX_MAX];
  OviOpCtx ctx;
} OviGpuOpCtx;

/* FALSE when the node has more than OVI_GPU_CTX_MAX inputs or outputs,
 * or an input after the first that is not a constant (its data would be
 * known only at run time). */
gboolean ovi_gpu_op_ctx (const OviGpuBuild *b, const OviNode *n,
    OviGpuOpCtx *c);
/* The same for builders that read only shapes and attributes: inputs
 * computed at run time have no data (NULL). */
gboolean ovi_gpu_op_ctx_shapes (const OviGpuBuild *b, const OviNode *n,
    OviGpuOpCtx *c);

/* The outputs of a tiled product (kernels/gemm.cl), as its store or
 * gemm_splitk_reduce writes them: Y[z] = act (alpha acc + beta C + R), z
 * over `batch` = outer x groups entries placed by batch_offset. */
typedef struct {
  int c, r, y;                     /* values; c, r -1 when absent */
  int64_t M, N, batch, groups;
  int64_t c_outer, c_inner, scm, scn, y_outer, y_inner;
  float alpha, beta;
  int act;
  float act_a, act_b;
} OviGpuGemmOut;

/* Ends the arguments of the product launch at index `launch` (of `tiles`
 * 64x64 tiles per batch entry, depth K) with its split of K: the scratch,
 * the number of chunks and their length. When the tiles alone would
 * leave the GPU idle, K is split (the launch's third range dimension
 * multiplied) and a gemm_splitk_reduce launch is added after it. */
void ovi_gpu_gemm_split_k (OviGpuBuild *b, guint launch, int64_t tiles,
    int64_t K, const OviGpuGemmOut *out);

G_END_DECLS

#endif
