/* Shape inference for the pool op group. */
#include "ops.h"

const OviOpDef ovi_ops_pool[] = {
  { NULL }
};
