/* CPU kernels for the misc op group. */
#include "cpu-ops.h"

const OviCpuKernel ovi_cpu_misc[] = {
  { NULL }
};
