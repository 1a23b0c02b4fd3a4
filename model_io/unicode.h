// Code points for the byte-level BPE tokenizer: UTF-8 decoded the way llama.cpp decodes it,
// and the classes the pre-tokenizer regexes tell apart.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ingot {

constexpr uint32_t kReplacementCharacter = 0xFFFD;
constexpr uint32_t kMaxCodePoint = 0x10FFFF;

// A code point's general category group (\p{L}, \p{M}, \p{N}, \p{P}, \p{S}, \p{Z}; kOther for
// the C categories, unassigned code points included) and its White_Space property (\s), which
// the pre-tokenizer regexes tell apart. From the table scripts/gen_unicode_classes.py generates,
// of Unicode 15.0: characters assigned later are kOther here but may be letters to llama.cpp.
enum class UnicodeCategory : uint8_t { kOther, kLetter, kMark, kNumber, kPunctuation, kSymbol, kSeparator };
struct CodePointClass {
  UnicodeCategory category = UnicodeCategory::kOther;
  bool whitespace = false;
};
CodePointClass ClassifyCodePoint(uint32_t cp);

// Decodes UTF-8 as llama.cpp does, so that malformed text tokenizes as it does there: a byte
// that does not start a complete sequence becomes U+FFFD and decoding resumes at the next
// byte; overlong forms and surrogates are decoded, not rejected. One difference: a sequence
// above U+10FFFF (on which llama.cpp throws) also becomes U+FFFD.
std::vector<uint32_t> DecodeUtf8(std::string_view text);

// cp <= kMaxCodePoint.
void AppendUtf8(uint32_t cp, std::string* out);

// Length of the UTF-8 sequence starting with byte b, 0 for a byte that cannot start one.
int Utf8Length(unsigned char b);

// Byte offset of the first invalid UTF-8 sequence (strict: no overlong forms, surrogates or
// code points above U+10FFFF), or npos.
size_t FindInvalidUtf8(std::string_view s);

// Feeds bytes in, gets back only complete UTF-8 characters (a character may arrive over several
// byte-fallback tokens). Flush() returns what is left (invalid tails as U+FFFD).
class Utf8Stream {
 public:
  std::string Push(const std::string& bytes);
  std::string Flush();

 private:
  std::string pending_;
};


}  // namespace ingot
