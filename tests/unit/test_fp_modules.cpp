// The FP escape hatch: module names, each module switched alone, and the whole network in float
// through it, which must land on the FP32 reference.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "engine/forward/fp_modules.h"
#include "engine/model/model.h"
#include "engine/session/session.h"
#include "model_io/error.h"
#include "tests/test_util.h"

namespace ingot {
namespace {

std::vector<float> LastLogits(const Model& model, Mode mode, const std::string& fp_modules, int32_t threads = 1) {
  SessionOptions options;
  options.mode = mode;
  options.fp_modules = fp_modules;
  options.n_threads = threads;
  Session session(model, options);
  // Long enough (about 480 positions) that RoPE's large angles matter: over a few positions the
  // Q30 integer tables and float rotations agree to the last Q16 bit.
  std::string text;
  for (int i = 0; i < 40; ++i) text += "Once upon a time, there was a little dog. ";
  const std::vector<int32_t> tokens = model.tokenizer().Encode(text, true);
  // Two evaluations: a batch, then one token, so both paths of every module run.
  session.Eval(tokens.data(), static_cast<int32_t>(tokens.size()) - 1, false);
  session.Eval(&tokens.back(), 1, false);
  return std::vector<float>(session.logits(), session.logits() + model.config().n_vocab);
}

// stories260K with its int8 weights, or null (with a message) when the file is absent.
std::unique_ptr<Model> LoadStories260K() {
  const std::string path = test::FindAsset("models/stories260K/stories260K.bin");
  if (path.empty()) {
    MESSAGE("skipped: models/stories260K/stories260K.bin not found");
    return nullptr;
  }
  ModelLoadOptions load;
  load.prepare_int8 = true;
  return Model::Load(path, load);
}

double MaxAbsDiff(const std::vector<float>& a, const std::vector<float>& b) {
  double m = 0.0;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, static_cast<double>(std::fabs(a[i] - b[i])));
  return m;
}

TEST_CASE("module lists parse, and bad names are refused") {
  const FpModuleSet set = ParseFpModules("norm,softmax,layer:3", 5);
  CHECK(set.norm);
  CHECK(set.softmax);
  CHECK_FALSE(set.act);
  CHECK(set.layers == std::vector<bool>{false, false, false, true, false});
  CHECK(set.ToString() == "norm,softmax,layer:3");
  CHECK_FALSE(ParseFpModules("", 5).any());
  CHECK_THROWS_WITH_AS(ParseFpModules("norm,gelu", 5), doctest::Contains("unknown module 'gelu'"), Error);
  CHECK_THROWS_WITH_AS(ParseFpModules("layer:5", 5), doctest::Contains("'layer:5' is not a layer of this model (0..4)"), Error);
  CHECK_THROWS_AS(ParseFpModules("layer:x", 5), Error);
}

TEST_CASE("each module in float stays close to the integer path, and all of them reach FP32") {
  const std::unique_ptr<Model> model = LoadStories260K();
  if (!model) return;
  const std::vector<float> fp32 = LastLogits(*model, Mode::kFp32, "");
  const std::vector<float> int8 = LastLogits(*model, Mode::kInt8, "");
  const double int8_error = MaxAbsDiff(int8, fp32);
  CHECK(int8_error > 0.0);  // the integer path is an approximation...
  CHECK(int8_error < 1.0);  // ...a close one
  for (const std::string module : {"norm", "rope", "act", "softmax", "kv", "lm_head", "layer:0", "layer:4"}) {
    CAPTURE(module);
    const std::vector<float> mixed = LastLogits(*model, Mode::kInt8, module);
    CHECK(mixed != int8);  // the module really switched
    CHECK(MaxAbsDiff(mixed, fp32) < 1.0);
  }
  // Every layer and the output in float: only the int8 embedding table differs from FP32.
  const std::vector<float> all = LastLogits(*model, Mode::kInt8, "layer:0,layer:1,layer:2,layer:3,layer:4,lm_head");
  CHECK(MaxAbsDiff(all, fp32) < int8_error / 4);
  CHECK_THROWS_WITH_AS(LastLogits(*model, Mode::kFp32, "norm"), doctest::Contains("goes with --mode int8"), Error);
}

TEST_CASE("the float modules give the same bits on 1 and 2 threads") {
  // `kv` attends on the integer path's workers, concurrently, through the FP32 forward pass.
  const std::unique_ptr<Model> model = LoadStories260K();
  if (!model) return;
  for (const std::string modules : {"kv", "layer:1,kv,rope", "norm,act,softmax,lm_head"}) {
    CAPTURE(modules);
    CHECK(LastLogits(*model, Mode::kInt8, modules, 1) == LastLogits(*model, Mode::kInt8, modules, 2));
  }
}

}  // namespace
}  // namespace ingot
