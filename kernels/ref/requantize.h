// Requantization: int32 accumulators -> int32 with per-row and/or per-column
// dyadic multipliers. THE requantization of the integer path (matmul outputs to
// Q16 or to the residual's scale, attention scores, P.V weights).
#pragma once

#include <cstdint>

#include "kernels/dyadic.h"

namespace ingot::kernels::ref {

// The multiplier of element (r, c):
//   both given:  CombineMultipliers(row_scale[r], col_scale[c])  (dyadic.h)
//   row only:    row_scale[r]
//   col only:    col_scale[c]
//   neither:     1 (plain saturate)
// out = SaturateToS32(MultiplyByDyadic(acc, multiplier)): one rounding, ties
// toward +infinity (fixed_point.h), exponents clamped to [0, 63].
// Typical use: col_scale[n] = weight scale s_w[n], row_scale[t] = s_x[t] / s_out[t].
// No accumulation: |acc * m| < 2^62 in int64 for every input. out may be acc
// (same ld): the engine requantizes attention scores in place.
void RequantizeS32ToS32(const int32_t* acc, int64_t ld_acc,  // [rows, cols]
                        int32_t rows, int32_t cols,
                        const Dyadic* row_scale,  // [rows] or nullptr
                        const Dyadic* col_scale,  // [cols] or nullptr
                        int32_t* out, int64_t ld_out);  // [rows, cols]

// The multiplier rule above, for one element (shared by every ISA's tails).
static constexpr Dyadic RequantMultiplier(const Dyadic* row_scale, const Dyadic* col_scale,
                                          int32_t r, int32_t c) {
  if (row_scale != nullptr && col_scale != nullptr) {
    return CombineMultipliers(row_scale[r], col_scale[c]);
  }
  if (row_scale != nullptr) return row_scale[r];
  if (col_scale != nullptr) return col_scale[c];
  return DyadicOne();
}

}  // namespace ingot::kernels::ref
