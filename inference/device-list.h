/* Device strings: one device ("CPU", "GPU.1"), or a scheduled list:
 * "AUTO" (every device present, NPU then GPU then CPU, as OpenVINO's AUTO
 * orders them), "AUTO:GPU,CPU" (OpenVINO's priority-list syntax),
 * "MULTI:GPU,CPU" (accepted as AUTO: our AUTO balances requests across
 * its devices, which is what OpenVINO's MULTI is for) and the short form
 * "gpu,cpu". Names are case-insensitive; a type without an index ("GPU")
 * stands for every device of that type, in index order. */
#ifndef OVI_DEVICE_LIST_H
#define OVI_DEVICE_LIST_H

#include "ovi.h"

G_BEGIN_DECLS

/* Resolves `spec` to the canonical names of the devices present, best
 * first (a GPtrArray of strings it owns). Listed devices of a known type
 * that are absent here are left out with an info log; an unknown name, an
 * empty entry, a device listed twice, a HETERO: string or a list of which
 * no device is present is an OVI_ERROR_DEVICE naming the problem.
 * *scheduled is TRUE for AUTO, MULTI and lists (even of one device);
 * otherwise the array holds `spec` itself, stripped, unresolved. */
GPtrArray *ovi_device_list_parse (const char *spec, gboolean *scheduled,
    GError **error);

G_END_DECLS

#endif
