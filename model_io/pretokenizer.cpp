#include "model_io/pretokenizer.h"

#include <algorithm>
#include <initializer_list>
#include <memory>

#include "model_io/unicode.h"

namespace ingot {

namespace {

// llama.cpp's patterns, character for character: the ones it splits by hand (the kUnicode
// view) are recognized by their exact text there too.
constexpr std::string_view kGpt2 = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)";
constexpr std::string_view kLlama3 =
    "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| "
    "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
constexpr std::string_view kQwen2 =
    "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| "
    "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
constexpr std::string_view kQwen35 =
    "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?[\\p{L}\\p{M}]+|\\p{N}| "
    "?[^\\s\\p{L}\\p{M}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
constexpr std::string_view kHandSplit[] = {kGpt2, kLlama3, kQwen2, kQwen35};

// DeepSeek LLM's patterns name their characters as explicit ranges (std::wregex, no classes),
// written here as escapes so that no editor's Unicode normalization can change them (the
// Kelvin and Ohm signs and some Greek letters have canonical equivalents): its letters (the
// cased letters of an older Unicode), its ASCII and full-width punctuation, and CJK.
constexpr std::string_view kDeepSeekLetters =
    "\\s?["
    "A-Za-z\u00B5\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u01BA\u01BC-\u01BF\u01C4-\u0293\u0295-"
    "\u02AF\u0370-\u0373\u0376\u0377\u037B-\u037D\u037F\u0386\u0388-\u038A\u038C\u038E-"
    "\u03A1\u03A3-\u03F5\u03F7-\u0481\u048A-\u052F\u0531-\u0556\u10A0-\u10C5\u13A0-\u13F5"
    "\u13F8-\u13FD\u1C90-\u1CBA\u1CBD-\u1CBF\u1D00-\u1D2B\u1D6B-\u1D77\u1D79-\u1D9A\u1E00-"
    "\u1F15\u1F18-\u1F1D\u1F20-\u1F45\u1F48-\u1F4D\u1F50-\u1F57\u1F59\u1F5B\u1F5D\u1F5F-"
    "\u1F7D\u1F80-\u1FB4\u1FB6-\u1FBC\u1FBE\u1FC2-\u1FC4\u1FC6-\u1FCC\u1FD0-\u1FD3\u1FD6-"
    "\u1FDB\u1FE0-\u1FEC\u1FF2-\u1FF4\u1FF6-\u1FFC\u2102\u2107\u210A-\u2113\u2115\u2119-"
    "\u211D\u2124\u2126\u2128\u212A-\u212D\u212F-\u2134\u2139\u213C-\u213F\u2145-\u2149"
    "\u214E\u2183\u2184\u2C00-\u2C7B\u2C7E-\u2CE4\u2CEB-\u2CEE\u2CF2\u2CF3\uA640-\uA66D"
    "\uA680-\uA69B\uA722-\uA76F\uA771-\uA787\uA78B-\uA78E\uAB70-\uABBF\uFB00-\uFB06\uFB13-"
    "\uFB17\uFF21-\uFF3A\uFF41-\uFF5A\U00010400-\U0001044F\U000104B0-\U000104D3\U000104D8-"
    "\U000104FB\U00010C80-\U00010CB2\U00010CC0-\U00010CF2\U000118A0-\U000118DF\U0001E900-"
    "\U0001E943"
    "]+";
constexpr std::string_view kDeepSeekPunctuation = "\\s?[!-/:-~\uFF01-\uFF0F\uFF1A-\uFF5E\u2018-\u201F\u3000-\u3002]+";
constexpr std::string_view kDeepSeekCjk = "[\u4E00-\u9FA5\u0800-\u4E00\uAC00-\uD7FF]+";

struct Definition {
  std::initializer_list<std::string_view> names;
  std::initializer_list<std::string_view> patterns;
  bool llama3_rules;  // ignore_merges, and BOS by default
};

const Definition kDefinitions[] = {
    {{"gpt-2", "phi-2", "mpt", "olmo"}, {kGpt2}, false},
    {{"llama-bpe", "llama3", "llama-v3", "falcon3"}, {kLlama3}, true},
    {{"qwen2", "deepseek-r1-qwen", "stablelm2"}, {kQwen2}, false},
    {{"qwen35"}, {kQwen35}, false},
    {{"starcoder", "refact", "smollm"}, {"\\p{N}", kGpt2}, false},
    {{"falcon"}, {"[\\p{P}\\$\\+<=>\\^~\\|`]+", kGpt2, "[0-9][0-9][0-9]"}, false},
    {{"deepseek-llm"},
     {"[\r\n]", kDeepSeekLetters, kDeepSeekPunctuation, "\\s+$", kDeepSeekCjk, "\\p{N}+"},
     false},
    {{"deepseek-coder"}, {"[\r\n]", "\\s?\\p{L}+", "\\s?\\p{P}+", kDeepSeekCjk, "\\p{N}"}, false},
    // llama.cpp's pre-tokenizer for BPE vocabularies that name no other.
    {{"default"}, {"[\\p{P}\\$\\+<=>\\^~\\|]+", kGpt2, "\\p{N}+", "[0-9][0-9][0-9]"}, false},
};

std::unique_ptr<PreTokenizer> Build(const Definition& definition) {
  std::vector<SplitRegex> regexes;
  for (const std::string_view pattern : definition.patterns) {
    const bool by_hand = std::ranges::find(kHandSplit, pattern) != std::end(kHandSplit);
    regexes.emplace_back(pattern, by_hand ? RegexView::kUnicode : SplitRegex::ViewOf(pattern));
  }
  return std::make_unique<PreTokenizer>(std::move(regexes), definition.llama3_rules);
}

}  // namespace

const PreTokenizer* PreTokenizer::Find(std::string_view name) {
  // Built once, on first use; the patterns are fixed, so a parse error is a bug the tests catch.
  static const std::vector<std::unique_ptr<PreTokenizer>> built = [] {
    std::vector<std::unique_ptr<PreTokenizer>> all;
    for (const Definition& definition : kDefinitions) all.push_back(Build(definition));
    return all;
  }();
  for (size_t i = 0; i < std::size(kDefinitions); ++i) {
    if (std::ranges::find(kDefinitions[i].names, name) != kDefinitions[i].names.end()) return built[i].get();
  }
  return nullptr;
}

std::string PreTokenizer::Names() {
  std::string names;
  for (const Definition& definition : kDefinitions) {
    for (const std::string_view name : definition.names) names += (names.empty() ? "'" : ", '") + std::string(name) + "'";
  }
  return names;
}

std::vector<std::string> PreTokenizer::Split(std::string_view text) const {
  const std::vector<uint32_t> cps = DecodeUtf8(text);
  std::vector<size_t> ends;
  if (!cps.empty()) ends.push_back(cps.size());
  for (const SplitRegex& regex : regexes_) regex.Split(cps, &ends);
  std::vector<std::string> words;
  words.reserve(ends.size());
  size_t start = 0;
  for (const size_t end : ends) {
    std::string& word = words.emplace_back();
    for (size_t i = start; i < end; ++i) AppendUtf8(cps[i], &word);
    start = end;
  }
  return words;
}

}  // namespace ingot
