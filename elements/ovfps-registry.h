/* The process-wide frame counter behind ovfpscounter: every instance is
 * one stream, and the figures printed are for all streams together, as
 * DL Streamer's gvafpscounter does. Each distinct interval is one
 * measuring window shared by all streams; an "average" window runs from
 * the moment the current set of streams was complete. */
#ifndef OV_FPS_REGISTRY_H
#define OV_FPS_REGISTRY_H

#include <gst/gst.h>

G_BEGIN_DECLS

typedef struct _OvFpsStream OvFpsStream;

/* Parses "1", "0.5", "1,5" (DL Streamer accepts comma-separated whole
 * seconds; fractions are ours): the positive intervals in seconds. NULL
 * with `error` set if any entry is not a positive number. */
GArray *ov_fps_parse_intervals (const gchar *text, GError **error);

/* What a stream adds to the lines (DL Streamer's print-std-dev and
 * print-latency): printed when any stream in the window asked. */
typedef enum {
  /* "std dev interval: X.XXms": the sample standard deviation of the
   * times between a stream's successive frames, over the window, all
   * streams' intervals pooled (per stream in brackets). */
  OV_FPS_PRINT_STD_DEV = 1 << 0,
  /* "latency: X.XXms": the mean age of the frames when they passed, from
   * their time codes (timecodestamper source=rtc at the source). */
  OV_FPS_PRINT_LATENCY = 1 << 1,
} OvFpsPrint;

/* Registers `element` (not referenced: call ov_fps_stream_leave before it
 * is finalized) as one stream measured over `intervals` (seconds), its
 * first `starting_frame` frames not counted. */
OvFpsStream *ov_fps_stream_join (GstElement *element, GArray *intervals,
    guint starting_frame, OvFpsPrint print);

/* A frame at time `now` (any monotonic nanosecond clock shared by all
 * streams), `latency_ms` old (NAN: unknown). When a window completes, its
 * line goes to stdout and each stream's element posts an "ovfpscounter"
 * element message. */
void ov_fps_stream_frame (OvFpsStream *stream, GstClockTime now,
    gdouble latency_ms);

/* End of the stream: prints the average of the current set of streams
 * ("overall") and takes this stream out of it; the others start afresh. */
void ov_fps_stream_eos (OvFpsStream *stream, GstClockTime now);

/* Counting again after a flush that followed EOS. */
void ov_fps_stream_rejoin (OvFpsStream *stream);

/* This stream's own average since its starting frame (0 before two
 * counted frames). */
gdouble ov_fps_stream_get_avg_fps (OvFpsStream *stream);

void ov_fps_stream_leave (OvFpsStream *stream);

G_END_DECLS

#endif
