/* Drawing on raw video frames in system memory, in place: rectangles,
 * text in the bitmap font of gstovfont.h, and masks blended over the
 * image. Works on the frame's own format, never a converted copy: packed
 * 8-bit RGB (RGB, BGR, RGBx, BGRx, xRGB, xBGR, RGBA, BGRA, ARGB, ABGR)
 * and 8-bit 4:2:0 YUV (NV12, NV21, I420, YV12), any size and stride.
 *
 * Coordinates are frame pixels; everything is clipped to the frame, so
 * shapes partly or wholly outside it are fine. In 4:2:0 frames a chroma
 * sample belongs to a 2x2 block of pixels: a filled shape sets the chroma
 * of every block it touches, a blended one blends the chroma of a block
 * by the mask at the block's first pixel inside the shape. Drawn pixels
 * of formats with alpha become opaque. */
#ifndef GST_OV_DRAW_H
#define GST_OV_DRAW_H

#include <gst/video/video.h>

G_BEGIN_DECLS

/* A color as the frame stores it: R, G, B for RGB formats, Y, U, V for
 * YUV ones (indexed by GstVideoComponent: R/Y = 0, G/U = 1, B/V = 2). */
typedef struct {
  guint8 c[3];
} GstOvDrawColor;

gboolean gst_ov_draw_format_supported (GstVideoFormat format);

/* `info`'s format and colorimetry (matrix and range) decide the values. */
void gst_ov_draw_color_from_rgb (const GstVideoInfo *info, guint8 r,
    guint8 g, guint8 b, GstOvDrawColor *color);

/* A color for class or object number `index`, well apart from those of
 * nearby numbers: bright, saturated hues stepped by the golden ratio. */
void gst_ov_draw_index_rgb (guint index, guint8 rgb[3]);

/* The stored color of pixel (x, y), inside the frame (for tests). */
void gst_ov_draw_get_pixel (const GstVideoFrame *frame, gint x, gint y,
    GstOvDrawColor *color);

void gst_ov_draw_fill_rect (GstVideoFrame *frame, gint x, gint y, gint w,
    gint h, const GstOvDrawColor *color);

/* The outline of the box (x, y, w, h), `thickness` pixels wide on the
 * inside of the box, so boxes at the frame's edges stay visible. */
void gst_ov_draw_rect (GstVideoFrame *frame, gint x, gint y, gint w, gint h,
    gint thickness, const GstOvDrawColor *color);

/* One line of text with its top-left corner at (x, y), each font pixel
 * drawn as a `scale` x `scale` block; only the glyphs' ink is drawn. In
 * YUV frames ink sets luma only: a stroke is thinner than a chroma
 * sample, so writing chroma would smear the color of the background. */
void gst_ov_draw_text (GstVideoFrame *frame, gint x, gint y,
    const gchar *text, gint scale, const GstOvDrawColor *color);

/* The extent of gst_ov_draw_text's ink box for `text` (no trailing
 * spacing); 0 x 0 for an empty string. */
void gst_ov_draw_text_size (const gchar *text, gint scale, gint *width,
    gint *height);

/* Fills colors[0 .. n) with the colors to blend at frame pixels
 * (x, y) .. (x + n - 1, y), NULL where the pixel is left as it is. Called
 * row by row: one call per pixel would cost more than the blending. */
typedef void (*GstOvDrawMaskRowFunc) (gint x, gint y, gint n,
    const GstOvDrawColor **colors, gpointer user_data);

/* Blends `func`'s colors over the box (x, y, w, h) with opacity `alpha`
 * (0: nothing, 255: opaque). */
void gst_ov_draw_blend_mask (GstVideoFrame *frame, gint x, gint y, gint w,
    gint h, GstOvDrawMaskRowFunc func, gpointer user_data, guint8 alpha);

G_END_DECLS

#endif
