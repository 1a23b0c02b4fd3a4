// Random-weight GGUF files of real shapes (llama and gpt2 architectures), written with ingot's
// own GGUF writer: they test the loader and measure speed on shapes no real checkpoint here has.
#pragma once

#include <cstdint>
#include <string>

#include "model_io/gguf.h"

namespace ingot::test {

struct ModelShape {
  std::string name;
  std::string arch;  // "llama", "gpt2", "qwen2", "qwen3", "phi3" or "gemma3"
  int32_t d_model = 0, n_layers = 0, n_heads = 0, n_kv_heads = 0, d_ffn = 0, n_vocab = 0, n_ctx = 0;
  int32_t head_dim = 0;        // attention.key_length when set (0: d_model / n_heads)
  std::string vocab;           // models/vocab/ggml-vocab-<vocab>.gguf to take the tokenizer from; "" made up
  float rope_base = 10000.0f;
  bool rope_freqs = false;     // Llama 3.1's frequency factors (factor 8 over an 8192 context)
  bool tied = false;           // no output.weight (llama family; gpt2 is always tied)
  double weight_scale = 0.05;  // matrices uniform in [-scale, scale]
  double embed_scale = 0.0;    // token_embd uniform in [-embed_scale, embed_scale]; 0: weight_scale
  bool random_vectors = false; // norm weights uniform in [0.5, 1.5] and biases in [-scale, scale], not 1 and 0
  int32_t sliding_window = 0;  // gemma3: attention.sliding_window
  float rope_scale = 1.0f;     // linear RoPE scaling (rope.scaling.factor) when above 1
};

// Real shapes with their real metadata: "tinyllama" (TinyLlama-1.1B), "llama-7b",
// "llama3.2-1b", "smollm2-135m", "qwen2.5-0.5b", "qwen3-0.6b", "phi3-mini", "gemma3-270m",
// "gpt2-small" (GPT-2 124M); test shapes of a few MB: "tiny", "tiny-gpt2", and "tiny-llama3",
// "tiny-smollm2", "tiny-qwen2", "tiny-qwen3", "tiny-phi3", "tiny-gemma3" (the real vocabulary, weights large enough that the output is far from uniform
// (matrices in [-0.3, 0.3], the embedding in [-5, 5]), random norms and biases); "wide-heads" (a 1 MB F16 file whose 4096-wide heads ask for a 2 GB
// FP32 KV cache: the memory tests).
ModelShape ShapeByName(const std::string& name);

// Writes a model of that shape, with llama.cpp's metadata keys and tensor names for its
// architecture. Matrices are uniform in [-weight_scale, weight_scale] (Q8_0: random int8 with
// one block scale), norms and biases as the shape says. With vocab_path (or the shape's vocab,
// looked up under models/ and ../shared/models/), the tokenizer.ggml.* keys and the vocab size
// come from that GGUF file, else a tiny byte-level SPM vocabulary is made up. gpt2 follows
// llama.cpp's layout: position_embd, fused attn_qkv, biases, no output.weight.
void WriteRandomModel(const std::string& path, const ModelShape& shape, GgmlType type, uint64_t seed,
                      const std::string& vocab_path);

}  // namespace ingot::test
