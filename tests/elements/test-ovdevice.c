/* The inference elements' `device` property (a string, as in DL
 * Streamer) and the "ovi-device" bus message, on the simulated device
 * kinds of tests/unit/sim-devices.c, registered in the engine the plugin
 * shares before the plugin compiles anything: the first inference runs
 * on the CPU while SIMGPU compiles slowly, then the stream moves there;
 * when SIMGPU fails mid-stream the stream goes on, on the CPU, with a
 * "failed" message and no error. */
#include "ovtest.h"

#include <string.h>

#include "gstovmeta.h"
#include "sim-devices.h"

static void
test_property_values (void)
{
  GstElement *e = gst_element_factory_make ("ovdetect", NULL);
  const char *values[] = { "CPU", "GPU", "GPU.0", "NPU", "AUTO",
    "AUTO:GPU,CPU", "MULTI:CPU,GPU", "gpu,cpu", "npu,gpu,cpu", NULL };
  gchar *v;

  g_object_get (e, "device", &v, NULL);
  g_assert_cmpstr (v, ==, "AUTO");
  g_free (v);
  for (int i = 0; values[i]; i++) {
    g_object_set (e, "device", values[i], NULL);
    g_object_get (e, "device", &v, NULL);
    g_assert_cmpstr (v, ==, values[i]);
    g_free (v);
  }
  /* Unset is the default. */
  g_object_set (e, "device", NULL, NULL);
  g_object_get (e, "device", &v, NULL);
  g_assert_cmpstr (v, ==, "AUTO");
  g_free (v);
  gst_object_unref (e);
}

static void
expect_start (const char *device, const char *needle)
{
  GstElement *e = gst_element_factory_make ("ovinference", NULL);
  char *msg = NULL;
  g_object_set (e, "model", ov_test_model ("identity.onnx"), "device",
      device, NULL);
  if (needle == NULL) {
    if (gst_element_set_state (e, GST_STATE_PLAYING)
        == GST_STATE_CHANGE_FAILURE)
      g_error ("device=%s: the element did not start", device);
    gst_element_set_state (e, GST_STATE_NULL);
  } else {
    msg = ov_test_expect_start_error (e);
    g_assert_nonnull (msg);
    if (strstr (msg, needle) == NULL)
      g_error ("device=%s: expected '%s' in the error, got: %s", device,
          needle, msg);
  }
  g_free (msg);
  gst_object_unref (e);
}

static void
test_start_strings (void)
{
  ovi_sim_reset (&ovi_sim_gpu);
  ovi_sim_reset (&ovi_sim_npu);
  expect_start ("CPU", NULL);
  expect_start ("cpu", NULL);
  expect_start ("AUTO", NULL);
  expect_start ("AUTO:SIMGPU,CPU", NULL);
  expect_start ("MULTI:SIMGPU,CPU", NULL);
  expect_start ("simnpu,simgpu,cpu", NULL);
  expect_start ("NPU.9", "not available");
  expect_start ("GPU.9", "not available");
  expect_start ("AUTO:FOO", "unknown device 'FOO'");
  expect_start ("gpu,,cpu", "empty entry");
  expect_start ("HETERO:GPU,CPU", "HETERO");
}

/* Messages and frames in order, with a tensor's `device` per frame. */
typedef struct {
  GstHarness *h;
  GstBus *bus;
  GstVideoInfo info;
} Stream;

static const gchar *
frame_device (GstBuffer *buf)
{
  GstOvTensorMeta *tm = (GstOvTensorMeta *) gst_buffer_get_meta (buf,
      GST_OV_TENSOR_META_API_TYPE);
  g_assert_nonnull (tm);
  return gst_structure_get_string (tm->data, "device");
}

/* Pushes one frame and returns the device its result names (owned by the
 * caller). */
static gchar *
push_frame (Stream *s)
{
  GstBuffer *out = gst_harness_push_and_pull (s->h,
      ov_test_solid_frame (&s->info, 10, 20, 30));
  gchar *device;
  g_assert_nonnull (out);
  device = g_strdup (frame_device (out));
  gst_buffer_unref (out);
  return device;
}

/* The next "ovi-device" message, or NULL; errors fail the test. */
static GstStructure *
next_device_message (Stream *s)
{
  GstMessage *m;
  while ((m = gst_bus_pop (s->bus))) {
    GstStructure *st = NULL;
    g_assert_cmpint (GST_MESSAGE_TYPE (m), !=, GST_MESSAGE_ERROR);
    if (GST_MESSAGE_TYPE (m) == GST_MESSAGE_ELEMENT
        && gst_structure_has_name (gst_message_get_structure (m),
            "ovi-device"))
      st = gst_structure_copy (gst_message_get_structure (m));
    gst_message_unref (m);
    if (st)
      return st;
  }
  return NULL;
}

static void
assert_message (GstStructure *st, const char *reason, const char *device,
    const char *previous)
{
  g_assert_nonnull (st);
  g_assert_cmpstr (gst_structure_get_string (st, "element"), ==, "inf");
  g_assert_cmpstr (gst_structure_get_string (st, "reason"), ==, reason);
  g_assert_cmpstr (gst_structure_get_string (st, "device"), ==, device);
  g_assert_cmpstr (gst_structure_get_string (st, "previous"), ==, previous);
  gst_structure_free (st);
}

static void
test_migration_and_failure (void)
{
  char *launch = g_strdup_printf ("ovinference name=inf nireq=1 "
      "device=AUTO:SIMGPU,CPU model=%s", ov_test_model ("identity.onnx"));
  Stream s;
  gchar *device;
  GstStructure *st;
  gint64 deadline;
  int frames_on_cpu = 0;

  ovi_sim_reset (&ovi_sim_gpu);
  g_atomic_int_set (&ovi_sim_gpu.compile_delay_ms, 300);
  ov_test_video_info (&s.info, GST_VIDEO_FORMAT_RGB, 60, 40);
  s.h = ov_test_harness (launch, &s.info);
  s.bus = gst_bus_new ();
  gst_element_set_bus (s.h->element, s.bus);

  /* Started on the CPU. */
  device = push_frame (&s);
  g_assert_cmpstr (device, ==, "CPU");
  g_free (device);
  assert_message (next_device_message (&s), "started", "CPU", NULL);

  /* Frames on the CPU until SIMGPU has compiled and run one. */
  deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  while ((st = next_device_message (&s)) == NULL) {
    g_assert_cmpint (g_get_monotonic_time (), <, deadline);
    device = push_frame (&s);
    if (strcmp (device, "CPU") == 0)
      frames_on_cpu++;
    else
      g_assert_cmpstr (device, ==, "SIMGPU.0");
    g_free (device);
  }
  assert_message (st, "migrated", "SIMGPU.0", "CPU");
  g_test_message ("%d more frames on the CPU before the migration",
      frames_on_cpu);
  for (int i = 0; i < 5; i++) {
    device = push_frame (&s);
    g_assert_cmpstr (device, ==, "SIMGPU.0");
    g_free (device);
  }

  /* SIMGPU fails from its next inference on: that frame is retried on the
   * CPU; a "failed" message, no error, every frame out. */
  g_atomic_int_set (&ovi_sim_gpu.fail_from,
      g_atomic_int_get (&ovi_sim_gpu.inferences) + 1);
  for (int i = 0; i < 5; i++) {
    device = push_frame (&s);
    g_assert_cmpstr (device, ==, "CPU");
    g_free (device);
  }
  st = next_device_message (&s);
  g_assert_nonnull (st);
  g_assert_nonnull (strstr (gst_structure_get_string (st, "message"),
          "simulated device failure"));
  assert_message (st, "failed", "SIMGPU.0", NULL);
  g_assert_null (next_device_message (&s));

  gst_element_set_bus (s.h->element, NULL);
  gst_object_unref (s.bus);
  gst_harness_teardown (s.h);
  g_free (launch);
}

/* Starts ovinference on the identity model with `props` ("name=value"
 * pairs, NULL-terminated) and pushes one RGB frame; returns the element's
 * "started" message, with the bus's warnings joined in *warnings. */
static GstStructure *
run_one_frame (const char *props, gchar **warnings)
{
  char *launch = g_strdup_printf ("ovinference name=inf model=%s %s",
      ov_test_model ("identity.onnx"), props);
  Stream s;
  GstBuffer *out;
  GstMessage *m;
  GstStructure *started = NULL;
  GString *w = g_string_new (NULL);

  GstElement *e = gst_parse_launch (launch, NULL);

  /* The bus first: start's warnings are posted before the first frame. */
  g_assert_nonnull (e);
  ov_test_video_info (&s.info, GST_VIDEO_FORMAT_RGB, 60, 40);
  s.bus = gst_bus_new ();
  gst_element_set_bus (e, s.bus);
  s.h = gst_harness_new_with_element (e, "sink", "src");
  gst_object_unref (e);
  gst_harness_set_src_caps (s.h, gst_video_info_to_caps (&s.info));
  out = gst_harness_push_and_pull (s.h,
      ov_test_solid_frame (&s.info, 10, 20, 30));
  g_assert_nonnull (out);
  gst_buffer_unref (out);
  while ((m = gst_bus_pop (s.bus))) {
    const GstStructure *st = gst_message_get_structure (m);
    g_assert_cmpint (GST_MESSAGE_TYPE (m), !=, GST_MESSAGE_ERROR);
    if (GST_MESSAGE_TYPE (m) == GST_MESSAGE_WARNING) {
      GError *err = NULL;
      gst_message_parse_warning (m, &err, NULL);
      g_string_append_printf (w, "%s;", err->message);
      g_error_free (err);
    } else if (GST_MESSAGE_TYPE (m) == GST_MESSAGE_ELEMENT
        && gst_structure_has_name (st, "ovi-device") && started == NULL) {
      started = gst_structure_copy (st);
    }
    gst_message_unref (m);
  }
  gst_element_set_bus (s.h->element, NULL);
  gst_object_unref (s.bus);
  gst_harness_teardown (s.h);
  g_free (launch);
  if (warnings)
    *warnings = g_string_free (w, FALSE);
  else
    g_string_free (w, TRUE);
  g_assert_nonnull (started);
  g_assert_cmpstr (gst_structure_get_string (started, "reason"), ==,
      "started");
  return started;
}

/* ie-config and the deprecated *-throughput-streams reach the device's
 * compile config (SIMGPU records what it was opened with). */
static void
test_ie_config (void)
{
  OviCompileConfig *c = &ovi_sim_gpu.last_config;
  GstElement *e;
  gchar *warnings, *msg;

  ovi_sim_reset (&ovi_sim_gpu);
  gst_structure_free (run_one_frame ("device=SIMGPU.0 nireq=0", NULL));
  g_assert_cmpint (c->hint, ==, OVI_HINT_THROUGHPUT);
  gst_structure_free (run_one_frame ("device=SIMGPU.0 nireq=1", NULL));
  g_assert_cmpint (c->hint, ==, OVI_HINT_LATENCY);

  gst_structure_free (run_one_frame ("device=SIMGPU.0 nireq=0 "
          "ie-config=\"PERFORMANCE_HINT=LATENCY,GPU_THROUGHPUT_STREAMS=3,"
          "INFERENCE_PRECISION_HINT=f32,INFERENCE_NUM_THREADS=1\"",
          &warnings));
  g_assert_cmpstr (warnings, ==, "");
  g_free (warnings);
  g_assert_cmpint (c->hint, ==, OVI_HINT_LATENCY);
  g_assert_cmpint (c->type_streams[OVI_DEVICE_TYPE_GPU], ==, 3);
  g_assert_cmpint (c->precision, ==, OVI_PRECISION_F32);
  g_assert_cmpint (c->n_threads, ==, 1);

  /* The old properties; ie-config given after them wins. */
  gst_structure_free (run_one_frame ("device=SIMGPU.0 "
          "cpu-throughput-streams=2 gpu-throughput-streams=4", NULL));
  g_assert_cmpint (c->type_streams[OVI_DEVICE_TYPE_CPU], ==, 2);
  g_assert_cmpint (c->type_streams[OVI_DEVICE_TYPE_GPU], ==, 4);
  gst_structure_free (run_one_frame ("device=SIMGPU.0 "
          "gpu-throughput-streams=4 ie-config=GPU_THROUGHPUT_STREAMS=5",
          NULL));
  g_assert_cmpint (c->type_streams[OVI_DEVICE_TYPE_GPU], ==, 5);

  /* Keys for other runtimes: a warning naming them; the stream runs. */
  gst_structure_free (run_one_frame ("device=CPU "
          "ie-config=\"GPU_QUEUE_THROTTLE=1,NUM_STREAMS=2\"", &warnings));
  g_assert_nonnull (strstr (warnings, "GPU_QUEUE_THROTTLE"));
  g_assert_null (strstr (warnings, "NUM_STREAMS"));
  g_free (warnings);

  /* A bad value: a settings error naming it, at start. */
  e = gst_element_factory_make ("ovinference", NULL);
  g_object_set (e, "model", ov_test_model ("identity.onnx"), "ie-config",
      "NUM_STREAMS=x", NULL);
  msg = ov_test_expect_start_error (e);
  g_assert_nonnull (msg);
  g_assert_nonnull (strstr (msg, "ie-config: NUM_STREAMS=x"));
  g_free (msg);
  gst_object_unref (e);
}

static GstCaps *
caps_in (const GstVideoInfo *info, const char *feature)
{
  GstCaps *caps = gst_video_info_to_caps (info);
  if (feature)
    gst_caps_set_features (caps, 0, gst_caps_features_new (feature, NULL));
  return caps;
}

/* Whether the element's sink pad accepts `info`'s caps in `feature`
 * memory, and whether its caps query lists that memory. */
static void
check_memory (GstElement *e, const GstVideoInfo *info, const char *feature,
    gboolean expected)
{
  GstPad *sink = gst_element_get_static_pad (e, "sink");
  GstCaps *caps = caps_in (info, feature);
  GstCaps *all = gst_pad_query_caps (sink, NULL);

  g_assert_cmpint (gst_pad_query_accept_caps (sink, caps), ==, expected);
  g_assert_cmpint (gst_caps_can_intersect (all, caps), ==, expected);
  gst_caps_unref (all);
  gst_caps_unref (caps);
  gst_object_unref (sink);
}

static void
test_pre_process_backend (void)
{
  static const struct {
    const char *value;
    gboolean system, va, dmabuf;
  } cases[] = {
    { "", TRUE, TRUE, TRUE },
    { "ie", TRUE, FALSE, FALSE },
    { "OpenCV", TRUE, FALSE, FALSE },
    { "va", FALSE, TRUE, TRUE },
    { "vaapi", FALSE, TRUE, TRUE },
    { "va-surface-sharing", FALSE, TRUE, TRUE },
    { "vaapi-surface-sharing", FALSE, TRUE, TRUE },
  };
  GstVideoInfo info;
  GstStructure *st;
  GstElement *e;
  gchar *msg;

  GstCaps *templ, *va;
  GstPad *pad;
  gboolean have_va;

  ov_test_video_info (&info, GST_VIDEO_FORMAT_NV12, 64, 48);
  /* VA memory is in the caps where the plugin was built with GStreamer's
   * VA library. */
  e = gst_element_factory_make ("ovdetect", NULL);
  pad = gst_element_get_static_pad (e, "sink");
  templ = gst_pad_get_pad_template_caps (pad);
  gst_object_unref (pad);
  va = caps_in (&info, "memory:VAMemory");
  have_va = gst_caps_can_intersect (templ, va);
  gst_caps_unref (va);
  gst_caps_unref (templ);
  gst_object_unref (e);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    e = gst_element_factory_make ("ovdetect", NULL);
    g_object_set (e, "pre-process-backend", cases[i].value, NULL);
    check_memory (e, &info, NULL, cases[i].system);
    if (have_va)
      check_memory (e, &info, "memory:VAMemory", cases[i].va);
    check_memory (e, &info, "memory:DMABuf", cases[i].dmabuf);
    gst_object_unref (e);
  }

  /* On the CPU, frames are pre-processed on the CPU. */
  st = run_one_frame ("device=CPU pre-process-backend=ie", NULL);
  g_assert_cmpstr (gst_structure_get_string (st, "pre-process"), ==, "cpu");
  gst_structure_free (st);

  /* Names it does not know, and sharing surfaces with a CPU. */
  e = gst_element_factory_make ("ovinference", NULL);
  g_object_set (e, "model", ov_test_model ("identity.onnx"),
      "pre-process-backend", "d3d11", NULL);
  msg = ov_test_expect_start_error (e);
  g_assert_nonnull (msg);
  g_assert_nonnull (strstr (msg, "pre-process-backend 'd3d11' is not "
          "supported"));
  g_free (msg);
  g_object_set (e, "device", "CPU", "pre-process-backend",
      "va-surface-sharing", NULL);
  msg = ov_test_expect_start_error (e);
  g_assert_nonnull (msg);
  g_assert_nonnull (strstr (msg, "needs a device that pre-processes"));
  g_free (msg);
  gst_object_unref (e);
}

/* no-block: while the one request runs (SIMGPU takes 300 ms), frames
 * pass without inference, in order, and the next frame after it ends is
 * inferred again. */
static void
test_no_block (void)
{
  char *launch = g_strdup_printf ("ovinference model=%s device=SIMGPU.0 "
      "nireq=1 no-block=true", ov_test_model ("identity.onnx"));
  GstVideoInfo info;
  GstHarness *h;
  GstBuffer *out;

  ovi_sim_reset (&ovi_sim_gpu);
  ov_test_video_info (&info, GST_VIDEO_FORMAT_RGB, 60, 40);
  h = ov_test_harness (launch, &info);
  g_atomic_int_set (&ovi_sim_gpu.infer_delay_ms, 300);
  for (int i = 0; i < 4; i++) {
    GstBuffer *in = ov_test_solid_frame (&info, 10, 20, 30);
    GST_BUFFER_PTS (in) = i * GST_SECOND;
    g_assert_cmpint (gst_harness_push (h, in), ==, GST_FLOW_OK);
  }
  for (int i = 0; i < 4; i++) {
    out = gst_harness_pull (h);
    g_assert_cmpuint (GST_BUFFER_PTS (out), ==, i * GST_SECOND);
    /* Only the first found its request free. */
    g_assert_cmpint (gst_buffer_get_meta (out, GST_OV_TENSOR_META_API_TYPE)
        != NULL, ==, i == 0);
    gst_buffer_unref (out);
  }
  g_assert_cmpint (g_atomic_int_get (&ovi_sim_gpu.inferences), ==, 1);
  /* The request is back in the pool once its frame left. */
  out = gst_harness_push_and_pull (h, ov_test_solid_frame (&info, 1, 2, 3));
  g_assert_nonnull (gst_buffer_get_meta (out, GST_OV_TENSOR_META_API_TYPE));
  gst_buffer_unref (out);
  g_atomic_int_set (&ovi_sim_gpu.infer_delay_ms, 0);
  gst_harness_teardown (h);
  g_free (launch);
}

int
main (int argc, char **argv)
{
  /* Before anything lists the devices (the plugin compiles at start). */
  ovi_sim_devices_register ();
  ov_test_init (&argc, &argv);
  g_test_add_func ("/ovdevice/property-values", test_property_values);
  g_test_add_func ("/ovdevice/start-strings", test_start_strings);
  g_test_add_func ("/ovdevice/migration-and-failure",
      test_migration_and_failure);
  g_test_add_func ("/ovdevice/ie-config", test_ie_config);
  g_test_add_func ("/ovdevice/pre-process-backend",
      test_pre_process_backend);
  g_test_add_func ("/ovdevice/no-block", test_no_block);
  return ov_test_run ();
}
