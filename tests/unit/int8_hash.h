// The integer path's promise, checked: the same Q16 logits, bit for bit, on every kernel table
// this machine runs and on 1 and 2 threads (shared by test_int8_determinism, test_architectures).
#pragma once

#include <doctest/doctest.h>
#include <xxhash.h>

#include <memory>
#include <string>
#include <vector>

#include "engine/model/model.h"
#include "engine/session/session.h"
#include "kernels/dispatch.h"

namespace ingot::test {

// XXH3-64 of the Q16 logits of a prompt (every position) and of 8 greedy decode steps.
inline uint64_t LogitsHash(const Model& model, const std::string& text, int32_t threads, std::vector<int32_t>* greedy) {
  SessionOptions options;
  options.mode = Mode::kInt8;
  options.n_threads = threads;
  options.logits_all = true;
  options.max_memory = uint64_t{1} << 30;  // logits of every position of a 152k vocabulary
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

// Loads path with each kernel table (ref, avx2, avx512vnni, neon-dot: those built and detected),
// hashes the logits of text and 8 greedy steps on 1 and 2 threads, checks they all agree, and
// returns the hash. formats: the matrices' forms (default: all per-channel int8).
inline uint64_t CheckInt8LogitsAgree(const std::string& path, const std::string& text, const WeightFormats& formats = {}) {
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
    options.formats = formats;
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
  const std::string summary = path + " (" + formats.Describe() + "): identical int8 logits on " + list + "(XXH3-64 " + std::to_string(first) + ")";
  MESSAGE(summary);
  return first;
}

}  // namespace ingot::test
