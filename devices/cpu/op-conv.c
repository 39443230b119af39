/* CPU kernels for the conv op group. */
#include "cpu-ops.h"

const OviCpuKernel ovi_cpu_conv[] = {
  { NULL }
};
