#include "engine/forward/fp32_ops.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/parallel.h"

namespace ingot::fp32 {

namespace {

// Weight rows dequantized together, so each activation row is loaded once per block.
constexpr int64_t kRowBlock = 8;
// Below this many multiply-adds a matmul runs on one thread: waking a team costs more.
constexpr int64_t kMinParallelWork = 1 << 18;

}  // namespace

// The FP32 reference's summation order, written out: four partial sums, lane j taking elements
// 4k + j of the whole blocks of four, the n % 4 tail added to lane 0 in order, then
// (((0 + s0) + s1) + s2) + s3. It is the order GCC 12 chose for the `omp simd reduction` this
// loop used to be (x86-64 baseline: one SSE2 accumulator of 4 lanes), so every non-NaN result
// keeps its bits (only which NaN comes out may differ), and now no vectorizer decides it.
// Out of line (noipa), so no caller gets a specialized copy: every dot product of the same
// vectors gives the same bits wherever it runs (thread counts, batched or one by one).
[[gnu::noipa]] float Dot(const float* a, const float* b, int64_t n) {
  float lanes[4] = {0.0f, 0.0f, 0.0f, 0.0f};
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    for (int64_t j = 0; j < 4; ++j) lanes[j] += a[i + j] * b[i + j];
  }
  for (; i < n; ++i) lanes[0] += a[i] * b[i];
  return 0.0f + lanes[0] + lanes[1] + lanes[2] + lanes[3];  // 0.0f +: a -0 sum comes out +0, as it did
}

void DequantizeWeightRow(const Weight& w, int64_t row, float* out) {
  DequantizeRow(w.type, w.Row(row), out, w.cols);
}

void MatMul(const Weight& w, const float* x, int64_t n_tokens, float* y, int32_t n_threads) {
  const int64_t n_blocks = (w.rows + kRowBlock - 1) / kRowBlock;
  const bool parallel = w.rows * w.cols * n_tokens >= kMinParallelWork;
  kernels::ParallelFor(static_cast<int32_t>(n_blocks), 1, parallel ? n_threads : 1, [&](int32_t begin, int32_t end) {
    // Per-thread scratch for the dequantized rows; it only grows, so steady state allocates nothing.
    thread_local std::vector<float> rows;
    if (rows.size() < static_cast<size_t>(kRowBlock * w.cols)) rows.resize(static_cast<size_t>(kRowBlock * w.cols));
    for (int64_t block = begin; block < end; ++block) {
      const int64_t r0 = block * kRowBlock;
      const int64_t nr = std::min(kRowBlock, w.rows - r0);
      const float* wrows = rows.data();  // [nr, w.cols]
      if (w.type == GgmlType::kF32) {
        wrows = reinterpret_cast<const float*>(w.Row(r0));
      } else {
        for (int64_t i = 0; i < nr; ++i) DequantizeWeightRow(w, r0 + i, rows.data() + i * w.cols);
      }
      for (int64_t t = 0; t < n_tokens; ++t) {
        const float* xt = x + t * w.cols;
        float* yt = y + t * w.rows + r0;
        for (int64_t i = 0; i < nr; ++i) yt[i] = Dot(wrows + i * w.cols, xt, w.cols);
      }
    }
  });
}

void RmsNorm(const float* x, const float* weight, int64_t n, float eps, float* out) {
  const float mean_square = Dot(x, x, n) / static_cast<float>(n);
  const float inv = 1.0f / std::sqrt(mean_square + eps);
  for (int64_t i = 0; i < n; ++i) out[i] = x[i] * inv * weight[i];
}

void LayerNorm(const float* x, const float* weight, const float* bias, int64_t n, float eps, float* out) {
  float sum = 0.0f;
  for (int64_t i = 0; i < n; ++i) sum += x[i];
  const float mean = sum / static_cast<float>(n);
  // Two passes: the variance of the centered values, not E[x^2] - mean^2, which cancels badly.
  float square_sum = 0.0f;
  for (int64_t i = 0; i < n; ++i) square_sum += (x[i] - mean) * (x[i] - mean);
  const float inv = 1.0f / std::sqrt(square_sum / static_cast<float>(n) + eps);
  for (int64_t i = 0; i < n; ++i) out[i] = (x[i] - mean) * inv * weight[i] + bias[i];
}

void Norm(const ModelConfig& c, const float* x, const std::vector<float>& weight, const std::vector<float>& bias,
          float* out) {
  if (c.norm == NormKind::kLayer) {
    LayerNorm(x, weight.data(), bias.data(), c.d_model, c.norm_eps, out);
  } else {
    RmsNorm(x, weight.data(), c.d_model, c.norm_eps, out);
  }
}

void AddBias(const std::vector<float>& bias, int64_t n_tokens, float* y) {
  const int64_t n = static_cast<int64_t>(bias.size());
  for (int64_t t = 0; t < n_tokens; ++t) {
    for (int64_t i = 0; i < n; ++i) y[t * n + i] += bias[static_cast<size_t>(i)];
  }
}

void Softmax(float* x, int64_t n) {
  float max = x[0];
  for (int64_t i = 1; i < n; ++i) max = std::max(max, x[i]);
  float sum = 0.0f;
  for (int64_t i = 0; i < n; ++i) {
    x[i] = std::exp(x[i] - max);
    sum += x[i];
  }
  const float inv = 1.0f / sum;
  for (int64_t i = 0; i < n; ++i) x[i] *= inv;
}

void Rope(float* head, int32_t n_pairs, const float* cos, const float* sin, bool neox) {
  for (int32_t i = 0; i < n_pairs; ++i) {
    float& a = neox ? head[i] : head[2 * i];
    float& b = neox ? head[i + n_pairs] : head[2 * i + 1];
    const float a0 = a, b0 = b;
    a = a0 * cos[i] - b0 * sin[i];
    b = a0 * sin[i] + b0 * cos[i];
  }
}

double RopeTheta(const ModelConfig& c, const std::vector<float>& factors, int32_t i, bool local) {
  if (local) return std::pow(static_cast<double>(c.rope_base_local), -2.0 * i / c.rope_dims);
  const double theta = std::pow(static_cast<double>(c.rope_base), -2.0 * i / c.rope_dims) / c.rope_scale;
  return factors.empty() ? theta : theta / static_cast<double>(factors[static_cast<size_t>(i)]);
}

void RmsNormRows(float* rows, int32_t n_rows, int32_t cols, const std::vector<float>& weight, float eps) {
  for (int32_t r = 0; r < n_rows; ++r) {
    float* x = rows + static_cast<size_t>(r) * static_cast<size_t>(cols);
    RmsNorm(x, weight.data(), cols, eps, x);
  }
}

}  // namespace ingot::fp32
