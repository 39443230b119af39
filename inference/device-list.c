/* Parses device strings into the devices present (device-list.h). */
#include <string.h>

#include "device-list.h"
#include "model.h"

/* The device types every build knows by name, present or not: a list
 * naming GPU on a machine without one is not a typo. */
static const char *const standard_types[] = { "CPU", "GPU", "NPU" };

/* AUTO's order when no list is given: OpenVINO's (NPU, GPU, CPU). */
static int
type_rank (OviDeviceType type)
{
  switch (type) {
    case OVI_DEVICE_TYPE_NPU: return 0;
    case OVI_DEVICE_TYPE_GPU: return 1;
    default: return 2;
  }
}

/* A present device's type part ("GPU" of "GPU.1") and index (0 without:
 * "CPU" is CPU.0). */
static gsize
split_name (const char *name, int *index)
{
  gsize len;
  int i;
  ovi_device_name_split (name, &len, &i);
  if (index)
    *index = MAX (i, 0);
  return len;
}

static gboolean
type_is_known (const char *type, gsize len, const OviDeviceInfo *infos,
    int n)
{
  for (guint i = 0; i < G_N_ELEMENTS (standard_types); i++)
    if (strlen (standard_types[i]) == len
        && g_ascii_strncasecmp (standard_types[i], type, len) == 0)
      return TRUE;
  for (int i = 0; i < n; i++)
    if (split_name (infos[i].name, NULL) == len
        && g_ascii_strncasecmp (infos[i].name, type, len) == 0)
      return TRUE;
  return FALSE;
}

/* By type rank, and within a type in the registry's (index) order;
 * devices that emulate an accelerator on the host's cores are left out
 * (they compete with the CPU device for the same cores). */
static void
add_all_present (GPtrArray *out, const OviDeviceInfo *infos, int n)
{
  for (int r = 0; r < 3; r++)
    for (int i = 0; i < n; i++)
      if (type_rank (infos[i].type) == r && !infos[i].on_host)
        g_ptr_array_add (out, g_strdup (infos[i].name));
}

/* Appends the devices present that one list entry names. */
static gboolean
add_entry (GPtrArray *out, const char *spec, const char *entry,
    const OviDeviceInfo *infos, int n, GError **error)
{
  int want;
  gsize type_len;
  gboolean indexed, found = FALSE;

  if (*entry == '\0') {
    g_set_error (error, OVI_ERROR, OVI_ERROR_DEVICE,
        "device list '%s' has an empty entry", spec);
    return FALSE;
  }
  /* Not TYPE.number: reported as unknown below. */
  if (!ovi_device_name_split (entry, &type_len, &want))
    type_len = 0;
  indexed = want >= 0;
  if (type_len == 0 || !type_is_known (entry, type_len, infos, n)) {
    char *names = ovi_device_present_names ();
    g_set_error (error, OVI_ERROR, OVI_ERROR_DEVICE,
        "unknown device '%s' in '%s' (known types: CPU, GPU, NPU; "
        "present: %s)", entry, spec, names);
    g_free (names);
    return FALSE;
  }
  for (int i = 0; i < n; i++) {
    int index;
    if (split_name (infos[i].name, &index) != type_len
        || g_ascii_strncasecmp (infos[i].name, entry, type_len) != 0
        || (indexed && index != want))
      continue;
    for (guint k = 0; k < out->len; k++) {
      if (strcmp (out->pdata[k], infos[i].name) == 0) {
        g_set_error (error, OVI_ERROR, OVI_ERROR_DEVICE,
            "device %s is listed twice in '%s'", infos[i].name, spec);
        return FALSE;
      }
    }
    g_ptr_array_add (out, g_strdup (infos[i].name));
    found = TRUE;
  }
  if (!found)
    ovi_log (OVI_LOG_INFO, "device %s (listed in '%s') is not present; "
        "left out", entry, spec);
  return TRUE;
}

GPtrArray *
ovi_device_list_parse (const char *spec, gboolean *scheduled,
    GError **error)
{
  int n;
  const OviDeviceInfo *infos;
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  char *text = g_strstrip (g_strdup (spec ? spec : "CPU"));
  const char *list = text;
  char **entries;
  gboolean ok = TRUE;

  *scheduled = FALSE;
  if (g_ascii_strncasecmp (text, "HETERO", 6) == 0
      && (text[6] == ':' || text[6] == '\0')) {
    g_set_error (error, OVI_ERROR, OVI_ERROR_DEVICE,
        "'%s': HETERO (one model split across devices) is not supported; "
        "use AUTO:<devices> to run whole inferences on the best device",
        text);
    goto fail;
  }
  if (g_ascii_strcasecmp (text, "AUTO") == 0
      || g_ascii_strcasecmp (text, "MULTI") == 0) {
    GArray *candidates = ovi_device_auto_candidates ();
    *scheduled = TRUE;
    add_all_present (out, (const OviDeviceInfo *) candidates->data,
        (int) candidates->len);
    g_array_free (candidates, TRUE);
    g_free (text);
    return out;
  }
  if ((g_ascii_strncasecmp (text, "AUTO:", 5) == 0)
      || g_ascii_strncasecmp (text, "MULTI:", 6) == 0) {
    list = strchr (text, ':') + 1;
    *scheduled = TRUE;
  } else if (strchr (text, ',')) {
    *scheduled = TRUE;
  } else {
    /* One device: ovi_device_lookup resolves it ("GPU" is the first). */
    g_ptr_array_add (out, text);
    return out;
  }
  if (*scheduled && *list == '\0') {
    g_set_error (error, OVI_ERROR, OVI_ERROR_DEVICE,
        "'%s' lists no device", text);
    goto fail;
  }
  /* A list names kinds: every device is probed (a single device is
   * resolved above without probing the other kinds). */
  infos = ovi_get_devices (&n);
  entries = g_strsplit (list, ",", -1);
  for (int i = 0; ok && entries[i]; i++)
    ok = add_entry (out, text, g_strstrip (entries[i]), infos, n, error);
  g_strfreev (entries);
  if (!ok)
    goto fail;
  if (out->len == 0) {
    char *names = ovi_device_present_names ();
    g_set_error (error, OVI_ERROR, OVI_ERROR_DEVICE,
        "none of the devices in '%s' is present (present: %s)", text, names);
    g_free (names);
    goto fail;
  }
  g_free (text);
  return out;

fail:
  g_free (text);
  g_ptr_array_free (out, TRUE);
  return NULL;
}
