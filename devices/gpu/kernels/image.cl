/* A picture's pre-processing on the GPU, one work item per tensor pixel,
 * the same arithmetic as the CPU's ovi_image_preprocess (inference/
 * image.c): the two source rows blended, then the two blended columns,
 * YUV converted after interpolation, border pixels set to pad, then gray,
 * channel order, normalization and the tensor's layout and type.
 *
 * The picture's rows that the taps reach were copied into `src`: plane p
 * starts at byte off[p], its first copied row is row0[p], rows are
 * pitch[p] bytes apart, and column taps count from the copied span's
 * first byte (the span starts at the taps' origin). Taps are {i0, i1, w1,
 * pad}: x then y, then for YUV chroma x and chroma y. */
typedef struct {
  int i0, i1;
  float w1;
  int pad;
} Tap;

/* p: plane; a, b: byte columns; r0, r1: rows; the bilinear value. */
inline float
bilinear (__global const uchar *src, int off, int row0, int pitch, int r0,
    int r1, float wy, int a, int b, float wx)
{
  __global const uchar *p0 = src + off + (r0 - row0) * pitch;
  __global const uchar *p1 = src + off + (r1 - row0) * pitch;
  float va = (float) p0[a] + (float) (p1[a] - p0[a]) * wy;
  float vb = (float) p0[b] + (float) (p1[b] - p0[b]) * wy;
  return va + (vb - va) * wx;
}

/* layout: 0 packed, 1 gray, 2 NV12, 3 I420 (OviImageLayout). After the
 * n_taps taps, in the same buffer (one copy per picture): geo, 13 ints
 * (off[3], row0[3], pitch[3], pixel_stride, offset_r, offset_g, offset_b),
 * then norm, 13 floats (ky, y_off, kr_v, kb_u, kg_u, kg_v, scale[3],
 * bias[3], pad). */
__kernel void
image_to_tensor (__global const uchar *src, __global const Tap *taps,
    int n_taps, __global uchar *dst, int dst_off, int layout, int W, int H,
    int C, int nhwc, int is_u8, int gray, int s0, int s1, int s2)
{
  int tx = get_global_id (0), ty = get_global_id (1);
  __global const Tap *xt, *yt;
  float rgb[3], out[3];
  int source[3] = { s0, s1, s2 };
  __global const int *geo = (__global const int *) (taps + n_taps);
  __global const float *norm = (__global const float *) (geo + 13);
  if (tx >= W || ty >= H)
    return;
  xt = taps + tx;
  yt = taps + W + ty;
  if (xt->pad || yt->pad) {
    rgb[0] = rgb[1] = rgb[2] = norm[12];
  } else if (layout == 2 || layout == 3) {
    __global const Tap *cxt = taps + W + H + tx;
    __global const Tap *cyt = taps + 2 * W + H + ty;
    float y = (bilinear (src, geo[0], geo[3], geo[6], yt->i0, yt->i1,
            yt->w1, xt->i0, xt->i1, xt->w1) - norm[1]) * norm[0];
    float u, v, r, g, b;
    if (layout == 2) {
      int a = 2 * cxt->i0, c = 2 * cxt->i1;
      u = bilinear (src, geo[1], geo[4], geo[7], cyt->i0, cyt->i1, cyt->w1,
          a, c, cxt->w1) - 128.0f;
      v = bilinear (src, geo[1], geo[4], geo[7], cyt->i0, cyt->i1, cyt->w1,
          a + 1, c + 1, cxt->w1) - 128.0f;
    } else {
      u = bilinear (src, geo[1], geo[4], geo[7], cyt->i0, cyt->i1, cyt->w1,
          cxt->i0, cxt->i1, cxt->w1) - 128.0f;
      v = bilinear (src, geo[2], geo[5], geo[8], cyt->i0, cyt->i1, cyt->w1,
          cxt->i0, cxt->i1, cxt->w1) - 128.0f;
    }
    r = y + norm[2] * v;
    g = y + norm[4] * u + norm[5] * v;
    b = y + norm[3] * u;
    rgb[0] = clamp (r, 0.0f, 255.0f);
    rgb[1] = clamp (g, 0.0f, 255.0f);
    rgb[2] = clamp (b, 0.0f, 255.0f);
  } else {
    int ps = geo[9];
    for (int c = 0; c < 3; c++) {
      int o = layout == 1 ? 0 : geo[10 + c];
      rgb[c] = bilinear (src, geo[0], geo[3], geo[6], yt->i0, yt->i1,
          yt->w1, xt->i0 * ps + o, xt->i1 * ps + o, xt->w1);
    }
  }
  if (gray)
    rgb[0] = 0.299f * rgb[0] + 0.587f * rgb[1] + 0.114f * rgb[2];
  for (int c = 0; c < C; c++) {
    float val = rgb[gray ? 0 : source[c]] * norm[6 + c] + norm[9 + c];
    size_t at = nhwc ? ((size_t) ty * W + tx) * C + c
        : ((size_t) c * H + ty) * W + tx;
    if (is_u8)
      dst[dst_off + at] =
          (uchar) clamp (rint (val), 0.0f, 255.0f);
    else
      ((__global float *) dst)[dst_off + at] = val;
  }
}
