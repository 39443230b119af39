/* The base class of ovdetect, ovclassify, ovsegment and ovinference: it
 * owns the model (shared per model-instance-id), the device, the
 * pre-processing and up to `nireq` inferences in flight. Frames leave in
 * the order they came, from a task on the source pad that collects each
 * frame's inferences as they complete; subclasses only decode outputs. */
#ifndef GST_OV_BASE_INFERENCE_H
#define GST_OV_BASE_INFERENCE_H

#include <gst/gst.h>
#include <gst/video/video.h>

#include "gstovmodelinstance.h"
#include "gstovmodelproc.h"
#include "gstovpreproc.h"

G_BEGIN_DECLS

#define GST_TYPE_OV_BASE_INFERENCE (gst_ov_base_inference_get_type ())
G_DECLARE_DERIVABLE_TYPE (GstOvBaseInference, gst_ov_base_inference, GST,
    OV_BASE_INFERENCE, GstElement)

typedef enum {
  GST_OV_REGION_FULL_FRAME,
  GST_OV_REGION_ROI_LIST,
} GstOvInferenceRegion;

/* One inference: a region of a frame and the request running it. */
typedef struct {
  GstOvSlot *slot;
  int batch_index;              /* its image in the slot's batch */
  GstVideoRectangle region;     /* frame pixels */
  /* The ROI inferred on (its meta lives as long as the frame, which the
   * element owns until it is pushed), NULL for the full frame. */
  GstVideoRegionOfInterestMeta *roi;
  GstOvPreprocTransform transform;
} GstOvJob;

struct _GstOvBaseInferenceClass {
  GstElementClass parent_class;

  /* TRUE for detectors: frames inferred on get gst_ov_buffer_mark_detected. */
  gboolean marks_detected_frames;

  /* Called once the model is loaded (streaming stopped): validates the
   * outputs and prepares decoding. */
  gboolean (*model_ready) (GstOvBaseInference *self, GError **error);

  /* TRUE to infer on this ROI; subclasses may instead attach results
   * they already have (reclassification by object id). */
  gboolean (*want_region) (GstOvBaseInference *self, GstBuffer *buffer,
      GstVideoRegionOfInterestMeta *roi);

  /* Turns a completed job's outputs into metadata on `buffer` (writable).
   * Runs on the source pad's task or the streaming thread, never both at
   * once for one buffer. FALSE with error stops the stream. */
  gboolean (*decode) (GstOvBaseInference *self, GstBuffer *buffer,
      const GstVideoInfo *info, const GstOvJob *job, GError **error);
};

/* For subclasses: the settings and what the model says. */
typedef struct {
  gchar *model;
  gchar *model_proc;
  gchar *labels_file;
  gchar *labels;
  gchar *device;                /* DL Streamer's strings (gstovdevice.h) */
  gdouble threshold;
  guint nireq;
  guint batch_size;
  guint inference_interval;
  GstOvInferenceRegion inference_region;
  gchar *object_class;
  gchar *model_instance_id;
  gchar *ie_config;             /* OpenVINO KEY=VALUE,... (ovi.h) */
  guint cpu_throughput_streams; /* deprecated in DL Streamer, as here */
  guint gpu_throughput_streams;
  gchar *pre_process_backend;   /* gstovbackend.h */
  gchar *pre_process_config;    /* gstovmodelinfo.h */
  gchar *scale_method;          /* "", "default" or "fast" */
  gboolean no_block;            /* skip frames while every request runs */
  gboolean qos;                 /* drop frames downstream reports late */
  gboolean reshape;             /* the input takes the frames' size */
  guint reshape_width, reshape_height;  /* ... or this one (0: keep) */
} GstOvInferenceSettings;

const GstOvInferenceSettings *gst_ov_base_inference_get_settings (
    GstOvBaseInference *self);
OviModel *gst_ov_base_inference_get_model (GstOvBaseInference *self);
/* NULL without a model-proc file. */
const GstOvModelProc *gst_ov_base_inference_get_model_proc (
    GstOvBaseInference *self);
/* Labels from model-proc's first post-processing entry or labels-file. */
const gchar *gst_ov_base_inference_get_label (GstOvBaseInference *self,
    const gchar *const *labels, int label_id);
const gchar *const *gst_ov_base_inference_get_labels (GstOvBaseInference *self);
/* The model file's base name without extension: results' model_name. */
const gchar *gst_ov_base_inference_get_model_name (GstOvBaseInference *self);
const GstOvPreprocParams *gst_ov_base_inference_get_preproc (
    GstOvBaseInference *self);

/* The device that ran the job's inference ("CPU", "GPU.0"). */
const gchar *gst_ov_job_get_device (const GstOvJob *job);

/* The job's part of its request's output `index`: with batch-size > 1,
 * its image's slice of the batch (outputs whose first dimension is not
 * the batch are an error, except DetectionOutput's [1, 1, N, 7], which
 * stays whole: its rows name their image). FALSE with `error` set. */
gboolean gst_ov_job_get_output (const GstOvJob *job, int index,
    const char **name, OviTensorView *view, GError **error);
/* The first `max` of them (*n set). */
gboolean gst_ov_job_get_outputs (const GstOvJob *job, OviTensorView *views,
    const char **names, int max, int *n, GError **error);
int gst_ov_job_get_n_outputs (const GstOvJob *job);
/* FALSE for an output that gst_ov_job_get_output leaves whole for the
 * whole batch (a DetectionOutput listing every image's rows). */
gboolean gst_ov_job_output_is_per_image (const GstOvJob *job, int index);

/* For subclasses' init: a different default region (ovclassify). */
void gst_ov_base_inference_set_region (GstOvBaseInference *self,
    GstOvInferenceRegion region);

/* Attaches a result structure (taken) to the job's ROI, or to the frame
 * as a GstOvTensorMeta for full-frame jobs, with the job's `device` set
 * on it. Returns the ROI or NULL. */
GstVideoRegionOfInterestMeta *gst_ov_job_attach (const GstOvJob *job,
    GstBuffer *buffer, GstStructure *result);

GType gst_ov_inference_region_get_type (void);

G_END_DECLS

#endif
