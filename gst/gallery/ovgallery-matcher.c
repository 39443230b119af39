/* The in-memory descriptor index behind ovidentify. A linear scan: a
 * household or office gallery holds hundreds of 128-value descriptors,
 * a few microseconds per face. */
#include "ovgallery-matcher.h"

#include <math.h>

#include "ovgallery-private.h"

typedef struct {
  gint64 person_id;
  guint dim;
  float *values;
} Entry;

struct _OvGalleryMatcher {
  OvGallery *gallery;
  gint64 stamp;
  GArray *entries;              /* Entry */
  GHashTable *names;            /* person id (gint64*) -> name */
};

static void
entry_clear (gpointer data)
{
  g_free (((Entry *) data)->values);
}

static gboolean
load (OvGalleryMatcher *m, GError **error)
{
  OvGallery *g = m->gallery;
  GPtrArray *persons = NULL, *faces = NULL;
  GArray *entries;
  GHashTable *names;
  gint64 stamp;

  /* One snapshot for the stamp and both lists: persons and faces agree,
   * and a commit after it shows as a new stamp at the next refresh. */
  if (!ov_gallery_begin_read (g, error))
    return FALSE;
  stamp = ov_gallery_get_change_stamp (g, error);
  if (stamp >= 0)
    persons = ov_gallery_list_persons (g, error);
  if (persons)
    faces = ov_gallery_list_faces (g, 0, error);
  ov_gallery_rollback (g);
  if (faces == NULL) {
    g_clear_pointer (&persons, g_ptr_array_unref);
    return FALSE;
  }
  entries = g_array_sized_new (FALSE, FALSE, sizeof (Entry), faces->len);
  g_array_set_clear_func (entries, entry_clear);
  names = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  for (guint i = 0; i < persons->len; i++) {
    OvGalleryPerson *p = g_ptr_array_index (persons, i);
    g_hash_table_insert (names, g_memdup2 (&p->id, sizeof p->id),
        g_strdup (p->name));
  }
  for (guint i = 0; i < faces->len; i++) {
    OvGalleryFace *f = g_ptr_array_index (faces, i);
    Entry e = { f->person_id, f->dim, f->descriptor };
    f->descriptor = NULL;       /* moved into the entry */
    g_array_append_val (entries, e);
  }
  g_ptr_array_unref (faces);
  g_ptr_array_unref (persons);

  if (m->entries)
    g_array_unref (m->entries);
  if (m->names)
    g_hash_table_unref (m->names);
  m->entries = entries;
  m->names = names;
  m->stamp = stamp;
  return TRUE;
}

OvGalleryMatcher *
ov_gallery_matcher_new (OvGallery *gallery, GError **error)
{
  OvGalleryMatcher *m = g_new0 (OvGalleryMatcher, 1);
  m->gallery = gallery;
  if (!load (m, error)) {
    ov_gallery_matcher_free (m);
    return NULL;
  }
  return m;
}

void
ov_gallery_matcher_free (OvGalleryMatcher *m)
{
  if (m == NULL)
    return;
  if (m->entries)
    g_array_unref (m->entries);
  if (m->names)
    g_hash_table_unref (m->names);
  g_free (m);
}

gboolean
ov_gallery_matcher_refresh (OvGalleryMatcher *m, gboolean *reloaded,
    GError **error)
{
  gint64 stamp = ov_gallery_get_change_stamp (m->gallery, error);
  if (reloaded)
    *reloaded = FALSE;
  if (stamp < 0)
    return FALSE;
  if (stamp == m->stamp)
    return TRUE;
  if (!load (m, error))
    return FALSE;
  if (reloaded)
    *reloaded = TRUE;
  return TRUE;
}

guint
ov_gallery_matcher_get_n_faces (OvGalleryMatcher *m)
{
  return m->entries->len;
}

gboolean
ov_gallery_matcher_has_dim (OvGalleryMatcher *m, guint dim)
{
  for (guint i = 0; i < m->entries->len; i++)
    if (g_array_index (m->entries, Entry, i).dim == dim)
      return TRUE;
  return FALSE;
}

const char *
ov_gallery_matcher_get_name (OvGalleryMatcher *m, gint64 person_id)
{
  return g_hash_table_lookup (m->names, &person_id);
}

double
ov_gallery_distance (OvGalleryMetric metric, const float *a, const float *b,
    guint dim)
{
  double sum = 0.0, aa = 0.0, bb = 0.0;
  if (metric == OV_GALLERY_METRIC_EUCLIDEAN) {
    for (guint i = 0; i < dim; i++) {
      double d = (double) a[i] - b[i];
      sum += d * d;
    }
    return sqrt (sum);
  }
  for (guint i = 0; i < dim; i++) {
    sum += (double) a[i] * b[i];
    aa += (double) a[i] * a[i];
    bb += (double) b[i] * b[i];
  }
  /* A zero vector is like nothing: similarity 0, distance 1. */
  if (aa <= 0.0 || bb <= 0.0)
    return 1.0;
  return 1.0 - sum / sqrt (aa * bb);
}

double
ov_gallery_similarity (OvGalleryMetric metric, double distance)
{
  /* Euclidean: face-api's descriptors put the same person within about
   * 0.6 and others beyond, so 1 - d reads like a confidence (0.4 at the
   * default threshold). Cosine: the similarity itself. */
  return CLAMP (1.0 - distance, 0.0, 1.0);
}

gboolean
ov_gallery_matcher_nearest (OvGalleryMatcher *m, OvGalleryMetric metric,
    const float *descriptor, guint dim, OvGalleryMatch *match)
{
  const Entry *best = NULL;
  double best_distance = G_MAXDOUBLE;

  for (guint i = 0; i < m->entries->len; i++) {
    const Entry *e = &g_array_index (m->entries, Entry, i);
    double d;
    if (e->dim != dim)
      continue;
    d = ov_gallery_distance (metric, descriptor, e->values, dim);
    if (best == NULL || d < best_distance) {
      best = e;
      best_distance = d;
    }
  }
  if (best == NULL)
    return FALSE;
  match->person_id = best->person_id;
  match->name = ov_gallery_matcher_get_name (m, best->person_id);
  match->distance = best_distance;
  match->similarity = ov_gallery_similarity (metric, best_distance);
  return TRUE;
}
