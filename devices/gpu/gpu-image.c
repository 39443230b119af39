/* Pictures as inputs of the GPU executable (ovi_gpu_set_input_image):
 * the rows of a picture its taps reach go to the device as they are,
 * 8-bit, with the OviImage's taps and parameters (as the CPU reference,
 * ovi_image_preprocess, reads them), and kernels/image.cl converts,
 * resizes and normalizes them into the input at the next inference. */
#include <string.h>

#include "gpu-exec-private.h"

/* A picture pre-processed into an input's batch entry: its bytes (the
 * rows and columns its taps reach), its taps followed by its parameters
 * (one buffer: a copy less per picture) on the device, and the kernel
 * with its arguments, launched by the next inference. */
#define IMAGE_GEO 13    /* ints after the taps, then as many floats */
typedef struct {
  int input, batch;
  cl_mem src, taps;
  gsize src_capacity, taps_capacity;
  cl_kernel kernel;
  size_t global[2];
  gboolean pending;
} GpuImage;

void
ovi_gpu_image_free (gpointer data)
{
  GpuImage *im = data;
  if (im->kernel)
    clReleaseKernel (im->kernel);
  if (im->src)
    clReleaseMemObject (im->src);
  if (im->taps)
    clReleaseMemObject (im->taps);
  g_free (im);
}

/* Launches the pictures set since the last inference; with `timing`
 * (the profile's entry after the steps) adds each one's device time. */
gboolean
ovi_gpu_run_images (GpuRequest *r, OviProfileEntry *timing, GError **error)
{
  for (guint k = 0; k < r->images->len; k++) {
    GpuImage *im = g_ptr_array_index (r->images, k);
    cl_event ev = NULL;
    cl_int err;
    if (!im->pending)
      continue;
    err = clEnqueueNDRangeKernel (r->queue, im->kernel, 2, NULL, im->global,
        NULL, 0, NULL, timing ? &ev : NULL);
    if (err != CL_SUCCESS) {
      ovi_gpu_set_error (error, "launching the picture's pre-processing",
          err);
      return FALSE;
    }
    if (ev) {
      cl_ulong start = 0, end = 0;
      clWaitForEvents (1, &ev);
      if (clGetEventProfilingInfo (ev, CL_PROFILING_COMMAND_START,
              sizeof (start), &start, NULL) == CL_SUCCESS
          && clGetEventProfilingInfo (ev, CL_PROFILING_COMMAND_END,
              sizeof (end), &end, NULL) == CL_SUCCESS && end > start)
        timing->total_ns += end - start;
      timing->runs++;
      clReleaseEvent (ev);
    }
    im->pending = FALSE;
  }
  return TRUE;
}

/* A buffer of at least `bytes`, grown (never shrunk) as pictures need. */
static gboolean
ensure_buffer (cl_context ctx, cl_mem *mem, gsize *capacity, gsize bytes,
    GError **error)
{
  cl_int err = CL_SUCCESS;
  if (*mem && *capacity >= bytes)
    return TRUE;
  if (*mem)
    clReleaseMemObject (*mem);
  *mem = clCreateBuffer (ctx, CL_MEM_READ_ONLY, MAX (bytes, 64), NULL, &err);
  *capacity = *mem ? MAX (bytes, 64) : 0;
  if (*mem == NULL) {
    ovi_gpu_set_error (error, "allocating a picture's buffer", err);
    return FALSE;
  }
  return TRUE;
}

/* The rows a set of taps reaches, [*lo, *hi]; one row when all pad. */
static void
tap_rows (const OviImageTap *t, int n, int *lo, int *hi)
{
  *lo = G_MAXINT;
  *hi = -1;
  for (int i = 0; i < n; i++) {
    if (t[i].pad)
      continue;
    *lo = MIN (*lo, MIN (t[i].i0, t[i].i1));
    *hi = MAX (*hi, MAX (t[i].i0, t[i].i1));
  }
  if (*hi < 0)
    *lo = *hi = 0;
}

gboolean
ovi_gpu_set_input_image (gpointer request, int input, int batch,
    const OviImage *image, GError **error)
{
  GpuRequest *r = request;
  GpuExecutable *exe = r->exe;
  const OviGraph *g = exe->plan->graph;
  OviGpuDevice *dev = exe->session->dev;
  cl_context ctx = ovi_gpu_device_context (dev, error);
  const OviValue *val;
  GpuImage *im = NULL;
  gboolean yuv;
  int planes, bpp, W, H, lo[3], hi[3], pitch[3], col[3];
  int geo[IMAGE_GEO];
  float norm[IMAGE_GEO];
  gsize total = 0, ntaps, blob_bytes;
  guint8 *blob;
  OviImageTap *taps;
  cl_program program;
  cl_int err = CL_SUCCESS;
  int64_t per_image;

  if (ctx == NULL)
    return FALSE;
  if (input < 0 || input >= (int) g->inputs->len) {
    g_set_error (error, OVI_ERROR, OVI_ERROR_ARGUMENT, "no input %d", input);
    return FALSE;
  }
  if (image == NULL) {
    r->image_fed[input] = FALSE;
    return TRUE;
  }
  val = ovi_graph_value (g, g_array_index (g->inputs, int, input));
  per_image = (int64_t) image->out_width * image->out_height
      * image->channels;
  if (r->input_mem[input] == NULL || val->dtype != image->dtype
      || val->rank < 1 || batch < 0 || batch >= val->dims[0]
      || per_image * val->dims[0] != ovi_gpu_numel (val)) {
    g_set_error (error, OVI_ERROR, OVI_ERROR_ARGUMENT,
        "picture for input '%s': type, size or batch entry %d does not fit",
        val->name, batch);
    return FALSE;
  }
  for (guint k = 0; k < r->images->len && im == NULL; k++) {
    GpuImage *e = g_ptr_array_index (r->images, k);
    if (e->input == input && e->batch == batch)
      im = e;
  }
  if (im == NULL) {
    im = g_new0 (GpuImage, 1);
    im->input = input;
    im->batch = batch;
    g_ptr_array_add (r->images, im);
  }

  /* The rows and byte columns the taps reach, plane by plane. */
  yuv = image->layout == OVI_IMAGE_NV12 || image->layout == OVI_IMAGE_I420;
  planes = image->layout == OVI_IMAGE_I420 ? 3 : yuv ? 2 : 1;
  bpp = image->layout == OVI_IMAGE_PACKED ? image->pixel_stride : 1;
  W = image->out_width;
  H = image->out_height;
  tap_rows (image->y, H, &lo[0], &hi[0]);
  col[0] = image->x0 * bpp;
  pitch[0] = image->x_span * bpp;
  for (int p = 1; p < planes; p++) {
    tap_rows (image->cy, H, &lo[p], &hi[p]);
    col[p] = image->cx0 * (image->layout == OVI_IMAGE_NV12 ? 2 : 1);
    pitch[p] = image->cx_span * (image->layout == OVI_IMAGE_NV12 ? 2 : 1);
  }
  memset (geo, 0, sizeof (geo));
  for (int p = 0; p < planes; p++) {
    geo[p] = (int) total;
    geo[3 + p] = lo[p];
    geo[6 + p] = pitch[p];
    total += (gsize) (hi[p] - lo[p] + 1) * pitch[p];
  }
  geo[9] = bpp;
  for (int c = 0; c < 3; c++)
    geo[10 + c] = image->offset[c];
  ntaps = yuv ? 2 * (gsize) W + 2 * (gsize) H : (gsize) W + H;
  blob_bytes = ntaps * sizeof (OviImageTap) + sizeof (geo) + sizeof (norm);
  if (!ensure_buffer (ctx, &im->src, &im->src_capacity, total, error)
      || !ensure_buffer (ctx, &im->taps, &im->taps_capacity, blob_bytes,
          error))
    return FALSE;

  /* Blocking copies: the caller may release the picture on return. */
  for (int p = 0; p < planes && err == CL_SUCCESS; p++) {
    size_t buf_origin[3] = { (size_t) geo[p], 0, 0 };
    size_t host_origin[3] = { (size_t) col[p], (size_t) lo[p], 0 };
    size_t region[3] = { (size_t) pitch[p], (size_t) (hi[p] - lo[p] + 1), 1 };
    err = clEnqueueWriteBufferRect (r->queue, im->src, CL_TRUE, buf_origin,
        host_origin, region, pitch[p], 0, image->stride[p], 0,
        image->data[p], 0, NULL, NULL);
  }
  norm[0] = image->ky;
  norm[1] = image->y_off;
  norm[2] = image->kr_v;
  norm[3] = image->kb_u;
  norm[4] = image->kg_u;
  norm[5] = image->kg_v;
  for (int c = 0; c < 3; c++) {
    norm[6 + c] = image->scale[c];
    norm[9 + c] = image->bias[c];
  }
  norm[12] = image->pad_value;
  blob = g_malloc (blob_bytes);
  taps = (OviImageTap *) blob;
  memcpy (taps, image->x, sizeof (OviImageTap) * W);
  memcpy (taps + W, image->y, sizeof (OviImageTap) * H);
  if (yuv) {
    memcpy (taps + W + H, image->cx, sizeof (OviImageTap) * W);
    memcpy (taps + 2 * W + H, image->cy, sizeof (OviImageTap) * H);
  }
  memcpy (taps + ntaps, geo, sizeof (geo));
  memcpy ((guint8 *) (taps + ntaps) + sizeof (geo), norm, sizeof (norm));
  if (err == CL_SUCCESS)
    err = clEnqueueWriteBuffer (r->queue, im->taps, CL_TRUE, 0, blob_bytes,
        blob, 0, NULL, NULL);
  g_free (blob);
  if (err != CL_SUCCESS) {
    ovi_gpu_set_error (error, "copying a picture to the device", err);
    return FALSE;
  }

  if (im->kernel == NULL) {
    program = ovi_gpu_program_get (dev, "image", ovi_gpu_build_options (exe), error);
    if (program == NULL)
      return FALSE;
    im->kernel = clCreateKernel (program, "image_to_tensor", &err);
    if (im->kernel == NULL) {
      ovi_gpu_set_error (error, "clCreateKernel image_to_tensor", err);
      return FALSE;
    }
  }
  {
    cl_int a[] = { (cl_int) ntaps, (cl_int) (batch * per_image),
      image->layout, W, H,
      image->channels, image->nhwc, image->dtype == OVI_DTYPE_UINT8,
      image->gray, image->source[0], image->source[1], image->source[2] };
    cl_uint k = 0;
    err = clSetKernelArg (im->kernel, k++, sizeof (cl_mem), &im->src);
    err |= clSetKernelArg (im->kernel, k++, sizeof (cl_mem), &im->taps);
    err |= clSetKernelArg (im->kernel, k++, sizeof (cl_int), &a[0]);
    err |= clSetKernelArg (im->kernel, k++, sizeof (cl_mem),
        &r->input_mem[input]);
    for (guint i = 1; i < G_N_ELEMENTS (a); i++)
      err |= clSetKernelArg (im->kernel, k++, sizeof (cl_int), &a[i]);
    if (err != CL_SUCCESS) {
      g_set_error (error, OVI_ERROR, OVI_ERROR_DEVICE,
          "setting the picture kernel's arguments failed");
      return FALSE;
    }
  }
  im->global[0] = W;
  im->global[1] = H;
  im->pending = TRUE;
  r->image_fed[input] = TRUE;
  return TRUE;
}

/* After a failure: waits for what was enqueued, so that nothing runs on
 * into the next inference, and collects the profile's events. */
