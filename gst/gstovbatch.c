#include "gstovbatch.h"

void
gst_ov_batch_init (GstOvBatch *b)
{
  b->instance = NULL;
  b->owner = NULL;
  b->open = NULL;
  g_mutex_init (&b->lock);
  g_cond_init (&b->cond);
}

void
gst_ov_batch_clear (GstOvBatch *b)
{
  g_mutex_clear (&b->lock);
  g_cond_clear (&b->cond);
}

void
gst_ov_batch_bind (GstOvBatch *b, GstOvModelInstance *instance,
    gconstpointer owner)
{
  b->instance = instance;
  b->owner = owner;
}

void
gst_ov_batch_close (GstOvBatch *b)
{
  GstOvSlot *s;
  g_mutex_lock (&b->lock);
  s = b->open;
  b->open = NULL;
  g_mutex_unlock (&b->lock);
  /* Its jobs went with the frames drained before; one left would return
   * it again: better lost than shared. */
  if (s && s->pending != 0)
    g_critical ("closing a batch with %d jobs left", s->pending);
  else if (s)
    gst_ov_model_instance_push_slot (b->instance, b->owner, s);
}

GstOvSlot *
gst_ov_batch_get_open (GstOvBatch *b)
{
  GstOvSlot *s;
  g_mutex_lock (&b->lock);
  s = b->open;
  g_mutex_unlock (&b->lock);
  return s;
}

void
gst_ov_batch_open (GstOvBatch *b, GstOvSlot *s)
{
  s->filled = 0;
  s->pending = 0;
  s->started = FALSE;
  g_clear_error (&s->start_error);
  g_mutex_lock (&b->lock);
  b->open = s;
  g_mutex_unlock (&b->lock);
}

void *
gst_ov_batch_next_image (GstOvBatch *b, int *index)
{
  /* Only the streaming thread fills, so `filled` holds without the lock. */
  GstOvSlot *s = b->open;
  *index = s->filled;
  return (guint8 *) s->input + (gsize) s->filled * s->image_bytes;
}

/* Under the lock, so that a job's waiter sees `started` only once the
 * request really runs (ovi_request_wait returns at once before that). A
 * refused start is kept to tell every job of the batch. */
static gboolean
start_locked (GstOvBatch *b, GError **error)
{
  GstOvSlot *s = b->open;
  b->open = NULL;
  if (!ovi_request_infer_async (s->request, NULL, NULL, &s->start_error)
      && error)
    *error = g_error_copy (s->start_error);
  s->started = TRUE;
  g_cond_broadcast (&b->cond);
  return s->start_error == NULL;
}

gboolean
gst_ov_batch_add (GstOvBatch *b, GError **error)
{
  gboolean ok = TRUE;
  g_mutex_lock (&b->lock);
  b->open->filled++;
  b->open->pending++;
  if (b->open->filled == b->open->batch)
    ok = start_locked (b, error);
  g_mutex_unlock (&b->lock);
  return ok;
}

gboolean
gst_ov_batch_flush (GstOvBatch *b, GError **error)
{
  gboolean ok = TRUE;
  g_mutex_lock (&b->lock);
  /* Images whose jobs were all dropped (a flush) need no inference. */
  if (b->open && b->open->pending > 0)
    ok = start_locked (b, error);
  g_mutex_unlock (&b->lock);
  return ok;
}

gboolean
gst_ov_batch_wait (GstOvBatch *b, GstOvSlot *s, const gint *cancel,
    GError **error)
{
  g_mutex_lock (&b->lock);
  while (!s->started && !g_atomic_int_get (cancel))
    g_cond_wait (&b->cond, &b->lock);
  if (!s->started) {
    g_mutex_unlock (&b->lock);
    return FALSE;
  }
  if (s->start_error) {
    g_set_error_literal (error, s->start_error->domain, s->start_error->code,
        s->start_error->message);
    g_mutex_unlock (&b->lock);
    return FALSE;
  }
  g_mutex_unlock (&b->lock);
  return ovi_request_wait (s->request, error);
}

void
gst_ov_batch_wake (GstOvBatch *b)
{
  g_mutex_lock (&b->lock);
  g_cond_broadcast (&b->cond);
  g_mutex_unlock (&b->lock);
}

void
gst_ov_batch_done (GstOvBatch *b, GstOvSlot *s)
{
  gboolean last;
  g_mutex_lock (&b->lock);
  s->pending--;
  /* The open request waits for more images even with no job left. */
  last = s->pending == 0 && s != b->open;
  g_mutex_unlock (&b->lock);
  if (last) {
    ovi_request_wait (s->request, NULL);
    gst_ov_model_instance_push_slot (b->instance, b->owner, s);
  }
}
