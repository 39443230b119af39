/* ovi-gallery: manage the face gallery ovidentify reads.
 *
 *   ovi-gallery --db PATH add NAME PHOTO...   enrol faces from photos
 *   ovi-gallery --db PATH list                persons and face counts
 *   ovi-gallery --db PATH rename OLD NEW
 *   ovi-gallery --db PATH remove NAME
 *   ovi-gallery --db PATH export FILE.json
 *   ovi-gallery --db PATH import FILE.json
 *
 * `add` runs the face pipeline (detector, optional landmarks, recognition
 * from --models DIR) on each photo and enrols the largest face; all
 * photos or none. Exit codes: 0 done, 1 failed (no face, unknown person,
 * name taken, bad file), 2 usage, 3 database corrupt, 4 database locked. */
#include <gst/gst.h>
#include <gst/video/video.h>
#include <string.h>

#include "gstovmeta.h"
#include "ovgallery.h"

enum {
  EXIT_OK = 0,
  EXIT_FAILED = 1,
  EXIT_USAGE = 2,
  EXIT_CORRUPT = 3,
  EXIT_LOCKED = 4,
};

#define DESCRIPTOR_TENSOR "face_descriptor"
/* A still decodes in well under this; a stuck pipeline must not hang. */
#define PHOTO_TIMEOUT (60 * GST_SECOND)

static char *opt_db = NULL;
static char *opt_models = NULL;
static int opt_busy_timeout = OV_GALLERY_DEFAULT_BUSY_TIMEOUT_MS;

static const GOptionEntry entries[] = {
  { "db", 'd', 0, G_OPTION_ARG_FILENAME, &opt_db,
      "The gallery database (created by add and import)", "PATH" },
  { "models", 'm', 0, G_OPTION_ARG_FILENAME, &opt_models,
      "Face models for add: ssd_mobilenetv1, face_landmark_68 (optional), "
      "face_recognition .onnx/.json (default models/faceapi)", "DIR" },
  { "busy-timeout", 0, 0, G_OPTION_ARG_INT, &opt_busy_timeout,
      "Milliseconds to wait for another process's lock (default 5000)",
      "MS" },
  { NULL }
};

static int
fail (GError *error)
{
  int code = EXIT_FAILED;
  g_printerr ("ovi-gallery: %s\n", error->message);
  if (g_error_matches (error, OV_GALLERY_ERROR, OV_GALLERY_ERROR_CORRUPT))
    code = EXIT_CORRUPT;
  else if (g_error_matches (error, OV_GALLERY_ERROR, OV_GALLERY_ERROR_LOCKED))
    code = EXIT_LOCKED;
  g_error_free (error);
  return code;
}

/* ---- add: the face pipeline ------------------------------------------- */

typedef struct {
  float *descriptor;
  guint dim;
  OvGalleryBox box;
  double area;
} Face;

static void
keep_largest_face (GstElement *sink, GstBuffer *buf, GstPad *pad,
    gpointer data)
{
  Face *best = data;
  gpointer state = NULL;
  GstMeta *m;

  while ((m = gst_buffer_iterate_meta_filtered (buf, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    GstVideoRegionOfInterestMeta *roi = (GstVideoRegionOfInterestMeta *) m;
    GstStructure *s = gst_video_region_of_interest_meta_get_param (roi,
        DESCRIPTOR_TENSOR);
    double area = (double) roi->w * roi->h;
    gconstpointer values;
    gint precision;
    gsize size;

    if (s == NULL || area <= best->area
        || !gst_structure_get_int (s, "precision", &precision)
        || precision != GST_OV_PRECISION_FP32)
      continue;
    values = gst_ov_tensor_structure_get_data (s, &size);
    if (values == NULL || size == 0 || size % 4 != 0)
      continue;
    g_free (best->descriptor);
    best->descriptor = g_memdup2 (values, size);
    best->dim = size / 4;
    best->box = (OvGalleryBox) { roi->x, roi->y, roi->w, roi->h };
    best->area = area;
  }
}

static char *
model_file (const char *name, const char *ext)
{
  char *file = g_strconcat (name, ext, NULL);
  char *path = g_build_filename (opt_models, file, NULL);
  g_free (file);
  return path;
}

/* Sets model= (required) and model-proc= (if the JSON exists). */
static gboolean
set_model (GstElement *pipeline, const char *element, const char *name,
    GError **error)
{
  GstElement *e = gst_bin_get_by_name (GST_BIN (pipeline), element);
  char *onnx = model_file (name, ".onnx"), *json = model_file (name, ".json");
  gboolean ok = g_file_test (onnx, G_FILE_TEST_IS_REGULAR);

  if (ok) {
    g_object_set (e, "model", onnx, NULL);
    if (g_file_test (json, G_FILE_TEST_IS_REGULAR))
      g_object_set (e, "model-proc", json, NULL);
  } else {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
        "model %s not found (see --models)", onnx);
  }
  gst_object_unref (e);
  g_free (onnx);
  g_free (json);
  return ok;
}

/* The largest face in `photo`: descriptor and box; FALSE with an error
 * naming the photo if it cannot be decoded or shows no face. */
static gboolean
face_from_photo (const char *photo, Face *face, GError **error)
{
  char *landmarks = model_file ("face_landmark_68", ".onnx");
  gboolean with_landmarks = g_file_test (landmarks, G_FILE_TEST_IS_REGULAR);
  char *desc = g_strdup_printf ("filesrc name=src ! decodebin ! videoconvert "
      "! ovdetect name=detect %s ! ovclassify name=recognize "
      "! fakesink name=sink signal-handoffs=true sync=false",
      with_landmarks ? "! ovclassify name=landmarks" : "");
  GstElement *pipeline, *e;
  GstBus *bus;
  GstMessage *msg;
  gboolean ok = FALSE;

  memset (face, 0, sizeof *face);
  g_free (landmarks);
  if (!g_file_test (photo, G_FILE_TEST_IS_REGULAR)) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
        "photo %s: no such file", photo);
    g_free (desc);
    return FALSE;
  }
  pipeline = gst_parse_launch (desc, error);
  g_free (desc);
  if (pipeline == NULL) {
    g_prefix_error (error, "photo %s: cannot build the face pipeline "
        "(is the ovi plugin on GST_PLUGIN_PATH?): ", photo);
    return FALSE;
  }
  if (!set_model (pipeline, "detect", "ssd_mobilenetv1", error)
      || (with_landmarks && !set_model (pipeline, "landmarks",
              "face_landmark_68", error))
      || !set_model (pipeline, "recognize", "face_recognition", error)) {
    gst_object_unref (pipeline);
    return FALSE;
  }
  e = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  g_object_set (e, "location", photo, NULL);
  gst_object_unref (e);
  e = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  g_signal_connect (e, "handoff", G_CALLBACK (keep_largest_face), face);
  gst_object_unref (e);

  bus = gst_element_get_bus (pipeline);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (bus, PHOTO_TIMEOUT,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  if (msg == NULL) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_FAILED,
        "photo %s: no result within %d s", photo,
        (int) (PHOTO_TIMEOUT / GST_SECOND));
  } else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    GError *err = NULL;
    gst_message_parse_error (msg, &err, NULL);
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE,
        "photo %s: cannot be read: %s", photo, err->message);
    g_error_free (err);
  } else if (face->descriptor == NULL) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND,
        "photo %s: no face found", photo);
  } else {
    ok = TRUE;
  }
  if (msg)
    gst_message_unref (msg);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
  if (!ok)
    g_clear_pointer (&face->descriptor, g_free);
  return ok;
}

static int
cmd_add (OvGallery *gallery, const char *name, char **photos, int n)
{
  Face *faces = g_new0 (Face, n);
  OvGalleryNewFace *news = g_new0 (OvGalleryNewFace, n);
  GError *error = NULL;
  int code = EXIT_OK;

  /* Every photo first: one bad photo adds nothing. */
  for (int i = 0; i < n && code == EXIT_OK; i++) {
    if (!face_from_photo (photos[i], &faces[i], &error)) {
      code = fail (error);
    } else {
      news[i] = (OvGalleryNewFace) { faces[i].descriptor, faces[i].dim,
        photos[i], &faces[i].box };
    }
  }
  if (code == EXIT_OK) {
    if (ov_gallery_enrol (gallery, name, news, n, &error) == 0)
      code = fail (error);
    else
      g_print ("%s: added %d face%s\n", name, n, n == 1 ? "" : "s");
  }
  for (int i = 0; i < n; i++)
    g_free (faces[i].descriptor);
  g_free (faces);
  g_free (news);
  return code;
}

/* ---- the other commands ------------------------------------------------ */

static int
cmd_list (OvGallery *gallery)
{
  GError *error = NULL;
  GPtrArray *persons = ov_gallery_list_persons (gallery, &error);
  if (persons == NULL)
    return fail (error);
  /* NAME <tab> FACES: easy to read and to cut. */
  for (guint i = 0; i < persons->len; i++) {
    OvGalleryPerson *p = g_ptr_array_index (persons, i);
    g_print ("%s\t%u\n", p->name, p->n_faces);
  }
  g_ptr_array_unref (persons);
  return EXIT_OK;
}

static int
usage (GOptionContext *context, const char *message)
{
  char *help = g_option_context_get_help (context, TRUE, NULL);
  if (message)
    g_printerr ("ovi-gallery: %s\n\n", message);
  g_printerr ("%s", help);
  g_free (help);
  return EXIT_USAGE;
}

typedef struct {
  const char *name;
  int min_args, max_args;       /* after the command; -1: any */
  gboolean creates;             /* may create the database */
} Command;

static const Command commands[] = {
  { "add", 2, -1, TRUE },
  { "list", 0, 0, FALSE },
  { "rename", 2, 2, FALSE },
  { "remove", 1, 1, FALSE },
  { "export", 1, 1, FALSE },
  { "import", 1, 1, TRUE },
};

int
main (int argc, char **argv)
{
  GOptionContext *context = g_option_context_new ("COMMAND [ARGS...]");
  GError *error = NULL;
  const Command *cmd = NULL;
  OvGallery *gallery;
  int code = EXIT_OK, nargs;

  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_summary (context,
      "Manage the face gallery that ovidentify reads. Commands:\n"
      "  add NAME PHOTO...   enrol the largest face of each photo\n"
      "  list                persons and their face counts (NAME<TAB>FACES)\n"
      "  rename OLD NEW      rename a person\n"
      "  remove NAME         remove a person and their faces\n"
      "  export FILE.json    write the gallery as JSON\n"
      "  import FILE.json    merge a JSON gallery (ours or gvaidentify's)");
  g_option_context_set_description (context, "Exit status: 0 done, "
      "1 failed, 2 usage, 3 database corrupt, 4 database locked.");
  g_option_context_add_group (context, gst_init_get_option_group ());
  if (!g_option_context_parse (context, &argc, &argv, &error)) {
    code = usage (context, error->message);
    g_error_free (error);
    goto out;
  }
  if (argc < 2) {
    code = usage (context, "no command given");
    goto out;
  }
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (strcmp (argv[1], commands[i].name) == 0)
      cmd = &commands[i];
  nargs = argc - 2;
  if (cmd == NULL) {
    char *m = g_strdup_printf ("unknown command \"%s\"", argv[1]);
    code = usage (context, m);
    g_free (m);
    goto out;
  }
  if (nargs < cmd->min_args || (cmd->max_args >= 0 && nargs > cmd->max_args)) {
    char *m = g_strdup_printf ("wrong number of arguments for %s", cmd->name);
    code = usage (context, m);
    g_free (m);
    goto out;
  }
  if (opt_db == NULL) {
    code = usage (context, "--db PATH is required");
    goto out;
  }
  if (opt_models == NULL)
    opt_models = g_strdup ("models/faceapi");

  gallery = ov_gallery_open (opt_db, cmd->creates ? OV_GALLERY_OPEN_CREATE
      : OV_GALLERY_OPEN_DEFAULT, &error);
  if (gallery == NULL) {
    code = fail (error);
    goto out;
  }
  ov_gallery_set_busy_timeout (gallery, opt_busy_timeout);
  if (strcmp (cmd->name, "add") == 0) {
    code = cmd_add (gallery, argv[2], argv + 3, nargs - 1);
  } else if (strcmp (cmd->name, "list") == 0) {
    code = cmd_list (gallery);
  } else if (strcmp (cmd->name, "rename") == 0) {
    if (!ov_gallery_rename_person (gallery, argv[2], argv[3], &error))
      code = fail (error);
  } else if (strcmp (cmd->name, "remove") == 0) {
    if (!ov_gallery_remove_person (gallery, argv[2], &error))
      code = fail (error);
  } else if (strcmp (cmd->name, "export") == 0) {
    if (!ov_gallery_export_file (gallery, argv[2], &error))
      code = fail (error);
  } else {
    guint added = 0;
    if (!ov_gallery_import_file (gallery, argv[2], &added, &error))
      code = fail (error);
    else
      g_print ("imported %u face%s\n", added, added == 1 ? "" : "s");
  }
  ov_gallery_close (gallery);

out:
  g_option_context_free (context);
  g_free (opt_db);
  g_free (opt_models);
  return code;
}
