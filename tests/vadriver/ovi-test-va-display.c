/* Why this exists: libva 2.17 has no display type without a device.
 * vaGetDisplayDRM(fd) accepts only a DRM character device
 * (drmGetNodeTypeFromFd: a char device with /sys/dev/char/M:m/device/drm),
 * and the X11 and Wayland displays need a server. So the tests build a
 * display the way libva's own backends (libva-drm, libva-x11,
 * libva-wayland) do: libva.so.2 exports va_newDisplayContext and
 * va_newDriverContext for them (declared in libva's internal
 * va_internal.h, which is not installed, hence the declarations below),
 * and a backend fills in its callbacks. Everything after that is libva's
 * unchanged path: vaInitialize reads LIBVA_DRIVER_NAME and
 * LIBVA_DRIVERS_PATH, dlopens the driver and calls its
 * __vaDriverInit_1_<minor>; every vaXxx call goes through libva to the
 * driver's vtable. */
#include "ovi-test-va-display.h"

#include <stdlib.h>
#include <string.h>
#include <va/va_backend.h>

VADisplayContextP va_newDisplayContext (void);
VADriverContextP va_newDriverContext (VADisplayContextP dctx);

/* Not one of libva's VA_DISPLAY_* types: no window system, no device. */
#define OVI_TEST_VA_DISPLAY_HEADLESS 0xe0

static int
is_valid (VADisplayContextP dctx)
{
  return dctx->pDriverContext != NULL
      && dctx->pDriverContext->display_type == OVI_TEST_VA_DISPLAY_HEADLESS;
}

static void
destroy (VADisplayContextP dctx)
{
  free (dctx->pDriverContext);
  free (dctx);
}

/* Without LIBVA_DRIVER_NAME a device would name its driver; here there is
 * none to ask, so the name is the test driver's (libva still prefers the
 * environment variable). */
static VAStatus
driver_name (VADisplayContextP dctx, char **name, int candidate)
{
  if (candidate != 0)
    return VA_STATUS_ERROR_INVALID_PARAMETER;
  *name = strdup ("ovitest");
  return *name ? VA_STATUS_SUCCESS : VA_STATUS_ERROR_ALLOCATION_FAILED;
}

VADisplay
ovi_test_va_display_new (void)
{
  VADisplayContextP dctx = va_newDisplayContext ();
  VADriverContextP ctx;

  if (dctx == NULL)
    return NULL;
  ctx = va_newDriverContext (dctx);
  if (ctx == NULL) {
    free (dctx);
    return NULL;
  }
  dctx->vaIsValid = is_valid;
  dctx->vaDestroy = destroy;
  dctx->vaGetDriverNameByIndex = driver_name;
  ctx->display_type = OVI_TEST_VA_DISPLAY_HEADLESS;
  ctx->native_dpy = NULL;
  return (VADisplay) dctx;
}
