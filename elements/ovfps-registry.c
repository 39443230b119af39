#include "ovfps-registry.h"

#include <math.h>
#include <stdio.h>

#define MIN_EOS_SECONDS 0.1

typedef struct {
  gdouble interval;             /* seconds */
  /* The average: measured from `start` on, never restarted by a report. */
  gboolean cumulative;
  GstClockTime start;           /* NONE until a frame opens the window */
  GstClockTime last_report;
} Window;

/* A stream in one window: its frames, and their intervals and latencies
 * in ms. */
typedef struct {
  guint64 frames;
  guint64 n_intervals;
  gdouble sum, sum_sq;
  guint64 n_latencies;
  gdouble sum_latency;
} Stats;

struct _OvFpsStream {
  GstElement *element;
  GArray *intervals;            /* gdouble */
  guint starting_frame;
  OvFpsPrint print;
  guint64 seen;
  gboolean in_registry;
  gboolean counting;            /* past its starting frame */
  GArray *stats;                /* Stats per window */
  GstClockTime previous;        /* its last counted frame */
  /* Its own average, for the avg-fps property. */
  GstClockTime first, last;
  guint64 frames_after_first;
};

/* Reports being posted after the lock is released. */
typedef struct {
  GstElement *element;
  gdouble fps, seconds, total_fps;
  guint64 frames;
  guint n_streams;
} Post;

static GMutex lock;
static GPtrArray *streams;      /* in the registry, in joining order */
static GArray *windows;         /* Window; [0] is the average */
/* Streams read the time before taking the lock: the latest time seen
 * keeps a late reader from going back in time. */
static GstClockTime latest;

GArray *
ov_fps_parse_intervals (const gchar *text, GError **error)
{
  GArray *out = g_array_new (FALSE, FALSE, sizeof (gdouble));
  gchar **parts = g_strsplit (text ? text : "", ",", -1);

  for (gchar **p = parts; *p; p++) {
    gchar *end;
    gchar *item = g_strstrip (*p);
    gdouble v = g_ascii_strtod (item, &end);
    if (*item == '\0' || *end != '\0' || !isfinite (v) || v <= 0.0) {
      g_set_error (error, GST_LIBRARY_ERROR, GST_LIBRARY_ERROR_SETTINGS,
          "invalid interval \"%s\": expected seconds as a positive number, "
          "or several separated by commas (\"1\", \"0.5\", \"1,5\")",
          text ? text : "");
      g_array_unref (out);
      g_strfreev (parts);
      return NULL;
    }
    g_array_append_val (out, v);
  }
  g_strfreev (parts);
  if (out->len == 0) {
    g_set_error (error, GST_LIBRARY_ERROR, GST_LIBRARY_ERROR_SETTINGS,
        "empty interval: expected seconds as a positive number");
    g_array_unref (out);
    return NULL;
  }
  return out;
}

static void
restart_window (guint index, GstClockTime now)
{
  Window *w = &g_array_index (windows, Window, index);
  w->start = w->last_report = now;
  for (guint i = 0; i < streams->len; i++) {
    OvFpsStream *s = g_ptr_array_index (streams, i);
    g_array_index (s->stats, Stats, index) = (Stats) { 0 };
  }
}

static void
registry_reset (void)
{
  g_clear_pointer (&streams, g_ptr_array_unref);
  g_clear_pointer (&windows, g_array_unref);
  latest = 0;
}

/* Under the lock. */
static void
registry_add (OvFpsStream *s)
{
  Window *avg;

  if (streams == NULL) {
    Window w = { G_MAXDOUBLE, TRUE, GST_CLOCK_TIME_NONE, GST_CLOCK_TIME_NONE };
    streams = g_ptr_array_new ();
    windows = g_array_new (FALSE, FALSE, sizeof (Window));
    g_array_append_val (windows, w);
  }
  for (guint i = 0; i < s->intervals->len; i++) {
    gdouble v = g_array_index (s->intervals, gdouble, i);
    guint k;
    for (k = 1; k < windows->len; k++)
      if (fabs (g_array_index (windows, Window, k).interval - v) < 1e-9)
        break;
    if (k == windows->len) {
      Window w = { v, FALSE, GST_CLOCK_TIME_NONE, GST_CLOCK_TIME_NONE };
      g_array_append_val (windows, w);
    }
  }
  /* The average is printed at the pace of the shortest window. */
  avg = &g_array_index (windows, Window, 0);
  for (guint k = 1; k < windows->len; k++)
    avg->interval = MIN (avg->interval,
        g_array_index (windows, Window, k).interval);
  g_ptr_array_add (streams, s);
  for (guint i = 0; i < streams->len; i++) {
    OvFpsStream *t = g_ptr_array_index (streams, i);
    g_array_set_size (t->stats, windows->len);
  }
  s->in_registry = TRUE;
  s->counting = FALSE;
  s->frames_after_first = 0;
  s->previous = GST_CLOCK_TIME_NONE;
  for (guint k = 0; k < s->stats->len; k++)
    g_array_index (s->stats, Stats, k) = (Stats) { 0 };
}

/* Under the lock. Takes `s` out; the others start afresh. */
static void
registry_remove (OvFpsStream *s, GstClockTime now)
{
  s->in_registry = FALSE;
  g_ptr_array_remove (streams, s);
  if (streams->len == 0) {
    registry_reset ();
    return;
  }
  for (guint k = 0; k < windows->len; k++)
    if (g_array_index (windows, Window, k).start != GST_CLOCK_TIME_NONE)
      restart_window (k, now);
}

OvFpsStream *
ov_fps_stream_join (GstElement *element, GArray *intervals,
    guint starting_frame, OvFpsPrint print)
{
  OvFpsStream *s = g_new0 (OvFpsStream, 1);

  s->element = element;
  s->intervals = g_array_ref (intervals);
  s->starting_frame = starting_frame;
  s->print = print;
  s->stats = g_array_new (FALSE, TRUE, sizeof (Stats));
  g_mutex_lock (&lock);
  registry_add (s);
  g_mutex_unlock (&lock);
  return s;
}

void
ov_fps_stream_rejoin (OvFpsStream *s)
{
  g_mutex_lock (&lock);
  if (!s->in_registry)
    registry_add (s);
  g_mutex_unlock (&lock);
}

static gdouble
std_dev (const Stats *s)
{
  gdouble mean, var;
  if (s->n_intervals < 2)
    return 0.0;
  mean = s->sum / s->n_intervals;
  var = (s->sum_sq - s->n_intervals * mean * mean) / (s->n_intervals - 1);
  return sqrt (MAX (var, 0.0));
}

/* The std dev or latency line of `window`: pooled over the counting
 * streams, then each in brackets when there are several. */
static void
print_stats (OvFpsPrint what, guint window)
{
  Stats all = { 0 };
  guint n = 0;

  for (guint i = 0; i < streams->len; i++) {
    OvFpsStream *s = g_ptr_array_index (streams, i);
    const Stats *st = &g_array_index (s->stats, Stats, window);
    if (!s->counting)
      continue;
    all.n_intervals += st->n_intervals;
    all.sum += st->sum;
    all.sum_sq += st->sum_sq;
    all.n_latencies += st->n_latencies;
    all.sum_latency += st->sum_latency;
    n++;
  }
  if (what == OV_FPS_PRINT_LATENCY && all.n_latencies == 0)
    return;
  if (what == OV_FPS_PRINT_STD_DEV)
    printf ("\nstd dev interval: %.2fms", std_dev (&all));
  else
    printf ("\nlatency: %.2fms", all.sum_latency / all.n_latencies);
  if (n > 1) {
    const char *sep = " (";
    for (guint i = 0; i < streams->len; i++) {
      OvFpsStream *s = g_ptr_array_index (streams, i);
      const Stats *st = &g_array_index (s->stats, Stats, window);
      if (!s->counting)
        continue;
      printf ("%s%.2f", sep, what == OV_FPS_PRINT_STD_DEV ? std_dev (st)
          : st->n_latencies ? st->sum_latency / st->n_latencies : 0.0);
      sep = ", ";
    }
    printf (")");
  }
}

/* Prints one line in DL Streamer's shape; `kind` is last, average or
 * overall. Under the lock, so lines from several streams never mix. */
static void
print_line (const char *kind, gdouble seconds, guint window)
{
  OvFpsPrint print = 0;

  guint64 total = 0;
  guint n = 0;

  for (guint i = 0; i < streams->len; i++) {
    OvFpsStream *s = g_ptr_array_index (streams, i);
    if (s->counting) {
      total += g_array_index (s->stats, Stats, window).frames;
      print |= s->print;
      n++;
    }
  }
  if (n == 0 || seconds <= 0.0)
    return;
  printf ("FpsCounter(%s %.2fsec): total=%.2f fps, number-streams=%u, "
      "per-stream=%.2f fps", kind, seconds, total / seconds, n,
      total / seconds / n);
  if (n > 1) {
    const char *sep = " (";
    for (guint i = 0; i < streams->len; i++) {
      OvFpsStream *s = g_ptr_array_index (streams, i);
      if (s->counting) {
        printf ("%s%.2f", sep, g_array_index (s->stats, Stats, window).frames
            / seconds);
        sep = ", ";
      }
    }
    printf (")");
  }
  if (print & OV_FPS_PRINT_STD_DEV)
    print_stats (OV_FPS_PRINT_STD_DEV, window);
  if (print & OV_FPS_PRINT_LATENCY)
    print_stats (OV_FPS_PRINT_LATENCY, window);
  printf ("\n");
  fflush (stdout);
}

static void
report (guint k, GstClockTime now, GArray *posts)
{
  Window *w = &g_array_index (windows, Window, k);
  gdouble seconds = (gdouble) (now - w->start) / GST_SECOND;
  guint64 total = 0;
  guint n = 0;

  print_line (w->cumulative ? "average" : "last", seconds, k);
  w->last_report = now;
  if (w->cumulative)
    return;
  for (guint i = 0; i < streams->len; i++) {
    OvFpsStream *s = g_ptr_array_index (streams, i);
    if (s->counting) {
      total += g_array_index (s->stats, Stats, k).frames;
      n++;
    }
  }
  for (guint i = 0; i < streams->len; i++) {
    OvFpsStream *s = g_ptr_array_index (streams, i);
    guint64 frames = g_array_index (s->stats, Stats, k).frames;
    if (s->counting) {
      /* A reference: the message is posted after the lock is released,
       * when that element may be stopping. */
      Post p = { gst_object_ref (s->element), frames / seconds, seconds,
        total / seconds, frames, n };
      g_array_append_val (posts, p);
    }
  }
  restart_window (k, now);
}

static void
post_reports (GArray *posts)
{
  for (guint i = 0; i < posts->len; i++) {
    Post *p = &g_array_index (posts, Post, i);
    GstStructure *s = gst_structure_new ("ovfpscounter",
        "fps", G_TYPE_DOUBLE, p->fps,
        "frames", G_TYPE_UINT64, p->frames,
        "interval", G_TYPE_DOUBLE, p->seconds,
        "total-fps", G_TYPE_DOUBLE, p->total_fps,
        "number-streams", G_TYPE_UINT, p->n_streams, NULL);
    gst_element_post_message (p->element,
        gst_message_new_element (GST_OBJECT (p->element), s));
    gst_object_unref (p->element);
  }
}

void
ov_fps_stream_frame (OvFpsStream *s, GstClockTime now, gdouble latency_ms)
{
  GArray *posts = NULL;
  gboolean first = FALSE;

  g_mutex_lock (&lock);
  if (!s->in_registry || ++s->seen <= s->starting_frame) {
    g_mutex_unlock (&lock);
    return;
  }
  now = MAX (now, latest);
  latest = now;
  if (!s->counting) {
    /* A new stream: the average restarts for the new set, as DL
     * Streamer's does. Its first frame marks time zero. */
    s->counting = TRUE;
    s->first = s->last = now;
    first = TRUE;
    restart_window (0, now);
  } else {
    s->last = now;
    s->frames_after_first++;
  }
  for (guint k = 0; k < windows->len; k++) {
    Window *w = &g_array_index (windows, Window, k);
    Stats *st = &g_array_index (s->stats, Stats, k);
    if (w->start == GST_CLOCK_TIME_NONE)
      w->start = w->last_report = now;
    else if (!(k == 0 && first))
      st->frames++;
    if (s->previous != GST_CLOCK_TIME_NONE) {
      gdouble ms = (gdouble) (now - s->previous) / GST_MSECOND;
      st->n_intervals++;
      st->sum += ms;
      st->sum_sq += ms * ms;
    }
    if (!isnan (latency_ms)) {
      st->n_latencies++;
      st->sum_latency += latency_ms;
    }
  }
  s->previous = now;
  /* The "last" lines first, then the average, as DL Streamer prints. */
  for (guint i = 1; i <= windows->len; i++) {
    guint k = i % windows->len;
    Window *w = &g_array_index (windows, Window, k);
    if ((gdouble) (now - w->last_report) >= w->interval * GST_SECOND) {
      if (posts == NULL)
        posts = g_array_new (FALSE, FALSE, sizeof (Post));
      report (k, now, posts);
    }
  }
  g_mutex_unlock (&lock);
  if (posts) {
    post_reports (posts);
    g_array_unref (posts);
  }
}

void
ov_fps_stream_eos (OvFpsStream *s, GstClockTime now)
{
  g_mutex_lock (&lock);
  if (s->in_registry) {
    Window *avg = &g_array_index (windows, Window, 0);
    gdouble seconds;

    now = MAX (now, latest);
    seconds = avg->start == GST_CLOCK_TIME_NONE ? 0.0
        : (gdouble) (now - avg->start) / GST_SECOND;
    /* Like DL Streamer, no figure from less than a tenth of a second: a
     * stream that ends right after another has no meaningful average. */
    if (s->counting && seconds >= MIN_EOS_SECONDS)
      print_line ("overall", seconds, 0);
    registry_remove (s, now);
  }
  g_mutex_unlock (&lock);
}

gdouble
ov_fps_stream_get_avg_fps (OvFpsStream *s)
{
  gdouble fps = 0.0;

  g_mutex_lock (&lock);
  if (s->frames_after_first > 0 && s->last > s->first)
    fps = s->frames_after_first / ((gdouble) (s->last - s->first) / GST_SECOND);
  g_mutex_unlock (&lock);
  return fps;
}

void
ov_fps_stream_leave (OvFpsStream *s)
{
  g_mutex_lock (&lock);
  if (s->in_registry)
    registry_remove (s, latest);
  g_mutex_unlock (&lock);
  g_array_unref (s->intervals);
  g_array_unref (s->stats);
  g_free (s);
}
