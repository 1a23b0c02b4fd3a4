// Integer softmax: int32 scores with a dyadic scale -> u16 probabilities.
#pragma once

#include <cstdint>

#include "kernels/dyadic.h"
#include "kernels/ref/iexp.h"

namespace ingot::kernels::ref {

// p[i] ~= 65535 * softmax(x * x_scale)[i]: output scale is 1/65535, so 65535 means 1.
//   s    = DyadicNormalize(x_scale)                 (real value of one LSB of x)
//   d[i] = max(x[i] - max_j x[j], INT32_MIN)        (saturating, <= 0)
//   t[i] = ScoreToQ16(d[i], s)                      (real d * s in Q16, >= -32)
//   E[i] = ExpCubicQ16ToQ30(t[i]);  S = sum_i E[i]  (S >= 2^29: the max has E > 2^29)
//   p[i] = SaturateToU16(MultiplyByDyadic(E[i], DyadicFromRatio(65535, S)))
// Stated error: |p[i] / 65535 - softmax_i| <= 1/131070 + 3e-4 (twice the exponential's).
// n >= 1 and n <= 2^24 (S < 2^54). x is overwritten with E (one exponential per score, kept
// for the normalization: the second pass reads it back instead of computing it again).
void SoftmaxS32ToU16(int32_t* x, int32_t n, Dyadic x_scale,  // x [n], in: scores, out: E
                     uint16_t* p);                           // p [n]

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
