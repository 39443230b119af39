#include "ovphotoindex.h"

#include <sqlite3.h>
#include <string.h>

#define BUSY_TIMEOUT_MS 5000

struct _OvPhotoIndex {
  sqlite3 *db;
  char *path;
};

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS photos ("
    "  id INTEGER PRIMARY KEY,"
    "  path TEXT NOT NULL UNIQUE,"
    "  size INTEGER NOT NULL,"
    "  mtime INTEGER NOT NULL,"
    "  width INTEGER, height INTEGER,"
    "  error TEXT,"                     /* NULL: indexed */
    "  indexed INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS photo_faces ("
    "  id INTEGER PRIMARY KEY,"
    "  photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,"
    "  x REAL NOT NULL, y REAL NOT NULL, w REAL NOT NULL, h REAL NOT NULL,"
    "  score REAL NOT NULL,"
    "  descriptor BLOB,"                /* float32 little-endian */
    "  person_id INTEGER,"              /* gallery person, NULL: unknown */
    "  distance REAL,"
    "  age REAL, gender TEXT, gender_confidence REAL, expression TEXT,"
    "  cluster INTEGER);"
    "CREATE INDEX IF NOT EXISTS photo_faces_photo ON photo_faces(photo_id);";

static gboolean
fail (OvPhotoIndex *idx, const char *what, GError **error)
{
  int rc = sqlite3_extended_errcode (idx->db);
  int code = G_FILE_ERROR_FAILED;
  const char *hint = "";
  if ((rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB)
    hint = " (the database is corrupt)";
  else if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
    hint = " (the database is locked by another process)";
  g_set_error (error, G_FILE_ERROR, code, "photo index %s: %s: %s%s",
      idx->path, what, sqlite3_errmsg (idx->db), hint);
  return FALSE;
}

static gboolean
exec (OvPhotoIndex *idx, const char *sql, const char *what, GError **error)
{
  if (sqlite3_exec (idx->db, sql, NULL, NULL, NULL) != SQLITE_OK)
    return fail (idx, what, error);
  return TRUE;
}

static sqlite3_stmt *
prepare (OvPhotoIndex *idx, const char *sql, GError **error)
{
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2 (idx->db, sql, -1, &st, NULL) != SQLITE_OK) {
    fail (idx, "preparing a statement", error);
    return NULL;
  }
  return st;
}

OvPhotoIndex *
ov_photo_index_open (const char *path, GError **error)
{
  OvPhotoIndex *idx = g_new0 (OvPhotoIndex, 1);
  idx->path = g_strdup (path);
  if (sqlite3_open_v2 (path, &idx->db, SQLITE_OPEN_READWRITE, NULL)
      != SQLITE_OK) {
    fail (idx, "opening", error);
    ov_photo_index_close (idx);
    return NULL;
  }
  sqlite3_busy_timeout (idx->db, BUSY_TIMEOUT_MS);
  if (!exec (idx, "PRAGMA foreign_keys = ON; PRAGMA journal_mode = WAL;",
          "setting up", error)
      || !exec (idx, "BEGIN IMMEDIATE", "creating tables", error)
      || !exec (idx, schema, "creating tables", error)
      || !exec (idx, "COMMIT", "creating tables", error)) {
    ov_photo_index_close (idx);
    return NULL;
  }
  return idx;
}

void
ov_photo_index_close (OvPhotoIndex *idx)
{
  if (idx == NULL)
    return;
  sqlite3_close (idx->db);
  g_free (idx->path);
  g_free (idx);
}

gboolean
ov_photo_index_is_current (OvPhotoIndex *idx, const char *path, gint64 size,
    gint64 mtime, gboolean *current, GError **error)
{
  sqlite3_stmt *st = prepare (idx,
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
    return fail (idx, "reading photos", error);
  return TRUE;
}

static void
encode (const float *v, guint8 *bytes)
{
  for (int i = 0; i < OV_FACE_DESCRIPTOR_DIM; i++) {
    guint32 u;
    memcpy (&u, &v[i], 4);
    u = GUINT32_TO_LE (u);
    memcpy (bytes + 4 * i, &u, 4);
  }
}

static void
decode (const guint8 *bytes, float *v)
{
  for (int i = 0; i < OV_FACE_DESCRIPTOR_DIM; i++) {
    guint32 u;
    memcpy (&u, bytes + 4 * i, 4);
    u = GUINT32_FROM_LE (u);
    memcpy (&v[i], &u, 4);
  }
}

static gboolean
store_faces (OvPhotoIndex *idx, gint64 photo_id, const OvFaceResult *r,
    const OvPhotoIdentity *ids, GError **error)
{
  sqlite3_stmt *st = prepare (idx, "INSERT INTO photo_faces (photo_id, x, y,"
      " w, h, score, descriptor, person_id, distance, age, gender,"
      " gender_confidence, expression) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
      error);
  guint8 blob[4 * OV_FACE_DESCRIPTOR_DIM];
  gboolean ok = TRUE;

  if (st == NULL)
    return FALSE;
  for (guint i = 0; ok && i < r->faces->len; i++) {
    const OvFace *f = &g_array_index (r->faces, OvFace, i);
    sqlite3_reset (st);
    sqlite3_clear_bindings (st);
    sqlite3_bind_int64 (st, 1, photo_id);
    sqlite3_bind_double (st, 2, f->x);
    sqlite3_bind_double (st, 3, f->y);
    sqlite3_bind_double (st, 4, f->w);
    sqlite3_bind_double (st, 5, f->h);
    sqlite3_bind_double (st, 6, f->score);
    if (f->has_descriptor) {
      encode (f->descriptor, blob);
      sqlite3_bind_blob (st, 7, blob, sizeof blob, SQLITE_TRANSIENT);
    }
    if (ids && ids[i].person_id > 0) {
      sqlite3_bind_int64 (st, 8, ids[i].person_id);
      sqlite3_bind_double (st, 9, ids[i].distance);
    }
    if (f->age >= 0)
      sqlite3_bind_double (st, 10, f->age);
    if (f->gender) {
      sqlite3_bind_text (st, 11, f->gender, -1, SQLITE_TRANSIENT);
      sqlite3_bind_double (st, 12, f->gender_confidence);
    }
    if (f->expression)
      sqlite3_bind_text (st, 13, f->expression, -1, SQLITE_TRANSIENT);
    if (sqlite3_step (st) != SQLITE_DONE)
      ok = fail (idx, "storing a face", error);
  }
  sqlite3_finalize (st);
  return ok;
}

gboolean
ov_photo_index_store (OvPhotoIndex *idx, const char *path, gint64 size,
    gint64 mtime, const OvFaceResult *r, const OvPhotoIdentity *ids,
    GError **error)
{
  sqlite3_stmt *st;
  gboolean ok;
  gint64 photo_id;

  if (!exec (idx, "BEGIN IMMEDIATE", "storing a photo", error))
    return FALSE;
  /* Replacing the row drops the photo's old faces (ON DELETE CASCADE). */
  st = prepare (idx, "DELETE FROM photos WHERE path = ?", error);
  ok = st != NULL;
  if (ok) {
    sqlite3_bind_text (st, 1, path, -1, SQLITE_TRANSIENT);
    ok = sqlite3_step (st) == SQLITE_DONE || fail (idx, "storing a photo",
        error);
    sqlite3_finalize (st);
  }
  st = ok ? prepare (idx, "INSERT INTO photos (path, size, mtime, width,"
      " height, error, indexed) VALUES (?,?,?,?,?,?,?)", error) : NULL;
  ok = st != NULL;
  if (ok) {
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
    ok = sqlite3_step (st) == SQLITE_DONE || fail (idx, "storing a photo",
        error);
    sqlite3_finalize (st);
  }
  photo_id = sqlite3_last_insert_rowid (idx->db);
  if (ok && r->faces)
    ok = store_faces (idx, photo_id, r, ids, error);
  if (ok)
    ok = exec (idx, "COMMIT", "storing a photo", error);
  if (!ok)
    sqlite3_exec (idx->db, "ROLLBACK", NULL, NULL, NULL);
  return ok;
}

int
ov_photo_index_prune (OvPhotoIndex *idx, const char *root, GHashTable *present,
    GError **error)
{
  sqlite3_stmt *sel, *del;
  GPtrArray *gone = g_ptr_array_new_with_free_func (g_free);
  char *prefix = g_str_has_suffix (root, "/") ? g_strdup (root)
      : g_strconcat (root, "/", NULL);
  int rc, n = -1;

  sel = prepare (idx, "SELECT path FROM photos", error);
  if (sel == NULL)
    goto out;
  while ((rc = sqlite3_step (sel)) == SQLITE_ROW) {
    const char *p = (const char *) sqlite3_column_text (sel, 0);
    if (g_str_has_prefix (p, prefix) && !g_hash_table_contains (present, p))
      g_ptr_array_add (gone, g_strdup (p));
  }
  sqlite3_finalize (sel);
  if (rc != SQLITE_DONE) {
    fail (idx, "reading photos", error);
    goto out;
  }
  if (gone->len == 0) {
    n = 0;
    goto out;
  }
  if (!exec (idx, "BEGIN IMMEDIATE", "forgetting photos", error))
    goto out;
  del = prepare (idx, "DELETE FROM photos WHERE path = ?", error);
  if (del == NULL) {
    sqlite3_exec (idx->db, "ROLLBACK", NULL, NULL, NULL);
    goto out;
  }
  for (guint i = 0; i < gone->len; i++) {
    sqlite3_reset (del);
    sqlite3_bind_text (del, 1, g_ptr_array_index (gone, i), -1,
        SQLITE_TRANSIENT);
    if (sqlite3_step (del) != SQLITE_DONE) {
      fail (idx, "forgetting photos", error);
      sqlite3_finalize (del);
      sqlite3_exec (idx->db, "ROLLBACK", NULL, NULL, NULL);
      goto out;
    }
  }
  sqlite3_finalize (del);
  if (exec (idx, "COMMIT", "forgetting photos", error))
    n = (int) gone->len;
out:
  g_ptr_array_unref (gone);
  g_free (prefix);
  return n;
}

void
ov_indexed_face_free (OvIndexedFace *f)
{
  if (f == NULL)
    return;
  g_free (f->path);
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
ov_photo_index_list_faces (OvPhotoIndex *idx, GError **error)
{
  /* persons is the gallery's table; a removed person leaves a stale id,
   * which reads as unknown. */
  sqlite3_stmt *st = prepare (idx, "SELECT f.id, p.path, f.x, f.y, f.w, f.h,"
      " f.descriptor, f.person_id, s.name, f.distance, f.age, f.gender,"
      " f.expression, f.cluster FROM photo_faces f JOIN photos p"
      " ON p.id = f.photo_id LEFT JOIN persons s ON s.id = f.person_id"
      " ORDER BY p.path, f.x, f.id", error);
  GPtrArray *faces;
  int rc;

  if (st == NULL)
    return NULL;
  faces = g_ptr_array_new_with_free_func ((GDestroyNotify) ov_indexed_face_free);
  while ((rc = sqlite3_step (st)) == SQLITE_ROW) {
    OvIndexedFace *f = g_new0 (OvIndexedFace, 1);
    f->id = sqlite3_column_int64 (st, 0);
    f->path = column_text (st, 1);
    f->x = sqlite3_column_double (st, 2);
    f->y = sqlite3_column_double (st, 3);
    f->w = sqlite3_column_double (st, 4);
    f->h = sqlite3_column_double (st, 5);
    if (sqlite3_column_bytes (st, 6) == 4 * OV_FACE_DESCRIPTOR_DIM) {
      decode (sqlite3_column_blob (st, 6), f->descriptor);
      f->has_descriptor = TRUE;
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
    fail (idx, "reading faces", error);
    return NULL;
  }
  return faces;
}

GPtrArray *
ov_photo_index_list_errors (OvPhotoIndex *idx, GError **error)
{
  sqlite3_stmt *st = prepare (idx, "SELECT path, error FROM photos"
      " WHERE error IS NOT NULL ORDER BY path", error);
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
    fail (idx, "reading photos", error);
    return NULL;
  }
  return out;
}

static gboolean
count (OvPhotoIndex *idx, const char *sql, gint64 *out, GError **error)
{
  sqlite3_stmt *st = prepare (idx, sql, error);
  int rc;
  if (st == NULL)
    return FALSE;
  rc = sqlite3_step (st);
  *out = rc == SQLITE_ROW ? sqlite3_column_int64 (st, 0) : 0;
  sqlite3_finalize (st);
  return rc == SQLITE_ROW || fail (idx, "counting", error);
}

gboolean
ov_photo_index_counts (OvPhotoIndex *idx, gint64 *photos, gint64 *faces,
    gint64 *identified, gint64 *errors, GError **error)
{
  return count (idx, "SELECT count(*) FROM photos WHERE error IS NULL",
      photos, error)
      && count (idx, "SELECT count(*) FROM photo_faces", faces, error)
      && count (idx, "SELECT count(*) FROM photo_faces f JOIN persons s"
          " ON s.id = f.person_id", identified, error)
      && count (idx, "SELECT count(*) FROM photos WHERE error IS NOT NULL",
          errors, error);
}

gboolean
ov_photo_index_update_faces (OvPhotoIndex *idx, const gint64 *ids,
    const OvPhotoIdentity *identities, const gint64 *clusters, guint n,
    GError **error)
{
  sqlite3_stmt *st;
  gboolean ok = TRUE;

  if (!exec (idx, "BEGIN IMMEDIATE", "updating faces", error))
    return FALSE;
  st = prepare (idx, "UPDATE photo_faces SET person_id = ?, distance = ?,"
      " cluster = ? WHERE id = ?", error);
  ok = st != NULL;
  for (guint i = 0; ok && i < n; i++) {
    sqlite3_reset (st);
    sqlite3_clear_bindings (st);
    if (identities[i].person_id > 0) {
      sqlite3_bind_int64 (st, 1, identities[i].person_id);
      sqlite3_bind_double (st, 2, identities[i].distance);
    }
    if (clusters && clusters[i] > 0)
      sqlite3_bind_int64 (st, 3, clusters[i]);
    sqlite3_bind_int64 (st, 4, ids[i]);
    if (sqlite3_step (st) != SQLITE_DONE)
      ok = fail (idx, "updating faces", error);
  }
  if (st)
    sqlite3_finalize (st);
  if (ok)
    ok = exec (idx, "COMMIT", "updating faces", error);
  if (!ok)
    sqlite3_exec (idx->db, "ROLLBACK", NULL, NULL, NULL);
  return ok;
}
