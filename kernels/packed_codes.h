// Weight codes in groups: 8-, 4- or 2-bit unsigned codes with an integer scale (and, when
// asymmetric, an integer zero point) per group of `group` consecutive inputs of a row, relative
// to one dyadic scale per row (the engine's, not stored here):
//   W[n, k] = row_scale[n] * s[n, g] * (code[n, k] - z[n, g]),  g = k / group
// z is 2^(bits - 1) for every group of a symmetric matrix. The int8 activations stay signed,
// the codes unsigned: u8 x s8, what vpdpbusd multiplies directly.
//
// Layout, for rows in blocks of 16 as packed_weights.h (c = 8 / bits codes per byte):
//   data   [n_pad / 16][k_pad / (4 c)][16][4]  a 64-byte chunk per 16 rows x 4c inputs: byte
//          (row r, chunk j, lane i), bits [bits p, bits p + bits), is the code of column
//          k = 4 (c j + p) + i, p in [0, c). Unpacking part p of a chunk gives k-step c j + p
//          (4 consecutive inputs of 16 rows), the block16x4 unit.
//   scales [n_pad / 16][k_pad / group][16]   u8 s[n, g]
//   zeros  [n_pad / 16][k_pad / group][16]   u8 z[n, g] (asymmetric only; symmetric: none)
// k_pad = k rounded up to the group; padding columns hold code z (contributing 0), padding
// rows scale 0.
//
// The matmuls read int8 activations through CodeInput: per 32 inputs, a power-of-two sub-scale
// (grouped_s8.h; none for per-token rows) and the sum of the 32 values (shifted by it).
#pragma once

#include <cstdint>
#include <type_traits>

#include "kernels/grouped_s8.h"
#include "kernels/packed_weights.h"

namespace ingot::kernels {

inline constexpr int32_t kMinCodeGroup = 32;   // = kActGroup: a group is whole sub-scale groups
inline constexpr int32_t kMaxCodeGroup = 256;

// Whether the format takes this width / group size.
static constexpr bool ValidCodeBits(int32_t bits) { return bits == 8 || bits == 4 || bits == 2; }
static constexpr bool ValidCodeGroup(int32_t group) {
  return group == 32 || group == 64 || group == 128 || group == 256;
}

struct PackedCodes {
  const uint8_t* data = nullptr;    // [n_pad / 16][k_pad / (4c)][16][4]
  const uint8_t* scales = nullptr;  // [n_pad / 16][groups][16]
  const uint8_t* zeros = nullptr;   // [n_pad / 16][groups][16], or nullptr: symmetric
  int32_t bits = 0;                 // 8, 4 or 2
  int32_t group = 0;                // 32, 64, 128 or 256
  int32_t n = 0, k = 0;             // logical rows and columns (k <= kMaxK)
  int32_t n_pad = 0, k_pad = 0;     // n rounded up to 16, k to the group

  constexpr int32_t groups() const { return k_pad / group; }
  constexpr int32_t codes_per_byte() const { return 8 / bits; }
  constexpr int32_t zero_point() const { return 1 << (bits - 1); }  // the symmetric z
};

// Sizes of the buffers the caller allocates for PackCodes.
int64_t PackedCodeDataBytes(int32_t n, int32_t k, int32_t bits, int32_t group);
int64_t PackedCodeGroupBytes(int32_t n, int32_t k, int32_t group);  // scales, and zeros when asymmetric

// Packs codes [n, k] (row stride ldc, values < 2^bits), scales [n, groups] and zeros [n, groups]
// (nullptr: symmetric; row stride ld_groups = ceil(k / group)) into the buffers and returns the
// descriptor pointing at them.
PackedCodes PackCodes(const uint8_t* codes, int64_t ldc, const uint8_t* scales, const uint8_t* zeros,
                      int64_t ld_groups, int32_t n, int32_t k, int32_t bits, int32_t group, uint8_t* data,
                      uint8_t* packed_scales, uint8_t* packed_zeros);

// Where code (row, col) sits: its byte in data and the bit position inside it (the layout, stated once).
struct CodePlace {
  int64_t byte;
  int32_t shift;
};
static constexpr CodePlace PackedCodePlace(const PackedCodes& w, int32_t row, int32_t col) {
  const int32_t c = 8 / w.bits;
  const int32_t step = col / kPackK;
  const int64_t chunks = w.k_pad / (kPackK * c);
  return CodePlace{(static_cast<int64_t>(row / kPackRows) * chunks + step / c) * (kPackRows * kPackK) +
                       (row % kPackRows) * kPackK + col % kPackK,
                   (step % c) * w.bits};
}
// Offset of (row, g) in scales and zeros.
static constexpr int64_t PackedGroupOffset(const PackedCodes& w, int32_t row, int32_t g) {
  return (static_cast<int64_t>(row / kPackRows) * w.groups() + g) * kPackRows + row % kPackRows;
}
static constexpr int32_t CodeAt(const PackedCodes& w, int32_t row, int32_t col) {
  const CodePlace p = PackedCodePlace(w, row, col);
  return (w.data[p.byte] >> p.shift) & ((1 << w.bits) - 1);
}
static constexpr int32_t ZeroAt(const PackedCodes& w, int32_t row, int32_t g) {
  return w.zeros != nullptr ? w.zeros[PackedGroupOffset(w, row, g)] : w.zero_point();
}

// The accumulator bound of row r: 127 * sum_g s[r, g] * sum_{k in g} |code - z|, the largest
// |y[r]| any int8 activations without sub-scales can give. A matrix is usable when every row's
// bound times 2^GroupShiftLimit(k) (the largest sub-scale the activations may carry) is below
// 2^31: then every partial sum of the matmuls fits int32 (CodesFitInt32).
int64_t CodeRowBound(const PackedCodes& w, int32_t row);  // the definition, code by code
void CodeRowBounds(const PackedCodes& w, int64_t* bounds);  // [n_pad] the same, in one pass over the bytes
bool CodesFitInt32(const PackedCodes& w);                  // by CodeRowBounds' pass
static constexpr int64_t CodeBoundLimit(int32_t k) { return (int64_t{1} << 31) >> GroupShiftLimit(k); }

// M int8 activation rows as the code matmuls read them.
struct CodeInput {
  const int8_t* q = nullptr;          // [M, ld_q] values in [-127, 127]; columns past k are not read
  int64_t ld_q = 0;
  const uint8_t* shifts = nullptr;    // [M, ld_groups] sub-scale of each 32 inputs, or nullptr: none
  const int32_t* sums = nullptr;      // [M, ld_groups] sum of each 32 inputs: sum_{k in j} q[k] << shift[j]
  int64_t ld_groups = 0;              // >= ActGroupCount(k)
  // Without shifts, for a matrix in groups of `group`: [M, ld_pairs] the group sums two at a
  // time, as CodeGroupPairs writes them (the zero-point terms' int16 operand). The GEMM reads
  // them (it needs them); the GEMV and the shifted kinds do not.
  const int32_t* pairs = nullptr;
  int64_t ld_pairs = 0;               // >= CodePairCount(k, group)
};

// Rows [first, ...) of a.
static constexpr CodeInput CodeInputFrom(const CodeInput& a, int32_t first) {
  return CodeInput{a.q + first * a.ld_q,
                   a.ld_q,
                   a.shifts == nullptr ? nullptr : a.shifts + first * a.ld_groups,
                   a.sums + first * a.ld_groups,
                   a.ld_groups,
                   a.pairs == nullptr ? nullptr : a.pairs + first * a.ld_pairs,
                   a.ld_pairs};
}

// The low 16 bits of -a and of -b as one int32: a vpdpwssd pair.
static constexpr int32_t NegatedPair(int32_t a, int32_t b) {
  return static_cast<int32_t>((static_cast<uint32_t>(-a) & 0xFFFFu) | (static_cast<uint32_t>(-b) << 16));
}
// Inverse, for one group g of a pair: the sum S_g.
static constexpr int32_t PairedSum(int32_t pair, int32_t g) {
  return -static_cast<int32_t>(static_cast<int16_t>(static_cast<uint32_t>(pair) >> (16 * (g % 2))));
}
static constexpr int32_t CodePairCount(int32_t k, int32_t group) { return ((k + group - 1) / group + 1) / 2; }
// One activation row's pairs: pairs[i] = NegatedPair(S_2i, S_2i+1), where S_g is the sum of
// the 32-input sums of group g (0 past the last group). Without shifts |S_g| <= 127 * 256 < 2^15.
void CodeGroupPairs(const int32_t* sums, int32_t k, int32_t group, int32_t* pairs);

// What every ISA's code kernels share (internal linkage, as fixed_point.h):
// where row block `block`'s codes, group scales and zeros start;
struct CodeBlock {
  const uint8_t* data;
  const uint8_t* scales;
  const uint8_t* zeros;
};
static inline CodeBlock CodeBlockAt(const PackedCodes& w, int32_t block) {
  const int64_t block_bytes = static_cast<int64_t>(w.k_pad) * kPackRows * w.bits / 8;
  const int64_t group_bytes = static_cast<int64_t>(w.groups()) * kPackRows;
  return CodeBlock{w.data + block * block_bytes, w.scales + block * group_bytes,
                   w.zeros != nullptr ? w.zeros + block * group_bytes : nullptr};
}
// the 32-input sub-groups [j_begin, j_end) of group g that hold real inputs;
struct CodeSubGroups {
  int32_t j_begin, j_end;
};
static inline CodeSubGroups CodeSubGroupsOf(const PackedCodes& w, int32_t g) {
  const int32_t per = w.group / kActGroup;
  const int32_t last = ActGroupCount(w.k);
  const int32_t end = (g + 1) * per;
  return CodeSubGroups{g * per, end < last ? end : last};
}
// and f.template operator()<bits, asym, shifts>() called for the matrix's width and kind.
template <typename F>
static inline void DispatchCodeKind(const PackedCodes& w, bool shifts, F&& f) {
  const bool asym = w.zeros != nullptr;
  auto by_kind = [&](auto bits) {
    constexpr int kBits = decltype(bits)::value;
    if (asym) {
      shifts ? f.template operator()<kBits, true, true>() : f.template operator()<kBits, true, false>();
    } else {
      shifts ? f.template operator()<kBits, false, true>() : f.template operator()<kBits, false, false>();
    }
  };
  switch (w.bits) {
    case 8: by_kind(std::integral_constant<int, 8>{}); break;
    case 4: by_kind(std::integral_constant<int, 4>{}); break;
    default: by_kind(std::integral_constant<int, 2>{}); break;
  }
}

}  // namespace ingot::kernels
