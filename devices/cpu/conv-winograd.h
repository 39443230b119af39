/* Winograd F(2x2, 3x3) for float32 2-D convolutions with a 3x3 kernel,
 * stride 1, dilation 1 and one group: each 2x2 output tile comes from a
 * 4x4 input tile with 16 multiplies per channel pair instead of 36, as 16
 * GEMMs (one per transformed position) between the transformed weights
 * (packed once, at plan time) and the transformed input tiles. The
 * transforms only add and halve, so the result stays within a few ulp
 * of the direct convolution's.
 *
 * The output is computed in blocks of whole tile rows small enough for
 * the transformed tiles to stay in cache; within a block the threads
 * split the input transform by channel, the GEMMs by position and the
 * output transform (bias, post-ops) by output channel. */
#ifndef OVI_CONV_WINOGRAD_H
#define OVI_CONV_WINOGRAD_H

#include "cpu-postops.h"

G_BEGIN_DECLS

typedef struct {
  int64_t c, m;           /* input and output channels */
  int64_t h, w;           /* input size */
  int64_t oh, ow;         /* output size */
  int64_t ph, pw;         /* padding before the first row and column */
  int64_t tile;           /* blocked layout only: output tile edge, 2 for
                           * F(2x2, 3x3) (0 means 2), 4 for F(4x4, 3x3) */
} OviWinograd;

/* Whether Winograd beats im2col + GEMM for this shape (measured: it needs
 * enough channels for the GEMMs and enough tiles to amortize weights
 * that are 16/9 the size of the direct ones). */
gboolean ovi_winograd_worth (const OviWinograd *wg);

/* FALSE when OVI_CONV_WINOGRAD=0 in the environment (to compare). */
gboolean ovi_winograd_enabled (void);

/* U = G g G^T of each weight g of W (m x c x 3 x 3), at
 * u[(xi * m + m) * c + c] for position xi of the 4x4 transformed tile
 * (16 m c floats): what both layouts pack. */
void ovi_winograd_transform_weights (const OviWinograd *wg, const float *w,
    float *u);

/* Tile rows per block of a run: as many as keep the block's transformed
 * input and GEMM outputs (16 (c + m) floats per tile) near 2 MiB. */
int64_t ovi_winograd_block_rows (const OviWinograd *wg);

/* Transformed, packed weights: bytes, and the transform of W (m x c x 3
 * x 3) into them (dst OVI_ALIGNMENT-aligned). */
gsize ovi_winograd_weights_size (const OviWinograd *wg);
void ovi_winograd_pack_weights (const OviWinograd *wg, const float *w,
    float *dst);

/* Scratch bytes of a run on up to `threads` threads. */
gsize ovi_winograd_scratch_size (const OviWinograd *wg, int threads);

/* y (m x oh x ow) = conv (x (c x h x w)) + bias, then the post-ops (the
 * residual res has y's shape); one image. */
void ovi_winograd_run (const OviWinograd *wg, const float *packed,
    const float *x, const float *bias, const OviPostOps *ops,
    const float *res, float *y, void *scratch, int threads);

G_END_DECLS

#endif
