// The matmuls of weight codes in groups (kernels/packed_codes.h) with int8 activations: the
// spec every ISA reproduces bit for bit.
//
// For row n of the weights and one activation row (q, per-32 shifts sh, per-32 sums S):
//   y[n] = sum_g s[n, g] * sum_{j: 32 inputs of group g} ((sum_{k in j} code[n, k] * q[k]) << sh[j]
//                                                         - z[n, g] * S[j])
// which is sum_k s * (code - z) * (q[k] << sh): the dot of the real weights (over row_scale) with
// the activations. Bound: |y[n]| <= CodeRowBound(w, n) << max sh < 2^31 when CodesFitInt32(w)
// and the shifts are at most GroupShiftLimit(k) (as the grouped quantizer's are). Every partial
// sum of s * (...) terms is bounded by the same, and a sum of code * q over one group, before
// its zero-point term, by 255 * 127 * 256 * 4 < 2^31: so a kernel may fold a group's scale in
// per group or per 32 inputs (the distributive law, exact in integers), in any order.
#pragma once

#include <cstdint>

#include "kernels/packed_codes.h"

namespace ingot::kernels::ref {

// sums[j] = sum_{k in [32 j, min(32 j + 32, k))} q[k] << shifts[j] for j < ActGroupCount(k);
// shifts may be nullptr (all 0).
void SumGroupsS8(const int8_t* q, int32_t k, const uint8_t* shifts, int32_t* sums);

// y[n] for n in [n_begin, n_end), row 0 of x; other y untouched.
void GemvCodes(const PackedCodes& w, const CodeInput& x, int32_t n_begin, int32_t n_end, int32_t* y);  // [N]

// c[m * ldc + n] for rows m in [0, m_count) of a, n in [n_begin, n_end).
void GemmCodes(const CodeInput& a, int32_t m_count, const PackedCodes& w, int32_t n_begin, int32_t n_end,
               int32_t* c, int64_t ldc);  // [M, N], ldc >= N

}  // namespace ingot::kernels::ref
