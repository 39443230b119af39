/* DL Streamer's KEY=VALUE settings strings (gstovkeyvalues.h). */
#include "gstovkeyvalues.h"

#include <gst/gst.h>
#include <string.h>

gboolean
gst_ov_key_value_bool (const gchar *value, gboolean *out)
{
  if (!g_ascii_strcasecmp (value, "true") || !g_ascii_strcasecmp (value,
          "yes") || !strcmp (value, "1")) {
    *out = TRUE;
    return TRUE;
  }
  if (!g_ascii_strcasecmp (value, "false") || !g_ascii_strcasecmp (value,
          "no") || !strcmp (value, "0")) {
    *out = FALSE;
    return TRUE;
  }
  return FALSE;
}

gboolean
gst_ov_key_values_foreach (const gchar *text, const gchar *property,
    GstOvKeyValueFunc func, gpointer user_data, GError **error)
{
  gchar **entries;
  gboolean ok = TRUE;

  if (text == NULL || *text == '\0')
    return TRUE;
  entries = g_strsplit (text, ",", -1);
  for (gchar **e = entries; ok && *e; e++) {
    gchar *entry = g_strstrip (*e), *eq = strchr (entry, '=');
    if (*entry == '\0')
      continue;
    if (eq == NULL || eq == entry) {
      g_set_error (error, GST_LIBRARY_ERROR, GST_LIBRARY_ERROR_SETTINGS,
          "%s: '%s' is not KEY=VALUE", property, entry);
      ok = FALSE;
      break;
    }
    *eq = '\0';
    ok = func (g_strstrip (entry), g_strstrip (eq + 1), user_data, error);
  }
  g_strfreev (entries);
  return ok;
}
