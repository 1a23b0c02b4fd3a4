// Every tokenizer on any text: the first byte picks one (GGUF SPM, a sentencepiece .model, or a
// GGUF byte-level BPE vocabulary of each pre-tokenizer family), the rest is the text. Ids stay in the vocabulary, and for valid
// UTF-8 without NUL (the C API's texts are C strings) the round trips the header promises hold:
// BPE decodes and streams back exactly the text, a whitespace-keeping SPM vocabulary streams
// back " " + text (unless the text holds U+2581 "▁" itself, which SPM cannot tell from a space).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "model_io/gguf.h"
#include "model_io/tokenizer.h"
#include "model_io/unicode.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

std::unique_ptr<ingot::Tokenizer> FromVocab(const std::string& name) {
  return ingot::Tokenizer::FromGguf(*ingot::GgufFile::Open(ingot::fuzz::SharedAsset(
      ("models/vocab/ggml-vocab-" + name + ".gguf").c_str())));
}

// [0] GGUF SPM, [1] sentencepiece .model, then byte-level BPE: GPT-2's regex, Llama 3's, Qwen 3.5's
// (marks), DeepSeek's (code point ranges, `\s+$`), then falcon's and starcoder's (collapsed
// std::regex view), whose vocabularies lack some bytes' tokens: llama.cpp drops those bytes, so
// their text does not come back.
constexpr size_t kFirstBpe = 2, kFirstLossyBpe = 7;
struct Tokenizers {
  std::vector<std::unique_ptr<ingot::Tokenizer>> all;
  Tokenizers() {
    all.push_back(FromVocab("llama-spm"));
    all.push_back(ingot::Tokenizer::FromFile(ingot::fuzz::SharedAsset("models/stories260K/tok512.model")));
    for (const char* name : {"gpt-2", "llama-bpe", "qwen35", "deepseek-llm", "deepseek-coder", "falcon", "starcoder"}) {
      all.push_back(FromVocab(name));
    }
  }
};

[[noreturn]] void Broken(const char* what, std::string_view text) {
  std::fprintf(stderr, "fuzz_tokenizers: %s for a text of %zu bytes\n", what, text.size());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Tokenizers t;
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  const size_t which = (data[0] & 0x7F) % t.all.size();
  const ingot::Tokenizer& tok = *t.all[which];
  const std::vector<int32_t> ids = tok.Encode(text, data[0] & 0x80);
  std::string streamed;
  for (const int32_t id : ids) {
    if (id < 0 || id >= tok.n_vocab()) Broken("an id out of the vocabulary", text);
    streamed += tok.TokenToPiece(id);
    tok.IdToPiece(id);
  }
  const std::string decoded = tok.Decode(ids);
  const bool plain = ingot::FindInvalidUtf8(text) == std::string_view::npos && text.find('\0') == std::string_view::npos;
  if (!plain || text.empty() || (data[0] & 0x80)) return 0;
  const bool lossless_bpe = which >= kFirstBpe && which < kFirstLossyBpe;
  if (lossless_bpe && (decoded != text || streamed != text)) Broken("BPE did not give the text back", text);
  const bool spm_space_in_text = text.find("\xe2\x96\x81") != std::string_view::npos;  // U+2581
  if (which == 0 && !spm_space_in_text && streamed != " " + std::string(text)) Broken("SPM did not stream back ' ' + text", text);
  return 0;
}
