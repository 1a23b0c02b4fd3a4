#include "kernels/ref/softmax.h"

namespace ingot::kernels::ref {

static int32_t SaturatingSubNonPositive(int32_t x, int32_t max) {  // x <= max
  const int64_t d = int64_t{x} - max;
  return d < INT32_MIN ? INT32_MIN : static_cast<int32_t>(d);
}

void SoftmaxS32ToU16(int32_t* x, int32_t n, Dyadic x_scale, uint16_t* p) {
  if (n <= 0) return;
  const Dyadic s = DyadicNormalize(x_scale);
  int32_t max = x[0];
  for (int32_t i = 1; i < n; ++i) max = x[i] > max ? x[i] : max;
  uint64_t sum = 0;  // < n * 2^30
  for (int32_t i = 0; i < n; ++i) {
    x[i] = ExpCubicQ16ToQ30(ScoreToQ16(SaturatingSubNonPositive(x[i], max), s));
    sum += static_cast<uint64_t>(x[i]);
  }
  const Dyadic norm = DyadicFromRatio(65535, sum);
  for (int32_t i = 0; i < n; ++i) {
    p[i] = SaturateToU16(MultiplyByDyadic(x[i], norm));
  }
}

}  // namespace ingot::kernels::ref
