/* The GPU executable and its requests.
 *
 * Compile walks the plan's steps and asks the op groups for launches of
 * our kernels; a step they do not cover (types, attributes, a dynamic
 * shape) keeps its CPU kernel, already bound and prepared by the plan.
 * Constants the kernels read, and the kernels' small parameter arrays, go
 * into one device buffer per executable, uploaded once.
 *
 * A request has one device arena laid out exactly like the plan's host
 * arena (the plan's offsets and value lifetimes, views aliased), one
 * buffer per graph input, and a host arena for the steps the CPU runs.
 * Each value records where its current data is (device, host or both):
 * a step gets its inputs copied to its side only when they are not there
 * yet, so consecutive GPU steps never touch the host and consecutive CPU
 * steps never touch the device. Kernels and their arguments are set once
 * per request: an inference only writes inputs, enqueues and reads
 * outputs. */
#include <string.h>

#include "gpu-exec.h"
#include "model.h"

typedef struct {
  gboolean on_gpu;
  gboolean alias;
  OviGpuLaunch *launches;
  int n_launches;
} GpuStep;

typedef struct {
  OviGpuSession *session;
  OviPlan *plan;
  GpuStep *steps;
  int n_gpu_steps;
  int n_launches;
  cl_mem constants;
  gsize scratch_bytes;     /* split-K partial sums, per request */
  gsize *const_offset;     /* per value, G_MAXSIZE when not uploaded */
  int *input_index;        /* per value: its graph input, or -1 */
  cl_program *programs;    /* per launch, flattened over steps */
  gboolean checks;         /* some launch reports through the status word */
} GpuExecutable;

typedef struct {
  GpuExecutable *exe;
  cl_command_queue queue;
  gboolean queue_profiles;   /* created with CL_QUEUE_PROFILING_ENABLE */
  cl_event *events;          /* per launch, while profiling */
  cl_mem arena;
  cl_mem scratch;
  /* One int the kernels that check their data (an index out of range)
   * set to their step's number + 1, the first failure kept; read after
   * each inference when the executable has such kernels. */
  cl_mem status;
  cl_mem *input_mem;       /* per graph input */
  /* Pictures pre-processed into inputs here (ovi_gpu_set_input_image):
   * GpuImage entries, and per input whether its data comes from them. */
  GPtrArray *images;
  gboolean *image_fed;
  guint8 *host_arena;
  OviTensor *tensors;      /* host views per value, like request.c's */
  guint8 *on_host, *on_device;
  cl_kernel *kernels;      /* per launch, flattened */
  OviTensor **io;
  int *io_start;
  OviTensor dynamic_scratch;
} GpuRequest;

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

/* Builds a step's launches with the first group whose builder for the
 * node's op takes it: groups can split an op between them by type
 * (elementwise.cl's float32 Add, typed.cl's integer one). FALSE when none
 * does, and the CPU runs the node. */
/* Names the ops left to the CPU (G_MESSAGES_DEBUG=ovi shows it): what a
 * user tuning a model for the GPU, or a survey of the conformance suite,
 * needs to see. */
static void
log_fallbacks (const GpuExecutable *exe, const OviPlan *plan)
{
  GString *ops;
  if (exe->n_gpu_steps == plan->n_steps)
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

static gboolean
build_step (OviGpuBuild *b, const OviNode *n)
{
  guint aux_len = b->aux->len;
  if (n->domain[0] && strcmp (n->domain, "ai.onnx") != 0)
    return FALSE;
  for (guint g = 0; g < G_N_ELEMENTS (op_groups); g++)
    for (const OviGpuOp *op = op_groups[g]; op->op_type; op++) {
      if (strcmp (op->op_type, n->op_type) != 0)
        continue;
      g_array_set_size (b->launches, 0);
      g_byte_array_set_size (b->aux, aux_len);
      b->alias = FALSE;
      if (op->build (b, n))
        return TRUE;
    }
  g_byte_array_set_size (b->aux, aux_len);
  return FALSE;
}

/* Build options: FP32 everywhere for now (see docs/devices.md). OpenCL
 * lets x / y and sqrt be 2.5 and 3 ulp off unless asked for correct
 * rounding, which NVIDIA's driver then uses: a quotient that rounds to a
 * neighbour changes what Round, Floor or a Cast to integers make of it
 * (ONNX's DynamicQuantizeLinear test gave 25 for 26 on an H100), so
 * ask wherever the device can. */
static const char *
build_options (const GpuExecutable *exe)
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
        exe->checks |= l->args[a].kind == OVI_GPU_ARG_STATUS;
    }
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
          build_options (exe), error);
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

static gsize
value_bytes (const OviValue *val)
{
  OviTensor t = { .dtype = val->dtype, .rank = MAX (val->rank, 0) };
  memcpy (t.dims, val->dims, sizeof (t.dims));
  return ovi_tensor_nbytes (&t);
}

/* After an inference whose kernels check their data: the first failing
 * step's error (the word is cleared as each such inference starts). */
static gboolean
check_status (GpuRequest *r, GError **error)
{
  const OviPlan *plan = r->exe->plan;
  cl_int status = 0;
  cl_int err = clEnqueueReadBuffer (r->queue, r->status, CL_TRUE, 0,
      sizeof (status), &status, 0, NULL, NULL);
  const OviNode *n;
  if (err != CL_SUCCESS) {
    ovi_gpu_set_error (error, "reading the status word", err);
    return FALSE;
  }
  if (status == 0)
    return TRUE;
  if (status < 1 || status > plan->n_steps) {
    g_set_error (error, OVI_ERROR, OVI_ERROR_DEVICE,
        "%s: the GPU reported status %d", plan->graph->source, status);
    return FALSE;
  }
  n = plan->steps[status - 1].node;
  g_set_error (error, OVI_ERROR, OVI_ERROR_INVALID,
      "%s: node '%s' (%s): an index is out of range", plan->graph->source,
      n->name, n->op_type);
  return FALSE;
}

/* The buffer and element offset a kernel argument names. */
static gboolean
value_place (const GpuRequest *r, int v, cl_mem *mem, gsize *byte_offset)
{
  const GpuExecutable *exe = r->exe;
  switch (exe->plan->storage[v]) {
    case OVI_STORAGE_CONSTANT:
      *mem = exe->constants;
      *byte_offset = exe->const_offset[v];
      return exe->const_offset[v] != G_MAXSIZE;
    case OVI_STORAGE_INPUT:
      *mem = r->input_mem[exe->input_index[v]];
      *byte_offset = 0;
      return *mem != NULL;
    case OVI_STORAGE_ARENA:
      *mem = r->arena;
      *byte_offset = exe->plan->offset[v];
      return TRUE;
    default:
      return FALSE;
  }
}

static gboolean
set_args (GpuRequest *r, cl_kernel kernel, const OviGpuLaunch *l, int step,
    GError **error)
{
  cl_uint index = 0;
  cl_int err = CL_SUCCESS;
  for (int a = 0; a < l->n_args && err == CL_SUCCESS; a++) {
    const OviGpuArg *arg = &l->args[a];
    cl_mem mem = NULL;
    gsize off = 0;
    cl_int elem;
    switch (arg->kind) {
      case OVI_GPU_ARG_VALUE: {
        const OviValue *val = ovi_graph_value (r->exe->plan->graph,
            arg->value);
        gsize esize = MAX (ovi_dtype_size (val->dtype), 1);
        if (!value_place (r, arg->value, &mem, &off)) {
          g_set_error (error, OVI_ERROR, OVI_ERROR_DEVICE,
              "kernel %s: value '%s' has no device memory", l->kernel,
              val->name);
          return FALSE;
        }
        elem = (cl_int) (off / esize);
        err = clSetKernelArg (kernel, index++, sizeof (cl_mem), &mem);
        if (err == CL_SUCCESS)
          err = clSetKernelArg (kernel, index++, sizeof (elem), &elem);
        break;
      }
      case OVI_GPU_ARG_AUX:
        mem = r->exe->constants;
        elem = (cl_int) (arg->aux / 4);
        err = clSetKernelArg (kernel, index++, sizeof (cl_mem), &mem);
        if (err == CL_SUCCESS)
          err = clSetKernelArg (kernel, index++, sizeof (elem), &elem);
        break;
      case OVI_GPU_ARG_INT:
        err = clSetKernelArg (kernel, index++, sizeof (cl_int), &arg->i);
        break;
      case OVI_GPU_ARG_FLOAT:
        err = clSetKernelArg (kernel, index++, sizeof (cl_float), &arg->f);
        break;
      case OVI_GPU_ARG_LONG:
        err = clSetKernelArg (kernel, index++, sizeof (cl_long), &arg->l);
        break;
      case OVI_GPU_ARG_LOCAL:
        err = clSetKernelArg (kernel, index++, arg->local_bytes, NULL);
        break;
      case OVI_GPU_ARG_SCRATCH:
        mem = r->scratch;
        elem = 0;
        err = clSetKernelArg (kernel, index++, sizeof (cl_mem), &mem);
        if (err == CL_SUCCESS)
          err = clSetKernelArg (kernel, index++, sizeof (elem), &elem);
        break;
      case OVI_GPU_ARG_STATUS:
        mem = r->status;
        elem = step + 1;
        err = clSetKernelArg (kernel, index++, sizeof (cl_mem), &mem);
        if (err == CL_SUCCESS)
          err = clSetKernelArg (kernel, index++, sizeof (elem), &elem);
        break;
    }
  }
  if (err != CL_SUCCESS) {
    g_set_error (error, OVI_ERROR, OVI_ERROR_DEVICE,
        "kernel %s: setting argument %u failed: %s (%d)", l->kernel,
        index - 1, ovi_gpu_cl_error_name (err), err);
    return FALSE;
  }
  return TRUE;
}

void
ovi_gpu_request_free (gpointer request)
{
  GpuRequest *r = request;
  const OviGraph *g;
  if (r == NULL)
    return;
  g = r->exe->plan->graph;
  if (r->queue)
    clFinish (r->queue);
  for (int k = 0; r->kernels && k < r->exe->n_launches; k++)
    if (r->kernels[k])
      clReleaseKernel (r->kernels[k]);
  g_free (r->kernels);
  for (int k = 0; r->events && k < r->exe->n_launches; k++)
    if (r->events[k])
      clReleaseEvent (r->events[k]);
  g_free (r->events);
  for (guint i = 0; r->input_mem && i < g->inputs->len; i++)
    if (r->input_mem[i])
      clReleaseMemObject (r->input_mem[i]);
  g_free (r->input_mem);
  if (r->images)
    g_ptr_array_free (r->images, TRUE);
  g_free (r->image_fed);
  if (r->arena)
    clReleaseMemObject (r->arena);
  if (r->scratch)
    clReleaseMemObject (r->scratch);
  if (r->status)
    clReleaseMemObject (r->status);
  if (r->queue)
    clReleaseCommandQueue (r->queue);
  for (guint v = 0; r->tensors && v < g->values->len; v++)
    ovi_tensor_clear (&r->tensors[v]);
  g_free (r->tensors);
  ovi_tensor_clear (&r->dynamic_scratch);
  ovi_aligned_free (r->host_arena);
  g_free (r->on_host);
  g_free (r->on_device);
  g_free (r->io);
  g_free (r->io_start);
  g_free (r);
}

/* A picture pre-processed into an input's batch entry: its bytes (the
 * rows and columns its taps reach), its taps followed by its parameters
 * (one buffer: a copy less per picture) on the device, and the kernel
 * with its arguments, launched by the next inference. */
#define IMAGE_GEO 13    /* ints after the taps, then as many floats */
typedef struct {
  int input, batch;
  cl_mem src, taps;
  gsize src_capacity, taps_capacity;
  cl_kernel kernel;
  size_t global[2];
  gboolean pending;
} GpuImage;

static void
gpu_image_free (gpointer data)
{
  GpuImage *im = data;
  if (im->kernel)
    clReleaseKernel (im->kernel);
  if (im->src)
    clReleaseMemObject (im->src);
  if (im->taps)
    clReleaseMemObject (im->taps);
  g_free (im);
}

/* Profiling needs a queue that records the time of each command; an
 * ordinary queue is kept otherwise, since recording may cost time. The
 * kernels do not depend on the queue, so switching only replaces it. */
static gboolean
make_queue (GpuRequest *r, gboolean profiling, GError **error)
{
  OviGpuDevice *dev = r->exe->session->dev;
  cl_context ctx = ovi_gpu_device_context (dev, error);
  cl_int err = CL_SUCCESS;
  cl_command_queue q;

  if (ctx == NULL)
    return FALSE;
  q = clCreateCommandQueue (ctx, dev->id,
      profiling ? CL_QUEUE_PROFILING_ENABLE : 0, &err);
  if (q == NULL) {
    ovi_gpu_set_error (error, "clCreateCommandQueue", err);
    return FALSE;
  }
  if (r->queue) {
    clFinish (r->queue);
    clReleaseCommandQueue (r->queue);
  }
  r->queue = q;
  r->queue_profiles = profiling;
  return TRUE;
}

gpointer
ovi_gpu_request_new (gpointer executable, GError **error)
{
  GpuExecutable *exe = executable;
  const OviPlan *plan = exe->plan;
  const OviGraph *g = plan->graph;
  OviGpuDevice *dev = exe->session->dev;
  cl_context ctx = ovi_gpu_device_context (dev, error);
  GpuRequest *r;
  int nv = g->values->len, k = 0;
  cl_int err = CL_SUCCESS;

  if (ctx == NULL)
    return NULL;
  r = g_new0 (GpuRequest, 1);
  r->exe = exe;
  if (!make_queue (r, FALSE, error))
    goto fail;
  /* Never zero bytes: OpenCL refuses empty buffers. */
  r->arena = clCreateBuffer (ctx, CL_MEM_READ_WRITE,
      MAX (plan->arena_size, 64), NULL, &err);
  if (r->arena == NULL) {
    ovi_gpu_set_error (error, "allocating the device arena", err);
    goto fail;
  }
  r->scratch = clCreateBuffer (ctx, CL_MEM_READ_WRITE,
      MAX (exe->scratch_bytes, 64), NULL, &err);
  if (r->scratch == NULL) {
    ovi_gpu_set_error (error, "allocating the scratch buffer", err);
    goto fail;
  }
  {
    cl_int zero = 0;
    r->status = clCreateBuffer (ctx, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR,
        sizeof (zero), &zero, &err);
    if (r->status == NULL) {
      ovi_gpu_set_error (error, "allocating the status word", err);
      goto fail;
    }
  }
  r->input_mem = g_new0 (cl_mem, MAX (g->inputs->len, 1));
  for (guint i = 0; i < g->inputs->len; i++) {
    const OviValue *val = ovi_graph_value (g, g_array_index (g->inputs, int,
            i));
    if (ovi_dtype_is_object (val->dtype) || val->dynamic || val->rank < 0)
      continue;
    /* Read-write: a picture's pre-processing writes it. */
    r->input_mem[i] = clCreateBuffer (ctx, CL_MEM_READ_WRITE,
        MAX (value_bytes (val), 64), NULL, &err);
    if (r->input_mem[i] == NULL) {
      ovi_gpu_set_error (error, "allocating an input buffer", err);
      goto fail;
    }
  }
  r->image_fed = g_new0 (gboolean, MAX (g->inputs->len, 1));
  r->images = g_ptr_array_new_with_free_func (gpu_image_free);
  r->host_arena = ovi_aligned_alloc (MAX (plan->arena_size, 64));
  ovi_plan_bind_tensors (plan, r->host_arena, &r->tensors, &r->io,
      &r->io_start);
  /* Constants are where the executable put them: on both sides. */
  r->on_host = g_new0 (guint8, MAX (nv, 1));
  r->on_device = g_new0 (guint8, MAX (nv, 1));
  for (int v = 0; v < nv; v++)
    if (plan->storage[v] == OVI_STORAGE_CONSTANT)
      r->on_host[v] = r->on_device[v] = TRUE;
  /* Kernels with their arguments, once: buffers do not move. */
  r->kernels = g_new0 (cl_kernel, MAX (exe->n_launches, 1));
  for (int s = 0; s < plan->n_steps; s++) {
    for (int i = 0; i < exe->steps[s].n_launches; i++, k++) {
      const OviGpuLaunch *l = &exe->steps[s].launches[i];
      if (l->kind != OVI_GPU_LAUNCH_KERNEL)
        continue;
      r->kernels[k] = clCreateKernel (exe->programs[k], l->kernel, &err);
      if (r->kernels[k] == NULL) {
        g_set_error (error, OVI_ERROR, OVI_ERROR_DEVICE,
            "kernel %s of program %s: %s (%d)", l->kernel, l->program,
            ovi_gpu_cl_error_name (err), err);
        goto fail;
      }
      if (!set_args (r, r->kernels[k], l, s, error))
        goto fail;
    }
  }
  return r;
fail:
  ovi_gpu_request_free (r);
  return NULL;
}

static gboolean
is_device_storage (const GpuRequest *r, int v)
{
  OviStorage s = r->exe->plan->storage[v];
  return (s == OVI_STORAGE_ARENA || s == OVI_STORAGE_INPUT)
      && !ovi_dtype_is_object (r->tensors[v].dtype);
}

/* Blocking copies: the host memory may be reused by the next CPU step
 * (the arena) or belong to the caller (inputs). */
static gboolean
to_device (GpuRequest *r, int v, GError **error)
{
  cl_mem mem;
  gsize off;
  cl_int err;
  gsize bytes;
  if (r->on_device[v] || !is_device_storage (r, v))
    return TRUE;
  bytes = ovi_tensor_nbytes (&r->tensors[v]);
  if (bytes > 0 && value_place (r, v, &mem, &off)) {
    err = clEnqueueWriteBuffer (r->queue, mem, CL_TRUE, off, bytes,
        r->tensors[v].data, 0, NULL, NULL);
    if (err != CL_SUCCESS) {
      ovi_gpu_set_error (error, "clEnqueueWriteBuffer", err);
      return FALSE;
    }
  }
  r->on_device[v] = TRUE;
  return TRUE;
}

static gboolean
to_host (GpuRequest *r, int v, GError **error)
{
  cl_mem mem;
  gsize off;
  cl_int err;
  gsize bytes;
  if (r->on_host[v] || !is_device_storage (r, v))
    return TRUE;
  bytes = ovi_tensor_nbytes (&r->tensors[v]);
  if (bytes > 0 && value_place (r, v, &mem, &off)) {
    err = clEnqueueReadBuffer (r->queue, mem, CL_TRUE, off, bytes,
        r->tensors[v].data, 0, NULL, NULL);
    if (err != CL_SUCCESS) {
      ovi_gpu_set_error (error, "clEnqueueReadBuffer", err);
      return FALSE;
    }
  }
  r->on_host[v] = TRUE;
  return TRUE;
}

/* events: NULL, or one slot per launch to receive its event (profiling). */
static gboolean
run_gpu_step (GpuRequest *r, const OviNode *n, const GpuStep *step,
    cl_kernel *kernels, cl_event *events, GError **error)
{
  for (int i = 0; i < n->n_inputs; i++)
    if (n->inputs[i] >= 0 && !to_device (r, n->inputs[i], error))
      return FALSE;
  for (int i = 0; i < step->n_launches; i++) {
    const OviGpuLaunch *l = &step->launches[i];
    cl_int err;
    if (l->kind == OVI_GPU_LAUNCH_COPY) {
      cl_mem src, dst;
      gsize so, dof;
      if (l->bytes == 0)
        continue;
      if (!value_place (r, l->src, &src, &so)
          || !value_place (r, l->dst, &dst, &dof)) {
        g_set_error (error, OVI_ERROR, OVI_ERROR_DEVICE,
            "node '%s': a copy without device memory", n->name);
        return FALSE;
      }
      err = clEnqueueCopyBuffer (r->queue, src, dst, so, dof, l->bytes, 0,
          NULL, events ? &events[i] : NULL);
      if (err != CL_SUCCESS) {
        ovi_gpu_set_error (error, "clEnqueueCopyBuffer", err);
        return FALSE;
      }
      continue;
    }
    err = clEnqueueNDRangeKernel (r->queue, kernels[i], l->work_dim, NULL,
        l->global, l->has_local ? l->local : NULL, 0, NULL,
        events ? &events[i] : NULL);
    if (err != CL_SUCCESS) {
      g_set_error (error, OVI_ERROR, OVI_ERROR_DEVICE,
          "node '%s': launching %s failed: %s (%d)", n->name, l->kernel,
          ovi_gpu_cl_error_name (err), err);
      return FALSE;
    }
  }
  for (int o = 0; o < n->n_outputs; o++) {
    int v = n->outputs[o];
    if (v < 0)
      continue;
    if (step->alias && o == 0) {
      /* The same memory as input 0 on both sides. */
      r->on_device[v] = r->on_device[n->inputs[0]];
      r->on_host[v] = r->on_host[n->inputs[0]];
    } else {
      r->on_device[v] = TRUE;
      r->on_host[v] = FALSE;
    }
  }
  return TRUE;
}

static gboolean
run_cpu_step (GpuRequest *r, int s, GError **error)
{
  const OviPlan *plan = r->exe->plan;
  const OviPlanStep *step = &plan->steps[s];
  const OviNode *n = step->node;
  OviTensor **io = r->io + r->io_start[s];
  OviOpCtx ctx = { .node = n, .opset = plan->graph->opset,
    .n_inputs = n->n_inputs, .inputs = io, .n_outputs = n->n_outputs,
    .outputs = io + n->n_inputs, .source = plan->graph->source,
    .state = step->state, .scratch = r->host_arena + step->scratch_offset,
    .scratch_size = step->scratch_size, .max_threads = plan->max_threads };
  gboolean ok;

  for (int i = 0; i < n->n_inputs; i++)
    if (n->inputs[i] >= 0 && !to_host (r, n->inputs[i], error))
      return FALSE;
  ok = step->dynamic ? ovi_plan_run_dynamic_step (plan, step, &ctx,
      &r->dynamic_scratch, error) : step->kernel->run (&ctx, error);
  for (int o = 0; o < n->n_outputs; o++) {
    int v = n->outputs[o];
    if (v >= 0) {
      r->on_host[v] = TRUE;
      r->on_device[v] = FALSE;
    }
  }
  return ok;
}

/* Adds each GPU step's device time (its commands' start to end, from the
 * events) to the profile, and releases the events. */
static void
collect_profile (GpuRequest *r, OviProfileEntry *profile)
{
  const GpuExecutable *exe = r->exe;
  int k = 0;
  for (int s = 0; s < exe->plan->n_steps; s++) {
    const GpuStep *step = &exe->steps[s];
    for (int i = 0; i < step->n_launches; i++, k++) {
      cl_ulong start = 0, end = 0;
      if (!step->on_gpu || r->events[k] == NULL)
        continue;
      if (clGetEventProfilingInfo (r->events[k], CL_PROFILING_COMMAND_START,
              sizeof (start), &start, NULL) == CL_SUCCESS
          && clGetEventProfilingInfo (r->events[k], CL_PROFILING_COMMAND_END,
              sizeof (end), &end, NULL) == CL_SUCCESS && end > start)
        profile[s].total_ns += end - start;
      clReleaseEvent (r->events[k]);
      r->events[k] = NULL;
    }
    if (step->on_gpu)
      profile[s].runs++;
  }
}

/* Launches the pictures set since the last inference; with `timing`
 * (the profile's entry after the steps) adds each one's device time. */
static gboolean
run_images (GpuRequest *r, OviProfileEntry *timing, GError **error)
{
  for (guint k = 0; k < r->images->len; k++) {
    GpuImage *im = g_ptr_array_index (r->images, k);
    cl_event ev = NULL;
    cl_int err;
    if (!im->pending)
      continue;
    err = clEnqueueNDRangeKernel (r->queue, im->kernel, 2, NULL, im->global,
        NULL, 0, NULL, timing ? &ev : NULL);
    if (err != CL_SUCCESS) {
      ovi_gpu_set_error (error, "launching the picture's pre-processing",
          err);
      return FALSE;
    }
    if (ev) {
      cl_ulong start = 0, end = 0;
      clWaitForEvents (1, &ev);
      if (clGetEventProfilingInfo (ev, CL_PROFILING_COMMAND_START,
              sizeof (start), &start, NULL) == CL_SUCCESS
          && clGetEventProfilingInfo (ev, CL_PROFILING_COMMAND_END,
              sizeof (end), &end, NULL) == CL_SUCCESS && end > start)
        timing->total_ns += end - start;
      timing->runs++;
      clReleaseEvent (ev);
    }
    im->pending = FALSE;
  }
  return TRUE;
}

/* A buffer of at least `bytes`, grown (never shrunk) as pictures need. */
static gboolean
ensure_buffer (cl_context ctx, cl_mem *mem, gsize *capacity, gsize bytes,
    GError **error)
{
  cl_int err = CL_SUCCESS;
  if (*mem && *capacity >= bytes)
    return TRUE;
  if (*mem)
    clReleaseMemObject (*mem);
  *mem = clCreateBuffer (ctx, CL_MEM_READ_ONLY, MAX (bytes, 64), NULL, &err);
  *capacity = *mem ? MAX (bytes, 64) : 0;
  if (*mem == NULL) {
    ovi_gpu_set_error (error, "allocating a picture's buffer", err);
    return FALSE;
  }
  return TRUE;
}

/* The rows a set of taps reaches, [*lo, *hi]; one row when all pad. */
static void
tap_rows (const OviImageTap *t, int n, int *lo, int *hi)
{
  *lo = G_MAXINT;
  *hi = -1;
  for (int i = 0; i < n; i++) {
    if (t[i].pad)
      continue;
    *lo = MIN (*lo, MIN (t[i].i0, t[i].i1));
    *hi = MAX (*hi, MAX (t[i].i0, t[i].i1));
  }
  if (*hi < 0)
    *lo = *hi = 0;
}

gboolean
ovi_gpu_set_input_image (gpointer request, int input, int batch,
    const OviImage *image, GError **error)
{
  GpuRequest *r = request;
  GpuExecutable *exe = r->exe;
  const OviGraph *g = exe->plan->graph;
  OviGpuDevice *dev = exe->session->dev;
  cl_context ctx = ovi_gpu_device_context (dev, error);
  const OviValue *val;
  GpuImage *im = NULL;
  gboolean yuv;
  int planes, bpp, W, H, lo[3], hi[3], pitch[3], col[3];
  int geo[IMAGE_GEO];
  float norm[IMAGE_GEO];
  gsize total = 0, ntaps, blob_bytes;
  guint8 *blob;
  OviImageTap *taps;
  cl_program program;
  cl_int err = CL_SUCCESS;
  int64_t per_image;

  if (ctx == NULL)
    return FALSE;
  if (input < 0 || input >= (int) g->inputs->len) {
    g_set_error (error, OVI_ERROR, OVI_ERROR_ARGUMENT, "no input %d", input);
    return FALSE;
  }
  if (image == NULL) {
    r->image_fed[input] = FALSE;
    return TRUE;
  }
  val = ovi_graph_value (g, g_array_index (g->inputs, int, input));
  per_image = (int64_t) image->out_width * image->out_height
      * image->channels;
  if (r->input_mem[input] == NULL || val->dtype != image->dtype
      || val->rank < 1 || batch < 0 || batch >= val->dims[0]
      || per_image * val->dims[0] != ovi_gpu_numel (val)) {
    g_set_error (error, OVI_ERROR, OVI_ERROR_ARGUMENT,
        "picture for input '%s': type, size or batch entry %d does not fit",
        val->name, batch);
    return FALSE;
  }
  for (guint k = 0; k < r->images->len && im == NULL; k++) {
    GpuImage *e = g_ptr_array_index (r->images, k);
    if (e->input == input && e->batch == batch)
      im = e;
  }
  if (im == NULL) {
    im = g_new0 (GpuImage, 1);
    im->input = input;
    im->batch = batch;
    g_ptr_array_add (r->images, im);
  }

  /* The rows and byte columns the taps reach, plane by plane. */
  yuv = image->layout == OVI_IMAGE_NV12 || image->layout == OVI_IMAGE_I420;
  planes = image->layout == OVI_IMAGE_I420 ? 3 : yuv ? 2 : 1;
  bpp = image->layout == OVI_IMAGE_PACKED ? image->pixel_stride : 1;
  W = image->out_width;
  H = image->out_height;
  tap_rows (image->y, H, &lo[0], &hi[0]);
  col[0] = image->x0 * bpp;
  pitch[0] = image->x_span * bpp;
  for (int p = 1; p < planes; p++) {
    tap_rows (image->cy, H, &lo[p], &hi[p]);
    col[p] = image->cx0 * (image->layout == OVI_IMAGE_NV12 ? 2 : 1);
    pitch[p] = image->cx_span * (image->layout == OVI_IMAGE_NV12 ? 2 : 1);
  }
  memset (geo, 0, sizeof (geo));
  for (int p = 0; p < planes; p++) {
    geo[p] = (int) total;
    geo[3 + p] = lo[p];
    geo[6 + p] = pitch[p];
    total += (gsize) (hi[p] - lo[p] + 1) * pitch[p];
  }
  geo[9] = bpp;
  for (int c = 0; c < 3; c++)
    geo[10 + c] = image->offset[c];
  ntaps = yuv ? 2 * (gsize) W + 2 * (gsize) H : (gsize) W + H;
  blob_bytes = ntaps * sizeof (OviImageTap) + sizeof (geo) + sizeof (norm);
  if (!ensure_buffer (ctx, &im->src, &im->src_capacity, total, error)
      || !ensure_buffer (ctx, &im->taps, &im->taps_capacity, blob_bytes,
          error))
    return FALSE;

  /* Blocking copies: the caller may release the picture on return. */
  for (int p = 0; p < planes && err == CL_SUCCESS; p++) {
    size_t buf_origin[3] = { (size_t) geo[p], 0, 0 };
    size_t host_origin[3] = { (size_t) col[p], (size_t) lo[p], 0 };
    size_t region[3] = { (size_t) pitch[p], (size_t) (hi[p] - lo[p] + 1), 1 };
    err = clEnqueueWriteBufferRect (r->queue, im->src, CL_TRUE, buf_origin,
        host_origin, region, pitch[p], 0, image->stride[p], 0,
        image->data[p], 0, NULL, NULL);
  }
  norm[0] = image->ky;
  norm[1] = image->y_off;
  norm[2] = image->kr_v;
  norm[3] = image->kb_u;
  norm[4] = image->kg_u;
  norm[5] = image->kg_v;
  for (int c = 0; c < 3; c++) {
    norm[6 + c] = image->scale[c];
    norm[9 + c] = image->bias[c];
  }
  norm[12] = image->pad_value;
  blob = g_malloc (blob_bytes);
  taps = (OviImageTap *) blob;
  memcpy (taps, image->x, sizeof (OviImageTap) * W);
  memcpy (taps + W, image->y, sizeof (OviImageTap) * H);
  if (yuv) {
    memcpy (taps + W + H, image->cx, sizeof (OviImageTap) * W);
    memcpy (taps + 2 * W + H, image->cy, sizeof (OviImageTap) * H);
  }
  memcpy (taps + ntaps, geo, sizeof (geo));
  memcpy ((guint8 *) (taps + ntaps) + sizeof (geo), norm, sizeof (norm));
  if (err == CL_SUCCESS)
    err = clEnqueueWriteBuffer (r->queue, im->taps, CL_TRUE, 0, blob_bytes,
        blob, 0, NULL, NULL);
  g_free (blob);
  if (err != CL_SUCCESS) {
    ovi_gpu_set_error (error, "copying a picture to the device", err);
    return FALSE;
  }

  if (im->kernel == NULL) {
    program = ovi_gpu_program_get (dev, "image", build_options (exe), error);
    if (program == NULL)
      return FALSE;
    im->kernel = clCreateKernel (program, "image_to_tensor", &err);
    if (im->kernel == NULL) {
      ovi_gpu_set_error (error, "clCreateKernel image_to_tensor", err);
      return FALSE;
    }
  }
  {
    cl_int a[] = { (cl_int) ntaps, (cl_int) (batch * per_image),
      image->layout, W, H,
      image->channels, image->nhwc, image->dtype == OVI_DTYPE_UINT8,
      image->gray, image->source[0], image->source[1], image->source[2] };
    cl_uint k = 0;
    err = clSetKernelArg (im->kernel, k++, sizeof (cl_mem), &im->src);
    err |= clSetKernelArg (im->kernel, k++, sizeof (cl_mem), &im->taps);
    err |= clSetKernelArg (im->kernel, k++, sizeof (cl_int), &a[0]);
    err |= clSetKernelArg (im->kernel, k++, sizeof (cl_mem),
        &r->input_mem[input]);
    for (guint i = 1; i < G_N_ELEMENTS (a); i++)
      err |= clSetKernelArg (im->kernel, k++, sizeof (cl_int), &a[i]);
    if (err != CL_SUCCESS) {
      g_set_error (error, OVI_ERROR, OVI_ERROR_DEVICE,
          "setting the picture kernel's arguments failed");
      return FALSE;
    }
  }
  im->global[0] = W;
  im->global[1] = H;
  im->pending = TRUE;
  r->image_fed[input] = TRUE;
  return TRUE;
}

/* After a failure: waits for what was enqueued, so that nothing runs on
 * into the next inference, and collects the profile's events. */
static gboolean
drain (GpuRequest *r, OviProfileEntry *profile)
{
  clFinish (r->queue);
  if (profile)
    collect_profile (r, profile);
  return FALSE;
}

gboolean
ovi_gpu_infer (gpointer request, const OviTensorView *inputs,
    OviTensorView *outputs, OviProfileEntry *profile, GError **error)
{
  GpuRequest *r = request;
  GpuExecutable *exe = r->exe;
  const OviPlan *plan = exe->plan;
  const OviGraph *g = plan->graph;
  int k = 0;
  cl_int err;

  if ((profile != NULL) != r->queue_profiles
      && !make_queue (r, profile != NULL, error))
    return FALSE;
  if (profile && r->events == NULL)
    r->events = g_new0 (cl_event, MAX (exe->n_launches, 1));

  for (guint v = 0; v < g->values->len; v++)
    if (plan->storage[v] != OVI_STORAGE_CONSTANT)
      r->on_host[v] = r->on_device[v] = FALSE;
  for (guint i = 0; i < g->inputs->len; i++) {
    int v = g_array_index (g->inputs, int, i);
    r->tensors[v].data = inputs[i].data;
    r->on_host[v] = !r->image_fed[i];
    r->on_device[v] = r->image_fed[i];
  }
  if (exe->checks) {
    static const cl_int zero = 0;
    err = clEnqueueFillBuffer (r->queue, r->status, &zero, sizeof (zero), 0,
        sizeof (zero), 0, NULL, NULL);
    if (err != CL_SUCCESS) {
      ovi_gpu_set_error (error, "clearing the status word", err);
      return drain (r, profile);
    }
  }
  if (!run_images (r, profile ? &profile[plan->n_steps] : NULL, error))
    return drain (r, profile);
  for (int s = 0; s < plan->n_steps; s++) {
    const GpuStep *step = &exe->steps[s];
    gboolean ok;
    if (step->on_gpu) {
      ok = run_gpu_step (r, plan->steps[s].node, step, r->kernels + k,
          profile ? r->events + k : NULL, error);
    } else {
      /* A CPU step is timed on the host, from an idle queue, so that the
       * GPU work before it is not counted as its own: the time includes
       * reading its inputs back. */
      gint64 t0 = 0;
      if (profile) {
        clFinish (r->queue);
        t0 = g_get_monotonic_time ();
      }
      ok = run_cpu_step (r, s, error);
      if (profile) {
        profile[s].total_ns += (g_get_monotonic_time () - t0) * 1000;
        profile[s].runs++;
      }
    }
    k += step->n_launches;
    if (!ok)
      return drain (r, profile);
  }
  for (guint i = 0; i < g->outputs->len; i++) {
    int v = g_array_index (g->outputs, int, i);
    const OviTensor *t = &r->tensors[v];
    if (!to_host (r, v, error))
      return drain (r, profile);
    if (t->dtype == OVI_DTYPE_SEQUENCE) {
      g_set_error (error, OVI_ERROR, OVI_ERROR_UNSUPPORTED,
          "%s: output '%s' is a sequence, which is not supported", g->source,
          ovi_graph_value (g, v)->name);
      return drain (r, profile);
    }
    memset (&outputs[i], 0, sizeof (outputs[i]));
    outputs[i].dtype = t->dtype;
    outputs[i].rank = t->rank;
    memcpy (outputs[i].dims, t->dims, sizeof (outputs[i].dims));
    outputs[i].data = t->data;
  }
  err = clFinish (r->queue);
  if (profile)
    collect_profile (r, profile);
  if (err != CL_SUCCESS) {
    ovi_gpu_set_error (error, "clFinish", err);
    return FALSE;
  }
  return !exe->checks || check_status (r, error);
}
