// ingot's quantized model file (engine/quant/ingot_gguf.h): quantize -> load gives exactly the int8
// logits of in-memory quantization, the file carries what it promises, and every kind of
// damage (a flipped tensor byte, an edited key, a truncated file) is refused by name.
#include <doctest/doctest.h>

#include <cstring>
#include <string>
#include <vector>

#include "engine/quant/ingot_gguf.h"
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
  test::WriteRandomModel(path, test::ShapeByName("tiny"), type, 7, "");
  return path;
}

std::string Quantize(const std::string& in, const std::string& name, int32_t n_threads = 2) {
  const std::string out = test::ScratchDir() + "/" + name;
  const std::unique_ptr<Model> model = Model::Load(in);
  int32_t calls = 0;
  bool wrote = false;
  WriteIngotGguf(*model, out, {}, nullptr, n_threads, [&](const QuantizeProgress& p) {
    if (p.writing) {
      wrote = true;
      return;
    }
    CHECK_FALSE(wrote);
    CHECK(p.index == ++calls);
  });
  CHECK(wrote);
  const ModelConfig& c = model->config();
  const int32_t per_layer = c.ffn == FfnKind::kSwiGlu ? 7 : 6;  // gpt2: no ffn_gate
  CHECK(calls == 1 + (c.learned_positions ? 1 : 0) + per_layer * c.n_layers +
                     (model->output.data == model->token_embd.data ? 0 : 1));
  return out;
}

// The Q16 logits after a prompt and after each of a few greedy steps.
std::vector<int32_t> Int8Logits(const Model& model, std::vector<int32_t> tokens, const std::string& fp_modules = "") {
  SessionOptions options;
  options.mode = Mode::kInt8;
  options.n_ctx = 64;
  options.fp_modules = fp_modules;
  Session session(model, options);
  const int32_t n_vocab = model.config().n_vocab;
  std::vector<int32_t> all;
  for (int step = 0; step < 4; ++step) {
    session.Eval(tokens.data(), static_cast<int32_t>(tokens.size()), false);
    const int32_t* logits = session.logits_q16();
    all.insert(all.end(), logits, logits + n_vocab);
    int32_t best = 0;
    for (int32_t i = 1; i < n_vocab; ++i) best = logits[i] > logits[best] ? i : best;
    tokens = {best};
  }
  return all;
}

// Float model with in-memory int8 weights vs its quantized file: the same logits, bit for bit.
void CheckRoundTrip(const std::string& float_path, const std::string& ingot_path, const std::vector<int32_t>& prompt) {
  ModelLoadOptions prepare;
  prepare.prepare_int8 = true;
  const std::unique_ptr<Model> in_memory = Model::Load(float_path, prepare);
  const std::unique_ptr<Model> from_file = Model::Load(ingot_path);  // int8 implied
  REQUIRE(from_file->int8() != nullptr);
  CHECK_FALSE(from_file->has_float_weights());
  CHECK(from_file->config().n_vocab == in_memory->config().n_vocab);
  CHECK(from_file->config().n_ctx_train == in_memory->config().n_ctx_train);
  CHECK(from_file->int8()->weight_bytes() == in_memory->int8()->weight_bytes());
  CHECK((from_file->int8()->output == &from_file->int8()->token_embd) ==
        (in_memory->int8()->output == &in_memory->int8()->token_embd));
  const Int8Matrix& a = in_memory->int8()->layers[0].ffn_up;
  const Int8Matrix& b = from_file->int8()->layers[0].ffn_up;
  CHECK(std::memcmp(a.packed.data, b.packed.data, static_cast<size_t>(a.packed.n_pad) * static_cast<size_t>(a.packed.k_pad)) == 0);
  CHECK(reinterpret_cast<uintptr_t>(b.packed.data) % 64 == 0);
  // The packed data is copied out of the mapping into huge-page memory (4 KiB file pages halve
  // decode speed), byte for byte.
  const GgufTensorInfo& tensor = *from_file->gguf()->FindTensor("blk.0.ffn_up.weight");
  CHECK(b.packed.data != reinterpret_cast<const int8_t*>(from_file->gguf()->TensorData(tensor)));
  CHECK(std::memcmp(b.packed.data, from_file->gguf()->TensorData(tensor), tensor.n_bytes) == 0);
  CHECK(Int8Logits(*from_file, prompt) == Int8Logits(*in_memory, prompt));
  // The F32 norms in the file serve the FP escape hatch; float matrices it cannot have.
  const std::string norm = from_file->config().norm == NormKind::kLayer ? "layernorm,softmax" : "norm,softmax";
  CHECK(Int8Logits(*from_file, prompt, norm) == Int8Logits(*in_memory, prompt, norm));
  SessionOptions lm_head;
  lm_head.mode = Mode::kInt8;
  lm_head.fp_modules = "lm_head";
  CHECK_THROWS_WITH_AS(Session(*from_file, lm_head), doctest::Contains("need the float weights"), Error);
}

std::string Flip(const std::string& path, const std::string& name, uint64_t offset_in_file) {
  std::string bytes = test::ReadFile(path);
  REQUIRE(offset_in_file < bytes.size());
  bytes[offset_in_file] = static_cast<char>(bytes[offset_in_file] ^ 0x10);
  return test::WriteScratchFile(name, bytes);
}

uint64_t TensorFileOffset(const std::string& path, const std::string& tensor) {
  const std::unique_ptr<GgufFile> g = GgufFile::Open(path);
  const GgufTensorInfo& t = g->RequireTensor(tensor);
  return g->data_offset() + t.offset + t.n_bytes / 2;
}

TEST_CASE("a quantized tiny model (F32, F16, Q8_0) gives the int8 logits of in-memory quantization") {
  for (const GgmlType type : {GgmlType::kF32, GgmlType::kF16, GgmlType::kQ8_0}) {
    CAPTURE(GgmlTypeName(type));
    const std::string in = TinyModel(type);
    CheckRoundTrip(in, Quantize(in, std::string("tiny_") + GgmlTypeName(type) + ".ingot.gguf"), {1, 72, 101, 108, 108, 111});
  }
}

TEST_CASE("the file holds packed int8 tensors, F32 norms, the config, the tokenizer and ingot.* keys") {
  const std::string in = TinyModel(GgmlType::kF32);
  const std::string out = Quantize(in, "tiny_keys.ingot.gguf");
  const std::unique_ptr<GgufFile> g = GgufFile::Open(out);
  const std::unique_ptr<Model> src = Model::Load(in);
  const ModelConfig& c = src->config();
  CHECK(g->RequireString("general.architecture") == "llama");
  CHECK(g->alignment() == 64);
  CHECK(g->RequireInt("llama.embedding_length") == c.d_model);
  CHECK(g->RequireInt("llama.block_count") == c.n_layers);
  CHECK(g->RequireInt("llama.feed_forward_length") == c.d_ffn);
  CHECK(g->RequireInt("llama.attention.head_count") == c.n_heads);
  CHECK(g->RequireInt("llama.attention.head_count_kv") == c.n_kv_heads);
  CHECK(g->RequireInt("llama.context_length") == c.n_ctx_train);
  CHECK(g->RequireInt("llama.rope.dimension_count") == c.rope_dims);
  CHECK(g->RequireInt("llama.vocab_size") == c.n_vocab);
  CHECK(static_cast<float>(g->RequireFloat("llama.attention.layer_norm_rms_epsilon")) == c.norm_eps);
  CHECK(static_cast<float>(g->RequireFloat("llama.rope.freq_base")) == c.rope_base);
  CHECK(g->RequireString("tokenizer.ggml.model") == "llama");
  CHECK(g->GetStringArray("tokenizer.ggml.tokens")->size() == static_cast<size_t>(c.n_vocab));
  CHECK(g->RequireInt("ingot.format_version") == 1);
  CHECK(g->RequireString("ingot.weight_layout") == "block16x4");
  CHECK(g->RequireString("ingot.quantization") == "int8 symmetric per-output-channel weights, dyadic scales");
  CHECK(g->RequireString("ingot.source") == "tiny_F32.gguf");
  CHECK(g->Find("ingot.tensor_xxh3")->elem_type == GgufValueType::kU64);
  CHECK(g->Find("ingot.tensor_xxh3")->ints.size() == g->tensors().size());
  CHECK(g->Find("ingot.metadata_xxh3")->type == GgufValueType::kU64);

  const int64_t n_pad = (c.d_ffn + 15) / 16 * 16, k_pad = (c.d_model + 3) / 4 * 4;
  const GgufTensorInfo& up = g->RequireTensor("blk.1.ffn_up.weight");
  CHECK(up.type == GgmlType::kI8);
  CHECK(up.dims == std::vector<uint64_t>{static_cast<uint64_t>(k_pad), static_cast<uint64_t>(n_pad)});
  CHECK(g->RequireTensor("blk.1.ffn_up.weight.row_sums").type == GgmlType::kI32);
  CHECK(g->RequireTensor("blk.1.ffn_up.weight.row_sums").dims == std::vector<uint64_t>{static_cast<uint64_t>(n_pad)});
  CHECK(g->RequireTensor("blk.1.ffn_up.weight.scale").dims == std::vector<uint64_t>{2, static_cast<uint64_t>(c.d_ffn)});
  CHECK(g->RequireTensor("blk.1.attn_norm.weight").type == GgmlType::kF32);
  CHECK((g->FindTensor("output.weight") != nullptr) == (src->output.data != src->token_embd.data));
  for (const GgufTensorInfo& t : g->tensors()) CHECK((g->data_offset() + t.offset) % 64 == 0);

  for (const IngotHashCheck& check : CheckIngotHashes(*g, 1)) CHECK_MESSAGE(check.ok(), check.name);
  // Thread counts change nothing: the file is the same byte for byte.
  CHECK(test::ReadFile(Quantize(in, "tiny_keys_1t.ingot.gguf", 1)) == test::ReadFile(out));
  // An ingot file is not quantized again.
  const std::unique_ptr<Model> ingot = Model::Load(out);
  CHECK_THROWS_WITH_AS(WriteIngotGguf(*ingot, test::ScratchDir() + "/again.gguf", {}, nullptr, 1, nullptr),
                       doctest::Contains("already an int8 model written by quantize"), Error);
}

TEST_CASE("damaged files are refused, naming what is wrong") {
  const std::string out = Quantize(TinyModel(GgmlType::kF32), "tiny_damage.ingot.gguf");

  SUBCASE("a byte flipped in a tensor names the tensor") {
    for (const std::string tensor : {"blk.1.ffn_up.weight", "blk.0.attn_q.weight.scale", "token_embd.weight.row_sums", "output_norm.weight"}) {
      const std::string bad = Flip(out, "flipped.gguf", TensorFileOffset(out, tensor));
      const std::string error = LoadError(bad);
      CHECK_MESSAGE(error.find(bad + ": tensor '" + tensor + "' is corrupted (XXH3-64 0x") != std::string::npos, error);
      CHECK_MESSAGE(error.find(" expected 0x") != std::string::npos, error);
      const std::vector<IngotHashCheck> checks = CheckIngotHashes(*GgufFile::Open(bad), 2);
      size_t n_bad = 0;
      for (const IngotHashCheck& check : checks) n_bad += check.ok() ? 0 : 1;
      CHECK(n_bad == 1);
    }
  }
  SUBCASE("an edited key is a metadata hash mismatch") {
    const std::unique_ptr<GgufFile> src = GgufFile::Open(out);
    GgufWriter w(64);
    for (GgufKeyValue kv : src->metadata()) {
      if (kv.key == "llama.context_length") kv.value = GgufValue::U32(32);
      w.Set(kv.key, kv.value);
    }
    for (const GgufTensorInfo& t : src->tensors()) w.AddTensor(t.name, t.type, t.dims, src->TensorData(t));
    const std::string edited = test::ScratchDir() + "/edited.gguf";
    w.Write(edited);
    const std::string error = LoadError(edited);
    CHECK_MESSAGE(error.find(edited + ": metadata is corrupted (XXH3-64 0x") != std::string::npos, error);
  }
  SUBCASE("a byte flipped in a key's value is a metadata hash mismatch") {
    const std::string bytes = test::ReadFile(out);
    const size_t at = bytes.find("int8 symmetric per-output-channel");
    REQUIRE(at != std::string::npos);
    const std::string error = LoadError(Flip(out, "flipped_key.gguf", at + 2));
    CHECK_MESSAGE(error.find("metadata is corrupted") != std::string::npos, error);
  }
  SUBCASE("a truncated file") {
    const std::string bytes = test::ReadFile(out);
    const std::string cut = test::WriteScratchFile("truncated.gguf", bytes.substr(0, bytes.size() / 2));
    const std::string error = LoadError(cut);
    CHECK_MESSAGE(error.starts_with(cut + ": "), error);
    CHECK_MESSAGE(error.find("end of file") != std::string::npos, error);
  }
  SUBCASE("a missing hash key") {
    const std::unique_ptr<GgufFile> src = GgufFile::Open(out);
    GgufWriter w(64);
    for (const GgufKeyValue& kv : src->metadata()) {
      if (kv.key != "ingot.tensor_xxh3") w.Set(kv.key, kv.value);
    }
    for (const GgufTensorInfo& t : src->tensors()) w.AddTensor(t.name, t.type, t.dims, src->TensorData(t));
    const std::string stripped = test::ScratchDir() + "/no_hashes.gguf";
    w.Write(stripped);
    CHECK(LoadError(stripped).find("key 'ingot.tensor_xxh3' is missing") != std::string::npos);
  }
}

TEST_CASE("an fp32 session on an int8 file is a clear error") {
  const std::string out = Quantize(TinyModel(GgmlType::kF32), "tiny_fp32.ingot.gguf");
  const std::unique_ptr<Model> model = Model::Load(out);
  const std::string expected = out + " is an int8 model written by quantize; fp32 mode needs the float model";
  CHECK_THROWS_WITH_AS(Session(*model, SessionOptions{}), doctest::Contains(expected.c_str()), Error);
}

TEST_CASE("stories260K (llama2.c): same int8 logits, and the tokenizer survives exactly") {
  const std::string in = test::FindAsset("models/stories260K/stories260K.bin");
  if (in.empty()) {
    MESSAGE("skipped: models/stories260K/stories260K.bin not found");
    return;
  }
  const std::string out = Quantize(in, "stories260K.ingot.gguf");
  const std::unique_ptr<Model> original = Model::Load(in);
  const std::unique_ptr<Model> quantized = Model::Load(out);
  // tok512.model removes extra whitespace, which tokenizer.ggml.* cannot say: the file keeps the
  // sentencepiece model itself, so these all tokenize as before.
  for (const char* text : {"Once upon a time", "  two  spaces ", "tab\tand\nnewline", "caf\xC3\xA9 \xF0\x9F\x99\x82 123"}) {
    CAPTURE(text);
    CHECK(quantized->tokenizer().Encode(text, true) == original->tokenizer().Encode(text, true));
  }
  CHECK(quantized->tokenizer().n_vocab() == 512);
  CheckRoundTrip(in, out, original->tokenizer().Encode("Once upon a time, there was a little", true));
}

TEST_CASE("gpt2: a tiny random model and docs-gpt2-7m give the int8 logits of in-memory quantization") {
  const std::string tiny = test::ScratchDir() + "/tiny_gpt2.gguf";
  test::WriteRandomModel(tiny, test::ShapeByName("tiny-gpt2"), GgmlType::kQ8_0, 5, "");
  const std::string tiny_out = Quantize(tiny, "tiny_gpt2.ingot.gguf");
  {
    const std::unique_ptr<GgufFile> g = GgufFile::Open(tiny_out);
    CHECK(g->RequireString("general.architecture") == "gpt2");
    CHECK(g->FindTensor("position_embd.weight") != nullptr);
    CHECK(g->FindTensor("blk.1.attn_q.bias") != nullptr);
    CHECK(g->FindTensor("blk.1.ffn_norm.bias") != nullptr);
    CHECK(g->FindTensor("blk.1.ffn_gate.weight") == nullptr);
    CHECK(g->Find("gpt2.rope.dimension_count") == nullptr);
  }
  CheckRoundTrip(tiny, tiny_out, {1, 72, 101, 108, 108, 111});

  const std::string in = test::FindAsset("models/docs-gpt2-7m/model.f32.gguf");
  if (in.empty()) {
    MESSAGE("skipped: models/docs-gpt2-7m/model.f32.gguf not found");
    return;
  }
  const std::string out = Quantize(in, "docs-gpt2-7m.ingot.gguf");
  const std::unique_ptr<Model> original = Model::Load(in);
  CheckRoundTrip(in, out, original->tokenizer().Encode("The package manager installs software", true));
}

TEST_CASE("docs-llama-7m (GGUF F32): same int8 logits") {
  const std::string in = test::FindAsset("models/docs-llama-7m/model.f32.gguf");
  if (in.empty()) {
    MESSAGE("skipped: models/docs-llama-7m/model.f32.gguf not found");
    return;
  }
  const std::string out = Quantize(in, "docs-llama-7m.ingot.gguf");
  const std::unique_ptr<Model> original = Model::Load(in);
  const std::unique_ptr<Model> quantized = Model::Load(out);
  CHECK(quantized->tokenizer().Encode("The model reads  files.", true) == original->tokenizer().Encode("The model reads  files.", true));
  CheckRoundTrip(in, out, original->tokenizer().Encode("The quick brown fox", true));
}

}  // namespace
}  // namespace ingot
