// Integer GELU, two forms:
// - I-BERT's i-GELU through i-erf (Kim et al. 2021):
//     GELU(x) = x * Phi(x), Phi(x) = (1 + erf(x / sqrt 2)) / 2,
//     erf(u) ~= sgn(u) * (a * (min(|u|, -b) + b)^2 + 1), a = -0.2888, b = -1.769.
// - the tanh form GPT-2 was trained with, through the i-exp sigmoid (sigmoid.h):
//     GELU(x) = x * sigmoid(2 sqrt(2/pi) (x + 0.044715 x^3))   (0.5 (1 + tanh u) = sigmoid(2u)).
//   The engine runs this one: i-erf's error (0.02) cost docs-gpt2-7m most of its KL divergence
//   and 5 points of same-top-1 (README, the gpt2 accuracy section).
#pragma once

#include <cstdint>

#include "kernels/dyadic.h"

namespace ingot::kernels::ref {

inline constexpr int32_t kGeluInputBoundQ16 = 32 << 16;  // |t| clamped to 32
inline constexpr int64_t kInvSqrt2Q31 = 1518500250;      // round(2^31 / sqrt 2)
inline constexpr int64_t kErfClipQ16 = 115933;           // round(1.769 * 2^16) = -b
inline constexpr int64_t kErfAQ30 = -310096639;          // round(-0.2888 * 2^30) = a

// Phi(t / 2^16) in Q30 (the GELU gate), t any int32:
//   u = round(|t| / sqrt 2) (Q16);  c = min(u, -b) + b  (<= 0)
//   L = round(a * c^2) + 1  (Q30, in [0.096, 1]);  erf = sgn(t) * L
//   Phi = round((2^30 + erf) / 2)
// Stated error: |Phi / 2^30 - Phi_real| <= 0.05 (i-erf's jump at 0 is 0.048).
int32_t GeluGateQ16ToQ30(int32_t t);

// GELU: y[i] = round(x[i] * Phi(x[i] * x_scale) / 2^30), output keeps x's scale.
// Stated error: |y * s - gelu(x * s)| <= 0.02 + s / 2 in real units (I-BERT
// reports 1.8e-2 for i-GELU).
void GeluS32(const int32_t* x, int32_t n, Dyadic x_scale, int32_t* y);  // x, y [n]

inline constexpr int32_t kGeluTanhArgBoundQ16 = 8 << 16;  // the cubic's argument is clamped to +-8
inline constexpr int64_t kGeluCubicQ31 = 96024731;         // round(0.044715 * 2^31)
inline constexpr int64_t kTwoSqrt2OverPiQ30 = 1713444047;  // round(2 sqrt(2 / pi) * 2^30)

// Tanh-form GELU: t = x * x_scale in Q16 clamped to +-8 (where the gate is 0 or 1 within
// 1e-13), v = 2 sqrt(2/pi) (t + 0.044715 t^3) in Q16 (int64, one rounding per product),
// y[i] = round(x[i] * SigmoidQ16ToQ30(v) / 2^30): output keeps x's scale, saturated to int32.
// Stated error: |y * s - gelu(x * s)| <= 1.5e-3 * max(1, |x * s|) + s / 2 in real units
// (the sigmoid's error; measured 4.4e-4).
void GeluTanhS32(const int32_t* x, int32_t n, Dyadic x_scale, int32_t* y);  // x, y [n]

}  // namespace ingot::kernels::ref
