#include "model_io/unicode.h"

#include <algorithm>
#include <cassert>
#include <iterator>

namespace ingot {

namespace {

struct CodePointRange {
  uint32_t first;
  uint32_t last;
  CodePointClass cls;
};

using enum CodePointClass;
constexpr CodePointRange kCodePointRanges[] = {
#include "model_io/unicode_classes.inc"
};

}  // namespace

CodePointClass ClassifyCodePoint(uint32_t cp) {
  // The first range that ends at or after cp; cp is in it only if it also starts at or before.
  const auto* const range = std::lower_bound(std::begin(kCodePointRanges), std::end(kCodePointRanges), cp,
                                             [](const CodePointRange& r, uint32_t value) { return r.last < value; });
  return range != std::end(kCodePointRanges) && range->first <= cp ? range->cls : kOther;
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
  assert(cp <= kMaxCodePoint);
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

}  // namespace ingot
