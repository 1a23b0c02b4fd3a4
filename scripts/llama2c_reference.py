#!/usr/bin/env python3
"""An independent reference for the golden test: greedy decoding of a llama2.c checkpoint
in numpy (float64), written from the format description alone, sharing no code with ingot.

usage: scripts/llama2c_reference.py CHECKPOINT.bin "PROMPT IDS (comma-separated, BOS first)" N
prints the N greedy token ids. Needs Debian's python3-numpy (reference scripts only)."""
import struct
import sys

import numpy as np


def load(path):
    with open(path, "rb") as f:
        data = f.read()
    dim, hidden, n_layers, n_heads, n_kv_heads, vocab, seq_len = struct.unpack("<7i", data[:28])
    shared = vocab > 0
    vocab = abs(vocab)
    w = np.frombuffer(data, dtype="<f4", offset=28).astype(np.float64)
    head = dim // n_heads
    kv_dim = head * n_kv_heads
    shapes = [("emb", (vocab, dim)), ("rms_att", (n_layers, dim)), ("wq", (n_layers, dim, dim)),
              ("wk", (n_layers, kv_dim, dim)), ("wv", (n_layers, kv_dim, dim)), ("wo", (n_layers, dim, dim)),
              ("rms_ffn", (n_layers, dim)), ("w1", (n_layers, hidden, dim)), ("w2", (n_layers, dim, hidden)),
              ("w3", (n_layers, hidden, dim)), ("rms_final", (dim,)), ("freq", (2, seq_len, head // 2))]
    if not shared:
        shapes.append(("wcls", (vocab, dim)))
    p, out = 0, {}
    for name, shape in shapes:
        n = int(np.prod(shape))
        out[name] = w[p:p + n].reshape(shape)
        p += n
    if shared:
        out["wcls"] = out["emb"]
    cfg = dict(dim=dim, n_layers=n_layers, n_heads=n_heads, n_kv_heads=n_kv_heads, head=head, seq_len=seq_len)
    return cfg, out


def rmsnorm(x, g):
    return x / np.sqrt(np.mean(x * x) + 1e-5) * g


def rope(v, pos, head):
    v = v.reshape(-1, head // 2, 2)
    freq = 1.0 / 10000.0 ** (np.arange(0, head, 2) / head)
    c, s = np.cos(pos * freq), np.sin(pos * freq)
    a, b = v[..., 0].copy(), v[..., 1].copy()
    v[..., 0], v[..., 1] = a * c - b * s, a * s + b * c
    return v.reshape(-1)


def main():
    cfg, w = load(sys.argv[1])
    prompt = [int(t) for t in sys.argv[2].split(",")]
    n = int(sys.argv[3])
    L, H, KV, hd = cfg["n_layers"], cfg["n_heads"], cfg["n_kv_heads"], cfg["head"]
    kc = [[] for _ in range(L)]
    vc = [[] for _ in range(L)]
    tokens, out = list(prompt), []
    for pos in range(len(prompt) + n - 1):
        x = w["emb"][tokens[pos]].copy()
        for l in range(L):
            xb = rmsnorm(x, w["rms_att"][l])
            q = rope(w["wq"][l] @ xb, pos, hd).reshape(H, hd)
            kc[l].append(rope(w["wk"][l] @ xb, pos, hd).reshape(KV, hd))
            vc[l].append((w["wv"][l] @ xb).reshape(KV, hd))
            K, V = np.stack(kc[l]), np.stack(vc[l])  # [pos+1, KV, hd]
            att = np.zeros((H, hd))
            for h in range(H):
                s = K[:, h // (H // KV)] @ q[h] / np.sqrt(hd)
                p = np.exp(s - s.max())
                att[h] = (p / p.sum()) @ V[:, h // (H // KV)]
            x = x + w["wo"][l] @ att.reshape(-1)
            xb = rmsnorm(x, w["rms_ffn"][l])
            g, u = w["w1"][l] @ xb, w["w3"][l] @ xb
            x = x + w["w2"][l] @ (g / (1.0 + np.exp(-g)) * u)
        if pos >= len(prompt) - 1:
            nxt = int(np.argmax(w["wcls"] @ rmsnorm(x, w["rms_final"])))
            out.append(nxt)
            tokens.append(nxt)
    print(",".join(str(t) for t in out))


if __name__ == "__main__":
    main()
