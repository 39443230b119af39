/* Detection-head keys of an output_postproc entry. DL Streamer's names
 * where it has them (yolo_v5: anchors, masks, classes, cells_number,
 * cells_number_x/_y, bbox_number_on_cell, output_sigmoid_activation,
 * do_cls_softmax); the SSD anchor generator and box coder keys are named
 * after the TF object detection API's ssd_anchor_generator and
 * faster_rcnn_box_coder fields. */
#include "gstovmodelproc-detect.h"

#include <string.h>

static gboolean
fail (GError **error, const char *path, const char *key, const char *what)
{
  g_set_error (error, G_MARKUP_ERROR, G_MARKUP_ERROR_INVALID_CONTENT,
      "model-proc %s: \"%s\" %s", path, key, what);
  return FALSE;
}

static gboolean
holds (JsonNode *n, GType type)
{
  return n && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == type;
}

static gboolean
holds_number (JsonNode *n)
{
  return holds (n, G_TYPE_DOUBLE) || holds (n, G_TYPE_INT64);
}

static gboolean
read_int (JsonObject *o, const char *key, int min, int max, int *out,
    const char *path, GError **error)
{
  JsonNode *n = json_object_get_member (o, key);
  gint64 v;
  if (n == NULL)
    return TRUE;
  if (!holds (n, G_TYPE_INT64))
    return fail (error, path, key, "must be an integer");
  v = json_node_get_int (n);
  if (v < min || v > max)
    return fail (error, path, key, "is out of range");
  *out = (int) v;
  return TRUE;
}

static gboolean
read_double (JsonObject *o, const char *key, double *out, const char *path,
    GError **error)
{
  JsonNode *n = json_object_get_member (o, key);
  if (n == NULL)
    return TRUE;
  if (!holds_number (n))
    return fail (error, path, key, "must be a number");
  *out = json_node_get_double (n);
  return TRUE;
}

static gboolean
read_bool (JsonObject *o, const char *key, gboolean *out, const char *path,
    GError **error)
{
  JsonNode *n = json_object_get_member (o, key);
  if (n == NULL)
    return TRUE;
  if (!holds (n, G_TYPE_BOOLEAN))
    return fail (error, path, key, "must be true or false");
  *out = json_node_get_boolean (n);
  return TRUE;
}

/* Numbers of an array, nested arrays flattened ([[cy, cx, h, w], ...]
 * and [cy, cx, h, w, ...] alike). */
static gboolean
flatten (JsonNode *n, GArray *out)
{
  JsonArray *a;
  if (holds_number (n)) {
    double v = json_node_get_double (n);
    g_array_append_val (out, v);
    return TRUE;
  }
  if (n == NULL || !JSON_NODE_HOLDS_ARRAY (n))
    return FALSE;
  a = json_node_get_array (n);
  for (guint i = 0; i < json_array_get_length (a); i++)
    if (!flatten (json_array_get_element (a, i), out))
      return FALSE;
  return TRUE;
}

/* The numbers under `key` (an array, nested or not), or NULL with an
 * error; NULL without one when the key is absent. */
static GArray *
read_numbers (JsonObject *o, const char *key, const char *path,
    GError **error)
{
  JsonNode *n = json_object_get_member (o, key);
  GArray *v;
  if (n == NULL)
    return NULL;
  v = g_array_new (FALSE, FALSE, sizeof (double));
  if (!JSON_NODE_HOLDS_ARRAY (n) || !flatten (n, v) || v->len == 0) {
    g_array_unref (v);
    fail (error, path, key, "must be a non-empty array of numbers");
    return NULL;
  }
  return v;
}

/* A text or JSON file of numbers (separated by white space, commas or
 * brackets), relative to the model-proc file. */
static GArray *
read_numbers_file (const char *name, const char *path, GError **error)
{
  char *dir = g_path_get_dirname (path);
  char *file = g_path_is_absolute (name) ? g_strdup (name)
      : g_build_filename (dir, name, NULL);
  char *text = NULL;
  char **words;
  GArray *v = NULL;

  if (g_file_get_contents (file, &text, NULL, error)) {
    v = g_array_new (FALSE, FALSE, sizeof (double));
    words = g_strsplit_set (text, " \t\r\n,[]", -1);
    for (int i = 0; words[i] && v; i++) {
      char *end;
      double x;
      if (*words[i] == '\0')
        continue;
      x = g_ascii_strtod (words[i], &end);
      if (*end != '\0') {
        g_set_error (error, G_MARKUP_ERROR, G_MARKUP_ERROR_INVALID_CONTENT,
            "anchors file %s: \"%s\" is not a number", file, words[i]);
        g_clear_pointer (&v, g_array_unref);
        break;
      }
      g_array_append_val (v, x);
    }
    g_strfreev (words);
  }
  g_free (text);
  g_free (file);
  g_free (dir);
  return v;
}

static gboolean
read_anchors (GstOvDetectPostproc *d, JsonObject *o, const char *path,
    GError **error)
{
  JsonNode *n = json_object_get_member (o, "anchors");
  GArray *v;
  if (n == NULL)
    return TRUE;
  if (holds (n, G_TYPE_STRING))
    v = read_numbers_file (json_node_get_string (n), path, error);
  else
    v = read_numbers (o, "anchors", path, error);
  if (v == NULL)
    return FALSE;
  d->anchors = g_array_sized_new (FALSE, FALSE, sizeof (float), v->len);
  for (guint i = 0; i < v->len; i++) {
    float f = (float) g_array_index (v, double, i);
    g_array_append_val (d->anchors, f);
  }
  g_array_unref (v);
  return TRUE;
}

static gboolean
read_masks (GstOvDetectPostproc *d, JsonObject *o, const char *path,
    GError **error)
{
  GArray *v;
  if (!json_object_has_member (o, "masks"))
    return TRUE;
  if ((v = read_numbers (o, "masks", path, error)) == NULL)
    return FALSE;
  d->masks = g_array_sized_new (FALSE, FALSE, sizeof (int), v->len);
  for (guint i = 0; i < v->len; i++) {
    double x = g_array_index (v, double, i);
    int m = (int) x;
    if (x != m || m < 0) {
      g_array_unref (v);
      return fail (error, path, "masks", "must be anchor indices (integers "
          ">= 0)");
    }
    g_array_append_val (d->masks, m);
  }
  g_array_unref (v);
  return TRUE;
}

static gboolean
read_cells (GstOvDetectPostproc *d, JsonObject *o, const char *path,
    GError **error)
{
  gboolean has_x = json_object_has_member (o, "cells_number_x");
  gboolean has_y = json_object_has_member (o, "cells_number_y");
  if (json_object_has_member (o, "cells_number")) {
    if (has_x || has_y)
      return fail (error, path, "cells_number", "and cells_number_x/_y "
          "exclude each other");
    if (!read_int (o, "cells_number", 1, 65536, &d->cells_x, path, error))
      return FALSE;
    d->cells_y = d->cells_x;
    return TRUE;
  }
  if (has_x != has_y)
    return fail (error, path, has_x ? "cells_number_x" : "cells_number_y",
        "needs its counterpart (cells_number_x and cells_number_y)");
  return read_int (o, "cells_number_x", 1, 65536, &d->cells_x, path, error)
      && read_int (o, "cells_number_y", 1, 65536, &d->cells_y, path, error);
}

static gboolean
read_activation (GstOvDetectPostproc *d, JsonObject *o, const char *path,
    GError **error)
{
  JsonNode *n = json_object_get_member (o, "score_activation");
  gboolean softmax = FALSE;
  if (!read_bool (o, "do_cls_softmax", &softmax, path, error))
    return FALSE;
  if (softmax) {
    d->has_activation = TRUE;
    d->activation = OV_SCORE_SOFTMAX;
  }
  if (n == NULL)
    return TRUE;
  if (!holds (n, G_TYPE_STRING))
    return fail (error, path, "score_activation", "must be a string");
  if (strcmp (json_node_get_string (n), "sigmoid") == 0)
    d->activation = OV_SCORE_SIGMOID;
  else if (strcmp (json_node_get_string (n), "softmax") == 0)
    d->activation = OV_SCORE_SOFTMAX;
  else if (strcmp (json_node_get_string (n), "none") == 0)
    d->activation = OV_SCORE_NONE;
  else
    return fail (error, path, "score_activation", "must be none, sigmoid or "
        "softmax");
  if (softmax && d->activation != OV_SCORE_SOFTMAX)
    return fail (error, path, "score_activation", "contradicts "
        "do_cls_softmax");
  d->has_activation = TRUE;
  return TRUE;
}

static gboolean
read_box_coder (GstOvDetectPostproc *d, JsonObject *o, const char *path,
    GError **error)
{
  static const char *const keys[4] = { "y_scale", "x_scale", "h_scale",
    "w_scale" };
  JsonNode *n = json_object_get_member (o, "box_encoding");
  GArray *v;
  if (json_object_has_member (o, "box_scale")) {
    guint len;
    if ((v = read_numbers (o, "box_scale", path, error)) == NULL)
      return FALSE;
    len = v->len;
    for (guint i = 0; i < 4; i++)
      d->box_scale[i] = (float) g_array_index (v, double, MIN (i, len - 1));
    g_array_unref (v);
    if (len != 1 && len != 4)
      return fail (error, path, "box_scale", "must have 1 or 4 values "
          "(y, x, h, w)");
  }
  for (int i = 0; i < 4; i++) {
    double s = d->box_scale[i];
    if (!read_double (o, keys[i], &s, path, error))
      return FALSE;
    if (!(s > 0.0))
      return fail (error, path, keys[i], "must be positive");
    d->box_scale[i] = (float) s;
  }
  if (n == NULL)
    return TRUE;
  if (holds (n, G_TYPE_STRING)
      && strcmp (json_node_get_string (n), "yxhw") == 0)
    d->box_xywh = FALSE;
  else if (holds (n, G_TYPE_STRING)
      && strcmp (json_node_get_string (n), "xywh") == 0)
    d->box_xywh = TRUE;
  else
    return fail (error, path, "box_encoding", "must be \"yxhw\" (TF) or "
        "\"xywh\"");
  return TRUE;
}

/* feature_map_shapes: [[h, w], ...] or [n, ...] for square maps. */
static gboolean
read_feature_maps (OvSsdAnchorSpec *g, JsonObject *o, const char *path,
    GError **error)
{
  JsonNode *n = json_object_get_member (o, "feature_map_shapes");
  JsonArray *a;
  if (n == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (n)
      || json_array_get_length (json_node_get_array (n)) == 0
      || json_array_get_length (json_node_get_array (n)) > OV_SSD_MAX_LAYERS)
    return fail (error, path, "feature_map_shapes", "must be an array of 1 "
        "to 16 sizes");
  a = json_node_get_array (n);
  g->n_feature_maps = (int) json_array_get_length (a);
  for (int i = 0; i < g->n_feature_maps; i++) {
    JsonNode *e = json_array_get_element (a, i);
    if (holds (e, G_TYPE_INT64)) {
      g->feature_map_h[i] = g->feature_map_w[i] = (int) CLAMP (
          json_node_get_int (e), -1, 65536);
    } else if (JSON_NODE_HOLDS_ARRAY (e)
        && json_array_get_length (json_node_get_array (e)) == 2
        && holds (json_array_get_element (json_node_get_array (e), 0),
            G_TYPE_INT64)
        && holds (json_array_get_element (json_node_get_array (e), 1),
            G_TYPE_INT64)) {
      JsonArray *hw = json_node_get_array (e);
      g->feature_map_h[i] = (int) CLAMP (json_array_get_int_element (hw, 0),
          -1, 65536);
      g->feature_map_w[i] = (int) CLAMP (json_array_get_int_element (hw, 1),
          -1, 65536);
    } else {
      return fail (error, path, "feature_map_shapes", "entries must be "
          "integers or [height, width] pairs");
    }
  }
  return TRUE;
}

static gboolean
read_generator (GstOvDetectPostproc *d, JsonObject *o, const char *path,
    GError **error)
{
  static const char *const keys[] = { "num_layers", "min_scale",
    "max_scale", "aspect_ratios", "feature_map_shapes", "strides",
    "reduce_boxes_in_lowest_layer", "interpolated_scale_aspect_ratio",
    "interpolated_scale_position", "base_anchor_height", "base_anchor_width",
  };
  OvSsdAnchorSpec *g = &d->generator;
  JsonNode *n;
  GArray *v;

  for (gsize i = 0; i < G_N_ELEMENTS (keys); i++)
    d->has_generator |= json_object_has_member (o, keys[i]);
  if (!d->has_generator)
    return TRUE;
  if (d->anchors)
    return fail (error, path, "anchors", "and the anchor generator's "
        "parameters exclude each other");
  if (!read_feature_maps (g, o, path, error)
      || !read_double (o, "min_scale", &g->min_scale, path, error)
      || !read_double (o, "max_scale", &g->max_scale, path, error)
      || !read_bool (o, "reduce_boxes_in_lowest_layer",
          &g->reduce_boxes_in_lowest_layer, path, error)
      || !read_double (o, "interpolated_scale_aspect_ratio",
          &g->interpolated_scale_aspect_ratio, path, error)
      || !read_double (o, "base_anchor_height", &g->base_anchor_height, path,
          error)
      || !read_double (o, "base_anchor_width", &g->base_anchor_width, path,
          error))
    return FALSE;
  if (json_object_has_member (o, "aspect_ratios")) {
    if ((v = read_numbers (o, "aspect_ratios", path, error)) == NULL)
      return FALSE;
    g->n_aspect_ratios = (int) MIN (v->len, OV_SSD_MAX_ASPECT_RATIOS + 1);
    for (int i = 0; i < g->n_aspect_ratios && i < OV_SSD_MAX_ASPECT_RATIOS; i++)
      g->aspect_ratios[i] = g_array_index (v, double, i);
    g_array_unref (v);
  }
  if (json_object_has_member (o, "strides")) {
    if ((v = read_numbers (o, "strides", path, error)) == NULL)
      return FALSE;
    g->n_strides = (int) MIN (v->len, OV_SSD_MAX_LAYERS + 1);
    for (int i = 0; i < g->n_strides && i < OV_SSD_MAX_LAYERS; i++)
      g->strides[i] = (int) CLAMP (g_array_index (v, double, i), -1, 65536);
    g_array_unref (v);
  }
  /* One layer per feature map unless said otherwise. */
  g->num_layers = MAX (g->n_feature_maps, g->n_strides);
  if (!read_int (o, "num_layers", 1, OV_SSD_MAX_LAYERS, &g->num_layers, path,
          error))
    return FALSE;
  n = json_object_get_member (o, "interpolated_scale_position");
  if (n && holds (n, G_TYPE_STRING)
      && strcmp (json_node_get_string (n), "after_aspect_ratio_1") == 0)
    g->interpolated_after_unit_ratio = TRUE;
  else if (n && !(holds (n, G_TYPE_STRING)
          && strcmp (json_node_get_string (n), "last") == 0))
    return fail (error, path, "interpolated_scale_position", "must be "
        "\"last\" (TF) or \"after_aspect_ratio_1\"");
  return TRUE;
}

void
gst_ov_detect_postproc_init (GstOvDetectPostproc *d)
{
  *d = (GstOvDetectPostproc) { 0 };
  d->box_scale[0] = d->box_scale[1] = 10.0f;
  d->box_scale[2] = d->box_scale[3] = 5.0f;
  d->background_label_id = -1;
  ov_ssd_anchor_spec_init (&d->generator);
}

gboolean
gst_ov_detect_postproc_parse (GstOvDetectPostproc *d, JsonObject *o,
    const char *path, GError **error)
{
  gst_ov_detect_postproc_init (d);
  return read_anchors (d, o, path, error)
      && read_masks (d, o, path, error)
      && read_generator (d, o, path, error)
      && read_box_coder (d, o, path, error)
      && read_activation (d, o, path, error)
      && read_cells (d, o, path, error)
      && read_int (o, "classes", 1, 1 << 20, &d->classes, path, error)
      && read_int (o, "bbox_number_on_cell", 1, 64, &d->bbox_number_on_cell,
          path, error)
      && read_int (o, "background_label_id", -1, 1 << 20,
          &d->background_label_id, path, error)
      && read_bool (o, "output_sigmoid_activation",
          &d->output_sigmoid_activation, path, error);
}

void
gst_ov_detect_postproc_clear (GstOvDetectPostproc *d)
{
  g_clear_pointer (&d->anchors, g_array_unref);
  g_clear_pointer (&d->masks, g_array_unref);
}
