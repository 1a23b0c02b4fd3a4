// Calibration for weight codes: the second moments H = sum_t x_t x_t^T of every matrix's input,
// from an FP32 run over calibration tokens (GPTQ's Hessian, up to a factor 2 / tokens). Model
// preparation: float is fine here.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "engine/forward/forward_fp32.h"
#include "engine/model/model.h"

namespace ingot {

// The moments of one input of width k: h [k, k] (symmetric, full), over `tokens` rows.
struct Moments {
  int32_t k = 0;
  int64_t tokens = 0;
  std::vector<double> h;
};

class InputMoments : public MatrixInputObserver {
 public:
  explicit InputMoments(const ModelConfig& c);
  void Observe(int32_t layer, MatrixInput input, const float* x, int32_t n) override;
  // The moments of the input the matrix named `tensor` reads ("blk.3.ffn_down.weight"), or
  // nullptr for a matrix that is not a matmul's (the embeddings) or was not seen.
  const Moments* For(const std::string& tensor) const;
  // Fills the lower triangles (Observe accumulates the upper ones only).
  void Finish();
  int64_t bytes() const;

  void set_threads(int32_t n_threads) { n_threads_ = n_threads; }

 private:
  Moments& At(int32_t layer, MatrixInput input);
  int32_t n_layers_;
  int32_t n_threads_ = 1;
  std::vector<Moments> sites_;  // [n_layers * 4 + 1]: each layer's four inputs, then the output's
};

struct CalibrationProgress {
  int64_t tokens_done = 0;
  int64_t tokens_total = 0;
};

// Runs the model's FP32 pass over tokens in chunks of n_ctx (each chunk a fresh sequence) and
// returns every matrix input's moments. progress is called after each chunk.
InputMoments CollectInputMoments(const Model& model, const std::vector<int32_t>& tokens, int32_t n_ctx, int32_t n_threads,
                                 const std::function<void(const CalibrationProgress&)>& progress);

}  // namespace ingot
