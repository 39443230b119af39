/* The face gallery: schema, persons and faces, matching, JSON round trips,
 * and what happens with corrupt files, locks and concurrent connections. */
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <sqlite3.h>
#include <string.h>

#include "ovgallery.h"
#include "ovgallery-matcher.h"
#include "ovgallery-photos.h"

#define DIM 8

typedef struct {
  char *dir;
  char *db;
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  f->dir = g_dir_make_tmp ("ovi-gallery-XXXXXX", NULL);
  g_assert_nonnull (f->dir);
  f->db = g_build_filename (f->dir, "gallery.db", NULL);
}

static void
remove_tree (const char *dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name (d))) {
    char *p = g_build_filename (dir, name, NULL);
    g_remove (p);
    g_free (p);
  }
  if (d)
    g_dir_close (d);
  g_rmdir (dir);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  remove_tree (f->dir);
  g_free (f->dir);
  g_free (f->db);
}

/* A descriptor pointing along axis `axis`, scaled, plus a small offset. */
static void
descriptor (float *d, int axis, float scale, float noise)
{
  for (int i = 0; i < DIM; i++)
    d[i] = noise * (float) ((i * 7 + axis) % 5 - 2) / 2.0f;
  d[axis] += scale;
}

static gint64
enrol_one (OvGallery *g, const char *name, const float *d, const char *src)
{
  GError *error = NULL;
  OvGalleryBox box = { 10, 20, 30, 40 };
  OvGalleryNewFace face = { d, DIM, src, &box };
  gint64 id = ov_gallery_enrol (g, name, &face, 1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (id, >, 0);
  return id;
}

static OvGallery *
open_db (const char *path)
{
  GError *error = NULL;
  OvGallery *g = ov_gallery_open (path, OV_GALLERY_OPEN_CREATE, &error);
  g_assert_no_error (error);
  g_assert_nonnull (g);
  return g;
}

static void
test_create (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  OvGallery *g;
  sqlite3 *raw;
  sqlite3_stmt *stmt;

  /* Without CREATE a missing file is an error naming it. */
  g = ov_gallery_open (f->db, OV_GALLERY_OPEN_DEFAULT, &error);
  g_assert_null (g);
  g_assert_error (error, OV_GALLERY_ERROR, OV_GALLERY_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, f->db));
  g_clear_error (&error);

  g = open_db (f->db);
  g_assert_cmpint (ov_gallery_get_schema_version (g, NULL), ==,
      OV_GALLERY_SCHEMA_VERSION);
  ov_gallery_close (g);

  /* WAL is recorded in the file; the tables exist. */
  g_assert_cmpint (sqlite3_open (f->db, &raw), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (raw, "PRAGMA journal_mode", -1, &stmt,
          NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 0), ==, "wal");
  sqlite3_finalize (stmt);
  g_assert_cmpint (sqlite3_exec (raw, "SELECT id, name FROM persons; "
          "SELECT dim, descriptor, box_x FROM faces; "
          "SELECT path, mtime, error FROM photos; "
          "SELECT photo_id, descriptor, person_id, cluster FROM photo_faces",
          NULL, NULL, NULL), ==, SQLITE_OK);
  /* A newer schema (a later migration) still opens: migrations only add. */
  g_assert_cmpint (sqlite3_exec (raw, "PRAGMA user_version = 7; "
          "CREATE TABLE albums (id INTEGER PRIMARY KEY)", NULL, NULL, NULL),
      ==, SQLITE_OK);
  sqlite3_close (raw);
  g = ov_gallery_open (f->db, OV_GALLERY_OPEN_DEFAULT, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ov_gallery_get_schema_version (g, NULL), ==, 7);
  ov_gallery_close (g);
}

static void
test_add_list (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  OvGallery *g = open_db (f->db);
  float a[DIM], b[DIM], c[DIM];
  OvGalleryNewFace two[2] = { { a, DIM, "ann1.jpg", NULL },
    { b, DIM, "ann2.jpg", NULL } };
  GPtrArray *persons, *faces;
  gint64 ann, bob;

  descriptor (a, 0, 1.0f, 0.1f);
  descriptor (b, 0, 0.9f, 0.2f);
  descriptor (c, 1, 1.0f, 0.1f);
  ann = ov_gallery_enrol (g, "Ann", two, 2, &error);
  g_assert_no_error (error);
  bob = enrol_one (g, "Bob", c, "bob.png");
  g_assert_cmpint (ann, !=, bob);
  /* Adding to an existing person adds faces, not a person. */
  g_assert_cmpint (enrol_one (g, "Bob", a, NULL), ==, bob);
  g_assert_cmpint (ov_gallery_find_person (g, "Ann", NULL), ==, ann);
  g_assert_cmpint (ov_gallery_find_person (g, "Carl", &error), ==, 0);
  g_assert_error (error, OV_GALLERY_ERROR, OV_GALLERY_ERROR_NOT_FOUND);
  g_clear_error (&error);
  /* An empty name or a non-finite descriptor is refused, nothing added. */
  g_assert_cmpint (ov_gallery_enrol (g, "", two, 1, &error), ==, 0);
  g_assert_error (error, OV_GALLERY_ERROR, OV_GALLERY_ERROR_INVALID);
  g_clear_error (&error);
  c[3] = NAN;
  two[1].descriptor = c;
  g_assert_cmpint (ov_gallery_enrol (g, "Dan", two, 2, &error), ==, 0);
  g_assert_error (error, OV_GALLERY_ERROR, OV_GALLERY_ERROR_INVALID);
  g_clear_error (&error);

  persons = ov_gallery_list_persons (g, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (persons->len, ==, 2);       /* no Dan: all or nothing */
  g_assert_cmpstr (((OvGalleryPerson *) persons->pdata[0])->name, ==, "Ann");
  g_assert_cmpuint (((OvGalleryPerson *) persons->pdata[0])->n_faces, ==, 2);
  g_assert_cmpstr (((OvGalleryPerson *) persons->pdata[1])->name, ==, "Bob");
  g_assert_cmpuint (((OvGalleryPerson *) persons->pdata[1])->n_faces, ==, 2);
  g_ptr_array_unref (persons);

  faces = ov_gallery_list_faces (g, ann, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (faces->len, ==, 2);
  {
    OvGalleryFace *face = faces->pdata[1];
    g_assert_cmpuint (face->dim, ==, DIM);
    g_assert_cmpmem (face->descriptor, DIM * 4, b, DIM * 4);
    g_assert_cmpstr (face->source, ==, "ann2.jpg");
    g_assert_false (face->has_box);
  }
  g_ptr_array_unref (faces);
  faces = ov_gallery_list_faces (g, bob, &error);
  g_assert_true (((OvGalleryFace *) faces->pdata[0])->has_box);
  g_assert_cmpfloat (((OvGalleryFace *) faces->pdata[0])->box.h, ==, 40);
  g_ptr_array_unref (faces);
  ov_gallery_close (g);
}

static void
test_match (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  OvGallery *g = open_db (f->db);
  OvGalleryMatcher *m;
  OvGalleryMatch match;
  float ann[DIM], bob[DIM], probe[DIM];
  gint64 ann_id, bob_id;

  descriptor (ann, 0, 1.0f, 0.0f);
  descriptor (bob, 1, 1.0f, 0.0f);
  ann_id = enrol_one (g, "Ann", ann, NULL);
  bob_id = enrol_one (g, "Bob", bob, NULL);
  m = ov_gallery_matcher_new (g, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ov_gallery_matcher_get_n_faces (m), ==, 2);

  /* Near Ann: euclidean distance 0.2 on axis 2. */
  memcpy (probe, ann, sizeof probe);
  probe[2] = 0.2f;
  g_assert_true (ov_gallery_matcher_nearest (m, OV_GALLERY_METRIC_EUCLIDEAN,
          probe, DIM, &match));
  g_assert_cmpint (match.person_id, ==, ann_id);
  g_assert_cmpstr (match.name, ==, "Ann");
  g_assert_cmpfloat_with_epsilon (match.distance, 0.2, 1e-6);
  g_assert_cmpfloat_with_epsilon (match.similarity, 0.8, 1e-6);

  /* Cosine ignores length: 5x Bob is Bob at distance 0. */
  for (int i = 0; i < DIM; i++)
    probe[i] = 5.0f * bob[i];
  g_assert_true (ov_gallery_matcher_nearest (m, OV_GALLERY_METRIC_COSINE,
          probe, DIM, &match));
  g_assert_cmpint (match.person_id, ==, bob_id);
  g_assert_cmpfloat_with_epsilon (match.distance, 0.0, 1e-6);
  g_assert_cmpfloat_with_epsilon (match.similarity, 1.0, 1e-6);
  /* ... where euclidean sees it 4 away (similarity clipped to 0). */
  g_assert_true (ov_gallery_matcher_nearest (m, OV_GALLERY_METRIC_EUCLIDEAN,
          probe, DIM, &match));
  g_assert_cmpfloat_with_epsilon (match.distance, 4.0, 1e-5);
  g_assert_cmpfloat (match.similarity, ==, 0.0);
  /* 45 degrees between Ann and Bob. */
  memset (probe, 0, sizeof probe);
  probe[0] = 1.0f;
  probe[1] = 1.0f;
  g_assert_true (ov_gallery_matcher_nearest (m, OV_GALLERY_METRIC_COSINE,
          probe, DIM, &match));
  g_assert_cmpfloat_with_epsilon (match.similarity, sqrt (0.5), 1e-6);

  /* Another dimension has no candidates. */
  g_assert_false (ov_gallery_matcher_nearest (m, OV_GALLERY_METRIC_EUCLIDEAN,
          probe, DIM - 1, &match));
  g_assert_true (ov_gallery_matcher_has_dim (m, DIM));
  g_assert_false (ov_gallery_matcher_has_dim (m, 128));
  ov_gallery_matcher_free (m);
  ov_gallery_close (g);
}

static void
test_rename_remove (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  OvGallery *g = open_db (f->db);
  OvGalleryMatcher *m;
  float a[DIM], b[DIM];
  gint64 ann;
  gboolean reloaded;
  GPtrArray *faces;

  descriptor (a, 0, 1.0f, 0.0f);
  descriptor (b, 1, 1.0f, 0.0f);
  ann = enrol_one (g, "Ann", a, NULL);
  enrol_one (g, "Ann", b, NULL);
  enrol_one (g, "Bob", b, NULL);
  m = ov_gallery_matcher_new (g, &error);

  g_assert_true (ov_gallery_rename_person (g, "Ann", "Anna", &error));
  g_assert_no_error (error);
  g_assert_cmpint (ov_gallery_find_person (g, "Anna", NULL), ==, ann);
  /* The matcher notices its own connection's change. */
  g_assert_true (ov_gallery_matcher_refresh (m, &reloaded, &error));
  g_assert_true (reloaded);
  g_assert_cmpstr (ov_gallery_matcher_get_name (m, ann), ==, "Anna");
  g_assert_true (ov_gallery_matcher_refresh (m, &reloaded, &error));
  g_assert_false (reloaded);

  g_assert_false (ov_gallery_rename_person (g, "Anna", "Bob", &error));
  g_assert_error (error, OV_GALLERY_ERROR, OV_GALLERY_ERROR_EXISTS);
  g_clear_error (&error);
  g_assert_false (ov_gallery_rename_person (g, "Nobody", "X", &error));
  g_assert_error (error, OV_GALLERY_ERROR, OV_GALLERY_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_assert_true (ov_gallery_remove_person (g, "Anna", &error));
  g_assert_no_error (error);
  g_assert_false (ov_gallery_remove_person (g, "Anna", &error));
  g_assert_error (error, OV_GALLERY_ERROR, OV_GALLERY_ERROR_NOT_FOUND);
  g_clear_error (&error);
  /* The faces went with her. */
  faces = ov_gallery_list_faces (g, 0, &error);
  g_assert_cmpuint (faces->len, ==, 1);
  g_ptr_array_unref (faces);
  g_assert_true (ov_gallery_matcher_refresh (m, &reloaded, &error));
  g_assert_true (reloaded);
  g_assert_null (ov_gallery_matcher_get_name (m, ann));
  g_assert_cmpuint (ov_gallery_matcher_get_n_faces (m), ==, 1);
  ov_gallery_matcher_free (m);
  ov_gallery_close (g);
}

static void
assert_same_gallery (OvGallery *x, OvGallery *y)
{
  GPtrArray *px = ov_gallery_list_persons (x, NULL);
  GPtrArray *py = ov_gallery_list_persons (y, NULL);
  g_assert_cmpuint (px->len, ==, py->len);
  for (guint i = 0; i < px->len; i++) {
    OvGalleryPerson *a = px->pdata[i], *b = py->pdata[i];
    GPtrArray *fa = ov_gallery_list_faces (x, a->id, NULL);
    GPtrArray *fb = ov_gallery_list_faces (y, b->id, NULL);
    g_assert_cmpstr (a->name, ==, b->name);
    g_assert_cmpint (a->created, ==, b->created);
    g_assert_cmpuint (fa->len, ==, fb->len);
    for (guint k = 0; k < fa->len; k++) {
      OvGalleryFace *u = fa->pdata[k], *v = fb->pdata[k];
      g_assert_cmpuint (u->dim, ==, v->dim);
      /* Bit for bit. */
      g_assert_cmpmem (u->descriptor, u->dim * 4, v->descriptor, v->dim * 4);
      g_assert_cmpstr (u->source, ==, v->source);
      g_assert_cmpint (u->has_box, ==, v->has_box);
      g_assert_cmpfloat (u->box.x, ==, v->box.x);
      g_assert_cmpfloat (u->box.w, ==, v->box.w);
      g_assert_cmpint (u->created, ==, v->created);
    }
    g_ptr_array_unref (fa);
    g_ptr_array_unref (fb);
  }
  g_ptr_array_unref (px);
  g_ptr_array_unref (py);
}

static void
test_json_round_trip (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  OvGallery *g = open_db (f->db), *copy;
  char *json = g_build_filename (f->dir, "export.json", NULL);
  char *other = g_build_filename (f->dir, "copy.db", NULL);
  float a[DIM], b[DIM];
  guint added = 99;

  /* Values that need all 17 digits to come back exactly. */
  for (int i = 0; i < DIM; i++) {
    a[i] = 1.0f / (float) (i + 3);
    b[i] = -(float) G_PI * (float) i / 7.0f;
  }
  enrol_one (g, "Ann", a, "dir/ann \"1\".jpg");
  enrol_one (g, "Björn", b, NULL);
  g_assert_true (ov_gallery_export_file (g, json, &error));
  g_assert_no_error (error);

  copy = open_db (other);
  g_assert_true (ov_gallery_import_file (copy, json, &added, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (added, ==, 2);
  assert_same_gallery (g, copy);
  /* Importing again adds nothing: faces already there are skipped. */
  g_assert_true (ov_gallery_import_file (copy, json, &added, &error));
  g_assert_cmpuint (added, ==, 0);
  assert_same_gallery (g, copy);
  ov_gallery_close (copy);
  ov_gallery_close (g);
  g_free (json);
  g_free (other);
}

static void
write_file (const char *dir, const char *name, const char *text)
{
  char *p = g_build_filename (dir, name, NULL);
  g_assert_true (g_file_set_contents (p, text, -1, NULL));
  g_free (p);
}

static void
test_json_errors (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  OvGallery *g = open_db (f->db);
  float a[DIM];
  char *path = g_build_filename (f->dir, "bad.json", NULL);
  GPtrArray *persons;

  descriptor (a, 0, 1.0f, 0.0f);
  enrol_one (g, "Ann", a, NULL);
  /* The second person is malformed: the first is not imported either. */
  write_file (f->dir, "bad.json", "{\"format\": \"ovi-gallery\", \"persons\": ["
      "{\"name\": \"Cleo\", \"faces\": [{\"descriptor\": [1, 2]}]},"
      "{\"name\": \"Dan\", \"faces\": [{\"descriptor\": [1, \"x\"]}]}]}");
  g_assert_false (ov_gallery_import_file (g, path, NULL, &error));
  g_assert_error (error, OV_GALLERY_ERROR, OV_GALLERY_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "persons[1].faces[0]"));
  g_assert_nonnull (strstr (error->message, path));
  g_clear_error (&error);
  persons = ov_gallery_list_persons (g, NULL);
  g_assert_cmpuint (persons->len, ==, 1);
  g_ptr_array_unref (persons);

  write_file (f->dir, "bad.json", "{\"persons\": []}");
  g_assert_false (ov_gallery_import_file (g, path, NULL, &error));
  g_assert_error (error, OV_GALLERY_ERROR, OV_GALLERY_ERROR_INVALID);
  g_clear_error (&error);
  write_file (f->dir, "bad.json", "{\"format\": \"ovi-gallery\", ");
  g_assert_false (ov_gallery_import_file (g, path, NULL, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, path));
  g_clear_error (&error);
  ov_gallery_close (g);
  g_free (path);
}

/* gvaidentify's gallery: names and raw float32 feature files. */
static void
test_import_gvaidentify (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  OvGallery *g = ov_gallery_open_memory (&error);
  OvGalleryMatcher *m;
  OvGalleryMatch match;
  char *path = g_build_filename (f->dir, "gallery.json", NULL);
  char *features = g_build_filename (f->dir, "features", NULL);
  float a[DIM], b[DIM];
  guint8 bytes[DIM * 4];
  guint added = 0;

  g_assert_no_error (error);
  g_assert_cmpint (g_mkdir (features, 0700), ==, 0);
  descriptor (a, 2, 1.0f, 0.1f);
  descriptor (b, 5, 1.0f, 0.1f);
  /* Little-endian, whatever the host. */
  for (int i = 0; i < DIM; i++) {
    guint32 bits;
    memcpy (&bits, &a[i], 4);
    bits = GUINT32_TO_LE (bits);
    memcpy (bytes + 4 * i, &bits, 4);
  }
  {
    char *p = g_build_filename (features, "ann_0.tensor", NULL);
    g_assert_true (g_file_set_contents (p, (char *) bytes, sizeof bytes,
            NULL));
    g_free (p);
    for (int i = 0; i < DIM; i++) {
      guint32 bits;
      memcpy (&bits, &b[i], 4);
      bits = GUINT32_TO_LE (bits);
      memcpy (bytes + 4 * i, &bits, 4);
    }
    p = g_build_filename (features, "bob_0.tensor", NULL);
    g_assert_true (g_file_set_contents (p, (char *) bytes, sizeof bytes,
            NULL));
    g_free (p);
  }
  write_file (f->dir, "gallery.json", "[{\"name\": \"Ann\", \"features\": "
      "[\"features/ann_0.tensor\"]}, {\"name\": \"Bob\", \"features\": "
      "[\"features/bob_0.tensor\"]}]");
  g_assert_true (ov_gallery_import_file (g, path, &added, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (added, ==, 2);
  m = ov_gallery_matcher_new (g, &error);
  g_assert_true (ov_gallery_matcher_nearest (m, OV_GALLERY_METRIC_COSINE, b,
          DIM, &match));
  g_assert_cmpstr (match.name, ==, "Bob");
  g_assert_cmpfloat_with_epsilon (match.distance, 0.0, 1e-6);
  ov_gallery_matcher_free (m);

  /* A missing feature file names itself. */
  write_file (f->dir, "gallery.json", "[{\"name\": \"Cy\", \"features\": "
      "[\"features/nope.tensor\"]}]");
  g_assert_false (ov_gallery_import_file (g, path, NULL, &error));
  g_assert_nonnull (strstr (error->message, "nope.tensor"));
  g_clear_error (&error);
  ov_gallery_close (g);
  g_free (path);
  g_remove (features);
  {
    char *p = g_build_filename (features, "ann_0.tensor", NULL);
    g_remove (p);
    g_free (p);
    p = g_build_filename (features, "bob_0.tensor", NULL);
    g_remove (p);
    g_free (p);
  }
  g_rmdir (features);
  g_free (features);
}

static void
test_corrupt (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  OvGallery *g = open_db (f->db);
  float a[DIM];
  char *text;
  gsize size;
  char *wal = g_strconcat (f->db, "-wal", NULL);
  char *shm = g_strconcat (f->db, "-shm", NULL);

  descriptor (a, 0, 1.0f, 0.0f);
  enrol_one (g, "Ann", a, NULL);
  ov_gallery_close (g);         /* checkpoints the WAL into the file */
  g_assert_true (g_file_get_contents (f->db, &text, &size, NULL));
  g_assert_cmpuint (size, >=, 4096);
  /* Garbage over the header. */
  memset (text, 0x5a, 100);
  g_assert_true (g_file_set_contents (f->db, text, size, NULL));
  g_free (text);
  g_remove (wal);
  g_remove (shm);

  g = ov_gallery_open (f->db, OV_GALLERY_OPEN_DEFAULT, &error);
  g_assert_null (g);
  g_assert_error (error, OV_GALLERY_ERROR, OV_GALLERY_ERROR_CORRUPT);
  g_assert_nonnull (strstr (error->message, "database is corrupt"));
  g_assert_nonnull (strstr (error->message, f->db));
  g_clear_error (&error);
  /* CREATE does not overwrite it either. */
  g = ov_gallery_open (f->db, OV_GALLERY_OPEN_CREATE, &error);
  g_assert_null (g);
  g_assert_error (error, OV_GALLERY_ERROR, OV_GALLERY_ERROR_CORRUPT);
  g_clear_error (&error);
  g_assert_true (g_file_get_contents (f->db, &text, &size, NULL));
  g_assert_cmpint (text[0], ==, 0x5a);
  g_free (text);

  /* A text file is no database either. */
  g_assert_true (g_file_set_contents (f->db, "name,descriptor\n", -1, NULL));
  g = ov_gallery_open (f->db, OV_GALLERY_OPEN_DEFAULT, &error);
  g_assert_null (g);
  g_assert_error (error, OV_GALLERY_ERROR, OV_GALLERY_ERROR_CORRUPT);
  g_clear_error (&error);
  g_free (wal);
  g_free (shm);
}

static void
test_locked (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  OvGallery *g = open_db (f->db), *reader;
  sqlite3 *other;
  float a[DIM];
  GPtrArray *persons;
  gint64 start;

  descriptor (a, 0, 1.0f, 0.0f);
  enrol_one (g, "Ann", a, NULL);
  g_assert_cmpint (sqlite3_open (f->db, &other), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (other, "BEGIN EXCLUSIVE; "
          "INSERT INTO persons (name, created) VALUES ('Zed', 0)", NULL,
          NULL, NULL), ==, SQLITE_OK);

  /* A writer waits for the busy timeout, then fails clearly. */
  ov_gallery_set_busy_timeout (g, 200);
  start = g_get_monotonic_time ();
  {
    OvGalleryNewFace face = { a, DIM, NULL, NULL };
    g_assert_cmpint (ov_gallery_enrol (g, "Bob", &face, 1, &error), ==, 0);
  }
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 150000);
  g_assert_error (error, OV_GALLERY_ERROR, OV_GALLERY_ERROR_LOCKED);
  g_assert_nonnull (strstr (error->message, "locked by another process"));
  g_clear_error (&error);
  g_assert_false (ov_gallery_rename_person (g, "Ann", "Anna", &error));
  g_assert_error (error, OV_GALLERY_ERROR, OV_GALLERY_ERROR_LOCKED);
  g_clear_error (&error);

  /* Readers are not blocked (WAL) and see the committed state only. */
  reader = ov_gallery_open (f->db, OV_GALLERY_OPEN_DEFAULT, &error);
  g_assert_no_error (error);
  persons = ov_gallery_list_persons (reader, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (persons->len, ==, 1);
  g_ptr_array_unref (persons);

  g_assert_cmpint (sqlite3_exec (other, "ROLLBACK", NULL, NULL, NULL), ==,
      SQLITE_OK);
  /* A connection holding the file in exclusive locking mode blocks even
   * readers: that too is "locked", not an empty gallery. (It can only
   * take that lock while no other connection has the file open.) */
  ov_gallery_close (reader);
  ov_gallery_close (g);
  g_assert_cmpint (sqlite3_exec (other, "PRAGMA locking_mode = EXCLUSIVE; "
          "BEGIN; INSERT INTO persons (name, created) VALUES ('Zed', 0); "
          "COMMIT", NULL, NULL, NULL), ==, SQLITE_OK);
  reader = ov_gallery_open (f->db, OV_GALLERY_OPEN_DEFAULT, &error);
  if (reader) {
    ov_gallery_set_busy_timeout (reader, 100);
    persons = ov_gallery_list_persons (reader, &error);
    g_assert_null (persons);
    ov_gallery_close (reader);
  }
  g_assert_error (error, OV_GALLERY_ERROR, OV_GALLERY_ERROR_LOCKED);
  g_assert_nonnull (strstr (error->message, "locked by another process"));
  g_clear_error (&error);
  sqlite3_close (other);

  g = open_db (f->db);
  /* Released: the writer works again and sees Zed. */
  g_assert_cmpint (enrol_one (g, "Bob", a, NULL), >, 0);
  g_assert_cmpint (ov_gallery_find_person (g, "Zed", NULL), >, 0);
  ov_gallery_close (g);
}

typedef struct {
  const char *path;
  int n;
  gboolean ok;
  gint done;
} Writer;

static gpointer
writer_thread (gpointer data)
{
  Writer *w = data;
  GError *error = NULL;
  OvGallery *g = ov_gallery_open (w->path, OV_GALLERY_OPEN_DEFAULT, &error);
  w->ok = g != NULL;
  for (int i = 0; g && i < w->n && w->ok; i++) {
    float d[DIM];
    char *name = g_strdup_printf ("person%02d", i);
    OvGalleryNewFace face = { d, DIM, NULL, NULL };
    descriptor (d, i % DIM, 1.0f + (float) i, 0.0f);
    w->ok = ov_gallery_enrol (g, name, &face, 1, &error) > 0;
    g_free (name);
    g_usleep (1000);            /* let the reader see states in between */
  }
  if (error)
    g_printerr ("writer: %s\n", error->message);
  g_clear_error (&error);
  ov_gallery_close (g);
  g_atomic_int_set (&w->done, 1);
  return NULL;
}

/* One connection enrols (in its thread) while another matches: the reader
 * never fails, sees only whole enrolments, and ends up with all. */
static void
test_concurrent_reader (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  OvGallery *g = open_db (f->db);
  OvGalleryMatcher *m = ov_gallery_matcher_new (g, &error);
  Writer w = { f->db, 40, FALSE, 0 };
  GThread *thread;
  guint reloads = 0, last = 0;

  g_assert_no_error (error);
  thread = g_thread_new ("writer", writer_thread, &w);
  for (;;) {
    gboolean reloaded, done = g_atomic_int_get (&w.done);
    g_assert_true (ov_gallery_matcher_refresh (m, &reloaded, &error));
    g_assert_no_error (error);
    if (reloaded) {
      reloads++;
      g_assert_cmpuint (ov_gallery_matcher_get_n_faces (m), >=, last);
      last = ov_gallery_matcher_get_n_faces (m);
    }
    if (done)
      break;
    g_usleep (500);
  }
  g_thread_join (thread);
  g_assert_true (w.ok);
  g_assert_true (ov_gallery_matcher_refresh (m, NULL, &error));
  g_assert_cmpuint (ov_gallery_matcher_get_n_faces (m), ==, 40);
  g_assert_cmpuint (reloads, >=, 2);
  ov_gallery_matcher_free (m);
  ov_gallery_close (g);
}

/* Two connections, one write transaction open: the reader sees the state
 * before it until the commit, then the new one at its next refresh. */
static void
test_snapshot_isolation (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  OvGallery *g = open_db (f->db);
  OvGalleryMatcher *m = ov_gallery_matcher_new (g, &error);
  sqlite3 *other;
  gboolean reloaded;

  g_assert_cmpint (sqlite3_open (f->db, &other), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (other, "BEGIN IMMEDIATE; "
          "INSERT INTO persons (name, created) VALUES ('Ann', 0); "
          "INSERT INTO faces (person_id, dim, descriptor, created) "
          "VALUES (last_insert_rowid(), 1, x'0000803f', 0)", NULL, NULL,
          NULL), ==, SQLITE_OK);
  g_assert_true (ov_gallery_matcher_refresh (m, &reloaded, &error));
  g_assert_false (reloaded);
  g_assert_cmpuint (ov_gallery_matcher_get_n_faces (m), ==, 0);
  g_assert_cmpint (sqlite3_exec (other, "COMMIT", NULL, NULL, NULL), ==,
      SQLITE_OK);
  g_assert_true (ov_gallery_matcher_refresh (m, &reloaded, &error));
  g_assert_true (reloaded);
  g_assert_cmpuint (ov_gallery_matcher_get_n_faces (m), ==, 1);
  {
    float one = 1.0f;
    OvGalleryMatch match;
    g_assert_true (ov_gallery_matcher_nearest (m, OV_GALLERY_METRIC_EUCLIDEAN,
            &one, 1, &match));
    g_assert_cmpstr (match.name, ==, "Ann");
    g_assert_cmpfloat (match.distance, ==, 0.0);
  }
  sqlite3_close (other);
  ov_gallery_matcher_free (m);
  ov_gallery_close (g);
}

/* The photo index: store, skip when current, replace without duplicates,
 * identities and clusters, a removed person's faces become unknown,
 * unreadable photos, pruning. */
static void
test_photos (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  OvGallery *g = ov_gallery_open (f->db, OV_GALLERY_OPEN_CREATE, &error);
  float a[DIM], b[DIM];
  OvGalleryPhotoFace faces[2] = {
    { .x = 10, .y = 20, .w = 30, .h = 40, .score = 0.9, .descriptor = a,
      .dim = DIM, .age = 31.5, .gender = "female", .gender_confidence = 0.8,
      .expression = "happy" },
    { .x = 50, .y = 20, .w = 30, .h = 40, .score = 0.7, .descriptor = b,
      .dim = DIM, .age = -1 },
  };
  OvGalleryPhotoResult ok = { 640, 480, NULL, faces, 2 };
  OvGalleryPhotoResult bad = { 0, 0, "cannot decode the photo", NULL, 0 };
  GHashTable *present = g_hash_table_new (g_str_hash, g_str_equal);
  GPtrArray *list;
  OvGalleryIndexedFace *first;
  gboolean current = TRUE;
  gint64 photos, n, identified, errors, anna, ids[2], people[2], clusters[2];
  double distances[2] = { 0.1, 0.0 };

  g_assert_no_error (error);
  descriptor (a, 1, 1.0f, 0.0f);
  descriptor (b, 2, 1.0f, 0.0f);
  anna = enrol_one (g, "Anna", a, "anna.jpg");
  g_assert_true (ov_gallery_photo_is_current (g, "/lib/p.jpg", 100, 5,
          &current, &error));
  g_assert_false (current);
  faces[0].person_id = anna;
  faces[0].distance = 0.1;
  /* Stored twice: the second replaces the first. */
  g_assert_true (ov_gallery_photo_store (g, "/lib/p.jpg", 100, 5, &ok, &error));
  g_assert_true (ov_gallery_photo_store (g, "/lib/p.jpg", 100, 6, &ok, &error));
  g_assert_true (ov_gallery_photo_store (g, "/lib/sub/x.jpg", 9, 1, &bad,
          &error));
  g_assert_no_error (error);
  g_assert_true (ov_gallery_photo_is_current (g, "/lib/p.jpg", 100, 6,
          &current, &error));
  g_assert_true (current);
  g_assert_true (ov_gallery_photo_is_current (g, "/lib/p.jpg", 100, 5,
          &current, &error));
  g_assert_false (current);
  g_assert_true (ov_gallery_photo_counts (g, &photos, &n, &identified,
          &errors, &error));
  g_assert_cmpint (photos, ==, 1);
  g_assert_cmpint (n, ==, 2);
  g_assert_cmpint (identified, ==, 1);
  g_assert_cmpint (errors, ==, 1);

  list = ov_gallery_photo_list_faces (g, &error);
  g_assert_cmpuint (list->len, ==, 2);
  first = g_ptr_array_index (list, 0);
  g_assert_cmpstr (first->person, ==, "Anna");
  g_assert_cmpuint (first->dim, ==, DIM);
  g_assert_cmpmem (first->descriptor, DIM * sizeof (float), a, sizeof a);
  g_assert_cmpfloat (first->age, ==, 31.5);
  g_assert_cmpstr (first->expression, ==, "happy");
  g_assert_cmpfloat (((OvGalleryIndexedFace *) g_ptr_array_index (list, 1))->age,
      ==, -1.0);
  ids[0] = first->id;
  ids[1] = ((OvGalleryIndexedFace *) g_ptr_array_index (list, 1))->id;
  g_ptr_array_unref (list);

  /* Identities and clusters are replaced as given. */
  people[0] = 0;
  people[1] = anna;
  clusters[0] = 3;
  clusters[1] = 0;
  g_assert_true (ov_gallery_photo_update_faces (g, ids, people, distances,
          clusters, 2, &error));
  list = ov_gallery_photo_list_faces (g, &error);
  first = g_ptr_array_index (list, 0);
  g_assert_null (first->person);
  g_assert_cmpint (first->cluster, ==, 3);
  g_assert_cmpstr (((OvGalleryIndexedFace *) g_ptr_array_index (list, 1))->person,
      ==, "Anna");
  g_ptr_array_unref (list);
  /* Removing the person leaves her faces unknown. */
  g_assert_true (ov_gallery_remove_person (g, "Anna", &error));
  g_assert_true (ov_gallery_photo_counts (g, &photos, &n, &identified,
          &errors, &error));
  g_assert_cmpint (identified, ==, 0);

  list = ov_gallery_photo_list_errors (g, &error);
  g_assert_cmpuint (list->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (list, 0), ==,
      "/lib/sub/x.jpg: cannot decode the photo");
  g_ptr_array_unref (list);

  /* Pruning /lib with only p.jpg present forgets x.jpg, not other roots. */
  g_assert_true (ov_gallery_photo_store (g, "/other/y.jpg", 1, 1, &bad,
          &error));
  g_hash_table_add (present, (gpointer) "/lib/p.jpg");
  g_assert_cmpint (ov_gallery_photo_prune (g, "/lib", present, &error), ==, 1);
  g_assert_cmpint (ov_gallery_photo_prune (g, "/lib/", present, &error), ==, 0);
  g_assert_true (ov_gallery_photo_counts (g, &photos, &n, &identified,
          &errors, &error));
  g_assert_cmpint (photos, ==, 1);
  g_assert_cmpint (n, ==, 2);
  g_assert_cmpint (errors, ==, 1);
  g_assert_no_error (error);
  g_hash_table_unref (present);
  ov_gallery_close (g);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(name, func) g_test_add ("/gallery/" name, Fixture, NULL, \
    fixture_set_up, func, fixture_tear_down)
  ADD ("create", test_create);
  ADD ("add-list", test_add_list);
  ADD ("match", test_match);
  ADD ("rename-remove", test_rename_remove);
  ADD ("json-round-trip", test_json_round_trip);
  ADD ("json-errors", test_json_errors);
  ADD ("import-gvaidentify", test_import_gvaidentify);
  ADD ("corrupt", test_corrupt);
  ADD ("locked", test_locked);
  ADD ("concurrent-reader", test_concurrent_reader);
  ADD ("snapshot-isolation", test_snapshot_isolation);
  ADD ("photos", test_photos);
  return g_test_run ();
}
