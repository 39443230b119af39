"""Reference forward pass of a decoder-only transformer (Llama / Qwen2
family) in float64 NumPy, written from the math for the tests of
inference/llm/model.c, with none of its code.

Conventions are those of the Hugging Face models the GGUF files are
converted from: RoPE rotates element j of a head with element j + n_rot/2
("rotate half"). llama.cpp's converter permutes the Q/K rows of `llama`
files so that the same rotation pairs adjacent elements there; the test
generator applies that permutation when it writes a llama file, so
matching this reference also checks the runtime's pairing.

The KV cache is modelled as the runtime stores it: keys after RoPE and
values, each rounded to the cache's storage format ('f16', 'q8_0', or
None for exact), and the sliding-window context shift drops positions and
re-rotates the kept keys (rounding them again).
"""

import numpy as np


def rmsnorm(x, w, eps):
    return x / np.sqrt(np.mean(x * x) + eps) * w


def silu(x):
    return x / (1.0 + np.exp(-x))


def round_f16(a):
    return a.astype(np.float16).astype(np.float64)


def round_q8_0(a):
    """Blocks of 32 along the last axis: scale max|x|/127 stored as f16,
    values rounded to int8 against the stored scale."""
    shape = a.shape
    b = a.reshape(-1, 32)
    d = round_f16(np.abs(b).max(axis=1) / 127.0)
    inv = np.divide(1.0, d, out=np.zeros_like(d), where=d > 0)
    q = np.clip(np.round(b * inv[:, None]), -127, 127)
    return (q * d[:, None]).reshape(shape)


ROUNDING = {None: lambda a: a, 'f16': round_f16, 'q8_0': round_q8_0}


class Model:
    """hp: dict with n_embd, n_layer, n_head, n_head_kv, n_ff, n_vocab,
    eps, n_rot, rope_base, rope_linear (scaling factor, 1 = none),
    rope_freqs (array of n_rot/2 divisors or None).
    w: dict of float64 arrays, matrices as (n_out, n_in): tok_embd,
    output, output_norm, and per layer i 'i.attn_norm', 'i.wq', 'i.wk',
    'i.wv', 'i.wo', 'i.ffn_norm', 'i.w_gate', 'i.w_up', 'i.w_down' and
    optionally 'i.bq', 'i.bk', 'i.bv'. Q/K rows in rotate-half order."""

    def __init__(self, hp, w):
        self.hp = hp
        self.w = w
        self.head_dim = hp['n_embd'] // hp['n_head']
        half = hp['n_rot'] // 2
        j = np.arange(half, dtype=np.float64)
        inv_freq = hp['rope_base'] ** (-2.0 * j / hp['n_rot'])
        inv_freq /= hp['rope_linear']
        if hp.get('rope_freqs') is not None:
            inv_freq = inv_freq / np.asarray(hp['rope_freqs'], np.float64)
        self.inv_freq = inv_freq

    def rope(self, x, pos):
        """x: (heads, head_dim); rotates the first n_rot elements."""
        n_rot = self.hp['n_rot']
        half = n_rot // 2
        theta = pos * self.inv_freq
        c, s = np.cos(theta), np.sin(theta)
        out = x.copy()
        a, b = x[:, :half], x[:, half:n_rot]
        out[:, :half] = a * c - b * s
        out[:, half:n_rot] = b * c + a * s
        return out


class State:
    def __init__(self, model, kv='f16', n_ctx=None, n_keep=0, n_discard=0):
        self.m = model
        self.round = ROUNDING[kv]
        self.n_ctx = n_ctx
        self.n_keep = n_keep
        self.n_discard = n_discard
        n_layer = model.hp['n_layer']
        self.k = [[] for _ in range(n_layer)]   # per position (kv, hd)
        self.v = [[] for _ in range(n_layer)]
        self.shifts = 0

    @property
    def pos(self):
        return len(self.k[0])

    def shift(self):
        keep = self.n_keep
        drop = self.n_discard or max(1, (self.pos - keep) // 2)
        drop = min(drop, self.pos - keep)
        for layer in range(len(self.k)):
            kept = self.k[layer][keep + drop:]
            self.k[layer] = self.k[layer][:keep] + [
                self.round(self.m.rope(k, -drop)) for k in kept]
            self.v[layer] = self.v[layer][:keep] + self.v[layer][keep + drop:]
        self.shifts += 1

    def step(self, token):
        """Appends one token; returns its logits."""
        m, hp, w = self.m, self.m.hp, self.m.w
        if self.n_ctx is not None and self.pos == self.n_ctx:
            self.shift()
        pos = self.pos
        hd = m.head_dim
        n_head, n_kv = hp['n_head'], hp['n_head_kv']
        group = n_head // n_kv
        x = w['tok_embd'][token].copy()
        for i in range(hp['n_layer']):
            h = rmsnorm(x, w['%d.attn_norm' % i], hp['eps'])
            q = w['%d.wq' % i] @ h
            k = w['%d.wk' % i] @ h
            v = w['%d.wv' % i] @ h
            if '%d.bq' % i in w:
                q = q + w['%d.bq' % i]
                k = k + w['%d.bk' % i]
                v = v + w['%d.bv' % i]
            q = m.rope(q.reshape(n_head, hd), pos)
            k = m.rope(k.reshape(n_kv, hd), pos)
            self.k[i].append(self.round(k))
            self.v[i].append(self.round(v.reshape(n_kv, hd)))
            K = np.stack(self.k[i])   # (n_pos, n_kv, hd)
            V = np.stack(self.v[i])
            out = np.empty((n_head, hd))
            for head in range(n_head):
                g = head // group
                s = K[:, g, :] @ q[head] / np.sqrt(hd)
                p = np.exp(s - s.max())
                out[head] = (p / p.sum()) @ V[:, g, :]
            x = x + w['%d.wo' % i] @ out.reshape(-1)
            h = rmsnorm(x, w['%d.ffn_norm' % i], hp['eps'])
            x = x + w['%d.w_down' % i] @ (silu(w['%d.w_gate' % i] @ h)
                                          * (w['%d.w_up' % i] @ h))
        return w['output'] @ rmsnorm(x, w['output_norm'], hp['eps'])


def run(model, tokens, n_greedy, kv='f16'):
    """Logits of every token of `tokens`, then the greedy continuation of
    n_greedy tokens, with the smallest gap between the best and second
    best logit on the way (relative to the largest |logit| of the
    sequence): a gap below the runtime's error would make the greedy path
    ambiguous."""
    st = State(model, kv)
    logits = [st.step(t) for t in tokens]
    scale = max(np.abs(l).max() for l in logits)
    greedy, margin = [], np.inf
    last = logits[-1]
    for _ in range(n_greedy):
        top = np.argsort(last)[-2:]
        margin = min(margin, (last[top[1]] - last[top[0]]) / scale)
        t = int(top[1])
        greedy.append(t)
        last = st.step(t)
    return np.array(logits), greedy, margin


def run_sliding(model, tokens, n_ctx, n_keep, n_discard=0, kv='f16'):
    """Logits of every token with a context of n_ctx that slides."""
    st = State(model, kv, n_ctx, n_keep, n_discard)
    logits = np.array([st.step(t) for t in tokens])
    return logits, st.shifts
