#include "kernels/ref/sigmoid.h"

#include "kernels/ref/activation_input.h"
#include "kernels/ref/iexp.h"

namespace ingot::kernels::ref {

int32_t SigmoidQ16ToQ30(int32_t t) {
  const int32_t tc = t > kSigmoidInputBoundQ16 ? kSigmoidInputBoundQ16
                                               : (t < -kSigmoidInputBoundQ16 ? -kSigmoidInputBoundQ16 : t);
  const int32_t mag = tc < 0 ? -tc : tc;
  const int64_t e = IExpQ16ToQ30(-mag);  // (0, 2^30]
  const int64_t den = kOneQ30 + e;       // (2^30, 2^31]
  const int64_t s = ((int64_t{1} << 61) + den) / (2 * den);  // round(2^60 / den), ties up
  return static_cast<int32_t>(tc >= 0 ? s : kOneQ30 - s);
}

void SiluS32(const int32_t* x, int32_t n, Dyadic x_scale, int32_t* y) {
  for (int32_t i = 0; i < n; ++i) {
    const int32_t sig = SigmoidQ16ToQ30(ToQ16Clamped(x[i], x_scale, kSigmoidInputBoundQ16));
    y[i] = static_cast<int32_t>(RoundingShiftRight64(int64_t{x[i]} * sig, 30));
  }
}

}  // namespace ingot::kernels::ref
