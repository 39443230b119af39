/* AVX2 + FMA + F16C kernels of the LLM matmul (matmul.c dispatches here
 * only on CPUs that have all three).
 *
 * One token (decoding) is memory-bound: one dot product per weight row,
 * the weight blocks multiplied as stored, int8 x int8 (maddubs/madd) with
 * the activation block quants, one float multiply-add per block.
 *
 * Several tokens (prompt processing) are compute-bound: rows are taken 8
 * at a time and, 512 elements at a time, repacked into a panel where one
 * 32-byte vector holds the same few columns of all 8 rows; a tile then
 * multiplies it with 4 tokens' broadcast activations, so each loaded
 * weight vector serves 4 tokens and each broadcast activation 8 rows, and
 * the result lanes are 8 consecutive outputs of one token (one store).
 * The repacking is paid once per weight and call, shared by every token.
 * Panel kinds:
 *   U8  (Q4_0, Q4_K): unsigned 4-bit values; maddubs multiplies 4 columns
 *       x 8 rows with 4 activation bytes, and the 16-bit sums of a whole
 *       32-block cannot overflow (8 x 2 x 15 x 128 < 32768). Per row and
 *       block a float scale and a float offset coefficient (times the
 *       activation block's d * sum) restore d * (q - 8) or
 *       d * sc * q - dmin * m.
 *   I16 (Q8_0, Q6_K): 16-bit values (q, or (q - 32) * scale for Q6_K, at
 *       most 4096 in magnitude); madd multiplies 2 columns x 8 rows with 2
 *       activation int16; exact 32-bit sums, a float scale per row and
 *       block.
 *   F32 (F32, F16, BF16): floats, one column x 8 rows per vector, FMA. */
#include "matmul-impl.h"

#if OVI_LLM_HAVE_X86

#include <string.h>

#if defined(__clang__)
#pragma clang attribute push (__attribute__ ((target ("avx2,fma,f16c"))), \
    apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target ("avx2,fma,f16c")
#endif
#include <immintrin.h>

/* columns per panel chunk: 512 was 5-10% faster than 256 for 512-token
 * prompts (half the loads and stores of the output tile per column) and
 * its largest panel (floats) still fits L1 with room for activations */
#define KC 512
#define TOKENS 4               /* tokens per tile */
#define ACT_BLOCK_BYTES (512 * 1024)   /* activations per token block */
#define ACT_BLOCK_MIN 64               /* tokens per block at least */

typedef struct {
  /* U8: [block][8 groups of 4 columns][8 rows][4 bytes];
   * I16: [block][16 groups of 2 columns][8 rows][2 int16];
   * F32: [column][8 rows] floats */
  _Alignas (32) guint8 vals[KC * 8 * 4];
  _Alignas (32) float scale[KC / OVI_QK][8];
  _Alignas (32) float offs[KC / OVI_QK][8];
} Panel;

static inline float
half (OviFp16 h)
{
  return _cvtsh_ss (h);
}

static inline float
hsum (__m256 v)
{
  __m128 s = _mm_add_ps (_mm256_castps256_ps128 (v),
      _mm256_extractf128_ps (v, 1));
  s = _mm_add_ps (s, _mm_movehl_ps (s, s));
  s = _mm_add_ss (s, _mm_movehdup_ps (s));
  return _mm_cvtss_f32 (s);
}

static inline __m256i
load_nibbles (const uint8_t *qs16)
{
  /* 16 bytes of packed nibbles -> 32 bytes: low nibbles first */
  __m128i v = _mm_loadu_si128 ((const __m128i *) qs16);
  return _mm256_and_si256 (_mm256_set_m128i (_mm_srli_epi16 (v, 4), v),
      _mm256_set1_epi8 (15));
}

/* Rows -> columns: r[i] holds 8 dwords of row i; afterwards r[g] holds
 * dword g of rows 0..7. */
static inline void
transpose8 (__m256i r[8])
{
  __m256i a[8], b[8];
  for (int i = 0; i < 8; i += 2) {
    a[i] = _mm256_unpacklo_epi32 (r[i], r[i + 1]);
    a[i + 1] = _mm256_unpackhi_epi32 (r[i], r[i + 1]);
  }
  for (int i = 0; i < 8; i += 4) {
    b[i] = _mm256_unpacklo_epi64 (a[i], a[i + 2]);
    b[i + 1] = _mm256_unpackhi_epi64 (a[i], a[i + 2]);
    b[i + 2] = _mm256_unpacklo_epi64 (a[i + 1], a[i + 3]);
    b[i + 3] = _mm256_unpackhi_epi64 (a[i + 1], a[i + 3]);
  }
  for (int i = 0; i < 4; i++) {
    r[i] = _mm256_permute2x128_si256 (b[i], b[i + 4], 0x20);
    r[i + 4] = _mm256_permute2x128_si256 (b[i], b[i + 4], 0x31);
  }
}

/* ---- activation quantization ---- */

void
ovi_llm_avx2_quantize_row (const float *x, const OviLlmActLayout *l,
    void *rec)
{
  float *d = rec;
  float *ds = (float *) ((guint8 *) rec + l->off_ds);
  int8_t *q = (int8_t *) ((guint8 *) rec + l->off_q);
  int16_t *q16 = (int16_t *) ((guint8 *) rec + l->off_q16);
  const __m256 sign = _mm256_set1_ps (-0.0f);

  for (gsize b = 0; b < l->nb; b++) {
    const float *xb = x + b * OVI_QK;
    __m256 v0 = _mm256_loadu_ps (xb), v1 = _mm256_loadu_ps (xb + 8);
    __m256 v2 = _mm256_loadu_ps (xb + 16), v3 = _mm256_loadu_ps (xb + 24);
    __m256 m = _mm256_max_ps (
        _mm256_max_ps (_mm256_andnot_ps (sign, v0), _mm256_andnot_ps (sign,
                v1)), _mm256_max_ps (_mm256_andnot_ps (sign, v2),
            _mm256_andnot_ps (sign, v3)));
    __m128 m4 = _mm_max_ps (_mm256_castps256_ps128 (m),
        _mm256_extractf128_ps (m, 1));
    float amax, id;
    __m256 vid;
    __m256i i0, i1, i2, i3, s, p01, p23;
    __m128i s4;

    m4 = _mm_max_ps (m4, _mm_movehl_ps (m4, m4));
    m4 = _mm_max_ss (m4, _mm_movehdup_ps (m4));
    amax = _mm_cvtss_f32 (m4);
    d[b] = amax / 127;
    id = d[b] != 0 ? 1.0f / d[b] : 0.0f;
    vid = _mm256_set1_ps (id);
    /* cvtps2dq rounds to nearest even: the scalar path uses nearbyintf */
    i0 = _mm256_cvtps_epi32 (_mm256_mul_ps (v0, vid));
    i1 = _mm256_cvtps_epi32 (_mm256_mul_ps (v1, vid));
    i2 = _mm256_cvtps_epi32 (_mm256_mul_ps (v2, vid));
    i3 = _mm256_cvtps_epi32 (_mm256_mul_ps (v3, vid));
    s = _mm256_add_epi32 (_mm256_add_epi32 (i0, i1), _mm256_add_epi32 (i2,
            i3));
    s4 = _mm_add_epi32 (_mm256_castsi256_si128 (s),
        _mm256_extracti128_si256 (s, 1));
    s4 = _mm_hadd_epi32 (s4, s4);
    s4 = _mm_hadd_epi32 (s4, s4);
    ds[b] = d[b] * (float) _mm_cvtsi128_si32 (s4);
    /* packs work per 128-bit lane: fix the order afterwards */
    p01 = _mm256_packs_epi32 (i0, i1);
    p23 = _mm256_packs_epi32 (i2, i3);
    _mm256_storeu_si256 ((__m256i *) (q + b * OVI_QK),
        _mm256_permutevar8x32_epi32 (_mm256_packs_epi16 (p01, p23),
            _mm256_setr_epi32 (0, 4, 1, 5, 2, 6, 3, 7)));
    if (l->has16) {
      _mm256_storeu_si256 ((__m256i *) (q16 + b * OVI_QK),
          _mm256_permute4x64_epi64 (p01, 0xd8));
      _mm256_storeu_si256 ((__m256i *) (q16 + b * OVI_QK + 16),
          _mm256_permute4x64_epi64 (p23, 0xd8));
    }
  }
}

/* ---- one row times one token ---- */

static float
dot_f32 (const float *w, const float *x, gsize n)
{
  __m256 a0 = _mm256_setzero_ps (), a1 = a0, a2 = a0, a3 = a0;
  gsize i = 0;
  float tail = 0;
  for (; i + 32 <= n; i += 32) {
    a0 = _mm256_fmadd_ps (_mm256_loadu_ps (w + i), _mm256_loadu_ps (x + i),
        a0);
    a1 = _mm256_fmadd_ps (_mm256_loadu_ps (w + i + 8),
        _mm256_loadu_ps (x + i + 8), a1);
    a2 = _mm256_fmadd_ps (_mm256_loadu_ps (w + i + 16),
        _mm256_loadu_ps (x + i + 16), a2);
    a3 = _mm256_fmadd_ps (_mm256_loadu_ps (w + i + 24),
        _mm256_loadu_ps (x + i + 24), a3);
  }
  for (; i + 8 <= n; i += 8)
    a0 = _mm256_fmadd_ps (_mm256_loadu_ps (w + i), _mm256_loadu_ps (x + i),
        a0);
  for (; i < n; i++)
    tail += w[i] * x[i];
  return hsum (_mm256_add_ps (_mm256_add_ps (a0, a1), _mm256_add_ps (a2,
              a3))) + tail;
}

static inline __m256
load_f16 (const guint8 *p)
{
  return _mm256_cvtph_ps (_mm_loadu_si128 ((const __m128i *) p));
}

static inline __m256
load_bf16 (const guint8 *p)
{
  return _mm256_castsi256_ps (_mm256_slli_epi32 (_mm256_cvtepu16_epi32
          (_mm_loadu_si128 ((const __m128i *) p)), 16));
}

#define DEFINE_DOT_HALF(name, load, scalar_conv, HT)                        \
  static float                                                              \
  name (const guint8 *w, const float *x, gsize n)                           \
  {                                                                         \
    __m256 a0 = _mm256_setzero_ps (), a1 = a0, a2 = a0, a3 = a0;            \
    gsize i = 0;                                                            \
    float tail = 0;                                                         \
    for (; i + 32 <= n; i += 32) {                                          \
      a0 = _mm256_fmadd_ps (load (w + 2 * i), _mm256_loadu_ps (x + i), a0); \
      a1 = _mm256_fmadd_ps (load (w + 2 * i + 16),                          \
          _mm256_loadu_ps (x + i + 8), a1);                                 \
      a2 = _mm256_fmadd_ps (load (w + 2 * i + 32),                          \
          _mm256_loadu_ps (x + i + 16), a2);                                \
      a3 = _mm256_fmadd_ps (load (w + 2 * i + 48),                          \
          _mm256_loadu_ps (x + i + 24), a3);                                \
    }                                                                       \
    for (; i + 8 <= n; i += 8)                                              \
      a0 = _mm256_fmadd_ps (load (w + 2 * i), _mm256_loadu_ps (x + i), a0); \
    for (; i < n; i++) {                                                    \
      HT h;                                                                 \
      memcpy (&h, w + 2 * i, 2);                                            \
      tail += scalar_conv (h) * x[i];                                       \
    }                                                                       \
    return hsum (_mm256_add_ps (_mm256_add_ps (a0, a1),                     \
            _mm256_add_ps (a2, a3))) + tail;                                \
  }

DEFINE_DOT_HALF (dot_f16, load_f16, ovi_llm_fp16_to_fp32, OviFp16)
DEFINE_DOT_HALF (dot_bf16, load_bf16, ovi_llm_bf16_to_fp32, OviBf16)

/* Signed int8 x int8 as ggml does it: |w| is unsigned, the sign moves to
 * x (|w| <= 128, |x| <= 127: no 16-bit saturation). */
static inline __m256i
dot_s8 (__m256i w, __m256i x)
{
  return _mm256_madd_epi16 (_mm256_maddubs_epi16 (_mm256_abs_epi8 (w),
          _mm256_sign_epi8 (x, w)), _mm256_set1_epi16 (1));
}

/* The fp16 scales of 8 consecutive blocks (18 or 34 bytes apart) as
 * floats: inserted into one vector in registers (8 small stores and a
 * wide reload would stall on store forwarding). */
#define BLOCK_SCALES(w, b)                                                  \
  _mm256_cvtph_ps (_mm_setr_epi16 ((short) (w)[(b)].d,                      \
          (short) (w)[(b) + 1].d, (short) (w)[(b) + 2].d,                   \
          (short) (w)[(b) + 3].d, (short) (w)[(b) + 4].d,                   \
          (short) (w)[(b) + 5].d, (short) (w)[(b) + 6].d,                   \
          (short) (w)[(b) + 7].d))

/* Lane j of s broadcast, with lo / hi the low / high half of s in both
 * halves: two shuffles per 8 lanes and one per lane, all in registers
 * (a store and 8 broadcast reloads stalled on store forwarding: +20% for
 * Q4_K without them). */
#define LANES_LO_HI(s, lo, hi)                                              \
  do {                                                                      \
    (lo) = _mm256_permute2f128_ps ((s), (s), 0x00);                         \
    (hi) = _mm256_permute2f128_ps ((s), (s), 0x11);                         \
  } while (0)
#define LANE0(h) _mm256_shuffle_ps ((h), (h), 0x00)
#define LANE1(h) _mm256_shuffle_ps ((h), (h), 0x55)
#define LANE2(h) _mm256_shuffle_ps ((h), (h), 0xaa)
#define LANE3(h) _mm256_shuffle_ps ((h), (h), 0xff)

#define Q8_PAIR(j, s0, s1)                                                  \
  do {                                                                      \
    __m256i i0_ = dot_s8 (_mm256_loadu_si256 ((const __m256i *)             \
            w[b + (j)].qs), _mm256_loadu_si256 ((const __m256i *) (q        \
                + (b + (j)) * OVI_QK)));                                    \
    __m256i i1_ = dot_s8 (_mm256_loadu_si256 ((const __m256i *)             \
            w[b + (j) + 1].qs), _mm256_loadu_si256 ((const __m256i *) (q    \
                + (b + (j) + 1) * OVI_QK)));                                \
    a0 = _mm256_fmadd_ps (_mm256_cvtepi32_ps (i0_), (s0), a0);              \
    a1 = _mm256_fmadd_ps (_mm256_cvtepi32_ps (i1_), (s1), a1);              \
  } while (0)

static float
dot_q8_0 (const OviBlockQ8_0 *w, const float *d, const int8_t *q, gsize nb)
{
  __m256 a0 = _mm256_setzero_ps (), a1 = a0;
  gsize b = 0;
  float tail = 0;
  for (; b + 8 <= nb; b += 8) {
    __m256 s = _mm256_mul_ps (BLOCK_SCALES (w, b), _mm256_loadu_ps (d + b));
    __m256 lo, hi;
    LANES_LO_HI (s, lo, hi);
    Q8_PAIR (0, LANE0 (lo), LANE1 (lo));
    Q8_PAIR (2, LANE2 (lo), LANE3 (lo));
    Q8_PAIR (4, LANE0 (hi), LANE1 (hi));
    Q8_PAIR (6, LANE2 (hi), LANE3 (hi));
  }
  for (; b < nb; b++) {
    __m256i i0 = dot_s8 (_mm256_loadu_si256 ((const __m256i *) w[b].qs),
        _mm256_loadu_si256 ((const __m256i *) (q + b * OVI_QK)));
    tail += hsum (_mm256_cvtepi32_ps (i0)) * half (w[b].d) * d[b];
  }
  return hsum (_mm256_add_ps (a0, a1)) + tail;
}

/* Nibbles are unsigned: maddubs takes them as they are, and the -8 comes
 * back once per 8 blocks as -8 * dw * (d * sum) of the activation. */
static inline __m256
dot_q4_block (const OviBlockQ4_0 *w, const int8_t *q)
{
  __m256i p = _mm256_maddubs_epi16 (load_nibbles (w->qs),
      _mm256_loadu_si256 ((const __m256i *) q));
  return _mm256_cvtepi32_ps (_mm256_madd_epi16 (p, _mm256_set1_epi16 (1)));
}

#define Q4_PAIR(j, s0, s1)                                                  \
  do {                                                                      \
    a0 = _mm256_fmadd_ps (dot_q4_block (w + b + (j), q + (b + (j))          \
            * OVI_QK), (s0), a0);                                           \
    a1 = _mm256_fmadd_ps (dot_q4_block (w + b + (j) + 1, q + (b + (j) + 1)  \
            * OVI_QK), (s1), a1);                                           \
  } while (0)

/* Q4_0 rows as stored (weights not repacked). */
static float
dot_q4_0 (const OviBlockQ4_0 *w, const float *d, const float *ds,
    const int8_t *q, gsize nb)
{
  __m256 a0 = _mm256_setzero_ps (), a1 = a0, off = a0;
  gsize b = 0;
  float tail = 0;
  for (; b + 8 <= nb; b += 8) {
    __m256 dw = BLOCK_SCALES (w, b);
    __m256 s = _mm256_mul_ps (dw, _mm256_loadu_ps (d + b));
    __m256 lo, hi;
    off = _mm256_fmadd_ps (dw, _mm256_loadu_ps (ds + b), off);
    LANES_LO_HI (s, lo, hi);
    Q4_PAIR (0, LANE0 (lo), LANE1 (lo));
    Q4_PAIR (2, LANE2 (lo), LANE3 (lo));
    Q4_PAIR (4, LANE0 (hi), LANE1 (hi));
    Q4_PAIR (6, LANE2 (hi), LANE3 (hi));
  }
  for (; b < nb; b++) {
    float dwb = half (w[b].d);
    tail += hsum (dot_q4_block (w + b, q + b * OVI_QK)) * dwb * d[b]
        - 8 * dwb * ds[b];
  }
  return hsum (_mm256_add_ps (a0, a1)) - 8 * hsum (off) + tail;
}

/* All 8 six-bit scales and mins of a Q4_K block at once, 8 bytes each
 * (sub-block j in byte j), with 32-bit word operations on the 12 packed
 * bytes (layout in quants.h): for j < 4 the low 6 bits of bytes j and
 * j + 4; for j >= 4 the nibbles of byte j + 4 with bits 6-7 of bytes j - 4
 * (scales) and j (mins) as bits 4-5. */
static inline void
q4k_scales_mins (const uint8_t s[12], uint64_t *sc, uint64_t *m)
{
  uint32_t a, b, c;
  memcpy (&a, s, 4);
  memcpy (&b, s + 4, 4);
  memcpy (&c, s + 8, 4);
  *sc = (a & 0x3f3f3f3fu) | (uint64_t) ((c & 0x0f0f0f0fu) | ((a >> 2)
          & 0x30303030u)) << 32;
  *m = (b & 0x3f3f3f3fu) | (uint64_t) (((c >> 4) & 0x0f0f0f0fu) | ((b >> 2)
          & 0x30303030u)) << 32;
}

static inline __m256
u8x8_to_ps (uint64_t v)
{
  return _mm256_cvtepi32_ps (_mm256_cvtepu8_epi32 (_mm_cvtsi64_si128
          ((long long) v)));
}

/* Sub-blocks 2p and 2p + 1 of super-block i: their 64 quants are the low
 * and high nibbles of one 32-byte vector; s0, s1: their float scales
 * (times the activation scales) broadcast. */
#define Q4K_PAIR(p, s0, s1)                                                 \
  do {                                                                      \
    gsize b_ = 8 * i + 2 * (p);                                             \
    __m256i v_ = _mm256_loadu_si256 ((const __m256i *) (w[i].qs + 32 * (p))); \
    __m256i i0_ = _mm256_madd_epi16 (_mm256_maddubs_epi16 (                 \
            _mm256_and_si256 (v_, m4), _mm256_loadu_si256 ((const __m256i *) \
                (q + b_ * OVI_QK))), ones);                                 \
    __m256i i1_ = _mm256_madd_epi16 (_mm256_maddubs_epi16 (                 \
            _mm256_and_si256 (_mm256_srli_epi16 (v_, 4), m4),               \
            _mm256_loadu_si256 ((const __m256i *) (q + (b_ + 1) * OVI_QK))), \
        ones);                                                              \
    a0 = _mm256_fmadd_ps (_mm256_cvtepi32_ps (i0_), (s0), a0);              \
    a1 = _mm256_fmadd_ps (_mm256_cvtepi32_ps (i1_), (s1), a1);              \
  } while (0)

static float
dot_q4_k (const OviBlockQ4_K *w, const float *d, const float *ds,
    const int8_t *q, gsize nb)
{
  __m256 a0 = _mm256_setzero_ps (), a1 = a0, mins = a0;
  const __m256i m4 = _mm256_set1_epi8 (15), ones = _mm256_set1_epi16 (1);
  for (gsize i = 0; i < nb / 8; i++) {
    uint64_t sc, m;
    __m256 dd = _mm256_set1_ps (half (w[i].d));
    __m256 dmin = _mm256_set1_ps (half (w[i].dmin));
    __m256 s8, lo, hi;
    q4k_scales_mins (w[i].scales, &sc, &m);
    /* the 8 sub-blocks' d * sc times their activation scales, and the
     * mins: dmin * m times each activation block's d * sum */
    s8 = _mm256_mul_ps (_mm256_mul_ps (dd, u8x8_to_ps (sc)),
        _mm256_loadu_ps (d + 8 * i));
    mins = _mm256_fmadd_ps (_mm256_mul_ps (dmin, u8x8_to_ps (m)),
        _mm256_loadu_ps (ds + 8 * i), mins);
    LANES_LO_HI (s8, lo, hi);
    Q4K_PAIR (0, LANE0 (lo), LANE1 (lo));
    Q4K_PAIR (1, LANE2 (lo), LANE3 (lo));
    Q4K_PAIR (2, LANE0 (hi), LANE1 (hi));
    Q4K_PAIR (3, LANE2 (hi), LANE3 (hi));
  }
  return hsum (_mm256_sub_ps (_mm256_add_ps (a0, a1), mins));
}

/* The 6-bit values of 32-element chunk c (0..7) of a Q6_K block, 0..63. */
static inline __m256i
q6_chunk (const OviBlockQ6_K *w, int c)
{
  int h = c / 4, quarter = c % 4;
  __m256i lo = _mm256_loadu_si256 ((const __m256i *) (w->ql + 64 * h
          + 32 * (quarter & 1)));
  __m256i hb = _mm256_loadu_si256 ((const __m256i *) (w->qh + 32 * h));
  __m128i sl = _mm_cvtsi32_si128 (quarter >= 2 ? 4 : 0);
  __m128i sh = _mm_cvtsi32_si128 (2 * quarter);
  lo = _mm256_and_si256 (_mm256_srl_epi16 (lo, sl), _mm256_set1_epi8 (15));
  hb = _mm256_and_si256 (_mm256_srl_epi16 (hb, sh), _mm256_set1_epi8 (3));
  return _mm256_or_si256 (lo, _mm256_slli_epi16 (hb, 4));
}

/* Per half of 128 elements, ql and qh are loaded once and give the four
 * 32-element chunks by shifts and masks; the 16 int8 scales of a block
 * are widened once and each chunk's pair (one per 16 elements, i.e. per
 * 128-bit lane) comes out with one byte shuffle. */
static float
dot_q6_k (const OviBlockQ6_K *w, const float *d, const int8_t *q, gsize nb)
{
  __m256 a0 = _mm256_setzero_ps (), a1 = a0;
  const __m256i c32 = _mm256_set1_epi8 (32), m4 = _mm256_set1_epi8 (15);
  const __m256i m30 = _mm256_set1_epi8 (0x30);
  /* chunk c % 4: int16 scale 2c % 8 in the low lane, 2c % 8 + 1 in the
   * high lane, as byte indices into an 8-scale lane */
  const __m256i pick[4] = {
    _mm256_setr_epi8 (0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1,
        2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3),
    _mm256_setr_epi8 (4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 4, 5,
        6, 7, 6, 7, 6, 7, 6, 7, 6, 7, 6, 7, 6, 7, 6, 7),
    _mm256_setr_epi8 (8, 9, 8, 9, 8, 9, 8, 9, 8, 9, 8, 9, 8, 9, 8, 9,
        10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 10, 11),
    _mm256_setr_epi8 (12, 13, 12, 13, 12, 13, 12, 13, 12, 13, 12, 13, 12,
        13, 12, 13, 14, 15, 14, 15, 14, 15, 14, 15, 14, 15, 14, 15, 14, 15,
        14, 15)
  };
  for (gsize i = 0; i < nb / 8; i++) {
    __m256i sc16 = _mm256_cvtepi8_epi16 (_mm_loadu_si128 ((const __m128i *)
            w[i].scales));
    __m256 s8 = _mm256_mul_ps (_mm256_set1_ps (half (w[i].d)),
        _mm256_loadu_ps (d + 8 * i)), lo, hi;
    LANES_LO_HI (s8, lo, hi);
#pragma GCC unroll 2
    for (int h = 0; h < 2; h++) {
      __m256i ql0 = _mm256_loadu_si256 ((const __m256i *) (w[i].ql + 64 * h));
      __m256i ql1 = _mm256_loadu_si256 ((const __m256i *) (w[i].ql + 64 * h
              + 32));
      __m256i qh = _mm256_loadu_si256 ((const __m256i *) (w[i].qh + 32 * h));
      /* scales 8h .. 8h + 7 in both lanes */
      __m256i scl = h ? _mm256_permute2x128_si256 (sc16, sc16, 0x11)
          : _mm256_permute2x128_si256 (sc16, sc16, 0x00);
      __m256i v[4];
      /* bits 4-5 of each byte: the qh bit pair of each quarter (16-bit
       * shifts; the mask keeps only bits that stayed in their byte) */
      v[0] = _mm256_or_si256 (_mm256_and_si256 (ql0, m4),
          _mm256_and_si256 (_mm256_slli_epi16 (qh, 4), m30));
      v[1] = _mm256_or_si256 (_mm256_and_si256 (ql1, m4),
          _mm256_and_si256 (_mm256_slli_epi16 (qh, 2), m30));
      v[2] = _mm256_or_si256 (_mm256_and_si256 (_mm256_srli_epi16 (ql0, 4),
              m4), _mm256_and_si256 (qh, m30));
      v[3] = _mm256_or_si256 (_mm256_and_si256 (_mm256_srli_epi16 (ql1, 4),
              m4), _mm256_and_si256 (_mm256_srli_epi16 (qh, 2), m30));
#pragma GCC unroll 4
      for (int k = 0; k < 4; k++) {
        int c = 4 * h + k;
        gsize b = 8 * i + c;
        __m256i x = _mm256_loadu_si256 ((const __m256i *) (q + b * OVI_QK));
        /* (q - 32) * x as q * x - 32 * x: both fit 16 bits, so does the
         * difference */
        __m256i p = _mm256_sub_epi16 (_mm256_maddubs_epi16 (v[k], x),
            _mm256_maddubs_epi16 (c32, x));
        __m256 f = _mm256_cvtepi32_ps (_mm256_madd_epi16 (p,
                _mm256_shuffle_epi8 (scl, pick[k])));
        /* lane c of s8, in registers (see LANES_LO_HI) */
        __m256 sc = _mm256_permutevar_ps (h ? hi : lo, _mm256_set1_epi32 (k));
        if (k & 1)
          a1 = _mm256_fmadd_ps (f, sc, a1);
        else
          a0 = _mm256_fmadd_ps (f, sc, a0);
      }
    }
  }
  return hsum (_mm256_add_ps (a0, a1));
}

static void
rows_dot (const OviLlmWeight *w, const void *qx, const OviLlmActLayout *l,
    gsize n_tokens, float *y, gsize y_stride, gsize row_begin, gsize row_end)
{
  for (gsize r = row_begin; r < row_end; r++) {
    const guint8 *row = (const guint8 *) w->data + r * w->row_bytes;
    for (gsize t = 0; t < n_tokens; t++) {
      const float *x = (const float *) ((const guint8 *) qx + t * l->stride);
      float v = 0;
      switch (w->type) {
        case OVI_GGML_TYPE_F32:
          v = dot_f32 ((const float *) row, x, w->n_in);
          break;
        case OVI_GGML_TYPE_F16:
          v = dot_f16 (row, x, w->n_in);
          break;
        case OVI_GGML_TYPE_BF16:
          v = dot_bf16 (row, x, w->n_in);
          break;
        case OVI_GGML_TYPE_Q8_0:
          v = dot_q8_0 ((const OviBlockQ8_0 *) row, ovi_llm_act_d (qx, l, t),
              ovi_llm_act_q (qx, l, t), l->nb);
          break;
        case OVI_GGML_TYPE_Q4_0:
          v = dot_q4_0 ((const OviBlockQ4_0 *) row, ovi_llm_act_d (qx, l, t),
              ovi_llm_act_ds (qx, l, t), ovi_llm_act_q (qx, l, t), l->nb);
          break;
        case OVI_GGML_TYPE_Q4_K:
          v = dot_q4_k ((const OviBlockQ4_K *) row, ovi_llm_act_d (qx, l, t),
              ovi_llm_act_ds (qx, l, t), ovi_llm_act_q (qx, l, t), l->nb);
          break;
        case OVI_GGML_TYPE_Q6_K:
          v = dot_q6_k ((const OviBlockQ6_K *) row, ovi_llm_act_d (qx, l, t),
              ovi_llm_act_q (qx, l, t), l->nb);
          break;
        default:
          break;
      }
      y[t * y_stride + r] = v;
    }
  }
}

/* One token times the 8 rows of a repacked Q4_0 group (matmul-impl.h):
 * per block, 4 weight vectors give 8 unsigned nibble vectors of 8 rows x
 * 4 columns, each multiplied with 4 broadcast activation bytes; the
 * 16-bit sums of a block cannot overflow (8 x 2 x 15 x 127 < 32768) and
 * one madd, convert and FMA finish the 8 rows at once: about a quarter of
 * the vector work per weight byte of a row-by-row dot. */
static inline __m256
dot_q4x8_group (const guint8 *grp, gsize nb, const float *d, const float *ds,
    const int8_t *q)
{
  const __m256i m4 = _mm256_set1_epi8 (15), ones = _mm256_set1_epi16 (1);
  __m256 acc = _mm256_setzero_ps (), off = acc;

  for (gsize b = 0; b < nb; b++) {
    const guint8 *v = ovi_llm_q4x8_qs (grp, b);
    const int8_t *x = q + OVI_QK * b;
    __m256 dw = _mm256_cvtph_ps (_mm_load_si128 ((const __m128i *)
            ovi_llm_q4x8_d (grp, b)));
    __m256i s = _mm256_setzero_si256 ();
#pragma GCC unroll 4
    for (int k = 0; k < 4; k++) {
      __m256i wv = _mm256_load_si256 ((const __m256i *) (v + 32 * k));
      int32_t xl, xh;
      memcpy (&xl, x + 4 * k, 4);
      memcpy (&xh, x + 16 + 4 * k, 4);
      s = _mm256_add_epi16 (s, _mm256_maddubs_epi16 (_mm256_and_si256 (wv,
                  m4), _mm256_set1_epi32 (xl)));
      s = _mm256_add_epi16 (s, _mm256_maddubs_epi16 (_mm256_and_si256
              (_mm256_srli_epi16 (wv, 4), m4), _mm256_set1_epi32 (xh)));
    }
    acc = _mm256_fmadd_ps (_mm256_cvtepi32_ps (_mm256_madd_epi16 (s, ones)),
        _mm256_mul_ps (dw, _mm256_broadcast_ss (d + b)), acc);
    off = _mm256_fmadd_ps (dw, _mm256_broadcast_ss (ds + b), off);
  }
  return _mm256_fnmadd_ps (_mm256_set1_ps (8), off, acc);
}

/* Sub-block byte sh / 8 of each row's scale (or min) word x, as floats:
 * the shift is a vector count (srlv) so that it need not be an immediate
 * at -O0. */
static inline __m256
byte_ps (__m256i x, int sh)
{
  return _mm256_cvtepi32_ps (_mm256_and_si256 (_mm256_srlv_epi32 (x,
              _mm256_set1_epi32 (sh)), _mm256_set1_epi32 (0xff)));
}

/* The 8 rows' scales and mins of a repacked Q4_K super-block, decoded with
 * the word operations of q4k_scales_mins on 8 rows at once: sc_lo / m_lo
 * hold sub-blocks 0-3 (one byte each), sc_hi / m_hi sub-blocks 4-7. */
static inline void
q4kx8_scales (const guint8 *sb, __m256i *sc_lo, __m256i *sc_hi,
    __m256i *m_lo, __m256i *m_hi)
{
  __m256i a = _mm256_load_si256 ((const __m256i *) (sb + 32));
  __m256i b = _mm256_load_si256 ((const __m256i *) (sb + 64));
  __m256i c = _mm256_load_si256 ((const __m256i *) (sb + 96));
  __m256i m3f = _mm256_set1_epi32 (0x3f3f3f3f);
  __m256i m0f = _mm256_set1_epi32 (0x0f0f0f0f);
  __m256i m30 = _mm256_set1_epi32 (0x30303030);
  *sc_lo = _mm256_and_si256 (a, m3f);
  *m_lo = _mm256_and_si256 (b, m3f);
  *sc_hi = _mm256_or_si256 (_mm256_and_si256 (c, m0f),
      _mm256_and_si256 (_mm256_srli_epi32 (a, 2), m30));
  *m_hi = _mm256_or_si256 (_mm256_and_si256 (_mm256_srli_epi32 (c, 4), m0f),
      _mm256_and_si256 (_mm256_srli_epi32 (b, 2), m30));
}

/* One token times the 8 rows of a repacked Q4_K group: per sub-block pair,
 * 8 weight vectors give the two sub-blocks' nibbles for 8 rows x 4
 * columns each (16-bit sums cannot overflow: 8 x 2 x 15 x 127 < 32768),
 * then per sub-block one madd, convert and FMA with the 8 rows' d * sc
 * and one FMA for the mins. */
static inline __m256
dot_q4kx8_group (const guint8 *grp, gsize n_super, const float *d,
    const float *ds, const int8_t *q)
{
  const __m256i m4 = _mm256_set1_epi8 (15), ones = _mm256_set1_epi16 (1);
  __m256 acc = _mm256_setzero_ps (), off = acc;

  for (gsize s = 0; s < n_super; s++) {
    const guint8 *sb = grp + s * OVI_LLM_Q4KX8_BYTES;
    __m256 dd = _mm256_cvtph_ps (_mm_load_si128 ((const __m128i *) sb));
    __m256 dm = _mm256_cvtph_ps (_mm_load_si128 ((const __m128i *) (sb
                + 16)));
    __m256i sc_lo, sc_hi, m_lo, m_hi;
    q4kx8_scales (sb, &sc_lo, &sc_hi, &m_lo, &m_hi);
    for (int p = 0; p < 4; p++) {
      const guint8 *v = sb + 128 + 256 * p;
      const int8_t *x0 = q + OVI_QK * (8 * s + 2 * p), *x1 = x0 + OVI_QK;
      __m256i se = _mm256_setzero_si256 (), so = se;
      __m256i scw = p < 2 ? sc_lo : sc_hi, mw = p < 2 ? m_lo : m_hi;
      int sh = 16 * (p & 1);
      gsize b = 8 * s + 2 * p;
#pragma GCC unroll 8
      for (int k = 0; k < 8; k++) {
        __m256i wv = _mm256_load_si256 ((const __m256i *) (v + 32 * k));
        int32_t xe, xo;
        memcpy (&xe, x0 + 4 * k, 4);
        memcpy (&xo, x1 + 4 * k, 4);
        se = _mm256_add_epi16 (se, _mm256_maddubs_epi16 (_mm256_and_si256
                (wv, m4), _mm256_set1_epi32 (xe)));
        so = _mm256_add_epi16 (so, _mm256_maddubs_epi16 (_mm256_and_si256
                (_mm256_srli_epi16 (wv, 4), m4), _mm256_set1_epi32 (xo)));
      }
      acc = _mm256_fmadd_ps (_mm256_cvtepi32_ps (_mm256_madd_epi16 (se,
                  ones)), _mm256_mul_ps (_mm256_mul_ps (dd, byte_ps (scw,
                      sh)), _mm256_broadcast_ss (d + b)), acc);
      acc = _mm256_fmadd_ps (_mm256_cvtepi32_ps (_mm256_madd_epi16 (so,
                  ones)), _mm256_mul_ps (_mm256_mul_ps (dd, byte_ps (scw,
                      sh + 8)), _mm256_broadcast_ss (d + b + 1)), acc);
      off = _mm256_fmadd_ps (_mm256_mul_ps (dm, byte_ps (mw, sh)),
          _mm256_broadcast_ss (ds + b), off);
      off = _mm256_fmadd_ps (_mm256_mul_ps (dm, byte_ps (mw, sh + 8)),
          _mm256_broadcast_ss (ds + b + 1), off);
    }
  }
  return _mm256_sub_ps (acc, off);
}

/* Lanes lo .. hi - 1 set. */
static inline __m256i
lane_mask (int lo, int hi)
{
  __m256i i = _mm256_setr_epi32 (0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_andnot_si256 (_mm256_cmpgt_epi32 (_mm256_set1_epi32 (lo), i),
      _mm256_cmpgt_epi32 (_mm256_set1_epi32 (hi), i));
}

static void
rows_dot_packed (const OviLlmWeight *w, const void *qx,
    const OviLlmActLayout *l, gsize n_tokens, float *y, gsize y_stride,
    gsize row_begin, gsize row_end)
{
  gsize gb = ovi_llm_packed_group_bytes (w->type, l->nb);
  for (gsize g = row_begin / 8; g * 8 < row_end; g++) {
    const guint8 *grp = (const guint8 *) w->packed + g * gb;
    gsize r0 = 8 * g;
    int lo = (int) (MAX (r0, row_begin) - r0);
    int hi = (int) (MIN (r0 + 8, row_end) - r0);
    __m256i mask = lane_mask (lo, hi);
    for (gsize t = 0; t < n_tokens; t++) {
      __m256 v = w->type == OVI_GGML_TYPE_Q4_0
          ? dot_q4x8_group (grp, l->nb, ovi_llm_act_d (qx, l, t),
          ovi_llm_act_ds (qx, l, t), ovi_llm_act_q (qx, l, t))
          : dot_q4kx8_group (grp, l->nb / 8, ovi_llm_act_d (qx, l, t),
          ovi_llm_act_ds (qx, l, t), ovi_llm_act_q (qx, l, t));
      float *yt = y + t * y_stride + r0;
      if (lo == 0 && hi == 8)
        _mm256_storeu_ps (yt, v);
      else
        _mm256_maskstore_ps (yt, mask, v);
    }
  }
}

/* ---- panel packing: rows r0 .. r0 + nr - 1 (nr <= 8; missing rows are
 * zeros), blocks b0 .. b0 + nbc - 1 or columns k0 .. k0 + kc - 1 ---- */

static inline const guint8 *
row_at (const OviLlmWeight *w, gsize r)
{
  return (const guint8 *) w->data + r * w->row_bytes;
}

static void
pack_u8 (const OviLlmWeight *w, gsize r0, int nr, gsize b0, int nbc,
    Panel *p)
{
  for (int bb = 0; bb < nbc; bb++) {
    gsize b = b0 + bb;
    __m256i r[8];
    for (int i = 0; i < 8; i++) {
      if (i >= nr) {
        r[i] = _mm256_setzero_si256 ();
        p->scale[bb][i] = p->offs[bb][i] = 0;
      } else if (w->type == OVI_GGML_TYPE_Q4_0) {
        const OviBlockQ4_0 *blk = (const OviBlockQ4_0 *) row_at (w, r0 + i)
            + b;
        float dw = half (blk->d);
        r[i] = load_nibbles (blk->qs);
        p->scale[bb][i] = dw;
        p->offs[bb][i] = -8 * dw;
      } else {
        const OviBlockQ4_K *blk = (const OviBlockQ4_K *) row_at (w, r0 + i)
            + b / 8;
        int j = b % 8;
        uint64_t sc, m;
        __m256i v = _mm256_loadu_si256 ((const __m256i *) (blk->qs
                + 32 * (j / 2)));
        if (j & 1)
          v = _mm256_srli_epi16 (v, 4);
        r[i] = _mm256_and_si256 (v, _mm256_set1_epi8 (15));
        q4k_scales_mins (blk->scales, &sc, &m);
        p->scale[bb][i] = half (blk->d) * (float) ((sc >> (8 * j)) & 0xff);
        p->offs[bb][i] = -(half (blk->dmin) * (float) ((m >> (8 * j))
                & 0xff));
      }
    }
    transpose8 (r);
    for (int g = 0; g < 8; g++)
      _mm256_store_si256 ((__m256i *) (p->vals + bb * 256 + 32 * g), r[g]);
  }
}

/* A U8 panel from a repacked Q4_0 group: no transpose, the low and high
 * nibbles of weight vector k are column groups k and 4 + k. */
static void
pack_q4x8 (const guint8 *grp, gsize b0, int nbc, Panel *p)
{
  const __m256i m4 = _mm256_set1_epi8 (15);
  for (int bb = 0; bb < nbc; bb++) {
    gsize b = b0 + bb;
    const guint8 *qs = ovi_llm_q4x8_qs (grp, b);
    __m256 dw = _mm256_cvtph_ps (_mm_load_si128 ((const __m128i *)
            ovi_llm_q4x8_d (grp, b)));
    for (int k = 0; k < 4; k++) {
      __m256i wv = _mm256_load_si256 ((const __m256i *) (qs + 32 * k));
      _mm256_store_si256 ((__m256i *) (p->vals + bb * 256 + 32 * k),
          _mm256_and_si256 (wv, m4));
      _mm256_store_si256 ((__m256i *) (p->vals + bb * 256 + 32 * (4 + k)),
          _mm256_and_si256 (_mm256_srli_epi16 (wv, 4), m4));
    }
    _mm256_store_ps (p->scale[bb], dw);
    _mm256_store_ps (p->offs[bb], _mm256_mul_ps (dw, _mm256_set1_ps (-8)));
  }
}

/* A U8 panel from a repacked Q4_K group: block b is sub-block b % 8 of
 * super-block b / 8, its column group k the low or high nibbles of vector
 * k of its pair. */
static void
pack_q4kx8 (const guint8 *grp, gsize b0, int nbc, Panel *p)
{
  const __m256i m4 = _mm256_set1_epi8 (15);
  for (int bb = 0; bb < nbc; bb++) {
    gsize b = b0 + bb;
    int j = (int) (b % 8), pr = j / 2, sh = 8 * (j % 4);
    const guint8 *sb = grp + b / 8 * OVI_LLM_Q4KX8_BYTES;
    __m256 dd = _mm256_cvtph_ps (_mm_load_si128 ((const __m128i *) sb));
    __m256 dm = _mm256_cvtph_ps (_mm_load_si128 ((const __m128i *) (sb
                + 16)));
    __m256i sc_lo, sc_hi, m_lo, m_hi;
    q4kx8_scales (sb, &sc_lo, &sc_hi, &m_lo, &m_hi);
    for (int k = 0; k < 8; k++) {
      __m256i wv = _mm256_load_si256 ((const __m256i *) (sb + 128 + 256 * pr
              + 32 * k));
      if (j & 1)
        wv = _mm256_srli_epi16 (wv, 4);
      _mm256_store_si256 ((__m256i *) (p->vals + bb * 256 + 32 * k),
          _mm256_and_si256 (wv, m4));
    }
    _mm256_store_ps (p->scale[bb], _mm256_mul_ps (dd, byte_ps (j < 4 ? sc_lo
                : sc_hi, sh)));
    _mm256_store_ps (p->offs[bb], _mm256_sub_ps (_mm256_setzero_ps (),
            _mm256_mul_ps (dm, byte_ps (j < 4 ? m_lo : m_hi, sh))));
  }
}

static void
pack_i16 (const OviLlmWeight *w, gsize r0, int nr, gsize b0, int nbc,
    Panel *p)
{
  for (int bb = 0; bb < nbc; bb++) {
    gsize b = b0 + bb;
    __m256i lo[8], hi[8];
    for (int i = 0; i < 8; i++) {
      if (i >= nr) {
        lo[i] = hi[i] = _mm256_setzero_si256 ();
        p->scale[bb][i] = 0;
      } else if (w->type == OVI_GGML_TYPE_Q8_0) {
        const OviBlockQ8_0 *blk = (const OviBlockQ8_0 *) row_at (w, r0 + i)
            + b;
        lo[i] = _mm256_cvtepi8_epi16 (_mm_loadu_si128 ((const __m128i *)
                blk->qs));
        hi[i] = _mm256_cvtepi8_epi16 (_mm_loadu_si128 ((const __m128i *)
                (blk->qs + 16)));
        p->scale[bb][i] = half (blk->d);
      } else {
        const OviBlockQ6_K *blk = (const OviBlockQ6_K *) row_at (w, r0 + i)
            + b / 8;
        int c = b % 8;
        __m256i v = _mm256_sub_epi8 (q6_chunk (blk, c),
            _mm256_set1_epi8 (32));
        lo[i] = _mm256_mullo_epi16 (_mm256_cvtepi8_epi16
            (_mm256_castsi256_si128 (v)),
            _mm256_set1_epi16 (blk->scales[2 * c]));
        hi[i] = _mm256_mullo_epi16 (_mm256_cvtepi8_epi16
            (_mm256_extracti128_si256 (v, 1)),
            _mm256_set1_epi16 (blk->scales[2 * c + 1]));
        p->scale[bb][i] = half (blk->d);
      }
    }
    transpose8 (lo);
    transpose8 (hi);
    for (int g = 0; g < 8; g++) {
      _mm256_store_si256 ((__m256i *) (p->vals + bb * 512 + 32 * g), lo[g]);
      _mm256_store_si256 ((__m256i *) (p->vals + bb * 512 + 256 + 32 * g),
          hi[g]);
    }
  }
}

static inline float
weight_float (OviGgmlType type, const guint8 *row, gsize k)
{
  if (type == OVI_GGML_TYPE_F32) {
    float f;
    memcpy (&f, row + 4 * k, 4);
    return f;
  } else {
    uint16_t h;
    memcpy (&h, row + 2 * k, 2);
    return type == OVI_GGML_TYPE_F16 ? half (h) : ovi_llm_bf16_to_fp32 (h);
  }
}

static void
pack_f32 (const OviLlmWeight *w, gsize r0, int nr, gsize k0, int kc,
    Panel *p)
{
  float *out = (float *) p->vals;
  int k = 0;
  for (; k + 8 <= kc; k += 8) {
    __m256i r[8];
    for (int i = 0; i < 8; i++) {
      const guint8 *row;
      __m256 v;
      if (i >= nr) {
        r[i] = _mm256_setzero_si256 ();
        continue;
      }
      row = row_at (w, r0 + i);
      if (w->type == OVI_GGML_TYPE_F32)
        v = _mm256_loadu_ps ((const float *) row + k0 + k);
      else if (w->type == OVI_GGML_TYPE_F16)
        v = load_f16 (row + 2 * (k0 + k));
      else
        v = load_bf16 (row + 2 * (k0 + k));
      r[i] = _mm256_castps_si256 (v);
    }
    transpose8 (r);
    for (int g = 0; g < 8; g++)
      _mm256_store_si256 ((__m256i *) (out + 8 * (k + g)), r[g]);
  }
  for (; k < kc; k++)
    for (int i = 0; i < 8; i++)
      out[8 * k + i] = i < nr ? weight_float (w->type, row_at (w, r0 + i),
          k0 + k) : 0;
}

/* ---- tiles: 8 rows x NT tokens; acc[t] lanes are rows ---- */

typedef struct {
  const void *qx;
  const OviLlmActLayout *l;
  gsize t0;
} Tokens;

/* An empty asm that takes and gives back the accumulator in a register:
 * without it gcc reassociates the integer sums of a block, computes all
 * 32 products first and spills them to the stack. */
#define PIN(v) __asm__ ("" : "+x" (v))

static inline __attribute__((always_inline)) void
tile_u8 (const Panel *p, int nbc, gsize b0, const Tokens *tk, __m256 *acc,
    const int NT)
{
  const int8_t *xq[TOKENS];
  const float *xd[TOKENS], *xds[TOKENS];
  const __m256i ones = _mm256_set1_epi16 (1);
  for (int t = 0; t < NT; t++) {
    xq[t] = ovi_llm_act_q (tk->qx, tk->l, tk->t0 + t) + b0 * OVI_QK;
    xd[t] = ovi_llm_act_d (tk->qx, tk->l, tk->t0 + t) + b0;
    xds[t] = ovi_llm_act_ds (tk->qx, tk->l, tk->t0 + t) + b0;
  }
  for (int bb = 0; bb < nbc; bb++) {
    const guint8 *v = p->vals + bb * 256;
    __m256i s[TOKENS];
    __m256 sc = _mm256_load_ps (p->scale[bb]);
    __m256 of = _mm256_load_ps (p->offs[bb]);
#pragma GCC unroll 4
    for (int t = 0; t < NT; t++)
      s[t] = _mm256_setzero_si256 ();
#pragma GCC unroll 8
    for (int g = 0; g < 8; g++) {
      __m256i wv = _mm256_load_si256 ((const __m256i *) (v + 32 * g));
#pragma GCC unroll 4
      for (int t = 0; t < NT; t++) {
        int32_t x4;
        memcpy (&x4, xq[t] + bb * OVI_QK + 4 * g, 4);
        s[t] = _mm256_add_epi16 (s[t], _mm256_maddubs_epi16 (wv,
                _mm256_set1_epi32 (x4)));
        PIN (s[t]);
      }
    }
#pragma GCC unroll 4
    for (int t = 0; t < NT; t++) {
      __m256 dot = _mm256_cvtepi32_ps (_mm256_madd_epi16 (s[t], ones));
      acc[t] = _mm256_fmadd_ps (dot, _mm256_mul_ps (sc,
              _mm256_broadcast_ss (xd[t] + bb)), acc[t]);
      acc[t] = _mm256_fmadd_ps (of, _mm256_broadcast_ss (xds[t] + bb),
          acc[t]);
    }
  }
}

static inline __attribute__((always_inline)) void
tile_i16 (const Panel *p, int nbc, gsize b0, const Tokens *tk, __m256 *acc,
    const int NT)
{
  const int16_t *xq[TOKENS];
  const float *xd[TOKENS];
  for (int t = 0; t < NT; t++) {
    xq[t] = ovi_llm_act_q16 (tk->qx, tk->l, tk->t0 + t) + b0 * OVI_QK;
    xd[t] = ovi_llm_act_d (tk->qx, tk->l, tk->t0 + t) + b0;
  }
  for (int bb = 0; bb < nbc; bb++) {
    const guint8 *v = p->vals + bb * 512;
    __m256i s[TOKENS];
    __m256 sc = _mm256_load_ps (p->scale[bb]);
#pragma GCC unroll 4
    for (int t = 0; t < NT; t++)
      s[t] = _mm256_setzero_si256 ();
#pragma GCC unroll 16
    for (int g = 0; g < 16; g++) {
      __m256i wv = _mm256_load_si256 ((const __m256i *) (v + 32 * g));
#pragma GCC unroll 4
      for (int t = 0; t < NT; t++) {
        int32_t x2;
        memcpy (&x2, xq[t] + bb * OVI_QK + 2 * g, 4);
        s[t] = _mm256_add_epi32 (s[t], _mm256_madd_epi16 (wv,
                _mm256_set1_epi32 (x2)));
        PIN (s[t]);
      }
    }
#pragma GCC unroll 4
    for (int t = 0; t < NT; t++)
      acc[t] = _mm256_fmadd_ps (_mm256_cvtepi32_ps (s[t]), _mm256_mul_ps (sc,
              _mm256_broadcast_ss (xd[t] + bb)), acc[t]);
  }
}

static inline __attribute__((always_inline)) void
tile_f32 (const Panel *p, int kc, gsize k0, const Tokens *tk, __m256 *acc,
    const int NT)
{
  const float *x[TOKENS];
  const float *v = (const float *) p->vals;
  for (int t = 0; t < NT; t++)
    x[t] = (const float *) ((const guint8 *) tk->qx + (tk->t0 + t)
        * tk->l->stride) + k0;
  for (int k = 0; k < kc; k++) {
    __m256 wv = _mm256_load_ps (v + 8 * k);
#pragma GCC unroll 4
    for (int t = 0; t < NT; t++)
      acc[t] = _mm256_fmadd_ps (wv, _mm256_broadcast_ss (x[t] + k), acc[t]);
  }
}

typedef enum { PANEL_U8, PANEL_I16, PANEL_F32 } PanelKind;

/* One chunk of one panel for NT tokens: accumulate into y (or start y on
 * the first chunk); unless full, only the row lanes in mask are loaded
 * and stored. */
static inline __attribute__((always_inline)) void
run_tile (PanelKind kind, const Panel *p, int n, gsize start,
    const Tokens *tk, float *y, gsize y_stride, gboolean first,
    gboolean full, __m256i mask, const int NT)
{
  __m256 acc[TOKENS];
  for (int t = 0; t < NT; t++) {
    float *yt = y + (tk->t0 + t) * y_stride;
    if (first)
      acc[t] = _mm256_setzero_ps ();
    else
      acc[t] = full ? _mm256_loadu_ps (yt) : _mm256_maskload_ps (yt, mask);
  }
  if (kind == PANEL_U8)
    tile_u8 (p, n, start, tk, acc, NT);
  else if (kind == PANEL_I16)
    tile_i16 (p, n, start, tk, acc, NT);
  else
    tile_f32 (p, n, start, tk, acc, NT);
  for (int t = 0; t < NT; t++) {
    float *yt = y + (tk->t0 + t) * y_stride;
    if (full)
      _mm256_storeu_ps (yt, acc[t]);
    else
      _mm256_maskstore_ps (yt, mask, acc[t]);
  }
}

#define DEFINE_TILES(kind, name)                                             \
  static void                                                               \
  name (const Panel *p, int n, gsize start, const Tokens *tk, float *y,     \
      gsize y_stride, gboolean first, gboolean full, __m256i mask, int nt) \
  {                                                                         \
    switch (nt) {                                                           \
      case 4: run_tile (kind, p, n, start, tk, y, y_stride, first, full,    \
          mask, 4); break;                                                  \
      case 3: run_tile (kind, p, n, start, tk, y, y_stride, first, full,    \
          mask, 3); break;                                                  \
      case 2: run_tile (kind, p, n, start, tk, y, y_stride, first, full,    \
          mask, 2); break;                                                  \
      default: run_tile (kind, p, n, start, tk, y, y_stride, first, full,   \
          mask, 1); break;                                                  \
    }                                                                       \
  }

DEFINE_TILES (PANEL_U8, tiles_u8)
DEFINE_TILES (PANEL_I16, tiles_i16)
DEFINE_TILES (PANEL_F32, tiles_f32)

static void
rows_panels (const OviLlmWeight *w, const void *qx, const OviLlmActLayout *l,
    gsize n_tokens, float *y, gsize y_stride, gsize row_begin, gsize row_end)
{
  PanelKind kind;
  Panel panel;
  /* 32-block columns for quantized types, single columns for floats */
  gsize unit = OVI_QK, total, tb;

  switch (w->type) {
    case OVI_GGML_TYPE_Q4_0:
    case OVI_GGML_TYPE_Q4_K:
      kind = PANEL_U8;
      break;
    case OVI_GGML_TYPE_Q8_0:
    case OVI_GGML_TYPE_Q6_K:
      kind = PANEL_I16;
      break;
    default:
      kind = PANEL_F32;
      unit = 1;
      break;
  }
  total = w->n_in / unit;

  /* Tokens in blocks whose activations stay in L2 (1 MiB here) while all
   * the rows run over them: 512 tokens of 2048 inputs are 1.2 MB of int8
   * activations (2.5x more with the int16 copy) and would come from L3
   * for every 8 rows. Panels are packed again per block, which costs
   * more than L3 reads below ~64 tokens per block (Q8_0's transposing
   * pack over 5632 inputs); 5-10% faster for Q4_0. */
  tb = MAX (ACT_BLOCK_MIN, ACT_BLOCK_BYTES / l->stride / TOKENS * TOKENS);
  for (gsize tb0 = 0; tb0 < n_tokens; tb0 += tb) {
    gsize tb1 = MIN (n_tokens, tb0 + tb);
    /* a repacked weight is read by whole groups of 8 rows: start at the
     * group of row_begin and store only the rows in range */
    for (gsize r0 = w->packed ? row_begin / 8 * 8 : row_begin; r0 < row_end;
        r0 += 8) {
      int lo = (int) (MAX (r0, row_begin) - r0);
      int nr = (int) MIN (8, row_end - r0);
      gboolean full = lo == 0 && nr == 8;
      __m256i mask = lane_mask (lo, nr);
      for (gsize c0 = 0; c0 < total; c0 += KC / unit) {
        int n = (int) MIN (KC / unit, total - c0);
        if (w->packed && w->type == OVI_GGML_TYPE_Q4_0)
          pack_q4x8 ((const guint8 *) w->packed + r0 / 8
              * ovi_llm_q4x8_group_bytes (l->nb), c0, n, &panel);
        else if (w->packed)
          pack_q4kx8 ((const guint8 *) w->packed + r0 / 8
              * ovi_llm_q4kx8_group_bytes (l->nb / 8), c0, n, &panel);
        else if (kind == PANEL_U8)
          pack_u8 (w, r0, nr, c0, n, &panel);
        else if (kind == PANEL_I16)
          pack_i16 (w, r0, nr, c0, n, &panel);
        else
          pack_f32 (w, r0, nr, c0, n, &panel);
        for (gsize t0 = tb0; t0 < tb1; t0 += TOKENS) {
          Tokens tk = { qx, l, t0 };
          int nt = (int) MIN (TOKENS, tb1 - t0);
          float *yr = y + r0;
          if (kind == PANEL_U8)
            tiles_u8 (&panel, n, c0, &tk, yr, y_stride, c0 == 0, full, mask,
                nt);
          else if (kind == PANEL_I16)
            tiles_i16 (&panel, n, c0, &tk, yr, y_stride, c0 == 0, full,
                mask, nt);
          else
            tiles_f32 (&panel, n, c0, &tk, yr, y_stride, c0 == 0, full,
                mask, nt);
        }
      }
    }
  }
}

void
ovi_llm_avx2_rows (const OviLlmWeight *w, const void *qx,
    const OviLlmActLayout *l, gsize n_tokens, float *y, gsize y_stride,
    gsize row_begin, gsize row_end)
{
  if (n_tokens >= OVI_LLM_PANEL_MIN_TOKENS)
    rows_panels (w, qx, l, n_tokens, y, y_stride, row_begin, row_end);
  else if (w->packed)
    rows_dot_packed (w, qx, l, n_tokens, y, y_stride, row_begin, row_end);
  else
    rows_dot (w, qx, l, n_tokens, y, y_stride, row_begin, row_end);
}

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

#endif
