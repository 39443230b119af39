/* Test hooks of the software VA driver (ovitest_drv_video.so), reached
 * through vaGetLibFunc (libva's way to a driver's own functions). */
#ifndef OVI_TEST_VA_DRIVER_H
#define OVI_TEST_VA_DRIVER_H

/* What the driver has done since it was loaded, and what lives now. */
typedef struct {
  int live_surfaces, live_images, live_buffers, live_configs, live_contexts;
  int derives;          /* successful vaDeriveImage calls */
  int get_images;       /* vaGetImage calls that copied */
  int put_images;       /* vaPutImage calls that copied */
  int maps;             /* vaMapBuffer calls */
  int copies;           /* vaCopy calls that copied */
} OviTestVaCounts;

/* vaGetLibFunc names and signatures. */
#define OVI_TEST_VA_GET_COUNTS "ovi_test_va_driver_get_counts"
typedef void (*OviTestVaGetCounts) (OviTestVaCounts *counts);
/* 0: vaDeriveImage fails as on drivers whose surfaces are not mappable
 * (tiled, compressed), so clients take the vaCreateImage + vaGetImage
 * path; 1: derives (the default). */
#define OVI_TEST_VA_SET_DERIVE "ovi_test_va_driver_set_derive"
typedef void (*OviTestVaSetDerive) (int enabled);

#endif
