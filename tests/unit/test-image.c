/* Pictures as model inputs (ovi_request_set_input_image): the checks of
 * an OviImage, the CPU path (pre-processed into the request's memory),
 * and the GPU device's own pre-processing against it, for every layout,
 * both tensor types and layouts, letterbox borders and batch entries. The
 * GPU part is skipped without an OpenCL device. */
#include <math.h>
#include <string.h>

#include "graph.h"
#include "model.h"
#include "ovi.h"
#include "ov-test-gpu.h"

#define PW 37          /* picture */
#define PH 23
#define OW 16          /* tensor */
#define OH 12

typedef struct {
  OviImage image;
  guint8 *planes[3];
  OviImageTap x[OW], y[OH], cx[OW], cy[OH];
} Picture;

/* Bilinear taps of `n` outputs over [lo, lo + len), positions before
 * `first` and from `first + count` on pad. */
static void
make_taps (OviImageTap *t, int n, int len, int first, int count, int base)
{
  for (int i = 0; i < n; i++) {
    double s = (i - first + 0.5) * len / (double) count - 0.5;
    double f = floor (s);
    int i0 = (int) f;
    t[i].pad = i < first || i >= first + count;
    t[i].w1 = (float) (s - f);
    t[i].i0 = base + CLAMP (i0, 0, len - 1);
    t[i].i1 = base + CLAMP (i0 + 1, 0, len - 1);
  }
}

/* A random picture of the layout, sampled from a region (columns 3..32,
 * rows 2..20), with a letterbox border when `border`. */
static void
picture_init (Picture *p, OviImageLayout layout, OviDType dtype,
    gboolean nhwc, gboolean border, guint32 seed)
{
  OviImage *im = &p->image;
  GRand *rand = g_rand_new_with_seed (seed);
  int bpp = layout == OVI_IMAGE_PACKED ? 4 : 1;
  int cw = (PW + 1) / 2, chh = (PH + 1) / 2;
  int first = border ? 2 : 0, count = border ? OW - 4 : OW;

  memset (p, 0, sizeof (*p));
  im->layout = layout;
  im->width = PW;
  im->height = PH;
  /* Strides wider than the rows, as GStreamer and VA pad them. */
  im->stride[0] = PW * bpp + 13;
  p->planes[0] = g_malloc (im->stride[0] * PH);
  if (layout == OVI_IMAGE_NV12) {
    im->stride[1] = 2 * cw + 7;
    p->planes[1] = g_malloc (im->stride[1] * chh);
  } else if (layout == OVI_IMAGE_I420) {
    im->stride[1] = cw + 5;
    im->stride[2] = cw + 9;
    p->planes[1] = g_malloc (im->stride[1] * chh);
    p->planes[2] = g_malloc (im->stride[2] * chh);
  }
  for (int k = 0; k < 3; k++) {
    int rows = k == 0 ? PH : chh;
    for (int i = 0; p->planes[k] && i < im->stride[k] * rows; i++)
      p->planes[k][i] = (guint8) g_rand_int_range (rand, 0, 256);
    im->data[k] = p->planes[k];
  }
  g_rand_free (rand);
  im->pixel_stride = 4;
  im->offset[0] = 2;         /* BGRx */
  im->offset[1] = 1;
  im->offset[2] = 0;
  ovi_image_set_yuv_matrix (im, 0.2126, 0.0722, FALSE);   /* BT.709 */
  im->x0 = 3;
  im->x_span = 30;
  make_taps (p->x, OW, 30, first, count, 0);
  make_taps (p->y, OH, 19, first, OH - 2 * first, 2);
  im->cx0 = 1;
  im->cx_span = 16;
  make_taps (p->cx, OW, 16, first, count, 0);
  make_taps (p->cy, OH, 10, first, OH - 2 * first, 1);
  im->x = p->x;
  im->y = p->y;
  im->cx = p->cx;
  im->cy = p->cy;
  im->out_width = OW;
  im->out_height = OH;
  im->channels = layout == OVI_IMAGE_GRAY ? 1 : 3;
  im->gray = layout == OVI_IMAGE_GRAY;
  im->nhwc = nhwc;
  im->dtype = dtype;
  for (int c = 0; c < 3; c++) {
    im->source[c] = 2 - c;
    im->scale[c] = dtype == OVI_DTYPE_UINT8 ? 1.0f : 1.0f / (58.0f + c);
    im->bias[c] = dtype == OVI_DTYPE_UINT8 ? 0.0f : -1.5f + 0.25f * c;
  }
  im->pad_value = 114.0f;
}

static void
picture_clear (Picture *p)
{
  for (int k = 0; k < 3; k++)
    g_free (p->planes[k]);
}

/* input [2, C, OH, OW] (or NHWC) -> Identity -> output: the
 * pre-processed tensor itself (on the GPU, copied there and read back). */
static OviModel *
identity_model (OviDType dtype, int channels, gboolean nhwc)
{
  OviGraph *g = ovi_graph_new ();
  int64_t dims[4] = { 2, channels, OH, OW };
  int x, y;
  OviValue *v;
  GError *error = NULL;
  if (nhwc) {
    dims[1] = OH;
    dims[2] = OW;
    dims[3] = channels;
  }
  x = ovi_graph_add_value (g, "x", dtype);
  v = ovi_graph_value (g, x);
  v->rank = 4;
  memcpy (v->dims, dims, sizeof (dims));
  g_array_append_val (g->inputs, x);
  y = ovi_graph_add_value (g, "y", OVI_DTYPE_UNDEFINED);
  ovi_graph_add_node (g, "Identity", "id", 1, &x, 1, &y);
  g_array_append_val (g->outputs, y);
  g->opset = 13;
  g->source = g_strdup ("test-image");
  g_assert_true (ovi_graph_sort (g, &error));
  g_assert_no_error (error);
  return ovi_model_new_from_graph (g);
}

/* Runs two pictures (batch entries 0 and 1) through the model on a
 * device; returns a copy of the output. */
static guint8 *
run_pictures (OviModel *m, const char *device, Picture *a, Picture *b,
    gsize *bytes, gboolean *on_device)
{
  GError *error = NULL;
  OviCompiledModel *cm = ovi_compile (m, device, NULL, &error);
  OviRequest *r;
  OviTensorView out;
  guint8 *copy;
  g_assert_no_error (error);
  *on_device = ovi_compiled_model_takes_images (cm);
  r = ovi_request_new (cm, &error);
  g_assert_no_error (error);
  g_assert_true (ovi_request_set_input_image (r, 0, 0, &a->image, &error));
  g_assert_no_error (error);
  g_assert_true (ovi_request_set_input_image (r, 0, 1, &b->image, &error));
  g_assert_no_error (error);
  g_assert_true (ovi_request_infer (r, &error));
  g_assert_no_error (error);
  g_assert_true (ovi_request_get_output (r, 0, NULL, &out));
  *bytes = ovi_shape_numel (out.rank, out.dims) * ovi_dtype_size (out.dtype);
  copy = g_memdup2 (out.data, *bytes);
  ovi_request_free (r);
  ovi_compiled_model_unref (cm);
  return copy;
}

static void
test_cpu_matches_reference (void)
{
  Picture a, b;
  OviModel *m = identity_model (OVI_DTYPE_FLOAT32, 3, FALSE);
  gsize bytes;
  gboolean on_device;
  guint8 *got;
  float *want = g_new (float, 2 * 3 * OH * OW);
  picture_init (&a, OVI_IMAGE_NV12, OVI_DTYPE_FLOAT32, FALSE, TRUE, 1);
  picture_init (&b, OVI_IMAGE_NV12, OVI_DTYPE_FLOAT32, FALSE, FALSE, 2);
  ovi_image_preprocess (&a.image, want);
  ovi_image_preprocess (&b.image, want + 3 * OH * OW);
  got = run_pictures (m, "CPU", &a, &b, &bytes, &on_device);
  g_assert_false (on_device);
  g_assert_cmpuint (bytes, ==, 2 * 3 * OH * OW * sizeof (float));
  g_assert_cmpmem (got, bytes, want, bytes);
  g_free (got);
  g_free (want);
  picture_clear (&a);
  picture_clear (&b);
  ovi_model_unref (m);
}

static void
test_bad_pictures (void)
{
  Picture p;
  GError *error = NULL;
  OviModel *m = identity_model (OVI_DTYPE_FLOAT32, 3, FALSE);
  OviCompiledModel *cm = ovi_compile (m, "CPU", NULL, &error);
  OviRequest *r = ovi_request_new (cm, &error);
  g_assert_no_error (error);

  picture_init (&p, OVI_IMAGE_NV12, OVI_DTYPE_FLOAT32, FALSE, FALSE, 3);
  p.y[3].i1 = PH;                       /* past the last row */
  g_assert_false (ovi_image_check (&p.image, &error));
  g_assert_error (error, OVI_ERROR, OVI_ERROR_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (ovi_request_set_input_image (r, 0, 0, &p.image, &error));
  g_assert_error (error, OVI_ERROR, OVI_ERROR_ARGUMENT);
  g_clear_error (&error);
  picture_clear (&p);

  picture_init (&p, OVI_IMAGE_NV12, OVI_DTYPE_FLOAT32, FALSE, FALSE, 3);
  p.image.x_span = PW;                  /* from column 3: past the edge */
  g_assert_false (ovi_image_check (&p.image, &error));
  g_clear_error (&error);
  p.image.x_span = 30;
  p.image.data[1] = NULL;               /* no chroma plane */
  g_assert_false (ovi_image_check (&p.image, &error));
  g_clear_error (&error);
  p.image.data[1] = p.planes[1];
  /* Batch entry out of range, wrong type, wrong size. */
  g_assert_false (ovi_request_set_input_image (r, 0, 2, &p.image, &error));
  g_assert_error (error, OVI_ERROR, OVI_ERROR_ARGUMENT);
  g_clear_error (&error);
  p.image.dtype = OVI_DTYPE_UINT8;
  g_assert_false (ovi_request_set_input_image (r, 0, 0, &p.image, &error));
  g_clear_error (&error);
  p.image.dtype = OVI_DTYPE_FLOAT32;
  p.image.channels = 1;
  g_assert_false (ovi_request_set_input_image (r, 0, 0, &p.image, &error));
  g_clear_error (&error);
  p.image.channels = 3;
  g_assert_false (ovi_request_set_input_image (r, 1, 0, &p.image, &error));
  g_clear_error (&error);
  g_assert_true (ovi_request_set_input_image (r, 0, 0, &p.image, &error));
  g_assert_no_error (error);
  picture_clear (&p);
  ovi_request_free (r);
  ovi_compiled_model_unref (cm);
  ovi_model_unref (m);
}

static void
test_gpu_matches_cpu (void)
{
  static const OviImageLayout layouts[] = { OVI_IMAGE_PACKED,
    OVI_IMAGE_GRAY, OVI_IMAGE_NV12, OVI_IMAGE_I420 };
  static const char *const names[] = { "BGRx", "GRAY8", "NV12", "I420" };
  if (!ov_test_have_gpu ()) {
    g_test_skip ("no OpenCL device");
    return;
  }
  for (guint l = 0; l < G_N_ELEMENTS (layouts); l++)
    for (int variant = 0; variant < 4; variant++) {
      OviDType dtype = variant & 1 ? OVI_DTYPE_UINT8 : OVI_DTYPE_FLOAT32;
      gboolean nhwc = (variant & 2) != 0;
      Picture a, b;
      OviModel *m;
      guint8 *cpu, *gpu;
      gsize nc, ng;
      gboolean dc, dg;
      double worst = 0;
      int ch = layouts[l] == OVI_IMAGE_GRAY ? 1 : 3;
      picture_init (&a, layouts[l], dtype, nhwc, TRUE, 10 + l);
      picture_init (&b, layouts[l], dtype, nhwc, FALSE, 20 + l);
      m = identity_model (dtype, ch, nhwc);
      cpu = run_pictures (m, "CPU", &a, &b, &nc, &dc);
      gpu = run_pictures (m, "GPU.0", &a, &b, &ng, &dg);
      g_assert_false (dc);
      g_assert_true (dg);
      g_assert_cmpuint (nc, ==, ng);
      for (gsize i = 0; i < nc / ovi_dtype_size (dtype); i++) {
        double d = dtype == OVI_DTYPE_UINT8 ? fabs ((double) cpu[i] - gpu[i])
            : fabs ((double) ((float *) cpu)[i] - ((float *) gpu)[i]);
        worst = MAX (worst, d);
      }
      g_test_message ("%-6s %-7s %s: max difference %.3g", names[l],
          dtype == OVI_DTYPE_UINT8 ? "uint8" : "float32",
          nhwc ? "NHWC" : "NCHW", worst);
      /* The same arithmetic, but contraction into fused multiply-adds
       * may differ: a rounding at most, one step when rounded to 8 bits. */
      g_assert_cmpfloat (worst, <=, dtype == OVI_DTYPE_UINT8 ? 1.0 : 1e-4);
      g_free (cpu);
      g_free (gpu);
      picture_clear (&a);
      picture_clear (&b);
      ovi_model_unref (m);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/image/cpu-reference", test_cpu_matches_reference);
  g_test_add_func ("/image/bad-pictures", test_bad_pictures);
  g_test_add_func ("/image/gpu-matches-cpu", test_gpu_matches_cpu);
  return g_test_run ();
}
