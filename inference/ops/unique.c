/* See unique.h. */
#include <math.h>

#include "unique.h"

int
ovi_unique_cmp_items (const OviUniqueCmp *c, int64_t a, int64_t b)
{
  for (int64_t o = 0; o < c->outer; o++) {
    for (int64_t i = 0; i < c->inner; i++) {
      int64_t pa = (o * c->n + a) * c->inner + i;
      int64_t pb = (o * c->n + b) * c->inner + i;
      if (c->is_float) {
        double x = ovi_load_f64 (c->dt, c->data, pa);
        double y = ovi_load_f64 (c->dt, c->data, pb);
        gboolean xn = isnan (x), yn = isnan (y);
        if (xn || yn) {
          if (xn != yn)
            return xn ? 1 : -1;
        } else if (x != y) {
          return x < y ? -1 : 1;
        }
      } else {
        int64_t x = ovi_load_i64 (c->dt, c->data, pa);
        int64_t y = ovi_load_i64 (c->dt, c->data, pb);
        if (x != y) {
          if (c->u)
            return (guint64) x < (guint64) y ? -1 : 1;
          return x < y ? -1 : 1;
        }
      }
    }
  }
  return 0;
}

static gint
unique_qsort_cmp (gconstpointer a, gconstpointer b, gpointer user)
{
  int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
  int r = ovi_unique_cmp_items (user, x, y);
  return r ? r : x < y ? -1 : x > y ? 1 : 0;
}

int64_t
ovi_unique_items (const OviTensor *x, int axis)
{
  return axis < 0 ? ovi_tensor_numel (x) : x->dims[axis];
}

void
ovi_unique_sort (const OviTensor *x, int axis, OviUniqueCmp *c,
    int64_t *order)
{
  c->dt = x->dtype;
  c->data = x->data;
  c->is_float = ovi_dtype_is_float (x->dtype);
  c->u = ovi_dtype_is_unsigned_int (x->dtype);
  c->n = ovi_unique_items (x, axis);
  if (axis < 0) {
    c->outer = c->inner = 1;
  } else {
    c->outer = ovi_shape_numel (axis, x->dims);
    c->inner = ovi_shape_numel (x->rank - axis - 1, x->dims + axis + 1);
  }
  for (int64_t i = 0; i < c->n; i++)
    order[i] = i;
  g_qsort_with_data (order, c->n, sizeof (int64_t), unique_qsort_cmp, c);
}
