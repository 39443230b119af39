/* A VADisplay without a window system or a DRM device node, for the tests
 * on machines without /dev/dri (CI, this project's machines). */
#ifndef OVI_TEST_VA_DISPLAY_H
#define OVI_TEST_VA_DISPLAY_H

#include <va/va.h>

/* A display libva can initialize: vaInitialize then loads the driver
 * LIBVA_DRIVER_NAME names from LIBVA_DRIVERS_PATH, as for any display
 * (set both first). vaTerminate frees it. NULL if libva cannot allocate. */
VADisplay ovi_test_va_display_new (void);

#endif
