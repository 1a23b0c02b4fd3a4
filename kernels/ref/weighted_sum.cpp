#include "kernels/ref/weighted_sum.h"

namespace ingot::kernels::ref {

void WeightedSumS8(const int32_t* w, const int8_t* v, int32_t n, int32_t cols, int32_t* out) {
  for (int32_t c = 0; c < cols; ++c) {
    uint32_t sum = 0;
    for (int32_t p = 0; p < n; ++p) {
      sum += static_cast<uint32_t>(w[p]) * static_cast<uint32_t>(int32_t{v[InterleavedOffset(cols, p, c)]});
    }
    out[c] = static_cast<int32_t>(sum);
  }
}

}  // namespace ingot::kernels::ref
