// The FP32 reference path's operations. Float lives here and in evaluation tools only;
// the integer path never includes this file.
#pragma once

#include <cmath>
#include <cstdint>

#include "engine/model.h"

namespace ingot::fp32 {

// y[t][r] = sum_c w[r][c] * x[t][c] for t < n_tokens: x [n_tokens, w.cols] -> y [n_tokens, w.rows].
// Rows are split over n_threads; each row is dequantized once per call.
void MatMul(const Weight& w, const float* x, int64_t n_tokens, float* y, int32_t n_threads);

// One row of a weight (e.g. an embedding) as float: out [w.cols].
void DequantizeWeightRow(const Weight& w, int64_t row, float* out);

float Dot(const float* a, const float* b, int64_t n);

// out = x / sqrt(mean(x^2) + eps) * weight, over n values (out may alias x).
void RmsNorm(const float* x, const float* weight, int64_t n, float eps, float* out);

// In-place softmax of n values.
void Softmax(float* x, int64_t n);

inline float Silu(float x) { return x / (1.0f + std::exp(-x)); }

// Rotates the leading 2*n_pairs values of one head by the angles of one position, adjacent
// pairs (x[2i], x[2i+1]) as in llama2.c and llama.cpp's `llama` architecture.
void Rope(float* head, int32_t n_pairs, const float* cos, const float* sin);

}  // namespace ingot::fp32
