/* The AUTO scheduler (inference/auto-scheduler.c) on simulated devices
 * (sim-devices.h): the first inference runs on the CPU at once while a
 * slow device compiles, then inferences move; a device failing mid-stream
 * loses no frame; several requests in flight spread over two devices of
 * different speeds; bad device strings are refused clearly. Every output
 * is compared with a plain CPU compiled model's on the same input. */
#include <math.h>
#include <string.h>

#include "ovi.h"
#include "sim-devices.h"

/* One thread per request: the timings asserted here are about the
 * scheduler, and OpenMP teams spinning at barriers on a loaded two-core
 * CI machine cost hundreds of milliseconds that no scheduler can help. */
static const OviCompileConfig one_thread = { .n_threads = 1 };

/* The first-inference test's network: the 64x64 CNN; under
 * AddressSanitizer (an -O0, instrumented build) its own arithmetic takes
 * most of the 100 ms on a loaded machine, so the scheduler's point is
 * made there with the tiny add-relu network. */
#if defined(__SANITIZE_ADDRESS__)
#define FIRST_MODEL "add-relu.onnx"
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FIRST_MODEL "add-relu.onnx"
#endif
#endif
#ifndef FIRST_MODEL
#define FIRST_MODEL "cnn.onnx"
#endif

static OviModel *
load (const char *name)
{
  GError *error = NULL;
  char *path = g_build_filename (OVI_TEST_MODEL_DIR, name, NULL);
  OviModel *m = ovi_model_load (path, &error);
  g_assert_no_error (error);
  g_free (path);
  return m;
}

static double
now_ms (void)
{
  return g_get_monotonic_time () / 1000.0;
}

/* Frame f's input: distinct per frame, deterministic. */
static void
fill_frame (float *x, gsize n, int f)
{
  for (gsize i = 0; i < n; i++)
    x[i] = (float) (((i * 7 + (gsize) f * 13) % 29) / 29.0 - 0.4);
}

static gsize
numel (const OviTensorView *v)
{
  gsize n = 1;
  for (int d = 0; d < v->rank; d++)
    n *= v->dims[d];
  return n;
}

/* A plain CPU compiled model of the same network: the reference. */
typedef struct {
  OviCompiledModel *cm;
  OviRequest *r;
  OviTensorView in;
  float *x;
} Reference;

static void
reference_init (Reference *ref, OviModel *m)
{
  GError *error = NULL;
  ovi_model_get_input (m, 0, NULL, &ref->in);
  ref->x = g_new (float, numel (&ref->in));
  ref->in.data = ref->x;
  ref->cm = ovi_compile (m, "CPU", &one_thread, &error);
  g_assert_no_error (error);
  ref->r = ovi_request_new (ref->cm, &error);
  g_assert_no_error (error);
}

static void
reference_clear (Reference *ref)
{
  ovi_request_free (ref->r);
  ovi_compiled_model_unref (ref->cm);
  g_free (ref->x);
}

/* Asserts that request r's outputs are the reference's for frame f. */
static void
check_frame (Reference *ref, OviRequest *r, int f)
{
  GError *error = NULL;
  OviTensorView want, got;

  fill_frame (ref->x, numel (&ref->in), f);
  g_assert_true (ovi_request_set_input_by_index (ref->r, 0, &ref->in,
          &error));
  g_assert_true (ovi_request_infer (ref->r, &error));
  g_assert_no_error (error);
  for (int o = 0; o < ovi_request_get_n_outputs (r); o++) {
    g_assert_true (ovi_request_get_output (ref->r, o, NULL, &want));
    g_assert_true (ovi_request_get_output (r, o, NULL, &got));
    g_assert_cmpint (got.rank, ==, want.rank);
    g_assert_cmpmem (got.dims, sizeof (got.dims), want.dims,
        sizeof (want.dims));
    for (gsize i = 0; i < numel (&want); i++)
      g_assert_cmpfloat_with_epsilon (((float *) got.data)[i],
          ((float *) want.data)[i],
          1e-5 * (1 + fabsf (((float *) want.data)[i])));
  }
}

/* Events and warnings, as they arrive from any thread. */
static GMutex record_lock;
static GPtrArray *events;
static GPtrArray *warnings;

static void
on_event (OviCompiledModel *cm, const OviDeviceEvent *e, gpointer data)
{
  g_mutex_lock (&record_lock);
  g_ptr_array_add (events, e->type == OVI_DEVICE_EVENT_MIGRATED
      ? g_strdup_printf ("migrated %s from %s", e->device,
          e->previous ? e->previous : "none")
      : g_strdup_printf ("failed %s", e->device));
  g_mutex_unlock (&record_lock);
}

static void
on_log (OviLogLevel level, const char *message, gpointer data)
{
  if (level != OVI_LOG_WARNING)
    return;
  g_mutex_lock (&record_lock);
  g_ptr_array_add (warnings, g_strdup (message));
  g_mutex_unlock (&record_lock);
}

static void
record_reset (void)
{
  g_mutex_lock (&record_lock);
  g_ptr_array_set_size (events, 0);
  g_ptr_array_set_size (warnings, 0);
  g_mutex_unlock (&record_lock);
}

static OviDeviceState
device_state (OviCompiledModel *cm, const char *name)
{
  OviDeviceUsage usage[8];
  int n = ovi_compiled_model_get_device_usage (cm, usage, 8);
  for (int i = 0; i < n && i < 8; i++)
    if (strcmp (usage[i].name, name) == 0)
      return usage[i].state;
  g_assert_not_reached ();
}

static guint64
device_count (OviCompiledModel *cm, const char *name)
{
  OviDeviceUsage usage[8];
  int n = ovi_compiled_model_get_device_usage (cm, usage, 8);
  for (int i = 0; i < n && i < 8; i++)
    if (strcmp (usage[i].name, name) == 0)
      return usage[i].inferences;
  g_assert_not_reached ();
}

/* Waits (generously: CI machines are loaded) for a background compile. */
static void
wait_compiled (OviCompiledModel *cm, const char *name)
{
  double deadline = now_ms () + 30000;
  while (device_state (cm, name) == OVI_DEVICE_STATE_COMPILING
      && now_ms () < deadline)
    g_usleep (2000);
  g_assert_cmpint (device_state (cm, name), !=, OVI_DEVICE_STATE_COMPILING);
}

static void
test_first_on_cpu_then_migrate (void)
{
  OviModel *m = load (FIRST_MODEL);
  GError *error = NULL;
  OviCompiledModel *cm;
  OviRequest *r;
  Reference ref;
  OviTensorView in;
  float *x;
  double start, first_ms, migrated_ms = 0;
  int f, migrated_at = -1;

  reference_init (&ref, m);
  in = ref.in;
  x = g_new (float, numel (&in));
  in.data = x;
  ovi_sim_reset (&ovi_sim_gpu);
  g_atomic_int_set (&ovi_sim_gpu.compile_delay_ms, 500);
  record_reset ();

  cm = ovi_compile (m, "AUTO:SIMGPU,CPU", &one_thread, &error);
  g_assert_no_error (error);
  /* ovi_compile returned without waiting for the slow device. */
  g_assert_cmpint (g_atomic_int_get (&ovi_sim_gpu.compiles), ==, 0);
  g_assert_cmpint (device_state (cm, "SIMGPU.0"), ==,
      OVI_DEVICE_STATE_COMPILING);
  g_assert_cmpstr (ovi_compiled_model_get_device (cm), ==, "CPU");
  ovi_compiled_model_add_listener (cm, on_event, NULL);
  r = ovi_request_new (cm, &error);
  g_assert_null (ovi_request_get_device (r));

  /* The first frame: on the CPU, at once. */
  fill_frame (x, numel (&in), 0);
  start = now_ms ();
  g_assert_true (ovi_request_set_input_by_index (r, 0, &in, &error));
  g_assert_true (ovi_request_infer (r, &error));
  first_ms = now_ms () - start;
  g_assert_no_error (error);
  g_assert_cmpstr (ovi_request_get_device (r), ==, "CPU");
  g_assert_cmpfloat (first_ms, <=, 100);
  /* It did not wait for the slow device, whatever the machine's load. */
  g_assert_cmpint (g_atomic_int_get (&ovi_sim_gpu.compiles), ==, 0);
  check_frame (&ref, r, 0);

  /* Frames keep coming, on the CPU, until the slow device has compiled
   * and run one; from then on they all run there. */
  for (f = 1; migrated_at < 0 || f < migrated_at + 20; f++) {
    fill_frame (x, numel (&in), f);
    g_assert_true (ovi_request_set_input_by_index (r, 0, &in, &error));
    g_assert_true (ovi_request_infer (r, &error));
    g_assert_no_error (error);
    check_frame (&ref, r, f);
    if (migrated_at < 0
        && strcmp (ovi_request_get_device (r), "SIMGPU.0") == 0) {
      migrated_at = f;
      migrated_ms = now_ms () - start;
    } else if (migrated_at < 0) {
      g_assert_cmpstr (ovi_request_get_device (r), ==, "CPU");
      g_assert_cmpfloat (now_ms () - start, <, 30000);
    } else {
      g_assert_cmpstr (ovi_request_get_device (r), ==, "SIMGPU.0");
    }
  }
  g_test_message ("%s: first inference on CPU %.1f ms after the first "
      "frame; frame %d (%.0f ms) was the first on SIMGPU.0 (compile delay "
      "500 ms)", FIRST_MODEL, first_ms, migrated_at, migrated_ms);
  g_assert_cmpfloat (migrated_ms, >=, 500);
  g_assert_cmpstr (ovi_compiled_model_get_device (cm), ==, "SIMGPU.0");
  g_assert_cmpuint (device_count (cm, "CPU"), ==, migrated_at);
  g_assert_cmpuint (device_count (cm, "SIMGPU.0"), ==, f - migrated_at);
  g_mutex_lock (&record_lock);
  g_assert_cmpuint (events->len, ==, 1);
  g_assert_cmpstr (events->pdata[0], ==, "migrated SIMGPU.0 from CPU");
  g_mutex_unlock (&record_lock);

  ovi_request_free (r);
  ovi_compiled_model_unref (cm);
  reference_clear (&ref);
  g_free (x);
  ovi_model_unref (m);
}

#define N_REQUESTS 4

/* Runs frames [0, n) through `reqs` round robin, each waited for in
 * submission order and checked; devices[f] gets frame f's device. */
static void
run_stream (OviRequest **reqs, Reference *ref, int n, const char **devices,
    int fail_after, OviSimBehaviour *failing)
{
  OviTensorView in[N_REQUESTS];
  float *x[N_REQUESTS];
  GError *error = NULL;

  for (int i = 0; i < N_REQUESTS; i++) {
    in[i] = ref->in;
    x[i] = g_new (float, numel (&ref->in));
    in[i].data = x[i];
  }
  for (int f = 0; f < n + N_REQUESTS; f++) {
    int k = f % N_REQUESTS;
    if (f >= N_REQUESTS) {
      g_assert_true (ovi_request_wait (reqs[k], &error));
      g_assert_no_error (error);
      check_frame (ref, reqs[k], f - N_REQUESTS);
      devices[f - N_REQUESTS] = ovi_request_get_device (reqs[k]);
    }
    if (f == fail_after && failing)
      g_atomic_int_set (&failing->fail_from,
          g_atomic_int_get (&failing->inferences) + 2);
    if (f >= n)
      continue;
    fill_frame (x[k], numel (&ref->in), f);
    g_assert_true (ovi_request_set_input_by_index (reqs[k], 0, &in[k],
            &error));
    g_assert_true (ovi_request_infer_async (reqs[k], NULL, NULL, &error));
    g_assert_no_error (error);
  }
  for (int i = 0; i < N_REQUESTS; i++)
    g_free (x[i]);
}

static void
test_failure_mid_stream (void)
{
  OviModel *m = load ("cnn.onnx");
  GError *error = NULL;
  OviCompiledModel *cm;
  OviRequest *reqs[N_REQUESTS];
  Reference ref;
  const char *devices[60];
  int n = 60, last_sim = -1;

  reference_init (&ref, m);
  ovi_sim_reset (&ovi_sim_gpu);
  g_atomic_int_set (&ovi_sim_gpu.compile_delay_ms, 20);
  record_reset ();
  cm = ovi_compile (m, "AUTO:SIMGPU,CPU", &one_thread, &error);
  g_assert_no_error (error);
  ovi_compiled_model_add_listener (cm, on_event, NULL);
  wait_compiled (cm, "SIMGPU.0");
  for (int i = 0; i < N_REQUESTS; i++)
    reqs[i] = ovi_request_new (cm, &error);

  /* From the 2nd inference on SIMGPU after frame 20 is queued, SIMGPU
   * fails: every frame still gets its (checked) result. */
  run_stream (reqs, &ref, n, devices, 20, &ovi_sim_gpu);
  g_assert_cmpint (g_atomic_int_get (&ovi_sim_gpu.inferences), >=,
      g_atomic_int_get (&ovi_sim_gpu.fail_from));
  for (int f = 0; f < n; f++)
    if (strcmp (devices[f], "SIMGPU.0") == 0)
      last_sim = f;
  g_test_message ("last frame on SIMGPU.0: %d of %d", last_sim, n);
  g_assert_cmpint (last_sim, >=, 0);
  for (int f = last_sim + 1; f < n; f++)
    g_assert_cmpstr (devices[f], ==, "CPU");
  g_assert_cmpint (last_sim, <, n - 20);
  g_assert_cmpint (device_state (cm, "SIMGPU.0"), ==,
      OVI_DEVICE_STATE_FAILED);
  g_mutex_lock (&record_lock);
  g_assert_cmpuint (events->len, ==, 2);
  g_assert_cmpstr (events->pdata[0], ==, "migrated SIMGPU.0 from CPU");
  g_assert_cmpstr (events->pdata[1], ==, "failed SIMGPU.0");
  g_assert_cmpuint (warnings->len, ==, 1);
  g_assert_nonnull (strstr (warnings->pdata[0], "SIMGPU.0 failed"));
  g_assert_nonnull (strstr (warnings->pdata[0], "simulated device failure"));
  g_mutex_unlock (&record_lock);

  for (int i = 0; i < N_REQUESTS; i++)
    ovi_request_free (reqs[i]);
  ovi_compiled_model_unref (cm);
  reference_clear (&ref);
  ovi_model_unref (m);
}

/* A device failing its very first inference (synchronous requests): the
 * frame is retried on the CPU, the device never becomes preferred. */
static void
test_failure_on_trial (void)
{
  OviModel *m = load ("cnn.onnx");
  GError *error = NULL;
  OviCompiledModel *cm;
  OviRequest *r;
  Reference ref;
  OviTensorView in;
  float *x;

  reference_init (&ref, m);
  in = ref.in;
  x = g_new (float, numel (&in));
  in.data = x;
  ovi_sim_reset (&ovi_sim_gpu);
  g_atomic_int_set (&ovi_sim_gpu.fail_from, 1);
  record_reset ();
  cm = ovi_compile (m, "gpu.9,simgpu,cpu", &one_thread, &error);
  g_assert_no_error (error);
  ovi_compiled_model_add_listener (cm, on_event, NULL);
  wait_compiled (cm, "SIMGPU.0");
  r = ovi_request_new (cm, &error);
  for (int f = 0; f < 10; f++) {
    fill_frame (x, numel (&in), f);
    g_assert_true (ovi_request_set_input_by_index (r, 0, &in, &error));
    g_assert_true (ovi_request_infer (r, &error));
    g_assert_no_error (error);
    g_assert_cmpstr (ovi_request_get_device (r), ==, "CPU");
    check_frame (&ref, r, f);
  }
  g_assert_cmpint (g_atomic_int_get (&ovi_sim_gpu.inferences), ==, 1);
  g_assert_cmpint (device_state (cm, "SIMGPU.0"), ==,
      OVI_DEVICE_STATE_FAILED);
  g_mutex_lock (&record_lock);
  g_assert_cmpuint (events->len, ==, 1);
  g_assert_cmpstr (events->pdata[0], ==, "failed SIMGPU.0");
  g_mutex_unlock (&record_lock);
  ovi_request_free (r);
  ovi_compiled_model_unref (cm);
  reference_clear (&ref);
  g_free (x);
  ovi_model_unref (m);
}

/* Two healthy devices, one three times slower (simulated run times of 10
 * and 30 ms dominate the tiny model's): one request at a time stays on
 * the first of the list; four in flight use both and finish sooner than
 * the first device alone. */
static void
test_balance (void)
{
  OviModel *m = load ("add-relu.onnx");
  GError *error = NULL;
  OviCompiledModel *cm, *alone;
  OviRequest *reqs[N_REQUESTS];
  Reference ref;
  const char *devices[48];
  int n = 48, on_fast = 0, on_slow = 0;
  double start, both_ms, alone_ms;

  reference_init (&ref, m);
  ovi_sim_reset (&ovi_sim_gpu);
  ovi_sim_reset (&ovi_sim_npu);
  g_atomic_int_set (&ovi_sim_gpu.infer_delay_ms, 10);
  g_atomic_int_set (&ovi_sim_npu.infer_delay_ms, 30);
  cm = ovi_compile (m, "AUTO:SIMGPU,SIMNPU", &one_thread, &error);
  g_assert_no_error (error);
  wait_compiled (cm, "SIMNPU.0");
  for (int i = 0; i < N_REQUESTS; i++)
    reqs[i] = ovi_request_new (cm, &error);

  /* One at a time: SIMNPU runs its trial frame, then nothing more. */
  for (int f = 0; f < 8; f++) {
    OviTensorView in = ref.in;
    float x[48];
    fill_frame (x, 48, f);
    in.data = x;
    g_assert_true (ovi_request_set_input_by_index (reqs[0], 0, &in,
            &error));
    g_assert_true (ovi_request_infer (reqs[0], &error));
    check_frame (&ref, reqs[0], f);
  }
  g_assert_cmpuint (device_count (cm, "SIMNPU.0"), ==, 1);
  g_assert_cmpuint (device_count (cm, "SIMGPU.0"), ==, 7);

  start = now_ms ();
  run_stream (reqs, &ref, n, devices, -1, NULL);
  both_ms = now_ms () - start;
  for (int f = 0; f < n; f++) {
    on_fast += strcmp (devices[f], "SIMGPU.0") == 0;
    on_slow += strcmp (devices[f], "SIMNPU.0") == 0;
  }
  for (int i = 0; i < N_REQUESTS; i++)
    ovi_request_free (reqs[i]);

  alone = ovi_compile (m, "SIMGPU", &one_thread, &error);
  g_assert_no_error (error);
  for (int i = 0; i < N_REQUESTS; i++)
    reqs[i] = ovi_request_new (alone, &error);
  start = now_ms ();
  run_stream (reqs, &ref, n, devices, -1, NULL);
  alone_ms = now_ms () - start;
  for (int i = 0; i < N_REQUESTS; i++)
    ovi_request_free (reqs[i]);

  g_test_message ("%d frames, 4 in flight: SIMGPU.0 (10 ms) %d, SIMNPU.0 "
      "(30 ms) %d, %.0f ms; SIMGPU.0 alone %.0f ms", n, on_fast, on_slow,
      both_ms, alone_ms);
  g_assert_cmpint (on_fast + on_slow, ==, n);
  g_assert_cmpint (on_slow, >, 0);
  g_assert_cmpint (on_fast, >, on_slow);
  g_assert_cmpfloat (both_ms, <, alone_ms);

  ovi_compiled_model_unref (alone);
  ovi_compiled_model_unref (cm);
  reference_clear (&ref);
  ovi_model_unref (m);
}

static void
expect_device_error (OviModel *m, const char *device, const char *words)
{
  GError *error = NULL;
  OviCompiledModel *cm = ovi_compile (m, device, &one_thread, &error);
  g_assert_null (cm);
  g_assert_error (error, OVI_ERROR, OVI_ERROR_DEVICE);
  if (strstr (error->message, words) == NULL)
    g_error ("'%s': message '%s' lacks '%s'", device, error->message, words);
  g_error_free (error);
}

/* Runs first: nothing has listed every device yet. AUTO does not probe
 * a kind that says no device it would choose can be present; naming the
 * kind, or listing every device, does. */
static void
test_unprobed_kinds (void)
{
  OviModel *m = load ("add-relu.onnx");
  GError *error = NULL;
  OviCompiledModel *cm;
  OviDeviceUsage usage[4];
  const OviDeviceInfo *d;
  int n;
  gboolean listed = FALSE;

  cm = ovi_compile (m, "AUTO", &one_thread, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ovi_compiled_model_get_device_usage (cm, usage, 4), ==,
      3);
  ovi_compiled_model_unref (cm);
  g_assert_cmpint (g_atomic_int_get (&ovi_sim_idle_probes), ==, 0);

  cm = ovi_compile (m, "SIMIDLE", &one_thread, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ovi_compiled_model_get_device_usage (cm, usage, 4), ==,
      1);
  g_assert_cmpstr (usage[0].name, ==, "SIMIDLE.0");
  ovi_compiled_model_unref (cm);
  g_assert_cmpint (g_atomic_int_get (&ovi_sim_idle_probes), ==, 1);

  d = ovi_get_devices (&n);
  for (int i = 0; i < n; i++)
    listed |= strcmp (d[i].name, "SIMIDLE.0") == 0;
  g_assert_true (listed);
  /* probed once for the process */
  g_assert_cmpint (g_atomic_int_get (&ovi_sim_idle_probes), ==, 1);
  ovi_model_unref (m);
}

static void
test_device_strings (void)
{
  OviModel *m = load ("add-relu.onnx");
  GError *error = NULL;
  OviCompiledModel *cm;
  OviDeviceUsage usage[4];

  ovi_sim_reset (&ovi_sim_gpu);
  ovi_sim_reset (&ovi_sim_npu);
  expect_device_error (m, "AUTO:FOO", "unknown device 'FOO'");
  expect_device_error (m, "gpu,,cpu", "empty entry");
  expect_device_error (m, "gpu,cpu,", "empty entry");
  expect_device_error (m, "AUTO:", "lists no device");
  expect_device_error (m, "cpu,CPU", "CPU is listed twice");
  expect_device_error (m, "HETERO:GPU,CPU", "HETERO");
  expect_device_error (m, "gpu.9,npu.9", "none of the devices");
  expect_device_error (m, "FOO", "not available");

  /* AUTO: every device present, NPU, GPU, CPU. */
  cm = ovi_compile (m, "auto", &one_thread, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ovi_compiled_model_get_device_usage (cm, usage, 4), ==,
      3);
  g_assert_cmpstr (usage[0].name, ==, "SIMNPU.0");
  g_assert_cmpstr (usage[1].name, ==, "SIMGPU.0");
  g_assert_cmpstr (usage[2].name, ==, "CPU");
  ovi_compiled_model_unref (cm);

  /* Absent devices of known types are left out; one device left is a
   * plain compiled model. */
  cm = ovi_compile (m, " GPU.9 , cpu ", &one_thread, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ovi_compiled_model_get_device_usage (cm, usage, 4), ==,
      1);
  g_assert_cmpstr (usage[0].name, ==, "CPU");
  ovi_compiled_model_unref (cm);
  cm = ovi_compile (m, "MULTI:SIMGPU.0,CPU", &one_thread, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ovi_compiled_model_get_device_usage (cm, usage, 4), ==,
      2);
  ovi_compiled_model_unref (cm);
  ovi_model_unref (m);
}

/* Dropping the compiled model while a device still compiles waits for
 * that compile; nothing leaks (run under LeakSanitizer). */
static void
test_free_while_compiling (void)
{
  OviModel *m = load ("add-relu.onnx");
  GError *error = NULL;
  OviCompiledModel *cm;

  ovi_sim_reset (&ovi_sim_gpu);
  g_atomic_int_set (&ovi_sim_gpu.compile_delay_ms, 200);
  cm = ovi_compile (m, "simgpu,cpu", &one_thread, &error);
  g_assert_no_error (error);
  ovi_compiled_model_unref (cm);
  g_assert_cmpint (g_atomic_int_get (&ovi_sim_gpu.compiles), ==, 1);
  ovi_model_unref (m);
}

int
main (int argc, char **argv)
{
  int ret;
  g_test_init (&argc, &argv, NULL);
  ovi_sim_devices_register ();
  events = g_ptr_array_new_with_free_func (g_free);
  warnings = g_ptr_array_new_with_free_func (g_free);
  ovi_set_log_callback (on_log, NULL);
  g_test_add_func ("/auto/unprobed-kinds", test_unprobed_kinds);
  g_test_add_func ("/auto/first-on-cpu-then-migrate",
      test_first_on_cpu_then_migrate);
  g_test_add_func ("/auto/failure-mid-stream", test_failure_mid_stream);
  g_test_add_func ("/auto/failure-on-trial", test_failure_on_trial);
  g_test_add_func ("/auto/balance", test_balance);
  g_test_add_func ("/auto/device-strings", test_device_strings);
  g_test_add_func ("/auto/free-while-compiling", test_free_while_compiling);
  ret = g_test_run ();
  g_ptr_array_free (events, TRUE);
  g_ptr_array_free (warnings, TRUE);
  return ret;
}
