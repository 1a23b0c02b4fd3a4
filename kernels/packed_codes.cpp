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

namespace {

// Sums of |code - z| over the codes of one byte, per zero point z: the bound's inner sum in one
// lookup per byte. 8-bit codes (one per byte) take |byte - z| directly.
struct ByteDistances {
  uint16_t table[16][256];
  explicit ByteDistances(int32_t bits) {
    const int32_t mask = (1 << bits) - 1;
    for (int32_t z = 0; z < 16 && bits < 8; ++z) {
      for (int32_t byte = 0; byte < 256; ++byte) {
        int32_t sum = 0;
        for (int32_t p = 0; p < 8 / bits; ++p) {
          const int32_t d = ((byte >> (bits * p)) & mask) - z;
          sum += d < 0 ? -d : d;
        }
        table[z][byte] = static_cast<uint16_t>(sum);
      }
    }
  }
};

// The 16 row bounds of one row block, in one pass over its bytes: a chunk (16 rows x 4c
// inputs) lies inside one group.
void BlockBounds(const PackedCodes& w, const ByteDistances& distances, int32_t block, int64_t* bounds) {
  const int32_t chunks_per_group = w.group / (kPackK * w.codes_per_byte());
  const int32_t mask = (1 << w.bits) - 1;
  const CodeBlock p = CodeBlockAt(w, block);
  for (int32_t i = 0; i < kPackRows; ++i) bounds[i] = 0;
  for (int32_t g = 0; g < w.groups(); ++g) {
    const uint8_t* group = p.data + static_cast<int64_t>(g) * chunks_per_group * kPackRows * kPackK;
    for (int32_t i = 0; i < kPackRows; ++i) {
      const int32_t z = (p.zeros != nullptr ? p.zeros[g * kPackRows + i] : w.zero_point()) & mask;
      int64_t sum = 0;
      for (int32_t j = 0; j < chunks_per_group; ++j) {
        const uint8_t* bytes = group + (j * kPackRows + i) * kPackK;
        for (int32_t l = 0; l < kPackK; ++l) {
          const int32_t d = bytes[l] - z;
          sum += w.bits == 8 ? (d < 0 ? -d : d) : distances.table[z][bytes[l]];
        }
      }
      bounds[i] += sum * p.scales[g * kPackRows + i];
    }
  }
  for (int32_t i = 0; i < kPackRows; ++i) bounds[i] *= 127;
}

}  // namespace

void CodeRowBounds(const PackedCodes& w, int64_t* bounds) {
  const ByteDistances distances(w.bits);
  for (int32_t block = 0; block < w.n_pad / kPackRows; ++block) BlockBounds(w, distances, block, bounds + block * kPackRows);
}

bool CodesFitInt32(const PackedCodes& w) {
  const int64_t limit = CodeBoundLimit(w.k);
  const ByteDistances distances(w.bits);
  for (int32_t block = 0; block < w.n_pad / kPackRows; ++block) {
    int64_t bounds[kPackRows];
    BlockBounds(w, distances, block, bounds);
    for (const int64_t b : bounds) {
      if (b >= limit) return false;
    }
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
