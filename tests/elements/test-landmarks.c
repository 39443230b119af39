/* Landmark points: model output to ROI-relative points through the
 * pre-processing transform, back to frame pixels from the ROI, and the
 * face-api.js alignment box around them. */
#include <gst/gst.h>
#include <gst/video/video.h>

#include "gstovlandmarks.h"
#include "gstovmeta.h"
#include "gstovmodelproc.h"

static void
test_result_maps_through_transform (void)
{
  /* A 100x50 ROI at (20, 30) letterboxed into 10x10: scale 10, image rows
   * 2.5..7.5 of the tensor, so tensor (0, 0.25) is the ROI's top left. */
  float raw[4] = { 0.0f, 0.25f, 1.0f, 0.75f };
  int64_t dims[2] = { 1, 4 };
  OviTensorView t = { .dtype = OVI_DTYPE_FLOAT32, .rank = 2, .data = raw };
  GstOvPreprocTransform tf = { .x0 = 20, .y0 = 30 - 25, .sx = 10, .sy = 10 };
  GstVideoRectangle roi = { 20, 30, 100, 50 };
  GstStructure *s;
  const float *pts;
  gsize size;
  GError *err = NULL;

  t.dims[0] = dims[0];
  t.dims[1] = dims[1];
  s = gst_ov_landmarks_result ("landmarks", "out", "m", &t, 10, 10, &tf,
      &roi, &err);
  g_assert_no_error (err);
  g_assert_cmpstr (gst_structure_get_string (s, "format"), ==, "landmark_points");
  pts = gst_ov_tensor_structure_get_data (s, &size);
  g_assert_cmpuint (size, ==, 4 * sizeof (float));
  g_assert_cmpfloat_with_epsilon (pts[0], 0.0, 1e-6);
  g_assert_cmpfloat_with_epsilon (pts[1], 0.0, 1e-6);
  g_assert_cmpfloat_with_epsilon (pts[2], 1.0, 1e-6);
  g_assert_cmpfloat_with_epsilon (pts[3], 1.0, 1e-6);
  gst_structure_free (s);

  /* Odd counts and integer outputs are clear errors. */
  t.dims[1] = 3;
  g_assert_null (gst_ov_landmarks_result (NULL, "out", "m", &t, 10, 10, &tf,
          &roi, &err));
  g_assert_error (err, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE);
  g_clear_error (&err);
  t.dims[1] = 4;
  t.dtype = OVI_DTYPE_INT32;
  g_assert_null (gst_ov_landmarks_result (NULL, "out", "m", &t, 10, 10, &tf,
          &roi, &err));
  g_clear_error (&err);
}

static void
test_roi_round_trip_and_box (void)
{
  GstBuffer *buf = gst_buffer_new ();
  GstVideoRegionOfInterestMeta *roi = gst_buffer_add_video_region_of_interest_meta (buf,
      "face", 100, 200, 50, 80);
  float rel[6] = { 0.2f, 0.1f, 0.8f, 0.5f, 0.5f, 0.9f };
  gint64 dims[2] = { 1, 6 };
  int n = -1;
  float *pts;
  GstVideoRectangle box;

  g_assert_null (gst_ov_roi_get_landmarks (roi, &n));
  g_assert_cmpint (n, ==, 0);
  /* Other tensors are not landmarks. */
  gst_video_region_of_interest_meta_add_param (roi,
      gst_ov_tensor_structure_new ("face_descriptor", "out", "m",
          GST_OV_PRECISION_FP32, GST_OV_LAYOUT_NC, dims, 2, rel, sizeof rel,
          "raw"));
  g_assert_null (gst_ov_roi_get_landmarks (roi, &n));
  gst_video_region_of_interest_meta_add_param (roi,
      gst_ov_tensor_structure_new ("landmarks", "out", "m",
          GST_OV_PRECISION_FP32, GST_OV_LAYOUT_NC, dims, 2, rel, sizeof rel,
          "landmark_points"));
  pts = gst_ov_roi_get_landmarks (roi, &n);
  g_assert_nonnull (pts);
  g_assert_cmpint (n, ==, 3);
  g_assert_cmpfloat_with_epsilon (pts[0], 110.0, 1e-4);
  g_assert_cmpfloat_with_epsilon (pts[1], 208.0, 1e-4);
  g_assert_cmpfloat_with_epsilon (pts[4], 125.0, 1e-4);
  g_assert_cmpfloat_with_epsilon (pts[5], 272.0, 1e-4);

  /* Bounding box x 110..140, y 208..272, grown by 20 % (10 % a side):
   * x 107..143, y 201.6..278.4, floored: (107, 201, 36, 76). */
  g_assert_true (gst_ov_landmarks_box (pts, n, 0.2, 1000, 1000, &box));
  g_assert_cmpint (box.x, ==, 107);
  g_assert_cmpint (box.y, ==, 201);
  g_assert_cmpint (box.w, ==, 36);
  g_assert_cmpint (box.h, ==, 76);
  /* Clipped at the frame's border before flooring. */
  g_assert_true (gst_ov_landmarks_box (pts, n, 0.2, 130, 250, &box));
  g_assert_cmpint (box.x, ==, 107);
  g_assert_cmpint (box.w, ==, 23);
  g_assert_cmpint (box.h, ==, 48);
  /* Entirely outside: nothing to crop. */
  g_assert_false (gst_ov_landmarks_box (pts, n, 0.2, 100, 100, &box));
  g_free (pts);
  gst_buffer_unref (buf);
}

static void
test_model_proc_keys (void)
{
  const char *good = "{\"input_preproc\": [{\"format\": \"image\", \"params\": "
      "{\"resize\": \"aspect-ratio\", \"aspect_ratio_anchor\": \"top-left\", "
      "\"alignment\": \"landmarks-box\", \"alignment_padding\": 0.2}}], "
      "\"output_postproc\": [{\"format\": \"landmark_points\"}]}";
  const char *bad[] = {
    "{\"input_preproc\": [{\"params\": {\"aspect_ratio_anchor\": \"left\"}}]}",
    "{\"input_preproc\": [{\"params\": {\"alignment\": \"eyes\"}}]}",
    "{\"input_preproc\": [{\"params\": {\"alignment_padding\": -1}}]}",
    "{\"input_preproc\": [{\"params\": {\"alignment_padding\": \"0.2\"}}]}",
  };
  GError *err = NULL;
  GstOvModelProc *mp = gst_ov_model_proc_parse (good, -1, "good.json", &err);
  GstOvPreprocParams p;
  GstOvPostproc *pp;

  g_assert_no_error (err);
  g_assert_cmpint (mp->anchor, ==, GST_OV_ANCHOR_TOP_LEFT);
  g_assert_cmpint (mp->alignment, ==, GST_OV_ALIGN_LANDMARKS_BOX);
  g_assert_cmpfloat (mp->alignment_padding, ==, 0.2);
  pp = g_ptr_array_index (mp->postprocs, 0);
  g_assert_cmpint (pp->converter, ==, OV_CONVERTER_LANDMARK_POINTS);
  gst_ov_preproc_params_init (&p);
  gst_ov_model_proc_apply (mp, &p);
  g_assert_cmpint (p.resize, ==, GST_OV_RESIZE_ASPECT_RATIO);
  g_assert_cmpint (p.anchor, ==, GST_OV_ANCHOR_TOP_LEFT);
  gst_ov_model_proc_free (mp);
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_assert_null (gst_ov_model_proc_parse (bad[i], -1, "bad.json", &err));
    g_assert_nonnull (err);
    g_clear_error (&err);
  }
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/landmarks/result-maps-through-transform",
      test_result_maps_through_transform);
  g_test_add_func ("/landmarks/roi-round-trip-and-box",
      test_roi_round_trip_and_box);
  g_test_add_func ("/landmarks/model-proc-keys", test_model_proc_keys);
  return g_test_run ();
}
