/* CPU kernels for the quant op group. */
#include "cpu-ops.h"

const OviCpuKernel ovi_cpu_quant[] = {
  { NULL }
};
