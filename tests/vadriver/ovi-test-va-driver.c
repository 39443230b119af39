/* A software VA driver for the tests: libva loads it like any driver
 * (LIBVA_DRIVERS_PATH + LIBVA_DRIVER_NAME=ovitest -> ovitest_drv_video.so,
 * entry point __vaDriverInit_<major>_<minor> of the libva it is built
 * against). Surfaces live in host memory with driver-chosen pitches and
 * plane offsets (64-byte pitches, planes on 16-row boundaries), unlike
 * GStreamer's defaults, so clients that ignore the image layout fail.
 *
 * Implemented: VAProfileNone + VAEntrypointVideoProc configs and
 * contexts (what GStreamer's VA library may create), surfaces in NV12,
 * I420, YV12, Y800 and the 32-bit RGB orders, surface attributes,
 * images (create, derive, get, put), buffers (create, map, unmap,
 * destroy), vaCopy of surfaces, sync and status. Decoding, encoding,
 * processing, subpictures and setting display attributes answer
 * VA_STATUS_ERROR_UNIMPLEMENTED: no test relies on them. Never shipped or installed. */
#include <string.h>

#include <glib.h>
#include <va/va.h>
#include <va/va_backend.h>

#include "ovi-test-va-driver.h"

#define MAX_PLANES 3
#define SURFACE_PITCH_ALIGN 64
#define SURFACE_ROWS_ALIGN 16
#define IMAGE_PITCH_ALIGN 16    /* images differ from surfaces on purpose */

typedef enum {
  OBJ_CONFIG, OBJ_CONTEXT, OBJ_SURFACE, OBJ_BUFFER, OBJ_IMAGE,
} ObjectKind;

/* Pixel storage shared by a surface and the buffers of images derived
 * from it (reference counted: destroying either first is allowed). */
typedef struct {
  guint8 *data;
  gsize size;
} Storage;

typedef struct {
  guint32 fourcc;
  int width, height;
  int num_planes;
  guint32 pitches[MAX_PLANES], offsets[MAX_PLANES];
  gsize size;
} Layout;

typedef struct {
  ObjectKind kind;
  union {
    struct { VAProfile profile; VAEntrypoint entrypoint; } config;
    struct {
      Layout layout;
      Storage *storage;
      int derived_images;       /* images aliasing this surface */
    } surface;
    struct {
      VABufferType type;
      unsigned int size, num_elements;
      Storage *storage;         /* owned or a derived surface's */
      gboolean mapped;
    } buffer;
    struct {
      VAImage image;
      VASurfaceID derived_from; /* VA_INVALID_ID for created images */
    } image;
  } u;
} Object;

typedef struct {
  GHashTable *objects;          /* id -> Object */
  VAGenericID next_id;
} Driver;

/* The driver is loaded once per process (libva opens it RTLD_NODELETE);
 * counters and the lock are process-wide, like the test hooks reading
 * them. */
static GMutex lock;
static OviTestVaCounts counts;
static gboolean derive_enabled = TRUE;

/* ---- formats ------------------------------------------------------------ */

typedef struct {
  guint32 fourcc;
  unsigned int rt_format;
  int bits_per_pixel;
  int num_planes;
  /* Per plane: bytes per sample and the chroma subsampling shift. */
  int bytes[MAX_PLANES];
  int shift[MAX_PLANES];
  /* 32-bit RGB: the byte of R, G, B, A within the pixel (-1: none). */
  int rgba_byte[4];
} FormatDesc;

static const FormatDesc formats[] = {
  { VA_FOURCC_NV12, VA_RT_FORMAT_YUV420, 12, 2, { 1, 2 }, { 0, 1 }, { -1 } },
  { VA_FOURCC_I420, VA_RT_FORMAT_YUV420, 12, 3, { 1, 1, 1 }, { 0, 1, 1 },
    { -1 } },
  { VA_FOURCC_YV12, VA_RT_FORMAT_YUV420, 12, 3, { 1, 1, 1 }, { 0, 1, 1 },
    { -1 } },
  { VA_FOURCC_Y800, VA_RT_FORMAT_YUV400, 8, 1, { 1 }, { 0 }, { -1 } },
  { VA_FOURCC_BGRA, VA_RT_FORMAT_RGB32, 32, 1, { 4 }, { 0 }, { 2, 1, 0, 3 } },
  { VA_FOURCC_BGRX, VA_RT_FORMAT_RGB32, 32, 1, { 4 }, { 0 }, { 2, 1, 0, -1 } },
  { VA_FOURCC_RGBA, VA_RT_FORMAT_RGB32, 32, 1, { 4 }, { 0 }, { 0, 1, 2, 3 } },
  { VA_FOURCC_RGBX, VA_RT_FORMAT_RGB32, 32, 1, { 4 }, { 0 }, { 0, 1, 2, -1 } },
  { VA_FOURCC_ARGB, VA_RT_FORMAT_RGB32, 32, 1, { 4 }, { 0 }, { 1, 2, 3, 0 } },
  { VA_FOURCC_XRGB, VA_RT_FORMAT_RGB32, 32, 1, { 4 }, { 0 }, { 1, 2, 3, -1 } },
  { VA_FOURCC_ABGR, VA_RT_FORMAT_RGB32, 32, 1, { 4 }, { 0 }, { 3, 2, 1, 0 } },
  { VA_FOURCC_XBGR, VA_RT_FORMAT_RGB32, 32, 1, { 4 }, { 0 }, { 3, 2, 1, -1 } },
};

static const FormatDesc *
find_format (guint32 fourcc)
{
  for (gsize i = 0; i < G_N_ELEMENTS (formats); i++)
    if (formats[i].fourcc == fourcc)
      return &formats[i];
  return NULL;
}

/* VA's description: masks of the little-endian 32-bit pixel value. */
static void
describe_format (const FormatDesc *f, VAImageFormat *out)
{
  memset (out, 0, sizeof *out);
  out->fourcc = f->fourcc;
  out->byte_order = VA_LSB_FIRST;
  out->bits_per_pixel = f->bits_per_pixel;
  if (f->rt_format == VA_RT_FORMAT_RGB32) {
    guint32 *masks[4] = { &out->red_mask, &out->green_mask, &out->blue_mask,
      &out->alpha_mask };
    out->depth = f->rgba_byte[3] >= 0 ? 32 : 24;
    for (int c = 0; c < 4; c++)
      if (f->rgba_byte[c] >= 0)
        *masks[c] = 0xffu << (8 * f->rgba_byte[c]);
  }
}

static void
make_layout (const FormatDesc *f, int width, int height, int pitch_align,
    int rows_align, Layout *l)
{
  gsize offset = 0;
  memset (l, 0, sizeof *l);
  l->fourcc = f->fourcc;
  l->width = width;
  l->height = height;
  l->num_planes = f->num_planes;
  for (int i = 0; i < f->num_planes; i++) {
    int w = (width + (1 << f->shift[i]) - 1) >> f->shift[i];
    int rows = (height + (1 << f->shift[i]) - 1) >> f->shift[i];
    int padded_rows = ((rows + rows_align - 1) / rows_align) * rows_align;
    l->pitches[i] = (guint32) (((w * f->bytes[i] + pitch_align - 1)
            / pitch_align) * pitch_align);
    l->offsets[i] = (guint32) offset;
    offset += (gsize) l->pitches[i] * padded_rows;
  }
  l->size = offset;
}

/* ---- objects ------------------------------------------------------------ */

static Storage *
storage_new (gsize size)
{
  Storage *s = g_rc_box_new0 (Storage);
  s->data = g_malloc0 (MAX (size, 1));
  s->size = size;
  return s;
}

static void
storage_clear (Storage *s)
{
  g_free (s->data);
}

static void
storage_unref (Storage *s)
{
  if (s)
    g_rc_box_release_full (s, (GDestroyNotify) storage_clear);
}

static int *
live_counter (ObjectKind kind)
{
  switch (kind) {
    case OBJ_CONFIG: return &counts.live_configs;
    case OBJ_CONTEXT: return &counts.live_contexts;
    case OBJ_SURFACE: return &counts.live_surfaces;
    case OBJ_BUFFER: return &counts.live_buffers;
    case OBJ_IMAGE: return &counts.live_images;
  }
  return NULL;
}

static void
object_free (gpointer data)
{
  Object *o = data;
  if (o->kind == OBJ_SURFACE)
    storage_unref (o->u.surface.storage);
  else if (o->kind == OBJ_BUFFER)
    storage_unref (o->u.buffer.storage);
  (*live_counter (o->kind))--;
  g_free (o);
}

/* Called with the lock held. */
static VAGenericID
object_add (Driver *d, Object *o)
{
  VAGenericID id = d->next_id++;
  g_hash_table_insert (d->objects, GUINT_TO_POINTER (id), o);
  (*live_counter (o->kind))++;
  return id;
}

static Object *
object_get (Driver *d, VAGenericID id, ObjectKind kind)
{
  Object *o = g_hash_table_lookup (d->objects, GUINT_TO_POINTER (id));
  return o && o->kind == kind ? o : NULL;
}

#define DRIVER(ctx) ((Driver *) (ctx)->pDriverData)

/* ---- configs and contexts ---------------------------------------------- */

static VAStatus
query_config_profiles (VADriverContextP ctx, VAProfile *list, int *n)
{
  list[0] = VAProfileNone;
  *n = 1;
  return VA_STATUS_SUCCESS;
}

static VAStatus
query_config_entrypoints (VADriverContextP ctx, VAProfile profile,
    VAEntrypoint *list, int *n)
{
  if (profile != VAProfileNone)
    return VA_STATUS_ERROR_UNSUPPORTED_PROFILE;
  list[0] = VAEntrypointVideoProc;
  *n = 1;
  return VA_STATUS_SUCCESS;
}

static VAStatus
check_profile (VAProfile profile, VAEntrypoint entrypoint)
{
  if (profile != VAProfileNone)
    return VA_STATUS_ERROR_UNSUPPORTED_PROFILE;
  if (entrypoint != VAEntrypointVideoProc)
    return VA_STATUS_ERROR_UNSUPPORTED_ENTRYPOINT;
  return VA_STATUS_SUCCESS;
}

#define RT_FORMATS (VA_RT_FORMAT_YUV420 | VA_RT_FORMAT_YUV400 \
    | VA_RT_FORMAT_RGB32)

static VAStatus
get_config_attributes (VADriverContextP ctx, VAProfile profile,
    VAEntrypoint entrypoint, VAConfigAttrib *attribs, int n)
{
  VAStatus st = check_profile (profile, entrypoint);
  if (st != VA_STATUS_SUCCESS)
    return st;
  for (int i = 0; i < n; i++)
    attribs[i].value = attribs[i].type == VAConfigAttribRTFormat
        ? RT_FORMATS : VA_ATTRIB_NOT_SUPPORTED;
  return VA_STATUS_SUCCESS;
}

static VAStatus
create_config (VADriverContextP ctx, VAProfile profile,
    VAEntrypoint entrypoint, VAConfigAttrib *attribs, int n, VAConfigID *id)
{
  VAStatus st = check_profile (profile, entrypoint);
  Object *o;
  if (st != VA_STATUS_SUCCESS)
    return st;
  for (int i = 0; i < n; i++)
    if (attribs[i].type == VAConfigAttribRTFormat
        && (attribs[i].value & ~RT_FORMATS))
      return VA_STATUS_ERROR_UNSUPPORTED_RT_FORMAT;
  o = g_new0 (Object, 1);
  o->kind = OBJ_CONFIG;
  o->u.config.profile = profile;
  o->u.config.entrypoint = entrypoint;
  g_mutex_lock (&lock);
  *id = object_add (DRIVER (ctx), o);
  g_mutex_unlock (&lock);
  return VA_STATUS_SUCCESS;
}

static VAStatus
destroy_object (VADriverContextP ctx, VAGenericID id, ObjectKind kind,
    VAStatus invalid)
{
  VAStatus st = VA_STATUS_SUCCESS;
  g_mutex_lock (&lock);
  if (object_get (DRIVER (ctx), id, kind))
    g_hash_table_remove (DRIVER (ctx)->objects, GUINT_TO_POINTER (id));
  else
    st = invalid;
  g_mutex_unlock (&lock);
  return st;
}

static VAStatus
destroy_config (VADriverContextP ctx, VAConfigID id)
{
  return destroy_object (ctx, id, OBJ_CONFIG, VA_STATUS_ERROR_INVALID_CONFIG);
}

static VAStatus
query_config_attributes (VADriverContextP ctx, VAConfigID id,
    VAProfile *profile, VAEntrypoint *entrypoint, VAConfigAttrib *attribs,
    int *n)
{
  Object *o;
  VAStatus st = VA_STATUS_SUCCESS;
  g_mutex_lock (&lock);
  o = object_get (DRIVER (ctx), id, OBJ_CONFIG);
  if (o) {
    *profile = o->u.config.profile;
    *entrypoint = o->u.config.entrypoint;
    attribs[0].type = VAConfigAttribRTFormat;
    attribs[0].value = RT_FORMATS;
    *n = 1;
  } else {
    st = VA_STATUS_ERROR_INVALID_CONFIG;
  }
  g_mutex_unlock (&lock);
  return st;
}

static VAStatus
create_context (VADriverContextP ctx, VAConfigID config, int width,
    int height, int flag, VASurfaceID *targets, int n_targets,
    VAContextID *id)
{
  Object *o;
  VAStatus st = VA_STATUS_SUCCESS;
  g_mutex_lock (&lock);
  if (object_get (DRIVER (ctx), config, OBJ_CONFIG)) {
    o = g_new0 (Object, 1);
    o->kind = OBJ_CONTEXT;
    *id = object_add (DRIVER (ctx), o);
  } else {
    st = VA_STATUS_ERROR_INVALID_CONFIG;
  }
  g_mutex_unlock (&lock);
  return st;
}

static VAStatus
destroy_context (VADriverContextP ctx, VAContextID id)
{
  return destroy_object (ctx, id, OBJ_CONTEXT,
      VA_STATUS_ERROR_INVALID_CONTEXT);
}

/* ---- surfaces ----------------------------------------------------------- */

static guint32
default_fourcc (unsigned int rt_format)
{
  switch (rt_format) {
    case VA_RT_FORMAT_YUV420: return VA_FOURCC_NV12;
    case VA_RT_FORMAT_YUV400: return VA_FOURCC_Y800;
    case VA_RT_FORMAT_RGB32: return VA_FOURCC_BGRX;
    default: return 0;
  }
}

static VAStatus
create_surfaces2 (VADriverContextP ctx, unsigned int rt_format,
    unsigned int width, unsigned int height, VASurfaceID *surfaces,
    unsigned int n, VASurfaceAttrib *attribs, unsigned int n_attribs)
{
  guint32 fourcc = default_fourcc (rt_format);
  const FormatDesc *f;

  if (width == 0 || height == 0 || width > 16384 || height > 16384)
    return VA_STATUS_ERROR_INVALID_PARAMETER;
  for (unsigned int i = 0; i < n_attribs; i++) {
    if (!(attribs[i].flags & VA_SURFACE_ATTRIB_SETTABLE))
      continue;
    if (attribs[i].type == VASurfaceAttribPixelFormat)
      fourcc = (guint32) attribs[i].value.value.i;
    else if (attribs[i].type == VASurfaceAttribMemoryType
        && attribs[i].value.value.i != VA_SURFACE_ATTRIB_MEM_TYPE_VA)
      return VA_STATUS_ERROR_UNSUPPORTED_MEMORY_TYPE;
    else if (attribs[i].type == VASurfaceAttribExternalBufferDescriptor)
      return VA_STATUS_ERROR_UNSUPPORTED_MEMORY_TYPE;
  }
  f = find_format (fourcc);
  if (f == NULL || f->rt_format != rt_format)
    return VA_STATUS_ERROR_UNSUPPORTED_RT_FORMAT;

  g_mutex_lock (&lock);
  for (unsigned int i = 0; i < n; i++) {
    Object *o = g_new0 (Object, 1);
    o->kind = OBJ_SURFACE;
    make_layout (f, (int) width, (int) height, SURFACE_PITCH_ALIGN,
        SURFACE_ROWS_ALIGN, &o->u.surface.layout);
    o->u.surface.storage = storage_new (o->u.surface.layout.size);
    surfaces[i] = object_add (DRIVER (ctx), o);
  }
  g_mutex_unlock (&lock);
  return VA_STATUS_SUCCESS;
}

static VAStatus
create_surfaces (VADriverContextP ctx, int width, int height, int format,
    int n, VASurfaceID *surfaces)
{
  if (width <= 0 || height <= 0 || n < 0)
    return VA_STATUS_ERROR_INVALID_PARAMETER;
  return create_surfaces2 (ctx, (unsigned int) format, (unsigned int) width,
      (unsigned int) height, surfaces, (unsigned int) n, NULL, 0);
}

static VAStatus
destroy_surfaces (VADriverContextP ctx, VASurfaceID *list, int n)
{
  VAStatus st = VA_STATUS_SUCCESS;
  for (int i = 0; i < n; i++) {
    VAStatus s = destroy_object (ctx, list[i], OBJ_SURFACE,
        VA_STATUS_ERROR_INVALID_SURFACE);
    if (s != VA_STATUS_SUCCESS)
      st = s;
  }
  return st;
}

static VAStatus
sync_surface (VADriverContextP ctx, VASurfaceID id)
{
  VAStatus st;
  g_mutex_lock (&lock);
  st = object_get (DRIVER (ctx), id, OBJ_SURFACE) ? VA_STATUS_SUCCESS
      : VA_STATUS_ERROR_INVALID_SURFACE;
  g_mutex_unlock (&lock);
  return st;
}

static VAStatus
sync_surface2 (VADriverContextP ctx, VASurfaceID id, uint64_t timeout_ns)
{
  return sync_surface (ctx, id);
}

static VAStatus
query_surface_status (VADriverContextP ctx, VASurfaceID id,
    VASurfaceStatus *status)
{
  VAStatus st = sync_surface (ctx, id);
  if (st == VA_STATUS_SUCCESS)
    *status = VASurfaceReady;   /* nothing renders asynchronously here */
  return st;
}

static VAStatus
query_surface_attributes (VADriverContextP ctx, VAConfigID config,
    VASurfaceAttrib *attribs, unsigned int *n)
{
  unsigned int count = G_N_ELEMENTS (formats) + 5, k = 0;
  gboolean valid;

  g_mutex_lock (&lock);
  valid = object_get (DRIVER (ctx), config, OBJ_CONFIG) != NULL;
  g_mutex_unlock (&lock);
  if (!valid)
    return VA_STATUS_ERROR_INVALID_CONFIG;
  if (attribs == NULL) {
    *n = count;
    return VA_STATUS_SUCCESS;
  }
  if (*n < count) {
    *n = count;
    return VA_STATUS_ERROR_MAX_NUM_EXCEEDED;
  }
  memset (attribs, 0, count * sizeof *attribs);
  for (gsize i = 0; i < G_N_ELEMENTS (formats); i++, k++) {
    attribs[k].type = VASurfaceAttribPixelFormat;
    attribs[k].flags = VA_SURFACE_ATTRIB_GETTABLE | VA_SURFACE_ATTRIB_SETTABLE;
    attribs[k].value.type = VAGenericValueTypeInteger;
    attribs[k].value.value.i = (int) formats[i].fourcc;
  }
  {
    const struct { VASurfaceAttribType type; int value; } limits[] = {
      { VASurfaceAttribMinWidth, 1 }, { VASurfaceAttribMinHeight, 1 },
      { VASurfaceAttribMaxWidth, 16384 }, { VASurfaceAttribMaxHeight, 16384 },
      { VASurfaceAttribMemoryType, VA_SURFACE_ATTRIB_MEM_TYPE_VA },
    };
    for (gsize i = 0; i < G_N_ELEMENTS (limits); i++, k++) {
      attribs[k].type = limits[i].type;
      attribs[k].flags = VA_SURFACE_ATTRIB_GETTABLE;
      attribs[k].value.type = VAGenericValueTypeInteger;
      attribs[k].value.value.i = limits[i].value;
    }
  }
  *n = k;
  return VA_STATUS_SUCCESS;
}

/* ---- buffers ------------------------------------------------------------ */

/* Called with the lock held. */
static VABufferID
buffer_add (Driver *d, VABufferType type, unsigned int size,
    unsigned int num_elements, Storage *storage)
{
  Object *o = g_new0 (Object, 1);
  o->kind = OBJ_BUFFER;
  o->u.buffer.type = type;
  o->u.buffer.size = size;
  o->u.buffer.num_elements = num_elements;
  o->u.buffer.storage = storage;
  return object_add (d, o);
}

static VAStatus
create_buffer (VADriverContextP ctx, VAContextID context, VABufferType type,
    unsigned int size, unsigned int num_elements, void *data,
    VABufferID *id)
{
  Storage *s;
  gsize total;

  if (size == 0 || num_elements == 0
      || (gsize) size * num_elements > G_MAXUINT32)
    return VA_STATUS_ERROR_INVALID_PARAMETER;
  total = (gsize) size * num_elements;
  s = storage_new (total);
  if (data)
    memcpy (s->data, data, total);
  g_mutex_lock (&lock);
  *id = buffer_add (DRIVER (ctx), type, size, num_elements, s);
  g_mutex_unlock (&lock);
  return VA_STATUS_SUCCESS;
}

static VAStatus
buffer_set_num_elements (VADriverContextP ctx, VABufferID id,
    unsigned int num_elements)
{
  Object *o;
  VAStatus st = VA_STATUS_SUCCESS;
  g_mutex_lock (&lock);
  o = object_get (DRIVER (ctx), id, OBJ_BUFFER);
  if (o == NULL)
    st = VA_STATUS_ERROR_INVALID_BUFFER;
  else if ((gsize) o->u.buffer.size * num_elements > o->u.buffer.storage->size)
    st = VA_STATUS_ERROR_INVALID_PARAMETER;
  else
    o->u.buffer.num_elements = num_elements;
  g_mutex_unlock (&lock);
  return st;
}

static VAStatus
map_buffer (VADriverContextP ctx, VABufferID id, void **data)
{
  Object *o;
  VAStatus st = VA_STATUS_SUCCESS;
  g_mutex_lock (&lock);
  o = object_get (DRIVER (ctx), id, OBJ_BUFFER);
  if (o) {
    o->u.buffer.mapped = TRUE;
    *data = o->u.buffer.storage->data;
    counts.maps++;
  } else {
    st = VA_STATUS_ERROR_INVALID_BUFFER;
  }
  g_mutex_unlock (&lock);
  return st;
}

static VAStatus
unmap_buffer (VADriverContextP ctx, VABufferID id)
{
  Object *o;
  VAStatus st = VA_STATUS_SUCCESS;
  g_mutex_lock (&lock);
  o = object_get (DRIVER (ctx), id, OBJ_BUFFER);
  if (o == NULL)
    st = VA_STATUS_ERROR_INVALID_BUFFER;
  else if (!o->u.buffer.mapped)
    st = VA_STATUS_ERROR_OPERATION_FAILED;
  else
    o->u.buffer.mapped = FALSE;
  g_mutex_unlock (&lock);
  return st;
}

static VAStatus
destroy_buffer (VADriverContextP ctx, VABufferID id)
{
  return destroy_object (ctx, id, OBJ_BUFFER, VA_STATUS_ERROR_INVALID_BUFFER);
}

static VAStatus
buffer_info (VADriverContextP ctx, VABufferID id, VABufferType *type,
    unsigned int *size, unsigned int *num_elements)
{
  Object *o;
  VAStatus st = VA_STATUS_SUCCESS;
  g_mutex_lock (&lock);
  o = object_get (DRIVER (ctx), id, OBJ_BUFFER);
  if (o) {
    *type = o->u.buffer.type;
    *size = o->u.buffer.size;
    *num_elements = o->u.buffer.num_elements;
  } else {
    st = VA_STATUS_ERROR_INVALID_BUFFER;
  }
  g_mutex_unlock (&lock);
  return st;
}

/* ---- images ------------------------------------------------------------- */

static VAStatus
query_image_formats (VADriverContextP ctx, VAImageFormat *list, int *n)
{
  for (gsize i = 0; i < G_N_ELEMENTS (formats); i++)
    describe_format (&formats[i], &list[i]);
  *n = G_N_ELEMENTS (formats);
  return VA_STATUS_SUCCESS;
}

/* Called with the lock held: the image object and its buffer. */
static void
image_add (Driver *d, const Layout *l, Storage *storage,
    VASurfaceID derived_from, VAImage *image)
{
  Object *o = g_new0 (Object, 1);
  VAImage *im = &o->u.image.image;

  o->kind = OBJ_IMAGE;
  o->u.image.derived_from = derived_from;
  describe_format (find_format (l->fourcc), &im->format);
  im->width = (uint16_t) l->width;
  im->height = (uint16_t) l->height;
  im->data_size = (uint32_t) l->size;
  im->num_planes = (uint32_t) l->num_planes;
  memcpy (im->pitches, l->pitches, sizeof im->pitches);
  memcpy (im->offsets, l->offsets, sizeof im->offsets);
  im->buf = buffer_add (d, VAImageBufferType, (unsigned int) l->size, 1,
      storage);
  im->image_id = object_add (d, o);
  *image = *im;
}

static VAStatus
create_image (VADriverContextP ctx, VAImageFormat *format, int width,
    int height, VAImage *image)
{
  const FormatDesc *f = find_format (format->fourcc);
  Layout l;

  if (f == NULL)
    return VA_STATUS_ERROR_INVALID_IMAGE_FORMAT;
  if (width <= 0 || height <= 0 || width > 16384 || height > 16384)
    return VA_STATUS_ERROR_INVALID_PARAMETER;
  make_layout (f, width, height, IMAGE_PITCH_ALIGN, 1, &l);
  g_mutex_lock (&lock);
  image_add (DRIVER (ctx), &l, storage_new (l.size), VA_INVALID_ID, image);
  g_mutex_unlock (&lock);
  return VA_STATUS_SUCCESS;
}

static VAStatus
derive_image (VADriverContextP ctx, VASurfaceID surface, VAImage *image)
{
  Object *s;
  VAStatus st = VA_STATUS_SUCCESS;

  g_mutex_lock (&lock);
  s = object_get (DRIVER (ctx), surface, OBJ_SURFACE);
  if (s == NULL) {
    st = VA_STATUS_ERROR_INVALID_SURFACE;
  } else if (!derive_enabled) {
    st = VA_STATUS_ERROR_OPERATION_FAILED;
  } else {
    image_add (DRIVER (ctx), &s->u.surface.layout,
        g_rc_box_acquire (s->u.surface.storage), surface, image);
    s->u.surface.derived_images++;
    counts.derives++;
  }
  g_mutex_unlock (&lock);
  return st;
}

static VAStatus
destroy_image (VADriverContextP ctx, VAImageID id)
{
  Driver *d = DRIVER (ctx);
  Object *o, *s;
  VAStatus st = VA_STATUS_SUCCESS;

  g_mutex_lock (&lock);
  o = object_get (d, id, OBJ_IMAGE);
  if (o == NULL) {
    st = VA_STATUS_ERROR_INVALID_IMAGE;
  } else {
    s = object_get (d, o->u.image.derived_from, OBJ_SURFACE);
    if (s)
      s->u.surface.derived_images--;
    g_hash_table_remove (d->objects, GUINT_TO_POINTER (o->u.image.image.buf));
    g_hash_table_remove (d->objects, GUINT_TO_POINTER (id));
  }
  g_mutex_unlock (&lock);
  return st;
}

/* Copies the rectangle (x, y, w, h) of luma pixels, plane by plane, from
 * one layout to another of the same format; (x, y) even for subsampled
 * planes. */
static void
copy_rect (const Layout *dl, guint8 *dst, int dx, int dy, const Layout *sl,
    const guint8 *src, int sx, int sy, int w, int h)
{
  const FormatDesc *f = find_format (sl->fourcc);
  for (int i = 0; i < f->num_planes; i++) {
    int sh = f->shift[i], b = f->bytes[i];
    int pw = (w + (1 << sh) - 1) >> sh, ph = (h + (1 << sh) - 1) >> sh;
    for (int r = 0; r < ph; r++) {
      const guint8 *from = src + sl->offsets[i]
          + (gsize) ((sy >> sh) + r) * sl->pitches[i] + (gsize) (sx >> sh) * b;
      guint8 *to = dst + dl->offsets[i]
          + (gsize) ((dy >> sh) + r) * dl->pitches[i] + (gsize) (dx >> sh) * b;
      memcpy (to, from, (gsize) pw * b);
    }
  }
}

static void
image_layout (const VAImage *im, Layout *l)
{
  memset (l, 0, sizeof *l);
  l->fourcc = im->format.fourcc;
  l->width = im->width;
  l->height = im->height;
  l->num_planes = (int) im->num_planes;
  memcpy (l->pitches, im->pitches, sizeof l->pitches);
  memcpy (l->offsets, im->offsets, sizeof l->offsets);
  l->size = im->data_size;
}

/* The shared checks of get and put: objects exist, same format, the
 * rectangles inside both, even origins for subsampled formats, and the
 * surface not aliased by a derived image (the VA spec's SURFACE_BUSY). */
static VAStatus
transfer_args (Driver *d, VASurfaceID surface, VAImageID image, int ix,
    int iy, int sx, int sy, unsigned int w, unsigned int h, Object **so,
    Object **io, Storage **istorage)
{
  Object *buf;
  const Layout *sl;
  const VAImage *im;

  *so = object_get (d, surface, OBJ_SURFACE);
  *io = object_get (d, image, OBJ_IMAGE);
  if (*so == NULL)
    return VA_STATUS_ERROR_INVALID_SURFACE;
  if (*io == NULL)
    return VA_STATUS_ERROR_INVALID_IMAGE;
  if ((*so)->u.surface.derived_images > 0)
    return VA_STATUS_ERROR_SURFACE_BUSY;
  sl = &(*so)->u.surface.layout;
  im = &(*io)->u.image.image;
  if (im->format.fourcc != sl->fourcc)
    return VA_STATUS_ERROR_INVALID_IMAGE_FORMAT;
  if (ix < 0 || iy < 0 || sx < 0 || sy < 0 || w == 0 || h == 0
      || ix + w > im->width || iy + h > im->height
      || sx + w > (unsigned int) sl->width
      || sy + h > (unsigned int) sl->height
      || ((ix | iy | sx | sy) & 1 && find_format (sl->fourcc)->shift[1]))
    return VA_STATUS_ERROR_INVALID_PARAMETER;
  buf = object_get (d, im->buf, OBJ_BUFFER);
  if (buf == NULL)
    return VA_STATUS_ERROR_INVALID_BUFFER;
  *istorage = buf->u.buffer.storage;
  return VA_STATUS_SUCCESS;
}

static VAStatus
get_image (VADriverContextP ctx, VASurfaceID surface, int x, int y,
    unsigned int w, unsigned int h, VAImageID image)
{
  Object *so, *io;
  Storage *is;
  VAStatus st;
  Layout il;

  g_mutex_lock (&lock);
  st = transfer_args (DRIVER (ctx), surface, image, 0, 0, x, y, w, h, &so,
      &io, &is);
  if (st == VA_STATUS_SUCCESS) {
    image_layout (&io->u.image.image, &il);
    copy_rect (&il, is->data, 0, 0, &so->u.surface.layout,
        so->u.surface.storage->data, x, y, (int) w, (int) h);
    counts.get_images++;
  }
  g_mutex_unlock (&lock);
  return st;
}

static VAStatus
put_image (VADriverContextP ctx, VASurfaceID surface, VAImageID image,
    int src_x, int src_y, unsigned int src_w, unsigned int src_h,
    int dst_x, int dst_y, unsigned int dst_w, unsigned int dst_h)
{
  Object *so, *io;
  Storage *is;
  VAStatus st;
  Layout il;

  /* No scaling in this driver. */
  if (src_w != dst_w || src_h != dst_h)
    return VA_STATUS_ERROR_UNIMPLEMENTED;
  g_mutex_lock (&lock);
  st = transfer_args (DRIVER (ctx), surface, image, src_x, src_y, dst_x,
      dst_y, src_w, src_h, &so, &io, &is);
  if (st == VA_STATUS_SUCCESS) {
    image_layout (&io->u.image.image, &il);
    copy_rect (&so->u.surface.layout, so->u.surface.storage->data, dst_x,
        dst_y, &il, is->data, src_x, src_y, (int) src_w, (int) src_h);
    counts.put_images++;
  }
  g_mutex_unlock (&lock);
  return st;
}

/* vaCopy between two surfaces of the same format and size. */
static VAStatus
copy (VADriverContextP ctx, VACopyObject *dst, VACopyObject *src,
    VACopyOption option)
{
  Object *d, *s;
  VAStatus st = VA_STATUS_SUCCESS;

  if (dst->obj_type != VACopyObjectSurface
      || src->obj_type != VACopyObjectSurface)
    return VA_STATUS_ERROR_UNIMPLEMENTED;
  g_mutex_lock (&lock);
  d = object_get (DRIVER (ctx), dst->object.surface_id, OBJ_SURFACE);
  s = object_get (DRIVER (ctx), src->object.surface_id, OBJ_SURFACE);
  if (d == NULL || s == NULL) {
    st = VA_STATUS_ERROR_INVALID_SURFACE;
  } else if (d->u.surface.layout.fourcc != s->u.surface.layout.fourcc
      || d->u.surface.layout.width != s->u.surface.layout.width
      || d->u.surface.layout.height != s->u.surface.layout.height) {
    st = VA_STATUS_ERROR_INVALID_PARAMETER;
  } else {
    memcpy (d->u.surface.storage->data, s->u.surface.storage->data,
        s->u.surface.storage->size);
    counts.copies++;
  }
  g_mutex_unlock (&lock);
  return st;
}

/* ---- what this driver does not do -------------------------------------- */

/* Each answers VA_STATUS_ERROR_UNIMPLEMENTED with its own signature
 * (calling through a cast of another type would be undefined). */
#define UNIMPLEMENTED(name, ...) \
  static VAStatus name (VADriverContextP ctx, __VA_ARGS__) \
  { return VA_STATUS_ERROR_UNIMPLEMENTED; }

UNIMPLEMENTED (query_surface_error, VASurfaceID s, VAStatus e, void **info)
UNIMPLEMENTED (put_surface, VASurfaceID s, void *draw, short sx, short sy,
    unsigned short sw, unsigned short sh, short dx, short dy,
    unsigned short dw, unsigned short dh, VARectangle *clip,
    unsigned int n_clip, unsigned int flags)
UNIMPLEMENTED (set_image_palette, VAImageID image, unsigned char *palette)
UNIMPLEMENTED (create_subpicture, VAImageID image, VASubpictureID *sub)
UNIMPLEMENTED (destroy_subpicture, VASubpictureID sub)
UNIMPLEMENTED (set_subpicture_image, VASubpictureID sub, VAImageID image)
UNIMPLEMENTED (set_subpicture_chromakey, VASubpictureID sub,
    unsigned int min, unsigned int max, unsigned int mask)
UNIMPLEMENTED (set_subpicture_global_alpha, VASubpictureID sub, float alpha)
UNIMPLEMENTED (associate_subpicture, VASubpictureID sub, VASurfaceID *list,
    int n, short sx, short sy, unsigned short sw, unsigned short sh,
    short dx, short dy, unsigned short dw, unsigned short dh,
    unsigned int flags)
UNIMPLEMENTED (deassociate_subpicture, VASubpictureID sub,
    VASurfaceID *list, int n)
UNIMPLEMENTED (set_display_attributes, VADisplayAttribute *list, int n)

static VAStatus
begin_picture (VADriverContextP ctx, VAContextID context, VASurfaceID target)
{
  return VA_STATUS_ERROR_UNIMPLEMENTED;
}

static VAStatus
render_picture (VADriverContextP ctx, VAContextID context,
    VABufferID *buffers, int n)
{
  return VA_STATUS_ERROR_UNIMPLEMENTED;
}

static VAStatus
end_picture (VADriverContextP ctx, VAContextID context)
{
  return VA_STATUS_ERROR_UNIMPLEMENTED;
}

static VAStatus
query_subpicture_formats (VADriverContextP ctx, VAImageFormat *list,
    unsigned int *flags, unsigned int *n)
{
  *n = 0;
  return VA_STATUS_SUCCESS;
}

/* The one display attribute: vaCopy's modes, which GStreamer's VA
 * library asks for before copying a surface (as real drivers have it). */
static VAStatus
query_display_attributes (VADriverContextP ctx, VADisplayAttribute *list,
    int *n)
{
  memset (&list[0], 0, sizeof list[0]);
  list[0].type = VADisplayAttribCopy;
  list[0].flags = VA_DISPLAY_ATTRIB_GETTABLE;
  list[0].value = 1 << VA_EXEC_MODE_DEFAULT;
  *n = 1;
  return VA_STATUS_SUCCESS;
}

static VAStatus
get_display_attributes (VADriverContextP ctx, VADisplayAttribute *list,
    int n)
{
  for (int i = 0; i < n; i++) {
    if (list[i].type == VADisplayAttribCopy) {
      list[i].flags = VA_DISPLAY_ATTRIB_GETTABLE;
      list[i].value = 1 << VA_EXEC_MODE_DEFAULT;
    } else {
      list[i].flags = 0;        /* not supported */
    }
  }
  return VA_STATUS_SUCCESS;
}

static VAStatus
terminate (VADriverContextP ctx)
{
  Driver *d = DRIVER (ctx);
  g_mutex_lock (&lock);
  g_hash_table_destroy (d->objects);
  g_mutex_unlock (&lock);
  g_free (d);
  ctx->pDriverData = NULL;
  return VA_STATUS_SUCCESS;
}

/* ---- test hooks (vaGetLibFunc) ----------------------------------------- */

void ovi_test_va_driver_get_counts (OviTestVaCounts *out);
void ovi_test_va_driver_set_derive (int enabled);

void
ovi_test_va_driver_get_counts (OviTestVaCounts *out)
{
  g_mutex_lock (&lock);
  *out = counts;
  g_mutex_unlock (&lock);
}

void
ovi_test_va_driver_set_derive (int enabled)
{
  g_mutex_lock (&lock);
  derive_enabled = enabled != 0;
  g_mutex_unlock (&lock);
}

/* ---- entry point -------------------------------------------------------- */

#define INIT_NAME_(major, minor) __vaDriverInit_##major##_##minor
#define INIT_NAME(major, minor) INIT_NAME_ (major, minor)
#define DRIVER_INIT INIT_NAME (VA_MAJOR_VERSION, VA_MINOR_VERSION)

VAStatus DRIVER_INIT (VADriverContextP ctx);

VAStatus
DRIVER_INIT (VADriverContextP ctx)
{
  Driver *d = g_new0 (Driver, 1);

  d->objects = g_hash_table_new_full (NULL, NULL, NULL, object_free);
  d->next_id = 0x100;   /* 0 is a valid id for some clients: avoid it */
  ctx->pDriverData = d;
  ctx->version_major = VA_MAJOR_VERSION;
  ctx->version_minor = VA_MINOR_VERSION;
  ctx->max_profiles = 1;
  ctx->max_entrypoints = 1;
  ctx->max_attributes = 1;
  ctx->max_image_formats = G_N_ELEMENTS (formats);
  ctx->max_subpic_formats = 1;  /* libva refuses 0; none are listed */
  ctx->max_display_attributes = 1;
  ctx->str_vendor = "gst-ovi test VA driver (software, host memory)";

  *ctx->vtable = (struct VADriverVTable) {
    .vaTerminate = terminate,
    .vaQueryConfigProfiles = query_config_profiles,
    .vaQueryConfigEntrypoints = query_config_entrypoints,
    .vaGetConfigAttributes = get_config_attributes,
    .vaCreateConfig = create_config,
    .vaDestroyConfig = destroy_config,
    .vaQueryConfigAttributes = query_config_attributes,
    .vaCreateSurfaces = create_surfaces,
    .vaCreateSurfaces2 = create_surfaces2,
    .vaDestroySurfaces = destroy_surfaces,
    .vaCreateContext = create_context,
    .vaDestroyContext = destroy_context,
    .vaCreateBuffer = create_buffer,
    .vaBufferSetNumElements = buffer_set_num_elements,
    .vaMapBuffer = map_buffer,
    .vaUnmapBuffer = unmap_buffer,
    .vaDestroyBuffer = destroy_buffer,
    .vaBufferInfo = buffer_info,
    .vaBeginPicture = begin_picture,
    .vaRenderPicture = render_picture,
    .vaEndPicture = end_picture,
    .vaSyncSurface = sync_surface,
    .vaSyncSurface2 = sync_surface2,
    .vaQuerySurfaceStatus = query_surface_status,
    .vaQuerySurfaceError = query_surface_error,
    .vaPutSurface = put_surface,
    .vaQuerySurfaceAttributes = query_surface_attributes,
    .vaQueryImageFormats = query_image_formats,
    .vaCreateImage = create_image,
    .vaDeriveImage = derive_image,
    .vaDestroyImage = destroy_image,
    .vaSetImagePalette = set_image_palette,
    .vaGetImage = get_image,
    .vaPutImage = put_image,
    .vaQuerySubpictureFormats = query_subpicture_formats,
    .vaCreateSubpicture = create_subpicture,
    .vaDestroySubpicture = destroy_subpicture,
    .vaSetSubpictureImage = set_subpicture_image,
    .vaSetSubpictureChromakey = set_subpicture_chromakey,
    .vaSetSubpictureGlobalAlpha = set_subpicture_global_alpha,
    .vaAssociateSubpicture = associate_subpicture,
    .vaDeassociateSubpicture = deassociate_subpicture,
    .vaQueryDisplayAttributes = query_display_attributes,
    .vaGetDisplayAttributes = get_display_attributes,
    .vaSetDisplayAttributes = set_display_attributes,
    .vaCopy = copy,
  };
  return VA_STATUS_SUCCESS;
}
