/* A face gallery in SQLite: persons and their face descriptors, for
 * ovidentify and the ovi-gallery tool. GLib, json-glib and sqlite3 only
 * (no GStreamer), so services can link it too.
 *
 * One OvGallery is one SQLite connection, used from one thread at a time.
 * Several connections (processes) may use one file: the database runs in
 * WAL mode, so readers never wait for the writer, and a writer waits up
 * to the busy timeout for another writer before failing with
 * OV_GALLERY_ERROR_LOCKED. Every failure is a GError naming the file and
 * carrying SQLite's message; nothing is ever dropped silently. */
#ifndef OV_GALLERY_H
#define OV_GALLERY_H

#include <glib.h>

G_BEGIN_DECLS

#define OV_GALLERY_ERROR (ov_gallery_error_quark ())
GQuark ov_gallery_error_quark (void);

typedef enum {
  OV_GALLERY_ERROR_FAILED,      /* any other SQLite or file error */
  OV_GALLERY_ERROR_CORRUPT,     /* not a database, or a damaged one */
  OV_GALLERY_ERROR_LOCKED,      /* another connection held it past the timeout */
  OV_GALLERY_ERROR_NOT_FOUND,   /* no such file, or no such person */
  OV_GALLERY_ERROR_EXISTS,      /* the person's name is taken */
  OV_GALLERY_ERROR_INVALID,     /* a bad argument or a malformed JSON file */
} OvGalleryError;

/* The schema version this code writes (PRAGMA user_version). */
#define OV_GALLERY_SCHEMA_VERSION 2

typedef enum {
  OV_GALLERY_OPEN_DEFAULT = 0,
  OV_GALLERY_OPEN_CREATE = 1 << 0,     /* create the file if missing */
} OvGalleryOpenFlags;

/* How long a statement waits for another connection's lock. */
#define OV_GALLERY_DEFAULT_BUSY_TIMEOUT_MS 5000

typedef struct _OvGallery OvGallery;

/* Opens (or with OV_GALLERY_OPEN_CREATE creates) the gallery at `path`
 * and brings its schema up to OV_GALLERY_SCHEMA_VERSION. A newer schema
 * is accepted: migrations only ever add tables and columns. */
OvGallery *ov_gallery_open (const char *path, OvGalleryOpenFlags flags,
    GError **error);
/* A private gallery in memory (what a JSON gallery is imported into). */
OvGallery *ov_gallery_open_memory (GError **error);
void ov_gallery_close (OvGallery *gallery);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OvGallery, ov_gallery_close)

const char *ov_gallery_get_path (OvGallery *gallery);
void ov_gallery_set_busy_timeout (OvGallery *gallery, int milliseconds);
int ov_gallery_get_schema_version (OvGallery *gallery, GError **error);

/* A value that changes whenever any connection commits a change; equal
 * values mean the contents are the same. -1 on error. */
gint64 ov_gallery_get_change_stamp (OvGallery *gallery, GError **error);

/* A face's box in its source image, in pixels. */
typedef struct {
  double x, y, w, h;
} OvGalleryBox;

typedef struct {
  gint64 id;
  char *name;
  guint n_faces;
  gint64 created;               /* Unix time, seconds */
} OvGalleryPerson;

typedef struct {
  gint64 id;
  gint64 person_id;
  guint dim;
  float *descriptor;            /* dim values */
  char *source;                 /* NULL if unknown */
  gboolean has_box;
  OvGalleryBox box;
  gint64 created;
} OvGalleryFace;

void ov_gallery_person_free (OvGalleryPerson *person);
void ov_gallery_face_free (OvGalleryFace *face);

/* A face to enrol: borrowed pointers. */
typedef struct {
  const float *descriptor;
  guint dim;
  const char *source;           /* may be NULL */
  const OvGalleryBox *box;      /* may be NULL */
} OvGalleryNewFace;

/* Adds `n` faces to the person `name`, creating the person if needed, in
 * one transaction: all or nothing. Returns the person's id, or 0 with
 * `error` set. */
gint64 ov_gallery_enrol (OvGallery *gallery, const char *name,
    const OvGalleryNewFace *faces, guint n, GError **error);

/* The person's id, or 0 (with OV_GALLERY_ERROR_NOT_FOUND if unknown). */
gint64 ov_gallery_find_person (OvGallery *gallery, const char *name,
    GError **error);

/* Persons by name (OvGalleryPerson), or NULL with `error`. */
GPtrArray *ov_gallery_list_persons (OvGallery *gallery, GError **error);
/* A person's faces (person_id 0: all faces) by id (OvGalleryFace). */
GPtrArray *ov_gallery_list_faces (OvGallery *gallery, gint64 person_id,
    GError **error);

gboolean ov_gallery_rename_person (OvGallery *gallery, const char *old_name,
    const char *new_name, GError **error);
/* Removes the person and all their faces. */
gboolean ov_gallery_remove_person (OvGallery *gallery, const char *name,
    GError **error);

/* The whole gallery as JSON (see docs/gallery.md), written atomically. */
char *ov_gallery_export_json (OvGallery *gallery, GError **error);
gboolean ov_gallery_export_file (OvGallery *gallery, const char *path,
    GError **error);
/* Merges a JSON gallery in one transaction: persons are matched by name,
 * faces already present (same descriptor) are skipped. Reads our export
 * format and gvaidentify's (an array of {name, features: [tensor file
 * paths]}, raw float32 files relative to the JSON's folder). `n_added`
 * (may be NULL) receives the number of faces added. */
gboolean ov_gallery_import_file (OvGallery *gallery, const char *path,
    guint *n_added, GError **error);

G_END_DECLS

#endif
