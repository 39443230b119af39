/* GStreamer 1.24's analytics metadata beside the ROI metas (built only
 * with gstreamer-analytics-1.0): detections, classifications, tracking
 * ids and their relations, checked against the ROI metas the same frame
 * carries, through a detector, a classifier and a tracker in one
 * pipeline. */
#include "ovtest.h"

#include <gst/analytics/analytics.h>

#include "gstovmeta.h"

/* The ROI's detection mtd: its id is the ROI's, with the ROI's box, type
 * and confidence. */
static GstAnalyticsODMtd
roi_detection (GstAnalyticsRelationMeta *m, GstVideoRegionOfInterestMeta *roi)
{
  GstAnalyticsODMtd od;
  gint x, y, w, h;
  gfloat level;
  double confidence;

  g_assert_true (gst_analytics_relation_meta_get_od_mtd (m, (guint) roi->id,
          &od));
  g_assert_true (gst_analytics_od_mtd_get_location (&od, &x, &y, &w, &h,
          &level));
  g_assert_cmpint (x, ==, roi->x);
  g_assert_cmpint (y, ==, roi->y);
  g_assert_cmpint (w, ==, roi->w);
  g_assert_cmpint (h, ==, roi->h);
  g_assert_cmpuint (gst_analytics_od_mtd_get_obj_type (&od), ==,
      roi->roi_type);
  if (gst_ov_roi_get_detection (roi, &confidence, NULL, NULL))
    g_assert_cmpfloat_with_epsilon (level, confidence, 1e-6);
  return od;
}

/* The one mtd of `type` that `id` CONTAIN, which IS_PART_OF it back. */
static GstAnalyticsMtd
contained (GstAnalyticsRelationMeta *m, guint id, GstAnalyticsMtdType type)
{
  GstAnalyticsMtd mtd, extra;
  gpointer state = NULL;
  g_assert_true (gst_analytics_relation_meta_get_direct_related (m, id,
          GST_ANALYTICS_REL_TYPE_CONTAIN, type, &state, &mtd));
  g_assert_false (gst_analytics_relation_meta_get_direct_related (m, id,
          GST_ANALYTICS_REL_TYPE_CONTAIN, type, &state, &extra));
  g_assert_cmpint (gst_analytics_relation_meta_get_relation (m, mtd.id, id),
      ==, GST_ANALYTICS_REL_TYPE_IS_PART_OF);
  return mtd;
}

static void
test_detect_classify_track (void)
{
  GstVideoInfo info;
  char *launch = g_strdup_printf ("ovdetect model=%s model-proc=%s ! "
      "ovclassify model=%s model-proc=%s ! ovtrack "
      "tracking-type=short-term-imageless",
      ov_test_model ("detect-ssd.onnx"), ov_test_model ("detect-ssd.json"),
      ov_test_model ("classify.onnx"), ov_test_model ("classify.json"));
  GstHarness *h;

  ov_test_video_info (&info, GST_VIDEO_FORMAT_BGRx, 320, 240);
  h = ov_test_harness (launch, &info);
  for (int frame = 0; frame < 2; frame++) {
    GstBuffer *out = gst_harness_push_and_pull (h,
        ov_test_solid_frame (&info, 250, 120, 120));
    GstAnalyticsRelationMeta *m = gst_buffer_get_analytics_relation_meta (out);
    guint n = ov_test_count_rois (out);
    GstAnalyticsMtd mtd;
    gpointer state = NULL;
    guint n_od = 0;

    g_assert_nonnull (m);
    g_assert_cmpuint (n, ==, 2);
    while (gst_analytics_relation_meta_iterate (m, &state,
            gst_analytics_od_mtd_get_mtd_type (), &mtd))
      n_od++;
    g_assert_cmpuint (n_od, ==, n);
    for (guint i = 0; i < n; i++) {
      GstVideoRegionOfInterestMeta *roi = ov_test_nth_roi (out, i);
      GstAnalyticsODMtd od = roi_detection (m, roi);
      GstAnalyticsClsMtd cls = contained (m, od.id,
          gst_analytics_cls_mtd_get_mtd_type ());
      GstStructure *color =
          gst_video_region_of_interest_meta_get_param (roi, "color");
      double confidence;
      GstAnalyticsTrackingMtd trk;
      guint64 track_id;
      gpointer tstate = NULL;

      g_assert_cmpstr (g_quark_to_string (gst_analytics_cls_mtd_get_quark (
                  &cls, 0)), ==, "red");
      g_assert_true (gst_structure_get_double (color, "confidence",
              &confidence));
      g_assert_cmpfloat_with_epsilon (gst_analytics_cls_mtd_get_level (&cls,
              0), confidence, 1e-6);
      /* The tracker's id: the tracking mtd contains the detection. */
      g_assert_true (gst_analytics_relation_meta_get_direct_related (m, od.id,
              GST_ANALYTICS_REL_TYPE_IS_PART_OF,
              gst_analytics_tracking_mtd_get_mtd_type (), &tstate, &trk));
      g_assert_true (gst_analytics_tracking_mtd_get_info (&trk, &track_id,
              NULL, NULL, NULL));
      g_assert_cmpint (track_id, ==, gst_ov_roi_get_object_id (roi));
      g_assert_cmpint (gst_analytics_relation_meta_get_relation (m, trk.id,
              od.id), ==, GST_ANALYTICS_REL_TYPE_CONTAIN);
    }
    gst_buffer_unref (out);
  }
  gst_harness_teardown (h);
  g_free (launch);
}

/* ROIs another element added (no detection mtd, ids that would clash)
 * get detection mtds and those ids, and their children follow. */
static void
test_foreign_rois (void)
{
  GstVideoInfo info;
  char *launch = g_strdup_printf ("ovclassify model=%s model-proc=%s",
      ov_test_model ("classify.onnx"), ov_test_model ("classify.json"));
  GstHarness *h;
  GstBuffer *in, *out;
  GstVideoRegionOfInterestMeta *a, *b;
  GstAnalyticsRelationMeta *m;

  ov_test_video_info (&info, GST_VIDEO_FORMAT_BGRx, 64, 32);
  h = ov_test_harness (launch, &info);
  in = ov_test_solid_frame (&info, 10, 10, 250);
  a = gst_buffer_add_video_region_of_interest_meta (in, "car", 0, 0, 32, 32);
  a->id = 5;
  b = gst_buffer_add_video_region_of_interest_meta (in, "plate", 4, 4, 8, 8);
  b->id = 0;
  b->parent_id = 5;
  out = gst_harness_push_and_pull (h, in);
  m = gst_buffer_get_analytics_relation_meta (out);
  g_assert_nonnull (m);
  a = ov_test_nth_roi (out, 0);
  b = ov_test_nth_roi (out, 1);
  g_assert_cmpint (a->id, !=, b->id);
  g_assert_cmpint (b->parent_id, ==, a->id);
  for (guint i = 0; i < 2; i++) {
    GstVideoRegionOfInterestMeta *roi = ov_test_nth_roi (out, i);
    GstAnalyticsODMtd od = roi_detection (m, roi);
    GstAnalyticsClsMtd cls = contained (m, od.id,
        gst_analytics_cls_mtd_get_mtd_type ());
    g_assert_cmpstr (g_quark_to_string (gst_analytics_cls_mtd_get_quark (
                &cls, 0)), ==, "blue");
  }
  gst_buffer_unref (out);
  gst_harness_teardown (h);

  /* A chain of foreign regions, ids dense: each link follows its own
   * parent, renamed once; ids shared by several regions lose links. */
  h = ov_test_harness (launch, &info);
  in = ov_test_solid_frame (&info, 10, 10, 250);
  for (int i = 0; i < 4; i++) {
    GstVideoRegionOfInterestMeta *r =
        gst_buffer_add_video_region_of_interest_meta (in, "part", i, i, 8, 8);
    r->id = i;
    r->parent_id = i >= 2 ? i - 1 : -1;
  }
  for (int i = 0; i < 2; i++) {
    GstVideoRegionOfInterestMeta *r =
        gst_buffer_add_video_region_of_interest_meta (in, "dup", 20, 20, 4, 4);
    r->id = 9;
    r->parent_id = 9;
  }
  out = gst_harness_push_and_pull (h, in);
  for (int i = 0; i < 6; i++) {
    GstVideoRegionOfInterestMeta *r = ov_test_nth_roi (out, i);
    if (r->x == 2 || r->x == 3) {
      /* x is the old id here: the parent is the region at x - 1. */
      GstVideoRegionOfInterestMeta *parent = NULL;
      for (int j = 0; j < 6; j++)
        if (ov_test_nth_roi (out, j)->x == r->x - 1
            && ov_test_nth_roi (out, j)->roi_type == r->roi_type)
          parent = ov_test_nth_roi (out, j);
      g_assert_cmpint (r->parent_id, ==, parent->id);
    } else if (r->roi_type == g_quark_from_string ("dup")) {
      g_assert_cmpint (r->parent_id, ==, -1);
    }
  }
  gst_buffer_unref (out);
  gst_harness_teardown (h);
  g_free (launch);

  /* A detector adding its objects beside one: every id stays unique. */
  launch = g_strdup_printf ("ovdetect model=%s model-proc=%s",
      ov_test_model ("detect-ssd.onnx"), ov_test_model ("detect-ssd.json"));
  h = ov_test_harness (launch, &info);
  in = ov_test_solid_frame (&info, 255, 255, 255);
  a = gst_buffer_add_video_region_of_interest_meta (in, "sign", 1, 1, 4, 4);
  a->id = 0;
  out = gst_harness_push_and_pull (h, in);
  m = gst_buffer_get_analytics_relation_meta (out);
  g_assert_cmpuint (ov_test_count_rois (out), ==, 3);
  for (guint i = 0; i < 3; i++) {
    roi_detection (m, ov_test_nth_roi (out, i));
    for (guint j = 0; j < i; j++)
      g_assert_cmpint (ov_test_nth_roi (out, i)->id, !=,
          ov_test_nth_roi (out, j)->id);
  }
  gst_buffer_unref (out);
  gst_harness_teardown (h);
  g_free (launch);
}

/* Objects found inside a region: the region's detection CONTAIN theirs. */
static void
test_children (void)
{
  GstVideoInfo info;
  char *launch = g_strdup_printf ("ovdetect model=%s model-proc=%s "
      "inference-region=roi-list", ov_test_model ("detect-ssd.onnx"),
      ov_test_model ("detect-ssd.json"));
  GstHarness *h;
  GstBuffer *in, *out;
  GstVideoRegionOfInterestMeta *region;
  GstAnalyticsRelationMeta *m;
  guint n;

  ov_test_video_info (&info, GST_VIDEO_FORMAT_BGRx, 64, 48);
  h = ov_test_harness (launch, &info);
  in = ov_test_solid_frame (&info, 255, 255, 255);
  gst_ov_add_detection (in, 64, 48, 0, 0, 40, 40, 0.7, 1, "area");
  out = gst_harness_push_and_pull (h, in);
  m = gst_buffer_get_analytics_relation_meta (out);
  n = ov_test_count_rois (out);
  g_assert_cmpuint (n, ==, 3);
  region = ov_test_nth_roi (out, 0);
  g_assert_cmpstr (gst_ov_roi_get_label (region), ==, "area");
  for (guint i = 1; i < n; i++) {
    GstVideoRegionOfInterestMeta *child = ov_test_nth_roi (out, i);
    GstAnalyticsODMtd od = roi_detection (m, child);
    g_assert_cmpint (child->parent_id, ==, region->id);
    g_assert_cmpint (gst_analytics_relation_meta_get_relation (m, od.id,
            (guint) region->id), ==, GST_ANALYTICS_REL_TYPE_IS_PART_OF);
    g_assert_cmpint (gst_analytics_relation_meta_get_relation (m,
            (guint) region->id, od.id), ==, GST_ANALYTICS_REL_TYPE_CONTAIN);
  }
  gst_buffer_unref (out);
  gst_harness_teardown (h);
  g_free (launch);
}

int
main (int argc, char **argv)
{
  ov_test_init (&argc, &argv);
  g_test_add_func ("/analytics/detect-classify-track",
      test_detect_classify_track);
  g_test_add_func ("/analytics/foreign-rois", test_foreign_rois);
  g_test_add_func ("/analytics/children", test_children);
  return ov_test_run ();
}
