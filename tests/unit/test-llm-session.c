/* Sessions (llm.h) on the generated random-weight models: what a user of
 * the API relies on, each checked against a first run of the same
 * session rather than against fixed words (the weights are random):
 * determinism, prompt-prefix reuse, max-new-tokens, stop strings and stop
 * tokens, cancellation, chat history and its trimming, context limits,
 * streamed chunks being valid UTF-8, and load errors. */
#include <string.h>

#include <glib.h>

#include "llm.h"

static char *
model_path (const char *name)
{
  return g_build_filename (g_getenv ("OVI_TEST_MODELS"), name, NULL);
}

static OviLlm *
load (const char *name)
{
  g_autofree char *path = model_path (name);
  GError *error = NULL;
  OviLlm *llm = ovi_llm_load (path, &error);
  g_assert_no_error (error);
  return llm;
}

static OviLlmSession *
session_new (OviLlm *llm, guint n_ctx, gboolean slide)
{
  OviLlmSessionConfig config;
  GError *error = NULL;
  OviLlmSession *s;

  ovi_llm_session_config_init (&config);
  config.context_length = n_ctx;
  config.n_threads = 2;
  config.on_full = slide ? OVI_LLM_CONTEXT_SLIDE : OVI_LLM_CONTEXT_ERROR;
  s = ovi_llm_session_new (llm, &config, &error);
  g_assert_no_error (error);
  return s;
}

static void
greedy_params (OviLlmGenerateParams *p, guint max_new_tokens)
{
  ovi_llm_generate_params_init (p);
  p->sampling.temperature = 0;
  p->max_new_tokens = max_new_tokens;
  /* Random weights love to repeat one token; EOS would end some runs
   * early and make lengths depend on the model. */
  p->ignore_eos = TRUE;
}

typedef struct {
  GString *text;
  int chunks;
  int cancel_after;
} Collect;

static gboolean
collect (const char *text, gsize length, gpointer user_data)
{
  Collect *c = user_data;
  g_assert_true (g_utf8_validate_len (text, length, NULL));
  g_string_append_len (c->text, text, length);
  c->chunks++;
  return c->cancel_after == 0 || c->chunks < c->cancel_after;
}

static GArray *
copy_ids (const GArray *ids)
{
  GArray *copy = g_array_sized_new (FALSE, FALSE, sizeof (gint32), ids->len);
  g_array_append_vals (copy, ids->data, ids->len);
  return copy;
}

static void
test_complete_deterministic (void)
{
  g_autoptr (OviLlm) llm = load ("llama-f32.gguf");
  g_autoptr (OviLlmSession) s = session_new (llm, 0, FALSE);
  g_autoptr (GString) a = g_string_new (NULL), b = g_string_new (NULL);
  g_autoptr (GArray) first = NULL;
  Collect c = { g_string_new (NULL), 0, 0 };
  OviLlmGenerateParams p;
  OviLlmStats st;
  GError *error = NULL;

  greedy_params (&p, 24);
  g_assert_true (ovi_llm_session_complete (s, "The camera saw", &p, collect,
          &c, a, &st, &error));
  g_assert_no_error (error);
  g_assert_cmpint (st.stop_reason, ==, OVI_LLM_STOP_MAX_TOKENS);
  g_assert_cmpuint (st.n_generated_tokens, ==, 24);
  g_assert_cmpuint (ovi_llm_session_answer_tokens (s)->len, ==, 24);
  g_assert_cmpuint (st.n_reused_tokens, ==, 0);
  g_assert_cmpuint (st.n_prompt_tokens, ==,
      ovi_llm_session_prompt_tokens (s)->len);
  /* What streamed is the answer. */
  g_assert_cmpstr (c.text->str, ==, a->str);
  g_assert_cmpint (c.chunks, >, 0);
  first = copy_ids (ovi_llm_session_answer_tokens (s));

  /* The same prompt again: same answer, and all but the last prompt token
   * come from the cache. */
  g_assert_true (ovi_llm_session_complete (s, "The camera saw", &p, NULL,
          NULL, b, &st, &error));
  g_assert_cmpstr (a->str, ==, b->str);
  g_assert_cmpuint (st.n_reused_tokens, ==, st.n_prompt_tokens - 1);
  g_assert_cmpmem (first->data, first->len * 4,
      ovi_llm_session_answer_tokens (s)->data,
      ovi_llm_session_answer_tokens (s)->len * 4);
  g_string_free (c.text, TRUE);
}

/* A longer prompt sharing a prefix reuses it, and the answer equals a
 * fresh session's: reuse changes nothing but the work done. */
static void
test_prefix_reuse (void)
{
  g_autoptr (OviLlm) llm = load ("qwen2-f32.gguf");
  g_autoptr (OviLlmSession) s = session_new (llm, 0, FALSE);
  g_autoptr (OviLlmSession) fresh = session_new (llm, 0, FALSE);
  g_autoptr (GString) a = g_string_new (NULL), b = g_string_new (NULL);
  OviLlmGenerateParams p;
  OviLlmStats st;

  greedy_params (&p, 16);
  g_assert_true (ovi_llm_session_complete (s, "a person at the door", &p,
          NULL, NULL, NULL, &st, NULL));
  g_assert_true (ovi_llm_session_complete (s,
          "a person at the door, then a car", &p, NULL, NULL, a, &st, NULL));
  g_assert_cmpuint (st.n_reused_tokens, >, 3);
  g_assert_true (ovi_llm_session_complete (fresh,
          "a person at the door, then a car", &p, NULL, NULL, b, &st, NULL));
  g_assert_cmpuint (st.n_reused_tokens, ==, 0);
  g_assert_cmpstr (a->str, ==, b->str);
}

/* Stop strings and stop tokens cut the answer where the first run had
 * them. */
static void
test_stops (void)
{
  g_autoptr (OviLlm) llm = load ("llama-f16.gguf");
  g_autoptr (OviLlmSession) s = session_new (llm, 0, FALSE);
  g_autoptr (GString) full = g_string_new (NULL);
  g_autoptr (GString) cut = g_string_new (NULL);
  g_autoptr (GArray) ids = NULL;
  Collect c = { g_string_new (NULL), 0, 0 };
  OviLlmGenerateParams p;
  OviLlmStats st;
  const char *stop[2] = { NULL, NULL };
  g_autofree char *needle = NULL;
  const char *at;
  gint32 stop_token;
  guint first_at = 0;

  greedy_params (&p, 32);
  g_assert_true (ovi_llm_session_complete (s, "Summary:", &p, NULL, NULL,
          full, &st, NULL));
  g_assert_cmpuint (full->len, >, 8);
  ids = copy_ids (ovi_llm_session_answer_tokens (s));

  /* Two bytes from the middle of the answer, on a character boundary. */
  at = g_utf8_find_next_char (full->str + full->len / 2, NULL);
  needle = g_strndup (at, g_utf8_next_char (g_utf8_next_char (at)) - at);
  stop[0] = needle;
  p.stop = stop;
  g_assert_true (ovi_llm_session_complete (s, "Summary:", &p, collect, &c,
          cut, &st, NULL));
  g_assert_cmpint (st.stop_reason, ==, OVI_LLM_STOP_STRING);
  g_assert_true (g_str_has_prefix (full->str, cut->str));
  g_assert_cmpuint (cut->len, ==, strstr (full->str, needle) - full->str);
  /* Streamed text never includes the stop string. */
  g_assert_cmpstr (c.text->str, ==, cut->str);
  g_string_free (c.text, TRUE);

  /* Stop token: the 6th answer token ends the answer at its first use. */
  p.stop = NULL;
  stop_token = g_array_index (ids, gint32, 5);
  while (g_array_index (ids, gint32, first_at) != stop_token)
    first_at++;
  p.stop_tokens = &stop_token;
  p.n_stop_tokens = 1;
  g_assert_true (ovi_llm_session_complete (s, "Summary:", &p, NULL, NULL,
          NULL, &st, NULL));
  g_assert_cmpint (st.stop_reason, ==, OVI_LLM_STOP_STRING);
  g_assert_cmpuint (st.n_generated_tokens, ==, first_at);
}

typedef struct {
  OviLlmSession *session;
  gint chunks;
} CancelFromThread;

static gpointer
cancel_thread (gpointer session)
{
  ovi_llm_session_cancel (session);
  return NULL;
}

static gboolean
cancel_on_third (const char *text, gsize length, gpointer user_data)
{
  CancelFromThread *c = user_data;
  if (++c->chunks == 3) {
    /* As another thread would: only the flag is touched. */
    GThread *t = g_thread_new ("cancel", cancel_thread, c->session);
    g_thread_join (t);
  }
  return TRUE;
}

static void
test_cancel (void)
{
  g_autoptr (OviLlm) llm = load ("llama-f32.gguf");
  g_autoptr (OviLlmSession) s = session_new (llm, 0, FALSE);
  Collect c = { g_string_new (NULL), 0, 2 };
  CancelFromThread ct = { s, 0 };
  OviLlmGenerateParams p;
  OviLlmStats st;

  greedy_params (&p, 64);
  /* The callback says stop. */
  g_assert_true (ovi_llm_session_complete (s, "count:", &p, collect, &c,
          NULL, &st, NULL));
  g_assert_cmpint (st.stop_reason, ==, OVI_LLM_STOP_CANCELLED);
  g_assert_cmpint (c.chunks, ==, 2);
  g_assert_cmpuint (st.n_generated_tokens, <, 64);
  /* Another thread says stop. */
  g_assert_true (ovi_llm_session_complete (s, "count:", &p, cancel_on_third,
          &ct, NULL, &st, NULL));
  g_assert_cmpint (st.stop_reason, ==, OVI_LLM_STOP_CANCELLED);
  g_assert_cmpint (ct.chunks, <=, 4);
  /* A cancel is used up by the generation it stopped. */
  g_assert_true (ovi_llm_session_complete (s, "count:", &p, NULL, NULL, NULL,
          &st, NULL));
  g_assert_cmpint (st.stop_reason, ==, OVI_LLM_STOP_MAX_TOKENS);
  g_string_free (c.text, TRUE);
}

static void
test_chat_history (void)
{
  g_autoptr (OviLlm) llm = load ("qwen2-f16.gguf");
  g_autoptr (OviLlmSession) s = session_new (llm, 0, FALSE);
  g_autoptr (GString) a1 = g_string_new (NULL), a2 = g_string_new (NULL);
  OviLlmGenerateParams p;
  OviLlmStats st1, st2, st3;
  guint first_prompt;

  greedy_params (&p, 8);
  ovi_llm_session_set_system_prompt (s, "You watch cameras.");
  g_assert_true (ovi_llm_session_chat (s, "Who is at the door?", TRUE, &p,
          NULL, NULL, a1, &st1, NULL));
  first_prompt = st1.n_prompt_tokens;
  g_assert_true (ovi_llm_session_chat (s, "And now?", TRUE, &p, NULL, NULL,
          a2, &st2, NULL));
  /* The second prompt holds the first turn and its answer... */
  g_assert_cmpuint (st2.n_prompt_tokens, >, first_prompt + 3);
  /* ...most of which the cache already had. */
  g_assert_cmpuint (st2.n_reused_tokens, >=, first_prompt - 1);
  /* Without history the same message gives a short prompt again. */
  ovi_llm_session_reset (s);
  g_assert_true (ovi_llm_session_chat (s, "And now?", FALSE, &p, NULL, NULL,
          NULL, &st3, NULL));
  g_assert_cmpuint (st3.n_prompt_tokens, <, st2.n_prompt_tokens);
  g_assert_cmpuint (st3.n_reused_tokens, ==, 0);
}

/* Many turns in a small context: the oldest turns go, the chat goes on. */
static void
test_chat_trimming (void)
{
  g_autoptr (OviLlm) llm = load ("llama-f32.gguf");
  g_autoptr (OviLlmSession) s = session_new (llm, 96, FALSE);
  OviLlmGenerateParams p;
  OviLlmStats st;
  guint longest = 0;

  greedy_params (&p, 12);
  for (int turn = 0; turn < 12; turn++) {
    GError *error = NULL;
    g_assert_true (ovi_llm_session_chat (s, "What moved in the garden?",
            TRUE, &p, NULL, NULL, NULL, &st, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (st.n_prompt_tokens + 12, <=, 96);
    longest = MAX (longest, st.n_prompt_tokens);
  }
  /* History did grow before being trimmed. */
  g_assert_cmpuint (longest, >, 40);
}

static void
test_context_limits (void)
{
  g_autoptr (OviLlm) llm = load ("llama-f32.gguf");
  g_autoptr (OviLlmSession) s = session_new (llm, 32, FALSE);
  g_autoptr (OviLlmSession) slide = session_new (llm, 32, TRUE);
  OviLlmGenerateParams p;
  OviLlmStats st;
  GError *error = NULL;
  g_autofree char *long_prompt = g_strnfill (200, 'x');

  greedy_params (&p, 0);
  /* A prompt longer than the context is an error. */
  g_assert_false (ovi_llm_session_complete (s, long_prompt, &p, NULL, NULL,
          NULL, &st, &error));
  g_assert_error (error, OVI_LLM_ERROR, OVI_LLM_ERROR_CONTEXT_FULL);
  g_clear_error (&error);
  /* Unbounded generation stops when the context is full... */
  g_assert_true (ovi_llm_session_complete (s, "go", &p, NULL, NULL, NULL,
          &st, &error));
  g_assert_no_error (error);
  g_assert_cmpint (st.stop_reason, ==, OVI_LLM_STOP_CONTEXT_FULL);
  g_assert_cmpuint (st.n_prompt_tokens + st.n_generated_tokens, <=, 33);
  /* ...or slides past it. */
  p.max_new_tokens = 80;
  g_assert_true (ovi_llm_session_complete (slide, "go", &p, NULL, NULL, NULL,
          &st, &error));
  g_assert_no_error (error);
  g_assert_cmpint (st.stop_reason, ==, OVI_LLM_STOP_MAX_TOKENS);
  g_assert_cmpuint (st.n_generated_tokens, ==, 80);
}

static void
test_seeded_sampling (void)
{
  g_autoptr (OviLlm) llm = load ("llama-f16.gguf");
  g_autoptr (OviLlmSession) s = session_new (llm, 0, FALSE);
  g_autoptr (GArray) a = NULL;
  OviLlmGenerateParams p;
  int differ = 0;

  ovi_llm_generate_params_init (&p);
  p.max_new_tokens = 16;
  p.ignore_eos = TRUE;
  /* Random weights give peaked distributions: a high temperature makes
   * the draws depend on the seed. */
  p.sampling.temperature = 2.0;
  p.sampling.top_k = 0;
  p.sampling.top_p = 1;
  p.sampling.min_p = 0;
  p.sampling.seed = 1234;
  g_assert_true (ovi_llm_session_complete (s, "hello", &p, NULL, NULL, NULL,
          NULL, NULL));
  a = copy_ids (ovi_llm_session_answer_tokens (s));
  g_assert_true (ovi_llm_session_complete (s, "hello", &p, NULL, NULL, NULL,
          NULL, NULL));
  g_assert_cmpmem (a->data, a->len * 4,
      ovi_llm_session_answer_tokens (s)->data, a->len * 4);
  for (guint64 seed = 1; seed <= 4; seed++) {
    const GArray *b;
    p.sampling.seed = 1234 + seed;
    g_assert_true (ovi_llm_session_complete (s, "hello", &p, NULL, NULL,
            NULL, NULL, NULL));
    b = ovi_llm_session_answer_tokens (s);
    differ += memcmp (a->data, b->data, a->len * 4) != 0;
  }
  /* 16 tokens drawn at temperature 2 from 300. */
  g_assert_cmpint (differ, >=, 3);
}

static void
test_bench_entry (void)
{
  g_autoptr (OviLlm) llm = load ("llama-f32.gguf");
  g_autoptr (OviLlmSession) s = session_new (llm, 64, FALSE);
  gint32 prompt[40];
  OviLlmStats st;
  GError *error = NULL;

  for (int i = 0; i < 40; i++)
    prompt[i] = 10 + i;
  g_assert_true (ovi_llm_session_bench (s, prompt, 40, 16, &st, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (st.n_prompt_tokens, ==, 40);
  g_assert_cmpuint (st.n_generated_tokens, ==, 16);
  g_assert_cmpfloat (st.prefill_seconds, >, 0);
  /* More than the context holds is refused up front. */
  g_assert_false (ovi_llm_session_bench (s, prompt, 40, 30, &st, &error));
  g_assert_error (error, OVI_LLM_ERROR, OVI_LLM_ERROR_CONTEXT_FULL);
  g_clear_error (&error);
  g_assert_cmpuint (ovi_llm_weight_bytes_per_token (llm), >, 0);
  g_assert_cmpstr (ovi_llm_architecture (llm), ==, "llama");
}

static void
test_load_errors (void)
{
  static const char *const bad[] = {
    "hostile-model-missing-tensor.gguf", "hostile-model-unsupported-arch.gguf",
    "hostile-model-vocab-mismatch.gguf", "tok-spm.gguf", "valid.gguf",
  };
  GError *error = NULL;

  g_assert_null (ovi_llm_load ("/nonexistent/model.gguf", &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autofree char *path = model_path (bad[i]);
    g_assert_null (ovi_llm_load (path, &error));
    g_assert_nonnull (error);
    g_test_message ("%s: %s", bad[i], error->message);
    g_clear_error (&error);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/llm/session/complete-deterministic",
      test_complete_deterministic);
  g_test_add_func ("/llm/session/prefix-reuse", test_prefix_reuse);
  g_test_add_func ("/llm/session/stops", test_stops);
  g_test_add_func ("/llm/session/cancel", test_cancel);
  g_test_add_func ("/llm/session/chat-history", test_chat_history);
  g_test_add_func ("/llm/session/chat-trimming", test_chat_trimming);
  g_test_add_func ("/llm/session/context-limits", test_context_limits);
  g_test_add_func ("/llm/session/seeded-sampling", test_seeded_sampling);
  g_test_add_func ("/llm/session/bench-entry", test_bench_entry);
  g_test_add_func ("/llm/session/load-errors", test_load_errors);
  return g_test_run ();
}
