// GPTQ (Frantar et al. 2022): rounding a row's weights one column at a time, each rounding error
// pushed onto the columns not yet rounded, weighted by the inverse of the input's second moments
// H. The factor is computed once per matrix; the rounding runs per row (rows are independent).
// Model preparation: float is fine here.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/quant/calibration.h"

namespace ingot {

struct GptqFactor {
  int32_t k = 0;
  std::vector<double> u;       // [k, k] upper: chol(H^-1) with H^-1 = U^T U
  std::vector<double> diag_h;  // [k] the damped diagonal of H: each input's importance
  std::vector<bool> dead;      // [k] inputs that were always 0 (their weights do not matter)
};

// H damped by `damp` times its mean diagonal (more, up to 1000x, when it is not positive definite).
GptqFactor MakeGptqFactor(const Moments& m, double damp = 0.01);

// One row w [k] (updated in place) rounded column by column: before column j is rounded by
// quantize(j, w[j]) (which returns the value it becomes), group_start(j) is called when j starts
// a group (to fit that group's grid on the updated w). Returns nothing: quantize records the codes.
template <typename GroupStart, typename Quantize>
void GptqRow(const GptqFactor& f, double* w, GroupStart&& group_start, Quantize&& quantize) {
  const auto k = static_cast<size_t>(f.k);
  for (size_t j = 0; j < k; ++j) {
    group_start(static_cast<int32_t>(j), w);
    if (f.dead[j]) w[j] = 0.0;
    const double q = quantize(static_cast<int32_t>(j), w[j]);
    const double* uj = f.u.data() + j * k;
    const double err = (w[j] - q) / uj[j];
    for (size_t i = j + 1; i < k; ++i) w[i] -= err * uj[i];
  }
}

}  // namespace ingot
