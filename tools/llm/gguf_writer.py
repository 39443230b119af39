"""Writes GGUF files (version 3, little-endian) for tests and benchmarks.

The layout follows ggml's docs/gguf.md: header, key/values, tensor infos,
padding to `general.alignment`, then each tensor's bytes at an aligned
offset. Tensor payloads are given already encoded (see ggml_quants.py for
the quantized types), with their logical shape in ggml order: ne[0] is the
innermost (row) dimension.
"""

import struct

UINT8, INT8, UINT16, INT16, UINT32, INT32, FLOAT32, BOOL, STRING, ARRAY, \
    UINT64, INT64, FLOAT64 = range(13)

GGML_TYPES = {'F32': 0, 'F16': 1, 'Q4_0': 2, 'Q4_1': 3, 'Q5_0': 6,
              'Q5_1': 7, 'Q8_0': 8, 'Q8_1': 9, 'Q2_K': 10, 'Q3_K': 11,
              'Q4_K': 12, 'Q5_K': 13, 'Q6_K': 14, 'Q8_K': 15, 'BF16': 30}

_SCALAR = {UINT8: '<B', INT8: '<b', UINT16: '<H', INT16: '<h',
           UINT32: '<I', INT32: '<i', FLOAT32: '<f', BOOL: '<?',
           UINT64: '<Q', INT64: '<q', FLOAT64: '<d'}


def _string(s):
    b = s.encode('utf-8') if isinstance(s, str) else bytes(s)
    return struct.pack('<Q', len(b)) + b


def _value(vtype, v):
    if vtype == STRING:
        return _string(v)
    if vtype == ARRAY:
        etype, items = v
        out = struct.pack('<IQ', etype, len(items))
        if etype in _SCALAR:
            fmt = _SCALAR[etype]
            return out + struct.pack('<%d%s' % (len(items), fmt[1]), *items)
        return out + b''.join(_value(etype, x) for x in items)
    return struct.pack(_SCALAR[vtype], v)


class GgufWriter:
    def __init__(self, alignment=32):
        self.kvs = []
        self.tensors = []
        self.alignment = alignment
        if alignment != 32:
            self.add('general.alignment', UINT32, alignment)

    def add(self, key, vtype, value):
        """A key/value; arrays are given as (element_type, list)."""
        self.kvs.append((key, vtype, value))

    def add_string(self, key, value):
        self.add(key, STRING, value)

    def add_u32(self, key, value):
        self.add(key, UINT32, value)

    def add_f32(self, key, value):
        self.add(key, FLOAT32, value)

    def add_bool(self, key, value):
        self.add(key, BOOL, value)

    def add_array(self, key, etype, items):
        self.add(key, ARRAY, (etype, list(items)))

    def add_tensor(self, name, ggml_type, ne, payload):
        """ne in ggml order (ne[0] innermost); payload: encoded bytes."""
        if isinstance(ggml_type, str):
            ggml_type = GGML_TYPES[ggml_type]
        self.tensors.append((name, ggml_type, list(ne), bytes(payload)))

    def to_bytes(self):
        out = bytearray(b'GGUF')
        out += struct.pack('<IQQ', 3, len(self.tensors), len(self.kvs))
        for key, vtype, value in self.kvs:
            out += _string(key) + struct.pack('<I', vtype) + _value(vtype, value)
        offset = 0
        offsets = []
        for name, ggml_type, ne, payload in self.tensors:
            offsets.append(offset)
            out += _string(name) + struct.pack('<I', len(ne))
            out += struct.pack('<%dQ' % len(ne), *ne)
            out += struct.pack('<IQ', ggml_type, offset)
            offset += len(payload)
            offset += -offset % self.alignment
        out += b'\0' * (-len(out) % self.alignment)
        data_start = len(out)
        for (name, ggml_type, ne, payload), at in zip(self.tensors, offsets):
            assert len(out) - data_start == at
            out += payload
            out += b'\0' * (-len(payload) % self.alignment)
        return bytes(out)

    def write(self, path):
        with open(path, 'wb') as f:
            f.write(self.to_bytes())
