// i-exp: exp on non-positive fixed-point inputs (I-BERT, Kim et al. 2021),
// with fixed Q formats so that every constant is a compile-time integer:
// input t in Q16 (real t / 2^16, t <= 0), output exp(t) in Q30.
//
//   t clamped to [-kExpInputBoundQ16, 0]   (real [-32, 0]; exp(-32) < 2^-46)
//   z = floor(-t / ln2)                    (ln2 = 45426 / 2^16; computed as a
//                                           multiply-shift, exact on the domain)
//   p = t + z * ln2                        in (-ln2, 0]
//   L(p) = (a p + b) p + 1                 a = 0.35815147, b = 0.96963238
//                                          (I-BERT's released coefficients)
//   exp(t) ~= L(p) / 2^z                   (rounding shift, ties toward +inf)
// Stated error: |IExp(t) / 2^30 - exp(t / 2^16)| <= 2.5e-3 on the domain
// (the polynomial's own error is 1.9e-3, at z = 0). The activations use it.
//
// ExpCubicQ16ToQ30 is the same range reduction with a cubic for exp(p), the relative minimax
// fit on (-ln2, 0] (coefficients in Q30, Horner steps rounded like L): relative error
// <= 7.5e-5 (the cubic) + 6.4e-5 (ln2's rounding, at t = -32): <= 1.5e-4 on the domain. The
// softmax uses it, so that its 16-bit probabilities are worth their bits.
#pragma once

#include <cstdint>

#include "kernels/fixed_point.h"

namespace ingot::kernels::ref {

inline constexpr int32_t kExpInputBoundQ16 = 32 << 16;  // domain [-32, 0]
inline constexpr int32_t kLn2Q16 = 45426;                // round(ln 2 * 2^16)
inline constexpr int64_t kExpDivLn2Mul = 6051115;        // floor(u / 45426) ==
inline constexpr int32_t kExpDivLn2Shift = 38;           //   (u * Mul) >> 38, u <= 2^22
inline constexpr int64_t kExpPolyAQ30 = 384562213;       // round(0.35815147 * 2^30)
inline constexpr int64_t kExpPolyBQ30 = 1041134840;      // round(0.96963238 * 2^30)
inline constexpr int64_t kOneQ30 = int64_t{1} << 30;

inline constexpr int64_t kExpCubicQ30[4] = {125783504, 514173515, 1070447944, 1073661564};  // p^3 .. p^0

// t clamped to [-kExpInputBoundQ16, 0], split as t = p - z ln2 with p in (-ln2, 0] (Q16).
struct ExpReduced {
  int32_t z;
  int64_t p;
};
static constexpr ExpReduced ReduceExpInput(int32_t t) {
  const int32_t tc = t > 0 ? 0 : (t < -kExpInputBoundQ16 ? -kExpInputBoundQ16 : t);
  const int64_t u = -static_cast<int64_t>(tc);                         // [0, 2^21]
  const int32_t z = static_cast<int32_t>((u * kExpDivLn2Mul) >> kExpDivLn2Shift);  // u >= 0: floor
  return {z, tc + int64_t{z} * kLn2Q16};
}

// exp(t / 2^16) * 2^30 for t <= 0 (t > 0 is treated as 0). Result in [0, 2^30].
static constexpr int32_t IExpQ16ToQ30(int32_t t) {
  const auto [z, p] = ReduceExpInput(t);
  const int64_t v = RoundingShiftRight64(kExpPolyAQ30 * p, 16) + kExpPolyBQ30;  // a p + b, Q30
  const int64_t l = RoundingShiftRight64(v * p, 16) + kOneQ30;         // L(p), Q30, (2^29, 2^30]
  return static_cast<int32_t>(RoundingShiftRight64(l, z));
}

// The same with the cubic. Result in [0, 2^30).
static constexpr int32_t ExpCubicQ16ToQ30(int32_t t) {
  const auto [z, p] = ReduceExpInput(t);
  int64_t v = kExpCubicQ30[0];
  for (int k = 1; k < 4; ++k) v = RoundingShiftRight64(v * p, 16) + kExpCubicQ30[k];  // (2^29, 2^30)
  return static_cast<int32_t>(RoundingShiftRight64(v, z));
}

}  // namespace ingot::kernels::ref
