// Fixed-point primitives: the only places where integer rounding happens.
//
// THE TIE RULE (one rule, used everywhere in the integer path):
//   a value exactly halfway between two integers rounds toward +infinity
//   ("round half up"): Round(v / 2^n) = floor(v / 2^n + 1/2).
// This is TFLite's single-rounding rule and ARM's SQRDMULH/SRSHR rule, so
// SIMD code can reproduce it with "add 2^(n-1), arithmetic shift" whenever the
// add cannot overflow. gemmlowp's ties-away-from-zero variant differs by 1 LSB
// on negative ties and is NOT used.
//
// Every helper is `static constexpr` (internal linkage): each translation
// unit, baseline or ISA-flagged, gets its own copy, so code compiled with
// -mavx512f can never be picked by the linker for a baseline caller.
#pragma once

#include <cstdint>

namespace ingot::kernels {

inline constexpr int32_t kS8Max = 127;  // int8 means [-127, 127]: -128 is never produced.

// Number of significant bits of v (0 for v == 0).
static constexpr int32_t BitLength(uint64_t v) {
  return v == 0 ? 0 : 64 - __builtin_clzll(v);
}

// floor(v / 2^n + 1/2) for n in [0, 63]; exact for every int64 v (no
// intermediate overflow: floor(v / 2^n) plus bit n-1 of v).
static constexpr int64_t RoundingShiftRight64(int64_t v, int32_t n) {
  if (n <= 0) return v;
  return (v >> n) + ((v >> (n - 1)) & 1);
}

// RoundingDivideByPOT: floor(x / 2^n + 1/2), n in [0, 31].
static constexpr int32_t RoundingDivideByPOT(int32_t x, int32_t n) {
  return static_cast<int32_t>(RoundingShiftRight64(x, n));
}

// Saturating casts.
static constexpr int8_t SaturateToS8(int64_t v) {  // [-127, 127]
  return static_cast<int8_t>(v < -kS8Max ? -kS8Max : (v > kS8Max ? kS8Max : v));
}
static constexpr uint8_t SaturateToU8(int64_t v) {  // [0, 255]
  return static_cast<uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v));
}
static constexpr uint16_t SaturateToU16(int64_t v) {  // [0, 65535]
  return static_cast<uint16_t>(v < 0 ? 0 : (v > UINT16_MAX ? UINT16_MAX : v));
}
static constexpr int16_t SaturateToS16(int64_t v) {  // [-32768, 32767]
  return static_cast<int16_t>(v < INT16_MIN ? INT16_MIN : (v > INT16_MAX ? INT16_MAX : v));
}
static constexpr int32_t SaturateToS32(int64_t v) {  // [-2^31, 2^31 - 1]
  return static_cast<int32_t>(v < INT32_MIN ? INT32_MIN : (v > INT32_MAX ? INT32_MAX : v));
}

// round(a * b / 2^31) with the tie rule; the one overflowing case
// (a = b = INT32_MIN) saturates to INT32_MAX. Bit-identical to ARM SQRDMULH.
static constexpr int32_t SaturatingRoundingDoublingHighMul(int32_t a, int32_t b) {
  if (a == INT32_MIN && b == INT32_MIN) return INT32_MAX;
  return static_cast<int32_t>(RoundingShiftRight64(static_cast<int64_t>(a) * b, 31));
}

// round(x * multiplier / 2^shift) with the tie rule, single rounding (TFLite's
// TFLITE_SINGLE_ROUNDING form). multiplier in [0, 2^31) (normally a Q31 value
// in [2^30, 2^31)); shift is clamped to [0, 63], so the real multiplier is
// below 2^31. |x * multiplier| < 2^62, so the result always fits int64; the
// caller saturates to its output type.
static constexpr int64_t MultiplyByQuantizedMultiplier(int32_t x, int32_t multiplier, int32_t shift) {
  const int32_t n = shift < 0 ? 0 : (shift > 63 ? 63 : shift);
  return RoundingShiftRight64(static_cast<int64_t>(x) * multiplier, n);
}

}  // namespace ingot::kernels
