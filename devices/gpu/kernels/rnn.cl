/* RNN, GRU and LSTM: one work group per (batch entry, direction) walks
 * the sequence, each item a stride of the hidden units, with the state h
 * (and LSTM's c) in local memory and a barrier between steps: the steps
 * are sequential, so this is built for correctness on any device, not
 * for speed. The arithmetic is the CPU kernel's (devices/cpu/op-misc.c),
 * in the same order of sums; activations are numbered as
 * devices/cpu/cpu-rnn-acts.h. */

#define RNN_RELU 0
#define RNN_TANH 1
#define RNN_SIGMOID 2
#define RNN_AFFINE 3
#define RNN_LEAKY_RELU 4
#define RNN_THRESHOLDED_RELU 5
#define RNN_SCALED_TANH 6
#define RNN_HARD_SIGMOID 7
#define RNN_ELU 8
#define RNN_SOFTSIGN 9
#define RNN_SOFTPLUS 10

inline float
rnn_act (int kind, float a, float b, float x)
{
  switch (kind) {
    case RNN_RELU: return x > 0.0f ? x : 0.0f;
    case RNN_TANH: return tanh (x);
    case RNN_SIGMOID:
      return x >= 0.0f ? 1.0f / (1.0f + exp (-x)) : exp (x) / (1.0f + exp (x));
    case RNN_AFFINE: return a * x + b;
    case RNN_LEAKY_RELU: return x >= 0.0f ? x : a * x;
    case RNN_THRESHOLDED_RELU: return x > a ? x : 0.0f;
    case RNN_SCALED_TANH: return a * tanh (b * x);
    case RNN_HARD_SIGMOID: return fmax (0.0f, fmin (1.0f, a * x + b));
    case RNN_ELU: return x >= 0.0f ? x : a * (exp (x) - 1.0f);
    case RNN_SOFTSIGN: return x / (1.0f + fabs (x));
    case RNN_SOFTPLUS: return x > 30.0f ? x : log1p (exp (x));
    default: return x;
  }
}

inline float
rnn_clip (float v, float c)
{
  return c > 0.0f ? (v < -c ? -c : v > c ? c : v) : v;
}

/* Activation i of this direction. */
#define ACT(i, x) rnn_act (geo[G_ACTS + ap + (i)], fl[1 + ap + (i)], \
    fl[7 + ap + (i)], (x))

/* geo: the shape and switches, in this order. */
#define G_SEQ 0
#define G_BATCH 1
#define G_IN 2
#define G_HS 3
#define G_DIRS 4
#define G_REVERSE 5
#define G_LAYOUT 6
#define G_CELL 7          /* 0 RNN, 1 GRU, 2 LSTM */
#define G_HAS_B 8
#define G_HAS_LENS 9
#define G_HAS_H0 10
#define G_HAS_C0 11
#define G_HAS_P 12
#define G_HAS_Y 13
#define G_HAS_YH 14
#define G_HAS_YC 15
#define G_INPUT_FORGET 16
#define G_LBR 17
#define G_ACTS 18         /* 6 activation kinds; fl: clip, 6 alphas, 6 betas */

/* Row j of this direction's input projection for x_t with both biases
 * (GRU's recurrent bias of the hidden gate left out under
 * linear_before_reset), as the CPU's xw. */
inline float
rnn_xw (__global const float *xt, __global const float *wd,
    __global const float *wb, int in, int j, int skip_rb, int gh)
{
  float acc = 0.0f;
  for (int i = 0; i < in; i++)
    acc += xt[i] * wd[j * in + i];
  if (wb)
    acc += wb[j] + (skip_rb ? 0.0f : wb[gh + j]);
  return acc;
}

inline float
rnn_dot (__local const float *h, __global const float *row, int hs)
{
  float acc = 0.0f;
  for (int k = 0; k < hs; k++)
    acc += h[k] * row[k];
  return acc;
}

__kernel void
rnn (__global const float *X, int x_off, __global const float *W, int w_off,
    __global const float *R, int r_off, __global const float *B, int b_off,
    __global const int *lens, int lens_off, __global const float *H0,
    int h0_off, __global const float *C0, int c0_off,
    __global const float *P, int p_off, __global float *Y, int y_off,
    __global float *YH, int yh_off, __global float *YC, int yc_off,
    __global const int *geo, int geo_off, __global const float *fl,
    int fl_off, __local float *sh, __global int *status, int code)
{
  int lid = get_local_id (0), wg = get_local_size (0);
  int b = get_group_id (1), dir = get_group_id (2);
  int seq, batch, in, hs, dirs, layout, cell, ng, gh, rev, len, ap;
  float clip;
  __global const float *wd, *rd, *wb = 0, *pd = 0;
  __local float *h, *c, *tmp;

  geo += geo_off;
  fl += fl_off;
  seq = geo[G_SEQ];
  batch = geo[G_BATCH];
  in = geo[G_IN];
  hs = geo[G_HS];
  dirs = geo[G_DIRS];
  layout = geo[G_LAYOUT];
  cell = geo[G_CELL];
  ng = cell == 2 ? 4 : cell == 1 ? 3 : 1;
  ap = dir * (cell == 2 ? 3 : cell == 1 ? 2 : 1);
  gh = ng * hs;
  clip = fl[0];
  rev = geo[G_REVERSE] || dir == 1;
  h = sh;
  c = sh + hs;
  tmp = sh + 2 * hs;
  len = geo[G_HAS_LENS] ? lens[lens_off + b] : seq;
  if (len < 0 || len > seq) {
    /* The inference fails; nothing is read past the sequence. */
    if (lid == 0)
      atomic_cmpxchg (status, 0, code);
    len = clamp (len, 0, seq);
  }
  wd = W + w_off + dir * gh * in;
  rd = R + r_off + dir * gh * hs;
  if (geo[G_HAS_B])
    wb = B + b_off + dir * 2 * gh;
  if (geo[G_HAS_P])
    pd = P + p_off + dir * 3 * hs;

  /* Initial states: [dirs, batch, hidden], [batch, dirs, hidden] with
   * layout 1. */
  for (int k = lid; k < hs; k += wg) {
    int src = layout ? (b * dirs + dir) * hs + k : (dir * batch + b) * hs + k;
    h[k] = geo[G_HAS_H0] ? H0[h0_off + src] : 0.0f;
    c[k] = geo[G_HAS_C0] ? C0[c0_off + src] : 0.0f;
  }
  barrier (CLK_LOCAL_MEM_FENCE);

  /* Every step passes the same three barriers (pocl needs them in
   * uniform control flow); an entry past its length only writes zeros
   * to Y and keeps its state. */
  for (int step = 0; step < seq; step++) {
    int t = rev ? seq - 1 - step : step;
    int active = t < len, gru_two_pass = cell == 1 && !geo[G_LBR];
    int yo = layout ? ((b * seq + t) * dirs + dir) * hs
        : ((t * dirs + dir) * batch + b) * hs;
    __global const float *xt = X + x_off
        + (layout ? b * seq + t : t * batch + b) * in;
    for (int k = lid; k < hs && active; k += wg) {
      if (cell == 2) {
        float gi = rnn_xw (xt, wd, wb, in, k, 0, gh)
            + rnn_dot (h, rd + k * hs, hs);
        float go = rnn_xw (xt, wd, wb, in, hs + k, 0, gh)
            + rnn_dot (h, rd + (hs + k) * hs, hs);
        float gf = rnn_xw (xt, wd, wb, in, 2 * hs + k, 0, gh)
            + rnn_dot (h, rd + (2 * hs + k) * hs, hs);
        float gc = rnn_xw (xt, wd, wb, in, 3 * hs + k, 0, gh)
            + rnn_dot (h, rd + (3 * hs + k) * hs, hs);
        float it, ft, ct, ot, cn;
        if (pd) {
          gi += pd[k] * c[k];
          gf += pd[2 * hs + k] * c[k];
        }
        it = ACT (0, rnn_clip (gi, clip));
        ft = geo[G_INPUT_FORGET] ? 1.0f - it : ACT (0, rnn_clip (gf, clip));
        ct = ACT (1, rnn_clip (gc, clip));
        cn = ft * c[k] + it * ct;
        if (pd)
          go += pd[hs + k] * cn;
        ot = ACT (0, rnn_clip (go, clip));
        /* c[k] is this item's alone; h is read by all until the barrier. */
        c[k] = cn;
        tmp[k] = ot * ACT (2, cn);
      } else if (cell == 1) {
        float z = ACT (0, rnn_clip (rnn_xw (xt, wd, wb, in, k, 0, gh)
                + rnn_dot (h, rd + k * hs, hs), clip));
        float r = ACT (0, rnn_clip (rnn_xw (xt, wd, wb, in, hs + k, 0, gh)
                + rnn_dot (h, rd + (hs + k) * hs, hs), clip));
        if (!gru_two_pass) {
          float pre = rnn_xw (xt, wd, wb, in, 2 * hs + k, 1, gh)
              + r * (rnn_dot (h, rd + (2 * hs + k) * hs, hs)
              + (wb ? wb[gh + 2 * hs + k] : 0.0f));
          tmp[k] = (1.0f - z) * ACT (1, rnn_clip (pre, clip)) + z * h[k];
        } else {
          /* z waits in c (GRU has no cell state), r h in tmp. */
          c[k] = z;
          tmp[k] = r * h[k];
        }
      } else {
        tmp[k] = ACT (0, rnn_clip (rnn_xw (xt, wd, wb, in, k, 0, gh)
                + rnn_dot (h, rd + k * hs, hs), clip));
      }
    }
    barrier (CLK_LOCAL_MEM_FENCE);
    /* GRU without linear_before_reset: the hidden gate reads all of
     * r h; the new state goes to c until the next barrier. */
    for (int k = lid; k < hs && active && gru_two_pass; k += wg) {
      float pre = rnn_xw (xt, wd, wb, in, 2 * hs + k, 0, gh)
          + rnn_dot (tmp, rd + (2 * hs + k) * hs, hs);
      float z = c[k];
      c[k] = (1.0f - z) * ACT (1, rnn_clip (pre, clip)) + z * h[k];
    }
    barrier (CLK_LOCAL_MEM_FENCE);
    for (int k = lid; k < hs; k += wg) {
      if (active)
        h[k] = gru_two_pass ? c[k] : tmp[k];
      if (geo[G_HAS_Y])
        Y[y_off + yo + k] = active ? h[k] : 0.0f;
    }
    barrier (CLK_LOCAL_MEM_FENCE);
  }

  for (int k = lid; k < hs; k += wg) {
    int o = layout ? (b * dirs + dir) * hs + k : (dir * batch + b) * hs + k;
    if (geo[G_HAS_YH])
      YH[yh_off + o] = h[k];
    if (geo[G_HAS_YC])
      YC[yc_off + o] = c[k];
  }
}
