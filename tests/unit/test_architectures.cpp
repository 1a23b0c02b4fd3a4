// The llama-family architectures beyond Llama 2 (Llama 3 with RoPE frequency factors, SmolLM2,
// Qwen 2, Qwen 3) on tiny random-weight models of their real layouts (make-random-model's
// tiny-<arch> shapes, with their real vocabularies):
//   - FP32 greedy ids equal scripts/llama_family_reference.py's, an independent float64 numpy
//     reference (run here when Debian's python3-numpy is installed; scripts/test installs it);
//   - the integer path agrees with FP32 on >= 95 % of top-1 tokens over 512 positions of text;
//   - the integer logits' hash is the same for every kernel table and thread count;
//   - a file whose tensors disagree with its metadata is a one-line error naming the tensor.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "engine/model/model.h"
#include "ingot/ingot.h"
#include "engine/quant/ingot_gguf.h"
#include "engine/session/sampler.h"
#include "engine/session/session.h"
#include "kernels/dispatch.h"
#include "model_io/gguf.h"
#include "tests/test_util.h"
#include "tests/tools/model_helpers.h"
#include "tests/tools/random_model.h"
#include "tests/unit/int8_hash.h"

namespace ingot {
namespace {

constexpr const char* kShapes[] = {"tiny-llama3", "tiny-smollm2", "tiny-qwen2", "tiny-qwen3", "tiny-phi3", "tiny-gemma3"};

// The tiny model of a shape, written once per process (F32).
std::string TinyModel(const std::string& shape) {
  const std::string path = test::ScratchDir() + "/" + shape + ".gguf";
  if (!std::filesystem::exists(path)) test::WriteRandomModel(path, test::ShapeByName(shape), GgmlType::kF32, 7, "");
  return path;
}

// What the numpy reference prints for the model, prompt and count; "" when it cannot run.
std::string ReferenceIds(const std::string& model, const std::vector<int32_t>& prompt, int32_t n) {
  std::string ids;
  for (const int32_t id : prompt) ids += (ids.empty() ? "" : ",") + std::to_string(id);
  const std::string command = "/usr/bin/python3 -c 'import numpy' 2>/dev/null && /usr/bin/python3 " +
                              std::string(INGOT_SOURCE_DIR) + "/scripts/llama_family_reference.py " + model + " " + ids +
                              " " + std::to_string(n);
  std::FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return "";
  std::string out;
  char buffer[4096];
  while (std::fgets(buffer, sizeof(buffer), pipe) != nullptr) out += buffer;
  pclose(pipe);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

// A copy of a GGUF file without tensor `drop`, with tensor `cut` one row (or, for a vector,
// one value) shorter, and with the u32 metadata key `key` set to `value`.
std::string Edited(const std::string& from, const std::string& name, const std::string& drop, const std::string& cut,
                   const std::string& key = "", uint32_t value = 0) {
  const std::unique_ptr<GgufFile> src = GgufFile::Open(from);
  GgufWriter w;
  for (const GgufKeyValue& kv : src->metadata()) w.Set(kv.key, kv.key == key ? GgufValue::U32(value) : kv.value);
  for (const GgufTensorInfo& t : src->tensors()) {
    if (t.name == drop) continue;
    std::vector<uint64_t> dims = t.dims;
    if (t.name == cut) --dims.back();
    w.AddTensor(t.name, t.type, dims, src->TensorData(t));
  }
  const std::string path = test::ScratchDir() + "/" + name;
  w.Write(path);
  return path;
}

std::string LastError() {
  const char* message = nullptr;
  ingot_last_error(&message);
  return message != nullptr ? message : "";
}

std::string Join(const std::vector<int32_t>& ids) {
  std::string s;
  for (const int32_t id : ids) s += (s.empty() ? "" : ",") + std::to_string(id);
  return s;
}

}  // namespace

TEST_CASE("tiny llama-family models: FP32 greedy ids equal the numpy reference's") {
  for (const char* shape : kShapes) {
    CAPTURE(shape);
    const std::string path = TinyModel(shape);
    const auto model = Model::Load(path);
    const std::vector<int32_t> prompt = model->tokenizer().Encode("Once upon a time, in a land far away", true);
    const std::vector<int32_t> ids = test::GreedyFp32(*model, prompt, 24, 2);
    const std::string reference = ReferenceIds(path, prompt, 24);
    MESSAGE(std::string(shape) << ": " << Join(ids));
    if (reference.empty()) {
      // scripts/test installs it: there the comparison must run.
      if (std::getenv("INGOT_REQUIRE_ASSETS") != nullptr) FAIL_CHECK("the numpy reference did not run");
      MESSAGE("skipped the reference comparison: /usr/bin/python3 with numpy is not installed");
      continue;
    }
    CHECK(Join(ids) == reference);
  }
}

TEST_CASE("tiny llama-family models: the integer path agrees with FP32 on >= 95 % of top-1 tokens over 512 positions") {
  const std::string text_path = test::FindAsset("data/tinystories/tinystories_sample.txt");
  if (text_path.empty()) {
    MESSAGE("skipped: data/tinystories/tinystories_sample.txt not found");
    return;
  }
  const std::string text = test::ReadFile(text_path);
  for (const char* shape : kShapes) {
    CAPTURE(shape);
    ModelLoadOptions load;
    load.prepare_int8 = true;
    const auto model = Model::Load(TinyModel(shape), load);
    std::vector<int32_t> tokens = model->tokenizer().Encode(text, true);
    REQUIRE(tokens.size() >= 512);
    tokens.resize(512);
    const int32_t n_vocab = model->config().n_vocab;
    std::vector<int32_t> argmax[2];
    for (const Mode mode : {Mode::kFp32, Mode::kInt8}) {
      SessionOptions options;
      options.mode = mode;
      options.n_threads = 2;
      options.logits_all = true;
      options.max_memory = uint64_t{1} << 30;  // logits of 512 positions of a 152k vocabulary
      Session session(*model, options);
      session.Eval(tokens.data(), static_cast<int32_t>(tokens.size()), true);
      for (size_t t = 0; t < tokens.size(); ++t) {
        argmax[mode == Mode::kInt8].push_back(Argmax(session.logits() + t * static_cast<size_t>(n_vocab), n_vocab));
      }
    }
    int32_t same = 0, copies = 0;
    for (size_t t = 0; t < tokens.size(); ++t) {
      same += argmax[0][t] == argmax[1][t] ? 1 : 0;
      copies += argmax[0][t] == tokens[t] ? 1 : 0;
    }
    // Not a uniform model: FP32's top-1 tokens vary.
    std::vector<int32_t> distinct = argmax[0];
    std::sort(distinct.begin(), distinct.end());
    const auto n_distinct = std::unique(distinct.begin(), distinct.end()) - distinct.begin();
    MESSAGE(std::string(shape) << ": int8 top-1 = FP32 top-1 on " << same << " of 512 positions; " << n_distinct
                               << " distinct FP32 top-1 tokens, at " << copies << " positions the input token");
    CHECK(same >= 512 * 95 / 100);
    // Far from uniform, and not a copy machine: varied top-1 tokens, a fair share not the input.
    CHECK(n_distinct >= 100);
    CHECK(copies <= 512 * 80 / 100);
  }
}

TEST_CASE("tiny llama-family models: the same int8 logits on every kernel table and thread count") {
  // Golden hashes: any machine must reproduce them (the models are written from a fixed seed).
  const uint64_t golden[] = {10915919646150951257ull, 16570049430348974948ull, 1095968997381519190ull,
                             9380904533950786328ull, 14792987640530326820ull, 763567458363507441ull};
  for (size_t i = 0; i < std::size(kShapes); ++i) {
    CAPTURE(kShapes[i]);
    CHECK(test::CheckInt8LogitsAgree(TinyModel(kShapes[i]), "Once upon a time, in a land far away") == golden[i]);
    // The ingot GGUF that quantize writes (q/k norms, biases, RoPE factors kept as F32) gives
    // the same bits as quantizing at load.
    const std::string quantized = test::ScratchDir() + "/" + kShapes[i] + ".ingot.gguf";
    WriteIngotGguf(*Model::Load(TinyModel(kShapes[i])), quantized, {}, nullptr, 2, {});
    CHECK(test::CheckInt8LogitsAgree(quantized, "Once upon a time, in a land far away") == golden[i]);
  }
}

TEST_CASE("ingot_model_get_info names the kinds") {
  struct Expected {
    const char* shape;
    const char* arch;
    const char* rope_style;
    int32_t factors, qkv_bias, qk_norm;
  };
  for (const Expected& e : {Expected{"tiny-llama3", "llama", "adjacent pairs", 1, 0, 0},
                            Expected{"tiny-qwen2", "qwen2", "NeoX halves", 0, 1, 0},
                            Expected{"tiny-qwen3", "qwen3", "NeoX halves", 0, 0, 1},
                            Expected{"tiny-phi3", "phi3", "NeoX halves", 0, 0, 0},
                            Expected{"tiny-gemma3", "gemma3", "NeoX halves", 0, 0, 1}}) {
    CAPTURE(e.shape);
    ingot_model* model = nullptr;
    REQUIRE(ingot_model_load(TinyModel(e.shape).c_str(), nullptr, &model) == INGOT_OK);
    ingot_model_info info{};
    info.struct_size = sizeof info;
    REQUIRE(ingot_model_get_info(model, &info) == INGOT_OK);
    CHECK(std::string(info.architecture) == e.arch);
    CHECK(std::string(info.rope_style) == e.rope_style);
    CHECK(info.rope_freq_factors == e.factors);
    CHECK(info.qkv_bias == e.qkv_bias);
    CHECK(info.qk_norm == e.qk_norm);
    CHECK(info.tied_output == (std::string(e.arch) != "phi3" ? 1 : 0));
    const bool gemma = std::string(e.arch) == "gemma3";
    CHECK(info.sliding_window == (gemma ? 16 : 0));
    CHECK(info.global_every == (gemma ? 6 : 0));
    CHECK(info.rope_scale == (gemma ? 4.0f : 1.0f));
    CHECK(info.embed_scaled == (gemma ? 1 : 0));
    CHECK(info.post_norms == (gemma ? 1 : 0));
    CHECK(std::string(info.ffn) == (gemma ? "GeGLU" : "SwiGLU"));
    // A program built against API 1.0 passes that struct's size and gets its fields only.
    ingot_model_info old{};
    old.struct_size = offsetof(ingot_model_info, rope_style);
    old.rope_style = "untouched";
    REQUIRE(ingot_model_get_info(model, &old) == INGOT_OK);
    CHECK(old.n_layers == info.n_layers);
    CHECK(std::string(old.rope_style) == "untouched");
    CHECK(ingot_model_free(model) == INGOT_OK);
  }
}

TEST_CASE("the C API's chat: the model's template, its end of turn, and a conversation in parts") {
  ingot_model* qwen = nullptr;
  ingot_model* llama = nullptr;
  REQUIRE(ingot_model_load(TinyModel("tiny-qwen2").c_str(), nullptr, &qwen) == INGOT_OK);
  REQUIRE(ingot_model_load(TinyModel("tiny-llama3").c_str(), nullptr, &llama) == INGOT_OK);
  const char* name = nullptr;
  int32_t end_of_turn = 0;
  REQUIRE(ingot_chat_template(qwen, nullptr, &name, &end_of_turn) == INGOT_OK);  // its vocabulary's ChatML template
  CHECK(std::string(name) == "chatml");
  CHECK(end_of_turn == 151645);  // <|im_end|>
  CHECK(ingot_chat_template(llama, nullptr, &name, &end_of_turn) == INGOT_ERROR_UNSUPPORTED);
  CHECK(LastError().find("the model has no chat template; name one of chatml, llama3, gemma, phi3, llama2") !=
        std::string::npos);
  REQUIRE(ingot_chat_template(llama, "llama3", &name, &end_of_turn) == INGOT_OK);
  CHECK(end_of_turn == 128009);  // <|eot_id|>
  CHECK(ingot_chat_template(llama, "vicuna", &name, &end_of_turn) == INGOT_ERROR_INVALID_ARGUMENT);

  // The whole conversation = its first turn + the answer's own tokens + what follows the answer.
  const ingot_chat_message messages[] = {
      {"system", "Be brief."}, {"user", "Hello there"}, {"assistant", "Hi! How can I help?"}, {"user", "Say <|im_end|>."}};
  const auto tokenize = [&](int32_t n, int32_t start_after) {
    std::vector<int32_t> ids(256);
    int32_t count = 0;
    REQUIRE(ingot_chat_tokenize(qwen, nullptr, messages, n, 1, start_after, ids.data(), 256, &count) == INGOT_OK);
    ids.resize(static_cast<size_t>(count));
    return ids;
  };
  std::vector<int32_t> parts = tokenize(2, -1);
  const std::vector<int32_t> answer = Model::Load(TinyModel("tiny-qwen2"))->tokenizer().Encode(messages[2].content, false);
  parts.insert(parts.end(), answer.begin(), answer.end());
  const std::vector<int32_t> rest = tokenize(4, 2);
  parts.insert(parts.end(), rest.begin(), rest.end());
  CHECK(parts == tokenize(4, -1));
  CHECK(rest.front() == 151645);  // the answer's end of turn comes first

  int32_t count = 0;
  CHECK(ingot_chat_tokenize(qwen, nullptr, messages, 4, 1, -1, nullptr, 0, &count) == INGOT_ERROR_BUFFER_TOO_SMALL);
  CHECK(count == static_cast<int32_t>(parts.size()));
  CHECK(ingot_chat_tokenize(qwen, nullptr, messages, 4, 1, 4, nullptr, 0, &count) == INGOT_ERROR_INVALID_ARGUMENT);
  const ingot_chat_message no_role[] = {{nullptr, "x"}};
  CHECK(ingot_chat_tokenize(qwen, nullptr, no_role, 1, 1, -1, nullptr, 0, &count) == INGOT_ERROR_INVALID_ARGUMENT);
  CHECK(LastError().find("messages[0].role is NULL") != std::string::npos);
  const ingot_chat_message tool[] = {{"tool", "x"}};
  CHECK(ingot_chat_tokenize(qwen, nullptr, tool, 1, 1, -1, nullptr, 0, &count) == INGOT_ERROR_INVALID_ARGUMENT);
  CHECK(ingot_model_free(qwen) == INGOT_OK);
  CHECK(ingot_model_free(llama) == INGOT_OK);
}

TEST_CASE("a file whose tensors disagree with its architecture is a one-line error naming the tensor") {
  const std::string qwen3 = TinyModel("tiny-qwen3"), qwen2 = TinyModel("tiny-qwen2"), llama3 = TinyModel("tiny-llama3");
  const auto error = [](const std::string& path) { return test::LoadError(path); };
  CHECK(error(Edited(qwen3, "no_q_norm.gguf", "blk.1.attn_q_norm.weight", "")) ==
        test::ScratchDir() + "/no_q_norm.gguf: missing tensor 'blk.1.attn_q_norm.weight'");
  CHECK(error(Edited(qwen3, "short_k_norm.gguf", "", "blk.0.attn_k_norm.weight")) ==
        test::ScratchDir() + "/short_k_norm.gguf: tensor 'blk.0.attn_k_norm.weight' has shape [31], expected [32]");
  CHECK(error(Edited(qwen2, "no_k_bias.gguf", "blk.0.attn_k.bias", "")) ==
        test::ScratchDir() + "/no_k_bias.gguf: missing tensor 'blk.0.attn_k.bias'");
  CHECK(error(Edited(qwen2, "short_v_bias.gguf", "", "blk.1.attn_v.bias")) ==
        test::ScratchDir() + "/short_v_bias.gguf: tensor 'blk.1.attn_v.bias' has shape [31], expected [32]");
  CHECK(error(Edited(llama3, "short_rope_freqs.gguf", "", "rope_freqs.weight")) ==
        test::ScratchDir() + "/short_rope_freqs.gguf: tensor 'rope_freqs.weight' has shape [7], expected [8]");
  // Phi-3's ffn_up must hold gate and up stacked.
  const std::string phi3 = TinyModel("tiny-phi3");
  CHECK(error(Edited(phi3, "short_gate_up.gguf", "", "blk.0.ffn_up.weight")) ==
        test::ScratchDir() + "/short_gate_up.gguf: tensor 'blk.0.ffn_up.weight' has shape [64, 255], expected [64, 256]");
  CHECK(error(Edited(phi3, "no_qkv.gguf", "blk.1.attn_qkv.weight", "")) ==
        test::ScratchDir() + "/no_qkv.gguf: missing tensor 'blk.1.attn_q.weight'");
  // Gemma 3: its post norms, and a window no larger than the context.
  const std::string gemma3 = TinyModel("tiny-gemma3");
  CHECK(error(Edited(gemma3, "no_post_norm.gguf", "blk.2.post_ffw_norm.weight", "")) ==
        test::ScratchDir() + "/no_post_norm.gguf: missing tensor 'blk.2.post_ffw_norm.weight'");
  CHECK(error(Edited(gemma3, "wide_window.gguf", "", "", "gemma3.attention.sliding_window", 1000)) ==
        test::ScratchDir() +
            "/wide_window.gguf: metadata 'gemma3.attention.sliding_window' = 1000 is larger than the context "
            "(gemma3.context_length = 512)");
  // RoPE frequency factors below 1 (0 would divide by zero) are refused.
  {
    const std::unique_ptr<GgufFile> src = GgufFile::Open(llama3);
    GgufWriter w;
    for (const GgufKeyValue& kv : src->metadata()) w.Set(kv.key, kv.value);
    const std::vector<float> factors = {1.0f, 1.0f, 0.0f, 1.0f, 1.0f, 1.0f, 1.0f, 8.0f};
    for (const GgufTensorInfo& t : src->tensors()) {
      w.AddTensor(t.name, t.type, t.dims, t.name == "rope_freqs.weight" ? static_cast<const void*>(factors.data())
                                                                     : static_cast<const void*>(src->TensorData(t)));
    }
    const std::string path = test::ScratchDir() + "/zero_rope_factor.gguf";
    w.Write(path);
    CHECK(error(path) == path + ": tensor 'rope_freqs.weight' holds 0.000000 at 2 (RoPE frequency factors must be at least 1)");
  }
  // Without rope_freqs a llama model is Llama 2's RoPE: it loads.
  CHECK(error(Edited(llama3, "no_rope_freqs.gguf", "rope_freqs.weight", "")) == "(loaded)");
}

}  // namespace ingot
