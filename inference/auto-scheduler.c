/* The AUTO scheduler (auto-scheduler.h).
 *
 * Policy, per inference (ovi_auto_begin):
 * 1. A device whose compile finished but which has not run yet gets the
 *    next inference as its trial, one trial at a time. The trial is a real
 *    frame: if it fails, the request retries it on another device, so a
 *    device that cannot run the model costs one retry, never a frame.
 * 2. Otherwise, among the devices that have run, in the list's order:
 *    the first one with a free slot (fewer requests on it than it runs at
 *    once) takes the inference, as OpenVINO's AUTO keeps to its priority
 *    list. Past a busy device, a later one takes it only when it is
 *    expected to finish sooner, by PRIORITY_MARGIN: expected finish is
 *    the moving-average run time times (requests on it / requests it runs
 *    at once + 1). So one request at a time stays on the best device in
 *    the list, and several in flight spill onto the next devices exactly
 *    when running side by side finishes sooner than queueing (a GPU ten
 *    times faster than the CPU keeps its queue; an equal one shares it).
 * The "preferred" device, reported by MIGRATED events, is the first one
 * in the list that has run successfully; which device ran each inference
 * is the request's (ovi_request_get_device). */
#include <string.h>

#include "auto-scheduler.h"
#include "model.h"

/* How much sooner a later device must be expected to finish. */
#define PRIORITY_MARGIN 0.8

typedef struct {
  char *name;
  OviCompiledModel *compiled;   /* NULL until compiled */
  OviDeviceState state;
  gboolean trial;               /* its first inference is running */
  GThread *compile_thread;
  int parallel;                 /* requests it runs at once */
  int in_flight;
  guint64 inferences;
  double mean_ns;               /* 0 until measured */
} Target;

typedef struct {
  guint id;
  OviDeviceEventFunc func;
  gpointer user_data;
} Listener;

struct _OviAuto {
  OviCompiledModel *owner;
  OviModel *model;
  OviCompileConfig config;
  Target *targets;
  int n_targets;
  int preferred;                /* -1 before any device has run */
  GMutex lock;
  gboolean closing;
  /* Held while listeners run, so that removal waits for them. */
  GMutex emit_lock;
  GArray *listeners;            /* Listener */
  guint next_listener_id;
};

typedef struct {
  OviAuto *sched;
  int index;
} CompileJob;

static void
emit (OviAuto *a, const OviDeviceEvent *event)
{
  g_mutex_lock (&a->emit_lock);
  for (guint i = 0; i < a->listeners->len; i++) {
    Listener *l = &g_array_index (a->listeners, Listener, i);
    l->func (a->owner, event, l->user_data);
  }
  g_mutex_unlock (&a->emit_lock);
}

static void
emit_failed (OviAuto *a, int t, const char *message)
{
  OviDeviceEvent event = { .type = OVI_DEVICE_EVENT_FAILED,
    .device = a->targets[t].name, .message = message };
  emit (a, &event);
}

static gpointer
compile_thread (gpointer data)
{
  CompileJob *job = data;
  OviAuto *a = job->sched;
  Target *t = &a->targets[job->index];
  GError *err = NULL;
  gint64 start = g_get_monotonic_time ();
  OviCompiledModel *c = ovi_compile (a->model, t->name, &a->config, &err);
  gboolean closing;

  g_mutex_lock (&a->lock);
  t->compiled = c;
  t->state = c ? OVI_DEVICE_STATE_COMPILED : OVI_DEVICE_STATE_FAILED;
  if (c)
    t->parallel = MAX (1, ovi_compiled_model_get_optimal_requests (c));
  closing = a->closing;
  g_mutex_unlock (&a->lock);
  if (c) {
    ovi_log (OVI_LOG_INFO, "AUTO: %s compiled in %.0f ms", t->name,
        (g_get_monotonic_time () - start) / 1000.0);
  } else {
    ovi_log (OVI_LOG_WARNING, "AUTO: %s left out: %s", t->name,
        err->message);
    if (!closing)
      emit_failed (a, job->index, err->message);
    g_error_free (err);
  }
  g_free (job);
  return NULL;
}

/* The device compiled before ovi_compile returns: the CPU, whose compile
 * is fast, or without one the first device that compiles. */
static gboolean
compile_first (OviAuto *a, GError **error)
{
  int first = -1;
  GError *first_error = NULL;

  for (int i = 0; i < a->n_targets && first < 0; i++)
    if (g_ascii_strcasecmp (a->targets[i].name, "CPU") == 0)
      first = i;
  for (int i = first >= 0 ? first : 0; i < a->n_targets; i++) {
    Target *t = &a->targets[i];
    GError *err = NULL;
    t->compiled = ovi_compile (a->model, t->name, &a->config, &err);
    if (t->compiled) {
      t->parallel = MAX (1,
          ovi_compiled_model_get_optimal_requests (t->compiled));
      /* It has run no inference yet, but it is the one to start on:
       * active at once, unmeasured. */
      t->state = OVI_DEVICE_STATE_ACTIVE;
      a->preferred = i;
      g_clear_error (&first_error);
      return TRUE;
    }
    t->state = OVI_DEVICE_STATE_FAILED;
    if (first_error == NULL)
      first_error = err;
    else
      g_error_free (err);
    if (first >= 0)
      break;        /* the CPU failed: an error in the model itself */
  }
  g_propagate_error (error, first_error);
  return FALSE;
}

OviAuto *
ovi_auto_new (OviCompiledModel *owner, OviModel *model, GPtrArray *names,
    const OviCompileConfig *config, GError **error)
{
  OviAuto *a;

  if (names->len > OVI_AUTO_MAX_DEVICES) {
    g_set_error (error, OVI_ERROR, OVI_ERROR_DEVICE,
        "more than %d devices listed", OVI_AUTO_MAX_DEVICES);
    return NULL;
  }
  a = g_new0 (OviAuto, 1);
  a->owner = owner;
  a->model = ovi_model_ref (model);
  if (config)
    a->config = *config;
  a->n_targets = names->len;
  a->targets = g_new0 (Target, a->n_targets);
  for (int i = 0; i < a->n_targets; i++) {
    a->targets[i].name = g_strdup (names->pdata[i]);
    a->targets[i].state = OVI_DEVICE_STATE_COMPILING;
    a->targets[i].parallel = 1;
  }
  a->preferred = -1;
  g_mutex_init (&a->lock);
  g_mutex_init (&a->emit_lock);
  a->listeners = g_array_new (FALSE, FALSE, sizeof (Listener));
  if (!compile_first (a, error)) {
    ovi_auto_free (a);
    return NULL;
  }
  for (int i = 0; i < a->n_targets; i++) {
    Target *t = &a->targets[i];
    CompileJob *job;
    if (t->state != OVI_DEVICE_STATE_COMPILING)
      continue;
    job = g_new (CompileJob, 1);
    job->sched = a;
    job->index = i;
    t->compile_thread = g_thread_new ("ovi-compile", compile_thread, job);
  }
  return a;
}

void
ovi_auto_free (OviAuto *a)
{
  g_mutex_lock (&a->lock);
  a->closing = TRUE;
  g_mutex_unlock (&a->lock);
  for (int i = 0; i < a->n_targets; i++)
    if (a->targets[i].compile_thread)
      g_thread_join (a->targets[i].compile_thread);
  for (int i = 0; i < a->n_targets; i++) {
    ovi_compiled_model_unref (a->targets[i].compiled);
    g_free (a->targets[i].name);
  }
  g_free (a->targets);
  g_array_free (a->listeners, TRUE);
  g_mutex_clear (&a->lock);
  g_mutex_clear (&a->emit_lock);
  ovi_model_unref (a->model);
  g_free (a);
}

int
ovi_auto_get_n_devices (OviAuto *a)
{
  return a->n_targets;
}

const char *
ovi_auto_get_device_name (OviAuto *a, int device)
{
  return device >= 0 && device < a->n_targets ? a->targets[device].name
      : NULL;
}

/* The device started on keeps its requests busy; every other device may
 * take one more, so that a second device has work as soon as it runs. */
int
ovi_auto_get_optimal_requests (OviAuto *a)
{
  int n = 0;
  g_mutex_lock (&a->lock);
  for (int i = 0; i < a->n_targets; i++)
    if (a->targets[i].state != OVI_DEVICE_STATE_FAILED)
      n += i == a->preferred ? a->targets[i].parallel : 1;
  g_mutex_unlock (&a->lock);
  return MAX (n, 1);
}

static double
expected_finish (const Target *t)
{
  return t->mean_ns * (t->in_flight / t->parallel + 1);
}

int
ovi_auto_begin (OviAuto *a, guint64 tried, OviCompiledModel **compiled)
{
  int best = -1;
  gboolean trial_running = FALSE;

  g_mutex_lock (&a->lock);
  for (int i = 0; i < a->n_targets; i++)
    trial_running |= a->targets[i].trial;
  /* 1. A compiled device's first inference. */
  for (int i = 0; i < a->n_targets && !trial_running && best < 0; i++) {
    Target *t = &a->targets[i];
    if (t->state == OVI_DEVICE_STATE_COMPILED && !(tried & (1ull << i))) {
      t->trial = TRUE;
      best = i;
    }
  }
  /* 2. The first device in the list that would start at once; past busy
   * ones, the device expected to finish first. */
  if (best < 0) {
    double best_cost = 0;
    for (int i = 0; i < a->n_targets; i++) {
      Target *t = &a->targets[i];
      double cost;
      if (t->state != OVI_DEVICE_STATE_ACTIVE || (tried & (1ull << i)))
        continue;
      cost = expected_finish (t);
      if (best < 0 || cost < PRIORITY_MARGIN * best_cost) {
        best = i;
        best_cost = cost;
        if (t->in_flight < t->parallel)
          break;
      }
    }
  }
  /* 3. Nothing that has run is left: a compiled device untried yet, even
   * while another one's trial runs. */
  for (int i = 0; i < a->n_targets && best < 0; i++) {
    Target *t = &a->targets[i];
    if (t->state == OVI_DEVICE_STATE_COMPILED && !t->trial
        && !(tried & (1ull << i))) {
      t->trial = TRUE;
      best = i;
    }
  }
  if (best >= 0) {
    a->targets[best].in_flight++;
    *compiled = a->targets[best].compiled;
  }
  g_mutex_unlock (&a->lock);
  return best;
}

void
ovi_auto_end (OviAuto *a, int device, gboolean ok, guint64 run_ns)
{
  Target *t = &a->targets[device];
  int migrated_from = -2;

  g_mutex_lock (&a->lock);
  t->in_flight--;
  if (ok) {
    t->inferences++;
    t->mean_ns = ovi_run_time_average (t->mean_ns, run_ns);
    if (t->trial && t->state == OVI_DEVICE_STATE_COMPILED) {
      t->state = OVI_DEVICE_STATE_ACTIVE;
      if (a->preferred < 0 || device < a->preferred) {
        migrated_from = a->preferred;
        a->preferred = device;
      }
    }
  }
  /* A failed trial stays COMPILED: the request retries the frame, and
   * only a success elsewhere proves the device at fault (ovi_auto_drop). */
  t->trial = FALSE;
  g_mutex_unlock (&a->lock);
  if (migrated_from > -2) {
    OviDeviceEvent event = { .type = OVI_DEVICE_EVENT_MIGRATED,
      .device = t->name,
      .previous = migrated_from >= 0 ? a->targets[migrated_from].name
          : NULL };
    ovi_log (OVI_LOG_INFO, "AUTO: inferences move from %s to %s",
        event.previous ? event.previous : "(none)", event.device);
    emit (a, &event);
  }
}

void
ovi_auto_drop (OviAuto *a, int device, int instead, const GError *error)
{
  Target *t = &a->targets[device];
  gboolean dropped;

  g_mutex_lock (&a->lock);
  dropped = t->state != OVI_DEVICE_STATE_FAILED;
  t->state = OVI_DEVICE_STATE_FAILED;
  if (a->preferred == device) {
    a->preferred = -1;
    for (int i = 0; i < a->n_targets && a->preferred < 0; i++)
      if (a->targets[i].state == OVI_DEVICE_STATE_ACTIVE)
        a->preferred = i;
  }
  g_mutex_unlock (&a->lock);
  /* Several requests may have failed on it at once: one warning. */
  if (dropped) {
    ovi_log (OVI_LOG_WARNING, "AUTO: %s failed (%s); its inferences run on "
        "%s from now on", t->name, error->message, a->targets[instead].name);
    emit_failed (a, device, error->message);
  }
}

OviModel *
ovi_auto_get_first_model (OviAuto *a)
{
  OviCompiledModel *c = NULL;
  g_mutex_lock (&a->lock);
  for (int i = 0; i < a->n_targets && c == NULL; i++)
    c = a->targets[i].compiled;
  g_mutex_unlock (&a->lock);
  return c ? ovi_compiled_model_get_model (c) : NULL;
}

const char *
ovi_auto_get_preferred (OviAuto *a)
{
  const char *name;
  g_mutex_lock (&a->lock);
  name = a->preferred >= 0 ? a->targets[a->preferred].name : NULL;
  g_mutex_unlock (&a->lock);
  return name;
}

guint
ovi_auto_add_listener (OviAuto *a, OviDeviceEventFunc func,
    gpointer user_data)
{
  Listener l = { .func = func, .user_data = user_data };
  g_mutex_lock (&a->emit_lock);
  l.id = ++a->next_listener_id;
  g_array_append_val (a->listeners, l);
  g_mutex_unlock (&a->emit_lock);
  return l.id;
}

void
ovi_auto_remove_listener (OviAuto *a, guint id)
{
  g_mutex_lock (&a->emit_lock);
  for (guint i = 0; i < a->listeners->len; i++)
    if (g_array_index (a->listeners, Listener, i).id == id)
      g_array_remove_index (a->listeners, i--);
  g_mutex_unlock (&a->emit_lock);
}

int
ovi_auto_get_usage (OviAuto *a, OviDeviceUsage *usage, int max)
{
  g_mutex_lock (&a->lock);
  for (int i = 0; i < a->n_targets && i < max; i++) {
    const Target *t = &a->targets[i];
    usage[i].name = t->name;
    usage[i].state = t->state;
    usage[i].inferences = t->inferences;
    usage[i].mean_latency_ms = t->mean_ns / 1e6;
  }
  g_mutex_unlock (&a->lock);
  return a->n_targets;
}
