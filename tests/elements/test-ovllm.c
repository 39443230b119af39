/* ovllm: streamed answers with their end marker, timestamps, chat history,
 * stop strings, generation-config, cancellation by flush, state changes
 * and EOS while generating, error messages; analytics mode: frames pass
 * while a generation runs, the answer on a later frame, in ovmetaconvert's
 * JSON and on text_src; the prompt template and generation-config parsers.
 *
 * The model (tests/models/make-ovllm-model.py) has random weights: its
 * answers are arbitrary text, so the tests check structure and the
 * relations between runs (same seed, same answer; a stop string cuts the
 * same answer short), never words. */
#include "ovtest.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <unistd.h>

#include "gstovmeta.h"
#include "gstovllm.h"
#include "ovllm-config.h"
#include "ovllm-prompt.h"

#define TEXT_CAPS "text/x-raw,format=utf8"

static const char *
model (void)
{
  return ov_test_model ("ovllm-tiny.gguf");
}

/* A harness around the ovllm element itself (h->element is the element,
 * for its properties and for a second harness on text_src). */
static GstHarness *
llm_harness (const char *launch)
{
  GstElement *e = gst_parse_launch (launch, NULL);
  GstHarness *h;

  g_assert_nonnull (e);
  g_assert_cmpstr (GST_OBJECT_NAME (gst_element_get_factory (e)), ==, "ovllm");
  h = gst_harness_new_with_element (e, "sink", "src");
  gst_object_unref (e);
  return h;
}

static GstHarness *
text_harness (const char *extra)
{
  char *launch = g_strdup_printf ("ovllm model=%s seed=7 %s", model (),
      extra ? extra : "");
  GstHarness *h = llm_harness (launch);
  g_free (launch);
  gst_harness_set_src_caps_str (h, TEXT_CAPS);
  return h;
}

static GstBuffer *
text_buffer (const char *text, GstClockTime pts)
{
  GstBuffer *buf = gst_buffer_new_memdup (text, strlen (text));
  GST_BUFFER_PTS (buf) = pts;
  return buf;
}

/* One answer as it arrived: its chunks and the end event. */
typedef struct {
  GString *text;
  guint n_chunks;
  GstStructure *end;
} Answer;

static void
answer_clear (Answer *a)
{
  g_string_free (a->text, TRUE);
  if (a->end)
    gst_structure_free (a->end);
}

/* The next custom event named `name` (others are dropped). */
static GstStructure *
pull_custom_event (GstHarness *h, const char *name)
{
  GstEvent *ev;
  while ((ev = gst_harness_pull_event (h))) {
    const GstStructure *s = gst_event_get_structure (ev);
    if (GST_EVENT_TYPE (ev) == GST_EVENT_CUSTOM_DOWNSTREAM && s
        && gst_structure_has_name (s, name)) {
      GstStructure *copy = gst_structure_copy (s);
      gst_event_unref (ev);
      return copy;
    }
    gst_event_unref (ev);
  }
  return NULL;
}

/* Pulls one answer's chunks up to the marked one, checking each chunk's
 * timestamp and offset, then its end event. */
static void
pull_answer (GstHarness *h, GstClockTime pts, Answer *a)
{
  a->text = g_string_new (NULL);
  a->n_chunks = 0;
  for (;;) {
    GstBuffer *buf = gst_harness_pull (h);
    GstMapInfo map;
    gboolean last;
    g_assert_nonnull (buf);
    g_assert_cmpuint (GST_BUFFER_PTS (buf), ==, pts);
    g_assert_false (GST_BUFFER_DURATION_IS_VALID (buf));
    g_assert_cmpuint (GST_BUFFER_OFFSET (buf), ==, a->n_chunks);
    g_assert_true (gst_buffer_map (buf, &map, GST_MAP_READ));
    g_string_append_len (a->text, (const char *) map.data, map.size);
    gst_buffer_unmap (buf, &map);
    last = GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_MARKER);
    gst_buffer_unref (buf);
    a->n_chunks++;
    if (last)
      break;
  }
  g_assert_true (g_utf8_validate (a->text->str, a->text->len, NULL));
  a->end = pull_custom_event (h, GST_OV_LLM_ANSWER_END);
  g_assert_nonnull (a->end);
}

static guint
end_uint (const GstStructure *end, const char *field)
{
  const GstStructure *m;
  guint v = 0;
  g_assert_true (gst_structure_get (end, "metrics", GST_TYPE_STRUCTURE, &m,
          NULL));
  g_assert_true (gst_structure_get_uint (m, field, &v));
  gst_structure_free ((GstStructure *) m);
  return v;
}

/* ---- text mode ---------------------------------------------------------- */

static void
test_text_stream (void)
{
  GstHarness *h = text_harness ("max-new-tokens=12 ignore-eos=true");
  Answer a, b;
  guint64 chunks, ts;

  g_assert_cmpint (gst_harness_push (h, text_buffer ("Hello, who are you?\n",
              5 * GST_SECOND)), ==, GST_FLOW_OK);
  pull_answer (h, 5 * GST_SECOND, &a);
  /* Streamed: one buffer per piece of text, not one per answer. */
  g_assert_cmpuint (a.n_chunks, >=, 2);
  g_assert_cmpstr (gst_structure_get_string (a.end, "answer"), ==,
      a.text->str);
  /* The trailing line break is not part of the prompt. */
  g_assert_cmpstr (gst_structure_get_string (a.end, "prompt"), ==,
      "Hello, who are you?");
  g_assert_cmpstr (gst_structure_get_string (a.end, "stop_reason"), ==,
      "max-new-tokens");
  g_assert_true (gst_structure_get_uint64 (a.end, "chunks", &chunks));
  g_assert_cmpuint (chunks, ==, a.n_chunks);
  g_assert_true (gst_structure_get_uint64 (a.end, "timestamp", &ts));
  g_assert_cmpuint (ts, ==, 5 * GST_SECOND);
  g_assert_cmpuint (end_uint (a.end, "num_generated_tokens"), ==, 12);
  g_assert_cmpuint (end_uint (a.end, "num_input_tokens"), >, 3);

  /* The next prompt: offsets start again, its own timestamp. */
  g_assert_cmpint (gst_harness_push (h, text_buffer ("And then?",
              6 * GST_SECOND)), ==, GST_FLOW_OK);
  pull_answer (h, 6 * GST_SECOND, &b);
  g_assert_cmpstr (gst_structure_get_string (b.end, "prompt"), ==,
      "And then?");
  /* An empty prompt is no prompt. */
  g_assert_cmpint (gst_harness_push (h, text_buffer ("\n", 0)), ==,
      GST_FLOW_OK);
  g_assert_null (gst_harness_try_pull (h));
  answer_clear (&a);
  answer_clear (&b);
  gst_harness_teardown (h);
}

static char *
answer_once (const char *extra, const char *prompt, GstStructure **end)
{
  GstHarness *h = text_harness (extra);
  Answer a;
  char *text;

  g_assert_cmpint (gst_harness_push (h, text_buffer (prompt, 0)), ==,
      GST_FLOW_OK);
  pull_answer (h, 0, &a);
  text = g_strdup (a.text->str);
  if (end)
    *end = gst_structure_copy (a.end);
  answer_clear (&a);
  gst_harness_teardown (h);
  return text;
}

static void
test_seed (void)
{
  char *a = answer_once ("max-new-tokens=16 ignore-eos=true seed=3", "Hi",
      NULL);
  char *b = answer_once ("max-new-tokens=16 ignore-eos=true seed=3", "Hi",
      NULL);
  g_assert_cmpstr (a, ==, b);
  g_assert_cmpuint (strlen (a), >, 0);
  g_free (a);
  g_free (b);
}

/* A stop string cuts the same answer short where it first occurs. */
static void
test_stop_property (void)
{
  const char *opts = "max-new-tokens=24 ignore-eos=true seed=5";
  char *full = answer_once (opts, "Count to ten", NULL);
  glong n = g_utf8_strlen (full, -1);
  char *stop = g_utf8_substring (full, n / 2, n / 2 + 1);
  const char *at = strstr (full, stop);
  GstHarness *h = text_harness (opts);
  GValue arr = G_VALUE_INIT, v = G_VALUE_INIT;
  Answer a;

  g_assert_cmpint (n, >=, 2);
  g_value_init (&arr, GST_TYPE_ARRAY);
  g_value_init (&v, G_TYPE_STRING);
  g_value_set_string (&v, stop);
  gst_value_array_append_value (&arr, &v);
  g_object_set_property (G_OBJECT (h->element), "stop", &arr);
  g_value_unset (&arr);
  g_object_get_property (G_OBJECT (h->element), "stop",
      g_value_init (&arr, GST_TYPE_ARRAY));
  g_assert_cmpuint (gst_value_array_get_size (&arr), ==, 1);
  g_assert_cmpstr (g_value_get_string (gst_value_array_get_value (&arr, 0)),
      ==, stop);
  g_value_unset (&arr);
  g_value_unset (&v);

  g_assert_cmpint (gst_harness_push (h, text_buffer ("Count to ten", 0)), ==,
      GST_FLOW_OK);
  pull_answer (h, 0, &a);
  g_assert_cmpint (a.text->len, ==, at - full);
  g_assert_true (strncmp (a.text->str, full, at - full) == 0);
  g_assert_cmpstr (gst_structure_get_string (a.end, "stop_reason"), ==,
      "stop");
  answer_clear (&a);
  gst_harness_teardown (h);
  g_free (stop);
  g_free (full);
}

/* gvagenai's keys override the properties. */
static void
test_generation_config (void)
{
  GstStructure *end;
  char *a, *b, *full, *extra, *cut;
  const char *at = NULL;

  /* do_sample=false is greedy: the seed no longer matters. */
  a = answer_once ("max-new-tokens=40 generation-config="
      "\"max_new_tokens=6,ignore_eos=true,do_sample=false,rng_seed=1\"",
      "Hello", &end);
  g_assert_cmpuint (end_uint (end, "num_generated_tokens"), ==, 6);
  g_assert_cmpstr (gst_structure_get_string (end, "stop_reason"), ==,
      "max-new-tokens");
  gst_structure_free (end);
  b = answer_once ("generation-config=\"max_new_tokens=6,ignore_eos=true,"
      "do_sample=false,rng_seed=99\"", "Hello", NULL);
  g_assert_cmpstr (a, ==, b);
  g_free (a);
  g_free (b);

  /* stop_strings: a letter or digit from the second half of the answer. */
  full = answer_once ("generation-config=\"max_new_tokens=24,"
      "ignore_eos=true,do_sample=false\"", "Hello", NULL);
  for (gsize i = strlen (full) / 2; full[i] && at == NULL; i++)
    if (g_ascii_isalnum (full[i]))
      at = strchr (full, full[i]);
  if (at == NULL) {
    g_test_message ("no ASCII letter in the answer to stop at: %s", full);
    g_free (full);
    return;
  }
  extra = g_strdup_printf ("generation-config=\"max_new_tokens=24,"
      "ignore_eos=true,do_sample=false,stop_strings=%c;@@@\"", *at);
  cut = answer_once (extra, "Hello", &end);
  g_assert_cmpint (strlen (cut), ==, at - full);
  g_assert_true (strncmp (cut, full, at - full) == 0);
  g_assert_cmpstr (gst_structure_get_string (end, "stop_reason"), ==,
      "stop");
  gst_structure_free (end);
  g_free (cut);
  g_free (extra);
  g_free (full);
}

static void
test_chat_history (void)
{
  for (int chat = 0; chat < 2; chat++) {
    GstHarness *h = text_harness (chat ? "chat=true max-new-tokens=8 "
        "ignore-eos=true" : "chat=false max-new-tokens=8 ignore-eos=true");
    Answer a, b;
    g_assert_cmpint (gst_harness_push (h, text_buffer ("hello", 0)), ==,
        GST_FLOW_OK);
    pull_answer (h, 0, &a);
    g_assert_cmpint (gst_harness_push (h, text_buffer ("hello", 0)), ==,
        GST_FLOW_OK);
    pull_answer (h, 0, &b);
    /* With history the second prompt holds the first turn too. */
    if (chat)
      g_assert_cmpuint (end_uint (b.end, "num_input_tokens"), >,
          end_uint (a.end, "num_input_tokens") + 4);
    else
      g_assert_cmpuint (end_uint (b.end, "num_input_tokens"), ==,
          end_uint (a.end, "num_input_tokens"));
    answer_clear (&a);
    answer_clear (&b);
    gst_harness_teardown (h);
  }
}

static void
test_split_lines (void)
{
  GstHarness *h = text_harness ("split-lines=true max-new-tokens=3 "
      "ignore-eos=true");
  const char *expected[] = { "first", "second part", "last" };
  GstEvent *ev;
  guint n = 0;
  gboolean eos = FALSE;

  gst_harness_push (h, text_buffer ("first\nsecond", 0));
  gst_harness_push (h, text_buffer (" part\r\n\n", 0));
  gst_harness_push (h, text_buffer ("last", 0));
  gst_harness_push_event (h, gst_event_new_eos ());
  while ((ev = gst_harness_try_pull_event (h))) {
    const GstStructure *s = gst_event_get_structure (ev);
    if (s && gst_structure_has_name (s, GST_OV_LLM_ANSWER_END)) {
      g_assert_cmpuint (n, <, 3);
      g_assert_cmpstr (gst_structure_get_string (s, "prompt"), ==,
          expected[n]);
      n++;
    }
    if (GST_EVENT_TYPE (ev) == GST_EVENT_EOS) {
      g_assert_cmpuint (n, ==, 3);
      eos = TRUE;
    }
    gst_event_unref (ev);
  }
  g_assert_true (eos);
  g_assert_cmpuint (gst_harness_buffers_received (h), >=, 3);
  gst_harness_teardown (h);
}

/* append-newline: the marked buffer ends with a line break the answer
 * itself (in the end event) does not have. */
static void
test_append_newline (void)
{
  GstHarness *h = text_harness ("max-new-tokens=4 ignore-eos=true "
      "append-newline=true");
  Answer a;

  gst_harness_push (h, text_buffer ("One line please", 0));
  pull_answer (h, 0, &a);
  g_assert_true (g_str_has_suffix (a.text->str, "\n"));
  g_assert_cmpint (strlen (gst_structure_get_string (a.end, "answer")), ==,
      a.text->len - 1);
  g_assert_true (strncmp (gst_structure_get_string (a.end, "answer"),
          a.text->str, a.text->len - 1) == 0);
  answer_clear (&a);
  gst_harness_teardown (h);
}

/* ---- cancellation, EOS, states ------------------------------------------ */

typedef struct {
  GstHarness *h;
  const char *prompt;
  GstFlowReturn flow;
} PushJob;

static gpointer
push_thread (gpointer data)
{
  PushJob *job = data;
  job->flow = gst_harness_push (job->h, text_buffer (job->prompt, 0));
  return NULL;
}

/* Holds the element's first chunk in a probe until released. */
typedef struct {
  GMutex lock;
  GCond cond;
  guint chunks;
  gboolean release;
} Gate;

static GstPadProbeReturn
gate_probe (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  Gate *g = data;
  g_mutex_lock (&g->lock);
  g->chunks++;
  g_cond_broadcast (&g->cond);
  while (!g->release)
    g_cond_wait (&g->cond, &g->lock);
  g_mutex_unlock (&g->lock);
  return GST_PAD_PROBE_OK;
}

static void
test_flush_cancels (void)
{
  GstHarness *h = text_harness ("max-new-tokens=400 ignore-eos=true");
  GstPad *src = gst_element_get_static_pad (h->element, "src");
  Gate g = { 0 };
  PushJob job = { h, "Write a very long text", GST_FLOW_OK };
  GThread *t;
  gulong probe;
  Answer a;

  g_mutex_init (&g.lock);
  g_cond_init (&g.cond);
  probe = gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER, gate_probe, &g,
      NULL);
  t = g_thread_new ("push", push_thread, &job);
  g_mutex_lock (&g.lock);
  while (g.chunks == 0)
    g_cond_wait (&g.cond, &g.lock);
  g_mutex_unlock (&g.lock);
  /* Generating, its first chunk held downstream: flush. */
  g_assert_true (gst_harness_push_event (h, gst_event_new_flush_start ()));
  g_mutex_lock (&g.lock);
  g.release = TRUE;
  g_cond_broadcast (&g.cond);
  g_mutex_unlock (&g.lock);
  g_thread_join (t);
  g_assert_cmpint (job.flow, ==, GST_FLOW_FLUSHING);
  /* Stopped at once, far from 400 tokens. */
  g_assert_cmpuint (g.chunks, <=, 3);
  gst_pad_remove_probe (src, probe);
  g_assert_true (gst_harness_push_event (h, gst_event_new_flush_stop (TRUE)));
  while (gst_harness_try_pull_event (h) != NULL)
    ;
  {
    GstSegment seg;
    gst_segment_init (&seg, GST_FORMAT_TIME);
    gst_harness_push_event (h, gst_event_new_segment (&seg));
  }
  /* The next prompt gets its whole answer. */
  g_object_set (h->element, "max-new-tokens", 5, NULL);
  g_assert_cmpint (gst_harness_push (h, text_buffer ("Again", GST_SECOND)),
      ==, GST_FLOW_OK);
  pull_answer (h, GST_SECOND, &a);
  g_assert_cmpuint (end_uint (a.end, "num_generated_tokens"), ==, 5);
  answer_clear (&a);
  gst_object_unref (src);
  gst_harness_teardown (h);
  g_mutex_clear (&g.lock);
  g_cond_clear (&g.cond);
}

static void
gate_wait_chunk (Gate *g)
{
  g_mutex_lock (&g->lock);
  while (g->chunks == 0)
    g_cond_wait (&g->cond, &g->lock);
  g_mutex_unlock (&g->lock);
}

static gpointer
gate_release_later (gpointer data)
{
  Gate *g = data;
  /* Long enough for the other thread to be waiting on the element. */
  g_usleep (100000);
  g_mutex_lock (&g->lock);
  g->release = TRUE;
  g_cond_broadcast (&g->cond);
  g_mutex_unlock (&g->lock);
  return NULL;
}

/* EOS while an answer is being generated (its first chunk held
 * downstream): the answer ends first, then its end event, then EOS. */
static void
test_eos_in_flight (void)
{
  GstHarness *h = text_harness ("max-new-tokens=64 ignore-eos=true");
  GstPad *src = gst_element_get_static_pad (h->element, "src");
  PushJob job = { h, "Describe the sea", GST_FLOW_OK };
  Gate g = { 0 };
  GThread *t, *releaser;
  GstEvent *ev;
  GstStructure *end = NULL;
  gboolean eos = FALSE;
  guint64 chunks;
  gulong probe;

  g_mutex_init (&g.lock);
  g_cond_init (&g.cond);
  probe = gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER, gate_probe, &g,
      NULL);
  t = g_thread_new ("push", push_thread, &job);
  gate_wait_chunk (&g);
  releaser = g_thread_new ("release", gate_release_later, &g);
  /* Waits for the answer in progress. */
  g_assert_true (gst_harness_push_event (h, gst_event_new_eos ()));
  g_thread_join (t);
  g_thread_join (releaser);
  gst_pad_remove_probe (src, probe);
  g_assert_cmpint (job.flow, ==, GST_FLOW_OK);
  while ((ev = gst_harness_try_pull_event (h))) {
    const GstStructure *s = gst_event_get_structure (ev);
    if (s && gst_structure_has_name (s, GST_OV_LLM_ANSWER_END)) {
      g_assert_false (eos);
      end = gst_structure_copy (s);
    }
    if (GST_EVENT_TYPE (ev) == GST_EVENT_EOS) {
      g_assert_nonnull (end);
      eos = TRUE;
    }
    gst_event_unref (ev);
  }
  g_assert_true (eos);
  g_assert_cmpstr (gst_structure_get_string (end, "stop_reason"), ==,
      "max-new-tokens");
  g_assert_true (gst_structure_get_uint64 (end, "chunks", &chunks));
  g_assert_cmpuint (gst_harness_buffers_received (h), ==, chunks);
  g_assert_cmpuint (g.chunks, ==, chunks);
  gst_structure_free (end);
  gst_object_unref (src);
  gst_harness_teardown (h);
  g_mutex_clear (&g.lock);
  g_cond_clear (&g.cond);
}

static void
test_state_cycling (void)
{
  GstElement *e = gst_element_factory_make ("ovllm", NULL);
  g_object_set (e, "model", model (), NULL);
  for (int i = 0; i < OV_TEST_STATE_CYCLES; i++) {
    g_assert_cmpint (gst_element_set_state (e, GST_STATE_PLAYING), !=,
        GST_STATE_CHANGE_FAILURE);
    g_assert_cmpint (gst_element_set_state (e, GST_STATE_READY), ==,
        GST_STATE_CHANGE_SUCCESS);
    g_assert_cmpint (gst_element_set_state (e, GST_STATE_NULL), ==,
        GST_STATE_CHANGE_SUCCESS);
  }
  gst_object_unref (e);
}

/* Going to NULL while generating (a chunk held downstream) cancels and
 * joins; the element starts again afterwards. */
static void
test_stop_while_generating (void)
{
  GstHarness *h = text_harness ("max-new-tokens=0 ignore-eos=true");
  GstPad *src = gst_element_get_static_pad (h->element, "src");

  for (int i = 0; i < 3; i++) {
    PushJob job = { h, "Go on forever", GST_FLOW_OK };
    Gate g = { 0 };
    GThread *t, *releaser;
    gulong probe;
    Answer a;

    g_mutex_init (&g.lock);
    g_cond_init (&g.cond);
    probe = gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER, gate_probe,
        &g, NULL);
    t = g_thread_new ("push", push_thread, &job);
    gate_wait_chunk (&g);
    releaser = g_thread_new ("release", gate_release_later, &g);
    g_assert_cmpint (gst_element_set_state (h->element, GST_STATE_NULL), ==,
        GST_STATE_CHANGE_SUCCESS);
    g_thread_join (t);
    g_thread_join (releaser);
    gst_pad_remove_probe (src, probe);
    g_assert_cmpint (job.flow, ==, GST_FLOW_FLUSHING);
    g_assert_cmpuint (g.chunks, <=, 3);
    g_mutex_clear (&g.lock);
    g_cond_clear (&g.cond);

    g_assert_cmpint (gst_element_set_state (h->element, GST_STATE_PLAYING),
        ==, GST_STATE_CHANGE_SUCCESS);
    /* The element forgot the stream when it stopped. */
    gst_harness_push_event (h, gst_event_new_stream_start ("again"));
    gst_harness_set_src_caps_str (h, TEXT_CAPS);
    {
      GstSegment seg;
      gst_segment_init (&seg, GST_FORMAT_TIME);
      gst_harness_push_event (h, gst_event_new_segment (&seg));
    }
    g_object_set (h->element, "max-new-tokens", 3, NULL);
    g_assert_cmpint (gst_harness_push (h, text_buffer ("Short", 0)), ==,
        GST_FLOW_OK);
    while (gst_harness_try_pull (h))
      ;
    a.end = pull_custom_event (h, GST_OV_LLM_ANSWER_END);
    g_assert_nonnull (a.end);
    g_assert_cmpuint (end_uint (a.end, "num_generated_tokens"), ==, 3);
    gst_structure_free (a.end);
    g_object_set (h->element, "max-new-tokens", 0, NULL);
  }
  gst_object_unref (src);
  gst_harness_teardown (h);
}

/* ---- errors ------------------------------------------------------------- */

static void
expect_error (const char *props, const char *needle)
{
  char *launch = g_strdup_printf ("ovllm %s", props);
  GstElement *e = gst_parse_launch (launch, NULL);
  char *msg;

  g_assert_nonnull (e);
  msg = ov_test_expect_start_error (e);
  g_assert_nonnull (msg);
  if (strstr (msg, needle) == NULL)
    g_error ("expected '%s' in the error, got: %s", needle, msg);
  g_free (msg);
  g_free (launch);
  gst_object_unref (e);
}

static void
test_errors (void)
{
  char *not_gguf, *prompt_file, *p;
  GError *error = NULL;
  int fd = g_file_open_tmp ("ovllm-XXXXXX.gguf", &not_gguf, &error);

  g_assert_no_error (error);
  g_assert_true (write (fd, "this is not a model\n", 20) == 20);
  close (fd);
  fd = g_file_open_tmp ("ovllm-prompt-XXXXXX.txt", &prompt_file, &error);
  g_assert_no_error (error);
  close (fd);

  expect_error ("", "No model");
  expect_error ("model=/nonexistent/model.gguf", "not found");
  expect_error ("model-path=/nonexistent/model.gguf", "not found");
  p = g_strdup_printf ("model=%s", not_gguf);
  expect_error (p, "Cannot load model");
  g_free (p);
#define WITH_MODEL(extra, needle) do { \
    char *s = g_strdup_printf ("model=%s %s", model (), extra); \
    expect_error (s, needle); \
    g_free (s); \
  } while (0)
  WITH_MODEL ("device=GPU", "not available");
  WITH_MODEL ("generation-config=\"foo=1\"", "unknown key 'foo'");
  WITH_MODEL ("generation-config=\"num_beams=4\"", "num_beams=4");
  WITH_MODEL ("generation-config=\"max_length=20\"", "max_new_tokens");
  WITH_MODEL ("generation-config=\"temperature=hot\"", "temperature=hot");
  WITH_MODEL ("generation-config=\"top_p\"", "not KEY=VALUE");
  WITH_MODEL ("chat=true apply-chat-template=false", "chat template");
  WITH_MODEL ("prompt-path=/nonexistent/prompt.txt", "Cannot read");
  p = g_strdup_printf ("prompt=x prompt-path=%s", prompt_file);
  WITH_MODEL (p, "Both");
  g_free (p);
#undef WITH_MODEL
  g_unlink (not_gguf);
  g_unlink (prompt_file);
  g_free (not_gguf);
  g_free (prompt_file);
}

/* Video without a prompt: an error at negotiation, not a crash. */
static void
test_video_without_prompt (void)
{
  GstVideoInfo info;
  char *launch = g_strdup_printf ("ovllm model=%s", model ());
  GstHarness *h;
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;

  ov_test_video_info (&info, GST_VIDEO_FORMAT_GRAY8, 16, 16);
  h = llm_harness (launch);
  gst_element_set_bus (h->element, bus);
  gst_harness_set_src_caps (h, gst_video_info_to_caps (&info));
  g_assert_cmpint (gst_harness_push (h, ov_test_solid_frame (&info, 0, 0,
              0)), ==, GST_FLOW_NOT_NEGOTIATED);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  g_assert_nonnull (msg);
  {
    GError *err = NULL;
    gst_message_parse_error (msg, &err, NULL);
    g_assert_nonnull (strstr (err->message, "No prompt"));
    g_error_free (err);
  }
  gst_message_unref (msg);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
  g_free (launch);
}

static void
test_property_aliases (void)
{
  GstElement *e = gst_element_factory_make ("ovllm", NULL);
  gchar *s;
  gdouble d;

  g_object_set (e, "model-path", "/x/m.gguf", NULL);
  g_object_get (e, "model", &s, NULL);
  g_assert_cmpstr (s, ==, "/x/m.gguf");
  g_free (s);
  g_object_set (e, "frame-rate", 0.25, NULL);
  g_object_get (e, "interval", &d, NULL);
  g_assert_cmpfloat (d, ==, 4.0);
  g_object_set (e, "interval", 0.5, NULL);
  g_object_get (e, "frame-rate", &d, NULL);
  g_assert_cmpfloat (d, ==, 2.0);
  g_object_set (e, "frame-rate", 0.0, NULL);
  g_object_get (e, "interval", &d, NULL);
  g_assert_cmpfloat (d, ==, 0.0);
  gst_object_unref (e);
}

/* ---- analytics mode ----------------------------------------------------- */

#define FRAME_NS (GST_SECOND / 30)

static GstBuffer *
frame (const GstVideoInfo *info, guint i, gboolean with_person)
{
  GstBuffer *buf = ov_test_solid_frame (info, (guint8) i, (guint8) i,
      (guint8) i);
  GST_BUFFER_PTS (buf) = i * FRAME_NS;
  GST_BUFFER_DURATION (buf) = FRAME_NS;
  if (with_person) {
    int w = GST_VIDEO_INFO_WIDTH (info), hh = GST_VIDEO_INFO_HEIGHT (info);
    gst_ov_add_detection (buf, w, hh, 0, 0, w / 4.0, hh, 0.9, 0, "person");
    gst_ov_buffer_mark_detected (buf);
  }
  return buf;
}

static const GstStructure *
llm_result (GstBuffer *buf)
{
  gpointer state = NULL;
  GstMeta *m;
  while ((m = gst_buffer_iterate_meta_filtered (buf, &state,
              GST_OV_TENSOR_META_API_TYPE)))
    if (gst_structure_has_name (((GstOvTensorMeta *) m)->data,
            GST_OV_LLM_RESULT))
      return ((GstOvTensorMeta *) m)->data;
  return NULL;
}

/* Frames pass, unchanged and at once, while the model generates; the
 * answer rides a later frame and goes out on text_src. */
static void
test_analytics_passthrough (void)
{
  GstVideoInfo info;
  char *launch = g_strdup_printf ("ovllm model=%s interval=0 "
      "max-new-tokens=0 ignore-eos=true metrics=true "
      "prompt=\"Seen: {counts}; {objects}\"", model ());
  GstHarness *h, *text;
  GstBuffer *out, *in, *text_buf;
  const GstStructure *res = NULL;
  guint64 skipped, ts;
  guint i;
  GstMapInfo map;

  ov_test_video_info (&info, GST_VIDEO_FORMAT_GRAY8, 32, 24);
  h = llm_harness (launch);
  text = gst_harness_new_with_element (h->element, NULL, "text_src");
  gst_harness_set_src_caps (h, gst_video_info_to_caps (&info));
  /* Frame 0 starts a generation running to the end of the context. */
  for (i = 0; i < 20; i++) {
    in = frame (&info, i, TRUE);
    gst_buffer_ref (in);
    g_assert_cmpint (gst_harness_push (h, in), ==, GST_FLOW_OK);
    out = gst_harness_pull (h);
    /* The very buffer, its pixels untouched. */
    g_assert_true (out == in);
    gst_buffer_unref (in);
    g_assert_true (gst_buffer_map (out, &map, GST_MAP_READ));
    g_assert_cmpuint (map.data[0], ==, i);
    gst_buffer_unmap (out, &map);
    g_assert_null (llm_result (out));
    gst_buffer_unref (out);
  }
  /* Every frame after the first came while it was still answering. */
  g_object_get (h->element, "generations-skipped", &skipped, NULL);
  g_assert_cmpuint (skipped, ==, 19);
  g_object_set (h->element, "interval", 1000.0, NULL);
  /* The answer comes on some later frame. */
  for (; i < 100000 && res == NULL; i++) {
    out = gst_harness_push_and_pull (h, frame (&info, i, FALSE));
    res = llm_result (out);
    if (res) {
      const GstStructure *m;
      guint n;
      g_assert_cmpstr (gst_structure_get_string (res, "prompt"), ==,
          "Seen: 1 person; person (0.90) at left");
      g_assert_nonnull (gst_structure_get_string (res, "result"));
      g_assert_cmpstr (gst_structure_get_string (res, "model_name"), ==,
          "ovllm-tiny.gguf");
      g_assert_true (gst_structure_get_uint64 (res, "timestamp", &ts));
      g_assert_cmpuint (ts, ==, 0);
      g_assert_true (gst_structure_get (res, "metrics", GST_TYPE_STRUCTURE,
              &m, NULL));
      g_assert_true (gst_structure_get_uint (m, "num_generated_tokens", &n));
      g_assert_cmpuint (n, >, 0);
      gst_structure_free ((GstStructure *) m);
      /* The same text on text_src, with this frame's time. */
      text_buf = gst_harness_pull (text);
      g_assert_nonnull (text_buf);
      g_assert_cmpuint (GST_BUFFER_PTS (text_buf), ==, GST_BUFFER_PTS (out));
      g_assert_true (GST_BUFFER_FLAG_IS_SET (text_buf,
              GST_BUFFER_FLAG_MARKER));
      g_assert_true (gst_buffer_map (text_buf, &map, GST_MAP_READ));
      g_assert_cmpmem (map.data, map.size,
          gst_structure_get_string (res, "result"),
          strlen (gst_structure_get_string (res, "result")));
      gst_buffer_unmap (text_buf, &map);
      gst_buffer_unref (text_buf);
    } else {
      g_usleep (1000);
    }
    gst_buffer_unref (out);
  }
  g_assert_nonnull (res);
  /* text_src is text, started with its own stream. */
  {
    GstCaps *caps = gst_pad_get_current_caps (text->sinkpad);
    g_assert_true (gst_structure_has_name (gst_caps_get_structure (caps, 0),
            "text/x-raw"));
    gst_caps_unref (caps);
  }
  gst_harness_teardown (text);
  gst_harness_teardown (h);
  g_free (launch);
}

/* ovmetaconvert writes the answer as gvagenai's "result" and "metrics". */
static void
test_analytics_json (void)
{
  GstVideoInfo info;
  char *launch = g_strdup_printf ("ovllm model=%s interval=0 "
      "max-new-tokens=4 ignore-eos=true metrics=true prompt=\"{counts}\" ! "
      "ovmetaconvert", model ());
  GstHarness *h;
  GstOvJsonMeta *jm = NULL;
  guint i;

  ov_test_video_info (&info, GST_VIDEO_FORMAT_GRAY8, 32, 24);
  h = gst_harness_new_parse (launch);
  gst_harness_set_src_caps (h, gst_video_info_to_caps (&info));
  for (i = 0; i < 100000 && jm == NULL; i++) {
    GstBuffer *out = gst_harness_push_and_pull (h, frame (&info, i, i == 0));
    jm = gst_buffer_get_ov_json_meta (out);
    if (jm && strstr (jm->message, "\"result\"")) {
      JsonParser *p = json_parser_new ();
      JsonObject *root, *metrics, *llm;
      g_assert_true (json_parser_load_from_data (p, jm->message, -1, NULL));
      root = json_node_get_object (json_parser_get_root (p));
      g_assert_true (json_object_has_member (root, "result"));
      metrics = json_object_get_object_member (root, "metrics");
      g_assert_nonnull (metrics);
      g_assert_cmpint (json_object_get_int_member (metrics,
              "num_generated_tokens"), ==, 4);
      g_assert_true (json_object_has_member (metrics, "ttft_mean"));
      g_assert_true (json_object_has_member (metrics, "throughput_mean"));
      g_assert_cmpuint (json_array_get_length (json_object_get_array_member
              (root, "llm")), ==, 1);
      llm = json_array_get_object_element (json_object_get_array_member (root,
              "llm"), 0);
      g_assert_cmpstr (json_object_get_string_member (llm, "prompt"), ==,
          "1 person");
      g_assert_cmpstr (json_object_get_string_member (llm, "result"), ==,
          json_object_get_string_member (root, "result"));
      g_assert_cmpstr (json_object_get_string_member (llm, "stop_reason"),
          ==, "max-new-tokens");
      /* Not a tensor. */
      g_assert_false (json_object_has_member (root, "tensors"));
      g_object_unref (p);
    } else {
      jm = NULL;
      g_usleep (1000);
    }
    gst_buffer_unref (out);
  }
  g_assert_nonnull (jm);
  gst_harness_teardown (h);
  g_free (launch);
}

/* EOS while answering: the answer still goes out on text_src, before its
 * EOS. A prompt change is answered on the next frame. */
static void
test_analytics_eos_and_prompt_change (void)
{
  GstVideoInfo info;
  char *launch = g_strdup_printf ("ovllm model=%s interval=1000 "
      "max-new-tokens=200 ignore-eos=true prompt=\"{count} objects\"",
      model ());
  GstHarness *h, *text;
  GstBuffer *out;
  GstEvent *ev;
  gboolean eos = FALSE;

  ov_test_video_info (&info, GST_VIDEO_FORMAT_GRAY8, 32, 24);
  h = llm_harness (launch);
  text = gst_harness_new_with_element (h->element, NULL, "text_src");
  gst_harness_set_src_caps (h, gst_video_info_to_caps (&info));
  /* The interval is far: nothing is asked ... */
  out = gst_harness_push_and_pull (h, frame (&info, 0, TRUE));
  gst_buffer_unref (out);
  g_usleep (20000);
  out = gst_harness_push_and_pull (h, frame (&info, 1, TRUE));
  g_assert_null (llm_result (out));
  gst_buffer_unref (out);
  g_assert_cmpuint (gst_harness_buffers_received (text), ==, 0);
  /* ... until the prompt changes. */
  g_object_set (h->element, "prompt", "Now: {counts}", NULL);
  out = gst_harness_push_and_pull (h, frame (&info, 2, TRUE));
  gst_buffer_unref (out);
  g_assert_true (gst_harness_push_event (h, gst_event_new_eos ()));
  out = gst_harness_pull (text);
  g_assert_nonnull (out);
  g_assert_true (GST_BUFFER_FLAG_IS_SET (out, GST_BUFFER_FLAG_MARKER));
  gst_buffer_unref (out);
  while ((ev = gst_harness_try_pull_event (text))) {
    if (GST_EVENT_TYPE (ev) == GST_EVENT_EOS)
      eos = TRUE;
    gst_event_unref (ev);
  }
  g_assert_true (eos);
  gst_harness_teardown (text);
  gst_harness_teardown (h);
  g_free (launch);
}

/* ---- the prompt template ------------------------------------------------ */

static void
test_template (void)
{
  GstVideoInfo info;
  GstBuffer *buf;
  GstVideoRegionOfInterestMeta *roi;
  OvLlmScene *scene = ov_llm_scene_new ();
  GstStructure *ev;
  char *out;

  ov_test_video_info (&info, GST_VIDEO_FORMAT_GRAY8, 300, 300);
  buf = ov_test_solid_frame (&info, 0, 0, 0);
  gst_ov_add_detection (buf, 300, 300, 0, 100, 60, 200, 0.912, 0, "person");
  roi = gst_ov_add_detection (buf, 300, 300, 120, 120, 180, 180, 0.8, 1,
      "car");
  gst_ov_roi_set_object_id (roi, 4);
  roi = gst_ov_add_detection (buf, 300, 300, 220, 10, 290, 80, 0.75, 2,
      "face");
  gst_ov_roi_set_object_id (roi, 7);
  gst_video_region_of_interest_meta_add_param (roi,
      gst_ov_attribute_new ("identity", "Alice", 3, 0.9, "faces.db", NULL));
  gst_ov_add_detection (buf, 300, 300, 10, 250, 40, 290, 0.5, 0, "person");
  ev = gst_structure_new ("identity_event", "event", G_TYPE_STRING,
      "appeared", "person", G_TYPE_STRING, "Alice", NULL);
  gst_buffer_add_ov_tensor_meta (buf, ev);
  ov_llm_scene_add_frame (scene, buf, 300, 300);
  gst_buffer_unref (buf);

  out = ov_llm_scene_render (scene, "{objects}|{counts}|{identities}|"
      "{events}|{count}|{time}|{unknown} {json: 1}{", 3725 * GST_SECOND);
  g_assert_cmpstr (out, ==, "person (0.91) at left, car #4 (0.80) at center, "
      "face #7 \"Alice\" (0.75) at top right, person (0.50) at bottom left|"
      "2 person, 1 car, 1 face|Alice|Alice appeared|4|1:02:05|"
      "{unknown} {json: 1}{");
  g_free (out);

  /* A frame nobody looked at keeps the objects; identities and events
   * are the window's. */
  buf = ov_test_solid_frame (&info, 0, 0, 0);
  roi = gst_ov_add_detection (buf, 300, 300, 0, 0, 10, 10, 0.6, 2, "face");
  gst_video_region_of_interest_meta_add_param (roi,
      gst_ov_attribute_new ("identity", "unknown", -1, 0.1, "faces.db", NULL));
  ov_llm_scene_new_window (scene);
  out = ov_llm_scene_render (scene, "{identities}/{events}/{count}", 0);
  g_assert_cmpstr (out, ==, "none/none/4");
  g_free (out);
  ov_llm_scene_add_frame (scene, buf, 300, 300);
  gst_buffer_unref (buf);
  out = ov_llm_scene_render (scene, "{objects}/{identities}", 0);
  g_assert_cmpstr (out, ==, "face \"unknown\" (0.60) at top left/none");
  g_free (out);
  buf = ov_test_solid_frame (&info, 0, 0, 0);
  ov_llm_scene_add_frame (scene, buf, 300, 300);
  out = ov_llm_scene_render (scene, "{count}", 0);
  g_assert_cmpstr (out, ==, "1");
  g_free (out);
  /* Looked at, nothing found. */
  gst_ov_buffer_mark_detected (buf);
  ov_llm_scene_add_frame (scene, buf, 300, 300);
  gst_buffer_unref (buf);
  out = ov_llm_scene_render (scene, "{objects}|{counts}|{time}", -1);
  g_assert_cmpstr (out, ==, "none|none|unknown");
  g_free (out);

  /* Many objects: the first ones, then how many more. */
  buf = ov_test_solid_frame (&info, 0, 0, 0);
  for (int i = 0; i < OV_LLM_MAX_OBJECTS + 3; i++)
    gst_ov_add_detection (buf, 300, 300, 140, 140, 160, 160, 0.5, 0, "dot");
  ov_llm_scene_add_frame (scene, buf, 300, 300);
  gst_buffer_unref (buf);
  out = ov_llm_scene_render (scene, "{objects}", 0);
  g_assert_true (g_str_has_suffix (out, "dot (0.50) at center and 3 more"));
  g_free (out);
  out = ov_llm_scene_render (scene, "{counts}", 0);
  g_assert_cmpstr (out, ==, "35 dot");
  g_free (out);
  ov_llm_scene_free (scene);
}

/* ---- generation-config -------------------------------------------------- */

static void
test_config_parse (void)
{
  OvLlmConfig c;
  GError *error = NULL;

  g_assert_true (ov_llm_config_parse (" max_new_tokens = 100, temperature=0.7,"
          "do_sample=true,top_p=0.9,top_k=20,min_p=0.1,repetition_penalty=1.1,"
          "rng_seed=42,ignore_eos=TRUE,apply_chat_template=false,"
          "stop_strings=END;###,stop_token_ids=5;6,eos_token_id=2,"
          "num_beams=1,presence_penalty=0,length_penalty=2,"
          "stop_criteria=HEURISTIC,include_stop_str_in_output=false,", &c,
          &error));
  g_assert_no_error (error);
  g_assert_cmpuint (c.max_new_tokens, ==, 100);
  g_assert_cmpfloat (c.temperature, ==, 0.7);
  g_assert_true (c.do_sample);
  g_assert_cmpfloat (c.top_p, ==, 0.9);
  g_assert_cmpint (c.top_k, ==, 20);
  g_assert_cmpfloat (c.min_p, ==, 0.1);
  g_assert_cmpfloat (c.repetition_penalty, ==, 1.1);
  g_assert_cmpuint (c.seed, ==, 42);
  g_assert_true (c.ignore_eos);
  g_assert_false (c.apply_chat_template);
  g_assert_cmphex (c.set, ==, OV_LLM_SET_MAX_NEW_TOKENS | OV_LLM_SET_TEMPERATURE
      | OV_LLM_SET_DO_SAMPLE | OV_LLM_SET_TOP_P | OV_LLM_SET_TOP_K
      | OV_LLM_SET_MIN_P | OV_LLM_SET_REPETITION_PENALTY | OV_LLM_SET_SEED
      | OV_LLM_SET_IGNORE_EOS | OV_LLM_SET_APPLY_CHAT_TEMPLATE);
  g_assert_cmpuint (c.stop_strings->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (c.stop_strings, 1), ==, "###");
  g_assert_cmpuint (c.stop_token_ids->len, ==, 3);
  g_assert_cmpint (g_array_index (c.stop_token_ids, gint32, 2), ==, 2);
  ov_llm_config_clear (&c);

  g_assert_true (ov_llm_config_parse (NULL, &c, &error));
  g_assert_cmpuint (c.set, ==, 0);
  ov_llm_config_clear (&c);
  /* GenAI's "off" for top_k is the largest size_t. */
  g_assert_true (ov_llm_config_parse ("top_k=18446744073709551615", &c,
          &error));
  g_assert_cmpint (c.top_k, ==, 0);
  ov_llm_config_clear (&c);

  {
    static const char *const bad[][2] = {
      { "bogus=1", "unknown key 'bogus'" },
      { "num_beams=2", "num_beams=2" },
      { "frequency_penalty=0.5", "frequency_penalty" },
      { "min_new_tokens=3", "min_new_tokens" },
      { "include_stop_str_in_output=true", "include_stop_str_in_output" },
      { "max_length=10", "use max_new_tokens" },
      { "temperature=-1", "negative" },
      { "top_p=0", "top_p" },
      { "min_p=2", "min_p" },
      { "repetition_penalty=0", "greater than 0" },
      { "max_new_tokens=-5", "max_new_tokens" },
      { "max_new_tokens=abc", "integer" },
      { "ignore_eos=maybe", "true or false" },
      { "stop_token_ids=1;x", "stop_token_ids" },
      { "stop_criteria=SOMETIMES", "EARLY" },
      { "=3", "empty key" },
      { "temperature", "KEY=VALUE" },
    };
    for (gsize i = 0; i < G_N_ELEMENTS (bad); i++) {
      g_assert_false (ov_llm_config_parse (bad[i][0], &c, &error));
      g_assert_nonnull (error);
      if (!strstr (error->message, bad[i][1]))
        g_error ("%s: expected '%s' in '%s'", bad[i][0], bad[i][1],
            error->message);
      g_clear_error (&error);
      g_assert_null (c.stop_strings);
    }
  }
}

int
main (int argc, char **argv)
{
  ov_test_init (&argc, &argv);
  g_test_add_func ("/ovllm/text/stream", test_text_stream);
  g_test_add_func ("/ovllm/text/seed", test_seed);
  g_test_add_func ("/ovllm/text/stop-property", test_stop_property);
  g_test_add_func ("/ovllm/text/generation-config", test_generation_config);
  g_test_add_func ("/ovllm/text/chat-history", test_chat_history);
  g_test_add_func ("/ovllm/text/split-lines", test_split_lines);
  g_test_add_func ("/ovllm/text/append-newline", test_append_newline);
  g_test_add_func ("/ovllm/text/flush-cancels", test_flush_cancels);
  g_test_add_func ("/ovllm/text/eos-in-flight", test_eos_in_flight);
  g_test_add_func ("/ovllm/state-cycling", test_state_cycling);
  g_test_add_func ("/ovllm/stop-while-generating", test_stop_while_generating);
  g_test_add_func ("/ovllm/errors", test_errors);
  g_test_add_func ("/ovllm/video-without-prompt", test_video_without_prompt);
  g_test_add_func ("/ovllm/property-aliases", test_property_aliases);
  g_test_add_func ("/ovllm/analytics/passthrough", test_analytics_passthrough);
  g_test_add_func ("/ovllm/analytics/json", test_analytics_json);
  g_test_add_func ("/ovllm/analytics/eos-and-prompt-change",
      test_analytics_eos_and_prompt_change);
  g_test_add_func ("/ovllm/template", test_template);
  g_test_add_func ("/ovllm/config-parse", test_config_parse);
  return ov_test_run ();
}
