// GEMV: int8 weights [N, K] (packed) x int8 activation [K] -> int32 [N].
// Decode-time matmul (one token); bound by weight bandwidth.
#pragma once

#include <cstdint>

#include "kernels/packed_weights.h"

namespace ingot::kernels::ref {

// y[n] = sum_{k < K} W[n, k] * x[k] for n in [n_begin, n_end); other y untouched.
// Inputs in [-127, 127]. Accumulator bound: |y[n]| <= 127 * 127 * K < 2^31
// because K <= kMaxK = 2^17. Any range 0 <= n_begin <= n_end <= N is valid;
// ranges starting at multiples of kPackRows avoid recomputing a block.
void GemvS8(const PackedS8Weights& w,  // [N, K] packed
            const int8_t* x,           // [K]
            int32_t n_begin, int32_t n_end,
            int32_t* y);               // [N]

}  // namespace ingot::kernels::ref
