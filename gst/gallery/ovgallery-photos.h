/* The photo library's index in the gallery database (tables `photos` and
 * `photo_faces`, schema migration 2): which photos were analyzed (path,
 * size, modification time, or why they could not be) and the faces found
 * in each (box, descriptor, identity, age, gender, expression, cluster).
 * Each photo is stored in one transaction, so an interrupted indexer
 * leaves every photo either fully indexed or not at all. */
#ifndef OV_GALLERY_PHOTOS_H
#define OV_GALLERY_PHOTOS_H

#include "ovgallery.h"

G_BEGIN_DECLS

/* Whether the photo was indexed with this size and modification time. */
gboolean ov_gallery_photo_is_current (OvGallery *gallery, const char *path,
    gint64 size, gint64 mtime, gboolean *current, GError **error);

/* A face found in a photo: borrowed pointers. */
typedef struct {
  double x, y, w, h, score;
  const float *descriptor;      /* dim values, or NULL */
  guint dim;
  gint64 person_id;             /* 0: unknown */
  double distance;
  double age;                   /* < 0: unknown */
  const char *gender;           /* NULL: unknown */
  double gender_confidence;
  const char *expression;       /* NULL: unknown */
} OvGalleryPhotoFace;

/* What the analysis of a photo gave: its size and faces, or why not. */
typedef struct {
  int width, height;
  const char *error;            /* NULL: analyzed */
  const OvGalleryPhotoFace *faces;
  guint n_faces;
} OvGalleryPhotoResult;

/* Replaces what the index holds for the photo, in one transaction. */
gboolean ov_gallery_photo_store (OvGallery *gallery, const char *path,
    gint64 size, gint64 mtime, const OvGalleryPhotoResult *result,
    GError **error);

/* Forgets photos under `root` (a folder) that are not in `present` (a set
 * of paths). Returns how many, or -1 on error. */
int ov_gallery_photo_prune (OvGallery *gallery, const char *root,
    GHashTable *present, GError **error);

/* A stored face. */
typedef struct {
  gint64 id;
  char *path;                   /* its photo */
  double x, y, w, h;
  float *descriptor;            /* dim values, or NULL */
  guint dim;
  gint64 person_id;             /* 0: unknown */
  char *person;                 /* NULL: unknown */
  double distance;
  double age;                   /* < 0: unknown */
  char *gender;
  char *expression;
  gint64 cluster;               /* 0: none */
} OvGalleryIndexedFace;

void ov_gallery_indexed_face_free (OvGalleryIndexedFace *face);

/* Every face (OvGalleryIndexedFace), by photo path then position. */
GPtrArray *ov_gallery_photo_list_faces (OvGallery *gallery, GError **error);

/* Photos that could not be indexed, "path: why", sorted by path. */
GPtrArray *ov_gallery_photo_list_errors (OvGallery *gallery, GError **error);

/* Counts of analyzed photos, faces, identified faces and unreadable
 * photos. */
gboolean ov_gallery_photo_counts (OvGallery *gallery, gint64 *photos,
    gint64 *faces, gint64 *identified, gint64 *errors, GError **error);

/* Sets n faces' identities (person_ids 0: unknown) and clusters (0: none;
 * clusters may be NULL) in one transaction. */
gboolean ov_gallery_photo_update_faces (OvGallery *gallery, const gint64 *ids,
    const gint64 *person_ids, const double *distances, const gint64 *clusters,
    guint n, GError **error);

G_END_DECLS

#endif
