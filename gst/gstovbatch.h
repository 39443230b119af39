/* batch-size: an element's frames (or regions) gathered into one request
 * of the model instance's pool, submitted when `batch` images are in it,
 * or earlier when the element must not wait (gst_ov_batch_flush: an
 * event or query to keep in order, a full queue). Each image is a job;
 * the request goes back to the pool once its last job is finished. With
 * a batch of 1 every job submits at once, as without batching. */
#ifndef GST_OV_BATCH_H
#define GST_OV_BATCH_H

#include <glib.h>

#include "gstovmodelinstance.h"

G_BEGIN_DECLS

typedef struct {
  GstOvModelInstance *instance;
  gconstpointer owner;          /* the element, for the pool's accounting */
  GMutex lock;
  GCond cond;                   /* a batch started, or a wake-up */
  GstOvSlot *open;              /* being filled, not started; or NULL */
} GstOvBatch;

void gst_ov_batch_init (GstOvBatch *batch);
void gst_ov_batch_clear (GstOvBatch *batch);

/* Binds the pool while the element runs; close returns the open request
 * (its jobs all finished) before the instance is released. */
void gst_ov_batch_bind (GstOvBatch *batch, GstOvModelInstance *instance,
    gconstpointer owner);
void gst_ov_batch_close (GstOvBatch *batch);

/* The open request, or NULL: then the caller takes a free slot from the
 * pool and opens it (the batch starts empty). */
GstOvSlot *gst_ov_batch_get_open (GstOvBatch *batch);
void gst_ov_batch_open (GstOvBatch *batch, GstOvSlot *slot);

/* Where the open request's next image goes (`*index` set): the caller
 * writes it, then adds it as a job, which submits a full batch. A write
 * that is abandoned (empty region) just is not added. */
void *gst_ov_batch_next_image (GstOvBatch *batch, int *index);
gboolean gst_ov_batch_add (GstOvBatch *batch, GError **error);

/* Submits the open request now if any job waits on it. */
gboolean gst_ov_batch_flush (GstOvBatch *batch, GError **error);

/* Waits for a job's request to be submitted and to complete: TRUE with
 * its outputs ready, FALSE with `error` if it failed, or FALSE without an
 * error as soon as *cancel is non-zero (gst_ov_batch_wake tells). */
gboolean gst_ov_batch_wait (GstOvBatch *batch, GstOvSlot *slot,
    const gint *cancel, GError **error);
void gst_ov_batch_wake (GstOvBatch *batch);

/* A job is finished (decoded or dropped): the request returns to the pool
 * after its last one, once it is no longer running. */
void gst_ov_batch_done (GstOvBatch *batch, GstOvSlot *slot);

G_END_DECLS

#endif
