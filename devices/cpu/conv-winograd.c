/* See conv-winograd.h. Notation: input tile d (4x4), kernel g (3x3),
 *   V = B^T d B,  U = G g G^T,  Y = A^T (sum over channels of U . V) A
 * with B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1],
 *      G   = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1],
 *      A^T = [1 1 1 0; 0 1 -1 -1].
 * Position xi = 4 i + j of the 4x4 transformed tile indexes the 16 GEMMs:
 *   M[xi] (m x tiles) = U[xi] (m x c) V[xi] (c x tiles). */
#include <string.h>

#include "conv-winograd.h"
#include "cpu-parallel.h"
#include "cpu-sgemm.h"
#include "cpu-v8.h"

#define WG_POS 16

/* Tile rows per block: as many as keep the block's transformed input and
 * GEMM outputs (16 (c + m) floats per tile) near 2 MiB, at least one.
 * Measured: larger blocks (fewer barriers, wider GEMMs) beat blocks that
 * fit the 512 KiB L2, up to about 4 MiB. */
int64_t
ovi_winograd_block_rows (const OviWinograd *wg)
{
  int64_t tw = (wg->ow + 1) / 2, th = (wg->oh + 1) / 2;
  int64_t tiles = CLAMP ((int64_t) 32768 / MAX (wg->c + wg->m, 1), 16, 1024);
  return CLAMP (tiles / tw, 1, th);
}

gboolean
ovi_winograd_worth (const OviWinograd *wg)
{
  /* Measured on ResNet's and MobileNets' shapes (2 threads): from 7x7
   * outputs with 512 channels (2x) to 112x112 with 32 (1.35x) it wins;
   * with 16 to 24 channels the GEMMs are too thin and it loses. */
  return wg->c >= 32 && wg->m >= 32 && wg->oh >= 4 && wg->ow >= 4;
}

static gsize
wg_panel_bytes (const OviWinograd *wg)
{
  return ovi_sgemm_packed_a_size (wg->m, wg->c);
}

gsize
ovi_winograd_weights_size (const OviWinograd *wg)
{
  return WG_POS * wg_panel_bytes (wg);
}

gboolean
ovi_winograd_enabled (void)
{
  static gsize enabled = 0;
  if (g_once_init_enter (&enabled))
    g_once_init_leave (&enabled, g_strcmp0 (g_getenv ("OVI_CONV_WINOGRAD"),
            "0") == 0 ? 1 : 2);
  return enabled == 2;
}

void
ovi_winograd_transform_weights (const OviWinograd *wg, const float *w,
    float *u)
{
  for (int64_t m = 0; m < wg->m; m++)
    for (int64_t c = 0; c < wg->c; c++) {
      const float *g = w + (m * wg->c + c) * 9;
      float t[4][3];
      /* t = G g: rows of G against g's columns */
      for (int j = 0; j < 3; j++) {
        t[0][j] = g[j];
        t[1][j] = 0.5f * (g[j] + g[3 + j] + g[6 + j]);
        t[2][j] = 0.5f * (g[j] - g[3 + j] + g[6 + j]);
        t[3][j] = g[6 + j];
      }
      /* U = t G^T */
      for (int i = 0; i < 4; i++) {
        float r[4] = { t[i][0], 0.5f * (t[i][0] + t[i][1] + t[i][2]),
          0.5f * (t[i][0] - t[i][1] + t[i][2]), t[i][2] };
        for (int j = 0; j < 4; j++)
          u[((i * 4 + j) * wg->m + m) * wg->c + c] = r[j];
      }
    }
}

void
ovi_winograd_pack_weights (const OviWinograd *wg, const float *w,
    float *dst)
{
  float *u = g_new (float, WG_POS * wg->m * wg->c);
  ovi_winograd_transform_weights (wg, w, u);
  for (int xi = 0; xi < WG_POS; xi++)
    ovi_sgemm_pack_a (FALSE, wg->m, wg->c, u + xi * wg->m * wg->c, wg->c,
        (float *) ((guint8 *) dst + xi * wg_panel_bytes (wg)));
  g_free (u);
}

/* Floats of one phase row of the input transform's buffer: the tile
 * row's even or odd padded columns, with room for a vector past the
 * last tile. */
static int64_t
wg_phase_floats (const OviWinograd *wg)
{
  return (wg->ow + 1) / 2 + 1 + 8;
}

/* The scratch: V (16 x c x tiles), M (16 x m x tiles), then per thread
 * a GEMM packing buffer followed by the input transform's rows. */
typedef struct {
  int64_t rows, tiles;       /* per block */
  gsize v_bytes, m_bytes, gemm_bytes;   /* gemm_bytes: per thread */
} WgLayout;

static gsize
wg_align (gsize n)
{
  return (n + OVI_ALIGNMENT - 1) & ~(gsize) (OVI_ALIGNMENT - 1);
}

static void
wg_layout (const OviWinograd *wg, WgLayout *l)
{
  int64_t tw = (wg->ow + 1) / 2, th = (wg->oh + 1) / 2;
  int64_t last;
  l->rows = ovi_winograd_block_rows (wg);
  l->tiles = l->rows * tw;
  last = (th - (th - 1) / l->rows * l->rows) * tw;
  l->v_bytes = wg_align (sizeof (float) * WG_POS * wg->c * l->tiles);
  l->m_bytes = wg_align (sizeof (float) * WG_POS * wg->m * l->tiles);
  l->gemm_bytes = wg_align (MAX (ovi_sgemm_scratch_size (wg->m, l->tiles,
              wg->c, 1, OVI_SGEMM_PACKED_A), ovi_sgemm_scratch_size (wg->m,
              last, wg->c, 1, OVI_SGEMM_PACKED_A)))
      + wg_align (sizeof (float) * 10 * wg_phase_floats (wg));
}

gsize
ovi_winograd_scratch_size (const OviWinograd *wg, int threads)
{
  WgLayout l;
  wg_layout (wg, &l);
  return l.v_bytes + l.m_bytes + l.gemm_bytes * MAX (threads, 1);
}

/* Up to 8 floats, the rest of the vector zero. */
static inline __attribute__((always_inline)) void
v8_load (V8f *v, const float *p, int64_t count)
{
  if (count >= 8) {
    memcpy (v, p, sizeof (*v));
  } else {
    memset (v, 0, sizeof (*v));
    memcpy (v, p, sizeof (float) * count);
  }
}

/* V of channel c for the tiles of tile rows [tr0, tr0 + rows), tw per
 * row, at v[xi * stride + t]. The four input rows of a tile row are
 * copied zero-padded and split into even and odd columns, so that tile
 * tx's columns are E[tx], O[tx], E[tx + 1], O[tx + 1]: eight tiles are
 * transformed at once with plain vector loads. buf: 8 phase rows and
 * the padded row they are split from. */
static inline __attribute__((always_inline)) void
wg_split_row (const OviWinograd *wg, const float *src, float *e, float *o,
    float *full)
{
  int64_t pf = wg_phase_floats (wg), n = 2 * pf;
  int64_t lo = MIN (wg->pw, n), hi = MIN (wg->pw + wg->w, n);
  /* full[k] holds input column k - pw */
  memset (full, 0, sizeof (float) * lo);
  memcpy (full + lo, src + lo - wg->pw, sizeof (float) * (hi - lo));
  memset (full + hi, 0, sizeof (float) * (n - hi));
  ovi_v8_split_pairs (full, e, o, pf);
}

static inline __attribute__((always_inline)) void
wg_input_body (const OviWinograd *wg, const float *xc, int64_t tr0,
    int64_t rows, float *v, int64_t stride, float *buf)
{
  int64_t tw = (wg->ow + 1) / 2, pf = wg_phase_floats (wg);
  float *full = buf + 8 * pf;
  for (int64_t r = 0; r < rows; r++) {
    int64_t y0 = 2 * (tr0 + r) - wg->ph;
    float *e[4], *o[4];
    for (int i = 0; i < 4; i++) {
      int64_t yy = y0 + i;
      e[i] = buf + 2 * i * pf;
      o[i] = e[i] + pf;
      if (yy < 0 || yy >= wg->h) {
        memset (e[i], 0, sizeof (float) * 2 * pf);
        continue;
      }
      wg_split_row (wg, xc + yy * wg->w, e[i], o[i], full);
    }
    for (int64_t tx = 0; tx < tw; tx += 8) {
      float *out = v + r * tw + tx;
      int64_t count = tw - tx;
      /* row i of B^T d combines two rows of d: (first, second, sign) */
      static const int rows_of[4][2] = { { 0, 2 }, { 1, 2 }, { 2, 1 },
        { 1, 3 } };
      static const float sign[4] = { -1, 1, -1, -1 };
      for (int i = 0; i < 4; i++) {
        int p = rows_of[i][0], q = rows_of[i][1];
        V8f b0, b1, b2, b3, x, t0, t1, t2, t3;
        memcpy (&b0, e[p] + tx, sizeof (V8f));
        memcpy (&x, e[q] + tx, sizeof (V8f));
        b0 += sign[i] * x;
        memcpy (&b1, o[p] + tx, sizeof (V8f));
        memcpy (&x, o[q] + tx, sizeof (V8f));
        b1 += sign[i] * x;
        memcpy (&b2, e[p] + tx + 1, sizeof (V8f));
        memcpy (&x, e[q] + tx + 1, sizeof (V8f));
        b2 += sign[i] * x;
        memcpy (&b3, o[p] + tx + 1, sizeof (V8f));
        memcpy (&x, o[q] + tx + 1, sizeof (V8f));
        b3 += sign[i] * x;
        /* then B on the columns */
        t0 = b0 - b2;
        t1 = b1 + b2;
        t2 = b2 - b1;
        t3 = b1 - b3;
        if (count >= 8) {
          memcpy (out + 4 * i * stride, &t0, sizeof (V8f));
          memcpy (out + (4 * i + 1) * stride, &t1, sizeof (V8f));
          memcpy (out + (4 * i + 2) * stride, &t2, sizeof (V8f));
          memcpy (out + (4 * i + 3) * stride, &t3, sizeof (V8f));
        } else {
          memcpy (out + 4 * i * stride, &t0, sizeof (float) * count);
          memcpy (out + (4 * i + 1) * stride, &t1, sizeof (float) * count);
          memcpy (out + (4 * i + 2) * stride, &t2, sizeof (float) * count);
          memcpy (out + (4 * i + 3) * stride, &t3, sizeof (float) * count);
        }
      }
    }
  }
}

/* Output channel m of tile rows [tr0, tr0 + rows) from mm[xi * stride +
 * t]: y = A^T M A + bias, eight tiles at once, the two columns of each
 * tile interleaved into one output row, clipped at the output's edges. */
static inline __attribute__((always_inline)) void
wg_output_body (const OviWinograd *wg, const float *mm, int64_t stride,
    int64_t tr0, int64_t rows, float bias, float *ym)
{
  int64_t tw = (wg->ow + 1) / 2;
  for (int64_t r = 0; r < rows; r++) {
    int64_t oy = 2 * (tr0 + r);
    for (int64_t tx = 0; tx < tw; tx += 8) {
      const float *p = mm + r * tw + tx;
      int64_t count = tw - tx, width = MIN (16, wg->ow - 2 * tx);
      V8f s[2][4];
      for (int j = 0; j < 4; j++) {
        V8f m0, m1, m2, m3;
        v8_load (&m0, p + j * stride, count);
        v8_load (&m1, p + (4 + j) * stride, count);
        v8_load (&m2, p + (8 + j) * stride, count);
        v8_load (&m3, p + (12 + j) * stride, count);
        s[0][j] = m0 + m1 + m2;
        s[1][j] = m1 - m2 - m3;
      }
      for (int i = 0; i < 2 && oy + i < wg->oh; i++) {
        V8f c0 = s[i][0] + s[i][1] + s[i][2] + bias;
        V8f c1 = s[i][1] - s[i][2] - s[i][3] + bias;
        V8f a = __builtin_shufflevector (c0, c1, 0, 8, 1, 9, 2, 10, 3, 11);
        V8f b = __builtin_shufflevector (c0, c1, 4, 12, 5, 13, 6, 14, 7, 15);
        float *row = ym + (oy + i) * wg->ow + 2 * tx;
        memcpy (row, &a, sizeof (float) * MIN (width, 8));
        if (width > 8)
          memcpy (row + 8, &b, sizeof (float) * (width - 8));
      }
    }
  }
}

static void
wg_input_generic (const OviWinograd *wg, const float *xc, int64_t tr0,
    int64_t rows, float *v, int64_t stride, float *buf)
{
  wg_input_body (wg, xc, tr0, rows, v, stride, buf);
}

static void
wg_output_generic (const OviWinograd *wg, const float *mm, int64_t stride,
    int64_t tr0, int64_t rows, float bias, float *ym)
{
  wg_output_body (wg, mm, stride, tr0, rows, bias, ym);
}

#if defined(__x86_64__) || defined(__i386__)
__attribute__((target ("avx2,fma")))
static void
wg_input_avx2 (const OviWinograd *wg, const float *xc, int64_t tr0,
    int64_t rows, float *v, int64_t stride, float *buf)
{
  wg_input_body (wg, xc, tr0, rows, v, stride, buf);
}

__attribute__((target ("avx2,fma")))
static void
wg_output_avx2 (const OviWinograd *wg, const float *mm, int64_t stride,
    int64_t tr0, int64_t rows, float bias, float *ym)
{
  wg_output_body (wg, mm, stride, tr0, rows, bias, ym);
}
#define WG_AVX2 1
#else
#define WG_AVX2 0
#endif

void
ovi_winograd_run (const OviWinograd *wg, const float *packed,
    const float *x, const float *bias, const OviPostOps *ops,
    const float *res, float *y, void *scratch, int threads)
{
  int64_t tw = (wg->ow + 1) / 2, th = (wg->oh + 1) / 2;
  int64_t osize = wg->oh * wg->ow;
  gboolean post = ops && ovi_postops_any (ops);
  void (*input) (const OviWinograd *, const float *, int64_t, int64_t,
      float *, int64_t, float *) = wg_input_generic;
  void (*output) (const OviWinograd *, const float *, int64_t, int64_t,
      int64_t, float, float *) = wg_output_generic;
  WgLayout l;
  float *v = scratch, *mo;
  guint8 *gemm;

  wg_layout (wg, &l);
  mo = (float *) ((guint8 *) scratch + l.v_bytes);
  gemm = (guint8 *) scratch + l.v_bytes + l.m_bytes;
#if WG_AVX2
  if (ovi_sgemm_have_avx2 ()) {
    input = wg_input_avx2;
    output = wg_output_avx2;
  }
#endif

  OVI_PARALLEL_REGION (threads > 1 ? OVI_PARALLEL_MIN_WORK : 0, tid, nth, {
    int workers = MIN (nth, MAX (threads, 1));
    for (int64_t tr0 = 0; tr0 < th; tr0 += l.rows) {
      int64_t rows = MIN (l.rows, th - tr0), n = rows * tw;
      int64_t b0, b1, r0 = 2 * tr0, r1 = MIN (wg->oh, 2 * (tr0 + rows));
      guint8 *mine = gemm + tid * l.gemm_bytes;
      /* 1: input transform, by input channel */
      if (tid < workers) {
        float *buf = (float *) (mine + l.gemm_bytes) - 10 * wg_phase_floats (wg);
        ovi_parallel_slice (wg->c, tid, workers, &b0, &b1);
        for (int64_t c = b0; c < b1; c++)
          input (wg, x + c * wg->h * wg->w, tr0, rows, v + c * n, wg->c * n,
              buf);
      }
      ovi_parallel_barrier (nth);
      /* 2: the 16 GEMMs, by position */
      for (int xi = tid; xi < WG_POS && tid < workers; xi += workers) {
        OviSgemm gm = { .m = wg->m, .n = n, .k = wg->c, .alpha = 1.0f,
          .packed_a = (const float *) ((const guint8 *) packed
              + xi * wg_panel_bytes (wg)),
          .b = v + xi * wg->c * n, .ldb = n,
          .c = mo + xi * wg->m * n, .ldc = n };
        gm.a = gm.packed_a;
        ovi_sgemm_run (&gm, mine, 1);
      }
      ovi_parallel_barrier (nth);
      /* 3: output transform, bias and post-ops, by output channel */
      if (tid < workers) {
        ovi_parallel_slice (wg->m, tid, workers, &b0, &b1);
        for (int64_t m = b0; m < b1; m++) {
          float *ym = y + m * osize;
          output (wg, mo + m * n, wg->m * n, tr0, rows, bias ? bias[m]
              : 0.0f, ym);
          if (post)
            ovi_postops_apply (ops, ym + r0 * wg->ow, res ? res + m * osize
                + r0 * wg->ow : NULL, (r1 - r0) * wg->ow);
        }
      }
      /* the next block's input transform overwrites V and M */
      ovi_parallel_barrier (nth);
    }
  });
}
