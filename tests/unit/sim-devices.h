/* Simulated device kinds for the scheduler's tests (and only for tests):
 * they do the CPU's arithmetic (ovi_compile_plan_on_cpu) but compile
 * slowly, run slowly or fail when told to, so that the AUTO policy can be
 * checked on a machine with no GPU or NPU. SIMGPU is a GPU-type kind,
 * SIMNPU an NPU-type one: plain "AUTO" orders them SIMNPU.0, SIMGPU.0,
 * CPU. Behaviour is read at each use, so a test may change it between
 * inferences. */
#ifndef OVI_SIM_DEVICES_H
#define OVI_SIM_DEVICES_H

#include <glib.h>

#include "ovi.h"

G_BEGIN_DECLS

typedef struct {
  gint compile_delay_ms;  /* each compile (one per input shape) sleeps */
  gint infer_delay_ms;    /* each inference sleeps before computing */
  gint fail_from;         /* > 0: this inference of the kind and later fail */
  gint inferences;        /* inferences started on the kind (atomic) */
  gint compiles;          /* compiles finished on the kind (atomic) */
  /* What the kind's last open was given (a copy; compiles open devices
   * one at a time, on one thread or under the scheduler's lock). */
  OviCompileConfig last_config;
} OviSimBehaviour;

extern OviSimBehaviour ovi_sim_gpu;
extern OviSimBehaviour ovi_sim_npu;

/* SIMIDLE, a GPU-type kind (computing as SIMGPU) whose offload_possible
 * says no device AUTO would choose can be present: AUTO leaves it out
 * without probing it; naming it probes it. Its enumerations so far: */
extern gint ovi_sim_idle_probes;

/* Registers the kinds; call before anything lists the devices. */
void ovi_sim_devices_register (void);

/* Back to a fast, healthy device with its counters at zero. */
void ovi_sim_reset (OviSimBehaviour *behaviour);

G_END_DECLS

#endif
