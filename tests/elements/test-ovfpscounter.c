/* ovfpscounter: frame rates on a test clock, so the figures are exact. */
#include "ovtest.h"

#include <gst/check/gsttestclock.h>
#include <string.h>

#define MS (GST_MSECOND)

/* ---- helpers ------------------------------------------------------------ */

/* An ovfpscounter in a harness, on `clock`, posting to `bus`, with the
 * boolean property `flag` set unless NULL. */
static GstHarness *
counter_harness_full (const gchar *interval, guint starting_frame,
    GstClock *clock, GstBus *bus, const gchar *flag)
{
  GstElement *e = gst_element_factory_make ("ovfpscounter", NULL);
  GstHarness *h;

  g_assert_nonnull (e);
  g_object_set (e, "interval", interval, "starting-frame", starting_frame,
      NULL);
  if (flag)
    g_object_set (e, flag, TRUE, NULL);
  gst_element_set_clock (e, clock);
  gst_element_set_bus (e, bus);
  h = gst_harness_new_with_element (e, "sink", "src");
  gst_object_unref (e);
  gst_harness_set_src_caps_str (h, "video/x-raw,format=RGB,width=8,height=8,"
      "framerate=10/1");
  return h;
}

static GstHarness *
counter_harness (const gchar *interval, guint starting_frame,
    GstClock *clock, GstBus *bus)
{
  return counter_harness_full (interval, starting_frame, clock, bus, NULL);
}

/* Pushes a frame at `t` and checks it comes out unchanged. */
static void
push_at (GstHarness *h, GstClock *clock, GstClockTime t)
{
  GstBuffer *in = gst_buffer_new_allocate (NULL, 8 * 8 * 3, NULL), *out;

  gst_test_clock_set_time (GST_TEST_CLOCK (clock), t);
  GST_BUFFER_PTS (in) = t;
  g_assert_cmpint (gst_harness_push (h, gst_buffer_ref (in)), ==, GST_FLOW_OK);
  out = gst_harness_pull (h);
  g_assert_true (out == in);
  gst_buffer_unref (out);
  gst_buffer_unref (in);
}

typedef struct {
  gdouble fps, interval, total_fps;
  guint64 frames;
  guint n_streams;
} Report;

/* The next "ovfpscounter" message from `element` (any if NULL), FALSE if
 * none. */
static gboolean
next_report (GstBus *bus, GstElement *element, Report *r)
{
  GstMessage *m;

  while ((m = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT))) {
    const GstStructure *s = gst_message_get_structure (m);
    gboolean mine = (element == NULL
            || GST_MESSAGE_SRC (m) == GST_OBJECT (element))
        && gst_structure_has_name (s, "ovfpscounter");
    if (mine) {
      g_assert_true (gst_structure_get (s, "fps", G_TYPE_DOUBLE, &r->fps,
              "frames", G_TYPE_UINT64, &r->frames,
              "interval", G_TYPE_DOUBLE, &r->interval,
              "total-fps", G_TYPE_DOUBLE, &r->total_fps,
              "number-streams", G_TYPE_UINT, &r->n_streams, NULL));
    }
    gst_message_unref (m);
    if (mine)
      return TRUE;
  }
  return FALSE;
}

static void
send_eos (GstHarness *h)
{
  g_assert_true (gst_harness_push_event (h, gst_event_new_eos ()));
}

/* ---- tests --------------------------------------------------------------- */

/* 10 frames a second for 2 s: two windows of exactly 10 fps. */
static void
test_one_stream (void)
{
  GstClock *clock = gst_test_clock_new ();
  GstBus *bus = gst_bus_new ();
  GstHarness *h = counter_harness ("1", 0, clock, bus);
  OvTestCapture cap;
  gchar *out;
  Report r;
  gfloat avg;

  ov_test_capture_stdout_begin (&cap);
  for (int i = 0; i <= 20; i++)
    push_at (h, clock, i * 100 * MS);
  /* Half a window more: no report for it. */
  for (int i = 21; i <= 25; i++)
    push_at (h, clock, i * 100 * MS);
  send_eos (h);
  out = ov_test_capture_stdout_end (&cap);

  for (int k = 0; k < 2; k++) {
    g_assert_true (next_report (bus, h->element, &r));
    g_assert_cmpfloat_with_epsilon (r.fps, 10.0, 1e-9);
    g_assert_cmpuint (r.frames, ==, 10);
    g_assert_cmpfloat_with_epsilon (r.interval, 1.0, 1e-9);
    g_assert_cmpfloat_with_epsilon (r.total_fps, 10.0, 1e-9);
    g_assert_cmpuint (r.n_streams, ==, 1);
  }
  g_assert_false (next_report (bus, h->element, &r));

  g_assert_nonnull (strstr (out, "FpsCounter(last 1.00sec): total=10.00 fps, "
          "number-streams=1, per-stream=10.00 fps\n"));
  g_assert_nonnull (strstr (out, "FpsCounter(average 2.00sec): total=10.00 "
          "fps, number-streams=1, per-stream=10.00 fps\n"));
  g_assert_nonnull (strstr (out, "FpsCounter(overall 2.50sec): total=10.00 "
          "fps, number-streams=1, per-stream=10.00 fps\n"));
  g_object_get (h->element, "avg-fps", &avg, NULL);
  g_assert_cmpfloat_with_epsilon (avg, 10.0f, 1e-4);
  g_free (out);

  gst_harness_teardown (h);
  gst_object_unref (bus);
  gst_object_unref (clock);
}

/* Two instances are two streams of one total. */
static void
test_two_streams (void)
{
  GstClock *clock = gst_test_clock_new ();
  GstBus *bus = gst_bus_new ();
  GstHarness *a = counter_harness ("1", 0, clock, bus);
  GstHarness *b = counter_harness ("1", 0, clock, bus);
  OvTestCapture cap;
  gchar *out;
  Report r;

  ov_test_capture_stdout_begin (&cap);
  /* a at 10 fps, b at 5 fps; at equal times a goes first. */
  for (int i = 0; i <= 10; i++) {
    push_at (a, clock, i * 100 * MS);
    if (i % 2 == 0 && i < 10)
      push_at (b, clock, i * 100 * MS);
  }
  out = ov_test_capture_stdout_end (&cap);

  /* b's first frame came after a had opened the window: it is inside. */
  g_assert_true (next_report (bus, a->element, &r));
  g_assert_cmpfloat_with_epsilon (r.fps, 10.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (r.total_fps, 15.0, 1e-9);
  g_assert_cmpuint (r.n_streams, ==, 2);
  g_assert_true (next_report (bus, b->element, &r));
  g_assert_cmpfloat_with_epsilon (r.fps, 5.0, 1e-9);
  g_assert_cmpuint (r.frames, ==, 5);
  g_assert_cmpfloat_with_epsilon (r.total_fps, 15.0, 1e-9);
  g_assert_cmpuint (r.n_streams, ==, 2);
  g_assert_nonnull (strstr (out, "FpsCounter(last 1.00sec): total=15.00 fps, "
          "number-streams=2, per-stream=7.50 fps (10.00, 5.00)\n"));
  g_free (out);

  /* b ends: a alone from then on. */
  ov_test_capture_stdout_begin (&cap);
  send_eos (b);
  for (int i = 11; i <= 30; i++)
    push_at (a, clock, i * 100 * MS);
  out = ov_test_capture_stdout_end (&cap);
  g_assert_nonnull (strstr (out, "FpsCounter(last 1.00sec): total=10.00 fps, "
          "number-streams=1, per-stream=10.00 fps\n"));
  g_assert_true (next_report (bus, a->element, &r));
  g_assert_cmpuint (r.n_streams, ==, 1);
  g_assert_cmpfloat_with_epsilon (r.fps, 10.0, 1e-9);
  g_free (out);

  ov_test_capture_stdout_begin (&cap);
  gst_harness_teardown (a);
  gst_harness_teardown (b);
  g_free (ov_test_capture_stdout_end (&cap));
  gst_object_unref (bus);
  gst_object_unref (clock);
}

/* The first `starting-frame` frames are not measured. */
static void
test_starting_frame (void)
{
  GstClock *clock = gst_test_clock_new ();
  GstBus *bus = gst_bus_new ();
  GstHarness *h = counter_harness ("1", 5, clock, bus);
  GstElement *e;
  OvTestCapture cap;
  Report r;
  gfloat avg;
  gchar *out;

  ov_test_capture_stdout_begin (&cap);
  /* Five slow frames (1 fps), skipped; then 10 fps from t = 5 s. */
  for (int i = 0; i < 5; i++)
    push_at (h, clock, i * GST_SECOND);
  g_assert_false (next_report (bus, h->element, &r));
  for (int i = 0; i <= 10; i++)
    push_at (h, clock, 5 * GST_SECOND + i * 100 * MS);
  g_assert_true (next_report (bus, h->element, &r));
  g_assert_cmpuint (r.frames, ==, 10);
  g_assert_cmpfloat_with_epsilon (r.fps, 10.0, 1e-9);
  /* Stopped without EOS: the overall line all the same, and avg-fps
   * still readable. */
  gst_object_ref (h->element);
  e = h->element;
  gst_harness_teardown (h);
  out = ov_test_capture_stdout_end (&cap);
  g_assert_nonnull (strstr (out, "FpsCounter(overall 1.00sec): total=10.00 "
          "fps, number-streams=1, per-stream=10.00 fps\n"));
  g_object_get (e, "avg-fps", &avg, NULL);
  g_assert_cmpfloat_with_epsilon (avg, 10.0f, 1e-4);
  gst_object_unref (e);
  g_free (out);
  gst_object_unref (bus);
  gst_object_unref (clock);
}

/* "1,2": two windows; the average is printed at the shorter one's pace. */
static void
test_several_intervals (void)
{
  GstClock *clock = gst_test_clock_new ();
  GstBus *bus = gst_bus_new ();
  GstHarness *h = counter_harness ("1, 2", 0, clock, bus);
  OvTestCapture cap;
  gchar *out;
  Report r;
  guint n = 0;

  ov_test_capture_stdout_begin (&cap);
  for (int i = 0; i <= 20; i++)
    push_at (h, clock, i * 100 * MS);
  gst_harness_teardown (h);
  out = ov_test_capture_stdout_end (&cap);
  while (next_report (bus, NULL, &r))
    n++;
  g_assert_cmpuint (n, ==, 3);   /* at 1 s and 2 s, and at 2 s */
  g_assert_nonnull (strstr (out, "FpsCounter(last 2.00sec): total=10.00"));
  g_assert_nonnull (strstr (out, "FpsCounter(average 1.00sec)"));
  g_free (out);
  gst_object_unref (bus);
  gst_object_unref (clock);
}

static void
test_bad_interval (void)
{
  const gchar *bad[] = { "abc", "0", "-1", "1,x", "", "1,,2", "inf" };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    GstElement *e = gst_element_factory_make ("ovfpscounter", NULL);
    gchar *msg;
    g_object_set (e, "interval", bad[i], NULL);
    msg = ov_test_expect_start_error (e);
    g_assert_nonnull (msg);
    g_assert_nonnull (strstr (msg, "interval"));
    g_free (msg);
    gst_object_unref (e);
  }
}

/* Stopping leaves the registry: each run starts with one stream, and a
 * bare element cycles through the states. */
static void
test_state_cycling (void)
{
  GstClock *clock = gst_test_clock_new ();
  GstBus *bus = gst_bus_new ();
  GstElement *e = gst_element_factory_make ("ovfpscounter", NULL);
  OvTestCapture cap;
  Report r;

  for (int i = 0; i < OV_TEST_STATE_CYCLES; i++) {
    g_assert_cmpint (gst_element_set_state (e, GST_STATE_PLAYING), ==,
        GST_STATE_CHANGE_SUCCESS);
    g_assert_cmpint (gst_element_set_state (e, GST_STATE_NULL), ==,
        GST_STATE_CHANGE_SUCCESS);
  }
  gst_object_unref (e);

  ov_test_capture_stdout_begin (&cap);
  for (int run = 0; run < 3; run++) {
    GstHarness *h = counter_harness ("0.5", 0, clock, bus);
    GstClockTime t0 = run * 10 * GST_SECOND;
    for (int i = 0; i <= 5; i++)
      push_at (h, clock, t0 + i * 100 * MS);
    g_assert_true (next_report (bus, h->element, &r));
    g_assert_cmpuint (r.n_streams, ==, 1);
    g_assert_cmpuint (r.frames, ==, 5);
    gst_harness_teardown (h);
  }
  g_free (ov_test_capture_stdout_end (&cap));
  gst_object_unref (bus);
  gst_object_unref (clock);
}

/* print-std-dev: frames 50 and 150 ms apart by turns; the first window
 * (at 1 s) holds ten intervals, mean 100, sample std dev
 * sqrt (10 * 50^2 / 9) = 52.70 ms. Two streams list each in brackets. */
static void
test_std_dev (void)
{
  GstClock *clock = gst_test_clock_new ();
  GstBus *bus = gst_bus_new ();
  GstHarness *a = counter_harness_full ("1", 0, clock, bus, "print-std-dev");
  GstHarness *b;
  OvTestCapture cap;
  gchar *out;

  ov_test_capture_stdout_begin (&cap);
  for (int i = 0; i <= 10; i++)
    push_at (a, clock, (i / 2) * 200 * MS + (i % 2) * 50 * MS);
  out = ov_test_capture_stdout_end (&cap);
  g_assert_nonnull (strstr (out, "FpsCounter(last 1.00sec): total=10.00 fps, "
          "number-streams=1, per-stream=10.00 fps\nstd dev interval: "
          "52.70ms\n"));
  g_free (out);

  /* A second stream, steady at 100 ms: 0 on its own, pooled with the
   * first's the next window. */
  b = counter_harness ("1", 0, clock, bus);
  ov_test_capture_stdout_begin (&cap);
  for (int i = 11; i <= 20; i++) {
    push_at (a, clock, (i / 2) * 200 * MS + (i % 2) * 50 * MS);
    if (i % 2 == 0)
      push_at (b, clock, (i / 2) * 200 * MS);
  }
  out = ov_test_capture_stdout_end (&cap);
  g_assert_nonnull (strstr (out, "\nstd dev interval: "));
  g_assert_nonnull (strstr (out, "ms (52.70, 0.00)\n"));
  g_free (out);
  gst_harness_teardown (a);
  gst_harness_teardown (b);
  gst_object_unref (bus);
  gst_object_unref (clock);
}

/* print-latency: frames stamped (as timecodestamper source=rtc would)
 * 250 ms before they pass; without a time code, a warning and no line. */
static void
test_latency (void)
{
  GstClock *clock = gst_test_clock_new ();
  GstBus *bus = gst_bus_new ();
  GstHarness *h = counter_harness_full ("1", 0, clock, bus, "print-latency");
  OvTestCapture cap;
  gchar *out, *line;
  gchar **lines;
  gdouble ms;
  GstMessage *m;

  ov_test_capture_stdout_begin (&cap);
  for (int i = 0; i <= 10; i++) {
    GstBuffer *buf = gst_buffer_new_allocate (NULL, 8 * 8 * 3, NULL);
    GDateTime *now = g_date_time_new_now_local ();
    GDateTime *jam = g_date_time_add (now, -250 * G_TIME_SPAN_MILLISECOND);
    gst_buffer_add_video_time_code_meta_full (buf, 10, 1, jam,
        GST_VIDEO_TIME_CODE_FLAGS_NONE, 0, 0, 0, 0, 0);
    g_date_time_unref (jam);
    g_date_time_unref (now);
    gst_test_clock_set_time (GST_TEST_CLOCK (clock), i * 100 * MS);
    g_assert_cmpint (gst_harness_push (h, buf), ==, GST_FLOW_OK);
    gst_buffer_unref (gst_harness_pull (h));
  }
  out = ov_test_capture_stdout_end (&cap);
  line = strstr (out, "\nlatency: ");
  g_assert_nonnull (line);
  ms = g_ascii_strtod (line + strlen ("\nlatency: "), NULL);
  g_assert_cmpfloat (ms, >=, 250.0);
  g_assert_cmpfloat (ms, <, 1250.0);
  g_assert_null (gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING));
  g_free (out);

  /* Frames without a time code. */
  ov_test_capture_stdout_begin (&cap);
  for (int i = 11; i <= 21; i++)
    push_at (h, clock, i * 100 * MS);
  out = ov_test_capture_stdout_end (&cap);
  /* The last second's line has none; the average still counts the
   * stamped frames. */
  lines = g_strsplit (out, "\n", -1);
  g_assert_true (g_str_has_prefix (lines[0], "FpsCounter(last"));
  g_assert_true (g_str_has_prefix (lines[1], "FpsCounter(average"));
  g_assert_true (g_str_has_prefix (lines[2], "latency: "));
  g_strfreev (lines);
  m = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
  g_assert_nonnull (m);
  gst_message_unref (m);
  g_assert_null (gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING));
  g_free (out);
  gst_harness_teardown (h);
  gst_object_unref (bus);
  gst_object_unref (clock);
}

int
main (int argc, char **argv)
{
  ov_test_init (&argc, &argv);
  g_test_add_func ("/ovfpscounter/one-stream", test_one_stream);
  g_test_add_func ("/ovfpscounter/two-streams", test_two_streams);
  g_test_add_func ("/ovfpscounter/starting-frame", test_starting_frame);
  g_test_add_func ("/ovfpscounter/several-intervals", test_several_intervals);
  g_test_add_func ("/ovfpscounter/bad-interval", test_bad_interval);
  g_test_add_func ("/ovfpscounter/state-cycling", test_state_cycling);
  g_test_add_func ("/ovfpscounter/std-dev", test_std_dev);
  g_test_add_func ("/ovfpscounter/latency", test_latency);
  return ov_test_run ();
}
