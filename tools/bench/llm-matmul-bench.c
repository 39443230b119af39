/* Speed of the LLM matmul (inference/llm/matmul.h) on TinyLlama-1.1B's
 * shapes, and the machine's large-copy memory bandwidth to judge decoding
 * against.
 *
 *   ovi-llm-matmul-bench [--types Q8_0,Q4_0,...] [--threads 1,2]
 *       [--tokens 1,512] [--reps N] [--best] [--scalar] [--repack]
 *       [--membw-only] [--no-membw]
 *
 * For each type, shape (n_out x n_in), token count and thread count: the
 * median (--best: the fastest) time of --reps runs (after one warm-up),
 * GFLOP/s (2 per multiply-add) and, for one token, GB/s of weight bytes
 * read (--repack: the repacked copy, the same bytes). One token
 * rotates through copies of the weights totalling >= 256 MiB so that they
 * come from memory, as in decoding, not from the 32 MiB L3. The weights
 * are random bytes with sane scales (speed does not depend on values).
 * Then, per type and thread count, the matmul time of one TinyLlama layer
 * set (22 x (q, k, v, o, gate, up, down)) with the one-token output
 * projection for decode, as tokens/s: the matmul-only upper bound of the
 * model's speed.
 *
 * Memory bandwidth: a 512 MiB memcpy split over the threads (bytes read +
 * written per second, "copy"), and an AVX2 read-only sum over 512 MiB
 * ("read"); median of 5. Decode's ratio is reported against both. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <omp.h>

#include "matmul.h"
#include "quants.h"

typedef struct {
  const char *name;
  gsize n_out, n_in;
  int per_layer;         /* times per layer in TinyLlama; 0: output */
} Shape;

static const Shape shapes[] = {
  {"attn_q/o 2048x2048", 2048, 2048, 2},
  {"attn_k/v 256x2048", 256, 2048, 2},
  {"ffn_gate/up 5632x2048", 5632, 2048, 2},
  {"ffn_down 2048x5632", 2048, 5632, 1},
  {"output 32000x2048", 32000, 2048, 0},
};

#define N_LAYERS 22

static double
now (void)
{
  return g_get_monotonic_time () / 1e6;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static double
median (double *v, int n)
{
  qsort (v, n, sizeof (double), cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Random weight bytes whose scales are small finite halves. */
static void
fill_weights (OviGgmlType type, guint8 *data, gsize rows, gsize row_bytes,
    GRand *rand)
{
  gsize bytes = rows * row_bytes;
  for (gsize i = 0; i + 4 <= bytes; i += 4) {
    guint32 v = g_rand_int (rand);
    memcpy (data + i, &v, 4);
  }
  if (type == OVI_GGML_TYPE_F32) {
    float *f = (float *) data;
    for (gsize i = 0; i < bytes / 4; i++)
      f[i] = (float) g_rand_double_range (rand, -1, 1);
    return;
  }
  if (type == OVI_GGML_TYPE_F16 || type == OVI_GGML_TYPE_BF16) {
    for (gsize i = 0; i < bytes / 2; i++) {
      float f = (float) g_rand_double_range (rand, -1, 1);
      guint16 h = type == OVI_GGML_TYPE_F16 ? ovi_llm_fp32_to_fp16 (f)
          : ovi_llm_fp32_to_bf16 (f);
      memcpy (data + 2 * i, &h, 2);
    }
    return;
  }
  {
    guint bb = ovi_ggml_block_bytes (type);
    OviFp16 s = ovi_llm_fp32_to_fp16 (0.01f);
    for (gsize off = 0; off < bytes; off += bb) {
      guint8 *b = data + off;
      switch (type) {
        case OVI_GGML_TYPE_Q4_0:
        case OVI_GGML_TYPE_Q8_0:
          memcpy (b, &s, 2);
          break;
        case OVI_GGML_TYPE_Q4_K:
          memcpy (b, &s, 2);
          memcpy (b + 2, &s, 2);
          break;
        case OVI_GGML_TYPE_Q6_K:
          memcpy (b + 208, &s, 2);
          break;
        default:
          break;
      }
    }
  }
}

typedef struct {
  OviGgmlType type;
  const Shape *shape;
  int copies;
  guint8 *data;
  gsize row_bytes, bytes;
  OviLlmWeight *wt;     /* one per copy */
} Weights;

static void
make_weights (Weights *w, OviGgmlType type, const Shape *shape, int copies,
    gboolean repack, GRand *rand)
{
  guint64 rb = 0;
  ovi_ggml_row_bytes (type, shape->n_in, &rb);
  w->type = type;
  w->shape = shape;
  w->row_bytes = rb;
  w->bytes = rb * shape->n_out;
  w->copies = copies;
  w->data = g_malloc (w->bytes * copies);
  fill_weights (type, w->data, shape->n_out, rb, rand);
  for (int c = 1; c < copies; c++)
    memcpy (w->data + c * w->bytes, w->data, w->bytes);
  w->wt = g_new0 (OviLlmWeight, copies);
  for (int c = 0; c < copies; c++) {
    OviLlmWeight wt = { type, shape->n_in, shape->n_out, rb,
      w->data + c * w->bytes, NULL
    };
    w->wt[c] = wt;
    if (repack)
      ovi_llm_weight_repack (&w->wt[c]);
  }
}

static void
free_weights (Weights *w)
{
  for (int c = 0; c < w->copies; c++)
    ovi_llm_weight_clear_packed (&w->wt[c]);
  g_free (w->wt);
  g_free (w->data);
}

/* --best: the fastest run instead of the median, the better estimate of
 * the uncontended speed on a machine shared with other work. */
static gboolean use_best = FALSE;

/* Median (or fastest) seconds of one multiplication. */
static double
time_matmul (const Weights *w, gsize n_tokens, int threads, int reps,
    const float *x, float *y, void *scratch)
{
  double *t = g_new (double, reps);
  double m;
  for (int r = -1; r < reps; r++) {
    const OviLlmWeight *wt = &w->wt[(r + 1) % w->copies];
    double t0 = now ();
    ovi_llm_matmul (wt, x, n_tokens, y, scratch, threads);
    if (r >= 0)
      t[r] = now () - t0;
  }
  m = use_best ? t[0] : median (t, reps);
  for (int r = 1; use_best && r < reps; r++)
    m = MIN (m, t[r]);
  g_free (t);
  return m;
}

/* ---- memory bandwidth ---- */

__attribute__((target ("avx2")))
static double
read_sum (const float *p, gsize n)
{
  typedef float V8 __attribute__((vector_size (32)));
  V8 a = { 0 }, b = { 0 }, c = { 0 }, d = { 0 };
  double s = 0;
  for (gsize i = 0; i + 32 <= n; i += 32) {
    V8 v0, v1, v2, v3;
    memcpy (&v0, p + i, 32);
    memcpy (&v1, p + i + 8, 32);
    memcpy (&v2, p + i + 16, 32);
    memcpy (&v3, p + i + 24, 32);
    a += v0;
    b += v1;
    c += v2;
    d += v3;
  }
  a += b + c + d;
  for (int l = 0; l < 8; l++)
    s += a[l];
  return s;
}

static void
membw (int threads, double *copy_gbs, double *read_gbs)
{
  gsize bytes = (gsize) 512 << 20;
  guint8 *src = g_malloc (bytes), *dst = g_malloc (bytes);
  double tc[5], tr[5], sink = 0;

  memset (src, 1, bytes);
  memset (dst, 2, bytes);
  for (int r = 0; r < 5; r++) {
    double t0 = now ();
#pragma omp parallel num_threads (threads)
    {
      int n = omp_get_num_threads (), i = omp_get_thread_num ();
      gsize part = bytes / n;
      memcpy (dst + i * part, src + i * part, part);
    }
    tc[r] = now () - t0;
    t0 = now ();
#pragma omp parallel num_threads (threads) reduction (+:sink)
    {
      int n = omp_get_num_threads (), i = omp_get_thread_num ();
      gsize part = bytes / n / 4;
      sink += read_sum ((const float *) (src + i * part * 4), part);
    }
    tr[r] = now () - t0;
  }
  *copy_gbs = 2.0 * bytes / median (tc, 5) / 1e9;
  *read_gbs = bytes / median (tr, 5) / 1e9;
  if (sink == 12345)
    printf (" ");
  g_free (src);
  g_free (dst);
}

static GArray *
parse_ints (const char *s)
{
  GArray *a = g_array_new (FALSE, FALSE, sizeof (int));
  gchar **parts = g_strsplit (s, ",", -1);
  for (int i = 0; parts[i]; i++) {
    int v = atoi (parts[i]);
    if (v > 0)
      g_array_append_val (a, v);
  }
  g_strfreev (parts);
  return a;
}

static OviGgmlType
type_by_name (const char *name)
{
  for (int t = 0; t < OVI_GGML_TYPE_COUNT; t++) {
    const char *n = ovi_ggml_type_name ((OviGgmlType) t);
    if (n && g_ascii_strcasecmp (n, name) == 0)
      return (OviGgmlType) t;
  }
  return OVI_GGML_TYPE_COUNT;
}

int
main (int argc, char **argv)
{
  gchar *types_s = g_strdup ("Q8_0,Q4_0,Q4_K,Q6_K,F16,BF16");
  gchar *threads_s = g_strdup ("1,2"), *tokens_s = g_strdup ("1,512");
  int reps = 5;
  gboolean scalar = FALSE, membw_only = FALSE, no_membw = FALSE;
  gboolean repack = FALSE;
  GOptionEntry entries[] = {
    {"types", 0, 0, G_OPTION_ARG_STRING, &types_s, "weight types", "LIST"},
    {"threads", 0, 0, G_OPTION_ARG_STRING, &threads_s, "thread counts",
        "LIST"},
    {"tokens", 0, 0, G_OPTION_ARG_STRING, &tokens_s, "token counts", "LIST"},
    {"reps", 0, 0, G_OPTION_ARG_INT, &reps, "timed runs (median)", "N"},
    {"scalar", 0, 0, G_OPTION_ARG_NONE, &scalar, "portable kernels", NULL},
    {"best", 0, 0, G_OPTION_ARG_NONE, &use_best,
        "fastest run instead of the median", NULL},
    {"repack", 0, 0, G_OPTION_ARG_NONE, &repack,
        "repack the weights (ovi_llm_weight_repack) where the type can be",
        NULL},
    {"membw-only", 0, 0, G_OPTION_ARG_NONE, &membw_only,
        "only the memory bandwidth", NULL},
    {"no-membw", 0, 0, G_OPTION_ARG_NONE, &no_membw,
        "skip the memory bandwidth", NULL},
    {NULL}
  };
  GOptionContext *ctx = g_option_context_new ("- LLM matmul speed");
  GError *err = NULL;
  GArray *threads, *tokens;
  gchar **types;
  GRand *rand = g_rand_new_with_seed (42);
  double copy_bw[8] = { 0 }, read_bw[8] = { 0 };
  gsize max_tokens = 1, max_in = 0, max_out = 0;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &err)) {
    fprintf (stderr, "%s\n", err->message);
    return 2;
  }
  g_option_context_free (ctx);
  if (reps < 1)
    reps = 1;
  threads = parse_ints (threads_s);
  tokens = parse_ints (tokens_s);
  types = g_strsplit (types_s, ",", -1);
  if (scalar)
    ovi_llm_matmul_set_simd (FALSE);

  if (!no_membw)
    for (guint i = 0; i < threads->len && i < 8; i++) {
      int th = g_array_index (threads, int, i);
      membw (th, &copy_bw[i], &read_bw[i]);
      printf ("membw threads %d: copy %.2f GB/s (read + write), "
          "read %.2f GB/s\n", th, copy_bw[i], read_bw[i]);
    }
  if (membw_only)
    return 0;

  for (guint i = 0; i < tokens->len; i++)
    max_tokens = MAX (max_tokens, (gsize) g_array_index (tokens, int, i));
  for (gsize s = 0; s < G_N_ELEMENTS (shapes); s++) {
    max_in = MAX (max_in, shapes[s].n_in);
    max_out = MAX (max_out, shapes[s].n_out);
  }

  {
    float *x = g_new (float, max_tokens * max_in);
    float *y = g_new (float, max_tokens * max_out);
    void *scratch = g_malloc (ovi_llm_activation_bytes (OVI_GGML_TYPE_Q8_0,
            max_in, max_tokens) + ovi_llm_activation_bytes
        (OVI_GGML_TYPE_F32, max_in, max_tokens));
    for (gsize i = 0; i < max_tokens * max_in; i++)
      x[i] = (float) g_rand_double_range (rand, -1, 1);

    printf ("%-6s %-22s %6s %3s %10s %9s %8s %s\n", "type", "shape",
        "tokens", "thr", "ms", "GFLOP/s", "GB/s", "of copy/read bw");
    for (int ti = 0; types[ti]; ti++) {
      OviGgmlType type = type_by_name (types[ti]);
      /* [tokens][threads] seconds of a TinyLlama layer set, of output */
      double layer[16][8] = { { 0 } }, out1[8] = { 0 };
      if (type == OVI_GGML_TYPE_COUNT
          || !ovi_llm_weight_type_supported (type, 2048)) {
        fprintf (stderr, "unsupported type %s\n", types[ti]);
        continue;
      }
      for (gsize s = 0; s < G_N_ELEMENTS (shapes); s++) {
        for (guint k = 0; k < tokens->len && k < 16; k++) {
          gsize nt = g_array_index (tokens, int, k);
          Weights w;
          int copies = 1;
          /* one token: weights from memory, not cache */
          if (nt == 1) {
            guint64 rb;
            ovi_ggml_row_bytes (type, shapes[s].n_in, &rb);
            copies = (int) MAX (2, ((gsize) 256 << 20) / (rb
                    * shapes[s].n_out) + 1);
          }
          /* the output projection runs for one token only */
          if (shapes[s].per_layer == 0 && nt != 1)
            continue;
          make_weights (&w, type, &shapes[s], copies, repack, rand);
          for (guint h = 0; h < threads->len && h < 8; h++) {
            int th = g_array_index (threads, int, h);
            double sec = time_matmul (&w, nt, th, reps, x, y, scratch);
            double flops = 2.0 * shapes[s].n_out * shapes[s].n_in * nt;
            printf ("%-6s %-22s %6zu %3d %10.3f %9.1f", types[ti],
                shapes[s].name, nt, th, sec * 1e3, flops / sec / 1e9);
            if (nt == 1) {
              double gbs = w.bytes / sec / 1e9;
              printf (" %8.2f", gbs);
              if (copy_bw[h] > 0)
                printf (" %.2f / %.2f", gbs / copy_bw[h], gbs / read_bw[h]);
            }
            printf ("\n");
            fflush (stdout);
            if (shapes[s].per_layer)
              layer[k][h] += shapes[s].per_layer * sec;
            else
              out1[h] = sec;
          }
          free_weights (&w);
        }
      }
      for (guint k = 0; k < tokens->len && k < 16; k++) {
        gsize nt = g_array_index (tokens, int, k);
        for (guint h = 0; h < threads->len && h < 8; h++) {
          double sec = N_LAYERS * layer[k][h] + (nt == 1 ? out1[h] : 0);
          printf ("%-6s TinyLlama matmuls, %zu tokens, %d threads: %.1f ms "
              "= %.1f tokens/s\n", types[ti], nt,
              g_array_index (threads, int, h), sec * 1e3, nt / sec);
        }
      }
    }
    g_free (x);
    g_free (y);
    g_free (scratch);
  }
  g_strfreev (types);
  g_array_unref (threads);
  g_array_unref (tokens);
  g_free (types_s);
  g_free (threads_s);
  g_free (tokens_s);
  g_rand_free (rand);
  return 0;
}
