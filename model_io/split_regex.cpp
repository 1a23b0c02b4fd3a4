#include "model_io/split_regex.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "model_io/error.h"
#include "model_io/unicode.h"

namespace ingot {

namespace {

constexpr uint32_t kUnbounded = std::numeric_limits<uint32_t>::max();
constexpr size_t kNoMatch = std::numeric_limits<size_t>::max();

uint8_t CategoryBit(UnicodeCategory category) { return static_cast<uint8_t>(1u << static_cast<unsigned>(category)); }

// std::regex's \s in the C locale.
bool IsAsciiSpace(uint32_t cp) { return cp == ' ' || (cp >= '\t' && cp <= '\r'); }

// The \p{..} class llama.cpp's collapsed regexes give an ASCII character (fixed lists there).
UnicodeCategory CollapsedAsciiCategory(uint32_t cp) {
  using enum UnicodeCategory;
  if ((cp >= 'A' && cp <= 'Z') || (cp >= 'a' && cp <= 'z')) return kLetter;
  if (cp >= '0' && cp <= '9') return kNumber;
  if ((cp >= 0x21 && cp <= 0x23) || (cp >= 0x25 && cp <= 0x2A) || (cp >= 0x2C && cp <= 0x2F) || cp == 0x3A ||
      cp == 0x3B || cp == 0x3F || cp == 0x40 || (cp >= 0x5B && cp <= 0x5D) || cp == 0x5F || cp == 0x7B || cp == 0x7D) {
    return kPunctuation;
  }
  if (cp == '$' || cp == '+' || (cp >= '<' && cp <= '>') || cp == '^' || cp == '`' || cp == '|') return kSymbol;
  return kOther;
}

class Parser {
 public:
  explicit Parser(std::string_view pattern) : pattern_(pattern), p_(DecodeUtf8(pattern)) {}

  std::vector<SplitRegex::Sequence> Parse() {
    std::vector<SplitRegex::Sequence> alternatives = ParseAlternation(false);
    if (i_ != p_.size()) Fail("unexpected ')'");
    return alternatives;
  }

  [[noreturn]] void Fail(const std::string& why) const {
    throw Error("pre-tokenizer regex '" + std::string(pattern_) + "': " + why);
  }

 private:
  bool AtEnd() const { return i_ >= p_.size(); }
  uint32_t Peek(size_t ahead = 0) const { return i_ + ahead < p_.size() ? p_[i_ + ahead] : 0; }
  uint32_t Next() {
    if (AtEnd()) Fail("ends too early");
    return p_[i_++];
  }
  bool Accept(std::u32string_view s) {
    for (size_t k = 0; k < s.size(); ++k) {
      if (Peek(k) != s[k]) return false;
    }
    i_ += s.size();
    return true;
  }

  std::vector<SplitRegex::Sequence> ParseAlternation(bool in_group) {
    std::vector<SplitRegex::Sequence> alternatives;
    SplitRegex::Sequence sequence;
    bool spliced = false;  // the current alternative was a group, already added
    const auto close = [&] {
      if (!spliced) alternatives.push_back(std::move(sequence));
      sequence.clear();
      spliced = false;
    };
    while (!AtEnd() && Peek() != ')') {
      if (Accept(U"|")) {
        close();
      } else if (Accept(U"(?:")) {
        std::vector<SplitRegex::Sequence> group = ParseAlternation(true);
        if (!Accept(U")")) Fail("unclosed group");
        if (!sequence.empty() || spliced || (!AtEnd() && Peek() != '|' && Peek() != ')')) {
          Fail("a group must be a whole alternative, unquantified");
        }
        for (SplitRegex::Sequence& alternative : group) alternatives.push_back(std::move(alternative));
        spliced = true;
      } else if (Accept(U"(?!")) {
        SplitRegex::Item item{SplitRegex::Item::kNotAhead, ParseAtom(), 0, 0};
        if (!Accept(U")")) Fail("a lookahead takes one character class");
        sequence.push_back(std::move(item));
      } else if (Accept(U"$")) {
        sequence.push_back({SplitRegex::Item::kEnd, {}, 0, 0});
      } else {
        SplitRegex::Item item{SplitRegex::Item::kSet, ParseAtom(), 1, 1};
        ParseQuantifier(&item);
        sequence.push_back(std::move(item));
      }
    }
    if (in_group && AtEnd()) Fail("unclosed group");
    close();
    for (const SplitRegex::Sequence& alternative : alternatives) {
      uint64_t min_length = 0;
      for (const SplitRegex::Item& item : alternative) min_length += item.kind == SplitRegex::Item::kSet ? item.min : 0;
      if (min_length == 0) Fail("an alternative can match the empty string");
    }
    return alternatives;
  }

  void ParseQuantifier(SplitRegex::Item* item) {
    if (Accept(U"?")) {
      item->min = 0;
    } else if (Accept(U"*")) {
      item->min = 0;
      item->max = kUnbounded;
    } else if (Accept(U"+")) {
      item->max = kUnbounded;
    } else if (Accept(U"{")) {
      item->min = ParseNumber();
      item->max = item->min;
      if (Accept(U",")) item->max = Peek() == '}' ? kUnbounded : ParseNumber();
      if (!Accept(U"}") || item->max < item->min) Fail("bad {m,n} quantifier");
    } else {
      return;
    }
    if (Peek() == '?' || Peek() == '+' || Peek() == '*') Fail("lazy or repeated quantifiers are not supported");
  }

  uint32_t ParseNumber() {
    uint32_t n = 0;
    if (!(Peek() >= '0' && Peek() <= '9')) Fail("expected a number");
    while (Peek() >= '0' && Peek() <= '9') {
      n = n * 10 + (Next() - '0');
      if (n > 1000) Fail("repetition count too large");
    }
    return n;
  }

  // One character class: a literal, an escape, or a [...] set.
  SplitRegex::CharSet ParseAtom() {
    SplitRegex::CharSet set;
    if (Accept(U"[")) {
      set.negated = Accept(U"^");
      while (!Accept(U"]")) {
        if (AtEnd()) Fail("unclosed [");
        if (ParseClassEscape(&set)) continue;
        const uint32_t first = ParseLiteral();
        uint32_t last = first;
        if (Peek() == '-' && Peek(1) != ']' && Peek(1) != 0) {
          Next();
          last = ParseLiteral();
          if (last < first) Fail("range out of order");
        }
        set.ranges.emplace_back(first, last);
      }
      return set;
    }
    if (Accept(U"\\S")) {
      set.whitespace = true;
      set.negated = true;
      return set;
    }
    if (ParseClassEscape(&set)) return set;
    if (Peek() == '(' || Peek() == ')' || Peek() == '*' || Peek() == '+' || Peek() == '?' || Peek() == '{' ||
        Peek() == '.' || Peek() == '^') {
      Fail("unsupported syntax");
    }
    const uint32_t cp = ParseLiteral();
    set.ranges.emplace_back(cp, cp);
    return set;
  }

  // \s or \p{X} added to set; false (nothing read) for anything else.
  bool ParseClassEscape(SplitRegex::CharSet* set) {
    if (Accept(U"\\s")) {
      set->whitespace = true;
      return true;
    }
    if (!Accept(U"\\p{")) return false;
    using enum UnicodeCategory;
    const uint32_t name = Next();
    if (!Accept(U"}")) Fail("only \\p{L}, \\p{M}, \\p{N}, \\p{P} and \\p{S} are supported");
    switch (name) {
      case 'L': set->categories |= CategoryBit(kLetter); break;
      case 'M': set->categories |= CategoryBit(kMark); break;
      case 'N': set->categories |= CategoryBit(kNumber); break;
      case 'P': set->categories |= CategoryBit(kPunctuation); break;
      case 'S': set->categories |= CategoryBit(kSymbol); break;
      default: Fail("only \\p{L}, \\p{M}, \\p{N}, \\p{P} and \\p{S} are supported");
    }
    return true;
  }

  uint32_t ParseLiteral() {
    const uint32_t cp = Next();
    if (cp != '\\') return cp;
    const uint32_t escaped = Next();
    switch (escaped) {
      case 'r': return '\r';
      case 'n': return '\n';
      case 't': return '\t';
      case 'f': return '\f';
      case 'v': return '\v';
      default:
        if ((escaped >= 'a' && escaped <= 'z') || (escaped >= 'A' && escaped <= 'Z') || (escaped >= '0' && escaped <= '9')) {
          Fail("unsupported escape");
        }
        return escaped;  // an escaped punctuation character stands for itself
    }
  }

  std::string_view pattern_;
  std::vector<uint32_t> p_;
  size_t i_ = 0;
};

}  // namespace

// A code point as the regex sees it in its view.
struct SplitRegex::Char {
  uint32_t cp;
  uint8_t category;  // CategoryBit, 0 for none
  bool whitespace;
};

// Per piece: for each item, the last run of its set that was measured, and an interval of
// positions where the rest of the alternative from that item is known to fail. Neither depends
// on where the match started (the patterns capture nothing), so both serve every start
// position in the piece.
struct SplitRegex::Memo {
  struct Slot {
    size_t run_from = 1, run_to = 0;   // [from, to): all in the set, and to ends the run
    size_t fail_lo = 1, fail_hi = 0;   // [lo, hi]: the rest fails from each of these
  };
  std::vector<Slot> slots;
  void Reset() { std::fill(slots.begin(), slots.end(), Slot{}); }
};

namespace {

bool InSet(const SplitRegex::CharSet& set, uint32_t cp, uint8_t category, bool whitespace) {
  bool in = (set.categories & category) != 0 || (set.whitespace && whitespace);
  for (size_t r = 0; !in && r < set.ranges.size(); ++r) in = cp >= set.ranges[r].first && cp <= set.ranges[r].second;
  return in != set.negated;
}

}  // namespace

SplitRegex::SplitRegex(std::string_view pattern, RegexView view) : pattern_(pattern), view_(view) {
  Parser parser(pattern);
  alternatives_ = parser.Parse();
  if (view == RegexView::kCollapsed) {
    for (const uint32_t cp : DecodeUtf8(pattern)) {
      if (cp >= 0x80) parser.Fail("a pattern with \\p{..} classes must be ASCII (as llama.cpp requires)");
    }
  }
  if (view == RegexView::kWide && ViewOf(pattern) == RegexView::kCollapsed) {
    parser.Fail("\\p{..} classes need the Unicode or collapsed view");
  }
  size_t slots = 0;
  for (const Sequence& alternative : alternatives_) {
    memo_offset_.push_back(slots);
    slots += alternative.size() + 1;
  }
}

RegexView SplitRegex::ViewOf(std::string_view pattern) {
  return pattern.find("\\p{") != std::string_view::npos ? RegexView::kCollapsed : RegexView::kWide;
}

size_t SplitRegex::MatchSequence(const std::vector<Char>& text, size_t alt, size_t item_index, size_t pos, size_t end,
                                 Memo* memo) const {
  const Sequence& sequence = alternatives_[alt];
  if (item_index == sequence.size()) return pos;
  const Item& item = sequence[item_index];
  const auto in_set = [&](size_t at) {
    return InSet(item.set, text[at].cp, text[at].category, text[at].whitespace);
  };
  switch (item.kind) {
    case Item::kEnd:
      return pos == end ? MatchSequence(text, alt, item_index + 1, pos, end, memo) : kNoMatch;
    case Item::kNotAhead:
      return pos < end && in_set(pos) ? kNoMatch : MatchSequence(text, alt, item_index + 1, pos, end, memo);
    case Item::kSet:
      break;
  }
  // The run of the set from pos, at most item.max long.
  Memo::Slot& slot = memo->slots[memo_offset_[alt] + item_index];
  size_t run_end;
  if (item.max == kUnbounded && slot.run_from <= pos && pos < slot.run_to) {
    run_end = slot.run_to;
  } else {
    const size_t limit = item.max == kUnbounded ? end : std::min<size_t>(end, pos + item.max);
    run_end = pos;
    while (run_end < limit && in_set(run_end)) ++run_end;
    if (item.max == kUnbounded) {
      slot.run_from = pos;
      slot.run_to = run_end;
    }
  }
  if (run_end - pos < item.min) return kNoMatch;
  // Greedy: the longest run first. The rest's known failures are skipped.
  Memo::Slot& rest = memo->slots[memo_offset_[alt] + item_index + 1];
  const size_t lo = pos + item.min, hi = run_end;
  for (size_t at = hi + 1; at-- > lo;) {
    if (rest.fail_lo <= at && at <= rest.fail_hi) {
      at = rest.fail_lo;  // the loop's decrement moves below the known interval
      if (at <= lo) break;
      continue;
    }
    const size_t matched = MatchSequence(text, alt, item_index + 1, at, end, memo);
    if (matched != kNoMatch) return matched;
  }
  // Every position in [lo, hi] failed: remember it, joined to what was known if they touch.
  if (rest.fail_lo <= rest.fail_hi && lo <= rest.fail_hi + 1 && rest.fail_lo <= hi + 1) {
    rest.fail_lo = std::min(rest.fail_lo, lo);
    rest.fail_hi = std::max(rest.fail_hi, hi);
  } else {
    rest.fail_lo = lo;
    rest.fail_hi = hi;
  }
  return kNoMatch;
}

size_t SplitRegex::MatchAt(const std::vector<Char>& text, size_t pos, size_t end, Memo* memo) const {
  for (size_t alt = 0; alt < alternatives_.size(); ++alt) {
    const size_t matched = MatchSequence(text, alt, 0, pos, end, memo);
    if (matched != kNoMatch) return matched;
  }
  return kNoMatch;
}

void SplitRegex::Split(std::span<const uint32_t> cps, std::vector<size_t>* ends) const {
  using enum UnicodeCategory;
  std::vector<Char> text(cps.size());
  for (size_t i = 0; i < cps.size(); ++i) {
    const uint32_t cp = cps[i];
    const CodePointClass cls = ClassifyCodePoint(cp);
    switch (view_) {
      case RegexView::kUnicode:
        text[i] = {cp, CategoryBit(cls.category), cls.whitespace};
        break;
      case RegexView::kCollapsed:
        if (cp < 0x80) {
          const UnicodeCategory category = CollapsedAsciiCategory(cp);
          text[i] = {cp, category == kOther ? uint8_t{0} : CategoryBit(category), IsAsciiSpace(cp)};
        } else if (cls.whitespace) {
          text[i] = {0x0B, 0, true};
        } else if (cls.category == kOther || cls.category == kSeparator) {
          text[i] = {0xD0, 0, false};  // llama.cpp's fallback byte, in no class
        } else {
          text[i] = {0xD0 + static_cast<uint32_t>(cls.category), CategoryBit(cls.category), false};
        }
        break;
      case RegexView::kWide: {
        const uint32_t seen = cp >= 0x80 && cls.whitespace ? 0x0B : cp;
        text[i] = {seen, 0, IsAsciiSpace(seen)};
        break;
      }
    }
  }

  Memo memo;
  memo.slots.resize(memo_offset_.empty() ? 0 : memo_offset_.back() + alternatives_.back().size() + 1);
  std::vector<size_t> split;
  split.reserve(ends->size());
  size_t begin = 0;
  for (const size_t end : *ends) {
    memo.Reset();
    size_t gap = begin;  // start of the text not matched yet
    for (size_t pos = begin; pos < end;) {
      const size_t matched = MatchAt(text, pos, end, &memo);
      if (matched == kNoMatch) {
        ++pos;
        continue;
      }
      if (pos > gap) split.push_back(pos);
      split.push_back(matched);
      pos = gap = matched;
    }
    if (gap < end) split.push_back(end);
    begin = end;
  }
  *ends = std::move(split);
}

}  // namespace ingot
