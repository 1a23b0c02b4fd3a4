#include "kernels/ref/gemm_s8.h"

namespace ingot::kernels::ref {

void GemmS8(const int8_t* a, int64_t lda, int32_t m_count, const PackedS8Weights& w,
            int32_t n_begin, int32_t n_end, int32_t* c, int64_t ldc) {
  for (int32_t m = 0; m < m_count; ++m) {
    const int8_t* a_row = a + m * lda;  // [K]
    for (int32_t n = n_begin; n < n_end; ++n) {
      int32_t acc = 0;  // |acc| <= 127 * 127 * K < 2^31
      for (int32_t k = 0; k < w.k; ++k) {
        acc += int32_t{w.data[PackedS8Offset(w.k_pad, n, k)]} * a_row[k];
      }
      c[m * ldc + n] = acc;
    }
  }
}

}  // namespace ingot::kernels::ref
