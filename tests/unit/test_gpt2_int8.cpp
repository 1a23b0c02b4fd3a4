// The GGUF `gpt2` architecture on the integer-only path (--mode int8 on the float file):
// agreement with the FP32 reference, batched against one-by-one evaluation, and the FP escape
// hatch's gpt2 module names. (Its bits on every ISA and thread count, with a golden hash:
// test_int8_determinism.cpp; the integer tanh GELU against float: kernels/test_ref_math.cpp.)
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "engine/forward/fp_modules.h"
#include "engine/model/model.h"
#include "engine/session/sampler.h"
#include "engine/session/session.h"
#include "model_io/error.h"
#include "tests/test_util.h"

namespace ingot {
namespace {

constexpr const char* kModel = "models/docs-gpt2-7m/model.f32.gguf";
constexpr const char* kPrompt = "The package manager installs software from the archive";
constexpr const char* kText =
    "The package manager installs software from the archive. To install a package, run the install "
    "command followed by the name of the package. The system keeps a list of the packages that are "
    "installed, and it updates them when a new version is released. Configuration files are kept "
    "when a package is removed, unless you ask to purge them.";

std::unique_ptr<Model> LoadInt8(const std::string& path) {
  ModelLoadOptions options;
  options.prepare_int8 = true;
  return Model::Load(path, options);
}

// Every position's logits for a text: [n_tokens, n_vocab].
std::vector<float> LogitsPerPosition(const Model& model, Mode mode, const std::string& fp_modules,
                                     const std::vector<int32_t>& tokens) {
  SessionOptions options;
  options.mode = mode;
  options.fp_modules = fp_modules;
  options.n_threads = 1;
  options.logits_all = true;
  Session session(model, options);
  session.Eval(tokens.data(), static_cast<int32_t>(tokens.size()), true);
  return std::vector<float>(session.logits(), session.logits() + tokens.size() * static_cast<size_t>(model.config().n_vocab));
}

// Argmax of every row of [n, n_vocab] logits.
std::vector<int32_t> Argmaxes(const std::vector<float>& logits, int32_t n_vocab) {
  std::vector<int32_t> out;
  for (size_t row = 0; row < logits.size(); row += static_cast<size_t>(n_vocab)) out.push_back(Argmax(logits.data() + row, n_vocab));
  return out;
}

std::vector<int32_t> ArgmaxPerPosition(const Model& model, Mode mode, const std::string& fp_modules,
                                       const std::vector<int32_t>& tokens) {
  return Argmaxes(LogitsPerPosition(model, mode, fp_modules, tokens), model.config().n_vocab);
}

double MaxAbsDiff(const std::vector<float>& a, const std::vector<float>& b) {
  double max = 0.0;
  for (size_t i = 0; i < a.size(); ++i) max = std::max(max, std::abs(static_cast<double>(a[i]) - b[i]));
  return max;
}

double Agreement(const std::vector<int32_t>& a, const std::vector<int32_t>& b) {
  size_t same = 0;
  for (size_t i = 0; i < a.size(); ++i) same += a[i] == b[i] ? 1 : 0;
  return static_cast<double>(same) / static_cast<double>(a.size());
}

TEST_CASE("docs-gpt2-7m int8: batched, split and one-by-one evaluation give the same bits") {
  const std::string path = test::FindAsset(kModel);
  if (path.empty()) {
    MESSAGE("skipped: " << kModel << " not found");
    return;
  }
  const std::unique_ptr<Model> model = LoadInt8(path);
  const int32_t n_vocab = model->config().n_vocab;
  const std::vector<int32_t> tokens = model->tokenizer().Encode(kPrompt, true);
  SessionOptions options;
  options.mode = Mode::kInt8;
  options.n_threads = 1;
  Session batched(*model, options);
  batched.Eval(tokens.data(), static_cast<int32_t>(tokens.size()), false);
  options.n_batch = 3;  // batches that start mid-prompt: positions follow n_past
  Session split(*model, options);
  split.Eval(tokens.data(), static_cast<int32_t>(tokens.size()), false);
  Session single(*model, options);
  for (int32_t t : tokens) single.Eval(&t, 1, false);
  const std::vector<int32_t> a(batched.logits_q16(), batched.logits_q16() + n_vocab);
  CHECK(std::vector<int32_t>(split.logits_q16(), split.logits_q16() + n_vocab) == a);
  CHECK(std::vector<int32_t>(single.logits_q16(), single.logits_q16() + n_vocab) == a);
}

TEST_CASE("docs-gpt2-7m int8 agrees with FP32: argmax on >= 90% of positions, sensible greedy text") {
  const std::string path = test::FindAsset(kModel);
  if (path.empty()) {
    MESSAGE("skipped: " << kModel << " not found");
    return;
  }
  const std::unique_ptr<Model> model = LoadInt8(path);
  const std::vector<int32_t> tokens = model->tokenizer().Encode(kText, true);
  const std::vector<int32_t> fp32 = ArgmaxPerPosition(*model, Mode::kFp32, "", tokens);
  const std::vector<int32_t> int8 = ArgmaxPerPosition(*model, Mode::kInt8, "", tokens);
  const double agreement = Agreement(int8, fp32);
  MESSAGE("int8 / FP32 argmax agreement over " << tokens.size() << " positions: " << 100.0 * agreement << " %");
  CHECK(agreement >= 0.90);

  // Greedy continuation of the prompt: int8 follows FP32's first tokens.
  const std::vector<int32_t> prompt = model->tokenizer().Encode(kPrompt, true);
  std::vector<int32_t> ids[2];
  for (Mode mode : {Mode::kFp32, Mode::kInt8}) {
    SessionOptions options;
    options.mode = mode;
    options.n_threads = 1;
    Session session(*model, options);
    session.Eval(prompt.data(), static_cast<int32_t>(prompt.size()), false);
    std::vector<int32_t>& out = ids[mode == Mode::kInt8 ? 1 : 0];
    for (int i = 0; i < 16; ++i) {
      const int32_t next = Argmax(session.logits(), model->config().n_vocab);
      out.push_back(next);
      session.Eval(&next, 1, false);
    }
  }
  MESSAGE("int8 greedy text: " << model->tokenizer().Decode(ids[1]));
  CHECK(std::vector<int32_t>(ids[1].begin(), ids[1].begin() + 4) == std::vector<int32_t>(ids[0].begin(), ids[0].begin() + 4));
}

TEST_CASE("gpt2's FP escape hatch: layernorm and gelu modules, and every layer in float reaches FP32") {
  const std::string path = test::FindAsset(kModel);
  if (path.empty()) {
    MESSAGE("skipped: " << kModel << " not found");
    return;
  }
  const std::unique_ptr<Model> model = LoadInt8(path);
  const ModelConfig& c = model->config();
  const FpModuleSet set = ParseFpModules("layernorm,gelu,softmax", c);
  CHECK(set.norm);
  CHECK(set.act);
  CHECK(set.ToString() == "layernorm,gelu,softmax");
  CHECK_THROWS_WITH_AS(ParseFpModules("norm", c), doctest::Contains("unknown module 'norm' (known: layernorm, gelu"), Error);
  CHECK_THROWS_WITH_AS(ParseFpModules("rope", c), doctest::Contains("unknown module 'rope'"), Error);
  CHECK(FpModuleKinds(c) == std::vector<std::string>{"layernorm", "gelu", "softmax", "kv", "lm_head"});

  const std::vector<int32_t> tokens = model->tokenizer().Encode(kText, true);
  const int32_t n_vocab = c.n_vocab;
  const std::vector<float> fp32 = LogitsPerPosition(*model, Mode::kFp32, "", tokens);
  const std::vector<float> int8 = LogitsPerPosition(*model, Mode::kInt8, "", tokens);
  for (const std::string module : {"layernorm", "gelu", "softmax", "kv", "lm_head", "layer:0", "layer:5"}) {
    CAPTURE(module);
    const std::vector<float> logits = LogitsPerPosition(*model, Mode::kInt8, module, tokens);
    CHECK(logits != int8);  // the module did run in float
    CHECK(Agreement(Argmaxes(logits, n_vocab), Argmaxes(fp32, n_vocab)) >= 0.90);
  }
  // Every layer and the output in float: only the int8 token and position rows differ from FP32.
  const std::vector<float> all =
      LogitsPerPosition(*model, Mode::kInt8, "layer:0,layer:1,layer:2,layer:3,layer:4,layer:5,lm_head", tokens);
  CHECK(Agreement(Argmaxes(all, n_vocab), Argmaxes(fp32, n_vocab)) >= 0.95);
  MESSAGE("max |logit - fp32|: int8 " << MaxAbsDiff(int8, fp32) << ", every layer in float " << MaxAbsDiff(all, fp32));
  // With the 16-bit attention probabilities the integer-only path is already as close (0.019)
  // as this (0.022): what is left here is the int8 rows, a fixed and small difference.
  CHECK(MaxAbsDiff(all, fp32) < 0.05);
}

}  // namespace
}  // namespace ingot
