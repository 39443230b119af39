/* OviRequest: binds a plan to memory (one arena per request) and runs
 * its steps. Steady-state inferences with unchanged input shapes allocate
 * nothing: the arena, tensor table and dynamic buffers are reused. */
#include <omp.h>
#include <string.h>
#include <time.h>

#include "auto-scheduler.h"
#include "model.h"
#include "request-private.h"

static guint64
now_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (guint64) ts.tv_sec * 1000000000u + (guint64) ts.tv_nsec;
}

struct _OviRequest {
  OviCompiledModel *cm;
  int n_inputs;
  OviTensorView *inputs;       /* caller-bound views */
  gboolean *input_set;
  /* Pictures (ovi_request_set_input_image): per input, memory the request
   * owns for its tensor when they are pre-processed here, and whether the
   * device pre-processes them instead. */
  guint8 **image_memory;
  gboolean *image_on_device;
  gboolean pictures;           /* some were set: the profile's last entry */
  guint64 picture_ns, picture_runs;  /* pre-processed here, not profiled yet */

  OviPlan *plan;
  /* On a device other than the CPU: its request for plan->executable and
   * the outputs of its last inference. */
  gpointer device_request;
  OviTensorView *device_outputs;
  guint8 *arena;
  gsize arena_capacity;
  OviTensor *tensors;          /* per plan value */
  int n_tensors;
  OviTensor **io;              /* per step: input then output pointers */
  OviTensor dynamic_scratch;   /* grow-only scratch of dynamic steps */
  int *io_start;
  gboolean profiling;
  OviProfileEntry *profile;    /* per step, while profiling */
  gboolean has_run;            /* an inference has succeeded */
  guint64 last_run_ns;         /* how long the last inference ran */

  /* On a scheduled compiled model (AUTO): a request per device, made on
   * first use, and the state of the inference running. */
  OviRequest **children;
  int n_children;
  int last_device;             /* the device that ran the last inference */
  int current;                 /* the device running this one */
  guint64 tried;               /* devices it failed on (bit per device) */
  int blamed;                  /* the first of those, -1 when none */
  GError *blamed_error;        /* its error */

  /* Asynchronous state. */
  GMutex lock;
  GCond done_cond;
  gboolean busy;
  GError *async_error;
  OviRequestCallback callback;
  gpointer callback_data;
};

OviRequest *
ovi_request_new (OviCompiledModel *cm, GError **error)
{
  OviRequest *r;
  g_return_val_if_fail (cm != NULL, NULL);
  r = g_new0 (OviRequest, 1);
  r->cm = ovi_compiled_model_ref (cm);
  r->n_inputs = cm->model->graph->inputs->len;
  r->inputs = g_new0 (OviTensorView, MAX (r->n_inputs, 1));
  r->input_set = g_new0 (gboolean, MAX (r->n_inputs, 1));
  r->image_memory = g_new0 (guint8 *, MAX (r->n_inputs, 1));
  r->image_on_device = g_new0 (gboolean, MAX (r->n_inputs, 1));
  g_mutex_init (&r->lock);
  g_cond_init (&r->done_cond);
  if (cm->sched) {
    r->n_children = ovi_auto_get_n_devices (cm->sched);
    r->children = g_new0 (OviRequest *, r->n_children);
    r->last_device = -1;
    r->blamed = -1;
  }
  return r;
}

static void
unbind (OviRequest *r)
{
  for (int i = 0; i < r->n_tensors; i++)
    ovi_tensor_clear (&r->tensors[i]);
  g_clear_pointer (&r->tensors, g_free);
  g_clear_pointer (&r->io, g_free);
  g_clear_pointer (&r->io_start, g_free);
  g_clear_pointer (&r->profile, g_free);
  r->n_tensors = 0;
  if (r->device_request)
    r->cm->iface->request_free (r->device_request);
  r->device_request = NULL;
  g_clear_pointer (&r->device_outputs, g_free);
  /* A new device request has no pictures. */
  for (int i = 0; r->image_on_device && i < r->n_inputs; i++)
    r->image_on_device[i] = FALSE;
  g_clear_pointer (&r->plan, ovi_plan_unref);
}

/* A device's plan: its request replaces the arena and tensor table. */
static gboolean
bind_device (OviRequest *r, OviPlan *plan, GError **error)
{
  unbind (r);
  r->plan = plan;
  r->device_request = r->cm->iface->request_new (plan->executable, error);
  if (r->device_request == NULL) {
    unbind (r);
    return FALSE;
  }
  r->device_outputs = g_new0 (OviTensorView,
      MAX (plan->graph->outputs->len, 1));
  return TRUE;
}

void
ovi_request_free (OviRequest *r)
{
  if (r == NULL)
    return;
  ovi_request_wait (r, NULL);
  for (int i = 0; i < r->n_children; i++)
    ovi_request_free (r->children[i]);
  g_free (r->children);
  g_clear_error (&r->blamed_error);
  unbind (r);
  ovi_tensor_clear (&r->dynamic_scratch);
  ovi_aligned_free (r->arena);
  for (int i = 0; i < r->n_inputs; i++)
    ovi_aligned_free (r->image_memory[i]);
  g_free (r->image_memory);
  g_free (r->image_on_device);
  g_free (r->inputs);
  g_free (r->input_set);
  g_clear_error (&r->async_error);
  g_mutex_clear (&r->lock);
  g_cond_clear (&r->done_cond);
  ovi_compiled_model_unref (r->cm);
  g_free (r);
}

gboolean
ovi_request_set_input_by_index (OviRequest *r, int index,
    const OviTensorView *t, GError **error)
{
  OviTensorView info;
  const char *name;

  if (!ovi_model_get_input (r->cm->model, index, &name, &info)) {
    g_set_error (error, OVI_ERROR, OVI_ERROR_ARGUMENT,
        "the model has no input %d", index);
    return FALSE;
  }
  if (t->dtype != info.dtype) {
    g_set_error (error, OVI_ERROR, OVI_ERROR_ARGUMENT,
        "input '%s' is %s, got %s", name, ovi_dtype_name (info.dtype),
        ovi_dtype_name (t->dtype));
    return FALSE;
  }
  if (t->rank < 0 || t->rank > OVI_MAX_RANK
      || (info.rank >= 0 && t->rank != info.rank)) {
    g_set_error (error, OVI_ERROR, OVI_ERROR_ARGUMENT,
        "input '%s' has rank %d, got %d", name, info.rank, t->rank);
    return FALSE;
  }
  for (int d = 0; d < t->rank; d++) {
    if (t->dims[d] < 0 || (info.rank >= 0 && info.dims[d] >= 0
            && info.dims[d] != t->dims[d])) {
      char *want = ovi_shape_to_string (info.rank, info.dims);
      char *got = ovi_shape_to_string (t->rank, t->dims);
      g_set_error (error, OVI_ERROR, OVI_ERROR_ARGUMENT,
          "input '%s' has shape %s, got %s", name, want, got);
      g_free (want);
      g_free (got);
      return FALSE;
    }
  }
  if (t->data == NULL && ovi_shape_numel (t->rank, t->dims) > 0) {
    g_set_error (error, OVI_ERROR, OVI_ERROR_ARGUMENT,
        "input '%s' has no data", name);
    return FALSE;
  }
  /* Caller memory again: the device no longer fills this input. */
  if (r->image_on_device[index] && r->device_request
      && !r->cm->iface->set_input_image (r->device_request, index, 0, NULL,
          error))
    return FALSE;
  r->image_on_device[index] = FALSE;
  r->inputs[index] = *t;
  r->input_set[index] = TRUE;
  return TRUE;
}

/* The device request, made now if the request has none, for the plan of
 * the model's declared input shapes (a device that takes pictures runs
 * static shapes). */
static gboolean
ensure_device_request (OviRequest *r, GError **error)
{
  OviTensorView *views;
  OviPlan *plan;
  gboolean ok;
  if (r->device_request)
    return TRUE;
  views = g_new0 (OviTensorView, MAX (r->n_inputs, 1));
  for (int i = 0; i < r->n_inputs; i++) {
    if (r->input_set[i])
      views[i] = r->inputs[i];
    else
      ovi_model_get_input (r->cm->model, i, NULL, &views[i]);
  }
  plan = ovi_compiled_model_get_plan (r->cm, views, error);
  g_free (views);
  if (plan != NULL && plan->executable == NULL) {
    g_set_error (error, OVI_ERROR, OVI_ERROR_DEVICE,
        "the device has no executable for this model");
    ovi_plan_unref (plan);
    return FALSE;
  }
  ok = plan != NULL && bind_device (r, plan, error);
  return ok;
}

gboolean
ovi_request_set_input_image (OviRequest *r, int index, int batch,
    const OviImage *image, GError **error)
{
  OviTensorView info;
  const char *name;
  int64_t per_image, n;
  gsize esize, bytes;

  if (!ovi_model_get_input (r->cm->model, index, &name, &info)) {
    g_set_error (error, OVI_ERROR, OVI_ERROR_ARGUMENT,
        "the model has no input %d", index);
    return FALSE;
  }
  if (!ovi_image_check (image, error))
    return FALSE;
  per_image = (int64_t) image->out_width * image->out_height
      * image->channels;
  n = info.rank == 4 ? ovi_shape_numel (info.rank, info.dims) : -1;
  if (info.dtype != image->dtype || info.rank != 4 || n <= 0
      || info.dims[0] <= 0 || n != info.dims[0] * per_image
      || (image->nhwc ? info.dims[1] != image->out_height
          || info.dims[2] != image->out_width
          || info.dims[3] != image->channels
          : info.dims[1] != image->channels
          || info.dims[2] != image->out_height
          || info.dims[3] != image->out_width)) {
    g_set_error (error, OVI_ERROR, OVI_ERROR_ARGUMENT,
        "input '%s' (%s, %" G_GINT64_FORMAT " elements) does not take a "
        "%dx%dx%d %s picture", name, ovi_dtype_name (info.dtype), n,
        image->channels, image->out_height, image->out_width,
        ovi_dtype_name (image->dtype));
    return FALSE;
  }
  if (batch < 0 || batch >= info.dims[0]) {
    g_set_error (error, OVI_ERROR, OVI_ERROR_ARGUMENT,
        "input '%s' has %" G_GINT64_FORMAT " batch entries, not %d", name,
        info.dims[0], batch + 1);
    return FALSE;
  }
  esize = ovi_dtype_size (info.dtype);
  bytes = (gsize) n * esize;
  /* The request's own tensor memory: the input's host view either way
   * (on a device, what a CPU step would read the input back into). */
  if (r->image_memory[index] == NULL) {
    r->image_memory[index] = ovi_aligned_alloc (bytes);
    if (r->image_memory[index] == NULL) {
      g_set_error (error, OVI_ERROR, OVI_ERROR_INVALID,
          "cannot allocate %" G_GSIZE_FORMAT " bytes", bytes);
      return FALSE;
    }
    memset (r->image_memory[index], 0, bytes);
  }
  info.data = r->image_memory[index];
  r->inputs[index] = info;
  r->input_set[index] = TRUE;
  r->pictures = TRUE;
  if (ovi_compiled_model_takes_images (r->cm)) {
    if (!ensure_device_request (r, error)
        || !r->cm->iface->set_input_image (r->device_request, index, batch,
            image, error))
      return FALSE;
    r->image_on_device[index] = TRUE;
    return TRUE;
  }
  {
    guint64 t0 = r->profiling ? now_ns () : 0;
    ovi_image_preprocess (image, r->image_memory[index]
        + (gsize) batch * per_image * esize);
    if (r->profiling) {
      /* Counted into the profile by the next inference. */
      r->picture_ns += now_ns () - t0;
      r->picture_runs++;
    }
  }
  return TRUE;
}

gboolean
ovi_request_set_input (OviRequest *r, const char *name,
    const OviTensorView *t, GError **error)
{
  for (int i = 0; i < r->n_inputs; i++) {
    const char *n;
    ovi_model_get_input (r->cm->model, i, &n, NULL);
    if (strcmp (n, name) == 0)
      return ovi_request_set_input_by_index (r, i, t, error);
  }
  g_set_error (error, OVI_ERROR, OVI_ERROR_ARGUMENT,
      "the model has no input '%s'", name);
  return FALSE;
}

/* Points every tensor of the plan at its memory for this request. */
static gboolean
bind (OviRequest *r, OviPlan *plan, GError **error)
{
  unbind (r);
  r->plan = plan;
  if (plan->arena_size > r->arena_capacity) {
    ovi_aligned_free (r->arena);
    r->arena = ovi_aligned_alloc (plan->arena_size);
    r->arena_capacity = r->arena ? plan->arena_size : 0;
    if (r->arena == NULL) {
      g_set_error (error, OVI_ERROR, OVI_ERROR_INVALID,
          "cannot allocate %" G_GSIZE_FORMAT " bytes of working memory",
          plan->arena_size);
      unbind (r);
      return FALSE;
    }
  }
  r->n_tensors = plan->graph->values->len;
  ovi_plan_bind_tensors (plan, r->arena, &r->tensors, &r->io, &r->io_start);
  return TRUE;
}

static gboolean
infer_now (OviRequest *r, GError **error)
{
  OviPlan *plan;
  const OviGraph *g;

  for (int i = 0; i < r->n_inputs; i++) {
    if (!r->input_set[i]) {
      const char *name;
      ovi_model_get_input (r->cm->model, i, &name, NULL);
      g_set_error (error, OVI_ERROR, OVI_ERROR_ARGUMENT,
          "input '%s' is not set", name);
      return FALSE;
    }
  }
  /* Re-plan when an input shape differs from the bound plan's. */
  plan = r->plan;
  if (plan) {
    g = plan->graph;
    for (int i = 0; i < r->n_inputs && plan; i++) {
      const OviValue *v = ovi_graph_value (g,
          g_array_index (g->inputs, int, i));
      if (!ovi_shape_equal (v->rank, v->dims, r->inputs[i].rank,
              r->inputs[i].dims))
        plan = NULL;
    }
  }
  if (plan == NULL) {
    plan = ovi_compiled_model_get_plan (r->cm, r->inputs, error);
    if (plan == NULL || !(plan->executable ? bind_device (r, plan, error)
            : bind (r, plan, error)))
      return FALSE;
  }
  g = plan->graph;
  if (r->profiling && r->profile == NULL) {
    /* One entry per step, then the pictures' pre-processing. */
    r->profile = g_new0 (OviProfileEntry, plan->n_steps + 1);
    for (int s = 0; s < plan->n_steps; s++) {
      r->profile[s].node_name = plan->steps[s].node->name;
      r->profile[s].op_type = plan->steps[s].node->op_type;
    }
    r->profile[plan->n_steps].node_name = "(input pictures)";
    r->profile[plan->n_steps].op_type = "Preprocess";
  }
  if (r->profile) {
    r->profile[plan->n_steps].total_ns += r->picture_ns;
    r->profile[plan->n_steps].runs += r->picture_runs;
  }
  r->picture_ns = r->picture_runs = 0;
  if (plan->executable)
    return r->cm->iface->infer (r->device_request, r->inputs,
        r->device_outputs, r->profile, error);
  for (int i = 0; i < r->n_inputs; i++) {
    OviTensor *t = &r->tensors[g_array_index (g->inputs, int, i)];
    t->data = r->inputs[i].data;
  }

  for (int s = 0; s < plan->n_steps; s++) {
    const OviPlanStep *step = &plan->steps[s];
    const OviNode *n = step->node;
    OviTensor **io = r->io + r->io_start[s];
    OviOpCtx ctx = { .node = n, .opset = g->opset, .n_inputs = n->n_inputs,
      .inputs = io, .n_outputs = n->n_outputs, .outputs = io + n->n_inputs,
      .source = g->source, .state = step->state,
      .scratch = r->arena + step->scratch_offset,
      .scratch_size = step->scratch_size,
      .max_threads = plan->max_threads };
    guint64 start = r->profile ? now_ns () : 0;
    gboolean ok = step->dynamic
        ? ovi_plan_run_dynamic_step (plan, step, &ctx, &r->dynamic_scratch,
            error)
        : step->kernel->run (&ctx, error);
    if (!ok)
      return FALSE;
    if (r->profile) {
      r->profile[s].total_ns += now_ns () - start;
      r->profile[s].runs++;
    }
  }
  /* Sequences have no public view: one reaching an output (a value whose
   * type was unknown at plan time) is refused. */
  for (guint i = 0; i < g->outputs->len; i++) {
    const OviTensor *t = &r->tensors[g_array_index (g->outputs, int, i)];
    if (t->dtype == OVI_DTYPE_SEQUENCE) {
      g_set_error (error, OVI_ERROR, OVI_ERROR_UNSUPPORTED,
          "%s: output '%s' is a sequence, which is not supported", g->source,
          ovi_graph_value (g, g_array_index (g->outputs, int, i))->name);
      return FALSE;
    }
  }
  return TRUE;
}

/* Marks the request running, and for an asynchronous run sets its
 * callback and clears the last run's error; FALSE when it already runs. */
static gboolean
claim (OviRequest *r, gboolean async, OviRequestCallback callback,
    gpointer user_data, GError **error)
{
  g_mutex_lock (&r->lock);
  if (r->busy) {
    g_mutex_unlock (&r->lock);
    g_set_error (error, OVI_ERROR, OVI_ERROR_ARGUMENT,
        "the request is already running");
    return FALSE;
  }
  r->busy = TRUE;
  if (async) {
    g_clear_error (&r->async_error);
    r->callback = callback;
    r->callback_data = user_data;
  }
  g_mutex_unlock (&r->lock);
  return TRUE;
}

/* Marks it done and wakes its waiters. */
static void
release (OviRequest *r)
{
  g_mutex_lock (&r->lock);
  r->busy = FALSE;
  g_cond_broadcast (&r->done_cond);
  g_mutex_unlock (&r->lock);
}

/* infer_now, timed, and counted when it succeeds. */
static gboolean
run_counted (OviRequest *r, GError **error)
{
  guint64 start = now_ns ();
  if (!infer_now (r, error))
    return FALSE;
  r->last_run_ns = now_ns () - start;
  r->has_run = TRUE;
  ovi_compiled_model_record_run (r->cm, r->last_run_ns);
  return TRUE;
}

/* Ends an asynchronous inference with its result (taken). */
static void
complete_async (OviRequest *r, GError *err)
{
  OviRequestCallback cb;
  gpointer data;

  g_mutex_lock (&r->lock);
  r->async_error = err;
  cb = r->callback;
  data = r->callback_data;
  g_mutex_unlock (&r->lock);
  /* The callback runs before waiters wake, so it sees the outputs first;
   * it must not free the request. */
  if (cb)
    cb (r, err, data);
  release (r);
}

/* AUTO: each inference runs whole on one device's request. The device is
 * the scheduler's choice; an inference that fails there is retried on the
 * next one, and the device that failed is dropped only once another has
 * run the same inputs (an input no device can run is the caller's error,
 * not a device failure). */

static void
auto_reset (OviRequest *r)
{
  r->tried = 0;
  r->blamed = -1;
  g_clear_error (&r->blamed_error);
}

/* The device failed this inference (err taken). */
static void
auto_failed (OviRequest *r, GError *err)
{
  ovi_auto_end (r->cm->sched, r->current, FALSE, 0);
  r->tried |= 1ull << r->current;
  if (r->blamed < 0) {
    r->blamed = r->current;
    r->blamed_error = err;
  } else {
    g_error_free (err);
  }
}

static void
auto_succeeded (OviRequest *r, guint64 run_ns)
{
  ovi_auto_end (r->cm->sched, r->current, TRUE, run_ns);
  if (r->blamed >= 0)
    ovi_auto_drop (r->cm->sched, r->blamed, r->current, r->blamed_error);
  r->last_device = r->current;
  r->has_run = TRUE;
  r->last_run_ns = run_ns;
  auto_reset (r);
}

/* The next device's request with this request's inputs bound, NULL with
 * the first device's error when every device has been tried. */
static OviRequest *
auto_next (OviRequest *r, GError **error)
{
  for (;;) {
    OviCompiledModel *compiled;
    OviRequest *child;
    GError *err = NULL;
    int d = ovi_auto_begin (r->cm->sched, r->tried, &compiled);

    if (d < 0) {
      if (r->blamed_error)
        g_propagate_error (error, g_error_copy (r->blamed_error));
      else
        g_set_error (error, OVI_ERROR, OVI_ERROR_DEVICE,
            "no device is left to run the inference");
      auto_reset (r);
      return NULL;
    }
    r->current = d;
    if (r->children[d] == NULL)
      r->children[d] = ovi_request_new (compiled, &err);
    child = r->children[d];
    /* Its last inference may still be returning from its callback. */
    if (child)
      ovi_request_wait (child, NULL);
    for (int i = 0; child && i < r->n_inputs && err == NULL; i++)
      ovi_request_set_input_by_index (child, i, &r->inputs[i], &err);
    if (err == NULL)
      return child;
    auto_failed (r, err);
  }
}

static gboolean
auto_infer (OviRequest *r, GError **error)
{
  OviRequest *child;
  auto_reset (r);
  while ((child = auto_next (r, error))) {
    GError *err = NULL;
    if (ovi_request_infer (child, &err)) {
      auto_succeeded (r, child->last_run_ns);
      return TRUE;
    }
    auto_failed (r, err);
  }
  return FALSE;
}

static void auto_submit (OviRequest *r);

/* A device's request finished (on that device's worker thread). */
static void
auto_child_done (OviRequest *child, const GError *error, gpointer user_data)
{
  OviRequest *r = user_data;
  if (error == NULL) {
    auto_succeeded (r, child->last_run_ns);
    complete_async (r, NULL);
    return;
  }
  auto_failed (r, g_error_copy (error));
  auto_submit (r);
}

static void
auto_submit (OviRequest *r)
{
  GError *err = NULL;
  OviRequest *child;
  while ((child = auto_next (r, &err))) {
    if (ovi_request_infer_async (child, auto_child_done, r, &err))
      return;
    auto_failed (r, err);
    err = NULL;
  }
  complete_async (r, err);
}

gboolean
ovi_request_infer (OviRequest *r, GError **error)
{
  gboolean ok;
  if (!claim (r, FALSE, NULL, NULL, error))
    return FALSE;
  if (r->cm->sched) {
    ok = auto_infer (r, error);
  } else {
    omp_set_num_threads (r->cm->threads_per_stream);
    ok = run_counted (r, error);
  }
  release (r);
  return ok;
}

void
ovi_request_run_async_job (OviRequest *r)
{
  GError *err = NULL;
  run_counted (r, &err);
  complete_async (r, err);
}

gboolean
ovi_request_infer_async (OviRequest *r, OviRequestCallback callback,
    gpointer user_data, GError **error)
{
  GError *err = NULL;
  GThreadPool *pool;
  if (!claim (r, TRUE, callback, user_data, error))
    return FALSE;
  if (r->cm->sched) {
    auto_reset (r);
    auto_submit (r);
    return TRUE;
  }
  pool = ovi_compiled_model_get_workers (r->cm, error);
  if (pool == NULL) {
    release (r);
    return FALSE;
  }
  if (!g_thread_pool_push (pool, r, &err)) {
    release (r);
    g_set_error (error, OVI_ERROR, OVI_ERROR_DEVICE,
        "cannot queue the request: %s", err->message);
    g_error_free (err);
    return FALSE;
  }
  return TRUE;
}

gboolean
ovi_request_wait (OviRequest *r, GError **error)
{
  gboolean ok;
  g_mutex_lock (&r->lock);
  while (r->busy)
    g_cond_wait (&r->done_cond, &r->lock);
  ok = r->async_error == NULL;
  if (!ok && error)
    *error = g_error_copy (r->async_error);
  g_mutex_unlock (&r->lock);
  return ok;
}

const char *
ovi_request_get_device (const OviRequest *r)
{
  if (r->cm->sched)
    return ovi_auto_get_device_name (r->cm->sched, r->last_device);
  return r->has_run ? r->cm->device_name : NULL;
}

int
ovi_request_get_n_outputs (const OviRequest *r)
{
  return r->cm->model->graph->outputs->len;
}

gboolean
ovi_request_get_output (const OviRequest *r, int index, const char **name,
    OviTensorView *out)
{
  const OviGraph *g;
  const OviTensor *t;
  if (r->cm->sched)
    return r->last_device >= 0 && ovi_request_get_output (
        r->children[r->last_device], index, name, out);
  if (r->plan == NULL || index < 0 || index >= ovi_request_get_n_outputs (r))
    return FALSE;
  g = r->plan->graph;
  if (name)
    *name = ovi_graph_value (g, g_array_index (g->outputs, int, index))->name;
  if (out && r->device_outputs) {
    *out = r->device_outputs[index];
    return TRUE;
  }
  t = &r->tensors[g_array_index (g->outputs, int, index)];
  if (out) {
    memset (out, 0, sizeof (*out));
    out->dtype = t->dtype;
    out->rank = t->rank;
    memcpy (out->dims, t->dims, sizeof (out->dims));
    out->data = t->data;
  }
  return TRUE;
}

void
ovi_request_set_profiling (OviRequest *r, gboolean enable)
{
  g_mutex_lock (&r->lock);
  r->profiling = enable;
  if (!enable)
    g_clear_pointer (&r->profile, g_free);
  g_mutex_unlock (&r->lock);
}

void
ovi_request_reset_profile (OviRequest *r)
{
  g_mutex_lock (&r->lock);
  for (int s = 0; r->profile && s <= r->plan->n_steps; s++)
    r->profile[s].total_ns = r->profile[s].runs = 0;
  r->picture_ns = r->picture_runs = 0;
  g_mutex_unlock (&r->lock);
}

const OviProfileEntry *
ovi_request_get_profile (const OviRequest *r, int *n_entries)
{
  *n_entries = r->profile ? r->plan->n_steps + (r->pictures ? 1 : 0) : 0;
  return r->profile;
}
