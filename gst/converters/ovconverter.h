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
  OV_CONVERTER_YOLO_V8_SEG,       /* [1,4+C+M,N] + prototypes [1,M,MH,MW] (v8, v11) */
} OvConverterKind;

OvConverterKind ov_converter_from_name (const char *name);
const char *ov_converter_name (OvConverterKind kind);

/* A detection in model-input pixels. */
typedef struct {
  float x_min, y_min, x_max, y_max;
  float confidence;
  int label_id;
  /* The candidate's position in the output, for heads that carry more per
   * candidate than the box (YOLOv8-seg's mask coefficients). */
  int index;
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
 * none fits); YOLOv8-seg heads are recognized too. */
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

/* ---- segmentation (segment.c) ----------------------------------------- */

/* A semantic segmentation output: per-class scores [1, C, H, W] (C == 1:
 * one foreground score), or class ids [1, H, W] of any number type, or
 * integer [1, 1, H, W]. */
typedef struct {
  int n_classes;          /* scores: C; class ids: 0 */
  int height, width;
} OvSemanticShape;

gboolean ov_semantic_shape (const OviTensorView *t, OvSemanticShape *shape,
    GError **error);

/* Guesses a segmentation converter from output shapes: YOLOv8-seg, else
 * semantic_mask for a [1, C, H, W] / [1, H, W] output at `index`. */
OvConverterKind ov_converter_guess_segmentation (const OviTensorView *outputs,
    int n_outputs, int index);

/* One axis of a resampling: destination pixel i reads source pixel
 * floor(offset + (i + 0.5) * step), clamped to the source. */
typedef struct {
  double offset, step;
} OvAxisMap;

/* The class of each output pixel at the output's resolution (height *
 * width ids): the top score, or for one class 1 where the foreground
 * probability reaches `threshold` (the score itself for OV_LABEL_MAX, its
 * sigmoid otherwise), or the ids as given. *max_id: the largest id. */
gint32 *ov_semantic_classes (const OviTensorView *t, const OvSemanticShape *s,
    OvLabelMethod method, float threshold, gint32 *max_id);

/* Nearest-neighbour resampling of class ids to w x h: bytes (wide FALSE,
 * ids must be 0..255) or gint32. */
void ov_semantic_resample (const gint32 *ids, const OvSemanticShape *s,
    const OvAxisMap *mx, const OvAxisMap *my, int w, int h, gboolean wide,
    void *dst);

/* Per-class probabilities [C, h, w] resampled like the classes: scores as
 * they are (OV_LABEL_MAX), softmax over the classes or sigmoid each.
 * FALSE for class-id outputs, which have none. */
gboolean ov_semantic_probabilities (const OviTensorView *t,
    const OvSemanticShape *s, OvLabelMethod method, const OvAxisMap *mx,
    const OvAxisMap *my, int w, int h, float *dst);

/* YOLOv8/v11-seg outputs: which is which, recognized by rank. */
typedef struct {
  int boxes, protos;              /* output positions */
  int n_classes, n_coeffs;        /* C and M */
  gsize n_candidates;             /* N */
  gboolean channels_first;        /* [1, 4+C+M, N] as exported, else [1, N, ...] */
  int proto_height, proto_width;  /* MH, MW */
} OvYoloSegLayout;

/* Works on model output descriptions too (data is not read). */
gboolean ov_yolo_seg_layout (const OviTensorView *outputs, int n_outputs,
    OvYoloSegLayout *layout, GError **error);

/* The size a detection's mask is sampled at: the box (model-input pixels)
 * in prototype pixels, rounded up, at least 1 and at most the prototype. */
void ov_yolo_seg_mask_size (const OvYoloSegLayout *l, int input_width,
    int input_height, double x0, double y0, double x1, double y1, int *w,
    int *h);

/* The mask of candidate `index` over the box (x0, y0)-(x1, y1) in
 * model-input pixels: sigmoid (coefficients . prototypes), bilinear in
 * prototype space, w x h probabilities row by row. */
void ov_yolo_seg_mask (const OviTensorView *outputs, const OvYoloSegLayout *l,
    int index, int input_width, int input_height, double x0, double y0,
    double x1, double y1, int w, int h, float *mask);

G_END_DECLS

#endif
