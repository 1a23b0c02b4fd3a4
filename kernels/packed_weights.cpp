#include "kernels/packed_weights.h"

namespace ingot::kernels {

static int32_t RoundUp(int32_t v, int32_t to) { return (v + to - 1) / to * to; }

int64_t PackedS8DataBytes(int32_t n, int32_t k) {
  return static_cast<int64_t>(RoundUp(n, kPackRows)) * RoundUp(k, kPackK);
}

int64_t PackedS8RowSumCount(int32_t n) { return RoundUp(n, kPackRows); }

PackedS8Weights PackS8Weights(const int8_t* w, int32_t n, int32_t k, int64_t ldw,
                              int8_t* data, int32_t* row_sums) {
  PackedS8Weights p;
  p.data = data;
  p.row_sums = row_sums;
  p.n = n;
  p.k = k;
  p.n_pad = RoundUp(n, kPackRows);
  p.k_pad = RoundUp(k, kPackK);
  for (int32_t row = 0; row < p.n_pad; ++row) {
    int32_t sum = 0;
    for (int32_t col = 0; col < p.k_pad; ++col) {
      const int8_t v = (row < n && col < k) ? w[row * ldw + col] : int8_t{0};
      data[PackedS8Offset(p.k_pad, row, col)] = v;
      sum += v;
    }
    row_sums[row] = sum;
  }
  return p;
}

}  // namespace ingot::kernels
