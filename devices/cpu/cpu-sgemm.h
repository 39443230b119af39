/* The float32 GEMM engine of the CPU kernels (Conv, Gemm, MatMul,
 * Einsum): cache-blocked, packed panels, a 6x16 AVX2 FMA micro-kernel
 * chosen at run time (a portable one otherwise), matrix-vector products
 * for single rows or columns, threaded with OpenMP.
 *
 * It allocates nothing: packing buffers come from a caller's scratch of
 * ovi_sgemm_scratch_size () bytes. A constant operand (weights) may be
 * packed once with ovi_sgemm_pack_a/b and passed pre-packed. An epilogue
 * may finish each block of C right after its last update, while the block
 * is in cache (bias, residual, activation). */
#ifndef OVI_CPU_SGEMM_H
#define OVI_CPU_SGEMM_H

#include <omp.h>

#include "tensor.h"
#include "cpu-parallel.h"

G_BEGIN_DECLS

/* Work estimate (for OVI_PARALLEL_* and ovi_sgemm_threads) of `macs`
 * multiply-adds: the loops vectorize, four of them make a step, so a
 * GEMM runs on one thread below 2^17. */
#define OVI_SGEMM_WORK(macs) ((macs) / 4)

/* Flags of ovi_sgemm_scratch_size: operands that come pre-packed and so
 * need no packing buffer. */
#define OVI_SGEMM_PACKED_A (1u << 0)
#define OVI_SGEMM_PACKED_B (1u << 1)

/* Finishes C[i0 + r][j0 + j] for r < rows, j < cols (final values of
 * alpha op(A) op(B) + beta C); c points at C[i0][j0]. Called from the
 * threads of the GEMM on disjoint blocks. */
typedef void (*OviSgemmEpilogue) (gpointer data, float *c, int64_t ldc,
    int64_t i0, int64_t j0, int64_t rows, int64_t cols);

/* C (m x n, row stride ldc) = alpha * op(A) op(B) + beta * C, row-major;
 * op () transposes when ta / tb. beta 0 never reads C. */
typedef struct {
  gboolean ta, tb;
  int64_t m, n, k;
  float alpha, beta;
  /* always given (the vector paths read them), but b may be NULL with
   * packed_b_rows */
  const float *a, *b;
  int64_t lda, ldb;
  /* Optional: op(A) / op(B) as ovi_sgemm_pack_a/b laid them out, used
   * instead of packing a / b. */
  const float *packed_a, *packed_b;
  /* Optional, for m == 1: op(B) as ovi_sgemm_pack_b_rows laid it out. */
  const float *packed_b_rows;
  float *c;
  int64_t ldc;
  /* C stored transposed: element (i, j) of the product at c[j * ldc + i]
   * (the micro-kernel's 6-row side then runs over the product's rows when
   * they are the ones a 16-wide side would pad). Only for GEMMs that use
   * panels (ovi_sgemm_uses_panels). The epilogue sees the stored matrix:
   * its rows are the product's columns. */
  gboolean tc;
  OviSgemmEpilogue epilogue;   /* optional */
  gpointer epilogue_data;
} OviSgemm;

/* The threads a kernel running `work` steps may use: 1 when the work is
 * too small or it already runs in a parallel region, else up to
 * max_threads (and at most OpenMP's team). Kernels decide their schedule
 * from it, with the same function their scratch hook uses for every count
 * up to ctx->max_threads. */
static inline int
ovi_sgemm_threads (int64_t work, int max_threads)
{
  if (!ovi_parallel_worth (work))
    return 1;
  return MAX (1, MIN (max_threads, omp_get_max_threads ()));
}

/* Bytes of scratch a GEMM of these dimensions needs when run on up to
 * `threads` threads (any count from 1 to `threads`), with `flags` the
 * operands it gets pre-packed. */
gsize ovi_sgemm_scratch_size (int64_t m, int64_t n, int64_t k, int threads,
    guint flags);

/* Runs g on up to `threads` threads (ovi_sgemm_threads decides how many
 * of them are worth it) with `scratch` of at least
 * ovi_sgemm_scratch_size (g->m, g->n, g->k, threads, flags) bytes,
 * OVI_ALIGNMENT-aligned. */
void ovi_sgemm_run (const OviSgemm *g, void *scratch, int threads);

/* The plain form of ovi_sgemm_run. */
void ovi_sgemm (gboolean ta, gboolean tb, int64_t m, int64_t n, int64_t k,
    float alpha, const float *a, int64_t lda, const float *b, int64_t ldb,
    float beta, float *c, int64_t ldc, void *scratch, int threads);

/* Whole op(A) (m x k) or op(B) (k x n) packed in the GEMM's panel layout:
 * bytes needed, and the packing (dst OVI_ALIGNMENT-aligned). The packed
 * form serves every GEMM with these m / n and k. */
gsize ovi_sgemm_packed_a_size (int64_t m, int64_t k);
void ovi_sgemm_pack_a (gboolean ta, int64_t m, int64_t k, const float *a,
    int64_t lda, float *dst);
gsize ovi_sgemm_packed_b_size (int64_t k, int64_t n);
void ovi_sgemm_pack_b (gboolean tb, int64_t k, int64_t n, const float *b,
    int64_t ldb, float *dst);

/* TRUE when a GEMM of these dimensions uses packed operands (not a vector
 * path): only then does pre-packing pay. */
gboolean ovi_sgemm_uses_panels (int64_t m, int64_t n, int64_t k);

/* op(B) (k x n) for row-vector products (m == 1, a classifier's layers):
 * in panels of 32 columns, each k rows of 32 consecutive floats, so a
 * product reads the whole matrix as one sequential stream (op(B)
 * transposed would be n streams of k). Bytes needed, and the packing
 * (dst OVI_ALIGNMENT-aligned). */
gsize ovi_sgemm_packed_b_rows_size (int64_t k, int64_t n);
void ovi_sgemm_pack_b_rows (gboolean tb, int64_t k, int64_t n,
    const float *b, int64_t ldb, float *dst);

/* Whether the AVX2+FMA kernels run here (other kernels may pick their
 * own AVX2 variants by it). */
gboolean ovi_sgemm_have_avx2 (void);

/* Whether the AVX-512 kernels run here: the CPU and the OS support
 * AVX-512 F, VL, DQ and BW (every AVX-512 Xeon and Core since Skylake-SP),
 * and OVI_CPU_ISA is not set to "avx2" (which keeps the AVX2 kernels, to
 * compare the two or to test both on one machine). Implies AVX2. */
gboolean ovi_cpu_have_avx512 (void);

/* The ISA of the kernels chosen at run time: "avx512", "avx2" or
 * "generic". */
const char *ovi_cpu_isa (void);

G_END_DECLS

#endif
