/* The device registry: the kinds built in, listed here once, and the
 * devices they found, probed on first use. */
#include <string.h>

#include "device.h"

#ifdef HAVE_OPENCL
#include "gpu/gpu-device.h"
#endif
#ifdef HAVE_LEVEL_ZERO
#include "npu/npu-device.h"
#endif

static void
cpu_enumerate (GArray *infos)
{
  OviDeviceInfo info = {
    .full_name = "CPU (oneDNN and AVX2 kernels)",
    .driver = "ovi " OVI_VERSION,
    .type = OVI_DEVICE_TYPE_CPU,
    .compute_units = (int) g_get_num_processors (),
  };
  g_array_append_val (infos, info);
}

/* The CPU runs plans itself (request.c); it has nothing to open. */
static const OviDeviceInterface cpu_device = {
  .type_name = "CPU",
  .type = OVI_DEVICE_TYPE_CPU,
  .enumerate = cpu_enumerate,
};

static const OviDeviceInterface *const built_in[] = {
  &cpu_device,
#ifdef HAVE_OPENCL
  &ovi_gpu_device,
#endif
#ifdef HAVE_LEVEL_ZERO
  &ovi_npu_device,
#endif
};

#define MAX_KINDS 8

typedef struct {
  const OviDeviceInterface *kinds[MAX_KINDS];
  int n_kinds;
  GArray *infos;             /* OviDeviceInfo */
  GArray *info_kind;         /* int: the kind of each info */
  GArray *info_index;        /* int: its index among its kind */
} Registry;

static Registry registry;
static const OviDeviceInterface *extra[MAX_KINDS];
static int n_extra;
static GMutex extra_lock;

void
ovi_device_register_for_tests (const OviDeviceInterface *iface)
{
  g_mutex_lock (&extra_lock);
  if (n_extra < MAX_KINDS)
    extra[n_extra++] = iface;
  g_mutex_unlock (&extra_lock);
}

static const Registry *
get_registry (void)
{
  static gsize once;
  if (g_once_init_enter (&once)) {
    Registry *r = &registry;
    r->infos = g_array_new (FALSE, TRUE, sizeof (OviDeviceInfo));
    r->info_kind = g_array_new (FALSE, FALSE, sizeof (int));
    r->info_index = g_array_new (FALSE, FALSE, sizeof (int));
    for (guint i = 0; i < G_N_ELEMENTS (built_in); i++)
      r->kinds[r->n_kinds++] = built_in[i];
    g_mutex_lock (&extra_lock);
    for (int i = 0; i < n_extra && r->n_kinds < MAX_KINDS; i++)
      r->kinds[r->n_kinds++] = extra[i];
    g_mutex_unlock (&extra_lock);
    for (int k = 0; k < r->n_kinds; k++) {
      guint first = r->infos->len;
      r->kinds[k]->enumerate (r->infos);
      for (guint i = first; i < r->infos->len; i++) {
        OviDeviceInfo *info = &g_array_index (r->infos, OviDeviceInfo, i);
        int index = i - first;
        /* The CPU is one device: "CPU", as OpenVINO names it. */
        info->name = r->kinds[k]->type == OVI_DEVICE_TYPE_CPU
            && r->infos->len - first == 1 ? g_strdup (r->kinds[k]->type_name)
            : g_strdup_printf ("%s.%d", r->kinds[k]->type_name, index);
        g_array_append_val (r->info_kind, k);
        g_array_append_val (r->info_index, index);
      }
    }
    g_once_init_leave (&once, 1);
  }
  return &registry;
}

const OviDeviceInfo *
ovi_get_devices (int *n_devices)
{
  const Registry *r = get_registry ();
  if (n_devices)
    *n_devices = r->infos->len;
  return (const OviDeviceInfo *) r->infos->data;
}

const char *
ovi_device_get_name (const OviDeviceInterface *iface, int index)
{
  const Registry *r = get_registry ();
  for (guint i = 0; i < r->infos->len; i++)
    if (r->kinds[g_array_index (r->info_kind, int, i)] == iface
        && g_array_index (r->info_index, int, i) == index)
      return g_array_index (r->infos, OviDeviceInfo, i).name;
  return NULL;
}

const OviDeviceInterface *
ovi_device_interface (OviDeviceType type)
{
  const Registry *r = get_registry ();
  for (int k = 0; k < r->n_kinds; k++)
    if (r->kinds[k]->type == type)
      return r->kinds[k];
  return NULL;
}

char *
ovi_device_present_names (void)
{
  const Registry *r = get_registry ();
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < r->infos->len; i++)
    g_string_append_printf (s, "%s%s", i ? ", " : "",
        g_array_index (r->infos, OviDeviceInfo, i).name);
  return g_string_free (s, FALSE);
}

gboolean
ovi_device_name_split (const char *name, gsize *type_len, int *index)
{
  const char *dot = strchr (name, '.');
  char *end;
  guint64 v;

  *type_len = dot ? (gsize) (dot - name) : strlen (name);
  *index = -1;
  if (dot == NULL)
    return TRUE;
  v = g_ascii_strtoull (dot + 1, &end, 10);
  if (end == dot + 1 || *end || v > G_MAXINT)
    return FALSE;
  *index = (int) v;
  return TRUE;
}

gboolean
ovi_device_lookup (const char *name, const OviDeviceInterface **iface,
    int *index, GError **error)
{
  const Registry *r = get_registry ();
  gsize type_len;
  int want;
  char *names;

  /* A malformed index matches nothing; no index is the first device. */
  if (!ovi_device_name_split (name, &type_len, &want))
    want = -1;
  else if (want < 0)
    want = 0;
  for (guint i = 0; want >= 0 && i < r->infos->len; i++) {
    const OviDeviceInterface *k =
        r->kinds[g_array_index (r->info_kind, int, i)];
    if (strlen (k->type_name) == type_len
        && g_ascii_strncasecmp (k->type_name, name, type_len) == 0
        && g_array_index (r->info_index, int, i) == want) {
      *iface = k;
      *index = want;
      return TRUE;
    }
  }
  names = ovi_device_present_names ();
  g_set_error (error, OVI_ERROR, OVI_ERROR_DEVICE,
      "device '%s' is not available (available: %s)", name, names);
  g_free (names);
  return FALSE;
}
