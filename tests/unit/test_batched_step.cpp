// Several sequences in one session (the server's slots): a decode step over them gives each the
// logits, bit for bit, that a session of its own gives, in both modes and every architecture
// family (learned positions, sliding windows, q/k norms), and bad steps are refused.
#include <doctest/doctest.h>

#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "engine/model/model.h"
#include "engine/session/sampler.h"
#include "engine/session/session.h"
#include "model_io/error.h"
#include "tests/test_util.h"
#include "tests/tools/random_model.h"

namespace ingot {
namespace {

const char* const kPrompts[] = {"Once upon a time", "The cat sat on the mat and looked at the", "Hello",
                                "A long time ago in a small town there lived"};
constexpr int32_t kSteps = 12;

SessionOptions Options(Mode mode, int32_t n_seq, int32_t n_threads) {
  SessionOptions o;
  o.mode = mode;
  o.n_ctx = 96;
  o.n_seq = n_seq;
  o.n_threads = n_threads;
  o.n_batch = 7;  // prompts cross batch boundaries
  return o;
}

// The logits a sequence's own session gives: the prompt's last row, then each greedy step's.
std::vector<std::vector<float>> Alone(const Model& model, Mode mode, const std::vector<int32_t>& prompt) {
  Session session(model, Options(mode, 1, 1));
  const size_t n_vocab = static_cast<size_t>(model.config().n_vocab);
  std::vector<std::vector<float>> rows;
  session.Eval(prompt.data(), static_cast<int32_t>(prompt.size()), false);
  for (int32_t step = 0;; ++step) {
    rows.emplace_back(session.logits(), session.logits() + n_vocab);
    if (step == kSteps) break;
    const int32_t next = Argmax(session.logits(), static_cast<int32_t>(n_vocab));
    session.Eval(&next, 1, false);
  }
  return rows;
}

// Four sequences in one session on 2 threads: prompts evaluated one after another, then greedy
// steps over the sequences still running (sequence s stops after kSteps - s steps, so the steps
// shrink from four rows to one), each row compared with the sequence alone.
void CheckBatchedEqualsAlone(const Model& model, Mode mode) {
  CAPTURE(model.path());
  CAPTURE(mode == Mode::kInt8 ? "int8" : "fp32");
  const int32_t n_seq = 4;
  const size_t n_vocab = static_cast<size_t>(model.config().n_vocab);
  std::vector<std::vector<int32_t>> prompts;
  std::vector<std::vector<std::vector<float>>> expected;
  for (const char* text : kPrompts) {
    prompts.push_back(model.tokenizer().Encode(text, true));
    expected.push_back(Alone(model, mode, prompts.back()));
  }
  Session session(model, Options(mode, n_seq, 2));
  std::vector<int32_t> next(n_seq);
  for (int32_t s = 0; s < n_seq; ++s) {
    session.Eval(prompts[s].data(), static_cast<int32_t>(prompts[s].size()), false, nullptr, s);
    CHECK(std::memcmp(session.logits(), expected[s][0].data(), n_vocab * sizeof(float)) == 0);
    next[s] = Argmax(session.logits(), static_cast<int32_t>(n_vocab));
  }
  for (int32_t step = 1; step <= kSteps; ++step) {
    std::vector<int32_t> seqs, tokens;
    for (int32_t s = n_seq - 1; s >= 0; --s) {  // in reverse: the order of a step is free
      if (step <= kSteps - s) {
        seqs.push_back(s);
        tokens.push_back(next[s]);
      }
    }
    session.EvalStep(tokens.data(), seqs.data(), static_cast<int32_t>(seqs.size()));
    for (size_t i = 0; i < seqs.size(); ++i) {
      const int32_t s = seqs[i];
      CAPTURE(step);
      CAPTURE(s);
      const float* row = session.logits() + i * n_vocab;
      CHECK(std::memcmp(row, expected[s][step].data(), n_vocab * sizeof(float)) == 0);
      next[s] = Argmax(row, static_cast<int32_t>(n_vocab));
      CHECK(session.n_past(s) == static_cast<int32_t>(prompts[s].size()) + step);
    }
  }
}

std::unique_ptr<Model> LoadBoth(const std::string& path) {
  ModelLoadOptions options;
  options.prepare_int8 = true;
  return Model::Load(path, options);
}

TEST_CASE("a decode step over several sequences gives each the bits of its own session") {
  for (const char* relative : {"models/stories260K/stories260K.bin", "models/docs-gpt2-7m/model.f32.gguf"}) {
    const std::string path = test::FindAsset(relative);
    if (path.empty()) {
      MESSAGE("skipped: " << relative << " not found");
      continue;
    }
    const auto model = LoadBoth(path);
    CheckBatchedEqualsAlone(*model, Mode::kInt8);
    CheckBatchedEqualsAlone(*model, Mode::kFp32);
  }
  // Sliding windows shorter than the prompts (gemma3), q/k norms (qwen3).
  for (const char* shape : {"tiny-gemma3", "tiny-qwen3"}) {
    const std::string path = test::ScratchDir() + "/" + shape + ".gguf";
    test::WriteRandomModel(path, test::ShapeByName(shape), GgmlType::kF32, 11, "");
    const auto model = LoadBoth(path);
    CheckBatchedEqualsAlone(*model, Mode::kInt8);
  }
}

TEST_CASE("bad decode steps are refused before anything runs") {
  const std::string path = test::FindAsset("models/stories260K/stories260K.bin");
  if (path.empty()) {
    MESSAGE("skipped: stories260K not found");
    return;
  }
  const auto model = LoadBoth(path);
  Session session(*model, Options(Mode::kInt8, 3, 1));
  const int32_t tokens[3] = {1, 2, 3};
  const int32_t repeated[2] = {0, 0};
  CHECK_THROWS_WITH_AS(session.EvalStep(tokens, repeated, 2), "sequence 0 appears twice in a decode step", Error);
  const int32_t out_of_range[1] = {3};
  CHECK_THROWS_WITH_AS(session.EvalStep(tokens, out_of_range, 1), "sequence 3 is out of range [0, 3)", Error);
  const int32_t four[4] = {0, 1, 2, 0};
  CHECK_THROWS_WITH_AS(session.EvalStep(tokens, four, 4), "a decode step of 4 tokens over 3 sequences", Error);
  CHECK(session.n_past(0) == 0);
  // A full sequence refuses the whole step.
  std::vector<int32_t> fill(96, 5);
  session.Eval(fill.data(), 96, false, nullptr, 1);
  const int32_t both[2] = {0, 1};
  CHECK_THROWS_AS(session.EvalStep(tokens, both, 2), Error);
  CHECK(session.n_past(0) == 0);
  CHECK(session.n_past(1) == 96);
  // Rewind and Reset act on one sequence and on all.
  session.Rewind(10, 1);
  CHECK(session.n_past(1) == 10);
  session.Reset();
  CHECK(session.n_past(1) == 0);
  // The escape hatch's float KV cache holds one sequence.
  SessionOptions hatch = Options(Mode::kInt8, 2, 1);
  hatch.fp_modules = "kv";
  CHECK_THROWS_WITH_AS(Session(*model, hatch), "--fp-modules kv and layer:N keep a float KV cache for one sequence only",
                       Error);
  SessionOptions zero = Options(Mode::kInt8, 0, 1);
  CHECK_THROWS_WITH_AS(Session(*model, zero), "n_seq must be in [1, 256], got 0", Error);
}

}  // namespace
}  // namespace ingot
