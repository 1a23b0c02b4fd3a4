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

// The two dyadics of a row whose max magnitude is a (a >= 1).
static constexpr Dyadic QuantizeInverseStep(uint32_t a) { return DyadicFromRatio(127, a); }
static constexpr Dyadic QuantizeStep(uint32_t a) { return DyadicFromRatio(a, 127); }

}  // namespace ingot::kernels::ref
