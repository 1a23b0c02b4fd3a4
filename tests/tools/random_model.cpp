#include "tests/tools/random_model.h"

#include <cmath>
#include <cstring>
#include <fstream>
#include <vector>

#include "model_io/error.h"

#ifndef INGOT_SOURCE_DIR
#define INGOT_SOURCE_DIR "."
#endif

namespace ingot::test {

namespace {

uint64_t SplitMix(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Fills n_bytes of a tensor of `type` with random values in [-scale, scale].
void FillRandom(GgmlType type, uint64_t seed, double scale, uint8_t* dst, uint64_t n_bytes) {
  uint64_t state = seed;
  auto uniform = [&] { return static_cast<float>(static_cast<double>(SplitMix(state) >> 11) * 0x1.0p-53 * (2 * scale) - scale); };
  switch (type) {
    case GgmlType::kF32:
      for (uint64_t i = 0; i < n_bytes / 4; ++i) {
        const float v = uniform();
        std::memcpy(dst + 4 * i, &v, 4);
      }
      break;
    case GgmlType::kF16:
      for (uint64_t i = 0; i < n_bytes / 2; ++i) {
        const uint16_t h = FloatToHalf(uniform());
        std::memcpy(dst + 2 * i, &h, 2);
      }
      break;
    case GgmlType::kQ8_0: {
      const uint16_t d = FloatToHalf(static_cast<float>(scale) / 127.0f);
      for (uint64_t block = 0; block < n_bytes / 34; ++block) {
        uint8_t* b = dst + 34 * block;
        std::memcpy(b, &d, 2);
        for (int i = 0; i < 32; i += 8) {
          const uint64_t r = SplitMix(state);
          for (int k = 0; k < 8; ++k) b[2 + i + k] = static_cast<uint8_t>(static_cast<int8_t>(static_cast<int>((r >> (8 * k)) % 255) - 127));
        }
      }
      break;
    }
    default:
      throw Error(std::string("random models support F32, F16 and Q8_0, not ") + GgmlTypeName(type));
  }
}

// Llama 3.1's RoPE frequency factors (its rope_scaling: factor 8, low and high frequency
// factors 1 and 4, an original context of 8192), as llama.cpp's converter writes them: the
// divisor of each pair's frequency.
std::vector<float> Llama31RopeFactors(int32_t rope_dims, float base) {
  constexpr double kFactor = 8.0, kLow = 1.0, kHigh = 4.0, kOldContext = 8192.0;
  std::vector<float> factors;
  for (int32_t i = 0; i < rope_dims / 2; ++i) {
    const double freq = std::pow(static_cast<double>(base), -2.0 * i / rope_dims);
    const double wavelen = 2.0 * 3.141592653589793 / freq;
    double f = 1.0;
    if (wavelen > kOldContext / kLow) {
      f = kFactor;
    } else if (wavelen >= kOldContext / kHigh) {
      const double smooth = (kOldContext / wavelen - kLow) / (kHigh - kLow);
      f = 1.0 / ((1.0 - smooth) / kFactor + smooth);
    }
    factors.push_back(static_cast<float>(f));
  }
  return factors;
}

std::string FindVocab(const std::string& name) {
  const std::string file = "models/vocab/ggml-vocab-" + name + ".gguf";
  for (const std::string& root : {std::string("."), std::string(INGOT_SOURCE_DIR), std::string(INGOT_SOURCE_DIR) + "/../shared"}) {
    const std::string candidate = root + "/" + file;
    if (std::ifstream(candidate).good()) return candidate;
  }
  throw Error("the vocabulary " + file + " is in neither ./ nor ../shared/ (or give --vocab)");
}

}  // namespace

ModelShape Dims(const std::string& name, const std::string& arch, int32_t d_model, int32_t n_layers, int32_t n_heads,
                int32_t n_kv_heads, int32_t d_ffn, int32_t n_vocab, int32_t n_ctx, int32_t head_dim = 0) {
  ModelShape s;
  s.name = name;
  s.arch = arch;
  s.d_model = d_model;
  s.n_layers = n_layers;
  s.n_heads = n_heads;
  s.n_kv_heads = n_kv_heads;
  s.d_ffn = d_ffn;
  s.n_vocab = n_vocab;
  s.n_ctx = n_ctx;
  s.head_dim = head_dim;
  return s;
}

ModelShape ShapeByName(const std::string& name) {
  // A test shape: d_model 64, two layers, 4 heads over 2 KV heads, a real vocabulary.
  const auto tiny = [&](const std::string& arch, const std::string& vocab, float rope_base) {
    ModelShape s = Dims(name, arch, 64, 2, 4, 2, 128, 0, 512);
    s.vocab = vocab;
    s.rope_base = rope_base;
    s.tied = true;
    s.weight_scale = 0.3;
    // An embedding larger than the layers' outputs keeps each token's own direction in the
    // residual stream, so the top logits stand apart (as in trained models) instead of being
    // a near tie among 150k random rows: int8 vs FP32 top-1 then measures the integer path,
    // not the ties. About half of the top-1 tokens are then the input token itself.
    s.embed_scale = 5.0;
    s.random_vectors = true;
    return s;
  };
  const auto real = [&](ModelShape s, const std::string& vocab, float rope_base, bool tied) {
    s.vocab = vocab;
    s.rope_base = rope_base;
    s.tied = tied;
    return s;
  };
  if (name == "tinyllama") return Dims(name, "llama", 2048, 22, 32, 4, 5632, 32000, 2048);
  if (name == "llama-7b") return Dims(name, "llama", 4096, 32, 32, 32, 11008, 32000, 4096);
  if (name == "tiny") return Dims(name, "llama", 64, 2, 4, 2, 96, 259, 64);
  if (name == "wide-heads") return Dims(name, "llama", 2, 16, 1, 1, 4, 259, 4096, 4096);
  if (name == "gpt2-small") return Dims(name, "gpt2", 768, 12, 12, 12, 3072, 50257, 1024);
  if (name == "tiny-gpt2") return Dims(name, "gpt2", 64, 2, 4, 4, 128, 259, 64);
  if (name == "llama3.2-1b") {
    ModelShape s = real(Dims(name, "llama", 2048, 16, 32, 8, 8192, 0, 131072, 64), "llama-bpe", 500000.0f, true);
    s.rope_freqs = true;
    return s;
  }
  if (name == "smollm2-135m") return real(Dims(name, "llama", 576, 30, 9, 3, 1536, 0, 8192, 64), "starcoder", 100000.0f, true);
  if (name == "qwen2.5-0.5b") return real(Dims(name, "qwen2", 896, 24, 14, 2, 4864, 0, 32768, 64), "qwen2", 1000000.0f, true);
  if (name == "phi3-mini") return real(Dims(name, "phi3", 3072, 32, 32, 32, 8192, 0, 4096, 96), "phi-3", 10000.0f, false);
  if (name == "qwen3-0.6b") return real(Dims(name, "qwen3", 1024, 28, 16, 8, 3072, 0, 40960, 128), "qwen2", 1000000.0f, true);
  if (name == "tiny-llama3") {
    ModelShape s = tiny("llama", "llama-bpe", 500000.0f);
    s.rope_freqs = true;
    return s;
  }
  if (name == "tiny-smollm2") return tiny("llama", "starcoder", 100000.0f);
  if (name == "tiny-qwen2") return tiny("qwen2", "qwen2", 1000000.0f);
  if (name == "gemma3-270m") {
    // Gemma's 262,144-token vocabulary is not in ../shared: a made-up one of that size.
    ModelShape s = Dims(name, "gemma3", 640, 18, 4, 1, 2048, 262144, 32768, 256);
    s.rope_base = 1000000.0f;
    s.tied = true;
    s.sliding_window = 512;
    return s;
  }
  if (name == "tiny-gemma3") {
    // Six layers, so that one is global; a window of 16 and 4x linear RoPE scaling, to test both.
    ModelShape s = tiny("gemma3", "llama-spm", 1000000.0f);
    s.n_layers = 6;
    s.n_kv_heads = 1;
    s.head_dim = 32;
    s.sliding_window = 16;
    s.rope_scale = 4.0f;
    s.embed_scale = 0.5;  // smaller: Gemma multiplies the embedding by sqrt(d_model) itself
    return s;
  }
  if (name == "tiny-phi3") {
    ModelShape s = tiny("phi3", "phi-3", 10000.0f);
    s.n_kv_heads = s.n_heads;  // Phi-3 mini: no grouped-query attention
    s.tied = false;            // its own output matrix
    return s;
  }
  if (name == "tiny-qwen3") {
    ModelShape s = tiny("qwen3", "qwen2", 1000000.0f);
    s.head_dim = 32;  // q_dim 128 != d_model, as in the real Qwen 3
    return s;
  }
  throw Error("unknown model shape '" + name +
              "' (known: tinyllama, llama-7b, llama3.2-1b, smollm2-135m, qwen2.5-0.5b, qwen3-0.6b, phi3-mini, gemma3-270m, "
              "gpt2-small, tiny, tiny-gpt2, tiny-llama3, tiny-smollm2, tiny-qwen2, tiny-qwen3, tiny-phi3, tiny-gemma3, "
              "wide-heads)");
}

void WriteRandomModel(const std::string& path, const ModelShape& s, GgmlType type, uint64_t seed,
                      const std::string& vocab_path) {
  const bool gpt2 = s.arch == "gpt2";
  const int32_t head_dim = s.head_dim > 0 ? s.head_dim : s.d_model / s.n_heads;
  const std::string a = s.arch + ".";
  GgufWriter w;
  w.Set("general.architecture", GgufValue::String(s.arch));
  w.Set("general.name", GgufValue::String("random-" + s.name));
  w.Set(a + "context_length", GgufValue::U32(static_cast<uint32_t>(s.n_ctx)));
  w.Set(a + "embedding_length", GgufValue::U32(static_cast<uint32_t>(s.d_model)));
  w.Set(a + "block_count", GgufValue::U32(static_cast<uint32_t>(s.n_layers)));
  w.Set(a + "feed_forward_length", GgufValue::U32(static_cast<uint32_t>(s.d_ffn)));
  w.Set(a + "attention.head_count", GgufValue::U32(static_cast<uint32_t>(s.n_heads)));
  if (gpt2) {
    w.Set(a + "attention.layer_norm_epsilon", GgufValue::F32(1e-5f));
  } else {
    w.Set(a + "attention.head_count_kv", GgufValue::U32(static_cast<uint32_t>(s.n_kv_heads)));
    w.Set(a + "attention.layer_norm_rms_epsilon", GgufValue::F32(1e-5f));
    w.Set(a + "rope.freq_base", GgufValue::F32(s.rope_base));
    w.Set(a + "rope.dimension_count", GgufValue::U32(static_cast<uint32_t>(head_dim)));
    if (s.head_dim > 0) {
      w.Set(a + "attention.key_length", GgufValue::U32(static_cast<uint32_t>(head_dim)));
      w.Set(a + "attention.value_length", GgufValue::U32(static_cast<uint32_t>(head_dim)));
    }
    if (s.sliding_window > 0) w.Set(a + "attention.sliding_window", GgufValue::U32(static_cast<uint32_t>(s.sliding_window)));
    if (s.rope_scale > 1.0f) {
      w.Set(a + "rope.scaling.type", GgufValue::String("linear"));
      w.Set(a + "rope.scaling.factor", GgufValue::F32(s.rope_scale));
    }
  }
  int32_t n_vocab = s.n_vocab;
  const std::string vocab_file = !vocab_path.empty() ? vocab_path : !s.vocab.empty() ? FindVocab(s.vocab) : "";
  if (!vocab_file.empty()) {
    const std::unique_ptr<GgufFile> vocab = GgufFile::Open(vocab_file);
    for (const GgufKeyValue& kv : vocab->metadata()) {
      if (kv.key.rfind("tokenizer.", 0) == 0) w.Set(kv.key, kv.value);
    }
    n_vocab = static_cast<int32_t>(vocab->GetStringArray("tokenizer.ggml.tokens").value_or(std::vector<std::string>{}).size());
    if (n_vocab == 0) throw Error(vocab_file + ": has no tokenizer.ggml.tokens");
  } else {
    // <unk>, <s>, </s>, then the 256 byte tokens: enough to encode any text; a shape with a
    // larger vocabulary gets made-up pieces up to its size.
    std::vector<std::string> tokens = {"<unk>", "<s>", "</s>"};
    std::vector<int32_t> types = {2, 3, 3};
    for (int b = 0; b < 256; ++b) {
      char piece[8];
      std::snprintf(piece, sizeof(piece), "<0x%02X>", b);
      tokens.push_back(piece);
      types.push_back(6);
    }
    while (static_cast<int32_t>(tokens.size()) < s.n_vocab) {
      tokens.push_back("\xE2\x96\x81t" + std::to_string(tokens.size()));  // "▁t<id>"
      types.push_back(1);
    }
    n_vocab = static_cast<int32_t>(tokens.size());
    w.Set("tokenizer.ggml.model", GgufValue::String("llama"));
    w.Set("tokenizer.ggml.tokens", GgufValue::StringArray(tokens));
    w.Set("tokenizer.ggml.scores", GgufValue::F32Array(std::vector<float>(tokens.size(), 0.0f)));
    w.Set("tokenizer.ggml.token_type", GgufValue::I32Array(types));
    w.Set("tokenizer.ggml.bos_token_id", GgufValue::U32(1));
    w.Set("tokenizer.ggml.eos_token_id", GgufValue::U32(2));
    w.Set("tokenizer.ggml.unknown_token_id", GgufValue::U32(0));
  }

  const uint64_t d = static_cast<uint64_t>(s.d_model);
  const uint64_t q = static_cast<uint64_t>(head_dim) * static_cast<uint64_t>(s.n_heads);
  const uint64_t kv = static_cast<uint64_t>(head_dim) * static_cast<uint64_t>(s.n_kv_heads);
  const uint64_t ffn = static_cast<uint64_t>(s.d_ffn);
  uint64_t tensor_seed = seed;
  const double scale = s.weight_scale;
  auto matrix = [&](const std::string& name, uint64_t cols, uint64_t rows) {
    const uint64_t this_seed = SplitMix(tensor_seed);
    const double amplitude = name == "token_embd.weight" && s.embed_scale > 0.0 ? s.embed_scale : scale;
    w.AddTensor(name, type, {cols, rows},
                [type, this_seed, amplitude](uint8_t* dst, uint64_t n) { FillRandom(type, this_seed, amplitude, dst, n); });
  };
  // F32 vectors: uniform in [center - spread, center + spread].
  auto vector = [&](const std::string& name, uint64_t n, float center, double spread) {
    // Only random vectors draw a seed, so that the matrices of models with plain norms and
    // biases keep their values.
    const uint64_t this_seed = spread > 0.0 ? SplitMix(tensor_seed) : 0;
    w.AddTensor(name, GgmlType::kF32, {n}, [this_seed, center, spread](uint8_t* dst, uint64_t n_bytes) {
      FillRandom(GgmlType::kF32, this_seed, spread, dst, n_bytes);
      for (uint64_t i = 0; i < n_bytes / 4; ++i) {
        float v;
        std::memcpy(&v, dst + 4 * i, 4);
        v += center;
        std::memcpy(dst + 4 * i, &v, 4);
      }
    });
  };
  auto norm = [&](const std::string& name, uint64_t n) { vector(name, n, 1.0f, s.random_vectors ? 0.5 : 0.0); };
  auto bias = [&](const std::string& name, uint64_t n) { vector(name, n, 0.0f, s.random_vectors ? scale : 0.0); };
  auto filled = [&](const std::string& name, uint64_t n, float value) {
    w.AddTensor(name, GgmlType::kF32, {n}, [value](uint8_t* dst, uint64_t n_bytes) {
      for (uint64_t i = 0; i < n_bytes / 4; ++i) std::memcpy(dst + 4 * i, &value, 4);
    });
  };
  auto ones = [&](const std::string& name, uint64_t n) { filled(name, n, 1.0f); };
  matrix("token_embd.weight", d, static_cast<uint64_t>(n_vocab));
  if (gpt2) {
    matrix("position_embd.weight", d, static_cast<uint64_t>(s.n_ctx));
    for (int32_t l = 0; l < s.n_layers; ++l) {
      const std::string p = "blk." + std::to_string(l) + ".";
      ones(p + "attn_norm.weight", d);
      filled(p + "attn_norm.bias", d, 0.0f);
      matrix(p + "attn_qkv.weight", d, 3 * d);
      filled(p + "attn_qkv.bias", 3 * d, 0.0f);
      matrix(p + "attn_output.weight", d, d);
      filled(p + "attn_output.bias", d, 0.0f);
      ones(p + "ffn_norm.weight", d);
      filled(p + "ffn_norm.bias", d, 0.0f);
      matrix(p + "ffn_up.weight", d, ffn);
      filled(p + "ffn_up.bias", ffn, 0.0f);
      matrix(p + "ffn_down.weight", ffn, d);
      filled(p + "ffn_down.bias", d, 0.0f);
    }
    ones("output_norm.weight", d);
    filled("output_norm.bias", d, 0.0f);
    w.Write(path);  // the output matrix is tied to token_embd, as in GPT-2's files
    return;
  }
  // The llama family, in llama.cpp's names: qwen2 adds q, k, v biases, qwen3 per-head q/k norms.
  if (s.rope_freqs) {
    const std::vector<float> factors = Llama31RopeFactors(head_dim, s.rope_base);
    w.AddTensor("rope_freqs.weight", GgmlType::kF32, {factors.size()}, [factors](uint8_t* dst, uint64_t n_bytes) {
      std::memcpy(dst, factors.data(), n_bytes);
    });
  }
  for (int32_t l = 0; l < s.n_layers; ++l) {
    const std::string p = "blk." + std::to_string(l) + ".";
    norm(p + "attn_norm.weight", d);
    if (s.arch == "phi3") {
      matrix(p + "attn_qkv.weight", d, q + 2 * kv);  // q, k, v stacked, as llama.cpp writes Phi-3
    } else {
      matrix(p + "attn_q.weight", d, q);
      matrix(p + "attn_k.weight", d, kv);
      matrix(p + "attn_v.weight", d, kv);
    }
    if (s.arch == "qwen2") {
      bias(p + "attn_q.bias", q);
      bias(p + "attn_k.bias", kv);
      bias(p + "attn_v.bias", kv);
    }
    if (s.arch == "qwen3" || s.arch == "gemma3") {
      norm(p + "attn_q_norm.weight", static_cast<uint64_t>(head_dim));
      norm(p + "attn_k_norm.weight", static_cast<uint64_t>(head_dim));
    }
    matrix(p + "attn_output.weight", q, d);
    if (s.arch == "gemma3") norm(p + "post_attention_norm.weight", d);
    norm(p + "ffn_norm.weight", d);
    if (s.arch == "phi3") {
      matrix(p + "ffn_up.weight", d, 2 * ffn);  // gate and up stacked
    } else {
      matrix(p + "ffn_gate.weight", d, ffn);
      matrix(p + "ffn_up.weight", d, ffn);
    }
    matrix(p + "ffn_down.weight", ffn, d);
    if (s.arch == "gemma3") norm(p + "post_ffw_norm.weight", d);
  }
  norm("output_norm.weight", d);
  if (!s.tied) matrix("output.weight", d, static_cast<uint64_t>(n_vocab));
  w.Write(path);
}

}  // namespace ingot::test
