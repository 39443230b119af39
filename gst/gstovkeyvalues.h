/* The "KEY=VALUE,KEY=VALUE" strings of DL Streamer's settings properties
 * (pre-process-config, gvatrack's config and deepsort-trck-cfg): split,
 * trimmed, checked for the form, handed out one pair at a time. */
#ifndef GST_OV_KEY_VALUES_H
#define GST_OV_KEY_VALUES_H

#include <glib.h>

G_BEGIN_DECLS

/* FALSE with `error` set stops the walk. */
typedef gboolean (*GstOvKeyValueFunc) (const gchar *key, const gchar *value,
    gpointer user_data, GError **error);

/* Calls `func` for each pair of `text` (NULL or "" has none; empty
 * entries are skipped). An entry without '=' or with an empty key fails
 * with GST_LIBRARY_ERROR_SETTINGS "`property`: 'x' is not KEY=VALUE". */
gboolean gst_ov_key_values_foreach (const gchar *text, const gchar *property,
    GstOvKeyValueFunc func, gpointer user_data, GError **error);

/* A boolean value as these strings write it: true, yes or 1; false, no
 * or 0 (case-insensitive). FALSE for anything else. */
gboolean gst_ov_key_value_bool (const gchar *value, gboolean *out);

G_END_DECLS

#endif
