/* Shape inference for the shape op group. */
#include "ops.h"

const OviOpDef ovi_ops_shape[] = {
  { NULL }
};
