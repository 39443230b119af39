/* model_info and pre-process-config (gstovmodelinfo.h). */
#include "gstovmodelinfo.h"

#include <math.h>
#include <string.h>

#include "gstovkeyvalues.h"

static gboolean
bad_value (GError **error, const char *key, const char *value,
    const char *expected)
{
  g_set_error (error, GST_LIBRARY_ERROR, GST_LIBRARY_ERROR_SETTINGS,
      "%s=%s: expected %s", key, value, expected);
  return FALSE;
}

/* Numbers as exporters write lists: "255", "[255.0]", "1 2 3",
 * "1, 2, 3". Returns how many were read (at most `max`), -1 for
 * anything else. */
static int
read_numbers (const char *text, double *out, int max)
{
  int n = 0;
  const char *p = text;
  for (;;) {
    char *end;
    double v;
    while (*p == ' ' || *p == ',' || *p == ';' || *p == '[' || *p == ']'
        || *p == '\t')
      p++;
    if (*p == '\0')
      return n;
    v = g_ascii_strtod (p, &end);
    if (end == p || n == max || !isfinite (v))
      return -1;
    out[n++] = v;
    p = end;
  }
}

static gboolean
read_bool (const char *key, const char *value, gboolean *out,
    GError **error)
{
  return gst_ov_key_value_bool (value, out)
      || bad_value (error, key, value, "True or False");
}

/* One or three numbers into v[3]. */
static gboolean
read_triple (const char *key, const char *value, double v[3], gboolean scale,
    GError **error)
{
  int n = read_numbers (value, v, 3);
  if (n == 1)
    v[1] = v[2] = v[0];
  else if (n != 3)
    return bad_value (error, key, value, "one or three numbers");
  for (int c = 0; scale && c < 3; c++)
    if (v[c] == 0.0)
      return bad_value (error, key, value, "numbers other than 0");
  return TRUE;
}

/* A pre-processing key; *known FALSE when `key` is not one. */
static gboolean
apply_input_key (GstOvModelProc *mp, const char *key, const char *value,
    gboolean *known, GError **error)
{
  *known = TRUE;
  if (g_ascii_strcasecmp (key, "resize_type") == 0) {
    mp->has_resize = TRUE;
    mp->anchor = GST_OV_ANCHOR_CENTER;
    if (g_ascii_strcasecmp (value, "standard") == 0)
      mp->resize = GST_OV_RESIZE_STRETCH;
    else if (g_ascii_strcasecmp (value, "fit_to_window_letterbox") == 0)
      mp->resize = GST_OV_RESIZE_ASPECT_RATIO;
    else if (g_ascii_strcasecmp (value, "fit_to_window") == 0) {
      mp->resize = GST_OV_RESIZE_ASPECT_RATIO;
      mp->anchor = GST_OV_ANCHOR_TOP_LEFT;
    } else if (g_ascii_strcasecmp (value, "crop") == 0)
      mp->resize = GST_OV_RESIZE_CROP_CENTRAL;
    else
      return bad_value (error, key, value,
          "standard, fit_to_window, fit_to_window_letterbox or crop");
  } else if (g_ascii_strcasecmp (key, "reverse_input_channels") == 0) {
    gboolean rgb;
    if (!read_bool (key, value, &rgb, error))
      return FALSE;
    mp->has_color = TRUE;
    mp->color = rgb ? GST_OV_COLOR_RGB : GST_OV_COLOR_BGR;
  } else if (g_ascii_strcasecmp (key, "color_space") == 0) {
    mp->has_color = TRUE;
    if (g_ascii_strcasecmp (value, "RGB") == 0)
      mp->color = GST_OV_COLOR_RGB;
    else if (g_ascii_strcasecmp (value, "BGR") == 0)
      mp->color = GST_OV_COLOR_BGR;
    else if (g_ascii_strcasecmp (value, "GRAY") == 0
        || g_ascii_strcasecmp (value, "GRAYSCALE") == 0)
      mp->color = GST_OV_COLOR_GRAY;
    else
      return bad_value (error, key, value, "RGB, BGR or GRAYSCALE");
  } else if (g_ascii_strcasecmp (key, "mean_values") == 0) {
    if (!read_triple (key, value, mp->mean, FALSE, error))
      return FALSE;
    mp->has_mean = TRUE;
  } else if (g_ascii_strcasecmp (key, "scale_values") == 0) {
    if (!read_triple (key, value, mp->std, TRUE, error))
      return FALSE;
    mp->has_std = TRUE;
  } else if (g_ascii_strcasecmp (key, "pad_value") == 0) {
    double v;
    if (read_numbers (value, &v, 1) != 1 || v < 0 || v > 255)
      return bad_value (error, key, value, "a number from 0 to 255");
    mp->has_pad_value = TRUE;
    mp->pad_value = (guint8) (v + 0.5);
  } else {
    *known = FALSE;
  }
  return TRUE;
}

static OvConverterKind
converter_of_model_type (const char *type)
{
  /* Intel Geti's names, which DL Streamer maps too. */
  if (strcmp (type, "ssd") == 0)
    return OV_CONVERTER_BOXES_LABELS;
  if (strcmp (type, "Classification") == 0)
    return OV_CONVERTER_LABEL;
  return ov_converter_from_name (type);
}

static gboolean
apply_output_key (GstOvPostproc *pp, const char *key, const char *value,
    GError **error)
{
  if (strcmp (key, "model_type") == 0) {
    pp->converter = converter_of_model_type (value);
  } else if (strcmp (key, "labels") == 0) {
    char **parts = g_strsplit_set (value, " ,;", -1);
    GPtrArray *labels = g_ptr_array_new ();
    for (int i = 0; parts[i]; i++)
      if (*parts[i])
        g_ptr_array_add (labels, g_strdup (parts[i]));
    g_ptr_array_add (labels, NULL);
    g_strfreev (pp->labels);
    pp->labels = (char **) g_ptr_array_free (labels, FALSE);
    g_strfreev (parts);
  } else if (strcmp (key, "iou_threshold") == 0
      || strcmp (key, "confidence_threshold") == 0) {
    double v;
    if (read_numbers (value, &v, 1) != 1 || v < 0 || v > 1)
      return bad_value (error, key, value, "a number from 0 to 1");
    if (key[0] == 'i')
      pp->iou_threshold = v;
    else
      pp->threshold = v;
  } else if (strcmp (key, "multilabel") == 0
      || strcmp (key, "output_raw_scores") == 0) {
    gboolean on;
    if (!read_bool (key, value, &on, error))
      return FALSE;
    if (on)
      pp->method = key[0] == 'm' ? OV_LABEL_SIGMOID : OV_LABEL_SOFTMAX;
  }
  return TRUE;
}

char **
gst_ov_model_info_parse_names (const char *text)
{
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  const char *p = text;
  GString *s = g_string_new (NULL);

  while (g_ascii_isspace (*p))
    p++;
  if (*p++ != '{')
    goto fail;
  for (;;) {
    char *end;
    gint64 key;
    char quote;
    while (g_ascii_isspace (*p))
      p++;
    if (*p == '}' && names->len > 0)
      break;
    key = g_ascii_strtoll (p, &end, 10);
    if (end == p || key != names->len || names->len >= 100000)
      goto fail;
    p = end;
    while (g_ascii_isspace (*p))
      p++;
    if (*p++ != ':')
      goto fail;
    while (g_ascii_isspace (*p))
      p++;
    quote = *p++;
    if (quote != '\'' && quote != '"')
      goto fail;
    g_string_truncate (s, 0);
    while (*p != quote) {
      if (*p == '\0')
        goto fail;
      if (*p == '\\' && p[1] != '\0')
        p++;
      g_string_append_c (s, *p++);
    }
    p++;
    g_ptr_array_add (names, g_strdup (s->str));
    while (g_ascii_isspace (*p))
      p++;
    if (*p == ',')
      p++;
    else if (*p != '}')
      goto fail;
  }
  g_string_free (s, TRUE);
  g_ptr_array_add (names, NULL);
  return (char **) g_ptr_array_free (names, FALSE);

fail:
  g_string_free (s, TRUE);
  g_ptr_array_unref (names);
  return NULL;
}

/* An Ultralytics ONNX export carries no model_info, but its metadata says
 * what it is (author, task, names): its pre-processing is then what the
 * same model exported as IR declares (RGB, pixels / 255, and for
 * detectors and segmenters a centered letterbox with a border of 114),
 * with the class names as labels. The head is left to the output
 * shapes, as the IR's model_type "YOLO" leaves it. */
static GstOvModelProc *
ultralytics_model_proc (const OviModel *model)
{
  const char *author = ovi_model_get_metadata (model, "author");
  const char *task = ovi_model_get_metadata (model, "task");
  const char *names = ovi_model_get_metadata (model, "names");
  GstOvModelProc *mp;

  if (author == NULL || strcmp (author, "Ultralytics") != 0 || task == NULL)
    return NULL;
  mp = gst_ov_model_proc_new ();
  mp->has_color = TRUE;
  mp->color = GST_OV_COLOR_RGB;
  mp->has_std = TRUE;
  mp->std[0] = mp->std[1] = mp->std[2] = 255.0;
  if (strcmp (task, "classify") != 0) {
    mp->has_resize = TRUE;
    mp->resize = GST_OV_RESIZE_ASPECT_RATIO;
    mp->anchor = GST_OV_ANCHOR_CENTER;
    mp->has_pad_value = TRUE;
    mp->pad_value = 114;
  }
  if (names) {
    char **labels = gst_ov_model_info_parse_names (names);
    if (labels)
      gst_ov_model_proc_add_postproc (mp)->labels = labels;
  }
  return mp;
}

/* The model's model_info entry `key`, or NULL. */
static const char *
model_info_value (const OviModel *model, const char *key)
{
  char *path = g_strconcat ("model_info/", key, NULL);
  const char *value = ovi_model_get_metadata (model, path);
  g_free (path);
  return value;
}

gboolean
gst_ov_model_info_read (const OviModel *model, GstOvModelProc **out,
    GError **error)
{
  static const char *input_keys[] = { "resize_type",
    "reverse_input_channels", "color_space", "mean_values", "scale_values",
    "pad_value" };
  /* model_type first: the method keys below refine it. */
  static const char *output_keys[] = { "model_type", "labels",
    "iou_threshold", "confidence_threshold", "output_raw_scores",
    "multilabel" };
  GstOvModelProc *mp = NULL;
  GstOvPostproc *pp = NULL;

  *out = NULL;
  for (guint i = 0; i < G_N_ELEMENTS (input_keys); i++) {
    const char *value = model_info_value (model, input_keys[i]);
    gboolean known;
    if (value == NULL)
      continue;
    if (mp == NULL)
      mp = gst_ov_model_proc_new ();
    if (!apply_input_key (mp, input_keys[i], value, &known, error))
      goto fail;
  }
  for (guint i = 0; i < G_N_ELEMENTS (output_keys); i++) {
    const char *value = model_info_value (model, output_keys[i]);
    if (value == NULL)
      continue;
    if (mp == NULL)
      mp = gst_ov_model_proc_new ();
    if (pp == NULL)
      pp = gst_ov_model_proc_add_postproc (mp);
    if (!apply_output_key (pp, output_keys[i], value, error))
      goto fail;
  }
  *out = mp ? mp : ultralytics_model_proc (model);
  return TRUE;

fail:
  g_prefix_error (error, "the model's model_info: ");
  gst_ov_model_proc_free (mp);
  return FALSE;
}

typedef struct {
  GstOvModelProc *mp;
  GPtrArray *unknown;
} ConfigWalk;

static gboolean
apply_config_pair (const gchar *key, const gchar *value, gpointer data,
    GError **error)
{
  ConfigWalk *w = data;
  gboolean known;

  if (g_ascii_strcasecmp (key, "VAAPI_FAST_SCALE_LOAD_FACTOR") == 0
      || g_ascii_strcasecmp (key, "VAAPI_THREAD_POOL_SIZE") == 0)
    return TRUE;
  if (!apply_input_key (w->mp, key, value, &known, error)) {
    g_prefix_error (error, "pre-process-config: ");
    return FALSE;
  }
  if (!known)
    g_ptr_array_add (w->unknown, g_strdup (key));
  return TRUE;
}

gboolean
gst_ov_pre_process_config_apply (GstOvModelProc *mp, const char *text,
    char ***ignored, GError **error)
{
  ConfigWalk w = { mp, g_ptr_array_new_with_free_func (g_free) };
  gboolean ok = gst_ov_key_values_foreach (text, "pre-process-config",
      apply_config_pair, &w, error);

  *ignored = NULL;
  if (ok && w.unknown->len > 0) {
    g_ptr_array_add (w.unknown, NULL);
    *ignored = (char **) g_ptr_array_free (w.unknown, FALSE);
  } else {
    g_ptr_array_unref (w.unknown);
  }
  return ok;
}
