/* VA-API surfaces (GStreamer's `va` plugin, memory:VAMemory) accessed on
 * the CPU in place: the surface is exposed as a VAImage (vaDeriveImage,
 * which aliases the surface's own memory) and its buffer mapped, so the
 * pre-processing reads and ovoverlay draws straight into the surface's
 * planes. Drivers that cannot derive get a VAImage copied out with
 * vaGetImage (and back with vaPutImage after writing): one copy, the same
 * one GstVaAllocator's own mapping makes.
 *
 * Built only with gstreamer-va-1.0 and libva (HAVE_GST_VA). The GPU
 * device's zero-copy import (cl_intel_va_api_media_sharing or DMA-BUF)
 * will take the surface id and display from the same helpers. */
#ifndef GST_OV_VA_SURFACE_H
#define GST_OV_VA_SURFACE_H

#include <gst/gst.h>
#include <gst/va/gstva.h>
#include <gst/video/video.h>
#include <va/va.h>

#include "gstovmemory.h"
#include "gstovpreproc.h"

G_BEGIN_DECLS

/* Video formats a VA surface may carry that the CPU paths read: those of
 * gstovpreproc.h with a VA fourcc (no 24-bit RGB). */
#define GST_OV_VA_VIDEO_FORMATS "{ NV12, I420, BGRx, BGRA, RGBx, RGBA, " \
    "xRGB, xBGR, ARGB, ABGR, GRAY8 }"

/* The VA fourcc of a video format, 0 for none. */
guint32 gst_ov_va_fourcc_from_format (GstVideoFormat format);

/* A surface mapped for CPU access. */
typedef struct {
  GstVaDisplay *display;        /* owned */
  VASurfaceID surface;
  VAImage image;
  gboolean derived;             /* the image aliases the surface */
  gboolean write;               /* put the image back when not derived */
  guint8 *data;                 /* the mapped image buffer */
  /* The caps' info with the image's plane offsets and pitches. */
  GstVideoInfo info;
} GstOvVaMapping;

/* Maps the VA surface of `buffer` (whose caps gave `info`), read-only or
 * for writing. FALSE with error when the buffer has no surface, the
 * driver can neither derive nor copy it in `info`'s format, or the image
 * does not hold the frame. */
gboolean gst_ov_va_surface_map (GstOvVaMapping *mapping, GstBuffer *buffer,
    const GstVideoInfo *info, gboolean write, GError **error);
/* Unmaps; writes a copied image back to the surface if mapped for
 * writing. FALSE if a VA call failed (the mapping is released anyway). */
gboolean gst_ov_va_surface_unmap (GstOvVaMapping *mapping, GError **error);

/* The mapped planes for gst_ov_preproc_run_planes. */
void gst_ov_va_mapping_get_planes (const GstOvVaMapping *mapping,
    GstOvPreprocPlanes *planes);
/* The mapped planes as a GstVideoFrame (not mapped by GStreamer: never
 * pass it to gst_video_frame_unmap), for the drawing functions. */
void gst_ov_va_mapping_get_frame (const GstOvVaMapping *mapping,
    GstBuffer *buffer, GstVideoFrame *frame);

/* The display a `gst.va.display.handle` context carries (a reference),
 * NULL for other contexts. Any GstVaDisplay is accepted, whatever its
 * device node: the surfaces reaching the element decide which is used. */
GstVaDisplay *gst_ov_va_display_from_context (GstContext *context);

G_END_DECLS

#endif
