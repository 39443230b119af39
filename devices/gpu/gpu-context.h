/* Internals of the GPU device shared by its files: the OpenCL devices
 * found (one process-wide record each, with its context and built
 * programs), and the program cache. */
#ifndef OVI_GPU_CONTEXT_H
#define OVI_GPU_CONTEXT_H

#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>
#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  cl_platform_id platform;
  cl_device_id id;
  char *name;               /* CL_DEVICE_NAME */
  char *vendor;             /* CL_DEVICE_VENDOR */
  char *driver;             /* platform name, driver version */
  char *version;            /* CL_DEVICE_VERSION */
  cl_device_type type;
  gboolean fp16;            /* cl_khr_fp16 */
  gboolean exact_divide;    /* CL_FP_CORRECTLY_ROUNDED_DIVIDE_SQRT */
  guint64 memory;
  int compute_units;
  size_t max_work_group;
  guint64 local_memory;

  /* Created on first use and kept for the process: building programs is
   * the slow part (seconds on pocl), done once per device. */
  GMutex lock;              /* guards context */
  cl_context context;
  GMutex program_lock;      /* guards programs, held while building */
  GHashTable *programs;     /* "name|options" -> cl_program */
} OviGpuDevice;

/* The OpenCL devices, GPU-type first; none without an ICD or platform. */
int ovi_gpu_device_count (void);
OviGpuDevice *ovi_gpu_device_get (int index);
/* The device's context, created once; NULL with an error on failure. */
cl_context ovi_gpu_device_context (OviGpuDevice *dev, GError **error);

/* The built program `name` (kernels/NAME.cl after common.cl) for these
 * build options, built once per device and process; owned by the device. */
cl_program ovi_gpu_program_get (OviGpuDevice *dev, const char *name,
    const char *options, GError **error);
/* Builds it without the per-process table, through the on-disk binary
 * cache: for tests of that cache. from_cache says whether a cached binary
 * was used. The caller releases the program. */
cl_program ovi_gpu_program_build (OviGpuDevice *dev, const char *name,
    const char *options, gboolean *from_cache, GError **error);
/* The cache file of that program (it may not exist). */
char *ovi_gpu_program_cache_path (OviGpuDevice *dev, const char *name,
    const char *options);

const char *ovi_gpu_cl_error_name (cl_int code);
/* Sets OVI_ERROR_DEVICE naming the failed call and the OpenCL error. */
void ovi_gpu_set_error (GError **error, const char *what, cl_int code);

G_END_DECLS

#endif
