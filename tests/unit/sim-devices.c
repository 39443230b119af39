/* Simulated device kinds (sim-devices.h): a device interface whose
 * executable is a CPU compiled model of the plan's graph. */
#include "sim-devices.h"

#include <string.h>

#include "device.h"

OviSimBehaviour ovi_sim_gpu;
OviSimBehaviour ovi_sim_npu;

typedef struct {
  OviSimBehaviour *behaviour;
  OviCompiledModel *cpu;
  int n_inputs;
} SimExecutable;

typedef struct {
  SimExecutable *exe;
  OviRequest *cpu;
} SimRequest;

static void
sim_enumerate (GArray *infos, OviDeviceType type)
{
  OviDeviceInfo info = {
    .full_name = "simulated device (CPU arithmetic, tests only)",
    .driver = "tests/unit/sim-devices.c",
    .type = type,
    .compute_units = 1,
  };
  g_array_append_val (infos, info);
}

static void
sim_gpu_enumerate (GArray *infos)
{
  sim_enumerate (infos, OVI_DEVICE_TYPE_GPU);
}

static void
sim_npu_enumerate (GArray *infos)
{
  sim_enumerate (infos, OVI_DEVICE_TYPE_NPU);
}

static gpointer
sim_gpu_open (int index, const OviCompileConfig *config, GError **error)
{
  ovi_sim_gpu.last_config = *config;
  return &ovi_sim_gpu;
}

static gpointer
sim_npu_open (int index, const OviCompileConfig *config, GError **error)
{
  ovi_sim_npu.last_config = *config;
  return &ovi_sim_npu;
}

static void
sim_close (gpointer device)
{
}

static gpointer
sim_compile (gpointer device, OviPlan *plan, GError **error)
{
  OviSimBehaviour *b = device;
  SimExecutable *exe;
  OviCompiledModel *cpu;
  int delay = g_atomic_int_get (&b->compile_delay_ms);

  if (delay > 0)
    g_usleep (delay * (gulong) 1000);
  cpu = ovi_compile_plan_on_cpu (plan, error);
  if (cpu == NULL)
    return NULL;
  exe = g_new0 (SimExecutable, 1);
  exe->behaviour = b;
  exe->cpu = cpu;
  exe->n_inputs = plan->graph->inputs->len;
  g_atomic_int_inc (&b->compiles);
  return exe;
}

static void
sim_release (gpointer executable)
{
  SimExecutable *exe = executable;
  ovi_compiled_model_unref (exe->cpu);
  g_free (exe);
}

static gpointer
sim_request_new (gpointer executable, GError **error)
{
  SimExecutable *exe = executable;
  SimRequest *req;
  OviRequest *cpu = ovi_request_new (exe->cpu, error);
  if (cpu == NULL)
    return NULL;
  req = g_new0 (SimRequest, 1);
  req->exe = exe;
  req->cpu = cpu;
  return req;
}

static void
sim_request_free (gpointer request)
{
  SimRequest *req = request;
  ovi_request_free (req->cpu);
  g_free (req);
}

static gboolean
sim_infer (gpointer request, const OviTensorView *inputs,
    OviTensorView *outputs, OviProfileEntry *profile, GError **error)
{
  SimRequest *req = request;
  OviSimBehaviour *b = req->exe->behaviour;
  int n = g_atomic_int_add (&b->inferences, 1) + 1;
  int fail_from = g_atomic_int_get (&b->fail_from);
  int delay = g_atomic_int_get (&b->infer_delay_ms);

  if (fail_from > 0 && n >= fail_from) {
    g_set_error (error, OVI_ERROR, OVI_ERROR_DEVICE,
        "simulated device failure (inference %d)", n);
    return FALSE;
  }
  if (delay > 0)
    g_usleep (delay * (gulong) 1000);
  for (int i = 0; i < req->exe->n_inputs; i++)
    if (!ovi_request_set_input_by_index (req->cpu, i, &inputs[i], error))
      return FALSE;
  if (!ovi_request_infer (req->cpu, error))
    return FALSE;
  for (int i = 0; i < ovi_request_get_n_outputs (req->cpu); i++)
    ovi_request_get_output (req->cpu, i, NULL, &outputs[i]);
  return TRUE;
}

static const OviDeviceInterface sim_gpu_device = {
  .type_name = "SIMGPU",
  .type = OVI_DEVICE_TYPE_GPU,
  .enumerate = sim_gpu_enumerate,
  .open = sim_gpu_open,
  .close = sim_close,
  .compile = sim_compile,
  .release = sim_release,
  .request_new = sim_request_new,
  .request_free = sim_request_free,
  .infer = sim_infer,
};

static const OviDeviceInterface sim_npu_device = {
  .type_name = "SIMNPU",
  .type = OVI_DEVICE_TYPE_NPU,
  .enumerate = sim_npu_enumerate,
  .open = sim_npu_open,
  .close = sim_close,
  .compile = sim_compile,
  .release = sim_release,
  .request_new = sim_request_new,
  .request_free = sim_request_free,
  .infer = sim_infer,
};

/* SIMIDLE: a GPU-type kind on a machine without its device nodes. */
gint ovi_sim_idle_probes;

static void
sim_idle_enumerate (GArray *infos)
{
  g_atomic_int_inc (&ovi_sim_idle_probes);
  sim_enumerate (infos, OVI_DEVICE_TYPE_GPU);
}

static gboolean
sim_idle_offload_possible (void)
{
  return FALSE;
}

static const OviDeviceInterface sim_idle_device = {
  .type_name = "SIMIDLE",
  .type = OVI_DEVICE_TYPE_GPU,
  .enumerate = sim_idle_enumerate,
  .offload_possible = sim_idle_offload_possible,
  .open = sim_gpu_open,
  .close = sim_close,
  .compile = sim_compile,
  .release = sim_release,
  .request_new = sim_request_new,
  .request_free = sim_request_free,
  .infer = sim_infer,
};

void
ovi_sim_devices_register (void)
{
  ovi_device_register_for_tests (&sim_gpu_device);
  ovi_device_register_for_tests (&sim_npu_device);
  ovi_device_register_for_tests (&sim_idle_device);
}

void
ovi_sim_reset (OviSimBehaviour *b)
{
  g_atomic_int_set (&b->compile_delay_ms, 0);
  g_atomic_int_set (&b->infer_delay_ms, 0);
  g_atomic_int_set (&b->fail_from, 0);
  g_atomic_int_set (&b->inferences, 0);
  g_atomic_int_set (&b->compiles, 0);
  memset (&b->last_config, 0, sizeof b->last_config);
}
