/* ovi-bench: latency and throughput of one model, like OpenVINO's
 * benchmark_app.
 *   ovi-bench --model M [--device CPU|AUTO|gpu,cpu] [--shape NAME=1x3x224x224]
 *             [--hint latency|throughput] [--nireq N] [--threads N]
 *             [--time S | --niter N] [--json] [--pc] [--no-pinning]
 *             [--image NV12:1920x1080] [--config KEY=VALUE,...]
 * Inputs are random (uniform 0..1 for floats, small integers otherwise).
 * With --image, input 0 is instead a random picture of that format and
 * size, stretched into the input by the device's pre-processing
 * (ovi_request_set_input_image) before every inference, as a video
 * pipeline feeds it; its time is part of each inference's.
 * --config takes OpenVINO's property names and values (DL Streamer's
 * ie-config string: PERFORMANCE_HINT=THROUGHPUT,NUM_STREAMS=2), applied
 * after the options above.
 * With AUTO or a device list, the devices' migrations and failures are
 * printed as they happen and each device's share of the inferences at
 * the end. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ovi.h"

static char *opt_model;
static char *opt_device = (char *) "CPU";
static char **opt_shapes;
static char *opt_hint = (char *) "latency";
static int opt_nireq;
static int opt_threads;
static int opt_streams;
static double opt_time = 10;
static int opt_niter;
static gboolean opt_json;
static gboolean opt_pc;
static gboolean opt_no_pinning;
static int opt_pc_nodes = 25;
static char *opt_image;
static char *opt_config;

/* --image: the picture every inference's input 0 is made from. */
typedef struct {
  OviImage image;
  guint8 *bytes;
  OviImageTap *taps;
  int batch;
} Picture;
static Picture picture;

static GOptionEntry entries[] = {
  { "model", 'm', 0, G_OPTION_ARG_FILENAME, &opt_model, "Model (.onnx or .xml)", "M" },
  { "device", 'd', 0, G_OPTION_ARG_STRING, &opt_device, "Device: CPU, GPU.0, AUTO, AUTO:GPU,CPU, gpu,cpu (CPU)", "D" },
  { "shape", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_shapes, "Input shape", "NAME=1x3x224x224" },
  { "hint", 0, 0, G_OPTION_ARG_STRING, &opt_hint, "latency or throughput", "H" },
  { "nireq", 0, 0, G_OPTION_ARG_INT, &opt_nireq, "Requests in flight "
        "(throughput: two per stream; latency: one)", "N" },
  { "threads", 0, 0, G_OPTION_ARG_INT, &opt_threads, "Threads in all (0: all cores)", "N" },
  { "streams", 0, 0, G_OPTION_ARG_INT, &opt_streams, "Streams (0: from the hint)", "N" },
  { "time", 't', 0, G_OPTION_ARG_DOUBLE, &opt_time, "Seconds to run", "S" },
  { "niter", 'n', 0, G_OPTION_ARG_INT, &opt_niter, "Inferences to run", "N" },
  { "json", 0, 0, G_OPTION_ARG_NONE, &opt_json, "Print one JSON object", NULL },
  { "no-pinning", 0, 0, G_OPTION_ARG_NONE, &opt_no_pinning, "Leave stream threads unpinned", NULL },
  { "pc", 0, 0, G_OPTION_ARG_NONE, &opt_pc, "Print per-node and per-op time (request 0)", NULL },
  { "pc-nodes", 0, 0, G_OPTION_ARG_INT, &opt_pc_nodes, "Slowest nodes --pc lists (25)", "N" },
  { "image", 0, 0, G_OPTION_ARG_STRING, &opt_image, "Feed input 0 from a picture (NV12, I420, BGRx or GRAY8) pre-processed by the device", "FORMAT:WxH" },
  { "config", 0, 0, G_OPTION_ARG_STRING, &opt_config, "OpenVINO properties, as DL Streamer's ie-config", "KEY=VALUE,..." },
  { NULL }
};

static int
die (const char *what, GError *error)
{
  fprintf (stderr, "ovi-bench: %s%s%s\n", what, error ? ": " : "",
      error ? error->message : "");
  g_clear_error (&error);
  return 1;
}

static gint64 start_time;

/* Scheduling events, as they happen (stderr: --json keeps stdout). */
static void
on_device_event (OviCompiledModel *cm, const OviDeviceEvent *e,
    gpointer user_data)
{
  double ms = (g_get_monotonic_time () - start_time) / 1000.0;
  if (e->type == OVI_DEVICE_EVENT_MIGRATED)
    fprintf (stderr, "[%.0f ms] inferences move from %s to %s\n", ms,
        e->previous ? e->previous : "(none)", e->device);
  else
    fprintf (stderr, "[%.0f ms] %s failed and was dropped: %s\n", ms,
        e->device, e->message);
}

static const char *
state_name (OviDeviceState state)
{
  switch (state) {
    case OVI_DEVICE_STATE_COMPILING: return "compiling";
    case OVI_DEVICE_STATE_COMPILED: return "compiled";
    case OVI_DEVICE_STATE_ACTIVE: return "active";
    default: return "failed";
  }
}

#define MAX_USAGE 16

static void
print_usage (OviCompiledModel *cm, gboolean json)
{
  OviDeviceUsage usage[MAX_USAGE];
  int n = MIN (ovi_compiled_model_get_device_usage (cm, usage, MAX_USAGE),
      MAX_USAGE);
  if (json)
    printf (", \"devices\": [");
  for (int i = 0; i < n; i++) {
    if (json)
      printf ("%s{\"name\": \"%s\", \"state\": \"%s\", "
          "\"inferences\": %" G_GUINT64_FORMAT ", \"mean_ms\": %.3f}",
          i ? ", " : "", usage[i].name, state_name (usage[i].state),
          usage[i].inferences, usage[i].mean_latency_ms);
    else
      printf ("  %-10s %-9s %8" G_GUINT64_FORMAT " inferences, mean %.3f ms\n",
          usage[i].name, state_name (usage[i].state), usage[i].inferences,
          usage[i].mean_latency_ms);
  }
  if (json)
    printf ("]");
}

static gboolean
parse_shape (OviModel *m, int index, OviTensorView *v)
{
  const char *name;
  ovi_model_get_input (m, index, &name, v);
  for (int i = 0; opt_shapes && opt_shapes[i]; i++) {
    const char *eq = strchr (opt_shapes[i], '=');
    const char *dims = eq ? eq + 1 : opt_shapes[i];
    char **parts;
    /* A bare shape applies to the first input. */
    if (eq ? strncmp (opt_shapes[i], name, eq - opt_shapes[i]) != 0
        || name[eq - opt_shapes[i]] != '\0' : index != 0)
      continue;
    parts = g_strsplit (dims, "x", OVI_MAX_RANK + 1);
    v->rank = g_strv_length (parts);
    for (int d = 0; d < v->rank && d < OVI_MAX_RANK; d++)
      v->dims[d] = g_ascii_strtoll (parts[d], NULL, 10);
    g_strfreev (parts);
  }
  if (v->rank < 0 || v->rank > OVI_MAX_RANK || ovi_dtype_size (v->dtype) == 0
      || v->dtype == OVI_DTYPE_STRING)
    return FALSE;
  for (int d = 0; d < v->rank; d++)
    if (v->dims[d] < 0)
      return FALSE;
  return TRUE;
}

static void *
random_data (const OviTensorView *v, GRand *rand)
{
  int64_t n = 1;
  gsize esize = ovi_dtype_size (v->dtype);
  guint8 *data;
  for (int d = 0; d < v->rank; d++)
    n *= v->dims[d];
  data = g_malloc0 (MAX (n * esize, 1));
  for (int64_t i = 0; i < n; i++) {
    if (v->dtype == OVI_DTYPE_FLOAT32)
      ((float *) data)[i] = (float) g_rand_double (rand);
    else if (v->dtype == OVI_DTYPE_INT64)
      ((gint64 *) data)[i] = g_rand_int_range (rand, 0, 4);
    else if (v->dtype == OVI_DTYPE_INT32)
      ((gint32 *) data)[i] = g_rand_int_range (rand, 0, 4);
    else if (esize == 1)
      data[i] = g_rand_int_range (rand, 0, 2);
  }
  return data;
}

static int
compare_double (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

typedef struct {
  const char *op_type;
  double ms;
  int count;
} OpTotal;

static int
compare_op_total (gconstpointer a, gconstpointer b)
{
  double x = ((const OpTotal *) a)->ms, y = ((const OpTotal *) b)->ms;
  return x > y ? -1 : x < y;
}

static int
compare_entry (gconstpointer a, gconstpointer b)
{
  guint64 x = (*(const OviProfileEntry * const *) a)->total_ns;
  guint64 y = (*(const OviProfileEntry * const *) b)->total_ns;
  return x > y ? -1 : x < y;
}

/* Performance counters of one request: the slowest nodes, then the time
 * per op type, as averages per inference. */
static void
print_profile (OviRequest *r, FILE *out)
{
  int n;
  const OviProfileEntry *e = ovi_request_get_profile (r, &n);
  GArray *ops = g_array_new (FALSE, FALSE, sizeof (OpTotal));
  const OviProfileEntry **sorted = g_new (const OviProfileEntry *, MAX (n, 1));
  double total = 0;

  for (int i = 0; i < n; i++) {
    double ms = e[i].runs ? e[i].total_ns / 1e6 / e[i].runs : 0;
    guint k;
    sorted[i] = &e[i];
    total += ms;
    for (k = 0; k < ops->len; k++)
      if (strcmp (g_array_index (ops, OpTotal, k).op_type, e[i].op_type) == 0)
        break;
    if (k == ops->len) {
      OpTotal t = { e[i].op_type, 0, 0 };
      g_array_append_val (ops, t);
    }
    g_array_index (ops, OpTotal, k).ms += ms;
    g_array_index (ops, OpTotal, k).count++;
  }
  qsort (sorted, n, sizeof (*sorted), compare_entry);
  g_array_sort (ops, compare_op_total);
  fprintf (out, "per op type (ms per inference, %d nodes, %.3f ms in all):\n",
      n, total);
  for (guint k = 0; k < ops->len; k++) {
    OpTotal *t = &g_array_index (ops, OpTotal, k);
    fprintf (out, "  %-24s %4d nodes %9.3f ms %5.1f %%\n", t->op_type,
        t->count, t->ms, total > 0 ? 100 * t->ms / total : 0);
  }
  fprintf (out, "slowest nodes:\n");
  for (int i = 0; i < MIN (n, opt_pc_nodes); i++)
    fprintf (out, "  %-40s %-20s %9.3f ms\n", sorted[i]->node_name,
        sorted[i]->op_type, sorted[i]->runs
        ? sorted[i]->total_ns / 1e6 / sorted[i]->runs : 0);
  g_free (sorted);
  g_array_free (ops, TRUE);
}

typedef struct {
  GAsyncQueue *done;
  gint64 started;
} Slot;

static void
on_done (OviRequest *r, const GError *error, gpointer data)
{
  Slot *slot = data;
  g_async_queue_push (slot->done, slot);
}

/* A random picture for input 0 ([N, C, H, W], float32 or uint8, C 1 or
 * 3), stretched over the whole input. */
static gboolean
picture_init (OviModel *model, const char *spec, GRand *rand)
{
  OviImage *im = &picture.image;
  OviTensorView in;
  char format[16] = "";
  int w = 0, h = 0, cw, chh;
  gsize bytes;

  if (sscanf (spec, "%15[A-Za-z0-9]:%dx%d", format, &w, &h) != 3 || w <= 1
      || h <= 1 || !ovi_model_get_input (model, 0, NULL, &in) || in.rank != 4
      || in.dims[0] <= 0 || (in.dims[1] != 1 && in.dims[1] != 3))
    return FALSE;
  cw = (w + 1) / 2;
  chh = (h + 1) / 2;
  memset (im, 0, sizeof (*im));
  im->width = w;
  im->height = h;
  im->stride[0] = w;
  if (g_ascii_strcasecmp (format, "NV12") == 0) {
    im->layout = OVI_IMAGE_NV12;
    im->stride[1] = 2 * cw;
    bytes = (gsize) w * h + (gsize) 2 * cw * chh;
  } else if (g_ascii_strcasecmp (format, "I420") == 0) {
    im->layout = OVI_IMAGE_I420;
    im->stride[1] = im->stride[2] = cw;
    bytes = (gsize) w * h + (gsize) 2 * cw * chh;
  } else if (g_ascii_strcasecmp (format, "BGRx") == 0) {
    im->layout = OVI_IMAGE_PACKED;
    im->pixel_stride = 4;
    im->offset[0] = 2;
    im->offset[1] = 1;
    im->stride[0] = 4 * w;
    bytes = (gsize) 4 * w * h;
  } else if (g_ascii_strcasecmp (format, "GRAY8") == 0) {
    im->layout = OVI_IMAGE_GRAY;
    bytes = (gsize) w * h;
  } else {
    return FALSE;
  }
  picture.bytes = g_malloc (bytes);
  for (gsize i = 0; i < bytes; i++)
    picture.bytes[i] = (guint8) g_rand_int_range (rand, 0, 256);
  im->data[0] = picture.bytes;
  if (im->layout == OVI_IMAGE_NV12 || im->layout == OVI_IMAGE_I420) {
    im->data[1] = picture.bytes + (gsize) w * h;
    im->data[2] = im->data[1] + (gsize) cw * chh;
  }
  ovi_image_set_yuv_matrix (im, 0.2126, 0.0722, FALSE);   /* BT.709 */
  im->out_width = (int) in.dims[3];
  im->out_height = (int) in.dims[2];
  im->channels = (int) in.dims[1];
  im->gray = im->channels == 1;
  im->dtype = in.dtype;
  picture.taps = g_new (OviImageTap, 2 * (gsize) (im->out_width
          + im->out_height));
  im->x = picture.taps;
  im->y = im->x + im->out_width;
  im->cx = im->y + im->out_height;
  im->cy = im->cx + im->out_width;
  ovi_image_stretch_taps ((OviImageTap *) im->x, im->out_width, w);
  ovi_image_stretch_taps ((OviImageTap *) im->y, im->out_height, h);
  ovi_image_stretch_taps ((OviImageTap *) im->cx, im->out_width, cw);
  ovi_image_stretch_taps ((OviImageTap *) im->cy, im->out_height, chh);
  im->x_span = w;
  im->cx_span = cw;
  for (int c = 0; c < 3; c++) {
    im->source[c] = 2 - c;
    im->scale[c] = in.dtype == OVI_DTYPE_UINT8 ? 1.0f : 1.0f / 255.0f;
  }
  picture.batch = (int) in.dims[0];
  return TRUE;
}

/* Input 0 of the request from the picture, every batch entry. */
static gboolean
set_picture (OviRequest *r, GError **error)
{
  for (int b = 0; opt_image && b < picture.batch; b++)
    if (!ovi_request_set_input_image (r, 0, b, &picture.image, error))
      return FALSE;
  return TRUE;
}

int
main (int argc, char **argv)
{
  GOptionContext *octx = g_option_context_new ("- benchmark a model");
  GError *error = NULL;
  OviModel *model;
  OviCompiledModel *cm;
  OviCompileConfig cfg = { 0 };
  GArray *lat = g_array_new (FALSE, FALSE, sizeof (double));
  GPtrArray *buffers = g_ptr_array_new_with_free_func (g_free);
  GRand *rand = g_rand_new_with_seed (1);
  OviRequest **reqs;
  Slot *slots;
  int nireq, n_inputs;
  gint64 t0, t_end, deadline;
  int done = 0;
  double compile_ms, first_ms, median, p90, fps;
  char *first_device = NULL;
  gboolean throughput;

  g_option_context_add_main_entries (octx, entries, NULL);
  if (!g_option_context_parse (octx, &argc, &argv, &error))
    return die ("bad arguments", error);
  g_option_context_free (octx);
  if (opt_model == NULL)
    return die ("--model is required", NULL);
  throughput = g_ascii_strcasecmp (opt_hint, "throughput") == 0;
  if (!throughput && g_ascii_strcasecmp (opt_hint, "latency") != 0)
    return die ("--hint must be latency or throughput", NULL);

  model = ovi_model_load (opt_model, &error);
  if (model == NULL)
    return die ("cannot load the model", error);
  cfg.hint = throughput ? OVI_HINT_THROUGHPUT : OVI_HINT_LATENCY;
  cfg.n_threads = opt_threads;
  cfg.n_streams = opt_streams;
  cfg.disable_pinning = opt_no_pinning;
  {
    char **ignored = NULL;
    if (!ovi_compile_config_parse (&cfg, opt_config, &ignored, &error))
      return die ("bad --config", error);
    for (int i = 0; ignored && ignored[i]; i++)
      fprintf (stderr, "ovi-bench: --config: %s is not supported here; "
          "ignored\n", ignored[i]);
    g_strfreev (ignored);
    throughput = cfg.hint == OVI_HINT_THROUGHPUT;
  }
  t0 = start_time = g_get_monotonic_time ();
  cm = ovi_compile (model, opt_device, &cfg, &error);
  if (cm == NULL)
    return die ("cannot compile the model", error);
  compile_ms = (g_get_monotonic_time () - t0) / 1000.0;
  ovi_compiled_model_add_listener (cm, on_device_event, NULL);

  /* Two requests per stream, so that a stream's next inference is
   * already queued when one completes: this thread resubmits, and with
   * every core running a stream it has none of its own (a request cannot
   * be restarted from its own completion callback, where benchmark_app
   * restarts its). MobileNetV3, 2 streams: 278.6/287.4/275.8 with one
   * request per stream, 293.0/290.3/288.2 with two. */
  nireq = opt_nireq > 0 ? opt_nireq : throughput
      ? 2 * ovi_compiled_model_get_optimal_requests (cm) : 1;
  n_inputs = ovi_model_get_n_inputs (model);
  reqs = g_new0 (OviRequest *, nireq);
  slots = g_new0 (Slot, nireq);
  for (int i = 0; i < n_inputs; i++) {
    OviTensorView v;
    if (!parse_shape (model, i, &v))
      return die ("an input has a dynamic shape (give it with --shape) or "
          "a type ovi-bench cannot fill (strings)", NULL);
    v.data = random_data (&v, rand);
    g_ptr_array_add (buffers, v.data);
    for (int r = 0; r < nireq; r++) {
      if (reqs[r] == NULL)
        reqs[r] = ovi_request_new (cm, &error);
      if (!ovi_request_set_input_by_index (reqs[r], i, &v, &error))
        return die ("bad input", error);
    }
  }
  if (opt_image && !picture_init (model, opt_image, rand))
    return die ("--image wants NV12, I420, BGRx or GRAY8:WxH, and input 0 "
        "[N, 1 or 3, H, W]", NULL);

  /* The first inference binds memory; report it apart. */
  if (opt_pc)
    ovi_request_set_profiling (reqs[0], TRUE);
  t0 = g_get_monotonic_time ();
  if (!set_picture (reqs[0], &error) || !ovi_request_infer (reqs[0], &error))
    return die ("inference failed", error);
  first_ms = (g_get_monotonic_time () - t0) / 1000.0;
  first_device = g_strdup (ovi_request_get_device (reqs[0]));
  ovi_request_reset_profile (reqs[0]);
  for (int r = 1; r < nireq; r++)
    if (!set_picture (reqs[r], &error) || !ovi_request_infer (reqs[r], &error))
      return die ("inference failed", error);

  t0 = g_get_monotonic_time ();
  deadline = t0 + (gint64) (opt_time * 1e6);
  if (!throughput && nireq == 1) {
    while (opt_niter > 0 ? done < opt_niter : g_get_monotonic_time () < deadline) {
      gint64 s = g_get_monotonic_time ();
      double ms;
      if (!set_picture (reqs[0], &error) || !ovi_request_infer (reqs[0], &error))
        return die ("inference failed", error);
      ms = (g_get_monotonic_time () - s) / 1000.0;
      g_array_append_val (lat, ms);
      done++;
    }
  } else {
    GAsyncQueue *q = g_async_queue_new ();
    int in_flight = 0, started = 0;
    for (int r = 0; r < nireq; r++) {
      slots[r].done = q;
      slots[r].started = g_get_monotonic_time ();
      if (!set_picture (reqs[r], &error)
          || !ovi_request_infer_async (reqs[r], on_done, &slots[r], &error))
        return die ("inference failed", error);
      in_flight++;
      started++;
    }
    while (in_flight > 0) {
      Slot *s = g_async_queue_pop (q);
      int r = s - slots;
      double ms = (g_get_monotonic_time () - s->started) / 1000.0;
      in_flight--;
      if (!ovi_request_wait (reqs[r], &error))
        return die ("inference failed", error);
      g_array_append_val (lat, ms);
      done++;
      if (opt_niter > 0 ? started < opt_niter
          : g_get_monotonic_time () < deadline) {
        s->started = g_get_monotonic_time ();
        if (!set_picture (reqs[r], &error)
            || !ovi_request_infer_async (reqs[r], on_done, s, &error))
          return die ("inference failed", error);
        in_flight++;
        started++;
      }
    }
    g_async_queue_unref (q);
  }
  t_end = g_get_monotonic_time ();

  g_array_sort (lat, compare_double);
  median = g_array_index (lat, double, lat->len / 2);
  p90 = g_array_index (lat, double, MIN (lat->len - 1, lat->len * 9 / 10));
  fps = done / ((t_end - t0) / 1e6);
  if (opt_json) {
    printf ("{\"model\": \"%s\", \"device\": \"%s\", \"hint\": \"%s\", "
        "\"nireq\": %d, \"streams\": %d, \"iterations\": %d, "
        "\"compile_ms\": %.2f, \"first_inference_ms\": %.3f, "
        "\"median_ms\": %.3f, \"p90_ms\": %.3f, \"min_ms\": %.3f, "
        "\"throughput_fps\": %.2f, \"first_device\": \"%s\"", opt_model,
        opt_device, throughput ? "throughput" : "latency", nireq,
        ovi_compiled_model_get_optimal_requests (cm), done, compile_ms,
        first_ms, median, p90, g_array_index (lat, double, 0), fps,
        first_device);
    print_usage (cm, TRUE);
    printf ("}\n");
  } else {
    printf ("model: %s\ndevice: %s, hint %s, %d requests\n", opt_model,
        opt_device, throughput ? "throughput" : "latency", nireq);
    printf ("compile: %.1f ms, first inference: %.2f ms on %s\n", compile_ms,
        first_ms, first_device);
    printf ("iterations: %d\nlatency median: %.3f ms\nlatency p90: %.3f ms\n"
        "throughput: %.2f inferences/s\n", done, median, p90, fps);
    printf ("devices:\n");
    print_usage (cm, FALSE);
  }

  if (opt_pc)
    print_profile (reqs[0], opt_json ? stderr : stdout);

  for (int r = 0; r < nireq; r++)
    ovi_request_free (reqs[r]);
  g_free (reqs);
  g_free (slots);
  g_free (first_device);
  ovi_compiled_model_unref (cm);
  ovi_model_unref (model);
  g_ptr_array_free (buffers, TRUE);
  g_free (picture.bytes);
  g_free (picture.taps);
  g_array_free (lat, TRUE);
  g_rand_free (rand);
  return 0;
}
