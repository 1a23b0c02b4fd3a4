// Grouped int8 activations: a per-token int8 row in which every group of
// kActGroup inputs carries a power-of-two sub-scale, so the groups without the
// row's outliers keep up to two more bits. llama.cpp's Q8_0 activations carry a
// float scale per 32 inputs; here the sub-scale is a shift, so a matmul combines
// the groups exactly in int32: y = sum_g (sum_{k in g} W[n, k] q[k]) << shift[g].
//
// Real value of input k: q[k] * 2^shifts[k / kActGroup] * step (step: the row's
// Dyadic, from the quantizer). Coarse groups (those near the row's maximum)
// have the largest shift; a group at most a quarter of the maximum has shift 0
// and quantization steps four times finer.
#pragma once

#include <cstdint>

namespace ingot::kernels {

inline constexpr int32_t kActGroup = 32;      // inputs per sub-scale: 8 groups of kPackK
inline constexpr int32_t kMaxGroupShift = 2;  // sub-scales 1, 1/2, 1/4 of the row's step

// Number of sub-scales of a row of k inputs.
static constexpr int32_t ActGroupCount(int32_t k) { return (k + kActGroup - 1) / kActGroup; }

// The largest shift a row of k inputs may use: the matmul's accumulator bound
// 127 * 127 * k * 2^shift < 2^31 (2 up to k = 33286, 1 up to 66572, else 0).
static constexpr int32_t GroupShiftLimit(int32_t k) {
  int32_t s = kMaxGroupShift;
  while (s > 0 && int64_t{127} * 127 * k * (int64_t{1} << s) >= (int64_t{1} << 31)) --s;
  return s;
}

// M grouped rows as the matmuls read them.
struct GroupedS8Rows {
  const int8_t* q = nullptr;        // [M, ld_q] values in [-127, 127]
  int64_t ld_q = 0;
  const uint8_t* shifts = nullptr;  // [M, ld_shifts] shift of group g of row m: shifts[m * ld_shifts + g]
  int64_t ld_shifts = 0;
  const int32_t* sums = nullptr;    // [M] sum_k q[k] << shifts[k / kActGroup] (the dot with a row of
                                    // ones: what a kernel offsetting the weights by 128 subtracts)
};

// Rows [first, ...) of a.
static constexpr GroupedS8Rows GroupedRowsFrom(const GroupedS8Rows& a, int32_t first) {
  return GroupedS8Rows{a.q + first * a.ld_q, a.ld_q, a.shifts + first * a.ld_shifts, a.ld_shifts, a.sums + first};
}

}  // namespace ingot::kernels
