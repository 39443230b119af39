/* The NPU device through Level Zero.
 *
 * Discovery: zeInit, every driver's devices; those of type VPU whose
 * driver offers the graph extension are the NPUs, listed as "NPU.i".
 * Level Zero GPUs are logged, not listed: the GPU kind is the OpenCL
 * device, and a Level Zero GPU has no graph compiler to hand plans to.
 * No loader driver (this machine, CI) lists nothing and logs why once.
 *
 * Compile: the plan's graph as IR v11, packed as NGRAPH_LITE
 * (npu-blob.c), given to the driver's compiler (graph extension), which
 * takes the whole graph or fails: there is no per-node CPU fallback.
 *
 * Run: each request owns a command queue, a command list recorded once
 * with the graph's execution on its own Level Zero host buffers, and
 * copies the caller's inputs in and hands out views of its outputs. */
#include <string.h>

#include "model.h"
#include "npu-device.h"
#include "npu-graph-ext.h"
#include "npu-private.h"

/* Host memory the NPU reads must be page aligned. */
#define NPU_ALIGNMENT 4096

typedef struct {
  ze_driver_handle_t driver;
  ze_device_handle_t device;
  const OviZeGraphTable *graph;
  uint32_t graph_version;       /* ZE_MAKE_VERSION of the extension */
  OviZeCompilerVersion compiler;
} NpuEntry;

static GArray *npus;            /* NpuEntry, set once by enumerate */

static const char *
result_name (ze_result_t r)
{
  switch (r) {
    case ZE_RESULT_SUCCESS: return "success";
    case ZE_RESULT_ERROR_UNINITIALIZED: return "no driver (uninitialized)";
    case ZE_RESULT_ERROR_DEVICE_LOST: return "device lost";
    case ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY: return "out of host memory";
    case ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY: return "out of device memory";
    case ZE_RESULT_ERROR_UNSUPPORTED_FEATURE: return "unsupported feature";
    case ZE_RESULT_ERROR_INVALID_ARGUMENT: return "invalid argument";
    case ZE_RESULT_ERROR_INVALID_NATIVE_BINARY: return "invalid graph";
    case ZE_RESULT_ERROR_UNKNOWN: return "unknown error";
    default: return "error";
  }
}

static gboolean
ze_check (ze_result_t r, const char *what, GError **error)
{
  if (r == ZE_RESULT_SUCCESS)
    return TRUE;
  g_set_error (error, OVI_ERROR, OVI_ERROR_DEVICE, "NPU: %s failed: %s "
      "(0x%x)", what, result_name (r), (unsigned) r);
  return FALSE;
}

/* The newest graph extension the driver offers, and its table. */
static const OviZeGraphTable *
graph_extension (ze_driver_handle_t driver, uint32_t *version)
{
  uint32_t n = 0;
  ze_driver_extension_properties_t *ext;
  const OviZeGraphTable *table = NULL;
  int best = -1;
  gsize prefix = strlen (OVI_ZE_GRAPH_EXT_NAME);

  if (zeDriverGetExtensionProperties (driver, &n, NULL) != ZE_RESULT_SUCCESS
      || n == 0)
    return NULL;
  ext = g_new0 (ze_driver_extension_properties_t, n);
  if (zeDriverGetExtensionProperties (driver, &n, ext) == ZE_RESULT_SUCCESS)
    for (uint32_t i = 0; i < n; i++)
      if (strncmp (ext[i].name, OVI_ZE_GRAPH_EXT_NAME, prefix) == 0
          && (ext[i].name[prefix] == '\0' || ext[i].name[prefix] == '_')
          && (best < 0 || ext[i].version > ext[best].version))
        best = i;
  if (best >= 0 && zeDriverGetExtensionFunctionAddress (driver,
          ext[best].name, (void **) &table) == ZE_RESULT_SUCCESS) {
    *version = ext[best].version;
  } else {
    table = NULL;
  }
  g_free (ext);
  return table;
}

static void
list_device (GArray *infos, ze_driver_handle_t driver,
    ze_device_handle_t device, const OviZeGraphTable *table,
    uint32_t version)
{
  ze_device_properties_t p = { .stype = ZE_STRUCTURE_TYPE_DEVICE_PROPERTIES };
  OviZeDeviceGraphProperties gp = {
    .stype = OVI_ZE_STYPE_DEVICE_GRAPH_PROPERTIES
  };
  ze_driver_properties_t dp = { .stype = ZE_STRUCTURE_TYPE_DRIVER_PROPERTIES };
  uint32_t n_mem = 0;
  NpuEntry e = { driver, device, table, version, { 0, 0 } };
  OviDeviceInfo info = { .type = OVI_DEVICE_TYPE_NPU, .fp16 = TRUE };

  if (zeDeviceGetProperties (device, &p) != ZE_RESULT_SUCCESS)
    return;
  p.name[ZE_MAX_DEVICE_NAME - 1] = '\0';
  if (p.type == ZE_DEVICE_TYPE_GPU) {
    ovi_log (OVI_LOG_INFO, "Level Zero GPU '%s' found; GPUs are served by "
        "the OpenCL GPU device, not listed as NPU", p.name);
    return;
  }
  if (p.type != ZE_DEVICE_TYPE_VPU)
    return;
  if (table == NULL) {
    ovi_log (OVI_LOG_WARNING, "NPU '%s': its driver has no graph extension "
        "(%s); not listed", p.name, OVI_ZE_GRAPH_EXT_NAME);
    return;
  }
  if (table->device_get_graph_properties (device, &gp) == ZE_RESULT_SUCCESS)
    e.compiler = gp.compilerVersion;
  zeDriverGetProperties (driver, &dp);
  zeDeviceGetMemoryProperties (device, &n_mem, NULL);
  if (n_mem > 0) {
    ze_device_memory_properties_t *mp =
        g_new0 (ze_device_memory_properties_t, n_mem);
    for (uint32_t i = 0; i < n_mem; i++)
      mp[i].stype = ZE_STRUCTURE_TYPE_DEVICE_MEMORY_PROPERTIES;
    if (zeDeviceGetMemoryProperties (device, &n_mem, mp) == ZE_RESULT_SUCCESS)
      for (uint32_t i = 0; i < n_mem; i++)
        info.memory_bytes += mp[i].totalSize;
    g_free (mp);
  }
  /* Strings live as long as the process, as OviDeviceInfo asks. */
  info.full_name = g_strdup (p.name);
  info.driver = g_strdup_printf ("Level Zero driver %u, graph extension "
      "%u.%u, compiler %u.%u, max opset %u", dp.driverVersion,
      ZE_MAJOR_VERSION (version), ZE_MINOR_VERSION (version),
      e.compiler.major, e.compiler.minor, gp.maxOVOpsetVersionSupported);
  info.compute_units = (int) p.numSlices;
  g_array_append_val (infos, info);
  g_array_append_val (npus, e);
}

static void
npu_enumerate (GArray *infos)
{
  uint32_t n_drivers = 0;
  ze_driver_handle_t *drivers;
  ze_result_t r;

  npus = g_array_new (FALSE, TRUE, sizeof (NpuEntry));
  r = zeInit (0);
  if (r != ZE_RESULT_SUCCESS) {
    ovi_log (OVI_LOG_INFO, "NPU: no Level Zero driver (zeInit: %s, 0x%x); "
        "no NPU listed", result_name (r), (unsigned) r);
    return;
  }
  if (zeDriverGet (&n_drivers, NULL) != ZE_RESULT_SUCCESS || n_drivers == 0)
    return;
  drivers = g_new0 (ze_driver_handle_t, n_drivers);
  if (zeDriverGet (&n_drivers, drivers) == ZE_RESULT_SUCCESS)
    for (uint32_t d = 0; d < n_drivers; d++) {
      uint32_t n = 0, version = 0;
      const OviZeGraphTable *table = graph_extension (drivers[d], &version);
      ze_device_handle_t *devices;
      if (zeDeviceGet (drivers[d], &n, NULL) != ZE_RESULT_SUCCESS || n == 0)
        continue;
      devices = g_new0 (ze_device_handle_t, n);
      if (zeDeviceGet (drivers[d], &n, devices) == ZE_RESULT_SUCCESS)
        for (uint32_t i = 0; i < n; i++)
          list_device (infos, drivers[d], devices[i], table, version);
      g_free (devices);
    }
  g_free (drivers);
  if (npus->len == 0)
    ovi_log (OVI_LOG_INFO, "NPU: Level Zero has no NPU with a graph "
        "compiler; no NPU listed");
}

/* ------------------------------------------------------------------ */
/* One open device: a context per compiled model.                      */

typedef struct {
  gint ref_count;
  NpuEntry entry;
  ze_context_handle_t context;
  OviCompileConfig config;
  GMutex graph_lock;    /* argument binding + recording is one step */
} NpuDevice;

static NpuDevice *
npu_device_ref (NpuDevice *d)
{
  g_atomic_int_inc (&d->ref_count);
  return d;
}

static void
npu_device_unref (NpuDevice *d)
{
  if (d == NULL || !g_atomic_int_dec_and_test (&d->ref_count))
    return;
  if (d->context)
    zeContextDestroy (d->context);
  g_mutex_clear (&d->graph_lock);
  g_free (d);
}

static gpointer
npu_open (int index, const OviCompileConfig *config, GError **error)
{
  ze_context_desc_t desc = { .stype = ZE_STRUCTURE_TYPE_CONTEXT_DESC };
  NpuDevice *d;

  if (npus == NULL || index < 0 || (guint) index >= npus->len) {
    g_set_error (error, OVI_ERROR, OVI_ERROR_DEVICE, "NPU.%d is not present",
        index);
    return NULL;
  }
  d = g_new0 (NpuDevice, 1);
  d->ref_count = 1;
  d->entry = g_array_index (npus, NpuEntry, index);
  if (config)
    d->config = *config;
  g_mutex_init (&d->graph_lock);
  if (!ze_check (zeContextCreate (d->entry.driver, &desc, &d->context),
          "zeContextCreate", error)) {
    d->context = NULL;
    npu_device_unref (d);
    return NULL;
  }
  return d;
}

static void
npu_close (gpointer device)
{
  npu_device_unref (device);
}

/* ------------------------------------------------------------------ */
/* Compiled graphs.                                                    */

typedef struct {
  uint32_t arg;         /* the graph argument's index */
  OviDType dtype;
  int rank;
  int64_t dims[OVI_MAX_RANK];
  gsize bytes;
} NpuArg;

typedef struct {
  NpuDevice *dev;
  OviZeGraph graph;
  int n_in, n_out;
  NpuArg *in, *out;
} NpuExecutable;

static void
npu_release (gpointer executable)
{
  NpuExecutable *x = executable;
  if (x == NULL)
    return;
  if (x->graph)
    x->dev->entry.graph->destroy (x->graph);
  g_free (x->in);
  g_free (x->out);
  npu_device_unref (x->dev);
  g_free (x);
}

/* The compiler's own account of a failure (extension 1.4 and later). */
static char *
build_log (const NpuDevice *d, OviZeGraph graph)
{
  uint32_t size = 0;
  char *log;
  if (ZE_MINOR_VERSION (d->entry.graph_version) < 4
      || d->entry.graph->build_log_get_string == NULL
      || d->entry.graph->build_log_get_string (graph, &size, NULL)
      != ZE_RESULT_SUCCESS || size == 0)
    return NULL;
  log = g_malloc0 (size + 1);
  if (d->entry.graph->build_log_get_string (graph, &size, log)
      != ZE_RESULT_SUCCESS) {
    g_free (log);
    return NULL;
  }
  return log;
}

static gboolean
describe_args (NpuExecutable *x, const OviGraph *g, GError **error)
{
  const OviZeGraphTable *t = x->dev->entry.graph;
  OviZeGraphProperties gp = { .stype = OVI_ZE_STYPE_GRAPH_PROPERTIES };
  int seen_in = 0, seen_out = 0;

  if (!ze_check (t->get_properties (x->graph, &gp), "graph properties",
          error))
    return FALSE;
  x->n_in = g->inputs->len;
  x->n_out = g->outputs->len;
  x->in = g_new0 (NpuArg, MAX (x->n_in, 1));
  x->out = g_new0 (NpuArg, MAX (x->n_out, 1));
  for (uint32_t a = 0; a < gp.numGraphArgs; a++) {
    OviZeGraphArgumentProperties ap = {
      .stype = OVI_ZE_STYPE_GRAPH_ARGUMENT_PROPERTIES
    };
    gboolean is_in;
    NpuArg *arg;
    const OviValue *v;
    if (!ze_check (t->get_argument_properties (x->graph, a, &ap),
            "graph argument properties", error))
      return FALSE;
    is_in = ap.type == OVI_ZE_GRAPH_ARGUMENT_INPUT;
    /* Arguments come as the IR's Parameters, then its Results, each in
     * order: the order our writer gave them. */
    if ((is_in && seen_in >= x->n_in) || (!is_in && seen_out >= x->n_out)) {
      g_set_error (error, OVI_ERROR, OVI_ERROR_DEVICE, "NPU: the compiled "
          "graph has more %s than the model", is_in ? "inputs" : "outputs");
      return FALSE;
    }
    arg = is_in ? &x->in[seen_in] : &x->out[seen_out];
    v = ovi_graph_value (g, g_array_index (is_in ? g->inputs : g->outputs,
            int, is_in ? seen_in : seen_out));
    if (is_in)
      seen_in++;
    else
      seen_out++;
    arg->arg = a;
    arg->dtype = v->dtype;
    arg->rank = v->rank;
    memcpy (arg->dims, v->dims, sizeof (v->dims));
    arg->bytes = (gsize) ovi_shape_numel (v->rank, v->dims)
        * ovi_dtype_size (v->dtype);
    {
      const char *want = ovi_npu_precision_name (v->dtype);
      static const struct { uint32_t p; const char *name; } precisions[] = {
        { OVI_ZE_PRECISION_FP32, "FP32" }, { OVI_ZE_PRECISION_FP16, "FP16" },
        { OVI_ZE_PRECISION_BF16, "BF16" }, { OVI_ZE_PRECISION_FP64, "FP64" },
        { OVI_ZE_PRECISION_UINT8, "U8" }, { OVI_ZE_PRECISION_INT8, "I8" },
        { OVI_ZE_PRECISION_UINT16, "U16" }, { OVI_ZE_PRECISION_INT16, "I16" },
        { OVI_ZE_PRECISION_UINT32, "U32" }, { OVI_ZE_PRECISION_INT32, "I32" },
        { OVI_ZE_PRECISION_UINT64, "U64" }, { OVI_ZE_PRECISION_INT64, "I64" },
        { OVI_ZE_PRECISION_BOOLEAN, "BOOL" },
      };
      const char *got = NULL;
      for (guint k = 0; k < G_N_ELEMENTS (precisions); k++)
        if (precisions[k].p == ap.devicePrecision)
          got = precisions[k].name;
      /* The build flags asked for our precision; a compiler that chose
       * another would have us read its buffers wrongly. */
      if (g_strcmp0 (want, got) != 0) {
        g_set_error (error, OVI_ERROR, OVI_ERROR_DEVICE, "NPU: argument %u "
            "('%s') has precision %s on the device, the model's is %s", a,
            v->name, got ? got : "unknown", want ? want : "unknown");
        return FALSE;
      }
    }
  }
  if (seen_in != x->n_in || seen_out != x->n_out) {
    g_set_error (error, OVI_ERROR, OVI_ERROR_DEVICE, "NPU: the compiled "
        "graph has %d inputs and %d outputs, the model %d and %d", seen_in,
        seen_out, x->n_in, x->n_out);
    return FALSE;
  }
  return TRUE;
}

/* Runs one command list on a fresh queue and waits for it. */
static gboolean
run_once (NpuDevice *d, ze_command_list_handle_t list, GError **error)
{
  ze_command_queue_desc_t qd = {
    .stype = ZE_STRUCTURE_TYPE_COMMAND_QUEUE_DESC,
    .mode = ZE_COMMAND_QUEUE_MODE_ASYNCHRONOUS,
  };
  ze_command_queue_handle_t q = NULL;
  gboolean ok = ze_check (zeCommandQueueCreate (d->context, d->entry.device,
          &qd, &q), "zeCommandQueueCreate", error)
      && ze_check (zeCommandQueueExecuteCommandLists (q, 1, &list, NULL),
          "zeCommandQueueExecuteCommandLists", error)
      && ze_check (zeCommandQueueSynchronize (q, UINT64_MAX),
          "zeCommandQueueSynchronize", error);
  if (q)
    zeCommandQueueDestroy (q);
  return ok;
}

/* Graph initialisation: extension 1.8 says which stage the graph wants;
 * before it, a command list with AppendGraphInitialize was the way. */
static gboolean
initialize_graph (NpuExecutable *x, GError **error)
{
  NpuDevice *d = x->dev;
  const OviZeGraphTable *t = d->entry.graph;
  ze_command_list_desc_t ld = { .stype = ZE_STRUCTURE_TYPE_COMMAND_LIST_DESC };
  ze_command_list_handle_t list = NULL;
  uint32_t stage = OVI_ZE_GRAPH_STAGE_COMMAND_LIST_INITIALIZE;
  gboolean ok;

  if (ZE_MINOR_VERSION (d->entry.graph_version) >= 8) {
    OviZeGraphProperties2 p2 = { .stype = OVI_ZE_STYPE_GRAPH_PROPERTIES };
    if (!ze_check (t->get_properties2 (x->graph, &p2), "graph properties",
            error))
      return FALSE;
    stage = p2.initStageRequired;
    if ((stage & OVI_ZE_GRAPH_STAGE_INITIALIZE)
        && !ze_check (t->graph_initialize (x->graph), "graph initialize",
            error))
      return FALSE;
  }
  if (!(stage & OVI_ZE_GRAPH_STAGE_COMMAND_LIST_INITIALIZE))
    return TRUE;
  ok = ze_check (zeCommandListCreate (d->context, d->entry.device, &ld,
          &list), "zeCommandListCreate", error)
      && ze_check (t->append_graph_initialize (list, x->graph, NULL, 0, NULL),
          "append graph initialize", error)
      && ze_check (zeCommandListClose (list), "zeCommandListClose", error)
      && run_once (d, list, error);
  if (list)
    zeCommandListDestroy (list);
  return ok;
}

static gpointer
npu_compile (gpointer device, OviPlan *plan, GError **error)
{
  NpuDevice *d = device;
  GString *xml = NULL;
  GByteArray *bin = NULL;
  GBytes *blob;
  char *flags;
  NpuExecutable *x;
  ze_result_t r;
  gboolean use_indices = d->entry.compiler.major > 5
      || (d->entry.compiler.major == 5 && d->entry.compiler.minor >= 9);
  OviZeGraphDesc desc = {
    .stype = OVI_ZE_STYPE_GRAPH_DESC,
    .format = OVI_ZE_GRAPH_FORMAT_NGRAPH_LITE,
  };

  if (!ovi_npu_serialize_plan (plan, &xml, &bin, error))
    return NULL;
  blob = ovi_npu_blob_pack (d->entry.compiler.major, d->entry.compiler.minor,
      xml->str, xml->len, bin->data, bin->len);
  g_string_free (xml, TRUE);
  g_byte_array_free (bin, TRUE);
  flags = ovi_npu_build_flags (plan->graph, use_indices,
      d->config.hint == OVI_HINT_THROUGHPUT ? "THROUGHPUT" : "LATENCY");
  desc.pInput = g_bytes_get_data (blob, &desc.inputSize);
  desc.pBuildFlags = flags;

  x = g_new0 (NpuExecutable, 1);
  x->dev = npu_device_ref (d);
  r = d->entry.graph->create (d->context, d->entry.device, &desc, &x->graph);
  if (r != ZE_RESULT_SUCCESS) {
    /* With no graph made, the log is the driver's latest (NULL handle),
     * as OpenVINO's NPU plugin reads it. */
    char *log = build_log (d, NULL);
    g_set_error (error, OVI_ERROR, OVI_ERROR_DEVICE, "NPU: the driver's "
        "compiler refused the graph: %s (0x%x)%s%s", result_name (r),
        (unsigned) r, log ? ": " : "", log ? log : "");
    g_free (log);
    x->graph = NULL;
  }
  g_free (flags);
  g_bytes_unref (blob);
  if (x->graph == NULL || !describe_args (x, plan->graph, error)
      || !initialize_graph (x, error)) {
    npu_release (x);
    return NULL;
  }
  return x;
}

/* ------------------------------------------------------------------ */
/* Requests.                                                           */

typedef struct {
  NpuExecutable *x;
  ze_command_queue_handle_t queue;
  ze_command_list_handle_t list;
  void **in_mem, **out_mem;
} NpuRequest;

static void
npu_request_free (gpointer request)
{
  NpuRequest *q = request;
  ze_context_handle_t ctx;
  if (q == NULL)
    return;
  ctx = q->x->dev->context;
  if (q->list)
    zeCommandListDestroy (q->list);
  if (q->queue)
    zeCommandQueueDestroy (q->queue);
  for (int i = 0; i < q->x->n_in; i++)
    if (q->in_mem[i])
      zeMemFree (ctx, q->in_mem[i]);
  for (int i = 0; i < q->x->n_out; i++)
    if (q->out_mem[i])
      zeMemFree (ctx, q->out_mem[i]);
  g_free (q->in_mem);
  g_free (q->out_mem);
  g_free (q);
}

static gboolean
host_alloc (NpuDevice *d, gsize bytes, void **mem, GError **error)
{
  ze_host_mem_alloc_desc_t hd = { .stype = ZE_STRUCTURE_TYPE_HOST_MEM_ALLOC_DESC };
  *mem = NULL;
  return ze_check (zeMemAllocHost (d->context, &hd, MAX (bytes, 1),
          NPU_ALIGNMENT, mem), "zeMemAllocHost", error);
}

static gpointer
npu_request_new (gpointer executable, GError **error)
{
  NpuExecutable *x = executable;
  NpuDevice *d = x->dev;
  const OviZeGraphTable *t = d->entry.graph;
  NpuRequest *q = g_new0 (NpuRequest, 1);
  ze_command_queue_desc_t qd = {
    .stype = ZE_STRUCTURE_TYPE_COMMAND_QUEUE_DESC,
    .mode = ZE_COMMAND_QUEUE_MODE_ASYNCHRONOUS,
  };
  ze_command_list_desc_t ld = { .stype = ZE_STRUCTURE_TYPE_COMMAND_LIST_DESC };
  gboolean ok = TRUE;

  q->x = x;
  q->in_mem = g_new0 (void *, MAX (x->n_in, 1));
  q->out_mem = g_new0 (void *, MAX (x->n_out, 1));
  for (int i = 0; ok && i < x->n_in; i++)
    ok = host_alloc (d, x->in[i].bytes, &q->in_mem[i], error);
  for (int i = 0; ok && i < x->n_out; i++)
    ok = host_alloc (d, x->out[i].bytes, &q->out_mem[i], error);
  ok = ok && ze_check (zeCommandQueueCreate (d->context, d->entry.device, &qd,
          &q->queue), "zeCommandQueueCreate", error)
      && ze_check (zeCommandListCreate (d->context, d->entry.device, &ld,
          &q->list), "zeCommandListCreate", error);
  if (ok) {
    /* The driver records the arguments bound when the execution is
     * appended; other requests bind theirs to the same graph. */
    g_mutex_lock (&d->graph_lock);
    for (int i = 0; ok && i < x->n_in; i++)
      ok = ze_check (t->set_argument_value (x->graph, x->in[i].arg,
              q->in_mem[i]), "graph set argument", error);
    for (int i = 0; ok && i < x->n_out; i++)
      ok = ze_check (t->set_argument_value (x->graph, x->out[i].arg,
              q->out_mem[i]), "graph set argument", error);
    ok = ok && ze_check (t->append_graph_execute (q->list, x->graph, NULL,
            NULL, 0, NULL), "append graph execute", error);
    g_mutex_unlock (&d->graph_lock);
    ok = ok && ze_check (zeCommandListClose (q->list), "zeCommandListClose",
        error);
  }
  if (!ok) {
    npu_request_free (q);
    return NULL;
  }
  return q;
}

static gboolean
npu_infer (gpointer request, const OviTensorView *inputs,
    OviTensorView *outputs, OviProfileEntry *profile, GError **error)
{
  NpuRequest *q = request;
  NpuExecutable *x = q->x;

  for (int i = 0; i < x->n_in; i++)
    memcpy (q->in_mem[i], inputs[i].data, x->in[i].bytes);
  if (!ze_check (zeCommandQueueExecuteCommandLists (q->queue, 1, &q->list,
          NULL), "zeCommandQueueExecuteCommandLists", error)
      || !ze_check (zeCommandQueueSynchronize (q->queue, UINT64_MAX),
          "zeCommandQueueSynchronize", error))
    return FALSE;
  for (int i = 0; i < x->n_out; i++) {
    outputs[i].dtype = x->out[i].dtype;
    outputs[i].rank = x->out[i].rank;
    memcpy (outputs[i].dims, x->out[i].dims, sizeof (outputs[i].dims));
    outputs[i].data = q->out_mem[i];
  }
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* DMA-BUF import.                                                     */

gboolean
ovi_npu_import_dma_buf (gpointer device, int fd, gsize size, void **ptr,
    GError **error)
{
  NpuDevice *d = device;
  ze_external_memory_import_fd_t import = {
    .stype = ZE_STRUCTURE_TYPE_EXTERNAL_MEMORY_IMPORT_FD,
    .flags = ZE_EXTERNAL_MEMORY_TYPE_FLAG_DMA_BUF,
    .fd = fd,
  };
  ze_device_mem_alloc_desc_t desc = {
    .stype = ZE_STRUCTURE_TYPE_DEVICE_MEM_ALLOC_DESC,
    .pNext = &import,
  };
  g_return_val_if_fail (d != NULL && ptr != NULL, FALSE);
  *ptr = NULL;
  return ze_check (zeMemAllocDevice (d->context, &desc, size, 0,
          d->entry.device, ptr), "DMA-BUF import (zeMemAllocDevice)", error);
}

void
ovi_npu_release_import (gpointer device, void *ptr)
{
  NpuDevice *d = device;
  if (d && ptr)
    zeMemFree (d->context, ptr);
}

/* Intel's NPU driver (intel_vpu) exposes /dev/accel/accel<N>: without
 * one, zeInit would load the Level Zero drivers installed for nothing. */
static gboolean
npu_offload_possible (void)
{
  return ovi_device_node_present ("/dev/accel", "accel");
}

const OviDeviceInterface ovi_npu_device = {
  .type_name = "NPU",
  .type = OVI_DEVICE_TYPE_NPU,
  .enumerate = npu_enumerate,
  .offload_possible = npu_offload_possible,
  .open = npu_open,
  .close = npu_close,
  .compile = npu_compile,
  .release = npu_release,
  .request_new = npu_request_new,
  .request_free = npu_request_free,
  .infer = npu_infer,
};
