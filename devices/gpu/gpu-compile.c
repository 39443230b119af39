/* The GPU executable: compile walks the plan's steps and asks the op
 * groups (gpu-op-*.c) for launches of our kernels; a step they do not
 * cover (types, attributes, a dynamic shape) keeps its CPU kernel,
 * already bound and prepared by the plan. Constants the kernels read, and
 * the kernels' small parameter arrays, go into one device buffer per
 * executable, uploaded once. */
#include <string.h>

#include "gpu-exec-private.h"

static const OviGpuOp *const op_groups[] = {
  ovi_gpu_ops_elementwise,
  ovi_gpu_ops_typed,
  ovi_gpu_ops_movement,
  ovi_gpu_ops_gemm,
  ovi_gpu_ops_conv,
  ovi_gpu_ops_pool,
  ovi_gpu_ops_softmax,
  ovi_gpu_ops_norm,
  ovi_gpu_ops_resize,
  ovi_gpu_ops_reduce,
  ovi_gpu_ops_index,
  ovi_gpu_ops_einsum,
  ovi_gpu_ops_sample,
  ovi_gpu_ops_linalg,
  ovi_gpu_ops_rnn,
  ovi_gpu_ops_loss,
};

gpointer
ovi_gpu_session_new (OviGpuDevice *dev, const OviCompileConfig *config)
{
  OviGpuSession *s = g_new0 (OviGpuSession, 1);
  s->dev = dev;
  s->config = *config;
  return s;
}

void
ovi_gpu_session_free (gpointer session)
{
  g_free (session);
}

/* Names the ops left to the CPU (G_MESSAGES_DEBUG=ovi shows it): what a
 * user tuning a model for the GPU, or a survey of the conformance suite,
 * needs to see. */
static void
log_fallbacks (const GpuExecutable *exe, const OviPlan *plan)
{
  GString *ops;
  /* The list is built only when the message would be shown. */
  if (exe->n_gpu_steps == plan->n_steps
      || g_log_writer_default_would_drop (G_LOG_LEVEL_DEBUG, G_LOG_DOMAIN))
    return;
  ops = g_string_new (NULL);
  for (int s = 0; s < plan->n_steps; s++) {
    const char *op = plan->steps[s].node->op_type;
    char *word = g_strdup_printf (" %s,", op);
    if (!exe->steps[s].on_gpu && !strstr (ops->str, word))
      g_string_append (ops, word);
    g_free (word);
  }
  g_string_truncate (ops, ops->len - 1);
  g_debug ("%s: %d of %d steps on the CPU fallback:%s",
      plan->graph->source ? plan->graph->source : "model",
      plan->n_steps - exe->n_gpu_steps, plan->n_steps, ops->str);
  g_string_free (ops, TRUE);
}

/* Builds a step's launches with the first group whose builder for the
 * node's op takes it: groups can split an op between them by type
 * (elementwise.cl's float32 Add, typed.cl's integer one). FALSE when none
 * does, and the CPU runs the node. */
static gboolean
build_step (OviGpuBuild *b, const OviNode *n)
{
  guint aux_len = b->aux->len;
  /* A refusing builder may have asked for scratch memory already. */
  gsize scratch_bytes = b->scratch_bytes;
  if (n->domain[0] && strcmp (n->domain, "ai.onnx") != 0)
    return FALSE;
  for (guint g = 0; g < G_N_ELEMENTS (op_groups); g++)
    for (const OviGpuOp *op = op_groups[g]; op->op_type; op++) {
      if (strcmp (op->op_type, n->op_type) != 0)
        continue;
      g_array_set_size (b->launches, 0);
      g_byte_array_set_size (b->aux, aux_len);
      b->scratch_bytes = scratch_bytes;
      b->alias = FALSE;
      if (op->build (b, n))
        return TRUE;
    }
  g_byte_array_set_size (b->aux, aux_len);
  b->scratch_bytes = scratch_bytes;
  return FALSE;
}

/* Build options: FP32 everywhere for now (see docs/devices.md). OpenCL
 * lets x / y and sqrt be 2.5 and 3 ulp off unless asked for correct
 * rounding, which NVIDIA's driver then uses: a quotient that rounds to a
 * neighbour changes what Round, Floor or a Cast to integers make of it
 * (ONNX's DynamicQuantizeLinear test gave 25 for 26 on an H100), so
 * ask wherever the device can. */
const char *
ovi_gpu_build_options (const GpuExecutable *exe)
{
  return exe->session->dev->exact_divide
      ? "-cl-std=CL1.2 -cl-fp32-correctly-rounded-divide-sqrt"
      : "-cl-std=CL1.2";
}

void
ovi_gpu_executable_free (gpointer executable)
{
  GpuExecutable *exe = executable;
  if (exe == NULL)
    return;
  for (int s = 0; exe->steps && s < exe->plan->n_steps; s++)
    g_free (exe->steps[s].launches);
  g_free (exe->steps);
  if (exe->constants)
    clReleaseMemObject (exe->constants);
  g_free (exe->const_offset);
  g_free (exe->input_index);
  g_free (exe->programs);
  g_free (exe);
}

/* A constant read by a step goes into the constants' buffer, once. */
static void
place_constant (GpuExecutable *exe, OviGpuBuild *b, int v)
{
  static const guint8 zero[64];
  const OviValue *val;
  if (v < 0 || exe->plan->storage[v] != OVI_STORAGE_CONSTANT
      || exe->const_offset[v] != G_MAXSIZE)
    return;
  val = ovi_graph_value (exe->plan->graph, v);
  exe->const_offset[v] = b->aux->len;
  g_byte_array_append (b->aux, val->constant->data,
      ovi_tensor_nbytes (val->constant));
  if (b->aux->len % 64)
    g_byte_array_append (b->aux, zero, 64 - b->aux->len % 64);
}

static void
place_constants (GpuExecutable *exe, OviGpuBuild *b, const GpuStep *step)
{
  for (int i = 0; i < step->n_launches; i++) {
    const OviGpuLaunch *l = &step->launches[i];
    if (l->kind == OVI_GPU_LAUNCH_COPY)
      place_constant (exe, b, l->src);
    for (int a = 0; a < l->n_args; a++)
      if (l->args[a].kind == OVI_GPU_ARG_VALUE)
        place_constant (exe, b, l->args[a].value);
  }
}

gpointer
ovi_gpu_compile (gpointer session, OviPlan *plan, GError **error)
{
  OviGpuSession *sess = session;
  GpuExecutable *exe = g_new0 (GpuExecutable, 1);
  const OviGraph *g = plan->graph;
  int nv = g->values->len;
  OviGpuBuild b = { .session = sess, .plan = plan };
  cl_context ctx = ovi_gpu_device_context (sess->dev, error);
  int k = 0;

  if (ctx == NULL) {
    g_free (exe);
    return NULL;
  }
  exe->session = sess;
  exe->plan = plan;
  exe->steps = g_new0 (GpuStep, MAX (plan->n_steps, 1));
  exe->const_offset = g_new (gsize, MAX (nv, 1));
  exe->input_index = g_new (int, MAX (nv, 1));
  for (int v = 0; v < nv; v++) {
    exe->const_offset[v] = G_MAXSIZE;
    exe->input_index[v] = -1;
  }
  for (guint i = 0; i < g->inputs->len; i++)
    exe->input_index[g_array_index (g->inputs, int, i)] = i;
  b.launches = g_array_new (FALSE, TRUE, sizeof (OviGpuLaunch));
  b.aux = g_byte_array_new ();

  for (int s = 0; s < plan->n_steps; s++) {
    const OviPlanStep *ps = &plan->steps[s];
    GpuStep *step = &exe->steps[s];
    if (ps->dynamic || !build_step (&b, ps->node))
      continue;
    step->on_gpu = TRUE;
    step->alias = b.alias;
    step->n_launches = b.launches->len;
    step->launches = g_memdup2 (b.launches->data,
        sizeof (OviGpuLaunch) * MAX (b.launches->len, 1));
    exe->n_gpu_steps++;
    exe->n_launches += step->n_launches;
    for (guint i = 0; i < b.launches->len; i++) {
      const OviGpuLaunch *l = &g_array_index (b.launches, OviGpuLaunch, i);
      for (int a = 0; a < l->n_args; a++)
        step->checks |= l->args[a].kind == OVI_GPU_ARG_STATUS;
    }
    exe->checks |= step->checks;
    place_constants (exe, &b, step);
  }
  g_array_free (b.launches, TRUE);
  exe->scratch_bytes = b.scratch_bytes;
  log_fallbacks (exe, plan);

  /* Programs, built (or loaded from the disk cache) once per device. */
  exe->programs = g_new0 (cl_program, MAX (exe->n_launches, 1));
  for (int s = 0; s < plan->n_steps; s++) {
    for (int i = 0; i < exe->steps[s].n_launches; i++, k++) {
      const OviGpuLaunch *l = &exe->steps[s].launches[i];
      if (l->kind != OVI_GPU_LAUNCH_KERNEL)
        continue;
      exe->programs[k] = ovi_gpu_program_get (sess->dev, l->program,
          ovi_gpu_build_options (exe), error);
      if (exe->programs[k] == NULL)
        goto fail;
    }
  }
  if (b.aux->len > 0) {
    cl_int err;
    exe->constants = clCreateBuffer (ctx, CL_MEM_READ_ONLY
        | CL_MEM_COPY_HOST_PTR, b.aux->len, b.aux->data, &err);
    if (exe->constants == NULL) {
      ovi_gpu_set_error (error, "uploading constants", err);
      goto fail;
    }
  }
  g_byte_array_free (b.aux, TRUE);
  return exe;
fail:
  g_byte_array_free (b.aux, TRUE);
  ovi_gpu_executable_free (exe);
  return NULL;
}

int
ovi_gpu_executable_n_gpu_steps (gconstpointer executable)
{
  return ((const GpuExecutable *) executable)->n_gpu_steps;
}

gboolean
ovi_gpu_executable_step_on_gpu (gconstpointer executable, int i)
{
  const GpuExecutable *exe = executable;
  return i >= 0 && i < exe->plan->n_steps && exe->steps[i].on_gpu;
}
