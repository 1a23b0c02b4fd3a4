// The grouped-activation kernels (kernels/grouped_s8.h) of the table under test equal
// kernels/ref bit for bit: quantizer, GEMV and GEMM, odd sizes and tails, every shift
// pattern, the accumulator bound, 1 and 2 threads. No tolerance.
#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "kernels/kernel_table.h"
#include "kernels/packed_weights.h"
#include "kernels/threaded_ops.h"
#include "tests/kernels/isa_under_test.h"

namespace ingot::kernels::test {
namespace {

// M rows of K grouped activations: values from a fill, shifts from a pattern, sums by definition.
struct Grouped {
  Buffer<int8_t> q;
  std::vector<uint8_t> shifts;
  std::vector<int32_t> sums;
  int64_t ld_q, ld_shifts;
  Grouped(int32_t m, int32_t k, int64_t ld_q_, Fill fill, int32_t pattern, Rng& rng, int32_t misalign)
      : q(m * ld_q_, misalign), ld_q(ld_q_), ld_shifts(ActGroupCount(k) + 1) {
    FillS8(q.data(), q.size(), fill, rng);
    const int32_t limit = GroupShiftLimit(k);
    shifts.assign(static_cast<size_t>(m * ld_shifts), 0xEE);
    sums.assign(static_cast<size_t>(m), 0);
    for (int32_t r = 0; r < m; ++r) {
      for (int32_t g = 0; g < ActGroupCount(k); ++g) {
        int32_t s = 0;
        switch (pattern) {
          case 0: s = static_cast<int32_t>(rng.Uniform(0, limit)); break;        // random
          case 1: s = limit; break;                                               // all coarse
          case 2: s = 0; break;                                                   // all fine
          default: s = rng.Coin(6) ? static_cast<int32_t>(rng.Uniform(0, limit)) : limit; break;  // runs
        }
        shifts[static_cast<size_t>(r * ld_shifts + g)] = static_cast<uint8_t>(s);
      }
      for (int32_t i = 0; i < k; ++i) {
        sums[static_cast<size_t>(r)] += int32_t{q[r * ld_q + i]} << shifts[static_cast<size_t>(r * ld_shifts + i / kActGroup)];
      }
    }
  }
  GroupedS8Rows rows() const { return GroupedS8Rows{q.data(), ld_q, shifts.data(), ld_shifts, sums.data()}; }
};

TEST_CASE("Grouped quantization equals ref: zero rows, INT32_MIN, outliers, tails, 1 and 2 threads") {
  const KernelTable& t = *g_table;
  for (uint64_t trial = 0; trial < 800; ++trial) {
    const uint64_t seed = BaseSeed() ^ (0x4700000000ull + trial);
    Rng rng(seed);
    const auto n = static_cast<int32_t>(trial < 100 ? trial + 1 : (trial % 7 == 0 ? 5632 : rng.Uniform(1, 900)));
    INFO("seed=0x" << std::hex << seed << std::dec << " n=" << n);
    const auto mis = static_cast<int32_t>(trial % 4);
    Buffer<int32_t> x(n, mis);
    const int32_t kind = static_cast<int32_t>(trial % 6);
    for (int32_t i = 0; i < n; ++i) {
      int64_t v = static_cast<int64_t>(rng.Next()) >> rng.Uniform(40, 63);
      if (kind == 1) v = 0;
      if (kind == 2) v = i == n / 2 ? -5 : 0;
      if (kind == 3) v = rng.Coin(2) ? INT32_MIN : INT32_MAX;
      if (kind == 5 && rng.Coin(40)) v = rng.Coin(2) ? 50000000 : -50000000;  // sparse outliers
      x[i] = static_cast<int32_t>(v);
    }
    if (kind == 4) x[n - 1] = INT32_MIN;
    const int32_t groups = ActGroupCount(n);
    Buffer<int8_t> want(n, mis), got(n, mis);
    std::vector<uint8_t> want_s(static_cast<size_t>(groups)), got_s(want_s.size());
    int32_t want_sum = 0, got_sum = 0;
    const Dyadic sw = ref::QuantizeRowS32ToS8Grouped(x.data(), n, want.data(), want_s.data(), &want_sum);
    const Dyadic sg = t.quantize_row_s32_to_s8_grouped(x.data(), n, got.data(), got_s.data(), &got_sum);
    CHECK(sw.m == sg.m);
    CHECK(sw.e == sg.e);
    CHECK(want_sum == got_sum);
    CHECK(want_s == got_s);
    for (int32_t i = 0; i < n; ++i) {
      if (got[i] != want[i]) FAIL("element " << i);
      if (got[i] == -128) FAIL("-128 emitted");
    }
  }
  Rng rng(BaseSeed() ^ 0x47FFull);
  const int32_t rows = 9, cols = 333, groups = ActGroupCount(cols);
  std::vector<int32_t> x(static_cast<size_t>(rows * cols));
  for (auto& v : x) v = static_cast<int32_t>(rng.Coin(30) ? rng.Uniform(-9000000, 9000000) : rng.Uniform(-100000, 100000));
  std::vector<int8_t> want(x.size());
  std::vector<uint8_t> want_s(static_cast<size_t>(rows * groups));
  std::vector<int32_t> want_sum(rows);
  std::vector<Dyadic> sw(rows);
  for (int32_t r = 0; r < rows; ++r) {
    sw[static_cast<size_t>(r)] = ref::QuantizeRowS32ToS8Grouped(x.data() + r * cols, cols, want.data() + r * cols,
                                                                want_s.data() + r * groups, &want_sum[static_cast<size_t>(r)]);
  }
  for (int32_t threads : {1, 2}) {
    std::vector<int8_t> got(x.size());
    std::vector<uint8_t> got_s(want_s.size());
    std::vector<int32_t> got_sum(rows);
    std::vector<Dyadic> sg(rows);
    ThreadedQuantizeRowsS32ToS8Grouped(t, x.data(), cols, rows, cols, got.data(), cols, got_s.data(), groups,
                                       got_sum.data(), sg.data(), threads);
    CHECK(got == want);
    CHECK(got_s == want_s);
    CHECK(got_sum == want_sum);
    for (int32_t r = 0; r < rows; ++r) {
      CHECK(sg[static_cast<size_t>(r)].m == sw[static_cast<size_t>(r)].m);
      CHECK(sg[static_cast<size_t>(r)].e == sw[static_cast<size_t>(r)].e);
    }
  }
}

TEST_CASE("Grouped GEMV equals ref: odd N and K, shift patterns, fills, sub-ranges, 1 and 2 threads") {
  const KernelTable& t = *g_table;
  const int32_t ns[] = {1, 15, 16, 17, 33, 64, 65, 130};
  const int32_t ks[] = {1, 3, 4, 5, 31, 32, 33, 63, 64, 65, 95, 96, 97, 172, 255, 257, 768, 1001, 4099};
  const Fill fills[] = {Fill::kRandom, Fill::kAllMax, Fill::kExtremes, Fill::kSparse};
  uint64_t case_id = 0;
  for (int32_t n : ns) {
    for (int32_t k : ks) {
      for (Fill fill : fills) {
        for (int32_t pattern = 0; pattern < 4; ++pattern) {
          const uint64_t seed = BaseSeed() ^ (0x4800000000ull + ++case_id);
          Rng rng(seed);
          INFO("seed=0x" << std::hex << seed << std::dec << " n=" << n << " k=" << k << " fill=" << FillName(fill)
                         << " pattern=" << pattern);
          Buffer<int8_t> w(int64_t{n} * k, 0);
          FillS8(w.data(), w.size(), fill, rng);
          const Grouped x(1, k, k, fill == Fill::kAllMax ? Fill::kAllMin : fill, pattern, rng,
                          static_cast<int32_t>(case_id % 4));
          const Packed p(w.data(), n, k, k, static_cast<int32_t>(case_id % 3));
          std::vector<int32_t> want(static_cast<size_t>(n), kSentinel);
          ref::GemvS8Grouped(p.w, x.rows(), 0, n, want.data());
          for (int32_t threads : {1, 2}) {
            std::vector<int32_t> y(static_cast<size_t>(n), kSentinel);
            ThreadedGemvS8Grouped(t, p.w, x.rows(), y.data(), threads);
            CHECK_MESSAGE(y == want, "threads=" << threads);
          }
          const auto b = static_cast<int32_t>(rng.Uniform(0, n));
          const auto e = static_cast<int32_t>(rng.Uniform(b, n));
          std::vector<int32_t> got(static_cast<size_t>(n), kSentinel);
          t.gemv_s8_grouped(p.w, x.rows(), b, e, got.data());
          for (int32_t i = 0; i < n; ++i) {
            const int32_t expect = i >= b && i < e ? want[static_cast<size_t>(i)] : kSentinel;
            if (got[static_cast<size_t>(i)] != expect) FAIL("range [" << b << "," << e << ") row " << i);
          }
        }
      }
    }
  }
}

TEST_CASE("Grouped GEMM equals ref: odd M, N, K, strides, shift patterns, sub-ranges, 1 and 2 threads") {
  const KernelTable& t = *g_table;
  const int32_t ms[] = {1, 2, 3, 5, 6, 7, 13};
  const int32_t ns[] = {1, 16, 17, 64, 65, 129};
  const int32_t ks[] = {1, 5, 31, 32, 33, 64, 97, 172, 257};
  const Fill fills[] = {Fill::kRandom, Fill::kAllMax, Fill::kExtremes};
  uint64_t case_id = 0;
  for (int32_t m : ms) {
    for (int32_t n : ns) {
      for (int32_t k : ks) {
        for (Fill fill : fills) {
          const int32_t pattern = static_cast<int32_t>(case_id % 4);
          const uint64_t seed = BaseSeed() ^ (0x4900000000ull + ++case_id);
          Rng rng(seed);
          INFO("seed=0x" << std::hex << seed << std::dec << " m=" << m << " n=" << n << " k=" << k
                         << " fill=" << FillName(fill) << " pattern=" << pattern);
          const int64_t lda = k + static_cast<int64_t>(case_id % 5);
          const int64_t ldc = n + static_cast<int64_t>(case_id % 3);
          Buffer<int8_t> w(int64_t{n} * k, 0);
          FillS8(w.data(), w.size(), fill, rng);
          const Grouped a(m, k, lda, fill == Fill::kAllMax ? Fill::kAllMin : fill, pattern, rng,
                          static_cast<int32_t>(case_id % 4));
          const Packed p(w.data(), n, k, k, static_cast<int32_t>(case_id % 2));
          std::vector<int32_t> want(static_cast<size_t>(m * ldc), kSentinel);
          ref::GemmS8Grouped(a.rows(), m, p.w, 0, n, want.data(), ldc);
          for (int32_t threads : {1, 2}) {
            std::vector<int32_t> c(want.size(), kSentinel);
            ThreadedGemmS8Grouped(t, a.rows(), m, p.w, c.data(), ldc, threads);
            CHECK_MESSAGE(c == want, "threads=" << threads);
          }
          const auto b = static_cast<int32_t>(rng.Uniform(0, n));
          const auto e = static_cast<int32_t>(rng.Uniform(b, n));
          std::vector<int32_t> c(want.size(), kSentinel);
          t.gemm_s8_grouped(a.rows(), m, p.w, b, e, c.data(), ldc);
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

TEST_CASE("Grouped GEMV and GEMM at the accumulator bound: all-max rows, every shift at its limit") {
  const KernelTable& t = *g_table;
  // The largest K of each shift limit: 127 * 127 * K * 2^limit just below 2^31.
  for (int32_t k : {33286, 66572}) {
    const int32_t n = 17, m = 7, limit = GroupShiftLimit(k);
    REQUIRE(limit == (k == 33286 ? 2 : 1));
    REQUIRE(GroupShiftLimit(k + 1) == limit - 1);
    for (int32_t sign : {1, -1}) {
      Buffer<int8_t> w(int64_t{n} * k, 0);
      for (int64_t i = 0; i < w.size(); ++i) w[i] = 127;
      Rng rng(1);
      Grouped a(m, k, k, sign > 0 ? Fill::kAllMax : Fill::kAllMin, 1, rng, 1);
      const Packed p(w.data(), n, k, k, 0);
      std::vector<int32_t> want(static_cast<size_t>(m * n)), got(want.size()), gv(static_cast<size_t>(n));
      ref::GemmS8Grouped(a.rows(), m, p.w, 0, n, want.data(), n);
      CHECK(want[0] == sign * 127 * 127 * k * (1 << limit));
      t.gemm_s8_grouped(a.rows(), m, p.w, 0, n, got.data(), n);
      CHECK(got == want);
      t.gemv_s8_grouped(p.w, a.rows(), 0, n, gv.data());
      CHECK(std::vector<int32_t>(want.begin(), want.begin() + n) == gv);
    }
  }
}

}  // namespace
}  // namespace ingot::kernels::test
