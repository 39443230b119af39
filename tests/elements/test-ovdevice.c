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
  return ov_test_run ();
}
