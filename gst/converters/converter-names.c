/* Converter names as model-proc writes them, and recognizing a detection
 * head from its output shapes when there is no model-proc. */
#include "ovconverter.h"

#include <string.h>

static const struct {
  const char *name;
  OvConverterKind kind;
} names[] = {
  { "detection_output", OV_CONVERTER_DETECTION_OUTPUT },
  { "boxes_labels", OV_CONVERTER_BOXES_LABELS },
  { "boxes_scores", OV_CONVERTER_BOXES_SCORES },
  { "yolo_v5", OV_CONVERTER_YOLO_V5 },
  { "yolo_v7", OV_CONVERTER_YOLO_V5 },
  { "yolo_v8", OV_CONVERTER_YOLO_V8 },
  { "yolo_v11", OV_CONVERTER_YOLO_V8 },
  { "yolo_v10", OV_CONVERTER_YOLO_V10 },
  { "yolo_v8_seg", OV_CONVERTER_YOLO_V8_SEG },
  { "yolo_v11_seg", OV_CONVERTER_YOLO_V8_SEG },
  { "label", OV_CONVERTER_LABEL },
  { "text", OV_CONVERTER_TEXT },
  { "semantic_mask", OV_CONVERTER_SEMANTIC_MASK },
  /* DL Streamer writes it as `"format": "landmark_points"`; both work. */
  { "landmark_points", OV_CONVERTER_LANDMARK_POINTS },
  /* Names DL Streamer still maps to the current ones. */
  { "tensor_to_bbox_ssd", OV_CONVERTER_DETECTION_OUTPUT },
  { "tensor_to_label", OV_CONVERTER_LABEL },
  { "tensor_to_text", OV_CONVERTER_TEXT },
  { "YOLOv8", OV_CONVERTER_YOLO_V8 },
  { "YOLOv8-SEG", OV_CONVERTER_YOLO_V8_SEG },
  { "raw_data_copy", OV_CONVERTER_RAW },
};

OvConverterKind
ov_converter_from_name (const char *name)
{
  for (gsize i = 0; name && i < G_N_ELEMENTS (names); i++)
    if (strcmp (names[i].name, name) == 0)
      return names[i].kind;
  return OV_CONVERTER_NONE;
}

const char *
ov_converter_name (OvConverterKind kind)
{
  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    if (names[i].kind == kind)
      return names[i].name;
  return "none";
}

/* Dimensions with leading ones dropped. */
static int
squeeze (const OviTensorView *t, int64_t *dims)
{
  int n = 0, d = 0;
  while (d < t->rank - 1 && t->dims[d] == 1)
    d++;
  for (; d < t->rank; d++)
    dims[n++] = t->dims[d];
  return n;
}

/* Two or more [1, A*(5+C), H, W] or [1, A, H, W, 5+C] outputs alike but
 * for their grid size: raw YOLO heads (decoding them needs anchors). */
static gboolean
raw_grids (const OviTensorView *outputs, int n_outputs)
{
  const OviTensorView *a = &outputs[0];
  if (a->rank != 4 && a->rank != 5)
    return FALSE;
  for (int i = 0; i < n_outputs; i++) {
    const OviTensorView *t = &outputs[i];
    if (t->rank != a->rank || t->dims[0] != 1 || t->dims[1] != a->dims[1]
        || (t->rank == 4 && t->dims[1] < 6)
        || (t->rank == 5 && (t->dims[4] < 6 || t->dims[4] != a->dims[4]))
        || (i > 0 && t->dims[2] == outputs[i - 1].dims[2]))
      return FALSE;
  }
  return TRUE;
}

OvConverterKind
ov_converter_guess_detection (const OviTensorView *outputs, int n_outputs)
{
  int64_t d[OVI_MAX_RANK];
  int r;
  OvYoloSegLayout seg;

  if (n_outputs < 1)
    return OV_CONVERTER_NONE;
  /* Before the others: its boxes alone would pass for plain YOLOv8 with
   * the mask coefficients taken as classes. */
  if (ov_yolo_seg_layout (outputs, n_outputs, &seg, NULL))
    return OV_CONVERTER_YOLO_V8_SEG;
  if (n_outputs >= 2) {
    int64_t d2[OVI_MAX_RANK];
    int r2 = squeeze (&outputs[1], d2);
    r = squeeze (&outputs[0], d);
    if (r == 2 && d[1] == 5 && r2 == 1 && d2[0] == d[0])
      return OV_CONVERTER_BOXES_LABELS;
    /* DL Streamer's default order picks boxes_scores for boxes with a
     * confidence column; boxes [N, 4] may be anchor encodings, which need
     * model-proc's anchor parameters. */
    if (r == 2 && d[1] == 5 && r2 == 2 && d2[0] == d[0])
      return OV_CONVERTER_BOXES_SCORES;
    if (raw_grids (outputs, n_outputs))
      return OV_CONVERTER_YOLO_V5;
  }
  if (outputs[0].rank == 4 && outputs[0].dims[3] == 7)
    return OV_CONVERTER_DETECTION_OUTPUT;
  r = squeeze (&outputs[0], d);
  if (r != 2)
    return OV_CONVERTER_NONE;
  if (d[1] == 6 && d[0] <= 1000)
    return OV_CONVERTER_YOLO_V10;
  /* Anchor-free heads put the 4 + C channels first and have many more
   * candidates than channels; v5 puts 5 + C last. */
  if (d[0] > 4 && d[1] > d[0])
    return OV_CONVERTER_YOLO_V8;
  if (d[1] > 5 && d[0] > d[1])
    return OV_CONVERTER_YOLO_V5;
  return OV_CONVERTER_NONE;
}

OvConverterKind
ov_converter_guess_segmentation (const OviTensorView *outputs, int n_outputs,
    int index)
{
  OvYoloSegLayout seg;
  OvSemanticShape shape;
  if (ov_yolo_seg_layout (outputs, n_outputs, &seg, NULL))
    return OV_CONVERTER_YOLO_V8_SEG;
  if (index >= 0 && index < n_outputs
      && ov_semantic_shape (&outputs[index], &shape, NULL))
    return OV_CONVERTER_SEMANTIC_MASK;
  return OV_CONVERTER_NONE;
}
