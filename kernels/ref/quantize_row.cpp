#include "kernels/ref/quantize_row.h"

namespace ingot::kernels::ref {

uint32_t MaxMagnitude(const int32_t* x, int32_t n) {
  uint32_t a = 0;
  for (int32_t i = 0; i < n; ++i) {
    const int64_t v = x[i];
    const uint32_t mag = static_cast<uint32_t>(v < 0 ? -v : v);
    a = mag > a ? mag : a;
  }
  return a;
}

Dyadic QuantizeRowS32ToS8Pair(const int32_t* x, int32_t n, int8_t* hi, int8_t* lo) {
  const uint32_t a = MaxMagnitude(x, n);
  if (a == 0) {
    for (int32_t i = 0; i < n; ++i) hi[i] = lo[i] = 0;
    return DyadicOne();
  }
  const Dyadic inv = DyadicFromRatio(kPairMax, a);
  for (int32_t i = 0; i < n; ++i) {
    const int64_t k = MultiplyByDyadic(x[i], inv);
    SplitPair(static_cast<int32_t>(k < -kPairMax ? -kPairMax : (k > kPairMax ? kPairMax : k)), hi + i, lo + i);
  }
  return DyadicFromRatio(a, kPairMax);
}

Dyadic QuantizeRowS32ToS8(const int32_t* x, int32_t n, int8_t* q) {
  const uint32_t a = MaxMagnitude(x, n);
  if (a == 0) {
    for (int32_t i = 0; i < n; ++i) q[i] = 0;
    return DyadicOne();
  }
  const Dyadic inv = QuantizeInverseStep(a);
  for (int32_t i = 0; i < n; ++i) q[i] = SaturateToS8(MultiplyByDyadic(x[i], inv));
  return QuantizeStep(a);
}

}  // namespace ingot::kernels::ref
