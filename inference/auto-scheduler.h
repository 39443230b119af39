/* The scheduler behind AUTO and device lists (docs/devices.md,
 * "Scheduling"): one compiled model per device, compiled on the CPU at
 * once and elsewhere in background threads, and the choice of device for
 * each inference. Requests (request.c) ask it for a device, run the
 * inference there and tell it how that went. */
#ifndef OVI_AUTO_SCHEDULER_H
#define OVI_AUTO_SCHEDULER_H

#include "ovi.h"

G_BEGIN_DECLS

typedef struct _OviAuto OviAuto;

/* At most this many devices in one list (a request's tried-set is a
 * 64-bit mask). */
#define OVI_AUTO_MAX_DEVICES 64

/* Compiles `model` on the CPU (or, without a CPU in `names`, on the
 * first device that compiles) before returning, and on the others in
 * background threads. `owner` is what listeners are given. */
OviAuto *ovi_auto_new (OviCompiledModel *owner, OviModel *model,
    GPtrArray *names, const OviCompileConfig *config, GError **error);
/* Waits for compiles still running (they cannot be interrupted). */
void ovi_auto_free (OviAuto *sched);

int ovi_auto_get_n_devices (OviAuto *sched);
const char *ovi_auto_get_device_name (OviAuto *sched, int device);
int ovi_auto_get_optimal_requests (OviAuto *sched);

/* Chooses the device for one inference among those not in `tried` (bit
 * d for device d) and counts it in flight; -1 when none is left. */
int ovi_auto_begin (OviAuto *sched, guint64 tried,
    OviCompiledModel **compiled);
/* The inference begun on `device` ended; `run_ns` is its run time. */
void ovi_auto_end (OviAuto *sched, int device, gboolean ok, guint64 run_ns);
/* `device` failed an inference that `instead` then ran on the same
 * inputs: it is dropped, with a warning and a FAILED event. */
void ovi_auto_drop (OviAuto *sched, int device, int instead,
    const GError *error);

const char *ovi_auto_get_preferred (OviAuto *sched);
/* The model as the device compiled first describes it (the outputs'
 * shapes inferred for fixed inputs); NULL when none is. */
OviModel *ovi_auto_get_first_model (OviAuto *sched);
guint ovi_auto_add_listener (OviAuto *sched, OviDeviceEventFunc func,
    gpointer user_data);
void ovi_auto_remove_listener (OviAuto *sched, guint id);
int ovi_auto_get_usage (OviAuto *sched, OviDeviceUsage *usage, int max);

G_END_DECLS

#endif
