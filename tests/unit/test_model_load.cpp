// Loading models: configuration from metadata, weight types, and every way a model file can be
// valid GGUF yet not a model ingot can run.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "engine/model/model.h"
#include "engine/session/session.h"
#include "model_io/error.h"
#include "tests/test_util.h"
#include "tests/tools/model_helpers.h"
#include "tests/tools/random_model.h"

namespace ingot {
namespace {

using test::LoadError;

std::string TinyModel(GgmlType type) {
  const std::string path = test::ScratchDir() + "/tiny_" + GgmlTypeName(type) + ".gguf";
  test::WriteRandomModel(path, test::ShapeByName("tiny"), type, 11, "");
  return path;
}

// Copies a GGUF file through our reader and writer; `edit` may change keys and tensors.
struct Edit {
  std::function<bool(GgufKeyValue&)> key = [](GgufKeyValue&) { return true; };      // false: drop
  std::function<bool(GgufTensorInfo&)> tensor = [](GgufTensorInfo&) { return true; };  // false: drop
};

std::string Rewrite(const std::string& from, const std::string& name, const Edit& edit) {
  const std::unique_ptr<GgufFile> src = GgufFile::Open(from);
  GgufWriter w;
  for (GgufKeyValue kv : src->metadata()) {
    if (edit.key(kv)) w.Set(kv.key, kv.value);
  }
  for (GgufTensorInfo t : src->tensors()) {
    const uint8_t* data = src->TensorData(t);
    if (edit.tensor(t)) w.AddTensor(t.name, t.type, t.dims, data);
  }
  const std::string path = test::ScratchDir() + "/" + name;
  w.Write(path);
  return path;
}

std::vector<float> LastLogits(const Model& model, const std::vector<int32_t>& tokens) {
  Session session(model, SessionOptions{});
  session.Eval(tokens.data(), static_cast<int32_t>(tokens.size()), false);
  return std::vector<float>(session.logits(), session.logits() + model.config().n_vocab);
}

TEST_CASE("configuration comes from the llama.* metadata") {
  const auto model = Model::Load(TinyModel(GgmlType::kF32));
  const ModelConfig& c = model->config();
  CHECK(c.arch == "llama");
  CHECK(c.d_model == 64);
  CHECK(c.n_layers == 2);
  CHECK(c.n_heads == 4);
  CHECK(c.n_kv_heads == 2);
  CHECK(c.head_dim == 16);
  CHECK(c.d_ffn == 96);
  CHECK(c.n_vocab == 259);
  CHECK(c.n_ctx_train == 64);
  CHECK(c.rope_dims == 16);
  CHECK(model->format() == "GGUF v3");
  CHECK(model->output.data != model->token_embd.data);
}

TEST_CASE("F16 and Q8_0 weights give the logits of their dequantized F32 values") {
  // The same seed writes the same random stream, so each file's F32 twin is the dequantized
  // tensor: compare a model against itself rewritten as F32.
  for (GgmlType type : {GgmlType::kF16, GgmlType::kQ8_0}) {
    CAPTURE(GgmlTypeName(type));
    const std::string path = TinyModel(type);
    const std::unique_ptr<GgufFile> src = GgufFile::Open(path);
    GgufWriter w;
    for (const GgufKeyValue& kv : src->metadata()) w.Set(kv.key, kv.value);
    std::vector<std::vector<float>> keep;
    for (const GgufTensorInfo& t : src->tensors()) {
      keep.emplace_back(t.n_elements);
      DequantizeRow(t.type, src->TensorData(t), keep.back().data(), static_cast<int64_t>(t.n_elements));
      w.AddTensor(t.name, GgmlType::kF32, t.dims, keep.back().data());
    }
    const std::string f32_path = test::ScratchDir() + "/as_f32.gguf";
    w.Write(f32_path);
    const auto quantized = Model::Load(path);
    const auto reference = Model::Load(f32_path);
    const std::vector<int32_t> tokens = {1, 70, 101, 108, 108, 111};
    const std::vector<float> a = LastLogits(*quantized, tokens);
    const std::vector<float> b = LastLogits(*reference, tokens);
    for (size_t i = 0; i < a.size(); ++i) CHECK(a[i] == doctest::Approx(b[i]).epsilon(1e-5));
  }
}

TEST_CASE("without output.weight the output is tied to the embedding") {
  const std::string base = TinyModel(GgmlType::kF32);
  Edit edit;
  edit.tensor = [](GgufTensorInfo& t) { return t.name != "output.weight"; };
  const auto model = Model::Load(Rewrite(base, "tied.gguf", edit));
  CHECK(model->output.data == model->token_embd.data);
}

TEST_CASE("valid GGUF files that are not runnable models are refused by name") {
  const std::string base = TinyModel(GgmlType::kF32);
  auto drop_key = [&](const std::string& key) {
    Edit e;
    e.key = [key](GgufKeyValue& kv) { return kv.key != key; };
    return LoadError(Rewrite(base, "nokey.gguf", e));
  };
  auto set_key = [&](const std::string& key, GgufValue value) {
    Edit e;
    e.key = [key, value](GgufKeyValue& kv) {
      if (kv.key == key) kv.value = value;
      return true;
    };
    return LoadError(Rewrite(base, "setkey.gguf", e));
  };
  CHECK(drop_key("llama.block_count").find("missing required key 'llama.block_count'") != std::string::npos);
  CHECK(drop_key("general.architecture").find("missing required key 'general.architecture'") != std::string::npos);
  CHECK(set_key("general.architecture", GgufValue::String("mamba")).find("unknown architecture 'mamba' (supported: llama, gpt2, qwen2, qwen3, phi3, gemma3)") != std::string::npos);
  CHECK(set_key("llama.attention.head_count_kv", GgufValue::U32(3)).find("not a multiple of head_count_kv 3") != std::string::npos);
  CHECK(set_key("llama.embedding_length", GgufValue::U32(0)).find("'llama.embedding_length' = 0 is out of range") != std::string::npos);
  CHECK(set_key("llama.block_count", GgufValue::String("two")).find("llama.block_count") != std::string::npos);
  CHECK(set_key("llama.rope.dimension_count", GgufValue::U32(17)).find("rope.dimension_count 17") != std::string::npos);
  CHECK(set_key("llama.block_count", GgufValue::U32(3)).find("missing tensor 'blk.2.attn_norm.weight'") != std::string::npos);

  Edit drop;
  drop.tensor = [](GgufTensorInfo& t) { return t.name != "blk.1.ffn_up.weight"; };
  CHECK(LoadError(Rewrite(base, "notensor.gguf", drop)).find("missing tensor 'blk.1.ffn_up.weight'") != std::string::npos);
  Edit shape;
  shape.tensor = [](GgufTensorInfo& t) {
    if (t.name == "blk.0.attn_k.weight") t.dims = {32, 32};  // 64 x 16 elements either way
    return true;
  };
  CHECK(LoadError(Rewrite(base, "shape.gguf", shape)).find("tensor 'blk.0.attn_k.weight' has shape [32, 32], expected [64, 32]") != std::string::npos);
  Edit vocab;
  vocab.key = [](GgufKeyValue& kv) {
    // 41 more pieces than the embedding has rows.
    for (int i = 0; i < 41; ++i) {
      if (kv.key == "tokenizer.ggml.tokens") kv.value.strings.push_back("piece" + std::to_string(i));
      if (kv.key == "tokenizer.ggml.scores") kv.value.floats.push_back(0.0);
      if (kv.key == "tokenizer.ggml.token_type") kv.value.ints.push_back(1);
    }
    return true;
  };
  const std::string vocab_error = LoadError(Rewrite(base, "vocab.gguf", vocab));
  CHECK_MESSAGE(vocab_error.find("has 300 tokens but the model has 259") != std::string::npos, vocab_error);
  const std::string vocab_only = test::FindAsset("models/vocab/ggml-vocab-llama-spm.gguf");
  if (!vocab_only.empty()) CHECK(LoadError(vocab_only).find("missing tensor 'token_embd.weight'") != std::string::npos);
}

// A copy of a GGUF file with the bytes of tensor `tensor` from byte `offset` on replaced.
std::string Patched(const std::string& from, const std::string& tensor, size_t offset, const void* bytes, size_t size) {
  const std::unique_ptr<GgufFile> src = GgufFile::Open(from);
  GgufWriter w;
  for (const GgufKeyValue& kv : src->metadata()) w.Set(kv.key, kv.value);
  std::vector<uint8_t> patched;  // outlives Write
  for (const GgufTensorInfo& t : src->tensors()) {
    const uint8_t* data = src->TensorData(t);
    if (t.name == tensor) {
      REQUIRE(offset + size <= t.n_bytes);
      patched.assign(data, data + t.n_bytes);
      std::memcpy(patched.data() + offset, bytes, size);
      data = patched.data();
    }
    w.AddTensor(t.name, t.type, t.dims, data);
  }
  REQUIRE_MESSAGE(!patched.empty(), "no tensor " << tensor);
  const std::string path = test::ScratchDir() + "/nonfinite.gguf";
  w.Write(path);
  return path;
}

// The same with float element `index` of an F32 tensor set to value.
std::string WithValue(const std::string& from, const std::string& tensor, size_t index, float value) {
  return Patched(from, tensor, index * sizeof(float), &value, sizeof(value));
}

TEST_CASE("non-finite norm weights, biases and metadata floats are refused with the tensor or key named") {
  const float nan = std::nanf("");
  const float inf = INFINITY;
  const std::string gpt2 = test::ScratchDir() + "/nonfinite_gpt2.gguf";
  test::WriteRandomModel(gpt2, test::ShapeByName("tiny-gpt2"), GgmlType::kF32, 11, "");
  // Both in memory (prepare_int8, where a NaN once became an int32 by an undefined cast) and
  // for the FP32 path.
  for (const bool int8 : {false, true}) {
    CAPTURE(int8);
    ModelLoadOptions options;
    options.prepare_int8 = int8;
    auto error = [&](const std::string& path) { return LoadError(path, options); };
    CHECK(error(WithValue(gpt2, "blk.0.attn_norm.bias", 3, nan))
              .find("tensor 'blk.0.attn_norm.bias' holds a non-finite value (nan at element 3)") != std::string::npos);
    CHECK(error(WithValue(gpt2, "blk.1.ffn_up.bias", 0, nan))
              .find("tensor 'blk.1.ffn_up.bias' holds a non-finite value (nan at element 0)") != std::string::npos);
    CHECK(error(WithValue(gpt2, "blk.0.attn_qkv.bias", 5, -inf))
              .find("tensor 'blk.0.attn_qkv.bias' holds a non-finite value (-inf at element 5)") != std::string::npos);
    CHECK(error(WithValue(TinyModel(GgmlType::kF32), "blk.1.ffn_norm.weight", 7, inf))
              .find("tensor 'blk.1.ffn_norm.weight' holds a non-finite value (inf at element 7)") != std::string::npos);
  }
  // Matrices, in every float type: bit tests over all their values (Q8_0: the block scales).
  for (const bool int8 : {false, true}) {
    CAPTURE(int8);
    ModelLoadOptions options;
    options.prepare_int8 = int8;
    const uint16_t f16_nan = 0x7e00, f16_inf = 0x7c00;
    // The scale of block 4 of blk.0.ffn_down ([d_model 64, d_ffn 96]: 3 blocks of 32 a row), the
    // second block of row 1.
    CHECK(LoadError(Patched(TinyModel(GgmlType::kQ8_0), "blk.0.ffn_down.weight", 34 * 4, &f16_nan, 2), options)
              .find("tensor 'blk.0.ffn_down.weight' holds a non-finite block scale (the block at row 1, column 32)") !=
          std::string::npos);
    CHECK(LoadError(Patched(TinyModel(GgmlType::kF16), "blk.1.attn_v.weight", 2 * (64 + 5), &f16_inf, 2), options)
              .find("tensor 'blk.1.attn_v.weight' holds a non-finite value (at row 1, column 5)") != std::string::npos);
    CHECK(LoadError(WithValue(TinyModel(GgmlType::kF32), "output.weight", 3, nan), options)
              .find("tensor 'output.weight' holds a non-finite value (at row 0, column 3)") != std::string::npos);
  }

  const std::string base = TinyModel(GgmlType::kF32);
  for (const float bad : {nan, inf}) {
    for (const std::string key : {"llama.rope.freq_base", "llama.attention.layer_norm_rms_epsilon"}) {
      CAPTURE(key);
      Edit e;
      e.key = [&](GgufKeyValue& kv) {
        if (kv.key == key) kv.value = GgufValue::F32(bad);
        return true;
      };
      const std::string message = LoadError(Rewrite(base, "nonfinite_key.gguf", e));
      const std::string named = key == "llama.rope.freq_base" ? "rope.freq_base" : "norm epsilon";
      CHECK_MESSAGE(message.find(named + " " + std::to_string(bad) + " is out of range") != std::string::npos, message);
    }
  }
}

TEST_CASE("an int8 session with a context shorter than head_dim (16) runs") {
  ModelLoadOptions load;
  load.prepare_int8 = true;
  const auto model = Model::Load(TinyModel(GgmlType::kF32), load);
  SessionOptions options;
  options.mode = Mode::kInt8;
  options.n_ctx = 4;
  Session session(*model, options);
  const std::vector<int32_t> tokens = {1, 70, 101, 108};
  session.Eval(tokens.data(), 4, false);
  CHECK(session.n_past() == 4);
}

TEST_CASE("sessions refuse what does not fit") {
  const auto model = Model::Load(TinyModel(GgmlType::kF32));
  SessionOptions too_long;
  too_long.n_ctx = 65;
  CHECK_THROWS_WITH_AS(Session(*model, too_long), doctest::Contains("n_ctx 65 is larger than the model allows (64 tokens"), Error);
  SessionOptions small;
  small.n_ctx = 4;
  Session session(*model, small);
  const std::vector<int32_t> tokens = {1, 2, 3, 4, 5};
  CHECK_THROWS_WITH_AS(session.Eval(tokens.data(), 5, false), doctest::Contains("context is full: 0 + 5 tokens exceed n_ctx 4"), Error);
  const int32_t bad = 259;
  CHECK_THROWS_WITH_AS(session.Eval(&bad, 1, false), doctest::Contains("token id 259 is out of range [0, 259)"), Error);
  session.Eval(tokens.data(), 4, false);
  CHECK(session.n_past() == 4);
  CHECK_THROWS_AS(session.Eval(tokens.data(), 1, false), Error);
  CHECK_THROWS_WITH_AS(session.Eval(tokens.data(), 1, true), doctest::Contains("logits_all"), Error);
  session.Reset();
  session.Eval(tokens.data(), 1, false);
  CHECK(std::isfinite(session.logits()[0]));

  // A model may claim at most a 2^24 context (kMaxContextLength), which the integer attention is
  // proven for (kMaxInt8Context): such a session is refused only by the memory it would take.
  Edit long_context;
  long_context.key = [](GgufKeyValue& kv) {
    if (kv.key == "llama.context_length") kv.value = GgufValue::U32(1u << 24);
    return true;
  };
  ModelLoadOptions int8;
  int8.prepare_int8 = true;
  const auto long_model = Model::Load(Rewrite(TinyModel(GgmlType::kF32), "long_context.gguf", long_context), int8);
  SessionOptions longest;
  longest.mode = Mode::kInt8;
  longest.n_ctx = 1 << 24;
  longest.max_memory = 1 << 20;
  CHECK_THROWS_WITH_AS(Session(*long_model, longest), doctest::Contains("the session would take"), Error);
  Edit longer;
  longer.key = [](GgufKeyValue& kv) {
    if (kv.key == "llama.context_length") kv.value = GgufValue::U32((1u << 24) + 1);
    return true;
  };
  CHECK_THROWS_WITH_AS(Model::Load(Rewrite(TinyModel(GgmlType::kF32), "longer_context.gguf", longer), int8),
                       doctest::Contains("metadata 'llama.context_length' = 16777217 is out of range"), Error);
}

TEST_CASE("a session's memory is known before it is allocated, and refused above max_memory or what is available") {
  ModelLoadOptions int8;
  int8.prepare_int8 = true;
  Edit long_context;
  long_context.key = [](GgufKeyValue& kv) {
    if (kv.key == "llama.context_length") kv.value = GgufValue::U32(1u << 24);
    return true;
  };
  const auto model = Model::Load(Rewrite(TinyModel(GgmlType::kF32), "huge_context.gguf", long_context), int8);
  const ModelConfig& c = model->config();
  // The KV cache figure is exact, in both modes.
  for (const Mode mode : {Mode::kInt8, Mode::kFp32}) {
    SessionOptions options;
    options.mode = mode;
    options.n_ctx = 100;
    options.n_threads = 2;
    const Session session(*model, options);
    options.n_batch = 100;
    const SessionMemory need = Session::MemoryFor(c, options, FpModuleSet{});
    CHECK(need.kv_cache == session.kv_cache_bytes());
    CHECK(need.logits == c.n_vocab * (mode == Mode::kInt8 ? 8u : 4u));
  }
  // Above max_memory: refused with the figures, before anything is allocated.
  SessionOptions small;
  small.n_ctx = 4096;
  small.max_memory = 64 << 10;
  CHECK_THROWS_WITH_AS(Session(*model, small), doctest::Contains("the session would take"), Error);
  try {
    Session session(*model, small);
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kOutOfMemory);
    CHECK(std::string(e.what()).find("more than the 0.1 MiB it may (max_memory); ask for a smaller n_ctx") != std::string::npos);
  }
  // By default the limit is the memory available now: a 2^24-position FP32 session that keeps
  // every logit (tens of GB for this tiny model) is refused at once.
  SessionOptions huge;
  huge.mode = Mode::kFp32;
  huge.n_ctx = 1 << 24;
  huge.logits_all = true;
  SessionOptions resolved = huge;
  resolved.n_threads = 1;
  const SessionMemory need = Session::MemoryFor(c, resolved, FpModuleSet{});
  REQUIRE(need.total() > uint64_t{24} << 30);  // more than the whole memory of this project's machines (24 GiB)
  CHECK_THROWS_WITH_AS(Session(*model, huge), doctest::Contains("(the memory available now)"), Error);
}

}  // namespace
}  // namespace ingot
