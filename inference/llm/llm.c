/* Sessions over a loaded model: prompt tokens through the KV cache (the
 * prefix shared with what the cache already holds is kept), then one
 * token at a time through sampling, detokenization and stop-string
 * matching, streamed to the caller. */
#include "llm.h"

#include <string.h>

#include "chat-template.h"
#include "model.h"
#include "stop-strings.h"
#include "tokenizer.h"

G_DEFINE_QUARK (ovi-llm-error-quark, ovi_llm_error)

/* Context used when neither the caller nor a short model asks for less:
 * larger contexts cost KV memory most prompts here never use. */
#define DEFAULT_MAX_CONTEXT 4096

struct _OviLlm {
  gint ref_count;
  OviLlmModel *model;
  OviLlmTokenizer *tokenizer;
  OviLlmChatTemplate *chat;
};

typedef struct {
  OviLlmChatRole role;
  char *content;
} Turn;

struct _OviLlmSession {
  OviLlm *llm;
  OviLlmSessionConfig config;
  OviLlmState *state;
  guint n_ctx;
  float *logits;
  /* The tokens whose keys and values the cache holds, position by
   * position; emptied when a context shift makes positions and tokens
   * part ways. */
  GArray *cached;
  char *system_prompt;
  GArray *history;          /* Turn */
  GArray *prompt_tokens;
  GArray *answer_tokens;
  gint cancelled;           /* atomic */
};

OviLlm *
ovi_llm_load (const char *path, GError **error)
{
  OviLlm *llm;
  OviLlmModel *model;
  const OviGguf *gguf;
  OviLlmTokenizer *tokenizer;
  OviLlmChatTemplate *chat;
  GError *local = NULL;
  gint32 bos, eos;

  model = ovi_llm_model_load (path, &local);
  if (model == NULL) {
    /* The reader names the file in its own errors, the model does not. */
    if (local->domain == OVI_GGUF_ERROR)
      g_propagate_error (error, local);
    else
      g_propagate_prefixed_error (error, local, "%s: ", path);
    return NULL;
  }
  gguf = ovi_llm_model_gguf (model);
  tokenizer = ovi_llm_tokenizer_new_from_gguf (gguf, error);
  if (tokenizer == NULL) {
    g_prefix_error (error, "%s: ", path);
    ovi_llm_model_free (model);
    return NULL;
  }
  /* Embedding tables may be padded past the vocabulary, never shorter. */
  if ((guint) ovi_llm_tokenizer_n_vocab (tokenizer)
      > ovi_llm_model_hparams (model)->n_vocab) {
    g_set_error (error, OVI_LLM_ERROR, OVI_LLM_ERROR_INVALID,
        "%s: the vocabulary has %d tokens but the embedding only %u rows",
        path, ovi_llm_tokenizer_n_vocab (tokenizer),
        ovi_llm_model_hparams (model)->n_vocab);
    ovi_llm_tokenizer_free (tokenizer);
    ovi_llm_model_free (model);
    return NULL;
  }
  bos = ovi_llm_tokenizer_bos (tokenizer);
  eos = ovi_llm_tokenizer_eos (tokenizer);
  chat = ovi_llm_chat_template_new (
      ovi_gguf_get_string (gguf, "tokenizer.chat_template", NULL),
      bos >= 0 ? ovi_llm_tokenizer_token_text (tokenizer, bos) : NULL,
      eos >= 0 ? ovi_llm_tokenizer_token_text (tokenizer, eos) : NULL,
      NULL, error);
  if (chat == NULL) {
    ovi_llm_tokenizer_free (tokenizer);
    ovi_llm_model_free (model);
    return NULL;
  }
  llm = g_new0 (OviLlm, 1);
  llm->ref_count = 1;
  llm->model = model;
  llm->tokenizer = tokenizer;
  llm->chat = chat;
  return llm;
}

OviLlm *
ovi_llm_ref (OviLlm *llm)
{
  g_atomic_int_inc (&llm->ref_count);
  return llm;
}

void
ovi_llm_unref (OviLlm *llm)
{
  if (llm == NULL || !g_atomic_int_dec_and_test (&llm->ref_count))
    return;
  ovi_llm_chat_template_free (llm->chat);
  ovi_llm_tokenizer_free (llm->tokenizer);
  ovi_llm_model_free (llm->model);
  g_free (llm);
}

const char *
ovi_llm_architecture (const OviLlm *llm)
{
  return ovi_gguf_get_string (ovi_llm_model_gguf (llm->model),
      "general.architecture", NULL);
}

guint
ovi_llm_context_length (const OviLlm *llm)
{
  return ovi_llm_model_hparams (llm->model)->n_ctx_train;
}

guint
ovi_llm_n_vocab (const OviLlm *llm)
{
  return ovi_llm_model_hparams (llm->model)->n_vocab;
}

guint64
ovi_llm_weight_bytes_per_token (const OviLlm *llm)
{
  return ovi_llm_model_weight_bytes (llm->model);
}

const char *
ovi_llm_chat_family (const OviLlm *llm)
{
  return ovi_llm_chat_family_name (
      ovi_llm_chat_template_get_family (llm->chat));
}

void
ovi_llm_session_config_init (OviLlmSessionConfig *config)
{
  memset (config, 0, sizeof *config);
  config->on_full = OVI_LLM_CONTEXT_ERROR;
}

void
ovi_llm_generate_params_init (OviLlmGenerateParams *params)
{
  memset (params, 0, sizeof *params);
  ovi_llm_sampler_params_init (&params->sampling);
  params->max_new_tokens = 256;
}

static void
clear_turn (gpointer data)
{
  Turn *turn = data;
  g_free (turn->content);
}

OviLlmSession *
ovi_llm_session_new (OviLlm *llm, const OviLlmSessionConfig *config,
    GError **error)
{
  OviLlmSession *s;
  OviLlmStateConfig sc;
  guint train = ovi_llm_context_length (llm);

  ovi_llm_state_config_init (&sc);
  sc.n_ctx = config->context_length;
  if (sc.n_ctx == 0)
    sc.n_ctx = MIN (train ? train : DEFAULT_MAX_CONTEXT, DEFAULT_MAX_CONTEXT);
  sc.n_threads = config->n_threads;
  sc.kv_type = config->kv_8bit ? OVI_LLM_KV_Q8_0 : OVI_LLM_KV_F16;
  sc.context_full = config->on_full == OVI_LLM_CONTEXT_SLIDE
      ? OVI_LLM_CONTEXT_FULL_SLIDE : OVI_LLM_CONTEXT_FULL_ERROR;
  s = g_new0 (OviLlmSession, 1);
  s->state = ovi_llm_state_new (llm->model, &sc, error);
  if (s->state == NULL) {
    g_free (s);
    return NULL;
  }
  s->llm = ovi_llm_ref (llm);
  s->config = *config;
  s->n_ctx = ovi_llm_state_n_ctx (s->state);
  s->logits = g_new (float, ovi_llm_n_vocab (llm));
  s->cached = g_array_new (FALSE, FALSE, sizeof (gint32));
  s->history = g_array_new (FALSE, FALSE, sizeof (Turn));
  g_array_set_clear_func (s->history, clear_turn);
  s->prompt_tokens = g_array_new (FALSE, FALSE, sizeof (gint32));
  s->answer_tokens = g_array_new (FALSE, FALSE, sizeof (gint32));
  return s;
}

void
ovi_llm_session_free (OviLlmSession *s)
{
  if (s == NULL)
    return;
  ovi_llm_state_free (s->state);
  ovi_llm_unref (s->llm);
  g_free (s->logits);
  g_array_unref (s->cached);
  g_free (s->system_prompt);
  g_array_unref (s->history);
  g_array_unref (s->prompt_tokens);
  g_array_unref (s->answer_tokens);
  g_free (s);
}

void
ovi_llm_session_reset (OviLlmSession *s)
{
  ovi_llm_state_truncate (s->state, 0);
  g_array_set_size (s->cached, 0);
  g_array_set_size (s->history, 0);
}

void
ovi_llm_session_cancel (OviLlmSession *s)
{
  g_atomic_int_set (&s->cancelled, 1);
}

const GArray *
ovi_llm_session_prompt_tokens (const OviLlmSession *s)
{
  return s->prompt_tokens;
}

const GArray *
ovi_llm_session_answer_tokens (const OviLlmSession *s)
{
  return s->answer_tokens;
}

const char *
ovi_llm_stop_reason_name (OviLlmStopReason reason)
{
  switch (reason) {
    case OVI_LLM_STOP_EOS:
      return "eos";
    case OVI_LLM_STOP_STRING:
      return "stop";
    case OVI_LLM_STOP_MAX_TOKENS:
      return "max-new-tokens";
    case OVI_LLM_STOP_CONTEXT_FULL:
      return "context-full";
    case OVI_LLM_STOP_CANCELLED:
      return "cancelled";
  }
  return "unknown";
}

static double
seconds_since (gint64 start)
{
  return (g_get_monotonic_time () - start) / 1e6;
}

/* Evaluates n tokens and records them as cached; a context shift makes
 * the cached list meaningless, so it is dropped. */
static gboolean
eval_tokens (OviLlmSession *s, const gint32 *tokens, gsize n, GError **error)
{
  guint shifts = ovi_llm_state_n_shifts (s->state);

  if (!ovi_llm_model_eval (s->llm->model, s->state, tokens, n, s->logits,
          error))
    return FALSE;
  if (ovi_llm_state_n_shifts (s->state) != shifts)
    g_array_set_size (s->cached, 0);
  else
    g_array_append_vals (s->cached, tokens, n);
  return TRUE;
}

/* Brings the cache to `prompt`: keeps the longest common prefix with what
 * it holds and evaluates the rest (at least the last token, whose logits
 * start the answer). Returns how many tokens were reused. */
static gboolean
prefill (OviLlmSession *s, const GArray *prompt, guint *reused,
    GError **error)
{
  const gint32 *p = (const gint32 *) prompt->data;
  guint common = 0;

  if (ovi_llm_state_position (s->state) != s->cached->len)
    g_array_set_size (s->cached, 0);
  while (common < s->cached->len && common < prompt->len
      && g_array_index (s->cached, gint32, common) == p[common])
    common++;
  if (common == prompt->len)
    common--;
  ovi_llm_state_truncate (s->state, common);
  g_array_set_size (s->cached, common);
  *reused = common;
  return eval_tokens (s, p + common, prompt->len - common, error);
}

static gboolean
is_stop_token (const OviLlmGenerateParams *params, gint32 token)
{
  for (gsize i = 0; i < params->n_stop_tokens; i++)
    if (params->stop_tokens[i] == token)
      return TRUE;
  return FALSE;
}

/* The stop strings: the caller's, and in chat the template's end-of-turn
 * texts (a model may spell them out instead of emitting the token). */
static GPtrArray *
collect_stops (const OviLlmSession *s, const OviLlmGenerateParams *params,
    gboolean chat)
{
  GPtrArray *stops = g_ptr_array_new ();
  for (gsize i = 0; params->stop && params->stop[i]; i++)
    if (params->stop[i][0])
      g_ptr_array_add (stops, (gpointer) params->stop[i]);
  if (chat) {
    const char *const *eot = ovi_llm_chat_template_get_end_of_turn (
        s->llm->chat);
    for (gsize i = 0; eot && eot[i]; i++)
      g_ptr_array_add (stops, (gpointer) eot[i]);
  }
  return stops;
}

typedef struct {
  OviLlmTextFunc func;
  gpointer user_data;
  GString *answer;
  gboolean cancelled;
} Sink;

static void
emit (Sink *sink, GString *text)
{
  if (text->len == 0)
    return;
  if (sink->answer)
    g_string_append_len (sink->answer, text->str, text->len);
  if (sink->func && !sink->cancelled
      && !sink->func (text->str, text->len, sink->user_data))
    sink->cancelled = TRUE;
  g_string_truncate (text, 0);
}

/* The answer to `prompt` (already tokenized into s->prompt_tokens). */
static gboolean
generate (OviLlmSession *s, const OviLlmGenerateParams *params,
    gboolean chat, Sink *sink, OviLlmStats *stats, GError **error)
{
  const OviLlmTokenizer *tok = s->llm->tokenizer;
  g_autoptr (GPtrArray) stops = collect_stops (s, params, chat);
  OviLlmStopMatcher *matcher = NULL;
  OviLlmSampler *sampler = NULL;
  OviLlmDetokenizer *detok = NULL;
  GString *text = g_string_new (NULL), *ready = g_string_new (NULL);
  OviLlmStats st = { 0 };
  guint start, n_vocab = ovi_llm_n_vocab (s->llm);
  gint64 t0;
  gboolean ok = FALSE;

  g_array_set_size (s->answer_tokens, 0);
  if (s->prompt_tokens->len == 0) {
    g_set_error (error, OVI_LLM_ERROR, OVI_LLM_ERROR_INVALID,
        "the prompt is empty");
    goto out_early;
  }
  if (s->prompt_tokens->len >= s->n_ctx) {
    g_set_error (error, OVI_LLM_ERROR, OVI_LLM_ERROR_CONTEXT_FULL,
        "the prompt has %u tokens, the context only %u", s->prompt_tokens->len,
        s->n_ctx);
    goto out_early;
  }
  sampler = ovi_llm_sampler_new (&params->sampling, error);
  if (sampler == NULL)
    goto out_early;
  detok = ovi_llm_detokenizer_new (tok, TRUE);
  if (stops->len)
    matcher = ovi_llm_stop_matcher_new ((const char *const *) stops->pdata,
        stops->len);
  /* The repetition penalty looks back over the prompt too. */
  start = s->prompt_tokens->len > params->sampling.repeat_last_n
      ? s->prompt_tokens->len - params->sampling.repeat_last_n : 0;
  for (guint i = start; i < s->prompt_tokens->len; i++)
    ovi_llm_sampler_accept (sampler, g_array_index (s->prompt_tokens, gint32,
            i));

  st.n_prompt_tokens = s->prompt_tokens->len;
  t0 = g_get_monotonic_time ();
  if (!prefill (s, s->prompt_tokens, &st.n_reused_tokens, error))
    goto out;
  st.prefill_seconds = seconds_since (t0);
  t0 = g_get_monotonic_time ();

  for (;;) {
    gint32 token;
    gint which;

    if (g_atomic_int_get (&s->cancelled) || sink->cancelled) {
      st.stop_reason = OVI_LLM_STOP_CANCELLED;
      break;
    }
    token = ovi_llm_sampler_sample (sampler, s->logits, n_vocab);
    if (token < 0) {
      g_set_error (error, OVI_LLM_ERROR, OVI_LLM_ERROR_INVALID,
          "the model produced no finite logit (NaN or -inf everywhere)");
      goto out;
    }
    if (!params->ignore_eos && ovi_llm_tokenizer_is_eog (tok, token)) {
      st.stop_reason = OVI_LLM_STOP_EOS;
      break;
    }
    if (is_stop_token (params, token)) {
      st.stop_reason = OVI_LLM_STOP_STRING;
      break;
    }
    g_array_append_val (s->answer_tokens, token);
    st.n_generated_tokens++;
    ovi_llm_sampler_accept (sampler, token);
    ovi_llm_detokenizer_feed (detok, token, text);
    if (matcher) {
      if (ovi_llm_stop_matcher_feed (matcher, text->str, text->len, ready,
              &which)) {
        emit (sink, ready);
        st.stop_reason = OVI_LLM_STOP_STRING;
        break;
      }
      g_string_truncate (text, 0);
      emit (sink, ready);
    } else {
      emit (sink, text);
    }
    if (params->max_new_tokens
        && st.n_generated_tokens >= params->max_new_tokens) {
      st.stop_reason = OVI_LLM_STOP_MAX_TOKENS;
      break;
    }
    if (ovi_llm_state_position (s->state) >= s->n_ctx
        && s->config.on_full != OVI_LLM_CONTEXT_SLIDE) {
      st.stop_reason = OVI_LLM_STOP_CONTEXT_FULL;
      break;
    }
    if (!eval_tokens (s, &token, 1, error))
      goto out;
  }
  if (st.stop_reason != OVI_LLM_STOP_STRING
      && st.stop_reason != OVI_LLM_STOP_CANCELLED) {
    /* What the detokenizer and the matcher still hold is answer text. */
    ovi_llm_detokenizer_flush (detok, text);
    if (matcher) {
      gint which;
      if (text->len)
        ovi_llm_stop_matcher_feed (matcher, text->str, text->len, ready,
            &which);
      ovi_llm_stop_matcher_flush (matcher, ready);
      emit (sink, ready);
    } else {
      emit (sink, text);
    }
  }
  st.decode_seconds = seconds_since (t0);
  ok = TRUE;
out:
  if (detok)
    ovi_llm_detokenizer_free (detok);
  if (matcher)
    ovi_llm_stop_matcher_free (matcher);
  if (sampler)
    ovi_llm_sampler_free (sampler);
out_early:
  g_atomic_int_set (&s->cancelled, 0);
  g_string_free (text, TRUE);
  g_string_free (ready, TRUE);
  if (stats)
    *stats = st;
  return ok;
}

static gboolean
tokenize (OviLlmSession *s, const char *text, GError **error)
{
  g_array_set_size (s->prompt_tokens, 0);
  return ovi_llm_tokenizer_encode (s->llm->tokenizer, text, -1, TRUE, TRUE,
      s->prompt_tokens, error);
}

gboolean
ovi_llm_session_complete (OviLlmSession *s, const char *prompt,
    const OviLlmGenerateParams *params, OviLlmTextFunc func,
    gpointer user_data, GString *answer, OviLlmStats *stats, GError **error)
{
  Sink sink = { func, user_data, answer, FALSE };

  if (!tokenize (s, prompt, error))
    return FALSE;
  return generate (s, params, FALSE, &sink, stats, error);
}

void
ovi_llm_session_set_system_prompt (OviLlmSession *s, const char *system)
{
  g_free (s->system_prompt);
  s->system_prompt = system && system[0] ? g_strdup (system) : NULL;
}

/* Renders system prompt, history from turn `first` on, and the message. */
static char *
render_chat (OviLlmSession *s, guint first, const char *message,
    GError **error)
{
  g_autoptr (GArray) msgs = g_array_new (FALSE, FALSE,
      sizeof (OviLlmChatMessage));
  OviLlmChatMessage m;

  if (s->system_prompt) {
    m.role = OVI_LLM_CHAT_ROLE_SYSTEM;
    m.content = s->system_prompt;
    g_array_append_val (msgs, m);
  }
  for (guint i = first; i < s->history->len; i++) {
    Turn *turn = &g_array_index (s->history, Turn, i);
    m.role = turn->role;
    m.content = turn->content;
    g_array_append_val (msgs, m);
  }
  m.role = OVI_LLM_CHAT_ROLE_USER;
  m.content = message;
  g_array_append_val (msgs, m);
  return ovi_llm_chat_template_render (s->llm->chat,
      (const OviLlmChatMessage *) msgs->data, msgs->len, TRUE, error);
}

gboolean
ovi_llm_session_chat (OviLlmSession *s, const char *message,
    gboolean keep_history, const OviLlmGenerateParams *params,
    OviLlmTextFunc func, gpointer user_data, GString *answer,
    OviLlmStats *stats, GError **error)
{
  g_autoptr (GString) reply = g_string_new (NULL);
  Sink sink = { func, user_data, reply, FALSE };
  /* Room the answer needs: what it may take, or a quarter of the context
   * when unbounded. */
  guint reserve = params->max_new_tokens ? params->max_new_tokens
      : s->n_ctx / 4;
  guint first = 0;
  Turn turn;

  /* Drop the oldest user/assistant pairs until prompt and answer fit. */
  for (;;) {
    g_autofree char *text = render_chat (s, first, message, error);
    if (text == NULL || !tokenize (s, text, error))
      return FALSE;
    if (s->prompt_tokens->len + MIN (reserve, s->n_ctx / 2) <= s->n_ctx
        || first + 2 > s->history->len)
      break;
    first += 2;
  }
  if (first)
    g_array_remove_range (s->history, 0, first);
  if (!generate (s, params, TRUE, &sink, stats, error))
    return FALSE;
  if (answer)
    g_string_append_len (answer, reply->str, reply->len);
  if (keep_history) {
    turn.role = OVI_LLM_CHAT_ROLE_USER;
    turn.content = g_strdup (message);
    g_array_append_val (s->history, turn);
    turn.role = OVI_LLM_CHAT_ROLE_ASSISTANT;
    turn.content = g_strndup (reply->str, reply->len);
    g_array_append_val (s->history, turn);
  }
  return TRUE;
}

gboolean
ovi_llm_session_bench (OviLlmSession *s, const gint32 *prompt,
    gsize n_prompt, guint n_decode, OviLlmStats *stats, GError **error)
{
  OviLlmSamplerParams greedy;
  OviLlmSampler *sampler;
  OviLlmStats st = { 0 };
  guint n_vocab = ovi_llm_n_vocab (s->llm);
  gint64 t0;
  gboolean ok = FALSE;

  if (n_prompt == 0 || n_prompt + n_decode > s->n_ctx) {
    g_set_error (error, OVI_LLM_ERROR, OVI_LLM_ERROR_CONTEXT_FULL,
        "%" G_GSIZE_FORMAT " prompt and %u decoded tokens do not fit a "
        "context of %u", n_prompt, n_decode, s->n_ctx);
    return FALSE;
  }
  ovi_llm_sampler_params_init (&greedy);
  greedy.temperature = 0;
  sampler = ovi_llm_sampler_new (&greedy, error);
  if (sampler == NULL)
    return FALSE;
  ovi_llm_state_truncate (s->state, 0);
  g_array_set_size (s->cached, 0);
  st.n_prompt_tokens = n_prompt;
  t0 = g_get_monotonic_time ();
  if (!eval_tokens (s, prompt, n_prompt, error))
    goto out;
  st.prefill_seconds = seconds_since (t0);
  t0 = g_get_monotonic_time ();
  for (guint i = 0; i < n_decode; i++) {
    gint32 token = ovi_llm_sampler_sample (sampler, s->logits, n_vocab);
    if (token < 0)
      token = 0;
    if (!eval_tokens (s, &token, 1, error))
      goto out;
    st.n_generated_tokens++;
  }
  st.decode_seconds = seconds_since (t0);
  st.stop_reason = OVI_LLM_STOP_MAX_TOKENS;
  ok = TRUE;
out:
  ovi_llm_sampler_free (sampler);
  if (stats)
    *stats = st;
  return ok;
}
