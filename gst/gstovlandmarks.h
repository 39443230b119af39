/* Landmark points on a region: the `landmark_points` converter (model
 * output to points normalized to the region, as DL Streamer stores them)
 * and the crop a face recognizer expects around them (face-api.js's
 * align(): the points' bounding box grown by a fraction of its size). */
#ifndef GST_OV_LANDMARKS_H
#define GST_OV_LANDMARKS_H

#include <gst/video/video.h>
#include <ovi.h>

#include "gstovpreproc.h"

G_BEGIN_DECLS

/* The tensor structure's `format`, as DL Streamer names it. */
#define GST_OV_LANDMARKS_FORMAT "landmark_points"

/* A tensor structure (format landmark_points, FP32 [1, 2N]) holding the
 * points of a [.., 2N] output given in [0, 1] of the model input
 * (input_w x input_h), mapped through the pre-processing transform into
 * [0, 1] of `roi` (frame pixels). NULL with error for a non-float or odd
 * sized output. */
GstStructure *gst_ov_landmarks_result (const char *name, const char *layer,
    const char *model_name, const OviTensorView *t, int input_w, int input_h,
    const GstOvPreprocTransform *transform, const GstVideoRectangle *roi,
    GError **error);

/* The region's landmark points in frame pixels (2N floats), from its
 * first landmark_points tensor; NULL if it has none. */
float *gst_ov_roi_get_landmarks (GstVideoRegionOfInterestMeta *roi,
    int *n_points);

/* The bounding box of the points grown by padding x its width and height
 * (half on each side), clipped to the frame and floored to whole pixels
 * as face-api.js crops it. FALSE if nothing of it is inside the frame. */
gboolean gst_ov_landmarks_box (const float *points, int n_points,
    double padding, int frame_w, int frame_h, GstVideoRectangle *box);

/* For 68 points (iBUG layout: eyes 36..47, mouth 48..67): the square
 * whose side is the mean eye-centre to mouth-centre distance / 0.45,
 * placed so the centre of the eyes and mouth centres falls at (0.5, 0.43)
 * of it (dlib's face chip geometry, as face-api.js aligns faces for its
 * recognizer), clipped and floored. FALSE for another point count or an
 * empty result. */
gboolean gst_ov_landmarks_eyes_mouth_square (const float *points,
    int n_points, int frame_w, int frame_h, GstVideoRectangle *box);

G_END_DECLS

#endif
