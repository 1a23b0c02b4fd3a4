// The integer path's promise: the same logits, bit for bit, on every kernel table and thread
// count, and golden hashes of them (stories260K, docs-gpt2-7m) that any machine must reproduce.
#include <doctest/doctest.h>

#include <xxhash.h>

#include <string>
#include <vector>

#include "engine/model/model.h"
#include "engine/session/sampler.h"
#include "engine/session/session.h"
#include "kernels/dispatch.h"
#include "tests/test_util.h"

namespace ingot {
namespace {

// XXH3-64 of the Q16 logits of a prompt (every position) and of 8 greedy decode steps.
uint64_t LogitsHash(const Model& model, const char* text, int32_t threads, std::vector<int32_t>* greedy) {
  SessionOptions options;
  options.mode = Mode::kInt8;
  options.n_threads = threads;
  options.logits_all = true;
  Session session(model, options);
  const std::vector<int32_t> prompt = model.tokenizer().Encode(text, true);
  const size_t n_vocab = static_cast<size_t>(model.config().n_vocab);
  session.Eval(prompt.data(), static_cast<int32_t>(prompt.size()), true);
  XXH3_state_t* state = XXH3_createState();
  XXH3_64bits_reset(state);
  XXH3_64bits_update(state, session.logits_q16(), prompt.size() * n_vocab * sizeof(int32_t));
  const int32_t* last = session.logits_q16() + (prompt.size() - 1) * n_vocab;
  for (int step = 0; step < 8; ++step) {
    int32_t next = 0;
    for (size_t v = 1; v < n_vocab; ++v) {
      if (last[v] > last[next]) next = static_cast<int32_t>(v);
    }
    greedy->push_back(next);
    session.Eval(&next, 1, true);
    last = session.logits_q16();
    XXH3_64bits_update(state, last, n_vocab * sizeof(int32_t));
  }
  const uint64_t hash = XXH3_64bits_digest(state);
  XXH3_freeState(state);
  return hash;
}

constexpr const char* kStory = "Once upon a time, there was a little girl named Lily.";

void CheckAllTablesAgree(const std::string& relative, const char* text, uint64_t golden) {
  const std::string path = test::FindAsset(relative);
  if (path.empty()) {
    MESSAGE("skipped: " << relative << " not found");
    return;
  }
  std::vector<std::string> ran;
  uint64_t first = 0;
  std::vector<int32_t> first_greedy;
  for (const char* isa : {"ref", "avx2", "avx512vnni", "neon-dot"}) {
    kernels::Isa id;
    REQUIRE(kernels::ParseIsaName(isa, &id));
    const kernels::IsaStatus status = kernels::GetIsaStatus(id);
    if (!status.built || !status.detected) {
      const std::string why = std::string("ISA ") + isa + " not run here: " +
                              (status.built ? "this CPU lacks it" : "not built into this binary");
      MESSAGE(why);
      continue;
    }
    ModelLoadOptions options;
    options.prepare_int8 = true;
    options.isa = isa;
    const std::unique_ptr<Model> model = Model::Load(path, options);
    CHECK(std::string(model->isa_name()) == isa);  // the forced table really ran
    for (int32_t threads : {1, 2}) {
      std::vector<int32_t> greedy;
      const uint64_t hash = LogitsHash(*model, text, threads, &greedy);
      CAPTURE(isa);
      CAPTURE(threads);
      if (ran.empty()) {
        first = hash;
        first_greedy = greedy;
      }
      CHECK(hash == first);
      CHECK(greedy == first_greedy);
      ran.push_back(std::string(isa) + "/" + std::to_string(threads) + "t");
    }
  }
  std::string list;
  for (const std::string& r : ran) list += r + " ";
  const std::string summary = relative + ": identical int8 logits on " + list + "(XXH3-64 " + std::to_string(first) + ")";
  MESSAGE(summary);
  if (golden != 0) CHECK(first == golden);
}

TEST_CASE("stories260K int8 logits: the same bits on every ISA and thread count, and the golden hash") {
  // Integer arithmetic is exact: this value holds for any compiler, CPU and thread count.
  CheckAllTablesAgree("models/stories260K/stories260K.bin", kStory, 10185708388449271959ull);
}

TEST_CASE("docs-llama-7m int8 logits: the same bits on every ISA and thread count") {
  CheckAllTablesAgree("models/docs-llama-7m/model.f32.gguf", kStory, 0);
}

TEST_CASE("docs-gpt2-7m int8 logits: the same bits on every ISA and thread count, and the golden hash") {
  // gpt2's integer path: LayerNorm, tanh GELU, biases, learned positions.
  CheckAllTablesAgree("models/docs-gpt2-7m/model.f32.gguf", "The package manager installs software from the archive",
                      11497020277482511798ull);
}

}  // namespace
}  // namespace ingot
