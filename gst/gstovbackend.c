/* DL Streamer's `pre-process-backend` values (gstovbackend.h). */
#include "gstovbackend.h"

static const struct {
  const gchar *name;
  GstOvBackend backend;
} backends[] = {
  { "ie", GST_OV_BACKEND_IE },
  { "opencv", GST_OV_BACKEND_OPENCV },
  { "va", GST_OV_BACKEND_VA },
  { "vaapi", GST_OV_BACKEND_VA },
  { "va-surface-sharing", GST_OV_BACKEND_VA_SHARING },
  { "vaapi-surface-sharing", GST_OV_BACKEND_VA_SHARING },
};

gboolean
gst_ov_backend_parse (const gchar *text, GstOvBackend *backend,
    GError **error)
{
  gchar *name = g_strstrip (g_strdup (text ? text : ""));
  gboolean found = *name == '\0';

  *backend = GST_OV_BACKEND_AUTO;
  for (guint i = 0; !found && i < G_N_ELEMENTS (backends); i++) {
    if (g_ascii_strcasecmp (name, backends[i].name) == 0) {
      *backend = backends[i].backend;
      found = TRUE;
    }
  }
  if (!found)
    g_set_error (error, GST_LIBRARY_ERROR, GST_LIBRARY_ERROR_SETTINGS,
        "pre-process-backend '%s' is not supported here: use ie, opencv, "
        "va, va-surface-sharing (or vaapi, vaapi-surface-sharing), or "
        "leave it empty", name);
  g_free (name);
  return found;
}

gboolean
gst_ov_backend_allows_memory (GstOvBackend backend, GstOvMemoryKind memory)
{
  switch (backend) {
    case GST_OV_BACKEND_IE:
    case GST_OV_BACKEND_OPENCV:
      return memory == GST_OV_MEMORY_SYSTEM;
    case GST_OV_BACKEND_VA:
    case GST_OV_BACKEND_VA_SHARING:
      return memory != GST_OV_MEMORY_SYSTEM;
    default:
      return TRUE;
  }
}

GstCaps *
gst_ov_backend_filter_caps (GstOvBackend backend, GstCaps *caps)
{
  if (backend == GST_OV_BACKEND_AUTO || gst_caps_is_any (caps))
    return caps;
  caps = gst_caps_make_writable (caps);
  for (guint i = gst_caps_get_size (caps); i-- > 0;) {
    if (!gst_ov_backend_allows_memory (backend,
            gst_ov_features_memory_kind (gst_caps_get_features (caps, i))))
      gst_caps_remove_structure (caps, i);
  }
  return caps;
}

gboolean
gst_ov_backend_forces_cpu (GstOvBackend backend)
{
  return backend == GST_OV_BACKEND_OPENCV;
}
