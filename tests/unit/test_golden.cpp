// Golden outputs of real models through the FP32 reference path.
#include <doctest/doctest.h>

#include <cstring>
#include <string>
#include <vector>

#include "engine/model/model.h"
#include "engine/session/sampler.h"
#include "engine/session/session.h"
#include "tests/test_util.h"
#include "tests/tools/model_helpers.h"

namespace ingot {
namespace {

TEST_CASE("stories260K greedy generation matches the golden token ids") {
  const std::string path = test::FindAsset("models/stories260K/stories260K.bin");
  if (path.empty()) {
    MESSAGE("skipped: models/stories260K/stories260K.bin not found in ./models or ../shared/models");
    return;
  }
  const std::unique_ptr<Model> model = Model::Load(path);
  const std::vector<int32_t> prompt = model->tokenizer().Encode("Once upon a time, there was a little girl named Lily.", true);
  CHECK(prompt == std::vector<int32_t>{1, 403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426});
  const std::vector<int32_t> ids = test::GreedyFp32(*model, prompt, 48, 1);
  // The same ids come out of scripts/llama2c_reference.py, an independent float64 numpy
  // implementation: scripts/llama2c_reference.py stories260K.bin 1,403,...,426 48
  const std::vector<int32_t> golden = {338, 401, 396, 267, 337, 410, 408, 419, 292, 411, 322, 265, 282, 295, 433, 426,
                                       385, 328, 432, 358, 394, 261, 370, 432, 352, 266, 268, 388, 426, 338, 391, 266,
                                       267, 337, 335, 312, 432, 398, 312, 286, 267, 414, 270, 333, 415, 426, 13,  438};
  CHECK(ids == golden);
  MESSAGE("greedy text: " << model->tokenizer().Decode(ids));
}

// Every FP32 value is computed by the same operations in the same order whatever the batch or
// thread split (one fp32::Dot per output, attention per token and head), so logits agree to the bit.
void CheckFp32SameBits(const std::string& relative) {
  const std::string path = test::FindAsset(relative);
  if (path.empty()) {
    MESSAGE("skipped: " << relative << " not found");
    return;
  }
  CAPTURE(relative);
  const std::unique_ptr<Model> model = Model::Load(path);
  const size_t n_vocab = static_cast<size_t>(model->config().n_vocab);
  const std::vector<int32_t> tokens = model->tokenizer().Encode("The package manager installs software from the archive.", true);
  std::vector<std::vector<float>> all_logits;  // [threads][n_tokens * n_vocab]
  for (int32_t threads : {1, 2}) {
    SessionOptions options;
    options.n_threads = threads;
    options.logits_all = true;
    Session session(*model, options);
    session.Eval(tokens.data(), static_cast<int32_t>(tokens.size()), true);
    all_logits.emplace_back(session.logits(), session.logits() + tokens.size() * n_vocab);
  }
  CHECK(all_logits[0] == all_logits[1]);

  // One token at a time: each step's logits are the batch's row for that position.
  SessionOptions options;
  Session session(*model, options);
  for (size_t t = 0; t < tokens.size(); ++t) {
    CAPTURE(t);
    session.Eval(&tokens[t], 1, false);
    CHECK(std::memcmp(session.logits(), all_logits[0].data() + t * n_vocab, n_vocab * sizeof(float)) == 0);
  }
}

TEST_CASE("FP32 logits are the same bits with 1 and 2 threads, and through batched and one-by-one evaluation") {
  CheckFp32SameBits("models/docs-llama-7m/model.f32.gguf");
  CheckFp32SameBits("models/docs-gpt2-7m/model.f32.gguf");
}

TEST_CASE("docs-llama-7m: the GGUF file and the llama2.c checkpoint give the same logits") {
  const std::string gguf_path = test::FindAsset("models/docs-llama-7m/model.f32.gguf");
  const std::string l2c_path = test::FindAsset("models/docs-llama-7m/model.llama2c.bin");
  if (gguf_path.empty() || l2c_path.empty()) {
    MESSAGE("skipped: models/docs-llama-7m/model.f32.gguf or model.llama2c.bin not found");
    return;
  }
  const std::unique_ptr<Model> a = Model::Load(gguf_path);
  const std::unique_ptr<Model> b = Model::Load(l2c_path);
  CHECK(a->config().n_vocab == b->config().n_vocab);
  CHECK(a->config().n_kv_heads == 2);
  CHECK(b->output.data != b->token_embd.data);  // negative vocab in the header: a separate classifier
  const std::vector<int32_t> tokens = a->tokenizer().Encode("Configuration files live in /etc.", true);
  CHECK(tokens == b->tokenizer().Encode("Configuration files live in /etc.", true));
  Session sa(*a, SessionOptions{});
  Session sb(*b, SessionOptions{});
  sa.Eval(tokens.data(), static_cast<int32_t>(tokens.size()), false);
  sb.Eval(tokens.data(), static_cast<int32_t>(tokens.size()), false);
  CHECK(std::memcmp(sa.logits(), sb.logits(), static_cast<size_t>(a->config().n_vocab) * sizeof(float)) == 0);
}

}  // namespace
}  // namespace ingot
