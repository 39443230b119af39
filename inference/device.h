/* Devices behind the engine, in the spirit of ggml's backend interface:
 * each device kind fills one OviDeviceInterface with designated
 * initializers, and device.c lists them explicitly (#ifdef HAVE_OPENCL
 * ...), with no plugin search.
 *
 * The CPU is the reference device and the plan is its program: requests
 * on the CPU run the plan's steps themselves (request.c), so its
 * interface has no compile or infer entries. Every other device turns a
 * plan (shapes static, constants folded, post-ops fused) into its own
 * executable once per input shape, and runs it per request with host
 * memory in and out. A device that cannot run a node may run it on the
 * CPU itself (the GPU does, with the copies that costs) or refuse the
 * whole plan (a driver that compiles whole graphs, the NPU). */
#ifndef OVI_DEVICE_H
#define OVI_DEVICE_H

#include "ovi.h"
#include "plan.h"

G_BEGIN_DECLS

typedef struct _OviDeviceInterface OviDeviceInterface;

struct _OviDeviceInterface {
  const char *type_name;      /* "CPU", "GPU", "NPU": names are TYPE.index */
  OviDeviceType type;

  /* Appends an OviDeviceInfo per device present, with name NULL (the
   * registry names them) and strings the backend keeps for the process.
   * A missing driver appends nothing; it is not an error. */
  void (*enumerate) (GArray *infos);

  /* Optional: whether a device AUTO would choose (one off the host's
   * cores) may be present, judged without loading any driver, from the
   * kernel's device nodes. FALSE lets AUTO skip probing the kind; NULL
   * means always probe. */
  gboolean (*offload_possible) (void);

  /* Opens the index-th device of this kind for one compiled model. */
  gpointer (*open) (int index, const OviCompileConfig *config,
      GError **error);
  void (*close) (gpointer device);

  /* Builds the device's executable for a plan; the plan outlives it. */
  gpointer (*compile) (gpointer device, OviPlan *plan, GError **error);
  void (*release) (gpointer executable);

  /* Per-request state (device memory); several may run at once. */
  gpointer (*request_new) (gpointer executable, GError **error);
  void (*request_free) (gpointer request);

  /* One inference. inputs: one host view per graph input, valid during
   * the call. outputs: one view per graph output, filled with host memory
   * the request owns until its next inference. profile: NULL, or one
   * entry per plan step and one for the pictures' pre-processing, to
   * which a device that can time its work adds this inference's time
   * (total_ns, runs; a picture is a run); one that cannot (a whole-graph
   * device) leaves it as it is. */
  gboolean (*infer) (gpointer request, const OviTensorView *inputs,
      OviTensorView *outputs, OviProfileEntry *profile, GError **error);

  /* Optional (NULL: pictures are pre-processed on the CPU): the picture
   * becomes graph input `input`'s batch entry `batch` for the following
   * inferences, pre-processed on the device; its bytes are copied there
   * before this returns. A NULL image hands the input back to the host
   * view that infer gets. */
  gboolean (*set_input_image) (gpointer request, int input, int batch,
      const OviImage *image, GError **error);
};

/* The interface of a device kind, NULL when none is built in. */
const OviDeviceInterface *ovi_device_interface (OviDeviceType type);

/* Resolves a device name ("CPU", "GPU", "GPU.1", "npu") to its interface
 * and index among its kind; FALSE with OVI_ERROR_DEVICE naming what is
 * available otherwise. */
gboolean ovi_device_lookup (const char *name,
    const OviDeviceInterface **iface, int *index, GError **error);

/* The registry's name of the index-th device of a kind ("CPU", "GPU.0"),
 * NULL when there is none. */
const char *ovi_device_get_name (const OviDeviceInterface *iface, int index);

/* Splits a device name, "GPU.1", into the length of its type part (3)
 * and its index (1; -1 without one). FALSE when what follows the dot is
 * not an index. */
gboolean ovi_device_name_split (const char *name, gsize *type_len,
    int *index);
/* The names of the devices present, comma-separated, for messages. */
char *ovi_device_present_names (void);
/* The devices AUTO without a list chooses among: those of every kind but
 * the kinds whose offload_possible says no, which are not probed. A new
 * array of OviDeviceInfo (strings shared with the registry). */
GArray *ovi_device_auto_candidates (void);
/* Whether directory dir has an entry whose name starts with prefix (a
 * device node: "/dev/dri", "renderD"). */
gboolean ovi_device_node_present (const char *dir, const char *prefix);

/* Exported from the shared library for tests, which reach the engine
 * through it when the GStreamer plugin shares it. */
#define OVI_TEST_API __attribute__ ((visibility ("default")))

/* Tests register extra device kinds (a deliberately slow or failing one)
 * before the first ovi_get_devices call; not for production use. */
OVI_TEST_API void ovi_device_register_for_tests (
    const OviDeviceInterface *iface);

/* A CPU compiled model running `plan`'s graph as the CPU would: for test
 * device kinds that delegate their work to the CPU (and check that the
 * scheduler, not the arithmetic, is what they change). */
OVI_TEST_API OviCompiledModel *ovi_compile_plan_on_cpu (const OviPlan *plan,
    GError **error);

G_END_DECLS

#endif
