/* CPU kernels for the nn op group. */
#include "cpu-ops.h"

const OviCpuKernel ovi_cpu_nn[] = {
  { NULL }
};
