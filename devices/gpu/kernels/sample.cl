/* Sampling at computed points, one output per work item, in float32:
 * GridSample (4-D) and RoiAlign, with the CPU kernels' semantics
 * (devices/cpu/op-misc.c, which computes in double). */

/* ---- GridSample ---- */

#define GS_ZEROS 0
#define GS_BORDER 1
#define GS_REFLECTION 2

/* One axis: its size and its border, [-0.5, size - 0.5] without
 * align_corners, [0, size - 1] with. */
typedef struct {
  int size, pad;
  float lo, hi;
} GsAxis;

/* Reflects by the nearer border until inside [lo, hi]. */
inline float
gs_reflect (float x, float lo, float hi)
{
  float range = hi - lo, d, n, r;
  if (!(range > 0.0f))
    return lo;
  if (x < lo) {
    d = lo - x;
    n = floor (d / range);
    r = d - n * range;
    return fmod (n, 2.0f) == 0.0f ? lo + r : hi - r;
  }
  if (x > hi) {
    d = x - hi;
    n = floor (d / range);
    r = d - n * range;
    return fmod (n, 2.0f) == 0.0f ? hi - r : lo + r;
  }
  return x;
}

/* The sampling point brought inside the border (border, reflection). */
inline float
gs_fix_coord (float v, GsAxis a)
{
  if (v < a.lo || v > a.hi) {
    if (a.pad == GS_BORDER)
      return clamp (v, 0.0f, (float) (a.size - 1));
    if (a.pad == GS_REFLECTION)
      return gs_reflect (v, a.lo, a.hi);
  }
  return v;
}

/* The index of integral tap i, or -1 where it reads as zero. */
inline int
gs_tap (float i, GsAxis a)
{
  if (isnan (i))
    return -1;
  if (a.pad == GS_BORDER)
    return (int) clamp (i, 0.0f, (float) (a.size - 1));
  if (a.pad == GS_REFLECTION)
    return (int) clamp (trunc (gs_reflect (i, a.lo, a.hi)), 0.0f,
        (float) (a.size - 1));
  return i >= 0.0f && i < (float) a.size ? (int) i : -1;
}

inline float
gs_pixel (__global const float *plane, GsAxis ay, GsAxis ax, float yi,
    float xi)
{
  int iy = gs_tap (yi, ay), ix = gs_tap (xi, ax);
  return iy < 0 || ix < 0 ? 0.0f : plane[iy * ax.size + ix];
}

/* Keys' cubic with a = -0.75, as ONNX's bicubic. */
inline float
gs_cubic (float x)
{
  const float a = -0.75f;
  x = fabs (x);
  if (x <= 1.0f)
    return ((a + 2.0f) * x - (a + 3.0f)) * x * x + 1.0f;
  if (x < 2.0f)
    return ((a * x - 5.0f * a) * x + 8.0f * a) * x - 4.0f * a;
  return 0.0f;
}

/* x[N, C, H, W] sampled at grid[N, OH, OW, 2] (x, y in [-1, 1]); mode 0
 * nearest, 1 linear, 2 cubic. */
__kernel void
grid_sample (__global const float *X, int x_off, __global const float *G,
    int g_off, __global float *Y, int y_off, int C, int H, int W, int OH,
    int OW, int mode, int pad, int align, int total)
{
  int i = get_global_id (0);
  int ox, oy, ch, b, gi;
  float fx, fy, x0, y0, v = 0.0f;
  GsAxis ax = { W, pad, align ? 0.0f : -0.5f,
    align ? W - 1.0f : W - 0.5f };
  GsAxis ay = { H, pad, align ? 0.0f : -0.5f,
    align ? H - 1.0f : H - 0.5f };
  __global const float *plane;
  if (i >= total)
    return;
  ox = i % OW;
  oy = (i / OW) % OH;
  ch = (i / (OW * OH)) % C;
  b = i / (OW * OH * C);
  gi = g_off + ((b * OH + oy) * OW + ox) * 2;
  fx = align ? (G[gi] + 1.0f) / 2.0f * (W - 1)
      : ((G[gi] + 1.0f) * W - 1.0f) / 2.0f;
  fy = align ? (G[gi + 1] + 1.0f) / 2.0f * (H - 1)
      : ((G[gi + 1] + 1.0f) * H - 1.0f) / 2.0f;
  if (mode == 0) {
    fx = rint (fx);
    fy = rint (fy);
  }
  fx = gs_fix_coord (fx, ax);
  fy = gs_fix_coord (fy, ay);
  x0 = floor (fx);
  y0 = floor (fy);
  plane = X + x_off + (size_t) (b * C + ch) * H * W;
  if (mode == 0) {
    v = gs_pixel (plane, ay, ax, trunc (fy), trunc (fx));
  } else if (mode == 1) {
    float tx = fx - x0, ty = fy - y0;
    v = (1.0f - ty) * ((1.0f - tx) * gs_pixel (plane, ay, ax, y0, x0)
        + tx * gs_pixel (plane, ay, ax, y0, x0 + 1.0f))
        + ty * ((1.0f - tx) * gs_pixel (plane, ay, ax, y0 + 1.0f, x0)
        + tx * gs_pixel (plane, ay, ax, y0 + 1.0f, x0 + 1.0f));
  } else {
    float tx = fx - x0, ty = fy - y0;
    float cx[4] = { gs_cubic (tx + 1.0f), gs_cubic (tx),
      gs_cubic (1.0f - tx), gs_cubic (2.0f - tx) };
    float cy[4] = { gs_cubic (ty + 1.0f), gs_cubic (ty),
      gs_cubic (1.0f - ty), gs_cubic (2.0f - ty) };
    for (int a = 0; a < 4; a++) {
      float row = 0.0f;
      for (int c = 0; c < 4; c++)
        row += cx[c] * gs_pixel (plane, ay, ax, y0 - 1.0f + a,
            x0 - 1.0f + c);
      v += cy[a] * row;
    }
  }
  Y[y_off + i] = v;
}

/* ---- RoiAlign ---- */

/* The bilinear sample of plane at (yy, xx): its four weighted corners
 * are added to *acc, or in max mode their largest replaces *acc unless
 * *acc is larger (the first sample's always does). */
inline void
roi_sample (__global const float *plane, int H, int W, float yy, float xx,
    int max_mode, int first, float *acc)
{
  int y0, x0, y1, x1;
  float ly, lx, v[4];
  if (!(yy >= -1.0f && yy <= H && xx >= -1.0f && xx <= W)) {
    v[0] = v[1] = v[2] = v[3] = 0.0f;
  } else {
    yy = fmax (yy, 0.0f);
    xx = fmax (xx, 0.0f);
    y0 = (int) yy;
    x0 = (int) xx;
    if (y0 >= H - 1) {
      y0 = y1 = H - 1;
      yy = (float) y0;
    } else {
      y1 = y0 + 1;
    }
    if (x0 >= W - 1) {
      x0 = x1 = W - 1;
      xx = (float) x0;
    } else {
      x1 = x0 + 1;
    }
    ly = yy - y0;
    lx = xx - x0;
    v[0] = (1.0f - ly) * (1.0f - lx) * plane[y0 * W + x0];
    v[1] = (1.0f - ly) * lx * plane[y0 * W + x1];
    v[2] = ly * (1.0f - lx) * plane[y1 * W + x0];
    v[3] = ly * lx * plane[y1 * W + x1];
  }
  if (max_mode) {
    /* Selects in the CPU's order (its MAX), so NaN fares the same. */
    float m01 = v[0] > v[1] ? v[0] : v[1], m23 = v[2] > v[3] ? v[2] : v[3];
    float m = m01 > m23 ? m01 : m23;
    *acc = first || !(*acc > m) ? m : *acc;
  } else {
    *acc += v[0] + v[1] + v[2] + v[3];
  }
}

/* x[N, C, H, W], rois[R, 4] (x1, y1, x2, y2), batch_indices[R] (int64):
 * y[R, C, PH, PW]. A batch index out of range, or a box too large to
 * sample, is reported through the status word, as the CPU fails. */
__kernel void
roi_align (__global const float *X, int x_off, __global const float *rois,
    int r_off, __global const long *bi, int bi_off, __global float *Y,
    int y_off, int N, int C, int H, int W, int PH, int PW, float scale,
    int ratio, int half_pixel, int max_mode, int total,
    __global int *status, int code)
{
  int i = get_global_id (0);
  int px, py, ch, r, gh, gw;
  long b;
  float offset = half_pixel ? 0.5f : 0.0f, x1, y1, rw, rh, bw, bh;
  float acc = 0.0f;
  __global const float *box, *plane;
  if (i >= total)
    return;
  px = i % PW;
  py = (i / PW) % PH;
  ch = (i / (PW * PH)) % C;
  r = i / (PW * PH * C);
  b = bi[bi_off + r];
  if (b < 0 || b >= N) {
    atomic_cmpxchg (status, 0, code);
    return;
  }
  box = rois + r_off + r * 4;
  x1 = box[0] * scale - offset;
  y1 = box[1] * scale - offset;
  rw = box[2] * scale - offset - x1;
  rh = box[3] * scale - offset - y1;
  if (!half_pixel) {
    rw = fmax (rw, 1.0f);
    rh = fmax (rh, 1.0f);
  }
  bh = rh / PH;
  bw = rw / PW;
  if (!isfinite (bh) || !isfinite (bw) || !isfinite (x1) || !isfinite (y1)) {
    /* A degenerate box (NaN, infinity) pools nothing. */
    Y[y_off + i] = 0.0f;
    return;
  }
  if (fabs (bh) > 1e7f || fabs (bw) > 1e7f) {
    atomic_cmpxchg (status, 0, code);
    return;
  }
  gh = max (ratio > 0 ? ratio : (int) ceil (rh / PH), 0);
  gw = max (ratio > 0 ? ratio : (int) ceil (rw / PW), 0);
  if ((long) gh * gw > 1 << 16) {
    atomic_cmpxchg (status, 0, code);
    return;
  }
  plane = X + x_off + (size_t) (b * C + ch) * H * W;
  for (int iy = 0; iy < gh; iy++) {
    float yy = y1 + py * bh + (iy + 0.5f) * bh / gh;
    for (int ix = 0; ix < gw; ix++)
      roi_sample (plane, H, W, yy, x1 + px * bw + (ix + 0.5f) * bw / gw,
          max_mode, iy == 0 && ix == 0, &acc);
  }
  Y[y_off + i] = max_mode ? acc : acc / max (gh * gw, 1);
}
