/**
 * SECTION:element-ovoverlay
 * @title: ovoverlay
 *
 * Draws the inference results on the video, in place, in the frame's own
 * format (packed RGB or 4:2:0 YUV, in system memory or on a VA surface,
 * mapped in place), like DL Streamer's
 * gvawatermark: a box per object in a color of its class (or of its track
 * when it has an `object_id`), a label above it ("person 87% #3": label,
 * confidence, track id) with one line per classification attribute,
 * instance masks (`segmentation_mask`) and semantic masks
 * (`semantic_mask`, on the object or the whole frame) blended at half
 * opacity, and whole-frame classification labels in the top-left corner.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 videotestsrc num-buffers=60 pattern=white ! \
 *     video/x-raw,format=NV12,width=640,height=360 ! \
 *     ovdetect model=detect-ssd.onnx model-proc=detect-ssd.json ! \
 *     ovoverlay ! videoconvert ! jpegenc ! avimux ! filesink location=out.avi
 * ]|
 */
#include "gstovoverlay.h"

#include <string.h>

#include "gstovdraw.h"
#include "gstovfont.h"
#include "gstovmemory.h"
#include "gstovmeta.h"
#ifdef HAVE_GST_VA
#include "gstovvasurface.h"
#endif

GST_DEBUG_CATEGORY_STATIC (gst_ov_overlay_debug);
#define GST_CAT_DEFAULT gst_ov_overlay_debug

#define DEFAULT_DEVICE "CPU"
#define DEFAULT_OBB FALSE
#define DEFAULT_DRAW_LABELS TRUE
#define DEFAULT_DRAW_MASKS TRUE
#define DEFAULT_THICKNESS 0
#define DEFAULT_TEXT_SCALE 0
#define MAX_THICKNESS 100
#define MAX_TEXT_SCALE 32

/* Masks at half opacity: the image under them stays visible. */
#define MASK_ALPHA 128
/* Longer attribute labels are cut: a label is a tag, not a paragraph. */
#define MAX_LINE_CHARS 48
/* Class colors of semantic masks, looked up per pixel from this table
 * (class ids past it reuse its colors). */
#define N_CLASS_COLORS 256

enum {
  PROP_0,
  PROP_DEVICE,
  PROP_OBB,
  PROP_DRAW_LABELS,
  PROP_DRAW_MASKS,
  PROP_THICKNESS,
  PROP_TEXT_SCALE,
};

struct _GstOvOverlay {
  GstVideoFilter parent;
  gchar *device;
  gboolean obb;
  gboolean draw_labels;
  gboolean draw_masks;
  guint thickness;
  guint text_scale;
  GstOvMemoryKind memory;       /* of the negotiated caps */
};

#define VIDEO_FORMATS "{ BGRx, BGRA, BGR, NV12, I420, RGBx, RGBA, RGB, " \
    "xRGB, ARGB, xBGR, ABGR, NV21, YV12 }"

/* VA surfaces are drawn on in place (gstovvasurface.h): the drawable
 * formats that have a VA fourcc. */
#ifdef HAVE_GST_VA
#define VA_VIDEO_FORMATS "{ NV12, I420, BGRx, BGRA, RGBx, RGBA, xRGB, " \
    "ARGB, xBGR, ABGR }"
#define OVERLAY_CAPS GST_VIDEO_CAPS_MAKE (VIDEO_FORMATS) "; " \
    GST_VIDEO_CAPS_MAKE_WITH_FEATURES (GST_OV_CAPS_FEATURE_MEMORY_VA, \
        VA_VIDEO_FORMATS)
#else
#define OVERLAY_CAPS GST_VIDEO_CAPS_MAKE (VIDEO_FORMATS)
#endif

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS (OVERLAY_CAPS));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS (OVERLAY_CAPS));

G_DEFINE_TYPE (GstOvOverlay, gst_ov_overlay, GST_TYPE_VIDEO_FILTER);
GST_ELEMENT_REGISTER_DEFINE (ovoverlay, "ovoverlay", GST_RANK_NONE,
    GST_TYPE_OV_OVERLAY);

/* ---- one frame's drawing ------------------------------------------------ */

/* What a frame is drawn with: the settings of the moment and colors
 * prepared for the frame's format. */
typedef struct {
  GstOvOverlay *self;
  GstVideoFrame *frame;
  gint width, height;
  gboolean draw_labels, draw_masks;
  gint thickness, scale;
  GstOvDrawColor class_colors[N_CLASS_COLORS];
  gboolean class_colors_ready;
} Painter;

/* An object's box in frame pixels: as its metadata says (what masks
 * cover) and clipped to the frame (what is drawn). */
typedef struct {
  gint64 x, y, w, h;
  gint cx, cy, cw, ch;
} ObjectBox;

static void
object_box_init (ObjectBox *b, const Painter *p, gint64 x, gint64 y,
    gint64 w, gint64 h)
{
  gint64 x1 = CLAMP (x + w, 0, p->width), y1 = CLAMP (y + h, 0, p->height);
  b->x = x;
  b->y = y;
  b->w = w;
  b->h = h;
  b->cx = (gint) CLAMP (x, 0, p->width);
  b->cy = (gint) CLAMP (y, 0, p->height);
  b->cw = (gint) MAX (x1 - b->cx, 0);
  b->ch = (gint) MAX (y1 - b->cy, 0);
}

static void
painter_color (const Painter *p, guint index, GstOvDrawColor *color,
    guint8 rgb[3])
{
  gst_ov_draw_index_rgb (index, rgb);
  gst_ov_draw_color_from_rgb (&p->frame->info, rgb[0], rgb[1], rgb[2], color);
}

/* The colors of semantic classes 0 .. N_CLASS_COLORS - 1, converted to
 * the frame's format once per frame that has a semantic mask. */
static const GstOvDrawColor *
painter_class_colors (Painter *p)
{
  if (!p->class_colors_ready) {
    guint8 rgb[3];
    for (guint i = 0; i < N_CLASS_COLORS; i++)
      painter_color (p, i, &p->class_colors[i], rgb);
    p->class_colors_ready = TRUE;
  }
  return p->class_colors;
}

/* ---- tensors ------------------------------------------------------------ */

/* The tensor's dims (at most 4); FALSE when it has none or more. */
static gboolean
tensor_dims (const GstStructure *s, guint64 dims[4], guint *rank)
{
  const GValue *v = gst_structure_get_value (s, "dims");
  if (v == NULL || !GST_VALUE_HOLDS_ARRAY (v))
    return FALSE;
  *rank = gst_value_array_get_size (v);
  if (*rank == 0 || *rank > 4)
    return FALSE;
  for (guint i = 0; i < *rank; i++) {
    const GValue *d = gst_value_array_get_value (v, i);
    if (G_VALUE_HOLDS_UINT (d))
      dims[i] = g_value_get_uint (d);
    else if (G_VALUE_HOLDS_INT (d) && g_value_get_int (d) >= 0)
      dims[i] = (guint64) g_value_get_int (d);
    else
      return FALSE;
  }
  return TRUE;
}

/* Which mask cell each drawn pixel takes, the mask stretched over the
 * object's box: the cell nearest to the pixel's center. Worked out once
 * per row and per column of the drawn (clipped) box, not per pixel: a
 * whole-frame mask is looked up two million times a 1080p frame. */
typedef struct {
  gint x0, y0;
  gint *col;                    /* per drawn column: the cell's column */
  gsize *row_offset;            /* per drawn row: its cell row's start */
} MaskGrid;

static void
mask_grid_init (MaskGrid *g, const ObjectBox *b, gint mw, gint mh)
{
  g->x0 = b->cx;
  g->y0 = b->cy;
  g->col = g_new (gint, b->cw);
  g->row_offset = g_new (gsize, b->ch);
  for (gint i = 0; i < b->cw; i++) {
    gint64 mx = (gint64) ((b->cx + i - b->x + 0.5) * mw / b->w);
    g->col[i] = (gint) CLAMP (mx, 0, mw - 1);
  }
  for (gint i = 0; i < b->ch; i++) {
    gint64 my = (gint64) ((b->cy + i - b->y + 0.5) * mh / b->h);
    g->row_offset[i] = (gsize) CLAMP (my, 0, mh - 1) * mw;
  }
}

static void
mask_grid_clear (MaskGrid *g)
{
  g_free (g->col);
  g_free (g->row_offset);
}

typedef struct {
  const guint8 *data;           /* FP32 probabilities, row by row */
  MaskGrid grid;
  const GstOvDrawColor *color;
} InstanceMask;

static void
instance_mask_row (gint x, gint y, gint n, const GstOvDrawColor **colors,
    gpointer user_data)
{
  const InstanceMask *m = user_data;
  const guint8 *row = m->data + m->grid.row_offset[y - m->grid.y0] * 4;
  const gint *col = m->grid.col + (x - m->grid.x0);

  for (gint i = 0; i < n; i++) {
    gfloat prob;
    /* memcpy: the tensor bytes carry no alignment promise. */
    memcpy (&prob, row + (gsize) col[i] * 4, 4);
    colors[i] = prob >= 0.5f ? m->color : NULL;
  }
}

/* DL Streamer's instance mask: FP32 probabilities, dims [width, height],
 * stretched over the object's box. */
static void
draw_instance_mask (Painter *p, const GstStructure *s, const ObjectBox *box,
    const GstOvDrawColor *color)
{
  InstanceMask m = { .color = color };
  guint64 dims[4];
  guint rank;
  gint precision = -1;
  gsize size = 0;

  m.data = gst_ov_tensor_structure_get_data (s, &size);
  gst_structure_get_int (s, "precision", &precision);
  if (m.data == NULL || precision != GST_OV_PRECISION_FP32
      || !tensor_dims (s, dims, &rank) || rank != 2 || dims[0] == 0
      || dims[1] == 0 || dims[0] > G_MAXINT || dims[1] > G_MAXINT
      || size / 4 / dims[0] < dims[1]) {
    GST_DEBUG_OBJECT (p->self, "skipping a segmentation_mask that is not "
        "FP32 [width, height] with its data");
    return;
  }
  if (box->cw == 0 || box->ch == 0)
    return;
  mask_grid_init (&m.grid, box, (gint) dims[0], (gint) dims[1]);
  gst_ov_draw_blend_mask (p->frame, box->cx, box->cy, box->cw, box->ch,
      instance_mask_row, &m, MASK_ALPHA);
  mask_grid_clear (&m.grid);
}

typedef struct {
  const GstOvDrawColor *class_colors;
  const guint8 *data;           /* class ids, row by row */
  gint precision;
  MaskGrid grid;
} SemanticMask;

static gint64
class_id_at (const SemanticMask *m, gsize i)
{
  switch (m->precision) {
    case GST_OV_PRECISION_U8:
      return m->data[i];
    case GST_OV_PRECISION_I32: {
      gint32 v;
      memcpy (&v, m->data + i * 4, 4);
      return v;
    }
    default: {
      gint64 v;
      memcpy (&v, m->data + i * 8, 8);
      return v;
    }
  }
}

static void
semantic_mask_row (gint x, gint y, gint n, const GstOvDrawColor **colors,
    gpointer user_data)
{
  const SemanticMask *m = user_data;
  gsize row = m->grid.row_offset[y - m->grid.y0];
  const gint *col = m->grid.col + (x - m->grid.x0);

  for (gint i = 0; i < n; i++) {
    gint64 id = class_id_at (m, row + col[i]);
    /* Class 0 is the background; negative ids are not classes. */
    colors[i] = id > 0 ? &m->class_colors[id % N_CLASS_COLORS] : NULL;
  }
}

/* Bytes per class id of a semantic mask's precision; 0 if not a class id
 * type. */
static gsize
class_id_size (gint precision)
{
  switch (precision) {
    case GST_OV_PRECISION_U8: return 1;
    case GST_OV_PRECISION_I32: return 4;
    case GST_OV_PRECISION_I64: return 8;
    default: return 0;
  }
}

/* A semantic mask's rows and columns: dims [1, H, W], or [H, W] or more
 * leading 1s; FALSE for other shapes. */
static gboolean
semantic_mask_shape (const GstStructure *s, guint64 *rows, guint64 *cols)
{
  guint64 dims[4];
  guint rank;

  if (!tensor_dims (s, dims, &rank) || rank < 2)
    return FALSE;
  for (guint i = 0; i + 2 < rank; i++)
    if (dims[i] != 1)
      return FALSE;
  *rows = dims[rank - 2];
  *cols = dims[rank - 1];
  return *rows > 0 && *cols > 0 && *rows <= G_MAXINT && *cols <= G_MAXINT;
}

/* A semantic mask: class ids, row by row, stretched over the box (the
 * whole frame for a whole-frame tensor). */
static void
draw_semantic_mask (Painter *p, const GstStructure *s, const ObjectBox *box)
{
  SemanticMask m = { .precision = -1 };
  guint64 rows, cols;
  gsize size = 0, elem;

  m.data = gst_ov_tensor_structure_get_data (s, &size);
  gst_structure_get_int (s, "precision", &m.precision);
  elem = class_id_size (m.precision);
  if (m.data == NULL || elem == 0 || !semantic_mask_shape (s, &rows, &cols)
      || size / elem / cols < rows) {
    GST_DEBUG_OBJECT (p->self, "skipping a semantic_mask that is not U8, "
        "I32 or I64 [1, H, W] with its data");
    return;
  }
  if (box->cw == 0 || box->ch == 0)
    return;
  m.class_colors = painter_class_colors (p);
  mask_grid_init (&m.grid, box, (gint) cols, (gint) rows);
  gst_ov_draw_blend_mask (p->frame, box->cx, box->cy, box->cw, box->ch,
      semantic_mask_row, &m, MASK_ALPHA);
  mask_grid_clear (&m.grid);
}

/* ---- objects ------------------------------------------------------------ */

/* The palette index of an object: its track when tracked, so a person
 * keeps a color as it moves; its class otherwise. */
static guint
object_color_index (GstVideoRegionOfInterestMeta *roi)
{
  gint id = gst_ov_roi_get_object_id (roi);
  gint label_id = 0;
  if (id >= 0)
    return (guint) id;
  if (gst_ov_roi_get_detection (roi, NULL, &label_id, NULL) && label_id >= 0)
    return (guint) label_id;
  return 0;
}

/* A confidence as a whole percentage; NaN and out-of-range values are
 * clamped (0 for NaN). */
static gint
percent (gdouble confidence)
{
  if (!(confidence > 0.0))
    return 0;
  return confidence < 1.0 ? (gint) (confidence * 100 + 0.5) : 100;
}

static void
add_line (GPtrArray *lines, const gchar *text)
{
  if (text == NULL || *text == '\0')
    return;
  g_ptr_array_add (lines, g_strndup (text, MAX_LINE_CHARS));
}

/* "label 87% #3", then one line per classification attribute. */
static GPtrArray *
object_lines (GstVideoRegionOfInterestMeta *roi)
{
  GPtrArray *lines = g_ptr_array_new_with_free_func (g_free);
  GString *first = g_string_new (gst_ov_roi_get_label (roi));
  gint id = gst_ov_roi_get_object_id (roi);
  gdouble confidence;

  if (gst_ov_roi_get_detection (roi, &confidence, NULL, NULL))
    g_string_append_printf (first, "%s%d%%", first->len ? " " : "",
        percent (confidence));
  if (id >= 0)
    g_string_append_printf (first, "%s#%d", first->len ? " " : "", id);
  add_line (lines, first->str);
  g_string_free (first, TRUE);
  for (GList *l = roi->params; l; l = l->next) {
    const GstStructure *s = l->data;
    if (g_strcmp0 (gst_structure_get_string (s, "type"),
            "classification_result") == 0)
      add_line (lines, gst_structure_get_string (s, "label"));
  }
  return lines;
}

/* Lines of text on a box of `rgb` at `x`, above the line `top` if there
 * is room, else below it (inside the object's box); kept in the frame. */
static void
draw_label (Painter *p, gint64 x, gint64 top, GPtrArray *lines,
    const guint8 rgb[3])
{
  gint pad = p->scale, line_h = GST_OV_FONT_LINE_HEIGHT * p->scale;
  gint box_w = 0, box_h, w, h;
  GstOvDrawColor bg, fg;
  gint64 y;
  /* Dark text on light colors, light on dark (Rec. 601 luma). */
  gboolean light = 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2] >= 140;

  if (lines->len == 0)
    return;
  for (guint i = 0; i < lines->len; i++) {
    gst_ov_draw_text_size (lines->pdata[i], p->scale, &w, &h);
    box_w = MAX (box_w, w);
  }
  box_w += 2 * pad;
  box_h = (gint) lines->len * line_h - p->scale + 2 * pad;
  y = top - box_h >= 0 ? top - box_h : top;
  x = CLAMP (x, 0, MAX (p->width - box_w, 0));
  y = CLAMP (y, 0, MAX (p->height - box_h, 0));

  gst_ov_draw_color_from_rgb (&p->frame->info, rgb[0], rgb[1], rgb[2], &bg);
  gst_ov_draw_color_from_rgb (&p->frame->info, light ? 0 : 255,
      light ? 0 : 255, light ? 0 : 255, &fg);
  gst_ov_draw_fill_rect (p->frame, (gint) x, (gint) y, box_w, box_h, &bg);
  for (guint i = 0; i < lines->len; i++)
    gst_ov_draw_text (p->frame, (gint) x + pad,
        (gint) y + pad + (gint) i * line_h, lines->pdata[i], p->scale, &fg);
}

static gboolean
structure_has_format (const GstStructure *s, const gchar *format)
{
  return g_strcmp0 (gst_structure_get_string (s, "format"), format) == 0;
}

static void
draw_object_masks (Painter *p, GstVideoRegionOfInterestMeta *roi,
    const ObjectBox *box)
{
  GstOvDrawColor color;
  guint8 rgb[3];

  painter_color (p, object_color_index (roi), &color, rgb);
  for (GList *l = roi->params; l; l = l->next) {
    if (structure_has_format (l->data, "segmentation_mask"))
      draw_instance_mask (p, l->data, box, &color);
    else if (structure_has_format (l->data, "semantic_mask"))
      draw_semantic_mask (p, l->data, box);
  }
}

static void
roi_box (const Painter *p, GstVideoRegionOfInterestMeta *roi, ObjectBox *b)
{
  object_box_init (b, p, roi->x, roi->y, roi->w, roi->h);
}

/* Masks under boxes under labels: each layer over every object's lower
 * ones, so no mask or box hides a label. */
static void
draw_objects (Painter *p, GstBuffer *buf)
{
  gpointer state;
  GstMeta *m;

  if (p->draw_masks) {
    state = NULL;
    while ((m = gst_buffer_iterate_meta_filtered (buf, &state,
                GST_OV_TENSOR_META_API_TYPE))) {
      const GstStructure *s = ((GstOvTensorMeta *) m)->data;
      ObjectBox frame_box;
      object_box_init (&frame_box, p, 0, 0, p->width, p->height);
      if (s && structure_has_format (s, "semantic_mask"))
        draw_semantic_mask (p, s, &frame_box);
    }
    state = NULL;
    while ((m = gst_buffer_iterate_meta_filtered (buf, &state,
                GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
      ObjectBox box;
      roi_box (p, (GstVideoRegionOfInterestMeta *) m, &box);
      draw_object_masks (p, (GstVideoRegionOfInterestMeta *) m, &box);
    }
  }

  state = NULL;
  while ((m = gst_buffer_iterate_meta_filtered (buf, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    GstVideoRegionOfInterestMeta *roi = (GstVideoRegionOfInterestMeta *) m;
    ObjectBox box;
    GstOvDrawColor color;
    guint8 rgb[3];

    roi_box (p, roi, &box);
    painter_color (p, object_color_index (roi), &color, rgb);
    gst_ov_draw_rect (p->frame, box.cx, box.cy, box.cw, box.ch, p->thickness,
        &color);
  }

  if (!p->draw_labels)
    return;
  state = NULL;
  while ((m = gst_buffer_iterate_meta_filtered (buf, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    GstVideoRegionOfInterestMeta *roi = (GstVideoRegionOfInterestMeta *) m;
    ObjectBox box;
    GstOvDrawColor color;
    guint8 rgb[3];
    GPtrArray *lines;

    roi_box (p, roi, &box);
    /* Nothing of the object is in the frame: no label either. */
    if (box.cw == 0 || box.ch == 0)
      continue;
    painter_color (p, object_color_index (roi), &color, rgb);
    lines = object_lines (roi);
    draw_label (p, box.cx, box.cy, lines, rgb);
    g_ptr_array_unref (lines);
  }
}

/* Whole-frame classification ("label 87%" per result) in the top-left
 * corner, white on black. */
static void
draw_frame_labels (Painter *p, GstBuffer *buf)
{
  GPtrArray *lines = g_ptr_array_new_with_free_func (g_free);
  static const guint8 black[3] = { 0, 0, 0 };
  gpointer state = NULL;
  GstMeta *m;

  while ((m = gst_buffer_iterate_meta_filtered (buf, &state,
              GST_OV_TENSOR_META_API_TYPE))) {
    const GstStructure *s = ((GstOvTensorMeta *) m)->data;
    const gchar *label = s ? gst_structure_get_string (s, "label") : NULL;
    gdouble confidence;
    gchar *line;

    if (label == NULL || *label == '\0')
      continue;
    if (gst_structure_get_double (s, "confidence", &confidence))
      line = g_strdup_printf ("%s %d%%", label, percent (confidence));
    else
      line = g_strdup (label);
    add_line (lines, line);
    g_free (line);
  }
  draw_label (p, 0, 0, lines, black);
  g_ptr_array_unref (lines);
}

static GstFlowReturn
transform_frame_ip (GstVideoFilter *filter, GstVideoFrame *frame)
{
  GstOvOverlay *self = GST_OV_OVERLAY (filter);
  Painter painter = { 0 }, *p = &painter;
  guint thickness, text_scale;

  p->self = self;
  p->frame = frame;
  p->width = GST_VIDEO_FRAME_WIDTH (frame);
  p->height = GST_VIDEO_FRAME_HEIGHT (frame);
  GST_OBJECT_LOCK (self);
  p->draw_labels = self->draw_labels;
  p->draw_masks = self->draw_masks;
  thickness = self->thickness;
  text_scale = self->text_scale;
  GST_OBJECT_UNLOCK (self);
  /* Auto sizes grow with the frame: 2 px lines and 8 px text up to 480
   * lines, 3 px and 16 px at 1080p. */
  p->thickness = thickness ? (gint) thickness : MAX (2, p->height / 360);
  p->scale = text_scale ? (gint) text_scale : MAX (1, p->height / 450);

  draw_objects (p, frame->buffer);
  if (p->draw_labels)
    draw_frame_labels (p, frame->buffer);
  return GST_FLOW_OK;
}

#ifdef HAVE_GST_VA
/* Draws on the surface itself: vaDeriveImage + map (or, on drivers that
 * cannot derive, a copy out and back with vaGetImage/vaPutImage). */
static GstFlowReturn
draw_on_va_surface (GstOvOverlay *self, GstBuffer *buf)
{
  GstVideoFilter *filter = GST_VIDEO_FILTER (self);
  GstOvVaMapping mapping;
  GstVideoFrame frame;
  GstFlowReturn ret;
  GError *err = NULL;

  if (!gst_ov_va_surface_map (&mapping, buf, &filter->in_info, TRUE, &err)) {
    GST_ELEMENT_ERROR (self, RESOURCE, WRITE,
        ("Cannot draw on a VA surface"), ("%s", err->message));
    g_error_free (err);
    return GST_FLOW_ERROR;
  }
  gst_ov_va_mapping_get_frame (&mapping, buf, &frame);
  ret = transform_frame_ip (filter, &frame);
  if (!gst_ov_va_surface_unmap (&mapping, &err)) {
    GST_ELEMENT_ERROR (self, RESOURCE, WRITE,
        ("Cannot draw on a VA surface"), ("%s", err->message));
    g_error_free (err);
    ret = GST_FLOW_ERROR;
  }
  return ret;
}
#endif

/* VA frames are drawn on through the VA API when the surface is this
 * buffer's alone; a surface shared with another buffer (after a tee) is
 * left to GstVideoFilter's writable mapping, which copies it first. */
static GstFlowReturn
transform_ip (GstBaseTransform *trans, GstBuffer *buf)
{
#ifdef HAVE_GST_VA
  GstOvOverlay *self = GST_OV_OVERLAY (trans);
  if (self->memory == GST_OV_MEMORY_VA && GST_VIDEO_FILTER (trans)->negotiated
      && gst_buffer_n_memory (buf) == 1
      && gst_memory_is_writable (gst_buffer_peek_memory (buf, 0)))
    return draw_on_va_surface (self, buf);
#endif
  return GST_BASE_TRANSFORM_CLASS (gst_ov_overlay_parent_class)->transform_ip
      (trans, buf);
}

static gboolean
set_info (GstVideoFilter *filter, GstCaps *incaps, GstVideoInfo *in_info,
    GstCaps *outcaps, GstVideoInfo *out_info)
{
  GST_OV_OVERLAY (filter)->memory = gst_ov_caps_memory_kind (incaps);
  return TRUE;
}

/* Upstream of VA or DMA-BUF caps allocates its own memory: a system-memory
 * pool (GstVideoFilter's proposal) would only be refused. */
static gboolean
propose_allocation (GstBaseTransform *trans, GstQuery *decide_query,
    GstQuery *query)
{
  GstCaps *caps = NULL;
  gst_query_parse_allocation (query, &caps, NULL);
  if (caps && gst_ov_caps_memory_kind (caps) != GST_OV_MEMORY_SYSTEM) {
    gst_query_add_allocation_meta (query, GST_VIDEO_META_API_TYPE, NULL);
    return TRUE;
  }
  return GST_BASE_TRANSFORM_CLASS (gst_ov_overlay_parent_class)->
      propose_allocation (trans, decide_query, query);
}

/* Frames without results pass untouched: no writable mapping, so no copy
 * of a frame that is shared (after a tee, say). */
static void
before_transform (GstBaseTransform *trans, GstBuffer *buf)
{
  gboolean has_results =
      gst_buffer_get_meta (buf, GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE)
      || gst_buffer_get_meta (buf, GST_OV_TENSOR_META_API_TYPE);
  gst_base_transform_set_passthrough (trans, !has_results);
}

/* ---- element ------------------------------------------------------------ */

static gboolean
start (GstBaseTransform *trans)
{
  GstOvOverlay *self = GST_OV_OVERLAY (trans);
  gchar *device;
  gboolean obb, ok = TRUE;

  GST_OBJECT_LOCK (self);
  device = g_strdup (self->device);
  obb = self->obb;
  GST_OBJECT_UNLOCK (self);

  if (device && *device && g_ascii_strcasecmp (device, "CPU") != 0
      && g_ascii_strcasecmp (device, "AUTO") != 0) {
    if (g_ascii_strncasecmp (device, "GPU", 3) == 0
        || g_ascii_strncasecmp (device, "NPU", 3) == 0)
      GST_ELEMENT_ERROR (self, LIBRARY, INIT,
          ("Device %s is not available", device),
          ("ovoverlay draws on frames in system memory on the CPU; use "
              "device=CPU"));
    else
      GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
          ("Unknown device '%s'", device), ("use device=CPU"));
    ok = FALSE;
  } else if (obb) {
    GST_ELEMENT_ERROR (self, CORE, NOT_IMPLEMENTED,
        ("Oriented boxes (obb=true) are not supported"),
        ("no element of this plugin produces oriented boxes; use obb=false"));
    ok = FALSE;
  }
  g_free (device);
  return ok;
}

static void
set_property (GObject *object, guint prop_id, const GValue *value,
    GParamSpec *pspec)
{
  GstOvOverlay *self = GST_OV_OVERLAY (object);
  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_DEVICE:
      g_free (self->device);
      self->device = g_value_dup_string (value);
      break;
    case PROP_OBB: self->obb = g_value_get_boolean (value); break;
    case PROP_DRAW_LABELS:
      self->draw_labels = g_value_get_boolean (value);
      break;
    case PROP_DRAW_MASKS:
      self->draw_masks = g_value_get_boolean (value);
      break;
    case PROP_THICKNESS: self->thickness = g_value_get_uint (value); break;
    case PROP_TEXT_SCALE: self->text_scale = g_value_get_uint (value); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
get_property (GObject *object, guint prop_id, GValue *value,
    GParamSpec *pspec)
{
  GstOvOverlay *self = GST_OV_OVERLAY (object);
  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_DEVICE: g_value_set_string (value, self->device); break;
    case PROP_OBB: g_value_set_boolean (value, self->obb); break;
    case PROP_DRAW_LABELS: g_value_set_boolean (value, self->draw_labels);
      break;
    case PROP_DRAW_MASKS: g_value_set_boolean (value, self->draw_masks);
      break;
    case PROP_THICKNESS: g_value_set_uint (value, self->thickness); break;
    case PROP_TEXT_SCALE: g_value_set_uint (value, self->text_scale); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
finalize (GObject *object)
{
  g_free (GST_OV_OVERLAY (object)->device);
  G_OBJECT_CLASS (gst_ov_overlay_parent_class)->finalize (object);
}

static void
gst_ov_overlay_class_init (GstOvOverlayClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *bt_class = GST_BASE_TRANSFORM_CLASS (klass);
  GstVideoFilterClass *vf_class = GST_VIDEO_FILTER_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;

  GST_DEBUG_CATEGORY_INIT (gst_ov_overlay_debug, "ovoverlay", 0,
      "ov results drawn on video");
  gobject_class->set_property = set_property;
  gobject_class->get_property = get_property;
  gobject_class->finalize = finalize;

  g_object_class_install_property (gobject_class, PROP_DEVICE,
      g_param_spec_string ("device", "Device",
          "Where to draw: CPU (frames in system memory, or VA surfaces "
          "mapped); AUTO and empty mean CPU, GPU is refused", DEFAULT_DEVICE,
          rw | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_OBB,
      g_param_spec_boolean ("obb", "Oriented boxes",
          "Draw oriented boxes (DL Streamer's); only false is supported",
          DEFAULT_OBB, rw | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_DRAW_LABELS,
      g_param_spec_boolean ("draw-labels", "Draw labels",
          "Draw each object's label, confidence, track id and attributes, "
          "and whole-frame classifications", DEFAULT_DRAW_LABELS,
          rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_DRAW_MASKS,
      g_param_spec_boolean ("draw-masks", "Draw masks",
          "Blend instance and semantic segmentation masks over the image",
          DEFAULT_DRAW_MASKS, rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_THICKNESS,
      g_param_spec_uint ("thickness", "Thickness",
          "Box line width in pixels (0: by frame height, at least 2)",
          0, MAX_THICKNESS, DEFAULT_THICKNESS,
          rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_TEXT_SCALE,
      g_param_spec_uint ("text-scale", "Text scale",
          "Size of a font pixel in frame pixels (0: by frame height, 1 up "
          "to 899 lines, 2 at 1080p)", 0, MAX_TEXT_SCALE, DEFAULT_TEXT_SCALE,
          rw | GST_PARAM_MUTABLE_PLAYING));

  gst_element_class_set_static_metadata (element_class,
      "Inference results overlay", "Filter/Effect/Video",
      "Draws boxes, labels and masks of inference results on the video",
      "gst-ovi developers");
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  bt_class->start = start;
  bt_class->before_transform = before_transform;
  /* Passthrough frames have nothing to draw. */
  bt_class->transform_ip_on_passthrough = FALSE;
  bt_class->transform_ip = transform_ip;
  bt_class->propose_allocation = propose_allocation;
  vf_class->set_info = set_info;
  vf_class->transform_frame_ip = transform_frame_ip;
}

static void
gst_ov_overlay_init (GstOvOverlay *self)
{
  self->device = g_strdup (DEFAULT_DEVICE);
  self->obb = DEFAULT_OBB;
  self->draw_labels = DEFAULT_DRAW_LABELS;
  self->draw_masks = DEFAULT_DRAW_MASKS;
  self->thickness = DEFAULT_THICKNESS;
  self->text_scale = DEFAULT_TEXT_SCALE;
}
