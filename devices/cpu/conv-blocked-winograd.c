/* See conv-blocked.h: Winograd F(2x2, 3x3) and F(4x4, 3x3) between
 * blocked tensors, the 3x3 stride-1 convolutions of ResNets in the layout
 * their other convolutions run in. F(2x2)'s transforms are
 * conv-winograd.c's (V = B^T d B, U = G g G^T, Y = A^T M A); F(4x4)'s
 * take 6x6 input tiles to 4x4 outputs, 2.25 multiplies per output and
 * channel pair against F(2x2)'s 4 and the direct 9 (Lavin and Gray's
 * matrices, interpolation points 0, 1, -1, 2, -2 and infinity). Both work
 * on vectors of eight channels, and the 16 or 36 GEMMs M[xi] = U[xi]
 * V[xi] are 1x1 convolutions of the blocked kernel: the transformed
 * tiles of a channel block are stored as a blocked image whose
 * positions are the tiles, [c/8][tiles][8], and the GEMMs' results come
 * out the same way, so nothing is packed per run.
 *
 * As in conv-winograd.c, the output is computed in blocks of whole tile
 * rows small enough for the transformed tiles to stay in cache; within a
 * block the threads split the input transform by channel block, the
 * GEMMs by (position, panel of output channels), and the output
 * transform (bias, post-ops) by output channel block. */
#include <string.h>

#include "conv-blocked.h"
#include "cpu-parallel.h"
#include "cpu-sgemm.h"
#include "cpu-steal.h"
#include "cpu-store-v8.h"

#pragma GCC diagnostic ignored "-Wpsabi"

static int64_t
wgb_tile (const OviWinograd *wg)
{
  return wg->tile == 4 ? 4 : 2;
}

/* Transformed positions per tile: 16 or 36. */
static int64_t
wgb_positions (const OviWinograd *wg)
{
  return (wgb_tile (wg) + 2) * (wgb_tile (wg) + 2);
}

/* Tiles per row and column of the output. */
static int64_t
wgb_tiles_w (const OviWinograd *wg)
{
  return (wg->ow + wgb_tile (wg) - 1) / wgb_tile (wg);
}

static int64_t
wgb_tiles_h (const OviWinograd *wg)
{
  return (wg->oh + wgb_tile (wg) - 1) / wgb_tile (wg);
}

/* Tile rows per block: as F(2x2)'s plain-layout blocks (conv-winograd.c,
 * about 2 MiB of transformed input and GEMM outputs), by the positions
 * per tile. */
static int64_t
wgb_block_rows (const OviWinograd *wg)
{
  int64_t tiles = CLAMP ((int64_t) 16 * 32768 / (wgb_positions (wg)
          * MAX (wg->c + wg->m, 1)), 16, 1024);
  return CLAMP (tiles / wgb_tiles_w (wg), 1, wgb_tiles_h (wg));
}

gboolean
ovi_blocked_winograd_fits (const OviDepthwise *d, int64_t c, int64_t m,
    OviWinograd *wg)
{
  if (d->kh != 3 || d->kw != 3 || d->sh != 1 || d->sw != 1 || d->dh != 1
      || d->dw != 1 || c % OVI_BLOCK != 0 || m % OVI_BLOCK != 0)
    return FALSE;
  *wg = (OviWinograd) { .c = c, .m = m, .h = d->h, .w = d->w, .oh = d->oh,
    .ow = d->ow, .ph = d->ph, .pw = d->pw, .tile = 2 };
  return TRUE;
}

/* F(4x4, 3x3) where it has at least 7x7 tiles (ResNet-50's layer1 and
 * layer2, 56x56 and 28x28): each of its 36 transformed weight matrices,
 * 4 times the 3x3 weights together, then serves 49 tiles or more. One
 * core, ResNet-50's 3x3s against F(2x2): 56x56 1.56 -> 1.19 ms, 28x28
 * 1.38 -> 0.90 (AVX2: 1.38 -> 1.00 and 1.25 -> 0.91); at 14x14 (16 tiles)
 * 1.24 -> 1.07-1.14, but the whole model gained only 1.6 % more there
 * for 26 MB more weights. OVI_WINOGRAD_TILE=2 or 4 picks one for every
 * Winograd convolution (to compare). Read once: the run's scratch must
 * match what the node was packed for. */
static int64_t
wgb_choose_tile (const OviWinograd *wg)
{
  static gsize forced = 0;
  OviWinograd f4 = *wg;
  if (g_once_init_enter (&forced)) {
    const char *e = g_getenv ("OVI_WINOGRAD_TILE");
    g_once_init_leave (&forced, g_strcmp0 (e, "4") == 0 ? 4
        : g_strcmp0 (e, "2") == 0 ? 2 : 1);
  }
  if (forced != 1)
    return (int64_t) forced;
  f4.tile = 4;
  return wgb_tiles_h (&f4) * wgb_tiles_w (&f4) >= 49 ? 4 : 2;
}

gboolean
ovi_blocked_winograd_shape (const OviDepthwise *d, int64_t c, int64_t m,
    OviWinograd *wg)
{
  if (!ovi_winograd_enabled () || !ovi_blocked_winograd_fits (d, c, m, wg))
    return FALSE;
  /* With AVX-512 the dense kernel computes twice as fast, and below 8x8
   * outputs the 16 transformed weight matrices, each used by a handful of
   * tiles, cost more to stream than the arithmetic they save: ResNet-50's
   * 512-channel 7x7 3x3s take 2.13 ms dense against 2.65 Winograd on one
   * core, 1.2-1.4 against 1.45-1.67 on two (with AVX2, Winograd's 2.25
   * against dense's 2.9-3.6 on two). */
  if (ovi_cpu_have_avx512 () && d->oh * d->ow < 64)
    return FALSE;
  if (!ovi_winograd_worth (wg))
    return FALSE;
  wg->tile = wgb_choose_tile (wg);
  return TRUE;
}

static int64_t
wgb_panel_floats (const OviWinograd *wg)
{
  return ovi_blocked_pointwise_packed_floats (wg->c, wg->m);
}

int64_t
ovi_blocked_winograd_packed_floats (const OviWinograd *wg)
{
  /* the 16 or 36 positions' panels, then the bias */
  return wgb_positions (wg) * wgb_panel_floats (wg) + wg->m;
}

/* F(4x4, 3x3)'s G (6x3) times the column (g0, g1, g2). */
static void
wgb_g6 (double g0, double g1, double g2, double r[6])
{
  r[0] = g0 / 4;
  r[1] = -(g0 + g1 + g2) / 6;
  r[2] = -(g0 - g1 + g2) / 6;
  r[3] = g0 / 24 + g1 / 12 + g2 / 6;
  r[4] = g0 / 24 - g1 / 12 + g2 / 6;
  r[5] = g2;
}

/* U = G g G^T of each weight g of W (m x c x 3 x 3) for F(4x4, 3x3), at
 * u[(xi * m + m) * c + c] (36 m c floats), in double: G's sixths and
 * 24ths are not exact in float. */
static void
wgb_transform_weights4 (const OviWinograd *wg, const float *w, float *u)
{
  for (int64_t m = 0; m < wg->m; m++)
    for (int64_t c = 0; c < wg->c; c++) {
      const float *g = w + (m * wg->c + c) * 9;
      double t[3][6], r[6];
      /* t^T = (G g)^T, a column of g at a time */
      for (int j = 0; j < 3; j++)
        wgb_g6 (g[j], g[3 + j], g[6 + j], t[j]);
      /* U's row i = G times row i of G g */
      for (int i = 0; i < 6; i++) {
        wgb_g6 (t[0][i], t[1][i], t[2][i], r);
        for (int j = 0; j < 6; j++)
          u[((i * 6 + j) * wg->m + m) * wg->c + c] = (float) r[j];
      }
    }
}

void
ovi_blocked_winograd_pack (const OviWinograd *wg, const float *w,
    const float *bias, float *packed)
{
  int64_t pos = wgb_positions (wg);
  float *u = g_new (float, pos * wg->m * wg->c);
  if (wgb_tile (wg) == 4)
    wgb_transform_weights4 (wg, w, u);
  else
    ovi_winograd_transform_weights (wg, w, u);
  for (int64_t xi = 0; xi < pos; xi++)
    ovi_blocked_pointwise_pack (wg->c, wg->m, u + xi * wg->m * wg->c, NULL,
        packed + xi * wgb_panel_floats (wg));
  for (int64_t m = 0; m < wg->m; m++)
    packed[pos * wgb_panel_floats (wg) + m] = bias ? bias[m] : 0.0f;
  g_free (u);
}

gsize
ovi_blocked_winograd_scratch_size (const OviWinograd *wg)
{
  int64_t tiles = wgb_block_rows (wg) * wgb_tiles_w (wg);
  return sizeof (float) * wgb_positions (wg) * (wg->c + wg->m) * tiles;
}

/* The transforms, on vectors of eight channels. */
static inline __attribute__((always_inline)) void
wgb_input_tile (const V8f *d, float *v, int64_t stride)
{
  V8f r[4][4];
  for (int j = 0; j < 4; j++) {
    r[0][j] = d[j] - d[8 + j];
    r[1][j] = d[4 + j] + d[8 + j];
    r[2][j] = d[8 + j] - d[4 + j];
    r[3][j] = d[4 + j] - d[12 + j];
  }
  for (int i = 0; i < 4; i++) {
    V8f t[4] = { r[i][0] - r[i][2], r[i][1] + r[i][2], r[i][2] - r[i][1],
      r[i][1] - r[i][3] };
    for (int j = 0; j < 4; j++)
      memcpy (v + (4 * i + j) * stride, &t[j], sizeof (V8f));
  }
}

/* F(2x2, 3x3)'s output transform of the tile at p (position xi at p[xi *
 * stride]): A^T M A, row i, column j at o[2 i + j]. */
static inline __attribute__((always_inline)) void
wgb_output_tile (const float *p, int64_t stride, V8f *o)
{
  V8f s[2][4];
  for (int j = 0; j < 4; j++) {
    V8f m0 = ovi_v8_load (p + j * stride);
    V8f m1 = ovi_v8_load (p + (4 + j) * stride);
    V8f m2 = ovi_v8_load (p + (8 + j) * stride);
    V8f m3 = ovi_v8_load (p + (12 + j) * stride);
    s[0][j] = m0 + m1 + m2;
    s[1][j] = m1 - m2 - m3;
  }
  for (int i = 0; i < 2; i++) {
    o[2 * i] = s[i][0] + s[i][1] + s[i][2];
    o[2 * i + 1] = s[i][1] - s[i][2] - s[i][3];
  }
}

/* F(4x4, 3x3)'s input transform of one 6x6 tile d (row i, column j at
 * d[6 i + j]): B^T d B, position 6 i + j at
 * v[(6 i + j) * stride]. B^T's rows, on a column e0..e5:
 *   4 e0 - 5 e2 + e4,  (e4 - 4 e2) + (e3 - 4 e1),  (e4 - 4 e2) - (e3 - 4 e1),
 *   (e4 - e2) + 2 (e3 - e1),  (e4 - e2) - 2 (e3 - e1),  4 e1 - 5 e3 + e5. */
#define WGB_BT6(e, r) G_STMT_START {                                        \
    V8f a_ = (e)[4] - 4.0f * (e)[2], b_ = (e)[3] - 4.0f * (e)[1];            \
    V8f c_ = (e)[4] - (e)[2], d_ = 2.0f * ((e)[3] - (e)[1]);                 \
    (r)[0] = 4.0f * (e)[0] - 5.0f * (e)[2] + (e)[4];                         \
    (r)[1] = a_ + b_;                                                       \
    (r)[2] = a_ - b_;                                                       \
    (r)[3] = c_ + d_;                                                       \
    (r)[4] = c_ - d_;                                                       \
    (r)[5] = 4.0f * (e)[1] - 5.0f * (e)[3] + (e)[5];                         \
  } G_STMT_END

static inline __attribute__((always_inline)) void
wgb_input_tile4 (const V8f *d, float *v, int64_t stride)
{
  V8f r[6][6];
  /* columns, then rows */
  for (int j = 0; j < 6; j++) {
    V8f e[6] = { d[j], d[6 + j], d[12 + j], d[18 + j], d[24 + j], d[30 + j] };
    V8f o[6];
    WGB_BT6 (e, o);
    for (int i = 0; i < 6; i++)
      r[i][j] = o[i];
  }
  for (int i = 0; i < 6; i++) {
    V8f o[6];
    WGB_BT6 (r[i], o);
    for (int j = 0; j < 6; j++)
      memcpy (v + (6 * i + j) * stride, &o[j], sizeof (V8f));
  }
}

/* V of channel block cb for the tiles of tile rows [tr0, tr0 + rows) of
 * F(T x T, 3x3), T 2 or 4: position xi of tile t at v[xi * stride + t *
 * 8], stride = c * tiles. */
static inline __attribute__((always_inline)) void
wgb_input_body (const OviWinograd *wg, const float *x, int64_t cb,
    int64_t tr0, int64_t rows, float *v, int64_t stride, const int T)
{
  const int n = T + 2;          /* the input tile's edge */
  int64_t tw = wgb_tiles_w (wg);
  const float *xc = x + cb * wg->h * wg->w * OVI_BLOCK;
  V8f zero = { 0 };
  for (int64_t r = 0; r < rows; r++) {
    int64_t iy0 = T * (tr0 + r) - wg->ph;
    gboolean rows_in = iy0 >= 0 && iy0 + n - 1 < wg->h;
    for (int64_t tx = 0; tx < tw; tx++) {
      int64_t ix0 = T * tx - wg->pw;
      float *out = v + (r * tw + tx) * OVI_BLOCK;
      V8f d[36];                /* row i, column j at d[i * n + j] */
      if (rows_in && ix0 >= 0 && ix0 + n - 1 < wg->w) {
        for (int i = 0; i < n; i++)
          for (int j = 0; j < n; j++)
            d[i * n + j] = ovi_v8_load (xc + ((iy0 + i) * wg->w + ix0 + j)
                * OVI_BLOCK);
      } else {
        for (int i = 0; i < n; i++)
          for (int j = 0; j < n; j++) {
            int64_t iy = iy0 + i, ix = ix0 + j;
            d[i * n + j] = iy >= 0 && iy < wg->h && ix >= 0 && ix < wg->w
                ? ovi_v8_load (xc + (iy * wg->w + ix) * OVI_BLOCK) : zero;
          }
      }
      if (T == 4)
        wgb_input_tile4 (d, out, stride);
      else
        wgb_input_tile (d, out, stride);
    }
  }
}

/* A^T's rows on a column e0..e5, with s = e1 + e2, t = e1 - e2,
 * u = e3 + e4, w = e3 - e4: e0 + s + u, t + 2 w, s + 4 u, t + 8 w + e5. */
#define WGB_AT6(e, r) G_STMT_START {                                        \
    V8f s_ = (e)[1] + (e)[2], t_ = (e)[1] - (e)[2];                          \
    V8f u_ = (e)[3] + (e)[4], w_ = (e)[3] - (e)[4];                          \
    (r)[0] = (e)[0] + s_ + u_;                                              \
    (r)[1] = t_ + 2.0f * w_;                                                \
    (r)[2] = s_ + 4.0f * u_;                                                \
    (r)[3] = t_ + 8.0f * w_ + (e)[5];                                       \
  } G_STMT_END

/* F(4x4, 3x3)'s output transform of the tile at p: A^T M A, row i,
 * column j at o[4 i + j]. */
static inline __attribute__((always_inline)) void
wgb_output_tile4 (const float *p, int64_t stride, V8f *o)
{
  V8f s[4][6];
  /* columns: A^T M */
  for (int j = 0; j < 6; j++) {
    V8f e[6], r[4];
    for (int i = 0; i < 6; i++)
      e[i] = ovi_v8_load (p + (6 * i + j) * stride);
    WGB_AT6 (e, r);
    for (int i = 0; i < 4; i++)
      s[i][j] = r[i];
  }
  /* rows: (A^T M) A */
  for (int i = 0; i < 4; i++)
    WGB_AT6 (s[i], o + 4 * i);
}

/* Output channel block mb of tile rows [tr0, tr0 + rows) of F(T x T,
 * 3x3) from M (as V): y = A^T M A + bias, stored with st's post-ops (all
 * of them when at_store; the caller applies the rest), clipped at the
 * output's edges. */
static inline __attribute__((always_inline)) void
wgb_output_body (const OviWinograd *wg, const float *mo, int64_t stride,
    int64_t mb, int64_t tr0, int64_t rows, const float *bias,
    const OviV8Store *st, const float *res, float *y, const int T)
{
  int64_t tw = wgb_tiles_w (wg);
  V8f bv = ovi_v8_load (bias + mb * OVI_BLOCK), a = st->a, b = st->b;
  int64_t plane = wg->oh * wg->ow;
  for (int64_t r = 0; r < rows; r++) {
    int64_t oy = T * (tr0 + r);
    for (int64_t tx = 0; tx < tw; tx++) {
      const float *p = mo + (r * tw + tx) * OVI_BLOCK;
      V8f o[16];                /* row i, column j at o[i * T + j] */
      if (T == 4)
        wgb_output_tile4 (p, stride, o);
      else
        wgb_output_tile (p, stride, o);
      for (int i = 0; i < T && oy + i < wg->oh; i++)
        for (int j = 0; j < T && T * tx + j < wg->ow; j++) {
          int64_t at = (mb * plane + (oy + i) * wg->ow + T * tx + j)
              * OVI_BLOCK;
          ovi_v8_store_as (st->act, st->sum, a, b, o[i * T + j] + bv,
              st->sum ? res + at : NULL, y + at, OVI_BLOCK);
        }
    }
  }
}

/* The transforms, compiled for a target, for the tile wg runs. */
#define WGB_INSTANCES(SUFFIX, TARGET)                                       \
  TARGET static void                                                        \
  wgb_input_##SUFFIX (const OviWinograd *wg, const float *x, int64_t cb,    \
      int64_t tr0, int64_t rows, float *v, int64_t stride)                  \
  {                                                                         \
    if (wgb_tile (wg) == 4)                                                 \
      wgb_input_body (wg, x, cb, tr0, rows, v, stride, 4);                  \
    else                                                                    \
      wgb_input_body (wg, x, cb, tr0, rows, v, stride, 2);                  \
  }                                                                         \
  TARGET static void                                                        \
  wgb_output_##SUFFIX (const OviWinograd *wg, const float *mo,              \
      int64_t stride, int64_t mb, int64_t tr0, int64_t rows,                \
      const float *bias, const OviV8Store *st, const float *res, float *y)  \
  {                                                                         \
    if (wgb_tile (wg) == 4)                                                 \
      wgb_output_body (wg, mo, stride, mb, tr0, rows, bias, st, res, y, 4); \
    else                                                                    \
      wgb_output_body (wg, mo, stride, mb, tr0, rows, bias, st, res, y, 2); \
  }

WGB_INSTANCES (generic, )
#if defined(__x86_64__) || defined(__i386__)
WGB_INSTANCES (avx2, __attribute__((target ("avx2,fma"))))
#define WGB_AVX2 1
#else
#define WGB_AVX2 0
#endif

void
ovi_blocked_winograd_run (const OviWinograd *wg, const float *packed,
    const OviPostOps *ops, const float *x, const float *res, float *y,
    void *scratch, int threads)
{
  int64_t tile = wgb_tile (wg), pos = wgb_positions (wg);
  int64_t tw = wgb_tiles_w (wg), th = wgb_tiles_h (wg);
  int64_t block_rows = wgb_block_rows (wg);
  int64_t cblocks = wg->c / OVI_BLOCK, mblocks = wg->m / OVI_BLOCK;
  int64_t panels = ovi_blocked_pointwise_panels (wg->m);
  int64_t plane = wg->oh * wg->ow;
  const float *bias = packed + pos * wgb_panel_floats (wg);
  gboolean post = ops && ovi_postops_any (ops);
  OviV8Store st;
  gboolean at_store = ovi_v8_store_init (&st, post ? ops : NULL);
  void (*input) (const OviWinograd *, const float *, int64_t, int64_t,
      int64_t, float *, int64_t) = wgb_input_generic;
  void (*output) (const OviWinograd *, const float *, int64_t, int64_t,
      int64_t, int64_t, const float *, const OviV8Store *, const float *,
      float *) = wgb_output_generic;
  float *v = scratch;
  float *mo = v + pos * wg->c * block_rows * tw;
  /* each phase's items shared between the threads (cpu-steal.h); the
   * state of a phase is set again for the next block of rows by thread 0
   * right after the barrier that ends it: no thread reads it until that
   * phase comes round again, after two more barriers */
  int64_t group = ovi_blocked_pointwise_group ();
  int64_t groups = (panels + group - 1) / group;
  const int64_t phase_items[3] = { cblocks, pos * groups, mblocks };
  OviSteal phase[3];

#if WGB_AVX2
  if (ovi_sgemm_have_avx2 ()) {
    input = wgb_input_avx2;
    output = wgb_output_avx2;
  }
#endif

  for (int f = 0; f < 3; f++)
    ovi_steal_init (&phase[f], phase_items[f], threads);

  OVI_PARALLEL_REGION (threads > 1 ? OVI_PARALLEL_MIN_WORK : 0, tid, nth, {
    /* in a team larger than `threads` the others get no items and only
     * meet the barriers */
    for (int64_t tr0 = 0; tr0 < th; tr0 += block_rows) {
      int64_t rows = MIN (block_rows, th - tr0), n = rows * tw;
      int64_t r0 = tile * tr0, r1 = MIN (wg->oh, tile * (tr0 + rows));
      int64_t i;
      gboolean own;
      /* 1: input transform, by channel block */
      while (ovi_steal_next (&phase[0], tid, &i, &own))
        input (wg, x, i, tr0, rows, v + i * n * OVI_BLOCK, wg->c * n);
      ovi_parallel_barrier (nth);
      if (tid == 0)
        ovi_steal_init (&phase[0], phase_items[0], threads);
      /* 2: the 16 or 36 GEMMs, by (position, group of panels) */
      while (ovi_steal_next (&phase[1], tid, &i, &own)) {
        int64_t xi = i / groups, q0 = i % groups * group;
        int64_t q1 = MIN (panels, q0 + group);
        int64_t q2 = own && ovi_steal_has_more (&phase[1], tid)
            && q1 < panels ? MIN (panels, q1 + group) : q1;
        ovi_blocked_pointwise_range_ahead (wg->c, wg->m, n,
            v + xi * wg->c * n, packed + xi * wgb_panel_floats (wg), NULL,
            NULL, mo + xi * wg->m * n, q0, q1, q2, 0, n);
      }
      ovi_parallel_barrier (nth);
      if (tid == 0)
        ovi_steal_init (&phase[1], phase_items[1], threads);
      /* 3: output transform, bias and post-ops, by output channel block */
      while (ovi_steal_next (&phase[2], tid, &i, &own)) {
        output (wg, mo + i * n * OVI_BLOCK, wg->m * n, i, tr0, rows, bias,
            &st, res, y);
        if (post && !at_store)
          ovi_blocked_postops_apply (ops, y, res, plane, i, i + 1,
              r0 * wg->ow, r1 * wg->ow);
      }
      /* the next block's input transform overwrites V and M */
      ovi_parallel_barrier (nth);
      if (tid == 0)
        ovi_steal_init (&phase[2], phase_items[2], threads);
    }
  });
}
