// The architectures and their tensors: the one place in the engine where tensor names are
// written (model_io/llama2c.cpp maps the llama2.c layout onto the same GGUF names).
#include "engine/arch/architecture.h"

#include "engine/quant/int8_model.h"
#include "model_io/error.h"

namespace ingot {

namespace {

constexpr Architecture kArchitectures[] = {
    // Llama 2 layout (also llama2.c checkpoints): RMSNorm, SwiGLU, RoPE, no biases.
    {"llama", {}},
    // GPT-2 (llama.cpp's LLM_ARCH_GPT2): LayerNorm with bias, a bias on every layer matrix,
    // learned absolute positions instead of RoPE, a GELU feed-forward without a gate.
    {"gpt2", {.norm = NormKind::kLayer, .ffn = FfnKind::kGelu, .learned_positions = true, .linear_bias = true}},
    // Qwen 2 / 2.5 (llama.cpp's LLM_ARCH_QWEN2): the llama layout with biases on q, k and v, and
    // GPT-NeoX RoPE.
    {"qwen2", {.qkv_bias = true, .rope_neox = true}},
    // Qwen 3 (LLM_ARCH_QWEN3): no biases; every query and key head RMSNormed before RoPE (NeoX).
    {"qwen3", {.qk_norm = true, .rope_neox = true}},
    // Phi-3 / Phi-3.5 (LLM_ARCH_PHI3): the llama block with q, k, v in one attn_qkv, gate and up
    // in one ffn_up ([gate; up]), and NeoX RoPE.
    {"phi3", {.rope_neox = true, .fused_gate_up = true}},
    // Gemma 3 (LLM_ARCH_GEMMA3): the embedding times sqrt(d_model); q/k norms; each branch
    // RMSNormed again before the residual add; GeGLU; NeoX RoPE; five sliding-window layers
    // (RoPE base 10000) for each global one. llama.cpp's converter has already added Gemma's 1
    // to every norm weight.
    {"gemma3",
     {.ffn = FfnKind::kGeGlu, .qk_norm = true, .rope_neox = true, .embed_scale = true, .post_norms = true, .swa_pattern = 6}},
};

using L = LayerWeights;
using I = Int8Layer;

constexpr GlobalMatrix kInputs[] = {
    {"token_embd", Dim::kNVocab, Dim::kDModel, Presence::kAlways, &FloatWeights::token_embd, &Int8Weights::token_embd},
    {"position_embd", Dim::kNCtxTrain, Dim::kDModel, Presence::kLearnedPositions, &FloatWeights::position_embd,
     &Int8Weights::position_embd},
};

constexpr GlobalVector kGlobalVectors[] = {
    {"rope_freqs", Dim::kRopePairs, Presence::kOptionalRope, &FloatWeights::rope_freqs},
};

constexpr LayerVector kAttentionVectors[] = {
    {"attn_q_norm", Dim::kHeadDim, Presence::kQkNorm, &L::attn_q_norm, &I::attn_q_norm},
    {"attn_k_norm", Dim::kHeadDim, Presence::kQkNorm, &L::attn_k_norm, &I::attn_k_norm},
    {"post_attention_norm", Dim::kDModel, Presence::kPostNorms, &L::attn_post_norm, &I::attn_post_norm},
};

constexpr LayerVector kFeedForwardVectors[] = {
    {"post_ffw_norm", Dim::kDModel, Presence::kPostNorms, &L::ffn_post_norm, &I::ffn_post_norm},
};

constexpr LayerMatrix kAttention[] = {
    {"attn_q", Dim::kQDim, Dim::kDModel, Presence::kAlways, &L::attn_q, &I::attn_q, &L::attn_q_bias, &I::attn_q_bias},
    {"attn_k", Dim::kKvDim, Dim::kDModel, Presence::kAlways, &L::attn_k, &I::attn_k, &L::attn_k_bias, &I::attn_k_bias},
    {"attn_v", Dim::kKvDim, Dim::kDModel, Presence::kAlways, &L::attn_v, &I::attn_v, &L::attn_v_bias, &I::attn_v_bias},
    {"attn_output", Dim::kDModel, Dim::kQDim, Presence::kAlways, &L::attn_output, &I::attn_output, &L::attn_output_bias,
     &I::attn_output_bias},
};

constexpr LayerMatrix kFeedForward[] = {
    {"ffn_gate", Dim::kDFfn, Dim::kDModel, Presence::kGatedFfn, &L::ffn_gate, &I::ffn_gate},
    {"ffn_up", Dim::kDFfn, Dim::kDModel, Presence::kAlways, &L::ffn_up, &I::ffn_up, &L::ffn_up_bias, &I::ffn_up_bias},
    {"ffn_down", Dim::kDModel, Dim::kDFfn, Presence::kAlways, &L::ffn_down, &I::ffn_down, &L::ffn_down_bias,
     &I::ffn_down_bias},
};

constexpr Sublayer kSublayers[] = {
    {{"attn_norm", &L::attn_norm, &L::attn_norm_bias, &I::attn_norm}, kAttentionVectors, kAttention},
    {{"ffn_norm", &L::ffn_norm, &L::ffn_norm_bias, &I::ffn_norm}, kFeedForwardVectors, kFeedForward},
};

constexpr const LayerMatrix* kQkvParts[] = {&kAttention[0], &kAttention[1], &kAttention[2]};
constexpr const LayerMatrix* kGateUpParts[] = {&kFeedForward[0], &kFeedForward[1]};
constexpr FusedMatrix kFused[] = {
    {"attn_qkv", kQkvParts},
    {"ffn_up", kGateUpParts, /*gate_up=*/true},
};

constexpr TensorTable kTable = {
    kInputs,
    kGlobalVectors,
    kSublayers,
    {"output_norm", &FloatWeights::output_norm, &FloatWeights::output_norm_bias, &Int8Weights::output_norm},
    {"output", Dim::kNVocab, Dim::kDModel, Presence::kTiedWhenAbsent, &FloatWeights::output, &Int8Weights::output_storage},
    kFused,
};

}  // namespace

const Architecture* FindArchitecture(std::string_view name) {
  for (const Architecture& a : kArchitectures) {
    if (name == a.name) return &a;
  }
  return nullptr;
}

std::string SupportedArchitectures() {
  std::string names;
  for (const Architecture& a : kArchitectures) names += (names.empty() ? "" : ", ") + std::string(a.name);
  return names;
}

int64_t DimSize(const ModelConfig& c, Dim dim) {
  switch (dim) {
    case Dim::kOne: return 1;
    case Dim::kDModel: return c.d_model;
    case Dim::kQDim: return c.q_dim();
    case Dim::kKvDim: return c.kv_dim();
    case Dim::kDFfn: return c.d_ffn;
    case Dim::kNVocab: return c.n_vocab;
    case Dim::kNCtxTrain: return c.n_ctx_train;
    case Dim::kHeadDim: return c.head_dim;
    case Dim::kRopePairs: return c.rope_dims / 2;
  }
  return 0;
}

bool IsPresent(Presence presence, const ModelConfig& c) {
  switch (presence) {
    case Presence::kAlways: case Presence::kTiedWhenAbsent: return true;
    case Presence::kGatedFfn: return c.gated_ffn();
    case Presence::kLearnedPositions: return c.learned_positions;
    case Presence::kQkNorm: return c.qk_norm;
    case Presence::kPostNorms: return c.post_norms;
    case Presence::kOptionalRope: return c.rope_dims > 0;
  }
  return false;
}

void CheckRopeFactors(const std::string& path, const std::string& name, const std::vector<float>& factors) {
  for (size_t i = 0; i < factors.size(); ++i) {
    if (!(factors[i] >= 1.0f)) {
      throw Error(path + ": tensor '" + name + "' holds " + std::to_string(factors[i]) + " at " + std::to_string(i) +
                  " (RoPE frequency factors must be at least 1)");
    }
  }
}

const TensorTable& Tensors() { return kTable; }

bool IsQkvPart(const LayerMatrix& m) {
  for (const LayerMatrix* part : kQkvParts) {
    if (part == &m) return true;
  }
  return false;
}

std::string TensorName(int32_t layer, const char* name, const char* suffix) {
  std::string full = layer < 0 ? std::string() : "blk." + std::to_string(layer) + ".";
  return full + name + suffix;
}

}  // namespace ingot
