/* Inside the gallery library: the connection, SQLite error mapping,
 * transactions and the descriptor encoding shared by its files. */
#ifndef OV_GALLERY_PRIVATE_H
#define OV_GALLERY_PRIVATE_H

#include <sqlite3.h>

#include "ovgallery.h"

G_BEGIN_DECLS

struct _OvGallery {
  sqlite3 *db;
  char *path;                   /* for messages; ":memory:" in memory */
  /* Changes this connection committed: PRAGMA data_version only counts
   * other connections' commits. */
  gint64 own_changes;
};

/* Sets `error` from the connection's last failure (`rc` its result):
 * "gallery PATH: WHAT: SQLite's message", with CORRUPT for damaged files
 * and LOCKED for a busy timeout. Always returns FALSE. */
gboolean ov_gallery_sqlite_error (OvGallery *gallery, int rc,
    const char *what, GError **error);

/* Runs SQL without results; FALSE with `error` on failure. */
gboolean ov_gallery_exec (OvGallery *gallery, const char *sql,
    const char *what, GError **error);
sqlite3_stmt *ov_gallery_prepare (OvGallery *gallery, const char *sql,
    GError **error);

/* A write transaction: BEGIN IMMEDIATE takes the write lock up front, so
 * a busy database fails here (after the timeout) and never half-way. */
gboolean ov_gallery_begin_write (OvGallery *gallery, GError **error);
gboolean ov_gallery_commit (OvGallery *gallery, GError **error);
void ov_gallery_rollback (OvGallery *gallery);
/* A read transaction: one consistent snapshot for several statements. */
gboolean ov_gallery_begin_read (OvGallery *gallery, GError **error);

/* Brings the schema to OV_GALLERY_SCHEMA_VERSION. */
gboolean ov_gallery_migrate (OvGallery *gallery, GError **error);

/* Descriptors are stored as float32 little-endian, whatever the host. */
void ov_gallery_descriptor_encode (const float *values, guint dim,
    guint8 *bytes);
void ov_gallery_descriptor_decode (const guint8 *bytes, guint dim,
    float *values);

/* Adds one face inside the caller's transaction. */
gboolean ov_gallery_insert_face (OvGallery *gallery, gint64 person_id,
    const OvGalleryNewFace *face, gint64 created, GError **error);
/* Finds or creates a person inside the caller's transaction. */
gint64 ov_gallery_ensure_person (OvGallery *gallery, const char *name,
    gint64 created, GError **error);
/* Whether the person already has exactly this descriptor. */
gboolean ov_gallery_has_descriptor (OvGallery *gallery, gint64 person_id,
    const float *descriptor, guint dim, gboolean *found, GError **error);

G_END_DECLS

#endif
