#include "kernels/ref/norm.h"

#include "kernels/ref/isqrt.h"

namespace ingot::kernels::ref {

namespace {

__extension__ using U128 = unsigned __int128;

int32_t BitLength128(U128 v) {
  const auto hi = static_cast<uint64_t>(v >> 64);
  return hi != 0 ? 64 + BitLength(hi) : BitLength(static_cast<uint64_t>(v));
}

// The sum of squares carries 32 fraction bits so that a small epsilon is not
// rounded away: |sum| * 2^32 < 2^80 * 2^32 fits 128 bits.
constexpr int32_t kSumFracBits = 32;

// n * eps * 2^kSumFracBits in the row's units, rounded (ties up).
U128 EpsilonTimesN(int32_t n, Dyadic eps) {
  if (eps.m <= 0) return 0;
  const U128 v = static_cast<U128>(static_cast<uint64_t>(n) * static_cast<uint64_t>(eps.m));  // < 2^46
  const int32_t shift = eps.e - kSumFracBits;
  if (shift <= 0) return v << (shift < -60 ? 60 : -shift);
  if (shift >= 100) return 0;
  return (v + (U128{1} << (shift - 1))) >> shift;
}

}  // namespace

NormScale NormScaleFor(uint64_t sum_sq_hi, uint64_t sum_sq_lo, uint64_t max_abs, int32_t n, Dyadic eps) {
  const U128 sum_sq = (static_cast<U128>(sum_sq_hi) << 64) | sum_sq_lo;
  const U128 total = (sum_sq << kSumFracBits) + EpsilonTimesN(n, eps);
  if (total == 0) return NormScale{Dyadic{0, 0}, 0, true};
  // total * 2^(2j) brought to 63..64 bits (floor when shifting right).
  const int32_t bits = BitLength128(total);
  const int32_t j = (64 - bits) >= 0 ? (64 - bits) / 2 : -((bits - 64 + 1) / 2);
  const uint64_t total64 = j >= 0 ? static_cast<uint64_t>(total << (2 * j))
                                  : static_cast<uint64_t>(total >> (-2 * j));
  const uint64_t r = Isqrt64(total64);  // ~ sqrt(total) * 2^j, in [2^31, 2^32)
  // sqrt(n) * 2^h in [2^31, 2^32).
  const int32_t h = (64 - BitLength(static_cast<uint64_t>(n))) / 2;
  const uint64_t sqrt_n = Isqrt64(static_cast<uint64_t>(n) << (2 * h));
  // z = v * 2^16 * sqrt(n) / sqrt(total / 2^32)
  //   = w * 2^k * (sqrt_n / r) * 2^(16 + 16 + j - h).
  const int32_t k = BitLength(max_abs) > 31 ? BitLength(max_abs) - 31 : 0;
  const Dyadic ratio = DyadicFromRatio(sqrt_n, r);
  return NormScale{Dyadic{ratio.m, ratio.e - kNormFracBits - kSumFracBits / 2 - j + h - k}, k, false};
}

namespace {

// Shared core. value(i) returns the (centered) element as int64, |v| <= 2^32.
// Writes z[i] = round(2^16 * v[i] / sqrt(mean(v^2) + eps)) through emit(i, z).
template <typename Value, typename Emit>
void NormalizeRow(int32_t n, Dyadic eps, Value value, Emit emit) {
  U128 sum_sq = 0;  // exact: n * 2^64 < 2^80 (before the 2^32 scaling)
  uint64_t max_abs = 0;
  for (int32_t i = 0; i < n; ++i) {
    const int64_t v = value(i);
    const uint64_t mag = static_cast<uint64_t>(v < 0 ? -v : v);
    max_abs = mag > max_abs ? mag : max_abs;
    sum_sq += static_cast<U128>(mag) * mag;
  }
  const NormScale s = NormScaleFor(static_cast<uint64_t>(sum_sq >> 64), static_cast<uint64_t>(sum_sq), max_abs, n, eps);
  if (s.zero) {  // an all-zero row
    for (int32_t i = 0; i < n; ++i) emit(i, 0);
    return;
  }
  for (int32_t i = 0; i < n; ++i) {
    const int32_t w = SaturateToS32(RoundingShiftRight64(value(i), s.shift));
    emit(i, SaturateToS32(MultiplyByDyadic(w, s.mult)));
  }
}

int32_t ApplyGamma(int32_t z, const int32_t* gamma, int32_t gamma_shift, int32_t i) {
  if (gamma == nullptr) return z;
  const int32_t shift = gamma_shift < 0 ? 0 : (gamma_shift > 63 ? 63 : gamma_shift);
  return SaturateToS32(RoundingShiftRight64(int64_t{z} * gamma[i], shift));  // |z * g| < 2^55
}

}  // namespace

void RmsNormS32(const int32_t* x, int32_t n, Dyadic eps, const int32_t* gamma, int32_t gamma_shift,
                int32_t* out) {
  if (n <= 0) return;
  NormalizeRow(
      n, eps, [&](int32_t i) { return int64_t{x[i]}; },
      [&](int32_t i, int32_t z) { out[i] = ApplyGamma(z, gamma, gamma_shift, i); });
}

void LayerNormS32(const int32_t* x, int32_t n, Dyadic eps, const int32_t* gamma, int32_t gamma_shift,
                  const int32_t* beta, int32_t* out) {
  if (n <= 0) return;
  int64_t sum = 0;  // |sum| <= n * 2^31
  for (int32_t i = 0; i < n; ++i) sum += x[i];
  // mu = floor(sum / n + 1/2) = floor((2 sum + n) / (2 n)), floor division.
  const int64_t num = 2 * sum + n;
  const int64_t den = 2 * int64_t{n};
  const int64_t mu = num >= 0 ? num / den : -((-num + den - 1) / den);
  NormalizeRow(
      n, eps, [&](int32_t i) { return int64_t{x[i]} - mu; },
      [&](int32_t i, int32_t z) {
        const int32_t y = ApplyGamma(z, gamma, gamma_shift, i);
        out[i] = beta == nullptr ? y : SaturateToS32(int64_t{y} + beta[i]);
      });
}

}  // namespace ingot::kernels::ref
