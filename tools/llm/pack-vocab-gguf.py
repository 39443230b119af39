#!/usr/bin/env python3
"""Packs a vocabulary description written by export-vocab.js into a
vocab-only GGUF (no tensors), with the tokenizer.ggml.* keys of ggml's
docs/gguf.md.

Usage: pack-vocab-gguf.py VOCAB.json OUT.gguf"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gguf_writer as gw  # noqa: E402


def pack(desc):
    w = gw.GgufWriter()
    w.add_string('general.architecture', 'llama')
    w.add_string('tokenizer.ggml.model', desc['model'])
    if 'pre' in desc:
        w.add_string('tokenizer.ggml.pre', desc['pre'])
    w.add_array('tokenizer.ggml.tokens', gw.STRING, desc['tokens'])
    if 'scores' in desc:
        w.add_array('tokenizer.ggml.scores', gw.FLOAT32, desc['scores'])
    w.add_array('tokenizer.ggml.token_type', gw.INT32, desc['types'])
    if 'merges' in desc:
        w.add_array('tokenizer.ggml.merges', gw.STRING, desc['merges'])
    for key in ('bos', 'eos', 'unk', 'pad'):
        if key in desc:
            name = 'unknown' if key == 'unk' else \
                'padding' if key == 'pad' else key
            w.add_u32('tokenizer.ggml.%s_token_id' % name, desc[key])
    for key in ('add_bos', 'add_eos', 'add_space_prefix'):
        if key in desc:
            flag = key if key == 'add_space_prefix' else key + '_token'
            w.add_bool('tokenizer.ggml.' + flag, desc[key])
    return w


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    with open(sys.argv[1], encoding='utf-8') as f:
        desc = json.load(f)
    pack(desc).write(sys.argv[2])


if __name__ == '__main__':
    main()
