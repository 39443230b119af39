/* Pre-processing: one pass from a video frame (or a region of it) to a
 * model's input tensor. Resize (bilinear), color conversion, layout and
 * normalization are fused so each output element is written once and no
 * intermediate image exists. */
#ifndef GST_OV_PREPROC_H
#define GST_OV_PREPROC_H

#include <gst/video/video.h>
#include <ovi.h>

G_BEGIN_DECLS

/* How the region is fitted to the tensor; the names are model-proc's
 * `resize` / `crop` values. */
typedef enum {
  GST_OV_RESIZE_STRETCH,        /* "no-aspect-ratio": both axes scaled */
  GST_OV_RESIZE_ASPECT_RATIO,   /* "aspect-ratio": fit inside, centered, padded */
  GST_OV_RESIZE_CROP_CENTRAL,   /* crop "central": fill, overflow cropped */
} GstOvResizeMode;

/* Where "aspect-ratio" puts the fitted image: centered (DL Streamer) or
 * at the top left with the border at the right and bottom (TF-style
 * pad-to-square, as face-api.js's detectors expect). */
typedef enum {
  GST_OV_ANCHOR_CENTER,
  GST_OV_ANCHOR_TOP_LEFT,
} GstOvLetterboxAnchor;

/* Where tensor pixel t samples the source (scale = source / tensor):
 * ONNX Resize's coordinate_transformation_mode names. */
typedef enum {
  GST_OV_SAMPLING_HALF_PIXEL,   /* (t + 0.5) * scale - 0.5: OpenCV, PyTorch */
  GST_OV_SAMPLING_ASYMMETRIC,   /* t * scale: TensorFlow's legacy resize,
                                 * which face-api.js's models were fed */
} GstOvSampling;

typedef enum {
  GST_OV_COLOR_BGR,   /* OpenVINO's convention, DL Streamer's default */
  GST_OV_COLOR_RGB,
  GST_OV_COLOR_GRAY,
} GstOvColorSpace;

typedef struct {
  /* The tensor: [1, C, H, W] (nhwc FALSE) or [1, H, W, C]. */
  int width, height, channels;
  gboolean nhwc;
  OviDType dtype;               /* OVI_DTYPE_FLOAT32 or OVI_DTYPE_UINT8 */
  GstOvColorSpace color;
  GstOvResizeMode resize;
  GstOvLetterboxAnchor anchor;  /* GST_OV_RESIZE_ASPECT_RATIO only */
  /* Asymmetric sampling also places a centered letterbox's image at a
   * whole source pixel, as TF's pad-to-square does. */
  GstOvSampling sampling;
  /* value = pixel (0..255) * scale[c] + bias[c], per tensor channel:
   * model-proc's range, mean and std folded into one multiply-add. */
  float scale[3], bias[3];
  guint8 pad_value;             /* letterbox border, in pixel units */
} GstOvPreprocParams;

/* Maps tensor coordinates back to the frame: x = x0 + tx * sx. */
typedef struct {
  double x0, y0, sx, sy;
} GstOvPreprocTransform;

void gst_ov_preproc_params_init (GstOvPreprocParams *params);
/* Folds model-proc's range [lo, hi], mean and std (each per channel, in
 * the units after range) into scale and bias. */
void gst_ov_preproc_params_set_normalization (GstOvPreprocParams *params,
    double range_lo, double range_hi, const double mean[3],
    const double std[3]);

gboolean gst_ov_preproc_format_supported (GstVideoFormat format);

/* The layout of a rank-4 image input, told by its 1 or 3 channels: *nhwc
 * FALSE for [N, C, H, W] (dimension 1), TRUE for [N, H, W, C] (dimension
 * 3); FALSE when neither holds. */
gboolean gst_ov_preproc_input_layout (const OviTensorView *input,
    gboolean *nhwc);

/* A frame as plane pointers and strides, read in place: a mapped
 * GstVideoFrame, or the planes of a mapped VA image (gstovvasurface.h),
 * whose pitches and offsets are the driver's, not GStreamer's. `info`
 * gives the format, size and colorimetry; its strides and offsets are not
 * used. */
typedef struct {
  const GstVideoInfo *info;
  const guint8 *data[GST_VIDEO_MAX_PLANES];
  gint stride[GST_VIDEO_MAX_PLANES];
} GstOvPreprocPlanes;

void gst_ov_preproc_planes_from_frame (GstOvPreprocPlanes *planes,
    const GstVideoFrame *frame);

/* The tensor for `region` (frame pixels; NULL: whole frame) as an engine
 * image input (ovi.h's OviImage) reading the planes in place; its taps
 * are kept in `taps` until gst_ov_preproc_image_clear. FALSE (nothing to
 * clear) for an unsupported format or an empty region. */
typedef struct {
  OviImage image;
  OviImageTap *taps;
} GstOvPreprocImage;

gboolean gst_ov_preproc_image (const GstOvPreprocParams *params,
    const GstOvPreprocPlanes *planes, const GstVideoRectangle *region,
    GstOvPreprocImage *image, GstOvPreprocTransform *transform);
void gst_ov_preproc_image_clear (GstOvPreprocImage *image);

/* Writes the tensor for `region` (frame pixels; NULL: whole frame) into
 * dst, which holds width * height * channels elements of params->dtype.
 * Returns FALSE for an unsupported format or an empty region. */
gboolean gst_ov_preproc_run_planes (const GstOvPreprocParams *params,
    const GstOvPreprocPlanes *planes, const GstVideoRectangle *region,
    void *dst, GstOvPreprocTransform *transform);
/* The same for a mapped frame. */
gboolean gst_ov_preproc_run (const GstOvPreprocParams *params,
    const GstVideoFrame *frame, const GstVideoRectangle *region, void *dst,
    GstOvPreprocTransform *transform);

G_END_DECLS

#endif
