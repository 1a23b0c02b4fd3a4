#include "engine/quant/weight_format.h"

#include <fnmatch.h>

#include "kernels/packed_codes.h"
#include "model_io/error.h"

namespace ingot {

std::string CodeFormat::Name() const {
  if (per_channel()) return "int8";
  return std::to_string(bits) + "-bit g" + std::to_string(group) + (asym ? " asym" : " sym");
}

int32_t DefaultGroup(int32_t bits) { return bits == 8 ? 32 : 64; }
bool DefaultAsym(int32_t bits) { return bits != 8; }

namespace {

// "2", "4", "8" or "int8" -> bits (0 for int8); -1 when it is none of them.
int32_t ParseWidth(const std::string& s) {
  if (s == "int8") return 0;
  if (s == "2" || s == "4" || s == "8") return std::stoi(s);
  return -1;
}

// A glob over the whole name, or else a run of its dot-separated parts: "output" is
// output.weight but not blk.0.attn_output.weight; "attn_v" is every layer's; "blk.1" is layer 1.
bool Matches(const std::string& pattern, const std::string& name) {
  if (pattern.find_first_of("*?[") != std::string::npos) return fnmatch(pattern.c_str(), name.c_str(), 0) == 0;
  for (size_t at = name.find(pattern); at != std::string::npos; at = name.find(pattern, at + 1)) {
    const size_t end = at + pattern.size();
    if ((at == 0 || name[at - 1] == '.') && (end == name.size() || name[end] == '.')) return true;
  }
  return false;
}

bool IsEmbedding(const std::string& name) {
  return name.rfind("token_embd.", 0) == 0 || name.rfind("position_embd.", 0) == 0;
}

}  // namespace

WeightFormats WeightFormats::Parse(const std::string& bits, int32_t group, int32_t asym) {
  WeightFormats f;
  if (group != 0 && !kernels::ValidCodeGroup(group)) {
    throw Error("--group " + std::to_string(group) + ": the group size must be 32, 64, 128 or 256",
                ErrorKind::kInvalidArgument);
  }
  if (group != 0) f.group_ = group;
  f.asym_ = asym;
  size_t start = 0;
  while (start <= bits.size() && !bits.empty()) {
    const size_t comma = bits.find(',', start);
    const std::string item = bits.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    start = comma == std::string::npos ? bits.size() + 1 : comma + 1;
    const size_t eq = item.find('=');
    const std::string width = eq == std::string::npos ? item : item.substr(eq + 1);
    const int32_t b = ParseWidth(width);
    if (b < 0) {
      throw Error("--bits: '" + item + "': a width is 2, 4, 8 or int8, alone or as PATTERN=WIDTH",
                  ErrorKind::kInvalidArgument);
    }
    if (eq == std::string::npos) {
      f.base_ = f.Format(b);
    } else if (eq == 0) {
      throw Error("--bits: '" + item + "' has an empty pattern", ErrorKind::kInvalidArgument);
    } else {
      f.rules_.emplace_back(item.substr(0, eq), b);
    }
  }
  return f;
}

CodeFormat WeightFormats::Format(int32_t bits) const {
  if (bits == 0) return CodeFormat{};
  return CodeFormat{bits, group_ != 0 ? group_ : DefaultGroup(bits), asym_ < 0 ? DefaultAsym(bits) : asym_ != 0};
}

CodeFormat WeightFormats::For(const std::string& tensor) const {
  const bool embedding = IsEmbedding(tensor);
  CodeFormat f = embedding || tensor.rfind("output.", 0) == 0 ? CodeFormat{} : base_;
  for (const auto& [pattern, bits] : rules_) {
    if (Matches(pattern, tensor)) f = Format(bits);
  }
  if (embedding && !f.per_channel()) {
    throw Error("--bits: " + tensor + " is looked up row by row and stays int8 (per channel)",
                ErrorKind::kInvalidArgument);
  }
  return f;
}

std::string WeightFormats::Describe() const {
  if (rules_.size() > 8) {  // a width per matrix (--bpw): how many of each
    int32_t count[9] = {};
    for (const auto& rule : rules_) ++count[rule.second];
    std::string s = "mixed (g" + std::to_string(Format(4).group) + "):";
    for (int32_t bits : {2, 4, 8, 0}) {
      if (count[bits] > 0) s += " " + std::to_string(count[bits]) + " x " + (bits == 0 ? "int8" : std::to_string(bits) + "-bit");
    }
    return s;
  }
  std::string s = base_.Name();
  for (const auto& [pattern, bits] : rules_) s += "; " + pattern + "=" + Format(bits).Name();
  return s;
}

}  // namespace ingot
