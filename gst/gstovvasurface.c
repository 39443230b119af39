#include "gstovvasurface.h"

#include <string.h>

#include <gst/va/gstvaallocator.h>
#include <gst/va/gstvadisplay.h>
#include <gst/va/gstvadisplay_wrapped.h>

guint32
gst_ov_va_fourcc_from_format (GstVideoFormat format)
{
  /* VA's RGB fourccs name the bytes in memory order, as GStreamer's
   * formats do. */
  switch (format) {
    case GST_VIDEO_FORMAT_NV12: return VA_FOURCC_NV12;
    case GST_VIDEO_FORMAT_I420: return VA_FOURCC_I420;
    case GST_VIDEO_FORMAT_BGRx: return VA_FOURCC_BGRX;
    case GST_VIDEO_FORMAT_BGRA: return VA_FOURCC_BGRA;
    case GST_VIDEO_FORMAT_RGBx: return VA_FOURCC_RGBX;
    case GST_VIDEO_FORMAT_RGBA: return VA_FOURCC_RGBA;
    case GST_VIDEO_FORMAT_xRGB: return VA_FOURCC_XRGB;
    case GST_VIDEO_FORMAT_xBGR: return VA_FOURCC_XBGR;
    case GST_VIDEO_FORMAT_ARGB: return VA_FOURCC_ARGB;
    case GST_VIDEO_FORMAT_ABGR: return VA_FOURCC_ABGR;
    case GST_VIDEO_FORMAT_GRAY8: return VA_FOURCC_Y800;
    default: return 0;
  }
}

static gboolean
va_failed (GError **error, const char *call, VAStatus status)
{
  g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ,
      "%s failed on the VA surface: %s", call, vaErrorStr (status));
  return FALSE;
}

/* The image's planes hold the frame: what a driver says is read as
 * untrusted, so a wrong pitch or size cannot send the reader past the
 * mapped buffer. */
static gboolean
image_holds_frame (const VAImage *image, const GstVideoInfo *info)
{
  const GstVideoFormatInfo *finfo = info->finfo;
  guint w = GST_VIDEO_INFO_WIDTH (info), h = GST_VIDEO_INFO_HEIGHT (info);

  if (image->format.fourcc != gst_ov_va_fourcc_from_format (
          GST_VIDEO_INFO_FORMAT (info))
      || image->num_planes < GST_VIDEO_INFO_N_PLANES (info)
      || image->width < w || image->height < h)
    return FALSE;
  for (guint i = 0; i < GST_VIDEO_INFO_N_PLANES (info); i++) {
    gint comp[GST_VIDEO_MAX_COMPONENTS];
    guint64 rows, row_bytes;
    gst_video_format_info_component (finfo, i, comp);
    rows = GST_VIDEO_FORMAT_INFO_SCALE_HEIGHT (finfo, comp[0], h);
    row_bytes = (guint64) GST_VIDEO_FORMAT_INFO_SCALE_WIDTH (finfo, comp[0],
        w) * GST_VIDEO_FORMAT_INFO_PSTRIDE (finfo, comp[0]);
    if (image->pitches[i] < row_bytes
        || (guint64) image->offsets[i] + image->pitches[i] * (rows - 1)
        + row_bytes > image->data_size)
      return FALSE;
  }
  return TRUE;
}

/* The driver's description of the format (RGB ones carry masks that
 * vaCreateImage checks). */
static gboolean
find_image_format (VADisplay dpy, guint32 fourcc, VAImageFormat *format)
{
  int max = vaMaxNumImageFormats (dpy), n = 0;
  VAImageFormat *formats;
  gboolean found = FALSE;

  if (max <= 0)
    return FALSE;
  formats = g_new0 (VAImageFormat, max);
  if (vaQueryImageFormats (dpy, formats, &n) == VA_STATUS_SUCCESS) {
    for (int i = 0; i < MIN (n, max) && !found; i++) {
      if (formats[i].fourcc == fourcc) {
        *format = formats[i];
        found = TRUE;
      }
    }
  }
  g_free (formats);
  return found;
}

static void
release (GstOvVaMapping *m)
{
  VADisplay dpy = gst_va_display_get_va_dpy (m->display);
  if (m->data)
    vaUnmapBuffer (dpy, m->image.buf);
  if (m->image.image_id != VA_INVALID_ID)
    vaDestroyImage (dpy, m->image.image_id);
  m->data = NULL;
  m->image.image_id = VA_INVALID_ID;
  gst_clear_object (&m->display);
}

/* The copying fallback: an image of the frame's format filled by the
 * driver with vaGetImage. */
static gboolean
copy_out (GstOvVaMapping *m, VADisplay dpy, const GstVideoInfo *info,
    GError **error)
{
  guint32 fourcc = gst_ov_va_fourcc_from_format (GST_VIDEO_INFO_FORMAT (info));
  VAImageFormat format;
  VAStatus st;

  if (!find_image_format (dpy, fourcc, &format)) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ,
        "the VA driver neither derives the surface nor has %s images",
        gst_video_format_to_string (GST_VIDEO_INFO_FORMAT (info)));
    return FALSE;
  }
  st = vaCreateImage (dpy, &format, GST_VIDEO_INFO_WIDTH (info),
      GST_VIDEO_INFO_HEIGHT (info), &m->image);
  if (st != VA_STATUS_SUCCESS) {
    m->image.image_id = VA_INVALID_ID;
    return va_failed (error, "vaCreateImage", st);
  }
  if (!image_holds_frame (&m->image, info)) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ,
        "the VA driver's image does not hold a %ux%u %s frame",
        GST_VIDEO_INFO_WIDTH (info), GST_VIDEO_INFO_HEIGHT (info),
        gst_video_format_to_string (GST_VIDEO_INFO_FORMAT (info)));
    return FALSE;
  }
  st = vaGetImage (dpy, m->surface, 0, 0, GST_VIDEO_INFO_WIDTH (info),
      GST_VIDEO_INFO_HEIGHT (info), m->image.image_id);
  if (st != VA_STATUS_SUCCESS)
    return va_failed (error, "vaGetImage", st);
  return TRUE;
}

gboolean
gst_ov_va_surface_map (GstOvVaMapping *m, GstBuffer *buffer,
    const GstVideoInfo *info, gboolean write, GError **error)
{
  GstVaDisplay *display;
  VADisplay dpy;
  VAStatus st;
  void *data = NULL;

  memset (m, 0, sizeof *m);
  m->image.image_id = VA_INVALID_ID;
  m->surface = gst_va_buffer_get_surface (buffer);
  display = gst_va_buffer_peek_display (buffer);
  if (m->surface == VA_INVALID_ID || display == NULL) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ,
        "the buffer has no VA surface (memory:VAMemory caps on other "
        "memory)");
    return FALSE;
  }
  if (gst_ov_va_fourcc_from_format (GST_VIDEO_INFO_FORMAT (info)) == 0) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ,
        "%s frames are not read from VA surfaces",
        gst_video_format_to_string (GST_VIDEO_INFO_FORMAT (info)));
    return FALSE;
  }
  m->display = gst_object_ref (display);
  m->write = write;
  dpy = gst_va_display_get_va_dpy (display);

  /* A decoder may still be writing the surface. */
  st = vaSyncSurface (dpy, m->surface);
  if (st != VA_STATUS_SUCCESS) {
    va_failed (error, "vaSyncSurface", st);
    goto failed;
  }
  st = vaDeriveImage (dpy, m->surface, &m->image);
  if (st == VA_STATUS_SUCCESS && image_holds_frame (&m->image, info)) {
    m->derived = TRUE;
  } else {
    /* Not derivable, or derived in another format or layout (tiled
     * surfaces, say): ask the driver for a copy in the caps' format. */
    if (st == VA_STATUS_SUCCESS)
      vaDestroyImage (dpy, m->image.image_id);
    m->image.image_id = VA_INVALID_ID;
    if (!copy_out (m, dpy, info, error))
      goto failed;
  }
  st = vaMapBuffer (dpy, m->image.buf, &data);
  if (st != VA_STATUS_SUCCESS || data == NULL) {
    va_failed (error, "vaMapBuffer", st);
    goto failed;
  }
  m->data = data;
  m->info = *info;
  for (guint i = 0; i < GST_VIDEO_INFO_N_PLANES (info); i++) {
    GST_VIDEO_INFO_PLANE_OFFSET (&m->info, i) = m->image.offsets[i];
    GST_VIDEO_INFO_PLANE_STRIDE (&m->info, i) = (gint) m->image.pitches[i];
  }
  GST_VIDEO_INFO_SIZE (&m->info) = m->image.data_size;
  return TRUE;

failed:
  release (m);
  return FALSE;
}

gboolean
gst_ov_va_surface_unmap (GstOvVaMapping *m, GError **error)
{
  VADisplay dpy;
  VAStatus st = VA_STATUS_SUCCESS;

  if (m->display == NULL)
    return TRUE;
  dpy = gst_va_display_get_va_dpy (m->display);
  st = vaUnmapBuffer (dpy, m->image.buf);
  m->data = NULL;
  if (st == VA_STATUS_SUCCESS && m->write && !m->derived)
    st = vaPutImage (dpy, m->surface, m->image.image_id, 0, 0,
        GST_VIDEO_INFO_WIDTH (&m->info), GST_VIDEO_INFO_HEIGHT (&m->info),
        0, 0, GST_VIDEO_INFO_WIDTH (&m->info),
        GST_VIDEO_INFO_HEIGHT (&m->info));
  release (m);
  if (st != VA_STATUS_SUCCESS)
    return va_failed (error, m->derived ? "vaUnmapBuffer" : "vaPutImage", st);
  return TRUE;
}

void
gst_ov_va_mapping_get_planes (const GstOvVaMapping *m,
    GstOvPreprocPlanes *planes)
{
  memset (planes, 0, sizeof *planes);
  planes->info = &m->info;
  for (guint i = 0; i < GST_VIDEO_INFO_N_PLANES (&m->info); i++) {
    planes->data[i] = m->data + GST_VIDEO_INFO_PLANE_OFFSET (&m->info, i);
    planes->stride[i] = GST_VIDEO_INFO_PLANE_STRIDE (&m->info, i);
  }
}

void
gst_ov_va_mapping_get_frame (const GstOvVaMapping *m, GstBuffer *buffer,
    GstVideoFrame *frame)
{
  memset (frame, 0, sizeof *frame);
  frame->info = m->info;
  frame->buffer = buffer;
  for (guint i = 0; i < GST_VIDEO_INFO_N_PLANES (&m->info); i++)
    frame->data[i] = m->data + GST_VIDEO_INFO_PLANE_OFFSET (&m->info, i);
}

GstVaDisplay *
gst_ov_va_display_from_context (GstContext *context)
{
  const GstStructure *s;
  GstObject *object = NULL;
  gpointer handle = NULL;

  if (context == NULL || g_strcmp0 (gst_context_get_context_type (context),
          GST_VA_DISPLAY_HANDLE_CONTEXT_TYPE_STR) != 0)
    return NULL;
  s = gst_context_get_structure (context);
  /* GStreamer's va elements share a GstVaDisplay; applications may give
   * a bare VADisplay instead. */
  if (gst_structure_get (s, "gst-display", GST_TYPE_OBJECT, &object, NULL)
      && object) {
    if (GST_IS_VA_DISPLAY (object))
      return GST_VA_DISPLAY (object);
    gst_object_unref (object);
  }
  if (gst_structure_get (s, "va-display", G_TYPE_POINTER, &handle, NULL)
      && handle)
    return gst_va_display_wrapped_new (handle);
  return NULL;
}
