/* The activations of RNN, GRU and LSTM (their `activations`,
 * `activation_alpha` and `activation_beta` attributes), read once for the
 * CPU kernel (op-misc.c) and the GPU's (gpu-op-rnn.c, whose kernel
 * numbers them the same way). */
#ifndef OVI_CPU_RNN_ACTS_H
#define OVI_CPU_RNN_ACTS_H

#include <math.h>

#include "graph.h"

typedef enum {
  OVI_RNN_RELU, OVI_RNN_TANH, OVI_RNN_SIGMOID, OVI_RNN_AFFINE,
  OVI_RNN_LEAKY_RELU, OVI_RNN_THRESHOLDED_RELU, OVI_RNN_SCALED_TANH,
  OVI_RNN_HARD_SIGMOID, OVI_RNN_ELU, OVI_RNN_SOFTSIGN, OVI_RNN_SOFTPLUS,
  OVI_RNN_ACT_COUNT
} OviRnnActKind;

typedef struct {
  OviRnnActKind kind;
  float alpha, beta;
} OviRnnAct;

/* Fills per_dir * dirs activations, direction by direction, from the
 * node's attributes or the op's defaults; alphas and betas go in order
 * to the functions that take them. FALSE with *code and *problem (to
 * free) when the list has the wrong length or names an unknown
 * function. */
gboolean ovi_rnn_activations (const OviNode *node, int per_dir, int dirs,
    OviRnnAct *acts, OviErrorCode *code, char **problem);

static inline float
ovi_rnn_act_apply (const OviRnnAct *a, float x)
{
  switch (a->kind) {
    case OVI_RNN_RELU: return x > 0 ? x : 0;
    case OVI_RNN_TANH: return tanhf (x);
    case OVI_RNN_SIGMOID:
      return x >= 0 ? 1.0f / (1.0f + expf (-x)) : expf (x) / (1.0f + expf (x));
    case OVI_RNN_AFFINE: return a->alpha * x + a->beta;
    case OVI_RNN_LEAKY_RELU: return x >= 0 ? x : a->alpha * x;
    case OVI_RNN_THRESHOLDED_RELU: return x > a->alpha ? x : 0;
    case OVI_RNN_SCALED_TANH: return a->alpha * tanhf (a->beta * x);
    case OVI_RNN_HARD_SIGMOID:
      return fmaxf (0, fminf (1, a->alpha * x + a->beta));
    case OVI_RNN_ELU: return x >= 0 ? x : a->alpha * (expf (x) - 1);
    case OVI_RNN_SOFTSIGN: return x / (1 + fabsf (x));
    case OVI_RNN_SOFTPLUS: return x > 30 ? x : log1pf (expf (x));
    default: return x;
  }
}

#endif
