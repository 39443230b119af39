/* Tensor helpers: sizes, allocation, element access across types. */
#include "tensor.h"
#include "half-float.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* No single tensor may exceed this: a hostile model must not make us
 * allocate without bound. 16 GiB covers any model these devices run. */
#define OVI_MAX_TENSOR_BYTES (G_GUINT64_CONSTANT (16) << 30)

G_DEFINE_QUARK (ovi-error-quark, ovi_error)

gsize
ovi_dtype_size (OviDType dtype)
{
  switch (dtype) {
    case OVI_DTYPE_FLOAT32: case OVI_DTYPE_INT32: case OVI_DTYPE_UINT32:
      return 4;
    case OVI_DTYPE_UINT8: case OVI_DTYPE_INT8: case OVI_DTYPE_BOOL:
      return 1;
    case OVI_DTYPE_UINT16: case OVI_DTYPE_INT16: case OVI_DTYPE_FLOAT16:
    case OVI_DTYPE_BFLOAT16:
      return 2;
    case OVI_DTYPE_INT64: case OVI_DTYPE_UINT64: case OVI_DTYPE_FLOAT64:
      return 8;
    default:
      return 0;
  }
}

const char *
ovi_dtype_name (OviDType dtype)
{
  if (dtype == OVI_DTYPE_SEQUENCE)
    return "sequence";
  switch (dtype) {
    case OVI_DTYPE_FLOAT32: return "float32";
    case OVI_DTYPE_UINT8: return "uint8";
    case OVI_DTYPE_INT8: return "int8";
    case OVI_DTYPE_UINT16: return "uint16";
    case OVI_DTYPE_INT16: return "int16";
    case OVI_DTYPE_INT32: return "int32";
    case OVI_DTYPE_INT64: return "int64";
    case OVI_DTYPE_STRING: return "string";
    case OVI_DTYPE_BOOL: return "bool";
    case OVI_DTYPE_FLOAT16: return "float16";
    case OVI_DTYPE_FLOAT64: return "float64";
    case OVI_DTYPE_UINT32: return "uint32";
    case OVI_DTYPE_UINT64: return "uint64";
    case OVI_DTYPE_BFLOAT16: return "bfloat16";
    default: return "undefined";
  }
}

gboolean
ovi_dtype_is_known (OviDType dtype)
{
  return ovi_dtype_size (dtype) != 0;
}

gboolean
ovi_dtype_is_float (OviDType dtype)
{
  return dtype == OVI_DTYPE_FLOAT32 || dtype == OVI_DTYPE_FLOAT64
      || dtype == OVI_DTYPE_FLOAT16 || dtype == OVI_DTYPE_BFLOAT16;
}

gboolean
ovi_dtype_is_signed_int (OviDType dtype)
{
  return dtype == OVI_DTYPE_INT8 || dtype == OVI_DTYPE_INT16
      || dtype == OVI_DTYPE_INT32 || dtype == OVI_DTYPE_INT64;
}

gboolean
ovi_dtype_is_unsigned_int (OviDType dtype)
{
  return dtype == OVI_DTYPE_UINT8 || dtype == OVI_DTYPE_UINT16
      || dtype == OVI_DTYPE_UINT32 || dtype == OVI_DTYPE_UINT64
      || dtype == OVI_DTYPE_BOOL;
}

int64_t
ovi_shape_numel (int rank, const int64_t *dims)
{
  int64_t n = 1;
  for (int i = 0; i < rank; i++) {
    if (dims[i] < 0)
      return -1;
    if (dims[i] != 0 && n > G_MAXINT64 / dims[i])
      return -1;
    n *= dims[i];
  }
  return n;
}

gsize
ovi_tensor_nbytes (const OviTensor *t)
{
  int64_t n = ovi_tensor_numel (t);
  return n < 0 ? 0 : (gsize) n * ovi_dtype_size (t->dtype);
}

gboolean
ovi_shape_equal (int rank_a, const int64_t *a, int rank_b, const int64_t *b)
{
  if (rank_a != rank_b)
    return FALSE;
  for (int i = 0; i < rank_a; i++)
    if (a[i] != b[i])
      return FALSE;
  return TRUE;
}

char *
ovi_shape_to_string (int rank, const int64_t *dims)
{
  GString *s = g_string_new ("[");
  if (rank < 0)
    g_string_append (s, "?");
  for (int i = 0; i < rank; i++) {
    if (dims[i] < 0)
      g_string_append_printf (s, "%s?", i ? "," : "");
    else
      g_string_append_printf (s, "%s%" G_GINT64_FORMAT, i ? "," : "",
          dims[i]);
  }
  g_string_append_c (s, ']');
  return g_string_free (s, FALSE);
}

void
ovi_shape_strides (int rank, const int64_t *dims, int64_t *strides)
{
  int64_t s = 1;
  for (int i = rank - 1; i >= 0; i--) {
    strides[i] = s;
    s *= dims[i];
  }
}

gboolean
ovi_broadcast_shapes (int rank_a, const int64_t *a, int rank_b,
    const int64_t *b, int *rank_out, int64_t *out)
{
  int rank = MAX (rank_a, rank_b);
  int64_t res[OVI_MAX_RANK];
  /* Into a local array first: callers may pass `out` aliasing `a` or `b`. */
  for (int i = 0; i < rank; i++) {
    int64_t da = i < rank - rank_a ? 1 : a[i - (rank - rank_a)];
    int64_t db = i < rank - rank_b ? 1 : b[i - (rank - rank_b)];
    if (da == db || db == 1)
      res[i] = da;
    else if (da == 1)
      res[i] = db;
    else
      return FALSE;
  }
  memcpy (out, res, sizeof (int64_t) * rank);
  *rank_out = rank;
  return TRUE;
}

/* Large buffers (weights, arenas, packed weights) get pages of their own
 * and give them back when freed: from malloc's heap they would stay
 * mapped after the free (glibc raises its mmap threshold as big blocks
 * come and go, then trims the heap only from its top), and a model's
 * load and compile leave tens of megabytes of such holes behind. The size
 * sits in a header before the data, one alignment unit long. */
#define OVI_MMAP_MIN ((gsize) 256 * 1024)

typedef struct {
  gsize mapped;   /* bytes mapped, header included; 0: from malloc */
} AllocHeader;

G_STATIC_ASSERT (sizeof (AllocHeader) <= OVI_ALIGNMENT);

/* Packed weights of megabytes are streamed through once per inference
 * (a classifier's): with 4 KiB pages every 4 KiB of them costs a TLB
 * miss, and the hardware prefetchers stop at each page's end. They are
 * mapped from a 2 MiB boundary and their whole 2 MiB pages marked for
 * transparent huge pages (Debian's default THP mode is "madvise"): a
 * 64 MB row-vector product streams at 33 GB/s instead of 27-29 here.
 * The part past the last whole huge page keeps small pages. Arenas do
 * not get them: parts of an arena may stay untouched, and a huge page
 * makes all of its 2 MiB resident (ovi-faces' peak grew by 3 MiB).
 * OVI_HUGE_PAGES=0 turns it off. */
#define OVI_HUGE_PAGE ((gsize) 2 * 1024 * 1024)

static gboolean
huge_pages_enabled (void)
{
  static gsize enabled = 0;
  if (g_once_init_enter (&enabled))
    g_once_init_leave (&enabled, g_strcmp0 (g_getenv ("OVI_HUGE_PAGES"),
            "0") != 0 ? 1 : 2);
  return enabled == 1;
}

/* `total` bytes (at least OVI_HUGE_PAGE), mapped from a 2 MiB boundary;
 * NULL when the mapping fails. */
static guint8 *
huge_map (gsize total)
{
  gsize page = (gsize) sysconf (_SC_PAGESIZE);
  gsize len = (total + page - 1) / page * page;
  gsize span = len + OVI_HUGE_PAGE;
  guint8 *m = mmap (NULL, span, PROT_READ | PROT_WRITE,
      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  guint8 *start;
  if (m == MAP_FAILED)
    return NULL;
  start = (guint8 *) (((guintptr) m + OVI_HUGE_PAGE - 1)
      & ~(guintptr) (OVI_HUGE_PAGE - 1));
  /* Keep [start, start + len); give back what lies either side. */
  if (start > m)
    munmap (m, start - m);
  if (m + span > start + len)
    munmap (start + len, m + span - (start + len));
  /* Advice only: without THP the pages stay small. */
  (void) madvise (start, len & ~(OVI_HUGE_PAGE - 1), MADV_HUGEPAGE);
  ((AllocHeader *) start)->mapped = len;
  return start;
}

static void *
aligned_alloc_pages (gsize size, gboolean huge)
{
  guint8 *p = NULL;
  if (size == 0)
    size = OVI_ALIGNMENT;
  if (size > OVI_MAX_TENSOR_BYTES)
    return NULL;
  if (huge && size >= OVI_HUGE_PAGE && huge_pages_enabled ()) {
    p = huge_map (size + OVI_ALIGNMENT);
    if (p == NULL)
      return NULL;
  } else if (size >= OVI_MMAP_MIN) {
    gsize total = size + OVI_ALIGNMENT;
    void *m = mmap (NULL, total, PROT_READ | PROT_WRITE,
        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
      return NULL;
    p = m;
    ((AllocHeader *) p)->mapped = total;
  } else {
    void *m;
    if (posix_memalign (&m, OVI_ALIGNMENT, size + OVI_ALIGNMENT) != 0)
      return NULL;
    p = m;
    ((AllocHeader *) p)->mapped = 0;
  }
  return p + OVI_ALIGNMENT;
}

void *
ovi_aligned_alloc (gsize size)
{
  return aligned_alloc_pages (size, FALSE);
}

void *
ovi_aligned_alloc_streamed (gsize size)
{
  return aligned_alloc_pages (size, TRUE);
}

void
ovi_aligned_free (void *data)
{
  guint8 *p;
  if (data == NULL)
    return;
  p = (guint8 *) data - OVI_ALIGNMENT;
  if (((AllocHeader *) p)->mapped)
    munmap (p, ((AllocHeader *) p)->mapped);
  else
    free (p);
}

OviTensor *
ovi_tensor_new (OviDType dtype, int rank, const int64_t *dims)
{
  OviTensor *t = g_new0 (OviTensor, 1);
  if (!ovi_tensor_ensure (t, dtype, rank, dims)) {
    g_free (t);
    return NULL;
  }
  return t;
}

/* Frees what `owned` holds, by its kind; leaves the fields to the caller. */
static void
free_owned (OviTensor *t)
{
  if (t->owned == NULL)
    return;
  if (t->owned_type == OVI_DTYPE_STRING) {
    char **s = t->owned;
    for (gsize i = 0; i < t->capacity / sizeof (char *); i++)
      g_free (s[i]);
    ovi_aligned_free (t->owned);
  } else if (t->owned_type == OVI_DTYPE_SEQUENCE) {
    OviSequence *seq = t->owned;
    g_ptr_array_unref (seq->items);
    g_free (seq);
  } else if (t->owned_type == OVI_OWNED_SHARED) {
    OviSharedBytes *b = t->owned;
    if (g_atomic_int_dec_and_test (&b->ref_count)) {
      ovi_aligned_free (b->data);
      g_free (b);
    }
  } else {
    ovi_aligned_free (t->owned);
  }
}

static void
set_shape (OviTensor *t, OviDType dtype, int rank, const int64_t *dims)
{
  t->dtype = dtype;
  t->rank = rank;
  if (rank > 0)
    memmove (t->dims, dims, sizeof (int64_t) * rank);
}

gboolean
ovi_tensor_ensure (OviTensor *t, OviDType dtype, int rank,
    const int64_t *dims)
{
  int64_t n = ovi_shape_numel (rank, dims);
  gsize esize = dtype == OVI_DTYPE_STRING ? sizeof (char *)
      : ovi_dtype_size (dtype);
  gsize nbytes;

  if (rank < 0 || rank > OVI_MAX_RANK || n < 0)
    return FALSE;
  if (dtype == OVI_DTYPE_SEQUENCE) {
    /* A sequence: emptied (its elements freed) or created. */
    OviSequence *seq;
    if (t->owned != NULL && t->owned_type == OVI_DTYPE_SEQUENCE) {
      seq = t->owned;
      g_ptr_array_set_size (seq->items, 0);
    } else {
      free_owned (t);
      seq = g_new0 (OviSequence, 1);
      seq->items = g_ptr_array_new_with_free_func (
          (GDestroyNotify) ovi_tensor_free);
      t->owned = seq;
      t->owned_type = OVI_DTYPE_SEQUENCE;
      t->capacity = 0;
    }
    seq->elem_dtype = OVI_DTYPE_UNDEFINED;
    t->data = seq;
    set_shape (t, dtype, rank, dims);
    return TRUE;
  }
  if (esize == 0)
    return FALSE;
  if ((guint64) n > OVI_MAX_TENSOR_BYTES / esize)
    return FALSE;
  nbytes = (gsize) n * esize;
  if (dtype == OVI_DTYPE_STRING && t->owned != NULL
      && t->owned_type == OVI_DTYPE_STRING && t->capacity >= nbytes) {
    /* Same kind, large enough: drop the old strings, keep the array. */
    char **s = t->owned;
    for (gsize i = 0; i < t->capacity / sizeof (char *); i++)
      g_clear_pointer (&s[i], g_free);
  } else if (t->owned == NULL || t->capacity < nbytes
      || (t->owned_type == OVI_DTYPE_STRING) != (dtype == OVI_DTYPE_STRING)
      || t->owned_type == OVI_DTYPE_SEQUENCE
      || t->owned_type == OVI_OWNED_SHARED) {
    gsize size = MAX (nbytes, dtype == OVI_DTYPE_STRING ? sizeof (char *) : 1);
    void *p = ovi_aligned_alloc (size);
    if (p == NULL)
      return FALSE;
    free_owned (t);
    t->owned = p;
    t->capacity = size;
    t->owned_type = dtype == OVI_DTYPE_STRING ? OVI_DTYPE_STRING
        : OVI_DTYPE_UNDEFINED;
    /* String slots beyond the shape must read NULL too (freed by slot). */
    if (dtype == OVI_DTYPE_STRING)
      memset (p, 0, size);
  }
  memset (t->owned, 0, nbytes);
  t->data = t->owned;
  set_shape (t, dtype, rank, dims);
  return TRUE;
}

void
ovi_tensor_take_string (OviTensor *t, int64_t i, char *s)
{
  char **slots = t->data;
  /* Only into strings the tensor owns, within its array: a misuse is a
   * bug in a kernel, reported without writing anywhere. */
  if (t->dtype != OVI_DTYPE_STRING || t->data != t->owned
      || t->owned_type != OVI_DTYPE_STRING || i < 0
      || (gsize) i >= t->capacity / sizeof (char *)) {
    g_critical ("ovi_tensor_take_string: the tensor does not own string %"
        G_GINT64_FORMAT, i);
    g_free (s);
    return;
  }
  g_free (slots[i]);
  slots[i] = s;
}

gboolean
ovi_tensor_copy_elements (OviTensor *dst, int64_t di, const OviTensor *src,
    int64_t si, int64_t n)
{
  if (dst->dtype != src->dtype || n < 0)
    return FALSE;
  if (n == 0)
    return TRUE;
  if (src->dtype == OVI_DTYPE_STRING) {
    if (dst->data != dst->owned || dst->owned_type != OVI_DTYPE_STRING)
      return FALSE;
    for (int64_t i = 0; i < n; i++) {
      const char *s = ((char *const *) src->data)[si + i];
      ovi_tensor_take_string (dst, di + i, s ? g_strdup (s) : NULL);
    }
    return TRUE;
  }
  if (ovi_dtype_size (src->dtype) == 0)
    return FALSE;
  memcpy ((guint8 *) dst->data + di * ovi_dtype_size (dst->dtype),
      (const guint8 *) src->data + si * ovi_dtype_size (src->dtype),
      n * ovi_dtype_size (src->dtype));
  return TRUE;
}

OviTensor *
ovi_tensor_copy (const OviTensor *t)
{
  OviTensor *c = ovi_tensor_new (t->dtype, t->rank, t->dims);
  if (c == NULL || t->data == NULL)
    return c;
  if (t->dtype == OVI_DTYPE_SEQUENCE) {
    const OviSequence *src = t->data;
    OviSequence *dst = c->data;
    dst->elem_dtype = src->elem_dtype;
    for (guint i = 0; i < src->items->len; i++) {
      OviTensor *item = ovi_tensor_copy (g_ptr_array_index (src->items, i));
      if (item == NULL) {
        ovi_tensor_free (c);
        return NULL;
      }
      g_ptr_array_add (dst->items, item);
    }
  } else if (t->dtype == OVI_DTYPE_STRING) {
    ovi_tensor_copy_elements (c, 0, t, 0, ovi_tensor_numel (t));
  } else {
    memcpy (c->data, t->data, ovi_tensor_nbytes (t));
  }
  return c;
}

void
ovi_tensor_make_shared (OviTensor *t)
{
  OviSharedBytes *b;
  if (t->owned == NULL || t->data != t->owned
      || t->owned_type != OVI_DTYPE_UNDEFINED)
    return;
  b = g_new (OviSharedBytes, 1);
  b->ref_count = 1;
  b->data = t->owned;
  t->owned = b;
  t->owned_type = OVI_OWNED_SHARED;
}

OviTensor *
ovi_tensor_share (const OviTensor *t)
{
  OviTensor *c;
  if (t->owned_type != OVI_OWNED_SHARED)
    return ovi_tensor_copy (t);
  c = g_new (OviTensor, 1);
  *c = *t;
  g_atomic_int_inc (&((OviSharedBytes *) t->owned)->ref_count);
  return c;
}

void
ovi_tensor_clear (OviTensor *t)
{
  free_owned (t);
  t->owned = NULL;
  t->owned_type = OVI_DTYPE_UNDEFINED;
  t->data = NULL;
  t->capacity = 0;
}

void
ovi_tensor_free (OviTensor *t)
{
  if (t == NULL)
    return;
  ovi_tensor_clear (t);
  g_free (t);
}

/* IEEE half and bfloat16 conversions: half-float.h. */
float
ovi_f16_to_f32 (guint16 h)
{
  return ovi_half_to_float (h);
}

guint16
ovi_f32_to_f16 (float f)
{
  return ovi_float_to_half (f);
}

float
ovi_bf16_to_f32 (guint16 h)
{
  return ovi_bfloat_to_float (h);
}

guint16
ovi_f32_to_bf16 (float f)
{
  return ovi_float_to_bfloat (f);
}

double
ovi_load_f64 (OviDType dtype, const void *base, int64_t i)
{
  switch (dtype) {
    case OVI_DTYPE_FLOAT32: return ((const float *) base)[i];
    case OVI_DTYPE_FLOAT64: return ((const double *) base)[i];
    case OVI_DTYPE_FLOAT16: return ovi_f16_to_f32 (((const guint16 *) base)[i]);
    case OVI_DTYPE_BFLOAT16: return ovi_bf16_to_f32 (((const guint16 *) base)[i]);
    case OVI_DTYPE_UINT8: return ((const guint8 *) base)[i];
    case OVI_DTYPE_INT8: return ((const gint8 *) base)[i];
    case OVI_DTYPE_UINT16: return ((const guint16 *) base)[i];
    case OVI_DTYPE_INT16: return ((const gint16 *) base)[i];
    case OVI_DTYPE_INT32: return ((const gint32 *) base)[i];
    case OVI_DTYPE_UINT32: return ((const guint32 *) base)[i];
    case OVI_DTYPE_INT64: return (double) ((const gint64 *) base)[i];
    case OVI_DTYPE_UINT64: return (double) ((const guint64 *) base)[i];
    case OVI_DTYPE_BOOL: return ((const guint8 *) base)[i] != 0;
    default: return 0;
  }
}

int64_t
ovi_load_i64 (OviDType dtype, const void *base, int64_t i)
{
  switch (dtype) {
    case OVI_DTYPE_UINT8: return ((const guint8 *) base)[i];
    case OVI_DTYPE_INT8: return ((const gint8 *) base)[i];
    case OVI_DTYPE_UINT16: return ((const guint16 *) base)[i];
    case OVI_DTYPE_INT16: return ((const gint16 *) base)[i];
    case OVI_DTYPE_INT32: return ((const gint32 *) base)[i];
    case OVI_DTYPE_UINT32: return ((const guint32 *) base)[i];
    case OVI_DTYPE_INT64: return ((const gint64 *) base)[i];
    case OVI_DTYPE_UINT64: return (int64_t) ((const guint64 *) base)[i];
    case OVI_DTYPE_BOOL: return ((const guint8 *) base)[i] != 0;
    default: {
      /* Float to integer truncates toward zero, saturating, NaN -> 0. */
      double v = ovi_load_f64 (dtype, base, i);
      if (isnan (v))
        return 0;
      if (v >= 9.2233720368547758e18)
        return G_MAXINT64;
      if (v <= -9.2233720368547758e18)
        return G_MININT64;
      return (int64_t) v;
    }
  }
}

void
ovi_store_f64 (OviDType dtype, void *base, int64_t i, double v)
{
  switch (dtype) {
    case OVI_DTYPE_FLOAT32: ((float *) base)[i] = (float) v; break;
    case OVI_DTYPE_FLOAT64: ((double *) base)[i] = v; break;
    case OVI_DTYPE_FLOAT16: ((guint16 *) base)[i] = ovi_f32_to_f16 ((float) v); break;
    case OVI_DTYPE_BFLOAT16: ((guint16 *) base)[i] = ovi_f32_to_bf16 ((float) v); break;
    case OVI_DTYPE_BOOL: ((guint8 *) base)[i] = v != 0; break;
    default:
      ovi_store_i64 (dtype, base, i,
          isnan (v) ? 0 : v >= 9.2233720368547758e18 ? G_MAXINT64
          : v <= -9.2233720368547758e18 ? G_MININT64 : (int64_t) v);
      break;
  }
}

void
ovi_store_i64 (OviDType dtype, void *base, int64_t i, int64_t v)
{
  switch (dtype) {
    case OVI_DTYPE_UINT8: ((guint8 *) base)[i] = (guint8) v; break;
    case OVI_DTYPE_INT8: ((gint8 *) base)[i] = (gint8) v; break;
    case OVI_DTYPE_UINT16: ((guint16 *) base)[i] = (guint16) v; break;
    case OVI_DTYPE_INT16: ((gint16 *) base)[i] = (gint16) v; break;
    case OVI_DTYPE_INT32: ((gint32 *) base)[i] = (gint32) v; break;
    case OVI_DTYPE_UINT32: ((guint32 *) base)[i] = (guint32) v; break;
    case OVI_DTYPE_INT64: ((gint64 *) base)[i] = v; break;
    case OVI_DTYPE_UINT64: ((guint64 *) base)[i] = (guint64) v; break;
    case OVI_DTYPE_BOOL: ((guint8 *) base)[i] = v != 0; break;
    /* Rounded once, to float: through double a large int64 would round
     * twice (2^60 + 2^36 + 1 gave 2^60, not 2^60 + 2^37). */
    case OVI_DTYPE_FLOAT32: ((float *) base)[i] = (float) v; break;
    default: ovi_store_f64 (dtype, base, i, (double) v); break;
  }
}

double
ovi_tensor_get_f64 (const OviTensor *t, int64_t i)
{
  return ovi_load_f64 (t->dtype, t->data, i);
}

int64_t
ovi_tensor_get_i64 (const OviTensor *t, int64_t i)
{
  return ovi_load_i64 (t->dtype, t->data, i);
}

void
ovi_tensor_set_f64 (OviTensor *t, int64_t i, double v)
{
  ovi_store_f64 (t->dtype, t->data, i, v);
}

void
ovi_tensor_set_i64 (OviTensor *t, int64_t i, int64_t v)
{
  ovi_store_i64 (t->dtype, t->data, i, v);
}
