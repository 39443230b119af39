/* The photo library's index: which photos were analyzed (path, size,
 * modification time, or why they could not be) and the faces found in
 * each (box, descriptor, identity, age, gender, expression, cluster).
 * Lives in the gallery's SQLite file, beside persons and their faces, on
 * its own connection. Each photo is stored in one transaction, so an
 * interrupted run leaves every photo either fully indexed or not at all. */
#ifndef OV_PHOTO_INDEX_H
#define OV_PHOTO_INDEX_H

#include <glib.h>

#include "ovfaceanalyzer.h"

G_BEGIN_DECLS

typedef struct _OvPhotoIndex OvPhotoIndex;

/* Opens the index in the database at `path` (which must exist: open the
 * gallery with OV_GALLERY_OPEN_CREATE first), adding its tables if
 * missing. */
OvPhotoIndex *ov_photo_index_open (const char *path, GError **error);
void ov_photo_index_close (OvPhotoIndex *idx);

/* Whether the photo was indexed with this size and modification time. */
gboolean ov_photo_index_is_current (OvPhotoIndex *idx, const char *path,
    gint64 size, gint64 mtime, gboolean *current, GError **error);

/* A face's identity, decided by the caller (person_id 0: unknown). */
typedef struct {
  gint64 person_id;
  double distance;
} OvPhotoIdentity;

/* Replaces what the index holds for the photo by `result` (its faces,
 * with identities[i] for face i, or its error), in one transaction. */
gboolean ov_photo_index_store (OvPhotoIndex *idx, const char *path,
    gint64 size, gint64 mtime, const OvFaceResult *result,
    const OvPhotoIdentity *identities, GError **error);

/* Forgets photos under `root` (a folder path prefix) that are not in
 * `present` (a set of paths). Returns how many, or -1 on error. */
int ov_photo_index_prune (OvPhotoIndex *idx, const char *root,
    GHashTable *present, GError **error);

/* A stored face. */
typedef struct {
  gint64 id;
  char *path;                   /* its photo */
  double x, y, w, h;
  float descriptor[OV_FACE_DESCRIPTOR_DIM];
  gboolean has_descriptor;
  gint64 person_id;             /* 0: unknown */
  char *person;                 /* NULL: unknown */
  double distance;
  double age;
  char *gender;
  char *expression;
  gint64 cluster;               /* 0: none */
} OvIndexedFace;

void ov_indexed_face_free (OvIndexedFace *f);

/* Every face (OvIndexedFace), by photo path then position. */
GPtrArray *ov_photo_index_list_faces (OvPhotoIndex *idx, GError **error);

/* Photos that could not be indexed: path -> error, sorted by path. */
GPtrArray *ov_photo_index_list_errors (OvPhotoIndex *idx, GError **error);

/* Counts of photos, faces and identified faces. */
gboolean ov_photo_index_counts (OvPhotoIndex *idx, gint64 *photos,
    gint64 *faces, gint64 *identified, gint64 *errors, GError **error);

/* Sets faces' identities and clusters in one transaction (arrays of
 * n face ids, identities and cluster numbers; clusters may be NULL). */
gboolean ov_photo_index_update_faces (OvPhotoIndex *idx, const gint64 *ids,
    const OvPhotoIdentity *identities, const gint64 *clusters, guint n,
    GError **error);

G_END_DECLS

#endif
