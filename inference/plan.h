/* A plan: the model specialized for concrete input shapes, constants
 * folded, dead nodes removed, kernels bound, and one memory arena laid
 * out by value lifetimes. Plans are immutable once built and shared by
 * every request of a compiled model with the same input shapes. */
#ifndef OVI_PLAN_H
#define OVI_PLAN_H

#include "graph.h"
#include "cpu/cpu-ops.h"

G_BEGIN_DECLS

typedef enum {
  OVI_STORAGE_CONSTANT,   /* data in the plan's graph */
  OVI_STORAGE_INPUT,      /* caller memory bound per inference */
  OVI_STORAGE_ARENA,      /* offset in the request's arena */
  OVI_STORAGE_DYNAMIC,    /* shaped at run time, request-owned buffer */
  OVI_STORAGE_NONE,       /* never read */
} OviStorage;

typedef struct {
  const OviNode *node;
  const OviCpuKernel *kernel;
  gboolean dynamic;       /* output shapes known only at run time */
  gpointer state;         /* kernel's prepared state */
  gsize scratch_offset;   /* the kernel's scratch in the arena */
  gsize scratch_size;
} OviPlanStep;

typedef struct {
  gint ref_count;
  OviGraph *graph;        /* specialized copy; values hold static shapes */
  OviStorage *storage;    /* per value */
  gsize *offset;          /* per value, for OVI_STORAGE_ARENA */
  gsize arena_size;
  OviPlanStep *steps;
  int n_steps;
  int n_folded;           /* nodes evaluated at plan time */
  int max_threads;        /* threads a kernel may use (per stream) */
  /* A non-CPU device's program for this plan (device.h), attached by the
   * compiled model before the plan is shared, released with it. */
  gpointer executable;
  void (*release_executable) (gpointer executable);
} OviPlan;

/* Builds a plan of `graph` for the given input shapes (one view per graph
 * input; only dtype, rank and dims are read), for kernels running on up
 * to max_threads threads (0: every core). */
OviPlan *ovi_plan_new (const OviGraph *graph, const OviTensorView *inputs,
    int max_threads, GError **error);

typedef enum {
  OVI_PLAN_DEFAULT = 0,
  /* Keep the planned graph in standard ONNX ops, without fused nodes that
   * only our kernels understand: for exporters (IR writer). */
  OVI_PLAN_STANDARD_OPS = 1 << 0,
  /* Free the plan's reference to weights its kernels packed (they are
   * freed when the model drops them too): for plans only the CPU runs. */
  OVI_PLAN_RELEASE_PACKED = 1 << 1,
  /* Run chains of 1x1 and depthwise convolutions in the CPU's channel-
   * blocked layout (passes/block-layout.c): for plans only the CPU runs,
   * since other devices read the graph's values in the plain layout. */
  OVI_PLAN_BLOCKED_LAYOUT = 1 << 2,
} OviPlanFlags;

OviPlan *ovi_plan_new_with_flags (const OviGraph *graph,
    const OviTensorView *inputs, int max_threads, OviPlanFlags flags,
    GError **error);
OviPlan *ovi_plan_ref (OviPlan *plan);

/* The tensors that run a plan over one arena: per value its type and
 * shape, with constants' data and arena values' memory (other values'
 * data NULL until an inference sets it); per step s, pointers to its
 * inputs then outputs at io + io_start[s] (io_start has n_steps + 1
 * entries). The caller frees the three arrays, clearing the tensors
 * first (dynamic results own their memory). */
void ovi_plan_bind_tensors (const OviPlan *plan, guint8 *arena,
    OviTensor **tensors, OviTensor ***io, int **io_start);
void ovi_plan_unref (OviPlan *plan);

/* Runs one node on the CPU with freshly allocated outputs; used for
 * constant folding and by tests. */
gboolean ovi_plan_eval_node (const OviNode *node, int opset,
    const char *source, OviTensor **inputs, int n_inputs,
    OviTensor **outputs, int n_outputs, GError **error);

/* Runs a dynamic step (plan->steps[i].dynamic): shapes its outputs from
 * the inputs' data, makes them (request-owned tensors) and runs the CPU
 * kernel chosen by the types the inputs really have. Kernel scratch comes
 * from `scratch`, grown as needed. Shared by the CPU's requests and by
 * devices that run such steps on the CPU. */
gboolean ovi_plan_run_dynamic_step (const OviPlan *plan,
    const OviPlanStep *step, OviOpCtx *ctx, OviTensor *scratch,
    GError **error);

/* The arena's layout: blocks of memory, each alive from step start to
 * step end (inclusive), placed so that no two alive at once overlap;
 * sets each offset, returns the arena's size. */
typedef struct {
  gsize offset, size;
  int start, end;
} OviArenaBlock;
gsize ovi_arena_place (OviArenaBlock *blocks, int n);

G_END_DECLS

#endif
