#!/usr/bin/env python3
"""Small random-weight GGUF models (llama and qwen2 layouts) with the
expected results of reference.py beside each, and hostile variants that a
loader must refuse, for tests/unit/test-llm-model.c.

  make-test-gguf.py OUTDIR            every test model (see MODELS)
  make-test-gguf.py --bench OUT.gguf [--type F32] [--layers N]
                                      a TinyLlama-1.1B-shaped model, no
                                      reference (for speed only)

For each model NAME: NAME.gguf, and NAME.expected.gguf holding
  tensor  logits   F32 [n_vocab, len(PROMPT)]  reference logits of every
                                               prompt token
  key     test.prompt  int32 array
  key     test.greedy  int32 array             64 greedy tokens after it
  key     test.margin  float                   smallest top-2 gap on the
                                               greedy path / max |logit|
Weights are written in the model's type and the reference computes with
the values the file holds (dequantized), in float64.
"""

import argparse
import os
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gguf_writer as gw  # noqa: E402
import reference  # noqa: E402

# Quantized types come from ggml_quants (the kernels' NumPy quantizers) once
# it exists; adding a type to a model below is then all it takes.
try:
    import ggml_quants  # noqa: E402
except ImportError:
    ggml_quants = None

N_GREEDY = 64
PROMPT_LEN = 32
# The greedy path must not hinge on a near tie: the smallest top-2 gap
# (relative to max |logit|) must exceed this, several times the 1e-3
# tolerance of the F16/BF16 tests. Prompts are drawn until it does.
MIN_MARGIN = 4e-3

LLAMA = dict(arch='llama', n_embd=64, n_layer=2, n_head=4, n_head_kv=2,
             n_ff=160, n_vocab=300, n_ctx=256, eps=1e-5, rope_base=10000.0)
QWEN2 = dict(arch='qwen2', n_embd=128, n_layer=2, n_head=4, n_head_kv=2,
             n_ff=256, n_vocab=400, n_ctx=256, eps=1e-6,
             rope_base=1000000.0)

MODELS = {
    'llama-f32': dict(LLAMA, wtype='F32', tied=False),
    'llama-f16': dict(LLAMA, wtype='F16', tied=False),
    'llama-bf16': dict(LLAMA, wtype='BF16', tied=False),
    'llama-f32-tied': dict(LLAMA, wtype='F32', tied=True),
    # Linear scaling (factor 2) and Llama 3.1-style per-pair factors.
    'llama-f32-rope-scaled': dict(LLAMA, wtype='F32', tied=False,
                                  rope_linear=2.0, rope_freqs=True,
                                  rope_base=500000.0),
    'qwen2-f32': dict(QWEN2, wtype='F32', tied=True),
    'qwen2-f16': dict(QWEN2, wtype='F16', tied=False),
    'qwen2-bf16': dict(QWEN2, wtype='BF16', tied=True),
    # Partial rotation: rope.dimension_count = head_dim / 2.
    'qwen2-f32-partial-rope': dict(QWEN2, wtype='F32', tied=False,
                                   n_rot=16),
    # Quantized weights: the reference computes with the dequantized
    # values the file holds; the runtime also quantizes activations per
    # block of 32 to int8, hence the wider bounds of test-llm-model.c.
    'llama-q8_0': dict(LLAMA, wtype='Q8_0', tied=False),
    'llama-q4_0': dict(LLAMA, wtype='Q4_0', tied=False),
    # A "Q4_K_M" file: Q4_K, with Q6_K for attn_v, ffn_down and the output
    # (k-quant rows need multiples of 256 elements).
    'qwen2-q4_k_m': dict(QWEN2, n_embd=256, n_ff=512, wtype='Q4_K',
                         tied=False,
                         overrides={'attn_v': 'Q6_K', 'ffn_down': 'Q6_K',
                                    'output.': 'Q6_K'}),
}

# Context shift: llama-f32 with a context of 32, 4 kept, 80 tokens.
SLIDE = dict(model='llama-f32', n_ctx=32, n_keep=4, n_tokens=80)

HOSTILE = ['missing-tensor', 'wrong-shape', 'unsupported-arch',
           'unsupported-type', 'missing-hparam', 'bad-head-count',
           'qwen2-missing-bias', 'quantized-norm', 'rope-yarn',
           'vocab-mismatch', 'no-embedding', 'ctx-zero']


# ---- encodings -------------------------------------------------------------

def encode(wtype, a):
    """(payload bytes, the float64 values the payload holds)."""
    a = np.ascontiguousarray(a, dtype=np.float64)
    if wtype == 'F32':
        f = a.astype('<f4')
        return f.tobytes(), f.astype(np.float64)
    if wtype == 'F16':
        h = a.astype('<f2')
        return h.tobytes(), h.astype(np.float64)
    if wtype == 'BF16':
        u = a.astype('<f4').view('<u4').astype(np.uint64)
        r = ((u + 0x7fff + ((u >> 16) & 1)) >> 16).astype('<u2')
        back = (r.astype('<u4') << 16).view('<f4')
        return r.tobytes(), back.astype(np.float64)
    if ggml_quants is None:
        raise SystemExit('type %s needs tools/llm/ggml_quants.py' % wtype)
    payload = ggml_quants.quantize(wtype, a.astype(np.float32))
    back = ggml_quants.dequantize(wtype, payload, a.shape)
    return bytes(payload), np.asarray(back, np.float64).reshape(a.shape)


def permute_rows(w, n_heads):
    """llama.cpp's converter order for llama Q/K rows: within each head,
    row j of the first half and row j of the second half become rows 2j
    and 2j+1, so that RoPE on adjacent pairs in the file equals the
    rotate-half RoPE of the original rows."""
    hd = w.shape[0] // n_heads
    rest = w.shape[1:]
    return (w.reshape(n_heads, 2, hd // 2, *rest).swapaxes(1, 2)
            .reshape(w.shape))


# ---- tokenizer metadata -----------------------------------------------------

def gpt2_byte_chars():
    """GPT-2's printable stand-ins for the 256 byte values."""
    keep = (list(range(ord('!'), ord('~') + 1))
            + list(range(ord('¡'), ord('¬') + 1))
            + list(range(ord('®'), ord('ÿ') + 1)))
    chars, extra = {}, 0
    for b in range(256):
        if b in keep:
            chars[b] = chr(b)
        else:
            chars[b] = chr(256 + extra)
            extra += 1
    return [chars[b] for b in range(256)]


def add_tokenizer(w, arch, n_vocab):
    letters = 'etaoinshrdlucmfwypvbgkqjxz'
    if arch == 'llama':
        tokens = ['<unk>', '<s>', '</s>']
        types = [2, 3, 3]
        tokens += ['<0x%02X>' % b for b in range(256)]
        types += [6] * 256
        i = 0
        while len(tokens) < n_vocab:
            # i in base 26, least significant letter first: unique pieces
            # for any vocabulary size (llama.cpp refuses duplicates).
            piece, k = letters[i % 26], i // 26
            while k:
                piece += letters[k % 26]
                k //= 26
            tokens.append('\u2581' + piece)
            types.append(1)
            i += 1
        scores = [0.0] * 259 + [-float(k) for k in range(n_vocab - 259)]
        w.add_string('tokenizer.ggml.model', 'llama')
        w.add_array('tokenizer.ggml.tokens', gw.STRING, tokens)
        w.add_array('tokenizer.ggml.scores', gw.FLOAT32, scores)
        w.add_array('tokenizer.ggml.token_type', gw.INT32, types)
        w.add_u32('tokenizer.ggml.bos_token_id', 1)
        w.add_u32('tokenizer.ggml.eos_token_id', 2)
        w.add_u32('tokenizer.ggml.unknown_token_id', 0)
        w.add_bool('tokenizer.ggml.add_bos_token', True)
        w.add_bool('tokenizer.ggml.add_eos_token', False)
        return
    chars = gpt2_byte_chars()
    specials = ['<|endoftext|>', '<|im_start|>', '<|im_end|>']
    tokens, merges = list(chars), []
    space = chars[ord(' ')]
    firsts = [space] + list(letters)
    i = 0
    while len(tokens) < n_vocab - len(specials):
        a, b = firsts[i % len(firsts)], letters[(i // len(firsts)) % 26]
        tokens.append(a + b)
        merges.append(a + ' ' + b)
        i += 1
    types = [1] * len(tokens) + [3] * len(specials)
    tokens += specials
    w.add_string('tokenizer.ggml.model', 'gpt2')
    w.add_string('tokenizer.ggml.pre', 'qwen2')
    w.add_array('tokenizer.ggml.tokens', gw.STRING, tokens)
    w.add_array('tokenizer.ggml.token_type', gw.INT32, types)
    w.add_array('tokenizer.ggml.merges', gw.STRING, merges)
    w.add_u32('tokenizer.ggml.bos_token_id', n_vocab - 3)
    w.add_u32('tokenizer.ggml.eos_token_id', n_vocab - 3)
    w.add_bool('tokenizer.ggml.add_bos_token', False)


# ---- models ---------------------------------------------------------------

def random_weights(spec, rng):
    """Reference-layout float64 weights (Q/K rows in rotate-half order)."""
    E, F, V = spec['n_embd'], spec['n_ff'], spec['n_vocab']
    hd = E // spec['n_head']
    nq, nkv = spec['n_head'] * hd, spec['n_head_kv'] * hd

    def mat(n_out, n_in, gain=1.0):
        return rng.standard_normal((n_out, n_in)) * gain / np.sqrt(n_in)

    def norm(n):
        return 1.0 + 0.2 * rng.standard_normal(n)

    w = {'tok_embd': rng.standard_normal((V, E)),
         'output_norm': norm(E)}
    if not spec['tied']:
        w['output'] = mat(V, E, 3.0)
    for i in range(spec['n_layer']):
        w['%d.attn_norm' % i] = norm(E)
        w['%d.ffn_norm' % i] = norm(E)
        # Larger Q/K weights give attention that is not uniform.
        w['%d.wq' % i] = mat(nq, E, 1.5)
        w['%d.wk' % i] = mat(nkv, E, 1.5)
        w['%d.wv' % i] = mat(nkv, E)
        w['%d.wo' % i] = mat(E, nq)
        w['%d.w_gate' % i] = mat(F, E, 2.0)
        w['%d.w_up' % i] = mat(F, E)
        w['%d.w_down' % i] = mat(E, F)
        if spec['arch'] == 'qwen2':
            w['%d.bq' % i] = 0.3 * rng.standard_normal(nq)
            w['%d.bk' % i] = 0.3 * rng.standard_normal(nkv)
            w['%d.bv' % i] = 0.3 * rng.standard_normal(nkv)
    return w


MATRIX_NAMES = {'wq': 'attn_q', 'wk': 'attn_k', 'wv': 'attn_v',
                'wo': 'attn_output', 'w_gate': 'ffn_gate', 'w_up': 'ffn_up',
                'w_down': 'ffn_down'}
VECTOR_NAMES = {'attn_norm': 'attn_norm.weight', 'ffn_norm': 'ffn_norm.weight',
                'bq': 'attn_q.bias', 'bk': 'attn_k.bias', 'bv': 'attn_v.bias'}


def build(spec, seed, mutate=None):
    """(GgufWriter, reference.Model). mutate(kind, name, array) may change
    what is written for the hostile files."""
    rng = np.random.default_rng(seed)
    arch, E = spec['arch'], spec['n_embd']
    hd = E // spec['n_head']
    n_rot = spec.get('n_rot', hd)
    w = random_weights(spec, rng)
    rope_freqs = None
    if spec.get('rope_freqs'):
        rope_freqs = 1.0 + 3.0 * rng.random(n_rot // 2)

    out = gw.GgufWriter()
    out.add_string('general.architecture', arch)
    out.add_string('general.name', 'ovi test %s' % arch)
    out.add_u32('general.file_type', 0)
    a = arch + '.'
    out.add_u32(a + 'context_length', spec['n_ctx'])
    out.add_u32(a + 'embedding_length', E)
    out.add_u32(a + 'block_count', spec['n_layer'])
    out.add_u32(a + 'feed_forward_length', spec['n_ff'])
    out.add_u32(a + 'attention.head_count', spec['n_head'])
    out.add_u32(a + 'attention.head_count_kv', spec['n_head_kv'])
    out.add_f32(a + 'attention.layer_norm_rms_epsilon', spec['eps'])
    out.add_f32(a + 'rope.freq_base', spec['rope_base'])
    out.add_u32(a + 'rope.dimension_count', n_rot)
    if spec.get('rope_linear'):
        out.add_string(a + 'rope.scaling.type', 'linear')
        out.add_f32(a + 'rope.scaling.factor', spec['rope_linear'])
    add_tokenizer(out, arch, spec['n_vocab'])

    ref = {}
    wtype = spec['wtype']

    def put(name, typ, arr, key=None):
        arr = np.asarray(arr, np.float64)
        if typ == wtype:
            for part, other in spec.get('overrides', {}).items():
                if part in name:
                    typ = other
        if mutate is not None:
            typ, arr = mutate(name, typ, arr)
            if arr is None:
                return None
        payload, held = encode(typ, arr)
        out.add_tensor(name, typ, list(reversed(arr.shape)), payload)
        if key is not None:
            ref[key] = held
        return held

    put('token_embd.weight', wtype, w['tok_embd'], 'tok_embd')
    put('output_norm.weight', 'F32', w['output_norm'], 'output_norm')
    if spec['tied']:
        ref['output'] = ref['tok_embd']
    else:
        put('output.weight', wtype, w['output'], 'output')
    if rope_freqs is not None:
        rope_freqs = put('rope_freqs.weight', 'F32', rope_freqs)
    for i in range(spec['n_layer']):
        blk = 'blk.%d.' % i
        for key, name in VECTOR_NAMES.items():
            k = '%d.%s' % (i, key)
            if k not in w:
                continue
            # (Only qwen2 models carry biases here: a llama file's Q/K
            # biases would need the same row order as the weights.)
            put(blk + name, 'F32', w[k], k)
        for key, name in MATRIX_NAMES.items():
            k = '%d.%s' % (i, key)
            m = w[k]
            heads = {'wq': spec['n_head'], 'wk': spec['n_head_kv']}.get(key)
            if arch == 'llama' and heads:
                # Written in the converter's order; the reference keeps
                # the values in rotate-half order.
                held = put(blk + name + '.weight', wtype,
                           permute_rows(m, heads))
                # (A hostile file may change the shape: no reference then.)
                if held is not None and held.shape == m.shape:
                    inv = np.empty_like(held)
                    perm = permute_rows(np.arange(m.shape[0])[:, None],
                                        heads)[:, 0]
                    inv[perm] = held
                    ref[k] = inv
            else:
                put(blk + name + '.weight', wtype, m, k)

    hp = dict(n_embd=E, n_layer=spec['n_layer'], n_head=spec['n_head'],
              n_head_kv=spec['n_head_kv'], n_ff=spec['n_ff'],
              n_vocab=spec['n_vocab'], eps=spec['eps'], n_rot=n_rot,
              rope_base=spec['rope_base'],
              rope_linear=spec.get('rope_linear', 1.0),
              rope_freqs=rope_freqs)
    return out, reference.Model(hp, ref)


def expected_file(path, logits, prompt, greedy, margin, extra=()):
    w = gw.GgufWriter()
    w.add_array('test.prompt', gw.INT32, prompt)
    w.add_array('test.greedy', gw.INT32, greedy)
    w.add_f32('test.margin', margin)
    for key, vtype, value in extra:
        w.add(key, vtype, value)
    logits = np.ascontiguousarray(logits, dtype='<f4')
    w.add_tensor('logits', 'F32', list(reversed(logits.shape)),
                 logits.tobytes())
    w.write(path)


def write_model(outdir, name, spec):
    seed = sum(map(ord, name))
    writer, model = build(spec, seed)
    writer.write(os.path.join(outdir, name + '.gguf'))
    rng = np.random.default_rng(seed + 1)
    for attempt in range(1000):
        prompt = [int(t) for t in rng.integers(0, spec['n_vocab'],
                                               PROMPT_LEN)]
        logits, greedy, margin = reference.run(model, prompt, N_GREEDY)
        if margin >= spec.get('margin', MIN_MARGIN):
            break
    else:
        raise SystemExit('%s: no prompt with an unambiguous greedy path'
                         % name)
    expected_file(os.path.join(outdir, name + '.expected.gguf'), logits,
                  prompt, greedy, margin)
    return model


def write_slide(outdir, model):
    spec = MODELS[SLIDE['model']]
    rng = np.random.default_rng(7)
    tokens = [int(t) for t in rng.integers(0, spec['n_vocab'],
                                           SLIDE['n_tokens'])]
    logits, shifts = reference.run_sliding(model, tokens, SLIDE['n_ctx'],
                                           SLIDE['n_keep'])
    expected_file(os.path.join(outdir, SLIDE['model'] + '.slide.gguf'),
                  logits, tokens, [], 0.0,
                  [('test.n_ctx', gw.UINT32, SLIDE['n_ctx']),
                   ('test.n_keep', gw.UINT32, SLIDE['n_keep']),
                   ('test.shifts', gw.UINT32, shifts)])


def write_q8_kv(outdir, name, model):
    """The prompt's logits with an 8-bit KV cache in the reference."""
    exp = os.path.join(outdir, name + '.expected.gguf')
    spec = MODELS[name]
    rng = np.random.default_rng(sum(map(ord, name)) + 1)
    # Same prompt as the first accepted draw is not needed: any prompt.
    prompt = [int(t) for t in rng.integers(0, spec['n_vocab'], PROMPT_LEN)]
    st = reference.State(model, 'q8_0')
    logits = np.array([st.step(t) for t in prompt])
    expected_file(exp.replace('.expected.', '.q8kv.'), logits, prompt, [],
                  0.0)


def hostile(outdir):
    spec = MODELS['llama-f32']

    def make(name, mutate=None, spec_over=None, post=None):
        s = dict(spec, **(spec_over or {}))
        writer, _ = build(s, 1, mutate)
        if post is not None:
            post(writer)
        writer.write(os.path.join(outdir, 'hostile-model-%s.gguf' % name))

    def drop(target):
        def m(name, typ, arr):
            return (typ, None) if name == target else (typ, arr)
        return m

    def set_kv(key, vtype, value):
        def post(writer):
            writer.kvs = [kv for kv in writer.kvs if kv[0] != key]
            if vtype is not None:
                writer.add(key, vtype, value)
        return post

    make('missing-tensor', drop('blk.1.ffn_down.weight'))
    make('wrong-shape', lambda n, t, a: (t, np.vstack([a, a]))
         if n == 'blk.0.attn_k.weight' else (t, a))
    make('unsupported-arch', post=lambda w: w.kvs.__setitem__(
        0, ('general.architecture', gw.STRING, 'gpt2')))
    # Q5_1 (32 elements in 24 bytes): a valid ggml type that the runtime
    # does not multiply with.
    def unsupported_type(w):
        for i, (name, typ, ne, payload) in enumerate(w.tensors):
            if name == 'blk.0.ffn_up.weight':
                w.tensors[i] = (name, gw.GGML_TYPES['Q5_1'], ne,
                                bytes(ne[1] * ne[0] // 32 * 24))
    make('unsupported-type', post=unsupported_type)
    make('missing-hparam', post=set_kv('llama.embedding_length', None, 0))
    make('bad-head-count', post=set_kv('llama.attention.head_count_kv',
                                       gw.UINT32, 3))
    qspec = dict(MODELS['qwen2-f32'])
    s = dict(qspec)
    writer, _ = build(s, 1, drop('blk.0.attn_v.bias'))
    writer.write(os.path.join(outdir, 'hostile-model-qwen2-missing-bias.gguf'))

    def quantized_norm(w):
        for i, (name, typ, ne, payload) in enumerate(w.tensors):
            if name == 'blk.0.ffn_norm.weight':
                w.tensors[i] = (name, gw.GGML_TYPES['Q8_0'], ne,
                                bytes(ne[0] // 32 * 34))
    make('quantized-norm', post=quantized_norm)
    make('rope-yarn', post=set_kv('llama.rope.scaling.type', gw.STRING,
                                  'yarn'))

    def vocab_mismatch(w):
        for i, (key, vtype, value) in enumerate(w.kvs):
            if key == 'tokenizer.ggml.tokens':
                w.kvs[i] = (key, vtype, (value[0], value[1][:-1]))
    make('vocab-mismatch', post=vocab_mismatch)
    make('no-embedding', drop('token_embd.weight'))
    make('ctx-zero', post=set_kv('llama.context_length', gw.UINT32, 0))


# ---- benchmark model ---------------------------------------------------------

TINYLLAMA = dict(arch='llama', n_embd=2048, n_layer=22, n_head=32,
                 n_head_kv=4, n_ff=5632, n_vocab=32000, n_ctx=2048,
                 eps=1e-5, rope_base=10000.0)


def write_bench(path, wtype, n_layer):
    """TinyLlama-1.1B's shape with random weights, streamed to disk one
    tensor at a time (the file is GBs)."""
    spec = dict(TINYLLAMA, n_layer=n_layer)
    E, F, V = spec['n_embd'], spec['n_ff'], spec['n_vocab']
    hd = E // spec['n_head']
    rng = np.random.default_rng(0)
    shapes = [('token_embd.weight', wtype, (V, E)),
              ('output_norm.weight', 'F32', (E,)),
              ('output.weight', wtype, (V, E))]
    for i in range(n_layer):
        b = 'blk.%d.' % i
        shapes += [(b + 'attn_norm.weight', 'F32', (E,)),
                   (b + 'attn_q.weight', wtype, (E, E)),
                   (b + 'attn_k.weight', wtype, (spec['n_head_kv'] * hd, E)),
                   (b + 'attn_v.weight', wtype, (spec['n_head_kv'] * hd, E)),
                   (b + 'attn_output.weight', wtype, (E, E)),
                   (b + 'ffn_norm.weight', 'F32', (E,)),
                   (b + 'ffn_gate.weight', wtype, (F, E)),
                   (b + 'ffn_up.weight', wtype, (F, E)),
                   (b + 'ffn_down.weight', wtype, (E, F))]
    meta = gw.GgufWriter()
    meta.add_string('general.architecture', 'llama')
    meta.add_u32('llama.context_length', spec['n_ctx'])
    meta.add_u32('llama.embedding_length', E)
    meta.add_u32('llama.block_count', n_layer)
    meta.add_u32('llama.feed_forward_length', F)
    meta.add_u32('llama.attention.head_count', spec['n_head'])
    meta.add_u32('llama.attention.head_count_kv', spec['n_head_kv'])
    meta.add_f32('llama.attention.layer_norm_rms_epsilon', spec['eps'])
    meta.add_f32('llama.rope.freq_base', spec['rope_base'])
    add_tokenizer(meta, 'llama', V)

    def payload(name, typ, shape):
        if len(shape) == 1:
            a = 1.0 + 0.1 * rng.standard_normal(shape, np.float32)
        else:
            a = rng.standard_normal(shape, np.float32) / np.sqrt(shape[1])
            if name == 'token_embd.weight':
                a *= np.sqrt(shape[1])
        return encode(typ, a)[0]

    # The header needs every payload's size: all are whole rows here.
    sizes = []
    for name, typ, shape in shapes:
        n = int(np.prod(shape))
        if typ in ('F32',):
            sizes.append(n * 4)
        elif typ in ('F16', 'BF16'):
            sizes.append(n * 2)
        else:
            sizes.append(len(encode(typ, np.zeros(shape[-1]))[0])
                         * (n // shape[-1]))
    align = meta.alignment
    head = bytearray(b'GGUF')
    head += struct.pack('<IQQ', 3, len(shapes), len(meta.kvs))
    for key, vtype, value in meta.kvs:
        head += gw._string(key) + struct.pack('<I', vtype) \
            + gw._value(vtype, value)
    offset = 0
    for (name, typ, shape), size in zip(shapes, sizes):
        ne = list(reversed(shape))
        head += gw._string(name) + struct.pack('<I', len(ne))
        head += struct.pack('<%dQ' % len(ne), *ne)
        head += struct.pack('<IQ', gw.GGML_TYPES[typ], offset)
        offset += size + (-size % align)
    head += b'\0' * (-len(head) % align)
    with open(path, 'wb') as f:
        f.write(head)
        for (name, typ, shape), size in zip(shapes, sizes):
            data = payload(name, typ, shape)
            assert len(data) == size
            f.write(data)
            f.write(b'\0' * (-size % align))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('outdir', nargs='?')
    ap.add_argument('--bench')
    ap.add_argument('--type', default='F32')
    ap.add_argument('--layers', type=int, default=22)
    args = ap.parse_args()
    if args.bench:
        write_bench(args.bench, args.type, args.layers)
        return
    os.makedirs(args.outdir, exist_ok=True)
    models = {}
    for name, spec in MODELS.items():
        models[name] = write_model(args.outdir, name, spec)
    write_slide(args.outdir, models[SLIDE['model']])
    write_q8_kv(args.outdir, 'qwen2-f32', models['qwen2-f32'])
    hostile(args.outdir)


if __name__ == '__main__':
    main()
