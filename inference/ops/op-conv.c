/* Shape inference for the conv op group. */
#include "ops.h"

const OviOpDef ovi_ops_conv[] = {
  { NULL }
};
