#include "kernels/ref/weighted_sum.h"

namespace ingot::kernels::ref {

void WeightedSumS8(const int32_t* w, const int8_t* v, int64_t ldv, int32_t n, int32_t cols, int32_t* out) {
  for (int32_t c = 0; c < cols; ++c) out[c] = 0;
  for (int32_t p = 0; p < n; ++p) {
    const int8_t* row = v + p * ldv;
    const auto weight = static_cast<uint32_t>(w[p]);
    for (int32_t c = 0; c < cols; ++c) {
      out[c] = static_cast<int32_t>(static_cast<uint32_t>(out[c]) + weight * static_cast<uint32_t>(int32_t{row[c]}));
    }
  }
}

}  // namespace ingot::kernels::ref
