/* Convolutions in the channel-blocked layout nChw8c: a 4-D float tensor
 * [N, C, H, W] with C a multiple of 8 stored as [N][C/8][H][W][8], eight
 * consecutive channels of one pixel in one vector. The MobileNet family
 * (depthwise convolutions between 1x1 ones) runs between plans' reorders
 * in it (passes/block-layout.c chooses where): a depthwise convolution
 * then has one vector of FMAs per output pixel and tap, with no plane to
 * pad and nothing paid per channel, and a 1x1 convolution reads its
 * input for the GEMM as it lies, without packing.
 *
 * Each kernel covers a range of its work, so that callers split it
 * between threads; post-ops are applied as the outputs are stored (the
 * common ones) or to the range while it is in cache. */
#ifndef OVI_CONV_BLOCKED_H
#define OVI_CONV_BLOCKED_H

#include "conv-depthwise.h"
#include "conv-winograd.h"
#include "cpu-postops.h"
#include "ops/ops.h"

G_BEGIN_DECLS

#define OVI_BLOCK 8

/* plain [c][hw] <-> blocked [c/8][hw][8] for one image; c % 8 == 0. The
 * ranges are in channel blocks, [cb0, cb1). */
void ovi_blocked_from_plain (const float *x, int64_t hw, int64_t cb0,
    int64_t cb1, float *y);
void ovi_blocked_to_plain (const float *x, int64_t hw, int64_t cb0,
    int64_t cb1, float *y);

/* The post-ops a kernel's store did not apply (ovi_v8_store_init refused
 * them), over positions [p0, p1) of channel blocks [cb0, cb1) of a
 * blocked image of `plane` positions; res (NULL unless ops->sum) laid
 * out as y. */
void ovi_blocked_postops_apply (const OviPostOps *ops, float *y,
    const float *res, int64_t plane, int64_t cb0, int64_t cb1, int64_t p0,
    int64_t p1);

/* Depthwise weights [c][kh * kw] and bias (NULL: zero) as the kernel reads
 * them: per channel block, the taps' eight weights then eight biases,
 * (kh * kw + 1) * 8 floats a block. */
int64_t ovi_blocked_depthwise_packed_floats (const OviDepthwise *d,
    int64_t c);
void ovi_blocked_depthwise_pack (const OviDepthwise *d, int64_t c,
    const float *w, const float *bias, float *packed);

/* Output rows [oh0, oh1) of channel block cb of one image: x, res and y
 * point at the image (res NULL unless ops->sum). */
void ovi_blocked_depthwise_rows (const OviDepthwise *d, const float *x,
    const float *packed, const OviPostOps *ops, const float *res, float *y,
    int64_t cb, int64_t oh0, int64_t oh1);

/* The same from an input whose channel blocks are planes of xplane
 * positions holding a ring of `ring` rows (at least d->h), its row ih at
 * row (row0 + ih) % ring: the window of a fused 1x1's output. */
void ovi_blocked_depthwise_window_rows (const OviDepthwise *d,
    const float *x, int64_t xplane, int64_t row0, int64_t ring,
    const float *packed, const OviPostOps *ops, const float *res, float *y,
    int64_t cb, int64_t oh0, int64_t oh1);

/* 1x1 convolution, stride 1, no padding: y[oc][p] = bias + sum_ic
 * w[oc][ic] x[ic][p] over p < hw positions, both blocked. The weights
 * packed in panels of 16 output channels (the last one 8 when oc % 16 is
 * 8), per input channel the panel's weights, then the panel's biases. */
int64_t ovi_blocked_pointwise_packed_floats (int64_t ic, int64_t oc);
void ovi_blocked_pointwise_pack (int64_t ic, int64_t oc, const float *w,
    const float *bias, float *packed);
/* How many panels oc output channels make. */
int64_t ovi_blocked_pointwise_panels (int64_t oc);
/* Positions of the 1x1 kernel's block (6 with AVX2, 12 with AVX-512):
 * ranges of positions split in multiples of it leave no partial blocks
 * but the last. */
int64_t ovi_blocked_pointwise_rows (void);
/* Panels of the 1x1 kernel's block (1 with AVX2, 2 with AVX-512). */
int64_t ovi_blocked_pointwise_group (void);
/* Panels [panel0, panel1) over positions [p0, p1) of one image. */
void ovi_blocked_pointwise_range (int64_t ic, int64_t oc, int64_t hw,
    const float *x, const float *packed, const OviPostOps *ops,
    const float *res, float *y, int64_t panel0, int64_t panel1, int64_t p0,
    int64_t p1);
/* The same, the kernel also prefetching the weights of panels from panel1
 * up to `ahead` as it finishes: the caller's next ones. */
void ovi_blocked_pointwise_range_ahead (int64_t ic, int64_t oc, int64_t hw,
    const float *x, const float *packed, const OviPostOps *ops,
    const float *res, float *y, int64_t panel0, int64_t panel1,
    int64_t ahead, int64_t p0, int64_t p1);

/* The same into a window of the output (no residual): y holds channel
 * blocks from ycb0 as planes of yplane positions, from position yp0. */
void ovi_blocked_pointwise_window (int64_t ic, int64_t oc, int64_t hw,
    const float *x, const float *packed, const OviPostOps *ops, float *y,
    int64_t yplane, int64_t ycb0, int64_t yp0, int64_t panel0,
    int64_t panel1, int64_t p0, int64_t p1);

/* Direct convolution from a plain input of c channels (the stems): the
 * weights packed by ovi_blocked_pointwise_pack with c * kh * kw inputs;
 * d the geometry (its channel count aside); output rows [oh0, oh1) of
 * every channel block, of one image. */
void ovi_blocked_direct_rows (const OviDepthwise *d, int64_t c, int64_t m,
    const float *x, const float *packed, const OviPostOps *ops,
    const float *res, float *y, int64_t oh0, int64_t oh1);
/* The direct convolution on a copy of its input with the padding as a
 * zero border (ovi_blocked_dense_needs_padding tells when it pads): pad
 * is d's geometry on the copy (no padding), ovi_blocked_direct_pad makes
 * channels [c0, c1) of it from x, of one image. Every pixel then runs
 * the kernel's blocks, where edge pixels (a stem's first and last rows
 * and columns) took a loop of scalar taps. */
void ovi_blocked_direct_padded (const OviDepthwise *d, OviDepthwise *pad);
void ovi_blocked_direct_pad (const OviDepthwise *d, const float *x,
    float *xp, int64_t c0, int64_t c1);

/* Dense convolution (one group) from a blocked input of c channels into
 * m blocked outputs, any kernel, stride, dilation and padding; d its
 * geometry. The weights packed by ovi_blocked_dense_pack (as a 1x1's of
 * c x kh x kw inputs, in the order the kernel reads them). Padding needs
 * a zero-bordered copy of each image (ovi_blocked_dense_pad, channel
 * blocks [cb0, cb1) of it, into ovi_blocked_dense_padded_floats floats),
 * which the kernel then reads as x. Work comes in items, runs of output
 * pixels (the kernel's block) of a group of panels (the kernel's), group
 * by group: [item0, item1) of the ovi_blocked_dense_items of one image,
 * ovi_blocked_dense_blocks of them per group. */
int64_t ovi_blocked_dense_packed_floats (const OviDepthwise *d, int64_t c,
    int64_t m);
void ovi_blocked_dense_pack (const OviDepthwise *d, int64_t c, int64_t m,
    const float *w, const float *bias, float *packed);
gboolean ovi_blocked_dense_needs_padding (const OviDepthwise *d);
/* A strided 1x1 convolution without padding (ResNet's downsampling) runs
 * as the 1x1 kernel over the input's subsampled pixels, gathered into
 * c x oh x ow floats by ovi_blocked_dense_subsample (channel blocks
 * [cb0, cb1)): its packed weights are the 1x1 kernel's. */
gboolean ovi_blocked_dense_subsamples (const OviDepthwise *d);
void ovi_blocked_dense_subsample (const OviDepthwise *d, const float *x,
    float *xs, int64_t cb0, int64_t cb1);
int64_t ovi_blocked_dense_padded_floats (const OviDepthwise *d, int64_t c);
void ovi_blocked_dense_pad (const OviDepthwise *d, const float *x,
    float *xp, int64_t cb0, int64_t cb1);
int64_t ovi_blocked_dense_items (const OviDepthwise *d, int64_t m);
int64_t ovi_blocked_dense_blocks (const OviDepthwise *d, int64_t m);
void ovi_blocked_dense_range (const OviDepthwise *d, int64_t c, int64_t m,
    const float *x, const float *packed, const OviPostOps *ops,
    const float *res, float *y, int64_t item0, int64_t item1);

/* Winograd F(2x2, 3x3) or F(4x4, 3x3) between blocked tensors
 * (conv-winograd.h's, its GEMMs the 1x1 kernel's): whether a dense
 * convolution of geometry d, c to m channels, can run it (3x3, stride 1,
 * undilated, whole channel blocks; wg->tile set to 2, which the caller
 * may change to 4) and whether it takes it (where it beats the dense
 * kernel), filling wg with the tile it runs; its packed weights (the bias
 * after them) and scratch; one image. */
gboolean ovi_blocked_winograd_fits (const OviDepthwise *d, int64_t c,
    int64_t m, OviWinograd *wg);
gboolean ovi_blocked_winograd_shape (const OviDepthwise *d, int64_t c,
    int64_t m, OviWinograd *wg);
int64_t ovi_blocked_winograd_packed_floats (const OviWinograd *wg);
void ovi_blocked_winograd_pack (const OviWinograd *wg, const float *w,
    const float *bias, float *packed);
gsize ovi_blocked_winograd_scratch_size (const OviWinograd *wg);
void ovi_blocked_winograd_run (const OviWinograd *wg, const float *packed,
    const OviPostOps *ops, const float *x, const float *res, float *y,
    void *scratch, int threads);

/* A Conv node marked OVI_ATTR_BLOCKED, as op-conv.c runs it: kind one of
 * passes.h's OviBlockedConv, d its geometry (read for depthwise and
 * direct). The weights (and bias) are packed at creation. */
typedef struct _OviConvBlocked OviConvBlocked;
OviConvBlocked *ovi_conv_blocked_new (OviOpCtx *ctx, int kind,
    const OviDepthwise *d, GError **error);
gboolean ovi_conv_blocked_run (const OviConvBlocked *cb, OviOpCtx *ctx,
    GError **error);
/* The geometry of the 2-D convolution ctx's node runs on its inputs
 * (op-conv.c). */
void ovi_cpu_conv_geometry (OviOpCtx *ctx, OviDepthwise *d);
/* Scratch bytes a run needs: a dense convolution's Winograd tiles,
 * subsampled image or padded image. */
gsize ovi_conv_blocked_scratch_size (int kind, const OviDepthwise *d,
    int64_t c, int64_t m);
void ovi_conv_blocked_free (OviConvBlocked *cb);

/* Other nodes marked OVI_ATTR_BLOCKED: Mul of a blocked [N, C, H, W] by
 * per-channel scales [N or 1, C, 1, 1] (either input), into a blocked
 * result; GlobalAveragePool of a blocked input ([N, C, 1, 1] out, the
 * same in both layouts). */
gboolean ovi_blocked_scale_run (OviOpCtx *ctx, GError **error);
gboolean ovi_blocked_global_average_run (OviOpCtx *ctx, GError **error);

G_END_DECLS

#endif
