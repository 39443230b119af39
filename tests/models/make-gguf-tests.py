#!/usr/bin/env python3
"""GGUF files for the reader's unit test: one valid file using every
value type, and hostile variants, each breaking one rule the reader must
check. Usage: make-gguf-tests.py OUTDIR"""

import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..',
                                'tools', 'llm'))
import gguf_writer as gw  # noqa: E402


def valid():
    w = gw.GgufWriter()
    w.add_string('general.architecture', 'llama')
    w.add_string('general.name', 'tiny «test» 模型')
    w.add('test.u8', gw.UINT8, 200)
    w.add('test.i8', gw.INT8, -100)
    w.add('test.u16', gw.UINT16, 60000)
    w.add('test.i16', gw.INT16, -30000)
    w.add('test.u32', gw.UINT32, 4000000000)
    w.add('test.i32', gw.INT32, -2000000000)
    w.add('test.f32', gw.FLOAT32, 0.5)
    w.add('test.bool', gw.BOOL, True)
    w.add('test.u64', gw.UINT64, 2**63 + 5)
    w.add('test.i64', gw.INT64, -2**40)
    w.add('test.f64', gw.FLOAT64, 1e300)
    w.add_array('test.strings', gw.STRING, ['a', '', 'ü€😀', 'x' * 300])
    w.add_array('test.floats', gw.FLOAT32, [1.5, -2.25, 3.0])
    w.add_array('test.ints', gw.INT32, [-1, 0, 7])
    w.add('test.nested', gw.ARRAY,
          (gw.ARRAY, [(gw.UINT8, [1, 2]), (gw.STRING, ['z'])]))
    # Tensors: an F32 matrix 3x2 (ne = [3, 2]) and a Q8_0 row of 64.
    w.add_tensor('weight', 'F32', [3, 2],
                 struct.pack('<6f', 0, 1, 2, 3, 4, 5))
    q8 = b''
    for block in range(2):
        q8 += struct.pack('<e', 0.5 * (block + 1))
        q8 += struct.pack('<32b', *range(-16, 16))
    w.add_tensor('blk.0.q', 'Q8_0', [64], q8)
    return w.to_bytes()


def header(version=3, n_tensors=0, n_kvs=0):
    return b'GGUF' + struct.pack('<IQQ', version, n_tensors, n_kvs)


def kv(key, vtype, payload):
    return gw._string(key) + struct.pack('<I', vtype) + payload


def tensor_info(name, ne, ggml_type, offset):
    return (gw._string(name) + struct.pack('<I', len(ne))
            + struct.pack('<%dQ' % len(ne), *ne)
            + struct.pack('<IQ', ggml_type, offset))


def pad(b, n=32):
    return b + b'\0' * (-len(b) % n)


def hostile():
    f = {}
    f['bad-magic'] = b'GGUG' + valid()[4:]
    f['version-1'] = header(version=1)
    f['big-endian'] = b'GGUF' + struct.pack('>I', 3) + b'\0' * 16
    f['huge-kv-count'] = header(n_kvs=2**62)
    f['huge-tensor-count'] = header(n_tensors=2**60)
    f['huge-string'] = header(n_kvs=1) + gw._string('k')[:8] + b'k' \
        + struct.pack('<IQ', gw.STRING, 2**63) + b'abc'
    f['huge-array'] = header(n_kvs=1) + kv(
        'a', gw.ARRAY, struct.pack('<IQ', gw.UINT32, 2**61) + b'\0' * 16)
    f['huge-string-array'] = header(n_kvs=1) + kv(
        'a', gw.ARRAY, struct.pack('<IQ', gw.STRING, 2**40) + b'\0' * 64)
    f['bad-value-type'] = header(n_kvs=1) + kv('a', 99, b'\0' * 8)
    f['bad-array-type'] = header(n_kvs=1) + kv(
        'a', gw.ARRAY, struct.pack('<IQ', 77, 1) + b'\0' * 8)
    f['duplicate-key'] = header(n_kvs=2) + kv(
        'a', gw.UINT8, b'\1') + kv('a', gw.UINT8, b'\2')
    f['empty-key'] = header(n_kvs=1) + kv('', gw.UINT8, b'\1')
    f['bool-2'] = header(n_kvs=1) + kv('a', gw.BOOL, b'\2')
    deep = struct.pack('<IQ', gw.UINT8, 0)
    for _ in range(10):
        deep = struct.pack('<IQ', gw.ARRAY, 1) + deep
    f['deep-nesting'] = header(n_kvs=1) + kv('a', gw.ARRAY, deep)
    f['bad-alignment'] = header(n_kvs=1) + kv(
        'general.alignment', gw.UINT32, struct.pack('<I', 24))
    f['alignment-type'] = header(n_kvs=1) + kv(
        'general.alignment', gw.UINT64, struct.pack('<Q', 32))
    one = struct.pack('<f', 1.0) * 4
    f['rank-5'] = pad(header(n_tensors=1)
                      + tensor_info('t', [1, 1, 1, 1, 4], 0, 0)) + one
    f['zero-dim'] = pad(header(n_tensors=1)
                        + tensor_info('t', [4, 0], 0, 0)) + one
    f['overflow-dims'] = pad(header(n_tensors=1) + tensor_info(
        't', [2**32, 2**32, 2**32, 2**32], 0, 0)) + one
    f['unknown-tensor-type'] = pad(header(n_tensors=1)
                                   + tensor_info('t', [4], 123, 0)) + one
    f['partial-block'] = pad(header(n_tensors=1)
                             + tensor_info('t', [33], 8, 0)) + b'\0' * 64
    f['misaligned-offset'] = pad(header(n_tensors=1)
                                 + tensor_info('t', [4], 0, 4)) + one * 2
    f['offset-past-end'] = pad(header(n_tensors=1)
                               + tensor_info('t', [4], 0, 2**63)) + one
    f['truncated-data'] = pad(header(n_tensors=1)
                              + tensor_info('t', [8], 0, 0)) + one
    f['duplicate-tensor'] = pad(header(n_tensors=2)
                                + tensor_info('t', [4], 0, 0)
                                + tensor_info('t', [4], 0, 32)) + one * 4
    f['empty-file'] = b''
    f['header-only-magic'] = b'GGUF'
    return f


def main():
    out = sys.argv[1]
    with open(os.path.join(out, 'valid.gguf'), 'wb') as fh:
        fh.write(valid())
    for name, data in hostile().items():
        with open(os.path.join(out, 'hostile-%s.gguf' % name), 'wb') as fh:
            fh.write(data)


if __name__ == '__main__':
    main()
