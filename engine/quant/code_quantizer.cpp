#include "engine/quant/code_quantizer.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "engine/forward/fp32_ops.h"
#include "kernels/packed_codes.h"
#include "kernels/parallel.h"
#include "model_io/error.h"

namespace ingot {

namespace {

constexpr int32_t kCandidates = 24;  // steps tried per group

// A group's values, and how they are coded.
struct GroupView {
  const float* v;
  int32_t n;
};

struct Grid {
  int32_t top;     // 2^bits - 1
  int32_t z_sym;   // 2^(bits - 1)
  bool asym;
};

int32_t Code(double v, double d, int32_t z, int32_t top) {
  const double q = std::nearbyint(v / d) + z;
  return static_cast<int32_t>(std::clamp(q, 0.0, static_cast<double>(top)));
}

// Squared error of coding g with step d and zero point z.
double Error2(const GroupView& g, double d, int32_t z, int32_t top) {
  double e = 0.0;
  for (int32_t i = 0; i < g.n; ++i) {
    const double r = g.v[i] - d * (Code(g.v[i], d, z, top) - z);
    e += r * r;
  }
  return e;
}

struct Fit {
  double d = 0.0;
  int32_t z = 0;
  double error = 0.0;
};

// The zero point for step d: round(-min / d) and its neighbours, the best of them (asymmetric);
// the fixed one (symmetric).
Fit BestZero(const GroupView& g, double d, const Grid& grid, double vmin) {
  if (!grid.asym) return Fit{d, grid.z_sym, Error2(g, d, grid.z_sym, grid.top)};
  const auto z0 = static_cast<int32_t>(std::clamp(std::nearbyint(-vmin / d), 0.0, static_cast<double>(grid.top)));
  Fit best{d, z0, Error2(g, d, z0, grid.top)};
  for (int32_t z : {z0 - 1, z0 + 1}) {
    if (z < 0 || z > grid.top) continue;
    const double e = Error2(g, d, z, grid.top);
    if (e < best.error) best = Fit{d, z, e};
  }
  return best;
}

// The step and zero point of least squared error over a grid of candidate steps around the
// range's natural one. A group of zeros gets d = 0.
Fit FitGroup(const GroupView& g, const Grid& grid) {
  double vmin = 0.0, vmax = 0.0, amax = 0.0;
  for (int32_t i = 0; i < g.n; ++i) {
    vmin = std::min(vmin, static_cast<double>(g.v[i]));
    vmax = std::max(vmax, static_cast<double>(g.v[i]));
    amax = std::max(amax, std::fabs(static_cast<double>(g.v[i])));
  }
  if (amax == 0.0) return Fit{0.0, grid.asym ? 0 : grid.z_sym, 0.0};
  // Natural steps: the range over the levels (asymmetric), the largest magnitude over the
  // larger side of the levels (symmetric); candidates from 0.6 to 1.15 of it.
  const double natural = grid.asym ? (vmax - vmin) / grid.top : amax / grid.z_sym;
  Fit best;
  best.error = -1.0;
  for (int32_t i = 0; i < kCandidates; ++i) {
    const double d = natural * (0.6 + 0.55 * i / (kCandidates - 1));
    if (!(d > 0.0)) continue;
    const Fit f = BestZero(g, d, grid, vmin);
    if (best.error < 0.0 || f.error < best.error) best = f;
  }
  return best;
}

}  // namespace

Int8Matrix QuantizeWeightCodes(const Weight& w, const CodeFormat& f, int32_t n_threads) {
  const std::string name = w.info ? w.info->name : std::string("?");
  if (w.cols > kernels::kMaxK) {
    throw Error("tensor '" + name + "' has " + std::to_string(w.cols) + " columns, more than the kernels take (" +
                std::to_string(kernels::kMaxK) + ")");
  }
  const auto n = static_cast<int32_t>(w.rows);
  const auto k = static_cast<int32_t>(w.cols);
  const int32_t groups = (k + f.group - 1) / f.group;
  const Grid grid{(1 << f.bits) - 1, 1 << (f.bits - 1), f.asym};
  std::vector<uint8_t> codes(static_cast<size_t>(n) * k), scales(static_cast<size_t>(n) * groups),
      zeros(scales.size());
  Int8Matrix m;
  m.scale_storage.resize(static_cast<size_t>(n));
  const int64_t limit = kernels::CodeBoundLimit(k);
  kernels::ParallelFor(n, 1, n_threads, [&](int32_t begin, int32_t end) {
    std::vector<float> row(static_cast<size_t>(k));
    std::vector<Fit> fits(static_cast<size_t>(groups));
    for (int32_t r = begin; r < end; ++r) {
      fp32::DequantizeWeightRow(w, r, row.data());
      double d_max = 0.0;
      for (int32_t g = 0; g < groups; ++g) {
        const GroupView view{row.data() + g * f.group, std::min(f.group, k - g * f.group)};
        fits[static_cast<size_t>(g)] = FitGroup(view, grid);
        d_max = std::max(d_max, fits[static_cast<size_t>(g)].d);
      }
      uint8_t* rc = codes.data() + static_cast<size_t>(r) * k;
      uint8_t* rs = scales.data() + static_cast<size_t>(r) * groups;
      uint8_t* rz = zeros.data() + static_cast<size_t>(r) * groups;
      // The steps as multiples s of one row scale R = d_max / (2^bits_s - 1), the most scale bits
      // (8 at most) that keep the row's accumulator bound.
      double row_scale = 0.0;
      for (int32_t scale_bits = 8; scale_bits >= 1; --scale_bits) {
        const int32_t s_max = (1 << scale_bits) - 1;
        row_scale = d_max / s_max;
        int64_t bound = 0;
        for (int32_t g = 0; g < groups; ++g) {
          const Fit& fit = fits[static_cast<size_t>(g)];
          const GroupView view{row.data() + g * f.group, std::min(f.group, k - g * f.group)};
          int32_t s = 0;
          int32_t z = grid.asym ? 0 : grid.z_sym;
          if (fit.d > 0.0) {
            s = static_cast<int32_t>(std::clamp(std::nearbyint(fit.d / row_scale), 1.0, static_cast<double>(s_max)));
            double vmin = 0.0;
            for (int32_t i = 0; i < view.n; ++i) vmin = std::min(vmin, static_cast<double>(view.v[i]));
            z = BestZero(view, s * row_scale, grid, vmin).z;
          }
          rs[g] = static_cast<uint8_t>(s);
          rz[g] = static_cast<uint8_t>(z);
          int64_t dist = 0;
          for (int32_t i = 0; i < view.n; ++i) {
            const int32_t q = s > 0 ? Code(view.v[i], s * row_scale, z, grid.top) : z;
            rc[g * f.group + i] = static_cast<uint8_t>(q);
            dist += std::abs(q - z);
          }
          bound += 127 * dist * s;
        }
        if (bound < limit) break;
        if (scale_bits == 1) {
          throw Error("tensor '" + name + "' row " + std::to_string(r) + " does not fit the " + f.Name() +
                      " kernels' int32 bound");
        }
      }
      m.scale_storage[static_cast<size_t>(r)] = d_max > 0.0 ? DyadicFromDouble(row_scale) : kernels::Dyadic{0, 0};
    }
  });
  m.packed_storage = WeightBuffer(static_cast<size_t>(kernels::PackedCodeDataBytes(n, k, f.bits, f.group)));
  const int64_t group_bytes = kernels::PackedCodeGroupBytes(n, k, f.group);
  m.group_storage.resize(static_cast<size_t>(group_bytes * (f.asym ? 2 : 1)));
  m.codes = kernels::PackCodes(codes.data(), k, scales.data(), f.asym ? zeros.data() : nullptr, groups, n, k, f.bits,
                               f.group, reinterpret_cast<uint8_t*>(m.packed_storage.data()), m.group_storage.data(),
                               m.group_storage.data() + group_bytes);
  m.scale = m.scale_storage.data();
  return m;
}

}  // namespace ingot
