/* The LLM weight formats and matrix products.
 *
 * - fp16 / bf16 conversions: every half round-trips; float -> half / bf16
 *   picks the nearest representable value (ties to even) on floats near
 *   every rounding boundary.
 * - Block layouts: field offsets as ggml lays them out.
 * - Dequantization: equal to tools/llm/ggml_quants.py's numpy dequantizer
 *   on data files it generated at build time (tests/models/
 *   make-llm-matmul-data.py), for F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K.
 * - Q8_0 quantizer: the same bytes as numpy's (ggml's reference method).
 * - Matmul, scalar and AVX2 paths, 1 to 33 tokens, 1 to 3 threads, split
 *   row ranges: against the exact product of the dequantized weights and
 *   the float activations, in double; and 520 tokens (the AVX2 path's
 *   token blocks) against the same tokens run 33 at a time.
 * - Repacked Q4_0 and Q4_K (ovi_llm_weight_repack): the same checks on
 *   the packed copy, with the source rows spoiled after packing, scalar
 *   packed equal to scalar unpacked; a Q4_0 weight large enough for the
 *   threaded repack; types without a packed layout left alone.
 *
 * Tolerances. Float weights: |y - ref| <= 3e-5 * sum|w x| (float
 * rounding). Quantized weights: the activations are quantized per block
 * of 32 with step d = max|x| / 127, each element off by at most d / 2, so
 *   |y - ref| <= sum_k |w_k| * d_block(k) / 2 * 1.001 + 3e-5 * sum|w x|
 * which holds for any rounding of ties; on these random data the relative
 * RMS error is also checked (below 1%; 0.3-0.75% here). The two paths
 * compute the same integer block dots from identical activation bytes
 * (checked), so they agree to 3e-5 * sum|w x|. */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include <glib.h>

#include "matmul.h"
#include "quants.h"

typedef struct {
  OviGgmlType type;
  guint32 n_out, n_in, n_tokens, row_bytes;
  guint8 *w;
  float *deq, *x;
  guint8 *xq8;          /* numpy's Q8_0 of x, or NULL */
  gchar *contents;
} Data;

static Data *
load_data (const char *type_name)
{
  const char *dir = g_getenv ("OVI_TEST_MODELS");
  gchar *path, *contents;
  gsize len, off = 28, need;
  guint32 hdr[5];
  Data *d;

  g_assert_nonnull (dir);
  path = g_strdup_printf ("%s/llm-matmul-%s.bin", dir, type_name);
  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  g_free (path);
  g_assert_cmpuint (len, >=, 28);
  g_assert_cmpint (memcmp (contents, "OVIMMT1", 8), ==, 0);
  memcpy (hdr, contents + 8, sizeof (hdr));
  d = g_new0 (Data, 1);
  d->contents = contents;
  d->type = hdr[0];
  d->n_out = hdr[1];
  d->n_in = hdr[2];
  d->n_tokens = hdr[3];
  d->row_bytes = hdr[4];
  need = off + (gsize) d->n_out * d->row_bytes
      + 4 * ((gsize) d->n_out + d->n_tokens) * d->n_in;
  g_assert_cmpuint (len, >=, need);
  g_assert_cmpstr (ovi_ggml_type_name (d->type), ==, type_name);
  /* copies: the kernels must not depend on any alignment of the file */
  d->w = g_memdup2 (contents + off, (gsize) d->n_out * d->row_bytes);
  off += (gsize) d->n_out * d->row_bytes;
  d->deq = g_memdup2 (contents + off, 4 * (gsize) d->n_out * d->n_in);
  off += 4 * (gsize) d->n_out * d->n_in;
  d->x = g_memdup2 (contents + off, 4 * (gsize) d->n_tokens * d->n_in);
  off += 4 * (gsize) d->n_tokens * d->n_in;
  if (d->n_in % 32 == 0) {
    gsize q = (gsize) d->n_tokens * d->n_in / 32 * 34;
    g_assert_cmpuint (len, ==, off + q);
    d->xq8 = g_memdup2 (contents + off, q);
  } else {
    g_assert_cmpuint (len, ==, off);
  }
  return d;
}

static void
free_data (Data *d)
{
  g_free (d->w);
  g_free (d->deq);
  g_free (d->x);
  g_free (d->xq8);
  g_free (d->contents);
  g_free (d);
}

/* ---- conversions ---- */

static float
as_float (guint32 bits)
{
  float f;
  memcpy (&f, &bits, 4);
  return f;
}

static void
test_fp16_roundtrip (void)
{
  for (guint32 h = 0; h < 65536; h++) {
    float f = ovi_llm_fp16_to_fp32 ((OviFp16) h);
    OviFp16 back = ovi_llm_fp32_to_fp16 (f);
    if ((h & 0x7c00) == 0x7c00 && (h & 0x3ff)) {
      g_assert_true (isnan (f));
      g_assert_cmpuint (back & 0x7c00, ==, 0x7c00);
      g_assert_cmpuint (back & 0x3ff, !=, 0);
    } else {
      g_assert_cmpuint (back, ==, h);
    }
  }
  /* known values */
  g_assert_cmpfloat (ovi_llm_fp16_to_fp32 (0x3c00), ==, 1.0f);
  g_assert_cmpfloat (ovi_llm_fp16_to_fp32 (0xc000), ==, -2.0f);
  g_assert_cmpfloat (ovi_llm_fp16_to_fp32 (0x7bff), ==, 65504.0f);
  g_assert_cmpfloat (ovi_llm_fp16_to_fp32 (0x0001), ==, 0x1p-24f);
  g_assert_true (isinf (ovi_llm_fp16_to_fp32 (0x7c00)));
}

/* float -> half must give the nearest half, ties to the even one: checked
 * against the neighbours of the result, on floats around every boundary
 * between consecutive halves (the midpoint and its float neighbours). */
static void
check_fp16_nearest (float f)
{
  OviFp16 h = ovi_llm_fp32_to_fp16 (f);
  double got = ovi_llm_fp16_to_fp32 (h), err = fabs (got - f);

  if (isinf (got)) {
    g_assert_cmpfloat (fabs (f), >=, 65520.0f);
    return;
  }
  g_assert_cmpfloat (fabs (f), <, 65520.0f);
  for (int step = -1; step <= 1; step += 2) {
    guint32 nb = (guint32) h + step;
    double other;
    if ((h & 0x7fff) == 0 && step < 0)
      nb = (h ^ 0x8000) + 1;      /* the other side of zero */
    if ((nb & 0x7c00) == 0x7c00 || nb > 0xffff)
      continue;
    other = ovi_llm_fp16_to_fp32 ((OviFp16) nb);
    g_assert_cmpfloat (err, <=, fabs (other - f));
    if (err == fabs (other - f) && err != 0)
      g_assert_cmpuint (h & 1, ==, 0);
  }
}

static void
test_fp16_rounding (void)
{
  for (guint32 h = 0; h < 0x7c00; h++) {
    double a = ovi_llm_fp16_to_fp32 ((OviFp16) h);
    double b = ovi_llm_fp16_to_fp32 ((OviFp16) (h + 1));
    float mid = (float) ((a + b) / 2);
    check_fp16_nearest (mid);
    check_fp16_nearest (nextafterf (mid, 0));
    check_fp16_nearest (nextafterf (mid, INFINITY));
    check_fp16_nearest (-mid);
    check_fp16_nearest ((float) a);
  }
  check_fp16_nearest (1e30f);
  check_fp16_nearest (1e-30f);
  g_assert_true (isnan (ovi_llm_fp16_to_fp32 (ovi_llm_fp32_to_fp16 (NAN))));
}

static void
test_bf16 (void)
{
  GRand *rand = g_rand_new_with_seed (7);
  g_assert_cmpfloat (ovi_llm_bf16_to_fp32 (0x3f80), ==, 1.0f);
  g_assert_cmpuint (ovi_llm_fp32_to_bf16 (1.0f), ==, 0x3f80);
  /* ties: 1 + 2^-8 lies halfway between 1 and 1 + 2^-7: to even (1) */
  g_assert_cmpuint (ovi_llm_fp32_to_bf16 (1.0f + 0x1p-8f), ==, 0x3f80);
  g_assert_cmpuint (ovi_llm_fp32_to_bf16 (1.0f + 3 * 0x1p-8f), ==, 0x3f82);
  g_assert_true (isnan (ovi_llm_bf16_to_fp32 (ovi_llm_fp32_to_bf16 (NAN))));
  g_assert_true (isnan (ovi_llm_bf16_to_fp32 (ovi_llm_fp32_to_bf16
              (as_float (0x7f800001)))));
  for (int i = 0; i < 200000; i++) {
    guint32 bits = g_rand_int (rand);
    float f = as_float (bits), lo, hi, got;
    if (!isfinite (f) || fabsf (f) > 3e38f)
      continue;
    got = ovi_llm_bf16_to_fp32 (ovi_llm_fp32_to_bf16 (f));
    lo = as_float (bits & 0xffff0000u);
    hi = as_float ((bits & 0xffff0000u) + 0x10000u);
    /* nearest of the two bf16 values around f */
    g_assert_true (got == lo || got == hi);
    g_assert_cmpfloat (fabs ((double) got - f), <=, fabs ((double) (got ==
                lo ? hi : lo) - f));
  }
  g_rand_free (rand);
}

static void
test_layouts (void)
{
  g_assert_cmpuint (offsetof (OviBlockQ4_0, qs), ==, 2);
  g_assert_cmpuint (offsetof (OviBlockQ8_0, qs), ==, 2);
  g_assert_cmpuint (offsetof (OviBlockQ4_K, dmin), ==, 2);
  g_assert_cmpuint (offsetof (OviBlockQ4_K, scales), ==, 4);
  g_assert_cmpuint (offsetof (OviBlockQ4_K, qs), ==, 16);
  g_assert_cmpuint (offsetof (OviBlockQ6_K, qh), ==, 128);
  g_assert_cmpuint (offsetof (OviBlockQ6_K, scales), ==, 192);
  g_assert_cmpuint (offsetof (OviBlockQ6_K, d), ==, 208);
  g_assert_cmpuint (offsetof (OviBlockQ8_K, qs), ==, 4);
  g_assert_cmpuint (offsetof (OviBlockQ8_K, bsums), ==, 260);
  g_assert_cmpuint (sizeof (OviBlockQ4_K), ==,
      ovi_ggml_block_bytes (OVI_GGML_TYPE_Q4_K));
  g_assert_cmpuint (sizeof (OviBlockQ6_K), ==,
      ovi_ggml_block_bytes (OVI_GGML_TYPE_Q6_K));
  g_assert_cmpuint (sizeof (OviBlockQ8_K), ==,
      ovi_ggml_block_bytes (OVI_GGML_TYPE_Q8_K));
}

static void
test_supported (void)
{
  g_assert_true (ovi_llm_weight_type_supported (OVI_GGML_TYPE_F32, 3));
  g_assert_true (ovi_llm_weight_type_supported (OVI_GGML_TYPE_Q4_0, 64));
  g_assert_false (ovi_llm_weight_type_supported (OVI_GGML_TYPE_Q4_0, 48));
  g_assert_false (ovi_llm_weight_type_supported (OVI_GGML_TYPE_Q4_K, 32));
  g_assert_true (ovi_llm_weight_type_supported (OVI_GGML_TYPE_Q6_K, 512));
  g_assert_false (ovi_llm_weight_type_supported (OVI_GGML_TYPE_Q5_K, 256));
  g_assert_false (ovi_llm_weight_type_supported (OVI_GGML_TYPE_Q8_K, 256));
  g_assert_false (ovi_llm_weight_type_supported (OVI_GGML_TYPE_F16, 0));
  g_assert_false (ovi_llm_weight_type_supported ((OviGgmlType) 99, 32));
}

/* ---- dequantization and the Q8_0 quantizer against numpy ---- */

static void
test_dequantize (gconstpointer name)
{
  Data *d = load_data (name);
  float *row = g_new (float, d->n_in);
  double wmax = 0;

  for (gsize i = 0; i < (gsize) d->n_out * d->n_in; i++)
    wmax = MAX (wmax, fabs (d->deq[i]));
  for (guint32 r = 0; r < d->n_out; r++) {
    ovi_llm_dequantize_row (d->type, d->w + (gsize) r * d->row_bytes,
        d->n_in, row);
    for (guint32 k = 0; k < d->n_in; k++) {
      /* the same float32 operations in the same order: equal but for a
       * contraction into a fused multiply-add a compiler may choose */
      float want = d->deq[(gsize) r * d->n_in + k];
      if (fabs (row[k] - want) > 1e-6 * wmax)
        g_error ("%s row %u col %u: %g, numpy %g", (const char *) name, r, k,
            row[k], want);
    }
  }
  g_free (row);
  free_data (d);
}

static void
test_quantize_q8_0 (void)
{
  Data *d = load_data ("Q8_0");
  gsize nb = (gsize) d->n_tokens * d->n_in / 32;
  OviBlockQ8_0 *q = g_new (OviBlockQ8_0, nb);
  float *back = g_new (float, d->n_in);

  g_assert_nonnull (d->xq8);
  ovi_llm_quantize_q8_0 (d->x, (gsize) d->n_tokens * d->n_in, q);
  g_assert_cmpint (memcmp (q, d->xq8, nb * sizeof (*q)), ==, 0);
  /* and it decodes within half a step */
  ovi_llm_dequantize_row (OVI_GGML_TYPE_Q8_0, q, d->n_in, back);
  for (guint32 k = 0; k < d->n_in; k++) {
    float step = ovi_llm_fp16_to_fp32 (q[k / 32].d);
    g_assert_cmpfloat (fabs (back[k] - d->x[k]), <=, 0.51 * step + 1e-3 *
        fabs (d->x[k]));
  }
  g_free (q);
  g_free (back);
  free_data (d);
}

/* ---- matmul ---- */

typedef struct {
  double *ref, *bound_q, *absdot;
} Reference;

/* ref[t][r] = sum_k deq[r][k] x[t][k] in double; bound_q: the activation
 * quantization bound; absdot: sum |w x|. */
static Reference
reference (const Data *d, gboolean quantized)
{
  Reference R;
  gsize n = (gsize) d->n_tokens * d->n_out;
  R.ref = g_new0 (double, n);
  R.bound_q = g_new0 (double, n);
  R.absdot = g_new0 (double, n);
  for (guint32 t = 0; t < d->n_tokens; t++) {
    const float *x = d->x + (gsize) t * d->n_in;
    for (guint32 r = 0; r < d->n_out; r++) {
      const float *w = d->deq + (gsize) r * d->n_in;
      double s = 0, b = 0, a = 0;
      for (guint32 k = 0; k < d->n_in; k++) {
        s += (double) w[k] * x[k];
        a += fabs ((double) w[k] * x[k]);
      }
      if (quantized)
        for (guint32 k0 = 0; k0 < d->n_in; k0 += 32) {
          double amax = 0, wsum = 0;
          for (int j = 0; j < 32; j++) {
            amax = MAX (amax, fabs (x[k0 + j]));
            wsum += fabs (w[k0 + j]);
          }
          b += wsum * amax / 127 / 2;
        }
      R.ref[(gsize) t * d->n_out + r] = s;
      R.bound_q[(gsize) t * d->n_out + r] = b;
      R.absdot[(gsize) t * d->n_out + r] = a;
    }
  }
  return R;
}

static void
free_reference (Reference *R)
{
  g_free (R->ref);
  g_free (R->bound_q);
  g_free (R->absdot);
}

static void
check_result (const Data *d, const Reference *R, const float *y,
    guint32 n_tokens, const char *what)
{
  double err2 = 0, ref2 = 0;
  gboolean quantized = d->type != OVI_GGML_TYPE_F32
      && d->type != OVI_GGML_TYPE_F16 && d->type != OVI_GGML_TYPE_BF16;

  for (guint32 t = 0; t < n_tokens; t++)
    for (guint32 r = 0; r < d->n_out; r++) {
      gsize i = (gsize) t * d->n_out + r;
      double e = fabs (y[i] - R->ref[i]);
      double bound = R->bound_q[i] * 1.001 + 3e-5 * R->absdot[i] + 1e-30;
      if (!(e <= bound))
        g_error ("%s %s n_tokens %u: y[%u][%u] = %.9g, exact %.9g, "
            "error %.3g > bound %.3g", ovi_ggml_type_name (d->type), what,
            n_tokens, t, r, y[i], R->ref[i], e, bound);
      /* tokens 2 (1000x the others) and 4 (outliers that coarsen their
       * blocks' steps 30x) are there for the bound: not for the RMS */
      if (t != 2 && t != 4) {
        err2 += e * e;
        ref2 += R->ref[i] * R->ref[i];
      }
    }
  if (ref2 > 0) {
    double rel = sqrt (err2 / ref2);
    g_assert_cmpfloat (rel, <, quantized ? 0.01 : 1e-5);
    if (n_tokens == d->n_tokens)
      g_test_message ("%s %s: relative RMS error %.3g",
          ovi_ggml_type_name (d->type), what, rel);
  }
}

typedef struct {
  const char *type;
  gboolean packed;      /* through ovi_llm_weight_repack */
} MatmulCase;

static void
test_matmul (gconstpointer data)
{
  /* one-token kernels for 1 to 3 tokens, tiles from 4 on: full tiles
   * and remainders of 1 to 3 tokens */
  static const guint32 token_counts[] = { 1, 2, 3, 4, 6, 7, 8, 33 };
  const MatmulCase *mc = data;
  Data *d = load_data (mc->type);
  OviLlmWeight w = { d->type, d->n_in, d->n_out, d->row_bytes, d->w, NULL };
  guint8 *orig = NULL;
  gboolean quantized = d->type != OVI_GGML_TYPE_F32
      && d->type != OVI_GGML_TYPE_F16 && d->type != OVI_GGML_TYPE_BF16;
  Reference R = reference (d, quantized);
  gsize sz = ovi_llm_activation_bytes (d->type, d->n_in, d->n_tokens);
  guint8 *qa = g_malloc0 (sz), *qb = g_malloc0 (sz);
  float *y = g_new (float, (gsize) d->n_tokens * d->n_out);
  float *ys = g_new (float, (gsize) d->n_tokens * d->n_out);
  gboolean have_simd = ovi_llm_matmul_set_simd (TRUE);

  g_assert_true (ovi_llm_weight_type_supported (d->type, d->n_in));
  if (mc->packed) {
    gsize pb = ovi_llm_weight_repack_bytes (d->type, d->n_in, d->n_out);
    /* 37 rows: 5 groups of 8; 768 columns: 24 blocks of 32 (Q4_0: 6
     * chunks of 4 blocks with 64 bytes of scales each) or 3 super-blocks
     * (Q4_K: 1152 bytes each for 8 rows) */
    g_assert_cmpuint (pb, ==, d->type == OVI_GGML_TYPE_Q4_0
        ? 5 * (6 * 64 + 128 * 24) : 5 * 3 * 1152);
    g_assert_true (ovi_llm_weight_repack (&w));
    g_assert_nonnull (w.packed);
    g_assert_cmpuint ((guintptr) w.packed % 64, ==, 0);
    g_assert_false (ovi_llm_weight_repack (&w));     /* already packed */
    /* the kernels must read the copy alone: spoil the rows */
    orig = g_memdup2 (d->w, (gsize) d->n_out * d->row_bytes);
    memset (d->w, 0x77, (gsize) d->n_out * d->row_bytes);
  }
  if (!have_simd)
    g_test_message ("no AVX2/FMA/F16C here: scalar path only");

  for (gsize i = 0; i < G_N_ELEMENTS (token_counts); i++) {
    guint32 nt = token_counts[i];
    gsize n = (gsize) nt * d->n_out;
    gsize bytes = ovi_llm_activation_bytes (d->type, d->n_in, nt);

    /* scalar path, one thread: the reference for the others */
    ovi_llm_matmul_set_simd (FALSE);
    memset (qa, 0, sz);
    ovi_llm_quantize_activations (d->type, d->x, d->n_in, nt, qa);
    ovi_llm_matmul_rows (&w, qa, nt, ys, d->n_out, 0, d->n_out);
    check_result (d, &R, ys, nt, "scalar");
    for (int threads = 2; threads <= 3; threads++) {
      for (gsize j = 0; j < n; j++)
        y[j] = NAN;
      ovi_llm_matmul (&w, d->x, nt, y, qb, threads);
      check_result (d, &R, y, nt, "scalar threads");
    }

    if (have_simd) {
      ovi_llm_matmul_set_simd (TRUE);
      memset (qb, 0, sz);
      ovi_llm_quantize_activations (d->type, d->x, d->n_in, nt, qb);
      /* the AVX2 quantizer writes exactly the scalar one's bytes */
      g_assert_cmpint (memcmp (qa, qb, bytes), ==, 0);
      for (int threads = 1; threads <= 3; threads++) {
        for (gsize j = 0; j < n; j++)
          y[j] = NAN;
        ovi_llm_matmul (&w, d->x, nt, y, qb, threads);
        check_result (d, &R, y, nt, "avx2");
        for (gsize j = 0; j < n; j++)
          g_assert_cmpfloat (fabs (y[j] - ys[j]), <=, 3e-5 * R.absdot[j]
              + 1e-30);
      }
      /* row ranges that cut tiles anywhere, one after the other */
      for (gsize j = 0; j < n; j++)
        y[j] = NAN;
      ovi_llm_matmul_rows (&w, qb, nt, y, d->n_out, 0, 5);
      ovi_llm_matmul_rows (&w, qb, nt, y, d->n_out, 5, 13);
      ovi_llm_matmul_rows (&w, qb, nt, y, d->n_out, 13, 14);
      ovi_llm_matmul_rows (&w, qb, nt, y, d->n_out, 14, d->n_out + 10);
      check_result (d, &R, y, nt, "avx2 ranges");
    }
    /* a wider output stride: untouched gaps stay untouched */
    {
      gsize stride = d->n_out + 3;
      float *yw = g_new (float, (gsize) nt * stride);
      for (gsize j = 0; j < (gsize) nt * stride; j++)
        yw[j] = -7;
      ovi_llm_matmul_set_simd (have_simd);
      ovi_llm_quantize_activations (d->type, d->x, d->n_in, nt, qb);
      ovi_llm_matmul_rows (&w, qb, nt, yw, stride, 0, d->n_out);
      for (guint32 t = 0; t < nt; t++) {
        memcpy (y + (gsize) t * d->n_out, yw + t * stride,
            d->n_out * sizeof (float));
        for (gsize j = d->n_out; j < stride; j++)
          g_assert_cmpfloat (yw[t * stride + j], ==, -7);
      }
      check_result (d, &R, y, nt, "stride");
      g_free (yw);
    }
  }
  /* Hundreds of tokens: the AVX2 prompt path runs them in blocks (about
   * 512 KiB of activations each); token t repeats token t % n_tokens, so
   * must its results, bit for bit (the same sums in the same order). */
  if (have_simd) {
    const guint32 nbig = 520;
    float *xb = g_new (float, (gsize) nbig * d->n_in);
    float *yb = g_new (float, (gsize) nbig * d->n_out);
    guint8 *qbig = g_malloc (ovi_llm_activation_bytes (d->type, d->n_in,
            nbig));
    for (guint32 t = 0; t < nbig; t++)
      memcpy (xb + (gsize) t * d->n_in, d->x + (gsize) (t % d->n_tokens)
          * d->n_in, d->n_in * sizeof (float));
    ovi_llm_matmul_set_simd (TRUE);
    ovi_llm_matmul (&w, d->x, d->n_tokens, y, qb, 1);
    for (int threads = 1; threads <= 2; threads++) {
      ovi_llm_matmul (&w, xb, nbig, yb, qbig, threads);
      for (guint32 t = 0; t < nbig; t++)
        g_assert_cmpint (memcmp (yb + (gsize) t * d->n_out, y + (gsize) (t
                    % d->n_tokens) * d->n_out, d->n_out * sizeof (float)),
            ==, 0);
    }
    g_free (xb);
    g_free (yb);
    g_free (qbig);
  }
  if (mc->packed) {
    /* the same integer block dots as the row layout: the scalar paths of
     * both agree to float rounding */
    OviLlmWeight u = { d->type, d->n_in, d->n_out, d->row_bytes, orig, NULL };
    float *yu = g_new (float, (gsize) d->n_tokens * d->n_out);
    ovi_llm_matmul_set_simd (FALSE);
    ovi_llm_quantize_activations (d->type, d->x, d->n_in, d->n_tokens, qa);
    ovi_llm_matmul_rows (&w, qa, d->n_tokens, ys, d->n_out, 0, d->n_out);
    ovi_llm_matmul_rows (&u, qa, d->n_tokens, yu, d->n_out, 0, d->n_out);
    for (gsize j = 0; j < (gsize) d->n_tokens * d->n_out; j++)
      g_assert_cmpfloat (fabs (ys[j] - yu[j]), <=, 3e-5 * R.absdot[j]
          + 1e-30);
    g_free (yu);
    ovi_llm_weight_clear_packed (&w);
    g_assert_null (w.packed);
    ovi_llm_weight_clear_packed (&w);   /* harmless twice */
    g_free (orig);
  }
  ovi_llm_matmul_set_simd (TRUE);
  g_free (qa);
  g_free (qb);
  g_free (y);
  g_free (ys);
  free_reference (&R);
  free_data (d);
}

/* Types without a repacked layout stay as they are; packed sizes. */
static void
test_repack_types (void)
{
  static const guint8 zeros[4 * 64 * 34];
  static const OviGgmlType others[] = { OVI_GGML_TYPE_F32,
    OVI_GGML_TYPE_F16, OVI_GGML_TYPE_BF16, OVI_GGML_TYPE_Q8_0,
    OVI_GGML_TYPE_Q6_K
  };
  for (gsize i = 0; i < G_N_ELEMENTS (others); i++) {
    guint64 rb = 0;
    OviLlmWeight w = { others[i], 256, 4, 0, zeros, NULL };
    g_assert_true (ovi_ggml_row_bytes (others[i], 256, &rb));
    w.row_bytes = rb;
    g_assert_cmpuint (ovi_llm_weight_repack_bytes (others[i], 256, 4), ==, 0);
    g_assert_false (ovi_llm_weight_repack (&w));
    g_assert_null (w.packed);
    ovi_llm_weight_clear_packed (&w);
  }
  g_assert_cmpuint (ovi_llm_weight_repack_bytes (OVI_GGML_TYPE_Q4_0, 48, 8),
      ==, 0);
  g_assert_cmpuint (ovi_llm_weight_repack_bytes (OVI_GGML_TYPE_Q4_0, 2048,
          1), ==, 16 * 64 + 128 * 64);
  g_assert_cmpuint (ovi_llm_weight_repack_bytes (OVI_GGML_TYPE_Q4_K, 2048,
          9), ==, 2 * 8 * 1152);
  g_assert_cmpuint (ovi_llm_weight_repack_bytes (OVI_GGML_TYPE_Q4_K, 96, 8),
      ==, 0);
}

/* A weight large enough to be repacked by several threads, random quants
 * and scales: the repacked scalar kernel equals the row one per row. */
static void
test_repack_large (void)
{
  const gsize n_in = 2048, n_out = 1003, nb = n_in / 32;
  GRand *rand = g_rand_new_with_seed (11);
  OviBlockQ4_0 *blocks = g_new (OviBlockQ4_0, n_out * nb);
  float *x = g_new (float, n_in), *ya = g_new (float, n_out);
  float *yb = g_new (float, n_out);
  guint8 *qx = g_malloc (ovi_llm_activation_bytes (OVI_GGML_TYPE_Q4_0, n_in,
          1));
  OviLlmWeight w = { OVI_GGML_TYPE_Q4_0, n_in, n_out, nb * 18, blocks, NULL };
  OviLlmWeight u = w;

  for (gsize i = 0; i < n_out * nb; i++) {
    blocks[i].d = ovi_llm_fp32_to_fp16 ((float) g_rand_double_range (rand,
            -0.1, 0.1));
    for (int j = 0; j < 16; j++)
      blocks[i].qs[j] = (guint8) g_rand_int (rand);
  }
  for (gsize k = 0; k < n_in; k++)
    x[k] = (float) g_rand_double_range (rand, -1, 1);
  g_assert_cmpuint (ovi_llm_weight_repack_bytes (w.type, n_in, n_out), >=,
      (gsize) 1 << 20);
  g_assert_true (ovi_llm_weight_repack (&w));
  ovi_llm_matmul_set_simd (FALSE);
  ovi_llm_quantize_activations (w.type, x, n_in, 1, qx);
  ovi_llm_matmul_rows (&w, qx, 1, ya, n_out, 0, n_out);
  ovi_llm_matmul_rows (&u, qx, 1, yb, n_out, 0, n_out);
  for (gsize r = 0; r < n_out; r++)
    g_assert_cmpfloat (fabs (ya[r] - yb[r]), <=, 1e-5 * (fabs (yb[r]) + 1));
  ovi_llm_matmul_set_simd (TRUE);
  ovi_llm_weight_clear_packed (&w);
  g_rand_free (rand);
  g_free (blocks);
  g_free (x);
  g_free (ya);
  g_free (yb);
  g_free (qx);
}

int
main (int argc, char **argv)
{
  static const char *types[] = { "F32", "F16", "BF16", "Q8_0", "Q4_0",
    "Q4_K", "Q6_K"
  };
  static MatmulCase cases[G_N_ELEMENTS (types)];
  static const MatmulCase packed_cases[] = { {"Q4_0", TRUE}, {"Q4_K", TRUE}
  };
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/llm-matmul/fp16-roundtrip", test_fp16_roundtrip);
  g_test_add_func ("/llm-matmul/fp16-rounding", test_fp16_rounding);
  g_test_add_func ("/llm-matmul/bf16", test_bf16);
  g_test_add_func ("/llm-matmul/layouts", test_layouts);
  g_test_add_func ("/llm-matmul/supported", test_supported);
  g_test_add_func ("/llm-matmul/quantize-q8_0", test_quantize_q8_0);
  for (gsize i = 0; i < G_N_ELEMENTS (types); i++) {
    gchar *p = g_strdup_printf ("/llm-matmul/dequantize/%s", types[i]);
    g_test_add_data_func (p, types[i], test_dequantize);
    g_free (p);
  }
  for (gsize i = 0; i < G_N_ELEMENTS (types); i++) {
    gchar *p = g_strdup_printf ("/llm-matmul/matmul/%s", types[i]);
    cases[i].type = types[i];
    g_test_add_data_func (p, &cases[i], test_matmul);
    g_free (p);
  }
  for (gsize i = 0; i < G_N_ELEMENTS (packed_cases); i++) {
    gchar *p = g_strdup_printf ("/llm-matmul/matmul-repacked/%s",
        packed_cases[i].type);
    g_test_add_data_func (p, &packed_cases[i], test_matmul);
    g_free (p);
  }
  g_test_add_func ("/llm-matmul/repack-types", test_repack_types);
  g_test_add_func ("/llm-matmul/repack-large", test_repack_large);
  return g_test_run ();
}
