// Dyadic numbers: value = m * 2^-e, the only representation of a real scale or
// multiplier in the integer path (Integer Transformer scale propagation).
//
// Normalized form: m in [2^30, 2^31) (a Q31 mantissa in [0.5, 1)), or m = 0
// for the value zero. Products and ratios of dyadics are integer operations
// plus exponent arithmetic, so scales propagate at run time with no float.
// Converting a float scale into a Dyadic (frexp) is done offline, outside
// kernels/.
#pragma once

#include <cstdint>

#include "kernels/fixed_point.h"

namespace ingot::kernels {

struct Dyadic {
  int32_t m = 0;  // mantissa, [2^30, 2^31) when normalized; never negative
  int32_t e = 0;  // exponent: value = m * 2^-e
};

inline constexpr int32_t kDyadicOne = int32_t{1} << 30;  // m of 1.0 = {2^30, 30}

static constexpr Dyadic DyadicOne() { return Dyadic{kDyadicOne, 30}; }

// Multiplies an integer by a dyadic multiplier: round(x * m * 2^-e), with the
// tie rule of fixed_point.h. e is clamped to [0, 63] (a multiplier must be
// below 2^31). Result fits int64; the caller saturates.
static constexpr int64_t MultiplyByDyadic(int32_t x, Dyadic d) {
  return MultiplyByQuantizedMultiplier(x, d.m, d.e);
}

// Brings any non-negative m (< 2^31) to [2^30, 2^31) by an exact left shift.
static constexpr Dyadic DyadicNormalize(Dyadic d) {
  if (d.m <= 0) return Dyadic{0, 0};
  const int32_t s = 31 - BitLength(static_cast<uint64_t>(d.m));
  return Dyadic{static_cast<int32_t>(d.m << s), d.e + s};
}

// round(num / den) as a normalized dyadic, num, den > 0 (num == 0 gives zero;
// den == 0 gives zero, a guarded case). Rounding: the mantissa is the nearest
// integer (ties up) to num * 2^e / den.
static constexpr Dyadic DyadicFromRatio(uint64_t num, uint64_t den) {
  if (num == 0 || den == 0) return Dyadic{0, 0};
  __extension__ using U128 = unsigned __int128;
  // Choose e so that num * 2^e / den lands in [2^30, 2^31]; at most one
  // correction step follows because the bit-length estimate is off by <= 1.
  int32_t e = 30 + BitLength(den) - BitLength(num);
  for (int32_t attempt = 0; attempt < 3; ++attempt) {
    U128 n = num;
    U128 d = den;
    if (e >= 0) {
      n <<= e;
    } else {
      d <<= -e;
    }
    const U128 q = (2 * n + d) / (2 * d);  // round half up
    if (q < (U128{1} << 30)) {
      ++e;
    } else if (q > (U128{1} << 31)) {
      --e;
    } else if (q == (U128{1} << 31)) {
      return Dyadic{kDyadicOne, e - 1};
    } else {
      return Dyadic{static_cast<int32_t>(q), e};
    }
  }
  return Dyadic{0, 0};  // unreachable for valid inputs
}

// a * b, normalized, mantissa rounded once (ties up).
static constexpr Dyadic DyadicMul(Dyadic a, Dyadic b) {
  if (a.m <= 0 || b.m <= 0) return Dyadic{0, 0};
  const Dyadic na = DyadicNormalize(a);
  const Dyadic nb = DyadicNormalize(b);
  const int64_t p = static_cast<int64_t>(na.m) * nb.m;  // [2^60, 2^62)
  const int32_t s = p >= (int64_t{1} << 61) ? 31 : 30;
  const int64_t m = RoundingShiftRight64(p, s);  // [2^30, 2^31]
  if (m == (int64_t{1} << 31)) return Dyadic{kDyadicOne, na.e + nb.e - s - 1};
  return Dyadic{static_cast<int32_t>(m), na.e + nb.e - s};
}

// a / b, normalized (b == 0 gives zero).
static constexpr Dyadic DyadicDiv(Dyadic a, Dyadic b) {
  if (a.m <= 0 || b.m <= 0) return Dyadic{0, 0};
  const Dyadic r = DyadicFromRatio(static_cast<uint64_t>(a.m), static_cast<uint64_t>(b.m));
  return Dyadic{r.m, r.e + a.e - b.e};
}

// The multiplier applied to element (r, c) by the requantization kernels when
// both a per-row and a per-column multiplier are given: one rounded product of
// the mantissas, NOT renormalized (m in [2^29, 2^31 - 2]); exponent may be
// anything and is clamped by MultiplyByDyadic. Relative error <= 2^-29.
static constexpr Dyadic CombineMultipliers(Dyadic row, Dyadic col) {
  const int64_t p = static_cast<int64_t>(row.m) * col.m;
  return Dyadic{static_cast<int32_t>(RoundingShiftRight64(p, 31)), row.e + col.e - 31};
}

}  // namespace ingot::kernels
