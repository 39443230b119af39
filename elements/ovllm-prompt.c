#include "ovllm-prompt.h"

#include <gst/video/video.h>
#include <string.h>

#include "gstovmeta.h"

typedef struct {
  char *label;
  gint id;                      /* -1: not tracked */
  char *identity;               /* NULL: not identified */
  double confidence;
  const char *position;
} SceneObject;

struct _OvLlmScene {
  GArray *objects;              /* SceneObject, the latest detected frame */
  GPtrArray *identities;        /* distinct names in the window */
  GPtrArray *events;            /* "Alice appeared", in the window */
};

static void
object_clear (gpointer p)
{
  SceneObject *o = p;
  g_free (o->label);
  g_free (o->identity);
}

OvLlmScene *
ov_llm_scene_new (void)
{
  OvLlmScene *s = g_new0 (OvLlmScene, 1);
  s->objects = g_array_new (FALSE, TRUE, sizeof (SceneObject));
  g_array_set_clear_func (s->objects, object_clear);
  s->identities = g_ptr_array_new_with_free_func (g_free);
  s->events = g_ptr_array_new_with_free_func (g_free);
  return s;
}

void
ov_llm_scene_free (OvLlmScene *s)
{
  if (s == NULL)
    return;
  g_array_unref (s->objects);
  g_ptr_array_unref (s->identities);
  g_ptr_array_unref (s->events);
  g_free (s);
}

void
ov_llm_scene_new_window (OvLlmScene *s)
{
  g_ptr_array_set_size (s->identities, 0);
  g_ptr_array_set_size (s->events, 0);
}

void
ov_llm_scene_reset (OvLlmScene *s)
{
  g_array_set_size (s->objects, 0);
  ov_llm_scene_new_window (s);
}

/* Which ninth of the frame a point (normalized) falls in. */
static const char *
position_name (double cx, double cy)
{
  static const char *const names[3][3] = {
    { "top left", "top", "top right" },
    { "left", "center", "right" },
    { "bottom left", "bottom", "bottom right" },
  };
  int col = cx < 1.0 / 3 ? 0 : cx < 2.0 / 3 ? 1 : 2;
  int row = cy < 1.0 / 3 ? 0 : cy < 2.0 / 3 ? 1 : 2;
  return names[row][col];
}

static gboolean
contains (GPtrArray *names, const char *name)
{
  for (guint i = 0; i < names->len; i++)
    if (!strcmp (g_ptr_array_index (names, i), name))
      return TRUE;
  return FALSE;
}

static void
read_object (OvLlmScene *s, GstVideoRegionOfInterestMeta *roi, int width,
    int height)
{
  GstStructure *det = gst_video_region_of_interest_meta_get_param (roi,
      "detection");
  GstStructure *ident = gst_video_region_of_interest_meta_get_param (roi,
      "identity");
  const char *label = gst_ov_roi_get_label (roi);
  double x0, y0, x1, y1, cx, cy;
  SceneObject o = { 0 };

  if (det && gst_structure_get_double (det, "x_min", &x0)
      && gst_structure_get_double (det, "y_min", &y0)
      && gst_structure_get_double (det, "x_max", &x1)
      && gst_structure_get_double (det, "y_max", &y1)) {
    cx = (x0 + x1) / 2;
    cy = (y0 + y1) / 2;
  } else {
    cx = width > 0 ? (roi->x + roi->w / 2.0) / width : 0.5;
    cy = height > 0 ? (roi->y + roi->h / 2.0) / height : 0.5;
  }
  o.label = g_strdup (label && *label ? label : "object");
  o.id = gst_ov_roi_get_object_id (roi);
  o.confidence = -1;
  gst_ov_roi_get_detection (roi, &o.confidence, NULL, NULL);
  o.position = position_name (cx, cy);
  if (ident) {
    const char *name = gst_structure_get_string (ident, "label");
    if (name && *name) {
      o.identity = g_strdup (name);
      /* "unknown" is ovidentify's verdict for no match: not a person. */
      if (strcmp (name, "unknown") && !contains (s->identities, name))
        g_ptr_array_add (s->identities, g_strdup (name));
    }
  }
  g_array_append_val (s->objects, o);
}

static void
read_event (OvLlmScene *s, const GstStructure *ev)
{
  const char *what = gst_structure_get_string (ev, "event");
  const char *who = gst_structure_get_string (ev, "person");
  char *name = NULL;

  if (who == NULL) {
    /* Another element's event: its structure name without "_event". */
    name = g_strdup (gst_structure_get_name (ev));
    if (g_str_has_suffix (name, "_event"))
      name[strlen (name) - strlen ("_event")] = '\0';
  }
  g_ptr_array_add (s->events, g_strdup_printf ("%s %s", who ? who : name,
          what));
  g_free (name);
}

void
ov_llm_scene_add_frame (OvLlmScene *s, GstBuffer *buffer, int width,
    int height)
{
  gpointer state = NULL;
  GstMeta *m;
  gboolean has_objects = gst_buffer_get_meta (buffer,
      GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE) != NULL;

  if (has_objects || gst_ov_buffer_is_detected (buffer)) {
    g_array_set_size (s->objects, 0);
    while ((m = gst_buffer_iterate_meta_filtered (buffer, &state,
                GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE)))
      read_object (s, (GstVideoRegionOfInterestMeta *) m, width, height);
  }
  state = NULL;
  while ((m = gst_buffer_iterate_meta_filtered (buffer, &state,
              GST_OV_TENSOR_META_API_TYPE))) {
    const GstStructure *data = ((GstOvTensorMeta *) m)->data;
    if (data && gst_ov_structure_is_event (data))
      read_event (s, data);
  }
}

/* ---- rendering ---------------------------------------------------------- */

static void
append_list_or_none (GString *out, GPtrArray *items)
{
  if (items->len == 0) {
    g_string_append (out, "none");
    return;
  }
  for (guint i = 0; i < items->len; i++)
    g_string_append_printf (out, "%s%s", i ? ", " : "",
        (const char *) g_ptr_array_index (items, i));
}

static void
append_objects (GString *out, const OvLlmScene *s)
{
  guint n = MIN (s->objects->len, OV_LLM_MAX_OBJECTS);

  if (s->objects->len == 0) {
    g_string_append (out, "none");
    return;
  }
  for (guint i = 0; i < n; i++) {
    const SceneObject *o = &g_array_index (s->objects, SceneObject, i);
    if (i)
      g_string_append (out, ", ");
    g_string_append (out, o->label);
    if (o->id >= 0)
      g_string_append_printf (out, " #%d", o->id);
    if (o->identity)
      g_string_append_printf (out, " \"%s\"", o->identity);
    if (o->confidence >= 0) {
      char num[G_ASCII_DTOSTR_BUF_SIZE];
      /* Locale-independent "0.91". */
      g_ascii_formatd (num, sizeof num, "%.2f", o->confidence);
      g_string_append_printf (out, " (%s)", num);
    }
    g_string_append_printf (out, " at %s", o->position);
  }
  if (s->objects->len > n)
    g_string_append_printf (out, " and %u more", s->objects->len - n);
}

static void
append_counts (GString *out, const OvLlmScene *s)
{
  GPtrArray *labels = g_ptr_array_new ();
  GArray *counts = g_array_new (FALSE, TRUE, sizeof (guint));

  for (guint i = 0; i < s->objects->len; i++) {
    const char *label = g_array_index (s->objects, SceneObject, i).label;
    guint k = 0;
    while (k < labels->len && strcmp (g_ptr_array_index (labels, k), label))
      k++;
    if (k == labels->len) {
      guint zero = 0;
      g_ptr_array_add (labels, (gpointer) label);
      g_array_append_val (counts, zero);
    }
    g_array_index (counts, guint, k)++;
  }
  if (labels->len == 0)
    g_string_append (out, "none");
  for (guint k = 0; k < labels->len; k++)
    g_string_append_printf (out, "%s%u %s", k ? ", " : "",
        g_array_index (counts, guint, k),
        (const char *) g_ptr_array_index (labels, k));
  g_ptr_array_unref (labels);
  g_array_unref (counts);
}

static void
append_time (GString *out, GstClockTime t)
{
  guint64 s;

  if (!GST_CLOCK_TIME_IS_VALID (t)) {
    g_string_append (out, "unknown");
    return;
  }
  s = t / GST_SECOND;
  g_string_append_printf (out, "%u:%02u:%02u", (guint) (s / 3600),
      (guint) (s / 60 % 60), (guint) (s % 60));
}

/* Appends the value of placeholder `name` (length len); FALSE if unknown. */
static gboolean
append_placeholder (GString *out, const OvLlmScene *s, const char *name,
    gsize len, GstClockTime t)
{
#define IS(word) (len == strlen (word) && !strncmp (name, word, len))
  if (IS ("objects"))
    append_objects (out, s);
  else if (IS ("counts"))
    append_counts (out, s);
  else if (IS ("identities"))
    append_list_or_none (out, s->identities);
  else if (IS ("events"))
    append_list_or_none (out, s->events);
  else if (IS ("time"))
    append_time (out, t);
  else if (IS ("count"))
    g_string_append_printf (out, "%u", s->objects->len);
  else
    return FALSE;
  return TRUE;
#undef IS
}

char *
ov_llm_scene_render (const OvLlmScene *s, const char *tmpl,
    GstClockTime stream_time)
{
  GString *out = g_string_new (NULL);
  const char *p = tmpl ? tmpl : "";

  while (*p) {
    const char *open = strchr (p, '{');
    const char *close;
    if (open == NULL) {
      g_string_append (out, p);
      break;
    }
    g_string_append_len (out, p, open - p);
    close = strchr (open + 1, '}');
    /* Unknown or unclosed braces are text (prompts may show JSON). */
    if (close == NULL || !append_placeholder (out, s, open + 1,
            close - open - 1, stream_time)) {
      g_string_append_c (out, '{');
      p = open + 1;
      continue;
    }
    p = close + 1;
  }
  return g_string_free (out, FALSE);
}
