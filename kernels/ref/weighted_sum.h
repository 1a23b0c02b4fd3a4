// Weighted sum of int8 rows: the P.V step of attention, where each weight is a
// probability with its position's value scale folded in.
#pragma once

#include <cstdint>

namespace ingot::kernels::ref {

// out[c] = sum_{p < n} w[p] * v[p * ldv + c]   for c in [0, cols)
// In int32 arithmetic modulo 2^32 (every ISA wraps the same way); the caller
// keeps sum |w[p]| * 127 below 2^31, so the result is exact.
void WeightedSumS8(const int32_t* w, const int8_t* v, int64_t ldv, int32_t n, int32_t cols, int32_t* out);

}  // namespace ingot::kernels::ref
