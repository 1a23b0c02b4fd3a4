// `bench kernels`: see bench_kernels.h. Float is fine here (reporting only).
#include "bench_kernels.h"

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include <sys/mman.h>
#include <unistd.h>

#include "kernels/dispatch.h"
#include "kernels/packed_codes.h"
#include "kernels/packed_weights.h"
#include "kernels/ref/gemv_codes.h"
#include "kernels/parallel.h"
#include "kernels/probe.h"
#include "kernels/threaded_ops.h"

namespace ingot {

namespace {

using kernels::Dyadic;
using kernels::KernelTable;
using kernels::ProbeTable;

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Best time of `fn` over repetitions lasting at least min_seconds in total.
template <typename F>
double BestSeconds(double min_seconds, F&& fn) {
  fn();  // warm-up
  double best = 1e30;
  const double start = Now();
  int reps = 0;
  while (reps < 3 || Now() - start < min_seconds) {
    const double t0 = Now();
    fn();
    const double t = Now() - t0;
    best = t < best ? t : best;
    ++reps;
  }
  return best;
}

// 64-byte aligned buffer of bytes, touched once so pages are mapped.
struct AlignedBytes {
  std::unique_ptr<uint8_t[]> raw;
  uint8_t* data = nullptr;
  explicit AlignedBytes(size_t size) : raw(new uint8_t[size + 64]) {
    data = reinterpret_cast<uint8_t*>((reinterpret_cast<uintptr_t>(raw.get()) + 63) & ~uintptr_t{63});
  }
};

uint64_t g_rng = 0x9E3779B97F4A7C15ull;
int8_t RandomS8() {
  g_rng ^= g_rng << 13;
  g_rng ^= g_rng >> 7;
  g_rng ^= g_rng << 17;
  return static_cast<int8_t>(static_cast<int32_t>(g_rng % 255) - 127);
}

volatile int64_t g_sink = 0;

// The probes of the best ISA built and detected: the machine's limits are measured with its loads.
const ProbeTable& BestProbes() { return *kernels::BuiltProbeTable(kernels::SelectKernels("auto").table->isa); }

struct Limits {
  double read_gbs[3] = {0, 0, 0};  // index: threads (1, 2); [0] = all threads
  int all_threads = 1;
  int64_t working_set = 0;         // bytes streamed by the probe and the GEMV
};

double ReadBandwidth(const ProbeTable& p, const int8_t* buf, int64_t size, int threads, double min_s) {
  const double sec = BestSeconds(min_s, [&] {
    kernels::ParallelFor(static_cast<int32_t>(size / 4096), 1, threads, [&](int32_t b, int32_t e) {
      g_sink = g_sink + p.memory_read(buf + int64_t{b} * 4096, int64_t{e - b} * 4096);
    });
  });
  return static_cast<double>(size) / sec / 1e9;
}

double PeakGops(const ProbeTable& p, int threads, double min_s) {
  const int64_t iters = 2000000;
  const double sec = BestSeconds(min_s, [&] {
    kernels::ParallelFor(threads, 1, threads, [&](int32_t b, int32_t e) {
      for (int32_t i = b; i < e; ++i) g_sink = g_sink + p.dot_peak(iters);
    });
  });
  return static_cast<double>(iters) * static_cast<double>(p.dot_ops_per_iteration) * threads / sec / 1e9;
}

// Weight codes in groups (kernels/packed_codes.h): the GEMV 11008 x 4096 streamed from memory
// (bandwidth against the read probe on the same buffer, alternating) and the GEMM M=512,
// N=K=4096, per width and kind, on random codes with scales that keep the bound.
void BenchCodes(const KernelTable& t, const ProbeTable& best, const Limits& lim, double min_s, const double* peak) {
  struct Kind {
    int32_t bits, group;
    bool asym;
  };
  for (const Kind f : {Kind{8, 32, false}, Kind{4, 32, false}, Kind{4, 64, true}, Kind{4, 128, true},
                       Kind{2, 64, true}, Kind{2, 128, true}}) {
    const int32_t gn = 11008, gk = 4096, groups = gk / f.group;
    const int32_t top = (1 << f.bits) - 1;
    std::vector<uint8_t> codes(static_cast<size_t>(gn) * gk), scales(static_cast<size_t>(gn) * groups, 3),
        zeros(scales.size(), static_cast<uint8_t>(top / 2));
    for (auto& v : codes) v = static_cast<uint8_t>(static_cast<uint8_t>(RandomS8()) & top);
    const int64_t data_bytes = kernels::PackedCodeDataBytes(gn, gk, f.bits, f.group);
    const int64_t group_bytes = kernels::PackedCodeGroupBytes(gn, gk, f.group);
    const int64_t matrix_bytes = data_bytes + group_bytes * (f.asym ? 2 : 1);
    const int64_t copies = (lim.working_set + matrix_bytes - 1) / matrix_bytes;
    const auto round64 = [](int64_t v) { return (v + 63) / 64 * 64; };
    AlignedBytes store(static_cast<size_t>((round64(data_bytes) + 2 * round64(group_bytes)) * copies));
    std::vector<kernels::PackedCodes> ws;
    uint8_t* at = store.data;
    for (int64_t i = 0; i < copies; ++i) {
      uint8_t* d = at;
      uint8_t* sc = d + round64(data_bytes);
      uint8_t* zp = sc + round64(group_bytes);
      at = f.asym ? zp + round64(group_bytes) : zp;
      ws.push_back(kernels::PackCodes(codes.data(), gk, scales.data(), f.asym ? zeros.data() : nullptr, groups, gn, gk,
                                      f.bits, f.group, d, sc, zp));
    }
    const int64_t streamed = at - store.data;
    std::vector<int8_t> x(gk);
    for (auto& v : x) v = RandomS8();
    std::vector<int32_t> sums(static_cast<size_t>(kernels::ActGroupCount(gk))), y(gn);
    kernels::ref::SumGroupsS8(x.data(), gk, nullptr, sums.data());
    const kernels::CodeInput in{x.data(), gk, nullptr, sums.data(), kernels::ActGroupCount(gk)};
    char name[32];
    std::snprintf(name, sizeof name, "%d-bit g%d %s", f.bits, f.group, f.asym ? "asym" : "sym");
    const double bpw = 8.0 * static_cast<double>(matrix_bytes) / (static_cast<double>(gn) * gk);
    for (int threads : {1, 2}) {
      double best_gemv = 1e30, best_read = 1e30;
      const double start = Now();
      for (int rep = 0; rep < 3 || Now() - start < 2 * min_s; ++rep) {
        double t0 = Now();
        kernels::ParallelFor(static_cast<int32_t>(streamed / 4096), 1, threads, [&](int32_t b, int32_t e) {
          g_sink = g_sink + best.memory_read(reinterpret_cast<const int8_t*>(store.data) + int64_t{b} * 4096,
                                             int64_t{e - b} * 4096);
        });
        const double read = Now() - t0;
        t0 = Now();
        for (const auto& w : ws) kernels::ThreadedGemvCodes(t, w, in, y.data(), threads);
        const double gemv = Now() - t0;
        best_read = read < best_read ? read : best_read;
        best_gemv = gemv < best_gemv ? gemv : best_gemv;
      }
      const double sec = best_gemv / static_cast<double>(copies);
      const double gbs = static_cast<double>(matrix_bytes) / sec / 1e9;
      const double read_gbs = static_cast<double>(streamed / 4096 * 4096) / best_read / 1e9;
      std::printf("GEMV %dx%d %-16s %d thr: %8.3f ms  %6.2f GB/s  = %5.1f%% of read bandwidth (%.2f bits/weight)\n",
                  gn, gk, name, threads, sec * 1e3, gbs, 100 * gbs / read_gbs, bpw);
    }
    const int32_t m = t.isa == kernels::Isa::kRef ? 8 : 512, n = 4096, k = 4096;
    std::vector<int8_t> a(static_cast<size_t>(m) * k);
    for (auto& v : a) v = RandomS8();
    const int32_t parts = kernels::ActGroupCount(k), n_pairs = kernels::CodePairCount(k, f.group);
    std::vector<int32_t> a_sums(static_cast<size_t>(m) * parts), a_pairs(static_cast<size_t>(m) * n_pairs);
    for (int32_t r = 0; r < m; ++r) {
      kernels::ref::SumGroupsS8(a.data() + int64_t{r} * k, k, nullptr, a_sums.data() + int64_t{r} * parts);
      kernels::CodeGroupPairs(a_sums.data() + int64_t{r} * parts, k, f.group, a_pairs.data() + int64_t{r} * n_pairs);
    }
    const kernels::CodeInput ain{a.data(), k, nullptr, a_sums.data(), parts, a_pairs.data(), n_pairs};
    kernels::PackedCodes wm = ws[0];
    wm.n = n;
    wm.n_pad = n;
    std::vector<int32_t> c(static_cast<size_t>(m) * n);
    for (int threads : {1, 2}) {
      const double sec = BestSeconds(t.isa == kernels::Isa::kRef ? 0.0 : min_s,
                                     [&] { kernels::ThreadedGemmCodes(t, ain, m, wm, c.data(), n, threads); });
      const double gops = 2.0 * m * n * k / sec / 1e9;
      std::printf("GEMM M=%d N=K=%d %-16s %d thr: %8.3f ms  %6.1f GOPS  = %5.1f%% of int8 peak\n", m, n, name, threads,
                  sec * 1e3, gops, 100 * gops / peak[threads]);
    }
  }
}

void BenchIsa(const KernelTable& t, const ProbeTable& best, const Limits& lim, bool quick) {
  const double min_s = quick ? 0.05 : 1.0;  // best of many reps: robust to other load
  std::printf("\n== ISA %s ==\n", t.name);
  const ProbeTable& probes = *kernels::BuiltProbeTable(t.isa);
  double peak[3] = {0, PeakGops(probes, 1, min_s), PeakGops(probes, 2, min_s)};
  std::printf("peak int8 dot product (%s probe): 1 thread %.1f GOPS, 2 threads %.1f GOPS\n", t.name, peak[1],
              peak[2]);

  // GEMV 11008 x 4096 (decode: FFN up/gate projection of a 7B model). Enough
  // copies of the packed matrix to fill the probe's working set, so each
  // GEMV streams its weights from memory as in decode, not from cache.
  const int32_t gn = 11008, gk = 4096;
  std::vector<int8_t> w(static_cast<size_t>(gn) * gk);
  for (auto& v : w) v = RandomS8();
  const int64_t packed_bytes = kernels::PackedS8DataBytes(gn, gk);
  const int64_t copies = (lim.working_set + packed_bytes - 1) / packed_bytes;
  AlignedBytes packed(static_cast<size_t>(packed_bytes * copies));
  std::vector<int32_t> sums(static_cast<size_t>(kernels::PackedS8RowSumCount(gn)));
  std::vector<kernels::PackedS8Weights> pws;
  for (int64_t i = 0; i < copies; ++i) {
    auto* dst = reinterpret_cast<int8_t*>(packed.data + i * packed_bytes);
    if (i == 0) {
      pws.push_back(kernels::PackS8Weights(w.data(), gn, gk, gk, dst, sums.data()));
    } else {
      std::memcpy(dst, packed.data, static_cast<size_t>(packed_bytes));
      kernels::PackedS8Weights p = pws[0];
      p.data = dst;
      pws.push_back(p);
    }
  }
  std::vector<int8_t> x(gk);
  for (auto& v : x) v = RandomS8();
  std::vector<int32_t> y(gn);
  const double bytes = static_cast<double>(packed_bytes);
  for (int threads : {1, 2}) {
    // The bandwidth reference (the best ISA's read probe) is re-measured on the same buffer,
    // alternating with the GEMV sweeps, so both see the same machine state (this machine may
    // be shared); best of each over the window.
    double best_gemv = 1e30, best_read = 1e30;
    const double start = Now();
    for (int rep = 0; rep < 3 || Now() - start < 2 * min_s; ++rep) {
      double t0 = Now();
      kernels::ParallelFor(static_cast<int32_t>(packed_bytes * copies / 4096), 1, threads, [&](int32_t b, int32_t e) {
        g_sink = g_sink + best.memory_read(reinterpret_cast<const int8_t*>(packed.data) + int64_t{b} * 4096,
                                      int64_t{e - b} * 4096);
      });
      const double read = Now() - t0;
      t0 = Now();
      for (const auto& p : pws) kernels::ThreadedGemvS8(t, p, x.data(), y.data(), threads);
      const double gemv = Now() - t0;
      best_read = read < best_read ? read : best_read;
      best_gemv = gemv < best_gemv ? gemv : best_gemv;
    }
    const double sec = best_gemv / static_cast<double>(copies);
    const double gbs = bytes / sec / 1e9;
    const double read_gbs = bytes * static_cast<double>(copies) / best_read / 1e9;
    std::printf("GEMV %dx%d int8        %d thr: %8.3f ms  %6.2f GB/s  = %5.1f%% of read bandwidth (%.2f GB/s, same buffer)%s\n",
                gn, gk, threads, sec * 1e3, gbs, 100 * gbs / read_gbs, read_gbs,
                threads == 2 ? "  [target >= 85%]" : "");
  }

  // GEMM M=512, N=K=4096 (prefill).
  const int32_t m = t.isa == kernels::Isa::kRef ? 8 : 512, n = 4096, k = 4096;
  std::vector<int8_t> wm(static_cast<size_t>(n) * k), a(static_cast<size_t>(m) * k);
  for (auto& v : wm) v = RandomS8();
  for (auto& v : a) v = RandomS8();
  AlignedBytes packed_m(static_cast<size_t>(kernels::PackedS8DataBytes(n, k)));
  std::vector<int32_t> sums_m(static_cast<size_t>(kernels::PackedS8RowSumCount(n)));
  const kernels::PackedS8Weights pm =
      kernels::PackS8Weights(wm.data(), n, k, k, reinterpret_cast<int8_t*>(packed_m.data), sums_m.data());
  std::vector<int32_t> c(static_cast<size_t>(m) * n);
  for (int threads : {1, 2}) {
    const double sec = BestSeconds(t.isa == kernels::Isa::kRef ? 0.0 : min_s,
                                   [&] { kernels::ThreadedGemmS8(t, a.data(), k, m, pm, c.data(), n, threads); });
    const double gops = 2.0 * m * n * k / sec / 1e9;
    std::printf("GEMM M=%d N=K=%d     %d thr: %8.3f ms  %6.1f GOPS  = %5.1f%% of int8 peak (%.1f GOPS)%s\n", m, n,
                threads, sec * 1e3, gops, 100 * gops / peak[threads], peak[threads],
                t.isa == kernels::Isa::kRef ? "  [ref: M=8]" : "  [target >= 60%]");
  }

  // The same GEMV and GEMM on grouped activations (kernels/grouped_s8.h), as ffn_down reads
  // them: rows quantized by the table's own grouped quantizer from heavy-tailed values (the
  // product of two triangular variables, like silu(gate) * up), so the shift runs are real.
  auto heavy_tailed = [](std::vector<int32_t>& v) {
    for (auto& e : v) e = (RandomS8() - RandomS8()) * (RandomS8() - RandomS8());
  };
  std::vector<int32_t> wide_x(gk);
  heavy_tailed(wide_x);
  std::vector<int8_t> qx(gk);
  std::vector<uint8_t> shifts_x(static_cast<size_t>(kernels::ActGroupCount(gk)));
  int32_t sum_x = 0;
  t.quantize_row_s32_to_s8_grouped(wide_x.data(), gk, qx.data(), shifts_x.data(), &sum_x);
  const kernels::GroupedS8Rows gx{qx.data(), gk, shifts_x.data(), kernels::ActGroupCount(gk), &sum_x};
  for (int threads : {1, 2}) {
    const double sec = BestSeconds(min_s, [&] {
      for (const auto& p : pws) kernels::ThreadedGemvS8Grouped(t, p, gx, y.data(), threads);
    }) / static_cast<double>(copies);
    std::printf("GEMV %dx%d grouped     %d thr: %8.3f ms  %6.2f GB/s\n", gn, gk, threads, sec * 1e3, bytes / sec / 1e9);
  }
  std::vector<int32_t> wide_a(static_cast<size_t>(m) * k);
  heavy_tailed(wide_a);
  std::vector<int8_t> qa(wide_a.size());
  const int32_t groups = kernels::ActGroupCount(k);
  std::vector<uint8_t> shifts_a(static_cast<size_t>(m) * groups);
  std::vector<int32_t> sums_a(static_cast<size_t>(m));
  std::vector<Dyadic> steps_a(static_cast<size_t>(m));
  kernels::ThreadedQuantizeRowsS32ToS8Grouped(t, wide_a.data(), k, m, k, qa.data(), k, shifts_a.data(), groups,
                                              sums_a.data(), steps_a.data(), 1);
  int64_t changes = 0;
  for (int32_t r = 0; r < m; ++r) {
    for (int32_t g = 0; g + 1 < groups; ++g) changes += shifts_a[static_cast<size_t>(r * groups + g)] != shifts_a[static_cast<size_t>(r * groups + g + 1)];
  }
  const kernels::GroupedS8Rows ga{qa.data(), k, shifts_a.data(), groups, sums_a.data()};
  for (int threads : {1, 2}) {
    const double sec = BestSeconds(t.isa == kernels::Isa::kRef ? 0.0 : min_s,
                                   [&] { kernels::ThreadedGemmS8Grouped(t, ga, m, pm, c.data(), n, threads); });
    const double gops = 2.0 * m * n * k / sec / 1e9;
    std::printf("GEMM M=%d N=K=%d grp %d thr: %8.3f ms  %6.1f GOPS  = %5.1f%% of int8 peak (shift changes in %.1f%% of groups)\n",
                m, n, threads, sec * 1e3, gops, 100 * gops / peak[threads],
                100.0 * static_cast<double>(changes) / (m * (groups - 1.0)));
  }

  BenchCodes(t, best, lim, min_s, peak);

  // Requantization int32 -> int32 with per-row x per-column multipliers: a prefill matmul's
  // accumulators to Q16, as the engine does after every matmul.
  const int32_t rr = 512, rc = 4096;
  std::vector<int32_t> acc(static_cast<size_t>(rr) * rc);
  for (auto& v : acc) v = RandomS8() * 50000;
  std::vector<Dyadic> row_scale(rr, Dyadic{1500000000, 31}), col_scale(rc, Dyadic{1200000000, 44});
  std::vector<int32_t> requantized(acc.size());
  for (int threads : {1, 2}) {
    const double sec = BestSeconds(min_s, [&] {
      kernels::ParallelFor(rr, 1, threads, [&](int32_t b, int32_t e) {
        t.requantize_s32_to_s32(acc.data() + int64_t{b} * rc, rc, e - b, rc, row_scale.data() + b, col_scale.data(),
                                requantized.data() + int64_t{b} * rc, rc);
      });
    });
    std::printf("requantize %dx%d       %d thr: %8.3f ms  %7.1f M elements/s\n", rr, rc, threads, sec * 1e3,
                rr * static_cast<double>(rc) / sec / 1e6);
  }

  // Per-row dynamic quantization int32 -> int8.
  std::vector<int8_t> out(acc.size());
  std::vector<Dyadic> steps(rr);
  for (int threads : {1, 2}) {
    const double sec = BestSeconds(min_s, [&] {
      kernels::ThreadedQuantizeRowsS32ToS8(t, acc.data(), rc, rr, rc, out.data(), rc, steps.data(), threads);
    });
    std::printf("quantize rows %dx%d    %d thr: %8.3f ms  %7.1f M elements/s\n", rr, rc, threads, sec * 1e3,
                rr * static_cast<double>(rc) / sec / 1e6);
  }
  std::vector<uint8_t> group_shifts(static_cast<size_t>(rr) * kernels::ActGroupCount(rc));
  std::vector<int32_t> group_sums(static_cast<size_t>(rr));
  for (int threads : {1, 2}) {
    const double sec = BestSeconds(min_s, [&] {
      kernels::ThreadedQuantizeRowsS32ToS8Grouped(t, acc.data(), rc, rr, rc, out.data(), rc, group_shifts.data(),
                                                  kernels::ActGroupCount(rc), group_sums.data(), steps.data(), threads);
    });
    std::printf("quantize rows grouped  %d thr: %8.3f ms  %7.1f M elements/s\n", threads, sec * 1e3,
                rr * static_cast<double>(rc) / sec / 1e6);
  }

  // Softmax over attention rows of 2048 scores.
  const int32_t sr = 256, sn = 2048;
  std::vector<int32_t> scores(static_cast<size_t>(sr) * sn);
  for (auto& v : scores) v = RandomS8() * 1000;
  std::vector<uint16_t> probs(scores.size());
  const Dyadic score_scale{1300000000, 47};
  for (int threads : {1, 2}) {
    const double sec = BestSeconds(min_s, [&] {
      kernels::ParallelFor(sr, 1, threads, [&](int32_t b, int32_t e) {
        for (int32_t r = b; r < e; ++r) {
          // In place: later runs take the exponentials left in the row as their scores.
          t.softmax_s32_to_u16(scores.data() + int64_t{r} * sn, sn, score_scale, probs.data() + int64_t{r} * sn);
        }
      });
    });
    std::printf("softmax %dx%d          %d thr: %8.3f ms  %7.1f M elements/s\n", sr, sn, threads, sec * 1e3,
                sr * static_cast<double>(sn) / sec / 1e6);
  }
}

}  // namespace

BandwidthProbe::BandwidthProbe(int threads, int64_t bytes)
    : threads_(threads > 0 ? threads : kernels::DefaultThreadCount()), bytes_(bytes) {
  constexpr size_t kHugePage = size_t{2} << 20;
  const size_t size = (static_cast<size_t>(bytes) + kHugePage - 1) / kHugePage * kHugePage;
  data_ = static_cast<uint8_t*>(std::aligned_alloc(kHugePage, size));
  if (data_ == nullptr) throw std::bad_alloc();
  madvise(data_, size, MADV_HUGEPAGE);
  kernels::ParallelFor(static_cast<int32_t>(size >> 20), 1, threads_, [&](int32_t b, int32_t e) {
    std::memset(data_ + (int64_t{b} << 20), 1, static_cast<size_t>(e - b) << 20);
  });
}

BandwidthProbe::~BandwidthProbe() { std::free(data_); }

double BandwidthProbe::GBs(double min_seconds) const {
  return ReadBandwidth(BestProbes(), reinterpret_cast<const int8_t*>(data_), bytes_, threads_,
                       min_seconds);
}

int RunKernelBench(int argc, char** argv) {
  const char* only = nullptr;
  bool quick = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--isa") == 0 && i + 1 < argc) {
      only = argv[++i];
    } else if (std::strcmp(argv[i], "--quick") == 0) {
      quick = true;
    } else {
      std::fprintf(stderr, "bench kernels: unknown option %s (use --isa NAME, --quick)\n", argv[i]);
      return 1;
    }
  }
  const char* env = std::getenv("INGOT_ISA");
  const kernels::KernelSelection chosen = kernels::SelectKernels(nullptr);
  if (chosen.table == nullptr) {
    std::fprintf(stderr, "bench kernels: %s\n", chosen.error);
    return 1;
  }
  std::printf("kernel table: %s (INGOT_ISA=%s); threads available: %d\n", chosen.table->name,
              env != nullptr && env[0] != '\0' ? env : "unset, auto", kernels::DefaultThreadCount());
  for (int32_t i = 0; i < kernels::kIsaCount; ++i) {
    const kernels::IsaStatus s = kernels::GetIsaStatus(static_cast<kernels::Isa>(i));
    std::printf("  %-10s built=%d detected=%d\n", s.name, s.built ? 1 : 0, s.detected ? 1 : 0);
  }

  // Machine limits, measured with the best available ISA's vector loads.
  const ProbeTable& best = BestProbes();
  // At least 1 GiB and twice the last-level cache, so reads come from memory.
  int64_t size = quick ? (int64_t{256} << 20) : (int64_t{1} << 30);
  const long l3 = sysconf(_SC_LEVEL3_CACHE_SIZE);
  if (!quick && l3 > 0 && 2 * static_cast<int64_t>(l3) > size) size = 2 * static_cast<int64_t>(l3);
  if (size > (int64_t{4} << 30)) size = int64_t{4} << 30;
  AlignedBytes buf(static_cast<size_t>(size));
  kernels::ParallelFor(static_cast<int32_t>(size >> 20), 1, 0, [&](int32_t b, int32_t e) {
    std::memset(buf.data + (int64_t{b} << 20), 1, static_cast<size_t>(e - b) << 20);
  });
  Limits lim;
  lim.all_threads = kernels::DefaultThreadCount();
  lim.working_set = size;
  const double min_s = quick ? 0.1 : 1.0;
  const auto* data = reinterpret_cast<const int8_t*>(buf.data);
  lim.read_gbs[1] = ReadBandwidth(best, data, size, 1, min_s);
  lim.read_gbs[2] = ReadBandwidth(best, data, size, 2, min_s);
  lim.read_gbs[0] = ReadBandwidth(best, data, size, lim.all_threads, min_s);
  std::printf("memory read bandwidth (%lld MiB buffer): 1 thread %.2f GB/s, 2 threads %.2f GB/s, all (%d) %.2f GB/s\n",
              static_cast<long long>(size >> 20), lim.read_gbs[1], lim.read_gbs[2], lim.all_threads,
              lim.read_gbs[0]);

  for (int32_t i = kernels::kIsaCount - 1; i >= 0; --i) {
    const kernels::IsaStatus s = kernels::GetIsaStatus(static_cast<kernels::Isa>(i));
    if (only != nullptr && std::strcmp(only, s.name) != 0) continue;
    const kernels::KernelSelection sel = kernels::SelectKernels(s.name);
    if (sel.table == nullptr) {
      if (only != nullptr) {
        std::fprintf(stderr, "bench kernels: %s\n", sel.error);
        return 1;
      }
      continue;
    }
    BenchIsa(*sel.table, best, lim, quick);
  }
  return 0;
}

}  // namespace ingot
