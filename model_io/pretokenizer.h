// Byte-level BPE pre-tokenizers: how text is cut into words before merges, one per
// tokenizer.ggml.pre name llama.cpp knows for the vocabularies ingot runs. Each is llama.cpp's
// list of regexes (model_io/split_regex.h says how they run) and its merge rule.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "model_io/split_regex.h"

namespace ingot {

class PreTokenizer {
 public:
  // nullptr when llama.cpp's name is not one ingot knows.
  static const PreTokenizer* Find(std::string_view name);
  // The names Find knows, for messages: "'gpt-2', 'llama-bpe', ...".
  static std::string Names();

  // The words of text (UTF-8; invalid bytes become U+FFFD first, as in llama.cpp), in order.
  std::vector<std::string> Split(std::string_view text) const;
  // Llama 3's rule: a word that is a token as a whole is that token, without merges.
  bool ignore_merges() const { return ignore_merges_; }
  // Whether BOS is added when the file has no tokenizer.ggml.add_bos_token (Llama 3's family
  // yes, the others no, as in llama.cpp).
  bool add_bos() const { return add_bos_; }

  PreTokenizer(std::vector<SplitRegex> regexes, bool llama3_rules)
      : regexes_(std::move(regexes)), ignore_merges_(llama3_rules), add_bos_(llama3_rules) {}

 private:
  std::vector<SplitRegex> regexes_;
  bool ignore_merges_;
  bool add_bos_;
};

}  // namespace ingot
