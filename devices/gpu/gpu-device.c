/* OpenCL device discovery through the ICD loader, and the device's
 * interface. Every platform's devices are listed, GPU-type ones first,
 * then the others (pocl's CPU device among them, which is what CI and this
 * project's tests run the GPU code on). */
#include <string.h>

#include "gpu-device.h"
#include "gpu-context.h"
#include "gpu-exec.h"

static GPtrArray *devices;    /* OviGpuDevice *, for the process */

static char *
device_string (cl_device_id id, cl_device_info what)
{
  size_t size = 0;
  char *s;
  if (clGetDeviceInfo (id, what, 0, NULL, &size) != CL_SUCCESS || size == 0)
    return g_strdup ("");
  s = g_malloc0 (size + 1);
  if (clGetDeviceInfo (id, what, size, s, NULL) != CL_SUCCESS)
    s[0] = '\0';
  return g_strstrip (s);
}

static char *
platform_string (cl_platform_id id, cl_platform_info what)
{
  size_t size = 0;
  char *s;
  if (clGetPlatformInfo (id, what, 0, NULL, &size) != CL_SUCCESS || size == 0)
    return g_strdup ("");
  s = g_malloc0 (size + 1);
  if (clGetPlatformInfo (id, what, size, s, NULL) != CL_SUCCESS)
    s[0] = '\0';
  return g_strstrip (s);
}

static OviGpuDevice *
describe (cl_platform_id platform, cl_device_id id)
{
  OviGpuDevice *d = g_new0 (OviGpuDevice, 1);
  char *ext = device_string (id, CL_DEVICE_EXTENSIONS);
  char *pname = platform_string (platform, CL_PLATFORM_NAME);
  char *dver = device_string (id, CL_DRIVER_VERSION);
  cl_ulong mem = 0, local = 0;
  cl_uint units = 0;
  size_t wg = 0;

  d->platform = platform;
  d->id = id;
  d->name = device_string (id, CL_DEVICE_NAME);
  d->vendor = device_string (id, CL_DEVICE_VENDOR);
  d->version = device_string (id, CL_DEVICE_VERSION);
  d->driver = g_strdup_printf ("OpenCL %s, driver %s", pname, dver);
  clGetDeviceInfo (id, CL_DEVICE_TYPE, sizeof (d->type), &d->type, NULL);
  clGetDeviceInfo (id, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof (mem), &mem, NULL);
  clGetDeviceInfo (id, CL_DEVICE_LOCAL_MEM_SIZE, sizeof (local), &local, NULL);
  clGetDeviceInfo (id, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof (units), &units,
      NULL);
  clGetDeviceInfo (id, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof (wg), &wg, NULL);
  d->memory = mem;
  d->local_memory = local;
  d->compute_units = (int) units;
  d->max_work_group = wg;
  {
    cl_device_fp_config fp = 0;
    clGetDeviceInfo (id, CL_DEVICE_SINGLE_FP_CONFIG, sizeof (fp), &fp, NULL);
    d->exact_divide = (fp & CL_FP_CORRECTLY_ROUNDED_DIVIDE_SQRT) != 0;
  }
  /* Whole-word match: cl_khr_fp16 is not a prefix of another name, but
   * be exact anyway. */
  {
    char **words = g_strsplit (ext, " ", -1);
    for (int i = 0; words[i]; i++)
      d->fp16 |= strcmp (words[i], "cl_khr_fp16") == 0;
    g_strfreev (words);
  }
  g_mutex_init (&d->lock);
  g_mutex_init (&d->program_lock);
  g_free (ext);
  g_free (pname);
  g_free (dver);
  return d;
}

/* Probes once. No ICD file, no platform or no device is an empty list. */
static GPtrArray *
get_devices (void)
{
  static gsize once;
  if (g_once_init_enter (&once)) {
    GPtrArray *gpus = g_ptr_array_new ();
    GPtrArray *others = g_ptr_array_new ();
    cl_uint n_platforms = 0;
    cl_platform_id *platforms = NULL;

    devices = g_ptr_array_new ();
    if (clGetPlatformIDs (0, NULL, &n_platforms) == CL_SUCCESS
        && n_platforms > 0) {
      platforms = g_new0 (cl_platform_id, n_platforms);
      if (clGetPlatformIDs (n_platforms, platforms, NULL) != CL_SUCCESS)
        n_platforms = 0;
    }
    for (cl_uint p = 0; p < n_platforms; p++) {
      cl_uint n = 0;
      cl_device_id *ids;
      if (clGetDeviceIDs (platforms[p], CL_DEVICE_TYPE_ALL, 0, NULL, &n)
          != CL_SUCCESS || n == 0)
        continue;
      ids = g_new0 (cl_device_id, n);
      if (clGetDeviceIDs (platforms[p], CL_DEVICE_TYPE_ALL, n, ids, NULL)
          == CL_SUCCESS) {
        for (cl_uint i = 0; i < n; i++) {
          OviGpuDevice *d = describe (platforms[p], ids[i]);
          g_ptr_array_add (d->type & CL_DEVICE_TYPE_GPU ? gpus : others, d);
        }
      }
      g_free (ids);
    }
    for (guint i = 0; i < gpus->len; i++)
      g_ptr_array_add (devices, g_ptr_array_index (gpus, i));
    for (guint i = 0; i < others->len; i++)
      g_ptr_array_add (devices, g_ptr_array_index (others, i));
    g_ptr_array_free (gpus, TRUE);
    g_ptr_array_free (others, TRUE);
    g_free (platforms);
    g_once_init_leave (&once, 1);
  }
  return devices;
}

int
ovi_gpu_device_count (void)
{
  return (int) get_devices ()->len;
}

OviGpuDevice *
ovi_gpu_device_get (int index)
{
  GPtrArray *d = get_devices ();
  return index >= 0 && (guint) index < d->len ? g_ptr_array_index (d, index)
      : NULL;
}

cl_context
ovi_gpu_device_context (OviGpuDevice *dev, GError **error)
{
  cl_context ctx;
  g_mutex_lock (&dev->lock);
  if (dev->context == NULL) {
    cl_context_properties props[] = { CL_CONTEXT_PLATFORM,
      (cl_context_properties) dev->platform, 0 };
    cl_int err = CL_SUCCESS;
    dev->context = clCreateContext (props, 1, &dev->id, NULL, NULL, &err);
    if (dev->context == NULL || err != CL_SUCCESS) {
      dev->context = NULL;
      ovi_gpu_set_error (error, "clCreateContext", err);
    }
  }
  ctx = dev->context;
  g_mutex_unlock (&dev->lock);
  return ctx;
}

static void
gpu_enumerate (GArray *infos)
{
  int n = ovi_gpu_device_count ();
  for (int i = 0; i < n; i++) {
    OviGpuDevice *d = ovi_gpu_device_get (i);
    OviDeviceInfo info = {
      .full_name = d->name,
      .driver = d->driver,
      .type = OVI_DEVICE_TYPE_GPU,
      .fp16 = d->fp16,
      /* pocl's CPU device reports host memory: shared, not its own. */
      .memory_bytes = d->type & CL_DEVICE_TYPE_GPU ? d->memory : 0,
      .compute_units = d->compute_units,
      .on_host = (d->type & CL_DEVICE_TYPE_CPU) != 0,
    };
    g_array_append_val (infos, info);
  }
}

static gpointer
gpu_open (int index, const OviCompileConfig *config, GError **error)
{
  OviGpuDevice *dev = ovi_gpu_device_get (index);
  if (dev == NULL) {
    g_set_error (error, OVI_ERROR, OVI_ERROR_DEVICE,
        "GPU.%d is not available", index);
    return NULL;
  }
  if (ovi_gpu_device_context (dev, error) == NULL)
    return NULL;
  return ovi_gpu_session_new (dev, config);
}

/* A GPU AUTO would choose needs a kernel driver and its device node: a
 * DRM render node (Intel, AMD, Mesa's drivers), NVIDIA's control node or
 * AMD's compute node. Without any, probing OpenCL could only find
 * devices on the host's cores, which AUTO leaves out, and would load
 * their ICDs for nothing (pocl brings LLVM: 60 MiB resident). */
static gboolean
gpu_offload_possible (void)
{
  return ovi_device_node_present ("/dev/dri", "renderD")
      || g_file_test ("/dev/nvidiactl", G_FILE_TEST_EXISTS)
      || g_file_test ("/dev/kfd", G_FILE_TEST_EXISTS);
}

const OviDeviceInterface ovi_gpu_device = {
  .type_name = "GPU",
  .type = OVI_DEVICE_TYPE_GPU,
  .enumerate = gpu_enumerate,
  .offload_possible = gpu_offload_possible,
  .open = gpu_open,
  .close = ovi_gpu_session_free,
  .compile = ovi_gpu_compile,
  .release = ovi_gpu_executable_free,
  .request_new = ovi_gpu_request_new,
  .request_free = ovi_gpu_request_free,
  .infer = ovi_gpu_infer,
  .set_input_image = ovi_gpu_set_input_image,
};

const char *
ovi_gpu_cl_error_name (cl_int code)
{
  switch (code) {
#define E(x) case x: return #x;
    E (CL_SUCCESS) E (CL_DEVICE_NOT_FOUND) E (CL_DEVICE_NOT_AVAILABLE)
    E (CL_COMPILER_NOT_AVAILABLE) E (CL_MEM_OBJECT_ALLOCATION_FAILURE)
    E (CL_OUT_OF_RESOURCES) E (CL_OUT_OF_HOST_MEMORY)
    E (CL_BUILD_PROGRAM_FAILURE) E (CL_INVALID_VALUE)
    E (CL_INVALID_DEVICE) E (CL_INVALID_BINARY)
    E (CL_INVALID_BUILD_OPTIONS) E (CL_INVALID_PROGRAM)
    E (CL_INVALID_KERNEL_NAME) E (CL_INVALID_KERNEL_ARGS)
    E (CL_INVALID_ARG_INDEX) E (CL_INVALID_ARG_VALUE) E (CL_INVALID_ARG_SIZE)
    E (CL_INVALID_WORK_DIMENSION) E (CL_INVALID_WORK_GROUP_SIZE)
    E (CL_INVALID_WORK_ITEM_SIZE) E (CL_INVALID_GLOBAL_OFFSET)
    E (CL_INVALID_BUFFER_SIZE) E (CL_INVALID_MEM_OBJECT)
    E (CL_INVALID_COMMAND_QUEUE) E (CL_INVALID_CONTEXT)
    E (CL_INVALID_KERNEL) E (CL_INVALID_OPERATION)
#undef E
    case -1001:
      return "CL_PLATFORM_NOT_FOUND_KHR";
    default:
      return "unknown OpenCL error";
  }
}

void
ovi_gpu_set_error (GError **error, const char *what, cl_int code)
{
  g_set_error (error, OVI_ERROR, OVI_ERROR_DEVICE, "%s failed: %s (%d)",
      what, ovi_gpu_cl_error_name (code), code);
}
