#include "kernels/ref/grouped_s8.h"


namespace ingot::kernels::ref {

namespace {

// The grouped dot product of packed row `row` with activation row q / shifts.
int32_t GroupedDot(const PackedS8Weights& w, int32_t row, const int8_t* q, const uint8_t* shifts) {
  int32_t acc = 0;  // every partial sum is bounded by 127 * 127 * K * 2^max_shift < 2^31
  for (int32_t g = 0; g < ActGroupCount(w.k); ++g) {
    int32_t dot = 0;
    const int32_t end = (g + 1) * kActGroup < w.k ? (g + 1) * kActGroup : w.k;
    for (int32_t k = g * kActGroup; k < end; ++k) dot += int32_t{w.data[PackedS8Offset(w.k_pad, row, k)]} * q[k];
    acc += dot << shifts[g];
  }
  return acc;
}

}  // namespace

Dyadic QuantizeRowS32ToS8Grouped(const int32_t* x, int32_t n, int8_t* q, uint8_t* shifts, int32_t* sum) {
  const int32_t limit = GroupShiftLimit(n);
  const uint32_t a = MaxMagnitude(x, n);
  *sum = 0;
  if (a == 0) {
    for (int32_t i = 0; i < n; ++i) q[i] = 0;
    for (int32_t g = 0; g < ActGroupCount(n); ++g) shifts[g] = static_cast<uint8_t>(limit);
    return GroupedStep(a, limit);
  }
  const Dyadic inv = QuantizeInverseStep(a);
  for (int32_t g = 0; g < ActGroupCount(n); ++g) {
    const int32_t begin = g * kActGroup;
    const int32_t end = begin + kActGroup < n ? begin + kActGroup : n;
    const int32_t f = GroupFineBits(MaxMagnitude(x + begin, end - begin), a, limit);
    shifts[g] = static_cast<uint8_t>(limit - f);
    const Dyadic inv_g{inv.m, inv.e - f};
    int32_t group_sum = 0;
    for (int32_t i = begin; i < end; ++i) {
      q[i] = SaturateToS8(MultiplyByDyadic(x[i], inv_g));
      group_sum += q[i];
    }
    *sum += group_sum << (limit - f);
  }
  return GroupedStep(a, limit);
}

void GemvS8Grouped(const PackedS8Weights& w, const GroupedS8Rows& x, int32_t n_begin, int32_t n_end, int32_t* y) {
  for (int32_t n = n_begin; n < n_end; ++n) y[n] = GroupedDot(w, n, x.q, x.shifts);
}

void GemmS8Grouped(const GroupedS8Rows& a, int32_t m_count, const PackedS8Weights& w, int32_t n_begin,
                   int32_t n_end, int32_t* c, int64_t ldc) {
  for (int32_t m = 0; m < m_count; ++m) {
    for (int32_t n = n_begin; n < n_end; ++n) {
      c[m * ldc + n] = GroupedDot(w, n, a.q + m * a.ld_q, a.shifts + m * a.ld_shifts);
    }
  }
}

}  // namespace ingot::kernels::ref
