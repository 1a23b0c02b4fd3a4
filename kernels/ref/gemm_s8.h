// GEMM: int8 activations [M, K] x int8 weights [N, K] (packed) -> int32 [M, N].
// Prefill-time matmul; bound by integer throughput.
#pragma once

#include <cstdint>

#include "kernels/packed_weights.h"

namespace ingot::kernels::ref {

// c[m * ldc + n] = sum_{k < K} a[m * lda + k] * W[n, k]
//   for m in [0, m_count), n in [n_begin, n_end); other c untouched.
// Inputs in [-127, 127]. Accumulator bound: |c| <= 127 * 127 * K < 2^31
// (K <= kMaxK = 2^17). Threads split either n (a range) or m (offset a, c).
void GemmS8(const int8_t* a, int64_t lda,  // [M, K], row stride lda >= K
            int32_t m_count,
            const PackedS8Weights& w,      // [N, K] packed
            int32_t n_begin, int32_t n_end,
            int32_t* c, int64_t ldc);      // [M, N], row stride ldc >= N

}  // namespace ingot::kernels::ref
