/* Protobuf wire-format reading: varints, fixed fields, length-delimited
 * bytes. Input is untrusted: every length is checked against the end. */
#include <string.h>

#include "protobuf.h"

gboolean
ovi_pb_read_varint (OviPbReader *r, guint64 *value)
{
  guint64 v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    guint8 b;
    if (r->p >= r->end)
      return FALSE;
    b = *r->p++;
    v |= (guint64) (b & 0x7f) << shift;
    if (!(b & 0x80)) {
      *value = v;
      return TRUE;
    }
  }
  return FALSE;                 /* more than 10 bytes */
}

gboolean
ovi_pb_next (OviPbReader *r, OviPbField *f)
{
  guint64 key, len;

  if (!ovi_pb_read_varint (r, &key))
    return FALSE;
  f->number = (guint32) (key >> 3);
  f->type = key & 7;
  if (f->number == 0 || key >> 3 > G_MAXUINT32)
    return FALSE;
  switch (f->type) {
    case OVI_PB_VARINT:
      return ovi_pb_read_varint (r, &f->varint);
    case OVI_PB_FIXED64:
      if (r->end - r->p < 8)
        return FALSE;
      memcpy (&f->varint, r->p, 8);
      r->p += 8;
      return TRUE;
    case OVI_PB_FIXED32: {
      guint32 v;
      if (r->end - r->p < 4)
        return FALSE;
      memcpy (&v, r->p, 4);
      f->varint = v;
      r->p += 4;
      return TRUE;
    }
    case OVI_PB_BYTES:
      if (!ovi_pb_read_varint (r, &len))
        return FALSE;
      if (len > (guint64) (r->end - r->p))
        return FALSE;
      f->bytes = r->p;
      f->size = (gsize) len;
      r->p += len;
      return TRUE;
    default:
      /* Groups (3, 4) are obsolete and never used by ONNX. */
      return FALSE;
  }
}

gboolean
ovi_pb_packed_count_varints (const guint8 *p, gsize size, gsize *count)
{
  gsize n = 0;
  for (gsize i = 0; i < size; i++)
    if (!(p[i] & 0x80))
      n++;
  if (size > 0 && (p[size - 1] & 0x80))
    return FALSE;
  *count = n;
  return TRUE;
}
