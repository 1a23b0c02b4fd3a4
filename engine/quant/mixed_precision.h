// Mixed precision: each matrix's width (2, 4 or 8 bits) chosen to lose the least under a budget
// of bits per weight (quantize --bpw). The loss of a width is measured, not guessed: the mean KLD,
// on calibration tokens, of the FP32 model with that one matrix quantized against the FP32
// model, summed over the matrices (they are taken as independent). Model preparation: float is
// fine here.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "engine/model/model.h"
#include "engine/quant/weight_format.h"

namespace ingot {

class InputMoments;

struct MatrixChoice {
  std::string name;           // "blk.3.ffn_down.weight"
  int64_t weights = 0;        // rows x columns
  double loss[3] = {0, 0, 0}; // mean KLD with this matrix alone at 2, 4, 8 bits
  double bits[3] = {0, 0, 0}; // its bits per weight at 2, 4, 8 bits (scales included)
  int32_t chosen = 0;         // index into loss/bits: 0 (2-bit), 1 (4-bit), 2 (8-bit)
};

struct MixedPrecision {
  WeightFormats formats;              // base's group and kind, a width per matrix
  std::vector<MatrixChoice> matrices; // every matrix whose width was chosen (not the embeddings)
  double bpw = 0.0;                   // over those matrices
};

// Measures every matrix but the embeddings at 2, 4 and 8 bits (quantized as `base`'s group and
// kind say, by GPTQ when moments are given) on tokens in chunks of n_ctx, then chooses each
// matrix's width minimizing loss + lambda * bits with the smallest lambda that keeps the budget,
// and takes, while the budget allows, the widening that removes the most loss per added bit. Throws Error when even 2 bits everywhere exceed the budget. progress(done, total)
// after each measurement. The model's float weights are borrowed and restored.
MixedPrecision ChooseWidths(Model& model, const std::vector<int32_t>& tokens, int32_t n_ctx, double bpw,
                            const WeightFormats& base, const InputMoments* moments, int32_t n_threads,
                            const std::function<void(int32_t, int32_t)>& progress);

}  // namespace ingot
