// Tokenizer: sentencepiece, loaded from a tokenizer.model file or from the SPM vocabulary
// stored in GGUF metadata (tokenizer.ggml.model = "llama"), which is turned into a
// sentencepiece ModelProto in memory so one library serves both.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ingot {

class GgufFile;

// An SPM vocabulary as GGUF stores it (tokenizer.ggml.*).
struct SpmVocab {
  std::vector<std::string> tokens;
  std::vector<float> scores;
  std::vector<int32_t> types;  // llama.cpp token types: 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte
  int32_t bos_id = 1;
  int32_t eos_id = 2;
  int32_t unk_id = 0;
  int32_t pad_id = -1;
  bool add_bos = true;
};

class Tokenizer {
 public:
  // A sentencepiece model file. Throws ingot::Error("<path>: ...").
  static std::unique_ptr<Tokenizer> FromFile(const std::string& path);
  // The tokenizer.ggml.* keys of a GGUF file; Error naming the file when they are missing,
  // inconsistent, or of an unsupported tokenizer.ggml.model.
  static std::unique_ptr<Tokenizer> FromGguf(const GgufFile& gguf);
  static std::unique_ptr<Tokenizer> FromSpmVocab(const SpmVocab& vocab, const std::string& source_name);
  ~Tokenizer();

  // Token ids of text, with BOS first when add_bos. Matches llama.cpp's SPM tokenization:
  // a leading "▁" dummy prefix, spaces kept as they are, unknown bytes as <0xNN> byte tokens.
  std::vector<int32_t> Encode(std::string_view text, bool add_bos) const;
  // The whole text of ids (control tokens dropped, the dummy-prefix space removed).
  std::string Decode(const std::vector<int32_t>& ids) const;
  // The bytes one token adds when text is streamed token by token: "▁" becomes ' ',
  // <0xNN> becomes that byte (so a UTF-8 character may arrive over several tokens),
  // control tokens give "". Out-of-range ids give "".
  std::string TokenToPiece(int32_t id) const;
  // The piece as stored in the vocabulary (for tokenize --pieces), e.g. "▁Hello", "<0x0A>".
  std::string IdToPiece(int32_t id) const;

  int32_t n_vocab() const;
  int32_t bos_id() const;
  int32_t eos_id() const;
  bool add_bos() const;  // what the model's metadata asks for (true for sentencepiece files)

 private:
  Tokenizer();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ingot
