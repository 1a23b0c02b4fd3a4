// Integer RMSNorm and LayerNorm over a wide int32 row (the residual stream).
#pragma once

#include <cstdint>

#include "kernels/dyadic.h"

namespace ingot::kernels::ref {

inline constexpr int32_t kNormFracBits = 16;  // normalized values are Q16
inline constexpr int32_t kNormMaxN = 1 << 15;  // row length limit (|z| < 2^24)

// RMSNorm:
//   rms  = sqrt(mean_i(x[i]^2) + eps)      eps in units of (x's LSB)^2, i.e.
//                                          eps_real / x_scale^2 as a Dyadic
//   z[i] = round(2^16 * x[i] / rms)        |z| <= 2^16 * sqrt(n) < 2^24
//   out[i] = gamma ? Sat32(round(z[i] * gamma[i] / 2^gamma_shift)) : z[i]
// Output real scale: gamma_scale * 2^(gamma_shift - 16) (2^-16 without gamma).
// The sum of squares is exact (128-bit); sqrt is Isqrt64 on the sum brought
// to 63-64 bits; 1/rms is a Dyadic (rel. error 2^-30). A zero row with zero
// eps gives zeros. Stated error: within 1 LSB of round(2^16 x / rms_real)
// (before gamma). 1 <= n <= kNormMaxN.
void RmsNormS32(const int32_t* x, int32_t n, Dyadic eps,  // x [n]
                const int32_t* gamma, int32_t gamma_shift, // gamma [n] or nullptr
                int32_t* out);                             // out [n]

// LayerNorm: as RmsNorm on the centered row d[i] = x[i] - mu, with
// mu = round(sum x / n) (ties toward +inf), then out[i] += beta[i] (saturating;
// beta already in output units, nullptr for none). Centering on the rounded
// mean adds n * (mu - mean)^2 <= n / 4 to the sum of squares.
void LayerNormS32(const int32_t* x, int32_t n, Dyadic eps,
                  const int32_t* gamma, int32_t gamma_shift,
                  const int32_t* beta,  // [n] or nullptr
                  int32_t* out);

// The per-row factor both norms apply, from a row's statistics: the exact sum of squares
// (sum_sq_hi * 2^64 + sum_sq_lo) and max |v| of its n values v. Then
//   z[i] = Sat32(MultiplyByDyadic(Sat32(RoundingShiftRight64(v[i], shift)), mult))
// (all zero when `zero`). Shared with the vectorized RMSNorm.
struct NormScale {
  Dyadic mult;
  int32_t shift = 0;
  bool zero = false;
};
NormScale NormScaleFor(uint64_t sum_sq_hi, uint64_t sum_sq_lo, uint64_t max_abs, int32_t n, Dyadic eps);

}  // namespace ingot::kernels::ref
