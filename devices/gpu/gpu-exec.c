/* The GPU executable's requests (the executable: gpu-compile.c).
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

#include "gpu-exec-private.h"

static gsize
value_bytes (const OviValue *val)
{
  OviTensor t = { .dtype = val->dtype, .rank = MAX (val->rank, 0) };
  memcpy (t.dims, val->dims, sizeof (t.dims));
  return ovi_tensor_nbytes (&t);
}

/* After steps whose kernels check their data (before a CPU step and at
 * the end of an inference): the first failing step's error. The word is
 * cleared as each inference of such an executable starts. */
static gboolean
check_status (GpuRequest *r, GError **error)
{
  const OviPlan *plan = r->exe->plan;
  cl_int status = 0;
  cl_int err = clEnqueueReadBuffer (r->queue, r->status, CL_TRUE, 0,
      sizeof (status), &status, 0, NULL, NULL);
  const OviNode *n;
  r->unchecked = FALSE;
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
  r->images = g_ptr_array_new_with_free_func (ovi_gpu_image_free);
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

/* After a failure: waits for the queue and releases the profile's
 * events. */
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
    r->unchecked = FALSE;
  }
  if (!ovi_gpu_run_images (r, profile ? &profile[plan->n_steps] : NULL, error))
    return drain (r, profile);
  for (int s = 0; s < plan->n_steps; s++) {
    const GpuStep *step = &exe->steps[s];
    gboolean ok;
    if (step->on_gpu) {
      ok = run_gpu_step (r, plan->steps[s].node, step, r->kernels + k,
          profile ? r->events + k : NULL, error);
      r->unchecked |= step->checks;
    } else {
      /* A CPU step is timed on the host, from an idle queue, so that the
       * GPU work before it is not counted as its own: the time includes
       * reading its inputs back. */
      gint64 t0 = 0;
      /* Data a checking kernel refused (an index out of range) must not
       * reach a CPU step, which could size a dynamic shape from it or
       * fail with an error naming itself. */
      if (r->unchecked && !check_status (r, error))
        return drain (r, profile);
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
  return !r->unchecked || check_status (r, error);
}
