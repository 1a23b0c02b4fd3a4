#include "kernels/ref/gemv_codes.h"

namespace ingot::kernels::ref {

void SumGroupsS8(const int8_t* q, int32_t k, const uint8_t* shifts, int32_t* sums) {
  for (int32_t j = 0; j < ActGroupCount(k); ++j) {
    int32_t sum = 0;  // |sum| <= 127 * 32
    for (int32_t i = j * kActGroup; i < k && i < (j + 1) * kActGroup; ++i) sum += q[i];
    sums[j] = shifts != nullptr ? sum * (1 << shifts[j]) : sum;
  }
}

namespace {

// y of weight row n and activation row m of a (the definition in the header, in its order).
int32_t CodeDot(const PackedCodes& w, int32_t n, const CodeInput& a, int32_t m) {
  const int8_t* q = a.q + m * a.ld_q;
  const uint8_t* shifts = a.shifts != nullptr ? a.shifts + m * a.ld_groups : nullptr;
  const int32_t* sums = a.sums + m * a.ld_groups;
  int32_t y = 0;
  for (int32_t g = 0; g < w.groups(); ++g) {
    const int32_t z = ZeroAt(w, n, g);
    int32_t group = 0;
    for (int32_t j = g * w.group / kActGroup; j < (g + 1) * w.group / kActGroup && j * kActGroup < w.k; ++j) {
      int32_t dot = 0;
      for (int32_t k = j * kActGroup; k < w.k && k < (j + 1) * kActGroup; ++k) dot += CodeAt(w, n, k) * q[k];
      group += (shifts != nullptr ? dot * (1 << shifts[j]) : dot) - z * sums[j];
    }
    y += int32_t{w.scales[PackedGroupOffset(w, n, g)]} * group;
  }
  return y;
}

}  // namespace

void GemvCodes(const PackedCodes& w, const CodeInput& x, int32_t n_begin, int32_t n_end, int32_t* y) {
  for (int32_t n = n_begin; n < n_end; ++n) y[n] = CodeDot(w, n, x, 0);
}

void GemmCodes(const CodeInput& a, int32_t m_count, const PackedCodes& w, int32_t n_begin, int32_t n_end,
               int32_t* c, int64_t ldc) {
  for (int32_t m = 0; m < m_count; ++m) {
    for (int32_t n = n_begin; n < n_end; ++n) c[m * ldc + n] = CodeDot(w, n, a, m);
  }
}

}  // namespace ingot::kernels::ref
