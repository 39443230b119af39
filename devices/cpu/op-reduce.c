/* CPU kernels for the reduce op group. */
#include "cpu-ops.h"

const OviCpuKernel ovi_cpu_reduce[] = {
  { NULL }
};
