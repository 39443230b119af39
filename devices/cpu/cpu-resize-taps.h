/* Resize's source taps along one axis, exactly as the CPU kernel computes
 * them (devices/cpu/op-misc.c), for devices that resample elsewhere: the
 * GPU device builds them once at compile and uploads them, so both
 * devices follow one reading of ONNX's coordinate transformations,
 * nearest modes, cubic coefficient and antialiasing. */
#ifndef OVI_CPU_RESIZE_TAPS_H
#define OVI_CPU_RESIZE_TAPS_H

#include "ops/ops.h"

G_BEGIN_DECLS

/* For output coordinate o of the axis: stride taps, input index
 * idx[o * stride + k] with weight w[o * stride + k] (weight 0 pads). */
typedef struct {
  int stride;
  int *idx;
  float *w;
  gboolean identity;   /* input length = output length, output o = input o */
} OviResizeTaps;

/* The taps of `axis` for the Resize or Upsample node of ctx (its inputs:
 * x and y with their shapes, scales, sizes or roi with their data). FALSE
 * when the axis has outputs outside the input (tf_crop_and_resize
 * extrapolation), a filter too large, or parameters the CPU kernel would
 * refuse; the error says which. Free with ovi_resize_taps_clear. */
gboolean ovi_resize_taps (OviOpCtx *ctx, int axis, OviResizeTaps *taps,
    GError **error);
void ovi_resize_taps_clear (OviResizeTaps *taps);

G_END_DECLS

#endif
