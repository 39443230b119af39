/* Internal layout of the public opaque types. */
#ifndef OVI_MODEL_H
#define OVI_MODEL_H

#include "graph.h"
#include "device.h"
#include "plan.h"

G_BEGIN_DECLS

struct _OviModel {
  gint ref_count;
  OviGraph *graph;   /* as loaded and optimized, shapes possibly symbolic */
  gboolean weights_dropped;   /* a compiled model's copy (compiled-model.c) */
};

struct _OviCompiledModel {
  gint ref_count;
  OviModel *model;
  OviCompileConfig config;
  int n_streams;
  int threads_per_stream;
  GMutex lock;
  GHashTable *plans;        /* input-shape key -> OviPlan */
  GThreadPool *workers;     /* one thread per stream, for async requests */
  gint next_stream;         /* the next worker's stream number (pinning) */
  const OviDeviceInterface *iface;   /* the device kind */
  gpointer device;          /* iface->open's result; NULL on the CPU */
  const char *device_name;  /* the registry's; NULL when scheduled */
  /* AUTO and device lists: one compiled model per device and the choice
   * among them (auto-scheduler.h); requests delegate to those. */
  struct _OviAuto *sched;
  /* Completed inferences and their moving-average run time, for
   * ovi_compiled_model_get_device_usage; under stats_lock (not lock,
   * which a device's compile of a new input shape may hold for long). */
  GMutex stats_lock;
  guint64 n_inferences;
  double mean_run_ns;
};

/* Wraps a loaded graph (takes ownership). */
OviModel *ovi_model_new_from_graph (OviGraph *graph);

/* Returns a plan for these input shapes, cached per compiled model. */
OviPlan *ovi_compiled_model_get_plan (OviCompiledModel *compiled,
    const OviTensorView *inputs, GError **error);

/* Counts one successful inference of `run_ns`. */
/* Run times are averaged with this weight on the newest, about the last
 * five runs: recent enough to follow a device getting busy, steady
 * enough not to chase one slow frame. 0 means nothing measured yet. */
static inline double
ovi_run_time_average (double mean_ns, guint64 run_ns)
{
  return mean_ns == 0 ? (double) run_ns : 0.8 * mean_ns + 0.2 * run_ns;
}

void ovi_compiled_model_record_run (OviCompiledModel *compiled,
    guint64 run_ns);

GThreadPool *ovi_compiled_model_get_workers (OviCompiledModel *compiled,
    GError **error);

void ovi_log (OviLogLevel level, const char *format, ...) G_GNUC_PRINTF (2, 3);

G_END_DECLS

#endif
