/* Nearest gallery descriptor for a face descriptor. All descriptors are
 * held in memory; `refresh` reloads them when any connection has changed
 * the gallery since the last load (one cheap PRAGMA when nothing has). */
#ifndef OV_GALLERY_MATCHER_H
#define OV_GALLERY_MATCHER_H

#include "ovgallery.h"

G_BEGIN_DECLS

typedef enum {
  OV_GALLERY_METRIC_EUCLIDEAN = 0,
  OV_GALLERY_METRIC_COSINE = 1,
} OvGalleryMetric;

typedef struct {
  gint64 person_id;
  const char *name;             /* the matcher's, valid until a reload */
  /* Euclidean distance, or cosine distance (1 - cosine similarity). */
  double distance;
  /* 0..1, higher is closer: 1 - distance clipped at 0 (euclidean), the
   * cosine similarity clipped at 0 (cosine). */
  double similarity;
} OvGalleryMatch;

typedef struct _OvGalleryMatcher OvGalleryMatcher;

/* Loads the gallery's descriptors; the matcher borrows `gallery`. */
OvGalleryMatcher *ov_gallery_matcher_new (OvGallery *gallery, GError **error);
void ov_gallery_matcher_free (OvGalleryMatcher *matcher);

/* Reloads if the gallery changed; `reloaded` (may be NULL) says whether
 * it did. On error the previous contents stay in use. */
gboolean ov_gallery_matcher_refresh (OvGalleryMatcher *matcher,
    gboolean *reloaded, GError **error);

guint ov_gallery_matcher_get_n_faces (OvGalleryMatcher *matcher);
/* Whether some gallery descriptor has `dim` values. */
gboolean ov_gallery_matcher_has_dim (OvGalleryMatcher *matcher, guint dim);
/* The person's name, or NULL if the person is not (any more) there. */
const char *ov_gallery_matcher_get_name (OvGalleryMatcher *matcher,
    gint64 person_id);

/* The nearest descriptor of the same dimension (nearest neighbour over
 * every face of every person); FALSE if there is none. */
gboolean ov_gallery_matcher_nearest (OvGalleryMatcher *matcher,
    OvGalleryMetric metric, const float *descriptor, guint dim,
    OvGalleryMatch *match);

/* Distance and similarity of two descriptors under `metric`. */
double ov_gallery_distance (OvGalleryMetric metric, const float *a,
    const float *b, guint dim);
double ov_gallery_similarity (OvGalleryMetric metric, double distance);

G_END_DECLS

#endif
