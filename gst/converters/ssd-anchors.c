/* SSD anchors as the TF object detection API's ssd_anchor_generator lays
 * them out: layer k (of n) has the scale s_k = min + (max - min) k / (n - 1)
 * (s_n = 1), one box per aspect ratio a with height s_k / sqrt(a) and
 * width s_k * sqrt(a), plus one of aspect ratio `interpolated` at scale
 * sqrt(s_k s_k+1); the lowest layer may instead have only (0.1, 1),
 * (s_0, 2), (s_0, 0.5). Boxes sit at the centers of the layer's cells. */
#include "ovconverter.h"

#include <math.h>

void
ov_ssd_anchor_spec_init (OvSsdAnchorSpec *spec)
{
  static const double ratios[] = { 1.0, 2.0, 0.5, 3.0, 0.3333 };
  *spec = (OvSsdAnchorSpec) { 0 };
  spec->num_layers = 6;
  spec->min_scale = 0.2;
  spec->max_scale = 0.95;
  for (gsize i = 0; i < G_N_ELEMENTS (ratios); i++)
    spec->aspect_ratios[i] = ratios[i];
  spec->n_aspect_ratios = G_N_ELEMENTS (ratios);
  spec->reduce_boxes_in_lowest_layer = TRUE;
  spec->interpolated_scale_aspect_ratio = 1.0;
  spec->base_anchor_height = 1.0;
  spec->base_anchor_width = 1.0;
}

static gboolean
invalid (GError **error, const char *what)
{
  g_set_error (error, OVI_ERROR, OVI_ERROR_INVALID, "SSD anchors: %s", what);
  return FALSE;
}

static double
layer_scale (const OvSsdAnchorSpec *s, int k)
{
  if (k >= s->num_layers)
    return 1.0;
  if (s->num_layers == 1)
    return s->min_scale;
  return s->min_scale + (s->max_scale - s->min_scale) * k
      / (s->num_layers - 1);
}

typedef struct {
  double scale, ratio;
} BoxSpec;

/* The (scale, aspect ratio) pairs of one layer, in output order. */
static int
layer_boxes (const OvSsdAnchorSpec *s, int k, BoxSpec *box)
{
  double scale = layer_scale (s, k);
  double interpolated = sqrt (scale * layer_scale (s, k + 1));
  int n = 0;
  gboolean have_interpolated = s->interpolated_scale_aspect_ratio > 0.0;

  if (k == 0 && s->reduce_boxes_in_lowest_layer) {
    box[n++] = (BoxSpec) { 0.1, 1.0 };
    box[n++] = (BoxSpec) { scale, 2.0 };
    box[n++] = (BoxSpec) { scale, 0.5 };
    return n;
  }
  for (int i = 0; i < s->n_aspect_ratios; i++) {
    box[n++] = (BoxSpec) { scale, s->aspect_ratios[i] };
    if (have_interpolated && s->interpolated_after_unit_ratio
        && s->aspect_ratios[i] == 1.0) {
      box[n++] = (BoxSpec) { interpolated, s->interpolated_scale_aspect_ratio };
      have_interpolated = FALSE;
    }
  }
  if (have_interpolated)
    box[n++] = (BoxSpec) { interpolated, s->interpolated_scale_aspect_ratio };
  return n;
}

gboolean
ov_ssd_anchors_generate (const OvSsdAnchorSpec *s, int input_width,
    int input_height, GArray *anchors, GError **error)
{
  BoxSpec box[OV_SSD_MAX_ASPECT_RATIOS + 1];
  /* Non-square inputs: TF keeps anchors square in pixels by scaling the
   * base size with min(h, w) / h and min(h, w) / w. */
  double short_side = MIN (input_width, input_height);

  if (input_width <= 0 || input_height <= 0)
    return invalid (error, "unknown input size");
  if (s->num_layers < 1 || s->num_layers > OV_SSD_MAX_LAYERS)
    return invalid (error, "num_layers must be 1 to 16");
  if (s->n_feature_maps > 0 && s->n_strides > 0)
    return invalid (error, "give feature_map_shapes or strides, not both");
  if (s->n_feature_maps != s->num_layers && s->n_strides != s->num_layers)
    return invalid (error, "feature_map_shapes (or strides) must have one "
        "entry per layer (num_layers)");
  if (!(s->min_scale > 0.0 && s->max_scale >= s->min_scale))
    return invalid (error, "need 0 < min_scale <= max_scale");
  if (s->n_aspect_ratios < 1 || s->n_aspect_ratios > OV_SSD_MAX_ASPECT_RATIOS)
    return invalid (error, "aspect_ratios must have 1 to 16 values");
  for (int i = 0; i < s->n_aspect_ratios; i++)
    if (!(s->aspect_ratios[i] > 0.0))
      return invalid (error, "aspect ratios must be positive");
  if (!(s->base_anchor_height > 0.0 && s->base_anchor_width > 0.0))
    return invalid (error, "base anchor size must be positive");

  /* Checked before anything is appended: no partial result on error. */
  for (int k = 0; k < s->num_layers; k++) {
    if (s->n_strides > 0 && (s->strides[k] <= 0 || s->strides[k] > 65536))
      return invalid (error, "strides must be 1 to 65536");
    if (s->n_strides == 0 && (s->feature_map_h[k] <= 0
            || s->feature_map_w[k] <= 0 || s->feature_map_h[k] > 4096
            || s->feature_map_w[k] > 4096))
      return invalid (error, "feature map sizes must be 1 to 4096");
  }
  for (int k = 0; k < s->num_layers; k++) {
    int n_boxes = layer_boxes (s, k, box);
    int rows, cols;
    double step_y, step_x;
    if (s->n_strides > 0) {
      rows = (input_height + s->strides[k] - 1) / s->strides[k];
      cols = (input_width + s->strides[k] - 1) / s->strides[k];
      step_y = (double) s->strides[k] / input_height;
      step_x = (double) s->strides[k] / input_width;
    } else {
      rows = s->feature_map_h[k];
      cols = s->feature_map_w[k];
      step_y = 1.0 / rows;
      step_x = 1.0 / cols;
    }
    for (int y = 0; y < rows; y++) {
      for (int x = 0; x < cols; x++) {
        for (int b = 0; b < n_boxes; b++) {
          double r = sqrt (box[b].ratio);
          float a[4] = {
            (float) ((y + 0.5) * step_y),
            (float) ((x + 0.5) * step_x),
            (float) (box[b].scale / r * s->base_anchor_height
                * short_side / input_height),
            (float) (box[b].scale * r * s->base_anchor_width
                * short_side / input_width),
          };
          g_array_append_vals (anchors, a, 4);
        }
      }
    }
  }
  return TRUE;
}
