/* DL Streamer's model-proc JSON (schema 2.x): the input pre-processing
 * and output post-processing a model needs. Only the parts the
 * converters use; unknown keys are ignored as DL Streamer does. */
#ifndef GST_OV_MODEL_PROC_H
#define GST_OV_MODEL_PROC_H

#include "gstovpreproc.h"
#include "converters/ovconverter.h"

G_BEGIN_DECLS

/* Parameters of the anchor-based detection heads (boxes_scores, raw YOLO
 * grids) as model-proc gives them; ovdetect turns them into the
 * converters' parameters once the model's shapes are known. */
typedef struct {
  GArray *anchors;              /* floats as given (flattened), or NULL */
  GArray *masks;                /* ints, or NULL */
  gboolean has_generator;       /* SSD anchor generator keys were given */
  OvSsdAnchorSpec generator;
  float box_scale[4];           /* y, x, h, w */
  gboolean box_xywh;
  gboolean has_activation;      /* score_activation or do_cls_softmax */
  OvScoreActivation activation;
  int background_label_id;      /* -1: none */
  int classes;                  /* 0: not set */
  int cells_x, cells_y, bbox_number_on_cell;    /* 0: not set */
  gboolean output_sigmoid_activation;
} GstOvDetectPostproc;

typedef struct {
  char *layer_name;         /* NULL: the model's first (or only) output */
  char *attribute_name;     /* classification attribute; NULL: layer name */
  OvConverterKind converter;
  char **labels;            /* NULL-terminated, or NULL */
  OvLabelMethod method;
  double threshold;         /* < 0: not set */
  double iou_threshold;     /* < 0: not set */
  double text_scale;        /* text converter: value * scale ... */
  int text_precision;       /* ... printed with this many decimals */
  GstOvDetectPostproc detect;
} GstOvPostproc;

/* Which rectangle of a region a classifier crops (our key `alignment`). */
typedef enum {
  GST_OV_ALIGN_NONE,            /* the region's box */
  GST_OV_ALIGN_LANDMARKS_BOX,   /* the box around the region's landmark
                                 * points, grown by `alignment_padding` of
                                 * its size (face-api.js's align()) */
  GST_OV_ALIGN_EYES_MOUTH,      /* 68 landmarks: a square sized by the eye
                                 * to mouth distance (face-api.js's dlib
                                 * alignment, for its recognizer) */
} GstOvAlignment;

typedef struct {
  gboolean has_resize, has_color, has_range, has_mean, has_std;
  GstOvResizeMode resize;
  GstOvLetterboxAnchor anchor;
  GstOvSampling sampling;
  GstOvAlignment alignment;
  double alignment_padding;
  GstOvColorSpace color;
  double range[2], mean[3], std[3];
  gboolean has_pad_value;
  guint8 pad_value;         /* aspect-ratio's border (model_info pad_value) */
  GPtrArray *postprocs;     /* GstOvPostproc */
} GstOvModelProc;

/* Empty: nothing set, no entries. */
GstOvModelProc *gst_ov_model_proc_new (void);
/* Appends an output entry with nothing set (thresholds unset, text scale
 * 1, the detection defaults) and returns it. */
GstOvPostproc *gst_ov_model_proc_add_postproc (GstOvModelProc *mp);

GstOvModelProc *gst_ov_model_proc_load (const char *path, GError **error);
GstOvModelProc *gst_ov_model_proc_parse (const char *json, gssize length,
    const char *path_for_errors, GError **error);
void gst_ov_model_proc_free (GstOvModelProc *mp);

/* One label per line, surrounding white space trimmed. */
char **gst_ov_read_labels_file (const char *path, GError **error);

/* Applies the input pre-processing to params (those keys set only). */
void gst_ov_model_proc_apply (const GstOvModelProc *mp,
    GstOvPreprocParams *params);

G_END_DECLS

#endif
