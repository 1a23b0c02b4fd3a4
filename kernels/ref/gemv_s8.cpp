#include "kernels/ref/gemv_s8.h"

namespace ingot::kernels::ref {

void GemvS8(const PackedS8Weights& w, const int8_t* x, int32_t n_begin, int32_t n_end, int32_t* y) {
  for (int32_t n = n_begin; n < n_end; ++n) {
    int32_t acc = 0;  // |acc| <= 127 * 127 * K < 2^31
    for (int32_t k = 0; k < w.k; ++k) {
      acc += int32_t{w.data[PackedS8Offset(w.k_pad, n, k)]} * x[k];
    }
    y[n] = acc;
  }
}

}  // namespace ingot::kernels::ref
