#include "ovidentify-votes.h"

typedef struct {
  OvIdentifyVote *ring;         /* `window` slots */
  guint next;                   /* slot for the next vote */
  guint count;                  /* votes held, <= window */
  guint unseen;                 /* frames since last seen */
  guint64 last_seen;            /* time last seen */
} ObjectVotes;

struct _OvIdentifyVotes {
  guint window;
  guint forget_after;
  GHashTable *objects;          /* object id -> ObjectVotes */
  guint64 now;
};

static void
object_free (gpointer data)
{
  ObjectVotes *o = data;
  g_free (o->ring);
  g_free (o);
}

OvIdentifyVotes *
ov_identify_votes_new (guint window, guint forget_after)
{
  OvIdentifyVotes *v = g_new0 (OvIdentifyVotes, 1);
  v->window = MAX (window, 1);
  v->forget_after = forget_after;
  v->objects = g_hash_table_new_full (NULL, NULL, NULL, object_free);
  return v;
}

void
ov_identify_votes_free (OvIdentifyVotes *v)
{
  if (v == NULL)
    return;
  g_hash_table_unref (v->objects);
  g_free (v);
}

static gboolean
is_stale (gpointer key, gpointer value, gpointer data)
{
  ObjectVotes *o = value;
  return ++o->unseen > GPOINTER_TO_UINT (data);
}

void
ov_identify_votes_next_frame (OvIdentifyVotes *v, guint64 now)
{
  v->now = MAX (v->now, now);
  g_hash_table_foreach_remove (v->objects, is_stale,
      GUINT_TO_POINTER (v->forget_after));
}

void
ov_identify_votes_add (OvIdentifyVotes *v, gint object_id,
    const OvIdentifyVote *vote)
{
  ObjectVotes *o = g_hash_table_lookup (v->objects,
      GINT_TO_POINTER (object_id));
  if (o == NULL) {
    o = g_new0 (ObjectVotes, 1);
    o->ring = g_new0 (OvIdentifyVote, v->window);
    g_hash_table_insert (v->objects, GINT_TO_POINTER (object_id), o);
  }
  o->ring[o->next] = *vote;
  o->next = (o->next + 1) % v->window;
  o->count = MIN (o->count + 1, v->window);
  o->unseen = 0;
  o->last_seen = v->now;
}

gboolean
ov_identify_votes_verdict (OvIdentifyVotes *v, gint object_id,
    OvIdentifyVerdict *verdict)
{
  ObjectVotes *o = g_hash_table_lookup (v->objects,
      GINT_TO_POINTER (object_id));
  guint best_votes = 0;
  gint64 best = 0;

  if (o == NULL || o->count == 0)
    return FALSE;
  o->unseen = 0;
  o->last_seen = v->now;
  /* Newest first, so that on a tie the earlier-seen (newer) one stays. */
  for (guint i = 0; i < o->count; i++) {
    const OvIdentifyVote *c = &o->ring[(o->next + v->window - 1 - i)
        % v->window];
    guint n = 0;
    for (guint k = 0; k < o->count; k++)
      if (o->ring[k].person_id == c->person_id)
        n++;
    if (n > best_votes) {
      best_votes = n;
      best = c->person_id;
    }
  }
  verdict->person_id = best;
  verdict->votes = best_votes;
  verdict->window = o->count;
  verdict->similarity = 0.0;
  verdict->distance = 0.0;
  for (guint k = 0; k < o->count; k++) {
    if (o->ring[k].person_id == best) {
      verdict->similarity += o->ring[k].similarity;
      verdict->distance += o->ring[k].distance;
    }
  }
  verdict->similarity /= best_votes;
  verdict->distance /= best_votes;
  return TRUE;
}

static gboolean
is_absent (gpointer key, gpointer value, gpointer data)
{
  const ObjectVotes *o = value;
  const guint64 *args = data;   /* now, absent_for */
  return o->unseen > 0 && args[0] - o->last_seen >= args[1];
}

void
ov_identify_votes_forget_absent (OvIdentifyVotes *v, guint64 absent_for)
{
  guint64 args[2] = { v->now, absent_for };
  g_hash_table_foreach_remove (v->objects, is_absent, args);
}

void
ov_identify_votes_clear (OvIdentifyVotes *v)
{
  g_hash_table_remove_all (v->objects);
  v->now = 0;
}
