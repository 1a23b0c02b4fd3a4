// Constants and helpers the integer forward pass's files share (forward_int8.cpp,
// forward_int8_attention.cpp). Integer-only, like them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernels/dyadic.h"

namespace ingot::int8_forward {

using kernels::Dyadic;

constexpr int32_t kQ16 = 16;
constexpr Dyadic kQ16Scale{kernels::kDyadicOne, 30 + kQ16};  // 2^-16: one LSB of a Q16 value
// The residual stream is shifted right when its magnitude passes 2^29: two branches can then
// be added before int32 could overflow.
constexpr int32_t kResidualMaxBits = 29;
// Below this many multiply-adds an op runs on the calling thread: waking a team costs more.
constexpr int64_t kMinParallelWork = int64_t{1} << 18;
// SiLU's and GELU's cost per element in multiply-adds (for ThreadsFor).
constexpr int64_t kSiluCost = 64;
constexpr int64_t kGeluCost = 64;
// Attention probabilities P[p] are u16 with scale 1/kProbOne (kernels/ref/softmax.h). The
// weights w[p] = round(P[p] * s_v[p] / s_v_max) fit 16 bits, and their sum stays below
// 2^31 / 127 for any context up to 2^24: sum w <= sum P + n / 2 <= kProbOne + n.
constexpr uint32_t kProbOne = 65535;

// Logit rows per output GEMM: the accumulators hold 2 planes x kLogitChunk rows x n_vocab.
constexpr int32_t kLogitChunk = 64;

// x * 2^k as a dyadic (exact: only the exponent moves).
constexpr Dyadic Shifted(Dyadic d, int32_t k) { return Dyadic{d.m, d.e - k}; }

// a < b for normalized non-negative dyadics.
inline bool DyadicLess(Dyadic a, Dyadic b) {
  if (a.m == 0 || b.m == 0) return a.m == 0 && b.m != 0;
  return a.e != b.e ? a.e > b.e : a.m < b.m;
}

// Row r of a row-major [rows, cols] buffer. 64-bit offsets: rows * cols may pass 2^31.
template <typename T>
T* Row(T* buffer, int64_t r, int64_t cols) {
  return buffer + r * cols;
}
template <typename T>
T* Row(std::vector<T>& buffer, int64_t r, int64_t cols) {
  return buffer.data() + r * cols;
}

// Elements of a [rows, cols] buffer.
inline size_t Elements(int64_t rows, int64_t cols) { return static_cast<size_t>(rows * cols); }

}  // namespace ingot::int8_forward
