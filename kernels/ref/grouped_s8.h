// Grouped int8 activations (kernels/grouped_s8.h): the quantizer and the two
// matmuls that read them. The spec every ISA reproduces bit for bit.
#pragma once

#include <cstdint>

#include "kernels/dyadic.h"
#include "kernels/grouped_s8.h"
#include "kernels/packed_weights.h"
#include "kernels/ref/quantize_row.h"

namespace ingot::kernels::ref {

// With a = max_i |x[i]|, L = GroupShiftLimit(n) and inv = QuantizeInverseStep(a):
// group g (max magnitude a_g) takes the largest f <= L with a_g * 2^f <= a, and
//   shifts[g] = L - f,  q[i] = SaturateToS8(MultiplyByDyadic(x[i], inv * 2^f)),
//   *sum = sum_i q[i] << shifts[i / kActGroup],
//   returns step = QuantizeStep(a) * 2^-L
// so x[i] ~= q[i] * 2^shifts[g] * step in x's own units. A group with a_g > a / 2
// is quantized exactly as QuantizeRowS32ToS8 does (shift L). A zero row gives
// q = 0, shifts = L, sum = 0 and step = 2^-L.
Dyadic QuantizeRowS32ToS8Grouped(const int32_t* x, int32_t n, int8_t* q,  // x, q [n]
                                 uint8_t* shifts, int32_t* sum);           // shifts [ActGroupCount(n)]

// The sub-scale of a group with max magnitude a_g in a row with max a: the largest f <= limit with
// a_g * 2^f <= a (the group still fits [-127, 127] at steps 2^f times finer); its shift is limit - f.
static constexpr int32_t GroupFineBits(uint32_t a_g, uint32_t a, int32_t limit) {
  int32_t f = limit;
  while (f > 0 && (uint64_t{a_g} << f) > a) --f;
  return f;
}

// The step of a grouped row with max magnitude a: QuantizeStep(a) * 2^-limit (a zero row: 2^-limit).
static constexpr Dyadic GroupedStep(uint32_t a, int32_t limit) {
  const Dyadic step = a == 0 ? DyadicOne() : QuantizeStep(a);
  return Dyadic{step.m, step.e + limit};
}

// y[n] = sum_g (sum_{k in group g} W[n, k] * x.q[k]) << x.shifts[g], row 0 of x, for n in
// [n_begin, n_end); other y untouched. |y| <= 127 * 127 * K * 2^max_shift < 2^31 when the
// shifts are at most GroupShiftLimit(K) (as the quantizer's are).
void GemvS8Grouped(const PackedS8Weights& w, const GroupedS8Rows& x, int32_t n_begin, int32_t n_end,
                   int32_t* y);  // [N]

// c[m * ldc + n] = the same sum for row m of a, m in [0, m_count), n in [n_begin, n_end).
void GemmS8Grouped(const GroupedS8Rows& a, int32_t m_count, const PackedS8Weights& w, int32_t n_begin,
                   int32_t n_end, int32_t* c, int64_t ldc);  // [M, N], row stride ldc >= N

}  // namespace ingot::kernels::ref
