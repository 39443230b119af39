/* A small bitmap font for drawing labels on frames (ovoverlay): one 5x8
 * glyph per printable ASCII character, laid out in 6x9 cells (one column
 * and one row of spacing). Scale it by drawing each ink pixel as an NxN
 * block. */
#ifndef GST_OV_FONT_H
#define GST_OV_FONT_H

#include <glib.h>

G_BEGIN_DECLS

#define GST_OV_FONT_GLYPH_WIDTH 5
#define GST_OV_FONT_GLYPH_HEIGHT 8
/* Distance from one character (line) to the next, in unscaled pixels. */
#define GST_OV_FONT_ADVANCE 6
#define GST_OV_FONT_LINE_HEIGHT 9

/* TRUE for the characters with a glyph of their own: 0x20..0x7e. */
gboolean gst_ov_font_has_glyph (gchar c);

/* The glyph's GLYPH_HEIGHT rows of GLYPH_WIDTH '#' (ink) or '.'
 * characters; characters without a glyph get '?'. */
const char *const *gst_ov_font_glyph (gchar c);

/* Whether the glyph of `c` has ink at (x, y); FALSE outside the glyph. */
gboolean gst_ov_font_ink (gchar c, gint x, gint y);

G_END_DECLS

#endif
