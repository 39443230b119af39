/* CPU kernels for the index op group. */
#include "cpu-ops.h"

const OviCpuKernel ovi_cpu_index[] = {
  { NULL }
};
