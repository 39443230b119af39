/**
 * SECTION:element-ovllm
 * @title: ovllm
 *
 * Runs a GGUF language model (llama, qwen2 architectures; the runtime in
 * inference/llm) in a pipeline, in one of two modes chosen by the sink
 * caps:
 *
 * Text mode (`text/x-raw,format=utf8`): each buffer is one prompt (or,
 * with `split-lines`, each line of the text stream is). The answer is
 * streamed on `src` as it is generated, one buffer per chunk of text
 * (valid UTF-8, usually one token), every chunk with the prompt's PTS,
 * no duration, and its index within the answer as offset. The last chunk
 * carries GST_BUFFER_FLAG_MARKER (an empty answer is one empty buffer with
 * the flag), and a serialized custom downstream event
 * `ovllm-answer-end` follows it with the whole answer, the prompt, the
 * stop reason and the metrics. Generation runs in the streaming thread
 * (the next prompt waits for the answer); flushing cancels it, EOS is
 * forwarded after the answer in progress ends, and a state change to
 * READY cancels it and joins.
 *
 * Analytics mode (`video/x-raw`, any format): frames pass through
 * untouched and never wait for the model. Every `interval` seconds of
 * stream time (`frame-rate` = 1 / interval, DL Streamer gvagenai's
 * property) and whenever `prompt` changes, the `prompt` template is
 * rendered with the recent metadata ({objects}, {counts}, {identities},
 * {events}, {time}, {count}) and answered on a worker thread, one
 * generation at a time (an interval that comes while one runs is skipped
 * and counted in `generations-skipped`). The answer is attached to the
 * next frame leaving the element as a GstOvTensorMeta "llm_result"
 * (ovmetaconvert writes it as gvagenai's "result" and "metrics") and
 * pushed as one buffer (MARKER flag, the frame's PTS) on the always pad
 * `text_src`, which is sparse: GAP events keep its sinks running between
 * answers. Put a queue after `text_src` when its sink synchronizes.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 filesrc location=prompts.txt ! text/x-raw,format=utf8 ! \
 *     ovllm model=model.gguf split-lines=true append-newline=true \
 *       max-new-tokens=64 ! fdsink
 * ]|
 * A summary every 10 s of what a detector saw, in the JSON and on stdout:
 * |[
 * gst-launch-1.0 videotestsrc num-buffers=600 ! videoconvert ! \
 *     ovdetect model=detector.onnx ! ovtrack ! \
 *     ovllm name=llm model=model.gguf interval=10 metrics=true \
 *       prompt="Describe the scene in one sentence. Objects: {objects}." ! \
 *     ovmetaconvert ! ovmetapublish file-format=json-lines ! fakesink \
 *     llm.text_src ! queue ! fdsink
 * ]|
 */
#include "gstovllm.h"

#include <gst/video/video.h>
#include <string.h>

#include "gstovbaseinference.h"
#include "gstovdevice.h"
#include "gstovmeta.h"
#include "llm.h"
#include "ovllm-config.h"
#include "ovllm-prompt.h"

GST_DEBUG_CATEGORY_STATIC (gst_ov_llm_debug);
#define GST_CAT_DEFAULT gst_ov_llm_debug

#define DEFAULT_MODEL NULL
#define DEFAULT_DEVICE GST_OV_DEFAULT_DEVICE
#define DEFAULT_MAX_NEW_TOKENS 256
#define DEFAULT_TEMPERATURE 0.8
#define DEFAULT_TOP_K 40
#define DEFAULT_TOP_P 0.95
#define DEFAULT_MIN_P 0.05
#define DEFAULT_REPETITION_PENALTY 1.0
#define DEFAULT_SEED 0
#define DEFAULT_SYSTEM_PROMPT NULL
#define DEFAULT_CHAT FALSE
#define DEFAULT_CONTEXT_LENGTH 0
#define DEFAULT_INTERVAL 10.0
#define DEFAULT_PROMPT NULL
#define DEFAULT_PROMPT_PATH NULL
#define DEFAULT_GENERATION_CONFIG NULL
#define DEFAULT_METRICS FALSE
#define DEFAULT_IGNORE_EOS FALSE
#define DEFAULT_APPLY_CHAT_TEMPLATE TRUE
#define DEFAULT_THREADS 0
#define DEFAULT_SPLIT_LINES FALSE
#define DEFAULT_APPEND_NEWLINE FALSE

enum {
  PROP_0,
  PROP_MODEL,
  PROP_MODEL_PATH,
  PROP_DEVICE,
  PROP_MAX_NEW_TOKENS,
  PROP_TEMPERATURE,
  PROP_TOP_K,
  PROP_TOP_P,
  PROP_MIN_P,
  PROP_REPETITION_PENALTY,
  PROP_SEED,
  PROP_SYSTEM_PROMPT,
  PROP_CHAT,
  PROP_CONTEXT_LENGTH,
  PROP_STOP,
  PROP_INTERVAL,
  PROP_FRAME_RATE,
  PROP_PROMPT,
  PROP_PROMPT_PATH,
  PROP_GENERATION_CONFIG,
  PROP_METRICS,
  PROP_IGNORE_EOS,
  PROP_APPLY_CHAT_TEMPLATE,
  PROP_THREADS,
  PROP_SPLIT_LINES,
  PROP_APPEND_NEWLINE,
  PROP_GENERATIONS_SKIPPED,
};

/* An analytics answer on its way from the worker to a frame. */
typedef struct {
  char *prompt;
  char *text;
  GstClockTime timestamp;       /* stream time of the rendering frame */
  guint epoch;
  OviLlmStats stats;
} LlmJob;

struct _GstOvLlm {
  GstElement parent;
  GstPad *sinkpad, *srcpad, *text_srcpad;

  /* Properties (object lock). */
  gchar *model;
  gchar *device;
  guint max_new_tokens;
  gdouble temperature;
  gint top_k;
  gdouble top_p, min_p, repetition_penalty;
  guint64 seed;
  gchar *system_prompt;
  gboolean chat;
  guint context_length;
  gchar **stop;
  gdouble interval;
  gchar *prompt;
  gchar *prompt_path;
  gchar *generation_config;
  gboolean metrics;
  gboolean ignore_eos;
  gboolean apply_chat_template;
  guint threads;
  gboolean split_lines;
  gboolean append_newline;
  gboolean prompt_changed;      /* analytics: answer on the next frame */
  guint64 skipped;

  /* Set at start, freed at stop. */
  OviLlm *llm;
  OviLlmSession *session;
  OvLlmConfig config;
  gchar *model_name;
  gchar *file_prompt;           /* prompt-path's contents */
  gchar *applied_system_prompt;
  double load_ms;
  OvLlmScene *scene;

  /* Streaming thread. */
  gboolean video;
  GstVideoInfo vinfo;
  GstSegment segment;
  GString *line_buffer;         /* split-lines: text after the last newline */
  GstClockTime next_due;        /* stream time of the next analytics prompt */
  GstClockTime last_pts;
  gboolean text_started;        /* text_src has stream-start, caps, segment */
  guint32 last_seek_seqnum;

  /* Generation state (lock). */
  GMutex lock;
  GCond cond;
  gboolean generating;          /* a runtime call is in progress */
  gint cancel;                  /* atomic: the running generation must stop */
  gboolean flushing;
  gboolean quit;
  guint epoch;                  /* flushes so far */
  GThread *worker;
  LlmJob *job;                  /* queued for the worker */
  gboolean busy;                /* a job queued or running */
  LlmJob *ready;                /* answered, waiting for a frame */
};

#define TEXT_CAPS "text/x-raw, format=(string)utf8"

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS (TEXT_CAPS "; video/x-raw(ANY)"));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS (TEXT_CAPS "; video/x-raw(ANY)"));
static GstStaticPadTemplate text_src_template =
GST_STATIC_PAD_TEMPLATE ("text_src", GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS (TEXT_CAPS));

G_DEFINE_TYPE (GstOvLlm, gst_ov_llm, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE (ovllm, "ovllm", GST_RANK_NONE, GST_TYPE_OV_LLM);

static void
job_free (LlmJob *job)
{
  if (job) {
    g_free (job->prompt);
    g_free (job->text);
    g_free (job);
  }
}

/* ---- generation --------------------------------------------------------- */

/* What one generation uses: the properties, then generation-config. */
typedef struct {
  OviLlmGenerateParams params;
  GPtrArray *stop;              /* NULL-terminated */
  GArray *stop_ids;
  gboolean use_template;
  gboolean keep_history;
  gchar *system_prompt;
} Settings;

static void
settings_read (GstOvLlm *self, Settings *st)
{
  const OvLlmConfig *c = &self->config;
  OviLlmSamplerParams *sp;

  ovi_llm_generate_params_init (&st->params);
  sp = &st->params.sampling;
  st->stop = g_ptr_array_new_with_free_func (g_free);
  st->stop_ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  GST_OBJECT_LOCK (self);
  st->params.max_new_tokens = self->max_new_tokens;
  sp->temperature = self->temperature;
  sp->top_k = self->top_k;
  sp->top_p = self->top_p;
  sp->min_p = self->min_p;
  sp->repetition_penalty = self->repetition_penalty;
  sp->seed = self->seed;
  st->params.ignore_eos = self->ignore_eos;
  st->use_template = self->apply_chat_template;
  st->keep_history = self->chat;
  st->system_prompt = g_strdup (self->system_prompt);
  for (gchar **s = self->stop; s && *s; s++)
    if (**s)
      g_ptr_array_add (st->stop, g_strdup (*s));
  GST_OBJECT_UNLOCK (self);

  if (c->set & OV_LLM_SET_MAX_NEW_TOKENS)
    st->params.max_new_tokens = c->max_new_tokens;
  if (c->set & OV_LLM_SET_TEMPERATURE)
    sp->temperature = c->temperature;
  if (c->set & OV_LLM_SET_TOP_K)
    sp->top_k = c->top_k;
  if (c->set & OV_LLM_SET_TOP_P)
    sp->top_p = c->top_p;
  if (c->set & OV_LLM_SET_MIN_P)
    sp->min_p = c->min_p;
  if (c->set & OV_LLM_SET_REPETITION_PENALTY)
    sp->repetition_penalty = c->repetition_penalty;
  if (c->set & OV_LLM_SET_SEED)
    sp->seed = c->seed;
  if (c->set & OV_LLM_SET_IGNORE_EOS)
    st->params.ignore_eos = c->ignore_eos;
  if (c->set & OV_LLM_SET_APPLY_CHAT_TEMPLATE)
    st->use_template = c->apply_chat_template;
  /* GenAI: without do_sample decoding is greedy whatever the temperature. */
  if ((c->set & OV_LLM_SET_DO_SAMPLE) && !c->do_sample)
    sp->temperature = 0;
  for (guint i = 0; c->stop_strings && i < c->stop_strings->len; i++)
    g_ptr_array_add (st->stop, g_strdup (g_ptr_array_index (c->stop_strings,
                i)));
  if (c->stop_token_ids)
    g_array_append_vals (st->stop_ids, c->stop_token_ids->data,
        c->stop_token_ids->len);
  g_ptr_array_add (st->stop, NULL);
  st->params.stop = (const char *const *) st->stop->pdata;
  st->params.stop_tokens = (const gint32 *) st->stop_ids->data;
  st->params.n_stop_tokens = st->stop_ids->len;
}

static void
settings_clear (Settings *st)
{
  g_ptr_array_unref (st->stop);
  g_array_unref (st->stop_ids);
  g_free (st->system_prompt);
}

/* One answer from the runtime. *cancelled: the element stopped it (flush,
 * state change); then the answer is to be dropped. Any thread, one at a
 * time (the text chain or the worker). */
static gboolean
run_generation (GstOvLlm *self, const char *prompt, OviLlmTextFunc func,
    gpointer data, GString *answer, OviLlmStats *stats, gboolean *cancelled,
    GError **error)
{
  Settings st;
  gboolean ok = FALSE;

  *cancelled = FALSE;
  settings_read (self, &st);
  if (g_strcmp0 (st.system_prompt, self->applied_system_prompt)) {
    ovi_llm_session_set_system_prompt (self->session, st.system_prompt);
    g_free (self->applied_system_prompt);
    self->applied_system_prompt = g_strdup (st.system_prompt);
  }
  for (int attempt = 0; attempt < 2; attempt++) {
    g_mutex_lock (&self->lock);
    if (self->flushing) {
      g_mutex_unlock (&self->lock);
      *cancelled = TRUE;
      ok = TRUE;
      break;
    }
    self->generating = TRUE;
    g_atomic_int_set (&self->cancel, 0);
    g_mutex_unlock (&self->lock);

    g_string_truncate (answer, 0);
    memset (stats, 0, sizeof *stats);
    if (st.use_template)
      ok = ovi_llm_session_chat (self->session, prompt, st.keep_history,
          &st.params, func, data, answer, stats, error);
    else
      ok = ovi_llm_session_complete (self->session, prompt, &st.params, func,
          data, answer, stats, error);

    g_mutex_lock (&self->lock);
    self->generating = FALSE;
    *cancelled = g_atomic_int_get (&self->cancel);
    g_mutex_unlock (&self->lock);
    /* A cancel meant for the previous generation that arrived just as it
     * ended stays pending in the session and stops this one at once:
     * nothing of ours asked for it, so answer again. */
    if (ok && !*cancelled && stats->stop_reason == OVI_LLM_STOP_CANCELLED
        && stats->n_generated_tokens == 0 && attempt == 0) {
      GST_DEBUG_OBJECT (self, "stale cancel, generating again");
      continue;
    }
    break;
  }
  settings_clear (&st);
  return ok;
}

/* Any thread: stops the runtime call in progress, if any. */
static void
cancel_generation_locked (GstOvLlm *self)
{
  if (self->generating) {
    g_atomic_int_set (&self->cancel, 1);
    ovi_llm_session_cancel (self->session);
  }
}

static double
round_2dp (double v)
{
  return (gint64) (v * 100 + (v >= 0 ? 0.5 : -0.5)) / 100.0;
}

/* gvagenai's metric names and units (ms, tokens/s), for this answer. */
static GstStructure *
metrics_new (const OviLlmStats *st, double load_ms)
{
  guint n = st->n_generated_tokens;
  double per_token = n > 0 ? st->decode_seconds / n : 0;

  return gst_structure_new ("metrics",
      "load_time", G_TYPE_DOUBLE, round_2dp (load_ms),
      "num_input_tokens", G_TYPE_UINT, st->n_prompt_tokens,
      "num_reused_tokens", G_TYPE_UINT, st->n_reused_tokens,
      "num_generated_tokens", G_TYPE_UINT, n,
      "ttft_mean", G_TYPE_DOUBLE,
      round_2dp ((st->prefill_seconds + per_token) * 1000),
      "tpot_mean", G_TYPE_DOUBLE, round_2dp (per_token * 1000),
      "throughput_mean", G_TYPE_DOUBLE,
      round_2dp (st->decode_seconds > 0 ? n / st->decode_seconds : 0),
      "generate_duration_mean", G_TYPE_DOUBLE,
      round_2dp ((st->prefill_seconds + st->decode_seconds) * 1000), NULL);
}

/* ---- text mode ---------------------------------------------------------- */

typedef struct {
  GstOvLlm *self;
  GstClockTime pts;
  guint64 index;
  GstBuffer *pending;           /* held back to flag the last chunk */
  GstFlowReturn flow;
} TextStream;

static gboolean
push_chunk (const char *text, gsize length, gpointer data)
{
  TextStream *ts = data;
  GstBuffer *buf;

  if (g_atomic_int_get (&ts->self->cancel))
    return FALSE;
  if (ts->pending) {
    ts->flow = gst_pad_push (ts->self->srcpad, ts->pending);
    ts->pending = NULL;
    if (ts->flow != GST_FLOW_OK)
      return FALSE;
  }
  buf = gst_buffer_new_memdup (text, length);
  GST_BUFFER_PTS (buf) = ts->pts;
  GST_BUFFER_OFFSET (buf) = ts->index++;
  ts->pending = buf;
  return TRUE;
}

static GstEvent *
answer_end_event_new (GstOvLlm *self, const char *prompt, const char *answer,
    GstClockTime pts, guint64 chunks, const OviLlmStats *stats,
    const GError *error)
{
  GstStructure *s = gst_structure_new (GST_OV_LLM_ANSWER_END,
      "answer", G_TYPE_STRING, answer,
      "prompt", G_TYPE_STRING, prompt,
      "chunks", G_TYPE_UINT64, chunks, NULL);

  if (GST_CLOCK_TIME_IS_VALID (pts))
    gst_structure_set (s, "timestamp", G_TYPE_UINT64, pts, NULL);
  if (error) {
    gst_structure_set (s, "error", G_TYPE_STRING, error->message, NULL);
  } else {
    GstStructure *m = metrics_new (stats, self->load_ms);
    gst_structure_set (s,
        "stop_reason", G_TYPE_STRING,
        ovi_llm_stop_reason_name (stats->stop_reason),
        "metrics", GST_TYPE_STRUCTURE, m, NULL);
    gst_structure_free (m);
  }
  return gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM, s);
}

static GstFlowReturn
answer_prompt (GstOvLlm *self, const char *prompt, GstClockTime pts)
{
  TextStream ts = { self, pts, 0, NULL, GST_FLOW_OK };
  GString *answer = g_string_new (NULL);
  OviLlmStats stats;
  GError *error = NULL;
  gboolean cancelled;
  gboolean ok;

  GST_DEBUG_OBJECT (self, "prompt: %s", prompt);
  ok = run_generation (self, prompt, push_chunk, &ts, answer, &stats,
      &cancelled, &error);
  if (cancelled || ts.flow != GST_FLOW_OK) {
    gst_clear_buffer (&ts.pending);
    g_clear_error (&error);
    g_string_free (answer, TRUE);
    return cancelled ? GST_FLOW_FLUSHING : ts.flow;
  }
  if (!ok) {
    /* One prompt the model cannot take (too long for the context) is not
     * the end of the stream: say so and go on with the next. */
    GST_ELEMENT_WARNING (self, STREAM, FAILED,
        ("Cannot answer the prompt: %s", error->message), (NULL));
    gst_pad_push_event (self->srcpad, answer_end_event_new (self, prompt,
            "", pts, 0, NULL, error));
    g_error_free (error);
    g_string_free (answer, TRUE);
    return GST_FLOW_OK;
  }
  if (ts.pending == NULL) {
    ts.pending = gst_buffer_new ();
    GST_BUFFER_PTS (ts.pending) = pts;
    GST_BUFFER_OFFSET (ts.pending) = ts.index++;
  }
  GST_BUFFER_FLAG_SET (ts.pending, GST_BUFFER_FLAG_MARKER);
  GST_OBJECT_LOCK (self);
  if (self->append_newline)
    gst_buffer_append_memory (ts.pending, gst_memory_new_wrapped (
            GST_MEMORY_FLAG_READONLY, (gpointer) "\n", 1, 0, 1, NULL, NULL));
  GST_OBJECT_UNLOCK (self);
  ts.flow = gst_pad_push (self->srcpad, ts.pending);
  if (ts.flow == GST_FLOW_OK)
    gst_pad_push_event (self->srcpad, answer_end_event_new (self, prompt,
            answer->str, pts, ts.index, &stats, NULL));
  GST_DEBUG_OBJECT (self, "answer (%s, %u tokens): %s",
      ovi_llm_stop_reason_name (stats.stop_reason), stats.n_generated_tokens,
      answer->str);
  g_string_free (answer, TRUE);
  return ts.flow;
}

/* Valid UTF-8 without the trailing line break and blanks; NULL if empty. */
static char *
clean_prompt (const char *text, gssize length)
{
  char *p = g_utf8_make_valid (text, length);
  g_strchomp (p);
  if (*p == '\0') {
    g_free (p);
    return NULL;
  }
  return p;
}

static GstFlowReturn
text_chain (GstOvLlm *self, GstBuffer *buf)
{
  GstClockTime pts = GST_BUFFER_PTS (buf);
  GstFlowReturn flow = GST_FLOW_OK;
  GstMapInfo map;
  gboolean split;
  char *prompt;

  if (!gst_buffer_map (buf, &map, GST_MAP_READ)) {
    gst_buffer_unref (buf);
    GST_ELEMENT_ERROR (self, STREAM, FAILED, ("Cannot read the prompt"),
        (NULL));
    return GST_FLOW_ERROR;
  }
  GST_OBJECT_LOCK (self);
  split = self->split_lines;
  GST_OBJECT_UNLOCK (self);
  if (!split) {
    if ((prompt = clean_prompt ((const char *) map.data, map.size))) {
      flow = answer_prompt (self, prompt, pts);
      g_free (prompt);
    }
  } else {
    char *nl;
    g_string_append_len (self->line_buffer, (const char *) map.data,
        map.size);
    while (flow == GST_FLOW_OK
        && (nl = memchr (self->line_buffer->str, '\n',
                self->line_buffer->len))) {
      gsize n = nl - self->line_buffer->str;
      prompt = clean_prompt (self->line_buffer->str, n);
      g_string_erase (self->line_buffer, 0, n + 1);
      if (prompt) {
        flow = answer_prompt (self, prompt, pts);
        g_free (prompt);
      }
    }
  }
  gst_buffer_unmap (buf, &map);
  gst_buffer_unref (buf);
  return flow;
}

/* ---- analytics mode ----------------------------------------------------- */

static gboolean
keep_going (const char *text, gsize length, gpointer data)
{
  return !g_atomic_int_get (&((GstOvLlm *) data)->cancel);
}

static gpointer
worker_main (gpointer data)
{
  GstOvLlm *self = data;

  g_mutex_lock (&self->lock);
  while (!self->quit) {
    LlmJob *job = self->job;
    GString *answer;
    GError *error = NULL;
    gboolean ok, cancelled;

    if (job == NULL) {
      g_cond_wait (&self->cond, &self->lock);
      continue;
    }
    self->job = NULL;
    g_mutex_unlock (&self->lock);

    answer = g_string_new (NULL);
    ok = run_generation (self, job->prompt, keep_going, self, answer,
        &job->stats, &cancelled, &error);
    job->text = g_string_free (answer, FALSE);
    if (!ok)
      GST_ELEMENT_WARNING (self, STREAM, FAILED,
          ("Cannot answer the analytics prompt: %s", error->message), (NULL));
    g_clear_error (&error);

    g_mutex_lock (&self->lock);
    self->busy = FALSE;
    if (ok && !cancelled && job->epoch == self->epoch) {
      GST_DEBUG_OBJECT (self, "answered: %s", job->text);
      job_free (self->ready);
      self->ready = job;
    } else {
      job_free (job);
    }
    g_cond_broadcast (&self->cond);
  }
  g_mutex_unlock (&self->lock);
  return NULL;
}

/* text_src is its own stream: start it before its first buffer or event. */
static void
ensure_text_src (GstOvLlm *self)
{
  gchar *id;
  GstCaps *caps;

  if (self->text_started)
    return;
  id = gst_pad_create_stream_id (self->text_srcpad, GST_ELEMENT (self),
      "text");
  gst_pad_push_event (self->text_srcpad, gst_event_new_stream_start (id));
  g_free (id);
  caps = gst_caps_from_string (TEXT_CAPS);
  gst_pad_push_event (self->text_srcpad, gst_event_new_caps (caps));
  gst_caps_unref (caps);
  gst_pad_push_event (self->text_srcpad,
      gst_event_new_segment (&self->segment));
  self->text_started = TRUE;
}

static void
push_text_result (GstOvLlm *self, const LlmJob *job, GstClockTime pts)
{
  GstBuffer *buf = gst_buffer_new_memdup (job->text, strlen (job->text));

  GST_BUFFER_PTS (buf) = pts;
  GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_MARKER);
  ensure_text_src (self);
  /* Nobody listening on text_src is not an error. */
  gst_pad_push (self->text_srcpad, buf);
}

static void
attach_result (GstOvLlm *self, GstBuffer *buf, const LlmJob *job)
{
  GstStructure *s;
  gboolean metrics;

  GST_OBJECT_LOCK (self);
  metrics = self->metrics;
  GST_OBJECT_UNLOCK (self);
  s = gst_structure_new (GST_OV_LLM_RESULT,
      "result", G_TYPE_STRING, job->text,
      "prompt", G_TYPE_STRING, job->prompt,
      "model_name", G_TYPE_STRING, self->model_name,
      "stop_reason", G_TYPE_STRING,
      ovi_llm_stop_reason_name (job->stats.stop_reason), NULL);
  if (GST_CLOCK_TIME_IS_VALID (job->timestamp))
    gst_structure_set (s, "timestamp", G_TYPE_UINT64, job->timestamp, NULL);
  if (metrics) {
    GstStructure *m = metrics_new (&job->stats, self->load_ms);
    gst_structure_set (s, "metrics", GST_TYPE_STRUCTURE, m, NULL);
    gst_structure_free (m);
  }
  gst_buffer_add_ov_tensor_meta (buf, s);
}

static GstFlowReturn
video_chain (GstOvLlm *self, GstBuffer *buf)
{
  GstClockTime pts = GST_BUFFER_PTS (buf);
  GstClockTime t = gst_segment_to_stream_time (&self->segment,
      GST_FORMAT_TIME, pts);
  GstClockTime interval;
  LlmJob *result, *job = NULL;
  gboolean changed, time_due, started = FALSE;
  gchar *tmpl;

  /* Without timestamps the interval runs on the wall clock. */
  if (!GST_CLOCK_TIME_IS_VALID (t))
    t = g_get_monotonic_time () * GST_USECOND;
  ov_llm_scene_add_frame (self->scene, buf,
      GST_VIDEO_INFO_WIDTH (&self->vinfo),
      GST_VIDEO_INFO_HEIGHT (&self->vinfo));

  GST_OBJECT_LOCK (self);
  tmpl = g_strdup (self->prompt && *self->prompt ? self->prompt
      : self->file_prompt);
  /* Capped at a year: far enough to mean "never", no overflow. */
  interval = (GstClockTime) (MIN (self->interval, 365 * 24 * 3600.0)
      * GST_SECOND);
  changed = self->prompt_changed;
  GST_OBJECT_UNLOCK (self);

  if (!GST_CLOCK_TIME_IS_VALID (self->next_due))
    self->next_due = t + interval;
  time_due = t >= self->next_due;

  g_mutex_lock (&self->lock);
  result = self->ready;
  self->ready = NULL;
  if (tmpl && (changed || time_due)) {
    if (!self->busy) {
      job = g_new0 (LlmJob, 1);
      job->prompt = ov_llm_scene_render (self->scene, tmpl, t);
      job->timestamp = t;
      job->epoch = self->epoch;
      self->job = job;
      self->busy = TRUE;
      started = TRUE;
      g_cond_broadcast (&self->cond);
    } else if (time_due) {
      GST_OBJECT_LOCK (self);
      self->skipped++;
      GST_OBJECT_UNLOCK (self);
      GST_DEBUG_OBJECT (self, "still answering at %" GST_TIME_FORMAT
          ": interval skipped", GST_TIME_ARGS (t));
    }
    if (time_due || started)
      self->next_due = t + interval;
  }
  g_mutex_unlock (&self->lock);
  g_free (tmpl);

  if (started) {
    ov_llm_scene_new_window (self->scene);
    GST_OBJECT_LOCK (self);
    self->prompt_changed = FALSE;
    GST_OBJECT_UNLOCK (self);
  }
  if (result) {
    buf = gst_buffer_make_writable (buf);
    attach_result (self, buf, result);
  }
  self->last_pts = pts;
  /* text_src first: a sink there prerolls on its text or gap while the
   * frame may still block in a video sink's preroll. */
  if (result) {
    push_text_result (self, result, pts);
    job_free (result);
  } else if (gst_pad_is_linked (self->text_srcpad)) {
    ensure_text_src (self);
    gst_pad_push_event (self->text_srcpad, gst_event_new_gap (pts,
            GST_CLOCK_TIME_NONE));
  }
  return gst_pad_push (self->srcpad, buf);
}

/* EOS: the answer in progress still goes out, on text_src (no frame is
 * left to carry it). */
static void
finish_analytics (GstOvLlm *self)
{
  LlmJob *result;

  g_mutex_lock (&self->lock);
  while (self->busy && !self->flushing && !self->quit)
    g_cond_wait (&self->cond, &self->lock);
  result = self->ready;
  self->ready = NULL;
  g_mutex_unlock (&self->lock);
  if (result) {
    push_text_result (self, result, self->last_pts);
    job_free (result);
  }
}

/* ---- pads --------------------------------------------------------------- */

static GstFlowReturn
sink_chain (GstPad *pad, GstObject *parent, GstBuffer *buf)
{
  GstOvLlm *self = GST_OV_LLM (parent);
  return self->video ? video_chain (self, buf) : text_chain (self, buf);
}

static gboolean
set_caps (GstOvLlm *self, GstCaps *caps)
{
  GstStructure *s = gst_caps_get_structure (caps, 0);
  gboolean has_prompt;

  self->video = gst_structure_has_name (s, "video/x-raw");
  if (!self->video)
    return TRUE;
  if (!gst_video_info_from_caps (&self->vinfo, caps))
    return FALSE;
  GST_OBJECT_LOCK (self);
  has_prompt = (self->prompt && *self->prompt) || self->file_prompt;
  GST_OBJECT_UNLOCK (self);
  if (!has_prompt) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("No prompt for the video stream"),
        ("on video ovllm answers the 'prompt' (or 'prompt-path') template "
            "every 'interval' seconds; set one of them"));
    return FALSE;
  }
  return TRUE;
}

static void
flush_start (GstOvLlm *self)
{
  g_mutex_lock (&self->lock);
  self->flushing = TRUE;
  self->epoch++;
  cancel_generation_locked (self);
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

static void
flush_stop (GstOvLlm *self)
{
  g_mutex_lock (&self->lock);
  self->flushing = FALSE;
  g_clear_pointer (&self->ready, job_free);
  if (self->job) {
    g_clear_pointer (&self->job, job_free);
    self->busy = FALSE;
  }
  g_mutex_unlock (&self->lock);
  if (self->scene)
    ov_llm_scene_reset (self->scene);
  self->next_due = GST_CLOCK_TIME_NONE;
  if (self->line_buffer)
    g_string_truncate (self->line_buffer, 0);
}

/* Events for text_src too: flushes, segments and EOS of the one stream. */
static void
push_text_event (GstOvLlm *self, GstEvent *event)
{
  if (self->text_started)
    gst_pad_push_event (self->text_srcpad, gst_event_ref (event));
}

static gboolean
sink_event (GstPad *pad, GstObject *parent, GstEvent *event)
{
  GstOvLlm *self = GST_OV_LLM (parent);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CAPS: {
      GstCaps *caps;
      gst_event_parse_caps (event, &caps);
      if (!set_caps (self, caps)) {
        gst_event_unref (event);
        return FALSE;
      }
      break;
    }
    case GST_EVENT_SEGMENT:
      gst_event_copy_segment (event, &self->segment);
      push_text_event (self, event);
      break;
    case GST_EVENT_FLUSH_START:
      flush_start (self);
      push_text_event (self, event);
      break;
    case GST_EVENT_FLUSH_STOP:
      flush_stop (self);
      push_text_event (self, event);
      break;
    case GST_EVENT_EOS:
      if (self->video) {
        finish_analytics (self);
      } else if (self->line_buffer && self->line_buffer->len > 0) {
        /* The last line of a text without a final line break. */
        char *prompt = clean_prompt (self->line_buffer->str,
            self->line_buffer->len);
        g_string_truncate (self->line_buffer, 0);
        if (prompt)
          answer_prompt (self, prompt, GST_CLOCK_TIME_NONE);
        g_free (prompt);
      }
      ensure_text_src (self);
      push_text_event (self, event);
      break;
    default:
      break;
  }
  return gst_pad_push_event (self->srcpad, event);
}

/* Both source pads forward upstream; a pipeline's seek reaches both. */
static gboolean
src_event (GstPad *pad, GstObject *parent, GstEvent *event)
{
  GstOvLlm *self = GST_OV_LLM (parent);

  if (GST_EVENT_TYPE (event) == GST_EVENT_SEEK) {
    guint32 seqnum = gst_event_get_seqnum (event);
    gboolean seen;
    GST_OBJECT_LOCK (self);
    seen = seqnum == self->last_seek_seqnum;
    self->last_seek_seqnum = seqnum;
    GST_OBJECT_UNLOCK (self);
    if (seen) {
      gst_event_unref (event);
      return TRUE;
    }
  }
  return gst_pad_push_event (self->sinkpad, event);
}

static gboolean
text_src_query (GstPad *pad, GstObject *parent, GstQuery *query)
{
  if (GST_QUERY_TYPE (query) == GST_QUERY_CAPS) {
    GstCaps *filter, *caps = gst_pad_get_pad_template_caps (pad);
    gst_query_parse_caps (query, &filter);
    if (filter) {
      GstCaps *c = gst_caps_intersect_full (filter, caps,
          GST_CAPS_INTERSECT_FIRST);
      gst_caps_unref (caps);
      caps = c;
    }
    gst_query_set_caps_result (query, caps);
    gst_caps_unref (caps);
    return TRUE;
  }
  return gst_pad_query_default (pad, parent, query);
}

/* Queries and events of the main stream go between sink and src only. */
static GstIterator *
iterate_internal_links (GstPad *pad, GstObject *parent)
{
  GstOvLlm *self = GST_OV_LLM (parent);
  GstPad *other = pad == self->sinkpad ? self->srcpad : self->sinkpad;
  GValue v = G_VALUE_INIT;
  GstIterator *it;

  g_value_init (&v, GST_TYPE_PAD);
  g_value_set_object (&v, other);
  it = gst_iterator_new_single (GST_TYPE_PAD, &v);
  g_value_unset (&v);
  return it;
}

/* ---- states ------------------------------------------------------------- */

static gboolean
start (GstOvLlm *self)
{
  OviLlmSessionConfig config;
  GError *error = NULL;
  gchar *model, *prompt_path, *generation_config;
  gboolean has_prompt, chat, apply_template, ok = FALSE;
  gchar *device;
  gint64 t0;

  GST_OBJECT_LOCK (self);
  model = g_strdup (self->model);
  prompt_path = g_strdup (self->prompt_path);
  generation_config = g_strdup (self->generation_config);
  has_prompt = self->prompt && *self->prompt;
  chat = self->chat;
  apply_template = self->apply_chat_template;
  device = g_strdup (self->device);
  ovi_llm_session_config_init (&config);
  config.context_length = self->context_length;
  config.n_threads = self->threads;
  GST_OBJECT_UNLOCK (self);

  if (model == NULL || *model == '\0') {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND, ("No model set"),
        ("set the 'model' (or 'model-path') property to a .gguf file"));
    goto done;
  }
  if (!g_file_test (model, G_FILE_TEST_IS_REGULAR)) {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        ("Model file '%s' not found", model), (NULL));
    goto done;
  }
  if (!gst_ov_device_allows_cpu (device)) {
    GST_ELEMENT_ERROR (self, LIBRARY, INIT,
        ("Device %s is not available", device),
        ("the LLM runtime runs on the CPU; use device=CPU, AUTO or a list "
            "that names the CPU"));
    goto done;
  }
  if (!ov_llm_config_parse (generation_config, &self->config, &error)) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("%s", error->message),
        (NULL));
    goto done;
  }
  if (self->config.set & OV_LLM_SET_APPLY_CHAT_TEMPLATE)
    apply_template = self->config.apply_chat_template;
  if (chat && !apply_template) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("chat=true needs the chat template"),
        ("the history is kept as chat turns; remove "
            "apply-chat-template=false"));
    goto done;
  }
  if (prompt_path && *prompt_path) {
    if (has_prompt) {
      GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
          ("Both 'prompt' and 'prompt-path' are set"),
          ("set only one of them"));
      goto done;
    }
    if (!g_file_get_contents (prompt_path, &self->file_prompt, NULL,
            &error)) {
      GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ,
          ("Cannot read the prompt file '%s'", prompt_path),
          ("%s", error->message));
      goto done;
    }
    g_strchomp (self->file_prompt);
    if (*self->file_prompt == '\0')
      g_clear_pointer (&self->file_prompt, g_free);
  }

  t0 = g_get_monotonic_time ();
  self->llm = ovi_llm_load (model, &error);
  if (self->llm == NULL) {
    GST_ELEMENT_ERROR (self, LIBRARY, INIT,
        ("Cannot load model '%s'", model), ("%s", error->message));
    goto done;
  }
  self->session = ovi_llm_session_new (self->llm, &config, &error);
  if (self->session == NULL) {
    GST_ELEMENT_ERROR (self, LIBRARY, INIT,
        ("Cannot start the model '%s'", model), ("%s", error->message));
    goto done;
  }
  self->load_ms = (g_get_monotonic_time () - t0) / 1000.0;
  self->model_name = g_path_get_basename (model);
  GST_INFO_OBJECT (self, "%s: %s, context %u, chat template %s, loaded in "
      "%.1f ms", model, ovi_llm_architecture (self->llm),
      ovi_llm_context_length (self->llm), ovi_llm_chat_family (self->llm),
      self->load_ms);

  self->scene = ov_llm_scene_new ();
  self->line_buffer = g_string_new (NULL);
  gst_segment_init (&self->segment, GST_FORMAT_TIME);
  self->video = FALSE;
  self->next_due = GST_CLOCK_TIME_NONE;
  self->last_pts = GST_CLOCK_TIME_NONE;
  self->text_started = FALSE;
  self->last_seek_seqnum = GST_SEQNUM_INVALID;
  /* The prompt set before starting is no change: the first answer comes
   * after the first interval. */
  GST_OBJECT_LOCK (self);
  self->prompt_changed = FALSE;
  GST_OBJECT_UNLOCK (self);
  g_mutex_lock (&self->lock);
  self->flushing = FALSE;
  self->quit = FALSE;
  self->busy = FALSE;
  g_mutex_unlock (&self->lock);
  self->worker = g_thread_new ("ovllm", worker_main, self);
  ok = TRUE;

done:
  g_clear_error (&error);
  g_free (model);
  g_free (device);
  g_free (prompt_path);
  g_free (generation_config);
  return ok;
}

/* Before the pads deactivate: whatever generates stops. */
static void
stop_generation (GstOvLlm *self)
{
  g_mutex_lock (&self->lock);
  self->flushing = TRUE;
  self->quit = TRUE;
  cancel_generation_locked (self);
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  if (self->worker) {
    g_thread_join (self->worker);
    self->worker = NULL;
  }
}

static void
release (GstOvLlm *self)
{
  g_clear_pointer (&self->job, job_free);
  g_clear_pointer (&self->ready, job_free);
  self->busy = FALSE;
  g_clear_pointer (&self->session, ovi_llm_session_free);
  g_clear_pointer (&self->llm, ovi_llm_unref);
  ov_llm_config_clear (&self->config);
  g_clear_pointer (&self->model_name, g_free);
  g_clear_pointer (&self->file_prompt, g_free);
  g_clear_pointer (&self->applied_system_prompt, g_free);
  g_clear_pointer (&self->scene, ov_llm_scene_free);
  if (self->line_buffer) {
    g_string_free (self->line_buffer, TRUE);
    self->line_buffer = NULL;
  }
}

static GstStateChangeReturn
change_state (GstElement *element, GstStateChange transition)
{
  GstOvLlm *self = GST_OV_LLM (element);
  GstStateChangeReturn ret;

  switch (transition) {
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      if (!start (self)) {
        release (self);
        return GST_STATE_CHANGE_FAILURE;
      }
      break;
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      stop_generation (self);
      break;
    default:
      break;
  }
  ret = GST_ELEMENT_CLASS (gst_ov_llm_parent_class)->change_state (element,
      transition);
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    release (self);
  return ret;
}

/* ---- properties --------------------------------------------------------- */

static void
set_strings (gchar ***out, const GValue *array)
{
  guint n = gst_value_array_get_size (array);
  g_strfreev (*out);
  *out = g_new0 (gchar *, n + 1);
  for (guint i = 0; i < n; i++)
    (*out)[i] = g_value_dup_string (gst_value_array_get_value (array, i));
}

static void
get_strings (gchar **strings, GValue *array)
{
  for (gchar **s = strings; s && *s; s++) {
    GValue v = G_VALUE_INIT;
    g_value_init (&v, G_TYPE_STRING);
    g_value_set_string (&v, *s);
    gst_value_array_append_and_take_value (array, &v);
  }
}

static void
set_property (GObject *object, guint prop_id, const GValue *value,
    GParamSpec *pspec)
{
  GstOvLlm *self = GST_OV_LLM (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODEL:
    case PROP_MODEL_PATH:
      g_free (self->model);
      self->model = g_value_dup_string (value);
      break;
    case PROP_DEVICE:
      g_free (self->device);
      self->device = g_value_dup_string (value);
      if (self->device == NULL)
        self->device = g_strdup (DEFAULT_DEVICE);
      break;
    case PROP_MAX_NEW_TOKENS:
      self->max_new_tokens = g_value_get_uint (value);
      break;
    case PROP_TEMPERATURE:
      self->temperature = g_value_get_double (value);
      break;
    case PROP_TOP_K: self->top_k = g_value_get_int (value); break;
    case PROP_TOP_P: self->top_p = g_value_get_double (value); break;
    case PROP_MIN_P: self->min_p = g_value_get_double (value); break;
    case PROP_REPETITION_PENALTY:
      self->repetition_penalty = g_value_get_double (value);
      break;
    case PROP_SEED: self->seed = g_value_get_uint64 (value); break;
    case PROP_SYSTEM_PROMPT:
      g_free (self->system_prompt);
      self->system_prompt = g_value_dup_string (value);
      break;
    case PROP_CHAT: self->chat = g_value_get_boolean (value); break;
    case PROP_CONTEXT_LENGTH:
      self->context_length = g_value_get_uint (value);
      break;
    case PROP_STOP: set_strings (&self->stop, value); break;
    case PROP_INTERVAL: self->interval = g_value_get_double (value); break;
    case PROP_FRAME_RATE: {
      gdouble rate = g_value_get_double (value);
      self->interval = rate > 0 ? 1.0 / rate : 0;
      break;
    }
    case PROP_PROMPT:
      if (g_strcmp0 (self->prompt, g_value_get_string (value))) {
        g_free (self->prompt);
        self->prompt = g_value_dup_string (value);
        self->prompt_changed = TRUE;
      }
      break;
    case PROP_PROMPT_PATH:
      g_free (self->prompt_path);
      self->prompt_path = g_value_dup_string (value);
      break;
    case PROP_GENERATION_CONFIG:
      g_free (self->generation_config);
      self->generation_config = g_value_dup_string (value);
      break;
    case PROP_METRICS: self->metrics = g_value_get_boolean (value); break;
    case PROP_IGNORE_EOS: self->ignore_eos = g_value_get_boolean (value); break;
    case PROP_APPLY_CHAT_TEMPLATE:
      self->apply_chat_template = g_value_get_boolean (value);
      break;
    case PROP_THREADS: self->threads = g_value_get_uint (value); break;
    case PROP_SPLIT_LINES:
      self->split_lines = g_value_get_boolean (value);
      break;
    case PROP_APPEND_NEWLINE:
      self->append_newline = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
get_property (GObject *object, guint prop_id, GValue *value,
    GParamSpec *pspec)
{
  GstOvLlm *self = GST_OV_LLM (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODEL:
    case PROP_MODEL_PATH:
      g_value_set_string (value, self->model);
      break;
    case PROP_DEVICE: g_value_set_string (value, self->device); break;
    case PROP_MAX_NEW_TOKENS:
      g_value_set_uint (value, self->max_new_tokens);
      break;
    case PROP_TEMPERATURE: g_value_set_double (value, self->temperature); break;
    case PROP_TOP_K: g_value_set_int (value, self->top_k); break;
    case PROP_TOP_P: g_value_set_double (value, self->top_p); break;
    case PROP_MIN_P: g_value_set_double (value, self->min_p); break;
    case PROP_REPETITION_PENALTY:
      g_value_set_double (value, self->repetition_penalty);
      break;
    case PROP_SEED: g_value_set_uint64 (value, self->seed); break;
    case PROP_SYSTEM_PROMPT:
      g_value_set_string (value, self->system_prompt);
      break;
    case PROP_CHAT: g_value_set_boolean (value, self->chat); break;
    case PROP_CONTEXT_LENGTH:
      g_value_set_uint (value, self->context_length);
      break;
    case PROP_STOP: get_strings (self->stop, value); break;
    case PROP_INTERVAL: g_value_set_double (value, self->interval); break;
    case PROP_FRAME_RATE:
      g_value_set_double (value, self->interval > 0 ? 1.0 / self->interval
          : 0);
      break;
    case PROP_PROMPT: g_value_set_string (value, self->prompt); break;
    case PROP_PROMPT_PATH: g_value_set_string (value, self->prompt_path); break;
    case PROP_GENERATION_CONFIG:
      g_value_set_string (value, self->generation_config);
      break;
    case PROP_METRICS: g_value_set_boolean (value, self->metrics); break;
    case PROP_IGNORE_EOS: g_value_set_boolean (value, self->ignore_eos); break;
    case PROP_APPLY_CHAT_TEMPLATE:
      g_value_set_boolean (value, self->apply_chat_template);
      break;
    case PROP_THREADS: g_value_set_uint (value, self->threads); break;
    case PROP_SPLIT_LINES:
      g_value_set_boolean (value, self->split_lines);
      break;
    case PROP_APPEND_NEWLINE:
      g_value_set_boolean (value, self->append_newline);
      break;
    case PROP_GENERATIONS_SKIPPED:
      g_value_set_uint64 (value, self->skipped);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
finalize (GObject *object)
{
  GstOvLlm *self = GST_OV_LLM (object);

  release (self);
  g_free (self->model);
  g_free (self->device);
  g_free (self->system_prompt);
  g_strfreev (self->stop);
  g_free (self->prompt);
  g_free (self->prompt_path);
  g_free (self->generation_config);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  G_OBJECT_CLASS (gst_ov_llm_parent_class)->finalize (object);
}

static void
gst_ov_llm_class_init (GstOvLlmClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  const GParamFlags ready = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
      | GST_PARAM_MUTABLE_READY;
  const GParamFlags playing = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
      | GST_PARAM_MUTABLE_PLAYING;

  GST_DEBUG_CATEGORY_INIT (gst_ov_llm_debug, "ovllm", 0,
      "ov GGUF language model");
  gobject_class->set_property = set_property;
  gobject_class->get_property = get_property;
  gobject_class->finalize = finalize;

  g_object_class_install_property (gobject_class, PROP_MODEL,
      g_param_spec_string ("model", "Model", "GGUF model file",
          DEFAULT_MODEL, ready));
  g_object_class_install_property (gobject_class, PROP_MODEL_PATH,
      g_param_spec_string ("model-path", "Model path",
          "The same as 'model' (DL Streamer gvagenai's name)",
          DEFAULT_MODEL, ready));
  g_object_class_install_property (gobject_class, PROP_DEVICE,
      g_param_spec_string ("device", "Device",
          "Inference device, as the inference elements spell it; the LLM "
          "runtime runs on the CPU: CPU, AUTO or a list naming the CPU",
          DEFAULT_DEVICE, ready));
  g_object_class_install_property (gobject_class, PROP_MAX_NEW_TOKENS,
      g_param_spec_uint ("max-new-tokens", "Max new tokens",
          "Tokens to generate at most per answer (0: until a stop or the "
          "end of the context)", 0, G_MAXUINT, DEFAULT_MAX_NEW_TOKENS,
          playing));
  g_object_class_install_property (gobject_class, PROP_TEMPERATURE,
      g_param_spec_double ("temperature", "Temperature",
          "Sampling temperature (0: greedy)", 0, 100, DEFAULT_TEMPERATURE,
          playing));
  g_object_class_install_property (gobject_class, PROP_TOP_K,
      g_param_spec_int ("top-k", "Top-k",
          "Sample among the k likeliest tokens (0: off)", 0, G_MAXINT,
          DEFAULT_TOP_K, playing));
  g_object_class_install_property (gobject_class, PROP_TOP_P,
      g_param_spec_double ("top-p", "Top-p",
          "Sample among the likeliest tokens up to this probability mass "
          "(1: off)", 0.001, 1, DEFAULT_TOP_P, playing));
  g_object_class_install_property (gobject_class, PROP_MIN_P,
      g_param_spec_double ("min-p", "Min-p",
          "Drop tokens less likely than this fraction of the likeliest "
          "(0: off)", 0, 1, DEFAULT_MIN_P, playing));
  g_object_class_install_property (gobject_class, PROP_REPETITION_PENALTY,
      g_param_spec_double ("repetition-penalty", "Repetition penalty",
          "Penalty for tokens among the last 64 (1: off)", 0.01, 100,
          DEFAULT_REPETITION_PENALTY, playing));
  g_object_class_install_property (gobject_class, PROP_SEED,
      g_param_spec_uint64 ("seed", "Seed",
          "Random seed of the sampler (the same seed gives the same answer)",
          0, G_MAXUINT64, DEFAULT_SEED, playing));
  g_object_class_install_property (gobject_class, PROP_SYSTEM_PROMPT,
      g_param_spec_string ("system-prompt", "System prompt",
          "System message of the chat template", DEFAULT_SYSTEM_PROMPT,
          playing));
  g_object_class_install_property (gobject_class, PROP_CHAT,
      g_param_spec_boolean ("chat", "Chat",
          "Keep the conversation across prompts (trimmed from its oldest "
          "turns to fit the context)", DEFAULT_CHAT, ready));
  g_object_class_install_property (gobject_class, PROP_CONTEXT_LENGTH,
      g_param_spec_uint ("context-length", "Context length",
          "Tokens of context (0: the model's, at most 4096)", 0, G_MAXUINT,
          DEFAULT_CONTEXT_LENGTH, ready));
  g_object_class_install_property (gobject_class, PROP_STOP,
      gst_param_spec_array ("stop", "Stop strings",
          "Strings that end the answer (not included in it)",
          g_param_spec_string ("stop-string", "Stop string", "A stop string",
              NULL, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS), playing));
  g_object_class_install_property (gobject_class, PROP_INTERVAL,
      g_param_spec_double ("interval", "Interval",
          "Video: seconds of stream time between prompts (0: on every frame "
          "while none is being answered)", 0, G_MAXDOUBLE, DEFAULT_INTERVAL,
          playing));
  g_object_class_install_property (gobject_class, PROP_FRAME_RATE,
      g_param_spec_double ("frame-rate", "Frame rate",
          "Video: prompts per second, 1 / interval (DL Streamer gvagenai's "
          "name; 0: on every frame)", 0, G_MAXDOUBLE, 1.0 / DEFAULT_INTERVAL,
          playing));
  g_object_class_install_property (gobject_class, PROP_PROMPT,
      g_param_spec_string ("prompt", "Prompt",
          "Video: the prompt template ({objects}, {counts}, {identities}, "
          "{events}, {time}, {count}); a change is answered on the next "
          "frame", DEFAULT_PROMPT, playing));
  g_object_class_install_property (gobject_class, PROP_PROMPT_PATH,
      g_param_spec_string ("prompt-path", "Prompt path",
          "Video: a file holding the prompt template", DEFAULT_PROMPT_PATH,
          ready));
  g_object_class_install_property (gobject_class, PROP_GENERATION_CONFIG,
      g_param_spec_string ("generation-config", "Generation config",
          "DL Streamer gvagenai's KEY=VALUE,KEY=VALUE generation settings "
          "(max_new_tokens, temperature, top_p, top_k, min_p, "
          "repetition_penalty, rng_seed, do_sample, ignore_eos, "
          "stop_strings A;B, stop_token_ids 1;2, eos_token_id, "
          "apply_chat_template); they override the properties",
          DEFAULT_GENERATION_CONFIG, ready));
  g_object_class_install_property (gobject_class, PROP_METRICS,
      g_param_spec_boolean ("metrics", "Metrics",
          "Video: include the generation metrics in the result metadata "
          "(and so in ovmetaconvert's JSON)", DEFAULT_METRICS, playing));
  g_object_class_install_property (gobject_class, PROP_IGNORE_EOS,
      g_param_spec_boolean ("ignore-eos", "Ignore EOS",
          "Go on past the model's end-of-text token (until max-new-tokens "
          "or a stop string)", DEFAULT_IGNORE_EOS, playing));
  g_object_class_install_property (gobject_class, PROP_APPLY_CHAT_TEMPLATE,
      g_param_spec_boolean ("apply-chat-template", "Apply chat template",
          "Render prompts with the model's chat template (false: plain "
          "completion of the text)", DEFAULT_APPLY_CHAT_TEMPLATE, ready));
  g_object_class_install_property (gobject_class, PROP_THREADS,
      g_param_spec_uint ("threads", "Threads",
          "Threads generating (0: every processor)", 0, 1024,
          DEFAULT_THREADS, ready));
  g_object_class_install_property (gobject_class, PROP_SPLIT_LINES,
      g_param_spec_boolean ("split-lines", "Split lines",
          "Text: every line of the incoming text is a prompt (for filesrc, "
          "fdsrc), instead of every buffer", DEFAULT_SPLIT_LINES, ready));
  g_object_class_install_property (gobject_class, PROP_APPEND_NEWLINE,
      g_param_spec_boolean ("append-newline", "Append newline",
          "Text: end each answer's last buffer with a line break (one "
          "answer per line in a file or terminal)", DEFAULT_APPEND_NEWLINE,
          playing));
  g_object_class_install_property (gobject_class, PROP_GENERATIONS_SKIPPED,
      g_param_spec_uint64 ("generations-skipped", "Generations skipped",
          "Video: intervals that came while the previous prompt was still "
          "being answered", 0, G_MAXUINT64, 0,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  gst_element_class_set_static_metadata (element_class,
      "Language model", "Filter/Text/Analytics",
      "Answers text prompts with a GGUF language model, or summarizes a "
      "video stream's analytics metadata", "gst-ovi developers");
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_add_static_pad_template (element_class,
      &text_src_template);
  element_class->change_state = change_state;
}

static void
gst_ov_llm_init (GstOvLlm *self)
{
  self->sinkpad = gst_pad_new_from_static_template (&sink_template, "sink");
  gst_pad_set_chain_function (self->sinkpad, sink_chain);
  gst_pad_set_event_function (self->sinkpad, sink_event);
  gst_pad_set_iterate_internal_links_function (self->sinkpad,
      iterate_internal_links);
  /* Text in, text out; video in, the same video out: caps and allocation
   * are downstream's. */
  GST_PAD_SET_PROXY_CAPS (self->sinkpad);
  GST_PAD_SET_PROXY_ALLOCATION (self->sinkpad);
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);

  self->srcpad = gst_pad_new_from_static_template (&src_template, "src");
  gst_pad_set_event_function (self->srcpad, src_event);
  gst_pad_set_iterate_internal_links_function (self->srcpad,
      iterate_internal_links);
  GST_PAD_SET_PROXY_CAPS (self->srcpad);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);

  self->text_srcpad = gst_pad_new_from_static_template (&text_src_template,
      "text_src");
  gst_pad_set_event_function (self->text_srcpad, src_event);
  gst_pad_set_query_function (self->text_srcpad, text_src_query);
  gst_pad_set_iterate_internal_links_function (self->text_srcpad,
      iterate_internal_links);
  gst_pad_use_fixed_caps (self->text_srcpad);
  gst_element_add_pad (GST_ELEMENT (self), self->text_srcpad);

  self->device = g_strdup (DEFAULT_DEVICE);
  self->max_new_tokens = DEFAULT_MAX_NEW_TOKENS;
  self->temperature = DEFAULT_TEMPERATURE;
  self->top_k = DEFAULT_TOP_K;
  self->top_p = DEFAULT_TOP_P;
  self->min_p = DEFAULT_MIN_P;
  self->repetition_penalty = DEFAULT_REPETITION_PENALTY;
  self->seed = DEFAULT_SEED;
  self->chat = DEFAULT_CHAT;
  self->context_length = DEFAULT_CONTEXT_LENGTH;
  self->interval = DEFAULT_INTERVAL;
  self->metrics = DEFAULT_METRICS;
  self->ignore_eos = DEFAULT_IGNORE_EOS;
  self->apply_chat_template = DEFAULT_APPLY_CHAT_TEMPLATE;
  self->threads = DEFAULT_THREADS;
  self->split_lines = DEFAULT_SPLIT_LINES;
  self->append_newline = DEFAULT_APPEND_NEWLINE;
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
}
