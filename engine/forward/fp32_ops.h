// The FP32 reference path's operations (Fp32Forward, the FP escape hatch and the quantizers
// use them). The integer forward pass never includes this file.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "engine/model/model.h"

namespace ingot::fp32 {

// y[t][r] = sum_c w[r][c] * x[t][c] for t < n_tokens: x [n_tokens, w.cols] -> y [n_tokens, w.rows].
// Rows are split over n_threads; each row is dequantized once per call.
void MatMul(const Weight& w, const float* x, int64_t n_tokens, float* y, int32_t n_threads);

// One row of a weight (e.g. an embedding) as float: out [w.cols].
void DequantizeWeightRow(const Weight& w, int64_t row, float* out);

float Dot(const float* a, const float* b, int64_t n);

// out = x / sqrt(mean(x^2) + eps) * weight, over n values (out may alias x).
void RmsNorm(const float* x, const float* weight, int64_t n, float eps, float* out);

// out = (x - mean(x)) / sqrt(var(x) + eps) * weight + bias, over n values (out may alias x).
void LayerNorm(const float* x, const float* weight, const float* bias, int64_t n, float eps, float* out);

// The model's norm (RMSNorm or LayerNorm, config.norm) of one row: out [d_model].
void Norm(const ModelConfig& c, const float* x, const std::vector<float>& weight, const std::vector<float>& bias,
          float* out);

// y[t][i] += bias[i] for t < n_tokens: y [n_tokens, bias.size()]. Nothing when bias is empty.
void AddBias(const std::vector<float>& bias, int64_t n_tokens, float* y);

// In-place softmax of n values.
void Softmax(float* x, int64_t n);

inline float Silu(float x) { return x / (1.0f + std::exp(-x)); }

// GELU, tanh approximation (Hendrycks & Gimpel 2016), as GPT-2 and llama.cpp's ggml_gelu use:
// 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
inline float Gelu(float x) {
  constexpr float kSqrt2OverPi = 0.7978845608028654f;
  return 0.5f * x * (1.0f + std::tanh(kSqrt2OverPi * (x + 0.044715f * x * x * x)));
}

// Rotates the leading 2*n_pairs values of one head by the angles of one position: adjacent
// pairs (x[2i], x[2i+1]) as in llama2.c and llama.cpp's `llama` architecture, or with neox the
// halves' pairs (x[i], x[i + n_pairs]) as GPT-NeoX, Qwen and Gemma.
void Rope(float* head, int32_t n_pairs, const float* cos, const float* sin, bool neox);

// RoPE's angle per position of pair i: base^(-2i / rope_dims) / factors[i] / rope_scale radians
// (factors empty: none), or for a sliding-window layer (local) rope_base_local^(-2i / rope_dims).
// The one definition both paths build their tables from.
double RopeTheta(const ModelConfig& config, const std::vector<float>& factors, int32_t i, bool local = false);

// RMSNorm of each of n_rows rows [n_rows, cols] in place, with one weight [cols] (the per-head q/k
// norms of Qwen 3 and Gemma 3, and Gemma's branch norms).
void RmsNormRows(float* rows, int32_t n_rows, int32_t cols, const std::vector<float>& weight, float eps);

}  // namespace ingot::fp32
