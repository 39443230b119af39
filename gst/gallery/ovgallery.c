/* Opening a gallery, and its persons and faces. */
#include "ovgallery-private.h"

#include <math.h>
#include <string.h>

static OvGallery *
open_connection (const char *path, const char *display, int sqlite_flags,
    GError **error)
{
  OvGallery *gallery = g_new0 (OvGallery, 1);
  int rc;

  gallery->path = g_strdup (display);
  rc = sqlite3_open_v2 (path, &gallery->db, sqlite_flags, NULL);
  if (rc != SQLITE_OK) {
    ov_gallery_sqlite_error (gallery, rc, "opening", error);
    ov_gallery_close (gallery);
    return NULL;
  }
  sqlite3_extended_result_codes (gallery->db, 1);
  sqlite3_busy_timeout (gallery->db, OV_GALLERY_DEFAULT_BUSY_TIMEOUT_MS);
  /* The first statements read the header: a file that is not a database
   * fails here with SQLITE_NOTADB, reported as corrupt. WAL lets readers
   * go on while one writer enrols; the mode is stored in the file. */
  if (!ov_gallery_exec (gallery, "PRAGMA foreign_keys = ON",
          "enabling foreign keys", error)
      || !ov_gallery_exec (gallery, "PRAGMA journal_mode = WAL",
          "switching to WAL journaling", error)
      || !ov_gallery_migrate (gallery, error)) {
    ov_gallery_close (gallery);
    return NULL;
  }
  return gallery;
}

OvGallery *
ov_gallery_open (const char *path, OvGalleryOpenFlags flags, GError **error)
{
  int sqlite_flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;

  g_return_val_if_fail (path != NULL, NULL);
  if (flags & OV_GALLERY_OPEN_CREATE) {
    sqlite_flags |= SQLITE_OPEN_CREATE;
  } else if (!g_file_test (path, G_FILE_TEST_EXISTS)) {
    g_set_error (error, OV_GALLERY_ERROR, OV_GALLERY_ERROR_NOT_FOUND,
        "gallery %s: no such file", path);
    return NULL;
  }
  return open_connection (path, path, sqlite_flags, error);
}

OvGallery *
ov_gallery_open_memory (GError **error)
{
  return open_connection (":memory:", ":memory:",
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_MEMORY
      | SQLITE_OPEN_NOMUTEX, error);
}

void
ov_gallery_close (OvGallery *gallery)
{
  if (gallery == NULL)
    return;
  /* close_v2: statements still open (none should be) are finalized
   * with the connection instead of leaking it. */
  sqlite3_close_v2 (gallery->db);
  g_free (gallery->path);
  g_free (gallery);
}

const char *
ov_gallery_get_path (OvGallery *gallery)
{
  return gallery->path;
}

void
ov_gallery_set_busy_timeout (OvGallery *gallery, int milliseconds)
{
  sqlite3_busy_timeout (gallery->db, milliseconds);
}

gint64
ov_gallery_get_change_stamp (OvGallery *gallery, GError **error)
{
  sqlite3_stmt *stmt = ov_gallery_prepare (gallery, "PRAGMA data_version",
      error);
  gint64 version;
  int rc;

  if (stmt == NULL)
    return -1;
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW) {
    sqlite3_finalize (stmt);
    ov_gallery_sqlite_error (gallery, rc, "reading the data version", error);
    return -1;
  }
  version = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  /* data_version moves with other connections' commits, own_changes with
   * ours; both only grow, so their sum changes when either does. */
  return version + gallery->own_changes;
}

/* Steps a statement that returns no rows and finalizes it. */
static gboolean
step_done (OvGallery *gallery, sqlite3_stmt *stmt, const char *what,
    GError **error)
{
  int rc = sqlite3_step (stmt);
  gboolean ok = rc == SQLITE_DONE;
  if (!ok)
    ov_gallery_sqlite_error (gallery, rc, what, error);
  sqlite3_finalize (stmt);
  return ok;
}

static gboolean
check_name (const char *name, GError **error)
{
  if (name == NULL || *name == '\0' || !g_utf8_validate (name, -1, NULL)) {
    g_set_error (error, OV_GALLERY_ERROR, OV_GALLERY_ERROR_INVALID,
        "a person's name must be non-empty UTF-8");
    return FALSE;
  }
  return TRUE;
}

/* Looks the name up; 0 if absent (no error), -1 on error. */
static gint64
lookup_person (OvGallery *gallery, const char *name, GError **error)
{
  sqlite3_stmt *stmt = ov_gallery_prepare (gallery,
      "SELECT id FROM persons WHERE name = ?1", error);
  gint64 id = 0;
  int rc;

  if (stmt == NULL)
    return -1;
  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW) {
    id = sqlite3_column_int64 (stmt, 0);
  } else if (rc != SQLITE_DONE) {
    ov_gallery_sqlite_error (gallery, rc, "looking a person up", error);
    id = -1;
  }
  sqlite3_finalize (stmt);
  return id;
}

gint64
ov_gallery_find_person (OvGallery *gallery, const char *name, GError **error)
{
  gint64 id;
  if (!check_name (name, error))
    return 0;
  id = lookup_person (gallery, name, error);
  if (id == 0)
    g_set_error (error, OV_GALLERY_ERROR, OV_GALLERY_ERROR_NOT_FOUND,
        "gallery %s: no person named \"%s\"", gallery->path, name);
  return id > 0 ? id : 0;
}

gint64
ov_gallery_ensure_person (OvGallery *gallery, const char *name,
    gint64 created, GError **error)
{
  sqlite3_stmt *stmt;
  gint64 id;

  if (!check_name (name, error))
    return 0;
  id = lookup_person (gallery, name, error);
  if (id != 0)
    return id > 0 ? id : 0;
  stmt = ov_gallery_prepare (gallery,
      "INSERT INTO persons (name, created) VALUES (?1, ?2)", error);
  if (stmt == NULL)
    return 0;
  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, created);
  if (!step_done (gallery, stmt, "adding a person", error))
    return 0;
  return sqlite3_last_insert_rowid (gallery->db);
}

gboolean
ov_gallery_insert_face (OvGallery *gallery, gint64 person_id,
    const OvGalleryNewFace *face, gint64 created, GError **error)
{
  sqlite3_stmt *stmt;
  guint8 *blob;

  if (face->descriptor == NULL || face->dim == 0) {
    g_set_error (error, OV_GALLERY_ERROR, OV_GALLERY_ERROR_INVALID,
        "a face needs a descriptor of at least one value");
    return FALSE;
  }
  for (guint i = 0; i < face->dim; i++) {
    if (!isfinite (face->descriptor[i])) {
      g_set_error (error, OV_GALLERY_ERROR, OV_GALLERY_ERROR_INVALID,
          "descriptor value %u is not a finite number", i);
      return FALSE;
    }
  }
  stmt = ov_gallery_prepare (gallery,
      "INSERT INTO faces (person_id, dim, descriptor, source, box_x, box_y, "
      "box_w, box_h, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
      error);
  if (stmt == NULL)
    return FALSE;
  blob = g_malloc (4 * (gsize) face->dim);
  ov_gallery_descriptor_encode (face->descriptor, face->dim, blob);
  sqlite3_bind_int64 (stmt, 1, person_id);
  sqlite3_bind_int (stmt, 2, (int) face->dim);
  sqlite3_bind_blob (stmt, 3, blob, 4 * (int) face->dim, g_free);
  if (face->source)
    sqlite3_bind_text (stmt, 4, face->source, -1, SQLITE_TRANSIENT);
  if (face->box) {
    sqlite3_bind_double (stmt, 5, face->box->x);
    sqlite3_bind_double (stmt, 6, face->box->y);
    sqlite3_bind_double (stmt, 7, face->box->w);
    sqlite3_bind_double (stmt, 8, face->box->h);
  }
  sqlite3_bind_int64 (stmt, 9, created);
  return step_done (gallery, stmt, "adding a face", error);
}

gboolean
ov_gallery_has_descriptor (OvGallery *gallery, gint64 person_id,
    const float *descriptor, guint dim, gboolean *found, GError **error)
{
  sqlite3_stmt *stmt = ov_gallery_prepare (gallery,
      "SELECT 1 FROM faces WHERE person_id = ?1 AND dim = ?2 "
      "AND descriptor = ?3 LIMIT 1", error);
  guint8 *blob;
  int rc;

  if (stmt == NULL)
    return FALSE;
  blob = g_malloc (4 * (gsize) dim);
  ov_gallery_descriptor_encode (descriptor, dim, blob);
  sqlite3_bind_int64 (stmt, 1, person_id);
  sqlite3_bind_int (stmt, 2, (int) dim);
  sqlite3_bind_blob (stmt, 3, blob, 4 * (int) dim, g_free);
  rc = sqlite3_step (stmt);
  sqlite3_finalize (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return ov_gallery_sqlite_error (gallery, rc, "comparing descriptors",
        error);
  *found = rc == SQLITE_ROW;
  return TRUE;
}

gint64
ov_gallery_enrol (OvGallery *gallery, const char *name,
    const OvGalleryNewFace *faces, guint n, GError **error)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gint64 id;

  if (!check_name (name, error))
    return 0;
  if (!ov_gallery_begin_write (gallery, error))
    return 0;
  id = ov_gallery_ensure_person (gallery, name, now, error);
  for (guint i = 0; id > 0 && i < n; i++)
    if (!ov_gallery_insert_face (gallery, id, &faces[i], now, error))
      id = 0;
  if (id <= 0) {
    ov_gallery_rollback (gallery);
    return 0;
  }
  return ov_gallery_commit (gallery, error) ? id : 0;
}

void
ov_gallery_person_free (OvGalleryPerson *person)
{
  if (person == NULL)
    return;
  g_free (person->name);
  g_free (person);
}

void
ov_gallery_face_free (OvGalleryFace *face)
{
  if (face == NULL)
    return;
  g_free (face->descriptor);
  g_free (face->source);
  g_free (face);
}

GPtrArray *
ov_gallery_list_persons (OvGallery *gallery, GError **error)
{
  sqlite3_stmt *stmt = ov_gallery_prepare (gallery,
      "SELECT p.id, p.name, p.created, count(f.id) FROM persons p "
      "LEFT JOIN faces f ON f.person_id = p.id "
      "GROUP BY p.id ORDER BY p.name", error);
  GPtrArray *persons;
  int rc;

  if (stmt == NULL)
    return NULL;
  persons = g_ptr_array_new_with_free_func (
      (GDestroyNotify) ov_gallery_person_free);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
    OvGalleryPerson *p = g_new0 (OvGalleryPerson, 1);
    p->id = sqlite3_column_int64 (stmt, 0);
    p->name = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
    p->created = sqlite3_column_int64 (stmt, 2);
    p->n_faces = (guint) sqlite3_column_int64 (stmt, 3);
    g_ptr_array_add (persons, p);
  }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE) {
    ov_gallery_sqlite_error (gallery, rc, "listing persons", error);
    g_ptr_array_unref (persons);
    return NULL;
  }
  return persons;
}

GPtrArray *
ov_gallery_list_faces (OvGallery *gallery, gint64 person_id, GError **error)
{
  sqlite3_stmt *stmt = ov_gallery_prepare (gallery,
      "SELECT id, person_id, dim, descriptor, source, box_x, box_y, box_w, "
      "box_h, created FROM faces WHERE ?1 = 0 OR person_id = ?1 ORDER BY id",
      error);
  GPtrArray *faces;
  int rc;

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, person_id);
  faces = g_ptr_array_new_with_free_func (
      (GDestroyNotify) ov_gallery_face_free);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
    OvGalleryFace *f = g_new0 (OvGalleryFace, 1);
    int dim = sqlite3_column_int (stmt, 2);
    const void *blob = sqlite3_column_blob (stmt, 3);
    /* The CHECK constraint keeps the two consistent; a file written by
     * something else may not have it. */
    if (dim <= 0 || blob == NULL || sqlite3_column_bytes (stmt, 3) != 4 * dim) {
      g_set_error (error, OV_GALLERY_ERROR, OV_GALLERY_ERROR_CORRUPT,
          "gallery %s: database is corrupt (face %" G_GINT64_FORMAT
          " has a descriptor that does not match its dimension)",
          gallery->path, (gint64) sqlite3_column_int64 (stmt, 0));
      g_free (f);
      sqlite3_finalize (stmt);
      g_ptr_array_unref (faces);
      return NULL;
    }
    f->id = sqlite3_column_int64 (stmt, 0);
    f->person_id = sqlite3_column_int64 (stmt, 1);
    f->dim = (guint) dim;
    f->descriptor = g_new (float, dim);
    ov_gallery_descriptor_decode (blob, f->dim, f->descriptor);
    if (sqlite3_column_type (stmt, 4) != SQLITE_NULL)
      f->source = g_strdup ((const char *) sqlite3_column_text (stmt, 4));
    f->has_box = sqlite3_column_type (stmt, 5) != SQLITE_NULL;
    if (f->has_box) {
      f->box.x = sqlite3_column_double (stmt, 5);
      f->box.y = sqlite3_column_double (stmt, 6);
      f->box.w = sqlite3_column_double (stmt, 7);
      f->box.h = sqlite3_column_double (stmt, 8);
    }
    f->created = sqlite3_column_int64 (stmt, 9);
    g_ptr_array_add (faces, f);
  }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE) {
    ov_gallery_sqlite_error (gallery, rc, "listing faces", error);
    g_ptr_array_unref (faces);
    return NULL;
  }
  return faces;
}

gboolean
ov_gallery_rename_person (OvGallery *gallery, const char *old_name,
    const char *new_name, GError **error)
{
  sqlite3_stmt *stmt;
  gint64 id, taken;

  if (!check_name (old_name, error) || !check_name (new_name, error))
    return FALSE;
  if (!ov_gallery_begin_write (gallery, error))
    return FALSE;
  id = ov_gallery_find_person (gallery, old_name, error);
  if (id == 0)
    goto fail;
  taken = lookup_person (gallery, new_name, error);
  if (taken < 0)
    goto fail;
  if (taken > 0 && taken != id) {
    g_set_error (error, OV_GALLERY_ERROR, OV_GALLERY_ERROR_EXISTS,
        "gallery %s: a person named \"%s\" already exists", gallery->path,
        new_name);
    goto fail;
  }
  stmt = ov_gallery_prepare (gallery,
      "UPDATE persons SET name = ?1 WHERE id = ?2", error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_text (stmt, 1, new_name, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, id);
  if (!step_done (gallery, stmt, "renaming a person", error))
    goto fail;
  return ov_gallery_commit (gallery, error);

fail:
  ov_gallery_rollback (gallery);
  return FALSE;
}

gboolean
ov_gallery_remove_person (OvGallery *gallery, const char *name,
    GError **error)
{
  sqlite3_stmt *stmt;
  gint64 id;

  if (!check_name (name, error))
    return FALSE;
  if (!ov_gallery_begin_write (gallery, error))
    return FALSE;
  id = ov_gallery_find_person (gallery, name, error);
  if (id == 0)
    goto fail;
  /* The faces go with the person (ON DELETE CASCADE). */
  stmt = ov_gallery_prepare (gallery, "DELETE FROM persons WHERE id = ?1",
      error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_int64 (stmt, 1, id);
  if (!step_done (gallery, stmt, "removing a person", error))
    goto fail;
  return ov_gallery_commit (gallery, error);

fail:
  ov_gallery_rollback (gallery);
  return FALSE;
}
