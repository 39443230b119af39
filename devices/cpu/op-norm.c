/* CPU kernels for the norm op group. */
#include "cpu-ops.h"

const OviCpuKernel ovi_cpu_norm[] = {
  { NULL }
};
