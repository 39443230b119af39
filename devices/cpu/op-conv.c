/* CPU kernels for the conv op group: Conv, ConvTranspose, Gemm, MatMul
 * and Einsum.
 *
 * float32 goes through a cache-blocked GEMM (packed panels, a 6x16 AVX2
 * FMA micro-kernel chosen at run time, a portable one otherwise), threaded
 * with OpenMP. Conv is im2col + GEMM (a plain GEMM for 1x1 stride-1
 * convolutions, a direct loop for depthwise ones). Other types compute in
 * double (floats) or wrapping 64-bit integers with simple loops. */
#include <string.h>
#include <math.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define OVI_CONV_X86 1
#else
#define OVI_CONV_X86 0
#endif

#include "cpu-broadcast.h"
#include "cpu-ops.h"
#include "cpu-parallel.h"

/* ------------------------------------------------------------------ */
/* float32 GEMM                                                         */
/* ------------------------------------------------------------------ */

#define SG_MR 6
#define SG_NR 16
#define SG_KC 256
#define SG_MC 144
#define SG_NC 3072
/* Work estimate (for OVI_PARALLEL_*) of `macs` multiply-adds: the loops
 * here vectorize, four of them make a step, so a GEMM runs on one thread
 * below 2^17. */
#define PAR_WORK(macs) ((macs) / 4)

/* Eight floats: plain SSE pairs by default, one AVX register inside the
 * target("avx2,fma") functions. */
typedef float V8f __attribute__((vector_size (32)));

/* Helpers take pointers: passing 32-byte vectors by value would depend
 * on the target's ABI. */
static inline __attribute__((always_inline)) float
v8_sum (const V8f *v)
{
  return (((*v)[0] + (*v)[4]) + ((*v)[1] + (*v)[5]))
      + (((*v)[2] + (*v)[6]) + ((*v)[3] + (*v)[7]));
}

/* acc += x * (8 floats at p) */
#define V8_MADD(acc, x, p) G_STMT_START {                                   \
    V8f v8_tmp_;                                                            \
    memcpy (&v8_tmp_, (p), sizeof (v8_tmp_));                               \
    (acc) += (x) * v8_tmp_;                                                 \
  } G_STMT_END

typedef void (*SgKernel) (int64_t kc, const float *a, const float *b,
    float *c, int64_t ldc, float alpha, float beta, int mr, int nr);

typedef struct {
  gboolean ta, tb;
  int64_t m, n, k;
  float alpha, beta;
  const float *a, *b;
  int64_t lda, ldb, ldc;
  float *c;
} SgArgs;

static gboolean
have_avx2 (void)
{
#if OVI_CONV_X86
  static gsize once = 0;
  if (g_once_init_enter (&once)) {
    gsize v;
    __builtin_cpu_init ();
    v = __builtin_cpu_supports ("avx2") && __builtin_cpu_supports ("fma")
        ? 2 : 1;
    g_once_init_leave (&once, v);
  }
  return once == 2;
#else
  return FALSE;
#endif
}

/* TRUE when a loop of `macs` multiply-adds is worth threading. */
static gboolean
par_ok (int64_t macs)
{
  return ovi_parallel_worth (PAR_WORK (macs));
}

/* c = alpha * acc + beta * c on an mr x nr corner of a tile; beta 0
 * never reads c. */
static void
sg_store_tile (const float *acc, float *c, int64_t ldc, float alpha,
    float beta, int mr, int nr)
{
  for (int i = 0; i < mr; i++) {
    float *row = c + i * ldc;
    const float *src = acc + i * SG_NR;
    if (beta == 0.0f) {
      for (int j = 0; j < nr; j++)
        row[j] = alpha * src[j];
    } else {
      for (int j = 0; j < nr; j++)
        row[j] = alpha * src[j] + beta * row[j];
    }
  }
}

static void
sg_kernel_generic (int64_t kc, const float *a, const float *b, float *c,
    int64_t ldc, float alpha, float beta, int mr, int nr)
{
  float acc[SG_MR * SG_NR];
  memset (acc, 0, sizeof (acc));
  for (int64_t k = 0; k < kc; k++) {
    const float *bk = b + k * SG_NR;
    for (int i = 0; i < SG_MR; i++) {
      float av = a[k * SG_MR + i];
      for (int j = 0; j < SG_NR; j++)
        acc[i * SG_NR + j] += av * bk[j];
    }
  }
  sg_store_tile (acc, c, ldc, alpha, beta, mr, nr);
}

#if OVI_CONV_X86
__attribute__((target ("avx2,fma")))
static void
sg_kernel_avx2 (int64_t kc, const float *a, const float *b, float *c,
    int64_t ldc, float alpha, float beta, int mr, int nr)
{
  __m256 c00 = _mm256_setzero_ps (), c01 = _mm256_setzero_ps ();
  __m256 c10 = _mm256_setzero_ps (), c11 = _mm256_setzero_ps ();
  __m256 c20 = _mm256_setzero_ps (), c21 = _mm256_setzero_ps ();
  __m256 c30 = _mm256_setzero_ps (), c31 = _mm256_setzero_ps ();
  __m256 c40 = _mm256_setzero_ps (), c41 = _mm256_setzero_ps ();
  __m256 c50 = _mm256_setzero_ps (), c51 = _mm256_setzero_ps ();

  for (int64_t k = 0; k < kc; k++) {
    __m256 b0 = _mm256_load_ps (b);
    __m256 b1 = _mm256_load_ps (b + 8);
    __m256 av;
    av = _mm256_broadcast_ss (a + 0);
    c00 = _mm256_fmadd_ps (av, b0, c00);
    c01 = _mm256_fmadd_ps (av, b1, c01);
    av = _mm256_broadcast_ss (a + 1);
    c10 = _mm256_fmadd_ps (av, b0, c10);
    c11 = _mm256_fmadd_ps (av, b1, c11);
    av = _mm256_broadcast_ss (a + 2);
    c20 = _mm256_fmadd_ps (av, b0, c20);
    c21 = _mm256_fmadd_ps (av, b1, c21);
    av = _mm256_broadcast_ss (a + 3);
    c30 = _mm256_fmadd_ps (av, b0, c30);
    c31 = _mm256_fmadd_ps (av, b1, c31);
    av = _mm256_broadcast_ss (a + 4);
    c40 = _mm256_fmadd_ps (av, b0, c40);
    c41 = _mm256_fmadd_ps (av, b1, c41);
    av = _mm256_broadcast_ss (a + 5);
    c50 = _mm256_fmadd_ps (av, b0, c50);
    c51 = _mm256_fmadd_ps (av, b1, c51);
    a += SG_MR;
    b += SG_NR;
  }

  if (mr == SG_MR && nr == SG_NR) {
    __m256 va = _mm256_set1_ps (alpha);
    __m256 rows[SG_MR][2] = {
      { c00, c01 }, { c10, c11 }, { c20, c21 },
      { c30, c31 }, { c40, c41 }, { c50, c51 },
    };
    if (beta == 0.0f) {
      for (int i = 0; i < SG_MR; i++) {
        _mm256_storeu_ps (c + i * ldc, _mm256_mul_ps (va, rows[i][0]));
        _mm256_storeu_ps (c + i * ldc + 8, _mm256_mul_ps (va, rows[i][1]));
      }
    } else {
      __m256 vb = _mm256_set1_ps (beta);
      for (int i = 0; i < SG_MR; i++) {
        float *p = c + i * ldc;
        _mm256_storeu_ps (p, _mm256_fmadd_ps (va, rows[i][0],
                _mm256_mul_ps (vb, _mm256_loadu_ps (p))));
        _mm256_storeu_ps (p + 8, _mm256_fmadd_ps (va, rows[i][1],
                _mm256_mul_ps (vb, _mm256_loadu_ps (p + 8))));
      }
    }
  } else {
    float acc[SG_MR * SG_NR] __attribute__((aligned (32)));
    _mm256_store_ps (acc + 0 * SG_NR, c00);
    _mm256_store_ps (acc + 0 * SG_NR + 8, c01);
    _mm256_store_ps (acc + 1 * SG_NR, c10);
    _mm256_store_ps (acc + 1 * SG_NR + 8, c11);
    _mm256_store_ps (acc + 2 * SG_NR, c20);
    _mm256_store_ps (acc + 2 * SG_NR + 8, c21);
    _mm256_store_ps (acc + 3 * SG_NR, c30);
    _mm256_store_ps (acc + 3 * SG_NR + 8, c31);
    _mm256_store_ps (acc + 4 * SG_NR, c40);
    _mm256_store_ps (acc + 4 * SG_NR + 8, c41);
    _mm256_store_ps (acc + 5 * SG_NR, c50);
    _mm256_store_ps (acc + 5 * SG_NR + 8, c51);
    sg_store_tile (acc, c, ldc, alpha, beta, mr, nr);
  }
}
#endif

/* Packs rows [i0, i0+mc) x depth [k0, k0+kc) of op(A) into MR-row
 * panels, k-major inside a panel, zero-padding the last panel. */
static void
sg_pack_a (const SgArgs *g, int64_t i0, int64_t mc, int64_t k0, int64_t kc,
    float *ap)
{
  for (int64_t ir = 0; ir < mc; ir += SG_MR) {
    int mr = (int) MIN (SG_MR, mc - ir);
    float *dst = ap + ir * kc;
    if (!g->ta) {
      for (int i = 0; i < mr; i++) {
        const float *src = g->a + (i0 + ir + i) * g->lda + k0;
        for (int64_t k = 0; k < kc; k++)
          dst[k * SG_MR + i] = src[k];
      }
    } else {
      for (int64_t k = 0; k < kc; k++) {
        const float *src = g->a + (k0 + k) * g->lda + i0 + ir;
        for (int i = 0; i < mr; i++)
          dst[k * SG_MR + i] = src[i];
      }
    }
    for (int i = mr; i < SG_MR; i++)
      for (int64_t k = 0; k < kc; k++)
        dst[k * SG_MR + i] = 0.0f;
  }
}

/* Packs depth [k0, k0+kc) x columns [j0, j0+nc) of op(B) into NR-column
 * panels, zero-padding the last panel. */
static void
sg_pack_b (const SgArgs *g, int64_t k0, int64_t kc, int64_t j0, int64_t nc,
    float *bp)
{
  for (int64_t jr = 0; jr < nc; jr += SG_NR) {
    int nr = (int) MIN (SG_NR, nc - jr);
    float *dst = bp + jr * kc;
    if (!g->tb) {
      for (int64_t k = 0; k < kc; k++) {
        const float *src = g->b + (k0 + k) * g->ldb + j0 + jr;
        float *d = dst + k * SG_NR;
        if (nr == SG_NR) {
          memcpy (d, src, sizeof (float) * SG_NR);
        } else {
          for (int j = 0; j < nr; j++)
            d[j] = src[j];
          for (int j = nr; j < SG_NR; j++)
            d[j] = 0.0f;
        }
      }
    } else {
      for (int j = 0; j < nr; j++) {
        const float *src = g->b + (j0 + jr + j) * g->ldb + k0;
        for (int64_t k = 0; k < kc; k++)
          dst[k * SG_NR + j] = src[k];
      }
      for (int j = nr; j < SG_NR; j++)
        for (int64_t k = 0; k < kc; k++)
          dst[k * SG_NR + j] = 0.0f;
    }
  }
}

/* One thread's share: C[m0:m1, n0:n1]. */
static void
sg_block (const SgArgs *g, int64_t m0, int64_t m1, int64_t n0, int64_t n1,
    float *ap, float *bp, SgKernel kernel)
{
  for (int64_t jc = n0; jc < n1; jc += SG_NC) {
    int64_t nc = MIN (SG_NC, n1 - jc);
    for (int64_t pc = 0; pc < g->k; pc += SG_KC) {
      int64_t kc = MIN (SG_KC, g->k - pc);
      float beta = pc == 0 ? g->beta : 1.0f;
      sg_pack_b (g, pc, kc, jc, nc, bp);
      for (int64_t ic = m0; ic < m1; ic += SG_MC) {
        int64_t mc = MIN (SG_MC, m1 - ic);
        sg_pack_a (g, ic, mc, pc, kc, ap);
        for (int64_t jr = 0; jr < nc; jr += SG_NR) {
          int nr = (int) MIN (SG_NR, nc - jr);
          for (int64_t ir = 0; ir < mc; ir += SG_MR) {
            int mr = (int) MIN (SG_MR, mc - ir);
            kernel (kc, ap + ir * kc, bp + jr * kc,
                g->c + (ic + ir) * g->ldc + jc + jr, g->ldc, g->alpha, beta,
                mr, nr);
          }
        }
      }
    }
  }
}

/* Matrix-vector products for GEMMs with a single row or column. The
 * bodies are inlined twice: portable and AVX2. */
static inline __attribute__((always_inline)) void
sg_gemv_rows_body (int64_t k, int64_t n, const float *x, const float *mat,
    int64_t ld, float *y)
{
  /* y[j] = sum_k x[k] * mat[k * ld + j], in column chunks. */
  float acc[256];
  for (int64_t j0 = 0; j0 < n; j0 += 256) {
    int64_t nc = MIN (256, n - j0), kk = 0;
    for (int64_t j = 0; j < nc; j++)
      acc[j] = 0.0f;
    /* Four rows per pass: a quarter of the accumulator traffic. */
    for (; kk + 4 <= k; kk += 4) {
      const float *r0 = mat + kk * ld + j0, *r1 = r0 + ld;
      const float *r2 = r1 + ld, *r3 = r2 + ld;
      float x0 = x[kk], x1 = x[kk + 1], x2 = x[kk + 2], x3 = x[kk + 3];
      for (int64_t j = 0; j < nc; j++)
        acc[j] += (x0 * r0[j] + x1 * r1[j]) + (x2 * r2[j] + x3 * r3[j]);
    }
    for (; kk < k; kk++) {
      const float *row = mat + kk * ld + j0;
      float xv = x[kk];
      for (int64_t j = 0; j < nc; j++)
        acc[j] += xv * row[j];
    }
    memcpy (y + j0, acc, sizeof (float) * nc);
  }
}

static inline __attribute__((always_inline)) float
sg_dot_body (int64_t k, const float *x, const float *v)
{
  V8f acc = { 0 };
  float s;
  int64_t i = 0;
  for (; i + 8 <= k; i += 8) {
    V8f xv;
    memcpy (&xv, x + i, sizeof (xv));
    V8_MADD (acc, xv, v + i);
  }
  s = v8_sum (&acc);
  for (; i < k; i++)
    s += x[i] * v[i];
  return s;
}

/* out[r] = dot (x, v + r * ld) for four rows at once: eight independent
 * accumulator chains. */
static inline __attribute__((always_inline)) void
sg_dot4_body (int64_t k, const float *x, const float *v, int64_t ld,
    float *out)
{
  const float *v0 = v, *v1 = v + ld, *v2 = v + 2 * ld, *v3 = v + 3 * ld;
  V8f a0 = { 0 }, a1 = { 0 }, a2 = { 0 }, a3 = { 0 };
  V8f b0 = { 0 }, b1 = { 0 }, b2 = { 0 }, b3 = { 0 };
  int64_t i = 0;
  for (; i + 16 <= k; i += 16) {
    V8f x0, x1;
    memcpy (&x0, x + i, sizeof (x0));
    memcpy (&x1, x + i + 8, sizeof (x1));
    V8_MADD (a0, x0, v0 + i);
    V8_MADD (b0, x1, v0 + i + 8);
    V8_MADD (a1, x0, v1 + i);
    V8_MADD (b1, x1, v1 + i + 8);
    V8_MADD (a2, x0, v2 + i);
    V8_MADD (b2, x1, v2 + i + 8);
    V8_MADD (a3, x0, v3 + i);
    V8_MADD (b3, x1, v3 + i + 8);
  }
  a0 += b0;
  a1 += b1;
  a2 += b2;
  a3 += b3;
  out[0] = v8_sum (&a0);
  out[1] = v8_sum (&a1);
  out[2] = v8_sum (&a2);
  out[3] = v8_sum (&a3);
  for (; i < k; i++) {
    out[0] += x[i] * v0[i];
    out[1] += x[i] * v1[i];
    out[2] += x[i] * v2[i];
    out[3] += x[i] * v3[i];
  }
}

static void
sg_dot4_generic (int64_t k, const float *x, const float *v, int64_t ld,
    float *out)
{
  sg_dot4_body (k, x, v, ld, out);
}

static void
sg_gemv_rows_generic (int64_t k, int64_t n, const float *x, const float *mat,
    int64_t ld, float *y)
{
  sg_gemv_rows_body (k, n, x, mat, ld, y);
}

static float
sg_dot_generic (int64_t k, const float *x, const float *v)
{
  return sg_dot_body (k, x, v);
}

#if OVI_CONV_X86
__attribute__((target ("avx2,fma")))
static void
sg_gemv_rows_avx2 (int64_t k, int64_t n, const float *x, const float *mat,
    int64_t ld, float *y)
{
  sg_gemv_rows_body (k, n, x, mat, ld, y);
}

__attribute__((target ("avx2,fma")))
static float
sg_dot_avx2 (int64_t k, const float *x, const float *v)
{
  return sg_dot_body (k, x, v);
}

__attribute__((target ("avx2,fma")))
static void
sg_dot4_avx2 (int64_t k, const float *x, const float *v, int64_t ld,
    float *out)
{
  sg_dot4_body (k, x, v, ld, out);
}
#endif

/* y (n values, stride ys) = alpha * op(mat) x + beta * y, where op(mat) is
 * n x k: k_major TRUE means element (j, kk) is mat[kk * ld + j], FALSE
 * mat[j * ld + kk]. */
/* Columns [j0, j0 + nc) of sg_gemv (nc <= 256). */
static void
sg_gemv_chunk (gboolean avx2, gboolean k_major, int64_t j0, int64_t nc,
    int64_t k, float alpha, const float *mat, int64_t ld, const float *x,
    float beta, float *y, int64_t ys)
{
  float tmp[256];
  if (k_major) {
#if OVI_CONV_X86
    if (avx2)
      sg_gemv_rows_avx2 (k, nc, x, mat + j0, ld, tmp);
    else
#endif
      sg_gemv_rows_generic (k, nc, x, mat + j0, ld, tmp);
  } else {
    int64_t j = 0;
    for (; j + 4 <= nc; j += 4) {
#if OVI_CONV_X86
      if (avx2)
        sg_dot4_avx2 (k, x, mat + (j0 + j) * ld, ld, tmp + j);
      else
#endif
        sg_dot4_generic (k, x, mat + (j0 + j) * ld, ld, tmp + j);
    }
    for (; j < nc; j++) {
#if OVI_CONV_X86
      if (avx2)
        tmp[j] = sg_dot_avx2 (k, x, mat + (j0 + j) * ld);
      else
#endif
        tmp[j] = sg_dot_generic (k, x, mat + (j0 + j) * ld);
    }
  }
  for (int64_t j = 0; j < nc; j++) {
    float *p = y + (j0 + j) * ys;
    *p = beta == 0.0f ? alpha * tmp[j] : alpha * tmp[j] + beta * *p;
  }
  (void) avx2;
}

static void
sg_gemv (gboolean k_major, int64_t n, int64_t k, float alpha,
    const float *mat, int64_t ld, const float *x, float beta, float *y,
    int64_t ys)
{
  gboolean avx2 = have_avx2 ();
  int64_t work = n >= 64 ? PAR_WORK (n * k) : 0;
  gboolean par = ovi_parallel_worth (work);

  OVI_PARALLEL_REGION (par ? work : 0, tid, nth, {
    /* Columns per chunk: up to 256, fewer to give every thread work. */
    int64_t width = par ? (n + 2 * nth - 1) / (2 * nth) : 256;
    int64_t n_chunks, c0, c1;

    width = CLAMP ((width + 15) / 16 * 16, 16, 256);
    n_chunks = (n + width - 1) / width;
    ovi_parallel_slice (n_chunks, tid, nth, &c0, &c1);
    for (int64_t c = c0; c < c1; c++)
      sg_gemv_chunk (avx2, k_major, c * width, MIN (width, n - c * width), k,
          alpha, mat, ld, x, beta, y, ys);
  });
}

/* C (M x N, row stride ldc) = alpha * op(A) op(B) + beta * C, all
 * row-major; op() transposes when ta / tb. beta 0 never reads C. FALSE
 * only when memory runs out. */
static gboolean
sgemm (gboolean ta, gboolean tb, int64_t m, int64_t n, int64_t k,
    float alpha, const float *a, int64_t lda, const float *b, int64_t ldb,
    float beta, float *c, int64_t ldc)
{
  SgArgs g = { ta, tb, m, n, k, alpha, beta, a, b, lda, ldb, ldc, c };
  SgKernel kernel = sg_kernel_generic;
  int nt = 1;
  gboolean split_n = TRUE, par;
  int64_t per, ap_size, bp_size;
  float *buf;

  if (m <= 0 || n <= 0)
    return TRUE;
  if (k <= 0 || alpha == 0.0f) {
    for (int64_t i = 0; i < m; i++)
      for (int64_t j = 0; j < n; j++)
        c[i * ldc + j] = beta == 0.0f ? 0.0f : beta * c[i * ldc + j];
    return TRUE;
  }
  if (m == 1) {
    /* Row vector times matrix: x is A's only row. */
    float *x = NULL;
    const float *xv = a;
    if (ta && lda != 1) {
      x = g_try_new (float, k);
      if (x == NULL)
        return FALSE;
      for (int64_t i = 0; i < k; i++)
        x[i] = a[i * lda];
      xv = x;
    }
    sg_gemv (!tb, n, k, alpha, b, ldb, xv, beta, c, 1);
    g_free (x);
    return TRUE;
  }
  if (n == 1) {
    float *x = NULL;
    const float *xv = b;
    if (!tb && ldb != 1) {
      x = g_try_new (float, k);
      if (x == NULL)
        return FALSE;
      for (int64_t i = 0; i < k; i++)
        x[i] = b[i * ldb];
      xv = x;
    }
    sg_gemv (ta, m, k, alpha, a, lda, xv, beta, c, ldc);
    g_free (x);
    return TRUE;
  }

#if OVI_CONV_X86
  if (have_avx2 ())
    kernel = sg_kernel_avx2;
#endif

  if (par_ok (m * n * k)) {
    int max_t = ovi_parallel_threads (PAR_WORK (m * n * k));
    int64_t n_panels = (n + SG_NR - 1) / SG_NR;
    int64_t m_panels = (m + SG_MR - 1) / SG_MR;
    if (n_panels >= 2 * max_t || n_panels >= m_panels) {
      nt = (int) MIN (max_t, n_panels);
    } else {
      split_n = FALSE;
      nt = (int) MIN (max_t, m_panels);
    }
  }
  if (split_n) {
    int64_t n_panels = (n + SG_NR - 1) / SG_NR;
    per = (n_panels + nt - 1) / nt * SG_NR;
  } else {
    int64_t m_panels = (m + SG_MR - 1) / SG_MR;
    per = (m_panels + nt - 1) / nt * SG_MR;
  }
  ap_size = (int64_t) SG_MC * SG_KC;
  bp_size = (int64_t) SG_KC * MIN (SG_NC, (split_n ? per : n) + SG_NR);
  buf = ovi_aligned_alloc (sizeof (float) * (ap_size + bp_size) * nt);
  if (buf == NULL)
    return FALSE;

  /* nt slices, thread t taking slice t (the team has at least nt
   * threads; inline, one thread takes them all). */
  par = nt > 1 && ovi_parallel_worth (PAR_WORK (m * n * k));
  OVI_PARALLEL_REGION (par ? PAR_WORK (m * n * k) : 0, tid, nth, {
    int t0 = tid, step = nth;
    for (int t = t0; t < nt; t += step) {
      float *ap = buf + (ap_size + bp_size) * t;
      float *bp = ap + ap_size;
      if (split_n) {
        int64_t n0 = t * per, n1 = MIN (n, n0 + per);
        if (n0 < n1)
          sg_block (&g, 0, m, n0, n1, ap, bp, kernel);
      } else {
        int64_t m0 = t * per, m1 = MIN (m, m0 + per);
        if (m0 < m1)
          sg_block (&g, m0, m1, 0, n, ap, bp, kernel);
      }
    }
  });
  ovi_aligned_free (buf);
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Helpers for the generic (non-float32) paths                         */
/* ------------------------------------------------------------------ */

static gboolean
out_of_memory (OviOpCtx *ctx, GError **error)
{
  ovi_op_error (ctx, error, OVI_ERROR_INVALID, "out of memory");
  return FALSE;
}

/* Whole tensor as doubles; NULL when memory runs out. */
static double *
load_f64 (const OviTensor *t)
{
  int64_t n = ovi_tensor_numel (t);
  double *d = g_try_new (double, MAX (n, 1));
  if (d == NULL)
    return NULL;
  if (t->dtype == OVI_DTYPE_FLOAT64) {
    memcpy (d, t->data, sizeof (double) * n);
  } else if (t->dtype == OVI_DTYPE_FLOAT32) {
    const float *f = t->data;
    for (int64_t i = 0; i < n; i++)
      d[i] = f[i];
  } else {
    for (int64_t i = 0; i < n; i++)
      d[i] = ovi_load_f64 (t->dtype, t->data, i);
  }
  return d;
}

static void
store_f64 (OviTensor *t, const double *d)
{
  int64_t n = ovi_tensor_numel (t);
  if (t->dtype == OVI_DTYPE_FLOAT64) {
    memcpy (t->data, d, sizeof (double) * n);
  } else {
    for (int64_t i = 0; i < n; i++)
      ovi_store_f64 (t->dtype, t->data, i, d[i]);
  }
}

/* Whole integer tensor as wrapping 64-bit values. */
static guint64 *
load_u64 (const OviTensor *t)
{
  int64_t n = ovi_tensor_numel (t);
  guint64 *d = g_try_new (guint64, MAX (n, 1));
  if (d == NULL)
    return NULL;
  for (int64_t i = 0; i < n; i++)
    d[i] = (guint64) ovi_load_i64 (t->dtype, t->data, i);
  return d;
}

static void
store_u64 (OviTensor *t, const guint64 *d)
{
  int64_t n = ovi_tensor_numel (t);
  for (int64_t i = 0; i < n; i++)
    ovi_store_i64 (t->dtype, t->data, i, (int64_t) d[i]);
}

/* Plain row-major C = A B (no transposes) over M x K and K x N. */
static void
gemm_f64 (int64_t m, int64_t n, int64_t k, const double *a, const double *b,
    double *c)
{
  OVI_PARALLEL_FOR (PAR_WORK (m * n * k), for (int64_t i = 0; i < m; i++), {
    double *ci = c + i * n;
    for (int64_t j = 0; j < n; j++)
      ci[j] = 0.0;
    for (int64_t kk = 0; kk < k; kk++) {
      double av = a[i * k + kk];
      const double *bk = b + kk * n;
      for (int64_t j = 0; j < n; j++)
        ci[j] += av * bk[j];
    }
  });
}

static void
gemm_u64 (int64_t m, int64_t n, int64_t k, const guint64 *a,
    const guint64 *b, guint64 *c)
{
  OVI_PARALLEL_FOR (PAR_WORK (m * n * k), for (int64_t i = 0; i < m; i++), {
    guint64 *ci = c + i * n;
    for (int64_t j = 0; j < n; j++)
      ci[j] = 0;
    for (int64_t kk = 0; kk < k; kk++) {
      guint64 av = a[i * k + kk];
      const guint64 *bk = b + kk * n;
      for (int64_t j = 0; j < n; j++)
        ci[j] += av * bk[j];
    }
  });
}

/* ------------------------------------------------------------------ */
/* Conv and ConvTranspose                                               */
/* ------------------------------------------------------------------ */

typedef struct {
  int nsp;
  int64_t n, c, m;              /* batch, input and output channels */
  int64_t group, cg, mg;        /* per-group channels */
  int64_t in[OVI_MAX_RANK], out[OVI_MAX_RANK], k[OVI_MAX_RANK];
  int64_t s[OVI_MAX_RANK], d[OVI_MAX_RANK], pb[OVI_MAX_RANK];
  int64_t in_size, out_size, k_size;
  int64_t in_stride[OVI_MAX_RANK], out_stride[OVI_MAX_RANK];
} ConvGeom;

/* Reads an ints attribute of n values; the default when absent (infer
 * has already checked the count). */
static void
get_ints (const OviNode *node, const char *name, int n, int64_t def,
    int64_t *out)
{
  const int64_t *v;
  int count = ovi_node_attr_ints (node, name, &v);
  for (int i = 0; i < n; i++)
    out[i] = count == n ? v[i] : def;
}

/* Geometry from the attributes and the shapes infer has set; pads at the
 * start of each axis follow from auto_pad and the shapes. */
static void
conv_geom (OviOpCtx *ctx, gboolean transpose, ConvGeom *g)
{
  const OviTensor *x = ctx->inputs[0], *w = ctx->inputs[1];
  const OviTensor *y = ctx->outputs[0];
  const char *ap = ovi_node_attr_string (ctx->node, "auto_pad", "NOTSET");
  gboolean upper = strcmp (ap, "SAME_UPPER") == 0;
  gboolean same = upper || strcmp (ap, "SAME_LOWER") == 0;
  gboolean valid = strcmp (ap, "VALID") == 0;
  const int64_t *os;
  gboolean has_os = ovi_node_attr_ints (ctx->node, "output_shape", &os) >= 0;
  int64_t pads[2 * OVI_MAX_RANK], opad[OVI_MAX_RANK];
  int nsp = x->rank - 2;

  memset (g, 0, sizeof (*g));
  g->nsp = nsp;
  g->n = x->dims[0];
  g->c = x->dims[1];
  g->m = y->dims[1];
  g->group = ovi_node_attr_int (ctx->node, "group", 1);
  g->cg = g->c / g->group;
  g->mg = g->m / g->group;
  get_ints (ctx->node, "strides", nsp, 1, g->s);
  get_ints (ctx->node, "dilations", nsp, 1, g->d);
  get_ints (ctx->node, "pads", 2 * nsp, 0, pads);
  get_ints (ctx->node, "output_padding", nsp, 0, opad);
  g->in_size = g->out_size = g->k_size = 1;
  for (int i = nsp - 1; i >= 0; i--) {
    int64_t ek;
    g->in[i] = x->dims[i + 2];
    g->out[i] = y->dims[i + 2];
    g->k[i] = w->dims[i + 2];
    g->in_stride[i] = g->in_size;
    g->out_stride[i] = g->out_size;
    g->in_size *= g->in[i];
    g->out_size *= g->out[i];
    g->k_size *= g->k[i];
    ek = (g->k[i] - 1) * g->d[i] + 1;
    if (!transpose) {
      if (same) {
        int64_t total = MAX (0, (g->out[i] - 1) * g->s[i] + ek - g->in[i]);
        g->pb[i] = upper ? total / 2 : total - total / 2;
      } else {
        g->pb[i] = valid ? 0 : pads[i];
      }
    } else {
      if (has_os || same) {
        int64_t total = g->s[i] * (g->in[i] - 1) + opad[i] + ek - g->out[i];
        g->pb[i] = total <= 0 ? 0 : upper ? total / 2 : total - total / 2;
      } else {
        g->pb[i] = valid ? 0 : pads[i];
      }
    }
  }
}

/* First and one-past-last output positions o in [0, n_out) whose input
 * o * s + off lies in [0, n_in). */
static void
valid_range (int64_t n_out, int64_t n_in, int64_t s, int64_t off,
    int64_t *lo, int64_t *hi)
{
  int64_t a = off >= 0 ? 0 : (-off + s - 1) / s;
  int64_t b = n_in - 1 - off >= 0 ? (n_in - 1 - off) / s + 1 : 0;
  a = MIN (a, n_out);
  b = MIN (b, n_out);
  *lo = a;
  *hi = MAX (a, b);
}

/* im2col of one group's Cg channels for output lines [l0, l1): row
 * (c, kernel position), column (line - l0) * OW + ow. A line is a run of
 * the last output axis. */
static void
im2col_f32 (const ConvGeom *g, const float *xg, int64_t l0, int64_t l1,
    float *col)
{
  int nsp = g->nsp;
  int64_t ow_n = g->out[nsp - 1], w_n = g->in[nsp - 1];
  int64_t sw = g->s[nsp - 1];
  int64_t ncols = (l1 - l0) * ow_n;
  int64_t rows = g->cg * g->k_size;

  /* A copied element per step. */
  OVI_PARALLEL_FOR (rows * ncols, for (int64_t r = 0; r < rows; r++), {
    int64_t c = r / g->k_size, kp = r % g->k_size;
    int64_t kc[OVI_MAX_RANK], oc[OVI_MAX_RANK];
    const float *xc = xg + c * g->in_size;
    float *dst = col + r * ncols;
    int64_t off_w, lo, hi, rem;

    for (int i = nsp - 1; i >= 0; i--) {
      kc[i] = kp % g->k[i];
      kp /= g->k[i];
    }
    off_w = kc[nsp - 1] * g->d[nsp - 1] - g->pb[nsp - 1];
    valid_range (ow_n, w_n, sw, off_w, &lo, &hi);
    /* Output coordinates of line l0 on the outer axes, then stepped. */
    rem = l0;
    for (int i = nsp - 2; i >= 0; i--) {
      oc[i] = rem % g->out[i];
      rem /= g->out[i];
    }
    for (int64_t l = l0; l < l1; l++, dst += ow_n) {
      int64_t base = 0;
      gboolean inside = lo < hi;
      for (int i = 0; i < nsp - 1 && inside; i++) {
        int64_t pos = oc[i] * g->s[i] + kc[i] * g->d[i] - g->pb[i];
        inside = pos >= 0 && pos < g->in[i];
        base += pos * g->in_stride[i];
      }
      for (int i = nsp - 2; i >= 0; i--) {
        if (++oc[i] < g->out[i])
          break;
        oc[i] = 0;
      }
      if (!inside) {
        memset (dst, 0, sizeof (float) * ow_n);
        continue;
      }
      if (lo > 0)
        memset (dst, 0, sizeof (float) * lo);
      if (sw == 1) {
        memcpy (dst + lo, xc + base + lo + off_w, sizeof (float) * (hi - lo));
      } else {
        const float *src = xc + base + lo * sw + off_w;
        for (int64_t o = lo; o < hi; o++, src += sw)
          dst[o] = *src;
      }
      if (hi < ow_n)
        memset (dst + hi, 0, sizeof (float) * (ow_n - hi));
    }
  });
}

/* Depthwise (one input channel per group) 1-D/2-D convolution, computed
 * directly per output channel. 1-D runs as 2-D with a single row. */
#define DW_MAX_KW 16
#define DW_MAX_TAPS 64

typedef struct {
  int64_t h, w, oh, ow, kh, kw, sh, sw, dh, dw, ph, pw;
} DwShape;

/* Any stride: accumulates one kernel tap at a time over output rows. */
static inline __attribute__((always_inline)) void
dw_rows_body (const DwShape *d, const float *xc, const float *wm, float bias,
    float *ym)
{
  int64_t lo_kw[DW_MAX_KW], hi_kw[DW_MAX_KW];
  gboolean pre = d->kw <= DW_MAX_KW;
  if (pre)
    for (int64_t kw = 0; kw < d->kw; kw++)
      valid_range (d->ow, d->w, d->sw, kw * d->dw - d->pw, &lo_kw[kw],
          &hi_kw[kw]);
  for (int64_t oh = 0; oh < d->oh; oh++) {
    float *yrow = ym + oh * d->ow;
    for (int64_t ow = 0; ow < d->ow; ow++)
      yrow[ow] = bias;
    for (int64_t kh = 0; kh < d->kh; kh++) {
      int64_t ih = oh * d->sh - d->ph + kh * d->dh;
      const float *xrow;
      if (ih < 0 || ih >= d->h)
        continue;
      xrow = xc + ih * d->w;
      for (int64_t kw = 0; kw < d->kw; kw++) {
        float wv = wm[kh * d->kw + kw];
        int64_t off = kw * d->dw - d->pw, lo, hi;
        if (pre) {
          lo = lo_kw[kw];
          hi = hi_kw[kw];
        } else {
          valid_range (d->ow, d->w, d->sw, off, &lo, &hi);
        }
        if (d->sw == 1) {
          for (int64_t ow = lo; ow < hi; ow++)
            yrow[ow] += wv * xrow[ow + off];
        } else {
          for (int64_t ow = lo; ow < hi; ow++)
            yrow[ow] += wv * xrow[ow * d->sw + off];
        }
      }
    }
  }
}

/* Width of the zero-padded copy the stride-1 path reads: every output
 * vector of 8, the last one included, reads inside it. */
static int64_t
dw_padded_width (const DwShape *d)
{
  return (d->ow + 7) / 8 * 8 + (d->kw - 1) * d->dw;
}

static int64_t
dw_padded_height (const DwShape *d)
{
  return (d->oh - 1) * d->sh + (d->kh - 1) * d->dh + 1;
}

/* Stride 1 along the width: copies the channel into a zero-padded
 * buffer, then computes 8 outputs at a time with every tap in registers. */
static inline __attribute__((always_inline)) void
dw_s1_body (const DwShape *d, const float *xc, float *xp, const float *wm,
    float bias, float *ym)
{
  int64_t wp = dw_padded_width (d), hp = dw_padded_height (d);
  int64_t taps = d->kh * d->kw;
  V8f wv[DW_MAX_TAPS];

  for (int64_t r = 0; r < hp; r++) {
    int64_t ih = r - d->ph, lo, hi;
    float *dst = xp + r * wp;
    if (ih < 0 || ih >= d->h) {
      memset (dst, 0, sizeof (float) * wp);
      continue;
    }
    /* Padded column j holds input column j - pw. */
    valid_range (wp, d->w, 1, -d->pw, &lo, &hi);
    if (lo > 0)
      memset (dst, 0, sizeof (float) * lo);
    if (hi > lo)
      memcpy (dst + lo, xc + ih * d->w + lo - d->pw,
          sizeof (float) * (hi - lo));
    if (hi < wp)
      memset (dst + hi, 0, sizeof (float) * (wp - hi));
  }
  for (int64_t t = 0; t < taps; t++) {
    V8f v = { 0 };
    wv[t] = v + wm[t];
  }
  for (int64_t oh = 0; oh < d->oh; oh++) {
    const float *rb = xp + oh * d->sh * wp;
    float *yrow = ym + oh * d->ow;
    int64_t ob = 0;
    /* 32 outputs at a time: four independent accumulator chains. */
    for (; ob + 32 <= d->ow; ob += 32) {
      V8f a0 = { 0 }, a1 = { 0 }, a2 = { 0 }, a3 = { 0 };
      a0 += bias;
      a1 += bias;
      a2 += bias;
      a3 += bias;
      for (int64_t kh = 0; kh < d->kh; kh++) {
        const float *r = rb + kh * d->dh * wp + ob;
        const V8f *wk = wv + kh * d->kw;
        for (int64_t kw = 0; kw < d->kw; kw++) {
          const float *q = r + kw * d->dw;
          V8f x0, x1, x2, x3;
          memcpy (&x0, q, sizeof (x0));
          memcpy (&x1, q + 8, sizeof (x1));
          memcpy (&x2, q + 16, sizeof (x2));
          memcpy (&x3, q + 24, sizeof (x3));
          a0 += wk[kw] * x0;
          a1 += wk[kw] * x1;
          a2 += wk[kw] * x2;
          a3 += wk[kw] * x3;
        }
      }
      memcpy (yrow + ob, &a0, sizeof (a0));
      memcpy (yrow + ob + 8, &a1, sizeof (a1));
      memcpy (yrow + ob + 16, &a2, sizeof (a2));
      memcpy (yrow + ob + 24, &a3, sizeof (a3));
    }
    for (; ob + 16 <= d->ow; ob += 16) {
      V8f a0 = { 0 }, a1 = { 0 };
      a0 += bias;
      a1 += bias;
      for (int64_t kh = 0; kh < d->kh; kh++) {
        const float *r = rb + kh * d->dh * wp + ob;
        const V8f *wk = wv + kh * d->kw;
        for (int64_t kw = 0; kw < d->kw; kw++) {
          const float *q = r + kw * d->dw;
          V8f x0, x1;
          memcpy (&x0, q, sizeof (x0));
          memcpy (&x1, q + 8, sizeof (x1));
          a0 += wk[kw] * x0;
          a1 += wk[kw] * x1;
        }
      }
      memcpy (yrow + ob, &a0, sizeof (a0));
      memcpy (yrow + ob + 8, &a1, sizeof (a1));
    }
    for (; ob < d->ow; ob += 8) {
      V8f acc = { 0 };
      acc += bias;
      for (int64_t kh = 0; kh < d->kh; kh++) {
        const float *r = rb + kh * d->dh * wp + ob;
        const V8f *wk = wv + kh * d->kw;
        for (int64_t kw = 0; kw < d->kw; kw++) {
          V8f xv;
          memcpy (&xv, r + kw * d->dw, sizeof (xv));
          acc += wk[kw] * xv;
        }
      }
      memcpy (yrow + ob, &acc, sizeof (float) * MIN (8, d->ow - ob));
    }
  }
}

static void
dw_channel_generic (const DwShape *d, const float *xc, float *xp,
    const float *wm, float bias, float *ym)
{
  if (xp)
    dw_s1_body (d, xc, xp, wm, bias, ym);
  else
    dw_rows_body (d, xc, wm, bias, ym);
}

#if OVI_CONV_X86
__attribute__((target ("avx2,fma")))
static void
dw_channel_avx2 (const DwShape *d, const float *xc, float *xp,
    const float *wm, float bias, float *ym)
{
  if (xp)
    dw_s1_body (d, xc, xp, wm, bias, ym);
  else
    dw_rows_body (d, xc, wm, bias, ym);
}
#endif

static void
conv_depthwise_f32 (const ConvGeom *g, const float *x, const float *w,
    const float *b, float *y)
{
  gboolean two = g->nsp == 2;
  int last = g->nsp - 1;
  DwShape d = {
    .h = two ? g->in[0] : 1, .w = g->in[last],
    .oh = two ? g->out[0] : 1, .ow = g->out[last],
    .kh = two ? g->k[0] : 1, .kw = g->k[last],
    .sh = two ? g->s[0] : 1, .sw = g->s[last],
    .dh = two ? g->d[0] : 1, .dw = g->d[last],
    .ph = two ? g->pb[0] : 0, .pw = g->pb[last],
  };
  gboolean s1 = d.sw == 1 && d.kh * d.kw <= DW_MAX_TAPS;
  int64_t pad_floats = s1 ? dw_padded_width (&d) * dw_padded_height (&d) : 0;
  int64_t total = g->n * g->m;
  int64_t work = PAR_WORK (total * g->out_size * g->k_size);
  gboolean par = ovi_parallel_worth (work);
  void (*channel) (const DwShape *d, const float *xc, float *xp,
      const float *wm, float bias, float *ym) = dw_channel_generic;

#if OVI_CONV_X86
  if (have_avx2 ())
    channel = dw_channel_avx2;
#endif
  /* Each thread a contiguous range of channels (as schedule(static)
   * splits them), with its own padded-input scratch. */
  OVI_PARALLEL_REGION (par ? work : 0, tid, nth, {
    /* Without the scratch, the row path still works. */
    float *xp = s1 ? g_try_new (float, pad_floats) : NULL;
    int64_t nm0, nm1;
    ovi_parallel_slice (total, tid, nth, &nm0, &nm1);
    for (int64_t nm = nm0; nm < nm1; nm++) {
      int64_t n = nm / g->m, m = nm % g->m;
      int64_t c = m / g->mg;
      const float *xc = x + (n * g->c + c) * g->in_size;
      const float *wm = w + m * g->k_size;
      float *ym = y + nm * g->out_size;
      float bias = b ? b[m] : 0.0f;
      channel (&d, xc, xp, wm, bias, ym);
    }
    g_free (xp);
  });
}

/* im2col scratch per task, in floats: small enough to stay in a core's
 * cache between im2col and the GEMM that reads it. */
#define CONV_COL_TARGET ((int64_t) 128 * 1024)
/* ... but with at least this many output columns per GEMM. */
#define CONV_COL_MIN_COLS 128
/* Single-task (whole output) im2col limit before chunking. */
#define CONV_COL_MAX ((int64_t) 1 << 22)

/* One task: output lines [l0, l1) of one (batch, group) pair: im2col into
 * col (or the input itself for 1x1 stride-1 convolutions, col NULL) and a
 * GEMM with the group's weights accumulating onto the bias. */
static gboolean
conv_task_f32 (const ConvGeom *g, const float *xg, const float *wg,
    gboolean has_bias, float *yg, float *col, int64_t l0, int64_t l1)
{
  int64_t kdim = g->cg * g->k_size;
  int64_t ow_n = g->out[g->nsp - 1];
  int64_t ncols = (l1 - l0) * ow_n;
  float beta = has_bias ? 1.0f : 0.0f;

  if (col == NULL)
    return sgemm (FALSE, FALSE, g->mg, ncols, g->cg, 1.0f, wg, g->cg,
        xg + l0 * ow_n, g->in_size, beta, yg + l0 * ow_n, g->out_size);
  im2col_f32 (g, xg, l0, l1, col);
  return sgemm (FALSE, FALSE, g->mg, ncols, kdim, 1.0f, wg, kdim, col, ncols,
      beta, yg + l0 * ow_n, g->out_size);
}

static gboolean
conv_f32 (OviOpCtx *ctx, const ConvGeom *g, GError **error)
{
  const float *x = ctx->inputs[0]->data, *w = ctx->inputs[1]->data;
  const OviTensor *bt = ovi_op_input (ctx, 2);
  const float *b = bt ? bt->data : NULL;
  float *y = ctx->outputs[0]->data;
  gboolean pointwise = TRUE;
  int64_t kdim = g->cg * g->k_size, ow_n, lines, n_pairs, chunk, n_chunks;
  int64_t n_tasks, col_floats, next = 0;
  int nt;
  gboolean ok = TRUE, par;
  float *cols = NULL;

  if (g->out_size == 0 || g->n == 0 || g->m == 0)
    return TRUE;
  if (g->cg == 1 && g->group > 1 && g->nsp <= 2) {
    conv_depthwise_f32 (g, x, w, b, y);
    return TRUE;
  }
  for (int i = 0; i < g->nsp; i++)
    if (g->k[i] != 1 || g->s[i] != 1 || g->pb[i] != 0 || g->in[i] != g->out[i])
      pointwise = FALSE;

  /* Bias first; the GEMMs then accumulate onto it. */
  if (b) {
    OVI_PARALLEL_FOR (PAR_WORK (g->n * g->m * g->out_size),
        for (int64_t nm = 0; nm < g->n * g->m; nm++), {
      float *ym = y + nm * g->out_size;
      float bv = b[nm % g->m];
      for (int64_t i = 0; i < g->out_size; i++)
        ym[i] = bv;
    });
  }
  /* The threads the tasks below would run on (1: the single-task path
   * below, which does not need it). */
  nt = ovi_parallel_threads (PAR_WORK (g->n * g->m * g->out_size * kdim));

  ow_n = g->out[g->nsp - 1];
  lines = g->out_size / ow_n;
  n_pairs = g->n * g->group;
  /* Tasks of whole output lines, each sized so that its im2col stays in
   * cache; a task's GEMM then runs on one thread. 1x1 convolutions have
   * no im2col and prefer one GEMM per (batch, group) pair. */
  if (pointwise) {
    chunk = lines;
  } else {
    chunk = MAX (1, CONV_COL_TARGET / MAX (kdim * ow_n, 1));
    chunk = MAX (chunk, (CONV_COL_MIN_COLS + ow_n - 1) / ow_n);
    chunk = MIN (chunk, lines);
    /* Balance: a multiple of the thread count when there are few. */
    n_chunks = (lines + chunk - 1) / chunk;
    if (n_pairs < nt && nt > 1) {
      n_chunks = (n_chunks + nt - 1) / nt * nt;
      chunk = (lines + n_chunks - 1) / n_chunks;
    }
  }
  n_chunks = (lines + chunk - 1) / chunk;
  n_tasks = n_pairs * n_chunks;

  if (nt > 1 && n_tasks >= 2 * nt
      && par_ok (g->n * g->m * g->out_size * kdim)) {
    col_floats = pointwise ? 0 : kdim * chunk * ow_n;
    if (!pointwise) {
      cols = ovi_aligned_alloc (sizeof (float) * col_floats * nt);
      if (cols == NULL)
        return out_of_memory (ctx, error);
    }
    /* Tasks go to the threads one at a time, as they become free (as
     * schedule(dynamic) does); thread t uses scratch slice t. */
    par = ovi_parallel_worth (PAR_WORK (g->n * g->m * g->out_size * kdim));
    OVI_PARALLEL_REGION (par ? PAR_WORK (g->n * g->m * g->out_size * kdim)
        : 0, tid, nth, {
      float *col = cols ? cols + col_floats * tid : NULL;
      while (tid < nt) {
        int64_t t = __atomic_fetch_add (&next, 1, __ATOMIC_RELAXED);
        int64_t p = t / n_chunks, l0 = t % n_chunks * chunk;
        int64_t n = p / g->group, grp = p % g->group;
        if (t >= n_tasks)
          break;
        if (!conv_task_f32 (g, x + (n * g->c + grp * g->cg) * g->in_size,
                w + grp * g->mg * kdim, b != NULL,
                y + (n * g->m + grp * g->mg) * g->out_size, col, l0,
                MIN (lines, l0 + chunk)))
          g_atomic_int_set (&ok, FALSE);
      }
    });
  } else {
    /* Few tasks: big chunks, threads inside im2col and the GEMM. */
    chunk = MAX (1, CONV_COL_MAX / MAX (kdim * ow_n, 1));
    chunk = MIN (chunk, lines);
    if (!pointwise) {
      cols = ovi_aligned_alloc (sizeof (float) * kdim * chunk * ow_n);
      if (cols == NULL)
        return out_of_memory (ctx, error);
    }
    for (int64_t p = 0; p < n_pairs && ok; p++) {
      int64_t n = p / g->group, grp = p % g->group;
      for (int64_t l0 = 0; l0 < lines && ok; l0 += chunk)
        ok = conv_task_f32 (g, x + (n * g->c + grp * g->cg) * g->in_size,
            w + grp * g->mg * kdim, b != NULL,
            y + (n * g->m + grp * g->mg) * g->out_size, cols, l0,
            MIN (lines, l0 + chunk));
    }
  }
  ovi_aligned_free (cols);
  if (!ok)
    return out_of_memory (ctx, error);
  return TRUE;
}

/* Direct convolution in double for the other float types. */
static void
conv_generic (const ConvGeom *g, const double *x, const double *w,
    const double *b, double *y)
{
  int nsp = g->nsp;
  int64_t total = g->n * g->m;

  OVI_PARALLEL_FOR (PAR_WORK (total * g->out_size * g->cg * g->k_size),
      for (int64_t nm = 0; nm < total; nm++), {
    int64_t n = nm / g->m, m = nm % g->m, grp = m / g->mg;
    const double *wm = w + m * g->cg * g->k_size;
    double *ym = y + nm * g->out_size;
    for (int64_t op = 0; op < g->out_size; op++) {
      int64_t oc[OVI_MAX_RANK], rem = op;
      double acc = b ? b[m] : 0.0;
      for (int i = nsp - 1; i >= 0; i--) {
        oc[i] = rem % g->out[i];
        rem /= g->out[i];
      }
      for (int64_t kp = 0; kp < g->k_size; kp++) {
        int64_t krem = kp, off = 0;
        gboolean inside = TRUE;
        for (int i = nsp - 1; i >= 0; i--) {
          int64_t kc = krem % g->k[i];
          int64_t pos = oc[i] * g->s[i] + kc * g->d[i] - g->pb[i];
          krem /= g->k[i];
          if (pos < 0 || pos >= g->in[i]) {
            inside = FALSE;
            break;
          }
          off += pos * g->in_stride[i];
        }
        if (!inside)
          continue;
        for (int64_t cg = 0; cg < g->cg; cg++) {
          const double *xc = x + (n * g->c + grp * g->cg + cg) * g->in_size;
          acc += xc[off] * wm[cg * g->k_size + kp];
        }
      }
      ym[op] = acc;
    }
  });
}

static gboolean
run_conv (OviOpCtx *ctx, GError **error)
{
  ConvGeom g;
  OviTensor *bt = ovi_op_input (ctx, 2);
  double *x, *w, *b = NULL, *y;
  gboolean ok;

  conv_geom (ctx, FALSE, &g);
  if (ctx->inputs[0]->dtype == OVI_DTYPE_FLOAT32)
    return conv_f32 (ctx, &g, error);

  x = load_f64 (ctx->inputs[0]);
  w = load_f64 (ctx->inputs[1]);
  if (bt)
    b = load_f64 (bt);
  y = g_try_new (double, MAX (ovi_tensor_numel (ctx->outputs[0]), 1));
  ok = x && w && y && (bt == NULL || b);
  if (ok) {
    conv_generic (&g, x, w, b, y);
    store_f64 (ctx->outputs[0], y);
  }
  g_free (x);
  g_free (w);
  g_free (b);
  g_free (y);
  return ok ? TRUE : out_of_memory (ctx, error);
}

/* ConvTranspose: col (Mg * K x input positions) = Wg^T Xg, then col2im
 * scatter-adds into the output (already holding the bias). Done in
 * chunks of input lines [l0, l1) to bound the scratch. */
static void
col2im_f32 (const ConvGeom *g, const float *col, int64_t l0, int64_t l1,
    float *yg)
{
  int nsp = g->nsp;
  int64_t iw_n = g->in[nsp - 1], ow_n = g->out[nsp - 1];
  int64_t sw = g->s[nsp - 1];
  int64_t ncols = (l1 - l0) * iw_n;

  /* An added element per step. */
  OVI_PARALLEL_FOR (g->mg * g->k_size * ncols,
      for (int64_t mg = 0; mg < g->mg; mg++), {
    float *ym = yg + mg * g->out_size;
    for (int64_t kp = 0; kp < g->k_size; kp++) {
      const float *src = col + (mg * g->k_size + kp) * ncols;
      int64_t kc[OVI_MAX_RANK], ic[OVI_MAX_RANK], rem = kp, off_w, lo, hi;
      for (int i = nsp - 1; i >= 0; i--) {
        kc[i] = rem % g->k[i];
        rem /= g->k[i];
      }
      off_w = kc[nsp - 1] * g->d[nsp - 1] - g->pb[nsp - 1];
      /* Input positions iw whose output iw * s + off_w is inside. */
      valid_range (iw_n, ow_n, sw, off_w, &lo, &hi);
      rem = l0;
      for (int i = nsp - 2; i >= 0; i--) {
        ic[i] = rem % g->in[i];
        rem /= g->in[i];
      }
      for (int64_t l = l0; l < l1; l++, src += iw_n) {
        int64_t base = 0;
        gboolean inside = lo < hi;
        for (int i = 0; i < nsp - 1 && inside; i++) {
          int64_t pos = ic[i] * g->s[i] + kc[i] * g->d[i] - g->pb[i];
          inside = pos >= 0 && pos < g->out[i];
          base += pos * g->out_stride[i];
        }
        for (int i = nsp - 2; i >= 0; i--) {
          if (++ic[i] < g->in[i])
            break;
          ic[i] = 0;
        }
        if (!inside)
          continue;
        for (int64_t iw = lo; iw < hi; iw++)
          ym[base + iw * sw + off_w] += src[iw];
      }
    }
  });
}

static gboolean
conv_transpose_f32 (OviOpCtx *ctx, const ConvGeom *g, GError **error)
{
  const float *x = ctx->inputs[0]->data, *w = ctx->inputs[1]->data;
  const OviTensor *bt = ovi_op_input (ctx, 2);
  const float *b = bt ? bt->data : NULL;
  float *y = ctx->outputs[0]->data;
  int64_t rows = g->mg * g->k_size;
  int64_t iw_n = g->in[g->nsp - 1], lines, chunk;
  float *col;

  OVI_PARALLEL_FOR (PAR_WORK (g->n * g->m * g->out_size),
      for (int64_t nm = 0; nm < g->n * g->m; nm++), {
    float *ym = y + nm * g->out_size;
    float bv = b ? b[nm % g->m] : 0.0f;
    for (int64_t i = 0; i < g->out_size; i++)
      ym[i] = bv;
  });
  if (g->in_size == 0 || rows == 0 || g->out_size == 0)
    return TRUE;
  lines = g->in_size / iw_n;
  chunk = MAX (1, CONV_COL_MAX / MAX (rows * iw_n, 1));
  chunk = MIN (chunk, lines);
  col = ovi_aligned_alloc (sizeof (float) * rows * chunk * iw_n);
  if (col == NULL)
    return out_of_memory (ctx, error);
  for (int64_t n = 0; n < g->n; n++) {
    for (int64_t grp = 0; grp < g->group; grp++) {
      const float *xg = x + (n * g->c + grp * g->cg) * g->in_size;
      const float *wg = w + grp * g->cg * rows;
      float *yg = y + (n * g->m + grp * g->mg) * g->out_size;
      for (int64_t l0 = 0; l0 < lines; l0 += chunk) {
        int64_t l1 = MIN (lines, l0 + chunk), ncols = (l1 - l0) * iw_n;
        if (!sgemm (TRUE, FALSE, rows, ncols, g->cg, 1.0f, wg, rows,
                xg + l0 * iw_n, g->in_size, 0.0f, col, ncols)) {
          ovi_aligned_free (col);
          return out_of_memory (ctx, error);
        }
        col2im_f32 (g, col, l0, l1, yg);
      }
    }
  }
  ovi_aligned_free (col);
  return TRUE;
}

static void
conv_transpose_generic (const ConvGeom *g, const double *x, const double *w,
    const double *b, double *y)
{
  int nsp = g->nsp;
  int64_t total = g->n * g->m;

  /* Parallel over output channels: each writes only its own plane. */
  OVI_PARALLEL_FOR (PAR_WORK (total * g->in_size * g->cg * g->k_size),
      for (int64_t nm = 0; nm < total; nm++), {
    int64_t n = nm / g->m, m = nm % g->m, grp = m / g->mg, mg = m % g->mg;
    double *ym = y + nm * g->out_size;
    for (int64_t i = 0; i < g->out_size; i++)
      ym[i] = b ? b[m] : 0.0;
    for (int64_t ip = 0; ip < g->in_size; ip++) {
      int64_t ic[OVI_MAX_RANK], rem = ip;
      for (int i = nsp - 1; i >= 0; i--) {
        ic[i] = rem % g->in[i];
        rem /= g->in[i];
      }
      for (int64_t kp = 0; kp < g->k_size; kp++) {
        int64_t krem = kp, off = 0;
        gboolean inside = TRUE;
        for (int i = nsp - 1; i >= 0; i--) {
          int64_t kc = krem % g->k[i];
          int64_t pos = ic[i] * g->s[i] + kc * g->d[i] - g->pb[i];
          krem /= g->k[i];
          if (pos < 0 || pos >= g->out[i]) {
            inside = FALSE;
            break;
          }
          off += pos * g->out_stride[i];
        }
        if (!inside)
          continue;
        for (int64_t cg = 0; cg < g->cg; cg++) {
          int64_t c = grp * g->cg + cg;
          ym[off] += x[(n * g->c + c) * g->in_size + ip]
              * w[(c * g->mg + mg) * g->k_size + kp];
        }
      }
    }
  });
}

static gboolean
run_conv_transpose (OviOpCtx *ctx, GError **error)
{
  ConvGeom g;
  OviTensor *bt = ovi_op_input (ctx, 2);
  double *x, *w, *b = NULL, *y;
  gboolean ok;

  conv_geom (ctx, TRUE, &g);
  if (ctx->inputs[0]->dtype == OVI_DTYPE_FLOAT32)
    return conv_transpose_f32 (ctx, &g, error);

  x = load_f64 (ctx->inputs[0]);
  w = load_f64 (ctx->inputs[1]);
  if (bt)
    b = load_f64 (bt);
  y = g_try_new (double, MAX (ovi_tensor_numel (ctx->outputs[0]), 1));
  ok = x && w && y && (bt == NULL || b);
  if (ok) {
    conv_transpose_generic (&g, x, w, b, y);
    store_f64 (ctx->outputs[0], y);
  }
  g_free (x);
  g_free (w);
  g_free (b);
  g_free (y);
  return ok ? TRUE : out_of_memory (ctx, error);
}

/* ------------------------------------------------------------------ */
/* Gemm                                                                 */
/* ------------------------------------------------------------------ */

static gboolean
run_gemm (OviOpCtx *ctx, GError **error)
{
  OviTensor *a = ctx->inputs[0], *b = ctx->inputs[1];
  OviTensor *c = ovi_op_input (ctx, 2), *y = ctx->outputs[0];
  gboolean ta = ovi_node_attr_int (ctx->node, "transA", 0) != 0;
  gboolean tb = ovi_node_attr_int (ctx->node, "transB", 0) != 0;
  float alpha = ovi_node_attr_float (ctx->node, "alpha", 1.0f);
  float beta = ovi_node_attr_float (ctx->node, "beta", 1.0f);
  int64_t m = y->dims[0], n = y->dims[1];
  int64_t k = ta ? a->dims[0] : a->dims[1];
  gboolean use_c = c != NULL && beta != 0.0f;
  int64_t mn = m * n;
  gboolean ok = TRUE;

  if (a->dtype == OVI_DTYPE_FLOAT32) {
    if (use_c)
      ovi_broadcast_copy (c, y);
    if (!sgemm (ta, tb, m, n, k, alpha, a->data, a->dims[1], b->data,
            b->dims[1], use_c ? beta : 0.0f, y->data, n))
      return out_of_memory (ctx, error);
    return TRUE;
  }

  /* Other types: transpose into plain layouts, multiply, then combine. */
  {
    OviTensor *cb = NULL;
    gboolean is_int = !ovi_dtype_is_float (a->dtype);
    int64_t ka = a->dims[1], kb = b->dims[1];
    if (use_c) {
      cb = ovi_tensor_new (c->dtype, 2, y->dims);
      if (cb == NULL)
        return out_of_memory (ctx, error);
      ovi_broadcast_copy (c, cb);
    }
    if (!is_int) {
      double *av = load_f64 (a), *bv = load_f64 (b);
      double *at = g_try_new (double, MAX (m * k, 1));
      double *bt = g_try_new (double, MAX (k * n, 1));
      double *yv = g_try_new (double, MAX (mn, 1));
      double *cv = cb ? load_f64 (cb) : NULL;
      ok = av && bv && at && bt && yv && (cb == NULL || cv);
      if (ok) {
        for (int64_t i = 0; i < m; i++)
          for (int64_t kk = 0; kk < k; kk++)
            at[i * k + kk] = ta ? av[kk * ka + i] : av[i * ka + kk];
        for (int64_t kk = 0; kk < k; kk++)
          for (int64_t j = 0; j < n; j++)
            bt[kk * n + j] = tb ? bv[j * kb + kk] : bv[kk * kb + j];
        gemm_f64 (m, n, k, at, bt, yv);
        for (int64_t i = 0; i < mn; i++)
          yv[i] = alpha * yv[i] + (cv ? beta * cv[i] : 0.0);
        store_f64 (y, yv);
      }
      g_free (av);
      g_free (bv);
      g_free (at);
      g_free (bt);
      g_free (yv);
      g_free (cv);
    } else {
      guint64 *av = load_u64 (a), *bv = load_u64 (b);
      guint64 *at = g_try_new (guint64, MAX (m * k, 1));
      guint64 *bt = g_try_new (guint64, MAX (k * n, 1));
      guint64 *yv = g_try_new (guint64, MAX (mn, 1));
      guint64 *cv = cb ? load_u64 (cb) : NULL;
      ok = av && bv && at && bt && yv && (cb == NULL || cv);
      if (ok) {
        gboolean exact = alpha == 1.0f && (cv == NULL || beta == 1.0f);
        for (int64_t i = 0; i < m; i++)
          for (int64_t kk = 0; kk < k; kk++)
            at[i * k + kk] = ta ? av[kk * ka + i] : av[i * ka + kk];
        for (int64_t kk = 0; kk < k; kk++)
          for (int64_t j = 0; j < n; j++)
            bt[kk * n + j] = tb ? bv[j * kb + kk] : bv[kk * kb + j];
        gemm_u64 (m, n, k, at, bt, yv);
        for (int64_t i = 0; i < mn; i++) {
          if (exact)
            yv[i] += cv ? cv[i] : 0;
          else
            yv[i] = (guint64) (int64_t) (alpha * (double) (int64_t) yv[i]
                + (cv ? beta * (double) (int64_t) cv[i] : 0.0));
        }
        store_u64 (y, yv);
      }
      g_free (av);
      g_free (bv);
      g_free (at);
      g_free (bt);
      g_free (yv);
      g_free (cv);
    }
    ovi_tensor_free (cb);
  }
  return ok ? TRUE : out_of_memory (ctx, error);
}

/* ------------------------------------------------------------------ */
/* MatMul                                                               */
/* ------------------------------------------------------------------ */

typedef struct {
  int64_t m, n, k;
  int64_t batch;                     /* output batch count */
  int batch_rank;
  int64_t bdims[OVI_MAX_RANK];
  int64_t a_bstride[OVI_MAX_RANK];   /* per output batch axis, 0 if bcast */
  int64_t b_bstride[OVI_MAX_RANK];
  gboolean b_shared;                 /* every batch uses the same B */
} MatMulGeom;

static void
matmul_geom (const OviTensor *a, const OviTensor *b, MatMulGeom *g)
{
  int ar = a->rank, br = b->rank;
  int a_batch = MAX (ar - 2, 0), b_batch = MAX (br - 2, 0);
  int64_t sa, sb;

  memset (g, 0, sizeof (*g));
  g->m = ar == 1 ? 1 : a->dims[ar - 2];
  g->k = a->dims[ar - 1];
  g->n = br == 1 ? 1 : b->dims[br - 1];
  g->batch_rank = MAX (a_batch, b_batch);
  g->batch = 1;
  sa = g->m * g->k;
  sb = g->k * g->n;
  g->b_shared = TRUE;
  for (int i = g->batch_rank - 1; i >= 0; i--) {
    int ia = i - (g->batch_rank - a_batch);
    int ib = i - (g->batch_rank - b_batch);
    int64_t da = ia >= 0 ? a->dims[ia] : 1;
    int64_t db = ib >= 0 ? b->dims[ib] : 1;
    g->bdims[i] = MAX (da, db);
    if (da == 0 || db == 0)
      g->bdims[i] = 0;
    g->a_bstride[i] = da == 1 ? 0 : sa;
    g->b_bstride[i] = db == 1 ? 0 : sb;
    if (db != 1)
      g->b_shared = FALSE;
    sa *= da;
    sb *= db;
    g->batch *= g->bdims[i];
  }
}

static void
matmul_offsets (const MatMulGeom *g, int64_t bi, int64_t *ao, int64_t *bo)
{
  int64_t oa = 0, ob = 0;
  for (int i = g->batch_rank - 1; i >= 0; i--) {
    int64_t c = bi % g->bdims[i];
    bi /= g->bdims[i];
    oa += c * g->a_bstride[i];
    ob += c * g->b_bstride[i];
  }
  *ao = oa;
  *bo = ob;
}

static gboolean
run_matmul (OviOpCtx *ctx, GError **error)
{
  OviTensor *a = ctx->inputs[0], *b = ctx->inputs[1], *y = ctx->outputs[0];
  MatMulGeom g;
  int64_t mn;
  gboolean ok = TRUE;

  matmul_geom (a, b, &g);
  mn = g.m * g.n;
  if (g.batch == 0 || mn == 0)
    return TRUE;

  if (a->dtype == OVI_DTYPE_FLOAT32) {
    const float *av = a->data, *bv = b->data;
    float *yv = y->data;
    gboolean a_full = TRUE;
    for (int i = 0; i < g.batch_rank; i++)
      if (g.a_bstride[i] == 0 && g.bdims[i] != 1)
        a_full = FALSE;
    if (g.b_shared && a_full) {
      /* One B: stack A's batches into the rows of a single GEMM. */
      ok = sgemm (FALSE, FALSE, g.batch * g.m, g.n, g.k, 1.0f, av, g.k, bv,
          g.n, 0.0f, yv, g.n);
    } else if (g.batch > 1 && !par_ok (mn * g.k) && par_ok (g.batch * mn
            * g.k)) {
      /* Many small products: one per thread. */
      OVI_PARALLEL_FOR (PAR_WORK (g.batch * mn * g.k),
          for (int64_t bi = 0; bi < g.batch; bi++), {
        int64_t ao, bo;
        matmul_offsets (&g, bi, &ao, &bo);
        if (!sgemm (FALSE, FALSE, g.m, g.n, g.k, 1.0f, av + ao, g.k,
                bv + bo, g.n, 0.0f, yv + bi * mn, g.n))
          g_atomic_int_set (&ok, FALSE);
      });
    } else {
      for (int64_t bi = 0; bi < g.batch && ok; bi++) {
        int64_t ao, bo;
        matmul_offsets (&g, bi, &ao, &bo);
        ok = sgemm (FALSE, FALSE, g.m, g.n, g.k, 1.0f, av + ao, g.k, bv + bo,
            g.n, 0.0f, yv + bi * mn, g.n);
      }
    }
    return ok ? TRUE : out_of_memory (ctx, error);
  }

  if (ovi_dtype_is_float (a->dtype)) {
    double *av = load_f64 (a), *bv = load_f64 (b);
    double *yv = g_try_new (double, MAX (g.batch * mn, 1));
    ok = av && bv && yv;
    for (int64_t bi = 0; ok && bi < g.batch; bi++) {
      int64_t ao, bo;
      matmul_offsets (&g, bi, &ao, &bo);
      gemm_f64 (g.m, g.n, g.k, av + ao, bv + bo, yv + bi * mn);
    }
    if (ok)
      store_f64 (y, yv);
    g_free (av);
    g_free (bv);
    g_free (yv);
  } else {
    guint64 *av = load_u64 (a), *bv = load_u64 (b);
    guint64 *yv = g_try_new (guint64, MAX (g.batch * mn, 1));
    ok = av && bv && yv;
    for (int64_t bi = 0; ok && bi < g.batch; bi++) {
      int64_t ao, bo;
      matmul_offsets (&g, bi, &ao, &bo);
      gemm_u64 (g.m, g.n, g.k, av + ao, bv + bo, yv + bi * mn);
    }
    if (ok)
      store_u64 (y, yv);
    g_free (av);
    g_free (bv);
    g_free (yv);
  }
  return ok ? TRUE : out_of_memory (ctx, error);
}

/* ------------------------------------------------------------------ */
/* Einsum                                                               */
/* ------------------------------------------------------------------ */

/* Labels: 0..51 for letters (upper case first, as ASCII sorts them),
 * 52.. for the broadcast axes "..." stands for. */
#define EIN_LETTERS 52
#define EIN_MAX_LABELS (EIN_LETTERS + OVI_MAX_RANK)

typedef struct {
  int n_ops;
  int n_labels;                      /* used labels, output ones first */
  int label[EIN_MAX_LABELS];         /* label id of each loop axis */
  int64_t size[EIN_MAX_LABELS];      /* per loop axis */
  int n_out;                         /* loop axes that are output axes */
  int64_t *stride;                   /* n_ops x n_labels, element strides */
  guint8 *count;                     /* n_ops x n_labels, occurrences */
} EinPlan;

static int
ein_letter (char c)
{
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  return -1;
}

/* Parses the equation (validated by infer) against the inputs. */
static gboolean
ein_plan (OviOpCtx *ctx, EinPlan *p)
{
  const char *eq = ovi_node_attr_string (ctx->node, "equation", "");
  char *s = g_malloc (strlen (eq) + 1), *q = s, *arrow, *term;
  int n_ops = ctx->n_inputs;
  int *op_labels = g_new0 (int, n_ops * OVI_MAX_RANK);
  int64_t lsize[EIN_MAX_LABELS];
  int lcount[EIN_MAX_LABELS], pos_of[EIN_MAX_LABELS];
  int ell_rank = 0, t = 0;
  gboolean ok = TRUE;

  for (const char *c = eq; *c; c++)
    if (*c != ' ' && *c != '\t')
      *q++ = *c;
  *q = '\0';
  for (int i = 0; i < EIN_MAX_LABELS; i++) {
    lsize[i] = 1;
    lcount[i] = 0;
    pos_of[i] = -1;
  }
  arrow = strstr (s, "->");
  if (arrow)
    *arrow = '\0';

  /* The ellipsis rank is the largest any input gives it. */
  term = s;
  for (t = 0; t < n_ops; t++) {
    int n_letters = 0;
    for (char *c = term; *c && *c != ','; c++)
      n_letters += ein_letter (*c) >= 0;
    ell_rank = MAX (ell_rank, ctx->inputs[t]->rank - n_letters);
    term = strchr (term, ',');
    if (term == NULL)
      break;
    term++;
  }

  term = s;
  for (t = 0; t < n_ops && term; t++) {
    const OviTensor *x = ctx->inputs[t];
    int n_letters = 0, d = 0, ne;
    for (char *c = term; *c && *c != ','; c++)
      n_letters += ein_letter (*c) >= 0;
    ne = x->rank - n_letters;
    for (char *c = term; *c && *c != ',' && d < x->rank; c++) {
      int l = ein_letter (*c);
      if (l < 0) {
        for (int e = 0; e < ne; e++, d++) {
          int id = EIN_LETTERS + ell_rank - ne + e;
          op_labels[t * OVI_MAX_RANK + d] = id;
          if (x->dims[d] != 1)
            lsize[id] = x->dims[d];
          lcount[id]++;
        }
        c += 2;
        continue;
      }
      op_labels[t * OVI_MAX_RANK + d] = l;
      lsize[l] = x->dims[d];
      lcount[l]++;
      d++;
    }
    term = strchr (term, ',');
    if (term)
      term++;
  }

  /* Output axes. */
  p->n_ops = n_ops;
  p->n_labels = 0;
  if (arrow) {
    for (char *c = arrow + 2; *c; c++) {
      int l = ein_letter (*c);
      if (l < 0) {
        for (int e = 0; e < ell_rank; e++)
          p->label[p->n_labels++] = EIN_LETTERS + e;
        c += 2;
        continue;
      }
      p->label[p->n_labels++] = l;
    }
  } else {
    for (int e = 0; e < ell_rank; e++)
      p->label[p->n_labels++] = EIN_LETTERS + e;
    for (int l = 0; l < EIN_LETTERS; l++)
      if (lcount[l] == 1)
        p->label[p->n_labels++] = l;
  }
  p->n_out = p->n_labels;
  for (int i = 0; i < p->n_labels; i++)
    pos_of[p->label[i]] = i;
  /* Summed axes: every other label in use. */
  for (int l = 0; l < EIN_MAX_LABELS; l++) {
    if (lcount[l] > 0 && pos_of[l] < 0) {
      pos_of[l] = p->n_labels;
      p->label[p->n_labels++] = l;
    }
  }
  for (int i = 0; i < p->n_labels; i++)
    p->size[i] = lsize[p->label[i]];

  p->stride = g_new0 (int64_t, MAX (n_ops * p->n_labels, 1));
  p->count = g_new0 (guint8, MAX (n_ops * p->n_labels, 1));
  for (t = 0; t < n_ops; t++) {
    const OviTensor *x = ctx->inputs[t];
    int64_t st = 1;
    for (int d = x->rank - 1; d >= 0; d--) {
      int pos = pos_of[op_labels[t * OVI_MAX_RANK + d]];
      /* Broadcast axes of size 1 do not move; repeated labels add up
       * (diagonals). */
      if (pos >= 0 && !(x->dims[d] == 1 && p->size[pos] != 1))
        p->stride[t * p->n_labels + pos] += st;
      if (pos >= 0)
        p->count[t * p->n_labels + pos]++;
      st *= x->dims[d];
    }
  }
  g_free (op_labels);
  g_free (s);
  return ok;
}

/* Walks every loop axis with an odometer: outer over the output axes
 * (row-major, matching the output layout), inner over summed axes. */
#define EIN_LOOP(TYPE, ZERO, ONE, vals, out)                               \
  G_STMT_START {                                                            \
    int nl = p->n_labels, no = p->n_out, nop = p->n_ops;                    \
    int64_t n_out_el = 1, n_sum = 1;                                        \
    int64_t oidx[EIN_MAX_LABELS], off[64];                                  \
    for (int i = 0; i < no; i++)                                            \
      n_out_el *= p->size[i];                                               \
    for (int i = no; i < nl; i++)                                           \
      n_sum *= p->size[i];                                                  \
    memset (oidx, 0, sizeof (oidx));                                        \
    memset (off, 0, sizeof (off));                                          \
    for (int64_t e = 0; e < n_out_el; e++) {                                \
      TYPE acc = ZERO;                                                      \
      int64_t sidx[EIN_MAX_LABELS], soff[64];                               \
      memset (sidx, 0, sizeof (sidx));                                      \
      memcpy (soff, off, sizeof (int64_t) * nop);                           \
      for (int64_t r = 0; r < n_sum; r++) {                                 \
        TYPE prod = ONE;                                                    \
        for (int t = 0; t < nop; t++)                                       \
          prod *= vals[t][soff[t]];                                         \
        acc += prod;                                                        \
        for (int i = nl - 1; i >= no; i--) {                                \
          for (int t = 0; t < nop; t++)                                     \
            soff[t] += p->stride[t * nl + i];                               \
          if (++sidx[i] < p->size[i])                                       \
            break;                                                          \
          for (int t = 0; t < nop; t++)                                     \
            soff[t] -= p->stride[t * nl + i] * p->size[i];                  \
          sidx[i] = 0;                                                      \
        }                                                                   \
      }                                                                     \
      out[e] = acc;                                                         \
      for (int i = no - 1; i >= 0; i--) {                                   \
        for (int t = 0; t < nop; t++)                                       \
          off[t] += p->stride[t * nl + i];                                  \
        if (++oidx[i] < p->size[i])                                         \
          break;                                                            \
        for (int t = 0; t < nop; t++)                                       \
          off[t] -= p->stride[t * nl + i] * p->size[i];                     \
        oidx[i] = 0;                                                        \
      }                                                                     \
    }                                                                       \
  } G_STMT_END

static void
einsum_f64 (const EinPlan *p, double **vals, double *out)
{
  EIN_LOOP (double, 0.0, 1.0, vals, out);
}

static void
einsum_u64 (const EinPlan *p, guint64 **vals, guint64 *out)
{
  EIN_LOOP (guint64, 0, 1, vals, out);
}

/* Copies the strided view of src over loop axes axes[0..n) (row-major,
 * last fastest) into dense dst, or (scatter) dense src into the strided
 * view of dst. */
static void
ein_copy (const EinPlan *p, const int *axes, int n, const int64_t *stride,
    const float *src, float *dst, gboolean scatter)
{
  int64_t idx[EIN_MAX_LABELS], total = 1, off = 0;
  for (int i = 0; i < n; i++) {
    total *= p->size[axes[i]];
    idx[i] = 0;
  }
  for (int64_t e = 0; e < total; e++) {
    if (scatter)
      dst[off] = src[e];
    else
      dst[e] = src[off];
    for (int i = n - 1; i >= 0; i--) {
      off += stride[axes[i]];
      if (++idx[i] < p->size[axes[i]])
        break;
      off -= stride[axes[i]] * p->size[axes[i]];
      idx[i] = 0;
    }
  }
}

/* float32 with two operands and no diagonal or one-sided sum: a batched
 * GEMM. Labels split into batch (both inputs and the output), m (A and
 * output), n (B and output) and k (both inputs, summed). FALSE with
 * *handled unset when the equation does not fit; FALSE with *handled set
 * when memory ran out. */
static gboolean
einsum_f32_gemm (OviOpCtx *ctx, const EinPlan *p, gboolean *handled)
{
  int nl = p->n_labels;
  int bx[EIN_MAX_LABELS], mx[EIN_MAX_LABELS], nx[EIN_MAX_LABELS];
  int kx[EIN_MAX_LABELS], ax[EIN_MAX_LABELS], bxs[EIN_MAX_LABELS];
  int yx[EIN_MAX_LABELS];
  int nb = 0, nm = 0, nn = 0, nk = 0;
  int64_t bsz = 1, msz = 1, nsz = 1, ksz = 1, ostride[EIN_MAX_LABELS];
  float *a = NULL, *b = NULL, *y = NULL;
  gboolean ok = FALSE;

  *handled = FALSE;
  if (p->n_ops != 2 || ctx->inputs[0]->dtype != OVI_DTYPE_FLOAT32)
    return FALSE;
  for (int i = 0; i < nl; i++) {
    int ca = p->count[i], cb = p->count[nl + i];
    gboolean out = i < p->n_out;
    if (ca > 1 || cb > 1)
      return FALSE;
    if (ca && cb && out)
      bx[nb++] = i;
    else if (ca && !cb && out)
      mx[nm++] = i;
    else if (!ca && cb && out)
      nx[nn++] = i;
    else if (ca && cb && !out)
      kx[nk++] = i;
    else
      return FALSE;
  }
  for (int i = 0; i < nb; i++)
    bsz *= p->size[bx[i]];
  for (int i = 0; i < nm; i++)
    msz *= p->size[mx[i]];
  for (int i = 0; i < nn; i++)
    nsz *= p->size[nx[i]];
  for (int i = 0; i < nk; i++)
    ksz *= p->size[kx[i]];
  /* Output strides per loop axis, from the output's row-major layout. */
  {
    int64_t st = 1;
    for (int i = p->n_out - 1; i >= 0; i--) {
      ostride[i] = st;
      st *= p->size[i];
    }
  }

  *handled = TRUE;
  a = g_try_new (float, MAX (bsz * msz * ksz, 1));
  b = g_try_new (float, MAX (bsz * ksz * nsz, 1));
  y = g_try_new (float, MAX (bsz * msz * nsz, 1));
  if (a == NULL || b == NULL || y == NULL)
    goto out;
  /* A as [batch, m, k], B as [batch, k, n], Y as [batch, m, n]. */
  memcpy (ax, bx, sizeof (int) * nb);
  memcpy (ax + nb, mx, sizeof (int) * nm);
  memcpy (ax + nb + nm, kx, sizeof (int) * nk);
  ein_copy (p, ax, nb + nm + nk, p->stride, ctx->inputs[0]->data, a, FALSE);
  memcpy (bxs, bx, sizeof (int) * nb);
  memcpy (bxs + nb, kx, sizeof (int) * nk);
  memcpy (bxs + nb + nk, nx, sizeof (int) * nn);
  ein_copy (p, bxs, nb + nk + nn, p->stride + nl, ctx->inputs[1]->data, b,
      FALSE);
  ok = TRUE;
  for (int64_t i = 0; i < bsz && ok; i++)
    ok = sgemm (FALSE, FALSE, msz, nsz, ksz, 1.0f, a + i * msz * ksz, ksz,
        b + i * ksz * nsz, nsz, 0.0f, y + i * msz * nsz, nsz);
  if (ok) {
    memcpy (yx, bx, sizeof (int) * nb);
    memcpy (yx + nb, mx, sizeof (int) * nm);
    memcpy (yx + nb + nm, nx, sizeof (int) * nn);
    ein_copy (p, yx, nb + nm + nn, ostride, y, ctx->outputs[0]->data, TRUE);
  }
out:
  g_free (a);
  g_free (b);
  g_free (y);
  return ok;
}

static gboolean
run_einsum (OviOpCtx *ctx, GError **error)
{
  OviTensor *y = ctx->outputs[0];
  gboolean is_int = !ovi_dtype_is_float (y->dtype);
  int n_ops = ctx->n_inputs;
  int64_t n_out = ovi_tensor_numel (y);
  gpointer *vals;
  gpointer out;
  gboolean ok = TRUE;
  EinPlan p;

  if (n_ops > 64) {
    ovi_op_error (ctx, error, OVI_ERROR_UNSUPPORTED, "more than 64 operands");
    return FALSE;
  }
  ein_plan (ctx, &p);
  {
    gboolean handled, done = einsum_f32_gemm (ctx, &p, &handled);
    if (handled) {
      g_free (p.stride);
      g_free (p.count);
      return done ? TRUE : out_of_memory (ctx, error);
    }
  }
  vals = g_new0 (gpointer, n_ops);
  for (int t = 0; t < n_ops; t++) {
    vals[t] = is_int ? (gpointer) load_u64 (ctx->inputs[t])
        : (gpointer) load_f64 (ctx->inputs[t]);
    ok &= vals[t] != NULL;
  }
  out = is_int ? (gpointer) g_try_new (guint64, MAX (n_out, 1))
      : (gpointer) g_try_new (double, MAX (n_out, 1));
  ok &= out != NULL;
  if (ok) {
    if (is_int) {
      einsum_u64 (&p, (guint64 **) vals, out);
      store_u64 (y, out);
    } else {
      einsum_f64 (&p, (double **) vals, out);
      store_f64 (y, out);
    }
  }
  for (int t = 0; t < n_ops; t++)
    g_free (vals[t]);
  g_free (vals);
  g_free (out);
  g_free (p.stride);
  g_free (p.count);
  return ok ? TRUE : out_of_memory (ctx, error);
}

const OviCpuKernel ovi_cpu_conv[] = {
  { "Conv", run_conv },
  { "ConvTranspose", run_conv_transpose },
  { "Gemm", run_gemm },
  { "MatMul", run_matmul },
  { "Einsum", run_einsum },
  { NULL }
};
