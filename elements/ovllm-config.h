/* ovllm's `generation-config`: DL Streamer gvagenai's "KEY=VALUE,KEY=VALUE"
 * string (OpenVINO GenAI GenerationConfig keys), parsed into overrides of
 * the element's own generation properties.
 *
 * Applied: max_new_tokens, ignore_eos, eos_token_id and stop_token_ids
 * ("1;2", both end generation like the model's end token), stop_strings
 * ("A;B"), repetition_penalty, do_sample (false: greedy), temperature,
 * top_p, top_k, rng_seed, apply_chat_template, and ours: min_p.
 * Accepted only at the value that means "off" (anything else is an error
 * naming the key, since the runtime cannot do it): min_new_tokens 0,
 * include_stop_str_in_output false, presence_penalty and frequency_penalty
 * 0, num_beams, num_beam_groups and num_return_sequences 1,
 * diversity_penalty 0, no_repeat_ngram_size 0, assistant_confidence_
 * threshold 0, num_assistant_tokens 0, max_ngram_size 0. Accepted and
 * ignored (they only steer beam search, which greedy and sampled decoding
 * never run): length_penalty, stop_criteria (EARLY, HEURISTIC, NEVER).
 * Refused: max_length (use max_new_tokens) and any unknown key. */
#ifndef OV_LLM_CONFIG_H
#define OV_LLM_CONFIG_H

#include <glib.h>

G_BEGIN_DECLS

#define OV_LLM_CONFIG_ERROR (ov_llm_config_error_quark ())
GQuark ov_llm_config_error_quark (void);

typedef enum {
  OV_LLM_SET_MAX_NEW_TOKENS = 1 << 0,
  OV_LLM_SET_TEMPERATURE = 1 << 1,
  OV_LLM_SET_TOP_K = 1 << 2,
  OV_LLM_SET_TOP_P = 1 << 3,
  OV_LLM_SET_MIN_P = 1 << 4,
  OV_LLM_SET_REPETITION_PENALTY = 1 << 5,
  OV_LLM_SET_SEED = 1 << 6,
  OV_LLM_SET_IGNORE_EOS = 1 << 7,
  OV_LLM_SET_APPLY_CHAT_TEMPLATE = 1 << 8,
  OV_LLM_SET_DO_SAMPLE = 1 << 9,
} OvLlmConfigSet;

typedef struct {
  guint set;                    /* OvLlmConfigSet: which values were given */
  guint max_new_tokens;
  double temperature;
  gint top_k;
  double top_p;
  double min_p;
  double repetition_penalty;
  guint64 seed;
  gboolean ignore_eos;
  gboolean apply_chat_template;
  gboolean do_sample;
  GPtrArray *stop_strings;      /* char *, added to the `stop` property's */
  GArray *stop_token_ids;       /* gint32 */
} OvLlmConfig;

void ov_llm_config_init (OvLlmConfig *config);
void ov_llm_config_clear (OvLlmConfig *config);

/* Parses `text` (NULL or empty: nothing set) into `config` (initialized
 * first). On error `config` is left cleared and the error names the key. */
gboolean ov_llm_config_parse (const char *text, OvLlmConfig *config,
    GError **error);

G_END_DECLS

#endif
