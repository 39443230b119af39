#!/usr/bin/env python3
"""Small vocab-only GGUF files for the tokenizer's unit test: SentencePiece
and byte-level BPE vocabularies built so that the expected ids of each edge
case can be worked out by hand (see tests/unit/test-llm-tokenizer.c), and
hostile variants, each breaking one rule of the tokenizer.ggml.* metadata.

Usage: make-tokenizer-tests.py OUTDIR"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..',
                                'tools', 'llm'))
import gguf_writer as gw  # noqa: E402

NORMAL, UNKNOWN, CONTROL, USER, UNUSED, BYTE = 1, 2, 3, 4, 5, 6


def byte_char(b):
    """GPT-2's printable character for a byte."""
    keep = list(range(0x21, 0x7f)) + list(range(0xa1, 0xad)) + \
        list(range(0xae, 0x100))
    if b in keep:
        return chr(b)
    return chr(256 + sorted(set(range(256)) - set(keep)).index(b))


def spm_vocab(byte_tokens=True, unk=True):
    """ids: 0 <unk>, 1 <s>, 2 </s>, 3..258 <0x00>..<0xFF> (when
    byte_tokens), then the pieces below in order."""
    tokens, scores, types = [], [], []

    def add(text, score=0.0, ttype=NORMAL):
        tokens.append(text)
        scores.append(score)
        types.append(ttype)

    add('<unk>' if unk else '<unused>', 0, UNKNOWN if unk else UNUSED)
    add('<s>', 0, CONTROL)
    add('</s>', 0, CONTROL)
    if byte_tokens:
        for b in range(256):
            add('<0x%02X>' % b, 0, BYTE)
    # The merge order is decided by these scores (higher first).
    for text, score in [('\u2581', -10), ('a', -10), ('b', -10), ('c', -10),
                        ('é', -10), ('ab', -3), ('bc', -1), ('abc', -5),
                        ('\u2581a', -2), ('aa', -4), ('\u2581\u2581', -6)]:
        add(text, score)
    add('<|user|>', 0, USER)
    add('<|ctl|>', 0, CONTROL)
    return tokens, scores, types


def spm(byte_tokens=True, unk=True, **flags):
    tokens, scores, types = spm_vocab(byte_tokens, unk)
    w = gw.GgufWriter()
    w.add_string('tokenizer.ggml.model', 'llama')
    w.add_array('tokenizer.ggml.tokens', gw.STRING, tokens)
    w.add_array('tokenizer.ggml.scores', gw.FLOAT32, scores)
    w.add_array('tokenizer.ggml.token_type', gw.INT32, types)
    w.add_u32('tokenizer.ggml.bos_token_id', 1)
    w.add_u32('tokenizer.ggml.eos_token_id', 2)
    if unk:
        w.add_u32('tokenizer.ggml.unknown_token_id', 0)
    for k, v in flags.items():
        w.add_bool('tokenizer.ggml.' + k, v)
    return w


BPE_MERGES = [('h', 'e'), ('l', 'l'), ('he', 'll'), ('hell', 'o'),
              ('\u0120', 'w'), ('o', 'r'), ('\u0120w', 'or'), ('b', 'c'),
              ('a', 'b'), ('a', 'a'), ('1', '2'), ('12', '3'), ('4', '5'),
              ('123', '45'), ('\u0120', '\u0120')]


def bpe_vocab():
    """ids 0..255: the byte b's character; then each merge's result in
    merge order; then 'abcd' (reachable only whole, for Llama 3's
    ignore_merges), then the special tokens."""
    tokens = [byte_char(b) for b in range(256)]
    for left, right in BPE_MERGES:
        tokens.append(left + right)
    tokens.append('abcd')
    tokens += ['<|endoftext|>', '<|im_end|>', '<|user|>']
    types = [NORMAL] * (len(tokens) - 3) + [CONTROL, CONTROL, USER]
    return tokens, types


def bpe(pre=None, merges=None, tokens=None, types=None):
    vt, vtypes = bpe_vocab()
    tokens = vt if tokens is None else tokens
    types = vtypes if types is None else types
    w = gw.GgufWriter()
    w.add_string('tokenizer.ggml.model', 'gpt2')
    if pre is not None:
        w.add_string('tokenizer.ggml.pre', pre)
    w.add_array('tokenizer.ggml.tokens', gw.STRING, tokens)
    w.add_array('tokenizer.ggml.token_type', gw.INT32, types)
    if merges is None:
        merges = ['%s %s' % m for m in BPE_MERGES]
    if merges is not False:
        w.add_array('tokenizer.ggml.merges', gw.STRING, merges)
    w.add_u32('tokenizer.ggml.eos_token_id', tokens.index('<|endoftext|>')
              if '<|endoftext|>' in tokens else 0)
    return w


def raw_tokens(w, key, vtype, items):
    """Replaces (or adds) one key of a writer."""
    w.kvs = [kv for kv in w.kvs if kv[0] != key]
    w.add(key, gw.ARRAY, (vtype, items))
    return w


def replace(w, key, vtype, value):
    w.kvs = [kv for kv in w.kvs if kv[0] != key]
    if vtype is not None:
        w.add(key, vtype, value)
    return w


def hostile():
    f = {}
    tokens, scores, types = spm_vocab()
    f['no-model'] = replace(spm(), 'tokenizer.ggml.model', None, None)
    f['model-bert'] = replace(spm(), 'tokenizer.ggml.model', gw.STRING,
                              'bert')
    f['no-tokens'] = replace(spm(), 'tokenizer.ggml.tokens', None, None)
    f['tokens-not-strings'] = raw_tokens(spm(), 'tokenizer.ggml.tokens',
                                         gw.INT32, list(range(len(tokens))))
    f['empty-tokens'] = raw_tokens(spm(), 'tokenizer.ggml.tokens',
                                   gw.STRING, [])
    f['scores-short'] = raw_tokens(spm(), 'tokenizer.ggml.scores',
                                   gw.FLOAT32, scores[:-1])
    f['scores-strings'] = raw_tokens(spm(), 'tokenizer.ggml.scores',
                                     gw.STRING, ['x'] * len(tokens))
    f['types-long'] = raw_tokens(spm(), 'tokenizer.ggml.token_type',
                                 gw.INT32, types + [1])
    f['type-9'] = raw_tokens(spm(), 'tokenizer.ggml.token_type', gw.INT32,
                             types[:-1] + [9])
    f['type-negative'] = raw_tokens(spm(), 'tokenizer.ggml.token_type',
                                    gw.INT32, [-1] + types[1:])
    f['bos-out-of-range'] = replace(spm(), 'tokenizer.ggml.bos_token_id',
                                    gw.UINT32, len(tokens))
    f['eos-huge'] = replace(spm(), 'tokenizer.ggml.eos_token_id',
                            gw.UINT64, 2**40)
    f['unk-negative'] = replace(spm(), 'tokenizer.ggml.unknown_token_id',
                                gw.INT32, -1)
    f['eos-string'] = replace(spm(), 'tokenizer.ggml.eos_token_id',
                              gw.STRING, '2')
    f['add-bos-string'] = replace(spm(), 'tokenizer.ggml.add_bos_token',
                                  gw.STRING, 'true')
    bad = list(tokens)
    bad[260] = b'a\xffb'
    f['token-invalid-utf8'] = raw_tokens(spm(), 'tokenizer.ggml.tokens',
                                         gw.STRING, bad)
    bad = list(tokens)
    bad[260] = b'\xe0\x80\x80'  # overlong
    f['token-overlong-utf8'] = raw_tokens(spm(), 'tokenizer.ggml.tokens',
                                          gw.STRING, bad)
    bad = list(tokens)
    bad[3] = '<0xZZ>'
    f['byte-token-malformed'] = raw_tokens(spm(), 'tokenizer.ggml.tokens',
                                           gw.STRING, bad)
    f['bpe-no-merges'] = bpe(merges=False)
    f['bpe-merges-not-strings'] = raw_tokens(bpe(), 'tokenizer.ggml.merges',
                                             gw.INT32, [1, 2])
    f['bpe-merge-no-space'] = bpe(merges=['he'])
    f['bpe-merge-empty-right'] = bpe(merges=['h '])
    f['bpe-merge-unknown-part'] = bpe(merges=['h e', 'x yz'])
    f['bpe-merge-unknown-result'] = bpe(merges=['h e', 'x y'])
    f['bpe-merge-invalid-utf8'] = bpe(merges=[b'h \xff'])
    btok, btypes = bpe_vocab()
    f['bpe-missing-byte'] = bpe(tokens=['x'] + btok[1:])
    f['bpe-pre-unknown'] = bpe(pre='no-such-pre')
    f['bpe-pre-int'] = replace(bpe(), 'tokenizer.ggml.pre', gw.UINT32, 3)
    return f


def main():
    out = sys.argv[1]
    files = {
        'spm': spm(),
        'spm-unk-only': spm(byte_tokens=False),
        'spm-no-fallback': spm(byte_tokens=False, unk=False),
        'spm-no-prefix': spm(add_space_prefix=False, add_eos_token=True),
        'bpe-gpt2': bpe(),
        'bpe-llama3': bpe(pre='llama-bpe'),
        'bpe-qwen2': bpe(pre='qwen2'),
    }
    # Without token_type: the named special ids count as control.
    untyped = bpe()
    untyped.kvs = [kv for kv in untyped.kvs
                   if kv[0] != 'tokenizer.ggml.token_type']
    files['bpe-untyped'] = untyped
    for name, w in hostile().items():
        files['hostile-' + name] = w
    for name, w in files.items():
        w.write(os.path.join(out, 'tok-%s.gguf' % name))


if __name__ == '__main__':
    main()
