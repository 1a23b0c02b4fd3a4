// Byte-level BPE, the tokenizer of GPT-2 and the GGUF vocabularies with
// tokenizer.ggml.model = "gpt2", following llama.cpp's tokenization of them:
//   1. user-defined tokens (type 4) found in the text are cut out and emitted as they are;
//      control tokens are not (llama.cpp's parse_special off);
//   2. the rest is split into words by the vocabulary's pre-tokenizer (tokenizer.ggml.pre,
//      model_io/pretokenizer.h), for GPT-2 the regex
//      's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)
//   3. each word's UTF-8 bytes are written as GPT-2's byte characters (bytes_to_unicode:
//      printable bytes stand for themselves, the other 68 for U+0100..U+0143, so " the"
//      reads "Ġthe"); a word that is a token as a whole is that token where the pre-tokenizer
//      says so (Llama 3); otherwise adjacent symbols are merged lowest merge rank first
//      (leftmost on ties) and the resulting symbols looked up in the vocabulary.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ingot {

class PreTokenizer;

// A byte-level BPE vocabulary as GGUF stores it (tokenizer.ggml.*).
struct BpeVocab {
  std::vector<std::string> tokens;  // in byte characters: "Ġthe" is " the"
  std::vector<std::string> merges;  // "Ġ t": two tokens, space-separated; rank = index, lowest merges first
  std::vector<int32_t> types;       // llama.cpp token types as in SpmVocab; empty: all normal
  int32_t bos_id = -1;              // -1: none
  int32_t eos_id = -1;
  bool add_bos = false;  // llama.cpp's default for the GPT-2 pre-tokenizer
  std::string pre = "gpt-2";  // tokenizer.ggml.pre
};

class BpeTokenizer {
 public:
  // Error("<source_name>: ...") when the tokens, types or merges are inconsistent or the
  // pre-tokenizer is unknown.
  BpeTokenizer(const BpeVocab& vocab, const std::string& source_name);

  // Appends the ids of text (no BOS).
  void Encode(std::string_view text, std::vector<int32_t>* ids) const;
  // The bytes a token stands for: normal tokens with their byte characters turned back into
  // bytes (characters outside the byte alphabet are kept as UTF-8), user-defined tokens as
  // they are, every other type "" (as llama.cpp's token_to_piece without special).
  // id must be in range.
  const std::string& TokenToPiece(int32_t id) const { return pieces_[static_cast<size_t>(id)]; }
  const std::string& IdToPiece(int32_t id) const { return tokens_[static_cast<size_t>(id)]; }
  int32_t n_vocab() const { return static_cast<int32_t>(tokens_.size()); }
  // Control and user-defined tokens: what a chat template writes by name.
  const std::vector<int32_t>& special_ids() const { return special_ids_; }

 private:
  void EncodeText(std::string_view text, std::vector<int32_t>* ids) const;
  void EncodeWord(const std::string& word, std::vector<int32_t>* ids) const;

  std::vector<std::string> tokens_;  // [n_vocab]
  std::vector<std::string> pieces_;  // [n_vocab] what TokenToPiece returns
  std::unordered_map<std::string, int32_t> token_ids_;
  std::unordered_map<std::string, int32_t> merge_ranks_;  // "left right" -> rank
  std::vector<int32_t> user_defined_ids_;  // longest text first, as llama.cpp matches them
  std::vector<int32_t> special_ids_;
  const PreTokenizer* pre_;  // static storage
};

}  // namespace ingot
