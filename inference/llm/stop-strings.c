/* The stop-string matcher; the rules are in stop-strings.h. The pending
 * text is at most the longest stop string plus one chunk, so plain
 * searches over it are cheap. */
#include "stop-strings.h"

#include <string.h>

typedef struct {
  char *text;
  gsize len;
  gint index;                   /* in the caller's array */
} Stop;

struct _OviLlmStopMatcher {
  Stop *stops;
  gsize n_stops;
  gsize max_len;
  GString *pending;
  gboolean stopped;
};

OviLlmStopMatcher *
ovi_llm_stop_matcher_new (const char *const *stops, gsize n_stops)
{
  OviLlmStopMatcher *m = g_new0 (OviLlmStopMatcher, 1);
  m->stops = g_new0 (Stop, n_stops ? n_stops : 1);
  for (gsize i = 0; i < n_stops; i++) {
    Stop *s;
    if (!stops[i] || !stops[i][0])
      continue;
    s = &m->stops[m->n_stops++];
    s->text = g_strdup (stops[i]);
    s->len = strlen (s->text);
    s->index = (gint) i;
    m->max_len = MAX (m->max_len, s->len);
  }
  m->pending = g_string_new (NULL);
  return m;
}

void
ovi_llm_stop_matcher_free (OviLlmStopMatcher *m)
{
  if (!m)
    return;
  for (gsize i = 0; i < m->n_stops; i++)
    g_free (m->stops[i].text);
  g_free (m->stops);
  g_string_free (m->pending, TRUE);
  g_free (m);
}

void
ovi_llm_stop_matcher_reset (OviLlmStopMatcher *m)
{
  g_string_truncate (m->pending, 0);
  m->stopped = FALSE;
}

gsize
ovi_llm_stop_matcher_pending (const OviLlmStopMatcher *m)
{
  return m->pending->len;
}

/* Length of the longest tail of `text` that is a proper prefix of a stop
 * string (a complete one would have been reported). */
static gsize
held_tail (const OviLlmStopMatcher *m, const char *text, gsize len)
{
  gsize k = MIN (len, m->max_len ? m->max_len - 1 : 0);
  for (; k > 0; k--) {
    const char *tail = text + len - k;
    for (gsize i = 0; i < m->n_stops; i++)
      if (m->stops[i].len > k && memcmp (m->stops[i].text, tail, k) == 0)
        return k;
  }
  return 0;
}

gboolean
ovi_llm_stop_matcher_feed (OviLlmStopMatcher *m, const char *text,
    gssize len, GString *out, gint *which)
{
  const char *buf;
  gsize n, best_start = 0, best_end = G_MAXSIZE, keep;
  gint best = -1;

  if (m->stopped)
    return TRUE;
  if (len < 0)
    len = strlen (text);
  g_string_append_len (m->pending, text, len);
  buf = m->pending->str;
  n = m->pending->len;

  for (gsize i = 0; i < m->n_stops; i++) {
    const Stop *s = &m->stops[i];
    const char *hit;
    gsize start, end;
    if (s->len > n)
      continue;
    hit = memmem (buf, n, s->text, s->len);
    if (!hit)
      continue;
    start = hit - buf;
    end = start + s->len;
    if (end < best_end || (end == best_end && start < best_start)) {
      best_end = end;
      best_start = start;
      best = s->index;
    }
  }
  if (best >= 0) {
    g_string_append_len (out, buf, best_start);
    g_string_truncate (m->pending, 0);
    m->stopped = TRUE;
    if (which)
      *which = best;
    return TRUE;
  }

  keep = held_tail (m, buf, n);
  g_string_append_len (out, buf, n - keep);
  g_string_erase (m->pending, 0, n - keep);
  return FALSE;
}

void
ovi_llm_stop_matcher_flush (OviLlmStopMatcher *m, GString *out)
{
  if (!m->stopped)
    g_string_append_len (out, m->pending->str, m->pending->len);
  g_string_truncate (m->pending, 0);
}
