/* The NPU device: Intel NPUs through the Level Zero loader and the
 * driver's graph extension (docs/devices.md). */
#ifndef OVI_NPU_DEVICE_H
#define OVI_NPU_DEVICE_H

#include "device.h"

G_BEGIN_DECLS

extern const OviDeviceInterface ovi_npu_device;

/* Imports a DMA-BUF (a decoded frame) into the device's context as
 * Level Zero memory the NPU reads in place, through
 * ze_external_memory_import_fd_t. device: what the interface's open
 * returned. *ptr stays valid until ovi_npu_release_import. The fd is not
 * taken: the caller keeps and closes it. */
gboolean ovi_npu_import_dma_buf (gpointer device, int fd, gsize size,
    void **ptr, GError **error);
void ovi_npu_release_import (gpointer device, void *ptr);

G_END_DECLS

#endif
