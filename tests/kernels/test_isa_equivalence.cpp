// Every kernel of the table under test (INGOT_ISA) equals kernels/ref bit for
// bit: odd sizes and tails, misaligned pointers, extreme values, 1 and 2
// threads. No tolerance anywhere. A failing case prints its seed.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "kernels/kernel_table.h"
#include "kernels/packed_weights.h"
#include "kernels/threaded_ops.h"
#include "tests/kernels/isa_under_test.h"

namespace ingot::kernels::test {
namespace {

TEST_CASE("GEMV equals ref: odd N and K, tails, fills, misalignment, sub-ranges, 1 and 2 threads") {
  const KernelTable& t = *g_table;
  const int32_t ns[] = {1, 2, 15, 16, 17, 31, 33, 63, 64, 65, 100, 130};
  const int32_t ks[] = {1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 255, 257, 1001, 4099};
  uint64_t case_id = 0;
  for (int32_t n : ns) {
    for (int32_t k : ks) {
      for (Fill fill : kAllFills) {
        if (k > 300 && fill != Fill::kRandom && fill != Fill::kAllMax && fill != Fill::kAlternating) continue;
        const uint64_t seed = BaseSeed() ^ (0x6E00000000ull + ++case_id);
        Rng rng(seed);
        INFO("seed=0x" << std::hex << seed << std::dec << " n=" << n << " k=" << k << " fill=" << FillName(fill));
        const auto misalign = static_cast<int32_t>(case_id % 4);
        Buffer<int8_t> w(int64_t{n} * k, 0), x(k, misalign);
        FillS8(w.data(), w.size(), fill, rng);
        FillS8(x.data(), k, fill == Fill::kAllMax ? Fill::kAllMin : fill, rng);
        Packed p(w.data(), n, k, k, static_cast<int32_t>(case_id % 3));
        std::vector<int32_t> want(static_cast<size_t>(n), kSentinel), got(want);
        ref::GemvS8(p.w, x.data(), 0, n, want.data());
        for (int32_t threads : {1, 2}) {
          std::vector<int32_t> y(static_cast<size_t>(n), kSentinel);
          ThreadedGemvS8(t, p.w, x.data(), y.data(), threads);
          CHECK_MESSAGE(y == want, "threads=" << threads);
        }
        // A random sub-range: only [b, e) is written.
        const auto b = static_cast<int32_t>(rng.Uniform(0, n));
        const auto e = static_cast<int32_t>(rng.Uniform(b, n));
        t.gemv_s8(p.w, x.data(), b, e, got.data());
        for (int32_t i = 0; i < n; ++i) {
          const int32_t expect = i >= b && i < e ? want[static_cast<size_t>(i)] : kSentinel;
          if (got[static_cast<size_t>(i)] != expect) FAIL("range [" << b << "," << e << ") row " << i);
        }
      }
    }
  }
}

TEST_CASE("GEMV at the accumulator bound K = kMaxK with all-max rows") {
  const KernelTable& t = *g_table;
  const int32_t n = 17, k = kMaxK;
  for (int32_t sign : {1, -1}) {
    Buffer<int8_t> w(int64_t{n} * k, 0), x(k, 1);
    for (int64_t i = 0; i < w.size(); ++i) w[i] = 127;
    for (int32_t i = 0; i < k; ++i) x[i] = static_cast<int8_t>(127 * sign);
    Packed p(w.data(), n, k, k, 0);
    std::vector<int32_t> want(n), got(n);
    ref::GemvS8(p.w, x.data(), 0, n, want.data());
    t.gemv_s8(p.w, x.data(), 0, n, got.data());
    CHECK(want[0] == sign * 127 * 127 * k);
    CHECK(got == want);
  }
}

TEST_CASE("GEMM equals ref: odd M, N, K, strides, fills, misalignment, sub-ranges, 1 and 2 threads") {
  const KernelTable& t = *g_table;
  const int32_t ms[] = {1, 2, 3, 5, 6, 7, 12, 13};
  const int32_t ns[] = {1, 16, 17, 50, 64, 65, 129};
  const int32_t ks[] = {1, 3, 4, 5, 31, 64, 65, 257};
  const Fill fills[] = {Fill::kRandom, Fill::kAllMax, Fill::kExtremes, Fill::kSparse};
  uint64_t case_id = 0;
  for (int32_t m : ms) {
    for (int32_t n : ns) {
      for (int32_t k : ks) {
        for (Fill fill : fills) {
          const uint64_t seed = BaseSeed() ^ (0x6D00000000ull + ++case_id);
          Rng rng(seed);
          INFO("seed=0x" << std::hex << seed << std::dec << " m=" << m << " n=" << n << " k=" << k
                         << " fill=" << FillName(fill));
          const int64_t lda = k + static_cast<int64_t>(case_id % 5);
          const int64_t ldc = n + static_cast<int64_t>(case_id % 3);
          Buffer<int8_t> w(int64_t{n} * k, 0), a(m * lda, static_cast<int32_t>(case_id % 4));
          FillS8(w.data(), w.size(), fill, rng);
          FillS8(a.data(), a.size(), fill == Fill::kAllMax ? Fill::kAllMin : fill, rng);
          Packed p(w.data(), n, k, k, static_cast<int32_t>(case_id % 2));
          std::vector<int32_t> want(static_cast<size_t>(m * ldc), kSentinel);
          ref::GemmS8(a.data(), lda, m, p.w, 0, n, want.data(), ldc);
          for (int32_t threads : {1, 2}) {
            std::vector<int32_t> c(want.size(), kSentinel);
            ThreadedGemmS8(t, a.data(), lda, m, p.w, c.data(), ldc, threads);
            CHECK_MESSAGE(c == want, "threads=" << threads);
          }
          const auto b = static_cast<int32_t>(rng.Uniform(0, n));
          const auto e = static_cast<int32_t>(rng.Uniform(b, n));
          std::vector<int32_t> c(want.size(), kSentinel);
          t.gemm_s8(a.data(), lda, m, p.w, b, e, c.data(), ldc);
          for (int32_t r = 0; r < m; ++r) {
            for (int32_t i = 0; i < ldc; ++i) {
              const size_t at = static_cast<size_t>(r * ldc + i);
              const int32_t expect = i >= b && i < e ? want[at] : kSentinel;
              if (c[at] != expect) FAIL("range [" << b << "," << e << ") at " << r << "," << i);
            }
          }
        }
      }
    }
  }
}

Dyadic RandomMultiplier(Rng& rng) {
  switch (rng.Uniform(0, 5)) {
    case 0: return Dyadic{static_cast<int32_t>(rng.Uniform(0, INT32_MAX)), static_cast<int32_t>(rng.Uniform(-5, 70))};
    case 1: return Dyadic{kDyadicOne, 30};
    case 2: return Dyadic{INT32_MAX, static_cast<int32_t>(rng.Uniform(0, 40))};
    case 3: return Dyadic{0, 0};
    default:
      return Dyadic{static_cast<int32_t>(rng.Uniform(kDyadicOne, INT32_MAX)), static_cast<int32_t>(rng.Uniform(28, 45))};
  }
}

int32_t RandomAcc(Rng& rng) {
  switch (rng.Uniform(0, 5)) {
    case 0: return INT32_MIN;
    case 1: return INT32_MAX;
    case 2: return static_cast<int32_t>(rng.Uniform(-3, 3));
    default: return static_cast<int32_t>(static_cast<int64_t>(rng.Next()) >> rng.Uniform(32, 63));
  }
}

TEST_CASE("Requantization equals ref: all multiplier modes, extreme exponents and values, in place") {
  const KernelTable& t = *g_table;
  for (uint64_t trial = 0; trial < 600; ++trial) {
    const uint64_t seed = BaseSeed() ^ (0x7200000000ull + trial);
    Rng rng(seed);
    const auto rows = static_cast<int32_t>(rng.Uniform(1, 4));
    const int32_t col_choices[] = {1, 2, 7, 8, 15, 16, 17, 31, 33, 63, 64, 65, 100};
    const int32_t cols = trial < 400 ? col_choices[trial % 13] : static_cast<int32_t>(rng.Uniform(1, 300));
    const auto mode = static_cast<int32_t>(trial % 4);
    INFO("seed=0x" << std::hex << seed << std::dec << " rows=" << rows << " cols=" << cols << " mode=" << mode);
    const int64_t ld = cols + static_cast<int64_t>(trial % 3);
    Buffer<int32_t> acc(rows * ld, 0);
    for (int64_t i = 0; i < acc.size(); ++i) acc[i] = RandomAcc(rng);
    std::vector<Dyadic> rs(static_cast<size_t>(rows)), cs(static_cast<size_t>(cols));
    for (auto& d : rs) d = RandomMultiplier(rng);
    for (auto& d : cs) d = RandomMultiplier(rng);
    const Dyadic* row = (mode & 1) != 0 ? rs.data() : nullptr;
    const Dyadic* col = (mode & 2) != 0 ? cs.data() : nullptr;
    const auto mis = static_cast<int32_t>(trial % 4);
    Buffer<int32_t> want(rows * ld, mis), got(rows * ld, mis);
    ref::RequantizeS32ToS32(acc.data(), ld, rows, cols, row, col, want.data(), ld);
    t.requantize_s32_to_s32(acc.data(), ld, rows, cols, row, col, got.data(), ld);
    for (int64_t i = 0; i < rows * ld; ++i) {
      if (got[i] != want[i]) FAIL("element " << i);
    }
    // In place, as the engine requantizes attention scores.
    t.requantize_s32_to_s32(acc.data(), ld, rows, cols, row, col, acc.data(), ld);
    for (int32_t r = 0; r < rows; ++r) {
      for (int32_t c = 0; c < cols; ++c) {
        if (acc[r * ld + c] != want[r * ld + c]) FAIL("in place, element " << r << "," << c);
      }
    }
  }
}

TEST_CASE("Per-row quantization equals ref: zero rows, INT32_MIN, 1 and 2 threads") {
  const KernelTable& t = *g_table;
  for (uint64_t trial = 0; trial < 800; ++trial) {
    const uint64_t seed = BaseSeed() ^ (0x5100000000ull + trial);
    Rng rng(seed);
    const auto n = static_cast<int32_t>(trial < 100 ? trial + 1 : (trial % 7 == 0 ? 4099 : rng.Uniform(1, 700)));
    INFO("seed=0x" << std::hex << seed << std::dec << " n=" << n);
    const auto mis = static_cast<int32_t>(trial % 4);
    Buffer<int32_t> x(n, mis);
    const int32_t kind = static_cast<int32_t>(trial % 5);
    for (int32_t i = 0; i < n; ++i) {
      int64_t v = static_cast<int64_t>(rng.Next()) >> rng.Uniform(32, 63);
      if (kind == 1) v = 0;
      if (kind == 2) v = i == n / 2 ? -5 : 0;
      if (kind == 3) v = rng.Coin(2) ? INT32_MIN : INT32_MAX;
      x[i] = static_cast<int32_t>(v);
    }
    if (kind == 4) x[n - 1] = INT32_MIN;
    Buffer<int8_t> want(n, mis), got(n, mis);
    const Dyadic sw = ref::QuantizeRowS32ToS8(x.data(), n, want.data());
    const Dyadic sg = t.quantize_row_s32_to_s8(x.data(), n, got.data());
    CHECK(sw.m == sg.m);
    CHECK(sw.e == sg.e);
    for (int32_t i = 0; i < n; ++i) {
      if (got[i] != want[i]) FAIL("element " << i);
      if (got[i] == -128) FAIL("-128 emitted");
    }
  }
  // Several rows through the threaded driver.
  Rng rng(BaseSeed() ^ 0x51FFull);
  const int32_t rows = 9, cols = 333;
  std::vector<int32_t> x(static_cast<size_t>(rows * cols));
  for (auto& v : x) v = static_cast<int32_t>(rng.Uniform(-1000000, 1000000));
  std::vector<int8_t> want(x.size());
  std::vector<Dyadic> sw(rows);
  for (int32_t r = 0; r < rows; ++r) sw[static_cast<size_t>(r)] = ref::QuantizeRowS32ToS8(x.data() + r * cols, cols, want.data() + r * cols);
  for (int32_t threads : {1, 2}) {
    std::vector<int8_t> got(x.size());
    std::vector<Dyadic> sg(rows);
    ThreadedQuantizeRowsS32ToS8(t, x.data(), cols, rows, cols, got.data(), cols, sg.data(), threads);
    CHECK(got == want);
    for (int32_t r = 0; r < rows; ++r) CHECK(sg[static_cast<size_t>(r)].m == sw[static_cast<size_t>(r)].m);
  }
}

TEST_CASE("Softmax equals ref: lengths, scales from tiny to huge, full int32 range") {
  const KernelTable& t = *g_table;
  for (uint64_t trial = 0; trial < 800; ++trial) {
    const uint64_t seed = BaseSeed() ^ (0x5000000000ull + trial);
    Rng rng(seed);
    const auto n = static_cast<int32_t>(trial < 80 ? trial + 1 : (trial % 9 == 0 ? 4099 : rng.Uniform(1, 600)));
    Dyadic scale{static_cast<int32_t>(rng.Uniform(1, INT32_MAX)), static_cast<int32_t>(rng.Uniform(10, 70))};
    if (trial % 11 == 0) scale = Dyadic{static_cast<int32_t>(rng.Uniform(0, 5)), static_cast<int32_t>(rng.Uniform(-3, 20))};
    INFO("seed=0x" << std::hex << seed << std::dec << " n=" << n << " scale=" << scale.m << "/" << scale.e);
    const auto mis = static_cast<int32_t>(trial % 4);
    Buffer<int32_t> x(n, mis);
    const int32_t spread = static_cast<int32_t>(rng.Uniform(0, 31));
    for (int32_t i = 0; i < n; ++i) {
      x[i] = static_cast<int32_t>(trial % 13 == 0 ? (rng.Coin(2) ? INT32_MIN : INT32_MAX)
                                                  : rng.Uniform(-(int64_t{1} << spread), int64_t{1} << spread));
    }
    Buffer<uint16_t> want(n, mis), got(n, mis);
    Buffer<int32_t> want_e(n, mis), got_e(n, mis);  // the exponentials the kernels leave in x
    for (int32_t i = 0; i < n; ++i) want_e[i] = got_e[i] = x[i];
    ref::SoftmaxS32ToU16(want_e.data(), n, scale, want.data());
    t.softmax_s32_to_u16(got_e.data(), n, scale, got.data());
    for (int32_t i = 0; i < n; ++i) {
      if (got[i] != want[i]) FAIL("element " << i << ": " << got[i] << " vs " << want[i]);
      if (got_e[i] != want_e[i]) FAIL("exponential " << i << ": " << got_e[i] << " vs " << want_e[i]);
    }
  }
}

TEST_CASE("RMSNorm equals ref: lengths, magnitudes up to the int32 extremes, epsilons, gammas") {
  const KernelTable& t = *g_table;
  for (uint64_t trial = 0; trial < 600; ++trial) {
    const uint64_t seed = BaseSeed() ^ (0x5300000000ull + trial);
    Rng rng(seed);
    const auto n = static_cast<int32_t>(trial < 40 ? trial + 1 : (trial % 17 == 0 ? 4096 : rng.Uniform(1, 3000)));
    const int32_t bits = static_cast<int32_t>(rng.Uniform(0, 31));
    const Dyadic eps{static_cast<int32_t>(rng.Uniform(0, INT32_MAX)), static_cast<int32_t>(rng.Uniform(-20, 90))};
    const int32_t gamma_shift = static_cast<int32_t>(rng.Uniform(0, 20));
    INFO("seed=0x" << std::hex << seed << std::dec << " n=" << n << " bits=" << bits);
    const auto mis = static_cast<int32_t>(trial % 4);
    Buffer<int32_t> x(n, mis), gamma(n, mis), want(n, mis), got(n, mis);
    for (int32_t i = 0; i < n; ++i) {
      x[i] = static_cast<int32_t>(trial % 23 == 0 ? (rng.Coin(2) ? INT32_MIN : INT32_MAX)
                                                  : (trial % 29 == 0 ? 0 : rng.Uniform(-(int64_t{1} << bits), int64_t{1} << bits)));
      gamma[i] = static_cast<int32_t>(rng.Uniform(-(1 << 15), 1 << 15));
    }
    const int32_t* g = trial % 5 == 0 ? nullptr : gamma.data();
    ref::RmsNormS32(x.data(), n, eps, g, gamma_shift, want.data());
    t.rms_norm_s32(x.data(), n, eps, g, gamma_shift, got.data());
    for (int32_t i = 0; i < n; ++i) {
      if (got[i] != want[i]) FAIL("element " << i << " (x = " << x[i] << "): " << got[i] << " vs " << want[i]);
    }
  }
}

// An activation table entry against ref: every Q16 input in [-bound, bound] (the engine's
// scale), then random inputs at random scales (exponents from 2, ref's saturating path for
// scales above 2^-16, to 70).
using ActivationFn = void (*)(const int32_t* x, int32_t n, Dyadic x_scale, int32_t* y);
void CheckActivationEqualsRef(ActivationFn want_fn, ActivationFn got_fn, int32_t bound, uint64_t seed_tag) {
  std::vector<int32_t> x(static_cast<size_t>(2 * bound + 1)), want(x.size()), got(x.size());
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<int32_t>(i) - bound;
  const Dyadic q16{kDyadicOne, 46};
  want_fn(x.data(), static_cast<int32_t>(x.size()), q16, want.data());
  got_fn(x.data(), static_cast<int32_t>(x.size()), q16, got.data());
  for (size_t i = 0; i < x.size(); ++i) {
    if (got[i] != want[i]) FAIL("x = " << x[i] << ": " << got[i] << " vs " << want[i]);
  }
  for (uint64_t trial = 0; trial < 200; ++trial) {
    const uint64_t seed = BaseSeed() ^ (seed_tag + trial);
    Rng rng(seed);
    const auto n = static_cast<int32_t>(rng.Uniform(1, 100));
    const Dyadic scale{static_cast<int32_t>(rng.Uniform(0, INT32_MAX)), static_cast<int32_t>(rng.Uniform(2, 70))};
    INFO("seed=0x" << std::hex << seed << std::dec << " n=" << n << " scale=" << scale.m << "/" << scale.e);
    const auto mis = static_cast<int32_t>(trial % 4);
    Buffer<int32_t> v(n, mis), w(n, mis), g(n, mis);
    for (int32_t i = 0; i < n; ++i) v[i] = static_cast<int32_t>(rng.Coin(9) ? (rng.Coin(2) ? INT32_MIN : INT32_MAX) : rng.Uniform(INT32_MIN, INT32_MAX));
    want_fn(v.data(), n, scale, w.data());
    got_fn(v.data(), n, scale, g.data());
    for (int32_t i = 0; i < n; ++i) {
      if (g[i] != w[i]) FAIL("element " << i << " (x = " << v[i] << "): " << g[i] << " vs " << w[i]);
    }
  }
}

TEST_CASE("SiLU equals ref on every Q16 input of the sigmoid's domain and at random scales") {
  // [-33, 33] real reaches every sigmoid denominator.
  CheckActivationEqualsRef(ref::SiluS32, g_table->silu_s32, 33 << 16, 0x5100000000ull);
}

TEST_CASE("Tanh GELU equals ref on every Q16 input in [-9, 9] and at random scales") {
  CheckActivationEqualsRef(ref::GeluTanhS32, g_table->gelu_tanh_s32, 9 << 16, 0x5200000000ull);
}

TEST_CASE("WeightedSumS8 (attention P.V on the interleaved V cache) equals ref: lengths, widths, wrapping sums") {
  const KernelTable& t = *g_table;
  for (uint64_t trial = 0; trial < 400; ++trial) {
    const uint64_t seed = BaseSeed() ^ (0x5700000000ull + trial);
    Rng rng(seed);
    const auto n = static_cast<int32_t>(trial < 40 ? trial : rng.Uniform(1, 700));
    const int32_t widths[] = {16, 32, 48, 64, 80, 128, 8, static_cast<int32_t>(rng.Uniform(1, 200))};
    const int32_t cols = widths[trial % 8];
    INFO("seed=0x" << std::hex << seed << std::dec << " n=" << n << " cols=" << cols);
    std::vector<int32_t> w(static_cast<size_t>(n));
    for (auto& x : w) {
      // Attention weights (<= 255 * 2^8, many zero); every 7th trial the whole 16-bit range,
      // large enough for the sums to wrap.
      x = static_cast<int32_t>(trial % 7 == 6 ? rng.Uniform(60000, 65535) : (rng.Coin(3) ? 0 : rng.Uniform(0, 255 * 256)));
    }
    // The last group's row slots beyond n hold garbage: it must be weighted 0.
    std::vector<int8_t> v(static_cast<size_t>((n + 3) / 4 * 4 * cols + 1));
    for (auto& x : v) x = static_cast<int8_t>(rng.Uniform(-127, 127));
    const auto mis = static_cast<int32_t>(trial % 4);
    Buffer<int32_t> want(cols, mis), got(cols, mis);
    ref::WeightedSumS8(w.data(), v.data(), n, cols, want.data());
    t.weighted_sum_s8(w.data(), v.data(), n, cols, got.data());
    for (int32_t c = 0; c < cols; ++c) {
      if (got[c] != want[c]) FAIL("column " << c << ": " << got[c] << " vs " << want[c]);
    }
  }
}

TEST_CASE("Table entries not vectorized on this ISA still equal ref (norms, activations, RoPE)") {
  const KernelTable& t = *g_table;
  Rng rng(BaseSeed() ^ 0x4E00ull);
  INFO("seed=0x" << std::hex << (BaseSeed() ^ 0x4E00ull));
  const int32_t n = 301;
  std::vector<int32_t> x(n), gamma(n), beta(n), want(n), got(n);
  for (auto& v : x) v = static_cast<int32_t>(rng.Uniform(-(1 << 28), 1 << 28));
  for (auto& v : gamma) v = static_cast<int32_t>(rng.Uniform(-(1 << 14), 1 << 14));
  for (auto& v : beta) v = static_cast<int32_t>(rng.Uniform(-1000, 1000));
  const Dyadic eps{kDyadicOne, 20};
  ref::RmsNormS32(x.data(), n, eps, gamma.data(), 14, want.data());
  t.rms_norm_s32(x.data(), n, eps, gamma.data(), 14, got.data());
  CHECK(got == want);
  ref::LayerNormS32(x.data(), n, eps, gamma.data(), 14, beta.data(), want.data());
  t.layer_norm_s32(x.data(), n, eps, gamma.data(), 14, beta.data(), got.data());
  CHECK(got == want);
  const Dyadic s{kDyadicOne, 50};
  ref::SiluS32(x.data(), n, s, want.data());
  t.silu_s32(x.data(), n, s, got.data());
  CHECK(got == want);
  ref::GeluTanhS32(x.data(), n, s, want.data());
  t.gelu_tanh_s32(x.data(), n, s, got.data());
  CHECK(got == want);
  std::vector<int32_t> cs(8), sn(8);
  for (int32_t i = 0; i < 8; ++i) {
    const ref::SinCosQ30 sc = ref::SinCosTurns(static_cast<uint32_t>(rng.Next()));
    cs[static_cast<size_t>(i)] = sc.cos;
    sn[static_cast<size_t>(i)] = sc.sin;
  }
  for (RopeLayout layout : {RopeLayout::kInterleaved, RopeLayout::kHalves}) {
    std::vector<int32_t> a = x, b = x;
    ref::RopeS32(a.data(), 3, 20, 16, cs.data(), sn.data(), layout);
    t.rope_s32(b.data(), 3, 20, 16, cs.data(), sn.data(), layout);
    CHECK(a == b);
  }
}

}  // namespace
}  // namespace ingot::kernels::test
