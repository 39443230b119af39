/* GStreamer 1.24's analytics metadata (GstAnalyticsRelationMeta) beside
 * our ROI metas, for applications written against it. Built only with
 * gstreamer-analytics-1.0 >= 1.24 (HAVE_GST_ANALYTICS); without it these
 * calls do nothing.
 *
 * What mirrors what, as DL Streamer links them:
 * - a detection (ROI) is an object-detection mtd (pixels, label quark,
 *   confidence) whose id is the ROI's `id`;
 * - a classification attribute on a ROI is a classification mtd (one
 *   class: label quark, confidence), the ROI's mtd CONTAIN it and it
 *   IS_PART_OF the ROI's; full-frame ones stand alone;
 * - a tracked object id is a tracking mtd; the ROI's mtd IS_PART_OF it
 *   and it CONTAIN the ROI's;
 * - a region found inside another (parent_id): the parent's mtd CONTAIN
 *   the child's, which IS_PART_OF it.
 * Raw tensors, embeddings and landmarks have no 1.24 equivalent and stay
 * ROI params only. */
#ifndef GST_OV_ANALYTICS_H
#define GST_OV_ANALYTICS_H

#include <gst/gst.h>
#include <gst/video/video.h>

G_BEGIN_DECLS

/* Gives `roi` (just added, without results) its detection mtd and that
 * mtd's id. ROIs of the buffer that have none yet (added by other
 * elements) get theirs first, so ROI ids stay unique: their ids change,
 * and parent_id links to them follow. */
void gst_ov_analytics_add_detection (GstBuffer *buffer,
    GstVideoRegionOfInterestMeta *roi, double confidence);

/* `child` was found inside `parent`. */
void gst_ov_analytics_add_child (GstBuffer *buffer,
    GstVideoRegionOfInterestMeta *parent, GstVideoRegionOfInterestMeta *child);

/* A result structure about to go on `roi` (NULL: the whole frame); only
 * classification results (`label`, `confidence`) are mirrored. */
void gst_ov_analytics_add_result (GstBuffer *buffer,
    GstVideoRegionOfInterestMeta *roi, const GstStructure *result);

/* `roi` is tracked object `id`. */
void gst_ov_analytics_set_tracking (GstBuffer *buffer,
    GstVideoRegionOfInterestMeta *roi, gint id);

G_END_DECLS

#endif
