// Bringing an int32 activation with a dyadic scale into the Q16 real-valued
// domain of the fixed-format non-linear functions.
#pragma once

#include <cstdint>

#include "kernels/dyadic.h"

namespace ingot::kernels::ref {

// round(x * s * 2^16) clamped to [-bound, bound] (s = m * 2^-e, any e).
static constexpr int32_t ToQ16Clamped(int32_t x, Dyadic s, int32_t bound) {
  const int32_t shift = s.e - 16;
  int64_t v = 0;
  if (shift >= 0) {
    v = MultiplyByQuantizedMultiplier(x, s.m, shift);
  } else {
    const int64_t p = int64_t{x} * s.m;
    const int32_t left = -shift;
    const int64_t lim = left >= 62 ? 0 : (int64_t{bound} >> left);
    v = (left >= 62 && p != 0) || p > lim || p < -lim ? (p < 0 ? -int64_t{bound} : int64_t{bound})
                                                       : p * (int64_t{1} << left);
  }
  return static_cast<int32_t>(v < -bound ? -bound : (v > bound ? bound : v));
}

}  // namespace ingot::kernels::ref
