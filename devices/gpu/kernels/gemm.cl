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
 * consecutive floats.
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

inline float
load_b (__global const float *B, int k, int n, int K, int N, int sbk,
    int sbn, const int conv, const ConvGeometry *g)
{
  if (k >= K || n >= N)
    return 0.0f;
  if (!conv)
    return B[k * sbk + n * sbn];
  {
    int khw = g->KH * g->KW;
    int ci = k / khw, r = k % khw;
    int kh = r / g->KW, kw = r % g->KW;
    int oh = n / g->OW, ow = n % g->OW;
    int ih = oh * g->sh - g->ph + kh * g->dh;
    int iw = ow * g->sw - g->pw + kw * g->dw;
    if (ih < 0 || ih >= g->H || iw < 0 || iw >= g->W)
      return 0.0f;
    return B[(ci * g->H + ih) * g->W + iw];
  }
}

inline void
gemm_tile (__global const float *A, __global const float *B,
    __global const float *C, __global const float *R, __global float *Y,
    int M, int N, int K, int sam, int sak, int sbk, int sbn, int scm,
    int scn, float alpha, float beta, int has_c, int has_r, int act,
    float act_a, float act_b, __local float *As, __local float *Bs,
    const int conv, const ConvGeometry *g, int k_begin, int k_end,
    __global float *P)
{
  int tx = get_local_id (0), ty = get_local_id (1);
  int tid = ty * RX + tx;
  int n0 = get_group_id (0) * TN, m0 = get_group_id (1) * TM;
  float acc[WPT][WPT];

  for (int i = 0; i < WPT; i++)
    for (int j = 0; j < WPT; j++)
      acc[i][j] = 0.0f;

  /* Loads test k < K: with a K chunk, K is the chunk's end. */
  K = k_end;
  for (int k0 = k_begin; k0 < K; k0 += TK) {
    for (int l = 0; l < TM * TK / (RX * RY); l++) {
      int idx = tid + l * RX * RY;
      int mm = idx / TK, kk = idx % TK;
      int m = m0 + mm, k = k0 + kk;
      As[kk * TMP + mm] = m < M && k < K ? A[m * sam + k * sak] : 0.0f;
    }
    for (int l = 0; l < TK * TN / (RX * RY); l++) {
      int idx = tid + l * RX * RY;
      int kk = idx / TN, nn = idx % TN;
      Bs[kk * TN + nn] = load_b (B, k0 + kk, n0 + nn, K, N, sbk, sbn, conv,
          g);
    }
    barrier (CLK_LOCAL_MEM_FENCE);
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
      s * kc, min (K, (s + 1) * kc), splits > 1
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
    int dh, int dw, __global float *P, int p_off, int splits, int kc)
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
      Bs, 1, &g, s * kc, min (K, (s + 1) * kc), splits > 1
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
