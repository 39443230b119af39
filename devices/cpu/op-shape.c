/* CPU kernels for the shape op group. */
#include "cpu-ops.h"

const OviCpuKernel ovi_cpu_shape[] = {
  { NULL }
};
