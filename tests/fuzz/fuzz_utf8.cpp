// UTF-8 checking and the token stream's UTF-8 reassembly against an independent validator:
// FindInvalidUtf8 finds exactly the first invalid sequence, and Utf8Stream, fed the bytes in
// pieces, emits only valid UTF-8 and, for valid input, exactly the input.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "model_io/unicode.h"

namespace {

// Offset of the first byte that does not start a valid, shortest-form, non-surrogate UTF-8
// sequence of a code point <= U+10FFFF, or npos (RFC 3629).
size_t ReferenceInvalid(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    size_t n = 0;
    uint32_t cp = 0, min = 0;
    if (b < 0x80) { ++i; continue; }
    if ((b & 0xE0) == 0xC0) { n = 2; cp = b & 0x1F; min = 0x80; }
    else if ((b & 0xF0) == 0xE0) { n = 3; cp = b & 0x0F; min = 0x800; }
    else if ((b & 0xF8) == 0xF0) { n = 4; cp = b & 0x07; min = 0x10000; }
    else return i;
    if (i + n > s.size()) return i;
    for (size_t k = 1; k < n; ++k) {
      const auto c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (c & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
    i += n;
  }
  return std::string_view::npos;
}

[[noreturn]] void Broken(const char* what) {
  std::fprintf(stderr, "fuzz_utf8: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  const size_t invalid = ingot::FindInvalidUtf8(text);
  if (invalid != ReferenceInvalid(text)) Broken("FindInvalidUtf8 disagrees with the reference");
  // The stream, fed pieces of 1 + data[0] % 7 bytes.
  const size_t step = 1 + data[0] % 7;
  ingot::Utf8Stream stream;
  std::string out;
  for (size_t at = 0; at < text.size(); at += step) out += stream.Push(std::string(text.substr(at, step)));
  out += stream.Flush();
  if (ReferenceInvalid(out) != std::string_view::npos) Broken("Utf8Stream emitted invalid UTF-8");
  if (invalid == std::string_view::npos && out != text) Broken("Utf8Stream changed valid input");
  return 0;
}
