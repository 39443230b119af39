#include "gstovmodelinstance.h"

#include <string.h>

struct _GstOvModelInstance {
  gint refcount;            /* under instances_lock */
  char *id;                 /* NULL: private */
  char *path;
  OviModel *model;
  OviCompiledModel *compiled;
  GstOvSlot *slots;
  int n_slots;

  GMutex lock;
  GCond cond;
  GPtrArray *free_slots;
};

static GMutex instances_lock;
static GHashTable *instances;   /* id -> GstOvModelInstance */

static void
instance_free (GstOvModelInstance *inst)
{
  for (int i = 0; i < inst->n_slots; i++) {
    if (inst->slots[i].request)
      ovi_request_free (inst->slots[i].request);
    g_free (inst->slots[i].input);
  }
  g_free (inst->slots);
  if (inst->free_slots)
    g_ptr_array_unref (inst->free_slots);
  if (inst->compiled)
    ovi_compiled_model_unref (inst->compiled);
  if (inst->model)
    ovi_model_unref (inst->model);
  g_mutex_clear (&inst->lock);
  g_cond_clear (&inst->cond);
  g_free (inst->id);
  g_free (inst->path);
  g_free (inst);
}

static gboolean
make_slots (GstOvModelInstance *inst, int n, GError **error)
{
  OviTensorView info;
  const char *name;
  gsize count = 1;

  if (!ovi_model_get_input (inst->model, 0, &name, &info)) {
    g_set_error (error, OVI_ERROR, OVI_ERROR_INVALID, "the model has no input");
    return FALSE;
  }
  /* A dynamic batch is one image; other dynamic sizes need the frame. */
  if (info.rank >= 1 && info.dims[0] < 0)
    info.dims[0] = 1;
  for (int d = 0; d < info.rank; d++) {
    if (info.dims[d] <= 0) {
      g_set_error (error, OVI_ERROR, OVI_ERROR_UNSUPPORTED,
          "input '%s' has a dynamic dimension %d: export the model with a "
          "fixed input size", name, d);
      return FALSE;
    }
    count *= (gsize) info.dims[d];
  }
  if (info.dtype != OVI_DTYPE_FLOAT32 && info.dtype != OVI_DTYPE_UINT8) {
    g_set_error (error, OVI_ERROR, OVI_ERROR_UNSUPPORTED,
        "input '%s' is %s: image inputs must be float32 or uint8", name,
        ovi_dtype_name (info.dtype));
    return FALSE;
  }

  inst->slots = g_new0 (GstOvSlot, n);
  inst->n_slots = n;
  inst->free_slots = g_ptr_array_new ();
  for (int i = 0; i < n; i++) {
    GstOvSlot *s = &inst->slots[i];
    s->request = ovi_request_new (inst->compiled, error);
    if (s->request == NULL)
      return FALSE;
    s->input = g_malloc0 (count * ovi_dtype_size (info.dtype));
    s->input_view = info;
    s->input_view.data = s->input;
    if (!ovi_request_set_input_by_index (s->request, 0, &s->input_view, error))
      return FALSE;
    g_ptr_array_add (inst->free_slots, s);
  }
  return TRUE;
}

static GstOvModelInstance *
instance_new (const char *id, const char *path, const char *device, int nireq,
    GError **error)
{
  GstOvModelInstance *inst = g_new0 (GstOvModelInstance, 1);
  OviCompileConfig config = { 0 };

  inst->refcount = 1;
  inst->id = g_strdup (id);
  inst->path = g_strdup (path);
  g_mutex_init (&inst->lock);
  g_cond_init (&inst->cond);
  inst->model = ovi_model_load (path, error);
  if (inst->model == NULL)
    goto fail;
  /* Several requests in flight are what the throughput hint's streams
   * serve; a single request gets every core. */
  config.hint = nireq == 1 ? OVI_HINT_LATENCY : OVI_HINT_THROUGHPUT;
  inst->compiled = ovi_compile (inst->model, device, &config, error);
  if (inst->compiled == NULL)
    goto fail;
  if (nireq <= 0)
    nireq = MAX (2, ovi_compiled_model_get_optimal_requests (inst->compiled));
  if (!make_slots (inst, nireq, error))
    goto fail;
  return inst;

fail:
  instance_free (inst);
  return NULL;
}

GstOvModelInstance *
gst_ov_model_instance_acquire (const char *id, const char *path,
    const char *device, int nireq, GError **error)
{
  GstOvModelInstance *inst;

  if (id == NULL || *id == '\0')
    return instance_new (NULL, path, device, nireq, error);

  /* Held while compiling, so two elements starting together with one id
   * compile the model once. */
  g_mutex_lock (&instances_lock);
  if (instances == NULL)
    instances = g_hash_table_new (g_str_hash, g_str_equal);
  inst = g_hash_table_lookup (instances, id);
  if (inst) {
    if (strcmp (inst->path, path) != 0) {
      g_set_error (error, OVI_ERROR, OVI_ERROR_ARGUMENT,
          "model-instance-id '%s' already holds model '%s', not '%s'", id,
          inst->path, path);
      inst = NULL;
    } else {
      inst->refcount++;
    }
  } else {
    inst = instance_new (id, path, device, nireq, error);
    if (inst)
      g_hash_table_insert (instances, inst->id, inst);
  }
  g_mutex_unlock (&instances_lock);
  return inst;
}

void
gst_ov_model_instance_release (GstOvModelInstance *inst)
{
  gboolean last;

  if (inst == NULL)
    return;
  if (inst->id == NULL) {
    instance_free (inst);
    return;
  }
  g_mutex_lock (&instances_lock);
  last = --inst->refcount == 0;
  if (last)
    g_hash_table_remove (instances, inst->id);
  g_mutex_unlock (&instances_lock);
  if (last)
    instance_free (inst);
}

OviModel *
gst_ov_model_instance_get_model (GstOvModelInstance *inst)
{
  return inst->model;
}

int
gst_ov_model_instance_get_n_slots (GstOvModelInstance *inst)
{
  return inst->n_slots;
}

const char *
gst_ov_model_instance_get_path (GstOvModelInstance *inst)
{
  return inst->path;
}

GstOvSlot *
gst_ov_model_instance_try_pop_slot (GstOvModelInstance *inst)
{
  GstOvSlot *s = NULL;
  g_mutex_lock (&inst->lock);
  if (inst->free_slots->len > 0)
    s = g_ptr_array_steal_index (inst->free_slots, inst->free_slots->len - 1);
  g_mutex_unlock (&inst->lock);
  return s;
}

GstOvSlot *
gst_ov_model_instance_pop_slot (GstOvModelInstance *inst, const gint *cancel)
{
  GstOvSlot *s = NULL;
  g_mutex_lock (&inst->lock);
  while (inst->free_slots->len == 0 && !g_atomic_int_get (cancel))
    g_cond_wait (&inst->cond, &inst->lock);
  if (!g_atomic_int_get (cancel))
    s = g_ptr_array_steal_index (inst->free_slots, inst->free_slots->len - 1);
  g_mutex_unlock (&inst->lock);
  return s;
}

void
gst_ov_model_instance_push_slot (GstOvModelInstance *inst, GstOvSlot *slot)
{
  g_mutex_lock (&inst->lock);
  g_ptr_array_add (inst->free_slots, slot);
  g_cond_broadcast (&inst->cond);
  g_mutex_unlock (&inst->lock);
}

void
gst_ov_model_instance_wake (GstOvModelInstance *inst)
{
  g_mutex_lock (&inst->lock);
  g_cond_broadcast (&inst->cond);
  g_mutex_unlock (&inst->lock);
}
