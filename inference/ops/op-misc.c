/* Shape inference for the misc op group. */
#include "ops.h"

const OviOpDef ovi_ops_misc[] = {
  { NULL }
};
