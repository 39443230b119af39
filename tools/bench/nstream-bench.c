/* N streams through ovdetect sharing one model (model-instance-id), the
 * way a multi-camera application runs: each stream is a decoded-frame
 * source (one frame repeated by imagefreeze, so producing frames costs
 * nothing and what is measured is pre-processing, inference and GStreamer)
 * into ovdetect and a fakesink. Prints the total frames per second after
 * a warm-up, to compare with `ovi-bench --hint throughput` on the same
 * model (scripts/bench-pipeline.sh does both).
 *
 * Usage: ovi-nstream-bench --model M [--model-proc J] [--streams N]
 *          [--frames F] [--warmup W] [--width W --height H --format NV12]
 *          [--device CPU] [--nireq N] [--json] */
#include <gst/gst.h>
#include <stdlib.h>

typedef struct {
  gint frames;                  /* all streams, atomic */
  gint warmup_total;
  gint64 t_warm;                /* when the warm-up frames had passed */
  gint64 t_last;
  GMutex lock;
} Counter;

static void
on_handoff (GstElement *sink, GstBuffer *buf, GstPad *pad, gpointer data)
{
  Counter *c = data;
  gint n = g_atomic_int_add (&c->frames, 1) + 1;
  gint64 now = g_get_monotonic_time ();
  g_mutex_lock (&c->lock);
  if (n == c->warmup_total)
    c->t_warm = now;
  c->t_last = now;
  g_mutex_unlock (&c->lock);
}

int
main (int argc, char **argv)
{
  gchar *model = NULL, *model_proc = NULL, *format = g_strdup ("NV12");
  gchar *device = g_strdup ("CPU");
  gint streams = 1, frames = 300, warmup = 20, width = 1280, height = 720;
  gint nireq = 0;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model, "Detector model", "M" },
    { "model-proc", 0, 0, G_OPTION_ARG_FILENAME, &model_proc,
        "Its model-proc JSON", "J" },
    { "streams", 'n', 0, G_OPTION_ARG_INT, &streams, "Streams (1)", "N" },
    { "frames", 'f', 0, G_OPTION_ARG_INT, &frames, "Frames per stream (300)",
        "F" },
    { "warmup", 0, 0, G_OPTION_ARG_INT, &warmup,
        "Frames per stream not timed (20)", "W" },
    { "width", 0, 0, G_OPTION_ARG_INT, &width, "Frame width (1280)", "W" },
    { "height", 0, 0, G_OPTION_ARG_INT, &height, "Frame height (720)", "H" },
    { "format", 0, 0, G_OPTION_ARG_STRING, &format, "Pixel format (NV12)",
        "F" },
    { "device", 'd', 0, G_OPTION_ARG_STRING, &device, "Device (CPU)", "D" },
    { "nireq", 0, 0, G_OPTION_ARG_INT, &nireq,
        "Requests of the shared model (0: the device's choice)", "N" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print one JSON object", NULL },
    { NULL },
  };
  GOptionContext *ctx = g_option_context_new ("- N streams through ovdetect");
  GError *error = NULL;
  GString *launch;
  GstElement *pipeline;
  GstBus *bus;
  GstMessage *msg;
  Counter c = { 0 };
  int ret = 0;

  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || !model
      || streams < 1 || frames <= warmup || warmup < 1) {
    g_printerr ("%s\n", error ? error->message
        : "--model is required; streams >= 1; frames > warmup >= 1");
    return 2;
  }
  g_option_context_free (ctx);

  launch = g_string_new (NULL);
  for (int i = 0; i < streams; i++) {
    g_string_append_printf (launch,
        "videotestsrc num-buffers=1 pattern=smpte ! "
        "video/x-raw,format=%s,width=%d,height=%d,framerate=30/1 ! "
        "imagefreeze num-buffers=%d ! "
        "ovdetect model=\"%s\" %s%s%s model-instance-id=bench device=%s "
        "nireq=%d ! fakesink name=sink%d sync=false signal-handoffs=true ",
        format, width, height, frames, model,
        model_proc ? "model-proc=\"" : "", model_proc ? model_proc : "",
        model_proc ? "\"" : "", device, nireq, i);
  }
  pipeline = gst_parse_launch (launch->str, &error);
  if (!pipeline) {
    g_printerr ("pipeline: %s\n", error->message);
    return 1;
  }
  g_mutex_init (&c.lock);
  c.warmup_total = warmup * streams;
  for (int i = 0; i < streams; i++) {
    gchar *name = g_strdup_printf ("sink%d", i);
    GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), name);
    g_signal_connect (sink, "handoff", G_CALLBACK (on_handoff), &c);
    gst_object_unref (sink);
    g_free (name);
  }

  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  bus = gst_element_get_bus (pipeline);
  msg = gst_bus_timed_pop_filtered (bus, GST_CLOCK_TIME_NONE,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    GError *err;
    gchar *dbg;
    gst_message_parse_error (msg, &err, &dbg);
    g_printerr ("error: %s (%s)\n", err->message, dbg ? dbg : "");
    g_error_free (err);
    g_free (dbg);
    ret = 1;
  }
  gst_message_unref (msg);
  gst_element_set_state (pipeline, GST_STATE_NULL);

  if (ret == 0) {
    gint timed = g_atomic_int_get (&c.frames) - c.warmup_total;
    double seconds = (c.t_last - c.t_warm) / 1e6;
    double fps = seconds > 0 ? timed / seconds : 0;
    if (json)
      g_print ("{\"model\": \"%s\", \"streams\": %d, \"frames\": %d, "
          "\"seconds\": %.3f, \"total_fps\": %.2f, \"per_stream_fps\": %.2f}\n",
          model, streams, timed, seconds, fps, fps / streams);
    else
      g_print ("%d stream(s) of %dx%d %s: %d frames in %.2f s, total %.2f fps, "
          "per stream %.2f fps\n", streams, width, height, format, timed,
          seconds, fps, fps / streams);
  }
  gst_object_unref (bus);
  gst_object_unref (pipeline);
  g_string_free (launch, TRUE);
  g_mutex_clear (&c.lock);
  g_free (model);
  g_free (model_proc);
  g_free (format);
  g_free (device);
  return ret;
}
