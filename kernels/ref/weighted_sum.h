// Weighted sum of int8 rows: the P.V step of attention, where each weight is a
// probability with its position's value scale folded in (16 bits).
#pragma once

#include <cstdint>

namespace ingot::kernels::ref {

// The rows are stored interleaved by 4 (the V cache's layout): row p, column c at
//   ((p / 4) * cols + c) * 4 + p % 4
// so 4 consecutive rows of one column are 4 adjacent bytes (one u8 x s8 dot-product group).
static constexpr int64_t InterleavedOffset(int32_t cols, int32_t p, int32_t c) {
  return (static_cast<int64_t>(p / 4) * cols + c) * 4 + p % 4;
}

// out[c] = sum_{p < n} w[p] * v(p, c)   for c in [0, cols), v interleaved as above
// (ceil(n / 4) groups; row slots of the last group beyond n are read and weighted 0).
// w[p] in [0, 2^16). In int32 arithmetic modulo 2^32 (every ISA wraps the same way); the
// caller keeps sum w[p] * 127 below 2^31, so the result is exact.
void WeightedSumS8(const int32_t* w, const int8_t* v, int32_t n, int32_t cols, int32_t* out);

}  // namespace ingot::kernels::ref
