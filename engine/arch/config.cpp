#include "engine/arch/config.h"

#include <cmath>

#include "model_io/error.h"

namespace ingot {

namespace {

// The keys under "<arch>.": ReadGgufConfig reads them, ConfigKeys writes them.
enum Key {
  kContextLength, kEmbeddingLength, kBlockCount, kFeedForwardLength, kHeadCount, kHeadCountKv, kKeyLength,
  kLayerNormEps, kRmsNormEps, kRopeFreqBase, kRopeDims, kVocabSize, kSlidingWindow, kRopeScalingType,
  kRopeScalingFactor,
};
constexpr const char* kKeyNames[] = {
    "context_length", "embedding_length", "block_count", "feed_forward_length", "attention.head_count",
    "attention.head_count_kv", "attention.key_length", "attention.layer_norm_epsilon",
    "attention.layer_norm_rms_epsilon", "rope.freq_base", "rope.dimension_count", "vocab_size",
    "attention.sliding_window", "rope.scaling.type", "rope.scaling.factor",
};

// "<arch>.<key>".
std::string KeyOf(const ModelConfig& c, Key key) { return c.arch + "." + kKeyNames[key]; }

Key NormEpsKey(const ModelConfig& c) { return c.norm == NormKind::kLayer ? kLayerNormEps : kRmsNormEps; }

// A config with the architecture's kinds and nothing else yet.
ModelConfig ConfigOf(const Architecture& arch) {
  ModelConfig c;
  static_cast<ArchKinds&>(c) = arch.kinds;
  c.arch = arch.name;
  return c;
}

}  // namespace

int32_t CheckedDim(const std::string& path, const std::string& key, int64_t value, int64_t max) {
  if (value <= 0 || value > max) {
    throw Error(path + ": metadata '" + key + "' = " + std::to_string(value) + " is out of range");
  }
  return static_cast<int32_t>(value);
}

ModelConfig ReadGgufConfig(const GgufFile& g) {
  const std::string& path = g.path();
  const std::string arch_name = g.RequireString("general.architecture");
  const Architecture* arch = FindArchitecture(arch_name);
  if (arch == nullptr) {
    throw Error(path + ": unknown architecture '" + arch_name + "' (supported: " + SupportedArchitectures() + ")");
  }
  ModelConfig c = ConfigOf(*arch);
  // A required key, or an optional one with its default.
  auto dim = [&](Key key, int64_t max, std::optional<int64_t> fallback = std::nullopt) {
    const std::string name = KeyOf(c, key);
    return CheckedDim(path, name, fallback ? g.GetInt(name).value_or(*fallback) : g.RequireInt(name), max);
  };
  c.d_model = dim(kEmbeddingLength, 1 << 24);
  c.n_layers = dim(kBlockCount, 4096);
  c.n_heads = dim(kHeadCount, 4096);
  c.n_kv_heads = dim(kHeadCountKv, 4096, c.n_heads);
  c.d_ffn = dim(kFeedForwardLength, 1 << 24);
  c.n_ctx_train = dim(kContextLength, kMaxContextLength);
  if (c.d_model % c.n_heads != 0) {
    throw Error(path + ": invalid model configuration: embedding_length " + std::to_string(c.d_model) +
                " is not a multiple of head_count " + std::to_string(c.n_heads));
  }
  c.head_dim = dim(kKeyLength, 1 << 16, c.d_model / c.n_heads);
  c.norm_eps = static_cast<float>(g.GetFloat(KeyOf(c, NormEpsKey(c))).value_or(1e-5));
  if (c.learned_positions) {
    c.rope_dims = 0;
  } else {
    c.rope_base = static_cast<float>(g.GetFloat(KeyOf(c, kRopeFreqBase)).value_or(10000.0));
    c.rope_dims = dim(kRopeDims, 1 << 16, c.head_dim);
  }
  if (c.swa_pattern > 0) {
    c.sliding_window = dim(kSlidingWindow, kMaxContextLength);
    if (c.sliding_window > c.n_ctx_train) {
      throw Error(path + ": metadata '" + KeyOf(c, kSlidingWindow) + "' = " + std::to_string(c.sliding_window) +
                  " is larger than the context (" + KeyOf(c, kContextLength) + " = " + std::to_string(c.n_ctx_train) + ")");
    }
    c.rope_base_local = 10000.0f;  // Gemma 3's local layers, as llama.cpp fixes it
  }
  if (const auto type = g.GetString(KeyOf(c, kRopeScalingType)); type && *type != "none") {
    if (*type != "linear") {
      throw Error(path + ": metadata '" + KeyOf(c, kRopeScalingType) + "' = '" + *type + "' is not supported (only linear)");
    }
    c.rope_scale = static_cast<float>(g.GetFloat(KeyOf(c, kRopeScalingFactor)).value_or(1.0));
    if (!(c.rope_scale >= 1.0f) || !std::isfinite(c.rope_scale)) {
      throw Error(path + ": metadata '" + KeyOf(c, kRopeScalingFactor) + "' = " + std::to_string(c.rope_scale) +
                  " is out of range");
    }
  }
  return c;
}

ModelConfig Llama2cModelConfig(const Llama2cConfig& l) {
  ModelConfig c = ConfigOf(*FindArchitecture("llama"));
  c.d_model = l.dim;
  c.n_layers = l.n_layers;
  c.n_heads = l.n_heads;
  c.n_kv_heads = l.n_kv_heads;
  c.head_dim = l.dim / l.n_heads;
  c.d_ffn = l.hidden_dim;
  c.n_vocab = l.vocab_size;
  c.n_ctx_train = l.seq_len;
  c.norm_eps = 1e-5f;  // llama2.c's run.c
  c.rope_base = 10000.0f;
  c.rope_dims = c.head_dim;
  return c;
}

void ValidateConfig(const std::string& path, const ModelConfig& c) {
  auto fail = [&](const std::string& what) { throw Error(path + ": invalid model configuration: " + what); };
  if (c.n_heads % c.n_kv_heads != 0) fail("head_count " + std::to_string(c.n_heads) + " is not a multiple of head_count_kv " + std::to_string(c.n_kv_heads));
  if (c.rope_dims > 0 && c.head_dim % 2 != 0) fail("head dimension " + std::to_string(c.head_dim) + " is odd");
  if (c.rope_dims % 2 != 0 || c.rope_dims > c.head_dim) fail("rope.dimension_count " + std::to_string(c.rope_dims) + " does not fit head dimension " + std::to_string(c.head_dim));
  if (!(c.norm_eps > 0.0f) || !(c.norm_eps < 1.0f)) fail("norm epsilon " + std::to_string(c.norm_eps) + " is out of range");
  if (!(c.rope_base > 1.0f) || !std::isfinite(c.rope_base)) {
    fail("rope.freq_base " + std::to_string(c.rope_base) + " is out of range");
  }
}

std::string VocabSizeKey(const ModelConfig& c) { return KeyOf(c, kVocabSize); }

std::vector<GgufKeyValue> ConfigKeys(const ModelConfig& c) {
  const auto u32 = [](int32_t v) { return GgufValue::U32(static_cast<uint32_t>(v)); };
  std::vector<GgufKeyValue> keys = {
      {KeyOf(c, kVocabSize), u32(c.n_vocab)},
      {KeyOf(c, kContextLength), u32(c.n_ctx_train)},
      {KeyOf(c, kEmbeddingLength), u32(c.d_model)},
      {KeyOf(c, kBlockCount), u32(c.n_layers)},
      {KeyOf(c, kFeedForwardLength), u32(c.d_ffn)},
      {KeyOf(c, kHeadCount), u32(c.n_heads)},
      {KeyOf(c, kHeadCountKv), u32(c.n_kv_heads)},
      {KeyOf(c, NormEpsKey(c)), GgufValue::F32(c.norm_eps)},
  };
  if (c.rope_dims > 0) {
    keys.push_back({KeyOf(c, kRopeFreqBase), GgufValue::F32(c.rope_base)});
    keys.push_back({KeyOf(c, kRopeDims), u32(c.rope_dims)});
  }
  if (c.head_dim != c.d_model / c.n_heads) keys.push_back({KeyOf(c, kKeyLength), u32(c.head_dim)});
  if (c.sliding_window > 0) keys.push_back({KeyOf(c, kSlidingWindow), u32(c.sliding_window)});
  if (c.rope_scale != 1.0f) {
    keys.push_back({KeyOf(c, kRopeScalingType), GgufValue::String("linear")});
    keys.push_back({KeyOf(c, kRopeScalingFactor), GgufValue::F32(c.rope_scale)});
  }
  return keys;
}

}  // namespace ingot
