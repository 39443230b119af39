/* A compiled model and its pool of inference requests, shared by every
 * element that names the same `model-instance-id` (in one pipeline or
 * several in the process), or private to one element without an id. */
#ifndef GST_OV_MODEL_INSTANCE_H
#define GST_OV_MODEL_INSTANCE_H

#include <glib.h>
#include <ovi.h>

G_BEGIN_DECLS

typedef struct _GstOvModelInstance GstOvModelInstance;

/* One request of the pool with the input tensor it owns: `batch` images
 * of `image_bytes` each. */
typedef struct {
  OviRequest *request;
  void *input;              /* the first input's elements, dense */
  OviTensorView input_view; /* shape and type of `input` */
  int batch;                /* input_view.dims[0] */
  gsize image_bytes;

  /* The batch being gathered in it (gstovbatch.h): written only by the
   * element holding the slot, under its GstOvBatch lock. */
  int filled;               /* images written */
  int pending;              /* jobs on it not finished yet */
  gboolean started;         /* submitted (or refused: start_error) */
  GError *start_error;
} GstOvSlot;

/* Loads and compiles `model_path` for `device` (any ovi_compile string:
 * "CPU", "AUTO", "gpu,cpu") with `config` and `nireq` requests (0: the
 * device's optimal number) of `batch` images each, or returns the
 * instance already shared under `instance_id` (NULL or "": never
 * shared). A shared instance must name the same model file and batch, and
 * keeps the device and config of the element that created it; each user
 * adds a request when there are not more requests than users. The model's
 * batch dimension must be dynamic or equal to `batch`. A `width` or
 * `height` other than 0 reshapes the image input ([N, C, H, W] or
 * [N, H, W, C]) to it before compiling (DL Streamer's reshape); a shared
 * instance must be reshaped alike. */
GstOvModelInstance *gst_ov_model_instance_acquire (const char *instance_id,
    const char *model_path, const char *device,
    const OviCompileConfig *config, int nireq, int batch, int width,
    int height, GError **error);
void gst_ov_model_instance_release (GstOvModelInstance *inst);

OviModel *gst_ov_model_instance_get_model (GstOvModelInstance *inst);
OviCompiledModel *gst_ov_model_instance_get_compiled (
    GstOvModelInstance *inst);
int gst_ov_model_instance_get_n_slots (GstOvModelInstance *inst);
const char *gst_ov_model_instance_get_path (GstOvModelInstance *inst);

/* Takes a free slot for `owner` (the element), waiting while none is
 * free for it: one free slot stays reserved for each other user that
 * holds none, so no user can starve the others. Returns NULL as soon as
 * *cancel becomes non-zero (checked under the pool's lock; whoever sets it
 * calls gst_ov_model_instance_wake). */
GstOvSlot *gst_ov_model_instance_pop_slot (GstOvModelInstance *inst,
    gconstpointer owner, const gint *cancel);
/* Non-blocking: NULL when no slot is free for `owner`. */
GstOvSlot *gst_ov_model_instance_try_pop_slot (GstOvModelInstance *inst,
    gconstpointer owner);
void gst_ov_model_instance_push_slot (GstOvModelInstance *inst,
    gconstpointer owner, GstOvSlot *slot);
void gst_ov_model_instance_wake (GstOvModelInstance *inst);

G_END_DECLS

#endif
