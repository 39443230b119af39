/* The NGRAPH_LITE input the NPU driver's compiler reads: the IR xml and
 * weights packed behind a header (layout in npu-private.h).
 *
 * Where the layout comes from: the graph extension's header says only
 * that this format is "ngraph lite IR"; the packing is the contract
 * between OpenVINO's NPU plugin and the compiler in the driver, written
 * in DriverCompilerAdapter::serializeIR
 * (openvinotoolkit/openvino, src/plugins/intel_npu/src/compiler_adapter/
 * src/driver_compiler_adapter.cpp, read at commit
 * 00378408009c046a83c4f681c1ab776a7e7b0050): the 4-byte
 * ze_graph_compiler_version_info_t the device reports, a uint32_t count
 * of 2, then uint64_t size + bytes for the xml and again for the
 * weights, copied in host order without padding. Older plugins sent no
 * version and 32-bit sizes; drivers with a graph extension read this
 * one. Every host with an Intel NPU is little-endian, so we write
 * little-endian explicitly: identical there, and deterministic for the
 * tests everywhere. */
#include <string.h>

#include "npu-private.h"

static guint8 *
put_le (guint8 *p, guint64 v, int bytes)
{
  for (int i = 0; i < bytes; i++)
    p[i] = (guint8) (v >> (8 * i));
  return p + bytes;
}

GBytes *
ovi_npu_blob_pack (guint16 compiler_major, guint16 compiler_minor,
    const void *xml, gsize xml_size, const void *bin, gsize bin_size)
{
  gsize total = OVI_NPU_BLOB_HEADER_SIZE + 8 + xml_size + 8 + bin_size;
  guint8 *blob = g_malloc (total), *p = blob;

  p = put_le (p, compiler_major, 2);
  p = put_le (p, compiler_minor, 2);
  p = put_le (p, OVI_NPU_BLOB_PARTS, 4);
  p = put_le (p, xml_size, 8);
  if (xml_size)
    memcpy (p, xml, xml_size);
  p += xml_size;
  p = put_le (p, bin_size, 8);
  if (bin_size)
    memcpy (p, bin, bin_size);
  p += bin_size;
  g_assert ((gsize) (p - blob) == total);
  return g_bytes_new_take (blob, total);
}
