/* A minimal protobuf wire-format reader over a bounded buffer.
 * Every read checks bounds; nothing here allocates. */
#ifndef OVI_PROTOBUF_H
#define OVI_PROTOBUF_H

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  OVI_PB_VARINT = 0,
  OVI_PB_FIXED64 = 1,
  OVI_PB_BYTES = 2,
  OVI_PB_FIXED32 = 5,
} OviPbWireType;

typedef struct {
  const guint8 *p;
  const guint8 *end;
} OviPbReader;

typedef struct {
  guint32 number;
  OviPbWireType type;
  guint64 varint;          /* VARINT, FIXED64, FIXED32 */
  const guint8 *bytes;     /* BYTES */
  gsize size;              /* BYTES */
} OviPbField;

static inline void
ovi_pb_reader_init (OviPbReader *r, const guint8 *data, gsize size)
{
  r->p = data;
  r->end = data + size;
}

static inline gboolean
ovi_pb_at_end (const OviPbReader *r)
{
  return r->p >= r->end;
}

/* Reads the next field. FALSE on malformed or truncated input. */
gboolean ovi_pb_next (OviPbReader *r, OviPbField *field);
gboolean ovi_pb_read_varint (OviPbReader *r, guint64 *value);

/* Repeated scalar fields arrive packed (one BYTES field) or unpacked (one
 * field per element); these count and decode both forms. */
gboolean ovi_pb_packed_count_varints (const guint8 *p, gsize size,
    gsize *count);

static inline float
ovi_pb_field_float (const OviPbField *f)
{
  guint32 bits = (guint32) f->varint;
  float v;
  memcpy (&v, &bits, 4);
  return v;
}

G_END_DECLS

#endif
