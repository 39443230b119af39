/* The `device` property's strings and the "ovi-device" bus message
 * (gstovdevice.h). */
#include "gstovdevice.h"

#include <string.h>

void
gst_ov_device_post (GstElement *element, const gchar *reason,
    const gchar *device, const gchar *previous, const gchar *message,
    const gchar *pre_process)
{
  gchar *name = gst_element_get_name (element);
  GstStructure *s = gst_structure_new ("ovi-device",
      "element", G_TYPE_STRING, name,
      "device", G_TYPE_STRING, device,
      "reason", G_TYPE_STRING, reason, NULL);
  if (previous)
    gst_structure_set (s, "previous", G_TYPE_STRING, previous, NULL);
  if (message)
    gst_structure_set (s, "message", G_TYPE_STRING, message, NULL);
  if (pre_process)
    gst_structure_set (s, "pre-process", G_TYPE_STRING, pre_process, NULL);
  g_free (name);
  gst_element_post_message (element,
      gst_message_new_element (GST_OBJECT (element), s));
}

gboolean
gst_ov_device_allows_cpu (const gchar *device)
{
  gchar *text = g_strstrip (g_ascii_strup (device ? device : "AUTO", -1));
  const gchar *list = text;
  gchar **entries;
  gboolean cpu = FALSE;

  if (strcmp (text, "AUTO") == 0 || strcmp (text, "MULTI") == 0
      || *text == '\0') {
    g_free (text);
    return TRUE;
  }
  if (g_str_has_prefix (text, "AUTO:") || g_str_has_prefix (text, "MULTI:"))
    list = strchr (text, ':') + 1;
  entries = g_strsplit (list, ",", -1);
  for (int i = 0; entries[i]; i++) {
    gchar *e = g_strstrip (entries[i]);
    cpu |= strcmp (e, "CPU") == 0 || strcmp (e, "CPU.0") == 0;
  }
  g_strfreev (entries);
  g_free (text);
  return cpu;
}
