// Several sequences in one session (the server's slots): a batch over them (decode steps, with
// prompts riding along) gives each the logits, bit for bit, that a session of its own gives, in
// both modes and every architecture family (learned positions, sliding windows, q/k norms),
// and bad batches are refused.
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

// Four sequences in one session on 2 threads, each row compared with the sequence alone:
// sequence 0's prompt alone; then each later sequence's prompt in the same batch as a decode
// step of those already running (its logits row last); then greedy steps over the sequences
// still running (sequence s stops after kSteps - s steps, so the steps shrink to one row).
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
  SessionOptions options = Options(mode, n_seq, 2);
  options.n_batch = 64;
  Session session(model, options);
  std::vector<int32_t> next(n_seq);
  std::vector<int32_t> steps_done(n_seq, 0);  // decode steps each sequence has had
  session.Eval(prompts[0].data(), static_cast<int32_t>(prompts[0].size()), false, nullptr, 0);
  CHECK(std::memcmp(session.logits(), expected[0][0].data(), n_vocab * sizeof(float)) == 0);
  next[0] = Argmax(session.logits(), static_cast<int32_t>(n_vocab));
  for (int32_t s = 1; s < n_seq; ++s) {
    std::vector<int32_t> tokens, seqs, rows;
    for (int32_t r = 0; r < s; ++r) {  // a decode step of the running sequences...
      rows.push_back(static_cast<int32_t>(tokens.size()));
      tokens.push_back(next[r]);
      seqs.push_back(r);
    }
    for (const int32_t id : prompts[s]) {  // ...and sequence s's whole prompt
      tokens.push_back(id);
      seqs.push_back(s);
    }
    rows.push_back(static_cast<int32_t>(tokens.size()) - 1);
    session.EvalBatch(tokens.data(), seqs.data(), static_cast<int32_t>(tokens.size()),
                      LogitRows{rows.data(), static_cast<int32_t>(rows.size())});
    for (int32_t r = 0; r <= s; ++r) {
      CAPTURE(s);
      CAPTURE(r);
      const float* row = session.logits() + static_cast<size_t>(r) * n_vocab;
      const int32_t step = r < s ? ++steps_done[r] : 0;
      CHECK(std::memcmp(row, expected[r][step].data(), n_vocab * sizeof(float)) == 0);
      next[r] = Argmax(row, static_cast<int32_t>(n_vocab));
    }
  }
  for (int32_t step = 1; step <= kSteps; ++step) {
    std::vector<int32_t> seqs, tokens, rows;
    for (int32_t s = n_seq - 1; s >= 0; --s) {  // in reverse: the order of a step is free
      if (steps_done[s] < kSteps - s) {
        rows.push_back(static_cast<int32_t>(seqs.size()));
        seqs.push_back(s);
        tokens.push_back(next[s]);
      }
    }
    session.EvalBatch(tokens.data(), seqs.data(), static_cast<int32_t>(seqs.size()),
                      LogitRows{rows.data(), static_cast<int32_t>(rows.size())});
    for (size_t i = 0; i < seqs.size(); ++i) {
      const int32_t s = seqs[i];
      CAPTURE(step);
      CAPTURE(s);
      const float* row = session.logits() + i * n_vocab;
      const int32_t done = ++steps_done[s];
      CHECK(std::memcmp(row, expected[s][done].data(), n_vocab * sizeof(float)) == 0);
      next[s] = Argmax(row, static_cast<int32_t>(n_vocab));
      CHECK(session.n_past(s) == static_cast<int32_t>(prompts[s].size()) + done);
    }
  }
  for (int32_t s = 0; s < n_seq; ++s) CHECK(steps_done[s] == kSteps - s);
}

std::unique_ptr<Model> LoadBoth(const std::string& path) {
  ModelLoadOptions options;
  options.prepare_int8 = true;
  return Model::Load(path, options);
}

TEST_CASE("a batch over several sequences gives each the bits of its own session") {
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

TEST_CASE("bad batches are refused before anything runs") {
  const std::string path = test::FindAsset("models/stories260K/stories260K.bin");
  if (path.empty()) {
    MESSAGE("skipped: stories260K not found");
    return;
  }
  const auto model = LoadBoth(path);
  Session session(*model, Options(Mode::kInt8, 3, 1));
  const int32_t tokens[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  const int32_t all[4] = {0, 1, 2, 3};
  const int32_t out_of_range[1] = {3};
  CHECK_THROWS_WITH_AS(session.EvalBatch(tokens, out_of_range, 1, LogitRows{all, 1}),
                       "sequence 3 is out of range [0, 3)", Error);
  const int32_t eight[8] = {0, 1, 2, 0, 1, 2, 0, 1};  // n_batch is 7
  CHECK_THROWS_WITH_AS(session.EvalBatch(tokens, eight, 8, LogitRows{}), "a batch of 8 tokens is more than n_batch (7)",
                       Error);
  CHECK_THROWS_WITH_AS(session.EvalBatch(tokens, eight, 4, LogitRows{all, 4}),
                       "4 rows of logits asked of a batch (at most 3)", Error);
  const int32_t descending[2] = {1, 0};
  CHECK_THROWS_WITH_AS(session.EvalBatch(tokens, eight, 2, LogitRows{descending, 2}),
                       "the rows of logits asked of a batch must ascend within it", Error);
  const int32_t past_end[1] = {2};
  CHECK_THROWS_AS(session.EvalBatch(tokens, eight, 2, LogitRows{past_end, 1}), Error);
  const int32_t bad_id[1] = {4096};
  CHECK_THROWS_WITH_AS(session.EvalBatch(bad_id, eight, 1, LogitRows{}), doctest::Contains("token id 4096"), Error);
  CHECK(session.n_past(0) == 0);
  // A sequence whose context cannot take its tokens refuses the whole batch.
  std::vector<int32_t> fill(95, 5);
  session.Eval(fill.data(), 95, false, nullptr, 1);
  const int32_t twice_one[3] = {0, 1, 1};
  CHECK_THROWS_AS(session.EvalBatch(tokens, twice_one, 3, LogitRows{}), Error);
  CHECK(session.n_past(0) == 0);
  CHECK(session.n_past(1) == 95);
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
