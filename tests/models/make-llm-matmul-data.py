#!/usr/bin/env python3
"""Test data for tests/unit/test-llm-matmul.c: for each weight type, a
small weight matrix quantized with tools/llm/ggml_quants.py, its numpy
dequantization (the reference the C dequantizer must match), and token
activations, plus the activations quantized by numpy's Q8_0 (to check the C
Q8_0 quantizer). Random but seeded.

File llm-matmul-TYPE.bin, little-endian:
  char magic[8] = "OVIMMT1\\0"; uint32 type, n_out, n_in, n_tokens, row_bytes;
  uint8 w[n_out * row_bytes]; float32 w_deq[n_out][n_in];
  float32 x[n_tokens][n_in]; uint8 x_q8_0[n_tokens * n_in / 32 * 34]
  (the last only when n_in is a multiple of 32).

Shapes: 37 rows (not a multiple of the 8-row tile), 768 columns for the
quantized types (a panel chunk of 512 and a partial one, 3 k-quant
super-blocks), 612 for the float types (a chunk of 512 and a tail that is
not a multiple of 8).
"""
import os
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '..', '..', 'tools', 'llm'))
import ggml_quants as gq  # noqa: E402

N_OUT = 37
N_TOKENS = 33


def weights(rng, n_out, n_in):
    w = rng.standard_normal((n_out, n_in)).astype(np.float32)
    # rows of different magnitudes, a few outliers, an all-zero stretch
    # (zero scales), a row of one constant, an all-negative stretch
    w *= np.exp(rng.uniform(-2, 1, size=(n_out, 1))).astype(np.float32)
    w[3, 5] *= 20
    w[0, :64] = 0
    w[1, :] = 0.25
    w[2, 32:96] = -np.abs(w[2, 32:96])
    return w


def tokens(rng, n_in):
    x = rng.standard_normal((N_TOKENS, n_in)).astype(np.float32)
    x[1] = 0                     # all-zero token: zero activation scales
    x[2] *= 1000                 # large values
    x[4, ::7] *= 30              # outliers inside blocks
    return x


def main():
    out = sys.argv[1]
    for name in ['F32', 'F16', 'BF16', 'Q8_0', 'Q4_0', 'Q4_K', 'Q6_K']:
        rng = np.random.default_rng(1234 + gq.type_id(name))
        n_in = 612 if name in ('F32', 'F16', 'BF16') else 768
        w = weights(rng, N_OUT, n_in)
        data = gq.quantize(name, w)
        rb = gq.row_bytes(name, n_in)
        assert len(data) == N_OUT * rb
        deq = gq.dequantize(name, data, w.shape)
        # sanity of the numpy quantizers themselves: the stored matrix is
        # close to the input (relative RMS error by type)
        rel = np.sqrt(np.mean((deq - w) ** 2) / np.mean(w ** 2))
        limit = {'F32': 0, 'F16': 1e-3, 'BF16': 5e-3, 'Q8_0': 0.01,
                 'Q4_0': 0.15, 'Q4_K': 0.12, 'Q6_K': 0.04}[name]
        assert rel <= limit, (name, rel)
        x = tokens(rng, n_in)
        with open(os.path.join(out, 'llm-matmul-%s.bin' % name), 'wb') as f:
            f.write(b'OVIMMT1\0')
            f.write(struct.pack('<5I', gq.type_id(name), N_OUT, n_in,
                                N_TOKENS, rb))
            f.write(data)
            f.write(deq.astype('<f4').tobytes())
            f.write(x.astype('<f4').tobytes())
            if n_in % 32 == 0:
                f.write(gq.quantize('Q8_0', x))


if __name__ == '__main__':
    main()
