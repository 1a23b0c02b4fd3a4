// llama.cpp's tokenizer test vectors (models/vocab/ggml-vocab-NAME.gguf.inp / .out, as its
// test-tokenizer-0 writes them, with add_special and parse_special off), read and checked.
#pragma once

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "model_io/tokenizer.h"
#include "tests/test_util.h"

namespace ingot::test {

struct VocabTest {
  std::string text;
  std::vector<int32_t> ids;  // without BOS
};

// .inp holds each text followed by "\n__ggml_vocab_test__\n" (so the file ends with a
// separator, and a text may be empty or consist of newlines only); .out holds one line per
// text, ids separated by spaces.
inline std::vector<VocabTest> ReadVocabTests(const std::string& inp_path, const std::string& out_path) {
  const std::string inp = ReadFile(inp_path);
  const std::string out = ReadFile(out_path);
  const std::string separator = "\n__ggml_vocab_test__\n";
  std::vector<VocabTest> tests;
  for (size_t pos = 0; pos < inp.size();) {
    const size_t end = inp.find(separator, pos);
    REQUIRE(end != std::string::npos);
    tests.push_back({inp.substr(pos, end - pos), {}});
    pos = end + separator.size();
  }
  size_t line_start = 0;
  for (VocabTest& test : tests) {
    const size_t line_end = out.find('\n', line_start);
    REQUIRE(line_end != std::string::npos);
    const std::string line = out.substr(line_start, line_end - line_start);
    line_start = line_end + 1;
    for (size_t pos = 0; pos < line.size();) {
      if (line[pos] == ' ') {
        ++pos;
        continue;
      }
      size_t used = 0;
      test.ids.push_back(std::stoi(line.substr(pos), &used));
      pos += used;
    }
  }
  CHECK(line_start == out.size());
  return tests;
}

inline std::string IdsToString(const std::vector<int32_t>& ids) {
  std::string s;
  for (const int32_t id : ids) s += " " + std::to_string(id);
  return s;
}

// Runs the vectors of models/vocab/ggml-vocab-<name>.gguf through tokenizer: each text's ids
// (and the same after BOS when asked for one); for byte-level BPE also that decoding and
// streaming give the text back. Returns how many texts matched (0 when the files are absent).
inline size_t CheckVocabVectors(const Tokenizer& tokenizer, const std::string& name, bool byte_level) {
  const std::string base = "models/vocab/ggml-vocab-" + name + ".gguf";
  const std::string inp = FindAsset(base + ".inp");
  const std::string out = FindAsset(base + ".out");
  if (inp.empty() || out.empty()) {
    MESSAGE("skipped: " << base << ".inp/.out not found");
    return 0;
  }
  const std::vector<VocabTest> tests = ReadVocabTests(inp, out);
  size_t n_matched = 0;
  for (size_t i = 0; i < tests.size(); ++i) {
    CAPTURE(i);
    CAPTURE(tests[i].text);
    const std::vector<int32_t> ids = tokenizer.Encode(tests[i].text, false);
    CHECK_MESSAGE(ids == tests[i].ids, "got" << IdsToString(ids) << " want" << IdsToString(tests[i].ids));
    n_matched += ids == tests[i].ids ? 1 : 0;
    std::vector<int32_t> with_bos = {tokenizer.bos_id()};
    with_bos.insert(with_bos.end(), ids.begin(), ids.end());
    CHECK(tokenizer.Encode(tests[i].text, true) == with_bos);
    if (byte_level) {
      CHECK(tokenizer.Decode(ids) == tests[i].text);
      std::string streamed;
      for (const int32_t id : ids) streamed += tokenizer.TokenToPiece(id);
      CHECK(streamed == tests[i].text);
    }
  }
  return n_matched;
}

}  // namespace ingot::test
