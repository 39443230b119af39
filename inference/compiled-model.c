/* OviCompiledModel: a model bound to a device and a performance hint,
 * with its plans cached per input shape and its worker threads. */
#include <omp.h>
#include <string.h>

#include "auto-scheduler.h"
#include "device-list.h"
#include "model.h"
#include "request-private.h"
#include "thread-affinity.h"

#define MAX_CACHED_PLANS 8

static int
n_cores (void)
{
  return ovi_affinity_cpu_count ();
}

/* The compiled model a worker thread was set up for. */
static GPrivate worker_owner;

static void
worker_main (gpointer data, gpointer user_data)
{
  OviCompiledModel *cm = user_data;
  if (g_private_get (&worker_owner) != cm) {
    /* First job of this thread: it is stream n for good (the pool's
     * threads are exclusive and live as long as it). Its OpenMP team
     * keeps its size, and with pinning its cores. */
    int stream = g_atomic_int_add (&cm->next_stream, 1) % cm->n_streams;
    g_private_set (&worker_owner, cm);
    omp_set_num_threads (cm->threads_per_stream);
    if (!cm->config.disable_pinning)
      ovi_affinity_pin_team (stream * cm->threads_per_stream,
          cm->threads_per_stream);
  }
  ovi_request_run_async_job (data);
}

static void
drop_weights (OviGraph *g)
{
  for (guint i = 0; i < g->values->len; i++) {
    OviValue *v = ovi_graph_value (g, i);
    if (v->constant && !ovi_dtype_is_object (v->constant->dtype))
      ovi_tensor_clear (v->constant);
  }
}

static OviCompiledModel *
compiled_model_new (OviModel *model, const OviCompileConfig *config)
{
  OviCompiledModel *cm = g_new0 (OviCompiledModel, 1);
  cm->ref_count = 1;
  /* A copy of the graph sharing the model's weights: the caller may drop
   * the model, and with it the weights this compiled model's plans have
   * packed (see ovi_compile). */
  cm->model = ovi_model_new_from_graph (ovi_graph_copy (model->graph));
  if (config)
    cm->config = *config;
  g_mutex_init (&cm->lock);
  g_mutex_init (&cm->stats_lock);
  cm->plans = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      (GDestroyNotify) ovi_plan_unref);
  return cm;
}

/* Fixed input shapes give every output a shape: the compiled model's
 * description says it (symbolic or reshaped outputs included). The plan
 * keeps the graph's outputs in order and in the plain layout. */
static void
describe_outputs (OviGraph *g, const OviGraph *planned)
{
  for (guint i = 0; i < g->outputs->len && i < planned->outputs->len; i++) {
    OviValue *v = ovi_graph_value (g, g_array_index (g->outputs, int, i));
    const OviValue *p = ovi_graph_value (planned,
        g_array_index (planned->outputs, int, i));
    if (p->dynamic || p->rank < 0)
      continue;
    v->dtype = p->dtype;
    v->rank = p->rank;
    memcpy (v->dims, p->dims, sizeof (v->dims));
  }
}

/* AUTO and lists of several devices: a compiled model per device behind
 * the scheduler; this one has no plans of its own. */
static OviCompiledModel *
compile_scheduled (OviModel *model, GPtrArray *names,
    const OviCompileConfig *config, GError **error)
{
  OviCompiledModel *cm = compiled_model_new (model, config);
  OviModel *first;

  cm->iface = ovi_device_interface (OVI_DEVICE_TYPE_CPU);
  cm->threads_per_stream = 1;
  cm->sched = ovi_auto_new (cm, model, names, config, error);
  if (cm->sched == NULL) {
    ovi_compiled_model_unref (cm);
    return NULL;
  }
  cm->n_streams = ovi_auto_get_optimal_requests (cm->sched);
  first = ovi_auto_get_first_model (cm->sched);
  if (first)
    describe_outputs (cm->model->graph, first->graph);
  return cm;
}

OviCompiledModel *
ovi_compile (OviModel *model, const char *device,
    const OviCompileConfig *config, GError **error)
{
  OviCompiledModel *cm;
  int cores = n_cores ();
  GPtrArray *names;
  gboolean scheduled;
  const OviDeviceInterface *iface;
  int index = 0;

  g_return_val_if_fail (model != NULL, NULL);
  if (model->weights_dropped) {
    g_set_error (error, OVI_ERROR, OVI_ERROR_ARGUMENT,
        "%s: this model came from a compiled model and has no weights; "
        "compile the loaded model", model->graph->source);
    return NULL;
  }
  names = ovi_device_list_parse (device, &scheduled, error);
  if (names == NULL)
    return NULL;
  if (names->len > 1) {
    cm = compile_scheduled (model, names, config, error);
    g_ptr_array_free (names, TRUE);
    return cm;
  }
  /* One device (AUTO where only the CPU is present): compiled as such. */
  if (!ovi_device_lookup (names->pdata[0], &iface, &index, error)) {
    g_ptr_array_free (names, TRUE);
    return NULL;
  }
  g_ptr_array_free (names, TRUE);
  cm = compiled_model_new (model, config);
  cm->iface = iface;
  cm->device_name = ovi_device_get_name (iface, index);
  if (iface->open) {
    cm->device = iface->open (index, &cm->config, error);
    if (cm->device == NULL) {
      ovi_compiled_model_unref (cm);
      return NULL;
    }
  }
  {
    int threads = cm->config.n_threads > 0 ? MIN (cm->config.n_threads, cores)
        : cores;
    int streams = cm->config.type_streams[iface->type] > 0
        ? cm->config.type_streams[iface->type] : cm->config.n_streams;
    if (streams > 0) {
      /* Streams set by the caller share the threads, under either hint,
       * as OpenVINO's NUM_STREAMS does. */
      cm->n_streams = streams;
    } else if (cm->config.hint == OVI_HINT_THROUGHPUT) {
      /* On the CPU a stream per core; an accelerator runs the requests of
       * its streams on itself, where queueing many only adds contention:
       * on an H100, MobileNetV2 made 1308 inferences/s with 4 requests in
       * flight and 1150 with 32 (2 per core of 16); ResNet-50 743 and
       * 751. Two streams, as OpenVINO's GPU plugin defaults to. */
      cm->n_streams = iface->type == OVI_DEVICE_TYPE_CPU ? threads : 2;
      if (cm->config.hint_num_requests > 0)
        cm->n_streams = MIN (cm->n_streams, cm->config.hint_num_requests);
    } else {
      cm->n_streams = 1;
    }
    cm->threads_per_stream = MAX (1, threads / cm->n_streams);
  }
  /* With fully known input shapes, plan now: errors surface at compile
   * and the first inference allocates only its arena. */
  {
    OviGraph *g = model->graph;
    OviTensorView *views = g_new0 (OviTensorView, MAX (g->inputs->len, 1));
    gboolean known = TRUE;
    for (guint i = 0; i < g->inputs->len; i++) {
      ovi_model_get_input (model, i, NULL, &views[i]);
      known &= views[i].rank >= 0
          && ovi_shape_numel (views[i].rank, views[i].dims) >= 0;
    }
    if (known) {
      OviPlan *plan = ovi_compiled_model_get_plan (cm, views, error);
      if (plan == NULL) {
        g_free (views);
        ovi_compiled_model_unref (cm);
        return NULL;
      }
      describe_outputs (cm->model->graph, plan->graph);
      ovi_plan_unref (plan);
      /* Inputs of fixed shape never need another plan (set_input refuses
       * other shapes), so on the CPU the graph's weights are needed no
       * more: the plan holds what its kernels did not pack. */
      if (cm->iface->type == OVI_DEVICE_TYPE_CPU) {
        drop_weights (cm->model->graph);
        cm->model->weights_dropped = TRUE;
      }
    }
    g_free (views);
  }
  return cm;
}

static char *
shape_key (const OviGraph *g, const OviTensorView *inputs)
{
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < g->inputs->len; i++) {
    g_string_append_printf (s, "%d:", inputs[i].dtype);
    for (int d = 0; d < inputs[i].rank; d++)
      g_string_append_printf (s, "%" G_GINT64_FORMAT ",", inputs[i].dims[d]);
    g_string_append_c (s, ';');
  }
  return g_string_free (s, FALSE);
}

OviPlan *
ovi_compiled_model_get_plan (OviCompiledModel *cm,
    const OviTensorView *inputs, GError **error)
{
  OviGraph *g = cm->model->graph;
  char *key = shape_key (g, inputs);
  OviPlan *plan;

  g_mutex_lock (&cm->lock);
  plan = g_hash_table_lookup (cm->plans, key);
  if (plan) {
    ovi_plan_ref (plan);
    g_free (key);
  } else {
    plan = ovi_plan_new_with_flags (g, inputs, cm->threads_per_stream,
        cm->iface->compile ? OVI_PLAN_DEFAULT
        : OVI_PLAN_RELEASE_PACKED | OVI_PLAN_BLOCKED_LAYOUT, error);
    if (plan && cm->iface->compile) {
      plan->executable = cm->iface->compile (cm->device, plan, error);
      plan->release_executable = cm->iface->release;
      if (plan->executable == NULL)
        g_clear_pointer (&plan, ovi_plan_unref);
    }
    if (plan) {
      if (g_hash_table_size (cm->plans) >= MAX_CACHED_PLANS)
        g_hash_table_remove_all (cm->plans);
      g_hash_table_insert (cm->plans, key, ovi_plan_ref (plan));
    } else {
      g_free (key);
    }
  }
  g_mutex_unlock (&cm->lock);
  return plan;
}

/* Worker threads start with the first asynchronous request, so that
 * synchronous users (and the compile step) start no threads. */
GThreadPool *
ovi_compiled_model_get_workers (OviCompiledModel *cm, GError **error)
{
  GError *err = NULL;
  g_mutex_lock (&cm->lock);
  if (cm->workers == NULL) {
    cm->workers = g_thread_pool_new (worker_main, cm, cm->n_streams, TRUE,
        &err);
    if (cm->workers == NULL) {
      g_set_error (error, OVI_ERROR, OVI_ERROR_DEVICE,
          "cannot start worker threads: %s", err->message);
      g_error_free (err);
    }
  }
  g_mutex_unlock (&cm->lock);
  return cm->workers;
}

OviCompiledModel *
ovi_compiled_model_ref (OviCompiledModel *cm)
{
  g_atomic_int_inc (&cm->ref_count);
  return cm;
}

void
ovi_compiled_model_unref (OviCompiledModel *cm)
{
  if (cm == NULL || !g_atomic_int_dec_and_test (&cm->ref_count))
    return;
  if (cm->workers)
    g_thread_pool_free (cm->workers, FALSE, TRUE);
  if (cm->sched)
    ovi_auto_free (cm->sched);
  g_hash_table_destroy (cm->plans);
  if (cm->device)
    cm->iface->close (cm->device);
  g_mutex_clear (&cm->lock);
  g_mutex_clear (&cm->stats_lock);
  ovi_model_unref (cm->model);
  g_free (cm);
}

OviModel *
ovi_compiled_model_get_model (OviCompiledModel *cm)
{
  return cm->model;
}

gboolean
ovi_compiled_model_takes_images (OviCompiledModel *cm)
{
  /* Not through AUTO: its device is chosen per inference, after the
   * picture was set. */
  return cm->sched == NULL && cm->iface != NULL
      && cm->iface->set_input_image != NULL;
}

int
ovi_compiled_model_get_optimal_requests (const OviCompiledModel *cm)
{
  return cm->n_streams;
}

void
ovi_compiled_model_record_run (OviCompiledModel *cm, guint64 run_ns)
{
  g_mutex_lock (&cm->stats_lock);
  cm->n_inferences++;
  cm->mean_run_ns = ovi_run_time_average (cm->mean_run_ns, run_ns);
  g_mutex_unlock (&cm->stats_lock);
}

guint
ovi_compiled_model_add_listener (OviCompiledModel *cm,
    OviDeviceEventFunc func, gpointer user_data)
{
  /* One device has nothing to report; ids are still distinct from 0. */
  return cm->sched ? ovi_auto_add_listener (cm->sched, func, user_data)
      : G_MAXUINT;
}

void
ovi_compiled_model_remove_listener (OviCompiledModel *cm, guint id)
{
  if (cm->sched)
    ovi_auto_remove_listener (cm->sched, id);
}

const char *
ovi_compiled_model_get_device (OviCompiledModel *cm)
{
  return cm->sched ? ovi_auto_get_preferred (cm->sched) : cm->device_name;
}

int
ovi_compiled_model_get_device_usage (OviCompiledModel *cm,
    OviDeviceUsage *usage, int max)
{
  if (cm->sched)
    return ovi_auto_get_usage (cm->sched, usage, max);
  if (max > 0) {
    g_mutex_lock (&cm->stats_lock);
    usage[0].name = cm->device_name;
    usage[0].state = OVI_DEVICE_STATE_ACTIVE;
    usage[0].inferences = cm->n_inferences;
    usage[0].mean_latency_ms = cm->mean_run_ns / 1e6;
    g_mutex_unlock (&cm->stats_lock);
  }
  return 1;
}

OviCompiledModel *
ovi_compile_plan_on_cpu (const OviPlan *plan, GError **error)
{
  OviCompileConfig config = { .n_threads = plan->max_threads };
  OviModel *model = ovi_model_new_from_graph (ovi_graph_copy (plan->graph));
  OviCompiledModel *cm = ovi_compile (model, "CPU", &config, error);
  ovi_model_unref (model);
  return cm;
}
