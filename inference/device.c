/* The device registry: the kinds built in, listed here once, and the
 * devices they found, probed on first use. */
#include <string.h>

#include "device.h"
#include "cpu/cpu-sgemm.h"

#ifdef HAVE_OPENCL
#include "gpu/gpu-device.h"
#endif
#ifdef HAVE_LEVEL_ZERO
#include "npu/npu-device.h"
#endif

/* The CPU's name says which kernels run (chosen at run time). */
static const char *
cpu_full_name (void)
{
  const char *isa = ovi_cpu_isa ();
  if (strcmp (isa, "avx512") == 0)
    return "CPU (AVX-512 kernels)";
  if (strcmp (isa, "avx2") == 0)
    return "CPU (AVX2 kernels)";
  return "CPU (portable kernels)";
}

static void
cpu_enumerate (GArray *infos)
{
  OviDeviceInfo info = {
    .full_name = cpu_full_name (),
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

/* The kinds are listed at once; each kind's devices are probed the first
 * time something asks for that kind, or for every device. Probing OpenCL
 * loads every installed ICD (pocl brings LLVM and clang: 60 MiB of
 * resident memory), which a process that only asks for the CPU should
 * not pay. */
typedef struct {
  const OviDeviceInterface *kinds[MAX_KINDS];
  int n_kinds;
  GArray *kind_infos[MAX_KINDS];   /* OviDeviceInfo; NULL until probed,
                                    * never changed after */
  gboolean all_probed;
  GArray *infos;             /* every kind's OviDeviceInfo, in kind order */
} Registry;

static Registry registry;
static GMutex probe_lock;
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

static Registry *
get_kinds (void)
{
  static gsize once;
  if (g_once_init_enter (&once)) {
    Registry *r = &registry;
    for (guint i = 0; i < G_N_ELEMENTS (built_in); i++)
      r->kinds[r->n_kinds++] = built_in[i];
    g_mutex_lock (&extra_lock);
    for (int i = 0; i < n_extra && r->n_kinds < MAX_KINDS; i++)
      r->kinds[r->n_kinds++] = extra[i];
    g_mutex_unlock (&extra_lock);
    g_once_init_leave (&once, 1);
  }
  return &registry;
}

/* Kind k's devices, probed and named on first use. Called with
 * probe_lock held. */
static GArray *
probe_kind_locked (Registry *r, int k)
{
  if (r->kind_infos[k] == NULL) {
    GArray *a = g_array_new (FALSE, TRUE, sizeof (OviDeviceInfo));
    r->kinds[k]->enumerate (a);
    for (guint i = 0; i < a->len; i++) {
      OviDeviceInfo *info = &g_array_index (a, OviDeviceInfo, i);
      /* The CPU is one device: "CPU", as OpenVINO names it. */
      info->name = r->kinds[k]->type == OVI_DEVICE_TYPE_CPU && a->len == 1
          ? g_strdup (r->kinds[k]->type_name)
          : g_strdup_printf ("%s.%u", r->kinds[k]->type_name, i);
    }
    r->kind_infos[k] = a;
  }
  return r->kind_infos[k];
}

static const GArray *
kind_devices (Registry *r, int k)
{
  GArray *a;
  g_mutex_lock (&probe_lock);
  a = probe_kind_locked (r, k);
  g_mutex_unlock (&probe_lock);
  return a;
}

/* Every kind probed, and the flat list of all devices. */
static const Registry *
get_registry (void)
{
  Registry *r = get_kinds ();
  g_mutex_lock (&probe_lock);
  if (!r->all_probed) {
    r->infos = g_array_new (FALSE, TRUE, sizeof (OviDeviceInfo));
    for (int k = 0; k < r->n_kinds; k++) {
      GArray *a = probe_kind_locked (r, k);
      g_array_append_vals (r->infos, a->data, a->len);
    }
    r->all_probed = TRUE;
  }
  g_mutex_unlock (&probe_lock);
  return r;
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
  Registry *r = get_kinds ();
  for (int k = 0; k < r->n_kinds; k++) {
    const GArray *a;
    if (r->kinds[k] != iface)
      continue;
    a = kind_devices (r, k);
    if (index >= 0 && (guint) index < a->len)
      return g_array_index (a, OviDeviceInfo, index).name;
  }
  return NULL;
}

const OviDeviceInterface *
ovi_device_interface (OviDeviceType type)
{
  const Registry *r = get_kinds ();
  for (int k = 0; k < r->n_kinds; k++)
    if (r->kinds[k]->type == type)
      return r->kinds[k];
  return NULL;
}

GArray *
ovi_device_auto_candidates (void)
{
  Registry *r = get_kinds ();
  GArray *out = g_array_new (FALSE, TRUE, sizeof (OviDeviceInfo));
  for (int k = 0; k < r->n_kinds; k++) {
    const GArray *a;
    if (r->kinds[k]->offload_possible && !r->kinds[k]->offload_possible ())
      continue;
    a = kind_devices (r, k);
    g_array_append_vals (out, a->data, a->len);
  }
  return out;
}

gboolean
ovi_device_node_present (const char *dir, const char *prefix)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const char *e;
  gboolean found = FALSE;
  if (d == NULL)
    return FALSE;
  while (!found && (e = g_dir_read_name (d)) != NULL)
    found = g_str_has_prefix (e, prefix);
  g_dir_close (d);
  return found;
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
  Registry *r = get_kinds ();
  gsize type_len;
  int want;
  char *names;

  /* A malformed index matches nothing; no index is the first device.
   * Only the kind named is probed. */
  if (!ovi_device_name_split (name, &type_len, &want))
    want = -1;
  else if (want < 0)
    want = 0;
  for (int k = 0; want >= 0 && k < r->n_kinds; k++) {
    if (strlen (r->kinds[k]->type_name) == type_len
        && g_ascii_strncasecmp (r->kinds[k]->type_name, name, type_len) == 0
        && (guint) want < kind_devices (r, k)->len) {
      *iface = r->kinds[k];
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
