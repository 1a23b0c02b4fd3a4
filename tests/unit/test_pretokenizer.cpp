// Text to words: UTF-8 decoding and code point classes as llama.cpp has them, and the
// pre-tokenizers' regex engine: its syntax and errors, the three ways llama.cpp runs a pattern,
// pieces and gaps, and linear time on the runs a backtracking engine meets quadratically. The vocabularies' own vectors are in test_vocab_vectors.cpp.
#include <doctest/doctest.h>

#include <chrono>
#include <utility>
#include <string>
#include <string_view>
#include <vector>

#include "model_io/error.h"
#include "model_io/pretokenizer.h"
#include "model_io/split_regex.h"
#include "model_io/unicode.h"

namespace ingot {
namespace {

using Words = std::vector<std::string>;

// The pieces one regex makes of text.
Words SplitWith(std::string_view pattern, RegexView view, std::string_view text) {
  std::vector<SplitRegex> regexes;
  regexes.emplace_back(pattern, view);
  return PreTokenizer(std::move(regexes), false).Split(text);
}

Words Split(std::string_view pre, std::string_view text) {
  const PreTokenizer* pre_tokenizer = PreTokenizer::Find(pre);
  REQUIRE(pre_tokenizer != nullptr);
  return pre_tokenizer->Split(text);
}

std::string ErrorOf(std::string_view pattern, RegexView view = RegexView::kUnicode) {
  try {
    SplitRegex regex(pattern, view);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("DecodeUtf8 follows llama.cpp on malformed input") {
  using V = std::vector<uint32_t>;
  CHECK(DecodeUtf8("a\xC3\xA9\xE4\xB8\xAD\xF0\x9F\xA6\x99") == V{'a', 0xE9, 0x4E2D, 0x1F999});
  CHECK(DecodeUtf8("\xFF" "a") == V{kReplacementCharacter, 'a'});
  CHECK(DecodeUtf8("\x80\xBF") == V{kReplacementCharacter, kReplacementCharacter});  // lone continuations
  CHECK(DecodeUtf8("\xE4\xB8") == V{kReplacementCharacter, kReplacementCharacter});  // cut short
  CHECK(DecodeUtf8("\xE4" "a") == V{kReplacementCharacter, 'a'});
  CHECK(DecodeUtf8(std::string("\xC0\x80", 2)) == V{0});   // overlong: decoded, as llama.cpp does
  CHECK(DecodeUtf8("\xED\xA0\x80") == V{0xD800});          // a surrogate: decoded too
  CHECK(DecodeUtf8("\xF4\x90\x80\x80") == V(4, kReplacementCharacter));  // above U+10FFFF
  CHECK(DecodeUtf8("").empty());

  std::string utf8;
  for (const uint32_t cp : {0x24u, 0xA2u, 0x20ACu, 0x10348u, 0x10FFFFu}) AppendUtf8(cp, &utf8);
  CHECK(utf8 == "\x24\xC2\xA2\xE2\x82\xAC\xF0\x90\x8D\x88\xF4\x8F\xBF\xBF");
  CHECK(DecodeUtf8(utf8) == V{0x24, 0xA2, 0x20AC, 0x10348, 0x10FFFF});
}

TEST_CASE("ClassifyCodePoint: categories and \\s") {
  using enum UnicodeCategory;
  using CodePoints = std::vector<uint32_t>;
  const auto category = [](uint32_t cp) { return ClassifyCodePoint(cp).category; };
  const auto space = [](uint32_t cp) { return ClassifyCodePoint(cp).whitespace; };
  for (const uint32_t cp : CodePoints{'A', 'z', 0xAA, 0xE9, 0x4E2D, 0x1780, 0x2B740, 0x3400}) CHECK(category(cp) == kLetter);
  for (const uint32_t cp : CodePoints{'0', '9', 0xB2, 0x663, 0x2167, 0x1D7CE}) CHECK(category(cp) == kNumber);
  for (const uint32_t cp : CodePoints{'!', '\'', '_', '{', 0xA1, 0x2014, 0x3002, 0xFF01}) CHECK(category(cp) == kPunctuation);
  for (const uint32_t cp : CodePoints{'$', '+', '<', '^', '`', '|', '~', 0xA9, 0x20AC, 0x1F680}) CHECK(category(cp) == kSymbol);
  for (const uint32_t cp : CodePoints{0x300, 0x301, 0x903, 0x20DD, 0xFE0F}) CHECK(category(cp) == kMark);
  for (const uint32_t cp : CodePoints{' ', 0xA0, 0x3000, 0x2028}) CHECK(category(cp) == kSeparator);
  for (const uint32_t cp :
       CodePoints{'\t', '\n', 0x0B, '\r', ' ', 0x85, 0xA0, 0x1680, 0x2000, 0x200A, 0x2028, 0x202F, 0x3000}) {
    CHECK(space(cp));
  }
  // U+001C..U+001F are whitespace to Python's isspace() but not to \s; U+200B is no space either.
  for (const uint32_t cp : CodePoints{0, '!', 0x1C, 0x1F, 0x7F, 0x200B, 0xFFFD, 0x1F999, 0xE000, 0x10FFFF}) {
    CHECK_FALSE(space(cp));
  }
  for (const uint32_t cp : CodePoints{0, 0x1C, 0x7F, 0x200B, 0x378, 0xE000, 0x2FFFF, 0x10FFFF}) CHECK(category(cp) == kOther);
}

TEST_CASE("the gpt-2 pre-tokenizer matches GPT-2's regex") {
  using W = std::vector<std::string>;
  const auto SplitGpt2Words = [](std::string_view text) { return PreTokenizer::Find("gpt-2")->Split(text); };
  // Expected splits come from the regex itself (Python's regex module).
  CHECK(SplitGpt2Words("Hello world's  end\n\n x!!") == W{"Hello", " world", "'s", " ", " end", "\n\n", " x", "!!"});
  CHECK(SplitGpt2Words("a  ") == W{"a", "  "});
  CHECK(SplitGpt2Words(" ") == W{" "});
  CHECK(SplitGpt2Words("'S'll've") == W{"'", "S", "'ll", "'ve"});  // contractions are lower case only
  CHECK(SplitGpt2Words(" 123abc x\xC2\xB2") == W{" 123", "abc", " x", "\xC2\xB2"});
  CHECK(SplitGpt2Words("a\xE3\x80\x80" "b") == W{"a", "\xE3\x80\x80", "b"});  // U+3000 is \s but not ' '
  CHECK(SplitGpt2Words("a\x1C" "b") == W{"a", "\x1C", "b"});
  CHECK(SplitGpt2Words("\t\n \xC2\xA0x") == W{"\t\n ", "\xC2\xA0", "x"});
  CHECK(SplitGpt2Words("<|endoftext|>") == W{"<|", "endoftext", "|>"});
  CHECK(SplitGpt2Words("a\xFF" "b") == W{"a", "\xEF\xBF\xBD", "b"});
  CHECK(SplitGpt2Words("").empty());
}

TEST_CASE("regex syntax errors name the pattern and the problem") {
  CHECK(ErrorOf("a|") == "pre-tokenizer regex 'a|': an alternative can match the empty string");
  CHECK(ErrorOf("a?") == "pre-tokenizer regex 'a?': an alternative can match the empty string");
  CHECK(ErrorOf("(?:a|b)+") == "pre-tokenizer regex '(?:a|b)+': a group must be a whole alternative, unquantified");
  CHECK(ErrorOf("x(?:a|b)") == "pre-tokenizer regex 'x(?:a|b)': a group must be a whole alternative, unquantified");
  CHECK(ErrorOf("(a)") == "pre-tokenizer regex '(a)': unsupported syntax");
  CHECK(ErrorOf("a+?") == "pre-tokenizer regex 'a+?': lazy or repeated quantifiers are not supported");
  CHECK(ErrorOf("[a") == "pre-tokenizer regex '[a': unclosed [");
  CHECK(ErrorOf("[z-a]") == "pre-tokenizer regex '[z-a]': range out of order");
  CHECK(ErrorOf("\\p{Lu}") == "pre-tokenizer regex '\\p{Lu}': only \\p{L}, \\p{M}, \\p{N}, \\p{P} and \\p{S} are supported");
  CHECK(ErrorOf("\\d") == "pre-tokenizer regex '\\d': unsupported escape");
  CHECK(ErrorOf("a{3,1}") == "pre-tokenizer regex 'a{3,1}': bad {m,n} quantifier");
  CHECK(ErrorOf("a)") == "pre-tokenizer regex 'a)': unexpected ')'");
  CHECK(ErrorOf("\\p{L}|\xC3\xA9", RegexView::kCollapsed) ==
        "pre-tokenizer regex '\\p{L}|\xC3\xA9': a pattern with \\p{..} classes must be ASCII (as llama.cpp requires)");
  CHECK(ErrorOf("\\p{L}", RegexView::kWide) == "pre-tokenizer regex '\\p{L}': \\p{..} classes need the Unicode or collapsed view");
  CHECK(SplitRegex::ViewOf("\\s?\\p{L}+") == RegexView::kCollapsed);
  CHECK(SplitRegex::ViewOf("[0-9][0-9][0-9]") == RegexView::kWide);
}

TEST_CASE("matches and the text between them are pieces; $ is the piece's end") {
  CHECK(SplitWith("[0-9]{2}", RegexView::kWide, "a12345b") == Words{"a", "12", "34", "5b"});
  CHECK(SplitWith("\\s+$", RegexView::kWide, "a  b  ") == Words{"a  b", "  "});
  CHECK(SplitWith("x", RegexView::kWide, "xx") == Words{"x", "x"});
  CHECK(SplitWith("x", RegexView::kWide, "").empty());
  // The first alternative that matches wins, not the longest.
  CHECK(SplitWith("a|ab", RegexView::kWide, "ab") == Words{"a", "b"});
  // Greedy with backtracking, and a lookahead that sees only the piece.
  CHECK(SplitWith("\\s+(?!\\S)|\\s+", RegexView::kWide, "   x") == Words{"  ", " ", "x"});
  CHECK(SplitWith("\\s+(?!\\S)", RegexView::kWide, "   ") == Words{"   "});
}

TEST_CASE("the three views see non-ASCII characters as llama.cpp's three paths do") {
  const std::string text = "h\xC3\xA9llo\xF0\x9F\x9A\x80~$";  // héllo🚀~$
  // Unicode: é is a letter, 🚀 ~ $ are symbols.
  CHECK(SplitWith("\\p{L}+", RegexView::kUnicode, text) == Words{"h\xC3\xA9llo", "\xF0\x9F\x9A\x80~$"});
  CHECK(SplitWith("\\p{S}+", RegexView::kUnicode, text) == Words{"h\xC3\xA9llo", "\xF0\x9F\x9A\x80~$"});
  // Collapsed: é and 🚀 keep their classes through their stand-ins, but ASCII's lists are
  // llama.cpp's: '~' is neither \p{P} nor \p{S} there.
  CHECK(SplitWith("\\p{L}+", RegexView::kCollapsed, text) == Words{"h\xC3\xA9llo", "\xF0\x9F\x9A\x80~$"});
  CHECK(SplitWith("\\p{S}+", RegexView::kCollapsed, text) == Words{"h\xC3\xA9llo", "\xF0\x9F\x9A\x80", "~", "$"});
  CHECK(SplitWith("[^\\p{L}\\p{S}]+", RegexView::kCollapsed, text) == Words{"h\xC3\xA9llo\xF0\x9F\x9A\x80", "~", "$"});
  // A non-ASCII format character (U+200B) is in no class when collapsed; U+3000 is \s in all.
  CHECK(SplitWith("[^\\p{L}]", RegexView::kCollapsed, "a\xE2\x80\x8B" "b") == Words{"a", "\xE2\x80\x8B", "b"});
  CHECK(SplitWith("\\s", RegexView::kCollapsed, "a\xE3\x80\x80" "b") == Words{"a", "\xE3\x80\x80", "b"});
  CHECK(SplitWith("\\s", RegexView::kWide, "a\xE3\x80\x80" "b") == Words{"a", "\xE3\x80\x80", "b"});
  // Wide: code points compare as they are.
  CHECK(SplitWith("[\u00E0-\u00FF]+", RegexView::kWide, "h\xC3\xA9llo") == Words{"h", "\xC3\xA9", "llo"});
}

TEST_CASE("pre-tokenizers: what tells the families apart") {
  // Llama 3: numbers in threes, contractions in either case, newlines kept with punctuation.
  CHECK(Split("llama-bpe", "12345 I'M here!!\n\nok") == Words{"123", "45", " I", "'M", " here", "!!\n\n", "ok"});
  CHECK(Split("gpt-2", "12345 I'M") == Words{"12345", " I", "'", "M"});
  // Qwen 2: single digits; Qwen 3.5: marks join the letters before them.
  CHECK(Split("qwen2", "e\xCC\x81 42") == Words{"e", "\xCC\x81", " ", "4", "2"});
  CHECK(Split("qwen35", "e\xCC\x81 42") == Words{"e\xCC\x81", " ", "4", "2"});
  // StarCoder: digits alone first, then GPT-2's regex over each piece.
  CHECK(Split("starcoder", "x 123") == Words{"x", " ", "1", "2", "3"});
  // Falcon: punctuation runs first, digits in threes last.
  CHECK(Split("falcon", "a+=b 12345") == Words{"a", "+=", "b", " ", "123", "45"});
  CHECK(PreTokenizer::Find("no-such-pre") == nullptr);
  CHECK(PreTokenizer::Find("llama-bpe")->ignore_merges());
  CHECK_FALSE(PreTokenizer::Find("qwen2")->ignore_merges());
}

TEST_CASE("long runs split in linear time") {
  // Without the memo, `\s+$` (DeepSeek LLM) would retry the run from every space: 10^12 steps.
  const std::string spaces(1'000'000, ' ');
  const auto start = std::chrono::steady_clock::now();
  CHECK(Split("deepseek-llm", spaces + "\xF0\x9F\x9A\x80") == Words{spaces + "\xF0\x9F\x9A\x80"});
  CHECK(Split("deepseek-llm", spaces + "x") == Words{spaces.substr(1), " x"});
  CHECK(Split("llama-bpe", spaces + "x") == Words{spaces.substr(1), " x"});
  CHECK(Split("qwen35", spaces + "\n" + spaces + "!") == Words{spaces + "\n", spaces.substr(1), " !"});
  CHECK(Split("gpt-2", spaces) == Words{spaces});
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  MESSAGE("five 1 MB runs split in " << seconds << " s");
}

}  // namespace ingot
