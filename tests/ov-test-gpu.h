/* For tests of the GPU device: whether an OpenCL device is listed
 * (pocl provides one here and in CI, a real GPU on a lent machine). */
#ifndef OV_TEST_GPU_H
#define OV_TEST_GPU_H

#include <string.h>

#include "ovi.h"

static inline gboolean
ov_test_have_gpu (void)
{
  int n;
  const OviDeviceInfo *d = ovi_get_devices (&n);
  for (int i = 0; i < n; i++)
    if (strcmp (d[i].name, "GPU.0") == 0)
      return TRUE;
  return FALSE;
}

#endif
