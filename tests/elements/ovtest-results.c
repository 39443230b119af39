#include "ovtest-results.h"

#include <gst/video/video.h>

#include "gstovmeta.h"

static void
append_structure (GString *out, const GstStructure *s)
{
  GstStructure *copy = gst_structure_copy (s);
  gsize size = 0;
  gconstpointer data = gst_structure_has_field (s, "data")
      ? gst_ov_tensor_structure_get_data (s, &size) : NULL;
  char *text;

  gst_structure_remove_fields (copy, "data", "data_buffer", NULL);
  text = gst_structure_to_string (copy);
  g_string_append_printf (out, "  %s\n", text);
  g_free (text);
  if (data) {
    char *sum = g_compute_checksum_for_data (G_CHECKSUM_SHA256, data, size);
    g_string_append_printf (out, "  data %" G_GSIZE_FORMAT " bytes %s\n",
        size, sum);
    g_free (sum);
  }
  gst_structure_free (copy);
}

char *
ov_test_describe_results (GstBuffer *buf)
{
  GString *out = g_string_new (NULL);
  gpointer state = NULL;
  GstMeta *m;

  while ((m = gst_buffer_iterate_meta (buf, &state))) {
    if (m->info->api == GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE) {
      GstVideoRegionOfInterestMeta *roi = (GstVideoRegionOfInterestMeta *) m;
      g_string_append_printf (out, "roi %s %u %u %u %u\n",
          g_quark_to_string (roi->roi_type), roi->x, roi->y, roi->w, roi->h);
      for (GList *l = roi->params; l; l = l->next)
        append_structure (out, l->data);
    } else if (m->info->api == GST_OV_TENSOR_META_API_TYPE) {
      g_string_append (out, "tensor\n");
      append_structure (out, ((GstOvTensorMeta *) m)->data);
    }
  }
  return g_string_free (out, FALSE);
}
