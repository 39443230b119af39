/* ovidentify: names from a gallery for known descriptors, unknown beyond
 * the threshold, both metrics, which tensor is the descriptor, votes over
 * tracked faces, gallery errors at start, a gallery changed while
 * playing, state cycling, and the identity in ovmetaconvert's JSON;
 * presence events (appeared / left) on frames, on the bus and at EOS. */
#include "ovtest.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "gstovmeta.h"
#include "ovgallery.h"

#define DIM 128

static char *tmp_dir;

/* A unit descriptor along `axis`, with `off` along axis + 1: at distance
 * about `off` from the plain axis descriptor. */
static void
axis_descriptor (float *d, int axis, float off)
{
  memset (d, 0, DIM * sizeof (float));
  d[axis] = 1.0f;
  d[(axis + 1) % DIM] += off;
}

/* A gallery with Ann (axis 0, two faces) and Bob (axis 10). */
static char *
make_gallery (const char *name, gint64 *ann, gint64 *bob)
{
  char *path = g_build_filename (tmp_dir, name, NULL);
  GError *error = NULL;
  OvGallery *g;
  float a[DIM], a2[DIM], b[DIM];
  OvGalleryNewFace ann_faces[2] = { { a, DIM, "ann1.jpg", NULL },
    { a2, DIM, "ann2.jpg", NULL } };
  OvGalleryNewFace bob_face = { b, DIM, "bob.jpg", NULL };
  gint64 id;

  g_remove (path);
  g = ov_gallery_open (path, OV_GALLERY_OPEN_CREATE, &error);
  g_assert_no_error (error);
  axis_descriptor (a, 0, 0.0f);
  axis_descriptor (a2, 0, 0.1f);
  axis_descriptor (b, 10, 0.0f);
  id = ov_gallery_enrol (g, "Ann", ann_faces, 2, &error);
  g_assert_no_error (error);
  if (ann)
    *ann = id;
  id = ov_gallery_enrol (g, "Bob", &bob_face, 1, &error);
  g_assert_no_error (error);
  if (bob)
    *bob = id;
  ov_gallery_close (g);
  return path;
}

static void
add_tensor (GstVideoRegionOfInterestMeta *roi, const char *name,
    const char *model, const float *d, guint dim)
{
  gint64 dims[2] = { 1, dim };
  gst_video_region_of_interest_meta_add_param (roi,
      gst_ov_tensor_structure_new (name, "output", model,
          GST_OV_PRECISION_FP32, GST_OV_LAYOUT_NC, dims, 2, d,
          dim * sizeof (float), "raw"));
}

/* A face ROI with a descriptor (NULL: none) and an object id (-1: none). */
static GstVideoRegionOfInterestMeta *
add_face (GstBuffer *buf, int x, const float *d, gint object_id)
{
  GstVideoRegionOfInterestMeta *roi = gst_ov_add_detection (buf, 320, 240,
      x, 20, x + 40, 70, 0.9, 1, "face");
  g_assert_nonnull (roi);
  if (d)
    add_tensor (roi, "face_descriptor", "face_recognition", d, DIM);
  if (object_id >= 0)
    gst_ov_roi_set_object_id (roi, object_id);
  return roi;
}

static GstBuffer *
frame (void)
{
  GstVideoInfo info;
  ov_test_video_info (&info, GST_VIDEO_FORMAT_BGRx, 320, 240);
  return ov_test_solid_frame (&info, 10, 10, 10);
}

static GstHarness *
harness (const char *props, GstBus *bus)
{
  GstVideoInfo info;
  char *launch = g_strdup_printf ("ovidentify %s", props);
  GstElement *e = gst_parse_launch (launch, NULL);
  GstHarness *h;

  g_assert_nonnull (e);
  if (bus)
    gst_element_set_bus (e, bus);
  h = gst_harness_new_with_element (e, "sink", "src");
  gst_object_unref (e);
  ov_test_video_info (&info, GST_VIDEO_FORMAT_BGRx, 320, 240);
  {
    GstCaps *caps = gst_video_info_to_caps (&info);
    gst_harness_set_src_caps (h, caps);
  }
  g_free (launch);
  return h;
}

/* The ROI's identity: its label (NULL if none) and fields. */
static const char *
identity_of (GstVideoRegionOfInterestMeta *roi, double *confidence,
    gint *label_id, gint64 *person_id, guint *votes)
{
  GstStructure *s = gst_video_region_of_interest_meta_get_param (roi,
      "identity");
  if (s == NULL)
    return NULL;
  if (confidence)
    g_assert_true (gst_structure_get_double (s, "confidence", confidence));
  if (label_id)
    g_assert_true (gst_structure_get_int (s, "label_id", label_id));
  if (person_id)
    g_assert_true (gst_structure_get_int64 (s, "person_id", person_id));
  if (votes)
    g_assert_true (gst_structure_get_uint (s, "votes", votes));
  return gst_structure_get_string (s, "label");
}

/* ---- tests ------------------------------------------------------------- */

static void
test_known_and_unknown (void)
{
  gint64 ann, bob;
  char *path = make_gallery ("known.db", &ann, &bob);
  char *props = g_strdup_printf ("gallery=%s", path);
  GstHarness *h = harness (props, NULL);
  GstBuffer *buf = frame (), *out;
  float near_ann[DIM], near_bob[DIM], stranger[DIM];
  double conf;
  gint label_id;
  gint64 person;

  axis_descriptor (near_ann, 0, 0.3f);  /* 0.2 from Ann's second face */
  axis_descriptor (near_bob, 10, 0.5f);
  axis_descriptor (stranger, 50, 0.0f); /* sqrt(2) from everyone */
  add_face (buf, 10, near_ann, -1);
  add_face (buf, 100, near_bob, -1);
  add_face (buf, 200, stranger, -1);
  out = gst_harness_push_and_pull (h, buf);

  g_assert_cmpstr (identity_of (ov_test_nth_roi (out, 0), &conf, &label_id,
          &person, NULL), ==, "Ann");
  g_assert_cmpint (label_id, ==, ann);
  g_assert_cmpint (person, ==, ann);
  g_assert_cmpfloat_with_epsilon (conf, 0.8, 1e-5);
  g_assert_cmpstr (identity_of (ov_test_nth_roi (out, 1), &conf, &label_id,
          &person, NULL), ==, "Bob");
  g_assert_cmpint (person, ==, bob);
  g_assert_cmpfloat_with_epsilon (conf, 0.5, 1e-5);
  g_assert_cmpstr (identity_of (ov_test_nth_roi (out, 2), &conf, &label_id,
          &person, NULL), ==, "unknown");
  g_assert_cmpint (label_id, ==, -1);
  g_assert_cmpint (person, ==, 0);
  g_assert_cmpfloat (conf, ==, 0.0);    /* 1 - sqrt(2), clipped */
  gst_buffer_unref (out);
  gst_harness_teardown (h);

  /* A stricter threshold: Ann at 0.2 is unknown, Ann's own face is not. */
  g_free (props);
  props = g_strdup_printf ("gallery=%s threshold=0.1", path);
  h = harness (props, NULL);
  buf = frame ();
  add_face (buf, 10, near_ann, -1);
  axis_descriptor (near_ann, 0, 0.05f);
  add_face (buf, 100, near_ann, -1);
  out = gst_harness_push_and_pull (h, buf);
  g_assert_cmpstr (identity_of (ov_test_nth_roi (out, 0), NULL, NULL, NULL,
          NULL), ==, "unknown");
  g_assert_cmpstr (identity_of (ov_test_nth_roi (out, 1), NULL, NULL, NULL,
          NULL), ==, "Ann");
  gst_buffer_unref (out);
  gst_harness_teardown (h);
  g_free (props);
  g_free (path);
}

static void
test_cosine (void)
{
  char *path = make_gallery ("cosine.db", NULL, NULL);
  char *props = g_strdup_printf ("gallery=%s metric=cosine", path);
  GstHarness *h = harness (props, NULL);
  GstBuffer *buf = frame (), *out;
  float scaled[DIM], tilted[DIM];
  double conf;

  /* Bob three times as long: the same direction. */
  axis_descriptor (scaled, 10, 0.0f);
  scaled[10] = 3.0f;
  /* 45 degrees off Ann's first face, (1, 1): cosine distance 0.29, and
   * 0.23 from her second, (1, 0.1); both beyond the default 0.2. */
  axis_descriptor (tilted, 0, 1.0f);
  add_face (buf, 10, scaled, -1);
  add_face (buf, 100, tilted, -1);
  out = gst_harness_push_and_pull (h, buf);
  g_assert_cmpstr (identity_of (ov_test_nth_roi (out, 0), &conf, NULL, NULL,
          NULL), ==, "Bob");
  g_assert_cmpfloat_with_epsilon (conf, 1.0, 1e-6);
  g_assert_cmpstr (identity_of (ov_test_nth_roi (out, 1), &conf, NULL, NULL,
          NULL), ==, "unknown");
  /* Nearest is Ann's second face (0, 0.1 off): cos = 1.1 / sqrt(2 * 1.01). */
  g_assert_cmpfloat_with_epsilon (conf, 1.1 / sqrt (2 * 1.01), 1e-5);
  gst_buffer_unref (out);
  gst_harness_teardown (h);

  /* Euclidean calls the long Bob unknown (2 away). */
  g_free (props);
  props = g_strdup_printf ("gallery=%s metric=euclidean", path);
  h = harness (props, NULL);
  buf = frame ();
  add_face (buf, 10, scaled, -1);
  out = gst_harness_push_and_pull (h, buf);
  g_assert_cmpstr (identity_of (ov_test_nth_roi (out, 0), NULL, NULL, NULL,
          NULL), ==, "unknown");
  gst_buffer_unref (out);
  gst_harness_teardown (h);

  /* A looser cosine threshold names the tilted face. */
  g_free (props);
  props = g_strdup_printf ("gallery=%s metric=cosine threshold=0.35", path);
  h = harness (props, NULL);
  buf = frame ();
  add_face (buf, 10, tilted, -1);
  out = gst_harness_push_and_pull (h, buf);
  g_assert_cmpstr (identity_of (ov_test_nth_roi (out, 0), NULL, NULL, NULL,
          NULL), ==, "Ann");
  gst_buffer_unref (out);
  gst_harness_teardown (h);
  g_free (props);
  g_free (path);
}

/* Which tensor is the descriptor: by name, else the only FP32 tensor of
 * a gallery descriptor's size; `model` filters by model name. */
static void
test_tensor_selection (void)
{
  char *path = make_gallery ("tensors.db", NULL, NULL);
  char *props = g_strdup_printf ("gallery=%s", path);
  GstHarness *h = harness (props, NULL);
  GstBuffer *buf = frame (), *out;
  GstVideoRegionOfInterestMeta *roi;
  float ann[DIM], bob[DIM], other[16] = { 0 };

  axis_descriptor (ann, 0, 0.0f);
  axis_descriptor (bob, 10, 0.0f);
  /* Unnamed raw output (ovclassify without attribute_name) + a landmark
   * tensor of another size. */
  roi = add_face (buf, 10, NULL, -1);
  add_tensor (roi, "landmarks", "face_landmark_68", other, 16);
  add_tensor (roi, "classification_layer_name:output", "face_recognition",
      bob, DIM);
  /* The named tensor wins over another 128-value one. */
  roi = add_face (buf, 100, NULL, -1);
  add_tensor (roi, "classification_layer_name:x", "other", bob, DIM);
  add_tensor (roi, "face_descriptor", "face_recognition", ann, DIM);
  out = gst_harness_push_and_pull (h, buf);
  g_assert_cmpstr (identity_of (ov_test_nth_roi (out, 0), NULL, NULL, NULL,
          NULL), ==, "Bob");
  g_assert_cmpstr (identity_of (ov_test_nth_roi (out, 1), NULL, NULL, NULL,
          NULL), ==, "Ann");
  gst_buffer_unref (out);
  gst_harness_teardown (h);

  /* tensor-name and model select. */
  g_free (props);
  props = g_strdup_printf ("gallery=%s tensor-name=embedding model=recog",
      path);
  h = harness (props, NULL);
  buf = frame ();
  roi = add_face (buf, 10, NULL, -1);
  add_tensor (roi, "embedding", "other-model", ann, DIM);
  add_tensor (roi, "embedding", "my-recognition-model", bob, DIM);
  out = gst_harness_push_and_pull (h, buf);
  g_assert_cmpstr (identity_of (ov_test_nth_roi (out, 0), NULL, NULL, NULL,
          NULL), ==, "Bob");
  gst_buffer_unref (out);
  gst_harness_teardown (h);
  g_free (props);
  g_free (path);
}

/* No descriptor: one warning (not an error), no identity; two candidate
 * tensors without the named one are ambiguous, hence none. */
static void
test_missing_descriptor (void)
{
  char *path = make_gallery ("missing.db", NULL, NULL);
  char *props = g_strdup_printf ("gallery=%s", path);
  GstBus *bus = gst_bus_new ();
  GstHarness *h = harness (props, bus);
  GstBuffer *buf, *out;
  GstMessage *msg;
  GstVideoRegionOfInterestMeta *roi;
  float ann[DIM];
  guint warnings = 0;

  axis_descriptor (ann, 0, 0.0f);
  for (int i = 0; i < 3; i++) {
    buf = frame ();
    add_face (buf, 10, NULL, -1);
    roi = add_face (buf, 100, NULL, -1);
    add_tensor (roi, "a", "m", ann, DIM);
    add_tensor (roi, "b", "m", ann, DIM);
    out = gst_harness_push_and_pull (h, buf);
    g_assert_null (identity_of (ov_test_nth_roi (out, 0), NULL, NULL, NULL,
            NULL));
    g_assert_null (identity_of (ov_test_nth_roi (out, 1), NULL, NULL, NULL,
            NULL));
    gst_buffer_unref (out);
  }
  while ((msg = gst_bus_pop (bus))) {
    g_assert_cmpint (GST_MESSAGE_TYPE (msg), !=, GST_MESSAGE_ERROR);
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_WARNING) {
      GError *err = NULL;
      char *dbg = NULL;
      gst_message_parse_warning (msg, &err, &dbg);
      g_assert_nonnull (strstr (err->message, "no descriptor"));
      g_assert_nonnull (strstr (dbg, "face_descriptor"));
      g_error_free (err);
      g_free (dbg);
      warnings++;
    }
    gst_message_unref (msg);
  }
  g_assert_cmpuint (warnings, ==, 1);
  gst_harness_teardown (h);
  gst_object_unref (bus);
  g_free (props);
  g_free (path);
}

/* A tracked face: the majority of its last recognitions, kept on frames
 * without a recognition; one noisy recognition does not flip it. */
static void
test_votes (void)
{
  char *path = make_gallery ("votes.db", NULL, NULL);
  char *props = g_strdup_printf ("gallery=%s vote-window=5", path);
  GstHarness *h = harness (props, NULL);
  GstBuffer *buf, *out;
  float ann[DIM], bob[DIM];
  const char *expect[] = { "Ann", "Ann", "Ann", "Ann", "Ann", "Ann" };
  guint votes;

  axis_descriptor (ann, 0, 0.05f);
  axis_descriptor (bob, 10, 0.0f);
  for (int f = 0; f < 6; f++) {
    /* Frames 0-2 Ann, 3 misrecognized as Bob, 4 no descriptor, 5 Ann;
     * object 9 is untracked noise: always its own latest. */
    const float *d = f == 3 ? bob : f == 4 ? NULL : ann;
    buf = frame ();
    add_face (buf, 10, d, 7);
    add_face (buf, 200, f == 3 ? bob : ann, -1);
    out = gst_harness_push_and_pull (h, buf);
    g_assert_cmpstr (identity_of (ov_test_nth_roi (out, 0), NULL, NULL, NULL,
            &votes), ==, expect[f]);
    g_assert_cmpuint (votes, ==, f < 3 ? f + 1 : f == 5 ? 4 : 3);
    g_assert_cmpstr (identity_of (ov_test_nth_roi (out, 1), NULL, NULL, NULL,
            NULL), ==, f == 3 ? "Bob" : "Ann");
    gst_buffer_unref (out);
  }
  gst_harness_teardown (h);

  /* vote-window=1: the latest recognition alone. */
  g_free (props);
  props = g_strdup_printf ("gallery=%s vote-window=1", path);
  h = harness (props, NULL);
  for (int f = 0; f < 3; f++) {
    buf = frame ();
    add_face (buf, 10, f == 1 ? bob : f == 2 ? NULL : ann, 7);
    out = gst_harness_push_and_pull (h, buf);
    g_assert_cmpstr (identity_of (ov_test_nth_roi (out, 0), NULL, NULL, NULL,
            NULL), ==, f == 0 ? "Ann" : "Bob");
    gst_buffer_unref (out);
  }
  gst_harness_teardown (h);
  g_free (props);
  g_free (path);
}

/* Persons enrolled, renamed and removed by another connection while
 * playing are picked up on the next frame. */
static void
test_gallery_changes_while_playing (void)
{
  char *path = make_gallery ("live.db", NULL, NULL);
  char *props = g_strdup_printf ("gallery=%s", path);
  GstHarness *h = harness (props, NULL);
  GstBuffer *buf, *out;
  GError *error = NULL;
  OvGallery *g;
  float carl[DIM];
  OvGalleryNewFace face = { carl, DIM, NULL, NULL };
  const char *expect[] = { "unknown", "Carl", "Carla", "unknown" };

  axis_descriptor (carl, 30, 0.0f);
  g = ov_gallery_open (path, OV_GALLERY_OPEN_DEFAULT, &error);
  g_assert_no_error (error);
  for (int step = 0; step < 4; step++) {
    if (step == 1)
      g_assert_cmpint (ov_gallery_enrol (g, "Carl", &face, 1, &error), >, 0);
    else if (step == 2)
      g_assert_true (ov_gallery_rename_person (g, "Carl", "Carla", &error));
    else if (step == 3)
      g_assert_true (ov_gallery_remove_person (g, "Carla", &error));
    g_assert_no_error (error);
    buf = frame ();
    add_face (buf, 10, carl, -1);
    add_face (buf, 100, carl, 4);     /* tracked: votes follow too */
    out = gst_harness_push_and_pull (h, buf);
    g_assert_cmpstr (identity_of (ov_test_nth_roi (out, 0), NULL, NULL, NULL,
            NULL), ==, expect[step]);
    g_assert_cmpstr (identity_of (ov_test_nth_roi (out, 1), NULL, NULL, NULL,
            NULL), ==, step == 3 ? "unknown" : step == 0 ? "unknown"
        : expect[step]);
    gst_buffer_unref (out);
  }
  ov_gallery_close (g);
  gst_harness_teardown (h);
  g_free (props);
  g_free (path);
}

/* A JSON gallery (ovi-gallery's export) is read into memory at start. */
static void
test_json_gallery (void)
{
  char *path = make_gallery ("for-json.db", NULL, NULL);
  char *json = g_build_filename (tmp_dir, "gallery.json", NULL);
  char *props = g_strdup_printf ("gallery=%s", json);
  GError *error = NULL;
  OvGallery *g = ov_gallery_open (path, OV_GALLERY_OPEN_DEFAULT, &error);
  GstHarness *h;
  GstBuffer *buf, *out;
  float bob[DIM];

  g_assert_true (ov_gallery_export_file (g, json, &error));
  g_assert_no_error (error);
  ov_gallery_close (g);
  h = harness (props, NULL);
  axis_descriptor (bob, 10, 0.1f);
  buf = frame ();
  add_face (buf, 10, bob, -1);
  out = gst_harness_push_and_pull (h, buf);
  g_assert_cmpstr (identity_of (ov_test_nth_roi (out, 0), NULL, NULL, NULL,
          NULL), ==, "Bob");
  gst_buffer_unref (out);
  gst_harness_teardown (h);
  g_remove (json);
  g_free (json);
  g_free (props);
  g_free (path);
}

static void
expect_start_error (const char *props, const char *fragment)
{
  char *launch = g_strdup_printf ("ovidentify %s", props);
  GstElement *e = gst_parse_launch (launch, NULL);
  char *text;
  g_assert_nonnull (e);
  text = ov_test_expect_start_error (e);
  g_assert_nonnull (text);
  if (strstr (text, fragment) == NULL)
    g_error ("\"%s\" not in \"%s\"", fragment, text);
  g_free (text);
  gst_object_unref (e);
  g_free (launch);
}

static void
test_gallery_errors (void)
{
  char *missing = g_build_filename (tmp_dir, "nope.db", NULL);
  char *corrupt = g_build_filename (tmp_dir, "corrupt.db", NULL);
  char *bad_json = g_build_filename (tmp_dir, "bad.json", NULL);
  char *props;

  expect_start_error ("", "No gallery");
  props = g_strdup_printf ("gallery=%s", missing);
  expect_start_error (props, "not found");
  g_assert_false (g_file_test (missing, G_FILE_TEST_EXISTS)); /* not made */
  g_free (props);

  g_assert_true (g_file_set_contents (corrupt, "this is no database, but "
          "long enough to have a header's worth of bytes in it ......", -1,
          NULL));
  props = g_strdup_printf ("gallery=%s", corrupt);
  expect_start_error (props, "database is corrupt");
  g_free (props);

  g_assert_true (g_file_set_contents (bad_json, "{\"format\": \"other\"}", -1,
          NULL));
  props = g_strdup_printf ("gallery=%s", bad_json);
  expect_start_error (props, "not a valid gallery");
  g_free (props);
  g_remove (corrupt);
  g_remove (bad_json);
  g_free (missing);
  g_free (corrupt);
  g_free (bad_json);
}

static void
test_state_cycling (void)
{
  char *path = make_gallery ("cycle.db", NULL, NULL);
  char *launch = g_strdup_printf ("ovidentify gallery=%s", path);
  GstElement *e = gst_parse_launch (launch, NULL);
  float ann[DIM];

  for (int i = 0; i < OV_TEST_STATE_CYCLES; i++) {
    g_assert_cmpint (gst_element_set_state (e, GST_STATE_PLAYING), !=,
        GST_STATE_CHANGE_FAILURE);
    g_assert_cmpint (gst_element_set_state (e, GST_STATE_NULL), ==,
        GST_STATE_CHANGE_SUCCESS);
  }
  gst_object_unref (e);

  /* And through a harness with frames in between, then EOS. */
  axis_descriptor (ann, 0, 0.0f);
  for (int i = 0; i < 3; i++) {
    GstHarness *h = harness (launch + strlen ("ovidentify "), NULL);
    GstBuffer *buf = frame (), *out;
    GstEvent *ev;
    add_face (buf, 10, ann, 1);
    out = gst_harness_push_and_pull (h, buf);
    g_assert_cmpstr (identity_of (ov_test_nth_roi (out, 0), NULL, NULL, NULL,
            NULL), ==, "Ann");
    gst_buffer_unref (out);
    g_assert_true (gst_harness_push_event (h, gst_event_new_eos ()));
    while ((ev = gst_harness_try_pull_event (h))) {
      gboolean eos = GST_EVENT_TYPE (ev) == GST_EVENT_EOS;
      gst_event_unref (ev);
      if (eos)
        break;
    }
    gst_harness_teardown (h);
  }
  g_free (launch);
  g_free (path);
}

/* ovmetaconvert writes the identity like any attribute. */
static void
test_metaconvert_json (void)
{
  char *path = make_gallery ("json-out.db", NULL, NULL);
  char *launch = g_strdup_printf ("ovidentify gallery=%s ! ovmetaconvert",
      path);
  GstVideoInfo info;
  GstHarness *h;
  GstBuffer *buf, *out;
  GstOvJsonMeta *meta;
  JsonParser *parser = json_parser_new ();
  JsonObject *obj, *identity;
  float ann[DIM];

  ov_test_video_info (&info, GST_VIDEO_FORMAT_BGRx, 320, 240);
  h = ov_test_harness (launch, &info);
  axis_descriptor (ann, 0, 0.0f);
  buf = frame ();
  add_face (buf, 10, ann, -1);
  out = gst_harness_push_and_pull (h, buf);
  meta = gst_buffer_get_ov_json_meta (out);
  g_assert_nonnull (meta);
  g_assert_true (json_parser_load_from_data (parser, meta->message, -1, NULL));
  obj = json_array_get_object_element (json_object_get_array_member (
          json_node_get_object (json_parser_get_root (parser)), "objects"), 0);
  identity = json_object_get_object_member (obj, "identity");
  g_assert_nonnull (identity);
  g_assert_cmpstr (json_object_get_string_member (identity, "label"), ==,
      "Ann");
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (identity,
          "confidence"), 1.0, 1e-6);
  g_assert_cmpint (json_object_get_int_member (identity, "label_id"), >, 0);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member
          (identity, "model"), "name"), ==, "json-out.db");
  g_object_unref (parser);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
  g_free (launch);
  g_free (path);
}

/* Regions of other classes are left alone with object-class. */
static void
test_object_class (void)
{
  char *path = make_gallery ("class.db", NULL, NULL);
  char *props = g_strdup_printf ("gallery=%s object-class=face", path);
  GstHarness *h = harness (props, NULL);
  GstBuffer *buf = frame (), *out;
  GstVideoRegionOfInterestMeta *roi;
  float ann[DIM];

  axis_descriptor (ann, 0, 0.0f);
  add_face (buf, 10, ann, -1);
  roi = gst_ov_add_detection (buf, 320, 240, 100, 10, 200, 200, 0.9, 0,
      "person");
  add_tensor (roi, "face_descriptor", "x", ann, DIM);
  out = gst_harness_push_and_pull (h, buf);
  g_assert_cmpstr (identity_of (ov_test_nth_roi (out, 0), NULL, NULL, NULL,
          NULL), ==, "Ann");
  g_assert_null (identity_of (ov_test_nth_roi (out, 1), NULL, NULL, NULL,
          NULL));
  gst_buffer_unref (out);
  gst_harness_teardown (h);
  g_free (props);
  g_free (path);
}


/* ---- presence events ------------------------------------------------------ */

#define FRAME_NS (100 * GST_MSECOND)    /* 10 fps: round times */

/* A frame at index `i` of a 10 fps stream. */
static GstBuffer *
timed_frame (int i)
{
  GstBuffer *buf = frame ();
  GST_BUFFER_PTS (buf) = i * FRAME_NS;
  GST_BUFFER_DURATION (buf) = FRAME_NS;
  return buf;
}

/* "appeared Ann" etc. for each identity_event on the buffer, in order,
 * joined with ", " (empty: none). */
static char *
events_of (GstBuffer *buf)
{
  GString *out = g_string_new (NULL);
  gpointer state = NULL;
  GstMeta *m;

  while ((m = gst_buffer_iterate_meta_filtered (buf, &state,
              GST_OV_TENSOR_META_API_TYPE))) {
    const GstStructure *s = ((GstOvTensorMeta *) m)->data;
    g_assert_true (gst_structure_has_name (s, "identity_event"));
    g_assert_true (gst_ov_structure_is_event (s));
    g_string_append_printf (out, "%s%s %s", out->len ? ", " : "",
        gst_structure_get_string (s, "event"),
        gst_structure_get_string (s, "person"));
  }
  return g_string_free (out, FALSE);
}

/* The same for the ovidentify-event messages waiting on the bus. */
static char *
bus_events (GstBus *bus)
{
  GString *out = g_string_new (NULL);
  GstMessage *msg;

  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT))) {
    const GstStructure *s = gst_message_get_structure (msg);
    if (gst_structure_has_name (s, "ovidentify-event"))
      g_string_append_printf (out, "%s%s %s", out->len ? ", " : "",
          gst_structure_get_string (s, "event"),
          gst_structure_get_string (s, "person"));
    gst_message_unref (msg);
  }
  return g_string_free (out, FALSE);
}

/* The first event structure named `event` on the buffer. */
static const GstStructure *
event_on (GstBuffer *buf, const char *event)
{
  gpointer state = NULL;
  GstMeta *m;
  while ((m = gst_buffer_iterate_meta_filtered (buf, &state,
              GST_OV_TENSOR_META_API_TYPE))) {
    const GstStructure *s = ((GstOvTensorMeta *) m)->data;
    if (g_strcmp0 (gst_structure_get_string (s, "event"), event) == 0)
      return s;
  }
  return NULL;
}

/* Pushes EOS; returns the frame-events event that came before it (NULL
 * if none), and checks EOS followed. */
static GstEvent *
push_eos (GstHarness *h)
{
  GstEvent *ev, *events = NULL;
  gboolean eos = FALSE;

  g_assert_true (gst_harness_push_event (h, gst_event_new_eos ()));
  while (!eos && (ev = gst_harness_try_pull_event (h))) {
    if (gst_ov_frame_events_event_get_events (ev)) {
      g_assert_null (events);
      events = ev;
      continue;
    }
    eos = GST_EVENT_TYPE (ev) == GST_EVENT_EOS;
    gst_event_unref (ev);
  }
  g_assert_true (eos);
  return events;
}

/* Ann comes, misses a few frames (less than leave-after: she stays),
 * goes; Bob comes meanwhile and goes; Ann comes back; the stream ends
 * with her there. One event per change, on the frame of the change and
 * on the bus; none while a person stays. */
static void
test_events_appear_leave (void)
{
  gint64 ann_id, bob_id;
  char *path = make_gallery ("events.db", &ann_id, &bob_id);
  char *props = g_strdup_printf ("gallery=%s leave-after=1000000000", path);
  GstBus *bus = gst_bus_new ();
  GstHarness *h = harness (props, bus);
  float ann[DIM], bob[DIM];
  GString *all = g_string_new (NULL);
  GstEvent *end;
  const GValue *left;
  const GstStructure *s;
  char *got;

  axis_descriptor (ann, 0, 0.3f);       /* similarity 0.8 */
  axis_descriptor (bob, 10, 0.0f);
  for (int f = 0; f < 30; f++) {
    gboolean ann_here = f <= 4 || f == 9 || f >= 25;
    gboolean bob_here = f >= 12 && f <= 14;
    GstBuffer *buf = timed_frame (f), *out;
    char *ev;

    if (ann_here)
      add_face (buf, 10, ann, -1);
    if (bob_here)
      add_face (buf, 100, bob, -1);
    out = gst_harness_push_and_pull (h, buf);
    ev = events_of (out);
    if (*ev)
      g_string_append_printf (all, "%d: %s; ", f, ev);
    if (f == 0) {
      gint64 id;
      double sim;
      gint x, w;
      guint64 ts;
      const GstStructure *region;
      s = event_on (out, "appeared");
      g_assert_true (gst_structure_get_int64 (s, "person_id", &id));
      g_assert_cmpint (id, ==, ann_id);
      g_assert_true (gst_structure_get_double (s, "similarity", &sim));
      g_assert_cmpfloat_with_epsilon (sim, 0.8, 1e-5);
      g_assert_true (gst_structure_get_uint64 (s, "timestamp", &ts));
      g_assert_cmpuint (ts, ==, 0);
      g_assert_true (gst_structure_get (s, "region", GST_TYPE_STRUCTURE,
              &region, NULL));
      g_assert_true (gst_structure_get_int (region, "x", &x));
      g_assert_true (gst_structure_get_int (region, "w", &w));
      g_assert_cmpint (x, ==, 10);
      g_assert_cmpint (w, ==, 40);
      g_assert_false (gst_structure_has_field (region, "id"));  /* untracked */
      gst_structure_free ((GstStructure *) region);
    }
    if (f == 19) {
      /* Last seen at frame 9 (0.9 s), gone 1 s at frame 19. */
      guint64 first, last, ts;
      s = event_on (out, "left");
      g_assert_cmpstr (gst_structure_get_string (s, "reason"), ==, "unseen");
      g_assert_true (gst_structure_get_uint64 (s, "first_seen", &first));
      g_assert_true (gst_structure_get_uint64 (s, "last_seen", &last));
      g_assert_true (gst_structure_get_uint64 (s, "timestamp", &ts));
      g_assert_cmpuint (first, ==, 0);
      g_assert_cmpuint (last, ==, 9 * FRAME_NS);
      g_assert_cmpuint (ts, ==, 19 * FRAME_NS);
      g_assert_false (gst_structure_has_field (s, "region"));
    }
    g_free (ev);
    gst_buffer_unref (out);
  }
  g_assert_cmpstr (all->str, ==, "0: appeared Ann; 12: appeared Bob; "
      "19: left Ann; 24: left Bob; 25: appeared Ann; ");
  got = bus_events (bus);
  g_assert_cmpstr (got, ==, "appeared Ann, appeared Bob, left Ann, "
      "left Bob, appeared Ann");
  g_free (got);

  /* EOS: Ann, still there, leaves; in an event before EOS (no frame is
   * left) and on the bus. */
  end = push_eos (h);
  g_assert_nonnull (end);
  left = gst_ov_frame_events_event_get_events (end);
  g_assert_cmpuint (gst_value_array_get_size (left), ==, 1);
  s = gst_value_get_structure (gst_value_array_get_value (left, 0));
  g_assert_cmpstr (gst_structure_get_string (s, "event"), ==, "left");
  g_assert_cmpstr (gst_structure_get_string (s, "person"), ==, "Ann");
  g_assert_cmpstr (gst_structure_get_string (s, "reason"), ==, "eos");
  {
    guint64 ts, first;
    g_assert_true (gst_structure_get_uint64 (s, "timestamp", &ts));
    g_assert_cmpuint (ts, ==, 30 * FRAME_NS);   /* the last frame's end */
    g_assert_true (gst_structure_get_uint64 (s, "first_seen", &first));
    g_assert_cmpuint (first, ==, 25 * FRAME_NS);
  }
  gst_event_unref (end);
  got = bus_events (bus);
  g_assert_cmpstr (got, ==, "left Ann");
  g_free (got);

  gst_harness_teardown (h);
  gst_object_unref (bus);
  g_string_free (all, TRUE);
  g_free (props);
  g_free (path);
}

/* leave-after is stream time, not frames: at 1 fps a 2 s default allows
 * one missed frame, a 0 leave-after none. Frames without timestamps do
 * not count as time passing. */
static void
test_events_leave_after (void)
{
  char *path = make_gallery ("leave.db", NULL, NULL);
  GstBus *bus = gst_bus_new ();
  float ann[DIM];
  struct {
    const char *props;
    GstClockTime step;          /* NONE: no timestamps */
    const char *expect;
  } cases[] = {
    { "", GST_SECOND, "0: appeared Ann; 5: left Ann; 6: appeared Ann; " },
    { "leave-after=0", GST_SECOND, "0: appeared Ann; 2: left Ann; "
          "3: appeared Ann; 4: left Ann; 6: appeared Ann; " },
    { "", GST_CLOCK_TIME_NONE, "0: appeared Ann; " },
  };

  axis_descriptor (ann, 0, 0.0f);
  for (guint c = 0; c < G_N_ELEMENTS (cases); c++) {
    char *props = g_strdup_printf ("gallery=%s %s", path, cases[c].props);
    GstHarness *h = harness (props, bus);
    GString *all = g_string_new (NULL);
    GstEvent *end;

    /* Ann on frames 0, 1, 3, 6. */
    for (int f = 0; f < 7; f++) {
      GstBuffer *buf = frame (), *out;
      char *ev;
      if (GST_CLOCK_TIME_IS_VALID (cases[c].step))
        GST_BUFFER_PTS (buf) = f * cases[c].step;
      if (f == 0 || f == 1 || f == 3 || f == 6)
        add_face (buf, 10, ann, -1);
      out = gst_harness_push_and_pull (h, buf);
      ev = events_of (out);
      if (*ev)
        g_string_append_printf (all, "%d: %s; ", f, ev);
      g_free (ev);
      gst_buffer_unref (out);
    }
    g_assert_cmpstr (all->str, ==, cases[c].expect);
    end = push_eos (h);
    g_assert_nonnull (end);     /* Ann is there at the end in all cases */
    gst_event_unref (end);
    gst_harness_teardown (h);
    g_string_free (all, TRUE);
    g_free (props);
  }
  gst_bus_set_flushing (bus, TRUE);
  gst_object_unref (bus);
  g_free (path);
}

/* A tracked face keeps its person on frames without a recognition (no
 * leave); several faces of one person on a frame are one appearance with
 * the best similarity; unknown faces are no person unless
 * unknown-events, and then all of them are one. */
static void
test_events_tracked_and_unknown (void)
{
  char *path = make_gallery ("tracked.db", NULL, NULL);
  char *props = g_strdup_printf ("gallery=%s leave-after=0", path);
  GstHarness *h = harness (props, NULL);
  float ann[DIM], ann_far[DIM], stranger[DIM];
  GstBuffer *buf, *out;
  const GstStructure *s, *region;
  double sim;
  gint id;
  char *ev;

  axis_descriptor (ann, 0, 0.0f);
  axis_descriptor (ann_far, 0, 0.4f);
  axis_descriptor (stranger, 50, 0.0f);
  buf = timed_frame (0);
  add_face (buf, 10, ann_far, 3);
  add_face (buf, 100, ann, 4);
  add_face (buf, 200, stranger, 5);
  out = gst_harness_push_and_pull (h, buf);
  ev = events_of (out);
  g_assert_cmpstr (ev, ==, "appeared Ann");
  g_free (ev);
  s = event_on (out, "appeared");
  g_assert_true (gst_structure_get_double (s, "similarity", &sim));
  g_assert_cmpfloat_with_epsilon (sim, 1.0, 1e-6);    /* the closer one */
  g_assert_true (gst_structure_get (s, "region", GST_TYPE_STRUCTURE, &region,
          NULL));
  g_assert_true (gst_structure_get_int (region, "id", &id));
  g_assert_cmpint (id, ==, 4);
  gst_structure_free ((GstStructure *) region);
  gst_buffer_unref (out);
  /* Frames 1-3: the tracked faces without descriptors: still Ann, even
   * with leave-after=0. */
  for (int f = 1; f < 4; f++) {
    buf = timed_frame (f);
    add_face (buf, 100, NULL, 4);
    out = gst_harness_push_and_pull (h, buf);
    ev = events_of (out);
    g_assert_cmpstr (ev, ==, "");
    g_free (ev);
    gst_buffer_unref (out);
  }
  gst_harness_teardown (h);

  /* unknown-events: the stranger and a second one are one "unknown". */
  g_free (props);
  props = g_strdup_printf ("gallery=%s unknown-events=true", path);
  h = harness (props, NULL);
  for (int f = 0; f < 3; f++) {
    buf = timed_frame (f);
    add_face (buf, 200, stranger, -1);
    if (f == 0)
      add_face (buf, 10, ann, -1);
    else
      add_face (buf, 10, stranger, -1);
    out = gst_harness_push_and_pull (h, buf);
    ev = events_of (out);
    g_assert_cmpstr (ev, ==, f == 0 ? "appeared unknown, appeared Ann" : "");
    if (f == 0) {
      gint64 person;
      /* person_id 0 sorts first */
      g_assert_true (gst_structure_get_int64 (event_on (out, "appeared"),
              "person_id", &person));
      g_assert_cmpint (person, ==, 0);
    }
    g_free (ev);
    gst_buffer_unref (out);
  }
  gst_harness_teardown (h);
  g_free (props);
  g_free (path);
}

/* events=false: identities as before, no events anywhere. */
static void
test_events_disabled (void)
{
  char *path = make_gallery ("no-events.db", NULL, NULL);
  char *props = g_strdup_printf ("gallery=%s events=false", path);
  GstBus *bus = gst_bus_new ();
  GstHarness *h = harness (props, bus);
  float ann[DIM];
  GstBuffer *buf, *out;
  char *ev;

  axis_descriptor (ann, 0, 0.0f);
  for (int f = 0; f < 2; f++) {
    buf = timed_frame (f * 100);       /* 10 s apart */
    if (f == 0)
      add_face (buf, 10, ann, -1);
    out = gst_harness_push_and_pull (h, buf);
    if (f == 0)
      g_assert_cmpstr (identity_of (ov_test_nth_roi (out, 0), NULL, NULL,
              NULL, NULL), ==, "Ann");
    ev = events_of (out);
    g_assert_cmpstr (ev, ==, "");
    g_free (ev);
    gst_buffer_unref (out);
  }
  g_assert_null (push_eos (h));
  ev = bus_events (bus);
  g_assert_cmpstr (ev, ==, "");
  g_free (ev);
  gst_harness_teardown (h);
  gst_object_unref (bus);
  g_free (props);
  g_free (path);
}

/* Through ovmetaconvert events-only: one message per change, none for
 * the frames between, and the EOS leave as a JSON event. */
static void
test_events_json (void)
{
  char *path = make_gallery ("events-json.db", NULL, NULL);
  char *launch = g_strdup_printf ("ovidentify gallery=%s "
      "leave-after=500000000 ! ovmetaconvert events-only=true source=door",
      path);
  GstVideoInfo info;
  GstHarness *h;
  JsonParser *parser = json_parser_new ();
  float bob[DIM];
  GString *lines = g_string_new (NULL);
  GstEvent *ev;

  ov_test_video_info (&info, GST_VIDEO_FORMAT_BGRx, 320, 240);
  h = ov_test_harness (launch, &info);
  axis_descriptor (bob, 10, 0.0f);
  for (int f = 0; f < 20; f++) {
    GstBuffer *buf = timed_frame (f), *out;
    GstOvJsonMeta *meta;
    if (f < 5)
      add_face (buf, 10, bob, -1);
    out = gst_harness_push_and_pull (h, buf);
    meta = gst_buffer_get_ov_json_meta (out);
    if (meta) {
      JsonObject *root, *e;
      JsonArray *events;
      g_assert_true (json_parser_load_from_data (parser, meta->message, -1,
              NULL));
      root = json_node_get_object (json_parser_get_root (parser));
      g_assert_false (json_object_has_member (root, "objects"));
      g_assert_cmpstr (json_object_get_string_member (root, "source"), ==,
          "door");
      g_assert_cmpint (json_object_get_int_member (root, "timestamp"), ==,
          f * FRAME_NS);
      events = json_object_get_array_member (root, "events");
      g_assert_cmpuint (json_array_get_length (events), ==, 1);
      e = json_array_get_object_element (events, 0);
      g_string_append_printf (lines, "%d: %s %s; ", f,
          json_object_get_string_member (e, "event"),
          json_object_get_string_member (e, "person"));
      if (f == 0)
        g_assert_cmpint (json_object_get_int_member (
                json_object_get_object_member (e, "region"), "x"), ==, 10);
    }
    gst_buffer_unref (out);
  }
  /* Seen last at frame 4, 0.5 s later at frame 9. */
  g_assert_cmpstr (lines->str, ==, "0: appeared Bob; 9: left Bob; ");

  /* Bob again at the end: his EOS leave is a JSON event. */
  {
    GstBuffer *buf = timed_frame (20);
    add_face (buf, 10, bob, -1);
    gst_buffer_unref (gst_harness_push_and_pull (h, buf));
  }
  g_assert_true (gst_harness_push_event (h, gst_event_new_eos ()));
  g_string_truncate (lines, 0);
  while ((ev = gst_harness_try_pull_event (h))) {
    const char *message = gst_ov_json_event_get_message (ev);
    if (message) {
      JsonObject *root, *e;
      g_assert_true (json_parser_load_from_data (parser, message, -1, NULL));
      root = json_node_get_object (json_parser_get_root (parser));
      g_assert_cmpint (json_object_get_int_member (root, "timestamp"), ==,
          21 * FRAME_NS);
      e = json_array_get_object_element (json_object_get_array_member (root,
              "events"), 0);
      g_string_append_printf (lines, "%s %s %s; ",
          json_object_get_string_member (e, "event"),
          json_object_get_string_member (e, "person"),
          json_object_get_string_member (e, "reason"));
    }
    if (GST_EVENT_TYPE (ev) == GST_EVENT_EOS)
      g_string_append (lines, "EOS");
    gst_event_unref (ev);
  }
  g_assert_cmpstr (lines->str, ==, "left Bob eos; EOS");
  g_string_free (lines, TRUE);
  g_object_unref (parser);
  gst_harness_teardown (h);
  g_free (launch);
  g_free (path);
}

/* A tracked id absent for leave-after loses its votes: a tracker that
 * hands it to another face later does not hand over the identity. A
 * shorter gap keeps them (the majority decides, as without a gap). */
static void
test_votes_forgotten_after_absence (void)
{
  char *path = make_gallery ("absence.db", NULL, NULL);
  char *props = g_strdup_printf ("gallery=%s leave-after=1000000000 "
      "vote-window=5", path);
  GstHarness *h = harness (props, NULL);
  float ann[DIM], bob[DIM];

  axis_descriptor (ann, 0, 0.0f);
  axis_descriptor (bob, 10, 0.0f);
  /* Id 4: Ann on frames 0-2, Bob on 5 (a 0.3 s gap: Ann's votes
   * outweigh) and on 20 (gone 1.5 s since frame 5: a new face); frames
   * without it between. */
  for (int f = 0; f <= 20; f++) {
    GstBuffer *buf = timed_frame (f), *out;
    const float *d = f <= 2 ? ann : (f == 5 || f == 20) ? bob : NULL;
    if (d)
      add_face (buf, 10, d, 4);
    out = gst_harness_push_and_pull (h, buf);
    if (d)
      g_assert_cmpstr (identity_of (ov_test_nth_roi (out, 0), NULL, NULL,
              NULL, NULL), ==, f == 20 ? "Bob" : "Ann");
    gst_buffer_unref (out);
  }
  gst_harness_teardown (h);
  g_free (props);
  g_free (path);
}

static void
remove_tmp_dir (void)
{
  GDir *d = g_dir_open (tmp_dir, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name (d))) {
    char *p = g_build_filename (tmp_dir, name, NULL);
    g_remove (p);
    g_free (p);
  }
  if (d)
    g_dir_close (d);
  g_rmdir (tmp_dir);
  g_free (tmp_dir);
}

int
main (int argc, char **argv)
{
  int ret;
  ov_test_init (&argc, &argv);
  tmp_dir = g_dir_make_tmp ("ovidentify-XXXXXX", NULL);
  g_test_add_func ("/ovidentify/known-and-unknown", test_known_and_unknown);
  g_test_add_func ("/ovidentify/cosine", test_cosine);
  g_test_add_func ("/ovidentify/tensor-selection", test_tensor_selection);
  g_test_add_func ("/ovidentify/missing-descriptor", test_missing_descriptor);
  g_test_add_func ("/ovidentify/votes", test_votes);
  g_test_add_func ("/ovidentify/gallery-changes-while-playing",
      test_gallery_changes_while_playing);
  g_test_add_func ("/ovidentify/json-gallery", test_json_gallery);
  g_test_add_func ("/ovidentify/gallery-errors", test_gallery_errors);
  g_test_add_func ("/ovidentify/state-cycling", test_state_cycling);
  g_test_add_func ("/ovidentify/metaconvert-json", test_metaconvert_json);
  g_test_add_func ("/ovidentify/object-class", test_object_class);
  g_test_add_func ("/ovidentify/events/appear-leave",
      test_events_appear_leave);
  g_test_add_func ("/ovidentify/events/leave-after", test_events_leave_after);
  g_test_add_func ("/ovidentify/events/tracked-and-unknown",
      test_events_tracked_and_unknown);
  g_test_add_func ("/ovidentify/events/disabled", test_events_disabled);
  g_test_add_func ("/ovidentify/events/json", test_events_json);
  g_test_add_func ("/ovidentify/votes-forgotten-after-absence",
      test_votes_forgotten_after_absence);
  ret = ov_test_run ();
  remove_tmp_dir ();
  return ret;
}
