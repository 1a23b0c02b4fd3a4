// Per-row (per-token) dynamic quantization: a wide integer row -> int8 in
// [-127, 127] plus its dyadic step, by integer arithmetic alone.
#pragma once

#include <cstdint>

#include "kernels/dyadic.h"

namespace ingot::kernels::ref {

// With a = max_i |x[i]| (a zero row gives q = 0 and step = 1):
//   inv  = DyadicFromRatio(127, a)              (~127 / a, rel. error <= 2^-31)
//   q[i] = SaturateToS8(MultiplyByDyadic(x[i], inv))   (ties toward +inf)
//   returns step = DyadicFromRatio(a, 127)      (~a / 127)
// so x[i] ~= q[i] * step in x's own units: the row's new real scale is
// DyadicMul(x_scale, step). |q[i] - x[i] * 127 / a| <= 1/2 + 2^-22, and the
// element(s) with |x| = a map to +-127 exactly.
Dyadic QuantizeRowS32ToS8(const int32_t* x, int32_t n, int8_t* q);  // x [n], q [n]

// The same row at about 15 bits, as two int8 planes (so the int8 kernels can take it):
// x[i] ~= (kPairRadix * hi[i] + lo[i]) * step, with hi and lo in [-127, 127].
//   k[i]  = MultiplyByDyadic(x[i], DyadicFromRatio(kPairMax, a))   in [-kPairMax, kPairMax]
//   hi[i] = k[i] / kPairRadix rounded to nearest; lo[i] = k[i] - kPairRadix * hi[i]
//   returns step = DyadicFromRatio(a, kPairMax)  (a zero row: zeros and step 1)
// |k[i] - x[i] * kPairMax / a| <= 1/2 + 2^-15.
inline constexpr int32_t kPairRadix = 255;
inline constexpr int32_t kPairMax = 127 * kPairRadix;  // 32385
Dyadic QuantizeRowS32ToS8Pair(const int32_t* x, int32_t n, int8_t* hi, int8_t* lo);  // x, hi, lo [n]

// max_i |x[i]|, as unsigned (|INT32_MIN| = 2^31).
uint32_t MaxMagnitude(const int32_t* x, int32_t n);

// k in [-kPairMax, kPairMax] as kPairRadix * hi + lo, hi the nearest (no ties: the radix is odd),
// both in [-127, 127].
static constexpr void SplitPair(int32_t k, int8_t* hi, int8_t* lo) {
  const int32_t h = (k + kPairMax + kPairRadix / 2) / kPairRadix - 127;  // a floor division: k + kPairMax >= 0
  *hi = static_cast<int8_t>(h);
  *lo = static_cast<int8_t>(k - kPairRadix * h);
}

// The two dyadics of a row whose max magnitude is a (a >= 1).
static constexpr Dyadic QuantizeInverseStep(uint32_t a) { return DyadicFromRatio(127, a); }
static constexpr Dyadic QuantizeStep(uint32_t a) { return DyadicFromRatio(a, 127); }

}  // namespace ingot::kernels::ref
