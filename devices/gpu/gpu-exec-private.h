/* What the GPU executable's files share (gpu-compile.c builds the
 * executable, gpu-exec.c runs its requests, gpu-image.c pre-processes
 * pictures into their inputs): the executable's and a request's
 * layouts. Private to devices/gpu. */
#ifndef OVI_GPU_EXEC_PRIVATE_H
#define OVI_GPU_EXEC_PRIVATE_H

#include "gpu-exec.h"
#include "model.h"

G_BEGIN_DECLS

typedef struct {
  gboolean on_gpu;
  gboolean alias;
  gboolean checks;         /* a launch reports through the status word */
  OviGpuLaunch *launches;
  int n_launches;
} GpuStep;

typedef struct {
  OviGpuSession *session;
  OviPlan *plan;
  GpuStep *steps;
  int n_gpu_steps;
  int n_launches;
  cl_mem constants;
  gsize scratch_bytes;     /* split-K partial sums, per request */
  gsize *const_offset;     /* per value, G_MAXSIZE when not uploaded */
  int *input_index;        /* per value: its graph input, or -1 */
  cl_program *programs;    /* per launch, flattened over steps */
  gboolean checks;         /* some launch reports through the status word */
} GpuExecutable;

typedef struct {
  GpuExecutable *exe;
  cl_command_queue queue;
  gboolean queue_profiles;   /* created with CL_QUEUE_PROFILING_ENABLE */
  cl_event *events;          /* per launch, while profiling */
  cl_mem arena;
  cl_mem scratch;
  /* One int the kernels that check their data (an index out of range)
   * set to their step's number + 1, the first failure kept; read after
   * each inference when the executable has such kernels. */
  cl_mem status;
  gboolean unchecked;      /* a checking step ran since the word was read */
  cl_mem *input_mem;       /* per graph input */
  /* Pictures pre-processed into inputs here (ovi_gpu_set_input_image):
   * GpuImage entries, and per input whether its data comes from them. */
  GPtrArray *images;
  gboolean *image_fed;
  guint8 *host_arena;
  OviTensor *tensors;      /* host views per value, like request.c's */
  guint8 *on_host, *on_device;
  cl_kernel *kernels;      /* per launch, flattened */
  OviTensor **io;
  int *io_start;
  OviTensor dynamic_scratch;
} GpuRequest;

/* Build options of the executable's programs (gpu-compile.c). */
const char *ovi_gpu_build_options (const GpuExecutable *exe);

/* Pictures (gpu-image.c): frees a request's picture entry; enqueues the
 * pre-processing of the pictures set since the last inference, adding
 * their device time to `timing` when profiling. */
void ovi_gpu_image_free (gpointer image);
gboolean ovi_gpu_run_images (GpuRequest *r, OviProfileEntry *timing,
    GError **error);

G_END_DECLS

#endif
