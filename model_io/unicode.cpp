#include "model_io/unicode.h"

#include <algorithm>
#include <iterator>

namespace ingot {

namespace {

struct CodePointRange {
  uint32_t first;
  uint32_t last;
  UnicodeCategory category;
  bool whitespace;
};

using enum UnicodeCategory;
constexpr CodePointRange kCodePointRanges[] = {
#include "model_io/unicode_classes.inc"
};

}  // namespace

CodePointClass ClassifyCodePoint(uint32_t cp) {
  // The first range that ends at or after cp; cp is in it only if it also starts at or before.
  const auto* const range = std::lower_bound(std::begin(kCodePointRanges), std::end(kCodePointRanges), cp,
                                             [](const CodePointRange& r, uint32_t value) { return r.last < value; });
  if (range == std::end(kCodePointRanges) || range->first > cp) return {};
  return {range->category, range->whitespace};
}

std::vector<uint32_t> DecodeUtf8(std::string_view text) {
  std::vector<uint32_t> cps;
  cps.reserve(text.size());
  for (size_t pos = 0; pos < text.size();) {
    const auto lead = static_cast<uint8_t>(text[pos]);
    // 0xxxxxxx, 110xxxxx, 1110xxxx, 11110xxx; a continuation byte or 0xF8-0xFF cannot lead.
    const size_t length = lead < 0x80 ? 1 : lead < 0xC0 ? 0 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : lead < 0xF8 ? 4 : 0;
    bool valid = length != 0 && pos + length <= text.size();
    uint32_t cp = length == 1 ? lead : lead & (0x7Fu >> length);
    for (size_t i = 1; valid && i < length; ++i) {
      const auto next = static_cast<uint8_t>(text[pos + i]);
      valid = (next & 0xC0) == 0x80;
      cp = (cp << 6) | (next & 0x3Fu);
    }
    if (valid && cp <= kMaxCodePoint) {
      cps.push_back(cp);
      pos += length;
    } else {
      cps.push_back(kReplacementCharacter);
      ++pos;
    }
  }
  return cps;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp > kMaxCodePoint) cp = 0xFFFD;  // not a code point: the replacement character
  const auto byte = [](uint32_t bits) { return static_cast<char>(static_cast<uint8_t>(bits)); };
  if (cp < 0x80) {
    out->push_back(byte(cp));
  } else if (cp < 0x800) {
    out->push_back(byte(0xC0 | (cp >> 6)));
    out->push_back(byte(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(byte(0xE0 | (cp >> 12)));
    out->push_back(byte(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(byte(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(byte(0xF0 | (cp >> 18)));
    out->push_back(byte(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(byte(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(byte(0x80 | (cp & 0x3F)));
  }
}

int Utf8Length(unsigned char b) {
  if (b < 0x80) return 1;
  if (b >= 0xC2 && b <= 0xDF) return 2;
  if (b >= 0xE0 && b <= 0xEF) return 3;
  if (b >= 0xF0 && b <= 0xF4) return 4;
  return 0;
}

size_t FindInvalidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char b = static_cast<unsigned char>(s[i]);
    const int n = Utf8Length(b);
    if (n == 0 || i + static_cast<size_t>(n) > s.size()) return i;
    for (int k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + static_cast<size_t>(k)]) & 0xC0) != 0x80) return i;
    }
    const unsigned char b1 = static_cast<unsigned char>(s[i + 1 < s.size() ? i + 1 : i]);
    // Overlong 3/4-byte forms, UTF-16 surrogates, and code points above U+10FFFF.
    if ((b == 0xE0 && b1 < 0xA0) || (b == 0xED && b1 >= 0xA0) || (b == 0xF0 && b1 < 0x90) || (b == 0xF4 && b1 >= 0x90)) {
      return i;
    }
    i += static_cast<size_t>(n);
  }
  return std::string::npos;
}


std::string Utf8Stream::Push(const std::string& bytes) {
  static const std::string kReplacement = "\xEF\xBF\xBD";
  std::string out;
  for (const char ch : bytes) {
    const unsigned char b = static_cast<unsigned char>(ch);
    const bool continuation = (b & 0xC0) == 0x80;
    if (!pending_.empty() && !continuation) {  // cut short
      out += kReplacement;
      pending_.clear();
    }
    if (pending_.empty() && continuation) {  // stray
      out += kReplacement;
      continue;
    }
    pending_ += ch;
    const int length = Utf8Length(static_cast<unsigned char>(pending_[0]));
    if (length == 0) {
      out += kReplacement;
      pending_.clear();
    } else if (static_cast<int>(pending_.size()) == length) {
      out += FindInvalidUtf8(pending_) == std::string::npos ? pending_ : kReplacement;
      pending_.clear();
    }
  }
  return out;
}

std::string Utf8Stream::Flush() {
  std::string out = pending_.empty() ? "" : "\xEF\xBF\xBD";
  pending_.clear();
  return out;
}

}  // namespace ingot
