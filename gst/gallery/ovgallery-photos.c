/* The photo library's index (see ovgallery-photos.h); its tables come
 * with schema migration 2. */
#include "ovgallery-photos.h"

#include "ovgallery-private.h"

gboolean
ov_gallery_photo_is_current (OvGallery *gallery, const char *path,
    gint64 size, gint64 mtime, gboolean *current, GError **error)
{
  sqlite3_stmt *st = ov_gallery_prepare (gallery,
      "SELECT size, mtime FROM photos WHERE path = ?", error);
  int rc;

  if (st == NULL)
    return FALSE;
  sqlite3_bind_text (st, 1, path, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (st);
  *current = rc == SQLITE_ROW && sqlite3_column_int64 (st, 0) == size
      && sqlite3_column_int64 (st, 1) == mtime;
  sqlite3_finalize (st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return ov_gallery_sqlite_error (gallery, rc, "reading photos", error);
  return TRUE;
}

/* Runs a statement binding `path` alone as its parameter 1. */
static gboolean
exec_with_path (OvGallery *gallery, const char *sql, const char *path,
    const char *what, GError **error)
{
  sqlite3_stmt *st = ov_gallery_prepare (gallery, sql, error);
  int rc;

  if (st == NULL)
    return FALSE;
  sqlite3_bind_text (st, 1, path, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (st);
  sqlite3_finalize (st);
  if (rc != SQLITE_DONE)
    return ov_gallery_sqlite_error (gallery, rc, what, error);
  return TRUE;
}

static gboolean
store_faces (OvGallery *gallery, gint64 photo_id,
    const OvGalleryPhotoResult *r, GError **error)
{
  sqlite3_stmt *st = ov_gallery_prepare (gallery, "INSERT INTO photo_faces"
      " (photo_id, x, y, w, h, score, descriptor, person_id, distance, age,"
      " gender, gender_confidence, expression)"
      " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", error);
  int rc = SQLITE_DONE;

  if (st == NULL)
    return FALSE;
  for (guint i = 0; rc == SQLITE_DONE && i < r->n_faces; i++) {
    const OvGalleryPhotoFace *f = &r->faces[i];
    sqlite3_reset (st);
    sqlite3_clear_bindings (st);
    sqlite3_bind_int64 (st, 1, photo_id);
    sqlite3_bind_double (st, 2, f->x);
    sqlite3_bind_double (st, 3, f->y);
    sqlite3_bind_double (st, 4, f->w);
    sqlite3_bind_double (st, 5, f->h);
    sqlite3_bind_double (st, 6, f->score);
    if (f->descriptor && f->dim > 0) {
      guint8 *blob = g_malloc (4 * (gsize) f->dim);
      ov_gallery_descriptor_encode (f->descriptor, f->dim, blob);
      sqlite3_bind_blob (st, 7, blob, 4 * (int) f->dim, g_free);
    }
    if (f->person_id > 0) {
      sqlite3_bind_int64 (st, 8, f->person_id);
      sqlite3_bind_double (st, 9, f->distance);
    }
    if (f->age >= 0)
      sqlite3_bind_double (st, 10, f->age);
    if (f->gender) {
      sqlite3_bind_text (st, 11, f->gender, -1, SQLITE_TRANSIENT);
      sqlite3_bind_double (st, 12, f->gender_confidence);
    }
    if (f->expression)
      sqlite3_bind_text (st, 13, f->expression, -1, SQLITE_TRANSIENT);
    rc = sqlite3_step (st);
  }
  sqlite3_finalize (st);
  if (rc != SQLITE_DONE)
    return ov_gallery_sqlite_error (gallery, rc, "storing a face", error);
  return TRUE;
}

gboolean
ov_gallery_photo_store (OvGallery *gallery, const char *path, gint64 size,
    gint64 mtime, const OvGalleryPhotoResult *r, GError **error)
{
  sqlite3_stmt *st;
  int rc;

  if (!ov_gallery_begin_write (gallery, error))
    return FALSE;
  /* Replacing the row drops the photo's old faces (ON DELETE CASCADE). */
  if (!exec_with_path (gallery, "DELETE FROM photos WHERE path = ?", path,
          "storing a photo", error))
    goto fail;
  st = ov_gallery_prepare (gallery, "INSERT INTO photos (path, size, mtime,"
      " width, height, error, indexed) VALUES (?,?,?,?,?,?,?)", error);
  if (st == NULL)
    goto fail;
  sqlite3_bind_text (st, 1, path, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (st, 2, size);
  sqlite3_bind_int64 (st, 3, mtime);
  if (r->error == NULL) {
    sqlite3_bind_int (st, 4, r->width);
    sqlite3_bind_int (st, 5, r->height);
  } else {
    sqlite3_bind_text (st, 6, r->error, -1, SQLITE_TRANSIENT);
  }
  sqlite3_bind_int64 (st, 7, g_get_real_time () / G_USEC_PER_SEC);
  rc = sqlite3_step (st);
  sqlite3_finalize (st);
  if (rc != SQLITE_DONE) {
    ov_gallery_sqlite_error (gallery, rc, "storing a photo", error);
    goto fail;
  }
  if (!store_faces (gallery, sqlite3_last_insert_rowid (gallery->db), r,
          error))
    goto fail;
  return ov_gallery_commit (gallery, error);

fail:
  ov_gallery_rollback (gallery);
  return FALSE;
}

int
ov_gallery_photo_prune (OvGallery *gallery, const char *root,
    GHashTable *present, GError **error)
{
  sqlite3_stmt *sel;
  GPtrArray *gone = g_ptr_array_new_with_free_func (g_free);
  char *prefix = g_str_has_suffix (root, "/") ? g_strdup (root)
      : g_strconcat (root, "/", NULL);
  int rc, n = -1;

  sel = ov_gallery_prepare (gallery, "SELECT path FROM photos", error);
  if (sel == NULL)
    goto out;
  while ((rc = sqlite3_step (sel)) == SQLITE_ROW) {
    const char *p = (const char *) sqlite3_column_text (sel, 0);
    if (g_str_has_prefix (p, prefix) && !g_hash_table_contains (present, p))
      g_ptr_array_add (gone, g_strdup (p));
  }
  sqlite3_finalize (sel);
  if (rc != SQLITE_DONE) {
    ov_gallery_sqlite_error (gallery, rc, "reading photos", error);
    goto out;
  }
  if (gone->len == 0) {
    n = 0;
    goto out;
  }
  if (!ov_gallery_begin_write (gallery, error))
    goto out;
  for (guint i = 0; i < gone->len; i++) {
    if (!exec_with_path (gallery, "DELETE FROM photos WHERE path = ?",
            g_ptr_array_index (gone, i), "forgetting photos", error)) {
      ov_gallery_rollback (gallery);
      goto out;
    }
  }
  if (ov_gallery_commit (gallery, error))
    n = (int) gone->len;
out:
  g_ptr_array_unref (gone);
  g_free (prefix);
  return n;
}

void
ov_gallery_indexed_face_free (OvGalleryIndexedFace *f)
{
  if (f == NULL)
    return;
  g_free (f->path);
  g_free (f->descriptor);
  g_free (f->person);
  g_free (f->gender);
  g_free (f->expression);
  g_free (f);
}

static char *
column_text (sqlite3_stmt *st, int col)
{
  const unsigned char *t = sqlite3_column_text (st, col);
  return t ? g_strdup ((const char *) t) : NULL;
}

GPtrArray *
ov_gallery_photo_list_faces (OvGallery *gallery, GError **error)
{
  sqlite3_stmt *st = ov_gallery_prepare (gallery, "SELECT f.id, p.path, f.x,"
      " f.y, f.w, f.h, f.descriptor, f.person_id, s.name, f.distance, f.age,"
      " f.gender, f.expression, f.cluster FROM photo_faces f JOIN photos p"
      " ON p.id = f.photo_id LEFT JOIN persons s ON s.id = f.person_id"
      " ORDER BY p.path, f.x, f.id", error);
  GPtrArray *faces;
  int rc;

  if (st == NULL)
    return NULL;
  faces = g_ptr_array_new_with_free_func (
      (GDestroyNotify) ov_gallery_indexed_face_free);
  while ((rc = sqlite3_step (st)) == SQLITE_ROW) {
    OvGalleryIndexedFace *f = g_new0 (OvGalleryIndexedFace, 1);
    int bytes = sqlite3_column_bytes (st, 6);
    f->id = sqlite3_column_int64 (st, 0);
    f->path = column_text (st, 1);
    f->x = sqlite3_column_double (st, 2);
    f->y = sqlite3_column_double (st, 3);
    f->w = sqlite3_column_double (st, 4);
    f->h = sqlite3_column_double (st, 5);
    if (bytes >= 4 && bytes % 4 == 0) {
      f->dim = (guint) bytes / 4;
      f->descriptor = g_new (float, f->dim);
      ov_gallery_descriptor_decode (sqlite3_column_blob (st, 6), f->dim,
          f->descriptor);
    }
    f->person = column_text (st, 8);
    f->person_id = f->person ? sqlite3_column_int64 (st, 7) : 0;
    f->distance = sqlite3_column_double (st, 9);
    f->age = sqlite3_column_type (st, 10) == SQLITE_NULL ? -1.0
        : sqlite3_column_double (st, 10);
    f->gender = column_text (st, 11);
    f->expression = column_text (st, 12);
    f->cluster = sqlite3_column_int64 (st, 13);
    g_ptr_array_add (faces, f);
  }
  sqlite3_finalize (st);
  if (rc != SQLITE_DONE) {
    g_ptr_array_unref (faces);
    ov_gallery_sqlite_error (gallery, rc, "reading faces", error);
    return NULL;
  }
  return faces;
}

GPtrArray *
ov_gallery_photo_list_errors (OvGallery *gallery, GError **error)
{
  sqlite3_stmt *st = ov_gallery_prepare (gallery, "SELECT path, error FROM"
      " photos WHERE error IS NOT NULL ORDER BY path", error);
  GPtrArray *out;
  int rc;

  if (st == NULL)
    return NULL;
  out = g_ptr_array_new_with_free_func (g_free);
  while ((rc = sqlite3_step (st)) == SQLITE_ROW)
    g_ptr_array_add (out, g_strdup_printf ("%s: %s",
            sqlite3_column_text (st, 0), sqlite3_column_text (st, 1)));
  sqlite3_finalize (st);
  if (rc != SQLITE_DONE) {
    g_ptr_array_unref (out);
    ov_gallery_sqlite_error (gallery, rc, "reading photos", error);
    return NULL;
  }
  return out;
}

gboolean
ov_gallery_photo_counts (OvGallery *gallery, gint64 *photos, gint64 *faces,
    gint64 *identified, gint64 *errors, GError **error)
{
  sqlite3_stmt *st = ov_gallery_prepare (gallery, "SELECT"
      " (SELECT count(*) FROM photos WHERE error IS NULL),"
      " (SELECT count(*) FROM photo_faces),"
      " (SELECT count(*) FROM photo_faces WHERE person_id IS NOT NULL),"
      " (SELECT count(*) FROM photos WHERE error IS NOT NULL)", error);
  int rc;

  if (st == NULL)
    return FALSE;
  rc = sqlite3_step (st);
  if (rc == SQLITE_ROW) {
    *photos = sqlite3_column_int64 (st, 0);
    *faces = sqlite3_column_int64 (st, 1);
    *identified = sqlite3_column_int64 (st, 2);
    *errors = sqlite3_column_int64 (st, 3);
  }
  sqlite3_finalize (st);
  if (rc != SQLITE_ROW)
    return ov_gallery_sqlite_error (gallery, rc, "counting photos", error);
  return TRUE;
}

gboolean
ov_gallery_photo_update_faces (OvGallery *gallery, const gint64 *ids,
    const gint64 *person_ids, const double *distances, const gint64 *clusters,
    guint n, GError **error)
{
  sqlite3_stmt *st;
  int rc = SQLITE_DONE;

  if (!ov_gallery_begin_write (gallery, error))
    return FALSE;
  st = ov_gallery_prepare (gallery, "UPDATE photo_faces SET person_id = ?,"
      " distance = ?, cluster = ? WHERE id = ?", error);
  if (st == NULL) {
    ov_gallery_rollback (gallery);
    return FALSE;
  }
  for (guint i = 0; rc == SQLITE_DONE && i < n; i++) {
    sqlite3_reset (st);
    sqlite3_clear_bindings (st);
    if (person_ids[i] > 0) {
      sqlite3_bind_int64 (st, 1, person_ids[i]);
      sqlite3_bind_double (st, 2, distances[i]);
    }
    if (clusters && clusters[i] > 0)
      sqlite3_bind_int64 (st, 3, clusters[i]);
    sqlite3_bind_int64 (st, 4, ids[i]);
    rc = sqlite3_step (st);
  }
  sqlite3_finalize (st);
  if (rc != SQLITE_DONE) {
    ov_gallery_sqlite_error (gallery, rc, "updating faces", error);
    ov_gallery_rollback (gallery);
    return FALSE;
  }
  return ov_gallery_commit (gallery, error);
}
