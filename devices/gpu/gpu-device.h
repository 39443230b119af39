/* The GPU device: OpenCL through the ICD loader (Debian's ocl-icd), with
 * our own OpenCL C kernels (the .cl files of kernels/) and the CPU kernels for what
 * they do not cover. See docs/devices.md. */
#ifndef OVI_GPU_DEVICE_H
#define OVI_GPU_DEVICE_H

#include "device.h"

G_BEGIN_DECLS

extern const OviDeviceInterface ovi_gpu_device;

G_END_DECLS

#endif
