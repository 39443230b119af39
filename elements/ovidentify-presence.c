#include "ovidentify-presence.h"

typedef struct {
  gint64 id;
  gchar *name;
  guint64 last_seen;            /* clock */
  guint64 first_stamp, last_stamp;
  double best_similarity;       /* while present */
  double frame_similarity;      /* on the frame it was last seen on */
  OvPresenceRegion region;      /* where, on that frame */
  guint64 seen_frame;
  gboolean announced;           /* its appeared event was given */
} Person;

struct _OvIdentifyPresence {
  GHashTable *persons;          /* &Person.id -> Person */
  guint64 frame;                /* frame counter, from 1 */
  guint64 now, stamp;
  gboolean rebase;
};

static void
person_free (gpointer data)
{
  Person *p = data;
  g_free (p->name);
  g_free (p);
}

OvIdentifyPresence *
ov_identify_presence_new (void)
{
  OvIdentifyPresence *pr = g_new0 (OvIdentifyPresence, 1);
  pr->persons = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL,
      person_free);
  return pr;
}

void
ov_identify_presence_free (OvIdentifyPresence *pr)
{
  if (pr == NULL)
    return;
  g_hash_table_unref (pr->persons);
  g_free (pr);
}

void
ov_identify_presence_begin_frame (OvIdentifyPresence *pr, guint64 now,
    guint64 stamp)
{
  GHashTableIter it;
  gpointer value;

  pr->frame++;
  /* The clock never runs back: a clip to an earlier time would otherwise
   * make everyone look seen in the future, and never leave. */
  pr->now = MAX (pr->now, now);
  pr->stamp = stamp;
  if (pr->rebase) {
    pr->rebase = FALSE;
    pr->now = now;
    g_hash_table_iter_init (&it, pr->persons);
    while (g_hash_table_iter_next (&it, NULL, &value))
      ((Person *) value)->last_seen = now;
  }
}

void
ov_identify_presence_seen (OvIdentifyPresence *pr, gint64 person_id,
    const gchar *name, double similarity, const OvPresenceRegion *region)
{
  Person *p = g_hash_table_lookup (pr->persons, &person_id);

  if (p == NULL) {
    p = g_new0 (Person, 1);
    p->id = person_id;
    p->first_stamp = pr->stamp;
    p->best_similarity = similarity;
    g_hash_table_insert (pr->persons, &p->id, p);
  }
  if (g_strcmp0 (p->name, name) != 0) {   /* renamed in the gallery */
    g_free (p->name);
    p->name = g_strdup (name);
  }
  if (p->seen_frame != pr->frame || similarity > p->frame_similarity) {
    p->frame_similarity = similarity;
    p->region = *region;
  }
  p->seen_frame = pr->frame;
  p->last_seen = pr->now;
  p->last_stamp = pr->stamp;
  p->best_similarity = MAX (p->best_similarity, similarity);
}

static void
add_event (GArray *events, OvPresenceChange change,
    OvPresenceLeaveReason reason, const Person *p)
{
  OvPresenceEvent e = {
    .change = change,
    .reason = reason,
    .person_id = p->id,
    .name = g_strdup (p->name),
    .similarity = change == OV_PRESENCE_APPEARED ? p->frame_similarity
        : p->best_similarity,
    .region = p->region,
    .first_seen = p->first_stamp,
    .last_seen = p->last_stamp,
  };
  g_array_append_val (events, e);
}

static GArray *
new_events (void)
{
  GArray *events = g_array_new (FALSE, FALSE, sizeof (OvPresenceEvent));
  g_array_set_clear_func (events, (GDestroyNotify) ov_presence_event_clear);
  return events;
}

/* Left before appeared, each by person id: the same changes always come
 * out in the same order. */
static gint
compare_events (gconstpointer a, gconstpointer b)
{
  const OvPresenceEvent *x = a, *y = b;
  if (x->change != y->change)
    return x->change == OV_PRESENCE_LEFT ? -1 : 1;
  return x->person_id < y->person_id ? -1 : x->person_id > y->person_id;
}

GArray *
ov_identify_presence_end_frame (OvIdentifyPresence *pr, guint64 leave_after)
{
  GArray *events = new_events ();
  GHashTableIter it;
  gpointer value;

  g_hash_table_iter_init (&it, pr->persons);
  while (g_hash_table_iter_next (&it, NULL, &value)) {
    Person *p = value;
    if (p->seen_frame != pr->frame && pr->now - p->last_seen >= leave_after) {
      add_event (events, OV_PRESENCE_LEFT, OV_PRESENCE_LEFT_UNSEEN, p);
      g_hash_table_iter_remove (&it);
    } else if (!p->announced) {
      p->announced = TRUE;
      add_event (events, OV_PRESENCE_APPEARED, 0, p);
    }
  }
  g_array_sort (events, compare_events);
  return events;
}

GArray *
ov_identify_presence_leave_all (OvIdentifyPresence *pr)
{
  GArray *events = new_events ();
  GHashTableIter it;
  gpointer value;

  g_hash_table_iter_init (&it, pr->persons);
  while (g_hash_table_iter_next (&it, NULL, &value)) {
    Person *p = value;
    /* Seen but never announced (no frame ended since): no news. */
    if (p->announced)
      add_event (events, OV_PRESENCE_LEFT, OV_PRESENCE_LEFT_END, p);
  }
  g_hash_table_remove_all (pr->persons);
  g_array_sort (events, compare_events);
  return events;
}

void
ov_identify_presence_rebase (OvIdentifyPresence *pr)
{
  pr->rebase = TRUE;
}

void
ov_identify_presence_clear (OvIdentifyPresence *pr)
{
  g_hash_table_remove_all (pr->persons);
  pr->frame = 0;
  pr->now = pr->stamp = 0;
  pr->rebase = FALSE;
}

guint
ov_identify_presence_count (OvIdentifyPresence *pr)
{
  return g_hash_table_size (pr->persons);
}

void
ov_presence_event_clear (OvPresenceEvent *event)
{
  g_clear_pointer (&event->name, g_free);
}
