// Random-weight Llama-architecture GGUF files of real shapes, written with ingot's own GGUF
// writer: they test the loader and measure speed on shapes no real checkpoint here has.
#pragma once

#include <cstdint>
#include <string>

#include "model_io/gguf.h"

namespace ingot::test {

struct LlamaShape {
  std::string name;
  int32_t d_model, n_layers, n_heads, n_kv_heads, d_ffn, n_vocab, n_ctx;
};

// "tinyllama" (TinyLlama-1.1B), "llama-7b", "tiny" (a few-KB model for unit tests).
LlamaShape ShapeByName(const std::string& name);

// Writes a model of that shape. Matrices are uniform in [-0.05, 0.05] (Q8_0: random int8 with
// one block scale), norms are 1. With vocab_path, the tokenizer.ggml.* keys (and the vocab size)
// come from that GGUF file, else a tiny byte-level SPM vocabulary is made up.
void WriteRandomLlama(const std::string& path, const LlamaShape& shape, GgmlType type, uint64_t seed,
                      const std::string& vocab_path);

}  // namespace ingot::test
