#!/usr/bin/env python3
"""An independent reference for the gpt2 golden test: greedy decoding of a GGUF file of
llama.cpp's `gpt2` architecture in numpy (float64), written from the GGUF format description
and the GPT-2 paper's block alone, sharing no code with ingot.

usage: scripts/gpt2_reference.py MODEL.gguf "PROMPT IDS (comma-separated, BOS first)" N
prints the N greedy token ids. Needs Debian's python3-numpy (reference scripts only).
Reads F32 and F16 tensors."""
import struct
import sys

import numpy as np

# GGUF metadata value types -> struct format (8 string, 9 array are read apart).
SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
TENSOR_DTYPES = {0: "<f4", 1: "<f2"}  # GGML_TYPE_F32, GGML_TYPE_F16


class Reader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def scalar(self, fmt):
        (v,) = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += struct.calcsize(fmt)
        return v

    def string(self):
        n = self.scalar("<Q")
        s = self.data[self.pos:self.pos + n].decode("utf-8")
        self.pos += n
        return s

    def value(self, kind):
        if kind == 8:
            return self.string()
        if kind == 9:
            elem, n = self.scalar("<I"), self.scalar("<Q")
            return [self.value(elem) for _ in range(n)]
        return self.scalar(SCALARS[kind])


def load(path):
    """-> (metadata dict, {tensor name: float64 array shaped [rows, cols] or [n]})."""
    with open(path, "rb") as f:
        data = f.read()
    r = Reader(data)
    if data[:4] != b"GGUF":
        sys.exit(path + ": not a GGUF file")
    r.pos = 4
    version, n_tensors, n_kv = r.scalar("<I"), r.scalar("<Q"), r.scalar("<Q")
    if version < 2:
        sys.exit(path + ": GGUF v%d is not supported" % version)
    meta = {}
    for _ in range(n_kv):
        key = r.string()
        meta[key] = r.value(r.scalar("<I"))
    infos = []
    for _ in range(n_tensors):
        name = r.string()
        dims = [r.scalar("<Q") for _ in range(r.scalar("<I"))]
        kind, offset = r.scalar("<I"), r.scalar("<Q")
        infos.append((name, dims, kind, offset))
    align = meta.get("general.alignment", 32)
    base = (r.pos + align - 1) // align * align
    tensors = {}
    for name, dims, kind, offset in infos:
        if kind not in TENSOR_DTYPES:
            sys.exit("%s: tensor %s has type %d; this script reads F32 and F16 only" % (path, name, kind))
        count = int(np.prod(dims))
        values = np.frombuffer(data, dtype=TENSOR_DTYPES[kind], count=count, offset=base + offset)
        # GGUF lists dims fastest first: [cols, rows] is a row-major [rows][cols] matrix.
        tensors[name] = values.astype(np.float64).reshape(list(reversed(dims)))
    return meta, tensors


def layer_norm(x, w, b, eps):
    mean = x.mean()
    var = ((x - mean) ** 2).mean()
    return (x - mean) / np.sqrt(var + eps) * w + b


def gelu(x):
    """The tanh approximation GPT-2 was trained with."""
    return 0.5 * x * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (x + 0.044715 * x ** 3)))


def main():
    meta, w = load(sys.argv[1])
    prompt = [int(t) for t in sys.argv[2].split(",")]
    n = int(sys.argv[3])
    if meta["general.architecture"] != "gpt2":
        sys.exit("%s: architecture %r, expected gpt2" % (sys.argv[1], meta["general.architecture"]))
    d = meta["gpt2.embedding_length"]
    L = meta["gpt2.block_count"]
    H = meta["gpt2.attention.head_count"]
    eps = meta["gpt2.attention.layer_norm_epsilon"]
    hd = d // H
    out_w = w.get("output.weight", w["token_embd.weight"])  # tied when absent
    kc = [[] for _ in range(L)]
    vc = [[] for _ in range(L)]
    tokens, out = list(prompt), []
    for pos in range(len(prompt) + n - 1):
        x = w["token_embd.weight"][tokens[pos]] + w["position_embd.weight"][pos]
        for l in range(L):
            p = "blk.%d." % l
            h = layer_norm(x, w[p + "attn_norm.weight"], w[p + "attn_norm.bias"], eps)
            qkv = w[p + "attn_qkv.weight"] @ h + w[p + "attn_qkv.bias"]  # rows: q, k, v
            q, k, v = qkv[:d].reshape(H, hd), qkv[d:2 * d].reshape(H, hd), qkv[2 * d:].reshape(H, hd)
            kc[l].append(k)
            vc[l].append(v)
            K, V = np.stack(kc[l]), np.stack(vc[l])  # [pos+1, H, hd]
            att = np.zeros((H, hd))
            for i in range(H):
                s = K[:, i] @ q[i] / np.sqrt(hd)
                e = np.exp(s - s.max())
                att[i] = (e / e.sum()) @ V[:, i]
            x = x + w[p + "attn_output.weight"] @ att.reshape(-1) + w[p + "attn_output.bias"]
            h = layer_norm(x, w[p + "ffn_norm.weight"], w[p + "ffn_norm.bias"], eps)
            u = gelu(w[p + "ffn_up.weight"] @ h + w[p + "ffn_up.bias"])
            x = x + w[p + "ffn_down.weight"] @ u + w[p + "ffn_down.bias"]
        if pos >= len(prompt) - 1:
            final = layer_norm(x, w["output_norm.weight"], w["output_norm.bias"], eps)
            nxt = int(np.argmax(out_w @ final))
            out.append(nxt)
            tokens.append(nxt)
    print(",".join(str(t) for t in out))


if __name__ == "__main__":
    main()
