// Float weights -> weight codes in groups (kernels/packed_codes.h), round to nearest after a
// per-group search of the scale (and zero point) that minimizes the squared error. Model
// preparation: float is fine here.
#pragma once

#include <cstdint>

#include "engine/model/model_types.h"
#include "engine/quant/int8_matrix.h"
#include "engine/quant/weight_format.h"

namespace ingot {

// Quantizes every row of w to format f (not per-channel): per group the float step d and zero
// point z minimizing sum imp * (w - d (q - z))^2 over a grid of candidate steps; the row's steps
// as u8 multiples of one row scale; then the codes, for the step each group got: rounded to
// nearest without moments, or by GPTQ with them (gptq.h: each group's grid fitted on the
// updated weights as its first column comes up). imp is each input's second moment (all 1
// without moments). A row whose accumulator bound (CodesFitInt32) would not hold is coded again
// with fewer scale bits. Rows are split over n_threads; the result does not depend on the split.
struct Moments;
// The real values of a code matrix, divided by nothing: out [rows, cols] = scale * s * (code - z).
void DequantizeCodes(const Int8Matrix& m, float* out);
Int8Matrix QuantizeWeightCodes(const Weight& w, const CodeFormat& f, const Moments* moments, int32_t n_threads);

}  // namespace ingot
