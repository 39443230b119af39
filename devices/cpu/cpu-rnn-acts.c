#include "cpu-rnn-acts.h"

static const struct {
  const char *name;
  int n_params;
  float alpha, beta;
} act_table[OVI_RNN_ACT_COUNT] = {
  { "Relu", 0, 0, 0 }, { "Tanh", 0, 0, 0 }, { "Sigmoid", 0, 0, 0 },
  { "Affine", 2, 1.0f, 0.0f }, { "LeakyRelu", 1, 0.01f, 0 },
  { "ThresholdedRelu", 1, 1.0f, 0 }, { "ScaledTanh", 2, 1.0f, 1.0f },
  { "HardSigmoid", 2, 0.2f, 0.5f }, { "Elu", 1, 1.0f, 0 },
  { "Softsign", 0, 0, 0 }, { "Softplus", 0, 0, 0 },
};

gboolean
ovi_rnn_activations (const OviNode *node, int per_dir, int dirs,
    OviRnnAct *acts, OviErrorCode *code, char **problem)
{
  const OviAttr *names = ovi_node_attr (node, "activations");
  const float *alphas = NULL, *betas = NULL;
  int n_alpha = MAX (ovi_node_attr_floats (node, "activation_alpha",
          &alphas), 0);
  int n_beta = MAX (ovi_node_attr_floats (node, "activation_beta", &betas),
      0);
  int ia = 0, ib = 0;
  static const OviRnnActKind defaults[3] = { OVI_RNN_SIGMOID, OVI_RNN_TANH,
    OVI_RNN_TANH };

  for (int i = 0; i < per_dir * dirs; i++) {
    OviRnnActKind k;
    if (names == NULL) {
      k = per_dir == 1 ? OVI_RNN_TANH : defaults[i % per_dir];
    } else {
      const char *name;
      if (names->type != OVI_ATTR_STRINGS || names->n != per_dir * dirs) {
        *code = OVI_ERROR_INVALID;
        *problem = g_strdup_printf ("needs %d activations", per_dir * dirs);
        return FALSE;
      }
      name = names->strings[i];
      for (k = 0; k < OVI_RNN_ACT_COUNT; k++)
        if (g_ascii_strcasecmp (act_table[k].name, name) == 0)
          break;
      if (k == OVI_RNN_ACT_COUNT) {
        *code = OVI_ERROR_UNSUPPORTED;
        *problem = g_strdup_printf ("activation '%s' is not supported", name);
        return FALSE;
      }
    }
    acts[i].kind = k;
    acts[i].alpha = act_table[k].alpha;
    acts[i].beta = act_table[k].beta;
    if (act_table[k].n_params >= 1 && ia < n_alpha)
      acts[i].alpha = alphas[ia++];
    if (act_table[k].n_params >= 2 && ib < n_beta)
      acts[i].beta = betas[ib++];
  }
  return TRUE;
}
