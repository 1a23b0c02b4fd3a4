// Integer softmax: int32 scores with a dyadic scale -> u8 probabilities.
#pragma once

#include <cstdint>

#include "kernels/dyadic.h"
#include "kernels/ref/iexp.h"

namespace ingot::kernels::ref {

// p[i] ~= 255 * softmax(x * x_scale)[i]: output scale is 1/255, so 255 means 1.
//   s    = DyadicNormalize(x_scale)                 (real value of one LSB of x)
//   d[i] = max(x[i] - max_j x[j], INT32_MIN)        (saturating, <= 0)
//   t[i] = ScoreToQ16(d[i], s)                      (real d * s in Q16, >= -32)
//   E[i] = IExpQ16ToQ30(t[i]);  S = sum_i E[i]      (S >= 2^30: the max has E = 2^30)
//   p[i] = SaturateToU8(MultiplyByDyadic(E[i], DyadicFromRatio(255, S)))
// Stated error: |p[i] / 255 - softmax_i| <= 1/510 + 2.5e-3.
// n >= 1 and n <= 2^24 (S < 2^55). The exponentials are recomputed in the
// second pass instead of stored: no scratch memory.
void SoftmaxS32ToU8(const int32_t* x, int32_t n, Dyadic x_scale,  // x [n]
                    uint8_t* p);                                  // p [n]

// real(d * s) in Q16, clamped to [-kExpInputBoundQ16, 0], for d <= 0 and a
// normalized s: round(d * s.m * 2^(16 - s.e)). With s.e <= 16 any d != 0 is
// below -2^30 in Q16, i.e. clamped.
static constexpr int32_t ScoreToQ16(int32_t d, Dyadic s) {
  if (d == 0 || s.m == 0) return 0;
  const int32_t shift = s.e - 16;
  if (shift <= 0) return -kExpInputBoundQ16;
  const int64_t t = MultiplyByQuantizedMultiplier(d, s.m, shift);
  return t < -kExpInputBoundQ16 ? -kExpInputBoundQ16 : static_cast<int32_t>(t);
}

}  // namespace ingot::kernels::ref
