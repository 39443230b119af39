/* SQLite plumbing for the gallery: errors as GErrors, statements,
 * transactions, and the on-disk descriptor encoding. */
#include "ovgallery-private.h"

#include <string.h>

G_DEFINE_QUARK (ov-gallery-error-quark, ov_gallery_error)

gboolean
ov_gallery_sqlite_error (OvGallery *gallery, int rc, const char *what,
    GError **error)
{
  int primary = rc & 0xff;
  const char *msg = gallery->db ? sqlite3_errmsg (gallery->db)
      : sqlite3_errstr (rc);

  /* sqlite3_errmsg describes the last call on the connection; when the
   * caller's rc came from elsewhere (a step whose reset changed it),
   * SQLite's own string for rc is what matches. */
  if (gallery->db && (sqlite3_errcode (gallery->db) & 0xff) != primary)
    msg = sqlite3_errstr (rc);
  switch (primary) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      g_set_error (error, OV_GALLERY_ERROR, OV_GALLERY_ERROR_CORRUPT,
          "gallery %s: database is corrupt (%s: %s)", gallery->path, what,
          msg);
      break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      g_set_error (error, OV_GALLERY_ERROR, OV_GALLERY_ERROR_LOCKED,
          "gallery %s: database is locked by another process (%s: %s)",
          gallery->path, what, msg);
      break;
    case SQLITE_CANTOPEN:
      g_set_error (error, OV_GALLERY_ERROR, OV_GALLERY_ERROR_NOT_FOUND,
          "gallery %s: cannot open the database (%s: %s)", gallery->path,
          what, msg);
      break;
    default:
      g_set_error (error, OV_GALLERY_ERROR, OV_GALLERY_ERROR_FAILED,
          "gallery %s: %s: %s", gallery->path, what, msg);
      break;
  }
  return FALSE;
}

gboolean
ov_gallery_exec (OvGallery *gallery, const char *sql, const char *what,
    GError **error)
{
  int rc = sqlite3_exec (gallery->db, sql, NULL, NULL, NULL);
  if (rc != SQLITE_OK)
    return ov_gallery_sqlite_error (gallery, rc, what, error);
  return TRUE;
}

sqlite3_stmt *
ov_gallery_prepare (OvGallery *gallery, const char *sql, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_prepare_v2 (gallery->db, sql, -1, &stmt, NULL);
  if (rc != SQLITE_OK) {
    ov_gallery_sqlite_error (gallery, rc, "preparing a statement", error);
    sqlite3_finalize (stmt);
    return NULL;
  }
  return stmt;
}

gboolean
ov_gallery_begin_write (OvGallery *gallery, GError **error)
{
  return ov_gallery_exec (gallery, "BEGIN IMMEDIATE",
      "starting a write transaction", error);
}

gboolean
ov_gallery_begin_read (OvGallery *gallery, GError **error)
{
  return ov_gallery_exec (gallery, "BEGIN", "starting a read transaction",
      error);
}

gboolean
ov_gallery_commit (OvGallery *gallery, GError **error)
{
  if (!ov_gallery_exec (gallery, "COMMIT", "committing", error)) {
    ov_gallery_rollback (gallery);
    return FALSE;
  }
  gallery->own_changes++;
  return TRUE;
}

void
ov_gallery_rollback (OvGallery *gallery)
{
  /* A failed statement may already have ended the transaction. */
  if (!sqlite3_get_autocommit (gallery->db))
    sqlite3_exec (gallery->db, "ROLLBACK", NULL, NULL, NULL);
}

void
ov_gallery_descriptor_encode (const float *values, guint dim, guint8 *bytes)
{
  for (guint i = 0; i < dim; i++) {
    guint32 bits;
    memcpy (&bits, &values[i], 4);
    bits = GUINT32_TO_LE (bits);
    memcpy (bytes + 4 * (gsize) i, &bits, 4);
  }
}

void
ov_gallery_descriptor_decode (const guint8 *bytes, guint dim, float *values)
{
  for (guint i = 0; i < dim; i++) {
    guint32 bits;
    memcpy (&bits, bytes + 4 * (gsize) i, 4);
    bits = GUINT32_FROM_LE (bits);
    memcpy (&values[i], &bits, 4);
  }
}
