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
