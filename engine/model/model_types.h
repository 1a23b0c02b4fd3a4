// The plain types of a model that everything else builds on: its configuration (dimensions and
// the architecture's kinds), weight views into a file, and the float weights of a whole model.
// A leaf: it includes nothing of the engine.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model_io/gguf.h"

namespace ingot {

// How a block normalizes, and which feed-forward it runs: the architectures differ in data
// (engine/arch/architecture.h says which has which).
enum class NormKind {
  kRms,    // x / rms(x) * w (llama)
  kLayer,  // (x - mean) / std(x) * w + b (gpt2)
};
enum class FfnKind {
  kSwiGlu,  // down(silu(gate x) * up x) (llama)
  kGelu,    // down(gelu(up x + b_up)) + b_down, tanh-approximated GELU (gpt2)
  kGeGlu,   // down(gelu(gate x) * up x), tanh-approximated GELU (gemma3)
};

// What an architecture is made of: engine/arch/architecture.cpp gives each its kinds, and
// every ModelConfig starts from its architecture's.
struct ArchKinds {
  NormKind norm = NormKind::kRms;
  FfnKind ffn = FfnKind::kSwiGlu;
  bool learned_positions = false;  // position_embd is added to the token embedding (gpt2)
  bool linear_bias = false;        // every matrix but token_embd and output adds a bias (gpt2)
  bool qkv_bias = false;           // attn_q, attn_k and attn_v add a bias (qwen2)
  bool qk_norm = false;            // each query and key head is RMSNormed before RoPE (qwen3)
  bool rope_neox = false;          // RoPE rotates (x[i], x[i + rope_dims/2]) pairs, GPT-NeoX style
  bool fused_gate_up = false;      // the file's ffn_up holds [ffn_gate; ffn_up] (phi3)
  bool embed_scale = false;        // the embedding is multiplied by sqrt(d_model) (gemma3)
  bool post_norms = false;         // each branch is RMSNormed again before the residual add (gemma3)
  int32_t swa_pattern = 0;         // with a sliding window: every swa_pattern-th layer is global
};

struct ModelConfig : ArchKinds {
  std::string arch;        // "llama", "gpt2", "qwen2", "qwen3", "phi3", "gemma3"
  // Sliding-window attention (gemma3): in every layer but each swa_pattern-th, a position sees
  // only the sliding_window positions up to itself, with RoPE base rope_base_local; the other
  // (global) layers see everything, with rope_base and frequencies divided by rope_scale.
  int32_t sliding_window = 0;      // 0: every layer is global
  float rope_base_local = 10000.0f;
  float rope_scale = 1.0f;         // linear RoPE scaling of the global layers
  int32_t d_model = 0;
  int32_t n_layers = 0;
  int32_t n_heads = 0;
  int32_t n_kv_heads = 0;
  int32_t head_dim = 0;
  int32_t d_ffn = 0;
  int32_t n_vocab = 0;
  int32_t n_ctx_train = 0;  // the longest context the model was trained for
  float norm_eps = 1e-5f;
  float rope_base = 10000.0f;
  int32_t rope_dims = 0;    // leading dims of each head that RoPE rotates; 0: no RoPE

  int32_t q_dim() const { return n_heads * head_dim; }
  bool gated_ffn() const { return ffn != FfnKind::kGelu; }
  // Whether layer l attends through the sliding window.
  bool local_layer(int32_t l) const { return sliding_window > 0 && (l + 1) % swa_pattern != 0; }
  // The first position a query at pos sees in layer l: pos - sliding_window + 1 in a
  // sliding-window layer (as llama.cpp masks), else 0.
  int32_t first_visible(int32_t l, int32_t pos) const {
    return local_layer(l) && pos >= sliding_window ? pos - sliding_window + 1 : 0;
  }
  int32_t kv_dim() const { return n_kv_heads * head_dim; }
};

// A weight matrix [rows][cols] (a vector has rows == 1), row-major, in its file type.
struct Weight {
  const GgufTensorInfo* info = nullptr;
  GgmlType type = GgmlType::kF32;
  int64_t rows = 0;
  int64_t cols = 0;
  uint64_t row_bytes = 0;
  const uint8_t* data = nullptr;

  const uint8_t* Row(int64_t r) const { return data + static_cast<uint64_t>(r) * row_bytes; }
  // Rows [first, first + n) as a weight of their own (a part of a fused matrix).
  Weight RowRange(int64_t first, int64_t n) const {
    Weight part = *this;
    part.rows = n;
    part.data = Row(first);
    return part;
  }
};

// A bias vector is empty when the architecture has none (llama). gpt2's fused attn_qkv tensor
// is bound as three row ranges, so attn_q/k/v (and their biases) read the same for both.
struct LayerWeights {
  std::vector<float> attn_norm;         // [d_model]
  std::vector<float> attn_norm_bias;    // [d_model] LayerNorm only
  std::vector<float> attn_q_norm;       // [head_dim] qk_norm only: every query head's RMSNorm
  std::vector<float> attn_k_norm;       // [head_dim] qk_norm only: every key head's RMSNorm
  Weight attn_q;                        // [q_dim, d_model]
  Weight attn_k;                        // [kv_dim, d_model]
  Weight attn_v;                        // [kv_dim, d_model]
  std::vector<float> attn_q_bias;       // [q_dim]
  std::vector<float> attn_k_bias;       // [kv_dim]
  std::vector<float> attn_v_bias;       // [kv_dim]
  Weight attn_output;                   // [d_model, q_dim]
  std::vector<float> attn_output_bias;  // [d_model]
  std::vector<float> attn_post_norm;    // [d_model] post_norms only: the attention branch's RMSNorm
  std::vector<float> ffn_norm;          // [d_model]
  std::vector<float> ffn_norm_bias;     // [d_model] LayerNorm only
  Weight ffn_gate;                      // [d_ffn, d_model] SwiGLU only
  Weight ffn_up;                        // [d_ffn, d_model]
  std::vector<float> ffn_up_bias;       // [d_ffn]
  Weight ffn_down;                      // [d_model, d_ffn]
  std::vector<float> ffn_down_bias;     // [d_model]
  std::vector<float> ffn_post_norm;     // [d_model] post_norms only: the feed-forward branch's RMSNorm
};

// A model's float weights: matrices are views into the file (in its type), norm weights and
// biases are float vectors. An int8 file written by quantize has only the vectors.
struct FloatWeights {
  Weight token_embd;                    // [n_vocab, d_model]
  Weight position_embd;                 // [n_ctx_train, d_model]; learned_positions only
  std::vector<LayerWeights> layers;     // [n_layers]
  std::vector<float> output_norm;       // [d_model]
  std::vector<float> output_norm_bias;  // [d_model] LayerNorm only
  Weight output;                        // [n_vocab, d_model]; token_embd when tied
  std::vector<float> rope_freqs;        // [rope_dims / 2] frequency divisors (Llama 3.1+); empty: none

  bool tied_output() const { return output.data == token_embd.data; }
};

// How a session computes: the FP32 reference path, or the integer-only path.
enum class Mode { kFp32, kInt8 };
const char* ModeName(Mode mode);
bool ParseMode(const std::string& name, Mode* mode);

}  // namespace ingot
