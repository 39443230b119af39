#!/usr/bin/env python3
"""The tiny language model ovllm's element tests run on: a llama-
architecture GGUF with random F32 weights (2 layers, 64 wide, grouped-query
attention 4:2), a SentencePiece-style vocabulary (`tokenizer.ggml.model =
llama`: control tokens, the 256 byte-fallback tokens, ASCII letters,
digits, punctuation and a few hundred word pieces with scores) and a
ChatML chat template. Its answers are arbitrary text; the element tests
check structure (streaming, markers, timestamps, metadata, cancellation),
never words.

Usage: make-ovllm-model.py OUTPUT.gguf"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..',
                                'tools', 'llm'))
import gguf_writer as gw  # noqa: E402

N_EMBD = 64
N_HEAD = 4
N_HEAD_KV = 2
N_LAYER = 2
N_FF = 128
N_CTX = 512

# SentencePiece token types (llama.cpp's LLAMA_TOKEN_TYPE_*).
NORMAL, UNKNOWN, CONTROL, BYTE = 1, 2, 3, 6

WORDS = """the a an and or but if then of to in on at by for with from as is
are was were be been it this that these those there here person people car
cars bus truck bicycle dog cat face door street camera left right center
top bottom near far walks walking stands standing enters leaves appeared
left seen known unknown one two three many none scene frame time now still
moving parked red blue green white black small large quickly slowly alert
summary count object objects identity identities hello world yes no""".split()


def vocabulary():
    tokens, scores, types = [], [], []

    def add(text, score, kind):
        tokens.append(text)
        scores.append(score)
        types.append(kind)

    add('<unk>', 0.0, UNKNOWN)
    add('<s>', 0.0, CONTROL)
    add('</s>', 0.0, CONTROL)
    for b in range(256):
        add('<0x%02X>' % b, 0.0, BYTE)
    add('<|im_start|>', 0.0, CONTROL)
    add('<|im_end|>', 0.0, CONTROL)
    pieces = []
    for c in 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789':
        pieces.append(c)
    for c in '.,:;!?()-\'"#':
        pieces.append(c)
    pieces.append('\u2581')
    for w in WORDS:
        pieces.append('\u2581' + w)
        pieces.append(w)
    seen = set()
    for i, p in enumerate(pieces):
        if p in seen:
            continue
        seen.add(p)
        # Longer pieces score higher, so merges prefer whole words.
        add(p, -1000.0 + 10.0 * len(p) - 0.001 * i, NORMAL)
    return tokens, scores, types


CHATML = ("{% for message in messages %}{{'<|im_start|>' + message['role'] "
          "+ '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}"
          "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}"
          "{% endif %}")


def main():
    out = sys.argv[1]
    rng = np.random.default_rng(20261121)
    tokens, scores, types = vocabulary()
    n_vocab = len(tokens)
    w = gw.GgufWriter()
    w.add_string('general.architecture', 'llama')
    w.add_string('general.name', 'ovllm-test-tiny')
    w.add_u32('llama.context_length', N_CTX)
    w.add_u32('llama.embedding_length', N_EMBD)
    w.add_u32('llama.block_count', N_LAYER)
    w.add_u32('llama.feed_forward_length', N_FF)
    w.add_u32('llama.attention.head_count', N_HEAD)
    w.add_u32('llama.attention.head_count_kv', N_HEAD_KV)
    w.add_u32('llama.rope.dimension_count', N_EMBD // N_HEAD)
    w.add_f32('llama.rope.freq_base', 10000.0)
    w.add_f32('llama.attention.layer_norm_rms_epsilon', 1e-5)
    w.add_u32('llama.vocab_size', n_vocab)
    w.add_string('tokenizer.ggml.model', 'llama')
    w.add_array('tokenizer.ggml.tokens', gw.STRING, tokens)
    w.add_array('tokenizer.ggml.scores', gw.FLOAT32, scores)
    w.add_array('tokenizer.ggml.token_type', gw.INT32, types)
    w.add_u32('tokenizer.ggml.unknown_token_id', 0)
    w.add_u32('tokenizer.ggml.bos_token_id', 1)
    w.add_u32('tokenizer.ggml.eos_token_id', 2)
    w.add_bool('tokenizer.ggml.add_bos_token', True)
    w.add_bool('tokenizer.ggml.add_eos_token', False)
    w.add_string('tokenizer.chat_template', CHATML)

    def tensor(name, *ne, scale=0.08):
        data = (rng.standard_normal(int(np.prod(ne))) * scale)
        w.add_tensor(name, 'F32', list(ne), data.astype('<f4').tobytes())

    def ones(name, n):
        w.add_tensor(name, 'F32', [n], np.ones(n, '<f4').tobytes())

    head_dim = N_EMBD // N_HEAD
    tensor('token_embd.weight', N_EMBD, n_vocab, scale=0.5)
    for i in range(N_LAYER):
        p = 'blk.%d.' % i
        ones(p + 'attn_norm.weight', N_EMBD)
        tensor(p + 'attn_q.weight', N_EMBD, N_EMBD)
        tensor(p + 'attn_k.weight', N_EMBD, N_HEAD_KV * head_dim)
        tensor(p + 'attn_v.weight', N_EMBD, N_HEAD_KV * head_dim)
        tensor(p + 'attn_output.weight', N_EMBD, N_EMBD)
        ones(p + 'ffn_norm.weight', N_EMBD)
        tensor(p + 'ffn_gate.weight', N_EMBD, N_FF)
        tensor(p + 'ffn_up.weight', N_EMBD, N_FF)
        tensor(p + 'ffn_down.weight', N_FF, N_EMBD)
    ones('output_norm.weight', N_EMBD)
    # Logits of about unit spread: sampling visits many tokens, so a
    # short answer is never only control tokens.
    tensor('output.weight', N_EMBD, n_vocab, scale=0.15)
    w.write(out)


if __name__ == '__main__':
    main()
