/* ovi-llm: run a GGUF language model from the command line.
 *   ovi-llm --model M.gguf --prompt TEXT [--chat] [--system TEXT]
 *           [--max-new-tokens N] [--temperature T] [--top-k K] [--top-p P]
 *           [--min-p P] [--repetition-penalty R] [--seed S] [--stop STR]...
 *           [--context-length N] [--threads N] [--json]
 *   ovi-llm --model M.gguf --bench [--bench-prompt 512] [--bench-decode 128]
 *           [--repeat 3] [--threads N] [--json]
 * Without --json the answer streams to stdout as it is generated; with
 * --json one object follows with the answer, its token ids and the
 * prefill/decode speeds. --bench measures prompt processing and decode
 * speed on a synthetic prompt of token ids (the same ids
 * tools/bench/llm-peer-bench.mjs gives llama.cpp). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llm.h"

static char *opt_model;
static char *opt_prompt;
static char *opt_system;
static gboolean opt_chat;
static int opt_max_new_tokens = 256;
static double opt_temperature = 0.8;
static int opt_top_k = 40;
static double opt_top_p = 0.95;
static double opt_min_p = 0.05;
static double opt_repetition_penalty = 1.0;
static gint64 opt_seed = -1;
static char **opt_stop;
static int opt_context_length;
static int opt_threads;
static gboolean opt_json;
static gboolean opt_bench;
static int opt_bench_prompt = 512;
static int opt_bench_decode = 128;
static int opt_repeat = 3;

static GOptionEntry entries[] = {
  { "model", 'm', 0, G_OPTION_ARG_FILENAME, &opt_model, "GGUF model", "M" },
  { "prompt", 'p', 0, G_OPTION_ARG_STRING, &opt_prompt, "Prompt text", "TEXT" },
  { "chat", 0, 0, G_OPTION_ARG_NONE, &opt_chat, "Render the prompt with the model's chat template", NULL },
  { "system", 0, 0, G_OPTION_ARG_STRING, &opt_system, "System prompt (with --chat)", "TEXT" },
  { "max-new-tokens", 'n', 0, G_OPTION_ARG_INT, &opt_max_new_tokens, "Tokens to generate at most (256)", "N" },
  { "temperature", 't', 0, G_OPTION_ARG_DOUBLE, &opt_temperature, "Sampling temperature, 0 = greedy (0.8)", "T" },
  { "top-k", 0, 0, G_OPTION_ARG_INT, &opt_top_k, "Top-k, 0 = off (40)", "K" },
  { "top-p", 0, 0, G_OPTION_ARG_DOUBLE, &opt_top_p, "Top-p, 1 = off (0.95)", "P" },
  { "min-p", 0, 0, G_OPTION_ARG_DOUBLE, &opt_min_p, "Min-p, 0 = off (0.05)", "P" },
  { "repetition-penalty", 0, 0, G_OPTION_ARG_DOUBLE, &opt_repetition_penalty, "Repetition penalty, 1 = off (1)", "R" },
  { "seed", 's', 0, G_OPTION_ARG_INT64, &opt_seed, "Random seed (-1: from the clock)", "S" },
  { "stop", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_stop, "Stop string (repeatable)", "STR" },
  { "context-length", 'c', 0, G_OPTION_ARG_INT, &opt_context_length, "Context length (0: the model's, at most 4096)", "N" },
  { "threads", 0, 0, G_OPTION_ARG_INT, &opt_threads, "Threads (0: all cores)", "N" },
  { "json", 0, 0, G_OPTION_ARG_NONE, &opt_json, "Print one JSON object", NULL },
  { "bench", 0, 0, G_OPTION_ARG_NONE, &opt_bench, "Measure prompt and decode speed", NULL },
  { "bench-prompt", 0, 0, G_OPTION_ARG_INT, &opt_bench_prompt, "Prompt tokens for --bench (512)", "N" },
  { "bench-decode", 0, 0, G_OPTION_ARG_INT, &opt_bench_decode, "Decoded tokens for --bench (128)", "N" },
  { "repeat", 0, 0, G_OPTION_ARG_INT, &opt_repeat, "Repetitions for --bench; medians are reported (3)", "N" },
  { NULL }
};

static int
die (const char *what, GError *error)
{
  fprintf (stderr, "ovi-llm: %s%s%s\n", what, error ? ": " : "",
      error ? error->message : "");
  g_clear_error (&error);
  return 1;
}

static gboolean
print_chunk (const char *text, gsize length, gpointer user_data)
{
  fwrite (text, 1, length, stdout);
  fflush (stdout);
  return TRUE;
}

static void
print_json_string (const char *s, gsize length)
{
  putchar ('"');
  for (gsize i = 0; i < length; i++) {
    guchar c = s[i];
    if (c == '"' || c == '\\')
      printf ("\\%c", c);
    else if (c == '\n')
      fputs ("\\n", stdout);
    else if (c == '\t')
      fputs ("\\t", stdout);
    else if (c == '\r')
      fputs ("\\r", stdout);
    else if (c < 0x20)
      printf ("\\u%04x", c);
    else
      putchar (c);
  }
  putchar ('"');
}

static void
print_json_ids (const GArray *ids)
{
  putchar ('[');
  for (guint i = 0; ids && i < ids->len; i++)
    printf ("%s%d", i ? ", " : "", g_array_index (ids, gint32, i));
  putchar (']');
}

static double
per_second (guint n, double seconds)
{
  return seconds > 0 ? n / seconds : 0;
}

static int
compare_double (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static double
median (GArray *values)
{
  g_array_sort (values, compare_double);
  return g_array_index (values, double, values->len / 2);
}

static int
run_bench (OviLlm *llm, OviLlmSession *session)
{
  guint n_vocab = ovi_llm_n_vocab (llm), lo = n_vocab / 4;
  gint32 *prompt = g_new (gint32, MAX (opt_bench_prompt, 1));
  g_autoptr (GArray) pp = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) tg = g_array_new (FALSE, FALSE, sizeof (double));
  double bytes = ovi_llm_weight_bytes_per_token (llm);
  GError *error = NULL;

  /* Fixed ids from the upper three quarters of the vocabulary, clear of
   * byte and control tokens: the peer benchmark uses the same. */
  for (int i = 0; i < opt_bench_prompt; i++)
    prompt[i] = lo + (gint32) (((gint64) i * 7919) % (n_vocab - lo));
  /* Untimed warm-up: every weight page is touched once before timing
   * (the peer benchmark does the same). */
  ovi_llm_session_reset (session);
  if (!ovi_llm_session_bench (session, prompt, MIN (8, opt_bench_prompt), 8,
          NULL, &error)) {
    g_free (prompt);
    return die ("benchmark failed", error);
  }
  for (int r = 0; r < MAX (opt_repeat, 1); r++) {
    OviLlmStats stats;
    double v;
    ovi_llm_session_reset (session);
    if (!ovi_llm_session_bench (session, prompt, opt_bench_prompt, 0, &stats,
            &error)) {
      g_free (prompt);
      return die ("benchmark failed", error);
    }
    v = per_second (stats.n_prompt_tokens, stats.prefill_seconds);
    g_array_append_val (pp, v);
    ovi_llm_session_reset (session);
    if (!ovi_llm_session_bench (session, prompt, MIN (8, opt_bench_prompt),
            opt_bench_decode, &stats, &error)) {
      g_free (prompt);
      return die ("benchmark failed", error);
    }
    v = per_second (stats.n_generated_tokens, stats.decode_seconds);
    g_array_append_val (tg, v);
  }
  g_free (prompt);
  if (opt_json) {
    printf ("{\"model\": ");
    print_json_string (opt_model, strlen (opt_model));
    printf (", \"threads\": %d, \"prompt_tokens\": %d, "
        "\"prompt_tokens_per_s\": %.3f, \"decode_tokens\": %d, "
        "\"decode_tokens_per_s\": %.3f, \"weight_bytes_per_token\": %.0f, "
        "\"decode_gb_per_s\": %.3f}\n", opt_threads, opt_bench_prompt,
        median (pp), opt_bench_decode, median (tg), bytes,
        bytes * median (tg) / 1e9);
  } else {
    printf ("prompt processing: %.2f tokens/s (%d tokens)\n", median (pp),
        opt_bench_prompt);
    printf ("decode: %.2f tokens/s (%d tokens), %.2f GB/s of weights\n",
        median (tg), opt_bench_decode, bytes * median (tg) / 1e9);
  }
  return 0;
}

int
main (int argc, char **argv)
{
  GOptionContext *ctx = g_option_context_new ("- run a GGUF language model");
  GError *error = NULL;
  g_autoptr (OviLlm) llm = NULL;
  g_autoptr (OviLlmSession) session = NULL;
  g_autoptr (GString) answer = g_string_new (NULL);
  OviLlmSessionConfig config;
  OviLlmGenerateParams params;
  OviLlmStats stats;
  gboolean ok;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    g_option_context_free (ctx);
    return die ("bad arguments", error);
  }
  g_option_context_free (ctx);
  if (opt_model == NULL)
    return die ("--model is required", NULL);
  if (opt_prompt == NULL && !opt_bench)
    return die ("--prompt (or --bench) is required", NULL);
  if (opt_bench && (opt_bench_prompt < 1 || opt_bench_decode < 0))
    return die ("--bench-prompt must be at least 1 and --bench-decode not "
        "negative", NULL);

  llm = ovi_llm_load (opt_model, &error);
  if (llm == NULL)
    return die ("cannot load the model", error);
  ovi_llm_session_config_init (&config);
  config.context_length = opt_context_length;
  config.n_threads = opt_threads;
  if (opt_bench && config.context_length == 0)
    config.context_length = opt_bench_prompt + opt_bench_decode + 16;
  session = ovi_llm_session_new (llm, &config, &error);
  if (session == NULL)
    return die ("cannot create a session", error);
  if (opt_bench)
    return run_bench (llm, session);

  ovi_llm_generate_params_init (&params);
  params.max_new_tokens = MAX (opt_max_new_tokens, 0);
  params.sampling.temperature = opt_temperature;
  params.sampling.top_k = opt_top_k;
  params.sampling.top_p = opt_top_p;
  params.sampling.min_p = opt_min_p;
  params.sampling.repetition_penalty = opt_repetition_penalty;
  params.sampling.seed = opt_seed >= 0 ? (guint64) opt_seed
      : (guint64) g_get_real_time ();
  params.stop = (const char *const *) opt_stop;

  if (opt_chat) {
    ovi_llm_session_set_system_prompt (session, opt_system);
    ok = ovi_llm_session_chat (session, opt_prompt, FALSE, &params,
        opt_json ? NULL : print_chunk, NULL, answer, &stats, &error);
  } else {
    ok = ovi_llm_session_complete (session, opt_prompt, &params,
        opt_json ? NULL : print_chunk, NULL, answer, &stats, &error);
  }
  if (!ok)
    return die ("generation failed", error);
  if (!opt_json) {
    putchar ('\n');
    return 0;
  }
  printf ("{\"answer\": ");
  print_json_string (answer->str, answer->len);
  printf (", \"prompt_token_ids\": ");
  print_json_ids (ovi_llm_session_prompt_tokens (session));
  printf (", \"answer_token_ids\": ");
  print_json_ids (ovi_llm_session_answer_tokens (session));
  printf (", \"prompt_tokens\": %u, \"generated_tokens\": %u, "
      "\"prefill_tokens_per_s\": %.3f, \"decode_tokens_per_s\": %.3f, "
      "\"stop_reason\": \"%s\"}\n", stats.n_prompt_tokens,
      stats.n_generated_tokens,
      per_second (stats.n_prompt_tokens - stats.n_reused_tokens,
          stats.prefill_seconds),
      per_second (stats.n_generated_tokens, stats.decode_seconds),
      ovi_llm_stop_reason_name (stats.stop_reason));
  return 0;
}
