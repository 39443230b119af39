#include "gstovmodelproc.h"
#include "gstovmodelproc-detect.h"

#include <json-glib/json-glib.h>
#include <string.h>

static void
postproc_free (gpointer data)
{
  GstOvPostproc *p = data;
  g_free (p->layer_name);
  g_free (p->attribute_name);
  g_strfreev (p->labels);
  gst_ov_detect_postproc_clear (&p->detect);
  g_free (p);
}

void
gst_ov_model_proc_free (GstOvModelProc *mp)
{
  if (mp == NULL)
    return;
  g_ptr_array_unref (mp->postprocs);
  g_free (mp);
}

static gboolean
fail (GError **error, const char *path, const char *what)
{
  g_set_error (error, G_MARKUP_ERROR, G_MARKUP_ERROR_INVALID_CONTENT,
      "model-proc %s: %s", path, what);
  return FALSE;
}

/* Numbers from an array of 1 or 3 elements (one value for every channel). */
static gboolean
read_numbers (JsonObject *o, const char *key, double *out, int max_n,
    const char *path, GError **error)
{
  JsonNode *n = json_object_get_member (o, key);
  JsonArray *a;
  guint len;
  if (n == NULL || !JSON_NODE_HOLDS_ARRAY (n))
    return fail (error, path, "expected an array of numbers");
  a = json_node_get_array (n);
  len = json_array_get_length (a);
  if (len == 0 || (int) len > max_n)
    return fail (error, path, "wrong number of values in an array");
  for (int i = 0; i < max_n; i++) {
    JsonNode *e = json_array_get_element (a, MIN ((guint) i, len - 1));
    if (!JSON_NODE_HOLDS_VALUE (e) || (json_node_get_value_type (e) != G_TYPE_DOUBLE
            && json_node_get_value_type (e) != G_TYPE_INT64))
      return fail (error, path, "expected numbers");
    out[i] = json_node_get_double (e);
  }
  return TRUE;
}

static const char *
get_string (JsonObject *o, const char *key)
{
  JsonNode *n = json_object_get_member (o, key);
  if (n && JSON_NODE_HOLDS_VALUE (n)
      && json_node_get_value_type (n) == G_TYPE_STRING)
    return json_node_get_string (n);
  return NULL;
}

static gboolean
parse_input (GstOvModelProc *mp, JsonObject *entry, const char *path,
    GError **error)
{
  JsonNode *pn = json_object_get_member (entry, "params");
  JsonObject *params;
  const char *s;

  if (pn == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (pn))
    return fail (error, path, "input_preproc params must be an object");
  params = json_node_get_object (pn);
  if ((s = get_string (params, "resize"))) {
    mp->has_resize = TRUE;
    if (strcmp (s, "aspect-ratio") == 0)
      mp->resize = GST_OV_RESIZE_ASPECT_RATIO;
    else if (strcmp (s, "no-aspect-ratio") == 0 || strcmp (s, "no") == 0)
      mp->resize = GST_OV_RESIZE_STRETCH;
    else
      return fail (error, path, "resize must be aspect-ratio or no-aspect-ratio");
  }
  if ((s = get_string (params, "aspect_ratio_anchor"))) {
    if (strcmp (s, "center") == 0)
      mp->anchor = GST_OV_ANCHOR_CENTER;
    else if (strcmp (s, "top-left") == 0)
      mp->anchor = GST_OV_ANCHOR_TOP_LEFT;
    else
      return fail (error, path, "aspect_ratio_anchor must be center or top-left");
  }
  /* ONNX Resize's attribute name and values. */
  if ((s = get_string (params, "coordinate_transformation_mode"))) {
    if (strcmp (s, "half_pixel") == 0)
      mp->sampling = GST_OV_SAMPLING_HALF_PIXEL;
    else if (strcmp (s, "asymmetric") == 0)
      mp->sampling = GST_OV_SAMPLING_ASYMMETRIC;
    else
      return fail (error, path,
          "coordinate_transformation_mode must be half_pixel or asymmetric");
  }
  if ((s = get_string (params, "alignment"))) {
    if (strcmp (s, "landmarks-box") == 0)
      mp->alignment = GST_OV_ALIGN_LANDMARKS_BOX;
    else if (strcmp (s, "eyes-mouth") == 0)
      mp->alignment = GST_OV_ALIGN_EYES_MOUTH;
    else
      return fail (error, path, "alignment must be landmarks-box or eyes-mouth");
  }
  if ((pn = json_object_get_member (params, "alignment_padding"))) {
    if (!JSON_NODE_HOLDS_VALUE (pn)
        || (json_node_get_value_type (pn) != G_TYPE_DOUBLE
            && json_node_get_value_type (pn) != G_TYPE_INT64)
        || json_node_get_double (pn) < 0.0 || json_node_get_double (pn) > 10.0)
      return fail (error, path, "alignment_padding must be a number in 0..10");
    mp->alignment_padding = json_node_get_double (pn);
  }
  if ((s = get_string (params, "crop"))) {
    if (strcmp (s, "central") != 0)
      return fail (error, path, "only crop \"central\" is supported");
    mp->has_resize = TRUE;
    mp->resize = GST_OV_RESIZE_CROP_CENTRAL;
  }
  if ((s = get_string (params, "color_space"))) {
    mp->has_color = TRUE;
    if (g_ascii_strcasecmp (s, "BGR") == 0)
      mp->color = GST_OV_COLOR_BGR;
    else if (g_ascii_strcasecmp (s, "RGB") == 0)
      mp->color = GST_OV_COLOR_RGB;
    else if (g_ascii_strcasecmp (s, "GRAYSCALE") == 0
        || g_ascii_strcasecmp (s, "GRAY") == 0)
      mp->color = GST_OV_COLOR_GRAY;
    else
      return fail (error, path, "color_space must be BGR, RGB or GRAYSCALE");
  }
  if (json_object_has_member (params, "range")) {
    if (!read_numbers (params, "range", mp->range, 2, path, error))
      return FALSE;
    mp->has_range = TRUE;
  }
  if (json_object_has_member (params, "mean")) {
    if (!read_numbers (params, "mean", mp->mean, 3, path, error))
      return FALSE;
    mp->has_mean = TRUE;
  }
  if (json_object_has_member (params, "std")) {
    if (!read_numbers (params, "std", mp->std, 3, path, error))
      return FALSE;
    mp->has_std = TRUE;
  }
  return TRUE;
}

GstOvModelProc *
gst_ov_model_proc_new (void)
{
  GstOvModelProc *mp = g_new0 (GstOvModelProc, 1);
  mp->postprocs = g_ptr_array_new_with_free_func (postproc_free);
  return mp;
}

GstOvPostproc *
gst_ov_model_proc_add_postproc (GstOvModelProc *mp)
{
  GstOvPostproc *p = g_new0 (GstOvPostproc, 1);
  p->threshold = -1.0;
  p->iou_threshold = -1.0;
  p->text_scale = 1.0;
  gst_ov_detect_postproc_init (&p->detect);
  g_ptr_array_add (mp->postprocs, p);
  return p;
}

static gboolean
parse_output (GstOvModelProc *mp, JsonObject *entry, const char *path,
    GError **error)
{
  GstOvPostproc *p = gst_ov_model_proc_add_postproc (mp);
  const char *s;
  JsonNode *labels;

  p->text_scale = json_object_get_double_member_with_default (entry,
      "text_scale", 1.0);
  p->text_precision = (int) CLAMP (json_object_get_int_member_with_default (
          entry, "text_precision", 0), 0, 9);
  p->layer_name = g_strdup (get_string (entry, "layer_name"));
  if (!gst_ov_detect_postproc_parse (&p->detect, entry, path, error))
    return FALSE;
  p->attribute_name = g_strdup (get_string (entry, "attribute_name"));
  p->method = ov_label_method_from_name (get_string (entry, "method"));
  /* DL Streamer's older model-procs name the landmark output's layout
   * with "format" rather than a converter. */
  if ((s = get_string (entry, "converter"))
      || ((s = get_string (entry, "format"))
          && strcmp (s, "landmark_points") == 0)) {
    p->converter = ov_converter_from_name (s);
    if (p->converter == OV_CONVERTER_NONE) {
      g_set_error (error, G_MARKUP_ERROR, G_MARKUP_ERROR_INVALID_CONTENT,
          "model-proc %s: converter \"%s\" is not supported", path, s);
      return FALSE;
    }
  }
  if (json_object_has_member (entry, "threshold")) {
    p->threshold = json_object_get_double_member_with_default (entry,
        "threshold", -1.0);
  }
  if (json_object_has_member (entry, "iou_threshold")) {
    p->iou_threshold = json_object_get_double_member_with_default (entry,
        "iou_threshold", -1.0);
  }
  labels = json_object_get_member (entry, "labels");
  if (labels && JSON_NODE_HOLDS_ARRAY (labels)) {
    JsonArray *a = json_node_get_array (labels);
    guint n = json_array_get_length (a);
    p->labels = g_new0 (char *, n + 1);
    for (guint i = 0; i < n; i++) {
      JsonNode *e = json_array_get_element (a, i);
      if (!JSON_NODE_HOLDS_VALUE (e)
          || json_node_get_value_type (e) != G_TYPE_STRING)
        return fail (error, path, "labels must be strings");
      p->labels[i] = g_strdup (json_node_get_string (e));
    }
  } else if (labels && JSON_NODE_HOLDS_VALUE (labels)
      && json_node_get_value_type (labels) == G_TYPE_STRING) {
    /* A labels file, relative to the model-proc file. */
    char *dir = g_path_get_dirname (path);
    const char *name = json_node_get_string (labels);
    char *file = g_path_is_absolute (name) ? g_strdup (name)
        : g_build_filename (dir, name, NULL);
    p->labels = gst_ov_read_labels_file (file, error);
    g_free (file);
    g_free (dir);
    if (p->labels == NULL)
      return FALSE;
  } else if (labels) {
    return fail (error, path, "labels must be an array or a file name");
  }
  return TRUE;
}

static gboolean
parse_entries (GstOvModelProc *mp, JsonObject *root, const char *key,
    gboolean input, const char *path, GError **error)
{
  JsonNode *n = json_object_get_member (root, key);
  JsonArray *a;
  if (n == NULL || JSON_NODE_HOLDS_NULL (n))
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (n))
    return fail (error, path, input ? "input_preproc must be an array"
        : "output_postproc must be an array");
  a = json_node_get_array (n);
  for (guint i = 0; i < json_array_get_length (a); i++) {
    JsonNode *e = json_array_get_element (a, i);
    if (!JSON_NODE_HOLDS_OBJECT (e))
      return fail (error, path, "entries must be objects");
    if (input ? !parse_input (mp, json_node_get_object (e), path, error)
        : !parse_output (mp, json_node_get_object (e), path, error))
      return FALSE;
  }
  return TRUE;
}

GstOvModelProc *
gst_ov_model_proc_parse (const char *json, gssize length, const char *path,
    GError **error)
{
  JsonParser *parser = json_parser_new ();
  GstOvModelProc *mp = NULL;
  GError *err = NULL;
  JsonNode *root;

  if (!json_parser_load_from_data (parser, json, length, &err)) {
    g_set_error (error, G_MARKUP_ERROR, G_MARKUP_ERROR_PARSE,
        "model-proc %s: %s", path, err->message);
    g_error_free (err);
    goto out;
  }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root)) {
    fail (error, path, "the top level must be an object");
    goto out;
  }
  mp = gst_ov_model_proc_new ();
  if (!parse_entries (mp, json_node_get_object (root), "input_preproc", TRUE,
          path, error)
      || !parse_entries (mp, json_node_get_object (root), "output_postproc",
          FALSE, path, error)) {
    gst_ov_model_proc_free (mp);
    mp = NULL;
  }
out:
  g_object_unref (parser);
  return mp;
}

GstOvModelProc *
gst_ov_model_proc_load (const char *path, GError **error)
{
  char *text;
  gsize len;
  GstOvModelProc *mp;
  if (!g_file_get_contents (path, &text, &len, error))
    return NULL;
  mp = gst_ov_model_proc_parse (text, (gssize) len, path, error);
  g_free (text);
  return mp;
}

char **
gst_ov_read_labels_file (const char *path, GError **error)
{
  char *text;
  char **lines;
  GPtrArray *labels;
  if (!g_file_get_contents (path, &text, NULL, error))
    return NULL;
  lines = g_strsplit (text, "\n", -1);
  labels = g_ptr_array_new ();
  for (int i = 0; lines[i]; i++) {
    char *l = g_strstrip (lines[i]);
    /* A trailing newline is not an empty last label. */
    if (*l == '\0' && lines[i + 1] == NULL)
      break;
    g_ptr_array_add (labels, g_strdup (l));
  }
  g_ptr_array_add (labels, NULL);
  g_strfreev (lines);
  g_free (text);
  return (char **) g_ptr_array_free (labels, FALSE);
}

void
gst_ov_model_proc_apply (const GstOvModelProc *mp, GstOvPreprocParams *p)
{
  if (mp->has_resize)
    p->resize = mp->resize;
  p->anchor = mp->anchor;
  p->sampling = mp->sampling;
  if (mp->has_color)
    p->color = mp->color;
  if (mp->has_pad_value)
    p->pad_value = mp->pad_value;
  if (mp->has_range || mp->has_mean || mp->has_std) {
    double lo = mp->has_range ? mp->range[0] : 0.0;
    double hi = mp->has_range ? mp->range[1] : 255.0;
    gst_ov_preproc_params_set_normalization (p, lo, hi,
        mp->has_mean ? mp->mean : NULL, mp->has_std ? mp->std : NULL);
  }
}
