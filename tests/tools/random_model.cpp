#include "tests/tools/random_model.h"

#include <cstring>
#include <vector>

#include "model_io/error.h"

namespace ingot::test {

namespace {

uint64_t SplitMix(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Fills n_bytes of a tensor of `type` with random values in [-0.05, 0.05].
void FillRandom(GgmlType type, uint64_t seed, uint8_t* dst, uint64_t n_bytes) {
  uint64_t state = seed;
  auto uniform = [&] { return static_cast<float>(static_cast<double>(SplitMix(state) >> 11) * 0x1.0p-53 * 0.1 - 0.05); };
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
      const uint16_t d = FloatToHalf(0.05f / 127.0f);
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

}  // namespace

ModelShape ShapeByName(const std::string& name) {
  if (name == "tinyllama") return {name, "llama", 2048, 22, 32, 4, 5632, 32000, 2048};
  if (name == "llama-7b") return {name, "llama", 4096, 32, 32, 32, 11008, 32000, 4096};
  if (name == "tiny") return {name, "llama", 64, 2, 4, 2, 96, 259, 64};
  if (name == "wide-heads") return {name, "llama", 2, 16, 1, 1, 4, 259, 4096, 4096};
  if (name == "gpt2-small") return {name, "gpt2", 768, 12, 12, 12, 3072, 50257, 1024};
  if (name == "tiny-gpt2") return {name, "gpt2", 64, 2, 4, 4, 128, 259, 64};
  throw Error("unknown model shape '" + name + "' (known: tinyllama, llama-7b, tiny, wide-heads, gpt2-small, tiny-gpt2)");
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
    w.Set(a + "rope.freq_base", GgufValue::F32(10000.0f));
    w.Set(a + "rope.dimension_count", GgufValue::U32(static_cast<uint32_t>(head_dim)));
    if (s.head_dim > 0) {
      w.Set(a + "attention.key_length", GgufValue::U32(static_cast<uint32_t>(head_dim)));
      w.Set(a + "attention.value_length", GgufValue::U32(static_cast<uint32_t>(head_dim)));
    }
  }
  int32_t n_vocab = s.n_vocab;
  if (!vocab_path.empty()) {
    const std::unique_ptr<GgufFile> vocab = GgufFile::Open(vocab_path);
    for (const GgufKeyValue& kv : vocab->metadata()) {
      if (kv.key.rfind("tokenizer.", 0) == 0) w.Set(kv.key, kv.value);
    }
    n_vocab = static_cast<int32_t>(vocab->GetStringArray("tokenizer.ggml.tokens").value_or(std::vector<std::string>{}).size());
    if (n_vocab == 0) throw Error(vocab_path + ": has no tokenizer.ggml.tokens");
  } else {
    // <unk>, <s>, </s>, then the 256 byte tokens: enough to encode any text.
    std::vector<std::string> tokens = {"<unk>", "<s>", "</s>"};
    std::vector<int32_t> types = {2, 3, 3};
    for (int b = 0; b < 256; ++b) {
      char piece[8];
      std::snprintf(piece, sizeof(piece), "<0x%02X>", b);
      tokens.push_back(piece);
      types.push_back(6);
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
  auto matrix = [&](const std::string& name, uint64_t cols, uint64_t rows) {
    const uint64_t this_seed = SplitMix(tensor_seed);
    w.AddTensor(name, type, {cols, rows}, [type, this_seed](uint8_t* dst, uint64_t n) { FillRandom(type, this_seed, dst, n); });
  };
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
  for (int32_t l = 0; l < s.n_layers; ++l) {
    const std::string p = "blk." + std::to_string(l) + ".";
    ones(p + "attn_norm.weight", d);
    matrix(p + "attn_q.weight", d, q);
    matrix(p + "attn_k.weight", d, kv);
    matrix(p + "attn_v.weight", d, kv);
    matrix(p + "attn_output.weight", q, d);
    ones(p + "ffn_norm.weight", d);
    matrix(p + "ffn_gate.weight", d, ffn);
    matrix(p + "ffn_up.weight", d, ffn);
    matrix(p + "ffn_down.weight", ffn, d);
  }
  ones("output_norm.weight", d);
  matrix("output.weight", d, static_cast<uint64_t>(n_vocab));
  w.Write(path);
}

}  // namespace ingot::test
