#include "kernels/packed_codes.h"

namespace ingot::kernels {

namespace {

int32_t RoundUp(int32_t v, int32_t to) { return (v + to - 1) / to * to; }

}  // namespace

int64_t PackedCodeDataBytes(int32_t n, int32_t k, int32_t bits, int32_t group) {
  return static_cast<int64_t>(RoundUp(n, kPackRows)) * RoundUp(k, group) * bits / 8;
}

int64_t PackedCodeGroupBytes(int32_t n, int32_t k, int32_t group) {
  return static_cast<int64_t>(RoundUp(n, kPackRows)) * (RoundUp(k, group) / group);
}

PackedCodes PackCodes(const uint8_t* codes, int64_t ldc, const uint8_t* scales, const uint8_t* zeros,
                      int64_t ld_groups, int32_t n, int32_t k, int32_t bits, int32_t group, uint8_t* data,
                      uint8_t* packed_scales, uint8_t* packed_zeros) {
  PackedCodes p;
  p.data = data;
  p.scales = packed_scales;
  p.zeros = zeros != nullptr ? packed_zeros : nullptr;
  p.bits = bits;
  p.group = group;
  p.n = n;
  p.k = k;
  p.n_pad = RoundUp(n, kPackRows);
  p.k_pad = RoundUp(k, group);
  const int64_t data_bytes = PackedCodeDataBytes(n, k, bits, group);
  for (int64_t i = 0; i < data_bytes; ++i) data[i] = 0;
  for (int32_t row = 0; row < p.n_pad; ++row) {
    for (int32_t g = 0; g < p.groups(); ++g) {
      const bool real = row < n;
      const int64_t src = row * ld_groups + g;
      const int32_t z = zeros != nullptr ? (real ? zeros[src] : 0) : p.zero_point();
      packed_scales[PackedGroupOffset(p, row, g)] = real ? scales[src] : uint8_t{0};
      if (zeros != nullptr) packed_zeros[PackedGroupOffset(p, row, g)] = static_cast<uint8_t>(z);
      for (int32_t col = g * group; col < (g + 1) * group; ++col) {
        const int32_t code = real && col < k ? codes[row * ldc + col] : z;
        const CodePlace place = PackedCodePlace(p, row, col);
        data[place.byte] = static_cast<uint8_t>(data[place.byte] | (code << place.shift));
      }
    }
  }
  return p;
}

int64_t CodeRowBound(const PackedCodes& w, int32_t row) {
  int64_t bound = 0;
  for (int32_t g = 0; g < w.groups(); ++g) {
    const int32_t z = ZeroAt(w, row, g);
    int64_t sum = 0;
    for (int32_t col = g * w.group; col < (g + 1) * w.group; ++col) {
      const int32_t d = CodeAt(w, row, col) - z;
      sum += d < 0 ? -d : d;
    }
    bound += sum * w.scales[PackedGroupOffset(w, row, g)];
  }
  return 127 * bound;
}

bool CodesFitInt32(const PackedCodes& w) {
  const int64_t limit = CodeBoundLimit(w.k);
  for (int32_t row = 0; row < w.n_pad; ++row) {
    if (CodeRowBound(w, row) >= limit) return false;
  }
  return true;
}

void CodeGroupPairs(const int32_t* sums, int32_t k, int32_t group, int32_t* pairs) {
  const int32_t per = group / kActGroup;
  const int32_t parts = ActGroupCount(k);
  const int32_t groups = (k + group - 1) / group;
  int32_t pair_sums[2] = {0, 0};
  for (int32_t g = 0; g < 2 * CodePairCount(k, group); ++g) {
    int32_t sum = 0;
    for (int32_t j = g * per; j < (g + 1) * per && j < parts && g < groups; ++j) sum += sums[j];
    pair_sums[g % 2] = sum;
    if (g % 2 == 1) pairs[g / 2] = NegatedPair(pair_sums[0], pair_sums[1]);
  }
}

}  // namespace ingot::kernels
