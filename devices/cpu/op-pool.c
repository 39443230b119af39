/* CPU kernels for the pool op group. */
#include "cpu-ops.h"

const OviCpuKernel ovi_cpu_pool[] = {
  { NULL }
};
