#include "ovfaceanalyzer.h"

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>
#include <gst/video/video.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "gstovmeta.h"

/* Photos in the pipeline at once: enough to keep the decoder busy while
 * the models run, few enough that memory stays bounded (a decoded 12 MP
 * photo is 18 MB in I420). */
#define IN_FLIGHT 3

typedef enum {
  KIND_JPEG,
  KIND_PNG,
  KIND_OTHER,
} PhotoKind;

struct _OvFaceAnalyzer {
  char *models_dir;
  gboolean with_attributes;
};

typedef struct {
  guint index;                  /* into the caller's arrays; PTS = index s */
  GBytes *data;                 /* read when sent, so memory holds only the
                                 * photos in flight */
} Pending;

typedef struct {
  OvFaceAnalyzer *a;
  const char *const *paths;
  gpointer *datas;
  OvFaceResultFunc func;
  gpointer user_data;
  GstElement *pipeline;
  GstAppSrc *src;
  GstAppSink *sink;
  GstBus *bus;
  GQueue pending;               /* Pending, oldest first */
  char *last_warning;
} Run;

static void
face_clear (OvFace *f)
{
  g_free (f->gender);
  g_free (f->expression);
}

static PhotoKind
kind_of (const guint8 *p, gsize n)
{
  if (n >= 3 && p[0] == 0xff && p[1] == 0xd8 && p[2] == 0xff)
    return KIND_JPEG;
  if (n >= 8 && memcmp (p, "\x89PNG\r\n\x1a\n", 8) == 0)
    return KIND_PNG;
  return KIND_OTHER;
}

OvFaceAnalyzer *
ov_face_analyzer_new (const char *models_dir, gboolean with_attributes,
    GError **error)
{
  static const char *const needed[] = { "ssd_mobilenetv1",
    "face_landmark_68", "face_recognition", "age_gender", "face_expression"
  };
  OvFaceAnalyzer *a;

  for (gsize i = 0; i < G_N_ELEMENTS (needed); i++) {
    char *onnx, *json;
    gboolean ok;
    if (!with_attributes && i >= 3)
      break;
    onnx = g_strdup_printf ("%s/%s.onnx", models_dir, needed[i]);
    json = g_strdup_printf ("%s/%s.json", models_dir, needed[i]);
    ok = g_file_test (onnx, G_FILE_TEST_IS_REGULAR)
        && g_file_test (json, G_FILE_TEST_IS_REGULAR);
    if (!ok)
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
          "face model %s missing (%s, %s); run scripts/fetch-face-models.sh",
          needed[i], onnx, json);
    g_free (onnx);
    g_free (json);
    if (!ok)
      return NULL;
  }
  a = g_new0 (OvFaceAnalyzer, 1);
  a->models_dir = g_strdup (models_dir);
  a->with_attributes = with_attributes;
  return a;
}

void
ov_face_analyzer_free (OvFaceAnalyzer *a)
{
  if (a == NULL)
    return;
  g_free (a->models_dir);
  g_free (a);
}

static char *
describe (OvFaceAnalyzer *a, PhotoKind kind)
{
  const char *d = a->models_dir;
  GString *s = g_string_new (NULL);

  /* Decode errors drop the photo with a warning (max-errors -1) instead
   * of stopping the pipeline; the gap in timestamps tells which. */
  g_string_append_printf (s, "appsrc name=src format=time caps=%s ! %s ! "
      "videoconvert ! video/x-raw,format={I420,NV12,RGB,BGR,RGBx,BGRx,"
      "RGBA,BGRA,GRAY8} ! queue max-size-buffers=2 max-size-bytes=0 "
      "max-size-time=0 ! ",
      kind == KIND_JPEG ? "image/jpeg,parsed=true" : "image/png,parsed=true",
      kind == KIND_JPEG ? "jpegdec max-errors=-1" : "pngdec max-errors=-1");
  /* One detection at a time on both cores (nireq=1: the latency hint).
   * The default, two requests of one thread each, indexed the 300 files
   * of tools/bench/faces-bench.sh in 41-46 s instead of 28: with at most
   * IN_FLIGHT photos in the pipeline, the classifiers and the decoder
   * wait on each detection, so its latency sets the pace. */
  g_string_append_printf (s, "ovdetect nireq=1 "
      "model=\"%s/ssd_mobilenetv1.onnx\" "
      "model-proc=\"%s/ssd_mobilenetv1.json\" ! ", d, d);
  g_string_append_printf (s, "ovclassify model=\"%s/face_landmark_68.onnx\" "
      "model-proc=\"%s/face_landmark_68.json\" ! ", d, d);
  g_string_append_printf (s, "ovclassify model=\"%s/face_recognition.onnx\" "
      "model-proc=\"%s/face_recognition.json\" ! ", d, d);
  if (a->with_attributes) {
    g_string_append_printf (s, "ovclassify model=\"%s/age_gender.onnx\" "
        "model-proc=\"%s/age_gender.json\" ! ", d, d);
    g_string_append_printf (s, "ovclassify model=\"%s/face_expression.onnx\" "
        "model-proc=\"%s/face_expression.json\" ! ", d, d);
  }
  g_string_append (s, "appsink name=sink sync=false max-buffers=0");
  return g_string_free (s, FALSE);
}

static void
run_stop (Run *r)
{
  if (r->pipeline) {
    gst_element_set_state (r->pipeline, GST_STATE_NULL);
    gst_object_unref (r->src);
    gst_object_unref (r->sink);
    gst_object_unref (r->bus);
    gst_object_unref (r->pipeline);
    r->pipeline = NULL;
  }
}

static gboolean
run_start (Run *r, PhotoKind kind, GError **error)
{
  char *desc = describe (r->a, kind);
  GError *err = NULL;
  /* A missing element still gives a (partial) pipeline, with the error. */
  GstElement *p = gst_parse_launch (desc, &err);

  g_free (desc);
  if (err) {
    g_propagate_error (error, err);
    if (p)
      gst_object_unref (p);
    return FALSE;
  }
  r->pipeline = p;
  r->src = GST_APP_SRC (gst_bin_get_by_name (GST_BIN (p), "src"));
  r->sink = GST_APP_SINK (gst_bin_get_by_name (GST_BIN (p), "sink"));
  r->bus = gst_element_get_bus (p);
  if (gst_element_set_state (p, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    GstMessage *m = gst_bus_pop_filtered (r->bus, GST_MESSAGE_ERROR);
    if (m) {
      gst_message_parse_error (m, error, NULL);
      gst_message_unref (m);
    } else {
      g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_STATE_CHANGE,
          "the face pipeline does not start");
    }
    run_stop (r);
    return FALSE;
  }
  return TRUE;
}

static void
report_error (Run *r, guint index, const char *msg)
{
  OvFaceResult res = { 0 };
  res.path = r->paths[index];
  res.user_data = r->datas ? r->datas[index] : NULL;
  res.error = (char *) msg;
  r->func (&res, r->user_data);
}

/* Reads the photo; FALSE (reported) if it cannot be read any more. */
static gboolean
load (Run *r, Pending *pd)
{
  GError *err = NULL;
  char *contents;
  gsize len;

  if (pd->data)
    return TRUE;
  if (!g_file_get_contents (r->paths[pd->index], &contents, &len, &err)) {
    report_error (r, pd->index, err->message);
    g_error_free (err);
    return FALSE;
  }
  pd->data = g_bytes_new_take (contents, len);
  return TRUE;
}

static void
push (Run *r, Pending *pd)
{
  GstBuffer *b = gst_buffer_new_wrapped_bytes (pd->data);
  GST_BUFFER_PTS (b) = pd->index * GST_SECOND;
  GST_BUFFER_DURATION (b) = GST_SECOND;
  gst_app_src_push_buffer (r->src, b);
}


static void
pending_free (Pending *pd)
{
  if (pd->data)
    g_bytes_unref (pd->data);
  g_free (pd);
}

/* The oldest photo in flight produced nothing. */
static void
fail_oldest (Run *r, const char *why)
{
  Pending *pd = g_queue_pop_head (&r->pending);
  char *msg = g_strdup_printf ("cannot decode the photo%s%s",
      why ? ": " : "", why ? why : "");
  report_error (r, pd->index, msg);
  g_free (msg);
  pending_free (pd);
}

static double
get_double (const GstStructure *s, const char *field, double fallback)
{
  double v;
  return s && gst_structure_get_double (s, field, &v) ? v : fallback;
}

static void
read_face (GstVideoRegionOfInterestMeta *roi, int w, int h, OvFace *f)
{
  GstStructure *det = gst_video_region_of_interest_meta_get_param (roi,
      "detection");
  GstStructure *desc = gst_video_region_of_interest_meta_get_param (roi,
      "face_descriptor");
  GstStructure *age = gst_video_region_of_interest_meta_get_param (roi, "age");
  GstStructure *gender = gst_video_region_of_interest_meta_get_param (roi,
      "gender");
  GstStructure *expr = gst_video_region_of_interest_meta_get_param (roi,
      "emotion");

  memset (f, 0, sizeof *f);
  if (det && gst_structure_has_field (det, "x_min")) {
    double x0 = get_double (det, "x_min", 0) * w;
    double y0 = get_double (det, "y_min", 0) * h;
    f->x = x0;
    f->y = y0;
    f->w = get_double (det, "x_max", 0) * w - x0;
    f->h = get_double (det, "y_max", 0) * h - y0;
  } else {
    f->x = roi->x;
    f->y = roi->y;
    f->w = roi->w;
    f->h = roi->h;
  }
  f->score = get_double (det, "confidence", 0.0);
  if (desc) {
    gsize size = 0;
    const float *d = gst_ov_tensor_structure_get_data (desc, &size);
    if (d && size == sizeof f->descriptor) {
      memcpy (f->descriptor, d, size);
      f->has_descriptor = TRUE;
    }
  }
  f->age = -1.0;
  if (age && gst_structure_get_string (age, "label"))
    f->age = g_ascii_strtod (gst_structure_get_string (age, "label"), NULL);
  if (gender && gst_structure_get_string (gender, "label")) {
    f->gender = g_strdup (gst_structure_get_string (gender, "label"));
    f->gender_confidence = get_double (gender, "confidence", 0.0);
  }
  if (expr && gst_structure_get_string (expr, "label"))
    f->expression = g_strdup (gst_structure_get_string (expr, "label"));
}

/* A frame came out: photos in flight before it were dropped by the
 * decoder; this one gets its faces. */
static void
take_sample (Run *r, GstSample *sample)
{
  GstBuffer *buf = gst_sample_get_buffer (sample);
  GstCaps *caps = gst_sample_get_caps (sample);
  guint index = (guint) (GST_BUFFER_PTS (buf) / GST_SECOND);
  GstVideoInfo info;
  OvFaceResult res = { 0 };
  Pending *pd;
  gpointer state = NULL;
  GstMeta *m;

  while ((pd = g_queue_peek_head (&r->pending)) && pd->index != index)
    fail_oldest (r, r->last_warning);
  if (pd == NULL)
    return;                     /* not ours (cannot happen) */
  g_queue_pop_head (&r->pending);
  gst_video_info_from_caps (&info, caps);
  res.path = r->paths[index];
  res.user_data = r->datas ? r->datas[index] : NULL;
  res.width = GST_VIDEO_INFO_WIDTH (&info);
  res.height = GST_VIDEO_INFO_HEIGHT (&info);
  res.faces = g_array_new (FALSE, TRUE, sizeof (OvFace));
  g_array_set_clear_func (res.faces, (GDestroyNotify) face_clear);
  while ((m = gst_buffer_iterate_meta_filtered (buf, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    OvFace f;
    read_face ((GstVideoRegionOfInterestMeta *) m, res.width, res.height, &f);
    g_array_append_val (res.faces, f);
  }
  r->func (&res, r->user_data);
  g_array_unref (res.faces);
  pending_free (pd);
}

/* Runs the photos of one kind through one pipeline. */
static gboolean
run_kind (Run *r, PhotoKind kind, GPtrArray *todo, GError **error)
{
  guint next = 0;
  gboolean eos_sent = FALSE;

  if (todo->len == 0)
    return TRUE;
  if (!run_start (r, kind, error))
    return FALSE;
  while (next < todo->len || !g_queue_is_empty (&r->pending)) {
    GstSample *sample;
    GstMessage *msg;

    while (next < todo->len && g_queue_get_length (&r->pending) < IN_FLIGHT) {
      /* The queue takes the entry over. */
      Pending *pd = g_ptr_array_index (todo, next);
      g_ptr_array_index (todo, next++) = NULL;
      if (!load (r, pd)) {
        pending_free (pd);
        continue;
      }
      g_queue_push_tail (&r->pending, pd);
      push (r, pd);
    }
    if (next == todo->len && !eos_sent) {
      gst_app_src_end_of_stream (r->src);
      eos_sent = TRUE;
    }
    sample = gst_app_sink_try_pull_sample (r->sink, 50 * GST_MSECOND);
    if (sample) {
      take_sample (r, sample);
      gst_sample_unref (sample);
      /* A warning explains only the drops before this frame. */
      g_clear_pointer (&r->last_warning, g_free);
    } else if (gst_app_sink_is_eos (r->sink)) {
      while (!g_queue_is_empty (&r->pending))
        fail_oldest (r, r->last_warning);
    }
    while ((msg = gst_bus_pop_filtered (r->bus,
                GST_MESSAGE_ERROR | GST_MESSAGE_WARNING))) {
      GError *err = NULL;
      if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_WARNING) {
        gst_message_parse_warning (msg, &err, NULL);
        g_free (r->last_warning);
        r->last_warning = g_strdup (err->message);
        g_clear_error (&err);
        gst_message_unref (msg);
        continue;
      }
      gst_message_parse_error (msg, &err, NULL);
      gst_message_unref (msg);
      /* The models loaded when the pipeline started, so a photo broke
       * it: fail the oldest in flight, restart and send the others
       * again. Each error costs one photo, so this ends. */
      run_stop (r);
      if (!g_queue_is_empty (&r->pending))
        fail_oldest (r, err->message);
      g_clear_error (&err);
      if (!run_start (r, kind, error))
        return FALSE;
      eos_sent = FALSE;
      for (GList *l = r->pending.head; l; l = l->next)
        push (r, l->data);
      break;
    }
  }
  run_stop (r);
  return TRUE;
}

gboolean
ov_face_analyzer_run (OvFaceAnalyzer *a, const char *const *paths,
    gpointer *datas, guint n, OvFaceResultFunc func, gpointer user_data,
    GError **error)
{
  Run r = { 0 };
  GPtrArray *todo[2];
  gboolean ok = TRUE;

  r.a = a;
  r.paths = paths;
  r.datas = datas;
  r.func = func;
  r.user_data = user_data;
  g_queue_init (&r.pending);
  /* Entries move from todo to the pending queue as they are sent. */
  for (int k = 0; k < 2; k++)
    todo[k] = g_ptr_array_new ();
  for (guint i = 0; i < n; i++) {
    guint8 head[8] = { 0 };
    gsize got = 0;
    FILE *f = fopen (paths[i], "rb");
    PhotoKind kind;
    Pending *pd;
    if (f == NULL) {
      char *msg = g_strdup_printf ("cannot open: %s", g_strerror (errno));
      report_error (&r, i, msg);
      g_free (msg);
      continue;
    }
    got = fread (head, 1, sizeof head, f);
    fclose (f);
    kind = kind_of (head, got);
    if (kind == KIND_OTHER) {
      report_error (&r, i, "not a JPEG or PNG file");
      continue;
    }
    pd = g_new0 (Pending, 1);
    pd->index = i;
    g_ptr_array_add (todo[kind], pd);
  }
  for (int k = 0; k < 2 && ok; k++) {
    ok = run_kind (&r, (PhotoKind) k, todo[k], error);
    g_queue_clear_full (&r.pending, (GDestroyNotify) pending_free);
  }
  for (int k = 0; k < 2; k++) {
    for (guint i = 0; i < todo[k]->len; i++)
      if (g_ptr_array_index (todo[k], i))
        pending_free (g_ptr_array_index (todo[k], i));
    g_ptr_array_unref (todo[k]);
  }
  g_free (r.last_warning);
  return ok;
}

const OvFace *
ov_face_result_largest (const OvFaceResult *r)
{
  const OvFace *best = NULL;
  for (guint i = 0; r->faces && i < r->faces->len; i++) {
    const OvFace *f = &g_array_index (r->faces, OvFace, i);
    if (best == NULL || f->w * f->h > best->w * best->h)
      best = f;
  }
  return best;
}
