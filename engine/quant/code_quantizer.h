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
// point z minimizing sum (w - d (q - z))^2 over a grid of candidate steps; then the row's
// steps as u8 multiples of one row scale, the codes chosen again for the step they got, and
// fewer scale bits for a row whose accumulator bound (CodesFitInt32) would not hold. Rows are
// split over n_threads; the result does not depend on the split.
Int8Matrix QuantizeWeightCodes(const Weight& w, const CodeFormat& f, int32_t n_threads);

}  // namespace ingot
