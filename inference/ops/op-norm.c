/* Shape inference for the norm op group. */
#include "ops.h"

const OviOpDef ovi_ops_norm[] = {
  { NULL }
};
