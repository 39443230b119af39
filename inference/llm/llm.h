/* The LLM runtime's public face: load a GGUF model once, open sessions
 * on it, and generate text with streaming, sampling, stop conditions and
 * chat history. This is what ovi-llm and the ovllm element use; the
 * modules below it (gguf, model, tokenizer, sampler, chat-template,
 * stop-strings) are internal.
 *
 * Threading: an OviLlm is immutable after loading and may be shared by
 * sessions on any threads (it is reference counted). A session is used by
 * one thread at a time, except ovi_llm_session_cancel, which any thread
 * may call while a generation runs. */
#ifndef OVI_LLM_H
#define OVI_LLM_H

#include <glib.h>

#include "sampler.h"

G_BEGIN_DECLS

#define OVI_LLM_ERROR (ovi_llm_error_quark ())
GQuark ovi_llm_error_quark (void);

typedef enum {
  OVI_LLM_ERROR_INVALID,       /* a parameter out of range */
  OVI_LLM_ERROR_CONTEXT_FULL,  /* the prompt alone does not fit */
} OviLlmError;

typedef struct _OviLlm OviLlm;
typedef struct _OviLlmSession OviLlmSession;

/* What happens when the context fills up during generation. */
typedef enum {
  OVI_LLM_CONTEXT_ERROR,   /* stop with OVI_LLM_STOP_CONTEXT_FULL */
  OVI_LLM_CONTEXT_SLIDE,   /* forget the oldest tokens and go on */
} OviLlmContextPolicy;

typedef struct {
  guint context_length;        /* 0: the model's, capped at 4096 */
  int n_threads;               /* 0: every processor */
  gboolean kv_8bit;            /* Q8_0 keys and values instead of F16 */
  OviLlmContextPolicy on_full;
} OviLlmSessionConfig;

typedef struct {
  OviLlmSamplerParams sampling;
  guint max_new_tokens;        /* 0: until a stop or the context's end */
  const char *const *stop;     /* NULL-terminated stop strings, or NULL */
  const gint32 *stop_tokens;   /* extra token ids that end generation */
  gsize n_stop_tokens;
  gboolean ignore_eos;         /* do not stop at end-of-generation tokens */
} OviLlmGenerateParams;

typedef enum {
  OVI_LLM_STOP_EOS,            /* an end-of-generation token */
  OVI_LLM_STOP_STRING,         /* a stop string or stop token */
  OVI_LLM_STOP_MAX_TOKENS,
  OVI_LLM_STOP_CONTEXT_FULL,
  OVI_LLM_STOP_CANCELLED,
} OviLlmStopReason;

typedef struct {
  guint n_prompt_tokens;       /* tokens of the prompt, incl. reused ones */
  guint n_reused_tokens;       /* of those, already in the KV cache */
  guint n_generated_tokens;
  double prefill_seconds;      /* evaluating the prompt's new tokens */
  double decode_seconds;       /* generating, sampling included */
  OviLlmStopReason stop_reason;
} OviLlmStats;

/* Receives the answer as it is generated: valid UTF-8, stop strings
 * withheld. Returning FALSE cancels the generation. */
typedef gboolean (*OviLlmTextFunc) (const char *text, gsize length,
    gpointer user_data);

OviLlm *ovi_llm_load (const char *path, GError **error);
OviLlm *ovi_llm_ref (OviLlm *llm);
void ovi_llm_unref (OviLlm *llm);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OviLlm, ovi_llm_unref)

const char *ovi_llm_architecture (const OviLlm *llm);
guint ovi_llm_context_length (const OviLlm *llm);
guint ovi_llm_n_vocab (const OviLlm *llm);
/* Bytes of weights one decoded token reads (every matrix once). */
guint64 ovi_llm_weight_bytes_per_token (const OviLlm *llm);
/* The chat template family found in the file ("chatml", "llama3", ...). */
const char *ovi_llm_chat_family (const OviLlm *llm);

void ovi_llm_session_config_init (OviLlmSessionConfig *config);
void ovi_llm_generate_params_init (OviLlmGenerateParams *params);

OviLlmSession *ovi_llm_session_new (OviLlm *llm,
    const OviLlmSessionConfig *config, GError **error);
void ovi_llm_session_free (OviLlmSession *session);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OviLlmSession, ovi_llm_session_free)

/* Plain completion: `prompt` is tokenized as is (BOS as the model asks,
 * special-token texts recognised) and continued. The KV cache keeps what
 * a previous call evaluated and reuses the common prefix. */
gboolean ovi_llm_session_complete (OviLlmSession *session,
    const char *prompt, const OviLlmGenerateParams *params,
    OviLlmTextFunc func, gpointer user_data, GString *answer,
    OviLlmStats *stats, GError **error);

/* Chat: the system prompt (NULL: none) and the conversation so far are
 * rendered with the model's chat template; with keep_history the user
 * message and the answer join the history, which is trimmed from its
 * oldest turns when it no longer fits the context. */
void ovi_llm_session_set_system_prompt (OviLlmSession *session,
    const char *system_prompt);
gboolean ovi_llm_session_chat (OviLlmSession *session, const char *message,
    gboolean keep_history, const OviLlmGenerateParams *params,
    OviLlmTextFunc func, gpointer user_data, GString *answer,
    OviLlmStats *stats, GError **error);
/* Forgets the history and the KV cache. */
void ovi_llm_session_reset (OviLlmSession *session);

/* Token ids of the last call's prompt and answer (for --json). */
const GArray *ovi_llm_session_prompt_tokens (const OviLlmSession *session);
const GArray *ovi_llm_session_answer_tokens (const OviLlmSession *session);

/* Any thread: the running (or next) generation stops at its next token
 * with OVI_LLM_STOP_CANCELLED. */
void ovi_llm_session_cancel (OviLlmSession *session);

/* Evaluates n token ids as a prompt (no generation) and then decodes n_decode
 * tokens greedily: the benchmark's unit, independent of any tokenizer. */
gboolean ovi_llm_session_bench (OviLlmSession *session, const gint32 *prompt,
    gsize n_prompt, guint n_decode, OviLlmStats *stats, GError **error);

const char *ovi_llm_stop_reason_name (OviLlmStopReason reason);

G_END_DECLS

#endif
