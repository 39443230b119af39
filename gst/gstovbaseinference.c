/* Streaming model (why a task and not GstBaseTransform): the chain
 * function pre-processes a frame into a free request and starts it, then
 * queues the frame; the source pad's task pops frames in order, waits for
 * their requests, lets the subclass decode and pushes. So the streaming
 * thread never waits for an inference unless `nireq` are in flight, and
 * the results leave as soon as they are ready. Serialized events travel
 * through the same queue to stay in order with the frames. */
#include "gstovbaseinference.h"

#include <string.h>

#include "gstovbackend.h"
#include "gstovbatch.h"
#include "gstovdevice.h"
#include "gstovlandmarks.h"
#include "gstovmemory.h"
#include "gstovmeta.h"
#include "gstovmodelinfo.h"
#ifdef HAVE_GST_VA
#include <gst/va/gstvautils.h>
#include "gstovvasurface.h"
#endif

GST_DEBUG_CATEGORY_STATIC (gst_ov_base_inference_debug);
#define GST_CAT_DEFAULT gst_ov_base_inference_debug

#define DEFAULT_DEVICE GST_OV_DEFAULT_DEVICE
#define DEFAULT_THRESHOLD 0.5
#define DEFAULT_NIREQ 0
#define DEFAULT_BATCH_SIZE 0
#define DEFAULT_INFERENCE_INTERVAL 1

enum {
  PROP_0,
  PROP_MODEL,
  PROP_MODEL_PROC,
  PROP_LABELS_FILE,
  PROP_LABELS,
  PROP_DEVICE,
  PROP_THRESHOLD,
  PROP_NIREQ,
  PROP_BATCH_SIZE,
  PROP_INFERENCE_INTERVAL,
  PROP_INFERENCE_REGION,
  PROP_OBJECT_CLASS,
  PROP_MODEL_INSTANCE_ID,
  PROP_IE_CONFIG,
  PROP_CPU_THROUGHPUT_STREAMS,
  PROP_GPU_THROUGHPUT_STREAMS,
  PROP_PRE_PROCESS_BACKEND,
  PROP_PRE_PROCESS_CONFIG,
  PROP_SCALE_METHOD,
  PROP_NO_BLOCK,
  PROP_QOS,
  PROP_RESHAPE,
  PROP_RESHAPE_WIDTH,
  PROP_RESHAPE_HEIGHT,
};

/* A queued frame with its inferences, or a serialized event. */
typedef struct {
  GstBuffer *buffer;
  GstEvent *event;
  GArray *jobs;                 /* GstOvJob */
  GstVideoInfo info;
} Entry;

typedef struct {
  GstPad *sinkpad, *srcpad;
  GstOvInferenceSettings s;

  /* Set in start(), read-only while streaming. */
  GstOvModelInstance *instance;
  GstOvBatch batch;             /* the request being filled */
  GstOvModelProc *model_proc;
  gchar **labels;
  gchar *model_name;
  GstOvPreprocParams preproc;
  GPtrArray *object_classes;    /* filter for roi-list; NULL: all */
  guint device_listener;        /* on the compiled model's device events */
  gint started_reported;        /* atomic: the "started" message is out */
  gboolean device_preproc;      /* frames go to the device as pictures */
  OviCompileConfig config;      /* from the properties, at start */

  /* pre-process-backend's value (object lock): read by caps queries,
   * which may come before start. */
  GstOvBackend backend;

  /* QoS (object lock): frames whose running time is not after
   * earliest_time are late downstream already. */
  GstClockTime earliest_time;
  gdouble proportion;
  guint64 qos_processed, qos_dropped;

  /* Streaming thread only. */
  GstSegment segment;
  GstVideoInfo info;
  gboolean have_info;
  GstOvMemoryKind memory;       /* where the negotiated frames live */
  guint64 frame_count;

  GMutex lock;                  /* protects the fields below */
  GCond cond;
  GQueue queue;                 /* Entry */
  guint max_queue;
  GstFlowReturn srcresult;
  gint flushing;                /* atomic too: read by the request pool */

#ifdef HAVE_GST_VA
  /* The VA display of the pipeline (from a context, or the first VA
   * frame), shared with neighbours that ask; object lock. */
  GstVaDisplay *va_display;
#endif
} GstOvBaseInferencePrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_CODE (GstOvBaseInference, gst_ov_base_inference,
    GST_TYPE_ELEMENT, G_ADD_PRIVATE (GstOvBaseInference)
    GST_DEBUG_CATEGORY_INIT (gst_ov_base_inference_debug, "ovbaseinference",
        0, "ov inference base"));

#define PRIV(self) ((GstOvBaseInferencePrivate *) \
    gst_ov_base_inference_get_instance_private (GST_OV_BASE_INFERENCE (self)))

#define VIDEO_FORMATS "{ BGRx, BGRA, BGR, RGBx, RGBA, RGB, xRGB, xBGR, ARGB, " \
    "ABGR, NV12, I420, GRAY8 }"

/* System memory first: sources that can do several keep what they did
 * before VA and DMA-BUF input existed. */
#ifdef HAVE_GST_VA
#define VA_CAPS GST_VIDEO_CAPS_MAKE_WITH_FEATURES ( \
    GST_OV_CAPS_FEATURE_MEMORY_VA, GST_OV_VA_VIDEO_FORMATS) "; "
#else
#define VA_CAPS ""
#endif
#define ALL_CAPS GST_VIDEO_CAPS_MAKE (VIDEO_FORMATS) "; " VA_CAPS \
    GST_VIDEO_CAPS_MAKE_WITH_FEATURES (GST_OV_CAPS_FEATURE_MEMORY_DMABUF, \
        VIDEO_FORMATS)

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS (ALL_CAPS));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS (ALL_CAPS));

GType
gst_ov_inference_region_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    { GST_OV_REGION_FULL_FRAME, "Perform inference for full frame",
        "full-frame" },
    { GST_OV_REGION_ROI_LIST, "Perform inference for roi list", "roi-list" },
    { 0, NULL, NULL },
  };
  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstOvInferenceRegion", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

/* ---- accessors for subclasses ------------------------------------------ */

const GstOvInferenceSettings *
gst_ov_base_inference_get_settings (GstOvBaseInference *self)
{
  return &PRIV (self)->s;
}

OviModel *
gst_ov_base_inference_get_model (GstOvBaseInference *self)
{
  GstOvBaseInferencePrivate *p = PRIV (self);
  return p->instance ? gst_ov_model_instance_get_model (p->instance) : NULL;
}

const GstOvModelProc *
gst_ov_base_inference_get_model_proc (GstOvBaseInference *self)
{
  return PRIV (self)->model_proc;
}

const gchar *const *
gst_ov_base_inference_get_labels (GstOvBaseInference *self)
{
  return (const gchar *const *) PRIV (self)->labels;
}

const gchar *
gst_ov_base_inference_get_label (GstOvBaseInference *self,
    const gchar *const *labels, int label_id)
{
  if (labels == NULL)
    labels = gst_ov_base_inference_get_labels (self);
  if (labels == NULL || label_id < 0)
    return NULL;
  for (int i = 0; labels[i]; i++)
    if (i == label_id)
      return labels[i];
  return NULL;
}

const gchar *
gst_ov_base_inference_get_model_name (GstOvBaseInference *self)
{
  return PRIV (self)->model_name;
}

const GstOvPreprocParams *
gst_ov_base_inference_get_preproc (GstOvBaseInference *self)
{
  return &PRIV (self)->preproc;
}

void
gst_ov_base_inference_set_region (GstOvBaseInference *self,
    GstOvInferenceRegion region)
{
  PRIV (self)->s.inference_region = region;
}

const gchar *
gst_ov_job_get_device (const GstOvJob *job)
{
  return job->slot ? ovi_request_get_device (job->slot->request) : NULL;
}

GstVideoRegionOfInterestMeta *
gst_ov_job_attach (const GstOvJob *job, GstBuffer *buffer,
    GstStructure *result)
{
  const gchar *device = gst_ov_job_get_device (job);
  if (device)
    gst_structure_set (result, "device", G_TYPE_STRING, device, NULL);
  gst_ov_add_result (buffer, job->roi, result);
  return job->roi;
}

int
gst_ov_job_get_n_outputs (const GstOvJob *job)
{
  return ovi_request_get_n_outputs (job->slot->request);
}

/* A batch's DetectionOutput [1, 1, N, 7]: one list for every image, each
 * row naming its image; given whole to each job. */
static gboolean
shared_by_batch (int batch, const OviTensorView *v)
{
  return batch > 1 && v->rank == 4 && v->dims[0] == 1 && v->dims[1] == 1
      && v->dims[3] == 7;
}

gboolean
gst_ov_job_output_is_per_image (const GstOvJob *job, int index)
{
  OviTensorView v;
  return !ovi_request_get_output (job->slot->request, index, NULL, &v)
      || !shared_by_batch (job->slot->batch, &v);
}

gboolean
gst_ov_job_get_output (const GstOvJob *job, int index, const char **name,
    OviTensorView *view, GError **error)
{
  int batch = job->slot->batch;
  const char *output_name;
  gsize image = 1;

  if (!ovi_request_get_output (job->slot->request, index, &output_name,
          view)) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED,
        "the inference has no output %d", index);
    return FALSE;
  }
  if (name)
    *name = output_name;
  if (batch == 1 || shared_by_batch (batch, view))
    return TRUE;
  if (view->rank < 1 || view->dims[0] != batch) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED,
        "output '%s' does not have the batch (%d) as its first dimension: "
        "this model cannot run with batch-size %d", output_name, batch, batch);
    return FALSE;
  }
  for (int d = 1; d < view->rank; d++)
    image *= (gsize) view->dims[d];
  view->dims[0] = 1;
  view->data = (guint8 *) view->data
      + (gsize) job->batch_index * image * ovi_dtype_size (view->dtype);
  return TRUE;
}

gboolean
gst_ov_job_get_outputs (const GstOvJob *job, OviTensorView *views,
    const char **names, int max, int *n, GError **error)
{
  *n = MIN (gst_ov_job_get_n_outputs (job), max);
  for (int i = 0; i < *n; i++)
    if (!gst_ov_job_get_output (job, i, names ? &names[i] : NULL, &views[i],
            error))
      return FALSE;
  return TRUE;
}

/* ---- start / stop ------------------------------------------------------ */

/* QoS state as no event has been seen. */
static void
qos_reset (GstOvBaseInference *self)
{
  GstOvBaseInferencePrivate *p = PRIV (self);
  GST_OBJECT_LOCK (self);
  p->earliest_time = GST_CLOCK_TIME_NONE;
  p->proportion = 1.0;
  GST_OBJECT_UNLOCK (self);
}

static gboolean
setup_preproc (GstOvBaseInference *self, GError **error)
{
  GstOvBaseInferencePrivate *p = PRIV (self);
  OviTensorView in;
  const char *name;
  GstOvPreprocParams *pp = &p->preproc;
  OviModel *model = gst_ov_model_instance_get_model (p->instance);

  ovi_model_get_input (model, 0, &name, &in);
  gst_ov_preproc_params_init (pp);
  if (in.rank != 4) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION,
        "input '%s' has rank %d: an image input is [1, C, H, W] or "
        "[1, H, W, C]", name, in.rank);
    return FALSE;
  }
  if (!gst_ov_preproc_input_layout (&in, &pp->nhwc)) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION,
        "input '%s' has neither 1 nor 3 channels in NCHW or NHWC", name);
    return FALSE;
  }
  pp->channels = (int) in.dims[pp->nhwc ? 3 : 1];
  pp->height = (int) in.dims[pp->nhwc ? 1 : 2];
  pp->width = (int) in.dims[pp->nhwc ? 2 : 3];
  pp->dtype = in.dtype;
  if (pp->channels == 1)
    pp->color = GST_OV_COLOR_GRAY;
  if (p->model_proc)
    gst_ov_model_proc_apply (p->model_proc, pp);
  if (pp->channels == 1)
    pp->color = GST_OV_COLOR_GRAY;
  return TRUE;
}

static gboolean
load_labels (GstOvBaseInference *self, GError **error)
{
  GstOvBaseInferencePrivate *p = PRIV (self);
  if (p->s.labels && *p->s.labels) {
    p->labels = g_strsplit (p->s.labels, ",", -1);
    for (int i = 0; p->labels[i]; i++)
      g_strstrip (p->labels[i]);
  } else if (p->s.labels_file && *p->s.labels_file) {
    p->labels = gst_ov_read_labels_file (p->s.labels_file, error);
    if (p->labels == NULL)
      return FALSE;
  }
  if (p->labels) {
    /* The properties replace the labels of model-proc's (or
     * model_info's) entries, which the converters read first. */
    for (guint i = 0; p->model_proc && i < p->model_proc->postprocs->len;
        i++) {
      GstOvPostproc *pp = g_ptr_array_index (p->model_proc->postprocs, i);
      if (pp->labels) {
        g_strfreev (pp->labels);
        pp->labels = g_strdupv (p->labels);
      }
    }
    return TRUE;
  }
  if (p->model_proc) {
    for (guint i = 0; i < p->model_proc->postprocs->len; i++) {
      GstOvPostproc *pp = g_ptr_array_index (p->model_proc->postprocs, i);
      if (pp->labels) {
        p->labels = g_strdupv (pp->labels);
        break;
      }
    }
  }
  return TRUE;
}

/* The compiled model's scheduling events, on the thread where they
 * happen: bus messages (posting is thread-safe). */
static void
on_device_event (OviCompiledModel *compiled, const OviDeviceEvent *event,
    gpointer user_data)
{
  GstOvBaseInference *self = user_data;
  if (event->type == OVI_DEVICE_EVENT_MIGRATED) {
    GST_INFO_OBJECT (self, "inferences move from %s to %s",
        event->previous ? event->previous : "(none)", event->device);
    gst_ov_device_post (GST_ELEMENT (self), GST_OV_DEVICE_MIGRATED,
        event->device, event->previous, NULL, NULL);
  } else {
    /* A warning, not an error: the stream goes on, on the next device. */
    GST_WARNING_OBJECT (self, "device %s failed and was dropped: %s",
        event->device, event->message);
    gst_ov_device_post (GST_ELEMENT (self), GST_OV_DEVICE_FAILED,
        event->device, NULL, event->message, NULL);
  }
}

/* A warning naming the keys of `property` nothing here uses (frees them):
 * settings written for DL Streamer's other backends should not stop a
 * ported pipeline. */
static void
warn_ignored_keys (GstOvBaseInference *self, const char *property,
    char **ignored, const char *supported)
{
  gchar *keys;
  if (ignored == NULL)
    return;
  keys = g_strjoinv (", ", ignored);
  GST_ELEMENT_WARNING (self, LIBRARY, SETTINGS,
      ("%s keys not supported here, ignored: %s", property, keys),
      ("supported: %s", supported));
  g_free (keys);
  g_strfreev (ignored);
}

/* The compile config from nireq, the deprecated *-throughput-streams and
 * ie-config, in that order (a later one wins). Keys ie-config names that
 * the engine does not know are a warning, not an error: pipelines written
 * for OpenVINO's devices carry device-specific keys. */
static gboolean
compile_config (GstOvBaseInference *self, OviCompileConfig *config,
    GError **error)
{
  GstOvBaseInferencePrivate *p = PRIV (self);
  char **ignored = NULL;
  GError *err = NULL;

  memset (config, 0, sizeof *config);
  /* Several requests in flight are what the throughput hint's streams
   * serve; a single request gets every core. */
  config->hint = p->s.nireq == 1 ? OVI_HINT_LATENCY : OVI_HINT_THROUGHPUT;
  config->type_streams[OVI_DEVICE_TYPE_CPU] = (int) MIN (
      p->s.cpu_throughput_streams, 4096);
  config->type_streams[OVI_DEVICE_TYPE_GPU] = (int) MIN (
      p->s.gpu_throughput_streams, 4096);
  if (!ovi_compile_config_parse (config, p->s.ie_config, &ignored, &err)) {
    g_set_error (error, GST_LIBRARY_ERROR, GST_LIBRARY_ERROR_SETTINGS,
        "ie-config: %s", err->message);
    g_error_free (err);
    return FALSE;
  }
  warn_ignored_keys (self, "ie-config", ignored, "PERFORMANCE_HINT, "
      "NUM_STREAMS, INFERENCE_NUM_THREADS, INFERENCE_PRECISION_HINT, "
      "ENABLE_CPU_PINNING, PERFORMANCE_HINT_NUM_REQUESTS, "
      "CPU_THROUGHPUT_STREAMS, GPU_THROUGHPUT_STREAMS, CPU_THREADS_NUM, "
      "CPU_BIND_THREAD");
  return TRUE;
}

/* DL Streamer's scale-method: "fast" picks its VA scaler, which is not
 * used here (frames are sampled bilinearly in the one pre-processing
 * pass), so it is accepted and changes nothing. */
static gboolean
check_scale_method (const char *method, GError **error)
{
  if (method == NULL || *method == '\0'
      || g_ascii_strcasecmp (method, "default") == 0
      || g_ascii_strcasecmp (method, "fast") == 0)
    return TRUE;
  g_set_error (error, GST_LIBRARY_ERROR, GST_LIBRARY_ERROR_SETTINGS,
      "scale-method '%s' is not supported: use default or fast", method);
  return FALSE;
}

/* Without a model-proc file, the model's own model_info (an IR's
 * <rt_info>, as DL Streamer reads it); then pre-process-config on top. */
static gboolean
model_processing (GstOvBaseInference *self, GError **error)
{
  GstOvBaseInferencePrivate *p = PRIV (self);
  char **ignored = NULL;

  if (p->model_proc == NULL) {
    if (!gst_ov_model_info_read (gst_ov_model_instance_get_model (
                p->instance), &p->model_proc, error))
      return FALSE;
    if (p->model_proc)
      GST_INFO_OBJECT (self, "pre- and post-processing from the model's "
          "model_info");
  }
  if (p->s.pre_process_config == NULL || *p->s.pre_process_config == '\0')
    return TRUE;
  if (p->model_proc == NULL)
    p->model_proc = gst_ov_model_proc_new ();
  if (!gst_ov_pre_process_config_apply (p->model_proc,
          p->s.pre_process_config, &ignored, error))
    return FALSE;
  warn_ignored_keys (self, "pre-process-config", ignored, "resize_type, "
      "reverse_input_channels, color_space, mean_values, scale_values, "
      "pad_value, VAAPI_FAST_SCALE_LOAD_FACTOR, VAAPI_THREAD_POOL_SIZE");
  return TRUE;
}

/* DL Streamer's 0 is the device's choice: one image, as every device
 * here runs best with requests in flight rather than bigger batches. */
static int
batch_size (GstOvBaseInference *self)
{
  return (int) MAX (PRIV (self)->s.batch_size, 1);
}

/* Leaves the instance bind_instance joined (stop, or a reshape to new
 * frames). */
static void
unbind_instance (GstOvBaseInference *self)
{
  GstOvBaseInferencePrivate *p = PRIV (self);
  GstOvModelInstance *inst;

  if (p->device_listener)
    ovi_compiled_model_remove_listener (
        gst_ov_model_instance_get_compiled (p->instance), p->device_listener);
  p->device_listener = 0;
  if (p->instance)
    gst_ov_batch_close (&p->batch);
  g_mutex_lock (&p->lock);
  inst = p->instance;
  p->instance = NULL;
  g_mutex_unlock (&p->lock);
  gst_ov_model_instance_release (inst);
}

static void
stop (GstOvBaseInference *self)
{
  GstOvBaseInferencePrivate *p = PRIV (self);
  unbind_instance (self);
  gst_ov_model_proc_free (p->model_proc);
  p->model_proc = NULL;
  g_strfreev (p->labels);
  p->labels = NULL;
  g_clear_pointer (&p->model_name, g_free);
  g_clear_pointer (&p->object_classes, g_ptr_array_unref);
}

/* pre-process-backend as set (an unknown name, refused at start, reads as
 * the default). */
static GstOvBackend
current_backend (GstOvBaseInference *self)
{
  GstOvBackend b;
  GST_OBJECT_LOCK (self);
  b = PRIV (self)->backend;
  GST_OBJECT_UNLOCK (self);
  return b;
}

/* reshape=true without a size: the model takes the frames' size. */
static gboolean
reshapes_to_frames (GstOvBaseInference *self)
{
  GstOvBaseInferencePrivate *p = PRIV (self);
  return p->s.reshape && p->s.reshape_width == 0 && p->s.reshape_height == 0;
}

/* Compiles the model (reshaped to width x height unless 0) or joins the
 * shared instance, and sets up everything that depends on it; errors are
 * posted. The caller stops on failure. */
static gboolean
bind_instance (GstOvBaseInference *self, int width, int height)
{
  GstOvBaseInferencePrivate *p = PRIV (self);
  GstOvBaseInferenceClass *klass = GST_OV_BASE_INFERENCE_GET_CLASS (self);
  GError *err = NULL;
  guint n_slots;
  GstOvModelInstance *inst;
  GstOvBackend backend;

  inst = gst_ov_model_instance_acquire (p->s.model_instance_id,
      p->s.model, p->s.device, &p->config, (int) p->s.nireq,
      batch_size (self), width, height, &err);
  g_mutex_lock (&p->lock);
  p->instance = inst;
  g_mutex_unlock (&p->lock);
  if (p->instance == NULL) {
    if (g_error_matches (err, OVI_ERROR, OVI_ERROR_DEVICE))
      GST_ELEMENT_ERROR (self, LIBRARY, INIT,
          ("Device '%s' is not usable: %s", p->s.device, err->message),
          ("%s", err->message));
    else
      GST_ELEMENT_ERROR (self, LIBRARY, INIT,
          ("Cannot load model '%s'", p->s.model), ("%s", err->message));
    g_error_free (err);
    return FALSE;
  }
  backend = current_backend (self);
  p->device_preproc = ovi_compiled_model_takes_images (
      gst_ov_model_instance_get_compiled (p->instance))
      && !gst_ov_backend_forces_cpu (backend);
  if (backend == GST_OV_BACKEND_VA_SHARING && !p->device_preproc) {
    GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS,
        ("pre-process-backend=%s needs a device that pre-processes frames "
            "itself (a GPU); device '%s' does not", p->s.pre_process_backend,
            p->s.device),
        ("use device=GPU, or pre-process-backend=va to read surfaces on "
            "the CPU"));
    return FALSE;
  }
  GST_INFO_OBJECT (self, "frames pre-processed on the %s",
      p->device_preproc ? "device" : "CPU");
  if (!model_processing (self, &err)
      || (p->labels == NULL && !load_labels (self, &err))) {
    GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS, ("Invalid settings"),
        ("%s", err->message));
    g_error_free (err);
    return FALSE;
  }
  gst_ov_batch_bind (&p->batch, p->instance, self);
  p->started_reported = FALSE;
  p->device_listener = ovi_compiled_model_add_listener (
      gst_ov_model_instance_get_compiled (p->instance), on_device_event,
      self);
  if (!setup_preproc (self, &err)
      || (klass->model_ready && !klass->model_ready (self, &err))) {
    GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS,
        ("Model '%s' does not fit this element", p->s.model),
        ("%s", err->message));
    g_error_free (err);
    return FALSE;
  }
  /* Frames waiting for a request count against the queue too: a batch
   * being filled and one per request in flight, plus as many again. */
  n_slots = (guint) gst_ov_model_instance_get_n_slots (p->instance);
  p->max_queue = (n_slots + 1) * (guint) batch_size (self) + n_slots + 1;
  GST_INFO_OBJECT (self, "model %s, %u requests", p->s.model, n_slots);
  return TRUE;
}

static gboolean
start (GstOvBaseInference *self)
{
  GstOvBaseInferencePrivate *p = PRIV (self);
  GError *err = NULL;
  char *base;
  GstOvBackend backend;

  if (p->s.model == NULL || *p->s.model == '\0') {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND, ("No model set"),
        ("set the 'model' property to an .onnx or .xml file"));
    return FALSE;
  }
  if (!g_file_test (p->s.model, G_FILE_TEST_IS_REGULAR)) {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        ("Model file '%s' not found", p->s.model), (NULL));
    return FALSE;
  }
  if (p->s.model_proc && *p->s.model_proc) {
    if (!g_file_test (p->s.model_proc, G_FILE_TEST_IS_REGULAR)) {
      GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
          ("model-proc file '%s' not found", p->s.model_proc), (NULL));
      return FALSE;
    }
    p->model_proc = gst_ov_model_proc_load (p->s.model_proc, &err);
    if (p->model_proc == NULL)
      goto settings_error;
  }
  if (!gst_ov_backend_parse (p->s.pre_process_backend, &backend, &err)
      || !check_scale_method (p->s.scale_method, &err)
      || !compile_config (self, &p->config, &err))
    goto settings_error;
  if (p->s.object_class && *p->s.object_class) {
    char **classes = g_strsplit (p->s.object_class, ",", -1);
    p->object_classes = g_ptr_array_new_with_free_func (g_free);
    for (int i = 0; classes[i]; i++)
      g_ptr_array_add (p->object_classes, g_strdup (g_strstrip (classes[i])));
    g_strfreev (classes);
  }
  base = g_path_get_basename (p->s.model);
  if (strrchr (base, '.'))
    *strrchr (base, '.') = '\0';
  p->model_name = base;

  if (g_ascii_strncasecmp (p->s.device, "MULTI", 5) == 0)
    GST_INFO_OBJECT (self, "device %s is run as AUTO: requests are spread "
        "over the devices by their speed and queues", p->s.device);
  /* Reshaped to the frames: compiled when caps give their size; until
   * then the queue holds the events before the caps. */
  p->max_queue = 4;
  if (!reshapes_to_frames (self) && !bind_instance (self,
          (int) p->s.reshape_width, (int) p->s.reshape_height)) {
    stop (self);
    return FALSE;
  }
  p->frame_count = 0;
  gst_segment_init (&p->segment, GST_FORMAT_UNDEFINED);
  qos_reset (self);
  GST_OBJECT_LOCK (self);
  p->qos_processed = p->qos_dropped = 0;
  GST_OBJECT_UNLOCK (self);
  return TRUE;

settings_error:
  GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS, ("Invalid settings"),
      ("%s", err->message));
  g_error_free (err);
  stop (self);
  return FALSE;
}

/* ---- jobs and the queue ------------------------------------------------ */

static void
job_finish (GstOvBaseInference *self, GstBuffer *buffer,
    const GstVideoInfo *info, GstOvJob *job, gboolean decode, GError **error)
{
  GstOvBaseInferencePrivate *p = PRIV (self);
  GstOvBaseInferenceClass *klass = GST_OV_BASE_INFERENCE_GET_CLASS (self);
  GError *err = NULL;

  if (job->slot == NULL)
    return;
  /* Dropped jobs need not wait: the request is waited for before it goes
   * back to the pool. A flush cancels waiting for a batch to fill. */
  if (decode && gst_ov_batch_wait (&p->batch, job->slot, &p->flushing,
          &err)) {
    if (g_atomic_int_compare_and_exchange (&p->started_reported, FALSE,
            TRUE))
      gst_ov_device_post (GST_ELEMENT (self), GST_OV_DEVICE_STARTED,
          gst_ov_job_get_device (job), NULL, NULL, p->device_preproc
          ? GST_OV_PRE_PROCESS_DEVICE : GST_OV_PRE_PROCESS_CPU);
    if (error == NULL || *error == NULL)
      klass->decode (self, buffer, info, job, error);
  } else if (err && error && *error == NULL) {
    *error = err;
  } else {
    g_clear_error (&err);
  }
  gst_ov_batch_done (&p->batch, job->slot);
  job->slot = NULL;
}

static void
entry_free (GstOvBaseInference *self, Entry *e)
{
  if (e->jobs) {
    for (guint i = 0; i < e->jobs->len; i++)
      job_finish (self, NULL, NULL, &g_array_index (e->jobs, GstOvJob, i),
          FALSE, NULL);
    g_array_unref (e->jobs);
  }
  if (e->buffer)
    gst_buffer_unref (e->buffer);
  if (e->event)
    gst_event_unref (e->event);
  g_free (e);
}

/* Drops everything queued, waiting for the requests still running. */
static void
drain_queue (GstOvBaseInference *self)
{
  GstOvBaseInferencePrivate *p = PRIV (self);
  Entry *e;
  g_mutex_lock (&p->lock);
  while ((e = g_queue_pop_head (&p->queue))) {
    g_mutex_unlock (&p->lock);
    entry_free (self, e);
    g_mutex_lock (&p->lock);
  }
  g_cond_broadcast (&p->cond);
  g_mutex_unlock (&p->lock);
}

static void
src_loop (gpointer data)
{
  GstOvBaseInference *self = data;
  GstOvBaseInferencePrivate *p = PRIV (self);
  GstFlowReturn ret = GST_FLOW_OK;
  GError *err = NULL;
  Entry *e;

  g_mutex_lock (&p->lock);
  while (g_queue_is_empty (&p->queue) && !p->flushing)
    g_cond_wait (&p->cond, &p->lock);
  if (p->flushing) {
    g_mutex_unlock (&p->lock);
    gst_pad_pause_task (p->srcpad);
    return;
  }
  /* Stays queued while decoded, so that serialized queries wait for it. */
  e = g_queue_peek_head (&p->queue);
  g_mutex_unlock (&p->lock);

  if (e->event) {
    gboolean is_eos = GST_EVENT_TYPE (e->event) == GST_EVENT_EOS;
    gst_pad_push_event (p->srcpad, gst_event_ref (e->event));
    if (is_eos)
      ret = GST_FLOW_EOS;
  } else {
    for (guint i = 0; i < e->jobs->len; i++)
      job_finish (self, e->buffer, &e->info,
          &g_array_index (e->jobs, GstOvJob, i), TRUE, &err);
    if (err) {
      GST_ELEMENT_ERROR (self, STREAM, FAILED, ("Inference failed"),
          ("%s", err->message));
      g_error_free (err);
      ret = GST_FLOW_ERROR;
    } else if (g_atomic_int_get (&p->flushing)) {
      /* A flush cut the wait for its batch: undecoded, it goes nowhere. */
      ret = GST_FLOW_FLUSHING;
    } else {
      GstBuffer *buf = e->buffer;
      e->buffer = NULL;
      ret = gst_pad_push (p->srcpad, buf);
    }
  }

  g_mutex_lock (&p->lock);
  if (g_queue_peek_head (&p->queue) == e)
    g_queue_pop_head (&p->queue);
  else
    e = NULL;   /* a flush drained it meanwhile */
  if (ret != GST_FLOW_OK && !p->flushing)
    p->srcresult = ret;
  g_cond_broadcast (&p->cond);
  g_mutex_unlock (&p->lock);
  if (e)
    entry_free (self, e);

  if (ret != GST_FLOW_OK) {
    GST_DEBUG_OBJECT (self, "pausing task: %s", gst_flow_get_name (ret));
    gst_pad_pause_task (p->srcpad);
    if (ret == GST_FLOW_NOT_LINKED || ret < GST_FLOW_EOS) {
      if (ret != GST_FLOW_ERROR)
        GST_ELEMENT_FLOW_ERROR (self, ret);
      gst_pad_push_event (p->srcpad, gst_event_new_eos ());
    }
  }
}

/* Submits a partly filled batch before the streaming thread waits for
 * the frames queued (or lets them out of order with an event): nothing
 * else would complete it. */
static gboolean
flush_batch (GstOvBaseInference *self)
{
  GstOvBaseInferencePrivate *p = PRIV (self);
  GError *err = NULL;
  if (p->instance == NULL || gst_ov_batch_flush (&p->batch, &err))
    return TRUE;
  GST_ELEMENT_ERROR (self, STREAM, FAILED, ("Inference failed"),
      ("%s", err->message));
  g_error_free (err);
  return FALSE;
}

static GstFlowReturn
enqueue (GstOvBaseInference *self, Entry *e)
{
  GstOvBaseInferencePrivate *p = PRIV (self);
  GstFlowReturn ret;

  g_mutex_lock (&p->lock);
  if (p->srcresult == GST_FLOW_OK && !p->flushing
      && g_queue_get_length (&p->queue) >= p->max_queue) {
    /* The frames that fill the queue may wait for the open batch. */
    g_mutex_unlock (&p->lock);
    if (!flush_batch (self)) {
      entry_free (self, e);
      return GST_FLOW_ERROR;
    }
    g_mutex_lock (&p->lock);
  }
  while (p->srcresult == GST_FLOW_OK && !p->flushing
      && g_queue_get_length (&p->queue) >= p->max_queue)
    g_cond_wait (&p->cond, &p->lock);
  ret = p->flushing ? GST_FLOW_FLUSHING : p->srcresult;
  if (ret == GST_FLOW_OK) {
    g_queue_push_tail (&p->queue, e);
    g_cond_broadcast (&p->cond);
  }
  g_mutex_unlock (&p->lock);
  if (ret != GST_FLOW_OK)
    entry_free (self, e);
  return ret;
}

static gboolean
region_wanted (GstOvBaseInference *self, GstBuffer *buf,
    GstVideoRegionOfInterestMeta *roi)
{
  GstOvBaseInferencePrivate *p = PRIV (self);
  GstOvBaseInferenceClass *klass = GST_OV_BASE_INFERENCE_GET_CLASS (self);
  if (p->object_classes) {
    const gchar *label = gst_ov_roi_get_label (roi);
    gboolean found = FALSE;
    for (guint i = 0; i < p->object_classes->len && !found; i++)
      found = g_strcmp0 (g_ptr_array_index (p->object_classes, i), label) == 0;
    if (!found)
      return FALSE;
  }
  return klass->want_region == NULL || klass->want_region (self, buf, roi);
}

/* A face recognizer's crop: the box around the landmarks an upstream
 * classifier put on the region; the region itself when there are none
 * (as face-api.js falls back to the detection box). */
static void
align_to_landmarks (const GstOvModelProc *mp,
    GstVideoRegionOfInterestMeta *roi, int frame_w, int frame_h,
    GstVideoRectangle *r)
{
  int n = 0;
  float *pts = gst_ov_roi_get_landmarks (roi, &n);
  GstVideoRectangle box;
  gboolean ok = FALSE;

  if (pts && mp->alignment == GST_OV_ALIGN_EYES_MOUTH)
    ok = gst_ov_landmarks_eyes_mouth_square (pts, n, frame_w, frame_h, &box);
  else if (pts)
    ok = gst_ov_landmarks_box (pts, n, mp->alignment_padding, frame_w,
        frame_h, &box);
  if (ok)
    *r = box;
  g_free (pts);
}

/* open_batch's answer under no-block when every request is busy. */
#define NO_REQUEST GST_FLOW_CUSTOM_SUCCESS

/* Opens a request for the next batch; a pool exhausted by this very
 * frame's own jobs (all in batches already submitted) is relieved by
 * finishing its oldest job here. Under no-block it never waits nor
 * finishes jobs (NO_REQUEST; `error` may then be NULL). */
static GstFlowReturn
open_batch (GstOvBaseInference *self, Entry *e, GError **error)
{
  GstOvBaseInferencePrivate *p = PRIV (self);
  GstOvSlot *slot;
  guint oldest = 0;

  while ((slot = gst_ov_model_instance_try_pop_slot (p->instance, self)) == NULL) {
    /* no-block never waits: the frame's other regions go uninferred. */
    if (p->s.no_block)
      return NO_REQUEST;
    if (oldest < e->jobs->len) {
      job_finish (self, e->buffer, &e->info,
          &g_array_index (e->jobs, GstOvJob, oldest++), TRUE, error);
      if (*error)
        return GST_FLOW_ERROR;
      continue;
    }
    slot = gst_ov_model_instance_pop_slot (p->instance, self, &p->flushing);
    if (slot == NULL)
      return GST_FLOW_FLUSHING;
    break;
  }
  gst_ov_batch_open (&p->batch, slot);
  return GST_FLOW_OK;
}

/* Adds one image to the batch, which starts once full. */
static GstFlowReturn
submit (GstOvBaseInference *self, Entry *e, const GstOvPreprocPlanes *frame,
    const GstVideoRectangle *region, GstVideoRegionOfInterestMeta *roi)
{
  GstOvBaseInferencePrivate *p = PRIV (self);
  GstOvJob job = { 0 };
  GError *err = NULL;
  GstFlowReturn ret;
  void *input;
  gboolean started;

  while ((job.slot = gst_ov_batch_get_open (&p->batch)) == NULL) {
    ret = open_batch (self, e, &err);
    if (err)
      goto failed;
    if (ret == NO_REQUEST)
      return GST_FLOW_OK;
    if (ret != GST_FLOW_OK)
      return ret;
  }
  job.region = *region;
  job.roi = roi;
  input = gst_ov_batch_next_image (&p->batch, &job.batch_index);
  if (p->device_preproc) {
    /* The device pre-processes: the region's bytes go to it now, as they
     * are (a frame crosses the bus once, as 8-bit data). */
    GstOvPreprocImage image;
    gboolean ok;
    if (!gst_ov_preproc_image (&p->preproc, frame, region, &image,
            &job.transform))
      return GST_FLOW_OK;
    ok = ovi_request_set_input_image (job.slot->request, 0, job.batch_index,
        &image.image, &err);
    gst_ov_preproc_image_clear (&image);
    if (!ok)
      goto failed;
  } else if (!gst_ov_preproc_run_planes (&p->preproc, frame, region, input,
          &job.transform)) {
    /* An empty or off-frame region: nothing to infer. */
    return GST_FLOW_OK;
  }
  /* Its job is counted either way: the frame's release finishes it. */
  started = gst_ov_batch_add (&p->batch, &err);
  g_array_append_val (e->jobs, job);
  if (!started)
    goto failed;
  return GST_FLOW_OK;

failed:
  GST_ELEMENT_ERROR (self, STREAM, FAILED, ("Inference failed"),
      ("%s", err->message));
  g_error_free (err);
  return GST_FLOW_ERROR;
}

/* A frame's planes in place for the pre-processing: system and DMA-BUF
 * memory mapped by GStreamer (GstFdMemory mmaps the descriptors), VA
 * surfaces mapped through the driver (gstovvasurface.h). */
typedef struct {
  GstOvMemoryKind kind;
  GstVideoFrame frame;
#ifdef HAVE_GST_VA
  GstOvVaMapping va;
#endif
} FrameAccess;

#ifdef HAVE_GST_VA
/* The display of the first VA frame, for neighbours that ask. */
static void
keep_va_display (GstOvBaseInference *self, GstBuffer *buf)
{
  GstOvBaseInferencePrivate *p = PRIV (self);
  GstVaDisplay *display = gst_va_buffer_peek_display (buf);
  GST_OBJECT_LOCK (self);
  if (p->va_display == NULL && display)
    p->va_display = gst_object_ref (display);
  GST_OBJECT_UNLOCK (self);
}
#endif

static gboolean
frame_access_begin (GstOvBaseInference *self, FrameAccess *access,
    GstBuffer *buf, GstOvPreprocPlanes *planes)
{
  GstOvBaseInferencePrivate *p = PRIV (self);

  access->kind = p->memory;
#ifdef HAVE_GST_VA
  if (access->kind == GST_OV_MEMORY_VA) {
    GError *err = NULL;
    if (!gst_ov_va_surface_map (&access->va, buf, &p->info, FALSE, &err)) {
      GST_ELEMENT_ERROR (self, RESOURCE, READ, ("Cannot read a VA surface"),
          ("%s", err->message));
      g_error_free (err);
      return FALSE;
    }
    keep_va_display (self, buf);
    gst_ov_va_mapping_get_planes (&access->va, planes);
    return TRUE;
  }
#endif
  /* Without a reference of its own, so that the buffer stays writable:
   * a job decoded early (pool exhausted) adds metas to it meanwhile. */
  if (!gst_video_frame_map (&access->frame, &p->info, buf,
          GST_MAP_READ | GST_VIDEO_FRAME_MAP_FLAG_NO_REF)) {
    GST_ELEMENT_ERROR (self, STREAM, FAILED, (NULL),
        ("cannot map the frame"));
    return FALSE;
  }
  gst_ov_preproc_planes_from_frame (planes, &access->frame);
  return TRUE;
}

static void
frame_access_end (GstOvBaseInference *self, FrameAccess *access)
{
#ifdef HAVE_GST_VA
  if (access->kind == GST_OV_MEMORY_VA) {
    GError *err = NULL;
    /* Read-only: nothing was written back, an error here loses nothing
     * already inferred. */
    if (!gst_ov_va_surface_unmap (&access->va, &err)) {
      GST_WARNING_OBJECT (self, "%s", err->message);
      g_error_free (err);
    }
    return;
  }
#endif
  gst_video_frame_unmap (&access->frame);
}

/* qos: TRUE when `buf` is already late downstream (as GstBaseTransform
 * judges it: its running time not after the last QoS event's timestamp
 * plus lateness); a QoS message tells the application. */
static gboolean
qos_drops (GstOvBaseInference *self, GstBuffer *buf)
{
  GstOvBaseInferencePrivate *p = PRIV (self);
  GstClockTime pts = GST_BUFFER_PTS (buf), running, earliest;
  gdouble proportion;
  guint64 processed, dropped;
  GstMessage *msg;

  running = p->segment.format == GST_FORMAT_TIME && GST_CLOCK_TIME_IS_VALID (
      pts) ? gst_segment_to_running_time (&p->segment, GST_FORMAT_TIME, pts)
      : GST_CLOCK_TIME_NONE;
  GST_OBJECT_LOCK (self);
  earliest = p->earliest_time;
  proportion = p->proportion;
  if (!GST_CLOCK_TIME_IS_VALID (running) || !GST_CLOCK_TIME_IS_VALID (
          earliest) || running > earliest) {
    p->qos_processed++;
    GST_OBJECT_UNLOCK (self);
    return FALSE;
  }
  processed = p->qos_processed;
  dropped = ++p->qos_dropped;
  GST_OBJECT_UNLOCK (self);
  GST_DEBUG_OBJECT (self, "frame at %" GST_TIME_FORMAT " is late (earliest "
      "%" GST_TIME_FORMAT "): dropped", GST_TIME_ARGS (running),
      GST_TIME_ARGS (earliest));
  msg = gst_message_new_qos (GST_OBJECT (self), FALSE, running,
      gst_segment_to_stream_time (&p->segment, GST_FORMAT_TIME, pts), pts,
      GST_BUFFER_DURATION (buf));
  gst_message_set_qos_values (msg, (gint64) (earliest - running), proportion,
      1000000);
  gst_message_set_qos_stats (msg, GST_FORMAT_BUFFERS, processed, dropped);
  gst_element_post_message (GST_ELEMENT (self), msg);
  return TRUE;
}

static GstFlowReturn
chain (GstPad *pad, GstObject *parent, GstBuffer *buf)
{
  GstOvBaseInference *self = GST_OV_BASE_INFERENCE (parent);
  GstOvBaseInferencePrivate *p = PRIV (self);
  GstFlowReturn ret;
  Entry *e;
  gboolean infer;

  g_mutex_lock (&p->lock);
  ret = p->flushing ? GST_FLOW_FLUSHING : p->srcresult;
  g_mutex_unlock (&p->lock);
  if (ret != GST_FLOW_OK) {
    gst_buffer_unref (buf);
    return ret;
  }
  if (!p->have_info || p->instance == NULL) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("buffer before caps"));
    gst_buffer_unref (buf);
    return GST_FLOW_NOT_NEGOTIATED;
  }
  if (g_atomic_int_get (&p->s.qos) && qos_drops (self, buf)) {
    gst_buffer_unref (buf);
    return GST_FLOW_OK;
  }

  e = g_new0 (Entry, 1);
  e->buffer = gst_buffer_make_writable (buf);
  e->info = p->info;
  e->jobs = g_array_new (FALSE, FALSE, sizeof (GstOvJob));
  infer = p->s.inference_interval <= 1
      || p->frame_count % p->s.inference_interval == 0;
  p->frame_count++;
  /* no-block: the frame's first image needs a request now (the batch
   * being filled, or a free one open_batch takes without waiting). */
  if (infer && p->s.no_block && gst_ov_batch_get_open (&p->batch) == NULL
      && open_batch (self, e, NULL) == NO_REQUEST) {
    GST_LOG_OBJECT (self, "every request is busy: frame %" G_GUINT64_FORMAT
        " passes without inference", p->frame_count - 1);
    infer = FALSE;
  }

  if (infer) {
    FrameAccess access;
    GstOvPreprocPlanes frame;
    if (!frame_access_begin (self, &access, e->buffer, &frame)) {
      entry_free (self, e);
      return GST_FLOW_ERROR;
    }
    if (p->s.inference_region == GST_OV_REGION_FULL_FRAME) {
      GstVideoRectangle r = { 0, 0, GST_VIDEO_INFO_WIDTH (&p->info),
        GST_VIDEO_INFO_HEIGHT (&p->info) };
      ret = submit (self, e, &frame, &r, NULL);
    } else {
      /* The ROIs present now: decoding a job early (pool exhausted) may
       * add metas while we submit, and those are results, not inputs. */
      GPtrArray *rois = g_ptr_array_new ();
      gpointer state = NULL;
      GstMeta *m;
      while ((m = gst_buffer_iterate_meta_filtered (e->buffer, &state,
                  GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE)))
        if (region_wanted (self, e->buffer, (GstVideoRegionOfInterestMeta *) m))
          g_ptr_array_add (rois, m);
      for (guint i = 0; i < rois->len && ret == GST_FLOW_OK; i++) {
        GstVideoRegionOfInterestMeta *roi = g_ptr_array_index (rois, i);
        /* 64-bit clip: ROI fields are unsigned and may be anything. */
        gint64 fw = GST_VIDEO_INFO_WIDTH (&p->info);
        gint64 fh = GST_VIDEO_INFO_HEIGHT (&p->info);
        gint64 x0 = MIN ((gint64) roi->x, fw), y0 = MIN ((gint64) roi->y, fh);
        GstVideoRectangle r = { (gint) x0, (gint) y0,
          (gint) MIN ((gint64) roi->w, fw - x0),
          (gint) MIN ((gint64) roi->h, fh - y0) };
        if (p->model_proc && p->model_proc->alignment != GST_OV_ALIGN_NONE)
          align_to_landmarks (p->model_proc, roi, (int) fw, (int) fh, &r);
        ret = submit (self, e, &frame, &r, roi);
      }
      g_ptr_array_unref (rois);
    }
    frame_access_end (self, &access);
    if (ret != GST_FLOW_OK) {
      entry_free (self, e);
      return ret;
    }
    if (GST_OV_BASE_INFERENCE_GET_CLASS (self)->marks_detected_frames)
      gst_ov_buffer_mark_detected (e->buffer);
  }
  return enqueue (self, e);
}

/* ---- events, queries, activation --------------------------------------- */

static void
set_flushing (GstOvBaseInference *self, gboolean flushing)
{
  GstOvBaseInferencePrivate *p = PRIV (self);
  g_mutex_lock (&p->lock);
  g_atomic_int_set (&p->flushing, flushing);
  if (!flushing) {
    p->srcresult = GST_FLOW_OK;
  }
  g_cond_broadcast (&p->cond);
  /* Under the lock: a reshape may replace the instance on the streaming
   * thread (bind_instance, unbind_instance swap it under this lock). */
  if (flushing && p->instance)
    gst_ov_model_instance_wake (p->instance);
  g_mutex_unlock (&p->lock);
  if (flushing)
    gst_ov_batch_wake (&p->batch);
}

#ifdef HAVE_GST_VA
/* VA caps: the display the neighbours or the application share (a
 * context query both ways, then a need-context message), so that this
 * element can hand it on; the frames' own display is used for reading. */
static void
ensure_va_display (GstOvBaseInference *self)
{
  GstOvBaseInferencePrivate *p = PRIV (self);
  gboolean have;
  GST_OBJECT_LOCK (self);
  have = p->va_display != NULL;
  GST_OBJECT_UNLOCK (self);
  if (!have)
    gst_va_context_query (GST_ELEMENT (self),
        GST_VA_DISPLAY_HANDLE_CONTEXT_TYPE_STR);
}

static void
set_context (GstElement *element, GstContext *context)
{
  GstOvBaseInferencePrivate *p = PRIV (element);
  GstVaDisplay *display = gst_ov_va_display_from_context (context);
  if (display) {
    GST_OBJECT_LOCK (element);
    gst_object_replace ((GstObject **) &p->va_display, GST_OBJECT (display));
    GST_OBJECT_UNLOCK (element);
    gst_object_unref (display);
  }
  GST_ELEMENT_CLASS (gst_ov_base_inference_parent_class)->set_context
      (element, context);
}

/* A context query for the VA display: answered with ours when there is
 * one, else passed on like any query. */
static gboolean
answer_va_context (GstOvBaseInference *self, GstQuery *query)
{
  GstOvBaseInferencePrivate *p = PRIV (self);
  GstVaDisplay *display = NULL;
  gboolean answered;

  if (GST_QUERY_TYPE (query) != GST_QUERY_CONTEXT)
    return FALSE;
  GST_OBJECT_LOCK (self);
  if (p->va_display)
    display = gst_object_ref (p->va_display);
  GST_OBJECT_UNLOCK (self);
  if (display == NULL)
    return FALSE;
  answered = gst_va_handle_context_query (GST_ELEMENT (self), query, display);
  gst_object_unref (display);
  return answered;
}
#endif

/* Caps and accept-caps queries, on either pad (frames pass through, so
 * both sides carry the same memory): pre-process-backend limits the
 * memory the frames may come in. FALSE when the query is not one of
 * those; the answer is then the pad's default one. */
static gboolean
answer_caps_query (GstOvBaseInference *self, GstPad *pad, GstObject *parent,
    GstQuery *query, gboolean *result)
{
  GstOvBackend backend = current_backend (self);
  GstCaps *caps;

  if (backend == GST_OV_BACKEND_AUTO)
    return FALSE;
  if (GST_QUERY_TYPE (query) == GST_QUERY_ACCEPT_CAPS) {
    gst_query_parse_accept_caps (query, &caps);
    if (!gst_ov_backend_allows_memory (backend,
            gst_ov_caps_memory_kind (caps))) {
      gst_query_set_accept_caps_result (query, FALSE);
      *result = TRUE;
      return TRUE;
    }
    return FALSE;
  }
  if (GST_QUERY_TYPE (query) != GST_QUERY_CAPS)
    return FALSE;
  *result = gst_pad_query_default (pad, parent, query);
  if (*result) {
    gst_query_parse_caps_result (query, &caps);
    caps = gst_ov_backend_filter_caps (backend, gst_caps_ref (caps));
    gst_query_set_caps_result (query, caps);
    gst_caps_unref (caps);
  }
  return TRUE;
}

/* reshape without reshape-width/height: the model's input takes the
 * frames' size, so the frames are not resized. The model is compiled when
 * the first caps come (start leaves it: its size may be dynamic), and again
 * when caps change the size, once the frames before them have left. */
static gboolean
reshape_to_frames (GstOvBaseInference *self, const GstVideoInfo *info)
{
  GstOvBaseInferencePrivate *p = PRIV (self);
  int w = GST_VIDEO_INFO_WIDTH (info), h = GST_VIDEO_INFO_HEIGHT (info);
  gboolean idle;

  if (!reshapes_to_frames (self) || (p->instance
          && p->preproc.width == w && p->preproc.height == h))
    return TRUE;
  if (p->instance) {
    if (!flush_batch (self))
      return FALSE;
    g_mutex_lock (&p->lock);
    while (!g_queue_is_empty (&p->queue) && !p->flushing
        && p->srcresult == GST_FLOW_OK)
      g_cond_wait (&p->cond, &p->lock);
    idle = g_queue_is_empty (&p->queue);
    g_mutex_unlock (&p->lock);
    /* A flush or an error stopped the wait: frames still hold requests of
     * this instance, so it stays (the caps are refused). */
    if (!idle)
      return FALSE;
    unbind_instance (self);
  }
  GST_INFO_OBJECT (self, "compiling the model for %dx%d frames", w, h);
  return bind_instance (self, w, h);
}

static gboolean
sink_event (GstPad *pad, GstObject *parent, GstEvent *event)
{
  GstOvBaseInference *self = GST_OV_BASE_INFERENCE (parent);
  GstOvBaseInferencePrivate *p = PRIV (self);
  Entry *e;

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_FLUSH_START:
      set_flushing (self, TRUE);
      gst_pad_push_event (p->srcpad, event);
      gst_pad_pause_task (p->srcpad);
      return TRUE;
    case GST_EVENT_FLUSH_STOP:
      drain_queue (self);
      qos_reset (self);
      set_flushing (self, FALSE);
      gst_pad_push_event (p->srcpad, event);
      return gst_pad_start_task (p->srcpad, src_loop, self, NULL);
    case GST_EVENT_SEGMENT:
      gst_event_copy_segment (event, &p->segment);
      break;
    case GST_EVENT_CAPS: {
      GstCaps *caps;
      GstVideoInfo info;
      gst_event_parse_caps (event, &caps);
      if (!gst_video_info_from_caps (&info, caps)
          || !gst_ov_preproc_format_supported (GST_VIDEO_INFO_FORMAT (&info))) {
        GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
            ("unsupported caps %" GST_PTR_FORMAT, caps));
        gst_event_unref (event);
        return FALSE;
      }
      if (!gst_ov_backend_allows_memory (current_backend (self),
              gst_ov_caps_memory_kind (caps))) {
        GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
            ("pre-process-backend=%s does not take caps %" GST_PTR_FORMAT
                " (ie and opencv take system memory, va and "
                "va-surface-sharing VA or DMA-BUF memory)",
                p->s.pre_process_backend, caps));
        gst_event_unref (event);
        return FALSE;
      }
      if (!reshape_to_frames (self, &info)) {
        p->have_info = FALSE;
        gst_event_unref (event);
        return FALSE;
      }
      p->info = info;
      p->have_info = TRUE;
      p->memory = gst_ov_caps_memory_kind (caps);
#ifdef HAVE_GST_VA
      if (p->memory == GST_OV_MEMORY_VA)
        ensure_va_display (self);
#endif
      break;
    }
    default:
      break;
  }
  if (!GST_EVENT_IS_SERIALIZED (event))
    return gst_pad_event_default (pad, parent, event);
  /* Serialized: after the frames before it, which must not wait for
   * more to fill their batch. */
  if (!flush_batch (self)) {
    gst_event_unref (event);
    return FALSE;
  }
  e = g_new0 (Entry, 1);
  e->event = event;
  /* Refused only while flushing or after the task stopped on an error;
   * enqueue has dropped it then, as a pad would. */
  return enqueue (self, e) == GST_FLOW_OK;
}

static gboolean
sink_query (GstPad *pad, GstObject *parent, GstQuery *query)
{
  GstOvBaseInference *self = GST_OV_BASE_INFERENCE (parent);
  GstOvBaseInferencePrivate *p = PRIV (self);
  gboolean result;

#ifdef HAVE_GST_VA
  if (answer_va_context (self, query))
    return TRUE;
#endif
  if (answer_caps_query (self, pad, parent, query, &result))
    return result;
  if (GST_QUERY_IS_SERIALIZED (query)) {
    /* Answered downstream only once the frames before it have left. */
    if (!flush_batch (self))
      return FALSE;
    g_mutex_lock (&p->lock);
    while (!g_queue_is_empty (&p->queue) && !p->flushing
        && p->srcresult == GST_FLOW_OK)
      g_cond_wait (&p->cond, &p->lock);
    g_mutex_unlock (&p->lock);
  }
  return gst_pad_query_default (pad, parent, query);
}

/* QoS events from downstream are kept (for qos) and go on upstream. */
static gboolean
src_event (GstPad *pad, GstObject *parent, GstEvent *event)
{
  GstOvBaseInference *self = GST_OV_BASE_INFERENCE (parent);
  GstOvBaseInferencePrivate *p = PRIV (self);

  if (GST_EVENT_TYPE (event) == GST_EVENT_QOS) {
    GstQOSType type;
    gdouble proportion;
    GstClockTimeDiff diff;
    GstClockTime timestamp;
    gst_event_parse_qos (event, &type, &proportion, &diff, &timestamp);
    GST_OBJECT_LOCK (self);
    p->proportion = proportion;
    if (GST_CLOCK_TIME_IS_VALID (timestamp))
      p->earliest_time = diff < 0 && (GstClockTime) -diff > timestamp ? 0
          : timestamp + diff;
    GST_OBJECT_UNLOCK (self);
  }
  return gst_pad_event_default (pad, parent, event);
}

static gboolean
src_query (GstPad *pad, GstObject *parent, GstQuery *query)
{
  GstOvBaseInference *self = GST_OV_BASE_INFERENCE (parent);
  GstOvBaseInferencePrivate *p = PRIV (self);
  gboolean result;

#ifdef HAVE_GST_VA
  if (answer_va_context (self, query))
    return TRUE;
#endif
  if (answer_caps_query (self, pad, parent, query, &result))
    return result;
  if (GST_QUERY_TYPE (query) == GST_QUERY_LATENCY) {
    gboolean live;
    GstClockTime min, max;
    if (!gst_pad_peer_query (p->sinkpad, query))
      return FALSE;
    gst_query_parse_latency (query, &live, &min, &max);
    if (p->have_info && GST_VIDEO_INFO_FPS_N (&p->info) > 0) {
      GstClockTime frame = gst_util_uint64_scale (GST_SECOND,
          GST_VIDEO_INFO_FPS_D (&p->info), GST_VIDEO_INFO_FPS_N (&p->info));
      /* A batch's first frame waits for the rest of it, which
       * inference-interval spreads over more frames. */
      min += (guint64) (batch_size (self) - 1)
          * MAX (p->s.inference_interval, 1) * frame;
      /* Up to max_queue frames wait here: that much more may be buffered. */
      if (max != GST_CLOCK_TIME_NONE)
        max += p->max_queue * frame;
    }
    GST_DEBUG_OBJECT (self, "latency min %" GST_TIME_FORMAT " max %"
        GST_TIME_FORMAT, GST_TIME_ARGS (min), GST_TIME_ARGS (max));
    gst_query_set_latency (query, live, min, max);
    return TRUE;
  }
  return gst_pad_query_default (pad, parent, query);
}

static gboolean
src_activate_mode (GstPad *pad, GstObject *parent, GstPadMode mode,
    gboolean active)
{
  GstOvBaseInference *self = GST_OV_BASE_INFERENCE (parent);

  if (mode != GST_PAD_MODE_PUSH)
    return FALSE;
  if (active) {
    set_flushing (self, FALSE);
    return gst_pad_start_task (pad, src_loop, self, NULL);
  }
  set_flushing (self, TRUE);
  gst_pad_stop_task (pad);
  drain_queue (self);
  return TRUE;
}

static GstStateChangeReturn
change_state (GstElement *element, GstStateChange transition)
{
  GstOvBaseInference *self = GST_OV_BASE_INFERENCE (element);
  GstOvBaseInferencePrivate *p = PRIV (self);
  GstStateChangeReturn ret;

  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED) {
    if (!start (self))
      return GST_STATE_CHANGE_FAILURE;
    p->have_info = FALSE;
  }
  ret = GST_ELEMENT_CLASS (gst_ov_base_inference_parent_class)->change_state
      (element, transition);
  if (ret == GST_STATE_CHANGE_FAILURE
      && transition == GST_STATE_CHANGE_READY_TO_PAUSED)
    stop (self);
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    stop (self);
#ifdef HAVE_GST_VA
  /* A display set as context stays for the next run, as in GStreamer's
   * va elements, until the element goes back to NULL. */
  if (transition == GST_STATE_CHANGE_READY_TO_NULL) {
    GST_OBJECT_LOCK (self);
    gst_clear_object (&p->va_display);
    GST_OBJECT_UNLOCK (self);
  }
#endif
  return ret;
}

/* ---- GObject ------------------------------------------------------------ */

static void
set_property (GObject *object, guint prop_id, const GValue *value,
    GParamSpec *pspec)
{
  GstOvBaseInferencePrivate *p = PRIV (object);
  GstOvInferenceSettings *s = &p->s;

  GST_OBJECT_LOCK (object);
  switch (prop_id) {
    case PROP_MODEL:
      g_free (s->model);
      s->model = g_value_dup_string (value);
      break;
    case PROP_MODEL_PROC:
      g_free (s->model_proc);
      s->model_proc = g_value_dup_string (value);
      break;
    case PROP_LABELS_FILE:
      g_free (s->labels_file);
      s->labels_file = g_value_dup_string (value);
      break;
    case PROP_LABELS:
      g_free (s->labels);
      s->labels = g_value_dup_string (value);
      break;
    case PROP_DEVICE:
      /* Checked at start, where the engine sees the devices present. */
      g_free (s->device);
      s->device = g_value_dup_string (value);
      if (s->device == NULL || *g_strstrip (s->device) == '\0') {
        g_free (s->device);
        s->device = g_strdup (DEFAULT_DEVICE);
      }
      break;
    case PROP_THRESHOLD:
      s->threshold = g_value_get_double (value);
      break;
    case PROP_NIREQ:
      s->nireq = g_value_get_uint (value);
      break;
    case PROP_BATCH_SIZE:
      s->batch_size = g_value_get_uint (value);
      break;
    case PROP_INFERENCE_INTERVAL:
      s->inference_interval = g_value_get_uint (value);
      break;
    case PROP_INFERENCE_REGION:
      s->inference_region = g_value_get_enum (value);
      break;
    case PROP_OBJECT_CLASS:
      g_free (s->object_class);
      s->object_class = g_value_dup_string (value);
      break;
    case PROP_MODEL_INSTANCE_ID:
      g_free (s->model_instance_id);
      s->model_instance_id = g_value_dup_string (value);
      break;
    case PROP_IE_CONFIG:
      /* Checked at start. */
      g_free (s->ie_config);
      s->ie_config = g_value_dup_string (value);
      break;
    case PROP_CPU_THROUGHPUT_STREAMS:
      s->cpu_throughput_streams = g_value_get_uint (value);
      break;
    case PROP_GPU_THROUGHPUT_STREAMS:
      s->gpu_throughput_streams = g_value_get_uint (value);
      break;
    case PROP_PRE_PROCESS_CONFIG:
      g_free (s->pre_process_config);
      s->pre_process_config = g_value_dup_string (value);
      break;
    case PROP_SCALE_METHOD:
      g_free (s->scale_method);
      s->scale_method = g_value_dup_string (value);
      break;
    case PROP_NO_BLOCK:
      s->no_block = g_value_get_boolean (value);
      break;
    case PROP_RESHAPE:
      s->reshape = g_value_get_boolean (value);
      break;
    case PROP_RESHAPE_WIDTH:
      s->reshape_width = g_value_get_uint (value);
      break;
    case PROP_RESHAPE_HEIGHT:
      s->reshape_height = g_value_get_uint (value);
      break;
    case PROP_QOS:
      /* Read by the streaming thread without the lock. */
      g_atomic_int_set (&s->qos, g_value_get_boolean (value));
      break;
    case PROP_PRE_PROCESS_BACKEND:
      /* An unknown name is refused at start; until then, no limit. */
      g_free (s->pre_process_backend);
      s->pre_process_backend = g_value_dup_string (value);
      if (!gst_ov_backend_parse (s->pre_process_backend, &p->backend, NULL))
        p->backend = GST_OV_BACKEND_AUTO;
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (object);
}

static void
get_property (GObject *object, guint prop_id, GValue *value,
    GParamSpec *pspec)
{
  GstOvBaseInferencePrivate *p = PRIV (object);
  GstOvInferenceSettings *s = &p->s;

  GST_OBJECT_LOCK (object);
  switch (prop_id) {
    case PROP_MODEL: g_value_set_string (value, s->model); break;
    case PROP_MODEL_PROC: g_value_set_string (value, s->model_proc); break;
    case PROP_LABELS_FILE: g_value_set_string (value, s->labels_file); break;
    case PROP_LABELS: g_value_set_string (value, s->labels); break;
    case PROP_DEVICE: g_value_set_string (value, s->device); break;
    case PROP_THRESHOLD: g_value_set_double (value, s->threshold); break;
    case PROP_NIREQ: g_value_set_uint (value, s->nireq); break;
    case PROP_BATCH_SIZE: g_value_set_uint (value, s->batch_size); break;
    case PROP_INFERENCE_INTERVAL:
      g_value_set_uint (value, s->inference_interval);
      break;
    case PROP_INFERENCE_REGION:
      g_value_set_enum (value, s->inference_region);
      break;
    case PROP_OBJECT_CLASS: g_value_set_string (value, s->object_class); break;
    case PROP_MODEL_INSTANCE_ID:
      g_value_set_string (value, s->model_instance_id);
      break;
    case PROP_IE_CONFIG: g_value_set_string (value, s->ie_config); break;
    case PROP_CPU_THROUGHPUT_STREAMS:
      g_value_set_uint (value, s->cpu_throughput_streams);
      break;
    case PROP_GPU_THROUGHPUT_STREAMS:
      g_value_set_uint (value, s->gpu_throughput_streams);
      break;
    case PROP_PRE_PROCESS_BACKEND:
      g_value_set_string (value, s->pre_process_backend);
      break;
    case PROP_PRE_PROCESS_CONFIG:
      g_value_set_string (value, s->pre_process_config);
      break;
    case PROP_SCALE_METHOD:
      g_value_set_string (value, s->scale_method);
      break;
    case PROP_NO_BLOCK: g_value_set_boolean (value, s->no_block); break;
    case PROP_QOS:
      g_value_set_boolean (value, g_atomic_int_get (&s->qos));
      break;
    case PROP_RESHAPE: g_value_set_boolean (value, s->reshape); break;
    case PROP_RESHAPE_WIDTH: g_value_set_uint (value, s->reshape_width); break;
    case PROP_RESHAPE_HEIGHT:
      g_value_set_uint (value, s->reshape_height);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (object);
}

static void
finalize (GObject *object)
{
  GstOvBaseInferencePrivate *p = PRIV (object);
  stop (GST_OV_BASE_INFERENCE (object));
  g_free (p->s.model);
  g_free (p->s.model_proc);
  g_free (p->s.labels_file);
  g_free (p->s.labels);
  g_free (p->s.device);
  g_free (p->s.object_class);
  g_free (p->s.model_instance_id);
  g_free (p->s.ie_config);
  g_free (p->s.pre_process_backend);
  g_free (p->s.pre_process_config);
  g_free (p->s.scale_method);
  g_mutex_clear (&p->lock);
  g_cond_clear (&p->cond);
  gst_ov_batch_clear (&p->batch);
#ifdef HAVE_GST_VA
  gst_clear_object (&p->va_display);
#endif
  G_OBJECT_CLASS (gst_ov_base_inference_parent_class)->finalize (object);
}

static void
gst_ov_base_inference_class_init (GstOvBaseInferenceClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
      | GST_PARAM_MUTABLE_READY;

  gobject_class->set_property = set_property;
  gobject_class->get_property = get_property;
  gobject_class->finalize = finalize;
  element_class->change_state = change_state;
#ifdef HAVE_GST_VA
  element_class->set_context = set_context;
#endif

  g_object_class_install_property (gobject_class, PROP_MODEL,
      g_param_spec_string ("model", "Model",
          "Path to the model file (.onnx, or OpenVINO IR .xml with its .bin)",
          NULL, rw));
  g_object_class_install_property (gobject_class, PROP_MODEL_PROC,
      g_param_spec_string ("model-proc", "Model proc",
          "Path to a DL Streamer model-proc JSON file: input pre-processing "
          "and output post-processing", NULL, rw));
  g_object_class_install_property (gobject_class, PROP_LABELS_FILE,
      g_param_spec_string ("labels-file", "Labels file",
          "Path to a file with one label per line (overrides model-proc's "
          "labels)", NULL, rw));
  g_object_class_install_property (gobject_class, PROP_LABELS,
      g_param_spec_string ("labels", "Labels",
          "Comma-separated labels, in class order (overrides labels-file "
          "and model-proc's labels)", NULL, rw));
  g_object_class_install_property (gobject_class, PROP_DEVICE,
      g_param_spec_string ("device", "Device",
          "Inference device: CPU, GPU, GPU.1, NPU, AUTO (all present, NPU "
          "then GPU then CPU), AUTO:GPU,CPU or gpu,cpu (a priority list: "
          "starts on the CPU, moves to the first device once compiled, "
          "spreads requests by speed; a failing device is dropped), "
          "MULTI:... (as AUTO). HETERO is not supported",
          DEFAULT_DEVICE, rw));
  g_object_class_install_property (gobject_class, PROP_THRESHOLD,
      g_param_spec_double ("threshold", "Threshold",
          "Results with a lower confidence are dropped", 0.0, 1.0,
          DEFAULT_THRESHOLD, rw));
  g_object_class_install_property (gobject_class, PROP_NIREQ,
      g_param_spec_uint ("nireq", "Inference requests",
          "Inferences in flight (0: as many as the device runs at once)",
          0, 1024, DEFAULT_NIREQ, rw));
  g_object_class_install_property (gobject_class, PROP_BATCH_SIZE,
      g_param_spec_uint ("batch-size", "Batch size",
          "Frames (or regions, with roi-list) per inference: they wait until "
          "the batch is full, or for an event. The model's batch dimension "
          "must be dynamic or this size (0: the device's choice, which is 1)",
          0, 1024,
          DEFAULT_BATCH_SIZE, rw));
  g_object_class_install_property (gobject_class, PROP_INFERENCE_INTERVAL,
      g_param_spec_uint ("inference-interval", "Inference interval",
          "Infer every Nth frame; the others pass through without results",
          1, G_MAXUINT, DEFAULT_INFERENCE_INTERVAL, rw));
  g_object_class_install_property (gobject_class, PROP_INFERENCE_REGION,
      g_param_spec_enum ("inference-region", "Inference region",
          "The whole frame, or each region of interest on it",
          gst_ov_inference_region_get_type (), GST_OV_REGION_FULL_FRAME, rw));
  g_object_class_install_property (gobject_class, PROP_OBJECT_CLASS,
      g_param_spec_string ("object-class", "Object class",
          "Comma-separated labels of the regions to infer on (roi-list); "
          "empty: all", NULL, rw));
  g_object_class_install_property (gobject_class, PROP_MODEL_INSTANCE_ID,
      g_param_spec_string ("model-instance-id", "Model instance id",
          "Elements with the same id share one compiled model and its "
          "requests", NULL, rw));
  g_object_class_install_property (gobject_class, PROP_IE_CONFIG,
      g_param_spec_string ("ie-config", "Inference engine config",
          "Comma-separated KEY=VALUE OpenVINO properties: PERFORMANCE_HINT "
          "(LATENCY, THROUGHPUT, CUMULATIVE_THROUGHPUT), NUM_STREAMS, "
          "INFERENCE_NUM_THREADS, INFERENCE_PRECISION_HINT (f32, f16, bf16; "
          "every device here computes in f32), ENABLE_CPU_PINNING, "
          "PERFORMANCE_HINT_NUM_REQUESTS, and the older "
          "CPU_THROUGHPUT_STREAMS, GPU_THROUGHPUT_STREAMS, CPU_THREADS_NUM, "
          "CPU_BIND_THREAD. Other keys are ignored with a warning",
          "", rw));
  g_object_class_install_property (gobject_class,
      PROP_CPU_THROUGHPUT_STREAMS,
      g_param_spec_uint ("cpu-throughput-streams", "CPU throughput streams",
          "Deprecated: use ie-config=CPU_THROUGHPUT_STREAMS=N. Streams on "
          "the CPU (0: from the hint)", 0, G_MAXUINT, 0,
          rw | G_PARAM_DEPRECATED));
  g_object_class_install_property (gobject_class,
      PROP_GPU_THROUGHPUT_STREAMS,
      g_param_spec_uint ("gpu-throughput-streams", "GPU throughput streams",
          "Deprecated: use ie-config=GPU_THROUGHPUT_STREAMS=N. Streams on "
          "a GPU (0: from the hint)", 0, G_MAXUINT, 0,
          rw | G_PARAM_DEPRECATED));
  g_object_class_install_property (gobject_class, PROP_PRE_PROCESS_BACKEND,
      g_param_spec_string ("pre-process-backend", "Pre-processing backend",
          "Where frames come from and are pre-processed: '' (any memory; on "
          "the device when it can, a GPU, else the CPU), 'ie' (system "
          "memory, as ''), 'opencv' (system memory, on the CPU), 'va' or "
          "'vaapi' (VA or DMA-BUF memory, as ''), 'va-surface-sharing' or "
          "'vaapi-surface-sharing' (VA or DMA-BUF memory, on the device: "
          "needs a GPU). VA surfaces are read through the driver's mapping",
          "", rw));
  g_object_class_install_property (gobject_class, PROP_PRE_PROCESS_CONFIG,
      g_param_spec_string ("pre-process-config", "Pre-processing config",
          "Comma-separated KEY=VALUE overriding the pre-processing of "
          "model-proc or of the model's model_info: resize_type (standard, "
          "fit_to_window, fit_to_window_letterbox, crop), "
          "reverse_input_channels, color_space, mean_values, scale_values, "
          "pad_value; VAAPI_FAST_SCALE_LOAD_FACTOR and VAAPI_THREAD_POOL_SIZE "
          "are accepted and change nothing (no VA scaling here)", "", rw));
  g_object_class_install_property (gobject_class, PROP_SCALE_METHOD,
      g_param_spec_string ("scale-method", "Scale method",
          "DL Streamer's scaler choice: default, or fast (its VA scaler, not "
          "used here: every frame is sampled bilinearly in the one "
          "pre-processing pass, so fast changes nothing)", NULL, rw));
  g_object_class_install_property (gobject_class, PROP_NO_BLOCK,
      g_param_spec_boolean ("no-block", "No block",
          "Keep up with live sources: a frame arriving while every "
          "request is busy passes without inference instead of waiting",
          FALSE, rw));
  g_object_class_install_property (gobject_class, PROP_RESHAPE,
      g_param_spec_boolean ("reshape", "Reshape",
          "Give the model's image input the frames' size, so frames are not "
          "resized (recompiled when the caps change size); a fully "
          "convolutional model is needed", FALSE, rw));
  g_object_class_install_property (gobject_class, PROP_RESHAPE_WIDTH,
      g_param_spec_uint ("reshape-width", "Reshape width",
          "Give the model's image input this width (0: its own); implies "
          "reshape", 0, 65536, 0, rw));
  g_object_class_install_property (gobject_class, PROP_RESHAPE_HEIGHT,
      g_param_spec_uint ("reshape-height", "Reshape height",
          "Give the model's image input this height (0: its own); implies "
          "reshape", 0, 65536, 0, rw));
  g_object_class_install_property (gobject_class, PROP_QOS,
      g_param_spec_boolean ("qos", "QoS",
          "Handle Quality-of-Service events: frames downstream reports as "
          "late already are dropped before inference, with a QoS message",
          FALSE, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_type_mark_as_plugin_api (GST_TYPE_OV_BASE_INFERENCE, 0);
  gst_type_mark_as_plugin_api (gst_ov_inference_region_get_type (), 0);
}

static void
gst_ov_base_inference_init (GstOvBaseInference *self)
{
  GstOvBaseInferencePrivate *p = PRIV (self);
  GstElementClass *eclass = GST_ELEMENT_GET_CLASS (self);

  p->s.device = g_strdup (DEFAULT_DEVICE);
  p->s.ie_config = g_strdup ("");
  p->s.pre_process_backend = g_strdup ("");
  p->s.pre_process_config = g_strdup ("");
  p->s.threshold = DEFAULT_THRESHOLD;
  p->s.nireq = DEFAULT_NIREQ;
  p->s.batch_size = DEFAULT_BATCH_SIZE;
  p->s.inference_interval = DEFAULT_INFERENCE_INTERVAL;
  p->s.inference_region = GST_OV_REGION_FULL_FRAME;
  g_mutex_init (&p->lock);
  g_cond_init (&p->cond);
  gst_ov_batch_init (&p->batch);
  g_queue_init (&p->queue);
  p->srcresult = GST_FLOW_FLUSHING;
  p->flushing = TRUE;

  p->sinkpad = gst_pad_new_from_template (
      gst_element_class_get_pad_template (eclass, "sink"), "sink");
  gst_pad_set_chain_function (p->sinkpad, chain);
  gst_pad_set_event_function (p->sinkpad, sink_event);
  gst_pad_set_query_function (p->sinkpad, sink_query);
  GST_PAD_SET_PROXY_CAPS (p->sinkpad);
  GST_PAD_SET_PROXY_ALLOCATION (p->sinkpad);
  gst_element_add_pad (GST_ELEMENT (self), p->sinkpad);

  p->srcpad = gst_pad_new_from_template (
      gst_element_class_get_pad_template (eclass, "src"), "src");
  gst_pad_set_activatemode_function (p->srcpad, src_activate_mode);
  gst_pad_set_query_function (p->srcpad, src_query);
  gst_pad_set_event_function (p->srcpad, src_event);
  GST_PAD_SET_PROXY_CAPS (p->srcpad);
  gst_element_add_pad (GST_ELEMENT (self), p->srcpad);
}
