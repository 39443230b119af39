"""NumPy quantizers and dequantizers for the GGUF tensor types the LLM
runtime computes with: F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K.

Byte layouts are ggml's (ggml-common.h; see inference/llm/quants.h for the
element formulas). Build-time and test-time use only (test models, test
data); the runtime never runs Python.

quantize(type, x) takes a float array whose last axis is a whole number of
blocks and returns the bytes of its rows, one after the other;
dequantize(type, data, shape) turns them back into float32, computing
exactly what the C dequantizer computes (float32 products, same order).

Quantizer choices (any valid bytes decode the same way, so these only
decide how close the stored weights are to the inputs):
- Q8_0, Q4_0: ggml's reference quantizers (d = max|x| / 127 with q =
  round half away from zero; Q4_0 d = -max / 8 with max the element of
  largest magnitude, q = min(15, trunc(x / d + 8.5))).
- Q4_K: per 32-element sub-block, min m = -min(0, min x) and scale
  s = (max x + m) / 15; d = max s / 63 and dmin = max m / 63 (fp16);
  6-bit sc = round(s / d), m6 = round(m / dmin); q = clamp(round((x +
  dmin * m6) / (d * sc)), 0, 15). Simpler than ggml's iterative search
  (make_qkx2_quants), somewhat less exact.
- Q6_K: per 16-element sub-block s = max|x| / 31; d = max s / 127 (fp16);
  int8 sc = round(s / d); q = clamp(round(x / (d * sc)), -32, 31) + 32.
  ggml's make_qx_quants searches the scale; this one does not.
"""

import numpy as np

QK = 32
QK_K = 256

TYPES = {
    # name: (ggml type number, elements per block, bytes per block)
    'F32': (0, 1, 4),
    'F16': (1, 1, 2),
    'Q4_0': (2, QK, 18),
    'Q8_0': (8, QK, 34),
    'Q4_K': (12, QK_K, 144),
    'Q6_K': (14, QK_K, 210),
    'BF16': (30, 1, 2),
}


def type_id(name):
    return TYPES[name][0]


def row_bytes(name, n):
    _, be, bb = TYPES[name]
    if n % be:
        raise ValueError('%s rows need a multiple of %d elements' % (name, be))
    return n // be * bb


def _round_away(v):
    """C's roundf (half away from zero) of float32 values, exactly."""
    v = np.asarray(v, dtype=np.float64)
    return np.sign(v) * np.floor(np.abs(v) + 0.5)


def _f16(v):
    return np.asarray(v, dtype=np.float32).astype(np.float16)


def _f16_bytes(v):
    return _f16(v).view(np.uint8).reshape(v.shape + (2,))


def _f16_from(b):
    return np.ascontiguousarray(b).view(np.float16)[..., 0].astype(np.float32)


def bf16_round(x):
    """float32 -> bfloat16 bit patterns (uint16), ties to even; NaN stays
    NaN."""
    bits = np.asarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    nan = (bits & 0x7fffffff) > 0x7f800000
    r = (bits + 0x7fff + ((bits >> 16) & 1)) >> 16
    r = np.where(nan, (bits >> 16) | 0x40, r)
    return r.astype(np.uint16)


def _blocks(x, size):
    x = np.asarray(x, dtype=np.float32)
    if x.shape[-1] % size:
        raise ValueError('last axis %d is not a multiple of %d'
                         % (x.shape[-1], size))
    return x.reshape(-1, size)


def _quantize_q8_0(x):
    xb = _blocks(x, QK)
    amax = np.abs(xb).max(axis=1)
    d = (amax / np.float32(127)).astype(np.float32)
    with np.errstate(divide='ignore'):
        inv = np.where(d != 0, np.float32(1) / d, np.float32(0))
    q = _round_away(xb * inv.astype(np.float32)[:, None]).astype(np.int8)
    out = np.zeros((xb.shape[0], 34), dtype=np.uint8)
    out[:, 0:2] = _f16_bytes(d)
    out[:, 2:] = q.view(np.uint8)
    return out


def _quantize_q4_0(x):
    xb = _blocks(x, QK)
    idx = np.argmax(np.abs(xb), axis=1)   # first of equal magnitudes
    mx = xb[np.arange(xb.shape[0]), idx]
    d = (mx / np.float32(-8)).astype(np.float32)
    with np.errstate(divide='ignore'):
        inv = np.where(d != 0, np.float32(1) / d, np.float32(0))
    v = (xb * inv.astype(np.float32)[:, None] + np.float32(8.5))
    q = np.minimum(15, np.trunc(v.astype(np.float64))).astype(np.uint8)
    out = np.zeros((xb.shape[0], 18), dtype=np.uint8)
    out[:, 0:2] = _f16_bytes(d)
    out[:, 2:] = q[:, :16] | (q[:, 16:] << 4)
    return out


def _pack_q4k_scales(sc, m):
    """sc, m: (n, 8) 6-bit values -> (n, 12) bytes in ggml's packing."""
    s = np.zeros((sc.shape[0], 12), dtype=np.uint8)
    for j in range(4):
        s[:, j] = (sc[:, j] & 63) | ((sc[:, j + 4] >> 4) << 6)
        s[:, j + 4] = (m[:, j] & 63) | ((m[:, j + 4] >> 4) << 6)
        s[:, j + 8] = (sc[:, j + 4] & 15) | ((m[:, j + 4] & 15) << 4)
    return s


def _unpack_q4k_scales(s):
    sc = np.zeros((s.shape[0], 8), dtype=np.uint8)
    m = np.zeros((s.shape[0], 8), dtype=np.uint8)
    for j in range(8):
        if j < 4:
            sc[:, j] = s[:, j] & 63
            m[:, j] = s[:, j + 4] & 63
        else:
            sc[:, j] = (s[:, j + 4] & 15) | ((s[:, j - 4] >> 6) << 4)
            m[:, j] = (s[:, j + 4] >> 4) | ((s[:, j] >> 6) << 4)
    return sc, m


def _quantize_q4_k(x):
    xb = _blocks(x, QK_K)
    n = xb.shape[0]
    sub = xb.reshape(n, 8, 32)
    mn = np.minimum(sub.min(axis=2), 0).astype(np.float32)
    scale = ((sub.max(axis=2) - mn) / np.float32(15)).astype(np.float32)
    mins = -mn
    d16 = _f16(scale.max(axis=1) / np.float32(63)).astype(np.float32)
    dmin16 = _f16(mins.max(axis=1) / np.float32(63)).astype(np.float32)
    with np.errstate(divide='ignore', invalid='ignore'):
        sc = np.where(d16[:, None] > 0, np.rint(scale / d16[:, None]), 0)
        m6 = np.where(dmin16[:, None] > 0, np.rint(mins / dmin16[:, None]), 0)
    sc = np.clip(sc, 0, 63).astype(np.uint8)
    m6 = np.clip(m6, 0, 63).astype(np.uint8)
    eff_s = (d16[:, None] * sc.astype(np.float32)).astype(np.float32)
    eff_m = (dmin16[:, None] * m6.astype(np.float32)).astype(np.float32)
    with np.errstate(divide='ignore', invalid='ignore'):
        q = np.where(eff_s[:, :, None] > 0,
                     np.rint((sub + eff_m[:, :, None]) / eff_s[:, :, None]), 0)
    q = np.clip(q, 0, 15).astype(np.uint8)
    out = np.zeros((n, 144), dtype=np.uint8)
    out[:, 0:2] = _f16_bytes(d16)
    out[:, 2:4] = _f16_bytes(dmin16)
    out[:, 4:16] = _pack_q4k_scales(sc, m6)
    # sub-blocks 2p and 2p + 1 share bytes 32p..32p+31: low, high nibble
    for p in range(4):
        out[:, 16 + 32 * p:16 + 32 * (p + 1)] = q[:, 2 * p] | (q[:, 2 * p + 1] << 4)
    return out


def _quantize_q6_k(x):
    xb = _blocks(x, QK_K)
    n = xb.shape[0]
    sub = xb.reshape(n, 16, 16)
    s = (np.abs(sub).max(axis=2) / np.float32(31)).astype(np.float32)
    d16 = _f16(s.max(axis=1) / np.float32(127)).astype(np.float32)
    with np.errstate(divide='ignore', invalid='ignore'):
        sc = np.where(d16[:, None] > 0, np.rint(s / d16[:, None]), 0)
    sc = np.clip(sc, 0, 127).astype(np.int8)
    eff = (d16[:, None] * sc.astype(np.float32)).astype(np.float32)
    with np.errstate(divide='ignore', invalid='ignore'):
        q = np.where(eff[:, :, None] > 0, np.rint(sub / eff[:, :, None]), 0)
    q = (np.clip(q, -32, 31) + 32).astype(np.uint8).reshape(n, 256)
    out = np.zeros((n, 210), dtype=np.uint8)
    ql = np.zeros((n, 128), dtype=np.uint8)
    qh = np.zeros((n, 64), dtype=np.uint8)
    for h in range(2):
        e = q[:, 128 * h:128 * (h + 1)].reshape(n, 4, 32)
        ql[:, 64 * h:64 * h + 32] = (e[:, 0] & 15) | ((e[:, 2] & 15) << 4)
        ql[:, 64 * h + 32:64 * h + 64] = (e[:, 1] & 15) | ((e[:, 3] & 15) << 4)
        qh[:, 32 * h:32 * h + 32] = ((e[:, 0] >> 4) | ((e[:, 1] >> 4) << 2)
                                     | ((e[:, 2] >> 4) << 4)
                                     | ((e[:, 3] >> 4) << 6))
    out[:, 0:128] = ql
    out[:, 128:192] = qh
    out[:, 192:208] = sc.view(np.uint8)
    out[:, 208:210] = _f16_bytes(d16)
    return out


def quantize(name, x):
    """Rows of x (last axis = elements of a row) -> bytes."""
    x = np.ascontiguousarray(x, dtype=np.float32)
    if name == 'F32':
        return x.tobytes()
    if name == 'F16':
        return x.astype(np.float16).tobytes()
    if name == 'BF16':
        return bf16_round(x).tobytes()
    fn = {'Q8_0': _quantize_q8_0, 'Q4_0': _quantize_q4_0,
          'Q4_K': _quantize_q4_k, 'Q6_K': _quantize_q6_k}[name]
    return fn(x).tobytes()


def dequantize(name, data, shape):
    """Bytes of rows of `shape` (last axis = elements of a row) -> float32
    array of that shape."""
    shape = tuple(shape)
    count = int(np.prod(shape))
    raw = np.frombuffer(data, dtype=np.uint8)
    if name == 'F32':
        return raw.view(np.float32)[:count].reshape(shape).copy()
    if name == 'F16':
        return raw.view(np.float16)[:count].astype(np.float32).reshape(shape)
    if name == 'BF16':
        bits = raw.view(np.uint16)[:count].astype(np.uint32) << 16
        return bits.view(np.float32).reshape(shape)
    _, be, bb = TYPES[name]
    nb = count // be
    b = raw[:nb * bb].reshape(nb, bb)
    if name == 'Q8_0':
        d = _f16_from(b[:, 0:2].reshape(nb, 1, 2))
        q = b[:, 2:].view(np.int8).astype(np.float32)
        y = d * q
    elif name == 'Q4_0':
        d = _f16_from(b[:, 0:2].reshape(nb, 1, 2))
        qs = b[:, 2:]
        q = np.concatenate([qs & 15, qs >> 4], axis=1).astype(np.int32) - 8
        y = d * q.astype(np.float32)
    elif name == 'Q4_K':
        d = _f16_from(b[:, 0:2].reshape(nb, 1, 2))
        dmin = _f16_from(b[:, 2:4].reshape(nb, 1, 2))
        sc, m = _unpack_q4k_scales(b[:, 4:16])
        scale = (d * sc.astype(np.float32)).astype(np.float32)
        mins = (dmin * m.astype(np.float32)).astype(np.float32)
        qs = b[:, 16:].reshape(nb, 4, 32)
        q = np.stack([qs & 15, qs >> 4], axis=2).reshape(nb, 8, 32)
        y = scale[:, :, None] * q.astype(np.float32) - mins[:, :, None]
    elif name == 'Q6_K':
        ql = b[:, 0:128]
        qh = b[:, 128:192]
        sc = b[:, 192:208].view(np.int8).astype(np.float32)
        d = _f16_from(b[:, 208:210].reshape(nb, 1, 2))
        q = np.zeros((nb, 256), dtype=np.int32)
        for h in range(2):
            lo0 = ql[:, 64 * h:64 * h + 32]
            lo1 = ql[:, 64 * h + 32:64 * h + 64]
            hb = qh[:, 32 * h:32 * h + 32]
            parts = [lo0 & 15, lo1 & 15, lo0 >> 4, lo1 >> 4]
            for quarter in range(4):
                q[:, 128 * h + 32 * quarter:128 * h + 32 * (quarter + 1)] = (
                    parts[quarter] | (((hb >> (2 * quarter)) & 3) << 4))
        scale = (d * sc).astype(np.float32)        # (nb, 16)
        y = (np.repeat(scale, 16, axis=1)
             * (q - 32).astype(np.float32))
    else:
        raise ValueError('unsupported type ' + name)
    return y.astype(np.float32).reshape(shape)
