#include "engine/quant/gptq.h"

#include <cmath>

#include "model_io/error.h"

namespace ingot {

namespace {

// In-place Cholesky a = L L^T (lower triangle of a, row-major [k, k]); false when not positive definite.
bool Cholesky(std::vector<double>& a, size_t k) {
  for (size_t j = 0; j < k; ++j) {
    double d = a[j * k + j];
    for (size_t p = 0; p < j; ++p) d -= a[j * k + p] * a[j * k + p];
    if (!(d > 0.0)) return false;
    d = std::sqrt(d);
    a[j * k + j] = d;
    for (size_t i = j + 1; i < k; ++i) {
      double s = a[i * k + j];
      for (size_t p = 0; p < j; ++p) s -= a[i * k + p] * a[j * k + p];
      a[i * k + j] = s / d;
    }
    for (size_t i = 0; i < j; ++i) a[i * k + j] = 0.0;  // clear the upper triangle
  }
  return true;
}

// H^-1 from its Cholesky factor L: (L^-1)^T L^-1.
std::vector<double> InverseFromCholesky(const std::vector<double>& l, size_t k) {
  std::vector<double> inv(k * k, 0.0);  // L^-1, lower
  for (size_t j = 0; j < k; ++j) {
    inv[j * k + j] = 1.0 / l[j * k + j];
    for (size_t i = j + 1; i < k; ++i) {
      double s = 0.0;
      for (size_t p = j; p < i; ++p) s += l[i * k + p] * inv[p * k + j];
      inv[i * k + j] = -s / l[i * k + i];
    }
  }
  std::vector<double> h_inv(k * k, 0.0);
  for (size_t i = 0; i < k; ++i) {
    for (size_t j = 0; j <= i; ++j) {
      double s = 0.0;
      for (size_t p = i; p < k; ++p) s += inv[p * k + i] * inv[p * k + j];
      h_inv[i * k + j] = s;
      h_inv[j * k + i] = s;
    }
  }
  return h_inv;
}

}  // namespace

GptqFactor MakeGptqFactor(const Moments& m, double damp) {
  GptqFactor f;
  f.k = m.k;
  const auto k = static_cast<size_t>(m.k);
  f.dead.assign(k, false);
  f.diag_h.assign(k, 0.0);
  double mean = 0.0;
  for (size_t i = 0; i < k; ++i) mean += m.h[i * k + i];
  mean = mean > 0.0 ? mean / static_cast<double>(k) : 1.0;
  for (double scale = damp; scale <= 1000.0 * damp; scale *= 10.0) {
    std::vector<double> h = m.h;
    for (size_t i = 0; i < k; ++i) {
      if (h[i * k + i] == 0.0) {
        f.dead[i] = true;
        h[i * k + i] = 1.0;
      }
      h[i * k + i] += scale * mean;
      f.diag_h[i] = h[i * k + i];
    }
    if (!Cholesky(h, k)) continue;
    std::vector<double> h_inv = InverseFromCholesky(h, k);
    if (!Cholesky(h_inv, k)) continue;
    // U = L^T of H^-1 = L L^T, row-major upper.
    f.u.assign(k * k, 0.0);
    for (size_t i = 0; i < k; ++i) {
      for (size_t j = i; j < k; ++j) f.u[i * k + j] = h_inv[j * k + i];
    }
    return f;
  }
  throw Error("calibration: an input's second moments are not positive definite even with damping");
}

}  // namespace ingot
