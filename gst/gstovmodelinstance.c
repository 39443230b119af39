#include "gstovmodelinstance.h"

#include <string.h>

#include "gstovpreproc.h"

struct _GstOvModelInstance {
  gint refcount;            /* under instances_lock */
  char *id;                 /* NULL: private */
  char *path;
  int batch;
  int width, height;        /* the reshape asked for; 0: none */
  OviModel *model;
  OviCompiledModel *compiled;

  GMutex lock;
  GCond cond;
  GPtrArray *slots;         /* every GstOvSlot, owned */
  GPtrArray *free_slots;
  /* Elements using the pool, and the slots each holds (owner -> count,
   * owners holding none are absent): see slot_allowed. */
  int n_users;
  GHashTable *held;
};

static GMutex instances_lock;
static GHashTable *instances;   /* id -> GstOvModelInstance */

static void
slot_free (gpointer data)
{
  GstOvSlot *s = data;
  if (s->request)
    ovi_request_free (s->request);
  g_clear_error (&s->start_error);
  g_free (s->input);
  g_free (s);
}

static void
instance_free (GstOvModelInstance *inst)
{
  g_ptr_array_unref (inst->slots);
  g_ptr_array_unref (inst->free_slots);
  g_hash_table_unref (inst->held);
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

/* Adds n requests to the pool (slots are allocated one by one, so jobs
 * keep their pointers while the pool grows). */
static gboolean
add_slots (GstOvModelInstance *inst, int n, GError **error)
{
  OviTensorView info;
  const char *name;
  gsize count = 1;

  if (!ovi_model_get_input (inst->model, 0, &name, &info)) {
    g_set_error (error, OVI_ERROR, OVI_ERROR_INVALID, "the model has no input");
    return FALSE;
  }
  /* A dynamic batch takes batch-size; other dynamic sizes need the frame. */
  if (info.rank >= 1 && info.dims[0] < 0)
    info.dims[0] = inst->batch;
  if (info.rank >= 1 && info.dims[0] != inst->batch) {
    g_set_error (error, OVI_ERROR, OVI_ERROR_UNSUPPORTED,
        "input '%s' has a fixed batch of %" G_GINT64_FORMAT ", not "
        "batch-size %d: export the model with a dynamic batch dimension "
        "(or that batch)", name, (gint64) info.dims[0], inst->batch);
    return FALSE;
  }
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

  for (int i = 0; i < n; i++) {
    GstOvSlot *s = g_new0 (GstOvSlot, 1);
    g_ptr_array_add (inst->slots, s);
    s->request = ovi_request_new (inst->compiled, error);
    if (s->request == NULL)
      return FALSE;
    s->input = g_malloc0 (count * ovi_dtype_size (info.dtype));
    s->input_view = info;
    s->input_view.data = s->input;
    s->batch = inst->batch;
    s->image_bytes = count / (gsize) inst->batch * ovi_dtype_size (info.dtype);
    if (!ovi_request_set_input_by_index (s->request, 0, &s->input_view, error))
      return FALSE;
    g_ptr_array_add (inst->free_slots, s);
  }
  return TRUE;
}

/* The image input's height and width set to `height` and `width` (0
 * keeps one), found as [N, C, H, W] or [N, H, W, C] by its 1 or 3
 * channels. */
static gboolean
reshape_image_input (OviModel *model, int batch, int width, int height,
    GError **error)
{
  OviTensorView in;
  const char *name;
  gboolean nhwc;
  int h;

  if (!ovi_model_get_input (model, 0, &name, &in) || in.rank != 4) {
    g_set_error (error, OVI_ERROR, OVI_ERROR_UNSUPPORTED,
        "reshape: the model's first input is not an image [N, C, H, W] or "
        "[N, H, W, C]");
    return FALSE;
  }
  if (!gst_ov_preproc_input_layout (&in, &nhwc)) {
    g_set_error (error, OVI_ERROR, OVI_ERROR_UNSUPPORTED,
        "reshape: input '%s' has neither 1 nor 3 channels in NCHW or NHWC",
        name);
    return FALSE;
  }
  /* Height, then width, after the channels (NCHW) or before them. */
  h = nhwc ? 1 : 2;
  if (height > 0)
    in.dims[h] = height;
  if (width > 0)
    in.dims[h + 1] = width;
  /* A dynamic batch takes batch-size, as it would without reshaping. */
  if (in.dims[0] < 0)
    in.dims[0] = batch;
  if (!ovi_model_reshape_input (model, 0, 4, in.dims, error)) {
    g_prefix_error (error, "reshape: ");
    return FALSE;
  }
  return TRUE;
}

static GstOvModelInstance *
instance_new (const char *id, const char *path, const char *device,
    const OviCompileConfig *config, int nireq, int batch, int width,
    int height, GError **error)
{
  GstOvModelInstance *inst = g_new0 (GstOvModelInstance, 1);

  inst->refcount = 1;
  inst->batch = batch;
  inst->width = width;
  inst->height = height;
  inst->id = g_strdup (id);
  inst->path = g_strdup (path);
  g_mutex_init (&inst->lock);
  g_cond_init (&inst->cond);
  inst->slots = g_ptr_array_new_with_free_func (slot_free);
  inst->free_slots = g_ptr_array_new ();
  inst->held = g_hash_table_new (NULL, NULL);
  inst->n_users = 1;
  inst->model = ovi_model_load (path, error);
  if (inst->model == NULL)
    goto fail;
  if ((width > 0 || height > 0)
      && !reshape_image_input (inst->model, batch, width, height, error))
    goto fail;
  inst->compiled = ovi_compile (inst->model, device, config, error);
  if (inst->compiled == NULL)
    goto fail;
  /* The compiled model's description of the model, without the weights
   * its plan has packed: the loaded copy of those is freed here. */
  ovi_model_unref (inst->model);
  inst->model = ovi_model_ref (ovi_compiled_model_get_model (inst->compiled));
  if (nireq <= 0)
    nireq = MAX (2, ovi_compiled_model_get_optimal_requests (inst->compiled));
  if (!add_slots (inst, nireq, error))
    goto fail;
  return inst;

fail:
  instance_free (inst);
  return NULL;
}

GstOvModelInstance *
gst_ov_model_instance_acquire (const char *id, const char *path,
    const char *device, const OviCompileConfig *config, int nireq, int batch,
    int width, int height, GError **error)
{
  GstOvModelInstance *inst;

  if (id == NULL || *id == '\0')
    return instance_new (NULL, path, device, config, nireq, batch, width,
        height, error);

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
    } else if (inst->batch != batch) {
      g_set_error (error, OVI_ERROR, OVI_ERROR_ARGUMENT,
          "model-instance-id '%s' runs batches of %d, not %d", id,
          inst->batch, batch);
      inst = NULL;
    } else if (inst->width != width || inst->height != height) {
      g_set_error (error, OVI_ERROR, OVI_ERROR_ARGUMENT,
          "model-instance-id '%s' is reshaped to %dx%d, not %dx%d (0: "
          "the model's own)", id, inst->width, inst->height, width, height);
      inst = NULL;
    } else {
      /* Every user needs a slot of its own (slot_allowed); requests are
       * cheap next to the compiled model they share. */
      g_mutex_lock (&inst->lock);
      if ((int) inst->slots->len <= inst->n_users
          && !add_slots (inst, inst->n_users + 1 - (int) inst->slots->len,
              error)) {
        g_mutex_unlock (&inst->lock);
        inst = NULL;
      } else {
        inst->n_users++;
        inst->refcount++;
        g_cond_broadcast (&inst->cond);
        g_mutex_unlock (&inst->lock);
      }
    }
  } else {
    inst = instance_new (id, path, device, config, nireq, batch, width,
        height, error);
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
  g_mutex_lock (&inst->lock);
  inst->n_users--;
  g_cond_broadcast (&inst->cond);
  g_mutex_unlock (&inst->lock);
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

OviCompiledModel *
gst_ov_model_instance_get_compiled (GstOvModelInstance *inst)
{
  return inst->compiled;
}

int
gst_ov_model_instance_get_n_slots (GstOvModelInstance *inst)
{
  int n;
  g_mutex_lock (&inst->lock);
  n = (int) inst->slots->len;
  g_mutex_unlock (&inst->lock);
  return n;
}

const char *
gst_ov_model_instance_get_path (GstOvModelInstance *inst)
{
  return inst->path;
}

/* Whether `owner` may take a free slot now: one free slot stays reserved
 * for every other user holding none. Without that, elements sharing a
 * pool deadlock as soon as some of them cannot push (a sink prerolling,
 * an aggregator waiting for another branch): their queued frames keep
 * every slot while the element that would unblock them waits for one. */
static gboolean
slot_allowed (GstOvModelInstance *inst, gconstpointer owner)
{
  int holding = (int) g_hash_table_size (inst->held);
  gboolean holds = g_hash_table_contains (inst->held, owner);
  int idle_others = inst->n_users - holding - (holds ? 0 : 1);
  return (int) inst->free_slots->len > MAX (idle_others, 0);
}

static GstOvSlot *
take_slot (GstOvModelInstance *inst, gconstpointer owner)
{
  int count = GPOINTER_TO_INT (g_hash_table_lookup (inst->held, owner));
  g_hash_table_insert (inst->held, (gpointer) owner,
      GINT_TO_POINTER (count + 1));
  return g_ptr_array_steal_index (inst->free_slots, inst->free_slots->len - 1);
}

GstOvSlot *
gst_ov_model_instance_try_pop_slot (GstOvModelInstance *inst,
    gconstpointer owner)
{
  GstOvSlot *s = NULL;
  g_mutex_lock (&inst->lock);
  if (slot_allowed (inst, owner))
    s = take_slot (inst, owner);
  g_mutex_unlock (&inst->lock);
  return s;
}

GstOvSlot *
gst_ov_model_instance_pop_slot (GstOvModelInstance *inst, gconstpointer owner,
    const gint *cancel)
{
  GstOvSlot *s = NULL;
  g_mutex_lock (&inst->lock);
  while (!slot_allowed (inst, owner) && !g_atomic_int_get (cancel))
    g_cond_wait (&inst->cond, &inst->lock);
  if (!g_atomic_int_get (cancel))
    s = take_slot (inst, owner);
  g_mutex_unlock (&inst->lock);
  return s;
}

void
gst_ov_model_instance_push_slot (GstOvModelInstance *inst,
    gconstpointer owner, GstOvSlot *slot)
{
  int count;
  g_mutex_lock (&inst->lock);
  count = GPOINTER_TO_INT (g_hash_table_lookup (inst->held, owner));
  if (count <= 1)
    g_hash_table_remove (inst->held, owner);
  else
    g_hash_table_insert (inst->held, (gpointer) owner,
        GINT_TO_POINTER (count - 1));
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
