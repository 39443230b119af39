/* Graph optimization passes. They run on a plan's specialized graph, where
 * every value has its static shape (or `dynamic`) and constants are
 * folded, so they may decide by shape. Each keeps the graph equivalent. */
#ifndef OVI_PASSES_H
#define OVI_PASSES_H

#include "graph.h"

G_BEGIN_DECLS

/* Runs every pass in order; with fuse FALSE, only those whose result is
 * still standard ONNX (no post-op fusion); with blocked, also the CPU's
 * channel-blocked layout (for plans only the CPU runs). */
gboolean ovi_optimize (OviGraph *graph, gboolean fuse, gboolean blocked,
    GError **error);

/* BatchNormalization after Conv becomes the Conv's weights and bias. */
int ovi_pass_fold_batchnorm (OviGraph *graph);
/* Conv followed by residual Add and/or an activation records them as
 * post-ops on the Conv node (attributes OVI_ATTR_ACTIVATION and friends,
 * and a fourth input for the residual). */
int ovi_pass_fuse_postops (OviGraph *graph);
/* The activation node act_index, sole reader of node's output, becomes
 * node's post-op (OVI_ATTR_ACTIVATION ...) and is removed; FALSE when it
 * is no activation a post-op runs. */
gboolean ovi_pass_fuse_activation (OviGraph *graph, OviNode *node,
    int act_index);
/* Trees of same-shape float Adds become one n-ary Sum, and an activation
 * after a Sum or Add its post-op (for plans only the CPU runs). */
int ovi_pass_fuse_sums (OviGraph *graph);

/* Chains of convolutions run in the CPU's nChw8c
 * layout (devices/cpu/conv-blocked.h): marked OVI_ATTR_BLOCKED, with
 * reorder nodes where values cross to and from the plain layout. */
int ovi_pass_block_layout (OviGraph *graph);
/* Which blocked kernel runs a Conv node of these value shapes (x: its
 * input, w: its weights, y: its output), if any. The CPU kernel picks
 * the same by geometry: 1x1 stride 1 unpadded (input blocked), depthwise
 * (input blocked), dense (one group, input blocked: any other kernel,
 * stride or padding), or direct from a plain input whose channel count
 * is not a multiple of 8, at most OVI_BLOCKED_DIRECT_MAX_INPUTS channels x
 * taps (the networks' stems on RGB). */
typedef enum {
  OVI_BLOCKED_CONV_NONE,
  OVI_BLOCKED_CONV_POINTWISE,
  OVI_BLOCKED_CONV_DEPTHWISE,
  OVI_BLOCKED_CONV_DIRECT,
  OVI_BLOCKED_CONV_DENSE,
} OviBlockedConv;
#define OVI_BLOCKED_DIRECT_MAX_INPUTS 147
OviBlockedConv ovi_blocked_conv_shape (const OviNode *node,
    const OviValue *x, const OviValue *w, const OviValue *y);

/* A blocked 1x1 convolution whose output only a blocked depthwise one
 * reads, both without a residual, become one node that runs them band of
 * rows by band of rows (OVI_OP_POINTWISE_DEPTHWISE): the 1x1's output,
 * often the largest tensor of a MobileNet block, is never stored whole.
 * After ovi_pass_block_layout. */
int ovi_pass_fuse_pointwise_depthwise (OviGraph *graph);

/* Index of the node producing value v, -1 if none. */
int ovi_graph_producer (const OviGraph *graph, int v);
/* The only node reading v (and v not a graph output), or -1. */
int ovi_graph_sole_consumer (const OviGraph *graph, int v);
/* Whether v is float32 of a shape known when planning. */
gboolean ovi_graph_is_float_static (const OviGraph *graph, int v);

/* Post-op attributes on fused nodes. */
#define OVI_ATTR_ACTIVATION "ovi.activation"   /* op name of the activation */
#define OVI_ATTR_ALPHA "ovi.alpha"
#define OVI_ATTR_BETA "ovi.beta"
#define OVI_ATTR_SUM "ovi.sum"                 /* 1: input 3 is added */
/* 1: input, residual and output in nChw8c (ovi_pass_block_layout) */
#define OVI_ATTR_BLOCKED "ovi.blocked"

/* The reorders that pass inserts: plain [N,C,H,W] to nChw8c and back,
 * same shape (C a multiple of 8), float32. */
#define OVI_OP_TO_BLOCKED "OviToBlocked"
#define OVI_OP_TO_PLAIN "OviToPlain"

/* The fused pair: inputs X, the 1x1's W and B, the depthwise's W and B
 * (a B may be omitted, -1), in nChw8c; the depthwise's attributes and
 * post-ops, the 1x1's post-ops as these. */
#define OVI_OP_POINTWISE_DEPTHWISE "OviPointwiseDepthwise"
#define OVI_ATTR_PW_ACTIVATION "ovi.pw.activation"
#define OVI_ATTR_PW_ALPHA "ovi.pw.alpha"
#define OVI_ATTR_PW_BETA "ovi.pw.beta"

G_END_DECLS

#endif
