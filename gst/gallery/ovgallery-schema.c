/* The gallery's schema and its migrations. PRAGMA user_version holds the
 * version; migration N takes a database from version N-1 to N. Rules for
 * adding one (e.g. the photo-library service's tables): append to
 * `migrations`, only add tables, columns and indexes (older readers then
 * still open newer files), and bump OV_GALLERY_SCHEMA_VERSION. */
#include "ovgallery-private.h"

static const char *const migrations[] = {
  /* 1: persons and their face descriptors. A descriptor is `dim`
   * float32 values, little-endian; the box is in the source image's
   * pixels; times are Unix seconds. Deleting a person deletes their
   * faces (foreign keys are switched on for every connection). */
  "CREATE TABLE persons ("
  "  id INTEGER PRIMARY KEY,"
  "  name TEXT NOT NULL UNIQUE CHECK (length(name) > 0),"
  "  created INTEGER NOT NULL);"
  "CREATE TABLE faces ("
  "  id INTEGER PRIMARY KEY,"
  "  person_id INTEGER NOT NULL REFERENCES persons(id) ON DELETE CASCADE,"
  "  dim INTEGER NOT NULL CHECK (dim > 0),"
  "  descriptor BLOB NOT NULL CHECK (length(descriptor) = 4 * dim),"
  "  source TEXT,"
  "  box_x REAL, box_y REAL, box_w REAL, box_h REAL,"
  "  created INTEGER NOT NULL);"
  "CREATE INDEX faces_by_person ON faces(person_id);",
  /* 2: the photo library's index (ovgallery-photos.h): each analyzed
   * photo (error NULL) or unreadable one (error set), and the faces found
   * in it; a removed person leaves their faces unknown. */
  "CREATE TABLE photos ("
  "  id INTEGER PRIMARY KEY,"
  "  path TEXT NOT NULL UNIQUE,"
  "  size INTEGER NOT NULL,"
  "  mtime INTEGER NOT NULL,"
  "  width INTEGER, height INTEGER,"
  "  error TEXT,"
  "  indexed INTEGER NOT NULL);"
  "CREATE TABLE photo_faces ("
  "  id INTEGER PRIMARY KEY,"
  "  photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,"
  "  x REAL NOT NULL, y REAL NOT NULL, w REAL NOT NULL, h REAL NOT NULL,"
  "  score REAL NOT NULL,"
  "  descriptor BLOB,"
  "  person_id INTEGER REFERENCES persons(id) ON DELETE SET NULL,"
  "  distance REAL,"
  "  age REAL, gender TEXT, gender_confidence REAL, expression TEXT,"
  "  cluster INTEGER);"
  "CREATE INDEX photo_faces_by_photo ON photo_faces(photo_id);"
  "CREATE INDEX photo_faces_by_person ON photo_faces(person_id);",
};

G_STATIC_ASSERT (G_N_ELEMENTS (migrations) == OV_GALLERY_SCHEMA_VERSION);

static gboolean
read_version (OvGallery *gallery, int *version, GError **error)
{
  sqlite3_stmt *stmt = ov_gallery_prepare (gallery, "PRAGMA user_version",
      error);
  int rc;
  if (stmt == NULL)
    return FALSE;
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW) {
    sqlite3_finalize (stmt);
    return ov_gallery_sqlite_error (gallery, rc, "reading the schema version",
        error);
  }
  *version = sqlite3_column_int (stmt, 0);
  sqlite3_finalize (stmt);
  return TRUE;
}

int
ov_gallery_get_schema_version (OvGallery *gallery, GError **error)
{
  int version = 0;
  return read_version (gallery, &version, error) ? version : -1;
}

gboolean
ov_gallery_migrate (OvGallery *gallery, GError **error)
{
  int version = 0;

  if (!read_version (gallery, &version, error))
    return FALSE;
  if (version >= OV_GALLERY_SCHEMA_VERSION)
    return TRUE;
  /* Under the write lock, read again: another process may have migrated
   * the file between our read and the lock. */
  if (!ov_gallery_begin_write (gallery, error))
    return FALSE;
  if (!read_version (gallery, &version, error))
    goto fail;
  for (; version < OV_GALLERY_SCHEMA_VERSION; version++) {
    char *bump;
    gboolean ok;
    if (!ov_gallery_exec (gallery, migrations[version], "creating the schema",
            error))
      goto fail;
    bump = g_strdup_printf ("PRAGMA user_version = %d", version + 1);
    ok = ov_gallery_exec (gallery, bump, "setting the schema version", error);
    g_free (bump);
    if (!ok)
      goto fail;
  }
  return ov_gallery_commit (gallery, error);

fail:
  ov_gallery_rollback (gallery);
  return FALSE;
}
