// fixed_point.h and dyadic.h against exact 128-bit rational arithmetic.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>

#include "kernels/dyadic.h"
#include "kernels/fixed_point.h"
#include "tests/kernels/kernel_test_util.h"

namespace ingot::kernels {
namespace {

__extension__ using I128 = __int128;

// floor(v / 2^n + 1/2), exactly.
int64_t ExactRoundShift(I128 v, int32_t n) {
  if (n == 0) return static_cast<int64_t>(v);
  const I128 d = I128{1} << n;
  I128 num = v + d / 2;
  I128 q = num / d;
  if (num % d != 0 && num < 0) q -= 1;  // floor
  return static_cast<int64_t>(q);
}

TEST_CASE("RoundingShiftRight64 matches floor(v/2^n + 1/2) for all n, ties go up") {
  test::Rng rng(test::BaseSeed() ^ 1);
  INFO("seed=" << (test::BaseSeed() ^ 1));
  const int64_t edges[] = {0, 1, -1, 2, -2, 3, -3, INT64_MAX, INT64_MIN, INT64_MIN + 1, INT64_MAX - 1,
                           int64_t{1} << 62, -(int64_t{1} << 62)};
  for (int32_t n = 0; n < 64; ++n) {
    for (int64_t v : edges) CHECK(RoundingShiftRight64(v, n) == ExactRoundShift(v, n));
    for (int32_t i = 0; i < 2000; ++i) {
      const auto v = static_cast<int64_t>(rng.Next()) >> rng.Uniform(0, 63);
      CHECK(RoundingShiftRight64(v, n) == ExactRoundShift(v, n));
    }
  }
  // The tie rule: halves round toward +infinity.
  CHECK(RoundingShiftRight64(5, 1) == 3);    // 2.5 -> 3
  CHECK(RoundingShiftRight64(-5, 1) == -2);  // -2.5 -> -2
  CHECK(RoundingShiftRight64(-3, 1) == -1);  // -1.5 -> -1
  CHECK(RoundingDivideByPOT(-6, 2) == -1);   // -1.5 -> -1
  CHECK(RoundingDivideByPOT(6, 2) == 2);     // 1.5 -> 2
}

TEST_CASE("saturating casts") {
  CHECK(SaturateToS8(-128) == -127);
  CHECK(SaturateToS8(-1000) == -127);
  CHECK(SaturateToS8(127) == 127);
  CHECK(SaturateToS8(128) == 127);
  CHECK(SaturateToU8(-1) == 0);
  CHECK(SaturateToU8(256) == 255);
  CHECK(SaturateToS16(40000) == 32767);
  CHECK(SaturateToS16(-40000) == -32768);
  CHECK(SaturateToS32(int64_t{1} << 40) == INT32_MAX);
  CHECK(SaturateToS32(-(int64_t{1} << 40)) == INT32_MIN);
}

TEST_CASE("SaturatingRoundingDoublingHighMul equals round(a*b/2^31) (SQRDMULH)") {
  test::Rng rng(test::BaseSeed() ^ 2);
  INFO("seed=" << (test::BaseSeed() ^ 2));
  CHECK(SaturatingRoundingDoublingHighMul(INT32_MIN, INT32_MIN) == INT32_MAX);
  CHECK(SaturatingRoundingDoublingHighMul(INT32_MIN, INT32_MAX) == -INT32_MAX);
  for (int32_t i = 0; i < 200000; ++i) {
    const auto a = static_cast<int32_t>(rng.Next());
    const auto b = static_cast<int32_t>(rng.Next() >> rng.Uniform(0, 31));
    if (a == INT32_MIN && b == INT32_MIN) continue;
    CHECK(SaturatingRoundingDoublingHighMul(a, b) == ExactRoundShift(I128{a} * b, 31));
  }
}

TEST_CASE("MultiplyByQuantizedMultiplier: single rounding of x*m/2^e, e clamped to [0,63]") {
  test::Rng rng(test::BaseSeed() ^ 3);
  INFO("seed=" << (test::BaseSeed() ^ 3));
  for (int32_t i = 0; i < 200000; ++i) {
    const auto x = static_cast<int32_t>(rng.Next() >> rng.Uniform(0, 31));
    const auto m = static_cast<int32_t>(rng.Uniform(0, INT32_MAX));
    const auto e = static_cast<int32_t>(rng.Uniform(-3, 66));
    const int32_t ec = e < 0 ? 0 : (e > 63 ? 63 : e);
    CHECK(MultiplyByQuantizedMultiplier(x, m, e) == ExactRoundShift(I128{x} * m, ec));
  }
  CHECK(MultiplyByQuantizedMultiplier(INT32_MIN, INT32_MAX, 0) == int64_t{INT32_MIN} * INT32_MAX);
  CHECK(MultiplyByQuantizedMultiplier(3, kDyadicOne, 31) == 2);    // 1.5 -> 2
  CHECK(MultiplyByQuantizedMultiplier(-3, kDyadicOne, 31) == -1);  // -1.5 -> -1
}

// |m * 2^-e - num/den| <= 2^-e / 2 and m normalized, checked exactly.
void CheckRatio(uint64_t num, uint64_t den) {
  const Dyadic d = DyadicFromRatio(num, den);
  INFO("num=" << num << " den=" << den << " m=" << d.m << " e=" << d.e);
  REQUIRE(d.m >= kDyadicOne);
  REQUIRE(d.e > -64);
  REQUIRE(d.e < 128);
  // |2 m den - 2 num 2^e| <= den, scaled to avoid negative exponents.
  const int32_t shift = d.e < 0 ? -d.e : 0;
  const int32_t e_pos = d.e > 0 ? d.e : 0;
  if (e_pos > 60) {  // compare in long double instead (rel. 2^-31 is plenty)
    const long double exact = static_cast<long double>(num) / static_cast<long double>(den);
    const long double got = std::ldexp(static_cast<long double>(d.m), -d.e);
    CHECK(std::fabs(got - exact) / exact <= std::ldexp(1.0L, -30));
    return;
  }
  const I128 lhs = I128{2} * d.m * den;
  const I128 rhs = (I128{2} * num << e_pos) >> 0;
  const I128 diff = (lhs << shift) - rhs;
  CHECK((diff < 0 ? -diff : diff) <= (I128{den} << shift));
}

TEST_CASE("DyadicFromRatio is the nearest normalized dyadic") {
  test::Rng rng(test::BaseSeed() ^ 4);
  INFO("seed=" << (test::BaseSeed() ^ 4));
  CheckRatio(1, 1);
  CheckRatio(127, 1);
  CheckRatio(127, uint64_t{1} << 31);
  CheckRatio(1, 127);
  CheckRatio(255, uint64_t{1} << 54);
  CheckRatio((uint64_t{1} << 31) - 1, (uint64_t{1} << 31) - 2);
  for (int32_t i = 0; i < 100000; ++i) {
    const uint64_t num = rng.Next() >> rng.Uniform(1, 63);
    const uint64_t den = rng.Next() >> rng.Uniform(1, 63);
    if (num == 0 || den == 0) continue;
    CheckRatio(num, den);
  }
  CHECK(DyadicFromRatio(0, 5).m == 0);
  CHECK(DyadicFromRatio(5, 0).m == 0);
}

TEST_CASE("DyadicMul, DyadicDiv, DyadicNormalize and CombineMultipliers keep 2^-29 relative error") {
  test::Rng rng(test::BaseSeed() ^ 5);
  INFO("seed=" << (test::BaseSeed() ^ 5));
  auto value = [](Dyadic d) { return std::ldexp(static_cast<long double>(d.m), -d.e); };
  for (int32_t i = 0; i < 100000; ++i) {
    const Dyadic a{static_cast<int32_t>(rng.Uniform(1, INT32_MAX)), static_cast<int32_t>(rng.Uniform(-10, 70))};
    const Dyadic b{static_cast<int32_t>(rng.Uniform(1, INT32_MAX)), static_cast<int32_t>(rng.Uniform(-10, 70))};
    const Dyadic na = DyadicNormalize(a);
    CHECK(na.m >= kDyadicOne);
    CHECK(value(na) == value(a));
    const Dyadic p = DyadicMul(a, b);
    CHECK(p.m >= kDyadicOne);
    CHECK(std::fabs(value(p) / (value(a) * value(b)) - 1) <= std::ldexp(1.0L, -30));
    const Dyadic q = DyadicDiv(a, b);
    CHECK(q.m >= kDyadicOne);
    CHECK(std::fabs(value(q) / (value(a) / value(b)) - 1) <= std::ldexp(1.0L, -30));
    const Dyadic c = CombineMultipliers(na, DyadicNormalize(b));
    CHECK(std::fabs(value(c) / (value(a) * value(b)) - 1) <= std::ldexp(1.0L, -29));
  }
  CHECK(DyadicMul(Dyadic{0, 0}, DyadicOne()).m == 0);
  CHECK(DyadicDiv(DyadicOne(), Dyadic{0, 3}).m == 0);
  const Dyadic one = DyadicMul(DyadicOne(), DyadicOne());
  CHECK(one.m == kDyadicOne);
  CHECK(one.e == 30);
}

}  // namespace
}  // namespace ingot::kernels
