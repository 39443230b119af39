/* Shape inference for the quant op group. */
#include "ops.h"

const OviOpDef ovi_ops_quant[] = {
  { NULL }
};
