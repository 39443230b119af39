/* ovi-faces: indexes a photo library's faces into the gallery database
 * and says who is where.
 *
 *   ovi-faces [--db FILE] [--models DIR] index FOLDER...
 *   ovi-faces [--db FILE] who              faces per photo, with identities
 *   ovi-faces [--db FILE] clusters         groups of unknown faces
 *   ovi-faces [--db FILE] name-cluster N NAME   enrols group N as NAME
 *   ovi-faces [--db FILE] errors           photos that could not be read
 *
 * Indexing is incremental (unchanged photos are skipped by size and
 * modification time) and safe to interrupt (each photo is one
 * transaction). After indexing, and after naming a cluster, every stored
 * face is identified again against the gallery and the unknown ones are
 * clustered, so enrolling a person later names them in old photos too. */
#include <gst/gst.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ovgallery.h"
#include "ovgallery-matcher.h"
#include "ovgallery-photos.h"
#include "ovfaceanalyzer.h"

typedef struct {
  char *db;
  char *models;
  double threshold;
  double cluster_distance;
  OvGalleryMetric metric;
  gboolean quiet;
} Options;

typedef struct {
  const Options *opt;
  OvGallery *gallery;
  OvGalleryMatcher *matcher;
  GPtrArray *paths;             /* to analyze */
  GArray *sizes, *mtimes;       /* gint64, parallel to paths */
  guint done, faces, errors;
  gint64 started;
  gboolean tty;
  GError *error;                /* first storage failure: stops the run */
} Indexer;

static gboolean
is_photo_name (const char *name)
{
  char *lower = g_ascii_strdown (name, -1);
  gboolean ok = g_str_has_suffix (lower, ".jpg")
      || g_str_has_suffix (lower, ".jpeg") || g_str_has_suffix (lower, ".png");
  g_free (lower);
  return ok;
}

/* Photo files under `dir`, recursively; unreadable folders are skipped
 * with a warning. */
static void
collect (const char *dir, GPtrArray *out)
{
  GError *err = NULL;
  GDir *d = g_dir_open (dir, 0, &err);
  const char *name;

  if (d == NULL) {
    g_printerr ("warning: %s\n", err->message);
    g_error_free (err);
    return;
  }
  while ((name = g_dir_read_name (d))) {
    char *path = g_build_filename (dir, name, NULL);
    if (name[0] == '.')
      g_free (path);
    else if (g_file_test (path, G_FILE_TEST_IS_DIR)
        && !g_file_test (path, G_FILE_TEST_IS_SYMLINK)) {
      collect (path, out);
      g_free (path);
    } else if (is_photo_name (name) && g_file_test (path,
            G_FILE_TEST_IS_REGULAR))
      g_ptr_array_add (out, path);
    else
      g_free (path);
  }
  g_dir_close (d);
}

static int
compare_paths (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* The gallery person the descriptor names (0: unknown) and how far. */
static gint64
identify (Indexer *ix, const float *descriptor, guint dim, double *distance)
{
  OvGalleryMatch m;
  if (ov_gallery_matcher_nearest (ix->matcher, ix->opt->metric, descriptor,
          dim, &m) && m.distance <= ix->opt->threshold) {
    *distance = m.distance;
    return m.person_id;
  }
  *distance = 0.0;
  return 0;
}

static void
progress (Indexer *ix, gboolean last)
{
  double secs = (g_get_monotonic_time () - ix->started) / 1e6;
  double rate = secs > 0 ? ix->done / secs : 0.0;
  if (ix->opt->quiet)
    return;
  /* A terminal gets one updating line, a log one line per 10 %; the
   * final line comes once, at the end. */
  if (!last && ix->done == ix->paths->len)
    return;
  if (ix->tty || last || ix->done % MAX (1u, ix->paths->len / 10) == 0)
    g_printerr ("%s%u/%u photos, %u faces, %u errors, %.1f photos/s, "
        "%.1f faces/s%s", ix->tty ? "\r" : "", ix->done, ix->paths->len,
        ix->faces, ix->errors, rate, secs > 0 ? ix->faces / secs : 0.0,
        ix->tty && !last ? "" : "\n");
}

static void
on_result (const OvFaceResult *r, gpointer user_data)
{
  Indexer *ix = user_data;
  guint i = GPOINTER_TO_UINT (r->user_data);
  guint n = r->faces ? r->faces->len : 0;
  OvGalleryPhotoFace *faces = g_new0 (OvGalleryPhotoFace, n + 1);
  OvGalleryPhotoResult stored = { r->width, r->height, r->error, faces, n };

  if (ix->error) {
    g_free (faces);
    return;
  }
  for (guint k = 0; k < n; k++) {
    const OvFace *f = &g_array_index (r->faces, OvFace, k);
    OvGalleryPhotoFace *g = &faces[k];
    g->x = f->x;
    g->y = f->y;
    g->w = f->w;
    g->h = f->h;
    g->score = f->score;
    if (f->has_descriptor) {
      g->descriptor = f->descriptor;
      g->dim = OV_FACE_DESCRIPTOR_DIM;
      g->person_id = identify (ix, f->descriptor, g->dim, &g->distance);
    }
    g->age = f->age;
    g->gender = f->gender;
    g->gender_confidence = f->gender_confidence;
    g->expression = f->expression;
  }
  ix->faces += n;
  if (r->faces == NULL) {
    ix->errors++;
    if (!ix->opt->quiet)
      g_printerr ("%s%s: %s\n", ix->tty ? "\n" : "", r->path, r->error);
  }
  ov_gallery_photo_store (ix->gallery, r->path,
      g_array_index (ix->sizes, gint64, i), g_array_index (ix->mtimes, gint64, i),
      &stored, &ix->error);
  g_free (faces);
  ix->done++;
  progress (ix, FALSE);
}

/* Identifies every stored face again and clusters the unknown ones
 * (single linkage: faces closer than cluster_distance share a group;
 * groups of one are no group). */
static gboolean
refresh_identities (Indexer *ix, GError **error)
{
  GPtrArray *faces = ov_gallery_photo_list_faces (ix->gallery, error);
  GArray *unknown;
  guint n;
  gint64 *ids, *person_ids, *clusters, *parent, *size, next = 1;
  double *distances;
  gboolean ok;

  if (faces == NULL)
    return FALSE;
  if (!ov_gallery_matcher_refresh (ix->matcher, NULL, error)) {
    g_ptr_array_unref (faces);
    return FALSE;
  }
  n = faces->len;
  ids = g_new0 (gint64, n + 1);
  clusters = g_new0 (gint64, n + 1);
  parent = g_new0 (gint64, n + 1);
  size = g_new0 (gint64, n + 1);
  person_ids = g_new0 (gint64, n + 1);
  distances = g_new0 (double, n + 1);
  unknown = g_array_new (FALSE, FALSE, sizeof (guint));
  for (guint i = 0; i < n; i++) {
    OvGalleryIndexedFace *f = g_ptr_array_index (faces, i);
    ids[i] = f->id;
    parent[i] = i;
    if (f->descriptor) {
      person_ids[i] = identify (ix, f->descriptor, f->dim, &distances[i]);
      if (person_ids[i] == 0)
        g_array_append_val (unknown, i);
    }
  }
  for (guint a = 0; a < unknown->len; a++) {
    guint i = g_array_index (unknown, guint, a);
    OvGalleryIndexedFace *fi = g_ptr_array_index (faces, i);
    for (guint b = a + 1; b < unknown->len; b++) {
      guint j = g_array_index (unknown, guint, b);
      OvGalleryIndexedFace *fj = g_ptr_array_index (faces, j);
      if (fi->dim == fj->dim && ov_gallery_distance (ix->opt->metric,
              fi->descriptor, fj->descriptor, fi->dim)
          < ix->opt->cluster_distance) {
        gint64 ri = i, rj = j;
        while (parent[ri] != ri)
          ri = parent[ri];
        while (parent[rj] != rj)
          rj = parent[rj];
        parent[MAX (ri, rj)] = MIN (ri, rj);
      }
    }
  }
  /* Roots are the smallest member, so parents come before children:
   * one pass flattens, one counts, one numbers the groups of two or more
   * in the order their first face appears (photo path order). */
  for (guint a = 0; a < unknown->len; a++) {
    guint i = g_array_index (unknown, guint, a);
    parent[i] = parent[parent[i]];
    size[parent[i]]++;
  }
  for (guint a = 0; a < unknown->len; a++) {
    guint i = g_array_index (unknown, guint, a);
    if (size[parent[i]] >= 2 && clusters[parent[i]] == 0)
      clusters[parent[i]] = next++;
    clusters[i] = clusters[parent[i]];
  }
  ok = ov_gallery_photo_update_faces (ix->gallery, ids, person_ids, distances,
      clusters, n, error);
  g_array_unref (unknown);
  g_free (ids);
  g_free (clusters);
  g_free (parent);
  g_free (size);
  g_free (person_ids);
  g_free (distances);
  g_ptr_array_unref (faces);
  return ok;
}

static gboolean
cmd_index (Indexer *ix, char **folders, GError **error)
{
  GPtrArray *all = g_ptr_array_new_with_free_func (g_free);
  GHashTable *present = g_hash_table_new (g_str_hash, g_str_equal);
  OvFaceAnalyzer *analyzer;
  gpointer *datas;
  guint skipped = 0;
  gboolean ok = TRUE;

  for (int f = 0; folders[f]; f++) {
    char *abs = g_canonicalize_filename (folders[f], NULL);
    guint before = all->len;
    if (!g_file_test (abs, G_FILE_TEST_IS_DIR)) {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOTDIR,
          "%s is not a folder", folders[f]);
      g_free (abs);
      ok = FALSE;
      break;
    }
    collect (abs, all);
    g_ptr_array_sort (all, compare_paths);
    for (guint i = before; i < all->len; i++)
      g_hash_table_add (present, g_ptr_array_index (all, i));
    /* Photos deleted from the folder leave the index. */
    ok = ov_gallery_photo_prune (ix->gallery, abs, present, error) >= 0;
    g_free (abs);
    if (!ok)
      break;
  }
  ix->paths = g_ptr_array_new ();
  ix->sizes = g_array_new (FALSE, FALSE, sizeof (gint64));
  ix->mtimes = g_array_new (FALSE, FALSE, sizeof (gint64));
  for (guint i = 0; ok && i < all->len; i++) {
    const char *p = g_ptr_array_index (all, i);
    struct stat st;
    gboolean current = FALSE;
    gint64 size, mtime;
    if (stat (p, &st) != 0)
      continue;
    size = st.st_size;
    mtime = (gint64) st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
    ok = ov_gallery_photo_is_current (ix->gallery, p, size, mtime, &current, error);
    if (current) {
      skipped++;
      continue;
    }
    g_ptr_array_add (ix->paths, (gpointer) p);
    g_array_append_val (ix->sizes, size);
    g_array_append_val (ix->mtimes, mtime);
  }
  if (ok && !ix->opt->quiet)
    g_printerr ("%u photos, %u unchanged, %u to index\n", all->len, skipped,
        ix->paths->len);
  if (ok && ix->paths->len > 0) {
    analyzer = ov_face_analyzer_new (ix->opt->models, TRUE, error);
    ok = analyzer != NULL;
    datas = g_new (gpointer, ix->paths->len + 1);
    for (guint i = 0; i < ix->paths->len; i++)
      datas[i] = GUINT_TO_POINTER (i);
    ix->started = g_get_monotonic_time ();
    if (ok)
      ok = ov_face_analyzer_run (analyzer, (const char *const *) ix->paths->pdata,
          datas, ix->paths->len, on_result, ix, error);
    if (ok && ix->error) {
      g_propagate_error (error, ix->error);
      ix->error = NULL;
      ok = FALSE;
    }
    if (ok)
      progress (ix, TRUE);
    g_free (datas);
    ov_face_analyzer_free (analyzer);
  }
  if (ok)
    ok = refresh_identities (ix, error);
  g_hash_table_unref (present);
  g_ptr_array_unref (ix->paths);
  g_array_unref (ix->sizes);
  g_array_unref (ix->mtimes);
  g_ptr_array_unref (all);
  return ok;
}

static gboolean
cmd_who (Indexer *ix, GError **error)
{
  GPtrArray *faces = ov_gallery_photo_list_faces (ix->gallery, error);
  const char *last = NULL;
  gint64 photos, n, identified, errors;

  if (faces == NULL || !ov_gallery_photo_counts (ix->gallery, &photos, &n,
          &identified, &errors, error)) {
    if (faces)
      g_ptr_array_unref (faces);
    return FALSE;
  }
  for (guint i = 0; i < faces->len; i++) {
    OvGalleryIndexedFace *f = g_ptr_array_index (faces, i);
    char *who = f->person ? g_strdup_printf ("%s (distance %.2f)", f->person,
        f->distance) : f->cluster > 0
        ? g_strdup_printf ("unknown, group %" G_GINT64_FORMAT, f->cluster)
        : g_strdup ("unknown");
    if (last == NULL || strcmp (last, f->path) != 0)
      g_print ("%s\n", f->path);
    last = f->path;
    g_print ("  %-32s at %4.0f,%4.0f %4.0fx%-4.0f", who, f->x, f->y, f->w, f->h);
    if (f->age >= 0 && f->gender)
      g_print ("  %s, about %.0f", f->gender, f->age);
    if (f->expression)
      g_print (", %s", f->expression);
    g_print ("\n");
    g_free (who);
  }
  g_print ("%" G_GINT64_FORMAT " photos, %" G_GINT64_FORMAT " faces, %"
      G_GINT64_FORMAT " identified, %" G_GINT64_FORMAT " unreadable\n",
      photos, n, identified, errors);
  g_ptr_array_unref (faces);
  return TRUE;
}

static gboolean
cmd_clusters (Indexer *ix, GError **error)
{
  GPtrArray *faces = ov_gallery_photo_list_faces (ix->gallery, error);
  gint64 max = 0;
  if (faces == NULL)
    return FALSE;
  for (guint i = 0; i < faces->len; i++)
    max = MAX (max, ((OvGalleryIndexedFace *) g_ptr_array_index (faces, i))->cluster);
  for (gint64 c = 1; c <= max; c++) {
    g_print ("group %" G_GINT64_FORMAT ":\n", c);
    for (guint i = 0; i < faces->len; i++) {
      OvGalleryIndexedFace *f = g_ptr_array_index (faces, i);
      if (f->cluster == c)
        g_print ("  %s at %.0f,%.0f %.0fx%.0f\n", f->path, f->x, f->y, f->w,
            f->h);
    }
  }
  if (max == 0)
    g_print ("no groups of unknown faces\n");
  g_ptr_array_unref (faces);
  return TRUE;
}

static gboolean
cmd_name_cluster (Indexer *ix, const char *number, const char *name,
    GError **error)
{
  GPtrArray *faces = ov_gallery_photo_list_faces (ix->gallery, error);
  GArray *add;
  GPtrArray *boxes;
  gint64 c;
  char *end = NULL;
  gboolean ok = TRUE;

  if (faces == NULL)
    return FALSE;
  c = g_ascii_strtoll (number, &end, 10);
  add = g_array_new (FALSE, TRUE, sizeof (OvGalleryNewFace));
  boxes = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; c > 0 && end && *end == '\0' && i < faces->len; i++) {
    OvGalleryIndexedFace *f = g_ptr_array_index (faces, i);
    OvGalleryBox *box = g_new (OvGalleryBox, 1);
    OvGalleryNewFace nf = { f->descriptor, OV_FACE_DESCRIPTOR_DIM, f->path,
      box };
    if (f->cluster != c) {
      g_free (box);
      continue;
    }
    box->x = f->x;
    box->y = f->y;
    box->w = f->w;
    box->h = f->h;
    g_ptr_array_add (boxes, box);
    g_array_append_val (add, nf);
  }
  if (add->len == 0) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
        "no group %s (see ovi-faces clusters)", number);
    ok = FALSE;
  }
  if (ok)
    ok = ov_gallery_enrol (ix->gallery, name,
        (const OvGalleryNewFace *) add->data, add->len, error) > 0;
  if (ok)
    ok = ov_gallery_matcher_refresh (ix->matcher, NULL, error)
        && refresh_identities (ix, error);
  if (ok)
    g_print ("%u faces of group %s enrolled as %s\n", add->len, number, name);
  g_array_unref (add);
  g_ptr_array_unref (boxes);
  g_ptr_array_unref (faces);
  return ok;
}

static gboolean
cmd_errors (Indexer *ix, GError **error)
{
  GPtrArray *errs = ov_gallery_photo_list_errors (ix->gallery, error);
  if (errs == NULL)
    return FALSE;
  for (guint i = 0; i < errs->len; i++)
    g_print ("%s\n", (char *) g_ptr_array_index (errs, i));
  g_ptr_array_unref (errs);
  return TRUE;
}

int
main (int argc, char **argv)
{
  Options opt = { NULL, NULL, 0.45, 0.45, OV_GALLERY_METRIC_EUCLIDEAN, FALSE };
  char *metric = NULL;
  GOptionEntry entries[] = {
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &opt.db,
        "Gallery and index database (default faces.db)", "FILE" },
    { "models", 0, 0, G_OPTION_ARG_FILENAME, &opt.models,
        "Converted face-api models (default models/faceapi)", "DIR" },
    { "threshold", 0, 0, G_OPTION_ARG_DOUBLE, &opt.threshold,
        "Largest distance to a gallery face that names a face (0.45; "
        "face-api's 0.6 names strangers, see docs/faces.md)", "D" },
    { "metric", 0, 0, G_OPTION_ARG_STRING, &metric,
        "euclidean (default) or cosine (1 - cosine similarity)", "M" },
    { "cluster-distance", 0, 0, G_OPTION_ARG_DOUBLE, &opt.cluster_distance,
        "Largest distance between faces of one unknown group (0.45)", "D" },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &opt.quiet, "No progress", NULL },
    { NULL }
  };
  GOptionContext *ctx = g_option_context_new ("COMMAND [ARGS]");
  GError *err = NULL;
  Indexer ix = { 0 };
  gboolean ok = FALSE;
  const char *cmd;

#ifdef __GLIBC__
  /* Decoded photos are megabytes each and come and go by the thousand:
   * served from malloc's heap (glibc's adaptive mmap threshold puts them
   * there once a few were freed) they leave it fragmented and large.
   * Their own pages go back to the system when freed. */
  mallopt (M_MMAP_THRESHOLD, 128 * 1024);
#endif
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  g_option_context_set_summary (ctx, "Commands:\n"
      "  index FOLDER...      analyze new and changed photos\n"
      "  who                  faces per photo, with identities\n"
      "  clusters             groups of unknown faces\n"
      "  name-cluster N NAME  enrol group N as the person NAME\n"
      "  errors               photos that could not be read");
  if (!g_option_context_parse (ctx, &argc, &argv, &err) || argc < 2) {
    g_printerr ("%s\n", err ? err->message
        : "a command is needed (see --help)");
    g_option_context_free (ctx);
    return 2;
  }
  g_option_context_free (ctx);
  if (opt.db == NULL)
    opt.db = g_strdup ("faces.db");
  if (opt.models == NULL)
    opt.models = g_strdup ("models/faceapi");
  if (metric && strcmp (metric, "cosine") == 0) {
    opt.metric = OV_GALLERY_METRIC_COSINE;
  } else if (metric && strcmp (metric, "euclidean") != 0) {
    g_printerr ("--metric must be euclidean or cosine\n");
    return 2;
  }
  /* Run from the build tree, the plugin is found beside us. */
  if (gst_element_factory_find ("ovdetect") == NULL)
    gst_registry_scan_path (gst_registry_get (), OVI_BUILD_PLUGIN_DIR);
  cmd = argv[1];
  ix.opt = &opt;
  ix.tty = isatty (STDERR_FILENO);
  ix.gallery = ov_gallery_open (opt.db, OV_GALLERY_OPEN_CREATE, &err);
  if (ix.gallery)
    ix.matcher = ov_gallery_matcher_new (ix.gallery, &err);
  if (ix.matcher) {
    if (strcmp (cmd, "index") == 0 && argc >= 3)
      ok = cmd_index (&ix, argv + 2, &err);
    else if (strcmp (cmd, "who") == 0 && argc == 2)
      ok = cmd_who (&ix, &err);
    else if (strcmp (cmd, "clusters") == 0 && argc == 2)
      ok = cmd_clusters (&ix, &err);
    else if (strcmp (cmd, "name-cluster") == 0 && argc == 4)
      ok = cmd_name_cluster (&ix, argv[2], argv[3], &err);
    else if (strcmp (cmd, "errors") == 0 && argc == 2)
      ok = cmd_errors (&ix, &err);
    else
      g_set_error (&err, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
          "unknown command or wrong arguments: %s (see --help)", cmd);
  }
  if (!ok)
    g_printerr ("ovi-faces: %s\n", err->message);
  g_clear_error (&err);
  if (ix.matcher)
    ov_gallery_matcher_free (ix.matcher);
  if (ix.gallery)
    ov_gallery_close (ix.gallery);
  g_free (opt.db);
  g_free (opt.models);
  g_free (metric);
  return ok ? 0 : 1;
}
