/* ovi-run: one inference, every output written as DIR/<name>.npy.
 *   ovi-run --model M --input NAME=in.npy [--input ...] --output-dir DIR
 *           [--device CPU]
 *   ovi-run --list-devices
 * Exits non-zero with a one-line error on any failure. */
#include <stdio.h>
#include <string.h>

#include "npy.h"
#include "ovi.h"

static char *model_path;
static char **inputs;
static char *output_dir;
static char *device = (char *) "CPU";
static gboolean list_devices;

static GOptionEntry entries[] = {
  { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model_path, "Model (.onnx or .xml)", "M" },
  { "input", 'i', 0, G_OPTION_ARG_STRING_ARRAY, &inputs, "Input tensor", "NAME=file.npy" },
  { "output-dir", 'o', 0, G_OPTION_ARG_FILENAME, &output_dir, "Where outputs go", "DIR" },
  { "device", 'd', 0, G_OPTION_ARG_STRING, &device, "Device (CPU, GPU.0, ...)", "D" },
  { "list-devices", 'l', 0, G_OPTION_ARG_NONE, &list_devices, "List the devices present and exit", NULL },
  { NULL }
};

static int
print_devices (void)
{
  static const char *const types[] = { "CPU", "GPU", "NPU" };
  int n;
  const OviDeviceInfo *d = ovi_get_devices (&n);
  for (int i = 0; i < n; i++) {
    printf ("%s: %s\n", d[i].name, d[i].full_name);
    printf ("  type %s, driver %s, %d compute units, fp16 %s", types[d[i].type],
        d[i].driver, d[i].compute_units, d[i].fp16 ? "yes" : "no");
    if (d[i].memory_bytes)
      printf (", %.1f GiB", d[i].memory_bytes / (1024.0 * 1024 * 1024));
    if (d[i].on_host)
      printf (", runs on the host's cores (not chosen by AUTO)");
    printf ("\n");
  }
  return 0;
}

static int
die (GError *error)
{
  fprintf (stderr, "ovi-run: %s\n", error->message);
  g_error_free (error);
  return 1;
}

int
main (int argc, char **argv)
{
  GOptionContext *ctx = g_option_context_new ("- run one inference");
  GError *error = NULL;
  OviModel *model;
  OviCompiledModel *cm;
  OviRequest *req;
  GPtrArray *buffers = g_ptr_array_new_with_free_func (g_free);
  int rc = 0;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    return die (error);
  g_option_context_free (ctx);
  if (list_devices)
    return print_devices ();
  if (model_path == NULL || output_dir == NULL) {
    fprintf (stderr, "ovi-run: --model and --output-dir are required\n");
    return 2;
  }
  model = ovi_model_load (model_path, &error);
  if (model == NULL)
    return die (error);
  cm = ovi_compile (model, device, NULL, &error);
  if (cm == NULL)
    return die (error);
  req = ovi_request_new (cm, &error);
  for (int i = 0; inputs && inputs[i]; i++) {
    char *eq = strchr (inputs[i], '=');
    OviTensorView t;
    char *name;
    if (eq == NULL) {
      fprintf (stderr, "ovi-run: --input expects NAME=file.npy, got '%s'\n",
          inputs[i]);
      return 2;
    }
    name = g_strndup (inputs[i], eq - inputs[i]);
    if (!ovi_npy_read (eq + 1, &t, &error)
        || !ovi_request_set_input (req, name, &t, &error)) {
      g_free (name);
      return die (error);
    }
    g_ptr_array_add (buffers, t.data);
    g_free (name);
  }
  if (!ovi_request_infer (req, &error))
    return die (error);
  g_mkdir_with_parents (output_dir, 0755);
  for (int i = 0; i < ovi_request_get_n_outputs (req); i++) {
    const char *name;
    OviTensorView t;
    char *safe, *file, *path;
    ovi_request_get_output (req, i, &name, &t);
    safe = g_strdup (name);
    g_strdelimit (safe, "/\\", '_');
    file = g_strconcat (safe, ".npy", NULL);
    path = g_build_filename (output_dir, file, NULL);
    if (!ovi_npy_write (path, &t, &error))
      rc = die (error), error = NULL;
    g_free (safe);
    g_free (file);
    g_free (path);
  }
  ovi_request_free (req);
  ovi_compiled_model_unref (cm);
  ovi_model_unref (model);
  g_ptr_array_free (buffers, TRUE);
  return rc;
}
