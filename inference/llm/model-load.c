/* Reading a model: hyper-parameters from the `{arch}.*` keys, tensors by
 * llama.cpp's names, every shape and type checked against the
 * hyper-parameters before anything is computed with them. */
#include <math.h>
#include <string.h>

#include "model-private.h"

G_DEFINE_QUARK (ovi-llm-model-error-quark, ovi_llm_model_error)

/* Bounds that keep every size product far from overflow and reject
 * absurd files before they ask for absurd allocations. */
#define MAX_DIM (1u << 20)
#define MAX_LAYERS 4096u
#define MAX_CTX (1u << 24)

typedef struct {
  const OviGguf *gguf;
  const char *arch;
} Loader;

static gboolean
get_u32 (const Loader *l, const char *suffix, gboolean required,
    guint fallback, guint max, guint *out, GError **error)
{
  g_autofree char *key = g_strdup_printf ("%s.%s", l->arch, suffix);
  guint64 v;

  if (ovi_gguf_key_type (l->gguf, key) < 0) {
    if (required) {
      g_set_error (error, OVI_LLM_MODEL_ERROR, OVI_LLM_MODEL_ERROR_INVALID,
          "missing hyper-parameter %s", key);
      return FALSE;
    }
    *out = fallback;
    return TRUE;
  }
  if (ovi_gguf_key_type (l->gguf, key) == OVI_GGUF_ARRAY) {
    /* Per-layer values (e.g. head counts varying by layer) exist in some
     * architectures; not in the ones we run. */
    g_set_error (error, OVI_LLM_MODEL_ERROR, OVI_LLM_MODEL_ERROR_UNSUPPORTED,
        "%s is a per-layer array; only a single value is supported", key);
    return FALSE;
  }
  if (!ovi_gguf_get_uint (l->gguf, key, &v) || v == 0 || v > max) {
    g_set_error (error, OVI_LLM_MODEL_ERROR, OVI_LLM_MODEL_ERROR_INVALID,
        "%s must be an integer in [1, %u]", key, max);
    return FALSE;
  }
  *out = (guint) v;
  return TRUE;
}

static gboolean
get_f32 (const Loader *l, const char *suffix, gboolean required,
    float fallback, float *out, GError **error)
{
  g_autofree char *key = g_strdup_printf ("%s.%s", l->arch, suffix);
  double v;

  if (ovi_gguf_key_type (l->gguf, key) < 0) {
    if (required) {
      g_set_error (error, OVI_LLM_MODEL_ERROR, OVI_LLM_MODEL_ERROR_INVALID,
          "missing hyper-parameter %s", key);
      return FALSE;
    }
    *out = fallback;
    return TRUE;
  }
  if (!ovi_gguf_get_float (l->gguf, key, &v) || !isfinite (v) || v < 0.0
      || v > 1e30) {
    g_set_error (error, OVI_LLM_MODEL_ERROR, OVI_LLM_MODEL_ERROR_INVALID,
        "%s must be a finite non-negative number", key);
    return FALSE;
  }
  *out = (float) v;
  return TRUE;
}

/* Looks up `name` and checks that it has exactly the shape ne0 x ne1
 * (ne1 = 1 for a vector). FALSE with an error for a wrong shape, or when
 * absent and required; TRUE with *out NULL when absent and optional. */
static gboolean
find_shaped (const Loader *l, const char *name, guint64 ne0, guint64 ne1,
    gboolean required, const OviGgufTensor **out, GError **error)
{
  const OviGgufTensor *t = ovi_gguf_find_tensor (l->gguf, name);

  *out = NULL;
  if (t == NULL) {
    if (!required)
      return TRUE;
    g_set_error (error, OVI_LLM_MODEL_ERROR, OVI_LLM_MODEL_ERROR_INVALID,
        "missing tensor %s", name);
    return FALSE;
  }
  if (t->ne[0] != ne0 || t->ne[1] != ne1 || t->ne[2] != 1 || t->ne[3] != 1) {
    g_set_error (error, OVI_LLM_MODEL_ERROR, OVI_LLM_MODEL_ERROR_INVALID,
        "tensor %s has shape [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT
        ", %" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT "], expected [%"
        G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT "]", name, t->ne[0],
        t->ne[1], t->ne[2], t->ne[3], ne0, ne1);
    return FALSE;
  }
  *out = t;
  return TRUE;
}

static gboolean
weight (const Loader *l, const char *name, guint n_in, guint n_out,
    OviLlmWeight *w, GError **error)
{
  const OviGgufTensor *t;
  guint64 row_bytes;

  if (!find_shaped (l, name, n_in, n_out, TRUE, &t, error))
    return FALSE;
  if (!ovi_llm_weight_type_supported (t->type, n_in)
      || !ovi_ggml_row_bytes (t->type, n_in, &row_bytes)) {
    const char *type_name = ovi_ggml_type_name (t->type);
    g_set_error (error, OVI_LLM_MODEL_ERROR, OVI_LLM_MODEL_ERROR_UNSUPPORTED,
        "tensor %s: weight type %s (%d) with rows of %u is not supported",
        name, type_name ? type_name : "unknown", (int) t->type, n_in);
    return FALSE;
  }
  w->type = t->type;
  w->n_in = n_in;
  w->n_out = n_out;
  w->row_bytes = row_bytes;
  w->data = t->data;
  return TRUE;
}

/* A small vector (norm weights, biases, RoPE factors) converted to owned
 * floats: read once per token per layer, it is worth having in the
 * format the arithmetic wants. */
static gboolean
vector (const Loader *l, const char *name, guint n, gboolean required,
    float **out, GError **error)
{
  const OviGgufTensor *t;
  guint64 row_bytes;

  *out = NULL;
  if (!find_shaped (l, name, n, 1, required, &t, error))
    return FALSE;
  if (t == NULL)
    return TRUE;
  if (t->type != OVI_GGML_TYPE_F32 && t->type != OVI_GGML_TYPE_F16
      && t->type != OVI_GGML_TYPE_BF16) {
    const char *type_name = ovi_ggml_type_name (t->type);
    g_set_error (error, OVI_LLM_MODEL_ERROR, OVI_LLM_MODEL_ERROR_UNSUPPORTED,
        "tensor %s: type %s for a vector is not supported (F32, F16, BF16)",
        name, type_name ? type_name : "unknown");
    return FALSE;
  }
  if (!ovi_ggml_row_bytes (t->type, n, &row_bytes) || row_bytes != t->n_bytes)
    return FALSE;   /* unreachable: the reader checked the size */
  *out = g_new (float, n);
  ovi_llm_dequantize_row (t->type, t->data, n, *out);
  return TRUE;
}

static gboolean
load_hparams (const Loader *l, OviLlmHparams *hp, GError **error)
{
  guint key_length, value_length;
  float scale;
  const char *scaling;
  g_autofree char *scaling_key = NULL;

  if (!get_u32 (l, "context_length", TRUE, 0, MAX_CTX, &hp->n_ctx_train,
          error)
      || !get_u32 (l, "embedding_length", TRUE, 0, MAX_DIM, &hp->n_embd,
          error)
      || !get_u32 (l, "block_count", TRUE, 0, MAX_LAYERS, &hp->n_layer, error)
      || !get_u32 (l, "feed_forward_length", TRUE, 0, MAX_DIM, &hp->n_ff,
          error)
      || !get_u32 (l, "attention.head_count", TRUE, 0, MAX_DIM, &hp->n_head,
          error)
      || !get_u32 (l, "attention.head_count_kv", FALSE, hp->n_head, MAX_DIM,
          &hp->n_head_kv, error)
      || !get_f32 (l, "attention.layer_norm_rms_epsilon", TRUE, 0.0f,
          &hp->rms_eps, error)
      || !get_f32 (l, "rope.freq_base", FALSE, 10000.0f, &hp->rope_freq_base,
          error))
    return FALSE;

  if (hp->n_embd % hp->n_head != 0 || hp->n_head % hp->n_head_kv != 0) {
    g_set_error (error, OVI_LLM_MODEL_ERROR, OVI_LLM_MODEL_ERROR_INVALID,
        "%u heads do not divide the embedding (%u) or are not a multiple "
        "of the %u key/value heads", hp->n_head, hp->n_embd, hp->n_head_kv);
    return FALSE;
  }
  hp->head_dim = hp->n_embd / hp->n_head;
  /* Heads of another size than n_embd / n_head exist in other
   * architectures; here they would be a file we misread. */
  if (!get_u32 (l, "attention.key_length", FALSE, hp->head_dim, MAX_DIM,
          &key_length, error)
      || !get_u32 (l, "attention.value_length", FALSE, hp->head_dim, MAX_DIM,
          &value_length, error))
    return FALSE;
  if (key_length != hp->head_dim || value_length != hp->head_dim) {
    g_set_error (error, OVI_LLM_MODEL_ERROR, OVI_LLM_MODEL_ERROR_UNSUPPORTED,
        "key/value head sizes %u/%u differ from n_embd / n_head = %u",
        key_length, value_length, hp->head_dim);
    return FALSE;
  }
  if (!get_u32 (l, "rope.dimension_count", FALSE, hp->head_dim, MAX_DIM,
          &hp->n_rot, error))
    return FALSE;
  if (hp->n_rot > hp->head_dim || hp->n_rot % 2 != 0) {
    g_set_error (error, OVI_LLM_MODEL_ERROR, OVI_LLM_MODEL_ERROR_INVALID,
        "rope.dimension_count %u must be even and at most the head size %u",
        hp->n_rot, hp->head_dim);
    return FALSE;
  }
  if (hp->rms_eps <= 0.0f || hp->rope_freq_base <= 1.0f) {
    g_set_error (error, OVI_LLM_MODEL_ERROR, OVI_LLM_MODEL_ERROR_INVALID,
        "the RMS norm epsilon must be > 0 and rope.freq_base > 1");
    return FALSE;
  }

  /* RoPE scaling, as llama.cpp reads it: the type defaults to linear, the
   * factor comes from rope.scaling.factor or the older rope.scale_linear,
   * and 0 means none. Only the types whose angle is a plain multiple of
   * the position are run; YaRN and LongRoPE would need their own ramps. */
  scaling_key = g_strdup_printf ("%s.rope.scaling.type", l->arch);
  scaling = ovi_gguf_get_string (l->gguf, scaling_key, NULL);
  if (ovi_gguf_key_type (l->gguf, scaling_key) >= 0 && scaling == NULL) {
    g_set_error (error, OVI_LLM_MODEL_ERROR, OVI_LLM_MODEL_ERROR_INVALID,
        "%s is not a string", scaling_key);
    return FALSE;
  }
  if (scaling != NULL && strcmp (scaling, "linear") != 0
      && strcmp (scaling, "none") != 0) {
    g_set_error (error, OVI_LLM_MODEL_ERROR, OVI_LLM_MODEL_ERROR_UNSUPPORTED,
        "RoPE scaling type '%s' is not supported (none, linear)", scaling);
    return FALSE;
  }
  if (!get_f32 (l, "rope.scaling.factor", FALSE, 0.0f, &scale, error))
    return FALSE;
  if (scale == 0.0f
      && !get_f32 (l, "rope.scale_linear", FALSE, 0.0f, &scale, error))
    return FALSE;
  hp->rope_freq_scale = scale == 0.0f ? 1.0f : 1.0f / scale;
  hp->rope_type = hp->arch == OVI_LLM_ARCH_QWEN2 ? OVI_LLM_ROPE_NEOX
      : OVI_LLM_ROPE_NORM;
  return TRUE;
}

static gboolean
load_layer (const Loader *l, const OviLlmHparams *hp, guint i,
    OviLlmLayer *layer, GError **error)
{
  guint q_out = hp->n_head * hp->head_dim;
  guint kv_out = hp->n_head_kv * hp->head_dim;
  gboolean bias_required = hp->arch == OVI_LLM_ARCH_QWEN2;
  char name[64];

#define NAME(s) (g_snprintf (name, sizeof name, "blk.%u." s, i), name)
  return vector (l, NAME ("attn_norm.weight"), hp->n_embd, TRUE,
          &layer->attn_norm, error)
      && vector (l, NAME ("ffn_norm.weight"), hp->n_embd, TRUE,
          &layer->ffn_norm, error)
      && weight (l, NAME ("attn_q.weight"), hp->n_embd, q_out, &layer->wq,
          error)
      && weight (l, NAME ("attn_k.weight"), hp->n_embd, kv_out, &layer->wk,
          error)
      && weight (l, NAME ("attn_v.weight"), hp->n_embd, kv_out, &layer->wv,
          error)
      && weight (l, NAME ("attn_output.weight"), q_out, hp->n_embd,
          &layer->wo, error)
      && weight (l, NAME ("ffn_gate.weight"), hp->n_embd, hp->n_ff,
          &layer->w_gate, error)
      && weight (l, NAME ("ffn_up.weight"), hp->n_embd, hp->n_ff,
          &layer->w_up, error)
      && weight (l, NAME ("ffn_down.weight"), hp->n_ff, hp->n_embd,
          &layer->w_down, error)
      /* qwen2 always has q/k/v biases; llama files may carry them too. */
      && vector (l, NAME ("attn_q.bias"), q_out, bias_required, &layer->bq,
          error)
      && vector (l, NAME ("attn_k.bias"), kv_out, bias_required, &layer->bk,
          error)
      && vector (l, NAME ("attn_v.bias"), kv_out, bias_required, &layer->bv,
          error);
#undef NAME
}

/* Every matrix the kernels multiply, in the layout they read fastest
 * (Q4_0 and Q4_K today; other types are left as they are). The output projection
 * of a tied model is repacked in its own copy of the struct: the
 * embedding it aliases is read row by row through `data`. A weight that
 * cannot be repacked (no memory) is multiplied from the file. */
static void
repack (OviLlmModel *model)
{
  guint i, j;

  for (i = 0; i < model->hp.n_layer; i++) {
    OviLlmLayer *y = &model->layers[i];
    OviLlmWeight *w[] = { &y->wq, &y->wk, &y->wv, &y->wo, &y->w_gate,
        &y->w_up, &y->w_down };
    for (j = 0; j < G_N_ELEMENTS (w); j++)
      ovi_llm_weight_repack (w[j]);
  }
  ovi_llm_weight_repack (&model->output);
}

static void
clear_packed (OviLlmModel *model)
{
  guint i, j;

  for (i = 0; model->layers && i < model->hp.n_layer; i++) {
    OviLlmLayer *y = &model->layers[i];
    OviLlmWeight *w[] = { &y->wq, &y->wk, &y->wv, &y->wo, &y->w_gate,
        &y->w_up, &y->w_down };
    for (j = 0; j < G_N_ELEMENTS (w); j++)
      ovi_llm_weight_clear_packed (w[j]);
  }
  ovi_llm_weight_clear_packed (&model->output);
}

void
ovi_llm_model_free (OviLlmModel *model)
{
  guint i;

  if (model == NULL)
    return;
  clear_packed (model);
  if (model->layers != NULL) {
    for (i = 0; i < model->hp.n_layer; i++) {
      OviLlmLayer *layer = &model->layers[i];
      g_free (layer->attn_norm);
      g_free (layer->ffn_norm);
      g_free (layer->bq);
      g_free (layer->bk);
      g_free (layer->bv);
    }
    g_free (model->layers);
  }
  g_free (model->output_norm);
  g_free (model->inv_freq);
  ovi_gguf_free (model->gguf);
  g_free (model);
}

OviLlmModel *
ovi_llm_model_new (OviGguf *gguf, GError **error)
{
  g_autoptr (OviLlmModel) model = g_new0 (OviLlmModel, 1);
  OviLlmHparams *hp = &model->hp;
  const OviGgufTensor *embd;
  const OviGgufArray *tokens;
  g_autofree float *rope_freqs = NULL;
  Loader l;
  guint i;

  model->gguf = gguf;
  l.gguf = gguf;
  l.arch = ovi_gguf_get_string (gguf, "general.architecture", NULL);
  if (l.arch == NULL) {
    g_set_error (error, OVI_LLM_MODEL_ERROR, OVI_LLM_MODEL_ERROR_INVALID,
        "no general.architecture");
    return NULL;
  }
  if (strcmp (l.arch, "llama") == 0) {
    hp->arch = OVI_LLM_ARCH_LLAMA;
  } else if (strcmp (l.arch, "qwen2") == 0) {
    hp->arch = OVI_LLM_ARCH_QWEN2;
  } else {
    g_set_error (error, OVI_LLM_MODEL_ERROR, OVI_LLM_MODEL_ERROR_UNSUPPORTED,
        "architecture '%s' is not supported (llama, qwen2)", l.arch);
    return NULL;
  }
  if (!load_hparams (&l, hp, error))
    return NULL;

  /* The vocabulary size is the embedding's row count. */
  embd = ovi_gguf_find_tensor (gguf, "token_embd.weight");
  if (embd == NULL) {
    g_set_error (error, OVI_LLM_MODEL_ERROR, OVI_LLM_MODEL_ERROR_INVALID,
        "missing tensor token_embd.weight");
    return NULL;
  }
  if (embd->ne[1] == 0 || embd->ne[1] > G_MAXINT32) {
    g_set_error (error, OVI_LLM_MODEL_ERROR, OVI_LLM_MODEL_ERROR_INVALID,
        "token_embd.weight has %" G_GUINT64_FORMAT " rows", embd->ne[1]);
    return NULL;
  }
  hp->n_vocab = (guint) embd->ne[1];
  if (!weight (&l, "token_embd.weight", hp->n_embd, hp->n_vocab,
          &model->tok_embd, error))
    return NULL;
  tokens = ovi_gguf_get_array (gguf, "tokenizer.ggml.tokens");
  if (tokens != NULL && ovi_gguf_array_length (tokens) != hp->n_vocab) {
    g_set_error (error, OVI_LLM_MODEL_ERROR, OVI_LLM_MODEL_ERROR_INVALID,
        "the tokenizer has %" G_GUINT64_FORMAT " tokens, the embedding %u",
        ovi_gguf_array_length (tokens), hp->n_vocab);
    return NULL;
  }

  hp->tied_output = ovi_gguf_find_tensor (gguf, "output.weight") == NULL;
  if (hp->tied_output)
    model->output = model->tok_embd;
  else if (!weight (&l, "output.weight", hp->n_embd, hp->n_vocab,
          &model->output, error))
    return NULL;
  if (!vector (&l, "output_norm.weight", hp->n_embd, TRUE,
          &model->output_norm, error))
    return NULL;
  if (!vector (&l, "rope_freqs.weight", hp->n_rot / 2, FALSE, &rope_freqs,
          error))
    return NULL;
  hp->has_rope_freqs = rope_freqs != NULL;

  model->inv_freq = g_new (double, hp->n_rot / 2 + 1);
  for (i = 0; i < hp->n_rot / 2; i++) {
    double f = hp->rope_freq_scale
        * pow (hp->rope_freq_base, -2.0 * i / hp->n_rot);
    if (rope_freqs != NULL) {
      if (!(rope_freqs[i] > 0.0f) || !isfinite (rope_freqs[i])) {
        g_set_error (error, OVI_LLM_MODEL_ERROR, OVI_LLM_MODEL_ERROR_INVALID,
            "rope_freqs.weight[%u] = %g is not a positive factor", i,
            rope_freqs[i]);
        return NULL;
      }
      f /= rope_freqs[i];
    }
    model->inv_freq[i] = f;
  }

  model->layers = g_new0 (OviLlmLayer, hp->n_layer);
  for (i = 0; i < hp->n_layer; i++)
    if (!load_layer (&l, hp, i, &model->layers[i], error))
      return NULL;
  repack (model);
  return g_steal_pointer (&model);
}

OviLlmModel *
ovi_llm_model_load (const char *path, GError **error)
{
  OviGguf *gguf = ovi_gguf_open (path, error);

  if (gguf == NULL)
    return NULL;
  return ovi_llm_model_new (gguf, error);
}

const OviLlmHparams *
ovi_llm_model_hparams (const OviLlmModel *model)
{
  return &model->hp;
}

const OviGguf *
ovi_llm_model_gguf (const OviLlmModel *model)
{
  return model->gguf;
}

guint64
ovi_llm_model_weight_bytes (const OviLlmModel *model)
{
  guint64 total = (guint64) model->output.row_bytes * model->output.n_out;
  guint i;

  for (i = 0; i < model->hp.n_layer; i++) {
    const OviLlmLayer *y = &model->layers[i];
    const OviLlmWeight *w[] = { &y->wq, &y->wk, &y->wv, &y->wo, &y->w_gate,
        &y->w_up, &y->w_down };
    guint j;
    for (j = 0; j < G_N_ELEMENTS (w); j++)
      total += (guint64) w[j]->row_bytes * w[j]->n_out;
  }
  return total;
}
