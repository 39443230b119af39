/* ovi: the project's inference engine, public API.
 *
 * Load -> compile -> request -> infer, as separate steps:
 *   OviModel *m = ovi_model_load ("net.onnx", &err);
 *   OviCompiledModel *cm = ovi_compile (m, "CPU", NULL, &err);
 *   OviRequest *r = ovi_request_new (cm, &err);
 *   ovi_request_set_input (r, "data", &tensor, &err);
 *   ovi_request_infer (r, &err);
 *   ovi_request_get_output (r, 0, &out);
 *
 * The engine depends on GLib only (never GStreamer). All types are opaque
 * except OviTensorView, a plain description of caller-owned or
 * request-owned memory. */
#ifndef OVI_H
#define OVI_H

#include <glib.h>
#include <stdint.h>

G_BEGIN_DECLS

/* The library is built with hidden visibility; this header's
 * declarations are its exported API. */
#ifdef OVI_BUILDING
#pragma GCC visibility push(default)
#endif

#define OVI_MAX_RANK 8

/* Element types; the numbering follows ONNX's TensorProto.DataType so that
 * loaders and tools need no translation table. */
typedef enum {
  OVI_DTYPE_UNDEFINED = 0,
  OVI_DTYPE_FLOAT32 = 1,
  OVI_DTYPE_UINT8 = 2,
  OVI_DTYPE_INT8 = 3,
  OVI_DTYPE_UINT16 = 4,
  OVI_DTYPE_INT16 = 5,
  OVI_DTYPE_INT32 = 6,
  OVI_DTYPE_INT64 = 7,
  OVI_DTYPE_STRING = 8,
  OVI_DTYPE_BOOL = 9,
  OVI_DTYPE_FLOAT16 = 10,
  OVI_DTYPE_FLOAT64 = 11,
  OVI_DTYPE_UINT32 = 12,
  OVI_DTYPE_UINT64 = 13,
  OVI_DTYPE_BFLOAT16 = 16,
} OviDType;

/* A dense row-major tensor in memory the caller owns (for inputs) or the
 * request owns (for outputs, valid until the next inference). For
 * OVI_DTYPE_STRING, data is an array of NUL-terminated UTF-8 `char *`. */
typedef struct {
  OviDType dtype;
  int rank;
  int64_t dims[OVI_MAX_RANK];
  void *data;
} OviTensorView;

/* Floating-point precision of a device's compute, a hint as OpenVINO's
 * INFERENCE_PRECISION_HINT (f32, f16, bf16) is. AUTO lets the device
 * choose; F32 forces full precision where a device would use less. No
 * device here computes in less than FP32 yet (none of the devices this
 * project ran on has half-precision compute: docs/devices.md), so today
 * every value runs in FP32. */
typedef enum {
  OVI_PRECISION_AUTO,
  OVI_PRECISION_F32,
  OVI_PRECISION_F16,
  OVI_PRECISION_BF16,
} OviPrecision;

typedef enum {
  OVI_HINT_LATENCY,     /* one request uses every core */
  OVI_HINT_THROUGHPUT,  /* several streams with few threads each */
} OviPerformanceHint;

typedef struct {
  OviPerformanceHint hint;
  int n_threads;        /* 0: all cores */
  int n_streams;        /* 0: chosen from the hint */
  /* The engine pins its stream threads (asynchronous requests) to
   * disjoint cores; TRUE leaves them to the scheduler. Threads of the
   * caller (synchronous requests) are never pinned. */
  gboolean disable_pinning;
  OviPrecision precision;
  /* Streams on devices of one OviDeviceType (OpenVINO's legacy
   * CPU_THROUGHPUT_STREAMS, GPU_THROUGHPUT_STREAMS), before n_streams;
   * 0: n_streams. */
  int type_streams[3];
  /* The requests the caller keeps in flight (OpenVINO's
   * PERFORMANCE_HINT_NUM_REQUESTS): the throughput hint picks no more
   * streams than that. 0: no limit. */
  int hint_num_requests;
} OviCompileConfig;

/* Sets a config field from an OpenVINO property, as DL Streamer's
 * `ie-config` and OpenVINO's compile_model take them (names and values
 * case-insensitive): PERFORMANCE_HINT (LATENCY, THROUGHPUT,
 * CUMULATIVE_THROUGHPUT), NUM_STREAMS (a number, AUTO, NUMA),
 * INFERENCE_NUM_THREADS, INFERENCE_PRECISION_HINT (f32, f16, bf16),
 * ENABLE_CPU_PINNING (YES, NO), PERFORMANCE_HINT_NUM_REQUESTS, and the
 * legacy CPU_THROUGHPUT_STREAMS, GPU_THROUGHPUT_STREAMS, CPU_THREADS_NUM
 * and CPU_BIND_THREAD. A bad value fails with OVI_ERROR_ARGUMENT naming
 * the values accepted; a key it does not know fails with
 * OVI_ERROR_UNSUPPORTED and changes nothing. */
gboolean ovi_compile_config_set (OviCompileConfig *config, const char *key,
    const char *value, GError **error);
/* Sets every "KEY=VALUE" of a comma-separated list (spaces around names
 * and values and empty entries ignored; NULL or "" sets nothing). Keys it does not know are
 * skipped and, when `ignored` is given, returned there (a NULL-terminated
 * array, free with g_strfreev), for the caller to warn about; a malformed
 * entry or a bad value fails and leaves `config` as it was. */
gboolean ovi_compile_config_parse (OviCompileConfig *config,
    const char *text, char ***ignored, GError **error);

typedef enum {
  OVI_DEVICE_TYPE_CPU,
  OVI_DEVICE_TYPE_GPU,
  OVI_DEVICE_TYPE_NPU,
} OviDeviceType;

/* A device present on this machine, as ovi_get_devices lists it. */
typedef struct {
  const char *name;         /* what ovi_compile accepts: "CPU", "GPU.0" */
  const char *full_name;    /* the vendor's name for it */
  const char *driver;       /* the runtime behind it, with its version */
  OviDeviceType type;
  gboolean fp16;            /* computes in half precision */
  guint64 memory_bytes;     /* 0: unknown or shared with the host */
  int compute_units;
  /* An accelerator's API served by the host's CPU cores (pocl's OpenCL
   * CPU device): usable by name, never chosen by plain AUTO, since the
   * CPU device runs the same cores better. */
  gboolean on_host;
} OviDeviceInfo;

typedef struct _OviModel OviModel;
typedef struct _OviCompiledModel OviCompiledModel;
typedef struct _OviRequest OviRequest;

#define OVI_ERROR (ovi_error_quark ())
GQuark ovi_error_quark (void);

typedef enum {
  OVI_ERROR_IO,           /* file missing or unreadable */
  OVI_ERROR_PARSE,        /* malformed model file */
  OVI_ERROR_UNSUPPORTED,  /* op, attribute or type we do not implement */
  OVI_ERROR_INVALID,      /* a well-formed model that is inconsistent */
  OVI_ERROR_DEVICE,       /* device missing or failing */
  OVI_ERROR_ARGUMENT,     /* bad use of the API */
} OviErrorCode;

typedef enum {
  OVI_LOG_ERROR,
  OVI_LOG_WARNING,
  OVI_LOG_INFO,
  OVI_LOG_DEBUG,
} OviLogLevel;

typedef void (*OviLogFunc) (OviLogLevel level, const char *message,
    gpointer user_data);

/* Routes the engine's messages; the GStreamer plugin sends them to its
 * debug category. Without a callback, warnings and errors go to g_log. */
void ovi_set_log_callback (OviLogFunc func, gpointer user_data);

const char *ovi_dtype_name (OviDType dtype);
gsize ovi_dtype_size (OviDType dtype);

/* Models: format chosen by extension (.onnx, .xml with .bin beside it). */
OviModel *ovi_model_load (const char *path, GError **error);
OviModel *ovi_model_load_onnx_from_data (const guint8 *data, gsize size,
    const char *base_dir, GError **error);
OviModel *ovi_model_ref (OviModel *model);
void ovi_model_unref (OviModel *model);

int ovi_model_get_n_inputs (const OviModel *model);
int ovi_model_get_n_outputs (const OviModel *model);
/* Dimensions unknown until inference are -1. */
gboolean ovi_model_get_input (const OviModel *model, int index,
    const char **name, OviTensorView *info);
gboolean ovi_model_get_output (const OviModel *model, int index,
    const char **name, OviTensorView *info);
int ovi_model_get_n_nodes (const OviModel *model);
/* Gives input `index` the shape `dims` (as OpenVINO's Model::reshape):
 * a fully convolutional network then runs at another resolution. Every
 * dimension must be positive and the rank the input's. The outputs' shapes
 * become unknown here; a compile of fixed input shapes infers them again
 * (ovi_compiled_model_get_model describes them). A network whose layers
 * cannot follow (a Reshape to constant sizes, a fixed-size MatMul) fails
 * to compile, naming the node. Changes this model: compile after. */
gboolean ovi_model_reshape_input (OviModel *model, int index, int rank,
    const int64_t *dims, GError **error);
/* The model file's metadata: an OpenVINO IR's <rt_info> entries by their
 * path ("model_info/labels", "Runtime_version"; OpenVINO Model API's
 * model_info section, as Ultralytics and Geti write it), an ONNX file's
 * metadata_props by key. NULL when absent. Owned by the model. */
const char *ovi_model_get_metadata (const OviModel *model, const char *key);

/* The devices present, CPU first; drivers are probed once, on the first
 * call. A missing driver or loader (no OpenCL ICD, no Level Zero) only
 * leaves its devices out. The array lives as long as the process. */
const OviDeviceInfo *ovi_get_devices (int *n_devices);

/* Compiling. `device` is a name from ovi_get_devices, a type ("GPU" is
 * the first GPU), or NULL for "CPU"; or a scheduled list: "AUTO" (every
 * device present, NPU, GPU, CPU), "AUTO:GPU,CPU" (OpenVINO's priority
 * list), "gpu,cpu" (the same, short), "MULTI:..." (taken as AUTO). A
 * scheduled model compiles on the CPU at once when the list has it and on
 * the other devices in background threads; inferences run on the CPU
 * meanwhile, move to a better device once its compile finished and its
 * first inference succeeded, and are balanced by measured latency and
 * queue depth. An inference whose device fails is retried on the next
 * device, and the failing device dropped (docs/devices.md). NULL config
 * means latency hint, all cores, automatic precision. */
OviCompiledModel *ovi_compile (OviModel *model, const char *device,
    const OviCompileConfig *config, GError **error);
void ovi_compiled_model_unref (OviCompiledModel *compiled);
OviCompiledModel *ovi_compiled_model_ref (OviCompiledModel *compiled);
/* Number of requests worth keeping in flight for the hint. */
int ovi_compiled_model_get_optimal_requests (const OviCompiledModel *compiled);
/* The model as the compiled model keeps it, for its inputs' and outputs'
 * descriptions (owned by the compiled model). A compiled model of fixed
 * input shapes keeps only the weights its plan needs, and those in the
 * plan: this model then cannot be compiled again, but holding it instead
 * of the loaded one lets the loaded model's weights be freed. */
OviModel *ovi_compiled_model_get_model (OviCompiledModel *compiled);

/* Scheduling (AUTO and lists): what happened, told to listeners. */
typedef enum {
  /* A better device compiled and ran its first inference: inferences now
   * prefer `device` over `previous`. */
  OVI_DEVICE_EVENT_MIGRATED,
  /* `device` failed (compile or inference; `message` says how) and was
   * dropped; `previous` is unused, `device` the one failing, and the
   * inferences it would have run go to the next device. */
  OVI_DEVICE_EVENT_FAILED,
} OviDeviceEventType;

typedef struct {
  OviDeviceEventType type;
  const char *device;
  const char *previous;     /* MIGRATED: the device preferred before */
  const char *message;      /* FAILED: the device's error */
} OviDeviceEvent;

/* Called on the thread where it happened (a compile thread, an inference
 * thread), one event at a time; it must not add or remove listeners. */
typedef void (*OviDeviceEventFunc) (OviCompiledModel *compiled,
    const OviDeviceEvent *event, gpointer user_data);

/* Returns an id for ovi_compiled_model_remove_listener; once that
 * returns, the function is not running and will not be called. A model
 * compiled for one device has no events. */
guint ovi_compiled_model_add_listener (OviCompiledModel *compiled,
    OviDeviceEventFunc func, gpointer user_data);
void ovi_compiled_model_remove_listener (OviCompiledModel *compiled,
    guint id);

/* The device inferences prefer now (AUTO: the best that has succeeded). */
const char *ovi_compiled_model_get_device (OviCompiledModel *compiled);

typedef enum {
  OVI_DEVICE_STATE_COMPILING,
  OVI_DEVICE_STATE_COMPILED,   /* waiting for its first inference */
  OVI_DEVICE_STATE_ACTIVE,
  OVI_DEVICE_STATE_FAILED,
} OviDeviceState;

typedef struct {
  const char *name;
  OviDeviceState state;
  guint64 inferences;       /* completed on this device */
  double mean_latency_ms;   /* moving average of one inference's run time */
} OviDeviceUsage;

/* Fills up to max entries, one per device of the compiled model in
 * priority order; returns how many devices it has. */
int ovi_compiled_model_get_device_usage (OviCompiledModel *compiled,
    OviDeviceUsage *usage, int max);

/* Requests: each owns its memory arena, so several can run at once. */
OviRequest *ovi_request_new (OviCompiledModel *compiled, GError **error);
void ovi_request_free (OviRequest *request);

/* Binds caller memory as an input (no copy); it must stay valid until the
 * inference completes. A shape different from the last one re-plans. */
gboolean ovi_request_set_input (OviRequest *request, const char *name,
    const OviTensorView *tensor, GError **error);
gboolean ovi_request_set_input_by_index (OviRequest *request, int index,
    const OviTensorView *tensor, GError **error);
gboolean ovi_request_infer (OviRequest *request, GError **error);

typedef void (*OviRequestCallback) (OviRequest *request, const GError *error,
    gpointer user_data);
/* Runs on the compiled model's worker threads; callback then runs there. */
gboolean ovi_request_infer_async (OviRequest *request,
    OviRequestCallback callback, gpointer user_data, GError **error);
/* Waits for an asynchronous inference; returns its result. */
gboolean ovi_request_wait (OviRequest *request, GError **error);

/* The device that ran the request's last inference ("CPU", "GPU.0"), NULL
 * before its first; valid as long as the compiled model. */
const char *ovi_request_get_device (const OviRequest *request);

int ovi_request_get_n_outputs (const OviRequest *request);
/* Output memory belongs to the request until its next inference. */
gboolean ovi_request_get_output (const OviRequest *request, int index,
    const char **name, OviTensorView *tensor);

/* An 8-bit picture as a model input. The device that runs the model
 * resamples it (bilinear, along taps the caller computed), converts its
 * colors and normalizes it into the input tensor; a GPU does that as a
 * kernel, so the picture crosses the bus once, as its bytes. Everything
 * geometric (region, letterbox, sampling convention) is in the taps. */
typedef enum {
  OVI_IMAGE_PACKED,   /* one plane, pixel_stride bytes per pixel */
  OVI_IMAGE_GRAY,     /* one plane, one byte per pixel */
  OVI_IMAGE_NV12,     /* luma, then U and V interleaved at half size */
  OVI_IMAGE_I420,     /* luma, U, V, chroma at half size */
} OviImageLayout;

/* One tensor column or row: the two source positions it falls between
 * and the weight of the second, or a letterbox border (pad). */
typedef struct {
  int i0, i1;
  float w1;
  int pad;
} OviImageTap;

typedef struct {
  OviImageLayout layout;
  int width, height;              /* the picture, in (luma) pixels */
  const guint8 *data[3];
  int stride[3];
  int pixel_stride;               /* PACKED: bytes per pixel */
  int offset[3];                  /* PACKED: bytes of R, G, B in a pixel */
  /* NV12, I420: r = ky (y - y_off) + kr_v (v - 128), g = ky (y - y_off)
   * + kg_u (u - 128) + kg_v (v - 128), b = ky (y - y_off) + kb_u (u - 128),
   * each clamped to 0..255. */
  float ky, y_off, kr_v, kb_u, kg_u, kg_v;
  /* Taps: out_width for columns, out_height for rows, and the same for
   * chroma (NV12, I420). Column taps count from x0 (cx0 in chroma
   * samples) within spans of x_span (cx_span) columns; row taps are plane
   * rows. */
  int x0, x_span, cx0, cx_span;
  const OviImageTap *x, *y, *cx, *cy;
  /* The tensor: [C, H, W] (or [H, W, C] when nhwc) of dtype, FLOAT32 or
   * UINT8 (rounded, clamped). Channel c takes component source[c] (0 R,
   * 1 G, 2 B), or luma (0.299 R + 0.587 G + 0.114 B) when gray, as
   * value * scale[c] + bias[c]; border pixels take pad_value first. */
  int out_width, out_height, channels;
  gboolean nhwc;
  OviDType dtype;
  int source[3];
  gboolean gray;
  float scale[3], bias[3];
  float pad_value;
} OviImage;

/* The YUV -> RGB coefficients of a matrix given by its luma weights of R
 * and B (BT.709: 0.2126, 0.0722; BT.601: 0.299, 0.114), for limited
 * (16..235) or full range. */
void ovi_image_set_yuv_matrix (OviImage *image, double kr, double kb,
    gboolean full_range);
/* Taps of a plain stretch of `len` source positions onto n outputs,
 * bilinear at half-pixel centers (OpenCV's cv2.resize convention). */
void ovi_image_stretch_taps (OviImageTap *taps, int n, int len);

/* FALSE, with OVI_ERROR_ARGUMENT saying what, when the picture's fields
 * do not hold together: sizes, layout, a tap outside its span or plane. */
gboolean ovi_image_check (const OviImage *image, GError **error);
/* Writes the tensor into dst (out_width x out_height x channels elements
 * of dtype) on the CPU; the reference for every device. */
void ovi_image_preprocess (const OviImage *image, void *dst);

/* The picture becomes input `index`'s batch entry `batch` (the input is
 * [N, ...] with the picture's tensor shape after N) for the next
 * inference: on a device that pre-processes pictures itself
 * (ovi_compiled_model_takes_images), its bytes are sent there now, so the
 * caller may release them on return; elsewhere it is pre-processed here
 * into memory the request owns, which becomes the input. Every batch
 * entry of that input must then be set before each inference. */
gboolean ovi_request_set_input_image (OviRequest *request, int index,
    int batch, const OviImage *image, GError **error);
/* Whether the compiled model's device pre-processes pictures itself (the
 * GPU device, named alone rather than through AUTO). */
gboolean ovi_compiled_model_takes_images (OviCompiledModel *compiled);

/* Per-node timing, like OpenVINO's performance counters: enabled per
 * request (off by default: it reads the clock twice per node), accumulated
 * over inferences until re-planned or reset. */
typedef struct {
  const char *node_name;      /* valid while the request keeps its plan */
  const char *op_type;        /* after fusion, e.g. Conv with post-ops */
  guint64 total_ns;
  guint64 runs;
} OviProfileEntry;

void ovi_request_set_profiling (OviRequest *request, gboolean enable);
void ovi_request_reset_profile (OviRequest *request);
/* Entries in execution order; n_entries is 0 before the first inference. */
const OviProfileEntry *ovi_request_get_profile (const OviRequest *request,
    int *n_entries);

#ifdef OVI_BUILDING
#pragma GCC visibility pop
#endif

G_END_DECLS

#endif /* OVI_H */
