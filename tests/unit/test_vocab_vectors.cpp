// Every vocabulary of models/vocab with llama.cpp's test vectors, one test each: the ids of each
// text as llama.cpp gives them, through the GGUF's own metadata (tokenizer.ggml.model, .pre, the
// special ids and add_bos). llama-spm is in test_tokenizer.cpp, with the tokenizer.model checks.
#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "model_io/gguf.h"
#include "model_io/tokenizer.h"
#include "tests/test_util.h"
#include "tests/unit/vocab_vectors.h"

namespace ingot {
namespace {

struct Expected {
  int32_t n_vocab, bos_id, eos_id;
  bool add_bos;
  size_t n_tests;
};

// Loads the vocabulary, checks its special ids, and runs its vectors; all must match.
void CheckVocabulary(const std::string& name, const Expected& expected, bool byte_level = true) {
  const std::string path = test::FindAsset("models/vocab/ggml-vocab-" + name + ".gguf");
  if (path.empty()) {
    MESSAGE("skipped: models/vocab/ggml-vocab-" << name << ".gguf not found");
    return;
  }
  const auto tokenizer = Tokenizer::FromGguf(*GgufFile::Open(path));
  CHECK(tokenizer->n_vocab() == expected.n_vocab);
  CHECK(tokenizer->bos_id() == expected.bos_id);
  CHECK(tokenizer->eos_id() == expected.eos_id);
  CHECK(tokenizer->add_bos() == expected.add_bos);
  const size_t n_matched = test::CheckVocabVectors(*tokenizer, name, byte_level);
  if (n_matched > 0) CHECK(n_matched == expected.n_tests);
}

}  // namespace

TEST_CASE("gpt-2 vectors") { CheckVocabulary("gpt-2", {50257, 50256, 50256, false, 46}); }
TEST_CASE("mpt vectors") { CheckVocabulary("mpt", {50432, 0, 0, false, 46}); }
// Llama 3: its own regex (numbers in threes), whole-word tokens without merges, BOS by default.
TEST_CASE("llama-bpe vectors") { CheckVocabulary("llama-bpe", {128256, 128000, 128001, true, 46}); }
TEST_CASE("qwen2 vectors") { CheckVocabulary("qwen2", {151936, 151643, 151643, false, 46}); }
// Qwen 3.5: marks join letters.
TEST_CASE("qwen35 vectors") { CheckVocabulary("qwen35", {151936, 151643, 151643, false, 50}); }
// Single digits first, then GPT-2's regex.
TEST_CASE("starcoder vectors") { CheckVocabulary("starcoder", {49152, 0, 0, false, 46}); }
TEST_CASE("refact vectors") { CheckVocabulary("refact", {49216, 0, 0, false, 46}); }
// Punctuation runs, GPT-2's regex, then digits in threes, all through llama.cpp's collapsed
// std::regex view.
TEST_CASE("falcon vectors") { CheckVocabulary("falcon", {65024, 11, 11, false, 46}); }
// Six regexes, four of them explicit code point ranges (std::wregex view).
TEST_CASE("deepseek-llm vectors") { CheckVocabulary("deepseek-llm", {102400, 100000, 100001, true, 46}); }
TEST_CASE("deepseek-coder vectors") { CheckVocabulary("deepseek-coder", {32256, 32013, 32014, true, 46}); }
// SPM with 53 unknown-typed [PAD] fillers and a control-typed <unk>.
TEST_CASE("phi-3 vectors") { CheckVocabulary("phi-3", {32064, 1, 32000, true, 46}, false); }

}  // namespace ingot
