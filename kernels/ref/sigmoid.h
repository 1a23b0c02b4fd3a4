// Integer sigmoid and SiLU, from i-exp: sigmoid(t) = 1 / (1 + exp(-|t|)),
// mirrored for t < 0 (so sigmoid(t) + sigmoid(-t) = 1 exactly).
#pragma once

#include <cstdint>

#include "kernels/dyadic.h"

namespace ingot::kernels::ref {

inline constexpr int32_t kSigmoidInputBoundQ16 = 32 << 16;  // |t| clamped to 32

// sigmoid(t / 2^16) in Q30, t any int32 (clamped to +-32).
//   E = IExpQ16ToQ30(-|t|);  s = round(2^60 / (2^30 + E))  (exact division)
//   t >= 0: s;  t < 0: 2^30 - s
// Stated error: |Sigmoid / 2^30 - sigmoid| <= 1e-3 (measured 7e-4).
int32_t SigmoidQ16ToQ30(int32_t t);

// SiLU: y[i] = round(x[i] * sigmoid(x[i] * x_scale) / 2^30) (ties toward +inf).
// Output keeps x's scale (|y| <= |x|, no saturation possible).
// Stated error: |y * s - silu(x * s)| <= 1e-3 * |x * s| + s / 2 in real units
// (1e-3 absolute for |x s| <= 1).
void SiluS32(const int32_t* x, int32_t n, Dyadic x_scale, int32_t* y);  // x, y [n]

}  // namespace ingot::kernels::ref
