/* Output converters: a model's output tensors to detections, attributes
 * or masks. Named as DL Streamer's model-proc names them (`converter`),
 * or recognized from the output shapes when no model-proc says. Pure
 * functions of the tensors: no GStreamer types, unit-testable alone. */
#ifndef OV_CONVERTER_H
#define OV_CONVERTER_H

#include <glib.h>
#include <ovi.h>

G_BEGIN_DECLS

typedef enum {
  OV_CONVERTER_NONE,
  OV_CONVERTER_DETECTION_OUTPUT,  /* SSD [1,1,N,7] */
  OV_CONVERTER_BOXES_LABELS,      /* boxes [N,5] + labels [N] */
  OV_CONVERTER_YOLO_V5,           /* [1,N,5+C] decoded, with objectness (v5, v7) */
  OV_CONVERTER_YOLO_V8,           /* [1,4+C,N] anchor-free (v8, v11) */
  OV_CONVERTER_YOLO_V10,          /* [1,N,6] NMS-free */
  OV_CONVERTER_LABEL,             /* [1,C]: top-1 class */
  OV_CONVERTER_TEXT,              /* a value as text (e.g. age = x * 100) */
  OV_CONVERTER_RAW,               /* the tensor itself */
  OV_CONVERTER_SEMANTIC_MASK,     /* [1,C,H,W] scores or [1,H,W] classes */
} OvConverterKind;

OvConverterKind ov_converter_from_name (const char *name);
const char *ov_converter_name (OvConverterKind kind);

/* A detection in model-input pixels. */
typedef struct {
  float x_min, y_min, x_max, y_max;
  float confidence;
  int label_id;
} OvDetection;

typedef struct {
  float threshold;        /* confidence below it is dropped */
  float iou_threshold;    /* NMS; 0 or less: no NMS */
  int input_width, input_height;
} OvDetectParams;

/* Appends detections (OvDetection) decoded from the outputs. FALSE with
 * an error when the tensors do not fit the converter. */
gboolean ov_converter_detect (OvConverterKind kind,
    const OviTensorView *outputs, int n_outputs, const OvDetectParams *p,
    GArray *detections, GError **error);

/* Guesses a detection converter from output shapes (OV_CONVERTER_NONE if
 * none fits). */
OvConverterKind ov_converter_guess_detection (const OviTensorView *outputs,
    int n_outputs);

/* Greedy NMS, per class unless class_agnostic: keeps the most confident
 * box of each overlapping group; sorts by confidence. */
void ov_nms (GArray *detections, float iou_threshold, gboolean class_agnostic);
float ov_iou (const OvDetection *a, const OvDetection *b);

typedef enum {
  OV_LABEL_MAX,           /* scores are probabilities already */
  OV_LABEL_SOFTMAX,       /* scores are logits */
  OV_LABEL_SIGMOID,       /* independent binary attributes */
} OvLabelMethod;

OvLabelMethod ov_label_method_from_name (const char *name);

/* Top-1 of a [1, C] (or [1, C, 1, 1]) float tensor. */
gboolean ov_converter_label (const OviTensorView *t, OvLabelMethod method,
    int *label_id, float *confidence, GError **error);

G_END_DECLS

#endif
