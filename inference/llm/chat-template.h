/* Chat templates: turning a conversation into the prompt text a chat model
 * was trained on.
 *
 * GGUF files carry the Hugging Face Jinja template in
 * `tokenizer.chat_template`. We do not run Jinja: the template text is
 * recognized by markers of the common families, and each family is
 * rendered by C code that produces exactly what the reference template
 * produces under Hugging Face's apply_chat_template (the test compares
 * with Jinja2's rendering of real templates, tests/unit/data/
 * chat-templates/). Recognition (first match wins):
 *
 *   <|im_start|>                          ChatML (Qwen, OpenHermes, ...)
 *   <|start_header_id|> + <|end_header_id|>  Llama 3
 *   [INST] + <<SYS>>                      Llama 2 chat
 *   [INST]                                Mistral, by variant:
 *        "' [INST] '"                     v1 (system before the first user
 *                                         message, " [INST] ", " [/INST]")
 *        "[AVAILABLE_TOOLS]"              v3 (system before the last user
 *                                         message, "[/INST]" unspaced,
 *                                         assistant text trimmed)
 *        otherwise                        legacy v0.1/v0.2 (no system role)
 *   <|assistant|> + <|end|>               Phi-3 (a template without a
 *                                         system turn: the April 2024 one)
 *   <|user|> + <|assistant|> + eos_token / </s> / <|endoftext|>   Zephyr
 *   anything else, or no template         the plain format (below)
 *
 * ChatML templates that write a default system turn when the
 * conversation has none (Qwen2: "You are a helpful assistant.", Qwen2.5:
 * "You are Qwen, ...") have that text taken from the template.
 *
 * Conventions where templates differ or have no answer:
 * - BOS: the rendered text never starts with the BOS text, even where the
 *   template writes `bos_token` first (Llama 2/3, Mistral, Phi-3): the
 *   tokenizer adds the BOS token when the model's add_bos flag says so,
 *   which is how llama.cpp tokenizes a prompt too. A BOS inside the
 *   history (Llama 2 writes "<s>[INST]" before every later user turn)
 *   stays in the text, so the prompt must be tokenized with special-token
 *   parsing on.
 * - A family without a system role (Mistral legacy, Phi-3 April 2024)
 *   gets a leading system message prepended to the first user message,
 *   followed by a blank line ("\n\n", as Mistral's own later templates
 *   do). Where the template rejects an order of roles (Llama 2, Mistral:
 *   user and assistant alternate, starting with the user, after an
 *   optional leading system message) rendering fails with an error, as
 *   the template's raise_exception does; a system message anywhere but
 *   first is an error for those families too.
 * - Llama 3.1 and later templates add a "Cutting Knowledge Date" system
 *   header; they are rendered as Llama 3.0 (without it).
 *
 * Plain format (for models without a known template): four format
 * strings, for system, user and assistant messages and for the
 * generation prompt. In each, `{content}` is replaced by the message text
 * and `{{` / `}}` write a single brace; any other text is literal. The
 * default is
 *   system "{content}\n\n", user "User: {content}\n",
 *   assistant "Assistant: {content}\n", generation "Assistant:".
 * Its end-of-turn string is the user format's text before `{content}`,
 * right-trimmed, preceded by the assistant format's text after
 * `{content}` ("\nUser:" by default): the model starting to write the
 * next user turn ends its answer.
 */
#ifndef OVI_LLM_CHAT_TEMPLATE_H
#define OVI_LLM_CHAT_TEMPLATE_H

#include <glib.h>

G_BEGIN_DECLS

#define OVI_LLM_CHAT_ERROR (ovi_llm_chat_error_quark ())
GQuark ovi_llm_chat_error_quark (void);

typedef enum {
  OVI_LLM_CHAT_ERROR_ROLES,      /* an order of roles the template rejects */
  OVI_LLM_CHAT_ERROR_ENCODING,   /* message text that is not UTF-8 */
  OVI_LLM_CHAT_ERROR_FORMAT,     /* a plain format without {content} */
} OviLlmChatError;

typedef enum {
  OVI_LLM_CHAT_FAMILY_PLAIN,
  OVI_LLM_CHAT_FAMILY_CHATML,
  OVI_LLM_CHAT_FAMILY_LLAMA2,
  OVI_LLM_CHAT_FAMILY_LLAMA3,
  OVI_LLM_CHAT_FAMILY_MISTRAL,
  OVI_LLM_CHAT_FAMILY_ZEPHYR,
  OVI_LLM_CHAT_FAMILY_PHI3,
} OviLlmChatFamily;

typedef enum {
  OVI_LLM_CHAT_ROLE_SYSTEM,
  OVI_LLM_CHAT_ROLE_USER,
  OVI_LLM_CHAT_ROLE_ASSISTANT,
} OviLlmChatRole;

typedef struct {
  OviLlmChatRole role;
  const char *content;
} OviLlmChatMessage;

/* NULL members take the defaults given above. */
typedef struct {
  const char *system;
  const char *user;
  const char *assistant;
  const char *generation;
} OviLlmChatPlainFormat;

typedef struct _OviLlmChatTemplate OviLlmChatTemplate;

/* "plain", "chatml", "llama2", "llama3", "mistral", "zephyr", "phi3". */
const char *ovi_llm_chat_family_name (OviLlmChatFamily family);
/* FALSE for an unknown name. */
gboolean ovi_llm_chat_family_from_name (const char *name,
    OviLlmChatFamily *family);

/* The family of a Jinja template text (NULL: PLAIN). */
OviLlmChatFamily ovi_llm_chat_detect (const char *jinja);

/* A template from the GGUF metadata: `jinja` may be NULL (no template:
 * plain). `bos_token` / `eos_token` are the texts of the model's BOS and
 * EOS tokens (NULL: "<s>" and the family's usual end token); `plain` may
 * be NULL (defaults) and is used only for the plain family. NULL and an
 * error when a plain format lacks {content} in a message format. */
OviLlmChatTemplate *ovi_llm_chat_template_new (const char *jinja,
    const char *bos_token, const char *eos_token,
    const OviLlmChatPlainFormat *plain, GError **error);

/* Forces a family (e.g. chosen by the user), with its most recent
 * variant (ChatML without default system text, Mistral v1, Phi-3 with a
 * system turn). */
OviLlmChatTemplate *ovi_llm_chat_template_new_for_family (
    OviLlmChatFamily family, const char *bos_token, const char *eos_token,
    const OviLlmChatPlainFormat *plain, GError **error);

void ovi_llm_chat_template_free (OviLlmChatTemplate *t);

OviLlmChatFamily ovi_llm_chat_template_get_family (
    const OviLlmChatTemplate *t);
/* "chatml", "llama2", "llama3", "mistral-legacy", "mistral-v1",
 * "mistral-v3", "zephyr", "phi3", "phi3-nosys", "plain". */
const char *ovi_llm_chat_template_get_variant (const OviLlmChatTemplate *t);
/* The default system text a ChatML template writes, or NULL. */
const char *ovi_llm_chat_template_get_default_system (
    const OviLlmChatTemplate *t);

/* The strings that end the assistant's turn, NULL-terminated: the
 * family's end-of-turn marker ("<|im_end|>", "<|eot_id|>", "<|end|>",
 * the EOS text for Llama 2 / Mistral / Zephyr, the derived string for
 * plain) followed by the EOS text when it differs. The generator stops
 * on their token ids or, as text, with a stop-string matcher. */
const char *const *ovi_llm_chat_template_get_end_of_turn (
    const OviLlmChatTemplate *t);

/* The prompt text (free with g_free); NULL and an error for an order of
 * roles the family rejects or text that is not UTF-8.
 * add_generation_prompt appends the opening of the assistant's turn where
 * the family has one (Llama 2 and Mistral end a user turn with [/INST]
 * and have none). */
char *ovi_llm_chat_template_render (const OviLlmChatTemplate *t,
    const OviLlmChatMessage *messages, gsize n_messages,
    gboolean add_generation_prompt, GError **error);

G_END_DECLS

#endif
