/* ovi-conformance: runs the ONNX backend test suite (Debian's
 * libonnx-testdata) through the engine and compares with the expected
 * outputs using the ONNX backend tolerances (rtol 1e-3, atol 1e-7).
 *
 * Each test runs in a forked child with a time limit, so that a crash or a
 * hang is reported as that test's failure rather than ending the run.
 * A test is skipped when the engine reports an op or type as unsupported;
 * every other mismatch or error is a failure. */
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "onnx/onnx.h"
#include "ovi.h"
#include "tensor.h"

static const char *default_suites[] = { "node", "pytorch-converted",
  "pytorch-operator", "simple", NULL };

static char **opt_suites;
static char *opt_filter;
static gboolean opt_verbose;
static gboolean opt_no_fork;
static int opt_timeout = 120;
static int opt_min_passed = -1;
static char *opt_device;
static char *opt_shard;
static int shard_index, shard_count = 1;

static GOptionEntry entries[] = {
  { "suite", 's', 0, G_OPTION_ARG_STRING_ARRAY, &opt_suites, "Suite to run (repeatable)", "NAME" },
  { "filter", 'f', 0, G_OPTION_ARG_STRING, &opt_filter, "Only tests whose name contains TEXT", "TEXT" },
  { "verbose", 'v', 0, G_OPTION_ARG_NONE, &opt_verbose, "Print every test", NULL },
  { "no-fork", 0, 0, G_OPTION_ARG_NONE, &opt_no_fork, "Run tests in-process (for debugging)", NULL },
  { "timeout", 't', 0, G_OPTION_ARG_INT, &opt_timeout, "Seconds per test", "S" },
  { "min-passed", 0, 0, G_OPTION_ARG_INT, &opt_min_passed, "Fail unless at least N tests pass", "N" },
  { "device", 'd', 0, G_OPTION_ARG_STRING, &opt_device, "Device to run on (CPU, GPU.0, ...; default CPU)", "NAME" },
  { "shard", 0, 0, G_OPTION_ARG_STRING, &opt_shard, "Run every N-th test of each suite from the I-th (0-based), for N runs side by side", "I/N" },
  { NULL }
};

typedef enum { RESULT_PASS, RESULT_FAIL, RESULT_SKIP } Result;

/* Tests whose reference data is wrong in ONNX 1.12 (Debian 12's
 * libonnx-testdata); each is reported as skipped with the reason. */
static const struct {
  const char *test;
  const char *reason;
} data_defects[] = {
  { "test_cast_FLOAT_to_BFLOAT16", "reference data: ONNX 1.12 truncates "
        "float to bfloat16; the spec and ONNX Runtime round to nearest even" },
  { "test_castlike_FLOAT_to_BFLOAT16", "reference data: input 'like' has "
        "shape [1], the model declares [3,4]" },
  { "test_castlike_FLOAT_to_BFLOAT16_expanded", "reference data: input "
        "'like' has shape [1], the model declares [3,4]" },
  { "test_castlike_BFLOAT16_to_FLOAT", "reference data: input 'like' has "
        "shape [1], the model declares [3,4]" },
  { "test_castlike_BFLOAT16_to_FLOAT_expanded", "reference data: input "
        "'like' has shape [1], the model declares [3,4]" },
};

static const char *
data_defect (const char *test)
{
  for (guint i = 0; i < G_N_ELEMENTS (data_defects); i++)
    if (strcmp (data_defects[i].test, test) == 0)
      return data_defects[i].reason;
  return NULL;
}

static OviTensor *
load_pb (const char *path, char **name, GError **error)
{
  char *data;
  gsize len;
  OviTensor *t;
  if (!g_file_get_contents (path, &data, &len, error))
    return NULL;
  t = ovi_onnx_parse_tensor ((const guint8 *) data, len, NULL, name, error);
  g_free (data);
  return t;
}

static gboolean
compare (const OviTensorView *got, const OviTensor *want, char **why)
{
  int64_t n = ovi_shape_numel (want->rank, want->dims);
  if (got->dtype != want->dtype) {
    *why = g_strdup_printf ("type %s, expected %s",
        ovi_dtype_name (got->dtype), ovi_dtype_name (want->dtype));
    return FALSE;
  }
  if (!ovi_shape_equal (got->rank, got->dims, want->rank, want->dims)) {
    char *a = ovi_shape_to_string (got->rank, got->dims);
    char *b = ovi_shape_to_string (want->rank, want->dims);
    *why = g_strdup_printf ("shape %s, expected %s", a, b);
    g_free (a);
    g_free (b);
    return FALSE;
  }
  for (int64_t i = 0; i < n; i++) {
    if (want->dtype == OVI_DTYPE_STRING) {
      /* Strings compare exactly; a NULL element reads as "". */
      const char *g = ((char *const *) got->data)[i];
      const char *w = ovi_tensor_string (want, i);
      if (strcmp (g ? g : "", w) != 0) {
        *why = g_strdup_printf ("element %" G_GINT64_FORMAT " is \"%s\", "
            "expected \"%s\"", i, g ? g : "", w);
        return FALSE;
      }
    } else if (ovi_dtype_is_float (want->dtype)) {
      double g = ovi_load_f64 (got->dtype, got->data, i);
      double w = ovi_load_f64 (want->dtype, want->data, i);
      if (isnan (w) && isnan (g))
        continue;
      if (isinf (w) && g == w)
        continue;
      if (!(fabs (g - w) <= 1e-7 + 1e-3 * fabs (w))) {
        *why = g_strdup_printf ("element %" G_GINT64_FORMAT " is %.9g, "
            "expected %.9g", i, g, w);
        return FALSE;
      }
    } else {
      int64_t g = ovi_load_i64 (got->dtype, got->data, i);
      int64_t w = ovi_load_i64 (want->dtype, want->data, i);
      if (g != w) {
        *why = g_strdup_printf ("element %" G_GINT64_FORMAT " is %"
            G_GINT64_FORMAT ", expected %" G_GINT64_FORMAT, i, g, w);
        return FALSE;
      }
    }
  }
  return TRUE;
}

static Result
classify_error (GError *error, char **why)
{
  Result r = error->domain == OVI_ERROR && error->code == OVI_ERROR_UNSUPPORTED
      ? RESULT_SKIP : RESULT_FAIL;
  *why = g_strdup (error->message);
  g_error_free (error);
  return r;
}

static char *
pb_path (const char *set_dir, const char *kind, int k)
{
  char *file = g_strdup_printf ("%s_%d.pb", kind, k);
  char *path = g_build_filename (set_dir, file, NULL);
  g_free (file);
  return path;
}

static Result
run_test (const char *dir, char **why)
{
  char *model_path = g_build_filename (dir, "model.onnx", NULL);
  GError *error = NULL;
  OviModel *model = ovi_model_load (model_path, &error);
  OviCompiledModel *cm = NULL;
  OviRequest *req = NULL;
  Result result = RESULT_PASS;
  int n_sets = 0;

  g_free (model_path);
  if (model == NULL)
    return classify_error (error, why);
  cm = ovi_compile (model, opt_device ? opt_device : "CPU", NULL, &error);
  if (cm == NULL) {
    ovi_model_unref (model);
    return classify_error (error, why);
  }
  req = ovi_request_new (cm, &error);

  for (int set = 0; result == RESULT_PASS; set++) {
    char *set_name = g_strdup_printf ("test_data_set_%d", set);
    char *set_dir = g_build_filename (dir, set_name, NULL);
    GPtrArray *held = g_ptr_array_new_with_free_func (
        (GDestroyNotify) ovi_tensor_free);
    g_free (set_name);
    if (!g_file_test (set_dir, G_FILE_TEST_IS_DIR)) {
      g_free (set_dir);
      g_ptr_array_free (held, TRUE);
      break;
    }
    n_sets++;
    /* Inputs by position; a .pb's name, when present, must agree. */
    for (int k = 0; k < ovi_model_get_n_inputs (model); k++) {
      char *path = pb_path (set_dir, "input", k);
      char *name = NULL;
      OviTensor *t = load_pb (path, &name, &error);
      OviTensorView v;
      g_free (path);
      g_free (name);
      if (t == NULL) {
        result = classify_error (error, why);
        break;
      }
      g_ptr_array_add (held, t);
      /* ONNX 1.12's test data stores bfloat16 tensors as uint16 bit
       * patterns: take them as what the model declares. */
      {
        OviTensorView info;
        ovi_model_get_input (model, k, NULL, &info);
        if (t->dtype == OVI_DTYPE_UINT16 && info.dtype == OVI_DTYPE_BFLOAT16)
          t->dtype = OVI_DTYPE_BFLOAT16;
      }
      v.dtype = t->dtype;
      v.rank = t->rank;
      memcpy (v.dims, t->dims, sizeof (v.dims));
      v.data = t->data;
      if (!ovi_request_set_input_by_index (req, k, &v, &error)) {
        result = classify_error (error, why);
        break;
      }
    }
    if (result == RESULT_PASS && !ovi_request_infer (req, &error))
      result = classify_error (error, why);
    for (int k = 0; result == RESULT_PASS
        && k < ovi_request_get_n_outputs (req); k++) {
      char *path = pb_path (set_dir, "output", k);
      OviTensor *want = load_pb (path, NULL, &error);
      OviTensorView got;
      const char *name;
      char *detail = NULL;
      g_free (path);
      if (want == NULL) {
        result = classify_error (error, why);
        break;
      }
      ovi_request_get_output (req, k, &name, &got);
      if (want->dtype == OVI_DTYPE_UINT16 && got.dtype == OVI_DTYPE_BFLOAT16)
        want->dtype = OVI_DTYPE_BFLOAT16;   /* the same storage quirk */
      if (!compare (&got, want, &detail)) {
        *why = g_strdup_printf ("data set %d, output '%s': %s", set, name,
            detail);
        g_free (detail);
        result = RESULT_FAIL;
      }
      ovi_tensor_free (want);
    }
    g_ptr_array_free (held, TRUE);
    g_free (set_dir);
  }
  if (result == RESULT_PASS && n_sets == 0) {
    *why = g_strdup ("no test data sets");
    result = RESULT_FAIL;
  }
  ovi_request_free (req);
  ovi_compiled_model_unref (cm);
  ovi_model_unref (model);
  return result;
}

/* Runs one test in a child; the verdict comes back over a pipe. */
static Result
run_isolated (const char *dir, char **why)
{
  int fds[2];
  pid_t pid;
  GString *msg = g_string_new (NULL);
  char buf[4096];
  ssize_t n;
  int status = 0;

  if (opt_no_fork)
    return run_test (dir, why);
  if (pipe (fds) != 0) {
    *why = g_strdup ("pipe failed");
    return RESULT_FAIL;
  }
  fflush (stdout);
  pid = fork ();
  if (pid == 0) {
    char *reason = NULL;
    Result r;
    close (fds[0]);
    alarm (opt_timeout);
    r = run_test (dir, &reason);
    {
      char *line = g_strdup_printf ("%d%s", r, reason ? reason : "");
      if (write (fds[1], line, strlen (line)) < 0)
        _exit (3);
      g_free (line);
    }
    g_free (reason);
    close (fds[1]);
    /* exit(), not _exit(): LeakSanitizer checks the test at exit and a
     * leak then shows as a non-zero status. */
    exit (0);
  }
  close (fds[1]);
  while ((n = read (fds[0], buf, sizeof (buf))) > 0)
    g_string_append_len (msg, buf, n);
  close (fds[0]);
  waitpid (pid, &status, 0);
  if (WIFSIGNALED (status)) {
    *why = g_strdup_printf ("crashed with signal %d (%s)", WTERMSIG (status),
        WTERMSIG (status) == SIGALRM ? "time limit" : strsignal (WTERMSIG (status)));
    g_string_free (msg, TRUE);
    return RESULT_FAIL;
  }
  if (msg->len == 0 || WEXITSTATUS (status) != 0) {
    *why = g_strdup_printf ("exited with status %d", WEXITSTATUS (status));
    g_string_free (msg, TRUE);
    return RESULT_FAIL;
  }
  {
    Result r = msg->str[0] - '0';
    *why = msg->len > 1 ? g_strdup (msg->str + 1) : NULL;
    g_string_free (msg, TRUE);
    return r;
  }
}

/* Asked in a child: a driver initialized in this process (pocl starts
 * threads) would not survive the fork of every test. */
static gboolean
device_present (const char *name)
{
  pid_t pid;
  int status = 0;
  fflush (stdout);
  pid = fork ();
  if (pid == 0) {
    int n;
    const OviDeviceInfo *d = ovi_get_devices (&n);
    for (int i = 0; i < n; i++)
      if (g_ascii_strcasecmp (d[i].name, name) == 0)
        _exit (0);
    _exit (1);
  }
  return pid > 0 && waitpid (pid, &status, 0) == pid && WIFEXITED (status)
      && WEXITSTATUS (status) == 0;
}

static gint
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* "op Foo is not supported" -> "op Foo" so that reasons group. */
static char *
reason_key (const char *why)
{
  const char *p = why ? strstr (why, "op ") : NULL;
  const char *q = why ? strstr (why, "type ") : NULL;
  if (why && g_str_has_prefix (why, "reference data"))
    return g_strdup ("defect in the reference data (see the tool's table)");
  if (why && strstr (why, "' has a ") && strstr (why, "type"))
    return g_strdup (strstr (why, "' has a ") + 8);
  if (why && strstr (why, "): ") && !strstr (why, "op "))
    return g_strdup_printf ("%.*s%s", (int) strcspn (strstr (why, "' (") + 3,
            ")"), strstr (why, "' (") ? strstr (why, "' (") + 3 : "",
        strstr (why, "): ") + 1);
  if (p)
    return g_strndup (p, strcspn (p, ":,") );
  if (q)
    return g_strndup (q, strcspn (q, ":,") );
  return g_strdup (why ? why : "unknown");
}

int
main (int argc, char **argv)
{
  GOptionContext *octx = g_option_context_new ("[DIR] - run the ONNX backend tests");
  GError *error = NULL;
  const char *root;
  const char *const *suites;
  int total[3] = { 0 };
  GHashTable *skip_reasons = g_hash_table_new_full (g_str_hash, g_str_equal,
      g_free, NULL);

  g_option_context_add_main_entries (octx, entries, NULL);
  if (!g_option_context_parse (octx, &argc, &argv, &error)) {
    fprintf (stderr, "ovi-conformance: %s\n", error->message);
    return 2;
  }
  g_option_context_free (octx);
  if (opt_shard && (sscanf (opt_shard, "%d/%d", &shard_index, &shard_count) != 2
          || shard_count < 1 || shard_index < 0
          || shard_index >= shard_count)) {
    fprintf (stderr, "ovi-conformance: --shard wants I/N with 0 <= I < N, "
        "not '%s'\n", opt_shard);
    return 2;
  }
  root = argc > 1 ? argv[1] : "/usr/share/libonnx-testdata/data";
  suites = opt_suites ? (const char *const *) opt_suites : default_suites;
  if (opt_device && !device_present (opt_device)) {
    /* A device this machine lacks skips the run (exit 77, meson's skip)
     * instead of failing every test. */
    printf ("ovi-conformance: device %s is not available: skipped\n",
        opt_device);
    return 77;
  }
  if (!g_file_test (root, G_FILE_TEST_IS_DIR)) {
    fprintf (stderr, "ovi-conformance: %s is not a folder (apt-get install "
        "libonnx-testdata)\n", root);
    return 2;
  }

  for (int s = 0; suites[s]; s++) {
    char *suite_dir = g_build_filename (root, suites[s], NULL);
    GDir *d = g_dir_open (suite_dir, 0, NULL);
    GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
    int count[3] = { 0 };
    const char *entry;
    if (d == NULL) {
      fprintf (stderr, "ovi-conformance: no suite %s\n", suite_dir);
      g_free (suite_dir);
      g_ptr_array_free (names, TRUE);
      return 2;
    }
    while ((entry = g_dir_read_name (d)))
      if (opt_filter == NULL || strstr (entry, opt_filter))
        g_ptr_array_add (names, g_strdup (entry));
    g_dir_close (d);
    g_ptr_array_sort (names, compare_strings);
    for (guint i = 0; i < names->len; i++) {
      const char *name = g_ptr_array_index (names, i);
      char *dir;
      const char *defect;
      char *why;
      Result r;
      if ((int) (i % shard_count) != shard_index)
        continue;
      dir = g_build_filename (suite_dir, name, NULL);
      defect = data_defect (name);
      why = defect ? g_strdup (defect) : NULL;
      r = defect ? RESULT_SKIP : run_isolated (dir, &why);
      count[r]++;
      if (r == RESULT_FAIL || opt_verbose)
        printf ("%s %s/%s%s%s\n", r == RESULT_PASS ? "PASS" : r == RESULT_FAIL
            ? "FAIL" : "SKIP", suites[s], name, why ? ": " : "",
            why ? why : "");
      if (r == RESULT_SKIP) {
        char *key = reason_key (why);
        gpointer old = g_hash_table_lookup (skip_reasons, key);
        g_hash_table_replace (skip_reasons, key,
            GINT_TO_POINTER (GPOINTER_TO_INT (old) + 1));
      }
      g_free (why);
      g_free (dir);
    }
    printf ("suite %s: %d passed, %d failed, %d skipped\n", suites[s],
        count[RESULT_PASS], count[RESULT_FAIL], count[RESULT_SKIP]);
    for (int k = 0; k < 3; k++)
      total[k] += count[k];
    g_ptr_array_free (names, TRUE);
    g_free (suite_dir);
  }

  if (g_hash_table_size (skip_reasons)) {
    GHashTableIter it;
    gpointer key, value;
    GPtrArray *lines = g_ptr_array_new_with_free_func (g_free);
    printf ("skipped, by reason:\n");
    g_hash_table_iter_init (&it, skip_reasons);
    while (g_hash_table_iter_next (&it, &key, &value))
      g_ptr_array_add (lines, g_strdup_printf ("  %4d  %s",
              GPOINTER_TO_INT (value), (char *) key));
    g_ptr_array_sort (lines, compare_strings);
    for (guint i = 0; i < lines->len; i++)
      printf ("%s\n", (char *) g_ptr_array_index (lines, i));
    g_ptr_array_free (lines, TRUE);
  }
  g_hash_table_destroy (skip_reasons);
  printf ("%d passed, %d failed, %d skipped\n", total[RESULT_PASS],
      total[RESULT_FAIL], total[RESULT_SKIP]);
  if (opt_min_passed >= 0 && total[RESULT_PASS] < opt_min_passed) {
    printf ("ovi-conformance: %d passed, fewer than the required %d\n",
        total[RESULT_PASS], opt_min_passed);
    return 1;
  }
  return total[RESULT_FAIL] ? 1 : 0;
}
