#!/usr/bin/env python3
"""An independent reference for the llama-family architectures: greedy decoding of a GGUF file of
llama.cpp's `llama` (Llama 2/3, SmolLM2), `qwen2`, `qwen3`, `phi3` or `gemma3` architecture in numpy
(float64),
written from the GGUF format description and the models' published definitions alone, sharing
no code with ingot.

usage: scripts/llama_family_reference.py MODEL.gguf "PROMPT IDS (comma-separated, BOS first)" N
prints the N greedy token ids. Needs Debian's python3-numpy (reference scripts only).
Reads F32 and F16 tensors.

What each architecture adds to the Llama block (pre-RMSNorm, grouped-query attention with RoPE,
SwiGLU feed-forward):
  llama  RoPE on adjacent pairs (x[2i], x[2i+1]): llama.cpp's converter permutes q and k rows to
         that layout; rope_freqs.weight, when present (Llama 3.1+), divides the frequencies.
  qwen2  biases on q, k and v; RoPE on the halves' pairs (x[i], x[i + d/2]), GPT-NeoX style.
  qwen3  no biases; q and k heads each RMSNormed (attn_q_norm, attn_k_norm) before RoPE (NeoX).
  phi3   q, k, v stacked in one attn_qkv; gate and up stacked in one ffn_up (gate first, as
         Phi-3's gate_up_proj chunks); RoPE NeoX.
  gemma3 the embedding times sqrt(d_model); q/k norms; each branch RMSNormed again
         (post_attention_norm, post_ffw_norm) before it is added; gelu(gate) * up with the tanh
         GELU; NeoX RoPE; every layer but each 6th sees only the last attention.sliding_window
         positions, with RoPE base 10000, the others all, with rope.freq_base and linear
         rope.scaling.factor. (The converter has already added Gemma's 1 to the norm weights.)
The output matrix is token_embd when output.weight is absent (tied)."""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gpt2_reference import load  # noqa: E402  (the GGUF reader: metadata and F32/F16 tensors)

NEOX = {"llama": False, "qwen2": True, "qwen3": True, "phi3": True, "gemma3": True}
SWA_PATTERN = 6  # Gemma 3: layer l is global when (l + 1) % 6 == 0


def rms_norm(x, w, eps):
    return x / np.sqrt((x * x).mean(axis=-1, keepdims=True) + eps) * w


def gelu(x):
    return 0.5 * x * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (x + 0.044715 * x ** 3)))


def rope(x, pos, dims, base, factors, neox, scale=1.0):
    """Rotates the leading `dims` values of each head row of x [heads, head_dim] by position pos."""
    half = dims // 2
    theta = base ** (-2.0 * np.arange(half) / dims) / scale
    if factors is not None:
        theta = theta / factors
    c, s = np.cos(pos * theta), np.sin(pos * theta)
    x = x.copy()
    if neox:
        a, b = x[:, :half].copy(), x[:, half:dims].copy()
        x[:, :half], x[:, half:dims] = a * c - b * s, a * s + b * c
    else:
        a, b = x[:, 0:dims:2].copy(), x[:, 1:dims:2].copy()
        x[:, 0:dims:2], x[:, 1:dims:2] = a * c - b * s, a * s + b * c
    return x


def main():
    meta, w = load(sys.argv[1])
    prompt = [int(t) for t in sys.argv[2].split(",")]
    n = int(sys.argv[3])
    arch = meta["general.architecture"]
    if arch not in NEOX:
        sys.exit("%s: architecture %r, expected one of %s" % (sys.argv[1], arch, ", ".join(NEOX)))
    d = meta[arch + ".embedding_length"]
    L = meta[arch + ".block_count"]
    H = meta[arch + ".attention.head_count"]
    KV = meta.get(arch + ".attention.head_count_kv", H)
    hd = meta.get(arch + ".attention.key_length", d // H)
    eps = meta[arch + ".attention.layer_norm_rms_epsilon"]
    base = meta.get(arch + ".rope.freq_base", 10000.0)
    dims = meta.get(arch + ".rope.dimension_count", hd)
    factors = w.get("rope_freqs.weight")
    window = meta.get(arch + ".attention.sliding_window", 0)
    scale = meta.get(arch + ".rope.scaling.factor", 1.0) if meta.get(arch + ".rope.scaling.type") == "linear" else 1.0
    out_w = w.get("output.weight", w["token_embd.weight"])
    kc = [[] for _ in range(L)]
    vc = [[] for _ in range(L)]
    tokens, out = list(prompt), []
    for pos in range(len(prompt) + n - 1):
        x = w["token_embd.weight"][tokens[pos]].copy()
        if arch == "gemma3":
            x = x * np.sqrt(d)
        for l in range(L):
            p = "blk.%d." % l
            local = window > 0 and (l + 1) % SWA_PATTERN != 0
            h = rms_norm(x, w[p + "attn_norm.weight"], eps)
            if p + "attn_qkv.weight" in w:
                qkv = w[p + "attn_qkv.weight"] @ h
                q, k, v = qkv[:H * hd], qkv[H * hd:(H + KV) * hd], qkv[(H + KV) * hd:]
            else:
                q, k, v = w[p + "attn_q.weight"] @ h, w[p + "attn_k.weight"] @ h, w[p + "attn_v.weight"] @ h
            if p + "attn_q.bias" in w:
                q, k, v = q + w[p + "attn_q.bias"], k + w[p + "attn_k.bias"], v + w[p + "attn_v.bias"]
            q, k, v = q.reshape(H, hd), k.reshape(KV, hd), v.reshape(KV, hd)
            if p + "attn_q_norm.weight" in w:
                q = rms_norm(q, w[p + "attn_q_norm.weight"], eps)
                k = rms_norm(k, w[p + "attn_k_norm.weight"], eps)
            if local:
                q, k = rope(q, pos, dims, 10000.0, None, True), rope(k, pos, dims, 10000.0, None, True)
            else:
                q = rope(q, pos, dims, base, factors, NEOX[arch], scale)
                k = rope(k, pos, dims, base, factors, NEOX[arch], scale)
            kc[l].append(k)
            vc[l].append(v)
            K, V = np.stack(kc[l]), np.stack(vc[l])  # [pos+1, KV, hd]
            if local:
                K, V = K[max(0, pos + 1 - window):], V[max(0, pos + 1 - window):]  # the last `window` positions
            att = np.zeros((H, hd))
            for i in range(H):
                g = i // (H // KV)
                s = K[:, g] @ q[i] / np.sqrt(hd)
                e = np.exp(s - s.max())
                att[i] = (e / e.sum()) @ V[:, g]
            branch = w[p + "attn_output.weight"] @ att.reshape(-1)
            if p + "post_attention_norm.weight" in w:
                branch = rms_norm(branch, w[p + "post_attention_norm.weight"], eps)
            x = x + branch
            h = rms_norm(x, w[p + "ffn_norm.weight"], eps)
            if p + "ffn_gate.weight" in w:
                gate, up = w[p + "ffn_gate.weight"] @ h, w[p + "ffn_up.weight"] @ h
            else:
                gate, up = np.split(w[p + "ffn_up.weight"] @ h, 2)
            act = gelu(gate) if arch == "gemma3" else gate / (1.0 + np.exp(-gate))
            branch = w[p + "ffn_down.weight"] @ (act * up)
            if p + "post_ffw_norm.weight" in w:
                branch = rms_norm(branch, w[p + "post_ffw_norm.weight"], eps)
            x = x + branch
        if pos >= len(prompt) - 1:
            logits = out_w @ rms_norm(x, w["output_norm.weight"], eps)
            nxt = int(np.argmax(logits))
            out.append(nxt)
            tokens.append(nxt)
    print(",".join(str(t) for t in out))


if __name__ == "__main__":
    main()
