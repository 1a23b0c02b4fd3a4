// Random-weight GGUF files of real shapes (llama and gpt2 architectures), written with ingot's
// own GGUF writer: they test the loader and measure speed on shapes no real checkpoint here has.
#pragma once

#include <cstdint>
#include <string>

#include "model_io/gguf.h"

namespace ingot::test {

struct ModelShape {
  std::string name;
  std::string arch;  // "llama" or "gpt2"
  int32_t d_model, n_layers, n_heads, n_kv_heads, d_ffn, n_vocab, n_ctx;
  int32_t head_dim = 0;  // llama: attention.key_length when set (0: d_model / n_heads)
};

// "tinyllama" (TinyLlama-1.1B), "llama-7b", "tiny" (a few-KB model for unit tests), "wide-heads"
// (a 1 MB F16 file whose 4096-wide heads ask for a 2 GB FP32 KV cache: the memory tests): llama;
// "gpt2-small" (GPT-2 124M), "tiny-gpt2" (a few-KB model for unit tests): gpt2.
ModelShape ShapeByName(const std::string& name);

// Writes a model of that shape. Matrices are uniform in [-0.05, 0.05] (Q8_0: random int8 with
// one block scale), norms are 1 and biases 0. With vocab_path, the tokenizer.ggml.* keys (and
// the vocab size) come from that GGUF file, else a tiny byte-level SPM vocabulary is made up.
// gpt2 follows llama.cpp's layout: position_embd, fused attn_qkv, biases, no output.weight.
void WriteRandomModel(const std::string& path, const ModelShape& shape, GgmlType type, uint64_t seed,
                      const std::string& vocab_path);

}  // namespace ingot::test
