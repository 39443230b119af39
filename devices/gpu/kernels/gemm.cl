/* Tiled matrix products with local memory: Gemm/MatMul (`gemm`) and
 * convolution as an implicit GEMM (`conv2d_igemm`: the input patches are
 * gathered while loading tiles, never materialized).
 *
 * A work group of 16x16 items computes a 64x64 tile of Y, each item a
 * 4x4 block in registers, over K in steps of 16 held in local memory.
 * Items own rows 4 ty + i and columns 4 tx + j: each step of k reads its
 * four A and four B values as one 16-byte local load each (on an H100
 * the product was bound by local loads when items owned rows ty + 16 i,
 * four loads of 4 bytes each), and a row's 16 items store 64
 * consecutive floats. Each step's global loads go to registers while
 * the previous step's products run, and a convolution reads its taps'
 * input offsets from a table built at compile: on the H100 these took
 * ResNet-50's 3x3 convolutions from 47 to 35 us and its device time
 * from 1.67 to 1.42 ms (a 32-deep step measured slower: 1.45).
 *
 *   Y[m, n] = act (alpha * sum_k A[m, k] B[k, n] + beta * C[m, n] + R[m, n])
 *
 * A, B and C are addressed through strides (transposes, broadcast C);
 * Y and R are dense [M, N]. The third range dimension is the batch:
 * z = outer * groups + inner, each operand offset by outer and inner
 * strides (a batched MatMul has groups 1; a grouped Conv has outer the
 * image and inner the group).
 *
 * Split K: a product with fewer tiles than the GPU has room for (ResNet's
 * 7x7 layers: 512 x 49 outputs, 8 tiles, on a GPU with 132 compute units)
 * also splits K into `splits` chunks of `kc`. The range's third dimension
 * is then splits x batch; each chunk writes its raw sums to the scratch
 * buffer P[split][z][M][N], and gemm_splitk_reduce adds the chunks in
 * order (the result does not depend on timing) and applies alpha, C, the
 * residual and the activation. */

#define TM 64
#define TN 64
#define TK 16
/* A's rows in local memory are padded by 4: its loads from global memory
 * go along k, and unpadded, the 16 items storing one column would all hit
 * the same local-memory bank. 68 keeps rows 16-byte aligned. */
#define TMP (TM + 4)
#define RX 16
#define RY 16
#define WPT 4

inline int
batch_offset (int z, int groups, int outer, int inner)
{
  return (z / groups) * outer + (z % groups) * inner;
}

/* conv: B is the implicit im2col of an image x[Cg, H, W] (geometry in
 * cg), K = Cg * KH * KW, N = OH * OW. */
typedef struct {
  int H, W, KH, KW, OW, sh, sw, ph, pw, dh, dw;
} ConvGeometry;

/* Which batch entry and K chunk this work group computes. */
inline void
split_of (int splits, int *z, int *s)
{
  int batch = (int) get_global_size (2) / splits;
  *s = (int) get_global_id (2) / batch;
  *z = (int) get_global_id (2) % batch;
}

/* Loads of one K step: A's rows from global memory along k (TK
 * consecutive floats per row), B's columns along n. Each item's B
 * column is fixed (256 items cover whole rows of the TN-wide tile), so a
 * convolution's output position and its input window origin are worked
 * out once per tile; the input offset of each k comes from ktab:
 * { ci * H * W + kh * dh * W + kw * dw, (kh * dh) << 16 | kw * dw }. */
#define LA (TM * TK / (RX * RY))
#define LB (TK * TN / (RX * RY))

inline void
load_step (__global const float *A, __global const float *B, int k0,
    int K, int M, int m0, int sam, int sak, int sbk, int sbn, int ka,
    int ma, int kb, int n, int n_ok, const int conv, const ConvGeometry *g,
    __global const int2 *ktab, int ih0, int iw0, float *ra, float *rb)
{
  for (int l = 0; l < LA; l++) {
    int m = m0 + ma + l * (RX * RY / TK), k = k0 + ka;
    ra[l] = m < M && k < K ? A[m * sam + k * sak] : 0.0f;
  }
  for (int l = 0; l < LB; l++) {
    int k = k0 + kb + l * (RX * RY / TN);
    float v = 0.0f;
    if (n_ok && k < K) {
      if (!conv) {
        v = B[k * sbk + n * sbn];
      } else {
        int2 t = ktab[k];
        int ih = ih0 + (t.y >> 16), iw = iw0 + (t.y & 0xffff);
        if ((uint) ih < (uint) g->H && (uint) iw < (uint) g->W)
          v = B[t.x + ih0 * g->W + iw0];
      }
    }
    rb[l] = v;
  }
}

inline void
gemm_tile (__global const float *A, __global const float *B,
    __global const float *C, __global const float *R, __global float *Y,
    int M, int N, int K, int sam, int sak, int sbk, int sbn, int scm,
    int scn, float alpha, float beta, int has_c, int has_r, int act,
    float act_a, float act_b, __local float *As, __local float *Bs,
    const int conv, const ConvGeometry *g, __global const int2 *ktab,
    int k_begin, int k_end, __global float *P)
{
  int tx = get_local_id (0), ty = get_local_id (1);
  int tid = ty * RX + tx;
  int n0 = get_group_id (0) * TN, m0 = get_group_id (1) * TM;
  int ka = tid % TK, ma = tid / TK, nb = tid % TN, kb = tid / TN;
  int n = n0 + nb, n_ok = n < N, ih0 = 0, iw0 = 0;
  float acc[WPT][WPT], ra[LA], rb[LB];

  for (int i = 0; i < WPT; i++)
    for (int j = 0; j < WPT; j++)
      acc[i][j] = 0.0f;
  if (conv && n_ok) {
    ih0 = (n / g->OW) * g->sh - g->ph;
    iw0 = (n % g->OW) * g->sw - g->pw;
  }

  /* Loads test k < K: with a K chunk, K is the chunk's end. The next
   * step's loads are issued before this step's products, so that their
   * latency hides behind the arithmetic. */
  K = k_end;
  load_step (A, B, k_begin, K, M, m0, sam, sak, sbk, sbn, ka, ma, kb, n,
      n_ok, conv, g, ktab, ih0, iw0, ra, rb);
  for (int k0 = k_begin; k0 < K; k0 += TK) {
    for (int l = 0; l < LA; l++)
      As[ka * TMP + ma + l * (RX * RY / TK)] = ra[l];
    for (int l = 0; l < LB; l++)
      Bs[(kb + l * (RX * RY / TN)) * TN + nb] = rb[l];
    barrier (CLK_LOCAL_MEM_FENCE);
    if (k0 + TK < K)
      load_step (A, B, k0 + TK, K, M, m0, sam, sak, sbk, sbn, ka, ma, kb,
          n, n_ok, conv, g, ktab, ih0, iw0, ra, rb);
    for (int kk = 0; kk < TK; kk++) {
      float4 av = ((__local const float4 *) As)[(kk * TMP) / 4 + ty];
      float4 bv = ((__local const float4 *) Bs)[(kk * TN) / 4 + tx];
      float a[WPT] = { av.x, av.y, av.z, av.w };
      float b[WPT] = { bv.x, bv.y, bv.z, bv.w };
      for (int i = 0; i < WPT; i++)
        for (int j = 0; j < WPT; j++)
          acc[i][j] = mad (a[i], b[j], acc[i][j]);
    }
    barrier (CLK_LOCAL_MEM_FENCE);
  }
  for (int i = 0; i < WPT; i++) {
    int m = m0 + WPT * ty + i;
    if (m >= M)
      continue;
    for (int j = 0; j < WPT; j++) {
      int n = n0 + WPT * tx + j;
      float v;
      if (n >= N)
        continue;
      if (P) {
        P[m * N + n] = acc[i][j];
        continue;
      }
      v = alpha * acc[i][j];
      if (has_c)
        v += beta * C[m * scm + n * scn];
      if (has_r)
        v += R[m * N + n];
      Y[m * N + n] = ovi_activate (v, act, act_a, act_b);
    }
  }
}

__kernel __attribute__ ((reqd_work_group_size (RX, RY, 1))) void
gemm (__global const float *A, int a_off, __global const float *B,
    int b_off, __global const float *C, int c_off, __global const float *R,
    int r_off, __global float *Y, int y_off, int M, int N, int K, int sam,
    int sak, int sbk, int sbn, int scm, int scn, int groups, int a_outer,
    int a_inner, int b_outer, int b_inner, int c_outer, int c_inner,
    int y_outer, int y_inner, float alpha, float beta, int has_c, int has_r,
    int act, float act_a, float act_b, __global float *P, int p_off,
    int splits, int kc)
{
  __local float As[TK * TMP] __attribute__ ((aligned (16)));
  __local float Bs[TK * TN] __attribute__ ((aligned (16)));
  ConvGeometry none = { 0 };
  int z, s;
  int yo;
  split_of (splits, &z, &s);
  yo = y_off + batch_offset (z, groups, y_outer, y_inner);
  gemm_tile (A + a_off + batch_offset (z, groups, a_outer, a_inner),
      B + b_off + batch_offset (z, groups, b_outer, b_inner),
      C + c_off + batch_offset (z, groups, c_outer, c_inner),
      R + r_off + (yo - y_off), Y + yo, M, N, K, sam, sak, sbk, sbn, scm,
      scn, alpha, beta, has_c, has_r, act, act_a, act_b, As, Bs, 0, &none,
      (__global const int2 *) 0, s * kc, min (K, (s + 1) * kc), splits > 1
      ? P + p_off + (size_t) (s * (int) (get_global_size (2) / splits) + z)
      * M * N : 0);
}

/* x[N, C, H, W] * w[Cout, C / groups, KH, KW] (+ bias, + residual, act):
 * per image and group, W_g [M = Cout / groups, K] times the patches
 * [K, OH * OW]. */
__kernel __attribute__ ((reqd_work_group_size (RX, RY, 1))) void
conv2d_igemm (__global const float *Wt, int w_off, __global const float *X,
    int x_off, __global const float *bias, int bias_off,
    __global const float *R, int r_off, __global float *Y, int y_off,
    int M, int N, int K, int groups, int x_outer, int x_inner, int y_outer,
    int y_inner, int has_bias, int has_r, int act, float act_a, float act_b,
    int H, int W, int KH, int KW, int OW, int sh, int sw, int ph, int pw,
    int dh, int dw, __global const int2 *ktab, int ktab_off,
    __global float *P, int p_off, int splits, int kc)
{
  __local float As[TK * TMP] __attribute__ ((aligned (16)));
  __local float Bs[TK * TN] __attribute__ ((aligned (16)));
  ConvGeometry g = { H, W, KH, KW, OW, sh, sw, ph, pw, dh, dw };
  int z, s, grp, yo;
  split_of (splits, &z, &s);
  grp = z % groups;
  yo = y_off + batch_offset (z, groups, y_outer, y_inner);
  gemm_tile (Wt + w_off + grp * M * K,
      X + x_off + batch_offset (z, groups, x_outer, x_inner),
      bias + bias_off + grp * M, R + r_off + (yo - y_off), Y + yo, M, N, K,
      K, 1, 0, 0, 1, 0, 1.0f, 1.0f, has_bias, has_r, act, act_a, act_b, As,
      Bs, 1, &g, ktab + ktab_off / 2, s * kc, min (K, (s + 1) * kc), splits > 1
      ? P + p_off + (size_t) (s * (int) (get_global_size (2) / splits) + z)
      * M * N : 0);
}

/* The second pass of a split product: Y[z] = act (alpha sum_s P[s][z] +
 * beta C + R), one output per work item, C and Y placed as the first
 * pass would have (C per row for a Conv's bias: scm 1, scn 0). */
__kernel void
gemm_splitk_reduce (__global const float *P, int p_off,
    __global const float *C, int c_off, __global const float *R, int r_off,
    __global float *Y, int y_off, int M, int N, int batch, int splits,
    int groups, int c_outer, int c_inner, int scm, int scn, int y_outer,
    int y_inner, float alpha, float beta, int has_c, int has_r, int act,
    float act_a, float act_b)
{
  int i = get_global_id (0);
  int n, m, z, yo;
  float v = 0.0f;
  if (i >= batch * M * N)
    return;
  n = i % N;
  m = (i / N) % M;
  z = i / (M * N);
  for (int s = 0; s < splits; s++)
    v += P[p_off + (size_t) (s * batch + z) * M * N + m * N + n];
  v *= alpha;
  if (has_c)
    v += beta * C[c_off + batch_offset (z, groups, c_outer, c_inner)
        + m * scm + n * scn];
  yo = batch_offset (z, groups, y_outer, y_inner) + m * N + n;
  if (has_r)
    v += R[r_off + yo];
  Y[y_off + yo] = ovi_activate (v, act, act_a, act_b);
}
