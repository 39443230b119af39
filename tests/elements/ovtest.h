/* Helpers for the element tests: a private registry with the plugin from
 * the build tree, the generated test models, and frames of solid or split
 * colors in any supported format. */
#ifndef OV_TEST_H
#define OV_TEST_H

#include <gst/check/gstharness.h>
#include <gst/gst.h>
#include <gst/video/video.h>

/* NULL-PLAYING-NULL cycles each element's state test goes through. */
#define OV_TEST_STATE_CYCLES 100

void ov_test_init (int *argc, char ***argv);
/* Runs the GLib tests, then deinitializes GStreamer (for LeakSanitizer). */
int ov_test_run (void);
/* The same, calling `before_deinit` (if not NULL) after the tests, while
 * GStreamer is still initialized. */
int ov_test_run_full (void (*before_deinit) (void));

/* A path in the generated test-model folder (owned by the helper). */
const char *ov_test_model (const char *name);

typedef void (*OvTestColorFunc) (int x, int y, guint8 rgb[3], gpointer data);

/* A frame whose pixel (x, y) has the color `func` gives; for 4:2:0
 * formats the chroma of each 2x2 block comes from its top-left pixel. */
GstBuffer *ov_test_frame (const GstVideoInfo *info, OvTestColorFunc func,
    gpointer data);
GstBuffer *ov_test_solid_frame (const GstVideoInfo *info, guint8 r, guint8 g,
    guint8 b);
/* Colors that change along both axes at different rates in each
 * channel, so that wrong strides, offsets or channel orders show:
 * an OvTestColorFunc for ov_test_frame. */
void ov_test_gradient (int x, int y, guint8 rgb[3], gpointer data);
void ov_test_video_info (GstVideoInfo *info, GstVideoFormat format, int width,
    int height);

/* Sets `launch` up in a harness with caps for `info`. */
GstHarness *ov_test_harness (const char *launch, const GstVideoInfo *info);

/* Sets the element to PLAYING expecting failure; returns the error
 * message posted (free it) or NULL if none was posted. */
char *ov_test_expect_start_error (GstElement *element);

guint ov_test_count_rois (GstBuffer *buf);
/* The buffer's n-th ROI (0-based, in meta order), or NULL. */
GstVideoRegionOfInterestMeta *ov_test_nth_roi (GstBuffer *buf, guint n);

/* Adds an installed GStreamer plugin (e.g. "coreelements") to the test's
 * registry, for the few tests that need whole pipelines; FALSE if it is
 * not installed. */
gboolean ov_test_load_system_plugin (const char *name);

/* Redirects stdout (file descriptor 1) to a temporary file until
 * ov_test_capture_stdout_end, which returns what was written (free it). */
typedef struct {
  int saved_fd;
  char *path;
} OvTestCapture;

void ov_test_capture_stdout_begin (OvTestCapture *capture);
char *ov_test_capture_stdout_end (OvTestCapture *capture);

#endif
