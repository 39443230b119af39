/* Helpers the op groups describe their launches with (gpu-exec.h). */
#include <string.h>

#include "gpu-exec.h"

const OviValue *
ovi_gpu_value (const OviGpuBuild *b, int v)
{
  return v >= 0 ? ovi_graph_value (b->plan->graph, v) : NULL;
}

const OviValue *
ovi_gpu_input (const OviGpuBuild *b, const OviNode *n, int k)
{
  return k < n->n_inputs ? ovi_gpu_value (b, n->inputs[k]) : NULL;
}

const OviValue *
ovi_gpu_output (const OviGpuBuild *b, const OviNode *n, int k)
{
  return k < n->n_outputs ? ovi_gpu_value (b, n->outputs[k]) : NULL;
}

int64_t
ovi_gpu_numel (const OviValue *v)
{
  return ovi_shape_numel (v->rank, v->dims);
}

gboolean
ovi_gpu_is_f32 (const OviGpuBuild *b, int v)
{
  const OviValue *val = ovi_gpu_value (b, v);
  /* Offsets and indices are int in the kernels. */
  return val && val->dtype == OVI_DTYPE_FLOAT32 && val->rank >= 0
      && !val->dynamic && ovi_gpu_numel (val) <= G_MAXINT32 / 2;
}

OviGpuLaunch *
ovi_gpu_launch (OviGpuBuild *b, const char *program, const char *kernel)
{
  OviGpuLaunch l = { .kind = OVI_GPU_LAUNCH_KERNEL, .program = program,
    .kernel = kernel, .src = -1, .dst = -1 };
  g_array_append_val (b->launches, l);
  return &g_array_index (b->launches, OviGpuLaunch, b->launches->len - 1);
}

static OviGpuArg *
next_arg (OviGpuLaunch *l)
{
  /* A builder with more arguments is a programming error caught by the
   * tests: the extra ones are dropped and the kernel fails to launch. */
  static OviGpuArg sink;
  if (l->n_args >= OVI_GPU_MAX_ARGS) {
    g_warn_if_reached ();
    return &sink;
  }
  return &l->args[l->n_args++];
}

void
ovi_gpu_arg_value (OviGpuLaunch *l, int v)
{
  OviGpuArg *a = next_arg (l);
  a->kind = OVI_GPU_ARG_VALUE;
  a->value = v;
}

void
ovi_gpu_arg_int (OviGpuLaunch *l, int64_t i)
{
  OviGpuArg *a = next_arg (l);
  a->kind = OVI_GPU_ARG_INT;
  a->i = (cl_int) i;
}

void
ovi_gpu_arg_float (OviGpuLaunch *l, float f)
{
  OviGpuArg *a = next_arg (l);
  a->kind = OVI_GPU_ARG_FLOAT;
  a->f = f;
}

void
ovi_gpu_arg_long (OviGpuLaunch *l, int64_t v)
{
  OviGpuArg *a = next_arg (l);
  a->kind = OVI_GPU_ARG_LONG;
  a->l = v;
}

void
ovi_gpu_arg_status (OviGpuLaunch *l)
{
  next_arg (l)->kind = OVI_GPU_ARG_STATUS;
}

void
ovi_gpu_arg_local (OviGpuLaunch *l, gsize bytes)
{
  OviGpuArg *a = next_arg (l);
  a->kind = OVI_GPU_ARG_LOCAL;
  a->local_bytes = bytes;
}

void
ovi_gpu_arg_scratch (OviGpuBuild *b, OviGpuLaunch *l, gsize bytes)
{
  next_arg (l)->kind = OVI_GPU_ARG_SCRATCH;
  b->scratch_bytes = MAX (b->scratch_bytes, bytes);
}

static gsize
append_aux (OviGpuBuild *b, const void *data, gsize bytes)
{
  static const guint8 zero[64];
  gsize at = b->aux->len;
  /* 64-byte aligned like the arena, so every offset divides by any
   * element size. */
  g_byte_array_append (b->aux, data, bytes);
  if (b->aux->len % 64)
    g_byte_array_append (b->aux, zero, 64 - b->aux->len % 64);
  return at;
}

void
ovi_gpu_arg_ints (OviGpuBuild *b, OviGpuLaunch *l, const int *v, int n)
{
  OviGpuArg *a;
  cl_int one = 0;
  gsize at = n > 0 ? append_aux (b, v, n * sizeof (cl_int))
      : append_aux (b, &one, sizeof (one));
  a = next_arg (l);
  a->kind = OVI_GPU_ARG_AUX;
  a->aux = at;
}

void
ovi_gpu_arg_floats (OviGpuBuild *b, OviGpuLaunch *l, const float *v, int n)
{
  OviGpuArg *a;
  cl_float one = 0;
  gsize at = n > 0 ? append_aux (b, v, n * sizeof (cl_float))
      : append_aux (b, &one, sizeof (one));
  a = next_arg (l);
  a->kind = OVI_GPU_ARG_AUX;
  a->aux = at;
}

void
ovi_gpu_range (OviGpuLaunch *l, cl_uint dim, const size_t *global,
    const size_t *local)
{
  l->work_dim = dim;
  l->has_local = local != NULL;
  for (cl_uint d = 0; d < dim; d++) {
    size_t g = MAX (global[d], 1);
    if (local) {
      l->local[d] = local[d];
      g = (g + local[d] - 1) / local[d] * local[d];
    }
    l->global[d] = g;
  }
}

void
ovi_gpu_range_1d (OviGpuLaunch *l, int64_t n)
{
  size_t g = (size_t) n, lo = 256;
  ovi_gpu_range (l, 1, &g, &lo);
}

void
ovi_gpu_copy (OviGpuBuild *b, int src, int dst, gsize bytes)
{
  OviGpuLaunch l = { .kind = OVI_GPU_LAUNCH_COPY, .src = src, .dst = dst,
    .bytes = bytes };
  g_array_append_val (b->launches, l);
}

/* How many chunks to split K into: enough work groups for two per compute
 * unit (OVI_GPU_SPLIT_K_WAVES changes the two, 0 turns splitting off),
 * each chunk at least 128 deep so that its sums outweigh the extra pass,
 * at most 32. */
static int
split_count (const OviGpuBuild *b, int64_t work_groups, int64_t K,
    int64_t *kc)
{
  const char *env = g_getenv ("OVI_GPU_SPLIT_K_WAVES");
  int64_t waves = env ? g_ascii_strtoll (env, NULL, 10) : 2;
  int64_t want = waves * MAX (b->session->dev->compute_units, 1);
  int64_t splits = 1;
  if (work_groups > 0 && work_groups < want)
    splits = MIN (MIN ((want + work_groups - 1) / work_groups, K / 128), 32);
  splits = MAX (splits, 1);
  /* Chunks of whole 16-deep steps; the last may be shorter. */
  *kc = ((K + splits - 1) / splits + 15) / 16 * 16;
  return (int) ((K + *kc - 1) / *kc);
}

void
ovi_gpu_gemm_split_k (OviGpuBuild *b, guint launch, int64_t tiles,
    int64_t K, const OviGpuGemmOut *o)
{
  OviGpuLaunch *l = &g_array_index (b->launches, OviGpuLaunch, launch);
  int64_t kc;
  int splits = split_count (b, tiles * o->batch, K, &kc);
  OviGpuLaunch *r;

  ovi_gpu_arg_scratch (b, l, splits > 1
      ? (gsize) splits * o->batch * o->M * o->N * sizeof (float) : 0);
  ovi_gpu_arg_int (l, splits);
  ovi_gpu_arg_int (l, splits > 1 ? kc : MAX (K, 1));
  if (splits == 1)
    return;
  l->global[2] *= splits;

  r = ovi_gpu_launch (b, "gemm", "gemm_splitk_reduce");
  ovi_gpu_arg_scratch (b, r, 0);
  ovi_gpu_arg_value (r, o->c >= 0 ? o->c : o->y);
  ovi_gpu_arg_value (r, o->r >= 0 ? o->r : o->y);
  ovi_gpu_arg_value (r, o->y);
  ovi_gpu_arg_int (r, o->M);
  ovi_gpu_arg_int (r, o->N);
  ovi_gpu_arg_int (r, o->batch);
  ovi_gpu_arg_int (r, splits);
  ovi_gpu_arg_int (r, o->groups);
  ovi_gpu_arg_int (r, o->c_outer);
  ovi_gpu_arg_int (r, o->c_inner);
  ovi_gpu_arg_int (r, o->scm);
  ovi_gpu_arg_int (r, o->scn);
  ovi_gpu_arg_int (r, o->y_outer);
  ovi_gpu_arg_int (r, o->y_inner);
  ovi_gpu_arg_float (r, o->alpha);
  ovi_gpu_arg_float (r, o->beta);
  ovi_gpu_arg_int (r, o->c >= 0);
  ovi_gpu_arg_int (r, o->r >= 0);
  ovi_gpu_arg_int (r, o->act);
  ovi_gpu_arg_float (r, o->act_a);
  ovi_gpu_arg_float (r, o->act_b);
  ovi_gpu_range_1d (r, o->batch * o->M * o->N);
}

static void
tensor_of (OviTensor *t, const OviValue *v)
{
  memset (t, 0, sizeof (*t));
  t->dtype = v->dtype;
  t->rank = v->rank;
  memcpy (t->dims, v->dims, sizeof (t->dims));
  t->data = v->constant ? v->constant->data : NULL;
}

static gboolean
op_ctx (const OviGpuBuild *b, const OviNode *n, OviGpuOpCtx *c,
    gboolean constants)
{
  if (n->n_inputs > OVI_GPU_CTX_MAX || n->n_outputs > OVI_GPU_CTX_MAX)
    return FALSE;
  memset (c, 0, sizeof (*c));
  for (int k = 0; k < n->n_inputs; k++) {
    const OviValue *v = ovi_gpu_input (b, n, k);
    if (v == NULL)
      continue;
    if (constants && k > 0 && v->constant == NULL)
      return FALSE;
    tensor_of (&c->in[k], v);
    c->ins[k] = &c->in[k];
  }
  for (int k = 0; k < n->n_outputs; k++) {
    const OviValue *v = ovi_gpu_output (b, n, k);
    if (v == NULL)
      continue;
    tensor_of (&c->out[k], v);
    c->outs[k] = &c->out[k];
  }
  c->ctx.node = n;
  c->ctx.opset = b->plan->graph->opset;
  c->ctx.n_inputs = n->n_inputs;
  c->ctx.inputs = c->ins;
  c->ctx.n_outputs = n->n_outputs;
  c->ctx.outputs = c->outs;
  c->ctx.source = b->plan->graph->source;
  return TRUE;
}

gboolean
ovi_gpu_op_ctx (const OviGpuBuild *b, const OviNode *n, OviGpuOpCtx *c)
{
  return op_ctx (b, n, c, TRUE);
}

gboolean
ovi_gpu_op_ctx_shapes (const OviGpuBuild *b, const OviNode *n,
    OviGpuOpCtx *c)
{
  return op_ctx (b, n, c, FALSE);
}

gboolean
ovi_gpu_is_plain (const OviGpuBuild *b, int v)
{
  const OviValue *val = ovi_gpu_value (b, v);
  gsize es;
  if (val == NULL || val->dynamic || val->rank < 0 || val->rank > 8
      || ovi_dtype_is_object (val->dtype))
    return FALSE;
  es = ovi_dtype_size (val->dtype);
  return (es == 1 || es == 2 || es == 4 || es == 8)
      && ovi_gpu_numel (val) <= G_MAXINT32 / 2;
}

void
ovi_gpu_row_major (int rank, const int64_t *dims, int *strides)
{
  int64_t s = 1;
  for (int d = rank - 1; d >= 0; d--) {
    strides[d] = (int) s;
    s *= dims[d];
  }
}

void
ovi_gpu_bcast_strides (const OviValue *x, const OviValue *y, int *strides)
{
  int64_t s = 1;
  int shift = y->rank - x->rank;
  for (int d = y->rank - 1; d >= 0; d--) {
    int xd = d - shift;
    strides[d] = xd < 0 || x->dims[xd] == 1 ? 0 : (int) s;
    if (xd >= 0)
      s *= x->dims[xd];
  }
}

gboolean
ovi_gpu_as_2d (const OviValue *v, OviValue *out)
{
  *out = *v;
  if (v->rank == 4)
    return TRUE;
  if (v->rank != 3)
    return FALSE;
  out->rank = 4;
  out->dims[3] = v->dims[2];
  out->dims[2] = 1;
  return TRUE;
}

gboolean
ovi_gpu_attr_ints (const OviNode *n, const char *name, int count,
    int64_t def, int64_t *out)
{
  const int64_t *v;
  int k = ovi_node_attr_ints (n, name, &v);
  for (int i = 0; i < count; i++)
    out[i] = k == count ? v[i] : def;
  return k < 0 || k == count;
}

gboolean
ovi_gpu_spatial_ints (const OviNode *n, const char *name, int spatial,
    int64_t def, int64_t *out)
{
  int64_t v[2];
  if (spatial < 1 || spatial > 2
      || !ovi_gpu_attr_ints (n, name, spatial, def, v))
    return FALSE;
  out[0] = spatial == 1 ? def : v[0];
  out[1] = v[spatial - 1];
  return TRUE;
}

gboolean
ovi_gpu_spatial_pads (const OviNode *n, int spatial, int64_t *out)
{
  int64_t v[4];
  if (spatial < 1 || spatial > 2
      || !ovi_gpu_attr_ints (n, "pads", 2 * spatial, 0, v))
    return FALSE;
  /* [begins..., ends...]; a 1-D op's height pads are 0. */
  out[0] = spatial == 1 ? 0 : v[0];
  out[1] = v[spatial - 1];
  out[2] = spatial == 1 ? 0 : v[2];
  out[3] = v[2 * spatial - 1];
  return TRUE;
}

const char *
ovi_gpu_by_size_of (gsize element_size, const char *const *names)
{
  switch (element_size) {
    case 1: return names[0];
    case 2: return names[1];
    case 4: return names[2];
    default: return names[3];
  }
}

const char *
ovi_gpu_by_size (const OviValue *v, const char *const *names)
{
  return ovi_gpu_by_size_of (ovi_dtype_size (v->dtype), names);
}
