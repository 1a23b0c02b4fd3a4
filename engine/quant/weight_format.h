// Which form each matrix of the integer model takes: per-channel int8 (the default) or weight
// codes in groups (kernels/packed_codes.h), as `--bits`, `--group` and `--asym`/`--sym` ask.
//
//   --bits 4                     every layer matrix 4-bit; embeddings and output per-channel int8
//   --bits 2,attn_v=4,output=8   2-bit, attn_v 4-bit, the output matrix 8-bit codes
//   --bits 4,ffn_down=int8       ffn_down per-channel int8
// An item is a width (2, 4, 8 or int8) or PATTERN=WIDTH, PATTERN a glob (* and ?) over the
// tensor's name ("blk.3.ffn_down.weight"); without a wildcard it matches any name containing
// it. The last item matching a name wins. token_embd and position_embd are looked up row by
// row and stay per-channel int8.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace ingot {

struct CodeFormat {
  int32_t bits = 0;  // 8, 4, 2; 0: per-channel int8
  int32_t group = 0;
  bool asym = false;

  bool per_channel() const { return bits == 0; }
  std::string Name() const;  // "int8", "4-bit g32 asym"
};

// The defaults chosen by measurement (README, "Low-bit weights"): groups of 64 for 4 and 2 bits
// (fewer folds, smaller files, accuracy within the targets), 32 for 8 bits.
int32_t DefaultGroup(int32_t bits);
bool DefaultAsym(int32_t bits);

class WeightFormats {
 public:
  WeightFormats() = default;  // every matrix per-channel int8
  // Parses --bits (empty: all int8), --group (0: the default) and --asym (-1: the width's
  // default, 0 symmetric, 1 asymmetric). Throws Error (one line) for a width, group or item
  // that makes no sense.
  static WeightFormats Parse(const std::string& bits, int32_t group, int32_t asym);

  // The form of the matrix named `tensor` ("blk.0.attn_q.weight"). Throws Error for an
  // embedding asked to be codes.
  CodeFormat For(const std::string& tensor) const;
  bool all_int8() const { return base_.per_channel() && rules_.empty(); }
  // The matrix named exactly `tensor` at `bits` (0: int8), over any earlier item.
  void Set(const std::string& tensor, int32_t bits) { rules_.emplace_back(tensor, bits); }
  std::string Describe() const;  // "4-bit g32 asym; attn_v=8"
  // The format of a width under these options' group and kind (0: int8).
  CodeFormat Format(int32_t bits) const;

 private:
  CodeFormat base_;
  int32_t group_ = 0;  // 0: DefaultGroup of each width
  int32_t asym_ = -1;
  std::vector<std::pair<std::string, int32_t>> rules_;  // pattern, bits (0: int8)
};

}  // namespace ingot
