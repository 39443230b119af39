/* Pre-processing speed: a frame to a model's input tensor in one pass,
 * against GStreamer's own GstVideoConverter doing only the resize and
 * color conversion (to packed BGR, no float tensor) in the same run.
 *
 * Usage: ovi-preproc-bench [FORMAT W H TW TH [ITERATIONS [stretch|letterbox]]]
 * Default: NV12 1920x1080 -> 300x300 stretched, 300 iterations, one
 * thread. With letterbox both sides scale keeping the aspect ratio into a
 * centered rectangle and fill the border. */
#include <gst/gst.h>
#include <gst/video/video.h>
#include <stdlib.h>

#include "gstovpreproc.h"

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static double
median (double *v, int n)
{
  qsort (v, n, sizeof *v, cmp_double);
  return v[n / 2];
}

int
main (int argc, char **argv)
{
  const char *fmt_name = argc > 1 ? argv[1] : "NV12";
  int w = argc > 3 ? atoi (argv[2]) : 1920, h = argc > 3 ? atoi (argv[3]) : 1080;
  int tw = argc > 5 ? atoi (argv[4]) : 300, th = argc > 5 ? atoi (argv[5]) : 300;
  int iters = argc > 6 ? atoi (argv[6]) : 300;
  gboolean letterbox = argc > 7 && !g_strcmp0 (argv[7], "letterbox");
  GstVideoInfo in_info, out_info;
  GstVideoFormat fmt;
  GstBuffer *in, *out;
  GstVideoFrame in_frame, out_frame;
  GstOvPreprocParams p;
  GstVideoConverter *conv;
  float *tensor;
  double *ours, *peer;
  guint8 *bytes;
  gsize size;

  gst_init (&argc, &argv);
  fmt = gst_video_format_from_string (fmt_name);
  if (!gst_ov_preproc_format_supported (fmt) || w <= 0 || h <= 0 || tw <= 0
      || th <= 0 || iters <= 0
      || (argc > 7 && !letterbox && g_strcmp0 (argv[7], "stretch"))) {
    g_printerr ("usage: %s [FORMAT W H TW TH [ITERATIONS "
        "[stretch|letterbox]]]\n", argv[0]);
    return 1;
  }
  gst_video_info_set_format (&in_info, fmt, w, h);
  in = gst_buffer_new_allocate (NULL, in_info.size, NULL);
  /* Varied content, so nothing is predictably cached or branch-free. */
  {
    GstMapInfo map;
    gst_buffer_map (in, &map, GST_MAP_WRITE);
    bytes = map.data;
    size = map.size;
    for (gsize i = 0; i < size; i++)
      bytes[i] = (guint8) ((i * 2654435761u) >> 13);
    gst_buffer_unmap (in, &map);
  }
  gst_video_info_set_format (&out_info, GST_VIDEO_FORMAT_BGR, tw, th);
  out = gst_buffer_new_allocate (NULL, out_info.size, NULL);
  if (letterbox) {
    double scale = MIN ((double) tw / w, (double) th / h);
    int cw = (int) (w * scale + 0.5), ch = (int) (h * scale + 0.5);
    conv = gst_video_converter_new (&in_info, &out_info,
        gst_structure_new ("options",
            GST_VIDEO_CONVERTER_OPT_DEST_X, G_TYPE_INT, (tw - cw) / 2,
            GST_VIDEO_CONVERTER_OPT_DEST_Y, G_TYPE_INT, (th - ch) / 2,
            GST_VIDEO_CONVERTER_OPT_DEST_WIDTH, G_TYPE_INT, cw,
            GST_VIDEO_CONVERTER_OPT_DEST_HEIGHT, G_TYPE_INT, ch, NULL));
  } else {
    conv = gst_video_converter_new (&in_info, &out_info, NULL);
  }

  gst_ov_preproc_params_init (&p);
  p.width = tw;
  p.height = th;
  if (letterbox)
    p.resize = GST_OV_RESIZE_ASPECT_RATIO;
  gst_ov_preproc_params_set_normalization (&p, 0.0, 1.0, NULL, NULL);
  tensor = g_new (float, 3 * (gsize) tw * th);
  ours = g_new (double, iters);
  peer = g_new (double, iters);

  gst_video_frame_map (&in_frame, &in_info, in, GST_MAP_READ);
  gst_video_frame_map (&out_frame, &out_info, out, GST_MAP_WRITE);
  for (int i = 0; i < iters; i++) {
    gint64 t0 = g_get_monotonic_time (), t1, t2;
    gst_ov_preproc_run (&p, &in_frame, NULL, tensor, NULL);
    t1 = g_get_monotonic_time ();
    gst_video_converter_frame (conv, &in_frame, &out_frame);
    t2 = g_get_monotonic_time ();
    ours[i] = (t1 - t0) / 1000.0;
    peer[i] = (t2 - t1) / 1000.0;
  }
  gst_video_frame_unmap (&out_frame);
  gst_video_frame_unmap (&in_frame);

  {
    double m_ours = median (ours, iters), m_peer = median (peer, iters);
    g_print ("%s %dx%d -> %dx%d %s, float NCHW BGR, %d iterations, "
        "1 thread\n", fmt_name, w, h, tw, th,
        letterbox ? "letterboxed" : "stretched", iters);
    g_print ("ovi pre-processing:         median %.3f ms\n", m_ours);
    g_print ("GstVideoConverter (to BGR): median %.3f ms\n", m_peer);
    g_print ("ratio peer/ovi: %.2f\n", m_peer / m_ours);
  }
  gst_video_converter_free (conv);
  gst_buffer_unref (in);
  gst_buffer_unref (out);
  g_free (tensor);
  g_free (ours);
  g_free (peer);
  return 0;
}
