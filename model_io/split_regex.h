// The regexes byte-level BPE pre-tokenizers split text with, run the way llama.cpp runs them.
//
// A pre-tokenizer is a list of regexes (model_io/pretokenizer.cpp). Each one splits every
// piece the previous one left into its matches and the text between them, which stays a piece
// of its own; `$` and lookahead stop at the piece's end. llama.cpp runs a pattern one of three
// ways, and the way decides what a character is:
//   - kUnicode: the patterns it splits by hand (GPT-2's, Llama 3's, Qwen's), with real Unicode
//     classes;
//   - kCollapsed: a pattern with \p{..} classes goes through std::regex on a "collapsed" text,
//     where ASCII stays and every other code point becomes one stand-in byte: 0x0B if it is
//     whitespace, else one byte per category \p{N}, \p{L}, \p{P}, \p{M}, \p{S}, else a byte no
//     class takes (so a non-ASCII control or separator is in no \p{..}, and ASCII's classes are
//     fixed lists: `$+<=>^`|` are \p{S}, `~` is in neither \p{P} nor \p{S});
//   - kWide: a pattern without classes goes through std::wregex on the code points, with
//     non-ASCII whitespace turned into U+000B.
//
// The engine takes the syntax those patterns use: alternation, an unquantified (?:...) as a
// whole alternative, [...] sets with ranges and \s \p{L} \p{N} \p{P} \p{M} \p{S} in them, the same
// classes and \S outside, the quantifiers ? * + {m} {m,} {m,n} on a set, (?!set) and $. It
// matches as ECMAScript does: at the leftmost position, the first alternative that matches,
// quantifiers greedy with backtracking. Long runs are memoized so that matching stays linear in
// the piece (a backtracking engine meets `\s+$` on a long run of spaces quadratically).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ingot {

enum class RegexView : uint8_t { kUnicode, kCollapsed, kWide };

class SplitRegex {
 public:
  // Error naming the pattern for syntax the engine does not take, or an alternative that can
  // match the empty string.
  SplitRegex(std::string_view pattern, RegexView view);

  // ends: the end of each piece of cps in order (the last one cps.size()); replaced by the ends
  // of the pieces this regex splits them into.
  void Split(std::span<const uint32_t> cps, std::vector<size_t>* ends) const;

  // The view llama.cpp gives a pattern that it does not split by hand: kCollapsed when it uses
  // a \p{..} class, else kWide.
  static RegexView ViewOf(std::string_view pattern);

  struct CharSet {
    std::vector<std::pair<uint32_t, uint32_t>> ranges;  // code point ranges, inclusive
    uint8_t categories = 0;                             // bit (1 << UnicodeCategory)
    bool whitespace = false;                            // \s
    bool negated = false;
  };
  struct Item {
    enum Kind : uint8_t { kSet, kNotAhead, kEnd } kind = kSet;
    CharSet set;
    uint32_t min = 1, max = 1;  // kSet: repetitions
  };
  using Sequence = std::vector<Item>;

 private:
  struct Char;
  struct Memo;
  size_t MatchAt(const std::vector<Char>& text, size_t pos, size_t end, Memo* memo) const;
  size_t MatchSequence(const std::vector<Char>& text, size_t alt, size_t item, size_t pos, size_t end,
                       Memo* memo) const;

  std::string pattern_;              // for messages
  RegexView view_;
  std::vector<Sequence> alternatives_;
  std::vector<size_t> memo_offset_;  // [alternatives_] first memo slot of each alternative's items
};

}  // namespace ingot
