/* Shape inference for the reduce op group. */
#include "ops.h"

const OviOpDef ovi_ops_reduce[] = {
  { NULL }
};
