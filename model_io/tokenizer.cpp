#include "model_io/tokenizer.h"

#include <sentencepiece_processor.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <optional>

#include "model_io/bpe.h"
#include "model_io/chat_template.h"
#include "model_io/error.h"
#include "model_io/gguf.h"
#include "model_io/pretokenizer.h"
#include "model_io/spm_proto.h"

namespace ingot {

namespace {

// sentencepiece models are a few MB at most (Llama 2's is 0.5 MB); anything far larger is
// another kind of file, and reading it whole would only waste memory.
constexpr uintmax_t kMaxModelFileBytes = uintmax_t{1} << 30;

constexpr std::string_view kSpaceSymbol = "\xE2\x96\x81";  // U+2581, sentencepiece's escaped ' '

constexpr int32_t kLlamaTokenTypeNormal = 1;
constexpr int32_t kLlamaTokenTypeUnknown = 2;
constexpr int32_t kLlamaTokenTypeUnused = 5;
constexpr int32_t kLlamaTokenTypeMax = 6;  // 0 undefined .. 6 byte

std::string ReadModelFile(const std::string& path) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) {
    throw Error(path + ": cannot open tokenizer model: " + (ec ? ec.message() : std::strerror(ENOENT)), ErrorKind::kIo);
  }
  if (std::filesystem::is_directory(status)) {
    throw Error(path + ": cannot open tokenizer model: is a directory", ErrorKind::kIo);
  }
  const uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec) throw Error(path + ": cannot open tokenizer model: " + ec.message(), ErrorKind::kIo);
  if (size == 0) throw Error(path + ": not a sentencepiece model: empty file");
  if (size > kMaxModelFileBytes) {
    throw Error(path + ": not a sentencepiece model: " + std::to_string(size) + " bytes is far too large");
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) throw Error(path + ": cannot open tokenizer model: " + std::strerror(errno), ErrorKind::kIo);
  std::string bytes(static_cast<size_t>(size), '\0');
  if (!file.read(bytes.data(), static_cast<std::streamsize>(size))) {
    throw Error(path + ": cannot read tokenizer model: " + std::strerror(errno), ErrorKind::kIo);
  }
  return bytes;
}

// "<0xNN>" -> NN; nullopt for anything else.
std::optional<uint8_t> ParseBytePiece(std::string_view piece) {
  if (piece.size() != 6 || piece.substr(0, 3) != "<0x" || piece[5] != '>') return std::nullopt;
  int value = 0;
  for (char c : piece.substr(3, 2)) {
    value <<= 4;
    if (c >= '0' && c <= '9')
      value |= c - '0';
    else if (c >= 'A' && c <= 'F')
      value |= c - 'A' + 10;
    else if (c >= 'a' && c <= 'f')
      value |= c - 'a' + 10;
    else
      return std::nullopt;
  }
  return static_cast<uint8_t>(value);
}

std::string ReplaceSpaceSymbols(std::string_view piece) {
  std::string text;
  text.reserve(piece.size());
  for (size_t pos = 0; pos < piece.size();) {
    if (piece.substr(pos, kSpaceSymbol.size()) == kSpaceSymbol) {
      text.push_back(' ');
      pos += kSpaceSymbol.size();
    } else {
      text.push_back(piece[pos++]);
    }
  }
  return text;
}

void CheckIdInRange(const std::string& source, const char* what, int32_t id, size_t n_vocab) {
  if (id < -1 || (id >= 0 && static_cast<size_t>(id) >= n_vocab)) {
    throw Error(source + ": " + what + " id " + std::to_string(id) + " is out of range for " +
                std::to_string(n_vocab) + " tokens");
  }
}

std::vector<std::string> RequireTokens(const GgufFile& gguf) {
  auto tokens = gguf.GetStringArray("tokenizer.ggml.tokens");
  if (!tokens) throw Error(gguf.path() + ": missing required key 'tokenizer.ggml.tokens'");
  return std::move(*tokens);
}

// Empty when the key is absent. Out-of-range values are clamped to an invalid type that
// FromSpmVocab / FromBpeVocab report.
std::vector<int32_t> ReadTokenTypes(const GgufFile& gguf) {
  std::vector<int32_t> types;
  if (const auto values = gguf.GetIntArray("tokenizer.ggml.token_type")) {
    types.reserve(values->size());
    for (const int64_t type : *values) {
      types.push_back(type < 0 || type > kLlamaTokenTypeMax ? -1 : static_cast<int32_t>(type));
    }
  }
  return types;
}

int32_t ReadTokenId(const GgufFile& gguf, const char* key, int32_t fallback) {
  const std::optional<int64_t> value = gguf.GetInt(key);
  if (!value) return fallback;
  if (*value < -1 || *value > std::numeric_limits<int32_t>::max()) {
    throw Error(gguf.path() + ": " + key + " " + std::to_string(*value) + " is out of range");
  }
  return static_cast<int32_t>(*value);
}

BpeVocab ReadBpeVocab(const GgufFile& gguf) {
  const std::string& path = gguf.path();
  // Without the key llama.cpp falls back to its 'default' pre-tokenizer with a warning that
  // quality degrades; a file that names none is refused instead.
  const std::optional<std::string> pre = gguf.GetString("tokenizer.ggml.pre");
  if (!pre) throw Error(path + ": missing required key 'tokenizer.ggml.pre' (the BPE pre-tokenizer)");
  const PreTokenizer* pre_tokenizer = PreTokenizer::Find(*pre);
  if (pre_tokenizer == nullptr) {
    throw Error(path + ": tokenizer.ggml.pre '" + *pre + "' is not supported (known: " + PreTokenizer::Names() + ")");
  }
  BpeVocab vocab;
  vocab.tokens = RequireTokens(gguf);
  auto merges = gguf.GetStringArray("tokenizer.ggml.merges");
  if (!merges) throw Error(path + ": missing required key 'tokenizer.ggml.merges'");
  vocab.merges = std::move(*merges);
  vocab.types = ReadTokenTypes(gguf);
  // Without the keys there is no BOS / EOS (llama.cpp would take token 11, a ',' in GPT-2).
  vocab.bos_id = ReadTokenId(gguf, "tokenizer.ggml.bos_token_id", -1);
  vocab.eos_id = ReadTokenId(gguf, "tokenizer.ggml.eos_token_id", -1);
  vocab.add_bos = gguf.GetBool("tokenizer.ggml.add_bos_token").value_or(pre_tokenizer->add_bos());
  vocab.pre = *pre;
  return vocab;
}

}  // namespace

struct Tokenizer::Impl {
  std::string source;  // file name, for messages
  // Exactly one of the two serves: bpe when set, else processor.
  sentencepiece::SentencePieceProcessor processor;
  std::unique_ptr<BpeTokenizer> bpe;
  std::vector<std::string> stream_pieces;  // [n_vocab] what TokenToPiece returns (sentencepiece)
  int32_t n_vocab = 0;
  int32_t bos_id = -1;
  int32_t eos_id = -1;
  bool add_bos = true;
  std::vector<std::pair<std::string, int32_t>> specials;  // control and user-defined: text, id; longest first

  void BuildSpecials() {
    if (bpe) {
      for (const int32_t id : bpe->special_ids()) specials.emplace_back(bpe->IdToPiece(id), id);
    } else {
      // Control pieces only: sentencepiece matches user-defined pieces in Encode itself.
      for (int32_t id = 0; id < n_vocab; ++id) {
        if (processor.IsControl(id)) specials.emplace_back(processor.IdToPiece(id), id);
      }
    }
    std::erase_if(specials, [](const auto& s) { return s.first.empty(); });
    std::stable_sort(specials.begin(), specials.end(),
                     [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
  }

  void Load(std::string_view serialized_proto, const std::string& what) {
    const auto status = processor.LoadFromSerializedProto(serialized_proto);
    if (!status.ok()) {
      // sentencepiece reports a protobuf parse failure as its source line and the failed
      // expression; say what it means instead.
      const std::string message = status.message();
      if (message.find("ParseFromArray") != std::string::npos) {
        throw Error(source + ": not a sentencepiece model (protobuf parse failed)");
      }
      throw Error(source + ": " + what + ": " + message);
    }
    BuildStreamPieces();
    BuildSpecials();
  }

  // Streaming text per token, following llama.cpp's token_to_piece for SPM vocabularies
  // (byte tokens give their raw byte, control tokens nothing, U+2581 a space) except for
  // unknown-type tokens: llama.cpp prints "▅", we print what sentencepiece's Decode prints
  // (the model's unk_surface, " ⁇ " by default) so that streamed and decoded text agree.
  // Unused-type pieces print their text, as sentencepiece's Decode does.
  void BuildStreamPieces() {
    n_vocab = processor.GetPieceSize();
    stream_pieces.resize(static_cast<size_t>(n_vocab));
    for (int id = 0; id < n_vocab; ++id) {
      std::string& text = stream_pieces[static_cast<size_t>(id)];
      const std::string& piece = processor.IdToPiece(id);
      if (processor.IsControl(id)) {
        text.clear();
      } else if (processor.IsUnknown(id)) {
        text = processor.DecodeIds({id});
      } else if (const auto byte = processor.IsByte(id) ? ParseBytePiece(piece) : std::nullopt) {
        text.assign(1, static_cast<char>(*byte));
      } else {
        text = ReplaceSpaceSymbols(piece);
      }
    }
  }

  bool InRange(int32_t id) const { return id >= 0 && id < n_vocab; }
};

Tokenizer::Tokenizer() : impl_(std::make_unique<Impl>()) {}
Tokenizer::~Tokenizer() = default;

std::unique_ptr<Tokenizer> Tokenizer::FromFile(const std::string& path) {
  const std::string bytes = ReadModelFile(path);
  if (bytes.starts_with("GGUF")) {
    throw Error(path + ": not a sentencepiece model: a GGUF file (its vocabulary loads with FromGguf)");
  }
  return FromSerializedModel(bytes, path);
}

std::unique_ptr<Tokenizer> Tokenizer::FromSerializedModel(std::string_view bytes, const std::string& source_name) {
  std::unique_ptr<Tokenizer> tokenizer(new Tokenizer());
  Impl& impl = *tokenizer->impl_;
  impl.source = source_name;
  impl.Load(bytes, "not a valid sentencepiece model");
  impl.bos_id = impl.processor.bos_id();
  impl.eos_id = impl.processor.eos_id();
  impl.add_bos = true;  // what sentencepiece-based runtimes (llama.cpp, llama2.c) do for these files
  return tokenizer;
}

std::unique_ptr<Tokenizer> Tokenizer::FromGguf(const GgufFile& gguf) {
  const std::string& path = gguf.path();
  const std::string model = gguf.RequireString("tokenizer.ggml.model");
  if (model == "gpt2") return FromBpeVocab(ReadBpeVocab(gguf), path);
  if (model != "llama") {
    throw Error(path + ": tokenizer.ggml.model '" + model +
                "' is not supported (only 'llama', sentencepiece, and 'gpt2', byte-level BPE)");
  }

  SpmVocab vocab;
  vocab.tokens = RequireTokens(gguf);
  if (const auto scores = gguf.GetFloatArray("tokenizer.ggml.scores")) {
    vocab.scores.assign(scores->begin(), scores->end());  // stored as f32, so exact
  }
  vocab.types = ReadTokenTypes(gguf);
  // Defaults are llama.cpp's for SPM vocabularies.
  vocab.bos_id = ReadTokenId(gguf, "tokenizer.ggml.bos_token_id", 1);
  vocab.eos_id = ReadTokenId(gguf, "tokenizer.ggml.eos_token_id", 2);
  vocab.unk_id = ReadTokenId(gguf, "tokenizer.ggml.unknown_token_id", 0);
  // Padding is never produced by inference; FromSpmVocab ignores a pad id out of range.
  vocab.pad_id = static_cast<int32_t>(std::clamp<int64_t>(
      gguf.GetInt("tokenizer.ggml.padding_token_id").value_or(-1), -1, std::numeric_limits<int32_t>::max()));
  vocab.add_bos = gguf.GetBool("tokenizer.ggml.add_bos_token").value_or(true);
  vocab.add_space_prefix = gguf.GetBool("tokenizer.ggml.add_space_prefix").value_or(true);
  return FromSpmVocab(vocab, path);
}

std::unique_ptr<Tokenizer> Tokenizer::FromSpmVocab(const SpmVocab& vocab, const std::string& source_name) {
  const size_t n_vocab = vocab.tokens.size();
  if (n_vocab == 0) throw Error(source_name + ": the SPM vocabulary has no tokens");
  if (n_vocab > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    throw Error(source_name + ": the SPM vocabulary has too many tokens (" + std::to_string(n_vocab) + ")");
  }
  if (!vocab.scores.empty() && vocab.scores.size() != n_vocab) {
    throw Error(source_name + ": " + std::to_string(vocab.scores.size()) + " token scores for " +
                std::to_string(n_vocab) + " tokens");
  }
  if (!vocab.types.empty() && vocab.types.size() != n_vocab) {
    throw Error(source_name + ": " + std::to_string(vocab.types.size()) + " token types for " +
                std::to_string(n_vocab) + " tokens");
  }
  for (size_t i = 0; i < vocab.types.size(); ++i) {
    if (vocab.types[i] < 0 || vocab.types[i] > kLlamaTokenTypeMax) {
      throw Error(source_name + ": token " + std::to_string(i) + " has an invalid token type");
    }
  }
  CheckIdInRange(source_name, "BOS", vocab.bos_id, n_vocab);
  CheckIdInRange(source_name, "EOS", vocab.eos_id, n_vocab);
  CheckIdInRange(source_name, "unknown-token", vocab.unk_id, n_vocab);

  SpmVocab fixed = vocab;
  // Padding is never produced by inference; some converted files name a pad id past the
  // vocabulary, which llama.cpp ignores too.
  if (fixed.pad_id >= static_cast<int32_t>(n_vocab) || fixed.pad_id < -1) fixed.pad_id = -1;
  // sentencepiece finds <unk> by its piece type and takes exactly one. Files without token
  // types, or converters that typed it normal or control (Phi-3), still name it by id; other
  // unknown-typed tokens (Phi-3's [PAD...] fillers) become unused pieces, which text never
  // produces, as llama.cpp never reaches them by merging.
  if (fixed.unk_id >= 0) {
    if (fixed.types.empty()) fixed.types.assign(n_vocab, kLlamaTokenTypeNormal);
    for (int32_t& type : fixed.types) {
      if (type == kLlamaTokenTypeUnknown) type = kLlamaTokenTypeUnused;
    }
    fixed.types[static_cast<size_t>(fixed.unk_id)] = kLlamaTokenTypeUnknown;
  }

  std::unique_ptr<Tokenizer> tokenizer(new Tokenizer());
  Impl& impl = *tokenizer->impl_;
  impl.source = source_name;
  impl.Load(SerializeSpmModelProto(fixed), "cannot build a sentencepiece model from the vocabulary");
  impl.bos_id = fixed.bos_id;
  impl.eos_id = fixed.eos_id;
  impl.add_bos = fixed.add_bos;
  return tokenizer;
}

std::unique_ptr<Tokenizer> Tokenizer::FromBpeVocab(const BpeVocab& vocab, const std::string& source_name) {
  std::unique_ptr<Tokenizer> tokenizer(new Tokenizer());
  Impl& impl = *tokenizer->impl_;
  impl.source = source_name;
  impl.bpe = std::make_unique<BpeTokenizer>(vocab, source_name);
  impl.n_vocab = impl.bpe->n_vocab();
  impl.BuildSpecials();
  CheckIdInRange(source_name, "BOS", vocab.bos_id, vocab.tokens.size());
  CheckIdInRange(source_name, "EOS", vocab.eos_id, vocab.tokens.size());
  impl.bos_id = vocab.bos_id;
  impl.eos_id = vocab.eos_id;
  impl.add_bos = vocab.add_bos;
  return tokenizer;
}

std::vector<int32_t> Tokenizer::Encode(std::string_view text, bool add_bos) const {
  std::vector<int32_t> result;
  // BOS is asked for but silently absent when the vocabulary has none (bos_id() == -1).
  if (add_bos && impl_->bos_id >= 0) result.push_back(impl_->bos_id);
  if (impl_->bpe) {
    impl_->bpe->Encode(text, &result);
    return result;
  }
  std::vector<int> ids;
  const auto status = impl_->processor.Encode(text, &ids);
  if (!status.ok()) throw Error(impl_->source + ": cannot encode text: " + status.message());
  result.insert(result.end(), ids.begin(), ids.end());
  return result;
}

std::vector<int32_t> Tokenizer::EncodeChat(const ChatText& chat, bool add_bos, bool rstrip_specials) const {
  std::vector<int32_t> result;
  if (add_bos && impl_->bos_id >= 0) result.push_back(impl_->bos_id);
  const std::string_view text = chat.text;
  size_t raw_begin = 0;  // start of the text not encoded yet
  const auto flush = [&](size_t end) {
    if (end > raw_begin) {
      const std::vector<int32_t> ids = Encode(text.substr(raw_begin, end - raw_begin), false);
      result.insert(result.end(), ids.begin(), ids.end());
    }
  };
  size_t next_content = 0;
  for (size_t pos = 0; pos < text.size();) {
    const size_t content_begin = next_content < chat.content.size() ? chat.content[next_content].first : text.size();
    if (pos >= content_begin) {
      pos = chat.content[next_content++].second;  // content: plain text, skipped over
      continue;
    }
    const auto special = std::find_if(impl_->specials.begin(), impl_->specials.end(), [&](const auto& s) {
      return s.first.size() <= content_begin - pos && text.compare(pos, s.first.size(), s.first) == 0;
    });
    if (special == impl_->specials.end()) {
      ++pos;
      continue;
    }
    flush(pos);
    result.push_back(special->second);
    pos += special->first.size();
    const std::string_view name = special->first;
    if (rstrip_specials && name != "<s>" && name != "<unk>" && name != "<|endoftext|>") {
      // Into content too, as there (pos may then land inside a content range: it is not searched).
      while (pos < text.size() && std::isspace(static_cast<unsigned char>(text[pos]))) ++pos;
    }
    raw_begin = pos;
  }
  flush(text.size());
  return result;
}

int32_t Tokenizer::FindSpecial(std::string_view text) const {
  for (const auto& [special, id] : impl_->specials) {
    if (special == text) return id;
  }
  return -1;
}

std::string Tokenizer::Decode(const std::vector<int32_t>& ids) const {
  if (impl_->bpe) {
    std::string text;
    for (const int32_t id : ids) {
      if (impl_->InRange(id)) text += impl_->bpe->TokenToPiece(id);
    }
    return text;
  }
  // Out-of-range ids are skipped, as TokenToPiece gives "" for them: sentencepiece does not
  // check ids before indexing its piece table.
  std::vector<int> valid_ids;
  valid_ids.reserve(ids.size());
  for (const int32_t id : ids) {
    if (impl_->InRange(id)) valid_ids.push_back(id);
  }
  std::string text;
  const auto status = impl_->processor.Decode(valid_ids, &text);
  if (!status.ok()) throw Error(impl_->source + ": cannot decode ids: " + status.message());
  return text;
}

std::string Tokenizer::TokenToPiece(int32_t id) const {
  if (!impl_->InRange(id)) return {};
  if (impl_->bpe) return impl_->bpe->TokenToPiece(id);
  return impl_->stream_pieces[static_cast<size_t>(id)];
}

std::string Tokenizer::IdToPiece(int32_t id) const {
  if (!impl_->InRange(id)) return {};
  if (impl_->bpe) return impl_->bpe->IdToPiece(id);
  return impl_->processor.IdToPiece(id);
}

int32_t Tokenizer::n_vocab() const { return impl_->n_vocab; }
int32_t Tokenizer::bos_id() const { return impl_->bos_id; }
int32_t Tokenizer::eos_id() const { return impl_->eos_id; }
bool Tokenizer::add_bos() const { return impl_->add_bos; }

}  // namespace ingot
