#include "kernels/ref/quantize_row.h"

namespace ingot::kernels::ref {

Dyadic QuantizeRowS32ToS8(const int32_t* x, int32_t n, int8_t* q) {
  uint32_t a = 0;  // max |x|; up to 2^31 for int32 input
  for (int32_t i = 0; i < n; ++i) {
    const int64_t v = x[i];
    const uint32_t mag = static_cast<uint32_t>(v < 0 ? -v : v);
    a = mag > a ? mag : a;
  }
  if (a == 0) {
    for (int32_t i = 0; i < n; ++i) q[i] = 0;
    return DyadicOne();
  }
  const Dyadic inv = QuantizeInverseStep(a);
  for (int32_t i = 0; i < n; ++i) q[i] = SaturateToS8(MultiplyByDyadic(x[i], inv));
  return QuantizeStep(a);
}

}  // namespace ingot::kernels::ref
