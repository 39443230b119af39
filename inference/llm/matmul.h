/* Matrix products with GGUF weights, the only heavy arithmetic of a
 * transformer: Y = X * W^T, where W is stored as ggml stores it (n_out
 * rows of n_in elements, each row a sequence of blocks of its type) and X
 * holds n_tokens rows of n_in floats.
 *
 * Quantized weights are multiplied in their own format: the activations
 * are first quantized per block of 32 to int8 with a float scale (ggml's
 * Q8_0 idea; used for the k-quants too, where ggml takes Q8_K: see
 * matmul-impl.h) and the dot products run on integers; float weights
 * (F32, F16, BF16) multiply float activations. One token runs one dot
 * product per row (memory-bound); several tokens run tiles of 8 rows x 4
 * tokens over repacked weight panels (compute-bound). AVX2+FMA+F16C
 * kernels are chosen at run time, with a portable scalar path. The split
 * into "quantize activations once" and "multiply a range of rows" lets a
 * caller that already runs its own threads share one quantized copy of X
 * between them. */
#ifndef OVI_LLM_MATMUL_H
#define OVI_LLM_MATMUL_H

#include "ggml-types.h"

G_BEGIN_DECLS

typedef struct {
  OviGgmlType type;
  gsize n_in;          /* elements per row: ggml's ne[0] */
  gsize n_out;         /* rows: ggml's ne[1] */
  gsize row_bytes;     /* bytes from one row to the next */
  const void *data;    /* n_out rows, typically inside the mmapped file */
  /* NULL, or the copy made by ovi_llm_weight_repack, which the kernels
   * then read instead of data (data stays valid and is still what
   * ovi_llm_dequantize_row callers read). Zero-initialize the struct. */
  void *packed;
} OviLlmWeight;

/* FALSE when the runtime cannot multiply with this weight type or n_in is
 * not a whole number of its blocks. */
gboolean ovi_llm_weight_type_supported (OviGgmlType type, gsize n_in);

/* Load-time repacking. For types with an interleaved layout (Q4_0 and
 * Q4_K) makes an aligned copy of the weight's rows, 8 rows interleaved
 * per 32-element block, that the one-token and the several-token kernels
 * read instead of w->data: one token then multiplies 8 rows at once
 * (no horizontal sums, the nibbles unpacked once for 8 rows, Q4_K's
 * scales decoded once for 8 rows) and runs at memory speed, and prompt
 * panels are filled without a transpose. Memory:
 * ovi_llm_weight_repack_bytes, the weight's own size (Q4_0: 18 bytes per
 * row and block, Q4_K: 144 per row and 256 elements) with n_out rounded
 * up to 8 and, for Q4_0 rows whose blocks are not a multiple of 4, up to
 * 48 bytes more per 8 rows; on top of the mapped file, whose pages for
 * this weight are then no longer read (clean file pages the kernel may
 * drop). Returns TRUE when w->packed was set; FALSE (w unchanged and
 * still usable) when the type has no such layout, when w is already
 * packed, or when the memory cannot be had. Results equal those of the unpacked weight up to the
 * order of float additions. Free with ovi_llm_weight_clear_packed; a
 * struct copy shares the pointer, so repack and clear only one copy
 * (e.g. a tied output projection, not the embedding it aliases). */
gsize ovi_llm_weight_repack_bytes (OviGgmlType type, gsize n_in,
    gsize n_out);
gboolean ovi_llm_weight_repack (OviLlmWeight *w);
void ovi_llm_weight_clear_packed (OviLlmWeight *w);

/* Bytes needed to hold n_tokens rows of n_in activations in the format
 * paired with weights of `type`. */
gsize ovi_llm_activation_bytes (OviGgmlType type, gsize n_in, gsize n_tokens);

/* Quantizes (or converts) x[n_tokens][n_in] into qx. */
void ovi_llm_quantize_activations (OviGgmlType type, const float *x,
    gsize n_in, gsize n_tokens, void *qx);

/* y[t * y_stride + r] = dot (W row r, X row t) for r in [row_begin,
 * row_end) and every t < n_tokens; qx from ovi_llm_quantize_activations.
 * Safe to call concurrently on disjoint row ranges. */
void ovi_llm_matmul_rows (const OviLlmWeight *w, const void *qx,
    gsize n_tokens, float *y, gsize y_stride, gsize row_begin, gsize row_end);

/* Convenience: quantizes X into scratch (at least
 * ovi_llm_activation_bytes) and multiplies all rows on n_threads threads
 * (OpenMP). y has row stride n_out. */
void ovi_llm_matmul (const OviLlmWeight *w, const float *x, gsize n_tokens,
    float *y, void *scratch, int n_threads);

/* Reference path: row r of W as floats (n_in of them). Used by the
 * embedding lookup (token rows of the embedding table are gathered, not
 * multiplied) and by tests. Zeros for a type that
 * ovi_llm_weight_type_supported refuses. */
void ovi_llm_dequantize_row (OviGgmlType type, const void *row, gsize n_in,
    float *out);

/* Tests and benchmarks: FALSE forces the portable scalar kernels, TRUE
 * restores the AVX2 ones where the CPU has AVX2, FMA and F16C. Returns
 * FALSE when TRUE was asked on a CPU without them. Process-wide: not to
 * be switched while a multiplication runs. */
gboolean ovi_llm_matmul_set_simd (gboolean enable);

G_END_DECLS

#endif
