// make-fuzz-seeds DIR: the model seeds of the fuzz corpus, written deterministically (so no
// binary file is kept in the tree): micro llama and gpt2 GGUF files (F32, Q8_0), an ingot
// GGUF, a llama2.c checkpoint, and the reproducer classes of the first fuzzing round (NaN and
// Inf in biases, norms, a Q8_0 scale and the RoPE base; a 2^24-position context; wide heads;
// nested arrays). scripts/fuzz writes them into each harness's corpus.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "engine/model/model.h"
#include "engine/quant/ingot_gguf.h"
#include "model_io/gguf.h"
#include "tests/tools/random_model.h"

namespace {

using ingot::GgmlType;

// A copy of a GGUF file with one key's value set (added when new) and the first bytes of one
// tensor's data replaced.
void Rewrite(const std::string& from, const std::string& to, const std::string& key, const ingot::GgufValue* value,
             const std::string& tensor, const std::string& bytes0) {
  const auto src = ingot::GgufFile::Open(from);
  ingot::GgufWriter w;
  for (const ingot::GgufKeyValue& kv : src->metadata()) w.Set(kv.key, kv.key == key && value ? *value : kv.value);
  if (value != nullptr && src->Find(key) == nullptr) w.Set(key, *value);
  std::vector<uint8_t> patched;
  for (const ingot::GgufTensorInfo& t : src->tensors()) {
    const uint8_t* data = src->TensorData(t);
    if (t.name == tensor) {
      patched.assign(data, data + t.n_bytes);
      std::memcpy(patched.data(), bytes0.data(), bytes0.size());
      data = patched.data();
    }
    w.AddTensor(t.name, t.type, t.dims, data);
  }
  w.Write(to);
}

std::string FloatBytes(float f) { return std::string(reinterpret_cast<const char*>(&f), sizeof(f)); }

// A llama2.c checkpoint (version 0) of dim 8, 1 layer, 2 heads, vocab 512 (stories260K's
// tokenizer), seq_len 16, shared classifier; weights small and deterministic.
void WriteLlama2c(const std::string& path) {
  const int32_t dim = 8, hidden = 16, layers = 1, heads = 2, kv_heads = 2, vocab = 512, seq = 16;
  const int32_t header[7] = {dim, hidden, layers, heads, kv_heads, vocab, seq};
  const int64_t head_dim = dim / heads;
  const int64_t n_floats = int64_t{vocab} * dim + layers * (dim + 4 * int64_t{dim} * dim + dim + 3 * int64_t{dim} * hidden) +
                           dim + 2 * int64_t{seq} * (head_dim / 2);
  std::vector<float> weights(static_cast<size_t>(n_floats));
  for (size_t i = 0; i < weights.size(); ++i) weights[i] = 0.05f * std::sin(static_cast<float>(i));
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(header), sizeof(header));
  out.write(reinterpret_cast<const char*>(weights.data()), static_cast<std::streamsize>(weights.size() * sizeof(float)));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make-fuzz-seeds DIR\n");
    return 2;
  }
  const std::string dir = argv[1];
  std::filesystem::create_directories(dir);
  const ingot::test::ModelShape llama{"micro", "llama", 8, 1, 2, 1, 16, 259, 16};
  const ingot::test::ModelShape llama_q8{"micro-q8", "llama", 32, 1, 2, 1, 32, 259, 16};
  const ingot::test::ModelShape gpt2{"micro-gpt2", "gpt2", 8, 1, 2, 2, 16, 259, 16};
  ingot::test::WriteRandomModel(dir + "/llama-f32.gguf", llama, GgmlType::kF32, 1, "");
  ingot::test::WriteRandomModel(dir + "/llama-q8_0.gguf", llama_q8, GgmlType::kQ8_0, 2, "");
  ingot::test::WriteRandomModel(dir + "/gpt2-f32.gguf", gpt2, GgmlType::kF32, 3, "");
  ingot::WriteIngotGguf(*ingot::Model::Load(dir + "/llama-f32.gguf"), dir + "/llama.ingot.gguf", {}, nullptr, 1, {});
  // The first round's reproducer classes: non-finite floats where the int8 conversion reads
  // them, file-driven memory (a 2^24 context, 512-wide heads on a 2-wide model, nested arrays).
  const std::string f32 = dir + "/llama-f32.gguf";
  const ingot::GgufValue long_context = ingot::GgufValue::U32(1u << 24);
  Rewrite(f32, dir + "/llama-context-2p24.gguf", "llama.context_length", &long_context, "", "");
  const ingot::GgufValue nan_base = ingot::GgufValue::F32(NAN);
  Rewrite(f32, dir + "/llama-nan-rope-base.gguf", "llama.rope.freq_base", &nan_base, "", "");
  Rewrite(f32, dir + "/llama-inf-norm.gguf", "", nullptr, "blk.0.attn_norm.weight", FloatBytes(INFINITY));
  Rewrite(dir + "/llama-q8_0.gguf", dir + "/llama-q8_0-nan-scale.gguf", "", nullptr, "blk.0.attn_q.weight",
          std::string("\x00\x7e", 2));  // f16 NaN as the first block's scale
  Rewrite(dir + "/gpt2-f32.gguf", dir + "/gpt2-nan-bias.gguf", "", nullptr, "blk.0.ffn_up.bias", FloatBytes(NAN));
  Rewrite(dir + "/gpt2-f32.gguf", dir + "/gpt2-nan-norm-bias.gguf", "", nullptr, "blk.0.attn_norm.bias", FloatBytes(NAN));
  ingot::test::WriteRandomModel(dir + "/llama-wide-heads.gguf", {"micro-wide", "llama", 2, 1, 1, 1, 4, 259, 4096, 512},
                                GgmlType::kF32, 4, "");
  ingot::GgufValue nested;
  nested.type = ingot::GgufValueType::kArray;
  nested.elem_type = ingot::GgufValueType::kArray;
  ingot::GgufValue empty;
  empty.type = ingot::GgufValueType::kArray;
  nested.arrays.assign(64, empty);
  Rewrite(f32, dir + "/llama-nested-arrays.gguf", "fuzz.nested", &nested, "", "");
  WriteLlama2c(dir + "/llama2c.bin");
  return 0;
}
