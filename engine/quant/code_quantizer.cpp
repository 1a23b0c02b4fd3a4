#include "engine/quant/code_quantizer.h"

#include <algorithm>
#include <optional>
#include <cmath>
#include <string>
#include <vector>

#include "engine/forward/fp32_ops.h"
#include "engine/quant/gptq.h"
#include "kernels/packed_codes.h"
#include "kernels/parallel.h"
#include "model_io/error.h"

namespace ingot {

namespace {

constexpr int32_t kCandidates = 16;  // steps tried per group

// A group's values and their importance (each input's second moment; nullptr: all 1).
struct GroupView {
  const double* v;
  const double* importance;
  int32_t n;
};

struct Grid {
  int32_t top;     // 2^bits - 1
  int32_t z_sym;   // 2^(bits - 1)
  bool asym;
};

// v / d rounded half away from zero, plus z, clamped to the codes. (A truncating conversion
// rather than nearbyint: the baseline x86-64 has no rounding instruction, and this runs for every
// weight and candidate step.)
int32_t Code(double v, double d, int32_t z, int32_t top) {
  const double x = std::clamp(v / d, -512.0, 512.0);
  const auto q = static_cast<int32_t>(x + (x >= 0.0 ? 0.5 : -0.5)) + z;
  return std::clamp(q, 0, top);
}

// Importance-weighted squared error of coding g with step d and zero point z.
double Error2(const GroupView& g, double d, int32_t z, int32_t top) {
  double e = 0.0;
  for (int32_t i = 0; i < g.n; ++i) {
    const double r = g.v[i] - d * (Code(g.v[i], d, z, top) - z);
    e += (g.importance != nullptr ? g.importance[i] : 1.0) * r * r;
  }
  return e;
}

struct Fit {
  double d = 0.0;
  int32_t z = 0;
  double error = 0.0;
};

double Min(const GroupView& g) {
  double vmin = 0.0;
  for (int32_t i = 0; i < g.n; ++i) vmin = std::min(vmin, g.v[i]);
  return vmin;
}

// The zero point for step d: round(-min / d) (asymmetric; its neighbours too when `refine`,
// the best of them), or the fixed one (symmetric).
Fit BestZero(const GroupView& g, double d, const Grid& grid, bool refine = true) {
  if (!grid.asym) return Fit{d, grid.z_sym, Error2(g, d, grid.z_sym, grid.top)};
  const auto z0 = static_cast<int32_t>(std::clamp(std::nearbyint(-Min(g) / d), 0.0, static_cast<double>(grid.top)));
  Fit best{d, z0, Error2(g, d, z0, grid.top)};
  if (!refine) return best;
  for (int32_t z : {z0 - 1, z0 + 1}) {
    if (z < 0 || z > grid.top) continue;
    const double e = Error2(g, d, z, grid.top);
    if (e < best.error) best = Fit{d, z, e};
  }
  return best;
}

// The step and zero point of least (weighted) squared error over a grid of candidate steps
// around the range's natural one (each with its natural zero point; the best step's
// neighbouring zero points tried last). A group of zeros gets d = 0.
Fit FitGroup(const GroupView& g, const Grid& grid) {
  double vmax = 0.0, amax = 0.0;
  for (int32_t i = 0; i < g.n; ++i) {
    vmax = std::max(vmax, g.v[i]);
    amax = std::max(amax, std::fabs(g.v[i]));
  }
  if (amax == 0.0) return Fit{0.0, grid.asym ? 0 : grid.z_sym, 0.0};
  // Natural steps: the range over the levels (asymmetric), the largest magnitude over the
  // larger side of the levels (symmetric); candidates from 0.6 to 1.15 of it.
  const double natural = grid.asym ? (vmax - Min(g)) / grid.top : amax / grid.z_sym;
  Fit best;
  best.error = -1.0;
  for (int32_t i = 0; i < kCandidates; ++i) {
    const double d = natural * (0.6 + 0.55 * i / (kCandidates - 1));
    if (!(d > 0.0)) continue;
    const Fit f = BestZero(g, d, grid, false);
    if (best.error < 0.0 || f.error < best.error) best = f;
  }
  return BestZero(g, best.d, grid);
}

// One row being coded: its values, the format, and where its codes, group scales and zeros go.
struct RowCoder {
  const CodeFormat& f;
  const Grid& grid;
  int32_t k, groups;
  const double* importance;  // [k] or nullptr
  uint8_t* codes;            // [k]
  uint8_t* s;                // [groups]
  uint8_t* z;                // [groups]

  GroupView View(const double* v, int32_t g) const {
    return GroupView{v + g * f.group, importance != nullptr ? importance + g * f.group : nullptr,
                     std::min(f.group, k - g * f.group)};
  }
  // Group g's grid on values v: the step fitted, as a multiple s of row_scale in [1, s_max], and
  // the best zero point for the step it became.
  void SetGrid(const double* v, int32_t g, double row_scale, int32_t s_max) const {
    const GroupView view = View(v, g);
    const Fit fit = FitGroup(view, grid);
    int32_t sg = 0;
    int32_t zg = grid.asym ? 0 : grid.z_sym;
    if (fit.d > 0.0 && row_scale > 0.0) {
      sg = static_cast<int32_t>(std::clamp(std::nearbyint(fit.d / row_scale), 1.0, static_cast<double>(s_max)));
      zg = BestZero(view, sg * row_scale, grid).z;
    }
    s[g] = static_cast<uint8_t>(sg);
    z[g] = static_cast<uint8_t>(zg);
  }
  // Codes column j of value v on its group's grid; returns the value it becomes.
  double CodeColumn(int32_t j, double v, double row_scale) const {
    const int32_t g = j / f.group;
    const double d = s[g] * row_scale;
    const int32_t q = s[g] > 0 ? Code(v, d, z[g], grid.top) : z[g];
    codes[j] = static_cast<uint8_t>(q);
    return d * (q - z[g]);
  }
  // 127 * sum_g s * sum |code - z|: the row's accumulator bound.
  int64_t Bound() const {
    int64_t bound = 0;
    for (int32_t j = 0; j < k; ++j) bound += int64_t{s[j / f.group]} * std::abs(codes[j] - z[j / f.group]);
    return 127 * bound;
  }
};

}  // namespace

void DequantizeCodes(const Int8Matrix& m, float* out) {
  const kernels::PackedCodes& c = m.codes;
  for (int32_t r = 0; r < c.n; ++r) {
    const double scale = DyadicToDouble(m.scale[r]);
    for (int32_t k = 0; k < c.k; ++k) {
      const int32_t g = k / c.group;
      const double s = c.scales[kernels::PackedGroupOffset(c, r, g)];
      out[static_cast<int64_t>(r) * c.k + k] =
          static_cast<float>(scale * s * (kernels::CodeAt(c, r, k) - kernels::ZeroAt(c, r, g)));
    }
  }
}

Int8Matrix QuantizeWeightCodes(const Weight& w, const CodeFormat& f, const Moments* moments, int32_t n_threads) {
  const std::string name = w.info ? w.info->name : std::string("?");
  if (w.cols > kernels::kMaxK) {
    throw Error("tensor '" + name + "' has " + std::to_string(w.cols) + " columns, more than the kernels take (" +
                std::to_string(kernels::kMaxK) + ")");
  }
  const auto n = static_cast<int32_t>(w.rows);
  const auto k = static_cast<int32_t>(w.cols);
  const int32_t groups = (k + f.group - 1) / f.group;
  const Grid grid{(1 << f.bits) - 1, 1 << (f.bits - 1), f.asym};
  std::optional<GptqFactor> gptq;
  if (moments != nullptr) {
    if (moments->k != k) throw Error("tensor '" + name + "': its calibration input has " + std::to_string(moments->k) + " columns");
    gptq = MakeGptqFactor(*moments);
  }
  const double* importance = gptq ? gptq->diag_h.data() : nullptr;
  std::vector<uint8_t> codes(static_cast<size_t>(n) * k), scales(static_cast<size_t>(n) * groups),
      zeros(scales.size());
  Int8Matrix m;
  m.scale_storage.resize(static_cast<size_t>(n));
  const int64_t limit = kernels::CodeBoundLimit(k);
  kernels::ParallelFor(n, 1, n_threads, [&](int32_t begin, int32_t end) {
    std::vector<float> row(static_cast<size_t>(k));
    std::vector<double> original(static_cast<size_t>(k)), work(static_cast<size_t>(k));
    for (int32_t r = begin; r < end; ++r) {
      fp32::DequantizeWeightRow(w, r, row.data());
      std::copy(row.begin(), row.end(), original.begin());
      const RowCoder coder{f, grid, k, groups, importance, codes.data() + static_cast<size_t>(r) * k,
                           scales.data() + static_cast<size_t>(r) * groups, zeros.data() + static_cast<size_t>(r) * groups};
      double d_max = 0.0;
      for (int32_t g = 0; g < groups; ++g) d_max = std::max(d_max, FitGroup(coder.View(original.data(), g), grid).d);
      // The steps as multiples s of one row scale R = d_max / (2^bits_s - 1), with the most scale
      // bits (8 at most) that keep the row's accumulator bound.
      double row_scale = 0.0;
      for (int32_t scale_bits = 8; scale_bits >= 1; --scale_bits) {
        const int32_t s_max = (1 << scale_bits) - 1;
        row_scale = d_max / s_max;
        if (gptq) {
          work = original;
          GptqRow(
              *gptq, work.data(),
              [&](int32_t j, const double* v) {
                if (j % f.group == 0) coder.SetGrid(v, j / f.group, row_scale, s_max);
              },
              [&](int32_t j, double v) { return coder.CodeColumn(j, v, row_scale); });
        } else {
          for (int32_t g = 0; g < groups; ++g) coder.SetGrid(original.data(), g, row_scale, s_max);
          for (int32_t j = 0; j < k; ++j) coder.CodeColumn(j, original[static_cast<size_t>(j)], row_scale);
        }
        if (coder.Bound() < limit) break;
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
