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
  OV_CONVERTER_BOXES_SCORES,      /* boxes [N,4|5] + scores [N,C], SSD anchors */
  OV_CONVERTER_YOLO_V5,           /* [1,N,5+C] decoded, or raw grids (v5, v7) */
  OV_CONVERTER_YOLO_V8,           /* [1,4+C,N] anchor-free (v8, v11) */
  OV_CONVERTER_YOLO_V10,          /* [1,N,6] NMS-free */
  OV_CONVERTER_LABEL,             /* [1,C]: top-1 class */
  OV_CONVERTER_TEXT,              /* a value as text (e.g. age = x * 100) */
  OV_CONVERTER_RAW,               /* the tensor itself */
  OV_CONVERTER_SEMANTIC_MASK,     /* [1,C,H,W] scores or [1,H,W] classes */
  OV_CONVERTER_YOLO_V8_SEG,       /* [1,4+C+M,N] + prototypes [1,M,MH,MW] (v8, v11) */
  OV_CONVERTER_LANDMARK_POINTS,   /* [1,2N]: (x, y) pairs, normalized to the input */
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

typedef enum {
  OV_SCORE_NONE,          /* scores are probabilities already */
  OV_SCORE_SIGMOID,       /* independent logits */
  OV_SCORE_SOFTMAX,       /* logits of one distribution over the classes */
} OvScoreActivation;

/* Anchor generation of the TF object detection API's SSD models
 * (ssd_anchor_generator: a grid of boxes per feature map). */
#define OV_SSD_MAX_LAYERS 16
#define OV_SSD_MAX_ASPECT_RATIOS 16
typedef struct {
  int num_layers;
  double min_scale, max_scale;
  double aspect_ratios[OV_SSD_MAX_ASPECT_RATIOS];
  int n_aspect_ratios;
  /* Cells per layer: given, or input size / stride rounded up. */
  int feature_map_h[OV_SSD_MAX_LAYERS], feature_map_w[OV_SSD_MAX_LAYERS];
  int n_feature_maps;
  int strides[OV_SSD_MAX_LAYERS];
  int n_strides;
  gboolean reduce_boxes_in_lowest_layer;
  double interpolated_scale_aspect_ratio;   /* 0 or less: no extra box */
  /* Older TF graphs (face-api.js's ssd_mobilenetv1) put the interpolated
   * box right after aspect ratio 1 instead of last. */
  gboolean interpolated_after_unit_ratio;
  double base_anchor_height, base_anchor_width;
} OvSsdAnchorSpec;

/* TF's defaults: 6 layers, scales 0.2..0.95, aspect ratios 1, 2, 0.5, 3,
 * 0.3333, reduced lowest layer, interpolated box of aspect ratio 1. */
void ov_ssd_anchor_spec_init (OvSsdAnchorSpec *spec);

/* Appends the anchors, 4 floats [cy, cx, h, w] each, normalized to the
 * input, in the order the box predictor emits them (layer, row, column,
 * box). FALSE with an error for an inconsistent spec. */
gboolean ov_ssd_anchors_generate (const OvSsdAnchorSpec *spec,
    int input_width, int input_height, GArray *anchors, GError **error);

/* boxes_scores: box encodings [.., N, 4] with anchors, or boxes
 * [.., N, 4|5] (normalized x, y, w, h and an optional confidence, as DL
 * Streamer reads them) without; class scores [.., N, C]. */
typedef struct {
  const float *anchors;       /* N x [cy, cx, h, w] normalized, or NULL */
  int n_anchors;
  float box_scale[4];         /* y, x, h, w (TF's box coder: 10, 10, 5, 5) */
  gboolean box_xywh;          /* encodings ordered tx, ty, tw, th */
  OvScoreActivation activation;
  int background_label_id;    /* a score column never reported; -1: none */
  int classes;                /* score columns used (the first ones); 0: all */
} OvBoxesScoresParams;

void ov_boxes_scores_params_init (OvBoxesScoresParams *p);

/* yolo_v5 / yolo_v7 raw grids: outputs [1, A*(5+C), H, W] or
 * [1, A, H, W, 5+C], one per stride. */
typedef struct {
  const float *anchors;       /* pairs (w, h) in input pixels */
  int n_anchors;              /* pairs */
  const int *masks;           /* anchor indices, smallest grid first; NULL:
                               * consecutive, largest grid first */
  int n_masks;
  int classes;                /* 0: from the shapes */
  int cells_x, cells_y;       /* the smallest grid; 0: not checked */
  int boxes_per_cell;         /* 0: anchors / outputs */
  gboolean sigmoid;           /* outputs are logits (output_sigmoid_activation) */
  OvScoreActivation class_activation;
} OvYoloGridParams;

typedef struct {
  float threshold;        /* confidence below it is dropped */
  float iou_threshold;    /* NMS; 0 or less: no NMS */
  int input_width, input_height;
  const OvBoxesScoresParams *boxes_scores;  /* NULL: defaults */
  const OvYoloGridParams *yolo_grid;        /* needed for raw YOLO grids */
  /* A batch's DetectionOutput: only the rows of image `image_id`. */
  gboolean by_image;
  int image_id;
} OvDetectParams;

/* Appends detections (OvDetection) decoded from the outputs. FALSE with
 * an error when the tensors do not fit the converter. */
gboolean ov_converter_detect (OvConverterKind kind,
    const OviTensorView *outputs, int n_outputs, const OvDetectParams *p,
    GArray *detections, GError **error);

/* Checks that the output shapes fit the converter and its parameters
 * (before the first inference; data is not read). Dimensions not known
 * yet (-1) are not checked. */
gboolean ov_converter_check_detect (OvConverterKind kind,
    const OviTensorView *outputs, int n_outputs, const OvDetectParams *p,
    GError **error);

/* Decoders behind ov_converter_detect (each in its own file). */
gboolean ov_converter_boxes_scores (const OviTensorView *outputs,
    int n_outputs, const OvDetectParams *p, gboolean check_only,
    GArray *detections, GError **error);
gboolean ov_converter_yolo_grid (const OviTensorView *outputs, int n_outputs,
    const OvDetectParams *p, gboolean check_only, GArray *detections,
    GError **error);
/* Whether outputs are raw YOLO grids rather than one decoded [1, N, K]. */
gboolean ov_converter_is_yolo_grid (const OviTensorView *outputs,
    int n_outputs);

/* Appends a finite, non-empty box (shared by the decoders); `index` is
 * the candidate's row in the head's output (YOLOv8-seg finds its mask
 * coefficients there after NMS). */
void ov_detection_append (GArray *detections, float x_min, float y_min,
    float x_max, float y_max, float confidence, int label_id, gsize index);

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
