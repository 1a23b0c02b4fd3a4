#include "kernels/ref/gelu.h"

#include "kernels/ref/activation_input.h"
#include "kernels/ref/iexp.h"
#include "kernels/ref/sigmoid.h"

namespace ingot::kernels::ref {

int32_t GeluGateQ16ToQ30(int32_t t) {
  const int64_t tc = t > kGeluInputBoundQ16 ? kGeluInputBoundQ16
                                            : (t < -kGeluInputBoundQ16 ? -kGeluInputBoundQ16 : t);
  const int64_t mag = tc < 0 ? -tc : tc;
  const int64_t u = RoundingShiftRight64(mag * kInvSqrt2Q31, 31);     // |t| / sqrt 2, Q16
  const int64_t c = (u < kErfClipQ16 ? u : kErfClipQ16) - kErfClipQ16;  // [-1.769, 0], Q16
  const int64_t l = RoundingShiftRight64(kErfAQ30 * RoundingShiftRight64(c * c, 16), 16) + kOneQ30;
  const int64_t erf = tc > 0 ? l : (tc < 0 ? -l : 0);
  return static_cast<int32_t>(RoundingShiftRight64(kOneQ30 + erf, 1));
}

void GeluS32(const int32_t* x, int32_t n, Dyadic x_scale, int32_t* y) {
  for (int32_t i = 0; i < n; ++i) {
    const int32_t gate = GeluGateQ16ToQ30(ToQ16Clamped(x[i], x_scale, kGeluInputBoundQ16));
    y[i] = static_cast<int32_t>(RoundingShiftRight64(int64_t{x[i]} * gate, 30));
  }
}

void GeluTanhS32(const int32_t* x, int32_t n, Dyadic x_scale, int32_t* y) {
  for (int32_t i = 0; i < n; ++i) {
    const int64_t t = ToQ16Clamped(x[i], x_scale, kGeluTanhArgBoundQ16);
    const int64_t t2 = RoundingShiftRight64(t * t, 16);   // <= 2^22
    const int64_t t3 = RoundingShiftRight64(t2 * t, 16);  // |t3| <= 2^25
    const int64_t inner = t + RoundingShiftRight64(t3 * kGeluCubicQ31, 31);          // |inner| < 2^21
    const int64_t v = RoundingShiftRight64(inner * kTwoSqrt2OverPiQ30, 30);         // |v| < 2^22, Q16
    const int64_t gate = SigmoidQ16ToQ30(static_cast<int32_t>(v));                  // Q30, [0, 2^30]
    y[i] = SaturateToS32(RoundingShiftRight64(int64_t{x[i]} * gate, 30));
  }
}

}  // namespace ingot::kernels::ref
