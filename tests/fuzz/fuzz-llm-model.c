/* libFuzzer harness for the model loader: any byte string must either
 * give a model or an error; a model that loads must evaluate two tokens
 * without reading outside its tensors (the loader's shape checks are what
 * make that safe). */
#include "model.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  GError *error = NULL;
  GBytes *bytes = g_bytes_new (data, size);
  OviGguf *gguf = ovi_gguf_new_from_bytes (bytes, &error);
  OviLlmModel *model;
  OviLlmStateConfig config;
  OviLlmState *state;
  gint32 tokens[2] = { 0, 1 };
  float *logits;

  g_bytes_unref (bytes);
  if (gguf == NULL) {
    g_clear_error (&error);
    return 0;
  }
  model = ovi_llm_model_new (gguf, &error);
  if (model == NULL) {
    g_clear_error (&error);
    return 0;
  }
  ovi_llm_state_config_init (&config);
  config.n_ctx = 8;
  config.n_threads = 1;
  state = ovi_llm_state_new (model, &config, &error);
  if (state) {
    logits = g_new (float, ovi_llm_model_hparams (model)->n_vocab);
    if (!ovi_llm_model_eval (model, state, tokens, 2, logits, &error))
      g_clear_error (&error);
    g_free (logits);
    ovi_llm_state_free (state);
  } else {
    g_clear_error (&error);
  }
  ovi_llm_model_free (model);
  return 0;
}
