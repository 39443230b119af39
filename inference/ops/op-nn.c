/* Shape inference for the nn op group. */
#include "ops.h"

const OviOpDef ovi_ops_nn[] = {
  { NULL }
};
