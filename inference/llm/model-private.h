/* Shared between model-load.c (reading and checking the file) and model.c
 * (the forward pass). Not installed. */
#ifndef OVI_LLM_MODEL_PRIVATE_H
#define OVI_LLM_MODEL_PRIVATE_H

#include "matmul.h"
#include "model.h"

typedef struct {
  float *attn_norm, *ffn_norm;          /* n_embd, owned */
  float *bq, *bk, *bv;                  /* NULL or owned */
  OviLlmWeight wq, wk, wv, wo, w_gate, w_up, w_down;
} OviLlmLayer;

struct _OviLlmModel {
  OviGguf *gguf;
  OviLlmHparams hp;
  OviLlmWeight tok_embd;                /* n_vocab rows of n_embd */
  OviLlmWeight output;                  /* tok_embd when tied */
  float *output_norm;                   /* owned */
  /* Per rotated pair i < n_rot/2: the angle per position, freq_scale *
   * base^(-2i/n_rot) / rope_freqs[i]. */
  double *inv_freq;                     /* owned */
  OviLlmLayer *layers;
};

#endif
