#include "gstovanalytics.h"

#ifdef HAVE_GST_ANALYTICS

#include <gst/analytics/analytics.h>

static GstAnalyticsRelationMeta *
relation_meta (GstBuffer *buffer)
{
  GstAnalyticsRelationMeta *m = gst_buffer_get_analytics_relation_meta (buffer);
  return m ? m : gst_buffer_add_analytics_relation_meta (buffer);
}

/* The ROI's detection mtd is the one its id names, if it has the ROI's
 * box and type (ids of ROIs from other elements may name anything). */
static gboolean
has_detection (GstAnalyticsRelationMeta *m, GstVideoRegionOfInterestMeta *roi)
{
  GstAnalyticsODMtd od;
  gint x, y, w, h;
  gfloat confidence;

  return roi->id >= 0
      && gst_analytics_relation_meta_get_od_mtd (m, (guint) roi->id, &od)
      && gst_analytics_od_mtd_get_location (&od, &x, &y, &w, &h, &confidence)
      && (guint) x == roi->x && (guint) y == roi->y && (guint) w == roi->w
      && (guint) h == roi->h
      && gst_analytics_od_mtd_get_obj_type (&od) == roi->roi_type;
}

static gboolean
add_od (GstAnalyticsRelationMeta *m, GstVideoRegionOfInterestMeta *roi,
    double confidence)
{
  GstAnalyticsODMtd od;
  if (!gst_analytics_relation_meta_add_od_mtd (m, roi->roi_type, (gint) roi->x,
          (gint) roi->y, (gint) roi->w, (gint) roi->h, (gfloat) confidence,
          &od))
    return FALSE;
  roi->id = (gint) od.id;
  return TRUE;
}

#define AMBIGUOUS G_MININT

/* ROIs that other elements added get detection mtds (confidence from
 * their `detection` param when there is one) and those ids. Then links
 * to their old ids follow, each renamed once from its original value;
 * a link to an id several of them had (other elements' ids need not be
 * unique) is dropped, as it could now name a wrong region. */
static void
adopt_rois (GstBuffer *buffer, GstAnalyticsRelationMeta *m,
    GstVideoRegionOfInterestMeta *skip)
{
  GHashTable *renamed = NULL;   /* old id -> new id, or AMBIGUOUS */
  GHashTable *kept = g_hash_table_new (NULL, NULL);
  gpointer state = NULL, value;
  GstMeta *meta;

  while ((meta = gst_buffer_iterate_meta_filtered (buffer, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    GstVideoRegionOfInterestMeta *roi = (GstVideoRegionOfInterestMeta *) meta;
    GstStructure *det;
    double confidence = 0.0;
    gpointer old_id = GINT_TO_POINTER (roi->id);

    if (roi == skip)
      continue;
    if (has_detection (m, roi)) {
      g_hash_table_add (kept, old_id);
      continue;
    }
    det = gst_video_region_of_interest_meta_get_param (roi, "detection");
    if (det)
      gst_structure_get_double (det, "confidence", &confidence);
    if (!add_od (m, roi, confidence))
      break;
    if (renamed == NULL)
      renamed = g_hash_table_new (NULL, NULL);
    g_hash_table_insert (renamed, old_id,
        g_hash_table_contains (renamed, old_id)
        ? GINT_TO_POINTER (AMBIGUOUS) : GINT_TO_POINTER (roi->id));
  }
  state = NULL;
  while (renamed && (meta = gst_buffer_iterate_meta_filtered (buffer, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    GstVideoRegionOfInterestMeta *roi = (GstVideoRegionOfInterestMeta *) meta;
    gpointer parent = GINT_TO_POINTER (roi->parent_id);
    if (roi == skip || g_hash_table_contains (kept, parent)
        || !g_hash_table_lookup_extended (renamed, parent, NULL, &value))
      continue;
    roi->parent_id = GPOINTER_TO_INT (value) == AMBIGUOUS
        || GPOINTER_TO_INT (value) == roi->id ? -1 : GPOINTER_TO_INT (value);
  }
  if (renamed)
    g_hash_table_unref (renamed);
  g_hash_table_unref (kept);
}

/* `whole` CONTAIN `part`, and `part` IS_PART_OF `whole`. */
static void
relate (GstAnalyticsRelationMeta *m, guint whole, guint part)
{
  gst_analytics_relation_meta_set_relation (m, GST_ANALYTICS_REL_TYPE_CONTAIN,
      whole, part);
  gst_analytics_relation_meta_set_relation (m,
      GST_ANALYTICS_REL_TYPE_IS_PART_OF, part, whole);
}

void
gst_ov_analytics_add_detection (GstBuffer *buffer,
    GstVideoRegionOfInterestMeta *roi, double confidence)
{
  GstAnalyticsRelationMeta *m = relation_meta (buffer);
  if (m == NULL)
    return;
  adopt_rois (buffer, m, roi);
  add_od (m, roi, confidence);
}

void
gst_ov_analytics_add_child (GstBuffer *buffer,
    GstVideoRegionOfInterestMeta *parent, GstVideoRegionOfInterestMeta *child)
{
  GstAnalyticsRelationMeta *m = relation_meta (buffer);
  if (m == NULL)
    return;
  adopt_rois (buffer, m, NULL);
  relate (m, (guint) parent->id, (guint) child->id);
}

void
gst_ov_analytics_add_result (GstBuffer *buffer,
    GstVideoRegionOfInterestMeta *roi, const GstStructure *result)
{
  GstAnalyticsRelationMeta *m;
  GstAnalyticsClsMtd cls;
  const gchar *label = gst_structure_get_string (result, "label");
  double confidence;

  if (label == NULL || *label == '\0'
      || !gst_structure_get_double (result, "confidence", &confidence))
    return;
  m = relation_meta (buffer);
  if (m == NULL)
    return;
  if (roi)
    adopt_rois (buffer, m, NULL);
  if (!gst_analytics_relation_meta_add_one_cls_mtd (m, (gfloat) confidence,
          g_quark_from_string (label), &cls))
    return;
  if (roi)
    relate (m, (guint) roi->id, cls.id);
}

void
gst_ov_analytics_set_tracking (GstBuffer *buffer,
    GstVideoRegionOfInterestMeta *roi, gint id)
{
  GstAnalyticsRelationMeta *m = relation_meta (buffer);
  GstAnalyticsTrackingMtd trk;

  if (m == NULL || id < 0)
    return;
  adopt_rois (buffer, m, NULL);
  /* First sight is not known per frame here. */
  if (gst_analytics_relation_meta_add_tracking_mtd (m, (guint64) id,
          GST_CLOCK_TIME_NONE, &trk))
    relate (m, trk.id, (guint) roi->id);
}

#else

void
gst_ov_analytics_add_detection (GstBuffer *buffer,
    GstVideoRegionOfInterestMeta *roi, double confidence)
{
}

void
gst_ov_analytics_add_child (GstBuffer *buffer,
    GstVideoRegionOfInterestMeta *parent, GstVideoRegionOfInterestMeta *child)
{
}

void
gst_ov_analytics_add_result (GstBuffer *buffer,
    GstVideoRegionOfInterestMeta *roi, const GstStructure *result)
{
}

void
gst_ov_analytics_set_tracking (GstBuffer *buffer,
    GstVideoRegionOfInterestMeta *roi, gint id)
{
}

#endif
