#include "model_io/bpe.h"

#include <algorithm>
#include <array>
#include <limits>
#include <queue>

#include "model_io/error.h"
#include "model_io/pretokenizer.h"
#include "model_io/unicode.h"

namespace ingot {

namespace {

constexpr int32_t kTokenTypeNormal = 1;
constexpr int32_t kTokenTypeControl = 3;
constexpr int32_t kTokenTypeUserDefined = 4;
constexpr int32_t kTokenTypeMax = 6;  // 0 undefined .. 6 byte

// GPT-2's bytes_to_unicode: every byte gets a visible, non-space character, so that BPE can
// work on text and " the" becomes the single word "Ġthe". Printable bytes stand for
// themselves; the 68 others (controls, space, 0x7F-0xA0, the soft hyphen 0xAD) take
// U+0100.. in byte order.
constexpr size_t kByteAlphabetEnd = 256 + 68;  // one past the alphabet's highest code point, U+0143
constexpr std::array<uint16_t, 256> kByteToCodePoint = [] {
  std::array<uint16_t, 256> table{};
  uint16_t next = 256;
  for (size_t byte = 0; byte < 256; ++byte) {
    const bool printable = (byte >= 0x21 && byte <= 0x7E) || (byte >= 0xA1 && byte <= 0xAC) || byte >= 0xAE;
    table[byte] = printable ? static_cast<uint16_t>(byte) : next++;
  }
  return table;
}();
// The inverse; -1 for code points that stand for no byte.
constexpr std::array<int16_t, kByteAlphabetEnd> kCodePointToByte = [] {
  std::array<int16_t, kByteAlphabetEnd> table{};
  table.fill(-1);
  for (size_t byte = 0; byte < 256; ++byte) table[kByteToCodePoint[byte]] = static_cast<int16_t>(byte);
  return table;
}();
static_assert(kByteToCodePoint[' '] == 0x120 && kByteToCodePoint['\n'] == 0x10A && kByteToCodePoint[0xAD] == 0x143);

// Token text in byte characters -> the bytes it stands for. A character outside the byte
// alphabet (only in a malformed vocabulary) is kept as UTF-8, where llama.cpp prints
// "[UNK_BYTE_0x...]".
std::string DecodeByteCharacters(std::string_view token) {
  std::string bytes;
  for (const uint32_t cp : DecodeUtf8(token)) {
    const int16_t byte = cp < kByteAlphabetEnd ? kCodePointToByte[cp] : int16_t{-1};
    if (byte >= 0) {
      bytes.push_back(static_cast<char>(byte));
    } else {
      AppendUtf8(cp, &bytes);
    }
  }
  return bytes;
}

}  // namespace

BpeTokenizer::BpeTokenizer(const BpeVocab& vocab, const std::string& source_name)
    : tokens_(vocab.tokens), pre_(PreTokenizer::Find(vocab.pre)) {
  if (pre_ == nullptr) {
    throw Error(source_name + ": tokenizer.ggml.pre '" + vocab.pre + "' is not supported (known: " +
                PreTokenizer::Names() + ")");
  }
  const size_t n_vocab = tokens_.size();
  if (n_vocab == 0) throw Error(source_name + ": the BPE vocabulary has no tokens");
  if (n_vocab > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    throw Error(source_name + ": the BPE vocabulary has too many tokens (" + std::to_string(n_vocab) + ")");
  }
  if (!vocab.types.empty() && vocab.types.size() != n_vocab) {
    throw Error(source_name + ": " + std::to_string(vocab.types.size()) + " token types for " +
                std::to_string(n_vocab) + " tokens");
  }
  if (vocab.merges.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    throw Error(source_name + ": too many BPE merges (" + std::to_string(vocab.merges.size()) + ")");
  }

  pieces_.resize(n_vocab);
  token_ids_.reserve(n_vocab);
  for (size_t i = 0; i < n_vocab; ++i) {
    const int32_t type = vocab.types.empty() ? kTokenTypeNormal : vocab.types[i];
    if (type < 0 || type > kTokenTypeMax) {
      throw Error(source_name + ": token " + std::to_string(i) + " has an invalid token type");
    }
    const std::string& token = tokens_[i];
    const auto id = static_cast<int32_t>(i);
    // An empty token can never be produced. Of duplicate tokens the last one wins, as in
    // llama.cpp's text-to-id map.
    if (!token.empty()) token_ids_[token] = id;
    if (type == kTokenTypeNormal) {
      pieces_[i] = DecodeByteCharacters(token);
    } else if (type == kTokenTypeUserDefined) {
      pieces_[i] = token;
      if (!token.empty()) user_defined_ids_.push_back(id);
    }
    if ((type == kTokenTypeControl || type == kTokenTypeUserDefined) && !token.empty()) special_ids_.push_back(id);
  }
  std::stable_sort(user_defined_ids_.begin(), user_defined_ids_.end(), [&](int32_t a, int32_t b) {
    return tokens_[static_cast<size_t>(a)].size() > tokens_[static_cast<size_t>(b)].size();
  });

  merge_ranks_.reserve(vocab.merges.size());
  for (size_t rank = 0; rank < vocab.merges.size(); ++rank) {
    const std::string& merge = vocab.merges[rank];
    // Split as llama.cpp splits it: at the first space after the first character. Symbols
    // never contain a space (it is "Ġ" in byte characters), so keying the map by the whole
    // "left right" string finds exactly the pairs llama.cpp finds.
    const size_t space = merge.find(' ', 1);
    if (space == std::string::npos || space + 1 == merge.size()) {
      throw Error(source_name + ": BPE merge " + std::to_string(rank) + " '" + merge +
                  "' is not two tokens separated by a space");
    }
    merge_ranks_.emplace(merge, static_cast<int32_t>(rank));  // a repeated merge keeps its first rank
  }
}

void BpeTokenizer::Encode(std::string_view text, std::vector<int32_t>* ids) const {
  // User-defined tokens are cut out of the text first, longest first, as llama.cpp does even
  // with parse_special off. A fragment is raw text (id -1) or one such token.
  struct Fragment {
    std::string_view text;
    int32_t id;
  };
  std::vector<Fragment> fragments;
  if (!text.empty()) fragments.push_back({text, -1});
  for (const int32_t id : user_defined_ids_) {
    const std::string& token = tokens_[static_cast<size_t>(id)];
    std::vector<Fragment> split;
    for (const Fragment& fragment : fragments) {
      if (fragment.id >= 0) {
        split.push_back(fragment);
        continue;
      }
      std::string_view rest = fragment.text;
      for (size_t at = rest.find(token); at != std::string_view::npos; at = rest.find(token)) {
        if (at > 0) split.push_back({rest.substr(0, at), -1});
        split.push_back({{}, id});
        rest.remove_prefix(at + token.size());
      }
      if (!rest.empty()) split.push_back({rest, -1});
    }
    fragments = std::move(split);
  }
  for (const Fragment& fragment : fragments) {
    if (fragment.id >= 0) {
      ids->push_back(fragment.id);
    } else {
      EncodeText(fragment.text, ids);
    }
  }
}

void BpeTokenizer::EncodeText(std::string_view text, std::vector<int32_t>* ids) const {
  std::string word;  // one word in byte characters
  for (const std::string& utf8 : pre_->Split(text)) {
    word.clear();
    for (const char byte : utf8) AppendUtf8(kByteToCodePoint[static_cast<uint8_t>(byte)], &word);
    EncodeWord(word, ids);
  }
}

void BpeTokenizer::EncodeWord(const std::string& word, std::vector<int32_t>* ids) const {
  if (pre_->ignore_merges()) {
    if (const auto it = token_ids_.find(word); it != token_ids_.end()) {
      ids->push_back(it->second);
      return;
    }
  }
  // The word's characters in a linked list; a merge grows the left symbol over the right one,
  // which is left empty (size 0).
  constexpr size_t kNone = std::numeric_limits<size_t>::max();
  struct Symbol {
    size_t offset, size;  // bytes of word
    size_t prev, next;    // symbol indices, kNone at the ends
  };
  std::vector<Symbol> symbols;
  for (size_t offset = 0; offset < word.size();) {
    // word is valid UTF-8 (AppendUtf8 made it), so every character is whole.
    const auto size = static_cast<size_t>(Utf8Length(static_cast<unsigned char>(word[offset])));
    symbols.push_back({offset, size, symbols.empty() ? kNone : symbols.size() - 1, kNone});
    if (symbols.size() > 1) symbols[symbols.size() - 2].next = symbols.size() - 1;
    offset += size;
  }

  // Candidate merges of adjacent symbols: lowest rank first, then leftmost (llama.cpp's
  // order; the original GPT-2 merges all occurrences of a pair left to right, the same result).
  struct Pair {
    int32_t rank;
    size_t left, right;
    size_t size;  // left.size + right.size when queued; differs once either has changed
  };
  const auto after = [](const Pair& a, const Pair& b) {
    return a.rank != b.rank ? a.rank > b.rank : a.left > b.left;
  };
  std::priority_queue<Pair, std::vector<Pair>, decltype(after)> queue(after);
  std::string key;
  const auto try_pair = [&](size_t left, size_t right) {
    if (left == kNone || right == kNone) return;
    const Symbol& l = symbols[left];
    const Symbol& r = symbols[right];
    key.assign(word, l.offset, l.size);
    key.push_back(' ');
    key.append(word, r.offset, r.size);
    if (const auto it = merge_ranks_.find(key); it != merge_ranks_.end()) {
      queue.push({it->second, left, right, l.size + r.size});
    }
  };
  for (size_t i = 1; i < symbols.size(); ++i) try_pair(i - 1, i);

  while (!queue.empty()) {
    const Pair pair = queue.top();
    queue.pop();
    Symbol& left = symbols[pair.left];
    Symbol& right = symbols[pair.right];
    // Symbols only grow, and only by absorbing their right neighbour: a pair whose sides are
    // both alive with the queued total size is still adjacent and unchanged.
    if (left.size == 0 || right.size == 0 || left.size + right.size != pair.size) continue;
    left.size += right.size;
    right.size = 0;
    left.next = right.next;
    if (right.next != kNone) symbols[right.next].prev = pair.left;
    try_pair(left.prev, pair.left);
    try_pair(pair.left, left.next);
  }

  for (const Symbol& symbol : symbols) {
    if (symbol.size == 0) continue;
    const std::string text = word.substr(symbol.offset, symbol.size);
    if (const auto it = token_ids_.find(text); it != token_ids_.end()) {
      ids->push_back(it->second);
      continue;
    }
    // Not a token (a vocabulary lacking a byte character, or a merge whose result it lacks):
    // llama.cpp emits the tokens of the symbol's single bytes, where there are any.
    for (const char byte : text) {
      const auto it = token_ids_.find(std::string(1, byte));
      if (it != token_ids_.end()) ids->push_back(it->second);
    }
  }
}

}  // namespace ingot
