/**
 * SECTION:element-ovfpscounter
 * @title: ovfpscounter
 *
 * Counts the frames that pass through it and prints the frame rate to
 * stdout every `interval` seconds, in the shape of DL Streamer's
 * gvafpscounter:
 *
 *     FpsCounter(last 1.00sec): total=60.00 fps, number-streams=2, per-stream=30.00 fps (30.00, 30.00)
 *     FpsCounter(average 5.00sec): total=59.80 fps, number-streams=2, per-stream=29.90 fps (29.80, 30.00)
 *
 * and the average of the whole run at end of stream ("overall"). Every
 * ovfpscounter of the process is one stream: the figures are the total
 * over all of them, with each stream's figure in parentheses. At each
 * interval every instance also posts an element message named
 * "ovfpscounter" with its own `fps` and `frames` and the `interval`,
 * `total-fps` and `number-streams` of the window. Buffers pass through
 * untouched.
 *
 * Time is read from the element's clock (the pipeline clock, normally the
 * monotonic system clock), else from the monotonic system time.
 *
 * `print-std-dev` adds "std dev interval: X.XXms", the standard deviation
 * of the time between a stream's successive frames (a measure of
 * jitter); `print-latency` adds "latency: X.XXms", the mean age of the
 * frames when they passed, from the wall-clock time codes that
 * `timecodestamper source=rtc` put on them at the source (frames without
 * one count for nothing; a warning says so once).
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 videotestsrc num-buffers=120 ! ovfpscounter interval=1 ! fakesink sync=true
 * ]|
 */
#include "gstovfpscounter.h"

#include <math.h>
#include <gst/video/video.h>

#include "ovfps-registry.h"

GST_DEBUG_CATEGORY_STATIC (gst_ov_fps_counter_debug);
#define GST_CAT_DEFAULT gst_ov_fps_counter_debug

#define DEFAULT_INTERVAL "1"
#define DEFAULT_STARTING_FRAME 0

enum {
  PROP_0,
  PROP_INTERVAL,
  PROP_STARTING_FRAME,
  PROP_AVG_FPS,
  PROP_PRINT_STD_DEV,
  PROP_PRINT_LATENCY,
};

struct _GstOvFpsCounter {
  GstBaseTransform parent;
  gchar *interval;
  guint starting_frame;
  gboolean print_std_dev, print_latency;
  OvFpsStream *stream;          /* between start and stop */
  gboolean warned_no_time_code;
  gdouble avg_fps;              /* after stop */
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

G_DEFINE_TYPE (GstOvFpsCounter, gst_ov_fps_counter, GST_TYPE_BASE_TRANSFORM);
GST_ELEMENT_REGISTER_DEFINE (ovfpscounter, "ovfpscounter", GST_RANK_NONE,
    GST_TYPE_OV_FPS_COUNTER);

static GstClockTime
now (GstOvFpsCounter *self)
{
  GstClock *clock = gst_element_get_clock (GST_ELEMENT (self));
  GstClockTime t;

  if (clock == NULL)
    return (GstClockTime) g_get_monotonic_time () * GST_USECOND;
  t = gst_clock_get_time (clock);
  gst_object_unref (clock);
  return t;
}

static gboolean
start (GstBaseTransform *trans)
{
  GstOvFpsCounter *self = GST_OV_FPS_COUNTER (trans);
  GError *error = NULL;
  GArray *intervals;
  OvFpsStream *stream;
  guint starting_frame;
  OvFpsPrint print = 0;

  GST_OBJECT_LOCK (self);
  intervals = ov_fps_parse_intervals (self->interval, &error);
  starting_frame = self->starting_frame;
  if (self->print_std_dev)
    print |= OV_FPS_PRINT_STD_DEV;
  if (self->print_latency)
    print |= OV_FPS_PRINT_LATENCY;
  self->warned_no_time_code = FALSE;
  GST_OBJECT_UNLOCK (self);
  if (intervals == NULL) {
    GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS, ("%s", error->message),
        (NULL));
    g_error_free (error);
    return FALSE;
  }
  stream = ov_fps_stream_join (GST_ELEMENT (self), intervals, starting_frame,
      print);
  g_array_unref (intervals);
  GST_OBJECT_LOCK (self);
  self->stream = stream;
  self->avg_fps = 0.0;
  GST_OBJECT_UNLOCK (self);
  return TRUE;
}

static gboolean
stop (GstBaseTransform *trans)
{
  GstOvFpsCounter *self = GST_OV_FPS_COUNTER (trans);
  OvFpsStream *stream;

  GST_OBJECT_LOCK (self);
  stream = self->stream;
  self->stream = NULL;
  if (stream)
    self->avg_fps = ov_fps_stream_get_avg_fps (stream);
  GST_OBJECT_UNLOCK (self);
  if (stream) {
    /* Stopped before EOS (an interrupted gst-launch-1.0): the overall
     * line all the same, as DL Streamer prints it when disposed. */
    ov_fps_stream_eos (stream, now (self));
    ov_fps_stream_leave (stream);
  }
  return TRUE;
}

static gboolean
sink_event (GstBaseTransform *trans, GstEvent *event)
{
  GstOvFpsCounter *self = GST_OV_FPS_COUNTER (trans);

  /* The stream's thread owns `stream` while streaming: stop() only runs
   * after the streaming thread has left. */
  if (self->stream) {
    if (GST_EVENT_TYPE (event) == GST_EVENT_EOS)
      ov_fps_stream_eos (self->stream, now (self));
    else if (GST_EVENT_TYPE (event) == GST_EVENT_FLUSH_STOP)
      ov_fps_stream_rejoin (self->stream);
  }
  return GST_BASE_TRANSFORM_CLASS (gst_ov_fps_counter_parent_class)->sink_event
      (trans, event);
}

/* How old the frame is by the wall clock, from its time code (NAN without
 * one, or for a time code without a date). */
static gdouble
frame_age_ms (GstOvFpsCounter *self, GstBuffer *buf)
{
  GstVideoTimeCodeMeta *tc = gst_buffer_get_video_time_code_meta (buf);
  GDateTime *stamped;
  gdouble age;

  if (tc == NULL || tc->tc.config.latest_daily_jam == NULL
      || (stamped = gst_video_time_code_to_date_time (&tc->tc)) == NULL) {
    if (!self->warned_no_time_code) {
      GST_ELEMENT_WARNING (self, STREAM, FORMAT,
          ("print-latency needs frames with a dated time code"),
          ("put timecodestamper source=rtc at the start of the pipeline"));
      self->warned_no_time_code = TRUE;
    }
    return NAN;
  }
  age = (g_get_real_time () - (g_date_time_to_unix (stamped) * G_USEC_PER_SEC
          + g_date_time_get_microsecond (stamped))) / 1000.0;
  g_date_time_unref (stamped);
  return age;
}

static GstFlowReturn
transform_ip (GstBaseTransform *trans, GstBuffer *buf)
{
  GstOvFpsCounter *self = GST_OV_FPS_COUNTER (trans);

  if (self->stream)
    ov_fps_stream_frame (self->stream, now (self), self->print_latency
        ? frame_age_ms (self, buf) : NAN);
  return GST_FLOW_OK;
}

static void
set_property (GObject *object, guint prop_id, const GValue *value,
    GParamSpec *pspec)
{
  GstOvFpsCounter *self = GST_OV_FPS_COUNTER (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_INTERVAL:
      g_free (self->interval);
      self->interval = g_value_dup_string (value);
      break;
    case PROP_PRINT_STD_DEV:
      self->print_std_dev = g_value_get_boolean (value);
      break;
    case PROP_PRINT_LATENCY:
      self->print_latency = g_value_get_boolean (value);
      break;
    case PROP_STARTING_FRAME:
      self->starting_frame = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
get_property (GObject *object, guint prop_id, GValue *value,
    GParamSpec *pspec)
{
  GstOvFpsCounter *self = GST_OV_FPS_COUNTER (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_INTERVAL:
      g_value_set_string (value, self->interval);
      break;
    case PROP_PRINT_STD_DEV:
      g_value_set_boolean (value, self->print_std_dev);
      break;
    case PROP_PRINT_LATENCY:
      g_value_set_boolean (value, self->print_latency);
      break;
    case PROP_STARTING_FRAME:
      g_value_set_uint (value, self->starting_frame);
      break;
    case PROP_AVG_FPS:
      g_value_set_float (value, (gfloat) (self->stream ?
              ov_fps_stream_get_avg_fps (self->stream) : self->avg_fps));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
finalize (GObject *object)
{
  GstOvFpsCounter *self = GST_OV_FPS_COUNTER (object);

  g_free (self->interval);
  G_OBJECT_CLASS (gst_ov_fps_counter_parent_class)->finalize (object);
}

static void
gst_ov_fps_counter_class_init (GstOvFpsCounterClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *bt_class = GST_BASE_TRANSFORM_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
      | GST_PARAM_MUTABLE_READY;

  GST_DEBUG_CATEGORY_INIT (gst_ov_fps_counter_debug, "ovfpscounter", 0,
      "frame rate counter");
  gobject_class->set_property = set_property;
  gobject_class->get_property = get_property;
  gobject_class->finalize = finalize;

  g_object_class_install_property (gobject_class, PROP_INTERVAL,
      g_param_spec_string ("interval", "Interval",
          "Seconds over which the frame rate is measured and printed; "
          "several intervals separated by commas (\"1,5\")",
          DEFAULT_INTERVAL, rw));
  g_object_class_install_property (gobject_class, PROP_STARTING_FRAME,
      g_param_spec_uint ("starting-frame", "Starting frame",
          "Frames not counted at the start (initialization cost)",
          0, G_MAXUINT, DEFAULT_STARTING_FRAME, rw));
  g_object_class_install_property (gobject_class, PROP_AVG_FPS,
      g_param_spec_float ("avg-fps", "Average FPS",
          "This stream's average frames per second since its starting "
          "frame", 0.0f, G_MAXFLOAT, 0.0f,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_PRINT_STD_DEV,
      g_param_spec_boolean ("print-std-dev", "Print std dev",
          "Also print the standard deviation of the time between "
          "successive frames, over all streams and per stream", FALSE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
          | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_PRINT_LATENCY,
      g_param_spec_boolean ("print-latency", "Print latency",
          "Also print the frames' mean age by the wall clock, from the time "
          "codes of timecodestamper source=rtc at the source", FALSE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
          | GST_PARAM_MUTABLE_READY));

  gst_element_class_set_static_metadata (element_class,
      "Frame rate counter", "Filter/Debug",
      "Measures the frame rate of one or more streams (DL Streamer "
      "gvafpscounter-compatible)", "gst-ovi developers");
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  bt_class->start = start;
  bt_class->stop = stop;
  bt_class->sink_event = sink_event;
  bt_class->transform_ip = transform_ip;
}

static void
gst_ov_fps_counter_init (GstOvFpsCounter *self)
{
  self->interval = g_strdup (DEFAULT_INTERVAL);
  self->starting_frame = DEFAULT_STARTING_FRAME;
  gst_base_transform_set_passthrough (GST_BASE_TRANSFORM (self), TRUE);
}
