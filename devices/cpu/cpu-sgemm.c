/* The float32 GEMM engine (see cpu-sgemm.h).
 *
 * C is computed in blocks: NC columns x KC depth of op(B) packed into
 * NR-column panels, MC rows x KC of op(A) into MR-row panels, and an
 * MR x NR micro-kernel over each pair of panels. Threads split C by
 * columns (or by rows when it has few columns), each packing into its own
 * slice of the caller's scratch. */
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define OVI_SGEMM_X86 1
#else
#define OVI_SGEMM_X86 0
#endif

#include "cpu-sgemm.h"

#define SG_MR 6
#define SG_NR 16
#define SG_KC 256
#define SG_MC 144
#define SG_NC 3072
/* Columns of an epilogue call: the MC x SG_EPI_NC tile it finishes was
 * just written and is still in the core's cache. */
#define SG_EPI_NC 256

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

/* The operands as the packing routines read them. */
typedef struct {
  gboolean ta, tb;
  const float *a, *b;
  int64_t lda, ldb;
} SgArgs;

gboolean
ovi_sgemm_have_avx2 (void)
{
#if OVI_SGEMM_X86
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

gboolean
ovi_cpu_have_avx512 (void)
{
#if OVI_SGEMM_X86
  static gsize once = 0;
  if (g_once_init_enter (&once)) {
    const char *isa = g_getenv ("OVI_CPU_ISA");
    gsize v;
    __builtin_cpu_init ();
    v = ovi_sgemm_have_avx2 () && __builtin_cpu_supports ("avx512f")
        && __builtin_cpu_supports ("avx512vl")
        && __builtin_cpu_supports ("avx512dq")
        && __builtin_cpu_supports ("avx512bw")
        && g_strcmp0 (isa, "avx2") != 0 ? 2 : 1;
    g_once_init_leave (&once, v);
  }
  return once == 2;
#else
  return FALSE;
#endif
}

const char *
ovi_cpu_isa (void)
{
  if (ovi_cpu_have_avx512 ())
    return "avx512";
  return ovi_sgemm_have_avx2 () ? "avx2" : "generic";
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

/* The same into C stored transposed (OviSgemm.tc): tile element (i, j)
 * at c[j * ldc + i]. */
static void
sg_store_tile_t (const float *acc, float *c, int64_t ldc, float alpha,
    float beta, int mr, int nr)
{
  for (int j = 0; j < nr; j++) {
    float *row = c + j * ldc;
    if (beta == 0.0f) {
      for (int i = 0; i < mr; i++)
        row[i] = alpha * acc[i * SG_NR + j];
    } else {
      for (int i = 0; i < mr; i++)
        row[i] = alpha * acc[i * SG_NR + j] + beta * row[i];
    }
  }
}

static inline __attribute__((always_inline)) void
sg_kernel_generic_body (int64_t kc, const float *a, const float *b, float *c,
    int64_t ldc, float alpha, float beta, int mr, int nr, gboolean tc)
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
  if (tc)
    sg_store_tile_t (acc, c, ldc, alpha, beta, mr, nr);
  else
    sg_store_tile (acc, c, ldc, alpha, beta, mr, nr);
}

static void
sg_kernel_generic (int64_t kc, const float *a, const float *b, float *c,
    int64_t ldc, float alpha, float beta, int mr, int nr)
{
  sg_kernel_generic_body (kc, a, b, c, ldc, alpha, beta, mr, nr, FALSE);
}

static void
sg_kernel_generic_t (int64_t kc, const float *a, const float *b, float *c,
    int64_t ldc, float alpha, float beta, int mr, int nr)
{
  sg_kernel_generic_body (kc, a, b, c, ldc, alpha, beta, mr, nr, TRUE);
}

#if OVI_SGEMM_X86
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

/* Transposed C: the tile into a buffer by the kernel's fast path, then
 * stored transposed (a separate call keeps the kernel's registers as
 * they are: inlined, gcc spilled an accumulator in the loop). */
static void
sg_kernel_avx2_t (int64_t kc, const float *a, const float *b, float *c,
    int64_t ldc, float alpha, float beta, int mr, int nr)
{
  float acc[SG_MR * SG_NR] __attribute__((aligned (32)));
  sg_kernel_avx2 (kc, a, b, acc, SG_NR, 1.0f, 0.0f, SG_MR, SG_NR);
  sg_store_tile_t (acc, c, ldc, alpha, beta, mr, nr);
}
/* AVX-512: a B panel's 16 columns are one register, so a call covers
 * up to SG_ZN columns, four consecutive panels, by the A panel's six
 * rows: 24 accumulators, and per k four loads and six broadcasts for 24
 * FMAs. NPN (1 to 4) panels, a constant where instantiated; tc stores C
 * transposed. */
#define SG_ZN (4 * SG_NR)

typedef float V16f __attribute__((vector_size (64)));

static inline __attribute__((always_inline)) void
sg_z_body (int64_t kc, const float *a, const float *b, float *c,
    int64_t ldc, float alpha, float beta, int mr, int nr, int NPN,
    gboolean tc)
{
  V16f acc[SG_MR][4];
  for (int i = 0; i < SG_MR; i++)
    for (int p = 0; p < NPN; p++)
      acc[i][p] = (V16f) { 0 };
  for (int64_t k = 0; k < kc; k++) {
    V16f bv[4];
    for (int p = 0; p < NPN; p++)
      memcpy (&bv[p], b + p * SG_NR * kc + k * SG_NR, sizeof (V16f));
    for (int i = 0; i < SG_MR; i++) {
      float av = a[k * SG_MR + i];
      for (int p = 0; p < NPN; p++)
        acc[i][p] += av * bv[p];
    }
  }
  if (!tc && mr == SG_MR && nr == NPN * SG_NR) {
    for (int i = 0; i < SG_MR; i++)
      for (int p = 0; p < NPN; p++) {
        float *dst = c + i * ldc + p * SG_NR;
        V16f v = alpha * acc[i][p];
        if (beta != 0.0f) {
          V16f old;
          memcpy (&old, dst, sizeof (old));
          v += beta * old;
        }
        memcpy (dst, &v, sizeof (v));
      }
  } else {
    float tile[SG_MR][SG_ZN];
    for (int i = 0; i < SG_MR; i++)
      for (int p = 0; p < NPN; p++)
        memcpy (&tile[i][p * SG_NR], &acc[i][p], sizeof (V16f));
    for (int i = 0; i < mr; i++)
      for (int j = 0; j < nr; j++) {
        float *dst = tc ? c + j * ldc + i : c + i * ldc + j;
        *dst = beta == 0.0f ? alpha * tile[i][j]
            : alpha * tile[i][j] + beta * *dst;
      }
  }
}

#define SG_Z_DISPATCH(TC) G_STMT_START {                                     \
    switch ((nr + SG_NR - 1) / SG_NR) {                                     \
      case 4: sg_z_body (kc, a, b, c, ldc, alpha, beta, mr, nr, 4, TC);     \
        break;                                                              \
      case 3: sg_z_body (kc, a, b, c, ldc, alpha, beta, mr, nr, 3, TC);     \
        break;                                                              \
      case 2: sg_z_body (kc, a, b, c, ldc, alpha, beta, mr, nr, 2, TC);     \
        break;                                                              \
      default: sg_z_body (kc, a, b, c, ldc, alpha, beta, mr, nr, 1, TC);    \
        break;                                                              \
    }                                                                       \
  } G_STMT_END

__attribute__((target ("avx512f,avx512vl,avx512dq,avx512bw,avx2,fma")))
static void
sg_kernel_avx512 (int64_t kc, const float *a, const float *b, float *c,
    int64_t ldc, float alpha, float beta, int mr, int nr)
{
  SG_Z_DISPATCH (FALSE);
}

__attribute__((target ("avx512f,avx512vl,avx512dq,avx512bw,avx2,fma")))
static void
sg_kernel_avx512_t (int64_t kc, const float *a, const float *b, float *c,
    int64_t ldc, float alpha, float beta, int mr, int nr)
{
  SG_Z_DISPATCH (TRUE);
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

/* One thread's share: C[m0:m1, n0:n1], m0 a multiple of SG_MR and n0 of
 * SG_NR. ap and bp are this thread's packing buffers, unused for an
 * operand that comes pre-packed. */
static void
sg_block (const OviSgemm *g, const SgArgs *args, int64_t m0, int64_t m1,
    int64_t n0, int64_t n1, float *ap, float *bp, SgKernel kernel,
    int64_t kernel_nr)
{
  int64_t m_pad = (g->m + SG_MR - 1) / SG_MR * SG_MR;
  int64_t n_pad = (g->n + SG_NR - 1) / SG_NR * SG_NR;

  for (int64_t jc = n0; jc < n1; jc += SG_NC) {
    int64_t nc = MIN (SG_NC, n1 - jc);
    for (int64_t pc = 0; pc < g->k; pc += SG_KC) {
      int64_t kc = MIN (SG_KC, g->k - pc);
      float beta = pc == 0 ? g->beta : 1.0f;
      gboolean last = pc + kc >= g->k;
      const float *bq;
      /* A pre-packed operand holds each depth block whole: panel p of
       * block pc starts at pc * padded + p * kc. */
      if (g->packed_b) {
        bq = g->packed_b + pc * n_pad + jc * kc;
      } else {
        sg_pack_b (args, pc, kc, jc, nc, bp);
        bq = bp;
      }
      for (int64_t ic = m0; ic < m1; ic += SG_MC) {
        int64_t mc = MIN (SG_MC, m1 - ic);
        const float *aq;
        if (g->packed_a) {
          aq = g->packed_a + pc * m_pad + ic * kc;
        } else {
          sg_pack_a (args, ic, mc, pc, kc, ap);
          aq = ap;
        }
        for (int64_t je = 0; je < nc; je += SG_EPI_NC) {
          int64_t ne = MIN (SG_EPI_NC, nc - je);
          for (int64_t jr = je; jr < je + ne; jr += kernel_nr) {
            int nr = (int) MIN (kernel_nr, je + ne - jr);
            for (int64_t ir = 0; ir < mc; ir += SG_MR) {
              int mr = (int) MIN (SG_MR, mc - ir);
              kernel (kc, aq + ir * kc, bq + jr * kc, g->tc
                  ? g->c + (jc + jr) * g->ldc + ic + ir
                  : g->c + (ic + ir) * g->ldc + jc + jr, g->ldc, g->alpha,
                  beta, mr, nr);
            }
          }
          /* These columns of C are final: finish them while in cache.
           * Stored transposed, the block is C^T's, with rows and columns
           * swapped. */
          if (last && g->epilogue && g->tc)
            g->epilogue (g->epilogue_data, g->c + (jc + je) * g->ldc + ic,
                g->ldc, jc + je, ic, ne, mc);
          else if (last && g->epilogue)
            g->epilogue (g->epilogue_data, g->c + ic * g->ldc + jc + je,
                g->ldc, ic, jc + je, mc, ne);
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

#if OVI_SGEMM_X86
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

/* y[j * ys] = alpha acc[j] + beta y[j * ys] for j < n; beta 0 never
 * reads y. How the vector paths store their results. */
static void
sg_store_vector (float alpha, float beta, const float *acc, float *y,
    int64_t ys, int64_t n)
{
  for (int64_t j = 0; j < n; j++)
    y[j * ys] = beta == 0.0f ? alpha * acc[j]
        : alpha * acc[j] + beta * y[j * ys];
}

/* Row-vector products against ovi_sgemm_pack_b_rows' layout: a panel of
 * SG_RV columns is k rows of SG_RV floats, read front to back. */
#define SG_RV 32

static inline __attribute__((always_inline)) void
sg_rows_panel_body (int64_t k, const float *x, const float *panel,
    float *out)
{
  /* Two sets of four accumulators, for even and odd rows: eight chains
   * cover the FMA latency. */
  V8f a0 = { 0 }, a1 = { 0 }, a2 = { 0 }, a3 = { 0 };
  V8f b0 = { 0 }, b1 = { 0 }, b2 = { 0 }, b3 = { 0 };
  int64_t kk = 0;
  for (; kk + 2 <= k; kk += 2) {
    const float *w = panel + kk * SG_RV;
    V8f x0 = { x[kk], x[kk], x[kk], x[kk], x[kk], x[kk], x[kk], x[kk] };
    V8f x1 = { x[kk + 1], x[kk + 1], x[kk + 1], x[kk + 1], x[kk + 1],
      x[kk + 1], x[kk + 1], x[kk + 1] };
    V8_MADD (a0, x0, w);
    V8_MADD (a1, x0, w + 8);
    V8_MADD (a2, x0, w + 16);
    V8_MADD (a3, x0, w + 24);
    V8_MADD (b0, x1, w + 32);
    V8_MADD (b1, x1, w + 40);
    V8_MADD (b2, x1, w + 48);
    V8_MADD (b3, x1, w + 56);
  }
  if (kk < k) {
    const float *w = panel + kk * SG_RV;
    V8f x0 = { x[kk], x[kk], x[kk], x[kk], x[kk], x[kk], x[kk], x[kk] };
    V8_MADD (a0, x0, w);
    V8_MADD (a1, x0, w + 8);
    V8_MADD (a2, x0, w + 16);
    V8_MADD (a3, x0, w + 24);
  }
  a0 += b0;
  a1 += b1;
  a2 += b2;
  a3 += b3;
  memcpy (out, &a0, sizeof (a0));
  memcpy (out + 8, &a1, sizeof (a1));
  memcpy (out + 16, &a2, sizeof (a2));
  memcpy (out + 24, &a3, sizeof (a3));
}

static void
sg_rows_panel_generic (int64_t k, const float *x, const float *panel,
    float *out)
{
  sg_rows_panel_body (k, x, panel, out);
}

#if OVI_SGEMM_X86
__attribute__((target ("avx2,fma")))
static void
sg_rows_panel_avx2 (int64_t k, const float *x, const float *panel,
    float *out)
{
  sg_rows_panel_body (k, x, panel, out);
}
#endif

#if OVI_SGEMM_X86
/* With AVX-512 a panel row is two registers: four rows at once make eight
 * independent chains, and per row two FMAs stream 128 bytes. With AVX2's
 * four per row the FMAs, not the memory, bounded the classifiers'
 * products (MobileNetV3-Large's 960 -> 1280 -> 1000 read its 10 MB at
 * 40-58 GB/s from L3; now about 70). */
__attribute__((target ("avx512f,avx512vl,avx512dq,avx512bw,avx2,fma")))
static void
sg_rows_panel_avx512 (int64_t k, const float *x, const float *panel,
    float *out)
{
  V16f acc[4][2];
  int64_t kk = 0;

  for (int r = 0; r < 4; r++)
    for (int h = 0; h < 2; h++)
      acc[r][h] = (V16f) { 0 };
  for (; kk + 4 <= k; kk += 4)
    for (int r = 0; r < 4; r++)
      for (int h = 0; h < 2; h++) {
        V16f w;
        memcpy (&w, panel + (kk + r) * SG_RV + 16 * h, sizeof (w));
        acc[r][h] += x[kk + r] * w;
      }
  for (; kk < k; kk++)
    for (int h = 0; h < 2; h++) {
      V16f w;
      memcpy (&w, panel + kk * SG_RV + 16 * h, sizeof (w));
      acc[0][h] += x[kk] * w;
    }
  for (int h = 0; h < 2; h++) {
    V16f sum = (acc[0][h] + acc[1][h]) + (acc[2][h] + acc[3][h]);
    memcpy (out + 16 * h, &sum, sizeof (sum));
  }
}
#endif

gsize
ovi_sgemm_packed_b_rows_size (int64_t k, int64_t n)
{
  return sizeof (float) * ((MAX (n, 0) + SG_RV - 1) / SG_RV * SG_RV)
      * MAX (k, 0);
}

void
ovi_sgemm_pack_b_rows (gboolean tb, int64_t k, int64_t n, const float *b,
    int64_t ldb, float *dst)
{
  for (int64_t j0 = 0; j0 < n; j0 += SG_RV)
    for (int64_t kk = 0; kk < k; kk++)
      for (int64_t j = 0; j < SG_RV; j++, dst++)
        *dst = j0 + j >= n ? 0.0f
            : tb ? b[(j0 + j) * ldb + kk] : b[kk * ldb + j0 + j];
}

/* The product of A's single row with a B packed by
 * ovi_sgemm_pack_b_rows; threads split the panels. */
static void
sg_gemv_rows_packed (const OviSgemm *g, const float *x, int threads)
{
  gboolean avx2 = ovi_sgemm_have_avx2 (), avx512 = ovi_cpu_have_avx512 ();
  int64_t n = g->n, k = g->k, panels = (n + SG_RV - 1) / SG_RV;
  int64_t work = OVI_SGEMM_WORK (n * k);

  OVI_PARALLEL_REGION (ovi_sgemm_threads (work, threads) > 1 ? work : 0,
      tid, nth, {
    int64_t p0, p1;
    ovi_parallel_slice (panels, tid, nth, &p0, &p1);
    for (int64_t p = p0; p < p1; p++) {
      int64_t j0 = p * SG_RV, nc = MIN (SG_RV, n - j0);
      float acc[SG_RV], *y = g->c + j0;
      const float *panel = g->packed_b_rows + p * SG_RV * k;
#if OVI_SGEMM_X86
      if (avx512)
        sg_rows_panel_avx512 (k, x, panel, acc);
      else if (avx2)
        sg_rows_panel_avx2 (k, x, panel, acc);
      else
#endif
        sg_rows_panel_generic (k, x, panel, acc);
      sg_store_vector (g->alpha, g->beta, acc, y, 1, nc);
      if (g->epilogue)
        g->epilogue (g->epilogue_data, y, g->ldc, 0, j0, 1, nc);
    }
  });
  (void) avx2;
  (void) avx512;
}

/* y (n values, stride ys) = alpha * op(mat) x + beta * y, where op(mat) is
 * n x k: k_major TRUE means element (j, kk) is mat[kk * ld + j], FALSE
 * mat[j * ld + kk]. */
typedef struct {
  gboolean k_major;
  int64_t n, k;
  float alpha, beta;
  const float *mat;
  int64_t ld;
  const float *x;
  float *y;
  int64_t ys;
} SgGemv;

/* Columns [j0, j0 + nc) of a product (nc <= 256). */
static void
sg_gemv_chunk (gboolean avx2, const SgGemv *v, int64_t j0, int64_t nc)
{
  float tmp[256];
  int64_t k = v->k, ld = v->ld;
  const float *x = v->x, *mat = v->mat;

  if (v->k_major) {
#if OVI_SGEMM_X86
    if (avx2)
      sg_gemv_rows_avx2 (k, nc, x, mat + j0, ld, tmp);
    else
#endif
      sg_gemv_rows_generic (k, nc, x, mat + j0, ld, tmp);
  } else {
    int64_t j = 0;
    for (; j + 4 <= nc; j += 4) {
#if OVI_SGEMM_X86
      if (avx2)
        sg_dot4_avx2 (k, x, mat + (j0 + j) * ld, ld, tmp + j);
      else
#endif
        sg_dot4_generic (k, x, mat + (j0 + j) * ld, ld, tmp + j);
    }
    for (; j < nc; j++) {
#if OVI_SGEMM_X86
      if (avx2)
        tmp[j] = sg_dot_avx2 (k, x, mat + (j0 + j) * ld);
      else
#endif
        tmp[j] = sg_dot_generic (k, x, mat + (j0 + j) * ld);
    }
  }
  sg_store_vector (v->alpha, v->beta, tmp, v->y + j0 * v->ys, v->ys, nc);
  (void) avx2;
}

/* The product of a GEMM with a single row (y_is_row) or column of C. */
static void
sg_gemv (const OviSgemm *g, const SgGemv *v, gboolean y_is_row,
    int threads)
{
  gboolean avx2 = ovi_sgemm_have_avx2 ();
  int64_t n = v->n;
  int64_t work = n >= 64 ? OVI_SGEMM_WORK (n * v->k) : 0;
  gboolean par = ovi_sgemm_threads (work, threads) > 1;

  OVI_PARALLEL_REGION (par ? work : 0, tid, nth, {
    /* Columns per chunk: up to 256, fewer to give every thread work. */
    int64_t width = par ? (n + 2 * nth - 1) / (2 * nth) : 256;
    int64_t n_chunks, c0, c1;

    width = CLAMP ((width + 15) / 16 * 16, 16, 256);
    n_chunks = (n + width - 1) / width;
    ovi_parallel_slice (n_chunks, tid, nth, &c0, &c1);
    for (int64_t c = c0; c < c1; c++) {
      int64_t j0 = c * width, nc = MIN (width, n - c * width);
      sg_gemv_chunk (avx2, v, j0, nc);
      if (g->epilogue && y_is_row)
        g->epilogue (g->epilogue_data, g->c + j0, g->ldc, 0, j0, 1, nc);
      else if (g->epilogue)
        g->epilogue (g->epilogue_data, g->c + j0 * g->ldc, g->ldc, j0, 0,
            nc, 1);
    }
  });
}

/* How a GEMM on `threads` threads splits C: nt slices of `per` columns
 * (split_n) or rows, each a thread's. */
typedef struct {
  int nt;
  gboolean split_n;
  int64_t per;
} SgSchedule;

static gboolean
sg_is_vector (int64_t m, int64_t n, int64_t k)
{
  return m <= 0 || n <= 0 || k <= 0 || m == 1 || n == 1;
}

static void
sg_schedule (int64_t m, int64_t n, int threads, SgSchedule *s)
{
  int64_t n_panels = (n + SG_NR - 1) / SG_NR;
  int64_t m_panels = (m + SG_MR - 1) / SG_MR;

  s->nt = 1;
  s->split_n = TRUE;
  if (threads > 1) {
    if (n_panels >= 2 * threads || n_panels >= m_panels) {
      s->nt = (int) MIN (threads, n_panels);
    } else {
      s->split_n = FALSE;
      s->nt = (int) MIN (threads, m_panels);
    }
  }
  if (s->split_n)
    s->per = (n_panels + s->nt - 1) / s->nt * SG_NR;
  else
    s->per = (m_panels + s->nt - 1) / s->nt * SG_MR;
}

/* Floats of one thread's packing buffers: a depth block is at most k
 * deep (a 1x1 convolution over 32 channels packs 32 rows, not SG_KC).
 * Each buffer is a whole number of 64-byte lines, since the kernels load
 * packed panels with aligned loads and the buffers sit end to end. */
static void
sg_slice_floats (const SgSchedule *s, int64_t n, int64_t k, guint flags,
    int64_t *ap_size, int64_t *bp_size)
{
  int64_t kc = MIN (SG_KC, k);
  *ap_size = flags & OVI_SGEMM_PACKED_A ? 0
      : ((int64_t) SG_MC * kc + 15) / 16 * 16;
  *bp_size = flags & OVI_SGEMM_PACKED_B ? 0
      : (kc * MIN (SG_NC, (s->split_n ? s->per : n) + SG_NR) + 15) / 16 * 16;
}

/* The most threads a GEMM of these dimensions may run on (a run decides
 * with ovi_sgemm_threads, which never gives more). */
static int
sg_max_threads (int64_t m, int64_t n, int64_t k, int threads)
{
  if (OVI_SGEMM_WORK (m * n * k) < OVI_PARALLEL_MIN_WORK)
    return 1;
  return MAX (threads, 1);
}

gsize
ovi_sgemm_scratch_size (int64_t m, int64_t n, int64_t k, int threads,
    guint flags)
{
  int64_t most = 0;

  if (m <= 0 || n <= 0 || k <= 0)
    return 0;
  /* The vector paths copy a strided vector. */
  if (m == 1 || n == 1)
    return sizeof (float) * k;
  /* A run may get any thread count up to the maximum. */
  threads = sg_max_threads (m, n, k, threads);
  for (int t = 1; t <= threads; t++) {
    SgSchedule s;
    int64_t ap_size, bp_size;
    sg_schedule (m, n, t, &s);
    sg_slice_floats (&s, n, k, flags, &ap_size, &bp_size);
    most = MAX (most, (ap_size + bp_size) * s.nt);
  }
  return sizeof (float) * most;
}

gboolean
ovi_sgemm_uses_panels (int64_t m, int64_t n, int64_t k)
{
  return !sg_is_vector (m, n, k);
}

void
ovi_sgemm_run (const OviSgemm *g, void *scratch, int threads)
{
  int64_t m = g->m, n = g->n, k = g->k;
  SgArgs args = { g->ta, g->tb, g->a, g->b, g->lda, g->ldb };
  SgKernel kernel = sg_kernel_generic;
  int64_t kernel_nr = SG_NR;   /* columns a kernel call covers */
  float *buf = scratch;
  guint flags = (g->packed_a ? OVI_SGEMM_PACKED_A : 0)
      | (g->packed_b ? OVI_SGEMM_PACKED_B : 0);
  int64_t ap_size, bp_size, work = OVI_SGEMM_WORK (m * n * k);
  SgSchedule s;

  if (m <= 0 || n <= 0)
    return;
  /* Transposed C is only implemented by the panel path. */
  g_return_if_fail (!g->tc || !sg_is_vector (m, n, k));
  if (k <= 0 || g->alpha == 0.0f) {
    for (int64_t i = 0; i < m; i++)
      for (int64_t j = 0; j < n; j++)
        g->c[i * g->ldc + j] = g->beta == 0.0f ? 0.0f
            : g->beta * g->c[i * g->ldc + j];
    if (g->epilogue)
      g->epilogue (g->epilogue_data, g->c, g->ldc, 0, 0, m, n);
    return;
  }
  if (m == 1) {
    /* Row vector times matrix: x is A's only row. */
    SgGemv v = { !g->tb, n, k, g->alpha, g->beta, g->b, g->ldb, g->a, g->c,
      1 };
    if (g->ta && g->lda != 1) {
      for (int64_t i = 0; i < k; i++)
        buf[i] = g->a[i * g->lda];
      v.x = buf;
    }
    if (g->packed_b_rows)
      sg_gemv_rows_packed (g, v.x, threads);
    else
      sg_gemv (g, &v, TRUE, threads);
    return;
  }
  if (n == 1) {
    SgGemv v = { g->ta, m, k, g->alpha, g->beta, g->a, g->lda, g->b, g->c,
      g->ldc };
    if (!g->tb && g->ldb != 1) {
      for (int64_t i = 0; i < k; i++)
        buf[i] = g->b[i * g->ldb];
      v.x = buf;
    }
    sg_gemv (g, &v, FALSE, threads);
    return;
  }

  if (g->tc)
    kernel = sg_kernel_generic_t;
#if OVI_SGEMM_X86
  if (ovi_cpu_have_avx512 ()) {
    kernel = g->tc ? sg_kernel_avx512_t : sg_kernel_avx512;
    kernel_nr = SG_ZN;
  } else if (ovi_sgemm_have_avx2 ()) {
    kernel = g->tc ? sg_kernel_avx2_t : sg_kernel_avx2;
  }
#endif

  sg_schedule (m, n, ovi_sgemm_threads (work, threads), &s);
  sg_slice_floats (&s, n, k, flags, &ap_size, &bp_size);
  /* nt slices, thread t taking slice t (the team has at least nt threads;
   * inline, one thread takes them all). */
  OVI_PARALLEL_REGION (s.nt > 1 ? work : 0, tid, nth, {
    for (int t = tid; t < s.nt; t += nth) {
      float *ap = buf + (ap_size + bp_size) * t;
      float *bp = ap + ap_size;
      if (s.split_n) {
        int64_t n0 = t * s.per, n1 = MIN (n, n0 + s.per);
        if (n0 < n1)
          sg_block (g, &args, 0, m, n0, n1, ap, bp, kernel,
              kernel_nr);
      } else {
        int64_t m0 = t * s.per, m1 = MIN (m, m0 + s.per);
        if (m0 < m1)
          sg_block (g, &args, m0, m1, 0, n, ap, bp, kernel,
              kernel_nr);
      }
    }
  });
}

void
ovi_sgemm (gboolean ta, gboolean tb, int64_t m, int64_t n, int64_t k,
    float alpha, const float *a, int64_t lda, const float *b, int64_t ldb,
    float beta, float *c, int64_t ldc, void *scratch, int threads)
{
  OviSgemm g = { .ta = ta, .tb = tb, .m = m, .n = n, .k = k,
    .alpha = alpha, .beta = beta, .a = a, .b = b, .lda = lda, .ldb = ldb,
    .c = c, .ldc = ldc };
  ovi_sgemm_run (&g, scratch, threads);
}

gsize
ovi_sgemm_packed_a_size (int64_t m, int64_t k)
{
  return sizeof (float) * ((m + SG_MR - 1) / SG_MR * SG_MR) * MAX (k, 0);
}

void
ovi_sgemm_pack_a (gboolean ta, int64_t m, int64_t k, const float *a,
    int64_t lda, float *dst)
{
  SgArgs args = { ta, FALSE, a, NULL, lda, 0 };
  int64_t m_pad = (m + SG_MR - 1) / SG_MR * SG_MR;
  for (int64_t pc = 0; pc < k; pc += SG_KC)
    sg_pack_a (&args, 0, m, pc, MIN (SG_KC, k - pc), dst + pc * m_pad);
}

gsize
ovi_sgemm_packed_b_size (int64_t k, int64_t n)
{
  return sizeof (float) * ((n + SG_NR - 1) / SG_NR * SG_NR) * MAX (k, 0);
}

void
ovi_sgemm_pack_b (gboolean tb, int64_t k, int64_t n, const float *b,
    int64_t ldb, float *dst)
{
  SgArgs args = { FALSE, tb, NULL, b, 0, ldb };
  int64_t n_pad = (n + SG_NR - 1) / SG_NR * SG_NR;
  for (int64_t pc = 0; pc < k; pc += SG_KC)
    sg_pack_b (&args, pc, MIN (SG_KC, k - pc), 0, n, dst + pc * n_pad);
}
