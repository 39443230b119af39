/* NumPy .npy files (format 1.0-3.0, little-endian, C order). */
#ifndef OVI_NPY_H
#define OVI_NPY_H

#include "ovi.h"

G_BEGIN_DECLS

/* Returns a view whose data the caller frees with g_free. */
gboolean ovi_npy_read (const char *path, OviTensorView *out, GError **error);
gboolean ovi_npy_write (const char *path, const OviTensorView *t,
    GError **error);

G_END_DECLS

#endif
