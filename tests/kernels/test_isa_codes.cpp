// The weight-code kernels (kernels/packed_codes.h) of the table under test equal kernels/ref
// bit for bit, and ref equals the definition computed in int64 from the unpacked codes: every
// width (8, 4, 2), group size (32-256), symmetric and asymmetric, with and without activation
// sub-scales, odd N, K and M, sub-ranges, rows at the accumulator bound, 1 and 2 threads.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "kernels/kernel_table.h"
#include "kernels/packed_codes.h"
#include "kernels/threaded_ops.h"
#include "tests/kernels/isa_under_test.h"

namespace ingot::kernels::test {
namespace {

constexpr int32_t kSentinel = 0x5EA5EA5E;

struct Format {
  int32_t bits, group;
  bool asym;
};

// A code matrix [n, k]: codes, scales and zeros unpacked (the definition's input) and packed.
struct Codes {
  int32_t n, k, groups;
  Format f;
  std::vector<uint8_t> codes, scales, zeros;  // [n, k], [n, groups], [n, groups]
  Buffer<uint8_t> data, packed_scales, packed_zeros;
  PackedCodes w;

  // kind 0: random; 1: every code at its extreme and the largest scales the bound allows
  // (alternating sign of code - z per row); 2: sparse (most codes at z).
  Codes(int32_t n_, int32_t k_, Format f_, int32_t kind, Rng& rng, int32_t misalign)
      : n(n_), k(k_), groups((k_ + f_.group - 1) / f_.group), f(f_),
        data(PackedCodeDataBytes(n_, k_, f_.bits, f_.group), misalign),
        packed_scales(PackedCodeGroupBytes(n_, k_, f_.group), misalign),
        packed_zeros(PackedCodeGroupBytes(n_, k_, f_.group), 0) {
    const int32_t top = (1 << f.bits) - 1;
    codes.resize(static_cast<size_t>(n) * k);
    scales.resize(static_cast<size_t>(n) * groups);
    zeros.resize(scales.size());
    for (int32_t r = 0; r < n; ++r) {
      for (int32_t g = 0; g < groups; ++g) {
        const int32_t z = f.asym ? static_cast<int32_t>(rng.Uniform(0, top)) : 1 << (f.bits - 1);
        zeros[static_cast<size_t>(r * groups + g)] = static_cast<uint8_t>(z);
        scales[static_cast<size_t>(r * groups + g)] = static_cast<uint8_t>(kind == 1 ? 255 : rng.Uniform(0, 255));
        for (int32_t i = g * f.group; i < k && i < (g + 1) * f.group; ++i) {
          int32_t c = static_cast<int32_t>(rng.Uniform(0, top));
          if (kind == 1) c = (r % 2 == 0) == (z <= top - z) ? top : 0;
          if (kind == 2 && !rng.Coin(8)) c = z;
          codes[static_cast<size_t>(r) * k + i] = static_cast<uint8_t>(c);
        }
      }
      // Scale the row's group scales down until its bound fits (kind 1: to just below it).
      const int64_t limit = CodeBoundLimit(k);
      int64_t bound = RowBound(r);
      if (bound >= limit) {
        for (int32_t g = 0; g < groups; ++g) {
          uint8_t& s = scales[static_cast<size_t>(r * groups + g)];
          s = static_cast<uint8_t>(s * (limit - 1) / bound);
        }
        bound = RowBound(r);
      }
      REQUIRE(bound < limit);
    }
    w = PackCodes(codes.data(), k, scales.data(), f.asym ? zeros.data() : nullptr, groups, n, k, f.bits, f.group,
                  data.data(), packed_scales.data(), packed_zeros.data());
  }

  int64_t RowBound(int32_t r) const {
    int64_t bound = 0;
    for (int32_t i = 0; i < k; ++i) {
      const size_t g = static_cast<size_t>(r * groups + i / f.group);
      bound += int64_t{scales[g]} * std::abs(int32_t{codes[static_cast<size_t>(r) * k + i]} - zeros[g]);
    }
    return 127 * bound;
  }

  // The definition, in int64: sum_k s * (code - z) * (q[k] << shift).
  int64_t Dot(int32_t r, const int8_t* q, const uint8_t* shifts) const {
    int64_t y = 0;
    for (int32_t i = 0; i < k; ++i) {
      const size_t g = static_cast<size_t>(r * groups + i / f.group);
      const int64_t x = int64_t{q[i]} << (shifts != nullptr ? shifts[i / kActGroup] : 0);
      y += int64_t{scales[g]} * (int32_t{codes[static_cast<size_t>(r) * k + i]} - zeros[g]) * x;
    }
    return y;
  }
};

// M activation rows: int8 values, sub-scales (none, random, or all at the limit), sums by definition.
struct Input {
  Buffer<int8_t> q;
  std::vector<uint8_t> shifts;
  std::vector<int32_t> sums;
  mutable std::vector<int32_t> pairs;  // for the matrix's group size, without shifts
  int32_t m, k;
  int64_t ld_q, ld_groups;
  bool with_shifts;
  Input(int32_t m_, int32_t k_, int64_t ld_q_, Fill fill, int32_t shift_kind, Rng& rng, int32_t misalign)
      : q(m_ * ld_q_, misalign), m(m_), k(k_), ld_q(ld_q_), ld_groups(ActGroupCount(k_) + 1),
        with_shifts(shift_kind != 0) {
    FillS8(q.data(), q.size(), fill, rng);
    const int32_t limit = GroupShiftLimit(k);
    shifts.assign(static_cast<size_t>(m * ld_groups), 0);
    sums.assign(shifts.size(), kSentinel);
    for (int32_t r = 0; r < m; ++r) {
      for (int32_t j = 0; j < ActGroupCount(k); ++j) {
        const int32_t s = shift_kind == 1 ? static_cast<int32_t>(rng.Uniform(0, limit)) : (shift_kind == 2 ? limit : 0);
        shifts[static_cast<size_t>(r * ld_groups + j)] = static_cast<uint8_t>(s);
      }
      ref::SumGroupsS8(q.data() + r * ld_q, k, with_shifts ? shifts.data() + r * ld_groups : nullptr,
                       sums.data() + r * ld_groups);
    }
  }
  // The rows for a matrix in groups of `group` (pairs with a sentinel column past their count).
  CodeInput rows(int32_t group) const {
    const int64_t ld_pairs = CodePairCount(k, group) + 1;
    pairs.assign(static_cast<size_t>(m * ld_pairs), kSentinel);
    if (!with_shifts) {
      for (int32_t r = 0; r < m; ++r) CodeGroupPairs(sums.data() + r * ld_groups, k, group, pairs.data() + r * ld_pairs);
    }
    return CodeInput{q.data(), ld_q, with_shifts ? shifts.data() : nullptr, sums.data(), ld_groups,
                     with_shifts ? nullptr : pairs.data(), ld_pairs};
  }
  const uint8_t* row_shifts(int32_t r) const { return with_shifts ? shifts.data() + r * ld_groups : nullptr; }
};

const Format kFormats[] = {{8, 32, false}, {8, 64, true}, {8, 128, false}, {4, 32, false}, {4, 64, true}, {4, 128, false},
                           {4, 256, true}, {2, 32, true},   {2, 64, false}, {2, 128, true}, {2, 256, false}};

TEST_CASE("SumGroupsS8: sums of 32 inputs, shifted, tails") {
  Rng rng(BaseSeed() ^ 0x5100ull);
  for (int32_t k : {1, 31, 32, 33, 100, 257}) {
    std::vector<int8_t> q(static_cast<size_t>(k));
    FillS8(q.data(), k, Fill::kRandom, rng);
    std::vector<uint8_t> shifts(static_cast<size_t>(ActGroupCount(k)));
    for (auto& s : shifts) s = static_cast<uint8_t>(rng.Uniform(0, 2));
    std::vector<int32_t> plain(shifts.size()), shifted(shifts.size());
    ref::SumGroupsS8(q.data(), k, nullptr, plain.data());
    ref::SumGroupsS8(q.data(), k, shifts.data(), shifted.data());
    for (int32_t j = 0; j < ActGroupCount(k); ++j) {
      int32_t want = 0;
      for (int32_t i = 32 * j; i < k && i < 32 * j + 32; ++i) want += q[static_cast<size_t>(i)];
      CHECK(plain[static_cast<size_t>(j)] == want);
      CHECK(shifted[static_cast<size_t>(j)] == want * (1 << shifts[static_cast<size_t>(j)]));
    }
  }
}

TEST_CASE("Code GEMV equals ref and the definition: widths, groups, odd N and K, sub-scales, sub-ranges, threads") {
  const KernelTable& t = *g_table;
  const int32_t ns[] = {1, 16, 17, 65, 130};
  const int32_t ks[] = {1, 5, 32, 33, 64, 100, 256, 257, 1000};
  uint64_t case_id = 0;
  for (const Format& f : kFormats) {
    for (int32_t n : ns) {
      for (int32_t k : ks) {
        for (int32_t kind = 0; kind < 3; ++kind) {
          const uint64_t seed = BaseSeed() ^ (0x5200000000ull + ++case_id);
          Rng rng(seed);
          const auto shift_kind = static_cast<int32_t>(case_id % 3);
          const Fill fill = kind == 1 ? (case_id % 2 == 0 ? Fill::kAllMax : Fill::kAlternating) : Fill::kRandom;
          INFO("seed=0x" << std::hex << seed << std::dec << " bits=" << f.bits << " group=" << f.group
                         << " asym=" << f.asym << " n=" << n << " k=" << k << " kind=" << kind
                         << " shifts=" << shift_kind);
          const Codes w(n, k, f, kind, rng, static_cast<int32_t>(case_id % 3));
          std::vector<int64_t> bounds(static_cast<size_t>(w.w.n_pad));
          CodeRowBounds(w.w, bounds.data());  // the one-pass bounds are the definition's
          for (int32_t r = 0; r < w.w.n_pad; ++r) {
            if (bounds[static_cast<size_t>(r)] != CodeRowBound(w.w, r)) FAIL("bound of row " << r);
          }
          const Input x(1, k, k, fill, shift_kind, rng, static_cast<int32_t>(case_id % 4));
          std::vector<int32_t> want(static_cast<size_t>(n), kSentinel);
          ref::GemvCodes(w.w, x.rows(w.w.group), 0, n, want.data());
          for (int32_t r = 0; r < n; ++r) {
            if (want[static_cast<size_t>(r)] != w.Dot(r, x.q.data(), x.row_shifts(0))) FAIL("ref row " << r);
          }
          for (int32_t threads : {1, 2}) {
            std::vector<int32_t> y(static_cast<size_t>(n), kSentinel);
            ThreadedGemvCodes(t, w.w, x.rows(w.w.group), y.data(), threads);
            CHECK_MESSAGE(y == want, "threads=" << threads);
          }
          const auto b = static_cast<int32_t>(rng.Uniform(0, n));
          const auto e = static_cast<int32_t>(rng.Uniform(b, n));
          std::vector<int32_t> got(static_cast<size_t>(n), kSentinel);
          t.gemv_codes(w.w, x.rows(w.w.group), b, e, got.data());
          for (int32_t i = 0; i < n; ++i) {
            const int32_t expect = i >= b && i < e ? want[static_cast<size_t>(i)] : kSentinel;
            if (got[static_cast<size_t>(i)] != expect) FAIL("range [" << b << "," << e << ") row " << i);
          }
        }
      }
    }
  }
}

TEST_CASE("Code GEMM equals ref and the definition: odd M, N, K, strides, sub-scales, sub-ranges, threads") {
  const KernelTable& t = *g_table;
  const int32_t ms[] = {1, 2, 5, 7, 11, 13, 24};
  const int32_t ns[] = {1, 17, 33, 64};
  const int32_t ks[] = {5, 32, 97, 256, 300};
  uint64_t case_id = 0;
  for (const Format& f : kFormats) {
    for (int32_t m : ms) {
      for (int32_t n : ns) {
        for (int32_t k : ks) {
          const uint64_t seed = BaseSeed() ^ (0x5300000000ull + ++case_id);
          Rng rng(seed);
          const auto kind = static_cast<int32_t>(case_id % 3);
          const auto shift_kind = static_cast<int32_t>((case_id / 3) % 3);
          INFO("seed=0x" << std::hex << seed << std::dec << " bits=" << f.bits << " group=" << f.group
                         << " asym=" << f.asym << " m=" << m << " n=" << n << " k=" << k << " kind=" << kind
                         << " shifts=" << shift_kind);
          const int64_t lda = k + static_cast<int64_t>(case_id % 5);
          const int64_t ldc = n + static_cast<int64_t>(case_id % 3);
          const Codes w(n, k, f, kind, rng, static_cast<int32_t>(case_id % 2));
          const Input a(m, k, lda, kind == 1 ? Fill::kAllMin : Fill::kRandom, shift_kind, rng,
                        static_cast<int32_t>(case_id % 4));
          std::vector<int32_t> want(static_cast<size_t>(m * ldc), kSentinel);
          ref::GemmCodes(a.rows(w.w.group), m, w.w, 0, n, want.data(), ldc);
          for (int32_t r = 0; r < m; ++r) {
            for (int32_t i = 0; i < n; ++i) {
              if (want[static_cast<size_t>(r * ldc + i)] != w.Dot(i, a.q.data() + r * lda, a.row_shifts(r))) {
                FAIL("ref at " << r << "," << i);
              }
            }
          }
          for (int32_t threads : {1, 2}) {
            std::vector<int32_t> c(want.size(), kSentinel);
            ThreadedGemmCodes(t, a.rows(w.w.group), m, w.w, c.data(), ldc, threads);
            CHECK_MESSAGE(c == want, "threads=" << threads);
          }
          const auto b = static_cast<int32_t>(rng.Uniform(0, n));
          const auto e = static_cast<int32_t>(rng.Uniform(b, n));
          std::vector<int32_t> c(want.size(), kSentinel);
          t.gemm_codes(a.rows(w.w.group), m, w.w, b, e, c.data(), ldc);
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

TEST_CASE("Code GEMV and GEMM at the accumulator bound: large K, extreme codes, sub-scales at their limit") {
  const KernelTable& t = *g_table;
  for (const Format& f : kFormats) {
    for (int32_t k : {4096, 33286}) {
      if (f.bits == 8 && k > 4096) continue;  // 8-bit extremes at this K fit only with scale 0
      const int32_t n = 18, m = 7;
      Rng rng(BaseSeed() ^ 0x5400ull ^ static_cast<uint64_t>(k));
      INFO("bits=" << f.bits << " group=" << f.group << " asym=" << f.asym << " k=" << k);
      const Codes w(n, k, f, 1, rng, 0);
      CHECK(CodesFitInt32(w.w));
      int64_t largest = 0;
      for (int32_t r = 0; r < n; ++r) largest = std::max(largest, CodeRowBound(w.w, r));
      const int64_t reach = largest << GroupShiftLimit(k);
      CHECK(reach >= CodeBoundLimit(k) / 2);  // near the limit, so overflow would show
      for (Fill fill : {Fill::kAllMax, Fill::kAllMin}) {
        const Input a(m, k, k, fill, 2, rng, 1);
        std::vector<int32_t> want(static_cast<size_t>(m * n)), got(want.size()), gv(static_cast<size_t>(n));
        ref::GemmCodes(a.rows(w.w.group), m, w.w, 0, n, want.data(), n);
        for (int32_t i = 0; i < n; ++i) REQUIRE(want[static_cast<size_t>(i)] == w.Dot(i, a.q.data(), a.row_shifts(0)));
        t.gemm_codes(a.rows(w.w.group), m, w.w, 0, n, got.data(), n);
        CHECK(got == want);
        t.gemv_codes(w.w, a.rows(w.w.group), 0, n, gv.data());
        CHECK(std::vector<int32_t>(want.begin(), want.begin() + n) == gv);
      }
    }
  }
}

}  // namespace
}  // namespace ingot::kernels::test
