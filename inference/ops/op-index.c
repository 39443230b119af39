/* Shape inference for the index op group. */
#include "ops.h"

const OviOpDef ovi_ops_index[] = {
  { NULL }
};
