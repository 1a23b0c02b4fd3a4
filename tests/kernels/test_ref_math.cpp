// The integer approximations of kernels/ref against their real functions,
// each with its stated maximum error; elementwise functions with 16-bit-sized
// domains are tested over every input value.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "kernels/ref/ref.h"
#include "tests/kernels/kernel_test_util.h"

namespace ingot::kernels::ref {
namespace {

double Real(Dyadic d) { return std::ldexp(static_cast<double>(d.m), -d.e); }

// A dyadic close to the real value v > 0 (test-side, float allowed here).
Dyadic ToDyadic(double v) {
  int exp = 0;
  const double frac = std::frexp(v, &exp);  // [0.5, 1)
  auto m = static_cast<int64_t>(std::llround(std::ldexp(frac, 31)));
  int32_t e = 31 - exp;
  if (m == (int64_t{1} << 31)) {
    m >>= 1;
    e -= 1;
  }
  return Dyadic{static_cast<int32_t>(m), e};
}

TEST_CASE("Isqrt is exact: dense 32-bit sweep, all edges, random 64-bit") {
  test::Rng rng(test::BaseSeed() ^ 11);
  INFO("seed=" << (test::BaseSeed() ^ 11));
  auto check = [](uint64_t n) {
    const uint64_t r = Isqrt64(n);
    const bool ok = (r * r <= n) && ((r + 1) * (r + 1) > n || r == 0xFFFFFFFFull);
    if (!ok) FAIL("Isqrt64(" << n << ") = " << r);
  };
  for (uint64_t n = 0; n < (uint64_t{1} << 22); ++n) check(n);                    // every value < 2^22
  for (uint64_t n = uint64_t{1} << 22; n < (uint64_t{1} << 32); n += 977) check(n);  // dense stride
  for (uint64_t r = 0; r < (uint64_t{1} << 16) + 2; ++r) {  // every square and its neighbours
    for (int64_t d = -1; d <= 1; ++d) {
      const uint64_t n = r * r + static_cast<uint64_t>(d);
      if (n < (uint64_t{1} << 32)) {
        check(n);
        CHECK(Isqrt32(static_cast<uint32_t>(n)) == Isqrt64(n));
      }
    }
  }
  check(0xFFFFFFFFull);
  check(UINT64_MAX);
  check(UINT64_MAX - 1);
  check(0xFFFFFFFE00000001ull);  // (2^32 - 1)^2
  for (int32_t i = 0; i < 1000000; ++i) {
    const uint64_t n = rng.Next() >> rng.Uniform(0, 63);
    check(n);
    const uint64_t r = n >> 32;
    check(r * r);
  }
}

TEST_CASE("ExpCubic within 1.5e-4 of exp (relative) plus one LSB on every input of its Q16 domain [-32, 0]") {
  double max_rel = 0;  // where the result has at least 2^16 LSB, so that rounding is negligible
  int32_t worst = 0;
  for (int32_t t = -kExpInputBoundQ16; t <= 0; ++t) {
    const double want = std::exp(t / 65536.0) * 1073741824.0;  // in LSB of Q30
    const double got = ExpCubicQ16ToQ30(t);
    if (std::fabs(got - want) > 1.5e-4 * want + 1) FAIL("t = " << t << ": " << got << " vs " << want);
    if (want >= 65536 && std::fabs(got / want - 1) > max_rel) {
      max_rel = std::fabs(got / want - 1);
      worst = t;
    }
  }
  std::printf("exp (cubic): max relative error = %.3g at t = %.5f (stated bound 1.5e-4)\n", max_rel, worst / 65536.0);
  CHECK(max_rel <= 1.5e-4);
  CHECK(ExpCubicQ16ToQ30(0) == kExpCubicQ30[3]);      // exp(0) = 1 - 7e-5: the fit's error at 0
  CHECK(ExpCubicQ16ToQ30(5) == ExpCubicQ16ToQ30(0));  // positive inputs are clamped to 0
  CHECK(ExpCubicQ16ToQ30(INT32_MIN) == ExpCubicQ16ToQ30(-kExpInputBoundQ16));
}

TEST_CASE("IExp within 2.5e-3 of exp on every input of its Q16 domain [-32, 0]") {
  double max_err = 0;
  int32_t worst = 0;
  for (int32_t t = -kExpInputBoundQ16; t <= 0; ++t) {
    const double got = IExpQ16ToQ30(t) / 1073741824.0;
    const double err = std::fabs(got - std::exp(t / 65536.0));
    if (err > max_err) {
      max_err = err;
      worst = t;
    }
  }
  std::printf("i-exp: max |IExp - exp| = %.3g at t = %.5f (stated bound 2.5e-3)\n", max_err, worst / 65536.0);
  CHECK(max_err <= 2.5e-3);
  CHECK(IExpQ16ToQ30(0) == (1 << 30));
  CHECK(IExpQ16ToQ30(5) == (1 << 30));             // positive inputs are clamped to 0
  CHECK(IExpQ16ToQ30(INT32_MIN) == IExpQ16ToQ30(-kExpInputBoundQ16));
  // The multiply-shift division by ln2 is exact on the whole domain.
  for (int64_t u = 0; u <= (int64_t{1} << 22); ++u) {
    if (((u * kExpDivLn2Mul) >> kExpDivLn2Shift) != u / kLn2Q16) FAIL("floor(u/ln2) wrong at " << u);
  }
}

TEST_CASE("Sigmoid within 1e-3 on every Q16 input; sigmoid(t) + sigmoid(-t) = 1 exactly") {
  double max_err = 0;
  for (int32_t t = -kSigmoidInputBoundQ16 - 3; t <= kSigmoidInputBoundQ16 + 3; ++t) {
    const int32_t s = SigmoidQ16ToQ30(t);
    const double err = std::fabs(s / 1073741824.0 - 1.0 / (1.0 + std::exp(-t / 65536.0)));
    max_err = err > max_err ? err : max_err;
    if (SigmoidQ16ToQ30(-t) + s != (1 << 30)) FAIL("asymmetric at " << t);
  }
  std::printf("sigmoid: max error %.3g (stated bound 1e-3)\n", max_err);
  CHECK(max_err <= 1e-3);
}

TEST_CASE("SiLU on every int16 input value at several scales") {
  double max_err = 0;
  for (int32_t frac_bits : {8, 10, 12, 13}) {
    const Dyadic scale = ToDyadic(std::ldexp(1.0, -frac_bits));
    std::vector<int32_t> x(65536), y(65536);
    for (int32_t i = 0; i < 65536; ++i) x[static_cast<size_t>(i)] = i - 32768;
    SiluS32(x.data(), 65536, scale, y.data());
    const double s = Real(scale);
    for (size_t i = 0; i < x.size(); ++i) {
      const double r = x[i] * s;
      const double err = std::fabs(y[i] * s - r / (1.0 + std::exp(-r)));
      max_err = err > max_err ? err : max_err;
      if (err > 1e-3 * (std::fabs(r) > 1 ? std::fabs(r) : 1.0) + s / 2) FAIL("SiLU error " << err << " at x=" << r);
    }
  }
  std::printf("SiLU: max abs error %.3g over int16 inputs, |x| <= 128\n", max_err);
}

TEST_CASE("GELU gate and GELU over every input value") {
  double max_gate_err = 0;
  for (int32_t t = -kGeluInputBoundQ16; t <= kGeluInputBoundQ16; ++t) {
    const double r = t / 65536.0;
    const double err = std::fabs(GeluGateQ16ToQ30(t) / 1073741824.0 - 0.5 * (1 + std::erf(r / std::sqrt(2.0))));
    max_gate_err = err > max_gate_err ? err : max_gate_err;
  }
  CHECK(max_gate_err <= 0.05);
  double max_err = 0;
  for (int32_t frac_bits : {8, 10, 12}) {
    const Dyadic scale = ToDyadic(std::ldexp(1.0, -frac_bits));
    std::vector<int32_t> x(65536), y(65536);
    for (int32_t i = 0; i < 65536; ++i) x[static_cast<size_t>(i)] = i - 32768;
    GeluS32(x.data(), 65536, scale, y.data());
    const double s = Real(scale);
    for (size_t i = 0; i < x.size(); ++i) {
      const double r = x[i] * s;
      const double err = std::fabs(y[i] * s - 0.5 * r * (1 + std::erf(r / std::sqrt(2.0))));
      max_err = err > max_err ? err : max_err;
    }
  }
  std::printf("i-GELU: max gate error %.3g (bound 0.05), max GELU error %.3g (bound 0.02)\n", max_gate_err,
              max_err);
  CHECK(max_err <= 0.02);
}

TEST_CASE("Tanh-form GELU within 1.5e-3 * max(1, |x|) of the float tanh GELU, at several scales") {
  auto gelu_tanh = [](double r) { return 0.5 * r * (1 + std::tanh(std::sqrt(2.0 / M_PI) * (r + 0.044715 * r * r * r))); };
  double worst = 0;
  for (int32_t frac_bits : {8, 12, 16}) {
    const Dyadic scale = ToDyadic(std::ldexp(1.0, -frac_bits));
    const double s = Real(scale);
    std::vector<int32_t> x, y;
    for (int64_t v = -(int64_t{12} << frac_bits); v <= (int64_t{12} << frac_bits); v += 1 + (int64_t{1} << frac_bits) / 4096) {
      x.push_back(static_cast<int32_t>(v));
    }
    y.resize(x.size());
    GeluTanhS32(x.data(), static_cast<int32_t>(x.size()), scale, y.data());
    for (size_t i = 0; i < x.size(); ++i) {
      const double r = x[i] * s;
      const double err = std::fabs(y[i] * s - gelu_tanh(r)) - s / 2;
      worst = std::max(worst, err / std::max(1.0, std::fabs(r)));
    }
  }
  std::printf("tanh GELU: max error %.3g x max(1, |x|) (bound 1.5e-3)\n", worst);
  CHECK(worst <= 1.5e-3);
  // Far outside, GELU is x or 0; the output saturates instead of wrapping.
  const int32_t ends[] = {INT32_MAX, INT32_MIN + 1, 0};
  int32_t out[3];
  GeluTanhS32(ends, 3, ToDyadic(std::ldexp(1.0, -16)), out);
  CHECK(out[0] == INT32_MAX);
  CHECK(out[1] == 0);
  CHECK(out[2] == 0);
}

TEST_CASE("Softmax within 1/131070 + 3e-4 of the real softmax") {
  test::Rng rng(test::BaseSeed() ^ 12);
  INFO("seed=" << (test::BaseSeed() ^ 12));
  const double bound = 1.0 / 131070 + 3e-4;
  double max_err = 0;
  for (int32_t trial = 0; trial < 400; ++trial) {
    const auto n = static_cast<int32_t>(rng.Uniform(1, 300));
    const double real_scale = std::ldexp(1.0, static_cast<int>(rng.Uniform(-24, -2))) * (1 + rng.Uniform(0, 999) / 1000.0);
    const Dyadic scale = ToDyadic(real_scale);
    const int64_t range = rng.Uniform(0, 1) ? static_cast<int64_t>(std::ldexp(1.0, 30)) : static_cast<int64_t>(20.0 / real_scale) + 1;
    std::vector<int32_t> x(static_cast<size_t>(n));
    for (auto& v : x) v = static_cast<int32_t>(rng.Uniform(-range, range < INT32_MAX ? range : INT32_MAX));
    std::vector<int32_t> e = x;
    std::vector<uint16_t> p(static_cast<size_t>(n));
    SoftmaxS32ToU16(e.data(), n, scale, p.data());
    double mx = -1e300;
    for (int32_t v : x) mx = std::fmax(mx, v * Real(scale));
    double sum = 0;
    for (int32_t v : x) sum += std::exp(v * Real(scale) - mx);
    for (size_t i = 0; i < x.size(); ++i) {
      const double err = std::fabs(p[i] / 65535.0 - std::exp(x[i] * Real(scale) - mx) / sum);
      max_err = err > max_err ? err : max_err;
      if (err > bound) FAIL("softmax error " << err << " trial " << trial);
    }
  }
  std::printf("softmax: max |p/65535 - softmax| = %.3g (bound %.3g)\n", max_err, bound);
  // Extremes: a single element, equal elements, INT32 range.
  uint16_t one = 0;
  int32_t x1 = INT32_MIN;
  SoftmaxS32ToU16(&x1, 1, DyadicOne(), &one);
  CHECK(one == 65535);
  int32_t wide[2] = {INT32_MIN, INT32_MAX};
  uint16_t pw[2];
  SoftmaxS32ToU16(wide, 2, ToDyadic(1e-6), pw);  // 4295 real apart: exp underflows
  CHECK(pw[1] == 65535);
  CHECK(pw[0] == 0);
  // Scores more than 2^31 LSB below the max saturate at -2^31 LSB (the spec).
  int32_t wide2[2] = {INT32_MIN, INT32_MAX};
  SoftmaxS32ToU16(wide2, 2, ToDyadic(1e-9), pw);
  CHECK(std::abs(pw[0] - static_cast<int>(std::lround(65535 / (1 + std::exp(2147483648.0 * 1e-9))))) <= 8);
}

// A row for the quantizers: 1..199 values of random magnitude (up to 2^31), sometimes with
// INT32_MIN; and its max |x| (a plain loop: GCC 12 aarch64 ICEs vectorizing an fmax reduction).
std::vector<int32_t> RandomQuantizerRow(test::Rng& rng, int32_t trial) {
  const auto n = static_cast<int32_t>(rng.Uniform(1, 200));
  const int64_t range = int64_t{1} << rng.Uniform(0, 31);
  std::vector<int32_t> x(static_cast<size_t>(n));
  for (auto& v : x) v = static_cast<int32_t>(rng.Uniform(-range, range - 1));
  if (trial % 7 == 0) x[0] = INT32_MIN;
  return x;
}
double MaxMagnitude(const std::vector<int32_t>& x) {
  double a = 0;
  for (int32_t v : x) {
    const double mag = std::fabs(static_cast<double>(v));
    if (mag > a) a = mag;
  }
  return a;
}

TEST_CASE("QuantizeRowPair: 255 hi + lo = round(32385 x / max|x|) up to ties, both planes in [-127, 127]") {
  test::Rng rng(test::BaseSeed() ^ 14);
  INFO("seed=" << (test::BaseSeed() ^ 14));
  for (int32_t trial = 0; trial < 2000; ++trial) {
    std::vector<int32_t> x = RandomQuantizerRow(rng, trial);
    if (trial % 11 == 0) std::fill(x.begin(), x.end(), 0);
    const auto n = static_cast<int32_t>(x.size());
    std::vector<int8_t> hi(x.size()), lo(x.size());
    const Dyadic step = QuantizeRowS32ToS8Pair(x.data(), n, hi.data(), lo.data());
    const double a = MaxMagnitude(x);
    if (a == 0) {
      CHECK(step.m == kDyadicOne);
      for (size_t i = 0; i < x.size(); ++i) CHECK((hi[i] == 0 && lo[i] == 0));
      continue;
    }
    CHECK(std::fabs(Real(step) - a / kPairMax) <= a / kPairMax * std::ldexp(1.0, -30));
    for (size_t i = 0; i < x.size(); ++i) {
      if (hi[i] < -127 || lo[i] < -127) FAIL("a plane holds -128, trial " << trial);
      const int32_t k = kPairRadix * hi[i] + lo[i];
      const double exact = x[i] * static_cast<double>(kPairMax) / a;
      if (std::fabs(k - exact) > 0.5 + 1e-4) FAIL("k off by " << k - exact << " trial " << trial);
      if (std::fabs(x[i]) == a) CHECK(std::abs(k) == kPairMax);
    }
  }
}

TEST_CASE("QuantizeRow: q = round(127 x / max|x|) up to ties, step = max/127") {
  test::Rng rng(test::BaseSeed() ^ 13);
  INFO("seed=" << (test::BaseSeed() ^ 13));
  // Every int16 value in one row.
  std::vector<int32_t> all(65536);
  for (int32_t i = 0; i < 65536; ++i) all[static_cast<size_t>(i)] = i - 32768;
  std::vector<int8_t> q(65536);
  const Dyadic step16 = QuantizeRowS32ToS8(all.data(), 65536, q.data());
  CHECK(std::fabs(Real(step16) - 32768.0 / 127) <= 32768.0 / 127 * 1e-9);
  for (size_t i = 0; i < all.size(); ++i) {
    const double exact = all[i] * 127.0 / 32768;
    CHECK(std::fabs(q[i] - exact) <= 0.5 + 1e-6);
  }
  CHECK(q[0] == -127);
  for (int32_t trial = 0; trial < 2000; ++trial) {
    const std::vector<int32_t> x = RandomQuantizerRow(rng, trial);
    const auto n = static_cast<int32_t>(x.size());
    std::vector<int8_t> qq(x.size());
    const Dyadic step = QuantizeRowS32ToS8(x.data(), n, qq.data());
    const double a = MaxMagnitude(x);
    if (a == 0) {
      CHECK(step.m == kDyadicOne);
      for (int8_t v : qq) CHECK(v == 0);
      continue;
    }
    CHECK(std::fabs(Real(step) - a / 127) <= a / 127 * std::ldexp(1.0, -30));
    for (size_t i = 0; i < x.size(); ++i) {
      CHECK(qq[i] >= -127);
      const double exact = x[i] * 127.0 / a;
      if (std::fabs(qq[i] - exact) > 0.5 + 1e-6) FAIL("q off by " << qq[i] - exact << " trial " << trial);
      if (std::fabs(x[i]) == a) CHECK(std::abs(qq[i]) == 127);
    }
  }
}

TEST_CASE("Requantize: one rounding of acc * multiplier, saturated") {
  test::Rng rng(test::BaseSeed() ^ 14);
  INFO("seed=" << (test::BaseSeed() ^ 14));
  for (int32_t trial = 0; trial < 300; ++trial) {
    const auto rows = static_cast<int32_t>(rng.Uniform(1, 5));
    const auto cols = static_cast<int32_t>(rng.Uniform(1, 40));
    std::vector<int32_t> acc(static_cast<size_t>(rows * cols));
    for (auto& v : acc) v = static_cast<int32_t>(static_cast<int64_t>(rng.Next()) >> rng.Uniform(32, 62));
    std::vector<Dyadic> rs(static_cast<size_t>(rows)), cs(static_cast<size_t>(cols));
    for (auto& d : rs) d = ToDyadic(std::ldexp(1.0 + rng.Uniform(0, 999) / 1000.0, static_cast<int>(rng.Uniform(-12, 2))));
    for (auto& d : cs) d = ToDyadic(std::ldexp(1.0 + rng.Uniform(0, 999) / 1000.0, static_cast<int>(rng.Uniform(-16, 0))));
    std::vector<int32_t> out32(acc.size());
    RequantizeS32ToS32(acc.data(), cols, rows, cols, rs.data(), cs.data(), out32.data(), cols);
    for (int32_t r = 0; r < rows; ++r) {
      for (int32_t c = 0; c < cols; ++c) {
        const size_t i = static_cast<size_t>(r * cols + c);
        const double exact = acc[i] * Real(rs[static_cast<size_t>(r)]) * Real(cs[static_cast<size_t>(c)]);
        // Error: 1/2 from rounding plus 2^-29 relative from the combined multiplier.
        const double tol = 0.5 + std::fabs(exact) * std::ldexp(1.0, -28);
        CHECK(std::fabs(out32[i] - std::fmax(std::fmin(exact, 2147483647.0), -2147483648.0)) <= tol);
      }
    }
  }
}

TEST_CASE("RMSNorm within one output LSB of the real result; LayerNorm likewise") {
  test::Rng rng(test::BaseSeed() ^ 15);
  INFO("seed=" << (test::BaseSeed() ^ 15));
  for (int32_t trial = 0; trial < 300; ++trial) {
    const auto n = static_cast<int32_t>(rng.Uniform(1, 5000));
    const int32_t bits = static_cast<int32_t>(rng.Uniform(1, 31));
    std::vector<int32_t> x(static_cast<size_t>(n));
    const int64_t range = (int64_t{1} << bits) - 1;
    const int64_t offset = trial % 3 == 0 ? rng.Uniform(-range, range) / 2 : 0;
    for (auto& v : x) v = static_cast<int32_t>(rng.Uniform(-range, range) / (trial % 2 ? 1 : 2) + offset);
    if (trial % 5 == 0) x[0] = static_cast<int32_t>(range);  // an outlier
    const double eps_real = trial % 4 == 0 ? 0.0 : std::ldexp(1.0, static_cast<int>(rng.Uniform(-10, 10)));
    const Dyadic eps = eps_real == 0 ? Dyadic{0, 0} : ToDyadic(eps_real);
    std::vector<int32_t> out(x.size());
    RmsNormS32(x.data(), n, eps, nullptr, 0, out.data());
    long double ss = 0;
    for (int32_t v : x) ss += static_cast<long double>(v) * v;
    const long double rms = std::sqrt(ss / n + static_cast<long double>(Real(eps)));
    for (size_t i = 0; i < x.size(); ++i) {
      const long double want = rms == 0 ? 0 : 65536.0L * x[i] / rms;
      if (std::fabs(out[i] - want) > 1.0L) {
        FAIL("RMSNorm off by " << static_cast<double>(out[i] - want) << " trial " << trial << " n=" << n << " i=" << i
                               << " x=" << x[i] << " eps=" << eps.m << "/" << eps.e << " rms=" << static_cast<double>(rms));
      }
    }
    // LayerNorm with gamma and beta.
    std::vector<int32_t> gamma(x.size()), beta(x.size());
    for (auto& g : gamma) g = static_cast<int32_t>(rng.Uniform(-(1 << 14), 1 << 14));
    for (auto& b : beta) b = static_cast<int32_t>(rng.Uniform(-100000, 100000));
    LayerNormS32(x.data(), n, eps, gamma.data(), 14, beta.data(), out.data());
    long double mean = 0;
    for (int32_t v : x) mean += v;
    mean /= n;
    const long double mu = std::floor(mean + 0.5L);
    long double var = 0;
    for (int32_t v : x) var += (v - mu) * (v - mu);
    const long double sd = std::sqrt(var / n + static_cast<long double>(Real(eps)));
    for (size_t i = 0; i < x.size(); ++i) {
      const long double z = sd == 0 ? 0 : 65536.0L * (x[i] - mu) / sd;
      const long double want = z * gamma[i] / 16384.0L + beta[i];
      // One LSB of z, scaled by |gamma| / 2^14, plus the final rounding.
      const long double tol = std::fabs(gamma[i]) / 16384.0L + 1.0L;
      if (std::fabs(out[i] - want) > tol) FAIL("LayerNorm off by " << static_cast<double>(out[i] - want));
    }
  }
  std::vector<int32_t> zeros(7, 0), out(7, 5);
  RmsNormS32(zeros.data(), 7, Dyadic{0, 0}, nullptr, 0, out.data());
  for (int32_t v : out) CHECK(v == 0);
  const int32_t extreme[3] = {INT32_MIN, INT32_MAX, INT32_MIN};
  int32_t eo[3];
  RmsNormS32(extreme, 3, Dyadic{0, 0}, nullptr, 0, eo);
  CHECK(eo[0] == -65536);
  CHECK(eo[1] == 65536);
  LayerNormS32(extreme, 3, Dyadic{0, 0}, nullptr, 0, nullptr, eo);  // centered values need 33 bits
  CHECK(std::abs(eo[1] - static_cast<int32_t>(std::lround(65536 * std::sqrt(2.0)))) <= 1);
}

TEST_CASE("SinCosTurns within 3 * 2^-30; RoPE tables and rotation") {
  double max_err = 0;
  auto check = [&](uint32_t turns) {
    const SinCosQ30 sc = SinCosTurns(turns);
    const long double a = 2.0L * 3.14159265358979323846264338327950288L * turns / 4294967296.0L;
    const double es = std::fabs(static_cast<double>(sc.sin / 1073741824.0L - std::sin(a)));
    const double ec = std::fabs(static_cast<double>(sc.cos / 1073741824.0L - std::cos(a)));
    max_err = std::fmax(max_err, std::fmax(es, ec));
  };
  for (uint64_t t = 0; t < (uint64_t{1} << 32); t += 4093) check(static_cast<uint32_t>(t));
  for (uint32_t o = 0; o < 8; ++o) {
    for (int32_t d = -2; d <= 2; ++d) check((o << 29) + static_cast<uint32_t>(d));
  }
  std::printf("sincos: max error %.3g (bound %.3g)\n", max_err, 3 * std::ldexp(1.0, -30));
  CHECK(max_err <= 3 * std::ldexp(1.0, -30));

  // Tables: position p, frequency i -> angle p * theta_i.
  const int32_t half = 8, n_pos = 64;
  std::vector<uint64_t> freq(half);
  std::vector<double> theta(half);
  for (int32_t i = 0; i < half; ++i) {
    theta[static_cast<size_t>(i)] = std::pow(10000.0, -2.0 * i / (2 * half));
    freq[static_cast<size_t>(i)] = static_cast<uint64_t>(std::ldexp(theta[static_cast<size_t>(i)] / (2 * M_PI), 64));
  }
  std::vector<int32_t> cosq(static_cast<size_t>(half * n_pos)), sinq(cosq.size());
  BuildRopeTablesQ30(freq.data(), half, n_pos, cosq.data(), sinq.data());
  for (int32_t p = 0; p < n_pos; ++p) {
    for (int32_t i = 0; i < half; ++i) {
      const size_t k = static_cast<size_t>(p * half + i);
      CHECK(std::fabs(cosq[k] / 1073741824.0 - std::cos(p * theta[static_cast<size_t>(i)])) < 1e-8);
      CHECK(std::fabs(sinq[k] / 1073741824.0 - std::sin(p * theta[static_cast<size_t>(i)])) < 1e-8);
    }
  }

  // Rotation of every int8-sized (a, b) pair at a few angles: within half an
  // LSB of the real rotation, in both layouts.
  for (uint32_t turns : {0u, 0x12345678u, 0x40000000u, 0x9ABCDEF0u, 0xE0000001u}) {
    const SinCosQ30 sc = SinCosTurns(turns);
    const long double ang = 2.0L * 3.14159265358979323846264338327950288L * turns / 4294967296.0L;
    for (int32_t a = -127; a <= 127; ++a) {
      for (int32_t b = -127; b <= 127; ++b) {
        int32_t v[2] = {a, b};
        RopeS32(v, 1, 2, 2, &sc.cos, &sc.sin, RopeLayout::kInterleaved);
        const long double ra = a * std::cos(ang) - b * std::sin(ang);
        const long double rb = a * std::sin(ang) + b * std::cos(ang);
        if (std::fabs(v[0] - ra) > 0.5L + 1e-6L || std::fabs(v[1] - rb) > 0.5L + 1e-6L) {
          FAIL("RoPE (" << a << "," << b << ") -> (" << v[0] << "," << v[1] << ")");
        }
        int32_t w[2] = {a * 256, b * 256};
        RopeS32(w, 1, 2, 2, &sc.cos, &sc.sin, RopeLayout::kHalves);
        CHECK(std::fabs(w[0] - ra * 256) <= 0.5L + 1e-4L);
      }
    }
  }
  // int32 rows, both layouts, several heads: matches the real rotation within 1.
  test::Rng rng(test::BaseSeed() ^ 16);
  INFO("seed=" << (test::BaseSeed() ^ 16));
  const int32_t head_dim = 16, heads = 3;
  for (RopeLayout layout : {RopeLayout::kInterleaved, RopeLayout::kHalves}) {
    std::vector<int32_t> x(static_cast<size_t>(heads * head_dim)), orig;
    for (auto& v : x) v = static_cast<int32_t>(rng.Uniform(-(1 << 29), 1 << 29));
    orig = x;
    const int32_t p = 37;
    RopeS32(x.data(), heads, head_dim, head_dim, cosq.data() + p * half, sinq.data() + p * half, layout);
    for (int32_t h = 0; h < heads; ++h) {
      for (int32_t i = 0; i < half; ++i) {
        const int32_t ia = layout == RopeLayout::kInterleaved ? 2 * i : i;
        const int32_t ib = layout == RopeLayout::kInterleaved ? 2 * i + 1 : i + half;
        const double a = orig[static_cast<size_t>(h * head_dim + ia)], b = orig[static_cast<size_t>(h * head_dim + ib)];
        const double ang = p * theta[static_cast<size_t>(i)];
        CHECK(std::fabs(x[static_cast<size_t>(h * head_dim + ia)] - (a * std::cos(ang) - b * std::sin(ang))) <= 2.0);
        CHECK(std::fabs(x[static_cast<size_t>(h * head_dim + ib)] - (a * std::sin(ang) + b * std::cos(ang))) <= 2.0);
      }
    }
  }
}

TEST_CASE("GEMV and GEMM reference equal plain loops over unpacked weights") {
  test::Rng rng(test::BaseSeed() ^ 17);
  INFO("seed=" << (test::BaseSeed() ^ 17));
  for (int32_t trial = 0; trial < 60; ++trial) {
    const auto n = static_cast<int32_t>(rng.Uniform(1, 70));
    const auto k = static_cast<int32_t>(rng.Uniform(1, 300));
    const auto m = static_cast<int32_t>(rng.Uniform(1, 6));
    std::vector<int8_t> w(static_cast<size_t>(n * k)), a(static_cast<size_t>(m * k));
    test::FillS8(w.data(), n * k, test::Fill::kRandom, rng);
    test::FillS8(a.data(), m * k, test::Fill::kExtremes, rng);
    std::vector<int8_t> data(static_cast<size_t>(PackedS8DataBytes(n, k)));
    std::vector<int32_t> sums(static_cast<size_t>(PackedS8RowSumCount(n)));
    const PackedS8Weights pw = PackS8Weights(w.data(), n, k, k, data.data(), sums.data());
    std::vector<int32_t> y(static_cast<size_t>(n)), c(static_cast<size_t>(m * n));
    GemvS8(pw, a.data(), 0, n, y.data());
    GemmS8(a.data(), k, m, pw, 0, n, c.data(), n);
    for (int32_t r = 0; r < n; ++r) {
      int32_t s = 0, want = 0;
      for (int32_t j = 0; j < k; ++j) {
        want += w[static_cast<size_t>(r * k + j)] * a[static_cast<size_t>(j)];
        s += w[static_cast<size_t>(r * k + j)];
      }
      CHECK(y[static_cast<size_t>(r)] == want);
      CHECK(sums[static_cast<size_t>(r)] == s);
      for (int32_t i = 0; i < m; ++i) {
        int32_t cw = 0;
        for (int32_t j = 0; j < k; ++j) cw += w[static_cast<size_t>(r * k + j)] * a[static_cast<size_t>(i * k + j)];
        CHECK(c[static_cast<size_t>(i * n + r)] == cw);
      }
    }
  }
}

TEST_CASE("QuantizeRowGrouped: each group at the finest of 3 scales that holds it, q exact up to ties, sum") {
  test::Rng rng(test::BaseSeed() ^ 18);
  INFO("seed=" << (test::BaseSeed() ^ 18));
  for (int32_t trial = 0; trial < 2000; ++trial) {
    std::vector<int32_t> x = RandomQuantizerRow(rng, trial);
    for (auto& v : x) {
      if (trial % 3 == 0 && rng.Coin(20)) v = static_cast<int32_t>(v * 16LL / 17);  // outliers apart
      if (trial % 3 == 1 && !rng.Coin(10)) v /= 8;                                   // mostly small
    }
    const auto n = static_cast<int32_t>(x.size());
    const int32_t groups = ActGroupCount(n), limit = GroupShiftLimit(n);
    std::vector<int8_t> q(x.size());
    std::vector<uint8_t> shifts(static_cast<size_t>(groups));
    int32_t sum = -1;
    const Dyadic step = QuantizeRowS32ToS8Grouped(x.data(), n, q.data(), shifts.data(), &sum);
    const double a = MaxMagnitude(x);
    const double unit = a / 127 / (1 << limit);  // x ~= q * 2^shift * unit
    if (a == 0) {
      CHECK(sum == 0);
      for (int8_t v : q) CHECK(v == 0);
      continue;
    }
    CHECK(std::fabs(Real(step) - unit) <= unit * std::ldexp(1.0, -30));
    int64_t want_sum = 0;
    for (int32_t g = 0; g < groups; ++g) {
      const int32_t begin = g * kActGroup, end = std::min(n, begin + kActGroup);
      double a_g = 0;
      for (int32_t i = begin; i < end; ++i) a_g = std::max(a_g, std::fabs(static_cast<double>(x[static_cast<size_t>(i)])));
      const int32_t f = limit - shifts[static_cast<size_t>(g)];
      REQUIRE((f >= 0 && f <= limit));
      CHECK(a_g * (1 << f) <= a);                        // the group fits its scale
      if (f < limit) CHECK(a_g * (2 << f) > a);          // and the next finer one would not hold it
      for (int32_t i = begin; i < end; ++i) {
        const auto at = static_cast<size_t>(i);
        const double exact = x[at] * 127.0 * (1 << f) / a;
        if (q[at] < -127 || std::fabs(q[at] - exact) > 0.5 + 1e-6) FAIL("q off by " << q[at] - exact << " trial " << trial);
        want_sum += int64_t{q[at]} << shifts[static_cast<size_t>(g)];
      }
    }
    CHECK(sum == want_sum);
  }
}

TEST_CASE("Grouped GEMV and GEMM reference equal plain loops over q * 2^shift") {
  test::Rng rng(test::BaseSeed() ^ 19);
  INFO("seed=" << (test::BaseSeed() ^ 19));
  for (int32_t trial = 0; trial < 60; ++trial) {
    const auto n = static_cast<int32_t>(rng.Uniform(1, 40));
    const auto k = static_cast<int32_t>(rng.Uniform(1, 300));
    const auto m = static_cast<int32_t>(rng.Uniform(1, 5));
    const int32_t groups = ActGroupCount(k);
    std::vector<int8_t> w(static_cast<size_t>(n * k)), a(static_cast<size_t>(m * k));
    std::vector<uint8_t> shifts(static_cast<size_t>(m * groups));
    test::FillS8(w.data(), n * k, test::Fill::kRandom, rng);
    test::FillS8(a.data(), m * k, test::Fill::kExtremes, rng);
    for (auto& s : shifts) s = static_cast<uint8_t>(rng.Uniform(0, kMaxGroupShift));
    std::vector<int8_t> data(static_cast<size_t>(PackedS8DataBytes(n, k)));
    std::vector<int32_t> sums(static_cast<size_t>(PackedS8RowSumCount(n)));
    const PackedS8Weights pw = PackS8Weights(w.data(), n, k, k, data.data(), sums.data());
    const GroupedS8Rows rows{a.data(), k, shifts.data(), groups, nullptr};
    std::vector<int32_t> y(static_cast<size_t>(n)), c(static_cast<size_t>(m * n));
    GemvS8Grouped(pw, rows, 0, n, y.data());
    GemmS8Grouped(rows, m, pw, 0, n, c.data(), n);
    for (int32_t r = 0; r < n; ++r) {
      for (int32_t i = 0; i < m; ++i) {
        int64_t want = 0;
        for (int32_t j = 0; j < k; ++j) {
          want += int64_t{w[static_cast<size_t>(r * k + j)]} * a[static_cast<size_t>(i * k + j)] *
                  (1 << shifts[static_cast<size_t>(i * groups + j / kActGroup)]);
        }
        CHECK(c[static_cast<size_t>(i * n + r)] == want);
        if (i == 0) CHECK(y[static_cast<size_t>(r)] == want);
      }
    }
  }
}

}  // namespace
}  // namespace ingot::kernels::ref
