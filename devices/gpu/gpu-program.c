/* Programs: kernels/common.cl followed by one op group's .cl file, built
 * once per device and process, and cached on disk as the driver's binary
 * so that later processes skip the compiler (pocl takes seconds per
 * program; GPU drivers less, but not nothing).
 *
 * Cache files live in $OVI_OPENCL_CACHE_DIR, else
 * $XDG_CACHE_HOME/ovi/opencl, named by a SHA-256 of everything that
 * determines the binary: device name, vendor and version, driver, build
 * options and source text. Each file carries a checksum of its payload: a
 * truncated or corrupt file (or one a driver refuses) is ignored and
 * rebuilt, never trusted. */
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "gpu-cl-sources.h"
#include "gpu-context.h"
#include "ovi.h"

#define CACHE_MAGIC "OVICLBIN1\n"
#define CACHE_MAGIC_LEN 10
#define DIGEST_LEN 32

static const char *
find_source (const char *name)
{
  for (const OviGpuClSource *s = ovi_gpu_cl_sources; s->name; s++)
    if (strcmp (s->name, name) == 0)
      return s->source;
  return NULL;
}

static char *
cache_dir (void)
{
  const char *env = g_getenv ("OVI_OPENCL_CACHE_DIR");
  if (env && env[0])
    return g_strdup (env);
  return g_build_filename (g_get_user_cache_dir (), "ovi", "opencl", NULL);
}

char *
ovi_gpu_program_cache_path (OviGpuDevice *dev, const char *name,
    const char *options)
{
  GChecksum *sum = g_checksum_new (G_CHECKSUM_SHA256);
  const char *parts[] = { dev->name, dev->vendor, dev->version, dev->driver,
    options, find_source ("common"), find_source (name) };
  char *dir = cache_dir (), *file, *path;
  for (guint i = 0; i < G_N_ELEMENTS (parts); i++) {
    const char *p = parts[i] ? parts[i] : "";
    /* The NUL separates the parts: ("ab", "c") differs from ("a", "bc"). */
    g_checksum_update (sum, (const guchar *) p, strlen (p) + 1);
  }
  file = g_strdup_printf ("%s-%s.bin", name, g_checksum_get_string (sum));
  path = g_build_filename (dir, file, NULL);
  g_checksum_free (sum);
  g_free (dir);
  g_free (file);
  return path;
}

static void
digest (const guint8 *data, gsize len, guint8 out[DIGEST_LEN])
{
  GChecksum *sum = g_checksum_new (G_CHECKSUM_SHA256);
  gsize n = DIGEST_LEN;
  g_checksum_update (sum, data, len);
  g_checksum_get_digest (sum, out, &n);
  g_checksum_free (sum);
}

/* The cached binary, checked; NULL when absent or damaged. */
static guint8 *
read_cache (const char *path, gsize *len)
{
  gchar *data;
  gsize size;
  guint8 want[DIGEST_LEN];
  guint8 *payload;
  if (!g_file_get_contents (path, &data, &size, NULL))
    return NULL;
  if (size <= CACHE_MAGIC_LEN + DIGEST_LEN
      || memcmp (data, CACHE_MAGIC, CACHE_MAGIC_LEN) != 0) {
    g_free (data);
    return NULL;
  }
  *len = size - CACHE_MAGIC_LEN - DIGEST_LEN;
  payload = (guint8 *) data + CACHE_MAGIC_LEN + DIGEST_LEN;
  digest (payload, *len, want);
  if (memcmp (want, data + CACHE_MAGIC_LEN, DIGEST_LEN) != 0) {
    g_free (data);
    return NULL;
  }
  payload = g_memdup2 (payload, *len);
  g_free (data);
  return payload;
}

/* Best effort: a cache that cannot be written only costs the next
 * process a build. Written to a temporary name and renamed, so that
 * concurrent processes never read a half-written file. */
static void
write_cache (const char *path, cl_program program)
{
  size_t size = 0;
  guint8 *bin, *file;
  unsigned char *ptr;
  char *dir, *tmp;
  int fd;

  if (clGetProgramInfo (program, CL_PROGRAM_BINARY_SIZES, sizeof (size),
          &size, NULL) != CL_SUCCESS || size == 0)
    return;
  file = g_malloc (CACHE_MAGIC_LEN + DIGEST_LEN + size);
  bin = file + CACHE_MAGIC_LEN + DIGEST_LEN;
  ptr = bin;
  if (clGetProgramInfo (program, CL_PROGRAM_BINARIES, sizeof (ptr), &ptr,
          NULL) != CL_SUCCESS) {
    g_free (file);
    return;
  }
  memcpy (file, CACHE_MAGIC, CACHE_MAGIC_LEN);
  digest (bin, size, file + CACHE_MAGIC_LEN);
  dir = g_path_get_dirname (path);
  g_mkdir_with_parents (dir, 0700);
  tmp = g_strdup_printf ("%s.XXXXXX", path);
  fd = g_mkstemp (tmp);
  if (fd >= 0) {
    gboolean ok = TRUE;
    gsize left = CACHE_MAGIC_LEN + DIGEST_LEN + size;
    const guint8 *p = file;
    while (ok && left > 0) {
      gssize w = write (fd, p, left);
      ok = w > 0;
      if (ok) {
        p += w;
        left -= w;
      }
    }
    ok &= close (fd) == 0;
    if (!ok || g_rename (tmp, path) != 0)
      g_unlink (tmp);
  }
  g_free (tmp);
  g_free (dir);
  g_free (file);
}

static gboolean
build (OviGpuDevice *dev, cl_program program, const char *name,
    const char *options, gboolean report, GError **error)
{
  cl_int err = clBuildProgram (program, 1, &dev->id, options, NULL, NULL);
  if (err != CL_SUCCESS && report) {
    size_t size = 0;
    char *log;
    clGetProgramBuildInfo (program, dev->id, CL_PROGRAM_BUILD_LOG, 0, NULL,
        &size);
    log = g_malloc0 (size + 1);
    clGetProgramBuildInfo (program, dev->id, CL_PROGRAM_BUILD_LOG, size, log,
        NULL);
    g_set_error (error, OVI_ERROR, OVI_ERROR_DEVICE,
        "building OpenCL program '%s' failed: %s (%d)\n%s", name,
        ovi_gpu_cl_error_name (err), err, log);
    g_free (log);
  }
  return err == CL_SUCCESS;
}

cl_program
ovi_gpu_program_build (OviGpuDevice *dev, const char *name,
    const char *options, gboolean *from_cache, GError **error)
{
  cl_context ctx = ovi_gpu_device_context (dev, error);
  const char *src[2] = { find_source ("common"), find_source (name) };
  char *path;
  guint8 *bin;
  gsize len = 0;
  cl_program program = NULL;
  cl_int err = CL_SUCCESS;

  *from_cache = FALSE;
  if (ctx == NULL)
    return NULL;
  if (src[0] == NULL || src[1] == NULL) {
    g_set_error (error, OVI_ERROR, OVI_ERROR_DEVICE,
        "no OpenCL source '%s'", name);
    return NULL;
  }
  path = ovi_gpu_program_cache_path (dev, name, options);
  bin = read_cache (path, &len);
  if (bin) {
    const unsigned char *b = bin;
    size_t n = len;
    cl_int status = CL_SUCCESS;
    program = clCreateProgramWithBinary (ctx, 1, &dev->id, &n, &b, &status,
        &err);
    if (program && (err != CL_SUCCESS || status != CL_SUCCESS
            || !build (dev, program, name, options, FALSE, NULL))) {
      /* A binary the driver refuses (another driver build): rebuild. */
      clReleaseProgram (program);
      program = NULL;
    }
    g_free (bin);
    *from_cache = program != NULL;
  }
  if (program == NULL) {
    program = clCreateProgramWithSource (ctx, 2, src, NULL, &err);
    if (program == NULL || err != CL_SUCCESS) {
      ovi_gpu_set_error (error, "clCreateProgramWithSource", err);
      g_free (path);
      return NULL;
    }
    if (!build (dev, program, name, options, TRUE, error)) {
      clReleaseProgram (program);
      g_free (path);
      return NULL;
    }
    write_cache (path, program);
  }
  g_free (path);
  return program;
}

cl_program
ovi_gpu_program_get (OviGpuDevice *dev, const char *name,
    const char *options, GError **error)
{
  char *key = g_strdup_printf ("%s|%s", name, options);
  cl_program program;

  /* Held while building: two compiled models asking for the same program
   * wait for one build instead of doing two. */
  g_mutex_lock (&dev->program_lock);
  if (dev->programs == NULL)
    dev->programs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
        NULL);
  program = g_hash_table_lookup (dev->programs, key);
  if (program == NULL) {
    gboolean cached;
    program = ovi_gpu_program_build (dev, name, options, &cached, error);
    if (program)
      g_hash_table_insert (dev->programs, g_strdup (key), program);
  }
  g_mutex_unlock (&dev->program_lock);
  g_free (key);
  return program;
}
